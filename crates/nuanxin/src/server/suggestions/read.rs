//! Reading suggestions: the public list, the duplicate search, categories, one suggestion,
//! its photo, and "me too" support.

use super::super::auth::{ClientIp, MaybeOfficer};
use super::super::db::Db;
use super::super::error::{ApiQuery, AppError, Problem};
use super::super::AppState;
use super::{audience_for, load_for, receipt_of, TrackingId};
use crate::crs::Crs;
use crate::model::{Bbox, LonLat};
use crate::suggestions::{
    Audience, Category, ListQuery, Status, SuggestionView, SupportOutcome, MAX_NEARBY_RADIUS_M,
};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters of the public list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses (at most 50); `open` means submitted, accepted and
    /// in_progress, `closed` resolved and declined.
    pub status: Option<String>,
    /// Comma-separated categories (at most 50).
    pub category: Option<String>,
    /// County or city adcode (a city includes its counties).
    pub adcode: Option<String>,
    /// `west,south,east,north`, WGS-84 degrees.
    pub bbox: Option<String>,
    /// Campaign id.
    pub campaign_id: Option<String>,
    /// Only submitted at or after (RFC 3339).
    pub since: Option<String>,
    /// Only submitted before (RFC 3339).
    pub until: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// Items to skip, 0–1000000000 (default 0).
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<u64>,
}

/// A page of suggestions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionPage {
    /// The items, newest first.
    pub items: Vec<SuggestionView>,
    /// Matching items in all.
    pub total: usize,
    /// Page size used.
    pub limit: usize,
    /// Offset used.
    pub offset: usize,
}

pub(crate) fn parse_time(param: &'static str, s: &str) -> Result<DateTime<Utc>, AppError> {
    crate::model::parse_instant(s).ok_or_else(|| {
        AppError::bad_param(
            param,
            format!(
                "`{s}` is not an RFC 3339 time (e.g. 2026-01-31T08:00:00+08:00) or a date YYYY-MM-DD"
            ),
        )
    })
}

/// The county adcodes a county or city `adcode` parameter stands for.
///
/// # Errors
/// 400 naming `adcode` when no shipped district has it.
pub(crate) fn expand_adcode(state: &AppState, a: &str) -> Result<Vec<String>, AppError> {
    state
        .districts
        .county_adcodes(a)
        .ok_or_else(|| AppError::bad_param("adcode", format!("unknown adcode `{a}`")))
}

pub(crate) fn list_query(state: &AppState, p: &ListParams) -> Result<ListQuery, AppError> {
    let mut q = ListQuery::default();
    if let Some(s) = &p.status {
        for part in AppError::list_items("status", s)? {
            if part == "open" {
                q.statuses
                    .extend([Status::Submitted, Status::Accepted, Status::InProgress]);
            } else if part == "closed" {
                q.statuses.extend([Status::Resolved, Status::Declined]);
            } else {
                q.statuses.push(part.parse()?);
            }
        }
    }
    if let Some(s) = &p.category {
        for part in AppError::list_items("category", s)? {
            q.categories.push(part.parse()?);
        }
    }
    if let Some(a) = &p.adcode {
        q.adcodes = expand_adcode(state, a)?;
    }
    if let Some(b) = &p.bbox {
        q.bbox = Some(Bbox::parse(b)?);
    }
    q.campaign_id = p.campaign_id.clone();
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
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::bad_param("limit", "limit must be 1–500"));
    }
    q.limit = limit as usize;
    q.offset = AppError::check_offset(p.offset)?;
    Ok(q)
}

/// `GET /api/v1/suggestions`: public views; with an officer token, the items of the
/// officer's districts come as full officer views (contact, original text, officer names).
#[utoipa::path(get, path = "/api/v1/suggestions", tag = "suggestions", params(ListParams),
    responses((status = 200, body = SuggestionPage),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
    MaybeOfficer(officer): MaybeOfficer,
    db: Db,
) -> Result<Json<SuggestionPage>, AppError> {
    let q = list_query(&state, &p)?;
    let (limit, offset) = (q.limit, q.offset);
    let (items, total) = db.run(move |st| Ok(st.list_suggestions(&q)?)).await?;
    Ok(Json(SuggestionPage {
        items: items
            .iter()
            .map(|s| {
                let audience = match &officer {
                    Some(o) if o.handles(s.adcode.as_deref()) => Audience::Officer,
                    _ => Audience::Public,
                };
                SuggestionView::new(s, audience)
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// Query of the duplicate search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyParams {
    /// Longitude in `crs`, degrees.
    pub lon: f64,
    /// Latitude in `crs`, degrees.
    pub lat: f64,
    /// Category code.
    pub category: String,
    /// Search radius, metres (default per category, see `Category::nearby_radius_m`; at most 5,000).
    pub radius_m: Option<f64>,
    /// `wgs84` (default), `gcj02`, `bd09`.
    pub crs: Option<String>,
}

/// A nearby open suggestion.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyItem {
    /// WGS-84 geodesic distance from the query position, metres.
    pub distance_m: f64,
    /// The suggestion (public fields).
    pub suggestion: SuggestionView,
}

/// Answer of the duplicate search.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyResponse {
    /// Radius used, metres.
    pub radius_m: f64,
    /// Category searched.
    pub category: Category,
    /// Open suggestions, nearest first.
    pub items: Vec<NearbyItem>,
}

/// `GET /api/v1/suggestions/nearby`
#[utoipa::path(get, path = "/api/v1/suggestions/nearby", tag = "suggestions", params(NearbyParams),
    responses((status = 200, body = NearbyResponse),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn nearby(
    ApiQuery(p): ApiQuery<NearbyParams>,
    db: Db,
) -> Result<Json<NearbyResponse>, AppError> {
    let category: Category = p.category.parse()?;
    let crs = match &p.crs {
        Some(c) => c
            .parse::<Crs>()
            .map_err(|e| AppError::bad_choice("crs", e.to_string(), &["wgs84", "gcj02", "bd09"]))?,
        None => Crs::Wgs84,
    };
    let at = crs.to_wgs84(LonLat::new(p.lon, p.lat)?);
    let radius_m = p.radius_m.unwrap_or_else(|| category.nearby_radius_m());
    if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_NEARBY_RADIUS_M) {
        return Err(AppError::bad_param(
            "radius_m",
            format!("radius_m must be in (0, {MAX_NEARBY_RADIUS_M}] metres"),
        ));
    }
    let found = db
        .run(move |st| Ok(st.nearby_open(at, category, radius_m)?))
        .await?;
    Ok(Json(NearbyResponse {
        radius_m,
        category,
        items: found
            .iter()
            .map(|(s, d)| NearbyItem {
                distance_m: (d * 10.0).round() / 10.0,
                suggestion: SuggestionView::new(s, Audience::Public),
            })
            .collect(),
    }))
}

/// A category with labels and its default duplicate radius.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryInfo {
    /// Code.
    pub code: Category,
    /// Chinese label.
    pub label_zh: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Default duplicate-search radius, metres.
    pub nearby_radius_m: f64,
}

/// `GET /api/v1/suggestions/categories`
#[utoipa::path(get, path = "/api/v1/suggestions/categories", tag = "suggestions",
    responses((status = 200, body = [CategoryInfo])))]
pub(crate) async fn categories() -> Json<Vec<CategoryInfo>> {
    Json(
        Category::ALL
            .iter()
            .map(|c| CategoryInfo {
                code: *c,
                label_zh: c.label_zh(),
                label_en: c.label_en(),
                nearby_radius_m: c.nearby_radius_m(),
            })
            .collect(),
    )
}

/// The `receipt` query parameter, which is refused (400): receipts travel in the
/// `X-Receipt-Token` or `X-Receipt-Code` header, never in URLs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptParams {
    /// Refused with 400: send the receipt token in the `X-Receipt-Token` header (or the
    /// short code in `X-Receipt-Code`) instead. URLs end up in logs and browser history.
    pub receipt: Option<String>,
}

/// `GET /api/v1/suggestions/{id}`
#[utoipa::path(get, path = "/api/v1/suggestions/{id}", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"), ReceiptParams),
    responses((status = 200, body = SuggestionView),
              (status = 400, description = "A bad parameter, named in `param`; also a `receipt` in the URL (refused)", body = Problem, content_type = "application/problem+json"),
              (status = 403, description = "Wrong receipt token", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such suggestion, or (with `X-Receipt-Code`) the code does not match", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many codes tried (`X-Receipt-Code`)", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
    db: Db,
    officer: MaybeOfficer,
) -> Result<Json<SuggestionView>, AppError> {
    let receipt = receipt_of(&state, ip, q.receipt, &headers)?;
    let (s, check) = load_for(&db, id, receipt.as_ref()).await?;
    let audience = audience_for(&officer, check, &s)?;
    Ok(Json(SuggestionView::new(&s, audience)))
}

/// `GET /api/v1/suggestions/{id}/photo`
#[utoipa::path(get, path = "/api/v1/suggestions/{id}/photo", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"), ReceiptParams),
    responses((status = 200, description = "The photo (metadata stripped)", content_type = "image/jpeg"),
              (status = 400, description = "A bad parameter, named in `param`; also a `receipt` in the URL (refused)", body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many codes tried (`X-Receipt-Code`)", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_photo(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
    db: Db,
    officer: MaybeOfficer,
) -> Result<Response, AppError> {
    let receipt = receipt_of(&state, ip, q.receipt, &headers)?;
    let (s, check) = load_for(&db, id.clone(), receipt.as_ref()).await?;
    match audience_for(&officer, check, &s)? {
        Audience::Public => {
            if headers.contains_key(header::AUTHORIZATION) {
                return Err(AppError::Forbidden(
                    "this suggestion is outside your districts".into(),
                ));
            }
            return Err(AppError::Unauthorized(
                "photos are private: send the receipt token or an officer token".into(),
            ));
        }
        Audience::Reporter | Audience::Officer => {}
    }
    let p = db.run(move |st| Ok(st.photo(&id)?)).await?;
    let (media_type, bytes) =
        p.ok_or_else(|| AppError::NotFound("this suggestion has no photo".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Header carrying the device token of a "me too" vote.
pub const DEVICE_TOKEN_HEADER: &str = "x-device-token";

/// The device token of a request (`X-Device-Token`): 16–128 letters, digits, `-` or `_`
/// (the page makes 32 random hex digits and keeps them in the browser's storage).
///
/// # Errors
/// 400 naming `X-Device-Token` when the header is present but malformed.
pub(crate) fn device_token(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(v) = headers.get(DEVICE_TOKEN_HEADER) else {
        return Ok(None);
    };
    let t = v.to_str().unwrap_or("").trim();
    if !(16..=128).contains(&t.len())
        || !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::bad_param(
            "X-Device-Token",
            "the device token must be 16–128 letters, digits, '-' or '_'",
        ));
    }
    Ok(Some(t.to_string()))
}

/// `POST /api/v1/suggestions/{id}/support`: one "me too" per device (the `X-Device-Token`
/// header) or, without one, per client IP; every vote also takes a token from the per-IP
/// bucket `[support_rate_limit]` (429 when empty), and one IP casts at most 20 device votes
/// on one suggestion in 24 hours (429). The answer says whether the vote counted
/// (`counted: false` when this device or IP had already supported it).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/support", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"),
           ("X-Device-Token" = Option<String>, Header, description = "Random token kept on the device (16–128 of A-Z a-z 0-9 - _)")),
    responses((status = 200, body = SupportOutcome),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn support(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    TrackingId(id): TrackingId,
    headers: HeaderMap,
    db: Db,
) -> Result<Json<SupportOutcome>, AppError> {
    let device = device_token(&headers)?;
    if let Some(limiter) = &state.support_limiter {
        limiter.check(ip)?;
    }
    // A device's vote is keyed by its token; without one, by the IP address as before.
    // The store keeps only a salted SHA-256 of either.
    let client = match device {
        Some(t) => {
            if let Some(ip) = ip {
                state
                    .support_cap
                    .check(ip, &id, chrono::Utc::now().timestamp_millis())?;
            }
            format!("device:{t}")
        }
        None => ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "unknown".into()),
    };
    Ok(Json(db.run(move |st| Ok(st.support(&id, &client)?)).await?))
}
