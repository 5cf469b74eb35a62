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

/// Checks between two prunings of the in-process buckets of quiet clients.
const PRUNE_EVERY_CHECKS: u64 = 1024;

/// Where the buckets live.
enum Buckets {
    /// In this process (`governor` via `tower_governor`): the check, and the number of
    /// client IPs whose bucket is held.
    Local(
        Box<dyn Fn(IpAddr) -> bool + Send + Sync>,
        Box<dyn Fn() -> usize + Send + Sync>,
    ),
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
        let cfg = Arc::new(cfg);
        let counted = Arc::clone(&cfg);
        let calls = std::sync::atomic::AtomicU64::new(0);
        Some(Self {
            // The bucket of every client IP ever seen stayed in the map for the life of the
            // server: every PRUNE_EVERY_CHECKS checks, buckets that are full again (like a new
            // client's) are dropped, so the map holds only recently active clients.
            buckets: Buckets::Local(
                Box::new(move |ip: IpAddr| {
                    let limiter = cfg.limiter();
                    if calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY_CHECKS
                        == PRUNE_EVERY_CHECKS - 1
                    {
                        limiter.retain_recent();
                        limiter.shrink_to_fit();
                    }
                    limiter.check_key(&ip).is_ok()
                }),
                Box::new(move || counted.limiter().len()),
            ),
            per_minute: rl.per_minute,
            burst: rl.burst,
            what,
            warned_unknown_ip: Once::new(),
            last_prune_ms: AtomicI64::new(0),
        })
    }

    /// Client IPs whose bucket this process holds (0 with shared buckets).
    pub fn tracked_clients(&self) -> usize {
        match &self.buckets {
            Buckets::Local(_, len) => len(),
            Buckets::Shared(_) => 0,
        }
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
            Buckets::Local(check, _) => Ok(check(ip)),
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
                        tracing::warn!(error = %crate::error::report(&e), "pruning the shared rate-limit buckets failed");
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

/// Most "me too" votes with device tokens one client IP may cast on one suggestion in
/// [`SUPPORT_CAP_WINDOW_MS`]. Device tokens let riders behind one carrier gateway each count;
/// without this cap one IP could mint tokens and add about 60 votes a minute to one suggestion
/// (the per-IP bucket's rate; newcomer attack, stop 22: 40 votes in 15 s). Twenty people
/// behind one address backing the same suggestion on one day is rare; the 21st gets a 429 that
/// says why.
pub const SUPPORT_VOTES_PER_IP_AND_SUGGESTION: u32 = 20;

/// The window of [`SUPPORT_VOTES_PER_IP_AND_SUGGESTION`]: 24 hours, milliseconds.
pub const SUPPORT_CAP_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Counts "me too" votes per (client IP, suggestion) in a fixed 24-hour window, in this
/// process (with many servers each holds its own counts, so the cap is per server).
#[derive(Debug, Default)]
pub struct SupportCap {
    /// (IP, tracking id) → (window start, ms since the epoch; votes in the window).
    counts: std::sync::Mutex<std::collections::HashMap<(IpAddr, String), (i64, u32)>>,
    /// When the finished windows were last dropped, ms since the epoch.
    last_prune_ms: AtomicI64,
}

impl SupportCap {
    /// Counts one vote of `ip` on suggestion `id` at `now_ms`.
    ///
    /// # Errors
    /// [`AppError::TooManyRequests`] when `ip` already cast
    /// [`SUPPORT_VOTES_PER_IP_AND_SUGGESTION`] votes on `id` in the current window.
    pub fn check(&self, ip: IpAddr, id: &str, now_ms: i64) -> Result<(), AppError> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Drop the windows that are over, so the map holds only recent voters: when it is
        // large, and at most once a minute (a full map of recent voters must not cost a scan
        // per vote).
        if counts.len() >= 100_000 && now_ms - self.last_prune_ms.load(Ordering::Relaxed) > 60_000 {
            self.last_prune_ms.store(now_ms, Ordering::Relaxed);
            counts.retain(|_, (start, _)| now_ms - *start < SUPPORT_CAP_WINDOW_MS);
        }
        let entry = counts.entry((ip, id.to_string())).or_insert((now_ms, 0));
        if now_ms - entry.0 >= SUPPORT_CAP_WINDOW_MS {
            *entry = (now_ms, 0);
        }
        if entry.1 >= SUPPORT_VOTES_PER_IP_AND_SUGGESTION {
            let retry_after_s =
                u64::try_from((entry.0 + SUPPORT_CAP_WINDOW_MS - now_ms).max(1000) / 1000)
                    .unwrap_or(1);
            return Err(AppError::TooManyRequests {
                detail: format!(
                    "at most {SUPPORT_VOTES_PER_IP_AND_SUGGESTION} \"me too\" votes per client \
                     address on one suggestion in 24 hours"
                ),
                retry_after_s,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_of_clients_gone_quiet_are_dropped() {
        // Regression (issue 15, memory growth): one bucket per IP ever seen was kept for
        // the life of the server; spoofed or rotating addresses grew the map without end.
        let rl = RateLimit {
            per_minute: 60_000, // a token every millisecond: buckets refill at once
            burst: 1,
            ..RateLimit::default()
        };
        let limiter = SubmissionLimiter::from_config(&rl).unwrap();
        // Fewer checks than PRUNE_EVERY_CHECKS: no pruning yet, every bucket is kept.
        for i in 0..1_000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            limiter.check(Some(ip)).unwrap();
        }
        assert_eq!(limiter.tracked_clients(), 1_000);
        std::thread::sleep(std::time::Duration::from_millis(300));
        // The next pruning (at the PRUNE_EVERY_CHECKS-th check) drops the refilled buckets.
        let one = IpAddr::from([192, 0, 2, 1]);
        for _ in 0..PRUNE_EVERY_CHECKS {
            let _ = limiter.check(Some(one));
        }
        assert!(
            limiter.tracked_clients() <= 1,
            "{}",
            limiter.tracked_clients()
        );
    }

    #[test]
    fn one_address_casts_at_most_the_cap_on_one_suggestion() {
        let cap = SupportCap::default();
        let ip = IpAddr::from([198, 51, 100, 7]);
        let t0 = 1_000_000;
        for i in 0..SUPPORT_VOTES_PER_IP_AND_SUGGESTION {
            cap.check(ip, "S1", t0 + i64::from(i)).unwrap();
        }
        assert!(cap.check(ip, "S1", t0 + 100).is_err());
        // another suggestion, another address: their own counts
        cap.check(ip, "S2", t0 + 100).unwrap();
        cap.check(IpAddr::from([198, 51, 100, 8]), "S1", t0 + 100)
            .unwrap();
        // a day later the window starts again
        cap.check(ip, "S1", t0 + SUPPORT_CAP_WINDOW_MS).unwrap();
    }
}
