"""RSS and Atom feeds: one entry per published update, for the site and each component.

Every date in a feed comes from the content (an update's time), never the
clock, so the same content gives byte-identical feeds.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from generator import documentcache, paths
from generator.language import ENGLISH, Language, site_language
from generator.markup import to_html
from generator.model import STATUS_LABELS, Site, Update
from generator.status import EventState, Snapshot
from generator.timestamps import EPOCH, UTC, heading_stamp

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

LIMIT = 50
GENERATOR = "statusgen"
LIBRARIES = ("feedgen", "lxml")  # what makes the bytes: a new version of either makes the feeds afresh


@dataclass(frozen=True)
class Entry:
    state: EventState
    update: Update
    status: str  # the event's status just after this update

    @property
    def at(self) -> datetime:
        return self.update.at


def entries_for(snap: Snapshot, component_ids: tuple[str, ...] | None = None,
                newest: list[tuple] | None = None) -> list[Entry]:
    """Visible updates of the events touching any of `component_ids` (all when None), newest first.

    `newest` is `updates_newest_first(snap)`, for callers that ask for many feeds of one snapshot.
    """
    out: list[Entry] = []
    statuses: dict[str, list[str]] = {}
    for _at, iid, k, state in newest if newest is not None else updates_newest_first(snap):
        if component_ids is None or any(c in state.incident.components for c in component_ids):
            if iid not in statuses:
                statuses[iid] = state.update_statuses()
            out.append(Entry(state, state.updates[k], statuses[iid][k]))
            if len(out) == LIMIT:
                break
    return out


def updates_newest_first(snap: Snapshot) -> list[tuple]:
    """(time, event id, index in its updates, event state) of every visible update, newest first (ties: by id)."""
    found = [(update.at, state.id, k, state) for state in snap.events.values() for k, update in enumerate(state.updates)]
    found.sort(reverse=True)  # by time, then id, then index: never further, as an event has one update per time
    return found


def entry_id(site: Site, entry: Entry) -> str:
    """A tag: URI (RFC 4151) from the site's host and path, the incident id and the update's time."""
    parts = urlsplit(site.url)
    return f"tag:{parts.hostname},{entry.at:%Y-%m-%d}:{parts.path}{paths.incident_page(entry.state.id)}{entry.update.anchor}"


def entry_title(entry: Entry, language: Language = ENGLISH) -> str:
    # The event's status as this update left it, as the API's incident_updates[].status says.
    return f"[{language.gettext(STATUS_LABELS[entry.status])}] {entry.state.incident.title}"


def entry_html(snap: Snapshot, entry: Entry, language: Language = ENGLISH) -> str:
    """The update's sanitized HTML, then what it affects (and, for maintenance, the window)."""
    incident = entry.state.incident
    catalog = snap.content.catalog
    parts = [to_html(entry.update.body)]
    if entry.update is entry.state.updates[-1] and incident.summary.strip():
        parts.insert(0, to_html(incident.summary))  # the first entry also carries the notice's preamble
    names = [c.name for c in catalog.components if c.id in incident.components]
    if names:
        text = language.gettext("Affected components: %(names)s", names=", ".join(names))
        parts.append(f"<p>{html.escape(text)}</p>")
    if incident.is_maintenance and incident.start and incident.end:
        # The stamps stay as authors write them (UTC, ISO 8601): unambiguous in any language.
        text = language.gettext("Window: %(start)s to %(end)s", start=heading_stamp(incident.start),
                                end=heading_stamp(incident.end))
        parts.append(f"<p>{html.escape(text)}</p>")
    return "\n".join(p for p in parts if p)


def items(snap: Snapshot, entries: list[Entry], language: Language = ENGLISH) -> tuple:
    """What each entry of a feed says, as plain values: (id, title, link, HTML, time)."""
    site = snap.content.site
    return tuple(
        (entry_id(site, entry), entry_title(entry, language), paths.permalink(site, entry.state.incident, entry.update),
         entry_html(snap, entry, language), entry.at)
        for entry in entries)


def document(site: Site, title: str, page_url: str, self_url: str, entries: tuple, fallback: datetime) -> tuple:
    """All a feed says, as plain values (its head, then its `items`): the same values, the same bytes."""
    head = (
        self_url.rsplit(".", 1)[0],  # the same id for the RSS and Atom forms of one feed
        title, site.title, self_url, page_url, site.description or title, site.language,
        entries[0][-1] if entries else fallback,  # also RSS lastBuildDate; never the build time
    )
    return head, entries


def _generator(document: tuple) -> FeedGenerator:
    from feedgen.feed import FeedGenerator  # with lxml: imported by a build that makes a feed, not at start-up

    (feed_id, title, author, self_url, page_url, description, language, updated), entries = document
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author({"name": author})
    fg.link(href=self_url, rel="self")
    fg.link(href=page_url, rel="alternate")  # last: feedgen uses the last link as RSS <link>
    fg.description(description)
    fg.language(language)
    fg.generator(GENERATOR)  # no version or URI: upgrading must not change every feed
    fg.updated(updated)
    for guid, entry_title_text, link, content, at in entries:
        fe = fg.add_entry(order="append")
        fe.guid(guid, permalink=False)
        fe.title(entry_title_text)
        fe.link(href=link, rel="alternate")
        fe.content(content, type="html")
        fe.published(at)
        fe.updated(at)
    return fg


def feed_bytes(document: tuple, ext: str) -> bytes:
    """The Atom or RSS form of a feed: an earlier build's bytes when the document is the same."""
    def make() -> bytes:
        fg = _generator(document)
        return fg.atom_str(pretty=True) if ext == "atom" else fg.rss_str(pretty=True)

    return documentcache.made(f"feed-{ext}", document, make, LIBRARIES)


# Each feed's inputs and bytes in the last build of this process: `serve` rebuilds often, and most feeds stay.
_LAST: dict[str, tuple[tuple, bytes]] = {}


def feed_pair(snap: Snapshot, folder: str, title: str, entries: list[Entry], fallback: datetime,
              language: Language = ENGLISH) -> dict[str, bytes]:
    """`<folder>history.atom` and `<folder>history.rss` for one list of entries."""
    site = snap.content.site
    page_url = paths.url(site, folder)
    # All a feed is made of: the same inputs (the events as they stand, with their texts) give the same bytes.
    inputs = (site, snap.content.catalog, title, tuple(entries), fallback, language.tag, language.words.key)
    out = {}
    said = None
    for ext in ("atom", "rss"):
        path = paths.feed(folder, ext)
        last = _LAST.get(path)
        if last is not None and last[0] == inputs:
            out[path] = last[1]
            continue
        said = said if said is not None else items(snap, entries, language)
        data = feed_bytes(document(site, title, page_url, paths.url(site, path), said, fallback), ext)
        out[path] = data
        _LAST[path] = (inputs, data)
    return out


def render_feeds(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`history.atom|rss` for the site and `components/<id>/history.atom|rss` per component.

    Their prose is in the site's language, as its theme translates it.
    """

    site = snap.content.site
    catalog = snap.content.catalog
    language = site_language(root, site)
    newest = snap.updated_at or EPOCH
    title = language.gettext("%(site)s: incident history", site=site.title)
    updates = updates_newest_first(snap)  # once: each feed takes its first 50 from the one list
    files = feed_pair(snap, "", title, entries_for(snap, newest=updates), newest, language)
    for component in catalog.components:
        since = component.since
        # An empty feed still needs an updated time: the component's start, not the clock.
        fallback = datetime(since.year, since.month, since.day, tzinfo=UTC) if since else EPOCH
        entries = entries_for(snap, (component.id,), updates)
        files.update(feed_pair(snap, paths.component_page(component.id), f"{site.title}: {component.name}", entries, fallback,
                               language))
    return files
