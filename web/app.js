// @ts-check
// Nuanxin Map page: boots the map, the four views and hash routing.
//   #courier (default) · #suggest · #s/<id> (status page) · #planner · #officer
// Only the code of the open view is loaded: the suggestion, planner and officer views are
// imported the first time they are opened, place search when its box is first used; the
// suggestion view's outbox (suggest.js) is loaded once the page is ready. On a weak signal every
// byte before the map is usable costs time (Slow 3G: 50 kB/s). The service worker (sw.js)
// keeps the app for offline use.

import { api } from './api.js';
import { applyI18n, getLang, setLang, setVocabulary, t } from './i18n.js';
import { addIcons, addPoisWhenZoomed, addRestOfHunan, createMap, fetchBaseData, relabelMap, setMapLanguage } from './basemap.js';
import { apiErrorText, el, toast } from './ui.js';
import * as courier from './courier.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

/** The views; the ones not needed for the first paint are loaded when first opened. */
const VIEW_NAMES = ['courier', 'suggest', 'planner', 'officer'];
const LAZY = { suggest: () => import('./suggest.js'), planner: () => import('./planner.js'), officer: () => import('./officer.js') };
/** Loaded views by name. */
const VIEWS = { courier };
let mapLoaded = false;

/** The module of view `name`, loading (and initialising) it the first time. */
async function loadView(ctx, name) {
  // The officer view shows the suggestion layer that suggest.js adds to the map.
  if (name === 'officer') await loadView(ctx, 'suggest');
  if (!VIEWS[name]) {
    const m = await LAZY[name]();
    if (!VIEWS[name]) {
      VIEWS[name] = m;
      m.init(ctx);
      if (mapLoaded) {
        try { m.mapReady?.(); } catch (e) { console.warn(e); }
      }
    }
  }
  return VIEWS[name];
}

async function loadConfig() {
  try { return /** @type {import('./types/api').PageConfig} */ (await api('/config.json')); } catch { return { basemap_url: null, speeds_m_per_s: { walk: 5 / 3.6, ebike: 15 / 3.6 } }; }
}

/**
 * The labels of the API's codes (kinds, amenities, categories, statuses…) from the server,
 * before any view renders; on failure the page still works, showing codes.
 */
async function loadVocabulary() {
  try {
    setVocabulary(/** @type {Reply<'/api/v1/vocabulary'>} */ (await api('/api/v1/vocabulary')));
  } catch (e) {
    console.warn('vocabulary:', e.message || e);
  }
}

/** The suggestion view's module, with the outbox of suggestions filed offline: sends what is
 * queued now and whenever the signal returns (and every minute). */
async function startOutbox(ctx) {
  const suggest = await loadView(ctx, 'suggest');
  suggest.flushOutbox();
  window.addEventListener('online', () => suggest.retryOutboxNow());
  setInterval(() => suggest.flushOutbox(), 60000);
}

/**
 * Place search (search.js), loaded the first time its box is used or a few seconds after the
 * map is up, whichever comes first. What the user did before it arrived (typing, pasting,
 * submitting) is replayed once it is wired.
 */
function lazySearch(ctx) {
  const form = /** @type {HTMLFormElement} */ (document.getElementById('place-search'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('place-q'));
  let pending = null; // 'input' | 'submit' before the module is wired
  let loading = null;
  const load = () => (loading ??= import('./search.js').then((m) => {
    form.removeEventListener('submit', early);
    input.removeEventListener('input', typed);
    input.removeEventListener('paste', pasted);
    m.initSearch(ctx, (lonLat, place) => VIEWS[ctx.view]?.onSearchPick?.(lonLat, place));
    ctx.mapReady.then(() => m.addSearchLayer(ctx.map));
    if (pending === 'submit') form.requestSubmit();
    else if (pending === 'input' && input.value.trim()) input.dispatchEvent(new Event('input'));
    return m;
  }).catch((e) => {
    loading = null;
    console.warn('search:', e.message || e);
  }));
  /** @param {Event} e */
  function early(e) { e.preventDefault(); pending = 'submit'; load(); }
  function typed() { pending ??= 'input'; load(); }
  function pasted() { pending = 'submit'; load(); }
  form.addEventListener('submit', early);
  input.addEventListener('input', typed);
  input.addEventListener('paste', pasted);
  input.addEventListener('focus', load, { once: true });
  ctx.mapReady.then(() => setTimeout(load, 5000));
}

function whenMapLibre() {
  return new Promise((resolve) => {
    if (window.maplibregl) resolve();
    else window.addEventListener('load', () => resolve(), { once: true });
  });
}

async function main() {
  // Marks read by tests/e2e/slow3g.bench.mjs (WATERFALL=1): where the first visit's time goes.
  performance.mark('nuanxin:boot');
  setLang(getLang());
  applyI18n();
  const [config, , , baseData] = await Promise.all([loadConfig(), loadVocabulary(), whenMapLibre(), fetchBaseData()]);
  performance.mark('nuanxin:inputs');
  const map = createMap('map', config, getLang(), t('attribution'), baseData);
  // Demonstration points never pass for real ones: a banner in every view while any is served.
  document.getElementById('demo-banner').hidden = !(config.demo_points > 0);
  const ctx = {
    map,
    config,
    view: null,
    mapReady: null,
    /** Shows or hides the hint banner over the map. */
    hint(msg) {
      const h = document.getElementById('map-hint');
      h.textContent = msg || '';
      h.hidden = !msg;
      placeHint();
    },
    /** Brings the panel into view (phones: the panel is below the map). */
    focusPanel() {
      const p = document.getElementById('panel');
      p.scrollTop = 0;
    },
    legend(items) {
      const box = document.getElementById('map-legend');
      box.replaceChildren();
      box.hidden = !items || items.length === 0;
      for (const [colour, text, shape] of items || []) {
        const sw = document.createElement('span');
        sw.className = `sw ${shape || ''}`;
        sw.style.background = colour;
        const row = document.createElement('span');
        row.className = 'lg';
        row.append(sw, document.createTextNode(text));
        box.append(row);
      }
    },
  };
  window.nuanxin = ctx; // for the end-to-end tests and the curious
  ctx.courier = () => courier._state();
  ctx.mapReady = new Promise((resolve) => map.on('load', () => {
    performance.mark('nuanxin:load');
    addIcons(map);
    addPoisWhenZoomed(map, getLang());
    // Keep the attribution collapsed to its (i) button on small screens.
    const collapse = () => setTimeout(() => {
      if (window.innerWidth >= 900) return;
      const a = document.querySelector('.maplibregl-ctrl-attrib');
      a?.classList.remove('maplibregl-compact-show');
      a?.removeAttribute('open');
    }, 0);
    collapse();
    map.on('resize', collapse);
    // The hint stays above the attribution whenever that is open (desktop), never over it.
    const corner = document.querySelector('.maplibregl-ctrl-bottom-right');
    if (corner && 'ResizeObserver' in window) new ResizeObserver(placeHint).observe(corner);
    mapLoaded = true;
    for (const v of Object.values(VIEWS)) {
      try { v.mapReady?.(); } catch (e) { console.warn(e); }
    }
    resolve();
    // The rest of Hunan's boundaries once the first view is drawn.
    map.once('idle', () => addRestOfHunan(map));
  }));

  map.on('error', (e) => {
    // Source load failures (e.g. an API not answering) must not break the page.
    console.warn('map:', e.error?.message || e);
  });
  map.on('click', (e) => VIEWS[ctx.view]?.onMapClick?.(e));

  for (const v of Object.values(VIEWS)) v.init(ctx);
  ctx.toast = (m) => toast(m, 'error');
  lazySearch(ctx);

  document.getElementById('lang').addEventListener('click', () => {
    setLang(getLang() === 'en' ? 'zh' : 'en');
    applyI18n();
    for (const v of Object.values(VIEWS)) v.relabel?.();
    setMapLanguage(map, getLang());
    map.resize(); // and collapse the re-added attribution on phones
    // District labels stay Chinese (official names); metro, street and POI labels follow the language.
    relabelMap(map, getLang());
  });

  const route = () => {
    const h = decodeURIComponent(location.hash.replace(/^#/, ''));
    let view = 'courier';
    let arg = null;
    if (h.startsWith('s/')) { view = 'suggest'; arg = h.slice(2); } else if (VIEW_NAMES.includes(h)) view = h;
    return show(ctx, view, arg);
  };
  window.addEventListener('hashchange', route);
  // The page is ready when the map is and the view it opened with has loaded (a lazy one,
  // e.g. #suggest, adds its layers once both are there).
  const firstView = route();
  // Suggestions filed without a signal go out when it returns (and are retried every minute):
  // suggest.js is loaded once the page is ready (after 15 s when the map cannot start).
  let outbox = null;
  const outboxOnce = () => (outbox ??= startOutbox(ctx).catch((e) => console.warn('outbox:', e.message || e)));
  setTimeout(outboxOnce, 15000);
  await ctx.mapReady;
  await firstView;
  document.body.dataset.ready = '1';
  performance.mark('nuanxin:ready');
  outboxOnce();
  registerServiceWorker();
}

/**
 * Lifts the map hint above the attribution while that is open (on desktops it is, and its
 * credits take one to three lines at the bottom of the map), so the hint never covers them;
 * on phones the attribution is its (i) button at the right and the hint keeps its place.
 */
function placeHint() {
  const h = document.getElementById('map-hint');
  const a = document.querySelector('.maplibregl-ctrl-attrib');
  const open = a && (!a.classList.contains('maplibregl-compact') || a.classList.contains('maplibregl-compact-show'));
  if (h.hidden || !open) { h.style.bottom = ''; return; }
  const wrap = h.parentElement.getBoundingClientRect();
  h.style.bottom = '';
  const gap = 8;
  const needed = wrap.bottom - a.getBoundingClientRect().top + gap;
  if (needed > parseFloat(getComputedStyle(h).bottom)) h.style.bottom = `${Math.ceil(needed)}px`;
}

/** Whether the user has tapped or typed since the page loaded (then it never reloads by itself). */
let touched = false;
for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, () => { touched = true; }, { capture: true, once: true });

/**
 * Registers sw.js (scope `/`) once the map is up, so its precaching never delays it. A new
 * build's worker (a deploy) downloads the files that changed and takes over at once; the
 * page, still the old build, then reloads into the new one if the user has not started
 * anything, else offers to (a button, so nothing typed is lost). Long-open pages look for a
 * new build every hour.
 */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first worker taking control of a first visit is no update.
    if (controlled) {
      if (touched) offerReload(); else location.reload();
    }
    controlled = true;
  });
  navigator.serviceWorker.register('/sw.js', { scope: '/' })
    .then((reg) => { setInterval(() => reg.update().catch(() => undefined), 3600 * 1000); return navigator.serviceWorker.ready; })
    .then(() => { document.body.dataset.offlineReady = '1'; })
    .catch((e) => console.warn('service worker:', e.message || e));
}

/** A bar over the map: a new version is ready, with a button that reloads into it. */
function offerReload() {
  if (document.getElementById('update-bar')) return;
  const bar = el('div', { id: 'update-bar', class: 'update-bar', role: 'status' },
    el('span', { 'data-i18n': 'update_ready' }, t('update_ready')),
    el('button', { type: 'button', class: 'btn primary', 'data-i18n': 'update_reload', onclick: () => location.reload() }, t('update_reload')));
  document.body.append(bar);
  document.body.dataset.updateReady = '1';
}

/** Opens view `view` (loading its module the first time); resolves once it is shown. */
function show(ctx, view, arg) {
  if (ctx.view && ctx.view !== view) VIEWS[ctx.view]?.hide?.();
  ctx.view = view;
  ctx.viewArg = arg;
  document.body.dataset.view = view;
  for (const name of VIEW_NAMES) {
    document.getElementById(`view-${name}`).hidden = name !== view;
    const tab = document.getElementById(`tab-${name}`);
    tab.setAttribute('aria-selected', String(name === view));
    if (name === view) tab.setAttribute('aria-current', 'page'); else tab.removeAttribute('aria-current');
  }
  ctx.hint('');
  ctx.legend([]);
  return loadView(ctx, view).then((v) => { if (ctx.view === view && ctx.viewArg === arg) v.show?.(arg, false); })
    .catch((e) => toast(apiErrorText(e), 'error'));
}

main().catch((e) => {
  console.error(e);
  toast(apiErrorText(e), 'error');
});
