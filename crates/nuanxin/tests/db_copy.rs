//! `nuanxin db copy`: a populated SQLite database copied to PostgreSQL and back holds the
//! same data (read back through the store's API, not only by checksum), a second copy
//! changes nothing, and ids, token hashes and the supporters' salt keep working after the
//! move. Without `NUANXIN_TEST_DATABASE_URL` the middle database is a second SQLite file
//! (scripts/test.d/10-postgres.sh runs it with PostgreSQL).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use nuanxin::crs::Crs;
use nuanxin::model::{LonLat, ServiceKind, ServicePoint};
use nuanxin::suggestions::{
    Campaign, CampaignKind, Category, Contact, ContactKind, ListQuery, NewSuggestion, OfficerRole,
    PublicNote, ReporterRole, Status, Store,
};
use std::path::{Path, PathBuf};

use crate::support;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn new_suggestion(lon: f64, lat: f64, created: &str, photo: Option<Vec<u8>>) -> NewSuggestion {
    let p = LonLat::new(lon, lat).unwrap();
    NewSuggestion {
        location: p,
        input_location: p,
        input_crs: Crs::Wgs84,
        category: Category::Rest,
        description: "驿站晚上十点就关门 \u{1F6F5}\r\n第二行".into(),
        role: Some(ReporterRole::Rider),
        contact: Some(Contact {
            kind: ContactKind::Phone,
            value: "13800138000".into(),
        }),
        email: Some("rider@example.com".into()),
        first_name: Some("小明".into()),
        last_name: Some("王".into()),
        campaign_id: None,
        adcode: Some("430102".into()),
        collection_point: None,
        photo: photo.map(|b| ("image/jpeg".to_string(), b)),
        created_at: t(created),
    }
}

/// Fills `s` with some of everything; returns an officer token and a receipt.
fn populate(s: &Store) -> (String, String, String) {
    let mut p = ServicePoint::new(
        "st-1",
        ServiceKind::Station,
        "芙蓉区暖新驿站",
        LonLat::new(112.9876543210123, 28.1).unwrap(),
    );
    p.address = Some("五一大道 1 号".into());
    let q = ServicePoint::new(
        "Z-last",
        ServiceKind::LegalAid,
        "法律援助点",
        LonLat::new(112.95, 28.2).unwrap(),
    );
    s.replace_service_points(&[p, q]).unwrap();
    let (admin, admin_token) = s.create_token(OfficerRole::Admin, &[], "管理员").unwrap();
    let (gone, _) = s
        .create_token(OfficerRole::Officer, &["430102".into()], "旧令牌")
        .unwrap();
    s.revoke_token(gone.id).unwrap();
    s.create_campaign(
        &Campaign {
            id: "summer-2026".into(),
            kind: CampaignKind::Themed,
            title: "夏季送清凉".into(),
            description: String::new(),
            categories: vec![Category::Rest, Category::Supplies],
            adcode: Some("430100".into()),
            area: None,
            starts_at: t("2026-06-01T00:00:00Z"),
            ends_at: Some(t("2026-09-01T00:00:00Z")),
        },
        Some(&admin),
    )
    .unwrap();
    // a photo with every byte value, NUL included
    let photo: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let mut receipt = String::new();
    for i in 0..7 {
        let mut n = new_suggestion(
            112.97 + f64::from(i) * 0.001,
            28.2,
            &format!("2026-06-0{}T08:00:00Z", i + 1),
            (i == 2).then(|| photo.clone()),
        );
        if i == 3 {
            n.campaign_id = Some("summer-2026".into());
            n.contact = None;
        }
        let (sug, r) = s.insert_suggestion(n).unwrap();
        if i == 2 {
            receipt = format!("{} {r}", sug.id);
        }
        if i % 2 == 0 {
            s.transition(
                &sug.id,
                Status::Accepted,
                &PublicNote::new("已受理").unwrap(),
                &admin,
                t("2026-06-10T00:00:00Z"),
            )
            .unwrap();
        }
        if i == 4 {
            // a redaction keeps the original text in its own table
            s.redact(
                &sug.id,
                nuanxin::suggestions::triage::RedactField::Description,
                &PublicNote::new("含个人信息").unwrap(),
                &admin,
                t("2026-06-11T00:00:00Z"),
            )
            .unwrap();
        }
        s.support(&sug.id, "10.0.0.1").unwrap();
        s.support(&sug.id, &format!("10.0.0.{}", i + 2)).unwrap();
    }
    (admin_token, receipt, photo.len().to_string())
}

fn nuanxin(args: &[&str]) -> (bool, String) {
    let out = support::bin::run(args, None);
    let (stdout, stderr) = support::bin::texts(&out);
    (out.status.success(), format!("{stdout}{stderr}"))
}

fn copy(from: &str, to: &str) -> String {
    let (ok, out) = nuanxin(&["db", "copy", "--from", from, "--to", to]);
    assert!(ok, "db copy {from} → {to} failed:\n{out}");
    out
}

/// The middle database: a fresh PostgreSQL one, or a SQLite file.
fn middle(dir: &Path) -> String {
    match std::env::var("NUANXIN_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!("nuanxin_test_copy_{}_{nanos}", std::process::id());
            let config = nuanxin::suggestions::pg::create_database(&url, &name).unwrap();
            nuanxin::suggestions::pg::describe(&config)
        }
        _ => dir.join("middle.db").display().to_string(),
    }
}

/// Every table's "rows sha" pair from the output of `db copy`, source and destination.
fn table_lines(out: &str) -> Vec<(String, String, String)> {
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 5 && f[2].len() == 64).then(|| {
                assert_eq!((f[1], f[2]), (f[3], f[4]), "{l}");
                (f[0].to_string(), f[1].to_string(), f[2].to_string())
            })
        })
        .collect()
}

#[test]
fn sqlite_to_postgres_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let a: PathBuf = dir.path().join("a.db");
    let b: PathBuf = dir.path().join("b.db");
    let (token, receipt, photo_len) = {
        let s = Store::open(&a).unwrap();
        populate(&s)
    };
    let mid = middle(dir.path());
    let first = copy(a.to_str().unwrap(), &mid);
    let tables = table_lines(&first);
    let count = |name: &str| {
        tables
            .iter()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("no {name} in\n{first}"))
            .1
            .clone()
    };
    // counted by hand from `populate`
    assert_eq!(count("service_points"), "2");
    assert_eq!(count("officer_tokens"), "2");
    assert_eq!(count("campaigns"), "1");
    assert_eq!(count("suggestions"), "7");
    assert_eq!(count("status_changes"), "11"); // 7 submitted + 4 accepted
    assert_eq!(count("supports"), "14");
    assert_eq!(count("meta"), "1"); // the salt
    assert_eq!(count("rate_limits"), "0"); // no rate-limited submission in `populate`
    assert_eq!(count("redactions"), "1");
    // revoke + campaign + 4 transitions + 2 token creations + 1 redaction
    assert_eq!(count("audit_log"), "9");
    assert_eq!(count("outbox"), "0"); // no webhook or SMTP server configured in `populate`
    assert_eq!(tables.len(), 11, "{first}");
    // twice: nothing changes
    let second = copy(a.to_str().unwrap(), &mid);
    assert_eq!(table_lines(&second), tables);
    // and back into a new SQLite file
    let back = copy(&mid, b.to_str().unwrap());
    assert_eq!(table_lines(&back), tables);

    // read back through the API: the same suggestions, histories, photo, tokens, campaigns
    let (sa, sb) = (Store::open(&a).unwrap(), Store::open(&b).unwrap());
    let all = ListQuery::default();
    assert_eq!(
        sa.list_suggestions(&all).unwrap(),
        sb.list_suggestions(&all).unwrap()
    );
    assert_eq!(sa.service_points().unwrap(), sb.service_points().unwrap());
    assert_eq!(sa.officers().unwrap(), sb.officers().unwrap());
    assert_eq!(sa.campaigns().unwrap(), sb.campaigns().unwrap());
    assert_eq!(sa.audit_log(100, 0).unwrap(), sb.audit_log(100, 0).unwrap());
    let (id, r) = receipt.split_once(' ').unwrap();
    assert!(sb.check_receipt(id, r).unwrap());
    let (_, bytes) = sb.photo(id).unwrap().unwrap();
    assert_eq!(bytes.len().to_string(), photo_len);
    assert_eq!(sa.photo(id).unwrap().unwrap().1, bytes);
    assert!(sb.authenticate(&token).unwrap().is_some());
    // the salt moved: the same client is not counted twice
    assert!(!sb.support(id, "10.0.0.1").unwrap().counted);
    let near = LonLat::new(112.97, 28.2).unwrap();
    assert_eq!(
        sb.nearby_open(near, Category::Rest, 1000.0).unwrap(),
        sa.nearby_open(near, Category::Rest, 1000.0).unwrap()
    );

    // the copied database takes new rows after the copied ids
    let sm = Store::open(Path::new(&mid)).unwrap();
    let before = sm.officers().unwrap().iter().map(|o| o.id).max().unwrap();
    let (o, _) = sm.create_token(OfficerRole::Admin, &[], "新").unwrap();
    assert!(o.id > before);
    let o = sm.authenticate(&token).unwrap().unwrap();
    sm.transition(
        id,
        Status::InProgress,
        &PublicNote::new("处理中").unwrap(),
        &o,
        t("2026-06-11T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(sm.audit_log(1, 0).unwrap()[0].action, "suggestion.status");

    // a destination with rows the source lacks is reported, not hidden
    let (ok, out) = nuanxin(&["db", "copy", "--from", a.to_str().unwrap(), "--to", &mid]);
    assert!(!ok, "{out}");
    assert!(out.contains("复制后不一致的表"), "{out}");
    // --replace empties the destination first: the same tables as the source again
    let (ok, out) = nuanxin(&[
        "db",
        "copy",
        "--from",
        a.to_str().unwrap(),
        "--to",
        &mid,
        "--replace",
    ]);
    assert!(ok, "{out}");
    assert_eq!(table_lines(&out), tables);
}
