// The 演示数据 banner (issue 15): while the server serves demonstration points (the suite's
// server serves the embedded demo set), every view shows it over the map — riders, planners
// and officers alike — so synthetic stations never pass for real ones.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, PHONE, DESKTOP } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the demo-data banner is shown in the courier, planner and officer views', async () => {
  const config = await (await fetch(`${BASE}/config.json`)).json();
  assert.ok(config.demo_points > 0, 'the suite serves the demo set');
  for (const viewport of [PHONE, DESKTOP]) {
    const page = await browser.context.newPage();
    await page.setViewportSize(viewport);
    await page.goto(`${BASE}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    for (const view of ['courier', 'planner', 'officer']) {
      await page.evaluate((v) => { location.hash = `#${v}`; }, view);
      await page.waitForFunction((v) => document.body.dataset.view === v, view);
      const banner = page.locator('#demo-banner');
      assert.ok(await banner.isVisible(), `${view} at ${viewport.width}px: banner hidden`);
      assert.match(await banner.innerText(), /演示数据|Demo data/);
      // Not covered by anything drawn over the map at its centre.
      const covered = await page.evaluate(() => {
        const r = document.getElementById('demo-banner').getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !document.getElementById('demo-banner').contains(top);
      });
      assert.equal(covered, false, `${view}: banner covered`);
    }
    await page.close();
  }
});
