// Unit tests of web/offline.js without a browser: "nearest" computed on the device
// (rankNearest) against distances computed here by another formula, and the fallback to the
// points received during the visit when no area can be read from the device (issue 18: the
// signal can go before the area is kept; storage can be unavailable or evicted). jsdom has
// no IndexedDB, so every read of the kept area fails here, as it does in a browser whose
// storage is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installDom } from './dom.mjs';

installDom();
const warnings = [];
console.warn = (...args) => warnings.push(args.join(' '));
const offline = await import('../../web/offline.js');

const R = 6371008.8; // mean Earth radius, metres (IUGG)
const rad = Math.PI / 180;
/** Great-circle distance by the spherical law of cosines (not the module's haversine). */
function cosinesM([lon1, lat1], [lon2, lat2]) {
  const c = Math.sin(lat1 * rad) * Math.sin(lat2 * rad)
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.cos((lon2 - lon1) * rad);
  return R * Math.acos(Math.min(1, c));
}

const HERE = [112.97, 28.19];
function pt(id, kind, lon, lat, extra = {}) {
  return { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { id, kind, name: `p${id}`, ...extra } };
}
// North 0.010°, east 0.008°, south-west 0.005°/0.004°, a shelter nearer than all, a station far away.
const FEATURES = [
  pt(1, 'station', 112.97, 28.2, { amenities: ['toilet'] }),
  pt(2, 'station', 112.978, 28.19, { amenities: ['toilet', 'charging'], opening_hours: '24/7' }),
  pt(3, 'station', 112.965, 28.186),
  pt(4, 'shelter', 112.9701, 28.1901),
  pt(5, 'station', 113.2, 28.4),
];

test('a degree of latitude is R·π/180 metres (hand calculation)', () => {
  // 6371008.8 × π / 180 = 111 195.080… m
  assert.ok(Math.abs(offline.haversineM([0, 0], [0, 1]) - 111195.080) < 0.001);
  assert.ok(Math.abs(offline.haversineM(HERE, [112.97, 28.2]) - 1111.951) < 0.001);
});

test('rankNearest: nearest first by great-circle distance, of the kind asked, k at most', () => {
  const got = offline.rankNearest(HERE, FEATURES, { kind: 'station', k: 3 });
  const want = FEATURES.filter((f) => f.properties.kind === 'station')
    .map((f) => ({ id: f.properties.id, d: cosinesM(HERE, f.geometry.coordinates) }))
    .sort((a, b) => a.d - b.d).slice(0, 3);
  assert.deepEqual(got.map((f) => f.properties.id), want.map((w) => w.id));
  // 3 (≈ 609 m), 2 (≈ 784 m), 1 (≈ 1112 m): the far station 5 is left out by k.
  assert.deepEqual(want.map((w) => w.id), [3, 2, 1]);
  for (const [i, f] of got.entries()) {
    assert.ok(Math.abs(f.properties.distance_m - want[i].d) < 0.001, `${f.properties.distance_m} vs ${want[i].d}`);
    assert.equal(f.properties.offline, true);
  }
  // The input is not changed (copies are returned).
  assert.equal(FEATURES[0].properties.distance_m, undefined);
});

test('rankNearest: every amenity asked, and the caller\'s filter', () => {
  assert.deepEqual(offline.rankNearest(HERE, FEATURES, { kind: 'station', amenities: ['toilet'] }).map((f) => f.properties.id), [2, 1]);
  assert.deepEqual(offline.rankNearest(HERE, FEATURES, { kind: 'station', amenities: ['toilet', 'charging'] }).map((f) => f.properties.id), [2]);
  assert.deepEqual(offline.rankNearest(HERE, FEATURES, { kind: 'station', filter: (p) => p.opening_hours === '24/7' }).map((f) => f.properties.id), [2]);
  assert.deepEqual(offline.rankNearest(HERE, FEATURES, { kind: 'toilet' }), []);
});

test('no kept area and nothing received: nearestOffline is null (the page says so)', async () => {
  assert.equal(await offline.nearestOffline(HERE, { kind: 'station' }), null);
  assert.deepEqual(await offline.pointsOffline('station', [112, 28, 114, 29]), []);
  assert.ok(warnings.some((w) => w.includes('offline cache')), 'the unreadable storage is logged');
});

test('the kept area cannot be read: nearest answers from the points received in this visit', async () => {
  const before = Date.now();
  // The viewport's points, then a nearest answer (with fields offline use drops).
  offline.rememberPoints(FEATURES.slice(0, 3));
  offline.rememberPoints([{ ...FEATURES[0], properties: { ...FEATURES[0].properties, distance_m: 5, route: { type: 'LineString', coordinates: [] } } }, FEATURES[4]]);
  const r = await offline.nearestOffline(HERE, { kind: 'station', k: 5 });
  assert.ok(r, 'an answer from the visit');
  assert.equal(r.source, 'visit');
  assert.equal(r.covers, false, 'no kept area: results may be incomplete');
  assert.ok(r.saved_at >= before && r.saved_at <= Date.now());
  // Each point once (1 was received twice), ranked here by another formula.
  const want = [1, 2, 3, 5].map((id) => FEATURES[id - 1])
    .map((f) => ({ id: f.properties.id, d: cosinesM(HERE, f.geometry.coordinates) }))
    .sort((a, b) => a.d - b.d);
  assert.deepEqual(r.features.map((f) => f.properties.id), want.map((w) => w.id));
  assert.ok(Math.abs(r.features[0].properties.distance_m - want[0].d) < 0.001);
  assert.equal(r.features.find((f) => f.properties.id === 1).properties.route, undefined, 'only what offline use needs is kept');
  assert.deepEqual((await offline.pointsOffline('station', [112.96, 28.18, 112.975, 28.195])).map((f) => f.properties.id), [3]);
});

test('rememberPoints skips features without an id or a position', async () => {
  offline.rememberPoints([
    { type: 'Feature', geometry: { type: 'Point', coordinates: [112.9700001, 28.19] }, properties: { kind: 'toilet' } },
    { type: 'Feature', geometry: null, properties: { id: 90, kind: 'toilet' } },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [Number.NaN, 28.19] }, properties: { id: 91, kind: 'toilet' } },
    null,
  ]);
  assert.deepEqual((await offline.nearestOffline(HERE, { kind: 'toilet' })).features, []);
});
