//! The coverage analysis: which cells of an area lie within reach of a station, how much that
//! is per district and weighted by demand, where the gaps are, and where new sites would add
//! the most (see the [module docs](super) for the rules and their error).
//!
//! Why this file is long: one analysis pipeline (grid, reach, per-district table, demand
//! shares, dissolved gaps, proposals) whose stages share the grid and its per-cell arrays; the
//! parts that stand alone already live beside it (`area`, `grid`, `circle`, `demand`,
//! `maxcover`, `hours`, `whatif`, `export`, `input`).

use super::area::{AreaSpec, BandedPolygon, Breakdown, ResolvedArea};
use super::demand::DemandLayer;
use super::grid::CellGrid;
use super::maxcover;
use super::{par_chunks, CoverageError};
use crate::districts::{District, Districts};
use crate::index::{Filter, ServiceIndex};
use crate::model::{LonLat, ServiceKind};
use crate::travel::TravelMode;
use chrono::NaiveDateTime;
use h3o::Resolution;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Default cap on the number of cells of one analysis (Changsha city at resolution 9 has
/// about 112 000; resolution 10 about 790 000).
pub const DEFAULT_MAX_CELLS: usize = 2_000_000;
/// Largest maximal-covering instance (candidates × cells per circle, about 4 bytes each).
pub const MAX_INSTANCE_ENTRIES: f64 = 250e6;
/// Most interchange passes after the greedy choice of proposals
/// ([`maxcover::greedy_interchange`]).
pub const INTERCHANGE_PASSES: usize = 20;
/// Default H3 resolution (mean cell area 0.105 km², mean edge 201 m: H3 v4 tables, as in the
/// [module docs](super) and `h3o::Resolution::edge_length_m`).
pub const DEFAULT_RESOLUTION: u8 = 9;

/// A demand point: where demand is and how much (e.g. order counts, suggestions). Its weight
/// goes to the H3 cell containing it; when that cell is not part of the area (its centre lies
/// outside), the weight is reported as `demand_outside` and otherwise ignored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemandPoint {
    /// Position.
    pub location: LonLat,
    /// Weight, finite and ≥ 0.
    pub weight: f64,
}

/// A candidate site supplied by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// An optional id echoed in the proposals.
    pub id: Option<String>,
    /// Position.
    pub location: LonLat,
}

/// Where new sites may go.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Candidates {
    /// [`Candidates::DemandCells`] when the analysis has demand, else
    /// [`Candidates::Uncovered`] (default).
    #[default]
    Auto,
    /// Centres of the cells not yet covered.
    Uncovered,
    /// Centres of the cells holding demand (weight > 0), covered or not: plausible sites are
    /// where riders' work is, not empty hillsides.
    DemandCells,
    /// Centres of all cells of the area.
    All,
    /// A user-supplied list.
    Sites(Vec<Site>),
}

impl Candidates {
    fn label(&self) -> &'static str {
        match self {
            Candidates::Auto => "auto",
            Candidates::Uncovered => "uncovered_cells",
            Candidates::DemandCells => "demand_cells",
            Candidates::All => "all_cells",
            Candidates::Sites(_) => "sites",
        }
    }
}

/// Reports progress of long runs (the CLI shows a bar). All methods default to doing nothing.
pub trait Progress: Sync {
    /// A stage begins with `total` steps.
    fn start(&self, _stage: &str, _total: u64) {}
    /// `n` more steps are done.
    fn advance(&self, _n: u64) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What to compute.
#[derive(Debug, Clone)]
pub struct CoverageOptions {
    /// Service-circle radius, metres (speed × minutes).
    pub radius_m: f64,
    /// Travel mode and minutes the radius came from, echoed in the report.
    pub travel: Option<(TravelMode, f64)>,
    /// Which stations count (kinds, open at a time ...).
    pub filter: Filter,
    /// H3 resolution.
    pub resolution: Resolution,
    /// Refuse areas of more cells than this.
    pub max_cells: usize,
    /// Demand points; empty (and no `demand_layer`): coverage by area only.
    pub demand: Vec<DemandPoint>,
    /// An embedded demand layer; when set, `demand` must be empty. Its extent says where
    /// there is data: cells outside it are *no data*, not zero demand.
    pub demand_layer: Option<DemandLayer>,
    /// Number of new sites to propose (0: none).
    pub propose: usize,
    /// Where new sites may go.
    pub candidates: Candidates,
    /// Compute gap polygons.
    pub gaps: bool,
    /// Set to `true` (by another thread) to abandon the analysis: [`analyze`] then returns
    /// [`CoverageError::Cancelled`] at its next check (during tiling, per station, per gap
    /// row and per candidate). The server sets it when the request is dropped (timeout,
    /// client gone).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Reach along roads instead of circles (`None`: the straight-line model).
    pub network: Option<NetworkModel>,
}

/// The road-network model of coverage: a cell is reached when its centre is within the
/// minutes of a station along roads ([`crate::routing::NetworkReach`]: one multi-source
/// search from all stations, off-road legs included). Stations farther than the snap limit
/// from a road keep their straight-line circle. Proposals use the same reach: each candidate's
/// circle is narrowed to the cells its own network search reaches (a road trip is never
/// shorter than the straight line, so network reach lies inside the circle).
#[derive(Debug, Clone)]
pub struct NetworkModel {
    /// The road graph.
    pub graph: Arc<crate::routing::RoadGraph>,
    /// Speeds of the modes, m/s.
    pub speeds: crate::travel::Speeds,
    /// Largest snap distance, metres.
    pub max_snap_m: f64,
}

impl CoverageOptions {
    /// Defaults for `radius_m`: resolution 9, all kinds, no demand, no proposals, gaps on.
    pub fn new(radius_m: f64) -> Self {
        Self {
            radius_m,
            travel: None,
            filter: Filter::default(),
            resolution: Resolution::Nine,
            max_cells: DEFAULT_MAX_CELLS,
            demand: Vec::new(),
            demand_layer: None,
            propose: 0,
            candidates: Candidates::Auto,
            gaps: true,
            cancel: None,
            network: None,
        }
    }

    /// `Err(`[`CoverageError::Cancelled`]`)` once [`CoverageOptions::cancel`] is set.
    ///
    /// # Errors
    /// [`CoverageError::Cancelled`].
    pub fn check_cancelled(&self) -> Result<(), CoverageError> {
        if self
            .cancel
            .as_deref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            Err(CoverageError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// The area analysed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaInfo {
    /// `adcode`, `geometry` or `bbox`.
    pub kind: String,
    /// Adcode of the district, for an adcode area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adcode: Option<String>,
    /// Name of the district, for an adcode area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Geodesic (WGS-84) area of the boundary itself, km² (Karney), to compare with the
    /// discretised `summary.area_km2`.
    pub boundary_area_km2: f64,
}

/// The parameters in force.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parameters {
    /// Which model decided reach: `straight_line` (circles of speed × minutes) or `network`
    /// (travel time along roads, see [`NetworkModel`]).
    pub model: String,
    /// Travel mode, when the radius came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<TravelMode>,
    /// Minutes, when the radius came from a travel mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<f64>,
    /// Service-circle radius, metres.
    pub radius_m: f64,
    /// H3 resolution.
    pub resolution: u8,
    /// Mean hexagon edge at this resolution, metres (H3 tables).
    pub cell_edge_m: f64,
    /// Mean cell area at this resolution, km² (H3 tables).
    pub cell_area_km2: f64,
    /// Station kinds counted; empty: all.
    pub kinds: Vec<ServiceKind>,
    /// Only stations open at this local (UTC+8) time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub open_at: Option<NaiveDateTime>,
    /// Where proposals may go: `uncovered_cells`, `demand_cells`, `all_cells` or `sites`.
    pub candidates: String,
    /// Demand: the embedded layer's name (`builtup`, `pickups`), `points` for user-supplied
    /// points; absent without demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand: Option<String>,
    /// Unit of a demand weight (`m³` for builtup, `points` for pickups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_unit: Option<String>,
    /// Attribution of the demand layer, to show with the results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_attribution: Option<String>,
}

/// Totals over the area.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Share of the demand (in the part of the area with demand data) within reach of a
    /// station, percent: the headline figure when there is demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered_percent: Option<f64>,
    /// Share of the area's surface where the demand layer has data, percent (100 for
    /// user-supplied demand). Outside it there is no data, which is not zero demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_data_percent: Option<f64>,
    /// Cells of the area.
    pub cells: usize,
    /// Cells whose centre is within reach of a station.
    pub covered_cells: usize,
    /// Area of the cells, km² (ellipsoidal).
    pub area_km2: f64,
    /// Area of the covered cells, km².
    pub covered_km2: f64,
    /// `covered_km2 / area_km2`, percent.
    pub covered_percent: f64,
    /// Stations (of the chosen kinds) covering at least one cell.
    pub stations: usize,
    /// Total demand weight inside the area.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_total: Option<f64>,
    /// Demand weight in covered cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered: Option<f64>,
    /// Demand weight of points outside the area (ignored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_outside: Option<f64>,
}

/// One row of the per-district table.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictRow {
    /// Adcode; absent for cells outside every shipped district.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adcode: Option<String>,
    /// Name (`区域外` for cells outside every shipped district).
    pub name: String,
    /// Share of the district's demand within reach of a station, percent; absent when the
    /// district has no demand data (or no demand at all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered_percent: Option<f64>,
    /// Share of the district's area where the demand layer has data, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_data_percent: Option<f64>,
    /// Cells.
    pub cells: usize,
    /// Area, km².
    pub area_km2: f64,
    /// Covered area, km².
    pub covered_km2: f64,
    /// Covered share, percent.
    pub covered_percent: f64,
    /// Demand weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_total: Option<f64>,
    /// Covered demand weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered: Option<f64>,
}

/// A proposed new site.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    /// 1-based order of choice.
    pub rank: usize,
    /// Position `[lon, lat]`, WGS-84.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub location: LonLat,
    /// The candidate's id, for user-supplied sites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// The H3 cell the site is the centre of, for cell candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub h3_cell: Option<String>,
    /// County the site lies in, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adcode: Option<String>,
    /// Cells it newly covers.
    pub added_cells: usize,
    /// Area it newly covers, km².
    pub added_km2: f64,
    /// Area it newly covers, percent of the area.
    pub added_percent: f64,
    /// Demand weight it newly covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_demand: Option<f64>,
    /// Covered share of the area after this and the earlier proposals, percent.
    pub covered_percent_after: f64,
    /// Covered demand share after this and the earlier proposals, percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered_percent_after: Option<f64>,
    /// In the network model: `true` when the site's reach was measured along roads, `false`
    /// when the site is farther than the snap limit from any road and its reach is a
    /// straight-line circle (as for `nearest`'s `"network": false`). Absent in the
    /// straight-line model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<bool>,
}

/// The result of [`analyze`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageReport {
    /// The area.
    pub area: AreaInfo,
    /// Parameters in force.
    pub parameters: Parameters,
    /// Totals.
    pub summary: Summary,
    /// Per-district table, by adcode.
    pub districts: Vec<DistrictRow>,
    /// Gaps: a GeoJSON FeatureCollection with one MultiPolygon feature per district, the
    /// uncovered cells dissolved, with `adcode`, `name`, `cells` and `area_km2` properties;
    /// largest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub gaps: serde_json::Value,
    /// Proposed new sites in order of choice (greedy maximal covering).
    pub proposals: Vec<Proposal>,
    /// Things the user should know (no stations of the kinds, fewer proposals than asked ...).
    pub warnings: Vec<String>,
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// A dissolved gap: (row, cells, area km², outline).
type DissolvedGap = (usize, usize, f64, geo::MultiPolygon<f64>);

/// The row number of each cell, and the rows (`None`: outside every district).
///
/// Once `cancel` is set the remaining cells are left in the last row (outside every
/// district); the caller must then discard the result.
pub(crate) fn assign_rows(
    grid: &CellGrid,
    area: &ResolvedArea,
    cancel: Option<&AtomicBool>,
    progress: &dyn Progress,
) -> (Vec<u32>, Vec<Option<&'static District>>) {
    let n = grid.len();
    match &area.breakdown {
        Breakdown::Single(d) => (vec![0; n], vec![Some(*d)]),
        Breakdown::PointInPolygon(counties) => {
            progress.start("districts", n as u64);
            let none = counties.len() as u32;
            let banded: Vec<BandedPolygon> = counties
                .iter()
                .map(|d| BandedPolygon::new(&d.geometry))
                .collect();
            let rows = par_chunks(n, |r| {
                let len = r.len();
                let v: Vec<u32> = r
                    .map(|i| {
                        if i % 1024 == 0 && cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                            return none;
                        }
                        let p = grid.centres()[i];
                        banded
                            .iter()
                            .position(|b| b.contains(p.lon, p.lat))
                            .map_or(none, |k| k as u32)
                    })
                    .collect();
                progress.advance(len as u64);
                v
            });
            let mut list: Vec<Option<&'static District>> =
                counties.iter().map(|d| Some(*d)).collect();
            list.push(None);
            (rows, list)
        }
    }
}

/// Analyses the coverage of `area` by the stations of `index` admitted by
/// `options.filter` (see the [module docs](super)).
///
/// # Errors
/// [`CoverageError`] for an unknown adcode, invalid geometry, a bad radius or too many cells.
pub fn analyze(
    index: &ServiceIndex,
    districts: &'static Districts,
    area: &AreaSpec,
    options: &CoverageOptions,
    progress: &dyn Progress,
) -> Result<CoverageReport, CoverageError> {
    if !(options.radius_m.is_finite() && options.radius_m > 0.0) {
        return Err(CoverageError::BadRadius(options.radius_m));
    }
    let radius = options.radius_m;
    let cancel = options.cancel.as_deref();
    let check = || options.check_cancelled();
    let resolved = area.resolve(districts)?;
    check()?;
    let boundary_area_km2 = super::grid::geodesic_area_km2(&resolved.geometry);
    progress.start("tiling", 1);
    let grid = CellGrid::tile_cancellable(
        &resolved.geometry,
        options.resolution,
        options.max_cells,
        cancel,
    )?;
    progress.advance(1);
    let n = grid.len();
    let mut warnings = Vec::new();
    if n == 0 {
        warnings.push(format!(
            "the area holds no H3 cell centre at resolution {}; use a finer resolution",
            u8::from(options.resolution)
        ));
    }
    let (row_of, row_list) = assign_rows(&grid, &resolved, cancel, progress);
    check()?;

    // Existing stations: one radius query on the index finds every station that can reach
    // any cell; each then marks the cells within its radius.
    let mut covered = vec![false; n];
    let mut stations = 0usize;
    let travel = options.travel.map_or(TravelMode::Walk, |t| t.0);
    if let Some((c, cap_m)) = grid.bounding_cap() {
        let mut hits = index.within(c, cap_m + radius * 1.02 + 1.0, &options.filter);
        if let Some(net) = &options.network {
            // One search from every station; the stations off the network keep circles.
            progress.start("network", 1);
            let at: Vec<LonLat> = hits.iter().map(|h| h.point.location).collect();
            let limit_s = radius / net.speeds.of(travel);
            let reach = crate::routing::NetworkReach::new_cancellable(
                &net.graph,
                &at,
                travel,
                &net.speeds,
                limit_s,
                net.max_snap_m,
                cancel,
            )
            .ok_or(CoverageError::Cancelled)?;
            // The cell centres snapped to the roads: from the graph's cache when this area
            // was analysed before at this resolution (crate::routing::reach).
            let snapped = net
                .graph
                .snapped_cells(&grid, travel, net.max_snap_m, cancel)
                .ok_or(CoverageError::Cancelled)?;
            for (i, c) in covered.iter_mut().enumerate() {
                if i % 4096 == 0 {
                    check()?;
                }
                *c = reach.time_to_cell(&snapped, i).is_some();
            }
            progress.advance(1);
            if !reach.unsnapped.is_empty() {
                warnings.push(format!(
                    "{} stations are farther than {} m from a road and count with straight-line circles",
                    reach.unsnapped.len(),
                    net.max_snap_m
                ));
            }
            stations = hits.len() - reach.unsnapped.len();
            let keep: Vec<_> = reach.unsnapped.iter().map(|&i| hits[i].clone()).collect();
            hits = keep;
        }
        progress.start("stations", hits.len() as u64);
        let mut buf = Vec::new();
        for h in &hits {
            check()?;
            buf.clear();
            grid.cells_within(h.point.location, radius, &mut buf);
            if !buf.is_empty() {
                stations += 1;
            }
            for &i in &buf {
                covered[i as usize] = true;
            }
            progress.advance(1);
        }
    }
    if stations == 0 {
        warnings.push("no station of the chosen kinds reaches the area".to_string());
    }

    // Demand.
    let demand_points = demand_points(options)?;
    let has_demand = !demand_points.is_empty();
    let (demand, demand_outside) = aggregate_demand(&grid, demand_points)?;
    check()?;
    // Cells with demand data: inside the layer's extent (user points: everywhere).
    let has_data: Vec<bool> = match options.demand_layer {
        Some(l) if has_demand => {
            let ext = BandedPolygon::new(l.extent());
            par_chunks(n, |r| {
                r.map(|i| {
                    let p = grid.centres()[i];
                    ext.contains(p.lon, p.lat)
                })
                .take_while(|_| cancel.is_none_or(|c| !c.load(Ordering::Relaxed)))
                .collect()
            })
        }
        _ => vec![true; if has_demand { n } else { 0 }],
    };
    check()?;

    // Totals and rows.
    let areas = grid.areas_km2();
    let total_km2: f64 = areas.iter().sum();
    // `+ 0.0` turns the empty sum's −0.0 into 0.0.
    let covered_km2: f64 = (0..n)
        .filter(|&i| covered[i])
        .map(|i| areas[i])
        .sum::<f64>()
        + 0.0;
    let demand_total: f64 = demand.iter().sum::<f64>() + 0.0;
    let demand_covered: f64 = (0..demand.len())
        .filter(|&i| covered[i])
        .map(|i| demand[i])
        .sum::<f64>()
        + 0.0;
    let data_km2: f64 = (0..has_data.len())
        .filter(|&i| has_data[i])
        .map(|i| areas[i])
        .sum::<f64>()
        + 0.0;
    let mut row_data_km2 = vec![0.0f64; row_list.len()];
    let mut rows: Vec<DistrictRow> = row_list
        .iter()
        .map(|d| DistrictRow {
            adcode: d.map(|d| d.adcode.clone()),
            name: d.map_or_else(|| "区域外".to_string(), |d| d.name.clone()),
            demand_covered_percent: None,
            demand_data_percent: None,
            cells: 0,
            area_km2: 0.0,
            covered_km2: 0.0,
            covered_percent: 0.0,
            demand_total: has_demand.then_some(0.0),
            demand_covered: has_demand.then_some(0.0),
        })
        .collect();
    for i in 0..n {
        let r = &mut rows[row_of[i] as usize];
        r.cells += 1;
        r.area_km2 += areas[i];
        if covered[i] {
            r.covered_km2 += areas[i];
        }
        if has_demand {
            if has_data[i] {
                row_data_km2[row_of[i] as usize] += areas[i];
            }
            if let Some(total) = r.demand_total.as_mut() {
                *total += demand[i];
            }
            if let (true, Some(sum)) = (covered[i], r.demand_covered.as_mut()) {
                *sum += demand[i];
            }
        }
    }
    for (k, r) in rows.iter_mut().enumerate() {
        r.covered_percent = percent(r.covered_km2, r.area_km2);
        if has_demand {
            r.demand_data_percent = Some(if options.demand_layer.is_some() {
                percent(row_data_km2[k], r.area_km2)
            } else {
                100.0
            });
            if let (Some(t), Some(c)) = (r.demand_total, r.demand_covered) {
                r.demand_covered_percent =
                    (row_data_km2[k] > 0.0 && t > 0.0).then(|| percent(c, t));
            }
        }
    }
    let demand_data_percent = if options.demand_layer.is_some() {
        percent(data_km2, total_km2)
    } else {
        100.0
    };
    if let Some(l) = options.demand_layer.filter(|_| has_demand && n > 0) {
        if demand_data_percent < 99.95 {
            let missing: Vec<&str> = rows
                .iter()
                .filter(|r| r.cells > 0 && r.demand_data_percent == Some(0.0))
                .map(|r| r.name.as_str())
                .collect();
            warnings.push(format!(
                "需求图层 {} 只覆盖本区域面积的 {:.1} %；范围外为无数据，不是零需求{}。The demand layer `{}` has data for {:.1} % of the area; outside it there is no data, which is not zero demand: demand shares count only the part with data{}",
                l.label_zh(),
                demand_data_percent,
                if missing.is_empty() { String::new() } else { format!("（无数据：{}）", missing.join("、")) },
                l.as_str(),
                demand_data_percent,
                if missing.is_empty() { String::new() } else { format!(" (no data at all: {})", missing.join(", ")) },
            ));
        }
    }

    // Gaps, one dissolved MultiPolygon per row.
    let mut gap_features: Vec<(f64, serde_json::Value)> = Vec::new();
    if options.gaps {
        progress.start("gaps", rows.len() as u64);
        let mut per_row: Vec<Vec<h3o::CellIndex>> = vec![Vec::new(); rows.len()];
        for i in 0..n {
            if !covered[i] {
                per_row[row_of[i] as usize].push(grid.cells()[i]);
            }
        }
        // Dissolve the rows' gaps on all cores (rows are independent).
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(8);
        let jobs: Vec<(usize, Vec<h3o::CellIndex>)> = per_row
            .into_iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .collect();
        let results: Vec<Result<DissolvedGap, CoverageError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let jobs = &jobs;
                    let grid = &grid;
                    s.spawn(move || {
                        jobs.iter()
                            .skip(t)
                            .step_by(threads)
                            .map(|(r, cells)| {
                                check()?;
                                let area_km2 = cells
                                    .iter()
                                    .map(|&c| {
                                        grid.position(c).map(|i| areas[i as usize]).ok_or_else(
                                            || {
                                                CoverageError::Internal(format!(
                                                    "gap cell {c} is not in the analysis grid"
                                                ))
                                            },
                                        )
                                    })
                                    .sum::<Result<f64, CoverageError>>()?;
                                let mp = super::grid::dissolve_cells(cells, options.resolution)?;
                                Ok((*r, cells.len(), area_km2, mp))
                            })
                            .collect::<Vec<_>>()
                    })
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
        });
        progress.advance(rows.len() as u64);
        for res in results {
            let (r, count, area_km2, mp) = res?;
            // RFC 7946 winding and 7 decimals (crate::geojson_out).
            let geometry = crate::geojson_out::multipolygon_geometry(
                &mp,
                crate::geojson_out::DEFAULT_DECIMALS,
            );
            let feature = serde_json::json!({
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "adcode": rows[r].adcode,
                    "name": rows[r].name,
                    "cells": count,
                    "area_km2": area_km2,
                },
            });
            gap_features.push((area_km2, feature));
        }
        gap_features.sort_by(|a, b| b.0.total_cmp(&a.0));
    }
    let gaps = serde_json::json!({
        "type": "FeatureCollection",
        "features": gap_features.into_iter().map(|f| f.1).collect::<Vec<_>>(),
    });

    // Proposals.
    let candidates = match &options.candidates {
        Candidates::Auto if has_demand => &Candidates::DemandCells,
        Candidates::Auto => &Candidates::Uncovered,
        c => c,
    };
    let mut proposals = Vec::new();
    if options.propose > 0 && n > 0 {
        let weights: &[f64] = if has_demand { &demand } else { areas };
        let (locations, ids, cells): (Vec<LonLat>, Vec<Option<String>>, Vec<Option<String>>) =
            match candidates {
                Candidates::Auto
                | Candidates::Uncovered
                | Candidates::DemandCells
                | Candidates::All => {
                    let picked = candidate_cells(candidates, &covered, &demand);
                    (
                        picked.iter().map(|&i| grid.centres()[i]).collect(),
                        vec![None; picked.len()],
                        picked
                            .iter()
                            .map(|&i| Some(grid.cells()[i].to_string()))
                            .collect(),
                    )
                }
                Candidates::Sites(sites) => (
                    sites.iter().map(|s| s.location).collect(),
                    sites.iter().map(|s| s.id.clone()).collect(),
                    vec![None; sites.len()],
                ),
            };
        let per_circle =
            (std::f64::consts::PI * radius * radius / 1e6 / options.resolution.area_km2())
                .min(n as f64);
        let entries = per_circle * locations.len() as f64;
        if entries > MAX_INSTANCE_ENTRIES {
            return Err(CoverageError::InstanceTooLarge {
                candidates: locations.len(),
                cells_per_circle: per_circle.round() as u64,
            });
        }
        progress.start("candidates", locations.len() as u64);
        let mut sets = candidate_sets(
            &grid, &locations, radius, &covered, weights, cancel, progress,
        );
        check()?;
        // Candidates farther than the snap limit from a road (network model only): their
        // reach stays the straight-line circle, and their proposals say so.
        let mut off_road = vec![false; locations.len()];
        if let Some(net) = &options.network {
            let limit_s = radius / net.speeds.of(travel);
            let snapped = net
                .graph
                .snapped_cells(&grid, travel, net.max_snap_m, cancel)
                .ok_or(CoverageError::Cancelled)?;
            for (i, (set, &at)) in sets.iter_mut().zip(&locations).enumerate() {
                check()?;
                let reach = crate::routing::NetworkReach::new_cancellable(
                    &net.graph,
                    &[at],
                    travel,
                    &net.speeds,
                    limit_s,
                    net.max_snap_m,
                    cancel,
                )
                .ok_or(CoverageError::Cancelled)?;
                if reach.unsnapped.is_empty() {
                    set.retain(|&c| reach.time_to_cell(&snapped, c as usize).is_some());
                } else {
                    off_road[i] = true;
                }
            }
        }
        progress.start("proposals", options.propose as u64);
        let mut cov = covered.clone();
        let picks = maxcover::greedy_interchange_cancellable(
            &sets,
            weights,
            &mut cov,
            options.propose,
            INTERCHANGE_PASSES,
            cancel,
        );
        check()?;
        progress.advance(options.propose as u64);
        if picks.len() < options.propose {
            warnings.push(format!(
                "only {} of {} proposals add coverage; the other candidates add nothing",
                picks.len(),
                options.propose
            ));
        }
        let off_road_picks = picks.iter().filter(|p| off_road[p.candidate]).count();
        if let (Some(net), true) = (&options.network, off_road_picks > 0) {
            warnings.push(format!(
                "{off_road_picks} of {} proposals are farther than {} m from a road: their reach is a straight-line circle, not along roads (\"network\": false)",
                picks.len(),
                net.max_snap_m
            ));
        }
        let mut cum_km2 = covered_km2;
        let mut cum_demand = demand_covered;
        for (rank, p) in picks.iter().enumerate() {
            let added_km2: f64 = p.added.iter().map(|&e| areas[e as usize]).sum();
            let added_demand: f64 = if has_demand {
                p.added.iter().map(|&e| demand[e as usize]).sum()
            } else {
                0.0
            };
            cum_km2 += added_km2;
            cum_demand += added_demand;
            let loc = locations[p.candidate];
            proposals.push(Proposal {
                rank: rank + 1,
                location: loc,
                site_id: ids[p.candidate].clone(),
                h3_cell: cells[p.candidate].clone(),
                adcode: districts.county_at(loc).map(|d| d.adcode.clone()),
                added_cells: p.added.len(),
                added_km2,
                added_percent: percent(added_km2, total_km2),
                added_demand: has_demand.then_some(added_demand),
                covered_percent_after: percent(cum_km2, total_km2),
                demand_covered_percent_after: has_demand.then(|| percent(cum_demand, demand_total)),
                network: options.network.as_ref().map(|_| !off_road[p.candidate]),
            });
        }
    }

    rows.retain(|r| r.cells > 0);
    Ok(CoverageReport {
        area: AreaInfo {
            kind: resolved.kind.to_string(),
            adcode: resolved.adcode.clone(),
            name: resolved.name.clone(),
            boundary_area_km2,
        },
        parameters: Parameters {
            model: if options.network.is_some() {
                "network"
            } else {
                "straight_line"
            }
            .to_string(),
            mode: options.travel.map(|t| t.0),
            minutes: options.travel.map(|t| t.1),
            radius_m: radius,
            resolution: u8::from(options.resolution),
            cell_edge_m: options.resolution.edge_length_m(),
            cell_area_km2: options.resolution.area_km2(),
            kinds: options.filter.kinds.clone(),
            open_at: options.filter.open_at,
            candidates: candidates.label().to_string(),
            demand: has_demand.then(|| {
                options
                    .demand_layer
                    .map_or_else(|| "points".to_string(), |l| l.as_str().to_string())
            }),
            demand_unit: options.demand_layer.map(|l| l.unit().to_string()),
            demand_attribution: options.demand_layer.map(|l| l.attribution().to_string()),
        },
        summary: Summary {
            demand_covered_percent: has_demand.then(|| percent(demand_covered, demand_total)),
            demand_data_percent: has_demand.then_some(demand_data_percent),
            cells: n,
            covered_cells: covered.iter().filter(|&&c| c).count(),
            area_km2: total_km2,
            covered_km2,
            covered_percent: percent(covered_km2, total_km2),
            stations,
            demand_total: has_demand.then_some(demand_total),
            demand_covered: has_demand.then_some(demand_covered),
            demand_outside: has_demand.then_some(demand_outside),
        },
        districts: rows,
        gaps,
        proposals,
        warnings,
    })
}

/// The demand points of `options`: the embedded layer's or the given ones.
pub(crate) fn demand_points(options: &CoverageOptions) -> Result<&[DemandPoint], CoverageError> {
    match options.demand_layer {
        Some(_) if !options.demand.is_empty() => Err(CoverageError::BadDemand(
            "give either an embedded demand layer or demand points, not both".into(),
        )),
        Some(l) => Ok(l.points()),
        None => Ok(&options.demand),
    }
}

/// Demand weight per cell of `grid` (empty when there are no points) and the weight of
/// points whose cell is not in the grid.
///
/// # Errors
/// [`CoverageError::BadDemand`] for a weight that is not a finite number ≥ 0.
pub fn aggregate_demand(
    grid: &CellGrid,
    points: &[DemandPoint],
) -> Result<(Vec<f64>, f64), CoverageError> {
    let mut demand = vec![0.0f64; if points.is_empty() { 0 } else { grid.len() }];
    let mut outside = 0.0;
    for d in points {
        if !(d.weight.is_finite() && d.weight >= 0.0) {
            return Err(CoverageError::BadDemand(format!(
                "weight {} at [{}, {}] is not a finite number ≥ 0",
                d.weight, d.location.lon, d.location.lat
            )));
        }
        match grid.position_of(d.location) {
            Some(i) => demand[i as usize] += d.weight,
            None => outside += d.weight,
        }
    }
    Ok((demand, outside))
}

/// The cells whose centres are candidate sites under a cell rule (`Auto` must be resolved
/// by the caller; it is taken as `Uncovered`).
fn candidate_cells(c: &Candidates, covered: &[bool], demand: &[f64]) -> Vec<usize> {
    (0..covered.len())
        .filter(|&i| match c {
            Candidates::All => true,
            Candidates::DemandCells => demand.get(i).is_some_and(|&w| w > 0.0),
            Candidates::Sites(_) => false,
            Candidates::Auto | Candidates::Uncovered => !covered[i],
        })
        .collect()
}

/// For each candidate location, the cells within `radius_m` that are not yet `covered` and
/// have positive weight (the maximal-covering instance; computed on all cores). Once `cancel`
/// is set, the remaining sets are left empty (the caller must then discard the result).
pub fn candidate_sets(
    grid: &CellGrid,
    locations: &[LonLat],
    radius_m: f64,
    covered: &[bool],
    weights: &[f64],
    cancel: Option<&AtomicBool>,
    progress: &dyn Progress,
) -> Vec<Vec<u32>> {
    par_chunks(locations.len(), |r| {
        let mut buf = Vec::new();
        let len = r.len() as u64;
        let out: Vec<Vec<u32>> = r
            .map(|c| {
                if cancel.is_some_and(|f| f.load(Ordering::Relaxed)) {
                    return Vec::new();
                }
                buf.clear();
                grid.cells_within(locations[c], radius_m, &mut buf);
                let mut s: Vec<u32> = buf
                    .iter()
                    .copied()
                    .filter(|&e| !covered[e as usize] && weights[e as usize] > 0.0)
                    .collect();
                s.sort_unstable();
                s
            })
            .collect();
        progress.advance(len);
        out
    })
}

/// The maximal-covering instance of an analysis, for comparing with exact solvers
/// (see `scripts/bench-coverage-spopt.sh`).
#[derive(Debug, Clone, Serialize)]
pub struct McInstance {
    /// Weight of each demand cell (km² or demand), cells not covered by existing stations.
    pub weights: Vec<f64>,
    /// H3 index of each demand cell.
    pub cells: Vec<String>,
    /// Candidate positions `[lon, lat]`.
    pub candidates: Vec<[f64; 2]>,
    /// For each candidate, the demand cells (positions in `weights`) it reaches.
    pub coverage: Vec<Vec<u32>>,
    /// Weight already covered by existing stations (a constant in the objective).
    pub existing_weight: f64,
    /// Total weight of the area.
    pub total_weight: f64,
    /// Sites to choose.
    pub k: usize,
}

/// Builds the maximal-covering instance [`analyze`] would solve for `options.propose` sites,
/// restricted to uncovered cells (which is all the objective sees), and its greedy solution:
/// `(instance, chosen candidate numbers, added weight, seconds spent in building the sets and
/// solving)`.
///
/// # Errors
/// As [`analyze`].
pub fn maximal_covering_instance(
    index: &ServiceIndex,
    districts: &'static Districts,
    area: &AreaSpec,
    options: &CoverageOptions,
) -> Result<(McInstance, Vec<usize>, f64, f64), CoverageError> {
    let resolved = area.resolve(districts)?;
    let grid = CellGrid::tile(&resolved.geometry, options.resolution, options.max_cells)?;
    let n = grid.len();
    let mut covered = vec![false; n];
    if let Some((c, cap_m)) = grid.bounding_cap() {
        let mut buf = Vec::new();
        for h in index.within(c, cap_m + options.radius_m * 1.02 + 1.0, &options.filter) {
            buf.clear();
            grid.cells_within(h.point.location, options.radius_m, &mut buf);
            for &i in &buf {
                covered[i as usize] = true;
            }
        }
    }
    let (demand, _) = aggregate_demand(&grid, demand_points(options)?)?;
    let has_demand = !demand.is_empty();
    let weights: &[f64] = if has_demand {
        &demand
    } else {
        grid.areas_km2()
    };
    let locations: Vec<LonLat> = match &options.candidates {
        Candidates::Sites(s) => s.iter().map(|s| s.location).collect(),
        c => {
            let c = match c {
                Candidates::Auto if has_demand => &Candidates::DemandCells,
                c => c,
            };
            candidate_cells(c, &covered, &demand)
                .into_iter()
                .map(|i| grid.centres()[i])
                .collect()
        }
    };
    let t0 = std::time::Instant::now();
    let sets = candidate_sets(
        &grid,
        &locations,
        options.radius_m,
        &covered,
        weights,
        None,
        &NoProgress,
    );
    let mut cov = covered.clone();
    let picks = maxcover::greedy_interchange(
        &sets,
        weights,
        &mut cov,
        options.propose,
        INTERCHANGE_PASSES,
    );
    let secs = t0.elapsed().as_secs_f64();
    let added: f64 = picks.iter().map(|p| p.gain).sum();
    // Renumber demand cells to the uncovered ones.
    let mut renum: HashMap<u32, u32> = HashMap::new();
    let mut w = Vec::new();
    let mut cells = Vec::new();
    for i in 0..n {
        if !covered[i] && weights[i] > 0.0 {
            renum.insert(i as u32, w.len() as u32);
            w.push(weights[i]);
            cells.push(grid.cells()[i].to_string());
        }
    }
    let coverage = sets
        .iter()
        .map(|s| s.iter().map(|e| renum[e]).collect())
        .collect();
    let existing_weight = (0..n).filter(|&i| covered[i]).map(|i| weights[i]).sum();
    Ok((
        McInstance {
            weights: w,
            cells,
            candidates: locations.iter().map(|&p| p.into()).collect(),
            coverage,
            existing_weight,
            total_weight: weights.iter().sum(),
            k: options.propose,
        },
        picks.iter().map(|p| p.candidate).collect(),
        added,
        secs,
    ))
}
