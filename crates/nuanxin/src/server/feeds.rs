//! Atom feeds (RFC 4287) of suggestions, like FixMyStreet's local alerts: one entry per
//! public history entry (the submission, every status change and official answer).
//!
//! | path | entries |
//! |---|---|
//! | `GET /api/v1/suggestions/{id}/feed` | the history of one suggestion |
//! | `GET /api/v1/feeds/districts/{adcode}` | a county or city (its counties) |
//! | `GET /api/v1/feeds/area?bbox=west,south,east,north` | a map area (WGS-84 degrees) |
//!
//! Area feeds hold the newest [`FEED_ENTRIES`] entries of the [`FEED_SUGGESTIONS`] most
//! recently submitted suggestions of the area. Text is the public view (phone and ID
//! numbers masked, redactions applied, no officer names). Ids are the public URLs of the
//! suggestions with `#h{n}` for the n-th history entry, so they are stable.

use super::db::Db;
use super::error::{ApiQuery, AppError, Problem};
use super::open311_xml::xml_text as escape;
use super::suggestions::read::expand_adcode;
use super::suggestions::TrackingId;
use super::AppState;
use crate::model::Bbox;
use crate::suggestions::{Audience, ListQuery, Suggestion, SuggestionView};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use std::fmt::Write as _;
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Content type of the feeds (RFC 4287 section 7).
pub const ATOM: &str = "application/atom+xml; charset=utf-8";
/// Most entries in an area feed.
pub const FEED_ENTRIES: usize = 50;
/// Most suggestions an area feed looks at (the newest submitted).
pub const FEED_SUGGESTIONS: usize = 500;

/// One feed entry before rendering.
struct Entry {
    id: String,
    title: String,
    updated: DateTime<Utc>,
    link: String,
    text: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The entries of `s` (public view), oldest first.
fn entries_of(s: &Suggestion, base: &str) -> Vec<Entry> {
    let v = SuggestionView::new(s, Audience::Public);
    let url = format!("{base}/api/v1/suggestions/{}", v.id);
    let place = v.district_name.clone().unwrap_or_default();
    v.history
        .iter()
        .enumerate()
        .map(|(n, h)| {
            let (title, text) = if h.from.is_none() {
                (
                    format!("新建议 {} · {} {place}", v.id, v.category_label_zh),
                    v.description.clone(),
                )
            } else {
                (
                    format!(
                        "{} {} · {} {place}",
                        v.id, h.to_label_zh, v.category_label_zh
                    ),
                    h.note.clone(),
                )
            };
            Entry {
                id: format!("{url}#h{n}"),
                title,
                updated: h.at,
                link: format!("{base}/#s/{}", v.id),
                text,
            }
        })
        .collect()
}

/// The Atom document: `self_url` is the feed's own URL, `entries` newest first.
fn render(title: &str, self_url: &str, base: &str, entries: &[Entry]) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    o.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">");
    let _ = write!(o, "<id>{}</id>", escape(self_url));
    let _ = write!(o, "<title>{}</title>", escape(title));
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let _ = write!(o, "<updated>{}</updated>", rfc3339(updated));
    let _ = write!(
        o,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape(self_url)
    );
    let _ = write!(
        o,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>",
        escape(base)
    );
    o.push_str("<author><name>暖新地图 Nuanxin Map</name></author>");
    o.push_str("<generator>nuanxin</generator>");
    for e in entries {
        o.push_str("<entry>");
        let _ = write!(o, "<id>{}</id>", escape(&e.id));
        let _ = write!(o, "<title>{}</title>", escape(&e.title));
        let _ = write!(o, "<updated>{}</updated>", rfc3339(e.updated));
        let _ = write!(
            o,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape(&e.link)
        );
        let _ = write!(o, "<content type=\"text\">{}</content>", escape(&e.text));
        o.push_str("</entry>");
    }
    o.push_str("</feed>\n");
    o
}

fn atom(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, ATOM),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
        .into_response()
}

/// Entries of many suggestions, newest first, at most [`FEED_ENTRIES`].
fn newest(items: &[Suggestion], base: &str) -> Vec<Entry> {
    let mut all: Vec<Entry> = items.iter().flat_map(|s| entries_of(s, base)).collect();
    all.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
    all.truncate(FEED_ENTRIES);
    all
}

async fn area_feed(
    state: &AppState,
    mut q: ListQuery,
    title: String,
    self_url: String,
) -> Result<Response, AppError> {
    q.limit = FEED_SUGGESTIONS;
    let items = Db::of(state)?
        .run(move |st| Ok(st.list_suggestions(&q)?.0))
        .await?;
    let base = state.config.public_base();
    Ok(atom(render(
        &title,
        &self_url,
        &base,
        &newest(&items, &base),
    )))
}

/// `GET /api/v1/suggestions/{id}/feed`
#[utoipa::path(get, path = "/api/v1/suggestions/{id}/feed", tag = "suggestions",
    params(("id" = String, Path, description = "Tracking id")),
    responses((status = 200, description = "Atom feed (RFC 4287)", content_type = "application/atom+xml"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn suggestion_feed(
    State(state): State<AppState>,
    TrackingId(id): TrackingId,
) -> Result<Response, AppError> {
    let db = Db::of(&state)?;
    let s = super::suggestions::load(&db, id).await?;
    let base = state.config.public_base();
    let mut entries = entries_of(&s, &base);
    entries.reverse();
    let title = format!("人民建议 {} · {}", s.id, s.category.label_zh());
    let self_url = format!("{base}/api/v1/suggestions/{}/feed", s.id);
    Ok(atom(render(&title, &self_url, &base, &entries)))
}

/// `GET /api/v1/feeds/districts/{adcode}`
#[utoipa::path(get, path = "/api/v1/feeds/districts/{adcode}", tag = "suggestions",
    params(("adcode" = String, Path, description = "County or city adcode")),
    responses((status = 200, description = "Atom feed (RFC 4287)", content_type = "application/atom+xml"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn district_feed(
    State(state): State<AppState>,
    Path(adcode): Path<String>,
) -> Result<Response, AppError> {
    let q = ListQuery {
        adcodes: expand_adcode(&state, &adcode)?,
        ..Default::default()
    };
    let name = state
        .districts
        .get(&adcode)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let base = state.config.public_base();
    let self_url = format!("{base}/api/v1/feeds/districts/{adcode}");
    area_feed(&state, q, format!("人民建议 · {name} ({adcode})"), self_url).await
}

/// Area feed query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaParams {
    /// `west,south,east,north`, WGS-84 degrees.
    pub bbox: String,
}

/// `GET /api/v1/feeds/area?bbox=`
#[utoipa::path(get, path = "/api/v1/feeds/area", tag = "suggestions", params(AreaParams),
    responses((status = 200, description = "Atom feed (RFC 4287)", content_type = "application/atom+xml"),
              (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn bbox_feed(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<AreaParams>,
) -> Result<Response, AppError> {
    let b = Bbox::parse(&p.bbox)?;
    let q = ListQuery {
        bbox: Some(b),
        ..Default::default()
    };
    let base = state.config.public_base();
    let bbox = format!("{},{},{},{}", b.west, b.south, b.east, b.north);
    let self_url = format!("{base}/api/v1/feeds/area?bbox={bbox}");
    area_feed(&state, q, format!("人民建议 · 地图范围 {bbox}"), self_url).await
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(Problem)))]
struct Doc;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(suggestion_feed))
        .routes(routes!(district_feed))
        .routes(routes!(bbox_feed))
}
