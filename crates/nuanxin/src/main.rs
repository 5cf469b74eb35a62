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
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let prefix = cli::messages::text(&cli::messages::Msg::ErrorPrefix);
            eprintln!("{prefix}{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
