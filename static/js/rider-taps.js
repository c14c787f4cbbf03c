// The rider's taps on a weak network (issue #12 §3). Every tap form (抢单 and the status buttons,
// `form[data-tap]`) is sent from here with a key made on the phone. A tap that cannot reach the
// server waits in localStorage, shows as pending on its card, and is sent again when the network
// returns (the `online` event, and every few seconds); the server acts once per key
// (app/delivery/taps.py), so a tap sent twice moves the task once and answers the same. A tap the
// server refuses, or that keeps failing, says so plainly on its card until the rider dismisses it.
// Without this script every form is still a plain POST with a key drawn with the page.
//
// 送达 (`form[data-confirm-open]`) first shows its confirming button at the top of the card.
(function () {
  "use strict";
  var QUEUE = "rider-taps:queue";
  var FAILED = "rider-taps:failed";
  var RETRY_MS = 5000;
  var MAX_TRIES = 60; // sent and not answered this often (about 5 minutes online): it failed
  var ARM_MS = 600; // the confirming button wakes up after this: a double tap cannot confirm
  var busy = false;

  function read(name) {
    try { return JSON.parse(window.localStorage.getItem(name) || "[]"); } catch (e) { return []; }
  }
  function write(name, list) {
    try { window.localStorage.setItem(name, JSON.stringify(list)); } catch (e) { /* private mode */ }
  }
  function words() {
    var el = document.getElementById("tap-words");
    return el ? el.dataset : {};
  }
  function say(template, entry, reason) {
    return (template || "").replace("{label}", entry.label || "").replace("{reason}", reason || "");
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }
  function cardOf(taskId) {
    return document.querySelector('[data-task-card="' + taskId + '"]');
  }

  // ---- what a card shows --------------------------------------------------------------------

  function note(card, kind, text, entry) {
    if (!card) return;
    var old = card.querySelector(".tap-note");
    if (old) old.remove();
    if (!text) return;
    var p = document.createElement("p");
    p.className = "tap-note tap-" + kind;
    p.setAttribute("role", kind === "failed" ? "alert" : "status");
    p.textContent = text;
    if (kind === "failed") {
      var dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "link";
      dismiss.textContent = words().dismiss || "OK";
      dismiss.dataset.dismissTap = entry.key;
      p.appendChild(dismiss);
    }
    var head = card.querySelector(".row");
    if (head && head.nextSibling) card.insertBefore(p, head.nextSibling); else card.appendChild(p);
  }
  function lock(card, locked) {
    if (!card) return;
    card.classList.toggle("is-pending", locked);
    card.querySelectorAll("form[data-tap] button").forEach(function (b) { b.disabled = locked; });
  }
  function render() {
    read(QUEUE).forEach(function (entry) {
      var card = cardOf(entry.task);
      var offline = !navigator.onLine || entry.tries > 0;
      note(card, "pending", say(offline ? words().pending : words().sending, entry), entry);
      lock(card, true);
    });
    read(FAILED).forEach(function (entry) {
      note(cardOf(entry.task), "failed", say(words().failed, entry, entry.reason), entry);
    });
  }

  // ---- sending ------------------------------------------------------------------------------

  function drop(entry) {
    write(QUEUE, read(QUEUE).filter(function (e) { return e.key !== entry.key; }));
  }
  function fail(entry, reason) {
    drop(entry);
    entry.reason = reason;
    var failed = read(FAILED).filter(function (e) { return e.task !== entry.task; });
    failed.push(entry);
    write(FAILED, failed.slice(-10));
    var card = cardOf(entry.task);
    lock(card, false);
    note(card, "failed", say(words().failed, entry, reason), entry);
    redraw(card);
  }
  // A refused tap's card may show a state that is gone: draw it as it is now (the refusal stays).
  function redraw(card) {
    if (!card || !card.dataset.refresh) return;
    window.fetch(card.dataset.refresh, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (!html) return;
        swap(card, html);
        render();
      }, function () { /* offline again: the card stays as it was, with its note */ });
  }
  function swap(card, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (!card || !fresh) return;
    card.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    fresh.dispatchEvent(new CustomEvent("rider:tapped", { bubbles: true }));
  }
  function retryLater(entry) {
    entry.tries = (entry.tries || 0) + 1;
    if (entry.tries >= MAX_TRIES) {
      fail(entry, words().gaveUp);
      return;
    }
    write(QUEUE, read(QUEUE).map(function (e) { return e.key === entry.key ? entry : e; }));
    render();
  }

  function send(entry) {
    var body = new URLSearchParams(entry.body);
    var token = csrfToken();
    if (token) body.set("csrf_token", token); // the page's token: a queued one may have expired
    if (window.riderPosition && !body.has("lat")) { // rider-live.js: the card's pickup distance
      body.set("lat", window.riderPosition.lat);
      body.set("lng", window.riderPosition.lng);
    }
    return window.fetch(entry.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": token },
    }).then(function (answer) {
      if (answer.status >= 500 || answer.status === 429) {
        retryLater(entry);
        return "wait";
      }
      return answer.text().then(function (html) {
        drop(entry);
        var card = cardOf(entry.task);
        var redirect = answer.headers.get("HX-Redirect");
        if (redirect) {
          window.location.assign(redirect);
        } else if (answer.headers.get("HX-Retarget")) { // a refusal, as a flash fragment
          var holder = document.createElement("div");
          holder.innerHTML = html;
          fail(entry, holder.textContent.replace(/\s+/g, " ").trim());
        } else if (answer.ok && entry.follow && card) {
          window.location.assign(entry.follow);
        } else {
          swap(card, html);
        }
        return "done";
      });
    }, function () { // no network: stays queued, pending on its card
      retryLater(entry);
      return "offline";
    });
  }

  function flush() {
    if (busy) return;
    var queue = read(QUEUE);
    if (!queue.length) return;
    if (!navigator.onLine) { render(); return; } // offline: waiting costs no try
    busy = true;
    var next = function (i) {
      if (i >= queue.length) { busy = false; return; }
      send(queue[i]).then(function (outcome) {
        if (outcome === "offline") { busy = false; return; } // the rest would fail the same
        next(i + 1);
      }, function () { busy = false; });
    };
    next(0);
  }

  // ---- the forms ----------------------------------------------------------------------------

  function openConfirm(form) {
    var card = form.closest("[data-task-card]");
    var step = card && card.querySelector("[data-confirm-step]");
    if (!step) return false;
    var cancel = card.querySelector("[data-confirm-cancel]");
    var confirm = step.querySelector("button[type=submit]");
    step.hidden = false;
    form.hidden = true;
    if (cancel) cancel.hidden = false;
    if (confirm) {
      confirm.disabled = true;
      window.setTimeout(function () { confirm.disabled = false; }, ARM_MS);
    }
    step.scrollIntoView({ block: "center", behavior: "smooth" });
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-tap")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (form.hasAttribute("data-confirm-open") && openConfirm(form)) return;
    var task = form.dataset.tap;
    if (read(QUEUE).some(function (e) { return e.task === task; })) return; // already on its way
    var fields = new URLSearchParams(new FormData(form));
    fields.set("key", newKey());
    var entry = {
      key: fields.get("key"),
      task: task,
      url: form.action,
      body: fields.toString(),
      label: form.dataset.tapLabel || "",
      follow: form.dataset.tapFollow || "",
      tries: 0,
    };
    write(FAILED, read(FAILED).filter(function (e) { return e.task !== task; }));
    var queue = read(QUEUE);
    queue.push(entry);
    write(QUEUE, queue);
    render();
    flush();
  }, true); // before htmx or anything else sees the submit

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-confirm-cancel]");
    if (cancel) {
      var card = cancel.closest("[data-task-card]");
      card.querySelector("[data-confirm-step]").hidden = true;
      card.querySelectorAll("form[data-confirm-open]").forEach(function (f) { f.hidden = false; });
      cancel.hidden = true;
      return;
    }
    var dismiss = event.target.closest("[data-dismiss-tap]");
    if (dismiss) {
      var key = dismiss.dataset.dismissTap;
      write(FAILED, read(FAILED).filter(function (e) { return e.key !== key; }));
      dismiss.parentNode.remove();
    }
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  document.addEventListener("htmx:afterSettle", render); // the pool's poll brings new cards
  document.addEventListener("DOMContentLoaded", function () {
    render();
    flush();
    window.setInterval(flush, RETRY_MS);
  });
})();
