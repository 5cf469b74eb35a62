//! Coverage by hour: which stations count at a given time, and where coverage drops at night.
//!
//! Stations carry opening hours ([`crate::model::OpeningHours`], evaluated on the wall clock of
//! China Standard Time, UTC+8). An analysis at a time (`--at`, API `"at"`) counts only the
//! stations open then ([`crate::index::Filter::open_at`]). [`coverage_drop`] compares two
//! analyses of the same area, e.g. at 12:00 and at 02:00, district by district: the districts
//! where night coverage drops most are where the next 24-hour station should go.

use super::analysis::CoverageReport;
use crate::model::china_offset;
use chrono::{DateTime, NaiveDateTime};
use serde::Serialize;

/// Parses a time to analyse at: RFC 3339 with an offset (`2026-12-01T02:00+08:00`,
/// `2026-11-30T18:00Z`; seconds optional), converted to Beijing wall-clock time, or a time
/// without an offset (`2026-12-01T02:00`, `2026-12-01 02:00`), taken as Beijing time.
///
/// ```
/// use nuanxin_core::coverage::hours::parse_at;
/// let t = parse_at("2026-11-30T18:00Z").unwrap();
/// assert_eq!(t.to_string(), "2026-12-01 02:00:00");
/// assert_eq!(parse_at("2026-12-01T02:00+08:00").unwrap(), t);
/// assert!(parse_at("02:00").is_err());
/// ```
///
/// # Errors
/// A message in Chinese and English with an example, for anything else.
pub fn parse_at(s: &str) -> Result<NaiveDateTime, String> {
    let t = s.trim();
    // RFC 3339 requires seconds; accept "HH:MM" with an offset too.
    let with_offset = [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
    ];
    let t_z = t
        .strip_suffix('Z')
        .or_else(|| t.strip_suffix('z'))
        .map(|x| format!("{x}+00:00"));
    let cand = t_z.as_deref().unwrap_or(t);
    for f in with_offset {
        if let Ok(dt) = DateTime::parse_from_str(cand, f) {
            return Ok(dt.with_timezone(&china_offset()).naive_local());
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(dt);
        }
    }
    Err(format!(
        "时间 `{s}` 无法识别，应为如 2026-12-01T02:00+08:00（北京时间）; `{s}` is not a time like 2026-12-01T02:00+08:00 (no offset: Beijing time)"
    ))
}

/// One district's coverage at two times.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HourDrop {
    /// Adcode (absent for cells outside every district).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adcode: Option<String>,
    /// District name.
    pub name: String,
    /// Covered share at the first time (day), percent: of demand when both reports have a
    /// demand share for the district, else of area.
    pub day_percent: f64,
    /// Covered share at the second time (night), percent (same measure).
    pub night_percent: f64,
    /// `day_percent − night_percent`, percentage points.
    pub drop_points: f64,
    /// `demand` or `area`.
    pub measure: &'static str,
}

/// Per-district drop of coverage from `day` to `night` (two reports of the same area with the
/// same parameters except the time), largest drop first (ties by adcode).
pub fn coverage_drop(day: &CoverageReport, night: &CoverageReport) -> Vec<HourDrop> {
    let mut out: Vec<HourDrop> = day
        .districts
        .iter()
        .filter_map(|d| {
            let n = night
                .districts
                .iter()
                .find(|n| n.adcode == d.adcode && n.name == d.name)?;
            let (day_percent, night_percent, measure) =
                match (d.demand_covered_percent, n.demand_covered_percent) {
                    (Some(a), Some(b)) => (a, b, "demand"),
                    _ => (d.covered_percent, n.covered_percent, "area"),
                };
            Some(HourDrop {
                adcode: d.adcode.clone(),
                name: d.name.clone(),
                day_percent,
                night_percent,
                drop_points: day_percent - night_percent,
                measure,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.drop_points
            .total_cmp(&a.drop_points)
            .then_with(|| a.adcode.cmp(&b.adcode))
    });
    out
}
