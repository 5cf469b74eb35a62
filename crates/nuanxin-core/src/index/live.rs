//! [`LiveIndex`]: the index a server queries while it is being edited.
//!
//! **Requirement.** Adding, moving or deleting one point must not stop readers, must not copy
//! the whole index (1M points: about 130 MB, the tree and lists at 128 bytes a point measured
//! by `benches/nearest.rs`, docs/benchmarks.md "Nearest neighbour"; and time in proportion), and no reader may see
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
//! **Off the edit's path** (issue 16: one edit ≤ 10 ms at 1M points, tail included). A
//! background thread (`live-index`, started by the first edit) does what the edit need not
//! wait for:
//!
//! - *catch-up*: right after an edit is published it waits for the last readers of the spare
//!   copy and replays the owed change on it, so that the next edit finds the spare free and
//!   up to date and only applies its own change;
//! - *renewal*: when a reader keeps the spare for longer than [`LONG_HOLD`] (a slow client,
//!   an analysis over the whole index), it copies the current index into a new spare (O(n),
//!   without holding the writer's lock) instead of the next edit copying it on its request;
//! - *disposal*: copies that are no longer needed (the spare that a renewal replaced, the two
//!   copies a [`LiveIndex::replace`] retired) are dropped on this thread once their last
//!   reader is gone. Dropping a copy of 1M points releases millions of references (tens to
//!   hundreds of milliseconds), which must not fall on an edit or on the reader that happened
//!   to hold the last reference.
//!
//! An edit still waits when the previous edit's readers have not left yet (edits back to back)
//! or while a renewal copies the index; it takes a free spare as soon as one exists.
//!
//! Why not the alternatives: an `RwLock<ServiceIndex>` edited in place would block every
//! reader during each edit and let a long reader stall writers (and behind them, readers); a
//! persistent R-tree with structural sharing would make every query slower (more pointer
//! chasing) for the sake of rare edits.

use super::ServiceIndex;
use crate::model::{Bbox, LonLat, ServicePoint};
use arc_swap::ArcSwap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

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

/// What the live index and its background thread share.
#[derive(Debug)]
struct Shared {
    current: ArcSwap<ServiceIndex>,
    writer: Mutex<Writer>,
    /// Bumped after every published edit or replacement (see [`LiveIndex::generation`]).
    generation: AtomicU64,
    /// Where the recent edits were (see [`LiveIndex::generation_in`]); replaced, never
    /// changed in place, so readers load it without a lock.
    recent: ArcSwap<Recent>,
}

/// The positions the recent edits touched, for [`LiveIndex::generation_in`].
#[derive(Debug, Clone, Default)]
struct Recent {
    /// The generation of the last replacement, or of the newest change forgotten to keep
    /// `changes` short: every area changed then.
    floor: u64,
    /// (position, generation of the edit that added, removed or moved a point there),
    /// oldest first; at most [`MAX_RECENT`].
    changes: VecDeque<(LonLat, u64)>,
}

/// How many positions [`Recent`] keeps. When full, the older half is forgotten at once
/// (so a full invalidation happens once per `MAX_RECENT / 2` positions, not at every edit);
/// a look-up scans at most this many (about a microsecond per hundred).
const MAX_RECENT: usize = 1024;

impl Recent {
    /// This record with `at` changed in `generation` (newer than every recorded one).
    fn with(&self, at: impl IntoIterator<Item = LonLat>, generation: u64) -> Recent {
        let mut next = self.clone();
        for p in at {
            if next.changes.len() >= MAX_RECENT {
                let forget = MAX_RECENT / 2;
                if let Some((_, newest_forgotten)) = next.changes.drain(..forget).next_back() {
                    next.floor = next.floor.max(newest_forgotten);
                }
            }
            next.changes.push_back((p, generation));
        }
        next
    }

    fn generation_in(&self, bbox: &Bbox) -> u64 {
        self.changes
            .iter()
            .filter(|(p, _)| bbox.contains(*p))
            .map(|(_, g)| *g)
            .fold(self.floor, u64::max)
    }
}

/// Work for the background thread (see the module docs).
#[derive(Debug)]
enum Job {
    /// An edit was published: bring the spare up to date.
    CatchUp,
    /// A copy no longer needed: drop it once no reader holds it.
    Dispose(Arc<ServiceIndex>),
}

/// How one edit spent its time in the index (logged by the server, issue 16).
#[derive(Debug, Clone, Copy, Default)]
pub struct EditTiming {
    /// Waiting for the spare copy: for its last readers, for a renewal, or (the first edit,
    /// when no spare was prepared) copying the index.
    pub wait: Duration,
    /// Replaying the owed change, applying this one and publishing.
    pub apply: Duration,
}

/// A [`ServiceIndex`] that is edited while it is queried (see the module docs).
#[derive(Debug)]
pub struct LiveIndex {
    shared: Arc<Shared>,
    /// The background thread's queue, started by the first edit or replacement; it ends
    /// when this index is dropped. `None` inside: the thread could not be started (edits
    /// then do everything themselves).
    worker: OnceLock<Option<Mutex<Sender<Job>>>>,
}

/// How long the background thread lets a reader keep the spare copy before it copies the
/// current index into a new spare. Readers of one request normally leave within
/// milliseconds; a copy of 1M points costs about a second of CPU.
pub const LONG_HOLD: Duration = Duration::from_millis(100);

/// How long an edit waits for the spare copy before it copies the current index itself:
/// long enough for the background thread's renewal on a loaded machine; without the
/// thread, [`SOLO_WAIT`].
const MAX_WAIT: Duration = Duration::from_secs(10);

/// [`MAX_WAIT`] when the background thread could not be started.
const SOLO_WAIT: Duration = Duration::from_millis(200);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The catch-up step: replays the owed change on the spare if no reader holds it.
    /// Returns false while a reader still holds it (nothing done).
    fn catch_up(&self) -> bool {
        let mut guard = self.lock();
        let w = &mut *guard;
        let (Some(spare), Some(_)) = (w.spare.as_mut(), w.owed.as_ref()) else {
            return true;
        };
        let Some(spare) = Arc::get_mut(spare) else {
            return false;
        };
        if let Some(owed) = w.owed.take() {
            owed.apply(spare);
        }
        true
    }

    /// The renewal step: copies the current index (without the writer's lock) and makes the
    /// copy the spare, unless an edit was published meanwhile. Returns the spare it replaced
    /// (or the unused copy), for disposal.
    fn renew_spare(&self) -> Option<Arc<ServiceIndex>> {
        let generation = self.generation.load(Ordering::Acquire);
        let copy = Arc::new((*self.current.load_full()).clone());
        let mut w = self.lock();
        if self.generation.load(Ordering::Acquire) != generation
            || w.spare.as_mut().is_some_and(|s| Arc::get_mut(s).is_some())
        {
            return Some(copy); // an edit came first, or the spare came free: keep it
        }
        w.owed = None; // the copy of the current index lacks nothing
        w.spare.replace(copy)
    }
}

/// The background thread's loop (see the module docs); returns when the index is dropped.
fn work(shared: &Shared, jobs: &mpsc::Receiver<Job>) {
    let mut retired: Vec<Arc<ServiceIndex>> = Vec::new();
    // When the spare was first found held since the last published edit.
    let mut held_since: Option<Instant> = None;
    loop {
        let busy = held_since.is_some() || !retired.is_empty();
        let job = if busy {
            jobs.recv_timeout(Duration::from_millis(1))
        } else {
            jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
        };
        match job {
            Ok(Job::CatchUp) => held_since = held_since.or(Some(Instant::now())),
            Ok(Job::Dispose(copy)) => retired.push(copy),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if let Some(since) = held_since {
            if shared.catch_up() {
                held_since = None;
            } else if since.elapsed() >= LONG_HOLD {
                retired.extend(shared.renew_spare());
                held_since = None;
            }
        }
        // The last reference of a retired copy is ours: it is dropped here.
        retired.retain(|copy| Arc::strong_count(copy) > 1);
    }
}

impl LiveIndex {
    /// Serves `index`. Its spare copy (one clone, O(n): about a second at 1M points) is not
    /// made here, so that a server answers as soon as the index is built; call
    /// [`LiveIndex::prepare_spare`] off the request path after start-up, or the first edit
    /// makes it.
    pub fn new(index: ServiceIndex) -> Self {
        LiveIndex {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(index),
                writer: Mutex::new(Writer {
                    spare: None,
                    owed: None,
                }),
                generation: AtomicU64::new(0),
                recent: ArcSwap::from_pointee(Recent::default()),
            }),
            worker: OnceLock::new(),
        }
    }

    /// Hands `job` to the background thread (started on first use). Returns it back when
    /// there is no thread.
    fn send(&self, job: Job) -> Result<(), Job> {
        let worker = self.worker.get_or_init(|| {
            let (tx, rx) = mpsc::channel();
            let shared = self.shared.clone();
            std::thread::Builder::new()
                .name("live-index".into())
                .spawn(move || work(&shared, &rx))
                .ok()
                .map(|_| Mutex::new(tx))
        });
        match worker {
            Some(tx) => tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(job)
                .map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Drops `copy` on the background thread (here when there is none).
    fn dispose(&self, copy: Arc<ServiceIndex>) {
        let _ = self.send(Job::Dispose(copy));
    }

    /// Makes the spare copy if it does not exist yet (a clone of the current index, O(n)).
    /// Edits wait for it (they need it); readers do not.
    pub fn prepare_spare(&self) {
        let mut w = self.shared.lock();
        if w.spare.is_none() {
            // `owed` is None until the first edit, which makes the spare first: the copy
            // of the current index is complete.
            w.spare = Some(Arc::new((*self.shared.current.load_full()).clone()));
        }
    }

    /// A counter that grows after every edit or replacement is published: equal values
    /// mean the same points (caches of answers over all points put it in their keys; those
    /// over an area, such as vector tiles, use [`LiveIndex::generation_in`]). A reader that
    /// loads the generation and then a snapshot sees at least that generation's points.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// The generation of the last published change inside `bbox` (edges included): an edit
    /// that added, removed, moved or changed a point there (its old or its new position in
    /// the box), or a replacement of the whole index; 0 when nothing changed since the
    /// start. Equal values mean the same points in the box, so caches of answers over an
    /// area (vector tiles) put it in their keys and survive edits elsewhere. Exact for the
    /// last [`MAX_RECENT`] positions edited; older changes count as changing every area.
    /// Lock-free. A reader that loads it and then a snapshot sees at least that state of
    /// the box (the record is published after the edit).
    pub fn generation_in(&self, bbox: &Bbox) -> u64 {
        self.shared.recent.load().generation_in(bbox)
    }

    /// The current index: an immutable snapshot, unaffected by later edits. Lock-free.
    pub fn snapshot(&self) -> Arc<ServiceIndex> {
        self.shared.current.load_full()
    }

    /// Inserts or replaces the point with `p.id`; returns the point it replaced.
    pub fn upsert(&self, p: ServicePoint) -> Option<Arc<ServicePoint>> {
        self.upsert_timed(p).0
    }

    /// [`LiveIndex::upsert`], also telling where the time went.
    pub fn upsert_timed(&self, p: ServicePoint) -> (Option<Arc<ServicePoint>>, EditTiming) {
        self.edit(Change::Upsert(Arc::new(p)))
    }

    /// Removes the point with this id; returns it if it was there.
    pub fn remove(&self, id: &str) -> Option<Arc<ServicePoint>> {
        self.remove_timed(id).0
    }

    /// [`LiveIndex::remove`], also telling where the time went.
    pub fn remove_timed(&self, id: &str) -> (Option<Arc<ServicePoint>>, EditTiming) {
        self.edit(Change::Remove(id.to_string()))
    }

    /// Replaces the whole index (e.g. after a bulk import). Readers keep their snapshots;
    /// the retired copies are dropped on the background thread.
    pub fn replace(&self, index: ServiceIndex) {
        let mut w = self.shared.lock();
        let spare = Arc::new(index.clone());
        w.owed = None;
        let old_spare = w.spare.replace(spare);
        let old = self.shared.current.swap(Arc::new(index));
        let generation = self.shared.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.shared.recent.store(Arc::new(Recent {
            floor: generation,
            changes: VecDeque::new(),
        }));
        drop(w);
        self.dispose(old);
        if let Some(s) = old_spare {
            self.dispose(s);
        }
    }

    /// Waits until the spare copy is free of readers (or missing, or the wait is over) and
    /// returns the writer's lock.
    fn free_spare(&self) -> MutexGuard<'_, Writer> {
        let start = Instant::now();
        let max_wait = match self.worker.get() {
            Some(None) => SOLO_WAIT,
            _ => MAX_WAIT,
        };
        let mut pause = Duration::from_micros(10);
        loop {
            let mut w = self.shared.lock();
            let free = w.spare.as_mut().is_none_or(|s| Arc::get_mut(s).is_some());
            if free || start.elapsed() > max_wait {
                return w;
            }
            // Unlocked while asleep, so that the background thread can renew the spare.
            drop(w);
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }

    fn edit(&self, change: Change) -> (Option<Arc<ServicePoint>>, EditTiming) {
        let start = Instant::now();
        let mut guard = self.free_spare();
        let w = &mut *guard;
        let spare_arc = match w.spare.as_mut() {
            Some(s) => s,
            // The first edit copies the current index when no spare was prepared (nothing
            // is owed then: the copy is complete).
            None => w
                .spare
                .insert(Arc::new((*self.shared.current.load_full()).clone())),
        };
        if Arc::get_mut(spare_arc).is_none() {
            // Still held after the longest wait (no background thread, or it is stuck): copy
            // it; the holder keeps the old one, which is disposed of off this path.
            let copy = Arc::new((**spare_arc).clone());
            let held = std::mem::replace(spare_arc, copy);
            self.dispose(held);
        }
        let waited = start.elapsed();
        // The only reference by now: no copy is made here.
        let spare = Arc::make_mut(spare_arc);
        if let Some(owed) = w.owed.take() {
            owed.apply(spare);
        }
        let result = change.apply(spare);
        let published = spare_arc.clone();
        let previous = self.shared.current.swap(published);
        let generation = self.shared.generation.fetch_add(1, Ordering::AcqRel) + 1;
        // After the swap (see `generation_in`): the old position and the new one.
        let new_position = match &change {
            Change::Upsert(p) => Some(p.location),
            Change::Remove(_) => None,
        };
        let touched = result.as_ref().map(|old| old.location).into_iter();
        let recent = self
            .shared
            .recent
            .load()
            .with(touched.chain(new_position), generation);
        self.shared.recent.store(Arc::new(recent));
        w.spare = Some(previous);
        w.owed = Some(change);
        drop(guard);
        let timing = EditTiming {
            wait: waited,
            apply: start.elapsed() - waited,
        };
        // Without a background thread the next edit catches up itself.
        let _ = self.send(Job::CatchUp);
        (result, timing)
    }
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
    fn a_reader_keeping_the_spare_gets_it_renewed_and_dropped_off_its_thread() {
        let live = LiveIndex::new(ServiceIndex::new(vec![point("a", 113.0)]).unwrap());
        live.prepare_spare();
        let held = live.snapshot();
        let held_weak = Arc::downgrade(&held);
        live.upsert(point("b", 113.1)); // `held` is now the spare, owing "b"
                                        // The background thread gives up on `held` after LONG_HOLD and copies the current
                                        // index into a new spare: the next edit goes through while `held` is still kept.
        std::thread::sleep(LONG_HOLD * 3);
        let (old, timing) = live.upsert_timed(point("c", 113.2));
        assert!(old.is_none());
        assert!(
            timing.wait < MAX_WAIT,
            "the edit did not fall back to copying"
        );
        assert_eq!(ids(&held), ["a"], "the kept snapshot never changes");
        assert_eq!(ids(&live.snapshot()), ["a", "b", "c"]);
        // Once its reader lets go, the retired copy is dropped by the background thread.
        drop(held);
        let gone = (0..1000).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            held_weak.upgrade().is_none()
        });
        assert!(gone, "the retired copy is dropped");
        // Both copies agree after more edits flip them.
        live.remove("a");
        live.upsert(point("d", 113.3));
        live.remove("d");
        assert_eq!(ids(&live.snapshot()), ["b", "c"]);
        live.upsert(point("e", 113.4));
        assert_eq!(ids(&live.snapshot()), ["b", "c", "e"]);
    }

    #[test]
    fn replace_retires_both_old_copies() {
        let live = LiveIndex::new(ServiceIndex::new(vec![point("a", 113.0)]).unwrap());
        live.upsert(point("b", 113.1));
        let old = Arc::downgrade(&live.snapshot());
        live.replace(ServiceIndex::new(vec![point("z", 100.0)]).unwrap());
        assert_eq!(ids(&live.snapshot()), ["z"]);
        let gone = (0..1000).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            old.upgrade().is_none()
        });
        assert!(gone);
        live.upsert(point("y", 100.0));
        live.remove("z");
        assert_eq!(ids(&live.snapshot()), ["y"]);
    }

    /// Hammers the index with readers while one writer moves, inserts and removes points:
    /// every snapshot must be a whole state (the id lists, the per-kind lists, the tree and
    /// `get` agree, and the count of moved points never goes down); some readers keep their
    /// snapshot past [`LONG_HOLD`] (renewals) and check it did not change meanwhile.
    #[test]
    fn hammered_readers_see_whole_states_during_moves_inserts_and_removals() {
        let n = 300;
        let pts: Vec<_> = (0..n).map(|i| point(&format!("p{i:03}"), 110.0)).collect();
        let live = Arc::new(LiveIndex::new(ServiceIndex::new(pts).unwrap()));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..3)
            .map(|r| {
                let (live, done) = (live.clone(), done.clone());
                std::thread::spawn(move || {
                    let mut last_moved = 0;
                    let mut reads = 0;
                    while !done.load(Ordering::Acquire) || reads < 50 {
                        reads += 1;
                        let s = live.snapshot();
                        let listed = ids(&s);
                        let extra = listed.iter().filter(|id| id.starts_with('x')).count();
                        assert!(extra <= 1, "at most one inserted point at a time");
                        assert_eq!(listed.len(), n + extra);
                        assert_eq!(s.len(), listed.len());
                        assert_eq!(s.count_of_kind(ServiceKind::Station), listed.len());
                        let everywhere = s.nearest(
                            LonLat::new(110.5, 28.0).unwrap(),
                            10 * n,
                            &Default::default(),
                        );
                        assert_eq!(everywhere.len(), listed.len(), "tree and id list disagree");
                        let moved = s.iter_sorted().filter(|p| p.location.lon == 111.0).count();
                        let in_tree = s
                            .within(LonLat::new(111.0, 28.0).unwrap(), 1.0, &Default::default())
                            .len();
                        assert_eq!(moved, in_tree, "tree and id list disagree");
                        assert!(moved >= last_moved, "a published move was undone");
                        last_moved = moved;
                        for id in &listed {
                            assert!(s.get(id).is_some(), "`{id}` listed but not found");
                        }
                        if r == 0 && reads % 20 == 0 {
                            // kept past LONG_HOLD: the snapshot must not change meanwhile
                            std::thread::sleep(LONG_HOLD + Duration::from_millis(20));
                            assert_eq!(ids(&s), listed);
                        }
                    }
                })
            })
            .collect();
        for i in 0..n {
            live.upsert(point(&format!("p{i:03}"), 111.0));
            if i % 3 == 0 {
                live.upsert(point(&format!("x{i:03}"), 112.0));
                live.remove(&format!("x{i:03}"));
            }
        }
        done.store(true, Ordering::Release);
        for r in readers {
            r.join().unwrap();
        }
        let s = live.snapshot();
        assert_eq!(s.len(), n);
        assert_eq!(
            s.iter_sorted().filter(|p| p.location.lon == 111.0).count(),
            n
        );
    }

    fn bbox(west: f64, east: f64) -> Bbox {
        Bbox::new(west, 27.0, east, 29.0).unwrap()
    }

    /// The ids and positions of the points in `b`, from the index itself.
    fn in_box(live: &LiveIndex, b: &Bbox) -> Vec<(String, f64)> {
        let s = live.snapshot();
        let mut v: Vec<_> = s
            .in_bbox(b, &Default::default())
            .iter()
            .map(|p| (p.id.clone(), p.location.lon))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn an_area_generation_changes_with_edits_inside_it_only() {
        let live =
            LiveIndex::new(ServiceIndex::new(vec![point("a", 113.0), point("b", 115.0)]).unwrap());
        let (west, east) = (bbox(112.5, 113.5), bbox(114.5, 115.5));
        assert_eq!(
            (live.generation_in(&west), live.generation_in(&east)),
            (0, 0)
        );
        live.upsert(point("b", 115.1)); // a move inside `east`
        assert_eq!(
            live.generation_in(&west),
            0,
            "an edit elsewhere keeps the area"
        );
        assert_eq!(live.generation_in(&east), 1);
        live.upsert(point("a", 115.2)); // from `west` to `east`: both change
        assert_eq!(
            (live.generation_in(&west), live.generation_in(&east)),
            (2, 2)
        );
        live.remove("a"); // removed in `east`
        assert_eq!(
            (live.generation_in(&west), live.generation_in(&east)),
            (2, 3)
        );
        // edges are inclusive, as for the bbox queries
        live.upsert(point("c", 113.5));
        assert_eq!(
            (live.generation_in(&west), live.generation_in(&east)),
            (4, 3)
        );
        live.replace(ServiceIndex::new(vec![point("z", 100.0)]).unwrap());
        assert_eq!(
            (live.generation_in(&west), live.generation_in(&east)),
            (5, 5)
        );
        assert_eq!(live.generation(), 5);
    }

    /// Random moves, insertions and removals over 8 boxes, more positions than
    /// [`MAX_RECENT`] keeps: whenever a box's generation is unchanged, its points (ids and
    /// positions, from the index's own bbox query) are unchanged, and generations never go
    /// down.
    #[test]
    fn an_unchanged_area_generation_means_unchanged_points_in_it() {
        let lon = |i: u64| 110.0 + (i % 80) as f64 * 0.1;
        let live = LiveIndex::new(
            ServiceIndex::new(
                (0..40)
                    .map(|i| point(&format!("p{i}"), lon(i * 2)))
                    .collect(),
            )
            .unwrap(),
        );
        let boxes: Vec<Bbox> = (0..8)
            .map(|b| bbox(110.0 + b as f64, 110.95 + b as f64))
            .collect();
        let mut seen: Vec<(u64, Vec<(String, f64)>)> = boxes
            .iter()
            .map(|b| (live.generation_in(b), in_box(&live, b)))
            .collect();
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64; // xorshift, fixed seed
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut full_invalidations = 0;
        for _ in 0..1500 {
            let id = format!("p{}", next() % 50);
            if next() % 5 == 0 {
                live.remove(&id);
            } else {
                live.upsert(point(&id, lon(next())));
            }
            let mut changed = 0;
            for (b, (generation, points)) in boxes.iter().zip(seen.iter_mut()) {
                let (g, now) = (live.generation_in(b), in_box(&live, b));
                assert!(g >= *generation, "a generation went down");
                if g == *generation {
                    assert_eq!(&now, points, "points changed under an unchanged generation");
                } else {
                    changed += 1;
                }
                (*generation, *points) = (g, now);
            }
            if changed == boxes.len() {
                full_invalidations += 1;
            }
        }
        // Most edits leave most boxes alone (an edit touches at most two of the eight).
        assert!(
            full_invalidations < 20,
            "{full_invalidations} edits changed every box"
        );
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
