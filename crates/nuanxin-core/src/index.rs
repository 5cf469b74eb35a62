//! The spatial index of service points: an R*-tree (`rstar`) over 3-D unit vectors.
//!
//! Why unit vectors: an R-tree over raw `[lon, lat]` degrees ranks wrongly (at 28° N a degree
//! of longitude is cos 28° ≈ 0.88 of a degree of latitude) and breaks at the antimeridian and
//! the poles. On the unit sphere the chord between two vectors is monotonic in their central
//! angle θ (see [`crate::geodesy`]), so the tree's Euclidean order is the great-circle order,
//! with no seam anywhere.
//!
//! Reported distances are WGS-84 geodesics ([`crate::geodesy::geodesic_distance_m`]), and every
//! query is exact for them, not for the sphere: the ellipsoidal distance d of a point at central
//! angle θ obeys `d ≥ (b²/a) θ` ([`MIN_METRES_PER_RADIAN`], proven in [`crate::geodesy`]).
//! Hence
//!
//! - **k nearest** walks the tree depth first, nearest envelope first, computing the geodesic
//!   distance of each admitted point, and skips every node and point whose chord's lower bound
//!   exceeds the k-th best distance found so far; every skipped point is provably farther.
//!   Filters are applied during the walk, before the limit.
//! - **within a radius r** asks the tree for every point within the chord of angle
//!   `r / (b²/a)` (rstar's `locate_within_distance` takes the *squared* chord), then keeps the
//!   points whose geodesic distance is at most r. When that angle reaches π every point is a
//!   candidate, so radii up to and beyond half the circumference work.
//! - **in a bbox** turns the longitude/latitude box (edges are meridians and parallels,
//!   possibly crossing the antimeridian) into a 3-D box that encloses its whole surface patch,
//!   asks the tree for that, then tests each candidate's `[lon, lat]` exactly.
//!
//! Bounds are widened by [`DISTANCE_MAX_ERROR_M`] and a 1e-12 chord margin for rounding.
//!
//! **Cost** (`benches/nearest.rs`, thread CPU time on the 2-core build machine; the figures
//! and their table are in docs/benchmarks.md, "Nearest neighbour"): k = 5 over 100 000 points in Hunan takes
//! 1.55 µs, 44 000 times less than computing every geodesic distance; with a filter a quarter
//! of the points pass, 2.76 µs. Filters are not summarised in the tree's nodes, so the walk
//! cannot prune by them: a filter that few points pass makes it visit many nodes before the
//! k-th match bounds the search, and one that no point passes walks the whole tree (1.02 ms at
//! 100 000 points, about 10 ns per point).
//!
//! Why this file is long: the index and its queries (nearest, radius, bbox, by id, filters)
//! are one data structure; listings and live publication already live beside it
//! (`index/listing.rs`, `index/live.rs`); the unit tests are the last ~150 lines.

use crate::geodesy::{
    angle_to_chord, distance_between_unit_vectors_m, karney_distance_m, short_line_distance_m,
    unit_vector, DISTANCE_MAX_ERROR_M, MIN_METRES_PER_RADIAN,
};
use crate::model::{AccessMethod, AmenitySet, Bbox, LonLat, ServiceKind, ServicePoint};
use chrono::NaiveDateTime;
use rstar::{ParentNode, PointDistance, RTree, RTreeNode, RTreeObject, AABB};
use std::sync::Arc;

mod listing;
pub mod live;

pub use listing::Page;
use listing::{HoursTable, Listed};

/// The fields most filters test, copied out of the point record so that filtering does not
/// have to read it (a cache miss per candidate, which dominated query time before).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Attrs {
    kind: ServiceKind,
    access: Option<AccessMethod>,
    amenities: AmenitySet,
}

impl Attrs {
    fn of(p: &ServicePoint) -> Self {
        Attrs {
            kind: p.kind,
            access: p.access,
            amenities: p.amenities,
        }
    }

    /// The part of [`Filter::admits`] decided by these fields.
    fn admitted_by(&self, f: &Filter) -> bool {
        (f.kinds.is_empty() || f.kinds.contains(&self.kind))
            && self.amenities.contains_all(f.amenities)
            && (f.access.is_empty() || self.access.is_some_and(|a| f.access.contains(&a)))
    }
}

/// One entry of the tree: the unit vector of a point, the point itself, and a copy of its
/// filter fields.
#[derive(Debug, Clone)]
struct Entry {
    xyz: [f64; 3],
    point: Arc<ServicePoint>,
    attrs: Attrs,
}

impl Entry {
    fn new(point: Arc<ServicePoint>) -> Self {
        Entry {
            xyz: unit_vector(point.location),
            attrs: Attrs::of(&point),
            point,
        }
    }

    /// [`Filter::admits`] for this entry's point, reading the record only for `open_at`.
    fn admitted_by(&self, f: &Filter) -> bool {
        self.admitted_by_inline_fields(f) && self.open_as_required_by(f)
    }

    /// The part of [`Filter::admits`] decided by the fields copied into the entry.
    fn admitted_by_inline_fields(&self, f: &Filter) -> bool {
        self.attrs.admitted_by(f)
    }

    /// The `open_at` part of [`Filter::admits`] (reads the point record).
    fn open_as_required_by(&self, f: &Filter) -> bool {
        f.open_at.is_none_or(|t| self.point.is_open_at(t))
    }
}

impl PartialEq for Entry {
    /// Entries are equal when they hold the same id (ids are unique in an index).
    fn eq(&self, other: &Self) -> bool {
        self.point.id == other.point.id
    }
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for Entry {
    fn distance_2(&self, q: &[f64; 3]) -> f64 {
        let d = [self.xyz[0] - q[0], self.xyz[1] - q[1], self.xyz[2] - q[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
    }
}

/// Which points a query may return. The default admits every point.
/// Filters are applied before the limit `k`, so a query returns the k nearest *matching* points.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Admitted kinds; empty admits all.
    pub kinds: Vec<ServiceKind>,
    /// Amenities a point must all have.
    pub amenities: AmenitySet,
    /// Only points open at this local (UTC+8) time.
    pub open_at: Option<NaiveDateTime>,
    /// Admitted access methods; empty admits all.
    pub access: Vec<AccessMethod>,
}

impl Filter {
    /// Whether `p` passes. (The index applies the same test to its entries' copies of these
    /// fields; `admitted_by_agrees_with_admits` checks they agree.)
    pub fn admits(&self, p: &ServicePoint) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&p.kind))
            && p.amenities.contains_all(self.amenities)
            && (self.access.is_empty() || p.access.is_some_and(|a| self.access.contains(&a)))
            && self.open_at.is_none_or(|t| p.is_open_at(t))
    }
}

/// A query result: a point and its geodesic distance from the query position, metres.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The point.
    pub point: Arc<ServicePoint>,
    /// WGS-84 geodesic distance from the query position, metres.
    pub distance_m: f64,
}

/// Errors building or changing the index.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// Two points share an id.
    #[error("duplicate service point id `{0}`")]
    DuplicateId(String),
}

impl crate::error::Classify for IndexError {
    fn class(&self) -> crate::error::ErrorClass {
        match self {
            IndexError::DuplicateId(_) => crate::error::ErrorClass::Conflict,
        }
    }
}

/// The index. Cheap to query from many threads (`&self`); changes take `&mut self` and cost
/// O(log n) in the tree plus one `memmove` of the id-ordered lists (see [`ServiceIndex::upsert`]).
/// For a server that edits while it serves, wrap it in [`live::LiveIndex`].
///
/// Besides the R*-tree it keeps every point in id order, overall and per kind, with a copy of
/// the filter fields and an interned opening-hours number beside each, so that a page of a
/// listing costs in proportion to the page ([`ServiceIndex::page`]).
#[derive(Debug, Default)]
pub struct ServiceIndex {
    tree: RTree<Entry>,
    /// Every point, sorted by id.
    sorted: Vec<Listed>,
    /// The points of each kind (in [`ServiceKind::ALL`] order), sorted by id.
    by_kind: Vec<Vec<Listed>>,
    /// Distinct opening-hours expressions, interned.
    hours: HoursTable,
    /// A box holding every point (grown by inserts, never shrunk): a bbox query that covers
    /// it is answered from the id order.
    extent: Option<Bbox>,
    /// `numberMatched` of recent filters (adjusted by every change).
    counts: listing::CountCache,
    /// Per kind, the bbox of its points (computed on first use, kept up to date by changes).
    kind_extents: std::sync::OnceLock<Vec<Option<Bbox>>>,
    /// Points marked [`ServicePoint::demo`].
    demo: usize,
}

impl Clone for ServiceIndex {
    /// A copy sharing the point records (O(n): the tree and the listings are copied, one
    /// reference count incremented per entry). On one thread: copying the tree on a second
    /// thread made the live index's spare copy of 1M points slower, not faster (1.6–2.5 s
    /// against 0.89 s, `scripts/bench-edits.sh`, 2026-12-07 20:42 UTC, load 6–7), most
    /// likely because both threads increment the reference counts of the same records.
    fn clone(&self) -> Self {
        Self {
            tree: self.tree.clone(),
            sorted: self.sorted.clone(),
            by_kind: self.by_kind.clone(),
            hours: self.hours.clone(),
            extent: self.extent,
            counts: listing::CountCache::default(),
            kind_extents: self.kind_extents.clone(),
            demo: self.demo,
        }
    }
}

/// The position of `kind` in [`ServiceKind::ALL`] (its discriminant: `ALL` lists the
/// variants in declaration order, checked at compile time below).
fn kind_slot(kind: ServiceKind) -> usize {
    kind as usize
}

const _: () = {
    let mut i = 0;
    while i < ServiceKind::ALL.len() {
        assert!(ServiceKind::ALL[i] as usize == i);
        i += 1;
    }
};

fn by_distance_then_id(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    a.distance_m
        .total_cmp(&b.distance_m)
        .then_with(|| a.point.id.cmp(&b.point.id))
}

impl ServiceIndex {
    /// Builds the index by bulk loading (the OMT packing `rstar` implements) and sorting by id.
    ///
    /// # Errors
    /// [`IndexError::DuplicateId`] if two points share an id.
    pub fn new(points: Vec<ServicePoint>) -> Result<Self, IndexError> {
        Self::from_shared(points.into_iter().map(Arc::new).collect())
    }

    /// [`ServiceIndex::new`] of shared point records (what
    /// [`crate::suggestions::Store::service_points_shared`] reads at start-up), with no copy
    /// of the records. Input already in id order (the store's) is checked in O(n) instead
    /// of sorted. The R*-tree is bulk-loaded on a second thread while this one builds the
    /// id-ordered listings; the result does not depend on the threads (each part is built
    /// from the id order alone).
    ///
    /// # Errors
    /// [`IndexError::DuplicateId`] if two points share an id.
    pub fn from_shared(mut points: Vec<Arc<ServicePoint>>) -> Result<Self, IndexError> {
        points.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = points.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(IndexError::DuplicateId(w[0].id.clone()));
        }
        let bulk_load = |points: &[Arc<ServicePoint>]| {
            RTree::bulk_load(points.iter().map(|p| Entry::new(p.clone())).collect())
        };
        let (tree, mut index) = std::thread::scope(|scope| {
            let tree = std::thread::Builder::new()
                .name("index-bulk-load".into())
                .spawn_scoped(scope, || bulk_load(&points));
            let index = Self::listings(&points);
            // No thread could be started: build the tree here.
            let tree = match tree.map(|t| t.join()) {
                Ok(Ok(tree)) => tree,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => bulk_load(&points),
            };
            (tree, index)
        });
        index.tree = tree;
        Ok(index)
    }

    /// The index without its tree: the id-ordered listings, the opening-hours table, the
    /// extent and the demo count of `points` (sorted by id).
    fn listings(points: &[Arc<ServicePoint>]) -> Self {
        let mut per_kind = vec![0usize; ServiceKind::ALL.len()];
        for p in points {
            per_kind[kind_slot(p.kind)] += 1;
        }
        let mut index = ServiceIndex {
            by_kind: per_kind.into_iter().map(Vec::with_capacity).collect(),
            ..Default::default()
        };
        index.sorted.reserve_exact(points.len());
        for p in points {
            index.demo += usize::from(p.demo);
            index.grow_extent(p.location);
            let listed = Listed::new(p.clone(), &mut index.hours);
            index.by_kind[kind_slot(p.kind)].push(listed.clone());
            index.sorted.push(listed);
        }
        index
    }

    fn grow_extent(&mut self, p: LonLat) {
        self.extent = Some(listing::grown(self.extent, p));
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Number of demonstration points ([`ServicePoint::demo`]) held, O(1).
    pub fn demo_count(&self) -> usize {
        self.demo
    }

    /// Whether the index holds no point.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The point with this id (binary search in the id order, O(log n)).
    pub fn get(&self, id: &str) -> Option<&Arc<ServicePoint>> {
        listing::find(&self.sorted, id)
            .ok()
            .map(|i| &self.sorted[i].point)
    }

    /// Every point in id order, without copying (O(1) to start).
    pub fn iter_sorted(&self) -> impl ExactSizeIterator<Item = &Arc<ServicePoint>> + '_ {
        self.sorted.iter().map(|l| &l.point)
    }

    /// Every point, sorted by id (a stable order for paging). Copies n `Arc`s: prefer
    /// [`ServiceIndex::iter_sorted`] or [`ServiceIndex::page`].
    pub fn all_sorted(&self) -> Vec<Arc<ServicePoint>> {
        self.iter_sorted().cloned().collect()
    }

    /// Inserts `p`, replacing any point with the same id. Returns the replaced point.
    ///
    /// Cost: O(log n) in the tree, a binary search and one insertion in the id-ordered list
    /// and in the kind's list. The insertion shifts the tail of those `Vec`s (16 bytes an
    /// entry: at most 16 MB at 1M points, under a millisecond of `memmove`), which is
    /// simpler and more compact than a balanced tree and far below the 10 ms edit budget.
    pub fn upsert(&mut self, p: ServicePoint) -> Option<Arc<ServicePoint>> {
        self.upsert_shared(Arc::new(p))
    }

    /// [`ServiceIndex::upsert`] of a shared point record.
    pub fn upsert_shared(&mut self, p: Arc<ServicePoint>) -> Option<Arc<ServicePoint>> {
        if let Some(old) = self.replace_in_place(&p) {
            return Some(old);
        }
        let old = self.remove(&p.id);
        self.demo += usize::from(p.demo);
        self.grow_extent(p.location);
        let listed = Listed::new(p.clone(), &mut self.hours);
        // `remove` took any point with this id out, so both searches give insertion places.
        listing::put(&mut self.by_kind[kind_slot(p.kind)], listed.clone());
        listing::put(&mut self.sorted, listed);
        self.counts.follow(None, Some(&*p));
        self.kind_extent_follows(p.kind, None, Some(p.location));
        self.tree.insert(Entry::new(p));
        old
    }

    /// Replaces a stored point of the same id and kind by `p` without moving any list
    /// entry: its place in the id order and in its kind's list stays the same, so a moved or
    /// edited point costs two binary searches and a tree removal and insertion (O(log n)),
    /// never the shift of a list's tail. Returns the replaced point, or `None` (nothing
    /// changed) when there is no such point or its kind differs.
    fn replace_in_place(&mut self, p: &Arc<ServicePoint>) -> Option<Arc<ServicePoint>> {
        let at = listing::find(&self.sorted, &p.id).ok()?;
        let old = self.sorted[at].point.clone();
        if old.kind != p.kind {
            return None;
        }
        let slot = kind_slot(p.kind);
        let in_kind = listing::find(self.by_kind.get(slot)?, &p.id).ok()?;
        let removed = self.tree.remove(&Entry::new(old.clone()));
        debug_assert!(
            removed.is_some(),
            "tree and id list out of step for `{}`",
            p.id
        );
        let listed = Listed::new(p.clone(), &mut self.hours);
        self.by_kind[slot][in_kind] = listed.clone();
        self.sorted[at] = listed;
        self.tree.insert(Entry::new(p.clone()));
        self.demo = self.demo - usize::from(old.demo) + usize::from(p.demo);
        self.grow_extent(p.location);
        self.counts.follow(Some(&*old), Some(&**p));
        self.kind_extent_follows(p.kind, Some(old.location), Some(p.location));
        Some(old)
    }

    /// Removes the point with this id. Returns it if it was there. Other points at the same
    /// position stay (tree entries are matched by id, not by position). Same cost as
    /// [`ServiceIndex::upsert`].
    pub fn remove(&mut self, id: &str) -> Option<Arc<ServicePoint>> {
        if self.by_kind.is_empty() {
            self.by_kind = vec![Vec::new(); ServiceKind::ALL.len()];
        }
        let at = listing::find(&self.sorted, id).ok()?;
        let old = self.sorted.remove(at).point;
        self.demo -= usize::from(old.demo);
        let list = &mut self.by_kind[kind_slot(old.kind)];
        if let Ok(i) = listing::find(list, id) {
            list.remove(i);
        }
        let removed = self.tree.remove(&Entry::new(old.clone()));
        debug_assert!(removed.is_some(), "tree and id list out of step for `{id}`");
        self.counts.follow(Some(&*old), None);
        self.kind_extent_follows(old.kind, Some(old.location), None);
        Some(old)
    }

    /// The `k` nearest points admitted by `filter`, nearest first by WGS-84 geodesic distance,
    /// ties broken by id. Exact for the ellipsoid (see the module docs); the filter is applied
    /// before the limit, so this returns the k nearest *matching* points.
    pub fn nearest(&self, from: LonLat, k: usize, filter: &Filter) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let mut search = Knn {
            q: unit_vector(from),
            from,
            k,
            filter,
            // at most every point, whatever `k` asks (k = 10^11 must not allocate 1.6 TB)
            best: Vec::with_capacity(k.min(self.len()).saturating_add(1)),
            stop_chord2: f64::INFINITY,
        };
        search.visit(self.tree.root());
        search
            .best
            .into_iter()
            .map(|(distance_m, e)| Hit {
                point: e.point.clone(),
                distance_m,
            })
            .collect()
    }

    /// Every point admitted by `filter` within `radius_m` metres (WGS-84 geodesic, inclusive),
    /// nearest first, ties by id. Any radius works, up to half the Earth's circumference and
    /// beyond (then every point matches); negative or NaN radii match nothing.
    pub fn within(&self, from: LonLat, radius_m: f64, filter: &Filter) -> Vec<Hit> {
        if radius_m.is_nan() || radius_m < 0.0 {
            return Vec::new();
        }
        let q = unit_vector(from);
        let hit = |e: &Entry| Hit {
            distance_m: distance_between_unit_vectors_m(q, e.xyz, from, e.point.location),
            point: e.point.clone(),
        };
        let keep = |h: &Hit| h.distance_m <= radius_m;
        let chord2 = max_chord2_within(radius_m);
        let mut hits: Vec<Hit> = if chord2 >= 4.0 {
            // The cap is the whole sphere.
            self.tree
                .iter()
                .filter(|e| e.admitted_by(filter))
                .map(hit)
                .filter(keep)
                .collect()
        } else {
            self.tree
                .locate_within_distance(q, chord2)
                .filter(|e| e.admitted_by(filter))
                .map(hit)
                .filter(keep)
                .collect()
        };
        hits.sort_by(by_distance_then_id);
        hits
    }

    /// Every point admitted by `filter` inside `bbox` (edges inclusive, as
    /// [`Bbox::contains`]; antimeridian-crossing boxes allowed), sorted by id.
    pub fn in_bbox(&self, bbox: &Bbox, filter: &Filter) -> Vec<Arc<ServicePoint>> {
        let mut v: Vec<_> = self
            .tree
            .locate_in_envelope(bbox_envelope(bbox))
            .filter(|e| e.admitted_by(filter) && bbox.contains(e.point.location))
            .map(|e| e.point.clone())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}

/// Depth-first branch-and-bound k-nearest search (Roussopoulos, Kelley and Vincent, "Nearest
/// neighbor queries", SIGMOD 1995): children are visited nearest envelope first, and a node or
/// point is skipped once its smallest possible chord exceeds `stop_chord2`, the chord bound of
/// the current k-th best geodesic distance. Since that bound only shrinks, every skipped point
/// is strictly farther than the final k-th, so the answer is exact. Unlike rstar's best-first
/// iterator it needs no heap allocation (its cost is in docs/benchmarks.md's nearest-neighbour
/// benchmark; no benchmark compares it with the iterator).
struct Knn<'a> {
    q: [f64; 3],
    from: LonLat,
    k: usize,
    filter: &'a Filter,
    /// The best entries so far with their distances, sorted by (distance, id), at most `k`.
    best: Vec<(f64, &'a Entry)>,
    /// Squared chord beyond which no point can beat the current k-th best.
    stop_chord2: f64,
}

impl<'a> Knn<'a> {
    fn visit(&mut self, node: &'a ParentNode<Entry>) {
        const INLINE: usize = 12;
        let children = node.children();
        let mut inline = [(0.0f64, 0u32); INLINE];
        let mut spill: Vec<(f64, u32)> = Vec::new();
        let mut n = 0;
        for (i, child) in children.iter().enumerate() {
            match child {
                RTreeNode::Leaf(e) => {
                    if e.distance_2(&self.q) <= self.stop_chord2 {
                        self.consider(e);
                    }
                }
                RTreeNode::Parent(p) => {
                    let d2 = envelope_distance_2(&p.envelope(), &self.q);
                    if d2 <= self.stop_chord2 {
                        if n < INLINE {
                            inline[n] = (d2, i as u32);
                        } else {
                            spill.push((d2, i as u32));
                        }
                        n += 1;
                    }
                }
            }
        }
        let order: &mut [(f64, u32)] = if n <= INLINE {
            &mut inline[..n]
        } else {
            spill.extend_from_slice(&inline);
            &mut spill
        };
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for &(d2, i) in order.iter() {
            if d2 > self.stop_chord2 {
                break;
            }
            if let RTreeNode::Parent(p) = &children[i as usize] {
                self.visit(p);
            }
        }
    }

    /// Offers one point. The point record (behind the `Arc`, usually not in cache) is read
    /// only when the distance could enter the best k: that read dominated the query time.
    fn consider(&mut self, e: &'a Entry) {
        // Cheapest test first: a filter that rejects most points must not cost a geodesic
        // distance (or a Karney call, for far points) per rejected point.
        if !e.admitted_by_inline_fields(self.filter) {
            return;
        }
        let d = short_line_distance_m(self.q, e.xyz)
            .unwrap_or_else(|| karney_distance_m(self.from, e.point.location));
        if self.best.len() == self.k && d > self.best[self.k - 1].0 {
            return;
        }
        if !e.open_as_required_by(self.filter) {
            return;
        }
        let pos = self.best.partition_point(|&(bd, be)| {
            bd.total_cmp(&d)
                .then_with(|| be.point.id.cmp(&e.point.id))
                .is_lt()
        });
        if pos < self.k {
            self.best.insert(pos, (d, e));
            self.best.truncate(self.k);
            if self.best.len() == self.k {
                self.stop_chord2 = max_chord2_within(self.best[self.k - 1].0);
            }
        }
    }
}

/// Squared distance from `q` to the nearest point of `env` (0 inside); the same value as
/// rstar's `Envelope::distance_2`, without its generic point copies (17 % of query time).
fn envelope_distance_2(env: &AABB<[f64; 3]>, q: &[f64; 3]) -> f64 {
    let (lo, hi) = (env.lower(), env.upper());
    let mut d2 = 0.0;
    for i in 0..3 {
        let d = (lo[i] - q[i]).max(q[i] - hi[i]).max(0.0);
        d2 += d * d;
    }
    d2
}

/// Chord margin (unit sphere) covering rounding in unit vectors and chord lengths; 1e-12 of
/// the unit radius is 6 µm on the Earth.
const CHORD_MARGIN: f64 = 1e-12;

/// The largest squared unit-sphere chord a point within `distance_m` metres (geodesic) of the
/// query can have: the chord of angle `(distance_m + DISTANCE_MAX_ERROR_M) / (b²/a)`, widened
/// by [`CHORD_MARGIN`]; 4 or more (the sphere's diameter squared) when that angle reaches π.
fn max_chord2_within(distance_m: f64) -> f64 {
    let angle = (distance_m + DISTANCE_MAX_ERROR_M) / MIN_METRES_PER_RADIAN;
    if angle >= std::f64::consts::PI {
        return 4.0;
    }
    let chord = angle_to_chord(angle) + CHORD_MARGIN;
    chord * chord
}

/// A 3-D box enclosing the unit vectors of every position in `bbox`.
///
/// The patch is `{(cos φ cos λ, cos φ sin λ, sin φ) : φ ∈ [s, n], λ ∈ arc [w, e]}`. Each
/// coordinate is a product of two independent factors, so its range is the product of their
/// ranges: `cos φ` over `[s, n]` (largest at the parallel nearest the equator), `cos λ` and
/// `sin λ` over the arc (±1 where the arc contains 0°/180° or ±90°, else at an end), and
/// `sin φ` is monotonic. Widened by 1e-9 for rounding.
fn bbox_envelope(b: &Bbox) -> AABB<[f64; 3]> {
    const PAD: f64 = 1e-9;
    let width = if b.west <= b.east {
        b.east - b.west
    } else {
        b.east - b.west + 360.0
    };
    let in_arc = |lon: f64| (lon - b.west).rem_euclid(360.0) <= width;
    let (sw, cw) = b.west.to_radians().sin_cos();
    let (se, ce) = b.east.to_radians().sin_cos();
    let cos_lon = (
        if in_arc(180.0) { -1.0 } else { cw.min(ce) },
        if in_arc(0.0) { 1.0 } else { cw.max(ce) },
    );
    let sin_lon = (
        if in_arc(-90.0) { -1.0 } else { sw.min(se) },
        if in_arc(90.0) { 1.0 } else { sw.max(se) },
    );
    let (ss, cs) = b.south.to_radians().sin_cos();
    let (sn, cn) = b.north.to_radians().sin_cos();
    let cos_lat = (
        cs.min(cn).max(0.0),
        if b.south <= 0.0 && b.north >= 0.0 {
            1.0
        } else {
            cs.max(cn)
        },
    );
    let product = |f: (f64, f64)| {
        let c = [
            cos_lat.0 * f.0,
            cos_lat.0 * f.1,
            cos_lat.1 * f.0,
            cos_lat.1 * f.1,
        ];
        (
            c.iter().copied().fold(f64::INFINITY, f64::min) - PAD,
            c.iter().copied().fold(f64::NEG_INFINITY, f64::max) + PAD,
        )
    };
    let (x, y) = (product(cos_lon), product(sin_lon));
    AABB::from_corners([x.0, y.0, ss - PAD], [x.1, y.1, sn + PAD])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::{karney_distance_m, MAX_METRES_PER_RADIAN};
    use proptest::prelude::*;
    use rstar::Envelope;

    #[test]
    fn the_demo_count_follows_inserts_replacements_and_removals() {
        let at = LonLat::new(112.97, 28.2).unwrap();
        let point = |id: &str, demo: bool| {
            let mut p = ServicePoint::new(id, ServiceKind::Station, id, at);
            p.demo = demo;
            p
        };
        let mut idx =
            ServiceIndex::new(vec![point("a", true), point("b", true), point("c", false)]).unwrap();
        assert_eq!(idx.demo_count(), 2);
        idx.upsert(point("a", false)); // a real point replaces a demo one
        assert_eq!(idx.demo_count(), 1);
        idx.upsert(point("d", true));
        assert_eq!(idx.demo_count(), 2);
        idx.remove("b");
        idx.remove("d");
        idx.remove("nope");
        assert_eq!(idx.demo_count(), 0);
        assert_eq!(idx.clone().demo_count(), 0);
    }

    /// Regression (stop 21): `k` far beyond the number of points reserved `k` slots up front
    /// (`nuanxin nearest -k 99999999999` aborted allocating 1.6 TB); now it returns every
    /// point, and `usize::MAX` does not overflow.
    #[test]
    fn a_huge_k_returns_every_point_without_reserving_k_slots() {
        let at = |lon: f64| LonLat::new(lon, 28.2).unwrap();
        let idx = ServiceIndex::new(vec![
            ServicePoint::new("a", ServiceKind::Station, "a", at(112.97)),
            ServicePoint::new("b", ServiceKind::Station, "b", at(112.98)),
        ])
        .unwrap();
        for k in [99_999_999_999, usize::MAX] {
            let hits = idx.nearest(at(112.97), k, &Filter::default());
            let ids: Vec<&str> = hits.iter().map(|h| h.point.id.as_str()).collect();
            assert_eq!(ids, ["a", "b"]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Every position inside a box (its edges and corners included) has its unit vector
        /// inside the box's 3-D envelope, whichever way the box lies.
        #[test]
        fn bbox_envelope_encloses_the_whole_patch(
            west in -180.0..=180.0f64,
            east in -180.0..=180.0f64,
            lat_a in -90.0..=90.0f64,
            lat_b in -90.0..=90.0f64,
            t_lon in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
            t_lat in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        ) {
            let (south, north) = (lat_a.min(lat_b), lat_a.max(lat_b));
            let b = Bbox::new(west, south, east, north).unwrap();
            let width = if west <= east { east - west } else { east - west + 360.0 };
            let lon = (west + t_lon * width + 180.0).rem_euclid(360.0) - 180.0;
            let lat = south + t_lat * (north - south);
            let p = LonLat::new(lon, lat).unwrap();
            let env = bbox_envelope(&b);
            prop_assert!(env.contains_point(&unit_vector(p)), "{p:?} outside envelope of {b:?}");
        }

        /// The pruning chord admits every point within the distance (against Karney directly),
        /// and is not loose by more than the ellipsoid's curvature range.
        #[test]
        fn pruning_chord_is_safe(
            a_lon in -180.0..=180.0f64, a_lat in -90.0..=90.0f64,
            b_lon in -180.0..=180.0f64, b_lat in -90.0..=90.0f64,
        ) {
            let (a, b) = (LonLat::new(a_lon, a_lat).unwrap(), LonLat::new(b_lon, b_lat).unwrap());
            let d = karney_distance_m(a, b);
            let (ua, ub) = (unit_vector(a), unit_vector(b));
            let chord2 = (ua[0] - ub[0]).powi(2) + (ua[1] - ub[1]).powi(2) + (ua[2] - ub[2]).powi(2);
            prop_assert!(chord2 <= max_chord2_within(d));
            let loose = angle_to_chord(d / MAX_METRES_PER_RADIAN);
            prop_assert!(loose * loose <= max_chord2_within(d));
        }
    }

    #[test]
    fn pruning_chord_covers_the_sphere_beyond_half_the_circumference() {
        assert_eq!(max_chord2_within(f64::INFINITY), 4.0);
        // π · b²/a = 19 903 369.65 m (hand calculation): from there on every point is a candidate.
        assert_eq!(max_chord2_within(19_903_370.0), 4.0);
        assert!(max_chord2_within(19_800_000.0) < 4.0);
        assert!(max_chord2_within(0.0) > 0.0);
    }

    #[test]
    fn admitted_by_agrees_with_admits() {
        use crate::model::{Amenity, OpeningHours};
        use chrono::NaiveDate;
        let hours = [None, Some("24/7"), Some("Mo-Fr 08:00-20:00")];
        let access = [None, Some(AccessMethod::Open), Some(AccessMethod::FaceScan)];
        let monday_9 = NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(9, 0, 0);
        let sunday_9 = NaiveDate::from_ymd_opt(2026, 11, 29)
            .unwrap()
            .and_hms_opt(9, 0, 0);
        let filters: Vec<Filter> = (0..64u32)
            .map(|b| Filter {
                kinds: if b & 1 == 1 {
                    vec![ServiceKind::Station]
                } else {
                    vec![]
                },
                amenities: if b & 2 == 2 {
                    [Amenity::Charging].into_iter().collect()
                } else {
                    AmenitySet::EMPTY
                },
                open_at: [None, monday_9, sunday_9][(b as usize >> 2) % 3],
                access: if b & 32 == 32 {
                    vec![AccessMethod::Open]
                } else {
                    vec![]
                },
            })
            .collect();
        let mut n = 0;
        for kind in ServiceKind::ALL {
            for h in hours {
                for a in access {
                    for charging in [false, true] {
                        let mut p =
                            ServicePoint::new("x", *kind, "n", LonLat::new(113.0, 28.0).unwrap());
                        p.opening_hours = h.map(|h| OpeningHours::parse(h).unwrap());
                        p.access = a;
                        if charging {
                            p.amenities.insert(Amenity::Charging);
                        }
                        let e = Entry::new(Arc::new(p.clone()));
                        for f in &filters {
                            assert_eq!(e.admitted_by(f), f.admits(&p), "{p:?} {f:?}");
                            n += usize::from(f.admits(&p));
                        }
                    }
                }
            }
        }
        assert!(n > 0);
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let p = ServicePoint::new(
            "x",
            ServiceKind::Station,
            "驿站",
            LonLat::new(113.0, 28.0).unwrap(),
        );
        assert_eq!(
            ServiceIndex::new(vec![p.clone(), p]).unwrap_err(),
            IndexError::DuplicateId("x".into())
        );
    }
}
