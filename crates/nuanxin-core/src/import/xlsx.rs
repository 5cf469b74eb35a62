//! Spreadsheet importer (`.xlsx`, also `.xlsm`, `.xls`, `.ods`), read with `calamine`.
//!
//! The first worksheet is read. Its first non-empty row is the header (same names as CSV,
//! [`super::fields`]); issues name the row as Excel numbers it. Number cells are read as
//! numbers (no text round trip), text cells as text (so a coordinate typed as `112,98` is
//! still caught), date cells as date-times in China Standard Time.

use super::csv::HeaderSearch;
use super::fields::Field;
use super::record::{Builder, RawRecord};
use super::{Format, ImportError, ImportOptions, ImportReport, Issue, Location};
use calamine::{Data, Reader};
use serde_json::Value;
use std::io::Cursor;

fn cell_value(c: &Data) -> Value {
    match c {
        Data::Empty | Data::Error(_) => Value::Null,
        Data::String(s) => Value::String(s.clone()),
        Data::Int(i) => Value::from(*i),
        Data::Float(f) => {
            // Whole numbers (ids, phone numbers, adcodes typed as numbers) read as integers.
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
        }
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => {
            let (y, mo, da, h, mi, s, _ms) = d.to_ymd_hms_milli();
            Value::String(format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}"))
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::String(s.clone()),
    }
}

fn header_text(c: &Data) -> String {
    match cell_value(c) {
        Value::String(s) => s,
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// Imports workbook bytes.
///
/// # Errors
/// [`ImportError::Format`] when the bytes are not a workbook or the first sheet has no
/// usable header; [`ImportError::Rejected`] for invalid rows.
pub fn import_xlsx_bytes(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        ImportError::format(Location::File, format!("not a readable workbook: {e}"))
    })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| ImportError::format(Location::File, "the workbook has no worksheet"))?
        .map_err(|e| ImportError::format(Location::File, format!("first worksheet: {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut b = Builder::new(options, Format::Xlsx);
    let mut header = None;
    let mut search = HeaderSearch::default();
    for (i, row) in range.rows().enumerate() {
        // Excel row numbers are 1-based.
        let excel_row = row0 + i as u32 + 1;
        let loc = Location::Row(excel_row);
        let Some(map) = &header else {
            if row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            // Columns before the range start are empty; pad so positions match.
            let mut cells = vec![String::new(); col0 as usize];
            cells.extend(row.iter().map(header_text));
            header = search.next_row(loc, cells, "row", &mut b)?;
            continue;
        };
        let mut rec = RawRecord::new(loc);
        for (j, c) in row.iter().enumerate() {
            if let Some(Some(f)) = map.get(col0 as usize + j) {
                rec.values.insert(*f, cell_value(c));
            }
        }
        if rec.is_blank() {
            continue;
        }
        if rec.values.get(&Field::Phone).is_some_and(Value::is_number) {
            b.issue(Issue::warning(
                loc,
                Some("phone"),
                "the phone number is stored as a number, so a leading 0 may have been lost; \
                 format the column as text (文本) in Excel"
                    .into(),
            ));
        }
        b.push(rec);
    }
    if header.is_none() {
        return Err(search.missing("the first worksheet is empty: no header row", &mut b));
    }
    b.finish()
}
