//! Following and triage: the reporter's look-up by tracking id and short code, and the
//! officer's duplicate-of, department and redaction (each audited by the store).
//!
//! | method | path | who |
//! |---|---|---|
//! | POST | `/api/v1/suggestions/lookup` (`{"id", "code"}`) | anyone with the code (rate limited per IP) |
//! | POST | `/api/v1/suggestions/{id}/duplicate` (`{"original", "note"}`) | officer of both districts |
//! | POST | `/api/v1/suggestions/{id}/department` (`{"department"}`) | officer of the district |
//! | POST | `/api/v1/suggestions/{id}/redact` (`{"field", "reason"}`) | officer of the district |
//! | GET | `/api/v1/admin/suggestions/{id}/redactions` | admin (the originals) |
//! | GET | `/api/v1/admin/suggestions/{id}/redactions/{seq}/photo` | admin |

use super::super::auth::{Admin, ClientIp, Officer};
use super::super::db::Db;
use super::super::error::{ApiJson, AppError, Problem};
use super::super::AppState;
use super::{load, TrackingId};
use crate::suggestions::triage::{RedactField, Redaction};
use crate::suggestions::{receipt_code, Audience, PublicNote, SuggestionView};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A look-up (unknown fields are rejected). The code travels in the body, never in a URL.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    /// Tracking id as typed (case and Crockford look-alikes forgiven).
    pub id: String,
    /// The 6-character code as typed (spaces and hyphens ignored).
    pub code: String,
}

/// The reporter's own record.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResponse {
    /// The suggestion as its reporter sees it.
    pub suggestion: SuggestionView,
    /// The code in canonical form (to keep on the device).
    pub receipt_code: String,
    /// When the suggestion was marked a duplicate: the original, whose answers to follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<SuggestionView>,
}

/// `POST /api/v1/suggestions/lookup`
#[utoipa::path(post, path = "/api/v1/suggestions/lookup", tag = "suggestions",
    request_body = LookupBody,
    responses((status = 200, body = LookupResponse),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such suggestion, or the code does not match", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn lookup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LookupBody>,
) -> Result<Json<LookupResponse>, AppError> {
    if let Some(limiter) = &state.lookup_limiter {
        limiter.check(ip)?;
    }
    let id = TrackingId::canonical(&b.id);
    let code = receipt_code::normalize(&b.code).ok_or_else(|| {
        AppError::bad_param(
            "code",
            "the code is 6 letters and digits (Crockford base 32), e.g. 7K3 P9Q",
        )
    })?;
    let db = Db::of(&state)?;
    let c = code.clone();
    // one answer for "no such id" and "wrong code": a guess learns nothing
    let s = db
        .run(move |st| {
            let ok = st.check_receipt_code(&id, &c)?;
            match st.suggestion(&id)? {
                Some(s) if ok => Ok(s),
                _ => Err(AppError::NotFound(
                    "no suggestion with this tracking id and code".into(),
                )),
            }
        })
        .await?;
    let original = match s.duplicate_of.clone() {
        Some(o) => db
            .run(move |st| Ok(st.suggestion(&o)?))
            .await?
            .map(|o| SuggestionView::new(&o, Audience::Public)),
        None => None,
    };
    Ok(Json(LookupResponse {
        suggestion: SuggestionView::new(&s, Audience::Reporter),
        receipt_code: code,
        original,
    }))
}

/// 403 unless `o` handles the district of suggestion `id`; returns nothing else.
async fn check_district(
    db: &Db,
    o: &crate::suggestions::Officer,
    id: &str,
) -> Result<(), AppError> {
    let s = load(db, id.to_string()).await?;
    if !o.handles(s.adcode.as_deref()) {
        return Err(AppError::Forbidden(format!(
            "suggestion `{id}` is in district {} which your token does not cover",
            s.adcode.as_deref().unwrap_or("(none)")
        )));
    }
    Ok(())
}

/// Marking a duplicate (unknown fields are rejected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DuplicateBody {
    /// Tracking id of the original.
    pub original: String,
    /// Public note (default: 与 {original} 重复，请关注原建议的办理进度).
    pub note: Option<String>,
}

/// `POST /api/v1/suggestions/{id}/duplicate`: declines `id` as a duplicate of `original`;
/// supporters move to the original, the duplicate's reporter follows the original.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/duplicate", tag = "officers",
    params(("id" = String, Path, description = "Tracking id of the duplicate")),
    request_body = DuplicateBody, security(("bearer" = [])),
    responses((status = 200, description = "The duplicate (officer view)", body = SuggestionView),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn mark_duplicate(
    TrackingId(id): TrackingId,
    db: Db,
    Officer(o): Officer,
    ApiJson(b): ApiJson<DuplicateBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let original = TrackingId::canonical(&b.original);
    let note = PublicNote::new(
        b.note
            .unwrap_or_else(|| format!("与 {original} 重复，请关注原建议的办理进度")),
    )?;
    check_district(&db, &o, &id).await?;
    check_district(&db, &o, &original).await?;
    let s = db
        .run(move |st| Ok(st.mark_duplicate(&id, &original, &note, &o, Utc::now())?))
        .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Officer)))
}

/// Assigning a department (unknown fields are rejected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    /// One of the configured `departments` (see `GET /api/v1/officer/me`).
    pub department: String,
}

/// `POST /api/v1/suggestions/{id}/department`
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/department", tag = "officers",
    params(("id" = String, Path, description = "Tracking id")),
    request_body = DepartmentBody, security(("bearer" = [])),
    responses((status = 200, description = "Officer view", body = SuggestionView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn assign_department(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
    Officer(o): Officer,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let deps = &state.config.departments;
    let Some(dep) = deps
        .iter()
        .find(|d| d.as_str() == b.department.trim())
        .cloned()
    else {
        let valid: Vec<&str> = deps.iter().map(String::as_str).collect();
        return Err(AppError::bad_choice(
            "department",
            format!("unknown department `{}`", b.department),
            &valid,
        ));
    };
    let db = Db::of(&state)?;
    check_district(&db, &o, &id).await?;
    let s = db
        .run(move |st| Ok(st.assign_department(&id, &dep, &o, Utc::now())?))
        .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Officer)))
}

/// A redaction (unknown fields are rejected).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactBody {
    /// `description` or `photo`.
    pub field: RedactField,
    /// Why (public; 1–2,000 characters).
    pub reason: String,
}

/// `POST /api/v1/suggestions/{id}/redact`: the public sees the redaction, admins the
/// original (`GET /api/v1/admin/suggestions/{id}/redactions`).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/redact", tag = "officers",
    params(("id" = String, Path, description = "Tracking id")),
    request_body = RedactBody, security(("bearer" = [])),
    responses((status = 200, description = "Officer view", body = SuggestionView),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn redact(
    TrackingId(id): TrackingId,
    db: Db,
    Officer(o): Officer,
    ApiJson(b): ApiJson<RedactBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let reason = PublicNote::new(b.reason)?;
    check_district(&db, &o, &id).await?;
    let s = db
        .run(move |st| Ok(st.redact(&id, b.field, &reason, &o, Utc::now())?))
        .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Officer)))
}

/// `GET /api/v1/admin/suggestions/{id}/redactions`: the originals.
#[utoipa::path(get, path = "/api/v1/admin/suggestions/{id}/redactions", tag = "officers",
    params(("id" = String, Path, description = "Tracking id")), security(("bearer" = [])),
    responses((status = 200, body = [Redaction]),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn redactions(
    TrackingId(id): TrackingId,
    db: Db,
    Admin(_admin): Admin,
) -> Result<Json<Vec<Redaction>>, AppError> {
    load(&db, id.clone()).await?;
    Ok(Json(db.run(move |st| Ok(st.redactions(&id)?)).await?))
}

/// `GET /api/v1/admin/suggestions/{id}/redactions/{seq}/photo`: a redacted photo.
#[utoipa::path(get, path = "/api/v1/admin/suggestions/{id}/redactions/{seq}/photo", tag = "officers",
    params(("id" = String, Path, description = "Tracking id"),
           ("seq" = i64, Path, description = "Redaction number")), security(("bearer" = [])),
    responses((status = 200, description = "The original photo", content_type = "image/jpeg"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn redacted_photo(
    Path((id, seq)): Path<(String, i64)>,
    db: Db,
    Admin(_admin): Admin,
) -> Result<Response, AppError> {
    let id = TrackingId::canonical(&id);
    let p = db.run(move |st| Ok(st.redacted_photo(&id, seq)?)).await?;
    let (media_type, bytes) =
        p.ok_or_else(|| AppError::NotFound("no such redacted photo".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
