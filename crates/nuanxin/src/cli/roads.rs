//! `nuanxin roads`: import an OpenStreetMap extract as the road graph that travel times along
//! roads use (`nearest --by time`, `coverage --model network`, the server's `by=time`).
//!
//! ```text
//! nuanxin roads import tests/fixtures/osm/helsinki_center.osm.pbf --db helsinki.db
//! nuanxin roads info --db helsinki.db
//! ```

use super::messages::{text, Msg};
use anyhow::Context;
use nuanxin::routing::{self, GraphFigures, RoadGraph};
use std::path::{Path, PathBuf};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Import an OpenStreetMap PBF extract (e.g. Geofabrik's hunan-latest.osm.pbf) as the road
    /// graph of a database; it is stored beside it as `<db>.roads`, and its street names, for
    /// place search, as `<db>.roads.streets`.
    Import(ImportArgs),
    /// Print the figures of a database's road graph.
    Info(InfoArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The extract, `.osm.pbf`.
    file: PathBuf,
    /// The database whose service points the roads must cover (the graph is written to
    /// `<db>.roads`; the previous graph stays if the import fails).
    #[arg(long)]
    db: PathBuf,
    /// Largest distance from a service point to a road for it to count as covered, metres.
    #[arg(long, default_value_t = routing::DEFAULT_MAX_SNAP_M)]
    max_snap_m: f64,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct InfoArgs {
    /// The database (its graph is `<db>.roads`).
    #[arg(long)]
    db: PathBuf,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        Command::Import(a) => {
            let (points, _) = super::points::load(Some(&a.db), None, Default::default())?;
            let at: Vec<_> = points.iter().map(|p| p.location).collect();
            let graph = import_checked(&a.file, &at, a.max_snap_m)?;
            let out = routing::graph_path_for_db(&a.db);
            graph.save(&out).map_err(routing_error)?;
            let streets = import_street_names(&a.file, &out)?;
            if !a.json {
                println!("{}", text(&Msg::StreetNames(streets)));
            }
            print_figures(&graph, &graph.figures(), a.json, Some(&out))
        }
        Command::Info(a) => {
            let graph = load_graph(Some(&a.db), None)?;
            print_figures(&graph, &graph.figures(), a.json, None)
        }
    }
}

/// Imports `file` with a progress bar and checks that it covers at least one of `points`.
///
/// # Errors
/// The import's errors ([`routing::RoutingError`]), naming the file and the reason.
pub fn import_checked(
    file: &Path,
    points: &[nuanxin::model::LonLat],
    max_snap_m: f64,
) -> anyhow::Result<RoadGraph> {
    let progress = super::coverage::Bar::new();
    let graph = routing::import_pbf(file, &progress);
    progress.0.finish_and_clear();
    let graph = graph.map_err(routing_error)?;
    routing::covers_any(&graph, points, max_snap_m)?;
    Ok(graph)
}

/// A road-graph error as the command reports it: a file that cannot be read or written in
/// the language in force ([`super::files`]); the others as the library words them (Chinese
/// then English), with their cause.
fn routing_error(e: routing::RoutingError) -> anyhow::Error {
    match e {
        routing::RoutingError::File(f) => super::files::error(&f),
        other => other.into(),
    }
}

/// Reads the street names of the extract `file` and stores them beside the road graph
/// `graph_file` (`<graph>.streets`, [`nuanxin::street_names`]) for place search; returns
/// how many distinct names it holds.
///
/// # Errors
/// The extract cannot be read, or the file cannot be written.
pub fn import_street_names(file: &Path, graph_file: &Path) -> anyhow::Result<usize> {
    use nuanxin::street_names::{self, StreetNamesError};
    let file_error = |e: StreetNamesError| match e {
        StreetNamesError::File(f) => super::files::error(&f),
        other => other.into(),
    };
    let streets = street_names::read_pbf(file).map_err(file_error)?;
    street_names::save(&streets, &street_names::path_for_graph(graph_file)).map_err(file_error)?;
    Ok(streets.len())
}

/// Registers the street names stored beside the road graph `graph_file`, if any, with place
/// search ([`nuanxin::search::set_streets`]); returns how many.
///
/// # Errors
/// The file exists but cannot be read.
pub fn register_street_names(graph_file: &Path) -> anyhow::Result<usize> {
    let path = nuanxin::street_names::path_for_graph(graph_file);
    if !path.exists() {
        return Ok(0);
    }
    let streets = nuanxin::street_names::load(&path)?;
    let n = streets.len();
    nuanxin::search::set_streets(nuanxin::search::Gazetteer::new(streets));
    Ok(n)
}

/// Loads the road graph at `roads`, else the one beside the database `db`.
///
/// # Errors
/// When neither is given, or the file is missing or damaged; the message says how to make one.
pub fn load_graph(db: Option<&Path>, roads: Option<&Path>) -> anyhow::Result<RoadGraph> {
    let path = match (roads, db) {
        (Some(r), _) => r.to_path_buf(),
        (None, Some(db)) => routing::graph_path_for_db(db),
        (None, None) => return Err(super::usage(text(&Msg::NeedRoadGraph))),
    };
    if !path.exists() {
        anyhow::bail!(text(&Msg::NoRoadGraph(&path.display().to_string())));
    }
    RoadGraph::load(&path)
        .map_err(routing_error)
        .with_context(|| text(&Msg::LoadingRoadGraph(&path.display().to_string())))
}

fn print_figures(
    g: &RoadGraph,
    f: &GraphFigures,
    json: bool,
    written: Option<&Path>,
) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "import": g.import,
                "graph": f,
                "file": written.map(|p| p.display().to_string()),
            }))?
        );
        return Ok(());
    }
    let i = &g.import;
    println!("{}", text(&Msg::RoadsFrom(&i.source.to_string())));
    println!(
        "{}",
        text(&Msg::RoadsWays {
            read: i.ways_read.to_string(),
            used: i.ways_used.to_string(),
            cut: i.ways_cut.to_string(),
            missing: i.missing_node_refs.to_string(),
            barriers: i.barriers.to_string(),
            turns: i.turn_restrictions.to_string(),
            turns_skipped: i.turn_restrictions_skipped.to_string(),
        })
    );
    println!(
        "{}",
        text(&Msg::RoadsNodes {
            nodes: f.nodes.to_string(),
            segments: f.segments.to_string(),
            memory: f.bytes_per_segment,
            disk: f.file_bytes_per_segment,
        })
    );
    for m in &f.modes {
        println!(
            "{}",
            text(&Msg::RoadsMode {
                mode: m.mode.as_str(),
                km: m.road_km,
                edges: m.edges.to_string(),
                components: m.components.to_string(),
                largest_percent: m.largest_component_share * 100.0,
            })
        );
    }
    println!("{}", text(&Msg::RoadsTook(i.elapsed_s)));
    if let Some(p) = written {
        println!("{}", text(&Msg::RoadsWritten(&p.display().to_string())));
    }
    Ok(())
}
