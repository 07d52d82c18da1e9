// Adds a party row without a round trip; without JavaScript the same button asks the server.
(function () {
  "use strict";
  var button = document.getElementById("add-party");
  if (!button) { return; }
  button.addEventListener("click", function (event) {
    var parties = document.querySelectorAll("#parties .party");
    var last = parties[parties.length - 1];
    if (!last) { return; }
    event.preventDefault();
    var index = parties.length;
    var copy = last.cloneNode(true);
    copy.setAttribute("data-index", String(index));
    copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/parties-\d+-/, "parties-" + index + "-")); }
      });
      if (el.tagName === "INPUT") { el.value = ""; el.removeAttribute("aria-invalid"); }
      if (el.tagName === "SELECT") { el.selectedIndex = 0; }
    });
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    copy.querySelector(".party-number").textContent = String(index + 1);
    last.parentNode.insertBefore(copy, button);
    var first = copy.querySelector("input");
    if (first) { first.focus(); }
  });
}());
