//! Our road engine against the reference engine, Valhalla 3.9.1, on the central-Helsinki
//! extract (ODbL, `tests/fixtures/osm/`): travel times of 1 000 random origin–destination
//! pairs on foot and 5-minute walking service areas from 50 random origins against Valhalla's
//! isochrones. The oracle (`tests/fixtures/osm/helsinki_valhalla_oracle.json`) was written by
//! `scripts/valhalla_oracle.py` (the command and versions are inside it); CI needs no Valhalla.
//! `scripts/bench-valhalla.sh` regenerates it with Valhalla and runs this test against the
//! fresh copy (`NUANXIN_VALHALLA_ORACLE=path`).
//!
//! Checks (issue 17): walking times, median relative difference ≤ 3 %, 95th percentile
//! ≤ 10 %; service areas, median IoU ≥ 0.85. The figures are printed as one JSON line
//! (`VALHALLA_TIMES {...}`, `VALHALLA_ISOCHRONES {...}`) for the bench script.
//!
//! The oracle's bicycle routes come from a second Valhalla tile set, built from a copy of the
//! extract in which every way tagged `bicycle=use_sidepath` is tagged `bicycle=no` (its
//! `bicycle_extract` says which ways and why): our tag table closes those streets (cyclists
//! must use the separate track), while Valhalla's bicycle costing only penalises them and
//! `shortest` costing drops the penalty. Walking routes and isochrones come from tiles built
//! from the extract itself.
//!
//! E-bike times are measured three ways, all printed: against Valhalla's bicycle time on all
//! pairs; against its time less its intersection delays (`transition_s`: Valhalla adds
//! stop impact × turn cost at each node it passes; our model adds a junction delay node by
//! node, docs/roads.md); and both on the subset of pairs whose Valhalla route uses only
//! ways our tag table opens to e-bikes (Valhalla lets bicycles ride private roads, which
//! `shortest` costing does not penalise and no option closes). Times are compared along
//! the roads: Valhalla's runs from where it meets the road to where it leaves it, so our
//! legs between the positions and the roads are taken off ours. Asserted for e-bikes: the
//! issue's goals (median ≤ 3 %, 95th percentile ≤ 10 %), met since junction delays by road
//! class, snapping by the trip's end and turn restrictions (docs/benchmarks.md); nearly
//! every pair Valhalla routes is routed by us too; where Valhalla's route uses only ways we
//! open, the lengths agree (median ≤ 1 %).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use geo::{Area, BooleanOps, Coord, MapCoords, MultiPolygon, Polygon};
use nuanxin_core::coverage::NoProgress;
use nuanxin_core::model::LonLat;
use nuanxin_core::routing::tags::way_access;
use nuanxin_core::routing::{import_pbf, service_area, trip, NetworkOptions, RoadGraph, SnapRole};
use nuanxin_core::travel::{Speeds, TravelMode};
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/osm")
}

fn oracle() -> Value {
    let path = std::env::var_os("NUANXIN_VALHALLA_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| fixtures().join("helsinki_valhalla_oracle.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn lonlat(v: &Value) -> LonLat {
    LonLat::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap()).unwrap()
}

/// The `q`-quantile (0..=1) of `xs` by the nearest-rank method.
fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Speeds of the oracle's costing (km/h in the file).
fn speeds(o: &Value) -> Speeds {
    Speeds {
        walk_m_per_s: o["walk_speed_kmh"].as_f64().unwrap() / 3.6,
        ebike_m_per_s: o["ebike_speed_kmh"].as_f64().unwrap() / 3.6,
    }
}

fn graph(o: &Value) -> RoadGraph {
    import_pbf(
        &fixtures().join(o["extract"].as_str().unwrap()),
        &NoProgress,
    )
    .unwrap()
}

/// Relative differences of our e-bike or walking trips against Valhalla's, over the pairs
/// both engines route.
#[derive(Default)]
struct Differences {
    /// Travel time against Valhalla's time.
    time: Vec<f64>,
    /// Length against Valhalla's length.
    length: Vec<f64>,
    /// Travel time against Valhalla's time less its intersection delays (`transition_s`).
    time_less_delays: Vec<f64>,
    /// Per pair: whether Valhalla's route uses only ways our tag table opens to the mode.
    open_ways_only: Vec<bool>,
    /// Pairs Valhalla routes and we do not.
    unrouted: usize,
}

/// Whether `mode` may use a way with these tags ("k=v;k=v", as the oracle records them) in
/// some direction, by our tag table.
fn open_to(tags: &str, mode: TravelMode) -> bool {
    let pairs: Vec<(&str, &str)> = tags
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    way_access(&pairs).is_some_and(|a| match mode {
        TravelMode::Walk => a.walk_forward || a.walk_backward,
        TravelMode::Ebike => a.ebike_forward || a.ebike_backward,
    })
}

/// Relative differences of our times and lengths against Valhalla's for `mode`.
fn pair_differences(g: &RoadGraph, o: &Value, mode: TravelMode) -> Differences {
    let key = mode.as_str();
    let opts = NetworkOptions {
        speeds: speeds(o),
        ..NetworkOptions::default()
    };
    let mut d = Differences::default();
    for p in o["pairs"].as_array().unwrap() {
        let v = &p[key];
        let (Some(vt), Some(vl)) = (v["time_s"].as_f64(), v["length_m"].as_f64()) else {
            continue;
        };
        let Some(hit) = trip(g, lonlat(&p["from"]), lonlat(&p["to"]), mode, &opts) else {
            d.unrouted += 1;
            continue;
        };
        assert!(hit.network, "{p}: both ends lie on roads");
        // Valhalla's time runs from where it meets the road to where it leaves it; ours also
        // counts the legs between the positions and the roads (at the mode's speed), which
        // are taken off here so that both are times along the roads.
        let origin_m = g
            .snap(lonlat(&p["from"]), mode, SnapRole::Origin, opts.max_snap_m)
            .unwrap()
            .distance_m;
        let legs_s = (origin_m + hit.snap_distance_m.unwrap()) / opts.speeds.of(mode);
        let ours_s = hit.travel_time_s - legs_s;
        d.time.push((ours_s - vt).abs() / vt.max(1.0));
        let ours_m = hit.network_distance_m.unwrap();
        d.length.push((ours_m - vl).abs() / vl.max(1.0));
        let vt_moving = vt - v["transition_s"].as_f64().unwrap_or(0.0);
        d.time_less_delays
            .push((ours_s - vt_moving).abs() / vt_moving.max(1.0));
        d.open_ways_only.push(
            v["ways"]
                .as_array()
                .is_some_and(|ws| ws.iter().all(|w| open_to(w.as_str().unwrap(), mode))),
        );
    }
    d
}

/// The values of `xs` at the pairs where `keep` is true.
fn subset(xs: &[f64], keep: &[bool]) -> Vec<f64> {
    xs.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect()
}

/// Local plane around the extract (metres east and north), enough for areas of a few km².
fn to_plane(mp: &MultiPolygon<f64>, lat0: f64) -> MultiPolygon<f64> {
    let k = lat0.to_radians().cos();
    mp.map_coords(|c| Coord {
        x: c.x * 111_320.0 * k,
        y: c.y * 110_574.0,
    })
}

fn geojson_polygon(v: &Value) -> MultiPolygon<f64> {
    let ring = |r: &Value| -> geo::LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|c| Coord {
                x: c[0].as_f64().unwrap(),
                y: c[1].as_f64().unwrap(),
            })
            .collect()
    };
    let poly = |rings: &Value| -> Polygon<f64> {
        let rs = rings.as_array().unwrap();
        Polygon::new(ring(&rs[0]), rs[1..].iter().map(ring).collect())
    };
    match v["type"].as_str().unwrap() {
        "Polygon" => MultiPolygon(vec![poly(&v["coordinates"])]),
        "MultiPolygon" => MultiPolygon(
            v["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(poly)
                .collect(),
        ),
        t => panic!("unexpected geometry {t}"),
    }
}

/// IoU of our 5-minute walking service areas with Valhalla's isochrones (their timing is
/// `scripts/bench-valhalla.sh`'s, with `examples/routing_bench.rs` in release).
fn isochrone_ious(g: &RoadGraph, o: &Value) -> Vec<f64> {
    let sp = speeds(o);
    let bb: Vec<f64> = o["data_bbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let extent = MultiPolygon(vec![geo::Rect::new(
        Coord { x: bb[0], y: bb[1] },
        Coord { x: bb[2], y: bb[3] },
    )
    .to_polygon()]);
    o["isochrones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|iso| {
            let from = lonlat(&iso["origin"]);
            let minutes = iso["minutes"].as_f64().unwrap();
            let ours = service_area(g, from, TravelMode::Walk, &sp, minutes, 200.0)
                .expect("isochrone origins lie on roads")
                .polygon;
            let theirs = geojson_polygon(&iso["polygon"]);
            // Inside the extent of the data only: where the roads stop at the extract's edge,
            // our polygon spills past them by the walk-off and Valhalla's by its grid cell
            // (0.001°, 111 m north–south), over land with no data.
            let (ours, theirs) = (ours.intersection(&extent), theirs.intersection(&extent));
            let (a, b) = (to_plane(&ours, from.lat), to_plane(&theirs, from.lat));
            let inter = a.intersection(&b).unsigned_area();
            let union = a.union(&b).unsigned_area();
            inter / union
        })
        .collect()
}

#[test]
fn travel_times_agree_with_valhalla() {
    let o = oracle();
    let g = graph(&o);
    let w = pair_differences(&g, &o, TravelMode::Walk);
    let e = pair_differences(&g, &o, TravelMode::Ebike);
    let (dt, dl, unrouted) = (&w.time, &w.length, w.unrouted);
    let open_t = subset(&e.time, &e.open_ways_only);
    let open_td = subset(&e.time_less_delays, &e.open_ways_only);
    let open_l = subset(&e.length, &e.open_ways_only);
    let figures = serde_json::json!({
        "pairs": dt.len() + unrouted,
        "walk_unrouted": unrouted,
        "walk_time_rel_diff_median": quantile(dt, 0.5),
        "walk_time_rel_diff_p95": quantile(dt, 0.95),
        "walk_length_rel_diff_median": quantile(dl, 0.5),
        "walk_length_rel_diff_p95": quantile(dl, 0.95),
        "ebike_routed_by_both": e.time.len(),
        "ebike_unrouted": e.unrouted,
        "ebike_time_rel_diff_median": quantile(&e.time, 0.5),
        "ebike_time_rel_diff_p95": quantile(&e.time, 0.95),
        "ebike_length_rel_diff_median": quantile(&e.length, 0.5),
        "ebike_length_rel_diff_p95": quantile(&e.length, 0.95),
        "ebike_time_less_delays_rel_diff_median": quantile(&e.time_less_delays, 0.5),
        "ebike_time_less_delays_rel_diff_p95": quantile(&e.time_less_delays, 0.95),
        "ebike_open_ways_pairs": open_t.len(),
        "ebike_open_ways_time_rel_diff_median": quantile(&open_t, 0.5),
        "ebike_open_ways_time_rel_diff_p95": quantile(&open_t, 0.95),
        "ebike_open_ways_time_less_delays_rel_diff_median": quantile(&open_td, 0.5),
        "ebike_open_ways_time_less_delays_rel_diff_p95": quantile(&open_td, 0.95),
        "ebike_open_ways_length_rel_diff_median": quantile(&open_l, 0.5),
        "ebike_open_ways_length_rel_diff_p95": quantile(&open_l, 0.95),
    });
    println!("VALHALLA_TIMES {figures}");
    assert!(dt.len() + unrouted >= 1000, "{figures}");
    assert!(unrouted <= dt.len() / 100, "{figures}");
    assert!(quantile(dt, 0.5) <= 0.03, "{figures}");
    assert!(quantile(dt, 0.95) <= 0.10, "{figures}");
    // The same trips measured in metres: the paths themselves agree, not just the sums.
    assert!(quantile(dl, 0.5) <= 0.03, "{figures}");
    assert!(quantile(dl, 0.95) <= 0.10, "{figures}");
    // E-bikes: at most 1 % of the pairs Valhalla routes are left unrouted by us, as on foot.
    // 119 of 999 were: positions snapped to one-way traps (15 left after that fix) and to
    // Helsinki's underground passages, footways and steps tagged access=permissive, which our
    // table opened to e-bikes (the general access key no longer opens a mode; tags.rs).
    assert!(e.time.len() + e.unrouted >= 990, "{figures}");
    assert!(e.unrouted <= (e.time.len() + e.unrouted) / 100, "{figures}");
    // E-bike times along the roads: the goals, median ≤ 3 % and 95th percentile
    // ≤ 10 % (7.6 % and 30.9 % before junction delays, snapping by the trip's end, turn
    // restrictions and the like-for-like times).
    assert!(quantile(&e.time, 0.5) <= 0.03, "{figures}");
    assert!(quantile(&e.time, 0.95) <= 0.10, "{figures}");
    // Where Valhalla's route uses only ways we open, half the lengths agree within 1 %.
    assert!(open_l.len() >= 300, "{figures}");
    assert!(quantile(&open_l, 0.5) <= 0.01, "{figures}");
}

#[test]

fn service_areas_agree_with_valhalla_isochrones() {
    let o = oracle();
    let g = graph(&o);
    let ious = isochrone_ious(&g, &o);
    let figures = serde_json::json!({
        "isochrones": ious.len(),
        "iou_median": quantile(&ious, 0.5),
        "iou_p05": quantile(&ious, 0.05),
        "iou_min": quantile(&ious, 0.0),
    });
    println!("VALHALLA_ISOCHRONES {figures}");
    assert!(ious.len() >= 50, "{figures}");
    assert!(quantile(&ious, 0.5) >= 0.85, "{figures}");
}
