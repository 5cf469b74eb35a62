// Service points from vector tiles (run by scripts/test.d/42-layer-tiles.sh against a server
// holding 50,000 generated points): the map asks for /tiles/points/….mvt instead of GeoJSON,
// renders cluster bubbles at low zoom and points up close, and a tap on a rendered point opens
// its station card. Not a `*.test.mjs` file: it needs that server, not the one of e2e.sh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, settle } from './browser.mjs';

const BASE = process.env.NUANXIN_URL;
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
// Central Changsha, one of the generator's cities (112.94, 28.23).
const CHANGSHA = [112.94, 28.23];

const config = await (await fetch(`${BASE}/config.json`)).json();
const stations = config.layers?.points?.by_kind?.station;
assert.ok(stations > config.tiles_above, `stations ${stations} above tiles_above ${config.tiles_above}`);
assert.equal(config.layers.points.features, 50000);

const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize(PHONE);
  const problems = [];
  const tileRequests = [];
  const geojsonRequests = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    if (r.url().includes('/tiles/points/')) tileRequests.push(r.url());
    if (r.url().includes('/api/v1/points?')) geojsonRequests.push(r.url());
  });
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    problems.push(`external request: ${u}`);
    return route.abort();
  });
  // Generous timeouts: CI machines are shared.
  await page.goto(`${BASE}/`, { timeout: 120000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  const rendered = (layers) => page.evaluate((l) => window.nuanxin.map.queryRenderedFeatures({ layers: l })
    .map((f) => ({ id: f.properties.id, count: f.properties.count, at: f.geometry.coordinates })), layers);
  const waitRendered = (layers) => page.waitForFunction((l) => l.every((x) => window.nuanxin.map.getLayer(x))
    && window.nuanxin.map.queryRenderedFeatures({ layers: l }).length > 0, layers, { timeout: 90000 });

  // Low zoom: thinned tiles, bubbles standing for many stations.
  await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 10 }), CHANGSHA);
  await waitRendered(['pt-tile-cluster']);
  await settle(page);
  const bubbles = await rendered(['pt-tile-cluster']);
  assert.ok(bubbles.length > 0 && bubbles.every((b) => b.count > 1), JSON.stringify(bubbles.slice(0, 3)));
  assert.ok(tileRequests.some((u) => /\/tiles\/points\/10\/\d+\/\d+\.mvt\?kind=station$/.test(u)), tileRequests.join('\n'));
  assert.deepEqual(geojsonRequests, [], 'no GeoJSON point requests while tiles are used');
  await page.screenshot({ path: path.join(ARTIFACTS, 'layer-tiles-z10-phone.png') });

  // Closer (z13, above the thinning zooms): single stations; a tap on one opens its card.
  await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 13 }), CHANGSHA);
  await waitRendered(['pt-tile-icon']);
  await settle(page);
  const singles = await rendered(['pt-tile-icon']);
  assert.ok(singles.length > 0);
  // Centre the map on one of them (away from the banners and buttons over the map's edges).
  const pick = singles[0];
  await page.evaluate((ll) => window.nuanxin.map.jumpTo({ center: ll }), pick.at);
  await settle(page);
  const px = await page.evaluate((ll) => { const p = window.nuanxin.map.project(ll); return [p.x, p.y]; }, pick.at);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + px[0], box.y + px[1]);
  await page.waitForSelector('#station-card:not([hidden])', { timeout: 60000 })
    .catch((e) => { throw new Error(`no card after tapping ${pick.id} at ${px}: ${problems.join('\n')}\n${e.message}`); });
  const point = await (await fetch(`${BASE}/api/v1/points/${encodeURIComponent(pick.id)}`)).json();
  const card = await page.locator('#station-card').innerText();
  assert.ok(card.includes(point.properties.name), `card shows ${point.properties.name}: ${card}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'layer-tiles-card-phone.png') });
  assert.deepEqual(problems, []);
  console.log(`layer tiles: ${tileRequests.length} tile requests, ${bubbles.length} bubbles at z10, `
    + `${singles.length} stations at z13, card of ${pick.id} opened`);
} finally {
  await browser.close();
}
