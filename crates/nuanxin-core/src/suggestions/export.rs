//! Exports for officers: CSV (UTF-8 with a byte-order mark, so Excel shows the Chinese) and
//! GeoJSON (RFC 7946), and the public GeoJSON features used by the OGC API collection.
//!
//! CSV cells that begin with `=`, `+`, `-`, `@`, tab or carriage return are prefixed with
//! `'` so that a spreadsheet does not evaluate them as formulas (OWASP "CSV Injection").

use super::{Audience, Suggestion, SuggestionView};
use serde_json::{json, Value};

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "status",
    "status_zh",
    "category",
    "category_zh",
    "adcode",
    "district",
    "lon",
    "lat",
    "description",
    "role",
    "contact",
    "email",
    "first_name",
    "last_name",
    "campaign_id",
    "collection_point_id",
    "collection_point_name",
    "supporters",
    "has_photo",
    "last_note",
];

fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The officer CSV of `items` (full records, original descriptions and contacts), with BOM.
pub fn to_csv(items: &[Suggestion]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for s in items {
        let v = SuggestionView::new(s, Audience::Officer);
        let rec = [
            s.id.clone(),
            s.created_at.to_rfc3339(),
            s.updated_at.to_rfc3339(),
            s.status.as_str().into(),
            s.status.label_zh().into(),
            s.category.as_str().into(),
            s.category.label_zh().into(),
            s.adcode.clone().unwrap_or_default(),
            v.district_name.unwrap_or_default(),
            format!("{}", s.location.lon),
            format!("{}", s.location.lat),
            s.description.clone(),
            s.role.map(|r| r.as_str().to_string()).unwrap_or_default(),
            s.contact
                .as_ref()
                .map(|c| c.value.clone())
                .unwrap_or_default(),
            s.email.clone().unwrap_or_default(),
            s.first_name.clone().unwrap_or_default(),
            s.last_name.clone().unwrap_or_default(),
            s.campaign_id.clone().unwrap_or_default(),
            s.collection_point
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
            s.collection_point
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            s.supporters.to_string(),
            s.photo.is_some().to_string(),
            s.history.last().map(|h| h.note.clone()).unwrap_or_default(),
        ];
        let _ = w.write_record(rec.iter().map(|c| cell(c)));
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    format!("{BOM}{body}")
}

/// One suggestion as a GeoJSON Feature: Point geometry (WGS-84), the view's fields as
/// properties (without `location`).
pub fn feature(s: &Suggestion, audience: Audience) -> Value {
    let v = SuggestionView::new(s, audience);
    let mut props = serde_json::to_value(&v).unwrap_or(Value::Null);
    if let Some(o) = props.as_object_mut() {
        o.remove("location");
        o.remove("id");
    }
    json!({
        "type": "Feature",
        "id": s.id,
        "geometry": {"type": "Point", "coordinates": [
            crate::geojson_out::round(s.location.lon, crate::geojson_out::DEFAULT_DECIMALS),
            crate::geojson_out::round(s.location.lat, crate::geojson_out::DEFAULT_DECIMALS),
        ]},
        "properties": props,
    })
}

/// A GeoJSON FeatureCollection of `items` for `audience`.
pub fn to_geojson(items: &[Suggestion], audience: Audience) -> Value {
    json!({
        "type": "FeatureCollection",
        "features": items.iter().map(|s| feature(s, audience)).collect::<Vec<_>>(),
    })
}

/// Public GeoJSON features (public fields only, masked descriptions): what the OGC API –
/// Features collection `suggestions` serves.
pub fn public_features(items: &[Suggestion]) -> Vec<Value> {
    items.iter().map(|s| feature(s, Audience::Public)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("骑手"), "骑手");
    }
}
