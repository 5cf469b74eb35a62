//! The one error type of the HTTP layer, rendered as RFC 9457 `application/problem+json`,
//! and extractors whose rejections use it.
//!
//! Handlers return `Result<_, AppError>`; library errors convert into it with `From` impls
//! kept next to the module that owns the HTTP mapping. Bad input is always a 4xx.

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
    /// 413: the body is too large.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// 415: unsupported media type.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 429: too many requests.
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    /// 503: not ready.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an I/O failure; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 naming `param`.
    pub fn bad_param(param: impl Into<String>, detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            param: Some(param.into()),
            detail: detail.into(),
            valid: None,
        }
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
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        if let AppError::Internal(msg) = &self {
            tracing::error!(error = %msg, "internal error");
        }
        let status = self.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<crate::model::CoordError> for AppError {
    fn from(e: crate::model::CoordError) -> Self {
        let param = match &e {
            crate::model::CoordError::NotFinite { field } => *field,
            crate::model::CoordError::LonOutOfRange(_) => "lon",
            crate::model::CoordError::LatOutOfRange(_) => "lat",
        };
        AppError::bad_param(param, e.to_string())
    }
}

impl From<crate::model::BboxError> for AppError {
    fn from(e: crate::model::BboxError) -> Self {
        AppError::bad_param("bbox", e.to_string())
    }
}

impl From<crate::model::UnknownCode> for AppError {
    fn from(e: crate::model::UnknownCode) -> Self {
        let param = e.what.replace(' ', "_");
        AppError::bad_choice(param, e.to_string(), &e.valid)
    }
}

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
                // serde_urlencoded messages look like "Failed to deserialize query string: missing field `lon`"
                let param = text.split('`').nth(1).map(str::to_string);
                Err(AppError::BadRequest {
                    param,
                    detail: text,
                    valid: None,
                })
            }
        }
    }
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
                    _ => {
                        let param = text.split('`').nth(1).map(str::to_string);
                        AppError::BadRequest {
                            param,
                            detail: text,
                            valid: None,
                        }
                    }
                })
            }
        }
    }
}
