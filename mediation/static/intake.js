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
    copy.querySelectorAll(".earlier-disputes").forEach(function (el) { el.textContent = ""; });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    copy.querySelector(".party-number").textContent = String(index + 1);
    last.parentNode.insertBefore(copy, button);
    var first = copy.querySelector("input");
    if (first) { first.focus(); }
  });
}());

// Once a full ID number is typed: how many disputes of this person the user's area already has.
// POSTed (with the form's CSRF token), so the number never appears in a URL.
(function () {
  "use strict";
  var form = document.querySelector("form[data-earlier-disputes]");
  var parties = document.getElementById("parties");
  if (!form || !parties || !window.fetch) { return; }
  var url = form.getAttribute("data-earlier-disputes");
  var token = form.querySelector("input[name=csrf_token]");
  var asked = {};
  function check(input) {
    var party = input.closest(".party");
    var notice = party && party.querySelector(".earlier-disputes");
    if (!notice) { return; }
    var number = input.value.replace(/\s/g, "").toUpperCase();
    if (!/^\d{17}[\dX]$/.test(number)) { notice.textContent = ""; delete asked[input.name]; return; }
    if (asked[input.name] === number) { return; }
    asked[input.name] = number;
    var body = new FormData();
    body.append("id_number", number);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: token ? { "X-CSRFToken": token.value } : {}
    }).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (asked[input.name] !== number) { return; }  // the field changed meanwhile
      notice.textContent = answer.message || (answer.error && answer.error.message) || "";
      if (answer.url) {  // the earlier disputes themselves, in a new tab: the form stays
        var link = document.createElement("a");
        link.href = answer.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = notice.textContent;
        notice.textContent = "";
        notice.appendChild(link);
      }
    }).catch(function () { notice.textContent = ""; });
  }
  parties.addEventListener("input", function (event) {
    if (/^parties-\d+-id_number$/.test(event.target.name || "")) { check(event.target); }
  });
}());
