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
from pathlib import Path

from generator.markup import to_text
from generator.model import Component, Group, Incident, Site, Update
from generator.status import EventState, Snapshot
from generator.timestamps import UTC

RECENT = 50  # incidents.json and scheduled-maintenances.json keep the 50 newest, as Statuspage does
# Used for created_at/updated_at when content gives no time at all.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# Our maintenance statuses that Statuspage lacks. A cancelled window ends with no work done:
# Statuspage shows such a window as completed, so that is what clients understand.
MAINTENANCE_STATUS = {"cancelled": "completed"}
ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TICK = timedelta(microseconds=1)


# -- ids and URLs -------------------------------------------------------------
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


def incident_url(site: Site, incident: Incident) -> str:
    return f"{site.url}incidents/{incident.id}/"


def permalink(site: Site, incident: Incident, update: Update) -> str:
    """The absolute URL of one update on its incident page."""
    return f"{incident_url(site, incident)}#{update.anchor}"


def stamp(dt: datetime | None, site: Site) -> str | None:
    """Statuspage's timestamp form: milliseconds and the page zone's offset, e.g. 2026-11-26T10:15:00.000+01:00."""
    if dt is None:
        return None
    local = dt.astimezone(site.timezone)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + f"{offset[:3]}:{offset[3:]}"


def dump(obj) -> bytes:
    """Compact, stable JSON (field order as built, never sorted), with a final newline."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


# -- objects ------------------------------------------------------------------
def page_object(snap: Snapshot) -> dict:
    site = snap.content.site
    return {
        "id": page_id(site),
        "name": site.title,
        "url": site.url.rstrip("/"),
        "time_zone": site.timezone.key,
        "updated_at": stamp(snap.updated_at or EARLIEST, site),
    }


def status_object(snap: Snapshot) -> dict:
    return {"indicator": snap.indicator, "description": snap.description}


def _created(component: Component, site: Site) -> datetime:
    if component.since is None:
        return EARLIEST
    return datetime.combine(component.since, time(), site.timezone).astimezone(UTC)


def _changed(snap: Snapshot, component: Component) -> datetime:
    """When the component's status last changed: the latest window edge already passed."""
    edges = [_created(component, snap.content.site)]
    for state in snap.events_for(component.id):
        if state.window is not None:
            edges.extend(t for t in (state.window.start, state.window.end) if t is not None and t <= snap.now)
    return max(edges)


def _component_fields(snap: Snapshot, entry, status, created, updated, group_id, is_group, since: date | None) -> dict:
    site = snap.content.site
    return {
        "id": component_id(entry.id),
        "name": entry.name,
        "status": status,
        "created_at": stamp(created, site),
        "updated_at": stamp(updated, site),
        "position": entry.position,
        "description": entry.description,
        "showcase": not is_group,  # our page shows uptime bars for every component
        "start_date": since.isoformat() if since else None,
        "group_id": component_id(group_id) if group_id else None,
        "page_id": page_id(site),
        "group": is_group,
        "only_show_if_degraded": getattr(entry, "only_show_if_degraded", False),
    }


def component_object(snap: Snapshot, component: Component, status: str | None = None) -> dict:
    status = snap.component_status(component.id) if status is None else status
    created = _created(component, snap.content.site)
    return _component_fields(
        snap, component, status, created, _changed(snap, component), component.group_id, False, component.since
    )


def group_object(snap: Snapshot, group: Group) -> dict:
    site = snap.content.site
    created = min((_created(c, site) for c in group.components), default=EARLIEST)
    updated = max((_changed(snap, c) for c in group.components), default=created)
    obj = _component_fields(snap, group, snap.group_status(group), created, updated, None, True, None)
    obj["components"] = [component_id(c.id) for c in group.components]
    return obj


def components_list(snap: Snapshot) -> list[dict]:
    """Every component and group in page order; a group comes right before its members."""
    out = []
    for entry in snap.content.catalog.entries:
        if isinstance(entry, Group):
            out.append(group_object(snap, entry))
            out.extend(component_object(snap, c) for c in entry.components)
        else:
            out.append(component_object(snap, entry))
    return out


def _display_name(snap: Snapshot, component: Component) -> str:
    """Statuspage names a grouped component "Group - Component" in affected_components."""
    group = snap.content.catalog.group(component.group_id) if component.group_id else None
    return f"{group.name} - {component.name}" if group else component.name


def _update_status(state: EventState, update: Update) -> str:
    """An "update" keeps the status before it; cancelled maps like the maintenance does."""
    status = update.status
    if status == "update":
        earlier = [u for u in state.updates if u.at < update.at and u.status != "update"]
        status = earlier[0].status if earlier else ("scheduled" if state.incident.is_maintenance else "investigating")
    return MAINTENANCE_STATUS.get(status, status)


def _affected(snap: Snapshot, state: EventState, update: Update) -> list[dict] | None:
    """Each component the event names, with its status just before and at the update, by this event."""
    catalog = snap.content.catalog
    window = state.window
    out = []
    for cid, status in state.incident.components.items():
        component = catalog.component(cid)
        if component is None:
            continue
        old = status if window and window.covers(update.at - _TICK) else "operational"
        new = status if window and window.covers(update.at) else "operational"
        out.append({"code": component_id(cid), "name": _display_name(snap, component), "old_status": old, "new_status": new})
    return out or None


def update_object(snap: Snapshot, state: EventState, update: Update) -> dict:
    site = snap.content.site
    at = stamp(update.at, site)
    return {
        "id": update_id(state.id, update),
        "status": _update_status(state, update),
        "body": to_text(update.body),
        "incident_id": incident_id(state.id),
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": _affected(snap, state, update),
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_object(snap: Snapshot, state: EventState) -> dict:
    """One incident or scheduled maintenance, as Statuspage shapes it."""
    site = snap.content.site
    incident = state.incident
    created = state.updates[-1].at if state.updates else state.began
    catalog = snap.content.catalog
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
        "shortlink": incident_url(site, incident),
        # Statuspage's started_at is when the incident began; a maintenance "starts" when announced.
        "started_at": stamp(created if incident.is_maintenance else state.began, site),
        "page_id": page_id(site),
        "incident_updates": [update_object(snap, state, u) for u in state.updates],
        "components": [component_object(snap, c) for c in catalog.components if c.id in incident.components],
    }
    if incident.is_maintenance:
        obj["scheduled_for"] = stamp(incident.start, site)
        obj["scheduled_until"] = stamp(incident.end, site)
    return obj


# -- endpoints ----------------------------------------------------------------
def _by_window(states) -> list[EventState]:
    return sorted(states, key=lambda s: (s.incident.start, s.id))


def endpoints(snap: Snapshot) -> dict[str, dict]:
    """Every `api/v2/` document as a Python object, keyed by its path under api/v2/."""
    page = page_object(snap)
    components = components_list(snap)
    unresolved = [incident_object(snap, s) for s in snap.incidents if s.is_active]
    active = [incident_object(snap, s) for s in _by_window(snap.active_maintenances)]
    upcoming = [incident_object(snap, s) for s in _by_window(snap.upcoming_maintenances)]
    recent_incidents = [incident_object(snap, s) for s in snap.incidents[:RECENT]]
    recent_maint = [incident_object(snap, s) for s in _by_window(snap.maintenances)[::-1][:RECENT]]
    status = status_object(snap)
    return {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": active + upcoming,
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


def render_api(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`api/v2/*.json`, plus `incidents/<id>.json` (one bare incident object) beside each incident page."""
    files = {f"api/v2/{path}": dump(obj) for path, obj in endpoints(snap).items()}
    for state in snap.events.values():
        files[f"incidents/{state.id}.json"] = dump(incident_object(snap, state))
    return files
