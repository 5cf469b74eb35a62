//! Mapbox Vector Tiles (MVT 2.1) of our own layers, XYZ scheme, Web Mercator, z 0–22,
//! extent 4096, encoded with the `mvt` crate:
//!
//! - `GET /tiles/points/{z}/{x}/{y}.mvt`: layer `points`, tags `id`, `kind`, `name`,
//!   `adcode` (when known), `demo`, `count`; `kind=station,legal_aid` restricts the kinds.
//! - `GET /tiles/suggestions/{z}/{x}/{y}.mvt`: layer `suggestions`, public fields only:
//!   `id`, `category`, `status`, `supporters`, `created_at` (RFC 3339, UTC), `count`;
//!   `status` (`open`, `closed` or codes) and `category` filter as in
//!   `GET /api/v1/suggestions`. The same rows as the public list, GeoJSON and OGC outputs
//!   (the store has no hidden state: a redaction replaces the description, which tiles do
//!   not carry; a duplicate stays, declined, with its supporters moved to the original); no
//!   contact, text or photo.
//!
//! A feature is an item inside the tile (edges inclusive, no buffer). At zoom 12 and below
//! tiles are thinned to one feature per 32 × 32 grid cell, at most 1,024 per tile, with
//! `count` items behind each ([`crate::vector_tiles`] states the rule and the ranks).
//!
//! **Caching.** Encoded tiles are kept in the shared [`TileCache`](super::tile_cache) under
//! a key holding the layer's data generation: for points the tile's own,
//! [`crate::index::live::LiveIndex::generation_in`] its box (bumped by an edit that adds,
//! removes, moves or changes a point in the tile, by imports and by point syncs from other
//! servers; an edit elsewhere keeps the tile) and
//! [`crate::suggestions::Store::suggestions_generation`] for suggestions (bumped by every
//! submission, status change, answer, reopening, "me too", merge, redaction and
//! assignment made through this server). On PostgreSQL, where other servers change the
//! same suggestions, the suggestion key also holds the current
//! [`SUGGESTION_TILE_BUCKET_S`]-second time bucket: a change made on server A shows in
//! tiles served by server B at most 10 seconds later. Answers carry a strong `ETag` (a hash
//! of the bytes) and `Cache-Control: no-cache`, so clients revalidate every time and get
//! `304 Not Modified` while the tile is unchanged.

use super::db::{blocking, Db};
use super::points::query::Params;
use super::suggestions::read::{list_query, ListParams};
use super::tile_cache::{CachedTile, TileKey};
use super::{AppError, AppState, Problem};
use crate::model::ServiceKind;
use crate::suggestions::sql::Engine;
use crate::suggestions::Suggestion;
use crate::vector_tiles::{thin, tile_bbox, tile_position, Kept, EXTENT, MAX_ZOOM};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::cmp::Reverse;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Media type of Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// URL template of the point tiles (relative to the server).
pub const POINT_TILE_URL: &str = "/tiles/points/{z}/{x}/{y}.mvt";
/// URL template of the suggestion tiles (relative to the server).
pub const SUGGESTION_TILE_URL: &str = "/tiles/suggestions/{z}/{x}/{y}.mvt";
/// By default the page draws a layer from these tiles when it has more features than this
/// (the configuration's `tiles_above`, named in `/config.json`); below, GeoJSON with
/// clustering in the browser is both smaller and exact.
pub const TILES_ABOVE: usize = 5000;
/// On PostgreSQL, the longest a cached suggestion tile is served after another server
/// changed a suggestion in it, seconds.
pub const SUGGESTION_TILE_BUCKET_S: u64 = 10;

fn parse_tile(z: &str, x: &str, y_mvt: &str) -> Result<(u32, u32, u32), AppError> {
    let y = y_mvt
        .strip_suffix(".mvt")
        .ok_or_else(|| AppError::NotFound("vector tiles end in .mvt".into()))?;
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

fn mvt_error(z: u32, x: u32, y: u32) -> impl Fn(mvt::Error) -> AppError {
    move |e| AppError::Internal(format!("encoding tile {z}/{x}/{y}: {e}"))
}

/// Encodes one layer named `name` of the tile `z/x/y` over `items` (all inside the tile):
/// thinned by `rank` ([`thin`]), a point feature per kept item at its WGS-84 `position`
/// (`[lon, lat]`), with the tags `tag` adds and `count`.
fn encode_layer<'a, T, K: Ord>(
    (z, x, y): (u32, u32, u32),
    name: &str,
    items: &'a [T],
    position: impl Fn(&T) -> (f64, f64),
    rank: impl Fn(&'a T) -> K,
    tag: impl Fn(&T, &mut mvt::Feature),
) -> Result<Vec<u8>, AppError> {
    let err = mvt_error(z, x, y);
    let local: Vec<(f64, f64)> = items
        .iter()
        .map(|it| {
            let (lon, lat) = position(it);
            tile_position(z, x, y, lon, lat)
        })
        .collect();
    let kept: Vec<Kept> = thin(z, &local, |i| rank(&items[i]));
    let mut tile = mvt::Tile::new(EXTENT);
    let mut layer = tile.create_layer(name);
    for k in kept {
        let (Some(item), Some(&(tx, ty))) = (items.get(k.index), local.get(k.index)) else {
            continue;
        };
        let geom = mvt::GeomEncoder::new(mvt::GeomType::Point)
            .point(tx, ty)
            .and_then(|g| g.encode())
            .map_err(&err)?;
        let mut f = layer.into_feature(geom);
        tag(item, &mut f);
        f.add_tag_uint("count", k.count as u64);
        layer = f.into_layer();
    }
    tile.add_layer(layer).map_err(&err)?;
    tile.to_bytes().map_err(err)
}

fn cached_tile(bytes: Vec<u8>) -> CachedTile {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(&bytes);
    CachedTile {
        etag: format!("\"{}\"", hex::encode(&d[..12])),
        bytes,
    }
}

/// The tile under `key` from the cache, or encoded by `make` (off the async workers) and
/// cached, answered with its ETag (304 when `If-None-Match` matches).
async fn serve(
    state: &AppState,
    key: TileKey,
    headers: &HeaderMap,
    make: impl FnOnce() -> Result<Vec<u8>, AppError> + Send + 'static,
) -> Result<Response, AppError> {
    let tile = match state.tile_cache.get(&key) {
        Some(t) => t,
        None => {
            let t = Arc::new(blocking(move || make().map(cached_tile)).await?);
            state.tile_cache.put(key, t.clone());
            t
        }
    };
    let etag =
        HeaderValue::from_str(&tile.etag).map_err(|e| AppError::Internal(format!("etag: {e}")))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == tile.etag || t.trim() == "*")
        });
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(MVT))],
        tile.bytes.clone(),
    )
        .into_response())
}

/// `GET /tiles/points/{z}/{x}/{y}.mvt`
#[utoipa::path(get, path = "/tiles/points/{z}/{x}/{y}.mvt", tag = "tiles",
    params(("z" = u32, Path, description = "Zoom, 0–22"),
           ("x" = u32, Path, description = "Column, below 2^z"),
           ("y" = u32, Path, description = "Row (XYZ, from the north), below 2^z"),
           ("kind" = Option<String>, Query, description = "Comma-separated kinds")),
    responses((status = 200, description = "Mapbox Vector Tile, layer `points` (tags `id`, `kind`, `name`, `adcode`, `demo`, `count`; at z ≤ 12 one feature per 32 × 32 grid cell, `count` points behind it)", content_type = "application/vnd.mapbox-vector-tile"),
              (status = 304, description = "Not modified (`If-None-Match`)"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
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
    kinds.sort_unstable_by_key(|k| k.as_str());
    kinds.dedup();
    let key = TileKey {
        layer: "points",
        // only edits inside this tile make it stale (issue 16: an edit elsewhere keeps it)
        generation: state.index.generation_in(&tile_bbox(z, x, y)),
        z,
        x,
        y,
        filter: kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(","),
    };
    let index = state.index();
    serve(&state, key, &headers, move || {
        let filter = crate::index::Filter {
            kinds,
            ..Default::default()
        };
        let points = index
            .page(Some(&tile_bbox(z, x, y)), &filter, 0, usize::MAX)
            .points;
        encode_layer(
            (z, x, y),
            "points",
            &points,
            |p| (p.location.lon, p.location.lat),
            |p| Reverse(p.id.as_str()),
            |p, f| {
                f.add_tag_string("id", &p.id);
                f.add_tag_string("kind", p.kind.as_str());
                f.add_tag_string("name", &p.name);
                if let Some(a) = &p.adcode {
                    f.add_tag_string("adcode", a);
                }
                f.add_tag_bool("demo", p.demo);
            },
        )
    })
    .await
}

/// `GET /tiles/suggestions/{z}/{x}/{y}.mvt`
#[utoipa::path(get, path = "/tiles/suggestions/{z}/{x}/{y}.mvt", tag = "tiles",
    params(("z" = u32, Path, description = "Zoom, 0–22"),
           ("x" = u32, Path, description = "Column, below 2^z"),
           ("y" = u32, Path, description = "Row (XYZ, from the north), below 2^z"),
           ("status" = Option<String>, Query, description = "Comma-separated statuses; `open`, `closed` as in the list"),
           ("category" = Option<String>, Query, description = "Comma-separated categories")),
    responses((status = 200, description = "Mapbox Vector Tile, layer `suggestions`: public fields only (tags `id`, `category`, `status`, `supporters`, `created_at`, `count`; at z ≤ 12 one feature per 32 × 32 grid cell, the most supported, `count` suggestions behind it)", content_type = "application/vnd.mapbox-vector-tile"),
              (status = 304, description = "Not modified (`If-None-Match`)"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "The server runs without a database", body = Problem, content_type = "application/problem+json")))]
async fn suggestion_tile(
    State(state): State<AppState>,
    Path((z, x, y_mvt)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    db: Db,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["status", "category"])?;
    let (z, x, y) = parse_tile(&z, &x, &y_mvt)?;
    let params = ListParams {
        status: p.one("status")?.map(str::to_string),
        category: p.one("category")?.map(str::to_string),
        ..Default::default()
    };
    let mut q = list_query(&state, &params)?;
    q.statuses.sort_unstable_by_key(|s| s.as_str());
    q.statuses.dedup();
    q.categories.sort_unstable_by_key(|c| c.as_str());
    q.categories.dedup();
    let store = db.0;
    let mut generation = store.suggestions_generation();
    if store.engine() == Engine::Postgres {
        // Other servers change the same rows: the key also turns over every bucket.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        generation = generation.wrapping_mul(1 << 32) ^ (now / SUGGESTION_TILE_BUCKET_S);
    }
    let filter = format!(
        "status={};category={}",
        q.statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        q.categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let key = TileKey {
        layer: "suggestions",
        generation,
        z,
        x,
        y,
        filter,
    };
    q.bbox = Some(tile_bbox(z, x, y));
    q.limit = 0;
    q.offset = 0;
    q.without_history = true;
    serve(&state, key, &headers, move || {
        let (items, _) = store.list_suggestions(&q)?;
        encode_layer(
            (z, x, y),
            "suggestions",
            &items,
            |s| (s.location.lon, s.location.lat),
            |s| (s.supporters, s.created_at, Reverse(s.id.as_str())),
            tag_suggestion,
        )
    })
    .await
}

/// The public tags of a suggestion feature (never the contact, text or photo).
fn tag_suggestion(s: &Suggestion, f: &mut mvt::Feature) {
    f.add_tag_string("id", &s.id);
    f.add_tag_string("category", s.category.as_str());
    f.add_tag_string("status", s.status.as_str());
    f.add_tag_uint("supporters", u64::from(s.supporters));
    f.add_tag_string(
        "created_at",
        &s.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
}

#[derive(OpenApi)]
#[openapi(
    paths(point_tile, suggestion_tile),
    tags((name = "tiles", description = "Mapbox Vector Tiles of the service points and suggestions (XYZ, Web Mercator, extent 4096)"))
)]
struct Doc;

/// Routes of this module. axum captures whole path segments, so the routes take `{y}.mvt`
/// as one segment and the handlers split off the extension; the operations are documented
/// as `{y}.mvt`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .route("/tiles/points/{z}/{x}/{y_mvt}", get(point_tile))
        .route("/tiles/suggestions/{z}/{x}/{y_mvt}", get(suggestion_tile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_tiles() {
        assert!(parse_tile("23", "0", "0.mvt").is_err());
        assert!(parse_tile("1", "2", "0.mvt").is_err());
        assert!(parse_tile("1", "1", "1.pbf").is_err());
        assert!(parse_tile("-1", "0", "0.mvt").is_err());
        assert_eq!(parse_tile("1", "1", "1.mvt").unwrap(), (1, 1, 1));
    }
}
