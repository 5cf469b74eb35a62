// Planner view: service circles (GET /api/v1/service-areas), gap polygons, per-district
// coverage table and proposed sites (POST /api/v1/coverage), export as GeoJSON / CSV.

import { api, qs, toFeatures } from './api.js';
import { label, t, VOCAB } from './i18n.js';
import { clear, download, el, showError } from './ui.js';

let ctx;
let last = null; // { circles, gaps, proposals, districts, summary, params }
const LAYERS = ['pl-circle-fill', 'pl-circle-line', 'pl-gap-fill', 'pl-gap-line', 'pl-proposal', 'pl-proposal-label'];

export function init(c) {
  ctx = c;
  const kinds = document.getElementById('pl-kinds');
  for (const k of Object.keys(VOCAB.kind)) {
    kinds.append(el('label', { class: 'chip' },
      el('input', { type: 'checkbox', name: 'kinds', value: k, checked: k === 'station' }),
      el('span', { dataset: { kindLabel: k } }, label('kind', k))));
  }
  document.getElementById('planner-form').addEventListener('submit', (e) => { e.preventDefault(); run(); });
  loadAreas();
}

async function loadAreas() {
  const sel = document.getElementById('pl-area');
  let feats = [];
  try { feats = toFeatures(await api('/data/district-labels.geojson')); } catch { /* keep empty */ }
  const rows = feats.map((f) => f.properties).filter((p) => p.adcode === '430100' || p.parent_adcode === '430100' || p.level === 'city');
  rows.sort((a, b) => (a.adcode === '430100' ? -1 : b.adcode === '430100' ? 1 : a.adcode.localeCompare(b.adcode)));
  clear(sel);
  for (const p of rows) {
    sel.append(el('option', { value: p.adcode }, `${p.level === 'county' ? '　' : ''}${p.name}（${p.adcode}）`));
  }
}

export function relabel() {
  for (const s of document.querySelectorAll('[data-kind-label]')) s.textContent = label('kind', s.dataset.kindLabel);
  if (last) renderOut();
  if (ctx.view === 'planner') legend();
}

function legend() {
  ctx.legend([['rgba(47,158,68,0.45)', t('legend_circles')], ['rgba(224,49,49,0.55)', t('legend_gaps')], ['#7048e8', t('legend_proposals'), 'diamond']]);
}

export function show() {
  legend();
  ctx.mapReady.then(() => setVisible(true));
}
export function hide() { setVisible(false); }

function setVisible(on) {
  for (const id of LAYERS) if (ctx.map.getLayer(id)) ctx.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
}

export function mapReady() {
  const map = ctx.map;
  const empty = { type: 'FeatureCollection', features: [] };
  for (const s of ['pl-circles', 'pl-gaps', 'pl-proposals']) map.addSource(s, { type: 'geojson', data: empty });
  const before = map.getLayer('district-label') ? 'district-label' : undefined;
  map.addLayer({ id: 'pl-circle-fill', type: 'fill', source: 'pl-circles', paint: { 'fill-color': '#2f9e44', 'fill-opacity': 0.14 } }, before);
  map.addLayer({ id: 'pl-circle-line', type: 'line', source: 'pl-circles', paint: { 'line-color': '#237032', 'line-width': 0.8, 'line-opacity': 0.6 } }, before);
  map.addLayer({ id: 'pl-gap-fill', type: 'fill', source: 'pl-gaps', paint: { 'fill-color': '#e03131', 'fill-opacity': 0.35 } }, before);
  map.addLayer({ id: 'pl-gap-line', type: 'line', source: 'pl-gaps', paint: { 'line-color': '#c92a2a', 'line-width': 0.8 } }, before);
  map.addLayer({ id: 'pl-proposal', type: 'symbol', source: 'pl-proposals', layout: { 'icon-image': 'proposal', 'icon-allow-overlap': true, 'icon-ignore-placement': true } });
  map.addLayer({
    id: 'pl-proposal-label', type: 'symbol', source: 'pl-proposals',
    layout: { 'text-field': ['to-string', ['get', 'rank']], 'text-font': ['Noto Sans CJK SC Bold', 'sans-serif'], 'text-size': 12, 'text-allow-overlap': true, 'text-ignore-placement': true },
    paint: { 'text-color': '#fff' },
  });
  setVisible(ctx.view === 'planner');
}

function params() {
  const kinds = [...document.querySelectorAll('#pl-kinds input:checked')].map((i) => i.value);
  return {
    adcode: document.getElementById('pl-area').value || '430100',
    kinds: kinds.length ? kinds : ['station'],
    mode: document.getElementById('pl-mode').value,
    minutes: Number(document.getElementById('pl-minutes').value),
    k: Math.max(0, Math.min(20, Number(document.getElementById('pl-k').value) || 0)),
  };
}

/** Normalises the coverage answer into { summary, districts, gaps, proposals }. */
function normalise(r) {
  const s = r.summary || r;
  const area = s.area_km2 ?? s.total_km2;
  const cov = s.covered_km2;
  const pctOf = (o) => (Number.isFinite(o.covered_percent) ? o.covered_percent / 100 : null);
  const share = pctOf(s) ?? s.covered_share ?? (area ? cov / area : null);
  const districts = (r.districts || r.per_district || r.table || []).map((d) => ({
    adcode: d.adcode, name: d.name ?? d.district_name ?? '',
    area_km2: d.area_km2 ?? d.total_km2, covered_km2: d.covered_km2,
    share: pctOf(d) ?? d.covered_share ?? (d.area_km2 ? d.covered_km2 / d.area_km2 : null),
  }));
  const gaps = r.gaps?.type === 'FeatureCollection' ? r.gaps : { type: 'FeatureCollection', features: toFeatures(r.gaps || []) };
  const props = r.proposals?.type === 'FeatureCollection' ? r.proposals.features : toFeatures(r.proposals || []);
  const proposals = props.map((f, i) => ({ ...f, properties: { ...f.properties, rank: f.properties.rank ?? i + 1 } }));
  return { summary: { area_km2: area, covered_km2: cov, share }, districts, gaps, proposals };
}

async function run() {
  const out = document.getElementById('planner-out');
  const p = params();
  const btn = document.getElementById('pl-run');
  btn.disabled = true;
  clear(out).append(el('p', { class: 'muted' }, t('loading')));
  try {
    const circlesP = Promise.all(p.kinds.map((kind) => api(`/api/v1/service-areas?${qs({ kind, mode: p.mode, minutes: p.minutes })}`)))
      .then((rs) => rs.flatMap(toFeatures));
    const covP = api('/api/v1/coverage', {
      method: 'POST',
      json: { area: { adcode: p.adcode }, kinds: p.kinds, mode: p.mode, minutes: p.minutes, propose: p.k },
    });
    const [circles, cov] = await Promise.all([circlesP, covP]);
    last = { circles, ...normalise(cov), params: p };
  } catch (e) {
    btn.disabled = false;
    showError(out, t('api_error', { msg: e.message }));
    return;
  }
  btn.disabled = false;
  const map = ctx.map;
  map.getSource('pl-circles')?.setData({ type: 'FeatureCollection', features: last.circles });
  map.getSource('pl-gaps')?.setData(last.gaps);
  map.getSource('pl-proposals')?.setData({ type: 'FeatureCollection', features: last.proposals });
  document.body.dataset.plannerDrawn = '1';
  fitToArea(p.adcode);
  renderOut();
  // Bring the results to the top of the panel (the panel is the scroll container).
  const panel = document.getElementById('panel');
  const summary = document.getElementById('pl-summary');
  if (summary) panel.scrollTop = summary.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop - 8;
}

async function fitToArea(adcode) {
  const src = ctx.map.getSource('districts');
  const data = src && (await src.getData?.());
  const f = data?.features?.find((x) => x.properties.adcode === adcode);
  if (!f) return;
  const b = new maplibregl.LngLatBounds();
  for (const poly of f.geometry.coordinates) for (const c of poly[0]) b.extend(c);
  ctx.map.fitBounds(b, { padding: 30, duration: 600 });
}

const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const km2 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

function renderOut() {
  const out = clear(document.getElementById('planner-out'));
  const { summary, districts, proposals } = last;
  out.append(
    el('p', { class: 'summary', id: 'pl-summary' }, t('coverage_summary', { pct: pct(summary.share), cov: km2(summary.covered_km2), area: km2(summary.area_km2) })),
    el('div', { class: 'meter', role: 'img', 'aria-label': pct(summary.share) }, el('span', { style: `width:${Math.round((summary.share || 0) * 100)}%` })),
  );
  if (districts.length) {
    out.append(el('div', { class: 'table-wrap' }, el('table', { class: 'tbl', id: 'pl-table' },
      el('thead', {}, el('tr', {}, [t('district'), t('area_km2'), t('covered_km2'), t('share')].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, districts.map((d) => el('tr', {},
        el('th', { scope: 'row' }, d.name || d.adcode), el('td', {}, km2(d.area_km2)), el('td', {}, km2(d.covered_km2)),
        el('td', {}, el('span', { class: 'bar', style: `--w:${Math.round((d.share || 0) * 100)}%` }, pct(d.share)))))))));
  }
  if (proposals.length) {
    out.append(el('h2', { class: 'h2' }, t('proposals')), el('ol', { class: 'plain proposals' }, proposals.map((f, i) => {
      const g = f.properties.added_km2 ?? f.properties.gain_km2;
      const [lon, lat] = f.geometry.coordinates;
      return el('li', {}, el('button', {
        type: 'button', class: 'link', onclick: () => ctx.map.easeTo({ center: [lon, lat], zoom: 13 }),
      }, Number.isFinite(g) ? t('proposal_gain', { i: i + 1, km2: g.toFixed(2) }) : `#${i + 1}`), ` ${lon.toFixed(5)}, ${lat.toFixed(5)} (WGS-84 lon, lat)`);
    })));
  }
  out.append(el('div', { class: 'row' },
    el('button', { type: 'button', class: 'btn', id: 'pl-export-geojson', onclick: exportGeoJSON }, t('export_geojson')),
    el('button', { type: 'button', class: 'btn', id: 'pl-export-csv', onclick: exportCSV }, t('export_csv'))));
}

function exportGeoJSON() {
  const p = last.params;
  const features = [
    ...last.gaps.features.map((f) => ({ ...f, properties: { ...f.properties, layer: 'gap' } })),
    ...last.proposals.map((f) => ({ ...f, properties: { ...f.properties, layer: 'proposal' } })),
  ];
  download(`coverage-${p.adcode}-${p.mode}-${p.minutes}min.geojson`, JSON.stringify({ type: 'FeatureCollection', features }), 'application/geo+json');
}

/** RFC 4180 CSV with a UTF-8 BOM (so Excel shows the Chinese names). */
function exportCSV() {
  const p = last.params;
  const cell = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    // Cells starting with = + - @ are prefixed so spreadsheets do not run them as formulas.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const rows = [['adcode', 'name', 'area_km2', 'covered_km2', 'covered_share', 'mode', 'minutes', 'kinds']];
  for (const d of last.districts) rows.push([d.adcode, d.name, d.area_km2, d.covered_km2, d.share, p.mode, p.minutes, p.kinds.join(' ')]);
  download(`coverage-${p.adcode}-${p.mode}-${p.minutes}min.csv`, `\ufeff${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`, 'text/csv;charset=utf-8');
}
