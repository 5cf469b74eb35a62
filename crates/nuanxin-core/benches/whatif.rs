//! What-if siting (criterion): one station moved in a district at H3 resolution 9, e-bike
//! 5 minutes (r = 1 250 m), builtup demand, the demo stations — incremental update
//! ([`WhatIf::move_to`] plus re-dissolving the changed district's gaps, which is what
//! `POST /api/v1/whatif/{session}` does) against the full recomputation it replaces
//! ([`analyze`] with gaps), in the same run. Goal (issue 11): ≤ 200 ms per change for a
//! district at resolution 9.

// Benchmark code: a failed step ends the run (outside #[test], so clippy.toml's test
// allowances do not reach here); criterion_main! defines an undocumented `main`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use nuanxin_core::coverage::analysis::{analyze, CoverageOptions, NoProgress};
use nuanxin_core::coverage::demand::DemandLayer;
use nuanxin_core::coverage::whatif::WhatIf;
use nuanxin_core::coverage::AreaSpec;
use nuanxin_core::districts::Districts;
use nuanxin_core::index::ServiceIndex;
use nuanxin_core::model::{LonLat, ServiceKind};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let districts = Districts::embedded();
    let stations: Vec<_> = nuanxin_core::demo::demo_points()
        .into_iter()
        .filter(|p| p.kind == ServiceKind::Station)
        .collect();
    let index = ServiceIndex::new(stations).expect("index");
    let mut g = c.benchmark_group("whatif");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    // 芙蓉区 (44 km²), 岳麓区 (544 km²), 浏阳市 (4 999 km², the largest county of Changsha).
    for adcode in ["430102", "430104", "430181"] {
        let area = AreaSpec::Adcode(adcode.into());
        let mut options = CoverageOptions::new(1250.0);
        options.demand_layer = Some(DemandLayer::Builtup);
        let d = districts.get(adcode).expect("district");
        let b = d.bounds;
        let centre = LonLat {
            lon: (b.min().x + b.max().x) / 2.0,
            lat: (b.min().y + b.max().y) / 2.0,
        };
        let mut w = WhatIf::new(&index, districts, &area, &options).expect("session");
        w.add("bench", centre).expect("add");
        let cells = w.cells();
        let mut k = 0u32;
        g.bench_function(
            format!("{adcode} incremental move + gaps ({cells} cells)"),
            |bch| {
                bch.iter(|| {
                    k += 1;
                    let p = LonLat {
                        lon: centre.lon + 0.002 * f64::from(k % 7),
                        lat: centre.lat + 0.002 * f64::from(k % 5),
                    };
                    let ch = w.move_to("bench", p).expect("move");
                    w.gaps(Some(&ch.rows_changed)).expect("gaps")
                })
            },
        );
        g.bench_function(
            format!("{adcode} full analysis with gaps ({cells} cells)"),
            |bch| {
                bch.iter(|| {
                    analyze(&index, districts, &area, &options, &NoProgress).expect("analysis")
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
