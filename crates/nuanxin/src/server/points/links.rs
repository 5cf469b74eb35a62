//! Links in responses: navigation links to the map apps riders use (Amap, Baidu), RFC 8288
//! style link objects and the `next` / `prev` paging links of listings.

use crate::crs::Crs;
use crate::model::LonLat;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Percent-encodes `s` for a URL query value: everything but RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` of its UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
        }
    }
    out
}

/// Navigation links of a point for the two map apps most riders use.
#[derive(Debug, Clone, PartialEq)]
pub struct NavLinks {
    /// Amap (高德) marker URI (<https://lbs.amap.com/api/uri-api/guide/mobile-web/point>),
    /// GCJ-02 `position=lon,lat` with `coordinate=gaode`.
    pub amap: String,
    /// Baidu marker URI (<https://lbsyun.baidu.com/faq/api?title=webapi/uri/web>), BD-09
    /// `location=lat,lon` with `coord_type=bd09ll`.
    pub baidu: String,
    /// The point in GCJ-02.
    pub gcj02: LonLat,
    /// The point in BD-09.
    pub bd09: LonLat,
}

/// Builds the Amap and Baidu links of a WGS-84 position named `name`. Coordinates carry six
/// decimals (about 0.1 m).
pub fn nav_links(location: LonLat, name: &str) -> NavLinks {
    let gcj02 = Crs::Gcj02.from_wgs84(location);
    // Not `gcj02_to_bd09(gcj02)`: that applies Baidu's offset outside mainland China too.
    let bd09 = Crs::Bd09.from_wgs84(location);
    let name = percent_encode(name);
    NavLinks {
        amap: format!(
            "https://uri.amap.com/marker?position={:.6},{:.6}&name={name}&coordinate=gaode&callnative=1",
            gcj02.lon, gcj02.lat
        ),
        baidu: format!(
            "https://api.map.baidu.com/marker?location={:.6},{:.6}&title={name}&coord_type=bd09ll&output=html&src=nuanxin.map",
            bd09.lat, bd09.lon
        ),
        gcj02,
        bd09,
    }
}

/// [`nav_links`] through a process-wide cache keyed by the position's exact bits and the
/// name (the links depend on nothing else), so a hot point's GCJ-02 / BD-09 conversion and
/// URL formatting run once. A hit costs a hash of the name and an uncontended read lock.
/// The cache is emptied when it exceeds [`NAV_CACHE_MAX`] entries.
pub fn nav_links_cached(location: LonLat, name: &str) -> Arc<NavLinks> {
    use std::hash::{Hash, Hasher};
    type Cache = RwLock<HashMap<(u64, u64, u64), (Box<str>, Arc<NavLinks>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut h);
    let key = (location.lon.to_bits(), location.lat.to_bits(), h.finish());
    if let Ok(map) = cache.read() {
        if let Some((n, links)) = map.get(&key) {
            if &**n == name {
                return links.clone();
            }
        }
    }
    let links = Arc::new(nav_links(location, name));
    if let Ok(mut map) = cache.write() {
        if map.len() >= NAV_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (name.into(), links.clone()));
    }
    links
}

/// Largest number of entries [`nav_links_cached`] keeps.
pub const NAV_CACHE_MAX: usize = 200_000;

/// A link object (OGC API / RFC 8288 style).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    /// Target URL.
    pub href: String,
    /// Relation type (`self`, `next`, `prev`, `alternate`, ...).
    pub rel: String,
    /// Media type of the target.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    /// Human-readable title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Link {
    /// A link with a media type.
    pub fn new(href: impl Into<String>, rel: &str, type_: &str) -> Self {
        Self {
            href: href.into(),
            rel: rel.to_string(),
            type_: Some(type_.to_string()),
            title: None,
        }
    }
    /// With a title.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

pub use crate::server::forwarded::base_url;

/// `path?query` with `pairs` as the query, `limit` and `offset` replaced by the given values.
pub fn paged_href(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    limit: usize,
    offset: usize,
) -> String {
    let mut q = String::new();
    for (k, v) in pairs.iter().filter(|(k, _)| k != "limit" && k != "offset") {
        q.push_str(&percent_encode(k));
        q.push('=');
        q.push_str(&percent_encode(v));
        q.push('&');
    }
    q.push_str(&format!("limit={limit}&offset={offset}"));
    format!("{base}{path}?{q}")
}

/// `next` and `prev` links of a page of `returned` items at `offset` out of `matched`.
pub fn paging_links(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    limit: usize,
    offset: usize,
    matched: usize,
    type_: &str,
) -> Vec<Link> {
    let mut links = Vec::new();
    if offset + limit < matched {
        links.push(
            Link::new(
                paged_href(base, path, pairs, limit, offset + limit),
                "next",
                type_,
            )
            .titled("Next page"),
        );
    }
    if offset > 0 {
        links.push(
            Link::new(
                paged_href(base, path, pairs, limit, offset.saturating_sub(limit)),
                "prev",
                type_,
            )
            .titled("Previous page"),
        );
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::points::geojson::GEOJSON;

    #[test]
    fn cached_navigation_links_equal_fresh_ones_and_follow_name_and_position() {
        let a = LonLat::new(112.97092, 28.19860).unwrap();
        let b = LonLat::new(112.97093, 28.19860).unwrap();
        for (p, name) in [(a, "驿站"), (a, "驿站"), (a, "另一个"), (b, "驿站")] {
            assert_eq!(*nav_links_cached(p, name), nav_links(p, name));
        }
    }

    #[test]
    fn percent_encoding_of_chinese_name() {
        // "驿" is U+9A7F, UTF-8 E9 A9 BF.
        assert_eq!(percent_encode("驿 a&b"), "%E9%A9%BF%20a%26b");
    }

    #[test]
    fn nav_links_leave_points_outside_mainland_china_unshifted() {
        // Regression: the Baidu link applied BD-09's offset (≈ +0.0065°, +0.006°) in Seoul.
        // Outside mainland China both apps take the WGS-84 position as it is.
        let seoul = LonLat::new(126.978, 37.566).unwrap();
        let links = nav_links(seoul, "Seoul");
        assert_eq!(links.gcj02, seoul);
        assert_eq!(links.bd09, seoul);
        assert!(
            links.baidu.contains("location=37.566000,126.978000"),
            "{}",
            links.baidu
        );
    }

    #[test]
    fn paging_links_keep_filters_and_move_offset() {
        let pairs = vec![
            ("kind".to_string(), "station".to_string()),
            ("offset".to_string(), "10".to_string()),
        ];
        let l = paging_links("http://h", "/p", &pairs, 10, 10, 25, GEOJSON);
        assert_eq!(l[0].rel, "next");
        assert_eq!(l[0].href, "http://h/p?kind=station&limit=10&offset=20");
        assert_eq!(l[1].rel, "prev");
        assert_eq!(l[1].href, "http://h/p?kind=station&limit=10&offset=0");
        assert!(paging_links("", "/p", &pairs, 10, 20, 25, GEOJSON)
            .iter()
            .all(|l| l.rel != "next"));
    }
}
