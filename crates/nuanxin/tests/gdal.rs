//! GDAL's OGC API – Features client (`ogrinfo`, driver `OAPIF`, Debian `gdal-bin`) reads the
//! real server unchanged: every collection is listed and every feature read through paging.
//!
//! Skipped with a loud message when `ogrinfo` is missing, unless `NUANXIN_REQUIRE_GDAL=1`
//! (set by `scripts/test.sh`), where a missing `ogrinfo` fails the test.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::support;

/// 103 points over Changsha: kinds in uneven numbers (so a wrong per-collection count
/// shows), names with commas, quotes and Chinese.
fn fixtures() -> Vec<ServicePoint> {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..103)
        .map(|i| {
            let kind = match i % 7 {
                0..=2 => ServiceKind::Station,
                3 | 4 => ServiceKind::CollectionPoint,
                5 => ServiceKind::RiderFriendlyCommunity,
                _ => ServiceKind::LegalAid,
            };
            let lon = 112.80 + 0.35 * next();
            let lat = 28.00 + 0.35 * next();
            ServicePoint::new(
                format!("p{i:04}"),
                kind,
                format!("测试点 {i}, \"quoted\""),
                LonLat::new(lon, lat).unwrap(),
            )
        })
        .collect()
}

fn start_server(points: &[ServicePoint]) -> support::bin::Server {
    support::bin::Server::with_points(points, &[])
}

fn ogrinfo(args: &[&str]) -> String {
    ogrinfo_logged(args).0
}

/// Runs ogrinfo with GDAL's debug log on: (stdout, the log, where every HTTP request GDAL
/// sends is written as `HTTP: Fetch(url)`).
fn ogrinfo_logged(args: &[&str]) -> (String, String) {
    let out = Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "30")
        .env("CPL_CURL_VERBOSE", "NO")
        .env("CPL_DEBUG", "ON")
        .output()
        .expect("running ogrinfo");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ogrinfo_available() -> bool {
    let found = Command::new("ogrinfo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("NUANXIN_REQUIRE_GDAL").as_deref() == Ok("1") {
            panic!("ogrinfo (Debian gdal-bin) is required (NUANXIN_REQUIRE_GDAL=1) but missing");
        }
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!! SKIPPED: GDAL OGC API test: `ogrinfo` not found.                 !!");
        eprintln!("!! Install Debian `gdal-bin`, or run scripts/test.sh, to run it.     !!");
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!();
    }
    found
}

fn http_get(addr: &str, path: &str) -> String {
    let (head, body) = http_get_bytes(addr, path, "");
    format!("{head}\r\n\r\n{}", String::from_utf8_lossy(&body))
}

fn http_post_json(addr: &str, path: &str, body: &str) -> String {
    let r = support::bin::http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body,
    );
    format!("{}\r\n\r\n{}", r.head, r.body)
}

#[test]
fn gdal_lists_every_collection_and_reads_every_feature() {
    if !ogrinfo_available() {
        return;
    }
    let points = fixtures();
    let mut by_kind: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for p in &points {
        by_kind
            .entry(p.kind.as_str())
            .or_default()
            .insert(p.id.clone());
    }
    let server = start_server(&points);
    let url = format!("OAPIF:http://{}/ogc", server.addr);
    for i in 0..3 {
        let body = format!(
            r#"{{"lon": {}, "lat": 28.2, "category": "rest", "description": "需要歇脚的地方 {i}"}}"#,
            112.95 + 0.01 * f64::from(i)
        );
        let resp = http_post_json(&server.addr, "/api/v1/suggestions", &body);
        assert!(
            resp.starts_with("HTTP/1.1 201") || resp.starts_with("HTTP/1.1 200"),
            "{resp}"
        );
    }

    // Summary of every layer: names and feature counts.
    let summary = ogrinfo(&["-ro", "-al", "-so", &url]);
    let mut layers: BTreeMap<String, usize> = BTreeMap::new();
    let mut current = None;
    for line in summary.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            current = Some(name.trim().to_string());
        } else if let Some(n) = line.strip_prefix("Feature Count: ") {
            layers.insert(current.clone().unwrap(), n.trim().parse().unwrap());
        }
    }
    let mut want_layers: BTreeMap<String, usize> = ServiceKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_string(),
                by_kind.get(k.as_str()).map_or(0, BTreeSet::len),
            )
        })
        .collect();
    // The suggestions collection is listed too, with the three submitted above.
    want_layers.insert("suggestions".into(), 3);
    assert_eq!(layers, want_layers, "{summary}");

    // Every feature of every collection, 7 per page.
    for kind in ServiceKind::ALL {
        let out = ogrinfo(&["-ro", "-al", "-oo", "PAGE_SIZE=7", &url, kind.as_str()]);
        let n = out.matches("OGRFeature(").count();
        let ids: BTreeSet<String> = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("id (String) = "))
            .map(str::to_string)
            .collect();
        let want = by_kind.get(kind.as_str()).cloned().unwrap_or_default();
        assert_eq!(n, want.len(), "{kind}: features read");
        assert_eq!(ids, want, "{kind}: ids read");
    }

    // Suggestions, two per page.
    let out = ogrinfo(&["-ro", "-al", "-oo", "PAGE_SIZE=2", &url, "suggestions"]);
    assert_eq!(out.matches("OGRFeature(").count(), 3, "{out}");

    // The collection-URL form GDAL also accepts, and one geometry checked.
    let p0 = &points[0];
    let out = ogrinfo(&[
        "-ro",
        "-al",
        "-oo",
        "PAGE_SIZE=7",
        &format!("OAPIF:http://{}/ogc/collections/station", server.addr),
        "-where",
        &format!("id = '{}'", p0.id),
    ]);
    let point_line = out
        .lines()
        .find(|l| l.trim_start().starts_with("POINT ("))
        .unwrap_or_else(|| panic!("no POINT in\n{out}"));
    let coords: Vec<f64> = point_line
        .trim()
        .trim_start_matches("POINT (")
        .trim_end_matches(')')
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    // Positions are written with 7 decimals (RFC 7946 §11.2): within half of 1e-7°.
    assert!(
        (coords[0] - p0.location.lon).abs() <= 5.1e-8,
        "{point_line}"
    );
    assert!(
        (coords[1] - p0.location.lat).abs() <= 5.1e-8,
        "{point_line}"
    );

    // Paging really happened: the server counted at least ceil(n / 7) item requests for
    // the biggest collection.
    let metrics = http_get(&server.addr, "/metrics");
    let item_requests: u64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("nuanxin_http_requests_total{")
                && l.contains(r#"route="/ogc/collections/{collectionId}/items""#)
                && l.contains(r#"status="200""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    let stations = by_kind["station"].len() as u64;
    assert!(
        item_requests >= stations.div_ceil(7),
        "only {item_requests} item requests"
    );
}

/// `ogrinfo -where` is sent to the server as a CQL2 text filter (GDAL finds `cql-text` in the
/// API definition and the queryables as parameters), the server's filtered set is what GDAL
/// counts, the JSON Schema types the columns, and `datetime` applies to suggestions.
#[test]
fn gdal_pushes_where_to_the_server_and_reads_the_schema() {
    if !ogrinfo_available() {
        return;
    }
    let points = fixtures();
    let server = start_server(&points);
    let url = format!("OAPIF:http://{}/ogc", server.addr);
    for i in 0..2 {
        let body = format!(
            r#"{{"lon": {}, "lat": 28.2, "category": "parking", "description": "停车难 {i}"}}"#,
            112.95 + 0.01 * f64::from(i)
        );
        let resp = http_post_json(&server.addr, "/api/v1/suggestions", &body);
        assert!(resp.starts_with("HTTP/1.1 201"), "{resp}");
    }
    // Stations with an id from p0030 on whose name holds a 1: counted from the fixtures.
    let want = points
        .iter()
        .filter(|p| {
            p.kind == ServiceKind::Station && p.id.as_str() >= "p0030" && p.name.contains('1')
        })
        .count();
    assert!(want > 2, "{want}");
    let (out, log) = ogrinfo_logged(&[
        "-ro",
        "-al",
        "-oo",
        "PAGE_SIZE=5",
        &url,
        "station",
        "-where",
        "id >= 'p0030' AND name LIKE '%1%'",
    ]);
    assert_eq!(out.matches("OGRFeature(").count(), want, "{out}");
    let fetches: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("HTTP: Fetch(") && l.contains("/collections/station/items"))
        .collect();
    assert!(
        fetches
            .iter()
            .any(|l| l.contains("filter=") && l.contains("filter-lang=cql-text")),
        "the filter was not sent to the server:\n{log}"
    );
    assert!(log.contains("CQL text detected"), "{log}");
    assert!(log.contains("Using JSON schema"), "{log}");
    // Column types from the schema.
    let summary = ogrinfo(&["-ro", "-so", &url, "suggestions"]);
    for (field, ty) in [
        ("created_at", "DateTime"),
        ("supporters", "Integer"),
        ("has_photo", "Integer(Boolean)"),
    ] {
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with(&format!("{field}: {ty}"))),
            "{field} is not {ty}:\n{summary}"
        );
    }
    // datetime over created_at (now): an open interval from 2020 holds both, one up to 2020
    // none, and today's date (UTC) both.
    let count = |q: &str| -> u64 {
        let raw = http_get(
            &server.addr,
            &format!("/ogc/collections/suggestions/items?{q}"),
        );
        let body = raw.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {raw}"));
        v["numberMatched"].as_u64().unwrap()
    };
    assert_eq!(count("datetime=2020-01-01T00:00:00Z/.."), 2);
    assert_eq!(count("datetime=../2020-01-01"), 0);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(count(&format!("datetime={today}")), 2);
    assert_eq!(
        count("filter=category%3D%27parking%27%20AND%20supporters%20%3C%201"),
        2
    );
}

fn http_get_bytes(addr: &str, path: &str, extra: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    (
        String::from_utf8_lossy(&raw[..split]).into_owned(),
        raw[split + 4..].to_vec(),
    )
}

/// The point tiles decode with GDAL's MVT driver. At z10 (thinned: z ≤ 12) the tile holding
/// most fixtures has one feature per occupied 32 × 32 grid cell, the cell's smallest id, with
/// `count` its points (cells by the slippy-map formula, computed here); at z13 every point of
/// the tile at its position (within one tile unit); a repeat with its ETag is 304.
#[test]
fn gdal_reads_point_vector_tiles() {
    use support::mvt::{cell_of, decode, mercator, ogrinfo_available, tile_of};
    if !ogrinfo_available() {
        return;
    }
    let points = fixtures();
    let server = start_server(&points);
    let z = 10u32;
    // The tile at zoom z holding most fixtures, and its fixtures (slippy-map formula).
    let busiest = |z: u32| {
        let mut per_tile: BTreeMap<(u32, u32), Vec<&ServicePoint>> = BTreeMap::new();
        for p in &points {
            per_tile
                .entry(tile_of(p.location.lon, p.location.lat, z))
                .or_default()
                .push(p);
        }
        per_tile.into_iter().max_by_key(|(_, v)| v.len()).unwrap()
    };
    let ((x, y), inside) = busiest(z);
    assert!(inside.len() > 10, "{}", inside.len());
    // The thinned tile by hand: cell → (smallest id, points), over the points `keep` admits.
    let expect = |keep: &dyn Fn(&ServicePoint) -> bool| {
        let mut cells: BTreeMap<(u32, u32), (String, usize)> = BTreeMap::new();
        for p in inside.iter().filter(|p| keep(p)) {
            let e = cells
                .entry(cell_of(p.location.lon, p.location.lat, z))
                .or_insert((p.id.clone(), 0));
            e.0 = e.0.clone().min(p.id.clone());
            e.1 += 1;
        }
        cells.into_values().collect::<BTreeMap<String, usize>>()
    };
    let want = expect(&|_| true);
    assert!(want.len() < inside.len(), "no cell holds two points");
    let (head, body) = http_get_bytes(&server.addr, &format!("/tiles/points/{z}/{x}/{y}.mvt"), "");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("application/vnd.mapbox-vector-tile"),
        "{head}"
    );
    let got: BTreeMap<String, usize> = decode(&body, z, x, y)
        .iter()
        .map(|f| (f.get("id").to_string(), f.get("count").parse().unwrap()))
        .collect();
    assert_eq!(got, want);
    // Only legal aid points.
    let (_, body) = http_get_bytes(
        &server.addr,
        &format!("/tiles/points/{z}/{x}/{y}.mvt?kind=legal_aid"),
        "",
    );
    let legal = expect(&|p| p.kind == ServiceKind::LegalAid);
    assert!(legal.len() > 2, "{legal:?}");
    let got: BTreeMap<String, usize> = decode(&body, z, x, y)
        .iter()
        .map(|f| (f.get("id").to_string(), f.get("count").parse().unwrap()))
        .collect();
    assert_eq!(got, legal);
    // Revalidation.
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap()
        .trim()
        .to_string();
    let (head, body) = http_get_bytes(
        &server.addr,
        &format!("/tiles/points/{z}/{x}/{y}.mvt"),
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert!(head.starts_with("HTTP/1.1 304"), "{head}");
    assert!(body.is_empty());
    // z13, not thinned: the tile with most points has exactly its points, at their places.
    let z = 13u32;
    let ((x, y), inside) = busiest(z);
    let (_, body) = http_get_bytes(&server.addr, &format!("/tiles/points/{z}/{x}/{y}.mvt"), "");
    let features = decode(&body, z, x, y);
    let ids: BTreeSet<String> = features.iter().map(|f| f.get("id").to_string()).collect();
    let want: BTreeSet<String> = inside.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, want);
    // One tile unit at z13 is 2πR / 2^13 / 4096 ≈ 1.19 m.
    let unit = 2.0 * std::f64::consts::PI * 6_378_137.0 / f64::from(1u32 << z) / 4096.0;
    for p in inside {
        let f = features.iter().find(|f| f.get("id") == p.id).unwrap();
        assert_eq!(f.get("count"), "1");
        let (mx, my) = mercator(p.location.lon, p.location.lat);
        assert!(
            (f.at.0 - mx).abs() <= unit && (f.at.1 - my).abs() <= unit,
            "{:?} vs {mx} {my}",
            f.at
        );
    }
}
