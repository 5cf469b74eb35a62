//! A restart serves exactly what was imported (issue 16, "fast start"): the index a server
//! builds from the database (`Store::service_points_shared`, read and decoded on two
//! threads in batches, then `ServiceIndex::from_shared`, whose tree is bulk-loaded on a
//! second thread) answers every query exactly as the index built from the points in memory
//! before they were stored: the same records bit for bit, the same nearest points at the
//! same distances (compared as bits), the same radius and bbox answers, and the same
//! listing pages and counts.

// Test code: a failed step fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, TimeZone, Utc};
use nuanxin_core::index::{Filter, Hit, ServiceIndex};
use nuanxin_core::model::{
    AccessMethod, Amenity, Bbox, LonLat, OpeningHours, ServiceKind, ServicePoint,
};
use nuanxin_core::suggestions::Store;
use std::sync::Arc;

/// A small deterministic generator (SplitMix64), so the points do not depend on a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with all 53 bits used (positions that are not short decimals).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const HOURS: [&str; 4] = [
    "24/7",
    "Mo-Fr 08:00-20:00",
    "Mo-Su 07:00-22:00",
    "Sa,Su 09:00-17:00",
];

/// `n` points with every optional field sometimes set, clustered so that many are close
/// together (ties and near-ties in distance), a few exactly on top of each other, in an
/// order that is not the id order.
fn points(n: usize, seed: u64) -> Vec<ServicePoint> {
    let mut r = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Ids whose text order differs from the creation order ("p-10" < "p-9").
        let id = format!("p-{}", (i * 7919) % n);
        let kind = ServiceKind::ALL[r.below(ServiceKind::ALL.len())];
        let location = if i % 97 == 5 {
            // The same position as an earlier point: equal distances, ranked by id.
            out.get(i - 5).map_or_else(
                || LonLat::new(112.97, 28.2).unwrap(),
                |p: &ServicePoint| p.location,
            )
        } else {
            let (cx, cy) = [(112.97, 28.2), (113.1, 28.25), (111.5, 27.3)][r.below(3)];
            LonLat::new(cx + (r.unit() - 0.5) * 0.2, cy + (r.unit() - 0.5) * 0.2).unwrap()
        };
        let mut p = ServicePoint::new(id, kind, format!("驿站 {i}"), location);
        let mut maybe = |k: u64| r.next() % k == 0;
        if maybe(2) {
            p.address = Some(format!("五一大道 {i} 号"));
        }
        if maybe(2) {
            p.adcode = Some("430102".into());
        }
        if maybe(3) {
            p.opening_hours = Some(OpeningHours::parse(HOURS[i % HOURS.len()]).unwrap());
        }
        p.amenities = Amenity::ALL
            .iter()
            .copied()
            .filter(|_| r.next() % 3 == 0)
            .collect();
        if r.next() % 2 == 0 {
            p.access = Some(AccessMethod::ALL[r.below(AccessMethod::ALL.len())]);
        }
        p.operator = (r.next() % 2 == 0).then(|| "工会".to_string());
        p.phone = (r.next() % 4 == 0).then(|| "0731-1234567".to_string());
        p.source = (r.next() % 2 == 0).then(|| "a.csv".to_string());
        p.updated_at = (r.next() % 2 == 0).then(|| {
            Utc.timestamp_opt(1_764_000_000 + i as i64, 123_456_789)
                .unwrap()
        });
        p.demo = i % 11 == 0;
        if kind == ServiceKind::RiderFriendlyCommunity && i % 3 == 0 {
            p.entrance = Some(LonLat::new(location.lon + 1e-4, location.lat).unwrap());
            let (x, y) = (location.lon, location.lat);
            p.outline = Some(vec![vec![
                [x - 1e-3, y - 1e-3],
                [x + 1e-3, y - 1e-3],
                [x, y + 1e-3],
                [x - 1e-3, y - 1e-3],
            ]]);
        }
        out.push(p);
    }
    out
}

fn hit_key(hits: &[Hit]) -> Vec<(String, u64)> {
    hits.iter()
        .map(|h| (h.point.id.clone(), h.distance_m.to_bits()))
        .collect()
}

fn ids(points: &[Arc<ServicePoint>]) -> Vec<&str> {
    points.iter().map(|p| p.id.as_str()).collect()
}

fn filters() -> Vec<Filter> {
    let at = NaiveDate::from_ymd_opt(2026, 12, 5)
        .unwrap()
        .and_hms_opt(21, 30, 0)
        .unwrap();
    vec![
        Filter::default(),
        Filter {
            kinds: vec![ServiceKind::Station],
            ..Default::default()
        },
        Filter {
            kinds: vec![ServiceKind::LegalAid, ServiceKind::CollectionPoint],
            ..Default::default()
        },
        Filter {
            amenities: [Amenity::ALL[0], Amenity::ALL[1]].into_iter().collect(),
            ..Default::default()
        },
        Filter {
            access: vec![AccessMethod::ALL[0]],
            open_at: Some(at),
            ..Default::default()
        },
    ]
}

/// Asserts that `a` and `b` answer every query alike.
fn assert_same_answers(a: &ServiceIndex, b: &ServiceIndex, seed: u64) {
    assert_eq!(a.len(), b.len());
    assert_eq!(a.demo_count(), b.demo_count());
    for (x, y) in a.iter_sorted().zip(b.iter_sorted()) {
        assert_eq!(x, y);
        assert_eq!(x.location.lon.to_bits(), y.location.lon.to_bits());
        assert_eq!(x.location.lat.to_bits(), y.location.lat.to_bits());
    }
    let mut r = Rng(seed);
    for f in filters() {
        for _ in 0..150 {
            let (cx, cy) =
                [(112.97, 28.2), (113.1, 28.25), (111.5, 27.3), (116.4, 39.9)][r.below(4)];
            let q = LonLat::new(cx + (r.unit() - 0.5) * 0.3, cy + (r.unit() - 0.5) * 0.3).unwrap();
            for k in [1, 5, 40] {
                assert_eq!(hit_key(&a.nearest(q, k, &f)), hit_key(&b.nearest(q, k, &f)));
            }
            let radius_m = 500.0 + r.unit() * 3_000.0;
            assert_eq!(
                hit_key(&a.within(q, radius_m, &f)),
                hit_key(&b.within(q, radius_m, &f))
            );
            let bbox = Bbox {
                west: q.lon - 0.02,
                south: q.lat - 0.02,
                east: q.lon + 0.02,
                north: q.lat + 0.02,
            };
            assert_eq!(ids(&a.in_bbox(&bbox, &f)), ids(&b.in_bbox(&bbox, &f)));
            let (pa, pb) = (
                a.page(Some(&bbox), &f, 3, 20),
                b.page(Some(&bbox), &f, 3, 20),
            );
            assert_eq!((ids(&pa.points), pa.matched), (ids(&pb.points), pb.matched));
        }
        for offset in [0, 1, 99, 1_000, 2_999, a.len()] {
            let (pa, pb) = (a.page(None, &f, offset, 100), b.page(None, &f, offset, 100));
            assert_eq!((ids(&pa.points), pa.matched), (ids(&pb.points), pb.matched));
        }
        assert_eq!(a.count(&f), b.count(&f));
    }
    for kind in ServiceKind::ALL {
        assert_eq!(a.count_of_kind(*kind), b.count_of_kind(*kind));
        assert_eq!(a.extent_of_kind(*kind), b.extent_of_kind(*kind));
    }
}

/// Several read batches (1 024 rows each) and a part batch: the index rebuilt from the
/// database equals the one built from the imported points.
#[test]
fn a_restarted_index_answers_exactly_as_the_imported_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("restart.db")).unwrap();
    let imported = points(5_000, 16);
    store.upsert_service_points(&imported, None).unwrap();
    let fresh = ServiceIndex::new(imported.clone()).unwrap();
    let read = store.service_points_shared().unwrap();
    // The records come back in id order and equal to what was stored.
    let mut expected = imported;
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(read.len(), expected.len());
    assert!(read.iter().map(|p| &**p).eq(expected.iter()));
    let restarted = ServiceIndex::from_shared(read).unwrap();
    assert_same_answers(&fresh, &restarted, 7);
    // The owned read is the same list.
    assert!(store.service_points().unwrap().iter().eq(expected.iter()));
}

/// Points given out of id order (not the store's order) build the same index, and a
/// duplicate id is refused by either constructor.
#[test]
fn the_shared_constructor_sorts_and_refuses_duplicates() {
    let pts = points(2_000, 3);
    let fresh = ServiceIndex::new(pts.clone()).unwrap();
    let mut shared: Vec<Arc<ServicePoint>> = pts.iter().cloned().map(Arc::new).collect();
    shared.reverse();
    let from_shared = ServiceIndex::from_shared(shared.clone()).unwrap();
    assert_same_answers(&fresh, &from_shared, 11);
    shared.push(shared[17].clone());
    let dup = shared[17].id.clone();
    let err = ServiceIndex::from_shared(shared).unwrap_err().to_string();
    assert!(err.contains(&dup), "{err}");
}

/// A damaged record in a later batch is reported with its id, whichever thread finds it,
/// and nothing is returned.
#[test]
fn a_damaged_record_in_a_later_batch_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.db");
    let store = Store::open(&path).unwrap();
    let pts = points(4_000, 5);
    store.upsert_service_points(&pts, None).unwrap();
    drop(store);
    let mut sorted: Vec<&str> = pts.iter().map(|p| p.id.as_str()).collect();
    sorted.sort_unstable();
    // The 3 500th row in id order: in the fourth batch.
    let victim = sorted[3_500].to_string();
    // An unknown format version, written behind the store's back.
    let c = rusqlite::Connection::open(&path).unwrap();
    let changed = c
        .execute(
            "UPDATE service_points SET record = x'0900' WHERE id = ?1",
            [&victim],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(c);
    let store = Store::open(&path).unwrap();
    let err = nuanxin_core::error::report(&store.service_points_shared().unwrap_err());
    assert!(err.contains(&victim) && err.contains("version 9"), "{err}");
}
