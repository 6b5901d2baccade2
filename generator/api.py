"""The JSON API under `api/v2/`, in the exact shape of Statuspage's public API v2.

Clients written for Statuspage (checkers, exporters, client libraries, the
embed widget) must work unchanged, so every object has exactly Statuspage's
fields, in its order, with every key present (null when we have no value).
docs/api.md maps each field to our content.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Callable

from generator import paths
from generator.markup import to_text
from generator.model import Component, Group, Site, Update
from generator.status import EventState, Snapshot
from generator.timestamps import EPOCH, UTC

RECENT = 50  # incidents.json and scheduled-maintenances.json keep the 50 newest, as Statuspage does
# Used for created_at/updated_at when content gives no time at all.
# Our maintenance statuses that Statuspage lacks. A cancelled window ends with no work done:
# Statuspage shows such a window as completed, so that is what clients understand.
MAINTENANCE_STATUS = {"cancelled": "completed"}
ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TICK = timedelta(microseconds=1)


# -- ids and URLs -------------------------------------------------------------
@lru_cache(maxsize=1 << 12)  # the components' and the page's ids again and again; an update's once or twice
def short_id(kind: str, key: str) -> str:
    """A stable 12-character lowercase base-36 id, like Statuspage's, for one of our slugs."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest()[:8], "big")
    out = []
    for _ in range(12):
        number, digit = divmod(number, 36)
        out.append(ID_ALPHABET[digit])
    return "".join(out)


def page_id(site: Site) -> str:
    return short_id("page", site.url)


def component_id(cid: str) -> str:
    return short_id("component", cid)


def incident_id(iid: str) -> str:
    return short_id("incident", iid)


def update_id(iid: str, update: Update) -> str:
    return short_id("update", f"{iid}#{update.anchor}")


def stamp(dt: datetime | None, site: Site) -> str | None:
    """Statuspage's timestamp form: milliseconds and the page zone's offset, e.g. 2026-11-26T10:15:00.000+01:00."""
    return None if dt is None else _stamp(dt, site.timezone)


@lru_cache(maxsize=1 << 12)  # a window edge or an update's time is written a few times, close together
def _stamp(dt: datetime, tz) -> str:
    local = dt.astimezone(tz)
    minutes = int(local.utcoffset().total_seconds()) // 60
    sign, minutes = ("-", -minutes) if minutes < 0 else ("+", minutes)
    return (f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
            f".{local.microsecond // 1000:03d}{sign}{minutes // 60:02d}:{minutes % 60:02d}")


def dump(obj) -> bytes:
    """Compact, stable JSON (field order as built, never sorted), with a final newline."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# -- objects ------------------------------------------------------------------
def status_object(snap: Snapshot) -> dict:
    return {"indicator": snap.indicator, "description": snap.description}


def _created(component: Component, site: Site) -> datetime:
    if component.since is None:
        return EPOCH
    return datetime.combine(component.since, time(), site.timezone).astimezone(UTC)


def _display_name(group: Group | None, component: Component) -> str:
    """Statuspage names a grouped component "Group - Component" in affected_components."""
    return f"{group.name} - {component.name}" if group else component.name


class Objects:
    """The API objects of one snapshot. A component object appears in every incident
    that names it, so each is built once (history can hold tens of thousands)."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        self.site = snap.content.site
        self.catalog = snap.content.catalog
        self.page_id = page_id(self.site)
        self._components: dict[str, dict] = {}
        self._incidents: dict[str, dict] = {}
        # When each component's status last changed: the latest window edge already passed.
        self._changed = {c.id: _created(c, self.site) for c in self.catalog.components}
        for state in snap.events.values():
            if state.window is None:
                continue
            for t in (state.window.start, state.window.end):
                if t is None or t > snap.now:
                    continue
                for cid in state.incident.components:
                    if cid in self._changed and t > self._changed[cid]:
                        self._changed[cid] = t

    def page(self) -> dict:
        return {
            "id": self.page_id,
            "name": self.site.title,
            "url": self.site.url.rstrip("/"),
            "time_zone": self.site.timezone.key,
            "updated_at": stamp(self.snap.updated_at or EPOCH, self.site),
        }

    def _fields(self, entry, status, created, updated, group_id, is_group, since: date | None) -> dict:
        return {
            "id": component_id(entry.id),
            "name": entry.name,
            "status": status,
            "created_at": stamp(created, self.site),
            "updated_at": stamp(updated, self.site),
            "position": entry.position,
            "description": entry.description,
            "showcase": not is_group,  # our page shows uptime bars for every component
            "start_date": since.isoformat() if since else None,
            "group_id": component_id(group_id) if group_id else None,
            "page_id": self.page_id,
            "group": is_group,
            "only_show_if_degraded": getattr(entry, "only_show_if_degraded", False),
        }

    def component(self, component: Component) -> dict:
        if component.id not in self._components:
            self._components[component.id] = self._fields(
                component, self.snap.component_status(component.id), _created(component, self.site),
                self._changed[component.id], component.group_id, False, component.since,
            )
        return self._components[component.id]

    def group(self, group: Group) -> dict:
        created = min((_created(c, self.site) for c in group.components), default=EPOCH)
        updated = max((self._changed[c.id] for c in group.components), default=created)
        obj = self._fields(group, self.snap.group_status(group), created, updated, None, True, None)
        obj["components"] = [component_id(c.id) for c in group.components]
        return obj

    def components(self) -> list[dict]:
        """Every component and group in page order; a group comes right before its members."""
        out = []
        for entry in self.catalog.entries:
            if isinstance(entry, Group):
                out.append(self.group(entry))
                out.extend(self.component(c) for c in entry.components)
            else:
                out.append(self.component(entry))
        return out

    def _affected(self, state: EventState, update: Update) -> list[dict] | None:
        """Each component the event names, with the status this event gave it just before and at the update."""
        window = state.window
        out = []
        for cid, status in state.incident.components.items():
            component = self.catalog.component(cid)
            if component is None:
                continue
            group = self.catalog.group(component.group_id) if component.group_id else None
            old = status if window and window.covers(update.at - _TICK) else "operational"
            new = status if window and window.covers(update.at) else "operational"
            out.append({"code": component_id(cid), "name": _display_name(group, component), "old_status": old, "new_status": new})
        return out or None

    def update(self, state: EventState, update: Update, status: str) -> dict:
        at = stamp(update.at, self.site)
        return {
            "id": update_id(state.id, update),
            "status": status,
            "body": to_text(update.body),
            "incident_id": incident_id(state.id),
            "created_at": at,
            "updated_at": at,
            "display_at": at,
            "affected_components": self._affected(state, update),
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
        }

    def incident(self, state: EventState, keep: bool = True) -> dict:
        """One incident or scheduled maintenance, as Statuspage shapes it (kept for the next call unless not `keep`)."""
        if state.id in self._incidents:
            return self._incidents[state.id]
        site = self.site
        incident = state.incident
        created = state.updates[-1].at if state.updates else state.began
        obj = {
            "id": incident_id(incident.id),
            "name": incident.title,
            "status": MAINTENANCE_STATUS.get(state.status, state.status),
            "created_at": stamp(created, site),
            "updated_at": stamp(state.updated_at or created, site),
            "monitoring_at": stamp(state.monitoring_at, site),
            # A cancelled window is "resolved" when it was cancelled.
            "resolved_at": stamp(state.resolved_at or (state.ended if state.status == "cancelled" else None), site),
            "impact": "maintenance" if incident.is_maintenance else incident.impact,
            "shortlink": paths.incident_url(site, incident),
            # Statuspage's started_at is when the incident began; a maintenance "starts" when announced.
            "started_at": stamp(created if incident.is_maintenance else state.began, site),
            "page_id": self.page_id,
            "incident_updates": [self.update(state, u, s) for u, s in zip(state.updates, update_statuses(state))],
            "components": [self.component(c) for c in self.catalog.components if c.id in incident.components],
        }
        if incident.is_maintenance:
            obj["scheduled_for"] = stamp(incident.start, site)
            obj["scheduled_until"] = stamp(incident.end, site)
        if keep:
            self._incidents[state.id] = obj
        return obj


def update_statuses(state: EventState) -> list[str]:
    """Statuspage's status for each update, newest first (the engine's, with cancelled as completed)."""
    return [MAINTENANCE_STATUS.get(status, status) for status in state.update_statuses()]


# -- endpoints ----------------------------------------------------------------
def _by_window(states) -> list[EventState]:
    return sorted(states, key=lambda s: (s.incident.start, s.id))


# The list documents (summary.json above all: every embed.js visitor downloads it)
# stay small whatever the content: a bounded number of events, of updates per
# event and of characters per update. incidents/<id>.json has everything.
LIST_EVENTS_MAX = 25
LIST_UPDATES_MAX = 25
LIST_BODY_MAX = 1000


def listed(obj: dict) -> dict:
    """An incident object as the list documents carry it: its newest updates, each text cut with a link."""
    updates = obj["incident_updates"]
    if len(updates) <= LIST_UPDATES_MAX and all(len(u["body"]) <= LIST_BODY_MAX for u in updates):
        return obj
    cut = [u if len(u["body"]) <= LIST_BODY_MAX else {**u, "body": _cut(u["body"], obj["shortlink"])}
           for u in updates[:LIST_UPDATES_MAX]]
    return {**obj, "incident_updates": cut}


def _cut(body: str, link: str) -> str:
    room = LIST_BODY_MAX - len(link) - 20
    space = body.rfind(" ", 0, room)
    return f"{body[: space if space > room // 2 else room].rstrip()} … (more: {link})"


def endpoints(snap: Snapshot, objects: Objects | None = None) -> dict[str, dict]:
    """Every `api/v2/` document as a Python object, keyed by its path under api/v2/."""
    objects = objects or Objects(snap)
    page = objects.page()
    components = objects.components()
    unresolved = [listed(objects.incident(s)) for s in snap.incidents if s.is_active]
    active = [listed(objects.incident(s)) for s in _by_window(snap.active_maintenances)]
    upcoming = [listed(objects.incident(s)) for s in _by_window(snap.upcoming_maintenances)]
    recent_incidents = [listed(objects.incident(s)) for s in snap.incidents[:RECENT]]
    recent_maint = [listed(objects.incident(s)) for s in _by_window(snap.maintenances)[::-1][:RECENT]]
    status = status_object(snap)
    return {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved[:LIST_EVENTS_MAX],
            "scheduled_maintenances": (active + upcoming)[:LIST_EVENTS_MAX],
            "status": status,
        },
        "status.json": {"page": page, "status": status},
        "components.json": {"page": page, "components": components},
        "incidents.json": {"page": page, "incidents": recent_incidents},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "scheduled-maintenances.json": {"page": page, "scheduled_maintenances": recent_maint},
        "scheduled-maintenances/upcoming.json": {"page": page, "scheduled_maintenances": upcoming},
        "scheduled-maintenances/active.json": {"page": page, "scheduled_maintenances": active},
    }


_MADE: list[Objects] = []  # the objects of the last two snapshots: `serve` compares the last one with the new one


def objects_of(snap: Snapshot) -> Objects:
    """The API objects of `snap`, made once for its list documents, its events' documents and `serve`'s comparisons."""
    for made in _MADE:
        if made.snap is snap:
            return made
    made = Objects(snap)
    _MADE[:] = [made, *_MADE[:1]]
    return made


def render_endpoints(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`api/v2/*.json`."""
    return {paths.api(name): dump(obj) for name, obj in endpoints(snap, objects_of(snap)).items()}


def documents_changed(old: Snapshot, new: Snapshot) -> Callable[[str], bool]:
    """Whether an event's `incidents/<id>.json` can differ between two snapshots of the same settings (`serve`).

    It is made of the event as it stands and the objects of the components it
    names (their status and updated_at move with other events): the same
    inputs, the same file.
    """
    before, after = objects_of(old), objects_of(new)
    moved = {c.id for c in new.content.catalog.components if before.component(c) != after.component(c)}

    def changed(iid: str) -> bool:
        was, state = old.events.get(iid), new.events[iid]
        return was is None or (was is not state and was != state) or any(cid in moved for cid in state.incident.components)

    return changed


def event_documents(snap: Snapshot, root: Path) -> Callable[[str], dict[str, bytes]]:
    """A function giving `incidents/<id>.json` (one bare incident object, beside its page) for one event."""
    objects = objects_of(snap)
    # Each is made once: kept, 50,000 of them would hold every update's text again in each worker.
    return lambda iid: {paths.incident_json(iid): dump(objects.incident(snap.events[iid], keep=False))}


