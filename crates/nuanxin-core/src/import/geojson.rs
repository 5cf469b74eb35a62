//! GeoJSON importer (RFC 7946 FeatureCollection of Point features).
//!
//! - A feature with `geometry: null` or `properties: null` is skipped with a reason
//!   ([`Severity::Skipped`](super::Severity)); it is never placed at (0, 0) and never aborts
//!   the rest.
//! - Positions may have a third value (elevation, RFC 7946 §3.1.1); it is accepted and not kept.
//! - The feature `id` (RFC 7946 §3.2) may be a string or a number; a number keeps its decimal
//!   text (`17` → `"17"`). Without a feature `id`, a property `id` is used.
//! - Property names are matched like CSV headers ([`super::fields`]), so `名称` works as
//!   well as `name`. `amenities` may be an array or a list string. A rider-friendly community
//!   may carry `entrance` (`[lon, lat]`) and `outline` (Polygon coordinates), both in the
//!   declared CRS.
//! - A `MultiPoint` feature gives one service point per position; with a feature id `17`
//!   (or property `id`) and more than one position, the points get ids `17-1`, `17-2`, …
//!   (1-based, in position order). An empty MultiPoint is an error.
//! - A top-level `crs` member (GeoJSON 2008; RFC 7946 §4 removed it) is honoured or refused,
//!   never ignored: `OGC:CRS84`, `EPSG:4326` (GeoJSON positions are always longitude first)
//!   and `EPSG:4490` (CGCS2000, the Chinese national datum, which agrees with WGS-84 to a few
//!   centimetres; read as WGS-84 with a note) are read as degrees; `EPSG:3857` (Web Mercator,
//!   also written `EPSG:900913` or `EPSG:102100`) positions are converted from metres by the
//!   spherical inverse (EPSG method 1024: lon = x / R, lat = 2·atan(e^(y / R)) − π/2,
//!   R = 6 378 137 m) and then read in the datum given by the import options (WGS-84, or
//!   GCJ-02 for Amap tiles); any other CRS is refused with its name. A `crs` member after
//!   `features` must name a degree CRS (the features were already read as degrees).
//!
//! Why this file is long: the streaming GeoJSON reader with its CRS handling and per-feature
//! checks; the unit tests are the last ~100 lines.

use super::fields::Field;
use super::limits::{json_depth_exceeds, MAX_JSON_DEPTH};
use super::record::{Builder, RawRecord};
use super::{Format, ImportError, ImportOptions, ImportReport, Issue, Location};
use serde_json::Value;

/// Imports a GeoJSON text.
///
/// # Errors
/// [`ImportError::Format`] when the text is not JSON or not a FeatureCollection (a single
/// Feature is accepted too); [`ImportError::Rejected`] for invalid features.
pub fn import_geojson_str(
    text: &str,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    if json_depth_exceeds(text.as_bytes(), MAX_JSON_DEPTH) {
        return Err(ImportError::too_large(
            Location::File,
            format!(
                "arrays and objects nested more than {MAX_JSON_DEPTH} deep, the limit; \
                 a FeatureCollection of Points needs 5"
            ),
        ));
    }
    import_geojson_stream(
        &mut serde_json::Deserializer::from_str(text),
        options,
        &std::cell::Cell::new(false),
        None,
    )
}

/// Imports a GeoJSON file feature by feature: the file is read through a small buffer and
/// each feature is checked and dropped before the next is parsed, so memory holds the
/// accepted points, never the file or its JSON tree (1M features: one pass, about the memory
/// of the points themselves).
///
/// # Errors
/// As [`import_geojson_str`]; also [`ImportError::Io`] when the file cannot be read.
pub fn import_geojson_file(
    path: &std::path::Path,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    import_geojson_file_to(path, options, None)
}

/// [`import_geojson_file`] handing each accepted point to `sink` (when given) instead of
/// keeping it: see [`super::import_file_to`].
///
/// # Errors
/// As [`import_geojson_file`], or the sink's error.
pub fn import_geojson_file_to(
    path: &std::path::Path,
    options: &ImportOptions,
    sink: Option<&mut super::PointSink<'_>>,
) -> Result<ImportReport, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let too_deep = std::rc::Rc::new(std::cell::Cell::new(false));
    // A UTF-8 byte-order mark is skipped by the guard (`at_start`).
    let reader = DepthGuard {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        depth: 0,
        in_string: false,
        escaped: false,
        at_start: true,
        too_deep: too_deep.clone(),
    };
    import_geojson_stream(
        &mut serde_json::Deserializer::from_reader(reader),
        options,
        &too_deep,
        sink,
    )
}

/// A reader that tracks the nesting of JSON arrays and objects as the bytes pass (strings
/// skipped) and fails once it exceeds [`MAX_JSON_DEPTH`], the streaming counterpart of
/// [`json_depth_exceeds`]; it also drops a leading UTF-8 byte-order mark.
struct DepthGuard<R> {
    inner: R,
    depth: usize,
    in_string: bool,
    escaped: bool,
    at_start: bool,
    too_deep: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: std::io::BufRead> std::io::Read for DepthGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at_start {
            self.at_start = false;
            if self.inner.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
                self.inner.consume(3);
            }
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > MAX_JSON_DEPTH {
                        self.too_deep.set(true);
                        return Err(std::io::Error::other("nested too deep"));
                    }
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(n)
    }
}

/// What the top level of a GeoJSON document turned out to be.
#[derive(Default)]
struct Root {
    type_: Option<Value>,
    saw_features: bool,
    /// Members other than `features` (a single Feature is rebuilt from them).
    others: serde_json::Map<String, Value>,
}

/// Reads the top-level object, handing each element of `features` to the builder as soon
/// as it is parsed.
struct RootSeed<'a, 'b> {
    builder: &'a mut Builder<'b>,
    /// A limit error raised inside the stream (returned instead of the parser's error).
    stop: &'a mut Option<ImportError>,
}

/// How positions of the file are read, from its `crs` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum FileCrs {
    /// Degrees, longitude first (no `crs`, CRS84, EPSG:4326, EPSG:4490).
    #[default]
    Degrees,
    /// Web Mercator metres (EPSG:3857).
    WebMercator,
}

/// Reads a GeoJSON 2008 `crs` member: the CRS and, for EPSG:4490, a note.
///
/// # Errors
/// [`ImportError::Format`] naming an unsupported or unreadable CRS.
fn file_crs(v: &Value) -> Result<(FileCrs, Option<String>), ImportError> {
    if v.is_null() {
        return Ok((FileCrs::Degrees, None));
    }
    let name = match (
        v.get("type").and_then(Value::as_str),
        v.pointer("/properties/name").and_then(Value::as_str),
    ) {
        (Some("name"), Some(n)) => n.trim(),
        _ => {
            return Err(ImportError::format(
                Location::File,
                format!(
                    "the `crs` member {v} is not a named CRS ({{\"type\": \"name\", \"properties\": {{\"name\": \"EPSG:4326\"}}}}); \
                     linked CRSs are not supported; remove `crs` if the positions are WGS-84 longitude/latitude"
                ),
            ))
        }
    };
    // EPSG codes in the forms GDAL and others write: EPSG:4326, urn:ogc:def:crs:EPSG::4326,
    // urn:ogc:def:crs:EPSG:6.6:4326, http://www.opengis.net/def/crs/EPSG/0/4326.
    let upper = name.to_ascii_uppercase();
    let epsg = if upper.contains("EPSG") {
        upper
            .rsplit([':', '/'])
            .next()
            .and_then(|c| c.parse::<u32>().ok())
    } else {
        None
    };
    let crs84 = upper.ends_with("CRS84");
    match (crs84, epsg) {
        (true, _) | (_, Some(4326)) => Ok((FileCrs::Degrees, None)),
        (_, Some(4490)) => Ok((
            FileCrs::Degrees,
            Some(format!(
                "crs `{name}` (CGCS2000) read as WGS-84: the two datums agree to a few centimetres \
                 (CGCS2000 与 WGS-84 相差仅厘米级，按 WGS-84 读取)"
            )),
        )),
        (_, Some(3857 | 900_913 | 102_100 | 3785)) => Ok((
            FileCrs::WebMercator,
            Some(format!(
                "crs `{name}` (Web Mercator, metres): positions converted to degrees"
            )),
        )),
        _ => Err(ImportError::format(
            Location::File,
            format!(
                "crs `{name}` is not supported (不支持该坐标系); GeoJSON positions must be \
                 longitude/latitude in WGS-84 (EPSG:4326, CRS84), CGCS2000 (EPSG:4490) or Web \
                 Mercator metres (EPSG:3857); reproject the file, e.g. \
                 `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`"
            ),
        )),
    }
}

/// Converts every position (array whose first two members are numbers) inside `v` from Web
/// Mercator metres to degrees, in place.
fn positions_to_degrees(v: &mut Value) {
    let Some(a) = v.as_array_mut() else {
        return;
    };
    if let (Some(x), Some(y)) = (
        a.first().and_then(Value::as_f64),
        a.get(1).and_then(Value::as_f64),
    ) {
        let (lon, lat) = crate::crs::web_mercator_to_wgs84(x, y);
        a[0] = Value::from(lon);
        a[1] = Value::from(lat);
        return;
    }
    a.iter_mut().for_each(positions_to_degrees);
}

impl<'de> serde::de::DeserializeSeed<'de> for RootSeed<'_, '_> {
    type Value = Option<Root>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RootSeed<'_, '_> {
    type Value = Option<Root>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut root = Root::default();
        let mut crs = FileCrs::Degrees;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "features" => {
                    root.saw_features = map.next_value_seed(FeaturesSeed {
                        builder: &mut *self.builder,
                        stop: &mut *self.stop,
                        crs,
                    })?;
                }
                "crs" => {
                    let v: Value = map.next_value()?;
                    match file_crs(&v) {
                        Ok((FileCrs::WebMercator, _)) if root.saw_features => {
                            *self.stop = Some(ImportError::format(
                                Location::File,
                                "the `crs` member (Web Mercator, metres) comes after `features`, \
                                 which were already read as degrees; put `crs` before `features`",
                            ));
                            return Err(serde::de::Error::custom("crs after features"));
                        }
                        Ok((c, note)) => {
                            crs = c;
                            if let Some(note) = note {
                                self.builder.issue(Issue::warning(
                                    Location::File,
                                    Some("crs"),
                                    note,
                                ));
                            }
                        }
                        Err(e) => {
                            *self.stop = Some(e);
                            return Err(serde::de::Error::custom("unsupported crs"));
                        }
                    }
                }
                "type" => root.type_ = Some(map.next_value()?),
                _ => {
                    let v = map.next_value()?;
                    root.others.insert(key, v);
                }
            }
        }
        Ok(Some(root))
    }
    // Any other top-level value: ignored whole, reported as "got type (none)".
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Streams the `features` array; `true` when it was an array.
struct FeaturesSeed<'a, 'b> {
    builder: &'a mut Builder<'b>,
    stop: &'a mut Option<ImportError>,
    /// The file's `crs` as declared before `features`.
    crs: FileCrs,
}

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut i = 0;
        while let Some(f) = seq.next_element::<Value>()? {
            let loc = Location::Feature(i);
            if let Err(e) = self.builder.check_record_limit(loc) {
                *self.stop = Some(e);
                return Err(serde::de::Error::custom("record limit"));
            }
            if self.crs == FileCrs::WebMercator {
                let mut f = f;
                if let Some(c) = f.pointer_mut("/geometry/coordinates") {
                    positions_to_degrees(c);
                }
                for member in ["entrance", "outline"] {
                    if let Some(p) = f.get_mut("properties").and_then(|p| p.get_mut(member)) {
                        positions_to_degrees(p);
                    }
                }
                feature_into(self.builder, &f, loc);
            } else {
                feature_into(self.builder, &f, loc);
            }
            i += 1;
        }
        Ok(true)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(false)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// Checks one feature and hands it to the builder.
fn feature_into(b: &mut Builder<'_>, f: &Value, loc: Location) {
    match feature_record(f, loc) {
        Ok(recs) => recs.into_iter().for_each(|rec| b.push(rec)),
        Err(issue) => {
            b.count_record();
            b.issue(issue);
        }
    }
}

/// The GeoJSON importer over any `serde_json` input (text or reader), streaming `features`.
fn import_geojson_stream<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    options: &ImportOptions,
    too_deep: &std::cell::Cell<bool>,
    sink: Option<&mut super::PointSink<'_>>,
) -> Result<ImportReport, ImportError> {
    use serde::de::DeserializeSeed;
    let mut b = Builder::new(options, Format::GeoJson).with_sink(sink);
    let mut stop = None;
    let parsed = RootSeed {
        builder: &mut b,
        stop: &mut stop,
    }
    .deserialize(&mut *de)
    .and_then(|root| de.end().map(|()| root));
    if let Some(e) = stop {
        return Err(e);
    }
    if too_deep.get() {
        return Err(ImportError::too_large(
            Location::File,
            format!(
                "arrays and objects nested more than {MAX_JSON_DEPTH} deep, the limit; \
                 a FeatureCollection of Points needs 5"
            ),
        ));
    }
    let root = parsed.map_err(|e| {
        ImportError::format(
            Location::File,
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let root = root.unwrap_or_default();
    match root.type_.as_ref().and_then(Value::as_str) {
        Some("FeatureCollection") if root.saw_features => {}
        Some("FeatureCollection") => {
            return Err(ImportError::format(
                Location::File,
                "FeatureCollection without a `features` array",
            ))
        }
        Some("Feature") if b.is_empty() => {
            let mut feature = root.others;
            feature.insert("type".into(), Value::from("Feature"));
            let loc = Location::Feature(0);
            b.check_record_limit(loc)?;
            feature_into(&mut b, &Value::Object(feature), loc);
        }
        other => {
            return Err(ImportError::format(
                Location::File,
                format!(
                    "expected a GeoJSON FeatureCollection, got type {}",
                    other.map_or("(none)".to_string(), |t| format!("`{t}`"))
                ),
            ))
        }
    }
    b.finish()
}

/// The records of one feature: one for a Point, one per position for a MultiPoint.
fn feature_record(f: &Value, loc: Location) -> Result<Vec<RawRecord>, Issue> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(Issue::error(
            loc,
            Some("type"),
            "not a GeoJSON Feature".into(),
        ));
    }
    let geometry = f.get("geometry").unwrap_or(&Value::Null);
    if geometry.is_null() {
        return Err(Issue::skipped(
            loc,
            Some("geometry"),
            "skipped: geometry is null (no position; not placed at 0,0)".into(),
        ));
    }
    let props = match f.get("properties") {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => {
            return Err(Issue::skipped(
                loc,
                Some("properties"),
                "skipped: properties is null (no name or kind)".into(),
            ))
        }
        Some(_) => {
            return Err(Issue::error(
                loc,
                Some("properties"),
                "properties must be an object".into(),
            ))
        }
    };
    let gtype = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let position = |c: &Value| -> Option<(Value, Value)> {
        let c = c.as_array().filter(|c| c.len() == 2 || c.len() == 3)?;
        Some((c[0].clone(), c[1].clone()))
    };
    let positions: Vec<(Value, Value)> = match gtype {
        "Point" => vec![geometry
            .get("coordinates")
            .and_then(position)
            .ok_or_else(|| {
                Issue::error(
                    loc,
                    Some("geometry"),
                    "Point coordinates must be [lon, lat] or [lon, lat, elevation]".into(),
                )
            })?],
        "MultiPoint" => {
            let list = geometry
                .get("coordinates")
                .and_then(Value::as_array)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    Issue::error(
                        loc,
                        Some("geometry"),
                        "MultiPoint coordinates must be a non-empty array of [lon, lat] positions"
                            .into(),
                    )
                })?;
            list.iter()
                .enumerate()
                .map(|(i, c)| {
                    position(c).ok_or_else(|| {
                        Issue::error(
                            loc,
                            Some("geometry"),
                            format!(
                                "MultiPoint position {} must be [lon, lat] or [lon, lat, elevation]",
                                i + 1
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?
        }
        _ => {
            return Err(Issue::error(
                loc,
                Some("geometry"),
                format!(
                    "geometry type `{gtype}` is not supported; a service point is a Point (or a MultiPoint of several)"
                ),
            ))
        }
    };

    let mut rec = RawRecord::new(loc);
    for (key, v) in props {
        match key.as_str() {
            "entrance" => {
                if let Some(a) = v.as_array().filter(|a| a.len() >= 2) {
                    rec.values.insert(Field::EntranceLon, a[0].clone());
                    rec.values.insert(Field::EntranceLat, a[1].clone());
                } else if !v.is_null() {
                    return Err(Issue::error(
                        loc,
                        Some("entrance"),
                        "entrance must be [lon, lat]".into(),
                    ));
                }
            }
            "outline" => rec.outline = Some(v.clone()),
            _ => {
                if let Some(field) = Field::from_header(key) {
                    // Position comes from the geometry only.
                    // An alias (`type`, `名称`) never overrides the canonical name (`kind`, `name`).
                    let canonical = key.as_str() == field.name();
                    if !matches!(field, Field::Lon | Field::Lat)
                        && (canonical || !rec.values.contains_key(&field))
                    {
                        rec.values.insert(field, v.clone());
                    }
                }
            }
        }
    }
    match f.get("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => {
            rec.values.insert(Field::Id, id.clone());
        }
        Some(Value::Null) | None => {}
        Some(_) => {
            return Err(Issue::error(
                loc,
                Some("id"),
                "feature id must be a string or a number (RFC 7946 §3.2)".into(),
            ))
        }
    }
    if let [(lon, lat)] = positions.as_slice() {
        let (lon, lat) = (lon.clone(), lat.clone());
        rec.values.insert(Field::Lon, lon);
        rec.values.insert(Field::Lat, lat);
        return Ok(vec![rec]);
    }
    let id = rec.values.get(&Field::Id).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    Ok(positions
        .into_iter()
        .enumerate()
        .map(|(i, (lon, lat))| {
            let mut r = rec.clone();
            if let Some(id) = &id {
                r.values
                    .insert(Field::Id, Value::String(format!("{id}-{}", i + 1)));
            }
            r.values.insert(Field::Lon, lon);
            r.values.insert(Field::Lat, lat);
            r
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Severity;

    #[test]
    fn null_geometry_is_skipped_not_zero() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":1,"geometry":null,"properties":{"name":"a","kind":"station"}},
          {"type":"Feature","id":2,"geometry":{"type":"Point","coordinates":[112.98,28.19]},"properties":{"name":"b","kind":"station"}}
        ]}"#;
        let r = import_geojson_str(text, &ImportOptions::default()).unwrap();
        assert_eq!(r.points.len(), 1);
        assert_eq!(r.points[0].id, "2");
        assert_eq!(r.issues[0].severity, Severity::Skipped);
        assert_eq!(r.issues[0].location, Location::Feature(0));
    }

    fn fc(members: &str, features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection",{members}"features":[{features}]}}"#)
    }
    const WUYI: &str = r#"{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[112.97092,28.1986]},"properties":{"name":"a","kind":"station"}}"#;

    #[test]
    fn multipoint_gives_one_point_per_position_with_suffixed_ids() {
        let f = r#"{"type":"Feature","id":17,"geometry":{"type":"MultiPoint","coordinates":[[112.97,28.19],[112.98,28.2]]},"properties":{"name":"m","kind":"station"}}"#;
        let r = import_geojson_str(&fc("", f), &ImportOptions::default()).unwrap();
        let ids: Vec<&str> = r.points.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["17-1", "17-2"]);
        assert_eq!(r.points[1].location.lon, 112.98);
        let empty = r#"{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[]},"properties":{"name":"m","kind":"station"}}"#;
        let skip = ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        };
        let r = import_geojson_str(&fc("", &format!("{empty},{WUYI}")), &skip).unwrap();
        assert_eq!(r.points.len(), 1);
        let e = r.errors().next().unwrap();
        assert_eq!(e.location, Location::Feature(0));
        assert!(e.reason.contains("MultiPoint"), "{}", e.reason);
    }

    #[test]
    fn crs_member_is_honoured_or_refused() {
        let opts = ImportOptions::default();
        let named = |n: &str| format!(r#""crs":{{"type":"name","properties":{{"name":"{n}"}}}},"#);
        // Degrees: CRS84 and EPSG:4326 silently, EPSG:4490 with a note.
        for n in [
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "urn:ogc:def:crs:EPSG::4326",
            "EPSG:4326",
        ] {
            let r = import_geojson_str(&fc(&named(n), WUYI), &opts).unwrap();
            assert_eq!(r.points[0].location.lon, 112.97092, "{n}");
            assert!(r.warnings().next().is_none(), "{n}");
        }
        let r = import_geojson_str(&fc(&named("EPSG:4490"), WUYI), &opts).unwrap();
        assert_eq!(r.points[0].location.lat, 28.1986);
        assert!(r.warnings().any(|w| w.reason.contains("CGCS2000")));
        // Web Mercator: 五一广场 at x = 112.97092° · π/180 · R, y = R · ln(tan(π/4 + φ/2)),
        // computed here independently of the importer's inverse.
        let r_m = 6_378_137.0_f64;
        let x = 112.97092_f64.to_radians() * r_m;
        let y = r_m
            * (std::f64::consts::FRAC_PI_4 + 28.1986_f64.to_radians() / 2.0)
                .tan()
                .ln();
        let f = WUYI.replace("[112.97092,28.1986]", &format!("[{x},{y}]"));
        let r = import_geojson_str(&fc(&named("urn:ogc:def:crs:EPSG::3857"), &f), &opts).unwrap();
        assert!((r.points[0].location.lon - 112.97092).abs() < 1e-9);
        assert!((r.points[0].location.lat - 28.1986).abs() < 1e-9);
        // Anything else: refused, naming it.
        let e = import_geojson_str(&fc(&named("EPSG:4547"), WUYI), &opts).unwrap_err();
        assert!(e.to_string().contains("EPSG:4547"), "{e}");
        let e = import_geojson_str(
            &fc(r#""crs":{"type":"link","properties":{"href":"x"}},"#, WUYI),
            &opts,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a named CRS"), "{e}");
        // Web Mercator declared after the features: refused, not misread as degrees.
        let late = format!(
            r#"{{"type":"FeatureCollection","features":[{f}],{}"name":"x"}}"#,
            named("EPSG:3857")
        );
        let e = import_geojson_str(&late, &opts).unwrap_err();
        assert!(e.to_string().contains("after `features`"), "{e}");
    }

    #[test]
    fn canonical_property_wins_over_alias() {
        // serde_json sorts keys, so `type` is seen after `kind`; `kind` must still win.
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98,28.19]},
           "properties":{"name":"b","kind":"station","type":"node"}}]}"#;
        let r = import_geojson_str(text, &ImportOptions::default()).unwrap();
        assert_eq!(r.points[0].kind, crate::model::ServiceKind::Station);
    }
}
