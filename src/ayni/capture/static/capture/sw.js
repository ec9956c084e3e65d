/* Ayni's service worker: the leader's forms open without signal.
   Only the home page and the outbox forms are kept on the phone (network first, the copy on
   the phone when there is no signal). Pages with other people's names are stored only where
   the work needs them without signal — a facilitator's session list, a treasurer's meeting
   sheet — and signing out deletes every copy. Submissions are not handled here but by outbox.js,
   which keeps them in IndexedDB until the server has them. */
"use strict";
var VERSION = "ayni-1";
var ASSETS = __ASSETS__;
var OFFLINE = __OFFLINE__;
var LOGOUT = __LOGOUT__;
// A facilitator's session list and a treasurer's meeting sheet are kept too: she takes
// attendance, or runs the meeting, where there is no signal; and the follow-up of a commitment,
// recorded in the field.
var PAGES = /^\/(cocina\/\d+\/(dia\/\d{4}-\d{2}-\d{2}|movimiento)\/|padron\/\d+\/agregar\/|formacion\/sesion\/\d+\/|economia\/\d+\/banquito\/\d+\/reunion\/|incidencia\/\d+\/\d+\/etapa\/)?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== VERSION; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// outbox.js asks to keep the page it runs on, so the very first visit already works offline.
self.addEventListener("message", function (event) {
  var path = event.data && event.data.keep;
  if (typeof path === "string" && PAGES.test(path)) {
    event.waitUntil(caches.open(VERSION).then(function (cache) {
      return fetch(path, {credentials: "same-origin"}).then(function (res) {
        if (res.ok && !res.redirected) { return cache.put(path, res); }
      });
    }).catch(function () {}));
  }
});

function offline() {
  return new Response("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'><p>" +
    OFFLINE + "</p>", {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.method === "POST" && url.pathname === LOGOUT) {
    caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); });
    return;
  }
  if (req.method !== "GET") { return; }
  if (req.mode === "navigate") {
    var keep = PAGES.test(url.pathname);
    event.respondWith(fetch(req).then(function (res) {
      if (keep && res.ok && !res.redirected) {
        var copy = res.clone();
        caches.open(VERSION).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) {
        return hit || caches.match("/").then(function (home) { return home || offline(); });
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // Static files have hashed names in production: a copy never goes stale.
    event.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok) { var copy = res.clone(); caches.open(VERSION).then(function (c) { c.put(req, copy); }); }
        return res;
      });
    }));
  }
});
