//! What many servers on one database share through it: change notifications of service
//! points ([`notify_points`]), the submission rate limit ([`Store::take_rate_token`]) and
//! idempotent submissions ([`Store::suggestion_by_idempotency_key`]).

use super::idempotency::{self, IdempotencyKey};
use super::sql::{args, Conn, Engine};
use super::{Store, StoreError, Suggestion};

/// The PostgreSQL notification channel of service-point changes (`server::point_sync`).
pub const POINTS_CHANNEL: &str = "nuanxin_points";

/// Payload of a notification meaning "reload every point".
pub const RELOAD_ALL: &str = "*";

/// More changed points than this in one transaction are announced as one [`RELOAD_ALL`].
pub const MAX_NOTIFIED_IDS: usize = 1000;

/// Announces changed service points to every server listening on [`POINTS_CHANNEL`], inside
/// the caller's transaction (PostgreSQL delivers notifications at `COMMIT`, in commit order,
/// and drops them on rollback). More than [`MAX_NOTIFIED_IDS`] become one [`RELOAD_ALL`].
/// Nothing on SQLite (one server per file).
///
/// # Errors
/// [`StoreError`].
pub(crate) fn notify_points<'a>(
    c: &mut dyn Conn,
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> Result<(), StoreError> {
    if ids.len() > MAX_NOTIFIED_IDS {
        return notify_all_points(c);
    }
    for id in ids {
        notify(c, id)?;
    }
    Ok(())
}

/// Announces that any point may have changed (a bulk delete): every server reloads all.
///
/// # Errors
/// [`StoreError`].
pub(crate) fn notify_all_points(c: &mut dyn Conn) -> Result<(), StoreError> {
    notify(c, RELOAD_ALL)
}

fn notify(c: &mut dyn Conn, payload: &str) -> Result<(), StoreError> {
    if c.engine() == Engine::Postgres {
        // execute: pg_notify returns `void`, which no row decoder reads
        c.execute("SELECT pg_notify(?1, ?2)", &args![POINTS_CHANNEL, payload])?;
    }
    Ok(())
}

impl Store {
    /// Takes one token of client `client`'s bucket (GCRA, the generic cell rate algorithm of
    /// ITU-T I.371, the algorithm of the single-server limiter too): one token every
    /// `period_ms`, at most `burst` at once. The bucket is one row of `rate_limits` holding
    /// the theoretical arrival time (TAT) of the next token, updated by one atomic
    /// `INSERT … ON CONFLICT … DO UPDATE … WHERE … RETURNING`: a request is admitted when
    /// max(TAT, now) + period − now ≤ burst × period, and then TAT becomes max(TAT, now) +
    /// period. Every server shares the row, so the limit holds across servers. The client
    /// is stored as a salted SHA-256, never as given.
    ///
    /// Returns true when admitted.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn take_rate_token(
        &self,
        client: &str,
        now_ms: i64,
        period_ms: i64,
        burst: u32,
    ) -> Result<bool, StoreError> {
        let key = super::store::sha256_hex(&format!("{}|rate|{client}", self.salt()));
        let period = period_ms.max(1);
        // admitted ⇔ max(TAT, now) ≤ now + (burst − 1) × period
        let latest_tat = now_ms + (i64::from(burst.max(1)) - 1) * period;
        let rows = self.write(|c| {
            c.query(
                "INSERT INTO rate_limits (key, tat_ms) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET tat_ms = CASE WHEN rate_limits.tat_ms > ?3 \
                 THEN rate_limits.tat_ms + ?4 ELSE ?2 END \
                 WHERE rate_limits.tat_ms <= ?5 \
                 RETURNING tat_ms",
                &args![key, now_ms + period, now_ms, period, latest_tat],
            )
        })?;
        Ok(!rows.is_empty())
    }

    /// Deletes the buckets that are full again (TAT in the past: the same as no row).
    /// Returns how many.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn prune_rate_limits(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.write(|c| c.execute("DELETE FROM rate_limits WHERE tat_ms < ?1", &args![now_ms]))
    }

    /// The suggestion stored with idempotency key `key`, with the fingerprint of the request
    /// that stored it ([`idempotency::fingerprint`]).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn suggestion_by_idempotency_key(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<(Suggestion, String)>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT id, request_hash FROM suggestions WHERE idempotency_key_hash = ?1",
                &args![key.hash()],
            )
        })?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.get(0)?;
        let fingerprint: Option<String> = row.get(1)?;
        let s = self
            .suggestion(&id)?
            .ok_or_else(|| StoreError::corrupt(format!("suggestion {id} vanished")))?;
        Ok(Some((s, fingerprint.unwrap_or_default())))
    }

    /// The receipt token of the suggestion filed with `key` ([`idempotency::receipt_for`]
    /// with this database's salt).
    pub fn receipt_for_key(&self, key: &IdempotencyKey) -> String {
        idempotency::receipt_for(self.salt(), key)
    }
}

#[cfg(test)]
mod tests {
    //! Run on SQLite, and on PostgreSQL when `NUANXIN_TEST_DATABASE_URL` is set
    //! (`Store::open_for_test`).
    use super::*;
    use crate::index::ServiceIndex;
    use crate::suggestions::submit::{submit, Submission, Submitted};
    use crate::suggestions::{ListQuery, SuggestionError};
    use chrono::Utc;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_for_test(dir.path()).unwrap();
        (dir, s)
    }

    #[test]
    fn shared_buckets_admit_what_gcra_admits_by_hand() {
        let (_d, s) = store();
        // 10 a minute: one token every 6 000 ms; burst 3.
        let take = |client: &str, t: i64| s.take_rate_token(client, t, 6_000, 3).unwrap();
        // t = 0: the burst of 3, then nothing (TAT = 18 000 > 0 + 2 × 6 000)
        assert!(take("a", 0) && take("a", 0) && take("a", 0));
        assert!(!take("a", 0));
        // another client has its own bucket
        assert!(take("b", 0));
        // t = 5 999: TAT 18 000 > 5 999 + 12 000 = 17 999, refused; t = 6 000: admitted
        assert!(!take("a", 5_999));
        assert!(take("a", 6_000));
        assert!(!take("a", 6_000));
        // refusals do not move the TAT: one token per 6 s keeps being admitted
        assert!(take("a", 12_000));
        // buckets whose TAT (a: 30 000, b: 6 000) is in the past are full again: pruned
        assert_eq!(s.prune_rate_limits(6_001).unwrap(), 1);
        assert_eq!(s.prune_rate_limits(30_001).unwrap(), 1);
        assert!(take("a", 30_001) && take("a", 30_001) && take("a", 30_001));
        assert!(!take("a", 30_001));
    }

    fn submission(description: &str) -> Submission {
        Submission {
            position: Some((112.9765, 28.1952)),
            category: Some("rest".into()),
            description: Some(description.into()),
            photo: None,
            ..Default::default()
        }
    }

    fn file(
        s: &Store,
        sub: Submission,
        key: Option<&IdempotencyKey>,
    ) -> Result<Submitted, SuggestionError> {
        let index = ServiceIndex::new(Vec::new()).unwrap();
        submit(s, &index, sub, Utc::now(), key, || {
            Ok::<(), SuggestionError>(())
        })
    }

    fn stored(s: &Store) -> usize {
        s.list_suggestions(&ListQuery::default()).unwrap().1
    }

    #[test]
    fn a_repeated_key_answers_the_stored_suggestion_and_stores_nothing() {
        let (_d, s) = store();
        let key = IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").unwrap();
        let first = file(&s, submission("五一广场附近没有歇脚的地方"), Some(&key)).unwrap();
        assert!(!first.replayed);
        let again = file(&s, submission("五一广场附近没有歇脚的地方"), Some(&key)).unwrap();
        assert!(again.replayed);
        assert_eq!(again.suggestion.id, first.suggestion.id);
        assert_eq!(again.receipt_token, first.receipt_token);
        assert!(s
            .check_receipt(&first.suggestion.id, &again.receipt_token)
            .unwrap());
        assert_eq!(stored(&s), 1);
        // the same key with other content names another suggestion: refused
        let e = file(&s, submission("另一条建议"), Some(&key)).unwrap_err();
        assert!(
            matches!(&e, SuggestionError::IdempotencyKeyReused { id } if *id == first.suggestion.id),
            "{e:?}"
        );
        // without a key, or with another key, the same content is a new suggestion
        let other = IdempotencyKey::parse("0b7c5a3e-4a51-4d3c-9a52-6d0f1c0b8e21").unwrap();
        let b = file(&s, submission("五一广场附近没有歇脚的地方"), Some(&other)).unwrap();
        let c = file(&s, submission("五一广场附近没有歇脚的地方"), None).unwrap();
        assert!(!b.replayed && !c.replayed);
        assert_ne!(b.receipt_token, first.receipt_token);
        assert_eq!(stored(&s), 3);
        assert!(s.check_receipt(&c.suggestion.id, &c.receipt_token).unwrap());
    }

    #[test]
    fn concurrent_requests_with_one_key_store_one_suggestion() {
        let (_d, s) = store();
        let key = IdempotencyKey::parse("concurrent-key-0001").unwrap();
        let results: Vec<Submitted> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| scope.spawn(|| file(&s, submission("同时提交"), Some(&key)).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(stored(&s), 1);
        assert_eq!(results.iter().filter(|r| !r.replayed).count(), 1);
        for r in &results {
            assert_eq!(r.suggestion.id, results[0].suggestion.id);
            assert_eq!(r.receipt_token, results[0].receipt_token);
        }
    }
}
