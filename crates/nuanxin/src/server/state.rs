//! Shared state handed to every handler.

use super::config::Config;
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
    pub metrics: Arc<super::metrics::Metrics>,
    /// OGC API – Features collections beyond the built-in one-per-kind ones (e.g. the
    /// suggestions collection); see [`super::ogc::CollectionProvider`].
    pub ogc_collections: Arc<Vec<Arc<dyn super::ogc::CollectionProvider>>>,
}

impl AppState {
    /// A read-only state over `index` with default configuration and no database.
    pub fn new(config: Config, index: ServiceIndex) -> Self {
        Self {
            config: Arc::new(config),
            index: Arc::new(RwLock::new(Arc::new(index))),
            districts: Districts::embedded(),
            store: None,
            metrics: Arc::new(super::metrics::Metrics::default()),
            ogc_collections: Arc::new(super::ogc::registered_collections()),
        }
    }

    /// This state with `store` as the database.
    pub fn with_store(mut self, store: Arc<crate::suggestions::Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// This state with one more OGC API – Features collection.
    pub fn with_ogc_collection(mut self, c: Arc<dyn super::ogc::CollectionProvider>) -> Self {
        let mut v = (*self.ogc_collections).clone();
        v.push(c);
        self.ogc_collections = Arc::new(v);
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
