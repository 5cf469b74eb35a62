//! The store: one interface ([`Store`]) over two engines, SQLite (a file, the default) and
//! PostgreSQL (a server, for several servers sharing one database).
//!
//! The engine is chosen by the location given to [`Store::open`]: a path or `sqlite:PATH`
//! is SQLite; `postgres://…` or `postgresql://…` is PostgreSQL. Every method below is
//! written once, against the engine-neutral layer in [`super::sql`]; the engines differ
//! only in their schema scripts ([`MIGRATIONS`]) and in a few statements matched on
//! [`Engine`] (the spatial look-up of [`Store::nearby_open`], a JSON field, row locks).
//!
//! Durability: every write is one transaction: either all of a suggestion (record,
//! history, photo) is stored or nothing is, and a method returns only after the commit is
//! durable (SQLite: WAL with `synchronous=FULL`, see [`super::sqlite`]; PostgreSQL:
//! `synchronous_commit = on`, see [`super::pg`]).
//!
//! Migrations are numbered scripts, one per engine for each version, applied in order on
//! open (SQLite records the version in `PRAGMA user_version`; PostgreSQL in table
//! `schema_migrations`, under an advisory lock).
//!
//! Callers in async code use `tokio::task::spawn_blocking`.
//!
//! Split by concern: this file opens the store and holds the shared helpers; `suggestions`
//! (submission, reading, listing, support, status changes), `points` (the stored service
//! points), `officers` (tokens and the audit log), `campaigns`, and `migrations` (the schema
//! of both engines) each add their part of [`Store`]'s methods.

use super::cluster::{notify_all_points, notify_points};
use super::pg::Postgres;
use super::sql::{args, Conn, Engine, Row, Value};
use super::sqlite::Sqlite;
use super::{
    Campaign, Category, CollectionPointRef, Contact, ContactKind, OfficerRole, PhotoInfo,
    PublicNote, ReporterRole, Status, StatusChange, Suggestion, SuggestionError,
};
use crate::crs::Crs;
use crate::model::{Bbox, LonLat, ServicePoint};
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use std::path::Path;

mod campaigns;
mod migrations;
mod officers;
mod points;
mod suggestions;

pub use migrations::{Migration, MIGRATIONS};
pub use points::{PointImportCounts, PointImportMode};

/// The error underneath a [`StoreError`]: the driver's (`rusqlite::Error`,
/// `tokio_postgres::Error`), a decoder's (`serde_json::Error`, `FromUtf8Error`) or the OS's
/// (`getrandom::Error`). Boxed because both engines share the variants; downcast to reach the
/// typed error (`e.source()?.downcast_ref::<rusqlite::Error>()`).
pub type StoreCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the store, classified the same way on both engines.
///
/// Each variant holds its `context` (what failed, in our terms: `SQLite`, `PostgreSQL
/// 23505`, `migration 3`, `campaign C1`) and, when another error caused it, that error as
/// its [`source`](std::error::Error::source). The text shown to a user is the whole chain
/// ([`crate::error::report`]: `database error: SQLite: no such table: x`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now: a lost or refused connection, a server shutting
    /// down or read-only (a standby), all connections busy, a SQLite file locked by another
    /// process. Worth retrying later (the server answers 503 with `Retry-After`).
    #[error("database unavailable: {context}")]
    Unavailable {
        /// What failed (names the database, never its password).
        context: String,
        /// The driver's error, when one caused it.
        #[source]
        source: Option<StoreCause>,
    },
    /// The engine refused the statement for another reason (a bug, a full disk, a schema
    /// newer than this program…).
    #[error("database error: {context}")]
    Database {
        /// What failed.
        context: String,
        /// The driver's (or the OS's) error, when one caused it.
        #[source]
        source: Option<StoreCause>,
    },
    /// A uniqueness or reference constraint was violated (the source names the
    /// constraint).
    #[error("constraint violated: {context}")]
    Constraint {
        /// What failed.
        context: String,
        /// The driver's error naming the constraint, when one caused it.
        #[source]
        source: Option<StoreCause>,
    },
    /// A stored row does not decode (a bug or a hand-edited database).
    #[error("corrupt row: {context}")]
    Corrupt {
        /// Which row or column.
        context: String,
        /// The decoder's or driver's error, when one caused it.
        #[source]
        source: Option<StoreCause>,
    },
}

impl StoreError {
    /// [`StoreError::Unavailable`] with `context` and no source.
    pub fn unavailable(context: impl Into<String>) -> Self {
        StoreError::Unavailable {
            context: context.into(),
            source: None,
        }
    }

    /// [`StoreError::Database`] with `context` and no source.
    pub fn database(context: impl Into<String>) -> Self {
        StoreError::Database {
            context: context.into(),
            source: None,
        }
    }

    /// [`StoreError::Constraint`] with `context` and no source.
    pub fn constraint(context: impl Into<String>) -> Self {
        StoreError::Constraint {
            context: context.into(),
            source: None,
        }
    }

    /// [`StoreError::Corrupt`] with `context` and no source.
    pub fn corrupt(context: impl Into<String>) -> Self {
        StoreError::Corrupt {
            context: context.into(),
            source: None,
        }
    }

    /// The same error with `cause` as its source.
    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<StoreCause>) -> Self {
        let (StoreError::Unavailable { source, .. }
        | StoreError::Database { source, .. }
        | StoreError::Constraint { source, .. }
        | StoreError::Corrupt { source, .. }) = &mut self;
        *source = Some(cause.into());
        self
    }

    /// The same error with its context rewritten by `f` (e.g. prefixed with the database's
    /// name); the variant and the source stay.
    #[must_use]
    pub fn map_context(mut self, f: impl FnOnce(String) -> String) -> Self {
        let (StoreError::Unavailable { context, .. }
        | StoreError::Database { context, .. }
        | StoreError::Constraint { context, .. }
        | StoreError::Corrupt { context, .. }) = &mut self;
        *context = f(std::mem::take(context));
        self
    }

    /// What failed, in our terms (without the variant's prefix and the source).
    pub fn context(&self) -> &str {
        match self {
            StoreError::Unavailable { context, .. }
            | StoreError::Database { context, .. }
            | StoreError::Constraint { context, .. }
            | StoreError::Corrupt { context, .. } => context,
        }
    }
}

impl crate::error::Classify for StoreError {
    /// [`StoreError::Unavailable`] is the storage being unreachable (retry shortly); anything
    /// else is internal.
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            StoreError::Unavailable { .. } => crate::error::ErrorClass::StorageUnavailable,
            _ => crate::error::ErrorClass::Internal,
        }
    }
}

/// Rows per transaction when [`Store::fill_point_records`] converts older rows.
const FILL_BATCH: usize = 2000;

/// How long after a suggestion was closed its reporter may reopen it, days.
pub const REOPEN_WINDOW_DAYS: i64 = 90;

/// Durable storage of suggestions, their history and supporters, campaigns, officer
/// tokens, the audit log and the edited service points, in SQLite or PostgreSQL.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    /// Random per-database salt for hashing client IPs (supporters), from `meta`.
    salt: String,
    /// Where answers and status changes are announced (`suggestions::outbox`).
    pub(super) outbox_targets: std::sync::RwLock<std::sync::Arc<super::outbox::OutboxTargets>>,
    /// Bumped after every committed change of what public outputs show of suggestions
    /// (see [`Store::suggestions_generation`]).
    suggestions_generation: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// A validated suggestion ready to store (the server fills it from the request).
#[derive(Debug, Clone)]
pub struct NewSuggestion {
    /// Where, WGS-84.
    pub location: LonLat,
    /// As submitted.
    pub input_location: LonLat,
    /// CRS of `input_location`.
    pub input_crs: Crs,
    /// Category.
    pub category: Category,
    /// Description, byte-exact.
    pub description: String,
    /// Reporter's role.
    pub role: Option<ReporterRole>,
    /// Private contact.
    pub contact: Option<Contact>,
    /// Private email address (already checked by `privacy::parse_email`).
    pub email: Option<String>,
    /// Private given name.
    pub first_name: Option<String>,
    /// Private family name.
    pub last_name: Option<String>,
    /// Campaign id (already validated).
    pub campaign_id: Option<String>,
    /// County adcode.
    pub adcode: Option<String>,
    /// Nearest collection point.
    pub collection_point: Option<CollectionPointRef>,
    /// Stripped photo: media type and bytes.
    pub photo: Option<(String, Vec<u8>)>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
}

/// Filters and paging of [`Store::list_suggestions`].
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only these statuses (empty: all).
    pub statuses: Vec<Status>,
    /// Only these categories (empty: all).
    pub categories: Vec<Category>,
    /// Only these county adcodes (empty: all). A city adcode should be expanded by the caller.
    pub adcodes: Vec<String>,
    /// Only inside this box.
    pub bbox: Option<Bbox>,
    /// Only of this campaign.
    pub campaign_id: Option<String>,
    /// Only submitted at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only submitted before.
    pub until: Option<DateTime<Utc>>,
    /// Only these ids (empty: all).
    pub ids: Vec<String>,
    /// Skip loading the histories (their `history` stays empty): for KPIs over many rows.
    pub without_history: bool,
    /// Page size (0 = no limit).
    pub limit: usize,
    /// Items to skip.
    pub offset: usize,
}

impl ListQuery {
    /// Restricts the query to the districts `officer` handles (admins: unchanged): the
    /// requested counties that are theirs, or all their counties when none were requested.
    /// Returns false when nothing requested is theirs (the caller answers 403), leaving
    /// the query matching nothing.
    pub fn restrict_to(&mut self, officer: &Officer) -> bool {
        if officer.role == OfficerRole::Admin {
            return true;
        }
        let districts = crate::districts::Districts::embedded();
        let mine: Vec<String> = officer
            .adcodes
            .iter()
            .flat_map(|a| districts.county_adcodes(a).unwrap_or_default())
            .collect();
        self.adcodes = if self.adcodes.is_empty() {
            mine
        } else {
            std::mem::take(&mut self.adcodes)
                .into_iter()
                .filter(|a| mine.contains(a))
                .collect()
        };
        !self.adcodes.is_empty()
    }
}

/// Result of a "me too".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupportOutcome {
    /// Supporters now.
    pub supporters: u32,
    /// False when this client had already supported it (nothing changed).
    pub counted: bool,
}

/// A bearer-token holder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Officer {
    /// Token id.
    pub id: i64,
    /// Role.
    pub role: OfficerRole,
    /// Districts (county or city adcodes) an officer handles; ignored for admins.
    pub adcodes: Vec<String>,
    /// Display name (shown to officers only).
    pub name: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Revoked at, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Officer {
    /// Whether this officer handles things in county `adcode` (admins: everything; officers:
    /// their counties and the counties of their cities; nothing without an adcode).
    pub fn handles(&self, adcode: Option<&str>) -> bool {
        if self.role == OfficerRole::Admin {
            return true;
        }
        let Some(a) = adcode else { return false };
        let parent = crate::districts::Districts::embedded()
            .get(a)
            .and_then(|d| d.parent_adcode.clone());
        self.adcodes
            .iter()
            .any(|o| o == a || parent.as_deref() == Some(o.as_str()))
    }
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Token id (`None` for the command line).
    pub actor_id: Option<i64>,
    /// Token name or `cli`.
    pub actor_name: String,
    /// What, e.g. `suggestion.status`, `point.upsert`.
    pub action: String,
    /// On what (an id).
    pub target: String,
    /// Details (JSON text).
    pub detail: String,
}

pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(super) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// SHA-256 hex digest of `s`.
pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `n` random bytes from the OS, hex-encoded.
pub(crate) fn random_hex(n: usize) -> Result<String, StoreError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| StoreError::database("no randomness").caused_by(e))?;
    Ok(hex::encode(b))
}

/// A tracking id `S` + UTC date + `-` + 6 Crockford base-32 characters (30 random bits).
fn tracking_id(at: DateTime<Utc>) -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| StoreError::database("no randomness").caused_by(e))?;
    let tail: String = b
        .iter()
        .map(|v| ALPHABET[(*v & 31) as usize] as char)
        .collect();
    Ok(format!("S{}-{tail}", at.format("%Y%m%d")))
}

const SUGGESTION_COLUMNS: &str = "id, lon, lat, input_lon, input_lat, input_crs, category, description, role, \
     contact_kind, contact_value, campaign_id, adcode, collection_point_id, collection_point_name, \
     collection_point_distance_m, photo_type, length(photo), status, supporters, created_at, updated_at, \
     first_answer_at, resolved_at, duplicate_of, department, contact_email, contact_first_name, \
     contact_last_name";

fn corrupt(what: &str, e: impl Into<StoreCause>) -> StoreError {
    StoreError::corrupt(what).caused_by(e)
}

fn row_to_suggestion(r: &Row) -> Result<Suggestion, StoreError> {
    let parse_ll = |lon: f64, lat: f64| LonLat::new(lon, lat).map_err(|e| corrupt("location", e));
    let id: String = r.get(0)?;
    let category: String = r.get(6)?;
    let role: Option<String> = r.get(8)?;
    let contact_kind: Option<String> = r.get(9)?;
    let contact_value: Option<String> = r.get(10)?;
    let status: String = r.get(18)?;
    let crs: String = r.get(5)?;
    let cp_id: Option<String> = r.get(13)?;
    let photo_type: Option<String> = r.get(16)?;
    let photo_size: Option<i64> = r.get(17)?;
    let what = |field: &str| format!("suggestion {id}: {field}");
    Ok(Suggestion {
        location: parse_ll(r.get(1)?, r.get(2)?)?,
        input_location: parse_ll(r.get(3)?, r.get(4)?)?,
        input_crs: crs.parse().map_err(|e| corrupt(&what("crs"), e))?,
        category: category
            .parse()
            .map_err(|e| corrupt(&what("category"), e))?,
        description: r.get(7)?,
        role: role
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| corrupt(&what("role"), e))?,
        contact: match (contact_kind.as_deref(), contact_value) {
            (Some("phone"), Some(value)) => Some(Contact {
                kind: ContactKind::Phone,
                value,
            }),
            (Some("wechat"), Some(value)) => Some(Contact {
                kind: ContactKind::Wechat,
                value,
            }),
            (Some("email"), Some(value)) => Some(Contact {
                kind: ContactKind::Email,
                value,
            }),
            _ => None,
        },
        campaign_id: r.get(11)?,
        adcode: r.get(12)?,
        collection_point: match cp_id {
            Some(id) => Some(CollectionPointRef {
                id,
                name: r.get::<Option<String>>(14)?.unwrap_or_default(),
                distance_m: r.get::<Option<f64>>(15)?.unwrap_or(0.0),
            }),
            None => None,
        },
        photo: photo_type.map(|media_type| PhotoInfo {
            media_type,
            size_bytes: photo_size.unwrap_or(0) as u64,
        }),
        status: status.parse().map_err(|e| corrupt(&what("status"), e))?,
        supporters: r.get::<i64>(19)? as u32,
        created_at: from_ms(r.get(20)?),
        updated_at: from_ms(r.get(21)?),
        first_answer_at: r.get::<Option<i64>>(22)?.map(from_ms),
        resolved_at: r.get::<Option<i64>>(23)?.map(from_ms),
        duplicate_of: r.get(24)?,
        department: r.get(25)?,
        email: r.get(26)?,
        first_name: r.get(27)?,
        last_name: r.get(28)?,
        history: Vec::new(),
        id,
    })
}

/// The engine a store location names: `postgres://…` / `postgresql://…` → PostgreSQL;
/// `sqlite:PATH` (also `sqlite://PATH`) or a plain path → SQLite.
pub enum Location<'a> {
    /// A SQLite file.
    Sqlite(&'a Path),
    /// A PostgreSQL URL.
    Postgres(&'a str),
}

impl<'a> Location<'a> {
    /// The location for messages: a path as given, a PostgreSQL URL without its password.
    pub fn redacted(location: &Path) -> String {
        match Location::of(location) {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => super::pg::parse_url(url)
                .map(|c| super::pg::describe(&c))
                .unwrap_or_else(|_| "an invalid PostgreSQL URL".into()),
        }
    }

    /// Classifies `location` (see [`Location`]).
    pub fn of(location: &'a Path) -> Self {
        match location.to_str() {
            Some(s) if s.starts_with("postgres://") || s.starts_with("postgresql://") => {
                Location::Postgres(s)
            }
            Some(s) if s.starts_with("sqlite:") => {
                let p = s.trim_start_matches("sqlite:");
                let p = p.strip_prefix("//").unwrap_or(p);
                Location::Sqlite(Path::new(p))
            }
            _ => Location::Sqlite(location),
        }
    }
}

impl Store {
    /// Opens (creating and migrating if needed) the store at `location`: a SQLite file
    /// (a path or `sqlite:PATH`; WAL mode, `synchronous=FULL`) or a PostgreSQL database
    /// (`postgres://user[:password]@host[:port]/database[?connect_timeout=5&…]`, the
    /// libpq URL form; the database must exist, its tables are created here).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be opened or migrated; the message names
    /// it (a PostgreSQL URL without its password).
    pub fn open(location: &Path) -> Result<Self, StoreError> {
        match Location::of(location) {
            Location::Sqlite(path) => Self::with(Backend::Sqlite(Sqlite::open(path, MIGRATIONS)?)),
            Location::Postgres(url) => Self::open_postgres(super::pg::parse_url(url)?),
        }
    }

    /// Opens the PostgreSQL database of `config` (see [`Store::open`]).
    ///
    /// # Errors
    /// As [`Store::open`].
    #[doc(hidden)]
    pub fn open_postgres(config: tokio_postgres::Config) -> Result<Self, StoreError> {
        Self::with(Backend::Postgres(Postgres::open(config, MIGRATIONS)?))
    }

    /// Moves SQLite's WAL checkpoints from the commits to a background thread that runs one
    /// every `every` (see `suggestions::sqlite`): for a long-running server, whose commits
    /// (point edits, suggestions) then never pay for a checkpoint. Durability is unchanged:
    /// every commit still fsyncs the WAL. PostgreSQL checkpoints on its own: nothing to do.
    ///
    /// # Errors
    /// [`StoreError`] when the checkpointer's connection cannot be opened.
    pub fn checkpoint_in_background(&self, every: std::time::Duration) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(db) => db.checkpoint_in_background(every),
            Backend::Postgres(_) => Ok(()),
        }
    }

    fn with(backend: Backend) -> Result<Self, StoreError> {
        let mut store = Store {
            backend,
            salt: String::new(),
            outbox_targets: Default::default(),
            suggestions_generation: Default::default(),
        };
        store.salt = store.write(|c| {
            let get =
                |c: &mut dyn Conn| c.query_opt("SELECT value FROM meta WHERE key = 'salt'", &[]);
            if let Some(r) = get(c)? {
                return r.get(0);
            }
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('salt', ?1) ON CONFLICT (key) DO NOTHING",
                &args![random_hex(32)?],
            )?;
            get(c)?
                .ok_or_else(|| StoreError::corrupt("meta: no salt"))?
                .get(0)
        })?;
        store.fill_point_records()?;
        Ok(store)
    }

    /// Gives every service point stored by an older version (or by an older server sharing
    /// the database) its typed columns and binary record, [`FILL_BATCH`] rows per
    /// transaction; returns how many rows were converted. Cheap when there is nothing to
    /// do: the rows are found through a partial index of those without a record. A row
    /// whose JSON does not decode is left as it is (reading it reports it).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn fill_point_records(&self) -> Result<usize, StoreError> {
        let mut after = String::new();
        let mut done = 0;
        loop {
            let rows = self.read(|c| {
                c.query(
                    "SELECT id, json FROM service_points WHERE record IS NULL AND id > ?1 \
                     ORDER BY id LIMIT ?2",
                    &args![&after, FILL_BATCH as i64],
                )
            })?;
            let Some(last) = rows.last() else {
                return Ok(done);
            };
            after = last.get(0)?;
            let points: Vec<ServicePoint> = rows
                .iter()
                .filter_map(|r| serde_json::from_str(&r.get::<String>(1).ok()?).ok())
                .collect();
            done += self.write(|c| {
                let mut n = 0;
                for p in &points {
                    n += c.execute(
                        "UPDATE service_points SET kind = ?2, lon = ?3, lat = ?4, record = ?5 \
                         WHERE id = ?1 AND record IS NULL",
                        &args![
                            &p.id,
                            p.kind.as_str(),
                            p.location.lon,
                            p.location.lat,
                            p.to_record()
                        ],
                    )?;
                }
                Ok::<_, StoreError>(n as usize)
            })?;
        }
    }

    /// A fresh, empty store for a test: a new database on the PostgreSQL server of the
    /// environment variable `NUANXIN_TEST_DATABASE_URL` when it is set (e.g.
    /// `postgres://postgres@127.0.0.1:5432/postgres`; each call creates its own database,
    /// so tests stay independent and run in parallel), else SQLite file `t.db` in `dir`.
    ///
    /// # Errors
    /// [`StoreError`].
    #[doc(hidden)]
    pub fn open_for_test(dir: &Path) -> Result<Self, StoreError> {
        match std::env::var("NUANXIN_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let name = format!("nuanxin_test_{}_{}", std::process::id(), random_hex(6)?);
                Self::open_postgres(super::pg::create_database(&url, &name)?)
            }
            _ => Self::open(&dir.join("t.db")),
        }
    }

    /// The database's secret salt (hashes of client addresses, derived receipts).
    pub(crate) fn salt(&self) -> &str {
        &self.salt
    }

    /// The engine of this store.
    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// Runs `f` on a reading connection (SQLite: the read-only one; PostgreSQL: a pooled
    /// session, each statement its own transaction).
    pub(crate) fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(db) => db.read(f),
            Backend::Postgres(db) => db.read(f),
        }
    }

    /// Runs `f` in one write transaction: committed (durably) when it returns `Ok`, rolled
    /// back when it returns `Err`.
    pub(crate) fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &self.backend {
            Backend::Sqlite(db) => db.write(f),
            Backend::Postgres(db) => db.write(f),
        }
    }

    /// Like [`Store::write`] for a change of the suggestions (a new one, a status change, a
    /// "me too", a merge, a redaction, a department): bumps
    /// [`Store::suggestions_generation`] once the transaction is committed, whatever it returns.
    pub(crate) fn write_suggestions<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let r = self.write(f);
        self.suggestions_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        r
    }

    /// A counter of the changes to suggestions made through this `Store` (this process):
    /// equal values mean no suggestion changed here in between, so caches of derived
    /// answers (the suggestion vector tiles) put it in their keys. Changes made by another
    /// server on the same PostgreSQL database are not counted: such caches must also
    /// expire by time (see the server's `vector_tiles` module).
    pub fn suggestions_generation(&self) -> u64 {
        self.suggestions_generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The schema version (the number of [`MIGRATIONS`] applied).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match &self.backend {
            Backend::Sqlite(db) => db.schema_version(),
            Backend::Postgres(db) => db.schema_version(),
        }
    }
}

pub(super) fn audit_tx(
    c: &mut dyn Conn,
    at: DateTime<Utc>,
    actor: Option<&Officer>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &args![
            ms(at),
            actor.map(|a| a.id),
            actor.map(|a| a.name.as_str()).unwrap_or("cli"),
            action,
            target,
            detail
        ],
    )?;
    Ok(())
}

pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
