//! The service around the API: the OpenAPI document, the vocabulary, security headers, health,
//! readiness and metrics, request ids, compression, CORS, forged hosts, and the real binary.

use super::*;

// ---------------------------------------------------------------------------------------------
// OpenAPI, operations, layers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_document_and_docs_page() {
    let app = app();
    let doc = get(&app, "/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/nearest",
        "/api/v1/within",
        "/api/v1/points",
        "/api/v1/points/{id}",
        "/api/v1/districts",
        "/api/v1/districts/{adcode}",
        "/ogc",
        "/ogc/collections/{collectionId}/items",
        "/healthz",
        "/metrics",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} missing");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/nearest"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "lon", "lat", "crs", "kind", "amenity", "open_now", "k", "mode", "out_crs",
    ] {
        assert!(params.contains(&p), "{p}");
    }
    let docs = get(&app, "/api/docs").await;
    assert!(docs.content_type().starts_with("text/html"));
    let html = docs.text();
    assert!(html.contains("/api/openapi.json"));
    // Self-contained: the only script is our own, so the CSP can forbid inline scripts.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains(r#"<script src="/api/docs.js"></script>"#));
    assert!(!html.contains("cdn"), "no CDN");
    let csp = docs.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"));
    let js = get(&app, "/api/docs.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.content_type().starts_with("text/javascript"));
    assert!(js.text().contains("/api/openapi.json"));
}

/// `GET /api/v1/vocabulary`: every code of every vocabulary with a Chinese and an English
/// label, documented in OpenAPI, revalidated by ETag. The lists are written out here from
/// docs/GLOSSARY.md, not taken from the code.
#[tokio::test]
async fn vocabulary_lists_every_code_with_both_labels() {
    let app = app();
    let r = get(&app, "/api/v1/vocabulary").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), "application/json");
    let v = r.json();
    let codes = |name: &str| -> Vec<String> {
        v[name]
            .as_array()
            .unwrap_or_else(|| panic!("{name} missing"))
            .iter()
            .map(|t| t["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes("kind"),
        [
            "station",
            "legal_aid",
            "rider_friendly_community",
            "collection_point"
        ]
    );
    assert_eq!(
        codes("category"),
        [
            "entry_access",
            "parking",
            "supplies",
            "rest",
            "education",
            "childcare",
            "rights",
            "safety_hazard",
            "other"
        ]
    );
    assert_eq!(
        codes("status"),
        [
            "submitted",
            "accepted",
            "in_progress",
            "resolved",
            "declined"
        ]
    );
    for name in [
        "kind",
        "amenity",
        "access",
        "category",
        "status",
        "role",
        "campaign_kind",
        "officer_role",
    ] {
        for t in v[name].as_array().unwrap() {
            let zh = t["zh"].as_str().unwrap_or("");
            let en = t["en"].as_str().unwrap_or("");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name} {t}"
            );
            assert!(!en.is_empty() && en.is_ascii(), "{name} {t}");
        }
    }
    assert_eq!(v["kind"][0]["zh"], "驿站");
    assert_eq!(v["category"][0]["zh"], "进门难");
    assert_eq!(v["status"][2]["zh"], "办理中");
    // revalidation
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache");
    let again = send(
        &app,
        Request::get("/api/v1/vocabulary")
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_problem(&app, "/api/v1/vocabulary?lang=en", 400, Some("lang")).await;
    // documented, with its schema
    let doc = get(&app, "/api/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/vocabulary"]["get"].is_object());
    let schema = &doc["components"]["schemas"]["Vocabulary"];
    for name in ["kind", "category", "status"] {
        assert!(schema["properties"][name].is_object(), "{name}: {schema}");
    }
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = app();
    for uri in [
        "/api/v1/nearest?lon=112.95&lat=28.15",
        "/api/v1/nearest?lon=abc&lat=28",
        "/no/such/path",
        "/ogc?f=html",
        "/api/docs",
        "/",
        "/metrics",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(
            r.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{uri}"
        );
    }
    // 405 from axum and an invented method too.
    let r = send(
        &app,
        Request::builder()
            .method("AAAA1")
            .uri("/api/v1/nearest")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    // OGC HTML views: no script allowed at all.
    for uri in [
        "/ogc?f=html",
        "/ogc/collections?f=html",
        "/ogc/conformance?f=html",
    ] {
        let r = get(&app, uri).await;
        assert!(r.content_type().starts_with("text/html"), "{uri}");
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("script-src"), "{uri}: {csp}");
    }
    // The web map keeps its own policy (set in web.rs), which allows its own scripts.
    let r = get(&app, "/").await;
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = app();
    let h = get(&app, "/healthz").await.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["points"], fixtures().len());
    let r = get(&app, "/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    get(&app, "/api/v1/nearest?lon=112.9&lat=28.1").await;
    get(&app, "/api/v1/nearest?lon=112.9&lat=28.1").await;
    get(&app, "/api/v1/nearest?lon=112.9").await;
    get(&app, "/api/v1/points/st-wuyi").await;
    get(&app, "/no/such/thing").await;
    // Without an Accept header: the classic text format 0.0.4, counters' HELP/TYPE under
    // their `_total` name.
    let classic = get(&app, "/metrics").await;
    assert!(
        classic
            .content_type()
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        classic.content_type()
    );
    let classic = classic.text();
    assert!(classic.contains("# TYPE nuanxin_http_requests_total counter\n"));
    assert!(!classic.contains("# EOF"));
    assert!(classic.contains("nuanxin_build_info{version=\""));
    // Prometheus asks for OpenMetrics.
    let m = send(
        &app,
        Request::get("/metrics")
            .header(
                "accept",
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(m.content_type().contains("openmetrics-text"));
    let text = m.text();
    assert!(text.contains("# TYPE nuanxin_http_requests counter\n"));
    assert!(text.contains("# TYPE nuanxin_build info\n"));
    assert!(text.ends_with("# EOF\n"));
    assert!(
        text.contains(
            r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="400"} 1"#
    ));
    // route templates, not concrete ids
    assert!(text.contains(r#"route="/api/v1/points/{id}""#));
    assert!(text.contains(r#"route="unmatched",status="404""#));
    assert!(text.contains("nuanxin_http_request_duration_seconds_bucket"));
    let stations = fixtures()
        .iter()
        .filter(|p| p.kind == ServiceKind::Station)
        .count();
    assert!(text.contains(&format!(
        r#"nuanxin_index_points{{kind="station"}} {stations}"#
    )));
}

#[tokio::test]
async fn request_ids_compression_and_cors() {
    let app = app();
    let r = get(&app, "/healthz").await;
    assert!(r.headers.contains_key("x-request-id"));
    let r = send(
        &app,
        Request::get("/healthz")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.headers["x-request-id"], "abc-123");
    for enc in ["gzip", "br"] {
        let r = send(
            &app,
            Request::get("/api/v1/points?limit=50")
                .header(header::ACCEPT_ENCODING, enc)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.headers[header::CONTENT_ENCODING], enc);
    }
    // gzip body decodes to the same JSON (gzip magic 1f 8b per RFC 1952)
    let r = send(
        &app,
        Request::get("/api/v1/points?limit=50")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(&r.body[..2], &[0x1f, 0x8b]);
    // CORS off by default
    let r = send(
        &app,
        Request::get("/healthz")
            .header(header::ORIGIN, "https://a.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let app = app_with(Config {
        cors_origins: vec!["https://a.example".into()],
        ..Config::default()
    });
    let r = send(
        &app,
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/nearest")
            .header(header::ORIGIN, "https://a.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(
        r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://a.example"
    );
    let r = send(
        &app,
        Request::get("/healthz")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(!r.headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

// ---------------------------------------------------------------------------------------------
// The real binary
// ---------------------------------------------------------------------------------------------

#[test]
fn real_binary_answers_over_http_and_stops_on_sigterm() {
    let mut server = support::bin::Server::with_points(
        &fixtures(),
        &[("NUANXIN_CORS_ORIGINS", "[\"https://a.example\"]")],
    );
    let addr = server.addr.clone();
    let http_get = |addr: &str, path: &str, headers: &[(&str, &str)]| {
        let r = support::bin::http(addr, "GET", path, headers, "");
        (r.status, r.head, r.body)
    };
    let (status, head, body) = http_get(
        &addr,
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=gcj02&k=2",
            WUYI_GCJ.0, WUYI_GCJ.1
        ),
        &[("Origin", "https://a.example")],
    );
    assert_eq!(status, 200, "{head}\n{body}");
    let head_lc = head.to_ascii_lowercase();
    assert!(head_lc.contains("content-type: application/geo+json"));
    assert!(head_lc.contains("x-request-id: "));
    // the CORS origin came from the environment
    assert!(
        head_lc.contains("access-control-allow-origin: https://a.example"),
        "{head}"
    );
    let fc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(fc["features"][0]["id"], "st-wuyi");
    let (status, _, body) = http_get(&addr, "/api/v1/nearest?lon=1&lat=112", &[]);
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["param"],
        "lat"
    );
    let (status, _, body) = http_get(&addr, "/healthz", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["points"],
        fixtures().len()
    );
    // graceful shutdown on SIGTERM: exit status 0
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            assert!(st.success(), "exit status {st}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test]
async fn forged_host_and_forwarded_proto_are_not_reflected() {
    let app = app_with(Config {
        trust_forwarded_for: true,
        ..Config::default()
    });
    // Open311 discovery reflected Host unchecked.
    let r = send(
        &app,
        Request::get("/open311/v2/discovery.json")
            .header(header::HOST, "evil.example\"x<y")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("evil"), "{}", r.text());
    // OGC HTML took any X-Forwarded-Proto as the scheme of its links.
    let r = send(
        &app,
        Request::get("/ogc?f=html")
            .header(header::HOST, "example.org")
            .header("x-forwarded-proto", "javascript:alert(1)//")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text().contains("javascript:"), "{}", r.text());
    // issue 15: links took their host from `Host`; now from the configuration only
    // (default: the listen address)
    assert!(!r.text().contains("example.org"), "{}", r.text());
    assert!(
        r.text().contains("http://127.0.0.1:8080/ogc"),
        "{}",
        r.text()
    );
    let app = app_with(Config {
        trust_forwarded_for: true,
        public_url: Some("https://map.example.gov.cn".into()),
        ..Config::default()
    });
    for uri in [
        "/ogc",
        "/open311/v2/discovery.json",
        "/api/v1/points?limit=1",
    ] {
        let r = send(
            &app,
            Request::get(uri)
                .header(header::HOST, "attacker.example")
                .header("x-forwarded-host", "attacker.example")
                .header("x-forwarded-proto", "http")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.text().contains("attacker"), "{uri}: {}", r.text());
        assert!(
            r.text().contains("https://map.example.gov.cn/"),
            "{uri}: {}",
            r.text()
        );
    }
}
