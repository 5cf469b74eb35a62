// End-to-end checks of the English interface beyond the strings of i18n.js (issue 18,
// newcomer findings): the status legend of the suggestion and officer views, the map's
// data credits and the metro station names follow the language switch, and the map hint
// never covers the attribution (on a 1366 × 900 desktop it used to sit on it), nor the
// attribution the scale bar. Same server as map.test.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, settle, tapMap } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
const DESKTOP = { width: 1366, height: 900 };
/** 五一广场 metro station (WGS-84, the OpenStreetMap node; SOURCES.md erratum). */
const WUYI_SQUARE = [112.9709, 28.1986];
const HAN = /[\u3400-\u9fff]/;

let browser;
/** `GET /api/v1/vocabulary`: the labels the legend must show. */
let vocabulary;
before(async () => {
  browser = await launch();
  vocabulary = await (await fetch(`${BASE}/api/v1/vocabulary`)).json();
});
after(async () => { await browser?.close(); });

/** A page in `lang` (the switch is remembered in localStorage) at `viewport`, on `hash`. */
async function openPage(viewport, lang, hash = '') {
  const page = await browser.context.newPage();
  await page.addInitScript((l) => localStorage.setItem('nuanxin.lang', l), lang);
  await page.setViewportSize(viewport);
  // The first page of a fresh browser on a busy machine can take long: wait for the map
  // itself rather than for every subresource's load event.
  await page.goto(`${BASE}/${hash}`, { waitUntil: 'domcontentloaded', timeout: 90000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 90000 });
  return page;
}

const legend = (page) => page.$$eval('#map-legend .lg', (rows) => rows.map((r) => r.textContent.trim()));
const credits = (page) => page.textContent('.maplibregl-ctrl-attrib-inner');

describe('English interface', () => {
  for (const view of ['suggest', 'officer']) {
    test(`the status legend and the data credits follow the language switch (#${view})`, async () => {
      const page = await openPage(DESKTOP, 'zh', `#${view}`);
      const zh = vocabulary.status.map((s) => s.zh);
      const en = vocabulary.status.map((s) => s.en);
      assert.ok(en.length >= 5 && en.every((s) => !HAN.test(s)), 'the API has English status labels');
      await page.waitForFunction((n) => document.querySelectorAll('#map-legend .lg').length === n, zh.length);
      assert.deepEqual(await legend(page), zh);
      assert.match(await credits(page), /行政区划/);
      await page.click('#lang');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.deepEqual(await legend(page), en, 'legend in English after the switch');
      await page.waitForFunction(() => /Boundaries/.test(document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent || ''));
      const text = await credits(page);
      assert.doesNotMatch(text, HAN, `English credits: ${text}`);
      // The licences' required wording is kept, translated only where it is ours.
      for (const required of ['© OpenStreetMap contributors (ODbL)', 'MIT', 'LGPL', 'MapLibre']) assert.ok(text.includes(required), `${required} in ${text}`);
      assert.equal(await page.getAttribute('.maplibregl-ctrl-attrib-inner a[href*="openstreetmap.org/copyright"]', 'href'), 'https://www.openstreetmap.org/copyright');
      await page.screenshot({ path: path.join(ARTIFACTS, `desktop1366-english-${view}.png`) });
      await page.click('#lang');
      assert.deepEqual(await legend(page), zh, 'legend in Chinese again');
      await page.waitForFunction(() => /行政区划/.test(document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent || ''));
      assert.match(await credits(page), /© OpenStreetMap 贡献者（ODbL）/);
      await page.close();
    });
  }

  test('metro stations are labelled in pinyin words in English, in Chinese otherwise', async () => {
    const page = await openPage(PHONE, 'en');
    await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 15 }), WUYI_SQUARE);
    await settle(page);
    const shown = () => page.evaluate(() => {
      const m = window.nuanxin.map;
      return { field: m.getLayoutProperty('metro-station-label', 'text-field'), names: m.queryRenderedFeatures({ layers: ['metro-station-label'] }).map((f) => [f.properties.name, f.properties.name_en]) };
    });
    let s = await shown();
    const wuyi = s.names.find(([zh]) => zh === '五一广场');
    assert.ok(wuyi, `五一广场 is drawn: ${JSON.stringify(s.names)}`);
    // 五一 Wǔyī (a proper name) + 广场 guǎngchǎng (the generic part), GB/T 16159-2012 6.3.8.
    assert.equal(wuyi[1], 'Wuyi Guangchang');
    assert.match(JSON.stringify(s.field), /"name_en"/, 'English labels read name_en');
    assert.doesNotMatch(JSON.stringify(s.field), /"pinyin"/, 'not the run-together pinyin');
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone360-english-metro.png') });
    await page.click('#lang');
    s = await shown();
    assert.deepEqual(s.field, ['get', 'name'], 'Chinese names in Chinese');
    await page.close();
  });

  // Regression (polish): on a 360 px phone the English cards cut "(straight line)" off the
  // minutes with an ellipsis: the one word saying how the time was computed.
  test('each nearest card says in full how its minutes were computed (phone360, en)', async () => {
    const page = await openPage(PHONE, 'en');
    await tapMap(page, WUYI_SQUARE);
    await page.waitForSelector('#nearest-list .mins');
    const mins = await page.$$eval('#nearest-list .mins', (es) => es.map((e) => {
      const card = e.closest('.card').getBoundingClientRect();
      const r = e.getBoundingClientRect();
      return { text: e.textContent, clipped: e.scrollWidth > e.clientWidth + 1 || r.right > card.right + 0.5 };
    }));
    assert.ok(mins.length >= 3, JSON.stringify(mins));
    for (const m of mins) {
      assert.match(m.text, /straight line|road/, m.text);
      assert.equal(m.clipped, false, `cut: ${m.text}`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone360-english-nearest.png') });
    await page.close();
  });

  // Points of interest and street names read an English name where the data has one (the
  // shipped POI layer has none today: it keeps OpenStreetMap's `name` only).
  test('point-of-interest labels follow the language switch', async () => {
    const page = await openPage(PHONE, 'zh');
    await page.evaluate((c) => window.nuanxin.map.jumpTo({ center: c, zoom: 15 }), WUYI_SQUARE);
    await settle(page);
    await page.waitForFunction(() => !!window.nuanxin.map.getLayer('poi-label'));
    const field = () => page.evaluate(() => window.nuanxin.map.getLayoutProperty('poi-label', 'text-field'));
    assert.deepEqual(await field(), ['get', 'name']);
    await page.click('#lang');
    assert.deepEqual(await field(), ['coalesce', ['get', 'name:en'], ['get', 'name_en'], ['get', 'name']]);
    await page.close();
  });

  for (const [name, vp] of [['desktop1366', DESKTOP], ['phone360', PHONE]]) {
    for (const lang of ['zh', 'en']) {
      test(`the map hint does not cover the attribution (${name}, ${lang})`, async () => {
        const page = await openPage(vp, lang, '#courier');
        await settle(page);
        // The courier view asks to tap the map until a place is chosen.
        await page.waitForSelector('#map-hint:not([hidden])');
        const r = await page.evaluate(() => {
          const a = document.querySelector('.maplibregl-ctrl-attrib');
          const box = a.getBoundingClientRect();
          const x = box.x + box.width / 2;
          const y = box.y + box.height / 2;
          const hit = document.elementFromPoint(x, y);
          const hint = document.getElementById('map-hint').getBoundingClientRect();
          const overlap = !(hint.right <= box.left || hint.left >= box.right || hint.bottom <= box.top || hint.top >= box.bottom);
          // The scale bar (bottom left) is not under the attribution either.
          const scale = document.querySelector('.maplibregl-ctrl-scale');
          const sb = scale.getBoundingClientRect();
          const onScale = scale.contains(document.elementFromPoint(sb.x + sb.width / 2, sb.y + sb.height / 2));
          return { onAttribution: a.contains(hit), hit: `${hit?.tagName}.${hit?.className}`, overlap, onScale, open: a.classList.contains('maplibregl-compact-show') || !a.classList.contains('maplibregl-compact') };
        });
        assert.ok(r.onAttribution, `at the attribution's centre: ${r.hit}`);
        assert.ok(r.onScale, 'the scale bar is not covered');
        assert.equal(r.overlap, false, 'the hint and the attribution do not overlap');
        if (name.startsWith('desktop')) assert.ok(r.open, 'the credits are shown in full on a desktop');
        await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${lang}-hint.png`) });
        await page.close();
      });
    }
  }
});
