"""What became visible: the changes a status page shows at `now`, one `Message` each. Pure.

A change is
- an update (an incident's or a maintenance's), from the moment it is dated;
- a maintenance window that opened or closed by its times, with no update
  written at that instant (an "In progress" or "Completed" update written
  for it is the message instead);
- a reminder before a maintenance window (`reminders: [24h, 1h]` on a
  channel), while the maintenance is still scheduled and was announced
  before the reminder's time;
- a component's status changing (only for channels that ask for `components`).

Each has a delivery id that never changes: an update's is its feed entry's id
(`feeds.entry_id`), the others are made the same way (a tag: URI of the
site's host and path, a date, and a path under the page). The same function
serves the deploy (what the page shows now, less what the ledger says was
handled) and the pull-request preview (what the branch shows, less what its
base shows), so a reviewer sees exactly what subscribers will get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from generator import paths
from generator.feeds import Entry, entry_id
from generator.markup import to_text
from generator.model import COMPONENT_STATUS_LABELS, STATUS_LABELS, Content, Incident, Update
from generator.notify.channels import Channel, reminder_text, reminder_words
from generator.status import EventState, Snapshot, evaluate_event
from generator.timestamps import UTC

# Changes dated longer ago than this are never sent: a history imported or
# backdated by weeks tells nobody anything new, and the ledger stays small.
HORIZON = timedelta(days=7)
_TICK = timedelta(microseconds=1)
STARTING = ("in_progress", "verifying")


@dataclass(frozen=True)
class Affected:
    id: str  # component id
    name: str  # as the API's affected_components names it: "Group - Component"
    status: str  # the status the event gives it: its impact


@dataclass(frozen=True)
class Message:
    """One change, independent of any service's format."""

    id: str  # the delivery id: stable across deploys, reruns and targets
    event: str  # which `events:` entry admits it (channels.EVENTS)
    at: datetime  # when it became visible (UTC)
    title: str  # the incident's or maintenance's title; a component's name for a component change
    status: str  # the engine's status just after the change (investigating … completed), or a component status
    label: str  # that status for people: "Identified", "In progress", "Partial outage"
    text: str  # plain text: the update's words, or what happened
    components: tuple[Affected, ...]
    impact: str  # none, minor, major, critical or maintenance
    url: str  # the incident's permalink (a component's page for a component change)
    incident: Incident | None = None
    update: Update | None = None  # the update it carries, if any
    window: tuple[datetime, datetime] | None = None  # a maintenance's window as written
    reminder: timedelta | None = None
    old_status: str | None = None  # a component change: before and after
    component: str | None = None

    @property
    def kind(self) -> str:
        if self.component:
            return "component"
        return "maintenance" if self.incident is not None and self.incident.is_maintenance else "incident"


def _tag(site, at: datetime, rest: str) -> str:
    """A tag: URI (RFC 4151) like the feed entries' ids: site host, a date, and a path under the site."""
    parts = urlsplit(site.url)
    return f"tag:{parts.hostname},{at:%Y-%m-%d}:{parts.path}{rest}"


def _stamp(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at:%Y%m%dt%H%M%Sz}"


def _affected(content: Content, incident: Incident) -> tuple[Affected, ...]:
    catalog = content.catalog
    out = []
    for component in catalog.components:  # page order
        if component.id in incident.components:
            group = catalog.group(component.group_id) if component.group_id else None
            name = f"{group.name} - {component.name}" if group else component.name
            out.append(Affected(component.id, name, incident.components[component.id]))
    return tuple(out)


def _base(content: Content, state: EventState) -> dict:
    incident = state.incident
    return dict(
        title=incident.title,
        components=_affected(content, incident),
        impact="maintenance" if incident.is_maintenance else incident.impact,
        url=paths.incident_url(content.site, incident),
        incident=incident,
        window=(incident.start, incident.end) if incident.is_maintenance else None,
    )


def _update_event(state: EventState, update: Update) -> str:
    if not state.incident.is_maintenance:
        return "incidents"
    window = state.window
    if window and update.status in STARTING and update.at == window.start:
        return "maintenance-starts"
    if window and update.status == "completed" and update.at == window.end:
        return "maintenance-ends"
    return "maintenance"


def _update_messages(content: Content, state: EventState, floor: datetime | None) -> list[Message]:
    if not state.updates or (floor is not None and state.updates[0].at < floor):
        return []  # nothing new enough: most of a long history, skipped before any work
    out = []
    base = _base(content, state)
    first = state.updates[-1]  # the oldest visible update, as the feed counts it
    for update, status in zip(state.updates, state.update_statuses()):
        if floor is not None and update.at < floor:
            continue
        text = to_text(update.body)
        if update is first and state.incident.summary.strip():
            text = f"{to_text(state.incident.summary)}\n\n{text}".strip()  # as the feed's first entry carries it
        out.append(Message(
            id=entry_id(content.site, Entry(state, update, status)), event=_update_event(state, update),
            at=update.at, status=status, label=STATUS_LABELS[status], text=text, update=update, **base))
    return out


def _marked(state: EventState, at: datetime, statuses) -> bool:
    """Whether an update written for that very instant says it: then the update is the message."""
    return any(u.at == at and u.status in statuses for u in state.updates)


def _latest_text(state: EventState) -> str:
    return to_text(state.updates[0].body) if state.updates else ""


def _window_messages(content: Content, state: EventState, now: datetime, floor: datetime | None) -> list[Message]:
    window = state.window
    if window is None or state.status == "cancelled":
        return []
    base = _base(content, state)
    site, iid = content.site, state.id
    out = []
    edges = [(window.start, "maintenance-starts", "in_progress", STARTING, "opened", "The maintenance window has opened.")]
    if window.end is not None:
        edges.append((window.end, "maintenance-ends", "completed", ("completed",), "closed", "The maintenance window has closed."))
    for at, event, status, marks, verb, text in edges:
        if at > now or (floor is not None and at < floor) or _marked(state, at, marks):
            continue
        out.append(Message(
            id=_tag(site, at, f"incidents/{iid}/window-{verb}-{_stamp(at)}"), event=event, at=at, status=status,
            label=STATUS_LABELS[status], text=text, **base))
    return out


def _reminder_messages(content: Content, state: EventState, now: datetime, reminders, floor) -> list[Message]:
    incident = state.incident
    if not incident.is_maintenance or state.status != "scheduled" or not state.updates or incident.start is None:
        return []
    announced = state.updates[-1].at
    base = _base(content, state)
    out = []
    for before in reminders:
        at = incident.start - before
        # Only while it is still ahead, and only if it was announced before the reminder's
        # time: a notice given at short notice is not followed at once by a "reminder".
        if not (announced < at <= now) or (floor is not None and at < floor):
            continue
        latest = _latest_text(state)
        text = f"Starts in {reminder_words(before)}." + (f"\n\n{latest}" if latest else "")
        out.append(Message(
            id=_tag(content.site, at, f"incidents/{state.id}/reminder-{reminder_text(before)}-{_stamp(incident.start)}"),
            event="reminders", at=at, status="scheduled", label=STATUS_LABELS["scheduled"], text=text,
            reminder=before, **base))
    return out


def _component_messages(content: Content, snap: Snapshot, now: datetime, floor) -> list[Message]:
    catalog = content.catalog
    seen: dict = {}
    for state in sorted(snap.events.values(), key=lambda s: s.id):
        window = state.window
        if window is None:
            continue
        for at in (window.start, window.end):
            if at is None or at > now or (floor is not None and at < floor):
                continue
            for cid in state.incident.components:
                if (cid, at) in seen or catalog.component(cid) is None:
                    continue
                old, new = snap.component_status(cid, at - _TICK), snap.component_status(cid, at)
                if old != new:
                    seen[(cid, at)] = (state, old, new)
    out = []
    for (cid, at), (state, old, new) in seen.items():
        component = catalog.component(cid)
        group = catalog.group(component.group_id) if component.group_id else None
        name = f"{group.name} - {component.name}" if group else component.name
        text = f"{name}: {COMPONENT_STATUS_LABELS[old]} → {COMPONENT_STATUS_LABELS[new]} ({state.incident.title})"
        out.append(Message(
            id=_tag(content.site, at, f"components/{cid}/status-{_stamp(at)}"), event="components", at=at,
            title=name, status=new, label=COMPONENT_STATUS_LABELS[new], text=text,
            components=(Affected(cid, name, new),), impact=state.incident.impact if not state.incident.is_maintenance
            else "maintenance", url=f"{content.site.url}components/{cid}/", incident=state.incident,
            old_status=old, component=cid))
    return out


def changes(content: Content, now: datetime, channels: tuple[Channel, ...] | None = None,
            floor: datetime | None = None) -> list[Message]:
    """Every change visible at `now` (dated at or after `floor`), oldest first.

    `channels` (default: the site's) decide which reminders exist and whether
    component changes are looked for; which channel gets which message is `wanted`.
    """
    now = now.astimezone(UTC)
    channels = content.site.notify if channels is None else channels
    reminders = sorted({r for c in channels for r in c.reminders if "reminders" in c.events}, reverse=True)
    snap = Snapshot(content, now)
    out: list[Message] = []
    for state in snap.events.values():
        out.extend(_update_messages(content, state, floor))
        if state.incident.is_maintenance:
            out.extend(_window_messages(content, state, now, floor))
            out.extend(_reminder_messages(content, state, now, reminders, floor))
    if any("components" in c.events for c in channels):
        out.extend(_component_messages(content, snap, now, floor))
    out.sort(key=lambda m: (m.at, m.id))
    return out


def wanted(channel: Channel, message: Message, catalog) -> bool:
    """Whether `channel`'s filters admit `message`: its events, its reminders, its components."""
    if message.event not in channel.events:
        return False
    if message.reminder is not None and message.reminder not in channel.reminders:
        return False
    if channel.components:
        chosen = {cid for given in channel.components for cid in catalog.expand(given)}
        if not chosen & {a.id for a in message.components}:
            return False
    return True


def floor_for(now: datetime) -> datetime:
    return now.astimezone(UTC) - HORIZON


@dataclass(frozen=True)
class Preview:
    channel: Channel
    messages: tuple[Message, ...]
    new: bool  # the channel is new in this change: its first deploy records what is visible and sends nothing


def preview(before: Content | None, after: Content, now: datetime) -> list[Preview]:
    """What merging sends, channel by channel: the changes `after` shows at `now` that `before` does not."""
    floor = floor_for(now)
    shown = {m.id for m in changes(before, now, after.site.notify, floor)} if before is not None else set()
    fresh = [m for m in changes(after, now, floor=floor) if m.id not in shown]
    known = {c.name for c in before.site.notify} if before is not None else set()
    out = []
    for channel in after.site.notify:
        new = channel.name not in known
        picked = () if new else tuple(m for m in fresh if wanted(channel, m, after.catalog))
        out.append(Preview(channel, picked, new))
    return out


def reminder_times(content: Content, now: datetime) -> list[tuple[datetime, str]]:
    """(time, reason) of every reminder still ahead of `now`, for `next-change`: each is due at its time."""
    now = now.astimezone(UTC)
    reminders = sorted({r for c in content.site.notify for r in c.reminders if "reminders" in c.events})
    out = []
    for incident in content.incidents:
        if not incident.is_maintenance or incident.start is None or not incident.updates:
            continue
        for before in reminders:
            at = incident.start - before
            if at <= now or incident.first_update_at >= at:
                continue
            state = evaluate_event(incident, at)
            if state is not None and state.status == "scheduled":
                out.append((at, f"the {reminder_text(before)} reminder for {incident.id} is due"))
    return sorted(out)
