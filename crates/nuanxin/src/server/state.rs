//! Shared state handed to every handler.
//!
//! Depends only on the configuration, the metrics and the rate limiter: modules that serve
//! routes depend on the state, never the other way round (the OGC collections each module
//! contributes are registered where the router is built, in `server::router`).

use super::config::Config;
use super::error::AppError;
use super::metrics::Metrics;
use super::rate_limit::SubmissionLimiter;
use super::readiness::DbHealth;
use super::throttle::AnalysisGate;
use crate::districts::Districts;
use crate::index::live::{EditTiming, LiveIndex};
use crate::index::ServiceIndex;
use crate::model::ServicePoint;
use std::sync::Arc;

/// Explicit application state: one reference-counted [`Shared`], so a clone (axum makes
/// several per request: the router, each `State` extractor, state-holding middleware) costs
/// one atomic increment rather than one per field. Fields read through `Deref`
/// (`state.config`); assigning one (`state.store = …`, set-up code) copies the shared part
/// first when other clones exist (`Arc::make_mut`), so it changes this state only, as it did
/// when the fields were the state's own.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds (cheap to clone: everything is behind `Arc`).
#[derive(Clone)]
pub struct Shared {
    /// Configuration in force.
    pub config: Arc<Config>,
    /// The service points. Readers take a snapshot with [`AppState::index`] (lock-free);
    /// edits go through [`AppState::upsert_point`] and [`AppState::remove_point`], which
    /// update it incrementally without blocking readers ([`LiveIndex`]).
    pub index: Arc<LiveIndex>,
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
    /// The budget of CPU-heavy analyses (`[analyses]` of the configuration): concurrency,
    /// queue, per-client share and time budget. Shared by every clone of this state.
    pub analyses: Arc<AnalysisGate>,
    /// The per-client limit of "me too" votes (`[support_rate_limit]`); `None` when disabled.
    pub support_limiter: Option<Arc<SubmissionLimiter>>,
    /// Votes per (client IP, suggestion) in 24 hours ([`super::rate_limit::SupportCap`]).
    pub support_cap: Arc<super::rate_limit::SupportCap>,
    /// The per-client limit of receipt look-ups (`[lookup_rate_limit]`); `None` when disabled.
    pub lookup_limiter: Option<Arc<SubmissionLimiter>>,
    /// Serialises service-point edits so that the database and the live index apply them
    /// in the same order.
    pub point_edits: Arc<tokio::sync::Mutex<()>>,
    /// The road graph for travel times along roads (`by=time`, `model=network`); `None`
    /// without an imported extract: everything then answers in the straight-line model.
    pub roads: Option<Arc<crate::routing::RoadGraph>>,
    /// Whether the database answers, cached for `/readyz` ([`DbHealth`]).
    pub db_health: Arc<DbHealth>,
    /// Encoded vector tiles of the points and suggestions (`tile_cache_bytes`).
    pub tile_cache: Arc<super::tile_cache::TileCache>,
}

impl AppState {
    /// A read-only state over `index` with `config` and no database.
    pub fn new(config: Config, index: ServiceIndex) -> Self {
        Self(Arc::new(Shared {
            submission_limiter: SubmissionLimiter::from_config(&config.rate_limit).map(Arc::new),
            analyses: Arc::new(AnalysisGate::new(&config.analyses).within_request_timeout(
                std::time::Duration::from_secs(config.request_timeout_s.max(1)),
            )),
            support_limiter: SubmissionLimiter::for_support(&config.support_rate_limit)
                .map(Arc::new),
            lookup_limiter: SubmissionLimiter::for_lookup(&config.lookup_rate_limit).map(Arc::new),
            support_cap: Arc::default(),
            tile_cache: Arc::new(super::tile_cache::TileCache::new(config.tile_cache_bytes)),
            config: Arc::new(config),
            index: Arc::new(LiveIndex::new(index)),
            districts: Districts::embedded(),
            store: None,
            metrics: Arc::new(Metrics::default()),
            point_edits: Arc::new(tokio::sync::Mutex::new(())),
            roads: None,
            db_health: Arc::new(DbHealth::default()),
        }))
    }

    /// This state with `roads` as the road graph.
    pub fn with_roads(mut self, roads: Option<Arc<crate::routing::RoadGraph>>) -> Self {
        self.roads = roads;
        self
    }

    /// This state with `store` as the database. On PostgreSQL (many servers, one
    /// database) the submission rate limit moves into the database, shared by every server.
    pub fn with_store(mut self, store: Arc<crate::suggestions::Store>) -> Self {
        if store.engine() == crate::suggestions::sql::Engine::Postgres {
            self.submission_limiter =
                SubmissionLimiter::shared(&self.config.rate_limit, store.clone()).map(Arc::new);
        }
        self.store = Some(store);
        self
    }

    /// A snapshot of the current index (lock-free; unaffected by later edits).
    pub fn index(&self) -> Arc<ServiceIndex> {
        self.index.snapshot()
    }

    /// Inserts or replaces a point in the live index (off the async workers: an edit may
    /// wait for readers of the spare copy, see [`LiveIndex`]). Returns the replaced point and
    /// where the index's time went.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the edit's blocking task panicked or was cancelled (the
    /// runtime shutting down).
    pub async fn upsert_point(
        &self,
        p: ServicePoint,
    ) -> Result<(Option<Arc<ServicePoint>>, EditTiming), AppError> {
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || index.upsert_timed(p))
            .await
            .map_err(|e| AppError::Internal(format!("editing the index: {e}")))
    }

    /// Removes a point from the live index; returns it if it was there, and where the index's
    /// time went.
    ///
    /// # Errors
    /// As [`AppState::upsert_point`].
    pub async fn remove_point(
        &self,
        id: &str,
    ) -> Result<(Option<Arc<ServicePoint>>, EditTiming), AppError> {
        let (index, id) = (self.index.clone(), id.to_string());
        tokio::task::spawn_blocking(move || index.remove_timed(&id))
            .await
            .map_err(|e| AppError::Internal(format!("editing the index: {e}")))
    }
}
