//! Import size limits (issue 15, item 1): inputs that made the importers allocate without
//! bound are refused with [`ImportError::TooLarge`] before any allocation for them.
//!
//! The workbooks are written in the test ([`xlsx_support`]) from hand-written SpreadsheetML,
//! so each test shows exactly what the attacking file contains.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin_core::import::limits::{
    MAX_COLUMN, MAX_FILE_BYTES, MAX_JSON_DEPTH, MAX_LINE_BYTES, MAX_RECORDS, MAX_ROW,
    MAX_UNZIPPED_ENTRY_BYTES,
};
use nuanxin_core::import::{
    csv::import_csv_str, geojson::import_geojson_str, import_bytes, xlsx::import_xlsx_bytes,
    Format, ImportError, ImportOptions, Location,
};
use std::io::Write;
use zip::write::SimpleFileOptions;

use crate::xlsx_support;
use xlsx_support::{inline, sheet, xlsx};

fn too_large(r: Result<impl std::fmt::Debug, ImportError>) -> (Location, String) {
    match r {
        Err(ImportError::TooLarge { location, reason }) => (location, reason),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn the_generated_workbook_is_read_when_within_limits() {
    // Guards the generator: the same file without the far cell imports its one station.
    let r = import_xlsx_bytes(&xlsx(&sheet("A1:D2", "")), &ImportOptions::default()).unwrap();
    assert_eq!(r.points.len(), 1);
    assert_eq!(r.points[0].name, "五一广场驿站");
}

/// The reported attack: one cell at XFD1048576 (the last cell Excel allows) made calamine
/// allocate the bounding box, 1 048 576 × 16 384 cells × 32 bytes = 512 GiB, and abort.
#[test]
fn a_single_cell_at_xfd1048576_is_refused_not_allocated() {
    let far = format!(r#"<row r="1048576">{}</row>"#, inline("XFD1048576", "x"));
    let bytes = xlsx(&sheet("A1:D2", &far));
    assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    let (loc, reason) = too_large(import_xlsx_bytes(&bytes, &ImportOptions::default()));
    assert_eq!(loc, Location::Row(1_048_576));
    assert!(reason.contains("XFD1048576"), "{reason}");
    assert!(reason.contains("column XFD (16384)"), "{reason}");
    // through the format dispatcher too
    too_large(import_bytes(
        &bytes,
        Format::Xlsx,
        &ImportOptions::default(),
    ));
}

#[test]
fn a_far_row_within_the_columns_is_refused() {
    let row = MAX_ROW + 1;
    let far = format!(
        r#"<row r="{row}">{}</row>"#,
        inline(&format!("A{row}"), "x")
    );
    let (loc, reason) = too_large(import_xlsx_bytes(
        &xlsx(&sheet("A1:D2", &far)),
        &ImportOptions::default(),
    ));
    assert_eq!(loc, Location::Row(row));
    assert!(
        reason.contains(&format!("row {row} is past the last row read")),
        "{reason}"
    );
}

#[test]
fn a_declared_dimension_beyond_the_limits_is_refused() {
    let (loc, reason) = too_large(import_xlsx_bytes(
        &xlsx(&sheet("A1:XFD1048576", "")),
        &ImportOptions::default(),
    ));
    assert_eq!(loc, Location::Row(1_048_576));
    assert!(
        reason.starts_with("the declared dimension ends at XFD1048576"),
        "{reason}"
    );
}

#[test]
fn formatted_empty_cells_far_away_cost_nothing() {
    // Excel writes styled empty cells as <c r=".." s=".."/>; they hold no value.
    let far = r#"<row r="1048576"><c r="XFD1048576" s="0"/></row>"#;
    let r = import_xlsx_bytes(&xlsx(&sheet("A1:D2", far)), &ImportOptions::default()).unwrap();
    assert_eq!(r.points.len(), 1);
}

#[test]
fn a_column_past_the_last_is_refused() {
    // Column IW is 257 = 9*26 + 23 (I=9, W=23).
    assert_eq!(MAX_COLUMN, 256);
    let far = format!(r#"<row r="3">{}</row>"#, inline("IW3", "x"));
    let (loc, reason) = too_large(import_xlsx_bytes(
        &xlsx(&sheet("A1:D2", &far)),
        &ImportOptions::default(),
    ));
    assert_eq!(loc, Location::Row(3));
    assert!(reason.contains("column IW (257)"), "{reason}");
}

/// A zip bomb: a part that deflates 1000:1 to just over the per-part limit is measured
/// and refused before calamine reads it (its declared size is not trusted).
#[test]
fn a_part_that_decompresses_past_the_limit_is_refused() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("xl/sharedStrings.xml", o).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..=(MAX_UNZIPPED_ENTRY_BYTES >> 20) {
        zip.write_all(&chunk).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
    let (loc, reason) = too_large(import_xlsx_bytes(&bytes, &ImportOptions::default()));
    assert_eq!(loc, Location::File);
    assert!(reason.contains("xl/sharedStrings.xml"), "{reason}");
}

#[test]
fn a_csv_record_longer_than_the_limit_is_refused() {
    // An unclosed quote swallows the rest of the file into one record.
    let text = format!(
        "名称,类型,经度,纬度\n站,驿站,112.98,28.19\n\"{}\n",
        "x".repeat(MAX_LINE_BYTES + 1)
    );
    let (loc, reason) = too_large(import_csv_str(&text, &ImportOptions::default()));
    assert_eq!(loc, Location::Line(3));
    assert!(reason.contains("missing closing quote"), "{reason}");
}

#[test]
fn a_csv_line_with_more_cells_than_columns_allowed_is_refused() {
    let text = format!(
        "名称,类型,经度,纬度\n站,驿站,112.98,28.19{}\n",
        ",".repeat(MAX_COLUMN as usize)
    );
    let (loc, _) = too_large(import_csv_str(&text, &ImportOptions::default()));
    assert_eq!(loc, Location::Line(2));
}

#[test]
fn more_records_than_the_limit_are_refused() {
    // MAX_RECORDS + 1 data lines (short lines: ~10 bytes each, 2 MB in all).
    let mut text = String::from("名称,类型,经度,纬度\n");
    for _ in 0..=MAX_RECORDS {
        text.push_str("a,驿站,1,1\n");
    }
    let (loc, reason) = too_large(import_csv_str(&text, &ImportOptions::default()));
    // header is line 1, so record MAX_RECORDS + 1 is on line MAX_RECORDS + 2
    assert_eq!(loc, Location::Line(MAX_RECORDS as u64 + 2));
    assert!(reason.contains("200000"), "{reason}");
}

#[test]
fn deeply_nested_geojson_is_refused_without_recursion() {
    // 100 000 nested arrays: deeper than serde_json's own recursion limit would ever see.
    let text = format!(
        r#"{{"type":"FeatureCollection","features":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (loc, reason) = too_large(import_geojson_str(&text, &ImportOptions::default()));
    assert_eq!(loc, Location::File);
    assert!(reason.contains(&MAX_JSON_DEPTH.to_string()), "{reason}");
}

#[test]
fn a_file_past_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let f = std::fs::File::create(&path).unwrap();
    // A sparse file: no disk used, but its length is past the limit.
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let (loc, reason) = too_large(nuanxin_core::import::import_file(
        &path,
        &ImportOptions::default(),
    ));
    assert_eq!(loc, Location::File);
    assert!(reason.contains("64 MiB"), "{reason}");
}
