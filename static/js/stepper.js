// Storefront: the −/+ buttons of a stepper move by the input's step (the product's minimum order
// quantity).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-step]");
  if (!button) return;
  var input = button.parentNode.querySelector("input[type=number]");
  if (button.dataset.step === "up") { input.stepUp(); } else { input.stepDown(); }
  input.dispatchEvent(new Event("change", { bubbles: true }));
});
