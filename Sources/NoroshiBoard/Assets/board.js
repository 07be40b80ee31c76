// Noroshi board: live updates. The pages work without this script; it only keeps them current.
// One EventSource per tab on /v1/events; after any event the page is fetched again and each block marked
// data-live-part is replaced in place, except one the user is typing in. EventSource reconnects by itself and
// sends Last-Event-ID, so the server replays what a cut stream missed.
(function () {
  "use strict";
  if (!document.body.hasAttribute("data-live") || !window.EventSource || !window.fetch) return;
  var indicator = document.getElementById("live");
  var pending = null;
  var inFlight = false;
  var again = false;

  function refresh() {
    pending = null;
    if (inFlight) { again = true; return; }
    inFlight = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var parts = document.querySelectorAll("[data-live-part]");
        for (var i = 0; i < parts.length; i++) {
          var part = parts[i];
          if (part.contains(document.activeElement) && document.activeElement !== document.body) continue;
          var name = part.getAttribute("data-live-part");
          var replacement = fresh.querySelector('[data-live-part="' + name + '"]');
          if (replacement) part.replaceWith(document.importNode(replacement, true));
        }
        document.title = fresh.title;
        document.body.setAttribute("data-updated", String(Date.now()));
      })
      .catch(function () {})
      .then(function () {
        inFlight = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (pending === null) pending = window.setTimeout(refresh, 150);
  }

  var source = new EventSource("/v1/events");
  source.onopen = function () {
    if (indicator) { indicator.hidden = false; indicator.classList.remove("offline"); }
  };
  source.onerror = function () {
    if (indicator) indicator.classList.add("offline");
  };
  ["incident.opened", "incident.changed", "report.joined", "photo.ready", "message.dead"].forEach(function (type) {
    source.addEventListener(type, schedule);
  });
})();
