// 复制地址 (driver): the clipboard API where allowed (https), else select the text and copy.
// The source is a form field (its value) or any element (its text, e.g. the wrapped address).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.dataset.copy);
  if (!source) return;
  var field = source.tagName === "INPUT" || source.tagName === "TEXTAREA";
  var text = field ? source.value : source.textContent.trim();
  var done = function () { button.textContent = button.dataset.copied; };
  var fallback = function () {
    if (field) {
      source.focus();
      source.select();
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try { if (document.execCommand("copy")) done(); } catch (e) {}
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
});
