// @ts-check
// Courier view (default, mobile-first): locate me (or tap the map), the nearest 5 of a kind
// with metres and minutes, filters, clustered kind markers, a station card with navigation.
// When the server has a road graph (config `roads`), the nearest are ranked by travel time
// along roads (`by=time&route=true`): each time says 沿道路 (by road) or 直线 (straight line,
// a fallback or offline), and the route to the chosen (or first) station is drawn.

import { api, isNetworkError, qs, toFeatures } from './api.js';
import { codes, label, t } from './i18n.js';
import { apiErrorText, clear, el, fmtDistance, fmtMinutes, kindColour, toast } from './ui.js';
import { kindGlyph } from './basemap.js';

/** offline.js (the points kept on this device), loaded on first use: not on the first view's
 * critical path on a weak signal (the service worker keeps it for offline visits). */
let offlineModule = null;
const loadOffline = () => (offlineModule ??= import('./offline.js'));
/** offline.js's rememberPoints, once the module is there (calls keep their order). */
function rememberPoints(feats) {
  loadOffline().then((o) => o.rememberPoints(feats)).catch((e) => console.warn('offline:', e.message || e));
}

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

/**
 * The properties of a point of the nearest list: the API's (`PointPropertiesDoc`, so a field
 * renamed in the API fails tsc here), or those computed on the device offline (offline.js:
 * `offline`, and `minutes` per mode).
 * @typedef {Omit<import('./types/api').Schemas['PointPropertiesDoc'], 'minutes'>
 *   & { minutes?: number | Record<string, number> | null, offline?: boolean }} PointProps
 */

const FILTER_AMENITIES = ['drinking_water', 'charging', 'hot_meals', 'toilet', 'heating', 'cooling'];
const K = 5;

const state = {
  kind: 'station',
  mode: 'ebike',
  amenities: new Set(),
  openNow: false,
  h24: false,
  here: null, // [lon, lat]
  results: [], // features from /nearest
  selectedId: null,
  seq: 0,
  offline: null, // { saved_at, covers, stillTrying } when the list was computed on the device
  openFirst: false, // the open-first order changed the API's distance order (said in the heading)
  newPlace: false, // the next results are for a new position (phones scroll the list into sight)
};
let ctx;
// Points in the current viewport (loaded by bbox on every move, at most VIEW_LIMIT of them):
// the page never asks for a whole kind, so its first load costs the same with 400 or 1M points.
let viewPoints = [];
const VIEW_LIMIT = 2000;
let viewSeq = 0; // number of the latest viewport request: older answers are dropped
// On a weak signal, cached (offline) results are shown when the API has not answered
// within this many milliseconds; the API's answer replaces them when it comes.
const WEAK_SIGNAL_MS = 6000;

export function init(c) {
  ctx = c;
  try {
    const saved = JSON.parse(localStorage.getItem('nuanxin.courier') || '{}');
    if (codes('kind').includes(saved.kind)) state.kind = saved.kind;
    if (saved.mode === 'walk' || saved.mode === 'ebike') state.mode = saved.mode;
  } catch { /* ignore */ }
  document.getElementById('locate').addEventListener('click', locate);
  document.getElementById('locate-btn').addEventListener('click', locate);
  relabel();
  status(t('pick_location_first'));
}

function save() {
  try { localStorage.setItem('nuanxin.courier', JSON.stringify({ kind: state.kind, mode: state.mode })); } catch { /* ignore */ }
}

/** A radio group of big buttons (arrow keys move, as WAI-ARIA radiogroup). */
function segmented(container, options, current, onPick) {
  const hadFocus = container.contains(document.activeElement);
  clear(container);
  const buttons = options.map(([value, text, extra]) => el('button', {
    type: 'button', role: 'radio', 'aria-checked': String(value === current),
    tabindex: value === current ? '0' : '-1', dataset: { value }, class: extra || '',
    onclick: () => onPick(value),
  }, text));
  // One handler per group (re-rendering replaces it rather than adding another).
  container.onkeydown = (e) => {
    const list = [...container.querySelectorAll('[role="radio"]')];
    const i = list.indexOf(document.activeElement);
    const d = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (i < 0 || !d) return;
    e.preventDefault();
    const b = list[(i + d + list.length) % list.length];
    b.focus();
    b.click();
  };
  container.append(...buttons);
  if (hadFocus) container.querySelector('[aria-checked="true"]')?.focus();
}

export function relabel() {
  segmented(document.getElementById('kind-seg'),
    codes('kind').map((k) => [k, label('kind', k), `kind-${k}`]), state.kind,
    (k) => { state.kind = k; save(); relabel(); refreshPoints(); runNearest(); });
  segmented(document.getElementById('mode-seg'),
    [['walk', t('mode_walk')], ['ebike', t('mode_ebike')]], state.mode,
    (m) => { state.mode = m; save(); relabel(); runNearest(); });
  const f = document.getElementById('filters');
  for (const n of [...f.querySelectorAll('label, details')]) n.remove();
  const chip = (key, text, checked, onChange) => el('label', { class: 'chip' },
    el('input', { type: 'checkbox', checked, onchange: (e) => onChange(e.target.checked), dataset: { filter: key } }), el('span', {}, text));
  // Amenity filters fold away on phones so the list stays in sight; open when any is on.
  const more = el('details', { class: 'more', open: state.amenities.size > 0 || window.innerWidth >= 900 },
    el('summary', {}, t('amenities'), state.amenities.size ? ` (${state.amenities.size})` : ''),
    el('div', { class: 'chips' }, FILTER_AMENITIES.map((a) => chip(a, label('amenity', a), state.amenities.has(a), (v) => {
      if (v) state.amenities.add(a); else state.amenities.delete(a);
      more.querySelector('summary').lastChild.textContent = state.amenities.size ? ` (${state.amenities.size})` : '';
      runNearest();
    }))));
  more.querySelector('summary').append(document.createTextNode(''));
  f.append(
    chip('open_now', t('open_now'), state.openNow, (v) => { state.openNow = v; runNearest(); }),
    chip('h24', t('h24'), state.h24, (v) => { state.h24 = v; runNearest(); }),
    more,
  );
  renderList();
  if (state.selectedId) renderCard(findFeature(state.selectedId));
  if (!state.here) {
    status(t('pick_location_first'));
    if (ctx.view === 'courier') ctx.hint(t('tap_map_hint'));
  } else if (state.results.length) {
    status(resultsStatus());
  }
}

function status(msg, isError = false) {
  const s = document.getElementById('courier-status');
  s.textContent = msg || '';
  s.classList.toggle('error', isError);
}

export function show() {
  ctx.mapReady.then(() => setVisible(true));
  if (!state.here) ctx.hint(t('tap_map_hint'));
}

export function hide() { setVisible(false); }

function setVisible(on) {
  const v = on ? 'visible' : 'none';
  for (const id of ['route-casing', 'route-line', 'pt-cluster', 'pt-cluster-count', 'pt-icon', 'near-icon', 'near-rank', 'me-halo', 'me-dot']) {
    if (ctx.map.getLayer(id)) ctx.map.setLayoutProperty(id, 'visibility', v);
  }
  for (const id of TILE_LAYERS) {
    if (ctx.map.getLayer(id)) ctx.map.setLayoutProperty(id, 'visibility', on && tiledKind ? 'visible' : 'none');
  }
}

// Large deployments: a kind with more points than `tiles_above` (/config.json) is drawn from
// the server's vector tiles (/tiles/points/…, thinned at low zoom: a feature with `count` > 1
// is a cluster bubble); below it, GeoJSON by bbox with clustering in the browser.
const TILE_LAYERS = ['pt-tile-cluster', 'pt-tile-count', 'pt-tile-icon'];
/** The kind drawn from tiles now, or null (GeoJSON). */
let tiledKind = null;

/** Whether `kind` has more points than the page should load as GeoJSON. */
function usesTiles(kind) {
  const c = ctx.config;
  const n = c?.layers?.points?.by_kind?.[kind];
  return Boolean(c?.tiles_above && c.layers?.points?.tiles && typeof n === 'number' && n > c.tiles_above);
}

/** Draws `kind` from the point tiles (adding the source and layers the first time). */
function showTiles(kind) {
  const map = ctx.map;
  const url = `${location.origin}${ctx.config.layers.points.tiles}?${qs({ kind })}`;
  const src = /** @type {any} */ (map.getSource('points-tiles'));
  if (src) src.setTiles([url]);
  else {
    map.addSource('points-tiles', { type: 'vector', tiles: [url], minzoom: 0, maxzoom: 16 });
    const base = { source: 'points-tiles', 'source-layer': 'points' };
    map.addLayer({
      ...base, id: 'pt-tile-cluster', type: 'circle', filter: ['>', ['get', 'count'], 1],
      paint: {
        'circle-color': kindColour(kind), 'circle-opacity': 0.9,
        'circle-radius': ['step', ['get', 'count'], 16, 10, 20, 50, 26],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 3,
      },
    }, 'me-halo');
    map.addLayer({
      ...base, id: 'pt-tile-count', type: 'symbol', filter: ['>', ['get', 'count'], 1],
      layout: { 'text-field': ['to-string', ['get', 'count']], 'text-font': ['Noto Sans CJK SC Bold', 'sans-serif'], 'text-size': 14, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': '#fff' },
    }, 'me-halo');
    map.addLayer({
      ...base, id: 'pt-tile-icon', type: 'symbol', filter: ['==', ['get', 'count'], 1],
      layout: { 'icon-image': ['concat', 'kind-', ['get', 'kind']], 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': 0.8 },
    }, 'me-halo');
    // A single point opens its card (the tile has no card fields: they are fetched); a
    // bubble zooms in.
    map.on('click', 'pt-tile-icon', (e) => {
      const f = e.features?.[0];
      if (!f) return;
      e.preventDefault();
      const id = String(f.properties.id);
      api(`/api/v1/points/${encodeURIComponent(id)}`)
        .then((p) => select(id, /** @type {any} */ (p)))
        .catch((err) => toast(apiErrorText(err), 'error'));
    });
    map.on('click', 'pt-tile-cluster', (e) => {
      const f = e.features?.[0];
      if (!f) return;
      e.preventDefault();
      map.easeTo({ center: /** @type {any} */ (f.geometry).coordinates, zoom: Math.min(map.getZoom() + 2, 13) });
    });
    for (const id of ['pt-tile-icon', 'pt-tile-cluster']) {
      map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
    }
  }
  map.setPaintProperty('pt-tile-cluster', 'circle-color', kindColour(kind));
  tiledKind = kind;
  setVisible(ctx.view === 'courier');
}

export function mapReady() {
  const map = ctx.map;
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('points', { type: 'geojson', data: empty, cluster: true, clusterRadius: 44, clusterMaxZoom: 12 });
  map.addSource('nearest', { type: 'geojson', data: empty });
  map.addSource('me', { type: 'geojson', data: empty });
  map.addSource('route', { type: 'geojson', data: empty });
  // The route to the chosen station, under the markers: a white casing and a blue line.
  map.addLayer({
    id: 'route-casing', type: 'line', source: 'route',
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': '#fff', 'line-width': 8, 'line-opacity': 0.9 },
  });
  map.addLayer({
    id: 'route-line', type: 'line', source: 'route',
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': '#1c7ed6', 'line-width': 4.5 },
  });
  map.addLayer({
    id: 'pt-cluster', type: 'circle', source: 'points', filter: ['has', 'point_count'],
    paint: {
      'circle-color': kindColour(state.kind), 'circle-opacity': 0.9,
      'circle-radius': ['step', ['get', 'point_count'], 16, 10, 20, 50, 26],
      'circle-stroke-color': '#fff', 'circle-stroke-width': 3,
    },
  });
  map.addLayer({
    id: 'pt-cluster-count', type: 'symbol', source: 'points', filter: ['has', 'point_count'],
    layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': ['Noto Sans CJK SC Bold', 'sans-serif'], 'text-size': 14, 'text-allow-overlap': true, 'text-ignore-placement': true },
    paint: { 'text-color': '#fff' },
  });
  map.addLayer({
    id: 'pt-icon', type: 'symbol', source: 'points', filter: ['!', ['has', 'point_count']],
    layout: { 'icon-image': ['concat', 'kind-', ['get', 'kind']], 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': 0.8 },
  });
  map.addLayer({
    id: 'me-halo', type: 'circle', source: 'me',
    paint: { 'circle-radius': 18, 'circle-color': '#1c7ed6', 'circle-opacity': 0.18 },
  });
  map.addLayer({
    id: 'me-dot', type: 'circle', source: 'me',
    paint: { 'circle-radius': 8, 'circle-color': '#1c7ed6', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 },
  });
  map.addLayer({
    id: 'near-icon', type: 'symbol', source: 'nearest',
    layout: {
      'icon-image': ['concat', 'kind-', ['get', 'kind'], ['case', ['get', 'selected'], '-selected', '']],
      'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': ['case', ['get', 'selected'], 1.25, 1.05],
      'symbol-sort-key': ['case', ['get', 'selected'], 0, 1],
    },
  });
  map.addLayer({
    // The rank as a yellow square badge at the icon's upper right, as in the list.
    id: 'near-rank', type: 'symbol', source: 'nearest',
    layout: {
      'icon-image': ['concat', 'rank-', ['to-string', ['get', 'rank']]], 'icon-offset': [15, -15],
      'icon-allow-overlap': true, 'icon-ignore-placement': true,
    },
  });
  for (const id of ['pt-icon', 'near-icon']) {
    map.on('click', id, (e) => {
      const f = e.features?.[0];
      if (!f) return;
      e.preventDefault();
      const p = f.properties;
      select(String(p.id), f);
    });
    map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', 'pt-cluster', async (e) => {
    e.preventDefault();
    const f = e.features[0];
    const z = await map.getSource('points').getClusterExpansionZoom(f.properties.cluster_id);
    map.easeTo({ center: f.geometry.coordinates, zoom: z });
  });
  let moveTimer = null;
  map.on('moveend', () => { clearTimeout(moveTimer); moveTimer = setTimeout(refreshPoints, 200); });
  refreshPoints();
  setVisible(ctx.view === 'courier');
}

/** The viewport as a WGS-84 bbox parameter (clamped to the valid ranges). */
function viewBbox(map) { return viewBboxNumbers(map).map((v) => v.toFixed(5)).join(','); }

/** The viewport as [west, south, east, north], WGS-84 degrees, clamped to the valid ranges. */
function viewBboxNumbers(map) {
  const b = map.getBounds();
  let [w, e] = [b.getWest(), b.getEast()];
  if (e - w >= 360) [w, e] = [-180, 180];
  const wrap = (x) => ((((x + 180) % 360) + 360) % 360) - 180;
  const clampLat = (y) => Math.max(-90, Math.min(90, y));
  return [w === -180 ? -180 : wrap(w), clampLat(b.getSouth()), e === 180 ? 180 : wrap(e), clampLat(b.getNorth())];
}

/** Keeps the points around the viewport for offline use (a few seconds later, off the
 * critical path of a weak signal; until then the points received in the visit answer). */
let keepTimer = null;
function keepViewedArea() {
  clearTimeout(keepTimer);
  keepTimer = setTimeout(() => {
    const c = ctx.map.getCenter().wrap();
    const bbox = viewBboxNumbers(ctx.map);
    loadOffline().then((o) => o.keepArea([c.lng, c.lat], bbox)).catch((e) => console.warn('offline:', e.message || e));
  }, 3000);
}

/** The points of the chosen kind in the viewport, for the clustered layer. */
async function refreshPoints() {
  const map = ctx.map;
  if (!map.getSource('points')) return;
  const kind = state.kind;
  // Not aborted when superseded (an aborted request shows as a failed one): its answer is
  // just dropped.
  const seq = ++viewSeq;
  if (usesTiles(kind) && navigator.onLine !== false) {
    viewPoints = [];
    map.getSource('points').setData({ type: 'FeatureCollection', features: [] });
    if (tiledKind !== kind) showTiles(kind);
    return;
  }
  if (tiledKind) { tiledKind = null; setVisible(ctx.view === 'courier'); }
  let fc;
  try {
    fc = /** @type {Reply<'/api/v1/points'>} */ (await api(`/api/v1/points?${qs({ kind, bbox: viewBbox(map), limit: VIEW_LIMIT })}`));
    rememberPoints(toFeatures(fc));
    keepViewedArea();
  } catch (e) {
    console.warn('points:', e.message);
    // Offline: the points kept on this device.
    fc = { features: isNetworkError(e) ? await (await loadOffline()).pointsOffline(kind, viewBboxNumbers(map)) : [] };
  }
  if (kind !== state.kind || seq !== viewSeq) return;
  viewPoints = toFeatures(fc);
  const shown = viewPoints.length;
  if (fc.numberMatched > shown) ctx.hint(t('zoom_in_for_all', { n: shown, total: fc.numberMatched }));
  const colour = kindColour(kind);
  map.setPaintProperty('pt-cluster', 'circle-color', colour);
  map.getSource('points').setData({
    type: 'FeatureCollection',
    features: viewPoints.map((f) => ({ ...f, properties: { ...f.properties, kind: f.properties.kind || kind, colour } })),
  });
}

function locate() {
  if (!navigator.geolocation) { status(t('locate_failed'), true); ctx.hint(t('tap_map_hint')); return; }
  status(t('locating'));
  navigator.geolocation.getCurrentPosition(
    (pos) => setHere([pos.coords.longitude, pos.coords.latitude], true),
    () => { status(t('locate_failed'), true); ctx.hint(t('tap_map_hint')); },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 },
  );
}

export function onMapClick(e) {
  if (e.defaultPrevented) return;
  const hits = ctx.map.queryRenderedFeatures(e.point, { layers: ['pt-cluster', 'pt-icon', 'near-icon', ...TILE_LAYERS].filter((l) => ctx.map.getLayer(l)) });
  if (hits.length) return;
  const ll = e.lngLat.wrap();
  setHere([ll.lng, ll.lat], false);
}

/** A place picked in the search box: the nearest points from there. */
export function onSearchPick(lonLat) {
  setHere(lonLat, false);
}

function setHere(lonLat, fly) {
  state.here = lonLat;
  state.newPlace = true;
  ctx.hint('');
  ctx.map.getSource('me')?.setData({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: lonLat } });
  if (fly) ctx.map.easeTo({ center: lonLat, zoom: Math.max(ctx.map.getZoom(), 14) });
  runNearest();
}

/** @param {PointProps} p */
function is24h(p) {
  const h = String(p.opening_hours ?? '').trim();
  return h === '24/7' || /^(mo-su|mo-su,ph) 00:00-24:00$/i.test(h);
}

async function runNearest() {
  if (!state.here) { status(t('pick_location_first')); return; }
  const seq = ++state.seq;
  status(t('loading'));
  const [lon, lat] = state.here;
  const params = {
    lon: lon.toFixed(6), lat: lat.toFixed(6), kind: state.kind, mode: state.mode,
    amenity: [...state.amenities], open_now: state.openNow ? 'true' : null,
    k: state.h24 ? 50 : K,
    by: ctx.config.roads ? 'time' : null,
    route: ctx.config.roads ? 'true' : null,
  };
  let feats;
  // A weak signal: show what this device has kept if the server is slow to answer.
  const slow = setTimeout(() => { if (seq === state.seq) showOffline(seq, true); }, WEAK_SIGNAL_MS);
  try {
    feats = toFeatures(/** @type {Reply<'/api/v1/nearest'>} */ (await api(`/api/v1/nearest?${qs(params)}`)));
  } catch (e) {
    clearTimeout(slow);
    if (seq !== state.seq) return;
    if (isNetworkError(e) && await showOffline(seq, false)) return;
    // A newer query started while the cached points were read: its answer wins, whatever
    // this one's was (a stale error must not overwrite it).
    if (seq !== state.seq) return;
    state.results = [];
    state.offline = null;
    renderList();
    // No signal and nothing kept on this device: say so (not a server failure).
    status(isNetworkError(e) ? t('offline_nothing') : apiErrorText(e), true);
    return;
  } finally {
    clearTimeout(slow);
  }
  if (seq !== state.seq) return;
  state.offline = null;
  rememberPoints(feats);
  keepViewedArea();
  if (state.h24) feats = feats.filter((f) => is24h(f.properties));
  // Open points first (the API's distance order kept within each group); closed ones after,
  // dimmed and labelled 未营业.
  const sorted = [...feats.filter((f) => f.properties.open_now !== false), ...feats.filter((f) => f.properties.open_now === false)];
  // The heading says so when it changed the API's order (a closed point was nearer).
  state.openFirst = sorted.slice(0, K).some((f, i) => f !== feats[i]);
  feats = sorted;
  showResults(feats);
}

/**
 * The nearest points computed on this device from the cached area (straight-line), marked
 * 离线 with the age of the data. `stillTrying`: the server has not answered yet (weak
 * signal) rather than failed. Returns false when nothing is cached.
 */
async function showOffline(seq, stillTrying) {
  const r = await (await loadOffline()).nearestOffline(state.here, {
    kind: state.kind, amenities: [...state.amenities], k: state.h24 || state.openNow ? 50 : K,
    // Opening hours are not evaluated offline: "open now" keeps only 24-hour points.
    filter: state.h24 || state.openNow ? is24h : null,
  });
  if (!r || seq !== state.seq) return false;
  state.offline = { saved_at: r.saved_at, covers: r.covers, stillTrying };
  showResults(r.features);
  return true;
}

/** Shows `feats` (nearest first) as the list and the ranked markers. */
function showResults(feats) {
  state.results = feats.slice(0, K);
  if (!state.results.some((f) => String(f.properties.id) === state.selectedId)) state.selectedId = null;
  status(resultsStatus());
  renderList();
  syncNearestLayer();
  // Phones: the list (not the filters) at the top of the panel, so three results are in sight.
  // Only for a new position: a filter changed while in view keeps the filters in sight.
  if (state.results.length && state.newPlace && window.innerWidth < 900 && !state.selectedId) {
    state.newPlace = false;
    const panel = document.getElementById('panel');
    const top = document.getElementById('courier-status').getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop;
    panel.scrollTo({ top: Math.max(0, top - 6) });
  }
  if (state.results.length) {
    const b = new maplibregl.LngLatBounds(state.here, state.here);
    for (const f of state.results) b.extend(f.geometry.coordinates);
    for (const c of routedFeature()?.properties.route?.coordinates || []) b.extend(c);
    ctx.map.fitBounds(b, { padding: { top: 60, bottom: 40, left: 40, right: 60 }, maxZoom: 16, duration: 600 });
  }
}

/** The status line above the list: how many, and for offline results where they come from. */
function resultsStatus() {
  if (!state.results.length) return state.offline ? t('offline_none') : t('no_results');
  // Open points come first (runNearest): say so when it changed the distance order.
  const head = `${t('nearest_title', { n: state.results.length })}${state.openFirst && !state.offline ? ` · ${t('nearest_open_first')}` : ''}`;
  if (!state.offline) return head;
  const mins = Math.max(0, Math.round((Date.now() - state.offline.saved_at) / 60000));
  const age = mins < 1 ? t('age_now') : mins < 60 ? t('age_minutes', { n: mins }) : mins < 48 * 60 ? t('age_hours', { n: Math.round(mins / 60) }) : t('age_days', { n: Math.round(mins / 1440) });
  return `${head} · ${t(state.offline.stillTrying ? 'offline_weak' : 'offline_note', { age })}${state.offline.covers ? '' : ` ${t('offline_outside')}`}`;
}

/** The feature whose route is drawn: the chosen one, else the first result. */
function routedFeature() {
  return state.results.find((f) => String(f.properties.id) === state.selectedId) || state.results[0] || null;
}

function syncNearestLayer() {
  const r = routedFeature()?.properties.route;
  ctx.map.getSource('route')?.setData(r?.type === 'LineString'
    ? { type: 'Feature', properties: {}, geometry: r }
    : { type: 'FeatureCollection', features: [] });
  // The clustered layer leaves out what the ranked layer shows, so no point is drawn twice.
  const ids = state.results.map((f) => String(f.properties.id));
  if (ctx.map.getLayer('pt-icon')) {
    ctx.map.setFilter('pt-icon', ['all', ['!', ['has', 'point_count']], ['!', ['in', ['to-string', ['get', 'id']], ['literal', ids]]]]);
  }
  ctx.map.getSource('nearest')?.setData({
    type: 'FeatureCollection',
    features: state.results.map((f, i) => ({
      type: 'Feature', geometry: f.geometry,
      properties: { id: String(f.properties.id), kind: f.properties.kind || state.kind, rank: i + 1, selected: String(f.properties.id) === state.selectedId },
    })),
  });
}

/** "沿道路 N 分钟 · 电动车" for a time along roads, "直线约 N 分钟 · 电动车" for straight line:
 * the minutes come before the mode, so a narrow phone truncates the mode, never the number.
 * @param {PointProps} p */
function minutesLabel(p) {
  const mode = state.mode === 'walk' ? t('mode_walk') : t('mode_ebike');
  const n = fmtMinutes(minutesOf(p));
  return t(p.model === 'network' ? 'minutes_road' : 'minutes_straight', { mode, n });
}

/**
 * The distance shown big on a result: along roads (`network_distance_m`) when its time is
 * along roads, so the figure and the ranking agree; otherwise the straight line, labelled
 * 直线 when the server has roads (a result that fell back, `"network": false`) — without
 * roads every figure is straight-line and the minutes already say so.
 * @param {PointProps} p */
function distanceLabel(p) {
  if (p.model === 'network' && Number.isFinite(p.network_distance_m)) return fmtDistance(p.network_distance_m);
  if (!Number.isFinite(p.distance_m)) return '';
  return ctx.config.roads || p.network === false ? t('straight_distance', { d: fmtDistance(p.distance_m) }) : fmtDistance(p.distance_m);
}

/** @param {PointProps} p */
function minutesOf(p) {
  if (typeof p.minutes === 'number') return p.minutes;
  if (p.minutes && typeof p.minutes[state.mode] === 'number') return p.minutes[state.mode];
  const v = ctx.config.speeds_m_per_s?.[state.mode] || (state.mode === 'walk' ? 5 / 3.6 : 15 / 3.6);
  return p.distance_m / v / 60;
}

/** @param {PointProps} p */
function openBadge(p) {
  if (p.open_now === true) return el('span', { class: 'badge ok' }, t('open'));
  if (p.open_now === false) return el('span', { class: 'badge off' }, t('closed'));
  if (is24h(p)) return el('span', { class: 'badge ok' }, t('h24'));
  return null;
}

function amenityList(codes) {
  const list = Array.isArray(codes) ? codes : [];
  return list.length ? el('ul', { class: 'tags', 'aria-label': t('amenities') }, list.map((a) => el('li', {}, label('amenity', a)))) : null;
}

function renderList() {
  const ol = document.getElementById('nearest-list');
  clear(ol);
  if (!state.here) {
    ol.append(el('li', { class: 'empty' }, el('strong', {}, t('empty_title')), el('span', {}, t('empty_body'))));
    return;
  }
  state.results.forEach((f, i) => {
    const p = /** @type {PointProps} */ (f.properties);
    const selected = String(p.id) === state.selectedId;
    ol.append(el('li', { class: `card${selected ? ' selected' : ''}${p.open_now === false ? ' closed' : ''}`, dataset: { id: String(p.id) } },
      el('button', { type: 'button', class: 'card-btn', 'aria-pressed': String(selected), onclick: () => select(String(p.id)) },
        el('span', { class: 'rank' }, String(i + 1)),
        el('span', { class: 'card-main' },
          el('span', { class: 'card-title' }, p.name || ''),
          el('span', { class: 'card-meta' },
            el('strong', { class: 'dist' }, distanceLabel(p)),
            el('span', { class: 'mins', dataset: { model: p.model === 'network' ? 'network' : 'straight_line' } }, minutesLabel(p))),
          // Open / 未营业 / 离线 first, then the amenities: on a phone the distance and the
          // time keep their line whole (the badge used to push the time into an ellipsis).
          el('span', { class: 'card-foot' },
            p.offline ? el('span', { class: 'badge offline' }, t('offline_badge')) : openBadge(p),
            amenityList(p.amenities))))));
  });
}

function findFeature(id) {
  return state.results.find((f) => String(f.properties.id) === id)
    || viewPoints.find((f) => String(f.properties.id) === id) || null;
}

function select(id, fallback) {
  state.selectedId = id;
  const f = findFeature(id) || fallback;
  renderList();
  syncNearestLayer();
  if (!f) return;
  renderCard(f);
  ctx.map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(ctx.map.getZoom(), 13), duration: 500 });
  document.getElementById('station-card').scrollIntoView({ block: 'start', behavior: 'smooth' });
}

/**
 * Navigation links, all built by the server (`crate::nav`): Amap and Baidu web URIs that open
 * riding or walking navigation (from the located position when the point came from a
 * nearest search), plus the app schemes when given. Only http(s) links become buttons.
 */
function navLinks(f) {
  const p = f.properties;
  const safe = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);
  return { amap: safe(p.nav_amap), baidu: safe(p.nav_baidu) };
}

function renderCard(f) {
  const card = document.getElementById('station-card');
  if (!f) { card.hidden = true; return; }
  const p = f.properties;
  const amen = Array.isArray(p.amenities) ? p.amenities : (typeof p.amenities === 'string' ? safeJson(p.amenities) : []);
  const links = navLinks(f);
  const dl = el('dl', { class: 'facts' });
  const fact = (k, v) => { if (v) dl.append(el('dt', {}, k), el('dd', {}, v)); };
  // The trip, when the card is for a result of the nearest search (which has the times).
  const hit = state.results.find((r) => String(r.properties.id) === String(p.id));
  if (hit) {
    const hp = hit.properties;
    const road = Number.isFinite(hp.network_distance_m) && hp.model === 'network'
      ? ` · ${t('road_distance', { d: fmtDistance(hp.network_distance_m) })} · ${t('straight_distance', { d: fmtDistance(hp.distance_m) })}` : '';
    fact(t('trip'), `${minutesLabel(hp)}${road}`);
  }
  fact(t('hours'), p.opening_hours ? (is24h(p) ? `${t('h24')} (24/7)` : String(p.opening_hours)) : t('hours_unknown'));
  fact(t('access'), p.access ? label('access', p.access) : null);
  fact(t('address'), p.address);
  if (p.phone) dl.append(el('dt', {}, t('phone')), el('dd', {}, el('a', { href: `tel:${String(p.phone).replace(/[^\d+]/g, '')}` }, String(p.phone))));
  clear(card).append(
    el('header', { class: 'card-head' },
      el('span', { class: 'kind-dot', style: `background:${kindColour(p.kind)}` }, kindGlyph(p.kind)),
      el('div', {},
        el('h2', { class: 'card-name' }, p.name || ''),
        el('p', { class: 'card-sub' }, label('kind', p.kind),
          hit ? ` · ${distanceLabel(hit.properties)}` : Number.isFinite(p.distance_m) ? ` · ${fmtDistance(p.distance_m)}` : '',
          p.demo === true || p.demo === 'true' ? el('span', { class: 'badge demo' }, t('demo_badge')) : null,
          openBadge(p))),
      el('button', { type: 'button', class: 'icon-btn', 'aria-label': t('close'), onclick: () => { card.hidden = true; state.selectedId = null; renderList(); syncNearestLayer(); } }, '×')),
    amenityList(amen) || '',
    dl,
    el('div', { class: 'nav-links', role: 'group', 'aria-label': t('navigate') },
      links.amap && el('a', { class: 'btn primary', href: links.amap, target: '_blank', rel: 'noopener noreferrer' }, t('nav_amap')),
      links.baidu && el('a', { class: 'btn', href: links.baidu, target: '_blank', rel: 'noopener noreferrer' }, t('nav_baidu'))),
  );
  card.hidden = false;
}

function safeJson(s) { try { return JSON.parse(s); } catch { return []; } }

// Exposed for the end-to-end tests.
export function _state() { return state; }
export function _toast(m) { toast(m); }
