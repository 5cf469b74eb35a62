// Unit tests of web/i18n.js: interface strings, placeholders, the language switch and the
// labels of the API's codes taken from the vocabulary the server sends.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { installDom } from './dom.mjs';

installDom();
const i18n = await import('../../web/i18n.js');

/** A vocabulary shaped like `GET /api/v1/vocabulary` (two lists, written by hand). */
const VOCABULARY = {
  kind: [
    { code: 'station', zh: '驿站', en: 'Rest station' },
    { code: 'legal_aid', zh: '法律援助', en: 'Legal aid' },
  ],
  status: [
    { code: 'submitted', zh: '已提交', en: 'Submitted' },
    { code: 'resolved', zh: '已办结', en: 'Resolved' },
  ],
};

describe('t', () => {
  before(() => i18n.setLang('zh'));
  test('fills {name} placeholders and keeps unknown ones', () => {
    i18n.setLang('zh');
    assert.equal(i18n.t('nearest_title', { n: 5 }), '离我最近的 5 个');
    assert.equal(i18n.t('nearest_title'), '离我最近的 {n} 个');
    i18n.setLang('en');
    assert.equal(i18n.t('nearest_title', { n: 5 }), 'Nearest 5');
    assert.equal(i18n.t('zoom_in_for_all', { total: 12, n: 3 }), '12 points in view, 3 shown: zoom in to see all');
  });
  test('an unknown key is shown as itself', () => {
    assert.equal(i18n.t('no_such_key_anywhere'), 'no_such_key_anywhere');
  });
  test('every key the page uses exists in Chinese and in English', () => {
    // t('key') and t(`prefix_${x}`) with a literal key in any module of web/
    const dir = new URL('../../web/', import.meta.url);
    const used = new Set();
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.js'))) {
      const src = fs.readFileSync(new URL(f, dir), 'utf8');
      for (const m of src.matchAll(/\bt\('([a-z0-9_]+)'/g)) used.add(m[1]);
      for (const m of src.matchAll(/data-i18n="([a-z0-9_]+)"/g)) used.add(m[1]);
    }
    const html = fs.readFileSync(new URL('index.html', dir), 'utf8');
    for (const m of html.matchAll(/data-i18n="([a-z0-9_]+)"/g)) used.add(m[1]);
    for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
      for (const pair of m[1].split(';')) used.add(pair.split(':')[1]);
    }
    assert.ok(used.size > 100, `found only ${used.size} keys`);
    const missing = [];
    for (const key of used) {
      for (const lang of ['zh', 'en']) if (!(key in i18n.MESSAGES[lang])) missing.push(`${lang}.${key}`);
    }
    assert.deepEqual(missing, []);
  });
  test('Chinese and English have the same keys and the same placeholders', () => {
    const { zh, en } = i18n.MESSAGES;
    assert.deepEqual(Object.keys(en).sort(), Object.keys(zh).sort());
    const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(zh)) assert.deepEqual(holes(en[key]), holes(zh[key]), key);
  });
});

describe('setLang / getLang', () => {
  test('switches the document language and remembers it', () => {
    i18n.setLang('en');
    assert.equal(i18n.getLang(), 'en');
    assert.equal(document.documentElement.lang, 'en');
    assert.equal(localStorage.getItem('nuanxin.lang'), 'en');
    i18n.setLang('fr');
    assert.equal(i18n.getLang(), 'zh', 'anything but en is Chinese');
    assert.equal(document.documentElement.lang, 'zh-CN');
  });
});

describe('vocabulary', () => {
  test('codes and labels come from the server, in its order', () => {
    i18n.setVocabulary(VOCABULARY);
    assert.deepEqual(i18n.codes('kind'), ['station', 'legal_aid']);
    i18n.setLang('zh');
    assert.equal(i18n.label('kind', 'legal_aid'), '法律援助');
    assert.equal(i18n.label('status', 'resolved'), '已办结');
    i18n.setLang('en');
    assert.equal(i18n.label('kind', 'station'), 'Rest station');
  });
  test('an unknown code or vocabulary falls back to the code', () => {
    i18n.setVocabulary(VOCABULARY);
    assert.equal(i18n.label('status', 'reopened'), 'reopened');
    assert.equal(i18n.label('nothing', 'x'), 'x');
    assert.equal(i18n.label('kind', undefined), '');
    assert.deepEqual(i18n.codes('nothing'), []);
  });
  test('a body that is not a vocabulary leaves none', () => {
    i18n.setVocabulary(null);
    assert.deepEqual(i18n.codes('kind'), []);
    i18n.setVocabulary({ kind: 'station' });
    assert.deepEqual(i18n.codes('kind'), []);
    assert.equal(i18n.label('kind', 'station'), 'station');
  });
  test('the page declares no labels of API codes of its own', () => {
    // The labels' one source: the `vocab!`/`vocabulary!` declarations of the core crate
    // (`Variant = "code", "中文", "English";`), and the vocabularies' JSON names from the
    // server's `Vocabulary::by_name`.
    const core = new URL('../../crates/nuanxin-core/src/', import.meta.url);
    const terms = [];
    for (const f of fs.readdirSync(core, { recursive: true }).filter((n) => String(n).endsWith('.rs'))) {
      const src = fs.readFileSync(new URL(String(f), core), 'utf8');
      for (const m of src.matchAll(/^\s*[A-Z]\w* = "([a-z0-9_]+)", "([^"]+)", "([^"]+)";$/gm)) {
        terms.push({ code: m[1], zh: m[2], en: m[3] });
      }
    }
    const server = fs.readFileSync(new URL('../../crates/nuanxin/src/server/vocabulary.rs', import.meta.url), 'utf8');
    const names = [...server.matchAll(/\("([a-z_]+)", &self\.\1\)/g)].map((m) => m[1]);
    assert.ok(terms.length >= 40, `found only ${terms.length} vocabulary terms in the core`);
    assert.deepEqual(names.sort(), ['access', 'amenity', 'campaign_kind', 'category', 'kind', 'officer_role', 'role', 'status']);
    // English keys whose text equals a label by chance, with another meaning.
    const SAME_WORD = {
      open: 'a station open now (营业中), not the access method 开放',
      submitted_at: 'the column heading of a time (提交时间), not the status 已提交',
      nav_officer: 'the tab of the officers\' view (办理), not the token role 办理人员',
    };
    const { zh, en } = i18n.MESSAGES;
    const found = [];
    for (const key of Object.keys(zh)) {
      for (const { code, zh: z, en: e } of terms) {
        if (names.some((n) => key === `${n}_${code}`)) found.push(`${key}: named after a code`);
        if (zh[key] === z) found.push(`zh.${key} = ${z}`);
        if (en[key] === e && !(key in SAME_WORD)) found.push(`en.${key} = ${e}`);
      }
    }
    assert.deepEqual(found, [], 'web/i18n.js declares labels of API codes: take them from the vocabulary (label())');
  });
});

describe('applyI18n', () => {
  test('fills data-i18n text and data-i18n-attr attributes', () => {
    i18n.setLang('en');
    document.body.innerHTML = '<p data-i18n="locate_me">x</p><input data-i18n-attr="placeholder:search_ph;aria-label:search_label">';
    i18n.applyI18n();
    assert.equal(document.querySelector('p').textContent, 'Locate me');
    const input = document.querySelector('input');
    assert.equal(input.getAttribute('aria-label'), 'Search places');
    assert.equal(input.getAttribute('placeholder'), 'Search, or paste a point');
    i18n.setLang('zh');
    i18n.applyI18n(document.body);
    assert.equal(document.querySelector('p').textContent, '定位我');
  });
});
