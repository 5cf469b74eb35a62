// Weak-signal benchmark of the page (run by scripts/bench-web-slow3g.sh against a running
// server, URL in NUANXIN_URL): Chromium's own network emulation (DevTools protocol
// `Network.emulateNetworkConditions`) with the DevTools "Slow 3G" preset, and for each of a
// first visit (empty caches), a repeat visit and an offline repeat visit:
//   - first paint: `first-contentful-paint` of the Paint Timing API;
//   - map usable: the map's `load` event (style, boundaries and metro drawn; body[data-ready]),
//     the moment the page sets data-ready (see the MutationObserver below);
//   - nearest: from navigation start to the first result of 定位我 (geolocation granted at
//     五一广场, the button pressed as soon as the page's code has booted).
// WATERFALL=1 adds every request (priority, start, first byte, end, bytes) and the page's
// performance marks (app.js: nuanxin:boot, :inputs, :load, :ready) to the first visit's line.
// Not a `*.test.mjs` file: it measures, it does not assert. Prints one JSON line per visit.
import { launch, PHONE } from './browser.mjs';

const BASE = process.env.NUANXIN_URL;
if (!BASE) throw new Error('NUANXIN_URL is not set');
// Chrome DevTools' "Slow 3G" preset (front_end/core/sdk/NetworkManager.ts): 500 kbit/s
// × 0.8 each way, 400 ms × 5 latency.
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: (500 * 1000 / 8) * 0.8, uploadThroughput: (500 * 1000 / 8) * 0.8 };
const TAP = [112.9770, 28.1960];
const RUNS = Number(process.env.RUNS || 1);

async function visit(context, label, { offline = false } = {}) {
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', offline ? { ...SLOW_3G, offline: true } : SLOW_3G);
  if (offline) await context.setOffline(true);
  let bytes = 0;
  // The waterfall (WATERFALL=1): every request's priority, start, first byte, end (seconds
  // from the navigation's request) and bytes over the network, printed after the visit.
  const reqs = new Map();
  let tNav = null;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (tNav === null) tNav = e.timestamp;
    reqs.set(e.requestId, { url: e.request.url.replace(BASE, ''), priority: e.request.initialPriority, start: e.timestamp });
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = reqs.get(e.requestId);
    if (r) { r.first_byte = e.timestamp; r.from = e.response.fromServiceWorker ? 'sw' : (e.response.fromDiskCache ? 'disk' : 'net'); }
  });
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    const r = reqs.get(e.requestId);
    if (r) { r.end = e.timestamp; r.bytes = e.encodedDataLength; }
  });
  if (process.env.WATERFALL) {
    // When MapLibre's script has run (its UMD wrapper assigns the global last).
    await page.addInitScript(() => {
      let v;
      Object.defineProperty(window, 'maplibregl', {
        configurable: true,
        get() { return v; },
        set(x) { v = x; performance.mark('maplibre:evaluated'); },
      });
    });
  }
  // The moments the page sets body[data-ready] and shows the first nearest result, taken
  // inside the page by a MutationObserver (a microtask after the change): Playwright's own
  // waitForSelector notices them later, by up to seconds on a loaded machine, as its polling
  // competes with the map's first frames. The polled times are printed too (`*_polled_s`,
  // what this script reported before 2026-12-07).
  await page.addInitScript(() => {
    const seen = {};
    const mo = new MutationObserver(() => {
      if (seen.ready === undefined && document.body?.dataset.ready === '1') seen.ready = performance.now();
      if (seen.nearest === undefined && document.querySelector('#nearest-list > li[data-id]')) seen.nearest = performance.now();
      if (seen.ready !== undefined && seen.nearest !== undefined) mo.disconnect();
    });
    mo.observe(document, { subtree: true, childList: true, attributeFilter: ['data-ready'] });
    Object.defineProperty(window, '__nuanxinBench', { value: seen });
  });
  const t0 = Date.now();
  await page.goto(`${BASE}/`, { waitUntil: 'commit', timeout: 120000 });
  await page.waitForFunction(() => window.nuanxin && document.getElementById('locate-btn'), null, { timeout: 120000, polling: 50 });
  await page.click('#locate-btn');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  const ready = await page.evaluate(() => performance.now());
  await page.waitForSelector('#nearest-list > li[data-id]', { timeout: 120000 });
  const nearest = await page.evaluate(() => performance.now());
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  const seen = await page.evaluate(() => ({ ...window.__nuanxinBench }));
  const offlineBadge = await page.locator('#nearest-list .badge.offline').count();
  const s = (ms) => (ms === undefined || ms === null ? null : +(ms / 1000).toFixed(2));
  const r = {
    visit: label,
    first_paint_s: s(fcp),
    map_usable_s: s(seen.ready),
    nearest_s: s(seen.nearest),
    map_usable_polled_s: s(ready),
    nearest_polled_s: s(nearest),
    wall_s: +((Date.now() - t0) / 1000).toFixed(2),
    bytes_over_network: bytes,
    offline_results: offlineBadge,
  };
  if (process.env.WATERFALL) {
    r.marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark')
      .map((m) => [m.name, +(m.startTime / 1000).toFixed(2)])));
    // Requests that started before the map was usable (navigation start ≈ tNav).
    const rel = (t) => (t === undefined ? null : +(t - tNav).toFixed(2));
    r.waterfall = [...reqs.values()].map((q) => ({
      url: q.url.length > 60 ? `${q.url.slice(0, 57)}...` : q.url, priority: q.priority, from: q.from,
      start: rel(q.start), first_byte: rel(q.first_byte), end: rel(q.end), bytes: q.bytes,
    })).filter((q) => q.start !== null && q.start < ready / 1000);
  }
  if (offline) await context.setOffline(false);
  // Leave the page open long enough for a service worker to install and precache.
  if (!offline) await page.waitForTimeout(Number(process.env.SETTLE_MS || 15000));
  await page.close();
  return r;
}

// Warm-up: the server compresses its files once, in the background after start; a debug
// build takes seconds for MapLibre's brotli form. Measure the page, not that.
for (const p of ['/', '/vendor/maplibre-gl-5.24.1/maplibre-gl.js', '/vendor/maplibre-gl-5.24.1/maplibre-gl.css', '/app.js',
  '/data/districts-changsha.geojson', '/data/district-labels.geojson', '/data/metro-lines.geojson', '/data/metro-stations.geojson', '/data/rivers.geojson']) {
  await (await fetch(BASE + p, { headers: { 'Accept-Encoding': 'br' } })).arrayBuffer();
}
// The page as a browser's navigation gets it (MapLibre inline, server/web/page.rs), once its
// precompressed form (ETag ending in -br) is ready.
for (let i = 0; i < 600; i += 1) {
  const r = await fetch(`${BASE}/`, { headers: { 'Accept-Encoding': 'br', 'Sec-Fetch-Dest': 'document' } });
  await r.arrayBuffer();
  if (/-br"$/.test(r.headers.get('etag') || '')) break;
  await new Promise((res) => setTimeout(res, 500));
}

for (let run = 0; run < RUNS; run += 1) {
  const browser = await launch();
  try {
    await browser.context.grantPermissions(['geolocation'], { origin: BASE });
    await browser.context.setGeolocation({ longitude: TAP[0], latitude: TAP[1] });
    for (const [label, opts] of [['first', {}], ['repeat', {}], ['offline_repeat', { offline: true }]]) {
      try {
        console.log(JSON.stringify(await visit(browser.context, label, opts)));
      } catch (e) {
        console.log(JSON.stringify({ visit: label, error: String(e.message || e).split('\n')[0] }));
      }
    }
  } finally {
    await browser.close();
  }
}
