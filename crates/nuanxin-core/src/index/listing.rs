//! Listing service points in id order, page by page, in time proportional to the page.
//!
//! The index keeps every point sorted by id, overall and per kind ([`Listed`] entries: the
//! point, a copy of its filter fields and its interned opening hours). Then
//!
//! - **no filter, or kinds only**: `numberMatched` is the sum of the lists' lengths (O(1));
//!   one kind is a slice of its list; several kinds are merged from the position of rank
//!   `offset`, found by binary search over the lists (O(m² log² n) for m kinds), so a page
//!   costs O(page) at any offset;
//! - **amenities, access, opening time**: the page is read from the id order skipping
//!   non-matching entries (O((offset + page) / selectivity), reading only the 16-byte entries
//!   and one `bool` per distinct opening-hours expression); `numberMatched` is counted once
//!   per filter and cached until the index changes ([`CountCache`]);
//! - **a bbox**: the R-tree finds the matches (O(matches)), and only the first
//!   `offset + limit` of them by id are sorted (`select_nth_unstable`); a bbox that covers
//!   every point takes the id-order path above.

use super::{bbox_envelope, kind_slot, Attrs, Filter, ServiceIndex};
use crate::model::{
    AccessMethod, AmenitySet, Bbox, LonLat, OpeningHours, ServiceKind, ServicePoint,
};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One point in an id-ordered list: 16 bytes.
#[derive(Debug, Clone)]
pub(super) struct Listed {
    pub(super) point: Arc<ServicePoint>,
    attrs: Attrs,
    /// Number of the point's opening hours in the index's [`HoursTable`] (0: unknown).
    hours: u32,
}

impl Listed {
    pub(super) fn new(point: Arc<ServicePoint>, hours: &mut HoursTable) -> Self {
        Listed {
            attrs: Attrs::of(&point),
            hours: hours.intern(point.opening_hours.as_ref()),
            point,
        }
    }
}

/// `b` grown to hold `p` (a box around `p` alone when `b` is `None`).
pub(super) fn grown(b: Option<Bbox>, p: LonLat) -> Bbox {
    match b {
        None => Bbox {
            west: p.lon,
            south: p.lat,
            east: p.lon,
            north: p.lat,
        },
        Some(b) => Bbox {
            west: b.west.min(p.lon),
            south: b.south.min(p.lat),
            east: b.east.max(p.lon),
            north: b.north.max(p.lat),
        },
    }
}

/// Position of `id` in an id-ordered list (`Err`: where it would be inserted).
pub(super) fn find(list: &[Listed], id: &str) -> Result<usize, usize> {
    list.binary_search_by(|l| l.point.id.as_str().cmp(id))
}

/// Puts `entry` in an id-ordered list: inserted in order, or replacing the entry with its id.
pub(super) fn put(list: &mut Vec<Listed>, entry: Listed) {
    match find(list, &entry.point.id) {
        Ok(at) => list[at] = entry,
        Err(at) => list.insert(at, entry),
    }
}

/// Number of entries of `list` whose id is below `id`.
fn lower_bound(list: &[Listed], id: &str) -> usize {
    list.partition_point(|l| l.point.id.as_str() < id)
}

/// The distinct opening-hours expressions of the indexed points, numbered from 1 (0 is
/// "unknown"), so that an `open_at` filter evaluates each expression once per query instead
/// of once per point. Never shrinks (an expression no point uses any more costs one entry).
#[derive(Debug, Clone, Default)]
pub(super) struct HoursTable {
    exprs: Vec<OpeningHours>,
    numbers: HashMap<String, u32>,
}

impl HoursTable {
    fn intern(&mut self, h: Option<&OpeningHours>) -> u32 {
        let Some(h) = h else { return 0 };
        if let Some(&n) = self.numbers.get(h.as_str()) {
            return n;
        }
        // Past 2³² − 1 distinct expressions (far more than memory holds) a new one is
        // "unknown" rather than a wrapped number.
        let Ok(n) = u32::try_from(self.exprs.len() + 1) else {
            return 0;
        };
        self.exprs.push(h.clone());
        self.numbers.insert(h.as_str().to_string(), n);
        n
    }

    /// For each number, whether its expression is open at `t` (unknown hours never are).
    fn open_at(&self, t: NaiveDateTime) -> Vec<bool> {
        std::iter::once(false)
            .chain(self.exprs.iter().map(|h| h.is_open_at(t)))
            .collect()
    }
}

/// A filter prepared for scanning [`Listed`] entries.
struct Prepared<'a> {
    filter: &'a Filter,
    /// Indexed by hours number, when the filter has `open_at`.
    open: Option<Vec<bool>>,
}

impl Prepared<'_> {
    fn admits(&self, l: &Listed) -> bool {
        l.attrs.admitted_by(self.filter)
            && self.open.as_ref().is_none_or(|open| open[l.hours as usize])
    }
}

/// The filter as a hashable key for [`CountCache`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CountKey {
    kinds: u32,
    amenities: AmenitySet,
    access: u32,
    open_at: Option<NaiveDateTime>,
}

impl CountKey {
    fn of(f: &Filter) -> Self {
        let kinds = f
            .kinds
            .iter()
            .map(|k| 1u32 << kind_slot(*k))
            .fold(0, |a, b| a | b);
        let access = f
            .access
            .iter()
            .map(|a| 1u32 << AccessMethod::ALL.iter().position(|x| x == a).unwrap_or(31))
            .fold(0, |a, b| a | b);
        CountKey {
            kinds,
            amenities: f.amenities,
            access,
            open_at: f.open_at,
        }
    }
}

/// `numberMatched` of the filters asked for, at most [`CountCache::CAPACITY`] of them (then it
/// starts afresh). Each edit adjusts the cached counts by whether the filter admits the point
/// before and after it ([`CountCache::follow`], O(cached filters), never a rescan). An
/// `open_now` filter is keyed by its time, so it is recounted when the clock moves (one scan
/// of 16-byte entries: a few milliseconds at 1M points); edits drop those.
#[derive(Debug, Default)]
pub(super) struct CountCache(Mutex<HashMap<CountKey, (Filter, usize)>>);

impl CountCache {
    const CAPACITY: usize = 256;

    /// Follows one change of the index: the point `gone` left it and/or `came` entered it.
    pub(super) fn follow(&mut self, gone: Option<&ServicePoint>, came: Option<&ServicePoint>) {
        let map = self.0.get_mut().unwrap_or_else(|p| p.into_inner());
        map.retain(|key, _| key.open_at.is_none());
        for (filter, n) in map.values_mut() {
            let admitted =
                |p: Option<&ServicePoint>| usize::from(p.is_some_and(|p| filter.admits(p)));
            *n = (*n + admitted(came)).saturating_sub(admitted(gone));
        }
    }

    fn get_or_count(&self, filter: &Filter, count: impl FnOnce() -> usize) -> usize {
        let key = CountKey::of(filter);
        if let Some((_, n)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return *n;
        }
        let n = count();
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, (filter.clone(), n));
        n
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// The points of the page, in id order.
    pub points: Vec<Arc<ServicePoint>>,
    /// How many points match the query in all (`numberMatched`).
    pub matched: usize,
}

impl ServiceIndex {
    /// The points admitted by `filter` (and inside `bbox`, edges inclusive, when given), in
    /// id order, from the `offset`-th match on, at most `limit` of them, with the number of
    /// matches. Cost: see the module docs of `index::listing`; O(page) without a bbox and
    /// with kind filters, whatever the offset.
    pub fn page(&self, bbox: Option<&Bbox>, filter: &Filter, offset: usize, limit: usize) -> Page {
        if let Some(b) = bbox.filter(|b| !self.extent_inside(b)) {
            return self.bbox_page(b, filter, offset, limit);
        }
        let lists = self.kind_lists(filter);
        let attributes_only_kinds =
            filter.amenities.is_empty() && filter.access.is_empty() && filter.open_at.is_none();
        if attributes_only_kinds {
            let matched = lists.iter().map(|l| l.len()).sum();
            return Page {
                points: union_page(&lists, offset, limit),
                matched,
            };
        }
        let prepared = self.prepare(filter);
        let matched = self.count_prepared(&prepared, &lists);
        let scan: &[Listed] = if lists.len() == 1 {
            lists[0]
        } else {
            &self.sorted
        };
        let points = scan
            .iter()
            .filter(|l| prepared.admits(l))
            .skip(offset)
            .take(limit)
            .map(|l| l.point.clone())
            .collect();
        Page { points, matched }
    }

    /// How many points of `kind` the index holds (O(1)).
    pub fn count_of_kind(&self, kind: ServiceKind) -> usize {
        self.by_kind.get(kind_slot(kind)).map_or(0, Vec::len)
    }

    /// Keeps the cached per-kind extents right after a point of `kind` left `gone` and/or
    /// arrived at `came`: an arrival grows its kind's box; a departure from the inside of the
    /// box changes nothing; only a departure from its edge drops the cache (recomputed by the
    /// next [`ServiceIndex::extent_of_kind`]).
    pub(super) fn kind_extent_follows(
        &mut self,
        kind: ServiceKind,
        gone: Option<LonLat>,
        came: Option<LonLat>,
    ) {
        let Some(extents) = self.kind_extents.get_mut() else {
            return;
        };
        let Some(slot) = extents.get_mut(kind_slot(kind)) else {
            self.kind_extents.take();
            return;
        };
        let on_edge = |b: &Bbox, p: LonLat| {
            p.lon <= b.west || p.lon >= b.east || p.lat <= b.south || p.lat >= b.north
        };
        if let Some(g) = gone {
            if slot.as_ref().is_none_or(|b| on_edge(b, g)) {
                self.kind_extents.take();
                return;
            }
        }
        if let Some(c) = came {
            *slot = Some(grown(*slot, c));
        }
    }

    /// The smallest bbox holding every point of `kind` (`None` when there is none); computed
    /// once (O(points of the kind)), then kept up to date by edits
    /// (`kind_extent_follows`), recomputed only after a point left the box's edge.
    pub fn extent_of_kind(&self, kind: ServiceKind) -> Option<Bbox> {
        let extents = self.kind_extents.get_or_init(|| {
            self.by_kind
                .iter()
                .map(|list| {
                    list.iter()
                        .fold(None, |b, l| Some(grown(b, l.point.location)))
                })
                .collect()
        });
        extents.get(kind_slot(kind)).copied().flatten()
    }

    /// How many points `filter` admits: O(1) for no filter or kinds only, else one scan of
    /// the id-ordered entries, cached per filter until the index changes.
    pub fn count(&self, filter: &Filter) -> usize {
        let lists = self.kind_lists(filter);
        self.count_prepared(&self.prepare(filter), &lists)
    }

    fn prepare<'a>(&self, filter: &'a Filter) -> Prepared<'a> {
        Prepared {
            filter,
            open: filter.open_at.map(|t| self.hours.open_at(t)),
        }
    }

    fn count_prepared(&self, prepared: &Prepared<'_>, lists: &[&[Listed]]) -> usize {
        let f = prepared.filter;
        if f.amenities.is_empty() && f.access.is_empty() && f.open_at.is_none() {
            return lists.iter().map(|l| l.len()).sum();
        }
        self.counts.get_or_count(f, || {
            lists
                .iter()
                .map(|l| l.iter().filter(|l| prepared.admits(l)).count())
                .sum()
        })
    }

    /// The id-ordered lists the filter's kinds select: the overall list when it admits
    /// every kind.
    fn kind_lists(&self, filter: &Filter) -> Vec<&[Listed]> {
        let mut slots: Vec<usize> = filter.kinds.iter().map(|k| kind_slot(*k)).collect();
        slots.sort_unstable();
        slots.dedup();
        if slots.is_empty() || slots.len() == ServiceKind::ALL.len() || self.by_kind.is_empty() {
            return vec![&self.sorted];
        }
        slots.iter().map(|&s| &self.by_kind[s][..]).collect()
    }

    /// Whether every indexed point lies inside `b` (then a bbox query is a plain listing).
    fn extent_inside(&self, b: &Bbox) -> bool {
        self.extent.is_none_or(|e| {
            b.west <= b.east
                && b.west <= e.west
                && e.east <= b.east
                && b.south <= e.south
                && e.north <= b.north
        })
    }

    fn bbox_page(&self, b: &Bbox, filter: &Filter, offset: usize, limit: usize) -> Page {
        let mut v: Vec<&Arc<ServicePoint>> = self
            .tree
            .locate_in_envelope(bbox_envelope(b))
            .filter(|e| e.admitted_by(filter) && b.contains(e.point.location))
            .map(|e| &e.point)
            .collect();
        let matched = v.len();
        let end = offset.saturating_add(limit).min(matched);
        if offset >= end {
            return Page {
                points: Vec::new(),
                matched,
            };
        }
        let by_id = |a: &&Arc<ServicePoint>, b: &&Arc<ServicePoint>| a.id.cmp(&b.id);
        if end < matched {
            v.select_nth_unstable_by(end, by_id);
            v.truncate(end);
        }
        v.sort_unstable_by(by_id);
        Page {
            points: v[offset..].iter().map(|p| (*p).clone()).collect(),
            matched,
        }
    }
}

/// Entries `offset..offset + limit` of the union of disjoint id-ordered lists, in id order.
///
/// The entry of rank `offset` is found by binary search: in each list, rank(entry) = the
/// number of entries below its id in all lists, which grows with the position, so the
/// position whose rank is `offset` (if it is in this list) is a partition point. From there
/// the lists are merged for `limit` entries.
fn union_page(lists: &[&[Listed]], offset: usize, limit: usize) -> Vec<Arc<ServicePoint>> {
    if let [list] = lists {
        let start = offset.min(list.len());
        let end = offset.saturating_add(limit).min(list.len());
        return list[start..end].iter().map(|l| l.point.clone()).collect();
    }
    let total: usize = lists.iter().map(|l| l.len()).sum();
    if offset >= total || limit == 0 {
        return Vec::new();
    }
    let rank = |id: &str| -> usize { lists.iter().map(|l| lower_bound(l, id)).sum() };
    let mut pos: Vec<usize> = Vec::new();
    for list in lists {
        let j = list.partition_point(|x| rank(&x.point.id) < offset);
        if j < list.len() && rank(&list[j].point.id) == offset {
            let id = &list[j].point.id;
            pos = lists.iter().map(|l| lower_bound(l, id)).collect();
            break;
        }
    }
    debug_assert_eq!(pos.iter().sum::<usize>(), offset);
    let mut out = Vec::with_capacity(limit.min(total - offset));
    while out.len() < limit {
        let next = lists
            .iter()
            .zip(&pos)
            .enumerate()
            .filter_map(|(i, (l, &p))| l.get(p).map(|x| (i, x)))
            .min_by(|a, b| a.1.point.id.cmp(&b.1.point.id));
        let Some((i, x)) = next else { break };
        out.push(x.point.clone());
        pos[i] += 1;
    }
    out
}
