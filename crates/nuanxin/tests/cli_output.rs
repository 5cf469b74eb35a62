//! What officials read from the command line: file errors (the file and the reason once,
//! Chinese then English), exit codes, the token list and the proposals CSV's time columns.
//! Regressions of polish5 (the newcomer's leftovers of issues 16 and 17).

use crate::support::bin::{nuanxin, texts};
use std::path::Path;

/// Runs `nuanxin args…` in `dir` with `--lang lang`; (exit code, stdout, stderr).
fn run(dir: &Path, lang: &str, args: &[&str]) -> (i32, String, String) {
    let out = nuanxin()
        .args(["--lang", lang])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// The fixture at `p` (repository-relative), absolute.
fn fixture(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(p)
        .canonicalize()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// The error lines of `stderr` (those after the progress of the command).
fn error_line(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.starts_with("错误：") || l.starts_with("error: "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Regression (polish5, item 1): `roads import` of a folder, a dangling symbolic link and a
/// missing file said `X: 无法读写 (cannot read or write): Is a directory (os error 21): Is a
/// directory (os error 21)`: the OS error twice, in English after mixed Chinese. Now one line
/// naming the file once and the reason once, Chinese first then English (English alone with
/// `--lang en`), and no operating-system text.
#[test]
fn roads_import_of_an_unreadable_file_says_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (code, _, err) = run(
        d,
        "zh",
        &[
            "import",
            &fixture("tests/fixtures/osm/helsinki_stations.geojson"),
            "--db",
            "h.db",
        ],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::create_dir(d.join("folder.osm.pbf")).unwrap();
    std::os::unix::fs::symlink(d.join("nowhere.osm.pbf"), d.join("link.osm.pbf")).unwrap();
    let cases = [
        (
            "folder.osm.pbf",
            "这是一个文件夹，不是文件",
            "it is a folder, not a file",
        ),
        (
            "link.osm.pbf",
            "这是一个符号链接，它指向的文件不存在",
            "it is a symbolic link to a file that does not exist",
        ),
        ("missing.osm.pbf", "文件不存在", "no such file"),
    ];
    for (file, zh, en) in cases {
        let (code, _, err) = run(d, "zh", &["roads", "import", file, "--db", "h.db"]);
        assert_eq!(code, 1, "{file}: {err}");
        let line = error_line(&err);
        let en_part = en.to_string();
        assert_eq!(
            line,
            format!("错误：无法读取 {file}：{zh} (cannot read: {en_part})"),
            "{file}"
        );
        let (code, _, err) = run(d, "en", &["roads", "import", file, "--db", "h.db"]);
        assert_eq!(code, 1, "{file}: {err}");
        assert_eq!(error_line(&err), format!("error: cannot read {file}: {en}"));
        assert!(!err.contains("os error"), "{err}");
        assert!(!d.join("h.db.roads").exists(), "no graph from {file}");
    }
    // a truncated extract: the reason once (it was repeated by the error's source chain)
    let pbf = std::fs::read(fixture("tests/fixtures/osm/helsinki_center.osm.pbf")).unwrap();
    std::fs::write(d.join("cut.osm.pbf"), &pbf[..pbf.len() / 2]).unwrap();
    let (code, _, err) = run(d, "zh", &["roads", "import", "cut.osm.pbf", "--db", "h.db"]);
    assert_eq!(code, 1, "{err}");
    let line = error_line(&err);
    assert!(line.contains("PBF 文件不完整或已损坏"), "{line}");
    let cause = line.rsplit(": ").next().unwrap();
    assert_eq!(line.matches(cause).count(), 1, "{line}");
}

/// Regression (polish5, item 2): `coverage`'s file errors were English only (`x is not
/// JSON: …`, `candidates.features[0]: coordinates must be [lon, lat]`, `bad demand: …`) or
/// carried the operating system's English text. Each now names the file, then (for the
/// content) the line or feature and field, in Chinese first and English second.
#[test]
fn coverage_file_errors_are_chinese_first_with_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("notjson.geojson"), "{\n  oops\n}").unwrap();
    std::fs::write(
        d.join("sites.geojson"),
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98,28.19]},"properties":{}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98]},"properties":{}}]}"#,
    )
    .unwrap();
    std::fs::write(
        d.join("point.geojson"),
        r#"{"type":"Point","coordinates":[112.98,28.19]}"#,
    )
    .unwrap();
    std::fs::write(
        d.join("demand.csv"),
        "经度,纬度,权重\n112.98,28.19,1\n112.99,abc,2\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("folder.csv")).unwrap();
    let area = ["coverage", "--adcode", "430102", "--resolution", "8"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--candidates", "notjson.geojson", "--propose", "1"],
            "错误：notjson.geojson：不是有效的 JSON：第 2 行第 3 列有误 (not valid JSON: line 2, column 3: ",
        ),
        (
            vec!["--candidates", "sites.geojson", "--propose", "1"],
            "错误：sites.geojson：第 2 个要素：坐标须为 [经度, 纬度] (features[1]: coordinates must be [lon, lat])",
        ),
        (
            vec!["--candidates", "point.geojson", "--propose", "1"],
            "错误：point.geojson：须为 GeoJSON FeatureCollection (must be a GeoJSON FeatureCollection)",
        ),
        (
            vec!["--demand", "demand.csv"],
            "错误：--demand demand.csv: 需求数据有误 (bad demand): 第 3 行 (line 3), 纬度: `abc` 不是数 (not a number)",
        ),
        (
            vec!["--demand", "folder.csv"],
            "错误：无法读取 folder.csv：这是一个文件夹，不是文件 (cannot read: it is a folder, not a file)",
        ),
        (
            vec!["--gaps", "no-such-folder/gaps.geojson"],
            "错误：无法写入 no-such-folder/gaps.geojson：所在的文件夹不存在 (cannot write: the folder it would go in does not exist)",
        ),
        (
            vec!["--propose", "1", "--proposals-out", "folder.csv"],
            "错误：无法写入 folder.csv：这是一个文件夹，不是文件 (cannot write: it is a folder, not a file)",
        ),
    ];
    for (extra, want) in cases {
        let args = [&area[..], &extra[..]].concat();
        let (code, _, err) = run(d, "zh", &args);
        assert_eq!(code, 1, "{extra:?}: {err}");
        let line = error_line(&err);
        assert!(line.starts_with(want), "{extra:?}:\n{line}\nwant:\n{want}");
        assert!(!line.contains("os error"), "{line}");
    }
    // `--geometry` names the file and its reason the same way
    let (code, _, err) = run(d, "zh", &["coverage", "--geometry", "point.geojson"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        error_line(&err),
        "错误：point.geojson：须为 GeoJSON 面（Polygon 或 MultiPolygon） (geometry must be a GeoJSON Polygon or MultiPolygon)"
    );
    // English alone with --lang en
    let (_, _, err) = run(
        d,
        "en",
        &[
            &area[..],
            &["--candidates", "sites.geojson", "--propose", "1"],
        ]
        .concat(),
    );
    assert_eq!(
        error_line(&err),
        "error: sites.geojson: features[1]: coordinates must be [lon, lat]"
    );
}

/// Regression (polish5, item 3): `admin list-tokens` printed rows without a header. One
/// header row (Chinese by default, English with `--lang en`), then tab-separated rows of six
/// columns each, the revoked column `-` while a token is active.
#[test]
fn list_tokens_has_a_header_row_and_six_columns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for adcode in ["430102", "430103"] {
        let (code, _, err) = run(
            d,
            "zh",
            &[
                "admin",
                "create-token",
                "--role",
                "officer",
                "--adcode",
                adcode,
                "--name",
                "社工部",
                "--db",
                "t.db",
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run(
        d,
        "zh",
        &["admin", "revoke-token", "--id", "1", "--db", "t.db"],
    );
    assert_eq!(code, 0, "{err}");
    for (lang, header) in [
        ("zh", "编号\t角色\t辖区\t名称\t创建时间\t撤销时间"),
        ("en", "id\trole\tdistricts\tname\tcreated\trevoked"),
    ] {
        let (code, out, err) = run(d, lang, &["admin", "list-tokens", "--db", "t.db"]);
        assert_eq!(code, 0, "{err}");
        let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(out.lines().next(), Some(header), "{out}");
        assert_eq!(rows.len(), 3, "{out}");
        assert!(rows.iter().all(|r| r.len() == 6), "{out}");
        assert_eq!(rows[1][0], "1");
        assert_eq!(rows[1][2], "430102");
        assert!(
            chrono::DateTime::parse_from_rfc3339(rows[1][5]).is_ok(),
            "{}",
            rows[1][5]
        );
        assert_eq!(rows[2][0], "2");
        assert_eq!(rows[2][5], "-");
    }
}

/// Regression (polish5, item 6): the proposals CSV's column 分析时间 (analysed at) held the
/// `--at` time, the moment the opening-hours filter is evaluated, not when the analysis ran.
/// Now 分析时间 is when it ran and 开放时间基准 (open at) the `--at` time, both Beijing time.
#[test]
fn proposals_csv_states_when_it_ran_and_the_open_at_time_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = chrono::Utc::now();
    let (code, _, err) = run(
        d,
        "zh",
        &[
            "coverage",
            "--adcode",
            "430102",
            "--resolution",
            "8",
            "--at",
            "2026-12-01T02:00+08:00",
            "--propose",
            "1",
            "--proposals-out",
            "p.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let after = chrono::Utc::now();
    let text = std::fs::read_to_string(d.join("p.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |prefix: &str| {
        headers
            .iter()
            .position(|h| h.starts_with(prefix))
            .unwrap_or_else(|| panic!("no column {prefix}: {headers:?}"))
    };
    let (ran, open) = (col("分析时间"), col("开放时间基准"));
    let row = rdr.records().next().unwrap().unwrap();
    assert_eq!(&row[open], "2026-12-01 02:00:00");
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let ran_at = chrono::NaiveDateTime::parse_from_str(&row[ran], "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_local_timezone(beijing)
        .unwrap();
    let second = chrono::Duration::seconds(1);
    assert!(
        ran_at >= before - second && ran_at <= after + second,
        "{} not between {before} and {after}",
        &row[ran]
    );
}

/// Regression (polish5, item 4): argument errors found after parsing (`--minutes 0`, a bbox
/// of three numbers, an unknown `--adcode`, `-k 0`, an officer token without a district)
/// exited 1 while clap's own argument errors exit 2 and the README said argument errors exit
/// 2. Every usage error now exits 2, in every subcommand; a failure of the work (a file that
/// cannot be read, bad content) exits 1 (the README's exit-code table).
#[test]
fn usage_errors_exit_2_and_failures_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("bad.csv"), "经度,纬度\n112.98,abc\n").unwrap();
    let usage: &[&[&str]] = &[
        // clap's own
        &["coverage", "--adcode", "430102", "--no-such-flag"],
        // checked after parsing
        &["coverage", "--adcode", "430102", "--minutes", "0"],
        &["coverage", "--bbox", "112.9,28.1,113.0"],
        &["coverage", "--adcode", "999999", "--resolution", "7"],
        &["coverage", "--adcode", "430102", "--at", "yesterday"],
        &[
            "coverage",
            "--adcode",
            "430102",
            "--demand",
            "no-such-layer",
        ],
        &["nearest", "--at", "112.98,28.19", "-k", "0"],
        &["nearest", "--lon", "200", "--lat", "28.19"],
        &["admin", "create-token", "--role", "officer", "--db", "t.db"],
        &["roads", "info"],
        &["db", "copy", "--from", "x.db", "--to", "x.db"],
    ];
    for args in usage {
        let (code, _, err) = run(d, "zh", args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("错误："), "{args:?}: {err}");
    }
    // arguments are checked before any data is read (the source line came first)
    for args in [
        &["coverage", "--adcode", "430102", "--at", "yesterday"][..],
        &["coverage", "--adcode", "430102", "--resolution", "16"][..],
    ] {
        let (code, _, err) = run(d, "zh", args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let failures: &[&[&str]] = &[
        &["coverage", "--adcode", "430102", "--demand", "bad.csv"],
        &["coverage", "--geometry", "missing.geojson"],
        &["import", "bad.csv"],
        &["nearest", "--at", "112.98,28.19", "--db", "missing.db"],
    ];
    for args in failures {
        let (code, _, err) = run(d, "zh", args);
        assert_eq!(code, 1, "{args:?}: {err}");
    }
    let (code, _, err) = run(d, "zh", &["demo", "--check"]);
    assert_eq!(code, 0, "{err}");
}

/// Regression (polish5, found with item 1): `import` of a folder named like a data file said
/// `导入 X 时出错: 文件：read error: Is a directory (os error 21)` (CSV), `不是有效的 JSON（第 0
/// 行，第 0 列）：Is a directory` (GeoJSON) or `无法读取该工作簿：Is a directory` (XLSX). Each
/// format now gets the same file error, the file named once.
#[test]
fn import_of_a_folder_is_a_file_error_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["stations.csv", "stations.geojson", "stations.xlsx"] {
        std::fs::create_dir(d.join(name)).unwrap();
        let (code, _, err) = run(d, "zh", &["import", name]);
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            error_line(&err),
            format!("错误：无法读取 {name}：这是一个文件夹，不是文件 (cannot read: it is a folder, not a file)")
        );
        let (_, _, err) = run(d, "en", &["import", name]);
        assert_eq!(
            error_line(&err),
            format!("error: cannot read {name}: it is a folder, not a file")
        );
    }
}

/// Regression (polish5, item 2): a bad `nuanxin.toml` made `coverage` say `nuanxin.toml:
/// nuanxin.toml: unknown key …` (the file twice, no Chinese) and `serve` `configuration
/// error: …`. Both now say 配置有误 first, the file once.
#[test]
fn a_bad_configuration_file_is_named_once_in_chinese_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("nuanxin.toml"), "[speeds]\nwalk = 1\n").unwrap();
    for args in [
        &["coverage", "--adcode", "430102", "--resolution", "7"][..],
        &["serve", "--listen", "127.0.0.1:0", "--db", "s.db"][..],
    ] {
        let (code, _, err) = run(d, "zh", args);
        assert_eq!(code, 1, "{args:?}: {err}");
        let line = error_line(&err);
        assert!(
            line.starts_with(
                "错误：配置有误 (configuration error): nuanxin.toml: unknown key `speeds.walk`"
            ),
            "{args:?}: {line}"
        );
        assert_eq!(line.matches("nuanxin.toml").count(), 1, "{line}");
    }
}

/// Regression (polish5's report): `nuanxin nearest` printed minutes at the built-in speeds
/// whatever `[speeds]` nuanxin.toml set, while `coverage` and the server used the file's.
/// With walking at 2 m/s the minutes are the distance / 2 / 60 (to 0.1), by hand; by time the
/// footer names 7 km/h (2 m/s × 3.6 = 7.2, printed without decimals).
#[test]
fn nearest_uses_the_configured_speeds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("nuanxin.toml"), "[speeds]\nwalk_m_per_s = 2.0\n").unwrap();
    let stations = fixture("tests/fixtures/osm/helsinki_stations.geojson");
    let (code, _, err) = run(d, "en", &["import", &stations, "--db", "h.db"]);
    assert_eq!(code, 0, "{err}");
    let at = "24.937214,60.175607";
    let (code, out, err) = run(
        d,
        "en",
        &["nearest", "--db", "h.db", "--at", at, "-k", "3", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    for r in rows.as_array().unwrap() {
        let metres = r["distance_m"].as_f64().unwrap();
        let want = (metres / 2.0 / 60.0 * 10.0).round() / 10.0;
        assert_eq!(r["walk_minutes"].as_f64().unwrap(), want, "{r}");
    }
    let pbf = fixture("tests/fixtures/osm/helsinki_center.osm.pbf");
    let (code, _, err) = run(d, "en", &["roads", "import", &pbf, "--db", "h.db"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(
        d,
        "en",
        &[
            "nearest", "--db", "h.db", "--at", at, "--by", "time", "--mode", "walk",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("at 7 km/h"), "{out}");
}

/// Regression (newcomer, stop 25): `[speeds]` of 0 or below printed infinite and negative
/// minutes (`电动车 inf`, `步行 -4 km/h`) and exited 0. Now a configuration error naming the
/// key, exit 1, for `nearest`, `coverage` and `serve` alike.
#[test]
fn speeds_that_are_not_positive_are_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let stations = fixture("tests/fixtures/osm/helsinki_stations.geojson");
    let (code, _, err) = run(d, "zh", &["import", &stations, "--db", "h.db"]);
    assert_eq!(code, 0, "{err}");
    for (toml, key) in [
        ("[speeds]\nebike_m_per_s = 0\n", "speeds.ebike_m_per_s"),
        ("[speeds]\nwalk_m_per_s = -1\n", "speeds.walk_m_per_s"),
        ("[speeds]\nwalk_m_per_s = 1e308\n", "speeds.walk_m_per_s"),
    ] {
        std::fs::write(d.join("nuanxin.toml"), toml).unwrap();
        for args in [
            &["nearest", "--db", "h.db", "--at", "24.937214,60.175607"][..],
            &["coverage", "--adcode", "430102", "--resolution", "7"][..],
            &["serve", "--listen", "127.0.0.1:0", "--db", "h.db"][..],
        ] {
            let (code, _, err) = run(d, "zh", args);
            assert_eq!(code, 1, "{toml} {args:?}: {err}");
            let line = error_line(&err);
            assert!(
                line.contains("配置有误") && line.contains(key),
                "{toml} {args:?}: {line}"
            );
        }
    }
}
