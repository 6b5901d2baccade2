"""`maintenance.ics`: the maintenance windows as an RFC 5545 calendar to subscribe to.

Nothing here reads the clock: DTSTAMP is the notice's last update, and
SEQUENCE is counted from the notice's own updates (see `sequence`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from generator import documentcache, paths
from generator.language import ENGLISH, Language, site_language
from generator.markup import to_text
from generator.model import STATUS_LABELS
from generator.status import EventState, Snapshot

if TYPE_CHECKING:
    from icalendar import Calendar, Event

PRODID = "-//statusgen//maintenance calendar//EN"
LIBRARIES = ("icalendar",)  # what makes the bytes: a new version makes the calendar afresh
REFRESH = timedelta(hours=1)  # how often subscribed calendar apps should fetch it again


def sequence(state: EventState) -> int:
    """The event's revision: the number of updates published after the announcement.

    The file holds only the current window, so past windows cannot be
    compared. But every change to an event comes with an update: moving the
    window (edit start/end and say so in an update), starting early
    (In progress), finishing early (Completed), cancelling (Cancelled). So
    counting updates never decreases and always grows when the window does.
    Updates that do not move the window also count: they change DESCRIPTION,
    and RFC 5545 lets SEQUENCE grow for any change.
    """
    return max(0, len(state.updates) - 1)


def _description(snap: Snapshot, state: EventState, language: Language = ENGLISH) -> str:
    _ = language.gettext
    names = [c.name for c in snap.content.catalog.components if c.id in state.incident.components]
    parts = [_("Affected components: %(names)s", names=", ".join(names)) if names else _("Affected components: none")]
    if state.latest is not None:
        parts.append(f"{_(STATUS_LABELS[state.latest.status])}: {to_text(state.latest.body)}")
    parts.append(paths.incident_url(snap.content.site, state.incident))
    return "\n\n".join(parts)


def event_fields(snap: Snapshot, state: EventState, host: str, language: Language = ENGLISH) -> tuple:
    """What one window's VEVENT says, as plain values: (property, value, parameters) in order."""
    incident = state.incident
    start, end = state.timespan
    changed = state.updated_at or start
    created = state.updates[-1].at if state.updates else changed
    cancelled = state.status == "cancelled"
    summary = language.gettext("Cancelled: %(title)s", title=incident.title) if cancelled else incident.title
    tag = (("LANGUAGE", snap.content.site.language),)  # RFC 5545: the language of the text
    return (
        ("uid", f"{incident.id}@{host}", ()),
        ("dtstamp", changed, ()),
        ("created", created, ()),
        ("last-modified", changed, ()),
        ("sequence", sequence(state), ()),
        ("dtstart", start, ()),
        ("dtend", end, ()),
        ("summary", summary, tag),
        ("status", "CANCELLED" if cancelled else "CONFIRMED", ()),
        ("transp", "TRANSPARENT", ()),  # it does not make the subscriber busy
        ("url", paths.incident_url(snap.content.site, incident), ()),
        ("description", _description(snap, state, language), tag),
    )


def _event(fields: tuple) -> Event:
    from icalendar import Event

    ev = Event()
    for name, value, parameters in fields:
        ev.add(name, value, parameters=dict(parameters) if parameters else None)
    return ev


def document(snap: Snapshot, language: Language = ENGLISH) -> tuple:
    """All the calendar says, as plain values: its name, then each window's `event_fields`."""
    host = urlsplit(snap.content.site.url).hostname
    name = language.gettext("%(site)s: maintenance", site=snap.content.site.title)
    return name, tuple(event_fields(snap, state, host, language) for state in snap.calendar)


def _calendar(document: tuple) -> Calendar:
    """The calendar a `document` describes; its prose (names, summaries, descriptions) is the document's language."""
    from icalendar import Calendar, vDuration  # 40 ms of imports: only in a build that makes the calendar

    name, events = document
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    for fields in events:
        cal.add_component(_event(fields))
    return cal


def render_calendar(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`maintenance.ics`: an earlier build's bytes when it would say the same."""
    said = document(snap, site_language(root, snap.content.site))
    return {paths.CALENDAR: documentcache.made("calendar", said, lambda: _calendar(said).to_ical(), LIBRARIES)}
