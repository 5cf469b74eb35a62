// @ts-check
// Planner view: service circles (GET /api/v1/service-areas), gap polygons, per-district
// coverage table and proposed sites (POST /api/v1/coverage), export as GeoJSON / CSV.
// Demand: a layer (建筑量 builtup / 取餐点 pickups, GET /api/v1/demand/{layer} as a heat map
// with the extent of its data) or an uploaded file; the share of demand covered comes first.
// Day and night side by side (POST /api/v1/coverage/day-night); what-if siting: proposals are
// draggable markers and new sites can be dropped (POST /api/v1/whatif[/{session}]).
// Distance model: 直线 (straight-line circles) or 沿道路 (network service areas and network
// coverage, `model: "network"`), the latter only when the server has a road graph (config
// `roads`; otherwise the choice is disabled and says why). The area is a district or the
// current map view (a bbox).

import { api, qs, toFeatures } from './api.js';
import { codes, label, t } from './i18n.js';
import { apiErrorText, clear, download, el, showError } from './ui.js';
import { districtSourceId } from './basemap.js';
import * as kpi from './kpi.js';

/**
 * The body of a successful `M P` (P a path of the OpenAPI document, `types/api.d.ts`).
 * @template {keyof import('./types/openapi').paths} P
 * @template {'get' | 'post'} [M='get']
 * @typedef {import('./types/api').Reply<P, M>} Reply
 */

let ctx;
let last = null; // { circles, gaps, proposals, districts, summary, params, report, dayNight, whatif }
const LAYERS = ['pl-demand-heat', 'pl-demand-extent', 'pl-circle-fill', 'pl-circle-line', 'pl-gap-fill', 'pl-gap-line', 'pl-proposal', 'pl-proposal-label'];
let markers = []; // draggable proposal / dropped-site markers
let dropped = 0;
const demandCache = {};

export function init(c) {
  ctx = c;
  const kinds = document.getElementById('pl-kinds');
  for (const k of codes('kind')) {
    kinds.append(el('label', { class: 'chip' },
      el('input', { type: 'checkbox', name: 'kinds', value: k, checked: k === 'station' }),
      el('span', { dataset: { kindLabel: k } }, label('kind', k))));
  }
  document.getElementById('planner-form').addEventListener('submit', (e) => { e.preventDefault(); run(); });
  const demandSel = /** @type {HTMLSelectElement} */ (document.getElementById('pl-demand'));
  demandSel.addEventListener('change', () => {
    document.getElementById('pl-demand-file-label').hidden = demandSel.value !== 'upload';
    if (ctx.view === 'planner') showDemand(demandSel.value);
  });
  loadAreas();
  kpi.mount(document.getElementById('kpi-box'), document.getElementById('pl-area'));
  // 沿道路 needs the server's road graph.
  const roads = Boolean(ctx.config.roads);
  const net = /** @type {HTMLInputElement} */ (document.getElementById('pl-model-network'));
  net.disabled = !roads;
  if (roads) net.checked = true;
  document.getElementById('pl-model-note').hidden = roads;
}

/** Shows the demand layer `name` (builtup | pickups) as a heat map with its data extent. */
async function showDemand(name) {
  const map = ctx.map;
  const empty = { type: 'FeatureCollection', features: [] };
  if (name !== 'builtup' && name !== 'pickups') {
    map.getSource('pl-demand')?.setData(empty);
    map.getSource('pl-demand-extent')?.setData(empty);
    return;
  }
  try {
    demandCache[name] ||= /** @type {Reply<'/api/v1/demand/{layer}'>} */ (await api(`/api/v1/demand/${name}?resolution=8`));
  } catch { return; }
  const d = demandCache[name];
  map.getSource('pl-demand')?.setData(d);
  map.getSource('pl-demand-extent')?.setData({ type: 'Feature', properties: {}, geometry: d.extent });
  document.body.dataset.plannerDemand = name;
}

async function loadAreas() {
  const sel = /** @type {HTMLSelectElement} */ (document.getElementById('pl-area'));
  let feats = [];
  try { feats = toFeatures(await api('/data/district-labels.geojson')); } catch { /* keep empty */ }
  const rows = feats.map((f) => f.properties).filter((p) => p.adcode === '430100' || p.parent_adcode === '430100' || p.level === 'city');
  rows.sort((a, b) => (a.adcode === '430100' ? -1 : b.adcode === '430100' ? 1 : a.adcode.localeCompare(b.adcode)));
  clear(sel);
  for (const p of rows) {
    sel.append(el('option', { value: p.adcode }, `${p.level === 'county' ? '　' : ''}${p.name}（${p.adcode}）`));
  }
  sel.append(el('option', { value: 'view', dataset: { i18n: 'area_view' } }, t('area_view')));
}

export function relabel() {
  for (const s of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-kind-label]'))) s.textContent = label('kind', s.dataset.kindLabel);
  if (last) renderOut();
  kpi.mount(document.getElementById('kpi-box'), document.getElementById('pl-area'));
  if (ctx.view === 'planner') legend();
}

function legend() {
  ctx.legend([['rgba(240,140,0,0.6)', t('legend_demand')], ['rgba(47,158,68,0.45)', t('legend_circles')], ['rgba(224,49,49,0.55)', t('legend_gaps')], ['#7048e8', t('legend_proposals'), 'diamond']]);
}

export function show() {
  legend();
  ctx.mapReady.then(() => { setVisible(true); showDemand(/** @type {HTMLSelectElement} */ (document.getElementById('pl-demand')).value); });
}
export function hide() { setVisible(false); }

function setVisible(on) {
  for (const id of LAYERS) if (ctx.map.getLayer(id)) ctx.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  for (const m of markers) m.getElement().style.display = on ? '' : 'none';
}

export function mapReady() {
  const map = ctx.map;
  const empty = { type: 'FeatureCollection', features: [] };
  for (const s of ['pl-circles', 'pl-gaps', 'pl-proposals', 'pl-demand-extent']) map.addSource(s, { type: 'geojson', data: empty });
  // Demand layers carry their licence: GHSL (CC BY 4.0) and OpenStreetMap (ODbL).
  map.addSource('pl-demand', { type: 'geojson', data: empty, attribution: 'GHS-BUILT-V © EC JRC (CC BY 4.0) · © OpenStreetMap contributors (ODbL)' });
  const before = map.getLayer('district-label') ? 'district-label' : undefined;
  map.addLayer({
    id: 'pl-demand-heat', type: 'heatmap', source: 'pl-demand',
    paint: {
      'heatmap-weight': ['get', 'share'],
      'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 8, 1, 14, 3],
      'heatmap-radius': ['interpolate', ['exponential', 2], ['zoom'], 8, 6, 14, 60],
      'heatmap-opacity': 0.55,
      'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], 0, 'rgba(255,255,255,0)', 0.2, '#ffe8cc', 0.5, '#ffa94d', 0.8, '#f08c00', 1, '#d9480f'],
    },
  }, before);
  map.addLayer({ id: 'pl-demand-extent', type: 'line', source: 'pl-demand-extent', paint: { 'line-color': '#d9480f', 'line-width': 1.5, 'line-dasharray': [3, 2] } }, before);
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
  map.on('moveend', onMoveEnd);
  setVisible(ctx.view === 'planner');
}

function params() {
  const kinds = [.../** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('#pl-kinds input:checked'))].map((i) => i.value);
  return {
    adcode: /** @type {HTMLSelectElement} */ (document.getElementById('pl-area')).value || '430100',
    model: /** @type {HTMLInputElement | null} */ (document.querySelector('#pl-model-set input[name="model"]:checked'))?.value || 'straight_line',
    kinds: kinds.length ? kinds : ['station'],
    mode: /** @type {HTMLSelectElement} */ (document.getElementById('pl-mode')).value,
    minutes: Number(/** @type {HTMLSelectElement} */ (document.getElementById('pl-minutes')).value),
    k: Math.max(0, Math.min(20, Number(/** @type {HTMLInputElement} */ (document.getElementById('pl-k')).value) || 0)),
    demand: /** @type {HTMLSelectElement} */ (document.getElementById('pl-demand')).value,
    at: /** @type {HTMLSelectElement} */ (document.getElementById('pl-at')).value,
  };
}

/** Today in Beijing time as YYYY-MM-DD. */
function beijingToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}

/** A demand file (GeoJSON points, or CSV 经度,纬度[,权重]) as a FeatureCollection. */
async function readDemandFile() {
  const f = /** @type {HTMLInputElement} */ (document.getElementById('pl-demand-file')).files[0];
  if (!f) throw new Error(t('demand_file'));
  const text = (await f.text()).replace(/^\ufeff/, '');
  if (/^\s*\{/.test(text)) return JSON.parse(text);
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const head = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const col = (names) => head.findIndex((h) => names.includes(h));
  const [lo, la, w] = [col(['经度', 'lon', 'lng', 'longitude']), col(['纬度', 'lat', 'latitude']), col(['权重', 'weight'])];
  if (lo < 0 || la < 0) throw new Error(t('demand_file'));
  const features = lines.slice(1).map((l) => {
    const c = l.split(',');
    return { type: 'Feature', geometry: { type: 'Point', coordinates: [Number(c[lo]), Number(c[la])] }, properties: { weight: w >= 0 ? Number(c[w]) : 1 } };
  });
  return { type: 'FeatureCollection', features };
}

/** The coverage request body for the current form. */
async function requestBody(p) {
  const area = p.adcode === 'view' ? { bbox: viewBbox() } : { adcode: p.adcode };
  const body = { area, kinds: p.kinds, mode: p.mode, minutes: p.minutes, model: p.model };
  if (p.demand === 'builtup' || p.demand === 'pickups') body.demand = p.demand;
  else if (p.demand === 'upload') body.demand = await readDemandFile();
  if (p.at) body.at = `${beijingToday()}T${p.at}+08:00`;
  return body;
}

/** The map's current view as [west, south, east, north], WGS-84 degrees. */
function viewBbox() {
  const b = ctx.map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => Number(v.toFixed(5)));
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
    demand_share: Number.isFinite(d.demand_covered_percent) ? d.demand_covered_percent / 100 : null,
    data_share: Number.isFinite(d.demand_data_percent) ? d.demand_data_percent / 100 : null,
  }));
  const gaps = r.gaps?.type === 'FeatureCollection' ? r.gaps : { type: 'FeatureCollection', features: toFeatures(r.gaps || []) };
  const props = r.proposals?.type === 'FeatureCollection' ? r.proposals.features : toFeatures(r.proposals || []);
  const proposals = props.map((f, i) => ({ ...f, properties: { ...f.properties, rank: f.properties.rank ?? i + 1 } }));
  const demandShare = Number.isFinite(s.demand_covered_percent) ? s.demand_covered_percent / 100 : null;
  const dataShare = Number.isFinite(s.demand_data_percent) ? s.demand_data_percent / 100 : null;
  return { summary: { area_km2: area, covered_km2: cov, share, demand_share: demandShare, data_share: dataShare }, districts, gaps, proposals };
}

async function run() {
  const out = document.getElementById('planner-out');
  const p = params();
  const btn = /** @type {HTMLButtonElement} */ (document.getElementById('pl-run'));
  btn.disabled = true;
  clear(out).append(el('p', { class: 'muted' }, t('loading')));
  try {
    const body = await requestBody(p);
    const covP = /** @type {Promise<Reply<'/api/v1/coverage', 'post'>>} */ (api('/api/v1/coverage', { method: 'POST', json: { ...body, propose: p.k } }));
    const { at: _at, ...untimed } = body;
    // At most two analyses at once (the server's per-client share, `analyses.per_client`):
    // day and night after the coverage.
    const dnP = covP.then(() => /** @type {Promise<Reply<'/api/v1/coverage/day-night', 'post'>>} */ (api('/api/v1/coverage/day-night', { method: 'POST', json: { ...untimed, gaps: false } }))).catch(() => null);
    const [cov, dayNight] = await Promise.all([covP, dnP]);
    last = { circles: [], circlesNote: null, circlesBbox: '', ...normalise(cov), params: p, body, report: cov, dayNight };
  } catch (e) {
    btn.disabled = false;
    showError(out, apiErrorText(e));
    return;
  }
  btn.disabled = false;
  const map = ctx.map;
  map.getSource('pl-circles')?.setData({ type: 'FeatureCollection', features: [] });
  map.getSource('pl-gaps')?.setData(last.gaps);
  map.getSource('pl-proposals')?.setData({ type: 'FeatureCollection', features: last.proposals });
  if (p.adcode !== 'view') await fitToArea(p.adcode);
  renderOut();
  startWhatIf();
  // Bring the results to the top of the panel (the panel is the scroll container).
  const panel = document.getElementById('panel');
  const summary = document.getElementById('pl-summary');
  if (summary) panel.scrollTop = summary.getBoundingClientRect().top - panel.getBoundingClientRect().top + panel.scrollTop - 8;
  // The service areas of the view, and of any later view asked for meanwhile (the camera may
  // still have been moving).
  circlesLoad = loadCircles();
  let pending;
  do { pending = circlesLoad; await pending; } while (pending !== circlesLoad);
  document.body.dataset.plannerDrawn = '1';
}

let circlesSeq = 0;
let circlesTimer;
/** The latest service-areas load (resolves when it is drawn or refused). */
let circlesLoad = Promise.resolve();
/** Re-asks for the service areas of the view when the map stops moving (debounced, 400 ms). */
function onMoveEnd() {
  if (!last || ctx.view !== 'planner') return;
  clearTimeout(circlesTimer);
  circlesTimer = setTimeout(() => { circlesLoad = loadCircles(); }, 400);
}

/**
 * The service areas (GET /api/v1/service-areas) of the stations in the visible map view
 * (`bbox`), never of the whole data set: at a million points a request without a bbox is
 * refused (more than the server's cap of circles per response). A refusal for too many
 * (HTTP 400 naming `bbox` or `kind`) is a calm note to zoom in; any failure leaves the
 * coverage table, gaps and proposals as they are. Never throws.
 */
async function loadCircles() {
  const mine = last;
  if (!mine) return;
  const p = mine.params;
  const openAt = p.at ? { open_at: `${beijingToday()}T${p.at}` } : {};
  const area = { bbox: viewBbox().join(',') };
  if (mine.circlesBbox === area.bbox) return;
  mine.circlesBbox = area.bbox;
  const seq = ++circlesSeq;
  let circles = [];
  let note = null;
  try {
    const rs = await Promise.all(p.kinds.map((kind) => /** @type {Promise<Reply<'/api/v1/service-areas'>>} */ (api(`/api/v1/service-areas?${qs({ kind, mode: p.mode, minutes: p.minutes, model: p.model, ...area, ...openAt })}`))));
    circles = rs.flatMap(toFeatures);
  } catch (e) {
    const tooMany = e?.status === 400 && ['bbox', 'kind'].includes(e.problem?.param);
    note = tooMany ? { kind: 'too_many', text: t('circles_too_many') } : { kind: 'error', text: t('circles_failed', { msg: apiErrorText(e) }) };
  }
  if (seq !== circlesSeq || last !== mine) return;
  mine.circles = circles;
  mine.circlesNote = note;
  ctx.map.getSource('pl-circles')?.setData({ type: 'FeatureCollection', features: circles });
  showCirclesNote();
  document.body.dataset.plannerCircles = note ? note.kind : 'shown';
}

/** The note under the headline about the drawn service areas (none when they are drawn). */
function showCirclesNote() {
  const box = document.getElementById('pl-circles-note');
  if (!box) return;
  const note = last?.circlesNote;
  box.hidden = !note;
  box.textContent = note ? note.text : '';
  box.dataset.kind = note ? note.kind : '';
}

async function fitToArea(adcode) {
  const src = ctx.map.getSource(districtSourceId(ctx.map));
  const data = src && (await src.getData?.());
  // The boundary (the same source may hold the district name points: basemap.js OVERLAYS).
  const f = data?.features?.find((x) => x.properties.adcode === adcode && x.geometry?.type === 'MultiPolygon');
  if (!f) return;
  const b = new maplibregl.LngLatBounds();
  for (const poly of f.geometry.coordinates) for (const c of poly[0]) b.extend(c);
  // Resolves when the camera has arrived (or after 2 s), so the service areas are asked for the new view.
  const arrived = new Promise((r) => { ctx.map.once('moveend', r); setTimeout(r, 2000); });
  ctx.map.fitBounds(b, { padding: 30, duration: 600 });
  await arrived;
}

const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const km2 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

function renderOut() {
  const out = clear(document.getElementById('planner-out'));
  const { summary, districts, proposals, report } = last;
  const par = report?.parameters || {};
  const hasDemand = Number.isFinite(summary.demand_share);
  // A demand layer with no data anywhere in the area: its 0 % is not a share of anything.
  const noDemandData = hasDemand && Number.isFinite(summary.data_share) && summary.data_share <= 0;
  const demandName = par.demand === 'builtup' ? t('demand_builtup') : par.demand === 'pickups' ? t('demand_pickups') : t('demand');
  out.append(
    el('p', { class: 'summary', id: 'pl-summary' }, noDemandData
      ? t('demand_summary_no_data', { apct: pct(summary.share) })
      : hasDemand
        ? t('demand_summary', { pct: pct(summary.demand_share), apct: pct(summary.share) })
        : t('coverage_summary', { pct: pct(summary.share), cov: km2(summary.covered_km2), area: km2(summary.area_km2) })),
    el('p', { class: 'notice', id: 'pl-circles-note', hidden: true }),
    el('div', { class: 'meter', role: 'img', 'aria-label': pct(hasDemand && !noDemandData ? summary.demand_share : summary.share) }, el('span', { style: `width:${Math.round(((hasDemand && !noDemandData ? summary.demand_share : summary.share) || 0) * 100)}%` })),
    el('p', { class: 'muted', id: 'pl-meaning' }, hasDemand
      ? t('demand_meaning', { demand: demandName, minutes: last.params.minutes, mode: t(last.params.mode === 'walk' ? 'mode_walk' : 'mode_ebike') })
      : ''),
    el('p', { class: 'muted', id: 'pl-model' }, t('model_line', { model: t(par.model === 'network' ? 'model_network' : 'model_straight') })),
  );
  if (hasDemand && (summary.data_share ?? 1) < 0.9995) out.append(el('p', { class: 'muted', id: 'pl-no-data' }, t('demand_no_data', { demand: demandName })));
  if (par.demand_attribution) out.append(el('p', { class: 'muted small' }, par.demand_attribution));
  if (districts.length) {
    const heads = hasDemand ? [t('district'), t('demand_share'), t('data_share'), t('share'), t('area_km2')] : [t('district'), t('area_km2'), t('covered_km2'), t('share')];
    out.append(el('div', { class: 'table-wrap' }, el('table', { class: 'tbl', id: 'pl-table' },
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, districts.map((d) => el('tr', {}, hasDemand
        ? [el('th', { scope: 'row' }, d.name || d.adcode),
          el('td', {}, Number.isFinite(d.demand_share) ? el('span', { class: 'bar', style: `--w:${Math.round(d.demand_share * 100)}%` }, pct(d.demand_share)) : t('no_data')),
          el('td', {}, pct(d.data_share)), el('td', {}, pct(d.share)), el('td', {}, km2(d.area_km2))]
        : [el('th', { scope: 'row' }, d.name || d.adcode), el('td', {}, km2(d.area_km2)), el('td', {}, km2(d.covered_km2)),
          el('td', {}, el('span', { class: 'bar', style: `--w:${Math.round((d.share || 0) * 100)}%` }, pct(d.share)))]))))));
  }
  if (proposals.length) {
    out.append(el('h2', { class: 'h2' }, t('proposals')), el('ol', { class: 'plain proposals', id: 'pl-proposals' }, proposals.map((f, i) => {
      const g = f.properties.added_km2 ?? f.properties.gain_km2;
      const [lon, lat] = f.geometry.coordinates;
      return el('li', {}, el('button', {
        type: 'button', class: 'link', onclick: () => ctx.map.easeTo({ center: [lon, lat], zoom: 13 }),
      }, Number.isFinite(g) ? t('proposal_gain', { i: i + 1, km2: g.toFixed(2) }) : `#${i + 1}`),
        f.properties.network === false ? t('proposal_off_road') : '', ` ${lon.toFixed(5)}, ${lat.toFixed(5)} (WGS-84 lon, lat)`);
    })));
  }
  else {
    const why = last.params.k === 0 ? 'no_proposals_k0'
      : !last.gaps.features.length ? 'no_proposals_covered'
        : noDemandData ? 'no_proposals_no_demand' : 'no_proposals_none';
    out.append(el('p', { class: 'muted', id: 'pl-no-proposals', dataset: { why } }, t(why)));
  }
  out.append(el('p', { class: 'muted', id: 'pl-whatif-hint' }, t('whatif_hint')),
    el('div', { class: 'row' }, el('button', { type: 'button', class: 'btn', id: 'pl-drop', onclick: startDrop }, t('whatif_drop'))));
  const dn = last.dayNight;
  if (dn?.drops?.length) {
    out.append(el('h2', { class: 'h2' }, t('day_night')),
      el('p', { class: 'muted' }, t('night_hint')),
      el('div', { class: 'table-wrap' }, el('table', { class: 'tbl', id: 'pl-day-night' },
        el('thead', {}, el('tr', {}, [t('district'), t('day'), t('night'), t('drop')].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, dn.drops.map((d) => el('tr', {},
          el('th', { scope: 'row' }, d.name), el('td', {}, `${d.day_percent.toFixed(1)}%`), el('td', {}, `${d.night_percent.toFixed(1)}%`),
          el('td', {}, `${d.drop_points.toFixed(1)}`)))))));
  }
  out.append(el('div', { class: 'row' },
    el('button', { type: 'button', class: 'btn', id: 'pl-export-geojson', onclick: exportGeoJSON }, t('export_geojson')),
    el('button', { type: 'button', class: 'btn', id: 'pl-export-csv', onclick: exportCSV }, t('export_csv'))));
  if (proposals.length) {
    out.append(el('div', { class: 'row' },
      el('button', { type: 'button', class: 'btn', id: 'pl-export-sites-csv', onclick: () => exportSites('csv') }, t('export_sites_csv')),
      el('button', { type: 'button', class: 'btn', id: 'pl-export-sites-geojson', onclick: () => exportSites('geojson') }, t('export_sites_geojson'))));
  }
  showCirclesNote();
}

/** Downloads the proposals from the server (WGS-84 + GCJ-02, Beijing time, RFC 4180 CSV). */
async function exportSites(format) {
  const resp = await fetch(`/api/v1/coverage/proposals?format=${format}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...last.body, propose: last.params.k, gaps: false }),
  });
  const blob = await resp.blob();
  const p = last.params;
  download(`proposals-${p.adcode}-${p.mode}-${p.minutes}min.${format}`, blob, format === 'csv' ? 'text/csv;charset=utf-8' : 'application/geo+json');
}

// ---- what-if siting

function clearMarkers() {
  for (const m of markers) m.remove();
  markers = [];
}

function addMarker(id, label, lonLat) {
  const elm = el('div', { class: 'pl-site', title: id, dataset: { site: id } }, label);
  const m = new maplibregl.Marker({ element: elm, draggable: true }).setLngLat(lonLat).addTo(ctx.map);
  m.on('dragend', () => { const ll = m.getLngLat(); change({ op: 'move', id, location: [ll.lng, ll.lat] }); });
  markers.push(m);
}

/** Starts a what-if session for the analysis just drawn, with the proposals as sites. */
async function startWhatIf() {
  clearMarkers();
  const mine = last;
  try {
    const s = /** @type {Reply<'/api/v1/whatif', 'post'>} */ (await api('/api/v1/whatif', { method: 'POST', json: { ...mine.body, gaps: false } }));
    if (last !== mine) return;
    mine.whatif = s.session;
    for (const f of mine.proposals) {
      const id = `p${f.properties.rank}`;
      await api(`/api/v1/whatif/${s.session}`, { method: 'POST', json: { op: 'add', id, location: f.geometry.coordinates } });
      addMarker(id, String(f.properties.rank), f.geometry.coordinates);
    }
    ctx.map.getSource('pl-proposals')?.setData({ type: 'FeatureCollection', features: [] });
    setVisible(ctx.view === 'planner');
    document.body.dataset.plannerWhatif = '1';
  } catch { /* what-if is optional: the analysis stays */ }
}

function startDrop() {
  if (!last?.whatif) return;
  ctx.map.getCanvas().style.cursor = 'crosshair';
  const hint = document.getElementById('pl-whatif-hint');
  if (hint) hint.textContent = t('whatif_click');
  ctx.map.once('click', (e) => {
    ctx.map.getCanvas().style.cursor = '';
    dropped += 1;
    const id = `n${dropped}`;
    addMarker(id, '+', [e.lngLat.lng, e.lngLat.lat]);
    change({ op: 'add', id, location: [e.lngLat.lng, e.lngLat.lat] });
  });
}

/** Applies one what-if change and redraws the figures and the changed districts' gaps. */
async function change(body) {
  if (!last?.whatif) return;
  let r;
  try {
    r = /** @type {Reply<'/api/v1/whatif/{session}', 'post'>} */ (await api(`/api/v1/whatif/${last.whatif}`, { method: 'POST', json: body }));
  } catch (e) {
    showError(document.getElementById('planner-out'), apiErrorText(e));
    return;
  }
  const key = (p) => `${p.adcode ?? ''}|${p.name}`;
  // `gaps` is a plain object in the OpenAPI document: its GeoJSON shape is declared by hand.
  const gaps = /** @type {import('./types/api').DistrictGaps} */ (/** @type {unknown} */ (r.gaps));
  const changed = new Set(gaps.features.map((f) => key(f.properties)));
  last.gaps = { type: 'FeatureCollection', features: [...last.gaps.features.filter((f) => !changed.has(key(f.properties))), ...gaps.features.filter((f) => f.properties.cells > 0)] };
  ctx.map.getSource('pl-gaps')?.setData(last.gaps);
  for (const row of r.districts) {
    const d = last.districts.find((x) => key(x) === key(row));
    if (!d) continue;
    d.covered_km2 = row.covered_km2;
    d.share = row.covered_percent / 100;
    if (Number.isFinite(row.demand_covered_percent)) d.demand_share = row.demand_covered_percent / 100;
  }
  last.summary.share = r.covered_percent / 100;
  last.summary.covered_km2 = last.districts.reduce((a, d) => a + (d.covered_km2 || 0), 0);
  if (Number.isFinite(r.demand_covered_percent)) last.summary.demand_share = r.demand_covered_percent / 100;
  const panel = document.getElementById('panel');
  const top = panel.scrollTop;
  renderOut();
  panel.scrollTop = top;
  document.body.dataset.plannerWhatifMs = String(r.elapsed_ms);
  document.body.dataset.plannerChanges = String(Number(document.body.dataset.plannerChanges || 0) + 1);
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
