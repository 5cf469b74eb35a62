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
    let root: Value = serde_json::from_str(text).map_err(|e| {
        ImportError::format(
            Location::File,
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut root = root;
    let root_type = root.get("type").and_then(Value::as_str).map(str::to_owned);
    let features: Vec<Value> = match root_type.as_deref() {
        Some("FeatureCollection") => match root.get_mut("features") {
            Some(Value::Array(a)) => std::mem::take(a),
            _ => {
                return Err(ImportError::format(
                    Location::File,
                    "FeatureCollection without a `features` array",
                ))
            }
        },
        Some("Feature") => vec![std::mem::take(&mut root)],
        other => {
            return Err(ImportError::format(
                Location::File,
                format!(
                    "expected a GeoJSON FeatureCollection, got type {}",
                    other.map_or("(none)".to_string(), |t| format!("`{t}`"))
                ),
            ))
        }
    };
    let mut b = Builder::new(options, Format::GeoJson);
    for (i, f) in features.iter().enumerate() {
        let loc = Location::Feature(i);
        b.check_record_limit(loc)?;
        match feature_record(f, loc) {
            Ok(rec) => b.push(rec),
            Err(issue) => {
                b.count_record();
                b.issue(issue);
            }
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
