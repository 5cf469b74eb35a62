//! The budget of heavy analyses through the real router: concurrent city-wide coverage
//! requests are bounded by `[analyses]` (slots, queue, time budget) while light requests
//! (`/healthz`, nearest) keep being answered.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use nuanxin::index::ServiceIndex;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

fn app(concurrency: usize, queue: usize, budget_s: f64) -> axum::Router {
    let mut config = nuanxin::server::Config::default();
    config.rate_limit.enabled = false;
    config.analyses.concurrency = concurrency;
    config.analyses.queue = queue;
    config.analyses.per_client = 0;
    config.analyses.budget_s = budget_s;
    let index = ServiceIndex::new(nuanxin::demo::demo_points()).unwrap();
    nuanxin::server::router(nuanxin::server::AppState::new(config, index))
}

/// Status, headers and JSON body of one request.
async fn call(app: axum::Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// A city-wide analysis far longer than its budget in any build: all of Changsha
/// (11 800 km²) at resolution 10, ~790 000 cells to tile (about 10 s in a debug build).
fn heavy() -> Request<Body> {
    Request::post("/api/v1/coverage")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"area": {"adcode": "430100"}, "resolution": 10, "mode": "ebike", "minutes": 5})
                .to_string(),
        ))
        .unwrap()
}

/// The value of the metric line starting with `series ` in a `/metrics` body.
fn metric(body: &str, series: &str) -> Option<f64> {
    body.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

async fn scrape(app: &axum::Router) -> String {
    let resp = app.clone().oneshot(get("/metrics")).await.unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_heavy_analyses_are_bounded_queued_refused_and_stopped_at_their_budget() {
    // One slot, one queue place, a 2 s budget.
    let app = app(1, 1, 2.0);
    let order = Arc::new(AtomicUsize::new(0));
    let mut heavies = Vec::new();
    for _ in 0..6 {
        let (app, order) = (app.clone(), order.clone());
        heavies.push(tokio::spawn(async move {
            let r = call(app, heavy()).await;
            (order.fetch_add(1, Ordering::SeqCst), r)
        }));
    }
    // Wait until two are admitted (one computing, one waiting) and four refused.
    let mut seen_running_max = 0.0f64;
    let mut ready = false;
    for _ in 0..2000 {
        let m = scrape(&app).await;
        let running = metric(&m, "nuanxin_analyses_running").unwrap();
        seen_running_max = seen_running_max.max(running);
        if running == 1.0
            && metric(&m, "nuanxin_analyses_queued") == Some(1.0)
            && metric(&m, r#"nuanxin_analyses_stopped_total{reason="queue_full"}"#) == Some(4.0)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        ready,
        "never saw 1 running, 1 queued, 4 refused:\n{}",
        scrape(&app).await
    );

    // Light requests are answered while the analyses hold their slot and place.
    let (st, _, v) = call(app.clone(), get("/healthz")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let light_done = order.fetch_add(1, Ordering::SeqCst);
    let (st, _, v) = call(app.clone(), get("/api/v1/nearest?lon=112.97&lat=28.19&k=3")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["features"].as_array().map(Vec::len), Some(3), "{v}");
    let m = scrape(&app).await;
    assert_eq!(metric(&m, "nuanxin_analyses_running"), Some(1.0), "{m}");
    assert_eq!(metric(&m, "nuanxin_analyses_queued"), Some(1.0), "{m}");

    let mut refused = Vec::new();
    let mut stopped = Vec::new();
    for h in heavies {
        let (seq, (st, headers, v)) = h.await.unwrap();
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert_eq!(v["status"], json!(503), "a problem body: {v}");
        let detail = v["detail"].as_str().unwrap_or_default().to_string();
        if detail.contains("busy") {
            let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(retry >= 1, "{retry}");
            refused.push(seq);
        } else {
            assert!(detail.contains("time budget of 2 s"), "{v}");
            stopped.push(seq);
        }
        // Polling during the run never saw more than one analysis computing.
        let m = scrape(&app).await;
        seen_running_max = seen_running_max.max(metric(&m, "nuanxin_analyses_running").unwrap());
    }
    assert_eq!((refused.len(), stopped.len()), (4, 2));
    // Refusals come at once, before the light requests; the admitted analyses end after them.
    assert!(
        refused.iter().all(|&r| r < light_done),
        "{refused:?} {light_done}"
    );
    assert!(
        stopped.iter().all(|&s| s > light_done),
        "{stopped:?} {light_done}"
    );
    assert_eq!(seen_running_max, 1.0);

    // Both budget stops are counted and every slot is free again.
    two_budget_stops_then_admitted(&app, 8).await;
}

/// Two analyses were stopped at their budget; once the slots are free a small analysis (芙蓉区
/// at `resolution`) is admitted and computed.
async fn two_budget_stops_then_admitted(app: &axum::Router, resolution: u8) {
    wait_until_idle(app).await;
    let m = scrape(app).await;
    assert_eq!(
        metric(
            &m,
            r#"nuanxin_analyses_stopped_total{reason="time_budget"}"#
        ),
        Some(2.0),
        "{m}"
    );
    assert_eq!(metric(&m, "nuanxin_analyses_queued"), Some(0.0), "{m}");
    let small = Request::post("/api/v1/coverage")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"area": {"adcode": "430102"}, "resolution": resolution}).to_string(),
        ))
        .unwrap();
    let (st, _, v) = call(app.clone(), small).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

/// Issue 15: two concurrent city-wide analyses (with proposals, so the candidate search
/// runs too) on a tiny budget both end with the documented budget answer, and the slots are
/// free afterwards: a third request is admitted and computed. Not timed: the answers only
/// have to be the budget problem, never the request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_city_wide_analyses_on_a_tiny_budget_both_get_the_budget_answer_and_free_their_slots(
) {
    let app = app(2, 0, 0.2);
    let city = |propose: usize| {
        Request::post("/api/v1/coverage")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"area": {"adcode": "430100"}, "resolution": 10, "propose": propose})
                    .to_string(),
            ))
            .unwrap()
    };
    let a = tokio::spawn(call(app.clone(), city(0)));
    let b = tokio::spawn(call(app.clone(), city(5)));
    for h in [a, b] {
        let (st, _, v) = h.await.unwrap();
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("time budget of 0.2 s (analyses.budget_s)")
                && detail.contains("smaller area"),
            "{v}"
        );
    }
    // Both slots free again (the work returned at its next check): a third one is admitted.
    two_budget_stops_then_admitted(&app, 7).await;
}

/// The budget is capped below the request timeout, so the budget answer comes first.
#[test]
fn the_budget_is_capped_below_the_request_timeout() {
    use nuanxin::server::throttle::{AnalysisGate, AnalysisLimits};
    let limits = AnalysisLimits {
        budget_s: 60.0,
        ..AnalysisLimits::default()
    };
    let g = AnalysisGate::new(&limits).within_request_timeout(Duration::from_secs(30));
    assert_eq!(g.budget(), Duration::from_secs(28));
    let g = AnalysisGate::new(&AnalysisLimits::default())
        .within_request_timeout(Duration::from_secs(30));
    assert_eq!(g.budget(), Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_what_if_session_past_its_budget_stops_with_a_problem() {
    let app = app(1, 0, 0.3);
    let req = Request::post("/api/v1/whatif")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"area": {"adcode": "430100"}, "resolution": 10}).to_string(),
        ))
        .unwrap();
    let (st, _, v) = call(app.clone(), req).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("time budget"), "{v}");
    // The slot is freed when the work reaches its next check (the answer may come first).
    wait_until_idle(&app).await;
}

/// Polls `/metrics` until no analysis is computing (at most 10 s), then asserts it.
async fn wait_until_idle(app: &axum::Router) {
    let mut m = scrape(app).await;
    for _ in 0..400 {
        if metric(&m, "nuanxin_analyses_running") == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        m = scrape(app).await;
    }
    assert_eq!(metric(&m, "nuanxin_analyses_running"), Some(0.0), "{m}");
}
