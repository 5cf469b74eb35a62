//! OGC API – Features – Part 1: Core (OGC 17-069r4) under `/ogc`, conformance classes
//! *core*, *geojson* and *oas30*, so GIS clients (QGIS, GDAL's `OAPIF` driver) read the
//! service points unchanged.
//!
//! - `/ogc` landing page, `/ogc/conformance`, `/ogc/api` (the OpenAPI 3.0 definition),
//!   `/ogc/collections`, `/ogc/collections/{collectionId}`,
//!   `/ogc/collections/{collectionId}/items`, `/ogc/collections/{collectionId}/items/{featureId}`.
//! - One collection per service kind (`station`, `legal_aid`, `rider_friendly_community`,
//!   `collection_point`); other modules add collections through [`CollectionProvider`],
//!   registered where the router is built (`server::router` passes them to [`router`]).
//! - Items: `bbox` (CRS84 `west,south,east,north`), `limit` (default 100, 1..; values above
//!   10 000 are reduced to 10 000 as `/per/core/limit-response` allows), `offset`, `datetime`
//!   (accepted; features have no temporal geometry, so it matches every feature), `f`.
//!   Responses carry `numberMatched`, `numberReturned`, `timeStamp` and `self`, `alternate`,
//!   `next`, `prev`, `collection` links. Features are sorted by id, so pages are stable.
//! - Formats: JSON (GeoJSON for features) and a minimal HTML view, chosen by `f=json|html`
//!   or else by the `Accept` header (HTML only when it asks for `text/html` and not JSON).
//! - Links are absolute, under the configured `public_url` ([`super::Config::public_base`]);
//!   the request's `Host` header plays no part.
//! - Providers may read the database: their methods run on blocking threads.
//! - Unknown query parameters are a 400 (`/req/core/query-param-unknown`).

use super::db::blocking;
use super::error::{AppError, Problem};
use super::ops::ApiDoc;
use super::points::geojson::{point_feature, GEOJSON};
use super::points::links::{paged_href, paging_links, percent_encode, Link};
use super::points::query::Params;
use super::AppState;
use crate::model::{Bbox, ServiceKind};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest page of items; larger `limit`s are reduced to it.
pub const ITEMS_LIMIT_MAX: usize = 10_000;
/// Default page of items.
pub const ITEMS_LIMIT_DEFAULT: usize = 100;
/// The CRS of every collection (OGC CRS84: WGS-84 longitude, latitude).
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Media type of the OpenAPI 3.0 definition (`/req/oas30/oas-definition-1`).
pub const OPENAPI30_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// Conformance classes implemented.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
];

/// One page of a collection's items.
#[derive(Debug, Clone, Default)]
pub struct ItemsPage {
    /// GeoJSON Feature objects (WGS-84), in a stable order.
    pub features: Vec<Value>,
    /// Items matching the query before paging.
    pub number_matched: usize,
}

/// A feature collection served by the OGC API. The built-in ones are the service kinds;
/// other modules implement this and register it in `server::router`. Every method gets the
/// application state, so a provider can read the index or the store; `extent`, `items`
/// and `item` run on a blocking thread.
pub trait CollectionProvider: Send + Sync {
    /// Collection id: lower-case, URL-safe, unique (e.g. `suggestions`).
    fn id(&self) -> String;
    /// Title for people.
    fn title(&self) -> String;
    /// Description for people.
    fn description(&self) -> String;
    /// `[west, south, east, north]` of the items, WGS-84 degrees, when known.
    fn extent(&self, state: &AppState) -> Option<[f64; 4]>;
    /// The items inside `bbox` (all when `None`), skipping `offset`, at most `limit`.
    ///
    /// # Errors
    /// [`AppError`] (a store failure is `Internal`).
    fn items(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        limit: usize,
        offset: usize,
    ) -> Result<ItemsPage, AppError>;
    /// One item by feature id, `None` when absent.
    ///
    /// # Errors
    /// [`AppError`].
    fn item(&self, state: &AppState, feature_id: &str) -> Result<Option<Value>, AppError>;
}

/// The built-in collection of one service kind, backed by the index.
#[derive(Debug, Clone, Copy)]
pub struct KindCollection(pub ServiceKind);

impl CollectionProvider for KindCollection {
    fn id(&self) -> String {
        self.0.as_str().to_string()
    }
    fn title(&self) -> String {
        format!("{} {}", self.0.label_zh(), self.0.label_en())
    }
    fn description(&self) -> String {
        format!(
            "Service points of kind `{}` ({} / {}), WGS-84",
            self.0.as_str(),
            self.0.label_zh(),
            self.0.label_en()
        )
    }
    fn extent(&self, state: &AppState) -> Option<[f64; 4]> {
        let b = state.index().extent_of_kind(self.0)?;
        Some([b.west, b.south, b.east, b.north])
    }
    fn items(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        limit: usize,
        offset: usize,
    ) -> Result<ItemsPage, AppError> {
        let filter = crate::index::Filter {
            kinds: vec![self.0],
            ..Default::default()
        };
        let page = state.index().page(bbox, &filter, offset, limit);
        Ok(ItemsPage {
            number_matched: page.matched,
            features: page.points.iter().map(|p| point_feature(p)).collect(),
        })
    }
    fn item(&self, state: &AppState, feature_id: &str) -> Result<Option<Value>, AppError> {
        Ok(state
            .index()
            .get(feature_id)
            .filter(|p| p.kind == self.0)
            .map(|p| point_feature(p)))
    }
}

/// Every collection served: one per service kind, then those registered by other modules
/// (see [`router`]). Shared by the OGC handlers as a request extension.
#[derive(Clone)]
pub struct Collections(Arc<Vec<Arc<dyn CollectionProvider>>>);

impl Collections {
    /// The kind collections followed by `registered`.
    pub fn with(registered: Vec<Arc<dyn CollectionProvider>>) -> Self {
        let mut v: Vec<Arc<dyn CollectionProvider>> = ServiceKind::ALL
            .iter()
            .map(|k| Arc::new(KindCollection(*k)) as Arc<dyn CollectionProvider>)
            .collect();
        v.extend(registered);
        Collections(Arc::new(v))
    }

    /// Every collection, kinds first.
    pub fn all(&self) -> &[Arc<dyn CollectionProvider>] {
        &self.0
    }

    /// The collection `id`; 404 when there is none.
    fn find(&self, id: &str) -> Result<Arc<dyn CollectionProvider>, AppError> {
        self.0
            .iter()
            .find(|c| c.id() == id)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("no collection `{id}`")))
    }
}

// ---------------------------------------------------------------------------------------------
// Format negotiation and HTML
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
}

fn format(p: &Params, headers: &HeaderMap) -> Result<Format, AppError> {
    match p.one("f")? {
        Some("json") | Some("geojson") => Ok(Format::Json),
        Some("html") => Ok(Format::Html),
        Some(other) => Err(AppError::bad_choice(
            "f",
            format!("unknown format `{other}`"),
            &["json", "html"],
        )),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("text/html") && !accept.contains("json") {
                Ok(Format::Html)
            } else {
                Ok(Format::Json)
            }
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_page(title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>body{{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}}\
         nav a{{margin-right:1rem}}</style></head><body>\
         <nav><a href=\"/ogc?f=html\">OGC API 首页 Landing</a><a href=\"/ogc/collections?f=html\">数据集 Collections</a>\
         <a href=\"/api/docs\">API 文档 Docs</a></nav><h1>{t}</h1>{body}</body></html>",
        t = html_escape(title)
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, HTML_CSP),
        ],
        page,
    )
        .into_response()
}

/// Content-Security-Policy of the OGC HTML views: no script at all, inline style only,
/// images from this origin, no plugins, frames, forms or `<base>`.
pub const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn links_html(links: &[Link]) -> String {
    let mut s = String::from("<ul>");
    for l in links {
        s.push_str(&format!(
            "<li><a href=\"{}\">{}</a> ({}{})</li>",
            html_escape(&l.href),
            html_escape(l.title.as_deref().unwrap_or(&l.rel)),
            html_escape(&l.rel),
            l.type_
                .as_deref()
                .map(|t| format!(", {}", html_escape(t)))
                .unwrap_or_default()
        ));
    }
    s.push_str("</ul>");
    s
}

fn json_response<T: Serialize>(v: &T, content_type: &'static str) -> Result<Response, AppError> {
    let body = serde_json::to_vec(v)
        .map_err(|e| AppError::Internal(format!("serialising response: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response())
}

const JSON: &str = "application/json";
const HTML: &str = "text/html";

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// The landing page.
#[utoipa::path(
    get,
    path = "/ogc",
    tag = "OGC API – Features",
    params(("f" = Option<String>, Query, description = "json or html")),
    responses(
        (status = 200, description = "Links to the API definition, conformance and collections", body = LandingPageDoc),
        (status = 400, description = "Bad parameter", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f"])?;
    let fmt = format(&p, &headers)?;
    let base = state.config.public_base();
    let links = vec![
        Link::new(format!("{base}/ogc"), "self", JSON).titled("This document"),
        Link::new(format!("{base}/ogc?f=html"), "alternate", HTML).titled("This document as HTML"),
        Link::new(format!("{base}/ogc/api"), "service-desc", OPENAPI30_JSON)
            .titled("API definition (OpenAPI 3.0)"),
        Link::new(format!("{base}/api/docs"), "service-doc", HTML).titled("API documentation"),
        Link::new(format!("{base}/ogc/conformance"), "conformance", JSON)
            .titled("Conformance classes"),
        Link::new(format!("{base}/ogc/collections"), "data", JSON).titled("Collections"),
    ];
    let title = "暖新地图 Nuanxin Map – OGC API Features";
    let description = "Service points for gig workers (rest stations, legal aid, rider-friendly communities, suggestion collection points) in Hunan, WGS-84.";
    match fmt {
        Format::Json => json_response(
            &json!({"title": title, "description": description, "links": links}),
            JSON,
        ),
        Format::Html => Ok(html_page(
            title,
            &format!("<p>{}</p>{}", html_escape(description), links_html(&links)),
        )),
    }
}

/// The conformance declaration.
#[utoipa::path(
    get,
    path = "/ogc/conformance",
    tag = "OGC API – Features",
    params(("f" = Option<String>, Query, description = "json or html")),
    responses((status = 200, description = "Conformance classes implemented", body = ConformanceDoc))
)]
pub async fn conformance(headers: HeaderMap, uri: Uri) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f"])?;
    match format(&p, &headers)? {
        Format::Json => json_response(&json!({ "conformsTo": CONFORMANCE }), JSON),
        Format::Html => Ok(html_page(
            "Conformance 一致性",
            &format!(
                "<ul>{}</ul>",
                CONFORMANCE
                    .iter()
                    .map(|c| format!("<li>{}</li>", html_escape(c)))
                    .collect::<String>()
            ),
        )),
    }
}

/// The API definition as OpenAPI 3.0 (for the oas30 conformance class).
#[utoipa::path(
    get,
    path = "/ogc/api",
    tag = "OGC API – Features",
    responses((status = 200, description = "OpenAPI 3.0 document", content_type = "application/vnd.oai.openapi+json;version=3.0"))
)]
pub async fn api_definition(
    Extension(doc): Extension<ApiDoc>,
    uri: Uri,
) -> Result<Response, AppError> {
    Params::from_uri(&uri, &["f"])?;
    let doc =
        serde_json::to_value(&*doc.0).map_err(|e| AppError::Internal(format!("openapi: {e}")))?;
    json_response(&to_openapi30(doc), OPENAPI30_JSON)
}

/// Rewrites an OpenAPI 3.1 document (what utoipa 5 generates) as OpenAPI 3.0.3: `type`
/// arrays with `"null"` become `nullable: true`, `oneOf`/`anyOf` alternatives of `{"type":
/// "null"}` are dropped in favour of `nullable`, and 3.1-only keys (`license.identifier`,
/// `examples` arrays in schemas) are removed. Enough for the shapes utoipa emits.
pub fn to_openapi30(mut doc: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(types)) = m.get("type").cloned() {
                    let non_null: Vec<Value> = types
                        .iter()
                        .filter(|t| t.as_str() != Some("null"))
                        .cloned()
                        .collect();
                    if non_null.len() < types.len() {
                        m.insert("nullable".into(), Value::Bool(true));
                    }
                    match non_null.len() {
                        0 => {
                            m.remove("type");
                        }
                        1 => {
                            m.insert("type".into(), non_null[0].clone());
                        }
                        _ => {
                            m.remove("type");
                        }
                    }
                }
                for key in ["oneOf", "anyOf"] {
                    if let Some(Value::Array(alts)) = m.get_mut(key) {
                        let before = alts.len();
                        alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                        if alts.len() < before {
                            m.insert("nullable".into(), Value::Bool(true));
                            if let Some(Value::Array(alts)) = m.get(key) {
                                if alts.len() == 1 {
                                    let only = alts[0].clone();
                                    m.remove(key);
                                    m.insert("allOf".into(), Value::Array(vec![only]));
                                }
                            }
                        }
                    }
                }
                if matches!(m.get("examples"), Some(Value::Array(_))) && m.contains_key("type") {
                    m.remove("examples");
                }
                for (_, child) in m.iter_mut() {
                    walk(child);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut doc);
    doc["openapi"] = Value::String("3.0.3".into());
    if let Some(lic) = doc
        .pointer_mut("/info/license")
        .and_then(Value::as_object_mut)
    {
        lic.remove("identifier");
    }
    doc
}

fn collection_json(c: &dyn CollectionProvider, state: &AppState, base: &str) -> Value {
    let id = c.id();
    let mut v = json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            Link::new(format!("{base}/ogc/collections/{id}"), "self", JSON).titled("This collection"),
            Link::new(format!("{base}/ogc/collections/{id}?f=html"), "alternate", HTML).titled("This collection as HTML"),
            Link::new(format!("{base}/ogc/collections/{id}/items"), "items", GEOJSON).titled("Items as GeoJSON"),
            Link::new(format!("{base}/ogc/collections/{id}/items?f=html"), "items", HTML).titled("Items as HTML"),
        ],
    });
    if let Some(b) = c.extent(state) {
        v["extent"] = json!({"spatial": {"bbox": [b], "crs": CRS84}});
    }
    v
}

/// The collections.
#[utoipa::path(
    get,
    path = "/ogc/collections",
    tag = "OGC API – Features",
    params(("f" = Option<String>, Query, description = "json or html")),
    responses((status = 200, description = "Every collection: one per service kind, plus registered ones", body = CollectionsDoc))
)]
pub async fn collections_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f"])?;
    let fmt = format(&p, &headers)?;
    let base = state.config.public_base();
    let links = vec![
        Link::new(format!("{base}/ogc/collections"), "self", JSON).titled("This document"),
        Link::new(format!("{base}/ogc/collections?f=html"), "alternate", HTML)
            .titled("This document as HTML"),
    ];
    match fmt {
        Format::Json => {
            let base = base.clone();
            let cols: Vec<Value> = blocking(move || {
                Ok(all
                    .all()
                    .iter()
                    .map(|c| collection_json(c.as_ref(), &state, &base))
                    .collect())
            })
            .await?;
            json_response(&json!({"links": links, "collections": cols}), JSON)
        }
        Format::Html => {
            let mut body = String::from(
                "<table><tr><th>id</th><th>名称 Title</th><th>说明 Description</th></tr>",
            );
            for c in all.all() {
                let id = html_escape(&c.id());
                body.push_str(&format!(
                    "<tr><td><a href=\"/ogc/collections/{id}?f=html\">{id}</a></td><td>{}</td><td>{}</td></tr>",
                    html_escape(&c.title()),
                    html_escape(&c.description())
                ));
            }
            body.push_str("</table>");
            Ok(html_page("数据集 Collections", &body))
        }
    }
}

/// One collection.
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "station, legal_aid, rider_friendly_community, collection_point, or a registered collection"),
        ("f" = Option<String>, Query, description = "json or html"),
    ),
    responses(
        (status = 200, description = "The collection", body = CollectionDoc),
        (status = 404, description = "No such collection", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn collection_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f"])?;
    let fmt = format(&p, &headers)?;
    let c = all.find(&id)?;
    let base = state.config.public_base();
    let (v, extent) = {
        let c = c.clone();
        blocking(move || {
            let v = collection_json(c.as_ref(), &state, &base);
            Ok((v, c.extent(&state)))
        })
        .await?
    };
    match fmt {
        Format::Json => json_response(&v, JSON),
        Format::Html => {
            let links: Vec<Link> = serde_json::from_value::<Vec<LinkIn>>(v["links"].clone())
                .unwrap_or_default()
                .into_iter()
                .map(LinkIn::into_link)
                .collect();
            let extent = extent
                .map(|b| {
                    format!(
                        "<p>范围 Extent: {:.5}, {:.5}, {:.5}, {:.5}</p>",
                        b[0], b[1], b[2], b[3]
                    )
                })
                .unwrap_or_default();
            Ok(html_page(
                &c.title(),
                &format!(
                    "<p>{}</p>{extent}{}",
                    html_escape(&c.description()),
                    links_html(&links)
                ),
            ))
        }
    }
}

#[derive(serde::Deserialize)]
struct LinkIn {
    href: String,
    rel: String,
    #[serde(rename = "type")]
    type_: Option<String>,
    title: Option<String>,
}

impl LinkIn {
    fn into_link(self) -> Link {
        Link {
            href: self.href,
            rel: self.rel,
            type_: self.type_,
            title: self.title,
        }
    }
}

/// One end of a `datetime` value as an instant: `Some(None)` for an open end (`..` or
/// empty), `None` when unparsable. A full date stands for the whole UTC day: its start when
/// it opens an interval, its last nanosecond when it closes one.
fn datetime_bound(part: &str, is_end: bool) -> Option<Option<chrono::DateTime<chrono::Utc>>> {
    if part.is_empty() || part == ".." {
        return Some(None);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(part) {
        return Some(Some(t.with_timezone(&chrono::Utc)));
    }
    let day = chrono::NaiveDate::parse_from_str(part, "%Y-%m-%d").ok()?;
    let t = if is_end {
        day.and_hms_nano_opt(23, 59, 59, 999_999_999)?
    } else {
        day.and_time(chrono::NaiveTime::MIN)
    };
    Some(Some(t.and_utc()))
}

/// Checks the `datetime` parameter (RFC 3339 instant or interval with `..`, OGC API –
/// Features Part 1 §7.15.4): syntax, and that an interval's start is not after its end.
fn check_datetime(v: &str) -> Result<(), AppError> {
    let parts: Vec<&str> = v.split('/').collect();
    let bad = |why: &str| {
        AppError::bad_param(
            "datetime",
            format!(
                "`datetime` must be an RFC 3339 instant or interval (a/b, ../b, a/..){why}; got `{v}`"
            ),
        )
    };
    match parts.as_slice() {
        [one] if *one != ".." && !one.is_empty() => {
            datetime_bound(one, false).ok_or_else(|| bad(""))?;
            Ok(())
        }
        [start, end] => {
            let s = datetime_bound(start, false).ok_or_else(|| bad(""))?;
            let e = datetime_bound(end, true).ok_or_else(|| bad(""))?;
            match (s, e) {
                (Some(s), Some(e)) if s > e => Err(bad(" whose start is not after its end")),
                _ => Ok(()),
            }
        }
        _ => Err(bad("")),
    }
}

/// The items of a collection.
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/items",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("bbox" = Option<String>, Query, description = "CRS84 west,south,east,north"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100; larger values are reduced to 10000"),
        ("offset" = Option<usize>, Query, description = "Items to skip, default 0"),
        ("datetime" = Option<String>, Query, description = "RFC 3339 instant or interval; items have no temporal geometry, so every item matches"),
        ("f" = Option<String>, Query, description = "json (GeoJSON) or html"),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection with numberMatched, numberReturned, timeStamp and paging links", content_type = "application/geo+json", body = super::points::geojson::FeatureCollectionDoc),
        (status = 400, description = "Bad parameter", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such collection", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn items_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f", "bbox", "limit", "offset", "datetime"])?;
    let fmt = format(&p, &headers)?;
    let c = all.find(&id)?;
    let bbox = p.one("bbox")?.map(Bbox::parse).transpose()?;
    let limit = match p.one("limit")? {
        None => ITEMS_LIMIT_DEFAULT,
        Some(v) => {
            let n: i64 = v.trim().parse().map_err(|_| {
                AppError::bad_param("limit", format!("`limit` must be an integer; got `{v}`"))
            })?;
            if n < 1 {
                return Err(AppError::bad_param(
                    "limit",
                    format!("`limit` = {n} is below the minimum 1"),
                ));
            }
            (n as u64).min(ITEMS_LIMIT_MAX as u64) as usize
        }
    };
    let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
    if let Some(dt) = p.one("datetime")? {
        check_datetime(dt)?;
    }
    let page = {
        let (state, c) = (state.clone(), c.clone());
        blocking(move || c.items(&state, bbox.as_ref(), limit, offset)).await?
    };
    let base = state.config.public_base();
    let path = format!("/ogc/collections/{id}/items");
    // Links keep the caller's other parameters (bbox, datetime) but not `f`.
    let pairs: Vec<(String, String)> = p
        .pairs()
        .iter()
        .filter(|(k, _)| k != "f")
        .cloned()
        .collect();
    let self_href = paged_href(&base, &path, &pairs, limit, offset);
    let mut links = vec![
        Link::new(self_href.clone(), "self", GEOJSON).titled("This page"),
        Link::new(format!("{self_href}&f=html"), "alternate", HTML).titled("This page as HTML"),
        Link::new(format!("{base}/ogc/collections/{id}"), "collection", JSON)
            .titled("The collection"),
    ];
    let (type_for_paging, paging_pairs) = match fmt {
        Format::Json => (GEOJSON, pairs.clone()),
        Format::Html => {
            let mut with_f = pairs.clone();
            with_f.push(("f".into(), "html".into()));
            (HTML, with_f)
        }
    };
    links.extend(paging_links(
        &base,
        &path,
        &paging_pairs,
        limit,
        offset,
        page.number_matched,
        type_for_paging,
    ));
    match fmt {
        Format::Json => {
            let body = json!({
                "type": "FeatureCollection",
                "features": page.features,
                "numberMatched": page.number_matched,
                "numberReturned": page.features.len(),
                "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "links": links,
            });
            json_response(&body, GEOJSON)
        }
        Format::Html => {
            let mut body = format!(
                "<p>{} / {} (offset {offset})</p><table><tr><th>id</th><th>名称 Name</th><th>经度 lon</th><th>纬度 lat</th></tr>",
                page.features.len(),
                page.number_matched
            );
            for f in &page.features {
                let fid = f["id"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| f["id"].to_string());
                let name = f["properties"]["name"]
                    .as_str()
                    .or_else(|| f["properties"]["title"].as_str())
                    .unwrap_or("");
                let coords = &f["geometry"]["coordinates"];
                body.push_str(&format!(
                    "<tr><td><a href=\"/ogc/collections/{}/items/{}?f=html\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    html_escape(&id),
                    html_escape(&percent_encode(&fid)),
                    html_escape(&fid),
                    html_escape(name),
                    coords[0],
                    coords[1]
                ));
            }
            body.push_str("</table>");
            body.push_str(&links_html(&links));
            Ok(html_page(&c.title(), &body))
        }
    }
}

/// One item.
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/items/{featureId}",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("featureId" = String, Path, description = "Feature id"),
        ("f" = Option<String>, Query, description = "json (GeoJSON) or html"),
    ),
    responses(
        (status = 200, description = "GeoJSON Feature with self and collection links", content_type = "application/geo+json", body = super::points::geojson::PointFeatureDoc),
        (status = 404, description = "No such collection or feature", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn item_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f"])?;
    let fmt = format(&p, &headers)?;
    let c = all.find(&id)?;
    let found = {
        let (state, fid) = (state.clone(), fid.clone());
        blocking(move || c.item(&state, &fid)).await?
    };
    let mut f = found
        .ok_or_else(|| AppError::NotFound(format!("no feature `{fid}` in collection `{id}`")))?;
    let base = state.config.public_base();
    let enc = percent_encode(&fid);
    let links = vec![
        Link::new(
            format!("{base}/ogc/collections/{id}/items/{enc}"),
            "self",
            GEOJSON,
        )
        .titled("This feature"),
        Link::new(
            format!("{base}/ogc/collections/{id}/items/{enc}?f=html"),
            "alternate",
            HTML,
        )
        .titled("This feature as HTML"),
        Link::new(format!("{base}/ogc/collections/{id}"), "collection", JSON)
            .titled("The collection"),
    ];
    match fmt {
        Format::Json => {
            f["links"] = serde_json::to_value(&links).unwrap_or(Value::Null);
            json_response(&f, GEOJSON)
        }
        Format::Html => {
            let mut body = String::from("<table>");
            if let Some(props) = f["properties"].as_object() {
                for (k, v) in props {
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    let cell = if shown.starts_with("https://") {
                        format!("<a href=\"{0}\">{0}</a>", html_escape(&shown))
                    } else {
                        html_escape(&shown)
                    };
                    body.push_str(&format!(
                        "<tr><th>{}</th><td>{cell}</td></tr>",
                        html_escape(k)
                    ));
                }
            }
            body.push_str(&format!(
                "<tr><th>geometry</th><td>{}</td></tr></table>",
                html_escape(&f["geometry"].to_string())
            ));
            body.push_str(&links_html(&links));
            let title = f["properties"]["name"].as_str().unwrap_or(&fid).to_string();
            Ok(html_page(&title, &body))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

/// Landing page (documentation schema).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LandingPageDoc {
    title: String,
    description: String,
    links: Vec<Link>,
}

/// Conformance declaration (documentation schema).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ConformanceDoc {
    #[schema(rename = "conformsTo")]
    conforms_to: Vec<String>,
}

/// One collection (documentation schema).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CollectionDoc {
    id: String,
    title: String,
    description: String,
    #[schema(rename = "itemType")]
    item_type: String,
    crs: Vec<String>,
    /// `{"spatial": {"bbox": [[w, s, e, n]], "crs": CRS84}}`
    #[schema(value_type = Option<Object>)]
    extent: Option<Value>,
    links: Vec<Link>,
}

/// The collections (documentation schema).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CollectionsDoc {
    links: Vec<Link>,
    collections: Vec<CollectionDoc>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(LandingPageDoc, ConformanceDoc, CollectionDoc, CollectionsDoc, Link, Problem)),
    tags((name = "OGC API – Features", description = "OGC API – Features – Part 1: Core (core, geojson, oas30)"))
)]
struct OgcApi;

/// Routes of this module, serving the kind collections and `registered` (the collections
/// other modules contribute, e.g. `suggestions`).
pub fn router(registered: Vec<Arc<dyn CollectionProvider>>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(OgcApi::openapi())
        .routes(routes!(landing))
        // the landing page with a trailing slash, as some clients request it
        .route("/ogc/", get(landing))
        .routes(routes!(conformance))
        .routes(routes!(api_definition))
        .routes(routes!(collections_handler))
        .routes(routes!(collection_handler))
        .routes(routes!(items_handler))
        .routes(routes!(item_handler))
        .layer(Extension(Collections::with(registered)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi30_rewrites_nullable_types() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
            "components": {"schemas": {"A": {"type": "object", "properties": {
                "x": {"type": ["string", "null"]},
                "y": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/B"}]}
            }}}}
        });
        let out = to_openapi30(doc);
        assert_eq!(out["openapi"], "3.0.3");
        let x = &out["components"]["schemas"]["A"]["properties"]["x"];
        assert_eq!(x["type"], "string");
        assert_eq!(x["nullable"], true);
        let y = &out["components"]["schemas"]["A"]["properties"]["y"];
        assert_eq!(y["nullable"], true);
        assert_eq!(y["allOf"][0]["$ref"], "#/components/schemas/B");
        assert!(out["info"]["license"].get("identifier").is_none());
    }

    #[test]
    fn datetime_syntax() {
        assert!(check_datetime("2026-11-29T10:00:00Z").is_ok());
        assert!(check_datetime("../2026-11-29T10:00:00Z").is_ok());
        assert!(check_datetime("2026-01-01/..").is_ok());
        assert!(check_datetime("yesterday").is_err());
        assert!(check_datetime("..").is_err());
        assert!(check_datetime("a/b/c").is_err());
        // Start after end (regression: was accepted).
        let e = check_datetime("2026-12-01T00:00:00Z/2026-01-01T00:00:00Z").unwrap_err();
        assert!(
            matches!(e, AppError::BadRequest { ref param, .. } if param.as_deref() == Some("datetime"))
        );
        assert!(check_datetime("2026-01-02/2026-01-01").is_err());
        // Same instant in two offsets (10:00+08:00 is 02:00Z): a valid one-instant interval.
        assert!(check_datetime("2026-01-01T10:00:00+08:00/2026-01-01T02:00:00Z").is_ok());
        // 01:00Z is before 10:00+08:00 = 02:00Z.
        assert!(check_datetime("2026-01-01T10:00:00+08:00/2026-01-01T01:00:00Z").is_err());
        // A date closes at the end of its (UTC) day.
        assert!(check_datetime("2026-01-01/2026-01-01").is_ok());
        assert!(check_datetime("2026-01-01T23:00:00Z/2026-01-01").is_ok());
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
