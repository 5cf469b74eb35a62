//! Accepting connections, with limits a hostile or careless client cannot exhaust.
//!
//! - **Header read timeout / idle timeout** ([`ConnectionLimits::idle_timeout`]): a
//!   connection must deliver a complete request head within this time of being ready for
//!   one: after it opens, and again after each response while it is kept alive. hyper's
//!   HTTP/1 header-read timer covers both, so silent sockets and idle keep-alive connections
//!   are closed after it; a slow request body or handler is bounded by the request timeout
//!   (`request_timeout_s`, see [`super`]).
//! - **Write stall timeout** ([`ConnectionLimits::write_timeout`]): a response the client
//!   does not read (no byte accepted for this long) ends its connection and frees the
//!   response, see [`super::conn_io`]; hyper's own bodiless parse errors (400, 414, 431) get
//!   problem+json bodies there too.
//! - **Connection cap** ([`ConnectionLimits::max_connections`]): when a new connection
//!   arrives at the cap, the connection that has been idle longest (no request in flight) is
//!   closed gracefully to make room, so idle connections can never lock out new clients; if
//!   every connection is busy, the new one is closed at once.
//! - **Open-file limit**: [`raise_open_file_limit`] lifts the soft `RLIMIT_NOFILE` to the
//!   hard limit at start; the effective cap is kept below it ([`ConnectionLimits::fit_to`]).
//!   `accept` errors such as `EMFILE` pause accepting for 100 ms instead of ending the server.
//!
//! Shutdown: when `shutdown` completes, accepting stops, every connection is asked to close
//! gracefully (in-flight requests finish), and [`serve`] returns when all are closed or after
//! [`DRAIN_TIMEOUT`].

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

/// Longest wait for open connections to finish after the shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// File descriptors kept free for the database, data files and logs when the connection cap
/// is fitted to the open-file limit.
pub const RESERVED_FDS: u64 = 64;

/// Limits on connections (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most open connections.
    pub max_connections: usize,
    /// Time allowed to deliver a request head, after opening and between requests.
    pub idle_timeout: Duration,
    /// Time a response may wait for the client to accept more bytes before the connection
    /// is closed.
    pub write_timeout: Duration,
}

impl ConnectionLimits {
    /// These limits with `max_connections` lowered to fit `open_files` descriptors
    /// (minus [`RESERVED_FDS`]); at least 1.
    pub fn fit_to(self, open_files: Option<u64>) -> Self {
        let fit = open_files.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX)
        });
        Self {
            max_connections: self.max_connections.min(fit).max(1),
            ..self
        }
    }
}

/// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit and returns the
/// soft limit now in force (`None` where not supported or not readable).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(soft) => Some(soft),
            // The limit could not be raised: report the one in force, if readable.
            Err(_) => rlimit::Resource::NOFILE
                .get()
                .ok()
                .map(|(soft, _hard)| soft),
        }
    }
    #[cfg(not(unix))]
    None
}

/// One open connection as the registry sees it.
struct Conn {
    /// Milliseconds since the registry started, at the last request's start or end.
    last_active_ms: AtomicU64,
    /// Requests in flight.
    in_flight: AtomicUsize,
    /// Asks the connection to close gracefully.
    close: Notify,
}

/// The open connections.
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
    started: Instant,
    /// Signalled whenever a connection ends (for the shutdown drain).
    ended: Notify,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for one more connection under `max`: `false` when every connection is busy.
    fn make_room(&self, max: usize) -> bool {
        let mut conns = self.lock();
        if conns.len() < max {
            return true;
        }
        let idlest = conns
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.last_active_ms.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match idlest.and_then(|id| conns.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            last_active_ms: AtomicU64::new(self.now_ms()),
            in_flight: AtomicUsize::new(0),
            close: Notify::new(),
        });
        self.lock().insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
        self.ended.notify_waiters();
    }

    fn close_all(&self) {
        for c in self.lock().values() {
            c.close.notify_one();
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Counts a request in flight on a connection from its start to its response.
struct InFlight<'a>(&'a Conn, &'a Registry);

impl<'a> InFlight<'a> {
    fn start(conn: &'a Conn, reg: &'a Registry) -> Self {
        conn.in_flight.fetch_add(1, Ordering::AcqRel);
        conn.last_active_ms.store(reg.now_ms(), Ordering::Relaxed);
        Self(conn, reg)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .last_active_ms
            .store(self.1.now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` completes (see the module
/// docs). Each request carries the [`ConnectInfo`]`<SocketAddr>` of its peer, as
/// `into_make_service_with_connect_info` would give.
///
/// # Errors
/// None in practice: accept errors are logged and retried.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry {
        conns: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        started: Instant::now(),
        ended: Notify::new(),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE/ENFILE/ECONNABORTED: pause instead of spinning or exiting.
                    tracing::warn!(error = %e, "accept failed; pausing 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if !registry.make_room(limits.max_connections) {
            tracing::warn!(%peer, max = limits.max_connections, "every connection busy; new connection closed");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let (id, conn) = registry.add();
        let reg = registry.clone();
        let app = app.clone();
        let http = http.clone();
        tokio::spawn(async move {
            let svc = {
                let (conn, reg) = (conn.clone(), reg.clone());
                hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                    let (conn, reg, app) = (conn.clone(), reg.clone(), app.clone());
                    req.extensions_mut().insert(ConnectInfo(peer));
                    async move {
                        let _busy = InFlight::start(&conn, &reg);
                        app.oneshot(req.map(Body::new)).await
                    }
                })
            };
            let io = super::conn_io::ConnIo::new(stream, limits.write_timeout);
            let served = http.serve_connection(TokioIo::new(io), svc);
            tokio::pin!(served);
            tokio::select! {
                _ = served.as_mut() => {}
                () = conn.close.notified() => {
                    served.as_mut().graceful_shutdown();
                    let _ = served.as_mut().await;
                }
            }
            reg.remove(id);
        });
    }
    drop(listener);
    registry.close_all();
    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    loop {
        // Register for the wake-up before looking, so an end in between is not missed.
        let ended = registry.ended.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        if registry.len() == 0 {
            break;
        }
        if tokio::time::timeout_at(deadline, ended).await.is_err() {
            tracing::warn!(
                open = registry.len(),
                "connections still open after the drain timeout"
            );
            break;
        }
    }
    Ok(())
}
