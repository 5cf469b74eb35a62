//! Suggestions API through the real router (`tower::ServiceExt::oneshot`) over a real SQLite
//! file: lifecycle, roles, privacy scan, validation, duplicates, photos, campaigns, KPIs,
//! admin service points and the Open311 round trip.
//!
//! Reference values are computed independently with Python (geographiclib 2.0, shapely 2,
//! eviltransform 0.1) and written here with the call that produced them.
//!
//! One test binary (`cargo test --test suggestions`), split by behaviour into modules: `submit`
//! (validation, photos, idempotency, rate limits), `reporter` (privacy, support, receipts),
//! `officer` (roles, answers, queue, triage, KPIs), `admin` (campaigns, service points) and
//! `interop` (Open311, Atom, GDAL, vector tiles, OpenAPI). One binary rather than one per
//! module: each integration-test binary links the whole server, which costs more build time
//! than the tests themselves. This file holds the shared fixtures and helpers.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use nuanxin::index::ServiceIndex;
use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::{Category, NewSuggestion, OfficerRole, PublicNote, Status, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::support;
use support::http::Resp;

/// P: WGS-84 (113.03, 28.20), inside 430102 芙蓉区 (shapely: county polygon intersects P).
const P: [f64; 2] = [113.03, 28.20];
/// P in GCJ-02: eviltransform.wgs2gcj(28.20, 113.03) = (28.196735964985393, 113.03574984979922).
const P_GCJ: [f64; 2] = [113.03574984979922, 28.196735964985393];
/// T: (112.96, 28.08), inside 430103 天心区 (shapely).
const T: [f64; 2] = [112.96, 28.08];

struct App {
    router: Router,
    store: Arc<Store>,
    state: AppState,
    _dir: tempfile::TempDir,
}

fn fixture_points() -> Vec<ServicePoint> {
    let ll = |lon, lat| LonLat::new(lon, lat).unwrap();
    vec![
        // geographiclib: P→CP1 740.2782172004801 m, P→CP2 1480.6009798058462 m,
        // P→S 14.805709877614527 m (a station: nearer, but not a collection point)
        ServicePoint::new(
            "cp1",
            ServiceKind::CollectionPoint,
            "芙蓉区人民建议征集点",
            ll(113.035, 28.205),
        ),
        ServicePoint::new(
            "cp2",
            ServiceKind::CollectionPoint,
            "五一商圈征集点",
            ll(113.02, 28.19),
        ),
        ServicePoint::new(
            "s1",
            ServiceKind::Station,
            "暖新驿站",
            ll(113.0301, 28.2001),
        ),
    ]
}

fn app_with(config: Config) -> App {
    app_with_points(config, fixture_points())
}

fn app_with_points(config: Config, pts: Vec<ServicePoint>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_for_test(dir.path()).unwrap());
    store.replace_service_points(&pts).unwrap();
    let mut state = AppState::new(config, ServiceIndex::new(pts).unwrap());
    state.store = Some(store.clone());
    App {
        router: server::router(state.clone()),
        store,
        state,
        _dir: dir,
    }
}

fn app() -> App {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    app_with(c)
}

async fn send(app: &App, req: Request<Body>) -> Resp {
    support::http::send(&app.router, req).await
}

fn from_ip(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

async fn get(app: &App, uri: &str) -> Resp {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_auth(app: &App, uri: &str, token: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn post_json(app: &App, uri: &str, body: Value, token: Option<&str>) -> Resp {
    let req = support::http::json_request(Method::POST, uri, &body, token);
    send(app, from_ip(req, "10.0.0.1")).await
}

/// `POST uri` with a JSON body and `headers`, from client 10.0.0.1.
async fn post_with(app: &App, uri: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
    let mut req = support::http::json_request(Method::POST, uri, &body, None);
    for (k, v) in headers {
        req.headers_mut().insert(
            header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            header::HeaderValue::from_str(v).unwrap(),
        );
    }
    send(app, from_ip(req, "10.0.0.1")).await
}

async fn submit(app: &App, body: Value) -> Resp {
    post_json(app, "/api/v1/suggestions", body, None).await
}

fn token(app: &App, role: OfficerRole, adcodes: &[&str]) -> String {
    let adcodes: Vec<String> = adcodes.iter().map(|s| s.to_string()).collect();
    app.store.create_token(role, &adcodes, "王科长").unwrap().1
}

async fn count(app: &App) -> u64 {
    get(app, "/api/v1/suggestions").await.json()["total"]
        .as_u64()
        .unwrap()
}

fn new_suggestion(at: [f64; 2], created: &str) -> NewSuggestion {
    let p = LonLat::new(at[0], at[1]).unwrap();
    NewSuggestion {
        location: p,
        input_location: p,
        input_crs: nuanxin::crs::Crs::Wgs84,
        category: Category::Rest,
        description: "没有休息的地方".into(),
        role: None,
        contact: None,
        email: None,
        first_name: None,
        last_name: None,
        campaign_id: None,
        adcode: Some("430102".into()),
        collection_point: None,
        photo: None,
        created_at: created.parse().unwrap(),
    }
}

// ---------------------------------------------------------------- issue 14: from pin to answer

/// A suggestion of `category` at `at` in county `adcode`, submitted at `created`, with a
/// phone number in its text (public output masks it).
fn sug_in(at: [f64; 2], adcode: &str, category: Category, created: &str) -> NewSuggestion {
    NewSuggestion {
        category,
        adcode: Some(adcode.into()),
        description: "电话13800138000，小区不让进".into(),
        ..new_suggestion(at, created)
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn note(s: &str) -> PublicNote {
    PublicNote::new(s).unwrap()
}

/// `GET uri` with `headers`, from client 10.0.0.1 (the client of [`post_json`], so that both
/// draw on the same per-IP buckets).
async fn get_with(app: &App, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, from_ip(b.body(Body::empty()).unwrap(), "10.0.0.1")).await
}

async fn put_point(app: &App, id: &str, body: Value, tok: &str) -> Resp {
    send(
        app,
        Request::put(format!("/api/v1/admin/points/{id}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

// The tests, by behaviour (one binary: one link step).
mod admin;
mod interop;
mod officer;
mod reporter;
mod submit;
