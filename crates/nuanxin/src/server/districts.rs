//! District boundaries for the map: the list of cities and counties (adcodes, names,
//! bboxes) and one district's boundary as a GeoJSON Feature.

use super::error::{AppError, Problem};
use super::points::geojson::{geojson_response, to_json_bytes, PointFeatureDoc};
use super::points::query::Params;
use super::AppState;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

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
    ),
    responses(
        (status = 200, description = "Districts sorted by adcode", body = DistrictList),
        (status = 400, description = "A parameter is invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn districts(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<axum::Json<DistrictList>, AppError> {
    let p = Params::from_uri(&uri, &["level", "parent"])?;
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
    let districts = state
        .districts
        .all()
        .iter()
        .filter(|d| level.is_none_or(|l| level_str(d.level) == l))
        .filter(|d| parent.is_none_or(|c| d.parent_adcode.as_deref() == Some(c)))
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
    Ok(axum::Json(DistrictList { districts }))
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
    params(("adcode" = String, Path, description = "6-digit GB/T 2260 code, e.g. 430102.")),
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
    Params::from_uri(&uri, &[])?;
    check_adcode("adcode", &adcode)?;
    let d = state
        .districts
        .get(&adcode)
        .ok_or_else(|| AppError::NotFound(format!("no district with adcode `{adcode}`")))?;
    let feature = serde_json::json!({
        "type": "Feature",
        "id": d.adcode,
        "bbox": [d.bounds.min().x, d.bounds.min().y, d.bounds.max().x, d.bounds.max().y],
        "geometry": geojson::Geometry::from(&d.geometry),
        "properties": {
            "adcode": d.adcode,
            "name": d.name,
            "level": level_str(d.level),
            "parent_adcode": d.parent_adcode,
        }
    });
    Ok(geojson_response(to_json_bytes(&feature)?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(districts, district),
    components(schemas(Problem, DistrictList, DistrictSummary)),
    tags((name = "districts", description = "District boundaries for the map"))
)]
struct DistrictsApi;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/districts", get(districts))
        .route("/api/v1/districts/{adcode}", get(district))
}

/// OpenAPI paths of this module, merged into `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <DistrictsApi as utoipa::OpenApi>::openapi()
}
