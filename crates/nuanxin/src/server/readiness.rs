//! Whether the database answers, for `/readyz`: a cheap query with a short timeout, cached
//! for [`MAX_AGE`] so that load balancers polling every server often cost the database at
//! most one query per second per server; concurrent checks share one probe.
//!
//! Requests that need the database do not consult this cache: they try the database and
//! answer 503 with `Retry-After` when it is unreachable (`StoreError::Unavailable`); the
//! store's pool opens new connections by itself once it is back. Reads served from memory
//! (nearest, points, coverage) never touch the database.

use crate::suggestions::Store;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a probe's answer is reused.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// How long a probe may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// The cached answer of the last probe (see the module docs).
#[derive(Debug, Default)]
pub struct DbHealth {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
    probing: tokio::sync::Mutex<()>,
}

impl DbHealth {
    fn cached(&self) -> Option<Result<(), String>> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < MAX_AGE)
            .map(|(_, r)| r.clone())
    }

    /// Whether `store` answers: `Ok` or why not, at most [`MAX_AGE`] old.
    ///
    /// # Errors
    /// Why the database is unreachable (the driver's message, or a timeout).
    pub async fn check(&self, store: &Arc<Store>) -> Result<(), String> {
        if let Some(r) = self.cached() {
            return r;
        }
        let _probing = self.probing.lock().await;
        if let Some(r) = self.cached() {
            return r;
        }
        let st = store.clone();
        let probe =
            tokio::task::spawn_blocking(move || st.ping().map_err(|e| crate::error::report(&e)));
        let r = match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(format!("probe failed: {e}")),
            Err(_) => Err(format!("no answer within {} ms", PROBE_TIMEOUT.as_millis())),
        };
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), r.clone()));
        r
    }
}
