//! `GET /api/v1/admin/suggestions/export`: an officer's CSV or GeoJSON export, audited.

use super::super::auth::Officer;
use super::super::db::Db;
use super::super::error::{ApiQuery, AppError, Problem};
use super::super::AppState;
use super::read::{list_query, ListParams};
use crate::suggestions::{export, Audience};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

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
pub(crate) async fn export_suggestions(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ExportParams>,
    Officer(o): Officer,
) -> Result<Response, AppError> {
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
    if !q.restrict_to(&o) {
        return Err(AppError::Forbidden(
            "the requested districts are outside your token".into(),
        ));
    }
    let db = Db::of(&state)?;
    let fmt = format.clone();
    let (items, n) = db
        .run(move |st| {
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
