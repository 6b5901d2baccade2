"""The maintenance policy: enough notice, and clear of the times to avoid.

`review()` looks at every maintenance that has not started at `now` (and is
not cancelled) and warns when its window overlaps an avoided time of the
site's policy, or when it was announced with less notice than the policy
asks. Avoid rules are wall-clock times in the site's zone, so each rule is
turned into real instants day by day: a rule keeps its local hours across a
DST change, and a window that spans midnight is checked against both days.

Pure functions of the content and `now`; `--strict` turns the warnings into
failures, as it does for every warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from generator.model import AvoidRule, Content, Incident, Policy
from generator.problems import Problems
from generator.status import evaluate_event
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


def _fmt_window(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    a, b = start.astimezone(tz), end.astimezone(tz)
    head = f"{DAY_NAMES[a.weekday()]} {a:%Y-%m-%d %H:%M}"
    tail = f"{b:%H:%M}" if b.date() == a.date() else f"{DAY_NAMES[b.weekday()]} {b:%Y-%m-%d %H:%M}"
    zone_name = a.tzname() if a.tzname() == b.tzname() else f"{a.tzname()}/{b.tzname()}"
    return f"{head}–{tail} {zone_name}"


def is_pending(incident: Incident, now: datetime) -> bool:
    """A maintenance that has not started at `now` and is not cancelled."""
    if not incident.is_maintenance or incident.start is None or incident.end is None:
        return False
    state = evaluate_event(incident, now)
    return state is not None and state.status == "scheduled"


def review(content: Content, now: datetime, problems: Problems) -> None:
    """Warn about pending maintenance that breaks the site's policy."""
    policy: Policy = content.site.policy
    tz = content.site.timezone
    for incident in content.incidents:
        if not is_pending(incident, now):
            continue
        for clash in _first_per_rule(clashes(incident.start, incident.end, policy.avoid, tz)):
            problems.warn(
                incident.path, incident.start_line, 1,
                f"maintenance window {_fmt_window(incident.start, incident.end, tz)} falls in an avoided time "
                f'("{clash.rule.text}", {tz.key}); the policy keeps maintenance clear of: '
                + ", ".join(r.text for r in policy.avoid),
            )
        if incident.emergency:
            continue
        scheduled = [u for u in incident.updates if u.status == "scheduled"]
        if not scheduled:
            if incident.updates:  # with no updates at all, the loader already asks for one
                problems.warn(
                    incident.path, incident.updates[-1].line, 1,
                    'the notice given cannot be established: add a "## <time> — Scheduled" update '
                    "with the time this maintenance was announced",
                )
            continue
        first = min(scheduled, key=lambda u: u.at)
        notice = incident.start - first.at
        if notice < policy.maintenance_notice:
            given = (
                f"announced {human_duration(notice)} before it starts" if notice > timedelta(0)
                else "announced after it starts"
            )
            problems.warn(
                incident.path, first.line, 1,
                f"maintenance {given}; the policy asks for at least {human_duration(policy.maintenance_notice)} "
                "(add emergency: true if this cannot wait)",
            )


def _first_per_rule(found: list[Clash]) -> list[Clash]:
    """One clash per rule: a long window over several Mondays is one problem, not many."""
    seen, out = set(), []
    for clash in found:
        if clash.rule not in seen:
            seen.add(clash.rule)
            out.append(clash)
    return out
