//! OGC API – Features: landing page, conformance, collections, paging, CQL2 filters, sorting,
//! CRS, schemas and the HTML views.

use super::*;

/// Ids of the fixture stations, sorted, that satisfy `keep` (computed from the fixtures,
/// not by the server).
fn station_ids(keep: impl Fn(&ServicePoint) -> bool) -> Vec<String> {
    let mut v: Vec<String> = fixtures()
        .into_iter()
        .filter(|p| p.kind == ServiceKind::Station && keep(p))
        .map(|p| p.id)
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// OGC API – Features
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ogc_landing_conformance_and_collections() {
    let app = app_with(Config {
        public_url: Some("https://map.example.test/".into()),
        ..Config::default()
    });
    let r = send(
        &app,
        Request::get("/ogc")
            .header(header::HOST, "example.test:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let landing = r.json();
    let rels: BTreeSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.contains(rel), "{rel}");
    }
    let data = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "data")
        .unwrap();
    // under the configured public URL; the Host header plays no part
    assert_eq!(data["href"], "https://map.example.test/ogc/collections");

    let conf = get(&app, "/ogc/conformance").await.json();
    for c in ["core", "geojson", "oas30"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}");
        assert!(
            conf["conformsTo"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == &uri),
            "{c}"
        );
    }
    let cols = get(&app, "/ogc/collections").await.json();
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut want = ServiceKind::codes();
    want.push("suggestions"); // registered by the suggestions module (ogc::registered_collections)
    assert_eq!(ids, want);
    let station = get(&app, "/ogc/collections/station").await.json();
    assert_eq!(station["itemType"], "feature");
    let bbox = &station["extent"]["spatial"]["bbox"][0];
    // Station fixtures span up to Hong Kong (114.17, 22.30) in the south-east.
    assert_eq!(bbox[2].as_f64().unwrap(), 114.17);
    assert_eq!(bbox[1].as_f64().unwrap(), 22.30);
    let api = get(&app, "/ogc/api").await;
    assert_eq!(
        api.content_type(),
        "application/vnd.oai.openapi+json;version=3.0"
    );
    let api = api.json();
    assert_eq!(api["openapi"], "3.0.3");
    // Paths are relative to the server URL …/ogc, items listed per collection.
    assert_eq!(api["servers"][0]["url"], "https://map.example.test/ogc");
    assert!(api["paths"]["/collections/station/items"]["get"].is_object());
    assert!(api["paths"]["/collections/suggestions/items"]["get"].is_object());
    assert!(!api.to_string().contains("\"null\""), "3.1 null types left");
}

#[tokio::test]
async fn ogc_items_page_through_every_collection() {
    let app = app();
    for kind in ServiceKind::ALL {
        let want: Vec<String> = {
            let mut v: Vec<String> = fixtures()
                .into_iter()
                .filter(|p| p.kind == *kind)
                .map(|p| p.id)
                .collect();
            v.sort();
            v
        };
        let mut got = Vec::new();
        let mut uri = Some(format!("/ogc/collections/{}/items?limit=7", kind.as_str()));
        while let Some(u) = uri {
            let r = get(&app, &u).await;
            assert_eq!(r.content_type(), "application/geo+json");
            let fc = r.json();
            assert_eq!(fc["numberMatched"], want.len());
            assert_eq!(
                fc["numberReturned"],
                fc["features"].as_array().unwrap().len()
            );
            assert!(fc["timeStamp"].is_string());
            got.extend(ids(&fc));
            let links = fc["links"].as_array().unwrap();
            assert!(links.iter().any(|l| l["rel"] == "self"));
            if got.len() > 7 {
                assert!(links.iter().any(|l| l["rel"] == "prev"));
            }
            uri = links
                .iter()
                .find(|l| l["rel"] == "next")
                .map(|l| l["href"].as_str().unwrap().to_string());
        }
        assert_eq!(got, want, "{kind}");
    }
    // limit above the maximum is reduced, not refused (OGC /per/core/limit-response)
    let r = get(&app, "/ogc/collections/station/items?limit=999999").await;
    assert_eq!(r.status, StatusCode::OK);
    // bbox
    let fc = get(&app, "/ogc/collections/station/items?bbox=114,22,115,23")
        .await
        .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    // one item, with links; wrong collection is 404 (tested with errors)
    let f = get(&app, "/ogc/collections/station/items/st-wuyi")
        .await
        .json();
    assert_eq!(f["id"], "st-wuyi");
    assert!(f["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "collection"));
    // datetime is accepted
    let r = get(
        &app,
        "/ogc/collections/station/items?datetime=2026-01-01T00:00:00Z/..",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn ogc_filters_sorting_crs_and_schemas() {
    let app = app();
    let items = "/ogc/collections/station/items?limit=1000";
    let filtered = |f: &str| format!("{items}&filter={}", enc(f));
    // CQL2 text: spatial, LIKE, IN, logic. Expected sets come from the fixtures directly.
    let in_box = |p: &ServicePoint| {
        (112.90..=113.0).contains(&p.location.lon) && (28.10..=28.25).contains(&p.location.lat)
    };
    let want = station_ids(in_box);
    assert!(want.len() >= 3, "{want:?}");
    let fc = get(
        &app,
        &filtered("S_INTERSECTS(geometry, BBOX(112.90, 28.10, 113.0, 28.25))"),
    )
    .await
    .json();
    assert_eq!(ids(&fc), want);
    assert_eq!(fc["numberMatched"], want.len());
    let want = station_ids(|p| p.name.ends_with("驿站"));
    assert_eq!(
        ids(&get(&app, &filtered("name LIKE '%驿站'")).await.json()),
        want
    );
    let want = station_ids(|p| p.name.ends_with("驿站") || p.id == "st-hk");
    assert_eq!(
        ids(&get(
            &app,
            &filtered("name LIKE '%驿站' OR id IN ('st-hk', 'la-furong')")
        )
        .await
        .json()),
        want
    );
    let want = station_ids(|p| !in_box(p));
    assert_eq!(
        ids(&get(&app, &filtered("NOT S_INTERSECTS(geometry, POLYGON((112.90 28.10, 113.0 28.10, 113.0 28.25, 112.90 28.25, 112.90 28.10)))")).await.json()),
        want
    );
    let want = station_ids(|p| p.access.is_none());
    assert_eq!(
        ids(&get(&app, &filtered("access IS NULL")).await.json()),
        want
    );
    // CQL2 JSON.
    let json_filter =
        r#"{"op": "in", "args": [{"property": "id"}, ["st-wuyi", "st-north", "g999"]]}"#;
    let fc = get(
        &app,
        &format!("{items}&filter-lang=cql2-json&filter={}", enc(json_filter)),
    )
    .await
    .json();
    assert_eq!(ids(&fc), ["st-north", "st-wuyi"]);
    // A queryable as a query parameter.
    let fc = get(&app, &format!("{items}&access=face_scan")).await.json();
    assert_eq!(ids(&fc), ["st-wuyi"]);
    // Filters apply before paging: numberMatched counts the filtered set, pages split it.
    let all = station_ids(|p| p.name.ends_with("驿站"));
    let page = get(
        &app,
        &format!(
            "/ogc/collections/station/items?limit=1&offset=1&filter={}",
            enc("name LIKE '%驿站'")
        ),
    )
    .await
    .json();
    assert_eq!(page["numberMatched"], all.len());
    assert_eq!(ids(&page), [all[1].clone()]);
    // sortby, descending.
    let mut want = station_ids(|_| true);
    want.reverse();
    assert_eq!(
        ids(&get(&app, &format!("{items}&sortby=-id")).await.json()),
        want
    );
    // properties
    let fc = get(
        &app,
        &format!(
            "{items}&properties=name,adcode&filter={}",
            enc("id = 'st-wuyi'")
        ),
    )
    .await
    .json();
    let props = fc["features"][0]["properties"].as_object().unwrap();
    assert_eq!(props.keys().collect::<Vec<_>>(), ["adcode", "name"]);
    // Part 2: EPSG:4326 is latitude first; EPSG:3857 by hand (x = R·λ, y = R·ln tan(π/4 + φ/2)).
    let r = get(
        &app,
        "/ogc/collections/station/items/st-wuyi?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    .await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    );
    let c = &r.json()["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - WUYI.1).abs() < 1e-7, "{c}");
    assert!((c[1].as_f64().unwrap() - WUYI.0).abs() < 1e-7, "{c}");
    let r = get(
        &app,
        &format!(
            "{items}&crs={}&filter={}",
            enc("http://www.opengis.net/def/crs/EPSG/0/3857"),
            enc("id = 'st-wuyi'")
        ),
    )
    .await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/EPSG/0/3857>"
    );
    let c = &r.json()["features"][0]["geometry"]["coordinates"];
    let rr = 6_378_137.0_f64;
    let x = rr * WUYI.0.to_radians();
    let y = rr
        * (std::f64::consts::FRAC_PI_4 + WUYI.1.to_radians() / 2.0)
            .tan()
            .ln();
    assert!((c[0].as_f64().unwrap() - x).abs() < 0.01, "{c} vs {x}");
    assert!((c[1].as_f64().unwrap() - y).abs() < 0.01, "{c} vs {y}");
    let r = get(&app, items).await;
    assert_eq!(
        r.headers["content-crs"],
        "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    );
    // bbox in EPSG:4326 (lat, lon order) and the 6-number bbox.
    let fc = get(
        &app,
        &format!(
            "{items}&bbox=22,114,23,115&bbox-crs={}",
            enc("http://www.opengis.net/def/crs/EPSG/0/4326")
        ),
    )
    .await
    .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    let fc = get(&app, &format!("{items}&bbox=114,22,-10,115,23,500"))
        .await
        .json();
    assert_eq!(ids(&fc), ["st-hk"]);
    // Bad filters are 400 problems that point at the position.
    let p = assert_problem(
        &app,
        &filtered("name = 'x' AND colour = 'red'"),
        400,
        Some("filter"),
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("character 16"),
        "{p}"
    );
    assert_problem(&app, &filtered("name ="), 400, Some("filter")).await;
    // Regression (newcomer attack, stop 22): 2000 nested NOTs overflowed the parser's stack and
    // aborted the server; now a 400 naming the cap.
    let p = assert_problem(
        &app,
        &filtered(&format!("{}adcode = '430102'", "NOT ".repeat(2000))),
        400,
        Some("filter"),
    )
    .await;
    assert!(
        p["detail"].as_str().unwrap().contains("deeper than 64"),
        "{p}"
    );
    assert_problem(
        &app,
        &format!("{items}&filter=x&filter-lang=sql"),
        400,
        Some("filter-lang"),
    )
    .await;
    assert_problem(
        &app,
        &format!("{items}&sortby=geometry"),
        400,
        Some("sortby"),
    )
    .await;
    assert_problem(
        &app,
        &format!("{items}&properties=nope"),
        400,
        Some("properties"),
    )
    .await;
    assert_problem(&app, &format!("{items}&crs=EPSG:4547"), 400, Some("crs")).await;
    // Collection metadata, queryables and schema.
    let col = get(&app, "/ogc/collections/station").await.json();
    assert_eq!(
        col["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert!(col["crs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "http://www.opengis.net/def/crs/EPSG/0/4326"));
    let rels: Vec<&str> = col["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in [
        "http://www.opengis.net/def/rel/ogc/1.0/queryables",
        "http://www.opengis.net/def/rel/ogc/1.0/schema",
        "describedBy",
    ] {
        assert!(rels.contains(&rel), "{rel}");
    }
    let r = get(&app, "/ogc/collections/station/queryables").await;
    assert_eq!(r.content_type(), "application/schema+json");
    let q = r.json();
    assert_eq!(q["properties"]["name"]["type"], "string");
    assert_eq!(q["properties"]["geometry"]["format"], "geometry-point");
    assert_eq!(q["properties"]["updated_at"]["format"], "date-time");
    assert!(q["properties"].get("amenities").is_none());
    let sch = get(&app, "/ogc/collections/station/schema").await.json();
    assert_eq!(sch["properties"]["id"]["x-ogc-role"], "id");
    assert_eq!(
        sch["properties"]["geometry"]["x-ogc-role"],
        "primary-geometry"
    );
    assert_eq!(sch["properties"]["amenities"]["type"], "array");
    let sch = get(&app, "/ogc/collections/suggestions/schema")
        .await
        .json();
    assert_eq!(
        sch["properties"]["created_at"]["x-ogc-role"],
        "primary-instant"
    );
    // Conformance lists the classes.
    let conf = get(&app, "/ogc/conformance").await.json();
    let conf: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    ] {
        assert!(conf.contains(&c), "{c}");
    }
    // Numeric ids stay numbers.
    let app = server::router(AppState::new(
        Config::default(),
        ServiceIndex::new(vec![
            pt("12345", ServiceKind::Station, "数字编号", 112.9, 28.2),
            pt("007", ServiceKind::Station, "零开头", 112.9, 28.2),
        ])
        .unwrap(),
    ));
    let fc = get(&app, "/ogc/collections/station/items").await.json();
    let got: Vec<&Value> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(got, [&Value::from("007"), &Value::from(12345)]);
    assert_eq!(
        get(&app, "/ogc/collections/station/items/12345")
            .await
            .json()["id"],
        12345
    );
}

#[tokio::test]
async fn ogc_html_views() {
    let app = app();
    for uri in [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/station",
        "/ogc/collections/station/items",
        "/ogc/collections/station/items/st-wuyi",
    ] {
        let r = send(
            &app,
            Request::get(uri)
                .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(r.content_type().starts_with("text/html"), "{uri}");
        assert!(r.text().starts_with("<!doctype html>"), "{uri}");
        let f = get(&app, &format!("{uri}?f=html")).await;
        assert!(f.content_type().starts_with("text/html"), "{uri}");
    }
    let item = get(&app, "/ogc/collections/station/items/st-wuyi?f=html")
        .await
        .text();
    assert!(item.contains("五一广场驿站"));
    // the address "黄兴中路 & 解放西路" is escaped
    assert!(item.contains("黄兴中路 &amp; 解放西路"));
}
