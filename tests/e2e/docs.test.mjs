// The API documentation page (/api/docs): its script is a file of web/ (web/docs.js, served
// at /api/docs.js), so the page's Content-Security-Policy (`script-src 'self'`, no inline
// script) holds; the script renders every operation of /api/openapi.json.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the API documentation page renders every operation under its CSP, with no console error', async () => {
  const doc = await (await fetch(`${BASE}/api/openapi.json`)).json();
  const operations = Object.values(doc.paths)
    .flatMap((item) => ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m])).length;
  const page = await browser.context.newPage();
  const problems = [];
  // (the browser's own request for /favicon.ico is not the page's)
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
  const resp = await page.goto(`${BASE}/api/docs`);
  const csp = resp.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'(;|$)/, csp);
  await page.waitForSelector('#doc details', { timeout: 20000 });
  const rendered = await page.$$eval('#doc details', (d) => d.length);
  assert.equal(rendered, operations, 'one entry per operation');
  const text = await page.textContent('#doc');
  assert.ok(text.includes('/api/v1/vocabulary') && text.includes('/api/v1/nearest'), 'paths listed');
  // the vocabulary operation's response lists the fields of its schema when opened
  const summary = page.locator('#doc summary', { hasText: '/api/v1/vocabulary' });
  await summary.click();
  assert.match(await page.locator('#doc details[open]').innerText(), /Vocabulary/);
  assert.deepEqual(problems, []);
  await page.close();
});
