//! `POST /api/v1/suggestions`: the JSON body, the multipart form (with a photo) and the
//! urlencoded form, all read into one [`SubmitInput`] and stored by [`submit_input`] (also
//! used by Open311).

use super::super::auth::ClientIp;
use super::super::db::{blocking, Db};
use super::super::error::{ApiJson, AppError, Problem};
use super::super::AppState;
use crate::crs::Crs;
use crate::suggestions::idempotency::IdempotencyKey;
use crate::suggestions::submit::{self as rules, Submission, Submitted};
use crate::suggestions::{photo, Audience, SuggestionError, SuggestionView};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;

/// Largest request body of a submission, bytes: a 5 MiB photo plus form fields and
/// multipart overhead (the server-wide `body_limit_bytes` applies as well).
pub const SUBMIT_BODY_LIMIT: usize = photo::MAX_PHOTO_BYTES + 1024 * 1024;

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
    /// Private: mobile, landline, WeChat ID or email address (the reporter is then told of answers by email).
    pub contact: Option<String>,
    /// Private: email address, where email notifications go (never shown publicly).
    pub email: Option<String>,
    /// Private: given name (never shown publicly).
    pub first_name: Option<String>,
    /// Private: family name (never shown publicly).
    pub last_name: Option<String>,
    /// courier, rider, driver, resident, other.
    pub role: Option<String>,
    /// Campaign id (must be open, accept the category and cover the place).
    pub campaign_id: Option<String>,
}

/// A position as `[lon, lat]` numbers or as `"lon,lat"` text.
///
/// Deserialised by hand rather than `#[serde(untagged)]`, whose error ("data did not match any
/// variant of untagged enum LocationInput") named a Rust type instead of the accepted shapes
/// (newcomer finding, stop 21).
#[derive(Debug, Clone)]
pub enum LocationInput {
    /// `[lon, lat]`.
    Pair(Vec<f64>),
    /// `"lon,lat"` (brackets and spaces allowed).
    Text(String),
}

impl<'de> Deserialize<'de> for LocationInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = LocationInput;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[lon, lat] as two numbers, or the text \"lon,lat\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LocationInput::Text(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(x) = seq.next_element::<f64>()? {
                    if out.len() >= 3 {
                        return Err(serde::de::Error::invalid_length(out.len() + 1, &self));
                    }
                    out.push(x);
                }
                Ok(LocationInput::Pair(out))
            }
        }
        d.deserialize_any(V)
    }
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
    /// The `Idempotency-Key` header, read ([`idempotency_key`]).
    pub idempotency_key: Option<IdempotencyKey>,
}

/// The request header of idempotent submissions.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The response header of a repeat answered from the stored suggestion (`true`).
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The `Idempotency-Key` header of a request, if any (see [`crate::suggestions::idempotency`]).
///
/// # Errors
/// 400 naming `Idempotency-Key` when it is given twice or is not 8–255 visible ASCII
/// characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, AppError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AppError::bad_param(
            "Idempotency-Key",
            "Idempotency-Key is given more than once",
        ));
    }
    let text = v.to_str().map_err(|_| {
        AppError::bad_param(
            "Idempotency-Key",
            "Idempotency-Key takes visible ASCII characters only (use a UUID)",
        )
    })?;
    Ok(Some(IdempotencyKey::parse(text)?))
}

/// Answer to a submission: the public record plus the private receipt token.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitResponse {
    /// The suggestion as the public sees it.
    #[serde(flatten)]
    pub suggestion: SuggestionView,
    /// Private receipt token, shown only now: send it in the `X-Receipt-Token` header (never
    /// in the address: `?receipt=` is refused) to see your own full record and photo.
    pub receipt_token: String,
    /// The short code (6 Crockford base-32 characters) that, with the tracking id, opens
    /// the reporter's own record on any device (`POST /api/v1/suggestions/lookup`, or the
    /// `X-Receipt-Code` header). Shown only now.
    pub receipt_code: String,
    /// Open suggestions of the same category nearby (possible duplicates you may support).
    pub similar_nearby: usize,
}

fn parse_f64(field: &'static str, s: &str) -> Result<f64, AppError> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| AppError::bad_param(field, format!("`{s}` is not a number")))
}

impl SubmitBody {
    /// The channel-neutral [`Submission`] of this body (and `photo`): the position read
    /// from `location` or `lon`/`lat`, the CRS parsed; every other check is the library's.
    ///
    /// # Errors
    /// 400 naming `crs` or `location` when they cannot be read.
    pub(crate) fn into_submission(self, photo: Option<Vec<u8>>) -> Result<Submission, AppError> {
        let crs = match &self.crs {
            Some(c) => c.parse::<Crs>().map_err(|e| {
                AppError::bad_choice("crs", e.to_string(), &["wgs84", "gcj02", "bd09"])
            })?,
            None => Crs::Wgs84,
        };
        let position = match (&self.location, self.lon, self.lat) {
            (Some(loc), _, _) => match loc.numbers()?.as_slice() {
                [lon, lat] => Some((*lon, *lat)),
                _ => {
                    return Err(AppError::bad_param(
                        "location",
                        "location must be [lon, lat] (or the text \"lon,lat\")",
                    ))
                }
            },
            (None, Some(lon), Some(lat)) => Some((lon, lat)),
            _ => None,
        };
        Ok(Submission {
            position,
            crs,
            category: self.category,
            description: self.description,
            contact: self.contact,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            role: self.role,
            campaign_id: self.campaign_id,
            photo,
        })
    }
}

/// Validates and stores a submission from client `ip` ([`rules::submit`]): the stored record, the
/// receipt token and the number of similar open suggestions nearby.
///
/// The rate limit is charged only once the submission is valid, so a resident correcting a
/// typo is not locked out by their own rejected attempts (429 only for would-be-stored ones).
pub(crate) async fn submit_input(
    state: &AppState,
    input: SubmitInput,
    ip: Option<IpAddr>,
) -> Result<Submitted, AppError> {
    let Db(st) = Db::of(state)?;
    let state = state.clone();
    blocking(move || {
        let submission = input.body.into_submission(input.photo)?;
        let key = input.idempotency_key.as_ref();
        rules::submit(
            &st,
            &state.index(),
            submission,
            Utc::now(),
            key,
            || match &state.submission_limiter {
                Some(limiter) => limiter.check(ip),
                None => Ok(()),
            },
        )
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

pub(crate) fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
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
            input.photo = Some(read_photo_part(&mut field).await?);
            continue;
        }
        let text = field.text().await.map_err(multipart_error)?;
        set_text_field(&mut input.body, &name, text)?;
    }
    Ok(input)
}

/// Reads a multipart file part holding a photo, refusing it as soon as it passes
/// [`photo::MAX_PHOTO_BYTES`] (the type and content are checked when it is stored).
///
/// # Errors
/// 413 for a photo over the limit, 400 for a broken multipart body.
pub(crate) async fn read_photo_part(
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<Vec<u8>, AppError> {
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
    Ok(buf)
}

/// The text fields of a form or multipart submission (the [`SubmitBody`] fields).
const TEXT_FIELDS: [&str; 12] = [
    "location",
    "lon",
    "lat",
    "crs",
    "category",
    "description",
    "contact",
    "email",
    "first_name",
    "last_name",
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
        "email" => b.email.is_some(),
        "first_name" => b.first_name.is_some(),
        "last_name" => b.last_name.is_some(),
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
        "email" => b.email = Some(text),
        "first_name" => b.first_name = Some(text),
        "last_name" => b.last_name = Some(text),
        "role" => b.role = Some(text),
        _ => b.campaign_id = Some(text),
    }
    Ok(())
}

/// `POST /api/v1/suggestions`
///
/// With an `Idempotency-Key` header (a fresh UUID per suggestion), the request may be sent
/// again after a lost answer: a repeat with the same key and content answers 201 with the
/// stored suggestion and the same receipt token (`Idempotent-Replayed: true`) and stores
/// nothing; the same key with other content is refused with 422.
#[utoipa::path(post, path = "/api/v1/suggestions", tag = "suggestions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 8–255 visible ASCII characters, a fresh UUID per suggestion (draft-ietf-httpapi-idempotency-key-header)")),
    request_body(content((SubmitBody = "application/json"), (SubmitForm = "multipart/form-data"))),
    responses(
        (status = 201, description = "Stored (or, for a repeated Idempotency-Key, stored before: header `Idempotent-Replayed: true`); `Location` names the suggestion", body = SubmitResponse),
        (status = 400, description = "Invalid field or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Photo or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for a different submission", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable; retry after `Retry-After` seconds with the same Idempotency-Key", body = Problem, content_type = "application/problem+json"),
    ))]
pub(crate) async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> Result<Response, AppError> {
    let idempotency_key = idempotency_key(req.headers())?;
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
        SubmitInput {
            body,
            ..Default::default()
        }
    } else {
        let ApiJson(body) = ApiJson::<SubmitBody>::from_request(req, &state).await?;
        SubmitInput {
            body,
            ..Default::default()
        }
    };
    let input = SubmitInput {
        idempotency_key,
        ..input
    };
    let Submitted {
        suggestion: s,
        receipt_token: receipt,
        similar_nearby: similar,
        replayed,
    } = submit_input(&state, input, ip).await?;
    let location = format!("/api/v1/suggestions/{}", s.id);
    let body = SubmitResponse {
        suggestion: SuggestionView::new(&s, Audience::Public),
        receipt_code: crate::suggestions::receipt_code::code_of(&receipt),
        receipt_token: receipt,
        similar_nearby: similar,
    };
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    if replayed {
        resp.headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    Ok(resp)
}
