//! Importers of service points: GeoJSON, CSV and XLSX, with row-level errors.
//! (stub; the core-library issue fills it in)

use crate::crs::Crs;
use crate::model::{ServiceKind, ServicePoint};
use std::path::Path;

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Coordinate system of the file's positions.
    pub crs: Crs,
    /// Kind for rows that do not say.
    pub default_kind: Option<ServiceKind>,
    /// Keep the valid rows when some are bad (otherwise all-or-nothing).
    pub skip_invalid: bool,
}

/// What an import produced.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Accepted points, WGS-84.
    pub points: Vec<ServicePoint>,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// I/O.
    #[error("cannot read {path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Imports a file, choosing the format by extension (`.geojson`/`.json`, `.csv`, `.xlsx`).
///
/// # Errors
/// [`ImportError`].
pub fn import_file(path: &Path, _options: &ImportOptions) -> Result<ImportReport, ImportError> {
    Err(ImportError::Io {
        path: path.display().to_string(),
        reason: "not implemented".into(),
    })
}
