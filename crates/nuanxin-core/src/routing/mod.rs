//! Routing on OpenStreetMap roads: travel times along the street network for walking and
//! e-bikes (电动自行车), instead of straight-line distance divided by a speed.
//!
//! - [`tags`]: which ways each mode may use, as one table of OSM tags (with the OSM wiki pages
//!   it follows);
//! - [`import`]: an OSM PBF extract → a [`RoadGraph`]; clipped extracts are cut at missing
//!   nodes and counted;
//! - [`graph`]: the compact graph (i32 positions, u32 ids, f32 lengths, a CSR adjacency, an
//!   grid over segments for snapping), its figures, and its file `<db>.roads` beside the database;
//! - [`search`]: snapping, bounded Dijkstra, nearest service points by travel time, routes
//!   and network service areas (isochrones);
//! - [`reach`]: network reach for coverage (one search from all stations) and the cell
//!   centres snapped once per graph, kept for the next analysis of the same cells.
//!
//! **Model.** A trip is: the straight walk or ride from the origin to the nearest point of a
//! usable road (its *snap*, at most `max_snap_m`, default [`DEFAULT_MAX_SNAP_M`]), the road
//! network at the mode's configured speed ([`crate::travel::Speeds`]; ferries at
//! [`graph::FERRY_SPEED_M_PER_S`]), then the straight leg from the road to the destination.
//! No turn costs, no waiting at crossings, no slope. A position farther than `max_snap_m`
//! from every usable road falls back to the straight-line model, and results say so
//! (`network: false`).

pub mod area;
pub mod graph;
pub mod import;
mod labels;
pub mod reach;
mod runs;
pub mod search;
mod segment_grid;
pub mod tags;
pub mod turns;

#[cfg(test)]
mod tests;

pub use graph::{GraphFigures, ImportFigures, ModeFigures, RoadGraph, SnapRole};
pub use import::import_pbf;
pub use reach::{NetworkReach, SnappedCells, SNAP_CACHE_MAX_CELLS};
pub use search::{
    covers_any, nearest_by_time, reached_pieces, service_area, trip, NetworkOptions, ServiceArea,
    Snap, TimedHit, TimedNearest,
};

use std::path::{Path, PathBuf};

/// Default largest distance from a position to the road it is snapped to, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 200.0;

/// Half-width of the band around reached roads that a network service area covers, metres
/// (see [`search::service_area`]): the walk from the road to the back of the buildings that
/// line it (city blocks in Helsinki and Changsha are 80–150 m deep, so 40 m is about the
/// depth of a plot). Against Valhalla's 5-minute isochrones (docs/benchmarks.md) the median IoU is 0.870,
/// 0.879, 0.876 and 0.865 at 35, 40, 45 and 50 m: 40 m agrees best and was chosen with it.
pub const WALK_OFF_M: f64 = 40.0;

/// Grid spacing of the distance field whose outline is a network service area, metres
/// ([`area`]): three quarters of [`WALK_OFF_M`]. The outline of a capsule of that radius is
/// within 0.7 % of its exact area (unit tests: the crossings and the points between them are
/// moved onto the exact level); against Valhalla's isochrones the median IoU is 0.878 at 5 m,
/// 0.881 at 20 m and 0.881 at 30 m (`tests/valhalla_oracle.rs`). With the distance transform
/// and one road piece per reached segment, the 20 m grid made one service area about 15 times
/// faster to draw than the 5 m one; 30 m has 2.2 times fewer vertices than 20 m (docs/benchmarks.md,
/// "Release timings").
pub const SERVICE_AREA_CELL_M: f64 = 30.0;

/// Largest region enclosed by a network service area that is filled rather than left as a
/// hole, m² ([`area`]): 4 ha, more than a city block's court (a 150 m block less the bands
/// is under 0.5 ha), less than a lake or a rail yard.
pub const FILL_HOLES_M2: f64 = 40_000.0;

/// The road-graph file that belongs to the database at `db`: `<db>.roads` beside a SQLite
/// file; `<database name>.roads` in the working directory for a PostgreSQL URL (each server
/// keeps its own copy of the graph).
pub fn graph_path_for_db(db: &Path) -> PathBuf {
    if let crate::suggestions::Location::Postgres(url) = crate::suggestions::Location::of(db) {
        let name = crate::suggestions::pg::parse_url(url)
            .ok()
            .and_then(|c| c.get_dbname().map(str::to_string))
            .unwrap_or_else(|| "postgres".into());
        return PathBuf::from(format!("{name}.roads"));
    }
    let mut s = db.as_os_str().to_owned();
    s.push(".roads");
    PathBuf::from(s)
}

/// Errors importing, storing or loading a road graph. Each names the file and the reason, in
/// Chinese then English; an I/O or PBF failure keeps the underlying error as its `source`.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// The file is not an OpenStreetMap PBF file.
    #[error("{0}: 不是 OpenStreetMap PBF 文件 (not an OpenStreetMap PBF file): {1}")]
    NotPbf(String, String),
    /// The PBF file is truncated or damaged.
    #[error("{0}: PBF 文件不完整或已损坏 (truncated or damaged PBF file)")]
    Pbf(String, #[source] osmpbf::Error),
    /// No way in the file can be walked or ridden.
    #[error("{0}: 文件中没有可步行或骑行的道路 (no way in the file can be walked or ridden)")]
    NoUsableWays(String),
    /// The roads are nowhere near the service points.
    #[error(
        "{0}: 道路网不覆盖任何服务点（{1} 个服务点距最近道路均超过 {2} 米）(the extract covers none of the {1} service points: every one is more than {2} m from a usable road)"
    )]
    CoversNoServicePoint(String, usize, f64),
    /// The file cannot be read or written (the file and the reason once, Chinese then
    /// English).
    #[error(transparent)]
    File(#[from] crate::error::FileError),
    /// A stored graph file is damaged or not a graph.
    #[error("{0}: 道路图文件无效 (not a valid road graph file): {1}")]
    BadGraphFile(String, String),
    /// A stored graph file's JSON header does not decode.
    #[error("{0}: 道路图文件无效 (not a valid road graph file): damaged header")]
    BadGraphHeader(String, #[source] serde_json::Error),
}

impl crate::error::Classify for RoutingError {
    /// A file that is not (valid) OSM PBF is invalid input naming `file`; an extract with no
    /// usable road, or none near the service points, is understood but unusable
    /// (unprocessable); a missing file is not found; a damaged road graph (written by this
    /// program) or another I/O failure is internal.
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            RoutingError::NotPbf(..) | RoutingError::Pbf(..) => ErrorClass::invalid("file"),
            RoutingError::NoUsableWays(_) | RoutingError::CoversNoServicePoint(..) => {
                ErrorClass::Unprocessable
            }
            RoutingError::File(e) => e.class(),
            RoutingError::BadGraphFile(..) | RoutingError::BadGraphHeader(..) => {
                ErrorClass::Internal
            }
        }
    }
}
