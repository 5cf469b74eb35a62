//! The spatial index of service points: an R*-tree (`rstar`) over 3-D unit vectors.
//!
//! Why unit vectors: an R-tree over raw `[lon, lat]` degrees ranks wrongly (at 28° N a degree
//! of longitude is cos 28° ≈ 0.88 of a degree of latitude) and breaks at the antimeridian and
//! the poles. On the unit sphere the chord between two vectors is monotonic in their central
//! angle θ (see [`crate::geodesy`]), so the tree's Euclidean order is the great-circle order,
//! with no seam anywhere.
//!
//! Reported distances are WGS-84 geodesics ([`geodesic_distance_m`]), and every query is exact
//! for them, not for the sphere: the ellipsoidal distance d of a point at central angle θ obeys
//! `d ≥ (b²/a) θ` ([`MIN_METRES_PER_RADIAN`], proven in [`crate::geodesy`]). Hence
//!
//! - **k nearest** walks the tree in chord order, computing the geodesic distance of each
//!   admitted point, and stops at the first chord whose lower bound exceeds the k-th best
//!   distance found so far; every point not yet visited is provably farther. Filters are applied
//!   during the walk, before the limit.
//! - **within a radius r** asks the tree for every point within the chord of angle
//!   `r / (b²/a)` (rstar's `locate_within_distance` takes the *squared* chord), then keeps the
//!   points whose geodesic distance is at most r. When that angle reaches π every point is a
//!   candidate, so radii up to and beyond half the circumference work.
//! - **in a bbox** turns the longitude/latitude box (edges are meridians and parallels,
//!   possibly crossing the antimeridian) into a 3-D box that encloses its whole surface patch,
//!   asks the tree for that, then tests each candidate's `[lon, lat]` exactly.
//!
//! Bounds are widened by [`DISTANCE_MAX_ERROR_M`] and a 1e-12 chord margin for rounding.

use crate::geodesy::{
    angle_to_chord, distance_between_unit_vectors_m, unit_vector, DISTANCE_MAX_ERROR_M,
    MIN_METRES_PER_RADIAN,
};
use crate::model::{AccessMethod, AmenitySet, Bbox, LonLat, ServiceKind, ServicePoint};
use chrono::NaiveDateTime;
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use std::collections::HashMap;
use std::sync::Arc;

/// One entry of the tree: the unit vector of a point and the point itself.
#[derive(Debug, Clone)]
struct Entry {
    xyz: [f64; 3],
    point: Arc<ServicePoint>,
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
    /// Whether `p` passes.
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

/// The index. Cheap to query from many threads (`&self`); changes take `&mut self`.
#[derive(Debug, Default, Clone)]
pub struct ServiceIndex {
    tree: RTree<Entry>,
    by_id: HashMap<String, Arc<ServicePoint>>,
}

fn by_distance_then_id(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    a.distance_m
        .total_cmp(&b.distance_m)
        .then_with(|| a.point.id.cmp(&b.point.id))
}

impl ServiceIndex {
    /// Builds the index by bulk loading (the OMT packing `rstar` implements).
    ///
    /// # Errors
    /// [`IndexError::DuplicateId`] if two points share an id.
    pub fn new(points: Vec<ServicePoint>) -> Result<Self, IndexError> {
        let mut by_id = HashMap::with_capacity(points.len());
        let mut entries = Vec::with_capacity(points.len());
        for p in points {
            let p = Arc::new(p);
            if by_id.insert(p.id.clone(), p.clone()).is_some() {
                return Err(IndexError::DuplicateId(p.id.clone()));
            }
            entries.push(Entry {
                xyz: unit_vector(p.location),
                point: p,
            });
        }
        Ok(Self {
            tree: RTree::bulk_load(entries),
            by_id,
        })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the index holds no point.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The point with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<ServicePoint>> {
        self.by_id.get(id)
    }

    /// Every point, sorted by id (a stable order for paging).
    pub fn all_sorted(&self) -> Vec<Arc<ServicePoint>> {
        let mut v: Vec<_> = self.by_id.values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// Inserts `p`, replacing any point with the same id. Returns the replaced point.
    pub fn upsert(&mut self, p: ServicePoint) -> Option<Arc<ServicePoint>> {
        let old = self.remove(&p.id);
        let p = Arc::new(p);
        self.by_id.insert(p.id.clone(), p.clone());
        self.tree.insert(Entry {
            xyz: unit_vector(p.location),
            point: p,
        });
        old
    }

    /// Removes the point with this id. Returns it if it was there. Other points at the same
    /// position stay (tree entries are matched by id, not by position).
    pub fn remove(&mut self, id: &str) -> Option<Arc<ServicePoint>> {
        let old = self.by_id.remove(id)?;
        let removed = self.tree.remove(&Entry {
            xyz: unit_vector(old.location),
            point: old.clone(),
        });
        debug_assert!(removed.is_some(), "tree and id map out of step for `{id}`");
        Some(old)
    }

    /// The `k` nearest points admitted by `filter`, nearest first by WGS-84 geodesic distance,
    /// ties broken by id. Exact for the ellipsoid (see the module docs); the filter is applied
    /// before the limit, so this returns the k nearest *matching* points.
    pub fn nearest(&self, from: LonLat, k: usize, filter: &Filter) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = unit_vector(from);
        let mut best: Vec<Hit> = Vec::with_capacity(k + 1);
        // Squared chord beyond which no point can beat the current k-th best.
        let mut stop_chord2 = f64::INFINITY;
        for (e, chord2) in self.tree.nearest_neighbor_iter_with_distance_2(q) {
            if chord2 > stop_chord2 {
                break;
            }
            if !filter.admits(&e.point) {
                continue;
            }
            let hit = Hit {
                distance_m: distance_between_unit_vectors_m(q, e.xyz, from, e.point.location),
                point: e.point.clone(),
            };
            let pos = best.partition_point(|h| by_distance_then_id(h, &hit).is_lt());
            if pos < k {
                best.insert(pos, hit);
                best.truncate(k);
                if best.len() == k {
                    stop_chord2 = max_chord2_within(best[k - 1].distance_m);
                }
            }
        }
        best
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
                .filter(|e| filter.admits(&e.point))
                .map(hit)
                .filter(keep)
                .collect()
        } else {
            self.tree
                .locate_within_distance(q, chord2)
                .filter(|e| filter.admits(&e.point))
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
            .filter(|e| bbox.contains(e.point.location) && filter.admits(&e.point))
            .map(|e| e.point.clone())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
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
