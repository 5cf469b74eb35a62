//! k = 5 nearest service points over 10 k, 100 k and 1 M points, against a brute-force scan
//! measured in the same run; index build time for 1 M points; bytes per point.
//!
//! Points are uniform over Hunan's bounding box (108.8–114.3° E, 24.6–30.2° N), queries are
//! 1 024 other uniform positions there, cycled; all from fixed seeds. The brute-force baseline
//! computes the same geodesic distance (`geodesic_distance_m`) to every point and keeps the
//! five smallest by (distance, id), exactly what the index answers.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall-clock time:
//! the build machine has two cores shared with other jobs, and wall-clock time there mostly
//! measures how long the thread waited to be scheduled. Cache contention from those jobs still
//! shows, so figures on an idle machine are lower.
//!
//! Two baselines: `scan_geodesic` computes the geodesic distance to every point (the plain
//! brute force); `scan_chord` first compares precomputed unit-vector chords against the bound
//! of the current 5th best and computes geodesic distances only for survivors (the best a linear
//! scan can do with the index's own pruning rule).
//!
//! Run: `cargo bench --bench nearest` (about three minutes on two cores). Bytes per point are
//! printed before the timings; they are measured with a counting global allocator.

// Benchmark code: a failed step ends the run (outside #[test], so clippy.toml's test
// allowances do not reach here); criterion_main! defines an undocumented `main`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{black_box, criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
use nuanxin_core::geodesy::{
    angle_to_chord, distance_between_unit_vectors_m, geodesic_distance_m, unit_vector,
    MIN_METRES_PER_RADIAN,
};
use nuanxin_core::index::{Filter, ServiceIndex};
use nuanxin_core::model::{Amenity, LonLat, ServiceKind, ServicePoint};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::time::Duration;

/// Counts heap bytes (stats_alloc's instrumented system allocator).
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap bytes: allocated minus freed (reallocations are counted in both).
fn live() -> isize {
    let stats = ALLOCATOR.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
fn thread_cpu_time() -> Duration {
    cpu_time::ThreadTime::now().as_duration()
}

/// Criterion measurement: CPU time of the benchmark thread.
struct ThreadCpu;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu_time()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds of CPU time like criterion's wall-clock formatter.
struct CpuFormatter;

impl CpuFormatter {
    fn unit(ns: f64) -> (f64, &'static str) {
        if ns < 1e3 {
            (1.0, "ns cpu")
        } else if ns < 1e6 {
            (1e-3, "µs cpu")
        } else if ns < 1e9 {
            (1e-6, "ms cpu")
        } else {
            (1e-9, "s cpu")
        }
    }
}

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (f, u) = Self::unit(typical);
        values.iter_mut().for_each(|v| *v *= f);
        u
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match t {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => *n,
        } as f64;
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/s cpu"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn random_positions(n: usize, seed: u64) -> Vec<LonLat> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| LonLat::new(rng.random_range(108.8..114.3), rng.random_range(24.6..30.2)).unwrap())
        .collect()
}

/// Points with realistic short ids and names ("s0000042", "驿站 42"); each has drinking water
/// with probability 1/2 and, independently, charging with probability 1/2.
fn service_points(n: usize) -> Vec<ServicePoint> {
    let mut rng = ChaCha8Rng::seed_from_u64(43);
    random_positions(n, 42)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let mut sp = ServicePoint::new(
                format!("s{i:07}"),
                ServiceKind::Station,
                format!("驿站 {i}"),
                p,
            );
            for a in [Amenity::DrinkingWater, Amenity::Charging] {
                if rng.random_bool(0.5) {
                    sp.amenities.insert(a);
                }
            }
            sp
        })
        .collect()
}

/// Linear scan with the index's pruning rule: a point whose chord exceeds the bound of the
/// current 5th best geodesic distance cannot enter the result.
fn scan_chord_k5(xyz: &[[f64; 3]], points: &[ServicePoint], from: LonLat) -> [(f64, usize); 5] {
    let q = unit_vector(from);
    let mut best = [(f64::INFINITY, usize::MAX); 5];
    let mut stop2 = f64::INFINITY;
    for (i, u) in xyz.iter().enumerate() {
        let c2 = (u[0] - q[0]).powi(2) + (u[1] - q[1]).powi(2) + (u[2] - q[2]).powi(2);
        if c2 > stop2 {
            continue;
        }
        let d = distance_between_unit_vectors_m(q, *u, from, points[i].location);
        if (d, i) < best[4] {
            best[4] = (d, i);
            best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            if best[4].0.is_finite() {
                let c = angle_to_chord((best[4].0 + 1e-6) / MIN_METRES_PER_RADIAN) + 1e-12;
                stop2 = c * c;
            }
        }
    }
    best
}

fn brute_force_k5(points: &[ServicePoint], from: LonLat) -> [(f64, usize); 5] {
    let mut best = [(f64::INFINITY, usize::MAX); 5];
    for (i, p) in points.iter().enumerate() {
        let d = geodesic_distance_m(from, p.location);
        // Ids are in index order here, so (distance, index) orders like (distance, id).
        if (d, i) < best[4] {
            best[4] = (d, i);
            best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
    }
    best
}

fn report_memory() {
    let n = 1_000_000;
    let before = live();
    let points = service_points(n);
    let with_points = live();
    let index = ServiceIndex::new(points).unwrap();
    let with_index = live();
    let payload = (with_points - before) as f64 / n as f64;
    let total = (with_index - before) as f64 / n as f64;
    println!(
        "bytes per point (1 M points): {total:.1} in the index, of which {payload:.1} are the \
         ServicePoint records themselves (size_of = {} B plus id/name text) and {:.1} the \
         index structure (R*-tree entries and nodes, id map, Arc headers)",
        std::mem::size_of::<ServicePoint>(),
        total - payload
    );
    drop(index);
}

fn nearest(c: &mut Criterion<ThreadCpu>) {
    let queries = random_positions(1024, 7);
    let filter = Filter::default();
    let mut group = c.benchmark_group("nearest_k5");
    group.throughput(Throughput::Elements(1));
    for &n in &[10_000usize, 100_000, 1_000_000] {
        let points = service_points(n);
        let index = ServiceIndex::new(points.clone()).unwrap();
        let xyz: Vec<[f64; 3]> = points.iter().map(|p| unit_vector(p.location)).collect();
        // Sanity: all three answer the same.
        for q in queries.iter().take(20) {
            let a: Vec<usize> = index
                .nearest(*q, 5, &filter)
                .iter()
                .map(|h| h.point.id[1..].parse().unwrap())
                .collect();
            let b: Vec<usize> = brute_force_k5(&points, *q).iter().map(|x| x.1).collect();
            assert_eq!(a, b, "index and brute force disagree");
            let c: Vec<usize> = scan_chord_k5(&xyz, &points, *q)
                .iter()
                .map(|x| x.1)
                .collect();
            assert_eq!(a, c, "index and chord scan disagree");
        }
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("index", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(index.nearest(queries[i], 5, &filter))
            })
        });
        // "Drinking water and charging": a quarter of the points qualify.
        let water_and_charging = Filter {
            amenities: [Amenity::DrinkingWater, Amenity::Charging]
                .into_iter()
                .collect(),
            ..Filter::default()
        };
        for q in queries.iter().take(20) {
            let hits = index.nearest(*q, 5, &water_and_charging);
            assert_eq!(
                hits.len(),
                5,
                "the filter should leave a quarter of the points"
            );
        }
        group.bench_with_input(BenchmarkId::new("index_filtered_25pct", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(index.nearest(queries[i], 5, &water_and_charging))
            })
        });
        // A filter no point passes: the worst case, a walk over the whole tree.
        let nothing = Filter {
            kinds: vec![ServiceKind::LegalAid],
            ..Filter::default()
        };
        if n <= 100_000 {
            group.bench_with_input(
                BenchmarkId::new("index_filter_matches_none", n),
                &n,
                |b, _| {
                    b.iter(|| {
                        i = (i + 1) % queries.len();
                        black_box(index.nearest(queries[i], 5, &nothing))
                    })
                },
            );
        }
        if n >= 1_000_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("scan_chord", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(scan_chord_k5(&xyz, &points, queries[i]))
            })
        });
        group.bench_with_input(BenchmarkId::new("scan_geodesic", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(brute_force_k5(&points, queries[i]))
            })
        });
    }
    group.finish();
}

fn build(c: &mut Criterion<ThreadCpu>) {
    let points = service_points(1_000_000);
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("bulk_load_1M", |b| {
        b.iter_batched(
            || points.clone(),
            |p| black_box(ServiceIndex::new(p).unwrap()),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .with_measurement(ThreadCpu)
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = nearest, build
}

fn main() {
    report_memory();
    benches();
    Criterion::default()
        .with_measurement(ThreadCpu)
        .configure_from_args()
        .final_summary();
}
