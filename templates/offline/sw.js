// Fengqiao's service worker: the intake page and the home page as last seen, for offline use.
// Generated per release (the version below names the caches); see docs/offline.md.
"use strict";
var VERSION = {{ version|tojson }};
var STATIC_CACHE = "fengqiao-static-" + VERSION;
var PAGE_CACHE = "fengqiao-pages-" + VERSION;
var ASSETS = {{ assets|tojson }};  // each URL names its file's bytes (?v=…)
var ASSET_PATHS = ASSETS.map(function (asset) { return new URL(asset, self.location).pathname; });
var PAGES = {{ pages|tojson }};

function keepPage(cache, path, response) {
  // A page answered after a redirect (to the sign-in page) is not the page: never keep it.
  if (response.ok && !response.redirected && response.type === "basic") {
    return cache.put(path, response);
  }
  return null;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(ASSETS);
    }).then(function () {
      return caches.open(PAGE_CACHE);
    }).then(function (cache) {
      return Promise.all(PAGES.map(function (path) {
        return fetch(path, { credentials: "same-origin" }).then(function (response) {
          return keepPage(cache, path, response);
        }).catch(function () { return null; });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  // An upgrade: the caches of every other version go.
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("fengqiao-") === 0 && name !== STATIC_CACHE && name !== PAGE_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && PAGES.indexOf(url.pathname) >= 0 && !url.search) {
    // Network first: the page as the server has it now; offline, the copy last seen.
    event.respondWith(
      fetch(request).then(function (response) {
        var copy = response.clone();
        event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
          return keepPage(cache, url.pathname, copy);
        }));
        return response;
      }).catch(function () {
        return caches.open(PAGE_CACHE).then(function (cache) {
          return cache.match(url.pathname, { ignoreVary: true });
        }).then(function (kept) { return kept || Response.error(); });
      })
    );
    return;
  }
  if (ASSET_PATHS.indexOf(url.pathname) >= 0) {
    // Cache first. A URL naming other bytes than the kept copy (a page older or newer than
    // this worker) goes to the network, and offline takes the copy kept at that path.
    event.respondWith(
      caches.match(request, { ignoreVary: true }).then(function (kept) {
        return kept || fetch(request).catch(function () {
          return caches.match(url.pathname, { ignoreSearch: true, ignoreVary: true })
            .then(function (any) { return any || Response.error(); });
        });
      })
    );
  }
});

self.addEventListener("message", function (event) {
  // Signing out: the pages kept for the user go (the queue stays with its user).
  if (event.data === "forget-pages") {
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});
