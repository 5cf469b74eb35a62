//! Handling deadlines per category, in working days (`[deadlines]` of the configuration).
//!
//! # How working days are counted
//! In Beijing time (UTC+8, no daylight saving), Monday to Friday are working days; Saturday
//! and Sunday are not. **Public holidays and the make-up working weekends (调休) are not
//! known to the program**: a deadline that spans 国庆节 or 春节 comes out earlier than the
//! official calendar would make it (stricter, never later).
//!
//! The day of submission does not count (the count starts the next day, as "3个工作日内"
//! is usually read); the deadline is the end (24:00 Beijing time) of the N-th working day
//! after the day of submission. Example: submitted on Friday 2026-11-06 at 15:00 Beijing
//! time with 3 working days → Monday 9, Tuesday 10, Wednesday 11 → due by 2026-11-12 00:00
//! Beijing time (2026-11-11T16:00:00Z). With 0 working days the deadline is the end of the
//! day of submission.

use super::{Category, Suggestion};
use crate::model::china_offset;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether `d` is a working day (Monday–Friday; holidays are not known, see the module docs).
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The end (24:00 Beijing time, as UTC) of the `working_days`-th working day after the
/// Beijing-time day of `start` (see the module docs for the counting rule).
pub fn add_working_days(start: DateTime<Utc>, working_days: u32) -> DateTime<Utc> {
    let mut d = start.with_timezone(&china_offset()).date_naive();
    let mut n = 0;
    while n < working_days {
        d = d.succ_opt().unwrap_or(d);
        if is_working_day(d) {
            n += 1;
        }
    }
    let end = d.succ_opt().unwrap_or(d).and_time(chrono::NaiveTime::MIN);
    china_offset()
        .from_local_datetime(&end)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(start + Duration::days(i64::from(working_days) + 1))
}

/// Deadlines of one category; a field left out takes the policy's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryDeadlines {
    /// Working days to the first answer (any officer reply or status change).
    pub first_answer_working_days: Option<u32>,
    /// Working days to resolution (resolved or declined).
    pub resolution_working_days: Option<u32>,
}

/// The deadline policy: defaults plus per-category overrides. TOML:
///
/// ```toml
/// [deadlines]
/// first_answer_working_days = 3
/// resolution_working_days = 30
/// [deadlines.categories.safety_hazard]
/// first_answer_working_days = 1
/// resolution_working_days = 10
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DeadlinePolicy {
    /// Working days to the first answer. Default 3.
    pub first_answer_working_days: u32,
    /// Working days to resolution. Default 30.
    pub resolution_working_days: u32,
    /// Overrides per category code (by default every category, without overrides).
    pub categories: BTreeMap<Category, CategoryDeadlines>,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            first_answer_working_days: 3,
            resolution_working_days: 30,
            // every category listed (no override), so that the configuration's key check
            // knows the valid category keys
            categories: Category::ALL
                .iter()
                .map(|c| (*c, CategoryDeadlines::default()))
                .collect(),
        }
    }
}

/// The deadlines of one suggestion and where it stands against them at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineStatus {
    /// First answer due by (UTC).
    pub first_answer_due: DateTime<Utc>,
    /// Resolution due by (UTC).
    pub resolution_due: DateTime<Utc>,
    /// Still open and past a deadline not met: no first answer after `first_answer_due`,
    /// or not closed after `resolution_due`.
    pub overdue: bool,
}

impl DeadlinePolicy {
    /// Working days (first answer, resolution) for `category`.
    pub fn working_days(&self, category: Category) -> (u32, u32) {
        let o = self.categories.get(&category).copied().unwrap_or_default();
        (
            o.first_answer_working_days
                .unwrap_or(self.first_answer_working_days),
            o.resolution_working_days
                .unwrap_or(self.resolution_working_days),
        )
    }

    /// The deadlines of `s` and whether it is overdue at `now`.
    pub fn status(&self, s: &Suggestion, now: DateTime<Utc>) -> DeadlineStatus {
        let (first, resolution) = self.working_days(s.category);
        let first_answer_due = add_working_days(s.created_at, first);
        let resolution_due = add_working_days(s.created_at, resolution);
        let overdue = s.status.is_open()
            && ((s.first_answer_at.is_none() && now >= first_answer_due) || now >= resolution_due);
        DeadlineStatus {
            first_answer_due,
            resolution_due,
            overdue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn working_days_skip_weekends_from_the_next_day() {
        // 2026-11-06 is a Friday (`date -d 2026-11-06 +%A`); 15:00 Beijing = 07:00Z.
        // Mon 9, Tue 10, Wed 11 → end of Wed = 2026-11-12 00:00+08 = 2026-11-11T16:00Z.
        assert_eq!(
            add_working_days(t("2026-11-06T07:00:00Z"), 3),
            t("2026-11-11T16:00:00Z")
        );
        // 2026-11-06 23:30 Beijing is 15:30Z: still Friday in Beijing, same deadline.
        assert_eq!(
            add_working_days(t("2026-11-06T15:30:00Z"), 3),
            t("2026-11-11T16:00:00Z")
        );
        // 2026-11-06T16:30Z is Saturday 00:30 Beijing: Mon, Tue, Wed again.
        assert_eq!(
            add_working_days(t("2026-11-06T16:30:00Z"), 3),
            t("2026-11-11T16:00:00Z")
        );
        // Monday 2026-11-09 10:00 Beijing, 1 working day → end of Tuesday 10th.
        assert_eq!(
            add_working_days(t("2026-11-09T02:00:00Z"), 1),
            t("2026-11-10T16:00:00Z")
        );
        // 0 days: end of the day of submission.
        assert_eq!(
            add_working_days(t("2026-11-09T02:00:00Z"), 0),
            t("2026-11-09T16:00:00Z")
        );
        // 10 working days from Monday 9th: 10..13 (4), 16..20 (5), 23 (1) → end of 23rd.
        assert_eq!(
            add_working_days(t("2026-11-09T02:00:00Z"), 10),
            t("2026-11-23T16:00:00Z")
        );
    }

    #[test]
    fn policy_overrides_per_category() {
        let p: DeadlinePolicy = serde_json::from_value(serde_json::json!({
            "first_answer_working_days": 2,
            "categories": {"safety_hazard": {"first_answer_working_days": 1}}
        }))
        .unwrap();
        assert_eq!(p.working_days(Category::SafetyHazard), (1, 30));
        assert_eq!(p.working_days(Category::Parking), (2, 30));
        assert_eq!(
            DeadlinePolicy::default().working_days(Category::Rest),
            (3, 30)
        );
    }
}
