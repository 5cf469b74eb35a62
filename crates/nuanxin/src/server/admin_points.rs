//! The admin service-point API: `PUT` / `DELETE /api/v1/admin/points/{id}` (officers for
//! points in their districts, admins anywhere). The database and the live index are edited
//! under [`super::AppState::point_edits`], so both apply edits in the same order, in one
//! blocking call ([`AppState::edit_point`]: the commit, then the index).

use super::auth::Officer;
use super::db::Db;
use super::error::{ApiJson, AppError, Problem};
use super::state::{PointChange, PointEdit};
use super::AppState;
use crate::model::{ServicePoint, ServicePointError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Rejects over-long text fields of an edited point's JSON body (400 naming the field)
/// before the body is parsed, so a huge `opening_hours` is never parsed. The limits are the
/// library's ([`ServicePoint::TEXT_LIMITS`]); [`ServicePoint::validate`] checks them again.
fn check_point_text_lengths(v: &serde_json::Value) -> Result<(), AppError> {
    for (field, limit) in ServicePoint::TEXT_LIMITS {
        let chars = v
            .get(field)
            .and_then(serde_json::Value::as_str)
            .map_or(0, |t| t.chars().count());
        if chars > limit {
            return Err(ServicePointError::TooLong {
                field,
                chars,
                limit,
            }
            .into());
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

/// Logs the parts of one edit's time (issue 16: one edit ≤ 10 ms at 1M points): `store_ms`,
/// the database transaction with its commit; `index_ms`, the live index's part, of which
/// `wait_ms` waited for the spare copy (see [`crate::index::live::LiveIndex`]); `total_ms`,
/// from the handler's call to the answer (the rest is the hand-offs around them);
/// milliseconds.
fn log_edit_parts<T>(id: &str, started: std::time::Instant, edit: &PointEdit<T>) {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    tracing::info!(
        id,
        store_ms = ms(edit.store),
        index_ms = ms(edit.index.wait + edit.index.apply),
        wait_ms = ms(edit.index.wait),
        total_ms = ms(started.elapsed()),
        "service point stored and indexed"
    );
}

/// `PUT /api/v1/admin/points/{id}`: creates or replaces a service point; the index is
/// updated at once. The district (`adcode`) is derived from `location`, which must lie in a
/// served district; an officer may only place points in, and move points out of, their own
/// districts. Text limits: see [`ServicePoint::TEXT_LIMITS`].
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
    Officer(o): Officer,
    ApiJson(mut v): ApiJson<serde_json::Value>,
) -> Result<Response, AppError> {
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
    let mut p: ServicePoint = serde_path_to_error::deserialize(v).map_err(AppError::json_body)?;
    p.validate()?;
    p.adcode = Some(point_district(&state, &p)?);
    p.updated_at = Some(Utc::now());
    let _edit = state.point_edits.lock().await;
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
    Db::of(&state)?; // 503 without a database, before anything is changed
    let saved = p.clone();
    let started = std::time::Instant::now();
    let edit = state
        .edit_point(
            move |st| {
                Ok(st
                    .map(|st| st.upsert_service_point(&saved, Some(&o)))
                    .transpose()?)
            },
            PointChange::Upsert(Box::new(p.clone())),
        )
        .await?;
    log_edit_parts(&p.id, started, &edit);
    let status = if edit.stored == Some(true) || old.is_some() {
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
    Officer(o): Officer,
    db: Db,
) -> Result<StatusCode, AppError> {
    let _edit = state.point_edits.lock().await;
    let old = match state.index().get(&id).cloned() {
        Some(p) => Some((*p).clone()),
        None => {
            let id = id.clone();
            db.run(move |st| Ok(st.service_point(&id)?)).await?
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
    let store = db.0.clone();
    let started = std::time::Instant::now();
    let edit = state
        .edit_point(
            move |_| Ok(store.delete_service_point(&key, Some(&o))?),
            PointChange::Remove(id.clone()),
        )
        .await?;
    log_edit_parts(&id, started, &edit);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(put_point, delete_point))
}
