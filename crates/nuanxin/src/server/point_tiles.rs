//! Mapbox Vector Tiles (MVT 2.1) of the service points: `GET /tiles/points/{z}/{x}/{y}.mvt`
//! (XYZ scheme, Web Mercator, z 0–22), one layer `points` with a point feature per service
//! point inside the tile (edges inclusive, no buffer) and the tags `id`, `kind`, `name`,
//! `adcode` (when known) and `demo`. `kind=station,legal_aid` restricts the kinds. Encoded
//! with the `mvt` crate at extent 4096.
//!
//! Tile coordinates: a WGS-84 position is projected to Web Mercator metres
//! ([`crate::crs::wgs84_to_web_mercator`]), then `px = (X + πR) / 2πR · 2^z`,
//! `py = (πR − Y) / 2πR · 2^z`, and the tile-local position is `(px − x, py − y) · 4096`
//! (the slippy-map convention, OSM wiki *Slippy map tilenames*).
//!
//! Caching: the answer carries a strong `ETag` (a hash of the tile bytes) and
//! `Cache-Control: no-cache`, so clients revalidate and get `304 Not Modified` until the
//! points in the tile change; an edit shows in the next request. There is no server-side
//! tile cache yet (a tile is encoded from the in-memory index on each request).

use super::db::blocking;
use super::points::query::Params;
use super::{AppError, AppState};
use crate::crs::{wgs84_to_web_mercator, WEB_MERCATOR_R};
use crate::model::{Bbox, ServiceKind};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::f64::consts::PI;

/// Media type of Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// Tile extent (units per tile side).
pub const EXTENT: u32 = 4096;
/// Largest zoom served.
pub const MAX_ZOOM: u32 = 22;
/// URL template of the point tiles (relative to the server).
pub const POINT_TILE_URL: &str = "/tiles/points/{z}/{x}/{y}.mvt";

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

fn parse_tile(z: &str, x: &str, y_mvt: &str) -> Result<(u32, u32, u32), AppError> {
    let y = y_mvt
        .strip_suffix(".mvt")
        .ok_or_else(|| AppError::NotFound("point tiles end in .mvt".into()))?;
    let num = |name: &str, v: &str| {
        v.parse::<u32>().map_err(|_| {
            AppError::bad_param(name, format!("`{name}` must be a whole number; got `{v}`"))
        })
    };
    let (z, x, y) = (num("z", z)?, num("x", x)?, num("y", y)?);
    if z > MAX_ZOOM {
        return Err(AppError::bad_param(
            "z",
            format!("`z` = {z} is above the maximum zoom {MAX_ZOOM}"),
        ));
    }
    let n = 1u32 << z;
    if x >= n || y >= n {
        return Err(AppError::NotFound(format!(
            "tile {z}/{x}/{y} does not exist (x and y are below {n} at zoom {z})"
        )));
    }
    Ok((z, x, y))
}

/// Encodes the tile of `points` (already restricted to the tile box).
fn encode(
    z: u32,
    x: u32,
    y: u32,
    points: &[std::sync::Arc<crate::model::ServicePoint>],
) -> Result<Vec<u8>, AppError> {
    let err = |e: mvt::Error| AppError::Internal(format!("encoding tile {z}/{x}/{y}: {e}"));
    let mut tile = mvt::Tile::new(EXTENT);
    let mut layer = tile.create_layer("points");
    for p in points {
        let (tx, ty) = tile_position(z, x, y, p.location.lon, p.location.lat);
        let geom = mvt::GeomEncoder::new(mvt::GeomType::Point)
            .point(tx, ty)
            .and_then(|g| g.encode())
            .map_err(err)?;
        let mut f = layer.into_feature(geom);
        f.add_tag_string("id", &p.id);
        f.add_tag_string("kind", p.kind.as_str());
        f.add_tag_string("name", &p.name);
        if let Some(a) = &p.adcode {
            f.add_tag_string("adcode", a);
        }
        f.add_tag_bool("demo", p.demo);
        layer = f.into_layer();
    }
    tile.add_layer(layer).map_err(err)?;
    tile.to_bytes().map_err(err)
}

async fn point_tile(
    State(state): State<AppState>,
    Path((z, x, y_mvt)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["kind"])?;
    let (z, x, y) = parse_tile(&z, &x, &y_mvt)?;
    let mut kinds = Vec::new();
    for k in p.list("kind") {
        kinds.push(k.parse::<ServiceKind>().map_err(|e| {
            AppError::bad_choice("kind", format!("`kind`: {e}"), &ServiceKind::codes())
        })?);
    }
    let bytes = blocking(move || {
        let filter = crate::index::Filter {
            kinds,
            ..Default::default()
        };
        let page = state
            .index()
            .page(Some(&tile_bbox(z, x, y)), &filter, 0, usize::MAX);
        encode(z, x, y, &page.points)
    })
    .await?;
    let etag = {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(&bytes);
        format!("\"{}\"", hex::encode(&d[..12]))
    };
    let etag_value =
        HeaderValue::from_str(&etag).map_err(|e| AppError::Internal(format!("etag: {e}")))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(MVT))],
        bytes,
    )
        .into_response())
}

/// Routes of this module (tiles for the map: undocumented in OpenAPI, like the basemap).
pub fn router() -> Router<AppState> {
    Router::new().route("/tiles/points/{z}/{x}/{y_mvt}", get(point_tile))
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
    fn bad_tiles() {
        assert!(parse_tile("23", "0", "0.mvt").is_err());
        assert!(parse_tile("1", "2", "0.mvt").is_err());
        assert!(parse_tile("1", "1", "1.pbf").is_err());
        assert_eq!(parse_tile("1", "1", "1.mvt").unwrap(), (1, 1, 1));
    }
}
