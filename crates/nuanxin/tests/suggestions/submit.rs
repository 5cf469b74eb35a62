//! Submitting: validation and its 400 problems, photos, the responsible collection point,
//! idempotency keys, per-client rate limits, and arbitrary input never giving a 5xx.

use super::*;

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
        // Regression (newcomer finding, stop 21): the detail named serde's "untagged enum
        // LocationInput" instead of the accepted shapes.
        (
            json!({"location": {"lon": 113.03}, "category": "rest", "description": "x"}),
            "location",
            "[lon, lat] as two numbers, or the text",
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
        // Regression (newcomer's attack): U+FFFE/U+FFFF were stored and made every Open311
        // XML list and Atom feed holding them unreadable.
        (
            json!({"location": P, "category": "rest", "description": "nonchar \u{fffe}\u{ffff} end"}),
            "description",
            "U+FFFE",
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
