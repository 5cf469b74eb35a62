// @ts-check
// Thin client of the server's JSON API. Errors are RFC 9457 problem+json; they become
// ApiError with the server's `detail` (or title) as message and the HTTP status.

/** @typedef {import('./types/openapi').components['schemas']['Problem']} Problem */

/** A failed API call: `status` 0 when the server was not reached, `problem` its RFC 9457 body. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 without a response
   * @param {string} message the problem's `detail` (or `title`), or what went wrong
   * @param {Problem | null} problem the problem+json body, if any
   */
  constructor(status, message, problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls `path` and returns the parsed JSON body (null for 204).
 * opts: { method, json (body object), form (FormData), token (bearer), receipt (the
 *   reporter's receipt token, sent as X-Receipt-Token: secrets never go into URLs), code
 *   (the reporter's short receipt code, sent as X-Receipt-Code), headers (more request
 *   headers, e.g. Idempotency-Key), device (true: send this device's token as
 *   X-Device-Token, for "me too"), signal }
 * @param {string} path
 * @param {{ method?: string, json?: unknown, form?: FormData, token?: string | null, receipt?: string | null,
 *   code?: string | null, headers?: Record<string, string>, device?: boolean, signal?: AbortSignal }} [opts]
 * @returns {Promise<unknown>} the body; each caller casts it to the type of its endpoint from
 *   `types/api.d.ts` (`Reply<'/api/v1/nearest'>`), so a path or field the API renames fails tsc
 */
export async function api(path, opts = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json' };
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.receipt) headers['X-Receipt-Token'] = opts.receipt;
  Object.assign(headers, opts.headers || {});
  if (opts.code) headers['X-Receipt-Code'] = opts.code;
  if (opts.device) headers['X-Device-Token'] = deviceToken();
  let resp;
  try {
    resp = await fetch(path, { method: opts.method || (body ? 'POST' : 'GET'), headers, body, signal: opts.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, String(e.message || e), null);
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!resp.ok) {
    const msg = (data && (data.detail || data.title)) || `HTTP ${resp.status}`;
    throw new ApiError(resp.status, msg, data);
  }
  return data;
}

/** A query string from an object, skipping null/undefined/''/false; arrays are comma-joined. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v)) { if (v.length) u.set(k, v.join(',')); } else u.set(k, String(v));
  }
  return u.toString();
}

/** Features of a GeoJSON FeatureCollection, or of a list of records with lon/lat or location. */
export function toFeatures(data) {
  if (!data) return [];
  if (data.type === 'FeatureCollection') return data.features || [];
  const list = Array.isArray(data) ? data : (data.items || data.suggestions || data.features || []);
  return list.map((r) => {
    if (r.type === 'Feature') return r;
    const loc = r.location || r.position || {};
    const lon = Array.isArray(loc) ? loc[0] : (loc.lon ?? r.lon ?? r.long);
    const lat = Array.isArray(loc) ? loc[1] : (loc.lat ?? r.lat);
    return { type: 'Feature', id: r.id, properties: r, geometry: { type: 'Point', coordinates: [Number(lon), Number(lat)] } };
  }).filter((f) => f.geometry && Number.isFinite(f.geometry.coordinates[0]));
}

/**
 * This device's random token (32 hex digits, kept in localStorage): one "me too" per
 * device, so riders sharing a carrier gateway each count. Not a secret and not personal.
 */
export function deviceToken() {
  const KEY = 'nuanxin.device';
  let v = null;
  try { v = localStorage.getItem(KEY); } catch { /* storage off */ }
  if (!v || !/^[0-9a-f]{32}$/.test(v)) {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    v = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    try { localStorage.setItem(KEY, v); } catch { /* storage off: a new token per page */ }
  }
  return v;
}

/** Whether `e` (from api() or fetch) means no connection, not an answer from the server. */
export function isNetworkError(e) {
  return e instanceof ApiError ? e.status === 0 : e?.name === 'TypeError';
}
