//! `GET /api/v1/search?q=`: one search box for service points, metro stations, districts,
//! points of interest (and street names when a road graph registers them), and for positions
//! or share links pasted from Amap, Baidu and Tencent. A thin handler over
//! [`crate::search`]; errors become 400 problems naming `q`, `crs` or `limit`.

use super::{AppError, AppState, Problem};
use crate::crs::Crs;
use crate::index::ServiceIndex;
use crate::search::{
    localise, parse_position, search_text, Gazetteer, Lang, PastedPosition, PlaceMatch,
    PositionError, MAX_LIMIT, MAX_QUERY_CHARS,
};
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, Weak};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi()).routes(routes!(search))
}

#[derive(OpenApi)]
#[openapi(
    components(schemas(SearchResponse, PlaceMatch, PastedPosition, crate::search::Place, crate::search::PlaceKind, Lang, Problem)),
    tags((name = "search", description = "Place search: names (Chinese, pinyin initials) and pasted positions or share links"))
)]
struct Doc;

/// Query string of `GET /api/v1/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    crs: Option<String>,
    limit: Option<String>,
    lang: Option<String>,
}

/// Answer of `GET /api/v1/search`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// The query as received (trimmed).
    pub query: String,
    /// When the query is a position or a share link: where it points, in WGS-84.
    pub position: Option<PastedPosition>,
    /// Places whose name matches, best first (empty for a position).
    pub results: Vec<PlaceMatch>,
}

/// The service points' gazetteer, rebuilt only when the index is replaced.
fn service_point_gazetteer(index: &Arc<ServiceIndex>) -> Arc<Gazetteer> {
    type Cached = Mutex<Option<(Weak<ServiceIndex>, Arc<Gazetteer>)>>;
    static CACHE: Cached = Mutex::new(None);
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((weak, g)) = guard.as_ref() {
        if weak.upgrade().is_some_and(|i| Arc::ptr_eq(&i, index)) {
            return g.clone();
        }
    }
    let g = Arc::new(Gazetteer::of_service_points(
        index.all_sorted().iter().map(|p| &**p),
    ));
    *guard = Some((Arc::downgrade(index), g.clone()));
    g
}

/// `GET /api/v1/search`: place search over service points, metro stations, districts and
/// POIs, or the position of a pasted `lon,lat`, share link or `geo:` URI.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(
        ("q" = String, Query, description = "A name (Chinese, pinyin or pinyin initials such as `wygc` for 五一广场, an adcode), or a position: `lon,lat`, an Amap / Baidu / Tencent share link, a `geo:` URI. At most 2000 characters."),
        ("crs" = Option<Crs>, Query, description = "System of bare `lon,lat` numbers: gcj02 (default: numbers copied from Amap), wgs84 or bd09. Links carry their own system."),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 50, description = "Most results, default 10."),
        ("lang" = Option<Lang>, Query, description = "Language of each result's `label`: `zh` (default: the Chinese name) or `en` (the English name with the Chinese in brackets, `Furong District (芙蓉区)`, where the data has one: metro stations, districts, POIs with `name:en`; else the Chinese name). English names are searched in both."),
    ),
    responses(
        (status = 200, description = "`position` for a pasted position or link (WGS-84), else `results`, best first", body = SearchResponse),
        (status = 400, description = "Missing or too long `q`, a link without a usable position, numbers out of range, bad `crs`, `limit` or `lang`", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchQuery>,
) -> Result<Json<SearchResponse>, AppError> {
    let q = p.q.as_deref().map(str::trim).unwrap_or("");
    if q.is_empty() {
        return Err(AppError::bad_param(
            "q",
            "q is required: a place name or a position",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad_param(
            "q",
            format!("q is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let crs = match p.crs.as_deref() {
        None | Some("") => Crs::Gcj02,
        Some(s) => s
            .parse::<Crs>()
            .map_err(|e| AppError::bad_choice("crs", e.to_string(), &["wgs84", "gcj02", "bd09"]))?,
    };
    let limit = match p.limit.as_deref() {
        None | Some("") => 10,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(AppError::bad_param(
                    "limit",
                    format!("limit must be an integer in 1..={MAX_LIMIT}, got {s:?}"),
                ))
            }
        },
    };
    let lang = match p.lang.as_deref() {
        None | Some("") => Lang::Zh,
        Some(s) => s
            .parse::<Lang>()
            .map_err(|e| AppError::bad_choice("lang", e, &["zh", "en"]))?,
    };
    let position = parse_position(q, crs).map_err(|e| match e {
        PositionError::OutOfRange(m) | PositionError::Unsupported(m) => {
            AppError::bad_param("q", format!("q: {m}"))
        }
    })?;
    let results = if position.is_some() {
        Vec::new()
    } else {
        let points = service_point_gazetteer(&state.index());
        let streets = crate::search::streets();
        let mut gs: Vec<&Gazetteer> = vec![&points, Gazetteer::embedded()];
        if let Some(s) = streets.as_deref() {
            gs.push(s);
        }
        let mut found = search_text(q, &gs, limit);
        localise(&mut found, lang);
        found
    };
    Ok(Json(SearchResponse {
        query: q.to_string(),
        position,
        results,
    }))
}
