//! The per-client submission rate limit (`[rate_limit]`): a token bucket per client IP.
//!
//! One server (SQLite) keeps the buckets in memory. Many servers on one PostgreSQL database
//! share them in the database (`Store::take_rate_token`, one atomic upsert per submission),
//! so the limit holds per client across all servers, not per server: a client sending to N
//! servers behind a load balancer gets `per_minute`, not N × `per_minute`. Both use the same
//! algorithm (GCRA) and so admit exactly the same sequences.

use super::config::RateLimit;
use super::error::AppError;
use crate::suggestions::Store;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Once};

/// How often the shared buckets that are full again are deleted, milliseconds.
pub const PRUNE_EVERY_MS: i64 = 10 * 60 * 1000;

/// Where the buckets live.
enum Buckets {
    /// In this process (`governor` via `tower_governor`).
    Local(Box<dyn Fn(IpAddr) -> bool + Send + Sync>),
    /// In the database, shared by every server on it.
    Shared(Arc<Store>),
}

/// A token bucket per client IP (GCRA): one token every 60 / `per_minute` seconds, up to
/// `burst` at once. One per server, held in [`super::AppState::submission_limiter`]; its
/// buckets are local or shared in the database (see the module docs).
pub struct SubmissionLimiter {
    buckets: Buckets,
    per_minute: u32,
    burst: u32,
    /// What is counted, for the 429 message (`suggestions`, `"me too" votes`).
    what: &'static str,
    warned_unknown_ip: Once,
    last_prune_ms: AtomicI64,
}

impl std::fmt::Debug for SubmissionLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmissionLimiter")
            .field("per_minute", &self.per_minute)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl SubmissionLimiter {
    /// The limiter `rl` configures; `None` when it is disabled (`enabled = false` or
    /// `per_minute = 0`).
    pub fn from_config(rl: &RateLimit) -> Option<Self> {
        Self::counting(rl, "suggestions")
    }

    /// The limiter of "me too" votes (`[support_rate_limit]`): one bucket per client IP on
    /// top of one vote per device token, so that a script cannot mint device tokens faster
    /// than the bucket refills. `None` when disabled.
    pub fn for_support(rl: &RateLimit) -> Option<Self> {
        Self::counting(rl, "\"me too\" votes")
    }

    /// The limiter of receipt look-ups (`[lookup_rate_limit]`): guessing a code takes about
    /// 10⁹ tries, this bucket makes that hopeless. `None` when disabled.
    pub fn for_lookup(rl: &RateLimit) -> Option<Self> {
        Self::counting(rl, "receipt look-ups")
    }

    fn counting(rl: &RateLimit, what: &'static str) -> Option<Self> {
        if !rl.enabled || rl.per_minute == 0 {
            return None;
        }
        let period_ms = (60_000 / u64::from(rl.per_minute)).max(1);
        let cfg = tower_governor::governor::GovernorConfigBuilder::default()
            .per_millisecond(period_ms)
            .burst_size(rl.burst.max(1))
            .finish()?;
        Some(Self {
            buckets: Buckets::Local(Box::new(move |ip: IpAddr| {
                cfg.limiter().check_key(&ip).is_ok()
            })),
            per_minute: rl.per_minute,
            burst: rl.burst,
            what,
            warned_unknown_ip: Once::new(),
            last_prune_ms: AtomicI64::new(0),
        })
    }

    /// The limiter `rl` configures with its buckets in `store` (many servers on one
    /// database); `None` when it is disabled.
    pub fn shared(rl: &RateLimit, store: Arc<Store>) -> Option<Self> {
        if !rl.enabled || rl.per_minute == 0 {
            return None;
        }
        Some(Self {
            buckets: Buckets::Shared(store),
            per_minute: rl.per_minute,
            burst: rl.burst,
            what: "suggestions",
            warned_unknown_ip: Once::new(),
            last_prune_ms: AtomicI64::new(chrono::Utc::now().timestamp_millis()),
        })
    }

    /// Whether the buckets are shared through the database.
    pub fn is_shared(&self) -> bool {
        matches!(self.buckets, Buckets::Shared(_))
    }

    /// Takes a token of `ip`'s bucket: true when there was one.
    fn take(&self, ip: IpAddr) -> Result<bool, AppError> {
        match &self.buckets {
            Buckets::Local(check) => Ok(check(ip)),
            Buckets::Shared(store) => {
                let now = chrono::Utc::now().timestamp_millis();
                let period_ms = (60_000 / i64::from(self.per_minute.max(1))).max(1);
                let admitted =
                    store.take_rate_token(&ip.to_string(), now, period_ms, self.burst.max(1))?;
                let last = self.last_prune_ms.load(Ordering::Relaxed);
                if now - last > PRUNE_EVERY_MS
                    && self
                        .last_prune_ms
                        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    if let Err(e) = store.prune_rate_limits(now) {
                        tracing::warn!(error = %e, "pruning the shared rate-limit buckets failed");
                    }
                }
                Ok(admitted)
            }
        }
    }

    /// Seconds until the next token: the refill period 60 / `per_minute`, rounded up (an
    /// upper bound of the bucket's real wait).
    pub fn retry_after_s(&self) -> u64 {
        60_u64.div_ceil(u64::from(self.per_minute.max(1)))
    }

    /// Takes one token for client `ip` (blocking with shared buckets: call it off the async
    /// workers, as the submission does).
    ///
    /// Without a client IP the limit is not applied (a warning is logged once) rather than
    /// throttling all clients as one.
    ///
    /// # Errors
    /// [`AppError::TooManyRequests`] (429 with `Retry-After`) when the bucket is empty; 503
    /// when shared buckets cannot be reached.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let Some(ip) = ip else {
            self.warned_unknown_ip.call_once(|| {
                tracing::warn!(
                    "client IP unknown (serve with into_make_service_with_connect_info or set \
                     trust_forwarded_for behind a proxy): submission rate limit not applied"
                )
            });
            return Ok(());
        };
        if self.take(ip)? {
            Ok(())
        } else {
            let retry_after_s = self.retry_after_s();
            Err(AppError::TooManyRequests {
                detail: format!(
                    "at most {} {} per minute (burst {}) per client; retry in {retry_after_s} s",
                    self.per_minute, self.what, self.burst
                ),
                retry_after_s,
            })
        }
    }
}
