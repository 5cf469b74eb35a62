use super::*;
use serde_json::{json, Value};

fn queryables() -> Queryables {
    Queryables(vec![
        Queryable::new("id", "id", QueryableType::String),
        Queryable::new("name", "name", QueryableType::String),
        Queryable::new("adcode", "adcode", QueryableType::String).nullable(),
        Queryable::new("supporters", "supporters", QueryableType::Integer),
        Queryable::new("demo", "demo", QueryableType::Boolean),
        Queryable::new("created_at", "created_at", QueryableType::DateTime),
        Queryable::new("amenities", "amenities", QueryableType::StringList),
        Queryable::new("geometry", "geometry", QueryableType::Geometry),
    ])
}

fn feature(
    id: &str,
    name: &str,
    adcode: Option<&str>,
    n: u32,
    lon: f64,
    lat: f64,
    t: &str,
) -> Value {
    json!({"type": "Feature", "id": id,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "adcode": adcode, "supporters": n, "demo": n % 2 == 0,
                       "created_at": t, "amenities": ["water"]}})
}

fn fixtures() -> Vec<Value> {
    vec![
        feature(
            "a",
            "五一广场驿站",
            Some("430102"),
            3,
            112.977,
            28.196,
            "2026-01-05T08:00:00Z",
        ),
        feature(
            "b",
            "Yuelu Station",
            Some("430104"),
            10,
            112.94,
            28.18,
            "2026-02-01T00:00:00+08:00",
        ),
        feature(
            "c",
            "o'clock 驿站",
            None,
            0,
            113.2,
            28.4,
            "2025-12-31T23:59:59Z",
        ),
        feature(
            "d",
            "100% 驿站",
            Some("430102"),
            7,
            112.99,
            28.20,
            "2026-03-01T12:00:00Z",
        ),
    ]
}

/// Ids of the fixtures matching the text filter (CRS84).
fn text(f: &str) -> Vec<String> {
    let q = queryables();
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Crs84,
    };
    let e = parse_text(f, &ctx).unwrap_or_else(|e| panic!("{f}: {e}"));
    ids(&e, &q)
}

fn ids(e: &Expr, q: &Queryables) -> Vec<String> {
    fixtures()
        .iter()
        .filter(|f| matches(e, f, q))
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn jsonf(f: Value) -> Vec<String> {
    let q = queryables();
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Crs84,
    };
    let e = parse_json(&f.to_string(), &ctx).unwrap_or_else(|e| panic!("{f}: {e}"));
    ids(&e, &q)
}

fn text_err(f: &str) -> Cql2Error {
    let q = queryables();
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Crs84,
    };
    parse_text(f, &ctx).expect_err(f)
}

#[test]
fn comparisons_and_logic() {
    // The expected sets are read off the four fixtures above by hand.
    assert_eq!(text("adcode = '430102'"), ["a", "d"]);
    assert_eq!(text("adcode <> '430102'"), ["b"]); // c has null adcode: unknown
    assert_eq!(text("supporters > 3"), ["b", "d"]);
    assert_eq!(text("supporters >= 3 AND supporters <= 7"), ["a", "d"]);
    assert_eq!(text("supporters < 1 OR name = 'Yuelu Station'"), ["b", "c"]);
    assert_eq!(text("NOT (supporters > 3)"), ["a", "c"]);
    assert_eq!(text("not adcode = '430102'"), ["b"]); // null stays unknown under NOT
    assert_eq!(text("demo = TRUE"), ["b", "c"]);
    assert_eq!(text("TRUE"), ["a", "b", "c", "d"]);
    assert_eq!(text("\"name\" = 'o''clock 驿站'"), ["c"]);
    // A number against the string adcode compares numerically.
    assert_eq!(text("adcode = 430104"), ["b"]);
    // Unquoted keywords in any case.
    assert_eq!(text("supporters>3 and adcode='430102'"), ["d"]);
    // The feature id is queryable as `id`.
    assert_eq!(text("id = 'c'"), ["c"]);
}

#[test]
fn advanced_comparisons() {
    assert_eq!(text("name LIKE '%驿站'"), ["a", "c", "d"]);
    assert_eq!(text("name NOT LIKE '%驿站'"), ["b"]);
    assert_eq!(text("name LIKE '100\\% %'"), ["d"]);
    assert_eq!(text("name LIKE '_elu%'"), Vec::<String>::new());
    assert_eq!(text("name LIKE '_uelu%'"), ["b"]);
    assert_eq!(text("CASEI(name) LIKE CASEI('yuelu%')"), ["b"]);
    assert_eq!(text("name ILIKE 'YUELU%'"), ["b"]);
    assert_eq!(text("supporters BETWEEN 3 AND 7"), ["a", "d"]);
    assert_eq!(text("supporters NOT BETWEEN 3 AND 7"), ["b", "c"]);
    assert_eq!(text("adcode IN ('430104', '430105')"), ["b"]);
    assert_eq!(text("adcode NOT IN ('430104')"), ["a", "d"]);
    assert_eq!(text("adcode IS NULL"), ["c"]);
    assert_eq!(text("adcode IS NOT NULL"), ["a", "b", "d"]);
}

#[test]
fn times() {
    // b is 2026-02-01T00:00+08:00 = 2026-01-31T16:00Z.
    assert_eq!(
        text("created_at >= TIMESTAMP('2026-01-31T16:00:00Z')"),
        ["b", "d"]
    );
    assert_eq!(text("created_at < DATE('2026-01-01')"), ["c"]);
    // GDAL writes a timestamp as a plain string.
    assert_eq!(text("created_at > '2026-02-15T00:00:00Z'"), ["d"]);
    assert_eq!(
        text("created_at BETWEEN TIMESTAMP('2026-01-01T00:00:00Z') AND TIMESTAMP('2026-02-01T00:00:00Z')"),
        ["a", "b"]
    );
}

#[test]
fn spatial() {
    // Box around central Changsha: a (112.977, 28.196), b (112.94, 28.18), d (112.99, 28.20).
    assert_eq!(
        text("S_INTERSECTS(geometry, BBOX(112.95, 28.15, 113.0, 28.25))"),
        ["a", "d"]
    );
    // A triangle containing only b.
    assert_eq!(
        text("S_INTERSECTS(geometry, POLYGON((112.93 28.17, 112.95 28.17, 112.94 28.19, 112.93 28.17)))"),
        ["b"]
    );
    assert_eq!(text("S_INTERSECTS(geometry, POINT(113.2 28.4))"), ["c"]);
    assert_eq!(
        text("S_DISJOINT(geometry, BBOX(112.95, 28.15, 113.0, 28.25))"),
        ["b", "c"]
    );
    assert_eq!(
        text(
            "S_WITHIN(geometry, MULTIPOLYGON(((113.1 28.3, 113.3 28.3, 113.3 28.6, 113.1 28.3))))"
        ),
        ["c"]
    );
    // A point on the box edge intersects it (edges inclusive).
    assert_eq!(
        text("S_INTERSECTS(geometry, BBOX(113.2, 28.0, 113.5, 28.4))"),
        ["c"]
    );
    // filter-crs EPSG:4326 reads latitude first.
    let q = queryables();
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Epsg4326,
    };
    let e = parse_text(
        "S_INTERSECTS(geometry, BBOX(28.15, 112.95, 28.25, 113.0))",
        &ctx,
    )
    .unwrap();
    assert_eq!(ids(&e, &q), ["a", "d"]);
    // EPSG:3857: the same box in metres (x = R·λ, y = R·ln tan(π/4 + φ/2), R = 6 378 137).
    let r = 6_378_137.0_f64;
    let x = |lon: f64| r * lon.to_radians();
    let y = |lat: f64| {
        r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln()
    };
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Epsg3857,
    };
    let f = format!(
        "S_INTERSECTS(geometry, BBOX({}, {}, {}, {}))",
        x(112.95),
        y(28.15),
        x(113.0),
        y(28.25)
    );
    assert_eq!(ids(&parse_text(&f, &ctx).unwrap(), &q), ["a", "d"]);
}

#[test]
fn json_encoding_matches_text() {
    assert_eq!(
        jsonf(json!({"op": "=", "args": [{"property": "adcode"}, "430102"]})),
        ["a", "d"]
    );
    assert_eq!(
        jsonf(json!({"op": "and", "args": [
            {"op": ">", "args": [{"property": "supporters"}, 3]},
            {"op": "not", "args": [{"op": "isNull", "args": [{"property": "adcode"}]}]}
        ]})),
        ["b", "d"]
    );
    assert_eq!(
        jsonf(json!({"op": "in", "args": [{"property": "adcode"}, ["430104"]]})),
        ["b"]
    );
    assert_eq!(
        jsonf(json!({"op": "like", "args": [{"property": "name"}, "%驿站"]})),
        ["a", "c", "d"]
    );
    assert_eq!(
        jsonf(json!({"op": "between", "args": [{"property": "supporters"}, 3, 7]})),
        ["a", "d"]
    );
    assert_eq!(
        jsonf(
            json!({"op": "s_intersects", "args": [{"property": "geometry"},
            {"bbox": [112.95, 28.15, 113.0, 28.25]}]})
        ),
        ["a", "d"]
    );
    assert_eq!(
        jsonf(
            json!({"op": "s_intersects", "args": [{"property": "geometry"},
            {"type": "Polygon", "coordinates": [[[112.93, 28.17], [112.95, 28.17], [112.94, 28.19], [112.93, 28.17]]]}]})
        ),
        ["b"]
    );
    assert_eq!(
        jsonf(json!({"op": "<", "args": [{"property": "created_at"}, {"date": "2026-01-01"}]})),
        ["c"]
    );
    assert_eq!(
        jsonf(
            json!({"op": "like", "args": [{"op": "casei", "args": [{"property": "name"}]}, "yuelu%"]})
        ),
        ["b"]
    );
}

#[test]
fn errors_point_at_the_problem() {
    let e = text_err("adcode = '430102' AND colour = 'red'");
    assert_eq!(e.at, "character 23", "{e}");
    assert!(e.message.contains("unknown property `colour`"), "{e}");
    let e = text_err("name = 'x");
    assert_eq!(e.at, "character 8", "{e}");
    let e = text_err("supporters >");
    assert_eq!(e.at, "character 13", "{e}");
    let e = text_err("supporters > 3 supporters");
    assert_eq!(e.at, "character 16", "{e}");
    let e = text_err("S_INTERSECTS(geometry, CIRCLE(1 2))");
    assert_eq!(e.at, "character 24", "{e}");
    let e = text_err("T_AFTER(created_at, TIMESTAMP('2026-01-01T00:00:00Z'))");
    assert!(e.message.contains("not supported"), "{e}");
    let e = text_err("geometry = 'x'");
    assert!(e.message.contains("spatial"), "{e}");
    let e = text_err("");
    assert_eq!(e.at, "character 1");
    let q = queryables();
    let ctx = ParseContext {
        queryables: &q,
        crs: OgcCrs::Crs84,
    };
    let e = parse_json(
        r#"{"op": "and", "args": [{"op": "=", "args": [{"property": "name"}, "x"]}, {"op": "=", "args": [{"property": "nope"}, 1]}]}"#,
        &ctx,
    )
    .unwrap_err();
    assert_eq!(e.at, "JSON pointer /args/1/args/0", "{e}");
    let e = parse_json(r#"{"op": "t_after", "args": []}"#, &ctx).unwrap_err();
    assert_eq!(e.at, "JSON pointer /op", "{e}");
}

#[test]
fn sortby() {
    let q = queryables();
    let mut f = fixtures();
    let keys = parse_sortby("-supporters", &q).unwrap();
    f.sort_by(|a, b| compare_for_sort(a, b, &keys, &q));
    let got: Vec<&str> = f.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(got, ["b", "d", "a", "c"]);
    // Nulls last; ties by the next key; "+" decoded as a space is accepted.
    let keys = parse_sortby(" adcode, -created_at", &q).unwrap();
    f.sort_by(|a, b| compare_for_sort(a, b, &keys, &q));
    let got: Vec<&str> = f.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(got, ["d", "a", "b", "c"]);
    assert!(parse_sortby("geometry", &q).is_err());
    let e = parse_sortby("name,colour", &q).unwrap_err();
    assert_eq!(e.at, "character 6");
}

/// Regression (newcomer attack, stop 22): `NOT` ×2000 or 3000 nested parentheses in a GET
/// overflowed the recursive parser's stack and aborted the server. Now a 400-class error names
/// the cap; 64 levels (the cap, counted by hand: each `NOT` and each `(` is one level) still parse.
#[test]
fn nesting_is_capped_instead_of_overflowing_the_stack() {
    let deep_not = format!("{}adcode = '430102'", "NOT ".repeat(2000));
    let e = text_err(&deep_not);
    assert!(e.to_string().contains("deeper than 64"), "{e}");
    let deep_paren = format!("{}adcode = '430102'{}", "(".repeat(3000), ")".repeat(3000));
    let e = text_err(&deep_paren);
    assert!(e.to_string().contains("deeper than 64"), "{e}");
    // Exactly at the cap: 64 NOTs (an even number, so the filter means the plain comparison).
    assert_eq!(
        text(&format!("{}adcode = '430102'", "NOT ".repeat(64))),
        ["a", "d"]
    );
    // 32 parentheses around 32 NOTs: 64 levels.
    let mixed = format!("{}adcode = '430102'{}", "(NOT ".repeat(32), ")".repeat(32));
    assert_eq!(text(&mixed), ["a", "d"]);
    assert!(text_err(&format!("NOT {mixed}"))
        .to_string()
        .contains("deeper than 64"));
}
