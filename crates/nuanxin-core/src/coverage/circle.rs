//! Service circles: the set of places within `radius_m` metres (WGS-84 geodesic) of a station,
//! as a GeoJSON-ready polygon.
//!
//! The ring is made of the points reached along geodesics from the centre at `n` equally spaced
//! azimuths (Karney's direct problem, [`crate::geodesy::destination`]). In degrees it is not a
//! circle: at 28° N it is about 1 / cos 28° ≈ 1.13 times wider in longitude than in latitude.
//! Its edges are straight in degrees (as GeoJSON edges are, RFC 7946 §3.1.1), so with `n`
//! vertices the polygon lies inside the true circle by at most the sagitta
//! `r (1 − cos(π / n))` (12 m for r = 1 250 m and n = 32); [`vertices_for_tolerance`] picks `n`
//! for a tolerance.
//!
//! Special cases, handled as RFC 7946 §3.1.9 recommends:
//! - a circle crossing the antimeridian is cut there into a `MultiPolygon` of two parts, one
//!   ending at +180° and one starting at −180°;
//! - a circle containing a pole becomes one polygon bounded by the ring (sorted by longitude
//!   from −180° to +180°) and closed along the ±180° meridian and the pole's latitude (±90°), so
//!   that it renders correctly in a plate carrée or Web Mercator map;
//! - a radius of half the Earth's circumference or more covers the whole Earth.

use crate::geodesy::{destination, geodesic_distance_m};
use crate::model::LonLat;
use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Fewest vertices a circle gets.
pub const MIN_VERTICES: usize = 8;
/// Most vertices a circle gets.
pub const MAX_VERTICES: usize = 720;
/// Default vertices (sagitta 0.12 % of the radius).
pub const DEFAULT_VERTICES: usize = 64;

/// Vertices needed so that the polygon departs from the true circle by at most `tolerance_m`
/// metres (sagitta `r (1 − cos(π / n)) ≤ tolerance`), clamped to
/// [`MIN_VERTICES`]..=[`MAX_VERTICES`].
///
/// ```
/// use nuanxin_core::coverage::circle::vertices_for_tolerance;
/// // r = 1250 m, 10 m: n ≥ π / acos(1 − 10/1250) = π / 0.12659 = 24.8 → 25
/// assert_eq!(vertices_for_tolerance(1250.0, 10.0), 25);
/// ```
pub fn vertices_for_tolerance(radius_m: f64, tolerance_m: f64) -> usize {
    if tolerance_m.is_nan() || radius_m.is_nan() || tolerance_m <= 0.0 || radius_m <= 0.0 {
        return MAX_VERTICES;
    }
    let x = 1.0 - (tolerance_m / radius_m).min(1.0);
    let n = (std::f64::consts::PI / x.acos()).ceil();
    (n as usize).clamp(MIN_VERTICES, MAX_VERTICES)
}

/// Ground size of one screen pixel at web-map `zoom` and latitude `lat_deg`, metres (256-px
/// Web Mercator tiles: 2π·6 378 137 m / 256 / 2^zoom · cos φ = 156 543.034 m · cos φ / 2^zoom).
pub fn metres_per_pixel(zoom: f64, lat_deg: f64) -> f64 {
    156_543.033_928 * lat_deg.to_radians().cos() / 2f64.powf(zoom)
}

fn pole_lat(centre: LonLat, radius_m: f64) -> Option<f64> {
    let north = LonLat {
        lon: centre.lon,
        lat: 90.0,
    };
    let south = LonLat {
        lon: centre.lon,
        lat: -90.0,
    };
    if geodesic_distance_m(centre, north) < radius_m {
        Some(90.0)
    } else if geodesic_distance_m(centre, south) < radius_m {
        Some(-90.0)
    } else {
        None
    }
}

fn world() -> MultiPolygon<f64> {
    MultiPolygon(vec![geo::Rect::new(
        Coord {
            x: -180.0,
            y: -90.0,
        },
        Coord { x: 180.0, y: 90.0 },
    )
    .to_polygon()])
}

/// Keeps the part of a ring with `x ≤ limit` (`keep_below`) or `x ≥ limit`
/// (Sutherland–Hodgman clipping against one vertical line).
fn clip(ring: &[Coord<f64>], limit: f64, keep_below: bool) -> Vec<Coord<f64>> {
    let inside = |c: &Coord<f64>| {
        if keep_below {
            c.x <= limit
        } else {
            c.x >= limit
        }
    };
    let mut out = Vec::new();
    for i in 0..ring.len() {
        let a = ring[i];
        let b = ring[(i + 1) % ring.len()];
        let (ia, ib) = (inside(&a), inside(&b));
        if ia {
            out.push(a);
        }
        if ia != ib {
            let t = (limit - a.x) / (b.x - a.x);
            out.push(Coord {
                x: limit,
                y: a.y + t * (b.y - a.y),
            });
        }
    }
    out
}

fn closed(mut ring: Vec<Coord<f64>>) -> Polygon<f64> {
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), vec![])
}

/// The service circle of radius `radius_m` metres around `centre` with `vertices` ring points
/// (clamped to [`MIN_VERTICES`]..=[`MAX_VERTICES`]), counter-clockwise, `[lon, lat]` degrees.
/// One polygon normally; two when cut at the antimeridian (see the module docs).
pub fn service_circle(centre: LonLat, radius_m: f64, vertices: usize) -> MultiPolygon<f64> {
    let n = vertices.clamp(MIN_VERTICES, MAX_VERTICES);
    let radius_m = radius_m.max(0.0);
    // Half the meridional circumference of WGS-84 is 20 003 931 m: beyond, everything.
    if radius_m >= 20_003_931.0 {
        return world();
    }
    // Azimuths clockwise from north; reversed below to make the ring counter-clockwise.
    let pts: Vec<LonLat> = (0..n)
        .map(|i| destination(centre, 360.0 * i as f64 / n as f64, radius_m))
        .collect();
    if let Some(pole) = pole_lat(centre, radius_m) {
        let mut ring: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p.lon, y: p.lat }).collect();
        ring.sort_by(|a, b| a.x.total_cmp(&b.x));
        // Latitude where the ring meets ±180°: interpolate between the two end points.
        let (first, last) = (ring[0], ring[ring.len() - 1]);
        let span = (first.x + 360.0) - last.x;
        let y_at = if span > 0.0 {
            last.y + (first.y - last.y) * (180.0 - last.x) / span
        } else {
            first.y
        };
        let mut out = vec![Coord { x: -180.0, y: y_at }];
        out.extend(ring);
        out.push(Coord { x: 180.0, y: y_at });
        out.push(Coord { x: 180.0, y: pole });
        out.push(Coord { x: -180.0, y: pole });
        let mut poly = closed(out);
        // North: east along the ring, west along the pole line: counter-clockwise already.
        // South: the same walk is clockwise; RFC 7946 §3.1.6 wants exteriors counter-clockwise.
        if geo::Area::signed_area(&poly) < 0.0 {
            poly.exterior_mut(|r| r.0.reverse());
        }
        return MultiPolygon(vec![poly]);
    }
    // Unwrap longitudes to be continuous around the centre's longitude.
    let ring: Vec<Coord<f64>> = pts
        .iter()
        .rev()
        .map(|p| {
            let mut dx = p.lon - centre.lon;
            if dx > 180.0 {
                dx -= 360.0;
            } else if dx < -180.0 {
                dx += 360.0;
            }
            Coord {
                x: centre.lon + dx,
                y: p.lat,
            }
        })
        .collect();
    let max_x = ring.iter().map(|c| c.x).fold(f64::MIN, f64::max);
    let min_x = ring.iter().map(|c| c.x).fold(f64::MAX, f64::min);
    if max_x > 180.0 {
        let west = clip(&ring, 180.0, true);
        let east: Vec<Coord<f64>> = clip(&ring, 180.0, false)
            .into_iter()
            .map(|c| Coord {
                x: c.x - 360.0,
                y: c.y,
            })
            .collect();
        MultiPolygon(vec![closed(west), closed(east)])
    } else if min_x < -180.0 {
        let east = clip(&ring, -180.0, false);
        let west: Vec<Coord<f64>> = clip(&ring, -180.0, true)
            .into_iter()
            .map(|c| Coord {
                x: c.x + 360.0,
                y: c.y,
            })
            .collect();
        MultiPolygon(vec![closed(east), closed(west)])
    } else {
        MultiPolygon(vec![closed(ring)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, GeodesicArea};

    #[test]
    fn ring_points_are_at_the_radius() {
        let c = LonLat::new(112.97, 28.2).unwrap();
        let mp = service_circle(c, 1250.0, 64);
        assert_eq!(mp.0.len(), 1);
        let ext = mp.0[0].exterior();
        assert_eq!(ext.0.len(), 65);
        for p in &ext.0 {
            let d = geodesic_distance_m(c, LonLat::new(p.x, p.y).unwrap());
            assert!((d - 1250.0).abs() < 1e-6, "{d}");
        }
        assert!(mp.0[0].signed_area() > 0.0, "counter-clockwise");
        // In degrees an ellipse: width / height = M / (N cos φ) (radii of curvature M, N):
        // at 28.2° M/N = 0.99477 and 1/cos φ = 1.13469 → 1.1288 (hand calculation).
        let r = geo::BoundingRect::bounding_rect(&mp).unwrap();
        let ratio = r.width() / r.height();
        assert!((ratio - 1.128).abs() < 0.003, "{ratio}");
    }

    #[test]
    fn area_approaches_the_geodesic_disc() {
        // Spherical-cap area 2πR²(1 − cos(r/R)) with R = 6 371 008.8 m, r = 1 250 m:
        // 4.908 739 km² (hand calculation; pyproj Geod polygon area of a 3600-vertex
        // geodesic circle there gives 4.908 736 km²).
        let c = LonLat::new(112.97, 28.2).unwrap();
        let a = service_circle(c, 1250.0, 720).geodesic_area_unsigned() / 1e6;
        assert!((a / 4.908_736 - 1.0).abs() < 5e-3, "{a}");
    }

    #[test]
    fn antimeridian_circle_is_cut_in_two() {
        let c = LonLat::new(179.99, -16.5).unwrap(); // Fiji
        let mp = service_circle(c, 5000.0, 64);
        assert_eq!(mp.0.len(), 2);
        for p in &mp.0 {
            for q in &p.exterior().0 {
                assert!((-180.0..=180.0).contains(&q.x));
            }
        }
        let xs: Vec<f64> = mp.0[1].exterior().0.iter().map(|c| c.x).collect();
        assert!(xs.iter().all(|&x| x <= -179.9));
        // The two parts together have the area of a whole circle: π r² ≈ 78.54 km² (sphere
        // cap differs by < 1e-6 relative at 5 km).
        let a = mp.geodesic_area_unsigned() / 1e6;
        assert!((a / 78.54 - 1.0).abs() < 5e-3, "{a}");
    }

    #[test]
    fn polar_circle_contains_the_pole() {
        let c = LonLat::new(0.0, 89.0).unwrap();
        let mp = service_circle(c, 200_000.0, 128);
        assert_eq!(mp.0.len(), 1);
        let p = &mp.0[0];
        assert!(geo::Contains::contains(p, &geo::Point::new(90.0, 89.9)));
        assert!(!geo::Contains::contains(
            p,
            &geo::Point::new(180.0 - 1e-9, 85.0)
        ));
        assert!(p.signed_area() > 0.0);
        // Geodesic area of the cap ≈ 2πR²(1 − cos(r/R)) = 125 653 km² for r = 200 km
        // (sphere, R = 6 371 km: hand calculation; the ellipsoid near the pole differs ~1 %).
        let a = p.geodesic_area_unsigned() / 1e6;
        assert!((a / 125_653.0 - 1.0).abs() < 0.02, "{a}");
    }

    #[test]
    fn huge_radius_is_the_world() {
        let mp = service_circle(LonLat::new(0.0, 0.0).unwrap(), 3e7, 64);
        assert_eq!(mp, world());
    }
}
