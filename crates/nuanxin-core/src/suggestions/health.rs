//! [`Store::ping`]: whether the database answers (readiness checks).

use super::{Store, StoreError};

impl Store {
    /// Runs one cheap query (reads the schema version): `Ok` when the database answers.
    ///
    /// # Errors
    /// [`StoreError`] when it does not (on PostgreSQL, `StoreError::Unavailable` for a lost
    /// or refused connection).
    pub fn ping(&self) -> Result<(), StoreError> {
        self.schema_version().map(|_| ())
    }
}
