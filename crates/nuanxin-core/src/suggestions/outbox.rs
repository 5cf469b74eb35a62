//! The notification outbox (issue 14, "being told"): durable rows of notifications to
//! deliver, written in the SAME transaction as the change they announce, so a change is
//! never committed without its notifications and no notification exists for a change that
//! was rolled back (the "transactional outbox" pattern).
//!
//! # Events
//! Every entry of a suggestion's history (table `status_changes`) is one event, numbered by
//! its sequence number `seq`:
//! - [`EventKind::StatusChanged`] (`suggestion.status_changed`): the status moved (an
//!   officer's transition, a duplicate declined by a merge, a reporter's reopen);
//! - [`EventKind::Answered`] (`suggestion.answered`): an officer replied without changing
//!   the status.
//!
//! # Destinations
//! One row per destination of an event ([`OutboxTargets`], set by the server from its
//! configuration):
//! - one per configured webhook whose `events` include the event (channel `webhook`, the
//!   destination is the webhook's URL);
//! - one per email recipient (channel `email`) when email is configured: the reporter's
//!   private `email`, or their contact when it is an email address, and the reporters of the suggestion's
//!   duplicates (merged into it: they are told of the original's answers), each address
//!   once.
//!
//! Each row has an idempotency key `nx-<seq>-<16 hex digits>`, stable per event ×
//! destination (the digits are the start of the SHA-256 of `channel:destination`): a
//! receiver that sees the same key twice has seen the same notification twice.
//!
//! # Delivery
//! Workers [`Store::claim_outbox`] due rows: a claim takes a lease (the row is not handed
//! to another worker until the lease ends) and counts an attempt. After the receiver
//! acknowledged the row, the worker marks it [`Store::outbox_delivered`]; after a failure it
//! schedules a retry ([`Store::outbox_retry`], backoff chosen by the caller) or gives up
//! ([`Store::outbox_give_up`]). A worker killed mid-delivery leaves its rows leased; they
//! become due again when the lease ends and are delivered again (at least once, with the
//! same key). On PostgreSQL the claim locks rows with `FOR UPDATE SKIP LOCKED`, so several
//! servers claim disjoint rows; SQLite has one writer.
//!
//! Payloads hold public data only (no contact, no receipt token or code); the address of
//! an email row is in its destination column, which is never logged.

use super::sql::{args, Conn, Engine, Row};
use super::store::{from_ms, ms, sha256_hex};
use super::{Status, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What happened to a suggestion (one history entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    /// The status changed.
    #[serde(rename = "suggestion.status_changed")]
    StatusChanged,
    /// An officer replied without changing the status.
    #[serde(rename = "suggestion.answered")]
    Answered,
}

impl EventKind {
    /// The event's name: `suggestion.status_changed` or `suggestion.answered`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StatusChanged => "suggestion.status_changed",
            EventKind::Answered => "suggestion.answered",
        }
    }

    /// Every event kind.
    pub const ALL: [EventKind; 2] = [EventKind::StatusChanged, EventKind::Answered];
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| {
                format!("unknown event `{s}`; expected suggestion.status_changed or suggestion.answered")
            })
    }
}

/// How a row is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// An HTTP POST to a webhook URL.
    Webhook,
    /// An email over SMTP.
    Email,
}

impl Channel {
    /// `webhook` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
        }
    }
}

/// One configured webhook as the store sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// Where to POST (`http://` or `https://`); the destination of its rows.
    pub url: String,
    /// The events it receives; empty means all.
    pub events: Vec<EventKind>,
}

impl WebhookTarget {
    /// Whether this webhook receives `event`.
    pub fn wants(&self, event: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }
}

/// The destinations rows are written for (the server sets them from its configuration;
/// none by default, so a store without them writes no rows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxTargets {
    /// The configured webhooks.
    pub webhooks: Vec<WebhookTarget>,
    /// Whether email is configured (rows for email recipients are written only then).
    pub email: bool,
}

/// One row of the outbox as a worker delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Sequence number of the row.
    pub seq: i64,
    /// Idempotency key (see the module docs).
    pub idempotency_key: String,
    /// Channel.
    pub channel: Channel,
    /// Webhook URL or email address (never log it).
    pub destination: String,
    /// Event.
    pub event: EventKind,
    /// Tracking id of the suggestion the event happened to.
    pub suggestion_id: String,
    /// The JSON payload (see [`event_payload`]).
    pub payload: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
}

/// Counts of the outbox (for `/metrics` and admins).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCounts {
    /// Rows waiting for delivery (due now or later).
    pub pending: u64,
    /// Rows delivered.
    pub delivered: u64,
    /// Rows given up on after too many attempts.
    pub failed: u64,
    /// Age of the oldest pending row, seconds (0 when none).
    pub oldest_pending_s: f64,
}

/// A row for admins: everything but the payload; email addresses masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxEntry {
    /// Sequence number.
    pub seq: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Channel.
    pub channel: Channel,
    /// Webhook URL, or the email address masked (`a***@example.com`).
    pub destination: String,
    /// Event name.
    pub event: EventKind,
    /// Tracking id.
    pub suggestion_id: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// When written.
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending rows).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When given up.
    pub failed_at: Option<DateTime<Utc>>,
}

/// `a***@example.com` for `alice@example.com` (admins see which mailbox, not the address).
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// The idempotency key of event `seq` at `channel` `destination`.
pub fn idempotency_key(seq: i64, channel: Channel, destination: &str) -> String {
    let h = sha256_hex(&format!("{}:{destination}", channel.as_str()));
    format!("nx-{seq}-{}", &h[..16])
}

/// Migration 7 of the schema: the outbox, SQLite.
pub(super) const MIGRATION_SQLITE: &str = "
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        destination TEXT NOT NULL,
        event TEXT NOT NULL,
        suggestion_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        delivered_at INTEGER,
        failed_at INTEGER,
        last_error TEXT
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at)
        WHERE delivered_at IS NULL AND failed_at IS NULL;
    ";

/// Migration 7 of the schema, PostgreSQL.
pub(super) const MIGRATION_POSTGRES: &str = "
    CREATE TABLE outbox (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        channel text NOT NULL,
        destination text NOT NULL,
        event text NOT NULL,
        suggestion_id text NOT NULL,
        payload text NOT NULL,
        created_at bigint NOT NULL,
        attempts bigint NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        lease_until bigint,
        delivered_at bigint,
        failed_at bigint,
        last_error text
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at)
        WHERE delivered_at IS NULL AND failed_at IS NULL;
    ";

/// The JSON payload of event `seq` (built inside the transaction of the change, from the
/// committed-to-be state):
///
/// ```json
/// {"event": "suggestion.status_changed", "event_id": "nx-17", "occurred_at": "2026-12-07T09:30:00Z",
///  "suggestion": {"id": "S20261207-ABC123", "status": "resolved", "status_label_zh": "已办结",
///                 "category": "parking", "category_label_zh": "停车难", "adcode": "430102",
///                 "department": "城管", "supporters": 3, "location": [112.97, 28.2],
///                 "duplicate_of": null},
///  "change": {"from": "in_progress", "to": "resolved", "note": "…", "department": "城管"}}
/// ```
///
/// `location` is `[lon, lat]` WGS-84; times are UTC (RFC 3339). No contact, receipt,
/// description or photo.
fn event_payload(c: &mut dyn Conn, seq: i64) -> Result<(EventKind, String, String), StoreError> {
    let r = c.query_one(
        "SELECT h.suggestion_id, h.from_status, h.to_status, h.note, h.department, h.at, h.officer_id, \
         s.status, s.category, s.adcode, s.department, s.supporters, s.lon, s.lat, s.duplicate_of \
         FROM status_changes h JOIN suggestions s ON s.id = h.suggestion_id WHERE h.seq = ?1",
        &args![seq],
    )?;
    let id: String = r.get(0)?;
    let from: Option<String> = r.get(1)?;
    let to: String = r.get(2)?;
    let kind = if from.as_deref() == Some(to.as_str()) {
        EventKind::Answered
    } else {
        EventKind::StatusChanged
    };
    let label = |s: &str| s.parse::<Status>().map(|v| v.label_zh()).unwrap_or("");
    let category: String = r.get(8)?;
    let status: String = r.get(7)?;
    let category_label = category
        .parse::<super::Category>()
        .map(|v| v.label_zh())
        .unwrap_or("");
    let payload = serde_json::json!({
        "event": kind.as_str(),
        "event_id": format!("nx-{seq}"),
        "occurred_at": from_ms(r.get(5)?).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "suggestion": {
            "id": id,
            "status": status,
            "status_label_zh": label(&status),
            "category": category,
            "category_label_zh": category_label,
            "adcode": r.get::<Option<String>>(9)?,
            "department": r.get::<Option<String>>(10)?,
            "supporters": r.get::<i64>(11)?,
            "location": [r.get::<f64>(12)?, r.get::<f64>(13)?],
            "duplicate_of": r.get::<Option<String>>(14)?,
        },
        "change": {
            "from": from,
            "from_label_zh": from.as_deref().map(label),
            "to": to,
            "to_label_zh": label(&to),
            "note": r.get::<String>(3)?,
            "department": r.get::<Option<String>>(4)?,
            "by_officer": r.get::<Option<i64>>(6)?.is_some(),
        },
    });
    Ok((kind, id, payload.to_string()))
}

/// Writes the outbox rows of history entry `seq` within the transaction of `c` (see the
/// module docs). Returns how many rows were written.
pub(super) fn enqueue(
    c: &mut dyn Conn,
    targets: &OutboxTargets,
    seq: i64,
    at: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if targets.webhooks.is_empty() && !targets.email {
        return Ok(0);
    }
    let (kind, id, payload) = event_payload(c, seq)?;
    let t = ms(at);
    let mut n = 0;
    let mut put = |c: &mut dyn Conn,
                   channel: Channel,
                   dest: &str,
                   payload: &str|
     -> Result<(), StoreError> {
        n += c.execute(
            "INSERT INTO outbox (idempotency_key, channel, destination, event, suggestion_id, payload, created_at, next_attempt_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (idempotency_key) DO NOTHING",
            &args![
                idempotency_key(seq, channel, dest),
                channel.as_str(),
                dest,
                kind.as_str(),
                id.as_str(),
                payload,
                t
            ],
        )? as usize;
        Ok(())
    };
    for w in targets.webhooks.iter().filter(|w| w.wants(kind)) {
        put(c, Channel::Webhook, &w.url, &payload)?;
    }
    if targets.email {
        // the reporter first, then the reporters of duplicates merged into this suggestion
        // an address is the `email` field (Open311, JSON API) or a `contact` given as one
        let rows = c.query(
            "SELECT id, COALESCE(contact_email, contact_value) FROM suggestions \
             WHERE (contact_email IS NOT NULL OR contact_kind = 'email') \
             AND (id = ?1 OR duplicate_of = ?1) ORDER BY CASE WHEN id = ?1 THEN 0 ELSE 1 END, created_at, id",
            &args![id.as_str()],
        )?;
        let mut seen: Vec<String> = Vec::new();
        for r in rows {
            let (filed, address): (String, String) = (r.get(0)?, r.get(1)?);
            let key = address.to_lowercase();
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            // the recipient's own tracking id, for the email's text
            let mut p: serde_json::Value = serde_json::from_str(&payload)
                .map_err(|e| StoreError::corrupt("outbox payload").caused_by(e))?;
            p["recipient_suggestion_id"] = serde_json::Value::String(filed);
            put(c, Channel::Email, &address, &p.to_string())?;
        }
    }
    Ok(n)
}

const ROW_COLUMNS: &str = "seq, idempotency_key, channel, destination, event, suggestion_id, payload, attempts, created_at";

fn channel_of(s: &str) -> Result<Channel, StoreError> {
    match s {
        "webhook" => Ok(Channel::Webhook),
        "email" => Ok(Channel::Email),
        o => Err(StoreError::corrupt(format!("outbox: channel `{o}`"))),
    }
}

fn row_to_outbox(r: &Row) -> Result<OutboxRow, StoreError> {
    let event: String = r.get(4)?;
    Ok(OutboxRow {
        seq: r.get(0)?,
        idempotency_key: r.get(1)?,
        channel: channel_of(&r.get::<String>(2)?)?,
        destination: r.get(3)?,
        event: event.parse().map_err(StoreError::corrupt)?,
        suggestion_id: r.get(5)?,
        payload: r.get(6)?,
        attempts: r.get::<i64>(7)?.max(0) as u32,
        created_at: from_ms(r.get(8)?),
    })
}

impl Store {
    /// Sets the destinations later changes write outbox rows for.
    pub fn set_outbox_targets(&self, targets: OutboxTargets) {
        let mut t = self
            .outbox_targets
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *t = Arc::new(targets);
    }

    /// The destinations in force.
    pub(super) fn outbox_targets(&self) -> Arc<OutboxTargets> {
        self.outbox_targets
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Claims up to `limit` due rows (not delivered, not given up, due by `now`, no lease
    /// in force), oldest due first: each gets a lease until `now + lease` and one more
    /// attempt counted. PostgreSQL skips rows another server is claiming (`FOR UPDATE SKIP
    /// LOCKED`).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: chrono::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let t = ms(now);
        let mut rows = self.write(|c| {
            let lock = match c.engine() {
                Engine::Sqlite => "",
                Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            };
            let sql = format!(
                "UPDATE outbox SET lease_until = ?2, attempts = attempts + 1 WHERE seq IN (\
                 SELECT seq FROM outbox WHERE delivered_at IS NULL AND failed_at IS NULL \
                 AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) \
                 ORDER BY next_attempt_at, seq LIMIT ?3{lock}) RETURNING {ROW_COLUMNS}"
            );
            c.query(&sql, &args![t, t + lease.num_milliseconds(), limit as i64])?
                .iter()
                .map(row_to_outbox)
                .collect::<Result<Vec<_>, _>>()
        })?;
        rows.sort_by_key(|r| r.seq);
        Ok(rows)
    }

    /// Marks row `seq` delivered at `at` (after the receiver acknowledged it).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_delivered(&self, seq: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE outbox SET delivered_at = ?2, lease_until = NULL, last_error = NULL WHERE seq = ?1",
                &args![seq, ms(at)],
            )
        })?;
        Ok(())
    }

    /// Row `seq` failed with `error`: due again at `next` (the lease ends).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_retry(
        &self,
        seq: i64,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE outbox SET next_attempt_at = ?2, lease_until = NULL, last_error = ?3 \
                 WHERE seq = ?1 AND delivered_at IS NULL",
                &args![seq, ms(next), error],
            )
        })?;
        Ok(())
    }

    /// Gives up on row `seq` at `at` with `error` (shown to admins; it stays in the table).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_give_up(
        &self,
        seq: i64,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(
                "UPDATE outbox SET failed_at = ?2, lease_until = NULL, last_error = ?3 \
                 WHERE seq = ?1 AND delivered_at IS NULL",
                &args![seq, ms(at), error],
            )
        })?;
        Ok(())
    }

    /// Makes given-up row `seq` due again now with its attempts reset (an admin's retry).
    /// Returns whether such a row existed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_requeue(&self, seq: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.write(|c| {
            c.execute(
                "UPDATE outbox SET failed_at = NULL, attempts = 0, next_attempt_at = ?2, lease_until = NULL \
                 WHERE seq = ?1 AND failed_at IS NOT NULL",
                &args![seq, ms(at)],
            )
        })?;
        Ok(n > 0)
    }

    /// Counts of the outbox at `now`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_counts(&self, now: DateTime<Utc>) -> Result<OutboxCounts, StoreError> {
        let r = self.read(|c| {
            c.query_one(
                "SELECT \
                 count(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 END), \
                 count(delivered_at), count(failed_at), \
                 min(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN created_at END) \
                 FROM outbox",
                &[],
            )
        })?;
        let oldest: Option<i64> = r.get(3)?;
        Ok(OutboxCounts {
            pending: r.get::<i64>(0)?.max(0) as u64,
            delivered: r.get::<i64>(1)?.max(0) as u64,
            failed: r.get::<i64>(2)?.max(0) as u64,
            oldest_pending_s: oldest.map_or(0.0, |o| ((ms(now) - o).max(0)) as f64 / 1000.0),
        })
    }

    /// Rows for admins, newest first: `failed` only the given-up ones, else every row.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn outbox_entries(
        &self,
        failed: bool,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let filter = if failed {
            "WHERE failed_at IS NOT NULL"
        } else {
            ""
        };
        let sql = format!(
            "SELECT seq, idempotency_key, channel, destination, event, suggestion_id, attempts, last_error, \
             created_at, next_attempt_at, delivered_at, failed_at FROM outbox {filter} ORDER BY seq DESC LIMIT ?1"
        );
        self.read(|c| {
            c.query(&sql, &args![limit as i64])?
                .iter()
                .map(|r| {
                    let channel = channel_of(&r.get::<String>(2)?)?;
                    let dest: String = r.get(3)?;
                    let event: String = r.get(4)?;
                    let delivered_at = r.get::<Option<i64>>(10)?.map(from_ms);
                    let failed_at = r.get::<Option<i64>>(11)?.map(from_ms);
                    Ok(OutboxEntry {
                        seq: r.get(0)?,
                        idempotency_key: r.get(1)?,
                        destination: match channel {
                            Channel::Email => mask_email(&dest),
                            Channel::Webhook => dest,
                        },
                        channel,
                        event: event.parse().map_err(StoreError::corrupt)?,
                        suggestion_id: r.get(5)?,
                        attempts: r.get::<i64>(6)?.max(0) as u32,
                        last_error: r.get(7)?,
                        created_at: from_ms(r.get(8)?),
                        next_attempt_at: (delivered_at.is_none() && failed_at.is_none())
                            .then(|| r.get::<i64>(9).map(from_ms))
                            .transpose()?,
                        delivered_at,
                        failed_at,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use crate::model::LonLat;
    use crate::suggestions::{
        Category, Contact, ContactKind, NewSuggestion, OfficerRole, PublicNote,
    };
    use sha2::Digest;

    fn new(email: Option<&str>, t: &str) -> NewSuggestion {
        let p = LonLat::new(112.97, 28.2).unwrap();
        NewSuggestion {
            location: p,
            input_location: p,
            input_crs: Crs::Wgs84,
            category: Category::Parking,
            description: "电动车没地方停".into(),
            role: None,
            contact: email.map(|e| Contact {
                kind: ContactKind::Email,
                value: e.into(),
            }),
            email: None,
            first_name: None,
            last_name: None,
            campaign_id: None,
            adcode: Some("430102".into()),
            collection_point: None,
            photo: None,
            created_at: t.parse().unwrap(),
        }
    }

    fn at(t: &str) -> DateTime<Utc> {
        t.parse().unwrap()
    }

    fn rows(s: &Store) -> Vec<(String, String, String, String)> {
        s.read(|c| {
            c.query(
                "SELECT idempotency_key, channel, destination, event FROM outbox ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .collect::<Result<Vec<_>, StoreError>>()
        })
        .unwrap()
    }

    /// Rows are written with the change, one per destination, with stable distinct keys;
    /// a refused change writes none; claims lease, count attempts and hand a row out again
    /// only after its lease ends; delivered and given-up rows are never handed out again.
    #[test]
    fn rows_are_written_with_the_change_and_claimed_under_leases() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let (o, _) = s
            .create_token(OfficerRole::Officer, &["430102".into()], "张三")
            .unwrap();
        let (a, _) = s
            .insert_suggestion(new(Some("li@example.com"), "2026-12-01T00:00:00Z"))
            .unwrap();
        let (b, _) = s
            .insert_suggestion(new(None, "2026-12-01T00:01:00Z"))
            .unwrap();
        // no targets: nothing is written
        s.transition(
            &b.id,
            Status::Accepted,
            &PublicNote::new("收到").unwrap(),
            &o,
            at("2026-12-01T01:00:00Z"),
        )
        .unwrap();
        assert!(rows(&s).is_empty());
        s.set_outbox_targets(OutboxTargets {
            webhooks: vec![
                WebhookTarget {
                    url: "http://127.0.0.1:9/all".into(),
                    events: vec![],
                },
                WebhookTarget {
                    url: "http://127.0.0.1:9/answers".into(),
                    events: vec![EventKind::Answered],
                },
            ],
            email: true,
        });
        s.transition(
            &a.id,
            Status::Accepted,
            &PublicNote::new("已受理").unwrap(),
            &o,
            at("2026-12-02T00:00:00Z"),
        )
        .unwrap();
        // a refused transition rolls back with its rows
        assert!(s
            .transition(
                &a.id,
                Status::Submitted,
                &PublicNote::new("x").unwrap(),
                &o,
                at("2026-12-02T00:01:00Z")
            )
            .is_err());
        let r = rows(&s);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            (r[0].1.as_str(), r[0].2.as_str(), r[0].3.as_str()),
            (
                "webhook",
                "http://127.0.0.1:9/all",
                "suggestion.status_changed"
            )
        );
        assert_eq!(
            (r[1].1.as_str(), r[1].2.as_str()),
            ("email", "li@example.com")
        );
        // a reply without a status change is an answer: all three destinations
        s.transition(
            &a.id,
            Status::Accepted,
            &PublicNote::new("补充说明").unwrap(),
            &o,
            at("2026-12-02T00:02:00Z"),
        )
        .unwrap();
        // b is merged into a: b's reporter has no email, a's reporter is told once
        s.mark_duplicate(
            &b.id,
            &a.id,
            &PublicNote::new("重复").unwrap(),
            &o,
            at("2026-12-02T00:03:00Z"),
        )
        .unwrap();
        let r = rows(&s);
        assert_eq!(r.len(), 2 + 3 + 1, "{r:?}");
        assert!(r[2..5].iter().all(|x| x.3 == "suggestion.answered"));
        assert_eq!(r[5].2, "http://127.0.0.1:9/all");
        let mut keys: Vec<&str> = r.iter().map(|x| x.0.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            r.len(),
            "keys are distinct per event × destination"
        );
        // the key is the documented function of the history entry and destination
        let seq: i64 = s
            .read(|c| {
                c.query_one(
                    "SELECT min(seq) FROM status_changes WHERE suggestion_id = ?1 AND to_status = 'accepted' AND from_status = 'submitted'",
                    &args![a.id.as_str()],
                )
            })
            .unwrap()
            .get(0)
            .unwrap();
        let h = hex::encode(sha2::Sha256::digest(b"webhook:http://127.0.0.1:9/all"));
        assert_eq!(r[0].0, format!("nx-{seq}-{}", &h[..16]));
        let payload: serde_json::Value = serde_json::from_str(
            &s.read(|c| c.query_one("SELECT payload FROM outbox ORDER BY seq LIMIT 1", &[]))
                .unwrap()
                .get::<String>(0)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(payload["suggestion"]["id"], a.id.as_str());
        assert_eq!(payload["change"]["from"], "submitted");
        assert_eq!(payload["change"]["to_label_zh"], "已受理");
        assert_eq!(payload["event_id"], format!("nx-{seq}"));
        assert!(!payload.to_string().contains("li@example.com"));

        // claims: 6 rows due, leased 30 s
        let t0 = at("2026-12-02T00:10:00Z");
        let lease = chrono::Duration::seconds(30);
        let first = s.claim_outbox(t0, 4, lease).unwrap();
        assert_eq!(first.len(), 4);
        assert!(first.iter().all(|r| r.attempts == 1));
        let second = s.claim_outbox(t0, 10, lease).unwrap();
        assert_eq!(second.len(), 2, "leased rows are not handed out twice");
        assert!(s
            .claim_outbox(t0 + chrono::Duration::seconds(29), 10, lease)
            .unwrap()
            .is_empty());
        s.outbox_delivered(first[0].seq, t0).unwrap();
        s.outbox_retry(first[1].seq, t0 + chrono::Duration::seconds(40), "HTTP 500")
            .unwrap();
        s.outbox_give_up(first[2].seq, t0, "HTTP 410").unwrap();
        // after the lease: the 3 rows still leased (a crashed worker's) come back, attempt 2
        let again = s
            .claim_outbox(t0 + chrono::Duration::seconds(31), 10, lease)
            .unwrap();
        let seqs: Vec<i64> = again.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![first[3].seq, second[0].seq, second[1].seq]);
        assert!(again.iter().all(|r| r.attempts == 2));
        // due again at t0 + 40 s, while the three above are still leased (until t0 + 61 s)
        let retried = s
            .claim_outbox(t0 + chrono::Duration::seconds(40), 10, lease)
            .unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(retried[0].seq, first[1].seq);
        assert_eq!(retried[0].idempotency_key, first[1].idempotency_key);
        let counts = s.outbox_counts(t0).unwrap();
        assert_eq!((counts.pending, counts.delivered, counts.failed), (4, 1, 1));
        let failed = s.outbox_entries(true, 10).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].last_error.as_deref(), Some("HTTP 410"));
        assert!(s.outbox_requeue(first[2].seq, t0).unwrap());
        assert_eq!(s.outbox_counts(t0).unwrap().failed, 0);
        assert!(s
            .outbox_entries(false, 10)
            .unwrap()
            .iter()
            .filter(|e| e.channel == Channel::Email)
            .all(|e| e.destination == "l***@example.com"));
    }

    /// A duplicate's reporter is told of the original's answers (their own tracking id in
    /// the row), and an address shared by both reporters is written once.
    #[test]
    fn duplicates_reporters_hear_the_originals_answers() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        let (o, _) = s
            .create_token(OfficerRole::Officer, &["430102".into()], "张三")
            .unwrap();
        let (a, _) = s
            .insert_suggestion(new(Some("a@example.com"), "2026-12-01T00:00:00Z"))
            .unwrap();
        // b gave the address in the `email` field (Open311, JSON API), not as its contact
        let mut nb = new(None, "2026-12-01T00:01:00Z");
        nb.email = Some("b@example.com".into());
        let (b, _) = s.insert_suggestion(nb).unwrap();
        let (c, _) = s
            .insert_suggestion(new(Some("A@EXAMPLE.com"), "2026-12-01T00:02:00Z"))
            .unwrap();
        let note = PublicNote::new("重复").unwrap();
        s.mark_duplicate(&b.id, &a.id, &note, &o, at("2026-12-02T00:00:00Z"))
            .unwrap();
        s.mark_duplicate(&c.id, &a.id, &note, &o, at("2026-12-02T00:01:00Z"))
            .unwrap();
        s.set_outbox_targets(OutboxTargets {
            webhooks: vec![],
            email: true,
        });
        s.transition(
            &a.id,
            Status::Accepted,
            &PublicNote::new("已加装停车架").unwrap(),
            &o,
            at("2026-12-03T00:00:00Z"),
        )
        .unwrap();
        let got = s
            .read(|cn| {
                cn.query("SELECT destination, payload FROM outbox ORDER BY seq", &[])?
                    .iter()
                    .map(|r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .unwrap();
        let dests: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(dests, vec!["a@example.com", "b@example.com"]);
        let p: serde_json::Value = serde_json::from_str(&got[1].1).unwrap();
        assert_eq!(p["recipient_suggestion_id"], b.id.as_str());
        assert_eq!(p["suggestion"]["id"], a.id.as_str());
        assert_eq!(p["change"]["note"], "已加装停车架");
    }
}
