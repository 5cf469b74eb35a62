//! Where the CLI's analysis commands (`nearest`, `coverage`) get their service points: the
//! server's database (`--db`), a file (`--data`), or the embedded demo data, said out loud.

use super::messages::{text, Msg};
use anyhow::Context;
use nuanxin::crs::Crs;
use nuanxin::import::{import_file, ImportOptions};
use nuanxin::model::ServicePoint;
use nuanxin::suggestions::Store;
use std::path::Path;

/// Loads the service points: from the database at `db` exactly as `nuanxin serve --db` serves
/// them (a database that holds none is what a first server start seeds with the demo data,
/// so the demo data is used then too), else from `data` (`crs` its coordinate system), else
/// the embedded demo data. Returns the points and a description of their source.
///
/// # Errors
/// A missing database file (never created here: a typo would otherwise analyse an empty,
/// new database), an unreadable database or a data file with errors.
pub fn load(
    db: Option<&Path>,
    data: Option<&Path>,
    crs: Crs,
) -> anyhow::Result<(Vec<ServicePoint>, String)> {
    if let Some(db) = db {
        let shown = nuanxin::suggestions::Location::redacted(db);
        let is_file = matches!(
            nuanxin::suggestions::Location::of(db),
            nuanxin::suggestions::Location::Sqlite(_)
        );
        if is_file && !db.exists() {
            anyhow::bail!(text(&Msg::NoDatabase(&shown)));
        }
        let store = Store::open(db).with_context(|| text(&Msg::OpeningDatabase(&shown)))?;
        let points = store
            .service_points()
            .with_context(|| text(&Msg::ReadingPoints(&shown)))?;
        if points.is_empty() {
            return Ok((
                nuanxin::demo::demo_points(),
                text(&Msg::SourceDbDemo(&shown)),
            ));
        }
        let n = points.len();
        return Ok((points, text(&Msg::SourceDb { db: &shown, n })));
    }
    if let Some(path) = data {
        let opts = ImportOptions {
            crs,
            ..ImportOptions::default()
        };
        let r = import_file(path, &opts)
            .map_err(|e| anyhow::anyhow!(super::messages::import_error(&e)))
            .with_context(|| text(&Msg::LoadingData(&path.display().to_string())))?;
        return Ok((r.points, path.display().to_string()));
    }
    Ok((nuanxin::demo::demo_points(), text(&Msg::SourceDemo)))
}
