"""`next-change`: the next instant a built site goes stale, across maintenance windows and days."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content import load
from generator.schedule import is_due, next_midnight, next_stale
from generator.timestamps import zone

UTC = timezone.utc


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_site(root: Path, incidents: dict[str, str], tz: str = "UTC", components: bool = True, extra: str = "") -> Path:
    content = root / "content"
    (content / "incidents").mkdir(parents=True)
    (content / "site.yaml").write_text(f"title: T\nurl: https://status.example.com/\ntimezone: {tz}\npolicy:\n  avoid: []\n{extra}")
    (content / "components.yaml").write_text("- id: api\n  name: API\n- id: web\n  name: Web\n" if components else "[]\n")
    for name, text in incidents.items():
        (content / "incidents" / f"{name}.md").write_text(textwrap.dedent(text).lstrip())
    return root


def maint(start: str, end: str, *updates: str, components: str = "[api]") -> str:
    body = "\n".join(f"## {u}\nText.\n" for u in ("2026-11-20 10:00 UTC — Scheduled", *updates))
    return f"---\ntitle: M\ntype: maintenance\ncomponents: {components}\nstart: {start}\nend: {end}\n---\n\n{body}"


A = ("2026-12-02 05:00 UTC", "2026-12-02 06:00 UTC")
B = ("2026-12-02 05:30 UTC", "2026-12-02 07:00 UTC")
MIDNIGHT_AFTER = "2026-12-03 00:00"


def stale(root: Path, now: str):
    content, problems = load(root)
    assert not problems.errors, problems.errors
    return next_stale(content, t(now))


@pytest.mark.parametrize("incidents,now,expected", [
    # One window: before, inside, after (the bars move on at midnight next).
    ({"a": maint(*A)}, "2026-12-02 04:00", "2026-12-02 05:00"),
    ({"a": maint(*A)}, "2026-12-02 05:00", "2026-12-02 06:00"),
    ({"a": maint(*A)}, "2026-12-02 05:30", "2026-12-02 06:00"),
    ({"a": maint(*A)}, "2026-12-02 06:00", MIDNIGHT_AFTER),
    ({"a": maint(*A)}, "2026-12-01 23:00", "2026-12-02 00:00"),  # midnight comes first
    # Overlapping windows on the same component: every edge counts, even one that
    # leaves the component's status alone, because the event's own status changes.
    ({"a": maint(*A), "b": maint(*B)}, "2026-12-02 05:10", "2026-12-02 05:30"),
    ({"a": maint(*A), "b": maint(*B)}, "2026-12-02 05:45", "2026-12-02 06:00"),
    ({"a": maint(*A), "b": maint(*B)}, "2026-12-02 06:30", "2026-12-02 07:00"),
    # Cancelled: no edges at all; cancelled later: the cancellation is the change.
    ({"a": maint(*A, "2026-11-25 09:00 UTC — Cancelled")}, "2026-12-02 04:00", MIDNIGHT_AFTER),
    ({"a": maint(*A, "2026-12-02 04:30 UTC — Cancelled")}, "2026-12-02 04:00", "2026-12-02 04:30"),
    # Completed early: the planned end no longer matters.
    ({"a": maint(*A, "2026-12-02 05:40 UTC — Completed")}, "2026-12-02 05:45", MIDNIGHT_AFTER),
    ({"a": maint(*A, "2026-12-02 05:40 UTC — Completed")}, "2026-12-02 05:20", "2026-12-02 05:40"),
    # Started early by an update written ahead of time.
    ({"a": maint(*A, "2026-12-02 04:50 UTC — In progress")}, "2026-12-02 04:00", "2026-12-02 04:50"),
    # A future-dated update on an incident becomes visible.
    ({"i": "---\ntitle: I\ncomponents: {web: partial_outage}\n---\n## 2026-12-02 03:00 UTC — Investigating\nX\n"
           "## 2026-12-02 04:20 UTC — Identified\nY\n"}, "2026-12-02 04:00", "2026-12-02 04:20"),
])
def test_next_change_across_windows(tmp_path, incidents, now, expected):
    assert stale(make_site(tmp_path, incidents), now).at == t(expected)


@pytest.mark.parametrize("now,expected", [
    ("2026-11-26 12:00", "2026-11-26 23:00"),  # CET: midnight is 23:00 UTC
    ("2026-07-01 12:00", "2026-07-01 22:00"),  # CEST: 22:00 UTC
    ("2026-03-28 12:00", "2026-03-28 23:00"),  # the night the clocks go forward starts in CET
    ("2026-03-29 12:00", "2026-03-29 22:00"),  # and ends in CEST
    ("2026-11-26 23:00", "2026-11-27 23:00"),  # exactly at midnight: the next one
])
def test_midnight_in_the_site_zone(tmp_path, now, expected):
    root = make_site(tmp_path, {}, tz="Europe/Berlin")
    assert stale(root, now).at == t(expected)
    assert next_midnight(t(now), zone("Europe/Berlin")) == t(expected)


def test_an_incident_leaving_the_recent_list(tmp_path):
    incident = ("---\ntitle: I\ncomponents: {web: partial_outage}\n---\n"
                "## 2026-11-20 10:00 UTC — Resolved\nOK\n## 2026-11-20 09:00 UTC — Investigating\nX\n")
    root = make_site(tmp_path, {"i": incident})
    found = stale(root, "2026-11-27 09:00")
    # Listed while resolved_at >= now - 7 days: gone one second after.
    assert found.at == t("2026-11-27 10:00:01")
    assert "leaves the list of the last 7 days" in found.reason
    assert stale(root, "2026-11-27 10:00:01").at == t("2026-11-28 00:00")


def test_a_maintenance_leaving_the_calendar(tmp_path):
    root = make_site(tmp_path, {"m": maint("2026-09-01 05:00 UTC", "2026-09-01 06:00 UTC")})
    found = stale(root, "2026-11-30 00:30")  # 90 days after the window ended, it leaves the calendar
    assert found.at == t("2026-11-30 06:00:01") and "calendar" in found.reason


def test_nothing_to_change(tmp_path):
    root = make_site(tmp_path, {}, components=False)
    assert stale(root, "2026-11-26 12:00").at is None


def test_is_due():
    now = t("2026-12-02 04:55")
    assert is_due(t("2026-12-02 05:00"), now, timedelta(minutes=6))
    assert is_due(t("2026-12-02 05:01"), now, timedelta(minutes=6))
    assert not is_due(t("2026-12-02 05:01:01"), now, timedelta(minutes=6))
    assert not is_due(None, now, timedelta(days=1))


def test_demo_at_the_fixed_time():
    from tests.conftest import FIXED_NOW, ROOT

    content, _ = load(ROOT)
    found = next_stale(content, FIXED_NOW)
    assert found.at is not None and FIXED_NOW < found.at <= next_midnight(FIXED_NOW, content.site.timezone)


# --- the command ----------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, ["next-change", *args])  # click 8.2+: .stdout and .stderr apart


@pytest.fixture
def window_site(tmp_path):
    return make_site(tmp_path, {"a": maint(*A)})


def test_prints_the_instant(window_site):
    result = run(str(window_site), "--now", "2026-12-02 04:00 UTC")
    assert result.exit_code == 0 and result.stdout == "2026-12-02T05:00:00Z\n"


def test_prints_none(tmp_path):
    result = run(str(make_site(tmp_path, {}, components=False)), "--now", "2026-12-02 04:00 UTC", "--due-within", "1d")
    assert result.exit_code == 1 and result.stdout == "none\n"


@pytest.mark.parametrize("now,within,code", [
    ("2026-12-02 04:54 UTC", "6m", 0), ("2026-12-02 04:53:59 UTC", "6m", 1), ("2026-12-02 03:00 UTC", "2h", 0),
])
def test_due_within(window_site, monkeypatch, now, within, code):
    monkeypatch.setattr("time.sleep", lambda s: None)
    assert run(str(window_site), "--now", now, "--due-within", within).exit_code == code


def test_lookback_catches_a_change_a_late_run_missed(window_site):
    missed = run(str(window_site), "--now", "2026-12-02 05:03 UTC", "--due-within", "6m")
    assert missed.exit_code == 1 and missed.stdout == "2026-12-02T06:00:00Z\n"
    caught = run(str(window_site), "--now", "2026-12-02 05:03 UTC", "--due-within", "6m", "--lookback", "15m")
    assert caught.exit_code == 0 and caught.stdout == "2026-12-02T05:00:00Z\n"


def test_wait_sleeps_until_the_change(window_site, monkeypatch):
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    result = run(str(window_site), "--now", "2026-12-02 04:57:30 UTC", "--due-within", "6m", "--wait")
    assert result.exit_code == 0 and slept == [150.0]
    slept.clear()
    run(str(window_site), "--now", "2026-12-02 05:03 UTC", "--due-within", "6m", "--lookback", "15m", "--wait")
    assert slept == []  # already past: no waiting


def test_content_errors_exit_2(window_site):
    (window_site / "content" / "incidents" / "bad.md").write_text("---\ntitle: [\n---\n")
    result = run(str(window_site), "--now", "2026-12-02 04:00 UTC", "--due-within", "6m")
    assert result.exit_code == 2 and "bad.md" in result.stderr
