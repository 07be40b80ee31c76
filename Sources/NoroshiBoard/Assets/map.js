// Noroshi map: smoother pan and zoom. The map works without this script (its links pan and zoom, the server
// draws every view); here the links, a mouse wheel and dragging load the next view in place instead of
// reloading the page. The projection below must match MapView.swift.
(function () {
  "use strict";
  if (!window.fetch || !window.history || !window.URLSearchParams) return;
  var W = 960, H = 800;

  function map() { return document.getElementById("japan"); }

  function load(url) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        var fresh = html === null ? null : new DOMParser().parseFromString(html, "text/html");
        var part = document.querySelector('[data-live-part="map"]');
        var next = fresh && fresh.querySelector('[data-live-part="map"]');
        if (!part || !next) { window.location.href = url; return; }
        part.replaceWith(document.importNode(next, true));
        window.history.replaceState(null, "", url);
        document.title = fresh.title;
      })
      .catch(function () { window.location.href = url; });
  }

  function viewURL(longitude, latitude, zoom) {
    var params = new URLSearchParams(window.location.search);
    params.set("x", longitude.toFixed(4));
    params.set("y", latitude.toFixed(4));
    params.set("z", String(zoom));
    return "/map?" + params.toString();
  }

  function toView(svg, clientX, clientY) {
    var box = svg.getBoundingClientRect();
    return { x: (clientX - box.left) * W / box.width, y: (clientY - box.top) * H / box.height };
  }

  // A point of the view in degrees, with the view's own centre and zoom.
  function toGlobe(svg, point, zoom) {
    var x = parseFloat(svg.getAttribute("data-x")), y = parseFloat(svg.getAttribute("data-y"));
    var z = zoom || parseInt(svg.getAttribute("data-z"), 10);
    var perDegree = 36 * Math.pow(2, z - 1), cosine = Math.cos(y * Math.PI / 180);
    return { longitude: x + (point.x - W / 2) / (perDegree * cosine), latitude: y - (point.y - H / 2) / perDegree };
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-map]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    load(link.href);
  });

  var wheelReady = 0;
  document.addEventListener("wheel", function (event) {
    var svg = map();
    if (!svg || !svg.contains(event.target)) return;
    event.preventDefault();
    if (Date.now() < wheelReady) return;
    wheelReady = Date.now() + 400;
    var zoom = parseInt(svg.getAttribute("data-z"), 10);
    var next = Math.max(1, Math.min(10, zoom + (event.deltaY < 0 ? 1 : -1)));
    if (next === zoom) return;
    // The point under the pointer stays under the pointer.
    var point = toView(svg, event.clientX, event.clientY), there = toGlobe(svg, point);
    var perDegree = 36 * Math.pow(2, next - 1), cosine = Math.cos(there.latitude * Math.PI / 180);
    load(viewURL(there.longitude - (point.x - W / 2) / (perDegree * cosine),
      there.latitude + (point.y - H / 2) / perDegree, next));
  }, { passive: false });

  var drag = null;
  document.addEventListener("pointerdown", function (event) {
    var svg = map();
    if (!svg || !svg.contains(event.target) || event.button !== 0) return;
    drag = { svg: svg, start: toView(svg, event.clientX, event.clientY), moved: false };
  });
  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var point = toView(drag.svg, event.clientX, event.clientY);
    var dx = point.x - drag.start.x, dy = point.y - drag.start.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
    if (drag.moved) drag.svg.setAttribute("viewBox", -dx + " " + -dy + " " + W + " " + H);
  });
  document.addEventListener("pointerup", function (event) {
    if (!drag) return;
    var done = drag;
    drag = null;
    if (!done.moved) return;
    var point = toView(done.svg, event.clientX, event.clientY);
    var centre = toGlobe(done.svg, { x: W / 2 - (point.x - done.start.x), y: H / 2 - (point.y - done.start.y) });
    load(viewURL(centre.longitude, centre.latitude, parseInt(done.svg.getAttribute("data-z"), 10)));
    // The click that ends a drag does not follow the link it ended on.
    document.addEventListener("click", function swallow(click) {
      click.preventDefault();
      click.stopPropagation();
      document.removeEventListener("click", swallow, true);
    }, true);
  });
})();
