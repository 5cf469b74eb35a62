// A deploy seen by a returning visitor (issue 18, weak signal): the service worker keeps each
// precached file under its revision (SHA-256 of its content, listed in /sw.js), so a new build
// downloads only the files that changed, never MapLibre again, and the page does not stay on
// the old build: untouched, it reloads into the new one; once the user has tapped or typed, it
// shows a 刷新 bar instead (nothing typed is lost). A file that does not match its listed
// revision fails the update: the page stays on the build it has.
//
// The deploy is played by a proxy in this test, in front of the real server (same server as
// map.test.mjs): after the first visit it serves a changed /app.js (a line appended that marks
// <html data-e2e-deploy>) and the /sw.js the server would build for it (the manifest's
// revision of /app.js is the SHA-256 of the new body, computed here, and a new build id). Every
// request that reaches the proxy is recorded: that is what left the phone.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { launch, PHONE } from './browser.mjs';

const UPSTREAM = new URL(process.env.NUANXIN_URL || 'http://127.0.0.1:8080');

/** The deploy the proxy plays: null (the server as it is), or { n, appJs, swJs }. */
let deploy = null;
/** Paths requested through the proxy (query strings included). */
let seen = [];

const proxy = http.createServer((req, res) => {
  seen.push(req.url);
  const path = req.url.split('?')[0];
  if (deploy && (path === '/sw.js' || path === '/app.js')) {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(path === '/sw.js' ? deploy.swJs : deploy.appJs);
    return;
  }
  const up = http.request({
    host: UPSTREAM.hostname, port: UPSTREAM.port, path: req.url, method: req.method,
    headers: { ...req.headers, host: UPSTREAM.host },
  }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
  up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
});

let browser;
let BASE;
before(async () => {
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  BASE = `http://127.0.0.1:${proxy.address().port}`;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => proxy.close(r));
});

const rev = (text) => crypto.createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex').slice(0, 32);

/** The server's manifest: [[path, rev], …] from its /sw.js. */
function manifestOf(swJs) {
  return JSON.parse(swJs.match(/^const PRECACHE = (.*);$/m)[1]);
}

/** Deploy number `n`: app.js with a line appended, and the worker the server would build for it. */
async function makeDeploy(n) {
  const swJs = await (await fetch(new URL('/sw.js', UPSTREAM))).text();
  const appJs = `${await (await fetch(new URL('/app.js', UPSTREAM))).text()}\ndocument.documentElement.dataset.e2eDeploy = '${n}';\n`;
  const manifest = manifestOf(swJs).map(([p, r]) => [p, p === '/app.js' ? rev(appJs) : r]);
  const build = rev(JSON.stringify(manifest)).slice(0, 16);
  const newSw = swJs
    .replace(/^const PRECACHE = .*;$/m, `const PRECACHE = ${JSON.stringify(manifest)};`)
    .replace(/^const BUILD = '[0-9a-f]+';$/m, `const BUILD = '${build}';`);
  assert.notEqual(newSw, swJs);
  return { n, appJs, swJs: newSw };
}

/** What the page's worker keeps: keys of `nuanxin-precache` and the cache names. */
function cached(page) {
  return page.evaluate(async () => ({
    names: await caches.keys(),
    keys: (await (await caches.open('nuanxin-precache')).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search),
  }));
}

test('a new build downloads only the changed files (not MapLibre) and the page moves to it', async () => {
  const ctx = browser.context;
  const page = await ctx.newPage();
  await page.setViewportSize(PHONE);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  const swLog = [];
  const watch = (w) => w.on('console', (m) => swLog.push(m.text()));
  ctx.serviceWorkers().forEach(watch);
  ctx.on('serviceworker', watch);

  // 1. First visit: the worker installs and downloads every file of the manifest once.
  const manifest = manifestOf(await (await fetch(new URL('/sw.js', UPSTREAM))).text());
  const maplibre = manifest.map(([p]) => p).find((p) => /\/vendor\/maplibre-gl-[\d.]+\/maplibre-gl\.js$/.test(p));
  assert.ok(maplibre, 'MapLibre is precached');
  await page.goto(`${BASE}/`, { timeout: 90000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  await page.waitForSelector('body[data-offline-ready="1"]', { timeout: 60000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  assert.ok(seen.includes(maplibre), 'the first install downloads MapLibre');
  const first = await cached(page);
  assert.deepEqual(first.names.filter((n) => n.startsWith('nuanxin-shell-')), []);
  assert.deepEqual(first.keys.sort(), manifest.map(([p, r]) => `${p}?__rev=${r}`).sort());

  // 2. Deploy 2, a visit that has not touched anything: the old build is shown from the
  //    cache, its worker finds the new one, which downloads /app.js alone; the page reloads.
  deploy = await makeDeploy(2);
  seen = [];
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.e2eDeploy === '2', null, { timeout: 60000 })
    .catch((e) => { throw new Error(`${e.message.split('\n')[0]}\nrequests: ${seen.join(' ')}\nworker: ${swLog.join('\n')}`); });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  const shell = new Set(manifest.map(([p]) => p));
  const downloaded = seen.map((u) => u.split('?')[0]).filter((p) => shell.has(p));
  assert.deepEqual([...new Set(downloaded)], ['/app.js'], `precached files downloaded for deploy 2: ${seen.join(' ')}`);
  assert.ok(seen.includes('/sw.js'));
  assert.ok(!seen.some((u) => u.includes('/vendor/')), 'MapLibre is not fetched again');
  const second = await cached(page);
  assert.equal(second.keys.length, manifest.length, 'the old revision of app.js is dropped');
  assert.ok(second.keys.includes(`/app.js?__rev=${rev(deploy.appJs)}`));
  assert.ok(second.keys.includes(manifest.find(([p]) => p === maplibre).join('?__rev=')), 'MapLibre kept across builds');

  // 3. Deploy 3 while the rider is using the map (a tap): no reload under their finger, a
  //    bar offers the new version; its button reloads into it.
  await page.mouse.click(180, 300);
  deploy = await makeDeploy(3);
  seen = [];
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await page.waitForSelector('#update-bar', { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.e2eDeploy), '2', 'no reload after a tap');
  assert.match(await page.textContent('#update-bar'), /地图已更新到新版本\s*刷新/);
  const button = await page.locator('#update-bar button').boundingBox();
  assert.ok(button.height >= 44, `button ${button.height} px high`);
  // Regression (polish): on a 360 px phone the bar sat on the top bar, over the tabs and the
  // language switch. It covers neither the top bar nor the place search, and stays on screen.
  const covered = await page.evaluate(() => {
    const bar = document.getElementById('update-bar').getBoundingClientRect();
    const hit = (sel) => {
      const r = document.querySelector(sel).getBoundingClientRect();
      return !(bar.right <= r.left || bar.left >= r.right || bar.bottom <= r.top || bar.top >= r.bottom);
    };
    return {
      covers: ['.topbar', '#place-search'].filter(hit),
      inside: bar.left >= 0 && bar.top >= 0 && bar.right <= innerWidth && bar.bottom <= innerHeight,
    };
  });
  assert.deepEqual(covered, { covers: [], inside: true });
  await page.click('#update-bar button');
  await page.waitForFunction(() => document.documentElement.dataset.e2eDeploy === '3', null, { timeout: 60000 });
  assert.deepEqual([...new Set(seen.map((u) => u.split('?')[0]).filter((p) => shell.has(p)))], ['/app.js']);

  // 4. A deploy whose /app.js does not match its listed revision (changed again on the server
  //    mid-update, or altered on the way): the install fails, nothing is stored under that
  //    revision, and the page stays on deploy 3, served by its worker.
  const rev3 = rev(deploy.appJs);
  const bad = await makeDeploy(4);
  const listed = manifestOf(bad.swJs).find(([p]) => p === '/app.js')[1];
  deploy = { ...bad, appJs: `${bad.appJs}// altered on the way\n` };
  seen = [];
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()).catch(() => undefined));
  await page.waitForFunction(() => navigator.serviceWorker.getRegistration().then((r) => !r.installing && !r.waiting), null, { timeout: 30000 });
  assert.ok(seen.includes('/app.js'), 'the new worker tried to download app.js');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.e2eDeploy), '3');
  const kept = await cached(page);
  assert.ok(!kept.keys.includes(`/app.js?__rev=${listed}`), 'nothing stored under the listed revision');
  assert.ok(kept.keys.includes(`/app.js?__rev=${rev3}`), 'deploy 3 is still kept');
  assert.deepEqual(errors, []);
  await page.close();
});
