/* statusgen's optional script: see docs/themes.md. Its words and date language come from the page. */
(function () {
var I = window.Intl;
if (!I || !I.DateTimeFormat) return;
var lang = document.documentElement.lang || undefined, now = Date.now(), year = new Date(now).getFullYear(), fmts = {};
var mine = navigator.language || "", loc = mine.split("-")[0] == (lang || "").split("-")[0] ? mine : lang;
function fmt(y) {
return fmts[y] || (fmts[y] = new I.DateTimeFormat(loc, {
day: "numeric", month: "short", year: y ? "numeric" : undefined,
hour: "numeric", minute: "2-digit", timeZoneName: "short" }));
}
var rtf = I.RelativeTimeFormat && new I.RelativeTimeFormat(lang, { numeric: "auto" });
var UNITS = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4]];
function ago(ms, always) {
if (!rtf || (!always && Math.abs(ms) > 2592e6)) return "";
for (var i = 0; i < 5 && Math.abs(ms) < UNITS[i][1]; i++);
return rtf.format(Math.round(ms / UNITS[i][1]), UNITS[i][0]);
}
function at(el) {
var iso = el.getAttribute("datetime") || "", d = new Date(iso);
return iso.length > 10 && !isNaN(d) ? d : null;
}
function set(el, text) { el.title = el.title || el.textContent; el.textContent = text; }
function mark(el, d) { var a = ago(d - now); if (a) el.setAttribute("data-ago", a); }
function range(span) {
var t = span.querySelectorAll("time"), a = t.length === 2 && at(t[0]), b = a && at(t[1]);
if (!b || b < a) return;
var f = fmt(a.getFullYear() !== year || b.getFullYear() !== year);
if (!f.formatRangeToParts) return;
var p = f.formatRangeToParts(a, b), s = -1, e = p.length, i, out = ["", "", ""];
for (i = 0; i < p.length; i++) {
if (p[i].source === "startRange") s = i;
if (p[i].source === "endRange" && e === p.length) e = i;
}
if (s < 0 || e === p.length) s = e = p.length;
for (i = 0; i < p.length; i++) out[i <= s ? 0 : i < e ? 1 : 2] += p[i].value;
set(t[0], out[0]); set(t[1], out[2]);
if (t[0].nextSibling && t[0].nextSibling.nodeType === 3) t[0].nextSibling.nodeValue = out[1];
mark(span, a > now ? a : b);
}
var i, el, d, list = document.querySelectorAll(".range");
for (i = 0; i < list.length; i++) range(list[i]);
list = document.querySelectorAll("time[datetime]");
for (i = 0; i < list.length; i++) {
el = list[i]; d = at(el);
if (d && !el.closest(".range")) { set(el, fmt(d.getFullYear() !== year).format(d)); mark(el, d); }
}
var zone = (I.DateTimeFormat().resolvedOptions().timeZone || "").replace(/_/g, " ");
list = document.querySelectorAll(".tz[data-local]");
for (i = 0; zone && i < list.length; i++) list[i].textContent = list[i].getAttribute("data-local").replace("{zone}", zone);
el = document.querySelector(".stale[data-built]");
if (el) {
d = new Date(el.getAttribute("data-built"));
if (now - d > el.getAttribute("data-after") * 1000) {
if (rtf) el.querySelector(".ago").textContent = ago(d - now, true);
el.hidden = false;
}
}
var refresh = document.body.getAttribute("data-refresh");
if (refresh) setTimeout(function () { location.reload(); }, Math.max(30, +refresh) * 1000);
})();
