//! Coordinate systems used by Chinese map apps, and conversion to WGS-84.
//!
//! - [`Crs::Wgs84`]: GPS / OpenStreetMap (EPSG:4326); what the program uses inside.
//! - [`Crs::Gcj02`]: the obfuscated system Amap (高德), Tencent and WeChat show; offset 100–700 m.
//! - [`Crs::Bd09`]: Baidu's further offset of GCJ-02.
//!
//! The GCJ-02 forward transform is the widely published reverse-engineered polynomial
//! ("eviltransform", Krasovsky 1940 ellipsoid a = 6 378 245 m, e² = 0.006 693 421 622 965 943 23).
//! It applies only inside mainland China; elsewhere (Hong Kong, Macau, Taiwan, abroad) GCJ-02
//! equals WGS-84. "Inside" is decided by the OpenStreetMap country boundaries shipped in the
//! `country-boundaries` crate (ODbL), not by a rectangle.
//!
//! The inverse (GCJ-02 → WGS-84) has no closed form; it is solved by fixed-point iteration
//! `w ← w − (forward(w) − g)` until the step is below 1e-9° (≈ 0.1 mm).
//!
//! BD-09 uses `x_pi = π · 3000 / 180` (Baidu's constant, as published with the transform).

use crate::model::LonLat;
use country_boundaries::{CountryBoundaries, LatLon, BOUNDARIES_ODBL_360X180};
use std::f64::consts::PI;
use std::str::FromStr;
use std::sync::OnceLock;

/// A coordinate system a file or request may use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS-84 (GPS, OpenStreetMap, GeoJSON).
    #[default]
    Wgs84,
    /// GCJ-02 (Amap, Tencent, WeChat).
    Gcj02,
    /// BD-09 (Baidu).
    Bd09,
}

/// An unknown CRS name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown crs `{0}`; valid: wgs84, gcj02, bd09")]
pub struct UnknownCrs(pub String);

impl FromStr for Crs {
    type Err = UnknownCrs;
    fn from_str(s: &str) -> Result<Self, UnknownCrs> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "wgs84" | "epsg4326" | "gps" => Ok(Crs::Wgs84),
            "gcj02" | "amap" | "gaode" | "tencent" => Ok(Crs::Gcj02),
            "bd09" | "baidu" => Ok(Crs::Bd09),
            _ => Err(UnknownCrs(s.to_string())),
        }
    }
}

impl Crs {
    /// The name used in APIs: `wgs84`, `gcj02`, `bd09`.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a position given in this system to WGS-84.
    pub fn to_wgs84(self, p: LonLat) -> LonLat {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => gcj02_to_wgs84(p),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
        }
    }

    /// Converts a WGS-84 position to this system.
    pub fn from_wgs84(self, p: LonLat) -> LonLat {
        match self {
            Crs::Wgs84 => p,
            Crs::Gcj02 => wgs84_to_gcj02(p),
            Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(p)),
        }
    }
}

fn boundaries() -> &'static CountryBoundaries {
    static B: OnceLock<CountryBoundaries> = OnceLock::new();
    B.get_or_init(|| {
        CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180).expect("embedded boundaries")
    })
}

/// Whether `p` lies in mainland China, where GCJ-02 applies: inside China ("CN") by
/// OpenStreetMap's boundaries and not in Hong Kong, Macau or Taiwan.
pub fn in_mainland_china(p: LonLat) -> bool {
    let Ok(ll) = LatLon::new(p.lat, p.lon) else {
        return false;
    };
    let ids = boundaries().ids(ll);
    ids.contains(&"CN")
        && !ids
            .iter()
            .any(|id| matches!(*id, "HK" | "MO" | "TW" | "CN-HK" | "CN-MO" | "CN-TW"))
}

const KRASOVSKY_A: f64 = 6_378_245.0;
#[allow(clippy::excessive_precision)] // the constant exactly as published
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset `(Δlon, Δlat)` in degrees at WGS-84 position `(lon, lat)`.
fn gcj_delta(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let rad = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad.cos() * PI);
    (dlon, dlat)
}

/// WGS-84 → GCJ-02. Identity outside mainland China.
pub fn wgs84_to_gcj02(p: LonLat) -> LonLat {
    if !in_mainland_china(p) {
        return p;
    }
    let (dlon, dlat) = gcj_delta(p.lon, p.lat);
    LonLat {
        lon: p.lon + dlon,
        lat: p.lat + dlat,
    }
}

/// GCJ-02 → WGS-84 by fixed-point iteration of the forward transform; the round trip
/// `wgs84_to_gcj02(gcj02_to_wgs84(g))` reproduces `g` to about 1e-9°. Identity outside
/// mainland China.
pub fn gcj02_to_wgs84(g: LonLat) -> LonLat {
    if !in_mainland_china(g) {
        return g;
    }
    let (mut lon, mut lat) = (g.lon, g.lat);
    for _ in 0..30 {
        let (dlon, dlat) = gcj_delta(lon, lat);
        let (elon, elat) = (lon + dlon - g.lon, lat + dlat - g.lat);
        lon -= elon;
        lat -= elat;
        if elon.abs() < 1e-10 && elat.abs() < 1e-10 {
            break;
        }
    }
    LonLat { lon, lat }
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(g: LonLat) -> LonLat {
    let (x, y) = (g.lon, g.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * BD_X_PI).cos();
    LonLat {
        lon: z * theta.cos() + 0.0065,
        lat: z * theta.sin() + 0.006,
    }
}

/// BD-09 → GCJ-02 (Baidu's published inverse; exact to about 1e-6°, refined by one
/// fixed-point step against [`gcj02_to_bd09`]).
pub fn bd09_to_gcj02(b: LonLat) -> LonLat {
    let (x, y) = (b.lon - 0.0065, b.lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * BD_X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * BD_X_PI).cos();
    let mut g = LonLat {
        lon: z * theta.cos(),
        lat: z * theta.sin(),
    };
    for _ in 0..5 {
        let f = gcj02_to_bd09(g);
        g = LonLat {
            lon: g.lon - (f.lon - b.lon),
            lat: g.lat - (f.lat - b.lat),
        };
    }
    g
}
