// Travel times along roads in the page (run by scripts/test.d/45-roads-web.sh against a server
// started with `--roads` on the Helsinki test extract and its six test stations): the courier
// list ranks by travel time and labels it 沿道路, the route is drawn, and the planner's
// 直线 / 沿道路 switch draws network service areas. Screenshots at phone and desktop sizes.
// Not a `*.test.mjs` file: it needs that server, not the one of e2e.sh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DESKTOP, launch, PHONE, settle, tapMap } from './browser.mjs';

const BASE = process.env.NUANXIN_URL;
const ARTIFACTS = process.env.NUANXIN_E2E_ARTIFACTS || path.resolve('../../target/e2e-artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });
// Mannerheimintie by Finlandia Hall (the README walkthrough): the station across Töölönlahti
// bay (东岸驿站, 295 m) is the nearest as the crow flies, but a walk of more than 1.8 km by
// road, so along roads 曼纳海姆大街驿站 (423 m straight) comes first.
const ORIGIN = [24.937214, 60.175607];

const config = await (await fetch(`${BASE}/config.json`)).json();
assert.equal(config.roads, true, 'config.json says the server has roads');
const byTime = await (await fetch(`${BASE}/api/v1/nearest?lon=${ORIGIN[0]}&lat=${ORIGIN[1]}&mode=walk&k=3&by=time`)).json();
assert.equal(byTime.features[0].properties.name, '曼纳海姆大街驿站');
const straight = await (await fetch(`${BASE}/api/v1/nearest?lon=${ORIGIN[0]}&lat=${ORIGIN[1]}&mode=walk&k=3`)).json();
assert.equal(straight.features[0].properties.name, '东岸驿站');

const browser = await launch();
const problems = [];
async function openPage(vp, hash = '') {
  const page = await browser.context.newPage();
  await page.setViewportSize(vp);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(BASE) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    problems.push(`external request: ${u}`);
    return route.abort();
  });
  await page.goto(`${BASE}/${hash}`, { timeout: 120000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  await settle(page);
  return page;
}
async function shot(page, name) {
  await page.waitForTimeout(800);
  await settle(page);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

try {
  for (const [name, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    // Courier: walk, tap the origin.
    const page = await openPage(vp);
    await page.click('#mode-seg [data-value="walk"]');
    await tapMap(page, ORIGIN);
    // The server's answer, not the list the page computes on the device when the API is slower
    // than its weak-signal wait (courier.js WEAK_SIGNAL_MS, 6 s: a debug server routing on a
    // loaded machine can be): that one is straight-line and marked offline, and the server's
    // answer replaces it when it comes. A fixed time would fail under load.
    await page.waitForFunction(() => {
      const s = window.nuanxin.courier();
      return s.results.length > 0 && s.offline === null;
    }, null, { timeout: 120000 });
    const here = await page.evaluate(() => window.nuanxin.courier().here);
    const api = await (await fetch(`${BASE}/api/v1/nearest?lon=${here[0].toFixed(6)}&lat=${here[1].toFixed(6)}&kind=station&mode=walk&k=5&by=time&route=true`)).json();
    const names = await page.$$eval('#nearest-list .card-title', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, api.features.map((f) => f.properties.name), 'the list is the API order by travel time');
    assert.equal(names[0], '曼纳海姆大街驿站');
    // Each time says how it was made; the first is along roads and equals the API's minutes.
    const mins = await page.$$eval('#nearest-list .mins', (els) => els.map((e) => [e.dataset.model, e.textContent]));
    assert.equal(mins[0][0], 'network');
    const n = Math.max(1, Math.ceil(api.features[0].properties.travel_time_s / 60));
    assert.equal(mins[0][1], `沿道路 ${n} 分钟 · 步行`);
    // The big distance is the road distance when the time is along roads (regression: the card
    // read "东岸驿站 296 米 · 沿道路 8 分钟" for a 1.8 km walk), else the straight line, labelled 直线.
    const dists = await page.$$eval('#nearest-list .dist', (els) => els.map((e) => e.textContent));
    const fmt = (m) => (m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} 公里`);
    assert.deepEqual(dists, api.features.map((f) => (f.properties.model === 'network' ? fmt(f.properties.network_distance_m) : `直线 ${fmt(f.properties.distance_m)}`)));
    // The route to the first station is drawn: a line from the origin to the station.
    await page.waitForFunction(() => window.nuanxin.map.queryRenderedFeatures({ layers: ['route-line'] }).length > 0, null, { timeout: 15000 });
    const route = api.features[0].properties.route.coordinates;
    assert.ok(route.length >= 3, JSON.stringify(route));
    await shot(page, `roads-courier-${name}`);
    // The card says the trip along roads and its length.
    await page.click('#nearest-list > li:first-child > button');
    await page.waitForSelector('#station-card:not([hidden])');
    const card = await page.textContent('#station-card');
    assert.match(card, /路程.*沿道路 \d+ 分钟 · 步行.*沿道路 \d+ 米/);
    await shot(page, `roads-station-card-${name}`);
    await page.close();

    // Planner: 沿道路 is offered and chosen; the current map view over the extract.
    const pl = await openPage(vp, '#planner');
    assert.equal(await pl.isDisabled('#pl-model-network'), false);
    assert.equal(await pl.isChecked('#pl-model-network'), true);
    assert.equal(await pl.isHidden('#pl-model-note'), true);
    await pl.evaluate(() => window.nuanxin.map.jumpTo({ center: [24.9443, 60.1716], zoom: 14.3 }));
    await settle(pl);
    await pl.selectOption('#pl-area', 'view');
    await pl.selectOption('#pl-mode', 'walk');
    await pl.selectOption('#pl-demand', 'none');
    await pl.fill('#pl-k', '1');
    await pl.click('#pl-run');
    await pl.waitForSelector('body[data-planner-drawn="1"]', { timeout: 180000 }).catch(async (e) => {
      throw new Error(`${e.message}\nplanner: ${await pl.textContent('#planner-out')}\nproblems: ${problems.join('\n')}`);
    });
    assert.match(await pl.textContent('#pl-model'), /沿道路/);
    // The drawn service areas are network ones (not circles).
    const models = await pl.evaluate(async () => {
      const d = await window.nuanxin.map.getSource('pl-circles').getData();
      return d.features.map((f) => f.properties.model);
    });
    assert.ok(models.length >= 1 && models.every((m) => m === 'network'), JSON.stringify(models));
    await shot(pl, `roads-planner-${name}`);
    // A demand layer with no data in Helsinki: the headline says so (not "需求覆盖率 0.0%"), and
    // why there are no proposals.
    await pl.selectOption('#pl-demand', 'builtup');
    await pl.evaluate(() => { delete document.body.dataset.plannerDrawn; });
    await pl.click('#pl-run');
    await pl.waitForSelector('body[data-planner-drawn="1"]', { timeout: 180000 });
    const head = await pl.textContent('#pl-summary');
    assert.match(head, /无需求数据/);
    assert.doesNotMatch(head, /0\.0%（/);
    if (!(await pl.locator('#pl-proposals li').count())) assert.match(await pl.textContent('#pl-no-proposals'), /未建议新增点位：/);
    await shot(pl, `roads-planner-nodemand-${name}`);
    await pl.close();
  }
  assert.deepEqual(problems, []);
  console.log('roads web check: ok');
} finally {
  await browser.close();
}
