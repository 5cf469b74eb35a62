//! Suggestions API: submit, list, follow, support, answer; campaigns; KPIs; officer exports,
//! the audit log and the admin service-point API.
//!
//! | method | path | who |
//! |---|---|---|
//! | POST | `/api/v1/suggestions` (JSON, multipart with `photo`, or form) | anyone (rate limited) |
//! | GET | `/api/v1/suggestions` | anyone (public fields) |
//! | GET | `/api/v1/suggestions/nearby` | anyone |
//! | GET | `/api/v1/suggestions/categories` | anyone |
//! | GET | `/api/v1/suggestions/{id}` | anyone; full record with receipt or officer token |
//! | GET | `/api/v1/suggestions/{id}/photo` | reporter (receipt) or officer |
//! | POST | `/api/v1/suggestions/{id}/support` | anyone (once per client IP) |
//! | POST | `/api/v1/suggestions/{id}/status` | officer of the district, admin |
//! | POST | `/api/v1/suggestions/{id}/reopen` | reporter (receipt), after resolved/declined |
//! | GET | `/api/v1/campaigns`, `/api/v1/campaigns/{id}` | anyone |
//! | POST | `/api/v1/admin/campaigns` | admin |
//! | GET | `/api/v1/stats` | anyone |
//! | GET | `/api/v1/admin/suggestions/export` | officer (their districts), admin |
//! | GET | `/api/v1/admin/audit` | admin |
//! | GET | `/api/v1/admin/whoami` | officer, admin |
//! | PUT/DELETE | `/api/v1/admin/points/{id}` | officer (points in their districts), admin |
//!
//! Credentials: officers send `Authorization: Bearer <token>` (tokens from
//! `nuanxin admin create-token`); reporters send their receipt as `X-Receipt-Token: <token>`
//! or `?receipt=<token>`. Every write endpoint answers 401 without a valid token and 403
//! outside the token's role or districts.
//!
//! Client IP (rate limit, supporter dedupe): the socket peer address when the server is
//! served with `into_make_service_with_connect_info::<SocketAddr>()`; the rightmost
//! `X-Forwarded-For` entry (the one our reverse proxy appended; see `server::forwarded`)
//! when `trust_forwarded_for` is set. Without either the rate limit
//! is not applied (a warning is logged once) rather than throttling all clients as one.

use super::error::{ApiJson, ApiQuery, AppError, Problem};
use super::AppState;
use crate::crs::Crs;
use crate::index::Filter;
use crate::model::{Bbox, LonLat, ServiceKind, ServicePoint};
use crate::suggestions::{
    export, photo, privacy, stats, Audience, Campaign, Category, CollectionPointRef, ListQuery,
    NewSuggestion, OfficerRole, ReporterRole, Status, Store, StoreError, Suggestion,
    SuggestionError, SuggestionView, SupportOutcome,
};
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Request, State,
};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use utoipa::{IntoParams, OpenApi, ToSchema};

/// Largest request body of a submission, bytes: a 5 MiB photo plus form fields and
/// multipart overhead (the server-wide `body_limit_bytes` applies as well).
pub const SUBMIT_BODY_LIMIT: usize = photo::MAX_PHOTO_BYTES + 1024 * 1024;

/// Default duplicate-search radius per category, metres: how far apart two reports of the
/// same category are likely about the same thing. Compound gates and road hazards are
/// specific places (150 m, 100 m); parking, supplies and rest concern a street block
/// (200–300 m); education, childcare and rights concern a neighbourhood (1 km).
/// A request may override it with `radius_m` (at most [`MAX_NEARBY_RADIUS_M`]).
pub fn default_radius_m(c: Category) -> f64 {
    match c {
        Category::EntryAccess => 150.0,
        Category::Parking => 200.0,
        Category::Supplies | Category::Rest | Category::Other => 300.0,
        Category::Education | Category::Childcare | Category::Rights => 1000.0,
        Category::SafetyHazard => 100.0,
    }
}

/// Largest `radius_m` accepted by `/api/v1/suggestions/nearby`, metres.
pub const MAX_NEARBY_RADIUS_M: f64 = 5000.0;

// ------------------------------------------------------------------ errors

impl From<SuggestionError> for AppError {
    fn from(e: SuggestionError) -> Self {
        match e {
            SuggestionError::Invalid { field, msg } => AppError::bad_param(field, msg),
            SuggestionError::Unknown(u) => u.into(),
            e @ SuggestionError::OutsideServiceArea { .. } => {
                AppError::bad_param("location", e.to_string())
            }
            e @ SuggestionError::PhotoTooLarge { .. } => AppError::PayloadTooLarge(e.to_string()),
            SuggestionError::NotFound(m) => AppError::NotFound(m),
            e @ SuggestionError::BadTransition { .. } => AppError::Conflict(e.to_string()),
            SuggestionError::Conflict(m) => AppError::Conflict(m),
            SuggestionError::Store(s) => AppError::Internal(s.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(e.to_string())
    }
}

/// The store, or 503 when the server runs without a database.
pub(crate) fn store(state: &AppState) -> Result<Arc<Store>, AppError> {
    state
        .store
        .clone()
        .ok_or_else(|| AppError::Unavailable("this server runs without a database".into()))
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("task failed: {e}")))?
}

// ------------------------------------------------------------------ credentials

/// The officer behind `Authorization: Bearer`, `None` without the header.
///
/// # Errors
/// 401 for a malformed header or an unknown or revoked token.
pub(crate) async fn officer_from(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<crate::suggestions::Officer>, AppError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = v
        .to_str()
        .ok()
        .and_then(|s| {
            s.strip_prefix("Bearer ")
                .or_else(|| s.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorized("expected `Authorization: Bearer <token>`".into()))?
        .to_string();
    let st = store(state)?;
    let o = blocking(move || Ok(st.authenticate(&token)?)).await?;
    o.map(Some)
        .ok_or_else(|| AppError::Unauthorized("unknown or revoked token".into()))
}

/// Like [`officer_from`] but the token is required (401 without).
pub(crate) async fn require_officer(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<crate::suggestions::Officer, AppError> {
    officer_from(state, headers).await?.ok_or_else(|| {
        AppError::Unauthorized(
            "this endpoint needs an officer token (Authorization: Bearer)".into(),
        )
    })
}

fn require_admin(o: &crate::suggestions::Officer) -> Result<(), AppError> {
    if o.role == OfficerRole::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("this endpoint is for admins".into()))
    }
}

/// The client's IP address (see the module docs), `None` when unknown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

fn client_ip(parts: &Parts, state: &AppState) -> Option<IpAddr> {
    if state.config.trust_forwarded_for {
        let xff = super::forwarded::forwarded_for(&parts.headers);
        if xff.is_some() {
            return xff;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A suggestion's tracking id from the URL path, as a person may type it from a receipt:
/// case-insensitive, with the Crockford base-32 look-alikes (O → 0, I and L → 1) mapped
/// as Crockford's spec allows (<https://www.crockford.com/base32.html>). Tracking ids are
/// `S` + date + `-` + 6 Crockford characters (see `suggestions::store`).
pub(crate) struct TrackingId(pub String);

impl TrackingId {
    /// The canonical (upper-case) form of a typed id.
    pub(crate) fn canonical(typed: &str) -> String {
        let upper = typed.trim().to_ascii_uppercase();
        match upper.split_once('-') {
            Some((head, tail)) => {
                let tail: String = tail
                    .chars()
                    .map(|c| match c {
                        'O' => '0',
                        'I' | 'L' => '1',
                        c => c,
                    })
                    .collect();
                format!("{head}-{tail}")
            }
            None => upper,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for TrackingId {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_param("id", e.body_text()))?;
        Ok(TrackingId(Self::canonical(&id)))
    }
}

// ------------------------------------------------------------------ rate limit

type CheckFn = dyn Fn(IpAddr) -> bool + Send + Sync;

/// Limiters per configuration (one per running server; tests build many).
type LimiterList = Vec<(Weak<super::Config>, Arc<CheckFn>)>;
static LIMITERS: OnceLock<Mutex<LimiterList>> = OnceLock::new();

fn limiter(state: &AppState) -> Option<Arc<CheckFn>> {
    let rl = state.config.rate_limit;
    if !rl.enabled || rl.per_minute == 0 {
        return None;
    }
    let mut list = LIMITERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    list.retain(|(w, _)| w.strong_count() > 0);
    let me = Arc::downgrade(&state.config);
    if let Some((_, f)) = list.iter().find(|(w, _)| Weak::ptr_eq(w, &me)) {
        return Some(f.clone());
    }
    // A token bucket (GCRA, `governor` via `tower_governor`): one token every
    // 60/per_minute seconds, up to `burst` at once.
    let period_ms = (60_000 / u64::from(rl.per_minute)).max(1);
    let cfg = tower_governor::governor::GovernorConfigBuilder::default()
        .per_millisecond(period_ms)
        .burst_size(rl.burst.max(1))
        .finish()?;
    let f: Arc<CheckFn> = Arc::new(move |ip: IpAddr| cfg.limiter().check_key(&ip).is_ok());
    list.push((me, f.clone()));
    Some(f)
}

/// Applies the submission rate limit to `ip` (429 with `Retry-After` when exhausted).
pub(crate) fn check_rate_limit(state: &AppState, ip: Option<IpAddr>) -> Result<(), AppError> {
    let Some(f) = limiter(state) else {
        return Ok(());
    };
    let Some(ip) = ip else {
        static WARNED: OnceLock<()> = OnceLock::new();
        WARNED.get_or_init(|| {
            tracing::warn!(
                "client IP unknown (serve with into_make_service_with_connect_info or set \
                 trust_forwarded_for behind a proxy): submission rate limit not applied"
            )
        });
        return Ok(());
    };
    if f(ip) {
        Ok(())
    } else {
        Err(AppError::TooManyRequests(format!(
            "at most {} suggestions per minute (burst {}) per client; retry in {} s",
            state.config.rate_limit.per_minute,
            state.config.rate_limit.burst,
            retry_after_s(state)
        )))
    }
}

/// Seconds until the next submission token: the refill period 60 / `per_minute`, rounded
/// up (an upper bound of the bucket's real wait).
pub(crate) fn retry_after_s(state: &AppState) -> u64 {
    60_u64.div_ceil(u64::from(state.config.rate_limit.per_minute.max(1)))
}

/// Adds `Retry-After` (RFC 9110 §10.2.3) to a 429 response.
pub(crate) fn add_retry_after(state: &AppState, mut resp: Response) -> Response {
    if resp.status() == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s(state)));
    }
    resp
}

// ------------------------------------------------------------------ submission

/// JSON body of a submission. Give the position as `location: [lon, lat]` or as `lon`/`lat`.
/// Unknown fields are rejected (400 naming the field), as in the coverage API.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// `[lon, lat]` in `crs`, or the text `"lon,lat"` as Amap's coordinate picker copies it.
    #[schema(value_type = Option<Vec<f64>>)]
    pub location: Option<LocationInput>,
    /// Longitude in `crs`, degrees (alternative to `location`).
    pub lon: Option<f64>,
    /// Latitude in `crs`, degrees (alternative to `location`).
    pub lat: Option<f64>,
    /// `wgs84` (default), `gcj02` (Amap, WeChat) or `bd09` (Baidu).
    pub crs: Option<String>,
    /// One of the category codes (or its Chinese label).
    pub category: Option<String>,
    /// 1–2,000 characters, any Unicode; stored byte-exact.
    pub description: Option<String>,
    /// Private: mobile, landline or WeChat ID.
    pub contact: Option<String>,
    /// courier, rider, driver, resident, other.
    pub role: Option<String>,
    /// Campaign id (must be open, accept the category and cover the place).
    pub campaign_id: Option<String>,
}

/// A position as `[lon, lat]` numbers or as `"lon,lat"` text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LocationInput {
    /// `[lon, lat]`.
    Pair(Vec<f64>),
    /// `"lon,lat"` (brackets and spaces allowed).
    Text(String),
}

impl LocationInput {
    fn numbers(&self) -> Result<Vec<f64>, AppError> {
        match self {
            LocationInput::Pair(v) => Ok(v.clone()),
            LocationInput::Text(t) => t
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split([',', '，'])
                .map(|s| parse_f64("location", s))
                .collect(),
        }
    }
}

/// Multipart form of a submission: the [`SubmitBody`] fields as text parts (`location` as
/// `lon,lat`) plus an optional `photo` file part (JPEG, PNG or WebP, at most 5 MiB and
/// 12,000 pixels a side, 40 megapixels in all). Each field at most once; unknown fields are
/// rejected.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SubmitForm {
    /// `lon,lat` in `crs`.
    location: Option<String>,
    /// Category code.
    category: String,
    /// Description.
    description: String,
    /// Photo file.
    #[schema(value_type = Option<String>, format = Binary)]
    photo: Option<Vec<u8>>,
}

/// What a submission gives, from any of the accepted encodings.
#[derive(Debug, Default)]
pub(crate) struct SubmitInput {
    pub body: SubmitBody,
    pub photo: Option<Vec<u8>>,
}

/// Answer to a submission: the public record plus the private receipt token.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitResponse {
    /// The suggestion as the public sees it.
    #[serde(flatten)]
    pub suggestion: SuggestionView,
    /// Private receipt token, shown only now: send it as `X-Receipt-Token` (or
    /// `?receipt=`) to see your own full record and photo.
    pub receipt_token: String,
    /// Open suggestions of the same category nearby (possible duplicates you may support).
    pub similar_nearby: usize,
}

fn parse_f64(field: &'static str, s: &str) -> Result<f64, AppError> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| AppError::bad_param(field, format!("`{s}` is not a number")))
}

/// Position from the body: `(as given, crs)`.
fn given_location(b: &SubmitBody) -> Result<(f64, f64, Crs), AppError> {
    let crs = match &b.crs {
        Some(c) => c
            .parse::<Crs>()
            .map_err(|e| AppError::bad_choice("crs", e.to_string(), &["wgs84", "gcj02", "bd09"]))?,
        None => Crs::Wgs84,
    };
    let (lon, lat) = match (&b.location, b.lon, b.lat) {
        (Some(loc), _, _) => match loc.numbers()?.as_slice() {
            [lon, lat] => (*lon, *lat),
            _ => {
                return Err(AppError::bad_param(
                    "location",
                    "location must be [lon, lat] (or the text \"lon,lat\")",
                ))
            }
        },
        (None, Some(lon), Some(lat)) => (lon, lat),
        _ => {
            return Err(AppError::bad_param(
                "location",
                "location is required: `location: [lon, lat]` or `lon` and `lat`",
            ))
        }
    };
    Ok((lon, lat, crs))
}

/// Checks a position and converts it to WGS-84; on failure the message says when lon and
/// lat look swapped.
pub(crate) fn checked_position(
    lon: f64,
    lat: f64,
    crs: Crs,
) -> Result<(LonLat, LonLat, String), AppError> {
    let input = LonLat::new(lon, lat).map_err(|e| {
        let swapped = LonLat::new(lat, lon).is_ok();
        let mut err = AppError::from(e);
        if swapped {
            if let AppError::BadRequest { detail, .. } = &mut err {
                detail.push_str("; lon and lat look swapped: location is [lon, lat]");
            }
        }
        err
    })?;
    let wgs = crs.to_wgs84(input);
    let districts = crate::districts::Districts::embedded();
    match districts.county_at(wgs) {
        Some(d) => Ok((input, wgs, d.adcode.clone())),
        None => {
            let hint = LonLat::new(lat, lon)
                .ok()
                .filter(|sw| districts.county_at(crs.to_wgs84(*sw)).is_some())
                .map(|_| "; lon and lat look swapped: location is [lon, lat]".to_string())
                .unwrap_or_default();
            Err(SuggestionError::OutsideServiceArea {
                lon: wgs.lon,
                lat: wgs.lat,
                hint,
            }
            .into())
        }
    }
}

/// Validates a submission and prepares it for storage: district, nearest collection
/// point, campaign checks. Runs on a blocking thread (point-in-polygon, campaign lookup).
pub(crate) fn prepare(
    state: &AppState,
    st: &Store,
    input: SubmitInput,
    now: DateTime<Utc>,
) -> Result<NewSuggestion, AppError> {
    let b = &input.body;
    let category: Category = match &b.category {
        Some(c) => c.parse()?,
        None => {
            return Err(AppError::bad_choice(
                "category",
                "category is required",
                &Category::codes(),
            ))
        }
    };
    let description = b.description.clone().unwrap_or_default();
    let n = description.chars().count();
    if description.trim().is_empty() {
        return Err(AppError::bad_param(
            "description",
            "description is required (1–2,000 characters)",
        ));
    }
    if n > 2000 {
        return Err(AppError::bad_param(
            "description",
            format!("description has {n} characters; at most 2,000 are accepted"),
        ));
    }
    if let Some(c) = description
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::bad_param(
            "description",
            format!(
                "description contains the control character U+{:04X}",
                c as u32
            ),
        ));
    }
    let (lon, lat, crs) = given_location(b)?;
    let (input_location, location, adcode) = checked_position(lon, lat, crs)?;
    let contact = match b.contact.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(c) => Some(privacy::parse_contact(c)?),
    };
    let role: Option<ReporterRole> = match b.role.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(r) => Some(r.parse()?),
    };
    let photo = match input.photo {
        Some(bytes) if !bytes.is_empty() => {
            let (fmt, clean) = photo::sanitize(bytes)?;
            Some((fmt.media_type().to_string(), clean))
        }
        _ => None,
    };
    let campaign_id = match b.campaign_id.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(id) => {
            let c = st
                .campaign(id)?
                .ok_or_else(|| AppError::bad_param("campaign_id", format!("no campaign `{id}`")))?;
            if !c.is_open_at(now) {
                return Err(AppError::bad_param(
                    "campaign_id",
                    format!("campaign `{id}` is not open now"),
                ));
            }
            if !c.categories.is_empty() && !c.categories.contains(&category) {
                let valid: Vec<&str> = c.categories.iter().map(|c| c.as_str()).collect();
                return Err(AppError::bad_choice(
                    "category",
                    format!("campaign `{id}` does not collect `{category}`"),
                    &valid,
                ));
            }
            if !c.covers(location, Some(&adcode)) {
                return Err(AppError::bad_param(
                    "campaign_id",
                    format!("the location is outside the area of campaign `{id}`"),
                ));
            }
            Some(c.id)
        }
    };
    let filter = Filter {
        kinds: vec![ServiceKind::CollectionPoint],
        ..Default::default()
    };
    // The handler responsible is the nearest collection point of the suggestion's own
    // district (an office does not answer for its neighbour's streets); the nearest one
    // overall only when the district has none among the 50 nearest.
    let candidates = state.index().nearest(location, 50, &filter);
    let same_district = candidates
        .iter()
        .position(|h| h.point.adcode.as_deref() == Some(adcode.as_str()));
    let collection_point = candidates
        .into_iter()
        .nth(same_district.unwrap_or(0))
        .map(|h| CollectionPointRef {
            id: h.point.id.clone(),
            name: h.point.name.clone(),
            distance_m: (h.distance_m * 10.0).round() / 10.0,
        });
    Ok(NewSuggestion {
        location,
        input_location,
        input_crs: crs,
        category,
        description,
        role,
        contact,
        campaign_id,
        adcode: Some(adcode),
        collection_point,
        photo,
        created_at: now,
    })
}

/// Validates and stores a submission from client `ip`; returns the stored record, the receipt
/// token and the number of similar open suggestions nearby.
///
/// The rate limit is charged only once the submission is valid, so a resident correcting a
/// typo is not locked out by their own rejected attempts (429 only for would-be-stored ones).
pub(crate) async fn submit_input(
    state: &AppState,
    input: SubmitInput,
    ip: Option<IpAddr>,
) -> Result<(Suggestion, String, usize), AppError> {
    let st = store(state)?;
    let state = state.clone();
    blocking(move || {
        let n = prepare(&state, &st, input, Utc::now())?;
        check_rate_limit(&state, ip)?;
        let (loc, cat) = (n.location, n.category);
        let (s, receipt) = st.insert_suggestion(n)?;
        let similar = st
            .nearby_open(loc, cat, default_radius_m(cat))?
            .into_iter()
            .filter(|(o, _)| o.id != s.id)
            .count();
        Ok((s, receipt, similar))
    })
    .await
}

/// Reads an `application/x-www-form-urlencoded` body as pairs (400 bad encoding, 413 too
/// large).
pub(crate) async fn read_form(
    req: Request,
    state: &AppState,
) -> Result<Vec<(String, String)>, AppError> {
    match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
        Ok(axum::Form(v)) => Ok(v),
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(AppError::PayloadTooLarge(r.body_text()))
        }
        Err(r) => Err(AppError::bad_param("body", r.body_text())),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(e.body_text())
    } else {
        AppError::bad_param("body", e.body_text())
    }
}

async fn read_multipart(mut mp: Multipart) -> Result<SubmitInput, AppError> {
    let mut input = SubmitInput::default();
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photo" {
            if input.photo.is_some() {
                return Err(AppError::bad_param(
                    "photo",
                    "only one `photo` may be attached",
                ));
            }
            let mut buf: Vec<u8> = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if buf.len() + chunk.len() > photo::MAX_PHOTO_BYTES {
                    return Err(SuggestionError::PhotoTooLarge {
                        size: buf.len() + chunk.len(),
                        limit: photo::MAX_PHOTO_BYTES,
                    }
                    .into());
                }
                buf.extend_from_slice(&chunk);
            }
            input.photo = Some(buf);
            continue;
        }
        let text = field.text().await.map_err(multipart_error)?;
        set_text_field(&mut input.body, &name, text)?;
    }
    Ok(input)
}

/// The text fields of a form or multipart submission (the [`SubmitBody`] fields).
const TEXT_FIELDS: [&str; 9] = [
    "location",
    "lon",
    "lat",
    "crs",
    "category",
    "description",
    "contact",
    "role",
    "campaign_id",
];

/// Sets one text field of a form or multipart submission.
///
/// # Errors
/// 400 naming the field when it is not a submission field or was already given (a repeated
/// field is ambiguous: neither value silently wins).
fn set_text_field(b: &mut SubmitBody, name: &str, text: String) -> Result<(), AppError> {
    let given = match name {
        "location" => b.location.is_some(),
        "lon" => b.lon.is_some(),
        "lat" => b.lat.is_some(),
        "crs" => b.crs.is_some(),
        "category" => b.category.is_some(),
        "description" => b.description.is_some(),
        "contact" => b.contact.is_some(),
        "role" => b.role.is_some(),
        "campaign_id" => b.campaign_id.is_some(),
        _ => {
            return Err(AppError::bad_param(
                name,
                format!(
                    "unknown field `{name}`; accepted: {}, photo (multipart only)",
                    TEXT_FIELDS.join(", ")
                ),
            ))
        }
    };
    if given {
        return Err(AppError::bad_param(
            name,
            format!("field `{name}` is given more than once"),
        ));
    }
    match name {
        "location" => b.location = Some(LocationInput::Text(text)),
        "lon" => b.lon = Some(parse_f64("lon", &text)?),
        "lat" => b.lat = Some(parse_f64("lat", &text)?),
        "crs" => b.crs = Some(text),
        "category" => b.category = Some(text),
        "description" => b.description = Some(text),
        "contact" => b.contact = Some(text),
        "role" => b.role = Some(text),
        _ => b.campaign_id = Some(text),
    }
    Ok(())
}

/// `POST /api/v1/suggestions`
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "suggestions",
    request_body(content((SubmitBody = "application/json"), (SubmitForm = "multipart/form-data"))),
    responses(
        (status = 201, description = "Stored; `Location` names the new suggestion", body = SubmitResponse),
        (status = 400, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Photo or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit", body = Problem, content_type = "application/problem+json"),
    ))]
async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> Result<Response, AppError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let input = if ct.starts_with("multipart/form-data") {
        let mp = Multipart::from_request(req, &state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(r.body_text())
            } else {
                AppError::bad_param("body", r.body_text())
            }
        })?;
        read_multipart(mp).await?
    } else if ct.starts_with("application/x-www-form-urlencoded") {
        let pairs = read_form(req, &state).await?;
        let mut body = SubmitBody::default();
        for (k, v) in pairs {
            set_text_field(&mut body, &k, v)?;
        }
        SubmitInput { body, photo: None }
    } else {
        let ApiJson(body) = ApiJson::<SubmitBody>::from_request(req, &state).await?;
        SubmitInput { body, photo: None }
    };
    let (s, receipt, similar) = match submit_input(&state, input, ip).await {
        Err(e @ AppError::TooManyRequests(_)) => {
            return Ok(add_retry_after(&state, e.into_response()))
        }
        other => other?,
    };
    let location = format!("/api/v1/suggestions/{}", s.id);
    let body = SubmitResponse {
        suggestion: SuggestionView::new(&s, Audience::Public),
        receipt_token: receipt,
        similar_nearby: similar,
    };
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

// ------------------------------------------------------------------ reading

/// Filters of the public list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated statuses; `open` means submitted, accepted and in_progress.
    pub status: Option<String>,
    /// Comma-separated categories.
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
    pub limit: Option<usize>,
    /// Items to skip (default 0).
    pub offset: Option<usize>,
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

fn parse_time(param: &'static str, s: &str) -> Result<DateTime<Utc>, AppError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        // a bare date is midnight China time (UTC+8)
        let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        return Ok(DateTime::<Utc>::from_naive_utc_and_offset(
            local - chrono::Duration::hours(8),
            Utc,
        ));
    }
    Err(AppError::bad_param(
        param,
        format!(
            "`{s}` is not an RFC 3339 time (e.g. 2026-01-31T08:00:00+08:00) or a date YYYY-MM-DD"
        ),
    ))
}

/// Expands a county or city adcode into county adcodes.
pub(crate) fn expand_adcode(state: &AppState, a: &str) -> Result<Vec<String>, AppError> {
    let d = state
        .districts
        .get(a.trim())
        .ok_or_else(|| AppError::bad_param("adcode", format!("unknown adcode `{a}`")))?;
    Ok(match d.level {
        crate::districts::Level::County => vec![d.adcode.clone()],
        crate::districts::Level::City => state
            .districts
            .counties_of(&d.adcode)
            .map(|c| c.adcode.clone())
            .collect(),
    })
}

pub(crate) fn list_query(state: &AppState, p: &ListParams) -> Result<ListQuery, AppError> {
    let mut q = ListQuery::default();
    if let Some(s) = &p.status {
        for part in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
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
        for part in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
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
    q.limit = limit;
    q.offset = p.offset.unwrap_or(0);
    Ok(q)
}

/// `GET /api/v1/suggestions`: public views; with an officer token, the items of the
/// officer's districts come as full officer views (contact, original text, officer names).
#[utoipa::path(get, path = "/api/v1/suggestions", tag = "suggestions", params(ListParams),
    responses((status = 200, body = SuggestionPage),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
    headers: HeaderMap,
) -> Result<Json<SuggestionPage>, AppError> {
    let officer = officer_from(&state, &headers).await?;
    let q = list_query(&state, &p)?;
    let st = store(&state)?;
    let (limit, offset) = (q.limit, q.offset);
    let (items, total) = blocking(move || Ok(st.list_suggestions(&q)?)).await?;
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
    /// Search radius, metres (default per category, see `default_radius_m`; at most 5,000).
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
async fn nearby(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<NearbyParams>,
) -> Result<Json<NearbyResponse>, AppError> {
    let category: Category = p.category.parse()?;
    let crs = match &p.crs {
        Some(c) => c
            .parse::<Crs>()
            .map_err(|e| AppError::bad_choice("crs", e.to_string(), &["wgs84", "gcj02", "bd09"]))?,
        None => Crs::Wgs84,
    };
    let at = crs.to_wgs84(LonLat::new(p.lon, p.lat)?);
    let radius_m = p.radius_m.unwrap_or_else(|| default_radius_m(category));
    if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= MAX_NEARBY_RADIUS_M) {
        return Err(AppError::bad_param(
            "radius_m",
            format!("radius_m must be in (0, {MAX_NEARBY_RADIUS_M}] metres"),
        ));
    }
    let st = store(&state)?;
    let found = blocking(move || Ok(st.nearby_open(at, category, radius_m)?)).await?;
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
async fn categories() -> Json<Vec<CategoryInfo>> {
    Json(
        Category::ALL
            .iter()
            .map(|c| CategoryInfo {
                code: *c,
                label_zh: c.label_zh(),
                label_en: c.label_en(),
                nearby_radius_m: default_radius_m(*c),
            })
            .collect(),
    )
}

/// Receipt token from `?receipt=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptParams {
    /// The reporter's receipt token (or send `X-Receipt-Token`).
    pub receipt: Option<String>,
}

/// Who may see what of suggestion `s`: officer (token and district), reporter (receipt) or
/// public. A wrong receipt is 403; a bad token 401.
async fn audience_for(
    state: &AppState,
    headers: &HeaderMap,
    receipt: Option<String>,
    s: &Suggestion,
) -> Result<Audience, AppError> {
    if let Some(o) = officer_from(state, headers).await? {
        if o.handles(s.adcode.as_deref()) {
            return Ok(Audience::Officer);
        }
    }
    let receipt = receipt.or_else(|| {
        headers
            .get("x-receipt-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    if let Some(r) = receipt {
        let st = store(state)?;
        let id = s.id.clone();
        if blocking(move || Ok(st.check_receipt(&id, r.trim())?)).await? {
            return Ok(Audience::Reporter);
        }
        return Err(AppError::Forbidden(
            "the receipt token does not match this suggestion".into(),
        ));
    }
    Ok(Audience::Public)
}

async fn load(state: &AppState, id: String) -> Result<Suggestion, AppError> {
    let st = store(state)?;
    blocking(move || {
        st.suggestion(&id)?
            .ok_or_else(|| AppError::NotFound(format!("no suggestion `{id}`")))
    })
    .await
}

/// `GET /api/v1/suggestions/{id}`
#[utoipa::path(get, path = "/api/v1/suggestions/{id}", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"), ReceiptParams),
    responses((status = 200, body = SuggestionView),
              (status = 403, description = "Wrong receipt", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_one(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
) -> Result<Json<SuggestionView>, AppError> {
    let s = load(&state, id).await?;
    let audience = audience_for(&state, &headers, q.receipt, &s).await?;
    Ok(Json(SuggestionView::new(&s, audience)))
}

/// `GET /api/v1/suggestions/{id}/photo`
#[utoipa::path(get, path = "/api/v1/suggestions/{id}/photo", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id"), ReceiptParams),
    responses((status = 200, description = "The photo (metadata stripped)", content_type = "image/jpeg"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_photo(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let s = load(&state, id.clone()).await?;
    match audience_for(&state, &headers, q.receipt, &s).await? {
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
    let st = store(&state)?;
    let p = blocking(move || Ok(st.photo(&id)?)).await?;
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

/// `POST /api/v1/suggestions/{id}/support`
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/support", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id")),
    responses((status = 200, body = SupportOutcome),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn support(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    TrackingId(id): TrackingId,
) -> Result<Json<SupportOutcome>, AppError> {
    let st = store(&state)?;
    let client = ip
        .map(|i| i.to_string())
        .unwrap_or_else(|| "unknown".into());
    Ok(Json(blocking(move || Ok(st.support(&id, &client)?)).await?))
}

// ------------------------------------------------------------------ officers

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
async fn change_status(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
    headers: HeaderMap,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let o = require_officer(&state, &headers).await?;
    let to: Status = b.status.parse()?;
    let n = b.note.chars().count();
    if b.note.trim().is_empty() || n > 2000 {
        return Err(AppError::bad_param(
            "note",
            "a public note of 1–2,000 characters is required",
        ));
    }
    let s = load(&state, id.clone()).await?;
    if !o.handles(s.adcode.as_deref()) {
        return Err(AppError::Forbidden(format!(
            "suggestion `{id}` is in district {} which your token does not cover",
            s.adcode.as_deref().unwrap_or("(none)")
        )));
    }
    let st = store(&state)?;
    let s = blocking(move || Ok(st.transition(&id, to, &b.note, &o, Utc::now())?)).await?;
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
              (status = 403, description = "Wrong receipt", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "Still open, or closed too long ago", body = Problem, content_type = "application/problem+json")))]
async fn reopen(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
    ApiQuery(q): ApiQuery<ReceiptParams>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ReopenBody>,
) -> Result<Json<SuggestionView>, AppError> {
    let receipt = q.receipt.or_else(|| {
        headers
            .get("x-receipt-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let Some(receipt) = receipt else {
        return Err(AppError::Unauthorized(
            "send the receipt token (X-Receipt-Token or ?receipt=)".into(),
        ));
    };
    let n = b.note.chars().count();
    if b.note.trim().is_empty() || n > 2000 {
        return Err(AppError::bad_param(
            "note",
            "a public note of 1–2,000 characters is required",
        ));
    }
    let st = store(&state)?;
    let s = blocking(move || {
        if st.suggestion(&id)?.is_none() {
            return Err(AppError::NotFound(format!("no suggestion `{id}`")));
        }
        if !st.check_receipt(&id, receipt.trim())? {
            return Err(AppError::Forbidden(
                "the receipt token does not match this suggestion".into(),
            ));
        }
        Ok(st.reopen_by_reporter(&id, &b.note, Utc::now())?)
    })
    .await?;
    Ok(Json(SuggestionView::new(&s, Audience::Reporter)))
}

/// The caller's token record.
#[utoipa::path(get, path = "/api/v1/admin/whoami", tag = "officers", security(("bearer" = [])),
    responses((status = 200, body = crate::suggestions::Officer),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<crate::suggestions::Officer>, AppError> {
    Ok(Json(require_officer(&state, &headers).await?))
}

/// Export query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default; UTF-8 with BOM) or `geojson`.
    pub format: Option<String>,
    /// Comma-separated statuses (`open`, `closed` allowed).
    pub status: Option<String>,
    /// Comma-separated categories.
    pub category: Option<String>,
    /// County or city adcode (must be within the officer's districts).
    pub adcode: Option<String>,
    /// Only submitted at or after.
    pub since: Option<String>,
    /// Only submitted before.
    pub until: Option<String>,
}

/// `GET /api/v1/admin/suggestions/export`
#[utoipa::path(get, path = "/api/v1/admin/suggestions/export", tag = "officers",
    params(ExportParams), security(("bearer" = [])),
    responses((status = 200, description = "CSV (text/csv, UTF-8 with BOM) or GeoJSON"),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn export_suggestions(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<Response, AppError> {
    let o = require_officer(&state, &headers).await?;
    let format = p.format.clone().unwrap_or_else(|| "csv".into());
    if format != "csv" && format != "geojson" {
        return Err(AppError::bad_choice(
            "format",
            format!("unknown format `{format}`"),
            &["csv", "geojson"],
        ));
    }
    let lp = ListParams {
        status: p.status.clone(),
        category: p.category.clone(),
        adcode: p.adcode.clone(),
        since: p.since.clone(),
        until: p.until.clone(),
        limit: Some(1),
        ..Default::default()
    };
    let mut q = list_query(&state, &lp)?;
    q.limit = 0;
    if o.role != OfficerRole::Admin {
        // restrict to the officer's counties
        let mine: Vec<String> = o
            .adcodes
            .iter()
            .flat_map(|a| expand_adcode(&state, a).unwrap_or_default())
            .collect();
        q.adcodes = if q.adcodes.is_empty() {
            mine
        } else {
            q.adcodes.into_iter().filter(|a| mine.contains(a)).collect()
        };
        if q.adcodes.is_empty() {
            return Err(AppError::Forbidden(
                "the requested districts are outside your token".into(),
            ));
        }
    }
    let st = store(&state)?;
    let fmt = format.clone();
    let (items, n) = blocking(move || {
        let (items, n) = st.list_suggestions(&q)?;
        st.audit(
            Some(&o),
            "suggestion.export",
            &fmt,
            &serde_json::json!({"count": n}).to_string(),
        )?;
        Ok((items, n))
    })
    .await?;
    let stamp = Utc::now().format("%Y%m%d%H%M%S");
    if format == "csv" {
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"suggestions-{stamp}.csv\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
                (
                    header::HeaderName::from_static("x-total-count"),
                    n.to_string(),
                ),
            ],
            export::to_csv(&items),
        )
            .into_response())
    } else {
        Ok((
            [
                (header::CONTENT_TYPE, "application/geo+json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"suggestions-{stamp}.geojson\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
                (
                    header::HeaderName::from_static("x-total-count"),
                    n.to_string(),
                ),
            ],
            Json(export::to_geojson(&items, Audience::Officer)),
        )
            .into_response())
    }
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// 1–1000, default 100.
    pub limit: Option<usize>,
    /// Default 0.
    pub offset: Option<usize>,
}

/// `GET /api/v1/admin/audit`
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "officers", params(AuditParams),
    security(("bearer" = [])),
    responses((status = 200, body = [crate::suggestions::AuditEntry]),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Vec<crate::suggestions::AuditEntry>>, AppError> {
    let o = require_officer(&state, &headers).await?;
    require_admin(&o)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::bad_param("limit", "limit must be 1–1000"));
    }
    let offset = p.offset.unwrap_or(0);
    let st = store(&state)?;
    Ok(Json(
        blocking(move || Ok(st.audit_log(limit, offset)?)).await?,
    ))
}

/// Longest accepted text fields of a service point edited through the admin API, in
/// characters (Unicode scalar values): `(field, limit)`.
pub const POINT_TEXT_LIMITS: [(&str, usize); 5] = [
    ("name", 200),
    ("address", 500),
    ("opening_hours", 500),
    ("operator", 200),
    ("phone", 50),
];

/// Rejects over-long text fields of an edited point's JSON body (400 naming the field),
/// before the body is parsed (so a huge `opening_hours` is never parsed).
fn check_point_text_lengths(v: &serde_json::Value) -> Result<(), AppError> {
    for (field, limit) in POINT_TEXT_LIMITS {
        let n = v
            .get(field)
            .and_then(serde_json::Value::as_str)
            .map_or(0, |t| t.chars().count());
        if n > limit {
            return Err(AppError::bad_param(
                field,
                format!("`{field}` has {n} characters; at most {limit} are accepted"),
            ));
        }
    }
    Ok(())
}

/// The county-level district an edited point lies in, derived from its location (a point
/// on a border counts as inside, as for suggestions).
///
/// # Errors
/// 400 naming `location` when the location is outside every shipped district (no office
/// is responsible for it, for officers and admins alike); 400 naming `adcode` when the body
/// gives an adcode that differs from the derived one.
fn point_district(state: &AppState, p: &ServicePoint) -> Result<String, AppError> {
    let Some(d) = state.districts.county_at(p.location) else {
        return Err(AppError::bad_param(
            "location",
            format!(
                "location [{}, {}] is outside every served district",
                p.location.lon, p.location.lat
            ),
        ));
    };
    if let Some(given) = &p.adcode {
        use geo::Intersects;
        // on a shared border either neighbour is right
        let on_border_of_given = state.districts.get(given).is_some_and(|g| {
            g.level == crate::districts::Level::County
                && g.geometry.intersects(&p.location.to_point())
        });
        if *given != d.adcode && !on_border_of_given {
            return Err(AppError::bad_param(
                "adcode",
                format!(
                    "adcode `{given}` does not match the location, which lies in {} `{}`",
                    d.name, d.adcode
                ),
            ));
        }
    }
    Ok(p.adcode.clone().unwrap_or_else(|| d.adcode.clone()))
}

/// Whether officer `o` may change or delete the stored point `old`: the district its
/// location lies in must be one of theirs, and so must its recorded adcode if it has one
/// (imported records may carry an adcode that disagrees with the location). Admins may.
fn may_edit_stored(state: &AppState, o: &crate::suggestions::Officer, old: &ServicePoint) -> bool {
    let derived = state
        .districts
        .county_at(old.location)
        .map(|d| d.adcode.as_str());
    o.handles(derived) && old.adcode.as_deref().is_none_or(|a| o.handles(Some(a)))
}

/// Serialises service-point edits so that the database and the live index apply them in
/// the same order.
static POINT_EDITS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `PUT /api/v1/admin/points/{id}`: creates or replaces a service point; the index is
/// updated at once. The district (`adcode`) is derived from `location`, which must lie in a
/// served district; an officer may only place points in, and move points out of, their own
/// districts. Text limits: see [`POINT_TEXT_LIMITS`].
#[utoipa::path(put, path = "/api/v1/admin/points/{id}", tag = "officers",
    params(("id" = String, Path, description = "Service point id")),
    request_body(content = Object, description = "A service point (the `ServicePoint` JSON of the points API); `id` may be omitted"),
    security(("bearer" = [])),
    responses((status = 200, description = "Replaced"), (status = 201, description = "Created"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn put_point(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(mut v): ApiJson<serde_json::Value>,
) -> Result<Response, AppError> {
    let o = require_officer(&state, &headers).await?;
    if let Some(obj) = v.as_object_mut() {
        match obj.get("id") {
            None => {
                obj.insert("id".into(), serde_json::Value::String(id.clone()));
            }
            Some(serde_json::Value::String(s)) if *s == id => {}
            Some(other) => {
                return Err(AppError::bad_param(
                    "id",
                    format!("body id {other} differs from the path id `{id}`"),
                ))
            }
        }
    }
    check_point_text_lengths(&v)?;
    let mut p: ServicePoint = serde_json::from_value(v).map_err(|e| {
        let text = e.to_string();
        let param = text.split('`').nth(1).map(str::to_string);
        AppError::BadRequest {
            param,
            detail: text,
            valid: None,
        }
    })?;
    p.validate()
        .map_err(|e| AppError::bad_param("point", e.to_string()))?;
    p.adcode = Some(point_district(&state, &p)?);
    p.updated_at = Some(Utc::now());
    let _edit = POINT_EDITS.lock().await;
    let old = state.index().get(&id).cloned();
    if !o.handles(p.adcode.as_deref())
        || old
            .as_ref()
            .is_some_and(|old| !may_edit_stored(&state, &o, old))
    {
        return Err(AppError::Forbidden(
            "the point is outside your districts".into(),
        ));
    }
    let st = store(&state)?;
    let saved = p.clone();
    let existed = blocking(move || Ok(st.upsert_service_point(&saved, Some(&o))?)).await?;
    state.update_index(|ix| ix.upsert(p.clone()));
    let status = if existed || old.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(p)).into_response())
}

/// `DELETE /api/v1/admin/points/{id}`
#[utoipa::path(delete, path = "/api/v1/admin/points/{id}", tag = "officers",
    params(("id" = String, Path, description = "Service point id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_point(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let o = require_officer(&state, &headers).await?;
    let st = store(&state)?;
    let _edit = POINT_EDITS.lock().await;
    let old = match state.index().get(&id).cloned() {
        Some(p) => Some((*p).clone()),
        None => {
            let st = st.clone();
            let id = id.clone();
            blocking(move || Ok(st.service_point(&id)?)).await?
        }
    };
    let Some(old) = old else {
        return Err(AppError::NotFound(format!("no service point `{id}`")));
    };
    if !may_edit_stored(&state, &o, &old) {
        return Err(AppError::Forbidden(
            "the point is outside your districts".into(),
        ));
    }
    let key = id.clone();
    blocking(move || Ok(st.delete_service_point(&key, Some(&o))?)).await?;
    state.update_index(|ix| ix.remove(&id));
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------ campaigns

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
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<CampaignParams>,
) -> Result<Json<Vec<CampaignView>>, AppError> {
    let st = store(&state)?;
    let now = Utc::now();
    let all = blocking(move || Ok(st.campaigns()?)).await?;
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
async fn get_campaign(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, AppError> {
    let st = store(&state)?;
    let c = blocking(move || {
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
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(c): ApiJson<Campaign>,
) -> Result<Response, AppError> {
    let o = require_officer(&state, &headers).await?;
    require_admin(&o)?;
    let st = store(&state)?;
    let saved = c.clone();
    blocking(move || Ok(st.create_campaign(&saved, Some(&o))?)).await?;
    let loc = format!("/api/v1/campaigns/{}", c.id);
    let mut resp = (StatusCode::CREATED, Json(campaign_view(c, Utc::now()))).into_response();
    if let Ok(v) = HeaderValue::from_str(&loc) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

// ------------------------------------------------------------------ KPIs

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
    let st = store(&state)?;
    let items = blocking(move || Ok(st.list_suggestions(&q)?.0)).await?;
    let mut rows = stats::compute(&items);
    let total = rows.remove(0);
    Ok(Json(StatsResponse {
        adcode: p.adcode,
        since,
        generated_at: Utc::now(),
        total,
        districts: rows,
    }))
}

// ------------------------------------------------------------------ OGC API collection

/// The OGC API – Features collection `suggestions`: public fields only (masked
/// descriptions, no contact, no photo, no officer identities), newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct SuggestionsCollection;

impl super::ogc::CollectionProvider for SuggestionsCollection {
    fn id(&self) -> String {
        "suggestions".into()
    }
    fn title(&self) -> String {
        "人民建议 Suggestions".into()
    }
    fn description(&self) -> String {
        "Suggestions pinned on the map (public fields only; phone and ID numbers masked), WGS-84"
            .into()
    }
    fn extent(&self, state: &AppState) -> Option<[f64; 4]> {
        state.store.as_ref()?.suggestion_extent().ok().flatten()
    }
    fn items(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        limit: usize,
        offset: usize,
    ) -> Result<super::ogc::ItemsPage, AppError> {
        let Some(st) = &state.store else {
            return Ok(super::ogc::ItemsPage::default());
        };
        let q = ListQuery {
            bbox: bbox.copied(),
            limit: limit.max(1),
            offset,
            ..Default::default()
        };
        let (items, total) = st.list_suggestions(&q)?;
        Ok(super::ogc::ItemsPage {
            features: export::public_features(&items),
            number_matched: total,
        })
    }
    fn item(
        &self,
        state: &AppState,
        feature_id: &str,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let Some(st) = &state.store else {
            return Ok(None);
        };
        Ok(st
            .suggestion(feature_id)?
            .map(|s| export::feature(&s, Audience::Public)))
    }
}

// ------------------------------------------------------------------ composition

#[derive(OpenApi)]
#[openapi(
    paths(submit, list, nearby, categories, get_one, get_photo, support, change_status, reopen, whoami,
          export_suggestions, audit, put_point, delete_point, list_campaigns, get_campaign,
          create_campaign, get_stats),
    components(schemas(SubmitBody, SubmitForm, SubmitResponse, SuggestionView, SuggestionPage,
        NearbyResponse, NearbyItem, CategoryInfo, StatusBody, ReopenBody, CampaignView, Campaign,
        StatsResponse, stats::DistrictStats, SupportOutcome, Problem,
        crate::suggestions::AuditEntry, crate::suggestions::Officer)),
    tags((name = "suggestions", description = "人民建议: submit, follow, support"),
         (name = "officers", description = "办理: answers, exports, audit, service points"),
         (name = "campaigns", description = "征集活动"))
)]
struct Doc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/suggestions",
            post(submit)
                .layer(DefaultBodyLimit::max(SUBMIT_BODY_LIMIT))
                .get(list),
        )
        .route("/api/v1/suggestions/nearby", get(nearby))
        .route("/api/v1/suggestions/categories", get(categories))
        .route("/api/v1/suggestions/{id}", get(get_one))
        .route("/api/v1/suggestions/{id}/photo", get(get_photo))
        .route("/api/v1/suggestions/{id}/support", post(support))
        .route("/api/v1/suggestions/{id}/status", post(change_status))
        .route("/api/v1/suggestions/{id}/reopen", post(reopen))
        .route("/api/v1/campaigns", get(list_campaigns))
        .route("/api/v1/campaigns/{id}", get(get_campaign))
        .route("/api/v1/admin/campaigns", post(create_campaign))
        .route("/api/v1/admin/whoami", get(whoami))
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/admin/suggestions/export", get(export_suggestions))
        .route(
            "/api/v1/admin/points/{id}",
            put(put_point).delete(delete_point),
        )
        .route("/api/v1/stats", get(get_stats))
}

/// OpenAPI paths of this module, merged into `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Doc::openapi();
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
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_tracking_ids_are_canonical() {
        // Crockford base 32: O reads as 0, I and L as 1 (hand-mapped).
        assert_eq!(
            TrackingId::canonical(" s20261129-o1il2x "),
            "S20261129-01112X"
        );
        assert_eq!(
            TrackingId::canonical("S20261129-73W4DN"),
            "S20261129-73W4DN"
        );
    }
}
