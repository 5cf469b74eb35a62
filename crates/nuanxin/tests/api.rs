//! HTTP API tests: in-process router tests (`tower::ServiceExt::oneshot`) of every endpoint
//! and every error class, and one test against the real binary over TCP.
//!
//! Expected values are computed independently of the code under test: nearest / within /
//! bbox answers by a brute-force scan with Karney geodesics, GCJ-02 and BD-09 values by the
//! Python package `coord-convert` 0.2.1 and distances anchored by Python `geographiclib` 2.0
//! (commands quoted where used).

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

mod support;
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

/// Brute force: every fixture admitted by `admit`, with its Karney distance from `from`,
/// sorted by distance then id.
fn brute_force(from: LonLat, admit: impl Fn(&ServicePoint) -> bool) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = fixtures()
        .into_iter()
        .filter(|p| admit(p))
        .map(|p| (p.id.clone(), geodesic_distance_m(from, p.location)))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    v
}

// ---------------------------------------------------------------------------------------------
// /api/v1/nearest
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn nearest_matches_brute_force_with_distances_and_minutes() {
    let app = app();
    for (lon, lat) in [
        (112.95, 28.15),
        (113.05, 28.25),
        (112.97, 28.2),
        (100.0, 40.0),
    ] {
        for k in [1usize, 5, 17, 50] {
            let r = get(&app, &format!("/api/v1/nearest?lon={lon}&lat={lat}&k={k}")).await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.content_type(), "application/geo+json");
            let fc = r.json();
            assert_eq!(fc["type"], "FeatureCollection");
            let want = brute_force(LonLat::new(lon, lat).unwrap(), |_| true);
            let want: Vec<_> = want.into_iter().take(k).collect();
            assert_eq!(fc["numberReturned"], want.len());
            assert_eq!(
                ids(&fc),
                want.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
            );
            for (f, (_, d)) in fc["features"].as_array().unwrap().iter().zip(&want) {
                let got = f["properties"]["distance_m"].as_f64().unwrap();
                assert!((got - d).abs() <= 0.05 + 1e-9, "{got} vs {d}");
                // walking 5 km/h = 83.333 m/min
                let minutes = f["properties"]["minutes"].as_f64().unwrap();
                assert!((minutes - d / (5000.0 / 60.0)).abs() <= 0.005 + 1e-9);
                assert_eq!(f["properties"]["mode"], "walk");
            }
        }
    }
}

#[tokio::test]
async fn nearest_distance_anchored_by_geographiclib() {
    // Python geographiclib 2.0: Geodesic.WGS84.Inverse(28.19860, 112.97092, 28.20, 112.99)
    // → s12 = 1879.694 m; to (28.21, 112.97) → 1266.604 m.
    let r = get(
        &app(),
        "/api/v1/nearest?lon=112.97092&lat=28.19860&kind=legal_aid,station&k=50&mode=ebike",
    )
    .await;
    let fc = r.json();
    let by_id = |id: &str| {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["properties"]
            .clone()
    };
    assert!((by_id("la-furong")["distance_m"].as_f64().unwrap() - 1879.7).abs() < 0.051);
    assert!((by_id("st-north")["distance_m"].as_f64().unwrap() - 1266.6).abs() < 0.051);
    // e-bike 15 km/h = 250 m/min: 1879.694 / 250 = 7.52 min
    assert!((by_id("la-furong")["minutes"].as_f64().unwrap() - 7.52).abs() < 0.006);
    assert_eq!(by_id("la-furong")["mode"], "ebike");
}

#[tokio::test]
async fn nearest_for_a_gcj02_point_finds_the_station_there() {
    // The GCJ-02 coordinates Amap shows for 五一广场 (converted with coord-convert).
    let r = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=gcj02&k=3&out_crs=gcj02",
            WUYI_GCJ.0, WUYI_GCJ.1
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let fc = r.json();
    let first = &fc["features"][0];
    assert_eq!(first["id"], "st-wuyi");
    assert!(first["properties"]["distance_m"].as_f64().unwrap() < 0.1);
    let w = &fc["query"]["position_wgs84"];
    assert!((w[0].as_f64().unwrap() - WUYI.0).abs() < 1e-7);
    assert!((w[1].as_f64().unwrap() - WUYI.1).abs() < 1e-7);
    assert_eq!(fc["query"]["crs"], "gcj02");
    let g = &first["properties"]["gcj02"];
    assert!((g[0].as_f64().unwrap() - WUYI_GCJ.0).abs() < 1e-7);
    assert!((g[1].as_f64().unwrap() - WUYI_GCJ.1).abs() < 1e-7);
    // Without conversion the same numbers read as WGS-84 lie ~700 m away.
    let raw = get(
        &app(),
        &format!("/api/v1/nearest?lon={}&lat={}&k=1", WUYI_GCJ.0, WUYI_GCJ.1),
    )
    .await
    .json();
    assert!(
        raw["features"][0]["properties"]["distance_m"]
            .as_f64()
            .unwrap()
            > 300.0
    );
}

#[tokio::test]
async fn bd09_query_and_navigation_links_use_each_apps_coordinates() {
    let fc = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=bd09&k=1&out_crs=bd09",
            WUYI_BD.0, WUYI_BD.1
        ),
    )
    .await
    .json();
    let p = &fc["features"][0]["properties"];
    assert_eq!(fc["features"][0]["id"], "st-wuyi");
    assert!(p["distance_m"].as_f64().unwrap() < 0.1);
    let b = &p["bd09"];
    assert!((b[0].as_f64().unwrap() - WUYI_BD.0).abs() < 1e-6);
    assert!((b[1].as_f64().unwrap() - WUYI_BD.1).abs() < 1e-6);
    // Navigation from the query position (here the station itself) in the query's mode
    // (walk by default). Amap: GCJ-02 lon,lat; Baidu: BD-09 lat,lng; names percent-encoded UTF-8.
    let amap = p["nav_amap"].as_str().unwrap();
    assert!(
        amap.starts_with("https://uri.amap.com/navigation?from="),
        "{amap}"
    );
    // 五 = U+4E94 = E4 BA 94
    assert!(
        amap.contains("&to=112.976458,28.195164,%E4%BA%94"),
        "{amap}"
    );
    assert!(
        amap.contains("&mode=walk&")
            && amap.contains("coordinate=gaode")
            && amap.contains("callnative=1")
    );
    let baidu = p["nav_baidu"].as_str().unwrap();
    assert!(
        baidu.starts_with("https://api.map.baidu.com/direction?origin="),
        "{baidu}"
    );
    // destination=latlng:28.200829,112.983036|name:五… percent-encoded (':' %3A, ',' %2C, '|' %7C)
    assert!(
        baidu.contains("destination=latlng%3A28.200829%2C112.983036%7Cname%3A%E4%BA%94"),
        "{baidu}"
    );
    assert!(baidu.contains("mode=walking") && baidu.contains("coord_type=bd09ll"));
    assert!(baidu.contains("src=webapp."), "{baidu}");
    let apps = &p["nav_apps"];
    assert!(apps["amap_android"]
        .as_str()
        .unwrap()
        .starts_with("amapuri://route/plan/?"));
    assert!(apps["baidu_ios"].as_str().unwrap().contains("src=ios."));
    // An e-bike query rides.
    let fc = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&k=1&mode=ebike",
            WUYI.0, WUYI.1
        ),
    )
    .await
    .json();
    let p = &fc["features"][0]["properties"];
    assert!(p["nav_amap"].as_str().unwrap().contains("&mode=ride&"));
    assert!(p["nav_baidu"].as_str().unwrap().contains("mode=riding"));
    assert!(p["nav_apps"]["amap_ios"].as_str().unwrap().contains("&t=3"));
    // Without a query position (a point by id) Amap navigates from where the rider is and
    // there are no app links.
    let f = get(&app(), "/api/v1/points/st-wuyi").await.json();
    let amap = f["properties"]["nav_amap"].as_str().unwrap();
    assert!(
        amap.starts_with("https://uri.amap.com/navigation?to=112.976458,28.195164,"),
        "{amap}"
    );
    assert!(f["properties"].get("nav_apps").is_none());
}

#[tokio::test]
async fn search_finds_names_pinyin_initials_and_pasted_positions() {
    let app = app();
    // Pinyin initials: the 五一广场 metro station (shipped metro data).
    let r = get(&app, "/api/v1/search?q=wygc").await.json();
    assert_eq!(r["results"][0]["name"], "五一广场");
    assert_eq!(r["results"][0]["kind"], "metro_station");
    assert!(r["position"].is_null());
    // A service point of the index by its Chinese name, first.
    let r = get(
        &app,
        "/api/v1/search?q=%E4%BA%94%E4%B8%80%E5%B9%BF%E5%9C%BA%E9%A9%BF%E7%AB%99",
    )
    .await
    .json();
    assert_eq!(r["results"][0]["id"], "st-wuyi");
    assert_eq!(r["results"][0]["kind"], "service_point");
    assert_eq!(r["results"][0]["score"], 100);
    // A pair copied from Amap: GCJ-02 by default, answered in WGS-84 (within 0.5 m, about
    // 5e-6 degrees).
    let r = get(
        &app,
        &format!("/api/v1/search?q={:.6},{:.6}", WUYI_GCJ.0, WUYI_GCJ.1),
    )
    .await
    .json();
    let loc = &r["position"]["location"];
    assert!((loc[0].as_f64().unwrap() - WUYI.0).abs() < 5e-6, "{r}");
    assert!((loc[1].as_f64().unwrap() - WUYI.1).abs() < 5e-6, "{r}");
    assert_eq!(r["position"]["input_crs"], "gcj02");
    // A Baidu share link: BD-09, latitude first.
    let r = get(
        &app,
        &format!(
            "/api/v1/search?q=https%3A%2F%2Fapi.map.baidu.com%2Fmarker%3Flocation%3D{:.6}%2C{:.6}%26title%3Dx",
            WUYI_BD.1, WUYI_BD.0
        ),
    )
    .await
    .json();
    assert_eq!(r["position"]["source"], "baidu");
    assert!(
        (r["position"]["location"][0].as_f64().unwrap() - WUYI.0).abs() < 5e-6,
        "{r}"
    );
    // Bad input is a 400 problem naming the parameter.
    assert_problem(&app, "/api/v1/search", 400, Some("q")).await;
    assert_problem(&app, "/api/v1/search?q=200,100", 400, Some("q")).await;
    assert_problem(&app, "/api/v1/search?q=x&limit=0", 400, Some("limit")).await;
    assert_problem(&app, "/api/v1/search?q=x&crs=utm", 400, Some("crs")).await;
    assert_problem(
        &app,
        "/api/v1/search?q=https%3A%2F%2Furi.amap.com%2Fsearch%3Fkeyword%3Dx",
        400,
        Some("q"),
    )
    .await;
}

#[tokio::test]
async fn longitude_from_a_panned_map_is_normalised() {
    let app = app();
    let a = get(&app, "/api/v1/nearest?lon=112.95&lat=28.15&k=5")
        .await
        .json();
    for lon in ["472.95", "-247.05"] {
        let b = get(&app, &format!("/api/v1/nearest?lon={lon}&lat=28.15&k=5")).await;
        assert_eq!(b.status, StatusCode::OK, "{lon}");
        let b = b.json();
        assert_eq!(ids(&a), ids(&b), "{lon}");
        // 472.95 − 360 = 112.95; −247.05 + 360 = 112.95
        assert!((b["query"]["position"][0].as_f64().unwrap() - 112.95).abs() < 1e-9);
    }
    // More than one wrap (|lon| > 540) is a mistake, not a panned map: 400 naming lon.
    for lon in ["1e20", "-1e20", "832.95", "-540.5"] {
        let uri = format!("/api/v1/nearest?lon={lon}&lat=28&k=5");
        let p = assert_problem(&app, &uri, 400, Some("lon")).await;
        assert!(p["detail"].as_str().unwrap().contains("540"), "{p}");
    }
}

#[tokio::test]
async fn filters_kind_amenity_access_and_open_at() {
    let app = app();
    let from = LonLat::new(112.95, 28.15).unwrap();
    // kinds: any of, given repeated and as a comma list
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&kind=legal_aid&kind=collection_point,legal_aid",
    )
    .await
    .json();
    let want = brute_force(from, |p| {
        matches!(p.kind, ServiceKind::LegalAid | ServiceKind::CollectionPoint)
    });
    assert_eq!(
        ids(&fc),
        want.iter()
            .take(50)
            .map(|w| w.0.clone())
            .collect::<Vec<_>>()
    );
    assert!(!want.is_empty());
    // amenities: all of; the Chinese label is accepted too
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&amenity=drinking_water&amenity=%E5%85%85%E7%94%B5",
    )
    .await
    .json();
    let want = brute_force(from, |p| {
        p.amenities.contains(Amenity::DrinkingWater) && p.amenities.contains(Amenity::Charging)
    });
    assert_eq!(
        ids(&fc),
        want.iter()
            .take(50)
            .map(|w| w.0.clone())
            .collect::<Vec<_>>()
    );
    // access
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&access=rider_code,face_scan",
    )
    .await
    .json();
    assert_eq!(
        ids(&fc).into_iter().collect::<BTreeSet<_>>(),
        ["st-north", "st-wuyi"].map(String::from).into()
    );
    // open_at: 2026-11-30 is a Monday, 2026-11-29 a Sunday (calendar). On Monday 09:00 the
    // Mo-Fr stations are open; on Sunday only 24/7 ones. Unknown hours never pass.
    let monday = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&kind=station&open_at=2026-11-30T09:00",
    )
    .await
    .json();
    let sunday = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&kind=station&open_at=2026-11-29T09:00",
    )
    .await
    .json();
    assert_eq!(monday["features"][0]["id"], "st-north");
    assert_eq!(monday["features"][0]["properties"]["open_now"], true);
    assert!(!ids(&sunday).contains(&"st-north".to_string()));
    let always: BTreeSet<String> = fixtures()
        .into_iter()
        .filter(|p| {
            p.kind == ServiceKind::Station && p.opening_hours.as_ref().is_some_and(|h| h.is_24_7())
        })
        .map(|p| p.id)
        .collect();
    assert_eq!(ids(&sunday).into_iter().collect::<BTreeSet<_>>(), always);
    // open_now parses and admits only points with hours
    let now = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&open_now=true",
    )
    .await
    .json();
    for f in now["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["open_now"], true);
    }
}

// ---------------------------------------------------------------------------------------------
// /api/v1/within, /api/v1/points, /api/v1/points/{id}
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn within_matches_brute_force_and_pages() {
    let app = app();
    let from = LonLat::new(112.97, 28.18).unwrap();
    for radius in [0.0, 1500.0, 5000.0, 12000.0] {
        let want: Vec<_> = brute_force(from, |_| true)
            .into_iter()
            .filter(|(_, d)| *d <= radius)
            .collect();
        let fc = get(
            &app,
            &format!("/api/v1/within?lon=112.97&lat=28.18&radius_m={radius}&limit=10000"),
        )
        .await
        .json();
        assert_eq!(fc["numberMatched"], want.len());
        assert_eq!(
            ids(&fc),
            want.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
        );
    }
    // paging: follow next links until the end; every id once, in distance order
    let want: Vec<String> = brute_force(from, |_| true)
        .into_iter()
        .filter(|(_, d)| *d <= 12000.0)
        .map(|w| w.0)
        .collect();
    assert!(want.len() > 7);
    let mut got = Vec::new();
    let mut next = Some("/api/v1/within?lon=112.97&lat=28.18&radius_m=12000&limit=7".to_string());
    while let Some(uri) = next {
        let fc = get(&app, &uri).await.json();
        got.extend(ids(&fc));
        next = fc["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
            .map(|l| l["href"].as_str().unwrap().to_string());
    }
    assert_eq!(got, want);
}

#[tokio::test]
async fn points_by_bbox_and_paging_with_next_links() {
    let app = app();
    let (w, s, e, n) = (112.90, 28.10, 113.00, 28.22);
    let want: Vec<String> = {
        let mut v: Vec<String> = fixtures()
            .into_iter()
            .filter(|p| {
                let l = p.location;
                l.lon >= w && l.lon <= e && l.lat >= s && l.lat <= n
            })
            .map(|p| p.id)
            .collect();
        v.sort();
        v
    };
    assert!(want.len() > 5, "{want:?}");
    let mut got = Vec::new();
    let mut uri = Some(format!("/api/v1/points?bbox={w},{s},{e},{n}&limit=4"));
    let mut pages = 0;
    while let Some(u) = uri {
        let r = get(&app, &u).await;
        assert_eq!(r.status, StatusCode::OK, "{u}");
        let fc = r.json();
        assert_eq!(fc["numberMatched"], want.len());
        assert!(fc["numberReturned"].as_u64().unwrap() <= 4);
        got.extend(ids(&fc));
        pages += 1;
        uri = fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
    }
    assert_eq!(got, want);
    assert_eq!(pages, want.len().div_ceil(4));
    // prev link on a later page, and limit/offset paging without bbox covers every point
    let fc = get(&app, "/api/v1/points?limit=10&offset=10&kind=station")
        .await
        .json();
    let prev = fc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap();
    assert!(prev["href"]
        .as_str()
        .unwrap()
        .ends_with("kind=station&limit=10&offset=0"));
    let all = get(&app, "/api/v1/points?limit=10000").await.json();
    assert_eq!(all["numberMatched"], fixtures().len());
    // a box across the antimeridian (west > east) that holds no fixture
    let fc = get(&app, "/api/v1/points?bbox=170,-10,-170,10")
        .await
        .json();
    assert_eq!(fc["numberMatched"], 0);
}

#[tokio::test]
async fn point_by_id_and_404() {
    let app = app();
    let r = get(&app, "/api/v1/points/st-wuyi?out_crs=gcj02").await;
    assert_eq!(r.status, StatusCode::OK);
    let f = r.json();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["coordinates"][0].as_f64().unwrap(), WUYI.0);
    assert_eq!(f["properties"]["name"], "五一广场驿站");
    assert_eq!(f["properties"]["kind_label_zh"], "驿站");
    assert_eq!(
        f["properties"]["amenities"],
        serde_json::json!(["drinking_water", "charging"])
    );
    assert_eq!(f["properties"]["access"], "face_scan");
    assert_eq!(f["properties"]["opening_hours"], "24/7");
    assert_eq!(f["properties"]["open_now"], true);
    assert!((f["properties"]["gcj02"][0].as_f64().unwrap() - WUYI_GCJ.0).abs() < 1e-7);
    assert_problem(&app, "/api/v1/points/nope", 404, None).await;
    // Outside mainland China GCJ-02 equals WGS-84 (Hong Kong).
    let hk = get(&app, "/api/v1/points/st-hk?out_crs=gcj02").await.json();
    assert_eq!(
        hk["properties"]["gcj02"],
        serde_json::json!([114.17, 22.30])
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_bad_input_is_a_4xx_problem_naming_the_parameter() {
    let app = app();
    let n = "/api/v1/nearest?";
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/api/v1/nearest", 400, Some("lon")),
        ("/api/v1/nearest?lat=28.2", 400, Some("lon")),
        ("/api/v1/nearest?lon=112.9", 400, Some("lat")),
        ("/api/v1/nearest?lon=112.9&lat=112", 400, Some("lat")),
        ("/api/v1/nearest?lon=112.9&lat=-90.5", 400, Some("lat")),
        ("/api/v1/nearest?lon=NaN&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=112&lat=NaN", 400, Some("lat")),
        ("/api/v1/nearest?lon=inf&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=abc&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=1&lon=2&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=112&lat=28&k=0", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=51", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=-1", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=2.5", 400, Some("k")),
        (
            "/api/v1/nearest?lon=112&lat=28&kind=bakery",
            400,
            Some("kind"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&kind=station,bakery",
            400,
            Some("kind"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&amenity=sauna",
            400,
            Some("amenity"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&access=teleport",
            400,
            Some("access"),
        ),
        ("/api/v1/nearest?lon=112&lat=28&crs=utm", 400, Some("crs")),
        (
            "/api/v1/nearest?lon=112&lat=28&out_crs=utm",
            400,
            Some("out_crs"),
        ),
        ("/api/v1/nearest?lon=112&lat=28&mode=car", 400, Some("mode")),
        (
            "/api/v1/nearest?lon=112&lat=28&open_now=maybe",
            400,
            Some("open_now"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&open_at=tomorrow",
            400,
            Some("open_at"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&open_now=1&open_at=2026-11-30T09:00",
            400,
            Some("open_at"),
        ),
        ("/api/v1/nearest?lng=112&lat=28", 400, Some("lng")),
        (
            "/api/v1/nearest?lon=112&lat=28&radius_m=5",
            400,
            Some("radius_m"),
        ),
        ("/api/v1/within?lon=112&lat=28", 400, Some("radius_m")),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=-5",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=NaN",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=1e9",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=10&limit=0",
            400,
            Some("limit"),
        ),
        ("/api/v1/within?lat=28&radius_m=10", 400, Some("lon")),
        ("/api/v1/points?bbox=113,28.3,112,28.1", 400, Some("bbox")),
        ("/api/v1/points?bbox=1,2,3", 400, Some("bbox")),
        ("/api/v1/points?bbox=a,b,c,d", 400, Some("bbox")),
        ("/api/v1/points?bbox=112,28,113,95", 400, Some("bbox")),
        ("/api/v1/points?limit=0", 400, Some("limit")),
        ("/api/v1/points?limit=10001", 400, Some("limit")),
        ("/api/v1/points?offset=-1", 400, Some("offset")),
        ("/api/v1/points?kind=", 200, None),
        ("/api/v1/points/st-wuyi?bogus=1", 400, Some("bogus")),
        ("/api/v1/points/nope", 404, None),
        ("/api/v1/districts?level=province", 400, Some("level")),
        ("/api/v1/districts?parent=43", 400, Some("parent")),
        ("/api/v1/districts/12", 400, Some("adcode")),
        ("/api/v1/districts/999999", 404, None),
        ("/ogc?f=xml", 400, Some("f")),
        ("/ogc/collections/nope", 404, None),
        ("/ogc/collections/nope/items", 404, None),
        ("/ogc/collections/station/items?limit=0", 400, Some("limit")),
        ("/ogc/collections/station/items?limit=x", 400, Some("limit")),
        (
            "/ogc/collections/station/items?offset=-3",
            400,
            Some("offset"),
        ),
        (
            "/ogc/collections/station/items?bbox=113,28.3,112,28.1",
            400,
            Some("bbox"),
        ),
        (
            "/ogc/collections/station/items?datetime=2026-12-01T00:00:00Z/2026-01-01T00:00:00Z",
            400,
            Some("datetime"),
        ),
        (
            "/ogc/collections/station/items?datetime=yesterday",
            400,
            Some("datetime"),
        ),
        ("/ogc/collections/station/items?foo=bar", 400, Some("foo")),
        ("/ogc/collections/station/items/nope", 404, None),
        ("/ogc/collections/legal_aid/items/st-wuyi", 404, None),
        ("/nope", 404, None),
        ("/api/v1/nope", 404, None),
    ];
    for (uri, status, param) in cases {
        if *status == 200 {
            assert_eq!(get(&app, uri).await.status, StatusCode::OK, "{uri}");
            continue;
        }
        assert_problem(&app, uri, *status, *param).await;
    }
    // The problem for an unknown code lists the valid ones.
    let p = assert_problem(
        &app,
        &format!("{n}lon=112&lat=28&kind=bakery"),
        400,
        Some("kind"),
    )
    .await;
    let valid: Vec<&str> = p["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(valid, ServiceKind::codes());
    let p = assert_problem(
        &app,
        &format!("{n}lon=112&lat=28&mode=car"),
        400,
        Some("mode"),
    )
    .await;
    assert_eq!(p["valid"], serde_json::json!(["walk", "ebike"]));
}

#[tokio::test]
async fn wrong_method_and_oversized_body_are_problems() {
    let app = app_with(Config {
        body_limit_bytes: 16,
        ..Config::default()
    });
    let r = send(
        &app,
        Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/nearest?lon=1&lat=2")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json()["status"], 405);
    let r = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/nearest")
            .header(header::CONTENT_LENGTH, "100")
            .body(Body::from(vec![b'x'; 100]))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json()["status"], 413);
}

// ---------------------------------------------------------------------------------------------
// Districts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn districts_list_and_boundary() {
    let app = app();
    let all = get(&app, "/api/v1/districts").await.json();
    let list = all["districts"].as_array().unwrap();
    // Hunan: 14 prefecture-level units, 122 county-level units (data/boundaries, 2024 codes).
    assert_eq!(list.iter().filter(|d| d["level"] == "city").count(), 14);
    assert_eq!(list.iter().filter(|d| d["level"] == "county").count(), 122);
    let cs = get(&app, "/api/v1/districts?parent=430100").await.json();
    let names: BTreeSet<&str> = cs["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    // Changsha's 9 county-level divisions (GB/T 2260): 6 districts, 1 county, 2 cities.
    for n in [
        "芙蓉区",
        "天心区",
        "岳麓区",
        "开福区",
        "雨花区",
        "望城区",
        "长沙县",
        "浏阳市",
        "宁乡市",
    ] {
        assert!(names.contains(n), "{n} missing from {names:?}");
    }
    assert_eq!(names.len(), 9);
    let r = get(&app, "/api/v1/districts/430102").await;
    assert_eq!(r.content_type(), "application/geo+json");
    let f = r.json();
    assert_eq!(f["properties"]["name"], "芙蓉区");
    assert_eq!(f["properties"]["parent_adcode"], "430100");
    assert!(matches!(
        f["geometry"]["type"].as_str(),
        Some("MultiPolygon" | "Polygon")
    ));
    // 五一广场 lies near the 芙蓉区 / 天心区 border; 芙蓉区's bbox contains it.
    let b = &f["bbox"];
    assert!(b[0].as_f64().unwrap() < WUYI.0 && WUYI.0 < b[2].as_f64().unwrap());
}

// ---------------------------------------------------------------------------------------------
// OGC API – Features
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ogc_landing_conformance_and_collections() {
    let app = app_with(Config {
        public_url: Some("https://map.example.test/".into()),
        ..Config::default()
    });
    let r = send(
        &app,
        Request::get("/ogc")
            .header(header::HOST, "example.test:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let landing = r.json();
    let rels: BTreeSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.contains(rel), "{rel}");
    }
    let data = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "data")
        .unwrap();
    // under the configured public URL; the Host header plays no part
    assert_eq!(data["href"], "https://map.example.test/ogc/collections");

    let conf = get(&app, "/ogc/conformance").await.json();
    for c in ["core", "geojson", "oas30"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}");
        assert!(
            conf["conformsTo"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == &uri),
            "{c}"
        );
    }
    let cols = get(&app, "/ogc/collections").await.json();
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut want = ServiceKind::codes();
    want.push("suggestions"); // registered by the suggestions module (ogc::registered_collections)
    assert_eq!(ids, want);
    let station = get(&app, "/ogc/collections/station").await.json();
    assert_eq!(station["itemType"], "feature");
    let bbox = &station["extent"]["spatial"]["bbox"][0];
    // Station fixtures span up to Hong Kong (114.17, 22.30) in the south-east.
    assert_eq!(bbox[2].as_f64().unwrap(), 114.17);
    assert_eq!(bbox[1].as_f64().unwrap(), 22.30);
    let api = get(&app, "/ogc/api").await;
    assert_eq!(
        api.content_type(),
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let api = api.json();
    assert_eq!(api["openapi"], "3.0.3");
    // Paths are relative to the server URL …/ogc, items listed per collection.
    assert_eq!(api["servers"][0]["url"], "https://map.example.test/ogc");
    assert!(api["paths"]["/collections/station/items"]["get"].is_object());
    assert!(api["paths"]["/collections/suggestions/items"]["get"].is_object());
    assert!(!api.to_string().contains("\"null\""), "3.1 null types left");
}

#[tokio::test]
async fn ogc_items_page_through_every_collection() {
    let app = app();
    for kind in ServiceKind::ALL {
        let want: Vec<String> = {
            let mut v: Vec<String> = fixtures()
                .into_iter()
                .filter(|p| p.kind == *kind)
                .map(|p| p.id)
                .collect();
            v.sort();
            v
        };
        let mut got = Vec::new();
        let mut uri = Some(format!("/ogc/collections/{}/items?limit=7", kind.as_str()));
        while let Some(u) = uri {
            let r = get(&app, &u).await;
            assert_eq!(r.content_type(), "application/geo+json");
            let fc = r.json();
            assert_eq!(fc["numberMatched"], want.len());
            assert_eq!(
                fc["numberReturned"],
                fc["features"].as_array().unwrap().len()
            );
            assert!(fc["timeStamp"].is_string());
            got.extend(ids(&fc));
            let links = fc["links"].as_array().unwrap();
            assert!(links.iter().any(|l| l["rel"] == "self"));
            if got.len() > 7 {
                assert!(links.iter().any(|l| l["rel"] == "prev"));
            }
            uri = links
                .iter()
                .find(|l| l["rel"] == "next")
                .map(|l| l["href"].as_str().unwrap().to_string());
        }
        assert_eq!(got, want, "{kind}");
    }
    // limit above the maximum is reduced, not refused (OGC /per/core/limit-response)
    let r = get(&app, "/ogc/collections/station/items?limit=999999").await;
    assert_eq!(r.status, StatusCode::OK);
    // bbox
    let fc = get(&app, "/ogc/collections/station/items?bbox=114,22,115,23")
        .await
        .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    // one item, with links; wrong collection is 404 (tested with errors)
    let f = get(&app, "/ogc/collections/station/items/st-wuyi")
        .await
        .json();
    assert_eq!(f["id"], "st-wuyi");
    assert!(f["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "collection"));
    // datetime is accepted
    let r = get(
        &app,
        "/ogc/collections/station/items?datetime=2026-01-01T00:00:00Z/..",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Ids of the fixture stations, sorted, that satisfy `keep` (computed from the fixtures,
/// not by the server).
fn station_ids(keep: impl Fn(&ServicePoint) -> bool) -> Vec<String> {
    let mut v: Vec<String> = fixtures()
        .into_iter()
        .filter(|p| p.kind == ServiceKind::Station && keep(p))
        .map(|p| p.id)
        .collect();
    v.sort();
    v
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

#[tokio::test]
async fn ogc_filters_sorting_crs_and_schemas() {
    let app = app();
    let items = "/ogc/collections/station/items?limit=1000";
    let filtered = |f: &str| format!("{items}&filter={}", enc(f));
    // CQL2 text: spatial, LIKE, IN, logic. Expected sets come from the fixtures directly.
    let in_box = |p: &ServicePoint| {
        (112.90..=113.0).contains(&p.location.lon) && (28.10..=28.25).contains(&p.location.lat)
    };
    let want = station_ids(in_box);
    assert!(want.len() >= 3, "{want:?}");
    let fc = get(
        &app,
        &filtered("S_INTERSECTS(geometry, BBOX(112.90, 28.10, 113.0, 28.25))"),
    )
    .await
    .json();
    assert_eq!(ids(&fc), want);
    assert_eq!(fc["numberMatched"], want.len());
    let want = station_ids(|p| p.name.ends_with("驿站"));
    assert_eq!(
        ids(&get(&app, &filtered("name LIKE '%驿站'")).await.json()),
        want
    );
    let want = station_ids(|p| p.name.ends_with("驿站") || p.id == "st-hk");
    assert_eq!(
        ids(&get(
            &app,
            &filtered("name LIKE '%驿站' OR id IN ('st-hk', 'la-furong')")
        )
        .await
        .json()),
        want
    );
    let want = station_ids(|p| !in_box(p));
    assert_eq!(
        ids(&get(&app, &filtered("NOT S_INTERSECTS(geometry, POLYGON((112.90 28.10, 113.0 28.10, 113.0 28.25, 112.90 28.25, 112.90 28.10)))")).await.json()),
        want
    );
    let want = station_ids(|p| p.access.is_none());
    assert_eq!(
        ids(&get(&app, &filtered("access IS NULL")).await.json()),
        want
    );
    // CQL2 JSON.
    let json_filter =
        r#"{"op": "in", "args": [{"property": "id"}, ["st-wuyi", "st-north", "g999"]]}"#;
    let fc = get(
        &app,
        &format!("{items}&filter-lang=cql2-json&filter={}", enc(json_filter)),
    )
    .await
    .json();
    assert_eq!(ids(&fc), ["st-north", "st-wuyi"]);
    // A queryable as a query parameter.
    let fc = get(&app, &format!("{items}&access=face_scan")).await.json();
    assert_eq!(ids(&fc), ["st-wuyi"]);
    // Filters apply before paging: numberMatched counts the filtered set, pages split it.
    let all = station_ids(|p| p.name.ends_with("驿站"));
    let page = get(
        &app,
        &format!(
            "/ogc/collections/station/items?limit=1&offset=1&filter={}",
            enc("name LIKE '%驿站'")
        ),
    )
    .await
    .json();
    assert_eq!(page["numberMatched"], all.len());
    assert_eq!(ids(&page), [all[1].clone()]);
    // sortby, descending.
    let mut want = station_ids(|_| true);
    want.reverse();
    assert_eq!(
        ids(&get(&app, &format!("{items}&sortby=-id")).await.json()),
        want
    );
    // properties
    let fc = get(
        &app,
        &format!(
            "{items}&properties=name,adcode&filter={}",
            enc("id = 'st-wuyi'")
        ),
    )
    .await
    .json();
    let props = fc["features"][0]["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["adcode", "name"]);
    // Part 2: EPSG:4326 is latitude first; EPSG:3857 by hand (x = R·λ, y = R·ln tan(π/4 + φ/2)).
    let r = get(
        &app,
        "/ogc/collections/station/items/st-wuyi?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    .await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    );
    let c = &r.json()["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - WUYI.1).abs() < 1e-7, "{c}");
    assert!((c[1].as_f64().unwrap() - WUYI.0).abs() < 1e-7, "{c}");
    let r = get(
        &app,
        &format!(
            "{items}&crs={}&filter={}",
            enc("http://www.opengis.net/def/crs/EPSG/0/3857"),
            enc("id = 'st-wuyi'")
        ),
    )
    .await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/3857>"
    );
    let c = &r.json()["features"][0]["geometry"]["coordinates"];
    let rr = 6_378_137.0_f64;
    let x = rr * WUYI.0.to_radians();
    let y = rr
        * (std::f64::consts::FRAC_PI_4 + WUYI.1.to_radians() / 2.0)
            .tan()
            .ln();
    assert!((c[0].as_f64().unwrap() - x).abs() < 0.01, "{c} vs {x}");
    assert!((c[1].as_f64().unwrap() - y).abs() < 0.01, "{c} vs {y}");
    let r = get(&app, items).await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    // bbox in EPSG:4326 (lat, lon order) and the 6-number bbox.
    let fc = get(
        &app,
        &format!(
            "{items}&bbox=22,114,23,115&bbox-crs={}",
            enc("http://www.opengis.net/def/crs/EPSG/0/4326")
        ),
    )
    .await
    .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    let fc = get(&app, &format!("{items}&bbox=114,22,-10,115,23,500"))
        .await
        .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    // Bad filters are 400 problems that point at the position.
    let p = assert_problem(
        &app,
        &filtered("name = 'x' AND colour = 'red'"),
        400,
        Some("filter"),
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("character 16"),
        "{p}"
    );
    assert_problem(&app, &filtered("name ="), 400, Some("filter")).await;
    assert_problem(
        &app,
        &format!("{items}&filter=x&filter-lang=sql"),
        400,
        Some("filter-lang"),
    )
    .await;
    assert_problem(
        &app,
        &format!("{items}&sortby=geometry"),
        400,
        Some("sortby"),
    )
    .await;
    assert_problem(
        &app,
        &format!("{items}&properties=nope"),
        400,
        Some("properties"),
    )
    .await;
    assert_problem(&app, &format!("{items}&crs=EPSG:4547"), 400, Some("crs")).await;
    // Collection metadata, queryables and schema.
    let col = get(&app, "/ogc/collections/station").await.json();
    assert_eq!(
        col["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert!(col["crs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "http://www.opengis.net/def/crs/EPSG/0/4326"));
    let rels: Vec<&str> = col["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in [
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
        "http://www.opengis.net/def/rel/ogc/1.0/schema",
        "describedBy",
    ] {
        assert!(rels.contains(&rel), "{rel}");
    }
    let r = get(&app, "/ogc/collections/station/queryables").await;
    assert_eq!(r.content_type(), "application/schema+json");
    let q = r.json();
    assert_eq!(q["properties"]["name"]["type"], "string");
    assert_eq!(q["properties"]["geometry"]["format"], "geometry-point");
    assert_eq!(q["properties"]["updated_at"]["format"], "date-time");
    assert!(q["properties"].get("amenities").is_none());
    let sch = get(&app, "/ogc/collections/station/schema").await.json();
    assert_eq!(sch["properties"]["id"]["x-ogc-role"], "id");
    assert_eq!(
        sch["properties"]["geometry"]["x-ogc-role"],
        "primary-geometry"
    );
    assert_eq!(sch["properties"]["amenities"]["type"], "array");
    let sch = get(&app, "/ogc/collections/suggestions/schema")
        .await
        .json();
    assert_eq!(
        sch["properties"]["created_at"]["x-ogc-role"],
        "primary-instant"
    );
    // Conformance lists the classes.
    let conf = get(&app, "/ogc/conformance").await.json();
    let conf: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    ] {
        assert!(conf.contains(&c), "{c}");
    }
    // Numeric ids stay numbers.
    let app = server::router(AppState::new(
        Config::default(),
        ServiceIndex::new(vec![
            pt("12345", ServiceKind::Station, "数字编号", 112.9, 28.2),
            pt("007", ServiceKind::Station, "零开头", 112.9, 28.2),
        ])
        .unwrap(),
    ));
    let fc = get(&app, "/ogc/collections/station/items").await.json();
    let got: Vec<&Value> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(got, [&Value::from("007"), &Value::from(12345)]);
    assert_eq!(
        get(&app, "/ogc/collections/station/items/12345")
            .await
            .json()["id"],
        12345
    );
}

#[tokio::test]
async fn ogc_html_views() {
    let app = app();
    for uri in [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/station",
        "/ogc/collections/station/items",
        "/ogc/collections/station/items/st-wuyi",
    ] {
        let r = send(
            &app,
            Request::get(uri)
                .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.content_type().starts_with("text/html"), "{uri}");
        assert!(r.text().starts_with("<!doctype html>"), "{uri}");
        let f = get(&app, &format!("{uri}?f=html")).await;
        assert!(f.content_type().starts_with("text/html"), "{uri}");
    }
    let item = get(&app, "/ogc/collections/station/items/st-wuyi?f=html")
        .await
        .text();
    assert!(item.contains("五一广场驿站"));
    // the address "黄兴中路 & 解放西路" is escaped
    assert!(item.contains("黄兴中路 &amp; 解放西路"));
}

// ---------------------------------------------------------------------------------------------
// OpenAPI, operations, layers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_document_and_docs_page() {
    let app = app();
    let doc = get(&app, "/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/nearest",
        "/api/v1/within",
        "/api/v1/points",
        "/api/v1/points/{id}",
        "/api/v1/districts",
        "/api/v1/districts/{adcode}",
        "/ogc",
        "/ogc/collections/{collectionId}/items",
        "/healthz",
        "/metrics",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/nearest"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "lon", "lat", "crs", "kind", "amenity", "open_now", "k", "mode", "out_crs",
    ] {
        assert!(params.contains(&p), "{p}");
    }
    let docs = get(&app, "/api/docs").await;
    assert!(docs.content_type().starts_with("text/html"));
    let html = docs.text();
    assert!(html.contains("/api/openapi.json"));
    // Self-contained: the only script is our own, so the CSP can forbid inline scripts.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains(r#"<script src="/api/docs.js"></script>"#));
    assert!(!html.contains("cdn"), "no CDN");
    let csp = docs.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"));
    let js = get(&app, "/api/docs.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.content_type().starts_with("text/javascript"));
    assert!(js.text().contains("/api/openapi.json"));
}

/// `GET /api/v1/vocabulary`: every code of every vocabulary with a Chinese and an English
/// label, documented in OpenAPI, revalidated by ETag. The lists are written out here from
/// docs/GLOSSARY.md, not taken from the code.
#[tokio::test]
async fn vocabulary_lists_every_code_with_both_labels() {
    let app = app();
    let r = get(&app, "/api/v1/vocabulary").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), "application/json");
    let v = r.json();
    let codes = |name: &str| -> Vec<String> {
        v[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} missing"))
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes("kind"),
        [
            "station",
            "legal_aid",
            "rider_friendly_community",
            "collection_point"
        ]
    );
    assert_eq!(
        codes("category"),
        [
            "entry_access",
            "parking",
            "supplies",
            "rest",
            "education",
            "childcare",
            "rights",
            "safety_hazard",
            "other"
        ]
    );
    assert_eq!(
        codes("status"),
        [
            "submitted",
            "accepted",
            "in_progress",
            "resolved",
            "declined"
        ]
    );
    for name in [
        "kind",
        "amenity",
        "access",
        "category",
        "status",
        "role",
        "campaign_kind",
        "officer_role",
    ] {
        for t in v[name].as_array().unwrap() {
            let zh = t["zh"].as_str().unwrap_or("");
            let en = t["en"].as_str().unwrap_or("");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name} {t}"
            );
            assert!(!en.is_empty() && en.is_ascii(), "{name} {t}");
        }
    }
    assert_eq!(v["kind"][0]["zh"], "驿站");
    assert_eq!(v["category"][0]["zh"], "进门难");
    assert_eq!(v["status"][2]["zh"], "办理中");
    // revalidation
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache");
    let again = send(
        &app,
        Request::get("/api/v1/vocabulary")
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_problem(&app, "/api/v1/vocabulary?lang=en", 400, Some("lang")).await;
    // documented, with its schema
    let doc = get(&app, "/api/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/vocabulary"]["get"].is_object());
    let schema = &doc["components"]["schemas"]["Vocabulary"];
    for name in ["kind", "category", "status"] {
        assert!(schema["properties"][name].is_object(), "{name}: {schema}");
    }
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = app();
    for uri in [
        "/api/v1/nearest?lon=112.95&lat=28.15",
        "/api/v1/nearest?lon=abc&lat=28",
        "/no/such/path",
        "/ogc?f=html",
        "/api/docs",
        "/",
        "/metrics",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(
            r.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{uri}"
        );
    }
    // 405 from axum and an invented method too.
    let r = send(
        &app,
        Request::builder()
            .method("AAAA1")
            .uri("/api/v1/nearest")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // OGC HTML views: no script allowed at all.
    for uri in [
        "/ogc?f=html",
        "/ogc/collections?f=html",
        "/ogc/conformance?f=html",
    ] {
        let r = get(&app, uri).await;
        assert!(r.content_type().starts_with("text/html"), "{uri}");
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("script-src"), "{uri}: {csp}");
    }
    // The web map keeps its own policy (set in web.rs), which allows its own scripts.
    let r = get(&app, "/").await;
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = app();
    let h = get(&app, "/healthz").await.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["points"], fixtures().len());
    let r = get(&app, "/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    get(&app, "/api/v1/nearest?lon=112.9&lat=28.1").await;
    get(&app, "/api/v1/nearest?lon=112.9&lat=28.1").await;
    get(&app, "/api/v1/nearest?lon=112.9").await;
    get(&app, "/api/v1/points/st-wuyi").await;
    get(&app, "/no/such/thing").await;
    // Without an Accept header: the classic text format 0.0.4, counters' HELP/TYPE under
    // their `_total` name.
    let classic = get(&app, "/metrics").await;
    assert!(
        classic
            .content_type()
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        classic.content_type()
    );
    let classic = classic.text();
    assert!(classic.contains("# TYPE nuanxin_http_requests_total counter\n"));
    assert!(!classic.contains("# EOF"));
    assert!(classic.contains("nuanxin_build_info{version=\""));
    // Prometheus asks for OpenMetrics.
    let m = send(
        &app,
        Request::get("/metrics")
            .header(
                "accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(m.content_type().contains("openmetrics-text"));
    let text = m.text();
    assert!(text.contains("# TYPE nuanxin_http_requests counter\n"));
    assert!(text.contains("# TYPE nuanxin_build info\n"));
    assert!(text.ends_with("# EOF\n"));
    assert!(
        text.contains(
            r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="400"} 1"#
    ));
    // route templates, not concrete ids
    assert!(text.contains(r#"route="/api/v1/points/{id}""#));
    assert!(text.contains(r#"route="unmatched",status="404""#));
    assert!(text.contains("nuanxin_http_request_duration_seconds_bucket"));
    let stations = fixtures()
        .iter()
        .filter(|p| p.kind == ServiceKind::Station)
        .count();
    assert!(text.contains(&format!(
        r#"nuanxin_index_points{{kind="station"}} {stations}"#
    )));
}

#[tokio::test]
async fn request_ids_compression_and_cors() {
    let app = app();
    let r = get(&app, "/healthz").await;
    assert!(r.headers.contains_key("x-request-id"));
    let r = send(
        &app,
        Request::get("/healthz")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers["x-request-id"], "abc-123");
    for enc in ["gzip", "br"] {
        let r = send(
            &app,
            Request::get("/api/v1/points?limit=50")
                .header(header::ACCEPT_ENCODING, enc)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.headers[header::CONTENT_ENCODING], enc);
    }
    // gzip body decodes to the same JSON (gzip magic 1f 8b per RFC 1952)
    let r = send(
        &app,
        Request::get("/api/v1/points?limit=50")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(&r.body[..2], &[0x1f, 0x8b]);
    // CORS off by default
    let r = send(
        &app,
        Request::get("/healthz")
            .header(header::ORIGIN, "https://a.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let app = app_with(Config {
        cors_origins: vec!["https://a.example".into()],
        ..Config::default()
    });
    let r = send(
        &app,
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/nearest")
            .header(header::ORIGIN, "https://a.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://a.example"
    );
    let r = send(
        &app,
        Request::get("/healthz")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

// ---------------------------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------------------------

#[test]
fn real_binary_answers_over_http_and_stops_on_sigterm() {
    let mut server = support::bin::Server::with_points(
        &fixtures(),
        &[("NUANXIN_CORS_ORIGINS", "[\"https://a.example\"]")],
    );
    let addr = server.addr.clone();
    let http_get = |addr: &str, path: &str, headers: &[(&str, &str)]| {
        let r = support::bin::http(addr, "GET", path, headers, "");
        (r.status, r.head, r.body)
    };
    let (status, head, body) = http_get(
        &addr,
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=gcj02&k=2",
            WUYI_GCJ.0, WUYI_GCJ.1
        ),
        &[("Origin", "https://a.example")],
    );
    assert_eq!(status, 200, "{head}\n{body}");
    let head_lc = head.to_ascii_lowercase();
    assert!(head_lc.contains("content-type: application/geo+json"));
    assert!(head_lc.contains("x-request-id: "));
    // the CORS origin came from the environment
    assert!(
        head_lc.contains("access-control-allow-origin: https://a.example"),
        "{head}"
    );
    let fc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(fc["features"][0]["id"], "st-wuyi");
    let (status, _, body) = http_get(&addr, "/api/v1/nearest?lon=1&lat=112", &[]);
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["param"],
        "lat"
    );
    let (status, _, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["points"],
        fixtures().len()
    );
    // graceful shutdown on SIGTERM: exit status 0
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            assert!(st.success(), "exit status {st}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test]
async fn arbitrary_query_values_never_give_a_5xx() {
    let app = app();
    let nasty = [
        "",
        "%",
        "%ZZ",
        "%FF%FE",
        "-0",
        "1e400",
        "-1e400",
        "0x10",
        "１１２",
        "NaN",
        "-inf",
        "%00",
        "%E9%A9",
        "999999999999999999999999",
        "1,2,3,4,5",
        ",,,",
        "null",
        "[1,2]",
        "%3Cscript%3E",
        "..",
        "2026-02-30T25:61",
    ];
    let endpoints: &[(&str, &[&str])] = &[
        (
            "/api/v1/nearest",
            &[
                "lon", "lat", "crs", "k", "kind", "amenity", "mode", "open_now", "open_at",
                "out_crs",
            ],
        ),
        (
            "/api/v1/within",
            &["lon", "lat", "radius_m", "limit", "offset"],
        ),
        (
            "/api/v1/points",
            &["bbox", "limit", "offset", "kind", "access"],
        ),
        (
            "/ogc/collections/station/items",
            &["bbox", "limit", "offset", "datetime", "f"],
        ),
        ("/api/v1/districts", &["level", "parent"]),
    ];
    for (path, names) in endpoints {
        for name in *names {
            for v in nasty {
                let uri = format!("{path}?lon=112.9&lat=28.1&radius_m=100&{name}={v}");
                let r = get(&app, &uri).await;
                assert!(r.status.as_u16() < 500, "{uri}: {}", r.status);
                if !r.status.is_success() {
                    assert_eq!(r.content_type(), "application/problem+json", "{uri}");
                }
            }
        }
    }
    for id in ["%00", "%FF", "..%2F..%2Fetc", "a%20b", "%E9%A9"] {
        for path in [
            "/api/v1/points/",
            "/ogc/collections/station/items/",
            "/api/v1/districts/",
        ] {
            let r = get(&app, &format!("{path}{id}")).await;
            assert!(r.status.as_u16() < 500, "{path}{id}: {}", r.status);
        }
    }
}

#[tokio::test]
async fn forged_host_and_forwarded_proto_are_not_reflected() {
    let app = app_with(Config {
        trust_forwarded_for: true,
        ..Config::default()
    });
    // Open311 discovery reflected Host unchecked.
    let r = send(
        &app,
        Request::get("/open311/v2/discovery.json")
            .header(header::HOST, "evil.example\"x<y")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("evil"), "{}", r.text());
    // OGC HTML took any X-Forwarded-Proto as the scheme of its links.
    let r = send(
        &app,
        Request::get("/ogc?f=html")
            .header(header::HOST, "example.org")
            .header("x-forwarded-proto", "javascript:alert(1)//")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("javascript:"), "{}", r.text());
    // issue 15: links took their host from `Host`; now from the configuration only
    // (default: the listen address)
    assert!(!r.text().contains("example.org"), "{}", r.text());
    assert!(
        r.text().contains("http://127.0.0.1:8080/ogc"),
        "{}",
        r.text()
    );
    let app = app_with(Config {
        trust_forwarded_for: true,
        public_url: Some("https://map.example.gov.cn".into()),
        ..Config::default()
    });
    for uri in [
        "/ogc",
        "/open311/v2/discovery.json",
        "/api/v1/points?limit=1",
    ] {
        let r = send(
            &app,
            Request::get(uri)
                .header(header::HOST, "attacker.example")
                .header("x-forwarded-host", "attacker.example")
                .header("x-forwarded-proto", "http")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.text().contains("attacker"), "{uri}: {}", r.text());
        assert!(
            r.text().contains("https://map.example.gov.cn/"),
            "{uri}: {}",
            r.text()
        );
    }
}
