//! The HTTP API with and without a road graph: `nearest?by=time`, `service-areas?model=network`
//! and `POST /api/v1/coverage` with `"model": "network"`, on the Helsinki extract (ODbL,
//! `tests/fixtures/osm/README.md`) with test stations placed there.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use nuanxin::coverage::NoProgress;
use nuanxin::import::{import_file, ImportOptions};
use nuanxin::index::ServiceIndex;
use nuanxin::routing::import_pbf;
use nuanxin::server::{self, AppState, Config};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

use crate::support;

fn fixture(name: &str) -> PathBuf {
    support::fixture(&format!("osm/{name}"))
}

fn app(with_roads: bool) -> Router {
    let points = import_file(
        &fixture("helsinki_stations.geojson"),
        &ImportOptions::default(),
    )
    .unwrap()
    .points;
    let roads = with_roads
        .then(|| Arc::new(import_pbf(&fixture("helsinki_center.osm.pbf"), &NoProgress).unwrap()));
    server::router(
        AppState::new(Config::default(), ServiceIndex::new(points).unwrap()).with_roads(roads),
    )
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let r = support::http::send(app, req).await;
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    call(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

const FINLANDIA: &str = "lon=24.937214&lat=60.175607";

#[tokio::test]
async fn nearest_by_time_ranks_along_roads_with_routes() {
    let app = app(true);
    let (s, v) = get(&app, &format!("/api/v1/nearest?{FINLANDIA}&k=6")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["features"][0]["properties"]["id"], "hki-1");
    assert_eq!(v["query"]["model"], "straight_line");
    let (s, v) = get(
        &app,
        &format!("/api/v1/nearest?{FINLANDIA}&k=6&by=time&mode=walk&route=true"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["query"]["model"], "network");
    let f = v["features"].as_array().unwrap();
    assert_eq!(f[0]["properties"]["id"], "hki-2");
    let p = &f[0]["properties"];
    assert_eq!(p["model"], "network");
    assert!(p["travel_time_s"].as_f64().unwrap() > 0.0);
    assert!(p["network_distance_m"].as_f64().unwrap() >= p["distance_m"].as_f64().unwrap() - 1.0);
    assert_eq!(p["route"]["type"], "LineString");
    let t: Vec<f64> = f
        .iter()
        .map(|x| x["properties"]["travel_time_s"].as_f64().unwrap())
        .collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
    let (s, v) = get(&app, &format!("/api/v1/nearest?{FINLANDIA}&by=speed")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["param"], "by");
}

#[tokio::test]
async fn without_roads_everything_is_straight_line_and_labelled() {
    let app = app(false);
    let (s, v) = get(&app, &format!("/api/v1/nearest?{FINLANDIA}&k=6&by=time")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["query"]["model"], "straight_line");
    assert_eq!(v["features"][0]["properties"]["id"], "hki-1");
    let (s, v) = get(&app, "/api/v1/service-areas?minutes=5&model=network").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["model"] == "straight_line"));
}

#[tokio::test]
async fn network_service_areas_are_smaller_than_circles() {
    use geo::GeodesicArea;
    let app = app(true);
    let area = |v: &Value, i: usize| -> f64 {
        let g: geojson::Geometry =
            serde_json::from_value(v["features"][i]["geometry"].clone()).unwrap();
        let g: geo::Geometry<f64> = g.try_into().unwrap();
        g.geodesic_area_unsigned()
    };
    let (s, line) = get(&app, "/api/v1/service-areas?minutes=5&mode=walk").await;
    assert_eq!(s, StatusCode::OK);
    let (s, net) = get(
        &app,
        "/api/v1/service-areas?minutes=5&mode=walk&model=network",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let n = net["features"].as_array().unwrap().len();
    assert_eq!(n, 6);
    // The text is written directly (no Value tree): it is already what the RFC 7946
    // normalisation makes of it (7 decimals, counter-clockwise exteriors), for both models.
    for v in [&line, &net] {
        let mut again = v.clone();
        nuanxin::geojson_out::normalize(&mut again, 7);
        assert_eq!(&again, v);
    }
    for i in 0..n {
        assert_eq!(net["features"][i]["properties"]["model"], "network");
        // Regression (newcomer): network areas carried the circle's radius and 64 vertices.
        let props = &net["features"][i]["properties"];
        assert!(props.get("radius_m").is_none(), "{props}");
        let rings: usize = match net["features"][i]["geometry"]["type"].as_str() {
            Some("Polygon") => net["features"][i]["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_array().unwrap().len())
                .sum(),
            _ => net["features"][i]["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|p| p.as_array().unwrap())
                .map(|r| r.as_array().unwrap().len())
                .sum(),
        };
        assert_eq!(props["vertices"].as_u64().unwrap() as usize, rings);
        let (a, c) = (area(&net, i), area(&line, i));
        // 5 min at 5 km/h: a circle of 417 m radius, 0.546 km²; the network area is inside
        // it (plus at most the 25 m walk-off band) and, in a street grid, well below it.
        assert!(a > 0.02e6 && a < c, "{i}: {a} vs {c}");
    }
    let (s, v) = get(&app, "/api/v1/service-areas?model=isochrone").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["param"], "model");
}

#[tokio::test]
async fn coverage_api_takes_the_network_model() {
    let app = app(true);
    let post = |model: &'static str| {
        Request::post("/api/v1/coverage")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({
                    "area": {"bbox": [24.9352, 60.1642, 24.9534, 60.1791]},
                    "minutes": 5, "resolution": 10, "model": model, "gaps": false,
                })
                .to_string(),
            ))
            .unwrap()
    };
    let (s, line) = call(&app, post("straight_line")).await;
    assert_eq!(s, StatusCode::OK, "{line}");
    let (s, net) = call(&app, post("network")).await;
    assert_eq!(s, StatusCode::OK, "{net}");
    assert_eq!(net["parameters"]["model"], "network");
    assert_eq!(line["parameters"]["model"], "straight_line");
    let (a, b) = (
        net["summary"]["covered_km2"].as_f64().unwrap(),
        line["summary"]["covered_km2"].as_f64().unwrap(),
    );
    assert!(a > 0.0 && a < b, "{a} vs {b}");
}

/// What-if siting honours `model=network`: the session's figures equal a network analysis
/// of the same stations (and are below the circles'), and say which model made them. A
/// station added on the east shore of Töölönlahti, 295 m from Finlandia Hall as the crow
/// flies but more than 1.8 km along roads, covers Finlandia Hall's cell with its circle only.
#[tokio::test]
async fn whatif_takes_the_network_model() {
    let app = app(true);
    let body = |model: &str| {
        serde_json::json!({
            "area": {"bbox": [24.9352, 60.1642, 24.9534, 60.1791]},
            "mode": "walk", "minutes": 5, "resolution": 10, "model": model, "gaps": false,
        })
    };
    let post = |uri: String, v: Value| {
        Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))
            .unwrap()
    };
    let finlandia = h3o::LatLng::new(60.175607, 24.937214)
        .unwrap()
        .to_cell(h3o::Resolution::Ten)
        .to_string();
    let mut shares = Vec::new();
    for model in ["network", "straight_line"] {
        let (s, analysis) = call(&app, post("/api/v1/coverage".into(), body(model))).await;
        assert_eq!(s, StatusCode::OK, "{analysis}");
        let (s, w) = call(&app, post("/api/v1/whatif".into(), body(model))).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        assert_eq!(w["model"], model);
        let (x, y) = (
            w["covered_percent"].as_f64().unwrap(),
            analysis["summary"]["covered_percent"].as_f64().unwrap(),
        );
        assert!((x - y).abs() < 1e-6, "{model}: what-if {x} vs analysis {y}");
        shares.push(x);
        // Without stations, then one on the east shore.
        let session = w["session"].as_str().unwrap();
        let uri = format!("/api/v1/whatif/{session}");
        for s in w["stations"].as_array().unwrap() {
            let op = serde_json::json!({"op": "remove", "id": s["id"]});
            assert_eq!(call(&app, post(uri.clone(), op)).await.0, StatusCode::OK);
        }
        let op = serde_json::json!({"op": "add", "id": "east", "location": [24.940857, 60.177536]});
        let (s, c) = call(&app, post(uri, op)).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["model"], model);
        let cells: Vec<&str> = c["change"]["newly_covered"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(!cells.is_empty());
        assert_eq!(
            cells.contains(&finlandia.as_str()),
            model == "straight_line"
        );
    }
    assert!(shares[0] < shares[1], "{shares:?}");
}
