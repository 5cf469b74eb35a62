//! Turn restrictions for e-bikes, built into the graph by splitting the via node.
//!
//! **What applies** (OSM wiki, *Relation:restriction*): a relation `type=restriction` with
//! one `from` way, one `via` node and one `to` way. The value comes from
//! `restriction:bicycle` if present, else from `restriction` (a key for another mode only,
//! such as `restriction:hgv`, does not bind e-bikes); `except=bicycle` (in a `;` list) lifts
//! it. `no_*` forbids the turn from `from` to `to`; `only_*` forbids every turn from `from`
//! except onto `to`. An e-bike (电动自行车) is a vehicle and obeys the turn signs of the
//! road, as Valhalla's bicycle costing obeys these relations. Pedestrians are not bound.
//! Restrictions over a via way, or whose members are missing from the file, are counted and
//! left out ([`super::ImportFigures::turn_restrictions_skipped`]).
//!
//! **How** (the search stays one label per node, so a turn cannot be checked against the
//! segment the search arrived on): the via node `n` is replaced by copies, one *arrival* copy
//! `a_i` per segment `i` at `n` (segment `i` now ends there) and, for a segment e-bikes may
//! ride both ways, a *departure* copy `b_i` with a duplicate of segment `i` that e-bikes
//! ride away from `n` only (for a one-way segment the single copy serves its one
//! direction). Zero-length links ([`SPLIT`]) join `a_i` to `b_j` for each turn `i → j` the
//! restrictions allow; pedestrians get links between every two arrival copies. An e-bike
//! reaches `b_j` only over a link, and leaves it only along `j`, so no two links are chained
//! and every turn is one the restrictions allow. Junction delays are charged at the arrival
//! copy as at `n` ([`super::RoadGraph::junction_delay_s`] counts the segments of the other
//! copies through the links); a link costs nothing, and the duplicates are left out of the
//! per-mode figures.
//!
//! Left as it is: a position that snaps to a segment at a restricted node is reached from
//! the node's side only by the segment itself (the duplicate ties with it and loses), and a
//! node next to another restricted node keeps its restrictions only if neither touches the
//! other's duplicates (else they are skipped).

use super::graph::{RawSegment, EBIKE_BACKWARD, EBIKE_FORWARD, SPLIT, WALK_BACKWARD, WALK_FORWARD};
use std::collections::HashMap;

/// One turn restriction that binds e-bikes, by OSM ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnRestriction {
    /// The way the turn comes from.
    pub from_way: i64,
    /// The node where it turns.
    pub via_node: i64,
    /// The way it turns onto.
    pub to_way: i64,
    /// `only_*` (every other turn from `from_way` is forbidden) rather than `no_*`.
    pub only: bool,
}

/// A relation member: a node, a way or a relation, its id and its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// A node.
    Node,
    /// A way.
    Way,
    /// A relation.
    Relation,
}

/// Reads a relation: `None` when it is not a turn restriction that binds e-bikes; `Some(None)`
/// when it is one in a form this model leaves out (a via way, several from or to ways);
/// `Some(Some(r))` otherwise. `tags` and `members` (kind, id, role) as in the file.
pub fn parse(
    tags: &[(&str, &str)],
    members: &[(Member, i64, &str)],
) -> Option<Option<TurnRestriction>> {
    let tag = |k: &str| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    if tag("type") != Some("restriction") {
        return None;
    }
    if tag("except").is_some_and(|e| e.split(';').any(|m| m.trim() == "bicycle")) {
        return None;
    }
    let value = tag("restriction:bicycle").or(tag("restriction"))?;
    let only = if value.starts_with("only_") {
        true
    } else if value.starts_with("no_") {
        false
    } else {
        return None;
    };
    let pick = |kind: Member, role: &str| -> Vec<i64> {
        members
            .iter()
            .filter(|(k, _, r)| *k == kind && *r == role)
            .map(|(_, id, _)| *id)
            .collect()
    };
    let (from, via, to) = (
        pick(Member::Way, "from"),
        pick(Member::Node, "via"),
        pick(Member::Way, "to"),
    );
    let via_others = members
        .iter()
        .filter(|(k, _, r)| *r == "via" && *k != Member::Node)
        .count();
    if from.len() != 1 || via.len() != 1 || to.len() != 1 || via_others > 0 {
        return Some(None);
    }
    Some(Some(TurnRestriction {
        from_way: from[0],
        via_node: via[0],
        to_way: to[0],
        only,
    }))
}

/// Applies `restrictions` to the segments (module docs): `seg_way[i]` is the OSM way of
/// `segments[i]`, `node_of(id)` the index of an OSM node (if the file has it), `barriers`
/// the node indices split for barriers (restrictions there are skipped). New nodes are
/// appended to `lon_e7`/`lat_e7`, new segments to `segments`. Returns `(applied, skipped)`.
pub fn apply(
    lon_e7: &mut Vec<i32>,
    lat_e7: &mut Vec<i32>,
    segments: &mut Vec<RawSegment>,
    seg_way: &[i64],
    restrictions: &[TurnRestriction],
    node_of: impl Fn(i64) -> Option<u32>,
    barriers: &[u32],
) -> (u64, u64) {
    let mut skipped = 0u64;
    let mut by_node: HashMap<u32, Vec<TurnRestriction>> = HashMap::new();
    for r in restrictions {
        match node_of(r.via_node) {
            Some(n) if !barriers.contains(&n) => by_node.entry(n).or_default().push(*r),
            _ => skipped += 1,
        }
    }
    let mut at: HashMap<u32, Vec<usize>> = by_node.keys().map(|&n| (n, Vec::new())).collect();
    for (i, s) in segments.iter().enumerate() {
        for end in [s.u, s.v] {
            if let Some(list) = at.get_mut(&end) {
                list.push(i);
            }
        }
    }
    let mut applied = 0u64;
    let mut nodes: Vec<u32> = by_node.keys().copied().collect();
    nodes.sort_unstable();
    for n in nodes {
        let rs = &by_node[&n];
        let incident = &at[&n];
        let way_at = |w: i64| incident.iter().any(|&i| seg_way.get(i) == Some(&w));
        // A restriction whose ways do not meet here, or a node a previous split touched.
        let touched = incident.iter().any(|&i| segments[i].flags & SPLIT != 0);
        let valid: Vec<&TurnRestriction> = rs
            .iter()
            .filter(|r| !touched && way_at(r.from_way) && way_at(r.to_way))
            .collect();
        skipped += (rs.len() - valid.len()) as u64;
        if valid.is_empty() {
            continue;
        }
        applied += valid.len() as u64;
        let allowed = |i: usize, j: usize| {
            valid.iter().all(|r| {
                // `no_u_turn` onto the way it comes from: a turn back along the same segment,
                // which no path takes anyway.
                if seg_way[i] != r.from_way || (!r.only && r.from_way == r.to_way) {
                    return true;
                }
                let onto = seg_way[j] == r.to_way;
                if r.only {
                    onto
                } else {
                    !onto
                }
            })
        };
        split(lon_e7, lat_e7, segments, n, incident, &allowed);
    }
    (applied, skipped)
}

/// Whether e-bikes may ride segment `s` toward node `n` (arrive) and away from it (depart).
fn directions(s: &RawSegment, n: u32) -> (bool, bool) {
    let (fwd, bwd) = (s.flags & EBIKE_FORWARD != 0, s.flags & EBIKE_BACKWARD != 0);
    if s.v == n {
        (fwd, bwd)
    } else {
        (bwd, fwd)
    }
}

/// Splits node `n` with its `incident` segments (module docs); `allowed(i, j)` says whether
/// the turn from segment `i` onto segment `j` is allowed.
fn split(
    lon_e7: &mut Vec<i32>,
    lat_e7: &mut Vec<i32>,
    segments: &mut Vec<RawSegment>,
    n: u32,
    incident: &[usize],
    allowed: &dyn Fn(usize, usize) -> bool,
) {
    let (lon, lat) = (lon_e7[n as usize], lat_e7[n as usize]);
    let mut copy = || {
        lon_e7.push(lon);
        lat_e7.push(lat);
        (lon_e7.len() - 1) as u32
    };
    // Per incident segment: its arrival copy, its departure copy, its directions.
    let mut ends: Vec<(u32, u32, bool, bool)> = Vec::with_capacity(incident.len());
    for &i in incident {
        let (arrive, depart) = directions(&segments[i], n);
        let a = copy();
        let s = &mut segments[i];
        if s.u == n {
            s.u = a;
        } else {
            s.v = a;
        }
        let b = if arrive && depart {
            let b = copy();
            let far = if s.u == a { s.v } else { s.u };
            // The duplicate runs from the departure copy to the far end: e-bikes forward only.
            let flags = (s.flags
                & !(WALK_FORWARD | WALK_BACKWARD | EBIKE_FORWARD | EBIKE_BACKWARD))
                | EBIKE_FORWARD
                | SPLIT;
            let class = s.class;
            segments.push(RawSegment {
                u: b,
                v: far,
                flags,
                class,
            });
            b
        } else {
            a
        };
        ends.push((a, b, arrive, depart));
    }
    // Links: pedestrians between every two arrival copies; e-bikes from an arrival copy to a
    // departure copy for each allowed turn. One segment per pair of copies.
    let mut links: HashMap<(u32, u32), u8> = HashMap::new();
    for (x, &i) in incident.iter().enumerate() {
        for (y, &j) in incident.iter().enumerate() {
            if x == y {
                continue;
            }
            let (ai, _, arrive_i, _) = ends[x];
            let (aj, bj, _, depart_j) = ends[y];
            if x < y {
                *links.entry((ai, aj)).or_default() |= WALK_FORWARD | WALK_BACKWARD;
            }
            if arrive_i && depart_j && allowed(i, j) {
                // Stored with the smaller copy first; the flag follows the direction.
                if ai < bj {
                    *links.entry((ai, bj)).or_default() |= EBIKE_FORWARD;
                } else {
                    *links.entry((bj, ai)).or_default() |= EBIKE_BACKWARD;
                }
            }
        }
    }
    let mut links: Vec<((u32, u32), u8)> = links.into_iter().collect();
    links.sort_unstable();
    for ((u, v), flags) in links {
        segments.push(RawSegment::new(u, v, flags | SPLIT));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LonLat;
    use crate::routing::graph::{ImportFigures, RoadGraph};
    use crate::routing::search::{trip, NetworkOptions};
    use crate::travel::{Speeds, TravelMode};

    const ALL: u8 = WALK_FORWARD | WALK_BACKWARD | EBIKE_FORWARD | EBIKE_BACKWARD;
    /// Metres per 0.001° of longitude and of latitude on the equator (routing tests' DX, DY).
    const DX: f64 = 111.319_490_8;
    const DY: f64 = 110.574_275_8;

    /// A block on the equator, 0.001° a side, ways by OSM id:
    ///
    /// ```text
    ///  N ────(5)──── NE        lat 0.001
    ///  │(2)          │(4)
    ///  W ──(1)── X ──(1)── E   lat 0      (W lon 0, X 0.001, E 0.002; N over X, NE over E)
    /// ```
    /// Segments W–X, X–E (way 1), X–N (2), E–NE (4), NE–N (5); all two-way, no motor roads
    /// (no junction delays). Walking at 1 m/s and riding at 1 m/s make times metres.
    fn block(restrictions: &[TurnRestriction]) -> (RoadGraph, (u64, u64)) {
        let mut lon: Vec<i32> = [0.0, 0.001, 0.002, 0.001, 0.002]
            .iter()
            .map(|x: &f64| (x * 1e7).round() as i32)
            .collect();
        let mut lat: Vec<i32> = [0.0, 0.0, 0.0, 0.001, 0.001]
            .iter()
            .map(|x: &f64| (x * 1e7).round() as i32)
            .collect();
        let (w, x, e, n, ne) = (0u32, 1, 2, 3, 4);
        let mut segments: Vec<RawSegment> = [(w, x), (x, e), (x, n), (e, ne), (ne, n)]
            .iter()
            .map(|&(u, v)| RawSegment::new(u, v, ALL))
            .collect();
        let seg_way = [1, 1, 2, 4, 5];
        // OSM node ids 100 + index.
        let figures = apply(
            &mut lon,
            &mut lat,
            &mut segments,
            &seg_way,
            restrictions,
            |id| (100..105).contains(&id).then(|| (id - 100) as u32),
            &[],
        );
        let g = RoadGraph::build(lon, lat, segments, ImportFigures::default()).unwrap();
        (g, figures)
    }

    fn time(g: &RoadGraph, mode: TravelMode, a: (f64, f64), b: (f64, f64)) -> f64 {
        let opts = NetworkOptions {
            speeds: Speeds {
                walk_m_per_s: 1.0,
                ebike_m_per_s: 1.0,
            },
            ..NetworkOptions::default()
        };
        let p = |c: (f64, f64)| LonLat::new(c.0, c.1).unwrap();
        trip(g, p(a), p(b), mode, &opts).unwrap().travel_time_s
    }

    const W: (f64, f64) = (0.0, 0.0);
    const E: (f64, f64) = (0.002, 0.0);
    const N: (f64, f64) = (0.001, 0.001);

    fn restriction(from_way: i64, to_way: i64, only: bool) -> TurnRestriction {
        TurnRestriction {
            from_way,
            via_node: 101,
            to_way,
            only,
        }
    }

    #[test]
    fn a_forbidden_turn_sends_ebikes_round_the_block_and_not_walkers() {
        let (g, figures) = block(&[restriction(1, 2, false)]);
        assert_eq!(figures, (1, 0));
        // W → N: the left turn at X is forbidden, so W–X–E–NE–N: 3 DX + DY.
        let t = time(&g, TravelMode::Ebike, W, N);
        assert!((t - (3.0 * DX + DY)).abs() < 1e-3, "{t}");
        // Walking turns: DX + DY.
        let t = time(&g, TravelMode::Walk, W, N);
        assert!((t - (DX + DY)).abs() < 1e-3, "{t}");
        // The other turns at X are open: N → W (DY + DX) and E → N (DX + DY), W → E (2 DX).
        for (a, b, want) in [(N, W, DX + DY), (E, N, DX + DY), (W, E, 2.0 * DX)] {
            let t = time(&g, TravelMode::Ebike, a, b);
            assert!((t - want).abs() < 1e-3, "{a:?} → {b:?}: {t} vs {want}");
        }
    }

    #[test]
    fn only_straight_on_forbids_the_turns_and_links_are_not_chained() {
        // From way 1 only straight on (onto way 1): W → N must go round even though W → E
        // and E → N are both allowed at X (two links chained would make the forbidden turn).
        let (g, _) = block(&[restriction(1, 1, true)]);
        let t = time(&g, TravelMode::Ebike, W, N);
        assert!((t - (3.0 * DX + DY)).abs() < 1e-3, "{t}");
        let t = time(&g, TravelMode::Ebike, W, E);
        assert!((t - 2.0 * DX).abs() < 1e-3, "{t}");
        // Coming down way 2, every turn is open.
        let t = time(&g, TravelMode::Ebike, N, W);
        assert!((t - (DX + DY)).abs() < 1e-3, "{t}");
    }

    #[test]
    fn restrictions_that_do_not_apply_are_skipped_or_ignored() {
        // A way that does not meet the node, and a node missing from the file: skipped.
        let (g, figures) = block(&[
            restriction(4, 2, false),
            TurnRestriction {
                via_node: 999,
                ..restriction(1, 2, false)
            },
        ]);
        assert_eq!(figures, (0, 2));
        let t = time(&g, TravelMode::Ebike, W, N);
        assert!((t - (DX + DY)).abs() < 1e-3, "{t}");
        // `no_u_turn` from a way onto itself never forbids going straight on.
        let (g, _) = block(&[restriction(1, 1, false)]);
        let t = time(&g, TravelMode::Ebike, W, E);
        assert!((t - 2.0 * DX).abs() < 1e-3, "{t}");
    }

    #[test]
    fn relations_are_read_as_the_osm_wiki_says() {
        let m = [
            (Member::Way, 1, "from"),
            (Member::Node, 101, "via"),
            (Member::Way, 2, "to"),
        ];
        let r = Some(Some(restriction(1, 2, false)));
        assert_eq!(
            parse(
                &[("type", "restriction"), ("restriction", "no_left_turn")],
                &m
            ),
            r
        );
        // A bicycle-specific value wins; other modes' keys do not bind e-bikes.
        assert_eq!(
            parse(
                &[
                    ("type", "restriction"),
                    ("restriction", "only_straight_on"),
                    ("restriction:bicycle", "no_left_turn")
                ],
                &m
            ),
            r
        );
        assert_eq!(
            parse(
                &[("type", "restriction"), ("restriction:hgv", "no_left_turn")],
                &m
            ),
            None
        );
        assert_eq!(
            parse(
                &[
                    ("type", "restriction"),
                    ("restriction", "no_left_turn"),
                    ("except", "psv;bicycle")
                ],
                &m
            ),
            None
        );
        assert_eq!(parse(&[("type", "multipolygon")], &m), None);
        // A via way is left out, and counted.
        let via_way = [
            (Member::Way, 1, "from"),
            (Member::Way, 7, "via"),
            (Member::Way, 2, "to"),
        ];
        assert_eq!(
            parse(
                &[("type", "restriction"), ("restriction", "no_left_turn")],
                &via_way
            ),
            Some(None)
        );
    }
}
