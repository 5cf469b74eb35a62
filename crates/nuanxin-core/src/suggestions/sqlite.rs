//! The SQLite engine of the store (rusqlite, bundled SQLite).
//!
//! Durability: the database runs in WAL mode with `synchronous=FULL`, so a transaction that
//! returned from `COMMIT` has been fsync'ed to the WAL and survives `kill -9` and an OS
//! crash (SQLite docs, "PRAGMA synchronous": FULL in WAL mode syncs the WAL on every
//! commit).
//!
//! Concurrency: one writing connection and one read-only connection, each behind a mutex
//! (in WAL mode a reader sees the last committed state and never waits for a writer).
//!
//! Checkpoints: by default SQLite copies the WAL back into the database file (and fsyncs it)
//! inside the `COMMIT` that takes the WAL past 1 000 pages, so one commit in a few hundred
//! pays for all of them (issue 16: a point edit's tail of 300 ms at 1M points).
//! [`Sqlite::checkpoint_in_background`] (the server) moves that work to a thread of its own
//! with its own connection: `PRAGMA wal_checkpoint(PASSIVE)`, which neither waits for nor
//! blocks readers and writers (SQLite docs, "Write-Ahead Logging", §Checkpointing). Each
//! commit still fsyncs the WAL before it returns, so durability is unchanged.
//!
//! Migrations: `PRAGMA user_version` records how many scripts have run.

use super::sql::ValueRef as BorrowedValue;
use super::sql::{Conn, Engine, Row, Value};
use super::store::Migration;
use super::StoreError;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let kind = match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::unavailable,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::corrupt,
            Some(ErrorCode::ConstraintViolation) => StoreError::constraint,
            _ => StoreError::database,
        };
        kind("SQLite").caused_by(e)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bytes(b) => ValueRef::Blob(b),
        }))
    }
}

/// A SQLite connection (or a transaction open on it) as a [`Conn`]. Statements are
/// prepared once and cached per connection.
pub(crate) struct SqliteConn<'a>(pub &'a Connection);

impl Conn for SqliteConn<'_> {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut out = Vec::new();
        self.query_each(sql, params, &mut |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    fn query_each_ref(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&[BorrowedValue<'_>]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            // The values borrow from this row only: one small list per row (the allocator
            // hands the same block back each time), never a copy of a text or blob.
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match r.get_ref(i)? {
                    ValueRef::Null => BorrowedValue::Null,
                    ValueRef::Integer(v) => BorrowedValue::Int(v),
                    ValueRef::Real(v) => BorrowedValue::Real(v),
                    ValueRef::Text(t) => BorrowedValue::Text(
                        std::str::from_utf8(t)
                            .map_err(|e| StoreError::corrupt(format!("column {i}")).caused_by(e))?,
                    ),
                    ValueRef::Blob(b) => BorrowedValue::Bytes(b),
                });
            }
            f(&values)?;
        }
        Ok(())
    }

    fn query_each(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.query_each_ref(sql, params, &mut |values| {
            f(Row(values.iter().map(|v| Value::from(*v)).collect()))
        })
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.0.execute_batch(sql)?)
    }
}

/// The two connections of a SQLite database.
#[derive(Debug)]
pub(crate) struct Sqlite {
    /// The one writing connection.
    writer: Mutex<Connection>,
    /// A read-only connection: in WAL mode readers do not wait for a writer's fsync.
    reader: Mutex<Connection>,
    /// The database file (the checkpointer opens its own connection).
    path: PathBuf,
    /// Set when this database is dropped: the background checkpointer, if any, ends.
    closed: Arc<AtomicBool>,
}

/// WAL size (bytes) past which the background checkpointer restarts the WAL: 16 MiB, four
/// times the 1 000 pages of SQLite's automatic checkpoints.
const WAL_LIMIT: u64 = 16 << 20;

impl Drop for Sqlite {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
    }
}

impl Sqlite {
    /// Opens (creating and migrating if needed) the database at `path`, in WAL mode with
    /// `synchronous=FULL`.
    pub(crate) fn open(path: &Path, migrations: &[Migration]) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::database(format!(
                "cannot switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(64);
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version as usize > migrations.len() {
            return Err(StoreError::database(format!(
                "{} has schema version {version}, newer than this program ({})",
                path.display(),
                migrations.len()
            )));
        }
        for (i, m) in migrations.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(m.sqlite).map_err(|e| {
                StoreError::database(format!("{}: migration {}", path.display(), i + 1))
                    .caused_by(e)
            })?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        let reader = Connection::open(path)?;
        reader.pragma_update(None, "query_only", "ON")?;
        reader.busy_timeout(std::time::Duration::from_secs(10))?;
        reader.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite {
            writer: Mutex::new(conn),
            reader: Mutex::new(reader),
            path: path.to_path_buf(),
            closed: Arc::default(),
        })
    }

    /// Moves WAL checkpoints off the commit path (see the module docs): a thread with its
    /// own connection runs a passive checkpoint every `every` until this database is
    /// dropped, and the writing connection stops checkpointing when it commits. Without a
    /// thread (it could not be started) nothing changes.
    ///
    /// # Errors
    /// [`StoreError`] when the checkpointer's connection cannot be opened or configured.
    pub(crate) fn checkpoint_in_background(&self, every: Duration) -> Result<(), StoreError> {
        let conn = Connection::open(&self.path)?;
        // the checkpoint's writes to the database file are fsync'ed before the WAL is reused
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let closed = self.closed.clone();
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let started = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !closed.load(Ordering::Acquire) {
                    std::thread::sleep(every);
                    // PASSIVE: copies what no reader still needs, never waits; a failure
                    // (busy, I/O) is retried at the next turn, and the WAL keeps the data.
                    // The next commit after a complete one starts the WAL afresh.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    // Writes without a pause never let a passive checkpoint complete: past
                    // WAL_LIMIT one checkpoint waits for the writer and restarts the WAL.
                    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
                        let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
                    }
                }
            });
        if started.is_ok() {
            Self::lock(&self.writer).pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(())
    }

    fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the read-only connection.
    pub(crate) fn read<T, E>(&self, f: impl FnOnce(&mut dyn Conn) -> Result<T, E>) -> Result<T, E> {
        let conn = Self::lock(&self.reader);
        f(&mut SqliteConn(&conn))
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`): committed when it returns
    /// `Ok`, rolled back when it returns `Err`.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let v = f(&mut SqliteConn(&tx))?; // dropping `tx` rolls back
        tx.commit().map_err(StoreError::from)?;
        Ok(v)
    }

    /// `PRAGMA user_version`.
    pub(crate) fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(Self::lock(&self.reader).pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA name` of the read-only connection (tests).
    #[cfg(test)]
    pub(crate) fn pragma(&self, name: &str) -> Value {
        Self::pragma_of(&self.reader, name)
    }

    /// `PRAGMA name` of the writing connection (tests).
    #[cfg(test)]
    pub(crate) fn writer_pragma(&self, name: &str) -> Value {
        Self::pragma_of(&self.writer, name)
    }

    #[cfg(test)]
    fn pragma_of(conn: &Mutex<Connection>, name: &str) -> Value {
        Self::lock(conn)
            .pragma_query_value(None, name, |r| {
                Ok(match r.get_ref(0)? {
                    ValueRef::Integer(i) => Value::Int(i),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    _ => Value::Null,
                })
            })
            .unwrap_or(Value::Null)
    }
}
