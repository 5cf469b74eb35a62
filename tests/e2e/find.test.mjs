// End-to-end tests of finding one's way (issue 18): place search (names, pinyin initials,
// pasted Amap points), navigation links that open riding navigation, and the offline layers
// (river, POIs). Same server and browser as map.test.mjs (scripts/test.d/e2e.sh); every
// request must stay on our server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, settle } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

// 五一广场 metro station: GCJ-02 as Amap shows it, and its WGS-84 position, both from
// data/metro/changsha_metro_stations.csv (metromancn; the WGS-84 column lies 23.5 m from the
// OpenStreetMap station of the same name).
const WUYI_GCJ = [112.976341, 28.195346];
const WUYI_WGS = [112.970804, 28.198783];

/** Metres between two WGS-84 points (spherical; plenty for a 100 m tolerance). */
function metres(a, b) {
  const r = Math.PI / 180;
  const x = (b[0] - a[0]) * r * Math.cos(((a[1] + b[1]) / 2) * r);
  const y = (b[1] - a[1]) * r;
  return Math.hypot(x, y) * 6371008.8;
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openPage(viewport, hash = '') {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    problems.push(`external request: ${u}`);
    return route.abort();
  });
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  return { page, problems };
}

const centre = (page) => page.evaluate(() => { const c = window.nuanxin.map.getCenter(); return [c.lng, c.lat]; });

describe('finding one\'s way', () => {
  test('searching 五一广场 goes there, shows the nearest stations, the river and named places', async () => {
    const { page, problems } = await openPage(PHONE);
    await page.fill('#place-q', '五一广场');
    await page.press('#place-q', 'Enter');
    await page.waitForFunction(() => window.nuanxin.courier().results.length > 0, null, { timeout: 15000 });
    await settle(page);
    const c = await centre(page);
    // The map moved to the square (the nearest-results view fits around it: within 1.5 km).
    assert.ok(metres(c, WUYI_WGS) < 1500, `centre ${c} is ${metres(c, WUYI_WGS)} m away`);
    const here = await page.evaluate(() => window.nuanxin.courier().here);
    assert.ok(metres(here, WUYI_WGS) < 30, `search position ${here}`);
    // At street zoom the 湘江 and named OSM places are drawn.
    // The 湘江 runs about 1.2 km west of the square (GSHHG line near 112.9592, 28.1980).
    await page.evaluate(() => window.nuanxin.map.jumpTo({ center: [112.9592, 28.198], zoom: 15 }));
    await page.waitForFunction(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['river'] }).length > 0, null, { timeout: 15000 });
    await page.evaluate((ll) => window.nuanxin.map.jumpTo({ center: ll, zoom: 16 }), WUYI_WGS);
    await page.waitForFunction(() => window.nuanxin.map.getLayer('poi-label')
      && window.nuanxin.map.queryRenderedFeatures({ layers: ['poi-label'] }).length > 0, null, { timeout: 15000 });
    await settle(page);
    await page.screenshot({ path: path.join(ARTIFACTS, 'search-wuyi-phone.png') });
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('pinyin initials list 五一广场; a pasted Amap point lands on the WGS-84 position', async () => {
    const { page, problems } = await openPage(PHONE);
    await page.fill('#place-q', 'wygc');
    await page.waitForSelector('#place-results .place-opt', { timeout: 10000 });
    const first = await page.textContent('#place-results .place-opt');
    assert.match(first, /五一广场/);
    // Paste the numbers Amap shows for the station (GCJ-02).
    await page.fill('#place-q', '');
    await page.evaluate((text) => {
      const i = document.getElementById('place-q');
      i.value = text;
      i.dispatchEvent(new Event('paste'));
    }, `${WUYI_GCJ[0]},${WUYI_GCJ[1]}`);
    await page.waitForFunction(() => window.nuanxin.courier().here, null, { timeout: 10000 });
    const here = await page.evaluate(() => window.nuanxin.courier().here);
    // Converted from GCJ-02 (660 m off) to within 5 m of the WGS-84 station.
    assert.ok(metres(here, WUYI_WGS) < 5, `${here} is ${metres(here, WUYI_WGS)} m from ${WUYI_WGS}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('高德导航 and 百度导航 open riding navigation from the rider to the station', async () => {
    const { page, problems } = await openPage(PHONE);
    await page.fill('#place-q', '五一广场');
    await page.press('#place-q', 'Enter');
    await page.waitForFunction(() => window.nuanxin.courier().results.length > 0, null, { timeout: 15000 });
    // Riders are on e-bikes by default; open the first result's card.
    await page.click('#nearest-list li.card:first-child .card-btn');
    await page.waitForSelector('#station-card:not([hidden]) .nav-links a', { timeout: 10000 });
    const links = await page.$$eval('#station-card .nav-links a', (as) => as.map((a) => [a.textContent, a.href]));
    const amap = new URL(links.find(([t]) => t.includes('高德'))[1]);
    const baidu = new URL(links.find(([t]) => t.includes('百度'))[1]);
    assert.equal(`${amap.origin}${amap.pathname}`, 'https://uri.amap.com/navigation');
    assert.equal(amap.searchParams.get('mode'), 'ride');
    assert.equal(amap.searchParams.get('coordinate'), 'gaode');
    assert.equal(amap.searchParams.get('callnative'), '1');
    // From the searched position (GCJ-02 of 五一广场, within 5 m ≈ 5e-5°).
    const from = amap.searchParams.get('from').split(',').map(Number);
    assert.ok(Math.abs(from[0] - WUYI_GCJ[0]) < 5e-5 && Math.abs(from[1] - WUYI_GCJ[1]) < 5e-5, `from ${from}`);
    assert.equal(`${baidu.origin}${baidu.pathname}`, 'https://api.map.baidu.com/direction');
    assert.equal(baidu.searchParams.get('mode'), 'riding');
    assert.equal(baidu.searchParams.get('coord_type'), 'bd09ll');
    assert.match(baidu.searchParams.get('src'), /^webapp\.[^.]+\.[^.]+$/);
    assert.match(baidu.searchParams.get('destination'), /^latlng:\d+\.\d+,\d+\.\d+\|name:/);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
