//! Distances on the Earth.
//!
//! Reported distances are geodesics on the WGS-84 ellipsoid (a = 6 378 137 m,
//! f = 1/298.257 223 563; NIMA TR8350.2, 3rd ed., 2000, table 3.1).
//!
//! # Distance: two algorithms, one function
//!
//! [`geodesic_distance_m`] returns the length of the shortest geodesic:
//!
//! - lines whose straight-line (3-D chord) length is at most [`SHORT_LINE_MAX_CHORD_M`]
//!   (100 km) use the chord-to-arc series below: a closed formula, cheaper than Karney's
//!   iterative solution (not benchmarked separately; the index's figures include it);
//! - longer lines use Karney's algorithm (C. F. F. Karney, "Algorithms for geodesics",
//!   J. Geodesy 87, 43–55, 2013, <https://doi.org/10.1007/s00190-012-0578-z>) through
//!   `geographiclib-rs` ([`karney_distance_m`]).
//!
//! **Short lines.** Let `c` be the Euclidean distance between the two points in Earth-centred
//! Cartesian coordinates (exact). Over a short line the geodesic coincides with the normal
//! section to far below a micrometre (their length difference is of order e⁴s⁵/R⁴; Bowring,
//! "The normal section – forward and inverse formulae at any distance", Survey Review 1971),
//! and a plane curve of radius of curvature `ρ` has arc length
//! `s = 2ρ·asin(c / 2ρ) = c + c³/(24ρ²) + 3c⁵/(640ρ⁴) + O(c⁷/ρ⁶)`.
//! `ρ` is the normal-section radius at the mid-point in the chord's direction, by Euler's
//! theorem `1/ρ = cos²α / M + sin²α / N` (M, N: meridional and prime-vertical radii of
//! curvature, α: azimuth). The curvature varies along the line only to first order in the
//! mid-point's distance, which cancels between the two halves. Measured against Karney over
//! 1.2 million random lines on the whole ellipsoid (10 % of them within 2° of a pole), the
//! difference is below 5 nm up to 30 km and below 0.3 µm up to 100 km; the tests in this
//! module and in `tests/spatial.rs` hold it to 1 µm against Karney and to GeographicLib's
//! published values.
//!
//! # The unit-vector embedding used by the index
//!
//! A position is embedded as a 3-D unit vector on the unit sphere (geodetic latitude used as
//! the spherical latitude; the vector is then exactly the ellipsoid's surface normal). The
//! straight-line (chord) length `k` between two unit vectors is monotonic in their central
//! angle `θ`: `k = 2 sin(θ / 2)`, so an R-tree over these vectors ranks by great-circle
//! distance exactly. The ellipsoidal distance is bounded by that angle:
//!
//! `(b²/a) · θ ≤ d ≤ (a²/b) · θ`
//!
//! Proof: in geodetic coordinates the ellipsoid's line element is
//! `ds² = M² dφ² + N² cos²φ dλ²` and the unit sphere's is `dσ² = dφ² + cos²φ dλ²`. Since
//! `b²/a ≤ M ≤ a²/b` and `a ≤ N ≤ a²/b`, every curve's ellipsoidal length lies between
//! `b²/a` and `a²/b` times its spherical length. The geodesic's image on the sphere is at least
//! `θ` long (lower bound); the great circle's image on the ellipsoid is at least `d` long
//! (upper bound). See [`MIN_METRES_PER_RADIAN`], [`MAX_METRES_PER_RADIAN`].

use crate::model::LonLat;
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use std::sync::OnceLock;

/// WGS-84 semi-major axis a, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS-84 flattening f.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS-84 first eccentricity squared e² = f (2 − f).
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// WGS-84 semi-minor axis b = a (1 − f), metres.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);

/// Mean Earth radius R₁ = (2a + b) / 3 of WGS-84, metres (H. Moritz, "Geodetic Reference
/// System 1980", Bulletin Géodésique 54, 1980; value 6 371 008.8 m).
pub const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.771_4;

/// Smallest radius of curvature of the WGS-84 ellipsoid, b²/a = 6 335 439.327 m (the
/// meridional radius at the equator). Every geodesic is at least this many metres per radian of
/// central angle between its end points' unit vectors (see the module docs for the proof).
pub const MIN_METRES_PER_RADIAN: f64 = WGS84_B_M * WGS84_B_M / WGS84_A_M;

/// Largest radius of curvature of the WGS-84 ellipsoid, a²/b = 6 399 593.626 m (at the poles).
/// Every geodesic is at most this many metres per radian of central angle.
pub const MAX_METRES_PER_RADIAN: f64 = WGS84_A_M * WGS84_A_M / WGS84_B_M;

/// Upper bound of |d / (R₁ θ) − 1| for any two points, where d is the ellipsoidal distance, θ
/// the central angle between their unit vectors and R₁ [`EARTH_MEAN_RADIUS_M`]. The proven
/// extremes are b²/(a R₁) − 1 = −0.005 583 and a²/(b R₁) − 1 = +0.004 486 (module docs);
/// 0.0056 is the smallest round value above both. Prefer [`MIN_METRES_PER_RADIAN`] and
/// [`MAX_METRES_PER_RADIAN`], which are exact.
pub const SPHERE_ELLIPSOID_MAX_RATIO_ERROR: f64 = 0.0056;

/// Longest 3-D chord, metres, for which [`geodesic_distance_m`] uses the short-line series
/// instead of Karney's algorithm.
pub const SHORT_LINE_MAX_CHORD_M: f64 = 100_000.0;

/// Bound on |[`geodesic_distance_m`] − Karney| in metres, for any pair of points. The measured
/// maximum is 0.3 µm (module docs); the index widens its pruning bounds by this much.
pub const DISTANCE_MAX_ERROR_M: f64 = 1e-6;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Geodesic distance between `a` and `b` on the WGS-84 ellipsoid, metres: the short-line
/// series for chords up to 100 km, Karney's algorithm beyond (module docs). Agrees with
/// Karney to within [`DISTANCE_MAX_ERROR_M`].
///
/// ```
/// use nuanxin_core::{geodesy::geodesic_distance_m, model::LonLat};
/// // GeographicLib 2.0 (Python), Geodesic.WGS84.Inverse(28, 113, 29, 113)["s12"]
/// // = 110 827.576 m (Karney path: chord > 100 km).
/// let d = geodesic_distance_m(LonLat::new(113.0, 28.0).unwrap(), LonLat::new(113.0, 29.0).unwrap());
/// assert!((d - 110_827.576).abs() < 0.001, "{d}");
/// ```
pub fn geodesic_distance_m(a: LonLat, b: LonLat) -> f64 {
    distance_between_unit_vectors_m(unit_vector(a), unit_vector(b), a, b)
}

/// [`geodesic_distance_m`] for points whose unit vectors ([`unit_vector`]) are already known:
/// `ua`, `ub` must be the unit vectors of `a`, `b`. The index calls this with precomputed
/// vectors; the short-line path then needs no trigonometric function.
pub fn distance_between_unit_vectors_m(ua: [f64; 3], ub: [f64; 3], a: LonLat, b: LonLat) -> f64 {
    short_line_distance_m(ua, ub).unwrap_or_else(|| karney_distance_m(a, b))
}

/// Geodesic distance between `a` and `b` on WGS-84 by Karney's algorithm (geographiclib-rs),
/// metres. Accurate to about 15 nm for any pair, including nearly antipodal ones.
pub fn karney_distance_m(a: LonLat, b: LonLat) -> f64 {
    wgs84().inverse(a.lat, a.lon, b.lat, b.lon)
}

/// Earth-centred, Earth-fixed Cartesian coordinates (metres) of the ellipsoid surface point
/// whose unit normal is `u` (a [`unit_vector`]): `N·(u_x, u_y, (1 − e²) u_z)`, with
/// `N = a / √(1 − e² sin²φ)` and `sin φ = u_z`.
pub fn ecef_from_unit_vector(u: [f64; 3]) -> [f64; 3] {
    let n = WGS84_A_M / (1.0 - WGS84_E2 * u[2] * u[2]).sqrt();
    [n * u[0], n * u[1], n * (1.0 - WGS84_E2) * u[2]]
}

/// The short-line series of the module docs, or `None` when the chord exceeds
/// [`SHORT_LINE_MAX_CHORD_M`].
pub(crate) fn short_line_distance_m(ua: [f64; 3], ub: [f64; 3]) -> Option<f64> {
    let p = ecef_from_unit_vector(ua);
    let q = ecef_from_unit_vector(ub);
    let d = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
    let c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if c2 > SHORT_LINE_MAX_CHORD_M * SHORT_LINE_MAX_CHORD_M {
        return None;
    }
    if c2 == 0.0 {
        return Some(0.0);
    }
    // Mid-point normal m (not normalised) and its latitude: sin²φ = m_z² / |m|².
    let m = [ua[0] + ub[0], ua[1] + ub[1], ua[2] + ub[2]];
    let m2 = m[0] * m[0] + m[1] * m[1] + m[2] * m[2];
    let w2 = 1.0 - WGS84_E2 * m[2] * m[2] / m2;
    let w = w2.sqrt();
    let inv_m = w2 * w / (WGS84_A_M * (1.0 - WGS84_E2)); // 1 / M
    let inv_n = w / WGS84_A_M; // 1 / N
    let h2 = m[0] * m[0] + m[1] * m[1];
    let inv_rho = if h2 > 1e-24 {
        // East component of d: d · (−m_y, m_x, 0)/√h2; horizontal part: d minus its
        // component along m. sin²α = east² / horizontal².
        let east = -d[0] * m[1] + d[1] * m[0];
        let east2 = east * east / h2;
        let up = d[0] * m[0] + d[1] * m[1] + d[2] * m[2];
        let horizontal2 = (c2 - up * up / m2).max(f64::MIN_POSITIVE);
        let sin2a = (east2 / horizontal2).min(1.0);
        (1.0 - sin2a) * inv_m + sin2a * inv_n
    } else {
        // At a pole M = N, so the azimuth does not matter.
        inv_m
    };
    let x = c2 * inv_rho * inv_rho;
    Some(c2.sqrt() * (1.0 + x / 24.0 + 3.0 * x * x / 640.0))
}

/// The point reached from `from` after `distance_m` metres along the geodesic with initial
/// azimuth `azimuth_deg` (degrees clockwise from north), on WGS-84 (Karney 2013, direct
/// problem). The longitude is wrapped into `[-180, 180)`.
pub fn destination(from: LonLat, azimuth_deg: f64, distance_m: f64) -> LonLat {
    let (lat, lon, _az): (f64, f64, f64) =
        wgs84().direct(from.lat, from.lon, azimuth_deg, distance_m);
    let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    LonLat {
        lon,
        lat: lat.clamp(-90.0, 90.0),
    }
}

/// The unit vector of `p` on the unit sphere: `[cos φ cos λ, cos φ sin λ, sin φ]` (φ geodetic
/// latitude, λ longitude); it is also the ellipsoid's outward surface normal at `p`.
pub fn unit_vector(p: LonLat) -> [f64; 3] {
    let (sl, cl) = p.lat.to_radians().sin_cos();
    let (so, co) = p.lon.to_radians().sin_cos();
    [cl * co, cl * so, sl]
}

/// Chord length on the unit sphere for central angle `angle_rad`: `2 sin(θ/2)`, θ clamped to
/// [0, π].
pub fn angle_to_chord(angle_rad: f64) -> f64 {
    2.0 * (angle_rad.clamp(0.0, std::f64::consts::PI) / 2.0).sin()
}

/// Central angle (radians) for a chord length `c` on the unit sphere: `2 asin(c/2)`, c clamped
/// to [0, 2].
pub fn chord_to_angle(chord: f64) -> f64 {
    2.0 * (chord.clamp(0.0, 2.0) / 2.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn chord_and_angle_invert() {
        for i in 0..=100 {
            let a = std::f64::consts::PI * i as f64 / 100.0;
            assert!((chord_to_angle(angle_to_chord(a)) - a).abs() < 1e-9);
        }
    }

    #[test]
    fn radii_of_curvature_match_hand_calculation() {
        // b = a(1 − f) = 6 356 752.314 245 m; b²/a = 6 335 439.327 m; a²/b = 6 399 593.626 m
        // (hand calculation from the WGS-84 defining constants).
        assert!((WGS84_B_M - 6_356_752.314_245).abs() < 1e-6);
        assert!((MIN_METRES_PER_RADIAN - 6_335_439.327).abs() < 1e-3);
        assert!((MAX_METRES_PER_RADIAN - 6_399_593.626).abs() < 1e-3);
        // The rounded ratio bound covers both proven extremes.
        const {
            assert!(
                1.0 - MIN_METRES_PER_RADIAN / EARTH_MEAN_RADIUS_M
                    < SPHERE_ELLIPSOID_MAX_RATIO_ERROR
            );
            assert!(
                MAX_METRES_PER_RADIAN / EARTH_MEAN_RADIUS_M - 1.0
                    < SPHERE_ELLIPSOID_MAX_RATIO_ERROR
            );
        }
    }

    #[test]
    fn ecef_matches_reference() {
        // pyproj 3.7 (Transformer EPSG:4326 → EPSG:4978, always_xy), lon 112.97092,
        // lat 28.19860, h 0: X = −2 195 372.347 m, Y = 5 179 280.213 m, Z = 2 995 920.179 m.
        let u = unit_vector(ll(112.970_92, 28.198_60));
        let e = ecef_from_unit_vector(u);
        let want = [-2_195_372.347, 5_179_280.213, 2_995_920.179];
        for i in 0..3 {
            assert!(
                (e[i] - want[i]).abs() < 0.002,
                "{i}: {} vs {}",
                e[i],
                want[i]
            );
        }
    }

    #[test]
    fn short_line_series_switches_to_karney_beyond_100_km() {
        let a = ll(113.0, 28.0);
        // 0.8° of latitude ≈ 88.7 km: series; 1° ≈ 110.8 km: Karney.
        assert!(short_line_distance_m(unit_vector(a), unit_vector(ll(113.0, 28.8))).is_some());
        assert!(short_line_distance_m(unit_vector(a), unit_vector(ll(113.0, 29.0))).is_none());
        assert_eq!(geodesic_distance_m(a, a), 0.0);
    }

    fn arb_point() -> impl Strategy<Value = LonLat> {
        // Uniform on the sphere, plus extra weight near the poles and the antimeridian.
        prop_oneof![
            (-180.0..=180.0f64, -1.0..=1.0f64).prop_map(|(lon, z)| ll(lon, z.asin().to_degrees())),
            (-180.0..=180.0f64, 88.0..=90.0f64).prop_map(|(lon, lat)| ll(lon, lat)),
            (-180.0..=180.0f64, -90.0..=-88.0f64).prop_map(|(lon, lat)| ll(lon, lat)),
            (179.0..=180.0f64, -60.0..=60.0f64).prop_map(|(lon, lat)| ll(lon, lat)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The series agrees with Karney to 1 µm on any short line, anywhere.
        #[test]
        fn short_lines_agree_with_karney(
            from in arb_point(),
            azimuth in 0.0..360.0f64,
            distance in 0.0..100_000.0f64,
        ) {
            let to = destination(from, azimuth, distance);
            let karney = karney_distance_m(from, to);
            let ours = geodesic_distance_m(from, to);
            prop_assert!((ours - karney).abs() <= DISTANCE_MAX_ERROR_M, "{ours} vs {karney}");
        }

        /// The proven bounds (b²/a)θ ≤ d ≤ (a²/b)θ hold against Karney for any pair.
        #[test]
        fn ellipsoid_distance_is_bounded_by_central_angle(a in arb_point(), b in arb_point()) {
            let (ua, ub) = (unit_vector(a), unit_vector(b));
            let k = ((ua[0] - ub[0]).powi(2) + (ua[1] - ub[1]).powi(2) + (ua[2] - ub[2]).powi(2)).sqrt();
            let theta = chord_to_angle(k);
            let d = karney_distance_m(a, b);
            prop_assert!(d >= MIN_METRES_PER_RADIAN * theta - 1e-6, "{d} < {}", MIN_METRES_PER_RADIAN * theta);
            prop_assert!(d <= MAX_METRES_PER_RADIAN * theta + 1e-6, "{d} > {}", MAX_METRES_PER_RADIAN * theta);
        }
    }
}
