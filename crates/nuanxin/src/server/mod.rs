//! The HTTP layer (axum): thin handlers over the library.
//!
//! One module per area, each exposing `router()` and `openapi()`; this file only composes
//! them and adds the cross-cutting layers. Errors are [`error::AppError`], rendered as
//! RFC 9457 problem+json.
//!
//! Layers, outermost first, all applied to every route in one `Router::layer` call (axum
//! boxes and clones each layer of that call per request, so one call costs one indirection):
//! the edge ([`Edge`]: request id `x-request-id`, kept when the client sends one and echoed
//! in the response; a tracing span per request carrying the id, with the access log line at
//! INFO and 5xx at ERROR; `X-Content-Type-Options: nosniff` and, while demonstration points
//! are served, `X-Demo-Data` on every response) → CORS (when `cors_origins` is set) → gzip /
//! brotli compression (responses over 1 KiB, level 4) → metrics per matched route, timeout
//! (`request_timeout_s`, answered with a 503 problem) and problem+json for error responses
//! that have no body of their own (405, 413) → body-size limit (`body_limit_bytes`, 413).
//!
//! Other modules must not install a router-wide `fallback`: unknown paths get the 404
//! problem defined here.

pub mod admin_points;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod config;
pub mod conn_io;
pub mod coverage;
pub mod db;
pub mod districts;
pub mod error;
pub mod exposition;
pub mod feeds;
pub mod forwarded;
pub mod kpis;
pub mod listen;
pub mod metrics;
pub mod notify;
pub mod officer;
pub mod ogc;
pub mod open311;
pub mod open311_xml;
pub mod openapi_errors;
pub mod ops;
pub mod point_sync;
pub mod points;
pub mod precompressed;
pub mod rate_limit;
pub mod readiness;
pub mod redact;
pub mod search;
pub mod state;
pub mod stats;
pub mod suggestions;
pub mod throttle;
pub mod tile_cache;
pub mod tiles;
pub mod vector_tiles;
pub mod vocabulary;
pub mod web;
pub mod whatif;

pub use config::Config;
pub use error::{ApiJson, ApiQuery, AppError, Problem};
pub use state::AppState;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use utoipa_axum::router::OpenApiRouter;

/// The whole application: every area's routes with `state` and the cross-cutting layers.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let compression = CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(
            SizeAbove::new(1024)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        );
    let (routes, mut doc) = api().split_for_parts();
    openapi_errors::document(&mut doc);
    let stack = tower::ServiceBuilder::new()
        .layer(EdgeLayer {
            ids: RequestIds::default(),
            index: state.index.clone(),
        })
        .option_layer(cors_layer(&config.cors_origins))
        .layer(compression)
        .layer(ObserveLayer {
            metrics: state.metrics.clone(),
            timeout: Duration::from_secs(config.request_timeout_s.max(1)),
        })
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(DefaultBodyLimit::max(config.body_limit_bytes))
        .layer(axum::Extension(ops::ApiDoc(Arc::new(doc))));
    // One `layer` call: axum boxes the service of every route once per call, so a single
    // composed stack costs one indirection per request instead of one per layer.
    routes
        // files of the page (vector tiles, the page itself): not API operations
        .merge(tiles::router())
        .merge(web::router())
        .fallback(not_found)
        .layer(stack)
        .with_state(state)
}

/// The outermost layer, doing in one service (no boxed future) what five layers did:
///
/// - the request id (`x-request-id`): the client's when it sends one, else a new
///   [`RequestIds`] one set on the request, and echoed in the response unless the response
///   has its own;
/// - a tracing span `request` with the id, method and URI (secret query parameters
///   redacted, [`redact::loggable_uri`]; built only when INFO is enabled) around the inner
///   layers, the access log line at INFO (`finished processing request`, latency in µs,
///   status) and `response failed` at ERROR for a 5xx, as tower-http's `TraceLayer` wrote;
/// - `X-Content-Type-Options: nosniff` on every response (CORS preflights and the problem
///   bodies of the other layers included): browsers must not guess a script or HTML type
///   for a JSON or text body;
/// - `X-Demo-Data: <n>` on every response (APIs, `/healthz`, `/metrics`, tiles, the page)
///   while the server serves `n` > 0 demonstration points (演示数据), so that no client or
///   monitor mistakes them for real stations.
#[derive(Clone)]
struct EdgeLayer {
    ids: RequestIds,
    index: Arc<crate::index::live::LiveIndex>,
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = Edge<S>;
    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            ids: self.ids.clone(),
            index: self.index.clone(),
        }
    }
}

/// The service of [`EdgeLayer`].
#[derive(Clone)]
struct Edge<S> {
    inner: S,
    ids: RequestIds,
    index: Arc<crate::index::live::LiveIndex>,
}

/// `x-request-id`.
const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

impl<S, ReqBody, ResBody> tower::Service<axum::http::Request<ReqBody>> for Edge<S>
where
    S: tower::Service<axum::http::Request<ReqBody>, Response = axum::http::Response<ResBody>>,
    S::Future: Unpin,
{
    type Response = axum::http::Response<ResBody>;
    type Error = S::Error;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: axum::http::Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let id = match req.headers().get(X_REQUEST_ID) {
            Some(id) => id.clone(),
            None => {
                let id = self.ids.next();
                req.headers_mut().insert(X_REQUEST_ID, id.clone());
                id
            }
        };
        // Secret query parameters (`?receipt=`, `?token=`) never reach the log. The
        // redacted copy is made only when the span is enabled (the macro evaluates its
        // fields only then): below INFO a request costs no string for its log.
        let span = tracing::info_span!(
            "request",
            id = id.to_str().unwrap_or("-"),
            method = %req.method(),
            uri = %redact::loggable_uri(req.uri())
        );
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        EdgeFuture {
            inner,
            span,
            start,
            id: Some(id),
            index: self.index.clone(),
        }
    }
}

/// The response future of [`Edge`]: polls the inner future in the request's span, then
/// logs and sets the headers.
struct EdgeFuture<F> {
    inner: F,
    span: tracing::Span,
    start: Instant,
    id: Option<HeaderValue>,
    index: Arc<crate::index::live::LiveIndex>,
}

impl<F, B, E> std::future::Future for EdgeFuture<F>
where
    F: std::future::Future<Output = Result<axum::http::Response<B>, E>> + Unpin,
{
    type Output = Result<axum::http::Response<B>, E>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.get_mut();
        let _entered = this.span.enter();
        let mut resp = match std::pin::Pin::new(&mut this.inner).poll(cx) {
            std::task::Poll::Pending => return std::task::Poll::Pending,
            std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
            std::task::Poll::Ready(Ok(resp)) => resp,
        };
        let status = resp.status();
        let micros = || this.start.elapsed().as_micros();
        tracing::info!(
            latency = %format_args!("{} μs", micros()),
            status = status.as_u16(),
            "finished processing request"
        );
        if status.is_server_error() {
            tracing::error!(
                classification = %format_args!("Status code: {status}"),
                latency = %format_args!("{} μs", micros()),
                "response failed"
            );
        }
        let headers = resp.headers_mut();
        if let Some(id) = this.id.take() {
            if !headers.contains_key(X_REQUEST_ID) {
                headers.insert(X_REQUEST_ID, id);
            }
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let demo = this.index.snapshot().demo_count();
        if demo > 0 {
            headers.insert("x-demo-data", HeaderValue::from(demo as u64));
        }
        std::task::Poll::Ready(Ok(resp))
    }
}

/// CORS for `origins`: `None` when empty (same origin only), any origin for `["*"]`.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                axum::http::Method::GET,
                axum::http::Method::POST,
                axum::http::Method::PATCH,
                axum::http::Method::PUT,
                axum::http::Method::DELETE,
                axum::http::Method::OPTIONS,
            ])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
            .expose_headers([
                header::HeaderName::from_static("x-request-id"),
                header::HeaderName::from_static("x-demo-data"),
            ])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Request ids `<boot>-<n>`: a per-process prefix (start time, eight hex digits) and a
/// counter. Cheaper than a UUID and unique within a deployment's log retention.
#[derive(Clone)]
struct RequestIds {
    /// `<boot>-`.
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for RequestIds {
    fn default() -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32 ^ d.subsec_nanos())
            .unwrap_or(0);
        Self {
            prefix: format!("{boot:08x}-").into(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl RequestIds {
    /// The next id.
    fn next(&self) -> HeaderValue {
        use std::fmt::Write;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut id = String::with_capacity(self.prefix.len() + 20);
        id.push_str(&self.prefix);
        // Writing into a String cannot fail.
        let _ = write!(id, "{n}");
        // Hex digits, `-` and decimal digits: always a valid header value.
        HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("-"))
    }
}

/// 404 problem for every path no route matches.
async fn not_found(req: Request) -> AppError {
    AppError::NotFound(format!("no resource at `{}`", req.uri().path()))
}

/// Metrics, timeout and problem bodies in one layer: times the request out after `timeout`
/// (503), gives error responses produced outside the handlers (axum's 405, tower-http's 413,
/// the timeout) an RFC 9457 problem body keeping their status and headers, and records the
/// request in the metrics under its matched route template.
#[derive(Clone)]
struct ObserveLayer {
    metrics: Arc<metrics::Metrics>,
    timeout: Duration,
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.metrics.clone(),
            timeout: self.timeout,
        }
    }
}

#[derive(Clone)]
struct Observe<S> {
    inner: S,
    metrics: Arc<metrics::Metrics>,
    timeout: Duration,
}

impl<S, ReqBody, ResBody> tower::Service<axum::http::Request<ReqBody>> for Observe<S>
where
    S: tower::Service<axum::http::Request<ReqBody>, Response = axum::http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Response, S::Error>> + Send + 'static>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        let fut = self.inner.call(req);
        let metrics = self.metrics.clone();
        let timeout = self.timeout;
        Box::pin(async move {
            let resp = match tokio::time::timeout(timeout, fut).await {
                Ok(r) => problem_for_bare_error(r?.map(Body::new), &method),
                Err(_) => AppError::Unavailable(format!(
                    "the request took longer than the configured timeout of {} s (request_timeout_s)",
                    timeout.as_secs()
                ))
                .into_response(),
            };
            metrics.observe(
                method.as_str(),
                route.as_ref().map_or("unmatched", |r| r.as_str()),
                resp.status().as_u16(),
                start.elapsed(),
            );
            Ok(resp)
        })
    }
}

/// Gives an error response without a JSON (or XML: Open311's `<errors>`) body an RFC 9457
/// problem body.
fn problem_for_bare_error(resp: Response, method: &axum::http::Method) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json") || ct.contains("xml"));
    if is_json {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "method {method} is not allowed for this resource; the Allow header lists those that are"
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the request body exceeds the configured limit (body_limit_bytes)".to_string()
        }
        s => s.canonical_reason().unwrap_or("error").to_string(),
    };
    let problem = Problem {
        type_: "about:blank".to_string(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        param: None,
        valid: None,
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(error::PROBLEM_JSON),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// Every API route with its OpenAPI operation, registered together (`utoipa_axum`'s
/// `routes!` takes the path and methods from each handler's `#[utoipa::path]`), so an API
/// route cannot exist undocumented. Only files (the web page, `/api/docs.js`) and aliases
/// (`/ogc/`, Open311's `{id}.json` and `.xml` forms, documented apart by
/// `open311::document_xml_forms` since axum captures whole segments) are routed without an
/// operation of their own.
///
/// OGC API collections beyond the built-in kinds are registered here, so the OGC module
/// needs to know no other module.
pub fn api() -> OpenApiRouter<AppState> {
    let ogc_collections: Vec<Arc<dyn ogc::CollectionProvider>> =
        vec![Arc::new(suggestions::collection::SuggestionsCollection)];
    let info = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Nuanxin Map API (暖新地图)")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Service points for gig workers: nearest, within a radius, by bbox; \
                     OGC API – Features; operations. Errors are RFC 9457 problem+json.",
                ))
                .build(),
        )
        .build();
    OpenApiRouter::with_openapi(info)
        .merge(points::router())
        .merge(districts::router())
        .merge(ogc::router(ogc_collections))
        .merge(ops::router())
        .merge(suggestions::router())
        .merge(campaigns::router())
        .merge(stats::router())
        .merge(kpis::router())
        .merge(officer::router())
        .merge(feeds::router())
        .merge(audit::router())
        .merge(notify::admin::router())
        .merge(admin_points::router())
        .merge(open311::router())
        .merge(coverage::router())
        .merge(whatif::router())
        .merge(search::router())
        .merge(vocabulary::router())
        .merge(vector_tiles::router())
        .merge(web::api_router())
}

/// The OpenAPI document of every route in [`api`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().into_openapi();
    openapi_errors::document(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::{Layer, ServiceExt};

    #[tokio::test]
    async fn slow_requests_time_out_with_a_503_problem_and_are_counted() {
        let metrics = Arc::new(metrics::Metrics::default());
        let layer = ObserveLayer {
            metrics: metrics.clone(),
            timeout: Duration::from_millis(20),
        };
        let slow = tower::service_fn(|_req: axum::http::Request<Body>| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, std::convert::Infallible>(Response::new(Body::empty()))
        });
        let resp = layer
            .layer(slow)
            .oneshot(axum::http::Request::new(Body::empty()))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], error::PROBLEM_JSON);
        assert!(metrics.encode().contains(
            r#"nuanxin_http_requests_total{method="GET",route="unmatched",status="503"} 1"#
        ));
    }
}
