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
    // Regression (newcomer): the box now shows the WGS-84 position; Enter on that text read
    // it as GCJ-02 again and moved the point about 550 m each time.
    const shown = await page.inputValue('#place-q');
    const searched = page.waitForResponse((r) => r.url().includes('/api/v1/search?'), { timeout: 10000 });
    await page.press('#place-q', 'Enter');
    assert.match((await searched).url(), /crs=wgs84/);
    await page.waitForTimeout(300);
    assert.equal(await page.inputValue('#place-q'), shown);
    const again = await page.evaluate(() => window.nuanxin.courier().here);
    assert.ok(metres(again, WUYI_WGS) < 5, `after Enter: ${again} is ${metres(again, WUYI_WGS)} m from ${WUYI_WGS}`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('search results are named in the page\'s language: English with the Chinese in brackets', async () => {
    /** The first result's name and kind for query `q`. */
    const firstFor = async (page, q) => {
      await page.fill('#place-q', q);
      await page.waitForFunction((want) => {
        const o = document.querySelector('#place-results:not([hidden]) .place-opt .place-name');
        return o && document.getElementById('place-q').value === want;
      }, q, { timeout: 10000 });
      await page.waitForTimeout(400); // the answer to the last keystroke (250 ms debounce)
      return page.$eval('#place-results .place-opt', (o) => [o.querySelector('.place-name').textContent, o.querySelector('.place-kind').textContent]);
    };
    // Chinese (default): Chinese names and kinds.
    const { page, problems } = await openPage(PHONE);
    assert.deepEqual(await firstFor(page, 'wygc'), ['五一广场', '地铁站 · 1号线、2号线']);
    assert.equal((await firstFor(page, '430102'))[0], '芙蓉区');
    // The language switch: the same searches in English (names from data/metro name_en and
    // the districts' name_en; the lines of 五一广场 are 1 and 2).
    await page.click('#lang');
    assert.deepEqual(await firstFor(page, 'wygc'), ['Wuyi Guangchang (五一广场)', 'Metro station · Line 1, Line 2']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'search-english-phone.png') });
    assert.deepEqual(await firstFor(page, '430102'), ['Furong District (芙蓉区)', 'District']);
    // Picking one writes its English name in the box.
    await page.click('#place-results .place-opt');
    assert.equal(await page.inputValue('#place-q'), 'Furong District (芙蓉区)');
    assert.deepEqual(problems, []);
    await page.close();
    // `?lang=en` in the address: English from the start; English words are searched too.
    const en = await openPage(PHONE, '?lang=en');
    assert.equal(await en.page.getAttribute('html', 'lang'), 'en');
    assert.deepEqual(await firstFor(en.page, 'changsha county'), ['Changsha County (长沙县)', 'District']);
    // A service point has no English name: its Chinese name, no brackets (a demo station).
    assert.equal((await firstFor(en.page, '观音湖社区红色之家'))[0], '观音湖社区红色之家');
    assert.deepEqual(en.problems, []);
    // Back to Chinese for the other tests (the switch is remembered in this browser).
    await en.page.evaluate(() => localStorage.removeItem('nuanxin.lang'));
    await en.page.close();
  });

  test('bare numbers say they were read as GCJ-02, and one tap reads them as WGS-84 or BD-09', async () => {
    const { page, problems } = await openPage(PHONE);
    const paste = (text) => page.evaluate((t) => {
      const i = document.getElementById('place-q');
      i.value = t;
      i.dispatchEvent(new Event('paste'));
    }, text);
    const hereNear = (want, m) => page.waitForFunction(([w, lim]) => {
      const h = window.nuanxin.courier().here;
      if (!h) return false;
      const r = Math.PI / 180;
      const x = (h[0] - w[0]) * r * Math.cos(w[1] * r);
      const y = (h[1] - w[1]) * r;
      return Math.hypot(x, y) * 6371008.8 < lim;
    }, [want, m], { timeout: 10000 });
    // WGS-84 numbers (a GPS reading) pasted: read as GCJ-02 first, as the line says.
    await paste(`${WUYI_WGS[0]},${WUYI_WGS[1]}`);
    await page.waitForSelector('#place-msg .crs-read');
    assert.equal(await page.textContent('#place-msg .crs-read'), '按高德/腾讯坐标 (GCJ-02) 解读');
    const buttons = await page.$$eval('#place-msg .crs-switch', (bs) => bs.map((b) => [b.textContent, b.getBoundingClientRect().height]));
    assert.deepEqual(buttons.map(([t]) => t), ['改为 WGS-84', '改为 BD-09']);
    assert.ok(buttons.every(([, h]) => h >= 44), JSON.stringify(buttons));
    const gcjRead = await page.evaluate(() => window.nuanxin.courier().here);
    // Read as GCJ-02 the point lands 500–700 m away from the GPS position (the GCJ-02 shift).
    assert.ok(metres(gcjRead, WUYI_WGS) > 300, `${metres(gcjRead, WUYI_WGS)} m`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'search-crs-phone.png') });
    // One tap: the numbers themselves, as WGS-84.
    await page.click('#place-msg .crs-switch[data-crs="wgs84"]');
    await hereNear(WUYI_WGS, 1);
    await page.waitForFunction(() => document.querySelector('#place-msg .crs-read')?.textContent === '按 GPS 坐标 (WGS-84) 解读');
    // Baidu's numbers for the station (BD-09 from its GCJ-02 by Baidu's published
    // transform, computed here): read as BD-09 after one tap, they land on the station.
    const x = WUYI_GCJ[0];
    const y = WUYI_GCJ[1];
    const k = (Math.PI * 3000) / 180;
    const z = Math.hypot(x, y) + 0.00002 * Math.sin(y * k);
    const th = Math.atan2(y, x) + 0.000003 * Math.cos(x * k);
    const bd = [z * Math.cos(th) + 0.0065, z * Math.sin(th) + 0.006];
    await paste(`${bd[0].toFixed(6)},${bd[1].toFixed(6)}`);
    await page.waitForFunction(() => document.querySelector('#place-msg .crs-read')?.textContent.includes('GCJ-02'));
    await page.click('#place-msg .crs-switch[data-crs="bd09"]');
    await hereNear(WUYI_WGS, 5);
    assert.equal(await page.textContent('#place-msg .crs-read'), '按百度坐标 (BD-09) 解读');
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
