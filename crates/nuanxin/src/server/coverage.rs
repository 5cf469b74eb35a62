//! Coverage routes: service circles and coverage analysis (thin handlers over
//! [`crate::coverage`]).
//!
//! - `GET /api/v1/service-areas?kind&mode&minutes[&bbox][&simplify|&zoom][&open_at]` — the
//!   service circles of the stations as a GeoJSON FeatureCollection (`application/geo+json`).
//! - `POST /api/v1/coverage` — coverage of an area: summary, per-district table (demand share
//!   first when there is demand), gap polygons and proposals for new sites.
//! - `POST /api/v1/coverage/proposals?format=csv|geojson` — the same analysis, its proposals
//!   as a download (WGS-84 and GCJ-02, percentages with one decimal, Beijing time, CRLF CSV).
//! - `POST /api/v1/coverage/day-night` — the same analysis at two times (default 12:00 and
//!   02:00 Beijing time) and the districts where night coverage drops most.
//!
//! Why this file is long: four coverage routes (service areas, coverage, proposals export,
//! day/night) with their request types and OpenAPI documentation; the analysis itself is in
//! the core (`coverage`).

use super::auth::ClientIp;
use super::{ApiJson, ApiQuery, AppError, AppState, Problem};
use crate::coverage::analysis::{self, CoverageReport};
use crate::coverage::circle::{
    metres_per_pixel, service_circle, vertices_for_tolerance, DEFAULT_VERTICES,
};
use crate::coverage::demand::DemandLayer;
use crate::coverage::export;
use crate::coverage::hours::{coverage_drop, parse_at, HourDrop};
use crate::coverage::{input, AreaSpec, Candidates, CoverageOptions, NoProgress};
use crate::index::Filter;
use crate::model::{Bbox, ServiceKind};
use crate::travel::TravelMode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{extract::State, Json};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most cells a coverage request may tile (Changsha city: 112 000 at resolution 9, 790 000 at
/// resolution 10).
pub const MAX_CELLS: usize = 1_000_000;
/// Longest travel time accepted, minutes (2 h: an e-bike circle of 30 km; straight-line
/// circles mean little beyond).
pub const MAX_MINUTES: f64 = 120.0;
/// Most new sites one request may propose.
pub const MAX_PROPOSE: usize = 1000;
/// Shortest travel time accepted, minutes (6 s: 8 m on foot).
pub const MIN_MINUTES: f64 = 0.1;
/// Smallest `simplify` tolerance accepted, metres.
pub const MIN_SIMPLIFY_M: f64 = 0.1;
/// Most circles one `service-areas` response may hold; narrow with `bbox` or `kind` beyond.
pub const MAX_CIRCLES: usize = 5_000;
/// Most polygon vertices (all circles together) one `service-areas` response may hold
/// (about 40 bytes of JSON each: ~10 MB); coarsen with `simplify`/`zoom` or narrow with `bbox`.
pub const MAX_RESPONSE_VERTICES: usize = 250_000;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(service_areas))
        .routes(routes!(coverage))
        .routes(routes!(proposals_export))
        .routes(routes!(day_night))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(CoverageRequest, CoverageReport, DayNightRequest, DayNightReport, HourDrop, Problem)),
    tags((name = "coverage", description = "Service circles, coverage analysis and proposals for new sites"))
)]
struct Doc;

fn parse_kinds(param: &str, s: Option<&str>) -> Result<Vec<ServiceKind>, AppError> {
    let Some(s) = s else { return Ok(Vec::new()) };
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<ServiceKind>()
                .map_err(|e| AppError::bad_choice(param, e.to_string(), &ServiceKind::codes()))
        })
        .collect()
}

fn parse_mode(s: Option<&str>) -> Result<TravelMode, AppError> {
    match s {
        None => Ok(TravelMode::Walk),
        Some(m) => m
            .parse()
            .map_err(|e: crate::travel::UnknownMode| AppError::from(e)),
    }
}

fn check_minutes(m: f64) -> Result<f64, AppError> {
    if !(m.is_finite() && (MIN_MINUTES..=MAX_MINUTES).contains(&m)) {
        return Err(AppError::bad_param(
            "minutes",
            format!(
                "minutes must be a number ≥ {MIN_MINUTES} and ≤ {MAX_MINUTES}; got {}",
                crate::error::shown_number(m)
            ),
        ));
    }
    Ok(m)
}

fn parse_open_at(s: Option<&str>) -> Result<Option<NaiveDateTime>, AppError> {
    let Some(s) = s else { return Ok(None) };
    crate::model::parse_local_time(s).map(Some).ok_or_else(|| {
        AppError::bad_param(
            "open_at",
            format!("open_at must be a local (UTC+8) time like 2026-01-15T20:30; got `{s}`"),
        )
    })
}

/// Query of `GET /api/v1/service-areas`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceAreasQuery {
    /// Station kinds, comma-separated codes (`station,legal_aid`); default all.
    pub kind: Option<String>,
    /// Travel mode: `walk` (5 km/h, default) or `ebike` (15 km/h); speeds are configurable.
    pub mode: Option<String>,
    /// Travel time, minutes (0.1 ..= 120); default 5.
    pub minutes: Option<f64>,
    /// Only stations whose circle may reach this box `west,south,east,north` (degrees).
    pub bbox: Option<String>,
    /// Largest departure of the polygon from the true circle, metres, ≥ 0.1 (fewer vertices
    /// for low zooms). Default: 64 vertices. A response holds at most 5 000 circles and
    /// 250 000 vertices (400 beyond: narrow with `bbox`/`kind` or coarsen).
    pub simplify: Option<f64>,
    /// Web-map zoom the circles are drawn at; sets `simplify` to half a pixel there.
    pub zoom: Option<f64>,
    /// Only stations open at this local (UTC+8) time, e.g. `2026-01-15T20:30`.
    pub open_at: Option<String>,
    /// `straight_line` (circles, default) or `network`: the area reachable along roads (the
    /// land within 40 m of the reached roads, enclosed courts filled, see
    /// `routing::search::service_area`), when the server has a road graph; otherwise circles. Each feature's `model` says which one it is
    /// (stations farther than 200 m from a road keep their circle). At most 500 network areas
    /// per response.
    pub model: Option<String>,
}

/// Most network service areas one response may hold.
const MAX_NETWORK_AREAS: usize = 500;

/// `straight_line` or `network` from a request (`param` names it in errors).
fn parse_model(param: &str, s: Option<&str>) -> Result<bool, AppError> {
    match s {
        None | Some("straight_line") => Ok(false),
        Some("network") => Ok(true),
        Some(other) => Err(AppError::bad_choice(
            param,
            format!("`{param}` = `{other}`: use straight_line or network"),
            &["straight_line", "network"],
        )),
    }
}

/// Service circles of stations (GeoJSON).
#[utoipa::path(
    get,
    path = "/api/v1/service-areas",
    tag = "coverage",
    params(ServiceAreasQuery),
    responses(
        (status = 200, description = "FeatureCollection: one (Multi)Polygon per station, with `id`, `name`, `kind`, `model`, `mode`, `minutes`, `vertices` (positions in the polygon's rings) and, for straight-line circles only, `radius_m` properties. Circles crossing the antimeridian are cut in two.", content_type = "application/geo+json", body = Object),
        (status = 400, description = "A bad parameter, named in `param`", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "This client has `analyses.per_client` analyses computing or waiting already; `Retry-After` says when to retry", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "The analysis queue is full (`Retry-After` says when to retry) or the analysis was stopped at its time budget (`analyses.budget_s`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn service_areas(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiQuery(q): ApiQuery<ServiceAreasQuery>,
) -> Result<Response, AppError> {
    let kinds = parse_kinds("kind", q.kind.as_deref())?;
    let mode = parse_mode(q.mode.as_deref())?;
    let minutes = check_minutes(q.minutes.unwrap_or(5.0))?;
    let radius_m = state.config.speeds.radius_m(mode, minutes);
    let bbox = q.bbox.as_deref().map(Bbox::parse).transpose()?;
    if let Some(s) = q.simplify {
        if !(s.is_finite() && s >= MIN_SIMPLIFY_M) {
            return Err(AppError::bad_param(
                "simplify",
                format!("simplify must be metres ≥ {MIN_SIMPLIFY_M}; got {s}"),
            ));
        }
    }
    if let Some(z) = q.zoom {
        if !(z.is_finite() && (0.0..=24.0).contains(&z)) {
            return Err(AppError::bad_param("zoom", "zoom must be in 0..=24"));
        }
    }
    let filter = Filter {
        kinds,
        open_at: parse_open_at(q.open_at.as_deref())?,
        ..Filter::default()
    };
    let index = state.index();
    let points = match &bbox {
        Some(b) => index.in_bbox(&b.expanded_by_m(radius_m), &filter),
        None => index
            .all_sorted()
            .into_iter()
            .filter(|p| filter.admits(p))
            .collect(),
    };
    if points.len() > MAX_CIRCLES {
        return Err(AppError::bad_param(
            if bbox.is_some() { "bbox" } else { "kind" },
            format!(
                "{} stations match, more than {MAX_CIRCLES} circles per response; narrow with `bbox` or `kind`",
                points.len()
            ),
        ));
    }
    let (simplify, zoom) = (q.simplify, q.zoom);
    let vertices_of = move |p: &crate::model::ServicePoint| {
        let tolerance =
            simplify.or_else(|| zoom.map(|z| 0.5 * metres_per_pixel(z, p.location.lat)));
        tolerance.map_or(DEFAULT_VERTICES, |t| vertices_for_tolerance(radius_m, t))
    };
    let network = parse_model("model", q.model.as_deref())?
        .then(|| state.roads.clone())
        .flatten();
    let network_used = network.is_some();
    if network.is_some() && points.len() > MAX_NETWORK_AREAS {
        return Err(AppError::bad_param(
            "bbox",
            format!(
                "{} stations match, more than {MAX_NETWORK_AREAS} network areas per response; narrow with `bbox` or `kind`",
                points.len()
            ),
        ));
    }
    let total: usize = points.iter().map(|p| vertices_of(p)).sum();
    if total > MAX_RESPONSE_VERTICES {
        let param = if q.simplify.is_some() {
            "simplify"
        } else if q.zoom.is_some() {
            "zoom"
        } else {
            "bbox"
        };
        return Err(AppError::bad_param(
            param,
            format!(
                "the circles would have {total} vertices, more than {MAX_RESPONSE_VERTICES} per response; use a larger `simplify`, a lower `zoom`, or narrow with `bbox` or `kind`"
            ),
        ));
    }
    let speeds = state.config.speeds;
    let feature_of = move |p: &crate::model::ServicePoint| {
        let n = vertices_of(p);
        let area = network.as_ref().and_then(|g| {
            nuanxin_core::routing::service_area(
                g,
                p.location,
                mode,
                &speeds,
                minutes,
                nuanxin_core::routing::DEFAULT_MAX_SNAP_M,
            )
        });
        let model = if area.is_some() {
            "network"
        } else {
            "straight_line"
        };
        let mp = match area {
            Some(a) => a.polygon,
            None => service_circle(p.location, radius_m, n),
        };
        // What the polygon holds: every ring's positions (the closing one included), so a
        // network area reports its own count, not the circle's (newcomer finding).
        let vertices: usize = mp
            .0
            .iter()
            .map(|poly| {
                poly.exterior().0.len() + poly.interiors().iter().map(|r| r.0.len()).sum::<usize>()
            })
            .sum();
        let mut properties = json!({
            "id": p.id, "name": p.name, "kind": p.kind, "model": model,
            "mode": mode, "minutes": minutes, "vertices": vertices,
        });
        // The circle's radius describes only a straight-line area.
        if model == "straight_line" {
            properties["radius_m"] = json!(radius_m);
        }
        // The Feature's text, written directly (members in the order serde_json writes a
        // map); the geometry rounded to 7 decimals and wound per RFC 7946
        // (`geojson_out::write_*`, the same text as through a `Value` tree, without it).
        let decimals = crate::geojson_out::DEFAULT_DECIMALS;
        let mut f = b"{\"geometry\":".to_vec();
        match mp.0.as_slice() {
            [one] => crate::geojson_out::write_polygon_geometry(one, decimals, &mut f),
            _ => crate::geojson_out::write_multipolygon_geometry(&mp, decimals, &mut f),
        }
        f.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut f, &p.id).map_err(|e| AppError::Internal(e.to_string()))?;
        f.extend_from_slice(b",\"properties\":");
        serde_json::to_writer(&mut f, &properties)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        f.extend_from_slice(b",\"type\":\"Feature\"}");
        Ok::<_, AppError>(f)
    };
    let features: Vec<Vec<u8>> = if network_used {
        // Network areas take up to a second each: a heavy analysis, through the gate, and
        // stopped between stations once cancelled.
        state
            .analyses
            .run(ip, move |cancel| {
                points
                    .iter()
                    .map(|p| {
                        if cancel.load(Ordering::Relaxed) {
                            Err(AppError::Unavailable(
                                "the service areas were cancelled".into(),
                            ))
                        } else {
                            feature_of(p)
                        }
                    })
                    .collect()
            })
            .await?
    } else {
        tokio::task::spawn_blocking(move || {
            points
                .iter()
                .map(|p| feature_of(p))
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??
    };
    let mut body = b"{\"features\":[".to_vec();
    for (k, f) in features.iter().enumerate() {
        if k > 0 {
            body.push(b',');
        }
        body.extend_from_slice(f);
    }
    body.extend_from_slice(b"],\"type\":\"FeatureCollection\"}");
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// Body of `POST /api/v1/coverage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageRequest {
    /// The area: exactly one of `{"adcode": "430100"}` (a shipped district or city),
    /// `{"geometry": <GeoJSON Polygon | MultiPolygon | Feature>}` or
    /// `{"bbox": [west, south, east, north]}` (degrees; west > east crosses the antimeridian).
    #[schema(value_type = Object)]
    pub area: Value,
    /// Station kinds that count (codes); default all.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `walk` (default) or `ebike`.
    pub mode: Option<String>,
    /// Travel time, minutes (0.1 ..= 120); default 5.
    pub minutes: Option<f64>,
    /// H3 resolution 0..=15; default 9 (mean cell 0.105 km², edge 201 m).
    pub resolution: Option<u8>,
    /// Only stations open at this local (UTC+8) time, e.g. `2026-01-15T20:30` (same as `at`
    /// without an offset).
    pub open_at: Option<String>,
    /// Only stations open at this time: RFC 3339 with an offset, e.g.
    /// `2026-12-01T02:00+08:00`, or Beijing time without one.
    pub at: Option<String>,
    /// Demand: `"builtup"` (建筑量: GHSL built volume, urban core only; outside it there is no
    /// data), `"pickups"` (取餐点: OpenStreetMap food and shop points), or a GeoJSON
    /// FeatureCollection of Points, each weighted by the numeric property named by
    /// `demand_weight_property` (default `weight`; missing → 1).
    #[schema(value_type = Option<Object>)]
    pub demand: Option<Value>,
    /// Name of the weight property of `demand` features; default `weight`.
    pub demand_weight_property: Option<String>,
    /// Number of new sites to propose; default 0.
    #[serde(alias = "k")]
    pub propose: Option<usize>,
    /// Where new sites may go: `"auto"` (default: cells holding demand when there is demand,
    /// else uncovered cells), `"demand_cells"`, `"uncovered_cells"`, `"all_cells"`, or a
    /// GeoJSON FeatureCollection of Points (ids from the feature `id` or an `id` property).
    #[schema(value_type = Option<Object>)]
    pub candidates: Option<Value>,
    /// `straight_line` (circles, default) or `network` (travel time along roads, when the
    /// server has a road graph; `parameters.model` of the report says which was used).
    pub model: Option<String>,
    /// Include gap polygons; default true.
    pub gaps: Option<bool>,
}

fn parse_candidates(v: Option<&Value>) -> Result<Candidates, AppError> {
    match v {
        None | Some(Value::Null) => Ok(Candidates::Auto),
        Some(Value::String(s)) => input::candidate_rule(s).ok_or_else(|| {
            AppError::bad_choice(
                "candidates",
                format!("unknown candidates `{s}`"),
                &input::CANDIDATE_RULES,
            )
        }),
        Some(v) => Ok(Candidates::Sites(input::sites("candidates", v)?)),
    }
}

/// Coverage of an area by service circles, gaps and proposals for new sites.
#[utoipa::path(
    post,
    path = "/api/v1/coverage",
    tag = "coverage",
    request_body = CoverageRequest,
    responses(
        (status = 200, description = "Summary, per-district table, gap polygons (GeoJSON) and proposals", body = CoverageReport),
        (status = 400, description = "A bad field, named in `param` (e.g. `area.adcode`, `minutes`, `resolution` — also when the area needs too many cells)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "Body too large", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "This client has `analyses.per_client` analyses computing or waiting already; `Retry-After` says when to retry", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "The analysis queue is full (`Retry-After` says when to retry) or the analysis was stopped at its time budget (`analyses.budget_s`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn coverage(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CoverageRequest>,
) -> Result<Json<CoverageReport>, AppError> {
    let (area, options) = options_of(&state, &req)?;
    Ok(Json(run(&state, ip, area, options).await?))
}

/// The area and analysis options a request asks for.
pub(crate) fn options_of(
    state: &AppState,
    req: &CoverageRequest,
) -> Result<(AreaSpec, CoverageOptions), AppError> {
    let area = input::area(&req.area)?;
    let kinds = req
        .kinds
        .iter()
        .map(|k| {
            k.parse::<ServiceKind>()
                .map_err(|e| AppError::bad_choice("kinds", e.to_string(), &ServiceKind::codes()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mode = parse_mode(req.mode.as_deref())?;
    let minutes = check_minutes(req.minutes.unwrap_or(5.0))?;
    let resolution =
        crate::coverage::resolution(req.resolution.unwrap_or(analysis::DEFAULT_RESOLUTION))?;
    let mut options = CoverageOptions::new(state.config.speeds.radius_m(mode, minutes));
    match &req.demand {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            options.demand_layer = Some(DemandLayer::parse(s).ok_or_else(|| {
                AppError::bad_choice(
                    "demand",
                    format!("unknown demand layer `{s}`"),
                    &["builtup", "pickups"],
                )
            })?);
        }
        Some(v) => {
            options.demand = input::demand(
                "demand",
                v,
                req.demand_weight_property.as_deref().unwrap_or("weight"),
            )?
        }
    }
    let open_at = match (&req.at, &req.open_at) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_param(
                "at",
                "give `at` or `open_at`, not both",
            ))
        }
        (Some(at), None) => Some(parse_at(at).map_err(|e| AppError::bad_param("at", e))?),
        (None, o) => parse_open_at(o.as_deref())?,
    };
    options.travel = Some((mode, minutes));
    options.filter = Filter {
        kinds,
        open_at,
        ..Filter::default()
    };
    options.resolution = resolution;
    options.max_cells = MAX_CELLS;
    options.propose = req.propose.unwrap_or(0);
    if options.propose > MAX_PROPOSE {
        return Err(AppError::bad_param(
            "propose",
            format!("propose at most {MAX_PROPOSE} sites"),
        ));
    }
    options.candidates = parse_candidates(req.candidates.as_ref())?;
    options.gaps = req.gaps.unwrap_or(true);
    if parse_model("model", req.model.as_deref())? {
        options.network = state
            .roads
            .clone()
            .map(|graph| crate::coverage::NetworkModel {
                graph,
                speeds: state.config.speeds,
                max_snap_m: nuanxin_core::routing::DEFAULT_MAX_SNAP_M,
            });
    }
    Ok((area, options))
}

/// Runs an analysis through the server's [`super::throttle::AnalysisGate`] (slot, queue,
/// per-client share, time budget); it stops when the request is dropped (timeout, client
/// gone) or its budget runs out.
async fn run(
    state: &AppState,
    ip: Option<std::net::IpAddr>,
    area: AreaSpec,
    mut options: CoverageOptions,
) -> Result<CoverageReport, AppError> {
    let index = state.index();
    let districts = state.districts;
    state
        .analyses
        .run(ip, move |cancel| {
            options.cancel = Some(cancel);
            Ok(analysis::analyze(
                &index,
                districts,
                &area,
                &options,
                &NoProgress,
            )?)
        })
        .await
}

/// Query of `POST /api/v1/coverage/proposals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default; Excel: UTF-8 with BOM, CRLF) or `geojson`.
    pub format: Option<String>,
}

/// The proposals of an analysis as a file to download: CSV (RFC 4180, CRLF, UTF-8 with BOM)
/// or GeoJSON, with WGS-84 and GCJ-02 (高德) coordinates, percentages with one decimal and the
/// time of the analysis in Beijing time.
#[utoipa::path(
    post,
    path = "/api/v1/coverage/proposals",
    tag = "coverage",
    params(ExportQuery),
    request_body = CoverageRequest,
    responses(
        (status = 200, description = "`text/csv` or `application/geo+json` attachment"),
        (status = 400, description = "A bad field, named in `param`", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "This client has `analyses.per_client` analyses computing or waiting already; `Retry-After` says when to retry", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "The analysis queue is full (`Retry-After` says when to retry) or the analysis was stopped at its time budget (`analyses.budget_s`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn proposals_export(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiQuery(q): ApiQuery<ExportQuery>,
    ApiJson(req): ApiJson<CoverageRequest>,
) -> Result<Response, AppError> {
    let geo = match q.format.as_deref() {
        None | Some("csv") => false,
        Some("geojson") => true,
        Some(f) => {
            return Err(AppError::bad_choice(
                "format",
                format!("unknown format `{f}`"),
                &["csv", "geojson"],
            ))
        }
    };
    let (area, mut options) = options_of(&state, &req)?;
    options.gaps = false;
    let report = run(&state, ip, area, options).await?;
    let now = chrono::Utc::now().fixed_offset();
    let stamp = now
        .with_timezone(&crate::model::china_offset())
        .format("%Y%m%d-%H%M");
    if geo {
        let body = export::proposals_geojson(&report, state.districts, now);
        Ok((
            [
                (header::CONTENT_TYPE, "application/geo+json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"proposals-{stamp}.geojson\""),
                ),
            ],
            Json(body),
        )
            .into_response())
    } else {
        let body = export::proposals_csv(&report, state.districts, now);
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"proposals-{stamp}.csv\""),
                ),
            ],
            body,
        )
            .into_response())
    }
}

/// Body of `POST /api/v1/coverage/day-night`: a coverage request plus the two times.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DayNightRequest {
    /// The analysis (its `at`/`open_at` must be absent; `propose` and `gaps` are ignored).
    #[serde(flatten)]
    pub coverage: CoverageRequest,
    /// Day time, RFC 3339 or Beijing time; default today 12:00 Beijing time.
    pub day: Option<String>,
    /// Night time; default today 02:00 Beijing time.
    pub night: Option<String>,
}

/// Coverage at two times, district by district.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DayNightReport {
    /// The day analysis (no gaps, no proposals).
    pub day: CoverageReport,
    /// The night analysis.
    pub night: CoverageReport,
    /// Districts by drop of coverage from day to night, largest first: where the next
    /// 24-hour station should go.
    pub drops: Vec<HourDrop>,
}

/// Day and night coverage side by side, and the districts where night coverage drops most.
#[utoipa::path(
    post,
    path = "/api/v1/coverage/day-night",
    tag = "coverage",
    request_body = DayNightRequest,
    responses(
        (status = 200, description = "Both analyses and the drops", body = DayNightReport),
        (status = 400, description = "A bad field, named in `param`", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "This client has `analyses.per_client` analyses computing or waiting already; `Retry-After` says when to retry", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "The analysis queue is full (`Retry-After` says when to retry) or the analysis was stopped at its time budget (`analyses.budget_s`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn day_night(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<DayNightRequest>,
) -> Result<Json<DayNightReport>, AppError> {
    if req.coverage.at.is_some() || req.coverage.open_at.is_some() {
        return Err(AppError::bad_param(
            "at",
            "give the times as `day` and `night`, not `at`",
        ));
    }
    let today = crate::model::china_local_now().date();
    let time = |param: &str, v: &Option<String>, h: u32| -> Result<NaiveDateTime, AppError> {
        match v {
            Some(s) => parse_at(s).map_err(|e| AppError::bad_param(param, e)),
            None => today
                .and_hms_opt(h, 0, 0)
                .ok_or_else(|| AppError::Internal(format!("{h}:00 is not a time of day"))),
        }
    };
    let day_at = time("day", &req.day, 12)?;
    let night_at = time("night", &req.night, 2)?;
    let (area, mut options) = options_of(&state, &req.coverage)?;
    options.gaps = false;
    options.propose = 0;
    let mut night_options = options.clone();
    options.filter.open_at = Some(day_at);
    night_options.filter.open_at = Some(night_at);
    // Both analyses in one slot and one budget.
    let index = state.index();
    let districts = state.districts;
    let (day, night) = state
        .analyses
        .run(ip, move |cancel| {
            options.cancel = Some(cancel.clone());
            night_options.cancel = Some(cancel);
            let day = analysis::analyze(&index, districts, &area, &options, &NoProgress)?;
            let night = analysis::analyze(&index, districts, &area, &night_options, &NoProgress)?;
            Ok((day, night))
        })
        .await?;
    let drops = coverage_drop(&day, &night);
    Ok(Json(DayNightReport { day, night, drops }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_lists_both_paths() {
        let doc = router().into_openapi();
        assert!(doc.paths.paths.contains_key("/api/v1/service-areas"));
        assert!(doc.paths.paths.contains_key("/api/v1/coverage"));
    }
}
