//! The JSON / GeoJSON API under `/api/v1`: nearest service points, points within a radius,
//! paged listing by bbox, one point by id, and the district list for the map.
//!
//! # Parameters shared by the point queries
//! - `lon`, `lat`: the query position, degrees. A longitude outside `[-180, 180]` (what a web
//!   map reports after panning across the antimeridian, e.g. 472.98) is **normalised** by
//!   adding or subtracting one turn (472.98 → 112.98, see [`LonLat::normalized`]); the
//!   normalised position is echoed in the response's `query`. A longitude beyond one wrap
//!   (`|lon| > 540`), a latitude outside `[-90, 90]`, NaN or infinity is a 400.
//! - `crs`: the system of `lon`/`lat`: `wgs84` (default), `gcj02` (Amap, WeChat), `bd09`
//!   (Baidu). Converted to WGS-84 before the query ([`crate::crs`]).
//! - `kind`: admitted kinds, any of (repeat the parameter or give a comma list).
//! - `amenity`: amenities a point must **all** offer (repeated or comma list).
//! - `access`: admitted access methods, any of.
//! - `open_now=true`: only points open now (China Standard Time); `open_at=YYYY-MM-DDTHH:MM`:
//!   only points open at that local time. Points with unknown hours never pass.
//! - `mode`: `walk` (default) or `ebike`: the speed used for `minutes`.
//! - `out_crs`: `gcj02` or `bd09` adds the point's position in that system as a property
//!   (`gcj02` / `bd09`, `[lon, lat]`); the geometry is always WGS-84 (RFC 7946).
//!
//! Unknown parameters are a 400 naming them (a typo such as `kinds=` would otherwise be
//! silently ignored). Every error is RFC 9457 problem+json naming the parameter.
//!
//! # Output
//! GeoJSON (RFC 7946). Every feature is rendered by [`PointFeature`] (also used by the
//! OGC API): the point's fields as properties, Chinese and English labels of its kind, and
//! navigation links for Amap (GCJ-02 coordinates) and Baidu (BD-09 coordinates).

pub mod geojson;
pub mod links;
pub mod query;

use super::error::{AppError, Problem};
use super::AppState;
use crate::crs::Crs;
use crate::model::{china_local_now, AccessMethod, Amenity, Bbox, ServiceKind};
use crate::travel::TravelMode;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use geojson::{
    geojson_response, seq_of, to_json_bytes, DistanceCollection, EchoQuery, FeatureCollectionDoc,
    FeatureOptions, HitFeatures, PageCollection, PointFeature, PointFeatureDoc, GEOJSON,
};
use links::{paging_links, Link};
use query::{query_filter, query_mode, query_out_crs, query_position, Params};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Default and largest `k` of `/nearest`.
pub const NEAREST_K_DEFAULT: usize = 5;
/// Largest `k` of `/nearest`.
pub const NEAREST_K_MAX: usize = 50;
/// Largest `radius_m` of `/within`, metres (100 km: far beyond any service circle).
pub const WITHIN_RADIUS_MAX_M: f64 = 100_000.0;
/// Default page size of listings.
pub const LIMIT_DEFAULT: usize = 100;
/// Largest page size of listings.
pub const LIMIT_MAX: usize = 10_000;

const NEAREST_PARAMS: &[&str] = &[
    "lon", "lat", "crs", "kind", "amenity", "access", "open_now", "open_at", "k", "mode", "out_crs",
];
const WITHIN_PARAMS: &[&str] = &[
    "lon", "lat", "crs", "kind", "amenity", "access", "open_now", "open_at", "radius_m", "mode",
    "out_crs", "limit", "offset",
];
const NEAREST_BY_TIME_PARAMS: &[&str] = &["by", "route"];
const POINTS_PARAMS: &[&str] = &[
    "bbox", "kind", "amenity", "access", "open_now", "open_at", "out_crs", "limit", "offset",
];

/// Nearest service points.
#[utoipa::path(
    get,
    path = "/api/v1/nearest",
    tag = "points",
    params(
        ("lon" = f64, Query, description = "Longitude, degrees (in `crs`). Values in [-540, 540] outside [-180, 180] are wrapped once (472.98 → 112.98); larger values are a 400."),
        ("lat" = f64, Query, description = "Latitude, degrees (in `crs`), within [-90, 90]."),
        ("crs" = Option<Crs>, Query, description = "System of lon/lat: wgs84 (default), gcj02 (Amap/WeChat), bd09 (Baidu)."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of (repeat or comma list)."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of (repeat or comma list)."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now (UTC+8); unknown hours never pass."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local UTC+8 time, YYYY-MM-DDTHH:MM."),
        ("k" = Option<usize>, Query, minimum = 1, maximum = 50, description = "Number of points, default 5, 1..=50."),
        ("mode" = Option<TravelMode>, Query, description = "Speed for `minutes`: walk (5 km/h, default) or ebike (15 km/h)."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds the point's coordinates in that system as a property."),
        ("by" = Option<String>, Query, description = "Rank by `distance` (straight line, default) or `time`: travel time along roads in `mode`, when the server has a road graph (`nuanxin roads import`); without one the answer is straight-line and says so (`query.model`). Each `by=time` feature carries `travel_time_s`, `network_distance_m`, `snap_distance_m`, `network` (false: straight-line fallback, farther than 200 m from a road) and `model`."),
        ("route" = Option<bool>, Query, description = "With `by=time`: add each feature's route as a GeoJSON LineString in the property `route`."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection, nearest (or quickest) first, each feature with `distance_m` (WGS-84 geodesic, metres), `minutes` and `mode`; `query.model` says which model made the figures", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is missing or invalid (named in `param`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn nearest(State(state): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let allowed: Vec<&str> = NEAREST_PARAMS
        .iter()
        .chain(NEAREST_BY_TIME_PARAMS)
        .copied()
        .collect();
    let p = Params::from_uri(&uri, &allowed)?;
    let position = query_position(&p)?;
    let filter = query_filter(&p)?;
    let k = p.int("k", NEAREST_K_DEFAULT, 1, NEAREST_K_MAX)?;
    let mode = query_mode(&p)?;
    let out_crs = query_out_crs(&p)?;
    let by_time = match p.one("by")? {
        None | Some("distance") => false,
        Some("time") => true,
        Some(other) => {
            return Err(AppError::bad_choice(
                "by",
                format!("`by` = `{other}`: rank by `distance` or `time`"),
                &["distance", "time"],
            ))
        }
    };
    let route = p.bool("route")?.unwrap_or(false);
    let timed = match (&state.roads, by_time) {
        (Some(g), true) => Some(nuanxin_core::routing::nearest_by_time(
            g,
            &state.index(),
            position.wgs84,
            k,
            &filter,
            mode,
            &nuanxin_core::routing::NetworkOptions {
                route,
                speeds: state.config.speeds,
                ..Default::default()
            },
        )),
        _ => None,
    };
    let hits: Vec<crate::index::Hit> = match &timed {
        Some(t) => t
            .hits
            .iter()
            .map(|h| crate::index::Hit {
                point: h.point.clone(),
                distance_m: h.distance_m,
            })
            .collect(),
        None => state.index().nearest(position.wgs84, k, &filter),
    };
    let body = DistanceCollection {
        type_: "FeatureCollection",
        features: HitFeatures {
            hits: &hits,
            options: FeatureOptions {
                out_crs,
                open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
            },
            mode,
            speeds: state.config.speeds,
            origin: position.wgs84,
        },
        number_matched: None,
        number_returned: hits.len(),
        query: EchoQuery {
            position,
            mode: mode.as_str(),
            model: "straight_line",
            k: Some(k),
            radius_m: None,
            open_at: filter.open_at.as_ref(),
        },
        links: Vec::new(),
    };
    let bytes = body.to_bytes()?;
    match timed {
        Some(t) => Ok(geojson_response(with_travel_times(&bytes, &t)?)),
        None => Ok(geojson_response(bytes)),
    }
}

/// Adds the network figures of `t` to the features of a straight-line response (same points,
/// same order): `travel_time_s`, `minutes` (replaced), `network_distance_m`,
/// `snap_distance_m`, `network`, `model`, optional `route`; and `query.model`,
/// `query.origin_snap_m`.
fn with_travel_times(
    bytes: &[u8],
    t: &nuanxin_core::routing::TimedNearest,
) -> Result<Vec<u8>, AppError> {
    let mut v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    let round = |x: f64| (x * 10.0).round() / 10.0;
    if let Some(features) = v["features"].as_array_mut() {
        for (f, h) in features.iter_mut().zip(&t.hits) {
            let props = &mut f["properties"];
            props["travel_time_s"] = round(h.travel_time_s).into();
            props["minutes"] = round(h.travel_time_s / 60.0).into();
            props["network"] = h.network.into();
            props["model"] = if h.network {
                "network"
            } else {
                "straight_line"
            }
            .into();
            props["network_distance_m"] = h.network_distance_m.map(round).into();
            props["snap_distance_m"] = h.snap_distance_m.map(round).into();
            if let Some(r) = &h.route {
                let coords: Vec<[f64; 2]> = r
                    .iter()
                    .map(|p| [(p.lon * 1e7).round() / 1e7, (p.lat * 1e7).round() / 1e7])
                    .collect();
                props["route"] = serde_json::json!({"type": "LineString", "coordinates": coords});
            }
        }
    }
    v["query"]["model"] = "network".into();
    v["query"]["origin_snap_m"] = t.origin_snap.map(|s| round(s.distance_m)).into();
    serde_json::to_vec(&v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Service points within a radius.
#[utoipa::path(
    get,
    path = "/api/v1/within",
    tag = "points",
    params(
        ("lon" = f64, Query, description = "Longitude, degrees (in `crs`), in [-540, 540]; wrapped into [-180, 180)."),
        ("lat" = f64, Query, description = "Latitude, degrees (in `crs`)."),
        ("radius_m" = f64, Query, minimum = 0, maximum = 100000, description = "Radius, metres (WGS-84 geodesic), 0..=100000."),
        ("crs" = Option<Crs>, Query, description = "System of lon/lat."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local time."),
        ("mode" = Option<TravelMode>, Query, description = "Speed for `minutes`."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100."),
        ("offset" = Option<usize>, Query, description = "Features to skip, default 0."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection, nearest first, with numberMatched and next/prev links", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is missing or invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn within(State(state): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, WITHIN_PARAMS)?;
    let position = query_position(&p)?;
    let radius_m = p.required_f64("radius_m", "radius, metres")?;
    if !radius_m.is_finite() {
        return Err(AppError::bad_param(
            "radius_m",
            "`radius_m` must be a finite number of metres",
        ));
    }
    if !(0.0..=WITHIN_RADIUS_MAX_M).contains(&radius_m) {
        return Err(AppError::bad_param(
            "radius_m",
            format!("`radius_m` = {radius_m} is outside [0, {WITHIN_RADIUS_MAX_M}] metres"),
        ));
    }
    let filter = query_filter(&p)?;
    let mode = query_mode(&p)?;
    let out_crs = query_out_crs(&p)?;
    let limit = p.int("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)?;
    let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
    let hits = state.index().within(position.wgs84, radius_m, &filter);
    let matched = hits.len();
    let page = hits
        .get(offset.min(matched)..(offset + limit).min(matched))
        .unwrap_or(&[]);
    let base = state.config.public_base();
    let body = DistanceCollection {
        type_: "FeatureCollection",
        features: HitFeatures {
            hits: page,
            options: FeatureOptions {
                out_crs,
                open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
            },
            mode,
            speeds: state.config.speeds,
            origin: position.wgs84,
        },
        number_matched: Some(matched),
        number_returned: page.len(),
        query: EchoQuery {
            position,
            mode: mode.as_str(),
            model: "straight_line",
            k: None,
            radius_m: Some(radius_m),
            open_at: filter.open_at.as_ref(),
        },
        links: paging_links(
            &base,
            uri.path(),
            p.pairs(),
            limit,
            offset,
            matched,
            GEOJSON,
        ),
    };
    Ok(geojson_response(body.to_bytes()?))
}
/// Service points by bbox and filters, paged, sorted by id.
#[utoipa::path(
    get,
    path = "/api/v1/points",
    tag = "points",
    params(
        ("bbox" = Option<String>, Query, description = "WGS-84 west,south,east,north degrees; west > east crosses the antimeridian (RFC 7946 §5.2); south > north is an error."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local time."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100."),
        ("offset" = Option<usize>, Query, description = "Features to skip, default 0."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection sorted by id, with numberMatched, numberReturned and next/prev links", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn points(State(state): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, POINTS_PARAMS)?;
    let bbox = p.one("bbox")?.map(Bbox::parse).transpose()?;
    let filter = query_filter(&p)?;
    let out_crs = query_out_crs(&p)?;
    let limit = p.int("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)?;
    let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
    let page = state.index().page(bbox.as_ref(), &filter, offset, limit);
    let matched = page.matched;
    let base = state.config.public_base();
    let mut links = vec![Link::new(format!("{base}{uri}"), "self", GEOJSON)];
    links.extend(paging_links(
        &base,
        uri.path(),
        p.pairs(),
        limit,
        offset,
        matched,
        GEOJSON,
    ));
    let options = FeatureOptions {
        out_crs,
        open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
    };
    let page = page.points.iter();
    let body = PageCollection {
        type_: "FeatureCollection",
        number_returned: page.len(),
        features: seq_of(page.map(|pt| PointFeature {
            point: pt,
            options,
            distance: None,
            origin: None,
        })),
        number_matched: matched,
        links: &links,
    };
    Ok(geojson_response(to_json_bytes(&body)?))
}

/// One service point.
#[utoipa::path(
    get,
    path = "/api/v1/points/{id}",
    tag = "points",
    params(
        ("id" = String, Path, description = "Service point id."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
    ),
    responses(
        (status = 200, description = "GeoJSON Feature", content_type = "application/geo+json", body = PointFeatureDoc),
        (status = 404, description = "No point with this id", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn point_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["out_crs"])?;
    let out_crs = query_out_crs(&p)?;
    let index = state.index();
    let point = index
        .get(&id)
        .ok_or_else(|| AppError::NotFound(format!("no service point with id `{id}`")))?;
    let f = PointFeature {
        point,
        options: FeatureOptions {
            out_crs,
            open_at: Some(china_local_now()),
        },
        distance: None,
        origin: None,
    };
    Ok(geojson_response(to_json_bytes(&f)?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(Problem, Link, FeatureCollectionDoc, PointFeatureDoc, geojson::PointPropertiesDoc, Crs, TravelMode, ServiceKind, Amenity, AccessMethod)),
    tags(
        (name = "points", description = "Service points: nearest, within a radius, by bbox, by id"),
    )
)]
struct PointsApi;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<PointsApi as utoipa::OpenApi>::openapi())
        .routes(routes!(nearest))
        .routes(routes!(within))
        .routes(routes!(points))
        .routes(routes!(point_by_id))
}
