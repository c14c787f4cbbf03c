// Store back office: a short beep when the new-order count grows. Browsers only let a page play
// sound after the person has interacted with it, so the audio context is opened (or resumed) on
// the first click.
(function () {
  var context = null, heard = 0;
  function audio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!context && Context) context = new Context();
    return context;
  }
  function beep() {
    var ctx = audio();
    if (!ctx) return;
    var tone = ctx.createOscillator(), volume = ctx.createGain(), now = ctx.currentTime;
    tone.frequency.value = 880;
    volume.gain.setValueAtTime(0.25, now);
    volume.gain.exponentialRampToValueAtTime(0.001, now + 0.5);
    tone.connect(volume);
    volume.connect(ctx.destination);
    tone.start(now);
    tone.stop(now + 0.5);
  }
  document.addEventListener("click", function () {
    var ctx = audio();
    if (ctx && ctx.state === "suspended") ctx.resume();
  });
  document.body.addEventListener("htmx:afterSettle", function () {
    var alert = document.getElementById("new-orders");
    var count = alert ? parseInt(alert.dataset.count || "0", 10) : 0;
    if (count > heard) beep();
    heard = count;
  });
})();
