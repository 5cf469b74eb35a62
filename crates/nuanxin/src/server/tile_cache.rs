//! The in-memory cache of encoded vector tiles (both layers share it): least recently
//! used first out under a byte cap (`tile_cache_bytes`, default 64 MiB).
//!
//! The key carries the layer's data generation (for points the live index's generation of
//! the tile's own box, so that an edit makes only the tiles holding its old or new position
//! unreachable; the store's for suggestions, plus a time bucket on PostgreSQL: see
//! `vector_tiles`); unreachable entries age out of the LRU without a sweep.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// What identifies one encoded tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// Layer name (`points`, `suggestions`).
    pub layer: &'static str,
    /// The layer's data generation when the tile was encoded.
    pub generation: u64,
    /// Zoom.
    pub z: u32,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// The normalised filter of the request (e.g. sorted kinds), empty for none.
    pub filter: String,
}

/// An encoded tile with its strong ETag.
#[derive(Debug)]
pub struct CachedTile {
    /// MVT bytes.
    pub bytes: Vec<u8>,
    /// `"…"`, a hash of the bytes.
    pub etag: String,
}

#[derive(Debug, Default)]
struct Inner {
    /// key → (tile, its last use)
    map: HashMap<TileKey, (Arc<CachedTile>, u64)>,
    /// last use → key (the oldest first)
    order: BTreeMap<u64, TileKey>,
    bytes: usize,
    clock: u64,
}

/// An LRU of encoded tiles with a byte cap (counting the tile bytes and a fixed 128 bytes
/// per entry for the key and bookkeeping).
#[derive(Debug)]
pub struct TileCache {
    cap_bytes: usize,
    inner: Mutex<Inner>,
}

/// Bytes counted per entry besides the tile itself.
const ENTRY_OVERHEAD: usize = 128;

impl TileCache {
    /// An empty cache holding at most `cap_bytes` (0: caches nothing).
    pub fn new(cap_bytes: usize) -> Self {
        Self {
            cap_bytes,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The tile under `key`, marking it used.
    pub fn get(&self, key: &TileKey) -> Option<Arc<CachedTile>> {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.clock += 1;
        let now = inner.clock;
        let (tile, used) = inner.map.get_mut(key)?;
        inner.order.remove(used);
        *used = now;
        inner.order.insert(now, key.clone());
        Some(tile.clone())
    }

    /// Stores `tile` under `key`, evicting the least recently used tiles beyond the cap.
    /// A tile larger than the whole cap is not stored.
    pub fn put(&self, key: TileKey, tile: Arc<CachedTile>) {
        let size = tile.bytes.len() + ENTRY_OVERHEAD;
        if size > self.cap_bytes {
            return;
        }
        let mut g = self.lock();
        let inner = &mut *g;
        inner.clock += 1;
        let now = inner.clock;
        if let Some((old, used)) = inner.map.insert(key.clone(), (tile, now)) {
            inner.order.remove(&used);
            inner.bytes -= old.bytes.len() + ENTRY_OVERHEAD;
        }
        inner.order.insert(now, key);
        inner.bytes += size;
        while inner.bytes > self.cap_bytes {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            if let Some((t, _)) = inner.map.remove(&oldest) {
                inner.bytes -= t.bytes.len() + ENTRY_OVERHEAD;
            }
        }
    }

    /// (entries, bytes counted) now.
    pub fn usage(&self) -> (usize, usize) {
        let g = self.lock();
        (g.map.len(), g.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            layer: "points",
            generation: 0,
            z: 1,
            x,
            y: 0,
            filter: String::new(),
        }
    }

    fn tile(n: usize) -> Arc<CachedTile> {
        Arc::new(CachedTile {
            bytes: vec![0; n],
            etag: String::new(),
        })
    }

    #[test]
    fn least_recently_used_goes_first_under_the_cap() {
        // Room for two 372-byte tiles (372 + 128 = 500 bytes each) in 1,000 bytes.
        let c = TileCache::new(1000);
        c.put(key(0), tile(372));
        c.put(key(1), tile(372));
        assert_eq!(c.usage(), (2, 1000));
        assert!(c.get(&key(0)).is_some()); // 0 is now the most recently used
        c.put(key(2), tile(372)); // evicts 1
        assert!(c.get(&key(1)).is_none());
        assert!(c.get(&key(0)).is_some() && c.get(&key(2)).is_some());
        assert_eq!(c.usage(), (2, 1000));
        // Replacing an entry counts its bytes once.
        c.put(key(2), tile(72));
        assert_eq!(c.usage(), (2, 700));
        // Too large for the cap: not stored, nothing evicted.
        c.put(key(3), tile(1000));
        assert_eq!(c.usage(), (2, 700));
        // Another generation is another key.
        let mut k = key(0);
        k.generation = 1;
        assert!(c.get(&k).is_none());
        // A zero cap caches nothing.
        let none = TileCache::new(0);
        none.put(key(0), tile(1));
        assert_eq!(none.usage(), (0, 0));
    }
}
