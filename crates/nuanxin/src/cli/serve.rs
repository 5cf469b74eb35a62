//! `nuanxin serve`: runs the HTTP server.
//!
//! Configuration: defaults ← `nuanxin.toml` (or `--config FILE`) ← `NUANXIN_*` environment
//! ← flags. Service points come from the database (`db_path`); when it holds none, it is
//! seeded from `--data` files (GeoJSON, CSV, XLSX through the importer, or a JSON array of
//! service-point records as the API's model serialises them) or else from the embedded demo
//! data. Prints the URLs on standard output; logs (with a request id per request) go to
//! standard error, filtered by `RUST_LOG` (default `info`). Stops gracefully on SIGTERM or
//! Ctrl-C: in-flight requests finish, new connections are refused.

use super::messages::{text, Msg};
use anyhow::{anyhow, bail, Context};
use nuanxin::crs::Crs;
use nuanxin::index::ServiceIndex;
use nuanxin::model::{LonLat, ServicePoint};
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::Store;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Configuration file (TOML). Default: `nuanxin.toml` in the working directory, if present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Database (suggestions, tokens, edited service points): a SQLite file or
    /// `postgres://user[:password]@host[:port]/database`.
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<PathBuf>,
    /// Service-point file to seed an empty database with (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// Coordinate system of the `--data` files: wgs84, gcj02 or bd09.
    #[arg(long, value_name = "CRS")]
    pub data_crs: Option<Crs>,
    /// Origin allowed by CORS (repeatable; `*` allows any).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Serve no demo points: an empty database is not seeded with the embedded demo data,
    /// and demo points already stored are not served (use `nuanxin import --replace` to
    /// remove them for good).
    #[arg(long)]
    pub no_demo: bool,
    /// Size limits of the `--data` files.
    #[command(flatten)]
    pub limits: super::import::LimitArgs,
    /// Import this OpenStreetMap extract (`.osm.pbf`) as the road graph (stored as
    /// `<db>.roads`, as `nuanxin roads import` does), then serve. Without it the server loads
    /// `<db>.roads` if present, else answers in the straight-line model.
    #[arg(long, value_name = "FILE.osm.pbf")]
    pub roads: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    init_tracing();
    let mut config = Config::load(args.config.as_deref())
        .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?;
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(db) = args.db {
        config.db_path = db;
    }
    if !args.data.is_empty() {
        config.data = args.data;
    }
    if let Some(crs) = args.data_crs {
        config.data_crs = crs;
    }
    if !args.cors_origins.is_empty() {
        config.cors_origins = args.cors_origins;
    }
    if args.no_demo {
        config.demo = false;
    }
    config
        .validate()
        .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?;
    // The basemap must work as configured: a missing archive or key stops the start.
    for warning in nuanxin::server::tiles::preflight(&config)
        .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?
    {
        tracing::warn!("{warning}");
    }
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = config.worker_threads.filter(|n| *n > 0) {
        builder.worker_threads(n);
    }
    let runtime = builder
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(serve(config, args.limits, args.roads));
    // Do not wait for background work still running (the start-up precompression of the
    // web files takes seconds in debug builds): connections are already drained.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    result
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// The road graph to serve: `import` imported (and stored beside the database), else the
/// stored `<db>.roads` if any.
fn road_graph(
    config: &Config,
    import: Option<&std::path::Path>,
    points: &[Arc<ServicePoint>],
) -> anyhow::Result<Option<Arc<nuanxin::routing::RoadGraph>>> {
    let stored = nuanxin::routing::graph_path_for_db(&config.db_path);
    if let Some(file) = import {
        let at: Vec<_> = points.iter().map(|p| p.location).collect();
        let g = super::roads::import_checked(file, &at, nuanxin::routing::DEFAULT_MAX_SNAP_M)?;
        g.save(&stored)?;
        super::roads::import_street_names(file, &stored)?;
        register_streets(&stored);
        let f = g.figures();
        tracing::info!(file = %file.display(), nodes = f.nodes, segments = f.segments, seconds = g.import.elapsed_s, "road graph imported");
        return Ok(Some(Arc::new(g)));
    }
    if !stored.exists() {
        tracing::info!("no road graph ({}): straight-line model", stored.display());
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let g = nuanxin::routing::RoadGraph::load(&stored)?;
    tracing::info!(file = %stored.display(), segments = g.segment_count(), seconds = started.elapsed().as_secs_f64(), "road graph loaded");
    register_streets(&stored);
    Ok(Some(Arc::new(g)))
}

/// Makes the street names stored beside the road graph searchable; a damaged file is
/// logged and skipped (search then finds no streets, nothing else changes).
fn register_streets(graph_file: &std::path::Path) {
    match super::roads::register_street_names(graph_file) {
        Ok(0) => tracing::info!(
            "no street names beside {}: search finds no streets (run `nuanxin roads import` again)",
            graph_file.display()
        ),
        Ok(n) => tracing::info!(streets = n, "street names registered for search"),
        Err(e) => tracing::warn!("street names not loaded: {e:#}"),
    }
}

async fn serve(
    config: Config,
    limits: super::import::LimitArgs,
    roads: Option<PathBuf>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // Bind and check the notification targets before the database is opened and seeded: a
    // port in use or a bad destination must not leave a new database seeded with demo data
    // (issue 15, newcomer finding).
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| {
            let addr = config.listen.to_string();
            let context = if e.kind() == std::io::ErrorKind::AddrInUse {
                text(&Msg::PortInUse(&addr))
            } else {
                text(&Msg::Listening(&addr))
            };
            anyhow::Error::new(e).context(context)
        })?;
    server::notify::targets(&config)
        .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?;
    // Parse the embedded boundaries (the districts, 4 MB of GeoJSON; the country's outline)
    // on a second core while the points are read, rather than after them or in the first
    // request.
    let warm_up = std::thread::Builder::new()
        .name("boundaries".into())
        .spawn(|| {
            nuanxin::districts::Districts::embedded();
            nuanxin::crs::in_mainland_china(LonLat {
                lon: 112.97,
                lat: 28.2,
            });
        });
    let store = Store::open(&config.db_path).with_context(|| {
        text(&Msg::OpeningDatabase(
            &nuanxin::suggestions::Location::redacted(&config.db_path),
        ))
    })?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "start-up: database open"
    );
    // Many servers on one PostgreSQL: listen for point changes before loading the points,
    // so that nothing committed meanwhile is missed (server::point_sync). SQLite: one server.
    let point_sync = match nuanxin::suggestions::Location::of(&config.db_path) {
        nuanxin::suggestions::Location::Postgres(url) => Some(
            server::point_sync::PointSync::connect(nuanxin::suggestions::pg::parse_url(url)?)
                .await
                .context("listening for service-point changes (LISTEN nuanxin_points)")?,
        ),
        nuanxin::suggestions::Location::Sqlite(_) => None,
    };
    let points = load_points(&config, &store, limits)?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        points = points.len(),
        "start-up: service points read"
    );
    let count = points.len();
    let roads = road_graph(&config, roads.as_deref(), &points)?;
    let index = ServiceIndex::from_shared(points).context("building the spatial index")?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "start-up: index built"
    );
    // The live index's spare copy (for edits without stopping readers) is made beside the
    // rest of the start-up, not on its path: the server answers as soon as it is ready, and
    // an edit arriving before the copy exists waits for it (readers never do). Started
    // here, the copy overlaps the rest of the start-up instead of following it.
    let live = Arc::new(nuanxin::index::live::LiveIndex::new(index));
    {
        let live = live.clone();
        let spare = std::thread::Builder::new()
            .name("index-spare".into())
            .spawn(move || {
                let t = std::time::Instant::now();
                live.prepare_spare();
                tracing::info!(
                    seconds = t.elapsed().as_secs_f64(),
                    since_start = started.elapsed().as_secs_f64(),
                    "spare copy of the index made (edits ready)"
                );
            });
        if let Err(e) = spare {
            tracing::warn!("the spare copy is made by the first edit: {e}");
        }
    }
    let open_files = server::listen::raise_open_file_limit();
    let limits = server::listen::ConnectionLimits {
        max_connections: config.max_connections,
        idle_timeout: std::time::Duration::from_secs(config.idle_timeout_s.max(1)),
        write_timeout: std::time::Duration::from_secs(config.write_timeout_s.max(1)),
    }
    .fit_to(open_files);
    tracing::info!(
        open_files = open_files.unwrap_or(0),
        max_connections = limits.max_connections,
        idle_timeout_s = limits.idle_timeout.as_secs(),
        write_timeout_s = limits.write_timeout.as_secs(),
        "connection limits"
    );
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.public_url.is_none() {
        // links name the port actually bound (`--listen 127.0.0.1:0`)
        config.listen = addr;
    }
    // being told (issue 14): changes write outbox rows for the configured destinations;
    // this server's worker delivers them (every server of a cluster runs one)
    let notifier = server::notify::Notifier::new(&config)
        .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?;
    store.set_outbox_targets(
        server::notify::targets(&config)
            .map_err(|e| anyhow!(text(&Msg::ConfigError(&e.to_string()))))?,
    );
    // Commits (point edits, suggestions) never pay for a WAL checkpoint (issue 16: the edit
    // tail); seeding above still checkpointed in its commit.
    if let Err(e) = store.checkpoint_in_background(std::time::Duration::from_secs(1)) {
        tracing::warn!(error = %nuanxin::error::report(&e), "checkpoints stay in the commits");
    }
    let store = Arc::new(store);
    if let Ok(t) = warm_up {
        // Its work is idempotent: if it failed, the state parses the districts again.
        let _ = t.join();
    }
    let state = AppState::with_live_index(config, live)
        .with_store(store.clone())
        .with_roads(roads);
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "start-up: live index ready"
    );
    tracing::info!(
        configured = notifier.is_configured(),
        "outbox delivery worker started"
    );
    tokio::spawn(server::notify::run(
        store,
        Arc::new(notifier),
        state.metrics.clone(),
    ));
    if let Some(sync) = point_sync {
        tokio::spawn(sync.run(state.clone()));
    }
    let app = server::router(state);
    // Compress the embedded web files once, off the request path.
    tokio::task::spawn_blocking(server::web::precompress);

    let shown = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    // Printing is best effort: a closed standard output (a supervisor that read only the
    // first line) must not stop the server.
    let banner = format!(
        "Listening on http://{shown}/\n  暖新地图 Map       http://{shown}/\n  API 文档 docs      http://{shown}/api/docs\n  OGC API Features  http://{shown}/ogc\n  {count} service points; Ctrl-C to stop\n"
    );
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);
    tracing::info!(%addr, points = count, "server started");

    // connect info (the client IP for the suggestion rate limit and supporter dedupe) is
    // added to every request by the accept loop
    server::listen::serve(listener, app, limits, shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// The service points to serve: the database's; when it holds none, the `data` files (or the
/// demo data) stored into it first. If the store does not keep them (no database support),
/// the loaded points are served directly.
fn load_points(
    config: &Config,
    store: &Store,
    limits: super::import::LimitArgs,
) -> anyhow::Result<Vec<Arc<ServicePoint>>> {
    let stored = store
        .service_points_shared()
        .context("reading stored service points")?;
    if !config.demo && stored.iter().any(|p| p.demo) {
        // Filtered in place: a copy of a million records would double the restart's memory.
        let total = stored.len();
        let mut real = stored;
        real.retain(|p| !p.demo);
        tracing::warn!(
            demo = total - real.len(),
            served = real.len(),
            "demo data off: the stored demo points are not served"
        );
        return Ok(real);
    }
    if !stored.is_empty() {
        if !config.data.is_empty() {
            tracing::warn!(
                points = stored.len(),
                "the database already holds service points; `data` files are not imported again"
            );
        }
        return Ok(stored);
    }
    if config.data.is_empty() && !config.demo {
        tracing::warn!("demo data off and no `data` files: serving no service points");
        return Ok(Vec::new());
    } else if config.data.is_empty() {
        let demo = nuanxin::demo::demo_points();
        tracing::info!(points = demo.len(), "seeding with the embedded demo data");
        store
            .replace_service_points(&demo)
            .context("storing the initial service points")?;
    } else {
        // The same path as `nuanxin import --db`: each file streamed record by record into
        // ONE transaction (all files or none), so the seed never holds the points in memory.
        store
            .import_points_streamed(Default::default(), None, |put| {
                for path in &config.data {
                    let n = read_points_file(path, config.data_crs, limits, &mut |p| {
                        put(&p).map_err(Into::into)
                    })?;
                    tracing::info!(file = %path.display(), points = n, "loaded service points");
                }
                anyhow::Ok(())
            })
            .context("storing the initial service points")?;
        tracing::info!("start-up: seed committed");
    }
    // Serve what a restart would load, and nothing more: whatever the seeding allocated
    // goes back to the system before the database is read.
    release_free_memory();
    tracing::info!("start-up: seed memory released; reading the points back");
    store
        .service_points_shared()
        .context("reading stored service points")
}

/// Reads one data file into `sink` (returns how many points it got): a JSON array of
/// service-point records (the model's own serialisation,
/// e.g. a database dump), or any format the importer reads.
fn read_points_file(
    path: &Path,
    crs: Crs,
    limits: super::import::LimitArgs,
    sink: &mut nuanxin::import::PointSink<'_>,
) -> anyhow::Result<usize> {
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        if text.trim_start().starts_with('[') {
            let mut points: Vec<ServicePoint> = serde_json::from_str(&text).with_context(|| {
                format!("{}: not a JSON array of service points", path.display())
            })?;
            for (i, p) in points.iter_mut().enumerate() {
                p.validate()
                    .map_err(|e| anyhow!("{}: record {}: {e}", path.display(), i + 1))?;
                if crs != Crs::Wgs84 {
                    p.location = crs.to_wgs84(p.location);
                    p.entrance = p.entrance.map(|e| crs.to_wgs84(e));
                    if let Some(outline) = &mut p.outline {
                        for ring in outline.iter_mut() {
                            for c in ring.iter_mut() {
                                if let Ok(ll) = LonLat::new(c[0], c[1]) {
                                    let w = crs.to_wgs84(ll);
                                    *c = [w.lon, w.lat];
                                }
                            }
                        }
                    }
                }
            }
            let n = points.len();
            for p in points {
                sink(p)?;
            }
            return Ok(n);
        }
    }
    let options = limits.apply(nuanxin::import::ImportOptions {
        crs,
        ..Default::default()
    });
    match nuanxin::import::import_file_to(path, &options, sink) {
        Ok(report) => Ok(report.accepted),
        Err(nuanxin::import::ImportError::Rejected { issues, .. }) => {
            // List the rows (the importer's message suggests --skip-invalid, which belongs
            // to `nuanxin import`, not to serve).
            use super::messages::{issue, text, Msg};
            let shown = path.display().to_string();
            let mut msg = text(&Msg::DataRejected(&shown));
            msg.push('\n');
            for i in issues.iter().take(50) {
                msg.push_str(&format!("  {}\n", issue(i)));
            }
            if issues.len() > 50 {
                msg.push_str(&text(&Msg::MoreIssues(issues.len() - 50)));
                msg.push('\n');
            }
            msg.push_str(&text(&Msg::CheckWithImport {
                path: &shown,
                crs: crs.as_str(),
            }));
            bail!(msg)
        }
        Err(e) => {
            use super::messages::{import_error, text, Msg};
            let shown = path.display().to_string();
            bail!("{}: {}", text(&Msg::Importing(&shown)), import_error(&e))
        }
    }
}

/// Returns freed heap memory to the operating system (glibc keeps it in its arenas
/// otherwise), so that a server seeded from `--data` holds what a restart would.
fn release_free_memory() {
    nuanxin::memory::release_free_memory();
}
