//! The JSON / GeoJSON API under `/api/v1`: nearest service points, points within a radius,
//! paged listing by bbox, one point by id, and the district list for the map.
//!
//! # Parameters shared by the point queries
//! - `lon`, `lat`: the query position, degrees. A longitude outside `[-180, 180]` (what a web
//!   map reports after panning across the antimeridian, e.g. 472.98) is **normalised** by
//!   adding or subtracting one turn (472.98 → 112.98, see [`LonLat::normalized`]); the
//!   normalised position is echoed in the response's `query`. A longitude beyond one wrap
//!   (`|lon| > 540`), a latitude outside `[-90, 90]`, NaN or infinity is a 400.
//! - `crs`: the system of `lon`/`lat`: `wgs84` (default), `gcj02` (Amap, WeChat), `bd09`
//!   (Baidu). Converted to WGS-84 before the query ([`crate::crs`]).
//! - `kind`: admitted kinds, any of (repeat the parameter or give a comma list).
//! - `amenity`: amenities a point must **all** offer (repeated or comma list).
//! - `access`: admitted access methods, any of.
//! - `open_now=true`: only points open now (China Standard Time); `open_at=YYYY-MM-DDTHH:MM`:
//!   only points open at that local time. Points with unknown hours never pass.
//! - `mode`: `walk` (default) or `ebike`: the speed used for `minutes`.
//! - `out_crs`: `gcj02` or `bd09` adds the point's position in that system as a property
//!   (`gcj02` / `bd09`, `[lon, lat]`); the geometry is always WGS-84 (RFC 7946).
//!
//! Unknown parameters are a 400 naming them (a typo such as `kinds=` would otherwise be
//! silently ignored). Every error is RFC 9457 problem+json naming the parameter.
//!
//! # Output
//! GeoJSON (RFC 7946). Every feature is rendered by [`PointFeature`] (also used by the
//! OGC API): the point's fields as properties, Chinese and English labels of its kind, and
//! navigation links for Amap (GCJ-02 coordinates) and Baidu (BD-09 coordinates).

use super::error::{AppError, Problem};
use super::AppState;
use crate::crs::Crs;
use crate::index::{Filter, Hit};
use crate::model::{
    china_local_now, AccessMethod, Amenity, Bbox, LonLat, ServiceKind, ServicePoint,
};
use crate::travel::{Speeds, TravelMode};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDateTime;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock, RwLock};

/// Media type of GeoJSON (RFC 7946 §12).
pub const GEOJSON: &str = "application/geo+json";

/// Default and largest `k` of `/nearest`.
pub const NEAREST_K_DEFAULT: usize = 5;
/// Largest `k` of `/nearest`.
pub const NEAREST_K_MAX: usize = 50;
/// Largest `radius_m` of `/within`, metres (100 km: far beyond any service circle).
pub const WITHIN_RADIUS_MAX_M: f64 = 100_000.0;
/// Default page size of listings.
pub const LIMIT_DEFAULT: usize = 100;
/// Largest page size of listings.
pub const LIMIT_MAX: usize = 10_000;

// ---------------------------------------------------------------------------------------------
// Query-string parsing
// ---------------------------------------------------------------------------------------------

/// A parsed query string: the `(name, value)` pairs in order, percent-decoded, each name
/// checked against the parameters the endpoint knows.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Parses the query of `uri`.
    ///
    /// # Errors
    /// 400 naming the first parameter not in `allowed`, or for a malformed query string.
    pub fn from_uri(uri: &Uri, allowed: &[&str]) -> Result<Self, AppError> {
        let pairs = match uri.query() {
            None | Some("") => Vec::new(),
            Some(_) => {
                Query::<Vec<(String, String)>>::try_from_uri(uri)
                    .map_err(|e| AppError::BadRequest {
                        param: None,
                        detail: format!("malformed query string: {}", e.body_text()),
                        valid: None,
                    })?
                    .0
            }
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(AppError::bad_choice(
                k.clone(),
                format!("unknown parameter `{k}`"),
                allowed,
            ));
        }
        Ok(Self { pairs })
    }

    /// The pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of a single-valued parameter.
    ///
    /// # Errors
    /// 400 when the parameter is given more than once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, AppError> {
        let mut it = self.pairs.iter().filter(|(k, _)| k == name);
        let first = it.next().map(|(_, v)| v.as_str());
        if it.next().is_some() {
            return Err(AppError::bad_param(
                name,
                format!("parameter `{name}` given more than once"),
            ));
        }
        Ok(first)
    }

    /// Every value of a list parameter: repeated parameters and comma-separated lists,
    /// trimmed, empty entries dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// An optional number.
    ///
    /// # Errors
    /// 400 when it is not a number. NaN and infinities parse; callers range-check.
    pub fn f64(&self, name: &str) -> Result<Option<f64>, AppError> {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => v.trim().parse::<f64>().map(Some).map_err(|_| {
                AppError::bad_param(name, format!("`{name}` must be a number; got `{v}`"))
            }),
        }
    }

    /// A required number; `what` describes it for the message.
    ///
    /// # Errors
    /// 400 when missing or not a number.
    pub fn required_f64(&self, name: &str, what: &str) -> Result<f64, AppError> {
        self.f64(name)?.ok_or_else(|| {
            AppError::bad_param(
                name,
                format!("missing required parameter `{name}` ({what})"),
            )
        })
    }

    /// An integer in `[min, max]`, `default` when absent.
    ///
    /// # Errors
    /// 400 when not an integer or out of range.
    pub fn int(
        &self,
        name: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, AppError> {
        let Some(v) = self.one(name)? else {
            return Ok(default);
        };
        let n: i64 = v.trim().parse().map_err(|_| {
            AppError::bad_param(name, format!("`{name}` must be an integer; got `{v}`"))
        })?;
        if n < min as i64 || n > max as i64 {
            return Err(AppError::bad_param(
                name,
                format!("`{name}` = {n} is outside [{min}, {max}]"),
            ));
        }
        Ok(n as usize)
    }

    /// An optional boolean (`true`/`false`, `1`/`0`, `yes`/`no`).
    ///
    /// # Errors
    /// 400 for anything else.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, AppError> {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(AppError::bad_choice(
                    name,
                    format!("`{name}` must be true or false; got `{v}`"),
                    &["true", "false"],
                )),
            },
        }
    }

    /// An optional value of a closed vocabulary parsed with `FromStr`.
    ///
    /// # Errors
    /// 400 naming the parameter and listing `valid`.
    pub fn choice<T: FromStr>(&self, name: &str, valid: &[&str]) -> Result<Option<T>, AppError>
    where
        T::Err: std::fmt::Display,
    {
        match self.one(name)? {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|e| AppError::bad_choice(name, format!("`{name}`: {e}"), valid)),
        }
    }
}

/// Every CRS code the API accepts.
pub const CRS_CODES: &[&str] = &["wgs84", "gcj02", "bd09"];
/// Every travel-mode code the API accepts.
pub const MODE_CODES: &[&str] = &["walk", "ebike"];

/// A query position as given and as used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryPosition {
    /// The position in `crs`, longitude normalised into `[-180, 180)`.
    pub given: LonLat,
    /// The system `given` is in.
    pub crs: Crs,
    /// `given` converted to WGS-84: what the index is queried with.
    pub wgs84: LonLat,
}

impl Serialize for QueryPosition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("position", &[self.given.lon, self.given.lat])?;
        m.serialize_entry("crs", self.crs.as_str())?;
        m.serialize_entry("position_wgs84", &[self.wgs84.lon, self.wgs84.lat])?;
        m.end()
    }
}

/// Reads `lon`, `lat` and `crs`: normalises the longitude, checks the latitude, converts to
/// WGS-84.
///
/// # Errors
/// 400 naming `lon`, `lat` or `crs`.
pub fn query_position(p: &Params) -> Result<QueryPosition, AppError> {
    let lon = p.required_f64("lon", "longitude, degrees")?;
    let lat = p.required_f64("lat", "latitude, degrees")?;
    let crs = p.choice::<Crs>("crs", CRS_CODES)?.unwrap_or_default();
    let given = LonLat::normalized(lon, lat)?;
    Ok(QueryPosition {
        given,
        crs,
        wgs84: crs.to_wgs84(given),
    })
}

/// Reads the filter parameters `kind`, `amenity`, `access`, `open_now`, `open_at`.
///
/// # Errors
/// 400 naming the parameter, listing valid codes for vocabularies.
pub fn query_filter(p: &Params) -> Result<Filter, AppError> {
    let mut f = Filter::default();
    for v in p.list("kind") {
        let k = ServiceKind::from_str(v).map_err(|e| {
            AppError::bad_choice("kind", format!("`kind`: {e}"), &ServiceKind::codes())
        })?;
        if !f.kinds.contains(&k) {
            f.kinds.push(k);
        }
    }
    for v in p.list("amenity") {
        let a = Amenity::from_str(v).map_err(|e| {
            AppError::bad_choice("amenity", format!("`amenity`: {e}"), &Amenity::codes())
        })?;
        f.amenities.insert(a);
    }
    for v in p.list("access") {
        let a = AccessMethod::from_str(v).map_err(|e| {
            AppError::bad_choice("access", format!("`access`: {e}"), &AccessMethod::codes())
        })?;
        if !f.access.contains(&a) {
            f.access.push(a);
        }
    }
    let open_now = p.bool("open_now")?.unwrap_or(false);
    if let Some(at) = p.one("open_at")? {
        if open_now {
            return Err(AppError::bad_param(
                "open_at",
                "give either `open_now` or `open_at`, not both",
            ));
        }
        f.open_at = Some(parse_local_time(at).ok_or_else(|| {
            AppError::bad_param(
                "open_at",
                format!("`open_at` must be a local (UTC+8) time YYYY-MM-DDTHH:MM[:SS]; got `{at}`"),
            )
        })?);
    } else if open_now {
        f.open_at = Some(china_local_now());
    }
    Ok(f)
}

fn parse_local_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M"))
        .ok()
}

/// Reads `out_crs` (`wgs84` default: nothing added).
///
/// # Errors
/// 400 for an unknown system.
pub fn query_out_crs(p: &Params) -> Result<Crs, AppError> {
    Ok(p.choice::<Crs>("out_crs", CRS_CODES)?.unwrap_or_default())
}

/// Reads `mode` (`walk` default).
///
/// # Errors
/// 400 for an unknown mode.
pub fn query_mode(p: &Params) -> Result<TravelMode, AppError> {
    Ok(p.choice::<TravelMode>("mode", MODE_CODES)?
        .unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// GeoJSON rendering
// ---------------------------------------------------------------------------------------------

/// Percent-encodes `s` for a URL query value: everything but RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` of its UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
        }
    }
    out
}

/// Navigation links of a point for the two map apps most riders use.
#[derive(Debug, Clone, PartialEq)]
pub struct NavLinks {
    /// Amap (高德) marker URI (<https://lbs.amap.com/api/uri-api/guide/mobile-web/point>),
    /// GCJ-02 `position=lon,lat` with `coordinate=gaode`.
    pub amap: String,
    /// Baidu marker URI (<https://lbsyun.baidu.com/faq/api?title=webapi/uri/web>), BD-09
    /// `location=lat,lon` with `coord_type=bd09ll`.
    pub baidu: String,
    /// The point in GCJ-02.
    pub gcj02: LonLat,
    /// The point in BD-09.
    pub bd09: LonLat,
}

/// Builds the Amap and Baidu links of a WGS-84 position named `name`. Coordinates carry six
/// decimals (about 0.1 m).
pub fn nav_links(location: LonLat, name: &str) -> NavLinks {
    let gcj02 = Crs::Gcj02.from_wgs84(location);
    // Not `gcj02_to_bd09(gcj02)`: that applies Baidu's offset outside mainland China too.
    let bd09 = Crs::Bd09.from_wgs84(location);
    let name = percent_encode(name);
    NavLinks {
        amap: format!(
            "https://uri.amap.com/marker?position={:.6},{:.6}&name={name}&coordinate=gaode&callnative=1",
            gcj02.lon, gcj02.lat
        ),
        baidu: format!(
            "https://api.map.baidu.com/marker?location={:.6},{:.6}&title={name}&coord_type=bd09ll&output=html&src=nuanxin.map",
            bd09.lat, bd09.lon
        ),
        gcj02,
        bd09,
    }
}

/// [`nav_links`] through a process-wide cache keyed by the position's exact bits and the
/// name (the links depend on nothing else), so a hot point's GCJ-02 / BD-09 conversion and
/// URL formatting run once. A hit costs a hash of the name and an uncontended read lock.
/// The cache is emptied when it exceeds [`NAV_CACHE_MAX`] entries.
pub fn nav_links_cached(location: LonLat, name: &str) -> Arc<NavLinks> {
    use std::hash::{Hash, Hasher};
    type Cache = RwLock<HashMap<(u64, u64, u64), (Box<str>, Arc<NavLinks>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut h);
    let key = (location.lon.to_bits(), location.lat.to_bits(), h.finish());
    if let Ok(map) = cache.read() {
        if let Some((n, links)) = map.get(&key) {
            if &**n == name {
                return links.clone();
            }
        }
    }
    let links = Arc::new(nav_links(location, name));
    if let Ok(mut map) = cache.write() {
        if map.len() >= NAV_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (name.into(), links.clone()));
    }
    links
}

/// Largest number of entries [`nav_links_cached`] keeps.
pub const NAV_CACHE_MAX: usize = 200_000;

/// How a point is rendered as a GeoJSON Feature (see [`PointFeature`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct FeatureOptions {
    /// Adds the position in this system as a property (`gcj02` or `bd09`); WGS-84 adds nothing.
    pub out_crs: Crs,
    /// Adds `open_now` (true/false, null when hours are unknown) evaluated at this local time.
    pub open_at: Option<NaiveDateTime>,
}

/// A GeoJSON Feature of one service point; serialises without building an intermediate
/// JSON tree.
///
/// Shape: `{"type": "Feature", "id": ID, "geometry": {"type": "Point", "coordinates":
/// [lon, lat]}, "properties": {...}}` with properties `id, kind, kind_label_zh,
/// kind_label_en, name, address, adcode, opening_hours, amenities (list of codes), access,
/// operator, phone, source, updated_at, demo, entrance ([lon, lat]), outline (Polygon
/// coordinates), nav_amap, nav_baidu` (unknown values are `null`), plus `open_now`,
/// `gcj02`/`bd09` and `distance_m` (metres, WGS-84 geodesic), `minutes`, `mode` when asked.
#[derive(Debug, Clone, Copy)]
pub struct PointFeature<'a> {
    /// The point.
    pub point: &'a ServicePoint,
    /// Rendering options.
    pub options: FeatureOptions,
    /// Distance from the query position, metres, and the minutes it takes in the mode.
    pub distance: Option<(f64, TravelMode, f64)>,
}

impl<'a> PointFeature<'a> {
    /// A plain feature of `point`.
    pub fn new(point: &'a ServicePoint) -> Self {
        Self {
            point,
            options: FeatureOptions::default(),
            distance: None,
        }
    }
}

struct Properties<'a>(&'a PointFeature<'a>);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let p = f.point;
        let nav = nav_links_cached(p.location, &p.name);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &p.id)?;
        m.serialize_entry("kind", p.kind.as_str())?;
        m.serialize_entry("kind_label_zh", p.kind.label_zh())?;
        m.serialize_entry("kind_label_en", p.kind.label_en())?;
        m.serialize_entry("name", &p.name)?;
        m.serialize_entry("address", &p.address)?;
        m.serialize_entry("adcode", &p.adcode)?;
        m.serialize_entry("opening_hours", &p.opening_hours)?;
        if let Some(at) = f.options.open_at {
            m.serialize_entry(
                "open_now",
                &p.opening_hours.as_ref().map(|h| h.is_open_at(at)),
            )?;
        }
        m.serialize_entry("amenities", &p.amenities)?;
        m.serialize_entry("access", &p.access)?;
        m.serialize_entry("operator", &p.operator)?;
        m.serialize_entry("phone", &p.phone)?;
        m.serialize_entry("source", &p.source)?;
        m.serialize_entry("updated_at", &p.updated_at)?;
        m.serialize_entry("demo", &p.demo)?;
        m.serialize_entry("entrance", &p.entrance)?;
        m.serialize_entry("outline", &p.outline)?;
        m.serialize_entry("nav_amap", &nav.amap)?;
        m.serialize_entry("nav_baidu", &nav.baidu)?;
        match f.options.out_crs {
            Crs::Wgs84 => {}
            Crs::Gcj02 => m.serialize_entry("gcj02", &[nav.gcj02.lon, nav.gcj02.lat])?,
            Crs::Bd09 => m.serialize_entry("bd09", &[nav.bd09.lon, nav.bd09.lat])?,
        }
        if let Some((d, mode, minutes)) = f.distance {
            m.serialize_entry("distance_m", &round_to(d, 1))?;
            m.serialize_entry("minutes", &round_to(minutes, 2))?;
            m.serialize_entry("mode", mode.as_str())?;
        }
        m.end()
    }
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

struct PointGeometry(LonLat);

impl Serialize for PointGeometry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "Point")?;
        m.serialize_entry("coordinates", &[self.0.lon, self.0.lat])?;
        m.end()
    }
}

impl Serialize for PointFeature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("type", "Feature")?;
        m.serialize_entry("id", &self.point.id)?;
        m.serialize_entry("geometry", &PointGeometry(self.point.location))?;
        m.serialize_entry("properties", &Properties(self))?;
        m.end()
    }
}

/// The GeoJSON Feature of `point` as a JSON value, with default options (no distance, no
/// `open_now`, WGS-84 only). For modules that add their own members.
pub fn point_feature(point: &ServicePoint) -> serde_json::Value {
    serde_json::to_value(PointFeature::new(point)).unwrap_or(serde_json::Value::Null)
}

/// A sequence serialised from an iterator (for features without collecting a Vec).
struct SeqOf<I>(std::cell::Cell<Option<I>>);

impl<I, T> Serialize for SeqOf<I>
where
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.take() {
            for x in it {
                seq.serialize_element(&x)?;
            }
        }
        seq.end()
    }
}

fn seq_of<I: Iterator>(it: I) -> SeqOf<I> {
    SeqOf(std::cell::Cell::new(Some(it)))
}

/// A link object (OGC API / RFC 8288 style).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    /// Target URL.
    pub href: String,
    /// Relation type (`self`, `next`, `prev`, `alternate`, ...).
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Human-readable title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Link {
    /// A link with a media type.
    pub fn new(href: impl Into<String>, rel: &str, type_: &str) -> Self {
        Self {
            href: href.into(),
            rel: rel.to_string(),
            type_: Some(type_.to_string()),
            title: None,
        }
    }
    /// With a title.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

pub use super::forwarded::base_url;

/// `path?query` with `pairs` as the query, `limit` and `offset` replaced by the given values.
pub fn paged_href(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    limit: usize,
    offset: usize,
) -> String {
    let mut q = String::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != "limit" && k != "offset") {
        q.push_str(&percent_encode(k));
        q.push('=');
        q.push_str(&percent_encode(v));
        q.push('&');
    }
    q.push_str(&format!("limit={limit}&offset={offset}"));
    format!("{base}{path}?{q}")
}

/// `next` and `prev` links of a page of `returned` items at `offset` out of `matched`.
pub fn paging_links(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    limit: usize,
    offset: usize,
    matched: usize,
    type_: &str,
) -> Vec<Link> {
    let mut links = Vec::new();
    if offset + limit < matched {
        links.push(
            Link::new(
                paged_href(base, path, pairs, limit, offset + limit),
                "next",
                type_,
            )
            .titled("Next page"),
        );
    }
    if offset > 0 {
        links.push(
            Link::new(
                paged_href(base, path, pairs, limit, offset.saturating_sub(limit)),
                "prev",
                type_,
            )
            .titled("Previous page"),
        );
    }
    links
}

fn geojson_response(body: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        body,
    )
        .into_response()
}

fn to_json_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>, AppError> {
    to_json_bytes_sized(v, 1024)
}

/// Serialises into a buffer of `capacity` bytes to start with (a feature of a service point
/// is about 1 KB), sparing the reallocations of a growing buffer.
fn to_json_bytes_sized<T: Serialize>(v: &T, capacity: usize) -> Result<Vec<u8>, AppError> {
    let mut buf = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut buf, v)
        .map_err(|e| AppError::Internal(format!("serialising response: {e}")))?;
    Ok(buf)
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

const FILTER_PARAMS: [&str; 5] = ["kind", "amenity", "access", "open_now", "open_at"];

const NEAREST_PARAMS: &[&str] = &[
    "lon", "lat", "crs", "kind", "amenity", "access", "open_now", "open_at", "k", "mode", "out_crs",
];
const WITHIN_PARAMS: &[&str] = &[
    "lon", "lat", "crs", "kind", "amenity", "access", "open_now", "open_at", "radius_m", "mode",
    "out_crs", "limit", "offset",
];
const POINTS_PARAMS: &[&str] = &[
    "bbox", "kind", "amenity", "access", "open_now", "open_at", "out_crs", "limit", "offset",
];

struct HitFeatures<'a> {
    hits: &'a [Hit],
    options: FeatureOptions,
    mode: TravelMode,
    speeds: Speeds,
}

impl Serialize for HitFeatures<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq_of(self.hits.iter().map(|h| PointFeature {
            point: &h.point,
            options: self.options,
            distance: Some((
                h.distance_m,
                self.mode,
                self.speeds.minutes(self.mode, h.distance_m),
            )),
        }))
        .serialize(s)
    }
}

/// The query echoed in distance responses.
#[derive(Serialize)]
struct EchoQuery<'a> {
    #[serde(flatten)]
    position: QueryPosition,
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    radius_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_at: Option<&'a NaiveDateTime>,
}

#[derive(Serialize)]
struct DistanceCollection<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    features: HitFeatures<'a>,
    #[serde(rename = "numberMatched", skip_serializing_if = "Option::is_none")]
    number_matched: Option<usize>,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    query: EchoQuery<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
}

/// Nearest service points.
#[utoipa::path(
    get,
    path = "/api/v1/nearest",
    tag = "points",
    params(
        ("lon" = f64, Query, description = "Longitude, degrees (in `crs`). Values in [-540, 540] outside [-180, 180] are wrapped once (472.98 → 112.98); larger values are a 400."),
        ("lat" = f64, Query, description = "Latitude, degrees (in `crs`), within [-90, 90]."),
        ("crs" = Option<Crs>, Query, description = "System of lon/lat: wgs84 (default), gcj02 (Amap/WeChat), bd09 (Baidu)."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of (repeat or comma list)."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of (repeat or comma list)."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now (UTC+8); unknown hours never pass."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local UTC+8 time, YYYY-MM-DDTHH:MM."),
        ("k" = Option<usize>, Query, minimum = 1, maximum = 50, description = "Number of points, default 5, 1..=50."),
        ("mode" = Option<TravelMode>, Query, description = "Speed for `minutes`: walk (5 km/h, default) or ebike (15 km/h)."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds the point's coordinates in that system as a property."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection, nearest first, each feature with `distance_m` (WGS-84 geodesic, metres), `minutes` and `mode`", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is missing or invalid (named in `param`)", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn nearest(State(state): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, NEAREST_PARAMS)?;
    let position = query_position(&p)?;
    let filter = query_filter(&p)?;
    let k = p.int("k", NEAREST_K_DEFAULT, 1, NEAREST_K_MAX)?;
    let mode = query_mode(&p)?;
    let out_crs = query_out_crs(&p)?;
    let hits = state.index().nearest(position.wgs84, k, &filter);
    let body = DistanceCollection {
        type_: "FeatureCollection",
        features: HitFeatures {
            hits: &hits,
            options: FeatureOptions {
                out_crs,
                open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
            },
            mode,
            speeds: state.config.speeds,
        },
        number_matched: None,
        number_returned: hits.len(),
        query: EchoQuery {
            position,
            mode: mode.as_str(),
            k: Some(k),
            radius_m: None,
            open_at: filter.open_at.as_ref(),
        },
        links: Vec::new(),
    };
    Ok(geojson_response(to_json_bytes_sized(
        &body,
        512 + 1200 * body.number_returned,
    )?))
}

/// Service points within a radius.
#[utoipa::path(
    get,
    path = "/api/v1/within",
    tag = "points",
    params(
        ("lon" = f64, Query, description = "Longitude, degrees (in `crs`), in [-540, 540]; wrapped into [-180, 180)."),
        ("lat" = f64, Query, description = "Latitude, degrees (in `crs`)."),
        ("radius_m" = f64, Query, minimum = 0, maximum = 100000, description = "Radius, metres (WGS-84 geodesic), 0..=100000."),
        ("crs" = Option<Crs>, Query, description = "System of lon/lat."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local time."),
        ("mode" = Option<TravelMode>, Query, description = "Speed for `minutes`."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100."),
        ("offset" = Option<usize>, Query, description = "Features to skip, default 0."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection, nearest first, with numberMatched and next/prev links", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is missing or invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn within(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, WITHIN_PARAMS)?;
    let position = query_position(&p)?;
    let radius_m = p.required_f64("radius_m", "radius, metres")?;
    if !radius_m.is_finite() {
        return Err(AppError::bad_param(
            "radius_m",
            "`radius_m` must be a finite number of metres",
        ));
    }
    if !(0.0..=WITHIN_RADIUS_MAX_M).contains(&radius_m) {
        return Err(AppError::bad_param(
            "radius_m",
            format!("`radius_m` = {radius_m} is outside [0, {WITHIN_RADIUS_MAX_M}] metres"),
        ));
    }
    let filter = query_filter(&p)?;
    let mode = query_mode(&p)?;
    let out_crs = query_out_crs(&p)?;
    let limit = p.int("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)?;
    let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
    let hits = state.index().within(position.wgs84, radius_m, &filter);
    let matched = hits.len();
    let page = hits
        .get(offset.min(matched)..(offset + limit).min(matched))
        .unwrap_or(&[]);
    let base = base_url(&headers, state.config.trust_forwarded_for);
    let body = DistanceCollection {
        type_: "FeatureCollection",
        features: HitFeatures {
            hits: page,
            options: FeatureOptions {
                out_crs,
                open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
            },
            mode,
            speeds: state.config.speeds,
        },
        number_matched: Some(matched),
        number_returned: page.len(),
        query: EchoQuery {
            position,
            mode: mode.as_str(),
            k: None,
            radius_m: Some(radius_m),
            open_at: filter.open_at.as_ref(),
        },
        links: paging_links(
            &base,
            uri.path(),
            p.pairs(),
            limit,
            offset,
            matched,
            GEOJSON,
        ),
    };
    Ok(geojson_response(to_json_bytes(&body)?))
}

#[derive(Serialize)]
struct PageCollection<'a, F: Serialize> {
    #[serde(rename = "type")]
    type_: &'static str,
    features: F,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    links: &'a [Link],
}

/// Service points by bbox and filters, paged, sorted by id.
#[utoipa::path(
    get,
    path = "/api/v1/points",
    tag = "points",
    params(
        ("bbox" = Option<String>, Query, description = "WGS-84 west,south,east,north degrees; west > east crosses the antimeridian (RFC 7946 §5.2); south > north is an error."),
        ("kind" = Option<Vec<ServiceKind>>, Query, explode = true, description = "Admitted kinds, any of."),
        ("amenity" = Option<Vec<Amenity>>, Query, explode = true, description = "Required amenities, all of."),
        ("access" = Option<Vec<AccessMethod>>, Query, explode = true, description = "Admitted access methods, any of."),
        ("open_now" = Option<bool>, Query, description = "Only points open now."),
        ("open_at" = Option<String>, Query, description = "Only points open at this local time."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 10000, description = "Page size, default 100."),
        ("offset" = Option<usize>, Query, description = "Features to skip, default 0."),
    ),
    responses(
        (status = 200, description = "GeoJSON FeatureCollection sorted by id, with numberMatched, numberReturned and next/prev links", content_type = "application/geo+json", body = FeatureCollectionDoc),
        (status = 400, description = "A parameter is invalid", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn points(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, POINTS_PARAMS)?;
    let bbox = p.one("bbox")?.map(Bbox::parse).transpose()?;
    let filter = query_filter(&p)?;
    let out_crs = query_out_crs(&p)?;
    let limit = p.int("limit", LIMIT_DEFAULT, 1, LIMIT_MAX)?;
    let offset = p.int("offset", 0, 0, usize::MAX / 2)?;
    let index = state.index();
    let matched_points = match &bbox {
        Some(b) => index.in_bbox(b, &filter),
        None => {
            let mut v = index.all_sorted();
            v.retain(|pt| filter.admits(pt));
            v
        }
    };
    let matched = matched_points.len();
    let base = base_url(&headers, state.config.trust_forwarded_for);
    let mut links = vec![Link::new(format!("{base}{uri}"), "self", GEOJSON)];
    links.extend(paging_links(
        &base,
        uri.path(),
        p.pairs(),
        limit,
        offset,
        matched,
        GEOJSON,
    ));
    let options = FeatureOptions {
        out_crs,
        open_at: Some(filter.open_at.unwrap_or_else(china_local_now)),
    };
    let page = matched_points.iter().skip(offset).take(limit);
    let body = PageCollection {
        type_: "FeatureCollection",
        number_returned: page.len(),
        features: seq_of(page.map(|pt| PointFeature {
            point: pt,
            options,
            distance: None,
        })),
        number_matched: matched,
        links: &links,
    };
    Ok(geojson_response(to_json_bytes(&body)?))
}

/// One service point.
#[utoipa::path(
    get,
    path = "/api/v1/points/{id}",
    tag = "points",
    params(
        ("id" = String, Path, description = "Service point id."),
        ("out_crs" = Option<Crs>, Query, description = "gcj02 or bd09 adds coordinates in that system."),
    ),
    responses(
        (status = 200, description = "GeoJSON Feature", content_type = "application/geo+json", body = PointFeatureDoc),
        (status = 404, description = "No point with this id", content_type = "application/problem+json", body = Problem),
    )
)]
pub async fn point_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let p = Params::from_uri(&uri, &["out_crs"])?;
    let out_crs = query_out_crs(&p)?;
    let index = state.index();
    let point = index
        .get(&id)
        .ok_or_else(|| AppError::NotFound(format!("no service point with id `{id}`")))?;
    let f = PointFeature {
        point,
        options: FeatureOptions {
            out_crs,
            open_at: Some(china_local_now()),
        },
        distance: None,
    };
    Ok(geojson_response(to_json_bytes(&f)?))
}

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

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

/// A GeoJSON FeatureCollection (RFC 7946 §3.3) of service points (documentation schema).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FeatureCollectionDoc {
    /// Always `FeatureCollection`.
    #[schema(rename = "type", example = "FeatureCollection")]
    type_: String,
    /// The features.
    features: Vec<PointFeatureDoc>,
    /// Features matching the query before paging (listings only).
    #[schema(rename = "numberMatched")]
    number_matched: Option<usize>,
    /// Features in this response.
    #[schema(rename = "numberReturned")]
    number_returned: usize,
    /// Paging links (`self`, `next`, `prev`).
    links: Option<Vec<Link>>,
    /// The query as understood: `position` as given (longitude normalised), `crs`,
    /// `position_wgs84`, `mode`, `k` / `radius_m` (distance queries only).
    #[schema(value_type = Option<Object>)]
    query: Option<serde_json::Value>,
}

/// A GeoJSON Feature (RFC 7946 §3.2) of a service point (documentation schema); see
/// [`PointFeature`] for the properties.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PointFeatureDoc {
    /// Always `Feature`.
    #[schema(rename = "type", example = "Feature")]
    type_: String,
    /// The point id.
    id: String,
    /// `{"type": "Point", "coordinates": [lon, lat]}`, WGS-84.
    #[schema(value_type = Object)]
    geometry: serde_json::Value,
    /// id, kind, kind_label_zh, kind_label_en, name, address, adcode, opening_hours,
    /// open_now, amenities, access, operator, phone, source, updated_at, demo, entrance,
    /// outline, nav_amap, nav_baidu, and when asked gcj02 / bd09 `[lon, lat]`, distance_m,
    /// minutes, mode.
    #[schema(value_type = Object)]
    properties: serde_json::Value,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(nearest, within, points, point_by_id, districts, district),
    components(schemas(Problem, Link, FeatureCollectionDoc, PointFeatureDoc, DistrictList, DistrictSummary, Crs, TravelMode, ServiceKind, Amenity, AccessMethod)),
    tags(
        (name = "points", description = "Service points: nearest, within a radius, by bbox, by id"),
        (name = "districts", description = "District boundaries for the map"),
    )
)]
struct PointsApi;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/nearest", get(nearest))
        .route("/api/v1/within", get(within))
        .route("/api/v1/points", get(points))
        .route("/api/v1/points/{id}", get(point_by_id))
        .route("/api/v1/districts", get(districts))
        .route("/api/v1/districts/{adcode}", get(district))
}

/// OpenAPI paths of this module, merged into `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <PointsApi as utoipa::OpenApi>::openapi()
}

/// The filter parameter names shared by the point queries.
pub fn filter_params() -> &'static [&'static str] {
    &FILTER_PARAMS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str, allowed: &[&str]) -> Result<Params, AppError> {
        Params::from_uri(&format!("/x?{q}").parse().unwrap(), allowed)
    }

    #[test]
    fn lists_merge_repeats_and_commas() {
        let p = params(
            "kind=station,legal_aid&kind=%20collection_point&kind=",
            &["kind"],
        )
        .unwrap();
        assert_eq!(p.list("kind"), ["station", "legal_aid", "collection_point"]);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = params("lng=1", &["lon"]).unwrap_err();
        assert_eq!(e.problem().param.as_deref(), Some("lng"));
        let p = params("lon=1&lon=2", &["lon"]).unwrap();
        assert_eq!(
            p.one("lon").unwrap_err().problem().param.as_deref(),
            Some("lon")
        );
    }

    #[test]
    fn cached_navigation_links_equal_fresh_ones_and_follow_name_and_position() {
        let a = LonLat::new(112.97092, 28.19860).unwrap();
        let b = LonLat::new(112.97093, 28.19860).unwrap();
        for (p, name) in [(a, "驿站"), (a, "驿站"), (a, "另一个"), (b, "驿站")] {
            assert_eq!(*nav_links_cached(p, name), nav_links(p, name));
        }
    }

    #[test]
    fn percent_encoding_of_chinese_name() {
        // "驿" is U+9A7F, UTF-8 E9 A9 BF.
        assert_eq!(percent_encode("驿 a&b"), "%E9%A9%BF%20a%26b");
    }

    #[test]
    fn nav_links_leave_points_outside_mainland_china_unshifted() {
        // Regression: the Baidu link applied BD-09's offset (≈ +0.0065°, +0.006°) in Seoul.
        // Outside mainland China both apps take the WGS-84 position as it is.
        let seoul = LonLat::new(126.978, 37.566).unwrap();
        let links = nav_links(seoul, "Seoul");
        assert_eq!(links.gcj02, seoul);
        assert_eq!(links.bd09, seoul);
        assert!(
            links.baidu.contains("location=37.566000,126.978000"),
            "{}",
            links.baidu
        );
    }

    #[test]
    fn paging_links_keep_filters_and_move_offset() {
        let pairs = vec![
            ("kind".to_string(), "station".to_string()),
            ("offset".to_string(), "10".to_string()),
        ];
        let l = paging_links("http://h", "/p", &pairs, 10, 10, 25, GEOJSON);
        assert_eq!(l[0].rel, "next");
        assert_eq!(l[0].href, "http://h/p?kind=station&limit=10&offset=20");
        assert_eq!(l[1].rel, "prev");
        assert_eq!(l[1].href, "http://h/p?kind=station&limit=10&offset=0");
        assert!(paging_links("", "/p", &pairs, 10, 20, 25, GEOJSON)
            .iter()
            .all(|l| l.rel != "next"));
    }
}
