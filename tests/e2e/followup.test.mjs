// End-to-end test of following a suggestion (issue 14): a resident files on a phone with
// an email address and gets a tracking id and a 6-character code; an officer assigns a
// department and answers in the officer view; the resident receives the email (read from
// the local SMTP server's mailbox, $NUANXIN_E2E_MAILDIR) and, on a second browser (its own
// profile: nothing stored from the first), types the id and code and sees the answer and
// the department. Same server as the other e2e tests (scripts/test.d/e2e.sh).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { DESKTOP, launch, PHONE, tapMap } from './browser.mjs';

const BASE = process.env.NUANXIN_URL || 'http://127.0.0.1:8080';
const OFFICER_TOKEN = process.env.NUANXIN_E2E_OFFICER_TOKEN || '';
const MAILDIR = process.env.NUANXIN_E2E_MAILDIR || '';

// The messages the local SMTP server received for `to` (scripts/smtp_sink.py: one JSON
// file each, decoded from the MIME message), waiting up to `ms` for one that `pred` accepts.
async function mailFor(to, pred, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const names = await readdir(MAILDIR).catch(() => []);
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      const m = JSON.parse(await readFile(`${MAILDIR}/${n}`, 'utf8'));
      if (m.to.includes(to) && pred(m)) return m;
    }
    if (Date.now() > end) throw new Error(`no email to ${to} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
// In 芙蓉区, away from the places the other tests file at.
const AT = [113.0305, 28.2012];

let resident;
let other;
before(async () => { resident = await launch(); other = await launch(); });
after(async () => { await resident?.close(); await other?.close(); });

/** Appends secrets this test created to the suite's list (scripts/test.d/zz-secret-grep.sh). */
function recordSecrets(values) {
  const file = process.env.NUANXIN_TEST_SECRETS;
  if (!file) return;
  for (const v of values) if (typeof v === 'string' && v.length >= 6) appendFileSync(file, `${v}\n`);
}

async function open(browser, viewport, hash) {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  return { page, problems };
}

describe('following a suggestion', () => {
  test('filed on a phone, answered by an officer, looked up on another browser by its code', async (t) => {
    if (!OFFICER_TOKEN) return t.skip('no officer token');
    // 1. the resident files on a phone
    const { page, problems } = await open(resident, PHONE, '#suggest');
    await tapMap(page, AT);
    await page.waitForSelector('#sg-where.set');
    await page.click('#suggest-form input[name="category"][value="parking"]', { force: true });
    const text = `电动车没有地方停 e2e ${Date.now().toString(36)}`;
    await page.fill('#sg-desc', text);
    const address = `resident.${Date.now().toString(36)}@example.com`;
    await page.fill('#sg-contact', address);
    await page.click('#sg-submit');
    await page.waitForSelector('#receipt-code', { timeout: 15000 });
    const id = (await page.textContent('#receipt-id')).trim();
    const shown = (await page.textContent('#receipt-code')).trim();
    assert.match(shown, /^[0-9A-HJKMNP-TV-Z]{3} [0-9A-HJKMNP-TV-Z]{3}$/);
    // the code (as shown and as typed), and every token this device keeps for its receipts
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('nuanxin.receipts') || '[]'));
    recordSecrets([shown.replace(' ', ''), address, ...kept.flatMap((r) => [r.token, r.receipt_token, r.code])]);
    // large enough to read: at least 24 px
    const size = await page.$eval('#receipt-code', (e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(size >= 24, `code font ${size}px`);
    // kept in 我的建议 on this device
    await page.reload();
    await page.waitForSelector('#mine-list', { timeout: 30000 });
    assert.ok((await page.textContent('#mine-list')).includes(id));
    assert.deepEqual(problems, []);

    // 2. the officer assigns 城管 and answers
    const off = await open(resident, DESKTOP, '#officer');
    // The officer view is loaded when first opened: wait for it to render either way.
    await off.page.waitForSelector('#of-token, #of-queue', { state: 'attached' });
    if (await off.page.locator('#of-token').count()) {
      await off.page.fill('#of-token', OFFICER_TOKEN);
      await off.page.click('#officer-body button[type="submit"]');
    }
    await off.page.waitForSelector('#of-whoami:not(:empty)');
    const item = off.page.locator(`#of-queue li[data-id="${id}"]`);
    await item.waitFor();
    await item.locator('details.triage summary').click();
    await item.locator('select.of-dep').selectOption('城管');
    await item.locator('button.of-dep-go').click();
    await off.page.waitForSelector(`#of-queue li[data-id="${id}"] details.triage`);
    await off.page.waitForFunction(async (sid) => {
      const r = await fetch(`/api/v1/suggestions/${encodeURIComponent(sid)}`);
      return (await r.json()).department === '城管';
    }, id, { timeout: 10000 });
    const again = off.page.locator(`#of-queue li[data-id="${id}"]`);
    await again.locator('select').first().selectOption('accepted');
    await again.locator('textarea').fill('城管已受理，三日内清理停车区');
    await again.locator('button.primary').click();
    await off.page.waitForFunction(async (sid) => {
      const r = await fetch(`/api/v1/suggestions/${encodeURIComponent(sid)}`);
      return (await r.json()).status === 'accepted';
    }, id, { timeout: 10000 });
    await off.page.close();
    await page.close();

    // 2b. the resident is told by email: status, answer, department, tracking id and link;
    // never the receipt code
    if (MAILDIR) {
      const mail = await mailFor(address, (m) => m.body.includes('城管已受理，三日内清理停车区'));
      assert.ok(mail.subject.includes(id), mail.subject);
      assert.ok(mail.body.includes('状态：已受理'), mail.body);
      assert.ok(mail.body.includes('办理部门：城管'), mail.body);
      assert.ok(mail.body.includes(`/#s/${id}`), mail.body);
      const plain = shown.replace(' ', '');
      assert.ok(!mail.body.includes(plain) && !mail.body.includes(shown), 'no receipt code in the email');
    }

    // 3. another browser: nothing stored; the resident types the id and code
    const b = await open(other, PHONE, '#suggest');
    const urls = [];
    b.page.on('request', (r) => urls.push(r.url()));
    await b.page.fill('#sg-lookup', id.toLowerCase());
    await b.page.fill('#sg-lookup-code', shown.toLowerCase());
    await b.page.click('#sg-lookup-form button[type="submit"]');
    await b.page.waitForSelector('#status-page', { timeout: 15000 });
    const status = await b.page.textContent('#status-page');
    assert.ok(status.includes('城管已受理，三日内清理停车区'), status);
    assert.ok(status.includes('城管'));
    assert.ok(status.includes(text));
    // the code never went into a URL
    const code = shown.replace(' ', '');
    assert.ok(urls.every((u) => !u.toUpperCase().includes(code)), urls.join('\n'));
    assert.deepEqual(b.problems, []);
    await b.page.close();
  });
});
