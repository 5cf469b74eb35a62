//! Coverage analysis: service circles, H3 coverage of an area, gap polygons and
//! maximal-covering proposals for new sites ("5-minute warm service circles").
//!
//! # Rules
//! - A **service circle** is the set of places within `r = speed × minutes` metres of a station
//!   along the WGS-84 geodesic (speeds in [`crate::travel`]; straight-line distance, not a road
//!   network). [`circle::service_circle`] draws it as a GeoJSON polygon.
//! - An **area** (a shipped district or city by adcode, a posted polygon, or a bbox) is
//!   discretised into H3 cells ([`grid`]) whose **centre** lies inside it.
//! - A cell is **covered** when its centre lies within `r` of at least one station admitted by
//!   the filter (kinds, open at a time). Distances are exact WGS-84 geodesics.
//! - Areas are ellipsoidal: each cell's H3 (authalic sphere) area is scaled by the WGS-84 area
//!   factor at its latitude ([`grid::ellipsoid_area_factor`]).
//! - **Gaps** are the uncovered cells, dissolved per district into MultiPolygons (h3o's solvent).
//! - **Proposals** are chosen by lazy greedy maximal covering ([`maxcover`]), guaranteed to reach
//!   at least 1 − 1/e of the optimum added coverage (Nemhauser, Wolsey & Fisher 1978).
//!
//! # Discretisation error
//! Mean H3 figures (H3 resolution tables): resolution 8: edge 531 m, area 0.737 km²;
//! resolution 9: edge 201 m (h3o's mean 200.8 m), area 0.105 km²; resolution 10: edge 76 m,
//! area 0.015 km². The centre rule is applied twice — for the area's boundary and for each
//! service circle's boundary — and each time a cell straddling a boundary counts wholly in or
//! wholly out. Along a smooth boundary these errors have both signs and largely cancel: the
//! centre rule is unbiased for straight boundaries, and its bias for a curved boundary is of
//! second order (for a disc of radius r, of the order of (edge / r)² of the area). The worst
//! case is bounded by the straddling cells: |error| ≤ perimeter × 2 × edge (every straddling
//! cell lies within one circumradius, = edge, of the boundary). Measured (tests):
//! - one 5 km circle: covered area +0.6 % of the geodesic disc (pyproj) at resolution 9,
//!   within 0.5 % at resolution 10 (the bound above would allow 16 %: the errors cancel);
//! - a square with a station at its centre reaching its edges: share π/4 within 1 %
//!   (resolution 10);
//! - Changsha city (11 818.9 km² by Karney's area of the boundary) at resolution 9: tiled
//!   area 11 820.2 km² (+0.01 %); its counties at resolution 8 within 2 % (5 % for the two
//!   smallest, 44 and 138 km²).
//!
//! Proposals are chosen on the same lattice, so they are biased upwards: among many
//! candidate positions, the greedy prefers those where more cell centres happen to fall in the
//! circle. For r = 1 250 m at resolution 9 a proposal may report up to about 6 % more than
//! π r² (55 cells of 0.095 km² against a 4.91 km² disc, measured in 浏阳市; +2.3 % in a test
//! box in Qinghai); at resolution 10 it was within 1 %. Use a finer resolution when per-site
//! figures matter.
//!
//! Shapes narrower than a cell (thin strips of a district, circles of radius below about one
//! edge) are not resolved: a circle of r ≤ edge may cover zero or one cell. Choose a finer
//! resolution for short walks (e.g. ≤ 2 minutes on foot).
//!
//! # The antimeridian and the poles
//! Everything is computed on unit vectors and geodesics, so areas crossing ±180° work (give a
//! bbox with west > east, or polygons cut at ±180° as RFC 7946 §3.1.9 recommends; h3o also
//! repairs polygons with an edge spanning more than 180°). Service circles crossing ±180° are
//! cut into two parts; circles containing a pole are closed along the pole (see [`circle`]).
//! Gap polygons of cells straddling ±180° are as h3o's solvent draws them.
//!
//! # Limits on posted areas
//! Posted geometries must have longitudes in −180..=180 (h3o's tiler did not terminate on a
//! ring reaching 180.5°), at most [`area::MAX_AREA_VERTICES`] vertices, and be valid simple
//! features (simple rings of ≥ 3 distinct positions, holes inside their shell, parts not
//! overlapping); bboxes at most [`area::MAX_BBOX_SPAN_DEG`] wide and within
//! ±[`area::MAX_BBOX_ABS_LAT_DEG`]. The cell count is estimated from the geodesic area before
//! tiling, tiling stops after `max_cells + 1` cells, and [`CoverageOptions::cancel`] stops a
//! running analysis (the server sets it when a request is dropped).

pub mod analysis;
pub mod area;
pub mod circle;
pub mod demand;
pub mod export;
pub mod grid;
pub mod hours;
pub mod input;
pub mod maxcover;
pub mod whatif;

pub use analysis::{
    analyze, Candidates, CoverageOptions, CoverageReport, DemandPoint, NetworkModel, NoProgress,
    Progress, Site, DEFAULT_MAX_CELLS, DEFAULT_RESOLUTION,
};
pub use area::AreaSpec;
pub use circle::service_circle;

/// Why a coverage analysis cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoverageError {
    /// No shipped district has this adcode.
    #[error("no district with adcode `{0}` (the shipped boundaries cover Hunan's cities and counties, e.g. 430100 长沙市, 430102 芙蓉区)")]
    UnknownAdcode(String),
    /// The posted geometry is not a usable polygon.
    #[error("invalid area geometry: {0}")]
    InvalidGeometry(String),
    /// h3o cannot cover the posted polygon with cells (its own geometry check).
    #[error("invalid area geometry")]
    Tiling(#[source] h3o::error::InvalidGeometry),
    /// The bbox is not usable as an area (too wide, reaching the poles, empty).
    #[error("invalid area bbox: {0}")]
    InvalidBbox(String),
    /// The radius is not a positive finite number of metres.
    #[error("radius {0} m is not a positive finite number (minutes must be > 0)")]
    BadRadius(f64),
    /// H3 resolution out of range.
    #[error("resolution {0} is out of range 0..=15")]
    BadResolution(u8),
    /// The area would need too many cells.
    #[error("the area needs about {estimated} cells at resolution {resolution}, more than the limit of {max}; use a coarser resolution or a smaller area")]
    TooManyCells {
        /// Cells estimated (or counted).
        estimated: u64,
        /// The limit.
        max: usize,
        /// Resolution asked for.
        resolution: u8,
    },
    /// Proposals would need too much memory (candidates × cells per circle).
    #[error("proposals over {candidates} candidates reaching about {cells_per_circle} cells each are too many to evaluate; use a coarser resolution, a shorter time or a candidate list")]
    InstanceTooLarge {
        /// Candidate sites.
        candidates: usize,
        /// Cells one circle reaches.
        cells_per_circle: u64,
    },
    /// A demand point is unusable.
    #[error("需求数据有误 (bad demand): {0}")]
    BadDemand(String),
    /// The caller abandoned the analysis (its cancellation flag was set).
    #[error("the analysis was cancelled")]
    Cancelled,
    /// Dissolving the gap cells into polygons failed (h3o's solvent; a bug, not the input).
    #[error("internal error: dissolving gaps: {0}")]
    Dissolve(#[source] h3o::error::DissolutionError),
    /// A bug (an invariant of the analysis did not hold).
    #[error("internal error: {0}")]
    Internal(String),
}

impl crate::error::Classify for CoverageError {
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            CoverageError::UnknownAdcode(_) => ErrorClass::invalid("area.adcode"),
            CoverageError::InvalidGeometry(_) | CoverageError::Tiling(_) => {
                ErrorClass::invalid("area.geometry")
            }
            CoverageError::InvalidBbox(_) => ErrorClass::invalid("area.bbox"),
            CoverageError::BadRadius(_) => ErrorClass::invalid("minutes"),
            CoverageError::BadResolution(_) | CoverageError::TooManyCells { .. } => {
                ErrorClass::invalid("resolution")
            }
            CoverageError::InstanceTooLarge { .. } => ErrorClass::invalid("propose"),
            CoverageError::BadDemand(_) => ErrorClass::invalid("demand"),
            CoverageError::Cancelled => ErrorClass::Unavailable,
            CoverageError::Dissolve(_) | CoverageError::Internal(_) => ErrorClass::Internal,
        }
    }
}

/// Runs `f` over `0..n` in contiguous chunks on all cores, concatenating the results in order.
pub(crate) fn par_chunks<T: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .min(16);
    if threads <= 1 || n < 2048 {
        return f(0..n);
    }
    let chunk = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let f = &f;
                s.spawn(move || f(t * chunk..((t + 1) * chunk).min(n)))
            })
            .collect();
        handles
            .into_iter()
            // A worker's panic is the caller's (as `thread::scope` would do after the join).
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Parses an H3 resolution (0..=15).
///
/// # Errors
/// [`CoverageError::BadResolution`].
pub fn resolution(r: u8) -> Result<h3o::Resolution, CoverageError> {
    h3o::Resolution::try_from(r).map_err(|_| CoverageError::BadResolution(r))
}
