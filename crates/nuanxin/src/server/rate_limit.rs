//! The per-client submission rate limit (`[rate_limit]`): a token bucket per client IP.

use super::config::RateLimit;
use super::error::AppError;
use std::net::IpAddr;
use std::sync::Once;

/// A token bucket per client IP (GCRA, `governor` via `tower_governor`): one token every
/// 60 / `per_minute` seconds, up to `burst` at once. One per server, held in
/// [`super::AppState::submission_limiter`].
pub struct SubmissionLimiter {
    check: Box<dyn Fn(IpAddr) -> bool + Send + Sync>,
    per_minute: u32,
    burst: u32,
    warned_unknown_ip: Once,
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
        if !rl.enabled || rl.per_minute == 0 {
            return None;
        }
        let period_ms = (60_000 / u64::from(rl.per_minute)).max(1);
        let cfg = tower_governor::governor::GovernorConfigBuilder::default()
            .per_millisecond(period_ms)
            .burst_size(rl.burst.max(1))
            .finish()?;
        Some(Self {
            check: Box::new(move |ip: IpAddr| cfg.limiter().check_key(&ip).is_ok()),
            per_minute: rl.per_minute,
            burst: rl.burst,
            warned_unknown_ip: Once::new(),
        })
    }

    /// Seconds until the next token: the refill period 60 / `per_minute`, rounded up (an
    /// upper bound of the bucket's real wait).
    pub fn retry_after_s(&self) -> u64 {
        60_u64.div_ceil(u64::from(self.per_minute.max(1)))
    }

    /// Takes one token for client `ip`.
    ///
    /// Without a client IP the limit is not applied (a warning is logged once) rather than
    /// throttling all clients as one.
    ///
    /// # Errors
    /// [`AppError::TooManyRequests`] (429 with `Retry-After`) when the bucket is empty.
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
        if (self.check)(ip) {
            Ok(())
        } else {
            let retry_after_s = self.retry_after_s();
            Err(AppError::TooManyRequests {
                detail: format!(
                    "at most {} suggestions per minute (burst {}) per client; retry in {retry_after_s} s",
                    self.per_minute, self.burst
                ),
                retry_after_s,
            })
        }
    }
}
