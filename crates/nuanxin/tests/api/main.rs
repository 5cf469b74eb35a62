//! HTTP API tests: in-process router tests (`tower::ServiceExt::oneshot`) of every endpoint
//! and every error class, and one test against the real binary over TCP.
//!
//! Expected values are computed independently of the code under test: nearest / within /
//! bbox answers by a brute-force scan with Karney geodesics, GCJ-02 and BD-09 values by the
//! Python package `coord-convert` 0.2.1 and distances anchored by Python `geographiclib` 2.0
//! (commands quoted where used).
//!
//! One test binary (`cargo test --test api`), split by behaviour into modules: `points`
//! (nearest, search, filters, within, bbox, districts), `problems` (4xx problems, no 5xx),
//! `ogc` (OGC API – Features) and `service` (OpenAPI, vocabulary, headers, health, metrics,
//! the real binary). One binary rather than one per module: each integration-test binary links
//! the whole server. This file holds the shared fixtures and helpers.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use nuanxin::geodesy::geodesic_distance_m;
use nuanxin::index::ServiceIndex;
use nuanxin::model::{
    AccessMethod, Amenity, AmenitySet, LonLat, OpeningHours, ServiceKind, ServicePoint,
};
use nuanxin::server::{self, AppState, Config};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::support;
use support::http::{get, send};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// 五一广场 (OSM, WGS-84).
const WUYI: (f64, f64) = (112.97092, 28.19860);
/// GCJ-02 of WUYI: `coord_convert.transform.wgs2gcj(112.97092, 28.19860)`.
const WUYI_GCJ: (f64, f64) = (112.976_457_501_098_76, 28.195_163_772_197_11);
/// BD-09 of WUYI: `coord_convert.transform.wgs2bd(112.97092, 28.19860)`.
const WUYI_BD: (f64, f64) = (112.983_035_773_769_05, 28.200_829_443_136_172);

fn pt(id: &str, kind: ServiceKind, name: &str, lon: f64, lat: f64) -> ServicePoint {
    ServicePoint::new(id, kind, name, LonLat::new(lon, lat).unwrap())
}

/// A small xorshift generator so fixtures are the same on every run.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Three hand-placed points, 60 pseudo-random points over central Changsha and one in
/// Hong Kong.
fn fixtures() -> Vec<ServicePoint> {
    let mut v = Vec::new();
    let mut a = pt(
        "st-wuyi",
        ServiceKind::Station,
        "五一广场驿站",
        WUYI.0,
        WUYI.1,
    );
    a.opening_hours = Some(OpeningHours::parse("24/7").unwrap());
    a.amenities = [Amenity::DrinkingWater, Amenity::Charging]
        .into_iter()
        .collect();
    a.access = Some(AccessMethod::FaceScan);
    a.address = Some("黄兴中路 & 解放西路".into());
    v.push(a);
    let mut b = pt(
        "la-furong",
        ServiceKind::LegalAid,
        "芙蓉区法律援助",
        112.99,
        28.20,
    );
    b.opening_hours = Some(OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap());
    b.amenities = [Amenity::LegalConsult].into_iter().collect();
    v.push(b);
    let mut c = pt("st-north", ServiceKind::Station, "北站驿站", 112.97, 28.21);
    c.opening_hours = Some(OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap());
    c.amenities = [Amenity::DrinkingWater].into_iter().collect();
    c.access = Some(AccessMethod::RiderCode);
    v.push(c);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..60 {
        let lon = 112.85 + 0.25 * rng.next_f64();
        let lat = 28.05 + 0.25 * rng.next_f64();
        let kind = ServiceKind::ALL[i % ServiceKind::ALL.len()];
        let mut p = pt(&format!("g{i:03}"), kind, &format!("点{i}"), lon, lat);
        let mut am = AmenitySet::EMPTY;
        for (j, a) in Amenity::ALL.iter().enumerate() {
            if rng.next_f64() < 0.3 || (j == 0 && i % 2 == 0) {
                am.insert(*a);
            }
        }
        p.amenities = am;
        if i % 3 == 0 {
            p.opening_hours = Some(OpeningHours::parse("24/7").unwrap());
        }
        v.push(p);
    }
    v.push(pt("st-hk", ServiceKind::Station, "香港", 114.17, 22.30));
    v
}

fn app_with(config: Config) -> Router {
    server::router(AppState::new(
        config,
        ServiceIndex::new(fixtures()).unwrap(),
    ))
}

fn app() -> Router {
    app_with(Config::default())
}

/// Asserts a problem+json answer with `status` naming `param`.
async fn assert_problem(app: &Router, uri: &str, status: u16, param: Option<&str>) -> Value {
    let r = get(app, uri).await;
    assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.text());
    assert_eq!(r.content_type(), "application/problem+json", "{uri}");
    let p = r.json();
    assert_eq!(p["status"], status, "{uri}");
    assert!(
        p["title"].is_string() && p["detail"].is_string(),
        "{uri}: {p}"
    );
    assert_eq!(p["param"].as_str(), param, "{uri}: {p}");
    if let Some(name) = param {
        assert!(
            p["detail"].as_str().unwrap().contains(name),
            "{uri}: detail should name `{name}`: {p}"
        );
    }
    p
}

fn ids(fc: &Value) -> Vec<String> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// The tests, by behaviour (one binary: one link step).
mod golden;
mod ogc;
mod points;
mod problems;
mod service;
