//! Release timings of the road engine (issue 17) for the bench scripts, each printed as one
//! JSON line. Built and run in release by `scripts/bench-valhalla.sh` and
//! `scripts/bench-pgrouting.sh`:
//!
//! ```sh
//! cargo run --release -p nuanxin-core --example routing_bench -- nearest tests/fixtures/osm/helsinki_center.osm.pbf
//! cargo run --release -p nuanxin-core --example routing_bench -- reach PBF STATIONS.geojson W,S,E,N RES MINUTES OUT.csv
//! ```
//!
//! - `nearest PBF`: nearest by travel time, k = 5, walking, from 1 024 random origins over
//!   the extract's bounding box to 100 random stations (the set-up of `benches/routing.rs`);
//!   each query timed alone: `NEAREST_BY_TIME {"p50_ms", "p95_ms", "mean_ms", ...}`, with the
//!   straight-line index query (`nearest`) timed the same way as the baseline.
//! - `isochrone PBF [ORACLE.json]`: one 5-minute walking service area from each origin of
//!   Valhalla's isochrones in the oracle (`scripts/valhalla_oracle.py`; without it, 200
//!   random origins within 200 m of a road), as the API answers it: [`service_area`] (search
//!   and outline) and the polygon's GeoJSON text; each call timed alone (wall, after a warm-up
//!   pass), then 100 rounds for the mean CPU time per call (`/proc/self/stat`), and the search
//!   alone ([`reached_pieces`]): `SERVICE_AREA {"p50_ms", "cpu_mean_ms", "search_p50_ms", ...}`.
//! - `reach PBF STATIONS BBOX RES MINUTES OUT`: network coverage of the H3 cells of resolution
//!   `RES` whose centre lies in `BBOX` by walking from every station of the GeoJSON file
//!   (one multi-source search, then each cell centre's off-road leg, as
//!   [`nuanxin_core::coverage::analyze`] does with the network model): the cells go to `OUT`
//!   as CSV (`h3,lon,lat,reached,time_s`). Timed *cold* (the search, the cell centres
//!   snapped for the run, each cell decided: what the first analysis of an area costs) and
//!   *warm* (the snapped centres from the graph's cache, as every later analysis of the same
//!   cells gets them): the median wall time of 21 runs and the mean CPU time of 300 runs of
//!   each, the mean CPU time of the search alone, and the median wall time of enumerating
//!   the cells (H3 tiling, centres, areas), which an analysis does before either
//!   (`NETWORK_REACH {...}`). The cold, warm and per-position ([`NetworkReach::time_to`])
//!   times are checked to be identical first.
//!
//! The load average is printed with each figure: the machine is shared.

use geo::{Coord, MultiPolygon, Rect};
use h3o::Resolution;
use nuanxin_core::coverage::grid::CellGrid;
use nuanxin_core::coverage::NoProgress;
use nuanxin_core::index::{Filter, ServiceIndex};
use nuanxin_core::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin_core::routing::area::band_outline;
use nuanxin_core::routing::{
    import_pbf, nearest_by_time, reached_pieces, service_area, NetworkOptions, NetworkReach,
    RoadGraph, SnapRole, SnappedCells, FILL_HOLES_M2, SERVICE_AREA_CELL_M, WALK_OFF_M,
};
use nuanxin_core::travel::{Speeds, TravelMode};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("nearest") if args.len() == 2 => nearest(Path::new(&args[1])),
        Some("reach") if args.len() == 7 => reach(&args[1..]),
        Some("isochrone") if (2..=3).contains(&args.len()) => {
            isochrone(Path::new(&args[1]), args.get(2).map(Path::new))
        }
        _ => Err("usage: routing_bench nearest PBF | isochrone PBF [ORACLE.json] | reach PBF STATIONS.geojson W,S,E,N RES MINUTES OUT.csv".into()),
    }
}

/// The 1-minute load average, from `/proc/loadavg` (`None` elsewhere).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The `q`-quantile (0..=1) of `xs` by the nearest-rank method (`xs` sorted).
fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// A generator of uniform random positions over the bounding box of `g`'s nodes.
fn random_positions(g: &RoadGraph, seed: u64) -> impl FnMut(usize) -> Res<Vec<LonLat>> {
    let (mut w, mut s, mut e, mut n) = (180.0_f64, 90.0_f64, -180.0_f64, -90.0_f64);
    for i in 0..g.node_count() as u32 {
        let p = g.node(i);
        (w, s, e, n) = (w.min(p.lon), s.min(p.lat), e.max(p.lon), n.max(p.lat));
    }
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    move |k: usize| -> Res<Vec<LonLat>> {
        (0..k)
            .map(|_| Ok(LonLat::new(r.random_range(w..e), r.random_range(s..n))?))
            .collect()
    }
}

/// Wall time of `f` on each of `xs` (one warm-up pass first), milliseconds, sorted.
fn time_each(xs: &[LonLat], f: &dyn Fn(LonLat)) -> Vec<f64> {
    xs.iter().for_each(|&o| f(o));
    let mut t: Vec<f64> = xs
        .iter()
        .map(|&o| {
            let started = Instant::now();
            f(o);
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t
}

/// CPU time of this process so far (user + system), seconds, from `/proc/self/stat` (in
/// clock ticks of 10 ms, Linux's `USER_HZ`); `None` elsewhere.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn isochrone(pbf: &Path, oracle: Option<&Path>) -> Res<()> {
    let g = import_pbf(pbf, &NoProgress)?;
    let mut speeds = Speeds::default();
    let origins: Vec<LonLat> = match oracle {
        // The origins (and walking speed) of Valhalla's isochrones in the oracle.
        Some(path) => {
            let o: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
            if let Some(kmh) = o["walk_speed_kmh"].as_f64() {
                speeds.walk_m_per_s = kmh / 3.6;
            }
            o["isochrones"]
                .as_array()
                .ok_or("the oracle has no isochrones")?
                .iter()
                .filter_map(|i| {
                    let c = i["origin"].as_array()?;
                    LonLat::new(c.first()?.as_f64()?, c.get(1)?.as_f64()?).ok()
                })
                .collect()
        }
        None => random_positions(&g, 3)(1000)?
            .into_iter()
            .filter(|&o| {
                g.snap(o, TravelMode::Walk, SnapRole::Origin, 200.0)
                    .is_some()
            })
            .take(200)
            .collect(),
    };
    // The whole answer, as the API gives it: the area and its GeoJSON text (written into a
    // buffer reused from call to call, as the server writes a response's areas).
    let text = std::cell::RefCell::new(Vec::<u8>::new());
    let whole = |o: LonLat| -> usize {
        service_area(&g, o, TravelMode::Walk, &speeds, 5.0, 200.0).map_or(0, |a| {
            let mut out = text.borrow_mut();
            out.clear();
            nuanxin_core::geojson_out::write_multipolygon_geometry(
                &a.polygon,
                nuanxin_core::geojson_out::DEFAULT_DECIMALS,
                &mut out,
            );
            out.len()
        })
    };
    let search = time_each(&origins, &|o| {
        black_box(reached_pieces(&g, o, TravelMode::Walk, &speeds, 5.0, 200.0));
    });
    let wall = time_each(&origins, &|o| {
        black_box(whole(o));
    });
    // The outline alone, on each origin's pieces.
    let pieces_of: Vec<_> = origins
        .iter()
        .filter_map(|&o| reached_pieces(&g, o, TravelMode::Walk, &speeds, 5.0, 200.0))
        .map(|(_, p)| p)
        .collect();
    let mut outline: Vec<f64> = pieces_of
        .iter()
        .map(|p| {
            let started = Instant::now();
            black_box(band_outline(
                p,
                WALK_OFF_M,
                SERVICE_AREA_CELL_M,
                FILL_HOLES_M2,
            ));
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    outline.sort_by(f64::total_cmp);
    // CPU time per call, the mean over enough rounds for the 10 ms clock ticks.
    let rounds = 100;
    let (c0, t0) = (process_cpu_s(), Instant::now());
    for _ in 0..rounds {
        for &o in &origins {
            black_box(whole(o));
        }
    }
    let calls = (rounds * origins.len()).max(1) as f64;
    let cpu_ms = match (c0, process_cpu_s()) {
        (Some(a), Some(b)) => Some((b - a) * 1e3 / calls),
        _ => None,
    };
    let pieces: Vec<f64> = origins
        .iter()
        .filter_map(|&o| service_area(&g, o, TravelMode::Walk, &speeds, 5.0, 200.0))
        .map(|a| a.reached_pieces as f64)
        .collect();
    println!(
        "SERVICE_AREA {}",
        serde_json::json!({
            "origins": origins.len(),
            "minutes": 5,
            "p50_ms": quantile(&wall, 0.5),
            "p95_ms": quantile(&wall, 0.95),
            "cpu_mean_ms": cpu_ms,
            "wall_mean_ms": t0.elapsed().as_secs_f64() * 1e3 / calls,
            "search_p50_ms": quantile(&search, 0.5),
            "outline_p50_ms": quantile(&outline, 0.5),
            "mean_reached_pieces": pieces.iter().sum::<f64>() / pieces.len().max(1) as f64,
            "load_average": load_average(),
        })
    );
    Ok(())
}

fn nearest(pbf: &Path) -> Res<()> {
    let g = import_pbf(pbf, &NoProgress)?;
    let mut random = random_positions(&g, 1);
    let stations: Vec<ServicePoint> = random(100)?
        .into_iter()
        .enumerate()
        .map(|(i, p)| ServicePoint::new(format!("s{i}"), ServiceKind::Station, "s", p))
        .collect();
    let index = ServiceIndex::new(stations)?;
    let origins = random(1024)?;
    let opts = NetworkOptions::default();
    let filter = Filter::default();
    let by_time = time_each(&origins, &|o| {
        black_box(nearest_by_time(
            &g,
            &index,
            o,
            5,
            &filter,
            TravelMode::Walk,
            &opts,
        ));
    });
    let straight = time_each(&origins, &|o| {
        black_box(index.nearest(o, 5, &filter));
    });
    let mean = by_time.iter().sum::<f64>() / by_time.len() as f64;
    println!(
        "NEAREST_BY_TIME {}",
        serde_json::json!({
            "queries": by_time.len(),
            "k": 5,
            "stations": 100,
            "p50_ms": quantile(&by_time, 0.5),
            "p95_ms": quantile(&by_time, 0.95),
            "mean_ms": mean,
            "straight_line_p50_ms": quantile(&straight, 0.5),
            "load_average": load_average(),
        })
    );
    Ok(())
}

fn reach(a: &[String]) -> Res<()> {
    let g = import_pbf(Path::new(&a[0]), &NoProgress)?;
    let fc: geojson::FeatureCollection = std::fs::read_to_string(&a[1])?.parse()?;
    let stations: Vec<LonLat> = fc
        .features
        .iter()
        .filter_map(|f| match f.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::Point(c)) if c.len() >= 2 => LonLat::new(c[0], c[1]).ok(),
            _ => None,
        })
        .collect();
    let b: Vec<f64> = a[2].split(',').map(str::parse).collect::<Result<_, _>>()?;
    let [w, s, e, n] = b[..] else {
        return Err("BBOX is W,S,E,N".into());
    };
    let resolution = Resolution::try_from(a[3].parse::<u8>()?)?;
    let minutes: f64 = a[4].parse()?;
    let area = MultiPolygon(vec![
        Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }).to_polygon()
    ]);
    let tile = || CellGrid::tile(&area, resolution, 1_000_000);
    let grid = tile()?;
    let speeds = Speeds::default();
    let limit_s = minutes * 60.0;
    let max_snap_m = NetworkOptions::default().max_snap_m;
    let search = || {
        NetworkReach::new(
            &g,
            &stations,
            TravelMode::Walk,
            &speeds,
            limit_s,
            max_snap_m,
        )
    };
    // Cold: the cell centres snapped for this run (no cache); warm: from the graph's cache,
    // as a second analysis of the same cells gets them.
    let decide = |reach: &NetworkReach<'_>, snapped: &SnappedCells| -> Vec<Option<f64>> {
        (0..snapped.len())
            .map(|i| reach.time_to_cell(snapped, i))
            .collect()
    };
    let cold = || -> Res<Vec<Option<f64>>> {
        let reach = search();
        let snapped = g
            .snap_cells(&grid, TravelMode::Walk, max_snap_m, None)
            .ok_or("cancelled")?;
        Ok(decide(&reach, &snapped))
    };
    let warm = || -> Res<Vec<Option<f64>>> {
        let reach = search();
        let snapped = g
            .snapped_cells(&grid, TravelMode::Walk, max_snap_m, None)
            .ok_or("cancelled")?;
        Ok(decide(&reach, &snapped))
    };
    // The three ways give the same times: each centre snapped alone, cold and warm.
    let times: Vec<Option<f64>> = {
        let reach = search();
        grid.centres().iter().map(|&p| reach.time_to(p)).collect()
    };
    if cold()? != times || warm()? != times {
        return Err("cold, warm and per-position network reach differ".into());
    }
    let median_wall = |f: &dyn Fn() -> Res<Vec<Option<f64>>>| -> Res<f64> {
        let mut walls = Vec::new();
        for _ in 0..21 {
            let started = Instant::now();
            black_box(f()?);
            walls.push(started.elapsed().as_secs_f64() * 1e3);
        }
        walls.sort_by(f64::total_cmp);
        Ok(quantile(&walls, 0.5))
    };
    let (cold_ms, warm_ms) = (median_wall(&cold)?, median_wall(&warm)?);
    // CPU time per run, the mean over enough runs for the 10 ms clock ticks: cold, warm, and
    // the search alone (without the cells).
    let rounds = 300;
    let per_run = |a: Option<f64>, b: Option<f64>| Some((b? - a?) * 1e3 / f64::from(rounds));
    let c0 = process_cpu_s();
    for _ in 0..rounds {
        black_box(cold()?);
    }
    let c1 = process_cpu_s();
    for _ in 0..rounds {
        black_box(warm()?);
    }
    let c2 = process_cpu_s();
    for _ in 0..rounds {
        black_box(search());
    }
    let (cpu_ms, warm_cpu_ms, search_cpu_ms) = (
        per_run(c0, c1),
        per_run(c1, c2),
        per_run(c2, process_cpu_s()),
    );
    // Enumerating the cells (H3 tiling, centres, cell areas, the centres' R-tree), done once
    // per analysis before either.
    let mut tiles: Vec<f64> = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        black_box(tile()?);
        tiles.push(started.elapsed().as_secs_f64() * 1e3);
    }
    tiles.sort_by(f64::total_cmp);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&a[5])?);
    writeln!(out, "h3,lon,lat,reached,time_s")?;
    for ((cell, p), t) in grid.cells().iter().zip(grid.centres()).zip(&times) {
        writeln!(
            out,
            "{cell},{:.7},{:.7},{},{}",
            p.lon,
            p.lat,
            u8::from(t.is_some()),
            t.map_or(String::new(), |t| format!("{t:.2}"))
        )?;
    }
    out.flush()?;
    println!(
        "NETWORK_REACH {}",
        serde_json::json!({
            "stations": stations.len(),
            "cells": grid.len(),
            "reached": times.iter().filter(|t| t.is_some()).count(),
            "resolution": u8::from(resolution),
            "minutes": minutes,
            "walk_speed_m_per_s": speeds.walk_m_per_s,
            "median_ms": cold_ms,
            "warm_median_ms": warm_ms,
            "cpu_mean_ms": cpu_ms,
            "warm_cpu_mean_ms": warm_cpu_ms,
            "search_cpu_mean_ms": search_cpu_ms,
            "tile_median_ms": quantile(&tiles, 0.5),
            "snap_cache_bytes": g.snap_cache_bytes(),
            "reached_nodes": search().reached_nodes(),
            "runs": 21,
            "load_average": load_average(),
        })
    );
    Ok(())
}
