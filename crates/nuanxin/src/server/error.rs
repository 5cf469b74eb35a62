//! The one error type of the HTTP layer, rendered as RFC 9457 `application/problem+json`,
//! and extractors whose rejections use it.
//!
//! Handlers return `Result<_, AppError>`. Core errors convert into it in one place,
//! [`AppError::classified`], by the class the core gives them (`nuanxin_core::error`:
//! invalid input naming the parameter, not found, conflict, unavailable, internal, …), so a
//! new error variant gets its HTTP status where it is defined. Bad input is always a 4xx.

use crate::error::{report, Classify, ErrorClass};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Media type of problem details (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem detail object (RFC 9457 §3.1) as sent to clients.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence, naming the bad parameter.
    pub detail: String,
    /// The request parameter or field at fault, when there is one (extension member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Valid values, when the parameter takes one of a closed list (extension member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid: Option<Vec<String>>,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: a parameter or field is missing or invalid.
    #[error("{detail}")]
    BadRequest {
        /// Parameter or field name.
        param: Option<String>,
        /// What is wrong, for a person.
        detail: String,
        /// Accepted values, if a closed list.
        valid: Option<Vec<String>>,
    },
    /// 401: no or unknown bearer token.
    #[error("authentication required: {0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: no such resource.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: conflicts with the current state (e.g. an invalid status transition).
    #[error("conflict: {0}")]
    Conflict(String),
    /// 422: well-formed but refused as it stands (an `Idempotency-Key` reused for other
    /// content).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// 413: the body is too large.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// 415: unsupported media type.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 429: too many requests; the response carries `Retry-After: retry_after_s`
    /// (RFC 9110 §10.2.3).
    #[error("too many requests: {detail}")]
    TooManyRequests {
        /// What limit was hit, for a person.
        detail: String,
        /// Seconds until a retry may succeed (an upper bound).
        retry_after_s: u64,
    },
    /// 503: not ready.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 503 with `Retry-After: retry_after_s`: too busy now (the analysis queue is full).
    #[error("unavailable: {detail}")]
    Overloaded {
        /// What is full, for a person.
        detail: String,
        /// Seconds until a retry may succeed (an estimate).
        retry_after_s: u64,
    },
    /// 503: the database cannot be reached (lost or refused connection, failover under
    /// way); the response carries `Retry-After: DATABASE_RETRY_AFTER_S`. Reads served from
    /// memory keep working meanwhile.
    #[error("the database is unreachable, retry shortly: {0}")]
    DatabaseUnavailable(String),
    /// 500: a bug or an I/O failure; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// `Retry-After` seconds of a 503 for an unreachable database: about the time a standby
/// takes to be promoted and the servers to reconnect.
pub const DATABASE_RETRY_AFTER_S: u64 = 2;

/// Largest `offset` a list endpoint accepts (400 beyond): far past any real list, and
/// within SQLite's 64-bit integers.
pub const MAX_OFFSET: u64 = 1_000_000_000;
/// Most items in a comma-separated list parameter (`status=open,closed`); 400 beyond.
pub const MAX_LIST_ITEMS: usize = 50;

impl AppError {
    /// A 400 naming `param`.
    pub fn bad_param(param: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            param: Some(param.into()),
            detail: detail.into(),
            valid: None,
        }
    }

    /// The `offset` query parameter checked against [`MAX_OFFSET`] (default 0).
    ///
    /// # Errors
    /// A 400 naming `offset` beyond the range.
    pub fn check_offset(offset: Option<u64>) -> Result<usize, Self> {
        match offset.unwrap_or(0) {
            o if o <= MAX_OFFSET => Ok(o as usize),
            o => Err(AppError::bad_param(
                "offset",
                format!("offset {o} is out of range 0–{MAX_OFFSET}"),
            )),
        }
    }

    /// The items of a comma-separated list parameter (trimmed, empty items dropped), at most
    /// [`MAX_LIST_ITEMS`].
    ///
    /// # Errors
    /// A 400 naming `param` when the list is longer.
    pub fn list_items<'a>(param: &str, s: &'a str) -> Result<Vec<&'a str>, Self> {
        let items: Vec<&str> = s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if items.len() > MAX_LIST_ITEMS {
            return Err(AppError::bad_param(
                param,
                format!(
                    "{} items; a list takes at most {MAX_LIST_ITEMS}",
                    items.len()
                ),
            ));
        }
        Ok(items)
    }

    /// A 400 naming `param` and listing the accepted values.
    pub fn bad_choice(param: impl Into<String>, detail: impl Into<String>, valid: &[&str]) -> Self {
        AppError::BadRequest {
            param: Some(param.into()),
            detail: detail.into(),
            valid: Some(valid.iter().map(|s| s.to_string()).collect()),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_)
            | AppError::Overloaded { .. }
            | AppError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Headers this error adds to any response carrying it (`WWW-Authenticate` on 401,
    /// `Retry-After` on 429, on a full analysis queue's 503 and on 503 for an unreachable
    /// database), whatever the body format (problem+json, GeoReport).
    pub fn add_headers(&self, headers: &mut header::HeaderMap) {
        match self {
            AppError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            AppError::TooManyRequests { retry_after_s, .. }
            | AppError::Overloaded { retry_after_s, .. } => {
                headers.insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(*retry_after_s),
                );
            }
            AppError::DatabaseUnavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(DATABASE_RETRY_AFTER_S),
                );
            }
            _ => {}
        }
    }

    /// The problem object sent for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (param, valid) = match self {
            AppError::BadRequest { param, valid, .. } => (param.clone(), valid.clone()),
            _ => (None, None),
        };
        let detail = match self {
            AppError::Internal(_) => "an internal error occurred; it has been logged".to_string(),
            AppError::DatabaseUnavailable(_) => format!(
                "the database is unreachable (a restart or failover under way); retry in \
                 {DATABASE_RETRY_AFTER_S} s. 数据库暂时无法连接，请稍后重试"
            ),
            other => other.to_string(),
        };
        Problem {
            type_: "about:blank".to_string(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            param,
            valid,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(msg) => tracing::error!(error = %msg, "internal error"),
            AppError::DatabaseUnavailable(msg) => {
                tracing::warn!(error = %msg, "database unreachable")
            }
            _ => {}
        }
        let status = self.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        self.add_headers(resp.headers_mut());
        resp
    }
}

impl AppError {
    /// The one mapping of a core error to HTTP, by its [`ErrorClass`]: invalid input → 400
    /// naming the parameter (and the valid values), too large → 413, not found → 404,
    /// conflict → 409, unprocessable → 422, unavailable → 503, storage unavailable → 503 with
    /// `Retry-After`, internal → 500 (the error and its `source` chain are logged, not sent).
    pub fn classified<E: Classify + 'static>(e: &E) -> Self {
        let detail = e.detail();
        match e.class() {
            ErrorClass::InvalidInput { param, valid } => AppError::BadRequest {
                param,
                detail,
                valid,
            },
            ErrorClass::TooLarge => AppError::PayloadTooLarge(detail),
            ErrorClass::NotFound => AppError::NotFound(detail),
            ErrorClass::Conflict => AppError::Conflict(detail),
            ErrorClass::Unprocessable => AppError::Unprocessable(detail),
            ErrorClass::Unavailable => AppError::Unavailable(detail),
            ErrorClass::StorageUnavailable => AppError::DatabaseUnavailable(report(e)),
            ErrorClass::Internal => AppError::Internal(report(e)),
        }
    }
}

/// `From` for every classified core error, through [`AppError::classified`].
macro_rules! from_classified {
    ($($t:ty),+ $(,)?) => {
        $(impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::classified(&e)
            }
        })+
    };
}

from_classified!(
    crate::model::CoordError,
    crate::model::BboxError,
    crate::model::ServicePointError,
    crate::model::UnknownCode,
    crate::index::IndexError,
    crate::search::PositionError,
    crate::suggestions::SuggestionError,
    crate::suggestions::StoreError,
    crate::coverage::CoverageError,
    crate::coverage::input::InputError,
    crate::coverage::whatif::WhatIfError,
    crate::travel::UnknownMode,
);

/// Query-string extractor whose rejection is a 400 problem naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => {
                let text = rej.body_text();
                let param = param_from_rejection(&text);
                Err(AppError::BadRequest {
                    param,
                    detail: text,
                    valid: None,
                })
            }
        }
    }
}

/// The parameter or field a query-string or JSON rejection of axum is about, `None` when
/// the text does not say.
///
/// axum's messages are `<prefix>: <path>: <serde message>`, where `<path>` comes from
/// `serde_path_to_error` (`limit`, `location.lon`, `tags[0]`), or `<prefix>: missing field
/// \`lon\`` / `unknown field \`x\`, expected ...` without a path. Back-quoted tokens in
/// other messages are values (`invalid value: integer \`-1\``), never the name.
fn param_from_rejection(text: &str) -> Option<String> {
    let mut rest = text.split_once(": ").map_or(text, |(_, r)| r);
    let mut path = None;
    if let Some((head, tail)) = rest.split_once(": ") {
        let looks_like_path = !head.is_empty()
            && head != "."
            && head
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.[]-".contains(&b));
        if looks_like_path {
            path = Some(head);
            rest = tail;
        }
    }
    // A missing field inside a nested object: the path names the object, the message the
    // field.
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(name) = rest.strip_prefix(marker).and_then(|r| r.split('`').next()) {
            return Some(match path {
                // For unknown fields the path already ends with the field.
                Some(p) if p == name || p.ends_with(&format!(".{name}")) => p.to_string(),
                Some(p) => format!("{p}.{name}"),
                None => name.to_string(),
            });
        }
    }
    path.map(str::to_string)
}

impl AppError {
    /// A 400 for a JSON body that does not decode into its type, naming the field at fault
    /// by its JSON path (`opening_hours`, `amenities[2]`, `location.lon`; the missing or
    /// unknown field for those errors; `body` for the body as a whole) in `param`, and the
    /// path, the bad value and the reason in `detail`. Regression (polish5, item 5): the
    /// admin points body named the bad value (`Mo-Zz 25:00`, `sauna`) as `param`.
    pub fn json_body(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let text = if path == "." {
            format!("body: {inner}")
        } else {
            format!("body: {path}: {inner}")
        };
        let param = param_from_rejection(&text).unwrap_or_else(|| "body".to_string());
        AppError::BadRequest {
            detail: if path == "." || inner.contains(&format!("`{param}`")) {
                inner
            } else {
                format!("`{param}`: {inner}")
            },
            param: Some(param),
            valid: None,
        }
    }
}

/// The schema a JSON body of the wrong type at its root was expected to be (`invalid type:
/// sequence, expected struct CoverageRequest` → `CoverageRequest`), `None` for other errors
/// (those inside the object name their field).
fn root_type_error(text: &str) -> Option<String> {
    if param_from_rejection(text).is_some() {
        return None;
    }
    // serde: `invalid type: sequence, expected struct X` (`"x"`, `1`) or `invalid length 0,
    // expected struct X with 13 elements` (`[]`: derived structs also accept sequences).
    let expected = text.split("expected struct ").nth(1)?;
    let name = expected
        .trim_start_matches("struct ")
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// JSON body extractor whose rejection is a 4xx problem (400 syntax/data, 413 too large,
/// 415 wrong content type).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => {
                let status = rej.status();
                let text = rej.body_text();
                Err(match status {
                    StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(text),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(text),
                    _ => match root_type_error(&text) {
                        // `[]` or `"x"` where an object is expected: say what is.
                        Some(expected) => AppError::BadRequest {
                            param: Some("body".to_string()),
                            detail: format!(
                                "the request body must be a JSON object with the fields of {expected} (see its schema in /api/openapi.json); {text}"
                            ),
                            valid: None,
                        },
                        None => AppError::BadRequest {
                            param: param_from_rejection(&text),
                            detail: text,
                            valid: None,
                        },
                    },
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::{get, post};
    use axum::Router;
    use tower::ServiceExt;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        lon: f64,
        open: Option<bool>,
        limit: Option<usize>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        lon: f64,
        lat: f64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct B {
        resolution: u8,
        location: Option<Inner>,
    }

    /// The `param` of the problem a tiny router answers for `req`.
    async fn param_of(req: axum::http::Request<Body>) -> Option<String> {
        let app = Router::new()
            .route("/q", get(|ApiQuery(_q): ApiQuery<Q>| async { "ok" }))
            .route("/b", post(|ApiJson(_b): ApiJson<B>| async { "ok" }));
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        v["param"].as_str().map(str::to_string)
    }

    fn get_req(uri: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(uri).body(Body::empty()).unwrap()
    }

    fn post_json(body: &str) -> axum::http::Request<Body> {
        axum::http::Request::post("/b")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn query_rejections_name_the_parameter_not_the_value() {
        assert_eq!(
            param_of(get_req("/q?lon=1&open=abc")).await.as_deref(),
            Some("open")
        );
        assert_eq!(
            param_of(get_req("/q?lon=1&limit=abc")).await.as_deref(),
            Some("limit")
        );
        assert_eq!(param_of(get_req("/q?lon=x")).await.as_deref(), Some("lon"));
        assert_eq!(
            param_of(get_req("/q?open=true")).await.as_deref(),
            Some("lon")
        );
    }

    #[tokio::test]
    async fn json_rejections_name_the_field_not_the_value() {
        assert_eq!(
            param_of(post_json(r#"{"resolution":-1}"#)).await.as_deref(),
            Some("resolution")
        );
        assert_eq!(
            param_of(post_json(r#"{}"#)).await.as_deref(),
            Some("resolution")
        );
        assert_eq!(
            param_of(post_json(r#"{"resolution":7,"x":1}"#))
                .await
                .as_deref(),
            Some("x")
        );
        assert_eq!(
            param_of(post_json(r#"{"resolution":7,"location":{"lat":1}}"#))
                .await
                .as_deref(),
            Some("location.lon")
        );
        assert_eq!(
            param_of(post_json(
                r#"{"resolution":7,"location":{"lon":"a","lat":1}}"#
            ))
            .await
            .as_deref(),
            Some("location.lon")
        );
        // Syntax errors name no parameter.
        assert_eq!(param_of(post_json(r#"{"resolution" 7}"#)).await, None);
        // A body of the wrong type names the body and what it must be (regression: `[]`
        // to POST /api/v1/coverage gave serde's message naming no parameter).
        assert_eq!(param_of(post_json(r#"[1]"#)).await.as_deref(), Some("body"));
    }
}
