// @ts-check
// Planner: handling KPIs of the chosen area per district, category and month
// (GET /api/v1/stats/kpis), overdue counts highlighted, CSV export and the area's Atom feed.

import { api, qs } from './api.js';
import { label, t } from './i18n.js';
import { apiErrorText, clear, el, showError } from './ui.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

/** The KPI box under the planner's form; `areaSelect` gives the adcode. */
export function mount(box, areaSelect) {
  const out = el('div', { id: 'kpi-out' });
  const run = async () => {
    const adcode = areaSelect.value;
    // The current map view (planner area 'view') has no district figures.
    if (!/^\d{6}$/.test(adcode)) { clear(out); return; }
    clear(out).append(el('p', { class: 'muted' }, t('loading')));
    let r;
    try {
      r = /** @type {Reply<'/api/v1/stats/kpis'>} */ (await api(`/api/v1/stats/kpis?${qs({ adcode })}`));
    } catch (e) {
      showError(clear(out), apiErrorText(e));
      return;
    }
    render(out, r, adcode);
  };
  clear(box).append(
    el('h2', { class: 'h2' }, t('kpi_title')),
    el('p', { class: 'muted' }, t('kpi_intro')),
    el('button', { type: 'button', class: 'btn wide', id: 'kpi-run', onclick: run }, t('kpi_run')),
    out,
  );
}

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(0)}%`);
const hrs = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));

function render(out, r, adcode) {
  clear(out);
  const rows = r?.rows || [];
  const d = r?.deadlines || {};
  out.append(el('p', { class: 'muted' }, t('kpi_policy', { first: d.first_answer_working_days ?? 3, res: d.resolution_working_days ?? 30 })));
  if (!rows.length) {
    out.append(el('p', { class: 'muted' }, t('kpi_empty')));
  } else {
    const head = ['district', 'category', 'kpi_month', 'kpi_submitted', 'kpi_first', 'kpi_resolution', 'kpi_within', 'kpi_overdue'];
    out.append(el('div', { class: 'table-wrap' }, el('table', { class: 'kpi', id: 'kpi-table' },
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col' }, t(h))))),
      el('tbody', {}, rows.map((x) => el('tr', { class: x.overdue > 0 ? 'overdue' : '' },
        el('td', {}, x.district_name || x.adcode),
        el('td', {}, label('category', x.category)),
        el('td', {}, x.month),
        el('td', { class: 'num' }, String(x.submitted)),
        el('td', { class: 'num' }, hrs(x.median_hours_to_first_answer)),
        el('td', { class: 'num' }, hrs(x.median_hours_to_resolution)),
        el('td', { class: 'num' }, pct(x.answered_within_deadline_share)),
        el('td', { class: 'num' }, x.overdue > 0 ? el('strong', {}, String(x.overdue)) : '0')))))));
  }
  out.append(el('p', { class: 'row' },
    el('a', { class: 'btn', href: `/api/v1/stats/kpis?${qs({ adcode, format: 'csv' })}`, download: '', id: 'kpi-csv' }, t('kpi_csv')),
    el('a', { class: 'btn', href: `/api/v1/feeds/districts/${encodeURIComponent(adcode)}`, id: 'kpi-feed' }, t('feed_district'))));
}
