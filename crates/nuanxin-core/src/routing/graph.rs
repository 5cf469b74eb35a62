//! The routing graph: OSM nodes and the road segments between them, in compact arrays, with a
//! compressed-sparse-row adjacency, connected components per mode and a grid over the
//! segments for snapping. Stored in a small binary file beside the database.

use super::segment_grid::SegmentGrid;
use super::RoutingError;
use crate::coverage::grid::local_distance_m;
use crate::error::FileError;
use crate::model::LonLat;
use crate::travel::{Speeds, TravelMode};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::Path;

/// Segment flag: pedestrians may go from `u` to `v`.
pub const WALK_FORWARD: u8 = 1;
/// Segment flag: pedestrians may go from `v` to `u`.
pub const WALK_BACKWARD: u8 = 2;
/// Segment flag: e-bikes may go from `u` to `v`.
pub const EBIKE_FORWARD: u8 = 4;
/// Segment flag: e-bikes may go from `v` to `u`.
pub const EBIKE_BACKWARD: u8 = 8;
/// Segment flag: part of a ferry route (travelled at [`FERRY_SPEED_M_PER_S`]).
pub const FERRY: u8 = 16;
/// Segment flag: in a tunnel (snapped to only when no surface road is near).
pub const TUNNEL: u8 = 32;
/// Segment flag: open to motor vehicles ([`super::tags::WayAccess::motor`]). Where an e-bike
/// meets such roads it loses time ([`RoadGraph::junction_delay_s`]).
pub const MOTOR: u8 = 64;
/// Segment flag: a zero-length link between two copies of a node split for turn
/// restrictions ([`super::turns`]); arriving on it costs no junction delay (the first copy
/// charged it).
pub const SPLIT: u8 = 128;

/// Junction delays ([`RoadGraph::junction_delay_s`]) follow Valhalla's bicycle costing
/// (`src/sif/bicyclecost.cc`, `TransitionCost`): `stop impact × turn cost` seconds at each
/// transition, with the stop impact of its graph builder (`src/mjolnir/graphenhancer.cc`,
/// `GetStopImpact`: the class difference plus 3). This is its turn cost through a crossing
/// (other roads on both sides, `kTCCrossing`), charged where four or more segments meet,
/// seconds per unit of stop impact: where minor roads cross (stop impact 3), 2.25 s.
pub const CROSSING_TURN_COST_S: f64 = 0.75;

/// Valhalla's turn cost for a turn away from oncoming traffic (`kTCFavorable`), charged where
/// three segments meet (a T-junction), seconds per unit of stop impact: 0.9 s where minor
/// roads meet ([`CROSSING_TURN_COST_S`] for the source).
pub const TEE_TURN_COST_S: f64 = 0.3;

/// The largest junction delay, seconds: the largest stop impact, a minor road (class 5, the
/// cap) meeting a motorway (class 0), 5 − 0 + 3 = 8, times [`CROSSING_TURN_COST_S`].
pub const MAX_JUNCTION_DELAY_S: f64 = 8.0 * CROSSING_TURN_COST_S;

/// Speed on a ferry, m/s (10 km/h: an assumed average for short urban river ferries, waiting
/// not included; the product's extracts rarely contain any).
pub const FERRY_SPEED_M_PER_S: f64 = 10_000.0 / 3600.0;

/// Positions snap only to a segment whose two ends lie in one *strongly* connected component
/// of the mode (every node of it reachable from every other, one-way streets obeyed) with at
/// least this many nodes (or as many as the largest, if smaller). A courtyard footway mapped
/// without its connection would otherwise strand a query, and so would, for e-bikes, a one-way
/// service road whose only exit is a street closed to them (a taxi lane by Helsinki's railway
/// station, onto a street tagged `bicycle=use_sidepath`): trips from it lead nowhere and
/// trips to it cannot arrive. Valhalla's loki asks the same of a candidate edge: at least
/// `minimum_reachability` (default 50) nodes reachable from it and reaching it (Valhalla API
/// reference, locations). With 30 (undirected), a closed footway ring of 31 nodes in central
/// Helsinki stranded 1.3 % of the comparison's walks; with undirected components, one-way
/// traps left 119 of 1 000 e-bike trips unrouted (docs/benchmarks.md, "Accuracy against Valhalla").
pub const MIN_SNAP_COMPONENT_NODES: u32 = 50;

const MAGIC: &[u8; 8] = b"NXROADS2";

/// The magic number of graph files written before segments carried [`MOTOR`] (they load
/// with an error that asks for a new import).
const MAGIC_V1: &[u8; 8] = b"NXROADS1";

/// Index of a mode in per-mode arrays.
pub(crate) fn mode_index(mode: TravelMode) -> usize {
    match mode {
        TravelMode::Walk => 0,
        TravelMode::Ebike => 1,
    }
}

/// Which end of a trip a position is ([`RoadGraph::snap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapRole {
    /// Where the trip starts: the road must lead into the network.
    Origin,
    /// Where it ends: the network must lead onto the road.
    Destination,
}

/// Bits of [`RoadGraph::seg_snap`]: `(origin, destination)` of `mode`.
fn snap_bits(mode: TravelMode) -> (u8, u8) {
    let i = mode_index(mode);
    (1 << i, 1 << (2 + i))
}

/// `(forward, backward)` flags of `mode`.
pub(crate) fn mode_bits(mode: TravelMode) -> (u8, u8) {
    match mode {
        TravelMode::Walk => (WALK_FORWARD, WALK_BACKWARD),
        TravelMode::Ebike => (EBIKE_FORWARD, EBIKE_BACKWARD),
    }
}

/// Figures of one import (what the file held and what was dropped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportFigures {
    /// The file imported (as given).
    pub source: String,
    /// Ways with a `highway` or `route=ferry` tag.
    pub ways_read: u64,
    /// Ways that at least one mode may use.
    pub ways_used: u64,
    /// Usable ways that refer to nodes missing from the file (clipped extracts); they are cut
    /// at the missing nodes.
    pub ways_cut: u64,
    /// References to missing nodes.
    pub missing_node_refs: u64,
    /// Barrier nodes on usable ways that stop at least one mode (`barrier=*` with its access
    /// tags, [`super::tags::barrier_passage`]).
    #[serde(default)]
    pub barriers: u64,
    /// Turn restrictions applied to e-bikes (`type=restriction` relations from a way over a
    /// node to a way, [`super::turns`]).
    #[serde(default)]
    pub turn_restrictions: u64,
    /// Turn restrictions left out: over a via way, with members missing from the file, or at
    /// a barrier node.
    #[serde(default)]
    pub turn_restrictions_skipped: u64,
    /// Wall time of the import, seconds.
    pub elapsed_s: f64,
}

/// Figures of one mode's part of the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModeFigures {
    /// The mode.
    pub mode: TravelMode,
    /// Directed edges the mode may traverse.
    pub edges: u64,
    /// Kilometres of road the mode may use (each segment once, in either direction).
    pub road_km: f64,
    /// Connected components (ignoring direction) of the mode's segments.
    pub components: u64,
    /// Share of the mode's nodes in the largest component, 0–1.
    pub largest_component_share: f64,
}

/// Figures of a graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GraphFigures {
    /// Nodes (OSM nodes used by a segment).
    pub nodes: u64,
    /// Segments (undirected; each carries per-mode direction flags).
    pub segments: u64,
    /// Per mode.
    pub modes: Vec<ModeFigures>,
    /// Bytes of memory per segment held by the graph (arrays, adjacency, components, the
    /// snapping grid; allocator overhead excluded).
    pub bytes_per_segment: f64,
    /// Bytes per segment of the stored file.
    pub file_bytes_per_segment: f64,
}

/// A road graph. Node positions are stored as OSM stores them (1e-7 degrees, i32); segment
/// lengths in metres (f32); ids are u32.
#[derive(Debug, Clone)]
pub struct RoadGraph {
    pub(crate) lon_e7: Vec<i32>,
    pub(crate) lat_e7: Vec<i32>,
    pub(crate) seg_u: Vec<u32>,
    pub(crate) seg_v: Vec<u32>,
    pub(crate) seg_len_m: Vec<f32>,
    pub(crate) seg_flags: Vec<u8>,
    /// Per segment: its road class ([`RawSegment::class`]).
    pub(crate) seg_class: Vec<u8>,
    /// Per segment: the junction delay, in twentieths of a second (every value of the model is
    /// a multiple of 0.05 s), of arriving on it at `v` (index 0) and at `u` (index 1)
    /// ([`RoadGraph::junction_delay_s`]).
    pub(crate) arrival_delay_20ths: Vec<[u8; 2]>,
    /// CSR: the segments at node `i` are `adj[adj_start[i]..adj_start[i + 1]]`.
    pub(crate) adj_start: Vec<u32>,
    pub(crate) adj: Vec<u32>,
    /// Per mode: component id of each node (`u32::MAX`: the mode uses no segment there).
    pub(crate) component: [Vec<u32>; 2],
    pub(crate) component_size: [Vec<u32>; 2],

    /// Per segment: the bits of `snap_bits(mode)` set when positions may snap to it in that
    /// mode as an origin and as a destination ([`RoadGraph::snappable`]).
    pub(crate) seg_snap: Vec<u8>,
    /// The segments by grid cell in the local plane, for snapping.
    pub(crate) grid: SegmentGrid,
    pub(crate) proj: LocalProjection,
    /// A lower bound of [`local_distance_m`] over the plane's distance for snaps of up to
    /// [`TIGHT_SNAP_MAX_M`] ([`LocalProjection::scale_floor`] over the graph's latitudes).
    pub(crate) snap_scale: f64,
    /// The straight runs of segments ([`super::runs`]): a service area reached over a whole
    /// run draws it as one piece.
    pub(crate) runs: super::runs::Runs,
    /// Idle working memory of searches on this graph ([`super::labels`]).
    pub(crate) label_pool: super::labels::LabelPool,
    /// Positions snapped to this graph for network coverage, kept for the next analysis of
    /// the same cells ([`super::reach::SnapCache`]).
    pub(crate) snap_cache: super::reach::SnapCache,
    /// Figures of the import that made the graph.
    pub import: ImportFigures,
    /// A number no other graph built or loaded by this process has (a clone keeps it: it
    /// holds the same roads), so snaps made on one graph are never used on another.
    pub(crate) id: u64,
}

/// The next [`RoadGraph::id`].
static NEXT_GRAPH_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A plane tangent to the ellipsoid at the graph's centre, metres: used to rank segments for
/// snapping (the true distance is then computed with
/// [`local_distance_m`]). Over a province (±3° of latitude) its scale errs by up to 6 %, which
/// the snapping search allows for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LocalProjection {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalProjection {
    fn new(lon0: f64, lat0: f64) -> Self {
        let (n, m) = radii_m(lat0);
        Self {
            lon0,
            lat0,
            kx: n * lat0.to_radians().cos() * std::f64::consts::PI / 180.0,
            ky: m * std::f64::consts::PI / 180.0,
        }
    }
    pub(crate) fn forward(&self, p: LonLat) -> [f64; 2] {
        [(p.lon - self.lon0) * self.kx, (p.lat - self.lat0) * self.ky]
    }
    pub(crate) fn inverse(&self, xy: [f64; 2]) -> LonLat {
        LonLat {
            lon: self.lon0 + xy[0] / self.kx,
            lat: self.lat0 + xy[1] / self.ky,
        }
    }

    /// A lower bound of `local_distance_m(a, b) / |forward(b) − forward(a)|` for any two
    /// positions whose mid-latitude lies in `lat_lo..=lat_hi` degrees (0 when the range is
    /// empty or not finite).
    ///
    /// [`local_distance_m`] scales the latitude difference by the meridian radius `M(φm)` and
    /// the longitude difference by `N(φm) cos φm` at the mid-latitude `φm`; the plane by the
    /// same radii at its centre. So the ratio lies between the smallest and the largest of
    /// `M(φm) / M(φ0)` and `N(φm) cos φm / (N(φ0) cos φ0)` over the range. `M` grows with
    /// `|φ|` and `N cos φ` (the radius of the parallel) shrinks with it, so their smallest
    /// values are at the ends of the range or at the equator. A relative 10⁻⁹ is taken off
    /// for rounding. For central Helsinki (0.02° of latitude) it is 0.9994; the fixed
    /// bound it replaced for snapping (1 / 1.07, for ±3°) made every snap scan 7 % and a
    /// metre farther than needed.
    pub(crate) fn scale_floor(&self, lat_lo: f64, lat_hi: f64) -> f64 {
        let (lo, hi) = (lat_lo.max(-90.0), lat_hi.min(90.0));
        if lo.is_nan() || hi.is_nan() || lo > hi || self.kx <= 0.0 || self.ky <= 0.0 {
            return 0.0;
        }
        let ratios = |lat: f64| {
            let (n, m) = radii_m(lat);
            let k = std::f64::consts::PI / 180.0;
            let x = n * lat.to_radians().cos() * k / self.kx;
            let y = m * k / self.ky;
            x.min(y)
        };
        let mut floor = ratios(lo).min(ratios(hi));
        if lo < 0.0 && hi > 0.0 {
            floor = floor.min(ratios(0.0));
        }
        (floor * (1.0 - 1e-9)).max(0.0)
    }
}

/// Prime-vertical and meridian radii of curvature of WGS-84 at `lat` degrees, metres:
/// `N = a / W`, `M = a (1 − e²) / W³`, `W = √(1 − e² sin² φ)`.
fn radii_m(lat: f64) -> (f64, f64) {
    let a = 6_378_137.0f64;
    let f = 1.0 / 298.257_223_563;
    let e2 = f * (2.0 - f);
    let s = lat.to_radians().sin();
    let w2 = 1.0 - e2 * s * s;
    (a / w2.sqrt(), a * (1.0 - e2) / (w2 * w2.sqrt()))
}

/// Largest snap distance, metres, for which snapping uses the graph's own scale bound
/// ([`LocalProjection::scale_floor`] over its latitudes padded by [`SCALE_PAD_DEG`]); beyond
/// it the fixed bound for ±3° (7 % and a metre) is kept. A candidate road within this
/// distance in the plane has its mid-latitude with the position within 0.005° of the road.
pub(crate) const TIGHT_SNAP_MAX_M: f64 = 1_000.0;

/// Latitude added on each side of the graph's nodes for [`RoadGraph::snap_scale`], degrees
/// (0.01°, 1.1 km: twice what [`TIGHT_SNAP_MAX_M`] needs).
const SCALE_PAD_DEG: f64 = 0.01;

/// One road segment as the importer produces it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawSegment {
    /// Start node (index into the node arrays).
    pub u: u32,
    /// End node.
    pub v: u32,
    /// Flags ([`WALK_FORWARD`] …).
    pub flags: u8,
    /// Road class for junction delays ([`super::tags::road_class`]: 0 motorway … 5
    /// unclassified, 6 residential, 7 service and ways for people).
    pub class: u8,
}

impl RawSegment {
    /// A segment of class 5 (unclassified) when it carries [`MOTOR`], else 7: the class of
    /// minor roads, which meet other minor roads with Valhalla's stop impact 3.
    pub fn new(u: u32, v: u32, flags: u8) -> Self {
        let class = if flags & MOTOR != 0 { 5 } else { 7 };
        RawSegment { u, v, flags, class }
    }
}

impl RoadGraph {
    /// Builds a graph from node positions (`[lon, lat]` in 1e-7 degrees) and segments.
    /// Segment lengths are computed here (ellipsoidal plane at the mid latitude,
    /// [`local_distance_m`], error below 1e-5 of the length). Nodes that no segment uses are
    /// dropped and the rest renumbered.
    ///
    /// # Errors
    /// [`RoutingError::NoUsableWays`] when `segments` is empty.
    pub fn build(
        lon_e7: Vec<i32>,
        lat_e7: Vec<i32>,
        segments: Vec<RawSegment>,
        import: ImportFigures,
    ) -> Result<Self, RoutingError> {
        if segments.is_empty() {
            return Err(RoutingError::NoUsableWays(import.source.clone()));
        }
        // Keep only used nodes.
        let mut new_id = vec![u32::MAX; lon_e7.len()];
        let mut lons = Vec::new();
        let mut lats = Vec::new();
        let mut seg_u = Vec::with_capacity(segments.len());
        let mut seg_v = Vec::with_capacity(segments.len());
        let mut seg_flags = Vec::with_capacity(segments.len());
        let mut seg_class = Vec::with_capacity(segments.len());
        for s in &segments {
            for &n in &[s.u, s.v] {
                if new_id[n as usize] == u32::MAX {
                    new_id[n as usize] = lons.len() as u32;
                    lons.push(lon_e7[n as usize]);
                    lats.push(lat_e7[n as usize]);
                }
            }
            seg_u.push(new_id[s.u as usize]);
            seg_v.push(new_id[s.v as usize]);
            seg_flags.push(s.flags);
            seg_class.push(s.class);
        }
        let at = |i: u32| LonLat {
            lon: lons[i as usize] as f64 * 1e-7,
            lat: lats[i as usize] as f64 * 1e-7,
        };
        let seg_len_m = (0..seg_u.len())
            .map(|s| local_distance_m(at(seg_u[s]), at(seg_v[s])) as f32)
            .collect();
        Ok(Self::from_arrays(
            lons, lats, seg_u, seg_v, seg_len_m, seg_flags, seg_class, import,
        ))
    }

    /// A graph from its stored arrays, with everything derived from them computed.
    #[expect(
        clippy::too_many_arguments,
        reason = "the stored arrays, one argument each"
    )]
    fn from_arrays(
        lon_e7: Vec<i32>,
        lat_e7: Vec<i32>,
        seg_u: Vec<u32>,
        seg_v: Vec<u32>,
        seg_len_m: Vec<f32>,
        seg_flags: Vec<u8>,
        seg_class: Vec<u8>,
        import: ImportFigures,
    ) -> Self {
        let mut g = RoadGraph {
            lon_e7,
            lat_e7,
            seg_u,
            seg_v,
            seg_len_m,
            seg_flags,
            seg_class,
            arrival_delay_20ths: Vec::new(),
            adj_start: Vec::new(),
            adj: Vec::new(),
            component: [Vec::new(), Vec::new()],
            component_size: [Vec::new(), Vec::new()],
            seg_snap: Vec::new(),
            grid: SegmentGrid::default(),
            proj: LocalProjection::default(),
            snap_scale: 0.0,
            runs: Default::default(),
            label_pool: Default::default(),
            snap_cache: Default::default(),
            import,
            id: NEXT_GRAPH_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        g.derive();
        g
    }

    /// Computes the adjacency, components, projection and snapping grid from the stored arrays.
    fn derive(&mut self) {
        let n = self.lon_e7.len();
        let m = self.seg_u.len();
        let mut deg = vec![0u32; n + 1];
        for s in 0..m {
            deg[self.seg_u[s] as usize + 1] += 1;
            if self.seg_v[s] != self.seg_u[s] {
                deg[self.seg_v[s] as usize + 1] += 1;
            }
        }
        for i in 0..n {
            deg[i + 1] += deg[i];
        }
        let mut fill = deg.clone();
        let mut adj = vec![0u32; deg[n] as usize];
        for s in 0..m {
            let u = self.seg_u[s] as usize;
            adj[fill[u] as usize] = s as u32;
            fill[u] += 1;
            let v = self.seg_v[s] as usize;
            if v != u {
                adj[fill[v] as usize] = s as u32;
                fill[v] += 1;
            }
        }
        self.adj_start = deg;
        self.adj = adj;
        self.arrival_delay_20ths = self.arrival_delays();
        self.seg_snap = vec![0u8; m];
        for mode in TravelMode::ALL {
            let (f, b) = mode_bits(*mode);
            let (comp, size) = components(n, &self.seg_u, &self.seg_v, |s| {
                self.seg_flags[s] & (f | b) != 0
            });
            self.component[mode_index(*mode)] = comp;
            self.component_size[mode_index(*mode)] = size;
            let (scc, scc_size) = self.strong_components(f, b);
            let min = MIN_SNAP_COMPONENT_NODES.min(scc_size.iter().copied().max().unwrap_or(0));
            let big: Vec<bool> = scc
                .iter()
                .map(|&c| c != u32::MAX && scc_size[c as usize] >= min)
                .collect();
            // Nodes a large component can be reached from (`leaves`) and nodes reachable from
            // one (`enters`), one-way streets obeyed.
            let leaves = self.spread(&big, f, b, true);
            let enters = self.spread(&big, f, b, false);
            let (origin_bit, destination_bit) = snap_bits(*mode);
            for s in 0..m {
                let fl = self.seg_flags[s];
                let (u, v) = (self.seg_u[s] as usize, self.seg_v[s] as usize);
                let (fwd, bwd) = (fl & f != 0, fl & b != 0);
                if (fwd && leaves[v]) || (bwd && leaves[u]) {
                    self.seg_snap[s] |= origin_bit;
                }
                if (fwd && enters[u]) || (bwd && enters[v]) {
                    self.seg_snap[s] |= destination_bit;
                }
            }
        }
        let (mut lon_sum, mut lat_sum) = (0.0, 0.0);
        for i in 0..n {
            lon_sum += self.lon_e7[i] as f64 * 1e-7;
            lat_sum += self.lat_e7[i] as f64 * 1e-7;
        }
        self.proj = LocalProjection::new(lon_sum / n.max(1) as f64, lat_sum / n.max(1) as f64);
        let (lat_min, lat_max) = self
            .lat_e7
            .iter()
            .fold((i32::MAX, i32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        self.snap_scale = self.proj.scale_floor(
            lat_min as f64 * 1e-7 - SCALE_PAD_DEG,
            lat_max as f64 * 1e-7 + SCALE_PAD_DEG,
        );
        let ends: Vec<([f64; 2], [f64; 2])> = (0..m)
            .map(|s| (self.xy(self.seg_u[s]), self.xy(self.seg_v[s])))
            .collect();
        self.grid = SegmentGrid::new(&ends);
        self.runs = super::runs::Runs::of(self);
    }

    /// Seconds an e-bike loses passing `node` after arriving on segment `via` (one of its
    /// ends), by Valhalla's bicycle transition model carried node by node
    /// ([`CROSSING_TURN_COST_S`] for the source): where at least two segments besides `via`
    /// are open to motor vehicles, `stop impact × turn cost`, with the stop impact
    /// `c(via) − c(best) + 3` (0 when below −3) of the classes of `via` (at most 5) and of
    /// the best other motor road (at most 5) but one of `via`'s own class, taken as its
    /// continuation, and the turn cost [`CROSSING_TURN_COST_S`] where four or more segments
    /// meet (a crossing) and [`TEE_TURN_COST_S`] where three do; at most
    /// [`MAX_JUNCTION_DELAY_S`]. Minor roads meeting: 2.25 s and 0.9 s; riding a primary road
    /// past minor ones: 0; a minor road onto a primary one: 4.5 s and 1.8 s. Against
    /// Valhalla's own delays along its 999 Helsinki bicycle routes (original tiles) this
    /// errs by a median 1.2 % and a 95th percentile 3.8 % of the trip's time (docs/roads.md).
    /// Otherwise 0 (a footway or driveway crossing a street, a bend, the
    /// join of two ways; a zero-length link between copies of a node). Pedestrians are
    /// charged nothing. Precomputed per segment end.
    #[inline]
    pub fn junction_delay_s(&self, node: u32, via: u32) -> f64 {
        let end = usize::from(self.seg_v[via as usize] != node);
        f64::from(self.arrival_delay_20ths[via as usize][end]) * 0.05
    }

    /// [`RoadGraph::junction_delay_s`] of every segment end, twentieths of a second. The
    /// segments that meet at a node are its own, except [`SPLIT`] duplicates, and, for a copy
    /// of a node split for turn restrictions, those of the copies its zero-length links lead
    /// to; a duplicate arriving somewhere counts as its twin there.
    fn arrival_delays(&self) -> Vec<[u8; 2]> {
        let m = self.seg_u.len();
        let is_link = |s: usize| self.seg_flags[s] & SPLIT != 0 && self.seg_len_m[s] == 0.0;
        let own = |x: u32| {
            let (a, b) = (
                self.adj_start[x as usize] as usize,
                self.adj_start[x as usize + 1] as usize,
            );
            self.adj[a..b]
                .iter()
                .copied()
                .filter(move |&s| self.seg_flags[s as usize] & SPLIT == 0)
        };
        let other_end = |s: usize, x: u32| {
            if self.seg_u[s] == x {
                self.seg_v[s]
            } else {
                self.seg_u[s]
            }
        };
        let mut out = vec![[0u8; 2]; m];
        let mut members: Vec<u32> = Vec::new();
        for (s, delays) in out.iter_mut().enumerate() {
            if is_link(s) {
                continue;
            }
            for (end, x) in [(0usize, self.seg_v[s]), (1, self.seg_u[s])] {
                members.clear();
                members.extend(own(x));
                let (a, b) = (
                    self.adj_start[x as usize] as usize,
                    self.adj_start[x as usize + 1] as usize,
                );
                for &l in &self.adj[a..b] {
                    if is_link(l as usize) {
                        members.extend(own(other_end(l as usize, x)));
                    }
                }
                // The arrival: `s` itself, or for a duplicate its twin here (the member whose
                // far end lies where the duplicate's does).
                let far = other_end(s, x);
                let twin = if self.seg_flags[s] & SPLIT == 0 {
                    Some(s as u32)
                } else {
                    members.iter().copied().find(|&t| {
                        let f = other_end(t as usize, x);
                        self.lon_e7[f as usize] == self.lon_e7[far as usize]
                            && self.lat_e7[f as usize] == self.lat_e7[far as usize]
                    })
                };
                // One other road of the class arrived on is taken as its continuation and
                // left out of the best class (Valhalla leaves out the edge the trip leaves
                // on; going straight on, that is the continuation).
                let class = self.seg_class[s];
                let mut continuation = false;
                let mut motor_others = 0;
                let mut best = 5u8;
                for &t in &members {
                    if Some(t) != twin && self.seg_flags[t as usize] & MOTOR != 0 {
                        motor_others += 1;
                        let c = self.seg_class[t as usize];
                        if c == class && !continuation {
                            continuation = true;
                        } else {
                            best = best.min(c);
                        }
                    }
                }
                if motor_others < 2 {
                    continue;
                }
                let from = i32::from(self.seg_class[s].min(5));
                let impact = from - i32::from(best);
                let stop_impact = if impact < -3 { 0 } else { impact + 3 };
                let turn = if members.len() >= 4 {
                    CROSSING_TURN_COST_S
                } else {
                    TEE_TURN_COST_S
                };
                // Every value is a whole number of twentieths (0.75 = 15/20, 0.3 = 6/20), at
                // most 8 × 15 = 120.
                delays[end] = (f64::from(stop_impact) * turn * 20.0).round() as u8;
            }
        }
        out
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.lon_e7.len()
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.seg_u.len()
    }

    /// Position of node `i` in the graph's local plane, metres east and north of its centre.
    #[inline]
    pub(crate) fn xy(&self, i: u32) -> [f64; 2] {
        self.proj.forward(self.node(i))
    }

    /// Position of node `i`.
    pub fn node(&self, i: u32) -> LonLat {
        LonLat {
            lon: self.lon_e7[i as usize] as f64 * 1e-7,
            lat: self.lat_e7[i as usize] as f64 * 1e-7,
        }
    }

    /// Whether positions may snap to segment `s` in `mode` as a trip's `role` end: the mode
    /// may use it, and, for an origin, a strongly connected component large enough (see
    /// [`MIN_SNAP_COMPONENT_NODES`]) can be reached from it; for a destination, it can be
    /// reached from one. A one-way street that only leads out of the network's core is a
    /// start, not an end.
    pub(crate) fn snappable(&self, s: u32, mode: TravelMode, role: SnapRole) -> bool {
        let (o, d) = snap_bits(mode);
        let bit = match role {
            SnapRole::Origin => o,
            SnapRole::Destination => d,
        };
        self.seg_snap[s as usize] & bit != 0
    }

    /// Marks every node from which (`backward`) or to which (`!backward`) a move along usable
    /// segments (forward flag `f`, backward flag `b`) leads from a node marked in `seed`.
    fn spread(&self, seed: &[bool], f: u8, b: u8, backward: bool) -> Vec<bool> {
        let mut marked = seed.to_vec();
        let mut stack: Vec<u32> = (0..seed.len() as u32)
            .filter(|&i| seed[i as usize])
            .collect();
        while let Some(x) = stack.pop() {
            let (a, z) = (
                self.adj_start[x as usize] as usize,
                self.adj_start[x as usize + 1] as usize,
            );
            for &s in &self.adj[a..z] {
                let si = s as usize;
                let fl = self.seg_flags[si];
                let (u, v) = (self.seg_u[si], self.seg_v[si]);
                // Searching forward, x → other must be allowed; backward, other → x.
                let (other, bit) = match (u == x, backward) {
                    (true, false) => (v, f),
                    (true, true) => (v, b),
                    (false, false) => (u, b),
                    (false, true) => (u, f),
                };
                if fl & bit != 0 && !marked[other as usize] {
                    marked[other as usize] = true;
                    stack.push(other);
                }
            }
        }
        marked
    }

    /// Strongly connected components of the directed graph of the segments usable forward
    /// (flag `f`: from `u` to `v`) or backward (flag `b`), by Tarjan's algorithm (R. Tarjan,
    /// "Depth-first search and linear graph algorithms", SIAM J. Computing 1(2), 1972), made
    /// iterative with an explicit stack. Returns each node's component id (`u32::MAX` for
    /// nodes no usable segment touches) and each component's node count.
    fn strong_components(&self, f: u8, b: u8) -> (Vec<u32>, Vec<u32>) {
        const UNSEEN: u32 = u32::MAX;
        let n = self.lon_e7.len();
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut comp = vec![u32::MAX; n];
        let mut sizes: Vec<u32> = Vec::new();
        let mut stack: Vec<u32> = Vec::new();
        // Depth-first frames: (node, position in its adjacency list).
        let mut frames: Vec<(u32, u32)> = Vec::new();
        let mut next_index = 0u32;
        // The node segment `s` leads to from `x`, if the mode may go that way.
        let head = |s: u32, x: u32| -> Option<u32> {
            let si = s as usize;
            let (u, v, fl) = (self.seg_u[si], self.seg_v[si], self.seg_flags[si]);
            if u == x && fl & f != 0 && v != x {
                Some(v)
            } else if v == x && fl & b != 0 && u != x {
                Some(u)
            } else {
                None
            }
        };
        let touched = |x: usize| {
            self.adj[self.adj_start[x] as usize..self.adj_start[x + 1] as usize]
                .iter()
                .any(|&s| self.seg_flags[s as usize] & (f | b) != 0)
        };
        for root in 0..n {
            if index[root] != UNSEEN || !touched(root) {
                continue;
            }
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root as u32);
            on_stack[root] = true;
            frames.push((root as u32, self.adj_start[root]));
            while let Some(&(x, start)) = frames.last() {
                let xi = x as usize;
                let end = self.adj_start[xi + 1];
                let mut pos = start;
                let mut descended = false;
                while pos < end {
                    let s = self.adj[pos as usize];
                    pos += 1;
                    let Some(y) = head(s, x) else { continue };
                    let yi = y as usize;
                    if index[yi] == UNSEEN {
                        if let Some(top) = frames.last_mut() {
                            top.1 = pos;
                        }
                        index[yi] = next_index;
                        low[yi] = next_index;
                        next_index += 1;
                        stack.push(y);
                        on_stack[yi] = true;
                        frames.push((y, self.adj_start[yi]));
                        descended = true;
                        break;
                    } else if on_stack[yi] {
                        low[xi] = low[xi].min(index[yi]);
                    }
                }
                if descended {
                    continue;
                }
                // All of x's arcs are done.
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    let pi = parent as usize;
                    low[pi] = low[pi].min(low[xi]);
                }
                if low[xi] == index[xi] {
                    let id = sizes.len() as u32;
                    let mut size = 0u32;
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = id;
                        size += 1;
                        if w == x {
                            break;
                        }
                    }
                    sizes.push(size);
                }
            }
        }
        (comp, sizes)
    }

    /// Travel time along the whole of segment `s` in `mode`, seconds.
    pub(crate) fn segment_time_s(&self, s: u32, speed_m_per_s: f64) -> f64 {
        let v = if self.seg_flags[s as usize] & FERRY != 0 {
            FERRY_SPEED_M_PER_S
        } else {
            speed_m_per_s
        };
        // Times the reciprocal, as the search computes it (`search::Search`): one value.
        self.seg_len_m[s as usize] as f64 * (1.0 / v)
    }

    /// The largest speed any usable edge allows `mode`, m/s (the mode's speed, or the ferry's
    /// if faster and the graph has a ferry): a straight-line distance divided by it is a lower
    /// bound on the travel time.
    pub fn max_speed_m_per_s(&self, mode: TravelMode, speeds: &Speeds) -> f64 {
        let (f, b) = mode_bits(mode);
        let ferry = self
            .seg_flags
            .iter()
            .any(|&x| x & FERRY != 0 && x & (f | b) != 0);
        if ferry {
            speeds.of(mode).max(FERRY_SPEED_M_PER_S)
        } else {
            speeds.of(mode)
        }
    }

    /// Figures: nodes, segments, per-mode edges, km, components, share of the largest, bytes.
    pub fn figures(&self) -> GraphFigures {
        let n = self.node_count();
        let m = self.segment_count();
        let modes = TravelMode::ALL
            .iter()
            .map(|&mode| {
                let (f, b) = mode_bits(mode);
                let mut edges = 0u64;
                let mut km = 0.0;
                for s in 0..m {
                    let fl = self.seg_flags[s];
                    if fl & SPLIT != 0 {
                        continue; // links and duplicates of split nodes
                    }
                    edges += u64::from(fl & f != 0) + u64::from(fl & b != 0);
                    if fl & (f | b) != 0 {
                        km += self.seg_len_m[s] as f64 / 1000.0;
                    }
                }
                let sizes = &self.component_size[mode_index(mode)];
                let used: u64 = sizes.iter().map(|&x| x as u64).sum();
                let largest = sizes.iter().copied().max().unwrap_or(0) as f64;
                ModeFigures {
                    mode,
                    edges,
                    road_km: km,
                    components: sizes.len() as u64,
                    largest_component_share: if used == 0 {
                        0.0
                    } else {
                        largest / used as f64
                    },
                }
            })
            .collect();
        let node_bytes = 4 + 4 + 4 + 2 * 4; // lon, lat, adj_start, component ×2
                                            // u, v, len, flags, snap bits, two adjacency entries, class, two junction delays
        let seg_bytes = 4 + 4 + 4 + 1 + 1 + 2 * 4 + 1 + 2;
        let mem = n * node_bytes + m * seg_bytes + self.grid.bytes() + self.runs.bytes();
        GraphFigures {
            nodes: n as u64,
            segments: m as u64,
            modes,
            bytes_per_segment: mem as f64 / m.max(1) as f64,
            file_bytes_per_segment: (n * 8 + m * 14) as f64 / m.max(1) as f64,
        }
    }

    /// Writes the graph to `path` atomically (a temporary file renamed over it), so a reader
    /// never sees half a file and a failed write leaves the previous graph in place.
    ///
    /// # Errors
    /// [`RoutingError::File`] when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), RoutingError> {
        let io = |e: std::io::Error| RoutingError::from(FileError::write(path, e));
        let tmp = path.with_extension("roads.tmp");
        {
            let f = std::fs::File::create(&tmp).map_err(io)?;
            let mut w = std::io::BufWriter::new(f);
            let meta = serde_json::to_vec(&self.import).map_err(|e| io(e.into()))?;
            w.write_all(MAGIC).map_err(io)?;
            for x in [
                meta.len() as u64,
                self.lon_e7.len() as u64,
                self.seg_u.len() as u64,
            ] {
                w.write_all(&x.to_le_bytes()).map_err(io)?;
            }
            w.write_all(&meta).map_err(io)?;
            for a in [&self.lon_e7, &self.lat_e7] {
                for x in a.iter() {
                    w.write_all(&x.to_le_bytes()).map_err(io)?;
                }
            }
            for a in [&self.seg_u, &self.seg_v] {
                for x in a.iter() {
                    w.write_all(&x.to_le_bytes()).map_err(io)?;
                }
            }
            for x in &self.seg_len_m {
                w.write_all(&x.to_le_bytes()).map_err(io)?;
            }
            w.write_all(&self.seg_flags).map_err(io)?;
            w.write_all(&self.seg_class).map_err(io)?;
            w.flush().map_err(io)?;
            w.get_ref().sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a graph written by [`RoadGraph::save`].
    ///
    /// # Errors
    /// [`RoutingError::File`] when the file cannot be read, [`RoutingError::BadGraphFile`] when
    /// it is not a graph file or is damaged.
    pub fn load(path: &Path) -> Result<Self, RoutingError> {
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| FileError::read(path, e))?;
        let bad = |why: &str| RoutingError::BadGraphFile(name.clone(), why.to_string());
        if bytes.len() >= 8 && &bytes[..8] == MAGIC_V1 {
            return Err(bad(
                "written by an older version without junction data; run `nuanxin roads import` again (由旧版本写入，请重新导入道路)",
            ));
        }
        if bytes.len() < 32 || &bytes[..8] != MAGIC {
            return Err(bad("not a Nuanxin road graph (wrong magic number)"));
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[8 + 8 * i..16 + 8 * i]);
            u64::from_le_bytes(w)
        };
        let (meta_len, n, m) = (word(0) as usize, word(1) as usize, word(2) as usize);
        let expected = 32usize
            .checked_add(meta_len)
            .and_then(|x| x.checked_add(n.checked_mul(8)?))
            .and_then(|x| x.checked_add(m.checked_mul(14)?));
        if expected != Some(bytes.len()) {
            return Err(bad("truncated or damaged (size does not match its header)"));
        }
        let import: ImportFigures = serde_json::from_slice(&bytes[32..32 + meta_len])
            .map_err(|e| RoutingError::BadGraphHeader(name.clone(), e))?;
        let mut at = 32 + meta_len;
        let mut take = |len: usize| {
            let s = &bytes[at..at + len];
            at += len;
            s
        };
        let i32s = |b: &[u8]| -> Vec<i32> {
            b.chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let u32s = |b: &[u8]| -> Vec<u32> {
            b.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let lon_e7 = i32s(take(4 * n));
        let lat_e7 = i32s(take(4 * n));
        let seg_u = u32s(take(4 * m));
        let seg_v = u32s(take(4 * m));
        let seg_len_m: Vec<f32> = take(4 * m)
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let seg_flags = take(m).to_vec();
        let seg_class = take(m).to_vec();
        if seg_u.iter().chain(&seg_v).any(|&x| x as usize >= n)
            || seg_len_m.iter().any(|l| !(l.is_finite() && *l >= 0.0))
        {
            return Err(bad("damaged (a segment refers to a missing node)"));
        }
        if m == 0 {
            return Err(bad("holds no segment"));
        }
        Ok(Self::from_arrays(
            lon_e7, lat_e7, seg_u, seg_v, seg_len_m, seg_flags, seg_class, import,
        ))
    }
}

/// Connected components (ignoring direction) of the segments `usable` admits, by union-find
/// with path halving and union by size. Returns each node's component id (`u32::MAX` for nodes
/// no usable segment touches) and each component's node count.
fn components(
    n: usize,
    seg_u: &[u32],
    seg_v: &[u32],
    usable: impl Fn(usize) -> bool,
) -> (Vec<u32>, Vec<u32>) {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut size = vec![1u32; n];
    let mut touched = vec![false; n];
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let p = parent[parent[x as usize] as usize];
            parent[x as usize] = p;
            x = p;
        }
        x
    }
    for s in 0..seg_u.len() {
        if !usable(s) {
            continue;
        }
        touched[seg_u[s] as usize] = true;
        touched[seg_v[s] as usize] = true;
        let (a, b) = (find(&mut parent, seg_u[s]), find(&mut parent, seg_v[s]));
        if a != b {
            let (big, small) = if size[a as usize] >= size[b as usize] {
                (a, b)
            } else {
                (b, a)
            };
            parent[small as usize] = big;
            size[big as usize] += size[small as usize];
        }
    }
    let mut id_of_root = vec![u32::MAX; n];
    let mut comp = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    for i in 0..n {
        if !touched[i] {
            continue;
        }
        let r = find(&mut parent, i as u32) as usize;
        if id_of_root[r] == u32::MAX {
            id_of_root[r] = sizes.len() as u32;
            sizes.push(0);
        }
        comp[i] = id_of_root[r];
        sizes[id_of_root[r] as usize] += 1;
    }
    (comp, sizes)
}
