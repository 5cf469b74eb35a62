//! Regression tests for the mismatches Schemathesis found between responses and the OpenAPI
//! document (`scripts/test.d/50-schemathesis.sh`): each failing input, sent again, must get
//! a status its operation documents. The document is the oracle.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::Request;
use nuanxin::index::ServiceIndex;
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::Store;
use std::sync::Arc;
use tower::ServiceExt;
use utoipa::openapi::path::PathItem;

/// The statuses documented for `method` on `template`.
fn documented(doc: &utoipa::openapi::OpenApi, method: &str, template: &str) -> Vec<String> {
    let item: &PathItem = doc
        .paths
        .paths
        .get(template)
        .unwrap_or_else(|| panic!("{template} is not documented"));
    let op = match method {
        "GET" => &item.get,
        "POST" => &item.post,
        "PUT" => &item.put,
        "DELETE" => &item.delete,
        other => panic!("{other}"),
    }
    .as_ref()
    .unwrap_or_else(|| panic!("{method} {template} is not documented"));
    op.responses.responses.keys().cloned().collect()
}

/// The server with the demo points and a store in a temporary directory (kept alive by the
/// returned guard), rate limits off; and its OpenAPI document.
fn demo_app() -> (tempfile::TempDir, axum::Router, utoipa::openapi::OpenApi) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("t.db")).unwrap());
    let mut config = Config::default();
    config.rate_limit.enabled = false;
    let index = ServiceIndex::new(nuanxin::demo::demo_points()).unwrap();
    let app = server::router(AppState::new(config, index).with_store(store));
    (dir, app, server::openapi())
}

#[tokio::test]
async fn the_inputs_schemathesis_found_get_documented_statuses() {
    let (_dir, app, doc) = demo_app();
    // (method, request target, operation path, body): the failing cases of the first run.
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "GET",
            "/api/v1/admin/audit?offset=-1",
            "/api/v1/admin/audit",
            None,
        ),
        (
            "GET",
            "/api/v1/campaigns?open=null&open=null",
            "/api/v1/campaigns",
            None,
        ),
        (
            "GET",
            "/api/v1/points/demo-collection-point-053?out_crs=AAA",
            "/api/v1/points/{id}",
            None,
        ),
        (
            "GET",
            "/api/v1/suggestions/0?receipt=",
            "/api/v1/suggestions/{id}",
            None,
        ),
        ("GET", "/ogc/collections?f=", "/ogc/collections", None),
        (
            "GET",
            "/ogc/collections/0?f=",
            "/ogc/collections/{collectionId}",
            None,
        ),
        (
            "GET",
            "/ogc/collections/0/items/0?f=",
            "/ogc/collections/{collectionId}/items/{featureId}",
            None,
        ),
        ("GET", "/ogc/conformance?f=", "/ogc/conformance", None),
        ("POST", "/api/v1/coverage", "/api/v1/coverage", None),
        (
            "POST",
            "/api/v1/coverage/day-night",
            "/api/v1/coverage/day-night",
            None,
        ),
        (
            "POST",
            "/api/v1/coverage/proposals?format=",
            "/api/v1/coverage/proposals",
            None,
        ),
        ("POST", "/api/v1/suggestions", "/api/v1/suggestions", None),
        ("POST", "/api/v1/whatif", "/api/v1/whatif", None),
        ("POST", "/api/v1/whatif/0", "/api/v1/whatif/{session}", None),
        (
            "POST",
            "/api/v1/suggestions/0/reopen?receipt=",
            "/api/v1/suggestions/{id}/reopen",
            None,
        ),
        (
            "POST",
            "/api/v1/suggestions/demo-station-135/reopen?receipt=__main__",
            "/api/v1/suggestions/{id}/reopen",
            Some(r#"{"note": ""}"#),
        ),
        (
            "POST",
            "/api/v1/suggestions/station/reopen?receipt=F%7FE",
            "/api/v1/suggestions/{id}/reopen",
            Some(r#"{"note": "+0.0"}"#),
        ),
    ];
    for (method, target, template, body) in cases {
        let mut req = Request::builder().method(*method).uri(*target);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16().to_string();
        let listed = documented(&doc, method, template);
        assert!(
            listed.contains(&status),
            "{method} {target}: {status}, documented {listed:?}"
        );
        if resp.status().is_client_error() {
            let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
            assert_eq!(ct, "application/problem+json", "{method} {target}");
        }
    }
}

/// Newcomer finding (issue 15): `[]` as the body of `POST /api/v1/coverage` got serde's
/// message naming no parameter. Now the problem names the body and the schema expected.
#[tokio::test]
async fn a_body_of_the_wrong_type_names_the_body_and_the_schema_expected() {
    let app = server::router(AppState::new(
        Config::default(),
        ServiceIndex::new(nuanxin::demo::demo_points()).unwrap(),
    ));
    let req = Request::post("/api/v1/coverage")
        .header("content-type", "application/json")
        .body(Body::from("[]"))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 400);
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["param"], "body", "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("JSON object") && detail.contains("CoverageRequest"),
        "{detail}"
    );
}

/// Regression (polish5, item 7): the Open311 `.xml` routes (GeoReport v2's required format)
/// and `/config.json` answered but were missing from `/api/openapi.json`, so Schemathesis
/// never exercised them. Each is documented, and an answer carries a status and a media type
/// its operation documents for that status (`text/xml` for the XML forms, errors included).
#[tokio::test]
async fn xml_routes_and_the_page_config_are_documented_with_their_media_types() {
    let (_dir, app, doc) = demo_app();
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        ("GET", "/config.json", "/config.json", None),
        (
            "GET",
            "/open311/v2/discovery.xml",
            "/open311/v2/discovery.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/services.xml",
            "/open311/v2/services.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/services/rest.xml",
            "/open311/v2/services/{service_code}.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/services/bakery.xml",
            "/open311/v2/services/{service_code}.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/requests.xml",
            "/open311/v2/requests.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/requests.xml?status=sideways",
            "/open311/v2/requests.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/requests/nope.xml",
            "/open311/v2/requests/{id}.xml",
            None,
        ),
        (
            "GET",
            "/open311/v2/tokens/nope.xml",
            "/open311/v2/tokens/{token}.xml",
            None,
        ),
        (
            "POST",
            "/open311/v2/requests.xml",
            "/open311/v2/requests.xml",
            Some("service_code=rest&lat=28.19&long=112.98&description=%E5%A4%AA%E7%83%AD"),
        ),
        (
            "POST",
            "/open311/v2/requests.xml",
            "/open311/v2/requests.xml",
            Some("service_code=rest&lat=north"),
        ),
    ];
    for (method, target, template, body) in cases {
        let mut req = Request::builder().method(*method).uri(*target);
        if body.is_some() {
            req = req.header("content-type", "application/x-www-form-urlencoded");
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16().to_string();
        let item = doc
            .paths
            .paths
            .get(*template)
            .unwrap_or_else(|| panic!("{template} is not documented"));
        let op = match *method {
            "GET" => item.get.as_ref(),
            _ => item.post.as_ref(),
        }
        .unwrap_or_else(|| panic!("{method} {template} is not documented"));
        let Some(utoipa::openapi::RefOr::T(documented)) = op.responses.responses.get(&status)
        else {
            panic!("{method} {target}: {status} is not documented");
        };
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        let media = ct.split(';').next().unwrap().trim();
        assert!(
            documented.content.contains_key(media),
            "{method} {target}: {status} {ct}, documented {:?}",
            documented.content.keys().collect::<Vec<_>>()
        );
        if template.ends_with(".xml") {
            assert_eq!(media, "text/xml", "{method} {target}");
        }
    }
}
