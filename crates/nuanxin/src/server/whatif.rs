//! What-if siting routes (thin handlers over [`crate::coverage::whatif`]) and the demand
//! layers for the planner's heat map.
//!
//! - `POST /api/v1/whatif` — starts a session for an area (same body as `POST
//!   /api/v1/coverage`; proposals ignored): per-district figures, gaps and the stations.
//!   With `model=network` (and a road graph) reach is along roads, as in the analysis; the
//!   response's `model` says which model made the figures.
//! - `POST /api/v1/whatif/{session}` — `{"op": "add"|"move"|"remove", "id", "location"}`:
//!   one station's reach added or removed, the district figures and the gaps of the changed
//!   districts updated incrementally.
//! - `GET /api/v1/demand/{layer}` — a demand layer aggregated to H3 cells as weighted points
//!   (for a heat map), with the extent where it has data and its attribution.
//!
//! Sessions live in memory (at most [`MAX_SESSIONS`] holding at most [`MAX_SESSION_CELLS`]
//! cells together, at most [`MAX_SESSIONS_PER_CLIENT`] per client IP, the least recently
//! used dropped first, each for at most [`SESSION_TTL`] of inactivity); a restart forgets
//! them.

use super::auth::ClientIp;
use super::coverage::{options_of, CoverageRequest};
use super::{ApiJson, ApiQuery, AppError, AppState, Problem};
use crate::coverage::demand::DemandLayer;
use crate::coverage::whatif::{WhatIf, WhatIfChange, WhatIfRow, WhatIfStation};
use crate::model::LonLat;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most what-if sessions kept at once.
pub const MAX_SESSIONS: usize = 64;
/// Most H3 cells all sessions together may hold, about 250 MB (a session takes about
/// 150–250 bytes per cell, measured with RSS: a city-wide session at resolution 9 holds
/// 112 000 cells, ~25 MB; at resolution 10 790 000, ~150 MB). Beyond, the least recently used sessions are dropped first. 64
/// city-wide sessions at resolution 10 used to be kept at once: gigabytes.
pub const MAX_SESSION_CELLS: usize = 1_000_000;
/// A session unused for this long is dropped.
pub const SESSION_TTL: Duration = Duration::from_secs(3600);
/// Most sessions one client IP holds: its own least recently used is dropped first, so
/// that one client starting sessions in a loop cannot push out everyone else's (a
/// newcomer's 64 anonymous `POST /api/v1/whatif` dropped every planner's session).
pub const MAX_SESSIONS_PER_CLIENT: usize = 4;

/// A session: last use, cells held, (the client that started it, the state).
type Session = Slot<Arc<Mutex<WhatIf>>>;
/// A session's entry around its state `T`: last use, cells held, (client, `T`).
type Slot<T> = (Instant, usize, (Option<IpAddr>, T));
type Sessions = Mutex<HashMap<String, Session>>;

/// Makes room for a session of `cells` cells in `map`: drops expired sessions, then the
/// least recently used until at most `MAX_SESSIONS - 1` sessions and
/// `MAX_SESSION_CELLS - cells` cells remain. Returns how many sessions it dropped.
fn make_room<T>(map: &mut HashMap<String, (Instant, usize, T)>, cells: usize) -> usize {
    let before = map.len();
    map.retain(|_, (t, _, _)| t.elapsed() < SESSION_TTL);
    loop {
        let held: usize = map.values().map(|(_, c, _)| c).sum();
        if map.len() < MAX_SESSIONS && held + cells <= MAX_SESSION_CELLS {
            break;
        }
        let oldest = map
            .iter()
            .min_by_key(|(_, (t, _, _))| *t)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => map.remove(&k),
            None => break,
        };
    }
    before - map.len()
}

/// Drops the least recently used sessions of `client` until it holds fewer than
/// [`MAX_SESSIONS_PER_CLIENT`]. Returns how many it dropped. Sessions of an unknown client
/// (`None`) count as one client.
fn make_room_for_client<T>(map: &mut HashMap<String, Slot<T>>, client: Option<IpAddr>) -> usize {
    let mut dropped = 0;
    loop {
        let own = map.iter().filter(|(_, (_, _, (ip, _)))| *ip == client);
        if own.clone().count() < MAX_SESSIONS_PER_CLIENT {
            return dropped;
        }
        let oldest = own.min_by_key(|(_, (t, _, _))| *t).map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                map.remove(&k);
                dropped += 1;
            }
            None => return dropped,
        }
    }
}

/// 16 hex digits from the OS's randomness (sessions are not secrets, but must not collide).
fn random_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        b = (Instant::now().elapsed().as_nanos() as u64 ^ std::process::id() as u64).to_le_bytes();
    }
    hex::encode(b)
}

fn sessions() -> &'static Sessions {
    static S: OnceLock<Sessions> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(Doc::openapi())
        .routes(routes!(start))
        .routes(routes!(change))
        .routes(routes!(demand_layer))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(WhatIfState, WhatIfChangeRequest, WhatIfRow, WhatIfStation, WhatIfChange, Problem)),
    tags((name = "coverage", description = "Service circles, coverage analysis and proposals for new sites"))
)]
struct Doc;

/// A what-if session's state after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhatIfState {
    /// Session id for `POST /api/v1/whatif/{session}`.
    pub session: String,
    /// Which model decides reach: `network` (along roads, 沿道路: each station reaches the
    /// cells its search along roads reaches within the minutes; asked with `model=network`
    /// when the server has a road graph) or `straight_line` (circles, 直线).
    pub model: &'static str,
    /// Covered share of the whole area, percent.
    pub covered_percent: f64,
    /// Covered share of the demand, percent (with demand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demand_covered_percent: Option<f64>,
    /// Per-district figures.
    pub districts: Vec<WhatIfRow>,
    /// Gaps as GeoJSON (all districts when starting, the changed ones after a change), one
    /// MultiPolygon per district with `row`, `adcode`, `name`, `cells`.
    #[schema(value_type = Object)]
    pub gaps: Value,
    /// The stations (when starting) — ids to move or remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stations: Option<Vec<WhatIfStation>>,
    /// What the change did (after a change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<WhatIfChange>,
    /// Time spent updating (after a change), milliseconds.
    pub elapsed_ms: f64,
}

fn state_of(
    id: &str,
    w: &WhatIf,
    rows: Option<&[usize]>,
    elapsed: Duration,
) -> Result<WhatIfState, AppError> {
    let (covered_percent, demand_covered_percent) = w.totals();
    Ok(WhatIfState {
        session: id.to_string(),
        model: w.model(),
        covered_percent,
        demand_covered_percent,
        districts: w.rows(),
        gaps: w.gaps(rows)?,
        stations: None,
        change: None,
        elapsed_ms: elapsed.as_secs_f64() * 1000.0,
    })
}

/// Starts a what-if session.
#[utoipa::path(
    post,
    path = "/api/v1/whatif",
    tag = "coverage",
    request_body = CoverageRequest,
    responses(
        (status = 200, description = "The session, figures, gaps and stations", body = WhatIfState),
        (status = 400, description = "A bad field, named in `param`", content_type = "application/problem+json", body = Problem),
        (status = 429, description = "This client has `analyses.per_client` analyses computing or waiting already; `Retry-After` says when to retry", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "The analysis queue is full (`Retry-After` says when to retry) or the analysis was stopped at its time budget (`analyses.budget_s`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<CoverageRequest>,
) -> Result<Json<WhatIfState>, AppError> {
    let (area, mut options) = options_of(&state, &req)?;
    let index = state.index();
    let districts = state.districts;
    let t0 = Instant::now();
    let w = state
        .analyses
        .run(ip, move |cancel| {
            options.cancel = Some(cancel);
            Ok(WhatIf::new(&index, districts, &area, &options)?)
        })
        .await?;
    let id = random_id();
    let mut out = state_of(&id, &w, None, t0.elapsed())?;
    out.stations = Some(w.stations());
    let cells = w.cells();
    let mut map = sessions().lock().unwrap_or_else(|p| p.into_inner());
    let dropped = make_room_for_client(&mut map, ip) + make_room(&mut map, cells);
    map.insert(id, (Instant::now(), cells, (ip, Arc::new(Mutex::new(w)))));
    drop(map);
    if dropped > 0 {
        // The dropped sessions' grids are free now: hand the pages back.
        tokio::task::spawn_blocking(super::throttle::release_free_memory);
    }
    Ok(Json(out))
}

/// One change in a what-if session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIfChangeRequest {
    /// `add` (a new site), `move` or `remove`.
    pub op: String,
    /// Station id (existing, or the new site's id for `add`; default a fresh id).
    pub id: Option<String>,
    /// New position `[lon, lat]`, WGS-84 (for `add` and `move`).
    pub location: Option<[f64; 2]>,
}

/// Adds, moves or removes one station and returns the updated figures and gaps.
#[utoipa::path(
    post,
    path = "/api/v1/whatif/{session}",
    tag = "coverage",
    params(("session" = String, Path, description = "Session id from `POST /api/v1/whatif`")),
    request_body = WhatIfChangeRequest,
    responses(
        (status = 200, description = "Updated figures, the changed districts' gaps and the change", body = WhatIfState),
        (status = 400, description = "A bad field, named in `param`", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such session (expired or the server restarted)", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "`add` with an id already in the session", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn change(
    Path(session): Path<String>,
    ApiJson(req): ApiJson<WhatIfChangeRequest>,
) -> Result<Json<WhatIfState>, AppError> {
    let w = {
        let mut map = sessions().lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.get_mut(&session).ok_or_else(|| {
            AppError::NotFound(format!(
                "no what-if session `{session}` (sessions end after an hour unused or on restart); start one with POST /api/v1/whatif"
            ))
        })?;
        entry.0 = Instant::now();
        Arc::clone(&entry.2 .1)
    };
    let location = match req.location {
        Some([lon, lat]) => Some(
            LonLat::new(lon, lat).map_err(|e| AppError::bad_param("location", e.to_string()))?,
        ),
        None => None,
    };
    let need_location = move || {
        location.ok_or_else(|| AppError::bad_param("location", "location [lon, lat] is required"))
    };
    let id = req.id.clone();
    let need_id = {
        let id = id.clone();
        move || {
            id.clone()
                .ok_or_else(|| AppError::bad_param("id", "id is required"))
        }
    };
    let op = req.op.clone();
    let out = tokio::task::spawn_blocking(move || -> Result<WhatIfState, AppError> {
        let mut w = w.lock().unwrap_or_else(|p| p.into_inner());
        let t0 = Instant::now();
        let change = match op.as_str() {
            "add" => {
                let id = id
                    .clone()
                    .unwrap_or_else(|| format!("new-{}", &random_id()[..6]));
                w.add(&id, need_location()?)?
            }
            "move" => w.move_to(&need_id()?, need_location()?)?,
            "remove" => w.remove(&need_id()?)?,
            other => {
                return Err(AppError::bad_choice(
                    "op",
                    format!("unknown op `{other}`"),
                    &["add", "move", "remove"],
                ))
            }
        };
        let mut st = state_of(&session, &w, Some(&change.rows_changed), t0.elapsed())?;
        st.change = Some(change);
        Ok(st)
    })
    .await
    .map_err(|e| AppError::Internal(format!("what-if task: {e}")))??;
    Ok(Json(out))
}

/// Query of `GET /api/v1/demand/{layer}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandQuery {
    /// H3 resolution of the aggregation, 5..=10; default 8 (cells of 0.74 km²).
    pub resolution: Option<u8>,
}

/// A demand layer for the map: one Point feature per H3 cell holding demand, at the cell
/// centre, with `weight` (sum of the layer's weights in the cell) and `share` (weight over
/// the largest cell's weight, 0..1, for a heat map); a foreign member `extent` (GeoJSON
/// Polygon where the layer has data: outside it there is no data, not zero demand) and
/// `attribution`.
#[utoipa::path(
    get,
    path = "/api/v1/demand/{layer}",
    tag = "coverage",
    params(("layer" = String, Path, description = "`builtup` or `pickups`"), DemandQuery),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection (`application/geo+json`)"),
        (status = 400, description = "Unknown layer or bad resolution", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn demand_layer(
    Path(layer): Path<String>,
    ApiQuery(q): ApiQuery<DemandQuery>,
) -> Result<Response, AppError> {
    let l = DemandLayer::parse(&layer).ok_or_else(|| {
        AppError::bad_choice(
            "layer",
            format!("unknown demand layer `{layer}`"),
            &["builtup", "pickups"],
        )
    })?;
    let r = q.resolution.unwrap_or(8);
    if !(5..=10).contains(&r) {
        return Err(AppError::bad_param(
            "resolution",
            format!("resolution must be 5..=10; got {r}"),
        ));
    }
    let res = crate::coverage::resolution(r)?;
    let body = tokio::task::spawn_blocking(move || {
        let mut cells: HashMap<h3o::CellIndex, f64> = HashMap::new();
        for p in l.points() {
            if let Ok(ll) = h3o::LatLng::new(p.location.lat, p.location.lon) {
                *cells.entry(ll.to_cell(res)).or_default() += p.weight;
            }
        }
        let max = cells.values().copied().fold(0.0, f64::max);
        let mut list: Vec<(h3o::CellIndex, f64)> = cells.into_iter().filter(|c| c.1 > 0.0).collect();
        list.sort_unstable_by_key(|c| c.0);
        let features: Vec<Value> = list
            .into_iter()
            .map(|(c, w)| {
                let ll = h3o::LatLng::from(c);
                json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [
                        (ll.lng() * 1e6).round() / 1e6, (ll.lat() * 1e6).round() / 1e6]},
                    "properties": {"h3": c.to_string(), "weight": w, "share": if max > 0.0 { w / max } else { 0.0 }},
                })
            })
            .collect();
        let extent = crate::geojson_out::multipolygon_geometry(
            l.extent(),
            crate::geojson_out::DEFAULT_DECIMALS,
        );
        json!({
            "type": "FeatureCollection",
            "layer": l.as_str(),
            "label": l.label_zh(),
            "unit": l.unit(),
            "resolution": r,
            "attribution": l.attribution(),
            "extent": extent,
            "features": features,
        })
    })
    .await
    .map_err(|e| AppError::Internal(format!("demand task: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        Json(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_bounded_by_the_cells_they_hold_least_recently_used_dropped_first() {
        let mut map: HashMap<String, (Instant, usize, ())> = HashMap::new();
        let t0 = Instant::now();
        // Sessions of 400 000 cells (a city at resolution 10 holds 790 000): the third
        // needs the least recently used one dropped (3 × 400 000 > 1 000 000).
        for (i, id) in ["a", "b"].iter().enumerate() {
            make_room(&mut map, 400_000);
            map.insert(
                id.to_string(),
                (t0 + Duration::from_millis(i as u64), 400_000, ()),
            );
        }
        // `a` was used last, so `b` is the least recently used.
        map.get_mut("a").unwrap().0 = t0 + Duration::from_millis(10);
        make_room(&mut map, 400_000);
        assert!(
            map.contains_key("a") && !map.contains_key("b"),
            "{:?}",
            map.keys()
        );
        map.insert("c".into(), (t0 + Duration::from_millis(11), 400_000, ()));
        let held: usize = map.values().map(|v| v.1).sum();
        assert!(held <= MAX_SESSION_CELLS);
        // Small sessions: bounded by count.
        for i in 0..200 {
            make_room(&mut map, 100);
            map.insert(format!("s{i}"), (Instant::now(), 100, ()));
        }
        assert_eq!(map.len(), MAX_SESSIONS);
    }

    /// Regression (newcomer, stop 24): 64 anonymous sessions from one address pushed out
    /// every planner's session. One client now holds at most `MAX_SESSIONS_PER_CLIENT`,
    /// its own least recently used dropped first; other clients' sessions stay.
    #[test]
    fn one_client_cannot_push_out_other_clients_sessions() {
        let planner: Option<IpAddr> = Some("10.0.0.7".parse().unwrap());
        let flood: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
        let mut map: HashMap<String, Slot<()>> = HashMap::new();
        make_room_for_client(&mut map, planner);
        make_room(&mut map, 100);
        let t0 = Instant::now();
        map.insert("planner".into(), (t0, 100, (planner, ())));
        for i in 0..200 {
            make_room_for_client(&mut map, flood);
            make_room(&mut map, 100);
            let at = t0 + Duration::from_millis(i + 1);
            map.insert(format!("f{i}"), (at, 100, (flood, ())));
        }
        assert!(map.contains_key("planner"));
        let flooder: Vec<_> = map.keys().filter(|k| k.starts_with('f')).collect();
        assert_eq!(flooder.len(), MAX_SESSIONS_PER_CLIENT);
        // The flooder keeps its newest sessions.
        assert!(map.contains_key("f199") && !map.contains_key("f0"));
    }
}
