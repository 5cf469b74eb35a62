//! The language of the command line's messages: Simplified Chinese by default (the
//! officials who import station lists read it), English with `--lang en` or
//! `NUANXIN_LANG=en`. Chosen once in `main` before any subcommand runs; the texts
//! themselves are in [`super::messages`].

use std::sync::OnceLock;

/// A language of the command line's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// Simplified Chinese (简体中文), the default.
    #[default]
    #[value(name = "zh", alias = "zh-CN", alias = "zh_CN", alias = "chinese")]
    Zh,
    /// English.
    #[value(name = "en", alias = "en-US", alias = "en_US", alias = "english")]
    En,
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// Sets the language for the rest of the process (the first call wins).
pub fn set(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The language the command line asks for: the last `--lang X` / `--lang=X` among `args`,
/// else `NUANXIN_LANG`, else Chinese. Read before clap parses the arguments, so that the
/// messages of clap's value parsers (an unknown `--kind`, `--service-area`) are already in
/// the chosen language; clap then checks the same flag (a bad value is its error).
pub fn from_args_and_env(args: &[std::ffi::OsString]) -> Lang {
    use clap::ValueEnum;
    let mut given: Option<String> = std::env::var("NUANXIN_LANG").ok();
    let mut it = args.iter().filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        if a == "--lang" {
            given = it.next().map(str::to_string);
        } else if let Some(v) = a.strip_prefix("--lang=") {
            given = Some(v.to_string());
        }
    }
    given
        .and_then(|g| Lang::from_str(g.trim(), true).ok())
        .unwrap_or_default()
}

/// The language in force ([`Lang::Zh`] until [`set`] is called).
pub fn current() -> Lang {
    LANG.get().copied().unwrap_or_default()
}
