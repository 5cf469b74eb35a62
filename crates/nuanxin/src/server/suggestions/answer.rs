//! Answers: an officer's status change with a public note, and the reporter's reopen.

use super::super::auth::{ClientIp, Officer};
use super::super::db::Db;
use super::super::error::{ApiJson, ApiQuery, AppError, Problem};
use super::super::AppState;
use super::read::ReceiptParams;
use super::{load, load_for, no_receipt, receipt_of, TrackingId};
use crate::suggestions::{Audience, PublicNote, Status, SuggestionView};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

/// An officer's status change (unknown fields are rejected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// New status (the same status posts a reply without a change).
    pub status: String,
    /// Public note: the official answer (1–2,000 characters).
    pub note: String,
}

/// `POST /api/v1/suggestions/{id}/status`
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/status", tag = "officers",
    params(("id" = String, Path, description = "Tracking id")),
    request_body = StatusBody,
    security(("bearer" = [])),
    responses((status = 200, description = "Officer view after the change", body = SuggestionView),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Transition not allowed", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn change_status(
    TrackingId(id): TrackingId,
    Officer(o): Officer,
    db: Db,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let to: Status = b.status.parse()?;
    let note = PublicNote::new(b.note)?;
    let s = load(&db, id.clone()).await?;
    if !o.handles(s.adcode.as_deref()) {
        return Err(AppError::Forbidden(format!(
            "suggestion `{id}` is in district {} which your token does not cover",
            s.adcode.as_deref().unwrap_or("(none)")
        )));
    }
    let s = db
        .run(move |st| Ok(st.transition(&id, to, &note, &o, Utc::now())?))
        .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Officer)))
}

/// The reporter's reopen request (unknown fields are rejected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    /// Why it is not done (public; 1–2,000 characters).
    pub note: String,
}

/// `POST /api/v1/suggestions/{id}/reopen`: the reporter (receipt token) reopens a resolved
/// or declined suggestion.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/reopen", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"), ReceiptParams),
    request_body = ReopenBody,
    responses((status = 200, description = "Reporter view after reopening", body = SuggestionView),
              (status = 401, description = "No receipt", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Wrong receipt token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such suggestion, or (with `X-Receipt-Code`) the code does not match", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Still open, or closed too long ago", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many codes tried (`X-Receipt-Code`)", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn reopen(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ReopenBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let Some(receipt) = receipt_of(&state, ip, q.receipt, &headers)? else {
        return Err(no_receipt());
    };
    let note = PublicNote::new(b.note)?;
    let db = Db::of(&state)?;
    let (_, check) = load_for(&db, id.clone(), Some(&receipt)).await?;
    check.require()?;
    let s = db
        .run(move |st| Ok(st.reopen_by_reporter(&id, &note, Utc::now())?))
        .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Reporter)))
}
