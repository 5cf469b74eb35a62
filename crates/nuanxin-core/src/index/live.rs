//! [`LiveIndex`]: the index a server queries while it is being edited.
//!
//! **Requirement.** Adding, moving or deleting one point must not stop readers, must not copy
//! the whole index (1M points: about 130 MB, the tree and lists at 128 bytes a point measured
//! by `benches/nearest.rs`, README "Benchmarks"; and time in proportion), and no reader may see
//! a half-applied change.
//!
//! **Design: two copies, "left-right"** (the scheme of Ramalhete and Correia, "Left-Right: A
//! Concurrency Control Technique with Wait-Free Population Oblivious Reads", 2015, here with
//! reference counts instead of read indicators). The index exists twice. Readers load the
//! *current* copy with one atomic operation ([`arc_swap::ArcSwap::load_full`], lock-free) and
//! keep their `Arc` snapshot for as long as the request needs it. A writer (one at a time,
//! behind a mutex readers never touch)
//!
//! 1. waits until no reader holds the *spare* copy any more (only readers that loaded it
//!    before the previous edit was published can hold it; they finish their request),
//! 2. applies to the spare copy, in place, the previous edit (which the current copy already
//!    has) and then the new one, each O(log n) in the R*-tree plus one insertion in the
//!    id-ordered lists ([`ServiceIndex::upsert`]),
//! 3. publishes it with one atomic swap; the old current copy becomes the spare, owing the
//!    new edit.
//!
//! So readers are never blocked and see either the state before an edit or the state after
//! it; an edit costs two O(log n) updates and never a copy. The price is memory: the tree and
//! the id lists exist twice (about 60 bytes a point), while the point records themselves are
//! shared through `Arc`.
//!
//! Why not the alternatives: an `RwLock<ServiceIndex>` edited in place would block every
//! reader during each edit and let a long reader stall writers (and behind them, readers); a
//! persistent R-tree with structural sharing would make every query slower (more pointer
//! chasing) for the sake of rare edits.

use super::ServiceIndex;
use crate::model::ServicePoint;
use arc_swap::ArcSwap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One change to the index, kept to replay on the spare copy.
#[derive(Debug, Clone)]
enum Change {
    Upsert(Arc<ServicePoint>),
    Remove(String),
}

impl Change {
    fn apply(&self, index: &mut ServiceIndex) -> Option<Arc<ServicePoint>> {
        match self {
            Change::Upsert(p) => index.upsert_shared(p.clone()),
            Change::Remove(id) => index.remove(id),
        }
    }
}

#[derive(Debug)]
struct Writer {
    /// The copy readers are not given; it lacks `owed`. `None` until it is first needed
    /// ([`LiveIndex::prepare_spare`] or the first edit): a restart serves without waiting
    /// for the copy.
    spare: Option<Arc<ServiceIndex>>,
    /// The last published change, not yet applied to `spare`.
    owed: Option<Change>,
}

/// A [`ServiceIndex`] that is edited while it is queried (see the module docs).
#[derive(Debug)]
pub struct LiveIndex {
    current: ArcSwap<ServiceIndex>,
    writer: Mutex<Writer>,
    /// Bumped after every published edit or replacement (see [`LiveIndex::generation`]).
    generation: AtomicU64,
}

impl LiveIndex {
    /// Serves `index`. Its spare copy (one clone, O(n): about a second at 1M points) is not
    /// made here, so that a server answers as soon as the index is built; call
    /// [`LiveIndex::prepare_spare`] off the request path after start-up, or the first edit
    /// makes it.
    pub fn new(index: ServiceIndex) -> Self {
        LiveIndex {
            current: ArcSwap::from_pointee(index),
            writer: Mutex::new(Writer {
                spare: None,
                owed: None,
            }),
            generation: AtomicU64::new(0),
        }
    }

    /// Makes the spare copy if it does not exist yet (a clone of the current index, O(n)).
    /// Edits wait for it (they need it); readers do not.
    pub fn prepare_spare(&self) {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.spare.is_none() {
            // `owed` is None until the first edit, which makes the spare first: the copy
            // of the current index is complete.
            w.spare = Some(Arc::new((*self.current.load_full()).clone()));
        }
    }

    /// A counter that grows after every edit or replacement is published: equal values
    /// mean the same points (caches of derived answers, such as vector tiles, put it in
    /// their keys). A reader that loads the generation and then a snapshot sees at least
    /// that generation's points.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current index: an immutable snapshot, unaffected by later edits. Lock-free.
    pub fn snapshot(&self) -> Arc<ServiceIndex> {
        self.current.load_full()
    }

    /// Inserts or replaces the point with `p.id`; returns the point it replaced.
    pub fn upsert(&self, p: ServicePoint) -> Option<Arc<ServicePoint>> {
        self.edit(Change::Upsert(Arc::new(p)))
    }

    /// Removes the point with this id; returns it if it was there.
    pub fn remove(&self, id: &str) -> Option<Arc<ServicePoint>> {
        self.edit(Change::Remove(id.to_string()))
    }

    /// Replaces the whole index (e.g. after a bulk import). Readers keep their snapshots.
    pub fn replace(&self, index: ServiceIndex) {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.spare = Some(Arc::new(index.clone()));
        w.owed = None;
        self.current.store(Arc::new(index));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn edit(&self, change: Change) -> Option<Arc<ServicePoint>> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let w = &mut *guard;
        // The first edit copies the current index when no spare was prepared (nothing is
        // owed then: the copy is complete).
        let spare_arc = w
            .spare
            .get_or_insert_with(|| Arc::new((*self.current.load_full()).clone()));
        let spare = exclusive(spare_arc);
        if let Some(owed) = w.owed.take() {
            owed.apply(spare);
        }
        let result = change.apply(spare);
        let published = spare_arc.clone();
        let previous = self.current.swap(published);
        w.spare = Some(previous);
        w.owed = Some(change);
        self.generation.fetch_add(1, Ordering::AcqRel);
        result
    }
}

/// How long an edit waits for readers of the spare copy before it copies the copy instead.
const MAX_WAIT: Duration = Duration::from_millis(200);

/// Waits until `arc` is the only reference to its index (readers that loaded it before the
/// previous swap have dropped their snapshots) and returns it mutably. A snapshot held for
/// longer than [`MAX_WAIT`] (a slow client, or the editing thread itself holding one) does
/// not stall the edit: the spare is then copied once (O(n)) and the holder keeps the old one.
fn exclusive(arc: &mut Arc<ServiceIndex>) -> &mut ServiceIndex {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_micros(10);
    while Arc::get_mut(arc).is_none() && start.elapsed() <= MAX_WAIT {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
    }
    // The only reference by now, or else copied once (readers keep the old copy).
    Arc::make_mut(arc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LonLat, ServiceKind};

    fn point(id: &str, lon: f64) -> ServicePoint {
        ServicePoint::new(
            id,
            ServiceKind::Station,
            id,
            LonLat::new(lon, 28.0).unwrap(),
        )
    }

    fn ids(ix: &ServiceIndex) -> Vec<String> {
        ix.iter_sorted().map(|p| p.id.clone()).collect()
    }

    #[test]
    fn both_copies_follow_every_edit_and_snapshots_do_not_move() {
        let live = LiveIndex::new(ServiceIndex::new(vec![point("a", 113.0)]).unwrap());
        let before = live.snapshot();
        assert!(live.upsert(point("b", 113.1)).is_none());
        assert_eq!(ids(&before), ["a"], "a snapshot is immutable");
        let after_b = live.snapshot();
        assert_eq!(ids(&after_b), ["a", "b"]);
        drop((before, after_b));
        // Moving "a" replaces it; the returned point is the old one.
        let old = live.upsert(point("a", 113.5)).unwrap();
        assert_eq!(old.location.lon, 113.0);
        assert!(live.remove("b").is_some());
        assert!(live.remove("b").is_none());
        assert!(live.upsert(point("c", 112.0)).is_none());
        // Three more edits go to each copy in turn: both must agree with a fresh build.
        for _ in 0..2 {
            let s = live.snapshot();
            assert_eq!(ids(&s), ["a", "c"]);
            assert_eq!(s.get("a").unwrap().location.lon, 113.5);
            let near = s.nearest(LonLat::new(113.5, 28.0).unwrap(), 1, &Default::default());
            assert_eq!(near[0].point.id, "a");
            assert!(
                s.nearest(LonLat::new(113.1, 28.0).unwrap(), 3, &Default::default())
                    .len()
                    == 2
            );
            drop(s);
            // A no-op edit pair flips the copies.
            live.upsert(point("z", 100.0));
            live.remove("z");
        }
    }

    #[test]
    fn a_prepared_spare_and_a_spare_made_by_the_first_edit_agree() {
        let pts = || vec![point("a", 113.0), point("b", 113.1)];
        let prepared = LiveIndex::new(ServiceIndex::new(pts()).unwrap());
        prepared.prepare_spare();
        prepared.prepare_spare(); // a second call keeps the copy
        let lazy = LiveIndex::new(ServiceIndex::new(pts()).unwrap());
        for live in [&prepared, &lazy] {
            live.upsert(point("c", 113.2));
            live.remove("a");
            // each copy has had both edits once the next two edits have flipped them
            live.upsert(point("b", 113.3));
            live.upsert(point("b", 113.3));
            assert_eq!(ids(&live.snapshot()), ["b", "c"]);
            assert_eq!(live.snapshot().get("b").unwrap().location.lon, 113.3);
        }
    }

    #[test]
    fn an_editor_holding_a_snapshot_does_not_deadlock() {
        let live = LiveIndex::new(ServiceIndex::new(vec![point("a", 113.0)]).unwrap());
        let held = live.snapshot();
        live.upsert(point("b", 113.1));
        let held2 = live.snapshot();
        // The spare is now `held`'s copy, still referenced: the edit copies it instead.
        live.upsert(point("c", 113.2));
        assert_eq!(ids(&held), ["a"]);
        assert_eq!(ids(&held2), ["a", "b"]);
        assert_eq!(ids(&live.snapshot()), ["a", "b", "c"]);
        live.remove("a");
        assert_eq!(ids(&live.snapshot()), ["b", "c"]);
    }

    #[test]
    fn readers_during_edits_see_whole_states_only() {
        // 200 points; a writer moves them one by one to a new longitude while readers check
        // that each snapshot they get is consistent: the id list, the tree and the counts
        // agree, and the number of moved points never goes down between snapshots.
        let pts: Vec<_> = (0..200)
            .map(|i| point(&format!("p{i:03}"), 110.0))
            .collect();
        let live = Arc::new(LiveIndex::new(ServiceIndex::new(pts).unwrap()));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let live = live.clone();
                std::thread::spawn(move || {
                    let mut last_moved = 0;
                    for _ in 0..300 {
                        let s = live.snapshot();
                        assert_eq!(s.len(), 200);
                        let moved = s.iter_sorted().filter(|p| p.location.lon == 111.0).count();
                        let in_tree = s
                            .within(LonLat::new(111.0, 28.0).unwrap(), 1.0, &Default::default())
                            .len();
                        assert_eq!(moved, in_tree, "tree and id list disagree");
                        assert!(moved >= last_moved);
                        last_moved = moved;
                    }
                })
            })
            .collect();
        for i in 0..200 {
            live.upsert(point(&format!("p{i:03}"), 111.0));
        }
        for r in readers {
            r.join().unwrap();
        }
        let s = live.snapshot();
        assert_eq!(
            s.iter_sorted().filter(|p| p.location.lon == 111.0).count(),
            200
        );
    }
}
