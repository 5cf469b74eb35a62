//! Handling-speed KPIs per district: counts per category and status, and the median hours
//! from submission to the first officer answer and to resolution.
//!
//! Median: the middle value of the sorted sample, or the mean of the two middle values for
//! an even count (the usual definition, e.g. Python's `statistics.median`).

use super::{Category, Status, Suggestion};
use serde::Serialize;
use std::collections::BTreeMap;

/// KPIs of one district (or of all districts together).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DistrictStats {
    /// County adcode; `None` for the total.
    pub adcode: Option<String>,
    /// District name.
    pub name: Option<String>,
    /// Suggestions counted.
    pub total: usize,
    /// Count per category code (every category listed, zeros included).
    pub by_category: BTreeMap<String, usize>,
    /// Count per status code (every status listed, zeros included).
    pub by_status: BTreeMap<String, usize>,
    /// Median hours from submission to the first officer answer, over answered ones.
    pub median_hours_to_first_answer: Option<f64>,
    /// Median hours from submission to resolution, over currently resolved ones.
    pub median_hours_to_resolution: Option<f64>,
    /// How many suggestions have been answered.
    pub answered: usize,
    /// How many are resolved.
    pub resolved: usize,
}

/// Median of `v` (sorted in place); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn hours(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 3_600_000.0
}

/// KPIs of a set of suggestions: all of them together and per county.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpis {
    /// All the suggestions together (`adcode` and `name` are `None`).
    pub total: DistrictStats,
    /// One entry per county with suggestions, sorted by adcode (suggestions without an
    /// adcode count only in `total`).
    pub districts: Vec<DistrictStats>,
}

/// KPIs of `items`: the total and one entry per county adcode (sorted).
pub fn compute<'a>(items: impl IntoIterator<Item = &'a Suggestion>) -> Kpis {
    let mut groups: BTreeMap<Option<String>, Vec<&Suggestion>> = BTreeMap::new();
    let mut all = Vec::new();
    for s in items {
        all.push(s);
        groups.entry(s.adcode.clone()).or_default().push(s);
    }
    let districts = crate::districts::Districts::embedded();
    let one = |adcode: Option<String>, list: &[&Suggestion], total_row: bool| {
        let mut by_category: BTreeMap<String, usize> = Category::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), 0))
            .collect();
        let mut by_status: BTreeMap<String, usize> = Status::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), 0))
            .collect();
        let mut first = Vec::new();
        let mut resolved = Vec::new();
        for s in list {
            *by_category.entry(s.category.as_str().into()).or_default() += 1;
            *by_status.entry(s.status.as_str().into()).or_default() += 1;
            if let Some(t) = s.first_answer_at {
                first.push(hours(s.created_at, t));
            }
            if let (Status::Resolved, Some(t)) = (s.status, s.resolved_at) {
                resolved.push(hours(s.created_at, t));
            }
        }
        let (answered, resolved_n) = (first.len(), resolved.len());
        DistrictStats {
            name: if total_row {
                None
            } else {
                adcode
                    .as_deref()
                    .and_then(|a| districts.get(a))
                    .map(|d| d.name.clone())
            },
            adcode,
            total: list.len(),
            by_category,
            by_status,
            median_hours_to_first_answer: median(&mut first),
            median_hours_to_resolution: median(&mut resolved),
            answered,
            resolved: resolved_n,
        }
    };
    Kpis {
        total: one(None, &all, true),
        districts: groups
            .into_iter()
            .filter(|(adcode, _)| adcode.is_some())
            .map(|(adcode, list)| one(adcode, &list, false))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
