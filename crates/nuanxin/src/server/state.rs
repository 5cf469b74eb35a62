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
        Self::with_live_index(config, Arc::new(LiveIndex::new(index)))
    }

    /// [`AppState::new`] serving `index`, already live (`serve` makes its spare copy
    /// while the rest of the state is set up).
    pub fn with_live_index(config: Config, index: Arc<LiveIndex>) -> Self {
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
            index,
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

    /// Inserts or replaces a point in the live index (off the async scheduler: an edit may
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
        self.edit_point(|_| Ok(()), PointChange::Upsert(Box::new(p)))
            .await
            .map(|e| (e.replaced, e.index))
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
        self.edit_point(|_| Ok(()), PointChange::Remove(id.to_string()))
            .await
            .map(|e| (e.replaced, e.index))
    }

    /// One point edit: `store_part` (the database transaction, committed and durable when
    /// it returns `Ok`; it gets the store, `None` without a database) and then `change` to
    /// the live index, both in one blocking call on this thread
    /// ([`super::db::blocking_here`]). One hand-off instead of two: each hand-off to a
    /// blocking thread and back cost about 4 ms of an edit's time on the loaded 2-core
    /// machine (issue 16, `scripts/bench-edits.sh`, 2026-12-07). The index is changed only
    /// after `store_part` succeeded, so an edit that was not stored is never served.
    ///
    /// # Errors
    /// `store_part`'s error (the index is then unchanged), or [`AppError::Internal`] when
    /// the blocking call panicked.
    pub async fn edit_point<T: Send + 'static>(
        &self,
        store_part: impl FnOnce(Option<&crate::suggestions::Store>) -> Result<T, AppError>
            + Send
            + 'static,
        change: PointChange,
    ) -> Result<PointEdit<T>, AppError> {
        let index = self.index.clone();
        let store = self.store.clone();
        super::db::blocking_here(move || {
            let started = std::time::Instant::now();
            let stored = store_part(store.as_deref())?;
            let store_time = started.elapsed();
            let (replaced, timing) = match change {
                PointChange::Upsert(p) => index.upsert_timed(*p),
                PointChange::Remove(id) => index.remove_timed(&id),
            };
            Ok(PointEdit {
                stored,
                replaced,
                store: store_time,
                index: timing,
            })
        })
        .await
    }
}

/// A change to one service point of the live index ([`AppState::edit_point`]).
#[derive(Debug, Clone)]
pub enum PointChange {
    /// Insert or replace the point with this id.
    Upsert(Box<ServicePoint>),
    /// Remove the point with this id.
    Remove(String),
}

/// What [`AppState::edit_point`] did.
#[derive(Debug)]
pub struct PointEdit<T> {
    /// What the store part returned.
    pub stored: T,
    /// The point the change replaced or removed from the index, if there was one.
    pub replaced: Option<Arc<ServicePoint>>,
    /// The store part's time (the transaction with its commit).
    pub store: std::time::Duration,
    /// Where the index's time went.
    pub index: EditTiming,
}
