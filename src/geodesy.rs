//! Distances on the Earth.
//!
//! Reported distances are geodesics on the WGS-84 ellipsoid computed with Karney's algorithm
//! (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43–55, 2013,
//! <https://doi.org/10.1007/s00190-012-0578-z>) through `geographiclib-rs`.
//!
//! For indexing, a position is embedded as a 3-D unit vector on the unit sphere (geodetic
//! latitude used as the spherical latitude). The straight-line (chord) distance `c` between two
//! unit vectors is monotonic in their central angle `θ`: `c = 2 sin(θ / 2)`, so an R-tree over
//! these vectors ranks by great-circle distance exactly. The sphere and ellipsoid distances
//! differ by less than [`SPHERE_ELLIPSOID_MAX_RATIO_ERROR`] of the distance, which the index
//! uses to turn a chord bound into an ellipsoidal one.

use crate::model::LonLat;
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use std::sync::OnceLock;

/// Mean Earth radius R₁ = (2a + b) / 3 of WGS-84, metres (H. Moritz, "Geodetic Reference
/// System 1980", Bulletin Géodésique 54, 1980; value 6 371 008.8 m).
pub const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.771_4;

/// Upper bound of |d_ellipsoid / (R₁ θ) − 1| for any two points, where θ is the central angle
/// between their unit vectors. The true maximum for WGS-84 is about 0.0056 (meridional arcs
/// near the poles or the equator, where the radius of curvature ranges from 6 335 km to
/// 6 400 km); 0.01 leaves margin. Property tests in `index` check it against Karney.
pub const SPHERE_ELLIPSOID_MAX_RATIO_ERROR: f64 = 0.01;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Geodesic distance between `a` and `b` on the WGS-84 ellipsoid, metres (Karney 2013).
///
/// ```
/// use nuanxin::{geodesy::geodesic_distance_m, model::LonLat};
/// // GeographicLib (Python 2.0, Geodesic.WGS84.Inverse(28, 113, 29, 113)): 110 827.576 m.
/// let d = geodesic_distance_m(LonLat::new(113.0, 28.0).unwrap(), LonLat::new(113.0, 29.0).unwrap());
/// assert!((d - 110_827.576).abs() < 0.01, "{d}");
/// ```
pub fn geodesic_distance_m(a: LonLat, b: LonLat) -> f64 {
    wgs84().inverse(a.lat, a.lon, b.lat, b.lon)
}

/// The point reached from `from` after `distance_m` metres along the geodesic with initial
/// azimuth `azimuth_deg` (degrees clockwise from north), on WGS-84 (Karney 2013, direct problem).
pub fn destination(from: LonLat, azimuth_deg: f64, distance_m: f64) -> LonLat {
    let (lat, lon, _az): (f64, f64, f64) =
        wgs84().direct(from.lat, from.lon, azimuth_deg, distance_m);
    let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    LonLat {
        lon,
        lat: lat.clamp(-90.0, 90.0),
    }
}

/// The unit vector of `p` on the unit sphere: `[cos φ cos λ, cos φ sin λ, sin φ]`.
pub fn unit_vector(p: LonLat) -> [f64; 3] {
    let (sl, cl) = p.lat.to_radians().sin_cos();
    let (so, co) = p.lon.to_radians().sin_cos();
    [cl * co, cl * so, sl]
}

/// Chord length on the unit sphere for central angle `angle_rad`: `2 sin(θ/2)`, for θ ∈ [0, π].
pub fn angle_to_chord(angle_rad: f64) -> f64 {
    2.0 * (angle_rad.clamp(0.0, std::f64::consts::PI) / 2.0).sin()
}

/// Central angle for a chord length `c` on the unit sphere: `2 asin(c/2)`, c ∈ [0, 2].
pub fn chord_to_angle(chord: f64) -> f64 {
    2.0 * (chord.clamp(0.0, 2.0) / 2.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_and_angle_invert() {
        for i in 0..=100 {
            let a = std::f64::consts::PI * i as f64 / 100.0;
            assert!((chord_to_angle(angle_to_chord(a)) - a).abs() < 1e-9);
        }
    }
}
