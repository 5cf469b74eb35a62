//! Suggestions API through the real router (`tower::ServiceExt::oneshot`) over a real SQLite
//! file: lifecycle, roles, privacy scan, validation, duplicates, photos, campaigns, KPIs,
//! admin service points and the Open311 round trip.
//!
//! Reference values are computed independently with Python (geographiclib 2.0, shapely 2,
//! eviltransform 0.1) and written here with the call that produced them.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use nuanxin::index::ServiceIndex;
use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::{Category, NewSuggestion, OfficerRole, PublicNote, Status, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

mod support;
use support::http::Resp;

/// P: WGS-84 (113.03, 28.20), inside 430102 芙蓉区 (shapely: county polygon intersects P).
const P: [f64; 2] = [113.03, 28.20];
/// P in GCJ-02: eviltransform.wgs2gcj(28.20, 113.03) = (28.196735964985393, 113.03574984979922).
const P_GCJ: [f64; 2] = [113.03574984979922, 28.196735964985393];
/// T: (112.96, 28.08), inside 430103 天心区 (shapely).
const T: [f64; 2] = [112.96, 28.08];

struct App {
    router: Router,
    store: Arc<Store>,
    state: AppState,
    _dir: tempfile::TempDir,
}

fn fixture_points() -> Vec<ServicePoint> {
    let ll = |lon, lat| LonLat::new(lon, lat).unwrap();
    vec![
        // geographiclib: P→CP1 740.2782172004801 m, P→CP2 1480.6009798058462 m,
        // P→S 14.805709877614527 m (a station: nearer, but not a collection point)
        ServicePoint::new(
            "cp1",
            ServiceKind::CollectionPoint,
            "芙蓉区人民建议征集点",
            ll(113.035, 28.205),
        ),
        ServicePoint::new(
            "cp2",
            ServiceKind::CollectionPoint,
            "五一商圈征集点",
            ll(113.02, 28.19),
        ),
        ServicePoint::new(
            "s1",
            ServiceKind::Station,
            "暖新驿站",
            ll(113.0301, 28.2001),
        ),
    ]
}

fn app_with(config: Config) -> App {
    app_with_points(config, fixture_points())
}

fn app_with_points(config: Config, pts: Vec<ServicePoint>) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_for_test(dir.path()).unwrap());
    store.replace_service_points(&pts).unwrap();
    let mut state = AppState::new(config, ServiceIndex::new(pts).unwrap());
    state.store = Some(store.clone());
    App {
        router: server::router(state.clone()),
        store,
        state,
        _dir: dir,
    }
}

fn app() -> App {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    app_with(c)
}

async fn send(app: &App, req: Request<Body>) -> Resp {
    support::http::send(&app.router, req).await
}

fn from_ip(mut req: Request<Body>, ip: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

async fn get(app: &App, uri: &str) -> Resp {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_auth(app: &App, uri: &str, token: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn post_json(app: &App, uri: &str, body: Value, token: Option<&str>) -> Resp {
    let req = support::http::json_request(Method::POST, uri, &body, token);
    send(app, from_ip(req, "10.0.0.1")).await
}

/// `POST uri` with a JSON body and the reporter's receipt token in `X-Receipt-Token`.
async fn post_with_receipt(app: &App, uri: &str, body: Value, receipt: &str) -> Resp {
    post_with(app, uri, body, &[("x-receipt-token", receipt)]).await
}

/// `POST uri` with a JSON body and `headers`, from client 10.0.0.1.
async fn post_with(app: &App, uri: &str, body: Value, headers: &[(&str, &str)]) -> Resp {
    let mut req = support::http::json_request(Method::POST, uri, &body, None);
    for (k, v) in headers {
        req.headers_mut().insert(
            header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            header::HeaderValue::from_str(v).unwrap(),
        );
    }
    send(app, from_ip(req, "10.0.0.1")).await
}

/// `POST /open311/v2/requests.json` with a urlencoded `form` from client `ip`.
async fn post_open311_form(app: &App, form: String, ip: &str) -> Resp {
    send(
        app,
        from_ip(
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
            ip,
        ),
    )
    .await
}

async fn submit(app: &App, body: Value) -> Resp {
    post_json(app, "/api/v1/suggestions", body, None).await
}

fn token(app: &App, role: OfficerRole, adcodes: &[&str]) -> String {
    let adcodes: Vec<String> = adcodes.iter().map(|s| s.to_string()).collect();
    app.store.create_token(role, &adcodes, "王科长").unwrap().1
}

async fn count(app: &App) -> u64 {
    get(app, "/api/v1/suggestions").await.json()["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn gcj02_submission_is_routed_answered_resolved_and_counted() {
    let app = app();
    let r = submit(
        &app,
        json!({"location": P_GCJ, "crs": "gcj02", "category": "supplies",
               "description": "这条街没有地方喝水 💧", "role": "rider", "contact": "13912345678"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.headers[header::LOCATION].to_str().unwrap(),
        format!("/api/v1/suggestions/{id}")
    );
    // back to WGS-84 within 1e-6 degrees (≈ 0.1 m)
    assert!((v["location"][0].as_f64().unwrap() - P[0]).abs() < 1e-6);
    assert!((v["location"][1].as_f64().unwrap() - P[1]).abs() < 1e-6);
    assert_eq!(v["adcode"], "430102");
    assert_eq!(v["district_name"], "芙蓉区");
    assert_eq!(v["collection_point"]["id"], "cp1");
    let d = v["collection_point"]["distance_m"].as_f64().unwrap();
    assert!((d - 740.278).abs() < 0.1, "{d}");
    assert_eq!(v["status"], "submitted");
    assert!(v.get("contact").is_none());
    let receipt = v["receipt_token"].as_str().unwrap().to_string();

    // public list shows it without the contact
    let list = get(&app, "/api/v1/suggestions?status=open&adcode=430100").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["total"], 1);
    assert!(!list.text().contains("13912345678"));

    // an officer of 芙蓉区 answers and resolves
    let t = token(&app, OfficerRole::Officer, &["430102"]);
    let url = format!("/api/v1/suggestions/{id}/status");
    for (to, note) in [
        ("accepted", "已受理，转街道办"),
        ("in_progress", "正在协调设置饮水点"),
        ("resolved", "饮水点已在小区门口设立"),
    ] {
        let r = post_json(&app, &url, json!({"status": to, "note": note}), Some(&t)).await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.text());
        assert_eq!(r.json()["status"], to);
    }
    // resolved → in_progress is not a transition (only reopen to accepted)
    let r = post_json(
        &app,
        &url,
        json!({"status": "in_progress", "note": "x"}),
        Some(&t),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // public history: every change with note and time, no officer identity
    let pubv = get(&app, &format!("/api/v1/suggestions/{id}")).await;
    let h = pubv.json()["history"].as_array().unwrap().clone();
    assert_eq!(h.len(), 4);
    assert_eq!(h[3]["to"], "resolved");
    assert_eq!(h[3]["note"], "饮水点已在小区门口设立");
    assert!(!pubv.text().contains("王科长"));
    assert!(h.iter().all(|e| e.get("officer_name").is_none()));
    // officer view names the officer
    let off = get_auth(&app, &format!("/api/v1/suggestions/{id}"), &t).await;
    assert!(off.text().contains("王科长"));
    assert_eq!(off.json()["contact"]["value"], "13912345678");
    // reporter view with the receipt has the contact, not the officer
    let mine = get_with(
        &app,
        &format!("/api/v1/suggestions/{id}"),
        &[("x-receipt-token", &receipt)],
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.json()["contact"]["value"], "13912345678");
    assert!(!mine.text().contains("王科长"));
    let wrong = get_with(
        &app,
        &format!("/api/v1/suggestions/{id}"),
        &[("x-receipt-token", "nope")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    // the text Amap's coordinate picker copies is accepted as is
    let amap = format!("{:.6},{:.6}", P_GCJ[0], P_GCJ[1]);
    let r = submit(
        &app,
        json!({"location": amap, "crs": "gcj02", "category": "supplies", "description": "同上"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!((r.json()["location"][0].as_f64().unwrap() - P[0]).abs() < 2e-6);
    assert_eq!(
        r.json()["similar_nearby"],
        0,
        "the first one is resolved, not open"
    );
    let second = r.json()["id"].as_str().unwrap().to_string();
    post_json(
        &app,
        &format!("/api/v1/suggestions/{second}/status"),
        json!({"status": "declined", "note": "重复建议，已合并"}),
        Some(&t),
    )
    .await;

    // KPIs moved
    let s = get(&app, "/api/v1/stats?adcode=430102").await.json();
    assert_eq!(s["total"]["total"], 2);
    assert_eq!(s["total"]["by_status"]["resolved"], 1);
    assert_eq!(s["total"]["by_status"]["declined"], 1);
    assert_eq!(s["total"]["by_category"]["supplies"], 2);
    assert_eq!(s["districts"][0]["adcode"], "430102");
    assert!(s["total"]["median_hours_to_resolution"].as_f64().unwrap() >= 0.0);

    // the reporter reopens it with the receipt ("not fixed")
    let reopen = format!("/api/v1/suggestions/{id}/reopen");
    let note = json!({"note": "饮水点又撤了"});
    let r = post_json(&app, &reopen, note.clone(), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = post_with_receipt(&app, &reopen, note.clone(), "nope").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_with_receipt(&app, &reopen, note.clone(), &receipt).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "accepted");
    let last = r.json()["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["note"].as_str()),
        (Some("resolved"), Some("饮水点又撤了"))
    );
    let r = post_with_receipt(&app, &reopen, note.clone(), &receipt).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "already open");
    // officers may reopen too: resolve again, then reopen
    for (to, note) in [
        ("resolved", "已重新设立"),
        ("accepted", "居民反映饮水点已撤"),
    ] {
        let r = post_json(&app, &url, json!({"status": to, "note": note}), Some(&t)).await;
        assert_eq!(r.status, StatusCode::OK, "{to}");
    }
    assert_eq!(
        get(&app, "/api/v1/stats").await.json()["total"]["by_status"]["accepted"],
        1
    );
}

#[tokio::test]
async fn kpi_medians_per_district() {
    let app = app();
    let o = app
        .store
        .create_token(OfficerRole::Admin, &[], "admin")
        .unwrap()
        .0;
    let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    // answered after 2 h, 4 h, 9 h → median 4 h; resolved after 10 h and 30 h → median 20 h
    // (hand calculation); a fourth one in 天心区 is never answered.
    let plan = [(2, Some(10)), (4, Some(30)), (9, None)];
    for (answer_h, resolve_h) in plan {
        let (s, _) = app
            .store
            .insert_suggestion(new_suggestion(P, "2026-03-01T00:00:00Z"))
            .unwrap();
        let at = t("2026-03-01T00:00:00Z");
        app.store
            .transition(
                &s.id,
                Status::Accepted,
                &PublicNote::new("受理").unwrap(),
                &o,
                at + chrono::Duration::hours(answer_h),
            )
            .unwrap();
        if let Some(h) = resolve_h {
            app.store
                .transition(
                    &s.id,
                    Status::Resolved,
                    &PublicNote::new("办结").unwrap(),
                    &o,
                    at + chrono::Duration::hours(h),
                )
                .unwrap();
        }
    }
    let mut n = new_suggestion(T, "2026-03-02T00:00:00Z");
    n.adcode = Some("430103".into());
    app.store.insert_suggestion(n).unwrap();

    let s = get(&app, "/api/v1/stats?adcode=430100&since=2026-03-01")
        .await
        .json();
    assert_eq!(s["total"]["total"], 4);
    let d: Vec<&Value> = s["districts"].as_array().unwrap().iter().collect();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["adcode"], "430102");
    assert_eq!(d[0]["median_hours_to_first_answer"], 4.0);
    assert_eq!(d[0]["median_hours_to_resolution"], 20.0);
    assert_eq!(d[0]["by_status"]["accepted"], 1);
    assert_eq!(d[0]["by_status"]["resolved"], 2);
    assert_eq!(d[1]["adcode"], "430103");
    assert_eq!(d[1]["median_hours_to_first_answer"], Value::Null);
    // since after everything → nothing
    let s = get(&app, "/api/v1/stats?since=2026-04-01T00:00:00Z")
        .await
        .json();
    assert_eq!(s["total"]["total"], 0);
    let bad = get(&app, "/api/v1/stats?since=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

fn new_suggestion(at: [f64; 2], created: &str) -> NewSuggestion {
    let p = LonLat::new(at[0], at[1]).unwrap();
    NewSuggestion {
        location: p,
        input_location: p,
        input_crs: nuanxin::crs::Crs::Wgs84,
        category: Category::Rest,
        description: "没有休息的地方".into(),
        role: None,
        contact: None,
        email: None,
        first_name: None,
        last_name: None,
        campaign_id: None,
        adcode: Some("430102".into()),
        collection_point: None,
        photo: None,
        created_at: created.parse().unwrap(),
    }
}

#[tokio::test]
async fn write_endpoints_need_a_token_and_the_right_role() {
    let app = app();
    let a = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "没地方停电动车"}),
    )
    .await;
    let id_p = a.json()["id"].as_str().unwrap().to_string();
    let b = submit(
        &app,
        json!({"location": T, "category": "parking", "description": "没地方停车"}),
    )
    .await;
    let id_t = b.json()["id"].as_str().unwrap().to_string();
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let admin = token(&app, OfficerRole::Admin, &[]);
    let status = json!({"status": "accepted", "note": "已受理"});
    let campaign = json!({"id": "c1", "kind": "special", "title": "停车专项", "starts_at": "2026-01-01T00:00:00Z"});
    let point = json!({"kind": "station", "name": "新驿站", "location": P});

    // 401 without a token, and with a bad one
    for tok in [None, Some("nxo_bogus")] {
        let r = post_json(
            &app,
            &format!("/api/v1/suggestions/{id_p}/status"),
            status.clone(),
            tok,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
        let r = post_json(&app, "/api/v1/admin/campaigns", campaign.clone(), tok).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    for uri in [
        "/api/v1/admin/audit",
        "/api/v1/admin/suggestions/export",
        "/api/v1/admin/whoami",
    ] {
        assert_eq!(
            get(&app, uri).await.status,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
    }
    let put = |tok: Option<&str>| {
        let mut b = Request::put("/api/v1/admin/points/new1")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = tok {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::from(point.to_string())).unwrap()
    };
    assert_eq!(send(&app, put(None)).await.status, StatusCode::UNAUTHORIZED);
    let del = Request::delete("/api/v1/admin/points/cp1")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, del).await.status, StatusCode::UNAUTHORIZED);

    // 403 outside the officer's district / role
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{id_t}/status"),
        status.clone(),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        campaign.clone(),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get_auth(&app, "/api/v1/admin/audit", &officer).await.status,
        StatusCode::FORBIDDEN
    );
    let r = send(
        &app,
        Request::put("/api/v1/admin/points/far")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {officer}"))
            .body(Body::from(
                json!({"kind": "station", "name": "天心驿站", "location": T}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // allowed
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{id_p}/status"),
        status.clone(),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{id_t}/status"),
        status.clone(),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        campaign.clone(),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        send(&app, put(Some(&officer))).await.status,
        StatusCode::CREATED
    );

    // officers export only their districts; the export is audited
    let csv = get_auth(
        &app,
        "/api/v1/admin/suggestions/export?format=csv",
        &officer,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with(&[0xEF, 0xBB, 0xBF]),
        "CSV starts with the UTF-8 BOM"
    );
    let text = csv.text();
    assert!(text.contains(&id_p) && !text.contains(&id_t));
    let gj = get_auth(
        &app,
        "/api/v1/admin/suggestions/export?format=geojson",
        &admin,
    )
    .await
    .json();
    assert_eq!(gj["type"], "FeatureCollection");
    assert_eq!(gj["features"].as_array().unwrap().len(), 2);
    let audit = get_auth(&app, "/api/v1/admin/audit", &admin).await.json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "suggestion.status",
        "campaign.create",
        "point.upsert",
        "suggestion.export",
        "token.create",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn public_responses_never_contain_the_contact() {
    let app = app();
    let phone = "13912345678";
    let wechat = "RiderLi_2026";
    let id_card = "11010519491231002X";
    let r1 = submit(
        &app,
        json!({"location": P, "category": "rights", "contact": phone,
               "description": format!("站长拖欠工资，请打我电话{phone}或座机0731-84567890，身份证{id_card}")}),
    )
    .await;
    assert_eq!(r1.status, StatusCode::CREATED);
    let r2 = submit(
        &app,
        json!({"location": P, "category": "rights", "contact": wechat,
               "description": format!("加我微信 {wechat} 细聊，手机 139 1234 5678")}),
    )
    .await;
    assert_eq!(r2.status, StatusCode::CREATED);
    let id1 = r1.json()["id"].as_str().unwrap().to_string();
    let id2 = r2.json()["id"].as_str().unwrap().to_string();
    // officers listing with their token see the original of their districts
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let l = get_auth(&app, "/api/v1/suggestions", &officer).await;
    assert!(l.text().contains(id_card) && l.text().contains(phone));
    let other = token(&app, OfficerRole::Officer, &["430103"]);
    let l = get_auth(&app, "/api/v1/suggestions", &other).await;
    assert!(!l.text().contains(id_card) && !l.text().contains(phone));
    // an officer answer that itself quotes a number is masked in public too
    let admin = token(&app, OfficerRole::Admin, &[]);
    post_json(
        &app,
        &format!("/api/v1/suggestions/{id1}/status"),
        json!({"status": "accepted", "note": format!("已联系{phone}")}),
        Some(&admin),
    )
    .await;
    let p_str = format!("{},{}", P[0], P[1]);
    let public = [
        "/api/v1/suggestions".to_string(),
        "/api/v1/suggestions?category=rights&status=open".to_string(),
        format!("/api/v1/suggestions/{id1}"),
        format!("/api/v1/suggestions/{id2}"),
        format!(
            "/api/v1/suggestions/nearby?lon={}&lat={}&category=rights",
            P[0], P[1]
        ),
        "/api/v1/stats".to_string(),
        "/api/v1/campaigns".to_string(),
        "/open311/v2/requests.json".to_string(),
        format!("/open311/v2/requests.json?service_request_id={id1},{id2}"),
        format!("/open311/v2/requests/{id1}.json"),
        format!("/open311/v2/requests/{id2}.json"),
        format!("/api/v1/suggestions?bbox={p_str},{p_str}"),
        "/ogc/collections/suggestions".to_string(),
        "/ogc/collections/suggestions/items".to_string(),
        format!("/ogc/collections/suggestions/items/{id1}"),
        format!("/ogc/collections/suggestions/items?bbox={p_str},{p_str}&limit=1"),
    ];
    let mut bodies = vec![r1.text(), r2.text()];
    for uri in &public {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
        bodies.push(r.text());
    }
    for (i, b) in bodies.iter().enumerate() {
        for secret in [
            phone,
            wechat,
            "RIDERLI_2026",
            id_card,
            "84567890",
            "139 1234 5678",
            "1234 5678",
        ] {
            assert!(!b.contains(secret), "response {i} leaks {secret}: {b}");
        }
        assert!(
            !b.contains("\"contact\""),
            "response {i} has a contact field"
        );
    }
    // the masks are there, and officers see the original
    let one = get(&app, &format!("/api/v1/suggestions/{id1}"))
        .await
        .json();
    assert_eq!(
        one["description"],
        "站长拖欠工资，请打我电话[手机号已隐藏]或座机[电话已隐藏]，身份证[身份证号已隐藏]"
    );
    let off = get_auth(&app, &format!("/api/v1/suggestions/{id1}"), &admin).await;
    assert!(off.text().contains(id_card));
    // the OGC API collection serves the same public features
    let items = get(&app, "/ogc/collections/suggestions/items").await.json();
    assert_eq!(items["numberMatched"], 2);
    let f = &items["features"][1];
    assert_eq!(f["id"], id1.as_str());
    assert_eq!(f["geometry"]["coordinates"], json!(P));
    assert_eq!(f["properties"]["description"], one["description"]);
}

#[tokio::test]
async fn bad_input_is_a_400_problem_and_stores_nothing() {
    let app = app();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"location": [472.98, 28.2], "category": "rest", "description": "x"}),
            "lon",
            "outside",
        ),
        (
            json!({"location": [28.2, 113.03], "category": "rest", "description": "x"}),
            "lat",
            "swapped",
        ),
        (
            json!({"location": [113.03], "category": "rest", "description": "x"}),
            "location",
            "[lon, lat]",
        ),
        (
            json!({"location": "113.03;28.2", "category": "rest", "description": "x"}),
            "location",
            "not a number",
        ),
        (
            json!({"category": "rest", "description": "x"}),
            "location",
            "required",
        ),
        (
            json!({"location": [116.4, 39.9], "category": "rest", "description": "x"}),
            "location",
            "service area",
        ),
        (
            json!({"location": P, "category": "potholes", "description": "x"}),
            "category",
            "entry_access",
        ),
        (
            json!({"location": P, "description": "x"}),
            "category",
            "required",
        ),
        (
            json!({"location": P, "category": "rest", "description": "   "}),
            "description",
            "required",
        ),
        (
            json!({"location": P, "category": "rest", "description": "a".repeat(2001)}),
            "description",
            "2,000",
        ),
        (
            json!({"location": P, "category": "rest", "description": "x\u{0}y"}),
            "description",
            "control",
        ),
        (
            json!({"location": P, "category": "rest", "description": "x", "contact": "12345"}),
            "contact",
            "mobile",
        ),
        (
            json!({"location": P, "category": "rest", "description": "x", "role": "pilot"}),
            "role",
            "courier",
        ),
        (
            json!({"location": P, "category": "rest", "description": "x", "crs": "utm"}),
            "crs",
            "gcj02",
        ),
        (
            json!({"location": P, "category": "rest", "description": "x", "campaign_id": "nope"}),
            "campaign_id",
            "no campaign",
        ),
        (
            json!({"location": ["a", 1], "category": "rest", "description": "x"}),
            "",
            "",
        ),
    ];
    for (body, param, needle) in cases {
        let r = submit(&app, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text());
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        let p = r.json();
        if !param.is_empty() {
            assert_eq!(p["param"], param, "{body}: {p}");
        }
        assert!(
            p["detail"].as_str().unwrap().contains(needle) || p.to_string().contains(needle),
            "{body}: {p}"
        );
    }
    // the unknown category lists the nine valid ones
    let r = submit(
        &app,
        json!({"location": P, "category": "potholes", "description": "x"}),
    )
    .await;
    assert_eq!(r.json()["valid"].as_array().unwrap().len(), 9);
    // NaN cannot be written in JSON; the multipart form can say it
    let r = send(
        &app,
        multipart(
            &[
                ("location", b"NaN,28.2"),
                ("category", b"rest"),
                ("description", b"x"),
            ],
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "lon");
    // malformed JSON
    let r = send(
        &app,
        from_ip(
            Request::post("/api/v1/suggestions")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{"))
                .unwrap(),
            "10.0.0.1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // a photo over 5 MiB is 413; a GIF is 400
    let big = vec![0xFFu8; 5 * 1024 * 1024 + 10];
    let r = send(
        &app,
        multipart(
            &[
                ("location", b"113.03,28.2"),
                ("category", b"rest"),
                ("description", b"x"),
            ],
            Some(&big),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let r = send(
        &app,
        multipart(
            &[
                ("location", b"113.03,28.2"),
                ("category", b"rest"),
                ("description", b"x"),
            ],
            Some(b"GIF89a\x01\x00"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["param"], "photo");
    // a body over the server's limit is 413, not 5xx
    let huge =
        json!({"location": P, "category": "rest", "description": "x".repeat(7 * 1024 * 1024)});
    assert_eq!(
        submit(&app, huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(count(&app).await, 0, "nothing partial stored");

    // the limits themselves are fine: 2,000 characters of 4-byte emoji, byte-exact
    let text: String = "🛵".repeat(1999) + "é";
    let r = submit(
        &app,
        json!({"location": P, "category": "rest", "description": text}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let back = get(&app, &format!("/api/v1/suggestions/{id}")).await.json();
    assert_eq!(
        back["description"].as_str().unwrap().as_bytes(),
        text.as_bytes()
    );
    // unknown filters on the list are 400 too
    assert_eq!(
        get(&app, "/api/v1/suggestions?status=lost").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/v1/suggestions?bbox=1,2,3").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/v1/suggestions?adcode=999999").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/api/v1/suggestions/S0-NOPE").await.status,
        StatusCode::NOT_FOUND
    );
}

fn multipart(fields: &[(&str, &[u8])], photo: Option<&[u8]>) -> Request<Body> {
    let boundary = "XnuanxinBOUNDARY";
    let mut body: Vec<u8> = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    if let Some(p) = photo {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    from_ip(
        Request::post("/api/v1/suggestions")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
        "10.0.0.1",
    )
}

/// A JPEG with an EXIF segment carrying a fake GPS string (SOI, APP0, APP1, COM, DQT, SOF0,
/// DHT, SOS + 1 byte, EOI; ITU T.81 B.1 layout).
fn jpeg_with_exif() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    let seg = |v: &mut Vec<u8>, marker: u8, body: &[u8]| {
        v.extend_from_slice(&[0xFF, marker]);
        v.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(body);
    };
    seg(&mut v, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    seg(&mut v, 0xE1, b"Exif\0\0MM\0*GPS 28.2012N 113.0340E HOME");
    seg(&mut v, 0xFE, b"taken at HOME");
    seg(&mut v, 0xDB, &[0u8; 65]);
    seg(&mut v, 0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
    seg(&mut v, 0xC4, &[0u8; 17]);
    seg(&mut v, 0xDA, &[1, 1, 0, 0, 63, 0]);
    v.extend_from_slice(&[0x00, 0xFF, 0xD9]);
    v
}

#[tokio::test]
async fn photo_is_stripped_and_private() {
    let app = app();
    let jpg = jpeg_with_exif();
    let r = send(
        &app,
        multipart(
            &[
                ("location", b"[113.03, 28.2]"),
                ("category", b"safety_hazard"),
                ("description", "井盖缺失 ⚠️".as_bytes()),
                ("contact", b"13912345678"),
            ],
            Some(&jpg),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    assert_eq!(v["has_photo"], true);
    assert!(v.get("photo_url").is_none());
    let id = v["id"].as_str().unwrap();
    let receipt = v["receipt_token"].as_str().unwrap();
    let url = format!("/api/v1/suggestions/{id}/photo");
    assert_eq!(get(&app, &url).await.status, StatusCode::UNAUTHORIZED);
    let mine = send(
        &app,
        Request::get(&url)
            .header("x-receipt-token", receipt)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.headers[header::CONTENT_TYPE], "image/jpeg");
    let has = |h: &[u8], n: &[u8]| h.windows(n.len()).any(|w| w == n);
    assert!(!has(&mine.body, b"HOME") && !has(&mine.body, b"Exif"));
    assert!(has(&mine.body, b"JFIF"));
    // the original minus APP1 and COM: 2 + 18 + 67 + 11 + 19 + 8 + 3 bytes
    assert_eq!(mine.body.len(), jpg.len() - (2 + 2 + 37) - (2 + 2 + 13));
    let full = get_with(
        &app,
        &format!("/api/v1/suggestions/{id}"),
        &[("x-receipt-token", receipt)],
    )
    .await
    .json();
    assert_eq!(full["photo"]["media_type"], "image/jpeg");
    assert_eq!(full["photo_url"], url);
}

#[tokio::test]
async fn nearby_finds_open_duplicates_nearest_first_and_support_dedupes() {
    let app = app();
    // N: 250 m due north of P (geographiclib Direct(28.20, 113.03, 0°, 250 m) → lat 28.20225585549003)
    let n = [113.03, 28.20225585549003];
    let a = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "A"}),
    )
    .await
    .json();
    let b = submit(
        &app,
        json!({"location": n, "category": "parking", "description": "B"}),
    )
    .await
    .json();
    let c = submit(
        &app,
        json!({"location": P, "category": "rest", "description": "C"}),
    )
    .await
    .json();
    assert_eq!(
        b["similar_nearby"], 0,
        "A is 250 m away, beyond the 200 m parking radius"
    );
    assert_eq!(c["similar_nearby"], 0, "another category");
    let q = format!(
        "/api/v1/suggestions/nearby?lon={}&lat={}&category=parking",
        P[0], P[1]
    );
    let r = get(&app, &q).await.json();
    assert_eq!(r["radius_m"], 200.0);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["suggestion"]["id"], a["id"]);
    let r = get(&app, &format!("{q}&radius_m=300")).await.json();
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["suggestion"]["id"], a["id"]);
    assert_eq!(items[1]["suggestion"]["id"], b["id"]);
    assert!((items[1]["distance_m"].as_f64().unwrap() - 250.0).abs() <= 0.05);
    assert_eq!(
        get(&app, &format!("{q}&radius_m=-1")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, &format!("{q}&radius_m=1e9")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(
            &app,
            &format!(
                "/api/v1/suggestions/nearby?lon={}&lat={}&category=x",
                P[0], P[1]
            )
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    // a GCJ-02 query finds the same
    let r = get(
        &app,
        &format!(
            "/api/v1/suggestions/nearby?lon={}&lat={}&category=parking&crs=gcj02",
            P_GCJ[0], P_GCJ[1]
        ),
    )
    .await
    .json();
    assert_eq!(r["items"][0]["suggestion"]["id"], a["id"]);

    let id = a["id"].as_str().unwrap();
    let sup = |ip: &str| {
        from_ip(
            Request::post(format!("/api/v1/suggestions/{id}/support"))
                .body(Body::empty())
                .unwrap(),
            ip,
        )
    };
    assert_eq!(
        send(&app, sup("10.1.1.1")).await.json(),
        json!({"supporters": 1, "counted": true})
    );
    assert_eq!(
        send(&app, sup("10.1.1.1")).await.json(),
        json!({"supporters": 1, "counted": false})
    );
    assert_eq!(send(&app, sup("10.1.1.2")).await.json()["supporters"], 2);
    let pubv = get(&app, &format!("/api/v1/suggestions/{id}")).await;
    assert_eq!(pubv.json()["supporters"], 2);
    assert!(!pubv.text().contains("10.1.1."));
    let missing = from_ip(
        Request::post("/api/v1/suggestions/S-NOPE/support")
            .body(Body::empty())
            .unwrap(),
        "10.1.1.1",
    );
    assert_eq!(send(&app, missing).await.status, StatusCode::NOT_FOUND);

    // resolved ones drop out of the duplicate search
    let admin = token(&app, OfficerRole::Admin, &[]);
    post_json(
        &app,
        &format!("/api/v1/suggestions/{id}/status"),
        json!({"status": "declined", "note": "已有停车点"}),
        Some(&admin),
    )
    .await;
    let r = get(&app, &q).await.json();
    assert_eq!(r["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn campaigns_validate_window_category_and_area() {
    let app = app();
    let admin = token(&app, OfficerRole::Admin, &[]);
    let mk = |id: &str, start: &str, end: &str| {
        json!({"id": id, "kind": "themed", "title": "暑期子女托管", "categories": ["childcare"],
               "adcode": "430100", "starts_at": start, "ends_at": end})
    };
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        mk("summer", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        mk("summer", "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        mk("past", "2020-01-01T00:00:00Z", "2020-02-01T00:00:00Z"),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = post_json(
        &app,
        "/api/v1/admin/campaigns",
        mk("bad", "2020-02-01T00:00:00Z", "2020-01-01T00:00:00Z"),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let list = get(&app, "/api/v1/campaigns?open=true").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["kind_label_zh"], "主题征集");

    let ok = submit(&app, json!({"location": P, "category": "childcare", "description": "暑假孩子没人看", "campaign_id": "summer"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text());
    assert_eq!(ok.json()["campaign_id"], "summer");
    let r = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "x", "campaign_id": "summer"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["valid"], json!(["childcare"]));
    let r = submit(
        &app,
        json!({"location": P, "category": "childcare", "description": "x", "campaign_id": "past"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // (112.94, 27.86) lies outside 长沙市 430100 (shapely: county 430304 岳塘区 of 湘潭市)
    let r = submit(&app, json!({"location": [112.94, 27.86], "category": "childcare", "description": "x", "campaign_id": "summer"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(
        get(&app, "/api/v1/suggestions?campaign_id=summer")
            .await
            .json()["total"],
        1
    );
}

#[tokio::test]
async fn admin_point_edits_update_the_live_index() {
    let app = app();
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    // a collection point right at P makes it the nearest for new suggestions
    let r = send(
        &app,
        Request::put("/api/v1/admin/points/cp-near")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {officer}"))
            .body(Body::from(
                json!({"kind": "collection_point", "name": "社区征集点", "location": P})
                    .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["adcode"], "430102");
    assert!(app.state.index().get("cp-near").is_some());
    assert!(app.store.service_point("cp-near").unwrap().is_some());
    let s = submit(
        &app,
        json!({"location": P, "category": "rest", "description": "x"}),
    )
    .await
    .json();
    assert_eq!(s["collection_point"]["id"], "cp-near");
    assert_eq!(s["collection_point"]["distance_m"], 0.0);
    // body id must match the path
    let r = send(
        &app,
        Request::put("/api/v1/admin/points/cp-near")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {officer}"))
            .body(Body::from(
                json!({"id": "other", "kind": "station", "name": "x", "location": P}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = send(
        &app,
        Request::delete("/api/v1/admin/points/cp-near")
            .header(header::AUTHORIZATION, format!("Bearer {officer}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(app.state.index().get("cp-near").is_none());
    assert!(app.store.service_point("cp-near").unwrap().is_none());
    let s = submit(
        &app,
        json!({"location": P, "category": "rest", "description": "y"}),
    )
    .await
    .json();
    assert_eq!(s["collection_point"]["id"], "cp1");
}

#[tokio::test]
async fn open311_round_trip() {
    let app = app();
    let d = get(&app, "/open311/v2/discovery.json").await.json();
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    let services = get(&app, "/open311/v2/services.json").await.json();
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, Category::codes());

    // form-encoded POST, as GeoReport v2 specifies (lat/long WGS-84)
    let form = format!(
        "service_code=entry_access&lat={}&long={}&description=%E5%B0%8F%E5%8C%BA%E4%B8%8D%E8%AE%A9%E9%AA%91%E6%89%8B%E8%BF%9B+%F0%9F%9B%B5&phone=13912345678",
        P[1], P[0]
    );
    let r = post_open311_form(&app, form, "10.2.2.2").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let created = r.json();
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created[0]["receipt_token"].as_str().unwrap().len() >= 32);

    let one = get(&app, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one.status, StatusCode::OK);
    let sr = &one.json()[0];
    assert_eq!(sr["service_request_id"], id);
    assert_eq!(sr["service_code"], "entry_access");
    assert_eq!(sr["status"], "open");
    assert_eq!(sr["description"], "小区不让骑手进 🛵");
    assert!((sr["lat"].as_f64().unwrap() - P[1]).abs() < 1e-12);
    assert!((sr["long"].as_f64().unwrap() - P[0]).abs() < 1e-12);
    assert!(!one.text().contains("13912345678"));
    // it is a suggestion like any other
    assert_eq!(
        get(&app, &format!("/api/v1/suggestions/{id}")).await.json()["category"],
        "entry_access"
    );

    let admin = token(&app, OfficerRole::Admin, &[]);
    post_json(
        &app,
        &format!("/api/v1/suggestions/{id}/status"),
        json!({"status": "accepted", "note": "已协调物业"}),
        Some(&admin),
    )
    .await;
    post_json(
        &app,
        &format!("/api/v1/suggestions/{id}/status"),
        json!({"status": "resolved", "note": "小区已开通骑手码"}),
        Some(&admin),
    )
    .await;
    let sr = get(&app, &format!("/open311/v2/requests/{id}.json"))
        .await
        .json();
    assert_eq!(sr[0]["status"], "closed");
    assert_eq!(sr[0]["status_notes"], "小区已开通骑手码");
    assert_eq!(
        get(&app, "/open311/v2/requests.json?status=closed")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&app, "/open311/v2/requests.json?status=open")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        get(&app, "/open311/v2/requests.json?service_code=parking")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        get(&app, "/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2001-01-01T00:00:00Z").await.json().as_array().unwrap().len(),
        0
    );

    // errors in the GeoReport format
    let r = get(&app, "/open311/v2/requests/S-NOPE.json").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()[0]["code"], 404);
    let r = get(&app, "/open311/v2/requests.json?status=pending").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = send(
        &app,
        Request::post("/open311/v2/requests.json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                "service_code=parking&address_string=Main+St&description=x",
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()[0]["description"]
        .as_str()
        .unwrap()
        .contains("address_string"));
    let r = send(
        &app,
        Request::post("/open311/v2/requests.json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "service_code=bogus&lat={}&long={}&description=x",
                P[1], P[0]
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app).await, 1);
}

#[tokio::test]
async fn submissions_are_rate_limited_per_client_ip() {
    let mut c = Config::default();
    c.rate_limit.enabled = true;
    c.rate_limit.per_minute = 1;
    c.rate_limit.burst = 2;
    let app = app_with(c);
    let body = json!({"location": P, "category": "rest", "description": "x"});
    let req = |ip: &str| {
        from_ip(
            Request::post("/api/v1/suggestions")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            ip,
        )
    };
    assert_eq!(
        send(&app, req("10.9.0.1")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app, req("10.9.0.1")).await.status,
        StatusCode::CREATED
    );
    let r = send(&app, req("10.9.0.1")).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    // one token per 60 s at per_minute = 1
    assert_eq!(r.headers[header::RETRY_AFTER], "60");
    assert_eq!(
        send(&app, req("10.9.0.2")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(count(&app).await, 3);
}

#[tokio::test]
async fn openapi_lists_the_routes() {
    let doc = serde_json::to_value(server::openapi()).unwrap();
    for p in [
        "/api/v1/suggestions",
        "/api/v1/suggestions/nearby",
        "/api/v1/suggestions/{id}/status",
        "/api/v1/stats",
        "/open311/v2/requests.json",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p}");
    }
}

/// GDAL's OGC API – Features driver reads the `suggestions` collection from the real server
/// (public fields only). Skipped without `ogrinfo` unless `NUANXIN_REQUIRE_GDAL=1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_reads_the_suggestions_collection() {
    if !support::mvt::ogrinfo_available() {
        return;
    }
    // Absolute links (paging) come from `public_url`, not the Host header: point it at the
    // address the router is served on, as `serve` does with the address it binds.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    c.public_url = Some(format!("http://{addr}"));
    let app = app_with(c);
    let mut ids = Vec::new();
    for (i, at) in [P, T, [113.0, 28.21]].iter().enumerate() {
        let r = submit(
            &app,
            json!({"location": at, "category": "rest", "description": format!("第{i}条 电话13912345678"), "contact": "13912345678"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let url = format!("OAPIF:http://{addr}/ogc");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ogrinfo")
            .args(["-ro", "-al", "-oo", "PAGE_SIZE=2", &url, "suggestions"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("OGRFeature(").count(), 3, "{text}");
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} missing: {text}");
    }
    assert!(!text.contains("13912345678"), "{text}");
    assert!(text.contains("[手机号已隐藏]"), "{text}");
    assert!(text.contains("POINT (113.03 28.2)"), "{text}");
}

/// Arbitrary field values never produce a 5xx: every answer is 201 or a 4xx problem, and
/// every 201 is readable afterwards.
#[test]
fn arbitrary_submissions_never_5xx() {
    use proptest::prelude::*;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = app();
    let coord = prop_oneof![
        Just(f64::MAX),
        Just(-0.0),
        Just(1e-320),
        -200.0f64..200.0,
        112.0f64..114.5,
        27.0f64..29.5,
    ];
    let text = prop_oneof![
        Just(String::new()),
        "\\PC{0,40}",
        Just("parking".to_string()),
        Just("gcj02".to_string()),
        Just("13912345678".to_string()),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 96,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(
                coord.clone(),
                coord,
                text.clone(),
                text.clone(),
                text.clone(),
                text.clone(),
                text,
            ),
            |(lon, lat, cat, desc, contact, role, crs)| {
                let body = json!({"location": [lon, lat], "category": cat, "description": desc,
                                  "contact": contact, "role": role, "crs": crs});
                let r = rt.block_on(submit(&app, body.clone()));
                prop_assert!(
                    r.status == StatusCode::CREATED || r.status == StatusCode::BAD_REQUEST,
                    "{body}: {} {}",
                    r.status,
                    r.text()
                );
                if r.status == StatusCode::CREATED {
                    let id = r.json()["id"].as_str().unwrap().to_string();
                    let back = rt.block_on(get(&app, &format!("/api/v1/suggestions/{id}")));
                    prop_assert_eq!(back.status, StatusCode::OK);
                } else {
                    prop_assert_eq!(
                        r.headers[header::CONTENT_TYPE].to_str().unwrap(),
                        "application/problem+json"
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}

async fn put_point(app: &App, id: &str, body: Value, tok: &str) -> Resp {
    send(
        app,
        Request::put(format!("/api/v1/admin/points/{id}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// Regression: an officer of 430102 could create points in 岳麓区 (112.88, 28.22 lies in
/// 430104, shapely) by claiming `"adcode": "430102"`, and in Beijing (116.4, 39.9; outside
/// every shipped district); the district is now derived from the location.
#[tokio::test]
async fn admin_points_district_is_derived_from_the_location() {
    let app = app();
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let admin = token(&app, OfficerRole::Admin, &[]);
    let body = |loc: [f64; 2], adcode: Option<&str>| {
        let mut v = json!({"kind": "collection_point", "name": "x", "location": loc});
        if let Some(a) = adcode {
            v["adcode"] = json!(a);
        }
        v
    };
    // the tester's input: adcode disagrees with the location → 400 naming adcode
    let r = put_point(&app, "yl", body([112.88, 28.22], Some("430102")), &officer).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("adcode"), "{}", r.text());
    // without adcode: derived 430104, not the officer's → 403
    let r = put_point(&app, "yl", body([112.88, 28.22], None), &officer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Beijing: outside every district → 400 naming location, for admins as well
    for tok in [&officer, &admin] {
        let r = put_point(&app, "bj", body([116.4, 39.9], Some("430102")), tok).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(r.json()["param"], "location", "{}", r.text());
    }
    assert!(app.state.index().get("yl").is_none() && app.state.index().get("bj").is_none());
    assert!(app.store.service_point("bj").unwrap().is_none());
    // a matching adcode is fine; admin may place in 430104 and gets the derived adcode
    let r = put_point(&app, "ok", body(P, Some("430102")), &officer).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = put_point(&app, "yl", body([112.88, 28.22], None), &admin).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["adcode"], "430104");
    // moving the officer's own point cp1 (430102) to T (430103) → 403, point unchanged
    let r = put_point(
        &app,
        "cp1",
        json!({"kind": "collection_point", "name": "搬走", "location": T}),
        &officer,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(app.state.index().get("cp1").unwrap().location.lon, 113.035);
    // a stored point at T whose recorded adcode wrongly says 430102 may not be deleted
    // or edited by the 430102 officer
    let mut wrong = ServicePoint::new(
        "mis",
        ServiceKind::Station,
        "错码驿站",
        LonLat::new(T[0], T[1]).unwrap(),
    );
    wrong.adcode = Some("430102".into());
    app.state.index.upsert(wrong.clone());
    let r = send(
        &app,
        Request::delete("/api/v1/admin/points/mis")
            .header(header::AUTHORIZATION, format!("Bearer {officer}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = put_point(
        &app,
        "mis",
        json!({"kind": "station", "name": "搬来", "location": P}),
        &officer,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(app.state.index().get("mis").is_some());
}

/// Regression: a 100,000-character name and a 5,000-rule `opening_hours` were accepted.
#[tokio::test]
async fn admin_points_text_fields_are_capped() {
    let app = app();
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let rules = vec!["Mo 08:00-09:00"; 5000].join("; ");
    let cases = [
        ("name", "名".repeat(100_000), 200),
        ("address", "路".repeat(501), 500),
        ("opening_hours", rules, 500),
        ("operator", "工".repeat(201), 200),
        ("phone", "1".repeat(51), 50),
    ];
    for (field, value, limit) in cases {
        let mut b = json!({"kind": "station", "name": "驿站", "location": P});
        b[field] = json!(value);
        let r = put_point(&app, field, b, &officer).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {}", r.text());
        assert_eq!(r.json()["param"], field, "{}", r.text());
        assert!(app.state.index().get(field).is_none());
        // exactly at the limit is accepted (opening_hours: a valid rule padded with spaces
        // is not a valid rule, so check a short one instead)
        let ok = if field == "opening_hours" {
            "Mo-Su 08:00-20:00".to_string()
        } else {
            "1".repeat(limit)
        };
        let mut b = json!({"kind": "station", "name": "驿站", "location": P});
        b[field] = json!(ok);
        let r = put_point(&app, field, b, &officer).await;
        assert!(r.status.is_success(), "{field}: {}", r.text());
    }
}

/// Regression: a repeated multipart `category` silently took the last value, a second
/// `photo` was accepted and unknown fields were ignored; JSON bodies ignored unknown fields.
#[tokio::test]
async fn repeated_and_unknown_submission_fields_are_rejected() {
    let app = app();
    let loc = format!("{},{}", P[0], P[1]);
    let jpg = jpeg_with_exif();
    let base: Vec<(&str, &[u8])> = vec![
        ("location", loc.as_bytes()),
        ("category", b"parking"),
        ("description", "没地方停车".as_bytes()),
    ];
    let with = |extra: &[(&'static str, &'static [u8])]| {
        let mut f = base.clone();
        f.extend_from_slice(extra);
        f
    };
    type Fields<'a> = Vec<(&'a str, &'a [u8])>;
    let cases: Vec<(Fields, &str)> = vec![
        (with(&[("category", b"rest")]), "category"),
        (with(&[("location", b"113.0,28.2")]), "location"),
        (with(&[("colour", b"red")]), "colour"),
    ];
    for (fields, param) in cases {
        let r = send(&app, multipart(&fields, Some(&jpg))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{param}: {}", r.text());
        assert_eq!(r.json()["param"], param, "{}", r.text());
    }
    // a second photo part
    let mut fields = base.clone();
    fields.push(("photo", &jpg));
    let r = send(&app, multipart(&fields, Some(&jpg))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "photo", "{}", r.text());
    // form-urlencoded: repeated field
    let r = send(
        &app,
        from_ip(
            Request::post("/api/v1/suggestions")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    "lon=113.03&lat=28.2&category=parking&category=rest&description=x",
                ))
                .unwrap(),
            "10.0.0.1",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "category", "{}", r.text());
    // JSON: unknown field
    let r = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "x", "photo_url": "http://x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "photo_url", "{}", r.text());
    assert_eq!(count(&app).await, 0);
    // the valid multipart submission is still accepted
    let r = send(&app, multipart(&base, Some(&jpg))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["category"], "parking");
    // status body: unknown field
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{id}/status"),
        json!({"status": "accepted", "note": "已受理", "assignee": "张三"}),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "assignee", "{}", r.text());
}

/// A PNG declaring `w` × `h` pixels in IHDR (signature, IHDR, IDAT, IEND; CRC-32 per PNG
/// spec §5.5 computed bitwise here). Only the header matters to the size check.
fn png_sized(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |v: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]| {
        v.extend_from_slice(&(body.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        let mut crc = 0xFFFF_FFFFu32;
        for b in kind.iter().chain(body) {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        v.extend_from_slice(&(!crc).to_be_bytes());
    };
    let ihdr = [&w.to_be_bytes()[..], &h.to_be_bytes(), &[8, 0, 0, 0, 0]].concat();
    chunk(&mut v, b"IHDR", &ihdr);
    chunk(&mut v, b"IDAT", &[0x78, 0x9C, 0x63, 0, 0, 0, 1, 0, 1]);
    chunk(&mut v, b"IEND", &[]);
    v
}

/// Regression: a 20000 × 20000 PNG (a decompression bomb) was accepted as a photo.
#[tokio::test]
async fn oversized_photo_dimensions_are_rejected() {
    let app = app();
    let loc = format!("{},{}", P[0], P[1]);
    let fields: Vec<(&str, &[u8])> = vec![
        ("location", loc.as_bytes()),
        ("category", b"parking"),
        ("description", "门口没地方停车".as_bytes()),
    ];
    let r = send(&app, multipart(&fields, Some(&png_sized(20_000, 20_000)))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "photo", "{}", r.text());
    assert_eq!(count(&app).await, 0);
    let r = send(&app, multipart(&fields, Some(&png_sized(4_000, 3_000)))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

/// On a border shared by 芙蓉区 430102 and 天心区 430103 (a vertex of both polygons) a point
/// may name either district, but not a third one.
#[tokio::test]
async fn admin_point_on_a_shared_border_may_name_either_district() {
    use geo::{CoordsIter, Intersects};
    let d = nuanxin::districts::Districts::embedded();
    let (a, b) = (d.get("430102").unwrap(), d.get("430103").unwrap());
    let v = a
        .geometry
        .coords_iter()
        .find(|c| b.geometry.intersects(&geo::Point::from(*c)))
        .expect("430102 and 430103 share a border vertex");
    let app = app();
    let admin = token(&app, OfficerRole::Admin, &[]);
    for (i, code) in ["430102", "430103"].into_iter().enumerate() {
        let r = put_point(
            &app,
            &format!("b{i}"),
            json!({"kind": "station", "name": "界上", "location": [v.x, v.y], "adcode": code}),
            &admin,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{code}: {}", r.text());
        assert_eq!(r.json()["adcode"], code);
    }
    let r = put_point(
        &app,
        "b3",
        json!({"kind": "station", "name": "界上", "location": [v.x, v.y], "adcode": "430104"}),
        &admin,
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["param"], "adcode");
}

#[tokio::test]
async fn rejected_submissions_do_not_use_up_the_rate_limit() {
    // Regression: a resident who got three 400s (swapped coordinates, a category typo, no
    // description) was then locked out with 429 before filing the corrected suggestion.
    let mut c = Config::default();
    c.rate_limit.enabled = true;
    c.rate_limit.per_minute = 1;
    c.rate_limit.burst = 2;
    let app = app_with(c);
    let req = |body: Value| {
        from_ip(
            Request::post("/api/v1/suggestions")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            "10.9.1.1",
        )
    };
    let bad = [
        json!({"location": [P[1], P[0]], "category": "rest", "description": "x"}),
        json!({"location": P, "category": "rset", "description": "x"}),
        json!({"location": P, "category": "rest"}),
    ];
    for b in bad {
        assert_eq!(send(&app, req(b)).await.status, StatusCode::BAD_REQUEST);
    }
    let good = json!({"location": P, "category": "rest", "description": "x"});
    for _ in 0..2 {
        assert_eq!(
            send(&app, req(good.clone())).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(
        send(&app, req(good)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(count(&app).await, 2);
}

#[tokio::test]
async fn the_responsible_collection_point_is_in_the_suggestions_district() {
    // Regression: a suggestion in 芙蓉区 was handed to a 天心区 collection point that happened
    // to be nearer. P is in 430102; the 430103 point is 14.8 m away, the 430102 one 740 m
    // (geographiclib distances of the fixture above).
    let ll = |lon, lat| LonLat::new(lon, lat).unwrap();
    let mut near = ServicePoint::new(
        "cp-other",
        ServiceKind::CollectionPoint,
        "邻区征集点",
        ll(113.0301, 28.2001),
    );
    near.adcode = Some("430103".into());
    let mut own = ServicePoint::new(
        "cp-own",
        ServiceKind::CollectionPoint,
        "本区征集点",
        ll(113.035, 28.205),
    );
    own.adcode = Some("430102".into());
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    let app = app_with_points(c, vec![near, own]);
    let r = post_json(
        &app,
        "/api/v1/suggestions",
        json!({"location": P, "category": "rest", "description": "没有歇脚的地方"}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let s = if v["suggestion"].is_object() {
        &v["suggestion"]
    } else {
        &v
    };
    assert_eq!(s["adcode"], "430102");
    assert_eq!(s["collection_point"]["id"], "cp-own");
}

#[tokio::test]
async fn tracking_ids_are_found_as_people_type_them() {
    // Regression: `s20261129-73w4dn` (typed in lower case from a receipt) was a 404.
    let app = app();
    let r = post_json(
        &app,
        "/api/v1/suggestions",
        json!({"location": P, "category": "rest", "description": "x"}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let id = v["id"].as_str().unwrap().to_string();
    let typed = id.to_lowercase();
    let got = get(&app, &format!("/api/v1/suggestions/{typed}")).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text());
    let back: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(back["id"], id.as_str());
}

/// A POST of `body` (JSON) with an `Idempotency-Key` header from 10.0.0.1.
async fn submit_keyed(app: &App, uri: &str, body: &Value, key: &str) -> Resp {
    send(
        app,
        from_ip(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .header("Idempotency-Key", key)
                .body(Body::from(body.to_string()))
                .unwrap(),
            "10.0.0.1",
        ),
    )
    .await
}

#[tokio::test]
async fn an_idempotency_key_makes_retries_store_one_suggestion() {
    // rate limited to a burst of 2: replays must not use it up
    let mut c = Config::default();
    c.rate_limit.per_minute = 1;
    c.rate_limit.burst = 2;
    let app = app_with(c);
    let body =
        json!({"location": P, "category": "rest", "description": "五一广场附近没有歇脚的地方"});
    let key = "8e03978e-40d5-43e8-bc93-6894a57f9324";
    let first = submit_keyed(&app, "/api/v1/suggestions", &body, key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert!(first.headers.get("idempotent-replayed").is_none());
    let (id, receipt) = (
        first.json()["id"].as_str().unwrap().to_string(),
        first.json()["receipt_token"].as_str().unwrap().to_string(),
    );
    for _ in 0..3 {
        // the answer was lost: the client sends the same request again (quoted form too)
        let again = submit_keyed(&app, "/api/v1/suggestions", &body, &format!("\"{key}\"")).await;
        assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
        assert_eq!(again.headers["idempotent-replayed"], "true");
        assert_eq!(again.json()["id"], id.as_str());
        assert_eq!(again.json()["receipt_token"], receipt.as_str());
        assert_eq!(
            again.headers[header::LOCATION].to_str().unwrap(),
            format!("/api/v1/suggestions/{id}")
        );
    }
    assert_eq!(count(&app).await, 1);
    // the replayed receipt opens the reporter's own record
    let own = send(
        &app,
        Request::get(format!("/api/v1/suggestions/{id}"))
            .header("X-Receipt-Token", &receipt)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    // the same key for other content: 422, nothing stored
    let other = json!({"location": P, "category": "rest", "description": "另一条"});
    let r = submit_keyed(&app, "/api/v1/suggestions", &other, key).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
    assert!(
        r.json()["detail"].as_str().unwrap().contains(&id),
        "{}",
        r.text()
    );
    // bad keys are a 400 naming the header, before anything is stored
    for bad in ["short", "has spaces in it", &"k".repeat(256)] {
        let r = submit_keyed(&app, "/api/v1/suggestions", &other, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text());
        assert_eq!(r.json()["param"], "Idempotency-Key");
    }
    assert_eq!(count(&app).await, 1);
    // a second suggestion uses the second token of the burst; replays used none
    let r = submit_keyed(&app, "/api/v1/suggestions", &other, "second-key-0001").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = submit_keyed(&app, "/api/v1/suggestions", &other, "third-key-00001").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());

    // multipart with a photo: a repeat answers the same suggestion with the same photo
    let photo = png_sized(2, 2);
    let keyed_form = || {
        let mut req = multipart(
            &[
                ("location", b"113.03,28.20"),
                ("category", b"parking"),
                ("description", b"no parking"),
            ],
            Some(&photo),
        );
        req.headers_mut()
            .insert("idempotency-key", "photo-key-0001".parse().unwrap());
        req
    };
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    let app = app_with(c);
    let a = send(&app, keyed_form()).await;
    let b = send(&app, keyed_form()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.text());
    assert_eq!(a.json()["id"], b.json()["id"]);
    assert_eq!(b.headers["idempotent-replayed"], "true");
    assert_eq!(count(&app).await, 1);

    // Open311 takes the header as well
    let form = "service_code=rest&lat=28.20&long=113.03&description=%E6%B2%A1%E5%9C%B0%E6%96%B9%E4%BC%91%E6%81%AF";
    let post311 = || {
        from_ip(
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("Idempotency-Key", "open311-key-0001")
                .body(Body::from(form))
                .unwrap(),
            "10.0.0.1",
        )
    };
    let a = send(&app, post311()).await;
    let b = send(&app, post311()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.text());
    assert_eq!(
        a.json()[0]["service_request_id"],
        b.json()[0]["service_request_id"]
    );
    assert_eq!(count(&app).await, 2);
}

// ---------------------------------------------------------------- issue 14: from pin to answer

/// A suggestion of `category` at `at` in county `adcode`, submitted at `created`, with a
/// phone number in its text (public output masks it).
fn sug_in(at: [f64; 2], adcode: &str, category: Category, created: &str) -> NewSuggestion {
    NewSuggestion {
        category,
        adcode: Some(adcode.into()),
        description: "电话13800138000，小区不让进".into(),
        ..new_suggestion(at, created)
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

fn note(s: &str) -> PublicNote {
    PublicNote::new(s).unwrap()
}

/// KPI values worked out by hand from fixed timestamps (all in March 2025, so every
/// deadline has passed whenever the test runs). Weekdays: `date -d 2025-03-07 +%A` =
/// Friday, 2025-03-10 Monday. Working days: Monday–Friday, counted from the day after
/// submission, the deadline is the end of the N-th (Beijing time).
#[tokio::test]
async fn kpis_match_hand_computed_values() {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    // safety hazards: first answer within 1 working day (the default stays 3)
    c.deadlines = serde_json::from_value(json!({
        "categories": {"safety_hazard": {"first_answer_working_days": 1}}
    }))
    .unwrap();
    let app = app_with(c);
    let o = app
        .store
        .create_token(OfficerRole::Officer, &["430102".into()], "王科长")
        .unwrap()
        .0;
    let s = &app.store;
    let ins = |cat, created| {
        s.insert_suggestion(sug_in(P, "430102", cat, created))
            .unwrap()
            .0
            .id
    };
    // a: Fri 03-07 15:00 BJ; due end of Wed 03-12 (16:00Z); accepted after 72 h (in
    // time), resolved after 240 h.
    let a = ins(Category::Parking, "2025-03-07T07:00:00Z");
    s.transition(
        &a,
        Status::Accepted,
        &note("已受理"),
        &o,
        at("2025-03-10T07:00:00Z"),
    )
    .unwrap();
    s.transition(
        &a,
        Status::Resolved,
        &note("已办结"),
        &o,
        at("2025-03-17T07:00:00Z"),
    )
    .unwrap();
    // b: Mon 03-10 10:00 BJ; due end of Thu 03-13; accepted after 96 h (late); open, so
    // overdue (its 30 working days are long past).
    let b = ins(Category::Parking, "2025-03-10T02:00:00Z");
    s.transition(
        &b,
        Status::Accepted,
        &note("已受理"),
        &o,
        at("2025-03-14T02:00:00Z"),
    )
    .unwrap();
    // c: never answered: due, not in time, overdue.
    ins(Category::Parking, "2025-03-12T00:00:00Z");
    // d: safety hazard, Mon 03-10; 1 working day → due end of Tue 03-11; accepted after
    // 48 h (late under the override, in time under the default), resolved after 72 h.
    let d = ins(Category::SafetyHazard, "2025-03-10T02:00:00Z");
    s.transition(
        &d,
        Status::Accepted,
        &note("已受理"),
        &o,
        at("2025-03-12T02:00:00Z"),
    )
    .unwrap();
    s.transition(
        &d,
        Status::Resolved,
        &note("已办结"),
        &o,
        at("2025-03-13T02:00:00Z"),
    )
    .unwrap();
    // another district, to check the adcode filter
    s.insert_suggestion(sug_in(
        T,
        "430103",
        Category::Parking,
        "2025-03-10T02:00:00Z",
    ))
    .unwrap();

    let r = get(&app, "/api/v1/stats/kpis?adcode=430102").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    let p = &rows[0];
    assert_eq!(
        (
            p["adcode"].as_str(),
            p["category"].as_str(),
            p["month"].as_str()
        ),
        (Some("430102"), Some("parking"), Some("2025-03"))
    );
    assert_eq!(p["district_name"], "芙蓉区");
    assert_eq!(
        (
            p["submitted"].as_u64(),
            p["answered"].as_u64(),
            p["resolved"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    // (72 + 96) / 2 = 84 h; one resolution after 240 h
    assert_eq!(p["median_hours_to_first_answer"].as_f64(), Some(84.0));
    assert_eq!(p["median_hours_to_resolution"].as_f64(), Some(240.0));
    assert_eq!(
        (p["due"].as_u64(), p["answered_within_deadline"].as_u64()),
        (Some(3), Some(1))
    );
    assert!((p["answered_within_deadline_share"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(p["overdue"].as_u64(), Some(2));
    let h = &rows[1];
    assert_eq!(h["category"], "safety_hazard");
    assert_eq!(h["median_hours_to_first_answer"].as_f64(), Some(48.0));
    assert_eq!(h["median_hours_to_resolution"].as_f64(), Some(72.0));
    assert_eq!(
        (
            h["due"].as_u64(),
            h["answered_within_deadline"].as_u64(),
            h["overdue"].as_u64()
        ),
        (Some(1), Some(0), Some(0))
    );
    assert_eq!(v["deadlines"]["first_answer_working_days"], 3);

    let r = get(&app, "/api/v1/stats/kpis?adcode=430100&format=csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text();
    assert!(csv.starts_with('\u{feff}'), "BOM");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
    assert!(lines[0].starts_with("adcode,district,category,category_zh,month,"));
    assert!(
        lines[1]
            .starts_with("430102,芙蓉区,parking,停车难,2025-03,3,2,1,84.00,240.00,3,1,0.333,2,"),
        "{}",
        lines[1]
    );
    // generated_at in Beijing time
    assert!(lines[1].ends_with("+08:00"), "{}", lines[1]);
    assert!(
        lines[3].starts_with("430103,天心区,parking,"),
        "{}",
        lines[3]
    );

    let r = get(&app, "/api/v1/stats/kpis?format=xml").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = get(&app, "/api/v1/stats/kpis?category=potholes").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// A small XML tree for checking the shape of Atom documents.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_xml(s: &str) -> Node {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(s);
    let mut stack = vec![Node::default()];
    let node_of = |e: &quick_xml::events::BytesStart| Node {
        name: e.name().as_ref().to_string(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    a.key.as_ref().to_string(),
                    quick_xml::escape::unescape(&a.value).unwrap().into_owned(),
                )
            })
            .collect(),
        ..Default::default()
    };
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => stack.push(node_of(&e)),
            Event::Empty(e) => {
                let n = node_of(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.into_inner()),
            Event::GeneralRef(g) => {
                let raw = format!("&{};", g.into_inner());
                let text = quick_xml::escape::unescape(&raw).unwrap().into_owned();
                stack.last_mut().unwrap().text.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unbalanced XML");
    stack.pop().unwrap().children.pop().expect("a root element")
}

/// RFC 4287 shape: atom:feed has exactly one id, title, updated, a self link and an
/// author (section 4.1.1); each entry exactly one id, title, updated, an alternate link and
/// content (4.1.2); dates are RFC 3339 (3.3); ids are IRIs (4.2.6).
fn check_atom(xml: &str) -> Node {
    let f = parse_xml(xml);
    assert_eq!(f.name, "feed");
    assert_eq!(f.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    for el in ["id", "title", "updated", "author"] {
        assert_eq!(f.all(el).len(), 1, "feed/{el} in {xml}");
    }
    assert!(f.child("author").unwrap().child("name").is_some());
    let date = |n: &Node| {
        chrono::DateTime::parse_from_rfc3339(&n.text).unwrap_or_else(|e| panic!("{}: {e}", n.text))
    };
    date(f.child("updated").unwrap());
    assert!(f.all("link").iter().any(|l| l.attr("rel") == Some("self")));
    for e in f.all("entry") {
        for el in ["id", "title", "updated", "content"] {
            assert_eq!(e.all(el).len(), 1, "entry/{el}");
        }
        assert!(e.child("id").unwrap().text.starts_with("http://"));
        date(e.child("updated").unwrap());
        assert!(e
            .all("link")
            .iter()
            .any(|l| l.attr("rel") == Some("alternate") && l.attr("href").is_some()));
    }
    f
}

#[tokio::test]
async fn atom_feeds_per_suggestion_district_and_area() {
    let app = app();
    let o = app
        .store
        .create_token(OfficerRole::Officer, &["430102".into()], "王科长")
        .unwrap()
        .0;
    let s = &app.store;
    let a = s
        .insert_suggestion(sug_in(
            P,
            "430102",
            Category::Parking,
            "2025-03-07T07:00:00Z",
        ))
        .unwrap()
        .0
        .id;
    s.transition(
        &a,
        Status::Accepted,
        &note("已受理，联系13800138000"),
        &o,
        at("2025-03-10T07:00:00Z"),
    )
    .unwrap();
    let t = s
        .insert_suggestion(sug_in(T, "430103", Category::Rest, "2025-03-08T07:00:00Z"))
        .unwrap()
        .0
        .id;

    let r = get(
        &app,
        &format!("/api/v1/suggestions/{}/feed", a.to_lowercase()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let xml = r.text();
    let f = check_atom(&xml);
    let entries = f.all("entry");
    assert_eq!(entries.len(), 2);
    // newest first; the feed's updated is the newest entry's
    assert_eq!(
        entries[0].child("updated").unwrap().text,
        "2025-03-10T07:00:00Z"
    );
    assert_eq!(f.child("updated").unwrap().text, "2025-03-10T07:00:00Z");
    assert!(entries[0].child("title").unwrap().text.contains("已受理"));
    // public text: the phone number is masked in the note and the description
    assert!(!xml.contains("13800138000"), "{xml}");
    assert!(entries[1]
        .child("content")
        .unwrap()
        .text
        .contains("小区不让进"));
    assert_eq!(
        get(&app, "/api/v1/suggestions/S20250101-XXXXXX/feed")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // district: the city 430100 covers both counties; 430102 only its own
    let f = check_atom(&get(&app, "/api/v1/feeds/districts/430100").await.text());
    assert_eq!(f.all("entry").len(), 3);
    let xml = get(&app, "/api/v1/feeds/districts/430102").await.text();
    let f = check_atom(&xml);
    assert_eq!(f.all("entry").len(), 2);
    assert!(!xml.contains(&t));
    assert!(f.child("title").unwrap().text.contains("芙蓉区"));
    assert_eq!(
        get(&app, "/api/v1/feeds/districts/999999").await.status,
        StatusCode::BAD_REQUEST
    );

    // area: a box around T only
    let xml = get(&app, "/api/v1/feeds/area?bbox=112.95,28.07,112.97,28.09")
        .await
        .text();
    let f = check_atom(&xml);
    assert_eq!(f.all("entry").len(), 1);
    assert!(xml.contains(&t) && !xml.contains(&a));
    assert_eq!(
        get(&app, "/api/v1/feeds/area?bbox=1,2,3").await.status,
        StatusCode::BAD_REQUEST
    );
}

/// One "me too" per device token, so riders behind one carrier gateway each count; the
/// per-IP bucket still bounds how fast one address can vote.
#[tokio::test]
async fn support_counts_once_per_device_behind_one_gateway() {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    c.support_rate_limit.per_minute = 1;
    c.support_rate_limit.burst = 5;
    let app = app_with(c);
    let id = app
        .store
        .insert_suggestion(sug_in(
            P,
            "430102",
            Category::Parking,
            "2025-03-07T07:00:00Z",
        ))
        .unwrap()
        .0
        .id;
    let uri = format!("/api/v1/suggestions/{id}/support");
    let vote = |dev: Option<&'static str>, ip: &'static str| {
        let uri = uri.clone();
        let app = &app;
        async move {
            let mut b = Request::post(uri.as_str());
            if let Some(d) = dev {
                b = b.header("x-device-token", d);
            }
            send(app, from_ip(b.body(Body::empty()).unwrap(), ip)).await
        }
    };
    let gw = "100.64.0.1";
    let a = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let b = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let r = vote(Some(a), gw).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({"supporters": 1, "counted": true}));
    // a second rider behind the same gateway counts too
    assert_eq!(
        vote(Some(b), gw).await.json(),
        json!({"supporters": 2, "counted": true})
    );
    // the same device again does not
    assert_eq!(
        vote(Some(a), gw).await.json(),
        json!({"supporters": 2, "counted": false})
    );
    // without a device token the IP address is the voter, once
    assert_eq!(
        vote(None, gw).await.json(),
        json!({"supporters": 3, "counted": true})
    );
    assert_eq!(
        vote(None, gw).await.json(),
        json!({"supporters": 3, "counted": false})
    );
    // the bucket of 5 is empty now: 429 with Retry-After; another address still votes
    let r = vote(Some("ffffffffffffffffffffffffffffffff"), gw).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.text().contains("me too"), "{}", r.text());
    let r = vote(Some("ffffffffffffffffffffffffffffffff"), "100.64.0.2").await;
    assert_eq!(r.json(), json!({"supporters": 4, "counted": true}));
    // a malformed token is a 400 naming the header, and counts nothing
    let r = vote(Some("short"), "100.64.0.3").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("X-Device-Token"), "{}", r.text());
    let s = app.store.suggestion(&id).unwrap().unwrap();
    assert_eq!(s.supporters, 4);
}

/// The officer's desk: who is signed in and for which districts; the queue sorted by
/// deadline (overdue first), supporters or age, limited to the officer's districts.
#[tokio::test]
async fn officer_queue_sorts_by_deadline_supporters_and_age() {
    let app = app();
    let tok = token(&app, OfficerRole::Officer, &["430102"]);
    let r = get_auth(&app, "/api/v1/officer/me", &tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let me = r.json();
    assert_eq!(me["name"], "王科长");
    assert_eq!(me["role"], "officer");
    assert_eq!(
        me["districts"],
        json!([{"adcode": "430102", "name": "芙蓉区"}])
    );
    assert_eq!(me["departments"][3], "城管");
    assert_eq!(
        get(&app, "/api/v1/officer/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    let s = &app.store;
    let o = s
        .create_token(OfficerRole::Officer, &["430102".into()], "李")
        .unwrap()
        .0;
    // old: long overdue (2025); fresh: submitted now, due in 3 working days
    let old = s
        .insert_suggestion(sug_in(
            P,
            "430102",
            Category::Parking,
            "2025-03-10T02:00:00Z",
        ))
        .unwrap()
        .0
        .id;
    let older = s
        .insert_suggestion(sug_in(P, "430102", Category::Rest, "2025-03-03T02:00:00Z"))
        .unwrap()
        .0
        .id;
    let now = chrono::Utc::now().to_rfc3339();
    let fresh = s
        .insert_suggestion(sug_in(P, "430102", Category::Parking, &now))
        .unwrap()
        .0
        .id;
    // answered long ago but never resolved: still overdue (30 working days passed)
    s.transition(
        &older,
        Status::Accepted,
        &note("已受理"),
        &o,
        at("2025-03-04T02:00:00Z"),
    )
    .unwrap();
    s.insert_suggestion(sug_in(
        T,
        "430103",
        Category::Parking,
        "2025-03-01T02:00:00Z",
    ))
    .unwrap();
    for ip in ["10.0.0.7", "10.0.0.8"] {
        s.support(&fresh, ip).unwrap();
    }
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["suggestion"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let v = get_auth(&app, "/api/v1/officer/queue", &tok).await.json();
    assert_eq!(
        (v["total"].as_u64(), v["overdue"].as_u64()),
        (Some(3), Some(2))
    );
    // overdue first; of those the earlier binding deadline: `old`'s first answer was due
    // end of Thu 2025-03-13, `older`'s resolution (30 working days from Tue 03-04) later
    assert_eq!(ids(&v), vec![old.clone(), older.clone(), fresh.clone()]);
    assert_eq!(v["items"][0]["deadline"]["overdue"], true);
    assert_eq!(
        v["items"][0]["deadline"]["first_answer_due"],
        "2025-03-13T16:00:00Z"
    );
    assert_eq!(v["items"][2]["deadline"]["overdue"], false);
    // officer view: the contact-free text is the original
    assert!(v["items"][0]["suggestion"]["description"]
        .as_str()
        .unwrap()
        .contains("13800138000"));
    let v = get_auth(&app, "/api/v1/officer/queue?sort=supporters", &tok)
        .await
        .json();
    assert_eq!(ids(&v)[0], fresh);
    let v = get_auth(&app, "/api/v1/officer/queue?sort=age&limit=2", &tok)
        .await
        .json();
    assert_eq!(ids(&v), vec![older, old]);
    assert_eq!(v["total"], 3);
    let r = get_auth(&app, "/api/v1/officer/queue?adcode=430103", &tok).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = get_auth(&app, "/api/v1/officer/queue?sort=random", &tok).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// `GET uri` with `headers`, from client 10.0.0.1 (the client of [`post_json`], so that both
/// draw on the same per-IP buckets).
async fn get_with(app: &App, uri: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = Request::get(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    send(app, from_ip(b.body(Body::empty()).unwrap(), "10.0.0.1")).await
}

/// The receipt people can keep: tracking id + a 6-character code shown once, typed on any
/// device in a POST body (or sent as `X-Receipt-Code`), never needed in a URL.
#[tokio::test]
async fn the_short_code_opens_the_reporters_record_on_any_device() {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    c.lookup_rate_limit.per_minute = 1;
    c.lookup_rate_limit.burst = 3;
    let app = app_with(c);
    let r = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "没有停车的地方",
               "contact": "13912345678"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_string();
    let code = v["receipt_code"].as_str().unwrap().to_string();
    let token = v["receipt_token"].as_str().unwrap();
    assert_eq!(code, nuanxin::suggestions::receipt_code::code_of(token));
    assert_eq!(code.len(), 6);
    assert!(code
        .bytes()
        .all(|b| nuanxin::suggestions::receipt_code::ALPHABET.contains(&b)));
    // only a hash is stored: the code is nowhere in the database file's suggestion row
    let row = app.store.suggestion(&id).unwrap().unwrap();
    assert!(!format!("{row:?}").contains(&code));

    // typed on another device: lower case, with a space, the id in lower case
    let typed = format!("{} {}", code[..3].to_lowercase(), &code[3..]);
    let r = post_json(
        &app,
        "/api/v1/suggestions/lookup",
        json!({"id": id.to_lowercase(), "code": typed}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["suggestion"]["id"], id.as_str());
    assert_eq!(v["receipt_code"], code.as_str());
    // the reporter's own view: their contact
    assert_eq!(v["suggestion"]["contact"]["value"], "13912345678");
    // a wrong code and an unknown id get the same 404
    let wrong = if code.starts_with('0') { "1" } else { "0" }.to_string() + &code[1..];
    let r1 = post_json(
        &app,
        "/api/v1/suggestions/lookup",
        json!({"id": id, "code": wrong}),
        None,
    )
    .await;
    let r2 = post_json(
        &app,
        "/api/v1/suggestions/lookup",
        json!({"id": "S20250101-AAAAAA", "code": code}),
        None,
    )
    .await;
    assert_eq!(
        (r1.status, r2.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(r1.json()["detail"], r2.json()["detail"]);
    // the per-IP bucket of 3 is empty now
    let r = post_json(
        &app,
        "/api/v1/suggestions/lookup",
        json!({"id": id, "code": code}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());

    // regression (newcomer trial, stop 21): the code in a header was a second, unlimited way
    // to guess: after the look-up answered 429 the right code still opened the record here
    let uri = format!("/api/v1/suggestions/{id}");
    let r = get_with(&app, &uri, &[("x-receipt-code", &code)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(r.headers.contains_key("retry-after"));
    let r = get_with(&app, &format!("{uri}/photo"), &[("x-receipt-code", &wrong)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    // the public view needs no code and is not limited by it
    assert_eq!(get(&app, &uri).await.status, StatusCode::OK);
}

/// The short code sent as `X-Receipt-Code` opens the reporter's record; a wrong code and an
/// unknown tracking id get the same 404 (as the look-up), so a guess learns nothing; a receipt
/// in the URL is refused (issue 15: secrets never travel in URLs).
#[tokio::test]
async fn the_code_in_a_header_answers_like_the_lookup_and_receipts_stay_out_of_urls() {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    let app = app_with(c);
    let r = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "没有停车的地方",
               "contact": "13912345678"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let code = r.json()["receipt_code"].as_str().unwrap().to_string();
    let receipt = r.json()["receipt_token"].as_str().unwrap().to_string();
    // a code that differs from the right one in its last character
    let last = code.chars().last().unwrap();
    let wrong = format!(
        "{}{}",
        &code[..code.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let uri = format!("/api/v1/suggestions/{id}");
    let r = get_with(&app, &uri, &[("x-receipt-code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["contact"]["value"], "13912345678");
    let wrong_code = get_with(&app, &uri, &[("x-receipt-code", &wrong)]).await;
    let no_such = get_with(
        &app,
        "/api/v1/suggestions/S20200101-000000",
        &[("x-receipt-code", &code)],
    )
    .await;
    assert_eq!(
        (wrong_code.status, no_such.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(wrong_code.json()["detail"], no_such.json()["detail"]);
    // reopen answers the same: a wrong code gets the body of an unknown id, byte for byte;
    // the right code reaches the rule (still open: 409)
    let note = json!({"note": "还是没有"});
    let reopen_wrong = post_with(
        &app,
        &format!("{uri}/reopen"),
        note.clone(),
        &[("x-receipt-code", &wrong)],
    )
    .await;
    let reopen_no_such = post_with(
        &app,
        "/api/v1/suggestions/S20200101-000000/reopen",
        note.clone(),
        &[("x-receipt-code", &code)],
    )
    .await;
    assert_eq!(
        (reopen_wrong.status, reopen_no_such.status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(reopen_wrong.text(), reopen_no_such.text());
    assert_eq!(reopen_wrong.json()["detail"], no_such.json()["detail"]);
    let r = post_with(
        &app,
        &format!("{uri}/reopen"),
        note.clone(),
        &[("x-receipt-code", &code)],
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let r = post_json(
        &app,
        &format!("{uri}/reopen"),
        json!({"note": "还是没有"}),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // a receipt token in the URL is refused, naming the parameter, and shows nothing
    for path in [uri.clone(), format!("{uri}/photo")] {
        let r = get(&app, &format!("{path}?receipt={receipt}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.text());
        assert!(r.text().contains("receipt"), "{}", r.text());
        assert!(!r.text().contains("13912345678"));
    }
}

/// Officer triage: duplicate-of moves supporters to the original and the duplicate's
/// reporter follows it; the department is named on later public answers; a redaction
/// shows to the public, the original to admins; every action is in the audit log.
#[tokio::test]
async fn officers_merge_assign_and_moderate() {
    let app = app();
    let tok = token(&app, OfficerRole::Officer, &["430102"]);
    let admin = token(&app, OfficerRole::Admin, &[]);
    let mk =
        |desc: &'static str| json!({"location": P, "category": "parking", "description": desc});
    let a = submit(&app, mk("小区门口不让停车")).await.json();
    let b = submit(&app, mk("小区门口停车难，电话13912345678"))
        .await
        .json();
    let (a_id, b_id) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let a_code = a["receipt_code"].as_str().unwrap().to_string();
    // supporters: x on both, y on the duplicate only, z on the original only
    for (id, who) in [(&a_id, "x"), (&a_id, "y"), (&b_id, "x"), (&b_id, "z")] {
        app.store.support(id, who).unwrap();
    }
    let t_id = app
        .store
        .insert_suggestion(sug_in(
            T,
            "430103",
            Category::Parking,
            "2025-03-01T00:00:00Z",
        ))
        .unwrap()
        .0
        .id;

    let dup = |id: &str, body: Value| {
        let uri = format!("/api/v1/suggestions/{id}/duplicate");
        let tok = tok.clone();
        let app = &app;
        async move { post_json(app, &uri, body, Some(&tok)).await }
    };
    assert_eq!(
        dup(&a_id, json!({"original": a_id})).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        dup(&a_id, json!({"original": t_id})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_json(
            &app,
            &format!("/api/v1/suggestions/{a_id}/duplicate"),
            json!({"original": b_id}),
            None
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    let r = dup(&a_id, json!({"original": b_id.to_lowercase()})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "declined");
    assert_eq!(v["duplicate_of"], b_id.as_str());
    assert_eq!(v["supporters"], 0);
    assert!(v["history"][1]["note"].as_str().unwrap().contains(&b_id));
    // the original: x, z, y and the duplicate's reporter = 4 distinct supporters
    let orig = get(&app, &format!("/api/v1/suggestions/{b_id}"))
        .await
        .json();
    assert_eq!(orig["supporters"], 4);
    // the original cannot now be marked a duplicate of its duplicate
    let r = dup(&b_id, json!({"original": a_id})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains(&b_id));

    // department: unknown → 400 with the list; 城管 then named on the next public answer
    let uri = format!("/api/v1/suggestions/{b_id}/department");
    let r = post_json(&app, &uri, json!({"department": "消防"}), Some(&tok)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("城管"), "{}", r.text());
    let r = post_json(&app, &uri, json!({"department": "城管"}), Some(&tok)).await;
    assert_eq!(r.json()["department"], "城管");
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{b_id}/status"),
        json!({"status": "accepted", "note": "城管已受理，三日内处理"}),
        Some(&tok),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let public = get(&app, &format!("/api/v1/suggestions/{b_id}"))
        .await
        .json();
    assert_eq!(public["department"], "城管");
    assert_eq!(public["history"][1]["department"], "城管");
    assert!(public["history"][0].get("department").is_none());

    // the duplicate's reporter, typing their code, sees the original's answer
    let r = post_json(
        &app,
        "/api/v1/suggestions/lookup",
        json!({"id": a_id, "code": a_code}),
        None,
    )
    .await;
    let v = r.json();
    assert_eq!(v["suggestion"]["duplicate_of"], b_id.as_str());
    assert_eq!(
        v["original"]["history"][1]["note"],
        "城管已受理，三日内处理"
    );
    assert_eq!(v["original"]["history"][1]["department"], "城管");

    // moderation: the public sees the redaction with its reason, admins the original
    let uri = format!("/api/v1/suggestions/{b_id}/redact");
    let r = post_json(
        &app,
        &uri,
        json!({"field": "photo", "reason": "x"}),
        Some(&tok),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no photo: {}", r.text());
    let r = post_json(
        &app,
        &uri,
        json!({"field": "description", "reason": "含个人信息"}),
        Some(&tok),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let public = get(&app, &format!("/api/v1/suggestions/{b_id}"))
        .await
        .text();
    assert!(
        public.contains("此内容已被工作人员屏蔽：含个人信息"),
        "{public}"
    );
    assert!(!public.contains("小区门口停车难"));
    let red = format!("/api/v1/admin/suggestions/{b_id}/redactions");
    assert_eq!(
        get_auth(&app, &red, &tok).await.status,
        StatusCode::FORBIDDEN
    );
    let r = get_auth(&app, &red, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v[0]["field"], "description");
    assert_eq!(v[0]["original_text"], "小区门口停车难，电话13912345678");
    assert_eq!(v[0]["reason"], "含个人信息");

    // the audit log records who did each, and never the redacted original
    let log = app.store.audit_log(20, 0).unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.action.starts_with("suggestion."))
        .map(|e| (e.action.as_str(), e.actor_name.as_str()))
        .collect();
    for act in [
        "suggestion.duplicate",
        "suggestion.department",
        "suggestion.redact",
    ] {
        assert!(actions.contains(&(act, "王科长")), "{act} in {actions:?}");
    }
    assert!(log.iter().all(|e| !e.detail.contains("小区门口停车难")));
}

/// Open311's `email`, `first_name`, `last_name` and `phone` (and the JSON API's same
/// fields) are the private contact: stored whole, shown to the reporter holding the
/// receipt and to officers of the district (record, queue, CSV and GeoJSON exports), and
/// absent from every anonymous output, the email masked where the reporter typed it into
/// the description.
#[tokio::test]
async fn open311_private_contact_is_kept_and_never_public() {
    let app = app();
    let (email, first, last, phone) = (
        "wang.rider@example.com",
        "Xiaoming",
        "Wangwu",
        "13912345678",
    );
    // form-encoded as GeoReport v2 specifies; the domain is stored in lower case
    let form = format!(
        "service_code=rest&lat={}&long={}&description=%E6%B2%A1%E5%9C%B0%E6%96%B9%E4%BC%91%E6%81%AF+wang.rider%40EXAMPLE.com\
         &email=wang.rider%40EXAMPLE.com&first_name={first}&last_name={last}&phone={phone}&device_id=dev-1",
        P[1], P[0]
    );
    let r = post_open311_form(&app, form, "10.3.3.3").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let receipt = r.json()[0]["receipt_token"].as_str().unwrap().to_string();
    // the store holds all four, for officers and for email notifications
    let s = app.store.suggestion(&id).unwrap().unwrap();
    assert_eq!(s.email.as_deref(), Some(email));
    assert_eq!(s.first_name.as_deref(), Some(first));
    assert_eq!(s.last_name.as_deref(), Some(last));
    assert_eq!(s.contact.as_ref().map(|c| c.value.as_str()), Some(phone));
    // the JSON API takes the same fields
    let r2 = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "没地方停车",
               "email": "li@example.org", "first_name": "Lisi", "last_name": "Zhaoliu"}),
    )
    .await;
    assert_eq!(r2.status, StatusCode::CREATED, "{}", r2.text());
    let id2 = r2.json()["id"].as_str().unwrap().to_string();
    // a bad email is a 400 naming the field, and nothing is stored
    let before = count(&app).await;
    let bad = submit(
        &app,
        json!({"location": P, "category": "parking", "description": "x", "email": "not-an-address"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("email"), "{}", bad.text());
    assert_eq!(count(&app).await, before);

    let admin = token(&app, OfficerRole::Admin, &[]);
    post_json(
        &app,
        &format!("/api/v1/suggestions/{id}/status"),
        json!({"status": "accepted", "note": "已受理"}),
        Some(&admin),
    )
    .await;
    let p_str = format!("{},{}", P[0], P[1]);
    let public = [
        r.text(),
        r2.text(),
        get(&app, "/open311/v2/requests.json").await.text(),
        get(&app, "/open311/v2/requests.xml").await.text(),
        get(&app, &format!("/open311/v2/requests/{id}.json"))
            .await
            .text(),
        get(&app, &format!("/open311/v2/requests/{id}.xml"))
            .await
            .text(),
        get(&app, "/api/v1/suggestions").await.text(),
        get(&app, &format!("/api/v1/suggestions/{id}")).await.text(),
        get(&app, &format!("/api/v1/suggestions/{id2}"))
            .await
            .text(),
        get(&app, "/ogc/collections/suggestions/items").await.text(),
        get(&app, "/ogc/collections/suggestions/items?f=html")
            .await
            .text(),
        get(&app, &format!("/ogc/collections/suggestions/items/{id}"))
            .await
            .text(),
        get(&app, &format!("/api/v1/suggestions/{id}/feed"))
            .await
            .text(),
        get(&app, "/api/v1/feeds/districts/430102").await.text(),
        get(&app, &format!("/api/v1/feeds/area?bbox={p_str},{p_str}"))
            .await
            .text(),
        get(&app, "/api/v1/admin/suggestions/export").await.text(),
        get(&app, "/api/v1/admin/suggestions/export?format=geojson")
            .await
            .text(),
    ];
    for (i, b) in public.iter().enumerate() {
        assert!(!b.is_empty(), "response {i} is empty");
        for secret in [
            email,
            "EXAMPLE.com",
            first,
            last,
            phone,
            "li@example.org",
            "Lisi",
            "Zhaoliu",
        ] {
            assert!(
                !b.contains(secret),
                "public response {i} leaks {secret}: {b}"
            );
        }
    }
    // the email typed into the description is masked in public
    let one = get(&app, &format!("/api/v1/suggestions/{id}")).await.json();
    assert_eq!(one["description"], "没地方休息 [联系方式已隐藏]");

    // officers of the district see them all, in every officer output
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let v = get_auth(&app, &format!("/api/v1/suggestions/{id}"), &officer)
        .await
        .json();
    assert_eq!(v["email"], email);
    assert_eq!(v["first_name"], first);
    assert_eq!(v["last_name"], last);
    assert_eq!(v["contact"]["value"], phone);
    assert_eq!(v["description"], "没地方休息 wang.rider@EXAMPLE.com");
    let queue = get_auth(&app, "/api/v1/officer/queue", &officer)
        .await
        .text();
    assert!(queue.contains(email) && queue.contains("Lisi"), "{queue}");
    let csv = get_auth(&app, "/api/v1/admin/suggestions/export", &admin)
        .await
        .text();
    let header_line = csv.lines().next().unwrap();
    assert!(
        header_line.contains("contact,email,first_name,last_name"),
        "{header_line}"
    );
    let row = csv.lines().find(|l| l.starts_with(id.as_str())).unwrap();
    assert!(
        row.contains(&format!("{phone},{email},{first},{last}")),
        "{row}"
    );
    let gj = get_auth(
        &app,
        "/api/v1/admin/suggestions/export?format=geojson",
        &admin,
    )
    .await
    .json();
    let f = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id2.as_str())
        .unwrap();
    assert_eq!(f["properties"]["email"], "li@example.org");
    assert_eq!(f["properties"]["last_name"], "Zhaoliu");
    // an officer of another district does not
    let other = token(&app, OfficerRole::Officer, &["430103"]);
    let t = get_auth(&app, &format!("/api/v1/suggestions/{id}"), &other)
        .await
        .text();
    assert!(!t.contains(email) && !t.contains(first), "{t}");
    // the reporter with the receipt sees their own
    let mine = send(
        &app,
        Request::get(format!("/api/v1/suggestions/{id}"))
            .header("X-Receipt-Token", &receipt)
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(mine["email"], email);
    assert_eq!(mine["first_name"], first);
}

/// `GET uri` with `If-None-Match: etag`.
async fn get_if_none_match(app: &App, uri: &str, etag: &str) -> Resp {
    get_with(app, uri, &[("if-none-match", etag)]).await
}

/// The suggestion vector tiles, decoded by GDAL (not our encoder): the suggestions of a
/// tile by the slippy-map formula (computed by hand), public tags only, grid thinning at
/// low zoom keeping the most supported, the same rows as the public list, and a cache
/// invalidated by every change (support, status, merge) while an unchanged tile answers
/// 304. Point tiles follow admin edits. On SQLite, and on PostgreSQL in 10-postgres.sh.
#[tokio::test]
async fn suggestion_tiles_are_public_thinned_and_follow_changes() {
    use support::mvt::{cell_of, decode, mercator, ogrinfo_available, tile_of};
    if !ogrinfo_available() {
        return;
    }
    let app = app();
    // A: P, through the API, with a phone number in the text and a private contact.
    // B: 10 m from P (113.0301, 28.2001), 2 supporters. C: T, in 天心区.
    let b_at = [113.0301, 28.2001];
    let r = submit(
        &app,
        json!({"location": P, "category": "rest", "description": "没有地方休息 电话13912345678", "contact": "13987654321"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let a = r.json()["id"].as_str().unwrap().to_string();
    let b = app
        .store
        .insert_suggestion(sug_in(
            b_at,
            "430102",
            Category::Parking,
            "2025-03-01T00:00:00Z",
        ))
        .unwrap()
        .0
        .id;
    let c = app
        .store
        .insert_suggestion(sug_in(T, "430103", Category::Rest, "2025-02-01T00:00:00Z"))
        .unwrap()
        .0
        .id;
    app.store.support(&b, "x").unwrap();
    app.store.support(&b, "y").unwrap();

    // z14: by hand (Python, the slippy formula) A and B lie in tile 13336/6853, C in
    // 13332/6859; the test recomputes it.
    let (x, y) = tile_of(P[0], P[1], 14);
    assert_eq!((x, y), (13336, 6853));
    assert_eq!(tile_of(b_at[0], b_at[1], 14), (x, y));
    assert_ne!(tile_of(T[0], T[1], 14), (x, y));
    let uri = format!("/tiles/suggestions/14/{x}/{y}.mvt");
    let r = get(&app, &uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), "application/vnd.mapbox-vector-tile");
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    let etag = r.header("etag").unwrap().to_string();
    // nothing private or free-text in the bytes
    for secret in ["13987654321", "13912345678", "没有地方休息", "小区不让进"] {
        assert!(
            !r.body.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the tile"
        );
    }
    let fs = decode(&r.body, 14, x, y);
    let mut ids: Vec<&str> = fs.iter().map(|f| f.get("id")).collect();
    ids.sort_unstable();
    let mut want = vec![a.as_str(), b.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
    let fb = fs.iter().find(|f| f.get("id") == b).unwrap();
    assert_eq!(fb.layer, "suggestions");
    assert_eq!(fb.get("category"), "parking");
    assert_eq!(fb.get("status"), "submitted");
    assert_eq!(fb.get("supporters"), "2");
    assert_eq!(fb.get("count"), "1");
    assert_eq!(fb.get("created_at"), "2025-03-01T00:00:00Z");
    let tags: std::collections::BTreeSet<&str> = fb.attrs.keys().map(String::as_str).collect();
    assert_eq!(
        tags,
        [
            "category",
            "count",
            "created_at",
            "id",
            "status",
            "supporters"
        ]
        .into()
    );
    // position within one tile unit (2πR / 2^14 / 4096 ≈ 0.6 m)
    let (mx, my) = mercator(b_at[0], b_at[1]);
    assert!(
        (fb.at.0 - mx).abs() < 0.6 && (fb.at.1 - my).abs() < 0.6,
        "{:?}",
        fb.at
    );
    // the same rows as the public list over the tile's box
    let n = f64::from(1u32 << 14);
    let lon = |x: u32| f64::from(x) / n * 360.0 - 180.0;
    let lat = |y: u32| {
        (std::f64::consts::PI * (1.0 - 2.0 * f64::from(y) / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    let list = get(
        &app,
        &format!(
            "/api/v1/suggestions?bbox={},{},{},{}&limit=500",
            lon(x),
            lat(y + 1),
            lon(x + 1),
            lat(y)
        ),
    )
    .await
    .json();
    let mut listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, ids);

    // z12: A and B fall in neighbouring grid cells (columns 0 and 1, by hand) → 2 features.
    let (x12, y12) = tile_of(P[0], P[1], 12);
    assert_eq!(cell_of(P[0], P[1], 12), (0, 11));
    assert_eq!(cell_of(b_at[0], b_at[1], 12), (1, 11));
    let r = get(&app, &format!("/tiles/suggestions/12/{x12}/{y12}.mvt")).await;
    assert_eq!(decode(&r.body, 12, x12, y12).len(), 2);
    // z5: all three in tile 26/13, cell (1, 12) → one feature standing for 3, the most
    // supported (B).
    let z5 = "/tiles/suggestions/5/26/13.mvt";
    for p in [P, b_at, T] {
        assert_eq!(tile_of(p[0], p[1], 5), (26, 13));
        assert_eq!(cell_of(p[0], p[1], 5), (1, 12));
    }
    let fs = decode(&get(&app, z5).await.body, 5, 26, 13);
    assert_eq!(fs.len(), 1, "{fs:?}");
    assert_eq!((fs[0].get("id"), fs[0].get("count")), (b.as_str(), "3"));

    // Unchanged: 304 with the ETag.
    let r = get_if_none_match(&app, &uri, &etag).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());

    // Three "me too" on A: A (3) now outranks B (2) at z5.
    for ip in ["10.0.0.7", "10.0.0.8", "10.0.0.9"] {
        let req = Request::post(format!("/api/v1/suggestions/{a}/support"))
            .body(Body::empty())
            .unwrap();
        let r = send(&app, from_ip(req, ip)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let fs = decode(&get(&app, z5).await.body, 5, 26, 13);
    assert_eq!((fs[0].get("id"), fs[0].get("count")), (a.as_str(), "3"));

    // A status change: the old ETag no longer matches and the tile says `accepted`.
    let officer = token(&app, OfficerRole::Officer, &["430102"]);
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{a}/status"),
        json!({"status": "accepted", "note": "已受理"}),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = get_if_none_match(&app, &uri, &etag).await;
    assert_eq!(r.status, StatusCode::OK);
    let etag2 = r.header("etag").unwrap().to_string();
    assert_ne!(etag, etag2);
    let fs = decode(&r.body, 14, x, y);
    let fa = fs.iter().find(|f| f.get("id") == a).unwrap();
    assert_eq!((fa.get("status"), fa.get("supporters")), ("accepted", "3"));

    // Merged into B: A stays (declined, its supporters moved), as in the public list;
    // `status=open` leaves it out.
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{a}/duplicate"),
        json!({"original": b}),
        Some(&officer),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = get(&app, &uri).await;
    let fs = decode(&r.body, 14, x, y);
    let fa = fs.iter().find(|f| f.get("id") == a).unwrap();
    assert_eq!((fa.get("status"), fa.get("supporters")), ("declined", "0"));
    let public = get(&app, &format!("/api/v1/suggestions/{a}")).await.json();
    assert_eq!(public["status"], "declined");
    let fs = decode(
        &get(&app, &format!("{uri}?status=open")).await.body,
        14,
        x,
        y,
    );
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].get("id"), b);
    // x, y, A's 3 supporters and A's reporter (a merge counts the duplicate's reporter)
    assert_eq!(fs[0].get("supporters"), "6");
    let etag3 = r.header("etag").unwrap().to_string();
    // A redaction changes nothing a tile shows: same bytes, so still 304.
    let admin = token(&app, OfficerRole::Admin, &[]);
    let r = post_json(
        &app,
        &format!("/api/v1/suggestions/{b}/redact"),
        json!({"field": "description", "reason": "含个人信息"}),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        get_if_none_match(&app, &uri, &etag3).await.status,
        StatusCode::NOT_MODIFIED
    );
    let _ = c;

    // Bad tiles and filters: 4xx problems.
    assert_eq!(
        get(&app, "/tiles/suggestions/23/0/0.mvt").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/tiles/suggestions/1/2/0.mvt").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/tiles/suggestions/1/0/0.png").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("{uri}?status=lost")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, &format!("{uri}?colour=red")).await.status,
        StatusCode::BAD_REQUEST
    );

    // Point tiles follow admin edits: a point put at P joins its z14 tile.
    let puri = format!("/tiles/points/14/{x}/{y}.mvt");
    let before = get(&app, &puri).await;
    let mut ids_before: Vec<String> = decode(&before.body, 14, x, y)
        .iter()
        .map(|f| f.get("id").to_string())
        .collect();
    ids_before.sort_unstable();
    let mut want: Vec<String> = fixture_points()
        .iter()
        .filter(|p| tile_of(p.location.lon, p.location.lat, 14) == (x, y))
        .map(|p| p.id.clone())
        .collect();
    want.sort_unstable();
    assert_eq!(ids_before, want);
    let r = put_point(
        &app,
        "tile-new",
        json!({"kind": "station", "name": "新驿站", "location": P}),
        &officer,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let after = get_if_none_match(&app, &puri, before.header("etag").unwrap()).await;
    assert_eq!(after.status, StatusCode::OK);
    let mut ids_after: Vec<String> = decode(&after.body, 14, x, y)
        .iter()
        .map(|f| f.get("id").to_string())
        .collect();
    ids_after.sort_unstable();
    want.push("tile-new".into());
    want.sort_unstable();
    assert_eq!(ids_after, want);
}
