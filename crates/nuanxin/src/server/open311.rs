//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>), XML (the required format,
//! written by [`super::open311_xml`]) and JSON: every path below answers as `.xml` and `.json`,
//! errors included (`<errors>` / `[{"code", "description"}]`).
//!
//! - `GET /open311/v2/discovery.{xml,json}`
//! - `GET /open311/v2/services.{xml,json}`: one service per suggestion category
//!   (`service_code` = the category code, `metadata: true`);
//! - `GET /open311/v2/services/{service_code}.{xml,json}`: the service definition, one
//!   optional `singlevaluelist` attribute `role` (who the reporter is); a POST with an
//!   `attribute[role]` outside its values, or any other `attribute[…]`, is a 400;
//! - `GET /open311/v2/requests.json`: `service_request_id` (comma list; other filters are
//!   then ignored, as the spec says), `service_code` (comma list), `status` (`open` |
//!   `closed`), `start_date`, `end_date` (ISO 8601). Without dates the last 90 days; at most
//!   1,000 requests, newest first;
//! - `POST /open311/v2/requests.json` (form-encoded as the spec says; JSON also accepted):
//!   `service_code`, `lat`, `long` (WGS-84; extension: `crs`), `description`, optional
//!   `email`, `first_name`, `last_name` and `phone` (the private contact: stored, shown to
//!   the reporter with their receipt and to officers of the district, never in public
//!   output; `email` is where notifications go), `attribute[role]`, extensions
//!   `role`, `campaign_id`. No API key is required: the
//!   submission rate limit applies instead. `address_string` without `lat`/`long` is
//!   rejected (no geocoder). Answers 201 with `[{service_request_id, service_notice,
//!   account_id, receipt_token}]`; `receipt_token` is an extension (see the suggestions API);
//! - `GET /open311/v2/requests/{id}.json`;
//! - `GET /open311/v2/tokens/{token}.json`: ids are given at once (the POST answers
//!   `service_request_id` directly), so the token of a request is its id and this answers
//!   `[{"service_request_id": id, "token": id}]` for a known one, 404 otherwise.
//!
//! **Media.** A POST may be `multipart/form-data` with the picture as the file part
//! `media` (JPEG, PNG or WebP, at most 5 MiB, the limits of the page's upload): it is stored
//! as the suggestion's photo, which stays private (never `media_url`). A `media_url` field
//! is ignored: nothing is downloaded.
//!
//! **Dates.** `start_date` and `end_date` take an ISO 8601 date-time or a date alone
//! (`2026-01-01`); a time without offset and a date are read in China Standard Time
//! (UTC+8). Both ends are inclusive: a date alone as `end_date` includes its whole day.
//!
//! Statuses: submitted, accepted, in_progress → `open`; resolved, declined → `closed`;
//! `status_notes` is the latest public note (with the Chinese status label when the note is
//! empty). Descriptions are masked as in every public output; contacts are never returned.
//! Errors use the GeoReport error format `[{"code": <status>, "description": "..."}]` with
//! the same HTTP statuses as the rest of the API.
//!
//! Why this file is long: every Open311 GeoReport v2 endpoint answers in XML and JSON with its
//! own field names and error format; the XML writer already lives beside it (`open311_xml`).

use super::auth::ClientIp;
use super::db::Db;
use super::error::AppError;
use super::suggestions::submit::{
    idempotency_key, read_form, submit_input, SubmitBody, SubmitInput,
};
use super::AppState;
use crate::suggestions::{Audience, Category, ListQuery, Status, Suggestion, SuggestionView};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most requests one `requests.json` answer holds.
pub const MAX_REQUESTS: usize = 1000;
/// Default window of `requests.json` without dates, days.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// The format a GeoReport path asks for by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fmt {
    /// `.json`
    #[default]
    Json,
    /// `.xml` (the specification's required format)
    Xml,
}

impl Fmt {
    /// Splits `name.json` / `name.xml` into the name and its format.
    fn split(file: &str) -> Option<(&str, Fmt)> {
        file.strip_suffix(".json")
            .map(|n| (n, Fmt::Json))
            .or_else(|| file.strip_suffix(".xml").map(|n| (n, Fmt::Xml)))
    }
}

/// An error in the GeoReport format of the path (`[{"code","description"}]` or `<errors>`).
#[derive(Debug)]
pub struct Open311Error(pub AppError, pub Fmt);

impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        Open311Error(e, Fmt::Json)
    }
}

/// Answers `value` as JSON or as the XML `to_xml` writes.
fn answer<T: Serialize>(
    fmt: Fmt,
    status: StatusCode,
    value: &T,
    to_xml: impl FnOnce(&T) -> String,
) -> Response {
    match fmt {
        Fmt::Json => (status, Json(value)).into_response(),
        Fmt::Xml => (
            status,
            [(header::CONTENT_TYPE, super::open311_xml::XML)],
            to_xml(value),
        )
            .into_response(),
    }
}

/// One GeoReport error object.
#[derive(Debug, Serialize, ToSchema)]
pub struct GeoReportError {
    /// HTTP status code.
    pub code: u16,
    /// What is wrong.
    pub description: String,
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        if let AppError::Internal(m) = &self.0 {
            tracing::error!(error = %m, "internal error (open311)");
        }
        let p = self.0.problem();
        let status = self.0.status();
        let description = match &p.param {
            Some(param) => format!("{param}: {}", p.detail),
            None => p.detail,
        };
        let body = vec![GeoReportError {
            code: status.as_u16(),
            description,
        }];
        let mut resp = answer(self.1, status, &body, |b| super::open311_xml::errors(b));
        self.0.add_headers(resp.headers_mut());
        resp
    }
}

type R<T> = Result<T, Open311Error>;

const CHANGESET: &str = "2026-01-01T00:00:00Z";
const CONTACT: &str = "暖新地图 Nuanxin Map — suggestions are answered by the district offices";
const KEY_SERVICE: &str = "No API key is needed; submissions are rate limited per client.";

/// `GET /open311/v2/discovery.json` (endpoint URL under the configured `public_url`)
#[utoipa::path(get, path = "/open311/v2/discovery.json", tag = "open311",
    responses((status = 200, body = Object, description = "GeoReport v2 service discovery")))]
async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let base = state.config.public_base();
    Json(json!({
        "changeset": CHANGESET,
        "contact": CONTACT,
        "key_service": KEY_SERVICE,
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }))
}

/// `GET /open311/v2/discovery.xml`
async fn discovery_xml(State(state): State<AppState>) -> Response {
    let base = state.config.public_base();
    (
        [(header::CONTENT_TYPE, super::open311_xml::XML)],
        super::open311_xml::discovery(
            CHANGESET,
            CONTACT,
            KEY_SERVICE,
            &format!("{base}/open311/v2"),
        ),
    )
        .into_response()
}

/// One GeoReport service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// The category code.
    pub service_code: String,
    /// Chinese label / English label.
    pub service_name: String,
    /// What it is for.
    pub description: String,
    /// True: every service has a definition (`services/{service_code}.json|xml`) with
    /// optional attributes.
    pub metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Keywords (code, Chinese, English).
    pub keywords: String,
    /// Group.
    pub group: String,
}

/// One attribute of a service definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attribute {
    /// True: the reporter supplies a value.
    pub variable: bool,
    /// Attribute code (POST it as `attribute[code]`).
    pub code: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: String,
    /// Whether a request must carry it.
    pub required: bool,
    /// How to fill it in.
    pub datatype_description: String,
    /// Display order, from 1.
    pub order: u32,
    /// The question.
    pub description: String,
    /// Allowed values of list datatypes.
    pub values: Vec<AttributeValue>,
}

/// One allowed value of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    /// Value to send.
    pub key: String,
    /// Label.
    pub name: String,
}

/// A service definition (`services/{service_code}.json|xml`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    /// The category code.
    pub service_code: String,
    /// The attributes.
    pub attributes: Vec<Attribute>,
}

/// The definition of `code`'s service: every category has the optional `role` attribute
/// (who the reporter is).
fn definition(code: Category) -> ServiceDefinition {
    use crate::suggestions::ReporterRole;
    ServiceDefinition {
        service_code: code.as_str().into(),
        attributes: vec![Attribute {
            variable: true,
            code: "role".into(),
            datatype: "singlevaluelist".into(),
            required: false,
            datatype_description: "One of the keys; may be left out. 可不填。".into(),
            order: 1,
            description: "您的身份 / Who are you?".into(),
            values: ReporterRole::ALL
                .iter()
                .map(|r| AttributeValue {
                    key: r.as_str().into(),
                    name: format!("{} / {}", r.label_zh(), r.label_en()),
                })
                .collect(),
        }],
    }
}

/// `GET /open311/v2/services/{service_code}.json` (or `.xml`)
#[utoipa::path(get, path = "/open311/v2/services/{service_code}.json", tag = "open311",
    params(("service_code" = String, Path, description = "A category code")),
    responses((status = 200, body = ServiceDefinition), (status = 404, body = [GeoReportError])))]
async fn service_definition(Path(file): Path<String>) -> R<Response> {
    let (code, fmt) = Fmt::split(&file).ok_or_else(|| {
        Open311Error(
            AppError::NotFound("ask for `{service_code}.json` or `{service_code}.xml`".into()),
            Fmt::Json,
        )
    })?;
    let code: Category = code.parse().map_err(|_| {
        Open311Error(
            AppError::NotFound(format!(
                "no service `{code}`; services: {}",
                Category::codes().join(", ")
            )),
            fmt,
        )
    })?;
    Ok(answer(fmt, StatusCode::OK, &definition(code), |d| {
        super::open311_xml::service_definition(d)
    }))
}

/// `GET /open311/v2/services.xml`
async fn services_xml() -> Response {
    answer(Fmt::Xml, StatusCode::OK, &service_list(), |l| {
        super::open311_xml::services(l)
    })
}

/// `GET /open311/v2/services.json`
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311",
    responses((status = 200, body = [Service])))]
async fn services() -> Json<Vec<Service>> {
    Json(service_list())
}

fn service_list() -> Vec<Service> {
    Category::ALL
        .iter()
        .map(|c| Service {
            service_code: c.as_str().to_string(),
            service_name: format!("{} / {}", c.label_zh(), c.label_en()),
            description: format!(
                "人民建议：{}。Suggestion of category {}.",
                c.label_zh(),
                c.label_en()
            ),
            metadata: true,
            type_: "realtime".into(),
            keywords: format!("{},{},{}", c.as_str(), c.label_zh(), c.label_en()),
            group: "人民建议 / Suggestions".into(),
        })
        .collect()
}

/// One service request in GeoReport form.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    /// Tracking id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Latest public note.
    pub status_notes: Option<String>,
    /// Service name.
    pub service_name: String,
    /// Category code.
    pub service_code: String,
    /// Description (phone and ID numbers masked).
    pub description: String,
    /// District and collection point responsible.
    pub agency_responsible: Option<String>,
    /// Notice.
    pub service_notice: Option<String>,
    /// Submitted at.
    pub requested_datetime: DateTime<Utc>,
    /// Last change.
    pub updated_datetime: DateTime<Utc>,
    /// Not estimated.
    pub expected_datetime: Option<DateTime<Utc>>,
    /// District name.
    pub address: Option<String>,
    /// Not used.
    pub address_id: Option<String>,
    /// Not used.
    pub zipcode: Option<String>,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub long: f64,
    /// Photos are private: always null.
    pub media_url: Option<String>,
    /// Extension: detailed status code (submitted, accepted, in_progress, resolved, declined).
    pub detailed_status: Status,
}

/// Maps a suggestion to GeoReport (public fields only).
pub fn to_service_request(s: &Suggestion) -> ServiceRequest {
    let v = SuggestionView::new(s, Audience::Public);
    let last_note = v.history.iter().rev().find(|h| h.from.is_some()).map(|h| {
        if h.note.is_empty() {
            h.to_label_zh.clone()
        } else {
            h.note.clone()
        }
    });
    let agency = match (&v.district_name, &v.collection_point) {
        (Some(d), Some(cp)) => Some(format!("{d} · {}", cp.name)),
        (Some(d), None) => Some(d.clone()),
        (None, Some(cp)) => Some(cp.name.clone()),
        (None, None) => None,
    };
    ServiceRequest {
        service_request_id: s.id.clone(),
        status: if s.status.is_open() { "open" } else { "closed" }.into(),
        status_notes: last_note,
        service_name: format!("{} / {}", s.category.label_zh(), s.category.label_en()),
        service_code: s.category.as_str().into(),
        description: v.description,
        agency_responsible: agency,
        service_notice: None,
        requested_datetime: s.created_at,
        updated_datetime: s.updated_at,
        expected_datetime: None,
        address: v.district_name,
        address_id: None,
        zipcode: None,
        lat: s.location.lat,
        long: s.location.lon,
        media_url: None,
        detailed_status: s.status,
    }
}

/// Query of `requests.json`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestsParams {
    /// Comma-separated ids.
    pub service_request_id: Option<String>,
    /// Comma-separated category codes.
    pub service_code: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// Earliest submission (ISO 8601).
    pub start_date: Option<String>,
    /// Latest submission (ISO 8601, inclusive; a date alone includes its whole day).
    pub end_date: Option<String>,
    /// Ignored (one jurisdiction).
    pub jurisdiction_id: Option<String>,
}

fn iso(param: &'static str, s: &str) -> Result<DateTime<Utc>, AppError> {
    crate::model::parse_instant(s).ok_or_else(|| {
        AppError::bad_param(
            param,
            format!("`{s}` is not an ISO 8601 date-time (e.g. 2026-01-31T00:00:00+08:00)"),
        )
    })
}

/// The exclusive bound of an inclusive `end_date`: the next midnight (UTC+8) after a date
/// alone, else one millisecond (the store's resolution) after the instant.
fn iso_end(s: &str) -> Result<DateTime<Utc>, AppError> {
    let t = iso("end_date", s)?;
    let date_only = ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .any(|f| chrono::NaiveDate::parse_from_str(s.trim(), f).is_ok());
    Ok(if date_only {
        t + Duration::days(1)
    } else {
        t + Duration::milliseconds(1)
    })
}

/// `GET /open311/v2/requests.json`
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311", params(RequestsParams),
    responses((status = 200, body = [ServiceRequest]), (status = 400, body = [GeoReportError])))]
async fn get_requests(
    state: State<AppState>,
    q: Result<Query<RequestsParams>, axum::extract::rejection::QueryRejection>,
) -> R<Response> {
    requests_in(state, q, Fmt::Json).await
}

/// `GET /open311/v2/requests.xml`
async fn get_requests_xml(
    state: State<AppState>,
    q: Result<Query<RequestsParams>, axum::extract::rejection::QueryRejection>,
) -> R<Response> {
    requests_in(state, q, Fmt::Xml).await
}

async fn requests_in(
    State(state): State<AppState>,
    q: Result<Query<RequestsParams>, axum::extract::rejection::QueryRejection>,
    fmt: Fmt,
) -> R<Response> {
    let xml_err = |e: AppError| Open311Error(e, fmt);
    let list = requests_list(&state, q).await.map_err(xml_err)?;
    Ok(answer(fmt, StatusCode::OK, &list, |l| {
        super::open311_xml::service_requests(l)
    }))
}

async fn requests_list(
    state: &AppState,
    q: Result<Query<RequestsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Vec<ServiceRequest>, AppError> {
    let Query(p) = q.map_err(|r| AppError::bad_param("query", r.body_text()))?;
    let mut lq = ListQuery {
        limit: MAX_REQUESTS,
        ..Default::default()
    };
    if let Some(ids) = &p.service_request_id {
        lq.ids = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    } else {
        if let Some(codes) = &p.service_code {
            for c in codes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                lq.categories.push(c.parse().map_err(AppError::from)?);
            }
        }
        // GeoReport v2 allows a comma list (`status=open,closed`): the union of each value's
        // statuses, in the order first named.
        for word in AppError::list_items("status", p.status.as_deref().unwrap_or(""))? {
            let named: &[Status] = match word {
                "open" => &[Status::Submitted, Status::Accepted, Status::InProgress],
                "closed" => &[Status::Resolved, Status::Declined],
                other => {
                    return Err(AppError::bad_choice(
                        "status",
                        format!("unknown status `{other}`"),
                        &["open", "closed"],
                    ))
                }
            };
            for st in named {
                if !lq.statuses.contains(st) {
                    lq.statuses.push(*st);
                }
            }
        }
        lq.since = p
            .start_date
            .as_deref()
            .map(|s| iso("start_date", s))
            .transpose()?;
        lq.until = p.end_date.as_deref().map(iso_end).transpose()?;
        if lq.since.is_none() && lq.until.is_none() {
            lq.since = Some(Utc::now() - Duration::days(DEFAULT_WINDOW_DAYS));
        }
    }
    let items = Db::of(state)?
        .run(move |st| Ok(st.list_suggestions(&lq)?.0))
        .await?;
    Ok(items.iter().map(to_service_request).collect())
}

/// `GET /open311/v2/requests/{id}.json`
#[utoipa::path(get, path = "/open311/v2/requests/{id}.json", tag = "open311",
    params(("id" = String, Path, description = "service_request_id")),
    responses((status = 200, body = [ServiceRequest]), (status = 404, body = [GeoReportError])))]
async fn get_request(State(state): State<AppState>, Path(file): Path<String>) -> R<Response> {
    let Some((id, fmt)) = Fmt::split(&file) else {
        return Err(AppError::NotFound("ask for `{id}.json` or `{id}.xml`".into()).into());
    };
    let id = id.to_string();
    let s = Db::of(&state)
        .map_err(|e| Open311Error(e, fmt))?
        .run(move |st| {
            st.suggestion(&id)?
                .ok_or_else(|| AppError::NotFound(format!("no service request `{id}`")))
        })
        .await
        .map_err(|e| Open311Error(e, fmt))?;
    Ok(answer(
        fmt,
        StatusCode::OK,
        &vec![to_service_request(&s)],
        |l| super::open311_xml::service_requests(l),
    ))
}

/// The answer to a POST.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedRequest {
    /// The new id.
    pub service_request_id: String,
    /// Notice to the reporter.
    pub service_notice: String,
    /// Not used.
    pub account_id: Option<String>,
    /// Extension: private receipt token (see `GET /api/v1/suggestions/{id}`).
    pub receipt_token: String,
}

/// `POST /open311/v2/requests.json`
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "service_code, lat, long, description; email, first_name, last_name, phone (the private contact: stored, never shown publicly); crs (extension)"),
    responses((status = 201, body = [CreatedRequest]), (status = 400, body = [GeoReportError]),
              (status = 429, body = [GeoReportError])))]
async fn post_request(state: State<AppState>, ip: ClientIp, req: Request) -> R<Response> {
    post_in(state, ip, req, Fmt::Json).await
}

/// `POST /open311/v2/requests.xml`
async fn post_request_xml(state: State<AppState>, ip: ClientIp, req: Request) -> R<Response> {
    post_in(state, ip, req, Fmt::Xml).await
}

async fn post_in(state: State<AppState>, ip: ClientIp, req: Request, fmt: Fmt) -> R<Response> {
    let (body, loc) = post_core(state, ip, req)
        .await
        .map_err(|e| Open311Error(e, fmt))?;
    let ext = if fmt == Fmt::Xml { "xml" } else { "json" };
    let mut resp = answer(fmt, StatusCode::CREATED, &body, |b| {
        super::open311_xml::created(b)
    });
    if let Ok(v) = HeaderValue::from_str(&format!("{loc}.{ext}")) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

async fn post_core(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> Result<(Vec<CreatedRequest>, String), AppError> {
    let idempotency_key = idempotency_key(req.headers())?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = content_type.starts_with("application/json");
    let is_multipart = content_type.starts_with("multipart/form-data");
    let mut media: Option<Vec<u8>> = None;
    let pairs: Vec<(String, String)> = if is_multipart {
        let (pairs, file) = read_multipart_media(req, &state).await?;
        media = file;
        pairs
    } else if is_json {
        let v = super::error::ApiJson::<serde_json::Map<String, Value>>::from_request(req, &state)
            .await?
            .0;
        v.into_iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, s)
            })
            .collect()
    } else {
        read_form(req, &state).await?
    };
    let mut b = SubmitBody::default();
    let mut address = false;
    for (k, v) in pairs {
        let num = |field: &'static str, v: &str| -> Result<f64, AppError> {
            v.trim()
                .parse::<f64>()
                .map_err(|_| AppError::bad_param(field, format!("`{v}` is not a number")))
        };
        match k.as_str() {
            "service_code" => b.category = Some(v),
            "lat" => b.lat = Some(num("lat", &v)?),
            "long" => b.lon = Some(num("long", &v)?),
            "description" => b.description = Some(v),
            // The private contact (never shown publicly): stored, shown to the reporter
            // and to officers; `email` is where email notifications go.
            "phone" => b.contact = Some(v),
            "email" => b.email = Some(v),
            "first_name" => b.first_name = Some(v),
            "last_name" => b.last_name = Some(v),
            "attribute[role]" => {
                use crate::suggestions::ReporterRole;
                if v.trim().parse::<ReporterRole>().is_err() {
                    return Err(AppError::bad_choice(
                        "attribute[role]",
                        format!("`{v}` is not a value of attribute `role`"),
                        &ReporterRole::codes(),
                    ));
                }
                b.role = Some(v);
            }
            k if k.starts_with("attribute[") => {
                return Err(AppError::bad_param(
                    "attribute",
                    format!(
                    "`{k}`: the service definition has no such attribute (only attribute[role])"
                ),
                ))
            }
            "crs" => b.crs = Some(v),
            "role" => b.role = Some(v),
            "campaign_id" => b.campaign_id = Some(v),
            "address_string" | "address_id" => address = true,
            _ => {}
        }
    }
    if b.category.is_none() {
        return Err(AppError::bad_choice(
            "service_code",
            "service_code is required",
            &Category::codes(),
        ));
    }
    if b.lat.is_none() || b.lon.is_none() {
        let msg = if address {
            "lat and long are required (address_string is not supported: no geocoder)"
        } else {
            "lat and long are required"
        };
        return Err(AppError::bad_param("lat", msg));
    }
    let submitted = submit_input(
        &state,
        SubmitInput {
            body: b,
            photo: media,
            idempotency_key,
        },
        ip,
    )
    .await;
    let crate::suggestions::submit::Submitted {
        suggestion: s,
        receipt_token: receipt,
        ..
    } = submitted?;
    let loc = format!("/open311/v2/requests/{}", s.id);
    let body = vec![CreatedRequest {
        service_request_id: s.id.clone(),
        service_notice: format!(
            "已提交，由{}受理 / Submitted; keep the receipt token to follow it privately",
            SuggestionView::new(&s, Audience::Public)
                .district_name
                .unwrap_or_else(|| "相关部门".into())
        ),
        account_id: None,
        receipt_token: receipt,
    }];
    Ok((body, loc))
}

/// The text fields of a multipart POST and its `media` file part.
async fn read_multipart_media(
    req: Request,
    state: &AppState,
) -> Result<(Vec<(String, String)>, Option<Vec<u8>>), AppError> {
    use super::suggestions::submit::{multipart_error, read_photo_part};
    let mut mp = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(r.body_text())
            } else {
                AppError::bad_param("body", r.body_text())
            }
        })?;
    let mut pairs = Vec::new();
    let mut media = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "media" {
            if media.is_some() {
                return Err(AppError::bad_param(
                    "media",
                    "only one `media` file may be attached",
                ));
            }
            media = Some(read_photo_part(&mut field).await?);
        } else {
            pairs.push((name, field.text().await.map_err(multipart_error)?));
        }
    }
    Ok((pairs, media))
}

/// The answer of `GET tokens/{token}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    /// The request's id.
    pub service_request_id: String,
    /// The token asked for (the same id: ids are immediate).
    pub token: String,
}

/// `GET /open311/v2/tokens/{token}.json`
#[utoipa::path(get, path = "/open311/v2/tokens/{token}.json", tag = "open311",
    params(("token" = String, Path, description = "The token of a POST; ids are immediate, so it is the service_request_id")),
    responses((status = 200, body = [TokenAnswer]), (status = 404, body = [GeoReportError])))]
async fn get_token(State(state): State<AppState>, Path(file): Path<String>) -> R<Response> {
    let Some((token, fmt)) = Fmt::split(&file) else {
        return Err(AppError::NotFound("ask for `{token}.json` or `{token}.xml`".into()).into());
    };
    let token = token.to_string();
    let id = Db::of(&state)
        .map_err(|e| Open311Error(e, fmt))?
        .run(move |st| {
            st.suggestion(&token)?.map(|s| s.id).ok_or_else(|| {
                AppError::NotFound(format!("no service request for token `{token}`"))
            })
        })
        .await
        .map_err(|e| Open311Error(e, fmt))?;
    let body = vec![TokenAnswer {
        service_request_id: id.clone(),
        token: id,
    }];
    Ok(answer(fmt, StatusCode::OK, &body, |b| {
        super::open311_xml::tokens(b)
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(get_request, service_definition, get_token),
    components(schemas(Service, ServiceDefinition, Attribute, AttributeValue, ServiceRequest, CreatedRequest, GeoReportError, TokenAnswer)),
    tags((name = "open311", description = "Open311 GeoReport v2 (XML and JSON: every `.json` path also answers as `.xml`)"))
)]
struct Doc;

/// Adds to `doc` the `.xml` form of every GeoReport `.json` operation in it: the same
/// parameters and request body, an operation id ending in `_xml`, and every response that
/// has a body as `text/xml` (a string: the GeoReport XML that [`super::open311_xml`] writes,
/// errors as `<errors>`). Regression (polish5, item 7): the `.xml` routes, the
/// specification's required format, were missing from `/api/openapi.json`, so neither
/// clients nor Schemathesis saw them.
fn document_xml_forms(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{Content, RefOr};
    let xml_body = || {
        Content::new(Some(RefOr::T(utoipa::openapi::Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("GeoReport v2 XML"))
                .build(),
        ))))
    };
    let twins: Vec<(String, utoipa::openapi::PathItem)> = doc
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| {
            let name = path.strip_prefix("/open311/v2/")?.strip_suffix(".json")?;
            let mut item = item.clone();
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                if let Some(id) = op.operation_id.as_mut() {
                    id.push_str("_xml");
                }
                for response in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = response {
                        if !r.content.is_empty() {
                            r.content.clear();
                            r.content
                                .insert(super::open311_xml::XML_MEDIA_TYPE.into(), xml_body());
                        }
                    }
                }
            }
            Some((format!("/open311/v2/{name}.xml"), item))
        })
        .collect();
    doc.paths.paths.extend(twins);
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    let mut r = OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(discovery))
        .routes(routes!(services))
        .routes(routes!(get_requests, post_request))
        // The XML forms answer the same operations (documented by `document_xml_forms`).
        .route("/open311/v2/discovery.xml", get(discovery_xml))
        .route("/open311/v2/services.xml", get(services_xml))
        .route(
            "/open311/v2/requests.xml",
            get(get_requests_xml).post(post_request_xml),
        )
        // `{id}.json` / `{service_code}.xml`: axum captures whole segments, so the routes take
        // the file name and the handlers split off the extension; the operations are
        // documented as `{id}.json` and `{id}.xml`, `{service_code}.json` and `.xml`.
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(get_request))
        .route("/open311/v2/tokens/{file}", get(get_token));
    document_xml_forms(r.get_openapi_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_date_is_inclusive() {
        // A date alone closes at the next midnight, China Standard Time (16:00 UTC).
        assert_eq!(
            iso_end("2026-01-31").unwrap().to_rfc3339(),
            "2026-01-31T16:00:00+00:00"
        );
        assert_eq!(
            iso_end("2026/01/31").unwrap().to_rfc3339(),
            "2026-01-31T16:00:00+00:00"
        );
        // An instant is included: the bound is one millisecond later.
        assert_eq!(
            iso_end("2026-01-31T08:00:00Z").unwrap().to_rfc3339(),
            "2026-01-31T08:00:00.001+00:00"
        );
        assert!(iso_end("31.01.2026").is_err());
    }
}
