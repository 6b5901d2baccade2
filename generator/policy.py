"""The site's policy as rules: the notice a maintenance gave, and the times it must avoid.

Avoid rules are wall-clock times in the site's zone, so each rule is turned
into real instants day by day: a rule keeps its local hours across a DST
change, and a window that spans midnight is checked against both days.
The review (generator/review.py) applies these rules at `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from generator.model import AvoidRule, Incident
from generator.timestamps import UTC

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Clash:
    """A part of a maintenance window that falls in an avoided time."""

    rule: AvoidRule
    start: datetime  # UTC: the avoided span that the window overlaps
    end: datetime


def human_duration(delta: timedelta) -> str:
    """`20h`, `47h 59m`, `45m`, `5d 2h`: hours up to three days, as people count notice."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, mins = divmod(minutes, 60)
    if hours < 72:
        return f"{hours}h" + (f" {mins}m" if mins else "")
    days, hours = divmod(hours, 24)
    return f"{days}d" + (f" {hours}h" if hours else "")


def _local(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """Wall-clock `minutes` after midnight of `day` in `tz`, as a UTC instant (1440 = next midnight)."""
    if minutes >= 1440:
        day, minutes = day + timedelta(days=1), minutes - 1440
    return datetime.combine(day, time(minutes // 60, minutes % 60), tz).astimezone(UTC)


def clashes(start: datetime, end: datetime, rules, tz: ZoneInfo) -> list[Clash]:
    """The avoided spans that the window [start, end) overlaps, earliest first."""
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    found = []
    day = first
    while day <= last:
        for rule in rules:
            if day.weekday() not in rule.days:
                continue
            lo, hi = _local(day, rule.start, tz), _local(day, rule.end, tz)
            if lo < end and start < hi:
                found.append(Clash(rule, lo, hi))
        day += timedelta(days=1)
    found.sort(key=lambda c: (c.start, c.rule.text))
    return found


def announced_at(incident: Incident) -> datetime | None:
    """The announcement: the first `scheduled` update, visible yet or not."""
    return min((u.at for u in incident.updates if u.status == "scheduled"), default=None)


def notice_given(incident: Incident) -> timedelta | None:
    at = announced_at(incident)
    return None if at is None or incident.start is None else incident.start - at


def window_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    a, b = start.astimezone(tz), end.astimezone(tz)
    head = f"{DAY_NAMES[a.weekday()]} {a:%Y-%m-%d %H:%M}"
    tail = f"{b:%H:%M}" if b.date() == a.date() else f"{DAY_NAMES[b.weekday()]} {b:%Y-%m-%d %H:%M}"
    zone_name = a.tzname() if a.tzname() == b.tzname() else f"{a.tzname()}/{b.tzname()}"
    return f"{head}–{tail} {zone_name}"


def first_per_rule(found: list[Clash]) -> list[Clash]:
    """One clash per rule: a long window over several Mondays is one problem, not many."""
    seen, out = set(), []
    for clash in found:
        if clash.rule not in seen:
            seen.add(clash.rule)
            out.append(clash)
    return out
