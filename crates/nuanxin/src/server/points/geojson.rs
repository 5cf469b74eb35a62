//! GeoJSON rendering of service points: [`PointFeature`] (one Feature, serialised without an
//! intermediate JSON tree; also used by the OGC API), the FeatureCollection shapes of the
//! point queries and their OpenAPI documentation schemas.

use super::links::{nav_dest_cached, Link, PositionHasher, DEFAULT_NAV_MODE};
use super::query::QueryPosition;
use crate::crs::Crs;
use crate::index::Hit;
use crate::model::{LonLat, ServicePoint};
use crate::nav::{NavDest, NavLink, NavOrigin, NavTarget};
use crate::server::error::AppError;
use crate::travel::{Speeds, TravelMode};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, OnceLock, RwLock};

/// Media type of GeoJSON (RFC 7946 §12).
pub const GEOJSON: &str = "application/geo+json";

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
/// coordinates), nav_amap, nav_baidu` (Amap / Baidu web navigation links, see `crate::nav`; unknown values are `null`), plus `open_now`,
/// `gcj02`/`bd09` and `distance_m` (metres, WGS-84 geodesic), `minutes`, `mode` when asked;
/// with a query position the links start there and `nav_apps` adds the app schemes
/// (`amap_android`, `amap_ios`, `baidu_android`, `baidu_ios`).
#[derive(Debug, Clone, Copy)]
pub struct PointFeature<'a> {
    /// The point.
    pub point: &'a ServicePoint,
    /// Rendering options.
    pub options: FeatureOptions,
    /// Distance from the query position, metres, and the minutes it takes in the mode.
    pub distance: Option<(f64, TravelMode, f64)>,
    /// The rider's half of the navigation links (nearest, within: the query position): links
    /// then start there, in the mode of `distance`, and the app schemes are added as
    /// `nav_apps`. Build it once per response ([`NavOrigin::new`]).
    pub origin: Option<&'a NavOrigin>,
}

impl<'a> PointFeature<'a> {
    /// A plain feature of `point`.
    pub fn new(point: &'a ServicePoint) -> Self {
        Self {
            point,
            options: FeatureOptions::default(),
            distance: None,
            origin: None,
        }
    }
}

struct Properties<'a>(&'a PointFeature<'a>);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        write_properties(self.0, &mut MapSink(&mut m))?;
        m.end()
    }
}

/// Where [`write_properties`] puts a feature's properties: a serde map, for any serializer
/// ([`MapSink`]), or JSON bytes with the navigation links copied unescaped ([`JsonSink`], the
/// distance answers, whose links are most of their bytes).
trait Sink {
    type Error;
    /// One member.
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error>;
    /// A navigation link (`nav_amap`, `nav_baidu`).
    fn link(&mut self, key: &'static str, link: NavLink<'_>) -> Result<(), Self::Error>;
    /// `nav_apps`: the four app schemes ([`APP_LINKS`]) of `link`'s halves.
    fn apps(&mut self, link: NavLink<'_>) -> Result<(), Self::Error>;
}

/// The members of `nav_apps`, in order, and the link each holds.
const APP_LINKS: [(&str, NavTarget); 4] = [
    ("amap_android", NavTarget::AmapAndroid),
    ("amap_ios", NavTarget::AmapIos),
    ("baidu_android", NavTarget::BaiduAndroid),
    ("baidu_ios", NavTarget::BaiduIos),
];

/// The properties of `f`, in their documented order, into `k`.
fn write_properties<K: Sink>(f: &PointFeature<'_>, k: &mut K) -> Result<(), K::Error> {
    let p = f.point;
    let dest = nav_dest_cached(p.location, &p.name);
    write_fixed_head(p, k)?;
    write_open_now(p, f.options.open_at, k)?;
    write_fixed_middle(p, k)?;
    write_varying_tail(f, &dest, k)
}

/// The first properties, which depend on the point alone: `id` … `opening_hours`.
fn write_fixed_head<K: Sink>(p: &ServicePoint, k: &mut K) -> Result<(), K::Error> {
    k.entry("id", &p.id)?;
    k.entry("kind", p.kind.as_str())?;
    k.entry("kind_label_zh", p.kind.label_zh())?;
    k.entry("kind_label_en", p.kind.label_en())?;
    k.entry("name", &p.name)?;
    k.entry("address", &p.address)?;
    k.entry("adcode", &p.adcode)?;
    k.entry("opening_hours", &p.opening_hours)
}

/// `open_now` at `open_at`, when asked.
fn write_open_now<K: Sink>(
    p: &ServicePoint,
    open_at: Option<NaiveDateTime>,
    k: &mut K,
) -> Result<(), K::Error> {
    match open_at {
        Some(at) => k.entry(
            "open_now",
            &p.opening_hours.as_ref().map(|h| h.is_open_at(at)),
        ),
        None => Ok(()),
    }
}

/// The properties after `open_now` that depend on the point alone: `amenities` … `outline`.
fn write_fixed_middle<K: Sink>(p: &ServicePoint, k: &mut K) -> Result<(), K::Error> {
    k.entry("amenities", &p.amenities)?;
    k.entry("access", &p.access)?;
    k.entry("operator", &p.operator)?;
    k.entry("phone", &p.phone)?;
    k.entry("source", &p.source)?;
    k.entry("updated_at", &p.updated_at)?;
    k.entry("demo", &p.demo)?;
    k.entry("entrance", &p.entrance)?;
    k.entry("outline", &p.outline)
}

/// The last properties, which depend on the request: the navigation links (from the query
/// position, when known), the position in `out_crs`, the distance and minutes.
fn write_varying_tail<K: Sink>(
    f: &PointFeature<'_>,
    dest: &NavDest,
    k: &mut K,
) -> Result<(), K::Error> {
    let from = f.origin.zip(f.distance.map(|(_, mode, _)| mode));
    let link = |target| NavLink {
        dest,
        origin: from.map(|(origin, _)| origin),
        mode: from.map_or(DEFAULT_NAV_MODE, |(_, mode)| mode),
        target,
    };
    k.link("nav_amap", link(NavTarget::Amap))?;
    k.link("nav_baidu", link(NavTarget::Baidu))?;
    if from.is_some() {
        k.apps(link(NavTarget::Amap))?;
    }
    match f.options.out_crs {
        Crs::Wgs84 => {}
        Crs::Gcj02 => k.entry("gcj02", &[dest.gcj02.lon, dest.gcj02.lat])?,
        Crs::Bd09 => k.entry("bd09", &[dest.bd09.lon, dest.bd09.lat])?,
    }
    if let Some((d, mode, minutes)) = f.distance {
        k.entry("distance_m", &round_to(d, 1))?;
        k.entry("minutes", &round_to(minutes, 2))?;
        k.entry("mode", mode.as_str())?;
    }
    Ok(())
}

/// The bytes of a point's feature that depend on the point alone, written once and kept by
/// [`rendered`]: `{"type":"Feature",…,"properties":{` up to `opening_hours` (`head`), the
/// members from `amenities` to `outline` with their leading comma (`middle`), and the
/// destination half of its navigation links.
pub(crate) struct Rendered {
    /// The point it was written from: holding it keeps the point's allocation (not its
    /// value) from being reused while this is a cache entry, so its address identifies it.
    point: std::sync::Weak<ServicePoint>,
    head: Box<[u8]>,
    middle: Box<[u8]>,
    dest: NavDest,
}

impl Rendered {
    fn new(point: &Arc<ServicePoint>) -> Result<Self, serde_json::Error> {
        let p = &**point;
        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        serde_json::to_writer(&mut head, &p.id)?;
        head.extend_from_slice(b",\"geometry\":");
        serde_json::to_writer(&mut head, &PointGeometry(p.location))?;
        head.extend_from_slice(b",\"properties\":{");
        write_fixed_head(
            p,
            &mut JsonSink {
                buf: &mut head,
                first: true,
            },
        )?;
        let mut middle = Vec::with_capacity(256);
        write_fixed_middle(
            p,
            &mut JsonSink {
                buf: &mut middle,
                first: false,
            },
        )?;
        Ok(Self {
            point: Arc::downgrade(point),
            head: head.into(),
            middle: middle.into(),
            dest: NavDest::new(p.location, &p.name),
        })
    }
}

/// Largest number of points [`rendered`] keeps (about 1 KB each).
pub const RENDERED_CACHE_MAX: usize = 50_000;

/// The [`Rendered`] bytes of `point`, through a process-wide cache keyed by the point's
/// address: a distance answer copies them instead of serialising a dozen members and
/// converting the destination's coordinates per hit. Points are immutable behind their
/// `Arc` (an edit publishes a new one), and the entry's `Weak` keeps the address from being
/// given to another point, so an entry found for a live point is that point's. Emptied when
/// it exceeds [`RENDERED_CACHE_MAX`] entries.
///
/// # Errors
/// Those of `serde_json` (none for the types a point holds).
pub(crate) fn rendered(point: &Arc<ServicePoint>) -> Result<Arc<Rendered>, serde_json::Error> {
    type Cache = RwLock<HashMap<usize, Arc<Rendered>, BuildHasherDefault<PositionHasher>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = Arc::as_ptr(point) as usize;
    if let Ok(map) = cache.read() {
        if let Some(r) = map.get(&key) {
            if std::ptr::eq(r.point.as_ptr(), Arc::as_ptr(point)) {
                return Ok(r.clone());
            }
        }
    }
    let r = Arc::new(Rendered::new(point)?);
    if let Ok(mut map) = cache.write() {
        if map.len() >= RENDERED_CACHE_MAX {
            map.clear();
        }
        map.insert(key, r.clone());
    }
    Ok(r)
}

/// [`Sink`] over a serde map.
struct MapSink<'m, M>(&'m mut M);

impl<M: SerializeMap> Sink for MapSink<'_, M> {
    type Error = M::Error;
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }
    fn link(&mut self, key: &'static str, link: NavLink<'_>) -> Result<(), M::Error> {
        self.0.serialize_entry(key, &link)
    }
    fn apps(&mut self, link: NavLink<'_>) -> Result<(), M::Error> {
        self.0.serialize_entry("nav_apps", &NavApps(link))
    }
}

/// `nav_apps` for a serde map: the app schemes of the halves of `0` (its target ignored).
struct NavApps<'a>(NavLink<'a>);

impl Serialize for NavApps<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(APP_LINKS.len()))?;
        for (key, target) in APP_LINKS {
            m.serialize_entry(key, &NavLink { target, ..self.0 })?;
        }
        m.end()
    }
}

/// [`Sink`] appending the members of a JSON object (compact, as `serde_json` writes them) to
/// a buffer; the caller writes the braces. Values go through `serde_json`; keys (fixed
/// identifiers) and navigation links (nothing to escape, see [`NavLink::write_to`]) are
/// copied as they are.
struct JsonSink<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
}

impl JsonSink<'_> {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn quoted_link(&mut self, link: NavLink<'_>) {
        self.buf.push(b'"');
        // Writing into a Vec cannot fail.
        let _ = link.write_to(&mut VecWriter(self.buf));
        self.buf.push(b'"');
    }
}

impl Sink for JsonSink<'_> {
    type Error = serde_json::Error;
    fn entry<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.key(key);
        serde_json::to_writer(&mut *self.buf, value)
    }
    fn link(&mut self, key: &'static str, link: NavLink<'_>) -> Result<(), serde_json::Error> {
        self.key(key);
        self.quoted_link(link);
        Ok(())
    }
    fn apps(&mut self, link: NavLink<'_>) -> Result<(), serde_json::Error> {
        self.key("nav_apps");
        self.buf.push(b'{');
        let mut apps = JsonSink {
            buf: self.buf,
            first: true,
        };
        for (key, target) in APP_LINKS {
            apps.key(key);
            apps.quoted_link(NavLink { target, ..link });
        }
        self.buf.push(b'}');
        Ok(())
    }
}

/// `fmt::Write` into a byte buffer.
struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends the GeoJSON Feature `f` to `buf`: the bytes `serde_json::to_writer(buf, f)`
/// writes, with the point's fixed bytes `r` (its [`rendered`] entry) copied and the
/// navigation links copied rather than scanned for characters to escape.
///
/// # Errors
/// Those of `serde_json` (none for the types a feature holds).
fn write_rendered_feature(
    buf: &mut Vec<u8>,
    r: &Rendered,
    f: &PointFeature<'_>,
) -> Result<(), serde_json::Error> {
    buf.extend_from_slice(&r.head);
    let mut k = JsonSink { buf, first: false };
    write_open_now(f.point, f.options.open_at, &mut k)?;
    k.buf.extend_from_slice(&r.middle);
    write_varying_tail(f, &r.dest, &mut k)?;
    buf.extend_from_slice(b"}}");
    Ok(())
}

pub(crate) fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

struct PointGeometry(LonLat);

impl Serialize for PointGeometry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "Point")?;
        // RFC 7946 §11.2: 7 decimals (≈ 1 cm), see nuanxin_core::geojson_out.
        use crate::geojson_out::{round, DEFAULT_DECIMALS};
        m.serialize_entry(
            "coordinates",
            &[
                round(self.0.lon, DEFAULT_DECIMALS),
                round(self.0.lat, DEFAULT_DECIMALS),
            ],
        )?;
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
pub(crate) struct SeqOf<I>(std::cell::Cell<Option<I>>);

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

pub(crate) fn seq_of<I: Iterator>(it: I) -> SeqOf<I> {
    SeqOf(std::cell::Cell::new(Some(it)))
}

pub(crate) fn geojson_response(body: Vec<u8>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        body,
    )
        .into_response()
}

pub(crate) fn to_json_bytes<T: Serialize>(v: &T) -> Result<Vec<u8>, AppError> {
    to_json_bytes_sized(v, 1024)
}

/// Serialises into a buffer of `capacity` bytes to start with (a feature of a service point
/// is about 1 KB), sparing the reallocations of a growing buffer.
pub(crate) fn to_json_bytes_sized<T: Serialize>(
    v: &T,
    capacity: usize,
) -> Result<Vec<u8>, AppError> {
    let mut buf = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut buf, v)
        .map_err(|e| AppError::Internal(format!("serialising response: {e}")))?;
    Ok(buf)
}

/// Bytes to reserve for a distance answer (nearest, within) of `features` features: a
/// feature with links from the rider's position is about 2.1 KB (six links of 200–300
/// bytes), so one buffer of this size is never grown and copied.
pub(crate) fn distance_response_bytes(features: usize) -> usize {
    1024 + 2304 * features
}

pub(crate) struct HitFeatures<'a> {
    pub(crate) hits: &'a [Hit],
    pub(crate) options: FeatureOptions,
    pub(crate) mode: TravelMode,
    pub(crate) speeds: Speeds,
    /// The query position (WGS-84): where navigation starts.
    pub(crate) origin: LonLat,
}

impl HitFeatures<'_> {
    /// The feature of hit `h`, with links from `origin` (this answer's query position).
    fn feature<'h>(&'h self, h: &'h Hit, origin: &'h NavOrigin) -> PointFeature<'h> {
        PointFeature {
            point: &h.point,
            options: self.options,
            distance: Some((
                h.distance_m,
                self.mode,
                self.speeds.minutes(self.mode, h.distance_m),
            )),
            origin: Some(origin),
        }
    }
}

/// The query echoed in distance responses.
#[derive(Serialize)]
pub(crate) struct EchoQuery<'a> {
    #[serde(flatten)]
    pub(crate) position: QueryPosition,
    pub(crate) mode: &'static str,
    /// Which model made the figures: `straight_line` or `network` (along roads).
    pub(crate) model: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) k: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) radius_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) open_at: Option<&'a NaiveDateTime>,
}

/// The answer of a distance query (nearest, within): a FeatureCollection with
/// `numberMatched` (when paged), `numberReturned`, the echoed `query` and paging `links`
/// (when any), written by [`DistanceCollection::to_bytes`].
pub(crate) struct DistanceCollection<'a> {
    pub(crate) type_: &'static str,
    pub(crate) features: HitFeatures<'a>,
    pub(crate) number_matched: Option<usize>,
    pub(crate) number_returned: usize,
    pub(crate) query: EchoQuery<'a>,
    pub(crate) links: Vec<Link>,
}

impl DistanceCollection<'_> {
    /// The compact JSON of the answer, into one buffer sized for it
    /// ([`distance_response_bytes`]); features by [`write_feature`], the rider's half of the
    /// navigation links built once for all of them.
    ///
    /// # Errors
    /// [`AppError::Internal`] if `serde_json` fails (it does not for these types).
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, AppError> {
        self.write()
            .map_err(|e| AppError::Internal(format!("serialising response: {e}")))
    }

    fn write(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut buf = Vec::with_capacity(distance_response_bytes(self.number_returned));
        buf.extend_from_slice(b"{\"type\":");
        serde_json::to_writer(&mut buf, self.type_)?;
        buf.extend_from_slice(b",\"features\":[");
        let origin = NavOrigin::new(self.features.origin);
        for (i, h) in self.features.hits.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            let r = rendered(&h.point)?;
            write_rendered_feature(&mut buf, &r, &self.features.feature(h, &origin))?;
        }
        buf.push(b']');
        if let Some(n) = self.number_matched {
            buf.extend_from_slice(b",\"numberMatched\":");
            serde_json::to_writer(&mut buf, &n)?;
        }
        buf.extend_from_slice(b",\"numberReturned\":");
        serde_json::to_writer(&mut buf, &self.number_returned)?;
        buf.extend_from_slice(b",\"query\":");
        serde_json::to_writer(&mut buf, &self.query)?;
        if !self.links.is_empty() {
            buf.extend_from_slice(b",\"links\":");
            serde_json::to_writer(&mut buf, &self.links)?;
        }
        buf.push(b'}');
        Ok(buf)
    }
}

#[derive(Serialize)]
pub(crate) struct PageCollection<'a, F: Serialize> {
    #[serde(rename = "type")]
    pub(crate) type_: &'static str,
    pub(crate) features: F,
    #[serde(rename = "numberMatched")]
    pub(crate) number_matched: usize,
    #[serde(rename = "numberReturned")]
    pub(crate) number_returned: usize,
    pub(crate) links: &'a [Link],
}

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
    /// The point's properties.
    properties: PointPropertiesDoc,
}

/// The properties of a service point's GeoJSON Feature (documentation schema of what
/// [`PointFeature`] writes, and `by=time` adds). None is required: OGC API `properties=`
/// selects some of them. The test `doc_lists_every_property` keeps the two in step.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PointPropertiesDoc {
    /// The point id.
    id: Option<String>,
    /// The kind of service point.
    kind: Option<crate::model::ServiceKind>,
    /// The kind's Chinese label, e.g. `驿站`.
    kind_label_zh: Option<String>,
    /// The kind's English label, e.g. `Rest station`.
    kind_label_en: Option<String>,
    /// The point's name.
    name: Option<String>,
    /// Street address.
    address: Option<String>,
    /// County-level adcode (6 digits).
    adcode: Option<String>,
    /// Opening hours in the OSM `opening_hours` syntax, e.g. `Mo-Su 00:00-24:00`.
    opening_hours: Option<String>,
    /// Open at the query's time (UTC+8; `open_now` or `open_at` asked); null when the hours are unknown.
    open_now: Option<bool>,
    /// What the point offers.
    amenities: Option<Vec<crate::model::Amenity>>,
    /// How a rider gets in.
    access: Option<crate::model::AccessMethod>,
    /// Who runs it.
    operator: Option<String>,
    /// Telephone number.
    phone: Option<String>,
    /// Where the record came from (file or feed).
    source: Option<String>,
    /// Last update, RFC 3339.
    updated_at: Option<String>,
    /// Synthetic demonstration data (shown with 演示数据).
    demo: Option<bool>,
    /// The entrance riders use, `[lon, lat]` WGS-84 degrees.
    entrance: Option<Vec<f64>>,
    /// The compound's outline: rings of `[lon, lat]` WGS-84 degrees.
    outline: Option<Vec<Vec<Vec<f64>>>>,
    /// Amap (高德) web navigation link to the point.
    nav_amap: Option<String>,
    /// Baidu Maps web navigation link to the point.
    nav_baidu: Option<String>,
    /// The apps' own schemes (`amap_android`, `amap_ios`, `baidu_android`, `baidu_ios`), with a query position.
    #[schema(value_type = Option<Object>)]
    nav_apps: Option<serde_json::Value>,
    /// The position in GCJ-02, `[lon, lat]` degrees (`out_crs=gcj02`).
    gcj02: Option<Vec<f64>>,
    /// The position in BD-09, `[lon, lat]` degrees (`out_crs=bd09`).
    bd09: Option<Vec<f64>>,
    /// Distance from the query position, metres (WGS-84 geodesic; distance queries).
    distance_m: Option<f64>,
    /// Minutes to get there in `mode` (distance queries; along roads with `by=time`).
    minutes: Option<f64>,
    /// The travel mode of `minutes`.
    mode: Option<TravelMode>,
    /// `by=time`: travel time along roads, seconds.
    travel_time_s: Option<f64>,
    /// `by=time`: false when the point was ranked by straight line (more than 200 m from a road).
    network: Option<bool>,
    /// `by=time`: `network` or `straight_line`.
    model: Option<String>,
    /// `by=time`: distance along roads, metres.
    network_distance_m: Option<f64>,
    /// `by=time`: distance from the query position to the road network, metres.
    snap_distance_m: Option<f64>,
    /// `by=time&route=true`: the route as a GeoJSON LineString.
    #[schema(value_type = Option<Object>)]
    route: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccessMethod, Amenity, ServiceKind};
    use std::collections::BTreeSet;
    use utoipa::PartialSchema;

    /// The distance answers' writer ([`write_rendered_feature`]) and the serde path
    /// (listings, OGC, one point) write the same bytes for every combination of options.
    #[test]
    fn feature_writer_equals_serde_output() {
        let mut p = ServicePoint::new(
            "q\"1",
            ServiceKind::RiderFriendlyCommunity,
            "\"小区\" \\ A&B | 100% + 𠮷",
            LonLat::new(112.9709, 28.1986).unwrap(),
        );
        p.address = Some("路\t1 号".into());
        p.opening_hours = crate::model::OpeningHours::parse("Mo-Fr 08:00-20:00").ok();
        p.amenities = [Amenity::Parking, Amenity::Wifi].into_iter().collect();
        let plain = ServicePoint::new(
            "hk",
            ServiceKind::Station,
            "香港",
            LonLat::new(114.17, 22.3).unwrap(),
        );
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let origin = NavOrigin::new(LonLat::new(112.97, 28.198).unwrap());
        let mut n = 0;
        let (p, plain) = (Arc::new(p), Arc::new(plain));
        for point in [&p, &plain] {
            let r = rendered(point).unwrap();
            let point = &**point;
            for out_crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
                for open_at in [None, Some(at)] {
                    for distance in [None, Some((1234.56, TravelMode::Ebike, 4.9383))] {
                        for origin in [None, Some(&origin)] {
                            let f = PointFeature {
                                point,
                                options: FeatureOptions { out_crs, open_at },
                                distance,
                                origin,
                            };
                            let mut fast = Vec::new();
                            write_rendered_feature(&mut fast, &r, &f).unwrap();
                            let serde = serde_json::to_vec(&f).unwrap();
                            assert_eq!(
                                String::from_utf8(fast).unwrap(),
                                String::from_utf8(serde).unwrap()
                            );
                            n += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(n, 2 * 3 * 2 * 2 * 2);
    }

    /// An edited point (a new `Arc`) gets its own bytes, and points made after others were
    /// dropped (their addresses free again) never get a dropped point's bytes.
    #[test]
    fn rendered_bytes_follow_the_point_not_its_address() {
        let first = Arc::new(ServicePoint::new(
            "r1",
            ServiceKind::Station,
            "旧名",
            LonLat::new(112.9, 28.1).unwrap(),
        ));
        let before = rendered(&first).unwrap();
        let mut edited = (*first).clone();
        edited.name = "新名".into();
        edited.address = Some("新地址".into());
        let edited = Arc::new(edited);
        let after = rendered(&edited).unwrap();
        assert!(String::from_utf8_lossy(&before.head).contains("旧名"));
        assert!(String::from_utf8_lossy(&after.head).contains("新名"));
        assert!(String::from_utf8_lossy(&after.head).contains("新地址"));
        assert_eq!(*rendered(&first).unwrap().head, *before.head);
        drop((first, before, after));
        for i in 0..200 {
            let p = Arc::new(ServicePoint::new(
                format!("r{i}"),
                ServiceKind::Station,
                format!("点{i}"),
                LonLat::new(112.9, 28.1).unwrap(),
            ));
            let head = String::from_utf8_lossy(&rendered(&p).unwrap().head).into_owned();
            assert!(head.contains(&format!("\"点{i}\"")), "{head}");
        }
    }

    #[test]
    fn doc_lists_every_property() {
        let mut p = ServicePoint::new(
            "cs-1",
            ServiceKind::Station,
            "五一广场驿站",
            LonLat::new(112.9709, 28.1986).unwrap(),
        );
        p.address = Some("五一大道 1 号".into());
        p.opening_hours = crate::model::OpeningHours::parse("Mo-Su 00:00-24:00").ok();
        p.amenities = [Amenity::DrinkingWater].into_iter().collect();
        p.access = Some(AccessMethod::Open);
        p.entrance = Some(LonLat::new(112.971, 28.199).unwrap());
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let mut written = BTreeSet::new();
        for out_crs in [Crs::Gcj02, Crs::Bd09] {
            let f = PointFeature {
                point: &p,
                options: FeatureOptions {
                    out_crs,
                    open_at: Some(at),
                },
                distance: Some((120.0, TravelMode::Walk, 1.44)),
                origin: Some(&NavOrigin::new(LonLat::new(112.97, 28.198).unwrap())),
            };
            let v = serde_json::to_value(f).unwrap();
            written.extend(v["properties"].as_object().unwrap().keys().cloned());
        }
        // What `by=time` adds (points::with_travel_times).
        for k in [
            "travel_time_s",
            "network",
            "model",
            "network_distance_m",
            "snap_distance_m",
            "route",
        ] {
            written.insert(k.to_string());
        }
        let schema = serde_json::to_value(PointPropertiesDoc::schema()).unwrap();
        let documented: BTreeSet<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(documented, written);
        assert!(
            schema.get("required").is_none(),
            "OGC `properties=` may drop any"
        );
    }
}
