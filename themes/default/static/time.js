/* statusgen: optional enhancements. Without this script the page shows UTC times and works fully.
   - each <time datetime> with a time of day gets the reader's local time, keeping UTC alongside;
   - times within a month get a relative phrase ("12 minutes ago");
   - a home page with an active incident (body[data-refresh]) reloads itself. */
(function () {
  "use strict";
  var intl = window.Intl;
  if (!intl || !intl.DateTimeFormat) return;
  var local = new intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  var rtf = intl.RelativeTimeFormat ? new intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  var UNITS = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4]];

  function relative(ms) {
    if (!rtf || Math.abs(ms) > 2592e6) return "";
    for (var i = 0; i < UNITS.length; i++) {
      if (Math.abs(ms) >= UNITS[i][1] || UNITS[i][0] === "minute") {
        return rtf.format(Math.round(ms / UNITS[i][1]), UNITS[i][0]);
      }
    }
    return "";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function enhance() {
    var now = Date.now();
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var iso = el.getAttribute("datetime");
      if (iso.length < 11) continue; // a date without a time of day
      var d = new Date(iso);
      if (isNaN(d)) continue;
      var utc = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
      var text = local.format(d);
      if (text.indexOf("UTC") < 0) text += " (" + utc + ")";
      var ago = relative(d.getTime() - now);
      el.textContent = text;
      el.setAttribute("title", iso.replace("T", " ").replace("Z", " UTC") + (ago ? ", " + ago : ""));
      if (ago) el.setAttribute("data-ago", ago);
    }
  }

  enhance();
  var refresh = document.body.getAttribute("data-refresh");
  if (refresh) setTimeout(function () { location.reload(); }, Math.max(30, +refresh) * 1000);
})();
