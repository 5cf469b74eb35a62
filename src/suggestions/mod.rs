//! Suggestions (人民建议): pinned at a place, stored durably, answered and tracked.
//! (stub; the suggestions issue fills it in)

/// Durable storage (SQLite) of suggestions and edited service points.
#[derive(Debug)]
pub struct Store {}

use crate::model::ServicePoint;
use std::path::Path;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(String),
}

impl Store {
    /// Opens (creating and migrating if needed) the database at `path`.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened or migrated.
    pub fn open(_path: &Path) -> Result<Self, StoreError> {
        Ok(Store {})
    }

    /// Every stored service point.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn service_points(&self) -> Result<Vec<ServicePoint>, StoreError> {
        Ok(Vec::new())
    }

    /// Stores `points` as the service points (used to seed an empty database at start).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn replace_service_points(&self, _points: &[ServicePoint]) -> Result<(), StoreError> {
        Ok(())
    }
}
