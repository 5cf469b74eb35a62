// @ts-check
// Suggestion flow: 提建议 → tap the map → form → similar open suggestions nearby ("me too")
// → submit → receipt (tracking id + 6-character code, shown large; the long token for API
// clients) → status page (#s/<id>). 我的建议 keeps this device's receipts; the lookup form
// takes a tracking id and code typed on any device (sent in a POST body, never in a URL).
// Also the public suggestions layer, coloured by status.
// Every user-written text is put in the page with textContent (ui.el), never as HTML.

import { api, qs, toFeatures } from './api.js';
import { codes, label, t } from './i18n.js';
import { apiErrorText, clear, el, fmtDistance, fmtTime, showError, statusColour, toast } from './ui.js';
import { discard, enqueue, flush, isNetworkError, newKey, queued, send } from './offline.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

let ctx;
const draft = { at: null, category: null, description: '', contact: '', role: '', photo: null };
let picking = false;
let mode = 'form'; // form | receipt | status | queued
let receipt = null;
let queuedKey = null; // Idempotency-Key of the suggestion shown as queued (待发送)
let statusId = null;

export function init(c) { ctx = c; }

function receipts() {
  try { return JSON.parse(localStorage.getItem('nuanxin.receipts') || '[]'); } catch { return []; }
}
function remember(r) {
  const list = receipts().filter((x) => x.id !== r.id);
  list.unshift(r);
  try { localStorage.setItem('nuanxin.receipts', JSON.stringify(list.slice(0, 20))); } catch { /* ignore */ }
}

export function mapReady() {
  const map = ctx.map;
  const empty = { type: 'FeatureCollection', features: [] };
  // More suggestions than `tiles_above` (/config.json): the layer comes from the server's
  // vector tiles (thinned at low zoom, `count` behind each dot); else GeoJSON as before.
  const tiled = suggestionTilesUrl();
  if (tiled) map.addSource('suggestions', { type: 'vector', tiles: [tiled], minzoom: 0, maxzoom: 16 });
  else map.addSource('suggestions', { type: 'geojson', data: empty });
  map.addSource('pick', { type: 'geojson', data: empty });
  const byStatus = codes('status').flatMap((s) => [s, statusColour(s)]);
  const colour = byStatus.length ? ['match', ['get', 'status'], ...byStatus, statusColour('')] : statusColour('');
  map.addLayer({
    id: 'sg-dot', type: 'circle', source: 'suggestions', ...(tiled ? { 'source-layer': 'suggestions' } : {}),
    layout: { visibility: 'none' },
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 4, 15, 8],
      'circle-color': colour, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
    },
  });
  map.addLayer({
    id: 'pick-pin', type: 'circle', source: 'pick',
    paint: { 'circle-radius': 11, 'circle-color': '#c2410c', 'circle-stroke-color': '#fff', 'circle-stroke-width': 4 },
  });
  // A tap on a suggestion shows its summary; in the form the pin still moves there, and the
  // "similar nearby" list offers "me too" for it.
  map.on('click', 'sg-dot', (e) => {
    const f = e.features?.[0];
    if (!f || (ctx.view !== 'suggest' && ctx.view !== 'officer')) return;
    const p = f.properties;
    if (p.count > 1) { // a tile's dot standing for several: zoom in
      map.easeTo({ center: f.geometry.coordinates, zoom: Math.min(map.getZoom() + 2, 13) });
      return;
    }
    const box = el('div', { class: 'popup' },
      el('p', {}, statusBadge(p.status), ' ', el('strong', {}, label('category', p.category))),
      el('a', { href: `#s/${encodeURIComponent(p.id)}` }, t('receipt_view')));
    new maplibregl.Popup({ closeButton: true, maxWidth: '240px' }).setLngLat(f.geometry.coordinates).setDOMContent(box).addTo(map);
  });
  map.on('mouseenter', 'sg-dot', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'sg-dot', () => { map.getCanvas().style.cursor = ''; });
  if (ctx.view === 'suggest' || ctx.view === 'officer') setLayer(true);
}

export function setLayer(on) {
  const map = ctx.map;
  if (!map.getLayer('sg-dot')) return;
  map.setLayoutProperty('sg-dot', 'visibility', on ? 'visible' : 'none');
  map.setLayoutProperty('pick-pin', 'visibility', on ? 'visible' : 'none');
  if (on) refreshLayer();
}

/** The suggestion tiles' URL when the page should draw them, else null. */
function suggestionTilesUrl() {
  const c = ctx.config;
  const l = c?.layers?.suggestions;
  if (!l?.tiles || !c?.tiles_above || !(l.features > c.tiles_above)) return null;
  return `${location.origin}${l.tiles}`;
}

/** Reloads the public suggestions layer (`GET /api/v1/suggestions`, or its tiles). */
export async function refreshLayer() {
  const src = /** @type {any} */ (ctx.map.getSource('suggestions'));
  if (src?.type === 'vector') {
    // the same URL again: MapLibre drops its tiles and the browser revalidates them (ETag)
    src.setTiles([suggestionTilesUrl()]);
    return;
  }
  try {
    // Pages of at most 500 (the API's limit), up to 2,000 suggestions on the map.
    let items = [];
    for (let offset = 0; offset < 2000; offset += 500) {
      const page = /** @type {Reply<'/api/v1/suggestions'>} */ (await api(`/api/v1/suggestions?${qs({ limit: 500, offset })}`));
      const got = Array.isArray(page?.items) ? page.items : toFeatures(page);
      items = items.concat(got);
      if (got.length < 500 || (Number.isFinite(page?.total) && items.length >= page.total)) break;
    }
    const feats = toFeatures(items).map((f) => ({ ...f, properties: { id: f.properties.id ?? f.id, status: f.properties.status, category: f.properties.category } }));
    ctx.map.getSource('suggestions')?.setData({ type: 'FeatureCollection', features: feats });
  } catch (e) {
    console.warn('suggestions:', e.message);
  }
}

/** The map legend of the suggestions layer: each status's colour and name, in the page's language. */
export function statusLegend() {
  ctx.legend(codes('status').map((s) => [statusColour(s), label('status', s)]));
}

export function show(arg) {
  ctx.mapReady.then(() => setLayer(true));
  statusLegend();
  if (arg) { mode = 'status'; statusId = arg; } else if (mode === 'status') mode = 'form';
  render();
}

export function hide() {
  picking = false;
  ctx.mapReady.then(() => { if (ctx.view !== 'officer') setLayer(false); });
}

export function relabel() { if (ctx.view === 'suggest') show(ctx.viewArg); }

export function onMapClick(e) {
  if (mode !== 'form' || e.defaultPrevented) return;
  const ll = e.lngLat.wrap();
  setAt([ll.lng, ll.lat]);
}

/** A place picked in the search box becomes the suggestion's place. */
export function onSearchPick(lonLat) {
  if (mode !== 'form') return;
  setAt(lonLat);
}

/** Sets the suggestion's place (a map tap, or the map centre for keyboard users). */
function setAt(lonLat) {
  draft.at = lonLat;
  picking = false;
  ctx.hint('');
  render();
  document.getElementById('sg-where')?.focus();
}

function render() {
  const body = document.getElementById('suggest-body');
  clear(body);
  if (mode === 'receipt' && receipt) return renderReceipt(body);
  if (mode === 'queued' && queuedKey) return renderQueued(body);
  if (mode === 'status' && statusId) return renderStatus(body, statusId);
  renderForm(body);
}

function setPin(lonLat) {
  ctx.map?.getSource('pick')?.setData(lonLat
    ? { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: lonLat } }
    : { type: 'FeatureCollection', features: [] });
}

function renderForm(body) {
  picking = !draft.at;
  setPin(draft.at);
  ctx.hint(picking ? t('suggest_pick') : '');
  const desc = el('textarea', {
    id: 'sg-desc', name: 'description', rows: '4', maxlength: '2000', required: true,
    placeholder: t('description_ph'), oninput: (e) => { draft.description = e.target.value; counter.textContent = `${[...e.target.value].length}/2000`; },
  });
  desc.value = draft.description;
  const counter = el('span', { class: 'counter', 'aria-live': 'off' }, `${[...draft.description].length}/2000`);
  const chips = el('div', { class: 'chips cat', role: 'radiogroup', 'aria-labelledby': 'sg-cat-label' },
    codes('category').map((c) => el('label', { class: 'chip big' },
      el('input', {
        type: 'radio', name: 'category', value: c, checked: draft.category === c,
        onchange: () => { draft.category = c; loadSimilar(); },
      }),
      el('span', {}, label('category', c)))));
  const photoName = el('span', { class: 'file-name', id: 'sg-photo-name' }, draft.photo ? draft.photo.name : '');
  const photo = el('input', {
    id: 'sg-photo', type: 'file', name: 'photo', class: 'file-input', accept: PHOTO_TYPES.join(','), 'aria-describedby': 'sg-photo-label',
    onchange: (e) => { checkPhoto(e.target); photoName.textContent = draft.photo ? draft.photo.name : ''; },
  });
  const contact = el('input', { id: 'sg-contact', name: 'contact', type: 'text', autocomplete: 'on', placeholder: t('contact_ph'), maxlength: '254', oninput: (e) => { draft.contact = e.target.value; } });
  contact.value = draft.contact;
  const role = el('select', { id: 'sg-role', name: 'role', onchange: (e) => { draft.role = e.target.value; } },
    el('option', { value: '' }, t('role_none')), codes('role').map((r) => el('option', { value: r, selected: draft.role === r }, label('role', r))));
  const form = el('form', { id: 'suggest-form', class: 'form', novalidate: true, onsubmit: submit },
    el('h1', { class: 'h' }, t('suggest_title')),
    el('p', { class: 'muted' }, t('suggest_intro')),
    el('div', { class: `where ${draft.at ? 'set' : ''}`, id: 'sg-where', tabindex: '-1' },
      el('span', {}, draft.at ? t('suggest_location_set') : t('suggest_pick')),
      draft.at && el('span', { class: 'coords' }, `${draft.at[1].toFixed(5)}, ${draft.at[0].toFixed(5)}`),
      el('button', {
        type: 'button', class: 'link', id: 'sg-use-centre',
        onclick: () => { const c = ctx.map.getCenter().wrap(); setAt([c.lng, c.lat]); },
      }, t('use_centre'))),
    el('p', { class: 'label', id: 'sg-cat-label' }, t('category')),
    chips,
    el('div', { id: 'sg-similar' }),
    el('label', { for: 'sg-desc' }, el('span', {}, t('description')), counter),
    desc,
    el('p', { class: 'label', id: 'sg-photo-label' }, t('photo')),
    el('div', { class: 'file-row' }, photo, el('label', { for: 'sg-photo', class: 'btn small' }, t('choose_photo')), photoName),
    el('label', { for: 'sg-contact' }, t('contact')),
    contact,
    el('p', { class: 'privacy', id: 'sg-privacy' }, t('privacy_note')),
    el('label', { for: 'sg-role' }, t('role')),
    role,
    el('p', { id: 'sg-error', class: 'notice error', role: 'alert', hidden: true }),
    el('button', { type: 'submit', class: 'btn primary wide', id: 'sg-submit' }, t('submit')),
  );
  contact.setAttribute('aria-describedby', 'sg-privacy');
  body.append(form, outboxList(), myList());
  loadSimilar();
}

function myList() {
  const mine = receipts();
  const wrap = el('section', { class: 'mine', id: 'my-suggestions' });
  const idInput = el('input', { type: 'text', id: 'sg-lookup', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', placeholder: t('lookup_placeholder'), required: true });
  const codeInput = el('input', { type: 'text', id: 'sg-lookup-code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', inputmode: 'text', maxlength: '9', placeholder: t('lookup_code_placeholder'), required: true });
  const err = el('p', { class: 'notice error', role: 'alert', id: 'sg-lookup-error', hidden: true });
  const lookupForm = el('form', {
    class: 'form', id: 'sg-lookup-form', onsubmit: async (e) => {
      e.preventDefault();
      const id = idInput.value.trim();
      const code = codeInput.value.trim();
      if (!id || !code) return;
      err.hidden = true;
      try {
        // the code goes in the POST body: URLs end up in logs and browser history
        const r = /** @type {Reply<'/api/v1/suggestions/lookup', 'post'>} */ (await api('/api/v1/suggestions/lookup', { method: 'POST', json: { id, code } }));
        const p = r.suggestion;
        remember({ id: p.id, code: r.receipt_code || code, category: p.category, at: new Date().toISOString() });
        location.hash = `#s/${encodeURIComponent(p.id)}`;
      } catch (ex) {
        err.textContent = ex.status === 404 || ex.status === 403 ? t('lookup_failed') : apiErrorText(ex);
        err.hidden = false;
      }
    },
  },
  el('label', { for: 'sg-lookup' }, t('receipt_id')), idInput,
  el('label', { for: 'sg-lookup-code' }, t('receipt_code')), codeInput,
  err,
  el('button', { type: 'submit', class: 'btn wide' }, t('lookup')));
  wrap.append(el('h2', { class: 'h2' }, t('my_suggestions')));
  if (mine.length) {
    wrap.append(el('ul', { class: 'plain mine-list', id: 'mine-list' }, mine.map((r) => el('li', {},
      el('a', { class: 'mine-link', href: `#s/${encodeURIComponent(r.id)}` }, `${label('category', r.category)} · ${r.id}`),
      r.code ? el('span', { class: 'muted' }, ` · ${t('receipt_code')} ${displayCode(r.code)}`) : null))));
  } else {
    wrap.append(el('p', { class: 'muted' }, t('mine_empty')));
  }
  wrap.append(el('h2', { class: 'h2' }, t('lookup_title')), el('p', { class: 'muted' }, t('lookup_intro')), lookupForm);
  return wrap;
}

/** `7K3P9Q` → `7K3 P9Q` (two groups of three, easier to read aloud). */
function displayCode(c) {
  const s = String(c || '').replace(/[\s-]/g, '').toUpperCase();
  return s.length === 6 ? `${s.slice(0, 3)} ${s.slice(3)}` : s;
}

function checkPhoto(input) {
  const f = input.files?.[0];
  draft.photo = null;
  if (!f) return;
  if (!PHOTO_TYPES.includes(f.type)) { input.value = ''; toast(t('photo_bad_type'), 'error'); return; }
  if (f.size > MAX_PHOTO_BYTES) { input.value = ''; toast(t('photo_too_large'), 'error'); return; }
  draft.photo = f;
}

let similarSeq = 0;
/** Open suggestions of the same category near the chosen place, nearest first. */
async function loadSimilar() {
  const box = document.getElementById('sg-similar');
  if (!box || !draft.at || !draft.category) { if (box) clear(box); return; }
  const seq = ++similarSeq;
  let feats;
  try {
    const [lon, lat] = draft.at;
    const r = /** @type {Reply<'/api/v1/suggestions/nearby'>} */ (await api(`/api/v1/suggestions/nearby?${qs({ lon: lon.toFixed(6), lat: lat.toFixed(6), category: draft.category })}`));
    // Items are { distance_m, suggestion }.
    const items = (r?.items || []).map((it) => (it.suggestion ? { ...it.suggestion, distance_m: it.distance_m } : it));
    feats = toFeatures(items);
  } catch (e) {
    console.warn('nearby:', e.message);
    return;
  }
  if (seq !== similarSeq) return;
  clear(box);
  if (!feats.length) return;
  box.append(el('section', { class: 'similar', 'aria-labelledby': 'sg-sim-h' },
    el('h2', { class: 'h2', id: 'sg-sim-h' }, t('similar_title')),
    el('p', { class: 'muted' }, t('similar_intro')),
    el('ul', { class: 'plain' }, feats.slice(0, 5).map((f) => {
      const p = f.properties;
      const btn = meTooButton(p.id, p.supporters);
      return el('li', { class: 'sim' },
        el('p', { class: 'sim-desc' }, p.description || ''),
        el('p', { class: 'muted' }, statusBadge(p.status), Number.isFinite(p.distance_m) ? ` ${fmtDistance(p.distance_m)}` : '',
          ' · ', el('a', { href: `#s/${encodeURIComponent(p.id)}` }, String(p.id))),
        btn);
    }))));
}

/**
 * "我也遇到": one vote per device (X-Device-Token); the button then says whether this
 * vote counted or the device had supported it already.
 */
function meTooButton(id, supporters) {
  const btn = el('button', { type: 'button', class: 'btn small me-too' }, t('me_too', { n: supporters ?? 0 }));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = /** @type {Reply<'/api/v1/suggestions/{id}/support', 'post'>} */ (await api(`/api/v1/suggestions/${encodeURIComponent(id)}/support`, { method: 'POST', device: true }));
      btn.textContent = t(r?.counted ? 'me_too_counted' : 'me_too_already', { n: r?.supporters ?? supporters ?? 0 });
      btn.dataset.counted = String(Boolean(r?.counted));
    } catch (e) {
      btn.disabled = false;
      toast(apiErrorText(e), 'error');
    }
  });
  return btn;
}

/** A duplicate's reporter follows the original: its public answers under the notice. */
async function showOriginal(origId) {
  let o;
  try { o = /** @type {Reply<'/api/v1/suggestions/{id}'>} */ (await api(`/api/v1/suggestions/${encodeURIComponent(origId)}`)); } catch { return; }
  const box = document.getElementById('status-original');
  if (!box) return;
  box.append(el('h2', { class: 'h2' }, t('original_answers')),
    el('ol', { class: 'timeline', id: 'original-history' }, (o.history || []).map((h) => el('li', {},
      statusBadge(h.to), ' ', el('time', { datetime: h.at }, fmtTime(h.at)),
      h.department ? el('span', { class: 'muted' }, ` · ${h.department}`) : null,
      h.note ? el('p', { class: 'note' }, h.note) : null))));
}

function statusBadge(s) {
  return el('span', { class: 'badge', style: `background:${statusColour(s)};color:#fff` }, label('status', s));
}

function formError(msg) {
  const e = document.getElementById('sg-error');
  e.textContent = msg;
  e.hidden = false;
  e.scrollIntoView({ block: 'nearest' });
}


async function submit(e) {
  e.preventDefault();
  if (!draft.at) return formError(t('need_location'));
  if (!draft.category) return formError(t('need_category'));
  if (!draft.description.trim()) { document.getElementById('sg-desc').focus(); return formError(t('need_description')); }
  const btn = /** @type {HTMLButtonElement} */ (document.getElementById('sg-submit'));
  btn.disabled = true;
  btn.textContent = t('submitting');
  const fields = {
    lon: Number(draft.at[0].toFixed(7)), lat: Number(draft.at[1].toFixed(7)), crs: 'wgs84',
    category: draft.category, description: draft.description,
  };
  // A phone number or WeChat id; the server tells them apart and keeps it private.
  if (draft.contact.trim()) fields.contact = draft.contact.trim();
  if (draft.role) fields.role = draft.role;
  // One Idempotency-Key per suggestion, made now: a retry (by the outbox, or after a reply
  // lost on the way back) can never file it twice.
  const item = { key: newKey(), fields, photo: draft.photo, category: draft.category, queued_at: Date.now() };
  try {
    accepted(item, await send(item));
    mode = 'receipt';
  } catch (err) {
    if (!isNetworkError(err)) {
      btn.disabled = false;
      btn.textContent = t('submit');
      formError(apiErrorText(err));
      return;
    }
    // No signal: kept on this device (IndexedDB) and sent when the network returns.
    try {
      await enqueue(item);
    } catch (e) {
      btn.disabled = false;
      btn.textContent = t('submit');
      formError(apiErrorText(err));
      return;
    }
    queuedKey = item.key;
    mode = 'queued';
    retryTimer ??= setTimeout(flushOutbox, retryMs);
  }
  Object.assign(draft, { at: null, category: null, description: '', contact: '', role: '', photo: null });
  ctx.map.getSource('pick')?.setData({ type: 'FeatureCollection', features: [] });
  render();
  if (mode === 'receipt') refreshLayer();
}

/** Keeps the receipt of an accepted suggestion (`r`: the server's 201 body) on this device. */
function accepted(item, r) {
  const rec = r?.suggestion || r?.properties || r || {};
  receipt = {
    id: rec.id ?? r?.id,
    token: r?.receipt_token ?? rec.receipt_token ?? null,
    code: r?.receipt_code ?? null,
    category: item.category,
    at: new Date().toISOString(),
  };
  remember(receipt);
  return receipt;
}

/** First and longest wait before the outbox is tried again after a failed send, ms. */
const RETRY_FIRST_MS = 2000;
const RETRY_MAX_MS = 60000;
let retryMs = RETRY_FIRST_MS;
let retryTimer = null;

/**
 * Sends the suggestions queued while offline (called at start, when the browser reports
 * being back online, and every minute). The one on screen as 待发送 turns into its receipt;
 * others are announced. While any is left unsent it is tried again after 2 s, 4 s, 8 s …
 * (at most every 60 s): `online` events are not reliable (a phone on a captive Wi-Fi
 * portal or a signal too weak to carry data reports online; after an offline reload some
 * browsers never fire one), so the outbox does not wait for them.
 */
export async function flushOutbox() {
  clearTimeout(retryTimer);
  retryTimer = null;
  const left = await flush((item, r) => {
    const rec = accepted(item, r);
    if (mode === 'queued' && queuedKey === item.key && ctx.view === 'suggest') {
      mode = 'receipt';
      queuedKey = null;
      render();
    } else {
      toast(t('queued_sent', { id: rec.id }));
      if (ctx.view === 'suggest' && mode === 'form') render();
    }
    refreshLayer();
  }, () => { if (ctx.view === 'suggest') render(); });
  if (left > 0) {
    if (!retryTimer) retryTimer = setTimeout(flushOutbox, retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  } else {
    retryMs = RETRY_FIRST_MS;
  }
}

/** Tries the outbox again at once, from the shortest back-off (the signal may be back). */
export function retryOutboxNow() {
  retryMs = RETRY_FIRST_MS;
  return flushOutbox();
}

function renderQueued(body) {
  ctx.hint('');
  body.append(el('section', { class: 'receipt queued', id: 'queued', tabindex: '-1' },
    el('h1', { class: 'h' }, el('span', { class: 'badge queued' }, t('queued_badge')), ' ', t('queued_title')),
    el('p', {}, t('queued_body')),
    el('p', {}, el('button', { type: 'button', class: 'btn wide', onclick: () => { mode = 'form'; queuedKey = null; render(); } }, t('suggest_start'))),
  ));
  document.getElementById('queued').focus();
}

/** The suggestions waiting on this device (待发送), with the reason when one was refused. */
function outboxList() {
  const wrap = el('section', { class: 'mine outbox', id: 'sg-outbox', hidden: true });
  queued().then((items) => {
    if (!items.length) return;
    wrap.append(el('h2', { class: 'h2' }, t('queued_badge')), el('ul', { class: 'plain' }, items.map((it) => el('li', { dataset: { key: it.key } },
      el('span', { class: 'badge queued' }, t('queued_badge')), ' ',
      `${label('category', it.category)} · ${fmtTime(new Date(it.queued_at).toISOString())}`,
      it.rejected && el('p', { class: 'notice error' }, t('queued_rejected', { msg: it.rejected })),
      it.rejected && el('button', { type: 'button', class: 'btn small', onclick: async () => { await discard(it.key); render(); } }, t('queued_discard'))))));
    wrap.hidden = false;
  });
  return wrap;
}

function copyButton(value) {
  return el('button', {
    type: 'button', class: 'btn small', onclick: async (e) => {
      try { await navigator.clipboard.writeText(value); e.target.textContent = t('copied'); } catch { /* not allowed */ }
    },
  }, t('copy'));
}

function renderReceipt(body) {
  ctx.hint('');
  const both = receipt.code ? `${receipt.id} ${receipt.code}` : String(receipt.id ?? '');
  body.append(el('section', { class: 'receipt', id: 'receipt', tabindex: '-1' },
    el('h1', { class: 'h' }, t('receipt_title')),
    el('p', { class: 'label' }, t('receipt_id')),
    el('p', { class: 'big-id' }, el('code', { id: 'receipt-id' }, String(receipt.id ?? ''))),
    receipt.code && el('p', { class: 'label' }, t('receipt_code')),
    receipt.code && el('p', { class: 'big-id big-code' }, el('code', { id: 'receipt-code' }, displayCode(receipt.code))),
    el('p', {}, copyButton(both)),
    el('p', { class: 'muted' }, t('receipt_code_hint')),
    receipt.token && el('details', { class: 'token' },
      el('summary', {}, t('receipt_token')),
      el('p', { class: 'big-id' }, el('code', { id: 'receipt-token' }, String(receipt.token)), copyButton(String(receipt.token)))),
    el('p', {}, el('a', { class: 'btn primary wide', href: `#s/${encodeURIComponent(receipt.id)}`, id: 'receipt-link' }, t('receipt_view'))),
    el('p', {}, el('button', { type: 'button', class: 'btn wide', onclick: () => { mode = 'form'; receipt = null; render(); } }, t('suggest_start'))),
  ));
  document.getElementById('receipt').focus();
}

/** The reporter's private photo: fetched with the receipt in a header, shown from a blob URL. */
function privatePhoto(id, mine) {
  const img = el('img', { class: 'photo', alt: t('photo') });
  const headers = mine.token ? { 'X-Receipt-Token': mine.token } : { 'X-Receipt-Code': mine.code };
  fetch(`/api/v1/suggestions/${encodeURIComponent(id)}/photo`, { headers })
    .then((r) => (r.ok ? r.blob() : null))
    .then((b) => { if (b) img.src = URL.createObjectURL(b); else img.remove(); })
    .catch(() => img.remove());
  return img;
}

async function renderStatus(body, id) {
  ctx.hint('');
  body.append(el('p', { class: 'muted' }, t('loading')));
  let rec;
  const mine = receipts().find((r) => r.id === id);
  try {
    // the receipt travels in a header, never in the URL (URLs end up in logs and history)
    rec = /** @type {Reply<'/api/v1/suggestions/{id}'>} */ (await api(`/api/v1/suggestions/${encodeURIComponent(id)}`, { receipt: mine?.token, code: mine?.token ? null : mine?.code }));
  } catch (e) {
    showError(body, e.status === 404 ? t('not_found') : apiErrorText(e));
    body.append(el('p', {}, el('a', { href: '#suggest', class: 'btn' }, t('suggest_start'))));
    return;
  }
  if (statusId !== id || ctx.view !== 'suggest') return;
  const p = rec;
  const loc = p.location;
  clear(body);
  const hist = Array.isArray(p.history) ? p.history : [];
  body.append(el('section', { class: 'status-page', id: 'status-page' },
    el('a', { href: '#suggest', class: 'back' }, '← ', t('suggest_title')),
    el('h1', { class: 'h' }, t('status_title')),
    el('p', {}, statusBadge(p.status), ' ', el('strong', {}, label('category', p.category)), ' · ', el('code', {}, String(p.id ?? id))),
    el('p', { class: 'desc', id: 'status-desc' }, p.description || ''),
    p.has_photo && (mine?.token || mine?.code) && privatePhoto(id, mine),
    el('dl', { class: 'facts' },
      p.district_name && [el('dt', {}, t('district')), el('dd', {}, p.district_name)],
      p.collection_point && [el('dt', {}, label('kind', 'collection_point')), el('dd', {}, `${p.collection_point.name || ''}${Number.isFinite(p.collection_point.distance_m) ? ` · ${fmtDistance(p.collection_point.distance_m)}` : ''}`)],
      [el('dt', {}, t('submitted_at')), el('dd', {}, fmtTime(p.created_at))],
      Number(p.supporters) > 0 && [el('dt', {}, t('me_too_done')), el('dd', {}, t('supporters', { n: p.supporters }))]),
    ['submitted', 'accepted', 'in_progress'].includes(p.status) && el('p', {}, meTooButton(p.id ?? id, p.supporters)),
    el('h2', { class: 'h2' }, t('history')),
    el('ol', { class: 'timeline' }, hist.map((h) => el('li', {},
      statusBadge(h.to), ' ', el('time', { datetime: h.at }, fmtTime(h.at)),
      h.department ? el('span', { class: 'muted' }, ` · ${h.department}`) : null,
      h.note ? el('p', { class: 'note' }, h.note) : null))),
    p.department && el('p', { class: 'muted' }, `${t('department')}: ${p.department}`),
    p.duplicate_of && el('section', { class: 'notice', id: 'status-original' },
      el('p', {}, t('duplicate_notice', { id: p.duplicate_of }), ' ', el('a', { href: `#s/${encodeURIComponent(p.duplicate_of)}` }, t('receipt_view')))),
    el('p', {}, el('a', { href: `/api/v1/suggestions/${encodeURIComponent(p.id ?? id)}/feed`, id: 'status-feed' }, t('feed_suggestion'))),
  ));
  if (p.duplicate_of) showOriginal(p.duplicate_of);
  if (Array.isArray(loc) && Number.isFinite(loc[0])) {
    setPin(loc);
    ctx.map.easeTo({ center: loc, zoom: Math.max(ctx.map.getZoom(), 14) });
  }
}
