//! `nuanxin`: the command-line entry point. Each subcommand lives in `cli/<name>.rs`.

mod cli;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Nuanxin Map (暖新地图): service points, suggestions and coverage for gig workers.
#[derive(Debug, Parser)]
#[command(name = "nuanxin", version, about, long_about = None)]
struct Cli {
    /// Language of messages: zh (简体中文, default) or en (English). Also NUANXIN_LANG.
    #[arg(
        long,
        global = true,
        env = "NUANXIN_LANG",
        value_enum,
        default_value = "zh",
        ignore_case = true
    )]
    lang: cli::lang::Lang,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (API, OGC API – Features, Open311 and the web map).
    Serve(cli::serve::Args),
    /// Check and import a GeoJSON, CSV or XLSX file of service points.
    Import(cli::import::Args),
    /// Find the nearest service points to a position.
    Nearest(cli::nearest::Args),
    /// Coverage of an area by service circles, gaps and proposals for new sites.
    Coverage(cli::coverage::Args),
    /// Road graphs from OpenStreetMap extracts, for travel times along roads.
    Roads(cli::roads::Args),
    /// Regenerate the demo dataset in data/demo/ (fixed seed, reproducible).
    Demo(cli::demo::Args),
    /// Administration: officer tokens.
    Admin(cli::admin::Args),
    /// Databases: copy everything between SQLite and PostgreSQL.
    Db(cli::db::Args),
}

/// Restores the default action of SIGPIPE (end the process quietly), which Rust's runtime
/// sets to "ignore": a command whose reader goes away (`nuanxin nearest … | head`) then ends
/// like any Unix tool instead of panicking on the failed write. Not for `serve`, whose log
/// output must never end the server.
fn quiet_on_closed_pipe() {
    sigpipe::reset();
}

/// Parses the arguments with clap localised for `lang` (`cli::clap_zh`): help and version go
/// to stdout with exit code 0; an argument error is rendered through the message catalogue
/// in Chinese (clap's own English text with `--lang en`) with exit code 2, as clap does.
fn parse(
    args: Vec<std::ffi::OsString>,
    lang: cli::lang::Lang,
) -> Result<Cli, std::process::ExitCode> {
    let mut cmd = cli::clap_zh::localize(Cli::command(), lang);
    let parsed = cmd
        .try_get_matches_from_mut(args)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    match parsed {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let e = e.with_cmd(&cmd);
            match (lang, cli::clap_zh::render_error(&e, &cmd)) {
                (cli::lang::Lang::Zh, Some(text)) => {
                    eprint!("{text}");
                    Err(std::process::ExitCode::from(2))
                }
                (cli::lang::Lang::Zh, None) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
                    // Chinese help with full-width colons after its headings.
                    print!(
                        "{}",
                        cli::clap_zh::full_width_headings(&e.render().to_string())
                    );
                    Err(std::process::ExitCode::SUCCESS)
                }
                _ => {
                    // Help, version, or English: clap's own output and exit code.
                    let code = e.exit_code();
                    let _ = e.print();
                    Err(std::process::ExitCode::from(code.clamp(0, 255) as u8))
                }
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = cli::lang::from_args_and_env(&args);
    cli::lang::set(lang);
    let cli = match parse(args, lang) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    debug_assert_eq!(cli.lang, cli::lang::current());
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    let result = match cli.command {
        Command::Serve(a) => cli::serve::run(a),
        Command::Import(a) => cli::import::run(a),
        Command::Nearest(a) => cli::nearest::run(a),
        Command::Coverage(a) => cli::coverage::run(a),
        Command::Roads(a) => cli::roads::run(a),
        Command::Demo(a) => cli::demo::run(a),
        Command::Admin(a) => cli::admin::run(a),
        Command::Db(a) => cli::db::run(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::from(cli::exit::OK),
        Err(e) => {
            let prefix = cli::messages::text(&cli::messages::Msg::ErrorPrefix);
            eprintln!("{prefix}{e:#}");
            std::process::ExitCode::from(cli::exit_code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cli::lang::Lang;

    /// True when `s` holds a CJK unified ideograph (U+4E00..U+9FFF).
    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// Every command and argument whose Chinese description (`zh`) is missing or is the English
    /// one (`en`), by command path.
    fn untranslated(zh: &clap::Command, en: &clap::Command, path: &str, out: &mut Vec<String>) {
        let text =
            |s: Option<&clap::builder::StyledStr>| s.map(ToString::to_string).unwrap_or_default();
        let (about_zh, about_en) = (text(zh.get_about()), text(en.get_about()));
        if about_zh == about_en || !has_han(&about_zh) {
            out.push(format!("{path}: `{about_en}`"));
        }
        let rendered = zh.clone().render_long_help().to_string();
        for english in [
            "[default:",
            "[possible values:",
            "[env:",
            "Possible values:",
        ] {
            if rendered.contains(english) {
                out.push(format!("{path}: `{english}` in its help"));
            }
        }
        for arg in en.get_arguments() {
            let help_en = text(arg.get_help());
            let help_zh = zh
                .get_arguments()
                .find(|a| a.get_id() == arg.get_id())
                .map(|a| text(a.get_help()))
                .unwrap_or_default();
            if help_zh == help_en || !has_han(&help_zh) {
                out.push(format!("{path} {}: `{help_en}`", arg.get_id()));
            }
        }
        for sub in en.get_subcommands() {
            let name = sub.get_name();
            match zh.find_subcommand(name) {
                Some(sub_zh) => untranslated(sub_zh, sub, &format!("{path} {name}"), out),
                None => out.push(format!("{path} {name}: missing")),
            }
        }
    }

    /// Regression (stop 22's note: only 19 arguments had Chinese help, and `roads import`
    /// showed the help of `import`): every command and every argument of `nuanxin … --help`
    /// is described in Chinese by default, not in English with a Chinese word in it.
    #[test]
    fn every_command_and_argument_has_chinese_help() {
        let mut zh = cli::clap_zh::localize(Cli::command(), Lang::Zh);
        let mut en = cli::clap_zh::localize(Cli::command(), Lang::En);
        zh.build();
        en.build();
        let mut missing = Vec::new();
        untranslated(&zh, &en, "nuanxin", &mut missing);
        // clap's own `help` subcommand exists only in English (the Chinese tree disables it).
        missing.retain(|m| !m.ends_with(" help: missing"));
        assert!(
            missing.is_empty(),
            "{} untranslated:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }

    /// The same argument id means different things in different commands: each gets its own
    /// Chinese help (`roads import` is not described as `import`, coverage's `--at` is a time).
    #[test]
    fn chinese_help_follows_the_command() {
        let mut zh = cli::clap_zh::localize(Cli::command(), Lang::Zh);
        zh.build();
        let help = |path: &[&str], id: &str| {
            let mut c = &zh;
            for p in path {
                c = c.find_subcommand(p).unwrap();
            }
            let about = c.get_about().map(ToString::to_string).unwrap_or_default();
            let arg = c
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(ToString::to_string);
            (about, arg.unwrap_or_default())
        };
        let (roads_import, _) = help(&["roads", "import"], "db");
        assert!(roads_import.contains("OpenStreetMap"), "{roads_import}");
        assert!(help(&["coverage"], "at").1.contains("营业"));
        assert!(help(&["nearest"], "at").1.contains("经度"));
        assert!(help(&["nearest"], "crs").1.contains("--lon"));
        assert!(help(&["serve"], "data").1.contains("空数据库"));
    }
}
