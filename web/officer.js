// Officer view: paste a bearer token (kept in sessionStorage only, gone when the tab
// closes), review the queue, change a suggestion's status with a public note.

import { api, qs, toFeatures } from './api.js';
import { label, STATUS_COLOURS, t } from './i18n.js';
import { clear, el, fmtTime, showError, toast } from './ui.js';
import { setLayer, refreshLayer } from './suggest.js';

const KEY = 'nuanxin.officer_token';
const STATUSES = ['submitted', 'accepted', 'in_progress', 'resolved', 'declined'];
let ctx;
let filter = 'open';

function token() { try { return sessionStorage.getItem(KEY); } catch { return null; } }

export function init(c) { ctx = c; }
export function relabel() { if (ctx.view === 'officer') render(); }

export function show() {
  ctx.mapReady.then(() => setLayer(true));
  ctx.legend(STATUSES.map((s) => [STATUS_COLOURS[s], label('status', s)]));
  render();
}
export function hide() { ctx.mapReady.then(() => { if (ctx.view !== 'suggest') setLayer(false); }); }

function render() {
  const body = clear(document.getElementById('officer-body'));
  if (!token()) {
    const input = el('input', { id: 'of-token', type: 'password', autocomplete: 'off', placeholder: t('token_ph'), required: true });
    body.append(el('form', {
      class: 'form', onsubmit: (e) => {
        e.preventDefault();
        const v = input.value.trim();
        if (!v) return;
        try { sessionStorage.setItem(KEY, v); } catch { /* ignore */ }
        render();
      },
    }, el('label', { for: 'of-token' }, t('token')), input, el('button', { type: 'submit', class: 'btn primary wide' }, t('sign_in'))));
    return;
  }
  const sel = el('select', { id: 'of-filter', onchange: (e) => { filter = e.target.value; loadQueue(); } },
    el('option', { value: 'open', selected: filter === 'open' }, `${label('status', 'submitted')} / ${label('status', 'accepted')} / ${label('status', 'in_progress')}`),
    el('option', { value: '', selected: filter === '' }, t('all')),
    STATUSES.map((s) => el('option', { value: s, selected: filter === s }, label('status', s))));
  body.append(
    el('div', { class: 'row' },
      el('label', { for: 'of-filter', class: 'inline-label' }, t('filter_status')), sel,
      el('button', { type: 'button', class: 'btn', onclick: () => { try { sessionStorage.removeItem(KEY); } catch { /* ignore */ } render(); } }, t('sign_out'))),
    el('h2', { class: 'h2' }, t('queue')),
    el('ul', { class: 'plain queue', id: 'of-queue' }),
  );
  loadQueue();
}

async function loadQueue() {
  const list = document.getElementById('of-queue');
  if (!list) return;
  clear(list).append(el('li', { class: 'muted' }, t('loading')));
  let feats;
  try {
    const status = filter === 'open' ? 'submitted,accepted,in_progress' : filter;
    feats = toFeatures(await api(`/api/v1/suggestions?${qs({ status, limit: 200 })}`, { token: token() }));
  } catch (e) {
    return authError(list, e);
  }
  clear(list);
  if (!feats.length) { list.append(el('li', { class: 'muted' }, t('empty_queue'))); return; }
  for (const f of feats) list.append(item(f));
}

function authError(container, e) {
  if (e.status === 401) { try { sessionStorage.removeItem(KEY); } catch { /* ignore */ } toast(t('unauthorized'), 'error'); render(); return; }
  showError(container, e.status === 403 ? t('forbidden') : t('api_error', { msg: e.message }));
}

function item(f) {
  const p = f.properties;
  const id = String(p.id ?? f.id);
  const next = el('select', { 'aria-label': t('new_status') }, STATUSES.filter((s) => s !== p.status).map((s) => el('option', { value: s }, label('status', s))));
  const note = el('textarea', { rows: '2', maxlength: '2000', placeholder: t('public_note_ph'), 'aria-label': t('public_note') });
  const li = el('li', { class: 'q-item', dataset: { id } },
    el('p', {},
      el('span', { class: 'badge', style: `background:${STATUS_COLOURS[p.status] || '#868e96'};color:#fff` }, label('status', p.status)),
      ' ', el('strong', {}, label('category', p.category)), ' · ',
      el('a', { href: `#s/${encodeURIComponent(id)}` }, id), ' · ', fmtTime(p.created_at)),
    el('p', { class: 'desc' }, p.description || ''),
    p.district_name && el('p', { class: 'muted' }, p.district_name),
    p.contact && el('p', { class: 'muted' }, `${t('contact_private')}: `, typeof p.contact === 'object' ? String(p.contact.value ?? '') : String(p.contact)),
    el('div', { class: 'q-actions' }, next, note,
      el('button', {
        type: 'button', class: 'btn primary', onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api(`/api/v1/suggestions/${encodeURIComponent(id)}/status`, { method: 'POST', token: token(), json: { status: next.value, note: note.value } });
            toast(t('updated'));
            loadQueue();
            refreshLayer();
          } catch (err) {
            e.target.disabled = false;
            authError(li, err);
          }
        },
      }, t('update'))),
  );
  li.addEventListener('click', (e) => {
    if (e.target.closest('button, select, textarea, a')) return;
    ctx.map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(ctx.map.getZoom(), 14) });
  });
  return li;
}

