// @ts-check
// Place search over the map (courier and suggestion views): names in Chinese or pinyin
// initials (wygc → 五一广场), and positions or share links pasted from Amap, Baidu or
// Tencent. `GET /api/v1/search?q=` does the work (crate::search); this file only shows the
// results and moves the map. Picking a result calls the open view's onSearchPick(lonLat, place).
// Results are named in the page's language (`lang`: in English the English name with the
// Chinese in brackets where the data has one). Bare `lon,lat` numbers are read as GCJ-02
// (what Amap and Tencent show); the line under the box says so, with one tap to read them as
// WGS-84 (GPS) or BD-09 (Baidu) instead.

import { api, qs } from './api.js';
import { getLang, label, t } from './i18n.js';
import { clear, el } from './ui.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

/** The coordinate systems bare numbers may be read in, in the order the switch offers them. */
const CRS = ['gcj02', 'wgs84', 'bd09'];
const KIND_ICON = { service_point: '驿', metro_station: '铁', district: '区', poi: '•', street: '路', position: '⌖' };
let ctx;
let seq = 0;
let timer;
let results = [];
let active = -1;

function kindText(m) {
  if (m.kind === 'service_point' && m.category) return label('kind', m.category);
  if (m.kind === 'metro_station') return m.category ? `${t('search_metro')} · ${metroLines(m.category)}` : t('search_metro');
  if (m.kind === 'position') return t('search_position', { crs: String(m.category || '').toUpperCase() });
  return t(`search_kind_${m.kind}`);
}

/** The metro lines of a station (`1号线、2号线`, `S2线`) in the page's language (`Line 1, Line 2`). */
function metroLines(lines) {
  return getLang() === 'en' ? lines.replace(/([0-9A-Za-z]+)号?线/g, 'Line $1').replace(/、/g, ', ') : lines;
}

/** Wires the search form in index.html. `onPick(lonLat, place)` goes to the open view. */
export function initSearch(c, onPick) {
  ctx = c;
  const form = document.getElementById('place-search');
  const input = /** @type {HTMLInputElement} */ (document.getElementById('place-q'));
  const list = document.getElementById('place-results');
  const msg = document.getElementById('place-msg');
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1; };
  /** The line under the box: a text and, for bare numbers, the switch to the other systems. */
  const say = (text, crsNote) => {
    clear(msg);
    if (text) msg.append(text);
    if (!crsNote) return;
    msg.append(el('span', { class: 'crs-read' }, t(`search_read_${crsNote.crs}`)));
    for (const c of CRS.filter((x) => x !== crsNote.crs)) {
      msg.append(el('button', {
        type: 'button', class: 'crs-switch', 'data-crs': c,
        onclick: () => { input.value = crsNote.q; run(true, c); },
      }, t(`search_use_${c}`)));
    }
  };
  /** The text the box shows for a position it went to: WGS-84 `lat, lon`, so searching it
   * again must read it as WGS-84, not as GCJ-02 (each Enter moved the point ~550 m). */
  let shownPosition = '';
  const pick = (m) => {
    close();
    const lonLat = m.location;
    input.value = m.label || m.name || input.value;
    shownPosition = m.kind === 'position' ? input.value.trim() : '';
    ctx.map.getSource('search-pin')?.setData({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: lonLat } });
    ctx.map.easeTo({ center: lonLat, zoom: Math.max(ctx.map.getZoom(), m.kind === 'district' ? 12 : 16), duration: 600 });
    onPick(lonLat, m);
  };
  const render = () => {
    clear(list);
    results.forEach((m, i) => list.append(el('li', {
      role: 'option', id: `place-opt-${i}`, 'aria-selected': String(i === active), class: 'place-opt',
      onmousedown: (e) => { e.preventDefault(); pick(m); },
    }, el('span', { class: `place-ic k-${m.kind}`, 'aria-hidden': 'true' }, KIND_ICON[m.kind] || '•'),
    // Name above, kind below: an English name with its Chinese in brackets needs the width.
    el('span', { class: 'place-text' }, el('span', { class: 'place-name' }, m.label || m.name), el('span', { class: 'place-kind' }, kindText(m))))));
    list.hidden = results.length === 0;
    input.setAttribute('aria-expanded', String(!list.hidden));
    if (active >= 0) input.setAttribute('aria-activedescendant', `place-opt-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };
  /** Searches the box's text; `crs` reads bare numbers in that system (default GCJ-02). */
  const run = async (submit, crs) => {
    const q = input.value.trim();
    if (!crs && q && q === shownPosition) crs = 'wgs84';
    const my = ++seq;
    if (!q) { results = []; render(); say(''); return; }
    let r;
    try {
      r = /** @type {Reply<'/api/v1/search'>} */ (await api(`/api/v1/search?${qs({ q, limit: 8, lang: getLang(), crs })}`));
    } catch (e) {
      if (my !== seq) return;
      results = [];
      render();
      if (submit) ctx.toast?.(e.message);
      say(e.status ? e.message : t('search_offline'));
      return;
    }
    if (my !== seq) return;
    say('');
    if (r.position) {
      const name = r.position.name || `${r.position.location[1].toFixed(5)}, ${r.position.location[0].toFixed(5)}`;
      results = [{ kind: 'position', name, location: r.position.location, category: r.position.input_crs }];
      // Bare numbers carry no system: say how they were read, and offer the others.
      if (r.position.source === 'coordinates') say('', { q, crs: r.position.input_crs });
      if (submit) { pick(results[0]); return; }
    } else {
      results = r.results || [];
      if (!results.length) say(t('search_none'));
    }
    active = -1;
    if (submit && results.length) { pick(results[0]); return; }
    render();
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => run(false), 250); });
  input.addEventListener('paste', () => { clearTimeout(timer); setTimeout(() => run(true), 0); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!results.length) return;
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + results.length) % results.length;
      render();
    } else if (e.key === 'Escape') close();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (active >= 0 && results[active]) pick(results[active]); else run(true);
  });
}

/** The search-pin layer (a ring where a search went). */
export function addSearchLayer(map) {
  if (map.getSource('search-pin')) return;
  map.addSource('search-pin', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'search-pin', type: 'circle', source: 'search-pin',
    paint: { 'circle-radius': 9, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#1864ab', 'circle-stroke-width': 3 },
  });
}
