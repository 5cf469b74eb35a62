//! Demonstration data never passes for real data (issue 15): while demo points are served,
//! every API response says so (`X-Demo-Data`), `GET /api/v1` and `/healthz` count them and
//! the page's configuration carries the count for its 演示数据 banner; with real points
//! only, none of these appear.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin::index::ServiceIndex;
use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin::server::{self, AppState, Config};
use serde_json::Value;

use crate::support;

async fn get(app: &axum::Router, uri: &str) -> (Option<String>, Value) {
    let r = support::http::get(app, uri).await;
    assert!(r.status.is_success(), "{uri}: {}", r.status);
    let demo = r.header("x-demo-data").map(str::to_string);
    (demo, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
}

fn app(points: Vec<ServicePoint>) -> axum::Router {
    server::router(AppState::new(
        Config::default(),
        ServiceIndex::new(points).unwrap(),
    ))
}

#[tokio::test]
async fn demo_points_are_announced_everywhere_and_real_points_are_not() {
    let demo = nuanxin::demo::demo_points();
    let n = demo.iter().filter(|p| p.demo).count();
    assert_eq!(n, 427, "the shipped demo set is all demo");
    let with_demo = app(demo);
    for uri in [
        "/api/v1/nearest?lon=112.97&lat=28.19&k=3",
        "/api/v1/points?limit=2",
        "/ogc/collections/station/items?limit=2",
        "/open311/v2/services.json",
        "/api/v1",
    ] {
        let (header, _) = get(&with_demo, uri).await;
        assert_eq!(header.as_deref(), Some("427"), "{uri}");
    }
    let (_, meta) = get(&with_demo, "/api/v1").await;
    assert_eq!(meta["demo_points"], 427);
    assert_eq!(meta["demo"], true);
    assert!(meta["notice"].as_str().unwrap().starts_with("演示数据"));
    let (_, health) = get(&with_demo, "/healthz").await;
    assert_eq!(health["demo_points"], 427);
    let (header, config) = get(&with_demo, "/config.json").await;
    assert_eq!(config["demo_points"], 427);
    // Regression (issue 15): the header was missing outside the APIs; every response has it.
    assert_eq!(header.as_deref(), Some("427"), "/config.json");
    for uri in [
        "/healthz",
        "/metrics",
        "/tiles/points/12/3334/1712.mvt",
        "/",
    ] {
        let r = support::http::get(&with_demo, uri).await;
        assert!(r.status.is_success(), "{uri}: {}", r.status);
        assert_eq!(r.header("x-demo-data"), Some("427"), "{uri}");
    }

    // One real station: no header, no notice.
    let real = ServicePoint::new(
        "real-1",
        ServiceKind::Station,
        "五一广场驿站",
        LonLat::new(112.976, 28.196).unwrap(),
    );
    let real_only = app(vec![real]);
    let (header, _) = get(&real_only, "/api/v1/nearest?lon=112.97&lat=28.19&k=3").await;
    assert_eq!(header, None);
    let (_, meta) = get(&real_only, "/api/v1").await;
    assert_eq!(
        (meta["demo_points"].as_u64(), meta["demo"].as_bool()),
        (Some(0), Some(false))
    );
    assert!(meta.get("notice").is_none());
    let (_, config) = get(&real_only, "/config.json").await;
    assert_eq!(config["demo_points"], 0);
}
