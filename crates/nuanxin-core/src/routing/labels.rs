//! The working memory of a search, reused from one search to the next: node labels in a
//! sparse set (Briggs and Torczon, "An efficient representation for sparse sets", ACM LOPLAS
//! 1993) and the priority queue, kept in a small pool owned by the graph.
//!
//! A label is found through a dense array indexed by node id that points into the list of
//! the nodes this search has touched; the entry is valid only when it points back at the
//! node. So a new search starts without clearing anything, and the per-node memory is 4 bytes
//! per graph node (12 MB for a 3-million-node province) whatever the number of searches, with
//! the labels themselves only for the touched nodes. This replaced a hash map of labels,
//! whose hashing and growth were half of a 5-minute search (README, "Travel times along
//! roads").

use std::cmp::Ordering;
use std::collections::BinaryHeap;
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

/// An entry of the priority queue: a node and the time it was queued with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Queued {
    pub(crate) time_s: f64,
    pub(crate) node: u32,
}
impl Eq for Queued {}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap.
        o.time_s
            .total_cmp(&self.time_s)
            .then_with(|| o.node.cmp(&self.node))
    }
}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
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
    pub(crate) heap: BinaryHeap<Queued>,
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
