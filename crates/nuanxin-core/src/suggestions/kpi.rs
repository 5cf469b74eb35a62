//! Handling KPIs per district, category and month (the yearly assessment's figures):
//! median time to the first answer and to resolution, the share answered within the
//! deadline, and the overdue count.
//!
//! Definitions (each row groups the suggestions of one county adcode and one category
//! submitted in one calendar month of Beijing time):
//! - `median_hours_to_first_answer`: median over the answered ones of the hours from
//!   submission to the first officer entry (any status change or reply);
//! - `median_hours_to_resolution`: median over the ones resolved now of the hours from
//!   submission to the resolution;
//! - `due`: the ones whose first answer was due by `now` or that were answered (a
//!   suggestion whose deadline lies ahead and is unanswered is not counted yet);
//! - `answered_within_deadline`: of those, answered no later than the first-answer deadline
//!   ([`super::deadlines`], working days); `answered_within_deadline_share` = that / `due`;
//! - `overdue`: still open at `now` and past a deadline not met ([`DeadlineStatus::overdue`]).
//!
//! Medians as [`super::stats::median`].
//!
//! [`DeadlineStatus::overdue`]: super::deadlines::DeadlineStatus::overdue

use super::deadlines::DeadlinePolicy;
use super::stats::median;
use super::{Category, Suggestion};
use crate::model::china_offset;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// KPIs of one (district, category, month).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiRow {
    /// County adcode (empty for suggestions without one).
    pub adcode: String,
    /// District name (Chinese).
    pub district_name: Option<String>,
    /// Category code.
    pub category: Category,
    /// Category label (Chinese).
    pub category_label_zh: String,
    /// Month of submission, Beijing time, `YYYY-MM`.
    pub month: String,
    /// Suggestions submitted.
    pub submitted: usize,
    /// Of them, answered.
    pub answered: usize,
    /// Of them, resolved now.
    pub resolved: usize,
    /// Median hours to the first answer (answered ones); `None` when none.
    pub median_hours_to_first_answer: Option<f64>,
    /// Median hours to resolution (resolved ones); `None` when none.
    pub median_hours_to_resolution: Option<f64>,
    /// Whose first answer is due by now or given.
    pub due: usize,
    /// Of `due`, answered by the deadline.
    pub answered_within_deadline: usize,
    /// `answered_within_deadline / due`, 0–1; `None` when `due` is 0.
    pub answered_within_deadline_share: Option<f64>,
    /// Open and past a deadline now.
    pub overdue: usize,
}

fn hours(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 3_600_000.0
}

/// The KPI rows of `items` at `now` under `policy`, sorted by adcode, category (declaration
/// order) and month.
pub fn compute<'a>(
    items: impl IntoIterator<Item = &'a Suggestion>,
    policy: &DeadlinePolicy,
    now: DateTime<Utc>,
) -> Vec<KpiRow> {
    let mut groups: BTreeMap<(String, Category, String), Vec<&Suggestion>> = BTreeMap::new();
    for s in items {
        let month = s
            .created_at
            .with_timezone(&china_offset())
            .format("%Y-%m")
            .to_string();
        groups
            .entry((s.adcode.clone().unwrap_or_default(), s.category, month))
            .or_default()
            .push(s);
    }
    let districts = crate::districts::Districts::embedded();
    groups
        .into_iter()
        .map(|((adcode, category, month), list)| {
            let mut first = Vec::new();
            let mut resolution = Vec::new();
            let (mut due, mut within, mut overdue) = (0, 0, 0);
            for s in &list {
                let d = policy.status(s, now);
                if let Some(t) = s.first_answer_at {
                    first.push(hours(s.created_at, t));
                    due += 1;
                    within += usize::from(t <= d.first_answer_due);
                } else if now >= d.first_answer_due {
                    due += 1;
                }
                if let (super::Status::Resolved, Some(t)) = (s.status, s.resolved_at) {
                    resolution.push(hours(s.created_at, t));
                }
                overdue += usize::from(d.overdue);
            }
            KpiRow {
                district_name: districts.get(&adcode).map(|d| d.name.clone()),
                category_label_zh: category.label_zh().to_string(),
                submitted: list.len(),
                answered: first.len(),
                resolved: resolution.len(),
                median_hours_to_first_answer: median(&mut first),
                median_hours_to_resolution: median(&mut resolution),
                due,
                answered_within_deadline: within,
                answered_within_deadline_share: (due > 0).then(|| within as f64 / due as f64),
                overdue,
                adcode,
                category,
                month,
            }
        })
        .collect()
}

/// CSV columns of [`to_csv`].
pub const CSV_COLUMNS: &[&str] = &[
    "adcode",
    "district",
    "category",
    "category_zh",
    "month",
    "submitted",
    "answered",
    "resolved",
    "median_hours_to_first_answer",
    "median_hours_to_resolution",
    "due",
    "answered_within_deadline",
    "answered_within_deadline_share",
    "overdue",
    "generated_at",
];

/// The rows as CSV (UTF-8 with BOM, as the other exports; CRLF line ends), hours with two
/// decimals, the share with three, `generated_at` in Beijing time (RFC 3339 with `+08:00`).
pub fn to_csv(rows: &[KpiRow], generated_at: DateTime<Utc>) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    let at = generated_at
        .with_timezone(&china_offset())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let f = |v: Option<f64>, dp: usize| v.map(|x| format!("{x:.dp$}")).unwrap_or_default();
    for r in rows {
        let _ = w.write_record([
            r.adcode.clone(),
            r.district_name.clone().unwrap_or_default(),
            r.category.as_str().into(),
            r.category_label_zh.clone(),
            r.month.clone(),
            r.submitted.to_string(),
            r.answered.to_string(),
            r.resolved.to_string(),
            f(r.median_hours_to_first_answer, 2),
            f(r.median_hours_to_resolution, 2),
            r.due.to_string(),
            r.answered_within_deadline.to_string(),
            f(r.answered_within_deadline_share, 3),
            r.overdue.to_string(),
            at.clone(),
        ]);
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    format!("{}{body}", super::export::BOM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use crate::model::LonLat;
    use crate::suggestions::Status;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn sug(
        adcode: &str,
        category: Category,
        created: &str,
        first: Option<&str>,
        status: Status,
        resolved: Option<&str>,
    ) -> Suggestion {
        let p = LonLat::new(112.97, 28.2).unwrap();
        Suggestion {
            id: format!("S-{created}"),
            location: p,
            input_location: p,
            input_crs: Crs::Wgs84,
            category,
            description: String::new(),
            role: None,
            contact: None,
            email: None,
            first_name: None,
            last_name: None,
            campaign_id: None,
            adcode: Some(adcode.into()),
            collection_point: None,
            photo: None,
            status,
            supporters: 0,
            created_at: t(created),
            updated_at: t(created),
            first_answer_at: first.map(t),
            resolved_at: resolved.map(t),
            duplicate_of: None,
            department: None,
            history: Vec::new(),
        }
    }

    /// Hand-worked values (default policy: first answer in 3 working days, resolution in 30;
    /// weekdays checked with `date -d 2026-11-06 +%A` = Friday).
    #[test]
    fn kpis_by_hand() {
        use Category::*;
        let items = [
            // A: Fri 11-06 15:00 BJ; due end of Wed 11-11 (16:00Z); answered after 72 h
            // (in time), resolved after 240 h.
            sug(
                "430102",
                Parking,
                "2026-11-06T07:00:00Z",
                Some("2026-11-09T07:00:00Z"),
                Status::Resolved,
                Some("2026-11-16T07:00:00Z"),
            ),
            // B: Mon 11-09 10:00 BJ; due end of Thu 11-12; answered 11-13 after 96 h (late);
            // still open but its resolution is due 12-21: not overdue.
            sug(
                "430102",
                Parking,
                "2026-11-09T02:00:00Z",
                Some("2026-11-13T02:00:00Z"),
                Status::Accepted,
                None,
            ),
            // C: Tue 11-10; due end of Fri 11-13; unanswered at now: due and overdue.
            sug(
                "430102",
                Parking,
                "2026-11-10T01:00:00Z",
                None,
                Status::Submitted,
                None,
            ),
            // D: Thu 11-19; due end of Tue 11-24 (after now), unanswered: not due yet.
            sug(
                "430102",
                Parking,
                "2026-11-19T02:00:00Z",
                None,
                Status::Submitted,
                None,
            ),
            // E: 2026-10-31T17:00Z is Sun 11-01 01:00 BJ: month 2026-11; due end of Wed
            // 11-04; answered after 36 h; declined.
            sug(
                "430102",
                Parking,
                "2026-10-31T17:00:00Z",
                Some("2026-11-02T05:00:00Z"),
                Status::Declined,
                None,
            ),
            // F: rest, answered and resolved after 24 h.
            sug(
                "430102",
                Rest,
                "2026-11-18T16:30:00Z",
                Some("2026-11-19T16:30:00Z"),
                Status::Resolved,
                Some("2026-11-19T16:30:00Z"),
            ),
            // G: another district; Mon 11-02 08:00 BJ, due end of Thu 11-05, unanswered.
            sug(
                "430103",
                Parking,
                "2026-11-02T00:00:00Z",
                None,
                Status::Submitted,
                None,
            ),
        ];
        let now = t("2026-11-20T00:00:00Z");
        let rows = compute(&items, &DeadlinePolicy::default(), now);
        assert_eq!(rows.len(), 3);
        let r = &rows[0];
        assert_eq!(
            (r.adcode.as_str(), r.category, r.month.as_str()),
            ("430102", Parking, "2026-11")
        );
        assert_eq!(r.district_name.as_deref(), Some("芙蓉区"));
        assert_eq!((r.submitted, r.answered, r.resolved), (5, 3, 1));
        // answered after 72, 96, 36 h → median 72; resolved after 240 h
        assert_eq!(r.median_hours_to_first_answer, Some(72.0));
        assert_eq!(r.median_hours_to_resolution, Some(240.0));
        // due: A, B, E (answered) and C (past due) = 4; within: A and E = 2
        assert_eq!((r.due, r.answered_within_deadline), (4, 2));
        assert_eq!(r.answered_within_deadline_share, Some(0.5));
        assert_eq!(r.overdue, 1);
        let r = &rows[1];
        assert_eq!(
            (
                r.category,
                r.submitted,
                r.due,
                r.answered_within_deadline,
                r.overdue
            ),
            (Rest, 1, 1, 1, 0)
        );
        assert_eq!(r.median_hours_to_first_answer, Some(24.0));
        assert_eq!(r.answered_within_deadline_share, Some(1.0));
        let r = &rows[2];
        assert_eq!(
            (r.adcode.as_str(), r.district_name.as_deref()),
            ("430103", Some("天心区"))
        );
        assert_eq!((r.submitted, r.answered, r.due, r.overdue), (1, 0, 1, 1));
        assert_eq!(r.median_hours_to_first_answer, None);
        assert_eq!(r.answered_within_deadline_share, Some(0.0));

        let csv = to_csv(&rows, now);
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], CSV_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "430102,芙蓉区,parking,停车难,2026-11,5,3,1,72.00,240.00,4,2,0.500,1,2026-11-20T08:00:00+08:00"
        );
        assert_eq!(
            lines[3],
            "430103,天心区,parking,停车难,2026-11,1,0,0,,,1,0,0.000,1,2026-11-20T08:00:00+08:00"
        );
    }
}
