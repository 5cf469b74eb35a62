//! Spreadsheet importer (`.xlsx`, also `.xlsm`, `.xlsb`, `.xls`, `.ods`), read with `calamine`.
//!
//! The first worksheet is read. Its first non-empty row is the header (same names as CSV,
//! [`super::fields`]); issues name the row as Excel numbers it. Number cells are read as
//! numbers (no text round trip), text cells as text (so a coordinate typed as `112,98` is
//! still caught), date cells as date-times in China Standard Time.
//!
//! Sizes are checked before anything is allocated for them ([`super::limits`]): the parts of
//! a zipped workbook are decompressed once into nothing to measure them; `.xlsx` and `.xlsb`
//! worksheets are streamed cell by cell, keeping only non-empty cells, and a declared
//! dimension or a cell reference beyond [`MAX_ROW`] or [`MAX_COLUMN`] refuses the file.

use super::csv::HeaderSearch;
use super::fields::Field;
use super::limits::{
    column_name, MAX_CELLS, MAX_COLUMN, MAX_ROW, MAX_UNZIPPED_ENTRY_BYTES,
    MAX_UNZIPPED_TOTAL_BYTES, MAX_ZIP_ENTRIES,
};
use super::record::{Builder, RawRecord};
use super::{Format, ImportError, ImportOptions, ImportReport, Issue, Location};
use calamine::{Data, Reader, Sheets};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Seek};

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

/// Measures every part of a zipped workbook by decompressing it into nothing, so a zip bomb
/// (or a lying declared size) is refused before calamine reads any part into memory.
/// Bytes that are not a zip archive (legacy `.xls`) pass unchecked.
fn check_zip_parts<R: Read + Seek>(mut input: R) -> Result<(), ImportError> {
    let not_readable = |e: &dyn std::fmt::Display| {
        ImportError::format(Location::File, format!("not a readable workbook: {e}"))
    };
    let mut magic = Vec::with_capacity(4);
    (&mut input)
        .take(4)
        .read_to_end(&mut magic)
        .and_then(|_| input.rewind())
        .map_err(|e| not_readable(&e))?;
    if magic != b"PK\x03\x04" {
        return Ok(());
    }
    let mut zip = zip::ZipArchive::new(input).map_err(|e| not_readable(&e))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(ImportError::too_large(
            Location::File,
            format!(
                "the workbook has {} parts, more than the limit of {MAX_ZIP_ENTRIES}; \
                 save it again from Excel as a plain .xlsx",
                zip.len()
            ),
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| not_readable(&e))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let mut limited = entry.take(MAX_UNZIPPED_ENTRY_BYTES + 1);
        let n = std::io::copy(&mut limited, &mut std::io::sink()).map_err(|e| not_readable(&e))?;
        if n > MAX_UNZIPPED_ENTRY_BYTES {
            return Err(ImportError::too_large(
                Location::File,
                format!(
                    "part `{name}` of the workbook decompresses to more than {} MiB, the \
                     limit; the sheet is far larger than a list of service points needs \
                     (delete unused rows and columns, or split the file)",
                    MAX_UNZIPPED_ENTRY_BYTES >> 20
                ),
            ));
        }
        total += n;
        if total > MAX_UNZIPPED_TOTAL_BYTES {
            return Err(ImportError::too_large(
                Location::File,
                format!(
                    "the workbook decompresses to more than {} MiB, the limit; split the file",
                    MAX_UNZIPPED_TOTAL_BYTES >> 20
                ),
            ));
        }
    }
    Ok(())
}

/// The refusal of a cell or dimension beyond the sheet limits. `row` and `col` are 0-based.
fn beyond_limits(what: &str, row: u32, col: u32) -> ImportError {
    let (row1, col1) = (u64::from(row) + 1, u64::from(col) + 1);
    let name = column_name(col.saturating_add(1));
    let loc = Location::Row(row.saturating_add(1));
    let why = if col1 > u64::from(MAX_COLUMN) {
        format!(
            "column {name} ({col1}) is past the last column read, {} ({MAX_COLUMN})",
            column_name(MAX_COLUMN)
        )
    } else {
        format!("row {row1} is past the last row read ({MAX_ROW})")
    };
    ImportError::too_large(
        loc,
        format!(
            "{what} {name}{row1}: {why}; delete the rows and columns after your data \
             (in Excel: select them, right-click, 删除) and save again"
        ),
    )
}

fn check_position(what: &str, (row, col): (u32, u32)) -> Result<(), ImportError> {
    if row >= MAX_ROW || col >= MAX_COLUMN {
        return Err(beyond_limits(what, row, col));
    }
    Ok(())
}

/// The non-empty cells of one row by 0-based column.
type SheetRow = BTreeMap<u32, Data>;

/// Collects streamed cells into rows and hands each row over when the next begins, so only
/// one row is held; refuses cells beyond the limits and cells out of row order.
struct RowCollector<'f> {
    cells: usize,
    row: Option<(u32, SheetRow)>,
    on_row: &'f mut dyn FnMut(u32, &SheetRow) -> Result<(), ImportError>,
}

impl RowCollector<'_> {
    /// Adds one cell (0-based position).
    fn add(&mut self, pos: (u32, u32), value: Data) -> Result<(), ImportError> {
        if matches!(value, Data::Empty) {
            // A formatted but empty cell: kept nowhere, whatever its position.
            return Ok(());
        }
        check_position("cell", pos)?;
        self.cells += 1;
        if self.cells > MAX_CELLS {
            return Err(ImportError::too_large(
                Location::Row(pos.0 + 1),
                format!("the first worksheet has more than {MAX_CELLS} non-empty cells, the limit; split the file"),
            ));
        }
        match &mut self.row {
            Some((r, cells)) if *r == pos.0 => {
                cells.insert(pos.1, value);
            }
            Some((r, _)) if *r > pos.0 => {
                return Err(ImportError::format(
                    Location::Row(pos.0 + 1),
                    format!(
                        "row {} comes after row {} in the file; save the workbook again from \
                         Excel (rows out of order)",
                        pos.0 + 1,
                        *r + 1
                    ),
                ))
            }
            _ => {
                self.flush()?;
                self.row = Some((pos.0, BTreeMap::from([(pos.1, value)])));
            }
        }
        Ok(())
    }

    /// Hands over the row being collected.
    fn flush(&mut self) -> Result<(), ImportError> {
        match self.row.take() {
            Some((r, cells)) => (self.on_row)(r, &cells),
            None => Ok(()),
        }
    }
}

/// Reads the first worksheet row by row, streaming `.xlsx`/`.xlsb` cell by cell, and hands
/// each row with a non-empty cell to `on_row` in row order.
fn read_first_sheet<R: Read + Seek>(
    wb: Result<Sheets<R>, calamine::Error>,
    on_row: &mut dyn FnMut(u32, &SheetRow) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let not_readable = |e: &dyn std::fmt::Display| {
        ImportError::format(Location::File, format!("not a readable workbook: {e}"))
    };
    let first_sheet = |e: &dyn std::fmt::Display| {
        ImportError::format(Location::File, format!("first worksheet: {e}"))
    };
    let no_sheet = || ImportError::format(Location::File, "the workbook has no worksheet");
    let mut wb = wb.map_err(|e| not_readable(&e))?;
    let name = wb.sheet_names().into_iter().next().ok_or_else(no_sheet)?;
    let mut rows = RowCollector {
        cells: 0,
        row: None,
        on_row,
    };
    // The .xlsx and .xlsb cell readers are different types with the same streaming methods.
    macro_rules! stream_cells {
        ($book:expr) => {{
            let mut r = $book
                .worksheet_cells_reader(&name)
                .map_err(|e| first_sheet(&e))?;
            check_position("the declared dimension ends at", r.dimensions().end)?;
            while let Some(c) = r.next_cell().map_err(|e| first_sheet(&e))? {
                let pos = c.get_position();
                rows.add(pos, c.get_value().clone().into())?;
            }
        }};
    }
    match &mut wb {
        Sheets::Xlsx(x) => stream_cells!(x),
        Sheets::Xlsb(x) => stream_cells!(x),
        _ => {
            // Legacy .xls and .ods: calamine reads the sheet whole (bounded by the formats).
            let range = wb
                .worksheet_range_at(0)
                .ok_or_else(no_sheet)?
                .map_err(|e| first_sheet(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (row, col, v) in range.used_cells() {
                rows.add((r0 + row as u32, c0 + col as u32), v.clone())?;
            }
        }
    }
    rows.flush()
}

/// Imports workbook bytes.
///
/// # Errors
/// [`ImportError::TooLarge`] beyond a [limit](super::limits); [`ImportError::Format`] when
/// the bytes are not a workbook or the first sheet has no usable header;
/// [`ImportError::Rejected`] for invalid rows.
pub fn import_xlsx_bytes(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    check_zip_parts(Cursor::new(bytes))?;
    import_workbook(
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)),
        options,
        None,
    )
}

/// Imports a workbook file as a stream: `.xlsx` and `.xlsb` sheets are read cell by cell
/// (calamine's `worksheet_cells_reader`) and checked row by row, each accepted point handed
/// to `sink` (see [`super::import_file_to`]); only the current row is held. The zip parts
/// are measured first, as for [`import_xlsx_bytes`].
///
/// # Errors
/// As [`import_xlsx_bytes`]; [`ImportError::Io`] when the file cannot be opened; the
/// sink's error.
pub fn import_xlsx_file_to(
    path: &std::path::Path,
    options: &ImportOptions,
    sink: &mut super::PointSink<'_>,
) -> Result<ImportReport, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    check_zip_parts(std::io::BufReader::new(file))?;
    import_workbook(calamine::open_workbook_auto(path), options, Some(sink))
}

fn import_workbook<R: Read + Seek>(
    wb: Result<Sheets<R>, calamine::Error>,
    options: &ImportOptions,
    sink: Option<&mut super::PointSink<'_>>,
) -> Result<ImportReport, ImportError> {
    let mut b = Builder::new(options, Format::Xlsx).with_sink(sink);
    let mut header = None;
    let mut search = HeaderSearch::default();
    read_first_sheet(wb, &mut |row, cells| {
        // Excel row numbers are 1-based.
        let loc = Location::Row(row + 1);
        let Some(map) = &header else {
            let width = cells.keys().next_back().map_or(0, |c| *c as usize + 1);
            let mut texts = vec![String::new(); width];
            for (col, c) in cells {
                texts[*col as usize] = header_text(c);
            }
            header = search.next_row(loc, texts, "row", &mut b)?;
            return Ok(());
        };
        let mut rec = RawRecord::new(loc);
        for (col, c) in cells {
            if let Some(Some(f)) = map.get(*col as usize) {
                rec.values.insert(*f, cell_value(c));
            }
        }
        if rec.is_blank() {
            return Ok(());
        }
        b.check_record_limit(loc)?;
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
        Ok(())
    })?;
    if header.is_none() {
        return Err(search.missing("the first worksheet is empty: no header row", &mut b));
    }
    b.finish()
}
