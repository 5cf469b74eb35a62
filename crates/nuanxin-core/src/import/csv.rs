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
use std::io::Read;

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
///
/// It works on a stream: [`CountingReader`] notes the offsets of the line terminators
/// (`\r`, `\n`) as the bytes pass to the CSV parser, and a look-up drops those before the
/// offset asked for, so it holds only the terminators of the parser's read-ahead.
#[derive(Debug, Default)]
struct LineCounter {
    /// Offsets of `\r` and `\n` bytes not yet passed (`true`: `\n`).
    pending: std::collections::VecDeque<(u64, bool)>,
    /// Line of the last offset asked for.
    line: u64,
    /// The last offset asked for.
    byte: u64,
}

impl LineCounter {
    fn new() -> Self {
        Self {
            line: 1,
            ..Self::default()
        }
    }

    /// The line of byte offset `byte`; an offset before the previous one gets the previous
    /// line (offsets come in increasing order).
    fn line_at(&mut self, mut byte: u64) -> u64 {
        if byte < self.byte {
            return self.line;
        }
        // The reader may place a record's start on the `\n` of the previous CRLF; a record
        // never starts with a line terminator, so step over it.
        while let Some(&(at, newline)) = self.pending.front() {
            if at < byte {
                self.line += u64::from(newline);
            } else if at == byte {
                self.line += u64::from(newline);
                byte += 1;
            } else {
                break;
            }
            self.pending.pop_front();
        }
        self.byte = byte;
        self.line
    }
}

/// A reader noting the offsets of line terminators for a [`LineCounter`].
struct CountingReader<R> {
    inner: R,
    offset: u64,
    lines: std::rc::Rc<std::cell::RefCell<LineCounter>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut lines = self.lines.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' || *b == b'\r' {
                lines
                    .pending
                    .push_back((self.offset + i as u64, *b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Bytes read ahead to find the header line (for the delimiter) before parsing starts.
const SNIFF_BYTES: u64 = 64 * 1024;

/// How a CSV file's bytes become UTF-8 text.
enum FileEncoding {
    /// UTF-8; `bom`: the length of a byte-order mark to skip.
    Utf8 { bom: usize },
    /// Another encoding (GB18030 without a BOM, UTF-16 with one), decoded as a stream after
    /// a BOM of `bom` bytes.
    Decoded {
        encoding: &'static Encoding,
        bom: usize,
    },
}

/// Finds a file's encoding by the rules of [`decode`] without holding it: a BOM, else a
/// streamed UTF-8 validation of the whole file (a file that is not valid UTF-8 is GB18030).
fn file_encoding(mut file: impl Read) -> Result<(FileEncoding, &'static str), ImportError> {
    let io = |e: std::io::Error| ImportError::format(Location::File, format!("read error: {e}"));
    let mut head = Vec::with_capacity(3);
    (&mut file).take(3).read_to_end(&mut head).map_err(io)?;
    if let Some((enc, bom)) = Encoding::for_bom(&head) {
        if enc != encoding_rs::UTF_8 {
            let name = if enc == UTF_16LE || enc == UTF_16BE {
                "UTF-16 (BOM)"
            } else {
                enc.name()
            };
            return Ok((FileEncoding::Decoded { encoding: enc, bom }, name));
        }
    }
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    // Validate the rest as UTF-8 in chunks (a sequence cut by a chunk end is carried over).
    let mut chunk = head[bom..].to_vec();
    let mut buf = vec![0u8; 1 << 16];
    let mut line = 1u64;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        chunk.extend_from_slice(&buf[..n]);
        let (valid, bad) = match std::str::from_utf8(&chunk) {
            Ok(_) => (chunk.len(), false),
            Err(e) => (e.valid_up_to(), e.error_len().is_some() || n == 0),
        };
        if bad {
            line += chunk[..valid].iter().filter(|b| **b == b'\n').count() as u64;
            if bom == 3 {
                return Err(ImportError::format(
                    Location::Line(line),
                    "invalid UTF-8 byte sequence",
                ));
            }
            let name = "GBK/GB18030";
            return Ok((
                FileEncoding::Decoded {
                    encoding: GB18030,
                    bom: 0,
                },
                name,
            ));
        }
        line += chunk[..valid].iter().filter(|b| **b == b'\n').count() as u64;
        chunk.drain(..valid);
        if n == 0 {
            let name = if bom == 3 { "UTF-8 (BOM)" } else { "UTF-8" };
            return Ok((FileEncoding::Utf8 { bom }, name));
        }
    }
}

/// A reader decoding another encoding to UTF-8 as the bytes pass (encoding_rs, no
/// replacement characters), through a buffer of decoded text. At a malformed sequence it
/// fails, noting the line in `failed`.
struct DecodingReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Decoded text not yet read, `output[out_start..out_end]`.
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    /// Lines completed in the output so far, plus one.
    line: u64,
    /// The decoder took the end of the input (it must not be called again).
    finished: bool,
    failed: std::rc::Rc<std::cell::Cell<Option<u64>>>,
}

impl<R: Read> DecodingReader<R> {
    fn new(
        inner: R,
        encoding: &'static Encoding,
        failed: std::rc::Rc<std::cell::Cell<Option<u64>>>,
    ) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            start: 0,
            end: 0,
            eof: false,
            output: vec![0; 1 << 17],
            out_start: 0,
            out_end: 0,
            line: 1,
            finished: false,
            failed,
        }
    }

    /// Decodes more text into the empty output buffer; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        use encoding_rs::DecoderResult;
        loop {
            if self.finished {
                return Ok(false);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                &mut self.output,
                self.eof,
            );
            self.start += read;
            self.line += self.output[..written]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            (self.out_start, self.out_end) = (0, written);
            match result {
                DecoderResult::Malformed(..) => {
                    self.failed.set(Some(self.line));
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "malformed byte sequence",
                    ));
                }
                DecoderResult::InputEmpty if self.eof => self.finished = true,
                _ => {}
            }
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.out_start == self.out_end && !self.refill()? {
            return Ok(0);
        }
        let n = out.len().min(self.out_end - self.out_start);
        out[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

/// Imports a CSV file as a stream: the encoding is found in a first pass (see
/// [`decode`]), then the file is decoded, parsed and checked line by line, each accepted
/// point handed to `sink` (see [`super::import_file_to`]). Memory does not grow with the
/// file.
///
/// # Errors
/// As [`import_csv_bytes`]; [`ImportError::Io`] when the file cannot be read; the sink's
/// error.
pub fn import_csv_file_to(
    path: &std::path::Path,
    options: &ImportOptions,
    sink: &mut super::PointSink<'_>,
) -> Result<ImportReport, ImportError> {
    let open = || {
        std::fs::File::open(path)
            .map(|f| std::io::BufReader::with_capacity(1 << 16, f))
            .map_err(|e| ImportError::Io {
                path: path.display().to_string(),
                source: e,
            })
    };
    let (encoding, name) = file_encoding(open()?)?;
    let failed = std::rc::Rc::new(std::cell::Cell::new(None));
    let mut report = match encoding {
        FileEncoding::Utf8 { bom } => {
            let mut file = open()?;
            std::io::copy(&mut (&mut file).take(bom as u64), &mut std::io::sink()).map_err(
                |e| ImportError::Io {
                    path: path.display().to_string(),
                    source: e,
                },
            )?;
            import_csv_reader(file, options, Some(sink), &|| None)
        }
        FileEncoding::Decoded { encoding, bom } => {
            let mut file = open()?;
            std::io::copy(&mut (&mut file).take(bom as u64), &mut std::io::sink()).map_err(
                |e| ImportError::Io {
                    path: path.display().to_string(),
                    source: e,
                },
            )?;
            let reader = DecodingReader::new(file, encoding, failed.clone());
            let gb = encoding == GB18030;
            let failure = || {
                failed.get().map(|line| {
                    if gb {
                        ImportError::format(
                            Location::Line(line),
                            "bytes that are neither UTF-8 nor GBK/GB18030; save the file as \
                             \"CSV UTF-8 (逗号分隔)\" and import again",
                        )
                    } else {
                        ImportError::format(
                            Location::File,
                            format!("invalid {} byte sequence", encoding.name()),
                        )
                    }
                })
            };
            import_csv_reader(reader, options, Some(sink), &failure)
        }
    }?;
    report.encoding = Some(name);
    Ok(report)
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
    import_csv_reader(text.as_bytes(), options, None, &|| None)
}

/// The CSV importer over UTF-8 bytes from any reader, record by record. `failure` turns a
/// read error of the decoding layer into the error to report.
fn import_csv_reader(
    reader: impl Read,
    options: &ImportOptions,
    sink: Option<&mut super::PointSink<'_>>,
    failure: &dyn Fn() -> Option<ImportError>,
) -> Result<ImportReport, ImportError> {
    let mut reader = reader;
    let mut head = Vec::new();
    if let Err(e) = (&mut reader).take(SNIFF_BYTES).read_to_end(&mut head) {
        return Err(failure()
            .unwrap_or_else(|| ImportError::format(Location::File, format!("read error: {e}"))));
    }
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(&head));
    let lines = std::rc::Rc::new(std::cell::RefCell::new(LineCounter::new()));
    let counted = CountingReader {
        inner: std::io::Cursor::new(head).chain(reader),
        offset: 0,
        lines: lines.clone(),
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(counted);
    let mut b = Builder::new(options, Format::Csv).with_sink(sink);
    let mut header: Option<Vec<Option<Field>>> = None;
    let mut search = HeaderSearch::default();
    let line_at = |byte: u64| lines.borrow_mut().line_at(byte);
    let mut record = ::csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if let Some(f) = failure() {
                    return Err(f);
                }
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                return Err(ImportError::format(
                    Location::Line(line),
                    format!("malformed CSV: {e}"),
                ));
            }
        }
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        let loc = Location::Line(line);
        check_record_size(&record, loc)?;
        let Some(map) = &header else {
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let cells: Vec<String> = record.iter().map(str::to_string).collect();
            header = search.next_row(loc, cells, "line", &mut b)?;
            continue;
        };
        let mut rec = RawRecord::new(loc);
        for (cell, field) in record.iter().zip(map) {
            if let Some(f) = field {
                rec.values.insert(*f, Value::String(cell.to_string()));
            }
        }
        if rec.is_blank() {
            continue;
        }
        b.check_record_limit(loc)?;
        if record.len() > map.len() && record.iter().skip(map.len()).any(|c| !c.trim().is_empty()) {
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
                    record.len(),
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
