//! The working memory of a search, reused from one search to the next: node labels in a
//! sparse set (Briggs and Torczon, "An efficient representation for sparse sets", ACM LOPLAS
//! 1993) and the priority queue (a radix heap), kept in a small pool owned by the graph.
//!
//! A label is found through a dense array indexed by node id that points into the list of
//! the nodes this search has touched; the entry is valid only when it points back at the
//! node. So a new search starts without clearing anything, and the per-node memory is 4 bytes
//! per graph node (12 MB for a 3-million-node province) whatever the number of searches, with
//! the labels themselves only for the touched nodes. This replaced a hash map of labels (and
//! the radix heap a binary heap): a 5-minute walking search in central Helsinki went from
//! 0.139 to 0.106 ms (p50, release; docs/benchmarks.md, "Release timings").

use std::sync::Mutex;

/// No node, no segment.
pub(crate) const NONE: u32 = u32::MAX;

/// Largest number of idle working memories a graph keeps (one per concurrent search beyond
/// that is allocated and dropped).
const POOL_MAX: usize = 8;

/// The label of a touched node.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Label {
    /// The node.
    pub(crate) node: u32,
    /// The segment the best path arrived by, [`NONE`] at a source.
    pub(crate) pred: u32,
    /// Best travel time found, seconds.
    pub(crate) time_s: f64,
    /// Metres along roads of that path.
    pub(crate) dist_m: f64,
    /// Whether the time is final.
    pub(crate) settled: bool,
}

/// An entry of the priority queue: the index of a node's label in [`Labels::touched`] and the
/// time it was queued with. (The label's index, not the node id: popping needs no look-up
/// through the sparse set.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Queued {
    pub(crate) time_s: f64,
    pub(crate) label: u32,
}

/// The key of a time: its bits (times are non-negative, so the bits are ordered as the
/// times are).
#[inline]
fn key(time_s: f64) -> u64 {
    if time_s > 0.0 {
        time_s.to_bits()
    } else {
        0
    }
}

/// A monotone priority queue for Dijkstra's algorithm: a radix heap (Ahuja, Mehlhorn, Orlin
/// and Tarjan, "Faster algorithms for the shortest path problem", J. ACM 37(2), 1990) over
/// the [`key`]s of the times. Bucket `b` holds the entries whose key's highest bit differing
/// from the last key popped is bit `b − 1` (bucket 0: equal to it); popping takes from bucket
/// 0, or first finds the smallest key of the first non-empty bucket and spreads that bucket
/// over the lower ones. An entry moves down a few times at most, without the comparisons of
/// a binary heap's sift-down. Entries of equal time come out in no set order. Times pushed
/// must not be smaller than the last popped or peeked (in a Dijkstra search they only grow,
/// and it pushes after popping); a smaller one is queued as the last popped. A bit mask of the non-empty buckets finds the first one
/// without looking at the 65 buckets (the scan was a third of the search's time).
#[derive(Debug, Default)]
pub(crate) struct RadixHeap {
    last: u64,
    len: usize,
    /// Bit `b` set: bucket `b` may be non-empty (clear: it is empty).
    filled: u128,
    buckets: Vec<Vec<(u64, u32)>>,
}

impl RadixHeap {
    #[inline]
    fn bucket(&self, k: u64) -> usize {
        (64 - (k ^ self.last).leading_zeros()) as usize
    }

    /// Empties the queue (keeping its memory).
    pub(crate) fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
        self.filled = 0;
    }

    /// Queues `q`.
    #[inline]
    pub(crate) fn push(&mut self, q: Queued) {
        if self.buckets.is_empty() {
            self.buckets.resize_with(65, Vec::new);
        }
        let k = key(q.time_s).max(self.last);
        let b = self.bucket(k);
        self.buckets[b].push((k, q.label));
        self.filled |= 1 << b;
        self.len += 1;
    }

    /// Makes bucket 0 hold the smallest entries; false when the queue is empty.
    fn refill(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        if self.filled & 1 == 0 {
            // The first non-empty bucket (`len > 0`, so there is one).
            let i = self.filled.trailing_zeros() as usize;
            let Some(bucket) = self.buckets.get_mut(i) else {
                return false;
            };
            let mut moving = std::mem::take(bucket);
            self.filled &= !(1u128 << i);
            let Some(min) = moving.iter().map(|e| e.0).min() else {
                return false;
            };
            self.last = min;
            // Each entry goes to a lower bucket: its highest bit differing from the new last
            // is below the one it differed in before.
            for &e in &moving {
                let b = self.bucket(e.0);
                self.buckets[b].push(e);
                self.filled |= 1 << b;
            }
            // Keep the emptied bucket's memory.
            moving.clear();
            self.buckets[i] = moving;
        }
        true
    }

    /// The smallest entry, if any.
    pub(crate) fn peek(&mut self) -> Option<Queued> {
        if !self.refill() {
            return None;
        }
        let &(k, label) = self.buckets[0].last()?;
        Some(Queued {
            time_s: f64::from_bits(k),
            label,
        })
    }

    /// Removes and returns the smallest entry.
    pub(crate) fn pop(&mut self) -> Option<Queued> {
        if !self.refill() {
            return None;
        }
        let (k, label) = self.buckets[0].pop()?;
        if self.buckets[0].is_empty() {
            self.filled &= !1;
        }
        self.len -= 1;
        Some(Queued {
            time_s: f64::from_bits(k),
            label,
        })
    }
}

/// The working memory of one search: labels of the touched nodes and the queue.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    /// Per node: index into `touched` (valid only if that entry is the node's).
    slot: Vec<u32>,
    /// The touched nodes' labels, in the order they were first reached.
    pub(crate) touched: Vec<Label>,
    /// The priority queue (lazy deletion: stale entries are skipped when popped).
    pub(crate) heap: RadixHeap,
    /// A service area's whole segments (working memory of its pieces).
    pub(crate) whole: Vec<u32>,
    /// Per straight run of the graph: its whole segments counted by a service area (all
    /// zero between searches; sized on first use).
    pub(crate) run_count: Vec<u8>,
}

impl Labels {
    /// Empty working memory for a graph of `nodes` nodes (reusing the allocation).
    fn reset(&mut self, nodes: usize) {
        if self.slot.len() != nodes {
            self.slot.clear();
            self.slot.resize(nodes, NONE);
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Index of `node`'s label in `touched`, if touched.
    #[inline]
    pub(crate) fn find(&self, node: u32) -> Option<usize> {
        let i = *self.slot.get(node as usize)? as usize;
        (self.touched.get(i)?.node == node).then_some(i)
    }

    /// `node`'s label, if touched.
    #[inline]
    pub(crate) fn get(&self, node: u32) -> Option<&Label> {
        self.find(node).map(|i| &self.touched[i])
    }

    /// Index of `node`'s label, created unreached (infinite time) if not yet touched.
    #[inline]
    pub(crate) fn entry(&mut self, node: u32) -> usize {
        if let Some(i) = self.find(node) {
            return i;
        }
        let i = self.touched.len();
        if let Some(s) = self.slot.get_mut(node as usize) {
            *s = i as u32;
        }
        self.touched.push(Label {
            node,
            pred: NONE,
            time_s: f64::INFINITY,
            dist_m: f64::INFINITY,
            settled: false,
        });
        i
    }
}

/// Idle working memories of a graph's searches. Cloning a graph gives the clone an empty pool.
#[derive(Debug, Default)]
pub(crate) struct LabelPool(Mutex<Vec<Labels>>);

impl Clone for LabelPool {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl LabelPool {
    /// Working memory for a search on a graph of `nodes` nodes: an idle one if any.
    pub(crate) fn take(&self, nodes: usize) -> Labels {
        let mut l = self
            .0
            .lock()
            .ok()
            .and_then(|mut v| v.pop())
            .unwrap_or_default();
        l.reset(nodes);
        l
    }

    /// Gives working memory back for the next search.
    pub(crate) fn give(&self, l: Labels) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < POOL_MAX {
                v.push(l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Queued, RadixHeap};

    /// Pops come out in exactly increasing time, also for times less than a microsecond
    /// apart, as a Dijkstra search pushes them (never below the last popped), each entry once
    /// with the time it was pushed with.
    #[test]
    fn radix_heap_pops_in_exact_time_order() {
        let mut rng = 11u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut h = RadixHeap::default();
        for round in 0..3 {
            h.clear();
            let (mut pushed, mut popped) = (Vec::new(), Vec::new());
            let mut last = 0.0f64;
            let mut node = 0u32;
            for step in 0..5_000 {
                // A few pushes after each pop: at the last popped time plus an edge of
                // 0–30 s, or plus less than a microsecond.
                for _ in 0..(1 + step % 3) {
                    let t = if next() < 0.3 {
                        last + next() * 1e-6
                    } else {
                        last + next() * 30.0
                    };
                    h.push(Queued {
                        time_s: t,
                        label: node,
                    });
                    pushed.push((t.to_bits(), node));
                    node += 1;
                }
                // As the search does: peek, then pop, then push (a peek moves the queue's
                // last key on, so pushes come after the pop).
                let peeked = h.peek();
                let Some(q) = h.pop() else { break };
                assert_eq!(peeked.map(|p| p.time_s), Some(q.time_s));
                assert!(q.time_s >= last, "round {round}: {} after {last}", q.time_s);
                last = q.time_s;
                popped.push((q.time_s.to_bits(), q.label));
            }
            while let Some(q) = h.pop() {
                assert!(q.time_s >= last);
                last = q.time_s;
                popped.push((q.time_s.to_bits(), q.label));
            }
            pushed.sort_unstable();
            popped.sort_unstable();
            assert_eq!(pushed.len(), popped.len(), "round {round}");
            assert_eq!(pushed, popped);
        }
    }
}
