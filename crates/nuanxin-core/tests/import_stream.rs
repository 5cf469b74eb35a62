//! The streamed GeoJSON importer (files, feature by feature) against the in-memory one: the
//! same points, issues and errors for the same bytes, including the awkward layouts a
//! streaming reader must handle (`type` after `features`, a single Feature, a byte-order
//! mark, deep nesting, trailing garbage, the record limit).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin_core::import::geojson::{import_geojson_file, import_geojson_str};
use nuanxin_core::import::{ImportError, ImportOptions};

/// Both importers' results on `text`, as comparable strings.
fn both(text: &str, options: &ImportOptions) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.geojson");
    std::fs::write(&path, text).unwrap();
    let show = |r: Result<nuanxin_core::import::ImportReport, ImportError>| match r {
        Ok(r) => format!("ok {:?} {:?} {}", r.points, r.issues, r.records),
        Err(e) => format!("err {e} {e:?}"),
    };
    (
        show(import_geojson_str(
            text.trim_start_matches('\u{feff}'),
            options,
        )),
        show(import_geojson_file(&path, options)),
    )
}

const POINT: &str = r#"{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[112.976341,28.195346]},"properties":{"name":"五一广场驿站","kind":"station"}}"#;
const BAD: &str = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[28.195346,112.976341]},"properties":{"name":"反了","kind":"station"}}"#;

#[test]
fn streamed_and_in_memory_imports_agree() {
    let deep = format!(
        r#"{{"type":"FeatureCollection","features":[{}{}]}}"#,
        "[".repeat(70),
        "]".repeat(70)
    );
    let cases = [
        nuanxin_core::demo::DEMO_GEOJSON.to_string(),
        format!(r#"{{"type":"FeatureCollection","features":[{POINT}]}}"#),
        format!(r#"{{"features":[{POINT}],"type":"FeatureCollection"}}"#),
        format!("\u{feff}{{\"type\":\"FeatureCollection\",\"features\":[{POINT}]}}"),
        POINT.to_string(),
        format!(r#"{{"type":"FeatureCollection","features":[{POINT},{BAD}]}}"#),
        r#"{"type":"FeatureCollection","features":{}}"#.to_string(),
        r#"{"type":"FeatureCollection"}"#.to_string(),
        r#"{"type":"Topology","features":[]}"#.to_string(),
        "[1, 2]".to_string(),
        format!(r#"{{"type":"FeatureCollection","features":[{POINT}]}} trailing"#),
        r#"{"type":"FeatureCollection","features":[{"#.to_string(),
        deep,
    ];
    for text in &cases {
        let (in_memory, streamed) = both(text, &ImportOptions::default());
        assert_eq!(
            streamed,
            in_memory,
            "input: {}",
            &text[..text.len().min(120)]
        );
    }
    // The demo file is accepted whole; the swapped position is named.
    let (demo, _) = both(&cases[0], &ImportOptions::default());
    assert!(demo.starts_with("ok "));
    let (bad, _) = both(&cases[5], &ImportOptions::default());
    assert!(bad.contains("swapped"), "{bad}");
}

#[test]
fn the_record_limit_stops_the_stream() {
    let text = format!(r#"{{"type":"FeatureCollection","features":[{POINT},{POINT},{POINT}]}}"#);
    let options = ImportOptions {
        max_records: Some(2),
        ..ImportOptions::default()
    };
    let (in_memory, streamed) = both(&text, &options);
    assert_eq!(streamed, in_memory);
    assert!(streamed.contains("more than 2 records"), "{streamed}");
}
