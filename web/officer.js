// @ts-check
// Officer view: paste a bearer token (kept in sessionStorage only, gone when the tab
// closes); the header says who is signed in and for which districts; the queue
// (GET /api/v1/officer/queue) sorts by deadline, supporters or age with overdue ones
// highlighted; change a suggestion's status with a public note.

import { api, qs, toFeatures } from './api.js';
import { codes, label, t } from './i18n.js';
import { apiErrorText, clear, el, fmtTime, showError, statusColour, toast } from './ui.js';
import { setLayer, refreshLayer, statusLegend } from './suggest.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

const KEY = 'nuanxin.officer_token';
let ctx;
let filter = 'open';
let sort = 'deadline';
let me = null;
/** Settles once `me` is loaded (or failed): queue items need it (the departments to assign). */
let meLoaded = Promise.resolve();

function token() { try { return sessionStorage.getItem(KEY); } catch { return null; } }

export function init(c) { ctx = c; }
export function relabel() { if (ctx.view === 'officer') show(); }

export function show() {
  ctx.mapReady.then(() => setLayer(true));
  statusLegend();
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
  const sortSel = el('select', { id: 'of-sort', onchange: (e) => { sort = e.target.value; loadQueue(); } },
    ['deadline', 'supporters', 'age'].map((v) => el('option', { value: v, selected: sort === v }, t(`sort_${v}`))));
  const sel = el('select', { id: 'of-filter', onchange: (e) => { filter = e.target.value; loadQueue(); } },
    el('option', { value: 'open', selected: filter === 'open' }, `${label('status', 'submitted')} / ${label('status', 'accepted')} / ${label('status', 'in_progress')}`),
    el('option', { value: '', selected: filter === '' }, t('all')),
    codes('status').map((s) => el('option', { value: s, selected: filter === s }, label('status', s))));
  body.append(
    el('p', { class: 'whoami', id: 'of-whoami' }, t('loading')),
    el('div', { class: 'row' },
      el('label', { for: 'of-filter', class: 'inline-label' }, t('filter_status')), sel,
      el('button', { type: 'button', class: 'btn', onclick: () => { try { sessionStorage.removeItem(KEY); } catch { /* ignore */ } render(); } }, t('sign_out'))),
    el('div', { class: 'row' }, el('label', { for: 'of-sort', class: 'inline-label' }, t('sort_by')), sortSel),
    el('h2', { class: 'h2' }, t('queue'), ' ', el('span', { class: 'muted', id: 'of-overdue' })),
    el('ul', { class: 'plain queue', id: 'of-queue' }),
  );
  meLoaded = loadMe();
  loadQueue();
}

async function loadMe() {
  const box = document.getElementById('of-whoami');
  try {
    me = /** @type {Reply<'/api/v1/officer/me'>} */ (await api('/api/v1/officer/me', { token: token() }));
  } catch (e) {
    return authError(box, e);
  }
  const where = me.districts.length ? me.districts.map((d) => d.name || d.adcode).join('、') : t('all_districts');
  box.textContent = t('signed_in_as', { name: me.name, role: label('officer_role', me.role), where });
}

async function loadQueue() {
  const list = document.getElementById('of-queue');
  if (!list) return;
  clear(list).append(el('li', { class: 'muted' }, t('loading')));
  let page;
  try {
    const status = filter === 'open' ? 'open' : (filter || 'submitted,accepted,in_progress,resolved,declined');
    page = /** @type {Reply<'/api/v1/officer/queue'>} */ (await api(`/api/v1/officer/queue?${qs({ status, sort, limit: 200 })}`, { token: token() }));
  } catch (e) {
    return authError(list, e);
  }
  // The triage controls of each item list `me.departments`: render once both answered.
  await meLoaded;
  clear(list);
  const od = document.getElementById('of-overdue');
  if (od) od.textContent = page.overdue ? t('overdue_count', { n: page.overdue }) : '';
  const items = page.items || [];
  if (!items.length) { list.append(el('li', { class: 'muted' }, t('empty_queue'))); return; }
  for (const it of items) {
    const [f] = toFeatures([it.suggestion]);
    if (f) list.append(item(f, it.deadline));
  }
}

function authError(container, e) {
  if (e.status === 401) { try { sessionStorage.removeItem(KEY); } catch { /* ignore */ } toast(t('unauthorized'), 'error'); render(); return; }
  showError(container, e.status === 403 ? t('forbidden') : apiErrorText(e));
}

/**
 * Every private contact field the API gives an officer about the reporter, labelled: the name
 * (family name first, as Chinese names are written), the contact (phone / WeChat / email, its
 * kind named) and the email address (Open311 `email`, when not already the contact). Null when
 * the reporter left none.
 */
function contactBlock(p) {
  const rows = [];
  const name = [p.last_name, p.first_name].filter((x) => x && String(x).trim()).join(' ');
  if (name) rows.push(['contact_name', name]);
  const c = p.contact;
  const cv = c && typeof c === 'object' ? String(c.value ?? '') : c ? String(c) : '';
  const ck = c && typeof c === 'object' ? c.kind : null;
  if (cv) rows.push([ck === 'email' ? 'contact_email' : ck === 'wechat' ? 'contact_wechat' : ck === 'phone' ? 'contact_phone' : 'contact_other', cv]);
  if (p.email && p.email !== cv) rows.push(['contact_email', String(p.email)]);
  if (!rows.length) return null;
  return el('div', { class: 'q-contact' },
    el('p', { class: 'muted' }, t('contact_private')),
    el('dl', { class: 'facts' }, rows.map(([k, v]) => [el('dt', { dataset: { field: k } }, t(k)), el('dd', {}, v)])));
}

function item(f, deadline) {
  const p = f.properties;
  const due = deadline && (p.history || []).length <= 1 ? deadline.first_answer_due : deadline?.resolution_due;
  const id = String(p.id ?? f.id);
  const next = el('select', { 'aria-label': t('new_status') }, codes('status').filter((s) => s !== p.status).map((s) => el('option', { value: s }, label('status', s))));
  const note = el('textarea', { rows: '2', maxlength: '2000', placeholder: t('public_note_ph'), 'aria-label': t('public_note') });
  const li = el('li', { class: `q-item${deadline?.overdue ? ' overdue' : ''}`, dataset: { id } },
    el('p', {},
      el('span', { class: 'badge', style: `background:${statusColour(p.status)};color:#fff` }, label('status', p.status)),
      ' ', el('strong', {}, label('category', p.category)), ' · ',
      el('a', { href: `#s/${encodeURIComponent(id)}` }, id), ' · ', fmtTime(p.created_at)),
    el('p', { class: 'muted q-meta' },
      t('supporters', { n: p.supporters ?? 0 }),
      due ? [' · ', deadline.overdue ? el('strong', { class: 'overdue-tag' }, t('overdue')) : t('due_by'), ' ', fmtTime(due)] : null),
    el('p', { class: 'desc' }, p.description || ''),
    p.department && el('p', { class: 'muted' }, `${t('department')}: ${p.department}`),
    p.district_name && el('p', { class: 'muted' }, p.district_name),
    contactBlock(p),
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
  li.append(triage(id, p, li));
  li.addEventListener('click', (e) => {
    if (e.target.closest('button, select, textarea, a, input, details')) return;
    ctx.map.easeTo({ center: f.geometry.coordinates, zoom: Math.max(ctx.map.getZoom(), 14) });
  });
  return li;
}


/** POSTs an officer action on suggestion `id`, then reloads the queue. */
async function act(id, what, json, container, button) {
  button.disabled = true;
  try {
    await api(`/api/v1/suggestions/${encodeURIComponent(id)}/${what}`, { method: 'POST', token: token(), json });
    toast(t('updated'));
    loadQueue();
    refreshLayer();
  } catch (err) {
    button.disabled = false;
    authError(container, err);
  }
}

/** Triage: assign a department, mark as a duplicate of another, redact the description. */
function triage(id, p, li) {
  const deps = me?.departments || [];
  const dep = el('select', { 'aria-label': t('department'), class: 'of-dep' },
    el('option', { value: '' }, t('department_choose')),
    deps.map((d) => el('option', { value: d, selected: p.department === d }, d)));
  const orig = el('input', { type: 'text', class: 'of-orig', autocomplete: 'off', placeholder: t('duplicate_of_ph'), 'aria-label': t('duplicate_of_ph') });
  const reason = el('input', { type: 'text', class: 'of-reason', maxlength: '2000', placeholder: t('redact_reason_ph'), 'aria-label': t('redact_reason_ph') });
  return el('details', { class: 'triage' },
    el('summary', {}, t('triage')),
    el('div', { class: 'row' }, dep, el('button', {
      type: 'button', class: 'btn of-dep-go',
      onclick: (e) => { if (dep.value) act(id, 'department', { department: dep.value }, li, e.target); },
    }, t('assign'))),
    el('div', { class: 'row' }, orig, el('button', {
      type: 'button', class: 'btn of-dup-go',
      onclick: (e) => { if (orig.value.trim()) act(id, 'duplicate', { original: orig.value.trim() }, li, e.target); },
    }, t('mark_duplicate'))),
    el('div', { class: 'row' }, reason, el('button', {
      type: 'button', class: 'btn of-redact-go',
      onclick: (e) => { if (reason.value.trim()) act(id, 'redact', { field: 'description', reason: reason.value.trim() }, li, e.target); },
    }, t('redact')), p.has_photo && el('button', {
      type: 'button', class: 'btn',
      onclick: (e) => { if (reason.value.trim()) act(id, 'redact', { field: 'photo', reason: reason.value.trim() }, li, e.target); },
    }, t('redact_photo'))));
}
