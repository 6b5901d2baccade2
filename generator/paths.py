"""Every path the site publishes, and its URL: changing a URL is an edit here alone.

Paths are relative to the output folder (and to the site's URL), with `/`
between parts; a folder's path ends in `/` and is served as its index.html.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.model import Incident, Site, Update

HOME = "index.html"
NOT_FOUND = "404.html"
OFFLINE = "offline.html"
FEED_RSS = "history.rss"
FEED_ATOM = "history.atom"
CALENDAR = "maintenance.ics"
BADGE = "badge.svg"
EMBED = "embed.js"
STATIC = "static/"
API = "api/v2/"


def incident_page(iid: str) -> str:
    return f"incidents/{iid}/"


def incident_json(iid: str) -> str:
    """The incident's API object, beside its page."""
    return f"incidents/{iid}.json"


def component_page(cid: str) -> str:
    return f"components/{cid}/"


def component_badge(cid: str) -> str:
    return component_page(cid) + BADGE


def history_page(number: int) -> str:
    return "history/" if number == 1 else f"history/{number}/"


def feed(folder: str, ext: str) -> str:
    """`<folder>history.atom` or `<folder>history.rss`: the site's feeds (folder "") or a component's."""
    return f"{folder}history.{ext}"


def api(name: str) -> str:
    return API + name


def url(site: Site, path: str) -> str:
    """The absolute URL of a published path (the site's URL ends in /)."""
    return site.url + path


def incident_url(site: Site, incident: Incident) -> str:
    return url(site, incident_page(incident.id))


def permalink(site: Site, incident: Incident, update: Update) -> str:
    """The absolute URL of one update on its incident page."""
    return f"{incident_url(site, incident)}#{update.anchor}"


# The site's URL: http(s), a host name or an IP literal, an optional port, a path of plain segments.
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\]"
_SEGMENT = r"(?:[A-Za-z0-9._~!$&*+,;=:@-]|%[0-9A-Fa-f]{2})+"
SITE_URL = re.compile(rf"https?://(?:{_HOST})(?::(?P<port>\d{{1,5}}))?(?:/{_SEGMENT})*/?")


def is_site_url(url: str) -> bool:
    m = SITE_URL.fullmatch(url) if len(url) <= 2000 else None
    return bool(m) and int(m.group("port") or 1) <= 65535
