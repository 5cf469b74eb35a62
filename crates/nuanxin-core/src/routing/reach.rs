//! Network reach for coverage: one multi-source search from every station ([`NetworkReach`]),
//! and the H3 cell centres of an area snapped to the roads once per graph, mode and snap
//! limit ([`SnappedCells`], kept in the graph's [`SnapCache`]).
//!
//! **Why a cache.** Deciding a cell costs a snap of its centre (a scan of the segment grid
//! and an ellipsoidal distance per candidate road) and two label look-ups; the snap is most
//! of it. A planner runs the coverage of the same district again and again (another speed,
//! other minutes, what-if moves, proposals), and every run snaps the same centres to the
//! same roads. The cache lives in the [`RoadGraph`] itself, so its key is the graph's
//! identity without further ado (a new import is a new graph with an empty cache), plus the
//! cells (their H3 indices, which fix the resolution), the mode and the snap limit. On
//! central Helsinki (1 003 cells at resolution 11, 6 stations, 5 minutes on foot) a cold
//! network coverage took 1.52 ms and a warm one 0.46 ms (median wall, release, load 12.7;
//! `pgr_drivingDistance` alone took 15.6–56.6 ms), the search from the stations being
//! nearly all of the warm time (release timings in the
//! docs/benchmarks.md, "Network coverage against pgRouting").

use super::graph::{RoadGraph, SnapRole};
use super::labels::NONE;
use super::search::{along_same_segment, departures, OnRoad, Search, Snap};
use crate::coverage::grid::CellGrid;
use crate::model::LonLat;
use crate::travel::{Speeds, TravelMode};
use h3o::CellIndex;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Largest number of cells the snap cache of one graph holds, over all its entries (32 bytes
/// each: 64 MB at most); the least recently used entries go first. A grid larger than this
/// is snapped for each analysis and not kept.
pub const SNAP_CACHE_MAX_CELLS: usize = 2_000_000;

/// Largest number of grids the snap cache of one graph holds.
const SNAP_CACHE_MAX_ENTRIES: usize = 16;

/// Grids of at least this many cells are snapped on all cores ([`crate::coverage`]'s
/// `par_chunks` splits below 2 048 cells anyway).
const PARALLEL_MIN_CELLS: usize = 4096;

/// Where one cell centre meets the road network (a compact [`Snap`]: no snapped position).
#[derive(Debug, Clone, Copy, PartialEq)]
struct CellSnap {
    /// The segment, [`NONE`] when no usable road lies within the snap limit.
    segment: u32,
    /// Position along the segment from its start node.
    fraction: f64,
    /// Distance from the centre to the road, metres.
    distance_m: f64,
}

impl CellSnap {
    const OFF_ROAD: CellSnap = CellSnap {
        segment: NONE,
        fraction: 0.0,
        distance_m: f64::INFINITY,
    };

    fn of(s: Option<Snap>) -> Self {
        s.map_or(Self::OFF_ROAD, |s| CellSnap {
            segment: s.segment,
            fraction: s.fraction,
            distance_m: s.distance_m,
        })
    }
}

/// The centres of a [`CellGrid`]'s cells snapped to one [`RoadGraph`] for one mode and snap
/// limit ([`RoadGraph::snap`] of each centre), in the grid's order; what
/// [`NetworkReach::time_to_cell`] decides each cell from. Made by
/// [`RoadGraph::snapped_cells`] (kept in the graph's cache) or [`RoadGraph::snap_cells`].
#[derive(Debug)]
pub struct SnappedCells {
    graph: u64,
    mode: TravelMode,
    max_snap_m: f64,
    cells: Vec<CellIndex>,
    snaps: Vec<CellSnap>,
}

impl SnappedCells {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.snaps.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.snaps.is_empty()
    }

    /// Number of cells whose centre lies within the snap limit of a usable road.
    pub fn on_road(&self) -> usize {
        self.snaps.iter().filter(|s| s.segment != NONE).count()
    }

    /// Bytes held (the cells and their snaps).
    fn bytes(&self) -> usize {
        self.cells.len() * std::mem::size_of::<CellIndex>()
            + self.snaps.len() * std::mem::size_of::<CellSnap>()
    }
}

/// The graph's snapped grids, least recently used first (see the [module docs](self)).
/// Cloning a graph gives the clone an empty cache.
#[derive(Debug, Default)]
pub(crate) struct SnapCache(Mutex<Vec<Arc<SnappedCells>>>);

impl Clone for SnapCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl SnapCache {
    /// The cached snaps of `cells` for `mode` and `max_snap_m`, if any (made the most
    /// recently used).
    fn get(
        &self,
        cells: &[CellIndex],
        mode: TravelMode,
        max_snap_m: f64,
    ) -> Option<Arc<SnappedCells>> {
        let mut v = self.0.lock().ok()?;
        let i = v.iter().position(|e| {
            e.mode == mode
                && e.max_snap_m.to_bits() == max_snap_m.to_bits()
                && e.cells.len() == cells.len()
                && e.cells == cells
        })?;
        let e = v.remove(i);
        v.push(e.clone());
        Some(e)
    }

    /// Keeps `e`, dropping the least recently used entries beyond the limits.
    fn put(&self, e: Arc<SnappedCells>) {
        if e.len() > SNAP_CACHE_MAX_CELLS {
            return;
        }
        let Ok(mut v) = self.0.lock() else {
            return;
        };
        v.retain(|x| {
            !(x.mode == e.mode
                && x.max_snap_m.to_bits() == e.max_snap_m.to_bits()
                && x.cells == e.cells)
        });
        v.push(e);
        let mut total: usize = v.iter().map(|x| x.len()).sum();
        while v.len() > SNAP_CACHE_MAX_ENTRIES || total > SNAP_CACHE_MAX_CELLS {
            total -= v.remove(0).len();
        }
    }

    /// Bytes held by the cached entries.
    fn bytes(&self) -> usize {
        self.0
            .lock()
            .map_or(0, |v| v.iter().map(|e| e.bytes()).sum())
    }
}

impl RoadGraph {
    /// The centres of `grid`'s cells snapped for `mode` within `max_snap_m` metres, from the
    /// graph's cache when the same cells were snapped before for the same mode and limit
    /// (then at the cost of comparing the cell lists), else snapped now and kept
    /// ([`SNAP_CACHE_MAX_CELLS`]). `None` only when `cancel` was set meanwhile.
    pub fn snapped_cells(
        &self,
        grid: &CellGrid,
        mode: TravelMode,
        max_snap_m: f64,
        cancel: Option<&AtomicBool>,
    ) -> Option<Arc<SnappedCells>> {
        if let Some(hit) = self.snap_cache.get(grid.cells(), mode, max_snap_m) {
            return Some(hit);
        }
        let made = Arc::new(self.snap_cells(grid, mode, max_snap_m, cancel)?);
        self.snap_cache.put(made.clone());
        Some(made)
    }

    /// The centres of `grid`'s cells snapped for `mode` within `max_snap_m` metres, without
    /// the cache (grids of 4 096 cells and more on all cores). `None` when `cancel` is set
    /// meanwhile (checked every 4 096 cells).
    pub fn snap_cells(
        &self,
        grid: &CellGrid,
        mode: TravelMode,
        max_snap_m: f64,
        cancel: Option<&AtomicBool>,
    ) -> Option<SnappedCells> {
        let cancelled = || cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
        let centres = grid.centres();
        let snap_range = |r: std::ops::Range<usize>| -> Vec<CellSnap> {
            r.take_while(|&i| i % 4096 != 0 || !cancelled())
                .map(|i| CellSnap::of(self.snap(centres[i], mode, SnapRole::Origin, max_snap_m)))
                .collect()
        };
        let snaps = if centres.len() >= PARALLEL_MIN_CELLS {
            crate::coverage::par_chunks(centres.len(), snap_range)
        } else {
            snap_range(0..centres.len())
        };
        if cancelled() || snaps.len() != centres.len() {
            return None;
        }
        Some(SnappedCells {
            graph: self.id,
            mode,
            max_snap_m,
            cells: grid.cells().to_vec(),
            snaps,
        })
    }

    /// Bytes held by the graph's cache of snapped cells ([`RoadGraph::snapped_cells`]).
    pub fn snap_cache_bytes(&self) -> usize {
        self.snap_cache.bytes()
    }
}

/// Travel times from a set of sources (e.g. every station) to every node within a limit: the
/// result of one multi-source search, queried for arbitrary positions ([`Self::time_to`]) or
/// for snapped cell centres ([`Self::time_to_cell`]).
pub struct NetworkReach<'g> {
    search: Search<'g>,
    mode: TravelMode,
    speed: f64,
    limit_s: f64,
    max_snap_m: f64,
    /// The snapped sources with their off-road lead time, seconds, by segment (for the trips
    /// that stay on a source's own segment).
    sources: Vec<(OnRoad, f64)>,
    /// Indices of the sources farther than `max_snap_m` from a usable road (not searched).
    pub unsnapped: Vec<usize>,
}

impl<'g> NetworkReach<'g> {
    /// One search from all `sources` in `mode`, up to `limit_s` seconds (including each
    /// source's off-road leg to its snap).
    pub fn new(
        g: &'g RoadGraph,
        sources: &[LonLat],
        mode: TravelMode,
        speeds: &Speeds,
        limit_s: f64,
        max_snap_m: f64,
    ) -> Self {
        let mut reach = Self::start(g, sources, mode, speeds, limit_s, max_snap_m);
        reach.search.run();
        reach
    }

    /// [`NetworkReach::new`] that stops once `cancel` is set (checked every 1 024 settled
    /// nodes, so a city-wide search honours an analysis' time budget): `None` then.
    pub fn new_cancellable(
        g: &'g RoadGraph,
        sources: &[LonLat],
        mode: TravelMode,
        speeds: &Speeds,
        limit_s: f64,
        max_snap_m: f64,
        cancel: Option<&AtomicBool>,
    ) -> Option<Self> {
        let mut reach = Self::start(g, sources, mode, speeds, limit_s, max_snap_m);
        reach.search.run_cancellable(cancel).then_some(reach)
    }

    /// The search seeded with the snapped sources, not yet run.
    fn start(
        g: &'g RoadGraph,
        sources: &[LonLat],
        mode: TravelMode,
        speeds: &Speeds,
        limit_s: f64,
        max_snap_m: f64,
    ) -> Self {
        let speed = speeds.of(mode);
        // Trips end at the sources (riders come to the stations).
        let mut search = Search::toward(g, mode, speed, limit_s);
        let mut snapped = Vec::new();
        let mut unsnapped = Vec::new();
        for (i, &p) in sources.iter().enumerate() {
            match g.snap(p, mode, SnapRole::Destination, max_snap_m) {
                Some(s) => {
                    let lead = s.distance_m / speed;
                    if lead <= limit_s {
                        search.add_snap_source(&s, lead);
                        snapped.push((s.on_road(), lead));
                    }
                }
                None => unsnapped.push(i),
            }
        }
        snapped.sort_by_key(|(s, _)| s.segment);
        NetworkReach {
            search,
            mode,
            speed,
            limit_s,
            max_snap_m,
            sources: snapped,
            unsnapped,
        }
    }

    /// Travel time from the nearest source (by time) to `p`, seconds, including `p`'s
    /// off-road leg, if within the limit; `None` when `p` is farther than `max_snap_m` from a
    /// usable road or not reached.
    pub fn time_to(&self, p: LonLat) -> Option<f64> {
        let snap = self
            .search
            .g
            .snap(p, self.mode, SnapRole::Origin, self.max_snap_m)?;
        self.time_at(snap.on_road(), snap.distance_m)
    }

    /// [`Self::time_to`] the centre of cell `i` of `cells` (snapped to this search's graph for
    /// its mode and snap limit), with the same result, without snapping it again. `None` also
    /// when `i` is out of range or `cells` were snapped to another graph, for another mode or
    /// snap limit.
    #[inline]
    pub fn time_to_cell(&self, cells: &SnappedCells, i: usize) -> Option<f64> {
        if cells.graph != self.search.g.id
            || cells.mode != self.mode
            || cells.max_snap_m.to_bits() != self.max_snap_m.to_bits()
        {
            return None;
        }
        let s = cells.snaps.get(i)?;
        if s.segment == NONE {
            return None;
        }
        let at = OnRoad {
            segment: s.segment,
            fraction: s.fraction,
        };
        self.time_at(at, s.distance_m)
    }

    /// The time from a position at `at` on the roads, `off_road_m` metres from them, to the
    /// nearest source: along its segment to a reached node (paying the junction delay of
    /// passing it) and on, or along the segment to a source on it.
    #[inline]
    fn time_at(&self, at: OnRoad, off_road_m: f64) -> Option<f64> {
        let g = self.search.g;
        let tail = off_road_m / self.speed;
        let mut best = f64::INFINITY;
        for (node, extra, extra_m) in departures(g, self.mode, self.speed, at) {
            if node == NONE {
                continue;
            }
            if let Some((t, pred)) = self.search.settled_pred(node) {
                let delay = if extra_m > 0.0 {
                    self.search.pass_delay_s(node, at.segment, pred)
                } else {
                    0.0
                };
                best = best.min(t + extra + delay + tail);
            }
        }
        // The sources on the same segment (sorted by segment).
        let first = self
            .sources
            .partition_point(|(s, _)| s.segment < at.segment);
        for (s, lead) in self.sources[first..]
            .iter()
            .take_while(|(s, _)| s.segment == at.segment)
        {
            if let Some((t, _)) = along_same_segment(g, self.mode, self.speed, at, *s) {
                best = best.min(lead + t + tail);
            }
        }
        (best <= self.limit_s).then_some(best)
    }

    /// Number of nodes reached.
    pub fn reached_nodes(&self) -> usize {
        self.search.settled_labels().count()
    }
}
