//! `nuanxin demo`: regenerate the demo dataset (fixed seed, reproducible byte for byte).

use super::messages::{text as msg, Msg};
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
        anyhow::ensure!(text == DEMO_GEOJSON, msg(&Msg::DemoDiffers(args.seed)));
        println!("{}", msg(&Msg::DemoOk { n, seed: args.seed }));
        return Ok(());
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| msg(&Msg::CannotWrite(&dir.display().to_string())))?;
    }
    std::fs::write(&args.out, &text)
        .with_context(|| msg(&Msg::Writing(&args.out.display().to_string())))?;
    println!(
        "{}",
        msg(&Msg::DemoWrote {
            n,
            seed: args.seed,
            path: &args.out.display().to_string(),
        })
    );
    Ok(())
}
