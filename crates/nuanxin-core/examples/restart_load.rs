//! Restart benchmark (issue 16): reading every service point back from the store, the cost
//! that dominates a restart, from the binary records (what `Store::service_points` does)
//! and, as the baseline, from the JSON texts, alternated in the same run; plus the index
//! bulk load.
//!
//! ```sh
//! cargo run --release -p nuanxin-core --example restart_load -- 1000000 /tmp/restart.db
//! ```
//! Arguments: the number of points to generate when the database holds none (default
//! 200 000; copies of the demo points with new ids and positions), and the database (an
//! SQLite path or a `postgres://` URL; default a temporary SQLite file). Prints the median
//! of 3 rounds of each path, their ratio, the peak RSS and the load average.

// Example code: a failed step ends the run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin_core::demo::demo_points;
use nuanxin_core::index::ServiceIndex;
use nuanxin_core::model::LonLat;
use nuanxin_core::suggestions::Store;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(200_000), |a| a.parse())?;
    let tmp = tempfile::tempdir()?;
    let db = args
        .next()
        .map_or_else(|| tmp.path().join("restart.db"), Into::into);
    let t = Instant::now();
    let store = Store::open(&db)?;
    println!(
        "opened (older rows converted) in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    if store.service_points()?.is_empty() {
        let templates = demo_points();
        let points: Vec<_> = (0..n)
            .map(|i| {
                let mut p = templates[i % templates.len()].clone();
                p.id = format!("bench-{i:07}");
                // A deterministic spread over Hunan's bounding box.
                let u = (i as f64 * 0.618_033_988_75).fract();
                let v = (i as f64 * 0.754_877_666_2).fract();
                p.location = LonLat::new(108.8 + u * 5.3, 24.6 + v * 5.5).expect("in range");
                p
            })
            .collect();
        let t = Instant::now();
        store.upsert_service_points(&points, None)?;
        println!("stored {n} points in {:.2} s", t.elapsed().as_secs_f64());
    }
    let (mut record, mut json) = (Vec::new(), Vec::new());
    let mut count = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let points = store.service_points_from_json()?;
        json.push(t.elapsed().as_secs_f64());
        drop(points);
        let t = Instant::now();
        let points = store.service_points()?;
        record.push(t.elapsed().as_secs_f64());
        count = points.len();
    }
    let points = store.service_points()?;
    let t = Instant::now();
    let index = ServiceIndex::new(points)?;
    let build = t.elapsed().as_secs_f64();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, j) = (median(&mut record), median(&mut json));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let peak = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        .unwrap_or_default();
    println!(
        "{count} points: read from binary records {r:.2} s, from JSON {j:.2} s \
         (JSON / records {:.2}); index bulk load {build:.2} s ({} points); peak RSS {peak}; \
         load average {}",
        j / r,
        index.len(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}
