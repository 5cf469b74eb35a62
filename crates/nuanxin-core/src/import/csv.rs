//! CSV importer for files as officials export them from Excel.
//!
//! - Encoding: UTF-8 with or without BOM; UTF-16 with BOM (Excel's "Unicode text"); anything
//!   else that is not valid UTF-8 is decoded as GB18030, the superset of GBK that Chinese
//!   Windows Excel writes ("CSV (逗号分隔)"). A byte sequence invalid in GB18030 as well is an
//!   error naming the line, never replaced silently.
//! - Separator: `,`, `;` or tab, whichever occurs most in the header line.
//! - Header: the first line; names matched by [`super::fields::Field::from_header`].
//!   Unknown columns are warned about and ignored; `lon` and `lat` columns are required.
//! - Blank lines (all cells empty, as Excel leaves at the end) are ignored.

use super::fields::Field;
use super::limits::{MAX_COLUMN, MAX_LINE_BYTES};
use super::record::{Builder, RawRecord};
use super::{Format, ImportError, ImportOptions, ImportReport, Issue, Location};
use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE};
use serde_json::Value;
use std::borrow::Cow;

/// Decodes CSV bytes to text (see the module docs for the rules). Returns the text and the
/// name of the encoding used.
///
/// # Errors
/// [`ImportError::Format`] naming the first line with bytes invalid in the detected encoding.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ImportError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if enc == encoding_rs::UTF_8 {
            return std::str::from_utf8(body)
                .map(|s| (Cow::Borrowed(s), "UTF-8 (BOM)"))
                .map_err(|e| bad_bytes(body, e.valid_up_to(), "UTF-8"));
        }
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            return Err(ImportError::format(
                Location::File,
                format!("invalid {} byte sequence", enc.name()),
            ));
        }
        let name = if enc == UTF_16LE || enc == UTF_16BE {
            "UTF-16 (BOM)"
        } else {
            enc.name()
        };
        return Ok((text, name));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(s), "UTF-8"));
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        let at = text.find('\u{fffd}').unwrap_or(0);
        let line = text[..at].matches('\n').count() + 1;
        return Err(ImportError::format(
            Location::Line(line as u64),
            "bytes that are neither UTF-8 nor GBK/GB18030; save the file as \
             \"CSV UTF-8 (逗号分隔)\" and import again",
        ));
    }
    Ok((text, "GBK/GB18030"))
}

fn bad_bytes(body: &[u8], valid_up_to: usize, enc: &str) -> ImportError {
    let line = body[..valid_up_to].iter().filter(|b| **b == b'\n').count() + 1;
    ImportError::format(
        Location::Line(line as u64),
        format!("invalid {enc} byte sequence"),
    )
}

fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',')
}

/// How many leading non-empty rows may precede the header (a title such as
/// `长沙市服务点清单` above the column names).
pub(crate) const MAX_TITLE_ROWS: usize = 5;

/// Finds the header row of a table (CSV or worksheet): the first row naming a longitude and
/// a latitude column, after at most [`MAX_TITLE_ROWS`] title rows (each warned about).
#[derive(Debug, Default)]
pub(crate) struct HeaderSearch {
    title_rows: usize,
    first: Option<(Location, Vec<String>)>,
}

impl HeaderSearch {
    /// Looks at the next non-empty row. `Ok(None)`: a title row, skipped with a warning
    /// (`unit` is `"line"` or `"row"`); `Ok(Some(map))`: the header's column → field map.
    ///
    /// # Errors
    /// [`ImportError::Format`] when no header appears within the title rows, or the header
    /// is unusable (see [`map_header`]).
    pub(crate) fn next_row(
        &mut self,
        loc: Location,
        cells: Vec<String>,
        unit: &str,
        b: &mut Builder<'_>,
    ) -> Result<Option<Vec<Option<Field>>>, ImportError> {
        if self.first.is_none() {
            self.first = Some((loc, cells.clone()));
        }
        if is_header(&cells) {
            return map_header(&cells, loc, b).map(Some);
        }
        if self.title_rows < MAX_TITLE_ROWS {
            self.title_rows += 1;
            b.issue(Issue::warning(
                loc,
                None,
                format!(
                    "no longitude/latitude column names here; taken as a title {unit} and ignored"
                ),
            ));
            return Ok(None);
        }
        // No header found: report against the first non-empty row.
        let (l, c) = self.first.take().unwrap_or((loc, cells));
        map_header(&c, l, b)?;
        Err(ImportError::format(l, "no header"))
    }

    /// The error for a table that ended before its header: what is wrong with the first
    /// non-empty row as a header, or `empty` (at file level) when there was none.
    pub(crate) fn missing(self, empty: &str, b: &mut Builder<'_>) -> ImportError {
        if let Some((l, c)) = self.first {
            if let Err(e) = map_header(&c, l, b) {
                return e;
            }
        }
        ImportError::format(Location::File, empty)
    }
}

/// Whether a row looks like the header: it names both a longitude and a latitude column.
pub(crate) fn is_header(cells: &[String]) -> bool {
    let fields: Vec<_> = cells.iter().filter_map(|c| Field::from_header(c)).collect();
    fields.contains(&Field::Lon) && fields.contains(&Field::Lat)
}

/// Maps header cells to fields; warns about unknown columns.
///
/// # Errors
/// [`ImportError::Format`] when two columns name the same field, or `lon`/`lat` is missing.
pub(crate) fn map_header(
    cells: &[String],
    loc: Location,
    b: &mut Builder<'_>,
) -> Result<Vec<Option<Field>>, ImportError> {
    let mut map: Vec<Option<Field>> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let f = Field::from_header(cell);
        if let Some(f) = f {
            if let Some(j) = map.iter().position(|g| *g == Some(f)) {
                return Err(ImportError::format(
                    loc,
                    format!(
                        "columns {} (`{}`) and {} (`{cell}`) both mean field {}",
                        j + 1,
                        cells[j],
                        i + 1,
                        f.name()
                    ),
                ));
            }
        } else if !cell.trim().is_empty() {
            b.issue(Issue::warning(
                loc,
                None,
                format!(
                    "column {} `{}` is not a known field; ignored",
                    i + 1,
                    cell.trim()
                ),
            ));
        }
        map.push(f);
    }
    for need in [Field::Lon, Field::Lat] {
        if !map.contains(&Some(need)) {
            return Err(ImportError::format(
                loc,
                format!(
                    "no {} column; the header must name it `{}` or `{}` (found: {})",
                    need.name(),
                    need.header_zh(),
                    need.name(),
                    cells.join(", ")
                ),
            ));
        }
    }
    Ok(map)
}

/// Refuses a record longer than [`MAX_LINE_BYTES`] or with more than [`MAX_COLUMN`] cells.
fn check_record_size(record: &::csv::StringRecord, loc: Location) -> Result<(), ImportError> {
    let bytes = record.as_byte_record().as_slice().len();
    if bytes > MAX_LINE_BYTES {
        return Err(ImportError::too_large(
            loc,
            format!(
                "the record is {bytes} bytes long, more than the limit of {MAX_LINE_BYTES}; \
                 check for a missing closing quote (\")"
            ),
        ));
    }
    if record.len() > MAX_COLUMN as usize {
        return Err(ImportError::too_large(
            loc,
            format!(
                "{} cells, more than the limit of {MAX_COLUMN} columns",
                record.len()
            ),
        ));
    }
    Ok(())
}

/// Physical line numbers (1-based, as a text editor counts) of byte offsets met in
/// increasing order: the number of `\n` before the offset, plus one. Counting `\n` alone is
/// right for LF and CRLF endings (Excel and Python's `csv` write CRLF; the `csv` crate's own
/// line count falls one behind per CRLF record) and for line breaks inside quoted cells.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of byte offset `byte`; offsets before the previous one are counted afresh.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The reader may place a record's start on the `\n` of the previous CRLF; a record
        // never starts with a line terminator, so step over it.
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.byte {
            *self = Self {
                text: self.text,
                byte: 0,
                line: 1,
            };
        }
        self.line += self.text[self.byte..byte]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.byte = byte;
        self.line
    }
}

/// Imports CSV bytes.
///
/// # Errors
/// [`ImportError::Format`] for an undecodable file or an unusable header;
/// [`ImportError::Rejected`] for invalid rows.
pub fn import_csv_bytes(
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let (text, encoding) = decode(bytes)?;
    let mut report = import_csv_str(&text, options)?;
    report.encoding = Some(encoding);
    Ok(report)
}

/// Imports CSV text (already decoded).
///
/// # Errors
/// As [`import_csv_bytes`].
pub fn import_csv_str(text: &str, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut b = Builder::new(options, Format::Csv);
    let mut header: Option<Vec<Option<Field>>> = None;
    let mut search = HeaderSearch::default();
    let mut lines = LineCounter::new(text);
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
            ImportError::format(Location::Line(line), format!("malformed CSV: {e}"))
        })?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        let loc = Location::Line(line);
        check_record_size(&record, loc)?;
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        let Some(map) = &header else {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            header = search.next_row(loc, cells, "line", &mut b)?;
            continue;
        };
        let mut rec = RawRecord::new(loc);
        for (cell, field) in cells.iter().zip(map) {
            if let Some(f) = field {
                rec.values.insert(*f, Value::String(cell.clone()));
            }
        }
        if rec.is_blank() {
            continue;
        }
        b.check_record_limit(loc)?;
        if cells.len() > map.len() && cells[map.len()..].iter().any(|c| !c.trim().is_empty()) {
            // An error, not a warning: a decimal comma (`112,98`) splits one number into two
            // cells and shifts every later field, and the row may still parse as a wrong
            // but valid position.
            b.count_record();
            b.issue(Issue::error(
                loc,
                None,
                format!(
                    "{} cells but the header has {} columns (本行单元格比表头多); a comma used as \
                     the decimal separator (112,98) or an unquoted comma in a name shifts the \
                     later fields: write decimals with a point and quote text containing commas",
                    cells.len(),
                    map.len()
                ),
            ));
            continue;
        }
        b.push(rec);
    }
    if header.is_none() {
        return Err(search.missing("empty file: no header line", &mut b));
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gbk_and_bom() {
        let (gbk, _, _) = GB18030.encode("名称,经度\n驿站,112.9\n");
        let (t, enc) = decode(&gbk).unwrap();
        assert_eq!(enc, "GBK/GB18030");
        assert!(t.starts_with("名称,经度"));
        let (t, enc) = decode(b"\xEF\xBB\xBFname\n").unwrap();
        assert_eq!((t.as_ref(), enc), ("name\n", "UTF-8 (BOM)"));
    }

    fn error_lines(text: &str) -> Vec<u64> {
        let opts = ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        };
        let r = import_csv_str(text, &opts).unwrap();
        r.issues
            .iter()
            .filter(|i| i.severity == crate::import::Severity::Error)
            .map(|i| match i.location {
                Location::Line(l) => l,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn crlf_line_numbers_are_physical_lines() {
        // Regression: with CRLF endings the bad latitude on the third line was reported on
        // line 2. Counted by hand: header line 1, `a` line 2, `b` line 3.
        let lf = "name,kind,lon,lat\na,station,112.9,28.1\nb,station,112.9,128.1\n";
        assert_eq!(error_lines(lf), [3]);
        assert_eq!(error_lines(&lf.replace('\n', "\r\n")), [3]);
        // A quoted name spanning two physical lines: `b` starts on line 4.
        let quoted =
            "name,kind,lon,lat\r\n\"a\r\nx\",station,112.9,28.1\r\nb,station,112.9,128.1\r\n";
        assert_eq!(error_lines(quoted), [4]);
    }

    #[test]
    fn more_cells_than_header_is_an_error() {
        // A decimal comma splits 112,98 into two cells: lat would read 98 — in range, wrong.
        let text = "name,kind,lon,lat\r\na,station,112,98,28.19\r\nb,station,112.98,28.19\r\n";
        let opts = ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        };
        let r = import_csv_str(text, &opts).unwrap();
        assert_eq!(r.points.len(), 1);
        assert_eq!(r.points[0].name, "b");
        assert_eq!(error_lines(text), [2]);
        assert!(import_csv_str(text, &ImportOptions::default()).is_err());
    }

    #[test]
    fn sniffs_semicolon() {
        assert_eq!(sniff_delimiter("name;lon;lat\n"), b';');
        assert_eq!(sniff_delimiter("name,lon,lat\n"), b',');
        assert_eq!(sniff_delimiter("name\tlon\tlat\n"), b'\t');
    }
}
