// Launches the system Chromium (Debian `chromium`) through playwright-core; never downloads
// a browser. Each launch gets a fresh profile directory. Also the map helpers the tests share.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'nuanxin-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    ],
    viewport: { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const PHONE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

/** Waits until the map has loaded what it shows and stopped moving (at most 8 s). */
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => {
    const m = window.nuanxin.map;
    const t0 = Date.now();
    let calm = 0;
    const tick = () => {
      calm = m.loaded() && !m.isMoving() && m.areTilesLoaded() ? calm + 1 : 0;
      if (calm >= 3 || Date.now() - t0 > 8000) r();
      else setTimeout(tick, 100);
    };
    m.triggerRepaint();
    tick();
  }));
}

/** Taps the map at [lon, lat] (converted to a pixel by the map itself) at zoom 13. */
export async function tapMap(page, lonLat) {
  await page.evaluate((ll) => window.nuanxin.map.jumpTo({ center: ll, zoom: 13 }), lonLat);
  await settle(page);
  const px = await page.evaluate((ll) => { const p = window.nuanxin.map.project(ll); return [p.x, p.y]; }, lonLat);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + px[0], box.y + px[1]);
}
