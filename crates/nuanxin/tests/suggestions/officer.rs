//! Officers: roles and tokens, answering and resolving (the whole life of a suggestion), the
//! queue, triage (duplicates, departments, redaction) and the KPIs.

use super::*;

/// `POST uri` with a JSON body and the reporter's receipt token in `X-Receipt-Token`.
async fn post_with_receipt(app: &App, uri: &str, body: Value, receipt: &str) -> Resp {
    post_with(app, uri, body, &[("x-receipt-token", receipt)]).await
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
