//! The reporter's and the public's side: privacy of the contact, nearby duplicates and support,
//! tracking ids as typed, and the receipt (token, short code) that opens the reporter's record.

use super::*;

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

/// `POST /api/v1/suggestions/{id}/support` from client address `ip`, with `device` as the
/// `X-Device-Token` when given.
async fn support_vote(app: &App, id: &str, device: Option<&str>, ip: &str) -> Resp {
    let mut b = Request::post(format!("/api/v1/suggestions/{id}/support"));
    if let Some(d) = device {
        b = b.header("x-device-token", d);
    }
    send(app, from_ip(b.body(Body::empty()).unwrap(), ip)).await
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
    let vote = |dev: Option<&'static str>, ip: &'static str| support_vote(&app, &id, dev, ip);
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

/// Regression (newcomer attack, stop 22): minting device tokens from one address added 40
/// votes in 15 s. With the per-IP bucket out of the way, one address casts at most 20 device
/// votes on one suggestion (the documented cap, counted here by hand), then 429; another
/// suggestion and another address are not affected.
#[tokio::test]
async fn one_address_cannot_mint_device_tokens_past_the_cap() {
    let mut c = Config::default();
    c.rate_limit.enabled = false;
    c.support_rate_limit.enabled = false;
    let app = app_with(c);
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(
            app.store
                .insert_suggestion(sug_in(
                    P,
                    "430102",
                    Category::Parking,
                    "2025-03-07T07:00:00Z",
                ))
                .unwrap()
                .0
                .id,
        );
    }
    let vote = |id: String, n: usize, ip: &'static str| {
        let app = &app;
        async move { support_vote(app, &id, Some(&format!("{n:032x}")), ip).await }
    };
    for n in 0..20 {
        let r = vote(ids[0].clone(), n, "203.0.113.9").await;
        assert_eq!(r.json()["counted"], true, "vote {n}: {}", r.text());
    }
    let r = vote(ids[0].clone(), 20, "203.0.113.9").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    assert!(
        r.text().contains("one suggestion in 24 hours"),
        "{}",
        r.text()
    );
    assert_eq!(
        vote(ids[1].clone(), 20, "203.0.113.9").await.json()["counted"],
        true
    );
    assert_eq!(
        vote(ids[0].clone(), 21, "203.0.113.10").await.json()["counted"],
        true
    );
    assert_eq!(
        app.store.suggestion(&ids[0]).unwrap().unwrap().supporters,
        21
    );
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
