//! Campaigns (征集活动): list, one, and an admin's new campaign.
//!
//! | method | path | who |
//! |---|---|---|
//! | GET | `/api/v1/campaigns`, `/api/v1/campaigns/{id}` | anyone |
//! | POST | `/api/v1/admin/campaigns` | admin |

use super::auth::Admin;
use super::db::Db;
use super::error::{ApiJson, ApiQuery, AppError, Problem};
use super::AppState;
use crate::suggestions::Campaign;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A campaign with whether it is open now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    /// The campaign.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Chinese label of the kind.
    pub kind_label_zh: &'static str,
    /// Whether it accepts suggestions now.
    pub is_open: bool,
}

fn campaign_view(c: Campaign, now: DateTime<Utc>) -> CampaignView {
    CampaignView {
        kind_label_zh: c.kind.label_zh(),
        is_open: c.is_open_at(now),
        campaign: c,
    }
}

/// Campaign filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignParams {
    /// Only campaigns open now.
    pub open: Option<bool>,
}

/// `GET /api/v1/campaigns`
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", params(CampaignParams),
    responses((status = 200, body = [CampaignView])))]
async fn list_campaigns(
    ApiQuery(p): ApiQuery<CampaignParams>,
    db: Db,
) -> Result<Json<Vec<CampaignView>>, AppError> {
    let now = Utc::now();
    let all = db.run(|st| Ok(st.campaigns()?)).await?;
    Ok(Json(
        all.into_iter()
            .map(|c| campaign_view(c, now))
            .filter(|v| !p.open.unwrap_or(false) || v.is_open)
            .collect(),
    ))
}

/// `GET /api/v1/campaigns/{id}`
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = CampaignView),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_campaign(Path(id): Path<String>, db: Db) -> Result<Json<CampaignView>, AppError> {
    let c = db
        .run(move |st| {
            st.campaign(&id)?
                .ok_or_else(|| AppError::NotFound(format!("no campaign `{id}`")))
        })
        .await?;
    Ok(Json(campaign_view(c, Utc::now())))
}

/// `POST /api/v1/admin/campaigns`
#[utoipa::path(post, path = "/api/v1/admin/campaigns", tag = "campaigns",
    request_body = Campaign, security(("bearer" = [])),
    responses((status = 201, body = CampaignView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn create_campaign(
    Admin(o): Admin,
    db: Db,
    ApiJson(c): ApiJson<Campaign>,
) -> Result<Response, AppError> {
    let saved = c.clone();
    db.run(move |st| Ok(st.create_campaign(&saved, Some(&o))?))
        .await?;
    let loc = format!("/api/v1/campaigns/{}", c.id);
    let mut resp = (StatusCode::CREATED, Json(campaign_view(c, Utc::now()))).into_response();
    if let Ok(v) = HeaderValue::from_str(&loc) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(CampaignView, Campaign, Problem)),
    tags((name = "campaigns", description = "征集活动"))
)]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(list_campaigns))
        .routes(routes!(get_campaign))
        .routes(routes!(create_campaign))
}
