/* Ayni's offline outbox, for the daily report, stock movements and roll additions.
   Progressive enhancement: with signal the form posts as always. Without it, the form is kept
   in IndexedDB with a client id, and sent in order to /api/v1/ when the signal returns; a resend
   of the same id never makes a second record. A conflict is shown for the leader to decide;
   nothing is overwritten silently. */
(function () {
  "use strict";
  var el = document.getElementById("outbox");
  var form = document.querySelector("main form[method=post]");
  if (!el || !form || !window.indexedDB || !window.fetch || !window.Promise) { return; }
  var cfg = el.dataset;
  var T = JSON.parse(cfg.i18n || "{}");
  var syncing = false;
  var box = document.createElement("div");
  box.id = "outbox-status";
  box.setAttribute("role", "status");
  box.setAttribute("aria-live", "polite");
  box.hidden = true;
  form.parentNode.insertBefore(box, form);
  // What happened to her tap is said beside the button she tapped, not at the top of the page
  // out of view (she tapped again, and the day went twice).
  var button = form.querySelector("button:not([type=button])");
  var note = text("p", "", "saved-note");
  note.setAttribute("role", "status");
  note.hidden = true;
  if (button) { button.parentNode.insertBefore(note, button.nextSibling); }
  var saving = false;  // her tap is being handled: a second one is not a second report
  var kept = false;  // the report as it is now is on the phone

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(cfg.worker).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // Keep this form and the home page on the phone from the very first visit.
      if (reg.active) { [location.pathname, "/"].forEach(function (p) { reg.active.postMessage({keep: p}); }); }
    }).catch(function () {});
  }

  function open() {
    return new Promise(function (ok, ko) {
      var req = indexedDB.open("ayni-outbox", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("items", {keyPath: "seq", autoIncrement: true}); };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { ko(req.error); };
    });
  }
  function store(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, ko) {
        var tx = db.transaction("items", mode);
        var req = fn(tx.objectStore("items"));
        tx.oncomplete = function () { db.close(); ok(req ? req.result : undefined); };
        tx.onerror = function () { db.close(); ko(tx.error); };
      });
    });
  }
  function all() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.filter(function (i) { return String(i.user) === cfg.user; });  // her own only
    });
  }
  function put(item) { return store("readwrite", function (s) { return s.put(item); }); }
  function drop(seq) { return store("readwrite", function (s) { return s.delete(seq); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : (input ? input.value : "");
  }
  function fmt(s, n) { return String(s).replace("%(n)s", n); }
  function text(tag, content, cls) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (cls) { node.className = cls; }
    return node;
  }

  function fields() {
    var data = {};
    new FormData(form).forEach(function (v, k) {
      if (k === "csrfmiddlewaretoken" || typeof v !== "string") { return; }
      data[k] = k in data ? data[k] + "," + v : v;  // several boxes ticked: one field, all of them
    });
    if (cfg.kind === "report") { data.date = cfg.date; }
    return data;
  }
  function label(data) {
    if (cfg.kind === "report") { return document.querySelector("h1").textContent; }
    if (cfg.kind === "roll_entry") { return [data.given_names, data.paternal_surname].join(" "); }
    if (cfg.kind === "attendance") { return document.querySelector("h1").textContent; }
    if (cfg.kind === "follow_up") { return document.querySelector("h1").textContent; }
    if (cfg.kind === "meeting") { return document.querySelector("h1").textContent + " " + (data.on || ""); }
    var item = form.querySelector("[name=item]");
    return (item && item.selectedOptions[0] ? item.selectedOptions[0].textContent : "") + " " + (data.quantity || "");
  }

  function say(message) { note.textContent = message || ""; note.hidden = !message; }
  function hold(on) { if (button) { button.disabled = on; } }

  form.addEventListener("submit", function (event) {
    if (saving) { event.preventDefault(); return; }  // a second tap while the first is on its way
    saving = true;
    if (navigator.onLine) {  // with signal, the normal post; the button waits until the browser has read it
      setTimeout(function () { hold(true); say(T.saving); }, 0);
      return;
    }
    event.preventDefault();
    hold(true);
    say(T.keeping);
    var data = fields();
    put({user: cfg.user, kitchen: cfg.kitchen, api: cfg.api, type: cfg.kind, client_id: uuid(), data: data, label: label(data),
         saved: Date.now()}).then(function () {
      // A report stays kept as it is until she changes something; a line or a person leaves an
      // empty form for the next one.
      if (cfg.kind !== "report") { form.reset(); saving = false; hold(false); } else { kept = true; }
      say(T.saved);
      return render();
    }, function () { saving = false; hold(false); say(""); });
  });
  form.addEventListener("input", function () {
    if (kept) { kept = false; saving = false; hold(false); say(""); }
  });
  // Back to this page from the browser's history: the button works again.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { saving = false; hold(false); say(""); } });

  function resolve(item, choice) {
    if (choice === "discard") { return drop(item.seq).then(function () { render(); }); }
    if (item.result && item.result.current) { item.data.version = String(item.result.current.version); }
    if (item.result && item.result.status === "needs_confirmation") { item.data.confirm = "on"; }
    item.client_id = uuid();  // a new decision is a new submission
    delete item.state;
    delete item.result;
    return put(item).then(sync);
  }

  // The server's value and hers, compared as what they mean: 100.00 and 100 are the same money.
  function same(server, mine) {
    if (typeof server === "boolean") { return server === (mine === "on" || mine === "true"); }
    var a = String(server === null || server === undefined ? "" : server).trim();
    var b = String(mine === null || mine === undefined ? "" : mine).trim();
    if (a !== "" && b !== "" && !isNaN(a) && !isNaN(b)) { return Number(a) === Number(b); }
    return a === b;
  }

  function problem(item) {
    var li = document.createElement("li");
    var res = item.result || {};
    li.appendChild(text("b", item.label + ": "));
    li.appendChild(text("span", res.status === "conflict" ? T.conflict : (res.message || T.invalid)));
    var details = [];
    Object.keys(res.errors || {}).forEach(function (k) { details = details.concat(res.errors[k]); });
    details = details.concat(res.warnings || []);
    if (details.length) { li.appendChild(text("small", " " + details.join(" "))); }
    if (res.current) {
      var table = document.createElement("table");
      var head = document.createElement("tr");
      head.appendChild(text("th", ""));
      head.appendChild(text("th", T.server));
      head.appendChild(text("th", T.yours));
      table.appendChild(head);
      Object.keys(res.current).forEach(function (k) {
        if (k === "version" || !(k in item.data) || same(res.current[k], item.data[k])) { return; }
        var row = document.createElement("tr");
        var name = form.querySelector("label[for=id_" + k + "]");
        row.appendChild(text("td", name ? name.textContent : k));
        row.appendChild(text("td", String(res.current[k])));
        row.appendChild(text("td", String(item.data[k])));
        table.appendChild(row);
      });
      li.appendChild(table);
    }
    var actions = document.createElement("p");
    if (res.current || res.status === "needs_confirmation") {
      var mine = text("button", T.mine);
      mine.type = "button";
      mine.addEventListener("click", function () { resolve(item, "mine"); });
      actions.appendChild(mine);
      actions.appendChild(document.createTextNode(" "));
    }
    var discard = text("button", T.discard, "secondary");
    discard.type = "button";
    discard.addEventListener("click", function () { resolve(item, "discard"); });
    actions.appendChild(discard);
    li.appendChild(actions);
    return li;
  }

  function render(message) {
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return !i.state; });
      var problems = items.filter(function (i) { return i.state; });
      box.textContent = "";
      if (message) { box.appendChild(text("p", message)); }
      if (!navigator.onLine && !message) { box.appendChild(text("p", T.offline)); }
      if (waiting.length) { box.appendChild(text("p", fmt(T.waiting, waiting.length), "pending")); }
      if (problems.length) {
        var ul = document.createElement("ul");
        ul.className = "plain";
        problems.forEach(function (i) { ul.appendChild(problem(i)); });
        box.appendChild(ul);
      }
      box.hidden = !box.childNodes.length;
      box.className = "card" + (problems.length ? " warn" : "");
      return items.length;
    });
  }

  // An item knows where it goes (a training session's list has its own address); the older ones
  // kept before that went to their kitchen's batch.
  function batchUrl(item) {
    return item.api || cfg.api.replace(/\/\d+\/batch$/, "/" + item.kitchen + "/batch");
  }

  function sendFrom(items, i, sent) {
    if (i >= items.length) { return Promise.resolve(sent); }
    var url = batchUrl(items[i]);
    var run = [];
    while (i < items.length && batchUrl(items[i]) === url && run.length < 100) { run.push(items[i]); i += 1; }
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify({items: run.map(function (x) { return {type: x.type, client_id: x.client_id, data: x.data}; })})
    }).then(function (res) {
      if (res.status !== 200) { throw new Error("HTTP " + res.status); }
      return res.json();
    }).then(function (body) {
      var done = 0;
      return Promise.all(body.results.map(function (result, j) {
        var item = run[j];
        if (result.status === "accepted") { done += 1; return drop(item.seq); }
        if (result.status === "failed") { return null; }  // the server keeps it; try again later
        item.state = result.status;
        item.result = result;
        return put(item);
      })).then(function () { return sendFrom(items, i, sent + done); });
    });
  }

  function sync() {
    if (syncing || !navigator.onLine) { return Promise.resolve(); }
    syncing = true;
    var sent = 0;
    return all().then(function (items) {
      var waiting = items.filter(function (i) { return !i.state; });  // IndexedDB returns them in order
      if (!waiting.length) { return 0; }
      render(T.sending);
      return sendFrom(waiting, 0, 0);
    }).then(function (n) { sent = n; }, function () {}).then(function () {
      syncing = false;
      return render(sent ? fmt(T.sent, sent) : "").then(function (left) {
        if (sent && !left && !note.hidden) { say(T.delivered); }  // what the button said is no longer true
      });
    });
  }

  window.addEventListener("online", sync);
  window.addEventListener("offline", function () { render(); });
  setInterval(sync, 30000);  // the radio says "online" before the server is reachable
  render().then(sync);
}());
