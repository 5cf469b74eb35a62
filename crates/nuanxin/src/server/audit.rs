//! Officers' own records: `GET /api/v1/admin/whoami` (the caller's token record) and the
//! audit log `GET /api/v1/admin/audit` (admins). Also declares the `bearer` security scheme
//! of the OpenAPI document.

use super::auth::{Admin, Officer};
use super::db::Db;
use super::error::{ApiQuery, AppError, Problem};
use super::AppState;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The caller's token record.
#[utoipa::path(get, path = "/api/v1/admin/whoami", tag = "officers", security(("bearer" = [])),
    responses((status = 200, body = crate::suggestions::Officer),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn whoami(Officer(o): Officer) -> Json<crate::suggestions::Officer> {
    Json(o)
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// 1–1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// 0–1000000000, default 0.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// `GET /api/v1/admin/audit`
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "officers", params(AuditParams),
    security(("bearer" = [])),
    responses((status = 200, body = [crate::suggestions::AuditEntry]),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn audit(
    ApiQuery(p): ApiQuery<AuditParams>,
    Admin(_admin): Admin,
    db: Db,
) -> Result<Json<Vec<crate::suggestions::AuditEntry>>, AppError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_param("limit", "limit must be 1–1000"));
    }
    let (limit, offset) = (limit as usize, AppError::check_offset(p.offset)?);
    Ok(Json(
        db.run(move |st| Ok(st.audit_log(limit, offset)?)).await?,
    ))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    modifiers(&BearerScheme),
    components(schemas(crate::suggestions::AuditEntry, crate::suggestions::Officer, Problem))
)]
struct Doc;

/// Adds the `bearer` security scheme (officer tokens) the officers' operations name.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let comps = doc.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            utoipa::openapi::security::SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some("Officer token from `nuanxin admin create-token`"))
                    .build(),
            ),
        );
    }
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(whoami))
        .routes(routes!(audit))
}
