// The first visit's requests (issue 18, weak signal): on DevTools' Slow 3G every request costs
// a 2 s round trip, so the page must reach "usable" (body[data-ready]) with few of them.
// The server inlines the style sheets, the first view's GeoJSON and, for a navigation,
// MapLibre into the page (crates/nuanxin/src/server/web/page.rs); labels are drawn from the
// device's fonts (no glyph server). Timings are measured by scripts/bench-web-slow3g.sh;
// this test checks the request list, which does not depend on the machine's speed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, PHONE } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';

/** The most requests to our server before the map is usable (11 today: the page, 6 modules,
 *  config, vocabulary, manifest, icon; the API calls of 定位我 are not counted). */
const MAX_REQUESTS = 12;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe('first visit', () => {
  test('reaches usable with few requests: styles, first-view data and MapLibre come with the page, no glyph PBF', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize(PHONE);
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${BASE}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
    // Every request the page started before it set data-ready (app.js marks that moment
    // 'nuanxin:ready'), from the Resource Timing API; the page itself is the navigation.
    const requests = await page.evaluate(() => {
      const ready = performance.getEntriesByName('nuanxin:ready')[0].startTime;
      return performance.getEntriesByType('resource').filter((e) => e.startTime < ready).map((e) => e.name);
    });
    requests.unshift(`${BASE}/`);
    const ours = requests.filter((u) => u.startsWith(BASE)).map((u) => u.slice(BASE.length));
    const counted = ours.filter((p) => !p.startsWith('/api/v1/nearest') && !p.startsWith('/api/v1/points'));
    // No glyph ranges: Chinese, Latin and digits are drawn locally (TinySDF).
    assert.deepEqual(ours.filter((p) => /\.pbf(\?|$)/.test(p) && !p.startsWith('/tiles/')), [], 'glyph PBFs requested');
    assert.deepEqual(requests.filter((u) => /fonts?\/|glyphs/.test(u)), [], 'font requests');
    // Inline: the style sheets, the first view's GeoJSON and MapLibre are never separate requests.
    assert.deepEqual(counted.filter((p) => /\.css$|\.geojson$|maplibre-gl\.js$/.test(p)), [], 'requested although inline');
    // The other views' code and the rest of Hunan come later.
    assert.deepEqual(counted.filter((p) => /planner\.js|officer\.js|kpi\.js|districts-rest/.test(p)), [], 'not for the first view');
    // Place search, the suggestion view (with the outbox) and the offline store load after.
    assert.deepEqual(counted.filter((p) => /search\.js|suggest\.js|offline\.js/.test(p)), [], 'loaded on first use');
    assert.ok(counted.length <= MAX_REQUESTS, `${counted.length} requests before usable: ${counted.join(' ')}`);
    // MapLibre ran from the page (its inline script allowed by the CSP hash) and drew the map.
    assert.ok(await page.evaluate(() => typeof window.maplibregl?.Map === 'function'));
    // The first view's data is one source (basemap.js OVERLAYS): one set of tiles to cut.
    const style = await page.evaluate(() => Object.keys(window.nuanxin.map.getStyle().sources));
    assert.deepEqual(style.filter((s) => /^(districts|district_labels|metro_lines|metro_stations|rivers)$/.test(s)), [], `sources: ${style}`);
    assert.ok(await page.evaluate(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['district-fill'] }).length > 0), 'districts drawn');
    assert.ok(await page.evaluate(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['metro-line'] }).length > 0), 'metro lines drawn');
    assert.ok(await page.evaluate(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['river'] }).length > 0), 'rivers drawn');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the shell a service worker fetches loads MapLibre as a file; a navigation has it inline with its CSP hash', async () => {
    const shell = await fetch(`${BASE}/`);
    const shellHtml = await shell.text();
    assert.match(shellHtml, /<script src="\/vendor\/maplibre-gl-[\d.]+\/maplibre-gl\.js" defer/);
    assert.doesNotMatch(shell.headers.get('content-security-policy'), /sha256-/);
    const nav = await fetch(`${BASE}/`, { headers: { 'Sec-Fetch-Dest': 'document' } });
    const navHtml = await nav.text();
    assert.ok(!/(src|href)="\/vendor\/maplibre-gl-[\d.]+\/maplibre-gl\.js"/.test(navHtml), 'the navigation page also loads the file');
    assert.ok(navHtml.length > shellHtml.length + 900000, 'MapLibre (1 MB) is inline');
    // The hash source in the policy is the SHA-256 of the inline script, computed here.
    const start = navHtml.lastIndexOf('<script>') + '<script>'.length;
    const script = navHtml.slice(start, navHtml.indexOf('</script>', start));
    const { createHash } = await import('node:crypto');
    const want = `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;
    assert.ok(nav.headers.get('content-security-policy').includes(`script-src 'self' ${want};`));
    assert.match(nav.headers.get('vary'), /sec-fetch-dest/);
  });
});
