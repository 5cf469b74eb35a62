// End-to-end test of weak-signal and offline use (issue 18, step 6): the service worker
// keeps the app, the page keeps the service points of the area viewed, and with the
// network cut (Chromium's network emulation through the DevTools protocol, for the page
// and its service worker: playwright's setOffline) the page still loads, "nearest" answers
// from the device (labelled 离线), and a suggestion filed offline is queued (待发送) and
// arrives exactly once when the network returns. Own browser profile (a fresh service
// worker), same server as map.test.mjs (scripts/test.d/e2e.sh).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, PHONE, settle, tapMap } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
// Near 五一广场, WGS-84.
const TAP = [112.9770, 28.1960];

let browser;
// Everything the page and its service worker said (console, failed requests), with seconds
// since the start: quoted when a step fails, and written to the artifacts.
const log = [];
before(async () => { browser = await launch(); });
after(async () => {
  fs.writeFileSync(path.join(ARTIFACTS, 'offline-console.log'), `${log.join('\n')}\n`);
  await browser?.close();
});

/** Suggestions on the server whose description is `text` (read straight from the API). */
async function filedWith(text) {
  const out = [];
  for (let offset = 0; ; offset += 500) {
    const page = await (await fetch(`${BASE}/api/v1/suggestions?limit=500&offset=${offset}`)).json();
    out.push(...page.items.filter((s) => s.description === text));
    if (page.items.length < 500) return out;
  }
}

/**
 * What the page has kept in IndexedDB: { version, stores, area (number of points in the
 * `last` record, or null) }, or null when the database does not exist yet. Never creates
 * it (an open that would create it is aborted), so it cannot race the page's own first open.
 */
function storedArea(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('nuanxin');
    req.onupgradeneeded = () => req.transaction.abort();
    req.onerror = () => resolve(null);
    req.onsuccess = () => {
      const d = req.result;
      const out = { version: d.version, stores: [...d.objectStoreNames], area: null };
      if (!d.objectStoreNames.contains('areas')) { d.close(); resolve(out); return; }
      const g = d.transaction('areas').objectStore('areas').get('last');
      g.onsuccess = () => { out.area = g.result ? g.result.features.length : null; d.close(); resolve(out); };
      g.onerror = () => { d.close(); resolve(out); };
    };
  }));
}

/** Great-circle distance, metres (haversine on the IUGG mean radius), computed here. */
function metres(a, b) {
  const r = Math.PI / 180;
  const h = Math.sin(((b[1] - a[1]) * r) / 2) ** 2
    + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(((b[0] - a[0]) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

// Regression (issue 18): this test was skipped as flaky. Found: the outbox only retried on
// the `online` event or once a minute, and Chromium does not always fire `online` after an
// offline reload (navigator.onLine stays true), so the queued suggestion went out after up
// to 60 s. Also fixed: a superseded nearest query whose error arrived late could overwrite
// the newer answer with "服务暂时不可用：Failed to fetch" (that symptom was seen once more
// under heavy machine load, not reproduced since). A failing step quotes the page's warnings.
// Skipped again after one failure in a fresh-clone run (after the offline reload nearest said
// "服务暂时不可用：Failed to fetch": the page read no kept area). Not reproduced since in 40
// runs under load (alone, with busy loops, inside the full e2e suite, with the page's CPU
// slowed 6×); the fixed page passed 20 in a row with three busy loops. The page no longer depends on that one record (the points received in the
// visit answer when it cannot be read; with neither, it says there is no kept data instead
// of a server error), and a failure now quotes everything the page and its worker logged and
// what IndexedDB held at that moment (written to $NUANXIN_E2E_ARTIFACTS/offline-console.log).
// NUANXIN_E2E_CPU_SLOWDOWN=N runs the page N times slower (DevTools CPU throttling: a slow phone).
test('offline: the app loads, nearest answers from the device, a suggestion is queued and sent once', async () => {
  const ctx = browser.context;
  const page = await ctx.newPage();
  await page.setViewportSize(PHONE);
  const slowdown = Number(process.env.NUANXIN_E2E_CPU_SLOWDOWN || 1);
  if (slowdown > 1) {
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
  }
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // Everything the page and its service worker log, quoted when a step fails.
  const t0 = Date.now();
  const note = (src, m) => log.push(`${((Date.now() - t0) / 1000).toFixed(2)} ${src} ${m.type()}: ${m.text()}`);
  page.on('console', (m) => note('page', m));
  const watch = (w) => w.on('console', (m) => note('sw', m));
  ctx.serviceWorkers().forEach(watch);
  ctx.on('serviceworker', watch);
  page.on('requestfailed', (r) => log.push(`${((Date.now() - t0) / 1000).toFixed(2)} failed ${r.url()} ${r.failure()?.errorText}`));
  page.on('load', () => log.push(`${((Date.now() - t0) / 1000).toFixed(2)} load`));
  const external = [];
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    external.push(u);
    return route.abort();
  });

  // 1. Online: the service worker installs and takes control; a tap lists the nearest and
  //    the page keeps the area's points.
  // (A first visit to a fresh debug server compresses every file on first request: slow on a
  // loaded machine.)
  await page.goto(`${BASE}/`, { timeout: 90000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await page.waitForSelector('body[data-offline-ready="1"]', { timeout: 30000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15000 });
  await tapMap(page, TAP);
  await page.waitForSelector('#nearest-list > li[data-id]');
  const here = await page.evaluate(() => window.nuanxin.courier().here);
  for (let i = 0; ; i += 1) {
    const kept = await storedArea(page);
    if (kept?.area) break;
    if (i >= 40) throw new Error(`no area kept on the device after 20 s: ${JSON.stringify(kept)}\n${log.slice(-60).join('\n')}`);
    await page.waitForTimeout(500);
  }

  // The reference: every station of the area from the API, ranked here by distance.
  const all = await (await fetch(`${BASE}/api/v1/points?kind=station&bbox=${here[0] - 0.1},${here[1] - 0.1},${here[0] + 0.1},${here[1] + 0.1}&limit=5000`)).json();
  const want = all.features
    .map((f) => ({ id: String(f.properties.id), d: metres(here, f.geometry.coordinates) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, 5);

  // 2. Offline: a repeat visit loads from the service worker, and nearest answers.
  await ctx.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const down = await page.evaluate(() => fetch('/api/v1/nearest?lon=112.97&lat=28.19').then(() => 'reached', () => 'offline'));
  assert.equal(down, 'offline', 'the network is really cut');
  await tapMap(page, here);
  await page.waitForSelector('#nearest-list .badge.offline', { timeout: 20000 }).catch(async (e) => {
    const s = await page.evaluate(() => ({ status: document.getElementById('courier-status').textContent, here: window.nuanxin.courier().here, online: navigator.onLine }));
    s.stored = await storedArea(page);
    throw new Error(`${e.message.split('\n')[0]}: ${JSON.stringify(s)}\n${log.slice(-60).join('\n')}`);
  });
  const got = await page.$$eval('#nearest-list > li[data-id]', (els) => els.map((e) => e.dataset.id));
  assert.deepEqual(got, want.map((w) => w.id), 'offline ranking = straight-line ranking of the cached stations');
  const tapped = await page.evaluate(() => window.nuanxin.courier().here);
  const first = await page.textContent('#nearest-list li .dist');
  const d0 = metres(tapped, all.features.find((f) => String(f.properties.id) === want[0].id).geometry.coordinates);
  const expect = d0 < 1000 ? `${Math.round(d0)} 米` : `${(d0 / 1000).toFixed(d0 < 10000 ? 1 : 0)} 公里`;
  assert.equal(first.trim(), expect);
  const said = await page.textContent('#courier-status');
  assert.match(said, /离线.*直线.*(分钟前|刚刚更新)/);
  // From the area kept on the device (the fallback, the visit's points, says it may be incomplete).
  assert.doesNotMatch(said, /范围外/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-offline-nearest.png') });

  // 3. A suggestion filed offline is queued (待发送), not lost and not yet on the server.
  const text = `离线提交的建议 e2e ${Date.now().toString(36)}`;
  await page.click('#tab-suggest');
  await tapMap(page, [TAP[0] + 0.002, TAP[1] + 0.001]);
  await page.waitForSelector('#sg-where.set');
  await page.click('#suggest-form input[name="category"][value="rest"]', { force: true });
  await page.fill('#sg-desc', text);
  await page.click('#sg-submit');
  await page.waitForSelector('#queued', { timeout: 10000 });
  assert.match(await page.textContent('#queued'), /待发送/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-offline-queued.png') });
  assert.equal((await filedWith(text)).length, 0);

  // 4. Back online: it is sent, the receipt replaces 待发送, and it is on the server once.
  //    The `online` event may never come: after an offline reload Chromium can report the
  //    page online all along, so the outbox must not depend on it (it retries on its own,
  //    2 s, 4 s, 8 s …). Counted: the sends that reached the server (an answer came
  //    back); attempts while offline fail before leaving the device.
  const sent = [];
  page.on('requestfinished', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/suggestions')) sent.push({ key: r.headers()['idempotency-key'], body: r.postData() });
  });
  await ctx.setOffline(false);
  await page.waitForSelector('#receipt', { timeout: 30000 }).catch((e) => {
    throw new Error(`${e.message.split('\n')[0]}\n${log.slice(-60).join('\n')}`);
  });
  const id = (await page.textContent('#receipt-id')).trim();
  await page.screenshot({ path: path.join(ARTIFACTS, 'phone-offline-sent.png') });
  // A second flush (another `online` event, a reload) finds nothing left to send.
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await page.waitForTimeout(1500);
  // The reply to a send can be lost on the way back: the same key sent again (as the outbox
  // would) answers the first receipt and files nothing new.
  assert.equal(sent.length, 1);
  assert.match(sent[0].key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const again = await fetch(`${BASE}/api/v1/suggestions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': sent[0].key }, body: sent[0].body,
  });
  assert.ok(again.status === 200 || again.status === 201, `repeat: ${again.status}`);
  assert.equal((await again.json()).id, id);
  const filed = await filedWith(text);
  assert.equal(filed.length, 1, JSON.stringify(filed.map((s) => s.id)));
  assert.equal(filed[0].id, id);
  assert.equal(filed[0].category, 'rest');
  const queuedLeft = await page.evaluate(() => new Promise((resolve) => {
    const req = indexedDB.open('nuanxin');
    req.onsuccess = () => {
      const g = req.result.transaction('outbox').objectStore('outbox').count();
      g.onsuccess = () => resolve(g.result);
    };
  }));
  assert.equal(queuedLeft, 0);
  assert.deepEqual(external, []);
  assert.deepEqual(errors, []);
  await page.close();
});
