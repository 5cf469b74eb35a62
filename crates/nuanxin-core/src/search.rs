//! Place search: one box for names and for positions pasted from other map apps.
//!
//! - **Names** ([`Gazetteer`]): service points, Changsha metro stations, Hunan districts, named
//!   OpenStreetMap points of interest, and any other places a caller adds (street names from a
//!   road graph, for instance, through [`Gazetteer::new`]). A name matches by Chinese text
//!   (exact, prefix, substring), by pinyin initials (`wygc` → 五一广场; every reading of a
//!   polyphonic character counts, so `cs` and `zs` both find 长沙), or by full toneless pinyin
//!   (`wuyiguangchang`). Pinyin comes from the `pinyin` crate (data of pinyin-data / Unicode Unihan).
//! - **Positions** ([`parse_position`]): `lon,lat` pairs and share links of Amap (高德,
//!   GCJ-02), Baidu (百度, BD-09, latitude first) and Tencent (腾讯, GCJ-02, latitude first), and
//!   RFC 5870 `geo:` URIs (WGS-84), converted to WGS-84 with [`crate::crs`].
//!
//! Parameter names of the links follow each app's URI documentation: Amap
//! <https://lbs.amap.com/api/uri-api/guide/mobile-web/point> (`position=lon,lat`, `coordinate`),
//! Baidu <https://lbsyun.baidu.com/faq/api?title=webapi/uri/web> (`location=lat,lng`,
//! `coord_type`), Tencent <https://lbs.qq.com/webApi/uriV1/uriGuide/uriWebMarker>
//! (`marker=coord:lat,lng;title:…`, `coord_type` 1 = GPS, 2 = Tencent/GCJ-02) and Tencent's
//! classic share page `map.qq.com/?…&pointx=lng&pointy=lat`.
//!
//! Why this file is long: one gazetteer (names, pinyin, initials, ranking) and the
//! pasted-position parser it falls back to; the unit tests, kept next to the code, are the
//! last ~240 lines.

use crate::crs::Crs;
use crate::model::{LonLat, ServicePoint};
use pinyin::{ToPinyin, ToPinyinMulti};
use serde::Serialize;
use std::sync::OnceLock;

/// Named OpenStreetMap points of interest in the Changsha bbox (Geofabrik free `pois` layer,
/// ODbL 1.0, © OpenStreetMap contributors; see `data/README.md`).
pub const OSM_POIS_GEOJSON: &str = include_str!("../../../data/osm/osm_pois_changsha.geojson");
const METRO_GEOJSON: &str =
    include_str!("../../../data/metro/changsha_metro_stations_wgs84.geojson");
const ADMIN_INDEX_CSV: &str = include_str!("../../../data/boundaries/hunan_admin_index.csv");

/// Largest number of results a search returns.
pub const MAX_LIMIT: usize = 50;
/// Longest query accepted, in characters (a long share link fits).
pub const MAX_QUERY_CHARS: usize = 2_000;

/// What a place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// A service point of the index (`id` is its id, `category` its kind code).
    ServicePoint,
    /// A metro station (`category` lists its lines).
    MetroStation,
    /// A province, city or county (`id` is the adcode, `category` the level).
    District,
    /// An OpenStreetMap point of interest (`category` is its Geofabrik class).
    Poi,
    /// A street of the loaded road graph.
    Street,
}

impl PlaceKind {
    /// Rank among equal text scores: what riders look for first.
    fn priority(self) -> u32 {
        match self {
            PlaceKind::ServicePoint => 5,
            PlaceKind::MetroStation => 4,
            PlaceKind::District => 3,
            PlaceKind::Street => 2,
            PlaceKind::Poi => 1,
        }
    }
}

/// A named place with a WGS-84 position.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    /// What it is.
    pub kind: PlaceKind,
    /// Display name (Chinese where the source has it).
    pub name: String,
    /// English name, where the data has one: metro stations (`name_en`, pinyin words),
    /// districts (`name_en` of `data/boundaries/hunan_admin_index.csv`), POIs (`name:en`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// WGS-84 `[lon, lat]` degrees.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub location: LonLat,
    /// Service point id or adcode, when the place has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Sub-kind: service kind code, metro lines, district level, POI class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl Place {
    /// The name to show in `lang`: in English the English name with the Chinese one in
    /// brackets (`Furong District (芙蓉区)`) where the data has an English name, else the
    /// Chinese name alone; in Chinese the Chinese name.
    pub fn label(&self, lang: Lang) -> String {
        match (lang, self.name_en.as_deref()) {
            (Lang::En, Some(en)) if en != self.name => format!("{en} ({})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// Language of the names shown (the page's language: Simplified Chinese first, English second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Simplified Chinese (`zh`, `zh-CN`, `zh-Hans`).
    #[default]
    Zh,
    /// English (`en`, `en-GB`, …).
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;

    /// `zh` or `en`, or a BCP 47 tag starting with one of them (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let primary = s
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            _ => Err(format!("unknown language {s:?}: zh or en")),
        }
    }
}

/// One result with its score (higher is better; 100 is an exact name).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaceMatch {
    /// The place.
    #[serde(flatten)]
    pub place: Place,
    /// The name to show in the language asked for ([`Place::label`]); the Chinese name
    /// until [`localise`] sets it.
    pub label: String,
    /// Match score, 1–100.
    pub score: u32,
    /// How it matched: `name`, `name_en`, `pinyin_initials`, `pinyin` or `id`.
    pub matched_by: &'static str,
}

/// Sets every result's `label` for `lang` ([`Place::label`]).
pub fn localise(matches: &mut [PlaceMatch], lang: Lang) {
    for m in matches {
        m.label = m.place.label(lang);
    }
}

/// Search keys of one name.
#[derive(Debug, Clone)]
struct Keys {
    /// Lowercase name without spaces and punctuation.
    text: Vec<char>,
    /// Per character, every initial letter it may have (all readings; Latin letters and
    /// digits stand for themselves).
    initials: Vec<Vec<char>>,
    /// Toneless pinyin of the default readings, concatenated, lowercase.
    full: String,
}

fn keep(c: char) -> bool {
    c.is_alphanumeric()
}

impl Keys {
    fn of(name: &str) -> Self {
        let mut text = Vec::new();
        let mut initials = Vec::new();
        let mut full = String::new();
        for c in name.chars().filter(|c| keep(*c)) {
            let lc = c.to_lowercase().next().unwrap_or(c);
            text.push(lc);
            match c.to_pinyin_multi() {
                Some(multi) => {
                    let mut set: Vec<char> = multi
                        .into_iter()
                        .filter_map(|p| p.plain().chars().next())
                        .collect();
                    set.sort_unstable();
                    set.dedup();
                    initials.push(set);
                    if let Some(p) = c.to_pinyin() {
                        full.push_str(p.plain());
                    }
                }
                None => {
                    initials.push(vec![lc]);
                    full.push(lc);
                }
            }
        }
        Keys {
            text,
            initials,
            full,
        }
    }

    /// Where the query's letters match consecutive initials: `Some(0)` is a prefix.
    fn initials_at(&self, q: &[char]) -> Option<usize> {
        if q.is_empty() || q.len() > self.initials.len() {
            return None;
        }
        (0..=self.initials.len() - q.len()).find(|&start| {
            q.iter()
                .zip(&self.initials[start..])
                .all(|(c, set)| set.contains(c))
        })
    }
}

fn find(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| hay[i..i + needle.len()] == *needle)
}

/// Scores `keys` against the normalised query; `None` when it does not match.
fn score(keys: &Keys, q: &[char], q_str: &str) -> Option<(u32, &'static str)> {
    if keys.text == q {
        return Some((100, "name"));
    }
    if let Some(i) = find(&keys.text, q) {
        return Some((if i == 0 { 90 } else { 70 }, "name"));
    }
    let ascii = q.iter().all(|c| c.is_ascii_alphanumeric());
    if !ascii {
        return None;
    }
    if keys.full == q_str {
        return Some((95, "pinyin"));
    }
    if let Some(i) = keys.initials_at(q) {
        let whole = q.len() == keys.initials.len();
        return Some((
            match (i, whole) {
                (0, true) => 85,
                (0, false) => 75,
                _ => 50,
            },
            "pinyin_initials",
        ));
    }
    if q.len() >= 2 {
        if let Some(i) = keys.full.find(q_str) {
            return Some((if i == 0 { 80 } else { 55 }, "pinyin"));
        }
    }
    None
}

/// Scores an English name (its letters and digits, lowercase) against the normalised query:
/// exact 100, prefix 90, elsewhere 70 (`Furong District` for `furong district` or `furong`).
fn score_english(en: &[char], q: &[char]) -> Option<(u32, &'static str)> {
    if en == q {
        return Some((100, "name_en"));
    }
    find(en, q).map(|i| (if i == 0 { 90 } else { 70 }, "name_en"))
}

/// A list of places searchable by name.
#[derive(Debug, Clone, Default)]
pub struct Gazetteer {
    /// Each place with the keys of its name and, if any, the lowercase letters and digits of
    /// its English name.
    entries: Vec<(Place, Keys, Option<Vec<char>>)>,
}

impl Gazetteer {
    /// Indexes `places` (names without any letter or digit are skipped).
    pub fn new(places: impl IntoIterator<Item = Place>) -> Self {
        let entries = places
            .into_iter()
            .filter(|p| p.name.chars().any(keep))
            .map(|p| {
                let k = Keys::of(&p.name);
                let en = p.name_en.as_deref().map(|n| {
                    n.chars()
                        .filter(|c| keep(*c))
                        .flat_map(char::to_lowercase)
                        .collect()
                });
                (p, k, en)
            })
            .collect();
        Gazetteer { entries }
    }

    /// The service points (kind code as category).
    pub fn of_service_points<'a>(points: impl IntoIterator<Item = &'a ServicePoint>) -> Self {
        Self::new(points.into_iter().map(|p| Place {
            kind: PlaceKind::ServicePoint,
            name: p.name.clone(),
            name_en: None,
            location: p.location,
            id: Some(p.id.clone()),
            category: Some(p.kind.as_str().to_string()),
        }))
    }

    /// The shipped places: Changsha metro stations, Hunan's province, cities and counties
    /// (label points of `data/boundaries/hunan_admin_index.csv`), and named OSM POIs. Built once.
    pub fn embedded() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| {
            let mut places = metro_places();
            places.extend(district_places());
            places.extend(poi_places(OSM_POIS_GEOJSON));
            Gazetteer::new(places)
        })
    }

    /// Number of places.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every match of the text `query`, unsorted.
    fn matches(&self, query: &str, out: &mut Vec<PlaceMatch>) {
        let q: Vec<char> = query
            .chars()
            .filter(|c| keep(*c))
            .flat_map(char::to_lowercase)
            .collect();
        if q.is_empty() {
            return;
        }
        let q_str: String = q.iter().collect();
        for (place, keys, en) in &self.entries {
            let hit = score(keys, &q, &q_str)
                .or_else(|| en.as_deref().and_then(|en| score_english(en, &q)))
                .or_else(|| (place.id.as_deref() == Some(q_str.as_str())).then_some((100, "id")));
            if let Some((score, matched_by)) = hit {
                out.push(PlaceMatch {
                    place: place.clone(),
                    label: place.name.clone(),
                    score,
                    matched_by,
                });
            }
        }
    }
}

/// Searches the text `query` in every gazetteer: best score first, then the kind riders look
/// for first (service point, metro, district, street, POI), then the shorter name; at most
/// `limit` (capped at [`MAX_LIMIT`]) results. The same name at the same kind within 50 m is
/// listed once.
pub fn search_text(query: &str, gazetteers: &[&Gazetteer], limit: usize) -> Vec<PlaceMatch> {
    let mut all = Vec::new();
    for g in gazetteers {
        g.matches(query, &mut all);
    }
    all.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.place.kind.priority().cmp(&a.place.kind.priority()))
            .then(
                a.place
                    .name
                    .chars()
                    .count()
                    .cmp(&b.place.name.chars().count()),
            )
            .then(a.place.name.cmp(&b.place.name))
    });
    let mut out: Vec<PlaceMatch> = Vec::new();
    for m in all {
        if out.len() >= limit.min(MAX_LIMIT) {
            break;
        }
        let dup = out.iter().any(|o| {
            o.place.kind == m.place.kind
                && o.place.name == m.place.name
                && crate::geodesy::geodesic_distance_m(o.place.location, m.place.location) < 50.0
        });
        if !dup {
            out.push(m);
        }
    }
    out
}

/// Street names of the loaded road graph, searched with the other gazetteers.
fn streets_slot() -> &'static std::sync::RwLock<Option<std::sync::Arc<Gazetteer>>> {
    static S: OnceLock<std::sync::RwLock<Option<std::sync::Arc<Gazetteer>>>> = OnceLock::new();
    S.get_or_init(Default::default)
}

/// Registers the street names of a loaded road graph (one [`Place`] of kind
/// [`PlaceKind::Street`] per named street, at a point on it), replacing any earlier set.
pub fn set_streets(streets: Gazetteer) {
    if let Ok(mut s) = streets_slot().write() {
        *s = Some(std::sync::Arc::new(streets));
    }
}

/// The registered street names, if a road graph registered any.
pub fn streets() -> Option<std::sync::Arc<Gazetteer>> {
    streets_slot().read().ok().and_then(|s| s.clone())
}

fn metro_places() -> Vec<Place> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(METRO_GEOJSON) else {
        // Compiled in; the test `embedded_gazetteer_has_metro_districts_and_pois` reads it.
        unreachable!("the embedded metro stations are JSON");
    };
    let mut out = Vec::new();
    for f in v["features"].as_array().into_iter().flatten() {
        let (Some(name), Some(c)) = (
            f["properties"]["name"].as_str(),
            f["geometry"]["coordinates"].as_array(),
        ) else {
            continue;
        };
        let (Some(lon), Some(lat)) = (
            c.first().and_then(|x| x.as_f64()),
            c.get(1).and_then(|x| x.as_f64()),
        ) else {
            continue;
        };
        let Ok(location) = LonLat::new(lon, lat) else {
            continue;
        };
        let lines: Vec<&str> = f["properties"]["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str())
            .collect();
        out.push(Place {
            kind: PlaceKind::MetroStation,
            name: name.to_string(),
            name_en: non_blank(f["properties"]["name_en"].as_str()),
            location,
            id: None,
            category: (!lines.is_empty()).then(|| lines.join("、")),
        });
    }
    out
}

fn district_places() -> Vec<Place> {
    let mut out = Vec::new();
    for line in ADMIN_INDEX_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 6 {
            continue;
        }
        let (Ok(lon), Ok(lat)) = (f[4].parse::<f64>(), f[5].parse::<f64>()) else {
            continue;
        };
        let Ok(location) = LonLat::new(lon, lat) else {
            continue;
        };
        out.push(Place {
            kind: PlaceKind::District,
            name: f[1].to_string(),
            // `name_en` (make_name_en.py), the last column; the file has CRLF line ends.
            name_en: non_blank(f.get(8).map(|s| s.trim_end_matches('\r'))),
            location,
            id: Some(f[0].to_string()),
            category: Some(f[2].to_string()),
        });
    }
    out
}

/// `s` trimmed, unless blank.
fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Named points of a GeoJSON FeatureCollection of OSM POIs (`name`, `fclass`, and the
/// English name where present: OSM's `name:en`, or `name_en`).
pub fn poi_places(geojson: &str) -> Vec<Place> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(geojson) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in v["features"].as_array().into_iter().flatten() {
        let Some(name) = f["properties"]["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
        else {
            continue;
        };
        let c = &f["geometry"]["coordinates"];
        let (Some(lon), Some(lat)) = (c[0].as_f64(), c[1].as_f64()) else {
            continue;
        };
        let Ok(location) = LonLat::new(lon, lat) else {
            continue;
        };
        let props = &f["properties"];
        out.push(Place {
            kind: PlaceKind::Poi,
            name: name.trim().to_string(),
            name_en: non_blank(props["name:en"].as_str().or(props["name_en"].as_str())),
            location,
            id: f["properties"]["osm_id"]
                .as_str()
                .map(|s| format!("osm:{s}")),
            category: f["properties"]["fclass"].as_str().map(str::to_string),
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Pasted positions
// ---------------------------------------------------------------------------------------------

/// A position read from pasted text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PastedPosition {
    /// The position in WGS-84 `[lon, lat]`.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub location: LonLat,
    /// The system the pasted numbers were in (`wgs84`, `gcj02`, `bd09`).
    pub input_crs: &'static str,
    /// The pasted numbers as `[lon, lat]` in `input_crs`.
    #[cfg_attr(feature = "openapi", schema(value_type = [f64; 2]))]
    pub input: LonLat,
    /// Where they came from: `amap`, `baidu`, `tencent`, `geo_uri` or `coordinates`.
    pub source: &'static str,
    /// A name carried by the link (`name=`, `title=`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Why pasted text that looks like a position is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PositionError {
    /// Numbers out of range (message names them).
    #[error("{0}")]
    OutOfRange(String),
    /// A link of a known app without a position we can read.
    #[error("{0}")]
    Unsupported(String),
}

impl crate::error::Classify for PositionError {
    /// Invalid input; the text came from the search box (`q` over HTTP).
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid("q")
    }
}

fn decode_component(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            // Two hex digits, checked as bytes: the text after `%` may be any UTF-8, so
            // slicing it as `str` could cut a character (a fuzzed share link did).
            b'%' if i + 2 < b.len()
                && b[i + 1].is_ascii_hexdigit()
                && b[i + 2].is_ascii_hexdigit() =>
            {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push((hex(b[i + 1]) << 4) | hex(b[i + 2]));
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters of a URL (after `?`, and after `#` too), decoded.
fn params(url: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some((_, part)) = url.split_once(['?', '#']) {
        for kv in part.split(['&', '#', '?']) {
            if let Some((k, v)) = kv.split_once('=') {
                out.push((k.to_ascii_lowercase(), decode_component(v)));
            }
        }
    }
    out
}

/// Two numbers at the start of `s`, separated by a comma (ASCII or Chinese), semicolon or
/// spaces.
fn two_numbers(s: &str) -> Option<(f64, f64)> {
    let s = s.trim().replace(['，', '、'], ",");
    let mut it = s
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|t| !t.is_empty());
    let a = it.next()?.parse::<f64>().ok()?;
    let b = it.next()?.parse::<f64>().ok()?;
    Some((a, b))
}

fn make(
    lon: f64,
    lat: f64,
    crs: Crs,
    source: &'static str,
    name: Option<String>,
) -> Result<PastedPosition, PositionError> {
    let input = LonLat::new(lon, lat).map_err(|e| {
        PositionError::OutOfRange(format!(
            "{},{} is not a position: {e}",
            crate::error::shown_number(lon),
            crate::error::shown_number(lat)
        ))
    })?;
    Ok(PastedPosition {
        location: crs.to_wgs84(input),
        input_crs: crs.as_str(),
        input,
        source,
        name: name.filter(|n| !n.trim().is_empty()),
    })
}

fn get<'a>(p: &'a [(String, String)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Reads a position from pasted text, or `Ok(None)` when the text is not a position (then it
/// is a name to search).
///
/// - `lon,lat` (or `lat,lon` when the first number cannot be a latitude's partner: a first
///   value within ±90 and a second beyond it is read as `lat,lon`), in `bare_crs` — pass
///   [`Crs::Gcj02`] for numbers copied from Amap, the most common source;
/// - Amap links (`amap.com`, `amapuri:`, `iosamap:`, `androidamap:`): `position`, `to`, `q`,
///   `lnglat` = `lon,lat`; `dlat`/`dlon` or `lat`/`lon`; GCJ-02 unless `coordinate=wgs84` or
///   `dev=1`;
/// - Baidu links (`baidu.com`, `baidumap:`): `location`, `latlng` = `lat,lng`, or
///   `destination=latlng:lat,lng|name:…`; BD-09 unless `coord_type` says `gcj02` or `wgs84`
///   (`bd09mc`, Baidu's Mercator metres, is refused);
/// - Tencent links (`qq.com`, `qqmap:`): `marker=coord:lat,lng;…`, `coord`/`tocoord` =
///   `lat,lng`, or `pointx`/`pointy` = lng/lat; GCJ-02 unless `coord_type=1` (GPS);
/// - `geo:lat,lon` (RFC 5870): WGS-84.
///
/// # Errors
/// [`PositionError`] when the text is clearly a position or a map link but cannot be used.
///
/// Text typed with a Chinese input method in full-width mode (`１１２.９７６３４１,２８.１９５３４６`,
/// `１１２．９７６`, an ideographic space) is read as its ASCII form when it is not a position
/// as typed (newcomer finding: it used to find nothing and say nothing).
pub fn parse_position(text: &str, bare_crs: Crs) -> Result<Option<PastedPosition>, PositionError> {
    let found = parse_position_as_typed(text, bare_crs)?;
    if found.is_some() {
        return Ok(found);
    }
    let folded: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            _ => crate::suggestions::privacy::fold_width(c),
        })
        .collect();
    if folded == text {
        Ok(None)
    } else {
        parse_position_as_typed(&folded, bare_crs)
    }
}

/// [`parse_position`] without the full-width folding.
fn parse_position_as_typed(
    text: &str,
    bare_crs: Crs,
) -> Result<Option<PastedPosition>, PositionError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("geo:") {
        let coords = rest.split([';', '?']).next().unwrap_or("");
        return match two_numbers(coords) {
            Some((lat, lon)) => make(lon, lat, Crs::Wgs84, "geo_uri", None).map(Some),
            None => Err(PositionError::Unsupported(format!(
                "geo URI without lat,lon: {t}"
            ))),
        };
    }
    let is_link = lower.contains("://") || lower.starts_with("www.") || lower.contains(".com/");
    if is_link {
        let p = params(t);
        let name = get(&p, "name")
            .or_else(|| get(&p, "title"))
            .map(str::to_string);
        if lower.contains("amap.com")
            || lower.starts_with("amapuri:")
            || lower.starts_with("iosamap:")
            || lower.starts_with("androidamap:")
        {
            let crs = if get(&p, "coordinate") == Some("wgs84") || get(&p, "dev") == Some("1") {
                Crs::Wgs84
            } else {
                Crs::Gcj02
            };
            for key in ["position", "to", "lnglat", "q"] {
                if let Some((lon, lat)) = get(&p, key).and_then(two_numbers) {
                    let name = name.or_else(|| {
                        get(&p, key)
                            .and_then(|v| v.splitn(3, ',').nth(2))
                            .map(str::to_string)
                    });
                    return make(lon, lat, crs, "amap", name).map(Some);
                }
            }
            for (la, lo) in [("dlat", "dlon"), ("lat", "lon"), ("lat", "lng")] {
                if let (Some(lat), Some(lon)) = (
                    get(&p, la).and_then(|v| v.parse().ok()),
                    get(&p, lo).and_then(|v| v.parse().ok()),
                ) {
                    let name = name.or_else(|| get(&p, "dname").map(str::to_string));
                    return make(lon, lat, crs, "amap", name).map(Some);
                }
            }
            return Err(PositionError::Unsupported(
                "高德链接中没有坐标（需要 position=经度,纬度）/ Amap link without a position (position=lon,lat)".into(),
            ));
        }
        if lower.contains("baidu.com") || lower.starts_with("baidumap:") {
            let crs = match get(&p, "coord_type").unwrap_or("bd09ll") {
                "gcj02" => Crs::Gcj02,
                "wgs84" => Crs::Wgs84,
                "bd09mc" => {
                    return Err(PositionError::Unsupported(
                        "百度墨卡托坐标（bd09mc）不支持，请复制经纬度 / Baidu Mercator (bd09mc) is not supported; copy lat,lng".into(),
                    ))
                }
                _ => Crs::Bd09,
            };
            let dest = get(&p, "destination")
                .and_then(|d| d.split('|').find_map(|part| part.strip_prefix("latlng:")));
            for v in [get(&p, "location"), get(&p, "latlng"), dest]
                .into_iter()
                .flatten()
            {
                if let Some((lat, lon)) = two_numbers(v) {
                    return make(lon, lat, crs, "baidu", name).map(Some);
                }
            }
            return Err(PositionError::Unsupported(
                "百度链接中没有坐标（需要 location=纬度,经度）/ Baidu link without a position (location=lat,lng)".into(),
            ));
        }
        if lower.contains("qq.com") || lower.starts_with("qqmap:") {
            let crs = if get(&p, "coord_type") == Some("1") {
                Crs::Wgs84
            } else {
                Crs::Gcj02
            };
            if let Some(m) = get(&p, "marker") {
                let coord = m.split(';').find_map(|kv| kv.strip_prefix("coord:"));
                let title = m
                    .split(';')
                    .find_map(|kv| kv.strip_prefix("title:"))
                    .map(str::to_string);
                if let Some((lat, lon)) = coord.and_then(two_numbers) {
                    return make(lon, lat, crs, "tencent", title.or(name)).map(Some);
                }
            }
            for key in ["coord", "tocoord"] {
                if let Some((lat, lon)) = get(&p, key).and_then(two_numbers) {
                    return make(lon, lat, crs, "tencent", name).map(Some);
                }
            }
            if let (Some(lon), Some(lat)) = (
                get(&p, "pointx").and_then(|v| v.parse().ok()),
                get(&p, "pointy").and_then(|v| v.parse().ok()),
            ) {
                return make(lon, lat, crs, "tencent", name).map(Some);
            }
            return Err(PositionError::Unsupported(
                "腾讯地图链接中没有坐标 / Tencent link without a position (marker=coord:lat,lng)"
                    .into(),
            ));
        }
        return Ok(None);
    }
    // Bare numbers: the whole text must be two numbers.
    let cleaned = t.replace(['，', '、'], ",");
    let tokens: Vec<&str> = cleaned
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if tokens.len() != 2 || tokens.iter().any(|s| s.parse::<f64>().is_err()) {
        return Ok(None);
    }
    let (a, b) = (
        tokens[0].parse::<f64>().unwrap_or(f64::NAN),
        tokens[1].parse::<f64>().unwrap_or(f64::NAN),
    );
    let (lon, lat) = if a.abs() <= 90.0 && b.abs() > 90.0 {
        (b, a)
    } else {
        (a, b)
    };
    make(lon, lat, bare_crs, "coordinates", None).map(Some)
}

#[cfg(test)]
mod tests {
    /// Regression (found by the `search_position` fuzz target, 200k-run campaign of issue
    /// 15): a `%` followed by a multi-byte character in a share link panicked ("end byte
    /// index 6 is not a char boundary") instead of being read as text.
    #[test]
    fn a_percent_before_a_multibyte_character_is_text_not_a_panic() {
        let link = "https://uri.amap/co?6729.35.\u{230}8.195346&nH.e=\u{4FF9}%\u{573A}";
        for crs in [
            crate::crs::Crs::Wgs84,
            crate::crs::Crs::Gcj02,
            crate::crs::Crs::Bd09,
        ] {
            let _ = super::parse_position(link, crs);
        }
        assert_eq!(super::decode_component("%\u{573A}"), "%\u{573A}");
        assert_eq!(super::decode_component("a%E5%9C%BAb+c"), "a\u{573A}b c");
        assert_eq!(super::decode_component("%zz%4"), "%zz%4");
    }

    use super::*;
    use crate::crs::{gcj02_to_bd09, wgs84_to_gcj02};

    fn place(kind: PlaceKind, name: &str) -> Place {
        Place {
            kind,
            name: name.into(),
            name_en: None,
            location: LonLat::new(112.97, 28.19).unwrap(),
            id: None,
            category: None,
        }
    }

    #[test]
    fn pinyin_initials_find_wuyi_square() {
        let g = Gazetteer::new([
            place(PlaceKind::MetroStation, "五一广场"),
            place(PlaceKind::Poi, "五一大道"),
            place(PlaceKind::Poi, "黄兴广场"),
        ]);
        let r = search_text("wygc", &[&g], 10);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].place.name, "五一广场");
        assert_eq!(r[0].matched_by, "pinyin_initials");
        // Prefix of initials: both 五一… places, the square (shorter? no: same length) sorted.
        let r = search_text("WY", &[&g], 10);
        assert_eq!(r.len(), 2);
        // Full pinyin, any case and spacing.
        let r = search_text("Wu Yi Guang Chang", &[&g], 10);
        assert_eq!(r[0].place.name, "五一广场");
        assert_eq!(r[0].score, 95);
        // Chinese substring.
        let r = search_text("广场", &[&g], 10);
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn polyphonic_characters_match_every_reading() {
        // 长 reads cháng (长沙) or zhǎng; 行 reads xíng or háng (银行).
        let g = Gazetteer::new([
            place(PlaceKind::District, "长沙市"),
            place(PlaceKind::Poi, "中国银行"),
        ]);
        assert_eq!(search_text("css", &[&g], 5)[0].place.name, "长沙市");
        assert_eq!(search_text("zgyh", &[&g], 5)[0].place.name, "中国银行");
    }

    #[test]
    fn exact_name_ranks_before_prefix_and_kinds_break_ties() {
        let g = Gazetteer::new([
            place(PlaceKind::Poi, "五一广场"),
            place(PlaceKind::Poi, "五一广场商厦"),
            place(PlaceKind::MetroStation, "五一广场"),
        ]);
        let r = search_text("五一广场", &[&g], 10);
        let got: Vec<(PlaceKind, &str, u32)> = r
            .iter()
            .map(|m| (m.place.kind, m.place.name.as_str(), m.score))
            .collect();
        assert_eq!(
            got,
            [
                (PlaceKind::MetroStation, "五一广场", 100),
                (PlaceKind::Poi, "五一广场", 100),
                (PlaceKind::Poi, "五一广场商厦", 90)
            ]
        );
    }

    #[test]
    fn embedded_gazetteer_has_metro_districts_and_pois() {
        let g = Gazetteer::embedded();
        let r = search_text("五一广场", &[g], 5);
        assert_eq!(r[0].place.kind, PlaceKind::MetroStation);
        // The 五一广场 interchange (lines 1 and 2) sits under 五一大道 × 黄兴中路, about
        // (112.9708, 28.1988) WGS-84 (the OpenStreetMap station lies 23.5 m from the shipped
        // one, see the QA column of data/metro/changsha_metro_stations.csv): within 100 m.
        let d = crate::geodesy::geodesic_distance_m(
            r[0].place.location,
            LonLat::new(112.9708, 28.1988).unwrap(),
        );
        assert!(d < 100.0, "{d} m");
        let r = search_text("fr", &[g], 20);
        assert!(r
            .iter()
            .any(|m| m.place.name == "芙蓉区" && m.place.id.as_deref() == Some("430102")));
        let r = search_text("430102", &[g], 5);
        assert_eq!(r[0].place.name, "芙蓉区");
        assert_eq!(r[0].matched_by, "id");
        // A named OSM POI from the shipped file.
        let r = search_text("华天大酒店", &[g], 5);
        assert_eq!(r[0].place.kind, PlaceKind::Poi);
        assert_eq!(r[0].place.category.as_deref(), Some("hotel"));
        assert!(g.len() > 2_900, "{}", g.len());
    }

    #[test]
    fn english_names_label_and_match() {
        let g = Gazetteer::embedded();
        // Districts: English name (pinyin + generic part, GB/T 16159), found in English too.
        let r = search_text("Furong District", &[g], 5);
        assert_eq!(r[0].place.name, "芙蓉区");
        assert_eq!(r[0].matched_by, "name_en");
        assert_eq!(r[0].place.label(Lang::En), "Furong District (芙蓉区)");
        assert_eq!(r[0].place.label(Lang::Zh), "芙蓉区");
        let mut r = search_text("长沙县", &[g], 1);
        localise(&mut r, Lang::En);
        assert_eq!(r[0].label, "Changsha County (长沙县)");
        let r = search_text("东安县", &[g], 1);
        assert_eq!(r[0].place.name_en.as_deref(), Some("Dong'an County"));
        let r = search_text("湘西土家族苗族自治州", &[g], 1);
        assert_eq!(
            r[0].place.label(Lang::En),
            "Xiangxi Tujia and Miao Autonomous Prefecture (湘西土家族苗族自治州)"
        );
        // Every district has one (137 rows of the index).
        let districts: Vec<&Place> = g
            .entries
            .iter()
            .map(|(p, _, _)| p)
            .filter(|p| p.kind == PlaceKind::District)
            .collect();
        assert_eq!(districts.len(), 137);
        assert!(districts
            .iter()
            .all(|p| p.name_en.as_deref().is_some_and(|n| n
                .split(' ')
                .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase() || w == "and")))));
        // Metro stations: their pinyin words.
        let mut r = search_text("五一广场", &[g], 1);
        localise(&mut r, Lang::En);
        assert_eq!(r[0].label, "Wuyi Guangchang (五一广场)");
        // A POI with OSM's name:en, one without; a service point has no English name.
        let pois = poi_places(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"osm_id":"1","fclass":"hotel","name":"华天大酒店","name:en":"Huatian Hotel"},"geometry":{"type":"Point","coordinates":[112.99,28.19]}},
            {"type":"Feature","properties":{"osm_id":"2","fclass":"bookshop","name":"金卷书店"},"geometry":{"type":"Point","coordinates":[112.93,28.16]}}]}"#,
        );
        let g2 = Gazetteer::new(
            pois.into_iter()
                .chain([place(PlaceKind::ServicePoint, "芙蓉驿站")]),
        );
        let mut r = search_text("Huatian Hotel", &[&g2], 5);
        localise(&mut r, Lang::En);
        assert_eq!(r[0].label, "Huatian Hotel (华天大酒店)");
        assert_eq!(r[0].matched_by, "name_en");
        for q in ["金卷书店", "芙蓉驿站"] {
            let mut r = search_text(q, &[&g2], 5);
            localise(&mut r, Lang::En);
            assert_eq!(r[0].label, q);
        }
        assert_eq!("en-GB".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("zh-Hans".parse::<Lang>(), Ok(Lang::Zh));
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn limit_is_capped_and_blank_query_is_empty() {
        let g = Gazetteer::embedded();
        assert!(search_text("  ,. ", &[g], 10).is_empty());
        assert!(search_text("c", &[g], 10_000).len() <= MAX_LIMIT);
    }

    // --- positions ------------------------------------------------------------------------

    /// 五一广场 in WGS-84 and the GCJ-02 / BD-09 numbers an app would show for it.
    fn wuyi() -> (LonLat, LonLat, LonLat) {
        let w = LonLat::new(112.97093, 28.19860).unwrap();
        let g = wgs84_to_gcj02(w);
        (w, g, gcj02_to_bd09(g))
    }

    fn close(a: LonLat, b: LonLat) {
        assert!(
            crate::geodesy::geodesic_distance_m(a, b) < 0.5,
            "{a:?} vs {b:?}: {} m",
            crate::geodesy::geodesic_distance_m(a, b)
        );
    }

    #[test]
    fn bare_amap_pair_is_gcj02_and_converted() {
        let (w, g, _) = wuyi();
        let s = format!("{:.6},{:.6}", g.lon, g.lat);
        let p = parse_position(&s, Crs::Gcj02).unwrap().unwrap();
        assert_eq!(p.input_crs, "gcj02");
        close(p.location, w);
        // Swapped (latitude first) with a Chinese comma and spaces.
        let s = format!(" {:.6}， {:.6} ", g.lat, g.lon);
        close(parse_position(&s, Crs::Gcj02).unwrap().unwrap().location, w);
        // The README's example pair: converted from GCJ-02, so it moves by hundreds of metres.
        let p = parse_position("112.976341,28.195346", Crs::Gcj02)
            .unwrap()
            .unwrap();
        let shift = crate::geodesy::geodesic_distance_m(p.location, p.input);
        assert!((100.0..700.0).contains(&shift), "{shift}");
    }

    #[test]
    fn amap_share_links() {
        let (w, g, _) = wuyi();
        for url in [
            format!(
                "https://uri.amap.com/marker?position={:.6},{:.6}&name=%E4%BA%94%E4%B8%80",
                g.lon, g.lat
            ),
            format!(
                "https://uri.amap.com/navigation?to={:.6},{:.6},%E4%BA%94%E4%B8%80&mode=ride",
                g.lon, g.lat
            ),
            format!(
                "amapuri://route/plan/?dlat={:.6}&dlon={:.6}&dname=%E4%BA%94%E4%B8%80&dev=0&t=3",
                g.lat, g.lon
            ),
            format!(
                "复制打开高德 https://surl.amap.com/x?position={:.6}%2C{:.6}&name=五一",
                g.lon, g.lat
            ),
        ] {
            let p = parse_position(&url, Crs::Wgs84)
                .unwrap()
                .unwrap_or_else(|| panic!("{url}"));
            assert_eq!(p.source, "amap");
            assert_eq!(p.name.as_deref(), Some("五一"), "{url}");
            close(p.location, w);
        }
        let p = parse_position(
            &format!(
                "https://uri.amap.com/marker?position={:.6},{:.6}&coordinate=wgs84",
                w.lon, w.lat
            ),
            Crs::Gcj02,
        )
        .unwrap()
        .unwrap();
        close(p.location, w);
        assert!(parse_position("https://uri.amap.com/search?keyword=abc", Crs::Gcj02).is_err());
    }

    #[test]
    fn baidu_links_are_bd09_latitude_first() {
        let (w, g, b) = wuyi();
        let url = format!("https://api.map.baidu.com/marker?location={:.6},{:.6}&title=%E4%BA%94%E4%B8%80&output=html&src=webapp.a.b", b.lat, b.lon);
        let p = parse_position(&url, Crs::Gcj02).unwrap().unwrap();
        assert_eq!((p.source, p.input_crs), ("baidu", "bd09"));
        assert_eq!(p.name.as_deref(), Some("五一"));
        close(p.location, w);
        let url = format!("baidumap://map/direction?destination=latlng:{:.6},{:.6}|name:x&coord_type=gcj02&mode=riding", g.lat, g.lon);
        close(
            parse_position(&url, Crs::Wgs84).unwrap().unwrap().location,
            w,
        );
        assert!(parse_position(
            "https://map.baidu.com/?location=3258245,12575898&coord_type=bd09mc",
            Crs::Wgs84
        )
        .is_err());
    }

    #[test]
    fn tencent_links_are_gcj02_latitude_first() {
        let (w, g, _) = wuyi();
        for url in [
            format!("https://apis.map.qq.com/uri/v1/marker?marker=coord:{:.6},{:.6};title:%E4%BA%94%E4%B8%80;addr:x&referer=app", g.lat, g.lon),
            format!("https://map.qq.com/?type=marker&isopeninfowin=1&markertype=1&pointx={:.6}&pointy={:.6}&name=%E4%BA%94%E4%B8%80", g.lon, g.lat),
        ] {
            let p = parse_position(&url, Crs::Wgs84).unwrap().unwrap();
            assert_eq!((p.source, p.input_crs), ("tencent", "gcj02"));
            assert_eq!(p.name.as_deref(), Some("五一"));
            close(p.location, w);
        }
    }

    #[test]
    fn geo_uri_is_wgs84() {
        let p = parse_position("geo:28.1986,112.97093;u=35", Crs::Gcj02)
            .unwrap()
            .unwrap();
        assert_eq!(p.location, LonLat::new(112.97093, 28.1986).unwrap());
    }

    /// Regression (newcomer): full-width digits found nothing; 1e308 was echoed in full.
    #[test]
    fn full_width_digits_and_huge_numbers() {
        let ascii = parse_position("112.976341,28.195346", Crs::Gcj02)
            .unwrap()
            .unwrap();
        for typed in [
            "１１２.９７６３４１,２８.１９５３４６",
            "１１２．９７６３４１，２８．１９５３４６",
            "１１２．９７６３４１\u{3000}２８．１９５３４６",
        ] {
            let p = parse_position(typed, Crs::Gcj02).unwrap().unwrap();
            assert_eq!(p.location, ascii.location, "{typed}");
        }
        let Err(PositionError::OutOfRange(msg)) = parse_position("1e308,1e308", Crs::Gcj02) else {
            panic!("1e308 accepted")
        };
        assert!(msg.contains("1e308") && msg.len() < 120, "{msg}");
    }

    #[test]
    fn names_and_bad_numbers() {
        assert_eq!(parse_position("五一广场", Crs::Gcj02), Ok(None));
        assert_eq!(parse_position("1号线", Crs::Gcj02), Ok(None));
        assert_eq!(
            parse_position("https://example.com/x?y=1", Crs::Gcj02),
            Ok(None)
        );
        assert!(matches!(
            parse_position("200,100", Crs::Gcj02),
            Err(PositionError::OutOfRange(_))
        ));
    }
}
