//! OGC API – Features under `/ogc`: Part 1 (core, GeoJSON, HTML, OpenAPI 3.0), Part 2
//! (coordinate reference systems by reference), Part 3 (queryables, CQL2 filtering,
//! sorting, properties) and Part 5 (schemas), so GIS clients (QGIS, GDAL's `OAPIF` driver,
//! OWSLib) read, reproject and filter the service points and suggestions on the server.
//!
//! - `/ogc` landing page, `/ogc/conformance` ([`CONFORMANCE`], exactly what is implemented),
//!   `/ogc/api` (OpenAPI 3.0, [`openapi`]), `/ogc/collections`, `/ogc/collections/{id}`,
//!   `…/items`, `…/items/{featureId}`, `…/queryables`, `…/schema`.
//! - One collection per service kind (`station`, `legal_aid`, `rider_friendly_community`,
//!   `collection_point`); other modules add collections through [`CollectionProvider`],
//!   registered where the router is built (`server::router` passes them to [`router`]).
//! - Items ([`query`]): `bbox` (4 or 6 numbers) in `bbox-crs`, `limit` (default 100, 1..;
//!   values above 10 000 are reduced to 10 000 as `/per/core/limit-response` allows),
//!   `offset`, `datetime` (over the collection's temporal property; the service kinds have
//!   none, so it matches every point there), `filter` in CQL2 text or JSON
//!   (`filter-lang`, `filter-crs`), each queryable as an equality parameter, `sortby`,
//!   `properties`, `crs`, `f`. Filters and sorting run before paging, so `numberMatched`
//!   counts the filtered set. Responses carry `numberMatched`, `numberReturned`,
//!   `timeStamp`, paging links and a `Content-Crs` header. Without `sortby`, features come
//!   in the provider's stable order (service points by id, suggestions newest first).
//! - CRSs ([`crate::crs::OgcCrs`]): CRS84 (storage), EPSG:4326 and EPSG:4490 (latitude
//!   first), EPSG:3857. GCJ-02/BD-09 have no EPSG code and stay options of `/api/v1`.
//! - Feature ids made only of digits (without a leading zero) are JSON numbers.
//! - Formats: JSON (GeoJSON for features) and an HTML view, chosen by `f=json|html`
//!   or else by the `Accept` header (HTML only when it asks for `text/html` and not JSON).
//! - Links are absolute, under the configured `public_url` ([`super::Config::public_base`]);
//!   the request's `Host` header plays no part.
//! - Providers may read the database: their methods run on blocking threads.
//! - Unknown query parameters are a 400 (`/req/core/query-param-unknown`).
//!
//! Why this file is long: the handlers of OGC API – Features Parts 1, 2, 3 and 5 share the
//! collection registry and the link, format and CRS negotiation; what stands alone lives
//! beside it (`query` parsing, `openapi`, `schema`).

pub mod openapi;
pub mod query;
pub mod schema;

use super::db::blocking;
use super::error::{AppError, Problem};
use super::points::geojson::{point_feature, GEOJSON};
use super::points::links::{paged_href, paging_links, percent_encode, Link};
use super::points::query::Params;
use super::AppState;
use crate::cql2::{Queryable, QueryableType, Queryables};
use crate::crs::OgcCrs;
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

pub use query::{ITEMS_LIMIT_DEFAULT, ITEMS_LIMIT_MAX};
/// The CRS of every collection (OGC CRS84: WGS-84 longitude, latitude).
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Media type of the OpenAPI 3.0 definition (`/req/oas30/oas-definition-1`).
pub const OPENAPI30_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";

/// Conformance classes implemented.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
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
    /// Every item inside `bbox` (all when `None`), in the same order as [`Self::items`],
    /// handed to `visit` one at a time (for filtering on the server).
    ///
    /// # Errors
    /// [`AppError`].
    fn scan(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        visit: &mut dyn FnMut(Value),
    ) -> Result<(), AppError>;
    /// Every property of the items, with types (`id` and `geometry` included): the Part 5
    /// schema, and what `properties` may name.
    fn schema(&self) -> Queryables;
    /// The properties filters and `sortby` may name: by default every scalar property of
    /// [`Self::schema`] and the geometry.
    fn queryables(&self) -> Queryables {
        Queryables(
            self.schema()
                .0
                .into_iter()
                .filter(|q| !matches!(q.kind, QueryableType::StringList | QueryableType::Json))
                .collect(),
        )
    }
    /// The property `datetime` applies to (an RFC 3339 string), when the items have one.
    fn temporal_property(&self) -> Option<&'static str> {
        None
    }
}

/// The schema of a service point feature (see `points::geojson::PointFeature`).
pub fn service_point_schema() -> Queryables {
    use QueryableType as T;
    Queryables(vec![
        Queryable::new("id", "编号 Id", T::String),
        Queryable::new("kind", "类型 Kind", T::String).one_of(&ServiceKind::codes()),
        Queryable::new(
            "kind_label_zh",
            "类型（中文）Kind label, Chinese",
            T::String,
        ),
        Queryable::new(
            "kind_label_en",
            "类型（英文）Kind label, English",
            T::String,
        ),
        Queryable::new("name", "名称 Name", T::String),
        Queryable::new("address", "地址 Address", T::String).nullable(),
        Queryable::new("adcode", "行政区划代码 Adcode (GB/T 2260)", T::String).nullable(),
        Queryable::new(
            "opening_hours",
            "营业时间 Opening hours (OSM syntax)",
            T::String,
        )
        .nullable(),
        Queryable::new("amenities", "设施 Amenities", T::StringList)
            .one_of(&crate::model::Amenity::codes()),
        Queryable::new("access", "进入方式 Access", T::String)
            .nullable()
            .one_of(&crate::model::AccessMethod::codes()),
        Queryable::new("operator", "运营方 Operator", T::String).nullable(),
        Queryable::new("phone", "电话 Phone", T::String).nullable(),
        Queryable::new("source", "来源 Source", T::String).nullable(),
        Queryable::new("updated_at", "更新时间 Updated at", T::DateTime).nullable(),
        Queryable::new("demo", "演示数据 Demo data", T::Boolean),
        Queryable::new("entrance", "入口 Entrance [lon, lat]", T::Json),
        Queryable::new("outline", "轮廓 Outline (Polygon coordinates)", T::Json),
        Queryable::new("nav_amap", "高德导航 Amap navigation link", T::String),
        Queryable::new("nav_baidu", "百度导航 Baidu navigation link", T::String),
        Queryable::new("geometry", "位置 Position", T::Geometry),
    ])
}

/// The built-in collection of one service kind, backed by the index.
#[derive(Debug, Clone, Copy)]
pub struct KindCollection(pub ServiceKind);

impl KindCollection {
    fn filter(&self) -> crate::index::Filter {
        crate::index::Filter {
            kinds: vec![self.0],
            ..Default::default()
        }
    }
}

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
        let page = state.index().page(bbox, &self.filter(), offset, limit);
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
    fn scan(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        visit: &mut dyn FnMut(Value),
    ) -> Result<(), AppError> {
        let page = state.index().page(bbox, &self.filter(), 0, usize::MAX);
        for p in &page.points {
            visit(point_feature(p));
        }
        Ok(())
    }
    fn schema(&self) -> Queryables {
        service_point_schema()
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

/// The API definition as OpenAPI 3.0 (for the oas30 conformance class), see [`openapi`].
#[utoipa::path(
    get,
    path = "/ogc/api",
    tag = "OGC API – Features",
    responses((status = 200, description = "OpenAPI 3.0 document of the OGC API (paths relative to the server URL …/ogc)", content_type = "application/vnd.oai.openapi+json;version=3.0"))
)]
pub async fn api_definition(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    uri: Uri,
) -> Result<Response, AppError> {
    Params::from_uri(&uri, &["f"])?;
    let doc = openapi::document(&state.config.public_base(), all.all());
    json_response(&doc, OPENAPI30_JSON)
}

fn collection_json(c: &dyn CollectionProvider, state: &AppState, base: &str) -> Value {
    let id = c.id();
    let mut v = json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": OgcCrs::ALL.map(OgcCrs::uri),
        "storageCrs": OgcCrs::Crs84.uri(),
        "links": [
            Link::new(format!("{base}/ogc/collections/{id}"), "self", JSON).titled("This collection"),
            Link::new(format!("{base}/ogc/collections/{id}?f=html"), "alternate", HTML).titled("This collection as HTML"),
            Link::new(format!("{base}/ogc/collections/{id}/items"), "items", GEOJSON).titled("Items as GeoJSON"),
            Link::new(format!("{base}/ogc/collections/{id}/items?f=html"), "items", HTML).titled("Items as HTML"),
            Link::new(format!("{base}/ogc/collections/{id}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", schema::SCHEMA_JSON).titled("Queryables"),
            Link::new(format!("{base}/ogc/collections/{id}/schema"), "http://www.opengis.net/def/rel/ogc/1.0/schema", schema::SCHEMA_JSON).titled("Schema of the features' properties"),
            Link::new(format!("{base}/ogc/collections/{id}/schema?profile=geojson-feature"), "describedBy", schema::SCHEMA_JSON).titled("JSON Schema of the GeoJSON features"),
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

/// The items of a collection.
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/items",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("bbox" = Option<String>, Query, description = "west,south,east,north (or 6 numbers with heights) in bbox-crs (default CRS84)"),
        ("bbox-crs" = Option<String>, Query, description = "CRS of bbox: CRS84, EPSG:4326, EPSG:4490 or EPSG:3857 URI"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100; larger values are reduced to 10000"),
        ("offset" = Option<usize>, Query, description = "Items to skip, default 0"),
        ("datetime" = Option<String>, Query, description = "RFC 3339 instant or interval over the collection's temporal property (suggestions: created_at); service points have none, so every point matches"),
        ("filter" = Option<String>, Query, description = "CQL2 filter over the queryables"),
        ("filter-lang" = Option<String>, Query, description = "cql2-text (default) or cql2-json"),
        ("filter-crs" = Option<String>, Query, description = "CRS of geometry literals in filter"),
        ("sortby" = Option<String>, Query, description = "Sort keys, e.g. name,-updated_at"),
        ("properties" = Option<String>, Query, description = "Only these properties"),
        ("crs" = Option<String>, Query, description = "CRS of the returned geometries (Content-Crs header)"),
        ("f" = Option<String>, Query, description = "json (GeoJSON) or html"),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection with numberMatched, numberReturned, timeStamp and paging links", content_type = "application/geo+json", body = super::points::geojson::FeatureCollectionDoc),
        (status = 400, description = "Bad parameter (filters: with the position)", content_type = "application/problem+json", body = Problem),
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
    let c = all.find(&id)?;
    let queryables = c.queryables();
    let mut allowed: Vec<&str> = query::ITEMS_PARAMS.to_vec();
    allowed.extend(query::queryable_params(&queryables));
    let p = Params::from_uri(&uri, &allowed)?;
    let fmt = format(&p, &headers)?;
    let req = query::ItemsRequest::parse(&p, c.as_ref())?;
    let mut page = {
        let (state, c, req) = (state.clone(), c.clone(), req.clone());
        blocking(move || query::run(&req, c.as_ref(), &state)).await?
    };
    for f in &mut page.features {
        query::shape_feature(f, req.properties.as_deref(), req.crs);
    }
    let (limit, offset) = (req.limit, req.offset);
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
    let content_crs = content_crs(req.crs);
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
            let mut r = json_response(&body, GEOJSON)?;
            r.headers_mut().insert("content-crs", content_crs);
            Ok(r)
        }
        Format::Html => {
            let (x, y) = match req.crs {
                OgcCrs::Epsg4326 | OgcCrs::Epsg4490 => ("纬度 lat", "经度 lon"),
                OgcCrs::Epsg3857 => ("x (m)", "y (m)"),
                OgcCrs::Crs84 => ("经度 lon", "纬度 lat"),
            };
            let mut body = format!(
                "<p>{} / {} (offset {offset})</p><table><tr><th>id</th><th>名称 Name</th><th>{x}</th><th>{y}</th></tr>",
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
            let mut r = html_page(&c.title(), &body);
            r.headers_mut().insert("content-crs", content_crs);
            Ok(r)
        }
    }
}

/// The `Content-Crs` header value (Part 2 `/req/crs/ogc-crs-header`): the URI in angle
/// brackets.
fn content_crs(crs: OgcCrs) -> HeaderValue {
    HeaderValue::from_str(&format!("<{}>", crs.uri())).unwrap_or(HeaderValue::from_static(
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
    ))
}

/// The queryables of a collection (Part 3).
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/queryables",
    tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses(
        (status = 200, description = "JSON Schema of the properties filters and sortby may name", content_type = "application/schema+json"),
        (status = 404, description = "No such collection", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn queryables_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    Params::from_uri(&uri, &["f"])?;
    let c = all.find(&id)?;
    let base = state.config.public_base();
    let doc = schema::queryables_doc(
        &format!("{base}/ogc/collections/{id}/queryables"),
        &c.title(),
        &c.queryables(),
    );
    json_response(&doc, schema::SCHEMA_JSON)
}

/// The schema of a collection's features (Part 5); with `profile=geojson-feature`, the
/// JSON Schema of whole GeoJSON features (what GDAL's `describedBy` reader expects).
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/schema",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("profile" = Option<String>, Query, description = "geojson-feature: the schema of whole GeoJSON features"),
    ),
    responses(
        (status = 200, description = "JSON Schema of the features' properties, with x-ogc-role", content_type = "application/schema+json"),
        (status = 404, description = "No such collection", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn schema_handler(
    State(state): State<AppState>,
    Extension(all): Extension<Collections>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["f", "profile"])?;
    let c = all.find(&id)?;
    let base = state.config.public_base();
    let url = format!("{base}/ogc/collections/{id}/schema");
    let doc = match p.one("profile")? {
        None => schema::schema_doc(&url, &c.title(), &c.schema(), c.temporal_property()),
        Some("geojson-feature") => schema::feature_schema_doc(
            &format!("{url}?profile=geojson-feature"),
            &c.title(),
            &c.schema(),
        ),
        Some(other) => {
            return Err(AppError::bad_choice(
                "profile",
                format!("`profile`: unknown profile `{other}`"),
                &["geojson-feature"],
            ))
        }
    };
    json_response(&doc, schema::SCHEMA_JSON)
}

/// One item.
#[utoipa::path(
    get,
    path = "/ogc/collections/{collectionId}/items/{featureId}",
    tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "Collection id"),
        ("featureId" = String, Path, description = "Feature id"),
        ("crs" = Option<String>, Query, description = "CRS of the geometry (Content-Crs header)"),
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
    let p = Params::from_uri(&uri, &["f", "crs"])?;
    let fmt = format(&p, &headers)?;
    let crs = query::output_crs(&p)?;
    let c = all.find(&id)?;
    let found = {
        let (state, fid) = (state.clone(), fid.clone());
        blocking(move || c.item(&state, &fid)).await?
    };
    let mut f = found
        .ok_or_else(|| AppError::NotFound(format!("no feature `{fid}` in collection `{id}`")))?;
    query::shape_feature(&mut f, None, crs);
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
            let mut r = json_response(&f, GEOJSON)?;
            r.headers_mut().insert("content-crs", content_crs(crs));
            Ok(r)
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
    tags((name = "OGC API – Features", description = "OGC API – Features Parts 1 (core, geojson, html, oas30), 2 (crs), 3 (queryables, CQL2 filter, sorting) and 5 (schemas); the OGC definition itself is /ogc/api"))
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
        .routes(routes!(queryables_handler))
        .routes(routes!(schema_handler))
        .layer(Extension(Collections::with(registered)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
