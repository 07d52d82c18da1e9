// Offline intake (docs/offline.md): the service worker, the queue of cases captured without a
// connection (IndexedDB, per user), their sending through the JSON API with an Idempotency-Key
// each, the "waiting to upload" count in the header, and the warning when signing out.
(function () {
  "use strict";
  var body = document.body;
  var user = body.getAttribute("data-user");
  if (!user) { return; }
  var intakeUrl = body.getAttribute("data-intake");
  var casesUrl = body.getAttribute("data-cases");
  var loginUrl = body.getAttribute("data-login");
  var form = document.querySelector("form.intake");
  var textsNode = document.getElementById("offline-texts");
  var texts = textsNode ? JSON.parse(textsNode.textContent) : {};
  var secure = window.isSecureContext && "serviceWorker" in navigator;
  var API = "/api/v1/cases";
  var TIMEOUT_MS = 30000;
  var RETRY_MS = 20000;
  var KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
  var MAX_PHOTOS = Number(form && form.getAttribute("data-max-photos")) || 5;

  // --- the queue: one IndexedDB store, entries keyed by their Idempotency-Key ---------------
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("fengqiao-offline", 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore("intake", { keyPath: "key" });
          store.createIndex("user", "user");
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function transact(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("intake", mode);
        var result = work(tx.objectStore("intake"));
        tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function entries() {  // this user's entries, oldest first
    return transact("readonly", function (store) {
      return store.index("user").getAll(user);
    }).then(function (list) {
      return list.sort(function (a, b) { return a.created - b.created; });
    });
  }
  function save(entry) { return transact("readwrite", function (store) { store.put(entry); }); }
  function remove(key) { return transact("readwrite", function (store) { store.delete(key); }); }
  function unsent(list) {
    return list.filter(function (entry) { return entry.status !== "sent"; });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the header's count and the sign-out warning -----------------------------------------
  function showCount(list) {
    var n = unsent(list).length;
    unsentCount = n;
    var link = document.getElementById("queue-link");
    var count = document.getElementById("queue-count");
    if (!link || !count) { return; }
    count.textContent = String(n);
    link.hidden = n === 0;
  }

  // Synchronous on purpose: the sign-out goes on at once unless the mediator stops it.
  var unsentCount = 0;
  var logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      var n = unsentCount;
      if (n && !window.confirm(logout.getAttribute("data-unsent").replace("{count}", String(n)))) {
        event.preventDefault();
        return;
      }
      // The pages kept for offline use show this user's cases: they go. The queue stays.
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage("forget-pages");
      }
    });
  }

  // --- the intake form: what it holds, as the API's CaseInput -------------------------------
  var FIELDS = ["village_code", "title", "category", "source", "received_at", "people_involved",
    "amount_yuan", "description"];
  var PARTY_FIELDS = ["name", "role", "id_number", "phone", "address"];

  function readForm() {
    var values = {};
    FIELDS.forEach(function (name) {
      var el = form.elements[name];
      values[name] = el ? el.value : "";
    });
    values.risks = Array.prototype.filter.call(form.querySelectorAll("input[name=risks]"), function (el) {
      return el.checked;
    }).map(function (el) { return el.value; });
    values.parties = Array.prototype.map.call(form.querySelectorAll("#parties .party"), function (party, i) {
      var row = {};
      PARTY_FIELDS.forEach(function (name) {
        var el = form.elements["parties-" + i + "-" + name];
        row[name] = el ? el.value.trim() : "";
      });
      return row;
    }).filter(function (row) {
      return row.name || row.id_number || row.phone || row.address;
    });
    return values;
  }

  function apiBody(values, capturedAt) {
    var data = {
      village_code: values.village_code,
      title: values.title.trim(),
      category: values.category,
      source: values.source,
      description: values.description.trim(),
      risks: values.risks,
      parties: values.parties.map(function (row) {
        var party = { name: row.name, role: row.role };
        ["id_number", "phone", "address"].forEach(function (name) {
          if (row[name]) { party[name] = row[name]; }
        });
        return party;
      })
    };
    var people = values.people_involved.trim();
    data.people_involved = /^\d{1,9}$/.test(people) ? parseInt(people, 10) : people;
    if (values.amount_yuan.trim()) { data.amount_yuan = values.amount_yuan.trim(); }
    // Received: what the mediator typed (local time of the site), else the capture moment.
    var typed = values.received_at.trim();
    data.received_at = typed ? typed + (form.getAttribute("data-utc-offset") || "") : capturedAt;
    return data;
  }

  function resetForm() {
    form.reset();
    var rows = form.querySelectorAll("#parties .party");
    for (var extra = rows.length - 1; extra >= 1; extra--) { rows[extra].remove(); }
    clearErrors();
  }

  function fillForm(values) {
    resetForm();
    var button = document.getElementById("add-party");
    while (form.querySelectorAll("#parties .party").length < Math.max(values.parties.length, 1) && button) {
      button.click();
    }
    var rows = form.querySelectorAll("#parties .party");
    for (var extra = rows.length - 1; extra >= Math.max(values.parties.length, 1); extra--) {
      rows[extra].remove();
    }
    FIELDS.forEach(function (name) {
      if (form.elements[name]) { form.elements[name].value = values[name]; }
    });
    form.querySelectorAll("input[name=risks]").forEach(function (el) {
      el.checked = values.risks.indexOf(el.value) >= 0;
    });
    values.parties.forEach(function (row, i) {
      PARTY_FIELDS.forEach(function (name) {
        var el = form.elements["parties-" + i + "-" + name];
        if (el) { el.value = row[name]; }
      });
    });
  }

  function clearErrors() {
    form.querySelectorAll(".error[data-offline]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function showErrors(errors) {
    clearErrors();
    Object.keys(errors || {}).forEach(function (name) {
      var el = document.getElementById(name.replace(/\./g, "-")) ||
        document.getElementById(name.split(".")[0]);
      var note = document.createElement("p");
      note.className = "error";
      note.setAttribute("data-offline", "1");
      note.setAttribute("data-field", name);
      note.textContent = errors[name];
      if (el && el.closest(".field")) {
        el.setAttribute("aria-invalid", "true");
        el.closest(".field").appendChild(note);
      } else {
        form.insertBefore(note, form.firstChild);
      }
    });
  }

  function fieldLabel(name) {
    var label = document.querySelector("label[for='" + name.replace(/\./g, "-") + "']");
    var text = label ? label.textContent.trim() : name;
    var party = /^parties\.(\d+)\./.exec(name);
    if (party && texts.party) { text = texts.party.replace("{n}", String(+party[1] + 1)) + " · " + text; }
    return text;
  }

  // --- the list of saved cases on the intake page --------------------------------------------
  var status = document.getElementById("offline-status");
  function say(message, link) {
    if (!status) { return; }
    status.textContent = message || "";
    if (link) {
      status.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      status.appendChild(a);
    }
    status.hidden = !message;
  }

  function localTime(iso) {
    var date = new Date(iso);
    return isNaN(date) ? iso : date.toLocaleString(document.documentElement.lang || undefined);
  }

  function render(list) {
    showCount(list);
    var section = document.getElementById("queue");
    var holder = document.getElementById("queue-list");
    if (!section || !holder) { return; }
    holder.textContent = "";
    section.hidden = list.length === 0;
    list.forEach(function (entry) {
      var li = document.createElement("li");
      li.className = "queued queued-" + entry.status;
      li.setAttribute("data-key", entry.key);
      var title = document.createElement("strong");
      title.textContent = entry.values.title.trim() || texts.untitled;
      li.appendChild(title);
      var when = document.createElement("span");
      when.className = "hint";
      when.textContent = " · " + texts.captured + " " + localTime(entry.capturedAt) + " · ";
      li.appendChild(when);
      var badge = document.createElement("span");
      badge.className = "badge queue-status";
      if (entry.status === "sent") {
        badge.textContent = texts.sent + " ";
        var link = document.createElement("a");
        link.href = casesUrl + "/" + entry.caseId;
        link.className = "case-number";
        link.textContent = entry.caseNumber;
        badge.appendChild(link);
      } else {
        badge.textContent = entry.status === "error" ? texts.error : texts.pending;
      }
      li.appendChild(badge);
      var photos = entry.photos || [];
      if (photos.length) {
        var pictures = document.createElement("span");
        pictures.className = "hint queue-photos";
        pictures.textContent = " · " + texts.photos.replace("{n}", photos.length);
        li.appendChild(pictures);
        photos.filter(function (photo) { return photo.error; }).forEach(function (photo) {
          var refused = document.createElement("p");
          refused.className = "error queue-photo-error";
          refused.textContent = texts.photo_refused + " " + photo.name + ": " + photo.error;
          li.appendChild(refused);
        });
      }
      if (entry.status === "error") {
        var problems = document.createElement("ul");
        problems.className = "queue-errors";
        var fields = entry.errors || {};
        Object.keys(fields).forEach(function (name) {
          var item = document.createElement("li");
          item.className = "error";
          item.setAttribute("data-field", name);
          item.textContent = fieldLabel(name) + ": " + fields[name];
          problems.appendChild(item);
        });
        if (!Object.keys(fields).length && entry.message) {
          var only = document.createElement("li");
          only.className = "error";
          only.textContent = entry.message;
          problems.appendChild(only);
        }
        li.appendChild(problems);
      }
      if (entry.status !== "sent" && form && !entry.caseId) {  // registered: photos to go
        var edit = document.createElement("button");
        edit.type = "button";
        edit.className = "link queue-edit";
        edit.textContent = texts.edit;
        edit.addEventListener("click", function () { startEditing(entry); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(edit);
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "link queue-remove";
        drop.textContent = texts.remove;
        drop.addEventListener("click", function () {
          if (window.confirm(texts.confirm_remove)) { remove(entry.key).then(refresh); }
        });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(drop);
      }
      holder.appendChild(li);
    });
  }

  function refresh() {
    return entries().then(function (list) {
      var old = Date.now() - KEEP_SENT_MS;
      var stale = list.filter(function (entry) { return entry.status === "sent" && entry.sentAt < old; });
      stale.forEach(function (entry) { remove(entry.key); });
      list = list.filter(function (entry) { return stale.indexOf(entry) < 0; });
      render(list);
      return list;
    });
  }

  var editing = null;
  function startEditing(entry) {
    editing = entry;
    fillForm(entry.values);
    showErrors(entry.errors);
    say(texts.editing);
    form.scrollIntoView();
  }

  // --- sending, in order, each with its own Idempotency-Key ----------------------------------
  var sending = false;
  var retryTimer = null;

  function freshSession() {
    // The intake page as the server has it now: is the session alive, whose, and its CSRF token.
    return fetch(intakeUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.redirected || response.status === 401) { throw new Error("sign-in"); }
      if (!response.ok) { throw new Error("retry"); }
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      if (page.body.getAttribute("data-user") !== user) { throw new Error("other-user"); }
      var token = page.querySelector("input[name=csrf_token]");
      return token ? token.value : "";
    });
  }

  function post(entry, token) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(API, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": token,
        "Idempotency-Key": entry.key
      },
      body: JSON.stringify(entry.body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    }, function (error) {
      clearTimeout(timer);
      throw error;
    });
  }

  function sendPhotos(entry, token) {
    // After its case: each photo taken with it, a key of its own, so a resend stores it once.
    var photos = entry.photos || [];
    var one = function (j) {
      if (j >= photos.length) { return Promise.resolve(); }
      var photo = photos[j];
      if (photo.sent || photo.error) { return one(j + 1); }
      var data = new FormData();
      data.append("file", photo.blob, photo.name);
      data.append("kind", "photo");
      return fetch(API + "/" + entry.caseId + "/attachments", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token,
                   "Idempotency-Key": entry.key + ":photo:" + j },
        body: data
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 201) {
            photo.sent = true;
          } else if ([403, 413, 422].indexOf(response.status) >= 0) {
            photo.error = (answer.error && answer.error.message) || String(response.status);
          } else if (response.status === 401) {
            throw new Error("sign-in");
          } else {
            throw new Error("retry");
          }
          photo.blob = null;  // kept on the server now, or refused for good
          return save(entry).then(function () { return one(j + 1); });
        });
      });
    };
    return one(0);
  }

  function sendAll() {
    if (sending || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    clearTimeout(retryTimer);
    return entries().then(function (list) {
      var queue = list.filter(function (entry) { return entry.status === "pending"; });
      if (!queue.length) { return null; }
      say(texts.sending);
      return freshSession().then(function (token) {
        var next = function (i) {
          if (i >= queue.length) { return null; }
          var entry = queue[i];
          var registered = entry.caseId  // the case went in before its photos: not again
            ? Promise.resolve({ status: 201, data: { id: entry.caseId, number: entry.caseNumber } })
            : post(entry, token);
          return registered.then(function (answer) {
            var error = answer.data && answer.data.error;
            if (answer.status === 201 || answer.status === 200) {
              entry.caseId = answer.data.id;
              entry.caseNumber = answer.data.number;
              entry.errors = null;
              return save(entry).then(function () {
                return sendPhotos(entry, token);
              }).then(function () {
                entry.status = "sent";
                entry.sentAt = Date.now();
                return save(entry);
              }).then(function () { return next(i + 1); });
            }
            if (answer.status === 401) { throw new Error("sign-in"); }
            if (answer.status === 400 && error && error.code === "csrf") {
              return freshSession().then(function (fresh) { token = fresh; return next(i); });
            }
            if (answer.status === 422 || answer.status === 403) {
              // Refused: nothing was created and the key binds nothing; kept to be corrected.
              entry.status = "error";
              entry.errors = (error && error.fields) || {};
              entry.message = error ? error.message : "";
              return save(entry).then(function () { return next(i + 1); });
            }
            throw new Error("retry");  // busy, 5xx: later, in the same order
          });
        };
        return next(0);
      }).then(function () {
        say("");
      });
    }).catch(function (error) {
      var reason = error && error.message;
      if (reason === "sign-in") {
        say(texts.sign_in, { href: loginUrl, text: texts.sign_in_link });
      } else if (reason === "other-user") {
        say(texts.other_user);
      } else {
        say(texts.retry);  // the network dropped or the server is busy: the same keys later
        retryTimer = setTimeout(sendAll, RETRY_MS);
      }
    }).then(function () {
      sending = false;
      return refresh();
    });
  }

  // --- capture: offline, or a saved entry being corrected, the form goes to the queue --------
  if (form) {
    if (!secure) {
      var unavailable = document.getElementById("offline-unavailable");
      if (unavailable) { unavailable.hidden = false; }
    } else {
      form.addEventListener("submit", function (event) {
        if (event.submitter && event.submitter.name === "add_party") { return; }
        if (navigator.onLine && !editing) { return; }  // connected: the form posts as ever
        event.preventDefault();
        var values = readForm();
        var capturedAt = editing ? editing.capturedAt : new Date().toISOString();
        var entry = editing || { key: newKey(), user: user, created: Date.now(), capturedAt: capturedAt };
        entry.values = values;
        entry.body = apiBody(values, capturedAt);
        var picker = form.querySelector("input[type=file][name=photos]");
        var chosen = picker && picker.files ? Array.prototype.slice.call(picker.files, 0, MAX_PHOTOS) : [];
        if (chosen.length) {  // kept in IndexedDB with the entry; a correction keeps them
          entry.photos = chosen.map(function (file) {
            return { name: file.name, type: file.type, blob: file, sent: false, error: "" };
          });
        } else if (!entry.photos) {
          entry.photos = [];
        }
        entry.status = "pending";
        entry.errors = null;
        entry.message = "";
        save(entry).then(function () {
          editing = null;
          resetForm();
          say(texts.saved);
          return refresh();
        }).then(function () {
          document.getElementById("queue").scrollIntoView();
          return sendAll();
        });
      });
      window.addEventListener("offline", function () { say(texts.offline); });
      if (!navigator.onLine) { say(texts.offline); }
    }
  }

  window.addEventListener("online", function () { sendAll(); });
  if (secure) {
    navigator.serviceWorker.register(body.getAttribute("data-sw")).catch(function () { return null; });
  }
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(function () { return false; });  // not evicted when space runs low
  }
  if (window.indexedDB) {
    refresh().then(function () { return sendAll(); }).catch(function () { return null; });
  }
}());
