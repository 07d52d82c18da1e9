// The print button of a printable page (inline handlers are barred by the CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
