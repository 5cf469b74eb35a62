//! Coverage benchmarks (criterion): Changsha city (430100, ≈ 11 800 km²) at H3 resolution 9,
//! e-bike 5 minutes (r = 1 250 m), with the demo stations or, while the demo data has fewer
//! than 100 stations in Changsha, 272 plausible random stations (fixed seed).
//!
//! Goals (issue 5): coverage of the city ≤ 1 s; greedy proposals k = 10 over all candidate
//! cells ≤ 2 s. Each is reported next to a baseline measured in the same run:
//! - coverage vs the naive rule "ask the index for each cell centre" (`ServiceIndex::within`
//!   per cell), which gives the same answer;
//! - lazy greedy vs plain greedy (re-evaluating every candidate each round) on the same sets.

// Benchmark code: a failed step ends the run (outside #[test], so clippy.toml's test
// allowances do not reach here); criterion_main! defines an undocumented `main`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use nuanxin_core::coverage::analysis::{
    analyze, candidate_sets, Candidates, CoverageOptions, NoProgress,
};
use nuanxin_core::coverage::grid::CellGrid;
use nuanxin_core::coverage::maxcover;
use nuanxin_core::coverage::AreaSpec;
use nuanxin_core::districts::Districts;
use nuanxin_core::index::{Filter, ServiceIndex};
use nuanxin_core::model::{LonLat, ServiceKind, ServicePoint};
use rand::{Rng, SeedableRng};
use std::time::Duration;

const RADIUS_M: f64 = 1250.0; // 15 km/h × 5 min

/// Demo stations in Changsha, or 272 random ones: 75 % within ≈ 15 km of 五一广场 (the urban
/// core, where stations cluster) and 25 % anywhere in the city, all inside its boundary.
fn stations() -> Vec<ServicePoint> {
    let d = Districts::embedded();
    let city = d.get("430100").expect("Changsha");
    let demo: Vec<ServicePoint> = nuanxin_core::demo::demo_points()
        .into_iter()
        .filter(|p| {
            p.kind == ServiceKind::Station
                && geo::Intersects::intersects(&city.geometry, &p.location.to_point())
        })
        .collect();
    if demo.len() >= 100 {
        return demo;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(430_100);
    let b = city.bounds;
    let mut out = Vec::new();
    while out.len() < 272 {
        let p = if out.len() % 4 != 0 {
            LonLat::new(
                112.977 + rng.random_range(-0.15..0.15),
                28.196 + rng.random_range(-0.13..0.13),
            )
        } else {
            LonLat::new(
                rng.random_range(b.min().x..b.max().x),
                rng.random_range(b.min().y..b.max().y),
            )
        }
        .expect("in range");
        if geo::Intersects::intersects(&city.geometry, &p.to_point()) {
            out.push(ServicePoint::new(
                format!("bench-{}", out.len()),
                ServiceKind::Station,
                "驿站",
                p,
            ));
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let index = ServiceIndex::new(stations()).expect("unique ids");
    let districts = Districts::embedded();
    let area = AreaSpec::Adcode("430100".into());
    let mut g = c.benchmark_group("changsha_res9_ebike5");
    g.sample_size(10).measurement_time(Duration::from_secs(20));

    let mut cov = CoverageOptions::new(RADIUS_M);
    cov.gaps = true;
    let report = analyze(&index, districts, &area, &cov, &NoProgress).expect("runs");
    eprintln!(
        "{} stations, {} cells, covered {:.1} km² of {:.1} km² ({:.2} %)",
        index.len(),
        report.summary.cells,
        report.summary.covered_km2,
        report.summary.area_km2,
        report.summary.covered_percent
    );
    g.bench_function("coverage_with_gaps", |b| {
        b.iter(|| analyze(&index, districts, &area, &cov, &NoProgress).expect("runs"))
    });
    let grid = CellGrid::tile(
        &districts.get("430100").expect("city").geometry,
        h3o::Resolution::Nine,
        usize::MAX,
    )
    .expect("tiles");
    g.bench_function("baseline_tiling_only", |b| {
        b.iter(|| {
            CellGrid::tile(
                &districts.get("430100").expect("city").geometry,
                h3o::Resolution::Nine,
                usize::MAX,
            )
            .expect("tiles")
            .len()
        })
    });
    g.bench_function("baseline_index_within_per_cell", |b| {
        b.iter(|| {
            grid.centres()
                .iter()
                .filter(|&&p| !index.within(p, RADIUS_M, &Filter::default()).is_empty())
                .count()
        })
    });

    let mut prop = CoverageOptions::new(RADIUS_M);
    prop.gaps = false;
    prop.propose = 10;
    prop.candidates = Candidates::All;
    g.bench_function("proposals_k10_all_cells", |b| {
        b.iter(|| analyze(&index, districts, &area, &prop, &NoProgress).expect("runs"))
    });
    // Lazy vs plain greedy on the same precomputed sets.
    let n = grid.len();
    let mut covered = vec![false; n];
    let mut buf = Vec::new();
    for p in index.all_sorted() {
        buf.clear();
        grid.cells_within(p.location, RADIUS_M, &mut buf);
        for &i in &buf {
            covered[i as usize] = true;
        }
    }
    let sets = candidate_sets(
        &grid,
        grid.centres(),
        RADIUS_M,
        &covered,
        grid.areas_km2(),
        None,
        &NoProgress,
    );
    g.bench_function("greedy_lazy_k10", |b| {
        b.iter(|| {
            let mut cv = covered.clone();
            maxcover::greedy(&sets, grid.areas_km2(), &mut cv, 10).len()
        })
    });
    g.bench_function("baseline_greedy_plain_k10", |b| {
        b.iter(|| {
            let mut cv = covered.clone();
            maxcover::greedy_plain(&sets, grid.areas_km2(), &mut cv, 10).len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
