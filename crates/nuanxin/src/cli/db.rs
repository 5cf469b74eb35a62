//! `nuanxin db`: databases.
//!
//! ```text
//! nuanxin db copy --from nuanxin.db --to postgres://nuanxin@127.0.0.1/nuanxin
//! nuanxin db copy --from postgres://nuanxin@127.0.0.1/nuanxin --to backup.db [--replace]
//! nuanxin db checksum --db nuanxin.db
//! ```
//!
//! `copy` copies every table (service points, suggestions with their history and photos,
//! supporters, officer tokens as stored, campaigns, the audit log, the salt) in one
//! transaction of the destination, creating its tables if needed, and prints per table the
//! row count and checksum of both sides (see `nuanxin::suggestions::copy`). Running it again
//! changes nothing. Stop the servers writing to the source first, or the two sides differ
//! by what was written meanwhile.

use super::messages::{text, Msg};
use anyhow::{bail, Context};
use nuanxin::suggestions::copy::{checksums, copy_store};
use nuanxin::suggestions::{Location, Store};
use std::path::{Path, PathBuf};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Copy everything from one database to another (SQLite file ⇄ PostgreSQL URL).
    Copy {
        /// Source: a SQLite file (or `sqlite:FILE`) or `postgres://user[:password]@host[:port]/db`.
        #[arg(long)]
        from: PathBuf,
        /// Destination, the same forms; a PostgreSQL database must exist (its tables are
        /// created), a SQLite file is created when missing.
        #[arg(long)]
        to: PathBuf,
        /// Empty every table of the destination first (in the same transaction), e.g. the
        /// demo points a server seeded it with.
        #[arg(long)]
        replace: bool,
    },
    /// Print the row count and checksum of every table (as `copy` prints them).
    Checksum {
        /// The database: a SQLite file or a PostgreSQL URL.
        #[arg(long)]
        db: PathBuf,
    },
}

fn open(db: &Path, must_exist: bool) -> anyhow::Result<Store> {
    let shown = Location::redacted(db);
    if must_exist && matches!(Location::of(db), Location::Sqlite(p) if !p.exists()) {
        bail!(text(&Msg::NoDatabase(&shown)));
    }
    Store::open(db).with_context(|| text(&Msg::OpeningDatabase(&shown)))
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Copy { from, to, replace } => {
            if from == to {
                return Err(super::usage(text(&Msg::SameDatabase)));
            }
            let (src, dst) = (open(&from, true)?, open(&to, false)?);
            let started = std::time::Instant::now();
            let (shown_from, shown_to) = (Location::redacted(&from), Location::redacted(&to));
            let tables = copy_store(&src, &dst, replace).with_context(|| {
                text(&Msg::Copying {
                    from: &shown_from,
                    to: &shown_to,
                })
            })?;
            println!("{}", text(&Msg::CopyFrom(&shown_from)));
            println!("{}", text(&Msg::CopyTo(&shown_to)));
            println!("{}", text(&Msg::CopyHeader));
            for t in &tables {
                println!(
                    "{:<16} {:>9} {} {:>9} {}{}",
                    t.table,
                    t.source_rows,
                    t.source_sha256,
                    t.destination_rows,
                    t.destination_sha256,
                    if t.matches() {
                        String::new()
                    } else {
                        text(&Msg::CopyDiffers)
                    }
                );
            }
            let differ: Vec<&str> = tables
                .iter()
                .filter(|t| !t.matches())
                .map(|t| t.table)
                .collect();
            if !differ.is_empty() {
                bail!(text(&Msg::TablesDiffer(&differ.join(", "))));
            }
            println!(
                "{}",
                text(&Msg::CopyMatch {
                    n: tables.len(),
                    secs: started.elapsed().as_secs_f64(),
                })
            );
            Ok(())
        }
        Command::Checksum { db } => {
            let store = open(&db, true)?;
            for (table, rows, sha) in checksums(&store)? {
                println!("{table:<16} {rows:>9} {sha}");
            }
            Ok(())
        }
    }
}
