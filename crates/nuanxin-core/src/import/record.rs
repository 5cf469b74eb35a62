//! Turning one raw record (a CSV line, a spreadsheet row, a GeoJSON feature) into a checked
//! [`ServicePoint`], collecting every problem with its location and field.
//!
//! Why this file is long: one record's validation, field by field, with a message for each
//! failure; the unit tests are the last ~75 lines.

use super::fields::{parse_access, parse_amenity, parse_kind, split_list, Field};
use super::{ImportError, ImportOptions, ImportReport, Issue, Location, Severity};
use crate::crs::{in_mainland_china, Crs};
use crate::districts::Districts;
use crate::model::{AmenitySet, LonLat, OpeningHours, ServicePoint};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// One record before checking: values by canonical field, as text (CSV), numbers or text
/// (XLSX), or any JSON value (GeoJSON properties).
#[derive(Debug, Clone)]
pub(crate) struct RawRecord {
    pub loc: Location,
    pub values: BTreeMap<Field, Value>,
    /// GeoJSON Polygon coordinates of a community outline (GeoJSON only).
    pub outline: Option<Value>,
}

impl RawRecord {
    pub(crate) fn new(loc: Location) -> Self {
        Self {
            loc,
            values: BTreeMap::new(),
            outline: None,
        }
    }

    /// Whether every value is missing (an empty spreadsheet row).
    pub(crate) fn is_blank(&self) -> bool {
        self.values.values().all(is_missing) && self.outline.is_none()
    }
}

fn is_missing(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Text of a scalar value, surrounding whitespace trimmed; `None` when missing.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Reads a coordinate value as degrees, rejecting what a spreadsheet user typically gets
/// wrong: a comma as the decimal separator, `NaN`, text.
fn degrees(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("`{n}` is not a number")),
        Value::String(s) => {
            let t = s.trim();
            let full_width =
                |c: char| ('０'..='９').contains(&c) || matches!(c, '．' | '－' | '＋');
            if t.chars().any(full_width) {
                let half: String = t
                    .chars()
                    .map(|c| match c {
                        '０'..='９' | '．' | '－' | '＋' => {
                            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                        }
                        _ => c,
                    })
                    .collect();
                return Err(format!(
                    "`{t}` uses full-width (全角) characters; type `{half}`"
                ));
            }
            if t.contains(['°', '度', '′', '\'', '″', '"']) {
                return Err(format!(
                    "`{t}` is in degrees, minutes and seconds; give decimal degrees \
                     (112°58′48″ = 112 + 58/60 + 48/3600 = 112.98)"
                ));
            }
            if t.contains(',') && !t.contains('.') && t.replace(',', ".").parse::<f64>().is_ok() {
                return Err(format!(
                    "`{t}` uses a comma as the decimal separator; write `{}`",
                    t.replace(',', ".")
                ));
            }
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(_) => Err(format!("`{t}` is not a finite number")),
                Err(_) => Err(format!("`{t}` is not a number")),
            }
        }
        Value::Null => Err("missing".into()),
        other => Err(format!("expected a number, got `{other}`")),
    }
}

/// Number of decimal places a coordinate was given with (`112.98` → 2), from its text or,
/// for a number, its shortest decimal representation.
fn decimals(v: &Value) -> Option<usize> {
    let t = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    if t.contains(['e', 'E']) {
        return None;
    }
    Some(t.split_once('.').map_or(0, |(_, f)| f.len()))
}

/// Fewer decimal places than this gets a warning: 3 decimals of a degree are about 110 m.
const MIN_DECIMALS: usize = 4;

/// State across the records of one import.
pub(crate) struct Builder<'a> {
    opts: &'a ImportOptions,
    districts: &'static Districts,
    seen_ids: HashMap<String, Location>,
    report: ImportReport,
    warned_outside_china: bool,
    /// Where accepted points go; `None`: into `report.points`.
    sink: Option<&'a mut super::PointSink<'a>>,
    /// The first error of the sink: the import stops at the next record.
    sink_error: Option<ImportError>,
    /// Whether an issue of severity error was recorded.
    saw_error: bool,
}

type Issues = Vec<Issue>;

impl<'a> Builder<'a> {
    pub(crate) fn new(opts: &'a ImportOptions, format: super::Format) -> Self {
        Self {
            opts,
            districts: Districts::embedded(),
            seen_ids: HashMap::new(),
            report: ImportReport {
                format: Some(format),
                crs: opts.crs,
                ..ImportReport::default()
            },
            warned_outside_china: false,
            sink: None,
            sink_error: None,
            saw_error: false,
        }
    }

    /// Hands each accepted point to `sink` instead of keeping it in the report.
    pub(crate) fn with_sink<'s: 'a, 'd: 's>(
        mut self,
        sink: Option<&'s mut super::PointSink<'d>>,
    ) -> Self {
        self.sink = sink.map(|s| s as &'a mut super::PointSink<'a>);
        self
    }

    /// Records an issue that is not tied to a record (a header warning, a skipped feature).
    pub(crate) fn issue(&mut self, issue: Issue) {
        self.saw_error |= issue.severity == Severity::Error;
        self.report.issues.push(issue);
    }

    /// Counts a record that was skipped before reaching [`Builder::push`].
    pub(crate) fn count_record(&mut self) {
        self.report.records += 1;
    }

    /// Refuses the file when one more record would pass [`MAX_RECORDS`](super::limits::MAX_RECORDS).
    ///
    /// # Errors
    /// [`ImportError::TooLarge`] at `loc`.
    pub(crate) fn check_record_limit(&mut self, loc: Location) -> Result<(), ImportError> {
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        let max = self.opts.max_records();
        if self.report.records >= max {
            return Err(ImportError::too_large(
                loc,
                format!("more than {max} records, the limit for one file; split the file"),
            ));
        }
        Ok(())
    }

    /// Whether no record has been read yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.report.records == 0
    }

    /// Checks one record; the point is kept if it has no errors.
    pub(crate) fn push(&mut self, rec: RawRecord) {
        self.report.records += 1;
        let mut issues = Vec::new();
        let point = self.build(&rec, &mut issues);
        let has_error = issues.iter().any(|i| i.severity == Severity::Error);
        self.saw_error |= has_error;
        self.report.issues.extend(issues);
        let (Some(p), false) = (point, has_error) else {
            return;
        };
        self.report.accepted += 1;
        *self.report.accepted_by_kind.entry(p.kind).or_default() += 1;
        // An import that is going to be rejected stores nothing more.
        let stopped = self.sink_error.is_some() || self.rejecting();
        match &mut self.sink {
            None => self.report.points.push(p),
            Some(_) if stopped => {}
            Some(sink) => {
                if let Err(e) = sink(p) {
                    self.sink_error = Some(e);
                }
            }
        }
    }

    /// Whether the import already has an error that rejects it (all-or-nothing).
    fn rejecting(&self) -> bool {
        !self.opts.skip_invalid && self.saw_error
    }

    /// Ends the import: all-or-nothing unless `skip_invalid`.
    pub(crate) fn finish(mut self) -> Result<ImportReport, ImportError> {
        if let Some(e) = self.sink_error.take() {
            return Err(e);
        }
        if self.report.records == 0 {
            self.report.issues.push(Issue::warning(
                Location::File,
                None,
                "the file holds no records".into(),
            ));
        }
        let errors = self.report.errors().count();
        if errors > 0 && !self.opts.skip_invalid {
            let mut bad: Vec<Location> = self.report.errors().map(|i| i.location).collect();
            bad.dedup();
            return Err(ImportError::Rejected {
                errors,
                invalid_records: bad.len(),
                records: self.report.records,
                issues: self.report.issues,
            });
        }
        Ok(self.report)
    }

    fn build(&mut self, rec: &RawRecord, issues: &mut Issues) -> Option<ServicePoint> {
        let loc = rec.loc;
        let err = |issues: &mut Issues, field: &str, reason: String| {
            issues.push(Issue::error(loc, Some(field), reason));
        };
        let get = |f: Field| rec.values.get(&f);

        let name = text(get(Field::Name));
        if name.is_none() {
            err(issues, "name", "missing".into());
        }
        let kind = match text(get(Field::Kind)) {
            Some(k) => match parse_kind(&k) {
                Ok(k) => Some(k),
                Err(e) => {
                    err(issues, "kind", e.to_string());
                    None
                }
            },
            None => match self.opts.default_kind {
                Some(k) => Some(k),
                None => {
                    err(
                        issues,
                        "kind",
                        "missing; add a 类型/kind column or give a default kind (--kind)".into(),
                    );
                    None
                }
            },
        };
        let location = self.position(rec, Field::Lon, Field::Lat, issues, true);

        let opening_hours = text(get(Field::OpeningHours)).and_then(|h| {
            OpeningHours::parse(&h)
                .map_err(|_| {
                    // The parser's own message lists grammar tokens; say the format instead.
                    err(
                        issues,
                        "opening_hours",
                        format!(
                            "`{h}` cannot be read as opening hours. Write the days, a space, \
                             then the hours (24-hour clock): `Mo-Fr 08:00-20:00`; several rules \
                             separated by `;`: `Mo-Fr 08:00-20:00; Sa 09:00-12:00`; always open: \
                             `24/7`. Days are Mo Tu We Th Fr Sa Su. 开放时间写法：星期 + 空格 + \
                             时间，如 `Mo-Fr 08:00-20:00`；全天开放写 `24/7`"
                        ),
                    )
                })
                .ok()
        });
        let mut amenities = AmenitySet::EMPTY;
        let items: Vec<String> = match get(Field::Amenities) {
            Some(Value::Array(a)) => a.iter().filter_map(|v| text(Some(v))).collect(),
            v => text(v)
                .map(|s| split_list(&s).map(str::to_string).collect())
                .unwrap_or_default(),
        };
        for item in items {
            match parse_amenity(&item) {
                Ok(a) => amenities.insert(a),
                Err(e) => err(issues, "amenities", e.to_string()),
            }
        }
        let access = text(get(Field::Access)).and_then(|a| {
            parse_access(&a)
                .map_err(|e| err(issues, "access", e.to_string()))
                .ok()
        });
        let updated_at = text(get(Field::UpdatedAt)).and_then(|s| {
            parse_time(&s)
                .map_err(|()| {
                    err(
                        issues,
                        "updated_at",
                        format!(
                            "`{s}` is not a date-time (RFC 3339, e.g. 2026-11-29T08:00:00+08:00)"
                        ),
                    )
                })
                .ok()
        });
        let demo = match text(get(Field::Demo)) {
            None => false,
            Some(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "是" => true,
                "false" | "0" | "no" | "否" => false,
                _ => {
                    err(issues, "demo", format!("`{s}` is not true/false (是/否)"));
                    false
                }
            },
        };
        let entrance = if get(Field::EntranceLon).is_some_and(|v| !is_missing(v))
            || get(Field::EntranceLat).is_some_and(|v| !is_missing(v))
        {
            self.position(rec, Field::EntranceLon, Field::EntranceLat, issues, false)
        } else {
            None
        };
        let outline =
            rec.outline
                .as_ref()
                .filter(|v| !v.is_null())
                .and_then(|v| match self.outline(v) {
                    Ok(o) => Some(o),
                    Err(reason) => {
                        err(issues, "outline", reason);
                        None
                    }
                });

        let mut adcode = text(get(Field::Adcode));
        if let Some(a) = &adcode {
            if a.len() != 6 || !a.bytes().all(|b| b.is_ascii_digit()) {
                err(
                    issues,
                    "adcode",
                    format!("`{a}` is not a 6-digit GB/T 2260 code"),
                );
            }
        }

        // Ids are registered even for records with other errors, so a duplicate is reported
        // on the first run rather than after the other errors are fixed.
        let explicit_id = match get(Field::Id) {
            Some(Value::Number(n)) => Some(n.to_string()),
            v => text(v),
        };
        if let Some(id) = &explicit_id {
            self.register_id(id, loc, issues);
        }

        let (name, kind, location) = (name?, kind?, location?);

        // District: assign when missing, warn when the given one disagrees, check the area.
        let county = self.districts.county_at(location);
        match (&adcode, county) {
            (None, Some(c)) => adcode = Some(c.adcode.clone()),
            (Some(a), Some(c)) if *a != c.adcode && a.len() == 6 => issues.push(Issue::warning(
                loc,
                Some("adcode"),
                format!(
                    "adcode {a} given, but the position lies in {} {} (kept as given)",
                    c.adcode, c.name
                ),
            )),
            _ => {}
        }
        if !self.opts.service_area.is_empty() {
            let inside = county.is_some_and(|c| {
                self.opts
                    .service_area
                    .iter()
                    .any(|a| *a == c.adcode || c.parent_adcode.as_deref() == Some(a.as_str()))
            });
            if !inside {
                let where_ = county.map_or("no known district".to_string(), |c| {
                    format!("{} {}", c.adcode, c.name)
                });
                issues.push(Issue::warning(
                    loc,
                    Some("lon/lat"),
                    format!(
                        "outside the service area ({}): the position lies in {where_}",
                        self.area_label()
                    ),
                ));
            }
        }

        let id = match explicit_id {
            Some(id) => id,
            None => {
                let id = generated_id(kind.as_str(), &name, location);
                self.register_id(&id, loc, issues);
                id
            }
        };

        let mut p = ServicePoint::new(id, kind, name, location);
        p.address = text(get(Field::Address));
        p.adcode = adcode;
        p.opening_hours = opening_hours;
        p.amenities = amenities;
        p.access = access;
        p.operator = text(get(Field::Operator));
        p.phone = text(get(Field::Phone));
        p.source = text(get(Field::Source)).or_else(|| self.opts.source.clone());
        p.updated_at = updated_at;
        p.demo = demo;
        p.entrance = entrance;
        p.outline = outline;
        if let Err(e) = p.validate() {
            err(issues, e.field(), e.to_string());
            return None;
        }
        Some(p)
    }

    /// Records `id` as seen at `loc`, or reports it as a duplicate of an earlier record.
    fn register_id(&mut self, id: &str, loc: Location, issues: &mut Issues) {
        match self.seen_ids.get(id) {
            Some(first) => issues.push(Issue::error(
                loc,
                Some("id"),
                format!("duplicate id `{id}` (first at {first})"),
            )),
            None => {
                self.seen_ids.insert(id.to_string(), loc);
            }
        }
    }

    fn area_label(&self) -> String {
        self.opts
            .service_area
            .iter()
            .map(|a| match self.districts.get(a) {
                Some(d) => format!("{a} {}", d.name),
                None => a.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Reads, checks and converts one position to WGS-84.
    fn position(
        &mut self,
        rec: &RawRecord,
        lon_f: Field,
        lat_f: Field,
        issues: &mut Issues,
        main: bool,
    ) -> Option<LonLat> {
        let loc = rec.loc;
        let read =
            |f: Field, issues: &mut Issues| match rec.values.get(&f).filter(|v| !is_missing(v)) {
                None => {
                    issues.push(Issue::error(loc, Some(f.name()), "missing".into()));
                    None
                }
                Some(v) => match degrees(v) {
                    Ok(x) => Some(x),
                    Err(reason) => {
                        issues.push(Issue::error(loc, Some(f.name()), reason));
                        None
                    }
                },
            };
        let (lon, lat) = (read(lon_f, issues), read(lat_f, issues));
        let (lon, lat) = (lon?, lat?);
        let swapped = |issues: &mut Issues, why: &str| {
            issues.push(Issue::error(
                loc,
                Some(lat_f.name()),
                format!(
                    "{} = {lon}, {} = {lat}: longitude and latitude look swapped ({why}); \
                     put the longitude (东经, about 108–114 in Hunan) in `{}`",
                    lon_f.name(),
                    lat_f.name(),
                    lon_f.name()
                ),
            ));
        };
        if !(-90.0..=90.0).contains(&lat) && (-90.0..=90.0).contains(&lon) && lat.abs() <= 180.0 {
            swapped(issues, "the latitude is beyond ±90°");
            return None;
        }
        let p = match LonLat::new(lon, lat) {
            Ok(p) => p,
            Err(e) => {
                let field = match e {
                    crate::model::CoordError::LonOutOfRange(_) => lon_f.name(),
                    crate::model::CoordError::NotFinite { field: "lon" } => lon_f.name(),
                    _ => lat_f.name(),
                };
                issues.push(Issue::error(loc, Some(field), e.to_string()));
                return None;
            }
        };
        if main {
            let places = [lon_f, lat_f]
                .iter()
                .filter_map(|f| rec.values.get(f).and_then(decimals))
                .min();
            if let Some(n) = places.filter(|n| *n < MIN_DECIMALS) {
                // 1° of latitude ≈ 111 km.
                let metres = 111_000.0 / 10f64.powi(n as i32);
                issues.push(Issue::warning(
                    loc,
                    Some("lon/lat"),
                    format!(
                        "only {n} decimal place(s): the position is uncertain by about \
                         {metres:.0} m; copy the full coordinate (6 decimals ≈ 0.1 m)"
                    ),
                ));
            }
        }
        let inside = in_mainland_china(p);
        if !inside && LonLat::new(lat, lon).is_ok_and(in_mainland_china) {
            swapped(
                issues,
                "as given the point is outside China, swapped it is inside",
            );
            return None;
        }
        if main && !inside && self.opts.crs != Crs::Wgs84 && !self.warned_outside_china {
            self.warned_outside_china = true;
            issues.push(Issue::warning(
                loc,
                Some("lon/lat"),
                format!(
                    "position outside mainland China: {} equals WGS-84 there, so it is not \
                     shifted (reported once per file)",
                    self.opts.crs.as_str()
                ),
            ));
        }
        Some(self.opts.crs.to_wgs84(p))
    }

    /// Checks and converts GeoJSON Polygon coordinates.
    fn outline(&self, v: &Value) -> Result<Vec<Vec<[f64; 2]>>, String> {
        let rings = v
            .as_array()
            .ok_or("expected GeoJSON Polygon coordinates (an array of rings)")?;
        let mut out = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let ring = ring
                .as_array()
                .ok_or_else(|| format!("ring {r} is not an array"))?;
            if ring.len() < 4 {
                return Err(format!(
                    "ring {r} has {} positions; a closed ring needs at least 4",
                    ring.len()
                ));
            }
            let mut conv = Vec::with_capacity(ring.len());
            for (i, pos) in ring.iter().enumerate() {
                let xy = pos
                    .as_array()
                    .filter(|a| a.len() >= 2)
                    .ok_or_else(|| format!("ring {r} position {i} is not [lon, lat]"))?;
                let (lon, lat) = (degrees(&xy[0]), degrees(&xy[1]));
                let p = match (lon, lat) {
                    (Ok(lon), Ok(lat)) => {
                        LonLat::new(lon, lat).map_err(|e| format!("ring {r} position {i}: {e}"))?
                    }
                    (Err(e), _) | (_, Err(e)) => return Err(format!("ring {r} position {i}: {e}")),
                };
                let w = self.opts.crs.to_wgs84(p);
                conv.push([w.lon, w.lat]);
            }
            if conv.first() != conv.last() {
                return Err(format!("ring {r} is not closed (first position ≠ last)"));
            }
            out.push(conv);
        }
        Ok(out)
    }
}

/// An id for a record that has none: `sp-` and the first 12 hex digits of SHA-256 over kind,
/// name and WGS-84 position (6 decimals), so re-importing the same row gives the same id.
fn generated_id(kind: &str, name: &str, p: LonLat) -> String {
    let digest = Sha256::digest(format!("{kind}|{name}|{:.6}|{:.6}", p.lon, p.lat));
    format!("sp-{}", &hex::encode(digest)[..12])
}

/// RFC 3339, or a naive date-time / date taken as China Standard Time (UTC+8)
/// ([`crate::model::parse_instant`]).
fn parse_time(s: &str) -> Result<DateTime<Utc>, ()> {
    crate::model::parse_instant(s).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_rejects_comma_nan_and_text() {
        assert_eq!(degrees(&Value::from("112.98")), Ok(112.98));
        let e = degrees(&Value::from("112,98")).unwrap_err();
        assert!(e.contains("comma") && e.contains("112.98"), "{e}");
        assert!(degrees(&Value::from("NaN")).unwrap_err().contains("finite"));
        assert!(degrees(&Value::from("东经112")).is_err());
        assert_eq!(degrees(&serde_json::json!(28.2)), Ok(28.2));
        let e = degrees(&Value::from("１１２．９８")).unwrap_err();
        assert!(e.contains("全角") && e.contains("`112.98`"), "{e}");
        assert!(degrees(&Value::from("112°58′48″"))
            .unwrap_err()
            .contains("decimal degrees"));
        assert_eq!(decimals(&Value::from("112.980")), Some(3));
        assert_eq!(decimals(&serde_json::json!(112.98)), Some(2));
        assert_eq!(decimals(&serde_json::json!(113)), Some(0));
    }

    #[test]
    fn times_parse_as_china_time() {
        // 2026-11-29 08:00 at UTC+8 is 00:00 UTC (hand calculation).
        let t = parse_time("2026-11-29 08:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-29T00:00:00+00:00");
        assert_eq!(
            parse_time("2026-11-29T08:00:00+08:00").unwrap(),
            parse_time("2026-11-29").unwrap() + chrono::Duration::hours(8)
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn a_bad_opening_hours_value_is_explained_with_an_example() {
        // Regression (issue 15): the message was the parser's token list
        // (`expected wide_range_selectors, ...`).
        let opts = ImportOptions::default();
        let text = "名称,类型,经度,纬度,开放时间\n站,驿站,112.98,28.19,Mo-Fr 8-20\n";
        let Err(ImportError::Rejected { issues, .. }) =
            super::super::csv::import_csv_str(text, &opts)
        else {
            panic!("not rejected")
        };
        let r = &issues
            .iter()
            .find(|i| i.field.as_deref() == Some("opening_hours"))
            .unwrap()
            .reason;
        assert!(
            r.contains("`Mo-Fr 8-20` cannot be read as opening hours"),
            "{r}"
        );
        assert!(
            r.contains("`Mo-Fr 08:00-20:00`") && r.contains("`24/7`"),
            "{r}"
        );
        assert!(!r.contains("expected") && !r.contains('\n'), "{r}");
    }

    #[test]
    fn generated_ids_are_stable() {
        let p = LonLat::new(112.98, 28.19).unwrap();
        assert_eq!(
            generated_id("station", "a", p),
            generated_id("station", "a", p)
        );
        assert_ne!(
            generated_id("station", "a", p),
            generated_id("station", "b", p)
        );
        assert_eq!(generated_id("station", "a", p).len(), 15);
    }
}
