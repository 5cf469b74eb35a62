//! The budget of CPU-heavy analyses (`[analyses]` of the configuration): coverage,
//! proposals, day/night, what-if sessions and network service areas.
//!
//! One [`AnalysisGate`] per server bounds them four ways:
//! - **concurrency**: at most `concurrency` analyses compute at once (default: one per CPU
//!   core), each on a blocking thread, so the async workers keep answering `/healthz`,
//!   `nearest` and the rest;
//! - **queue**: at most `queue` more wait for a slot, in arrival order (tokio's semaphore is
//!   fair); any further one is answered at once with **503** and `Retry-After`;
//! - **per client**: one client IP may have at most `per_client` analyses running or waiting;
//!   beyond, **429** with `Retry-After` (one client cannot fill the queue for everyone);
//! - **time budget**: `budget_s` of wall-clock time counted from admission (waiting in the
//!   queue included). At the deadline the analysis is stopped through its cancellation flag,
//!   which the core loops check cooperatively (tiling, grid building, district assignment,
//!   the network search every 1 024 nodes, per station, per gap row, per candidate: see
//!   `coverage::CoverageOptions::cancel`), and the request is answered with a 503 problem
//!   naming the budget and suggesting a smaller area. The answer never waits for the work
//!   longer than [`ANSWER_GRACE`] past the deadline, and the budget is capped below
//!   `request_timeout_s` ([`AnalysisGate::within_request_timeout`]), so the client gets the
//!   budget answer, not the request timeout, even on a loaded machine. No thread is killed:
//!   the work returns at its next check and frees its slot then.
//!
//! A slot is held by the computation itself, not by the request: when a client goes away
//! the analysis is cancelled (as on a timeout) and its slot is freed only once the blocking
//! work has returned, so abandoned requests never let more than `concurrency` analyses
//! compute.
//!
//! The gauges `nuanxin_analyses_running` and `nuanxin_analyses_queued` and the counter
//! `nuanxin_analyses_rejected_total{reason}` are part of `/metrics`.

use super::error::AppError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Limits of the heavy analyses (the `[analyses]` table of `nuanxin.toml`).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AnalysisLimits {
    /// Analyses computing at once. Default 0: one per CPU core.
    pub concurrency: usize,
    /// Analyses waiting for a slot beyond those computing; further ones get 503 with
    /// `Retry-After`. Default 8.
    pub queue: usize,
    /// Analyses one client IP may have computing or waiting at once; further ones get 429
    /// with `Retry-After`. 0: no per-client limit. Default 2.
    pub per_client: usize,
    /// Seconds of wall-clock time one analysis may take from its admission, waiting in the
    /// queue included; then it stops and the request gets a 503 problem naming the budget.
    /// Capped at `request_timeout_s` − 2 s. Default 20 (a city-wide analysis at resolution
    /// 10 takes a few seconds in a release build).
    pub budget_s: f64,
}

impl Default for AnalysisLimits {
    fn default() -> Self {
        Self {
            concurrency: 0,
            queue: 8,
            per_client: 2,
            budget_s: 20.0,
        }
    }
}

impl AnalysisLimits {
    /// The number of analyses computing at once: `concurrency`, or the number of CPU cores
    /// when it is 0.
    pub fn effective_concurrency(&self) -> usize {
        if self.concurrency > 0 {
            self.concurrency
        } else {
            std::thread::available_parallelism().map_or(2, usize::from)
        }
    }
}

/// How long after its deadline an analysis' answer may wait for the work to see its
/// cancellation flag; then the budget answer is sent anyway (the work keeps its slot until it
/// returns).
pub const ANSWER_GRACE: Duration = Duration::from_millis(500);

/// Admission, queueing and time budget of the heavy analyses (see the module docs). One per
/// server, in [`super::AppState::analyses`].
#[derive(Debug)]
pub struct AnalysisGate {
    permits: Arc<Semaphore>,
    concurrency: usize,
    queue: usize,
    per_client: usize,
    budget: Duration,
    /// Analyses admitted and not yet finished (computing or waiting).
    admitted: Arc<AtomicUsize>,
    /// Analyses computing.
    running: Arc<AtomicUsize>,
    /// Admitted analyses per client IP.
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// Moving average of an analysis' computing time, milliseconds (for `Retry-After`).
    mean_ms: Arc<AtomicU64>,
    rejected_full: AtomicU64,
    rejected_client: AtomicU64,
    over_budget: AtomicU64,
}

/// Counts of [`AnalysisGate`] for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateCounts {
    /// Analyses computing now.
    pub running: usize,
    /// Analyses waiting for a slot now.
    pub queued: usize,
    /// Requests answered 503 because the queue was full, since start.
    pub rejected_queue_full: u64,
    /// Requests answered 429 because their client had `per_client` analyses already.
    pub rejected_per_client: u64,
    /// Analyses stopped at their time budget.
    pub over_budget: u64,
}

/// Decrements a counter when dropped.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A client's admitted analysis, released when dropped.
struct ClientSlot {
    clients: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Sets a flag when dropped (the request's future went away: client gone, request timeout).
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Aborts the budget timer when the analysis ends first.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl AnalysisGate {
    /// A gate with `limits`.
    pub fn new(limits: &AnalysisLimits) -> Self {
        let concurrency = limits.effective_concurrency();
        let budget_s = if limits.budget_s.is_finite() && limits.budget_s > 0.0 {
            limits.budget_s.min(86_400.0)
        } else {
            AnalysisLimits::default().budget_s
        };
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            queue: limits.queue,
            per_client: limits.per_client,
            budget: Duration::from_secs_f64(budget_s),
            admitted: Arc::new(AtomicUsize::new(0)),
            running: Arc::new(AtomicUsize::new(0)),
            clients: Arc::new(Mutex::new(HashMap::new())),
            mean_ms: Arc::new(AtomicU64::new(1000)),
            rejected_full: AtomicU64::new(0),
            rejected_client: AtomicU64::new(0),
            over_budget: AtomicU64::new(0),
        }
    }

    /// This gate with its budget capped so that the budget answer (at most budget +
    /// [`ANSWER_GRACE`]) comes before the request timeout: at `request_timeout` − 2 s, or
    /// half of it when that is shorter. Logs a warning when it lowers the configured budget.
    pub fn within_request_timeout(mut self, request_timeout: Duration) -> Self {
        let cap = request_timeout
            .saturating_sub(Duration::from_secs(2))
            .max(request_timeout / 2);
        if self.budget > cap {
            tracing::warn!(
                "analyses.budget_s = {} s is not shorter than request_timeout_s = {} s: the analysis budget is {} s",
                self.budget.as_secs_f64(),
                request_timeout.as_secs_f64(),
                cap.as_secs_f64()
            );
            self.budget = cap;
        }
        self
    }

    /// The budget answer: a 503 problem naming the budget and what to ask for instead.
    fn over_budget(&self, queued: bool) -> AppError {
        self.over_budget.fetch_add(1, Ordering::Relaxed);
        let budget_s = self.budget.as_secs_f64();
        AppError::Unavailable(if queued {
            format!(
                "the analysis waited for a free slot for its whole time budget of {budget_s} s (analyses.budget_s) and was not started; retry later, or ask for a smaller area or a coarser resolution"
            )
        } else {
            format!(
                "the analysis was stopped after its time budget of {budget_s} s (analyses.budget_s); ask for a smaller area, a coarser resolution or fewer proposals"
            )
        })
    }

    /// The current counts.
    pub fn counts(&self) -> GateCounts {
        let admitted = self.admitted.load(Ordering::Acquire);
        let running = self.running.load(Ordering::Acquire);
        GateCounts {
            running,
            queued: admitted.saturating_sub(running),
            rejected_queue_full: self.rejected_full.load(Ordering::Relaxed),
            rejected_per_client: self.rejected_client.load(Ordering::Relaxed),
            over_budget: self.over_budget.load(Ordering::Relaxed),
        }
    }

    /// The time budget of one analysis.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// Seconds after which a rejected request may be admitted: the mean computing time of
    /// recent analyses times the rounds of `concurrency` ahead of it, at least 1.
    fn retry_after_s(&self) -> u64 {
        let mean_ms = self.mean_ms.load(Ordering::Relaxed).max(1);
        let ahead = self.admitted.load(Ordering::Relaxed) as u64;
        let rounds = ahead.div_ceil(self.concurrency.max(1) as u64).max(1);
        (mean_ms * rounds).div_ceil(1000).clamp(1, 3600)
    }

    /// Runs `work` on a blocking thread once a slot is free, with a cancellation flag that is
    /// set when the budget runs out or the caller's future is dropped; `work` must check it
    /// in its loops and return soon after it is set.
    ///
    /// # Errors
    /// - [`AppError::TooManyRequests`] (429, `Retry-After`) when `ip` already has
    ///   `per_client` analyses admitted;
    /// - [`AppError::Overloaded`] (503, `Retry-After`) when `concurrency + queue` analyses
    ///   are admitted already;
    /// - [`AppError::Unavailable`] (503) when the analysis outran its budget;
    /// - whatever `work` returns.
    pub async fn run<T, F>(&self, ip: Option<IpAddr>, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<AtomicBool>) -> Result<T, AppError> + Send + 'static,
    {
        let client = match ip {
            Some(ip) if self.per_client > 0 => {
                let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
                let n = map.entry(ip).or_insert(0);
                if *n >= self.per_client {
                    drop(map);
                    self.rejected_client.fetch_add(1, Ordering::Relaxed);
                    return Err(AppError::TooManyRequests {
                        detail: format!(
                            "at most {} analyses per client at once (analyses.per_client); wait for yours to finish",
                            self.per_client
                        ),
                        retry_after_s: self.retry_after_s(),
                    });
                }
                *n += 1;
                Some(ClientSlot {
                    clients: Arc::clone(&self.clients),
                    ip,
                })
            }
            _ => None,
        };
        let before = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admitted = Held(Arc::clone(&self.admitted));
        if before >= self.concurrency + self.queue {
            drop(admitted);
            self.rejected_full.fetch_add(1, Ordering::Relaxed);
            return Err(AppError::Overloaded {
                detail: format!(
                    "the server is busy: {} analyses computing and {} waiting (analyses.concurrency, analyses.queue); retry later",
                    self.concurrency, self.queue
                ),
                retry_after_s: self.retry_after_s(),
            });
        }
        // The budget is wall-clock time from admission: waiting in the queue counts.
        let deadline = tokio::time::Instant::now() + self.budget;
        // Waiting in the queue: dropping this future (client gone, request timeout) leaves it.
        let Ok(permit) =
            tokio::time::timeout_at(deadline, Arc::clone(&self.permits).acquire_owned()).await
        else {
            return Err(self.over_budget(true));
        };
        let permit =
            permit.map_err(|e| AppError::Internal(format!("analysis slots closed: {e}")))?;
        self.running.fetch_add(1, Ordering::AcqRel);
        let running = Held(Arc::clone(&self.running));

        let cancel = Arc::new(AtomicBool::new(false));
        let expired = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = SetOnDrop(Arc::clone(&cancel));
        let _timer = AbortOnDrop(tokio::spawn({
            let (cancel, expired) = (Arc::clone(&cancel), Arc::clone(&expired));
            async move {
                tokio::time::sleep_until(deadline).await;
                expired.store(true, Ordering::Relaxed);
                cancel.store(true, Ordering::Relaxed);
            }
        }));
        let mean_ms = Arc::clone(&self.mean_ms);
        let flag = Arc::clone(&cancel);
        let work = tokio::task::spawn_blocking(move || {
            // The slot, the queue place and the client's place are held by the computation,
            // so they are freed when it returns, even if the request went away before.
            let _held = (permit, running, admitted, client);
            let t0 = Instant::now();
            let out = work(flag);
            release_free_memory();
            let ms = t0.elapsed().as_millis().min(u128::from(u32::MAX)) as u64;
            let old = mean_ms.load(Ordering::Relaxed);
            mean_ms.store((old * 3 + ms.max(1)) / 4, Ordering::Relaxed);
            out
        });
        // The answer waits for the work at most ANSWER_GRACE past the deadline: a phase that
        // checks its flag late (one dissolve of a large district's gaps on a loaded machine)
        // keeps its slot until it returns, but the client gets the budget answer in time.
        let Ok(joined) = tokio::time::timeout_at(deadline + ANSWER_GRACE, work).await else {
            tracing::warn!(
                "an analysis is still computing {} ms past its time budget; answered with the budget problem, its slot is freed when it returns",
                ANSWER_GRACE.as_millis()
            );
            return Err(self.over_budget(false));
        };
        let result = joined.map_err(|e| AppError::Internal(format!("analysis task: {e}")))?;
        match result {
            Err(_) if expired.load(Ordering::Relaxed) => Err(self.over_budget(false)),
            other => other,
        }
    }
}

/// Hands memory freed by an analysis back to the operating system. An analysis allocates
/// tens to hundreds of MB on a blocking thread, and glibc keeps what it frees in that
/// thread's arena; see [`crate::memory::release_free_memory`].
pub fn release_free_memory() {
    crate::memory::release_free_memory();
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn gate(
        concurrency: usize,
        queue: usize,
        per_client: usize,
        budget_s: f64,
    ) -> Arc<AnalysisGate> {
        Arc::new(AnalysisGate::new(&AnalysisLimits {
            concurrency,
            queue,
            per_client,
            budget_s,
        }))
    }

    async fn until(g: &AnalysisGate, running: usize, queued: usize) {
        for _ in 0..2000 {
            let c = g.counts();
            if c.running == running && c.queued == queued {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "gate never reached {running} running, {queued} queued: {:?}",
            g.counts()
        );
    }

    /// Work that blocks until `release` is set (or its cancellation flag is).
    fn held(release: Arc<AtomicBool>) -> impl FnOnce(Arc<AtomicBool>) -> Result<u32, AppError> {
        move |cancel| {
            while !release.load(Ordering::Relaxed) {
                if cancel.load(Ordering::Relaxed) {
                    return Err(AppError::Unavailable("cancelled".into()));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(7)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_concurrency_plus_queue_requests_get_503_with_retry_after() {
        let g = gate(1, 1, 0, 60.0);
        let release = Arc::new(AtomicBool::new(false));
        let a = tokio::spawn({
            let (g, r) = (g.clone(), release.clone());
            async move { g.run(None, held(r)).await }
        });
        until(&g, 1, 0).await;
        let b = tokio::spawn({
            let (g, r) = (g.clone(), release.clone());
            async move { g.run(None, held(r)).await }
        });
        until(&g, 1, 1).await;
        for _ in 0..3 {
            let e = g.run(None, |_| Ok(1)).await.unwrap_err();
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(matches!(e, AppError::Overloaded { retry_after_s, .. } if retry_after_s >= 1));
            let mut h = axum::http::HeaderMap::new();
            e.add_headers(&mut h);
            assert!(h.contains_key(axum::http::header::RETRY_AFTER));
        }
        // Bounded: never more than one computing.
        assert_eq!(g.counts().running, 1);
        release.store(true, Ordering::Relaxed);
        assert_eq!(a.await.unwrap().unwrap(), 7);
        assert_eq!(b.await.unwrap().unwrap(), 7);
        let c = g.counts();
        assert_eq!((c.running, c.queued, c.rejected_queue_full), (0, 0, 3));
        // Free again.
        assert_eq!(g.run(None, |_| Ok(5)).await.unwrap(), 5);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_analysis_past_its_budget_stops_cooperatively_with_a_503_and_frees_its_slot() {
        let g = gate(1, 0, 0, 0.05);
        let never = Arc::new(AtomicBool::new(false));
        let e = g.run(None, held(never)).await.unwrap_err();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.to_string().contains("time budget of 0.05 s"), "{e}");
        assert_eq!(g.counts().over_budget, 1);
        assert_eq!(g.counts().running, 0);
        // The slot is free: the next one runs.
        assert_eq!(g.run(None, |_| Ok(3)).await.unwrap(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_budget_counts_from_admission_so_a_queued_analysis_gets_the_budget_answer() {
        let g = gate(1, 1, 0, 0.1);
        let release = Arc::new(AtomicBool::new(false));
        // `a` holds the slot, ignoring its flag, until released.
        let a = tokio::spawn({
            let (g, release) = (g.clone(), release.clone());
            async move {
                g.run(None, move |_| {
                    while !release.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Ok(1)
                })
                .await
            }
        });
        until(&g, 1, 0).await;
        // Queued behind `a`: never gets the slot within its budget.
        let started = Arc::new(AtomicBool::new(false));
        let e = g
            .run(None, {
                let started = started.clone();
                move |_| {
                    started.store(true, Ordering::Relaxed);
                    Ok(1)
                }
            })
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.to_string().contains("time budget of 0.1 s"), "{e}");
        assert!(e.to_string().contains("not started"), "{e}");
        assert!(!started.load(Ordering::Relaxed));
        release.store(true, Ordering::Relaxed);
        // `a` itself: its result if it came within the grace, else the budget answer.
        let _ = a.await.unwrap();
        assert!(g.counts().over_budget >= 1);
        until(&g, 0, 0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_that_checks_its_flag_late_still_gets_the_budget_answer_in_time() {
        let g = gate(1, 0, 0, 0.05);
        let release = Arc::new(AtomicBool::new(false));
        // Ignores its flag until released (a phase without a check).
        let e = g
            .run(None, {
                let release = release.clone();
                move |_| {
                    while !release.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Ok(1)
                }
            })
            .await
            .unwrap_err();
        assert!(e.to_string().contains("time budget of 0.05 s"), "{e}");
        // The answer came before the work returned; the work still holds its slot.
        assert_eq!(g.counts().running, 1);
        release.store(true, Ordering::Relaxed);
        until(&g, 0, 0).await;
        assert_eq!(g.run(None, |_| Ok(3)).await.unwrap(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_client_cannot_take_more_than_its_share() {
        let g = gate(4, 4, 1, 60.0);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let release = Arc::new(AtomicBool::new(false));
        let a = tokio::spawn({
            let (g, r) = (g.clone(), release.clone());
            async move { g.run(Some(ip), held(r)).await }
        });
        until(&g, 1, 0).await;
        let e = g.run(Some(ip), |_| Ok(1)).await.unwrap_err();
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(g.run(Some(other), |_| Ok(2)).await.unwrap(), 2);
        release.store(true, Ordering::Relaxed);
        a.await.unwrap().unwrap();
        assert_eq!(g.run(Some(ip), |_| Ok(3)).await.unwrap(), 3);
        assert!(g.clients.lock().unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_cancels_its_work_and_the_slot_is_freed_when_the_work_returns() {
        let g = gate(1, 0, 0, 60.0);
        let never = Arc::new(AtomicBool::new(false));
        let a = tokio::spawn({
            let g = g.clone();
            async move { g.run(None, held(never)).await }
        });
        until(&g, 1, 0).await;
        a.abort();
        let _ = a.await;
        // The work sees its flag and returns; then the slot is free.
        until(&g, 0, 0).await;
        assert_eq!(g.run(None, |_| Ok(9)).await.unwrap(), 9);
    }
}
