//! Straight runs of a road graph: consecutive segments through nodes where nothing branches,
//! grouped while they stay within [`RUN_TOLERANCE_M`] of the straight line between the run's
//! ends. Computed once per graph (at import and at load, not stored), so that a network
//! service area that reaches every segment of a run draws it as one road piece (the chord
//! between its ends) instead of one piece per segment: OpenStreetMap splits a street every
//! ~12 m in a city centre, and the outline's cost grows with the number of pieces
//! ([`super::area`]). The chord departs from the segments by at most the tolerance, a
//! fortieth of the service area's 40 m walk-off.
//!
//! A run continues through a node that has exactly two segments (not a loop), both with the
//! same flags (the same modes, directions, ferry and tunnel), and holds at most
//! [`RUN_MAX_SEGMENTS`] segments; elsewhere it ends. Every segment is in exactly one run;
//! a segment alone is a run of one.

use super::graph::RoadGraph;

/// Largest distance of a run's inner nodes from the straight line between its ends, metres.
pub(crate) const RUN_TOLERANCE_M: f64 = 1.0;

/// Most segments in one run (so a run's segment count fits the per-search `u8` counters and
/// the tolerance check stays short).
pub(crate) const RUN_MAX_SEGMENTS: usize = 64;

/// The straight runs of a graph (module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Runs {
    /// Per segment: its run.
    pub(crate) run_of: Vec<u32>,
    /// Per run: its end nodes.
    pub(crate) ends: Vec<[u32; 2]>,
    /// Per run: its number of segments (1..=[`RUN_MAX_SEGMENTS`]).
    pub(crate) len: Vec<u8>,
}

impl Runs {
    /// Memory held, bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.run_of.len() * 4 + self.ends.len() * 9
    }

    /// The runs of `g` (its adjacency and positions must be derived).
    pub(crate) fn of(g: &RoadGraph) -> Self {
        let m = g.segment_count();
        let mut runs = Runs {
            run_of: vec![u32::MAX; m],
            ends: Vec::new(),
            len: Vec::new(),
        };
        // Whether a walk may go on through `node`, arriving by segment `s`: the other segment
        // there, if the node has exactly two, distinct, with the same flags, and no loop.
        let through = |node: u32, s: u32| -> Option<u32> {
            let (a, b) = (
                g.adj_start[node as usize] as usize,
                g.adj_start[node as usize + 1] as usize,
            );
            let &[x, y] = g.adj.get(a..b)? else {
                return None;
            };
            let t = if x == s { y } else { x };
            let (si, ti) = (s as usize, t as usize);
            let loops = |k: usize| g.seg_u[k] == g.seg_v[k];
            (t != s && !loops(si) && !loops(ti) && g.seg_flags[si] == g.seg_flags[ti]).then_some(t)
        };
        let other_end = |s: u32, node: u32| {
            let si = s as usize;
            if g.seg_u[si] == node {
                g.seg_v[si]
            } else {
                g.seg_u[si]
            }
        };
        // Walks from `start` along `first`, cutting runs where the line bends or ends.
        let mut inner: Vec<[f64; 2]> = Vec::new();
        let mut walk = |runs: &mut Runs, start: u32, first: u32| {
            let (mut a, mut at, mut s) = (start, start, first);
            let mut pa = g.xy(a);
            let mut count = 0usize;
            inner.clear();
            loop {
                let b = other_end(s, at);
                let pb = g.xy(b);
                let straight = count < RUN_MAX_SEGMENTS
                    && inner
                        .iter()
                        .all(|&p| distance_to_chord(p, pa, pb) <= RUN_TOLERANCE_M);
                if count > 0 && !straight {
                    // Close the run at `at`; a new one starts there with `s`.
                    runs.ends.push([a, at]);
                    runs.len.push(count as u8);
                    a = at;
                    pa = g.xy(a);
                    inner.clear();
                    count = 0;
                }
                runs.run_of[s as usize] = runs.ends.len() as u32;
                count += 1;
                let next = through(b, s).filter(|&t| runs.run_of[t as usize] == u32::MAX);
                match next {
                    Some(t) => {
                        inner.push(pb);
                        at = b;
                        s = t;
                    }
                    None => {
                        runs.ends.push([a, b]);
                        runs.len.push(count as u8);
                        return;
                    }
                }
            }
        };
        // From every node where runs must end, then what is left: closed rings of
        // pass-through nodes, from any of their nodes.
        for node in 0..g.node_count() as u32 {
            let (a, b) = (
                g.adj_start[node as usize] as usize,
                g.adj_start[node as usize + 1] as usize,
            );
            let adj = g.adj.get(a..b).unwrap_or_default();
            if let &[s, _] = adj {
                if through(node, s).is_some() {
                    continue;
                }
            }
            for &s in adj {
                if runs.run_of[s as usize] == u32::MAX {
                    walk(&mut runs, node, s);
                }
            }
        }
        for s in 0..m as u32 {
            if runs.run_of[s as usize] == u32::MAX {
                walk(&mut runs, g.seg_u[s as usize], s);
            }
        }
        runs
    }
}

/// Distance from `p` to the segment `a`–`b` in the plane, metres.
fn distance_to_chord(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (ex * ex + ey * ey).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::NoProgress;
    use crate::model::LonLat;
    use crate::routing::search::service_area;
    use crate::travel::{Speeds, TravelMode};
    use geo::{Area, BooleanOps};

    fn helsinki() -> RoadGraph {
        let pbf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/osm/helsinki_center.osm.pbf");
        crate::routing::import_pbf(&pbf, &NoProgress).unwrap()
    }

    /// Every segment lies in exactly one run; each run's segments form one path between the
    /// run's ends through nodes with exactly two segments of equal flags, whose positions lie
    /// within the tolerance of the chord; on the Helsinki extract the runs are fewer than the
    /// segments.
    #[test]
    fn runs_partition_the_segments_into_straight_paths() {
        let g = helsinki();
        let runs = &g.runs;
        let m = g.segment_count();
        assert_eq!(runs.run_of.len(), m);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); runs.ends.len()];
        for s in 0..m as u32 {
            members[runs.run_of[s as usize] as usize].push(s);
        }
        for (r, segs) in members.iter().enumerate() {
            assert_eq!(segs.len(), usize::from(runs.len[r]), "run {r}");
            assert!((1..=RUN_MAX_SEGMENTS).contains(&segs.len()));
            // Walk the path from one end: each step takes the run's unused segment at the
            // current node.
            let [a, b] = runs.ends[r];
            let (pa, pb) = (g.xy(a), g.xy(b));
            let mut at = a;
            let mut left: Vec<u32> = segs.clone();
            while !left.is_empty() {
                let k = left
                    .iter()
                    .position(|&s| g.seg_u[s as usize] == at || g.seg_v[s as usize] == at)
                    .unwrap_or_else(|| panic!("run {r} is not a path"));
                let s = left.swap_remove(k) as usize;
                at = if g.seg_u[s] == at {
                    g.seg_v[s]
                } else {
                    g.seg_u[s]
                };
                if !left.is_empty() {
                    let deg = g.adj_start[at as usize + 1] - g.adj_start[at as usize];
                    assert_eq!(deg, 2, "run {r} passes a junction");
                    assert!(distance_to_chord(g.xy(at), pa, pb) <= RUN_TOLERANCE_M);
                    let flags: Vec<u8> = segs.iter().map(|&s| g.seg_flags[s as usize]).collect();
                    assert!(flags.iter().all(|&f| f == flags[0]), "run {r}");
                }
            }
            assert_eq!(at, b, "run {r} ends elsewhere");
        }
        assert!(
            runs.ends.len() < m * 3 / 4,
            "{} runs, {m} segments",
            runs.ends.len()
        );
    }

    /// A service area drawn with the runs is the area drawn one piece per segment (the graph
    /// with every run cut to a single segment) within a fraction of a percent: IoU ≥ 0.995
    /// from 40 origins spread over the extract.
    #[test]
    fn service_areas_with_runs_match_one_piece_per_segment() {
        let g = helsinki();
        let mut single = g.clone();
        let m = single.segment_count();
        single.runs = Runs {
            run_of: (0..m as u32).collect(),
            ends: (0..m).map(|s| [single.seg_u[s], single.seg_v[s]]).collect(),
            len: vec![1; m],
        };
        let speeds = Speeds::default();
        let mut compared = 0;
        for k in 0..40 {
            let n = (k * 137) % g.node_count() as u32;
            let p = g.node(n);
            let from = LonLat::new(p.lon + 2e-5, p.lat + 1e-5).unwrap();
            let area = |g: &RoadGraph| service_area(g, from, TravelMode::Walk, &speeds, 5.0, 200.0);
            let (Some(a), Some(b)) = (area(&g), area(&single)) else {
                continue;
            };
            assert!(a.reached_pieces <= b.reached_pieces);
            let inter = a.polygon.intersection(&b.polygon).unsigned_area();
            let union = a.polygon.union(&b.polygon).unsigned_area();
            assert!(inter / union >= 0.995, "origin {k}: IoU {}", inter / union);
            compared += 1;
        }
        assert!(compared >= 30, "{compared}");
    }
}
