"""The policy: maintenance with enough notice and clear of the times to avoid,
and no event left open and forgotten.

`review()` looks at every maintenance that has not started at `now` (and is
not cancelled) and warns when its window overlaps an avoided time of the
site's policy, or when it was announced with less notice than the policy
asks. Avoid rules are wall-clock times in the site's zone, so each rule is
turned into real instants day by day: a rule keeps its local hours across a
DST change, and a window that spans midnight is checked against both days.
It also warns about staleness: an open incident without an update for longer
than `stale_after` (the page keeps showing it), and a maintenance whose
window is over without a closing update.

Pure functions of the content and `now`; `--strict` turns the warnings into
failures, as it does for every warning. They are the warnings a reviewer has
to decide on, so `check --summary` lists them first (`decisions()`).
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
    """Warn about pending maintenance that breaks the site's policy, and about stale events."""
    review_maintenance(content, now, problems)
    review_staleness(content, now, problems)


def review_maintenance(content: Content, now: datetime, problems: Problems) -> None:
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


def review_staleness(content: Content, now: datetime, problems: Problems) -> None:
    """Warn about events that look forgotten: they keep the page wrong until someone posts."""
    stale_after = content.site.policy.stale_after
    tz = content.site.timezone
    for incident in content.incidents:
        state = evaluate_event(incident, now)
        if state is None:
            continue
        if incident.is_maintenance:
            if incident.end is None or now < incident.end or state.status == "cancelled":
                continue
            if any(u.status in ("completed", "cancelled") for u in state.updates):
                continue
            line = state.updates[0].line if state.updates else incident.start_line
            problems.warn(
                incident.path, line, 1,
                f"the maintenance window ended {human_duration(now - incident.end)} ago "
                f"({incident.end.astimezone(tz):%Y-%m-%d %H:%M %Z}) and there is no Completed update: "
                f'post one (statusgen resolve {incident.id} "…"), or "Cancelled" if it did not happen',
            )
            continue
        if stale_after is None or state.resolved_at is not None:
            continue
        latest = state.updates[0] if state.updates else None
        since = latest.at if latest else state.began
        if since is None or now - since <= stale_after:
            continue
        what = f"its last update ({latest.label}, {latest.at:%Y-%m-%d %H:%M} UTC)" if latest else "it began, and it has no update"
        problems.warn(
            incident.path, latest.line if latest else 1, 1,
            f"open with no update for {human_duration(now - since)}: {what} still shows on the page; "
            f"post an update or resolve it (policy stale_after: {human_duration(stale_after)})",
        )


def decisions(content: Content, now: datetime) -> Problems:
    """The policy's warnings alone: what a reviewer has to decide on before merging."""
    found = Problems()
    review(content, now, found)
    return found


def _first_per_rule(found: list[Clash]) -> list[Clash]:
    """One clash per rule: a long window over several Mondays is one problem, not many."""
    seen, out = set(), []
    for clash in found:
        if clash.rule not in seen:
            seen.add(clash.rule)
            out.append(clash)
    return out
