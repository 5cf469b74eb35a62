//! Times as people write them. China has one time zone, China Standard Time (UTC+8, no
//! daylight saving since 1991); a time without an offset is read in it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

/// China Standard Time (Beijing time), UTC+8, no daylight saving since 1991. Evaluated at
/// compile time: an offset outside ±24 h would fail the build, not the program.
const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => unreachable!(),
};

/// China Standard Time, UTC+8: the time zone of local times, deadlines, KPI months and
/// exported times.
pub fn china_offset() -> FixedOffset {
    CHINA_OFFSET
}

/// A local (UTC+8) wall-clock time `YYYY-MM-DDTHH:MM[:SS]` (a space may replace the `T`),
/// surrounding whitespace ignored; `None` otherwise.
pub fn parse_local_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// An instant: RFC 3339 (`2026-01-31T08:00:00+08:00`), or a local time
/// ([`parse_local_time`]) or a date `YYYY-MM-DD` / `YYYY/MM/DD` (midnight) read in China
/// Standard Time; surrounding whitespace ignored; `None` otherwise.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = parse_local_time(s).or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    naive
        .and_local_timezone(china_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The current wall-clock time in China Standard Time (UTC+8), the time zone every service
/// point in the product's area uses.
pub fn china_local_now() -> NaiveDateTime {
    Utc::now().with_timezone(&china_offset()).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_in_the_accepted_forms() {
        let want = NaiveDate::from_ymd_opt(2026, 1, 31)
            .and_then(|d| d.and_hms_opt(8, 30, 0))
            .unwrap();
        for s in [
            "2026-01-31T08:30",
            "2026-01-31T08:30:00",
            " 2026-01-31 08:30 ",
            "2026-01-31 08:30:00",
        ] {
            assert_eq!(parse_local_time(s), Some(want), "{s}");
        }
        assert_eq!(parse_local_time("2026-01-31"), None);
        assert_eq!(parse_local_time("08:30"), None);
    }

    #[test]
    fn instants_without_offset_are_china_time() {
        // Midnight in Beijing is 16:00 UTC the day before (hand conversion: 00:00 - 8 h).
        let want = "2026-01-30T16:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(parse_instant("2026-01-31"), Some(want));
        assert_eq!(parse_instant("2026/01/31"), Some(want));
        assert_eq!(parse_instant("2026-01-31T00:00"), Some(want));
        assert_eq!(parse_instant("2026-01-31T00:00:00+08:00"), Some(want));
        assert_eq!(parse_instant("2026-01-30T16:00:00Z"), Some(want));
        assert_eq!(parse_instant("yesterday"), None);
    }
}
