// Filters of the findings tables: status, severity, layer, control and free text, also read from
// the URL fragment (#status=fail&severity=high&layer=WL&control=WL-002&q=text). Without
// JavaScript every row is visible; with it, the first rows of a match are shown a page at a time.
(function () {
  "use strict";
  var PAGE = 500;
  var KEYS = ["status", "severity", "layer", "control", "q"];
  var params = {};
  location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
    if (!kv) return;
    var i = kv.indexOf("=");
    try {
      var k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      params[k] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    } catch (e) { /* a malformed fragment is ignored */ }
  });
  var tables = document.querySelectorAll("section.fs");
  Array.prototype.forEach.call(tables, function (sec) {
    var form = sec.querySelector("form");
    var tbody = sec.querySelector("table.findings tbody");
    var out = sec.querySelector("output");
    var more = sec.querySelector("button.more");
    if (!form || !tbody || !out || !more) return;
    var rows = Array.prototype.map.call(tbody.rows, function (tr) {
      var c = tr.cells;
      return { tr: tr, c: c[0].textContent, v: c[1].textContent, s: c[2].textContent, t: null };
    });
    var shown = PAGE;
    KEYS.forEach(function (k) {
      if (Object.prototype.hasOwnProperty.call(params, k) && form.elements[k]) form.elements[k].value = params[k];
    });
    function apply() {
      var st = form.elements.status.value, sv = form.elements.severity.value;
      var ly = form.elements.layer.value, ct = form.elements.control.value;
      var q = form.elements.q.value.trim().toLowerCase();
      var n = 0;
      for (var i = 0; i < rows.length; i++) {
        var r = rows[i];
        var ok = (!st || r.s === st) && (!sv || r.v === sv) && (!ct || r.c === ct) &&
          (!ly || r.c.lastIndexOf(ly + "-", 0) === 0);
        if (ok && q) {
          if (r.t === null) r.t = r.tr.textContent.toLowerCase();
          ok = r.t.indexOf(q) >= 0;
        }
        if (ok) n++;
        var hide = !ok || n > shown;
        if (r.tr.hidden !== hide) r.tr.hidden = hide;
      }
      out.setAttribute("data-matched", String(n));
      out.textContent = n + " of " + rows.length + " match" + (n > shown ? "; showing the first " + shown : "");
      more.hidden = n <= shown;
    }
    var timer = 0;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { shown = PAGE; apply(); }, 120);
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); shown = PAGE; apply(); });
    form.addEventListener("reset", function () { setTimeout(function () { shown = PAGE; apply(); }, 0); });
    more.addEventListener("click", function () { shown += PAGE; apply(); });
    apply();
  });
  document.documentElement.classList.add("ready");
  document.body.setAttribute("data-ready", String(tables.length));
  if (window.performance) document.body.setAttribute("data-ms", String(Math.round(performance.now())));
})();
