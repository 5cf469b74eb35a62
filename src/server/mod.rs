//! The HTTP layer (axum): thin handlers over the library.
//!
//! One module per area, each exposing `router()` and `openapi()`; this file only composes
//! them and adds the cross-cutting layers. Errors are [`error::AppError`], rendered as
//! RFC 9457 problem+json.

pub mod config;
pub mod coverage;
pub mod error;
pub mod metrics;
pub mod ogc;
pub mod open311;
pub mod ops;
pub mod points;
pub mod state;
pub mod suggestions;
pub mod web;

pub use config::Config;
pub use error::{ApiJson, ApiQuery, AppError, Problem};
pub use state::AppState;

use axum::Router;

/// The whole application: every area's routes with `state`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(points::router())
        .merge(ogc::router())
        .merge(ops::router())
        .merge(suggestions::router())
        .merge(open311::router())
        .merge(coverage::router())
        .merge(web::router())
        .with_state(state)
}

/// The OpenAPI document: every area's paths merged.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Nuanxin Map API (暖新地图)")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .build();
    for part in [
        points::openapi(),
        ogc::openapi(),
        ops::openapi(),
        suggestions::openapi(),
        open311::openapi(),
        coverage::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}
