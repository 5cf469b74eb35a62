//! District boundaries for the map: the list of cities and counties (adcodes, names,
//! bboxes), also as a GeoJSON FeatureCollection, and one district's boundary as a GeoJSON
//! Feature. Boundaries are written per RFC 7946 (counter-clockwise exteriors, 7 decimals
//! unless `precision` asks otherwise; see `nuanxin_core::geojson_out`).

use super::error::{AppError, Problem};
use super::points::geojson::{geojson_response, to_json_bytes, PointFeatureDoc};
use super::points::query::Params;
use super::AppState;
use crate::geojson_out::{self, DEFAULT_DECIMALS, MAX_DECIMALS};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One district in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistrictSummary {
    /// 6-digit GB/T 2260 code.
    pub adcode: String,
    /// Chinese name.
    pub name: String,
    /// `city` or `county`.
    pub level: String,
    /// The enclosing city's adcode (counties only).
    pub parent_adcode: Option<String>,
    /// `[west, south, east, north]`, WGS-84 degrees.
    pub bbox: [f64; 4],
}

/// The district list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DistrictList {
    /// Districts sorted by adcode.
    pub districts: Vec<DistrictSummary>,
}

fn level_str(l: crate::districts::Level) -> &'static str {
    match l {
        crate::districts::Level::City => "city",
        crate::districts::Level::County => "county",
    }
}

/// Districts (cities and counties of Hunan) for the map's district picker.
#[utoipa::path(
    get,
    path = "/api/v1/districts",
    tag = "districts",
    params(
        ("level" = Option<String>, Query, description = "`city` or `county`."),
        ("parent" = Option<String>, Query, description = "Only the counties of this city adcode."),
        ("f" = Option<String>, Query, description = "`json` (the list, default) or `geojson`: a FeatureCollection of the boundaries (also chosen by `Accept: application/geo+json`)."),
        ("precision" = Option<u32>, Query, description = "Decimals of the boundary positions (GeoJSON only), 0–12; default 7 (≈ 1 cm)."),
    ),
    responses(
        (status = 200, description = "Districts sorted by adcode: `{\"districts\": [...]}`, or with `f=geojson` a FeatureCollection of MultiPolygon features (RFC 7946 winding) with properties adcode, name, level, parent_adcode", body = DistrictList),
        (status = 400, description = "A parameter is invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn districts(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["level", "parent", "f", "precision"])?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let as_geojson = match p.one("f")? {
        None => accept.contains("application/geo+json"),
        Some("geojson") => true,
        Some("json") => false,
        Some(other) => {
            return Err(AppError::bad_choice(
                "f",
                format!("unknown format `{other}`"),
                &["json", "geojson"],
            ))
        }
    };
    let decimals = precision(&p)?;
    let level = match p.one("level")? {
        None => None,
        Some(l @ ("city" | "county")) => Some(l),
        Some(other) => {
            return Err(AppError::bad_choice(
                "level",
                format!("unknown level `{other}`"),
                &["city", "county"],
            ))
        }
    };
    let parent = p.one("parent")?;
    if let Some(code) = parent {
        check_adcode("parent", code)?;
    }
    let selected = state
        .districts
        .all()
        .iter()
        .filter(|d| level.is_none_or(|l| level_str(d.level) == l))
        .filter(|d| parent.is_none_or(|c| d.parent_adcode.as_deref() == Some(c)));
    if as_geojson {
        let features: Vec<serde_json::Value> =
            selected.map(|d| district_feature(d, decimals)).collect();
        let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
        return Ok(geojson_response(to_json_bytes(&fc)?));
    }
    let districts = selected
        .map(|d| DistrictSummary {
            adcode: d.adcode.clone(),
            name: d.name.clone(),
            level: level_str(d.level).to_string(),
            parent_adcode: d.parent_adcode.clone(),
            bbox: [
                d.bounds.min().x,
                d.bounds.min().y,
                d.bounds.max().x,
                d.bounds.max().y,
            ],
        })
        .collect();
    Ok(axum::Json(DistrictList { districts }).into_response())
}

/// The `precision` parameter: decimals of written positions, default
/// [`DEFAULT_DECIMALS`], at most [`MAX_DECIMALS`].
fn precision(p: &Params) -> Result<u32, AppError> {
    match p.one("precision")? {
        None => Ok(DEFAULT_DECIMALS),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= MAX_DECIMALS)
            .ok_or_else(|| {
                AppError::bad_param(
                    "precision",
                    format!("`precision` must be a whole number of decimals from 0 to {MAX_DECIMALS}; got `{s}`"),
                )
            }),
    }
}

/// A district as a GeoJSON Feature: MultiPolygon wound per RFC 7946, positions rounded to
/// `decimals`, `bbox` rounded outwards.
fn district_feature(d: &crate::districts::District, decimals: u32) -> serde_json::Value {
    let mut bbox = serde_json::json!({
        "bbox": [d.bounds.min().x, d.bounds.min().y, d.bounds.max().x, d.bounds.max().y],
    });
    geojson_out::normalize(&mut bbox, decimals);
    serde_json::json!({
        "type": "Feature",
        "id": d.adcode,
        "bbox": bbox["bbox"],
        "geometry": geojson_out::multipolygon_geometry(&d.geometry, decimals),
        "properties": {
            "adcode": d.adcode,
            "name": d.name,
            "level": level_str(d.level),
            "parent_adcode": d.parent_adcode,
        }
    })
}

fn check_adcode(param: &str, code: &str) -> Result<(), AppError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::bad_param(
            param,
            format!("`{param}` must be a 6-digit GB/T 2260 adcode; got `{code}`"),
        ))
    }
}

/// One district's boundary as a GeoJSON Feature (MultiPolygon, WGS-84).
#[utoipa::path(
    get,
    path = "/api/v1/districts/{adcode}",
    tag = "districts",
    params(
        ("adcode" = String, Path, description = "6-digit GB/T 2260 code, e.g. 430102."),
        ("precision" = Option<u32>, Query, description = "Decimals of the positions, 0–12; default 7 (≈ 1 cm)."),
    ),
    responses(
        (status = 200, description = "GeoJSON Feature with properties adcode, name, level, parent_adcode", content_type = "application/geo+json", body = PointFeatureDoc),
        (status = 400, description = "Not a 6-digit code", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such district", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn district(
    State(state): State<AppState>,
    Path(adcode): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["precision"])?;
    check_adcode("adcode", &adcode)?;
    let decimals = precision(&p)?;
    let d = state
        .districts
        .get(&adcode)
        .ok_or_else(|| AppError::NotFound(format!("no district with adcode `{adcode}`")))?;
    Ok(geojson_response(to_json_bytes(&district_feature(
        d, decimals,
    ))?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(Problem, DistrictList, DistrictSummary)),
    tags((name = "districts", description = "District boundaries for the map"))
)]
struct DistrictsApi;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<DistrictsApi as utoipa::OpenApi>::openapi())
        .routes(routes!(districts))
        .routes(routes!(district))
}
