//! Exports of proposed sites that people can use: CSV for Excel and GeoJSON for GIS, each with
//! WGS-84 *and* GCJ-02 coordinates (GCJ-02 is what Amap/高德 and WeChat show: paste the
//! `lon,lat` pair into Amap's coordinate picker), shares as percentages with one decimal, the
//! time the analysis ran and, when stations were filtered by opening hours, the time they were
//! required to be open at, both in Beijing time (UTC+8).
//!
//! The CSV follows RFC 4180 (CRLF line endings, fields with commas or quotes quoted) and
//! starts with a UTF-8 byte-order mark, without which Excel on Chinese Windows reads UTF-8 as
//! GBK and garbles the Chinese headers.

use super::analysis::CoverageReport;
use crate::crs::wgs84_to_gcj02;
use crate::districts::Districts;
use chrono::{DateTime, FixedOffset};

/// Column headers of the CSV export (Chinese / English).
pub const CSV_HEADERS: [&str; 18] = [
    "序号 rank",
    "经度 lon (WGS-84)",
    "纬度 lat (WGS-84)",
    "经度 lon (GCJ-02 高德)",
    "纬度 lat (GCJ-02 高德)",
    "高德坐标 Amap lon,lat (GCJ-02)",
    "区县代码 adcode",
    "区县 district",
    "候选 site",
    "新增覆盖面积 added km²",
    "新增覆盖需求 added demand",
    "面积覆盖率 covered area % after",
    "需求覆盖率 covered demand % after",
    "分析时间 analysed at (北京时间 UTC+8)",
    "开放时间基准 open at (北京时间 UTC+8)",
    "距离模型 model",
    "出行方式 mode",
    "分钟 minutes",
];

fn one_decimal(x: f64) -> String {
    format!("{:.1}", x + 0.0)
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The time the stations of `report` had to be open at (`--at`, `at`/`open_at`: the moment
/// the opening-hours filter was evaluated), in Beijing time; `None` when hours were not
/// filtered. Not the time the analysis ran: the exports state both, in separate columns
/// (polish5, item 6: the CSV's 分析时间 held this time).
pub fn open_at(report: &CoverageReport) -> Option<DateTime<FixedOffset>> {
    report
        .parameters
        .open_at
        .and_then(|t| t.and_local_timezone(crate::model::china_offset()).single())
}

/// The report's proposals as CSV (see the module docs): `analysed_at` (when the analysis ran,
/// normally now) and [`open_at`] (empty without an opening-hours filter) are shown in
/// Beijing time. Coordinates have 6 decimals (about 0.1 m).
pub fn proposals_csv(
    report: &CoverageReport,
    districts: &Districts,
    analysed_at: DateTime<FixedOffset>,
) -> String {
    let beijing = |t: DateTime<FixedOffset>| {
        t.with_timezone(&crate::model::china_offset())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let at = beijing(analysed_at);
    let open = open_at(report).map(beijing).unwrap_or_default();
    // Which model made the figures (README: every figure and export says so).
    let params = &report.parameters;
    let model = match params.model.as_str() {
        "network" => "沿道路 network",
        "straight_line" => "直线 straight_line",
        other => other,
    }
    .to_string();
    let mode = params.mode.map_or_else(String::new, |m| {
        match m {
            crate::travel::TravelMode::Walk => "步行 walk",
            crate::travel::TravelMode::Ebike => "电动车 ebike",
        }
        .to_string()
    });
    let minutes = params.minutes.map_or_else(String::new, |m| format!("{m}"));
    let mut out = String::from("\u{feff}");
    out.push_str(
        &CSV_HEADERS
            .iter()
            .map(|h| quote(h))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for p in &report.proposals {
        let g = wgs84_to_gcj02(p.location);
        let name = p
            .adcode
            .as_deref()
            .and_then(|a| districts.get(a))
            .map_or("", |d| d.name.as_str());
        let fields = [
            p.rank.to_string(),
            format!("{:.6}", p.location.lon),
            format!("{:.6}", p.location.lat),
            format!("{:.6}", g.lon),
            format!("{:.6}", g.lat),
            format!("{:.6},{:.6}", g.lon, g.lat),
            p.adcode.clone().unwrap_or_default(),
            name.to_string(),
            p.site_id
                .clone()
                .or_else(|| p.h3_cell.clone())
                .unwrap_or_default(),
            format!("{:.3}", p.added_km2),
            p.added_demand
                .map_or_else(String::new, |d| format!("{d:.1}")),
            one_decimal(p.covered_percent_after),
            p.demand_covered_percent_after
                .map_or_else(String::new, one_decimal),
            at.clone(),
            open.clone(),
            model.clone(),
            mode.clone(),
            minutes.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// The report's proposals as a GeoJSON FeatureCollection (RFC 7946: geometry in WGS-84), each
/// feature with `gcj02: [lon, lat]`, `amap: "lon,lat"` (GCJ-02), percentages with one decimal
/// (numbers), `analysed_at` (when the analysis ran) and `open_at` ([`open_at`], `null`
/// without an opening-hours filter) in Beijing time (RFC 3339 with +08:00).
pub fn proposals_geojson(
    report: &CoverageReport,
    districts: &Districts,
    analysed_at: DateTime<FixedOffset>,
) -> serde_json::Value {
    let beijing = |t: DateTime<FixedOffset>| {
        t.with_timezone(&crate::model::china_offset())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    };
    let at = beijing(analysed_at);
    let open = open_at(report).map(beijing);
    let round1 = |x: f64| (x * 10.0).round() / 10.0 + 0.0;
    let features: Vec<serde_json::Value> = report
        .proposals
        .iter()
        .map(|p| {
            let g = wgs84_to_gcj02(p.location);
            let g6 = [
                (g.lon * 1e6).round() / 1e6,
                (g.lat * 1e6).round() / 1e6,
            ];
            let mut f = serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [
                    (p.location.lon * 1e6).round() / 1e6,
                    (p.location.lat * 1e6).round() / 1e6,
                ]},
                "properties": {
                    "rank": p.rank,
                    "gcj02": g6,
                    "amap": format!("{:.6},{:.6}", g.lon, g.lat),
                    "adcode": p.adcode,
                    "district": p.adcode.as_deref().and_then(|a| districts.get(a)).map(|d| d.name.clone()),
                    "site_id": p.site_id,
                    "h3_cell": p.h3_cell,
                    "added_km2": (p.added_km2 * 1000.0).round() / 1000.0,
                    "added_demand": p.added_demand.map(round1),
                    "covered_percent_after": round1(p.covered_percent_after),
                    "demand_covered_percent_after": p.demand_covered_percent_after.map(round1),
                    "analysed_at": at,
                    "open_at": open,
                },
            });
            // Network model only: whether the site's reach was measured along roads.
            if let (Some(network), Some(props)) = (p.network, f["properties"].as_object_mut()) {
                props.insert("network".into(), network.into());
            }
            f
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "features": features,
    })
}

#[cfg(test)]
mod time_tests {
    use crate::coverage::analysis::{analyze, CoverageOptions, CoverageReport};
    use crate::coverage::{AreaSpec, NoProgress};
    use crate::districts::Districts;

    /// The analysis of an empty index over a small Changsha bbox at resolution 7, no gaps.
    fn empty_area_report(o: &mut CoverageOptions) -> CoverageReport {
        let idx = crate::index::ServiceIndex::new(Vec::new()).unwrap();
        let area = AreaSpec::Bbox(crate::model::Bbox::new(112.9, 28.1, 112.95, 28.15).unwrap());
        o.resolution = crate::coverage::resolution(7).unwrap();
        o.gaps = false;
        analyze(&idx, Districts::embedded(), &area, o, &NoProgress).unwrap()
    }

    /// 08:30 UTC (16:30 in Beijing), the export's "now" in these tests.
    fn now() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-12-07T08:30:00+00:00").unwrap()
    }

    #[test]
    /// Regression (issue 15, then polish5 item 6): the CSV stated the wall-clock time of the
    /// export for `--at 2026-12-01T02:00+08:00`, then the `--at` time under the header 分析时间
    /// (analysed at). Now 分析时间 is when the analysis ran and 开放时间基准 the `--at` time.
    fn the_export_states_when_it_ran_and_the_open_at_time() {
        let mut o = CoverageOptions::new(500.0);
        let r = empty_area_report(&mut o);
        assert_eq!(super::open_at(&r), None);
        o.filter.open_at = crate::model::parse_local_time("2026-12-01T02:00");
        let r = empty_area_report(&mut o);
        let at = super::open_at(&r).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-01T02:00:00+08:00");
        let header = super::proposals_csv(&r, Districts::embedded(), now());
        assert!(header.contains("分析时间 analysed at"), "{header}");
        assert!(header.contains("开放时间基准 open at"), "{header}");
    }

    /// Regression (newcomer, stop 25): the proposals CSV did not say which model, mode and
    /// minutes made its figures, though every export should. Straight-line, e-bike, 5 minutes
    /// (radius 1 250 m): the three last columns of each row.
    #[test]
    fn the_export_names_the_model_mode_and_minutes() {
        let mut o = CoverageOptions::new(1250.0);
        o.travel = Some((crate::travel::TravelMode::Ebike, 5.0));
        o.propose = 1;
        let r = empty_area_report(&mut o);
        let csv = super::proposals_csv(&r, Districts::embedded(), now());
        let mut lines = csv.lines();
        let header = lines.next().unwrap();
        assert!(
            header.ends_with("距离模型 model,出行方式 mode,分钟 minutes"),
            "{header}"
        );
        let row = lines.next().expect("one proposal");
        assert!(row.ends_with(",直线 straight_line,电动车 ebike,5"), "{row}");
    }
}
