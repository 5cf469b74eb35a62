// Unit tests of web/api.js against a real HTTP server on loopback (node:http): JSON bodies,
// problem+json errors, headers, query strings and GeoJSON conversion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { installDom } from './dom.mjs';

installDom();
const { api, ApiError, deviceToken, qs, toFeatures } = await import('../../web/api.js');

let server;
let base;
/** The last request the server received: method, url, headers, body. */
let last;

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      last = { method: req.method, url: req.url, headers: req.headers, body };
      const send = (status, type, text) => {
        res.writeHead(status, type ? { 'Content-Type': type } : {});
        res.end(text);
      };
      switch (req.url.split('?')[0]) {
        case '/ok': return send(200, 'application/json', '{"points":3,"name":"驿站"}');
        case '/echo': return send(200, 'application/json', JSON.stringify({ got: body ? JSON.parse(body) : null }));
        case '/empty': return send(204, null, '');
        case '/problem': return send(400, 'application/problem+json', JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'unknown parameter `x`', param: 'x' }));
        case '/title-only': return send(404, 'application/problem+json', JSON.stringify({ title: 'Not Found', status: 404 }));
        case '/html-error': return send(502, 'text/html', '<h1>Bad gateway</h1>');
        case '/not-json': return send(200, 'text/plain', 'hello');
        default: return send(404, 'application/problem+json', '{"title":"Not Found","status":404,"detail":"no resource"}');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

describe('api', () => {
  test('GET returns the parsed JSON and asks for JSON, GeoJSON or a problem', async () => {
    assert.deepEqual(await api(`${base}/ok`), { points: 3, name: '驿站' });
    assert.equal(last.method, 'GET');
    assert.match(last.headers.accept, /application\/json/);
    assert.match(last.headers.accept, /application\/problem\+json/);
  });
  test('json is POSTed as JSON', async () => {
    const r = await api(`${base}/echo`, { json: { category: 'parking', n: 2 } });
    assert.deepEqual(r, { got: { category: 'parking', n: 2 } });
    assert.equal(last.method, 'POST');
    assert.equal(last.headers['content-type'], 'application/json');
    await api(`${base}/echo`, { method: 'PATCH', json: { status: 'resolved' } });
    assert.equal(last.method, 'PATCH');
  });
  test('204 gives null', async () => {
    assert.equal(await api(`${base}/empty`, { method: 'DELETE' }), null);
    assert.equal(last.method, 'DELETE');
  });
  test('a body that is not JSON gives null', async () => {
    assert.equal(await api(`${base}/not-json`), null);
  });
  test('secrets go in headers, never in the URL', async () => {
    await api(`${base}/ok`, { token: 'nxo_secret', receipt: 'rcpt', code: '7K3P9Q', headers: { 'Idempotency-Key': 'k-1' } });
    assert.equal(last.headers.authorization, 'Bearer nxo_secret');
    assert.equal(last.headers['x-receipt-token'], 'rcpt');
    assert.equal(last.headers['x-receipt-code'], '7K3P9Q');
    assert.equal(last.headers['idempotency-key'], 'k-1');
    assert.equal(last.url, '/ok');
  });
  test('device: the device token header', async () => {
    await api(`${base}/ok`, { device: true });
    assert.match(last.headers['x-device-token'], /^[0-9a-f]{32}$/);
    assert.equal(last.headers['x-device-token'], deviceToken());
  });
  test('a problem becomes an ApiError with the status and the detail', async () => {
    await assert.rejects(api(`${base}/problem`), (e) => {
      assert.ok(e instanceof ApiError);
      assert.ok(e instanceof Error);
      assert.equal(e.status, 400);
      assert.equal(e.message, 'unknown parameter `x`');
      assert.equal(e.problem.param, 'x');
      return true;
    });
  });
  test('without a detail, the title; without a problem body, the HTTP status', async () => {
    await assert.rejects(api(`${base}/title-only`), { status: 404, message: 'Not Found' });
    await assert.rejects(api(`${base}/html-error`), { status: 502, message: 'HTTP 502', problem: null });
  });
  test('no connection is an ApiError with status 0', async () => {
    const closed = http.createServer();
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(api(`http://127.0.0.1:${port}/ok`), (e) => e instanceof ApiError && e.status === 0 && e.message.length > 0);
  });
  test('an aborted request stays an AbortError', async () => {
    const c = new AbortController();
    c.abort();
    await assert.rejects(api(`${base}/ok`, { signal: c.signal }), { name: 'AbortError' });
  });
});

describe('qs', () => {
  test('skips empty values, joins arrays with commas, encodes', () => {
    assert.equal(qs({ lon: 112.97, lat: 28.19, kind: 'station', k: 5 }), 'lon=112.97&lat=28.19&kind=station&k=5');
    assert.equal(qs({ a: null, b: undefined, c: '', d: false, e: 0, f: true }), 'e=0&f=true');
    assert.equal(qs({ amenity: ['drinking_water', 'charging'], none: [] }), 'amenity=drinking_water%2Ccharging');
    assert.equal(qs({ q: '五一 广场&x' }), 'q=%E4%BA%94%E4%B8%80+%E5%B9%BF%E5%9C%BA%26x');
  });
});

describe('toFeatures', () => {
  test('a FeatureCollection gives its features', () => {
    const f = { type: 'Feature', id: 'a', properties: {}, geometry: { type: 'Point', coordinates: [1, 2] } };
    assert.deepEqual(toFeatures({ type: 'FeatureCollection', features: [f] }), [f]);
    assert.deepEqual(toFeatures({ type: 'FeatureCollection' }), []);
    assert.deepEqual(toFeatures(null), []);
  });
  test('records with location [lon, lat], {lon, lat} or lon/lat become point features', () => {
    const out = toFeatures({
      items: [
        { id: 1, location: [112.97, 28.19] },
        { id: 2, location: { lon: 113, lat: 28 } },
        { id: 3, lon: '112.5', lat: '28.5' },
        { id: 4, location: {} },
      ],
    });
    assert.deepEqual(out.map((f) => [f.id, f.geometry.coordinates]), [[1, [112.97, 28.19]], [2, [113, 28]], [3, [112.5, 28.5]]]);
    assert.equal(out[0].type, 'Feature');
    assert.equal(out[0].properties.id, 1, 'the record is kept as the properties');
  });
  test('a plain list and a list of features', () => {
    assert.equal(toFeatures([{ id: 'x', location: [1, 2] }]).length, 1);
    const f = { type: 'Feature', id: 'y', properties: {}, geometry: { type: 'Point', coordinates: [3, 4] } };
    assert.deepEqual(toFeatures({ suggestions: [f] }), [f]);
  });
});

describe('deviceToken', () => {
  test('32 hex digits, kept in localStorage, replaced when malformed', () => {
    localStorage.removeItem('nuanxin.device');
    const a = deviceToken();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.equal(deviceToken(), a);
    assert.equal(localStorage.getItem('nuanxin.device'), a);
    localStorage.setItem('nuanxin.device', 'not-a-token');
    const b = deviceToken();
    assert.match(b, /^[0-9a-f]{32}$/);
    assert.notEqual(b, 'not-a-token');
  });
});
