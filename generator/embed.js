/* statusgen embed banner; see docs/embed.md. Reads api/v2/summary.json beside this script. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.fetch) return;
  var KEY = "statusgen-embed-dismissed";
  var COLOURS = { critical: "#c4171e", major: "#b4490a", minor: "#8a5a00", maintenance: "#0a62c9" };

  function store() {
    try { return localStorage; } catch (e) {}
    try { return sessionStorage; } catch (e) {}
  }
  function dismissed() {
    try { return JSON.parse(store().getItem(KEY)) || []; } catch (e) { return []; }
  }
  function remember(ids) {
    try { store().setItem(KEY, JSON.stringify(ids)); } catch (e) {}
  }
  function el(tag, css, text) {
    var e = document.createElement(tag);
    e.style.cssText = css;
    if (text) e.textContent = text;
    return e;
  }

  function show(data) {
    var events = data.incidents.concat(data.scheduled_maintenances.filter(function (m) {
      return m.status == "in_progress" || m.status == "verifying";
    }));
    var ids = events.map(function (e) { return e.id; });
    // Keep only dismissals of events still active, so the list never grows.
    var gone = dismissed().filter(function (id) { return ids.indexOf(id) >= 0; });
    remember(gone);
    var open = events.filter(function (e) { return gone.indexOf(e.id) < 0; });
    if (!open.length) return;
    var first = open[0];
    var white = "color:#fff;font:inherit;";
    var bar = el("div", white + "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;display:flex;gap:12px;" +
      "align-items:center;padding:10px 16px;font:14px/1.4 system-ui,sans-serif;background:" + (COLOURS[first.impact] || "#454545"));
    bar.id = "statusgen-banner";
    bar.setAttribute("role", "status");
    var text = el("span", "flex:1");
    var link = el("a", white + "font-weight:600;text-decoration:underline", first.name);
    link.href = first.shortlink;
    text.appendChild(link);
    text.appendChild(document.createTextNode(" \u2014 " + first.status.replace("_", " ") +
      (open.length > 1 ? " (+" + (open.length - 1) + " more)" : "")));
    var close = el("button", white + "background:none;border:1px solid #fff;border-radius:4px;cursor:pointer;padding:0 8px", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss status message");
    close.onclick = function () {
      remember(gone.concat(open.map(function (e) { return e.id; })));
      bar.remove();
    };
    bar.appendChild(text);
    bar.appendChild(close);
    document.body.appendChild(bar);
  }

  fetch(new URL("api/v2/summary.json", me.src), { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      if (document.body) show(data);
      else addEventListener("DOMContentLoaded", function () { show(data); });
    })
    .catch(function () {});
})();
