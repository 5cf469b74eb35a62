//! HTTP: demand layers, coverage by hour, proposal exports and what-if siting.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nuanxin::model::{LonLat, OpeningHours, ServiceKind, ServicePoint};
use serde_json::{json, Value};

use crate::support;

fn station(id: &str, lon: f64, lat: f64, hours: &str) -> ServicePoint {
    let mut s = nuanxin::demo::demo_points()[0].clone();
    s.id = id.into();
    s.kind = ServiceKind::Station;
    s.location = LonLat::new(lon, lat).unwrap();
    s.opening_hours = Some(OpeningHours::parse(hours).unwrap());
    s
}

fn app(points: Vec<ServicePoint>) -> axum::Router {
    let mut config = nuanxin::server::Config::default();
    config.rate_limit.enabled = false;
    let index = nuanxin::index::ServiceIndex::new(points).unwrap();
    nuanxin::server::router(nuanxin::server::AppState::new(config, index))
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let r = support::http::send(app, req).await;
    let ct = r.content_type().to_string();
    (r.status, ct, r.body)
}

async fn post(app: &axum::Router, uri: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (st, _, b) = call(app, req).await;
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Two stations in 芙蓉区 (五一广场, 24/7; 火车站, 08:00-20:00), 5-minute e-bike circles.
fn furong() -> axum::Router {
    app(vec![
        station("wuyi", 112.97092, 28.19860, "24/7"),
        station("rail", 113.0116, 28.1950, "08:00-20:00"),
    ])
}

#[tokio::test]
async fn coverage_with_a_demand_layer_and_a_time() {
    let app = furong();
    let body = |at: &str| {
        json!({"area": {"adcode": "430102"}, "mode": "ebike", "minutes": 5,
               "demand": "builtup", "at": at, "gaps": false})
    };
    let (st, day) = post(&app, "/api/v1/coverage", body("2026-12-01T12:00+08:00")).await;
    assert_eq!(st, StatusCode::OK, "{day}");
    let (_, night) = post(&app, "/api/v1/coverage", body("2026-11-30T18:00Z")).await;
    assert_eq!(day["parameters"]["demand"], "builtup");
    assert_eq!(night["parameters"]["open_at"], "2026-12-01T02:00:00");
    let d = day["summary"]["demand_covered_percent"].as_f64().unwrap();
    let n = night["summary"]["demand_covered_percent"].as_f64().unwrap();
    assert!(n < d && n > 0.0, "day {d}, night {n}");
    assert_eq!(day["summary"]["demand_data_percent"], json!(100.0));

    // Day and night in one request: 芙蓉区's drop equals the difference of the two above.
    let (st, dn) = post(
        &app,
        "/api/v1/coverage/day-night",
        json!({"area": {"adcode": "430102"}, "mode": "ebike", "minutes": 5, "demand": "builtup",
               "day": "2026-12-01T12:00+08:00", "night": "2026-12-01T02:00+08:00"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{dn}");
    let drop = dn["drops"][0]["drop_points"].as_f64().unwrap();
    assert!((drop - (d - n)).abs() < 1e-9, "{drop} vs {}", d - n);
    assert_eq!(dn["drops"][0]["measure"], "demand");

    for (body, param) in [
        (
            json!({"area": {"adcode": "430102"}, "demand": "people"}),
            "demand",
        ),
        (json!({"area": {"adcode": "430102"}, "at": "tonight"}), "at"),
        (
            json!({"area": {"adcode": "430102"}, "candidates": "hills"}),
            "candidates",
        ),
    ] {
        let (st, v) = post(&app, "/api/v1/coverage", body).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["param"], param, "{v}");
    }
}

#[tokio::test]
async fn proposals_download_as_csv_and_geojson() {
    let app = furong();
    let body = json!({"area": {"adcode": "430102"}, "mode": "ebike", "minutes": 5,
                      "demand": "pickups", "propose": 2});
    let req = |fmt: &str| {
        Request::post(format!("/api/v1/coverage/proposals?format={fmt}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (st, ct, bytes) = call(&app, req("csv")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert_eq!(text.matches("\r\n").count(), 3, "{text}");
    assert!(text.contains("GCJ-02"));
    let (st, ct, bytes) = call(&app, req("geojson")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let g: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(g["features"].as_array().unwrap().len(), 2);
    assert!(g["features"][0]["properties"]["analysed_at"]
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    let (st, _, _) = call(&app, req("xlsx")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn whatif_add_move_remove_update_the_district() {
    let app = furong();
    let (st, s) = post(
        &app,
        "/api/v1/whatif",
        json!({"area": {"adcode": "430102"}, "mode": "ebike", "minutes": 5, "demand": "builtup"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{s}");
    let id = s["session"].as_str().unwrap().to_string();
    let base = s["covered_percent"].as_f64().unwrap();
    assert_eq!(s["stations"].as_array().unwrap().len(), 2);
    let uri = format!("/api/v1/whatif/{id}");
    // A new site in the east of 芙蓉区 (far from both stations) adds coverage.
    let (st, a) = post(
        &app,
        &uri,
        json!({"op": "add", "id": "p1", "location": [113.05, 28.21]}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    let added = a["covered_percent"].as_f64().unwrap();
    assert!(added > base, "{added} ≤ {base}");
    assert!(!a["change"]["newly_covered"].as_array().unwrap().is_empty());
    assert_eq!(a["gaps"]["features"][0]["properties"]["adcode"], "430102");
    // Moving it onto 五一广场's circle adds less; removing it restores the start.
    let (_, m) = post(
        &app,
        &uri,
        json!({"op": "move", "id": "p1", "location": [112.971, 28.199]}),
    )
    .await;
    assert!(m["covered_percent"].as_f64().unwrap() < added);
    let (_, r) = post(&app, &uri, json!({"op": "remove", "id": "p1"})).await;
    assert!((r["covered_percent"].as_f64().unwrap() - base).abs() < 1e-9);
    // Removing an existing station lowers coverage.
    let (_, r) = post(&app, &uri, json!({"op": "remove", "id": "wuyi"})).await;
    assert!(r["covered_percent"].as_f64().unwrap() < base);
    // Problems.
    let (st, v) = post(&app, &uri, json!({"op": "remove", "id": "nope"})).await;
    assert_eq!(
        (st, v["param"].clone()),
        (StatusCode::BAD_REQUEST, json!("id"))
    );
    let (st, v) = post(&app, &uri, json!({"op": "fly"})).await;
    assert_eq!(
        (st, v["param"].clone()),
        (StatusCode::BAD_REQUEST, json!("op"))
    );
    let (st, v) = post(&app, &uri, json!({"op": "add", "location": [200, 28]})).await;
    assert_eq!(
        (st, v["param"].clone()),
        (StatusCode::BAD_REQUEST, json!("location"))
    );
    let (st, _) = post(
        &app,
        "/api/v1/whatif/0000",
        json!({"op": "remove", "id": "wuyi"}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn demand_layers_for_the_heat_map() {
    let app = furong();
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let (st, ct, b) = call(&app, get("/api/v1/demand/builtup")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let v: Value = serde_json::from_slice(&b).unwrap();
    let fs = v["features"].as_array().unwrap();
    // Built volume sums to 1 832 122 483 m³ over the GHSL crop (sum of the CSV column).
    let total: f64 = fs
        .iter()
        .map(|f| f["properties"]["weight"].as_f64().unwrap())
        .sum();
    assert!((total - 1_832_122_483.0).abs() < 1.0, "{total}");
    assert!(fs.iter().any(|f| f["properties"]["share"] == json!(1.0)));
    assert_eq!(v["extent"]["type"], "MultiPolygon");
    assert!(v["attribution"].as_str().unwrap().contains("CC BY 4.0"));
    let (_, _, b) = call(&app, get("/api/v1/demand/pickups")).await;
    let v: Value = serde_json::from_slice(&b).unwrap();
    let total: f64 = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["weight"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 1446.0);
    let (st, _, _) = call(&app, get("/api/v1/demand/people")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}
