// 获取验证码: once a code is sent the button waits out the seconds the server names
// (data-countdown) before it may be pressed again, showing how many are left.
(function () {
  function start(button) {
    var left = parseInt(button.dataset.countdown, 10) || 0;
    if (left <= 0 || button.dataset.counting) return;
    button.dataset.counting = "1";
    var label = button.textContent;
    var waitText = button.dataset.waitText || "{s}";
    button.disabled = true;
    function tick() {
      if (!document.body.contains(button)) return; // replaced by a newer form
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        delete button.dataset.counting;
        button.dataset.countdown = "0";
        return;
      }
      button.textContent = waitText.replace("{s}", left);
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  }
  function scan() {
    document.querySelectorAll("button[data-countdown]").forEach(start);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:afterSettle", scan);
})();
