//! Queryables (OGC API – Features – Part 3, `/collections/{id}/queryables`) and schemas
//! (Part 5, `/collections/{id}/schema`) as JSON Schema 2020-12, plus the GeoJSON Feature
//! schema that GDAL (3.6) reads from the collection's `describedBy` link to type its
//! columns.

use crate::cql2::{Queryable, QueryableType, Queryables};

/// Media type of JSON Schema documents.
pub const SCHEMA_JSON: &str = "application/schema+json";
/// JSON Schema dialect of the documents.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of one property value. With `nullable_types`, a nullable property gets
/// `"type": [t, "null"]`; without it the plain type (what GDAL's reader understands).
pub fn property_schema(q: &Queryable, nullable_types: bool) -> serde_json::Value {
    use serde_json::json;
    let ty = |t: &str| {
        if q.nullable && nullable_types {
            json!([t, "null"])
        } else {
            json!(t)
        }
    };
    let mut v = match q.kind {
        QueryableType::String => json!({"type": ty("string")}),
        QueryableType::Integer => json!({"type": ty("integer")}),
        QueryableType::Number => json!({"type": ty("number")}),
        QueryableType::Boolean => json!({"type": ty("boolean")}),
        QueryableType::DateTime => json!({"type": ty("string"), "format": "date-time"}),
        QueryableType::Date => json!({"type": ty("string"), "format": "date"}),
        QueryableType::StringList => json!({"type": ty("array"), "items": {"type": "string"}}),
        QueryableType::Json => json!({}),
        QueryableType::Geometry => json!({"format": "geometry-point"}),
    };
    v["title"] = json!(q.title);
    if let Some(values) = &q.values {
        if q.kind == QueryableType::StringList {
            v["items"]["enum"] = json!(values);
        } else {
            v["enum"] = json!(values);
        }
    }
    v
}

/// The properties object of a schema.
fn properties(q: &Queryables, nullable_types: bool) -> serde_json::Map<String, serde_json::Value> {
    q.0.iter()
        .map(|p| (p.name.clone(), property_schema(p, nullable_types)))
        .collect()
}

/// The queryables document (Part 3 `/req/queryables/get-queryables-response`).
pub fn queryables_doc(id_url: &str, title: &str, q: &Queryables) -> serde_json::Value {
    serde_json::json!({
        "$schema": DIALECT,
        "$id": id_url,
        "type": "object",
        "title": title,
        "properties": properties(q, true),
        "additionalProperties": false,
    })
}

/// The schema of the features' properties (Part 5): every returned property, with the
/// roles `id`, `primary-geometry` and (when there is one) `primary-instant`.
pub fn schema_doc(
    id_url: &str,
    title: &str,
    schema: &Queryables,
    temporal: Option<&str>,
) -> serde_json::Value {
    let mut props = properties(schema, true);
    for (name, v) in props.iter_mut() {
        let kind = schema.get(name).map(|q| q.kind);
        if name == "id" {
            v["x-ogc-role"] = "id".into();
        } else if kind == Some(QueryableType::Geometry) {
            v["x-ogc-role"] = "primary-geometry".into();
        } else if Some(name.as_str()) == temporal {
            v["x-ogc-role"] = "primary-instant".into();
        }
    }
    serde_json::json!({
        "$schema": DIALECT,
        "$id": id_url,
        "type": "object",
        "title": title,
        "properties": props,
    })
}

/// A GeoJSON Feature schema whose `properties` lists the properties with plain types, for
/// GDAL's `describedBy` reader (it types columns from the first `type` it finds).
pub fn feature_schema_doc(id_url: &str, title: &str, schema: &Queryables) -> serde_json::Value {
    let mut props = properties(schema, false);
    props.retain(|name, _| {
        schema
            .get(name)
            .is_some_and(|q| !matches!(q.kind, QueryableType::Geometry | QueryableType::Json))
    });
    serde_json::json!({
        "$schema": DIALECT,
        "$id": id_url,
        "title": title,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object"},
            "properties": {"type": "object", "properties": props},
        },
    })
}
