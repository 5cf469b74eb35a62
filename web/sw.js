// @ts-check
// Service worker of the Nuanxin Map page (scope `/`), for weak signals and no signal.
// Served by the binary (`server::web`), which fills in BUILD (a hash of every file listed
// in PRECACHE, so each new build installs a new worker) and PRECACHE (the app shell: HTML,
// JS, CSS, MapLibre, icons, boundaries, rivers, metro).
//
//   - the app shell: precached at install into `nuanxin-shell-<BUILD>` and served from it
//     (cache first: a repeat visit on a weak signal downloads nothing but the API calls);
//     the caches of earlier builds are deleted when the new worker activates;
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
const PRECACHE = __PRECACHE__;
const SHELL = `nuanxin-shell-${BUILD}`;
const RUNTIME = 'nuanxin-runtime';
const RUNTIME_MAX = 600;
/** Served from the cache at once and refreshed in the background (stale-while-revalidate). */
const LIVE_SHELL = ['/config.json', '/api/v1/vocabulary'];

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // `reload`: straight from the server, never an older copy from the HTTP cache.
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    // The configuration and the vocabulary too (kept fresh by stale-while-revalidate afterwards).
    const runtime = await caches.open(RUNTIME);
    for (const u of LIVE_SHELL) await runtime.add(new Request(u, { cache: 'reload' })).catch(() => undefined);
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('nuanxin-shell-') && name !== SHELL) await caches.delete(name);
    }
    await sw.clients.claim();
  })());
});

/** Keeps at most RUNTIME_MAX entries in the runtime cache (oldest first out). */
async function trim(cache) {
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - RUNTIME_MAX; i += 1) await cache.delete(keys[i]);
}

async function cacheFirst(request, key) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(key, { ignoreVary: true });
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
  if (PRECACHE.includes(path) && !url.search) {
    event.respondWith(cacheFirst(req, path));
  } else if (LIVE_SHELL.includes(path) || path === '/data/pois.geojson'
    || (path.startsWith('/tiles/') && !path.startsWith('/tiles/points/') && !path.startsWith('/tiles/suggestions/'))) {
    // (Street tiles; our layers' own tiles are live data and go to the network.)
    event.respondWith(staleWhileRevalidate(event));
  }
});
