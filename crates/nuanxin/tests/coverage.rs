//! Coverage analysis against independently computed values: geodesic disc areas (pyproj
//! `Geod(ellps="WGS84")`), π/4, district areas (pyproj polygon areas of the shipped
//! boundaries), the antimeridian, brute-force optimal proposals, the HTTP API and the CLI.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nuanxin::coverage::analysis::{analyze, Candidates, CoverageOptions, DemandPoint, Site};
use nuanxin::coverage::grid::CellGrid;
use nuanxin::coverage::maxcover::{brute_force, greedy};
use nuanxin::coverage::{AreaSpec, NoProgress};
use nuanxin::districts::Districts;
use nuanxin::geodesy::{destination, geodesic_distance_m};
use nuanxin::index::{Filter, ServiceIndex};
use nuanxin::model::{Bbox, LonLat, ServiceKind, ServicePoint};
use serde_json::{json, Value};

use crate::support;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn station(id: &str, kind: ServiceKind, p: LonLat) -> ServicePoint {
    ServicePoint::new(id, kind, format!("测试 {id}"), p)
}

fn index(points: Vec<ServicePoint>) -> ServiceIndex {
    ServiceIndex::new(points).unwrap()
}

fn bbox(w: f64, s: f64, e: f64, n: f64) -> AreaSpec {
    AreaSpec::Bbox(Bbox::new(w, s, e, n).unwrap())
}

fn run(
    idx: &ServiceIndex,
    area: &AreaSpec,
    o: &CoverageOptions,
) -> nuanxin::coverage::CoverageReport {
    analyze(idx, Districts::embedded(), area, o, &NoProgress).unwrap()
}

#[test]
fn one_station_covers_the_geodesic_disc() {
    // pyproj: Geod(ellps="WGS84").polygon_area_perimeter of a 3600-vertex geodesic circle of
    // radius 5 000 m around (112.97, 28.20): 78.539 772 km² (π r² = 78.539 816 km²).
    let idx = index(vec![station("s", ServiceKind::Station, ll(112.97, 28.20))]);
    let area = bbox(112.8, 28.05, 113.15, 28.35);
    for (res, tol) in [(9u8, 0.01), (10, 0.005)] {
        let mut o = CoverageOptions::new(5000.0);
        o.resolution = nuanxin::coverage::resolution(res).unwrap();
        o.gaps = false;
        let r = run(&idx, &area, &o);
        let rel = r.summary.covered_km2 / 78.539_772 - 1.0;
        assert!(
            rel.abs() < tol,
            "res {res}: {} km² ({rel:+.4})",
            r.summary.covered_km2
        );
        assert_eq!(r.summary.stations, 1);
    }
}

#[test]
fn square_with_a_central_station_reaching_its_edges_is_pi_over_4_covered() {
    // Square of side 6 km around (112.97, 28.20): corners at 3√2 km along azimuths 45°, 135°,
    // 225°, 315° (pyproj Geod.fwd). pyproj areas: square 36.000 003 km², circle r = 3 km
    // 28.274 319 km², ratio 0.785 398 (π/4 = 0.785 398).
    let c = ll(112.97, 28.20);
    let mut ring: Vec<(f64, f64)> = [45.0, 135.0, 225.0, 315.0]
        .iter()
        .map(|&az| {
            let p = destination(c, az, 3000.0 * 2f64.sqrt());
            (p.lon, p.lat)
        })
        .collect();
    ring.push(ring[0]);
    let poly = geo::Polygon::new(geo::LineString::from(ring), vec![]);
    let area = AreaSpec::Geometry(geo::MultiPolygon(vec![poly]));
    let idx = index(vec![station("s", ServiceKind::Station, c)]);
    let mut o = CoverageOptions::new(3000.0);
    o.resolution = nuanxin::coverage::resolution(10).unwrap();
    let r = run(&idx, &area, &o);
    let share = r.summary.covered_percent / 100.0;
    assert!(
        (share / std::f64::consts::FRAC_PI_4 - 1.0).abs() < 0.01,
        "{share}"
    );
    assert!((r.area.boundary_area_km2 / 36.000_003 - 1.0).abs() < 1e-4);
    assert!(
        (r.summary.area_km2 / 36.0 - 1.0).abs() < 0.01,
        "{}",
        r.summary.area_km2
    );
    // Gaps are the four corners: one feature (one district, 芙蓉区/天心区/...) or a few, whose
    // areas add up to the uncovered area.
    let gap_km2: f64 = r.gaps["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["area_km2"].as_f64().unwrap())
        .sum();
    assert!((gap_km2 - (r.summary.area_km2 - r.summary.covered_km2)).abs() < 1e-9);
    // Each gap's reported area (H3 cell areas × the ellipsoid factor) equals Karney's geodesic
    // area of its dissolved polygon (geo::GeodesicArea), and exteriors are counter-clockwise.
    for f in r.gaps["features"].as_array().unwrap() {
        let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
        let mp: geo::MultiPolygon<f64> = g.value.try_into().unwrap();
        let karney = geo::GeodesicArea::geodesic_area_signed(&mp) / 1e6;
        let ours = f["properties"]["area_km2"].as_f64().unwrap();
        assert!((karney / ours - 1.0).abs() < 1e-3, "{karney} vs {ours}");
    }
}

#[test]
fn city_cells_are_split_between_counties_once() {
    // pyproj geometry_area_perimeter of the shipped boundaries (km²): 430102 芙蓉区 43.925,
    // 430103 天心区 137.839, 430104 岳麓区 544.220, 430105 开福区 188.923, 430111 雨花区 289.960,
    // 430112 望城区 950.669, 430121 长沙县 1755.841, 430181 浏阳市 4998.937, 430182 宁乡市
    // 2908.588; 430100 长沙市 11 818.903.
    let want = [
        ("430102", 43.925),
        ("430103", 137.839),
        ("430104", 544.220),
        ("430105", 188.923),
        ("430111", 289.960),
        ("430112", 950.669),
        ("430121", 1755.841),
        ("430181", 4998.937),
        ("430182", 2908.588),
    ];
    // A station on the 芙蓉区 / 天心区 border area (五一广场, OSM) covers cells of both.
    let idx = index(vec![station(
        "wuyi",
        ServiceKind::Station,
        ll(112.97092, 28.19860),
    )]);
    let mut o = CoverageOptions::new(2000.0);
    o.resolution = nuanxin::coverage::resolution(8).unwrap();
    o.gaps = false;
    let r = run(&idx, &AreaSpec::Adcode("430100".into()), &o);
    assert!((r.area.boundary_area_km2 / 11_818.903 - 1.0).abs() < 1e-6);
    assert!(
        (r.summary.area_km2 / 11_818.903 - 1.0).abs() < 0.005,
        "{}",
        r.summary.area_km2
    );
    let cells: usize = r.districts.iter().map(|d| d.cells).sum();
    assert_eq!(cells, r.summary.cells, "every cell in exactly one row");
    let covered: f64 = r.districts.iter().map(|d| d.covered_km2).sum();
    assert!((covered - r.summary.covered_km2).abs() < 1e-9);
    for (code, km2) in want {
        let row = r
            .districts
            .iter()
            .find(|d| d.adcode.as_deref() == Some(code))
            .unwrap();
        // Resolution 8 cells are 0.74 km²: small districts get a larger relative error.
        let tol = if km2 < 200.0 { 0.05 } else { 0.02 };
        assert!(
            (row.area_km2 / km2 - 1.0).abs() < tol,
            "{code}: {} vs {km2}",
            row.area_km2
        );
    }
    let with_cover: Vec<&str> = r
        .districts
        .iter()
        .filter(|d| d.covered_km2 > 0.0)
        .filter_map(|d| d.adcode.as_deref())
        .collect();
    assert!(with_cover.len() >= 2, "{with_cover:?}");
    // The same area posted as geometry is broken down by point-in-polygon: same rows.
    let city = Districts::embedded()
        .get("430100")
        .unwrap()
        .geometry
        .clone();
    let r2 = run(&idx, &AreaSpec::Geometry(city), &o);
    assert_eq!(r2.summary.cells, r.summary.cells);
    for d in &r.districts {
        if let Some(code) = &d.adcode {
            let d2 = r2
                .districts
                .iter()
                .find(|x| x.adcode.as_ref() == Some(code))
                .unwrap();
            assert!(d2.cells.abs_diff(d.cells) <= 2 + d.cells / 200, "{code}");
        }
    }
}

#[test]
fn bbox_across_the_antimeridian() {
    // Bbox 179.8 E..179.8 W, 16.7..16.3 S (Fiji): pyproj area of its two halves 1 890.387 km²;
    // a station at 179.99 E covers a 5 km geodesic disc of 78.539 772 km² (pyproj), partly
    // on each side of the antimeridian.
    let idx = index(vec![station("fj", ServiceKind::Station, ll(179.99, -16.5))]);
    let area = bbox(179.8, -16.7, -179.8, -16.3);
    let mut o = CoverageOptions::new(5000.0);
    o.propose = 1;
    // Candidates: one overlapping the station's disc across the seam, one 13.9 km east of it
    // (west of 180°... i.e. at 179.88° W) whose whole disc fits in the box.
    o.candidates = Candidates::Sites(vec![
        Site {
            id: Some("near".into()),
            location: ll(-179.995, -16.5),
        },
        Site {
            id: Some("east".into()),
            location: ll(-179.88, -16.5),
        },
    ]);
    let r = run(&idx, &area, &o);
    assert!((r.area.boundary_area_km2 / 1890.387 - 1.0).abs() < 1e-4);
    assert!(
        (r.summary.area_km2 / 1890.387 - 1.0).abs() < 0.005,
        "{}",
        r.summary.area_km2
    );
    assert!(
        (r.summary.covered_km2 / 78.539_772 - 1.0).abs() < 0.01,
        "{}",
        r.summary.covered_km2
    );
    assert_eq!(r.districts.len(), 1);
    assert_eq!(r.districts[0].adcode, None);
    // The proposal adds a full disc east of the antimeridian.
    let p = &r.proposals[0];
    assert_eq!(p.site_id.as_deref(), Some("east"));
    assert!(
        (p.added_km2 / 78.539_772 - 1.0).abs() < 0.02,
        "{}",
        p.added_km2
    );
    assert!(!r.gaps["features"].as_array().unwrap().is_empty());
}

#[test]
fn greedy_matches_the_brute_force_optimum_on_small_instances() {
    // Independent instance: cells of 芙蓉区 at resolution 8, coverage sets computed here by
    // Karney distances; candidates on a regular lattice. Greedy must reach (1 − (1 − 1/k)^k)
    // of the optimum and, typically, equal it.
    let d = Districts::embedded().get("430102").unwrap();
    let grid = CellGrid::tile(&d.geometry, h3o::Resolution::Eight, 10_000).unwrap();
    let b = d.bounds;
    let mut sites = Vec::new();
    for i in 0..4 {
        for j in 0..4 {
            sites.push(ll(
                b.min().x + (i as f64 + 0.5) * b.width() / 4.0,
                b.min().y + (j as f64 + 0.5) * b.height() / 4.0,
            ));
        }
    }
    let r = 1500.0;
    let sets: Vec<Vec<u32>> = sites
        .iter()
        .map(|s| {
            (0..grid.len() as u32)
                .filter(|&i| geodesic_distance_m(*s, grid.centres()[i as usize]) <= r)
                .collect()
        })
        .collect();
    let weights = grid.areas_km2();
    let mut equal = 0;
    for k in 1..=4usize {
        let mut cov = vec![false; grid.len()];
        let got: f64 = greedy(&sets, weights, &mut cov, k)
            .iter()
            .map(|p| p.gain)
            .sum();
        let (opt, _) = brute_force(&sets, weights, &vec![false; grid.len()], k);
        let bound = 1.0 - (1.0 - 1.0 / k as f64).powi(k as i32);
        assert!(
            got >= bound * opt - 1e-9 && got <= opt + 1e-9,
            "k={k}: {got} vs {opt}"
        );
        if (got - opt).abs() < 1e-9 {
            equal += 1;
        }
        // The analysis with these sites as candidates proposes the same gain.
        let mut o = CoverageOptions::new(r);
        o.resolution = h3o::Resolution::Eight;
        o.propose = k;
        o.gaps = false;
        o.candidates = Candidates::Sites(
            sites
                .iter()
                .enumerate()
                .map(|(i, &location)| Site {
                    id: Some(format!("c{i}")),
                    location,
                })
                .collect(),
        );
        let rep = run(&index(vec![]), &AreaSpec::Adcode("430102".into()), &o);
        let added: f64 = rep.proposals.iter().map(|p| p.added_km2).sum();
        assert!((added - got).abs() < 1e-9, "k={k}: {added} vs {got}");
    }
    assert!(equal >= 3, "greedy optimal in {equal} of 4");
}

#[test]
fn demand_weighted_coverage_and_filters() {
    // Station covers 1 km around (112.97, 28.20); demand: 3 points of weight 2 within 500 m,
    // one of weight 4 at 3 km (not covered), one outside the area: 6 / 10 = 60 % covered.
    let c = ll(112.97, 28.20);
    let mut legal = station("legal", ServiceKind::LegalAid, destination(c, 90.0, 2500.0));
    legal.opening_hours = Some(nuanxin::model::OpeningHours::parse("Mo-Fr 09:00-17:00").unwrap());
    let idx = index(vec![station("s", ServiceKind::Station, c), legal]);
    let area = bbox(112.9, 28.15, 113.05, 28.25);
    let demand = vec![
        DemandPoint {
            location: destination(c, 0.0, 300.0),
            weight: 2.0,
        },
        DemandPoint {
            location: destination(c, 120.0, 400.0),
            weight: 2.0,
        },
        DemandPoint {
            location: destination(c, 240.0, 500.0),
            weight: 2.0,
        },
        DemandPoint {
            location: destination(c, 270.0, 3000.0),
            weight: 4.0,
        },
        DemandPoint {
            location: ll(120.0, 30.0),
            weight: 7.0,
        },
    ];
    let mut o = CoverageOptions::new(1000.0);
    o.demand = demand;
    o.filter = Filter {
        kinds: vec![ServiceKind::Station],
        ..Filter::default()
    };
    o.propose = 1;
    let r = run(&idx, &area, &o);
    assert_eq!(r.summary.demand_total, Some(10.0));
    assert_eq!(r.summary.demand_covered, Some(6.0));
    assert_eq!(r.summary.demand_outside, Some(7.0));
    assert_eq!(r.summary.stations, 1);
    // With demand, the best new site covers the uncovered weight 4.
    assert_eq!(r.proposals[0].added_demand, Some(4.0));
    assert_eq!(r.proposals[0].demand_covered_percent_after, Some(100.0));
    // Both kinds on a Wednesday at 10:00: legal aid (open) adds its disc; at 20:00 it is closed.
    let wed_10 = chrono::NaiveDate::from_ymd_opt(2026, 1, 14)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let wed_20 = wed_10 + chrono::Duration::hours(10);
    let mut o = CoverageOptions::new(1000.0);
    o.gaps = false;
    o.filter.open_at = Some(wed_10);
    assert_eq!(
        run(&idx, &area, &o).summary.stations,
        1,
        "station has no hours: closed"
    );
    o.filter.open_at = Some(wed_20);
    assert_eq!(run(&idx, &area, &o).summary.stations, 0);
    o.filter.open_at = None;
    assert_eq!(run(&idx, &area, &o).summary.stations, 2);
}

#[test]
fn zero_stations_and_bad_input() {
    let idx = index(vec![]);
    let r = run(
        &idx,
        &AreaSpec::Adcode("430102".into()),
        &CoverageOptions::new(1250.0),
    );
    assert_eq!(r.summary.covered_km2, 0.0);
    assert_eq!(r.summary.covered_percent, 0.0);
    assert!(!r.warnings.is_empty());
    let e = analyze(
        &idx,
        Districts::embedded(),
        &AreaSpec::Adcode("999999".into()),
        &CoverageOptions::new(1250.0),
        &NoProgress,
    )
    .unwrap_err();
    assert!(e.to_string().contains("999999"));
    let e = analyze(
        &idx,
        Districts::embedded(),
        &AreaSpec::Adcode("430102".into()),
        &CoverageOptions::new(0.0),
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, nuanxin::coverage::CoverageError::BadRadius(_)));
}

// ---------------------------------------------------------------------------------------
// HTTP API

fn app(points: Vec<ServicePoint>) -> axum::Router {
    let mut config = nuanxin::server::Config::default();
    config.rate_limit.enabled = false;
    nuanxin::server::router(nuanxin::server::AppState::new(config, index(points)))
}

async fn call(app: axum::Router, req: Request<Body>) -> (StatusCode, String, Value) {
    let r = support::http::send(&app, req).await;
    (
        r.status,
        r.content_type().to_string(),
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

fn post(body: Value) -> Request<Body> {
    Request::post("/api/v1/coverage")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn api_coverage_matches_the_library_and_reports_problems() {
    let c = ll(112.97092, 28.19860);
    let pts = vec![station("wuyi", ServiceKind::Station, c)];
    let (st, _, v) = call(
        app(pts.clone()),
        post(json!({"area": {"adcode": "430102"}, "kinds": ["station"], "mode": "ebike",
                    "minutes": 5, "propose": 2,
                    "demand": {"type": "FeatureCollection", "features": [
                        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [112.978, 28.199]},
                         "properties": {"weight": 3}},
                        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.05, 28.2]},
                         "properties": {"weight": "1"}}]}})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // ebike 15 km/h × 5 min = 1 250 m
    assert_eq!(
        v["parameters"]["radius_m"].as_f64().unwrap().round(),
        1250.0
    );
    let mut o = CoverageOptions::new(15000.0 / 60.0 * 5.0);
    o.filter.kinds = vec![ServiceKind::Station];
    let lib = run(&index(pts.clone()), &AreaSpec::Adcode("430102".into()), &o);
    assert_eq!(
        v["summary"]["covered_cells"],
        json!(lib.summary.covered_cells)
    );
    // Weights 3 (700 m from the station: covered) and 1 (8 km away): 75 %.
    assert_eq!(
        v["summary"]["demand_covered_percent"],
        json!(75.0),
        "{}",
        v["summary"]
    );
    // Only one site adds demand; the second proposal is refused with a warning.
    let props = v["proposals"].as_array().unwrap();
    assert_eq!(props.len(), 1, "{v}");
    assert_eq!(props[0]["added_demand"], json!(1.0));
    assert_eq!(props[0]["demand_covered_percent_after"], json!(100.0));
    assert!(v["warnings"][0].as_str().unwrap().contains("only 1 of 2"));
    assert_eq!(v["gaps"]["type"], "FeatureCollection");

    for (body, param) in [
        (json!({"area": {"adcode": "999999"}}), "area.adcode"),
        (
            json!({"area": {"adcode": "430102"}, "minutes": 0}),
            "minutes",
        ),
        (
            json!({"area": {"adcode": "430102"}, "minutes": -3}),
            "minutes",
        ),
        (
            json!({"area": {"adcode": "430102"}, "resolution": 16}),
            "resolution",
        ),
        (
            json!({"area": {"adcode": "430100"}, "resolution": 13}),
            "resolution",
        ),
        (json!({"area": {"bbox": [1, 2, 3]}}), "area.bbox"),
        (
            json!({"area": {"geometry": {"type": "Point", "coordinates": [1, 2]}}}),
            "area.geometry",
        ),
        (
            json!({"area": {"adcode": "430102"}, "kinds": ["bar"]}),
            "kinds",
        ),
        (json!({"area": {"adcode": "430102"}, "mode": "car"}), "mode"),
        (
            json!({"area": {"adcode": "430102", "bbox": [1, 2, 3, 4]}}),
            "area",
        ),
    ] {
        let (st, ct, v) = call(app(vec![]), post(body.clone())).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(ct, "application/problem+json");
        assert_eq!(v["param"], param, "{body}: {v}");
    }
    // Regression (newcomer finding, stop 21): 1e308 was echoed as a 309-digit number.
    let (st, _, v) = call(
        app(vec![]),
        post(json!({"area": {"adcode": "430102"}, "minutes": 1e308})),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.ends_with("got 1e308"), "{detail}");
}

#[tokio::test]
async fn api_service_areas_are_geodesic_circles() {
    let c = ll(112.97, 28.2);
    let pts = vec![
        station("a", ServiceKind::Station, c),
        station("b", ServiceKind::LegalAid, ll(113.5, 28.5)),
        station("fj", ServiceKind::Station, ll(179.99, -16.5)),
    ];
    let get = |q: &str| {
        Request::get(format!("/api/v1/service-areas?{q}"))
            .body(Body::empty())
            .unwrap()
    };
    let (st, ct, v) = call(
        app(pts.clone()),
        get("kind=station&mode=walk&minutes=15&bbox=112.9,28.1,113.0,28.3"),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(ct, "application/geo+json");
    let fs = v["features"].as_array().unwrap();
    assert_eq!(fs.len(), 1);
    // walk 5 km/h × 15 min = 1 250 m; every vertex at that geodesic distance, to within the
    // 7-decimal rounding of written positions (half of 1e-7° on each axis: < 1 cm).
    assert_eq!(
        fs[0]["properties"]["radius_m"].as_f64().unwrap().round(),
        1250.0
    );
    assert_eq!(fs[0]["geometry"]["type"], "Polygon");
    for p in fs[0]["geometry"]["coordinates"][0].as_array().unwrap() {
        let q = ll(p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!((geodesic_distance_m(c, q) - 1250.0).abs() < 0.01);
    }
    // Low zoom: fewer vertices.
    let (_, _, lo) = call(app(pts.clone()), get("kind=station&minutes=15&zoom=8")).await;
    let (_, _, hi) = call(app(pts.clone()), get("kind=station&minutes=15&zoom=18")).await;
    let n = |v: &Value| v["features"][0]["properties"]["vertices"].as_u64().unwrap();
    assert!(n(&lo) < n(&hi), "{} vs {}", n(&lo), n(&hi));
    // The Fiji circle is cut at the antimeridian.
    let (_, _, fj) = call(app(pts.clone()), get("bbox=179,-17,-179,-16&minutes=60")).await;
    let f = &fj["features"][0];
    assert_eq!(f["properties"]["id"], "fj");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    for (q, param) in [
        ("minutes=0", "minutes"),
        ("mode=car", "mode"),
        ("kind=x", "kind"),
        ("bbox=1,2", "bbox"),
    ] {
        let (st, _, v) = call(app(vec![]), get(q)).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(v["param"], param, "{q}: {v}");
    }
}

// ---------------------------------------------------------------------------------------
// CLI (the real binary)

#[test]
fn cli_prints_a_table_and_writes_gaps() {
    // A box in Qinghai far from any (demo) station, so the numbers do not depend on data:
    // coverage 0 %, and the first proposal adds a whole 20-minute e-bike disc (r = 5 km:
    // 78.539 8 km² by pyproj, within the discretisation error).
    let dir = tempfile::tempdir().unwrap();
    let gaps = dir.path().join("gaps.geojson");
    let out = support::bin::nuanxin()
        .current_dir(dir.path())
        .args([
            "coverage",
            "--bbox",
            "96.0,35.0,96.3,35.2",
            "--mode",
            "ebike",
            "--minutes",
            "20",
            "--propose",
            "2",
            "--json",
            "--gaps",
        ])
        .arg(&gaps)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["covered_km2"], json!(0.0));
    let added = v["proposals"][0]["added_km2"].as_f64().unwrap();
    assert!((added / 78.5398 - 1.0).abs() < 0.02, "{added}");
    let g: Value = serde_json::from_slice(&std::fs::read(&gaps).unwrap()).unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    assert_eq!(g["features"][0]["geometry"]["type"], "MultiPolygon");

    let out = support::bin::nuanxin()
        .current_dir(dir.path())
        .args([
            "coverage",
            "--adcode",
            "430102",
            "--mode",
            "ebike",
            "--minutes",
            "5",
            "--resolution",
            "8",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("430102") && text.contains("芙蓉区") && text.contains("覆盖率 %"),
        "{text}"
    );

    let out = support::bin::nuanxin()
        .current_dir(dir.path())
        .args(["coverage", "--adcode", "999999"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("999999"));
}

// ---------------------------------------------------------------------------------------
// Regressions: hostile or invalid areas, cancellation, response caps

#[tokio::test]
async fn api_rejects_longitudes_beyond_180_instead_of_running_forever() {
    // Tester's input: this box ran until the 30 s timeout (h3o loops on lon > 180); the same
    // box cut at the antimeridian must be given with −179.5.
    let (st, _, v) = call(
        app(vec![]),
        post(
            json!({"area": {"geometry": {"type": "Polygon", "coordinates":
            [[[179.5, -17], [180.5, -17], [180.5, -16], [179.5, -16], [179.5, -17]]]}},
            "resolution": 5, "gaps": false}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["param"], "area.geometry", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("180.5"), "{v}");
}

#[tokio::test]
async fn api_rejects_too_many_vertices() {
    // A 50 000-vertex zigzag (tester's input shape): over the 20 000-vertex limit.
    let n = 50_000;
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let x = 112.0 + i as f64 / n as f64;
            [x, if i % 2 == 0 { 28.0 } else { 28.01 }]
        })
        .collect();
    ring.push([113.0, 29.0]);
    ring.push([112.0, 29.0]);
    ring.push(ring[0]);
    let (st, _, v) = call(
        app(vec![]),
        post(
            json!({"area": {"geometry": {"type": "Polygon", "coordinates": [ring]}},
            "gaps": false}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["param"], "area.geometry", "{v}");
    assert!(v["detail"].as_str().unwrap().contains("20000"), "{v}");
}

#[test]
fn a_set_cancellation_flag_stops_the_analysis() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let idx = index(vec![station("s", ServiceKind::Station, ll(112.97, 28.20))]);
    let mut o = CoverageOptions::new(5000.0);
    o.cancel = Some(Arc::new(AtomicBool::new(true)));
    let r = analyze(
        &idx,
        Districts::embedded(),
        &bbox(112.8, 28.05, 113.15, 28.35),
        &o,
        &NoProgress,
    );
    assert!(
        matches!(r, Err(nuanxin::coverage::CoverageError::Cancelled)),
        "{r:?}"
    );
    // Unset: the same analysis runs.
    o.cancel = Some(Arc::new(AtomicBool::new(false)));
    assert!(analyze(
        &idx,
        Districts::embedded(),
        &bbox(112.8, 28.05, 113.15, 28.35),
        &o,
        &NoProgress
    )
    .is_ok());
}

#[tokio::test]
async fn api_rejects_invalid_geometries_and_unusable_bboxes() {
    let poly = |rings: Value| json!({"area": {"geometry": {"type": "Polygon", "coordinates": rings}}, "gaps": false});
    let cases = [
        // Whole world and nearly whole world: 200 with 0 cells before.
        (
            json!({"area": {"bbox": [-180, -90, 180, 90]}}),
            "area.bbox",
            "spans",
        ),
        (
            json!({"area": {"bbox": [-179.9, -89, 179.9, 89]}, "resolution": 0}),
            "area.bbox",
            "spans",
        ),
        // Reaching the pole (narrow).
        (
            json!({"area": {"bbox": [10, 80, 20, 90]}, "resolution": 0}),
            "area.bbox",
            "latitude",
        ),
        // Bow-tie: area 0 but 560 cells before.
        (
            poly(json!([[
                [112.9, 28.1],
                [113.0, 28.2],
                [113.0, 28.1],
                [112.9, 28.2],
                [112.9, 28.1]
            ]])),
            "area.geometry",
            "self-intersection",
        ),
        // A hole larger than its shell.
        (
            poly(json!([
                [
                    [112.9, 28.1],
                    [113.0, 28.1],
                    [113.0, 28.2],
                    [112.9, 28.2],
                    [112.9, 28.1]
                ],
                [
                    [112.0, 27.0],
                    [114.0, 27.0],
                    [114.0, 29.0],
                    [112.0, 29.0],
                    [112.0, 27.0]
                ]
            ])),
            "area.geometry",
            "not valid",
        ),
        // Unclosed 3-position ring.
        (
            poly(json!([[[112.9, 28.1], [113.0, 28.1], [113.0, 28.2]]])),
            "area.geometry",
            "RFC 7946",
        ),
        // Overlapping parts would double-count area.
        (
            json!({"area": {"geometry": {"type": "MultiPolygon", "coordinates": [
                [[[112.9, 28.1], [113.0, 28.1], [113.0, 28.2], [112.9, 28.2], [112.9, 28.1]]],
                [[[112.95, 28.15], [113.05, 28.15], [113.05, 28.25], [112.95, 28.25], [112.95, 28.15]]]
            ]}}, "gaps": false}),
            "area.geometry",
            "not valid",
        ),
    ];
    for (body, param, word) in cases {
        let (st, _, v) = call(app(vec![]), post(body.clone())).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {v}");
        assert_eq!(v["param"], param, "{body}: {v}");
        assert!(v["detail"].as_str().unwrap().contains(word), "{body}: {v}");
    }
}

#[test]
fn a_wide_bbox_has_the_area_of_its_parallels() {
    // pyproj: Geod(ellps="WGS84").polygon_area_perimeter of the box 100..140 E, 20..40 N with
    // each edge densified to 4 000 steps (edges along the parallels): 8 513 224.99 km².
    // Undensified, the northern and southern edges are great-circle arcs, and the area is
    // far off.
    let idx = index(vec![]);
    let mut o = CoverageOptions::new(5000.0);
    o.resolution = nuanxin::coverage::resolution(2).unwrap();
    o.gaps = false;
    let r = run(&idx, &bbox(100.0, 20.0, 140.0, 40.0), &o);
    let want = 8_513_224.99;
    assert!(
        (r.area.boundary_area_km2 / want - 1.0).abs() < 1e-4,
        "{}",
        r.area.boundary_area_km2
    );
    assert!(
        (r.summary.area_km2 / want - 1.0).abs() < 0.1,
        "{} km² in {} cells",
        r.summary.area_km2,
        r.summary.cells
    );
}

#[tokio::test]
async fn api_service_areas_bounds_minutes_simplify_and_the_response() {
    let get = |q: &str| {
        Request::get(format!("/api/v1/service-areas?{q}"))
            .body(Body::empty())
            .unwrap()
    };
    for (q, param) in [
        ("minutes=1e-300", "minutes"),
        ("minutes=240&mode=ebike", "minutes"),
        ("simplify=1e-300", "simplify"),
    ] {
        let (st, _, v) = call(app(vec![]), get(q)).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["param"], param, "{q}: {v}");
    }
    // 400 stations at 720 vertices each (the finest simplify) = 288 000 vertices > 250 000:
    // the tester's 12 MB body.
    let grid = |n: usize| -> Vec<ServicePoint> {
        (0..n)
            .map(|i| {
                let p = ll(
                    112.0 + (i % 100) as f64 * 0.01,
                    28.0 + (i / 100) as f64 * 0.01,
                );
                station(&format!("s{i}"), ServiceKind::Station, p)
            })
            .collect()
    };
    let (st, _, v) = call(app(grid(400)), get("simplify=0.1&minutes=120&mode=ebike")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["param"], "simplify", "{v}");
    // 399 × 720 = 287 280 still over; 300 × 720 = 216 000 is fine.
    let (st, _, v) = call(app(grid(300)), get("simplify=0.1&minutes=120&mode=ebike")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["features"].as_array().unwrap().len(), 300);
    // More than 5 000 circles.
    let (st, _, v) = call(app(grid(5_001)), get("minutes=5")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["param"], "kind", "{v}");
}

/// Runs the real binary in `dir`.
fn cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    support::bin::run(args, Some(dir))
}

/// Runs the real binary in `dir` and asserts that it succeeded.
fn cli_ok(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = cli(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `nearest` and `coverage` with `--db` use the imported points, as the server does (they used
/// to analyse the demo data whatever the database held).
#[test]
fn cli_nearest_and_coverage_use_the_database_points() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("n.db");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/samples/changsha_sample_gcj02.csv"
    );
    let run = |args: &[&str]| cli_ok(dir.path(), args);
    // A missing database is an error, not a new empty one.
    let out = cli(
        dir.path(),
        &[
            "nearest",
            "--lon",
            "112.97",
            "--lat",
            "28.19",
            "--db",
            "missing.db",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.db"));
    assert!(!dir.path().join("missing.db").exists());

    run(&[
        "import",
        sample,
        "--crs",
        "gcj02",
        "--db",
        db.to_str().unwrap(),
    ]);
    // The sample's ids are cs-NNN; the demo data's are not.
    let out = run(&[
        "nearest",
        "--lon",
        "112.97",
        "--lat",
        "28.19",
        "-k",
        "3",
        "--json",
        "--db",
        db.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| i.starts_with("cs-")), "{ids:?}");

    // Coverage: the sample has 12 points in the rows shown above; the stations among them
    // reaching 芙蓉区 are far fewer than the demo's dozens.
    let out = run(&[
        "coverage",
        "--adcode",
        "430102",
        "--resolution",
        "8",
        "--kind",
        "station",
        "--json",
        "--db",
        db.to_str().unwrap(),
    ]);
    let with_db: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = run(&[
        "coverage",
        "--adcode",
        "430102",
        "--resolution",
        "8",
        "--kind",
        "station",
        "--json",
    ]);
    let demo: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stored: usize = std::fs::read_to_string(sample).unwrap().lines().count() - 1;
    let n_db = with_db["summary"]["stations"].as_u64().unwrap() as usize;
    assert!(n_db >= 1 && n_db <= stored, "{n_db}");
    assert_ne!(with_db["summary"]["stations"], demo["summary"]["stations"]);
}

#[test]
fn cli_demand_layer_at_night_and_proposal_exports() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| String::from_utf8(cli_ok(dir.path(), args).stdout).unwrap();
    let common = [
        "coverage",
        "--adcode",
        "430103",
        "--resolution",
        "8",
        "--mode",
        "ebike",
        "--kind",
        "station",
        "--demand",
        "builtup",
    ];
    let day = run(&[&common[..], &["--json", "--at", "2026-12-01T12:00+08:00"]].concat());
    let night = run(&[&common[..], &["--json", "--at", "2026-11-30T18:00Z"]].concat());
    let day: Value = serde_json::from_str(&day).unwrap();
    let night: Value = serde_json::from_str(&night).unwrap();
    assert_eq!(night["parameters"]["open_at"], "2026-12-01T02:00:00");
    let d = day["summary"]["demand_covered_percent"].as_f64().unwrap();
    let n = night["summary"]["demand_covered_percent"].as_f64().unwrap();
    assert!(n < d, "night {n} ≥ day {d}");
    // The table puts the demand share first and names the coordinate systems.
    let text = run(&[&common[..], &["--propose", "2", "--proposals-out", "p.csv"]].concat());
    let header = text.lines().find(|l| l.starts_with("区划代码")).unwrap();
    assert!(
        header.find("需求覆盖率 %").unwrap() < header.find(" 覆盖率 %").unwrap(),
        "{header}"
    );
    assert!(text.contains("WGS-84") && text.contains("GCJ-02"), "{text}");
    let csv = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
    assert_eq!(csv.matches("\r\n").count(), 3, "{csv}");
    run(&[
        &common[..],
        &["--propose", "1", "--proposals-out", "p.geojson"],
    ]
    .concat());
    let g: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("p.geojson")).unwrap()).unwrap();
    assert_eq!(g["features"][0]["properties"]["rank"], 1);
    assert!(g["features"][0]["properties"]["gcj02"].is_array());
    // A bad time and a bad demand name the flag.
    let out = cli(
        dir.path(),
        &["coverage", "--adcode", "430102", "--at", "tonight"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at"));
    let out = cli(
        dir.path(),
        &["coverage", "--adcode", "430102", "--demand", "people"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demand"));
}
