"""maintenance.ics, parsed back with icalendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from generator.calendar import render_calendar
from generator.content import load
from generator.status import snapshot
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import load_at, write_site

UTC = timezone.utc


def ics_of(root, now) -> bytes:
    content, problems = load_at(root, now)
    assert not problems.errors, [p.format_text() for p in problems.errors]
    return render_calendar(snapshot(content, now), root)["maintenance.ics"]


def events(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_demo_calendar(built_demo):
    raw = (built_demo / "maintenance.ics").read_bytes()
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 75 for line in lines)  # CRLF, folded (RFC 5545 3.1)
    content, _ = load_at(ROOT, FIXED_NOW)
    snap = snapshot(content, FIXED_NOW)
    found = events(raw)
    upcoming = snap.upcoming_maintenances
    assert upcoming and all(f"{s.id}@status.hourglass.example" in found for s in upcoming)
    for uid, ev in found.items():
        state = snap.events[uid.split("@")[0]]
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0) and start < end
        assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}".encode() in raw
        assert end >= FIXED_NOW - timedelta(days=content.site.uptime_days)
        assert str(ev["URL"]) == f"{content.site.url}incidents/{state.id}/"
        assert ev.decoded("DTSTAMP") == state.updates[0].at
        assert str(ev["STATUS"]) == ("CANCELLED" if state.status == "cancelled" else "CONFIRMED")
        for cid in state.incident.components:
            assert content.catalog.component(cid).name in str(ev["DESCRIPTION"])
    queue = found["2026-12-02-message-queue-upgrade@status.hourglass.example"]
    assert queue.decoded("DTSTART") == datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    assert queue.decoded("DTEND") == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert queue["SEQUENCE"] == 0


MAINTENANCE = """
    ---
    title: {title}
    type: maintenance
    components: [api]
    start: {start}
    end: {end}
    ---
    {updates}
"""


def notice(title, start, end, *updates):
    body = "\n".join(f"## {at} — {status}\n{status} notice.\n" for at, status in updates)
    return MAINTENANCE.format(title=title, start=start, end=end, updates=body.replace("\n", "\n    "))


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CASES = {
    "cancelled": notice("Cancelled", "2026-12-01 05:00 UTC", "2026-12-01 06:00 UTC",
                        ("2026-11-25 09:00 UTC", "Cancelled"), ("2026-11-20 09:00 UTC", "Scheduled")),
    "moved": notice("Moved", "2026-12-03 05:00 UTC", "2026-12-03 07:00 UTC",
                    ("2026-11-24 09:00 UTC", "Update"), ("2026-11-20 09:00 UTC", "Scheduled")),
    "early": notice("Early", "2026-11-20 05:00 UTC", "2026-11-20 06:00 UTC",
                    ("2026-11-20 05:30 UTC", "Completed"), ("2026-11-20 04:40 UTC", "In progress"),
                    ("2026-11-10 09:00 UTC", "Scheduled")),
    "old": notice("Old", "2026-07-01 05:00 UTC", "2026-07-01 06:00 UTC", ("2026-06-20 09:00 UTC", "Scheduled")),
}


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory):
    return write_site(tmp_path_factory.mktemp("cal"), CASES)


@pytest.fixture(scope="module")
def scratch(scratch_root):
    return events(ics_of(scratch_root, NOW))


def test_which_windows_are_listed(scratch):
    # Upcoming, cancelled and recent ones; not those older than uptime_days (90).
    assert sorted(scratch) == ["cancelled@status.example.com", "early@status.example.com", "moved@status.example.com"]


def test_cancelled_window(scratch):
    ev = scratch["cancelled@status.example.com"]
    assert str(ev["STATUS"]) == "CANCELLED"
    assert ev["SEQUENCE"] == 1
    assert ev.decoded("DTSTART") == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
    assert ev.decoded("DTSTAMP") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert "Affected components: API" in str(ev["DESCRIPTION"])


def test_window_edits_raise_the_sequence(scratch):
    moved = scratch["moved@status.example.com"]
    assert str(moved["STATUS"]) == "CONFIRMED" and moved["SEQUENCE"] == 1
    early = scratch["early@status.example.com"]
    # Started at 04:40 instead of 05:00 and finished at 05:30 instead of 06:00.
    assert early.decoded("DTSTART") == datetime(2026, 11, 20, 4, 40, tzinfo=UTC)
    assert early.decoded("DTEND") == datetime(2026, 11, 20, 5, 30, tzinfo=UTC)
    assert early["SEQUENCE"] == 2


def test_sequence_never_falls_and_rises_with_every_change(scratch_root):
    """Replay the "early" window every 10 minutes on its day: each change of window or status bumps SEQUENCE."""
    before = None
    t = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
    while t < datetime(2026, 11, 20, 7, 0, tzinfo=UTC):
        ev = events(ics_of(scratch_root, t)).get("early@status.example.com")
        if ev is not None:
            now = (ev["SEQUENCE"], ev.decoded("DTSTART"), ev.decoded("DTEND"), str(ev["STATUS"]))
            if before is not None:
                assert now[0] >= before[0]
                if now[1:] != before[1:]:
                    assert now[0] > before[0], (t, before, now)
            before = now
        t += timedelta(minutes=10) if t.date() == datetime(2026, 11, 20).date() else timedelta(hours=12)
    assert before[0] == 2


def test_no_clock_in_the_calendar(scratch_root):
    # Nothing new between these two times: the file is byte-identical.
    assert ics_of(scratch_root, NOW) == ics_of(scratch_root, NOW + timedelta(hours=6))
