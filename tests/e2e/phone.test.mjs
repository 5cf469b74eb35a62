// End-to-end checks of the phone details (issue 18, step 7): every control is a touch
// target of at least 44 × 44 CSS px (WCAG 2.5.5) in every view, the English tabs fit the
// bar untruncated, the scale bar speaks the page's language, nothing on the map covers the
// search box, and the nearest list's rank badges look nothing like cluster bubbles. Same server as map.test.mjs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, tapMap } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
const OFFICER_TOKEN = process.env.NUANXIN_E2E_OFFICER_TOKEN || '';
fs.mkdirSync(ARTIFACTS, { recursive: true });
const TAP = [112.9770, 28.1960];
const PHONES = [['360', PHONE], ['390', { width: 390, height: 844 }]];
/** Smallest touch target, CSS px (WCAG 2.1 success criterion 2.5.5, Target Size). */
const MIN = 44;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openPage(viewport, hash = '') {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  return page;
}

/**
 * Every visible control smaller than MIN × MIN: links, buttons, form fields, tabs, radios,
 * summaries, the map's own controls. A visually hidden input whose label is the target
 * (chips, the photo picker) is measured by that label.
 */
function smallTargets(page) {
  return page.evaluate((min) => {
    const sel = 'a[href], button, summary, select, textarea, input:not([type="hidden"]), [role="tab"], [role="radio"], [role="option"]';
    const out = [];
    for (let e of document.querySelectorAll(sel)) {
      if (e.matches('input') && getComputedStyle(e).opacity === '0') {
        e = e.closest('label') || document.querySelector(`label[for="${e.id}"]`) || e;
      }
      if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
      const r = e.getBoundingClientRect();
      if (r.width + 0.5 < min || r.height + 0.5 < min) {
        out.push(`${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${String(e.className).split(' ')[0]} "${(e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return [...new Set(out)];
  }, MIN);
}

describe('phone details', () => {
  for (const [name, vp] of PHONES) {
    test(`every control is at least 44 × 44 px in every view (${name} px wide)`, async () => {
      const page = await openPage(vp);
      const found = {};
      // Courier: with the nearest list, the filters open and a station card.
      await tapMap(page, TAP);
      await page.waitForSelector('#nearest-list > li[data-id]');
      await page.click('#filters details.more summary');
      await page.click('#nearest-list > li:first-child > button');
      await page.waitForSelector('#station-card:not([hidden])');
      await page.click('.maplibregl-ctrl-attrib-button').catch(() => {});
      found.courier = await smallTargets(page);
      await page.screenshot({ path: path.join(ARTIFACTS, `phone${name}-targets-courier.png`) });
      // Suggest: the form with a place and a category (similar suggestions, my suggestions).
      await page.click('#tab-suggest');
      await tapMap(page, [TAP[0] + 0.003, TAP[1] + 0.002]);
      await page.waitForSelector('#sg-where.set');
      await page.click('#suggest-form input[name="category"][value="parking"]', { force: true });
      found.suggest = await smallTargets(page);
      await page.click('#tab-planner');
      await page.waitForSelector('#pl-area option', { state: 'attached' });
      found.planner = await smallTargets(page);
      await page.click('#tab-officer');
      await page.waitForSelector('#officer-body :is(input, li, p)', { state: 'attached' });
      if (OFFICER_TOKEN && await page.locator('#of-token').count()) {
        await page.fill('#of-token', OFFICER_TOKEN);
        await page.click('#officer-body button[type="submit"]');
        await page.waitForSelector('#of-queue li, #officer-body .notice', { timeout: 15000 }).catch(() => {});
      }
      found.officer = await smallTargets(page);
      for (const v of Object.keys(found)) if (!found[v].length) delete found[v];
      assert.deepEqual(found, {});
      await page.close();
    });
  }

  test('English tabs fit the bar untruncated; the scale bar follows the language', async () => {
    for (const [name, vp] of PHONES) {
      const page = await openPage(vp);
      const scale = () => page.textContent('.maplibregl-ctrl-scale');
      assert.match(await scale(), /\d+\s*(米|公里)/);
      // The Chinese tabs fit too (regression: 办理 was scrolled out of a 390-px bar).
      assert.ok(await page.evaluate(() => [...document.querySelectorAll('.tabs [role="tab"]')]
        .every((t) => t.getBoundingClientRect().right <= document.querySelector('.tabs').getBoundingClientRect().right + 1)), `Chinese tabs cut at ${name}`);
      await page.click('#lang');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await page.waitForFunction(() => /\d+\s*(m|km)$/.test(document.querySelector('.maplibregl-ctrl-scale').textContent.trim()));
      const fit = await page.evaluate(() => {
        const bar = document.querySelector('.tabs');
        const tabs = [...bar.querySelectorAll('[role="tab"]')];
        const vw = window.innerWidth;
        return {
          scrolls: bar.scrollWidth > bar.clientWidth + 1,
          clipped: tabs.filter((t) => t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > vw).map((t) => t.textContent),
          lang: document.getElementById('lang').getBoundingClientRect().right <= vw,
          texts: tabs.map((t) => t.textContent.trim()),
        };
      });
      assert.equal(fit.scrolls, false, `tabs overflow at ${name}: ${fit.texts}`);
      assert.deepEqual(fit.clipped, []);
      assert.ok(fit.lang, 'language switch inside the screen');
      assert.deepEqual(fit.texts, ['Stations', 'Suggest', 'Plan', 'Officer']);
      // Zoom buttons are relabelled too.
      assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'aria-label'), 'Zoom in');
      await page.screenshot({ path: path.join(ARTIFACTS, `phone${name}-english.png`) });
      await page.click('#lang');
      await page.waitForFunction(() => /(米|公里)$/.test(document.querySelector('.maplibregl-ctrl-scale').textContent.trim()));
      assert.equal(await page.getAttribute('.maplibregl-ctrl-zoom-in', 'aria-label'), '放大');
      await page.close();
    }
  });

  test('after locating, three results are in sight without scrolling', async () => {
    for (const [name, vp] of PHONES) {
      const page = await openPage(vp);
      await tapMap(page, TAP);
      await page.waitForSelector('#nearest-list > li[data-id]');
      await page.waitForTimeout(300);
      const bottoms = await page.$$eval('#nearest-list > li[data-id]', (els) => els.slice(0, 3).map((e) => e.getBoundingClientRect().bottom));
      const status = await page.$eval('#courier-status', (e) => e.getBoundingClientRect().top);
      assert.equal(bottoms.length, 3);
      assert.ok(bottoms.every((b) => b <= vp.height), `${name}: result bottoms ${bottoms.map(Math.round)} > ${vp.height}`);
      assert.ok(status >= 0, 'the status line above them is in sight too');
      await page.screenshot({ path: path.join(ARTIFACTS, `phone${name}-three-results.png`) });
      await page.close();
    }
  });

  test('nothing on the map covers the search box, in the courier and suggestion views', async () => {
    for (const [name, vp] of PHONES) {
      const page = await openPage(vp, '#suggest');
      // The suggestion view shows the legend of statuses (it once lay over the search box).
      await page.waitForSelector('#map-legend:not([hidden]) .lg');
      for (const view of ['suggest', 'courier']) {
        if (view === 'courier') await page.click('#tab-courier');
        await page.waitForSelector('#place-q', { state: 'visible' });
        // What is on top at the centre of the box, and at a tenth of its width from each end
        // (the legend covered the left end while the centre was still clear).
        const hits = await page.evaluate(() => {
          const r = document.getElementById('place-q').getBoundingClientRect();
          return [0.1, 0.5, 0.9].map((f) => {
            const e = document.elementFromPoint(r.left + f * r.width, r.top + r.height / 2);
            return e ? (e.id || e.className || e.tagName) : null;
          });
        });
        assert.deepEqual(hits, ['place-q', 'place-q', 'place-q'], `${name} px, ${view}: ${hits}`);
        // And no overlay overlaps it at all (legend, demo banner, hint, map controls).
        const overlaps = await page.evaluate(() => {
          const box = document.getElementById('place-search').getBoundingClientRect();
          const cut = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          return [...document.querySelectorAll('#map-legend, #demo-banner, #map-hint, .map-fabs, .maplibregl-ctrl')]
            .filter((e) => e.getClientRects().length && cut(box, e.getBoundingClientRect()))
            .map((e) => e.id || e.className);
        });
        assert.deepEqual(overlaps, [], `${name} px, ${view}`);
      }
      await page.click('#tab-suggest');
      await page.screenshot({ path: path.join(ARTIFACTS, `phone${name}-suggest-search.png`) });
      await page.close();
    }
  });

  test('rank badges are square and yellow, cluster bubbles round in the kind colour', async () => {
    const page = await openPage(PHONES[1][1]);
    await tapMap(page, TAP);
    await page.waitForSelector('#nearest-list > li[data-id] .rank');
    const rank = await page.$eval('#nearest-list .rank', (e) => {
      const s = getComputedStyle(e);
      return { radius: parseFloat(s.borderTopLeftRadius), width: e.getBoundingClientRect().width, bg: s.backgroundColor, text: e.textContent };
    });
    assert.equal(rank.text, '1');
    assert.ok(rank.radius < rank.width / 3, `rank badge radius ${rank.radius} of ${rank.width}: not a circle`);
    assert.equal(rank.bg, 'rgb(255, 212, 59)');
    // On the map: the ranked stations carry the rank-N square images.
    const images = await page.evaluate(() => ['rank-1', 'rank-5'].map((n) => window.nuanxin.map.hasImage(n)));
    assert.deepEqual(images, [true, true]);
    assert.equal(await page.evaluate(() => window.nuanxin.map.getLayoutProperty('near-rank', 'icon-image')[0]), 'concat');
    // Cluster bubbles are circles (a circle layer) in the kind's colour.
    assert.equal(await page.evaluate(() => window.nuanxin.map.getLayer('pt-cluster').type), 'circle');
    // Kind colours are declared once, as CSS custom properties in style.css: the map's cluster
    // bubbles and the chosen kind's button take the same one (#c2410c, the station orange).
    const colours = await page.evaluate(() => ({
      css: getComputedStyle(document.documentElement).getPropertyValue('--kind-station').trim(),
      cluster: window.nuanxin.map.getPaintProperty('pt-cluster', 'circle-color'),
      button: getComputedStyle(document.querySelector('#kind-seg button[aria-checked="true"]')).backgroundColor,
    }));
    assert.equal(colours.css, '#c2410c');
    assert.equal(colours.cluster, '#c2410c');
    assert.equal(colours.button, 'rgb(194, 65, 12)');
    // Every kind and status the server names has its colour in style.css.
    const vocabulary = await (await fetch(`${BASE}/api/v1/vocabulary`)).json();
    const undeclared = await page.evaluate((v) => {
      const root = getComputedStyle(document.documentElement);
      return [...v.kind.map((t) => `--kind-${t.code}`), ...v.status.map((t) => `--status-${t.code}`)]
        .filter((name) => !root.getPropertyValue(name).trim());
    }, vocabulary);
    assert.deepEqual(undeclared, []);
    await page.screenshot({ path: path.join(ARTIFACTS, 'phone390-rank-badges.png') });
    await page.close();
  });
});
