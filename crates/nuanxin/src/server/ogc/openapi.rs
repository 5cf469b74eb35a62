//! The OpenAPI 3.0 definition of the OGC API (`/ogc/api`, conformance class *oas30*),
//! written out for this API rather than derived from the whole server's document: paths
//! are relative to the server URL `{public_url}/ogc` (as clients such as GDAL look them up),
//! the items paths are listed per collection with that collection's queryables as
//! parameters (Part 3 *queryables-query-parameters*), and the shared parameters are defined
//! as Part 1 and Parts 2–3 specify them (`bbox` an array of 4 or 6 numbers with `style:
//! form`, `explode: false`; `limit` with minimum, maximum and default). Checked with
//! `openapi-spec-validator` in `scripts/test.d/45-ogc-openapi.sh`.

use super::query::{
    queryable_params, FILTER_LANGS, ITEMS_LIMIT_DEFAULT, ITEMS_LIMIT_MAX, ITEMS_PARAMS,
};
use super::schema::property_schema;
use super::{CollectionProvider, CONFORMANCE};
use crate::crs::OgcCrs;
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn param_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

fn parameters() -> Value {
    let crs_list: Vec<&str> = OgcCrs::ALL.iter().map(|c| c.uri()).collect();
    json!({
        "collectionId": {"name": "collectionId", "in": "path", "required": true,
            "description": "Collection id", "schema": {"type": "string"}},
        "featureId": {"name": "featureId", "in": "path", "required": true,
            "description": "Feature id", "schema": {"type": "string"}},
        "f": {"name": "f", "in": "query", "required": false,
            "description": "Format: json (GeoJSON for features) or html; otherwise chosen by the Accept header",
            "schema": {"type": "string", "enum": ["json", "html"]}, "style": "form", "explode": false},
        "bbox": {"name": "bbox", "in": "query", "required": false,
            "description": "Only features whose geometry intersects the box: west,south,east,north (or with heights: west,south,min,east,north,max), in bbox-crs (default CRS84)",
            "schema": {"type": "array", "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}], "items": {"type": "number"}},
            "style": "form", "explode": false},
        "bbox-crs": {"name": "bbox-crs", "in": "query", "required": false,
            "description": "CRS of bbox (OGC API – Features – Part 2)",
            "schema": {"type": "string", "format": "uri", "enum": crs_list, "default": OgcCrs::Crs84.uri()},
            "style": "form", "explode": false},
        "crs": {"name": "crs", "in": "query", "required": false,
            "description": "CRS of the returned geometries, in its own axis order (EPSG:4326 and EPSG:4490 are latitude, longitude); answered in the Content-Crs header",
            "schema": {"type": "string", "format": "uri", "enum": crs_list, "default": OgcCrs::Crs84.uri()},
            "style": "form", "explode": false},
        "limit": {"name": "limit", "in": "query", "required": false,
            "description": "Page size; larger values are reduced to the maximum",
            "schema": {"type": "integer", "minimum": 1, "maximum": ITEMS_LIMIT_MAX, "default": ITEMS_LIMIT_DEFAULT},
            "style": "form", "explode": false},
        "offset": {"name": "offset", "in": "query", "required": false,
            "description": "Features skipped (the next/prev links carry it)",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
            "style": "form", "explode": false},
        "datetime": {"name": "datetime", "in": "query", "required": false,
            "description": "RFC 3339 instant or interval (a/b, ../b, a/..); a date is its whole UTC day. Applies to the collection's temporal property (suggestions: created_at); collections without one ignore it",
            "schema": {"type": "string"}, "style": "form", "explode": false},
        "filter": {"name": "filter", "in": "query", "required": false,
            "description": "CQL2 filter over the collection's queryables (OGC API – Features – Part 3)",
            "schema": {"type": "string"}, "style": "form", "explode": false},
        "filter-lang": {"name": "filter-lang", "in": "query", "required": false,
            "description": "Language of filter: cql2-text (default) or cql2-json; cql-text is accepted as cql2-text",
            "schema": {"type": "string", "enum": FILTER_LANGS, "default": "cql2-text"},
            "style": "form", "explode": false},
        "filter-crs": {"name": "filter-crs", "in": "query", "required": false,
            "description": "CRS of the geometry literals in filter",
            "schema": {"type": "string", "format": "uri", "enum": crs_list, "default": OgcCrs::Crs84.uri()},
            "style": "form", "explode": false},
        "sortby": {"name": "sortby", "in": "query", "required": false,
            "description": "Sort keys: queryable names, descending with a leading -",
            "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "[+|-]?[A-Za-z_][A-Za-z_0-9]*"}},
            "style": "form", "explode": false},
        "properties": {"name": "properties", "in": "query", "required": false,
            "description": "Only these properties in each feature",
            "schema": {"type": "array", "items": {"type": "string"}},
            "style": "form", "explode": false},
    })
}

fn schemas() -> Value {
    json!({
        "Link": {"type": "object", "required": ["href", "rel"], "properties": {
            "href": {"type": "string"}, "rel": {"type": "string"},
            "type": {"type": "string"}, "title": {"type": "string"}}},
        "Links": {"type": "array", "items": {"$ref": "#/components/schemas/Link"}},
        "LandingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"},
            "links": {"$ref": "#/components/schemas/Links"}}},
        "ConfClasses": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "Collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "itemType": {"type": "string"}, "crs": {"type": "array", "items": {"type": "string"}},
            "storageCrs": {"type": "string"}, "extent": {"type": "object"},
            "links": {"$ref": "#/components/schemas/Links"}}},
        "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": {"$ref": "#/components/schemas/Links"},
            "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}}}},
        "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string", "format": "date-time"},
            "links": {"$ref": "#/components/schemas/Links"}}},
        "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"type": "object", "nullable": true},
            "properties": {"type": "object", "nullable": true},
            "links": {"$ref": "#/components/schemas/Links"}}},
        "Problem": {"type": "object", "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "param": {"type": "string"}}},
    })
}

fn ok(description: &str, media: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": {
            media: {"schema": {"$ref": format!("#/components/schemas/{schema}")}},
            "text/html": {"schema": {"type": "string"}},
        }
    })
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn op(id: &str, summary: &str, params: Vec<Value>, ok_response: Value, not_found: bool) -> Value {
    let mut responses = Map::new();
    responses.insert("200".into(), ok_response);
    responses.insert("400".into(), problem("Bad parameter"));
    if not_found {
        responses.insert("404".into(), problem("Not found"));
    }
    json!({"get": {
        "operationId": id, "summary": summary, "tags": ["OGC API – Features"],
        "parameters": params, "responses": responses,
    }})
}

/// Builds the document. `base` is the public base URL (no trailing slash).
pub fn document(base: &str, collections: &[Arc<dyn CollectionProvider>]) -> Value {
    let f = param_ref("f");
    let mut paths = Map::new();
    paths.insert(
        "/".into(),
        op(
            "getLandingPage",
            "Landing page",
            vec![f.clone()],
            ok(
                "Links to the API definition, conformance and collections",
                "application/json",
                "LandingPage",
            ),
            false,
        ),
    );
    paths.insert(
        "/conformance".into(),
        op(
            "getConformanceDeclaration",
            "Conformance classes implemented",
            vec![f.clone()],
            ok("The conformance classes", "application/json", "ConfClasses"),
            false,
        ),
    );
    paths.insert(
        "/api".into(),
        json!({"get": {"operationId": "getAPI", "summary": "This API definition",
            "tags": ["OGC API – Features"],
            "responses": {"200": {"description": "OpenAPI 3.0 document",
                "content": {"application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}}}}),
    );
    paths.insert(
        "/collections".into(),
        op(
            "getCollections",
            "The collections",
            vec![f.clone()],
            ok("Every collection", "application/json", "Collections"),
            false,
        ),
    );
    paths.insert(
        "/collections/{collectionId}".into(),
        op(
            "describeCollection",
            "One collection",
            vec![param_ref("collectionId"), f.clone()],
            ok("The collection", "application/json", "Collection"),
            true,
        ),
    );
    let schema_response = |what: &str| json!({"description": what, "content": {"application/schema+json": {"schema": {"type": "object"}}}});
    paths.insert(
        "/collections/{collectionId}/queryables".into(),
        op(
            "getQueryables",
            "Properties filters may name (JSON Schema)",
            vec![param_ref("collectionId")],
            schema_response("Queryables"),
            true,
        ),
    );
    paths.insert(
        "/collections/{collectionId}/schema".into(),
        op(
            "getSchema",
            "Schema of the features' properties (JSON Schema)",
            vec![param_ref("collectionId")],
            schema_response("Schema"),
            true,
        ),
    );
    paths.insert(
        "/collections/{collectionId}/items/{featureId}".into(),
        op(
            "getFeature",
            "One feature",
            vec![
                param_ref("collectionId"),
                param_ref("featureId"),
                param_ref("crs"),
                f.clone(),
            ],
            ok("GeoJSON Feature", "application/geo+json", "Feature"),
            true,
        ),
    );
    for c in collections {
        let id = c.id();
        let mut params: Vec<Value> = ITEMS_PARAMS.iter().map(|n| param_ref(n)).collect();
        let q = c.queryables();
        for name in queryable_params(&q) {
            if let Some(qq) = q.get(name) {
                let mut schema = property_schema(qq, false);
                if let Some(m) = schema.as_object_mut() {
                    m.remove("title");
                }
                params.push(json!({"name": name, "in": "query", "required": false,
                    "description": format!("Only features whose `{name}` equals this value ({})", qq.title),
                    "schema": schema, "style": "form", "explode": false}));
            }
        }
        paths.insert(
            format!("/collections/{id}/items"),
            op(
                &format!("getFeatures_{id}"),
                &format!("Features of {}", c.title()),
                params,
                ok(
                    "GeoJSON FeatureCollection with numberMatched, numberReturned and paging links",
                    "application/geo+json",
                    "FeatureCollection",
                ),
                true,
            ),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "暖新地图 Nuanxin Map – OGC API – Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Service points and suggestions as OGC API – Features. Conformance classes: {}", CONFORMANCE.join(", ")),
            "license": {"name": "Data: see /api/docs"},
        },
        "servers": [{"url": format!("{base}/ogc")}],
        "tags": [{"name": "OGC API – Features"}],
        "paths": paths,
        "components": {"parameters": parameters(), "schemas": schemas()},
    })
}
