//! The spatial index of service points: an R*-tree (`rstar`) over 3-D unit vectors.
//!
//! Why unit vectors: an R-tree over raw `[lon, lat]` degrees ranks wrongly (at 28° N a degree
//! of longitude is cos 28° ≈ 0.88 of a degree of latitude) and breaks at the antimeridian and
//! the poles. On the unit sphere the chord between two vectors is monotonic in their central
//! angle (see [`crate::geodesy`]), so the tree's Euclidean order is the great-circle order.
//!
//! Reported distances are WGS-84 geodesics. Since sphere and ellipsoid distances differ by a
//! bounded ratio ([`SPHERE_ELLIPSOID_MAX_RATIO_ERROR`]), the k-nearest query walks the tree in
//! chord order and stops only once no unvisited point can beat the k-th ellipsoidal distance,
//! which makes its answer exact for the ellipsoid too. Note: `rstar`'s
//! `locate_within_distance` takes a *squared* distance.

use crate::geodesy::{
    angle_to_chord, chord_to_angle, geodesic_distance_m, unit_vector, EARTH_MEAN_RADIUS_M,
    SPHERE_ELLIPSOID_MAX_RATIO_ERROR,
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

    /// Removes the point with this id. Returns it if it was there.
    pub fn remove(&mut self, id: &str) -> Option<Arc<ServicePoint>> {
        let old = self.by_id.remove(id)?;
        let xyz = unit_vector(old.location);
        let target = self
            .tree
            .locate_all_at_point(&xyz)
            .find(|e| e.point.id == id)
            .cloned();
        if let Some(t) = target {
            self.tree.remove(&t);
        }
        Some(old)
    }

    /// The `k` nearest points admitted by `filter`, nearest first by WGS-84 geodesic distance,
    /// ties broken by id. Exact for the ellipsoid (see the module docs).
    pub fn nearest(&self, from: LonLat, k: usize, filter: &Filter) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = unit_vector(from);
        let mut best: Vec<Hit> = Vec::with_capacity(k + 1);
        for e in self.tree.nearest_neighbor_iter(&q) {
            let chord = e.distance_2(&q).sqrt();
            // Smallest ellipsoidal distance any point at this chord or farther can have.
            let lower_m = chord_to_angle(chord)
                * EARTH_MEAN_RADIUS_M
                * (1.0 - SPHERE_ELLIPSOID_MAX_RATIO_ERROR);
            if best.len() == k && lower_m > best[k - 1].distance_m {
                break;
            }
            if !filter.admits(&e.point) {
                continue;
            }
            let hit = Hit {
                point: e.point.clone(),
                distance_m: geodesic_distance_m(from, e.point.location),
            };
            let pos = best.partition_point(|h| by_distance_then_id(h, &hit).is_lt());
            if pos < k {
                best.insert(pos, hit);
                best.truncate(k);
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
        let angle = radius_m / (EARTH_MEAN_RADIUS_M * (1.0 - SPHERE_ELLIPSOID_MAX_RATIO_ERROR));
        let chord = angle_to_chord(angle) + 1e-12;
        let mut hits: Vec<Hit> = self
            .tree
            .locate_within_distance(q, chord * chord)
            .filter(|e| filter.admits(&e.point))
            .map(|e| Hit {
                point: e.point.clone(),
                distance_m: geodesic_distance_m(from, e.point.location),
            })
            .filter(|h| h.distance_m <= radius_m)
            .collect();
        hits.sort_by(by_distance_then_id);
        hits
    }

    /// Every point admitted by `filter` inside `bbox` (edges inclusive; antimeridian-crossing
    /// boxes allowed), sorted by id.
    pub fn in_bbox(&self, bbox: &Bbox, filter: &Filter) -> Vec<Arc<ServicePoint>> {
        let mut v: Vec<_> = self
            .by_id
            .values()
            .filter(|p| bbox.contains(p.location) && filter.admits(p))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}
