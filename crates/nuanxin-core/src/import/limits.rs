//! Size limits of an import, checked before the importer allocates for the input.
//!
//! A file is refused with an [`ImportError::TooLarge`](super::ImportError::TooLarge) that
//! names the limit, where it was exceeded and what to do; nothing is imported. The limits
//! are far above a real list of service points (all of Changsha has a few hundred; a
//! province a few tens of thousands) and far below what would exhaust a 1 GB server:
//!
//! | limit | value | applies to |
//! |---|---|---|
//! | [`MAX_FILE_BYTES`] | 64 MiB | every file, before it is read |
//! | [`MAX_RECORDS`] | 200 000 | CSV lines, spreadsheet rows with data, GeoJSON features |
//! | [`MAX_ROW`] | 200 100 | a spreadsheet row number (declared dimension or cell reference) |
//! | [`MAX_COLUMN`] | 256 (`IV`) | a column number (spreadsheet cell reference, CSV cells per line) |
//! | [`MAX_CELLS`] | 4 000 000 | non-empty cells of a worksheet |
//! | [`MAX_LINE_BYTES`] | 64 KiB | one CSV record (a line, or lines joined by a quoted field) |
//! | [`MAX_JSON_DEPTH`] | 64 | nesting of arrays and objects in a GeoJSON file |
//! | [`MAX_ZIP_ENTRIES`] | 10 000 | parts of a zipped workbook (`.xlsx`, `.xlsb`, `.ods`) |
//! | [`MAX_UNZIPPED_ENTRY_BYTES`] | 256 MiB | one part of a workbook, decompressed (measured, not the declared size) |
//! | [`MAX_UNZIPPED_TOTAL_BYTES`] | 512 MiB | all parts of a workbook, decompressed |
//!
//! Worksheets of `.xlsx` and `.xlsb` workbooks are streamed cell by cell and only the
//! non-empty cells are kept, so a declared dimension or a single cell at `XFD1048576` costs
//! nothing before it is refused. Legacy `.xls` (BIFF8) and `.ods` sheets are read whole by
//! calamine; their size is bounded by the file and zip limits and by the formats' own caps
//! (65 536 × 256 cells for `.xls`).

/// Largest file accepted, in bytes (64 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most records (CSV data lines, spreadsheet rows with data, GeoJSON features) in one file.
pub const MAX_RECORDS: usize = 200_000;
/// Highest spreadsheet row number (1-based, as Excel shows it): [`MAX_RECORDS`] plus room
/// for title rows, the header and blank rows.
pub const MAX_ROW: u32 = 200_100;
/// Highest column number (1-based; 256 is column `IV`, the last column of legacy `.xls`).
pub const MAX_COLUMN: u32 = 256;
/// Most non-empty cells in one worksheet.
pub const MAX_CELLS: usize = 4_000_000;
/// Longest CSV record, in bytes.
pub const MAX_LINE_BYTES: usize = 64 << 10;
/// Deepest nesting of JSON arrays and objects (a Feature with a Polygon outline needs 6).
pub const MAX_JSON_DEPTH: usize = 64;
/// Most parts (zip entries) in a zipped workbook.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// Largest decompressed part of a zipped workbook, in bytes (256 MiB).
pub const MAX_UNZIPPED_ENTRY_BYTES: u64 = 256 << 20;
/// Largest total of the decompressed parts of a zipped workbook, in bytes (512 MiB).
pub const MAX_UNZIPPED_TOTAL_BYTES: u64 = 512 << 20;

/// Excel's name of a 1-based column number (`1` → `A`, `27` → `AA`, `16384` → `XFD`).
pub fn column_name(mut col: u32) -> String {
    let mut name = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        name.push(b'A' + rem as u8);
        col = (col - 1) / 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Deepest nesting of arrays and objects in a JSON text (strings skipped), stopping as soon
/// as it exceeds `limit`. Linear time, no allocation.
pub fn json_depth_exceeds(text: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in text {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_as_excel_shows_them() {
        // Excel: A=1, Z=26, AA=27, AZ=52, IV=256, XFD=16384 (26*26*24 + 26*6 + 4).
        for (n, name) in [
            (1, "A"),
            (26, "Z"),
            (27, "AA"),
            (52, "AZ"),
            (256, "IV"),
            (16384, "XFD"),
        ] {
            assert_eq!(column_name(n), name);
        }
    }

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert!(!json_depth_exceeds(br#"{"a":[[1,2]]}"#, 3));
        assert!(json_depth_exceeds(br#"{"a":[[[1]]]}"#, 3));
        // brackets inside strings, escaped quotes included, do not count
        assert!(!json_depth_exceeds(br#"{"a":"[[[[\"[[[["}"#, 1));
        let deep = "[".repeat(100_000);
        assert!(json_depth_exceeds(deep.as_bytes(), MAX_JSON_DEPTH));
    }
}
