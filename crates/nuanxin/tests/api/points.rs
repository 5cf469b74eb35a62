//! Service points: nearest (against a brute-force scan and geographiclib), coordinate systems
//! and navigation links, place search, filters, within / bbox paging, one point, districts.

use super::*;

/// Brute force: every fixture admitted by `admit`, with its Karney distance from `from`,
/// sorted by distance then id.
fn brute_force(from: LonLat, admit: impl Fn(&ServicePoint) -> bool) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = fixtures()
        .into_iter()
        .filter(|p| admit(p))
        .map(|p| (p.id.clone(), geodesic_distance_m(from, p.location)))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    v
}

// ---------------------------------------------------------------------------------------------
// /api/v1/nearest
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn nearest_matches_brute_force_with_distances_and_minutes() {
    let app = app();
    for (lon, lat) in [
        (112.95, 28.15),
        (113.05, 28.25),
        (112.97, 28.2),
        (100.0, 40.0),
    ] {
        for k in [1usize, 5, 17, 50] {
            let r = get(&app, &format!("/api/v1/nearest?lon={lon}&lat={lat}&k={k}")).await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.content_type(), "application/geo+json");
            let fc = r.json();
            assert_eq!(fc["type"], "FeatureCollection");
            let want = brute_force(LonLat::new(lon, lat).unwrap(), |_| true);
            let want: Vec<_> = want.into_iter().take(k).collect();
            assert_eq!(fc["numberReturned"], want.len());
            assert_eq!(
                ids(&fc),
                want.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
            );
            for (f, (_, d)) in fc["features"].as_array().unwrap().iter().zip(&want) {
                let got = f["properties"]["distance_m"].as_f64().unwrap();
                assert!((got - d).abs() <= 0.05 + 1e-9, "{got} vs {d}");
                // walking 5 km/h = 83.333 m/min
                let minutes = f["properties"]["minutes"].as_f64().unwrap();
                assert!((minutes - d / (5000.0 / 60.0)).abs() <= 0.005 + 1e-9);
                assert_eq!(f["properties"]["mode"], "walk");
            }
        }
    }
}

#[tokio::test]
async fn nearest_distance_anchored_by_geographiclib() {
    // Python geographiclib 2.0: Geodesic.WGS84.Inverse(28.19860, 112.97092, 28.20, 112.99)
    // → s12 = 1879.694 m; to (28.21, 112.97) → 1266.604 m.
    let r = get(
        &app(),
        "/api/v1/nearest?lon=112.97092&lat=28.19860&kind=legal_aid,station&k=50&mode=ebike",
    )
    .await;
    let fc = r.json();
    let by_id = |id: &str| {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["properties"]
            .clone()
    };
    assert!((by_id("la-furong")["distance_m"].as_f64().unwrap() - 1879.7).abs() < 0.051);
    assert!((by_id("st-north")["distance_m"].as_f64().unwrap() - 1266.6).abs() < 0.051);
    // e-bike 15 km/h = 250 m/min: 1879.694 / 250 = 7.52 min
    assert!((by_id("la-furong")["minutes"].as_f64().unwrap() - 7.52).abs() < 0.006);
    assert_eq!(by_id("la-furong")["mode"], "ebike");
}

#[tokio::test]
async fn nearest_for_a_gcj02_point_finds_the_station_there() {
    // The GCJ-02 coordinates Amap shows for 五一广场 (converted with coord-convert).
    let r = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=gcj02&k=3&out_crs=gcj02",
            WUYI_GCJ.0, WUYI_GCJ.1
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let fc = r.json();
    let first = &fc["features"][0];
    assert_eq!(first["id"], "st-wuyi");
    assert!(first["properties"]["distance_m"].as_f64().unwrap() < 0.1);
    let w = &fc["query"]["position_wgs84"];
    assert!((w[0].as_f64().unwrap() - WUYI.0).abs() < 1e-7);
    assert!((w[1].as_f64().unwrap() - WUYI.1).abs() < 1e-7);
    assert_eq!(fc["query"]["crs"], "gcj02");
    let g = &first["properties"]["gcj02"];
    assert!((g[0].as_f64().unwrap() - WUYI_GCJ.0).abs() < 1e-7);
    assert!((g[1].as_f64().unwrap() - WUYI_GCJ.1).abs() < 1e-7);
    // Without conversion the same numbers read as WGS-84 lie ~700 m away.
    let raw = get(
        &app(),
        &format!("/api/v1/nearest?lon={}&lat={}&k=1", WUYI_GCJ.0, WUYI_GCJ.1),
    )
    .await
    .json();
    assert!(
        raw["features"][0]["properties"]["distance_m"]
            .as_f64()
            .unwrap()
            > 300.0
    );
}

#[tokio::test]
async fn bd09_query_and_navigation_links_use_each_apps_coordinates() {
    let fc = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&crs=bd09&k=1&out_crs=bd09",
            WUYI_BD.0, WUYI_BD.1
        ),
    )
    .await
    .json();
    let p = &fc["features"][0]["properties"];
    assert_eq!(fc["features"][0]["id"], "st-wuyi");
    assert!(p["distance_m"].as_f64().unwrap() < 0.1);
    let b = &p["bd09"];
    assert!((b[0].as_f64().unwrap() - WUYI_BD.0).abs() < 1e-6);
    assert!((b[1].as_f64().unwrap() - WUYI_BD.1).abs() < 1e-6);
    // Navigation from the query position (here the station itself) in the query's mode
    // (walk by default). Amap: GCJ-02 lon,lat; Baidu: BD-09 lat,lng; names percent-encoded UTF-8.
    let amap = p["nav_amap"].as_str().unwrap();
    assert!(
        amap.starts_with("https://uri.amap.com/navigation?from="),
        "{amap}"
    );
    // 五 = U+4E94 = E4 BA 94
    assert!(
        amap.contains("&to=112.976458,28.195164,%E4%BA%94"),
        "{amap}"
    );
    assert!(
        amap.contains("&mode=walk&")
            && amap.contains("coordinate=gaode")
            && amap.contains("callnative=1")
    );
    let baidu = p["nav_baidu"].as_str().unwrap();
    assert!(
        baidu.starts_with("https://api.map.baidu.com/direction?origin="),
        "{baidu}"
    );
    // destination=latlng:28.200829,112.983036|name:五… percent-encoded (':' %3A, ',' %2C, '|' %7C)
    assert!(
        baidu.contains("destination=latlng%3A28.200829%2C112.983036%7Cname%3A%E4%BA%94"),
        "{baidu}"
    );
    assert!(baidu.contains("mode=walking") && baidu.contains("coord_type=bd09ll"));
    assert!(baidu.contains("src=webapp."), "{baidu}");
    let apps = &p["nav_apps"];
    assert!(apps["amap_android"]
        .as_str()
        .unwrap()
        .starts_with("amapuri://route/plan/?"));
    assert!(apps["baidu_ios"].as_str().unwrap().contains("src=ios."));
    // An e-bike query rides.
    let fc = get(
        &app(),
        &format!(
            "/api/v1/nearest?lon={}&lat={}&k=1&mode=ebike",
            WUYI.0, WUYI.1
        ),
    )
    .await
    .json();
    let p = &fc["features"][0]["properties"];
    assert!(p["nav_amap"].as_str().unwrap().contains("&mode=ride&"));
    assert!(p["nav_baidu"].as_str().unwrap().contains("mode=riding"));
    assert!(p["nav_apps"]["amap_ios"].as_str().unwrap().contains("&t=3"));
    // Without a query position (a point by id) Amap navigates from where the rider is and
    // there are no app links.
    let f = get(&app(), "/api/v1/points/st-wuyi").await.json();
    let amap = f["properties"]["nav_amap"].as_str().unwrap();
    assert!(
        amap.starts_with("https://uri.amap.com/navigation?to=112.976458,28.195164,"),
        "{amap}"
    );
    assert!(f["properties"].get("nav_apps").is_none());
}

#[tokio::test]
async fn search_finds_names_pinyin_initials_and_pasted_positions() {
    let app = app();
    // Pinyin initials: the 五一广场 metro station (shipped metro data).
    let r = get(&app, "/api/v1/search?q=wygc").await.json();
    assert_eq!(r["results"][0]["name"], "五一广场");
    assert_eq!(r["results"][0]["kind"], "metro_station");
    assert!(r["position"].is_null());
    // A service point of the index by its Chinese name, first.
    let r = get(
        &app,
        "/api/v1/search?q=%E4%BA%94%E4%B8%80%E5%B9%BF%E5%9C%BA%E9%A9%BF%E7%AB%99",
    )
    .await
    .json();
    assert_eq!(r["results"][0]["id"], "st-wuyi");
    assert_eq!(r["results"][0]["kind"], "service_point");
    assert_eq!(r["results"][0]["score"], 100);
    // A pair copied from Amap: GCJ-02 by default, answered in WGS-84 (within 0.5 m, about
    // 5e-6 degrees).
    let r = get(
        &app,
        &format!("/api/v1/search?q={:.6},{:.6}", WUYI_GCJ.0, WUYI_GCJ.1),
    )
    .await
    .json();
    let loc = &r["position"]["location"];
    assert!((loc[0].as_f64().unwrap() - WUYI.0).abs() < 5e-6, "{r}");
    assert!((loc[1].as_f64().unwrap() - WUYI.1).abs() < 5e-6, "{r}");
    assert_eq!(r["position"]["input_crs"], "gcj02");
    // A Baidu share link: BD-09, latitude first.
    let r = get(
        &app,
        &format!(
            "/api/v1/search?q=https%3A%2F%2Fapi.map.baidu.com%2Fmarker%3Flocation%3D{:.6}%2C{:.6}%26title%3Dx",
            WUYI_BD.1, WUYI_BD.0
        ),
    )
    .await
    .json();
    assert_eq!(r["position"]["source"], "baidu");
    assert!(
        (r["position"]["location"][0].as_f64().unwrap() - WUYI.0).abs() < 5e-6,
        "{r}"
    );
    // Bad input is a 400 problem naming the parameter.
    assert_problem(&app, "/api/v1/search", 400, Some("q")).await;
    assert_problem(&app, "/api/v1/search?q=200,100", 400, Some("q")).await;
    assert_problem(&app, "/api/v1/search?q=x&limit=0", 400, Some("limit")).await;
    assert_problem(&app, "/api/v1/search?q=x&crs=utm", 400, Some("crs")).await;
    assert_problem(&app, "/api/v1/search?q=x&lang=fr", 400, Some("lang")).await;
    assert_problem(
        &app,
        "/api/v1/search?q=https%3A%2F%2Furi.amap.com%2Fsearch%3Fkeyword%3Dx",
        400,
        Some("q"),
    )
    .await;
}

#[tokio::test]
async fn search_labels_follow_lang() {
    let app = app();
    // Chinese (default, and lang=zh): the Chinese name; the English one rides along.
    for uri in ["/api/v1/search?q=wygc", "/api/v1/search?q=wygc&lang=zh"] {
        let r = get(&app, uri).await.json();
        assert_eq!(r["results"][0]["name"], "五一广场", "{uri}");
        assert_eq!(r["results"][0]["label"], "五一广场", "{uri}");
        assert_eq!(r["results"][0]["name_en"], "Wuyi Guangchang", "{uri}");
    }
    // English: the English name, the Chinese in brackets (metro, district).
    let r = get(&app, "/api/v1/search?q=wygc&lang=en").await.json();
    assert_eq!(r["results"][0]["label"], "Wuyi Guangchang (五一广场)");
    let r = get(&app, "/api/v1/search?q=430102&lang=en-GB").await.json();
    assert_eq!(r["results"][0]["label"], "Furong District (芙蓉区)");
    // Searched in English too.
    let r = get(&app, "/api/v1/search?q=Furong%20District&lang=en")
        .await
        .json();
    assert_eq!(r["results"][0]["id"], "430102");
    assert_eq!(r["results"][0]["matched_by"], "name_en");
    // A service point has no English name: Chinese, no brackets, no name_en.
    let r = get(
        &app,
        "/api/v1/search?q=%E4%BA%94%E4%B8%80%E5%B9%BF%E5%9C%BA%E9%A9%BF%E7%AB%99&lang=en",
    )
    .await
    .json();
    assert_eq!(r["results"][0]["kind"], "service_point");
    assert_eq!(r["results"][0]["label"], r["results"][0]["name"]);
    assert!(r["results"][0].get("name_en").is_none(), "{r}");
}

#[tokio::test]
async fn longitude_from_a_panned_map_is_normalised() {
    let app = app();
    let a = get(&app, "/api/v1/nearest?lon=112.95&lat=28.15&k=5")
        .await
        .json();
    for lon in ["472.95", "-247.05"] {
        let b = get(&app, &format!("/api/v1/nearest?lon={lon}&lat=28.15&k=5")).await;
        assert_eq!(b.status, StatusCode::OK, "{lon}");
        let b = b.json();
        assert_eq!(ids(&a), ids(&b), "{lon}");
        // 472.95 − 360 = 112.95; −247.05 + 360 = 112.95
        assert!((b["query"]["position"][0].as_f64().unwrap() - 112.95).abs() < 1e-9);
    }
    // More than one wrap (|lon| > 540) is a mistake, not a panned map: 400 naming lon.
    for lon in ["1e20", "-1e20", "832.95", "-540.5"] {
        let uri = format!("/api/v1/nearest?lon={lon}&lat=28&k=5");
        let p = assert_problem(&app, &uri, 400, Some("lon")).await;
        assert!(p["detail"].as_str().unwrap().contains("540"), "{p}");
    }
}

#[tokio::test]
async fn filters_kind_amenity_access_and_open_at() {
    let app = app();
    let from = LonLat::new(112.95, 28.15).unwrap();
    // kinds: any of, given repeated and as a comma list
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&kind=legal_aid&kind=collection_point,legal_aid",
    )
    .await
    .json();
    let want = brute_force(from, |p| {
        matches!(p.kind, ServiceKind::LegalAid | ServiceKind::CollectionPoint)
    });
    assert_eq!(
        ids(&fc),
        want.iter()
            .take(50)
            .map(|w| w.0.clone())
            .collect::<Vec<_>>()
    );
    assert!(!want.is_empty());
    // amenities: all of; the Chinese label is accepted too
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&amenity=drinking_water&amenity=%E5%85%85%E7%94%B5",
    )
    .await
    .json();
    let want = brute_force(from, |p| {
        p.amenities.contains(Amenity::DrinkingWater) && p.amenities.contains(Amenity::Charging)
    });
    assert_eq!(
        ids(&fc),
        want.iter()
            .take(50)
            .map(|w| w.0.clone())
            .collect::<Vec<_>>()
    );
    // access
    let fc = get(
        &app,
        "/api/v1/nearest?lon=112.95&lat=28.15&k=50&access=rider_code,face_scan",
    )
    .await
    .json();
    assert_eq!(
        ids(&fc).into_iter().collect::<BTreeSet<_>>(),
        ["st-north", "st-wuyi"].map(String::from).into()
    );
    // open_at: 2026-11-30 is a Monday, 2026-11-29 a Sunday (calendar). On Monday 09:00 the
    // Mo-Fr stations are open; on Sunday only 24/7 ones. Unknown hours never pass.
    let monday = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&kind=station&open_at=2026-11-30T09:00",
    )
    .await
    .json();
    let sunday = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&kind=station&open_at=2026-11-29T09:00",
    )
    .await
    .json();
    assert_eq!(monday["features"][0]["id"], "st-north");
    assert_eq!(monday["features"][0]["properties"]["open_now"], true);
    assert!(!ids(&sunday).contains(&"st-north".to_string()));
    let always: BTreeSet<String> = fixtures()
        .into_iter()
        .filter(|p| {
            p.kind == ServiceKind::Station && p.opening_hours.as_ref().is_some_and(|h| h.is_24_7())
        })
        .map(|p| p.id)
        .collect();
    assert_eq!(ids(&sunday).into_iter().collect::<BTreeSet<_>>(), always);
    // open_now parses and admits only points with hours
    let now = get(
        &app,
        "/api/v1/nearest?lon=112.97&lat=28.21&k=50&open_now=true",
    )
    .await
    .json();
    for f in now["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["open_now"], true);
    }
}

// ---------------------------------------------------------------------------------------------
// /api/v1/within, /api/v1/points, /api/v1/points/{id}
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn within_matches_brute_force_and_pages() {
    let app = app();
    let from = LonLat::new(112.97, 28.18).unwrap();
    for radius in [0.0, 1500.0, 5000.0, 12000.0] {
        let want: Vec<_> = brute_force(from, |_| true)
            .into_iter()
            .filter(|(_, d)| *d <= radius)
            .collect();
        let fc = get(
            &app,
            &format!("/api/v1/within?lon=112.97&lat=28.18&radius_m={radius}&limit=10000"),
        )
        .await
        .json();
        assert_eq!(fc["numberMatched"], want.len());
        assert_eq!(
            ids(&fc),
            want.iter().map(|w| w.0.clone()).collect::<Vec<_>>()
        );
    }
    // paging: follow next links until the end; every id once, in distance order
    let want: Vec<String> = brute_force(from, |_| true)
        .into_iter()
        .filter(|(_, d)| *d <= 12000.0)
        .map(|w| w.0)
        .collect();
    assert!(want.len() > 7);
    let mut got = Vec::new();
    let mut next = Some("/api/v1/within?lon=112.97&lat=28.18&radius_m=12000&limit=7".to_string());
    while let Some(uri) = next {
        let fc = get(&app, &uri).await.json();
        got.extend(ids(&fc));
        next = fc["links"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
            .map(|l| l["href"].as_str().unwrap().to_string());
    }
    assert_eq!(got, want);
}

#[tokio::test]
async fn points_by_bbox_and_paging_with_next_links() {
    let app = app();
    let (w, s, e, n) = (112.90, 28.10, 113.00, 28.22);
    let want: Vec<String> = {
        let mut v: Vec<String> = fixtures()
            .into_iter()
            .filter(|p| {
                let l = p.location;
                l.lon >= w && l.lon <= e && l.lat >= s && l.lat <= n
            })
            .map(|p| p.id)
            .collect();
        v.sort();
        v
    };
    assert!(want.len() > 5, "{want:?}");
    let mut got = Vec::new();
    let mut uri = Some(format!("/api/v1/points?bbox={w},{s},{e},{n}&limit=4"));
    let mut pages = 0;
    while let Some(u) = uri {
        let r = get(&app, &u).await;
        assert_eq!(r.status, StatusCode::OK, "{u}");
        let fc = r.json();
        assert_eq!(fc["numberMatched"], want.len());
        assert!(fc["numberReturned"].as_u64().unwrap() <= 4);
        got.extend(ids(&fc));
        pages += 1;
        uri = fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_string());
    }
    assert_eq!(got, want);
    assert_eq!(pages, want.len().div_ceil(4));
    // prev link on a later page, and limit/offset paging without bbox covers every point
    let fc = get(&app, "/api/v1/points?limit=10&offset=10&kind=station")
        .await
        .json();
    let prev = fc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap();
    assert!(prev["href"]
        .as_str()
        .unwrap()
        .ends_with("kind=station&limit=10&offset=0"));
    let all = get(&app, "/api/v1/points?limit=10000").await.json();
    assert_eq!(all["numberMatched"], fixtures().len());
    // a box across the antimeridian (west > east) that holds no fixture
    let fc = get(&app, "/api/v1/points?bbox=170,-10,-170,10")
        .await
        .json();
    assert_eq!(fc["numberMatched"], 0);
}

#[tokio::test]
async fn point_by_id_and_404() {
    let app = app();
    let r = get(&app, "/api/v1/points/st-wuyi?out_crs=gcj02").await;
    assert_eq!(r.status, StatusCode::OK);
    let f = r.json();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["geometry"]["coordinates"][0].as_f64().unwrap(), WUYI.0);
    assert_eq!(f["properties"]["name"], "五一广场驿站");
    assert_eq!(f["properties"]["kind_label_zh"], "驿站");
    assert_eq!(
        f["properties"]["amenities"],
        serde_json::json!(["drinking_water", "charging"])
    );
    assert_eq!(f["properties"]["access"], "face_scan");
    assert_eq!(f["properties"]["opening_hours"], "24/7");
    assert_eq!(f["properties"]["open_now"], true);
    assert!((f["properties"]["gcj02"][0].as_f64().unwrap() - WUYI_GCJ.0).abs() < 1e-7);
    assert_problem(&app, "/api/v1/points/nope", 404, None).await;
    // Outside mainland China GCJ-02 equals WGS-84 (Hong Kong).
    let hk = get(&app, "/api/v1/points/st-hk?out_crs=gcj02").await.json();
    assert_eq!(
        hk["properties"]["gcj02"],
        serde_json::json!([114.17, 22.30])
    );
}

// ---------------------------------------------------------------------------------------------
// Districts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn districts_list_and_boundary() {
    let app = app();
    let all = get(&app, "/api/v1/districts").await.json();
    let list = all["districts"].as_array().unwrap();
    // Hunan: 14 prefecture-level units, 122 county-level units (data/boundaries, 2024 codes).
    assert_eq!(list.iter().filter(|d| d["level"] == "city").count(), 14);
    assert_eq!(list.iter().filter(|d| d["level"] == "county").count(), 122);
    let cs = get(&app, "/api/v1/districts?parent=430100").await.json();
    let names: BTreeSet<&str> = cs["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    // Changsha's 9 county-level divisions (GB/T 2260): 6 districts, 1 county, 2 cities.
    for n in [
        "芙蓉区",
        "天心区",
        "岳麓区",
        "开福区",
        "雨花区",
        "望城区",
        "长沙县",
        "浏阳市",
        "宁乡市",
    ] {
        assert!(names.contains(n), "{n} missing from {names:?}");
    }
    assert_eq!(names.len(), 9);
    let r = get(&app, "/api/v1/districts/430102").await;
    assert_eq!(r.content_type(), "application/geo+json");
    let f = r.json();
    assert_eq!(f["properties"]["name"], "芙蓉区");
    assert_eq!(f["properties"]["parent_adcode"], "430100");
    assert!(matches!(
        f["geometry"]["type"].as_str(),
        Some("MultiPolygon" | "Polygon")
    ));
    // 五一广场 lies near the 芙蓉区 / 天心区 border; 芙蓉区's bbox contains it.
    let b = &f["bbox"];
    assert!(b[0].as_f64().unwrap() < WUYI.0 && WUYI.0 < b[2].as_f64().unwrap());
}
