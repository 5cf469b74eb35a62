//! `nuanxin serve` — MINIMAL placeholder written on the `suggest` branch only to run the
//! durability trials (scripts/durability.sh) before the server helper's `serve` lands;
//! the server helper's version replaces this file on merge.

use anyhow::{anyhow, Context};
use nuanxin::index::ServiceIndex;
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::Store;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// SQLite database file.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut config =
        Config::load(args.config.as_deref()).map_err(|e| anyhow!("configuration error: {e}"))?;
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(db) = args.db {
        config.db_path = db;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let store = Store::open(&config.db_path)
            .with_context(|| format!("opening {}", config.db_path.display()))?;
        let mut points = store.service_points()?;
        if points.is_empty() {
            points = nuanxin::demo::demo_points();
            store.replace_service_points(&points)?;
        }
        let index = ServiceIndex::new(points)?;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let mut state = AppState::new(config, index);
        state.store = Some(Arc::new(store));
        let app = server::router(state);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Listening on http://{addr}/").and_then(|()| out.flush());
        drop(out);
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await?;
        Ok(())
    })
}
