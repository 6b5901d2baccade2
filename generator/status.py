"""The status engine: what state everything is in at a time, from content alone.

Everything here is a pure function of the content and `now`. Only updates
dated at or before `now` are known; later ones have not happened yet.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property

from generator.model import IMPACTS, STATUS_LABELS, N_, Component, Content, Group, Incident, Update, worst
from generator.timestamps import UTC

INDICATOR_DESCRIPTIONS = {
    "none": N_("All Systems Operational"),
    "minor": N_("Minor Service Outage"),
    "major": N_("Partial System Outage"),
    "critical": N_("Major System Outage"),
    "maintenance": N_("Service Under Maintenance"),
}
RESOLVING = ("resolved", "postmortem")
RECENT_DAYS = 7  # finished events stay in the home page's list this long


@dataclass(frozen=True)
class Window:
    """A span during which an event gives components a status. end None = still open."""

    incident: Incident
    start: datetime
    end: datetime | None

    def covers(self, t: datetime) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass(frozen=True)
class EventState:
    """An incident or maintenance as known at `now`."""

    incident: Incident
    updates: tuple[Update, ...]  # visible at now, newest first
    status: str  # investigating … postmortem, or scheduled … cancelled
    began: datetime | None  # impact start (incidents) or effective window start (maintenance)
    ended: datetime | None  # resolution, or effective window end; None while open
    resolved_at: datetime | None
    monitoring_at: datetime | None
    window: Window | None  # when it affects components; None if it never does
    begun: bool = False  # `began` is at or before now (a page says so without reading the clock)

    @property
    def id(self) -> str:
        return self.incident.id

    @property
    def is_active(self) -> bool:
        """An unresolved incident, or a maintenance in progress."""
        if self.incident.is_maintenance:
            return self.status in ("in_progress", "verifying")
        return self.resolved_at is None

    @property
    def is_upcoming(self) -> bool:
        return self.incident.is_maintenance and self.status == "scheduled"

    @property
    def duration(self) -> timedelta | None:
        if self.began and self.ended:
            return self.ended - self.began
        return None

    @property
    def latest(self) -> Update | None:
        return self.updates[0] if self.updates else None

    @property
    def label(self) -> str:
        """The status every surface shows for this event at now: the page, the feeds, the API, the embed.

        It is the engine's status, never the latest heading's word: an "Update"
        posted after "Resolved" leaves the incident resolved, and a window that
        has ended is completed even when no update says so.
        """
        return STATUS_LABELS[self.status]

    def update_statuses(self) -> list[str]:
        """The event's status just after each visible update, newest first.

        An "update" carries the status before it (it is news without a change);
        the first update of a maintenance before any status word counts as scheduled.
        """
        current = "scheduled" if self.incident.is_maintenance else "investigating"
        out = []
        for update in reversed(self.updates):  # oldest first
            if update.status != "update":
                current = update.status
            out.append(current)
        return out[::-1]

    @property
    def updated_at(self) -> datetime | None:
        return self.updates[0].at if self.updates else self.began

    @property
    def timespan(self) -> tuple[datetime | None, datetime | None]:
        """A maintenance window as it stands: the engine's (early start or finish included), else the announced one."""
        if self.window is not None:
            return self.window.start, self.window.end
        return self.incident.start, self.incident.end


def first_at(updates, statuses) -> datetime | None:
    return min((u.at for u in updates if u.status in statuses), default=None)


def _latest_status(updates, default: str) -> str:
    # "update" is news without a change of status.
    return next((u.status for u in updates if u.status != "update"), default)


def evaluate_event(incident: Incident, now: datetime) -> EventState | None:
    """The state of one event at `now`; None for an incident not yet begun."""
    updates = incident.visible_updates(now)
    if incident.is_maintenance:
        return _evaluate_maintenance(incident, updates, now)
    if not updates and (incident.updates or not incident.started or incident.started > now):
        return None
    began = incident.began if incident.began and incident.began <= now else updates[-1].at
    resolved_at = first_at(updates, RESOLVING)
    status = _latest_status(updates, "investigating")
    if resolved_at and status not in RESOLVING:
        status = "resolved"
    return EventState(
        incident=incident,
        updates=updates,
        status=status,
        began=began,
        ended=resolved_at,
        resolved_at=resolved_at,
        monitoring_at=first_at(updates, ("monitoring",)),
        window=Window(incident, began, resolved_at),
        begun=began <= now,
    )


def _evaluate_maintenance(incident: Incident, updates, now: datetime) -> EventState:
    cancelled_at = first_at(updates, ("cancelled",))
    early_start = first_at(updates, ("in_progress", "verifying"))
    early_end = first_at(updates, ("completed",))
    start = min(filter(None, (incident.start, early_start)))
    end = min(filter(None, (incident.end, early_end)))
    end = max(end, start)
    if cancelled_at is not None:
        status, window = "cancelled", None
    elif now < start:
        status, window = "scheduled", Window(incident, start, end)
    elif now < end:
        latest = _latest_status([u for u in updates if u.at >= start], "in_progress")
        status = "verifying" if latest == "verifying" else "in_progress"
        window = Window(incident, start, end)
    else:
        status, window = "completed", Window(incident, start, end)
    return EventState(
        incident=incident,
        updates=updates,
        status=status,
        began=start,
        ended=end if status == "completed" else (cancelled_at if status == "cancelled" else None),
        resolved_at=end if status == "completed" else None,
        monitoring_at=None,
        window=window if window and window.end > window.start else None,
        begun=start <= now,
    )


@dataclass(frozen=True)
class DayUptime:
    day: date
    counted: float  # seconds of the day that count (after `since`, before `now`)
    down: float  # weighted downtime seconds
    outage: dict  # status -> seconds, overlaps counted once at the worst status
    incidents: tuple[str, ...]  # ids of incidents and maintenance touching the day

    @property
    def uptime(self) -> float | None:
        return None if self.counted <= 0 else max(0.0, 1.0 - self.down / self.counted)

    @property
    def worst(self) -> str:
        return worst(s for s, secs in self.outage.items() if secs > 0) if self.outage else "operational"


@dataclass(frozen=True)
class Uptime:
    days: tuple[DayUptime, ...]  # oldest first

    @property
    def percent(self) -> float | None:
        counted = sum(d.counted for d in self.days)
        if counted <= 0:
            return None
        return 100.0 * max(0.0, 1.0 - sum(d.down for d in self.days) / counted)


def _worst_coverage(segments, lo: datetime, hi: datetime) -> dict:
    """Seconds per status in [lo, hi), where overlapping segments count once, at the worst."""
    clipped = [(max(s, lo), min(e, hi), st) for s, e, st in segments if s < hi and e > lo]
    if not clipped:
        return {}
    points = sorted({p for s, e, _ in clipped for p in (s, e)})
    totals: dict = {}
    for a, b in zip(points, points[1:]):
        covering = [st for s, e, st in clipped if s <= a and e >= b]
        if covering:
            st = worst(covering)
            totals[st] = totals.get(st, 0.0) + (b - a).total_seconds()
    return totals


@dataclass
class Snapshot:
    """Everything the site shows, computed once for one `now`."""

    content: Content
    now: datetime
    events: dict = field(default_factory=dict)  # id -> EventState, for events begun or announced
    # An earlier snapshot at the same `now`: each unchanged incident keeps the state evaluated there (`serve`).
    previous: InitVar[Snapshot | None] = None

    def __post_init__(self, previous: Snapshot | None = None):
        known = previous.events if previous is not None and previous.now == self.now else {}
        for incident in self.content.incidents:
            state = known.get(incident.id)
            if state is None or state.incident is not incident:
                state = evaluate_event(incident, self.now)
            if state is not None:
                self.events[incident.id] = state
        self._by_component: dict = {}
        self._status_now: dict = {}
        for state in self.events.values():
            if state.window is None:
                continue
            for cid in state.incident.components:
                self._by_component.setdefault(cid, []).append(state.window)

    # -- events ---------------------------------------------------------------
    @cached_property
    def incidents(self) -> list[EventState]:
        """Incidents (not maintenance) known at now, newest first."""
        return [s for s in self.events.values() if not s.incident.is_maintenance]

    @cached_property
    def maintenances(self) -> list[EventState]:
        return [s for s in self.events.values() if s.incident.is_maintenance]

    @cached_property
    def active_incidents(self) -> list[EventState]:
        return [s for s in self.incidents if s.is_active]

    @property
    def active_maintenances(self) -> list[EventState]:
        return sorted((s for s in self.maintenances if s.is_active), key=lambda s: s.began)

    @property
    def upcoming_maintenances(self) -> list[EventState]:
        return sorted((s for s in self.maintenances if s.is_upcoming), key=lambda s: s.began)

    @cached_property
    def recent(self) -> list[EventState]:
        """Finished incidents and maintenance of the last `RECENT_DAYS` days, newest first."""
        since = self.now - timedelta(days=RECENT_DAYS)
        found = []
        for state in self.events.values():
            if state.is_active or state.is_upcoming or state.began is None or state.began > self.now:
                continue
            if (state.ended or state.began) >= since:
                found.append(state)
        found.sort(key=lambda s: (s.began, s.id), reverse=True)
        return found

    def in_calendar(self, state: EventState) -> bool:
        """A maintenance upcoming, in progress, or ended within the last `uptime_days` days."""
        cutoff = self.now - timedelta(days=self.content.site.uptime_days)
        return state.timespan[1] >= cutoff

    @cached_property
    def calendar(self) -> list[EventState]:
        """The maintenance windows a calendar subscription holds, earliest first."""
        shown = (s for s in self.maintenances if self.in_calendar(s))
        return sorted(shown, key=lambda s: (s.timespan[0], s.id))

    # -- components -------------------------------------------------------------
    def component_status(self, cid: str, t: datetime | None = None) -> str:
        if t is None:  # at now: asked by every producer, and a long history has thousands of windows per component
            if cid not in self._status_now:
                self._status_now[cid] = self.component_status(cid, self.now)
            return self._status_now[cid]
        statuses = [w.incident.components[cid] for w in self._by_component.get(cid, ()) if w.covers(t)]
        return worst(statuses)

    def group_status(self, group: Group, t: datetime | None = None) -> str:
        return worst(self.component_status(c.id, t) for c in group.components)

    def status_of(self, entry: Component | Group) -> str:
        return self.group_status(entry) if isinstance(entry, Group) else self.component_status(entry.id)

    def events_for(self, cid: str) -> list[EventState]:
        """Every event that names the component, newest first."""
        return list(self._events_by_component.get(cid, ()))

    @cached_property
    def _events_by_component(self) -> dict:
        # One pass over the events instead of one per call: pages and the API ask per component.
        index: dict = {}
        for s in self.events.values():
            for cid in s.incident.components:
                index.setdefault(cid, []).append(s)
        return index

    # -- overall --------------------------------------------------------------
    @cached_property
    def indicator(self) -> str:
        impacts = [s.incident.impact for s in self.active_incidents]
        top = max(impacts, key=IMPACTS.index, default="none") if impacts else "none"
        if top == "none" and self.active_maintenances:
            return "maintenance"
        return top

    @property
    def description(self) -> str:
        return INDICATOR_DESCRIPTIONS[self.indicator]

    # -- uptime ---------------------------------------------------------------
    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        tz = self.content.site.timezone
        lo = datetime.combine(day, time(), tz).astimezone(UTC)
        hi = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
        return lo, hi

    @cached_property
    def uptime_days(self) -> tuple[date, ...]:
        today = self.now.astimezone(self.content.site.timezone).date()
        n = self.content.site.uptime_days
        return tuple(today - timedelta(days=n - 1 - i) for i in range(n))

    def uptime(self, component: Component) -> Uptime:
        weights = self.content.site.uptime_weights
        period_start = self.day_bounds(self.uptime_days[0])[0]
        # Only windows that reach into the period: the rest of a long history never matters here.
        windows = [w for w in self._by_component.get(component.id, ()) if w.end is None or w.end > period_start]
        days_out = []
        for day in self.uptime_days:
            lo, hi = self.day_bounds(day)
            hi = min(hi, self.now)
            if component.since and day < component.since:
                lo = hi
            counted = max(0.0, (hi - lo).total_seconds())
            touching = [w for w in windows if w.start < hi and (w.end is None or w.end > lo)]
            outage_segments = [
                (w.start, w.end or self.now, w.incident.components[component.id])
                for w in touching
                if not w.incident.is_maintenance
            ]
            outage = _worst_coverage(outage_segments, lo, hi) if counted else {}
            down = sum(secs * weights.get(st, 0.0) for st, secs in outage.items())
            ids = tuple(sorted({w.incident.id for w in touching}))
            days_out.append(DayUptime(day, counted, down, outage, ids if counted or touching else ()))
        return Uptime(tuple(days_out))

    # -- change ---------------------------------------------------------------
    @cached_property
    def updated_at(self) -> datetime | None:
        """The newest visible content change: the latest update or window edge passed."""
        times = []
        for s in self.events.values():
            times.extend(u.at for u in s.updates)
            if s.window is not None:
                times.extend(t for t in (s.window.start, s.window.end) if t is not None and t <= self.now)
        return max(times, default=None)


def snapshot(content: Content, now: datetime, previous: Snapshot | None = None) -> Snapshot:
    """The content as it stands at `now`; with `previous` (at the same time), unchanged events are not evaluated again."""
    return Snapshot(content, now.astimezone(UTC), previous=previous)


def next_change(content: Content, now: datetime) -> datetime | None:
    """The earliest instant after `now` at which any status changes.

    Candidates are window edges and future-dated updates; each is confirmed by
    comparing the statuses just before and at that instant, so an edge hidden
    by a worse overlapping event is not reported.
    """
    now = now.astimezone(UTC)
    candidates = set()
    for incident in content.incidents:
        candidates.update(u.at for u in incident.updates if u.at > now)
        if incident.started and incident.started > now:
            candidates.add(incident.started)
        state = evaluate_event(incident, now)
        if state and state.window:
            candidates.update(t for t in (state.window.start, state.window.end) if t and t > now)
    before = _fingerprint(content, now)
    for t in sorted(candidates):
        current = _fingerprint(content, t)
        if current != before:
            return t
        before = current
    return None


def _fingerprint(content: Content, t: datetime):
    snap = Snapshot(content, t)
    return (
        tuple((c.id, snap.component_status(c.id)) for c in content.catalog.components),
        tuple(sorted((s.id, s.status, len(s.updates)) for s in snap.events.values())),
    )
