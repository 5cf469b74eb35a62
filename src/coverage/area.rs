//! The area a coverage analysis covers, and the districts its table is broken down by.

use super::CoverageError;
use crate::districts::{District, Districts, Level};
use crate::model::{Bbox, LonLat};
use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};

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
    /// Cells are assigned to these counties by tiling each (same centre rule as the area).
    TileCounties(Vec<&'static District>),
    /// Cells are assigned by point-in-polygon of their centres (boundary inclusive, the
    /// smallest adcode on a shared border, as [`Districts::county_at`]).
    PointInPolygon(Vec<&'static District>),
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

/// The polygon(s) of a bbox: one rectangle, or two when it crosses the antimeridian.
pub fn bbox_polygons(b: &Bbox) -> MultiPolygon<f64> {
    let rect = |w: f64, e: f64| {
        Rect::new(Coord { x: w, y: b.south }, Coord { x: e, y: b.north }).to_polygon()
    };
    if b.west <= b.east {
        MultiPolygon(vec![rect(b.west, b.east)])
    } else {
        MultiPolygon(vec![rect(b.west, 180.0), rect(-180.0, b.east)])
    }
}

/// Checks that every vertex is a valid WGS-84 position (longitudes up to ±540° are allowed
/// for rings drawn across the antimeridian).
fn check_coords(g: &MultiPolygon<f64>) -> Result<(), CoverageError> {
    for (pi, p) in g.0.iter().enumerate() {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            if ring.0.len() < 4 {
                return Err(CoverageError::InvalidGeometry(format!(
                    "polygon {pi}: a ring needs at least 4 positions (closed)"
                )));
            }
            for c in &ring.0 {
                if !c.x.is_finite() || !c.y.is_finite() || c.y.abs() > 90.0 || c.x.abs() > 540.0 {
                    return Err(CoverageError::InvalidGeometry(format!(
                        "polygon {pi}: position [{}, {}] is not a valid [lon, lat]",
                        c.x, c.y
                    )));
                }
            }
        }
    }
    if g.0.is_empty() {
        return Err(CoverageError::InvalidGeometry("no polygon".into()));
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
    /// [`CoverageError::UnknownAdcode`], [`CoverageError::InvalidGeometry`].
    pub fn resolve(&self, districts: &'static Districts) -> Result<ResolvedArea, CoverageError> {
        match self {
            AreaSpec::Adcode(code) => {
                let d = districts
                    .get(code.trim())
                    .ok_or_else(|| CoverageError::UnknownAdcode(code.clone()))?;
                let breakdown = match d.level {
                    Level::County => Breakdown::Single(d),
                    Level::City => {
                        Breakdown::TileCounties(districts.counties_of(&d.adcode).collect())
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

/// The county among `candidates` containing `p` (boundary inclusive, smallest adcode first
/// since `candidates` are sorted by adcode).
pub fn county_among(candidates: &[&'static District], p: LonLat) -> Option<usize> {
    let pt = p.to_point();
    candidates
        .iter()
        .position(|d| d.bounds.intersects(&pt) && d.geometry.intersects(&pt))
}
