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

/// Errors of the store, classified the same way on both engines.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now: a lost or refused connection, a server shutting
    /// down or read-only (a standby), all connections busy, a SQLite file locked by another
    /// process. Worth retrying later (the server answers 503 with `Retry-After`).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The engine refused the statement for another reason (a bug, a full disk, a schema
    /// newer than this program…).
    #[error("database error: {0}")]
    Database(String),
    /// A uniqueness or reference constraint was violated (the message names the
    /// constraint).
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A stored row does not decode (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl crate::error::Classify for StoreError {
    /// [`StoreError::Unavailable`] is the storage being unreachable (retry shortly); anything
    /// else is internal.
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            StoreError::Unavailable(_) => crate::error::ErrorClass::StorageUnavailable,
            _ => crate::error::ErrorClass::Internal,
        }
    }
}

/// One schema version: the script for each engine. Scripts of the same version create the
/// same tables and columns (engine types differ: see [`super::sql`]), so data copies
/// between engines row by row.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// SQLite script.
    pub sqlite: &'static str,
    /// PostgreSQL script.
    pub postgres: &'static str,
}

/// The schema, one [`Migration`] per version, applied in order.
pub const MIGRATIONS: &[Migration] = &[
    // 1: everything
    Migration {
        sqlite: "
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE service_points (
        id TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE suggestions (
        id TEXT PRIMARY KEY,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        input_lon REAL NOT NULL,
        input_lat REAL NOT NULL,
        input_crs TEXT NOT NULL,
        category TEXT NOT NULL,
        description TEXT NOT NULL,
        role TEXT,
        contact_kind TEXT,
        contact_value TEXT,
        campaign_id TEXT REFERENCES campaigns(id),
        adcode TEXT,
        collection_point_id TEXT,
        collection_point_name TEXT,
        collection_point_distance_m REAL,
        photo BLOB,
        photo_type TEXT,
        status TEXT NOT NULL,
        supporters INTEGER NOT NULL DEFAULT 0,
        receipt_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        first_answer_at INTEGER,
        resolved_at INTEGER
    );
    CREATE INDEX suggestions_status_category ON suggestions(status, category);
    CREATE INDEX suggestions_adcode ON suggestions(adcode);
    CREATE INDEX suggestions_lat_lon ON suggestions(lat, lon);
    CREATE INDEX suggestions_created ON suggestions(created_at);
    CREATE TABLE status_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        suggestion_id TEXT NOT NULL REFERENCES suggestions(id),
        from_status TEXT,
        to_status TEXT NOT NULL,
        note TEXT NOT NULL,
        officer_id INTEGER,
        at INTEGER NOT NULL
    );
    CREATE INDEX status_changes_suggestion ON status_changes(suggestion_id, seq);
    CREATE TABLE supports (
        suggestion_id TEXT NOT NULL REFERENCES suggestions(id),
        client_hash TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (suggestion_id, client_hash)
    );
    CREATE TABLE officer_tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        adcodes TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_id INTEGER,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    ",
        postgres: r#"
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE service_points (
        id text COLLATE "C" PRIMARY KEY,
        json text NOT NULL,
        updated_at bigint NOT NULL
    );
    CREATE TABLE campaigns (
        id text COLLATE "C" PRIMARY KEY,
        json text NOT NULL,
        created_at bigint NOT NULL
    );
    CREATE TABLE suggestions (
        id text COLLATE "C" PRIMARY KEY,
        lon double precision NOT NULL,
        lat double precision NOT NULL,
        input_lon double precision NOT NULL,
        input_lat double precision NOT NULL,
        input_crs text NOT NULL,
        category text NOT NULL,
        description text NOT NULL,
        role text,
        contact_kind text,
        contact_value text,
        campaign_id text REFERENCES campaigns(id),
        adcode text,
        collection_point_id text,
        collection_point_name text,
        collection_point_distance_m double precision,
        photo bytea,
        photo_type text,
        status text NOT NULL,
        supporters bigint NOT NULL DEFAULT 0,
        receipt_hash text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        first_answer_at bigint,
        resolved_at bigint
    );
    CREATE INDEX suggestions_status_category ON suggestions(status, category);
    CREATE INDEX suggestions_adcode ON suggestions(adcode);
    CREATE INDEX suggestions_lat_lon ON suggestions(lat, lon);
    CREATE INDEX suggestions_created ON suggestions(created_at);
    CREATE TABLE status_changes (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        suggestion_id text NOT NULL REFERENCES suggestions(id),
        from_status text,
        to_status text NOT NULL,
        note text NOT NULL,
        officer_id bigint,
        at bigint NOT NULL
    );
    CREATE INDEX status_changes_suggestion ON status_changes(suggestion_id, seq);
    CREATE TABLE supports (
        suggestion_id text NOT NULL REFERENCES suggestions(id),
        client_hash text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (suggestion_id, client_hash)
    );
    CREATE TABLE officer_tokens (
        id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        token_hash text NOT NULL UNIQUE,
        role text NOT NULL,
        adcodes text NOT NULL,
        name text NOT NULL,
        created_at bigint NOT NULL,
        revoked_at bigint
    );
    CREATE TABLE audit_log (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        actor_id bigint,
        actor_name text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        detail text NOT NULL
    );
    "#,
    },
    // 2: a spatial index of the open suggestions, for nearby and duplicate look-ups.
    // SQLite: the R*Tree module (bounding boxes stored as 32-bit floats rounded outward,
    // so a box query never misses a row), kept in step with `suggestions` by triggers.
    // PostgreSQL: a partial B-tree on (category, lat, lon) of the open rows.
    Migration {
        sqlite: "
    CREATE VIRTUAL TABLE suggestions_open_rtree USING rtree(
        id, min_lon, max_lon, min_lat, max_lat, +category TEXT
    );
    INSERT INTO suggestions_open_rtree (id, min_lon, max_lon, min_lat, max_lat, category)
        SELECT rowid, lon, lon, lat, lat, category FROM suggestions
        WHERE status IN ('submitted','accepted','in_progress');
    CREATE TRIGGER suggestions_open_rtree_insert AFTER INSERT ON suggestions
        WHEN NEW.status IN ('submitted','accepted','in_progress')
    BEGIN
        INSERT INTO suggestions_open_rtree (id, min_lon, max_lon, min_lat, max_lat, category)
        VALUES (NEW.rowid, NEW.lon, NEW.lon, NEW.lat, NEW.lat, NEW.category);
    END;
    CREATE TRIGGER suggestions_open_rtree_update
        AFTER UPDATE OF status, lon, lat, category ON suggestions
    BEGIN
        DELETE FROM suggestions_open_rtree WHERE id = OLD.rowid;
        INSERT INTO suggestions_open_rtree (id, min_lon, max_lon, min_lat, max_lat, category)
        SELECT NEW.rowid, NEW.lon, NEW.lon, NEW.lat, NEW.lat, NEW.category
        WHERE NEW.status IN ('submitted','accepted','in_progress');
    END;
    CREATE TRIGGER suggestions_open_rtree_delete AFTER DELETE ON suggestions
    BEGIN
        DELETE FROM suggestions_open_rtree WHERE id = OLD.rowid;
    END;
    ",
        postgres: "
    CREATE INDEX suggestions_open_category_lat_lon ON suggestions (category, lat, lon)
        WHERE status IN ('submitted','accepted','in_progress');
    ",
    },
    // 3: many servers on one database (`suggestions::cluster`): idempotency keys of
    // submissions (unique when given) and the shared submission rate limit (GCRA buckets).
    Migration {
        sqlite: "
    ALTER TABLE suggestions ADD COLUMN idempotency_key_hash TEXT;
    ALTER TABLE suggestions ADD COLUMN request_hash TEXT;
    CREATE UNIQUE INDEX suggestions_idempotency_key ON suggestions(idempotency_key_hash)
        WHERE idempotency_key_hash IS NOT NULL;
    CREATE TABLE rate_limits (key TEXT PRIMARY KEY, tat_ms INTEGER NOT NULL);
    ",
        postgres: "
    ALTER TABLE suggestions ADD COLUMN idempotency_key_hash text;
    ALTER TABLE suggestions ADD COLUMN request_hash text;
    CREATE UNIQUE INDEX suggestions_idempotency_key ON suggestions(idempotency_key_hash)
        WHERE idempotency_key_hash IS NOT NULL;
    CREATE TABLE rate_limits (key text PRIMARY KEY, tat_ms bigint NOT NULL);
    ",
    },
    // 4: following and triage (issue 14): the short receipt code (hashed), duplicate
    // of, department (on the suggestion and on each answer), and redactions keeping the
    // original text or photo for admins. `duplicate_of` has no foreign key, so that
    // `db copy` may copy suggestions in key order; the store checks it.
    Migration {
        sqlite: "
    ALTER TABLE suggestions ADD COLUMN code_hash TEXT;
    ALTER TABLE suggestions ADD COLUMN duplicate_of TEXT;
    ALTER TABLE suggestions ADD COLUMN department TEXT;
    ALTER TABLE status_changes ADD COLUMN department TEXT;
    CREATE INDEX suggestions_duplicate_of ON suggestions(duplicate_of);
    CREATE TABLE redactions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        suggestion_id TEXT NOT NULL REFERENCES suggestions(id),
        field TEXT NOT NULL,
        reason TEXT NOT NULL,
        original_text TEXT,
        original_photo BLOB,
        original_photo_type TEXT,
        officer_id INTEGER,
        at INTEGER NOT NULL
    );
    CREATE INDEX redactions_suggestion ON redactions(suggestion_id, seq);
    ",
        postgres: "
    ALTER TABLE suggestions ADD COLUMN code_hash text;
    ALTER TABLE suggestions ADD COLUMN duplicate_of text;
    ALTER TABLE suggestions ADD COLUMN department text;
    ALTER TABLE status_changes ADD COLUMN department text;
    CREATE INDEX suggestions_duplicate_of ON suggestions(duplicate_of);
    CREATE TABLE redactions (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        suggestion_id text NOT NULL REFERENCES suggestions(id),
        field text NOT NULL,
        reason text NOT NULL,
        original_text text,
        original_photo bytea,
        original_photo_type text,
        officer_id bigint,
        at bigint NOT NULL
    );
    CREATE INDEX redactions_suggestion ON redactions(suggestion_id, seq);
    ",
    },
    // 5: nationwide volumes (issue 16): each service point also as typed columns (kind,
    // lon, lat, for SQL) and as a compact binary record (`ServicePoint::to_record`), which a
    // restart decodes instead of the JSON text. Rows of older versions get them on the next
    // open (`Store::fill_point_records`, found through the partial index of rows without a
    // record); until then they are read from their JSON.
    Migration {
        sqlite: "
    ALTER TABLE service_points ADD COLUMN kind TEXT;
    ALTER TABLE service_points ADD COLUMN lon REAL;
    ALTER TABLE service_points ADD COLUMN lat REAL;
    ALTER TABLE service_points ADD COLUMN record BLOB;
    CREATE INDEX service_points_kind ON service_points(kind);
    CREATE INDEX service_points_without_record ON service_points(id) WHERE record IS NULL;
    ",
        postgres: "
    ALTER TABLE service_points ADD COLUMN kind text;
    ALTER TABLE service_points ADD COLUMN lon double precision;
    ALTER TABLE service_points ADD COLUMN lat double precision;
    ALTER TABLE service_points ADD COLUMN record bytea;
    CREATE INDEX service_points_kind ON service_points(kind);
    CREATE INDEX service_points_without_record ON service_points(id) WHERE record IS NULL;
    ",
    },
];

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
    getrandom::fill(&mut b).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    Ok(hex::encode(b))
}

/// A tracking id `S` + UTC date + `-` + 6 Crockford base-32 characters (30 random bits).
fn tracking_id(at: DateTime<Utc>) -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| StoreError::Database(format!("no randomness: {e}")))?;
    let tail: String = b
        .iter()
        .map(|v| ALPHABET[(*v & 31) as usize] as char)
        .collect();
    Ok(format!("S{}-{tail}", at.format("%Y%m%d")))
}

const SUGGESTION_COLUMNS: &str = "id, lon, lat, input_lon, input_lat, input_crs, category, description, role, \
     contact_kind, contact_value, campaign_id, adcode, collection_point_id, collection_point_name, \
     collection_point_distance_m, photo_type, length(photo), status, supporters, created_at, updated_at, \
     first_answer_at, resolved_at, duplicate_of, department";

fn corrupt(what: &str, v: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {v}"))
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

    fn with(backend: Backend) -> Result<Self, StoreError> {
        let mut store = Store {
            backend,
            salt: String::new(),
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
                .ok_or_else(|| StoreError::Corrupt("meta: no salt".into()))?
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

    // ---------------------------------------------------------------- service points

    /// Every stored service point, sorted by id.
    ///
    /// # Errors
    /// [`StoreError`]; [`StoreError::Corrupt`] names the first undecodable record.
    ///
    /// The rows are streamed ([`Conn::query_each`]) and each binary record
    /// ([`ServicePoint::to_record`]) is decoded as it arrives, so memory holds the points,
    /// not the rows; a row without a record (written by an older version) is decoded from
    /// its JSON text. Figures (records against JSON, 1M points): `examples/restart_load.rs`
    /// and the README, "Nationwide volumes".
    pub fn service_points(&self) -> Result<Vec<ServicePoint>, StoreError> {
        self.service_points_from(PointColumn::Record)
    }

    /// [`Store::service_points`] decoded from the JSON texts only: the baseline of the
    /// restart benchmark (`examples/restart_load.rs`).
    ///
    /// # Errors
    /// As [`Store::service_points`].
    #[doc(hidden)]
    pub fn service_points_from_json(&self) -> Result<Vec<ServicePoint>, StoreError> {
        self.service_points_from(PointColumn::Json)
    }

    fn service_points_from(&self, column: PointColumn) -> Result<Vec<ServicePoint>, StoreError> {
        let sql = match column {
            PointColumn::Record => {
                "SELECT id, record, CASE WHEN record IS NULL THEN json END \
                 FROM service_points ORDER BY id"
            }
            PointColumn::Json => "SELECT id, NULL, json FROM service_points ORDER BY id",
        };
        self.read(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM service_points", &[])?
                .get(0)?;
            let mut points = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            c.query_each(sql, &[], &mut |row| {
                points.push(decode_point_row(row)?);
                Ok(())
            })?;
            Ok(points)
        })
    }

    /// Stores `points` as the service points, replacing all (used to seed an empty database
    /// at start). One transaction.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn replace_service_points(&self, points: &[ServicePoint]) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute("DELETE FROM service_points", &[])?;
            notify_all_points(c)?;
            put_points(c, points, Utc::now()).map(|_| ())
        })
    }

    /// Inserts or replaces many service points (an import) in one transaction, with one
    /// prepared statement and one audit entry (`points.import`, the counts) for the batch:
    /// all or nothing, and durable once it returns (one WAL sync instead of one per point).
    /// Returns how many ids existed before.
    ///
    /// # Errors
    /// [`StoreError`]; nothing is stored then.
    pub fn upsert_service_points(
        &self,
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<usize, StoreError> {
        self.import_points(&[], points, actor)
            .map(|(_, replaced)| replaced)
    }

    /// Replaces every stored point of the given `kinds` (demo or not) by `points`, in one
    /// transaction with one audit entry (`points.replace`, kinds and counts): the import of a
    /// complete list, after which no old point of those kinds is served. Points of other
    /// kinds are kept. Returns how many points were removed.
    ///
    /// # Errors
    /// [`StoreError`]; nothing changes then.
    pub fn replace_service_points_of_kinds(
        &self,
        kinds: &[crate::model::ServiceKind],
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<usize, StoreError> {
        self.import_points(kinds, points, actor)
            .map(|(removed, _)| removed)
    }

    /// One transaction: removes the points of `remove_kinds`, puts `points`, audits
    /// (`points.import`, or `points.replace` when kinds are removed). Returns (removed,
    /// replaced ids).
    fn import_points(
        &self,
        remove_kinds: &[crate::model::ServiceKind],
        points: &[ServicePoint],
        actor: Option<&Officer>,
    ) -> Result<(usize, usize), StoreError> {
        self.write(|c| {
            let now = Utc::now();
            // `kind` is set on every row written since schema version 5; older rows not
            // yet converted (`fill_point_records`) are matched by their JSON.
            let delete = match c.engine() {
                Engine::Sqlite => {
                    "DELETE FROM service_points WHERE kind = ?1 \
                     OR (kind IS NULL AND json_extract(json, '$.kind') = ?1)"
                }
                Engine::Postgres => {
                    "DELETE FROM service_points WHERE kind = ?1 \
                     OR (kind IS NULL AND (json::jsonb ->> 'kind') = ?1)"
                }
            };
            let mut removed = 0;
            for k in remove_kinds {
                removed += c.execute(delete, &args![k.as_str()])? as usize;
            }
            if removed > 0 {
                notify_all_points(c)?;
            }
            let replaced = put_points(c, points, now)?;
            let (action, detail) = if remove_kinds.is_empty() {
                let d = serde_json::json!({ "points": points.len(), "replaced": replaced });
                ("points.import", d)
            } else {
                let kinds: Vec<&str> = remove_kinds.iter().map(|k| k.as_str()).collect();
                let d = serde_json::json!({ "kinds": kinds, "removed": removed, "points": points.len() });
                ("points.replace", d)
            };
            audit_tx(c, now, actor, action, "", &detail.to_string())?;
            Ok((removed, replaced))
        })
    }

    /// Inserts or replaces one service point and writes an audit entry, in one transaction.
    /// Returns true when a point with that id existed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn upsert_service_point(
        &self,
        point: &ServicePoint,
        actor: Option<&Officer>,
    ) -> Result<bool, StoreError> {
        let json = serde_json::to_string(point).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|c| {
            let now = Utc::now();
            let existed = put_points(c, std::slice::from_ref(point), now)? > 0;
            audit_tx(c, now, actor, "point.upsert", &point.id, &json)?;
            Ok(existed)
        })
    }

    /// Deletes one service point (with an audit entry). Returns true if it existed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn delete_service_point(
        &self,
        id: &str,
        actor: Option<&Officer>,
    ) -> Result<bool, StoreError> {
        self.write(|c| {
            let n = c.execute("DELETE FROM service_points WHERE id = ?1", &args![id])?;
            if n > 0 {
                notify_points(c, [id].into_iter())?;
                audit_tx(c, Utc::now(), actor, "point.delete", id, "{}")?;
            }
            Ok(n > 0)
        })
    }

    /// One stored service point.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn service_point(&self, id: &str) -> Result<Option<ServicePoint>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT id, record, CASE WHEN record IS NULL THEN json END \
                 FROM service_points WHERE id = ?1",
                &args![id],
            )
        })?;
        row.map(decode_point_row).transpose()
    }

    // ---------------------------------------------------------------- suggestions

    /// Stores a new suggestion with its first history entry and returns it with the
    /// receipt token (shown once; only its SHA-256 is stored). Returns after the commit is
    /// durable.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn insert_suggestion(&self, n: NewSuggestion) -> Result<(Suggestion, String), StoreError> {
        self.insert_suggestion_with(n, random_hex(24)?, None)
    }

    /// [`Store::insert_suggestion`] with the receipt token given and, for an idempotent
    /// submission, (the key's hash, the request's fingerprint) stored with it (see
    /// `suggestions::cluster`).
    pub(crate) fn insert_suggestion_with(
        &self,
        n: NewSuggestion,
        receipt: String,
        idempotency: Option<(String, String)>,
    ) -> Result<(Suggestion, String), StoreError> {
        let (key_hash, request_hash) = idempotency.unzip();
        let id = self.write(|c| {
            let mut id = tracking_id(n.created_at)?;
            // 30 random bits per day: retry the rare collision
            for _ in 0..8 {
                if !c.exists("SELECT 1 FROM suggestions WHERE id = ?1", &args![&id])? {
                    break;
                }
                id = tracking_id(n.created_at)?;
            }
            let at = ms(n.created_at);
            let (photo_type, photo) = match &n.photo {
                Some((t, b)) => (Some(t.as_str()), Some(b.as_slice())),
                None => (None, None),
            };
            c.execute(
                "INSERT INTO suggestions (id, lon, lat, input_lon, input_lat, input_crs, category, description, role, \
                 contact_kind, contact_value, campaign_id, adcode, collection_point_id, collection_point_name, \
                 collection_point_distance_m, photo, photo_type, status, supporters, receipt_hash, created_at, updated_at, \
                 idempotency_key_hash, request_hash, code_hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 'submitted', 0, ?19, ?20, ?20, ?21, ?22, ?23)",
                &args![
                    &id,
                    n.location.lon,
                    n.location.lat,
                    n.input_location.lon,
                    n.input_location.lat,
                    n.input_crs.as_str(),
                    n.category.as_str(),
                    n.description.as_str(),
                    n.role.map(|r| r.as_str()),
                    n.contact.as_ref().map(|c| match c.kind {
                        ContactKind::Phone => "phone",
                        ContactKind::Wechat => "wechat",
                    }),
                    n.contact.as_ref().map(|c| c.value.as_str()),
                    n.campaign_id.as_deref(),
                    n.adcode.as_deref(),
                    n.collection_point.as_ref().map(|c| c.id.as_str()),
                    n.collection_point.as_ref().map(|c| c.name.as_str()),
                    n.collection_point.as_ref().map(|c| c.distance_m),
                    photo,
                    photo_type,
                    sha256_hex(&receipt),
                    at,
                    key_hash.as_deref(),
                    request_hash.as_deref(),
                    // the short code is derived from the receipt; only its hash is kept
                    super::receipt_code::code_hash(
                        &id,
                        &super::receipt_code::code_of(&receipt)
                    ),
                ],
            )?;
            c.execute(
                "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at) \
                 VALUES (?1, NULL, 'submitted', '', NULL, ?2)",
                &args![&id, at],
            )?;
            Ok::<_, StoreError>(id)
        })?;
        let s = self
            .suggestion(&id)?
            .ok_or_else(|| StoreError::Corrupt(format!("suggestion {id} vanished")))?;
        Ok((s, receipt))
    }

    /// One suggestion with its history.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn suggestion(&self, id: &str) -> Result<Option<Suggestion>, StoreError> {
        self.read(|c| {
            let row = c.query_opt(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?1"),
                &args![id],
            )?;
            match row {
                Some(r) => {
                    let mut s = row_to_suggestion(&r)?;
                    s.history = history(c, id)?;
                    Ok(Some(s))
                }
                None => Ok(None),
            }
        })
    }

    /// The stored photo of a suggestion: media type and bytes.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn photo(&self, id: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT photo_type, photo FROM suggestions WHERE id = ?1 AND photo IS NOT NULL",
                &args![id],
            )
        })?;
        row.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
    }

    /// Whether `token` is the receipt of suggestion `id`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn check_receipt(&self, id: &str, token: &str) -> Result<bool, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT receipt_hash FROM suggestions WHERE id = ?1",
                &args![id],
            )
        })?;
        let h: Option<String> = row.map(|r| r.get(0)).transpose()?;
        Ok(h.is_some_and(|h| constant_time_eq(h.as_bytes(), sha256_hex(token).as_bytes())))
    }

    /// Suggestions matching `q`, newest first, with their histories, and the total count
    /// before paging.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn list_suggestions(&self, q: &ListQuery) -> Result<(Vec<Suggestion>, usize), StoreError> {
        let mut wh: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        // the next numbered placeholder
        fn mark(args: &mut Vec<Value>, v: Value) -> String {
            args.push(v);
            format!("?{}", args.len())
        }
        let in_list =
            |col: &str, mut vals: Vec<String>, wh: &mut Vec<String>, args: &mut Vec<Value>| {
                // a value repeated (`status=open,open,…`) must not grow the statement past
                // the engines' limits on bound variables
                vals.sort_unstable();
                vals.dedup();
                if !vals.is_empty() {
                    let marks: Vec<String> = vals
                        .into_iter()
                        .map(|v| mark(args, Value::Text(v)))
                        .collect();
                    wh.push(format!("{col} IN ({})", marks.join(",")));
                }
            };
        in_list(
            "status",
            q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
            &mut wh,
            &mut args,
        );
        in_list(
            "category",
            q.categories
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            &mut wh,
            &mut args,
        );
        in_list("adcode", q.adcodes.clone(), &mut wh, &mut args);
        in_list("id", q.ids.clone(), &mut wh, &mut args);
        if let Some(c) = &q.campaign_id {
            let m = mark(&mut args, c.into());
            wh.push(format!("campaign_id = {m}"));
        }
        if let Some(t) = q.since {
            let m = mark(&mut args, ms(t).into());
            wh.push(format!("created_at >= {m}"));
        }
        if let Some(t) = q.until {
            let m = mark(&mut args, ms(t).into());
            wh.push(format!("created_at < {m}"));
        }
        if let Some(b) = &q.bbox {
            let (s, n) = (
                mark(&mut args, b.south.into()),
                mark(&mut args, b.north.into()),
            );
            wh.push(format!("lat >= {s} AND lat <= {n}"));
            let (w, e) = (
                mark(&mut args, b.west.into()),
                mark(&mut args, b.east.into()),
            );
            if b.west <= b.east {
                wh.push(format!("lon >= {w} AND lon <= {e}"));
            } else {
                wh.push(format!("({w} <= lon OR lon <= {e})"));
            }
        }
        let where_sql = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        // no limit: the largest (a page past i64::MAX rows is past every row)
        let limit = if q.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(q.limit).unwrap_or(i64::MAX)
        };
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let count_sql = format!("SELECT count(*) FROM suggestions {where_sql}");
        let page_sql = format!(
            "SELECT {SUGGESTION_COLUMNS} FROM suggestions {where_sql} ORDER BY created_at DESC, id DESC LIMIT ?{} OFFSET ?{}",
            args.len() + 1,
            args.len() + 2
        );
        self.read(|c| {
            let total: i64 = c.query_one(&count_sql, &args)?.get(0)?;
            let mut page_args = args.clone();
            page_args.extend([Value::Int(limit), Value::Int(offset)]);
            let mut out = c
                .query(&page_sql, &page_args)?
                .iter()
                .map(row_to_suggestion)
                .collect::<Result<Vec<_>, _>>()?;
            if !q.without_history {
                for s in &mut out {
                    s.history = history(c, &s.id)?;
                }
            }
            Ok((out, total as usize))
        })
    }

    /// `[west, south, east, north]` of all suggestions, WGS-84 degrees; `None` when empty.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn suggestion_extent(&self) -> Result<Option<[f64; 4]>, StoreError> {
        let r = self.read(|c| {
            c.query_one(
                "SELECT min(lon), min(lat), max(lon), max(lat) FROM suggestions",
                &[],
            )
        })?;
        Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
            (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
            _ => None,
        })
    }

    /// Open suggestions (submitted, accepted, in progress) of `category` within `radius_m`
    /// metres (WGS-84 geodesic, inclusive) of `at`, nearest first, with their distances.
    ///
    /// A latitude/longitude window around `at` preselects rows through the spatial index of
    /// open suggestions (schema version 2: SQLite's R*Tree, PostgreSQL's partial B-tree on
    /// category, latitude, longitude), so the cost follows the suggestions near `at`, not
    /// all open ones; the exact test is the geodesic distance
    /// ([`crate::geodesy::geodesic_distance_m`]).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn nearby_open(
        &self,
        at: LonLat,
        category: Category,
        radius_m: f64,
    ) -> Result<Vec<(Suggestion, f64)>, StoreError> {
        // One degree of latitude is at least 110 574 m (WGS-84, at the equator), so
        // radius/110 000 degrees bounds the latitude span from above.
        let dlat = radius_m / 110_000.0;
        let coslat = (at.lat.abs() + dlat).min(89.9).to_radians().cos();
        let dlon = (radius_m / (110_000.0 * coslat)).min(360.0);
        // A window across the antimeridian is widened to every longitude (rare; exact
        // test below).
        let (west, east) = if at.lon - dlon < -180.0 || at.lon + dlon > 180.0 {
            (-180.0, 180.0)
        } else {
            (at.lon - dlon, at.lon + dlon)
        };
        let ids: Vec<String> = self.read(|c| {
            let sql = match c.engine() {
                Engine::Sqlite => {
                    "SELECT s.id FROM suggestions_open_rtree r JOIN suggestions s ON s.rowid = r.id \
                     WHERE r.min_lat <= ?3 AND r.max_lat >= ?2 \
                     AND r.min_lon <= ?5 AND r.max_lon >= ?4 AND r.category = ?1"
                }
                Engine::Postgres => {
                    "SELECT id FROM suggestions \
                     WHERE status IN ('submitted','accepted','in_progress') AND category = ?1 \
                     AND lat >= ?2 AND lat <= ?3 AND lon >= ?4 AND lon <= ?5"
                }
            };
            c.query(
                sql,
                &args![category.as_str(), at.lat - dlat, at.lat + dlat, west, east],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(s) = self.suggestion(&id)? {
                let mut d_lon = (s.location.lon - at.lon).abs();
                if d_lon > 180.0 {
                    d_lon = 360.0 - d_lon;
                }
                if d_lon > dlon {
                    continue;
                }
                let d = crate::geodesy::geodesic_distance_m(at, s.location);
                if d <= radius_m {
                    out.push((s, d));
                }
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
        Ok(out)
    }

    /// Counts a supporter of suggestion `id`, identified by a salted SHA-256 of `client`
    /// (e.g. the IP address; the raw value is never stored). Idempotent per client.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Store`].
    pub fn support(&self, id: &str, client: &str) -> Result<SupportOutcome, SuggestionError> {
        let hash = self.supporter_hash(client);
        self.write(|c| {
            if !c.exists("SELECT 1 FROM suggestions WHERE id = ?1", &args![id])? {
                return Err(SuggestionError::NotFound(format!("no suggestion `{id}`")));
            }
            let n = c.execute(
                "INSERT INTO supports (suggestion_id, client_hash, at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (suggestion_id, client_hash) DO NOTHING",
                &args![id, hash, ms(Utc::now())],
            )?;
            if n > 0 {
                c.execute(
                    "UPDATE suggestions SET supporters = supporters + 1 WHERE id = ?1",
                    &args![id],
                )?;
            }
            let supporters: i64 = c
                .query_one(
                    "SELECT supporters FROM suggestions WHERE id = ?1",
                    &args![id],
                )?
                .get(0)?;
            Ok(SupportOutcome {
                supporters: supporters as u32,
                counted: n > 0,
            })
        })
    }

    /// The status and last change (ms) of suggestion `id`, locked until the transaction
    /// ends (so concurrent transitions of one suggestion run one after the other).
    pub(super) fn lock_status(
        c: &mut dyn Conn,
        id: &str,
    ) -> Result<(Status, i64), SuggestionError> {
        let sql = format!(
            "SELECT status, updated_at FROM suggestions WHERE id = ?1{}",
            c.for_update()
        );
        let Some(r) = c.query_opt(&sql, &args![id])? else {
            return Err(SuggestionError::NotFound(format!("no suggestion `{id}`")));
        };
        let cur: String = r.get(0)?;
        let from: Status = cur
            .parse()
            .map_err(|e| corrupt(&format!("suggestion {id}: status"), e))?;
        Ok((from, r.get(1)?))
    }

    /// The salted SHA-256 a supporter `client` is stored as.
    pub(super) fn supporter_hash(&self, client: &str) -> String {
        sha256_hex(&format!("{}|{client}", self.salt))
    }

    /// Moves suggestion `id` to `to` with a public `note`, by `officer`, at `at`; records the
    /// history entry and an audit entry in the same transaction.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`], [`SuggestionError::BadTransition`],
    /// [`SuggestionError::Store`].
    pub fn transition(
        &self,
        id: &str,
        to: Status,
        note: &PublicNote,
        officer: &Officer,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        self.write(|c| {
            let (from, _) = Self::lock_status(c, id)?;
            if !from.can_move_to(to) {
                return Err(SuggestionError::BadTransition {
                    from,
                    to,
                    allowed: from.next(),
                });
            }
            let t = ms(at);
            c.execute(
                "UPDATE suggestions SET status = ?2, updated_at = ?3, \
                 first_answer_at = COALESCE(first_answer_at, ?3), \
                 resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 ELSE NULL END \
                 WHERE id = ?1",
                &args![id, to.as_str(), t],
            )?;
            c.execute(
                "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at, department) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT department FROM suggestions WHERE id = ?1))",
                &args![id, from.as_str(), to.as_str(), note.as_str(), officer.id, t],
            )?;
            let detail =
                serde_json::json!({"from": from, "to": to, "note": note.as_str()}).to_string();
            audit_tx(c, at, Some(officer), "suggestion.status", id, &detail)?;
            Ok(())
        })?;
        self.suggestion(id)?
            .ok_or_else(|| SuggestionError::NotFound(format!("no suggestion `{id}`")))
    }

    /// The reporter reopens their resolved or declined suggestion ("it is not fixed"):
    /// back to `accepted` with their public `note`, within [`REOPEN_WINDOW_DAYS`] days of
    /// the last change. The history entry has no officer; audited as `reporter`.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Conflict`] when the suggestion is
    /// still open or closed too long ago; [`SuggestionError::Store`].
    pub fn reopen_by_reporter(
        &self,
        id: &str,
        note: &PublicNote,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        self.write(|c| {
            let (from, updated) = Self::lock_status(c, id)?;
            if from.is_open() {
                return Err(SuggestionError::Conflict(format!(
                    "suggestion `{id}` is still open ({from}); only resolved or declined ones can be reopened"
                )));
            }
            if at - from_ms(updated) > chrono::Duration::days(REOPEN_WINDOW_DAYS) {
                return Err(SuggestionError::Conflict(format!(
                    "suggestion `{id}` was closed more than {REOPEN_WINDOW_DAYS} days ago; please submit a new one"
                )));
            }
            let t = ms(at);
            c.execute(
                "UPDATE suggestions SET status = 'accepted', updated_at = ?2, resolved_at = NULL WHERE id = ?1",
                &args![id, t],
            )?;
            c.execute(
                "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at) \
                 VALUES (?1, ?2, 'accepted', ?3, NULL, ?4)",
                &args![id, from.as_str(), note.as_str(), t],
            )?;
            let detail =
                serde_json::json!({"from": from, "to": Status::Accepted, "note": note.as_str()})
                    .to_string();
            c.execute(
                "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) VALUES (?1, NULL, 'reporter', 'suggestion.reopen', ?2, ?3)",
                &args![t, id, detail],
            )?;
            Ok(())
        })?;
        self.suggestion(id)?
            .ok_or_else(|| SuggestionError::NotFound(format!("no suggestion `{id}`")))
    }

    // ---------------------------------------------------------------- officers

    /// Creates a bearer token; returns the officer record and the token (shown once; only
    /// its SHA-256 is stored). Audited as `token.create` by the command line.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn create_token(
        &self,
        role: OfficerRole,
        adcodes: &[String],
        name: &str,
    ) -> Result<(Officer, String), StoreError> {
        let token = format!("nxo_{}", random_hex(32)?);
        let now = Utc::now();
        let id = self.write(|c| {
            let id: i64 = c
                .query_one(
                    "INSERT INTO officer_tokens (token_hash, role, adcodes, name, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    &args![
                        sha256_hex(&token),
                        role.as_str(),
                        adcodes.join(","),
                        name,
                        ms(now)
                    ],
                )?
                .get(0)?;
            let detail =
                serde_json::json!({"role": role, "adcodes": adcodes, "name": name}).to_string();
            audit_tx(c, now, None, "token.create", &id.to_string(), &detail)?;
            Ok::<_, StoreError>(id)
        })?;
        Ok((
            Officer {
                id,
                role,
                adcodes: adcodes.to_vec(),
                name: name.to_string(),
                created_at: from_ms(ms(now)),
                revoked_at: None,
            },
            token,
        ))
    }

    /// The officer holding `token`, unless unknown or revoked.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn authenticate(&self, token: &str) -> Result<Option<Officer>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT id, role, adcodes, name, created_at, revoked_at FROM officer_tokens \
                 WHERE token_hash = ?1 AND revoked_at IS NULL",
                &args![sha256_hex(token)],
            )
        })?;
        row.as_ref().map(row_to_officer).transpose()
    }

    /// Every token holder (without tokens), by id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT id, role, adcodes, name, created_at, revoked_at FROM officer_tokens ORDER BY id",
                &[],
            )
        })?
        .iter()
        .map(row_to_officer)
        .collect()
    }

    /// Revokes token `id`. Returns false if there is no such (unrevoked) token.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        self.write(|c| {
            let n = c.execute(
                "UPDATE officer_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                &args![id, ms(now)],
            )?;
            if n > 0 {
                audit_tx(c, now, None, "token.revoke", &id.to_string(), "{}")?;
            }
            Ok(n > 0)
        })
    }

    // ---------------------------------------------------------------- audit

    /// Appends an audit entry.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn audit(
        &self,
        actor: Option<&Officer>,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| audit_tx(c, Utc::now(), actor, action, target, detail))
    }

    /// Audit entries, newest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError> {
        // `as i64` would wrap a huge offset to a negative one, which SQLite reads as 0
        let (limit, offset) = (
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX),
        );
        self.read(|c| {
            c.query(
                "SELECT seq, at, actor_id, actor_name, action, target, detail FROM audit_log \
                 ORDER BY seq DESC LIMIT ?1 OFFSET ?2",
                &args![limit, offset],
            )
        })?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: from_ms(r.get(1)?),
                actor_id: r.get(2)?,
                actor_name: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                detail: r.get(6)?,
            })
        })
        .collect()
    }

    // ---------------------------------------------------------------- campaigns

    /// Stores a new campaign (validated first), audited.
    ///
    /// # Errors
    /// [`SuggestionError::Invalid`], [`SuggestionError::Conflict`] for a used id,
    /// [`SuggestionError::Store`].
    pub fn create_campaign(
        &self,
        camp: &Campaign,
        actor: Option<&Officer>,
    ) -> Result<(), SuggestionError> {
        camp.validate()?;
        let json = serde_json::to_string(camp).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|c| {
            let n = c.execute(
                "INSERT INTO campaigns (id, json, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO NOTHING",
                &args![&camp.id, &json, ms(Utc::now())],
            )?;
            if n == 0 {
                return Err(SuggestionError::Conflict(format!(
                    "campaign `{}` already exists",
                    camp.id
                )));
            }
            audit_tx(c, Utc::now(), actor, "campaign.create", &camp.id, &json)?;
            Ok(())
        })
    }

    /// Every campaign, by start time (newest first).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = self.read(|c| c.query("SELECT id, json FROM campaigns", &[]))?;
        let mut out = rows
            .iter()
            .map(|r| {
                let (id, json): (String, String) = (r.get(0)?, r.get(1)?);
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::Corrupt(format!("campaign {id}: {e}")))
            })
            .collect::<Result<Vec<Campaign>, _>>()?;
        out.sort_by(|a, b| b.starts_at.cmp(&a.starts_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One campaign.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        let row =
            self.read(|c| c.query_opt("SELECT json FROM campaigns WHERE id = ?1", &args![id]))?;
        row.map(|r| {
            let json: String = r.get(0)?;
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("campaign {id}: {e}")))
        })
        .transpose()
    }
}

fn row_to_officer(r: &Row) -> Result<Officer, StoreError> {
    let role: String = r.get(1)?;
    let adcodes: String = r.get(2)?;
    Ok(Officer {
        id: r.get(0)?,
        role: role.parse().map_err(|e| corrupt("officer role", e))?,
        adcodes: adcodes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        name: r.get(3)?,
        created_at: from_ms(r.get(4)?),
        revoked_at: r.get::<Option<i64>>(5)?.map(from_ms),
    })
}

fn history(c: &mut dyn Conn, id: &str) -> Result<Vec<StatusChange>, StoreError> {
    c.query(
        "SELECT c.from_status, c.to_status, c.note, c.at, c.officer_id, o.name, c.department \
         FROM status_changes c LEFT JOIN officer_tokens o ON o.id = c.officer_id \
         WHERE c.suggestion_id = ?1 ORDER BY c.seq",
        &args![id],
    )?
    .iter()
    .map(|r| {
        let from: Option<String> = r.get(0)?;
        let to: String = r.get(1)?;
        let what = format!("suggestion {id}: history status");
        Ok(StatusChange {
            from: from
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt(&what, e))?,
            to: to.parse().map_err(|e| corrupt(&what, e))?,
            note: r.get(2)?,
            at: from_ms(r.get(3)?),
            officer_id: r.get(4)?,
            officer_name: r.get(5)?,
            department: r.get(6)?,
        })
    })
    .collect()
}

/// Which column [`Store::service_points_from`] decodes.
#[derive(Debug, Clone, Copy)]
enum PointColumn {
    /// The binary record (the JSON text when a row has none).
    Record,
    /// The JSON text (the benchmark's baseline).
    Json,
}

/// Decodes an `(id, record, json)` row: the binary record, or the JSON text when the record
/// is NULL.
fn decode_point_row(Row(values): Row) -> Result<ServicePoint, StoreError> {
    let mut values = values.into_iter();
    match (values.next(), values.next(), values.next()) {
        (Some(Value::Text(id)), Some(Value::Bytes(record)), _) => {
            ServicePoint::from_record(&record)
                .map_err(|e| StoreError::Corrupt(format!("service point {id}: {e}")))
        }
        (Some(Value::Text(id)), Some(Value::Null), Some(Value::Text(json))) => {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("service point {id}: {e}")))
        }
        other => Err(StoreError::Corrupt(format!(
            "service point row: expected (id, record or json), found {other:?}"
        ))),
    }
}

/// Inserts or replaces `points` within the transaction of `c`; returns how many ids existed
/// before.
fn put_points(
    c: &mut dyn Conn,
    points: &[ServicePoint],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut replaced = 0;
    for p in points {
        let json = serde_json::to_string(p).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        replaced +=
            usize::from(c.exists("SELECT 1 FROM service_points WHERE id = ?1", &args![&p.id])?);
        c.execute(
            "INSERT INTO service_points (id, json, updated_at, kind, lon, lat, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id) DO UPDATE SET json = excluded.json, \
             updated_at = excluded.updated_at, kind = excluded.kind, lon = excluded.lon, \
             lat = excluded.lat, record = excluded.record",
            &args![
                &p.id,
                json,
                ms(now),
                p.kind.as_str(),
                p.location.lon,
                p.location.lat,
                p.to_record()
            ],
        )?;
    }
    notify_points(c, points.iter().map(|p| p.id.as_str()))?;
    Ok(replaced)
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
mod tests {
    use super::*;
    use crate::model::ServiceKind;

    fn note(text: &str) -> PublicNote {
        PublicNote::new(text).unwrap()
    }

    fn new_at(lon: f64, lat: f64, cat: Category, t: &str) -> NewSuggestion {
        let p = LonLat::new(lon, lat).unwrap();
        NewSuggestion {
            location: p,
            input_location: p,
            input_crs: Crs::Wgs84,
            category: cat,
            description: "小区不让骑手进 🛵".into(),
            role: Some(ReporterRole::Rider),
            contact: Some(Contact {
                kind: ContactKind::Phone,
                value: "13800138000".into(),
            }),
            campaign_id: None,
            adcode: Some("430102".into()),
            collection_point: None,
            photo: None,
            created_at: t.parse().unwrap(),
        }
    }

    fn officer(store: &Store) -> Officer {
        store
            .create_token(OfficerRole::Officer, &["430102".into()], "张三")
            .unwrap()
            .0
    }

    #[test]
    fn migrates_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let s = Store::open(&path).unwrap();
        assert_eq!(s.engine(), Engine::Sqlite);
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let Backend::Sqlite(db) = &s.backend else {
            unreachable!()
        };
        assert_eq!(db.pragma("journal_mode"), Value::Text("wal".into()));
        // synchronous FULL = 2 (SQLite docs)
        assert_eq!(db.pragma("synchronous"), Value::Int(2));
        let (sug, _) = s
            .insert_suggestion(new_at(
                112.97,
                28.2,
                Category::Parking,
                "2026-01-01T00:00:00Z",
            ))
            .unwrap();
        drop(s);
        // `sqlite:` names the same file
        let s = Store::open(Path::new(&format!("sqlite:{}", path.display()))).unwrap();
        assert!(s.suggestion(&sug.id).unwrap().is_some());
    }

    /// PostgreSQL: servers starting together apply each migration once (advisory lock),
    /// record it in `schema_migrations`, and run with `synchronous_commit = on`.
    #[test]
    fn postgres_migrates_once_under_concurrent_opens() {
        let Ok(url) = std::env::var("NUANXIN_TEST_DATABASE_URL") else {
            return;
        };
        let name = format!(
            "nuanxin_test_{}_{}",
            std::process::id(),
            random_hex(6).unwrap()
        );
        let config = super::super::pg::create_database(&url, &name).unwrap();
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let config = config.clone();
                std::thread::spawn(move || Store::open_postgres(config))
            })
            .collect();
        let stores: Vec<Store> = opens
            .into_iter()
            .map(|t| t.join().unwrap().unwrap())
            .collect();
        let s = &stores[0];
        assert_eq!(s.engine(), Engine::Postgres);
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let (n, sync) = s
            .read(|c| {
                let n: i64 = c
                    .query_one("SELECT count(*) FROM schema_migrations", &[])?
                    .get(0)?;
                let sync: String = c.query_one("SHOW synchronous_commit", &[])?.get(0)?;
                Ok::<_, StoreError>((n, sync))
            })
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        assert_eq!(sync, "on");
        // one salt for every server
        assert!(stores.iter().all(|t| t.salt == s.salt));
        let (sug, _) = stores[1]
            .insert_suggestion(new_at(
                112.97,
                28.2,
                Category::Parking,
                "2026-01-01T00:00:00Z",
            ))
            .unwrap();
        assert!(stores[3].suggestion(&sug.id).unwrap().is_some());
    }

    /// A failing write leaves nothing behind, on either engine, and the error says which
    /// constraint: a duplicate key in a batch, a suggestion naming a campaign that does not
    /// exist (no suggestion, no history row).
    #[test]
    fn writes_are_all_or_nothing_and_errors_classified() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let r = s.write(|c| {
            c.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')", &[])?;
            c.execute("INSERT INTO meta (key, value) VALUES ('x', 'z')", &[])?;
            Ok::<_, StoreError>(())
        });
        match r {
            // SQLite: "UNIQUE constraint failed: meta.key"; PostgreSQL: 23505 "meta_pkey"
            Err(StoreError::Constraint(m)) => assert!(m.contains("meta"), "{m}"),
            other => panic!("{other:?}"),
        }
        let x = s
            .read(|c| c.query_opt("SELECT value FROM meta WHERE key = 'x'", &[]))
            .unwrap();
        assert_eq!(x, None);
        let mut n = new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z");
        n.campaign_id = Some("no-such-campaign".into());
        n.photo = Some(("image/jpeg".into(), vec![0xff, 0xd8, 0xff, 0xd9]));
        assert!(matches!(
            s.insert_suggestion(n),
            Err(StoreError::Constraint(_))
        ));
        let counts = s
            .read(|c| {
                let a: i64 = c
                    .query_one("SELECT count(*) FROM suggestions", &[])?
                    .get(0)?;
                let b: i64 = c
                    .query_one("SELECT count(*) FROM status_changes", &[])?
                    .get(0)?;
                Ok::<_, StoreError>((a, b))
            })
            .unwrap();
        assert_eq!(counts, (0, 0));
        // the store still works after the failed transactions
        s.insert_suggestion(new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z"))
            .unwrap();
    }

    /// A PostgreSQL server that refuses the connection is "unavailable" (503, retry), and the
    /// message names the database but never the password.
    #[test]
    fn refused_postgres_is_unavailable() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = format!("postgres://nuanxin:s3cret@127.0.0.1:{port}/nuanxin?connect_timeout=2");
        match Store::open(Path::new(&url)) {
            Err(StoreError::Unavailable(m)) => {
                assert!(m.contains(&format!("127.0.0.1:{port}/nuanxin")), "{m}");
                assert!(!m.contains("s3cret"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Store::open(Path::new("postgres://127.0.0.1:notaport/x")),
            Err(StoreError::Database(_))
        ));
    }

    /// A panic inside a store call (a bug) does not keep its connection out of the pool:
    /// more panics than connections, and the store still answers (a leaked pool would make
    /// the read below wait for a free connection and fail as unavailable).
    #[test]
    fn postgres_pool_survives_panics() {
        if std::env::var_os("NUANXIN_TEST_DATABASE_URL").is_none() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        for _ in 0..super::super::pg::MAX_CONNECTIONS + 2 {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                s.write(|c| -> Result<(), StoreError> {
                    c.execute("INSERT INTO meta (key, value) VALUES ('p', 'q')", &[])?;
                    panic!("a bug")
                })
            }));
            assert!(r.is_err());
        }
        let p = s
            .read(|c| c.query_opt("SELECT value FROM meta WHERE key = 'p'", &[]))
            .unwrap();
        assert_eq!(p, None, "the panicking transactions were not committed");
    }

    #[test]
    fn service_point_crud() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let p = ServicePoint::new(
            "p1",
            ServiceKind::Station,
            "驿站",
            LonLat::new(112.9, 28.2).unwrap(),
        );
        s.replace_service_points(std::slice::from_ref(&p)).unwrap();
        assert_eq!(s.service_points().unwrap(), vec![p.clone()]);
        let mut q = p.clone();
        q.name = "新驿站".into();
        assert!(s.upsert_service_point(&q, None).unwrap());
        assert_eq!(s.service_point("p1").unwrap().unwrap().name, "新驿站");
        assert!(s.delete_service_point("p1", None).unwrap());
        assert!(!s.delete_service_point("p1", None).unwrap());
        assert!(s.service_points().unwrap().is_empty());
        let log = s.audit_log(10, 0).unwrap();
        assert_eq!(log[0].action, "point.delete");
        assert_eq!(log[1].action, "point.upsert");
    }

    /// The points read back from the binary records equal those read from the JSON texts
    /// and those stored, in id order; a row of an older version (no record) is read from
    /// its JSON and converted on the next open; damaged records and texts are named.
    #[test]
    fn service_points_read_from_records_and_older_rows() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        // Ids whose text order differs from their creation order ("p10000" < "p9"), and
        // positions that are not binary fractions (bits must survive the record exactly).
        let points: Vec<ServicePoint> = (0..10_001)
            .rev()
            .map(|i| {
                let mut p = ServicePoint::new(
                    format!("p{i}"),
                    ServiceKind::ALL[i % ServiceKind::ALL.len()],
                    format!("驿站 {i}"),
                    LonLat::new(112.0 + f64::from(i as u32) * 1e-5 / 3.0, 28.2).unwrap(),
                );
                p.demo = i % 7 == 0;
                p
            })
            .collect();
        s.replace_service_points(&points).unwrap();
        let mut expected = points.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        let got = s.service_points().unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e);
            assert_eq!(g.location.lon.to_bits(), e.location.lon.to_bits());
        }
        assert_eq!(s.service_points_from_json().unwrap().len(), expected.len());
        assert_eq!(
            s.service_point("p17").unwrap().as_ref(),
            Some(&points[10_000 - 17])
        );
        // Typed columns for SQL.
        let kinds = s
            .read(|c| {
                c.query_one(
                    "SELECT count(*) FROM service_points WHERE kind = 'station' AND lat = 28.2",
                    &[],
                )
            })
            .unwrap();
        assert_eq!(kinds.get::<i64>(0).unwrap(), 2501); // i % 4 == 0 for i in 0..=10000
                                                        // An older row: JSON only.
        let old = ServicePoint::new(
            "old-1",
            ServiceKind::LegalAid,
            "旧",
            LonLat::new(113.0, 28.0).unwrap(),
        );
        let bad = "{\"id\":\"old-2\"}";
        s.write(|c| {
            c.execute(
                "INSERT INTO service_points (id, json, updated_at) VALUES (?1, ?2, 0), ('old-2', ?3, 0)",
                &args!["old-1", serde_json::to_string(&old).unwrap(), bad],
            )
        })
        .unwrap();
        assert_eq!(s.service_point("old-1").unwrap(), Some(old.clone()));
        let err = s.service_points().unwrap_err().to_string();
        assert!(err.contains("old-2"), "{err}");
        // Converted on the next open; the undecodable row is left alone (no endless loop).
        assert_eq!(s.fill_point_records().unwrap(), 1);
        assert_eq!(s.fill_point_records().unwrap(), 0);
        s.write(|c| c.execute("DELETE FROM service_points WHERE id = 'old-2'", &[]))
            .unwrap();
        let row = s
            .read(|c| {
                c.query_one(
                    "SELECT kind, record FROM service_points WHERE id = 'old-1'",
                    &[],
                )
            })
            .unwrap();
        assert_eq!(row.get::<String>(0).unwrap(), "legal_aid");
        assert_eq!(row.get::<Vec<u8>>(1).unwrap(), old.to_record());
        assert_eq!(s.service_points().unwrap().len(), expected.len() + 1);
        // A damaged record is named.
        s.write(|c| {
            c.execute(
                "UPDATE service_points SET record = ?1 WHERE id = 'p7777'",
                &args![vec![9u8, 0]],
            )
        })
        .unwrap();
        let err = s.service_points().unwrap_err().to_string();
        assert!(err.contains("p7777") && err.contains("version 9"), "{err}");
        // Replacing a kind removes converted and unconverted rows of it alike.
        s.write(|c| {
            c.execute(
                "INSERT INTO service_points (id, json, updated_at) VALUES ('old-3', ?1, 0)",
                &args![serde_json::to_string(&old).unwrap()],
            )
        })
        .unwrap();
        let removed = s
            .replace_service_points_of_kinds(&[ServiceKind::LegalAid], &[], None)
            .unwrap();
        assert_eq!(removed, 2500 + 2); // i % 4 == 1, old-1, old-3
    }

    #[test]
    fn description_is_byte_exact_and_receipt_checks() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let mut n = new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z");
        n.description = "e\u{301} 👩‍👩‍👧 \u{1F1E8}\u{1F1F3}\r\n\t末尾空格 ".into();
        let want = n.description.clone();
        let (sug, receipt) = s.insert_suggestion(n).unwrap();
        assert_eq!(sug.description.as_bytes(), want.as_bytes());
        assert!(s.check_receipt(&sug.id, &receipt).unwrap());
        assert!(!s.check_receipt(&sug.id, "nope").unwrap());
        assert!(sug.id.starts_with("S20260101-"));
        assert_eq!(sug.history.len(), 1);
    }

    /// The R*Tree look-up returns exactly what a scan of every open suggestion with the
    /// geodesic distance returns, after accepting and rejecting some (the triggers keep the
    /// tree in step), and on a database created at schema version 1 (the migration fills it).
    #[test]
    fn nearby_open_matches_a_full_scan() {
        use rand::{Rng, SeedableRng};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        // SQLite: a version-1 database, then migrated (PostgreSQL: a fresh one).
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0].sqlite).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
        }
        let s = if std::env::var_os("NUANXIN_TEST_DATABASE_URL").is_some() {
            Store::open_for_test(dir.path()).unwrap()
        } else {
            Store::open(&path).unwrap()
        };
        let o = officer(&s);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        let cats = [Category::Parking, Category::Rest];
        let mut all = Vec::new();
        for i in 0..300 {
            let (lon, lat) = (
                112.97 + rng.random_range(-0.02..0.02),
                28.2 + rng.random_range(-0.02..0.02),
            );
            let (sug, _) = s
                .insert_suggestion(new_at(lon, lat, cats[i % 2], "2026-01-01T00:00:00Z"))
                .unwrap();
            all.push(sug);
        }
        let t = "2026-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let mut open = vec![true; all.len()];
        for (i, sug) in all.iter().enumerate() {
            if i % 3 == 0 {
                s.transition(&sug.id, Status::Accepted, &note("已受理"), &o, t)
                    .unwrap();
            }
            if i % 5 == 0 {
                let to = if i % 3 == 0 {
                    Status::Resolved
                } else {
                    Status::Declined
                };
                if s.transition(&sug.id, to, &note("办结"), &o, t).is_ok() {
                    open[i] = false;
                }
            }
        }
        assert!(open.iter().any(|o| !o) && open.iter().any(|o| *o));
        for q in 0..40 {
            let at = LonLat::new(
                112.97 + rng.random_range(-0.02..0.02),
                28.2 + rng.random_range(-0.02..0.02),
            )
            .unwrap();
            let radius = [50.0, 300.0, 1500.0, 5000.0][q % 4];
            let cat = cats[q % 2];
            let got: Vec<String> = s
                .nearby_open(at, cat, radius)
                .unwrap()
                .into_iter()
                .map(|(x, _)| x.id)
                .collect();
            let mut want: Vec<(f64, String)> = all
                .iter()
                .zip(&open)
                .filter(|(x, o)| **o && x.category == cat)
                .map(|(x, _)| {
                    (
                        crate::geodesy::karney_distance_m(at, x.location),
                        x.id.clone(),
                    )
                })
                .filter(|(d, _)| *d <= radius)
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
            let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
            assert_eq!(got, want, "query {q} at {at:?} r {radius}");
        }
    }

    #[test]
    fn transitions_support_and_nearby() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let o = officer(&s);
        let (a, _) = s
            .insert_suggestion(new_at(
                112.97,
                28.2,
                Category::Parking,
                "2026-01-01T00:00:00Z",
            ))
            .unwrap();
        // 0.002° of latitude north: Python geographiclib 2.0
        // Geodesic.WGS84.Inverse(28.2, 112.97, 28.202, 112.97)['s12'] = 221.645399 m
        let (b, _) = s
            .insert_suggestion(new_at(
                112.97,
                28.202,
                Category::Parking,
                "2026-01-01T01:00:00Z",
            ))
            .unwrap();
        s.insert_suggestion(new_at(
            112.97,
            28.2001,
            Category::Rest,
            "2026-01-01T01:00:00Z",
        ))
        .unwrap();
        let near = s
            .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 300.0)
            .unwrap();
        assert_eq!(near.len(), 2);
        assert_eq!(near[0].0.id, a.id);
        assert!((near[1].1 - 221.645399).abs() < 1e-3, "{}", near[1].1);
        let near = s
            .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 200.0)
            .unwrap();
        assert_eq!(near.len(), 1);

        let t = |h: &str| h.parse::<DateTime<Utc>>().unwrap();
        let err = s
            .transition(
                &a.id,
                Status::Resolved,
                &note("x"),
                &o,
                t("2026-01-01T02:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(err, SuggestionError::BadTransition { .. }));
        s.transition(
            &a.id,
            Status::Accepted,
            &note("已受理"),
            &o,
            t("2026-01-01T02:00:00Z"),
        )
        .unwrap();
        let done = s
            .transition(
                &a.id,
                Status::Resolved,
                &note("已设停车点"),
                &o,
                t("2026-01-02T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(done.status, Status::Resolved);
        assert_eq!(done.first_answer_at, Some(t("2026-01-01T02:00:00Z")));
        assert_eq!(done.resolved_at, Some(t("2026-01-02T00:00:00Z")));
        assert_eq!(done.history.len(), 3);
        assert_eq!(done.history[2].officer_name.as_deref(), Some("张三"));
        // resolved ones are not "open": only b remains nearby
        let near = s
            .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 300.0)
            .unwrap();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].0.id, b.id);
        // reopen clears resolved_at
        let re = s
            .transition(
                &a.id,
                Status::Accepted,
                &note("重新办理"),
                &o,
                t("2026-01-03T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(re.resolved_at, None);

        assert_eq!(
            s.support(&b.id, "10.0.0.1").unwrap(),
            SupportOutcome {
                supporters: 1,
                counted: true
            }
        );
        assert_eq!(
            s.support(&b.id, "10.0.0.1").unwrap(),
            SupportOutcome {
                supporters: 1,
                counted: false
            }
        );
        assert_eq!(s.support(&b.id, "10.0.0.2").unwrap().supporters, 2);
        assert!(matches!(
            s.support("nope", "x"),
            Err(SuggestionError::NotFound(_))
        ));
    }

    #[test]
    fn reporter_reopens_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let o = officer(&s);
        let t = |h: &str| h.parse::<DateTime<Utc>>().unwrap();
        let (a, _) = s
            .insert_suggestion(new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z"))
            .unwrap();
        assert!(matches!(
            s.reopen_by_reporter(&a.id, &note("x"), t("2026-01-02T00:00:00Z")),
            Err(SuggestionError::Conflict(_))
        ));
        s.transition(
            &a.id,
            Status::Declined,
            &note("不予采纳"),
            &o,
            t("2026-01-02T00:00:00Z"),
        )
        .unwrap();
        // 2026-01-02 + 90 days = 2026-04-02 (Jan 29 + Feb 28 + Mar 31 = 88 days to Mar 31)
        assert!(matches!(
            s.reopen_by_reporter(&a.id, &note("x"), t("2026-04-02T00:00:01Z")),
            Err(SuggestionError::Conflict(_))
        ));
        let r = s
            .reopen_by_reporter(&a.id, &note("问题还在"), t("2026-04-02T00:00:00Z"))
            .unwrap();
        assert_eq!(r.status, Status::Accepted);
        assert_eq!(r.history.last().unwrap().officer_id, None);
        // the reporter's reopening is not an officer's first answer
        assert_eq!(r.first_answer_at, Some(t("2026-01-02T00:00:00Z")));
        assert_eq!(s.audit_log(1, 0).unwrap()[0].actor_name, "reporter");
    }

    #[test]
    fn tokens_are_hashed_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let (o, token) = s
            .create_token(OfficerRole::Officer, &["430100".into()], "李四")
            .unwrap();
        let stored: String = s
            .read(|c| {
                c.query_one("SELECT token_hash FROM officer_tokens", &[])?
                    .get(0)
            })
            .unwrap();
        assert_ne!(stored, token);
        assert_eq!(stored.len(), 64);
        assert_eq!(s.authenticate(&token).unwrap().unwrap().id, o.id);
        // a city token covers its counties: 430102 芙蓉区 is in 430100 长沙市
        assert!(o.handles(Some("430102")));
        assert!(!o.handles(Some("430202")));
        assert!(!o.handles(None));
        assert!(s.revoke_token(o.id).unwrap());
        assert!(s.authenticate(&token).unwrap().is_none());
    }

    #[test]
    fn list_filters_and_pages() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        for i in 0..5 {
            let cat = if i % 2 == 0 {
                Category::Parking
            } else {
                Category::Rest
            };
            s.insert_suggestion(new_at(
                112.9 + i as f64 * 0.01,
                28.2,
                cat,
                &format!("2026-01-0{}T00:00:00Z", i + 1),
            ))
            .unwrap();
        }
        let (all, total) = s.list_suggestions(&ListQuery::default()).unwrap();
        assert_eq!((all.len(), total), (5, 5));
        assert!(all[0].created_at > all[4].created_at);
        let q = ListQuery {
            categories: vec![Category::Parking],
            limit: 2,
            ..Default::default()
        };
        let (page, total) = s.list_suggestions(&q).unwrap();
        assert_eq!((page.len(), total), (2, 3));
        let q = ListQuery {
            bbox: Some(Bbox::new(112.905, 28.0, 112.925, 28.5).unwrap()),
            ..Default::default()
        };
        assert_eq!(s.list_suggestions(&q).unwrap().1, 2);
    }
}
