//! One module per subcommand: its `Args` (clap) and `run`.

pub mod admin;
pub mod clap_zh;
pub mod coverage;
pub mod db;
pub mod demo;
pub mod files;
pub mod import;
pub mod lang;
pub mod messages;
pub mod nearest;
pub mod points;
pub mod roads;
pub mod serve;
pub mod table;

/// The exit codes of `nuanxin` (the README's table), as clap and most Unix tools use them.
pub mod exit {
    /// The command did its work.
    pub const OK: u8 = 0;
    /// The command could not do its work: a file or database cannot be read or written or
    /// holds bad data, an import was rejected, a check failed.
    pub const FAILED: u8 = 1;
    /// Usage: the arguments are wrong (clap's own errors, and values checked after parsing:
    /// out of range, not understood, a required choice not made).
    pub const USAGE: u8 = 2;
}

/// An argument error found after clap accepted the arguments (`--minutes 0`, `--bbox` with
/// three numbers, an unknown `--adcode`): ends the command with [`exit::USAGE`], as clap's
/// own argument errors do. The text is the message, already in the language in force.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// The speeds of `nuanxin.toml` (`[speeds]`, with the environment's `NUANXIN_SPEEDS__*`),
/// as the server uses them; the defaults without a file.
///
/// # Errors
/// A configuration that does not load (配置有误, the file named once).
pub fn configured_speeds() -> anyhow::Result<nuanxin::travel::Speeds> {
    nuanxin::server::Config::load(None)
        .map(|c| c.speeds)
        .map_err(|e| anyhow::anyhow!(messages::text(&messages::Msg::ConfigError(&e.to_string()))))
}

/// [`Usage`] as the error that ends a command.
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(message.into()))
}

/// The exit code for the error that ended a command: [`exit::USAGE`] when it is (or wraps)
/// a [`Usage`] error, else [`exit::FAILED`].
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<Usage>()) {
        exit::USAGE
    } else {
        exit::FAILED
    }
}
