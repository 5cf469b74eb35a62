//! Importer tests: every edge case of the GeoJSON, CSV and XLSX importers, the real Changsha
//! metro stations given in GCJ-02, the shipped templates and sample, and the CLI binary.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin::crs::Crs;
use nuanxin::districts::Districts;
use nuanxin::geodesy::geodesic_distance_m;
use nuanxin::import::csv::{import_csv_bytes, import_csv_str};
use nuanxin::import::geojson::import_geojson_str;
use nuanxin::import::xlsx::import_xlsx_bytes;
use nuanxin::import::{
    import_file, ImportError, ImportOptions, ImportReport, Issue, Location, Severity,
};
use nuanxin::model::{AccessMethod, Amenity, LonLat, ServiceKind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

use crate::support;

fn opts() -> ImportOptions {
    ImportOptions::default()
}

fn gcj() -> ImportOptions {
    ImportOptions {
        crs: Crs::Gcj02,
        ..ImportOptions::default()
    }
}

/// The issues of a rejected import (panics if it was accepted).
fn rejected(r: Result<ImportReport, ImportError>) -> Vec<Issue> {
    match r {
        Err(ImportError::Rejected { issues, .. }) => issues,
        Err(e) => panic!("expected Rejected, got {e}"),
        Ok(rep) => panic!("expected Rejected, got {} points", rep.points.len()),
    }
}

fn has(issues: &[Issue], loc: Location, field: &str, needle: &str) -> bool {
    issues.iter().any(|i| {
        i.location == loc && i.field.as_deref() == Some(field) && i.reason.contains(needle)
    })
}

fn fc(features: Value) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

// ---------------------------------------------------------------- GeoJSON

#[test]
fn geojson_null_geometry_and_null_properties_are_skipped_not_placed_at_origin() {
    let text = fc(json!([
        {"type": "Feature", "id": "a", "geometry": null, "properties": {"name": "无位置", "kind": "station"}},
        {"type": "Feature", "id": "b", "geometry": {"type": "Point", "coordinates": [112.98, 28.19]}, "properties": null},
        {"type": "Feature", "id": "c", "geometry": {"type": "Point", "coordinates": [112.98, 28.19]}, "properties": {"name": "好", "kind": "station"}},
    ]));
    let r = import_geojson_str(&text, &opts()).unwrap();
    assert_eq!(r.records, 3);
    assert_eq!(r.points.len(), 1);
    assert_eq!(r.points[0].id, "c");
    assert!(r
        .points
        .iter()
        .all(|p| p.location.lon != 0.0 && p.location.lat != 0.0));
    let skipped: Vec<_> = r
        .issues
        .iter()
        .filter(|i| i.severity == Severity::Skipped)
        .collect();
    assert_eq!(skipped.len(), 2);
    assert_eq!(skipped[0].location, Location::Feature(0));
    assert_eq!(skipped[0].field.as_deref(), Some("geometry"));
    assert_eq!(skipped[1].location, Location::Feature(1));
    assert_eq!(skipped[1].field.as_deref(), Some("properties"));
}

#[test]
fn geojson_3d_positions_and_numeric_and_string_ids() {
    let text = fc(json!([
        {"type": "Feature", "id": 17, "geometry": {"type": "Point", "coordinates": [112.98, 28.19, 45.5]}, "properties": {"name": "一", "kind": "station"}},
        {"type": "Feature", "id": "站-002", "geometry": {"type": "Point", "coordinates": [112.99, 28.20]}, "properties": {"name": "二", "kind": "驿站"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.0, 28.21]}, "properties": {"id": 9007199254740993_u64, "name": "三", "kind": "legal_aid"}},
    ]));
    let r = import_geojson_str(&text, &opts()).unwrap();
    let ids: Vec<_> = r.points.iter().map(|p| p.id.as_str()).collect();
    // 2^53 + 1 is not representable as f64: it must survive as integer text.
    assert_eq!(ids, ["17", "站-002", "9007199254740993"]);
    assert_eq!(r.points[0].location, LonLat::new(112.98, 28.19).unwrap());
}

#[test]
fn geojson_non_point_and_bad_collection_are_errors() {
    let text = fc(json!([
        {"type": "Feature", "id": 1, "geometry": {"type": "LineString", "coordinates": [[112.9, 28.1], [113.0, 28.2]]}, "properties": {"name": "线", "kind": "station"}},
        {"type": "Feature", "id": 2, "geometry": {"type": "Point", "coordinates": [112.98, 28.19]}, "properties": {"name": "好", "kind": "station"}},
    ]));
    let issues = rejected(import_geojson_str(&text, &opts()));
    assert!(has(&issues, Location::Feature(0), "geometry", "LineString"));
    let e = import_geojson_str(r#"{"type":"Point","coordinates":[1,2]}"#, &opts()).unwrap_err();
    assert!(e.to_string().contains("FeatureCollection"), "{e}");
    let e = import_geojson_str("{not json", &opts()).unwrap_err();
    assert!(e.to_string().contains("not valid JSON"), "{e}");
}

#[test]
fn geojson_entrance_and_outline_are_converted_from_the_declared_crs() {
    // GCJ-02 positions of 五一广场 station (metromancn) and a small square around it.
    let (gx, gy) = (112.976341, 28.195346);
    let ring = json!([
        [gx - 0.001, gy - 0.001],
        [gx + 0.001, gy - 0.001],
        [gx + 0.001, gy + 0.001],
        [gx - 0.001, gy + 0.001],
        [gx - 0.001, gy - 0.001]
    ]);
    let text = fc(json!([{
        "type": "Feature", "id": "c1",
        "geometry": {"type": "Point", "coordinates": [gx, gy]},
        "properties": {"name": "小区", "kind": "rider_friendly_community", "entrance": [gx, gy - 0.001], "outline": [ring]}
    }]));
    let r = import_geojson_str(&text, &gcj()).unwrap();
    let p = &r.points[0];
    // Independent WGS-84 of this station (data/metro CSV, SOURCES.md): 112.970804, 28.198783.
    let want = LonLat::new(112.970804, 28.198783).unwrap();
    assert!(geodesic_distance_m(p.location, want) < 1.0);
    let e = p.entrance.unwrap();
    assert!((e.lon - p.location.lon).abs() < 1e-5 && (p.location.lat - e.lat - 0.001).abs() < 1e-5);
    let o = p.outline.as_ref().unwrap();
    assert_eq!(o[0].len(), 5);
    assert_eq!(o[0][0], o[0][4]);
    // The GCJ-02 shift is nearly constant over 100 m: the ring moved with the point.
    assert!(
        (o[0][0][0] - (p.location.lon - 0.001)).abs() < 1e-5,
        "{:?}",
        o[0][0]
    );
    assert!(
        (o[0][0][1] - (p.location.lat - 0.001)).abs() < 1e-5,
        "{:?}",
        o[0][0]
    );
}

// ---------------------------------------------------------------- CSV

const GOOD_CSV: &str = "编号,名称,类型,经度,纬度,地址,开放时间,设施,进入方式,运营方,电话\n\
    s1,五一广场暖新驿站,驿站,112.977541,28.194746,长沙市芙蓉区五一大道,24/7,饮水、充电、热饭,刷脸,芙蓉区总工会,0731-84567890\n\
    s2,溁湾镇权益服务点,legal_aid,112.953002,28.195538,,Mo-Fr 09:00-12:00,legal_consult;drinking_water,staffed_hours,,\n";

#[test]
fn csv_text_limits_are_those_of_the_admin_api() {
    // Regression: the 200-character name limit existed only in the admin API; the importer
    // stored a 201-character name. 201 CJK characters are 603 bytes.
    let long = "驿".repeat(201);
    let csv = format!(
        "名称,类型,经度,纬度,电话\n{long},驿站,112.977541,28.194746,\n\
         站,驿站,112.977541,28.194746,{}\n",
        "1".repeat(51)
    );
    let issues = rejected(import_csv_str(&csv, &opts()));
    assert!(
        has(
            &issues,
            Location::Line(2),
            "name",
            "201 characters; at most 200"
        ),
        "{issues:?}"
    );
    assert!(
        has(
            &issues,
            Location::Line(3),
            "phone",
            "51 characters; at most 50"
        ),
        "{issues:?}"
    );
    let ok = format!(
        "名称,类型,经度,纬度\n{},驿站,112.977541,28.194746\n",
        "驿".repeat(200)
    );
    assert_eq!(import_csv_str(&ok, &opts()).unwrap().points.len(), 1);
}

#[test]
fn csv_chinese_headers_labels_and_codes() {
    let r = import_csv_str(GOOD_CSV, &opts()).unwrap();
    assert_eq!(r.points.len(), 2);
    let a = &r.points[0];
    assert_eq!(a.kind, ServiceKind::Station);
    assert_eq!(a.access, Some(AccessMethod::FaceScan));
    assert!(a.amenities.contains(Amenity::HotMeals) && a.amenities.contains(Amenity::Charging));
    assert_eq!(a.phone.as_deref(), Some("0731-84567890"));
    assert!(a.opening_hours.as_ref().unwrap().is_24_7());
    let b = &r.points[1];
    assert_eq!(b.kind, ServiceKind::LegalAid);
    assert!(b.amenities.contains(Amenity::LegalConsult));
    assert_eq!(b.address, None);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
}

#[test]
fn csv_english_aliases_and_missing_adcode_assigned_from_district() {
    let text = "ID,Name,Type,Longitude,Latitude\nx,Station,station,112.970804,28.198783\n";
    let r = import_csv_str(text, &opts()).unwrap();
    // 五一广场 station (WGS-84 112.970804, 28.198783) lies in 开福区 430105 (shapely
    // `intersects` on data/boundaries, Python, once).
    assert_eq!(r.points[0].adcode.as_deref(), Some("430105"));
    let text = "id,name,kind,lng,lat\nx,Station,station,112.970804,28.198783\n";
    assert!(import_csv_str(text, &opts()).is_ok());
}

#[test]
fn csv_utf8_bom_and_crlf_as_excel_writes() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOD_CSV.replace('\n', "\r\n").as_bytes());
    let r = import_csv_bytes(&bytes, &opts()).unwrap();
    assert_eq!(r.points.len(), 2);
    assert_eq!(r.points[0].id, "s1");
}

#[test]
fn csv_gbk_as_chinese_windows_excel_writes() {
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(GOOD_CSV);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the fixture must not be UTF-8"
    );
    let r = import_csv_bytes(&gbk, &opts()).unwrap();
    assert_eq!(r.points.len(), 2);
    assert_eq!(r.points[0].name, "五一广场暖新驿站");
    assert_eq!(r.points[0].operator.as_deref(), Some("芙蓉区总工会"));
}

#[test]
fn csv_gbk_file_written_by_python_codec() {
    // tests/fixtures/make_fixtures.py encodes this file with Python's gbk codec.
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/gbk_excel_export.csv"
    ))
    .unwrap();
    assert!(std::str::from_utf8(&bytes).is_err());
    let r = import_file(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/gbk_excel_export.csv"
        )),
        &opts(),
    )
    .unwrap();
    assert_eq!(r.points.len(), 2);
    assert_eq!(r.points[0].name, "芙蓉区定王台街道暖新驿站");
    assert_eq!(r.encoding, Some("GBK/GB18030"));
    assert_eq!(r.points[1].kind, ServiceKind::LegalAid);
    assert_eq!(r.points[1].operator.as_deref(), Some("岳麓区司法局"));
    assert!(r.points[1].amenities.contains(Amenity::LegalConsult));
}

#[test]
fn csv_utf16_with_bom() {
    let mut bytes = vec![0xFF, 0xFE];
    for u in GOOD_CSV.replace(',', "\t").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let r = import_csv_bytes(&bytes, &opts()).unwrap();
    assert_eq!(r.points.len(), 2);
}

#[test]
fn csv_every_bad_value_is_reported_with_line_and_field() {
    let text = "名称,类型,经度,纬度,开放时间,设施,编号,进入方式\n\
        好驿站,驿站,112.98,28.19,24/7,饮水,a1,开放\n\
        反了,驿站,28.2,112.9,24/7,饮水,a2,\n\
        逗号,驿站,\"112,98\",28.19,24/7,饮水,a3,\n\
        空值,驿站,NaN,28.19,24/7,饮水,a4,\n\
        重复,驿站,112.98,28.19,24/7,饮水,a1,\n\
        未知,面包店,112.98,28.19,whenever,桑拿,a5,翻墙\n\
        越界,驿站,181.5,28.19,,,a6,\n\
        文字,驿站,东经112.98,28.19,,,a7,\n\
        缺位置,驿站,,28.19,,,a8,\n\
        ,驿站,112.98,28.19,,,a9,\n";
    let issues = rejected(import_csv_str(text, &opts()));
    assert!(has(&issues, Location::Line(3), "lat", "swapped"));
    assert!(has(
        &issues,
        Location::Line(4),
        "lon",
        "comma as the decimal separator; write `112.98`"
    ));
    assert!(has(&issues, Location::Line(5), "lon", "NaN"));
    assert!(has(
        &issues,
        Location::Line(6),
        "id",
        "duplicate id `a1` (first at line 2)"
    ));
    // A duplicate of a record that has other errors is reported too (line 2 has id a2).
    let dup = "名称,类型,经度,纬度,编号\n坏,驿站,28.2,112.9,a2\n好,驿站,112.9775,28.1947,a2\n";
    let dup_issues = rejected(import_csv_str(dup, &opts()));
    assert!(has(&dup_issues, Location::Line(3), "id", "first at line 2"));
    assert!(has(
        &issues,
        Location::Line(7),
        "kind",
        "unknown kind `面包店`"
    ));
    assert!(has(&issues, Location::Line(7), "opening_hours", "whenever"));
    assert!(has(
        &issues,
        Location::Line(7),
        "amenities",
        "unknown amenity `桑拿`"
    ));
    assert!(has(&issues, Location::Line(7), "access", "翻墙"));
    assert!(has(&issues, Location::Line(8), "lon", "181.5"));
    assert!(has(&issues, Location::Line(9), "lon", "not a number"));
    assert!(has(&issues, Location::Line(10), "lon", "missing"));
    assert!(has(&issues, Location::Line(11), "name", "missing"));
    assert!(!issues
        .iter()
        .any(|i| i.location == Location::Line(2) && i.severity == Severity::Error));
    // The message format the CLI prints.
    let line3 = issues
        .iter()
        .find(|i| i.location == Location::Line(3))
        .unwrap();
    assert!(
        line3.to_string().starts_with("line 3, field lat: "),
        "{line3}"
    );
}

#[test]
fn csv_swapped_inside_latitude_range_is_caught_by_the_china_test() {
    // Kashgar, Xinjiang (WGS-84 about 75.99 E, 39.47 N) typed as lon=39.47, lat=75.99: both
    // values are in range, but only the swapped order lies in China.
    let text = "名称,类型,经度,纬度\n喀什,驿站,39.47,75.99\n";
    let issues = rejected(import_csv_str(text, &opts()));
    assert!(has(&issues, Location::Line(2), "lat", "swapped"));
}

#[test]
fn csv_skip_invalid_keeps_valid_rows_and_lists_bad_ones() {
    let text = "名称,类型,经度,纬度\n好,驿站,112.98,28.19\n坏,驿站,\"112,98\",28.19\n也好,驿站,112.99,28.20\n";
    let o = ImportOptions {
        skip_invalid: true,
        ..opts()
    };
    let r = import_csv_str(text, &o).unwrap();
    assert_eq!(r.records, 3);
    assert_eq!(r.points.len(), 2);
    assert_eq!(r.rejected_records(), 1);
    assert_eq!(r.errors().count(), 1);
    // Without it, nothing is imported.
    match import_csv_str(text, &opts()) {
        Err(ImportError::Rejected {
            invalid_records,
            records,
            ..
        }) => assert_eq!((invalid_records, records), (1, 3)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn csv_default_kind_and_missing_kind() {
    let text = "名称,经度,纬度\n站,112.98,28.19\n";
    let issues = rejected(import_csv_str(text, &opts()));
    assert!(has(&issues, Location::Line(2), "kind", "--kind"));
    let o = ImportOptions {
        default_kind: Some(ServiceKind::CollectionPoint),
        ..opts()
    };
    let r = import_csv_str(text, &o).unwrap();
    assert_eq!(r.points[0].kind, ServiceKind::CollectionPoint);
    // A generated id is stable across imports.
    let again = import_csv_str(text, &o).unwrap();
    assert_eq!(r.points[0].id, again.points[0].id);
    assert!(r.points[0].id.starts_with("sp-"));
}

#[test]
fn csv_service_area_and_adcode_mismatch_are_warnings_that_keep_values() {
    // Row 2 in 开福区 (shapely, once); row 3 in Beijing (天安门, WGS-84 116.3975, 39.9087);
    // row 4 gives 天心区's code for a position in 开福区.
    let text = "名称,类型,经度,纬度,区划代码\n\
        甲,驿站,112.970804,28.198783,\n\
        乙,驿站,116.3975,39.9087,\n\
        丙,驿站,112.970804,28.198783,430103\n";
    let o = ImportOptions {
        service_area: vec!["430100".into()],
        ..opts()
    };
    let r = import_csv_str(text, &o).unwrap();
    assert_eq!(r.points.len(), 3);
    let w: Vec<_> = r.warnings().collect();
    assert!(has(
        &r.issues,
        Location::Line(3),
        "lon/lat",
        "outside the service area"
    ));
    assert!(!w.iter().any(|i| i.location == Location::Line(2)));
    assert!(has(&r.issues, Location::Line(4), "adcode", "430105 开福区"));
    assert_eq!(
        r.points[2].adcode.as_deref(),
        Some("430103"),
        "kept as given"
    );
    // A district code as the area works too.
    let o = ImportOptions {
        service_area: vec!["430104".into()],
        ..opts()
    };
    let r = import_csv_str(text, &o).unwrap();
    assert!(has(
        &r.issues,
        Location::Line(2),
        "lon/lat",
        "430105 开福区"
    ));
}

#[test]
fn csv_header_problems_are_format_errors_naming_the_line() {
    let e = import_csv_str("名称,类型,纬度\n站,驿站,28.19\n", &opts()).unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("line 1:") && s.contains("no lon column"),
        "{s}"
    );
    let e = import_csv_str("经度,lon,纬度\n1,2,3\n", &opts()).unwrap_err();
    assert!(e.to_string().contains("both mean field lon"), "{e}");
    assert!(import_csv_str("", &opts()).is_err());
    let r = import_csv_str("名称,类型,经度,纬度\n", &opts()).unwrap();
    assert!(has_warning(&r, Location::File, "no records"));
    // Invalid in both UTF-8 and GB18030 (0xFF is never a GB18030 lead byte).
    let e = import_csv_bytes(b"name,lon,lat\nx,1,2\n\xFF\xFF,3,4\n", &opts()).unwrap_err();
    assert!(e.to_string().starts_with("line 3:"), "{e}");
}

#[test]
fn csv_title_line_semicolons_blank_rows_and_unknown_columns() {
    let text =
        "长沙市驿站清单;;;;\n名称;类型;经度;纬度;备注\n站;驿站;112.98;28.19;旁边\n;;;;\n;;;;\n";
    let r = import_csv_str(text, &opts()).unwrap();
    assert_eq!(r.records, 1);
    assert!(has_warning(&r, Location::Line(1), "title"));
    assert!(has_warning(&r, Location::Line(2), "备注"));
    // A comma decimal in a semicolon file is still caught.
    let text = "名称;类型;经度;纬度\n站;驿站;112,98;28,19\n";
    let issues = rejected(import_csv_str(text, &opts()));
    assert!(has(&issues, Location::Line(2), "lon", "comma"));
    assert!(has(&issues, Location::Line(2), "lat", "comma"));
}

#[test]
fn csv_coarse_coordinates_get_a_precision_warning() {
    let text = "名称,类型,经度,纬度\n粗,驿站,112.98,28.1946\n细,驿站,112.9775,28.1947\n";
    let r = import_csv_str(text, &opts()).unwrap();
    // 2 decimals of a degree: 0.01° × 111 km/° ≈ 1110 m (hand calculation).
    assert!(has_warning(&r, Location::Line(2), "about 1110 m"));
    assert!(!r.issues.iter().any(|i| i.location == Location::Line(3)));
    let text = "名称,类型,经度,纬度\n全角,驿站,１１２．９８,28.19\n";
    let issues = rejected(import_csv_str(text, &opts()));
    assert!(has(&issues, Location::Line(2), "lon", "type `112.98`"));
}

fn has_warning(r: &ImportReport, loc: Location, needle: &str) -> bool {
    r.warnings()
        .any(|i| i.location == loc && i.reason.contains(needle))
}

#[test]
fn csv_gcj02_and_bd09_are_converted() {
    // 五一广场 station: GCJ-02 from metromancn, WGS-84 from the independent conversion in
    // SOURCES.md (10-round fixed point, rounded to 6 decimals), BD-09 = standard GCJ→BD
    // formula applied to the GCJ-02 value (Python, once): 112.982919, 28.201012.
    let want = LonLat::new(112.970804, 28.198783).unwrap();
    let r = import_csv_str(
        "名称,类型,经度,纬度\n站,驿站,112.976341,28.195346\n",
        &gcj(),
    )
    .unwrap();
    assert!(geodesic_distance_m(r.points[0].location, want) < 1.0);
    let bd = ImportOptions {
        crs: Crs::Bd09,
        ..opts()
    };
    let r = import_csv_str("名称,类型,经度,纬度\n站,驿站,112.982919,28.201012\n", &bd).unwrap();
    assert!(geodesic_distance_m(r.points[0].location, want) < 1.0);
}

// ---------------------------------------------------------------- XLSX

#[test]
fn xlsx_rows_are_numbered_as_excel_shows_them() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/bad_rows.xlsx"
    ))
    .unwrap();
    let issues = rejected(import_xlsx_bytes(&bytes, &opts()));
    // Row 1 is a title, row 2 the header, row 3 valid.
    assert!(!issues
        .iter()
        .any(|i| i.location == Location::Row(3) && i.severity == Severity::Error));
    assert!(has(&issues, Location::Row(4), "lon", "comma"));
    assert!(has(&issues, Location::Row(5), "lat", "swapped"));
    assert!(has(
        &issues,
        Location::Row(7),
        "id",
        "duplicate id `1` (first at row 3)"
    ));
    let o = ImportOptions {
        skip_invalid: true,
        ..opts()
    };
    let r = import_xlsx_bytes(&bytes, &o).unwrap();
    assert_eq!(r.points.len(), 1);
    let p = &r.points[0];
    assert_eq!(p.id, "1");
    // Numbers typed as numbers keep their value.
    assert_eq!(p.location, LonLat::new(112.977541, 28.194746).unwrap());
    assert_eq!(p.phone.as_deref(), Some("73182345678"));
    assert!(r
        .warnings()
        .any(|i| i.location == Location::Row(3) && i.field.as_deref() == Some("phone")));
}

#[test]
fn xlsx_garbage_is_a_format_error() {
    let e = import_xlsx_bytes(b"PK\x03\x04 not really a zip", &opts()).unwrap_err();
    assert!(matches!(e, ImportError::Format { .. }), "{e}");
}

// ---------------------------------------------------------------- shipped files

#[test]
fn templates_and_sample_import_cleanly() {
    for f in [
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/templates/service_points_template.csv"
        ),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/templates/service_points_template.xlsx"
        ),
    ] {
        let r = import_file(Path::new(f), &gcj()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(r.points.len(), 2, "{f}");
        assert!(r.issues.is_empty(), "{f}: {:?}", r.issues);
        let c = &r.points[1];
        assert_eq!(c.kind, ServiceKind::RiderFriendlyCommunity);
        assert!(c.entrance.is_some());
    }
    let o = ImportOptions {
        crs: Crs::Gcj02,
        service_area: vec!["430100".into()],
        ..opts()
    };
    let r = import_file(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/samples/changsha_sample_gcj02.csv"
        )),
        &o,
    )
    .unwrap();
    assert_eq!(r.points.len(), 12);
    assert!(r.issues.is_empty(), "{:?}", r.issues);
    assert!(
        r.points.iter().all(|p| p.demo),
        "fictitious points must be flagged"
    );
    assert!(r
        .points
        .iter()
        .all(|p| p.adcode.as_deref().is_some_and(|a| a.starts_with("4301"))));
    // 橘子洲 lies on the island, which belongs to 岳麓区 (SOURCES.md).
    let jzz = r.points.iter().find(|p| p.id == "cs-002").unwrap();
    assert_eq!(jzz.adcode.as_deref(), Some("430104"));
    assert_eq!(
        r.points[0].source.as_deref(),
        Some("changsha_sample_gcj02.csv")
    );
}

#[test]
fn unknown_extension_and_missing_file() {
    let e = import_file(Path::new("points.shp"), &opts()).unwrap_err();
    assert!(matches!(e, ImportError::UnknownFormat { .. }));
    let e = import_file(Path::new("/nonexistent/points.csv"), &opts()).unwrap_err();
    assert!(matches!(e, ImportError::Io { .. }));
}

// ---------------------------------------------------------------- real data

fn metro_csv_wgs84() -> BTreeMap<String, LonLat> {
    let mut rdr = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/metro/changsha_metro_stations.csv"
    ))
    .unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (id, lon, lat) = (col("id"), col("lon_wgs84"), col("lat_wgs84"));
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[id].to_string(),
                LonLat::new(r[lon].parse().unwrap(), r[lat].parse().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn real_metro_stations_in_gcj02_land_within_1_m_and_in_the_right_districts() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/changsha_metro_stations_gcj02.geojson"
    ))
    .unwrap();
    // The stations carry `kind: metro_station`; import them as stations.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for f in v["features"].as_array_mut().unwrap() {
        f["properties"]["kind"] = json!("station");
    }
    let r = import_geojson_str(&v.to_string(), &gcj()).unwrap();
    assert_eq!(r.points.len(), 143);
    let reference = metro_csv_wgs84();
    for p in &r.points {
        let want = reference[&p.id];
        let d = geodesic_distance_m(p.location, want);
        assert!(
            d < 1.0,
            "{} {}: {d} m from the independent conversion",
            p.id,
            p.name
        );
    }
    // District counts from SOURCES.md (shapely point-in-polygon on the WGS-84 CSV positions).
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &r.points {
        let a = p.adcode.clone().unwrap_or_default();
        let key = if a.starts_with("4301") {
            a
        } else {
            format!("other:{}", &a[..4])
        };
        *counts.entry(key).or_default() += 1;
    }
    let want: BTreeMap<String, usize> = [
        ("430102", 17),
        ("430103", 14),
        ("430104", 39),
        ("430105", 22),
        ("430111", 24),
        ("430112", 5),
        ("430121", 19),
        ("other:4303", 3), // Xiangtan
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts, want);
    // 橘子洲 station lies on the island, in 岳麓区 (SOURCES.md: the raw GCJ-02 position in the
    // WGS-84 polygons would fall in the river, in 天心区).
    let jzz = r.points.iter().find(|p| p.name == "橘子洲").unwrap();
    assert_eq!(jzz.adcode.as_deref(), Some("430104"));
}

/// The vertices of a district's boundary in the shipped file.
fn vertices(adcode: &str) -> Vec<[f64; 2]> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/boundaries/hunan_counties_wgs84.geojson"
    ))
    .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let f = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["adcode"] == adcode)
        .unwrap();
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<[f64; 2]>) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()])
            }
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    walk(&f["geometry"]["coordinates"], &mut out);
    out
}

#[test]
fn a_point_exactly_on_a_district_border_counts_as_inside_consistently() {
    // A vertex shared by 芙蓉区 (430102) and 天心区 (430103): on both borders.
    let tianxin = vertices("430103");
    let shared = vertices("430102")
        .into_iter()
        .find(|v| tianxin.contains(v))
        .expect("the two districts share a boundary vertex");
    let p = LonLat::new(shared[0], shared[1]).unwrap();
    let d = Districts::embedded();
    // Inside both (boundary inclusive) ...
    for a in ["430102", "430103"] {
        use geo::Intersects;
        assert!(d.get(a).unwrap().geometry.intersects(&p.to_point()), "{a}");
    }
    // ... and assigned to the same one (the smaller adcode) on every import.
    let text = format!("名称,类型,经度,纬度\n界,驿站,{},{}\n", shared[0], shared[1]);
    for _ in 0..3 {
        let r = import_csv_str(&text, &opts()).unwrap();
        assert_eq!(r.points[0].adcode.as_deref(), Some("430102"));
    }
    // A vertex on only one district's border (浏阳市, on the province border) is inside it.
    let liuyang = vertices("430181");
    let east = liuyang
        .iter()
        .copied()
        .max_by(|a, b| a[0].total_cmp(&b[0]))
        .unwrap();
    let text = format!("名称,类型,经度,纬度\n界,驿站,{},{}\n", east[0], east[1]);
    let r = import_csv_str(&text, &opts()).unwrap();
    assert_eq!(r.points[0].adcode.as_deref(), Some("430181"));
}

// ---------------------------------------------------------------- CLI

fn nuanxin(args: &[&str]) -> std::process::Output {
    support::bin::run(args, None)
}

#[test]
fn cli_import_names_line_and_field_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "名称,类型,经度,纬度\n好,驿站,112.98,28.19\n坏,驿站,\"112,98\",28.19\n",
    )
    .unwrap();
    // Chinese by default, for the officials who import station lists.
    let out = nuanxin(&["import", bad.to_str().unwrap(), "--crs", "gcj02"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("错误：第 3 行，字段 lon：`112,98` 用逗号作小数点，请写成 `112.98`"),
        "{err}"
    );
    assert!(
        err.contains("导入被拒绝：2 条记录中有 1 条有误（共 1 个错误）"),
        "{err}"
    );
    assert!(
        !err.contains("line 3") && !err.contains("import rejected"),
        "{err}"
    );
    // English with --lang en (before or after the subcommand) or NUANXIN_LANG=en.
    for out in [
        nuanxin(&[
            "--lang",
            "en",
            "import",
            bad.to_str().unwrap(),
            "--crs",
            "gcj02",
        ]),
        nuanxin(&["import", bad.to_str().unwrap(), "--lang=en"]),
        support::bin::nuanxin()
            .args(["import", bad.to_str().unwrap()])
            .env("NUANXIN_LANG", "en")
            .output()
            .unwrap(),
    ] {
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("error: line 3, field lon: `112,98` uses a comma"),
            "{err}"
        );
        assert!(err.contains("import rejected"), "{err}");
        assert!(!err.contains("第 3 行"), "{err}");
    }
    // The flag wins over the environment.
    let out = support::bin::nuanxin()
        .args(["import", bad.to_str().unwrap(), "--lang", "zh"])
        .env("NUANXIN_LANG", "en")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("第 3 行，字段 lon"));
    // The same as JSON, for scripts.
    let out = nuanxin(&["import", bad.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accepted"], false);
    let errors: Vec<&Value> = v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["field"], "lon");

    // With --skip-invalid it succeeds and writes the valid point as WGS-84 GeoJSON.
    let out_file = dir.path().join("points.geojson");
    let out = nuanxin(&[
        "import",
        bad.to_str().unwrap(),
        "--skip-invalid",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = import_file(&out_file, &opts()).unwrap();
    assert_eq!(back.points.len(), 1);
    assert_eq!(back.points[0].name, "好");
}

#[test]
fn cli_import_speaks_chinese_to_officials_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("名录.csv");
    std::fs::write(
        &bad,
        "名称,类型,经度,纬度,开放时间,编号\n\
         一号驿站,驿站,112°58′48″,28.19,Mo-Fr 8-20,s1\n\
         二号驿站,商店,１１２.９８,28.19,24/7,s1\n\
         三号驿站,驿站,28.191234,112.981234,,\n\
         ,驿站,112.981234,28.191234,,\n\
         五号驿站,驿站,112.981234,28.191234,,\n",
    )
    .unwrap();
    let out = nuanxin(&["import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [
        "  错误：第 2 行，字段 lon：`112°58′48″` 是度分秒格式，请填写十进制的度数（112°58′48″ = 112 + 58/60 + 48/3600 = 112.98）",
        "  错误：第 2 行，字段 opening_hours：`Mo-Fr 8-20` 无法识别为开放时间。写法：星期 + 空格 + 时间（24 小时制），如 `Mo-Fr 08:00-20:00` 表示周一至周五 8 点到 20 点",
        "  错误：第 3 行，字段 kind：未知的类型 `商店`；可填：station, legal_aid, rider_friendly_community, collection_point",
        "  错误：第 3 行，字段 lon：`１１２.９８` 含全角字符，请改用半角：`112.98`",
        "  错误：第 3 行，字段 id：编号 `s1` 重复（首次出现在第 2 行）",
        "  错误：第 4 行，字段 lat：lon = 28.191234，lat = 112.981234：经度和纬度似乎填反了（纬度超出 ±90°）；请把经度（东经，湖南约 108–114）填在 `lon`",
        "  错误：第 5 行，字段 name：未填写",
        "错误：导入被拒绝：5 条记录中有 4 条有误（共 7 个错误），未导入任何记录（请改正后重试，或加 --skip-invalid 只导入有效记录）",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    // The summary and the result of storing, in Chinese too.
    let db = dir.path().join("n.db");
    let out = nuanxin(&[
        "import",
        bad.to_str().unwrap(),
        "--skip-invalid",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "读取 5 条记录，接受 1 条，未接受 4 条，警告 0 条；坐标系 wgs84 已转换为 WGS-84"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  驿站（station）：1"), "{stdout}");
    assert!(
        stdout.contains("已将 1 个服务点存入") && stdout.contains("（新增 1 个，替换 0 个）"),
        "{stdout}"
    );
    // A file the importer cannot read says so in Chinese.
    let out = nuanxin(&["import", "stations.docx"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("错误：导入 stations.docx 时出错: 无法判断 stations.docx 的格式"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cli_import_with_db_stores_points_and_a_rejected_file_stores_nothing() {
    // Regression: `import` printed "12 imported" but stored nothing anywhere.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stations.db");
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "编号,名称,类型,经度,纬度\nA1,甲驿站,驿站,112.98,28.19\nA2,乙驿站,驿站,112.99,28.20\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "编号,名称,类型,经度,纬度\nB1,丙驿站,驿站,112.98,28.19\nB2,丁驿站,驿站,\"112,98\",28.19\n",
    )
    .unwrap();
    let db_arg = db.to_str().unwrap();
    let out = nuanxin(&["import", bad.to_str().unwrap(), "--db", db_arg]);
    assert!(!out.status.success());
    let out = nuanxin(&["import", good.to_str().unwrap(), "--db", db_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = nuanxin::suggestions::Store::open(&db).unwrap();
    let mut ids: Vec<String> = store
        .service_points()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["A1", "A2"]);
}

#[test]
fn cli_nearest_reports_metres_and_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("p.geojson");
    std::fs::write(
        &data,
        fc(json!([
            {"type": "Feature", "id": "n", "geometry": {"type": "Point", "coordinates": [113.0, 28.01]}, "properties": {"name": "北站", "kind": "station", "amenities": ["drinking_water"]}},
            {"type": "Feature", "id": "e", "geometry": {"type": "Point", "coordinates": [113.01, 28.0]}, "properties": {"name": "东站", "kind": "station"}},
        ])),
    )
    .unwrap();
    let out = nuanxin(&[
        "nearest",
        "--lon",
        "113",
        "--lat",
        "28",
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    // GeographicLib (Python, Geodesic.WGS84.Inverse): (28,113)→(28,113.01) 983.619 m,
    // (28,113)→(28.01,113) 1108.195 m.
    assert_eq!(rows[0]["id"], "e");
    assert!((rows[0]["distance_m"].as_f64().unwrap() - 983.6).abs() < 0.11);
    assert_eq!(rows[1]["id"], "n");
    assert!((rows[1]["distance_m"].as_f64().unwrap() - 1108.2).abs() < 0.11);
    // 983.619 m at 5 km/h = 11.8 min, at 15 km/h = 3.9 min (hand calculation).
    assert_eq!(rows[0]["walk_minutes"].as_f64(), Some(11.8));
    assert_eq!(rows[0]["ebike_minutes"].as_f64(), Some(3.9));

    let out = nuanxin(&[
        "nearest",
        "--lon",
        "113",
        "--lat",
        "28",
        "--data",
        data.to_str().unwrap(),
        "--amenity",
        "drinking_water",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("北站") && !table.contains("东站"), "{table}");
    assert!(table.contains("1108"), "{table}");

    // Default data: the demo stations, from a GCJ-02 point copied from Amap (五一广场).
    let out = nuanxin(&[
        "nearest",
        "--lon",
        "112.976341",
        "--lat",
        "28.195346",
        "--crs",
        "gcj02",
        "--kind",
        "station",
        "-k",
        "3",
        "--json",
    ]);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let from = LonLat::new(112.970804, 28.198783).unwrap();
    // The right ones: a brute-force geodesic scan over the demo stations.
    let mut all: Vec<(f64, String)> = nuanxin::demo::demo_points()
        .into_iter()
        .filter(|p| p.kind == ServiceKind::Station)
        .map(|p| (geodesic_distance_m(from, p.location), p.id))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let got: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = all[..3].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(got, want);
    let mut last = 0.0;
    for r in rows.as_array().unwrap() {
        let loc = r["location"].as_array().unwrap();
        let p = LonLat::new(loc[0].as_f64().unwrap(), loc[1].as_f64().unwrap()).unwrap();
        let d = r["distance_m"].as_f64().unwrap();
        assert!((geodesic_distance_m(from, p) - d).abs() < 1.0);
        assert!(d >= last);
        last = d;
        assert_eq!(r["kind"], "station");
        assert_eq!(r["demo"], true);
    }

    // `--at LON,LAT` as Amap's picker copies it gives the same answer.
    let out2 = nuanxin(&[
        "nearest",
        "--at",
        "112.976341,28.195346",
        "--crs",
        "gcj02",
        "--kind",
        "station",
        "-k",
        "3",
        "--json",
    ]);
    let rows2: Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(rows2, rows);

    // At 03:00 only round-the-clock stations are open (the others open at 07:00 or later).
    let out = nuanxin(&[
        "nearest",
        "--lon",
        "112.97",
        "--lat",
        "28.2",
        "--kind",
        "驿站",
        "--open-at",
        "2026-11-29T03:00",
        "-k",
        "10",
        "--json",
    ]);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 10);
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["opening_hours"] == "24/7"));
}

// ---------------------------------------------------------------- robustness

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("NaN".to_string()),
            Just("inf".to_string()),
            Just("112,98".to_string()),
            Just("\"112,98\"".to_string()),
            Just("１１２．９８".to_string()),
            Just("驿站".to_string()),
            Just("24/7".to_string()),
            Just("饮水、充电".to_string()),
            (-400.0f64..400.0).prop_map(|x| format!("{x:.6}")),
            "[a-z0-9 ,;\"\\n\u{4e00}-\u{4e10}]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Arbitrary bytes never panic: the result is a report or an error.
        #[test]
        fn csv_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = import_csv_bytes(&bytes, &opts());
            let _ = import_xlsx_bytes(&bytes, &opts());
        }

        /// Tricky cells under a valid header: never a panic, and every accepted point is in
        /// range and every error names a line of the file.
        #[test]
        fn csv_cells_never_panic(rows in proptest::collection::vec(proptest::collection::vec(cell(), 4), 0..6)) {
            let mut text = String::from("名称,类型,经度,纬度\n");
            for r in &rows {
                text.push_str(&r.join(","));
                text.push('\n');
            }
            let o = ImportOptions { skip_invalid: true, crs: Crs::Gcj02, ..opts() };
            if let Ok(r) = import_csv_str(&text, &o) {
                for p in &r.points {
                    prop_assert!(p.location.lon.abs() <= 180.0 && p.location.lat.abs() <= 90.0);
                }
                let lines = text.lines().count() as u64;
                for i in r.errors() {
                    match i.location {
                        Location::Line(n) => prop_assert!(n >= 2 && n <= lines + 1),
                        other => prop_assert!(false, "error at {other}"),
                    }
                }
            }
        }

        /// Arbitrary JSON text never panics.
        #[test]
        fn geojson_text_never_panics(s in "\\{\"type\":\"FeatureCollection\",\"features\":\\[.{0,80}") {
            let _ = import_geojson_str(&s, &opts());
        }
    }
}
