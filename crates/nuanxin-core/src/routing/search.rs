//! Searches on a [`RoadGraph`]: snapping, bounded Dijkstra, nearest service points by travel
//! time (with routes), network service areas and network reach.
//!
//! Why this file is long: the searches on a road graph (snapping, bounded Dijkstra, nearest by
//! travel time with routes, service areas, reach) share one label-setting search and its
//! snapping; the graph, its import and the area outlines already live beside it.

use super::area::band_outline;
use super::graph::{mode_bits, RoadGraph, SnapRole, FERRY, SPLIT, TIGHT_SNAP_MAX_M, TUNNEL};
use super::labels::{Label, Labels, Queued, NONE};
use super::{RoutingError, DEFAULT_MAX_SNAP_M, WALK_OFF_M};
use super::{FILL_HOLES_M2, SERVICE_AREA_CELL_M};
use crate::coverage::grid::local_distance_m;
use crate::index::{Filter, ServiceIndex};
use crate::model::{LonLat, ServicePoint};
use crate::travel::{Speeds, TravelMode};
use geo::{Coord, MultiPolygon};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

/// Where a position meets the road network.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Snap {
    /// The segment.
    pub segment: u32,
    /// Position along the segment from its start node `u` (0) to its end node `v` (1).
    pub fraction: f64,
    /// The snapped position on the road.
    pub point: LonLat,
    /// Distance from the position to the road, metres.
    pub distance_m: f64,
}

/// A position on a road: the segment and the fraction along it from its start node `u` (0)
/// to its end node `v` (1); what a search needs of a [`Snap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OnRoad {
    pub(crate) segment: u32,
    pub(crate) fraction: f64,
}

impl Snap {
    /// The segment and fraction of the snap.
    #[inline]
    pub(crate) fn on_road(&self) -> OnRoad {
        OnRoad {
            segment: self.segment,
            fraction: self.fraction,
        }
    }
}

/// Options of network searches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkOptions {
    /// Largest snap distance, metres; farther positions fall back to straight line.
    pub max_snap_m: f64,
    /// Return each result's route.
    pub route: bool,
    /// Speeds of the modes (configuration `[speeds]`).
    pub speeds: Speeds,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        Self {
            max_snap_m: DEFAULT_MAX_SNAP_M,
            route: false,
            speeds: Speeds::default(),
        }
    }
}

impl RoadGraph {
    /// Snaps `p` to the nearest point of a segment `mode` may use (on a component large enough,
    /// see [`super::graph::MIN_SNAP_COMPONENT_NODES`]), if one lies within `max_snap_m` metres.
    ///
    /// Segments come from the graph's grid ([`super::segment_grid`]), are measured in its local
    /// plane and the best is decided by the ellipsoidal distance ([`local_distance_m`]) to the
    /// foot of the perpendicular; the scan goes as far beyond the best distance found as the
    /// plane's scale error over the graph's latitudes allows (`RoadGraph::snap_scale`, a
    /// factor 1.0006 in central Helsinki; for `max_snap_m` over 1 km, 7 % plus 1 m, the bound
    /// for ±3°). Of two segments equally near (at a shared node) the one with the smaller id
    /// is taken.
    pub fn snap(
        &self,
        p: LonLat,
        mode: TravelMode,
        role: SnapRole,
        max_snap_m: f64,
    ) -> Option<Snap> {
        if max_snap_m.is_nan() || max_snap_m < 0.0 {
            return None;
        }
        let q = self.proj.forward(p);
        // The best surface segment and the best tunnel segment; a tunnel wins only alone.
        let mut best: Option<Snap> = None;
        let mut best_tunnel: Option<Snap> = None;
        // Segments farther in the plane than this cannot be the best (module docs).
        let scale = if max_snap_m <= TIGHT_SNAP_MAX_M {
            self.snap_scale
        } else {
            0.0
        };
        let reach = |best: &Option<Snap>| {
            let d = best.map_or(max_snap_m, |b| b.distance_m.min(max_snap_m));
            if scale > 0.0 {
                d / scale * (1.0 + 1e-9) + 1e-9
            } else {
                d * 1.07 + 1.0
            }
        };
        let mut r = reach(&best);
        self.grid.visit_near(q, r, |s| {
            let si = s as usize;
            let (t, foot) = self.foot_on(s, q);
            let (dx, dy) = (foot[0] - q[0], foot[1] - q[1]);
            if dx * dx + dy * dy > r * r || !self.snappable(s, mode, role) {
                return r;
            }
            let point = self.proj.inverse(foot);
            let d = local_distance_m(p, point);
            let slot = if self.seg_flags[si] & TUNNEL != 0 {
                &mut best_tunnel
            } else {
                &mut best
            };
            // Ties (a node shared by two segments) go to the smaller segment id, whatever
            // the order of the visit.
            if d <= max_snap_m
                && slot.is_none_or(|b| d < b.distance_m || (d == b.distance_m && s < b.segment))
            {
                *slot = Some(Snap {
                    segment: s,
                    fraction: t,
                    point,
                    distance_m: d,
                });
                r = reach(&best);
            }
            r
        });
        best.or(best_tunnel)
    }

    /// The foot of the perpendicular from `q` (in the graph's plane) on segment `s`: its
    /// fraction along the segment from `u` (clamped to the segment) and its position.
    #[inline]
    pub(crate) fn foot_on(&self, s: u32, q: [f64; 2]) -> (f64, [f64; 2]) {
        let si = s as usize;
        let (a, b) = (self.xy(self.seg_u[si]), self.xy(self.seg_v[si]));
        let ab = [b[0] - a[0], b[1] - a[1]];
        let len2 = ab[0] * ab[0] + ab[1] * ab[1];
        let t = if len2 > 0.0 {
            (((q[0] - a[0]) * ab[0] + (q[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (t, [a[0] + t * ab[0], a[1] + t * ab[1]])
    }

    /// The segments leaving `node` that the direction flags `fwd` (u → v) and `bwd` (v → u)
    /// allow, each with the node at its other end.
    pub(crate) fn out_edges(
        &self,
        node: u32,
        fwd: u8,
        bwd: u8,
    ) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (a, b) = (
            self.adj_start[node as usize] as usize,
            self.adj_start[node as usize + 1] as usize,
        );
        self.adj[a..b].iter().filter_map(move |&s| {
            let si = s as usize;
            let (other, bit) = if self.seg_u[si] == node {
                (self.seg_v[si], fwd)
            } else {
                (self.seg_u[si], bwd)
            };
            (self.seg_flags[si] & bit != 0).then_some((s, other))
        })
    }

    /// Positions of a path of nodes.
    fn positions(&self, nodes: &[u32]) -> Vec<LonLat> {
        nodes.iter().map(|&n| self.node(n)).collect()
    }
}

/// A resumable Dijkstra search over one mode's directed edges, bounded by `limit_s`: nodes
/// are settled in order of travel time; labels beyond the limit are never created. Its
/// working memory ([`Labels`]) comes from the graph's pool and goes back to it on drop.
pub(crate) struct Search<'g> {
    pub(super) g: &'g RoadGraph,
    fwd: u8,
    bwd: u8,
    speed: f64,
    /// 1 / the speed, and 1 / the ferries' speed: a segment's time is its length times one
    /// of them, as [`RoadGraph::segment_time_s`] computes it (a multiplication instead of a
    /// division per edge).
    inv_speed: [f64; 2],
    /// E-bikes: each node reached costs [`RoadGraph::junction_delay_s`] on arrival.
    junctions: bool,
    /// A search toward the sources ([`Search::toward`]): times are of trips that end at a
    /// source, one-way streets obeyed in that direction.
    reverse: bool,
    /// With `reverse`: the sources that lie exactly at their node (a trip ends there, so it
    /// pays no junction delay at it).
    exact_sources: Vec<u32>,
    /// With `junctions`, forward: the sources and their times without a junction delay (the
    /// time of a trip that ends there, [`Search::end_time_s`]).
    source_ends: Vec<(u32, f64)>,
    limit_s: f64,
    labels: Labels,
}

impl Drop for Search<'_> {
    fn drop(&mut self) {
        self.g.label_pool.give(std::mem::take(&mut self.labels));
    }
}

impl<'g> Search<'g> {
    pub(crate) fn new(g: &'g RoadGraph, mode: TravelMode, speed: f64, limit_s: f64) -> Self {
        let (fwd, bwd) = mode_bits(mode);
        Search {
            g,
            fwd,
            bwd,
            speed,
            inv_speed: [1.0 / speed, 1.0 / super::graph::FERRY_SPEED_M_PER_S],
            junctions: mode == TravelMode::Ebike,
            reverse: false,
            exact_sources: Vec::new(),
            source_ends: Vec::new(),
            limit_s,
            labels: g.label_pool.take(g.node_count()),
        }
    }

    /// A search of the trips that end at the sources (a service area, network coverage):
    /// each node's time is that of the quickest trip from it to a source. Moves run against
    /// the segments' directions, and the junction delay of passing a node is charged when
    /// the search leaves it ([`Search::pass_delay_s`]).
    pub(crate) fn toward(g: &'g RoadGraph, mode: TravelMode, speed: f64, limit_s: f64) -> Self {
        let mut search = Search::new(g, mode, speed, limit_s);
        (search.fwd, search.bwd) = (search.bwd, search.fwd);
        search.reverse = true;
        search
    }

    /// For a search toward its sources: the junction delay a trip pays passing settled
    /// `node` after arriving on segment `via` — none at a source where trips end exactly,
    /// none for pedestrians.
    #[inline(always)]
    pub(crate) fn pass_delay_s(&self, node: u32, via: u32, pred: u32) -> f64 {
        if !self.junctions || (pred == NONE && self.exact_sources.contains(&node)) {
            0.0
        } else {
            self.g.junction_delay_s(node, via)
        }
    }

    #[inline(always)]
    fn offer(&mut self, node: u32, time_s: f64, dist_m: f64, pred: u32) {
        if time_s > self.limit_s {
            return;
        }
        let i = self.labels.entry(node);
        let l = &mut self.labels.touched[i];
        if !l.settled && time_s < l.time_s {
            l.time_s = time_s;
            l.dist_m = dist_m;
            l.pred = pred;
            self.labels.heap.push(Queued {
                time_s,
                label: i as u32,
            });
        }
    }

    /// Starts the search (also) at `node`, reached after `time_s` and `dist_m`.
    #[cfg(test)]
    pub(crate) fn add_source(&mut self, node: u32, time_s: f64, dist_m: f64) {
        self.add_source_after(node, time_s, 0.0, dist_m);
    }

    /// A source reached after `time_s`, plus `delay_s` of junction delay for going on.
    fn add_source_after(&mut self, node: u32, time_s: f64, delay_s: f64, dist_m: f64) {
        if self.junctions && !self.reverse {
            self.source_ends.push((node, time_s));
        }
        self.offer(node, time_s + delay_s, dist_m, NONE);
    }

    /// Sources for a start at `snap` after `lead_s` seconds: both ends of its segment, as the
    /// directions allow.
    pub(crate) fn add_snap_source(&mut self, snap: &Snap, lead_s: f64) {
        let s = snap.segment as usize;
        let (len, t) = (
            self.g.seg_len_m[s] as f64,
            self.g.segment_time_s(snap.segment, self.speed),
        );
        let f = snap.fraction;
        let (u, v) = (self.g.seg_u[s], self.g.seg_v[s]);
        // Forward, an end reached along the segment is passed like any node reached on it
        // and pays its junction delay. Toward the sources the delay is charged when the
        // search leaves a node ([`Search::pass_delay_s`]), and an end at the snap itself is
        // where trips stop. (The bits of a search toward the sources are swapped, so the
        // same conditions say from which end trips may ride to the snap.)
        let delay = |node: u32, moved: bool| {
            if self.junctions && !self.reverse && moved {
                self.g.junction_delay_s(node, snap.segment)
            } else {
                0.0
            }
        };
        let (dv, du) = (delay(v, f < 1.0), delay(u, f > 0.0));
        if self.reverse {
            for (node, at_node) in [(v, f == 1.0), (u, f == 0.0)] {
                if at_node {
                    self.exact_sources.push(node);
                }
            }
        }
        // At an end of the segment (fraction 0 or 1) that end is reached at once, whatever
        // the segment's direction.
        if self.g.seg_flags[s] & self.fwd != 0 || f == 1.0 {
            self.add_source_after(v, lead_s + (1.0 - f) * t, dv, (1.0 - f) * len);
        }
        if self.g.seg_flags[s] & self.bwd != 0 || f == 0.0 {
            self.add_source_after(u, lead_s + f * t, du, f * len);
        }
    }

    /// Time of the next node to settle, if any.
    pub(crate) fn peek_time(&mut self) -> Option<f64> {
        while let Some(q) = self.labels.heap.peek() {
            let fresh = self
                .labels
                .touched
                .get(q.label as usize)
                .is_some_and(|l| !l.settled && q.time_s <= l.time_s);
            if fresh {
                return Some(q.time_s);
            }
            self.labels.heap.pop();
        }
        None
    }

    /// Settles the next node and relaxes its edges. Returns it with its time.
    pub(crate) fn settle_next(&mut self) -> Option<(u32, f64)> {
        // The first fresh entry (stale ones: a settled node, or a time since improved).
        let l = loop {
            let q = self.labels.heap.pop()?;
            let Some(l) = self.labels.touched.get_mut(q.label as usize) else {
                continue;
            };
            if !l.settled && q.time_s <= l.time_s {
                l.settled = true;
                break *l;
            }
        };
        let node = l.node;
        let g = self.g;
        let (a, b) = (
            g.adj_start[node as usize] as usize,
            g.adj_start[node as usize + 1] as usize,
        );
        for &s in &g.adj[a..b] {
            let si = s as usize;
            let (u, v) = (g.seg_u[si], g.seg_v[si]);
            let (other, bit) = if u == node {
                (v, self.fwd)
            } else {
                (u, self.bwd)
            };
            let flags = g.seg_flags[si];
            if flags & bit == 0 {
                continue;
            }
            let inv = self.inv_speed[usize::from(flags & FERRY != 0)];
            let mut t = l.time_s + g.seg_len_m[si] as f64 * inv;
            if self.junctions {
                t += if self.reverse {
                    // A trip from `other` arrives here on `s` and goes on toward a source.
                    self.pass_delay_s(node, s, l.pred)
                } else {
                    g.junction_delay_s(other, s)
                };
            }
            if t > self.limit_s {
                continue;
            }
            self.offer(other, t, l.dist_m + g.seg_len_m[si] as f64, s);
        }
        Some((node, l.time_s))
    }

    /// Runs to the limit.
    pub(crate) fn run(&mut self) {
        while self.settle_next().is_some() {}
    }

    /// Runs to the limit, checking `cancel` every 1 024 settled nodes; `false` when it was
    /// set (the search is then incomplete).
    pub(crate) fn run_cancellable(&mut self, cancel: Option<&AtomicBool>) -> bool {
        let Some(cancel) = cancel else {
            self.run();
            return true;
        };
        let mut settled = 0u32;
        while self.settle_next().is_some() {
            settled = settled.wrapping_add(1);
            if settled % 1024 == 0 && cancel.load(AtomicOrdering::Relaxed) {
                return false;
            }
        }
        !cancel.load(AtomicOrdering::Relaxed)
    }

    /// Seconds to `node` (settled) for a trip that ends there: its settled time less the
    /// junction delay of passing it, which a trip ending at the node does not pay. For
    /// e-bikes, the least of its sources' times and, over the segments into it, the time of
    /// the node at the other end (settled before it) plus the segment's.
    pub(crate) fn end_time_s(&self, node: u32) -> Option<f64> {
        let (time_s, _) = self.settled(node)?;
        if !self.junctions {
            return Some(time_s);
        }
        let g = self.g;
        let mut best = time_s;
        for &(n, t) in &self.source_ends {
            if n == node {
                best = best.min(t);
            }
        }
        let (a, b) = (
            g.adj_start[node as usize] as usize,
            g.adj_start[node as usize + 1] as usize,
        );
        for &s in &g.adj[a..b] {
            let si = s as usize;
            let (other, bit) = if g.seg_v[si] == node {
                (g.seg_u[si], self.fwd)
            } else {
                (g.seg_v[si], self.bwd)
            };
            let flags = g.seg_flags[si];
            if flags & bit == 0 {
                continue;
            }
            if let Some((t, _)) = self.settled(other) {
                let inv = self.inv_speed[usize::from(flags & FERRY != 0)];
                best = best.min(t + g.seg_len_m[si] as f64 * inv);
            }
        }
        Some(best)
    }

    /// The most [`Search::end_time_s`] can take off a settled time.
    pub(crate) fn max_arrival_delay_s(&self) -> f64 {
        if self.junctions {
            super::graph::MAX_JUNCTION_DELAY_S
        } else {
            0.0
        }
    }

    /// The settled label of `node`: `(time_s, predecessor segment or NONE)`.
    #[inline]
    pub(crate) fn settled_pred(&self, node: u32) -> Option<(f64, u32)> {
        self.labels
            .get(node)
            .filter(|l| l.settled)
            .map(|l| (l.time_s, l.pred))
    }

    /// The settled label of `node`: `(time_s, dist_m)`.
    #[inline]
    pub(crate) fn settled(&self, node: u32) -> Option<(f64, f64)> {
        self.labels
            .get(node)
            .filter(|l| l.settled)
            .map(|l| (l.time_s, l.dist_m))
    }

    /// The settled nodes' labels (in no particular order).
    pub(crate) fn settled_labels(&self) -> impl Iterator<Item = &Label> + '_ {
        self.labels.touched.iter().filter(|l| l.settled)
    }

    /// The nodes of the best path from a source to `node` (settled), source first.
    fn path_to(&self, node: u32) -> Vec<u32> {
        let mut out = vec![node];
        let mut n = node;
        while let Some(l) = self.labels.get(n) {
            if l.pred == NONE {
                break;
            }
            let s = l.pred as usize;
            n = if self.g.seg_u[s] == n {
                self.g.seg_v[s]
            } else {
                self.g.seg_u[s]
            };
            out.push(n);
        }
        out.reverse();
        out
    }
}

/// The two ends of `snap`'s segment with the time and metres between each and the snap:
/// `u` when the segment's flags have `via_u` (or the snap is at `u`), `v` when they have
/// `via_v` (or it is at `v`); `NONE` otherwise.
fn segment_ends(
    g: &RoadGraph,
    speed: f64,
    snap: OnRoad,
    via_u: u8,
    via_v: u8,
) -> [(u32, f64, f64); 2] {
    let s = snap.segment as usize;
    let (len, t) = (g.seg_len_m[s] as f64, g.segment_time_s(snap.segment, speed));
    let f = snap.fraction;
    let mut out = [(NONE, 0.0, 0.0); 2];
    if g.seg_flags[s] & via_u != 0 || f == 0.0 {
        out[0] = (g.seg_u[s], f * t, f * len);
    }
    if g.seg_flags[s] & via_v != 0 || f == 1.0 {
        out[1] = (g.seg_v[s], (1.0 - f) * t, (1.0 - f) * len);
    }
    out
}

/// How a destination on segment `snap.segment` is reached from the search: via its start
/// node (`u`, travelling forward), via its end node (`v`, backward), each with the extra
/// time and metres along the segment.
pub(super) fn arrivals(
    g: &RoadGraph,
    mode: TravelMode,
    speed: f64,
    snap: OnRoad,
) -> [(u32, f64, f64); 2] {
    let (fwd, bwd) = mode_bits(mode);
    segment_ends(g, speed, snap, fwd, bwd)
}

/// Where a trip that starts at `snap` first meets a node: its start node (`u`, travelling
/// backward), its end node (`v`, forward), each with the time and metres along the segment
/// (the mirror of [`arrivals`]).
pub(super) fn departures(
    g: &RoadGraph,
    mode: TravelMode,
    speed: f64,
    snap: OnRoad,
) -> [(u32, f64, f64); 2] {
    let (fwd, bwd) = mode_bits(mode);
    segment_ends(g, speed, snap, bwd, fwd)
}

/// Time and metres from `a` to `b` on the same segment without leaving it, if the direction
/// is allowed.
pub(super) fn along_same_segment(
    g: &RoadGraph,
    mode: TravelMode,
    speed: f64,
    a: OnRoad,
    b: OnRoad,
) -> Option<(f64, f64)> {
    if a.segment != b.segment {
        return None;
    }
    let (fwd, bwd) = mode_bits(mode);
    let s = a.segment as usize;
    let bit = if b.fraction >= a.fraction { fwd } else { bwd };
    (g.seg_flags[s] & bit != 0).then(|| {
        let d = (b.fraction - a.fraction).abs();
        (
            d * g.segment_time_s(a.segment, speed),
            d * g.seg_len_m[s] as f64,
        )
    })
}

/// The time at `node` (settled at `time_s`) of a trip that goes on `extra_m` metres beyond
/// it: [`Search::end_time_s`] when it ends there (`extra_m` = 0, so it passes no junction at
/// the node), otherwise `time_s`.
fn ends_at_node(search: &Search<'_>, node: u32, time_s: f64, extra_m: f64) -> f64 {
    if extra_m == 0.0 {
        search.end_time_s(node).unwrap_or(time_s)
    } else {
        time_s
    }
}

/// One result of [`nearest_by_time`].
#[derive(Debug, Clone)]
pub struct TimedHit {
    /// The service point.
    pub point: Arc<ServicePoint>,
    /// WGS-84 geodesic distance from the origin, metres.
    pub distance_m: f64,
    /// Travel time, seconds: off-road legs at the mode's speed plus the road network; or,
    /// when `network` is false, the straight-line distance at the mode's speed.
    pub travel_time_s: f64,
    /// Whether the time was computed along roads (`false`: straight-line fallback, because
    /// the origin or the point is farther than `max_snap_m` from a usable road).
    pub network: bool,
    /// Metres along roads between the two snapped positions (network results only).
    pub network_distance_m: Option<f64>,
    /// Distance from the point to the road it was snapped to, metres (network results only).
    pub snap_distance_m: Option<f64>,
    /// The route from the origin to the point, `[lon, lat]` (when asked for).
    pub route: Option<Vec<LonLat>>,
}

/// The answer of [`nearest_by_time`].
#[derive(Debug, Clone)]
pub struct TimedNearest {
    /// Results, quickest first (ties by id).
    pub hits: Vec<TimedHit>,
    /// Where the origin met the network (`None`: no usable road within `max_snap_m`, every
    /// result is straight-line).
    pub origin_snap: Option<Snap>,
    /// Nodes settled by the search (a measure of its work).
    pub settled_nodes: usize,
}

#[derive(Debug, Clone, Copy)]
enum Via {
    None,
    Direct,
    Arrival(usize),
}

struct Candidate {
    point: Arc<ServicePoint>,
    distance_m: f64,
    snap: Option<Snap>,
    /// Off-road leg from the snap to the point (via its entrance, if any), seconds.
    tail_s: f64,
    best_s: f64,
    best_m: f64,
    via: Via,
}

/// The `k` service points admitted by `filter` quickest to reach from `from` in `mode`
/// (module docs of [`super`] for the model).
///
/// Candidates come from `index` in order of geodesic distance, in batches. A Dijkstra search
/// from the origin's snap runs in order of time; it stops as soon as the k-th best time found
/// is no larger than the search frontier *and* than the lower bound of every candidate not yet
/// fetched (its geodesic distance divided by the fastest speed of the mode,
/// [`RoadGraph::max_speed_m_per_s`]: a road path is never shorter than the geodesic). Points
/// farther than `max_snap_m` from a usable road get the straight-line time and
/// `network: false`. Points the network cannot reach from the origin are left out. Filters
/// apply before the limit.
pub fn nearest_by_time(
    g: &RoadGraph,
    index: &ServiceIndex,
    from: LonLat,
    k: usize,
    filter: &Filter,
    mode: TravelMode,
    opts: &NetworkOptions,
) -> TimedNearest {
    let speeds = &opts.speeds;
    let speed = speeds.of(mode);
    let Some(origin) = g.snap(from, mode, SnapRole::Origin, opts.max_snap_m) else {
        let hits = index
            .nearest(from, k, filter)
            .into_iter()
            .map(|h| TimedHit {
                travel_time_s: h.distance_m / speed,
                distance_m: h.distance_m,
                network: false,
                network_distance_m: None,
                snap_distance_m: None,
                route: opts.route.then(|| vec![from, h.point.location]),
                point: h.point,
            })
            .collect();
        return TimedNearest {
            hits,
            origin_snap: None,
            settled_nodes: 0,
        };
    };
    if k == 0 {
        return TimedNearest {
            hits: Vec::new(),
            origin_snap: Some(origin),
            settled_nodes: 0,
        };
    }
    let lead_s = origin.distance_m / speed;
    // A margin of 0.1 % absorbs the error of segment lengths (below 1e-5) and rounding.
    let vmax = g.max_speed_m_per_s(mode, speeds) * 1.001;
    let mut search = Search::new(g, mode, speed, f64::INFINITY);
    search.add_snap_source(&origin, lead_s);

    let mut cands: Vec<Candidate> = Vec::new();
    let mut by_node: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
    let mut batch = (4 * k).max(16);
    let mut exhausted = false;
    let mut settled_nodes = 0usize;
    let register = |c: &mut Candidate,
                    i: usize,
                    search: &Search<'_>,
                    by_node: &mut HashMap<u32, Vec<(usize, usize)>>| {
        let Some(snap) = c.snap else {
            c.best_s = c.distance_m / speed;
            return;
        };
        let tail_s = c.tail_s;
        if let Some((t, m)) = along_same_segment(g, mode, speed, origin.on_road(), snap.on_road()) {
            c.best_s = lead_s + t + tail_s;
            c.best_m = m;
            c.via = Via::Direct;
        }
        for (j, (node, extra_s, extra_m)) in arrivals(g, mode, speed, snap.on_road())
            .into_iter()
            .enumerate()
        {
            if node == NONE {
                continue;
            }
            if let Some((t, m)) = search.settled(node) {
                let t = ends_at_node(search, node, t, extra_m);
                if t + extra_s + tail_s < c.best_s {
                    c.best_s = t + extra_s + tail_s;
                    c.best_m = m + extra_m;
                    c.via = Via::Arrival(j);
                }
            }
            by_node.entry(node).or_default().push((i, j));
        }
    };
    let kth = |cands: &[Candidate]| -> f64 {
        if cands.len() < k {
            return f64::INFINITY;
        }
        let mut t: Vec<f64> = cands.iter().map(|c| c.best_s).collect();
        let (_, x, _) = t.select_nth_unstable_by(k - 1, f64::total_cmp);
        *x
    };
    let mut fetch = true;
    loop {
        if fetch {
            let hits = index.nearest(from, batch, filter);
            exhausted = hits.len() < batch;
            for h in hits.into_iter().skip(cands.len()) {
                // A compound's entrance (gate) is where the road trip ends; the walk on from
                // the gate counts, so the trip is never shorter than the geodesic.
                let door = h.point.entrance.unwrap_or(h.point.location);
                let snap = g.snap(door, mode, SnapRole::Destination, opts.max_snap_m);
                let tail_m = snap.map_or(0.0, |s| {
                    s.distance_m + local_distance_m(door, h.point.location)
                });
                let mut c = Candidate {
                    snap,
                    tail_s: tail_m / speed,
                    point: h.point,
                    distance_m: h.distance_m,
                    best_s: f64::INFINITY,
                    best_m: f64::INFINITY,
                    via: Via::None,
                };
                let i = cands.len();
                register(&mut c, i, &search, &mut by_node);
                cands.push(c);
            }
            fetch = false;
        }
        let bound_k = kth(&cands);
        let frontier = search.peek_time().unwrap_or(f64::INFINITY);
        let unfetched_lb = if exhausted {
            f64::INFINITY
        } else {
            cands.last().map_or(0.0, |c| c.distance_m / vmax)
        };
        if unfetched_lb < bound_k && frontier >= unfetched_lb {
            // Candidates not yet fetched could still beat the k-th: fetch more.
            batch *= 2;
            fetch = true;
            continue;
        }
        // A trip ending at a node is credited its arrival delay, so stop only once no node
        // left can end one below the k-th.
        if frontier - search.max_arrival_delay_s() >= bound_k || frontier == f64::INFINITY {
            break;
        }
        // The frontier is finite, so there is a node to settle.
        let Some((node, t)) = search.settle_next() else {
            break;
        };
        settled_nodes += 1;
        let (Some(list), Some((_, node_m))) = (by_node.get(&node), search.settled(node)) else {
            continue;
        };
        for &(i, j) in list {
            let c = &mut cands[i];
            // Only snapped candidates are registered in `by_node`.
            let Some(snap) = c.snap else {
                continue;
            };
            let (_, extra_s, extra_m) = arrivals(g, mode, speed, snap.on_road())[j];
            let total = ends_at_node(&search, node, t, extra_m) + extra_s + c.tail_s;
            if total < c.best_s {
                c.best_s = total;
                c.best_m = node_m + extra_m;
                c.via = Via::Arrival(j);
            }
        }
    }
    let mut order: Vec<usize> = (0..cands.len())
        .filter(|&i| cands[i].best_s.is_finite())
        .collect();
    order.sort_by(|&a, &b| {
        cands[a]
            .best_s
            .total_cmp(&cands[b].best_s)
            .then_with(|| cands[a].point.id.cmp(&cands[b].point.id))
    });
    order.truncate(k);
    let hits = order
        .into_iter()
        .map(|i| {
            let c = &cands[i];
            let route = opts.route.then(|| {
                let mut r = vec![from];
                match (c.snap, c.via) {
                    (Some(snap), Via::Direct) => {
                        r.push(origin.point);
                        r.push(snap.point);
                    }
                    (Some(snap), Via::Arrival(j)) => {
                        let (node, _, _) = arrivals(g, mode, speed, snap.on_road())[j];
                        r.push(origin.point);
                        r.extend(g.positions(&search.path_to(node)));
                        r.push(snap.point);
                    }
                    _ => {}
                }
                if let Some(e) = c.point.entrance {
                    r.push(e);
                }
                r.push(c.point.location);
                r.dedup();
                r
            });
            TimedHit {
                point: c.point.clone(),
                distance_m: c.distance_m,
                travel_time_s: c.best_s,
                network: c.snap.is_some(),
                network_distance_m: c.snap.map(|_| c.best_m),
                snap_distance_m: c.snap.map(|s| s.distance_m),
                route,
            }
        })
        .collect();
    TimedNearest {
        hits,
        origin_snap: Some(origin),
        settled_nodes,
    }
}

/// The trip from `from` to `to` in `mode` (module docs of [`super`] for the model): the
/// answer of [`nearest_by_time`] with `k = 1` over an index that holds only `to`. `None` when
/// the network cannot reach `to` from `from`; a straight-line fallback (`network: false`) when
/// either end is farther than `max_snap_m` from a usable road.
pub fn trip(
    g: &RoadGraph,
    from: LonLat,
    to: LonLat,
    mode: TravelMode,
    opts: &NetworkOptions,
) -> Option<TimedHit> {
    let dest = ServicePoint::new("to", crate::model::ServiceKind::Station, "to", to);
    let index = ServiceIndex::new(vec![dest]).ok()?;
    nearest_by_time(g, &index, from, 1, &Filter::default(), mode, opts)
        .hits
        .pop()
}

/// A network service area: everywhere reachable within the limit.
#[derive(Debug, Clone)]
pub struct ServiceArea {
    /// The area, `[lon, lat]` WGS-84.
    pub polygon: MultiPolygon<f64>,
    /// Where the origin met the network.
    pub origin_snap: Snap,
    /// Road pieces reached (whole or partial segments).
    pub reached_pieces: usize,
}

/// The network service area (isochrone) of `from` within `minutes` in `mode`, or `None` when
/// `from` is farther than `max_snap_m` from a usable road (callers fall back to a circle).
///
/// **Method.** A Dijkstra search from the origin's snap, bounded by the time left after the
/// off-road leg, finds every node within the limit; from each reached node every usable
/// segment is followed as far as the remaining time allows (partially at the end); ferries
/// carry the search but add no land. A straight run of segments reached whole is one piece,
/// the chord between its ends (within 1 m of the segments; [`super::runs`]: 895 → 609 pieces
/// per area on average over the 50 Helsinki origins of the Valhalla oracle). The area is the
/// band of [`WALK_OFF_M`] metres around the reached road pieces (and the origin's off-road leg), with enclosed courts of at most
/// [`super::FILL_HOLES_M2`] filled, traced on a [`super::SERVICE_AREA_CELL_M`] grid in the
/// graph's local plane ([`super::area`]). Against Valhalla's isochrones: median IoU 0.88 over
/// 50 origins in Helsinki (`tests/valhalla_oracle.rs`, docs/benchmarks.md).
pub fn service_area(
    g: &RoadGraph,
    from: LonLat,
    mode: TravelMode,
    speeds: &Speeds,
    minutes: f64,
    max_snap_m: f64,
) -> Option<ServiceArea> {
    // The pieces' vector is reused by the calls on one thread (a new one of ~30 kB per call
    // was a few per cent of a service area's time in the allocator).
    thread_local! {
        static PIECES: std::cell::RefCell<Vec<[Coord<f64>; 2]>> = const {
            std::cell::RefCell::new(Vec::new())
        };
    }
    let area = |pieces: &mut Vec<[Coord<f64>; 2]>| {
        let origin = reached_pieces_into(g, from, mode, speeds, minutes, max_snap_m, pieces)?;
        let outline = band_outline(pieces, WALK_OFF_M, SERVICE_AREA_CELL_M, FILL_HOLES_M2);
        Some((origin, pieces.len(), outline))
    };
    let (origin, reached_pieces, mut polygon) = PIECES.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => area(&mut p),
        Err(_) => area(&mut Vec::new()),
    })?;
    geo::MapCoordsInPlace::map_coords_in_place(&mut polygon, |c| {
        let p = g.proj.inverse([c.x, c.y]);
        Coord { x: p.lon, y: p.lat }
    });
    Some(ServiceArea {
        polygon,
        origin_snap: origin,
        reached_pieces,
    })
}

/// The road pieces reachable from `from` within `minutes` in `mode` (the first step of
/// [`service_area`]), as segments in the graph's local plane (metres east and north of the
/// graph's centre), with the origin's snap; `None` when `from` is farther than `max_snap_m`
/// from a usable road. The first piece is the origin's off-road leg.
pub fn reached_pieces(
    g: &RoadGraph,
    from: LonLat,
    mode: TravelMode,
    speeds: &Speeds,
    minutes: f64,
    max_snap_m: f64,
) -> Option<(Snap, Vec<[Coord<f64>; 2]>)> {
    let mut pieces = Vec::new();
    let origin = reached_pieces_into(g, from, mode, speeds, minutes, max_snap_m, &mut pieces)?;
    Some((origin, pieces))
}

/// [`reached_pieces`] into `pieces` (cleared first); `None`, with `pieces` empty, when
/// `from` is too far from a usable road.
fn reached_pieces_into(
    g: &RoadGraph,
    from: LonLat,
    mode: TravelMode,
    speeds: &Speeds,
    minutes: f64,
    max_snap_m: f64,
    pieces: &mut Vec<[Coord<f64>; 2]>,
) -> Option<Snap> {
    pieces.clear();
    let speed = speeds.of(mode);
    // The station is where trips end: the search runs toward it, and a segment counts in the
    // direction riders may take it toward the station.
    let origin = g.snap(from, mode, SnapRole::Destination, max_snap_m)?;
    let limit = minutes * 60.0;
    let lead = origin.distance_m / speed;
    let mut search = Search::toward(g, mode, speed, limit);
    search.add_snap_source(&origin, lead);
    search.run();
    let (fwd, bwd) = {
        let (f, b) = mode_bits(mode);
        (b, f)
    };
    let xy = |p: LonLat| {
        let [x, y] = g.proj.forward(p);
        Coord { x, y }
    };
    let lerp = |a: Coord<f64>, b: Coord<f64>, t: f64| Coord {
        x: a.x + t * (b.x - a.x),
        y: a.y + t * (b.y - a.y),
    };
    // The reached road pieces: the station's segment from its snap both ways as riders may
    // come along it, and toward each reached node every segment riders may take to it, as
    // far back as the time left allows (partially at the end; `fwd`/`bwd` are the mode's
    // bits swapped, as the search's). Ferries carry the search but reach no land on their
    // way; the rest are in the plane as segments.
    {
        let s = origin.segment as usize;
        let (a, b) = (xy(g.node(g.seg_u[s])), xy(g.node(g.seg_v[s])));
        let st = g.segment_time_s(origin.segment, speed);
        let rem = (limit - lead).max(0.0);
        let f = origin.fraction;
        let p = lerp(a, b, f);
        pieces.push([xy(from), p]);
        if g.seg_flags[s] & FERRY == 0 {
            if g.seg_flags[s] & fwd != 0 {
                pieces.push([p, lerp(a, b, (f + rem / st.max(1e-9)).min(1.0))]);
            }
            if g.seg_flags[s] & bwd != 0 {
                pieces.push([p, lerp(a, b, (f - rem / st.max(1e-9)).max(0.0))]);
            }
        }
    }
    // Whole segments wait in `whole`: a straight run reached whole becomes one piece.
    let mut whole = std::mem::take(&mut search.labels.whole);
    whole.clear();
    // Pedestrians pay no junction delays: their loop below skips the look-ups.
    let junctions = search.junctions;
    for l in search.settled_labels() {
        let node = l.node;
        let here = xy(g.node(node));
        for (s, other) in g.out_edges(node, fwd, bwd) {
            let si = s as usize;
            // Ferries reach no land on their way; a zero-length link between copies of a node
            // split for turn restrictions draws nothing the copies' own roads do not.
            let link = g.seg_flags[si] & SPLIT != 0 && g.seg_len_m[si] == 0.0;
            if g.seg_flags[si] & FERRY != 0 || link {
                continue;
            }
            // The time left at each end, at most the segment's time: the segment is reached
            // whole when the two ends' parts cover it (in seconds, so no division here). A
            // rider coming along it passes the node: its junction delay counts.
            let st = g.segment_time_s(s, speed);
            let rem = if junctions {
                (limit - l.time_s - search.pass_delay_s(node, s, l.pred)).min(st)
            } else {
                (limit - l.time_s).min(st)
            };
            if rem < 0.0 {
                continue;
            }
            // A segment reached whole (from its two ends together) is one piece, given by its
            // end with the smaller id; otherwise each end gives its part.
            let back_bit = if g.seg_u[si] == other { fwd } else { bwd };
            let back = if g.seg_flags[si] & back_bit == 0 {
                None
            } else if junctions {
                search
                    .settled_pred(other)
                    .map(|(t, pred)| (limit - t - search.pass_delay_s(other, s, pred)).min(st))
            } else {
                search.settled(other).map(|(t, _)| (limit - t).min(st))
            };
            if back.is_some_and(|b| rem + b >= st) {
                if node <= other {
                    whole.push(s);
                }
                continue;
            }
            let frac = if st > 0.0 { rem / st } else { 1.0 };
            pieces.push([here, lerp(here, xy(g.node(other)), frac)]);
        }
    }
    whole_pieces(g, &whole, &mut search.labels.run_count, pieces);
    search.labels.whole = whole;
    Some(origin)
}

/// The pieces of the segments in `whole` (each reached whole, each once): the chord of each
/// straight run ([`super::runs`]) all of whose segments are there, each other segment alone
/// (from its end with the smaller id). `count` is the per-run counter of the search's
/// working memory: all zero before and after.
fn whole_pieces(
    g: &RoadGraph,
    whole: &[u32],
    count: &mut Vec<u8>,
    pieces: &mut Vec<[Coord<f64>; 2]>,
) {
    /// A run whose piece is already out.
    const EMITTED: u8 = u8::MAX;
    let runs = &g.runs;
    if count.len() != runs.ends.len() {
        count.clear();
        count.resize(runs.ends.len(), 0);
    }
    let xy = |n: u32| {
        let [x, y] = g.xy(n);
        Coord { x, y }
    };
    for &s in whole {
        count[runs.run_of[s as usize] as usize] += 1;
    }
    for &s in whole {
        let r = runs.run_of[s as usize] as usize;
        let c = count[r];
        if c == EMITTED {
            continue;
        }
        if c == runs.len[r] {
            let [a, b] = runs.ends[r];
            pieces.push([xy(a), xy(b)]);
            count[r] = EMITTED;
        } else {
            let (u, v) = (g.seg_u[s as usize], g.seg_v[s as usize]);
            pieces.push([xy(u.min(v)), xy(u.max(v))]);
        }
    }
    for &s in whole {
        count[runs.run_of[s as usize] as usize] = 0;
    }
}

/// Checks that at least one of `points` lies within `max_snap_m` of a road some mode may use;
/// an extract of another city would otherwise silently replace a useful graph.
///
/// # Errors
/// [`RoutingError::CoversNoServicePoint`] when none does (and `points` is not empty).
pub fn covers_any(g: &RoadGraph, points: &[LonLat], max_snap_m: f64) -> Result<(), RoutingError> {
    if points.is_empty()
        || points.iter().any(|&p| {
            TravelMode::ALL
                .iter()
                .any(|&m| g.snap(p, m, SnapRole::Origin, max_snap_m).is_some())
        })
    {
        Ok(())
    } else {
        Err(RoutingError::CoversNoServicePoint(
            g.import.source.clone(),
            points.len(),
            max_snap_m,
        ))
    }
}
