// Tradeoff's service worker: after the first visit the page works offline, because classroom
// networks fail (the datasets used so far included). Network first, so a new version is used as soon as it is reachable; the copy
// kept here when the network fails. Only this origin's files are ever fetched or kept.
const CACHE = 'tradeoff-2';
// Datasets are kept by the training worker as it downloads them (no second download).
const DATASETS = 'tradeoff-datasets';
// The page and the CPU training worker. The WebGPU worker (webgpu_worker*) is not fetched ahead:
// most machines in a classroom never use it; it is kept here, like any file, the first time a
// run loads it.
const SHELL = [
  './', './index.html', './style.css', './icon.svg',
  './tradeoff-app.js', './tradeoff-app_bg.wasm',
  './start-worker.js?worker', './worker.js', './worker_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE && k !== DATASETS).map((k) => caches.delete(k)))),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && response.status === 200) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => {
        const kept = await caches.match(request, { ignoreSearch: true });
        if (kept) return kept;
        // A reload of any link (the hash never reaches here) is the page itself.
        if (request.mode === 'navigate') return (await caches.match('./')) ?? Response.error();
        return Response.error();
      }),
  );
});
