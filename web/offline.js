// @ts-check
// Weak signal and offline: what the page keeps on the device (IndexedDB, database
// `nuanxin`) so that it still answers without a network.
//   - `areas`: the service points of every kind around the area last viewed (one record,
//     key `last`: { bbox [w, s, e, n] WGS-84 degrees, saved_at ms, features }), refreshed
//     at most every AREA_MAX_AGE_MS or when the map leaves the cached area. Offline,
//     "nearest" is computed from them on the device (straight-line, haversine). Until that
//     record can be read (not written yet: the signal went before the area's request
//     finished; storage unavailable or evicted), the points this page received online in
//     this visit (`rememberPoints`) answer instead.
//   - `outbox`: suggestions filed without a signal, each with the Idempotency-Key made when
//     it was queued; sent in order when the signal returns. The server stores the key with
//     the suggestion, so a repeat (a reply lost on the way back) returns the first receipt
//     instead of a second suggestion.
// The app shell itself (HTML, JS, CSS, MapLibre, boundaries) is cached by the service
// worker (sw.js).

import { api, ApiError, isNetworkError, qs } from './api.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

const DB = 'nuanxin';
const DB_VERSION = 1;

/** Half-size of the cached area around the viewport's centre, degrees (≈ 15 km × 13 km). */
export const AREA_HALF_DEG = [0.15, 0.12];
/** Cached points older than this are refreshed when online (30 minutes). */
export const AREA_MAX_AGE_MS = 30 * 60 * 1000;
/** Most points kept for offline use. */
export const AREA_LIMIT = 5000;
/** Mean Earth radius, metres (IUGG), as `crate::geodesy`. */
const EARTH_RADIUS_M = 6371008.8;

let dbPromise;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      if (!('indexedDB' in window)) { reject(new Error('no IndexedDB')); return; }
      const req = indexedDB.open(DB, DB_VERSION);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains('areas')) d.createObjectStore('areas');
        if (!d.objectStoreNames.contains('outbox')) d.createObjectStore('outbox', { keyPath: 'key' });
      };
      req.onsuccess = () => {
        const d = req.result;
        // A newer page (a new build with a new DB_VERSION) is upgrading the database: step
        // aside (the next call opens it again) instead of blocking it.
        d.onversionchange = () => { d.close(); dbPromise = null; };
        resolve(d);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => console.warn('offline cache: waiting for another tab to close the old database');
    });
    // A failed open (storage busy, a blocked upgrade) is tried again by the next caller
    // rather than remembered for the life of the page.
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

/** Runs `fn(store)` in a transaction of `store` and resolves with the request's result. */
async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** Whether an error means "no network" (as opposed to an answer from the server): api.js's,
 * re-exported for the modules that import it from here. */
export { isNetworkError };

// ---------------------------------------------------------------- service points

let area = null; // the cached record, once read
let refreshing = null;
/** Points received online during this visit, by id: the fallback when no area can be read. */
const seen = new Map();
/** Most points kept in `seen` (the oldest are dropped first). */
const SEEN_LIMIT = AREA_LIMIT;
/** When the first of `seen` was received (ms since the epoch; 0: none yet). */
let seenSince = 0;

/** The cached area record ({ bbox, saved_at, features }) or null. */
export async function cachedArea() {
  if (area) return area;
  try {
    area = (await tx('areas', 'readonly', (s) => s.get('last'))) || null;
  } catch (e) {
    console.warn('offline cache: cannot read the kept points:', e?.message || e);
    area = null;
  }
  return area;
}

function inside(bbox, [lon, lat]) {
  return lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3];
}

/**
 * Keeps the points around `centre` ([lon, lat]) for offline use: fetches every kind in
 * AREA_HALF_DEG around it unless the cached area is recent and `viewBbox` ([w, s, e, n])
 * lies inside it. Quiet on failure (it is a cache).
 */
export async function keepArea(centre, viewBbox) {
  if (refreshing || !navigator.onLine) return;
  const have = await cachedArea();
  const fresh = have && Date.now() - have.saved_at < AREA_MAX_AGE_MS;
  if (fresh && inside(have.bbox, [viewBbox[0], viewBbox[1]]) && inside(have.bbox, [viewBbox[2], viewBbox[3]])) return;
  const [lon, lat] = centre;
  const bbox = [
    Math.max(-180, Math.min(lon - AREA_HALF_DEG[0], viewBbox[0])), Math.max(-90, Math.min(lat - AREA_HALF_DEG[1], viewBbox[1])),
    Math.min(180, Math.max(lon + AREA_HALF_DEG[0], viewBbox[2])), Math.min(90, Math.max(lat + AREA_HALF_DEG[1], viewBbox[3])),
  ].map((v) => Number(v.toFixed(5)));
  refreshing = (async () => {
    try {
      const fc = /** @type {Reply<'/api/v1/points'>} */ (await api(`/api/v1/points?${qs({ bbox: bbox.join(','), limit: AREA_LIMIT })}`));
      const rec = { bbox, saved_at: Date.now(), features: (fc?.features || []).map(slim) };
      // In memory first: this visit answers from it even if the write below fails.
      area = rec;
      await tx('areas', 'readwrite', (s) => s.put(rec, 'last'));
      // Ask the browser not to evict the kept points under storage pressure (best effort:
      // browsers grant it on their own terms; without it the cache may go, never the app).
      if (!have) navigator.storage?.persist?.().catch(() => undefined);
    } catch (e) {
      console.warn('offline cache:', e.message || e);
    } finally {
      refreshing = null;
    }
  })();
  await refreshing;
}

/**
 * Remembers points received from the server during this visit (the viewport's points, the
 * nearest answer), so that "nearest" still answers if the signal goes before the area is
 * kept on the device. At most SEEN_LIMIT are held (oldest out).
 */
export function rememberPoints(features) {
  for (const f of features || []) {
    const id = f?.properties?.id;
    const c = f?.geometry?.coordinates;
    if (id === undefined || id === null || !Array.isArray(c) || !Number.isFinite(c[0]) || !Number.isFinite(c[1])) continue;
    const key = String(id);
    seen.delete(key);
    seen.set(key, slim(f));
  }
  for (const key of seen.keys()) {
    if (seen.size <= SEEN_LIMIT) break;
    seen.delete(key);
  }
  if (seen.size && !seenSince) seenSince = Date.now();
}

/** A point feature without what offline use does not need. */
function slim(f) {
  const p = f.properties || {};
  /** @type {(keyof import('./types/api').Schemas['PointPropertiesDoc'])[]} */
  const keep = ['id', 'kind', 'name', 'address', 'opening_hours', 'amenities', 'access', 'phone', 'demo', 'nav_amap', 'nav_baidu'];
  return { type: 'Feature', geometry: f.geometry, properties: Object.fromEntries(keep.filter((k) => p[k] !== undefined && p[k] !== null).map((k) => [k, p[k]])) };
}

/** Great-circle distance between two [lon, lat] points, metres (haversine). */
export function haversineM(a, b) {
  const r = Math.PI / 180;
  const dLat = (b[1] - a[1]) * r;
  const dLon = (b[0] - a[0]) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The `k` points of `features` nearest to `here` ([lon, lat] degrees) of `kind` offering
 * every amenity in `amenities` (and passing `filter(properties)` when given), nearest first,
 * each a copy with `distance_m` (straight-line, haversine, metres) and `offline: true`.
 * Pure: what "nearest" answers on the device.
 */
export function rankNearest(here, features, { kind, amenities = [], k = 5, filter = null }) {
  return features
    .filter((f) => f.properties.kind === kind)
    .filter((f) => amenities.every((m) => (f.properties.amenities || []).includes(m)))
    .filter((f) => !filter || filter(f.properties))
    .map((f) => ({ ...f, properties: { ...f.properties, distance_m: haversineM(here, f.geometry.coordinates), offline: true } }))
    .sort((x, y) => x.properties.distance_m - y.properties.distance_m)
    .slice(0, k);
}

/**
 * The `k` nearest points to `here` ([lon, lat]) computed on the device (rankNearest), from
 * the area kept on the device, else from the points received in this visit
 * (rememberPoints); null when there are neither. Returns { features, saved_at (ms),
 * covers (whether `here` lies in the kept area; false for the visit's points), source
 * ('area' | 'visit') }.
 */
export async function nearestOffline(here, opts) {
  const a = await cachedArea();
  if (a) return { features: rankNearest(here, a.features, opts), saved_at: a.saved_at, covers: inside(a.bbox, here), source: 'area' };
  if (!seen.size) return null;
  return { features: rankNearest(here, [...seen.values()], opts), saved_at: seenSince, covers: false, source: 'visit' };
}

/** Kept points of `kind` inside `bbox` ([w, s, e, n]), for the map when offline (the kept
 * area, else the points received in this visit). */
export async function pointsOffline(kind, bbox) {
  const a = await cachedArea();
  const feats = a ? a.features : [...seen.values()];
  return feats.filter((f) => f.properties.kind === kind && inside(bbox, f.geometry.coordinates));
}

// ---------------------------------------------------------------- outbox

/** A new Idempotency-Key (UUID v4). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Queues a suggestion: { key, fields (the JSON body), photo (Blob|null), category,
 * queued_at ms }. Resolves when it is stored.
 */
export async function enqueue(item) {
  await tx('outbox', 'readwrite', (s) => s.put(item));
}

/** Every queued suggestion, oldest first. */
export async function queued() {
  try {
    const all = (await tx('outbox', 'readonly', (s) => s.getAll())) || [];
    return all.sort((a, b) => a.queued_at - b.queued_at);
  } catch {
    return [];
  }
}

/** Sends one suggestion with its Idempotency-Key; resolves with the server's answer. */
export function send(item) {
  let opts;
  if (item.photo) {
    const form = new FormData();
    const { lon, lat, ...rest } = item.fields;
    form.append('location', `${lon},${lat}`);
    for (const [k, v] of Object.entries(rest)) form.append(k, String(v));
    form.append('photo', item.photo, item.photo.name || 'photo');
    opts = { method: 'POST', form };
  } else {
    opts = { method: 'POST', json: item.fields };
  }
  return api('/api/v1/suggestions', { ...opts, headers: { 'Idempotency-Key': item.key } });
}

let flushing = null;
/**
 * Sends every queued suggestion, oldest first, each at most once at a time. `onSent(item,
 * answer)` is called for each one the server accepted (201, or the first answer again for a
 * repeated key); `onRejected(item, error)` for one the server refused (4xx: kept in the
 * outbox with the error, never dropped silently). Stops at the first network error (or
 * 5xx / 429). Resolves with the number of suggestions still waiting to be sent (rejected
 * ones not counted): 0 when the outbox is done.
 */
export function flush(onSent, onRejected) {
  if (flushing) return flushing;
  flushing = (async () => {
    try {
      const items = (await queued()).filter((item) => !item.rejected);
      for (const [i, item] of items.entries()) {
        let answer;
        try {
          answer = await send(item);
        } catch (e) {
          if (isNetworkError(e) || (e instanceof ApiError && (e.status >= 500 || e.status === 429))) return items.length - i;
          item.rejected = String(e.message || e);
          await tx('outbox', 'readwrite', (s) => s.put(item));
          onRejected?.(item, e);
          continue;
        }
        await tx('outbox', 'readwrite', (s) => s.delete(item.key));
        onSent?.(item, answer);
      }
      return 0;
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/** Removes a queued suggestion (the user gave it up). */
export async function discard(key) {
  await tx('outbox', 'readwrite', (s) => s.delete(key));
}
