// Street basemap check (run by scripts/test.d/40-basemap-tiles.sh against a server started with
// `basemap_tiles` = an MBTiles archive built by tilemaker from the Helsinki test extract):
// roads render on the road layers, road names are placed along them, and no request leaves the machine.
// Not a `*.test.mjs` file: it needs that server, not the one of e2e.sh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE } from './browser.mjs';

const BASE = process.env.NUANXIN_URL;
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
// Central Helsinki (Esplanadi), inside the extract's bbox 24.9352–24.9534 E, 60.1642–60.1791 N.
const HELSINKI = [24.9475, 60.1680];

const config = await (await fetch(`${BASE}/config.json`)).json();
assert.ok(config.vector_tiles, 'config.json announces the archive');
assert.ok(config.vector_tiles.vector_layers.includes('transportation'), JSON.stringify(config.vector_tiles));
// A tile at z14 over the centre exists and is gzip-compressed MVT.
const n = 2 ** 14;
const x = Math.floor(((HELSINKI[0] + 180) / 360) * n);
const latR = (HELSINKI[1] * Math.PI) / 180;
const y = Math.floor(((1 - Math.log(Math.tan(latR) + 1 / Math.cos(latR)) / Math.PI) / 2) * n);
const tile = await fetch(`${BASE}/tiles/14/${x}/${y}.pbf`, { headers: { 'Accept-Encoding': 'identity' } });
assert.equal(tile.status, 200);
assert.equal(tile.headers.get('content-type'), 'application/vnd.mapbox-vector-tile');
assert.equal((await fetch(`${BASE}/tiles/99/0/0.pbf`)).status, 400);

const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize(PHONE);
  const external = [];
  const failed = [];
  page.on('pageerror', (e) => failed.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    external.push(u);
    return route.abort();
  });
  await page.goto(`${BASE}/`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 16 }), HELSINKI);
  const roadLayers = ['minor', 'tertiary', 'secondary', 'primary', 'service'].map((c) => `st-road-${c}`);
  await page.waitForFunction((layers) => window.nuanxin.map.queryRenderedFeatures({ layers }).length > 0,
    roadLayers, { timeout: 30000 });
  // Labels are placed after their glyphs load, later than the road lines: count only once the
  // map is idle (all tiles, glyphs and symbol placement done). Counting at the first road was a
  // race that found 0 names on one run in two.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const m = window.nuanxin.map;
    const t = setTimeout(() => reject(new Error('map not idle within 30 s')), 30000);
    m.once('idle', () => { clearTimeout(t); resolve(); });
    m.triggerRepaint();
  }));
  const counts = await page.evaluate((layers) => {
    const m = window.nuanxin.map;
    const q = (l) => m.queryRenderedFeatures({ layers: l }).length;
    return {
      roads: q(layers), names: q(['st-road-name']), buildings: q(['st-building']),
      streets: [...new Set(m.queryRenderedFeatures({ layers: ['st-road-name'] }).map((f) => f.properties.name))].sort(),
    };
  }, roadLayers);
  console.log('rendered features at Helsinki z16:', JSON.stringify(counts));
  assert.ok(counts.roads > 10, 'roads render');
  assert.ok(counts.buildings > 10, 'buildings render at z16');
  // Road names are placed along the roads (regression: tilemaker's example profile wrote them
  // to `name:latin`, which the style does not read, so none was drawn). The two esplanades
  // frame the park at the view's centre (OpenStreetMap).
  assert.ok(counts.names > 0, 'road names render');
  for (const street of ['Pohjoisesplanadi', 'Eteläesplanadi']) assert.ok(counts.streets.includes(street), `${street} in ${counts.streets}`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(ARTIFACTS, 'basemap-tiles-helsinki-phone.png') });
  assert.deepEqual(external, [], 'no request leaves the machine');
  assert.deepEqual(failed, []);
  console.log('basemap tiles: ok');
} finally {
  await browser.close();
}
