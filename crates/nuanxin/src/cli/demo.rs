//! `nuanxin demo`: regenerate the demo dataset (fixed seed, reproducible byte for byte).

use anyhow::Context;
use nuanxin::demo::{generate_geojson, DEMO_GEOJSON, DEMO_PATH, DEMO_SEED};
use std::path::PathBuf;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed of the ChaCha8 generator; the shipped file uses the default.
    #[arg(long, default_value_t = DEMO_SEED)]
    seed: u64,
    /// Where to write the GeoJSON.
    #[arg(long, default_value = DEMO_PATH)]
    out: PathBuf,
    /// Only check that the embedded dataset equals a fresh generation; write nothing.
    #[arg(long)]
    check: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let text = generate_geojson(args.seed);
    let n = text
        .lines()
        .filter(|l| l.starts_with("{\"geometry\""))
        .count();
    if args.check {
        anyhow::ensure!(
            text == DEMO_GEOJSON,
            "the embedded demo dataset differs from a fresh generation with seed {}",
            args.seed
        );
        println!("demo dataset OK: {n} points, seed {}", args.seed);
        return Ok(());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {n} demo points (seed {}) to {}",
        args.seed,
        args.out.display()
    );
    Ok(())
}
