//! Bad requests: every bad input is a 4xx problem naming its parameter, wrong methods and
//! oversized bodies, and arbitrary query values never give a 5xx.

use super::*;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_bad_input_is_a_4xx_problem_naming_the_parameter() {
    let app = app();
    let n = "/api/v1/nearest?";
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/api/v1/nearest", 400, Some("lon")),
        ("/api/v1/nearest?lat=28.2", 400, Some("lon")),
        ("/api/v1/nearest?lon=112.9", 400, Some("lat")),
        ("/api/v1/nearest?lon=112.9&lat=112", 400, Some("lat")),
        ("/api/v1/nearest?lon=112.9&lat=-90.5", 400, Some("lat")),
        ("/api/v1/nearest?lon=NaN&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=112&lat=NaN", 400, Some("lat")),
        ("/api/v1/nearest?lon=inf&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=abc&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=1&lon=2&lat=28", 400, Some("lon")),
        ("/api/v1/nearest?lon=112&lat=28&k=0", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=51", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=-1", 400, Some("k")),
        ("/api/v1/nearest?lon=112&lat=28&k=2.5", 400, Some("k")),
        (
            "/api/v1/nearest?lon=112&lat=28&kind=bakery",
            400,
            Some("kind"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&kind=station,bakery",
            400,
            Some("kind"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&amenity=sauna",
            400,
            Some("amenity"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&access=teleport",
            400,
            Some("access"),
        ),
        ("/api/v1/nearest?lon=112&lat=28&crs=utm", 400, Some("crs")),
        (
            "/api/v1/nearest?lon=112&lat=28&out_crs=utm",
            400,
            Some("out_crs"),
        ),
        ("/api/v1/nearest?lon=112&lat=28&mode=car", 400, Some("mode")),
        (
            "/api/v1/nearest?lon=112&lat=28&open_now=maybe",
            400,
            Some("open_now"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&open_at=tomorrow",
            400,
            Some("open_at"),
        ),
        (
            "/api/v1/nearest?lon=112&lat=28&open_now=1&open_at=2026-11-30T09:00",
            400,
            Some("open_at"),
        ),
        ("/api/v1/nearest?lng=112&lat=28", 400, Some("lng")),
        (
            "/api/v1/nearest?lon=112&lat=28&radius_m=5",
            400,
            Some("radius_m"),
        ),
        ("/api/v1/within?lon=112&lat=28", 400, Some("radius_m")),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=-5",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=NaN",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=1e9",
            400,
            Some("radius_m"),
        ),
        (
            "/api/v1/within?lon=112&lat=28&radius_m=10&limit=0",
            400,
            Some("limit"),
        ),
        ("/api/v1/within?lat=28&radius_m=10", 400, Some("lon")),
        ("/api/v1/points?bbox=113,28.3,112,28.1", 400, Some("bbox")),
        ("/api/v1/points?bbox=1,2,3", 400, Some("bbox")),
        ("/api/v1/points?bbox=a,b,c,d", 400, Some("bbox")),
        ("/api/v1/points?bbox=112,28,113,95", 400, Some("bbox")),
        ("/api/v1/points?limit=0", 400, Some("limit")),
        ("/api/v1/points?limit=10001", 400, Some("limit")),
        ("/api/v1/points?offset=-1", 400, Some("offset")),
        ("/api/v1/points?kind=", 200, None),
        ("/api/v1/points/st-wuyi?bogus=1", 400, Some("bogus")),
        ("/api/v1/points/nope", 404, None),
        ("/api/v1/districts?level=province", 400, Some("level")),
        ("/api/v1/districts?parent=43", 400, Some("parent")),
        ("/api/v1/districts/12", 400, Some("adcode")),
        ("/api/v1/districts/999999", 404, None),
        ("/ogc?f=xml", 400, Some("f")),
        ("/ogc/collections/nope", 404, None),
        ("/ogc/collections/nope/items", 404, None),
        ("/ogc/collections/station/items?limit=0", 400, Some("limit")),
        ("/ogc/collections/station/items?limit=x", 400, Some("limit")),
        (
            "/ogc/collections/station/items?offset=-3",
            400,
            Some("offset"),
        ),
        (
            "/ogc/collections/station/items?bbox=113,28.3,112,28.1",
            400,
            Some("bbox"),
        ),
        (
            "/ogc/collections/station/items?datetime=2026-12-01T00:00:00Z/2026-01-01T00:00:00Z",
            400,
            Some("datetime"),
        ),
        (
            "/ogc/collections/station/items?datetime=yesterday",
            400,
            Some("datetime"),
        ),
        ("/ogc/collections/station/items?foo=bar", 400, Some("foo")),
        ("/ogc/collections/station/items/nope", 404, None),
        ("/ogc/collections/legal_aid/items/st-wuyi", 404, None),
        ("/nope", 404, None),
        ("/api/v1/nope", 404, None),
    ];
    for (uri, status, param) in cases {
        if *status == 200 {
            assert_eq!(get(&app, uri).await.status, StatusCode::OK, "{uri}");
            continue;
        }
        assert_problem(&app, uri, *status, *param).await;
    }
    // The problem for an unknown code lists the valid ones.
    let p = assert_problem(
        &app,
        &format!("{n}lon=112&lat=28&kind=bakery"),
        400,
        Some("kind"),
    )
    .await;
    let valid: Vec<&str> = p["valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(valid, ServiceKind::codes());
    let p = assert_problem(
        &app,
        &format!("{n}lon=112&lat=28&mode=car"),
        400,
        Some("mode"),
    )
    .await;
    assert_eq!(p["valid"], serde_json::json!(["walk", "ebike"]));
}

#[tokio::test]
async fn wrong_method_and_oversized_body_are_problems() {
    let app = app_with(Config {
        body_limit_bytes: 16,
        ..Config::default()
    });
    let r = send(
        &app,
        Request::builder()
            .method(Method::DELETE)
            .uri("/api/v1/nearest?lon=1&lat=2")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json()["status"], 405);
    let r = send(
        &app,
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/nearest")
            .header(header::CONTENT_LENGTH, "100")
            .body(Body::from(vec![b'x'; 100]))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(r.json()["status"], 413);
}

#[tokio::test]
async fn arbitrary_query_values_never_give_a_5xx() {
    let app = app();
    let nasty = [
        "",
        "%",
        "%ZZ",
        "%FF%FE",
        "-0",
        "1e400",
        "-1e400",
        "0x10",
        "１１２",
        "NaN",
        "-inf",
        "%00",
        "%E9%A9",
        "999999999999999999999999",
        "1,2,3,4,5",
        ",,,",
        "null",
        "[1,2]",
        "%3Cscript%3E",
        "..",
        "2026-02-30T25:61",
    ];
    let endpoints: &[(&str, &[&str])] = &[
        (
            "/api/v1/nearest",
            &[
                "lon", "lat", "crs", "k", "kind", "amenity", "mode", "open_now", "open_at",
                "out_crs",
            ],
        ),
        (
            "/api/v1/within",
            &["lon", "lat", "radius_m", "limit", "offset"],
        ),
        (
            "/api/v1/points",
            &["bbox", "limit", "offset", "kind", "access"],
        ),
        (
            "/ogc/collections/station/items",
            &["bbox", "limit", "offset", "datetime", "f"],
        ),
        ("/api/v1/districts", &["level", "parent"]),
    ];
    for (path, names) in endpoints {
        for name in *names {
            for v in nasty {
                let uri = format!("{path}?lon=112.9&lat=28.1&radius_m=100&{name}={v}");
                let r = get(&app, &uri).await;
                assert!(r.status.as_u16() < 500, "{uri}: {}", r.status);
                if !r.status.is_success() {
                    assert_eq!(r.content_type(), "application/problem+json", "{uri}");
                }
            }
        }
    }
    for id in ["%00", "%FF", "..%2F..%2Fetc", "a%20b", "%E9%A9"] {
        for path in [
            "/api/v1/points/",
            "/ogc/collections/station/items/",
            "/api/v1/districts/",
        ] {
            let r = get(&app, &format!("{path}{id}")).await;
            assert!(r.status.as_u16() < 500, "{path}{id}: {}", r.status);
        }
    }
}
