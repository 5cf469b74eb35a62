//! Reading an OpenStreetMap PBF extract into a [`RoadGraph`] (parsing by the `osmpbf` crate).
//!
//! Two passes over the file: the first keeps the ways some mode may use ([`super::tags`]) and
//! the ids of their nodes; the second reads the positions of just those nodes. Each pair of
//! consecutive nodes of a way becomes a segment. A way that refers to a node missing from the
//! file (a clipped extract) is cut there: the segments touching the missing node are dropped,
//! the rest of the way is kept, and both are counted in [`ImportFigures`].
//!
//! Turn restrictions (relations, read in the first pass) split their via nodes for e-bikes
//! ([`super::turns`]).
//!
//! A barrier node ([`barrier_passage`]) that stops a mode is split: every segment touching it
//! gets its own copy of the node, joined to the original by a zero-length connector that only
//! the modes allowed through carry (none when the barrier stops both).

use super::graph::{
    ImportFigures, RawSegment, RoadGraph, EBIKE_BACKWARD, EBIKE_FORWARD, FERRY, MOTOR, TUNNEL,
    WALK_BACKWARD, WALK_FORWARD,
};
use super::tags::{barrier_passage, road_class, way_access};
use super::turns::{self, Member, TurnRestriction};
use super::RoutingError;
use crate::coverage::Progress;
use crate::error::FileError;
use osmpbf::{Element, ElementReader};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Counts bytes read, for the progress bar.
struct Counting<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// Checks that `path` starts like an OSM PBF file: a 4-byte big-endian length below 64 KiB,
/// then a `BlobHeader` whose type is `OSMHeader` (OSM wiki, *PBF Format*).
fn check_pbf_start(path: &Path, name: &str) -> Result<u64, RoutingError> {
    let io = |e: std::io::Error| RoutingError::from(FileError::read(path, e));
    let mut f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let mut head = [0u8; 64];
    let mut got = 0;
    while got < head.len() {
        let n = f.read(&mut head[got..]).map_err(io)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let not_pbf = |why: &str| RoutingError::NotPbf(name.to_string(), why.to_string());
    if got < 4 {
        return Err(not_pbf("the file is empty or shorter than a block header"));
    }
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 || len > 64 * 1024 {
        return Err(not_pbf("it does not start with an OSM block header"));
    }
    let window = &head[4..got.min(4 + len)];
    if !window.windows(9).any(|w| w == b"OSMHeader") {
        return Err(not_pbf("its first block is not an OSMHeader block"));
    }
    Ok(size)
}

/// A way kept by the first pass.
struct KeptWay {
    id: i64,
    refs: Vec<i64>,
    flags: u8,
    class: u8,
}

/// Imports the road graph of the PBF extract at `path`. `progress` gets one stage, `reading`,
/// measured in bytes (the file is read twice).
///
/// # Errors
/// [`RoutingError::NotPbf`] for a file that is not a PBF, [`RoutingError::Pbf`] for a
/// truncated or damaged one, [`RoutingError::NoUsableWays`] when no way can be walked or
/// ridden, [`RoutingError::File`] when it cannot be read.
pub fn import_pbf(path: &Path, progress: &dyn Progress) -> Result<RoadGraph, RoutingError> {
    let started = Instant::now();
    let name = path.display().to_string();
    let size = check_pbf_start(path, &name)?;
    progress.start("reading", 2 * size);
    let open = || -> Result<ElementReader<Counting<'_, std::io::BufReader<std::fs::File>>>, RoutingError> {
        let f = std::fs::File::open(path)
            .map_err(|e| FileError::read(path, e))?;
        Ok(ElementReader::new(Counting {
            inner: std::io::BufReader::with_capacity(1 << 20, f),
            progress,
        }))
    };
    let damaged = |e: osmpbf::Error| RoutingError::Pbf(name.clone(), e);

    // Pass 1: ways.
    let mut figures = ImportFigures {
        source: name.clone(),
        ..ImportFigures::default()
    };
    let mut ways: Vec<KeptWay> = Vec::new();
    let mut needed: Vec<i64> = Vec::new();
    let mut restrictions: Vec<TurnRestriction> = Vec::new();
    let mut restrictions_skipped = 0u64;
    open()?
        .for_each(|el| {
            if let Element::Relation(r) = &el {
                let tags: Vec<(&str, &str)> = r.tags().collect();
                let members: Vec<(Member, i64, &str)> = r
                    .members()
                    .map(|m| {
                        let kind = match m.member_type {
                            osmpbf::RelMemberType::Node => Member::Node,
                            osmpbf::RelMemberType::Way => Member::Way,
                            osmpbf::RelMemberType::Relation => Member::Relation,
                        };
                        (kind, m.member_id, m.role().unwrap_or(""))
                    })
                    .collect();
                match turns::parse(&tags, &members) {
                    Some(Some(t)) => restrictions.push(t),
                    Some(None) => restrictions_skipped += 1,
                    None => {}
                }
                return;
            }
            if let Element::Way(w) = el {
                let pairs: Vec<(&str, &str)> = w.tags().collect();
                let is_candidate = pairs
                    .iter()
                    .any(|(k, v)| *k == "highway" || (*k == "route" && *v == "ferry"));
                if !is_candidate {
                    return;
                }
                figures.ways_read += 1;
                let Some(a) = way_access(&pairs) else {
                    return;
                };
                let mut flags = 0u8;
                for (on, bit) in [
                    (a.walk_forward, WALK_FORWARD),
                    (a.walk_backward, WALK_BACKWARD),
                    (a.ebike_forward, EBIKE_FORWARD),
                    (a.ebike_backward, EBIKE_BACKWARD),
                    (a.ferry, FERRY),
                    (a.tunnel, TUNNEL),
                    (a.motor, MOTOR),
                ] {
                    if on {
                        flags |= bit;
                    }
                }
                let refs: Vec<i64> = w.refs().collect();
                if refs.len() < 2 {
                    return;
                }
                figures.ways_used += 1;
                needed.extend_from_slice(&refs);
                ways.push(KeptWay {
                    id: w.id(),
                    refs,
                    flags,
                    class: road_class(&pairs),
                });
            }
        })
        .map_err(damaged)?;
    needed.sort_unstable();
    needed.dedup();

    // Pass 2: positions of the needed nodes.
    let mut lon_e7 = vec![0i32; needed.len()];
    let mut lat_e7 = vec![0i32; needed.len()];
    let mut found = vec![false; needed.len()];
    // Barrier nodes that stop a mode: (node index, walk passes, e-bike passes).
    let mut barriers: Vec<(u32, bool, bool)> = Vec::new();
    let mut put = |id: i64, lon: i32, lat: i32, tags: &mut dyn Iterator<Item = (&str, &str)>| {
        if let Ok(i) = needed.binary_search(&id) {
            lon_e7[i] = lon;
            lat_e7[i] = lat;
            found[i] = true;
            let tags: Vec<(&str, &str)> = tags.collect();
            if let Some((walk, ebike)) = barrier_passage(&tags) {
                if !(walk && ebike) {
                    barriers.push((i as u32, walk, ebike));
                }
            }
        }
    };
    open()?
        .for_each(|el| match el {
            Element::Node(n) => put(n.id(), n.decimicro_lon(), n.decimicro_lat(), &mut n.tags()),
            Element::DenseNode(n) => {
                put(n.id(), n.decimicro_lon(), n.decimicro_lat(), &mut n.tags())
            }
            _ => {}
        })
        .map_err(damaged)?;

    // Segments, cut at missing nodes.
    let mut segments = Vec::new();
    let mut seg_way: Vec<i64> = Vec::new();
    for w in &ways {
        let idx: Vec<Option<u32>> = w
            .refs
            .iter()
            // Every ref was collected in pass 1; one that was not counts as a missing node.
            .map(|r| {
                let i = needed.binary_search(r).ok()?;
                found[i].then_some(i as u32)
            })
            .collect();
        let missing = idx.iter().filter(|x| x.is_none()).count() as u64;
        if missing > 0 {
            figures.ways_cut += 1;
            figures.missing_node_refs += missing;
        }
        for p in idx.windows(2) {
            if let (Some(u), Some(v)) = (p[0], p[1]) {
                if u != v {
                    segments.push(RawSegment {
                        u,
                        v,
                        flags: w.flags,
                        class: w.class,
                    });
                    seg_way.push(w.id);
                }
            }
        }
    }
    drop(ways);
    let barrier_nodes: Vec<u32> = barriers.iter().map(|b| b.0).collect();
    let (applied, skipped) = turns::apply(
        &mut lon_e7,
        &mut lat_e7,
        &mut segments,
        &seg_way,
        &restrictions,
        |id| {
            let i = needed.binary_search(&id).ok()?;
            found[i].then_some(i as u32)
        },
        &barrier_nodes,
    );
    figures.turn_restrictions = applied;
    figures.turn_restrictions_skipped = skipped + restrictions_skipped;
    figures.barriers = barriers.len() as u64;
    split_barriers(&mut lon_e7, &mut lat_e7, &mut segments, &mut barriers);
    figures.elapsed_s = started.elapsed().as_secs_f64();
    let mut g = RoadGraph::build(lon_e7, lat_e7, segments, figures)?;
    g.import.elapsed_s = started.elapsed().as_secs_f64();
    Ok(g)
}

/// Splits each barrier node (module docs): the segments touching it get copies of it, joined
/// to it by zero-length connectors carrying only the modes the barrier lets through.
fn split_barriers(
    lon_e7: &mut Vec<i32>,
    lat_e7: &mut Vec<i32>,
    segments: &mut Vec<RawSegment>,
    barriers: &mut [(u32, bool, bool)],
) {
    if barriers.is_empty() {
        return;
    }
    barriers.sort_unstable_by_key(|b| b.0);
    let find = |n: u32| barriers.binary_search_by_key(&n, |b| b.0).ok();
    let mut connectors = Vec::new();
    for seg in segments.iter_mut() {
        for end in [&mut seg.u, &mut seg.v] {
            let Some(b) = find(*end) else { continue };
            let (node, walk, ebike) = barriers[b];
            let copy = lon_e7.len() as u32;
            lon_e7.push(lon_e7[node as usize]);
            lat_e7.push(lat_e7[node as usize]);
            *end = copy;
            let mut flags = 0;
            if walk {
                flags |= WALK_FORWARD | WALK_BACKWARD;
            }
            if ebike {
                flags |= EBIKE_FORWARD | EBIKE_BACKWARD;
            }
            if flags != 0 {
                connectors.push(RawSegment::new(copy, node, flags));
            }
        }
    }
    segments.extend(connectors);
}
