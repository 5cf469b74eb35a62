//! The admins' view of the notification outbox: `GET /api/v1/admin/outbox` (counts and
//! the latest rows, or only the given-up ones) and `POST /api/v1/admin/outbox/{seq}/retry`
//! (a given-up row due again now, its attempts reset). Email addresses are masked.

use super::super::auth::Admin;
use super::super::db::Db;
use super::super::error::{ApiQuery, AppError, Problem};
use super::super::AppState;
use crate::suggestions::outbox::{OutboxCounts, OutboxEntry};
use axum::extract::Path;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Filter of the outbox listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// `true`: only the rows given up after too many attempts. Default false: every row.
    pub failed: Option<bool>,
    /// 1–1000, default 100 (newest first).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// The outbox: counts and rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxReport {
    /// Pending, delivered and given-up rows.
    pub counts: OutboxCounts,
    /// The rows asked for, newest first.
    pub entries: Vec<OutboxEntry>,
}

/// `GET /api/v1/admin/outbox`
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "officers", params(OutboxParams),
    security(("bearer" = [])),
    responses((status = 200, body = OutboxReport),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn outbox(
    ApiQuery(p): ApiQuery<OutboxParams>,
    Admin(_admin): Admin,
    db: Db,
) -> Result<Json<OutboxReport>, AppError> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_param("limit", "limit must be 1–1000"));
    }
    let failed = p.failed.unwrap_or(false);
    Ok(Json(
        db.run(move |st| {
            Ok(OutboxReport {
                counts: st.outbox_counts(Utc::now())?,
                entries: st.outbox_entries(failed, limit as usize)?,
            })
        })
        .await?,
    ))
}

/// The answer to a retry.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// The row's sequence number.
    pub seq: i64,
    /// Always true (a row that was not given up answers 404).
    pub requeued: bool,
}

/// `POST /api/v1/admin/outbox/{seq}/retry`: a given-up row is due again now.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{seq}/retry", tag = "officers",
    params(("seq" = i64, Path, description = "Sequence number of the row")),
    security(("bearer" = [])),
    responses((status = 200, body = Requeued),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No given-up row with this number", body = Problem, content_type = "application/problem+json")))]
async fn retry(
    Path(seq): Path<String>,
    Admin(admin): Admin,
    db: Db,
) -> Result<Json<Requeued>, AppError> {
    let seq: i64 = seq
        .parse()
        .map_err(|_| AppError::bad_param("seq", "seq must be an integer"))?;
    let done = db
        .run(move |st| {
            let done = st.outbox_requeue(seq, Utc::now())?;
            if done {
                st.audit(Some(&admin), "outbox.retry", &seq.to_string(), "{}")?;
            }
            Ok(done)
        })
        .await?;
    if !done {
        return Err(AppError::NotFound(format!("no given-up outbox row {seq}")));
    }
    Ok(Json(Requeued {
        seq,
        requeued: true,
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(OutboxReport, Requeued, OutboxCounts, OutboxEntry, Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(outbox))
        .routes(routes!(retry))
}
