//! Byte-identical point responses: `nearest`, `within`, `/points` and one point, for fixed
//! queries over fixed points, compared byte for byte (and header by header) with
//! `golden/points.txt`, written by the server *before* the response writer was made faster
//! (commit e190dfb, 2026-12-07):
//!
//! ```sh
//! NUANXIN_WRITE_GOLDEN=1 cargo test -p nuanxin --test api golden
//! ```
//!
//! Rewrite the file only on purpose, when the response itself changes; a faster writer must
//! leave it as it is. Every query fixes `open_at` (where the endpoint takes one), so
//! `open_now` does not depend on the clock; `/points/{id}` evaluates `open_now` at the current
//! time and is recorded for a point without opening hours.

use super::*;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/golden/points.txt");

/// The shared fixtures plus names that exercise JSON escaping and percent-encoding
/// (quotes, backslash, `&`, `|`, `%`, `+`, a 4-byte character), a point with every optional
/// field, and one outside mainland China (Macau) where the links keep WGS-84.
fn golden_points() -> Vec<ServicePoint> {
    let mut v = fixtures();
    let mut a = pt(
        "odd-name",
        ServiceKind::Station,
        "\"引号\" \\ A&B | 100% + 𠮷 驿站",
        112.9712,
        28.1990,
    );
    a.address = Some("解放西路 \"1\" 号\t后门".into());
    a.opening_hours = Some(OpeningHours::parse("Mo-Su 07:00-22:00").unwrap());
    a.amenities = [Amenity::DrinkingWater, Amenity::Toilet, Amenity::Heating]
        .into_iter()
        .collect();
    a.access = Some(AccessMethod::Open);
    a.operator = Some("芙蓉区总工会".into());
    a.phone = Some("0731-12345678".into());
    a.source = Some("golden.geojson".into());
    a.adcode = Some("430102".into());
    a.updated_at = Some("2026-12-01T08:30:00Z".parse().unwrap());
    a.entrance = Some(LonLat::new(112.97125, 28.19905).unwrap());
    v.push(a);
    v.push(pt(
        "mo-1",
        ServiceKind::LegalAid,
        "澳门 Macau",
        113.5439,
        22.1987,
    ));
    v
}

/// The requests recorded: every option of the distance queries, and the link-without-origin
/// path of the listings.
const QUERIES: &[&str] = &[
    "/api/v1/nearest?lon=112.97&lat=28.2&k=5&open_at=2026-11-30T09:00",
    "/api/v1/nearest?lon=112.9712&lat=28.1991&k=3&mode=ebike&out_crs=gcj02&open_at=2026-11-29T23:30",
    "/api/v1/nearest?lon=112.976457&lat=28.195164&crs=gcj02&k=7&out_crs=bd09&open_at=2026-11-30T09:00",
    "/api/v1/nearest?lon=472.98&lat=28.19&k=2&kind=station&amenity=drinking_water&open_at=2026-11-30T09:00",
    "/api/v1/nearest?lon=113.54&lat=22.20&k=4&open_at=2026-11-30T09:00",
    "/api/v1/nearest?lon=113.5&lat=28.5&k=6&open_at=2026-11-30T20:00",
    "/api/v1/within?lon=112.97&lat=28.2&radius_m=2500&limit=4&offset=1&mode=ebike&open_at=2026-11-30T09:00",
    "/api/v1/points?bbox=112.96,28.19,112.98,28.21&out_crs=gcj02&open_at=2026-11-30T09:00",
    "/api/v1/points/mo-1?out_crs=bd09",
];

/// Headers that differ between runs by design.
const VARYING: &[&str] = &["x-request-id", "date"];

/// `uri`, then each header (`name: value`, sorted), then the body, one record per request.
async fn record(app: &Router, uri: &str) -> String {
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    let mut headers: Vec<String> = r
        .headers
        .iter()
        .filter(|(k, _)| !VARYING.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
        .collect();
    headers.sort();
    format!("GET {uri}\n{}\n{}\n\n", headers.join("\n"), r.text())
}

#[tokio::test]
async fn point_responses_are_byte_identical_to_the_recorded_ones() {
    let app = server::router(AppState::new(
        Config::default(),
        ServiceIndex::new(golden_points()).unwrap(),
    ));
    let mut now = String::new();
    for uri in QUERIES {
        now.push_str(&record(&app, uri).await);
    }
    if std::env::var_os("NUANXIN_WRITE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &now).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(GOLDEN).unwrap();
    let (mut want, mut got) = (recorded.split("\n\n"), now.split("\n\n"));
    for uri in QUERIES {
        assert_eq!(got.next(), want.next(), "response to {uri} changed");
    }
    assert_eq!(now.len(), recorded.len());
}
