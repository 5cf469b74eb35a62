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
// TRACE=1 records a DevTools trace of the first visit (CDP `Tracing`) and adds `trace`: the
// self time of each thread's events (main thread, MapLibre's worker) from MapLibre's script
// evaluation to the map's `load` event, and the main thread's long tasks (> 50 ms) then.
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
  const tracing = process.env.TRACE && label === 'first' ? startTrace(cdp) : null;
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
  if (tracing) r.trace = await tracing.summary(page);
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

/**
 * Starts a DevTools trace on `cdp`; `summary(page)` stops it and sums, per thread, the self
 * time (ms) of the trace's complete events between MapLibre's evaluation (its inline or file
 * script's `EvaluateScript`) and the page's `nuanxin:load` mark, plus the main thread's tasks
 * over 50 ms in that span with their largest child event.
 */
function startTrace(cdp) {
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((res) => cdp.once('Tracing.tracingComplete', res));
  const started = cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'v8', 'v8.execute', 'blink.user_timing', 'disabled-by-default-devtools.timeline', 'loading'] },
  });
  return {
    async summary() {
      await started;
      await cdp.send('Tracing.end');
      await done;
      const threads = new Map();
      for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threads.set(`${e.pid}:${e.tid}`, e.args.name);
      const mark = (name) => events.find((e) => e.name === name && e.cat.includes('blink.user_timing'))?.ts;
      const tLoad = mark('nuanxin:load');
      const evalMl = events.filter((e) => e.name === 'EvaluateScript' && e.ph === 'X' && e.dur > 50000)
        .sort((a, b) => b.dur - a.dur)[0];
      const tNav = events.find((e) => e.name === 'navigationStart')?.ts ?? events[0]?.ts;
      if (!tLoad || !evalMl) return { error: 'no load mark or MapLibre evaluation in the trace' };
      const t0 = evalMl.ts;
      const byThread = {};
      const perThread = new Map();
      for (const e of events) {
        if (e.ph !== 'X' || !e.dur || e.ts + e.dur < t0 || e.ts > tLoad) continue;
        const key = `${e.pid}:${e.tid}`;
        if (!perThread.has(key)) perThread.set(key, []);
        perThread.get(key).push(e);
      }
      const longTasks = [];
      for (const [key, list] of perThread) {
        const name = threads.get(key) || key;
        if (!/CrRendererMain|DedicatedWorker|Compositor|ThreadPoolForegroundWorker/.test(name)) continue;
        list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
        // Self time: an event's duration minus its children's (events nest on one thread).
        const self = {};
        const stack = [];
        const close = (upTo) => {
          while (stack.length && stack[stack.length - 1].end <= upTo) {
            const top = stack.pop();
            self[top.e.name] = (self[top.e.name] || 0) + (top.e.dur - top.child);
            if (stack.length) stack[stack.length - 1].child += top.e.dur;
          }
        };
        for (const e of list) {
          close(e.ts);
          stack.push({ e, end: e.ts + e.dur, child: 0 });
          if (/CrRendererMain/.test(name) && e.name === 'RunTask' && e.dur > 50000) {
            const kids = list.filter((k) => k !== e && k.ts >= e.ts && k.ts + k.dur <= e.ts + e.dur && k.name !== 'RunTask')
              .sort((a, b) => b.dur - a.dur).slice(0, 3).map((k) => `${k.name}${k.args?.data?.url ? ` ${k.args.data.url.slice(-30)}` : ''} ${(k.dur / 1000).toFixed(0)}`);
            longTasks.push({ at_s: +((e.ts - tNav) / 1e6).toFixed(2), ms: Math.round(e.dur / 1000), top: kids });
          }
        }
        close(Infinity);
        const total = Object.values(self).reduce((a, b) => a + b, 0);
        const top = Object.entries(self).sort((a, b) => b[1] - a[1]).slice(0, 10)
          .map(([n, us]) => [n, Math.round(us / 1000)]);
        const tname = byThread[name] ? `${name}#${key}` : name;
        byThread[tname] = { busy_ms: Math.round(total / 1000), top };
      }
      return {
        span_s: [+((t0 - tNav) / 1e6).toFixed(2), +((tLoad - tNav) / 1e6).toFixed(2)],
        maplibre_evaluate_ms: Math.round(evalMl.dur / 1000),
        threads: byThread,
        long_tasks: longTasks,
      };
    },
  };
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
