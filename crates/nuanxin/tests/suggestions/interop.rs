//! Other clients of the same suggestions: Open311 GeoReport v2, Atom feeds, GDAL through OGC API –
//! Features, the vector tiles of the map, and the OpenAPI document.

use super::*;

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
    // GeoReport v2 comma lists (a newcomer's `status=open,closed` got 400): the union; an
    // unknown member is still refused, naming the parameter.
    for q in ["open,closed", "closed,%20open", "closed,"] {
        let r = get(&app, &format!("/open311/v2/requests.json?status={q}")).await;
        assert_eq!(r.json().as_array().map(Vec::len), Some(1), "status={q}");
    }
    let bad = get(&app, "/open311/v2/requests.json?status=closed,bogus").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("bogus"), "{}", bad.text());
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
    // the email typed into the description is masked in public (as any email address is)
    let one = get(&app, &format!("/api/v1/suggestions/{id}")).await.json();
    assert_eq!(one["description"], "没地方休息 [邮箱已隐藏]");

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

    // Issue 16: an edit elsewhere keeps the cached tile (no new entry when it is asked for
    // again); an edit inside it makes it stale (encoded again: one more entry).
    let entries = || app.state.tile_cache.usage().0;
    let cached = entries();
    assert_ne!(tile_of(T[0], T[1], 14), (x, y));
    let r = put_point(
        &app,
        "tile-far",
        json!({"kind": "station", "name": "远处的驿站", "location": T}),
        &admin,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let again = get(&app, &puri).await;
    assert_eq!(again.body, after.body);
    assert_eq!(entries(), cached, "an edit elsewhere re-encoded the tile");
    let r = put_point(
        &app,
        "tile-new",
        json!({"kind": "station", "name": "改名的驿站", "location": P}),
        &officer,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let renamed = get(&app, &puri).await;
    assert_eq!(
        entries(),
        cached + 1,
        "an edit inside did not re-encode the tile"
    );
    let names: Vec<String> = decode(&renamed.body, 14, x, y)
        .iter()
        .map(|f| f.get("name").to_string())
        .collect();
    assert!(names.iter().any(|n| n.contains("改名的驿站")), "{names:?}");
}
