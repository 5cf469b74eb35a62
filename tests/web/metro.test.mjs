// The English names of the metro stations (`name_en` of data/metro/changsha_metro_stations_wgs84.geojson,
// written by data/metro/make_name_en.py): the source's own pinyin, split into capitalised
// words; the map labels the stations with them in the English interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

const file = new URL('../../data/metro/changsha_metro_stations_wgs84.geojson', import.meta.url);
const stations = JSON.parse(fs.readFileSync(file, 'utf8')).features.map((f) => f.properties);

test('every station has an English name of capitalised pinyin words', () => {
  assert.equal(stations.length, 143);
  const word = '(?:[A-Z][a-z]*|T1T2)';
  const re = new RegExp(`^${word}(?: ${word})*(?: \\(${word}(?: ${word})*\\))?$`);
  const bad = stations.filter((s) => !re.test(s.name_en || '')).map((s) => `${s.name} ${s.name_en}`);
  assert.deepEqual(bad, []);
});

test('the English name spells the source pinyin, with one slip of the source corrected', () => {
  const letters = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const differ = stations.filter((s) => letters(s.name_en) !== letters(s.pinyin)).map((s) => [s.name, s.pinyin, s.name_en]);
  // 迎 is yíng: the source's "yinbinlukou" drops a g.
  assert.deepEqual(differ, [['迎宾路口', 'yinbinlukou', 'Yingbin Lukou']]);
});

test('words follow the place-name rule (GB/T 16159-2012 6.3.8), checked by hand', () => {
  const en = Object.fromEntries(stations.map((s) => [s.name, s.name_en]));
  // specific part and generic part apart: 五一 | 广场, 开福 | 区 | 政府
  assert.equal(en['五一广场'], 'Wuyi Guangchang');
  assert.equal(en['开福区政府'], 'Kaifu Qu Zhengfu');
  // a one-syllable generic part joined to its name; 长 read cháng as in the source
  assert.equal(en['秀峰山'], 'Xiufengshan');
  assert.equal(en['长庆'], 'Changqing');
  // a direction after the name, and a bracketed second name
  assert.equal(en['梅溪湖西'], 'Meixihu Xi');
  assert.equal(en['金盆丘(铜官窑巴士站)'], 'Jinpenqiu (Tongguanyao Bashizhan)');
  assert.equal(en['长沙火车南站'], 'Changsha Huoche Nanzhan');
});
