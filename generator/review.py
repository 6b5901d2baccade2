"""The review: what the content means at `now` that a person should look at before it goes out.

It reads a snapshot, so each event is evaluated once, by the status engine:

- an update dated in the future (it will not show until then);
- a maintenance that has not started (and is not cancelled) whose window
  falls in a time the policy avoids, or that was announced with less notice
  than the policy asks (generator/policy.py holds the rules);
- staleness: an open incident without an update for longer than
  `stale_after` (the page keeps showing it), and a maintenance whose window
  is over without a closing update.

All are warnings; `--strict` turns them into failures, as it does for every
warning. They are the warnings a reviewer has to decide on, so `check
--summary` lists them first (`decisions()`).
"""

from __future__ import annotations

from datetime import timedelta

from generator.policy import clashes, first_per_rule, human_duration, notice_given, window_text
from generator.problems import Problems
from generator.status import EventState, Snapshot


def review(snap: Snapshot, problems: Problems) -> None:
    """Record every warning the content deserves at the snapshot's `now`."""
    review_future_updates(snap, problems)
    review_maintenance(snap, problems)
    review_staleness(snap, problems)


def decisions(snap: Snapshot) -> Problems:
    """The review's warnings alone: what a reviewer has to decide on before merging."""
    found = Problems()
    review(snap, found)
    return found


def review_future_updates(snap: Snapshot, problems: Problems) -> None:
    for incident in snap.content.incidents:
        for update in incident.updates:
            if update.at > snap.now:
                problems.warn(
                    incident.path, update.line, 1,
                    f"update dated {update.at:%Y-%m-%d %H:%M} UTC is in the future; it will not show until then",
                )


def is_pending(state: EventState) -> bool:
    """A maintenance with a window that has not started at `now` and is not cancelled."""
    incident = state.incident
    return incident.is_maintenance and incident.start is not None and incident.end is not None \
        and state.status == "scheduled"


def review_maintenance(snap: Snapshot, problems: Problems) -> None:
    """Warn about pending maintenance that breaks the site's policy."""
    policy = snap.content.site.policy
    tz = snap.content.site.timezone
    for state in snap.maintenances:
        if not is_pending(state):
            continue
        incident = state.incident
        for clash in first_per_rule(clashes(incident.start, incident.end, policy.avoid, tz)):
            problems.warn(
                incident.path, incident.start_line, 1,
                f"maintenance window {window_text(incident.start, incident.end, tz)} falls in an avoided time "
                f'("{clash.rule.text}", {tz.key}); the policy keeps maintenance clear of: '
                + ", ".join(r.text for r in policy.avoid),
            )
        if incident.emergency:
            continue
        notice = notice_given(incident)
        if notice is None:
            if incident.updates:  # with no updates at all, the loader already asks for one
                problems.warn(
                    incident.path, incident.updates[-1].line, 1,
                    'the notice given cannot be established: add a "## <time> — Scheduled" update '
                    "with the time this maintenance was announced",
                )
            continue
        if notice < policy.maintenance_notice:
            first = min((u for u in incident.updates if u.status == "scheduled"), key=lambda u: u.at)
            given = (
                f"announced {human_duration(notice)} before it starts" if notice > timedelta(0)
                else "announced after it starts"
            )
            problems.warn(
                incident.path, first.line, 1,
                f"maintenance {given}; the policy asks for at least {human_duration(policy.maintenance_notice)} "
                "(add emergency: true if this cannot wait)",
            )


def review_staleness(snap: Snapshot, problems: Problems) -> None:
    """Warn about events that look forgotten: they keep the page wrong until someone posts."""
    now = snap.now
    stale_after = snap.content.site.policy.stale_after
    tz = snap.content.site.timezone
    for state in snap.events.values():
        incident = state.incident
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
