//! The database as an extractor ([`Db`]) and [`blocking`], which runs store calls (SQLite
//! or PostgreSQL, synchronous) on tokio's blocking threads so they never stall the async workers.

use super::error::AppError;
use super::AppState;
use crate::suggestions::Store;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::sync::Arc;

/// The store, extracted from the state; 503 when the server runs without a database.
#[derive(Clone)]
pub struct Db(pub Arc<Store>);

impl Db {
    /// The store of `state`.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] (503) when the server runs without a database.
    pub fn of(state: &AppState) -> Result<Self, AppError> {
        state
            .store
            .clone()
            .map(Db)
            .ok_or_else(|| AppError::Unavailable("this server runs without a database".into()))
    }

    /// Runs `f` with the store on a blocking thread.
    ///
    /// # Errors
    /// `f`'s error, or [`AppError::Internal`] when the task panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let st = self.0.clone();
        blocking(move || f(&st)).await
    }
}

impl FromRequestParts<AppState> for Db {
    type Rejection = AppError;
    async fn from_request_parts(_parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Db::of(state)
    }
}

/// Runs blocking work (store calls, point-in-polygon over many points) off the async
/// threads.
///
/// # Errors
/// `f`'s error, or [`AppError::Internal`] when the task panicked.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("task failed: {e}")))?
}

/// Runs blocking work on this thread when the runtime allows it
/// ([`tokio::task::block_in_place`] on the multi-threaded runtime: the worker's other tasks
/// move to another thread, and this request waits for no thread to be woken, neither to
/// start the work nor to resume after it), else on the blocking pool ([`blocking`]). For
/// short work on a request's critical path, such as a point edit's commit (issue 16).
///
/// # Errors
/// `f`'s error, or [`AppError::Internal`] when the blocking-pool task panicked.
pub async fn blocking_here<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let multi_threaded = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_threaded {
        tokio::task::block_in_place(f)
    } else {
        blocking(f).await
    }
}
