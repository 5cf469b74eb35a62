//! Operations endpoints: liveness (`/healthz`), readiness (`/readyz`), Prometheus metrics
//! (`/metrics`), the OpenAPI document (`/api/openapi.json`) and its documentation page
//! (`/api/docs`, self-contained: no CDN).

use super::error::{AppError, Problem};
use super::points::query::Params;
use super::AppState;
use crate::model::ServiceKind;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Liveness and readiness answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
    /// Points in the spatial index.
    pub points: usize,
    /// Of them, synthetic demonstration points (演示数据): not real stations.
    pub demo_points: usize,
    /// Whether a database is attached.
    pub database: bool,
    /// Server version.
    pub version: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    let index = state.index();
    Json(Health {
        status: "ok",
        points: index.len(),
        demo_points: index.demo_count(),
        database: state.store.is_some(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// What this API serves (`GET /api/v1`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiMetadata {
    /// `Nuanxin Map API (暖新地图)`.
    pub name: &'static str,
    /// Server version.
    pub version: &'static str,
    /// Service points served.
    pub points: usize,
    /// Of them, synthetic demonstration points (演示数据, each marked `demo: true`).
    pub demo_points: usize,
    /// True while any demonstration point is served: then every API response also carries
    /// the header `X-Demo-Data` with their number.
    pub demo: bool,
    /// A notice for people, Chinese first, while demonstration points are served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The OpenAPI document.
    pub openapi: &'static str,
}

/// The notice shown while demonstration points are served.
pub const DEMO_NOTICE: &str =
    "演示数据：本服务显示的部分或全部服务点是合成的演示点，不是真实驿站。 \
Demo data: some or all service points shown are synthetic, not real stations.";

/// What this API serves: version, points, and whether demonstration data is among them.
#[utoipa::path(get, path = "/api/v1", tag = "operations",
    responses((status = 200, description = "API metadata", body = ApiMetadata)))]
pub async fn metadata(State(state): State<AppState>) -> Json<ApiMetadata> {
    let index = state.index();
    let demo_points = index.demo_count();
    Json(ApiMetadata {
        name: "Nuanxin Map API (暖新地图)",
        version: env!("CARGO_PKG_VERSION"),
        points: index.len(),
        demo_points,
        demo: demo_points > 0,
        notice: (demo_points > 0).then(|| DEMO_NOTICE.to_string()),
        openapi: "/api/openapi.json",
    })
}

/// Readiness: the index is loaded (it is built before the listener opens, and snapshots
/// are lock-free) and, with a database, the database answers a cheap query within
/// 1.5 s (the answer is cached for 1 s, see `server::readiness`). While the database is
/// unreachable the answer is 503 with `Retry-After`: a load balancer sends new work to
/// other servers, while reads served from memory keep working here.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "Not ready: the database is unreachable", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    if let Some(store) = &state.store {
        state
            .db_health
            .check(store)
            .await
            .map_err(AppError::DatabaseUnavailable)?;
    }
    let index = state.index();
    Ok(Json(Health {
        status: "ok",
        points: index.len(),
        demo_points: index.demo_count(),
        database: state.store.is_some(),
        version: env!("CARGO_PKG_VERSION"),
    }))
}

/// Prometheus metrics: OpenMetrics 1.0.0 when `Accept` asks for
/// `application/openmetrics-text` (as Prometheus does), otherwise the classic text format
/// 0.0.4. Every family has HELP and TYPE.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics text: nuanxin_http_requests_total, nuanxin_http_request_duration_seconds, nuanxin_index_points, nuanxin_analyses_running, nuanxin_analyses_queued, nuanxin_analyses_stopped_total, nuanxin_build_info, process_* (Linux). OpenMetrics when `Accept: application/openmetrics-text`, else text format 0.0.4.", content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let index = state.index();
    for kind in ServiceKind::ALL {
        state
            .metrics
            .set_index_points(kind.as_str(), index.count_of_kind(*kind));
    }
    state.metrics.set_analyses(state.analyses.counts());
    if let Some(store) = state.store.clone() {
        // a database that does not answer leaves the last values (readiness reports it)
        if let Ok(Ok(c)) =
            tokio::task::spawn_blocking(move || store.outbox_counts(chrono::Utc::now())).await
        {
            state.metrics.set_outbox(&c);
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (content_type, body) = state.metrics.encode_for(accept);
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The OpenAPI document of the whole API, built once where the router is built
/// (`server::router`) and handed to the handlers that serve it as a request extension.
#[derive(Clone)]
pub struct ApiDoc(pub Arc<utoipa::openapi::OpenApi>);

/// The OpenAPI 3.1 document of the whole API, generated from the code.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(
    Extension(doc): Extension<ApiDoc>,
    uri: Uri,
) -> Result<Response, AppError> {
    Params::from_uri(&uri, &[])?;
    let body =
        serde_json::to_vec(&*doc.0).map_err(|e| AppError::Internal(format!("openapi: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The API documentation page: fetches `/api/openapi.json` and lists every path with its
/// parameters and responses. Self-contained (inline style, script from `/api/docs.js` —
/// `web/docs.js`, served with the page's other files by `server::web` — nothing downloaded
/// from elsewhere); served with [`DOCS_CSP`].
pub const DOCS_HTML: &str = r##"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>暖新地图 API 文档 · Nuanxin Map API</title>
<style>
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC",sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#222}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer} .m{display:inline-block;min-width:4.2rem;font-weight:600;font-family:monospace;color:#fff;border-radius:4px;text-align:center;margin-right:.5rem;padding:0 .3rem}
.get{background:#2b7bb9}.post{background:#3c9a5f}.patch{background:#b9862b}.delete{background:#b93b2b}.put{background:#7b2bb9}
code{font-family:monospace} table{border-collapse:collapse;margin:.4rem 0} td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
.desc{color:#555}
</style></head><body>
<h1>暖新地图 API 文档 <small>Nuanxin Map API</small></h1>
<p>机器可读文档 Machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1) ·
OGC API – Features: <a href="/ogc?f=html">/ogc</a> (<a href="/ogc/api">OpenAPI 3.0</a>)</p>
<div id="doc">加载中… Loading…</div>
<script src="/api/docs.js"></script>
</body></html>
"##;

/// The API documentation page.
#[utoipa::path(get, path = "/api/docs", tag = "operations",
    responses((status = 200, description = "HTML page rendering /api/openapi.json", content_type = "text/html")))]
pub async fn docs() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, DOCS_CSP),
        ],
        DOCS_HTML,
    )
        .into_response()
}

/// Content-Security-Policy of `/api/docs`: scripts only from this origin (no inline
/// script, no `eval`), inline style, data fetched only from this origin, no plugins, frames,
/// forms or `<base>`.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(Health, ApiMetadata, Problem)),
    tags((name = "operations", description = "Health, readiness, metrics and API documents"))
)]
struct OpsApi;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<OpsApi as utoipa::OpenApi>::openapi())
        .routes(routes!(healthz))
        .routes(routes!(metadata))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
}
