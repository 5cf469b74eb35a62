// Suggestions from vector tiles in the browser (issue 18; run by scripts/test.d/42-layer-tiles.sh
// against its server, started with a low `tiles_above` so that a few suggestions are "many"):
// the suggestion view draws the layer from /tiles/suggestions/….mvt, not from the list API;
// the dots it renders (queryRenderedFeatures on `sg-dot`) are the suggestions filed here, at
// their positions, with a `count` above 1 for a thinned cell at low zoom; every request stays on
// this machine. Not a `*.test.mjs` file: it needs that server, not the one of e2e.sh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, settle } from './browser.mjs';

const BASE = process.env.NUANXIN_URL;
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
/** Around 五一广场, WGS-84: a 4 × 3 grid 300 m apart, and two 10 m apart (one cell at z10). */
const ORIGIN = [112.970, 28.195];

const before = await (await fetch(`${BASE}/config.json`)).json();
const above = before.tiles_above;
const filed = [];
const want = Math.max(0, above + 1 - before.layers.suggestions.features);
const spots = [];
for (let i = 0; spots.length < Math.max(want, 12); i += 1) {
  spots.push([ORIGIN[0] + (i % 4) * 0.003, ORIGIN[1] + Math.floor(i / 4) * 0.0027]);
}
spots.push([ORIGIN[0] + 0.0001, ORIGIN[1]]);
for (const at of spots) {
  const r = await fetch(`${BASE}/api/v1/suggestions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ location: at, category: 'rest', description: `瓦片测试 ${filed.length}: 这里没有歇脚的地方` }),
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  const body = JSON.parse(text);
  filed.push({ id: String(body.id ?? body.properties?.id), at });
}
const config = await (await fetch(`${BASE}/config.json`)).json();
assert.ok(config.layers.suggestions.features > config.tiles_above,
  `suggestions ${config.layers.suggestions.features} above tiles_above ${config.tiles_above}`);

const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize(PHONE);
  const problems = [];
  const tileRequests = [];
  const listRequests = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    if (r.url().includes('/tiles/suggestions/')) tileRequests.push(r.url());
    if (/\/api\/v1\/suggestions(\?|$)/.test(r.url()) && r.request().method() === 'GET') listRequests.push(r.url());
  });
  // Nothing may leave the machine: every request is to our server (or data:/blob:).
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    problems.push(`external request: ${u}`);
    return route.abort();
  });
  await page.goto(`${BASE}/#suggest`, { timeout: 120000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  const source = await page.evaluate(() => window.nuanxin.map.getSource('suggestions')?.type);
  assert.equal(source, 'vector', 'the suggestion layer comes from tiles');
  const rendered = () => page.evaluate(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['sg-dot'] })
    .map((f) => ({ id: String(f.properties.id), count: f.properties.count, at: f.geometry.coordinates })));
  const waitRendered = () => page.waitForFunction(() => window.nuanxin.map.getLayer('sg-dot')
    && window.nuanxin.map.queryRenderedFeatures({ layers: ['sg-dot'] }).length > 0, null, { timeout: 90000 });

  // Up close (z15, every suggestion its own feature): the dots are the ones filed, where filed.
  await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 15 }), [ORIGIN[0] + 0.0045, ORIGIN[1] + 0.0027]);
  await waitRendered();
  await settle(page);
  const close = await rendered();
  const mine = new Map(filed.map((f) => [f.id, f.at]));
  const seenMine = close.filter((f) => mine.has(f.id));
  assert.ok(seenMine.length >= 6, `${seenMine.length} of the filed suggestions rendered: ${JSON.stringify(close.slice(0, 5))}`);
  for (const f of seenMine) {
    const at = mine.get(f.id);
    // Within a tile unit at z15 (4096 units per 1.2 km tile: 0.3 m), say 1e-5°.
    assert.ok(Math.abs(f.at[0] - at[0]) < 1e-5 && Math.abs(f.at[1] - at[1]) < 1e-5, `${f.id} at ${f.at}, filed at ${at}`);
    assert.equal(f.count, 1);
  }
  assert.ok(tileRequests.some((u) => /\/tiles\/suggestions\/15\/\d+\/\d+\.mvt$/.test(u)), tileRequests.join('\n'));
  await page.screenshot({ path: path.join(ARTIFACTS, 'suggestion-tiles-z15-phone.png') });

  // Low zoom (z10, thinned): the two filed 10 m apart share a cell, one dot with count ≥ 2.
  await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 10 }), ORIGIN);
  await page.waitForFunction(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['sg-dot'] }).some((f) => f.properties.count > 1), null, { timeout: 90000 });
  const far = await rendered();
  assert.ok(far.some((f) => f.count >= 2), JSON.stringify(far.slice(0, 5)));
  assert.ok(tileRequests.some((u) => /\/tiles\/suggestions\/10\/\d+\/\d+\.mvt$/.test(u)), tileRequests.join('\n'));
  assert.deepEqual(listRequests, [], 'no list API requests while tiles are used');
  assert.deepEqual(problems, []);
  console.log(`suggestion tiles: ${filed.length} filed (tiles_above ${config.tiles_above}), ${tileRequests.length} tile requests, `
    + `${seenMine.length} of them rendered at z15, ${far.length} dots at z10`);
} finally {
  await browser.close();
}
