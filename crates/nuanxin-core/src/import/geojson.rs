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
    let file = std::fs::File::open(path).map_err(|e| ImportError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
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
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "features" => {
                    root.saw_features = map.next_value_seed(FeaturesSeed {
                        builder: &mut *self.builder,
                        stop: &mut *self.stop,
                    })?;
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
            feature_into(self.builder, &f, loc);
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
        Ok(rec) => b.push(rec),
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
) -> Result<ImportReport, ImportError> {
    use serde::de::DeserializeSeed;
    let mut b = Builder::new(options, Format::GeoJson);
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

fn feature_record(f: &Value, loc: Location) -> Result<RawRecord, Issue> {
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
    if gtype != "Point" {
        return Err(Issue::error(
            loc,
            Some("geometry"),
            format!("geometry type `{gtype}` is not supported; a service point is a Point"),
        ));
    }
    let coords = geometry
        .get("coordinates")
        .and_then(Value::as_array)
        .filter(|c| c.len() == 2 || c.len() == 3)
        .ok_or_else(|| {
            Issue::error(
                loc,
                Some("geometry"),
                "Point coordinates must be [lon, lat] or [lon, lat, elevation]".into(),
            )
        })?;

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
    rec.values.insert(Field::Lon, coords[0].clone());
    rec.values.insert(Field::Lat, coords[1].clone());
    Ok(rec)
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
