//! Tile arithmetic and low-zoom thinning for the Mapbox Vector Tiles of our own layers
//! (service points and suggestions; the server encodes them).
//!
//! Tile coordinates: a WGS-84 position is projected to Web Mercator metres
//! ([`crate::crs::wgs84_to_web_mercator`]), then `px = (X + πR) / 2πR · 2^z`,
//! `py = (πR − Y) / 2πR · 2^z`, and the tile-local position is `(px − x, py − y) · 4096`
//! (the slippy-map convention, OSM wiki *Slippy map tilenames*).
//!
//! **Thinning rule.** At zoom [`THIN_MAX_ZOOM`] (12) and below, a tile is cut into a
//! [`GRID`] × [`GRID`] grid (32 × 32 cells of 128 tile units, 16 CSS pixels on a 512-pixel
//! tile) and each occupied cell yields one feature: the cell's highest-ranked item at its
//! own position, carrying `count`, the number of items in the cell. So a tile holds at most
//! [`MAX_THINNED_FEATURES`] (1,024) features whatever the data. Above zoom 12 every item is
//! its own feature (`count` = 1). The rank is the layer's: the most supported suggestion
//! (then the newest, then the smallest id), the service point with the smallest id.

use crate::crs::{wgs84_to_web_mercator, WEB_MERCATOR_R};
use crate::model::Bbox;
use std::collections::BTreeMap;
use std::f64::consts::PI;

/// Tile extent (units per tile side).
pub const EXTENT: u32 = 4096;
/// Largest zoom served.
pub const MAX_ZOOM: u32 = 22;
/// Highest zoom at which tiles are thinned (see the module docs).
pub const THIN_MAX_ZOOM: u32 = 12;
/// Cells per tile side when thinning.
pub const GRID: u32 = 32;
/// The most features a thinned tile holds (`GRID²`).
pub const MAX_THINNED_FEATURES: usize = (GRID * GRID) as usize;

/// The WGS-84 box of tile `z/x/y` (inverse of the slippy-map formulas).
pub fn tile_bbox(z: u32, x: u32, y: u32) -> Bbox {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    Bbox {
        west: lon(f64::from(x)),
        south: lat(f64::from(y + 1)),
        east: lon(f64::from(x + 1)),
        north: lat(f64::from(y)),
    }
}

/// Tile-local coordinates (0..4096 inside the tile) of a WGS-84 position.
pub fn tile_position(z: u32, x: u32, y: u32, lon: f64, lat: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let (mx, my) = wgs84_to_web_mercator(lon, lat);
    let world = 2.0 * PI * WEB_MERCATOR_R;
    let px = (mx + PI * WEB_MERCATOR_R) / world * n;
    let py = (PI * WEB_MERCATOR_R - my) / world * n;
    let e = f64::from(EXTENT);
    ((px - f64::from(x)) * e, (py - f64::from(y)) * e)
}

/// One feature of a tile: the item at `index` of the input, standing for `count` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// Index into the items given to [`thin`].
    pub index: usize,
    /// How many items the feature stands for (1 when not thinned).
    pub count: usize,
}

/// The features of a tile at zoom `z` whose items lie at the tile-local positions `local`
/// (from [`tile_position`]): all of them, in input order, above [`THIN_MAX_ZOOM`]; at or
/// below it one per occupied grid cell, the item with the greatest `rank` (the first one
/// on ties), ordered by cell (row by row). Positions outside the tile count in the
/// nearest edge cell.
pub fn thin<K: Ord>(z: u32, local: &[(f64, f64)], rank: impl Fn(usize) -> K) -> Vec<Kept> {
    if z > THIN_MAX_ZOOM {
        return (0..local.len())
            .map(|index| Kept { index, count: 1 })
            .collect();
    }
    let cell_size = f64::from(EXTENT / GRID);
    let cell = |v: f64| ((v / cell_size).floor().max(0.0) as u32).min(GRID - 1);
    // cell → (best index, its rank, count)
    let mut cells: BTreeMap<(u32, u32), (usize, K, usize)> = BTreeMap::new();
    for (i, &(px, py)) in local.iter().enumerate() {
        let key = (cell(py), cell(px));
        match cells.get_mut(&key) {
            Some(entry) => {
                entry.2 += 1;
                let r = rank(i);
                if r > entry.1 {
                    entry.0 = i;
                    entry.1 = r;
                }
            }
            None => {
                cells.insert(key, (i, rank(i), 1));
            }
        }
    }
    cells
        .into_values()
        .map(|(index, _, count)| Kept { index, count })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_math_by_hand() {
        // z0 is the whole Web Mercator world.
        let b = tile_bbox(0, 0, 0);
        assert_eq!((b.west, b.east), (-180.0, 180.0));
        assert!((b.north - 85.051_128_779_806_59).abs() < 1e-9);
        // (0°, 0°) is the centre of the z0 tile; (-180°, 85.0511°) its top-left corner.
        let (px, py) = tile_position(0, 0, 0, 0.0, 0.0);
        assert!((px - 2048.0).abs() < 1e-6 && (py - 2048.0).abs() < 1e-6);
        let (px, py) = tile_position(0, 0, 0, -180.0, 85.051_128_779_806_59);
        assert!(px.abs() < 1e-6 && py.abs() < 1e-3, "{px} {py}");
        // 五一广场 (112.97092, 28.19860) at z14: x = floor((lon + 180) / 360 · 2^14) = 13333,
        // y = floor((1 − ln(tan φ + sec φ)/π) / 2 · 2^14) = 6853 (computed by hand, checked with Python `math`).
        let (lon, lat): (f64, f64) = (112.97092, 28.19860);
        let n = 16384.0;
        let xt = ((lon + 180.0) / 360.0 * n).floor() as u32;
        let phi = lat.to_radians();
        let yt = ((1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / PI) / 2.0 * n).floor() as u32;
        assert_eq!((xt, yt), (13333, 6853));
        let b = tile_bbox(14, xt, yt);
        assert!(b.west <= lon && lon <= b.east && b.south <= lat && lat <= b.north);
        let (px, py) = tile_position(14, xt, yt, lon, lat);
        assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py));
    }

    #[test]
    fn thinning_by_hand() {
        // Cells are 128 units: (10, 10) and (127, 5) share cell (0, 0); (128, 0) is cell
        // (row 0, column 1); (4096, 4096) on the far edge falls in the last cell (31, 31).
        let local = [
            (10.0, 10.0),
            (127.0, 5.0),
            (128.0, 0.0),
            (4096.0, 4096.0),
            (4000.0, 4000.0),
        ];
        let supporters = [1, 5, 0, 2, 2];
        let kept = thin(12, &local, |i| supporters[i]);
        assert_eq!(
            kept,
            vec![
                Kept { index: 1, count: 2 },
                Kept { index: 2, count: 1 },
                // tie (2 and 2): the first
                Kept { index: 3, count: 2 },
            ]
        );
        // Above z12: every item.
        let all = thin(13, &local, |i| supporters[i]);
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|k| k.count == 1));
        // The bound: a 100 × 100 lattice over the tile gives at most 32 × 32 features,
        // counting every item once.
        let lattice: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (f64::from(i % 100) * 40.96, f64::from(i / 100) * 40.96))
            .collect();
        let kept = thin(5, &lattice, |_| 0);
        assert_eq!(kept.len(), MAX_THINNED_FEATURES);
        assert_eq!(kept.iter().map(|k| k.count).sum::<usize>(), 10_000);
    }
}
