//! Links in responses: navigation links to the map apps riders use (Amap, Baidu), RFC 8288
//! style link objects and the `next` / `prev` paging links of listings.

use crate::model::LonLat;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

pub use crate::nav::percent_encode;
use crate::nav::NavDest;
use crate::travel::TravelMode;

/// The travel mode of links built without a query: riders go by e-bike.
pub const DEFAULT_NAV_MODE: TravelMode = TravelMode::Ebike;

/// [`NavDest::new`] through a process-wide cache keyed by the position's exact bits (the
/// destination half of the links depends on nothing else but the name, which the entry
/// keeps and compares), so a hot point's GCJ-02 / BD-09 conversion, number formatting and
/// name encoding run once; every link is then written from it and the request's
/// [`crate::nav::NavOrigin`] without formatting a number. A hit costs a multiplicative hash
/// of two integers, an uncontended read lock and a comparison of the name. The cache is
/// emptied when it exceeds [`NAV_CACHE_MAX`] entries (about 300 bytes each).
pub fn nav_dest_cached(location: LonLat, name: &str) -> Arc<NavDest> {
    type Cache =
        RwLock<HashMap<(u64, u64), (Box<str>, Arc<NavDest>), BuildHasherDefault<PositionHasher>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (location.lon.to_bits(), location.lat.to_bits());
    if let Ok(map) = cache.read() {
        if let Some((n, dest)) = map.get(&key) {
            if &**n == name {
                return dest.clone();
            }
        }
    }
    let dest = Arc::new(NavDest::new(location, name));
    if let Ok(mut map) = cache.write() {
        if map.len() >= NAV_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (name.into(), dest.clone()));
    }
    dest
}

/// Hash of a position's bits for [`nav_dest_cached`]: FxHash's rotate, xor and multiply per
/// 64-bit word (the keys are not chosen by clients: they are positions of stored points).
#[derive(Default)]
pub struct PositionHasher(u64);

impl Hasher for PositionHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Largest number of entries [`nav_dest_cached`] keeps.
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
    fn cached_navigation_halves_equal_fresh_ones_and_follow_name_and_position() {
        let a = LonLat::new(112.97092, 28.19860).unwrap();
        let b = LonLat::new(112.97093, 28.19860).unwrap();
        for (p, name) in [(a, "驿站"), (a, "驿站"), (a, "另一个"), (b, "驿站")] {
            assert_eq!(*nav_dest_cached(p, name), NavDest::new(p, name));
        }
        assert_ne!(*nav_dest_cached(a, "驿站"), *nav_dest_cached(a, "另一个"));
        assert_ne!(*nav_dest_cached(a, "驿站"), *nav_dest_cached(b, "驿站"));
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
