// 复制地址 (driver): the clipboard API where allowed (https), else select the text and copy.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var input = document.querySelector(button.dataset.copy);
  var done = function () { button.textContent = button.dataset.copied; };
  var fallback = function () {
    input.focus();
    input.select();
    try { if (document.execCommand("copy")) done(); } catch (e) {}
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, fallback);
  } else {
    fallback();
  }
});
