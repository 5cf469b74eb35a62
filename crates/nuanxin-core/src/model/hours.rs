//! Opening hours in OpenStreetMap `opening_hours` syntax
//! (<https://wiki.openstreetmap.org/wiki/Key:opening_hours/specification>),
//! parsed and evaluated by the `opening-hours` crate.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Why an opening-hours expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid opening_hours `{expression}`: {reason}")]
pub struct OpeningHoursError {
    /// The expression as given.
    pub expression: String,
    /// The parser's message.
    pub reason: String,
}

/// A parsed `opening_hours` expression such as `"24/7"` or `"Mo-Fr 08:00-20:00"`.
/// Keeps the original text, which is what is serialised.
///
/// The parsed form is shared (`Arc`) between equal expressions parsed on the same thread
/// (a cache of the last [`PARSE_CACHE_SIZE`] distinct ones): a million points with a
/// handful of distinct hours parse each expression once, which makes loading them from the
/// database faster and the records smaller (restart figures: docs/benchmarks.md, "Nationwide volumes",
/// measured by `scripts/bench-scale.sh`).
#[derive(Clone)]
pub struct OpeningHours {
    raw: String,
    parsed: std::sync::Arc<opening_hours::OpeningHours>,
}

/// Distinct expressions kept parsed per thread by [`OpeningHours::parse`].
pub const PARSE_CACHE_SIZE: usize = 4096;

thread_local! {
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, std::sync::Arc<opening_hours::OpeningHours>>> =
        Default::default();
}

/// Answers of [`OpeningHours::is_open_at`] for one minute: the minute and, per parsed
/// expression (held, so that its address is not reused while it is a key), whether it is open.
#[derive(Default)]
struct OpenAt {
    minute: Option<NaiveDateTime>,
    answers: Vec<(std::sync::Arc<opening_hours::OpeningHours>, bool)>,
}

/// Distinct expressions whose answer [`OpeningHours::is_open_at`] keeps per thread.
const OPEN_AT_CACHE_SIZE: usize = 64;

thread_local! {
    static OPEN_AT: std::cell::RefCell<OpenAt> = Default::default();
}

impl OpeningHours {
    /// Parses an expression.
    ///
    /// # Errors
    /// [`OpeningHoursError`] with the parser's reason.
    pub fn parse(raw: &str) -> Result<Self, OpeningHoursError> {
        if let Some(parsed) = PARSED.with(|c| c.borrow().get(raw).cloned()) {
            return Ok(Self {
                raw: raw.to_string(),
                parsed,
            });
        }
        let parsed =
            std::sync::Arc::new(raw.parse::<opening_hours::OpeningHours>().map_err(|e| {
                OpeningHoursError {
                    expression: raw.to_string(),
                    reason: e.to_string(),
                }
            })?);
        PARSED.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= PARSE_CACHE_SIZE {
                c.clear();
            }
            c.insert(raw.to_string(), parsed.clone());
        });
        Ok(Self {
            raw: raw.to_string(),
            parsed,
        })
    }

    /// The expression as it was given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the place is open at `local` (the wall-clock time where the place is; for
    /// China that is UTC+8, see [`china_local_now`]).
    ///
    /// The expression has minute resolution (its times are `hh:mm`), so the answer is that
    /// of `local`'s minute; it is kept per thread for the current minute and the parsed
    /// expression (points with the same hours share one, see [`OpeningHours::parse`]), so a
    /// nearest answer does not evaluate the schedule once per point and request (about half
    /// a microsecond each: `perf` of `scripts/bench-load.sh`, 2026-12-07).
    pub fn is_open_at(&self, local: NaiveDateTime) -> bool {
        use chrono::Timelike;
        let Some(minute) = local.with_second(0).and_then(|t| t.with_nanosecond(0)) else {
            return self.parsed.is_open(local);
        };
        OPEN_AT.with(|c| {
            let mut c = c.borrow_mut();
            if c.minute != Some(minute) || c.answers.len() >= OPEN_AT_CACHE_SIZE {
                c.minute = Some(minute);
                c.answers.clear();
            }
            if let Some((_, open)) = c
                .answers
                .iter()
                .find(|(p, _)| std::sync::Arc::ptr_eq(p, &self.parsed))
            {
                return *open;
            }
            let open = self.parsed.is_open(minute);
            c.answers.push((self.parsed.clone(), open));
            open
        })
    }

    /// Whether the expression means "always open".
    pub fn is_24_7(&self) -> bool {
        self.raw.trim() == "24/7"
    }
}

impl std::fmt::Debug for OpeningHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpeningHours({:?})", self.raw)
    }
}

impl PartialEq for OpeningHours {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Serialize for OpeningHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        OpeningHours::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn evaluates_weekday_hours() {
        let oh = OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap();
        // 2026-11-30 is a Monday, 2026-11-29 a Sunday (checked against a calendar).
        assert!(oh.is_open_at(at(2026, 11, 30, 8, 0)));
        assert!(!oh.is_open_at(at(2026, 11, 30, 20, 0)));
        assert!(!oh.is_open_at(at(2026, 11, 29, 12, 0)));
        let always = OpeningHours::parse("24/7").unwrap();
        assert!(always.is_24_7() && always.is_open_at(at(2026, 11, 29, 3, 0)));
    }

    #[test]
    fn kept_answers_follow_the_second_and_the_expression() {
        // Monday 2026-11-30: open 08:00-20:00 and 12:00-12:30 (by hand from the expressions).
        let day = OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap();
        let noon = OpeningHours::parse("Mo-Fr 12:00-12:30").unwrap();
        let t = |h, m, s| {
            NaiveDate::from_ymd_opt(2026, 11, 30)
                .unwrap()
                .and_hms_opt(h, m, s)
                .unwrap()
        };
        for _ in 0..2 {
            // Same minute, two expressions, asked in turn: each keeps its own answer.
            assert!(day.is_open_at(t(19, 59, 59)));
            assert!(!noon.is_open_at(t(19, 59, 59)));
            assert!(!day.is_open_at(t(20, 0, 0)));
            assert!(!day.is_open_at(t(20, 0, 59)));
            assert!(noon.is_open_at(t(12, 29, 59)) && day.is_open_at(t(12, 29, 59)));
            assert!(!noon.is_open_at(t(12, 30, 0)));
            assert!(!day.is_open_at(t(7, 59, 59)));
        }
        // More distinct expressions than are kept in one minute: answers stay right.
        let many: Vec<OpeningHours> = (0..OPEN_AT_CACHE_SIZE + 5)
            .map(|i| OpeningHours::parse(&format!("Mo {:02}:00-{:02}:30", i % 24, i % 24)).unwrap())
            .collect();
        for (i, oh) in many.iter().enumerate() {
            let h = (i % 24) as u32;
            assert!(oh.is_open_at(t(h, 15, 30)), "{i}");
            assert!(!oh.is_open_at(t(h, 30, 0)), "{i}");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(OpeningHours::parse("whenever we feel like it").is_err());
    }
}
