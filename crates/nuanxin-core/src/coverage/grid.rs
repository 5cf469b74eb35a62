//! The H3 discretisation of an area: cells, their centres, their ellipsoidal areas, and a
//! radius query "which cell centres lie within r metres of this position".
//!
//! # Cells and areas
//! An area is tiled with `h3o`'s tiler in [`ContainmentMode::ContainsCentroid`]: a cell belongs
//! to the area when its centre lies inside. Every cell is then assigned to exactly one area
//! (adjacent districts never share cells), which is what a per-district table needs.
//!
//! H3 computes cell areas on the authalic sphere (radius R_a = 6 371.007 181 km, h3o's
//! `EARTH_RADIUS_KM`), treating geodetic latitude as spherical latitude. The WGS-84 ellipsoid
//! has the area element `M(φ) N(φ) cos φ dφ dλ` where the sphere has `R_a² cos φ dφ dλ`
//! (M: meridional, N: prime-vertical radius of curvature), so a small cell's ellipsoidal area
//! is its spherical area times [`ellipsoid_area_factor`] `k(φ) = M N / R_a²` at its centre
//! (k = 0.99847 at 28° N, Changsha; 0.99553 at the equator). Tests compare the corrected areas with
//! Karney's geodesic polygon area (`geo::GeodesicArea`).
//!
//! # Radius query
//! Cell centres are held as unit vectors in an R*-tree, as in [`crate::index`]; the tree gives
//! every centre whose spherical distance could be within the radius, and each is then decided
//! by the WGS-84 geodesic distance. For speed, short distances (≤ [`FAST_MAX_RADIUS_M`], |φ| ≤ 70°)
//! use a local ellipsoidal plane approximation ([`local_distance_m`]), whose error is below
//! 10⁻⁵ of the distance (property test against Karney below); a centre whose approximate
//! distance is within 10⁻⁴ r + 1 mm of the radius is decided by Karney's algorithm, so the
//! answer equals the exact geodesic rule.

use super::CoverageError;
use crate::geodesy::{
    angle_to_chord, geodesic_distance_m, unit_vector, EARTH_MEAN_RADIUS_M,
    SPHERE_ELLIPSOID_MAX_RATIO_ERROR,
};
use crate::model::LonLat;
use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// WGS-84 semi-major axis a, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS-84 flattening f = 1 / 298.257 223 563.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Radius of the authalic sphere H3 (and h3o) computes areas on, km.
pub const H3_EARTH_RADIUS_KM: f64 = 6_371.007_180_918_475;
/// Largest radius, metres, for which the local plane approximation is used (Karney beyond).
pub const FAST_MAX_RADIUS_M: f64 = 25_000.0;

/// Ratio of the WGS-84 area element to the authalic-sphere area element at geodetic latitude
/// `lat_deg`: `k = M N / R_a²` with `M = a (1 − e²) / W³`, `N = a / W`, `W = √(1 − e² sin² φ)`.
///
/// ```
/// // Hand calculation at 28° N: e² = 0.006694380, W² = 0.998525, N = 6 382 848 m,
/// // M = 6 349 487 m, R_a² = 4.058974e13 m² → k = M N / R_a² = 0.998474.
/// let k = nuanxin_core::coverage::grid::ellipsoid_area_factor(28.0);
/// assert!((k - 0.998_474).abs() < 2e-6, "{k}");
/// ```
pub fn ellipsoid_area_factor(lat_deg: f64) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s = lat_deg.to_radians().sin();
    let w2 = 1.0 - e2 * s * s;
    let n = WGS84_A_M / w2.sqrt();
    let m = WGS84_A_M * (1.0 - e2) / (w2 * w2.sqrt());
    let ra = H3_EARTH_RADIUS_KM * 1000.0;
    m * n / (ra * ra)
}

/// Approximate WGS-84 distance between nearby points, metres: the plane through the mid
/// latitude φm with the ellipsoid's radii of curvature, `√((M Δφ)² + (N cos φm Δλ)²)`.
/// Its error is below 10⁻⁵ of the distance for distances up to 25 km and |φ| ≤ 70° (checked
/// against Karney in the tests); it is only used as a fast pre-decision.
pub fn local_distance_m(a: LonLat, b: LonLat) -> f64 {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let phim = ((a.lat + b.lat) / 2.0).to_radians();
    let s = phim.sin();
    let w2 = 1.0 - e2 * s * s;
    let n = WGS84_A_M / w2.sqrt();
    let m = WGS84_A_M * (1.0 - e2) / (w2 * w2.sqrt());
    let mut dlon = b.lon - a.lon;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    let dy = m * (b.lat - a.lat).to_radians();
    let dx = n * phim.cos() * dlon.to_radians();
    dx.hypot(dy)
}

/// Whether `b` lies within `radius_m` metres (WGS-84 geodesic, inclusive) of `a`; exact (the
/// fast approximation only decides clear cases, see the module docs).
pub fn within_radius(a: LonLat, b: LonLat, radius_m: f64) -> bool {
    if radius_m <= FAST_MAX_RADIUS_M && a.lat.abs() <= 70.0 && b.lat.abs() <= 70.0 {
        let d = local_distance_m(a, b);
        let band = 1e-4 * radius_m + 1e-3;
        if d < radius_m - band {
            return true;
        }
        if d > radius_m + band {
            return false;
        }
    }
    geodesic_distance_m(a, b) <= radius_m
}

/// Geodesic (WGS-84, Karney) area of `area`, km², whatever the ring orientation (each
/// polygon is taken as the smaller of the two regions its exterior ring bounds).
pub fn geodesic_area_km2(area: &MultiPolygon<f64>) -> f64 {
    use geo::GeodesicArea;
    area.0
        .iter()
        .map(|p| p.geodesic_area_signed().abs())
        .sum::<f64>()
        / 1e6
}

type Node = GeomWithData<[f64; 3], u32>;

/// An area's H3 cells at one resolution, sorted by cell index.
#[derive(Debug, Clone)]
pub struct CellGrid {
    resolution: Resolution,
    cells: Vec<CellIndex>,
    centres: Vec<LonLat>,
    areas_km2: Vec<f64>,
    position: HashMap<CellIndex, u32>,
    tree: RTree<Node>,
}

/// The outline of `cells` (all of `resolution`) as one MultiPolygon, `[lon, lat]` degrees.
///
/// The cells are compacted first (a parent stands for all seven children) and traced by h3o's
/// solvent in heterogeneous mode at `resolution`: the same outline as dissolving the cells
/// themselves (test `compacted_heterogeneous_dissolve_traces_the_same_outline`) from far fewer
/// cells, so a district that is mostly a gap dissolves in a fraction of the time (city-wide
/// at resolution 10: 14 s → 4.6 s in a debug build on a loaded machine). One call cannot be
/// interrupted, which is why its speed matters for the analysis time budget.
///
/// # Errors
/// [`CoverageError::Dissolve`] if the solvent fails.
pub fn dissolve_cells(
    cells: &[CellIndex],
    resolution: Resolution,
) -> Result<MultiPolygon<f64>, CoverageError> {
    let mut compact = cells.to_vec();
    // Compaction fails only for mixed resolutions or duplicates, which a grid never holds;
    // the cells are dissolved as they are then.
    if CellIndex::compact(&mut compact).is_err() {
        compact = cells.to_vec();
    }
    h3o::geom::SolventBuilder::new()
        .enable_heterogeneous_support(resolution)
        .build()
        .dissolve(compact)
        .map_err(CoverageError::Dissolve)
}

/// Cells expected when tiling `area_km2` at `resolution` (area over the mean cell area).
pub fn estimated_cells(area_km2: f64, resolution: Resolution) -> f64 {
    area_km2 / resolution.area_km2()
}

impl CellGrid {
    /// Tiles `area` (WGS-84 degrees; polygons crossing the antimeridian may be given with an
    /// edge spanning more than 180°, or cut at ±180° as RFC 7946 recommends) with cells whose
    /// centre lies inside.
    ///
    /// # Errors
    /// [`CoverageError::InvalidGeometry`] for invalid coordinates,
    /// [`CoverageError::TooManyCells`] when more than `max_cells` cells would result
    /// (estimated from the geodesic area before tiling, then checked exactly).
    pub fn tile(
        area: &MultiPolygon<f64>,
        resolution: Resolution,
        max_cells: usize,
    ) -> Result<Self, CoverageError> {
        Self::tile_cancellable(area, resolution, max_cells, None)
    }

    /// As [`CellGrid::tile`], stopping with [`CoverageError::Cancelled`] as soon as `cancel`
    /// is set. At most `max_cells + 1` cells are ever collected.
    ///
    /// # Errors
    /// As [`CellGrid::tile`], and [`CoverageError::Cancelled`].
    pub fn tile_cancellable(
        area: &MultiPolygon<f64>,
        resolution: Resolution,
        max_cells: usize,
        cancel: Option<&AtomicBool>,
    ) -> Result<Self, CoverageError> {
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        let area_km2 = geodesic_area_km2(area);
        let estimate = estimated_cells(area_km2, resolution);
        if estimate > max_cells as f64 * 1.2 {
            return Err(CoverageError::TooManyCells {
                estimated: estimate.round() as u64,
                max: max_cells,
                resolution: u8::from(resolution),
            });
        }
        let mut tiler = TilerBuilder::new(resolution)
            .containment_mode(ContainmentMode::ContainsCentroid)
            .build();
        for p in &area.0 {
            tiler.add(p.clone()).map_err(CoverageError::Tiling)?;
        }
        let cells: Vec<CellIndex> = tiler
            .into_coverage()
            .take_while(|_| !cancelled())
            .take(max_cells.saturating_add(1))
            .collect();
        if cancelled() {
            return Err(CoverageError::Cancelled);
        }
        if cells.len() > max_cells {
            return Err(CoverageError::TooManyCells {
                estimated: cells.len() as u64,
                max: max_cells,
                resolution: u8::from(resolution),
            });
        }
        Self::from_cells_cancellable(cells, resolution, cancel)
    }

    /// A grid of the given cells (duplicates and cells of another resolution dropped).
    pub fn from_cells(cells: Vec<CellIndex>, resolution: Resolution) -> Self {
        // Without a flag nothing cancels.
        Self::from_cells_cancellable(cells, resolution, None).unwrap_or_else(|_| Self {
            resolution,
            cells: Vec::new(),
            centres: Vec::new(),
            areas_km2: Vec::new(),
            position: Default::default(),
            tree: RTree::new(),
        })
    }

    /// [`CellGrid::from_cells`] that stops with [`CoverageError::Cancelled`] once `cancel`
    /// is set (checked every 4 096 cells and between the steps).
    fn from_cells_cancellable(
        mut cells: Vec<CellIndex>,
        resolution: Resolution,
        cancel: Option<&AtomicBool>,
    ) -> Result<Self, CoverageError> {
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        cells.retain(|c| c.resolution() == resolution);
        cells.sort_unstable();
        cells.dedup();
        if cancelled() {
            return Err(CoverageError::Cancelled);
        }
        let (centres, areas_km2): (Vec<LonLat>, Vec<f64>) = super::par_chunks(cells.len(), |r| {
            r.take_while(|&i| i % 4096 != 0 || !cancelled())
                .map(|i| {
                    let c = cells[i];
                    let ll = LatLng::from(c);
                    let p = LonLat {
                        lon: ll.lng(),
                        lat: ll.lat(),
                    };
                    (p, c.area_km2() * ellipsoid_area_factor(p.lat))
                })
                .collect()
        })
        .into_iter()
        .unzip();
        if cancelled() {
            return Err(CoverageError::Cancelled);
        }
        let position = cells
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u32))
            .collect();
        let nodes = centres
            .iter()
            .enumerate()
            .map(|(i, &p)| Node::new(unit_vector(p), i as u32))
            .collect();
        if cancelled() {
            return Err(CoverageError::Cancelled);
        }
        Ok(Self {
            resolution,
            cells,
            centres,
            areas_km2,
            position,
            tree: RTree::bulk_load(nodes),
        })
    }

    /// The resolution.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }
    /// Whether the grid has no cell.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
    /// The cells, sorted.
    pub fn cells(&self) -> &[CellIndex] {
        &self.cells
    }
    /// Cell centres, `[lon, lat]` degrees, in the order of [`CellGrid::cells`].
    pub fn centres(&self) -> &[LonLat] {
        &self.centres
    }
    /// Ellipsoidal cell areas, km², in the order of [`CellGrid::cells`].
    pub fn areas_km2(&self) -> &[f64] {
        &self.areas_km2
    }
    /// Sum of the cell areas, km².
    pub fn total_area_km2(&self) -> f64 {
        self.areas_km2.iter().sum()
    }
    /// Position of `cell` in the grid.
    pub fn position(&self, cell: CellIndex) -> Option<u32> {
        self.position.get(&cell).copied()
    }
    /// Position of the cell containing `p`, if that cell is in the grid.
    pub fn position_of(&self, p: LonLat) -> Option<u32> {
        let ll = LatLng::new(p.lat, p.lon).ok()?;
        self.position(ll.to_cell(self.resolution))
    }

    /// Appends to `out` the positions of every cell whose centre lies within `radius_m` metres
    /// (WGS-84 geodesic, inclusive) of `p`, in no particular order.
    pub fn cells_within(&self, p: LonLat, radius_m: f64, out: &mut Vec<u32>) {
        if radius_m.is_nan() || radius_m < 0.0 {
            return;
        }
        let q = unit_vector(p);
        let angle = radius_m / (EARTH_MEAN_RADIUS_M * (1.0 - SPHERE_ELLIPSOID_MAX_RATIO_ERROR));
        let chord = angle_to_chord(angle) + 1e-12;
        // Centres whose spherical distance is short enough to be within the radius on the
        // ellipsoid whatever the direction (the sphere/ellipsoid ratio bound of `geodesy`)
        // need no further test.
        let sure_angle =
            radius_m / (EARTH_MEAN_RADIUS_M * (1.0 + SPHERE_ELLIPSOID_MAX_RATIO_ERROR));
        let sure = angle_to_chord(sure_angle) - 1e-12;
        let sure2 = sure * sure;
        for n in self.tree.locate_within_distance(q, chord * chord) {
            let i = n.data;
            let v = n.geom();
            let c2 = (v[0] - q[0]).powi(2) + (v[1] - q[1]).powi(2) + (v[2] - q[2]).powi(2);
            if c2 <= sure2 || within_radius(p, self.centres[i as usize], radius_m) {
                out.push(i);
            }
        }
    }

    /// A position and a radius, metres, such that every cell centre lies within that radius
    /// (an upper bound on the sphere-to-ellipsoid scale); `None` for an empty grid.
    pub fn bounding_cap(&self) -> Option<(LonLat, f64)> {
        if self.is_empty() {
            return None;
        }
        let mut s = [0.0f64; 3];
        for p in &self.centres {
            let v = unit_vector(*p);
            s[0] += v[0];
            s[1] += v[1];
            s[2] += v[2];
        }
        let norm = (s[0] * s[0] + s[1] * s[1] + s[2] * s[2]).sqrt();
        if norm < 1e-9 * self.len() as f64 {
            // Centres spread around the globe: the whole Earth.
            return Some((self.centres[0], f64::INFINITY));
        }
        let c = LonLat {
            lon: s[1].atan2(s[0]).to_degrees(),
            lat: (s[2] / norm).clamp(-1.0, 1.0).asin().to_degrees(),
        };
        let cv = unit_vector(c);
        let max_chord = self
            .centres
            .iter()
            .map(|p| {
                let v = unit_vector(*p);
                ((v[0] - cv[0]).powi(2) + (v[1] - cv[1]).powi(2) + (v[2] - cv[2]).powi(2)).sqrt()
            })
            .fold(0.0, f64::max);
        let angle = crate::geodesy::chord_to_angle(max_chord);
        Some((
            c,
            angle * EARTH_MEAN_RADIUS_M * (1.0 + SPHERE_ELLIPSOID_MAX_RATIO_ERROR) + 1.0,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::GeodesicArea;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn local_distance_is_within_1e5_of_karney(
            lon in -180.0f64..180.0, lat in -70.0f64..70.0,
            az in 0.0f64..360.0, d in 1.0f64..25_000.0,
        ) {
            let a = LonLat::new(lon, lat).unwrap();
            let b = crate::geodesy::destination(a, az, d);
            prop_assume!(b.lat.abs() <= 70.0);
            let approx = local_distance_m(a, b);
            prop_assert!((approx - d).abs() <= 1e-5 * d, "{approx} vs {d}");
        }

        #[test]
        fn within_radius_matches_karney(
            lon in 100.0f64..120.0, lat in 20.0f64..40.0,
            az in 0.0f64..360.0, d in 1.0f64..5_000.0, r in 1.0f64..5_000.0,
        ) {
            let a = LonLat::new(lon, lat).unwrap();
            let b = crate::geodesy::destination(a, az, d);
            prop_assert_eq!(within_radius(a, b, r), geodesic_distance_m(a, b) <= r);
        }
    }

    /// The gap dissolve of `analyze` feeds the solvent compacted cells in heterogeneous mode
    /// (much faster for large gaps); the outline must be the one of the cells themselves:
    /// same polygons, holes, vertices and area as the plain dissolve.
    #[test]
    fn compacted_heterogeneous_dissolve_traces_the_same_outline() {
        use geo::{Coord, LineString, Polygon};
        use h3o::geom::SolventBuilder;
        let ring = LineString::from(vec![
            (112.90, 28.10),
            (113.10, 28.10),
            (113.10, 28.30),
            (112.90, 28.30),
            (112.90, 28.10),
        ]);
        let grid = CellGrid::tile(
            &MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
            Resolution::Nine,
            1_000_000,
        )
        .unwrap();
        // Gaps: everything farther than 1.5 km from three stations, plus an island.
        let stations = [(112.95, 28.15), (113.02, 28.22), (113.06, 28.16)];
        let island = LonLat::new(113.02, 28.22).unwrap();
        let gaps: Vec<CellIndex> =
            grid.cells()
                .iter()
                .zip(grid.centres())
                .filter(|(_, &p)| {
                    stations.iter().all(|&(lon, lat)| {
                        !within_radius(LonLat::new(lon, lat).unwrap(), p, 1500.0)
                    }) || within_radius(island, p, 300.0)
                })
                .map(|(&c, _)| c)
                .collect();
        let mut compact = gaps.clone();
        CellIndex::compact(&mut compact).unwrap();
        assert!(
            compact.len() < gaps.len() / 2,
            "{} of {}",
            compact.len(),
            gaps.len()
        );
        let plain = SolventBuilder::new()
            .build()
            .dissolve(gaps.clone())
            .unwrap();
        assert_eq!(dissolve_cells(&gaps, Resolution::Nine).unwrap(), {
            let mut c = gaps.clone();
            CellIndex::compact(&mut c).unwrap();
            SolventBuilder::new()
                .enable_heterogeneous_support(Resolution::Nine)
                .build()
                .dissolve(c)
                .unwrap()
        });
        let fast = SolventBuilder::new()
            .enable_heterogeneous_support(Resolution::Nine)
            .build()
            .dissolve(compact)
            .unwrap();
        let shape = |mp: &MultiPolygon<f64>| {
            let mut v: Vec<(usize, Vec<(i64, i64)>)> = mp
                .0
                .iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .map(|r| {
                    let mut pts: Vec<(i64, i64)> = r
                        .coords()
                        .map(|&Coord { x, y }| ((x * 1e9).round() as i64, (y * 1e9).round() as i64))
                        .collect();
                    pts.sort_unstable();
                    pts.dedup();
                    (r.0.len(), pts)
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(plain.0.len(), fast.0.len());
        assert_eq!(plain.0.len(), 2, "the gap and the island");
        assert_eq!(shape(&plain), shape(&fast));
        let (a, b) = (
            plain.geodesic_area_unsigned(),
            fast.geodesic_area_unsigned(),
        );
        assert!((a - b).abs() <= 1e-9 * a, "{a} vs {b}");
    }

    #[test]
    fn corrected_cell_area_matches_karney_polygon_area() {
        // A res-9 cell at Changsha and one near the equator: the corrected H3 area must match
        // the geodesic (ellipsoidal) area of the cell's boundary polygon (Karney via geo).
        for (lat, lon) in [(28.19, 112.97), (0.5, 30.0), (60.0, 10.0)] {
            let cell = LatLng::new(lat, lon).unwrap().to_cell(Resolution::Nine);
            let poly = geo::MultiPolygon::from(cell);
            let karney_km2 = poly.geodesic_area_unsigned() / 1e6;
            let ours = cell.area_km2() * ellipsoid_area_factor(lat);
            assert!(
                (ours / karney_km2 - 1.0).abs() < 2e-4,
                "{lat}: {ours} vs {karney_km2}"
            );
            // Without the correction the error would be visible at these latitudes.
            assert!((cell.area_km2() / karney_km2 - 1.0).abs() > 1e-3);
        }
    }

    #[test]
    fn cells_within_equals_brute_force() {
        let sq = geo::MultiPolygon(vec![geo::Rect::new(
            geo::coord! {x: 112.9, y: 28.1},
            geo::coord! {x: 113.0, y: 28.2},
        )
        .to_polygon()]);
        let g = CellGrid::tile(&sq, Resolution::Nine, 100_000).unwrap();
        let p = LonLat::new(112.95, 28.15).unwrap();
        let mut got = Vec::new();
        g.cells_within(p, 1500.0, &mut got);
        got.sort_unstable();
        let want: Vec<u32> = (0..g.len() as u32)
            .filter(|&i| geodesic_distance_m(p, g.centres()[i as usize]) <= 1500.0)
            .collect();
        assert_eq!(got, want);
        assert!(want.len() > 50);
    }

    #[test]
    fn too_many_cells_is_an_error() {
        let sq = geo::MultiPolygon(vec![geo::Rect::new(
            geo::coord! {x: 110.0, y: 25.0},
            geo::coord! {x: 114.0, y: 29.0},
        )
        .to_polygon()]);
        assert!(matches!(
            CellGrid::tile(&sq, Resolution::Twelve, 1_000_000),
            Err(CoverageError::TooManyCells { .. })
        ));
    }
}
