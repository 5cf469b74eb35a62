//! The street basemap: vector tiles from an MBTiles archive named by the configuration
//! (`basemap_tiles = "changsha.mbtiles"`), served at `/tiles/{z}/{x}/{y}.pbf` with the archive's
//! metadata at `/tiles/metadata.json`; and the online basemap settings (天地图 Tianditu) the
//! page reads from `/config.json`.
//!
//! MBTiles 1.3 (<https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md>) is a SQLite
//! file: table `tiles(zoom_level, tile_column, tile_row, tile_data)` with rows in the TMS scheme
//! (row 0 at the south, so `tile_row = 2^z − 1 − y` for the XYZ `y` the map asks for), and table
//! `metadata(name, value)` (`format` = `pbf` for vector tiles, `minzoom`, `maxzoom`, `bounds`,
//! `json` with `vector_layers`). Vector tiles written by `tilemaker` are gzip-compressed; they
//! are sent as they are with `Content-Encoding: gzip`.
//!
//! Archives are made with existing tools, e.g. Debian's `tilemaker` 2.2 from an OSM extract
//! (see the README). The archive is opened read-only once; a missing or unreadable archive is
//! an error at start (`preflight`), never a half-working map.

use super::{AppError, AppState, Config};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// URL template of the served tiles (relative to the server).
pub const TILE_URL: &str = "/tiles/{z}/{x}/{y}.pbf";

/// Highest zoom a tile request may name (MBTiles archives rarely go beyond 16).
pub const MAX_ZOOM: u32 = 24;

/// An open MBTiles archive and its metadata.
pub struct Archive {
    conn: Mutex<Connection>,
    /// The `metadata` table as name → value.
    pub metadata: HashMap<String, String>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Archive {
    /// Opens `path` read-only and reads its metadata.
    ///
    /// # Errors
    /// A message naming the file when it is missing, not SQLite, or not MBTiles (no `tiles`
    /// table), or when its `format` is not `pbf` (vector tiles).
    pub fn open(path: &FsPath) -> Result<Archive, String> {
        let name = path.display();
        if !path.is_file() {
            return Err(format!("basemap_tiles: {name} does not exist"));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("basemap_tiles: cannot open {name}: {e}"))?;
        let mut metadata = HashMap::new();
        {
            let mut st = conn
                .prepare("SELECT name, value FROM metadata")
                .map_err(|e| format!("basemap_tiles: {name} is not an MBTiles archive: {e}"))?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(|e| format!("basemap_tiles: {name}: {e}"))?;
            for row in rows.flatten() {
                metadata.insert(row.0, row.1);
            }
            conn.prepare("SELECT 1 FROM tiles LIMIT 1")
                .map_err(|e| format!("basemap_tiles: {name} has no tiles table: {e}"))?;
        }
        let format = metadata.get("format").map(String::as_str).unwrap_or("pbf");
        if format != "pbf" {
            return Err(format!(
                "basemap_tiles: {name} holds `{format}` tiles; vector tiles (`pbf`) are needed"
            ));
        }
        Ok(Archive {
            conn: Mutex::new(conn),
            metadata,
        })
    }

    /// The tile at XYZ `z/x/y`, as stored (usually gzip-compressed MVT), or `None`.
    ///
    /// # Errors
    /// A SQLite error message.
    pub fn tile(&self, z: u32, x: u32, y: u32) -> Result<Option<Vec<u8>>, String> {
        let row = (1u64 << z) - 1 - u64::from(y);
        let conn = self
            .conn
            .lock()
            .map_err(|_| "tile archive lock poisoned".to_string())?;
        conn.query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            rusqlite::params![z, x, row],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()
        .map_err(|e| e.to_string())
    }

    fn number(&self, key: &str) -> Option<f64> {
        self.metadata.get(key).and_then(|v| v.trim().parse().ok())
    }

    /// What the page needs to add the archive as a MapLibre vector source: `tiles`,
    /// `minzoom`, `maxzoom`, `bounds` (west, south, east, north degrees), `attribution`,
    /// `vector_layers` (ids of the layers in the tiles).
    pub fn source_json(&self) -> Value {
        let bounds: Option<Vec<f64>> = self.metadata.get("bounds").and_then(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            (v.len() == 4).then_some(v)
        });
        let layers: Vec<Value> = self
            .metadata
            .get("json")
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
            .and_then(|j| j.get("vector_layers").cloned())
            .and_then(|l| l.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|l| l.get("id").cloned())
            .collect();
        json!({
            "tiles": [TILE_URL],
            "minzoom": self.number("minzoom").unwrap_or(0.0),
            "maxzoom": self.number("maxzoom").unwrap_or(14.0),
            "bounds": bounds.filter(|b| b.iter().any(|v| *v != 0.0)),
            "attribution": self.metadata.get("attribution").cloned()
                .unwrap_or_else(|| "© OpenStreetMap contributors (ODbL)".to_string()),
            "vector_layers": layers,
        })
    }
}

/// The archive of `path`, opened once per process.
///
/// # Errors
/// See [`Archive::open`].
pub fn archive(path: &FsPath) -> Result<Arc<Archive>, String> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<Archive>>>> = OnceLock::new();
    let mut map = OPEN
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| "tile archive cache lock poisoned".to_string())?;
    if let Some(a) = map.get(path) {
        return Ok(a.clone());
    }
    let a = Arc::new(Archive::open(path)?);
    map.insert(path.to_path_buf(), a.clone());
    Ok(a)
}

/// Checks the basemap settings at start: the archive opens, Tianditu has its key. Returns
/// warnings to log (a tile URL that serves GCJ-02 or BD-09 tiles).
///
/// # Errors
/// A message for the operator when the configured basemap cannot work.
pub fn preflight(config: &Config) -> Result<Vec<String>, String> {
    if let Some(p) = &config.basemap_tiles {
        archive(p)?;
    }
    match config.basemap.as_deref() {
        None | Some("") | Some("none") | Some("tiles") => {}
        Some("tianditu") => {
            if config
                .tianditu_key
                .as_deref()
                .is_none_or(|k| k.trim().is_empty())
            {
                return Err("basemap = \"tianditu\" needs tianditu_key (a free key from https://console.tianditu.gov.cn/)".into());
            }
        }
        Some(other) => {
            return Err(format!(
                "basemap = {other:?} is not known; use \"tianditu\" or leave it out"
            ))
        }
    }
    Ok(config
        .basemap_url
        .as_deref()
        .and_then(shifted_tiles_warning)
        .into_iter()
        .collect())
}

/// A warning when `url` is a tile service that draws its map in GCJ-02 (Amap / AutoNavi,
/// Tencent) or BD-09 (Baidu): our points are WGS-84, so on such tiles every point would sit
/// 100–700 m off the streets it is on.
pub fn shifted_tiles_warning(url: &str) -> Option<String> {
    let host = url
        .split_once("://")
        .map_or(url, |(_, r)| r)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let (who, crs) = if ["amap.com", "autonavi.com"]
        .iter()
        .any(|h| host.contains(h))
    {
        ("Amap (高德)", "GCJ-02")
    } else if ["map.qq.com", "gtimg.cn", "gtimg.com", "tencent"]
        .iter()
        .any(|h| host.contains(h))
    {
        ("Tencent (腾讯)", "GCJ-02")
    } else if ["baidu.com", "bdimg.com", "bdstatic.com"]
        .iter()
        .any(|h| host.contains(h))
    {
        ("Baidu (百度)", "BD-09")
    } else {
        return None;
    };
    Some(format!(
        "basemap_url {url} looks like {who} tiles, drawn in {crs}: every WGS-84 point would appear \
         100–700 m away from its street. Use WGS-84 tiles (天地图 basemap = \"tianditu\", \
         OpenStreetMap, or basemap_tiles)."
    ))
}

/// Raster layers of 天地图 (Tianditu), the national basemap (CGCS2000, which agrees with WGS-84
/// to well under a metre: no shift): the vector map `vec_w` and its Chinese labels `cva_w`, Web
/// Mercator WMTS (<http://lbs.tianditu.gov.cn/server/MapService.html>), servers t0–t7.
pub fn tianditu_layers(key: &str) -> Value {
    let tiles = |layer: &str| -> Vec<String> {
        (0..8)
            .map(|i| {
                format!(
                    "https://t{i}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0\
                     &LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles\
                     &TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={}",
                    crate::nav::percent_encode(key)
                )
            })
            .collect()
    };
    json!([
        { "id": "tianditu-vec", "tiles": tiles("vec"), "attribution": "天地图 © 国家地理信息公共服务平台" },
        { "id": "tianditu-cva", "tiles": tiles("cva"), "attribution": "" },
    ])
}

/// Origins of the Tianditu tile servers (for the page's Content-Security-Policy).
pub fn tianditu_origins() -> Vec<String> {
    (0..8)
        .map(|i| format!("https://t{i}.tianditu.gov.cn"))
        .collect()
}

/// Routes of this module (files of the page, not API operations: undocumented).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tiles/metadata.json", get(metadata))
        .route("/tiles/{z}/{x}/{y_pbf}", get(tile))
}

fn configured(state: &AppState) -> Result<Arc<Archive>, AppError> {
    let Some(p) = &state.config.basemap_tiles else {
        return Err(AppError::NotFound(
            "no basemap_tiles archive is configured".into(),
        ));
    };
    archive(p).map_err(AppError::Internal)
}

async fn metadata(State(state): State<AppState>) -> Result<Response, AppError> {
    let a = configured(&state)?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        axum::Json(a.source_json()),
    )
        .into_response())
}

async fn tile(
    State(state): State<AppState>,
    Path((z, x, y_pbf)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let bad = |what: &str| {
        AppError::bad_param(
            what,
            format!("{what} must be a tile number: /tiles/{{z}}/{{x}}/{{y}}.pbf"),
        )
    };
    let z: u32 = z.parse().map_err(|_| bad("z"))?;
    let y = y_pbf.strip_suffix(".pbf").unwrap_or(&y_pbf);
    let x: u32 = x.parse().map_err(|_| bad("x"))?;
    let y: u32 = y.parse().map_err(|_| bad("y"))?;
    if z > MAX_ZOOM {
        return Err(AppError::bad_param(
            "z",
            format!("z must be at most {MAX_ZOOM}"),
        ));
    }
    if u64::from(x) >= 1u64 << z || u64::from(y) >= 1u64 << z {
        return Err(AppError::bad_param(
            "x",
            format!("x and y must be below 2^z = {}", 1u64 << z),
        ));
    }
    let a = configured(&state)?;
    let data = tokio::task::spawn_blocking(move || a.tile(z, x, y))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)?;
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    let Some(data) = data else {
        // No tile here (sea, outside the extract): an empty tile, which MapLibre draws as nothing.
        return Ok((StatusCode::NO_CONTENT, h).into_response());
    };
    let etag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&data)[..12]));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        })
    {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok((StatusCode::OK, h, data).into_response())
}

use sha2::Digest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_and_bd09_tile_hosts_are_flagged() {
        for url in [
            "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8",
            "https://rt0.map.gtimg.com/tile?z={z}&x={x}&y={y}",
            "https://maponline0.bdimg.com/tile/?qt=vtile&x={x}&y={y}&z={z}",
        ] {
            assert!(shifted_tiles_warning(url).is_some(), "{url}");
        }
        assert!(shifted_tiles_warning("https://tile.openstreetmap.org/{z}/{x}/{y}.png").is_none());
        assert!(shifted_tiles_warning("https://t0.tianditu.gov.cn/vec_w/wmts?tk=x").is_none());
    }

    #[test]
    fn archive_reads_tms_rows_and_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.mbtiles");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             INSERT INTO metadata VALUES ('format','pbf'),('minzoom','0'),('maxzoom','14'),
               ('bounds','24.93,60.16,24.96,60.18'),
               ('json','{\"vector_layers\":[{\"id\":\"transportation\"},{\"id\":\"water\"}]}');
             INSERT INTO tiles VALUES (2, 1, 0, x'0102');",
        )
        .unwrap();
        drop(c);
        let a = Archive::open(&path).unwrap();
        // TMS row 0 at z2 is XYZ y = 2^2 - 1 - 0 = 3.
        assert_eq!(a.tile(2, 1, 3).unwrap(), Some(vec![1, 2]));
        assert_eq!(a.tile(2, 1, 0).unwrap(), None);
        let s = a.source_json();
        assert_eq!(s["maxzoom"], 14.0);
        assert_eq!(s["bounds"], json!([24.93, 60.16, 24.96, 60.18]));
        assert_eq!(s["vector_layers"], json!(["transportation", "water"]));
        // Raster archives and missing files are refused with the file's name.
        let c = Connection::open(&path).unwrap();
        c.execute(
            "UPDATE metadata SET value = 'png' WHERE name = 'format'",
            [],
        )
        .unwrap();
        drop(c);
        assert!(Archive::open(&path).unwrap_err().contains("png"));
        assert!(Archive::open(&dir.path().join("nope.mbtiles"))
            .unwrap_err()
            .contains("does not exist"));
    }

    #[test]
    fn tianditu_needs_a_key_and_unknown_basemaps_are_refused() {
        let mut c = Config {
            basemap: Some("tianditu".into()),
            ..Config::default()
        };
        assert!(preflight(&c).unwrap_err().contains("tianditu_key"));
        c.tianditu_key = Some("abc".into());
        assert!(preflight(&c).unwrap().is_empty());
        let l = tianditu_layers("abc");
        assert!(l[0]["tiles"][0]
            .as_str()
            .unwrap()
            .starts_with("https://t0.tianditu.gov.cn/vec_w/wmts?"));
        assert!(
            l[1]["tiles"][7].as_str().unwrap().contains("LAYER=cva")
                && l[1]["tiles"][7].as_str().unwrap().ends_with("&tk=abc")
        );
        c.basemap = Some("google".into());
        assert!(preflight(&c).is_err());
        c.basemap = None;
        c.basemap_url = Some("https://webrd01.is.autonavi.com/appmaptile?x={x}".into());
        assert_eq!(preflight(&c).unwrap().len(), 1);
    }
}
