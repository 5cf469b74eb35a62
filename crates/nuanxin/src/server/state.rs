//! Shared state handed to every handler.
//!
//! Depends only on the configuration, the metrics and the rate limiter: modules that serve
//! routes depend on the state, never the other way round (the OGC collections each module
//! contributes are registered where the router is built, in `server::router`).

use super::config::Config;
use super::metrics::Metrics;
use super::rate_limit::SubmissionLimiter;
use crate::districts::Districts;
use crate::index::ServiceIndex;
use std::sync::{Arc, RwLock};

/// Explicit application state (cheap to clone: everything is behind `Arc`).
#[derive(Clone)]
pub struct AppState {
    /// Configuration in force.
    pub config: Arc<Config>,
    /// The current index. Readers take a snapshot with [`AppState::index`]; writers replace
    /// or edit it under the lock, so queries never see a half-applied change.
    pub index: Arc<RwLock<Arc<ServiceIndex>>>,
    /// District boundaries (embedded).
    pub districts: &'static Districts,
    /// Suggestion and service-point storage; `None` when the server runs without a database
    /// (in-process tests of the read-only API).
    pub store: Option<Arc<crate::suggestions::Store>>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The per-client submission rate limit (`[rate_limit]` of the configuration); `None`
    /// when disabled. Shared by every clone of this state, so one server has one limiter.
    pub submission_limiter: Option<Arc<SubmissionLimiter>>,
    /// Serialises service-point edits so that the database and the live index apply them
    /// in the same order.
    pub point_edits: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// A read-only state over `index` with `config` and no database.
    pub fn new(config: Config, index: ServiceIndex) -> Self {
        Self {
            submission_limiter: SubmissionLimiter::from_config(&config.rate_limit).map(Arc::new),
            config: Arc::new(config),
            index: Arc::new(RwLock::new(Arc::new(index))),
            districts: Districts::embedded(),
            store: None,
            metrics: Arc::new(Metrics::default()),
            point_edits: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// This state with `store` as the database.
    pub fn with_store(mut self, store: Arc<crate::suggestions::Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// A snapshot of the current index.
    pub fn index(&self) -> Arc<ServiceIndex> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Applies `change` to a copy of the index and publishes the copy.
    pub fn update_index<R>(&self, change: impl FnOnce(&mut ServiceIndex) -> R) -> R {
        let mut guard = self.index.write().unwrap_or_else(|p| p.into_inner());
        let mut copy = (**guard).clone();
        let r = change(&mut copy);
        *guard = Arc::new(copy);
        r
    }
}
