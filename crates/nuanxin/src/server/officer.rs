//! The officer's desk: who is signed in (`GET /api/v1/officer/me`) and the triage queue
//! with deadlines (`GET /api/v1/officer/queue`), sorted by deadline, supporters or age,
//! overdue ones flagged. Deadlines: `[deadlines]`, working days (see
//! `nuanxin_core::suggestions::deadlines`).

use super::auth::Officer;
use super::db::Db;
use super::error::{ApiQuery, AppError, Problem};
use super::suggestions::read::{list_query, ListParams};
use super::AppState;
use crate::suggestions::deadlines::DeadlineStatus;
use crate::suggestions::{Audience, OfficerRole, SuggestionView};
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A district an officer handles.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictRef {
    /// County or city adcode.
    pub adcode: String,
    /// Its name (Chinese).
    pub name: Option<String>,
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Token id.
    pub id: i64,
    /// Display name of the token.
    pub name: String,
    /// `officer` or `admin`.
    pub role: OfficerRole,
    /// Role label (Chinese).
    pub role_label_zh: String,
    /// The districts handled (empty for an admin: everywhere).
    pub districts: Vec<DistrictRef>,
    /// The departments a suggestion can be assigned to (`departments` of the configuration).
    pub departments: Vec<String>,
}

/// `GET /api/v1/officer/me`
#[utoipa::path(get, path = "/api/v1/officer/me", tag = "officers", security(("bearer" = [])),
    responses((status = 200, body = Me),
              (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(State(state): State<AppState>, Officer(o): Officer) -> Json<Me> {
    Json(Me {
        id: o.id,
        name: o.name.clone(),
        role: o.role,
        role_label_zh: o.role.label_zh().to_string(),
        districts: if o.role == OfficerRole::Admin {
            Vec::new()
        } else {
            o.adcodes
                .iter()
                .map(|a| DistrictRef {
                    adcode: a.clone(),
                    name: state.districts.get(a).map(|d| d.name.clone()),
                })
                .collect()
        },
        departments: state.config.departments.clone(),
    })
}

/// Queue query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `deadline` (default: the nearest deadline first; overdue ones first of all),
    /// `supporters` (most first) or `age` (oldest first).
    pub sort: Option<String>,
    /// Comma-separated statuses (default `open`: submitted, accepted, in progress).
    pub status: Option<String>,
    /// Comma-separated categories.
    pub category: Option<String>,
    /// County or city adcode within the officer's districts.
    pub adcode: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

/// One queue item: the officer view and where it stands against its deadlines.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// The suggestion (officer view).
    pub suggestion: SuggestionView,
    /// Deadlines and whether it is overdue now.
    pub deadline: DeadlineStatus,
}

/// A page of the queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuePage {
    /// Sort used.
    pub sort: String,
    /// The items.
    pub items: Vec<QueueItem>,
    /// Matching items in all.
    pub total: usize,
    /// Of them, overdue now.
    pub overdue: usize,
}

/// `GET /api/v1/officer/queue`
#[utoipa::path(get, path = "/api/v1/officer/queue", tag = "officers", params(QueueParams),
    security(("bearer" = [])),
    responses((status = 200, body = QueuePage),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn queue(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<QueueParams>,
    Officer(o): Officer,
) -> Result<Json<QueuePage>, AppError> {
    let sort = p.sort.clone().unwrap_or_else(|| "deadline".into());
    if !["deadline", "supporters", "age"].contains(&sort.as_str()) {
        return Err(AppError::bad_choice(
            "sort",
            format!("unknown sort `{sort}`"),
            &["deadline", "supporters", "age"],
        ));
    }
    let lp = ListParams {
        status: Some(p.status.clone().unwrap_or_else(|| "open".into())),
        category: p.category.clone(),
        adcode: p.adcode.clone(),
        limit: p.limit,
        offset: p.offset,
        ..Default::default()
    };
    let mut q = list_query(&state, &lp)?;
    let (limit, offset) = (q.limit, q.offset);
    // deadlines are working days, so the sort is done here over every matching item
    q.limit = 0;
    q.offset = 0;
    if !q.restrict_to(&o) {
        return Err(AppError::Forbidden(
            "the requested districts are outside your token".into(),
        ));
    }
    let items = Db::of(&state)?
        .run(move |st| Ok(st.list_suggestions(&q)?.0))
        .await?;
    let now = Utc::now();
    let policy = &state.config.deadlines;
    let mut rows: Vec<_> = items
        .into_iter()
        .map(|s| {
            let d = policy.status(&s, now);
            (s, d)
        })
        .collect();
    match sort.as_str() {
        "supporters" => rows.sort_by(|a, b| {
            b.0.supporters
                .cmp(&a.0.supporters)
                .then(a.0.created_at.cmp(&b.0.created_at))
        }),
        "age" => rows.sort_by_key(|r| r.0.created_at),
        _ => rows.sort_by_key(|(s, d)| {
            // the deadline that binds now: the first answer's until answered
            let due = if s.first_answer_at.is_none() {
                d.first_answer_due.min(d.resolution_due)
            } else {
                d.resolution_due
            };
            (!d.overdue, due, s.created_at)
        }),
    }
    let total = rows.len();
    let overdue = rows.iter().filter(|(_, d)| d.overdue).count();
    Ok(Json(QueuePage {
        sort,
        items: rows
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(s, deadline)| QueueItem {
                suggestion: SuggestionView::new(&s, Audience::Officer),
                deadline,
            })
            .collect(),
        total,
        overdue,
    }))
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Me, DistrictRef, QueueItem, QueuePage, DeadlineStatus, Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(me))
        .routes(routes!(queue))
}
