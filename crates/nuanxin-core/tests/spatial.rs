//! The spatial core against independent references: GeographicLib distances, brute-force
//! scans (with Karney's algorithm, not the index's short-line series), and the Changsha metro
//! stations converted from GCJ-02 by a separate implementation.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::NaiveDate;
use nuanxin_core::crs::Crs;
use nuanxin_core::geodesy::{geodesic_distance_m, karney_distance_m};
use nuanxin_core::index::{Filter, Hit, ServiceIndex};
use nuanxin_core::model::{
    AccessMethod, Amenity, AmenitySet, Bbox, LonLat, OpeningHours, ServiceKind, ServicePoint,
};
use proptest::prelude::*;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// Geodesic distances on WGS-84 by GeographicLib 2.0 (Python `geographiclib`,
/// `Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]`, printed with `repr`).
/// Pairs are `[lon, lat]`.
const GEOGRAPHICLIB: [(&str, [f64; 2], [f64; 2], f64); 11] = [
    (
        "五一广场 → 11 km east, short",
        [112.97092, 28.1986],
        [113.065, 28.148],
        10807.63827843804,
    ),
    (
        "10 m apart",
        [112.97092, 28.1986],
        [112.97102, 28.1986],
        9.81809421190309,
    ),
    (
        "长沙 → 北京, long",
        [112.97, 28.19],
        [116.4, 39.9],
        1336668.0231253605,
    ),
    (
        "长沙 → New York",
        [112.97, 28.19],
        [-74.006, 40.7128],
        12342021.010745205,
    ),
    (
        "across the antimeridian (Fiji)",
        [179.9, -16.5],
        [-179.9, -16.5],
        21352.8301008166,
    ),
    (
        "near-antipodal (Karney 2013)",
        [0.0, 0.0],
        [179.5, 0.5],
        19936288.578965314,
    ),
    (
        "near-antipodal on the equator",
        [0.0, 0.0],
        [179.7, 0.0],
        19995624.889961265,
    ),
    (
        "across the north pole",
        [0.0, 89.9],
        [180.0, 89.9],
        22338.795682520195,
    ),
    (
        "pole to pole",
        [0.0, 90.0],
        [0.0, -90.0],
        20003931.458625447,
    ),
    (
        "south pole → McMurdo",
        [0.0, -90.0],
        [166.6667, -77.85],
        1356878.0974356667,
    ),
    (
        "quarter of the equator",
        [0.0, 0.0],
        [90.0, 0.0],
        10018754.171394622,
    ),
];

#[test]
fn distances_match_geographiclib() {
    for (name, a, b, want) in GEOGRAPHICLIB {
        let (a, b) = (ll(a[0], a[1]), ll(b[0], b[1]));
        for (what, got) in [
            ("geodesic_distance_m", geodesic_distance_m(a, b)),
            ("geodesic_distance_m reversed", geodesic_distance_m(b, a)),
            ("karney_distance_m", karney_distance_m(a, b)),
        ] {
            assert!(
                (got - want).abs() < 1e-6,
                "{name}: {what} = {got} m, GeographicLib {want} m"
            );
        }
    }
}

/// Changsha metro: `data/metro/changsha_metro_stations.csv` carries each station in GCJ-02
/// (as published) and in WGS-84 converted by the data stager's own Python implementation
/// (iterated inverse, rounded to 6 decimals ≈ 0.1 m; see ../shared/data/SOURCES.md).
#[test]
fn metro_stations_convert_like_the_independent_conversion() {
    let csv = include_str!("../../../data/metro/changsha_metro_stations.csv");
    let mut n = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let wgs = ll(num(4), num(5));
        let gcj = ll(num(6), num(7));
        let back = Crs::Gcj02.to_wgs84(gcj);
        let fwd = Crs::Gcj02.from_wgs84(wgs);
        // 6-decimal rounding of both columns: at most 0.5e-6° each ≈ 0.08 m; allow 0.15 m.
        assert!(
            geodesic_distance_m(back, wgs) < 0.15,
            "{}: {back:?} vs {wgs:?}",
            f[1]
        );
        assert!(
            geodesic_distance_m(fwd, gcj) < 0.15,
            "{}: {fwd:?} vs {gcj:?}",
            f[1]
        );
        // And the offset is really applied (GCJ-02 is 500–700 m off in Changsha).
        assert!(geodesic_distance_m(gcj, wgs) > 400.0);
        n += 1;
    }
    assert_eq!(n, 143);
}

// ---------------------------------------------------------------------------------------------
// Index against brute force.

fn point(i: usize, p: LonLat, extra: u8) -> ServicePoint {
    let mut sp = ServicePoint::new(
        format!("p{i:05}"),
        ServiceKind::ALL[extra as usize % ServiceKind::ALL.len()],
        format!("point {i}"),
        p,
    );
    let mut a = AmenitySet::EMPTY;
    for (bit, am) in [Amenity::DrinkingWater, Amenity::Charging, Amenity::Toilet]
        .into_iter()
        .enumerate()
    {
        if extra >> (2 + bit) & 1 == 1 {
            a.insert(am);
        }
    }
    sp.amenities = a;
    sp.access = match extra >> 5 & 3 {
        0 => None,
        1 => Some(AccessMethod::Open),
        2 => Some(AccessMethod::FaceScan),
        _ => Some(AccessMethod::RiderCode),
    };
    sp.opening_hours = match extra >> 7 {
        0 => Some(OpeningHours::parse("24/7").unwrap()),
        _ => Some(OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap()),
    };
    sp
}

/// Positions: all of Hunan, or the whole globe with clusters on the antimeridian and the poles,
/// plus exact duplicates (ties, broken by id).
fn arb_position() -> impl Strategy<Value = LonLat> {
    prop_oneof![
        4 => (108.8..114.3f64, 24.6..30.2f64).prop_map(|(lon, lat)| ll(lon, lat)),
        2 => (-180.0..=180.0f64, -1.0..=1.0f64).prop_map(|(lon, z)| ll(lon, z.asin().to_degrees())),
        1 => (-180.0..=180.0f64, 89.0..=90.0f64).prop_map(|(lon, lat)| ll(lon, lat)),
        1 => (-180.0..=180.0f64, -90.0..=-89.0f64).prop_map(|(lon, lat)| ll(lon, lat)),
        1 => (prop_oneof![179.0..=180.0f64, -180.0..=-179.0f64], -5.0..5.0f64)
            .prop_map(|(lon, lat)| ll(lon, lat)),
    ]
}

fn arb_points() -> impl Strategy<Value = Vec<ServicePoint>> {
    prop::collection::vec((arb_position(), any::<u8>(), 0..4u8), 0..150).prop_map(|v| {
        let mut pts: Vec<ServicePoint> = Vec::with_capacity(v.len());
        for (i, (p, extra, dup)) in v.into_iter().enumerate() {
            // One in four copies the position of an earlier point.
            let p = if dup == 0 && i > 0 {
                pts[(extra as usize) % i].location
            } else {
                p
            };
            pts.push(point(i, p, extra));
        }
        pts
    })
}

fn arb_filter() -> impl Strategy<Value = Filter> {
    (
        prop::collection::vec(prop::sample::select(ServiceKind::ALL), 0..3),
        prop::collection::vec(
            prop::sample::select(&[Amenity::DrinkingWater, Amenity::Charging][..]),
            0..2,
        ),
        prop::option::of(0..168u32),
        prop::collection::vec(
            prop::sample::select(&[AccessMethod::Open, AccessMethod::FaceScan][..]),
            0..2,
        ),
    )
        .prop_map(|(kinds, amenities, hour, access)| Filter {
            kinds,
            amenities: amenities.into_iter().collect(),
            // Hours of the week of Monday 2026-11-30.
            open_at: hour.map(|h| {
                NaiveDate::from_ymd_opt(2026, 11, 30)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    + chrono::Duration::minutes(i64::from(h) * 60 + 30)
            }),
            access,
        })
}

/// The brute-force answer: every admitted point with its Karney distance, sorted by
/// (distance, id).
fn brute_force(points: &[ServicePoint], from: LonLat, filter: &Filter) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = points
        .iter()
        .filter(|p| filter.admits(p))
        .map(|p| (p.id.clone(), karney_distance_m(from, p.location)))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn assert_same(got: &[Hit], want: &[(String, f64)]) -> Result<(), TestCaseError> {
    let got_ids: Vec<&str> = got.iter().map(|h| h.point.id.as_str()).collect();
    let want_ids: Vec<&str> = want.iter().map(|w| w.0.as_str()).collect();
    prop_assert_eq!(got_ids, want_ids);
    for (g, w) in got.iter().zip(want) {
        prop_assert!(
            (g.distance_m - w.1).abs() <= 1e-6,
            "{} vs {}",
            g.distance_m,
            w.1
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn nearest_matches_brute_force(
        points in arb_points(),
        from in arb_position(),
        k in 0..12usize,
        filter in arb_filter(),
    ) {
        let index = ServiceIndex::new(points.clone()).unwrap();
        let mut want = brute_force(&points, from, &filter);
        want.truncate(k);
        assert_same(&index.nearest(from, k, &filter), &want)?;
    }

    #[test]
    fn within_matches_brute_force(
        points in arb_points(),
        from in arb_position(),
        // Log-uniform from 1 m to 25 000 km: beyond half the circumference too.
        log_radius in 0.0..7.4f64,
        filter in arb_filter(),
    ) {
        let radius_m = 10f64.powf(log_radius);
        let index = ServiceIndex::new(points.clone()).unwrap();
        let want: Vec<_> = brute_force(&points, from, &filter)
            .into_iter()
            .filter(|w| w.1 <= radius_m)
            .collect();
        assert_same(&index.within(from, radius_m, &filter), &want)?;
    }

    #[test]
    fn in_bbox_matches_brute_force(
        points in arb_points(),
        west in -180.0..=180.0f64,
        east in -180.0..=180.0f64,
        lat_a in -90.0..=90.0f64,
        lat_b in -90.0..=90.0f64,
        filter in arb_filter(),
    ) {
        let bbox = Bbox::new(west, lat_a.min(lat_b), east, lat_a.max(lat_b)).unwrap();
        let index = ServiceIndex::new(points.clone()).unwrap();
        let mut want: Vec<&str> = points
            .iter()
            .filter(|p| bbox.contains(p.location) && filter.admits(p))
            .map(|p| p.id.as_str())
            .collect();
        want.sort_unstable();
        let got: Vec<String> = index.in_bbox(&bbox, &filter).iter().map(|p| p.id.clone()).collect();
        prop_assert_eq!(got, want);
    }

    /// After random removals and re-insertions (many at shared positions) the index still
    /// answers like brute force over what is left.
    #[test]
    fn upsert_and_remove_keep_the_index_exact(
        points in arb_points(),
        ops in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), arb_position()), 0..40),
        from in arb_position(),
    ) {
        let mut index = ServiceIndex::new(points.clone()).unwrap();
        let mut live: std::collections::BTreeMap<String, ServicePoint> =
            points.iter().map(|p| (p.id.clone(), p.clone())).collect();
        for (i, remove, to) in ops {
            if points.is_empty() {
                break;
            }
            let id = points[i.index(points.len())].id.clone();
            if remove {
                prop_assert_eq!(index.remove(&id).is_some(), live.remove(&id).is_some());
            } else {
                let mut p = points[i.index(points.len())].clone();
                p.location = to;
                let old = index.upsert(p.clone());
                prop_assert_eq!(old.map(|o| o.location), live.insert(id, p).map(|o| o.location));
            }
            prop_assert_eq!(index.len(), live.len());
        }
        let live: Vec<ServicePoint> = live.into_values().collect();
        let filter = Filter::default();
        assert_same(&index.nearest(from, live.len(), &filter), &brute_force(&live, from, &filter))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// A page of a listing (id order, filters, optional bbox, any offset) equals the brute
    /// force answer: filter every point, sort by id, skip and take; `matched` counts them all.
    /// Checked after random edits that move points and change their kind and amenities, so
    /// the per-kind lists and the cached counts must follow every change.
    #[test]
    fn page_matches_brute_force(
        points in arb_points(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, arb_position(), any::<u8>()), 0..20),
        bbox in prop::option::of((108.0..115.0f64, 24.0..31.0f64, 0.0..6.0f64, 0.0..6.0f64)),
        whole_world in any::<bool>(),
        filter in arb_filter(),
        offset in prop_oneof![0..5usize, 0..200usize],
        limit in 1..30usize,
    ) {
        let mut index = ServiceIndex::new(points.clone()).unwrap();
        let mut live: std::collections::BTreeMap<String, ServicePoint> =
            points.iter().map(|p| (p.id.clone(), p.clone())).collect();
        // Counted and measured before the edits: the cached count and extents must follow them.
        let _ = index.count(&filter);
        let _ = index.extent_of_kind(ServiceKind::Station);
        for (i, op, to, extra) in edits {
            if points.is_empty() {
                break;
            }
            let i = i.index(points.len());
            match op {
                0 => {
                    index.remove(&points[i].id);
                    live.remove(&points[i].id);
                }
                _ => {
                    let p = point(i, to, extra);
                    index.upsert(p.clone());
                    live.insert(p.id.clone(), p);
                }
            }
        }
        let bbox = if whole_world {
            Some(Bbox::new(-180.0, -90.0, 180.0, 90.0).unwrap())
        } else {
            bbox.map(|(w, s, dw, dn)| Bbox::new(w, s, w + dw, s + dn).unwrap())
        };
        let all: Vec<&ServicePoint> = live
            .values()
            .filter(|p| filter.admits(p) && bbox.is_none_or(|b| b.contains(p.location)))
            .collect();
        let want: Vec<&str> = all.iter().skip(offset).take(limit).map(|p| p.id.as_str()).collect();
        for _ in 0..2 {
            let page = index.page(bbox.as_ref(), &filter, offset, limit);
            let got: Vec<&str> = page.points.iter().map(|p| p.id.as_str()).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(page.matched, all.len());
        }
        if bbox.is_none() {
            prop_assert_eq!(index.count(&filter), all.len());
        }
        for kind in ServiceKind::ALL {
            let of_kind: Vec<LonLat> = live.values().filter(|p| p.kind == *kind).map(|p| p.location).collect();
            prop_assert_eq!(index.count_of_kind(*kind), of_kind.len());
            let want = (!of_kind.is_empty()).then(|| {
                let f = |g: fn(f64, f64) -> f64, c: fn(&LonLat) -> f64, start: f64| of_kind.iter().map(c).fold(start, g);
                [f(f64::min, |p| p.lon, 180.0), f(f64::min, |p| p.lat, 90.0), f(f64::max, |p| p.lon, -180.0), f(f64::max, |p| p.lat, -90.0)]
            });
            let got = index.extent_of_kind(*kind).map(|b| [b.west, b.south, b.east, b.north]);
            prop_assert_eq!(got, want);
        }
        let sorted: Vec<&str> = index.iter_sorted().map(|p| p.id.as_str()).collect();
        let want_sorted: Vec<&str> = live.keys().map(String::as_str).collect();
        prop_assert_eq!(sorted, want_sorted);
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-made cases.

#[test]
fn filters_apply_before_the_limit() {
    // The three nearest points lack charging; the fourth has it. k = 1 with the filter must
    // return the fourth, not nothing.
    let from = ll(112.97, 28.19);
    let mut pts: Vec<ServicePoint> = (0..4)
        .map(|i| {
            ServicePoint::new(
                format!("s{i}"),
                ServiceKind::Station,
                "驿站",
                ll(112.97 + 0.001 * (i + 1) as f64, 28.19),
            )
        })
        .collect();
    pts[3].amenities.insert(Amenity::Charging);
    let index = ServiceIndex::new(pts).unwrap();
    let filter = Filter {
        amenities: [Amenity::Charging].into_iter().collect(),
        ..Filter::default()
    };
    let hits = index.nearest(from, 1, &filter);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].point.id, "s3");
    // 0.004° of longitude at 28.19° N: GeographicLib 2.0
    // Geodesic.WGS84.Inverse(28.19, 112.97, 28.19, 112.974)["s12"] = 392.7552048429147 m.
    assert!((hits[0].distance_m - 392.755_204_842_914_7).abs() < 1e-6);
}

#[test]
fn ties_are_broken_by_id_and_duplicates_remove_cleanly() {
    let at = ll(113.0, 28.0);
    let pts: Vec<ServicePoint> = ["c", "a", "b"]
        .iter()
        .map(|id| ServicePoint::new(*id, ServiceKind::Station, "驿站", at))
        .collect();
    let mut index = ServiceIndex::new(pts).unwrap();
    let ids = |hits: Vec<Hit>| hits.iter().map(|h| h.point.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(index.nearest(ll(113.1, 28.0), 3, &Filter::default())),
        ["a", "b", "c"]
    );
    assert_eq!(index.remove("b").unwrap().id, "b");
    assert!(index.remove("b").is_none());
    assert_eq!(ids(index.within(at, 0.0, &Filter::default())), ["a", "c"]);
    assert_eq!(index.len(), 2);
    assert!(index.get("b").is_none());
}

#[test]
fn radius_reaches_the_antipode_and_crosses_the_antimeridian() {
    let pts = vec![
        ServicePoint::new("fiji-east", ServiceKind::Station, "a", ll(-179.9, -16.5)),
        ServicePoint::new("fiji-west", ServiceKind::Station, "b", ll(179.9, -16.5)),
        ServicePoint::new("antipode", ServiceKind::Station, "c", ll(-0.1, 16.5)),
        ServicePoint::new("north-pole", ServiceKind::Station, "d", ll(0.0, 90.0)),
    ];
    let index = ServiceIndex::new(pts).unwrap();
    let from = ll(179.9, -16.5);
    // 21 352.830 m across the antimeridian (GeographicLib, table above).
    let hits = index.within(from, 21_353.0, &Filter::default());
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].point.id, "fiji-east");
    assert!(index.within(from, 21_352.0, &Filter::default()).len() == 1);
    // Half the meridian circumference (20 003 931.459 m, GeographicLib pole to pole) covers
    // every point, the exact antipode included.
    assert_eq!(
        index.within(from, 20_003_931.459, &Filter::default()).len(),
        4
    );
    assert_eq!(
        index.within(from, f64::INFINITY, &Filter::default()).len(),
        4
    );
    assert!(index.within(from, -1.0, &Filter::default()).is_empty());
    assert!(index.within(from, f64::NAN, &Filter::default()).is_empty());
    // At the pole every longitude is the same place: any query from the pole finds it at 0 m.
    let hit = &index.nearest(ll(123.0, 90.0), 1, &Filter::default())[0];
    assert_eq!(hit.point.id, "north-pole");
    assert!(hit.distance_m < 1e-6);
}

#[test]
fn bbox_across_the_antimeridian_and_around_a_pole() {
    let pts = vec![
        ServicePoint::new("e", ServiceKind::Station, "a", ll(-179.5, 0.0)),
        ServicePoint::new("w", ServiceKind::Station, "b", ll(179.5, 0.0)),
        ServicePoint::new("far", ServiceKind::Station, "c", ll(0.0, 0.0)),
        ServicePoint::new("pole", ServiceKind::Station, "d", ll(45.0, 89.9)),
    ];
    let index = ServiceIndex::new(pts).unwrap();
    let ids = |b: Bbox| {
        index
            .in_bbox(&b, &Filter::default())
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(Bbox::new(179.0, -1.0, -179.0, 1.0).unwrap()),
        ["e", "w"]
    );
    assert_eq!(ids(Bbox::new(-180.0, 89.0, 180.0, 90.0).unwrap()), ["pole"]);
    assert_eq!(ids(Bbox::new(-180.0, -90.0, 180.0, 90.0).unwrap()).len(), 4);
    // Edges are inclusive.
    assert_eq!(ids(Bbox::new(0.0, 0.0, 0.0, 0.0).unwrap()), ["far"]);
}

#[test]
fn opening_hours_and_access_filter() {
    let mut open_247 = ServicePoint::new("a", ServiceKind::Station, "红色驿家", ll(113.0, 28.0));
    open_247.opening_hours = Some(OpeningHours::parse("24/7").unwrap());
    open_247.access = Some(AccessMethod::FaceScan);
    let mut office = ServicePoint::new("b", ServiceKind::Station, "驿站", ll(113.0, 28.0001));
    office.opening_hours = Some(OpeningHours::parse("Mo-Fr 08:00-20:00").unwrap());
    office.access = Some(AccessMethod::Open);
    let unknown = ServicePoint::new("c", ServiceKind::Station, "驿站", ll(113.0, 28.0002));
    let index = ServiceIndex::new(vec![open_247, office, unknown]).unwrap();
    let ids = |f: Filter| {
        index
            .nearest(ll(113.0, 28.0), 10, &f)
            .iter()
            .map(|h| h.point.id.clone())
            .collect::<Vec<_>>()
    };
    // Sunday 2026-11-29 23:00 local: only the 24/7 point; unknown hours never count as open.
    let sunday_night = NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_opt(23, 0, 0)
        .unwrap();
    let monday_noon = NaiveDate::from_ymd_opt(2026, 11, 30)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap();
    let at = |t| Filter {
        open_at: Some(t),
        ..Filter::default()
    };
    assert_eq!(ids(at(sunday_night)), ["a"]);
    assert_eq!(ids(at(monday_noon)), ["a", "b"]);
    let access = Filter {
        access: vec![AccessMethod::Open],
        ..Filter::default()
    };
    assert_eq!(ids(access), ["b"]);
    assert_eq!(ids(Filter::default()), ["a", "b", "c"]);
}

/// rstar 0.12's bulk load left leaves on different levels for some sizes, and a later insert
/// panicked ("This is a bug in rstar", rstar issue #256; found here by
/// `upsert_and_remove_keep_the_index_exact`). Fixed in rstar 0.13.1; this pins it.
#[test]
fn upsert_after_bulk_load_of_any_small_size() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let random_point = |rng: &mut rand_chacha::ChaCha8Rng| {
        let z: f64 = rng.random_range(-1.0..=1.0);
        ll(rng.random_range(-180.0..=180.0), z.asin().to_degrees())
    };
    for n in 1..200usize {
        let pts: Vec<ServicePoint> = (0..n)
            .map(|i| point(i, random_point(&mut rng), 0))
            .collect();
        let mut index = ServiceIndex::new(pts).unwrap();
        for j in 0..40 {
            index.upsert(point(n + j, random_point(&mut rng), 0));
        }
        assert_eq!(index.len(), n + 40);
    }
}
