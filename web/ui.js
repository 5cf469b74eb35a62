// @ts-check
// DOM helpers. User and server text only ever goes through textContent / attributes,
// never innerHTML.
import { t } from './i18n.js';

/**
 * Creates an element: el('button', {class: 'x', onclick: f, 'aria-label': 'y'}, 'text', child).
 * Attributes: `on<event>` functions become listeners, `class`, `dataset` (object), `text`;
 * `true` is an empty (boolean) attribute, `null`/`undefined`/`false` are left out. Children:
 * nodes, or strings and numbers as text (never markup), in arrays nested to any depth;
 * `null`/`undefined`/`false` are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/**
 * The value of CSS custom property `name` (e.g. `--kind-station`) on the document root, as
 * style.css declares it; `fallback` when it is not declared.
 */
export function cssVar(name, fallback = '') {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** The colour of service kind `kind` (`--kind-<code>` in style.css). */
export function kindColour(kind) {
  return cssVar(`--kind-${kind}`) || cssVar('--kind-unknown', '#495057');
}

/** The colour of suggestion status `status` (`--status-<code>` in style.css). */
export function statusColour(status) {
  return cssVar(`--status-${status}`) || cssVar('--status-unknown', '#868e96');
}

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

let toastTimer;
/** A short message in the live region (read by screen readers). */
export function toast(msg, kind = 'info') {
  const box = document.getElementById('toast');
  box.textContent = msg;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, kind === 'error' ? 7000 : 3500);
}

/** "350 米" / "1.2 公里". */
export function fmtDistance(m) {
  if (!Number.isFinite(m)) return '';
  return m < 1000 ? t('metres', { n: Math.round(m) }) : t('km', { n: (m / 1000).toFixed(m < 10000 ? 1 : 0) });
}

/** Whole minutes, at least 1. */
export function fmtMinutes(min) { return Math.max(1, Math.ceil(min)); }

/** Downloads `text` as file `name` (client-side, no server round trip). */
export function download(name, text, mime) {
  const blob = new Blob([text], { type: mime });
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

/** An error notice inside `container` (cleared first). */
/**
 * What the page says when an API call fails (`e` from api.js): a refused request (HTTP 4xx:
 * the request, not the service, is at fault) is not "service unavailable"; no answer (status 0)
 * and server faults (5xx) are.
 * @param {{ status?: number, message?: string }} e
 */
export function apiErrorText(e) {
  const status = Number(e?.status) || 0;
  const msg = e?.message || String(e);
  return status >= 400 && status < 500 ? t('request_error', { msg }) : t('api_error', { msg });
}

export function showError(container, msg) {
  clear(container).append(el('p', { class: 'notice error', role: 'alert' }, msg));
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(document.documentElement.lang || 'zh-CN', { hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}
