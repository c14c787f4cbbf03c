// The rider's pool and tasks, live (issue #12 §3):
// - a sound (made with the Web Audio API, no file) and a vibration when the pool's poll brings a
//   task the phone had not shown yet. Browsers let a page make sound only after a tap on it: the
//   开工 tap (or any tap, or 开启新单提醒) opens the audio context;
// - the pickup distances: with the rider's consent the phone's position rides along with the
//   pool's requests (never stored; the server measures store by store);
// - while a task is on hand (`[data-track]` on the page) the position is reported at most every
//   30 s; the server refuses it once nothing is on hand, and the reporting stops.
(function () {
  "use strict";
  var REPORT_MS = 30000;
  var audio = null;
  var shown = null; // ids of the pool's tasks the rider has already seen (null: off duty)
  var position = null; // {lat, lng} of the phone, once the rider allowed it
  var watching = false;
  var lastReport = 0;
  var tracking = true;

  // ---- sound and vibration ------------------------------------------------------------------

  function context() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    return audio;
  }
  function arm() {
    var ctx = context();
    if (ctx && ctx.state === "suspended") ctx.resume().then(syncSoundButton, syncSoundButton);
    syncSoundButton();
  }
  function tone(ctx, at, frequency) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  }
  function ring() {
    var ctx = context();
    if (ctx && ctx.state === "running") {
      var now = ctx.currentTime;
      tone(ctx, now, 880);
      tone(ctx, now + 0.3, 1320);
    }
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  }
  function syncSoundButton() {
    var off = !audio || audio.state !== "running";
    document.querySelectorAll("[data-sound-off]").forEach(function (b) { b.hidden = !off; });
  }

  // ---- the pool -----------------------------------------------------------------------------

  function pool() {
    var el = document.getElementById("pool");
    return el && el.hasAttribute("data-pool") ? el : null;
  }
  function poolTaskIds(el) {
    var ids = [];
    el.querySelectorAll("[data-task-card]:not(.grabbed)").forEach(function (card) {
      ids.push(card.dataset.taskCard);
    });
    return ids;
  }
  function notice() {
    var el = pool();
    if (!el) { shown = null; return; }
    var ids = poolTaskIds(el);
    if (shown !== null && ids.some(function (id) { return shown.indexOf(id) < 0; })) ring();
    shown = (shown || []).concat(ids);
    el.querySelectorAll("[data-locate]").forEach(function (b) {
      b.hidden = !("geolocation" in navigator) || position !== null;
    });
    measure();
    syncSoundButton();
  }

  // The pool was drawn without the phone's position: ask for it again with the position (once
  // per pool block; the poll carries the position from then on).
  function measure() {
    var el = pool();
    if (!el || !position || el.dataset.located === "yes" || el.dataset.measuring) return;
    el.dataset.measuring = "yes";
    el.querySelectorAll("[data-locate]").forEach(function (b) { b.hidden = true; });
    if (window.htmx) {
      window.htmx.ajax("GET", el.getAttribute("hx-get"), { source: el, target: el, swap: "outerHTML" });
    }
  }

  function locate(ask) {
    if (watching || !("geolocation" in navigator)) return;
    var start = function () {
      watching = true;
      navigator.geolocation.watchPosition(function (found) {
        var first = position === null;
        position = {
          lat: found.coords.latitude.toFixed(6),
          lng: found.coords.longitude.toFixed(6),
        };
        window.riderPosition = position; // rider-taps.js sends it with 抢单 (the card's distance)
        if (first) measure();
        report(false);
      }, function () { watching = false; }, { enableHighAccuracy: true, maximumAge: 15000, timeout: 20000 });
    };
    if (ask) { start(); return; }
    if (navigator.permissions && navigator.permissions.query) {
      navigator.permissions.query({ name: "geolocation" }).then(function (state) {
        if (state.state === "granted" || document.querySelector("[data-track]")) start();
      }, function () { /* unknown: wait for a tap */ });
    }
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var el = event.detail.elt;
    if (position && el && el.id === "pool") {
      event.detail.parameters.lat = position.lat;
      event.detail.parameters.lng = position.lng;
    }
  });

  // ---- the position while a task is on hand -------------------------------------------------

  function report(force) {
    var target = document.querySelector("[data-track]");
    if (!target || !position || !tracking) return;
    var now = Date.now();
    if (!force && now - lastReport < REPORT_MS) return;
    lastReport = now;
    var token = "";
    try {
      token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { /* no token: the server refuses, nothing else happens */ }
    var body = new URLSearchParams({ lat: position.lat, lng: position.lng, csrf_token: token });
    window.fetch(target.dataset.track, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
    }).then(function (answer) {
      if (answer.status === 409) tracking = false; // nothing on hand any more
    }, function () { lastReport = 0; }); // offline: try again with the next position
  }

  document.addEventListener("click", function (event) {
    arm(); // any tap on the page opens the sound
    var trigger = event.target.closest("[data-arm-audio], [data-locate]");
    if (!trigger) return;
    if (trigger.hasAttribute("data-arm-audio")) ring(); // the rider hears what a new task sounds like
    locate(true);
  });
  document.addEventListener("htmx:afterSettle", notice);
  document.addEventListener("DOMContentLoaded", function () {
    notice();
    locate(false);
    window.setInterval(function () { report(false); }, REPORT_MS / 3);
  });
})();
