"""When does a built site go stale? The answer schedulers rebuild by.

A site built at `now` shows the state at `now`. It stops being true at the
first of these instants:

- a status change: an incident or maintenance changing status, a window
  opening or closing, a future-dated update becoming visible
  (`status.next_change`);
- the next midnight in the site's zone, when the uptime bars move on by a day
  (and a component's `since` date or the `uptime_days` window moves with them);
- an event leaving the home page's list of the last `RECENT_DAYS` days;
- a maintenance leaving the calendar, `uptime_days` after its window ended;
- a notify channel's reminder before a maintenance coming due (the page does
  not change, but the reminder is sent by the deploy after it).

Not counted: the downtime of an incident still open grows minute by minute,
and uptime percentages drift within a day by less than their rounding; we do
not rebuild every minute for those, the midnight rebuild and every status
change refresh them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from generator.model import Content
from generator.status import RECENT_DAYS, Snapshot, next_change
from generator.timestamps import UTC

# The lists below keep an event while its time is >= now - N days; it is gone
# one clock tick later. Our clock has whole seconds (see cli.read_clock).
TICK = timedelta(seconds=1)


@dataclass(frozen=True)
class Staleness:
    at: datetime | None  # the next instant the built site is out of date; None = never
    reason: str


def next_midnight(now: datetime, tz) -> datetime:
    """The next local midnight in `tz` after `now`, as UTC (as Snapshot.day_bounds computes days)."""
    day = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(), tz).astimezone(UTC)


def next_stale(content: Content, now: datetime) -> Staleness:
    """The first instant after `now` at which a site built at `now` shows something untrue."""
    now = now.astimezone(UTC)
    candidates: list[tuple[datetime, str]] = []
    change = next_change(content, now)
    if change is not None:
        candidates.append((change, "a status changes"))
    if content.catalog.components:
        candidates.append((next_midnight(now, content.site.timezone), "the uptime bars move on a day"))
    snap = Snapshot(content, now)
    recent = {s.id for s in snap.recent}
    for state in snap.events.values():
        if state.id in recent:
            leaves = (state.ended or state.began) + timedelta(days=RECENT_DAYS) + TICK
            candidates.append((leaves, f"{state.id} leaves the list of the last {RECENT_DAYS} days"))
        if state.incident.is_maintenance and snap.in_calendar(state):
            leaves = state.timespan[1] + timedelta(days=content.site.uptime_days) + TICK
            candidates.append((leaves, f"{state.id} leaves the maintenance calendar"))
    if content.site.notify:  # a channel's reminder is sent by the rebuild at its time (generator/notify)
        from generator.notify.messages import reminder_times

        candidates.extend(reminder_times(content, now))
    future = sorted(c for c in candidates if c[0] > now)
    if not future:
        return Staleness(None, "nothing changes unless the content does")
    return Staleness(*future[0])


def is_due(stale_at: datetime | None, now: datetime, within: timedelta) -> bool:
    """Whether a rebuild is due: the site goes stale no later than `within` after `now`."""
    return stale_at is not None and stale_at <= now + within
