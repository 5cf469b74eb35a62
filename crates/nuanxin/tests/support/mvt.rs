//! Vector tiles decoded by GDAL's MVT driver (`ogrinfo`, Debian `gdal-bin`): a decoder
//! independent of the server's encoder, and the slippy-map formulas computed by hand.

use std::collections::BTreeMap;
use std::process::Command;

/// One decoded feature: its attributes as `ogrinfo` prints them and its position in Web
/// Mercator metres (GDAL's output for a tile opened with `X`, `Y`, `Z`).
#[derive(Debug, Clone)]
pub struct Feature {
    /// Layer name.
    pub layer: String,
    /// Attribute name → value text.
    pub attrs: BTreeMap<String, String>,
    /// `(x, y)`, EPSG:3857 metres.
    pub at: (f64, f64),
}

impl Feature {
    /// The attribute `name` (panics when absent).
    pub fn get(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` in {self:?}"))
    }
}

/// Whether `ogrinfo` runs; when it does not, a loud skip message, or a failure under
/// `NUANXIN_REQUIRE_GDAL=1` (set by `scripts/test.sh`).
pub fn ogrinfo_available() -> bool {
    let found = Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(
            std::env::var("NUANXIN_REQUIRE_GDAL").as_deref(),
            Ok("1"),
            "ogrinfo (Debian gdal-bin) is required (NUANXIN_REQUIRE_GDAL=1) but missing"
        );
        eprintln!("!! SKIPPED: a GDAL check: `ogrinfo` (Debian gdal-bin) not found !!");
    }
    found
}

/// The features of the MVT `tile` at `z/x/y`, decoded by `ogrinfo -al`.
pub fn decode(tile: &[u8], z: u32, x: u32, y: u32) -> Vec<Feature> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.mvt");
    std::fs::write(&file, tile).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .args(["-oo", &format!("X={x}"), "-oo", &format!("Y={y}")])
        .args(["-oo", &format!("Z={z}")])
        .arg(format!("MVT:{}", file.display()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ogrinfo failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut features = Vec::new();
    for block in text.split("OGRFeature(").skip(1) {
        let layer = block.split(')').next().unwrap_or_default().to_string();
        let mut attrs = BTreeMap::new();
        let mut at = (f64::NAN, f64::NAN);
        for line in block.lines().skip(1) {
            let line = line.trim();
            if let Some(p) = line.strip_prefix("POINT (") {
                let v: Vec<f64> = p
                    .trim_end_matches(')')
                    .split_whitespace()
                    .map(|v| v.parse().unwrap())
                    .collect();
                at = (v[0], v[1]);
            } else if let Some((name, rest)) = line.split_once(" (") {
                if let Some((_, value)) = rest.split_once(") = ") {
                    attrs.insert(name.to_string(), value.to_string());
                }
            }
        }
        features.push(Feature { layer, attrs, at });
    }
    features
}

/// The fractional slippy-map tile position of `(lon, lat)` at zoom `z` (OSM wiki *Slippy
/// map tilenames*: `x = (λ + 180) / 360 · 2^z`, `y = (1 − ln(tan φ + sec φ)/π) / 2 · 2^z`).
pub fn tile_xy(lon: f64, lat: f64, z: u32) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let phi = lat.to_radians();
    (
        (lon + 180.0) / 360.0 * n,
        (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n,
    )
}

/// The tile `(x, y)` holding `(lon, lat)` at zoom `z`.
pub fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let (x, y) = tile_xy(lon, lat, z);
    (x.floor() as u32, y.floor() as u32)
}

/// `(column, row)` of the 32 × 32 thinning grid cell holding `(lon, lat)` in its tile.
pub fn cell_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let (x, y) = tile_xy(lon, lat, z);
    ((x.fract() * 32.0) as u32, (y.fract() * 32.0) as u32)
}

/// Web Mercator metres of `(lon, lat)`: `x = R·λ`, `y = R·ln tan(π/4 + φ/2)`.
pub fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0_f64;
    (
        r * lon.to_radians(),
        r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln(),
    )
}
