//! The area a coverage analysis covers, and the districts its table is broken down by.

use super::CoverageError;
use crate::districts::{District, Districts, Level};
use crate::model::Bbox;
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{BoundingRect, Coord, Intersects, Line, LineString, MultiPolygon, Polygon, Rect, Relate};

/// What area to analyse.
#[derive(Debug, Clone)]
pub enum AreaSpec {
    /// A shipped district or city by its 6-digit adcode (a city is its whole boundary).
    Adcode(String),
    /// A polygon or multipolygon, WGS-84 degrees.
    Geometry(MultiPolygon<f64>),
    /// A bounding box (may cross the antimeridian: `west > east`).
    Bbox(Bbox),
}

/// How the cells of an area are assigned to the rows of the per-district table.
#[derive(Debug, Clone)]
pub enum Breakdown {
    /// Every cell is in this one county.
    Single(&'static District),
    /// Cells are assigned to the county containing their centre (the same centre rule as the
    /// tiling; a centre exactly on a shared border goes to the smallest adcode).
    PointInPolygon(Vec<&'static District>),
}

/// Fast point-in-polygon for many points: the edges of every ring bucketed by latitude band,
/// tested with the crossing-number (even–odd) rule, so holes and several parts work.
/// Points exactly on an edge may fall either way.
#[derive(Debug, Clone)]
pub struct BandedPolygon {
    y0: f64,
    inv_h: f64,
    bands: Vec<Vec<[f64; 4]>>,
    bounds: Option<Rect<f64>>,
}

impl BandedPolygon {
    /// Indexes the rings of `g` (degrees).
    pub fn new(g: &MultiPolygon<f64>) -> Self {
        let bounds = g.bounding_rect();
        let edges: Vec<[f64; 4]> =
            g.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(|ring| {
                    ring.lines()
                        .map(|l| [l.start.x, l.start.y, l.end.x, l.end.y])
                })
                .collect();
        let Some(b) = bounds else {
            return Self {
                y0: 0.0,
                inv_h: 0.0,
                bands: vec![Vec::new()],
                bounds,
            };
        };
        let n = (edges.len() / 4).clamp(1, 4096);
        let h = (b.height() / n as f64).max(1e-12);
        let mut bands = vec![Vec::new(); n];
        let band = |y: f64| (((y - b.min().y) / h) as usize).min(n - 1);
        for e in edges {
            let (lo, hi) = if e[1] <= e[3] {
                (e[1], e[3])
            } else {
                (e[3], e[1])
            };
            for bucket in &mut bands[band(lo)..=band(hi)] {
                bucket.push(e);
            }
        }
        Self {
            y0: b.min().y,
            inv_h: 1.0 / h,
            bands,
            bounds,
        }
    }

    /// Whether `(x, y)` (degrees) lies inside.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let Some(b) = self.bounds else { return false };
        if x < b.min().x || x > b.max().x || y < b.min().y || y > b.max().y {
            return false;
        }
        let i = (((y - self.y0) * self.inv_h) as usize).min(self.bands.len() - 1);
        let mut inside = false;
        for e in &self.bands[i] {
            if (e[1] > y) != (e[3] > y) {
                let xi = e[0] + (y - e[1]) * (e[2] - e[0]) / (e[3] - e[1]);
                if x < xi {
                    inside = !inside;
                }
            }
        }
        inside
    }
}

/// An area resolved to geometry.
#[derive(Debug, Clone)]
pub struct ResolvedArea {
    /// `adcode`, `geometry` or `bbox`.
    pub kind: &'static str,
    /// The district's adcode, for an adcode area.
    pub adcode: Option<String>,
    /// The district's name, for an adcode area.
    pub name: Option<String>,
    /// The boundary, degrees.
    pub geometry: MultiPolygon<f64>,
    /// How the table rows are made.
    pub breakdown: Breakdown,
}

/// Most vertices a posted area geometry may have (all rings of all parts together): the
/// validity check is quadratic in the vertices of a ring, and tiling time grows with them.
pub const MAX_AREA_VERTICES: usize = 20_000;
/// Widest bbox accepted, degrees of longitude.
pub const MAX_BBOX_SPAN_DEG: f64 = 180.0;
/// Largest |latitude| of a bbox, degrees: the H3 tiler treats rings as planar in degrees,
/// which breaks down at the poles (and the service is for China).
pub const MAX_BBOX_ABS_LAT_DEG: f64 = 85.0;

/// The polygon(s) of a bbox: one rectangle, or two when it crosses the antimeridian. The
/// east–west edges are densified to steps of at most 1° so that their geodesics follow the
/// parallels closely (the boundary area is computed along geodesics).
pub fn bbox_polygons(b: &Bbox) -> MultiPolygon<f64> {
    let rect = |w: f64, e: f64| {
        let steps = ((e - w).abs().ceil() as usize).max(1);
        let mut ring: Vec<Coord<f64>> = Vec::with_capacity(2 * steps + 3);
        for i in 0..=steps {
            ring.push(Coord {
                x: w + (e - w) * i as f64 / steps as f64,
                y: b.south,
            });
        }
        for i in 0..=steps {
            ring.push(Coord {
                x: e - (e - w) * i as f64 / steps as f64,
                y: b.north,
            });
        }
        ring.push(ring[0]);
        Polygon::new(LineString(ring), vec![])
    };
    if b.west <= b.east {
        MultiPolygon(vec![rect(b.west, b.east)])
    } else {
        MultiPolygon(vec![rect(b.west, 180.0), rect(-180.0, b.east)])
    }
}

/// Checks that a bbox is usable as an area: at most [`MAX_BBOX_SPAN_DEG`] wide and within
/// ±[`MAX_BBOX_ABS_LAT_DEG`], with positive height.
fn check_bbox(b: &Bbox) -> Result<(), CoverageError> {
    let span = if b.west <= b.east {
        b.east - b.west
    } else {
        b.east + 360.0 - b.west
    };
    if span > MAX_BBOX_SPAN_DEG {
        return Err(CoverageError::InvalidBbox(format!(
            "the bbox spans {span}° of longitude, more than {MAX_BBOX_SPAN_DEG}°; split it or use a smaller area"
        )));
    }
    if b.south.abs() > MAX_BBOX_ABS_LAT_DEG || b.north.abs() > MAX_BBOX_ABS_LAT_DEG {
        return Err(CoverageError::InvalidBbox(format!(
            "the bbox reaches latitude {}°; areas must lie within ±{MAX_BBOX_ABS_LAT_DEG}°",
            if b.south.abs() > b.north.abs() {
                b.south
            } else {
                b.north
            }
        )));
    }
    if b.north <= b.south || span <= 0.0 {
        return Err(CoverageError::InvalidBbox(
            "the bbox has no area (south ≥ north or west = east)".into(),
        ));
    }
    Ok(())
}

/// Checks that every vertex is a valid WGS-84 position with longitude in [−180°, 180°]
/// (polygons crossing the antimeridian must be cut at ±180° as RFC 7946 §3.1.9 says, or
/// drawn with an edge spanning more than 180°, which h3o repairs), that there are at most
/// [`MAX_AREA_VERTICES`] vertices, and that the geometry is valid in the OGC simple-features
/// sense (`validate`: closed rings of ≥ 4 positions, no self-intersection, holes
/// inside their shell, parts not overlapping).
fn check_coords(g: &MultiPolygon<f64>) -> Result<(), CoverageError> {
    if g.0.is_empty() {
        return Err(CoverageError::InvalidGeometry("no polygon".into()));
    }
    let vertices: usize =
        g.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r| r.0.len())
            .sum();
    if vertices > MAX_AREA_VERTICES {
        return Err(CoverageError::InvalidGeometry(format!(
            "{vertices} vertices, more than the limit of {MAX_AREA_VERTICES}; simplify the geometry"
        )));
    }
    for (pi, p) in g.0.iter().enumerate() {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            if ring.0.len() < 4 {
                return Err(CoverageError::InvalidGeometry(format!(
                    "polygon {pi}: a ring needs at least 4 positions (closed)"
                )));
            }
            for c in &ring.0 {
                if !c.x.is_finite() || !c.y.is_finite() || c.y.abs() > 90.0 || c.x.abs() > 180.0 {
                    return Err(CoverageError::InvalidGeometry(format!(
                        "polygon {pi}: position [{}, {}] is not a valid [lon, lat] (longitude must be in −180..=180; cut rings crossing the antimeridian at ±180° as RFC 7946 §3.1.9 recommends)",
                        c.x, c.y
                    )));
                }
            }
        }
    }
    validate(g)
        .map_err(|e| CoverageError::InvalidGeometry(format!("the geometry is not valid: {e}")))
}

/// Whether a closed ring crosses or touches itself (apart from consecutive segments meeting
/// at their shared vertex). Sort-and-sweep over the segments' longitude intervals: near-linear
/// for ordinary rings (geo's `Validation` compares every pair of segments, which took seconds
/// at 20 000 vertices).
fn ring_self_intersection(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.0.clone();
    pts.dedup();
    let segs: Vec<Line<f64>> = pts.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    let n = segs.len();
    let mut order: Vec<usize> = (0..n).collect();
    let min_x = |l: &Line<f64>| l.start.x.min(l.end.x);
    let max_x = |l: &Line<f64>| l.start.x.max(l.end.x);
    order.sort_by(|&a, &b| min_x(&segs[a]).total_cmp(&min_x(&segs[b])));
    let mut active: Vec<usize> = Vec::new();
    for &i in &order {
        let x = min_x(&segs[i]);
        active.retain(|&j| max_x(&segs[j]) >= x);
        for &j in &active {
            let adjacent = i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
            match line_intersection(segs[i], segs[j]) {
                None => {}
                Some(LineIntersection::SinglePoint { intersection, .. }) if adjacent => {
                    // Consecutive segments may only share their common vertex.
                    let shared = if segs[i].end == segs[j].start {
                        segs[i].end
                    } else {
                        segs[i].start
                    };
                    if intersection != shared {
                        return Some(intersection);
                    }
                }
                Some(LineIntersection::SinglePoint { intersection, .. }) => {
                    return Some(intersection)
                }
                Some(LineIntersection::Collinear { intersection }) => {
                    return Some(intersection.start)
                }
            }
        }
        active.push(i);
    }
    None
}

/// OGC simple-features validity of a multipolygon (the rules of geo's `Validation`, with a
/// sweep for the rings' self-intersections and `Relate` — itself R-tree based — for the
/// relations between rings and parts): each ring simple and of ≥ 3 distinct positions, each
/// hole inside its shell, holes' interiors disjoint, parts' interiors disjoint.
pub(crate) fn validate(g: &MultiPolygon<f64>) -> Result<(), String> {
    let interiors_meet = |a: &Polygon<f64>, b: &Polygon<f64>| {
        let (Some(ra), Some(rb)) = (a.bounding_rect(), b.bounding_rect()) else {
            return false;
        };
        ra.intersects(&rb)
            && a.relate(b).get(CoordPos::Inside, CoordPos::Inside) != Dimensions::Empty
    };
    for (pi, p) in g.0.iter().enumerate() {
        for (ri, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            let what = if ri == 0 {
                format!("polygon {pi}: the exterior ring")
            } else {
                format!("polygon {pi}: interior ring {}", ri - 1)
            };
            let mut distinct = ring.0.clone();
            distinct.dedup();
            if distinct.len() < 4 {
                return Err(format!("{what} must have at least 3 distinct positions"));
            }
            if let Some(c) = ring_self_intersection(ring) {
                return Err(format!(
                    "{what} has a self-intersection near [{}, {}]",
                    c.x, c.y
                ));
            }
        }
        let shell = Polygon::new(p.exterior().clone(), vec![]);
        let holes: Vec<Polygon<f64>> = p
            .interiors()
            .iter()
            .map(|h| Polygon::new(h.clone(), vec![]))
            .collect();
        for (hi, h) in holes.iter().enumerate() {
            if !shell.relate(h).is_covers() {
                return Err(format!(
                    "polygon {pi}: interior ring {hi} is not inside the exterior ring"
                ));
            }
            for (hj, h2) in holes.iter().enumerate().skip(hi + 1) {
                if interiors_meet(h, h2) {
                    return Err(format!(
                        "polygon {pi}: interior rings {hi} and {hj} overlap"
                    ));
                }
            }
        }
    }
    for (i, a) in g.0.iter().enumerate() {
        for (j, b) in g.0.iter().enumerate().skip(i + 1) {
            if interiors_meet(a, b) {
                return Err(format!(
                    "polygons {i} and {j} overlap (their area would be counted twice)"
                ));
            }
        }
    }
    Ok(())
}

fn rects_of(g: &MultiPolygon<f64>) -> Vec<Rect<f64>> {
    g.0.iter().filter_map(|p| p.bounding_rect()).collect()
}

fn overlapping_counties(
    districts: &'static Districts,
    g: &MultiPolygon<f64>,
) -> Vec<&'static District> {
    let rects = rects_of(g);
    districts
        .all()
        .iter()
        .filter(|d| d.level == Level::County && rects.iter().any(|r| r.intersects(&d.bounds)))
        .collect()
}

impl AreaSpec {
    /// Resolves the area against the shipped `districts`.
    ///
    /// # Errors
    /// [`CoverageError::UnknownAdcode`], [`CoverageError::InvalidGeometry`] (see
    /// `check_coords`: longitudes in −180..=180, at most [`MAX_AREA_VERTICES`], OGC-valid),
    /// [`CoverageError::InvalidBbox`] (wider than [`MAX_BBOX_SPAN_DEG`] or beyond
    /// ±[`MAX_BBOX_ABS_LAT_DEG`]).
    pub fn resolve(&self, districts: &'static Districts) -> Result<ResolvedArea, CoverageError> {
        match self {
            AreaSpec::Adcode(code) => {
                let d = districts
                    .get(code.trim())
                    .ok_or_else(|| CoverageError::UnknownAdcode(code.clone()))?;
                let breakdown = match d.level {
                    Level::County => Breakdown::Single(d),
                    Level::City => {
                        Breakdown::PointInPolygon(districts.counties_of(&d.adcode).collect())
                    }
                };
                Ok(ResolvedArea {
                    kind: "adcode",
                    adcode: Some(d.adcode.clone()),
                    name: Some(d.name.clone()),
                    geometry: d.geometry.clone(),
                    breakdown,
                })
            }
            AreaSpec::Geometry(g) => {
                check_coords(g)?;
                Ok(ResolvedArea {
                    kind: "geometry",
                    adcode: None,
                    name: None,
                    geometry: g.clone(),
                    breakdown: Breakdown::PointInPolygon(overlapping_counties(districts, g)),
                })
            }
            AreaSpec::Bbox(b) => {
                check_bbox(b)?;
                let g = bbox_polygons(b);
                Ok(ResolvedArea {
                    kind: "bbox",
                    adcode: None,
                    name: None,
                    breakdown: Breakdown::PointInPolygon(overlapping_counties(districts, &g)),
                    geometry: g,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banded_polygon_agrees_with_geo_on_changsha() {
        // Reference: geo's boundary-inclusive `Intersects` on the same boundary.
        let d = Districts::embedded().get("430104").unwrap();
        let bp = BandedPolygon::new(&d.geometry);
        let b = d.bounds;
        let mut disagree = 0;
        for i in 0..100 {
            for j in 0..100 {
                let x = b.min().x + b.width() * (i as f64 + 0.37) / 100.0;
                let y = b.min().y + b.height() * (j as f64 + 0.61) / 100.0;
                let want = d.geometry.intersects(&geo::Point::new(x, y));
                if bp.contains(x, y) != want {
                    disagree += 1;
                }
            }
        }
        assert_eq!(disagree, 0);
        // A square with a square hole.
        let outer = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 4.0, y: 4.0 }).to_polygon();
        let hole = Rect::new(Coord { x: 1.0, y: 1.0 }, Coord { x: 3.0, y: 3.0 }).to_polygon();
        let p = geo::Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        let bp = BandedPolygon::new(&MultiPolygon(vec![p]));
        assert!(bp.contains(0.5, 0.5) && !bp.contains(2.0, 2.0) && !bp.contains(5.0, 2.0));
    }

    #[test]
    fn validate_agrees_with_geo_validation() {
        // Reference: geo's (quadratic) `Validation` on small rings, valid and not.
        use geo::Validation;
        let poly = |rings: Vec<Vec<(f64, f64)>>| {
            let mut it = rings.into_iter().map(LineString::from);
            let ext = it.next().unwrap();
            MultiPolygon(vec![Polygon::new(ext, it.collect())])
        };
        let sq = vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
        let cases = vec![
            poly(vec![sq.clone()]),
            poly(vec![vec![
                (0.0, 0.0),
                (1.0, 1.0),
                (1.0, 0.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]]),
            poly(vec![
                sq.clone(),
                vec![(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4), (0.2, 0.2)],
            ]),
            poly(vec![
                sq.clone(),
                vec![
                    (-1.0, -1.0),
                    (2.0, -1.0),
                    (2.0, 2.0),
                    (-1.0, 2.0),
                    (-1.0, -1.0),
                ],
            ]),
            // Spike (collinear back-track).
            poly(vec![vec![
                (0.0, 0.0),
                (2.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 0.0),
            ]]),
            // Repeated vertex: valid.
            poly(vec![vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 0.0),
            ]]),
            MultiPolygon(vec![
                Polygon::new(LineString::from(sq.clone()), vec![]),
                Polygon::new(
                    LineString::from(vec![
                        (0.5, 0.5),
                        (1.5, 0.5),
                        (1.5, 1.5),
                        (0.5, 1.5),
                        (0.5, 0.5),
                    ]),
                    vec![],
                ),
            ]),
            MultiPolygon(vec![
                Polygon::new(LineString::from(sq.clone()), vec![]),
                Polygon::new(
                    LineString::from(vec![
                        (2.0, 0.0),
                        (3.0, 0.0),
                        (3.0, 1.0),
                        (2.0, 1.0),
                        (2.0, 0.0),
                    ]),
                    vec![],
                ),
            ]),
        ];
        for g in &cases {
            assert_eq!(
                validate(g).is_ok(),
                g.is_valid(),
                "{g:?}: {:?}",
                validate(g)
            );
        }
    }

    #[test]
    fn validate_accepts_a_20000_vertex_circle() {
        // A 19 999-vertex circle (+ closing vertex). Measured once: the sweep takes well under
        // a second unoptimised, where geo's pairwise check took 2.3 s at only 4 000 vertices.
        let n = 19_999;
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                (113.0 + 0.1 * a.cos(), 28.0 + 0.1 * a.sin())
            })
            .chain(std::iter::once((113.1, 28.0)))
            .collect();
        let g = MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]);
        assert!(validate(&g).is_ok());
    }
}
