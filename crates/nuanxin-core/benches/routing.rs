//! Routing on the real central-Helsinki extract (ODbL, `tests/fixtures/osm/`): PBF import,
//! nearest by travel time (k = 5) against the straight-line index query in the same run, and
//! one 5-minute walking service area (search + grid outline) against the method it replaced,
//! buffering and unioning the same reached pieces with geo's `Buffer` (the baseline, same
//! run). `cargo bench --bench routing`.

// Benchmark code: a failed step ends the run (outside #[test], so clippy.toml's test
// allowances do not reach here); criterion_main! defines an undocumented `main`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use geo::algorithm::buffer::{BufferStyle, LineCap, LineJoin};
use geo::{Buffer, LineString, MultiLineString};
use nuanxin_core::coverage::NoProgress;
use nuanxin_core::index::{Filter, ServiceIndex};
use nuanxin_core::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin_core::routing::{
    import_pbf, nearest_by_time, reached_pieces, service_area, NetworkOptions, WALK_OFF_M,
};
use nuanxin_core::travel::{Speeds, TravelMode};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::path::PathBuf;

fn pbf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/osm/helsinki_center.osm.pbf")
}

/// Uniform positions over the extract's bounding box (24.9352–24.9534 E, 60.1642–60.1791 N).
fn positions(n: usize, seed: u64) -> Vec<LonLat> {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| LonLat {
            lon: r.random_range(24.9352..24.9534),
            lat: r.random_range(60.1642..60.1791),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    c.bench_function("import helsinki_center.osm.pbf", |b| {
        b.iter(|| black_box(import_pbf(&pbf(), &NoProgress).unwrap()))
    });
    let g = import_pbf(&pbf(), &NoProgress).unwrap();
    // 100 stations (about one per 3 ha, denser than Changsha's red homes).
    let stations: Vec<ServicePoint> = positions(100, 1)
        .into_iter()
        .enumerate()
        .map(|(i, p)| ServicePoint::new(format!("s{i}"), ServiceKind::Station, "s", p))
        .collect();
    let index = ServiceIndex::new(stations).unwrap();
    let origins = positions(1024, 2);
    let opts = NetworkOptions::default();
    let mut i = 0;
    c.bench_function("nearest by time k=5 walk", |b| {
        b.iter(|| {
            i = (i + 1) % origins.len();
            black_box(nearest_by_time(
                &g,
                &index,
                origins[i],
                5,
                &Filter::default(),
                TravelMode::Walk,
                &opts,
            ))
        })
    });
    c.bench_function("nearest straight line k=5 (baseline)", |b| {
        b.iter(|| {
            i = (i + 1) % origins.len();
            black_box(index.nearest(origins[i], 5, &Filter::default()))
        })
    });
    let speeds = Speeds::default();
    c.bench_function(
        "service area walk 5 min (baseline: buffer and union)",
        |b| {
            b.iter(|| {
                i = (i + 1) % origins.len();
                let Some((_, pieces)) =
                    reached_pieces(&g, origins[i], TravelMode::Walk, &speeds, 5.0, 200.0)
                else {
                    return;
                };
                let lines = MultiLineString(
                    pieces
                        .iter()
                        .map(|p| LineString(vec![p[0], p[1]]))
                        .collect(),
                );
                let style = BufferStyle::new(WALK_OFF_M)
                    .line_cap(LineCap::Round(0.4))
                    .line_join(LineJoin::Round(0.4));
                black_box(lines.buffer_with_style(style));
            })
        },
    );
    c.bench_function("service area walk 5 min", |b| {
        b.iter(|| {
            i = (i + 1) % origins.len();
            black_box(service_area(
                &g,
                origins[i],
                TravelMode::Walk,
                &speeds,
                5.0,
                200.0,
            ))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
