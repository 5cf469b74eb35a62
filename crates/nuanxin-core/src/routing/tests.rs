//! Routing tests: a hand-built graph with times worked out by hand, and property tests of the
//! searches against a plain Dijkstra over the whole graph.

use super::graph::{
    ImportFigures, RawSegment, RoadGraph, SnapRole, EBIKE_BACKWARD, EBIKE_FORWARD, MOTOR,
    WALK_BACKWARD, WALK_FORWARD,
};
use super::reach::NetworkReach;
use super::search::{nearest_by_time, service_area, NetworkOptions};
use super::RoutingError;
use crate::index::{Filter, ServiceIndex};
use crate::model::{LonLat, ServiceKind, ServicePoint};
use crate::travel::{Speeds, TravelMode};
use proptest::prelude::*;

const ALL: u8 = WALK_FORWARD | WALK_BACKWARD | EBIKE_FORWARD | EBIKE_BACKWARD;

/// Metres per 0.001° of longitude on the equator: a·π/180·0.001 with a = 6 378 137 m
/// (the prime-vertical radius N equals a there).
const DX: f64 = 111.319_490_8;
/// Metres per 0.001° of latitude at the equator: a(1 − e²)·π/180·0.001 = 6 335 439.327 m ·
/// 1.745 329 25e-5 (the meridian radius M = a(1 − e²) at φ = 0, e² = 0.006 694 380 0).
const DY: f64 = 110.574_275_8;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// [`graph`] with each segment's road class given.
fn graph_classified(nodes: &[(f64, f64)], segs: &[(u32, u32, u8, u8)]) -> RoadGraph {
    let lon = nodes.iter().map(|n| (n.0 * 1e7).round() as i32).collect();
    let lat = nodes.iter().map(|n| (n.1 * 1e7).round() as i32).collect();
    let segs = segs
        .iter()
        .map(|&(u, v, flags, class)| RawSegment { u, v, flags, class })
        .collect();
    RoadGraph::build(lon, lat, segs, ImportFigures::default()).unwrap()
}

fn graph(nodes: &[(f64, f64)], segs: &[(u32, u32, u8)]) -> RoadGraph {
    let lon = nodes.iter().map(|n| (n.0 * 1e7).round() as i32).collect();
    let lat = nodes.iter().map(|n| (n.1 * 1e7).round() as i32).collect();
    let segs = segs
        .iter()
        .map(|&(u, v, flags)| RawSegment::new(u, v, flags))
        .collect();
    RoadGraph::build(lon, lat, segs, ImportFigures::default()).unwrap()
}

/// A river between two rows of streets, one bridge at the east end.
///
/// ```text
///  N0 ── N1 ── N2 ── N3      lat 0.001
///                    │ bridge
///  S0 ── S1 ── S2 ── S3      lat 0
///  lon 0  0.001 0.002 0.003
/// ```
fn river(bridge_flags: u8) -> RoadGraph {
    graph(
        &[
            (0.0, 0.0),
            (0.001, 0.0),
            (0.002, 0.0),
            (0.003, 0.0),
            (0.0, 0.001),
            (0.001, 0.001),
            (0.002, 0.001),
            (0.003, 0.001),
        ],
        &[
            (0, 1, ALL),
            (1, 2, ALL),
            (2, 3, ALL),
            (4, 5, ALL),
            (5, 6, ALL),
            (6, 7, ALL),
            (3, 7, bridge_flags),
        ],
    )
}

fn station(id: &str, at: LonLat) -> ServicePoint {
    ServicePoint::new(id, ServiceKind::Station, id, at)
}

/// Walking at 1 m/s and riding at 5 m/s make times equal metres (÷ 5).
fn speeds() -> Speeds {
    Speeds {
        walk_m_per_s: 1.0,
        ebike_m_per_s: 5.0,
    }
}

fn opts() -> NetworkOptions {
    NetworkOptions {
        speeds: speeds(),
        ..NetworkOptions::default()
    }
}

/// Nearest by time with no filter.
fn nearest(
    g: &RoadGraph,
    idx: &ServiceIndex,
    from: LonLat,
    k: usize,
    mode: TravelMode,
    opts: &NetworkOptions,
) -> super::TimedNearest {
    nearest_by_time(g, idx, from, k, &Filter::default(), mode, opts)
}

fn river_index() -> ServiceIndex {
    ServiceIndex::new(vec![
        // Across the river, 124 m away as the crow flies, on the middle of N0–N1.
        station("across", ll(0.0005, 0.001)),
        // Along the bank, 334 m away, at S3.
        station("along", ll(0.003, 0.0)),
    ])
    .unwrap()
}

#[test]
fn segment_lengths_match_the_hand_calculation() {
    let g = river(ALL);
    assert!(
        (g.seg_len_m[0] as f64 - DX).abs() < 1e-3,
        "{}",
        g.seg_len_m[0]
    );
    assert!(
        (g.seg_len_m[6] as f64 - DY).abs() < 1e-3,
        "{}",
        g.seg_len_m[6]
    );
    let f = g.figures();
    assert_eq!((f.nodes, f.segments), (8, 7));
    let walk = &f.modes[0];
    assert_eq!(walk.edges, 14);
    assert!((walk.road_km - (6.0 * DX + DY) / 1000.0).abs() < 1e-5);
    assert_eq!(walk.components, 1);
    assert_eq!(walk.largest_component_share, 1.0);
}

#[test]
fn a_station_across_the_river_ranks_below_a_farther_one_along_the_bank() {
    let g = river(ALL);
    let idx = river_index();
    let with_route = NetworkOptions {
        route: true,
        ..opts()
    };
    let r = nearest(&g, &idx, ll(0.0, 0.0), 2, TravelMode::Walk, &with_route);
    let ids: Vec<&str> = r.hits.iter().map(|h| h.point.id.as_str()).collect();
    assert_eq!(ids, ["along", "across"]);
    // along: S0→S3 = 3 DX = 333.958 m at 1 m/s.
    let along = &r.hits[0];
    assert!(
        (along.travel_time_s - 3.0 * DX).abs() < 0.01,
        "{}",
        along.travel_time_s
    );
    assert!((along.network_distance_m.unwrap() - 3.0 * DX).abs() < 0.01);
    // across: S0→S3 (3 DX), the bridge (DY), N3→N1 (2 DX), half of N1–N0 (0.5 DX)
    // = 5.5 × 111.3195 + 110.5743 = 722.831 m.
    let across = &r.hits[1];
    assert!(
        (across.travel_time_s - (5.5 * DX + DY)).abs() < 0.01,
        "{}",
        across.travel_time_s
    );
    assert!(across.network && across.distance_m < 130.0);
    let route = across.route.as_ref().unwrap();
    assert_eq!(route.first(), Some(&ll(0.0, 0.0)));
    assert!(route.contains(&g.node(3)) && route.contains(&g.node(7)));
    assert_eq!(route.last(), Some(&ll(0.0005, 0.001)));
    // By e-bike, 5 times faster.
    let r = nearest(&g, &idx, ll(0.0, 0.0), 2, TravelMode::Ebike, &opts());
    assert!((r.hits[1].travel_time_s - (5.5 * DX + DY) / 5.0).abs() < 0.01);
}

#[test]
fn a_one_way_bridge_strands_ebikes_not_pedestrians() {
    // The bridge S3→N3 is one-way southwards for e-bikes (N3 → S3 only).
    let g = river(WALK_FORWARD | WALK_BACKWARD | EBIKE_BACKWARD);
    let idx = river_index();
    let run = |mode| nearest(&g, &idx, ll(0.0, 0.0), 2, mode, &opts());
    let ids = |r: &super::TimedNearest| -> Vec<String> {
        r.hits.iter().map(|h| h.point.id.clone()).collect()
    };
    assert_eq!(ids(&run(TravelMode::Walk)), ["along", "across"]);
    // Unreachable by e-bike from the south bank: left out.
    assert_eq!(ids(&run(TravelMode::Ebike)), ["along"]);
    // From the north bank the e-bike crosses southwards: N0→N3 (3 DX) + bridge (DY).
    let r = nearest(&g, &idx, ll(0.0, 0.001), 2, TravelMode::Ebike, &opts());
    assert_eq!(ids(&r), ["across", "along"]);
    assert!((r.hits[0].travel_time_s - 0.5 * DX / 5.0).abs() < 0.01);
    assert!((r.hits[1].travel_time_s - (3.0 * DX + DY) / 5.0).abs() < 0.01);
}

#[test]
fn positions_do_not_snap_to_one_way_traps() {
    // A two-way street of 60 nodes (lat 0, lon 0 … 0.059) and, from its node 30, a one-way
    // spur north for e-bikes (30 → 60 → 61, walkable both ways), like the taxi lane by
    // Helsinki's railway station whose only exit is a street closed to e-bikes (here: none).
    // The spur's end is 22 m from the position; the street is 110.6 m (one DY) south of it.
    let mut nodes: Vec<(f64, f64)> = (0..60).map(|i| (i as f64 * 0.001, 0.0)).collect();
    nodes.push((0.030, 0.0005));
    nodes.push((0.030, 0.001));
    let mut segs: Vec<(u32, u32, u8)> = (0..59).map(|i| (i, i + 1, ALL)).collect();
    let spur = WALK_FORWARD | WALK_BACKWARD | EBIKE_FORWARD;
    segs.push((30, 60, spur));
    segs.push((60, 61, spur));
    let g = graph(&nodes, &segs);
    let p = ll(0.0302, 0.001);
    // Walking, the spur is two-way: the position snaps to its end, 0.2 DX away.
    let walk = g
        .snap(p, TravelMode::Walk, SnapRole::Origin, 200.0)
        .unwrap();
    assert!((walk.distance_m - 0.2 * DX).abs() < 0.01, "{walk:?}");
    // By e-bike, a trip from the spur could never leave it: as an origin the position snaps
    // to the street, one DY south (the foot of the perpendicular).
    let ebike = g
        .snap(p, TravelMode::Ebike, SnapRole::Origin, 200.0)
        .unwrap();
    assert!((ebike.distance_m - DY).abs() < 0.01, "{ebike:?}");
    assert!(ebike.segment < 59, "{ebike:?}");
    // A trip to it arrives from the street: as a destination it snaps to the spur's end.
    let to = g
        .snap(p, TravelMode::Ebike, SnapRole::Destination, 200.0)
        .unwrap();
    assert!((to.distance_m - 0.2 * DX).abs() < 0.01, "{to:?}");
    // And a trip from there along the street is routed: the snap leg (DY) and 10.2 DX east.
    let idx = ServiceIndex::new(vec![station("east", ll(0.040, 0.0))]).unwrap();
    let r = nearest(&g, &idx, p, 1, TravelMode::Ebike, &opts());
    assert!(r.hits[0].network, "{:?}", r.hits[0]);
    assert!(
        (r.hits[0].travel_time_s - (DY + 9.8 * DX) / 5.0).abs() < 0.01,
        "{:?}",
        r.hits[0]
    );
}

#[test]
fn off_road_legs_count_and_far_positions_fall_back_to_straight_line() {
    let g = river(ALL);
    // 0.0001° south of S0: snapped 11.06 m (0.1 DY) onto S0.
    let idx = river_index();
    let r = nearest(&g, &idx, ll(0.0, -0.0001), 1, TravelMode::Walk, &opts());
    let snap = r.origin_snap.unwrap();
    assert!(
        (snap.distance_m - 0.1 * DY).abs() < 0.01,
        "{}",
        snap.distance_m
    );
    assert!((r.hits[0].travel_time_s - (3.0 * DX + 0.1 * DY)).abs() < 0.01);
    // 0.01° north: 1.1 km from every road, beyond max_snap_m = 200 m.
    let r = nearest(&g, &idx, ll(0.0, 0.011), 2, TravelMode::Walk, &opts());
    assert!(r.origin_snap.is_none());
    assert!(r.hits.iter().all(|h| !h.network));
    assert!((r.hits[0].travel_time_s - r.hits[0].distance_m).abs() < 1e-9);
    // A station 0.004° (442 m) north of the north bank: straight line, flagged.
    let idx = ServiceIndex::new(vec![station("far", ll(0.0015, 0.005))]).unwrap();
    let r = nearest(&g, &idx, ll(0.0, 0.0), 1, TravelMode::Walk, &opts());
    assert!(!r.hits[0].network && r.hits[0].network_distance_m.is_none());
    assert!((r.hits[0].travel_time_s - r.hits[0].distance_m).abs() < 1e-9);
}

#[test]
fn service_area_is_the_reached_road_with_a_walk_off_band() {
    use geo::GeodesicArea;
    let g = river(ALL);
    // 200 s at 1 m/s from S0 (an end of the street): 200 m east along the south bank. The
    // area is a capsule: 200 m × 2w plus a disc of radius w, w = WALK_OFF_M (40 m):
    // 16 000 + 5 026.5 m².
    let a = service_area(
        &g,
        ll(0.0, 0.0),
        TravelMode::Walk,
        &speeds(),
        200.0 / 60.0,
        200.0,
    )
    .unwrap();
    let w = super::WALK_OFF_M;
    let area = a.polygon.geodesic_area_unsigned();
    let expected = 200.0 * 2.0 * w + std::f64::consts::PI * w * w;
    assert!(
        (area / expected - 1.0).abs() < 0.005,
        "{area} vs {expected}"
    );
    assert_eq!(a.polygon.0.len(), 1);
    assert!(a.polygon.0[0].interiors().is_empty());
}

/// Regression (newcomer, stop 25): e-bike service areas and network coverage were computed
/// from the station outward, so a one-way street leading away from a station was "covered"
/// although riders on it cannot ride back to it. A one-way street W → E (0.003° = 3 DX,
/// 334 m) from the station at W, and a two-way street 0.001° north of it (W' … E') joined
/// at both ends: a rider at the middle of the one-way street (X, 1.5 DX east of W) must go
/// on to E, north to E', west to W' and south to W, 4.5 DX + 2 DY metres; a rider at the
/// middle of the north street, 1.5 DX + DY. No motor roads: no junction delays.
#[test]
fn service_areas_and_coverage_count_trips_to_the_station() {
    use geo::Contains;
    let oneway = WALK_FORWARD | WALK_BACKWARD | EBIKE_FORWARD;
    let g = graph(
        &[
            (0.0, 0.0),      // 0 W (station)
            (0.0015, 0.0),   // 1 X
            (0.003, 0.0),    // 2 E
            (0.0, 0.001),    // 3 W'
            (0.0015, 0.001), // 4
            (0.003, 0.001),  // 5 E'
        ],
        &[
            (0, 1, oneway),
            (1, 2, oneway),
            (3, 4, ALL),
            (4, 5, ALL),
            (0, 3, ALL),
            (2, 5, ALL),
        ],
    );
    let station = ll(0.0, 0.0);
    let (x, north) = (ll(0.0015, 0.0), ll(0.0015, 0.001));
    let sp = speeds();
    // By e-bike at 5 m/s: X → W takes (4.5 DX + 2 DY) / 5 = 144.4 s; north → W takes
    // (1.5 DX + DY) / 5 = 55.5 s.
    let reach = NetworkReach::new(&g, &[station], TravelMode::Ebike, &sp, 600.0, 200.0);
    let want_x = (4.5 * DX + 2.0 * DY) / 5.0;
    let want_north = (1.5 * DX + DY) / 5.0;
    let got = reach.time_to(x).unwrap();
    assert!((got - want_x).abs() < 1e-3, "{got} vs {want_x}");
    let got = reach.time_to(north).unwrap();
    assert!((got - want_north).abs() < 1e-3, "{got} vs {want_north}");
    // The 1.5-minute e-bike area (90 s) holds the north street's middle, not X.
    let area = service_area(&g, station, TravelMode::Ebike, &sp, 1.5, 200.0).unwrap();
    let at = |p: LonLat| geo::Point::new(p.lon, p.lat);
    assert!(area.polygon.contains(&at(north)));
    assert!(!area.polygon.contains(&at(x)));
    // On foot the one-way street is two-way: X is 1.5 DX = 167 m from W, under 3 minutes
    // at 1 m/s, and in the area.
    let walk = service_area(&g, station, TravelMode::Walk, &sp, 3.0, 200.0).unwrap();
    assert!(walk.polygon.contains(&at(x)));
}

#[test]
fn network_reach_times_positions() {
    let g = river(ALL);
    let reach = NetworkReach::new(
        &g,
        &[ll(0.0, 0.0)],
        TravelMode::Walk,
        &speeds(),
        200.0,
        200.0,
    );
    // Halfway along S1–S2: 1.5 DX.
    let t = reach.time_to(ll(0.0015, 0.0)).unwrap();
    assert!((t - 1.5 * DX).abs() < 0.01, "{t}");
    // N0 is 6 DX + DY = 778.5 s away: beyond 200 s.
    assert_eq!(reach.time_to(ll(0.0, 0.001)), None);
    let reach = NetworkReach::new(
        &g,
        &[ll(0.0, 0.0)],
        TravelMode::Walk,
        &speeds(),
        1000.0,
        200.0,
    );
    let t = reach.time_to(ll(0.0, 0.001)).unwrap();
    assert!((t - (6.0 * DX + DY)).abs() < 0.01, "{t}");
    // Far from every road.
    assert_eq!(reach.time_to(ll(0.0, 0.02)), None);
}

#[test]
fn a_cancelled_network_reach_gives_nothing_and_an_uncancelled_one_the_same_times() {
    use std::sync::atomic::AtomicBool;
    let g = river(ALL);
    let run = |flag: &AtomicBool| {
        NetworkReach::new_cancellable(
            &g,
            &[ll(0.0, 0.0)],
            TravelMode::Walk,
            &speeds(),
            1000.0,
            200.0,
            Some(flag),
        )
    };
    assert!(run(&AtomicBool::new(true)).is_none());
    let reach = run(&AtomicBool::new(false)).unwrap();
    let t = reach.time_to(ll(0.0, 0.001)).unwrap();
    assert!((t - (6.0 * DX + DY)).abs() < 0.01, "{t}");
}

#[test]
fn graph_file_round_trips_and_damage_is_reported() {
    let g = river(ALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db.roads");
    g.save(&path).unwrap();
    let h = RoadGraph::load(&path).unwrap();
    assert_eq!(h.figures(), g.figures());
    assert_eq!(h.seg_len_m, g.seg_len_m);
    // Truncated.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    assert!(matches!(
        RoadGraph::load(&path),
        Err(RoutingError::BadGraphFile(_, _))
    ));
    std::fs::write(&path, b"hello").unwrap();
    assert!(matches!(
        RoadGraph::load(&path),
        Err(RoutingError::BadGraphFile(_, _))
    ));
}

/// Seconds an e-bike loses passing `node` after arriving on segment `via`, by the rule of
/// [`RoadGraph::junction_delay_s`] written out over a scan of every segment (no adjacency,
/// no precomputed values): where at least two segments there besides `via` carry [`MOTOR`],
/// the stop impact `c(via) − c(best motor road but one of via's class) + 3` (classes capped
/// at 5; 0 below −3) times 0.75 s where four or more segments meet and 0.3 s where three do.
fn delay_by_scan(g: &RoadGraph, node: u32, via: usize) -> f64 {
    let mut segments = 0;
    let mut motor_others = Vec::new();
    for s in 0..g.segment_count() {
        if g.seg_u[s] == node || g.seg_v[s] == node {
            segments += 1;
            if g.seg_flags[s] & MOTOR != 0 && s != via {
                motor_others.push(g.seg_class[s] as i32);
            }
        }
    }
    let motor_count = motor_others.len();
    // One road of the arrival's own class is its continuation, left out of the best.
    if let Some(i) = motor_others
        .iter()
        .position(|&c| c == g.seg_class[via] as i32)
    {
        motor_others.remove(i);
    }
    let best = motor_others.iter().copied().chain([5]).min().unwrap();
    if motor_count < 2 {
        return 0.0;
    }
    let impact = (g.seg_class[via] as i32).min(5) - best;
    let stop_impact = if impact < -3 { 0 } else { impact + 3 };
    stop_impact as f64 * if segments >= 4 { 0.75 } else { 0.3 }
}

/// A plain Dijkstra over the whole graph (O(n²), no heap, no bound, no adjacency index): the
/// reference for the searches. Returns, per node, the seconds from `source` to pass it
/// (e-bikes: junction delays included, [`delay_by_scan`]) and the seconds of a trip that
/// ends there (the best arrival without the delay at the node itself).
fn plain_dijkstra(
    g: &RoadGraph,
    source: u32,
    mode: TravelMode,
    speed: f64,
) -> (Vec<f64>, Vec<f64>) {
    let (fwd, bwd) = match mode {
        TravelMode::Walk => (WALK_FORWARD, WALK_BACKWARD),
        TravelMode::Ebike => (EBIKE_FORWARD, EBIKE_BACKWARD),
    };
    let delay = |v: u32, s: usize| {
        if mode == TravelMode::Ebike {
            delay_by_scan(g, v, s)
        } else {
            0.0
        }
    };
    let n = g.node_count();
    let mut pass = vec![f64::INFINITY; n];
    let mut end = vec![f64::INFINITY; n];
    let mut done = vec![false; n];
    pass[source as usize] = 0.0;
    end[source as usize] = 0.0;
    while let Some(u) = (0..n)
        .filter(|&i| !done[i] && pass[i].is_finite())
        .min_by(|&a, &b| pass[a].total_cmp(&pass[b]))
    {
        done[u] = true;
        for s in 0..g.segment_count() {
            let len = g.seg_len_m[s] as f64 / speed;
            let f = g.seg_flags[s];
            for (from, to, bit) in [(g.seg_u[s], g.seg_v[s], fwd), (g.seg_v[s], g.seg_u[s], bwd)] {
                if from as usize == u && f & bit != 0 {
                    let v = to as usize;
                    end[v] = end[v].min(pass[u] + len);
                    pass[v] = pass[v].min(pass[u] + len + delay(to, s));
                }
            }
        }
    }
    (pass, end)
}

/// A random street grid at Changsha's latitude: `cols × rows` nodes 0.001° apart, each street
/// present or not, each with random flags (some one-way, some open to motor vehicles) and a
/// random road class.
fn arb_grid() -> impl Strategy<Value = RoadGraph> {
    (3usize..7, 3usize..7)
        .prop_flat_map(|(cols, rows)| {
            let edges = cols * (rows - 1) + rows * (cols - 1);
            (
                Just((cols, rows)),
                proptest::collection::vec((any::<bool>(), 1u8..16, any::<bool>(), 0u8..8), edges),
            )
        })
        .prop_map(|((cols, rows), e)| {
            let mut nodes = Vec::new();
            for r in 0..rows {
                for c in 0..cols {
                    nodes.push((112.97 + 0.001 * c as f64, 28.19 + 0.0008 * r as f64));
                }
            }
            let mut segs = Vec::new();
            let mut it = e.into_iter();
            for r in 0..rows {
                for c in 0..cols {
                    let i = (r * cols + c) as u32;
                    let motor = |m: bool| if m { MOTOR } else { 0 };
                    if c + 1 < cols {
                        let (on, f, m, class) = it.next().unwrap();
                        if on {
                            segs.push((i, i + 1, f | motor(m), class));
                        }
                    }
                    if r + 1 < rows {
                        let (on, f, m, class) = it.next().unwrap();
                        if on {
                            segs.push((i, i + cols as u32, f | motor(m), class));
                        }
                    }
                }
            }
            if segs.is_empty() {
                segs.push((0, 1, ALL, 7));
            }
            graph_classified(&nodes, &segs)
        })
}

/// Junction delays by hand. A crossing of two motor roads at X (0.001°, 0) with a footway F
/// from the south-east, and a T-junction T (0.003°, 0) where a motor road leaves north:
///
/// ```text
///              N (0.001, 0.001)      M (0.003, 0.001)
///              │ motor               │ motor
///  W ───────── X ───────── Y ─────── T ──── E     lat 0   (W at lon 0, E at lon 0.004)
///              │ motor      footway F from (0.002, -0.001) to X
///              S (0.001, -0.001)
/// ```
/// Segments W–X, X–Y, Y–T, T–E, X–N, X–S, T–M are motor roads; X–F is a footway open to
/// e-bikes. At the equator, 0.001° of longitude is DX metres and of latitude DY metres; at
/// 5 m/s, a segment of d metres takes d / 5 seconds.
/// - W → E: W–X–Y–T–E is 4·DX metres; at X five segments meet (four motor, the footway),
///   three of them motor besides W–X: 2.25 s; at Y two segments meet: 0; at T three, two
///   motor besides Y–T: 0.9 s. Total 4·DX/5 + 3.15 s.
/// - F → W: arriving at X on the footway, four motor roads remain: 2.25 s.
/// - A trip ending at X from W pays no delay at X: DX / 5 seconds.
/// - Walking pays nothing: 4·DX seconds at 1 m/s.
#[test]
fn ebikes_lose_time_at_junctions_of_motor_roads() {
    let road = ALL | MOTOR;
    let g = graph(
        &[
            (0.0, 0.0),      // 0 W
            (0.001, 0.0),    // 1 X
            (0.002, 0.0),    // 2 Y
            (0.003, 0.0),    // 3 T
            (0.004, 0.0),    // 4 E
            (0.001, 0.001),  // 5 N
            (0.001, -0.001), // 6 S
            (0.003, 0.001),  // 7 M
            (0.002, -0.001), // 8 F
        ],
        &[
            (0, 1, road),
            (1, 2, road),
            (2, 3, road),
            (3, 4, road),
            (1, 5, road),
            (1, 6, road),
            (3, 7, road),
            (8, 1, ALL),
        ],
    );
    let o = opts();
    let ebike = |a: LonLat, b: LonLat| {
        super::search::trip(&g, a, b, TravelMode::Ebike, &o)
            .unwrap()
            .travel_time_s
    };
    let (w, x, e, f) = (
        ll(0.0, 0.0),
        ll(0.001, 0.0),
        ll(0.004, 0.0),
        ll(0.002, -0.001),
    );
    let want = 4.0 * DX / 5.0 + 2.25 + 0.9;
    assert!(
        (ebike(w, e) - want).abs() < 1e-3,
        "{} vs {want}",
        ebike(w, e)
    );
    let fx = (DX * DX + DY * DY).sqrt();
    let want = fx / 5.0 + 2.25 + DX / 5.0;
    assert!(
        (ebike(f, w) - want).abs() < 1e-2,
        "{} vs {want}",
        ebike(f, w)
    );
    assert!((ebike(w, x) - DX / 5.0).abs() < 1e-3, "{}", ebike(w, x));
    let walk = super::search::trip(&g, w, e, TravelMode::Walk, &o).unwrap();
    assert!((walk.travel_time_s - 4.0 * DX).abs() < 1e-3);
    // The rule itself, node by node: arriving at X on W–X (segment 0) or on the footway
    // (segment 7); at Y; at T on Y–T (segment 2) and on T–M (segment 6).
    assert_eq!(g.junction_delay_s(1, 0), 2.25);
    assert_eq!(g.junction_delay_s(1, 7), 2.25);
    assert_eq!(g.junction_delay_s(2, 1), 0.0);
    assert_eq!(g.junction_delay_s(3, 2), 0.9);
    assert_eq!(g.junction_delay_s(3, 6), 0.9);
}

/// Road classes by hand (Valhalla's stop impact): a residential street (class 6, counted as
/// 5) crossing a primary road (class 2) at X, four segments. Arriving on the street, its
/// continuation (class 6) is left out and the best other is the primary: stop impact
/// 5 − 2 + 3 = 6, × 0.75 = 4.5 s. Arriving on the primary, its continuation is left out and
/// the best other is the street (5): 2 − 5 = −3, stop impact 0: riding the main road past a
/// side street costs nothing. At T, where a street leaves the primary (three segments):
/// arriving on the primary, 0 again; on the street, 6 × 0.3 = 1.8 s.
#[test]
fn junction_delays_follow_the_road_classes() {
    let road = ALL | MOTOR;
    let g = graph_classified(
        &[
            (0.0, 0.0),      // 0
            (0.001, 0.0),    // 1 X
            (0.002, 0.0),    // 2
            (0.001, 0.001),  // 3
            (0.001, -0.001), // 4
            (0.003, 0.0),    // 5 T
            (0.003, 0.001),  // 6
            (0.004, 0.0),    // 7
        ],
        &[
            (0, 1, road, 2), // primary
            (1, 2, road, 2), // primary
            (3, 1, road, 6), // residential
            (1, 4, road, 6), // residential
            (2, 5, road, 2), // primary
            (5, 6, road, 6), // residential
            (5, 7, road, 2), // primary
        ],
    );
    assert_eq!(g.junction_delay_s(1, 2), 4.5);
    assert_eq!(g.junction_delay_s(1, 0), 0.0);
    assert_eq!(g.junction_delay_s(5, 4), 0.0);
    assert!((g.junction_delay_s(5, 5) - 1.8).abs() < 1e-12);
    // A street across a motorway-class road: stop impact 5 − 0 + 3 = 8, × 0.75 = 6 s, the
    // largest delay there is (nearest by time stops its search on that bound).
    let g = graph_classified(
        &[
            (0.0, 0.0),
            (0.001, 0.0),
            (0.002, 0.0),
            (0.001, 0.001),
            (0.001, -0.001),
        ],
        &[
            (0, 1, road, 0),
            (1, 2, road, 0),
            (3, 1, road, 6),
            (1, 4, road, 6),
        ],
    );
    assert_eq!(g.junction_delay_s(1, 2), 6.0);
    assert_eq!(super::graph::MAX_JUNCTION_DELAY_S, 6.0);
}

/// Riding along a street over a footway crossing, and a bend of motor roads, cost nothing;
/// coming off the footway into the street (two motor roads there) is a crossing.
#[test]
fn footway_crossings_and_bends_cost_nothing() {
    let road = ALL | MOTOR;
    // A street W–X–E crossed at X by a footway N–X–S; a bend E–B–C of motor roads.
    let g = graph(
        &[
            (0.0, 0.0),
            (0.001, 0.0),
            (0.002, 0.0),
            (0.001, 0.001),
            (0.001, -0.001),
            (0.002, 0.001),
        ],
        &[
            (0, 1, road),
            (1, 2, road),
            (3, 1, ALL),
            (1, 4, ALL),
            (2, 5, road),
        ],
    );
    assert_eq!(g.junction_delay_s(1, 0), 0.0); // along the street over the crossing
    assert_eq!(g.junction_delay_s(2, 1), 0.0); // the bend
    assert_eq!(g.junction_delay_s(1, 2), 2.25); // off the footway, into the street
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The bounded search settles exactly the nodes within the limit, at the plain
    /// Dijkstra's times.
    #[test]
    fn bounded_search_agrees_with_plain_dijkstra(
        g in arb_grid(), src in 0u32..64, limit in 0.0f64..600.0, ebike in any::<bool>()
    ) {
        let src = src % g.node_count() as u32;
        let mode = if ebike { TravelMode::Ebike } else { TravelMode::Walk };
        let (reference, _) = plain_dijkstra(&g, src, mode, 1.0);
        let mut s = super::search::Search::new(&g, mode, 1.0, limit);
        s.add_source(src, 0.0, 0.0);
        s.run();
        for (node, &want) in reference.iter().enumerate() {
            let got = s.settled(node as u32).map(|x| x.0);
            if want <= limit - 1e-6 {
                let got = got.expect("within the limit");
                prop_assert!((got - want).abs() < 1e-6, "node {node}: {got} vs {want}");
            } else if want > limit + 1e-6 {
                prop_assert!(got.is_none(), "node {node} beyond the limit was settled");
            }
        }
    }

    /// No junction delay exceeds the bound nearest by time stops its search on.
    #[test]
    fn junction_delays_stay_within_their_bound(g in arb_grid()) {
        for s in 0..g.segment_count() as u32 {
            for node in [g.seg_u[s as usize], g.seg_v[s as usize]] {
                let d = g.junction_delay_s(node, s);
                prop_assert!(d <= super::graph::MAX_JUNCTION_DELAY_S, "{d}");
            }
        }
    }

    /// Network coverage and service areas count trips that end at the station: the time a
    /// search toward one station gives a position equals the time of the trip from that
    /// position to the station that nearest by time computes (a forward search, another
    /// code path), one-way streets, junction delays and snapping included.
    #[test]
    fn coverage_times_are_the_times_of_trips_to_the_station(
        g in arb_grid(),
        station in 0u32..64,
        at in proptest::collection::vec((-0.0005f64..0.0065, -0.0005f64..0.0045), 1..8),
        ebike in any::<bool>(),
    ) {
        let n = g.node_count() as u32;
        let mode = if ebike { TravelMode::Ebike } else { TravelMode::Walk };
        let sp = speeds();
        let to = g.node(station % n);
        let reach = NetworkReach::new(&g, &[to], mode, &sp, 1e6, 200.0);
        let opts = NetworkOptions { max_snap_m: 200.0, route: false, speeds: sp };
        for &(x, y) in &at {
            let p = ll(112.97 + x, 28.19 + y);
            let by_reach = reach.time_to(p);
            let by_trip = super::search::trip(&g, p, to, mode, &opts)
                .filter(|h| h.network)
                .map(|h| h.travel_time_s);
            match (by_reach, by_trip) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-6, "{p:?}: {a} vs {b}"),
                (None, None) => {}
                (a, b) => prop_assert!(false, "{p:?}: reach {a:?}, trip {b:?}"),
            }
        }
    }

    /// Nearest by time returns the k quickest stations, as a full Dijkstra to every station
    /// decides (stations and origin on nodes; unsnappable stations by straight line).
    #[test]
    fn nearest_by_time_agrees_with_a_full_search(
        g in arb_grid(),
        origin in 0u32..64,
        at in proptest::collection::vec(0u32..64, 1..12),
        k in 1usize..6,
        ebike in any::<bool>(),
    ) {
        let n = g.node_count() as u32;
        let mode = if ebike { TravelMode::Ebike } else { TravelMode::Walk };
        let sp = speeds();
        let speed = sp.of(mode);
        let from = g.node(origin % n);
        let pts: Vec<ServicePoint> = at.iter().enumerate()
            .map(|(i, &a)| station(&format!("s{i}"), g.node(a % n)))
            .collect();
        let idx = ServiceIndex::new(pts.clone()).unwrap();
        let opts = NetworkOptions { max_snap_m: 1.0, route: false, speeds: sp };
        let got = nearest_by_time(&g, &idx, from, k, &Filter::default(), mode, &opts);
        let Some(osnap) = got.origin_snap else {
            prop_assert!(got.hits.iter().all(|h| !h.network));
            return Ok(());
        };
        prop_assert!(osnap.distance_m < 1e-6);
        let (_, reference) = plain_dijkstra(&g, origin % n, mode, speed);
        let mut want: Vec<f64> = pts.iter().zip(&at).filter_map(|(p, &a)| {
            if g.snap(p.location, mode, SnapRole::Destination, 1.0).is_some() {
                Some(reference[(a % n) as usize]).filter(|t| t.is_finite())
            } else {
                Some(crate::geodesy::geodesic_distance_m(from, p.location) / speed)
            }
        }).collect();
        want.sort_by(f64::total_cmp);
        want.truncate(k);
        let times: Vec<f64> = got.hits.iter().map(|h| h.travel_time_s).collect();
        prop_assert_eq!(times.len(), want.len(), "{:?} vs {:?}", times, want);
        for (a, b) in times.iter().zip(&want) {
            prop_assert!((a - b).abs() < 1e-3, "{:?} vs {:?}", times, want);
        }
    }
}

#[test]
fn positions_snap_to_a_tunnel_only_when_no_surface_road_is_near() {
    use super::graph::TUNNEL;
    // A surface street along the equator and a tunnel 0.0002° (22 m) north of it.
    let g = graph(
        &[(0.0, 0.0), (0.001, 0.0), (0.0, 0.0002), (0.001, 0.0002)],
        &[(0, 1, ALL), (2, 3, ALL | TUNNEL), (1, 3, ALL)],
    );
    // 1 m from the tunnel, 21 m from the street: the street.
    let s = g
        .snap(
            ll(0.0005, 0.00019),
            TravelMode::Walk,
            SnapRole::Origin,
            200.0,
        )
        .unwrap();
    assert_eq!(s.segment, 0);
    assert!((s.distance_m - 0.19 * DY).abs() < 0.01);
    // With a 5 m limit only the tunnel is near enough.
    let s = g
        .snap(ll(0.0005, 0.00019), TravelMode::Walk, SnapRole::Origin, 5.0)
        .unwrap();
    assert_eq!(s.segment, 1);
}

/// The nearest usable segment by a scan of every segment, as [`RoadGraph::snap`] defines it
/// (the ellipsoidal distance to the foot of the perpendicular in the plane; ties to the
/// smaller id; tunnels only when no surface road is within the limit): segment and metres.
fn snap_by_scan(
    g: &RoadGraph,
    p: LonLat,
    mode: TravelMode,
    role: SnapRole,
    max_snap_m: f64,
) -> Option<(u32, f64)> {
    use super::graph::TUNNEL;
    let q = g.proj.forward(p);
    let mut best: [Option<(u32, f64)>; 2] = [None, None];
    for s in 0..g.segment_count() as u32 {
        if !g.snappable(s, mode, role) {
            continue;
        }
        let foot = g.proj.inverse(g.foot_on(s, q).1);
        let d = crate::coverage::grid::local_distance_m(p, foot);
        let slot = &mut best[usize::from(g.seg_flags[s as usize] & TUNNEL != 0)];
        if d <= max_snap_m && slot.is_none_or(|(_, bd)| d < bd) {
            *slot = Some((s, d));
        }
    }
    best[0].or(best[1])
}

#[test]
fn the_scale_floor_bounds_the_ellipsoidal_over_the_plane_distance() {
    // A graph over central Helsinki's latitudes (60.164–60.179°).
    let g = graph(
        &[(24.935, 60.164), (24.953, 60.164), (24.953, 60.179)],
        &[(0, 1, ALL), (1, 2, ALL)],
    );
    let floor = g.snap_scale;
    // The hand figure: the plane's centre is the nodes' mean latitude, 60.169°; the padded
    // range's north end, 60.189°, is 0.02° (3.491e-4 rad) from it, where the parallel's
    // radius N cos φ is smaller by about tan φ · Δφ = 1.7459 × 3.491e-4 = 6.09e-4 (the
    // meridian radius changes by 3e-6 there).
    assert!((floor - (1.0 - 6.09e-4)).abs() < 0.1e-4, "{floor}");
    // Pairs of positions up to 1 km apart whose mid-latitude lies in the padded range.
    let mut rng = 7u64;
    let mut next = || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..10_000 {
        let a = ll(24.93 + 0.03 * next(), 60.155 + 0.033 * next());
        let b = ll(
            a.lon + 0.018 * (next() - 0.5),
            a.lat + 0.009 * (next() - 0.5),
        );
        let (pa, pb) = (g.proj.forward(a), g.proj.forward(b));
        let plane = (pb[0] - pa[0]).hypot(pb[1] - pa[1]);
        let mid = (a.lat + b.lat) / 2.0;
        if plane == 0.0 || !(60.154..=60.189).contains(&mid) {
            continue;
        }
        let ratio = crate::coverage::grid::local_distance_m(a, b) / plane;
        assert!(ratio >= floor, "{ratio} < {floor} at {a:?} {b:?}");
    }
}

#[test]
fn snapped_cells_give_the_times_of_each_position_and_are_kept_per_graph() {
    use crate::coverage::grid::CellGrid;
    use geo::{Coord, Rect};
    let g = river(ALL);
    let area = geo::MultiPolygon(vec![Rect::new(
        Coord {
            x: -0.0005,
            y: -0.0005,
        },
        Coord {
            x: 0.0035,
            y: 0.0015,
        },
    )
    .to_polygon()]);
    let grid = CellGrid::tile(&area, h3o::Resolution::Twelve, 100_000).unwrap();
    assert!(grid.len() > 100, "{}", grid.len());
    let reach = NetworkReach::new(
        &g,
        &[ll(0.0, 0.0), ll(0.0025, 0.001)],
        TravelMode::Walk,
        &speeds(),
        300.0,
        60.0,
    );
    let cold = g.snap_cells(&grid, TravelMode::Walk, 60.0, None).unwrap();
    let warm = g
        .snapped_cells(&grid, TravelMode::Walk, 60.0, None)
        .unwrap();
    let again = g
        .snapped_cells(&grid, TravelMode::Walk, 60.0, None)
        .unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&warm, &again),
        "the second call is a cache hit"
    );
    let mut reached = 0;
    for (i, &p) in grid.centres().iter().enumerate() {
        let want = reach.time_to(p);
        assert_eq!(reach.time_to_cell(&cold, i), want, "cell {i}");
        assert_eq!(reach.time_to_cell(&warm, i), want, "cell {i}");
        reached += usize::from(want.is_some());
    }
    // Some cells are reached, some are not (the north bank's west end is 778 s away).
    assert!(reached > 10 && reached < grid.len(), "{reached}");
    assert!(cold.on_road() < cold.len());
    // Another mode, snap limit or graph: nothing is decided from these snaps.
    let other_mode = g
        .snapped_cells(&grid, TravelMode::Ebike, 60.0, None)
        .unwrap();
    let other_limit = g.snap_cells(&grid, TravelMode::Walk, 50.0, None).unwrap();
    let other_graph = river(ALL)
        .snap_cells(&grid, TravelMode::Walk, 60.0, None)
        .unwrap();
    for s in [&other_mode, &other_limit, &other_graph] {
        assert!((0..grid.len()).all(|i| reach.time_to_cell(s, i).is_none()));
    }
    // A clone holds the same roads: the snaps hold for it (its cache starts empty).
    let clone = g.clone();
    assert_eq!(clone.snap_cache_bytes(), 0);
    assert!(g.snap_cache_bytes() >= 2 * grid.len() * 32);
    let reach2 = NetworkReach::new(
        &clone,
        &[ll(0.0, 0.0), ll(0.0025, 0.001)],
        TravelMode::Walk,
        &speeds(),
        300.0,
        60.0,
    );
    for i in 0..grid.len() {
        assert_eq!(reach2.time_to_cell(&warm, i), reach.time_to_cell(&warm, i));
    }
    // A cancelled snapping gives nothing and keeps nothing.
    let stop = std::sync::atomic::AtomicBool::new(true);
    assert!(g
        .snapped_cells(&grid, TravelMode::Walk, 10.0, Some(&stop))
        .is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Snapping through the segment grid finds the segment a scan of every segment finds,
    /// at the same distance, for snap limits under and over the 1 km of the tight scale
    /// bound.
    #[test]
    fn snapping_agrees_with_a_scan_of_every_segment(
        g in arb_grid(),
        x in -0.003f64..0.009,
        y in -0.003f64..0.007,
        limit in prop::sample::select(vec![5.0, 30.0, 200.0, 1500.0]),
        ebike in any::<bool>(),
        origin in any::<bool>(),
    ) {
        let mode = if ebike { TravelMode::Ebike } else { TravelMode::Walk };
        let role = if origin { SnapRole::Origin } else { SnapRole::Destination };
        let p = ll(112.97 + x, 28.19 + y);
        let got = g.snap(p, mode, role, limit).map(|s| (s.segment, s.distance_m));
        prop_assert_eq!(got, snap_by_scan(&g, p, mode, role, limit));
    }
}
