"""`/offline.html`: the page a company's own load balancer shows while its app is down.

It is served from somewhere else (the app's domain, a load balancer, a
bucket), possibly for any path, so it is fully self-contained: inline CSS, a
tiny inline script (allowed by hash in its Content-Security-Policy, which
forbids every other request), absolute links, and no favicon request. It
names the maintenance in progress, or else the next one, with its window in
UTC; the script adds the window in the reader's own time. Its words are the
theme's, in the site's language.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from generator import paths, templatecache
from generator.language import ENGLISH, Language, site_language, template_functions
from generator.model import STATUS_LABELS, Site
from generator.status import EventState, Snapshot
from generator.timestamps import UTC, isoformat

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_LISTED = 3

CSS = (
    ":root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1d2330;--muted:#525c6b;--card:#fff;--line:#d5dae1;"
    "--link:#0b57c2;--maint:#1f5fa8;--warn:#8a4b00}"
    "@media (prefers-color-scheme:dark){:root{--bg:#14171c;--fg:#e8ebf0;--muted:#a9b1bd;--card:#1d2128;"
    "--line:#353b45;--link:#8ab8ff;--maint:#8ab8ff;--warn:#ffb55c}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}"
    "main{max-width:36rem;margin:0 auto;padding:2.5rem 1.25rem}"
    "h1{font-size:1.6rem;line-height:1.25;margin:.25rem 0 1rem}"
    "h2{font-size:1.1rem;margin:0 0 .25rem}"
    "section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:1rem 0}"
    "section p{margin:.25rem 0}"
    "a{color:var(--link);overflow-wrap:anywhere}"
    ".tag{display:inline-block;font-weight:600;font-size:.85rem;border:2px solid;border-radius:99px;padding:0 .7rem;margin:0}"
    ".maint{color:var(--maint)}.warn{color:var(--warn)}"
    ".muted,.local{color:var(--muted)}.local{display:block}"
    ".status{margin-top:1.5rem}"
)

# Adds "Your time: …" under each window, its words from data-label; without JavaScript the UTC
# window stands alone. Dates are in the reader's own locale when it is a form of the page's
# language (en-GB for an "en" page), else in the page's language.
JS = (
    "(function(){var f={weekday:'short',day:'numeric',month:'short',hour:'2-digit',minute:'2-digit'},"
    "h={hour:'2-digit',minute:'2-digit'},p=document.documentElement.lang,l=navigator.language||p;"
    "if(l.split('-')[0].toLowerCase()!==p.split('-')[0].toLowerCase())l=p;"
    "document.querySelectorAll('.local').forEach(function(e){"
    "var s=new Date(e.getAttribute('data-start')),t=new Date(e.getAttribute('data-end'));"
    "if(isNaN(s)||isNaN(t))return;"
    "var same=s.toDateString()===t.toDateString(),"
    "z=(Intl.DateTimeFormat().resolvedOptions().timeZone||'').replace(/_/g,' ');"
    "e.textContent=e.getAttribute('data-label')+(z?' ('+z+')':'')+': '+s.toLocaleString(l,f)+' \\u2013 '"
    "+(same?t.toLocaleTimeString(l,h):t.toLocaleString(l,f));});})();"
)


@dataclass(frozen=True)
class Listed:
    title: str
    url: str
    window: str
    start_iso: str
    end_iso: str
    components: str


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def csp() -> str:
    """Nothing may load but the inline style and script, by hash."""
    return (
        f"default-src 'none'; style-src {_sha256(CSS)}; script-src {_sha256(JS)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _stamp(dt: datetime, language: Language) -> str:
    dt = dt.astimezone(UTC)
    return language.day_and_time(language.weekday(dt), language.time(dt))


def utc_window(start: datetime, end: datetime, language: Language = ENGLISH) -> str:
    """`Wed 2 Dec 2026, 05:00–06:00 UTC`, or both dates when it spans midnight (UTC)."""
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    if a.date() == b.date():
        return f"{_stamp(a, language)}–{language.time(b)} UTC"
    return f"{_stamp(a, language)} UTC – {_stamp(b, language)} UTC"


def _listed(site: Site, snap: Snapshot, state: EventState, language: Language) -> Listed:
    incident = state.incident
    start, end = state.timespan
    names = [c.name for c in snap.content.catalog.components if c.id in incident.components]
    return Listed(
        title=incident.title,
        url=paths.incident_url(site, incident),
        window=utc_window(start, end, language),
        start_iso=isoformat(start),
        end_iso=isoformat(end),
        components=language.names(names),
    )


def offline_context(snap: Snapshot, language: Language = ENGLISH) -> dict:
    """What the page says: maintenance in progress, else the next one, else just where to look."""
    site = snap.content.site
    active = snap.active_maintenances
    upcoming = snap.upcoming_maintenances
    _ = language.gettext
    incidents = []
    if active:
        emergency = any(s.incident.emergency for s in active)
        tag, tag_class = (_("Emergency maintenance") if emergency else _("Maintenance in progress")), "maint"
        heading = _("We're carrying out maintenance")
        lead = _("We'll be back as soon as it is done. The maintenance window:")
        shown = active[:MAX_LISTED]
    else:
        tag, tag_class = _("Temporarily unavailable"), "warn"
        heading = _("We'll be back soon")
        shown = upcoming[:1]
        if shown:
            lead = _("This service is not available right now. Please try again in a few minutes. "
                     "Our next planned maintenance:")
        else:
            lead = _("This service is not available right now. Please try again in a few minutes.")
        incidents = [
            {"title": s.incident.title, "url": paths.incident_url(site, s.incident),
             "status": _(STATUS_LABELS[s.status])}
            for s in sorted(snap.active_incidents, key=lambda s: (s.began, s.id), reverse=True)[:MAX_LISTED]
        ]
    host = site.url.split("://", 1)[-1].rstrip("/")
    return {
        "site": site,
        "site_host": host,
        "tag": tag,
        "tag_class": tag_class,
        "heading": heading,
        "lead": lead,
        "maintenances": [_listed(site, snap, s, language) for s in shown],
        "incidents": incidents,
        "css": Markup(CSS),
        "js": Markup(JS),
        "csp": csp(),
    }


def render_offline(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """The producer for `statusgen build`: `{"offline.html": bytes}`."""

    language = site_language(root, snap.content.site)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=templatecache.current(),
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(language.words.gettext, language.words.ngettext, newstyle=True)
    env.globals.update(template_functions(language.words))
    html = env.get_template("offline.html").render(offline_context(snap, language))
    return {paths.OFFLINE: html.encode("utf-8")}
