//! Demand-weighted coverage, coverage by hour and exports, with values worked out by hand.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{FixedOffset, TimeZone};
use nuanxin_core::coverage::analysis::{analyze, DemandPoint, NoProgress};
use nuanxin_core::coverage::demand::DemandLayer;
use nuanxin_core::coverage::hours::{coverage_drop, parse_at};
use nuanxin_core::coverage::{export, AreaSpec, CoverageOptions};
use nuanxin_core::districts::Districts;
use nuanxin_core::geodesy::destination;
use nuanxin_core::index::{Filter, ServiceIndex};
use nuanxin_core::model::{Bbox, LonLat, OpeningHours, ServiceKind, ServicePoint};

fn station(id: &str, p: LonLat, hours: &str) -> ServicePoint {
    let mut s = nuanxin_core::demo::demo_points()[0].clone();
    s.id = id.into();
    s.kind = ServiceKind::Station;
    s.location = p;
    s.opening_hours = Some(OpeningHours::parse(hours).unwrap());
    s
}

/// Three stations 5 km apart on a parallel near Changsha, each with a different timetable,
/// and demand placed at each station (inside its 1 250 m circle) plus one point 2.5 km from
/// every station (outside all circles):
///
/// | where | weight | open |
/// |---|---:|---|
/// | A | 10 | 24/7 |
/// | B | 30 | 08:00-22:00 |
/// | C | 20 | Mo-Fr 09:00-17:00 |
/// | far | 40 | — |
///
/// Total 100. Tuesday 2026-12-01 12:00: A, B, C open → (10 + 30 + 20) / 100 = 60 %.
/// 02:00: only A → 10 %. Saturday 2026-12-05 12:00: A, B → 40 %. Without a time, all
/// stations count → 60 %.
#[test]
fn night_coverage_counts_only_open_stations_hand_worked() {
    let a = LonLat::new(113.30, 28.00).unwrap();
    let b = destination(a, 90.0, 5000.0);
    let c = destination(b, 90.0, 5000.0);
    let far = destination(a, 0.0, 2500.0); // 2.5 km north of A, > 1 250 m from all
    let index = ServiceIndex::new(vec![
        station("A", a, "24/7"),
        station("B", b, "08:00-22:00"),
        station("C", c, "Mo-Fr 09:00-17:00"),
    ])
    .unwrap();
    let area = AreaSpec::Bbox(Bbox::parse("113.25,27.95,113.45,28.05").unwrap());
    let share_at = |at: Option<&str>| {
        let mut o = CoverageOptions::new(1250.0);
        o.gaps = false;
        o.filter = Filter {
            open_at: at.map(|s| parse_at(s).unwrap()),
            ..Filter::default()
        };
        o.demand = vec![
            DemandPoint {
                location: a,
                weight: 10.0,
            },
            DemandPoint {
                location: b,
                weight: 30.0,
            },
            DemandPoint {
                location: c,
                weight: 20.0,
            },
            DemandPoint {
                location: far,
                weight: 40.0,
            },
        ];
        analyze(&index, Districts::embedded(), &area, &o, &NoProgress).unwrap()
    };
    let pct =
        |r: &nuanxin_core::coverage::CoverageReport| r.summary.demand_covered_percent.unwrap();
    let noon = share_at(Some("2026-12-01T12:00+08:00"));
    let night = share_at(Some("2026-12-01T02:00+08:00"));
    assert!((pct(&noon) - 60.0).abs() < 1e-9, "{}", pct(&noon));
    assert!((pct(&night) - 10.0).abs() < 1e-9, "{}", pct(&night));
    // The same instant given in UTC.
    assert!((pct(&share_at(Some("2026-11-30T18:00Z"))) - 10.0).abs() < 1e-9);
    assert!((pct(&share_at(Some("2026-12-05T12:00+08:00"))) - 40.0).abs() < 1e-9);
    assert!((pct(&share_at(None)) - 60.0).abs() < 1e-9);
    // The drop table: one row (the bbox lies in one county or outside), 50 points.
    let drops = coverage_drop(&noon, &night);
    let total_drop: f64 = drops.iter().map(|d| d.drop_points).fold(0.0, f64::max);
    assert!(drops
        .iter()
        .all(|d| d.measure == "demand" || d.measure == "area"));
    assert!(total_drop > 0.0);
    // Two stations' circles (A and B) never overlap: 5 km apart, r = 1.25 km, so the covered
    // area at noon is three discs and at night one: ratio 3 within the lattice error.
    let ratio = noon.summary.covered_km2 / night.summary.covered_km2;
    assert!((ratio - 3.0).abs() < 0.15, "{ratio}");
}

#[test]
fn builtup_city_wide_reports_no_data_and_proposes_in_the_urban_core() {
    let index = ServiceIndex::new(nuanxin_core::demo::demo_points()).unwrap();
    let mut o = CoverageOptions::new(1250.0);
    o.gaps = false;
    o.resolution = nuanxin_core::coverage::resolution(8).unwrap();
    o.filter.kinds = vec![ServiceKind::Station];
    o.demand_layer = Some(DemandLayer::Builtup);
    o.propose = 3;
    let r = analyze(
        &index,
        Districts::embedded(),
        &AreaSpec::Adcode("430100".into()),
        &o,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.parameters.candidates, "demand_cells");
    assert_eq!(r.parameters.demand.as_deref(), Some("builtup"));
    // The GHSL crop (≈ 50 × 24 km) is a small part of Changsha's 11 819 km².
    let data = r.summary.demand_data_percent.unwrap();
    assert!(data > 3.0 && data < 20.0, "{data}");
    assert!(
        r.warnings.iter().any(|w| w.contains("no data")),
        "{:?}",
        r.warnings
    );
    // 浏阳市 (430181) lies wholly outside the crop: no demand share, 0 % data.
    let liuyang = r
        .districts
        .iter()
        .find(|d| d.adcode.as_deref() == Some("430181"))
        .unwrap();
    assert_eq!(liuyang.demand_data_percent, Some(0.0));
    assert_eq!(liuyang.demand_covered_percent, None);
    // 芙蓉区 lies wholly inside.
    let furong = r
        .districts
        .iter()
        .find(|d| d.adcode.as_deref() == Some("430102"))
        .unwrap();
    assert!(furong.demand_data_percent.unwrap() > 99.0);
    assert!(furong.demand_covered_percent.is_some());
    // All three proposals inside the urban core (the GHSL crop's box).
    assert_eq!(r.proposals.len(), 3);
    for p in &r.proposals {
        assert!(
            (112.68..113.21).contains(&p.location.lon) && (28.08..28.30).contains(&p.location.lat),
            "{:?}",
            p.location
        );
        assert!(p.added_demand.unwrap() > 0.0);
    }
}

#[test]
fn proposals_export_csv_crlf_gcj02_one_decimal_beijing_time() {
    let index = ServiceIndex::new(nuanxin_core::demo::demo_points()).unwrap();
    let mut o = CoverageOptions::new(1250.0);
    o.gaps = false;
    o.demand_layer = Some(DemandLayer::Pickups);
    o.filter.kinds = vec![ServiceKind::Station];
    o.propose = 2;
    let r = analyze(
        &index,
        Districts::embedded(),
        &AreaSpec::Adcode("430104".into()),
        &o,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(r.proposals.len(), 2);
    // 2026-11-30 18:05 UTC is 2026-12-01 02:05 in Beijing.
    let at = FixedOffset::east_opt(0)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 30, 18, 5, 0)
        .unwrap();
    let csv = export::proposals_csv(&r, Districts::embedded(), at);
    assert!(csv.starts_with('\u{feff}'));
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "header, 2 rows, empty after the last CRLF");
    assert!(lines[3].is_empty());
    assert!(!csv.replace("\r\n", "").contains('\n'));
    let mut rdr =
        csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let p = &r.proposals[0];
    let (lon, lat): (f64, f64) = (rows[0][1].parse().unwrap(), rows[0][2].parse().unwrap());
    assert!((lon - p.location.lon).abs() < 1e-6 && (lat - p.location.lat).abs() < 1e-6);
    // GCJ-02 offset near 五一广场 (SOURCES.md reference pair: WGS-84 112.97092, 28.19860 →
    // GCJ-02 112.97646, 28.19516): Δlon ≈ +0.0055°, Δlat ≈ −0.0034°.
    let (glon, glat): (f64, f64) = (rows[0][3].parse().unwrap(), rows[0][4].parse().unwrap());
    assert!((glon - lon - 0.0055).abs() < 0.0003, "{}", glon - lon);
    assert!((glat - lat + 0.0034).abs() < 0.0003, "{}", glat - lat);
    assert_eq!(&rows[0][5], format!("{},{}", &rows[0][3], &rows[0][4]));
    assert_eq!(&rows[0][6], "430104");
    assert_eq!(&rows[0][7], "岳麓区");
    // Percentages with one decimal.
    for col in [11, 12] {
        let v = &rows[0][col];
        assert_eq!(v.split('.').nth(1).map(str::len), Some(1), "{v}");
    }
    assert_eq!(&rows[1][13], "2026-12-01 02:05:00");
    // no opening-hours filter: no open-at time
    assert_eq!(&rows[1][14], "");
    let gj = export::proposals_geojson(&r, Districts::embedded(), at);
    let f = &gj["features"][0];
    assert_eq!(f["properties"]["analysed_at"], "2026-12-01T02:05:00+08:00");
    assert_eq!(f["properties"]["open_at"], serde_json::Value::Null);
    assert_eq!(f["properties"]["amap"].as_str().unwrap(), &rows[0][5]);
    let pct = f["properties"]["demand_covered_percent_after"]
        .as_f64()
        .unwrap();
    assert_eq!((pct * 10.0).round() / 10.0, pct);
}

/// Demand share by hand: one point at a demo station in 芙蓉区 is covered: 100 %, and user
/// demand has data everywhere.
#[test]
fn demand_share_of_user_points_by_hand() {
    let pts = nuanxin_core::demo::demo_points();
    let index = ServiceIndex::new(pts.clone()).unwrap();
    let d = Districts::embedded();
    let s = pts
        .iter()
        .find(|p| {
            p.kind == ServiceKind::Station
                && d.county_at(p.location)
                    .is_some_and(|c| c.adcode == "430102")
        })
        .expect("a demo station in 芙蓉区");
    let mut o = CoverageOptions::new(1250.0);
    o.gaps = false;
    o.filter.kinds = vec![ServiceKind::Station];
    o.demand = vec![DemandPoint {
        location: s.location,
        weight: 7.0,
    }];
    let r = analyze(
        &index,
        d,
        &AreaSpec::Adcode("430102".into()),
        &o,
        &NoProgress,
    )
    .unwrap();
    assert!((r.summary.demand_covered_percent.unwrap() - 100.0).abs() < 1e-9);
    assert_eq!(r.summary.demand_data_percent, Some(100.0));
    assert_eq!(r.parameters.demand.as_deref(), Some("points"));
}
