//! `GET /api/v1/stats/kpis`: handling KPIs per district, category and month (median time
//! to the first answer and to resolution, share answered within the deadline, overdue
//! count), as JSON or CSV (`format=csv`: UTF-8 with BOM, Beijing time). Deadlines come
//! from `[deadlines]` of the configuration, in working days (see
//! `nuanxin_core::suggestions::deadlines` for how they are counted).

use super::db::Db;
use super::error::{ApiQuery, AppError, Problem};
use super::suggestions::read::{expand_adcode, parse_time};
use super::AppState;
use crate::suggestions::deadlines::DeadlinePolicy;
use crate::suggestions::{kpi, Category, ListQuery};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// KPI query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// County or city adcode (a city gives rows for each of its counties); all if absent.
    pub adcode: Option<String>,
    /// Category code; all if absent.
    pub category: Option<String>,
    /// Only suggestions submitted at or after (RFC 3339 or YYYY-MM-DD, China time).
    pub since: Option<String>,
    /// Only suggestions submitted before (RFC 3339 or YYYY-MM-DD, China time).
    pub until: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The KPI table.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpiResponse {
    /// When computed (UTC); "overdue" and "due" are as of this time.
    pub generated_at: DateTime<Utc>,
    /// The deadline policy in force (working days: Monday–Friday in Beijing time,
    /// public holidays not known).
    pub deadlines: DeadlinePolicy,
    /// One row per (county, category, month of submission in Beijing time).
    pub rows: Vec<kpi::KpiRow>,
}

/// `GET /api/v1/stats/kpis`
#[utoipa::path(get, path = "/api/v1/stats/kpis", tag = "suggestions", params(KpiParams),
    responses((status = 200, description = "JSON, or CSV (UTF-8 with BOM) with `format=csv`",
                content((KpiResponse = "application/json"), (String = "text/csv"))),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn get_kpis(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<KpiParams>,
) -> Result<Response, AppError> {
    let csv = match p.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => {
            return Err(AppError::bad_choice(
                "format",
                format!("unknown format `{other}`"),
                &["json", "csv"],
            ))
        }
    };
    let mut q = ListQuery::default();
    if let Some(a) = &p.adcode {
        q.adcodes = expand_adcode(&state, a)?;
    }
    if let Some(c) = &p.category {
        q.categories = vec![c.parse::<Category>()?];
    }
    q.since = p
        .since
        .as_deref()
        .map(|s| parse_time("since", s))
        .transpose()?;
    q.until = p
        .until
        .as_deref()
        .map(|s| parse_time("until", s))
        .transpose()?;
    q.without_history = true;
    let items = Db::of(&state)?
        .run(move |st| Ok(st.list_suggestions(&q)?.0))
        .await?;
    let now = Utc::now();
    let policy = state.config.deadlines.clone();
    let rows = kpi::compute(&items, &policy, now);
    if csv {
        let stamp = now
            .with_timezone(&crate::model::china_offset())
            .format("%Y%m%d%H%M%S");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"kpis-{stamp}.csv\""),
                ),
            ],
            kpi::to_csv(&rows, now),
        )
            .into_response());
    }
    Ok(Json(KpiResponse {
        generated_at: now,
        deadlines: policy,
        rows,
    })
    .into_response())
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    KpiResponse,
    kpi::KpiRow,
    DeadlinePolicy,
    crate::suggestions::deadlines::CategoryDeadlines,
    Problem
)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(get_kpis))
}
