// Unit tests of web/ui.js: DOM helpers (text never becomes markup) and formatting.
import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { installDom } from './dom.mjs';

installDom(`<!doctype html><html lang="zh-CN"><head><style>
  :root { --kind-station: #c2410c; --kind-unknown: #495057; --status-resolved: #237032; }
</style></head><body><div id="toast" hidden></div></body></html>`);
const ui = await import('../../web/ui.js');
const i18n = await import('../../web/i18n.js');

describe('el', () => {
  test('sets attributes, class, dataset, text and listeners', () => {
    let clicks = 0;
    const b = ui.el('button', { class: 'btn primary', 'aria-label': 'Go', dataset: { kind: 'station' }, onclick: () => { clicks += 1; }, disabled: true, hidden: false, title: null });
    assert.equal(b.tagName, 'BUTTON');
    assert.equal(b.className, 'btn primary');
    assert.equal(b.getAttribute('aria-label'), 'Go');
    assert.equal(b.dataset.kind, 'station');
    assert.equal(b.getAttribute('disabled'), '', 'true is a boolean attribute');
    assert.ok(!b.hasAttribute('hidden'), 'false is left out');
    assert.ok(!b.hasAttribute('title'), 'null is left out');
    b.click();
    assert.equal(clicks, 0, 'a disabled button is not clicked');
    b.removeAttribute('disabled');
    b.click();
    assert.equal(clicks, 1);
  });
  test('children: nodes, strings and numbers, nested arrays flattened, null/false skipped', () => {
    const p = ui.el('p', {}, 'a', [ui.el('b', {}, 'b'), [null, 3]], false, undefined);
    assert.equal(p.textContent, 'ab3');
    assert.equal(p.childNodes.length, 3);
    assert.equal(p.querySelector('b').textContent, 'b');
  });
  test('text that looks like markup stays text', () => {
    const evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    const p = ui.el('p', {}, evil);
    assert.equal(p.textContent, evil);
    assert.equal(p.children.length, 0, 'no element was parsed from the string');
    const q = ui.el('p', { text: evil });
    assert.equal(q.children.length, 0);
    assert.equal(q.textContent, evil);
  });
});

test('clear removes every child and returns the node', () => {
  const d = ui.el('div', {}, ui.el('span'), 'x', ui.el('i'));
  assert.equal(ui.clear(d), d);
  assert.equal(d.childNodes.length, 0);
});

test('showError puts one alert in the container', () => {
  const box = ui.el('div', {}, ui.el('p', {}, 'old'));
  ui.showError(box, 'Service unavailable');
  assert.equal(box.children.length, 1);
  const p = box.firstElementChild;
  assert.equal(p.getAttribute('role'), 'alert');
  assert.equal(p.className, 'notice error');
  assert.equal(p.textContent, 'Service unavailable');
});

test('toast shows the message in the live region with its kind', () => {
  ui.toast('已复制');
  const box = document.getElementById('toast');
  assert.equal(box.hidden, false);
  assert.equal(box.textContent, '已复制');
  assert.equal(box.dataset.kind, 'info');
  ui.toast('出错了', 'error');
  assert.equal(box.dataset.kind, 'error');
});

describe('fmtDistance', () => {
  beforeEach(() => i18n.setLang('zh'));
  test('metres under 1 km, one decimal under 10 km, whole km beyond', () => {
    assert.equal(ui.fmtDistance(0), '0 米');
    assert.equal(ui.fmtDistance(349.6), '350 米');
    assert.equal(ui.fmtDistance(999.4), '999 米');
    assert.equal(ui.fmtDistance(1000), '1.0 公里');
    assert.equal(ui.fmtDistance(1234), '1.2 公里');
    assert.equal(ui.fmtDistance(9950), '9.9 公里'); // 9.95 in binary is just under 9.95
    assert.equal(ui.fmtDistance(12_345), '12 公里');
    i18n.setLang('en');
    assert.equal(ui.fmtDistance(350), '350 m');
    assert.equal(ui.fmtDistance(1500), '1.5 km');
  });
  test('not a number gives an empty string', () => {
    assert.equal(ui.fmtDistance(NaN), '');
    assert.equal(ui.fmtDistance(undefined), '');
    assert.equal(ui.fmtDistance(Infinity), '');
  });
});

test('fmtMinutes rounds up to whole minutes, at least 1', () => {
  assert.equal(ui.fmtMinutes(0), 1);
  assert.equal(ui.fmtMinutes(0.2), 1);
  assert.equal(ui.fmtMinutes(4), 4);
  assert.equal(ui.fmtMinutes(4.01), 5);
});

describe('fmtTime', () => {
  test('empty for nothing, the input for an unparsable time', () => {
    assert.equal(ui.fmtTime(''), '');
    assert.equal(ui.fmtTime(null), '');
    assert.equal(ui.fmtTime('not a time'), 'not a time');
  });
  test('a date and a 24-hour time in the page language', () => {
    const s = ui.fmtTime('2026-12-01T02:05:00Z');
    // 2026-12-01 02:05 UTC in whatever zone the test runs in: the digits of the local time
    const d = new Date('2026-12-01T02:05:00Z');
    const pad = (n) => String(n).padStart(2, '0');
    assert.ok(s.includes(`${pad(d.getHours())}:${pad(d.getMinutes())}`), s);
    assert.ok(s.includes(String(d.getFullYear())), s);
    assert.ok(!/AM|PM|上午|下午/.test(s), s);
  });
});

describe('colours from style.css custom properties', () => {
  test('cssVar reads a declared property, else the fallback', () => {
    assert.equal(ui.cssVar('--kind-station'), '#c2410c');
    assert.equal(ui.cssVar('--not-declared', 'red'), 'red');
    assert.equal(ui.cssVar('--not-declared'), '');
  });
  test('kindColour and statusColour: the code\'s own colour, else the unknown one', () => {
    assert.equal(ui.kindColour('station'), '#c2410c');
    assert.equal(ui.kindColour('bakery'), '#495057');
    assert.equal(ui.statusColour('resolved'), '#237032');
    assert.equal(ui.statusColour('reopened'), '#868e96', 'built-in fallback when --status-unknown is missing too');
  });
});

describe('apiErrorText', () => {
  // Regression: a 400 (the service-areas cap at 1M points) read "服务暂时不可用" (service
  // unavailable), which it is not: the request was refused, the service is up.
  test('a 4xx is a refused request, not an unavailable service', () => {
    i18n.setLang('zh');
    assert.equal(ui.apiErrorText({ status: 400, message: 'too many' }), '请求未被接受：too many');
    assert.equal(ui.apiErrorText({ status: 404, message: 'x' }), '请求未被接受：x');
  });
  test('no answer and 5xx are "service unavailable"', () => {
    i18n.setLang('zh');
    assert.equal(ui.apiErrorText({ status: 0, message: 'Failed to fetch' }), '服务暂时不可用：Failed to fetch');
    assert.equal(ui.apiErrorText({ status: 503, message: 'busy' }), '服务暂时不可用：busy');
    assert.equal(ui.apiErrorText(new Error('boom')), '服务暂时不可用：boom');
  });
  test('English', () => {
    i18n.setLang('en');
    assert.equal(ui.apiErrorText({ status: 400, message: 'm' }), 'Request not accepted: m');
    assert.equal(ui.apiErrorText({ status: 500, message: 'm' }), 'Service unavailable: m');
    i18n.setLang('zh');
  });
});
