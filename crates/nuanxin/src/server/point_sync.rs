//! Keeping every server's in-memory index in step with PostgreSQL (many servers, one
//! database).
//!
//! Each `nuanxin serve` answers point queries from its own [`crate::index::live::LiveIndex`].
//! On PostgreSQL every write of service points (the admin API, `nuanxin import --db
//! postgres://…`, seeding) sends `NOTIFY nuanxin_points, '<id>'` in the same transaction
//! (`'*'` for bulk writes), so a notification is delivered only once the change is
//! committed, and in commit order (PostgreSQL docs, *NOTIFY*). Each server holds one
//! dedicated connection that `LISTEN`s on [`CHANNEL`] ([`PointSync`]) and applies each change
//! by re-reading that point from the database: upsert when it exists (and is served), remove
//! when it does not. Re-reading rather than trusting the payload makes every notification
//! idempotent and order-insensitive: after the last notification of a point is applied, the
//! index holds the point's committed state.
//!
//! A lost connection (database restart, failover to a promoted standby, network) may have
//! lost notifications, so after reconnecting — with exponential back-off from 0.1 s to 5 s —
//! the server `LISTEN`s first and then reloads all points (a full reload), then resumes. The
//! connection is checked with `SELECT 1` every [`KEEPALIVE`], so a silently dead link is
//! noticed within seconds.
//!
//! The server's own edits come back as notifications too; re-reading them is harmless.
//!
//! SQLite has no notifications: there is one server per database file and the mode is off.

use super::AppState;
use crate::error::report;
use crate::index::ServiceIndex;
use crate::model::ServicePoint;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// The notification channel of service-point changes. The payload is a point id, or
/// [`RELOAD_ALL`].
pub const CHANNEL: &str = "nuanxin_points";

/// Payload meaning "many points changed: reload them all" (bulk imports, seeding).
pub const RELOAD_ALL: &str = "*";

/// More distinct ids than this in one batch are applied as one full reload.
pub const MAX_BATCH: usize = 1000;

/// How often the listening connection is checked with `SELECT 1`.
pub const KEEPALIVE: Duration = Duration::from_secs(5);

/// The listening connection's `application_name` (as `pg_stat_activity` shows it).
pub const APPLICATION_NAME: &str = "nuanxin point listener";

/// Longest wait between reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A listening connection: the client (kept to send `LISTEN` and keep-alives) and the
/// notifications its connection task forwards. The receiver closes when the connection ends.
struct Listening {
    client: tokio_postgres::Client,
    notifications: mpsc::UnboundedReceiver<String>,
}

/// Connects to the database of `config` and `LISTEN`s on [`CHANNEL`].
async fn listen(config: &tokio_postgres::Config) -> Result<Listening, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, notifications) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANNEL => {
                    if tx.send(n.payload().to_string()).is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(error = %report(&e), "point notifications: connection lost");
                    break;
                }
                None => break,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok(Listening {
        client,
        notifications,
    })
}

/// The listener of one server (see the module docs).
pub struct PointSync {
    config: tokio_postgres::Config,
    first: Option<Listening>,
}

impl PointSync {
    /// Connects to the PostgreSQL database of `config` (the store's URL, which may list a
    /// primary and its standbys with `target_session_attrs=read-write`) and starts listening.
    /// Call it before the server loads its points, so that no change committed during the
    /// load is missed.
    ///
    /// # Errors
    /// The driver's error when the database cannot be reached.
    pub async fn connect(
        mut config: tokio_postgres::Config,
    ) -> Result<Self, tokio_postgres::Error> {
        // named in pg_stat_activity; a dead host is given up on as quickly as by the store
        config.application_name(APPLICATION_NAME);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let first = listen(&config).await?;
        Ok(PointSync {
            config,
            first: Some(first),
        })
    }

    /// Applies notifications to `state`'s index for as long as the process runs, reconnecting
    /// (and reloading every point) after a lost connection. Spawn it once the index is built.
    pub async fn run(mut self, state: AppState) {
        let mut connection = self.first.take();
        let mut backoff = Duration::from_millis(100);
        loop {
            let l = match connection.take() {
                Some(l) => l,
                None => match listen(&self.config).await {
                    Ok(l) => {
                        // anything may have changed while the connection was down
                        match reload_all(&state).await {
                            Ok(n) => {
                                tracing::info!(
                                    points = n,
                                    "point notifications: reconnected, all points reloaded"
                                );
                                backoff = Duration::from_millis(100);
                                l
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "point notifications: reload failed");
                                tokio::time::sleep(backoff).await;
                                backoff = (backoff * 2).min(MAX_BACKOFF);
                                continue;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %report(&e), ?backoff, "point notifications: reconnecting");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            if let Err(e) = follow(l, &state).await {
                tracing::warn!(error = %e, "point notifications: connection lost; reconnecting");
            }
        }
    }
}

/// Applies the notifications of one connection until it fails.
async fn follow(mut l: Listening, state: &AppState) -> Result<(), String> {
    loop {
        let first = tokio::select! {
            n = l.notifications.recv() => n.ok_or("connection closed")?,
            () = tokio::time::sleep(KEEPALIVE) => {
                tokio::time::timeout(Duration::from_secs(2), l.client.simple_query("SELECT 1"))
                    .await
                    .map_err(|_| "keep-alive timed out".to_string())?
                    .map_err(|e| report(&e))?;
                continue;
            }
        };
        let mut ids = BTreeSet::from([first]);
        while let Ok(more) = l.notifications.try_recv() {
            ids.insert(more);
        }
        apply(state, ids).await?;
    }
}

/// Applies one batch of changed ids (a full reload for [`RELOAD_ALL`] or a large batch).
async fn apply(state: &AppState, ids: BTreeSet<String>) -> Result<(), String> {
    if ids.contains(RELOAD_ALL) || ids.len() > MAX_BATCH {
        let n = reload_all(state).await?;
        tracing::info!(points = n, "point notifications: all points reloaded");
        return Ok(());
    }
    let store = state.store.clone().ok_or("no database")?;
    let _edits = state.point_edits.lock().await;
    for id in ids {
        let st = store.clone();
        let key = id.clone();
        let stored = tokio::task::spawn_blocking(move || st.service_point(&key))
            .await
            .map_err(|e| report(&e))?
            .map_err(|e| report(&e))?;
        match stored.filter(|p| served(state, p)) {
            Some(p) => {
                state.upsert_point(p).await.map_err(|e| report(&e))?;
            }
            None => {
                state.remove_point(&id).await.map_err(|e| report(&e))?;
            }
        }
        tracing::debug!(%id, "point notifications: applied");
    }
    Ok(())
}

/// Whether this server serves `p` (stored demo points are not served with `demo = false`).
fn served(state: &AppState, p: &ServicePoint) -> bool {
    state.config.demo || !p.demo
}

/// Reloads every stored point into a new index and swaps it in; returns the count.
async fn reload_all(state: &AppState) -> Result<usize, String> {
    let store = state.store.clone().ok_or("no database")?;
    let _edits = state.point_edits.lock().await;
    let demo = state.config.demo;
    let index = tokio::task::spawn_blocking(move || {
        let mut points = store.service_points().map_err(|e| report(&e))?;
        if !demo {
            points.retain(|p| !p.demo);
        }
        ServiceIndex::new(points).map_err(|e| report(&e))
    })
    .await
    .map_err(|e| report(&e))??;
    let n = index.len();
    let live = state.index.clone();
    tokio::task::spawn_blocking(move || live.replace(index))
        .await
        .map_err(|e| report(&e))?;
    Ok(n)
}
