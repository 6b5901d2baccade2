"""Table tests of the pure status engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import textwrap

import pytest

from generator.status import next_change, snapshot
from generator.timestamps import parse_now
from tests.scratch import load_site

T = parse_now

OVERLAP = {
    "partial": """
        ---
        title: API errors
        components: {api: partial_outage}
        ---
        ## 2026-11-20 12:00 UTC — Resolved
        ok
        ## 2026-11-20 10:00 UTC — Investigating
        looking
    """,
    "major": """
        ---
        title: API down
        components: {api: major_outage, web: degraded_performance}
        ---
        ## 2026-11-20 11:30 UTC — Resolved
        ok
        ## 2026-11-20 11:00 UTC — Investigating
        looking
    """,
}


@pytest.mark.parametrize(
    "at, api, web",
    [
        ("2026-11-20 09:59 UTC", "operational", "operational"),
        ("2026-11-20 10:00 UTC", "partial_outage", "operational"),
        ("2026-11-20 11:15 UTC", "major_outage", "degraded_performance"),
        ("2026-11-20 11:30 UTC", "partial_outage", "operational"),
        ("2026-11-20 12:00 UTC", "operational", "operational"),
    ],
)
def test_overlapping_incidents_take_the_worst(tmp_path, at, api, web):
    content = load_site(tmp_path, OVERLAP)
    snap = snapshot(content, T("2026-11-21 00:00 UTC"))
    assert snap.component_status("api", T(at)) == api
    assert snap.component_status("web", T(at)) == web


def test_updates_after_now_are_not_known(tmp_path):
    content = load_site(tmp_path, OVERLAP)
    snap = snapshot(content, T("2026-11-20 11:45 UTC"))
    # "partial" has not been resolved yet as of 11:45, so it is active and still partial.
    assert snap.component_status("api") == "partial_outage"
    assert [s.id for s in snap.active_incidents] == ["partial"]
    assert snap.events["partial"].status == "investigating"
    assert snap.indicator == "major"
    assert snap.description == "Partial System Outage"
    before = snapshot(content, T("2026-11-20 09:00 UTC"))
    assert before.events == {} and before.indicator == "none"
    assert before.description == "All Systems Operational"


def test_group_id_stands_for_all_members_and_group_takes_worst(tmp_path):
    content = load_site(tmp_path, {
        "apps": """
            ---
            title: Apps cannot sync
            components: {apps: partial_outage, ios: major_outage}
            ---
            ## 2026-11-20 10:00 UTC — Identified
            x
        """,
    })
    assert content.incident("apps").components == {"android": "partial_outage", "ios": "major_outage"}
    assert content.incident("apps").impact == "critical"  # derived from the worst status
    snap = snapshot(content, T("2026-11-20 11:00 UTC"))
    group = content.catalog.group("apps")
    assert snap.group_status(group) == "major_outage"
    assert snap.status_of(group) == "major_outage"
    assert snap.indicator == "critical"
    assert snap.description == "Major System Outage"


MAINTENANCE = textwrap.dedent("""
    ---
    title: Database upgrade
    type: maintenance
    start: 2026-12-02 06:00 Europe/Berlin
    end: 2026-12-02 07:00 Europe/Berlin
    components: [api, web]
    ---
    {updates}
    ## 2026-11-20 10:00 UTC — Scheduled
    We will upgrade the database.
""")


@pytest.mark.parametrize(
    "updates, now, status, api",
    [
        ("", "2026-12-02 04:59 UTC", "scheduled", "operational"),
        ("", "2026-12-02 05:00 UTC", "in_progress", "under_maintenance"),
        ("", "2026-12-02 06:00 UTC", "completed", "operational"),
        # An "in progress" update starts it early; a "completed" one ends it early.
        ("## 2026-12-02 04:30 UTC — In progress\nStarting early.\n", "2026-12-02 04:45 UTC", "in_progress", "under_maintenance"),
        ("## 2026-12-02 05:20 UTC — Completed\nDone early.\n", "2026-12-02 05:30 UTC", "completed", "operational"),
        ("## 2026-12-02 05:20 UTC — Verifying\nChecking.\n", "2026-12-02 05:30 UTC", "verifying", "under_maintenance"),
        # A cancelled maintenance never affects components, even inside its window.
        ("## 2026-11-25 09:00 UTC — Cancelled\nNot needed.\n", "2026-12-02 05:30 UTC", "cancelled", "operational"),
        # "scheduled" and "update" updates never move it.
        ("## 2026-12-02 05:40 UTC — Update\nHalfway.\n", "2026-12-02 05:50 UTC", "in_progress", "under_maintenance"),
    ],
)
def test_maintenance_window(tmp_path, updates, now, status, api):
    content = load_site(tmp_path, {"m": MAINTENANCE.replace("{updates}", updates)})
    snap = snapshot(content, T(now))
    assert snap.events["m"].status == status
    assert snap.component_status("api") == api
    assert snap.indicator == ("maintenance" if api == "under_maintenance" else "none")


def test_incident_is_worse_than_maintenance(tmp_path):
    content = load_site(tmp_path, {
        "m": MAINTENANCE.replace("{updates}", ""),
        "i": """
            ---
            title: API slow
            components: {api: degraded_performance}
            ---
            ## 2026-12-02 05:10 UTC — Investigating
            x
        """,
    })
    snap = snapshot(content, T("2026-12-02 05:30 UTC"))
    assert snap.component_status("api") == "degraded_performance"
    assert snap.component_status("web") == "under_maintenance"
    assert snap.indicator == "minor"


def test_resolved_at_and_started(tmp_path):
    content = load_site(tmp_path, {
        "i": """
            ---
            title: API errors
            started: 2026-11-20 09:40 UTC
            components: {api: partial_outage}
            ---
            ## 2026-11-20 11:00 UTC — Postmortem
            What happened.
            ## 2026-11-20 10:30 UTC — Resolved
            ok
            ## 2026-11-20 10:10 UTC — Monitoring
            fix deployed
            ## 2026-11-20 10:00 UTC — Investigating
            x
        """,
    })
    state = snapshot(content, T("2026-11-21 00:00 UTC")).events["i"]
    assert state.began == T("2026-11-20 09:40 UTC")
    assert state.resolved_at == T("2026-11-20 10:30 UTC")
    assert state.monitoring_at == T("2026-11-20 10:10 UTC")
    assert state.status == "postmortem"
    assert state.duration == timedelta(minutes=50)
    assert not state.is_active


def day(snap, component_id, d):
    component = snap.content.catalog.component(component_id)
    return next(x for x in snap.uptime(component).days if x.day == d)


def test_uptime_weights_and_overlaps_counted_once(tmp_path):
    content = load_site(tmp_path, OVERLAP)
    snap = snapshot(content, T("2026-11-30 00:00 UTC"))
    d = day(snap, "api", date(2026, 11, 20))
    # 10:00-11:00 partial, 11:00-11:30 major (overlap counted once, at the worst), 11:30-12:00 partial.
    assert d.outage == {"partial_outage": 5400.0, "major_outage": 1800.0}
    assert d.down == pytest.approx(5400 * 0.3 + 1800 * 1.0)
    assert d.counted == 86400
    assert d.uptime == pytest.approx(1 - 3420 / 86400)
    assert d.incidents == ("major", "partial")
    web = day(snap, "web", date(2026, 11, 20))
    assert web.outage == {"degraded_performance": 1800.0} and web.down == 0  # degraded weighs 0 by default


def test_custom_weights(tmp_path):
    content = load_site(tmp_path, OVERLAP, extra_site="uptime_weights: {degraded_performance: 0.5}\n")
    snap = snapshot(content, T("2026-11-30 00:00 UTC"))
    assert day(snap, "web", date(2026, 11, 20)).down == pytest.approx(900)


def test_maintenance_is_not_downtime(tmp_path):
    content = load_site(tmp_path, {"m": MAINTENANCE.replace("{updates}", "")})
    snap = snapshot(content, T("2026-12-03 00:00 UTC"))
    d = day(snap, "api", date(2026, 12, 2))
    assert d.down == 0 and d.uptime == 1.0 and d.incidents == ("m",)


def test_uptime_days_follow_the_site_zone_across_dst(tmp_path):
    content = load_site(tmp_path, {}, timezone="Europe/Berlin", extra_site="uptime_days: 5\n")
    snap = snapshot(content, T("2026-03-31 12:00 UTC"))
    assert snap.uptime_days == tuple(date(2026, 3, d) for d in range(27, 32))
    web = snap.content.catalog.component("web")
    counted = {d.day: d.counted for d in snap.uptime(web).days}
    assert counted[date(2026, 3, 29)] == 23 * 3600  # the night the clocks go forward
    assert counted[date(2026, 3, 28)] == 24 * 3600
    assert counted[date(2026, 3, 31)] == 14 * 3600  # today, until now (14:00 CEST)
    snap = snapshot(content, T("2026-10-27 12:00 UTC"))
    assert {d.day: d.counted for d in snap.uptime(web).days}[date(2026, 10, 25)] == 25 * 3600


def test_days_before_since_do_not_count(tmp_path):
    content = load_site(tmp_path, {}, extra_site="uptime_days: 3\n")
    snap = snapshot(content, T("2026-01-02 12:00 UTC"))
    api = snap.content.catalog.component("api")  # since 2026-01-01
    days = snap.uptime(api).days
    assert [d.counted for d in days] == [0, 86400, 43200]
    assert days[0].uptime is None
    assert snap.uptime(api).percent == 100.0


def test_uptime_percent_over_the_period(tmp_path):
    content = load_site(tmp_path, OVERLAP, extra_site="uptime_days: 10\n")
    snap = snapshot(content, T("2026-11-29 00:00 UTC"))
    api = snap.content.catalog.component("api")
    counted = 9 * 86400  # ten days, the last one has just begun
    assert snap.uptime(api).percent == pytest.approx(100 * (1 - 3420 / counted))


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-11-21 00:00 UTC", "2026-12-02 05:00 UTC"),  # the window opens
        ("2026-12-02 05:00 UTC", "2026-12-02 06:00 UTC"),  # at the edge itself, the next is the close
        ("2026-12-02 05:30 UTC", "2026-12-02 06:00 UTC"),  # the window closes
        ("2026-12-02 06:00 UTC", None),
    ],
)
def test_next_change_across_a_window(tmp_path, now, expected):
    content = load_site(tmp_path, {"m": MAINTENANCE.replace("{updates}", "")})
    assert next_change(content, T(now)) == (T(expected) if expected else None)


def test_next_change_sees_future_dated_updates_and_ignores_cancelled(tmp_path):
    content = load_site(tmp_path, {
        "m": MAINTENANCE.replace("{updates}", "## 2026-11-22 09:00 UTC — Cancelled\nNot needed.\n"),
        "i": """
            ---
            title: API errors
            components: {api: partial_outage}
            ---
            ## 2026-11-21 18:00 UTC — Resolved
            ok
            ## 2026-11-21 17:00 UTC — Investigating
            x
        """,
    })
    assert next_change(content, T("2026-11-21 12:00 UTC")) == T("2026-11-21 17:00 UTC")
    assert next_change(content, T("2026-11-21 17:30 UTC")) == T("2026-11-21 18:00 UTC")
    # Before the cancellation is published, the window still counts…
    assert next_change(content, T("2026-11-21 19:00 UTC")) == T("2026-11-22 09:00 UTC")
    # …and once it is, nothing changes again.
    assert next_change(content, T("2026-11-22 10:00 UTC")) is None


def test_snapshot_is_pure(tmp_path):
    content = load_site(tmp_path, OVERLAP)
    a = snapshot(content, T("2026-11-20 11:15 UTC"))
    b = snapshot(content, T("2026-11-20 11:15 UTC"))
    assert a.indicator == b.indicator and a.events.keys() == b.events.keys()
    assert snapshot(content, datetime(2026, 11, 20, 12, 15, tzinfo=timezone(timedelta(hours=1)))).now == T("2026-11-20 11:15 UTC")
