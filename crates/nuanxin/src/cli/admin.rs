//! `nuanxin admin`: officer tokens.
//!
//! ```text
//! nuanxin admin create-token --role officer --adcode 430102 [--adcode 430103] [--name 张三] [--db nuanxin.db]
//! nuanxin admin create-token --role admin --name 管理员
//! nuanxin admin list-tokens [--db ...]
//! nuanxin admin revoke-token --id 3 [--db ...]
//! ```
//!
//! The token is printed once; the database keeps only its SHA-256 hash.

use super::messages::{headers, text, Msg, Table};
use anyhow::{bail, Context};
use nuanxin::suggestions::{OfficerRole, Store};
use std::path::PathBuf;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a bearer token and print it (once).
    CreateToken {
        /// `officer` (answers suggestions of its districts) or `admin` (everything).
        #[arg(long)]
        role: String,
        /// District adcode (county or city) an officer handles; repeat for several.
        #[arg(long = "adcode")]
        adcodes: Vec<String>,
        /// Display name (shown to officers and in the audit log).
        #[arg(long)]
        name: Option<String>,
        /// Database: a SQLite file or a `postgres://` URL (default: `db_path` of the
        /// configuration, `./nuanxin.db`).
        #[arg(long, env = "NUANXIN_DB_PATH")]
        db: Option<PathBuf>,
    },
    /// List tokens (without the secrets).
    ListTokens {
        /// Database: a SQLite file or a `postgres://` URL.
        #[arg(long, env = "NUANXIN_DB_PATH")]
        db: Option<PathBuf>,
    },
    /// Revoke a token by id.
    RevokeToken {
        /// Token id (from list-tokens).
        #[arg(long)]
        id: i64,
        /// Database: a SQLite file or a `postgres://` URL.
        #[arg(long, env = "NUANXIN_DB_PATH")]
        db: Option<PathBuf>,
    },
}

/// Opens the database of `db` (else the configuration's `db_path`). Only `create-token` may
/// create a SQLite file that does not exist (`create`; it says so): the read-only commands
/// refuse it, naming the path (a mistyped `--db` silently created an empty database and listed
/// no tokens, newcomer finding).
fn open(db: Option<PathBuf>, create: bool) -> anyhow::Result<Store> {
    let path = match db {
        Some(p) => p,
        None => nuanxin::server::Config::load(None)
            .map(|c| c.db_path)
            .unwrap_or_else(|_| PathBuf::from("nuanxin.db")),
    };
    // A SQLite path that does not exist yet is created by `Store::open`; say so, because a
    // mistyped --db silently gave a token the server never accepts (newcomer finding, stop 22).
    let new_file = matches!(
        nuanxin::suggestions::Location::of(&path),
        nuanxin::suggestions::Location::Sqlite(p) if !p.exists()
    );
    if new_file && !create {
        let shown = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        bail!(text(&Msg::NoDatabase(&shown.display().to_string())));
    }
    let store = Store::open(&path).with_context(|| {
        text(&Msg::OpeningDatabase(
            &nuanxin::suggestions::Location::redacted(&path),
        ))
    })?;
    let shown = match std::fs::canonicalize(&path) {
        Ok(p) => p.display().to_string(),
        Err(_) => nuanxin::suggestions::Location::redacted(&path),
    };
    eprintln!("{}", text(&Msg::Database(&shown)));
    if new_file {
        eprintln!("{}", text(&Msg::NewDatabase(&shown)));
    }
    Ok(store)
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::CreateToken {
            role,
            adcodes,
            name,
            db,
        } => {
            let role: OfficerRole = role
                .parse()
                .map_err(|e| super::usage(text(&Msg::BadRole(&format!("{e}")))))?;
            let districts = nuanxin::districts::Districts::embedded();
            for a in &adcodes {
                if districts.get(a).is_none() {
                    return Err(super::usage(text(&Msg::UnknownAdcode(a))));
                }
            }
            if role == OfficerRole::Officer && adcodes.is_empty() {
                return Err(super::usage(text(&Msg::OfficerNeedsDistrict)));
            }
            let name = name.unwrap_or_else(|| {
                text(&Msg::DefaultTokenName {
                    role: role.as_str(),
                    districts: &adcodes.join(","),
                })
            });
            let store = open(db, true)?;
            let (o, token) = store.create_token(role, &adcodes, &name)?;
            eprintln!(
                "{}",
                text(&Msg::CreatedToken {
                    id: o.id,
                    role: role.as_str(),
                    name: &name,
                    districts: &adcodes.join(","),
                })
            );
            println!("{token}");
            Ok(())
        }
        Command::ListTokens { db } => {
            let store = open(db, false)?;
            // One header row, then one tab-separated row per token with the same six columns
            // (the revoked column `-` while the token is active), so `cut -f` and spreadsheet
            // imports read every row alike.
            println!("{}", headers(Table::Tokens).join("\t"));
            for o in store.officers()? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.role.as_str(),
                    o.adcodes.join(","),
                    o.name,
                    o.created_at.to_rfc3339(),
                    o.revoked_at
                        .map_or_else(|| "-".to_string(), |t| t.to_rfc3339())
                );
            }
            Ok(())
        }
        Command::RevokeToken { id, db } => {
            let store = open(db, false)?;
            if !store.revoke_token(id)? {
                bail!(text(&Msg::NoActiveToken(id)));
            }
            eprintln!("{}", text(&Msg::RevokedToken(id)));
            Ok(())
        }
    }
}
