//! `GET /api/v1/stats`: suggestion KPIs per district (response times, resolution rates).

use super::db::Db;
use super::error::{ApiQuery, AppError, Problem};
use super::suggestions::read::{expand_adcode, parse_time};
use super::AppState;
use crate::suggestions::{stats, ListQuery};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// KPI query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// County or city adcode (a city gives one entry per county); all districts if absent.
    pub adcode: Option<String>,
    /// Only suggestions submitted at or after (RFC 3339 or YYYY-MM-DD, China time).
    pub since: Option<String>,
}

/// KPIs.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    /// Adcode asked for.
    pub adcode: Option<String>,
    /// Start of the window.
    pub since: Option<DateTime<Utc>>,
    /// When computed.
    pub generated_at: DateTime<Utc>,
    /// All matching suggestions together.
    pub total: stats::DistrictStats,
    /// One entry per county with suggestions, by adcode.
    pub districts: Vec<stats::DistrictStats>,
}

/// `GET /api/v1/stats`
#[utoipa::path(get, path = "/api/v1/stats", tag = "suggestions", params(StatsParams),
    responses((status = 200, body = StatsResponse),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn get_stats(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<StatsParams>,
) -> Result<Json<StatsResponse>, AppError> {
    let mut q = ListQuery::default();
    if let Some(a) = &p.adcode {
        q.adcodes = expand_adcode(&state, a)?;
    }
    q.since = p
        .since
        .as_deref()
        .map(|s| parse_time("since", s))
        .transpose()?;
    q.without_history = true;
    let since = q.since;
    let items = Db::of(&state)?
        .run(move |st| Ok(st.list_suggestions(&q)?.0))
        .await?;
    let stats::Kpis { total, districts } = stats::compute(&items);
    Ok(Json(StatsResponse {
        adcode: p.adcode,
        since,
        generated_at: Utc::now(),
        total,
        districts,
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(StatsResponse, stats::DistrictStats, Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(get_stats))
}
