//! Tests of the store.
//!
//! Why this file is long: the store's tests share their fixtures and run on both engines; they
//! are split from the code they test, not from each other.

use super::*;
use crate::model::ServiceKind;

fn note(text: &str) -> PublicNote {
    PublicNote::new(text).unwrap()
}

fn new_at(lon: f64, lat: f64, cat: Category, t: &str) -> NewSuggestion {
    let p = LonLat::new(lon, lat).unwrap();
    NewSuggestion {
        location: p,
        input_location: p,
        input_crs: Crs::Wgs84,
        category: cat,
        description: "小区不让骑手进 🛵".into(),
        role: Some(ReporterRole::Rider),
        contact: Some(Contact {
            kind: ContactKind::Phone,
            value: "13800138000".into(),
        }),
        email: Some("Wang.Rider@Example.COM".into()),
        first_name: Some("小明".into()),
        last_name: Some("王".into()),
        campaign_id: None,
        adcode: Some("430102".into()),
        collection_point: None,
        photo: None,
        created_at: t.parse().unwrap(),
    }
}

fn officer(store: &Store) -> Officer {
    store
        .create_token(OfficerRole::Officer, &["430102".into()], "张三")
        .unwrap()
        .0
}

#[test]
fn migrates_once_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path).unwrap();
    assert_eq!(s.engine(), Engine::Sqlite);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let Backend::Sqlite(db) = &s.backend else {
        unreachable!()
    };
    assert_eq!(db.pragma("journal_mode"), Value::Text("wal".into()));
    // synchronous FULL = 2 (SQLite docs)
    assert_eq!(db.pragma("synchronous"), Value::Int(2));
    let (sug, _) = s
        .insert_suggestion(new_at(
            112.97,
            28.2,
            Category::Parking,
            "2026-01-01T00:00:00Z",
        ))
        .unwrap();
    drop(s);
    // `sqlite:` names the same file
    let s = Store::open(Path::new(&format!("sqlite:{}", path.display()))).unwrap();
    let back = s.suggestion(&sug.id).unwrap().unwrap();
    // the private contact is stored whole (the store keeps what it is given; the domain
    // is lower-cased by `privacy::parse_email` before)
    assert_eq!(back.email.as_deref(), Some("Wang.Rider@Example.COM"));
    assert_eq!(back.first_name.as_deref(), Some("小明"));
    assert_eq!(back.last_name.as_deref(), Some("王"));
    assert_eq!(
        back.contact.map(|c| c.value).as_deref(),
        Some("13800138000")
    );
}

/// Issue 16: with checkpoints in the background, commits no longer checkpoint (the writing
/// connection's `wal_autocheckpoint` is 0) and the WAL is still recycled: 600 commits of
/// 16 KB in bursts of 50 (about 12 MB of WAL without checkpoints; about 4 MB, 1 000 pages,
/// with SQLite's automatic ones in the commits) leave a WAL file far below either, and
/// every row is kept.
#[test]
fn background_checkpoints_recycle_the_wal_without_the_commits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path).unwrap();
    let Backend::Sqlite(db) = &s.backend else {
        unreachable!()
    };
    assert_eq!(db.writer_pragma("wal_autocheckpoint"), Value::Int(1000));
    s.checkpoint_in_background(std::time::Duration::from_millis(1))
        .unwrap();
    assert_eq!(db.writer_pragma("wal_autocheckpoint"), Value::Int(0));
    s.write(|c| c.batch("CREATE TABLE scratch (b BLOB)"))
        .unwrap();
    for i in 0..600u32 {
        let mut blob = vec![0u8; 16_000];
        blob[..4].copy_from_slice(&i.to_le_bytes());
        s.write(|c| c.execute("INSERT INTO scratch (b) VALUES (?1)", &[Value::Bytes(blob)]))
            .unwrap();
        if i % 50 == 49 {
            // a pause: the checkpointer completes, the next commit starts the WAL afresh
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    let wal = std::fs::metadata(dir.path().join("t.db-wal"))
        .unwrap()
        .len();
    assert!(wal < 3_000_000, "WAL of {wal} bytes: not recycled");
    drop(s);
    let s = Store::open(&path).unwrap();
    let n = s
        .read(|c| c.query_opt("SELECT count(*) FROM scratch", &[]))
        .unwrap()
        .unwrap();
    assert_eq!(n.0[0], Value::Int(600));
}

/// PostgreSQL: servers starting together apply each migration once (advisory lock),
/// record it in `schema_migrations`, and run with `synchronous_commit = on`.
#[test]
fn postgres_migrates_once_under_concurrent_opens() {
    let Ok(url) = std::env::var("NUANXIN_TEST_DATABASE_URL") else {
        return;
    };
    let name = format!(
        "nuanxin_test_{}_{}",
        std::process::id(),
        random_hex(6).unwrap()
    );
    let config = super::super::pg::create_database(&url, &name).unwrap();
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || Store::open_postgres(config))
        })
        .collect();
    let stores: Vec<Store> = opens
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    let s = &stores[0];
    assert_eq!(s.engine(), Engine::Postgres);
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let (n, sync) = s
        .read(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM schema_migrations", &[])?
                .get(0)?;
            let sync: String = c.query_one("SHOW synchronous_commit", &[])?.get(0)?;
            Ok::<_, StoreError>((n, sync))
        })
        .unwrap();
    assert_eq!(n, MIGRATIONS.len() as i64);
    assert_eq!(sync, "on");
    // one salt for every server
    assert!(stores.iter().all(|t| t.salt == s.salt));
    let (sug, _) = stores[1]
        .insert_suggestion(new_at(
            112.97,
            28.2,
            Category::Parking,
            "2026-01-01T00:00:00Z",
        ))
        .unwrap();
    assert!(stores[3].suggestion(&sug.id).unwrap().is_some());
}

/// A failing write leaves nothing behind, on either engine, and the error says which
/// constraint: a duplicate key in a batch, a suggestion naming a campaign that does not
/// exist (no suggestion, no history row).
#[test]
fn writes_are_all_or_nothing_and_errors_classified() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let r = s.write(|c| {
        c.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')", &[])?;
        c.execute("INSERT INTO meta (key, value) VALUES ('x', 'z')", &[])?;
        Ok::<_, StoreError>(())
    });
    match r {
        // SQLite: "UNIQUE constraint failed: meta.key"; PostgreSQL: 23505 "meta_pkey"
        Err(e @ StoreError::Constraint { .. }) => {
            let m = crate::error::report(&e);
            assert!(m.contains("meta"), "{m}");
            // the driver's error is kept, typed, as the source
            let source = std::error::Error::source(&e).unwrap();
            assert!(
                source.is::<rusqlite::Error>() || source.is::<tokio_postgres::Error>(),
                "{source:?}"
            );
            assert!(
                !e.to_string().contains("meta"),
                "the source is not repeated: {e}"
            );
        }
        other => panic!("{other:?}"),
    }
    let x = s
        .read(|c| c.query_opt("SELECT value FROM meta WHERE key = 'x'", &[]))
        .unwrap();
    assert_eq!(x, None);
    let mut n = new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z");
    n.campaign_id = Some("no-such-campaign".into());
    n.photo = Some(("image/jpeg".into(), vec![0xff, 0xd8, 0xff, 0xd9]));
    assert!(matches!(
        s.insert_suggestion(n),
        Err(StoreError::Constraint { .. })
    ));
    let counts = s
        .read(|c| {
            let a: i64 = c
                .query_one("SELECT count(*) FROM suggestions", &[])?
                .get(0)?;
            let b: i64 = c
                .query_one("SELECT count(*) FROM status_changes", &[])?
                .get(0)?;
            Ok::<_, StoreError>((a, b))
        })
        .unwrap();
    assert_eq!(counts, (0, 0));
    // the store still works after the failed transactions
    s.insert_suggestion(new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z"))
        .unwrap();
}

/// A PostgreSQL server that refuses the connection is "unavailable" (503, retry), and the
/// message names the database but never the password.
#[test]
fn refused_postgres_is_unavailable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://nuanxin:s3cret@127.0.0.1:{port}/nuanxin?connect_timeout=2");
    match Store::open(Path::new(&url)) {
        Err(e @ StoreError::Unavailable { .. }) => {
            let m = crate::error::report(&e);
            assert!(m.contains(&format!("127.0.0.1:{port}/nuanxin")), "{m}");
            assert!(
                m.contains("refused"),
                "the OS's reason is in the chain: {m}"
            );
            assert!(!m.contains("s3cret"), "{m}");
            assert!(std::error::Error::source(&e).is_some_and(|s| s.is::<tokio_postgres::Error>()));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Store::open(Path::new("postgres://127.0.0.1:notaport/x")),
        Err(StoreError::Database { .. })
    ));
}

/// A panic inside a store call (a bug) does not keep its connection out of the pool:
/// more panics than connections, and the store still answers (a leaked pool would make
/// the read below wait for a free connection and fail as unavailable).
#[test]
fn postgres_pool_survives_panics() {
    if std::env::var_os("NUANXIN_TEST_DATABASE_URL").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    for _ in 0..super::super::pg::MAX_CONNECTIONS + 2 {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            s.write(|c| -> Result<(), StoreError> {
                c.execute("INSERT INTO meta (key, value) VALUES ('p', 'q')", &[])?;
                panic!("a bug")
            })
        }));
        assert!(r.is_err());
    }
    let p = s
        .read(|c| c.query_opt("SELECT value FROM meta WHERE key = 'p'", &[]))
        .unwrap();
    assert_eq!(p, None, "the panicking transactions were not committed");
}

#[test]
fn service_point_crud() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let p = ServicePoint::new(
        "p1",
        ServiceKind::Station,
        "驿站",
        LonLat::new(112.9, 28.2).unwrap(),
    );
    s.replace_service_points(std::slice::from_ref(&p)).unwrap();
    assert_eq!(s.service_points().unwrap(), vec![p.clone()]);
    let mut q = p.clone();
    q.name = "新驿站".into();
    assert!(s.upsert_service_point(&q, None).unwrap());
    assert_eq!(s.service_point("p1").unwrap().unwrap().name, "新驿站");
    assert!(s.delete_service_point("p1", None).unwrap());
    assert!(!s.delete_service_point("p1", None).unwrap());
    assert!(s.service_points().unwrap().is_empty());
    let log = s.audit_log(10, 0).unwrap();
    assert_eq!(log[0].action, "point.delete");
    assert_eq!(log[1].action, "point.upsert");
}

/// The points read back from the binary records equal those read from the JSON texts
/// and those stored, in id order; a row of an older version (no record) is read from
/// its JSON and converted on the next open; damaged records and texts are named.
#[test]
fn service_points_read_from_records_and_older_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    // Ids whose text order differs from their creation order ("p10000" < "p9"), and
    // positions that are not binary fractions (bits must survive the record exactly).
    let points: Vec<ServicePoint> = (0..10_001)
        .rev()
        .map(|i| {
            let mut p = ServicePoint::new(
                format!("p{i}"),
                ServiceKind::ALL[i % ServiceKind::ALL.len()],
                format!("驿站 {i}"),
                LonLat::new(112.0 + f64::from(i as u32) * 1e-5 / 3.0, 28.2).unwrap(),
            );
            p.demo = i % 7 == 0;
            p
        })
        .collect();
    s.replace_service_points(&points).unwrap();
    let mut expected = points.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    let got = s.service_points().unwrap();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
        assert_eq!(g.location.lon.to_bits(), e.location.lon.to_bits());
    }
    assert_eq!(s.service_points_from_json().unwrap().len(), expected.len());
    assert_eq!(
        s.service_point("p17").unwrap().as_ref(),
        Some(&points[10_000 - 17])
    );
    // Typed columns for SQL.
    let kinds = s
        .read(|c| {
            c.query_one(
                "SELECT count(*) FROM service_points WHERE kind = 'station' AND lat = 28.2",
                &[],
            )
        })
        .unwrap();
    assert_eq!(kinds.get::<i64>(0).unwrap(), 2501); // i % 4 == 0 for i in 0..=10000
                                                    // An older row: JSON only.
    let old = ServicePoint::new(
        "old-1",
        ServiceKind::LegalAid,
        "旧",
        LonLat::new(113.0, 28.0).unwrap(),
    );
    let bad = "{\"id\":\"old-2\"}";
    s.write(|c| {
        c.execute(
            "INSERT INTO service_points (id, json, updated_at) VALUES (?1, ?2, 0), ('old-2', ?3, 0)",
            &args!["old-1", serde_json::to_string(&old).unwrap(), bad],
        )
    })
    .unwrap();
    assert_eq!(s.service_point("old-1").unwrap(), Some(old.clone()));
    let err = s.service_points().unwrap_err().to_string();
    assert!(err.contains("old-2"), "{err}");
    // Converted on the next open; the undecodable row is left alone (no endless loop).
    assert_eq!(s.fill_point_records().unwrap(), 1);
    assert_eq!(s.fill_point_records().unwrap(), 0);
    s.write(|c| c.execute("DELETE FROM service_points WHERE id = 'old-2'", &[]))
        .unwrap();
    let row = s
        .read(|c| {
            c.query_one(
                "SELECT kind, record FROM service_points WHERE id = 'old-1'",
                &[],
            )
        })
        .unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), "legal_aid");
    assert_eq!(row.get::<Vec<u8>>(1).unwrap(), old.to_record());
    assert_eq!(s.service_points().unwrap().len(), expected.len() + 1);
    // A damaged record is named.
    s.write(|c| {
        c.execute(
            "UPDATE service_points SET record = ?1 WHERE id = 'p7777'",
            &args![vec![9u8, 0]],
        )
    })
    .unwrap();
    let err = crate::error::report(&s.service_points().unwrap_err());
    assert!(err.contains("p7777") && err.contains("version 9"), "{err}");
    // Replacing a kind removes converted and unconverted rows of it alike.
    s.write(|c| {
        c.execute(
            "INSERT INTO service_points (id, json, updated_at) VALUES ('old-3', ?1, 0)",
            &args![serde_json::to_string(&old).unwrap()],
        )
    })
    .unwrap();
    let removed = s
        .replace_service_points_of_kinds(&[ServiceKind::LegalAid], &[], None)
        .unwrap();
    assert_eq!(removed, 2500 + 2); // i % 4 == 1, old-1, old-3
}

/// A streamed import is one transaction: an error of the producer stores nothing; with
/// `remove_kinds_seen` the stored points of each kind the stream holds are removed
/// before its first point is stored, other kinds are kept.
#[test]
fn streamed_imports_are_all_or_nothing_and_replace_the_kinds_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let at = |i: u32| LonLat::new(112.9 + f64::from(i) * 1e-3, 28.2).unwrap();
    let pt = |id: &str, kind, i| ServicePoint::new(id, kind, format!("点 {id}"), at(i));
    s.replace_service_points(&[
        pt("s1", ServiceKind::Station, 1),
        pt("s2", ServiceKind::Station, 2),
        pt("l1", ServiceKind::LegalAid, 3),
    ])
    .unwrap();
    let before = s.service_points().unwrap();
    let err = s
        .import_points_streamed(PointImportMode::default(), None, |put| {
            put(&pt("s9", ServiceKind::Station, 9))?;
            put(&pt("s1", ServiceKind::LegalAid, 1))?;
            Err::<(), _>(StoreError::database("the file was rejected"))
        })
        .unwrap_err();
    assert!(err.to_string().contains("rejected"));
    assert_eq!(s.service_points().unwrap(), before);
    let mode = PointImportMode {
        remove_kinds: vec![ServiceKind::CollectionPoint],
        remove_kinds_seen: true,
    };
    let ((), counts) = s
        .import_points_streamed(mode, None, |put| {
            put(&pt("s2", ServiceKind::Station, 5))?;
            put(&pt("s3", ServiceKind::Station, 6))
        })
        .unwrap();
    // s1 and s2 removed with their kind, then s2 and s3 stored as new ids.
    assert_eq!(
        counts,
        PointImportCounts {
            stored: 2,
            replaced: 0,
            removed: 2
        }
    );
    let ids: Vec<String> = s
        .service_points()
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, ["l1", "s2", "s3"]);
    assert_eq!(s.service_point("s2").unwrap().unwrap().location, at(5));
    let log = s.audit_log(1, 0).unwrap();
    assert_eq!(log[0].action, "points.replace");
    // Without removal, an existing id is replaced and counted.
    let ((), counts) = s
        .import_points_streamed(PointImportMode::default(), None, |put| {
            put(&pt("l1", ServiceKind::LegalAid, 7))
        })
        .unwrap();
    assert_eq!((counts.stored, counts.replaced, counts.removed), (1, 1, 0));
}

#[test]
fn description_is_byte_exact_and_receipt_checks() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let mut n = new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z");
    n.description = "e\u{301} 👩‍👩‍👧 \u{1F1E8}\u{1F1F3}\r\n\t末尾空格 ".into();
    let want = n.description.clone();
    let (sug, receipt) = s.insert_suggestion(n).unwrap();
    assert_eq!(sug.description.as_bytes(), want.as_bytes());
    assert!(s.check_receipt(&sug.id, &receipt).unwrap());
    assert!(!s.check_receipt(&sug.id, "nope").unwrap());
    assert!(sug.id.starts_with("S20260101-"));
    assert_eq!(sug.history.len(), 1);
}

/// The R*Tree look-up returns exactly what a scan of every open suggestion with the
/// geodesic distance returns, after accepting and rejecting some (the triggers keep the
/// tree in step), and on a database created at schema version 1 (the migration fills it).
#[test]
fn nearby_open_matches_a_full_scan() {
    use rand::{Rng, SeedableRng};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // SQLite: a version-1 database, then migrated (PostgreSQL: a fresh one).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0].sqlite).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let s = if std::env::var_os("NUANXIN_TEST_DATABASE_URL").is_some() {
        Store::open_for_test(dir.path()).unwrap()
    } else {
        Store::open(&path).unwrap()
    };
    let o = officer(&s);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let cats = [Category::Parking, Category::Rest];
    let mut all = Vec::new();
    for i in 0..300 {
        let (lon, lat) = (
            112.97 + rng.random_range(-0.02..0.02),
            28.2 + rng.random_range(-0.02..0.02),
        );
        let (sug, _) = s
            .insert_suggestion(new_at(lon, lat, cats[i % 2], "2026-01-01T00:00:00Z"))
            .unwrap();
        all.push(sug);
    }
    let t = "2026-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let mut open = vec![true; all.len()];
    for (i, sug) in all.iter().enumerate() {
        if i % 3 == 0 {
            s.transition(&sug.id, Status::Accepted, &note("已受理"), &o, t)
                .unwrap();
        }
        if i % 5 == 0 {
            let to = if i % 3 == 0 {
                Status::Resolved
            } else {
                Status::Declined
            };
            if s.transition(&sug.id, to, &note("办结"), &o, t).is_ok() {
                open[i] = false;
            }
        }
    }
    assert!(open.iter().any(|o| !o) && open.iter().any(|o| *o));
    for q in 0..40 {
        let at = LonLat::new(
            112.97 + rng.random_range(-0.02..0.02),
            28.2 + rng.random_range(-0.02..0.02),
        )
        .unwrap();
        let radius = [50.0, 300.0, 1500.0, 5000.0][q % 4];
        let cat = cats[q % 2];
        let got: Vec<String> = s
            .nearby_open(at, cat, radius)
            .unwrap()
            .into_iter()
            .map(|(x, _)| x.id)
            .collect();
        let mut want: Vec<(f64, String)> = all
            .iter()
            .zip(&open)
            .filter(|(x, o)| **o && x.category == cat)
            .map(|(x, _)| {
                (
                    crate::geodesy::karney_distance_m(at, x.location),
                    x.id.clone(),
                )
            })
            .filter(|(d, _)| *d <= radius)
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        assert_eq!(got, want, "query {q} at {at:?} r {radius}");
    }
}

#[test]
fn transitions_support_and_nearby() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let o = officer(&s);
    let (a, _) = s
        .insert_suggestion(new_at(
            112.97,
            28.2,
            Category::Parking,
            "2026-01-01T00:00:00Z",
        ))
        .unwrap();
    // 0.002° of latitude north: Python geographiclib 2.0
    // Geodesic.WGS84.Inverse(28.2, 112.97, 28.202, 112.97)['s12'] = 221.645399 m
    let (b, _) = s
        .insert_suggestion(new_at(
            112.97,
            28.202,
            Category::Parking,
            "2026-01-01T01:00:00Z",
        ))
        .unwrap();
    s.insert_suggestion(new_at(
        112.97,
        28.2001,
        Category::Rest,
        "2026-01-01T01:00:00Z",
    ))
    .unwrap();
    let near = s
        .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 300.0)
        .unwrap();
    assert_eq!(near.len(), 2);
    assert_eq!(near[0].0.id, a.id);
    assert!((near[1].1 - 221.645399).abs() < 1e-3, "{}", near[1].1);
    let near = s
        .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 200.0)
        .unwrap();
    assert_eq!(near.len(), 1);

    let t = |h: &str| h.parse::<DateTime<Utc>>().unwrap();
    let err = s
        .transition(
            &a.id,
            Status::Resolved,
            &note("x"),
            &o,
            t("2026-01-01T02:00:00Z"),
        )
        .unwrap_err();
    assert!(matches!(err, SuggestionError::BadTransition { .. }));
    s.transition(
        &a.id,
        Status::Accepted,
        &note("已受理"),
        &o,
        t("2026-01-01T02:00:00Z"),
    )
    .unwrap();
    let done = s
        .transition(
            &a.id,
            Status::Resolved,
            &note("已设停车点"),
            &o,
            t("2026-01-02T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(done.status, Status::Resolved);
    assert_eq!(done.first_answer_at, Some(t("2026-01-01T02:00:00Z")));
    assert_eq!(done.resolved_at, Some(t("2026-01-02T00:00:00Z")));
    assert_eq!(done.history.len(), 3);
    assert_eq!(done.history[2].officer_name.as_deref(), Some("张三"));
    // resolved ones are not "open": only b remains nearby
    let near = s
        .nearby_open(LonLat::new(112.97, 28.2).unwrap(), Category::Parking, 300.0)
        .unwrap();
    assert_eq!(near.len(), 1);
    assert_eq!(near[0].0.id, b.id);
    // reopen clears resolved_at
    let re = s
        .transition(
            &a.id,
            Status::Accepted,
            &note("重新办理"),
            &o,
            t("2026-01-03T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(re.resolved_at, None);

    assert_eq!(
        s.support(&b.id, "10.0.0.1").unwrap(),
        SupportOutcome {
            supporters: 1,
            counted: true
        }
    );
    assert_eq!(
        s.support(&b.id, "10.0.0.1").unwrap(),
        SupportOutcome {
            supporters: 1,
            counted: false
        }
    );
    assert_eq!(s.support(&b.id, "10.0.0.2").unwrap().supporters, 2);
    assert!(matches!(
        s.support("nope", "x"),
        Err(SuggestionError::NotFound(_))
    ));
}

#[test]
fn reporter_reopens_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let o = officer(&s);
    let t = |h: &str| h.parse::<DateTime<Utc>>().unwrap();
    let (a, _) = s
        .insert_suggestion(new_at(112.97, 28.2, Category::Rest, "2026-01-01T00:00:00Z"))
        .unwrap();
    assert!(matches!(
        s.reopen_by_reporter(&a.id, &note("x"), t("2026-01-02T00:00:00Z")),
        Err(SuggestionError::Conflict(_))
    ));
    s.transition(
        &a.id,
        Status::Declined,
        &note("不予采纳"),
        &o,
        t("2026-01-02T00:00:00Z"),
    )
    .unwrap();
    // 2026-01-02 + 90 days = 2026-04-02 (Jan 29 + Feb 28 + Mar 31 = 88 days to Mar 31)
    assert!(matches!(
        s.reopen_by_reporter(&a.id, &note("x"), t("2026-04-02T00:00:01Z")),
        Err(SuggestionError::Conflict(_))
    ));
    let r = s
        .reopen_by_reporter(&a.id, &note("问题还在"), t("2026-04-02T00:00:00Z"))
        .unwrap();
    assert_eq!(r.status, Status::Accepted);
    assert_eq!(r.history.last().unwrap().officer_id, None);
    // the reporter's reopening is not an officer's first answer
    assert_eq!(r.first_answer_at, Some(t("2026-01-02T00:00:00Z")));
    assert_eq!(s.audit_log(1, 0).unwrap()[0].actor_name, "reporter");
}

#[test]
fn tokens_are_hashed_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    let (o, token) = s
        .create_token(OfficerRole::Officer, &["430100".into()], "李四")
        .unwrap();
    let stored: String = s
        .read(|c| {
            c.query_one("SELECT token_hash FROM officer_tokens", &[])?
                .get(0)
        })
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored.len(), 64);
    assert_eq!(s.authenticate(&token).unwrap().unwrap().id, o.id);
    // a city token covers its counties: 430102 芙蓉区 is in 430100 长沙市
    assert!(o.handles(Some("430102")));
    assert!(!o.handles(Some("430202")));
    assert!(!o.handles(None));
    assert!(s.revoke_token(o.id).unwrap());
    assert!(s.authenticate(&token).unwrap().is_none());
}

#[test]
fn list_filters_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open_for_test(dir.path()).unwrap();
    for i in 0..5 {
        let cat = if i % 2 == 0 {
            Category::Parking
        } else {
            Category::Rest
        };
        s.insert_suggestion(new_at(
            112.9 + i as f64 * 0.01,
            28.2,
            cat,
            &format!("2026-01-0{}T00:00:00Z", i + 1),
        ))
        .unwrap();
    }
    let (all, total) = s.list_suggestions(&ListQuery::default()).unwrap();
    assert_eq!((all.len(), total), (5, 5));
    assert!(all[0].created_at > all[4].created_at);
    let q = ListQuery {
        categories: vec![Category::Parking],
        limit: 2,
        ..Default::default()
    };
    let (page, total) = s.list_suggestions(&q).unwrap();
    assert_eq!((page.len(), total), (2, 3));
    let q = ListQuery {
        bbox: Some(Bbox::new(112.905, 28.0, 112.925, 28.5).unwrap()),
        ..Default::default()
    };
    assert_eq!(s.list_suggestions(&q).unwrap().1, 2);
}
