//! `nuanxin roads import`, `nearest --by time` and `coverage --model network` run as a user
//! runs them, on the Helsinki extract (ODbL, `tests/fixtures/osm/README.md`) with test
//! stations placed there.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use crate::support;

fn fixture(name: &str) -> PathBuf {
    support::fixture(&format!("osm/{name}"))
}

fn nuanxin(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = support::bin::run(args, Some(dir));
    let (stdout, stderr) = support::bin::texts(&out);
    (out.status.success(), stdout, stderr)
}

fn helsinki_db(dir: &Path) {
    let stations = fixture("helsinki_stations.geojson");
    let (ok, _, err) = nuanxin(&["import", stations.to_str().unwrap(), "--db", "h.db"], dir);
    assert!(ok, "{err}");
    let pbf = fixture("helsinki_center.osm.pbf");
    let (ok, out, err) = nuanxin(
        &["roads", "import", pbf.to_str().unwrap(), "--db", "h.db"],
        dir,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("个节点而截断")
            && out.contains("连通分量")
            && out.contains("供地点搜索的街道名称："),
        "{out}"
    );
    assert!(dir.join("h.db.roads").exists());
}

#[test]
fn a_station_across_the_bay_ranks_below_one_reachable_by_road() {
    let dir = tempfile::tempdir().unwrap();
    helsinki_db(dir.path());
    // From Mannerheimintie by Finlandia Hall: the station on the far shore of Töölönlahti
    // (hki-1) is the nearest as the crow flies; the rail yard and the bay make it the
    // slowest on foot.
    let at = [
        "--at",
        "24.937214,60.175607",
        "--db",
        "h.db",
        "-k",
        "6",
        "--json",
    ];
    let (ok, out, err) = nuanxin(&[&["nearest"][..], &at].concat(), dir.path());
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["id"], "hki-1");
    let (ok, out, err) = nuanxin(
        &[&["nearest", "--by", "time", "--route"][..], &at].concat(),
        dir.path(),
    );
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows[0]["id"], "hki-2", "{out}");
    let across = rows.iter().find(|r| r["id"] == "hki-1").unwrap();
    assert_eq!(across["model"], "network");
    // Along roads it is several times its straight-line distance.
    let ratio =
        across["network_distance_m"].as_f64().unwrap() / across["distance_m"].as_f64().unwrap();
    assert!(ratio > 3.0, "{ratio}");
    assert!(across["route"].as_array().unwrap().len() > 10);
    let times: Vec<f64> = rows
        .iter()
        .map(|r| r["travel_time_s"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn network_coverage_is_at_most_straight_line_coverage() {
    let dir = tempfile::tempdir().unwrap();
    helsinki_db(dir.path());
    let run = |model: &str| {
        let (ok, out, err) = nuanxin(
            &[
                "coverage",
                "--bbox",
                "24.9352,60.1642,24.9534,60.1791",
                "--db",
                "h.db",
                "--minutes",
                "5",
                "--resolution",
                "10",
                "--model",
                model,
                "--json",
            ],
            dir.path(),
        );
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["parameters"]["model"], model);
        v["summary"]["covered_km2"].as_f64().unwrap()
    };
    let (line, net) = (run("straight_line"), run("network"));
    assert!(
        net > 0.0 && net < line,
        "network {net} vs straight line {line}"
    );
}

#[test]
fn bad_extracts_keep_the_previous_graph() {
    let dir = tempfile::tempdir().unwrap();
    helsinki_db(dir.path());
    let before = std::fs::read(dir.path().join("h.db.roads")).unwrap();
    std::fs::write(dir.path().join("notes.osm.pbf"), "not a pbf").unwrap();
    let (ok, _, err) = nuanxin(
        &["roads", "import", "notes.osm.pbf", "--db", "h.db"],
        dir.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("notes.osm.pbf") && err.contains("不是 OpenStreetMap PBF"),
        "{err}"
    );
    // Kotka is 150 km from every Helsinki station.
    let kotka = fixture("kotka_test.osm.pbf");
    let (ok, _, err) = nuanxin(
        &["roads", "import", kotka.to_str().unwrap(), "--db", "h.db"],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("道路网不覆盖任何服务点"), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("h.db.roads")).unwrap(),
        before
    );
    // Without a graph, --by time says how to make one.
    let stations = fixture("helsinki_stations.geojson");
    let (ok, _, err) = nuanxin(
        &[
            "nearest",
            "--at",
            "24.94,60.17",
            "--by",
            "time",
            "--data",
            stations.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(!ok && err.contains("roads import"), "{err}");
}

/// The street names of the imported extract are stored beside the graph and found by place
/// search once the server starts on that database (the search's street hook, issue 18).
#[test]
fn imported_street_names_are_found_by_search() {
    let dir = tempfile::tempdir().unwrap();
    helsinki_db(dir.path());
    assert!(dir.path().join("h.db.roads.streets").exists());
    let server = support::bin::Server::start_on(
        support::bin::nuanxin(),
        dir,
        "h.db",
        &[std::ffi::OsStr::new("--no-demo")],
    );
    let resp = server.request("GET", "/api/v1/search?q=Pohjoisesplanadi", &[], "");
    let v: serde_json::Value =
        serde_json::from_str(&resp.body).unwrap_or_else(|_| panic!("{}", resp.body));
    let first = &v["results"][0];
    assert_eq!(first["name"], "Pohjoisesplanadi", "{v}");
    assert_eq!(first["kind"], "street");
    // On the north side of Esplanadi park, inside the extract's bbox.
    let (lon, lat) = (
        first["location"][0].as_f64().unwrap(),
        first["location"][1].as_f64().unwrap(),
    );
    assert!(
        (24.94..24.96).contains(&lon) && (60.166..60.170).contains(&lat),
        "{lon},{lat}"
    );
}
