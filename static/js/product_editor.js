// The product editor: move a picture left or right (the order posted is the order kept).
// Without this file the cover radio still chooses the first picture.
(function () {
  "use strict";

  function showMoveButtons(root) {
    root.querySelectorAll("#product-images [data-move]").forEach(function (button) {
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#product-images [data-move]");
    if (!button) return;
    event.preventDefault();
    var item = button.closest(".product-image");
    var list = item.parentElement;
    if (button.dataset.move === "-1" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.dataset.move === "1" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    // The first picture is the cover unless another one is chosen explicitly.
    var first = list.querySelector(".product-image input[name=cover]");
    if (first) first.checked = true;
  });

  document.addEventListener("DOMContentLoaded", function () { showMoveButtons(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showMoveButtons(event.target); });
})();
