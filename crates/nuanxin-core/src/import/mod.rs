//! Importers of service points: GeoJSON ([`geojson`]), CSV ([`csv`]) and XLSX ([`xlsx`]),
//! with row-level errors.
//!
//! Every import declares the coordinate system of its positions ([`ImportOptions::crs`],
//! WGS-84 by default) and converts them to WGS-84 with [`crate::crs`]. Each problem is an
//! [`Issue`] naming where (CSV line, spreadsheet row, GeoJSON feature), the field and the
//! reason. An import is all-or-nothing: one error rejects the whole file
//! ([`ImportError::Rejected`]) unless [`ImportOptions::skip_invalid`] is set, in which case
//! the bad records are left out and listed. No value is ever changed silently: a suspicious
//! value is an error, and an `adcode` that disagrees with the position is kept and warned
//! about. Only surrounding whitespace is trimmed. A missing `adcode` is filled from the
//! district the position lies in ([`crate::districts::Districts::county_at`]); a missing id
//! is derived from kind, name and position (stable across re-imports).
//!
//! Column names and value vocabularies (Chinese or English) are in [`fields`].
//!
//! ```
//! use nuanxin_core::crs::Crs;
//! use nuanxin_core::import::{csv::import_csv_str, ImportError, ImportOptions};
//!
//! // A position copied from Amap (GCJ-02), Chinese headers and labels.
//! let opts = ImportOptions { crs: Crs::Gcj02, ..ImportOptions::default() };
//! let ok = "名称,类型,经度,纬度,设施\n五一广场驿站,驿站,112.976341,28.195346,饮水、充电\n";
//! let report = import_csv_str(ok, &opts).unwrap();
//! // Converted to WGS-84 (independent conversion of this metro station: 112.970804, 28.198783).
//! assert!((report.points[0].location.lon - 112.970804).abs() < 1e-5);
//! assert_eq!(report.points[0].adcode.as_deref(), Some("430105"));
//!
//! // A comma as the decimal separator rejects the file and names line and field.
//! let bad = "名称,类型,经度,纬度\n站,驿站,\"112,976341\",28.195346\n";
//! let Err(ImportError::Rejected { issues, .. }) = import_csv_str(bad, &opts) else { panic!() };
//! assert!(issues[0].to_string().starts_with("line 2, field lon: `112,976341` uses a comma"));
//! ```

pub mod csv;
pub mod fields;
pub mod geojson;
pub mod limits;
mod record;
pub mod xlsx;

use crate::crs::Crs;
use crate::model::{ServiceKind, ServicePoint};
use std::fmt;
use std::path::Path;

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Coordinate system of the file's positions (default WGS-84).
    pub crs: Crs,
    /// Kind for records that do not say.
    pub default_kind: Option<ServiceKind>,
    /// Keep the valid records when some are bad (otherwise all-or-nothing).
    pub skip_invalid: bool,
    /// Adcodes (cities such as `430100` or counties such as `430102`) of the service area;
    /// a point outside all of them gets a warning. Empty: no check.
    pub service_area: Vec<String>,
    /// Value for `source` when a record has none (e.g. the file name).
    pub source: Option<String>,
    /// Most records in one file; `None`: [`limits::MAX_RECORDS`]. Raise it for a nationwide
    /// dataset (`nuanxin import --max-records`): GeoJSON is streamed, so memory grows with
    /// the accepted points only (about 0.5 KB each), not with the file.
    pub max_records: Option<usize>,
    /// Largest file, bytes; `None`: [`limits::MAX_FILE_BYTES`].
    pub max_file_bytes: Option<u64>,
}

impl ImportOptions {
    /// The record limit in force.
    pub fn max_records(&self) -> usize {
        self.max_records.unwrap_or(limits::MAX_RECORDS)
    }

    /// The file-size limit in force, bytes.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.unwrap_or(limits::MAX_FILE_BYTES)
    }
}

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GeoJSON FeatureCollection (RFC 7946).
    GeoJson,
    /// Comma-, semicolon- or tab-separated text (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM).
    Csv,
    /// Excel workbook (`.xlsx`, also `.xlsm`, `.xls`, `.ods`); the first sheet is read.
    Xlsx,
}

impl Format {
    /// The format a file name's extension names (`.geojson`/`.json`, `.csv`/`.tsv`/`.txt`,
    /// `.xlsx`/`.xlsm`/`.xls`/`.ods`), case-insensitive.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Where in the input an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The whole file (or its header).
    File,
    /// A CSV line, 1-based, as a text editor counts (the header is line 1).
    Line(u64),
    /// A spreadsheet row, 1-based, as Excel numbers it (the header is usually row 1).
    Row(u32),
    /// A GeoJSON feature: its 0-based index in `features`.
    Feature(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => f.write_str("file"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Feature(n) => write!(f, "feature {n} (features[{n}])"),
        }
    }
}

/// How serious an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The record is invalid: the import is rejected, or the record left out with `skip_invalid`.
    Error,
    /// The record was left out by rule and does not block the import (a GeoJSON feature with
    /// `geometry: null` or `properties: null`).
    Skipped,
    /// Imported, but worth a look (outside the service area, adcode disagrees, unknown column).
    Warning,
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Where.
    pub location: Location,
    /// The canonical field name (`lon`, `name`, `opening_hours` ...), if one field is at fault.
    pub field: Option<String>,
    /// How serious.
    pub severity: Severity,
    /// Why, in words a spreadsheet user can act on.
    pub reason: String,
}

impl Issue {
    /// An error.
    pub fn error(location: Location, field: Option<&str>, reason: String) -> Self {
        Self {
            location,
            field: field.map(str::to_string),
            severity: Severity::Error,
            reason,
        }
    }
    /// A warning.
    pub fn warning(location: Location, field: Option<&str>, reason: String) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(location, field, reason)
        }
    }
    /// A skipped record.
    pub fn skipped(location: Location, field: Option<&str>, reason: String) -> Self {
        Self {
            severity: Severity::Skipped,
            ..Self::error(location, field, reason)
        }
    }
}

/// `line 7, field lat: reason` (or `features[3]: reason` without a field).
impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}, field {}: {}", self.location, field, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

impl serde::Serialize for Issue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Issue", 6)?;
        let (line, row, feature) = match self.location {
            Location::Line(n) => (Some(n), None, None),
            Location::Row(n) => (None, Some(n), None),
            Location::Feature(n) => (None, None, Some(n)),
            Location::File => (None, None, None),
        };
        st.serialize_field("line", &line)?;
        st.serialize_field("row", &row)?;
        st.serialize_field("feature", &feature)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("reason", &self.reason)?;
        st.end()
    }
}

/// What an import produced.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// The format read.
    pub format: Option<Format>,
    /// The declared coordinate system of the input.
    pub crs: Crs,
    /// The text encoding detected (CSV only), e.g. `"UTF-8 (BOM)"` or `"GBK/GB18030"`.
    pub encoding: Option<&'static str>,
    /// Records read (CSV lines and spreadsheet rows with data, GeoJSON features).
    pub records: usize,
    /// Accepted points, WGS-84, in input order; empty when they went to a sink
    /// ([`import_file_to`]).
    pub points: Vec<ServicePoint>,
    /// How many points were accepted (`points.len()`, or how many the sink received).
    pub accepted: usize,
    /// Accepted points by kind.
    pub accepted_by_kind: std::collections::BTreeMap<ServiceKind, usize>,
    /// Every issue, in input order.
    pub issues: Vec<Issue>,
}

impl ImportReport {
    /// The errors (records left out under `skip_invalid`).
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }
    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }
    /// Records not imported (invalid or skipped by rule).
    pub fn rejected_records(&self) -> usize {
        self.records - self.accepted
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The extension names no supported format.
    #[error("cannot tell the format of {path}: use .geojson/.json, .csv or .xlsx")]
    UnknownFormat {
        /// The file.
        path: String,
    },
    /// The file as a whole is unusable (not JSON, no longitude column, broken workbook).
    #[error("{location}: {reason}")]
    Format {
        /// Where (usually [`Location::File`] or the header line).
        location: Location,
        /// Why.
        reason: String,
    },
    /// The file exceeds one of the [`limits`]: refused before the importer allocates for
    /// it; nothing was imported.
    #[error("{location}: {reason}")]
    TooLarge {
        /// Where the limit was exceeded ([`Location::File`] for the file's size).
        location: Location,
        /// Which limit, its value, and what to do.
        reason: String,
    },
    /// The sink refused an accepted point (the database could not store it); the import
    /// stopped there and nothing was imported.
    #[error("storing the accepted points failed")]
    Store(#[from] crate::suggestions::StoreError),
    /// Some records are invalid and `skip_invalid` is off: nothing was imported.
    #[error(
        "import rejected: {invalid_records} of {records} record(s) invalid ({errors} error(s)); \
         nothing imported (fix them, or pass --skip-invalid to import the valid records)"
    )]
    Rejected {
        /// Number of errors.
        errors: usize,
        /// Records with at least one error.
        invalid_records: usize,
        /// Records read.
        records: usize,
        /// Every issue (errors, skips and warnings), in input order.
        issues: Vec<Issue>,
    },
}

impl crate::error::Classify for ImportError {
    /// A missing file is not found; a file of no known format, an unusable file or one with
    /// invalid records (nothing imported) is invalid input naming `file`; a file over a
    /// limit is too large; a storage failure is classified as the store's error.
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            ImportError::Io { source, .. } => ErrorClass::of_io(source),
            ImportError::UnknownFormat { .. }
            | ImportError::Format { .. }
            | ImportError::Rejected { .. } => ErrorClass::invalid("file"),
            ImportError::TooLarge { .. } => ErrorClass::TooLarge,
            ImportError::Store(e) => e.class(),
        }
    }
}

impl ImportError {
    pub(crate) fn too_large(location: Location, reason: impl Into<String>) -> Self {
        ImportError::TooLarge {
            location,
            reason: reason.into(),
        }
    }

    pub(crate) fn format(location: Location, reason: impl Into<String>) -> Self {
        ImportError::Format {
            location,
            reason: reason.into(),
        }
    }
}

/// Where an import hands each accepted point, in input order (see [`import_file_to`]). An
/// error stops the import, which then returns it.
pub type PointSink<'a> = dyn FnMut(ServicePoint) -> Result<(), ImportError> + 'a;

/// Imports bytes in a given format.
///
/// # Errors
/// [`ImportError::TooLarge`] beyond a [limit](limits), [`ImportError::Format`] for an unusable
/// file, [`ImportError::Rejected`] for invalid records.
pub fn import_bytes(
    bytes: &[u8],
    format: Format,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    check_file_size(bytes.len() as u64, options.max_file_bytes())?;
    match format {
        Format::GeoJson => {
            let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
                .map_err(|e| {
                    ImportError::format(Location::File, format!("GeoJSON must be UTF-8: {e}"))
                })?;
            geojson::import_geojson_str(text, options)
        }
        Format::Csv => csv::import_csv_bytes(bytes, options),
        Format::Xlsx => xlsx::import_xlsx_bytes(bytes, options),
    }
}

/// Imports a file, choosing the format by extension (see [`Format::from_path`]); the
/// accepted points are in [`ImportReport::points`].
///
/// # Errors
/// [`ImportError`]: unreadable file, unknown extension, file beyond a [limit](limits),
/// unusable content, invalid records.
pub fn import_file(path: &Path, options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let mut points = Vec::new();
    let mut report = import_file_to(path, options, &mut |p| {
        points.push(p);
        Ok(())
    })?;
    report.points = points;
    Ok(report)
}

/// Imports a file as a stream: every format is read record by record (GeoJSON feature by
/// feature, CSV line by line, XLSX row by row from calamine's streaming cell reader) and
/// each accepted point is handed to `sink` as soon as it is checked, so memory does not grow
/// with the file (only the ids seen, for the duplicate check, and the issues). The report's
/// `points` stay empty.
///
/// All-or-nothing stays the caller's: points reach the sink before a later record may
/// reject the file, so a sink that stores them does it in one transaction, committed only
/// when this returns `Ok` (see `Store::import_points_streamed`). Once a record is invalid
/// (without `skip_invalid`), no further point is handed over.
///
/// # Errors
/// As [`import_file`]; [`ImportError::Store`] (or whatever the sink returned) when the sink
/// refused a point.
pub fn import_file_to(
    path: &Path,
    options: &ImportOptions,
    sink: &mut PointSink<'_>,
) -> Result<ImportReport, ImportError> {
    let format = Format::from_path(path).ok_or_else(|| ImportError::UnknownFormat {
        path: path.display().to_string(),
    })?;
    if let Ok(meta) = std::fs::metadata(path) {
        // A folder opens on Linux and fails only at the first read, which each format's
        // reader would word on its own (`read error: Is a directory (os error 21)`): said
        // once here, as the file error it is.
        if meta.is_dir() {
            return Err(ImportError::Io {
                path: path.display().to_string(),
                source: std::io::ErrorKind::IsADirectory.into(),
            });
        }
        check_file_size(meta.len(), options.max_file_bytes())?;
    }
    let mut options = options.clone();
    if options.source.is_none() {
        options.source = path.file_name().map(|n| n.to_string_lossy().into_owned());
    }
    match format {
        Format::GeoJson => geojson::import_geojson_file_to(path, &options, Some(sink)),
        Format::Csv => csv::import_csv_file_to(path, &options, sink),
        Format::Xlsx => xlsx::import_xlsx_file_to(path, &options, sink),
    }
}

fn check_file_size(len: u64, max: u64) -> Result<(), ImportError> {
    if len > max {
        return Err(ImportError::too_large(
            Location::File,
            format!(
                "the file is {len} bytes, more than the limit of {max} bytes ({} MiB); \
                 split it into smaller files",
                max >> 20
            ),
        ));
    }
    Ok(())
}

/// Writes points as an RFC 7946 GeoJSON FeatureCollection (WGS-84), one feature per line,
/// properties in a fixed order, so the output is byte-for-byte reproducible. The GeoJSON
/// importer reads it back unchanged (ids, entrance and outline included).
pub fn to_geojson(points: &[ServicePoint]) -> String {
    let mut w = GeoJsonWriter::new(Vec::new());
    for p in points {
        // Writing to a Vec does not fail.
        let _ = w.write(p);
    }
    let bytes = w.finish().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// [`to_geojson`] as a stream: each point is written as it comes, so a million points
/// never sit in memory as one text.
#[derive(Debug)]
pub struct GeoJsonWriter<W: std::io::Write> {
    out: W,
    written: usize,
}

impl<W: std::io::Write> GeoJsonWriter<W> {
    /// Starts the FeatureCollection on `out` (written at the first point or at
    /// [`GeoJsonWriter::finish`]).
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }

    /// Writes one feature.
    ///
    /// # Errors
    /// The writer's I/O error.
    pub fn write(&mut self, p: &ServicePoint) -> std::io::Result<()> {
        let sep: &[u8] = if self.written == 0 {
            b"{\"type\":\"FeatureCollection\",\"features\":[\n"
        } else {
            b",\n"
        };
        self.out.write_all(sep)?;
        self.out.write_all(feature_json(p).as_bytes())?;
        self.written += 1;
        Ok(())
    }

    /// Ends the FeatureCollection and returns the writer (flushed).
    ///
    /// # Errors
    /// The writer's I/O error.
    pub fn finish(mut self) -> std::io::Result<W> {
        let end: &[u8] = if self.written == 0 {
            b"{\"type\":\"FeatureCollection\",\"features\":[\n]}\n"
        } else {
            b"\n]}\n"
        };
        self.out.write_all(end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One point as a GeoJSON Feature on one line (see [`to_geojson`]).
fn feature_json(p: &ServicePoint) -> String {
    use serde_json::{json, Map, Value};
    let mut props = Map::new();
    props.insert("kind".into(), json!(p.kind.as_str()));
    props.insert("name".into(), json!(p.name));
    let opt = |props: &mut Map<String, Value>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            props.insert(k.into(), json!(v));
        }
    };
    opt(&mut props, "address", &p.address);
    opt(&mut props, "adcode", &p.adcode);
    if let Some(h) = &p.opening_hours {
        props.insert("opening_hours".into(), json!(h.as_str()));
    }
    props.insert(
        "amenities".into(),
        json!(p.amenities.iter().map(|a| a.as_str()).collect::<Vec<_>>()),
    );
    if let Some(a) = p.access {
        props.insert("access".into(), json!(a.as_str()));
    }
    opt(&mut props, "operator", &p.operator);
    opt(&mut props, "phone", &p.phone);
    opt(&mut props, "source", &p.source);
    if let Some(t) = p.updated_at {
        props.insert(
            "updated_at".into(),
            json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
    }
    props.insert("demo".into(), json!(p.demo));
    if let Some(e) = p.entrance {
        props.insert("entrance".into(), json!([e.lon, e.lat]));
    }
    if let Some(o) = &p.outline {
        props.insert("outline".into(), json!(o));
    }
    let feature = json!({
        "type": "Feature",
        "id": p.id,
        "geometry": {"type": "Point", "coordinates": [p.location.lon, p.location.lat]},
        "properties": Value::Object(props),
    });
    feature.to_string()
}
