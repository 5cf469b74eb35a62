//! `POST /api/v1/suggestions`: the JSON body, the multipart form (with a photo) and the
//! urlencoded form, all read into one [`SubmitInput`] and stored by [`submit_input`] (also
//! used by Open311).

use super::super::auth::ClientIp;
use super::super::db::{blocking, Db};
use super::super::error::{ApiJson, AppError, Problem};
use super::super::AppState;
use crate::crs::Crs;
use crate::index::Filter;
use crate::model::{LonLat, ServiceKind};
use crate::suggestions::{
    photo, privacy, Audience, Category, CollectionPointRef, NewSuggestion, ReporterRole, Store,
    Suggestion, SuggestionError, SuggestionView,
};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;

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
    let Db(st) = Db::of(state)?;
    let state = state.clone();
    blocking(move || {
        let n = prepare(&state, &st, input, Utc::now())?;
        if let Some(limiter) = &state.submission_limiter {
            limiter.check(ip)?;
        }
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
pub(crate) async fn submit(
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
    let (s, receipt, similar) = submit_input(&state, input, ip).await?;
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
