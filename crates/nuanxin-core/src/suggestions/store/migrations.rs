//! The schema of both engines, one [`Migration`] per version (see the store's module docs).
//!
//! Why this file is long: it is the SQL of every schema version for both engines, kept
//! together so the two engines' scripts for a version can be compared side by side.

/// One schema version: the script for each engine. Scripts of the same version create the
/// same tables and columns (engine types differ: see [`crate::suggestions::sql`]), so data copies
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
    // 6: the rest of the reporter's private contact (Open311 `email`, `first_name`,
    // `last_name`, also accepted by the JSON API). Email notifications read
    // `contact_email` (`Suggestion::email`).
    Migration {
        sqlite: "
    ALTER TABLE suggestions ADD COLUMN contact_email TEXT;
    ALTER TABLE suggestions ADD COLUMN contact_first_name TEXT;
    ALTER TABLE suggestions ADD COLUMN contact_last_name TEXT;
    ",
        postgres: "
    ALTER TABLE suggestions ADD COLUMN contact_email text;
    ALTER TABLE suggestions ADD COLUMN contact_first_name text;
    ALTER TABLE suggestions ADD COLUMN contact_last_name text;
    ",
    },
    // 7: the notification outbox (issue 14, `suggestions::outbox`): rows written in the
    // transaction of each answer or status change, delivered by the server's workers.
    Migration {
        sqlite: super::super::outbox::MIGRATION_SQLITE,
        postgres: super::super::outbox::MIGRATION_POSTGRES,
    },
];
