// @ts-check
// Service worker of the Nuanxin Map page (scope `/`), for weak signals and no signal.
// Served by the binary (`server::web`), which fills in BUILD (a hash of the manifest below,
// so the worker's bytes change whenever one file does and the browser installs it) and
// PRECACHE, the app shell's manifest: `[path, rev]` for the HTML, JS, CSS, MapLibre, icons,
// boundaries and rivers, `rev` being the first 32 hex digits of the SHA-256 of the file as
// served (decoded), the revision scheme of Workbox's precache manifests.
//
//   - the app shell: one cache, `nuanxin-precache`, keyed by path and revision. A new build
//     downloads only the files whose revision changed; the others (MapLibre above all, 1 MB
//     under a versioned path) stay where they are. Each download is checked against its
//     revision (SHA-256 in the worker): a file changed again on the server mid-install, or
//     altered on the way, fails the install and the previous worker keeps serving. Served
//     cache first (a repeat visit on a weak signal downloads nothing but the API calls);
//     when the new worker activates it drops the revisions no longer listed, and the page
//     (app.js) reloads into the new build or offers to;
//   - `/config.json` and `/api/v1/vocabulary` (the labels of the API's codes): the cached
//     copy at once, refreshed in the background for the next visit (stale-while-revalidate),
//     so a repeat visit waits for no round trip;
//   - street tiles (`/tiles/{z}/{x}/{y}.pbf`, not the live `/tiles/points/…` and `/tiles/suggestions/…`) and the POIs: the last ones viewed, stale-while-revalidate,
//     at most RUNTIME_MAX entries;
//   - everything else (the API) goes to the network: the page itself keeps the service
//     points of the area last viewed and queues suggestions filed offline (offline.js).

/** This worker's global scope (`self`), typed as a service worker's for `// @ts-check`. */
const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const BUILD = '__BUILD__';
/** @type {[string, string][]} */
const PRECACHE = __PRECACHE__;
/** Revision of each precached path. */
const REV = new Map(PRECACHE);
const SHELL = 'nuanxin-precache';
/** Caches of the workers before revisions (one per build, every file in each). */
const LEGACY_SHELL = 'nuanxin-shell-';
const RUNTIME = 'nuanxin-runtime';
const RUNTIME_MAX = 600;
/** Served from the cache at once and refreshed in the background (stale-while-revalidate). */
const LIVE_SHELL = ['/config.json', '/api/v1/vocabulary'];

/** The cache key of revision `rev` of `path` (a query the server never sees). */
function keyOf(path, rev) {
  return new URL(`${path}?__rev=${rev}`, sw.location.origin).href;
}

/** The revision of a body: the first 32 hex digits of its SHA-256. */
async function revOf(resp) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await resp.clone().arrayBuffer()));
  return Array.from(d.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A copy of `path` at revision `rev` kept by a worker from before revisions, if any. */
async function legacyCopy(path, rev) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(LEGACY_SHELL)) continue;
    const hit = await (await caches.open(name)).match(path, { ignoreVary: true });
    if (hit && await revOf(hit) === rev) return hit;
  }
  return undefined;
}

/** Puts revision `rev` of `path` in the cache, downloading it only when no copy is kept. */
async function precache(cache, path, rev) {
  const key = keyOf(path, rev);
  if (await cache.match(key)) return 'kept';
  const old = await legacyCopy(path, rev);
  if (old) {
    await cache.put(key, old);
    return 'kept';
  }
  // `no-cache`: revalidated with the server (its ETag), so a copy in the HTTP cache is used
  // only when it is still current.
  const resp = await fetch(new Request(path, { cache: 'no-cache' }));
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
  const got = await revOf(resp);
  if (got !== rev) throw new Error(`${path}: revision ${got}, expected ${rev} (changed on the server during the update?)`);
  await cache.put(key, resp);
  return 'downloaded';
}

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    const done = await Promise.all(PRECACHE.map(([path, rev]) => precache(cache, path, rev)));
    const fetched = PRECACHE.filter((_, i) => done[i] === 'downloaded').map(([p]) => p);
    console.info(`nuanxin sw ${BUILD}: ${fetched.length} of ${PRECACHE.length} files downloaded${fetched.length ? ` (${fetched.join(' ')})` : ''}`);
    // The configuration and the vocabulary too (kept fresh by stale-while-revalidate afterwards).
    const runtime = await caches.open(RUNTIME);
    for (const u of LIVE_SHELL) await runtime.add(new Request(u, { cache: 'reload' })).catch(() => undefined);
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const wanted = new Set(PRECACHE.map(([p, r]) => keyOf(p, r)));
    const cache = await caches.open(SHELL);
    for (const req of await cache.keys()) {
      if (!wanted.has(req.url)) await cache.delete(req);
    }
    for (const name of await caches.keys()) {
      if (name.startsWith(LEGACY_SHELL)) await caches.delete(name);
    }
    await sw.clients.claim();
  })());
});

/** Keeps at most RUNTIME_MAX entries in the runtime cache (oldest first out). */
async function trim(cache) {
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - RUNTIME_MAX; i += 1) await cache.delete(keys[i]);
}

/** The precached revision of `path`, else the network. */
async function cacheFirst(request, path) {
  const cache = await caches.open(SHELL);
  const rev = REV.get(path);
  const hit = rev && await cache.match(keyOf(path, rev));
  return hit || fetch(request);
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(RUNTIME);
  const hit = await cache.match(event.request, { ignoreVary: true });
  const fresh = fetch(event.request).then(async (resp) => {
    if (resp.ok) {
      await cache.put(event.request, resp.clone());
      await trim(cache);
    }
    return resp;
  });
  if (hit) {
    event.waitUntil(fresh.catch(() => undefined));
    return hit;
  }
  return fresh;
}

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  const path = url.pathname;
  if (req.mode === 'navigate') {
    // The page is one document with hash routes: `/` and `/index.html` are the shell.
    if (path === '/' || path === '/index.html') event.respondWith(cacheFirst(req, '/'));
    return;
  }
  if (REV.has(path) && !url.search) {
    event.respondWith(cacheFirst(req, path));
  } else if (LIVE_SHELL.includes(path) || path === '/data/pois.geojson'
    || (path.startsWith('/tiles/') && !path.startsWith('/tiles/points/') && !path.startsWith('/tiles/suggestions/'))) {
    // (Street tiles; our layers' own tiles are live data and go to the network.)
    event.respondWith(staleWhileRevalidate(event));
  }
});
