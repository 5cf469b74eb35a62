//! (stub) routes of this area; owned by the issue that builds it.

use super::AppState;
use axum::Router;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
}

/// OpenAPI paths of this module, merged into `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApiBuilder::new().build()
}
