"""The maintenance policy: avoided times (in the site's zone, across DST) and notice."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content import load
from tests.scratch import load_at
from generator.policy import clashes, human_duration
from generator.settings import DEFAULT_AVOID, parse_avoid

UTC = timezone.utc
DEFAULT_RULES = tuple(parse_avoid(a) for a in DEFAULT_AVOID)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# --- avoided times: table tests of the pure function ----------------------------------

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

AVOID_CASES = [
    # (zone, start, end, expected rule texts)
    # Friday 15:00 is the edge: a window ending at 15:00 is clear, one minute past is not.
    (BERLIN, local(BERLIN, 2026, 11, 27, 14, 0), local(BERLIN, 2026, 11, 27, 15, 0), []),
    (BERLIN, local(BERLIN, 2026, 11, 27, 14, 30), local(BERLIN, 2026, 11, 27, 15, 1), ["Friday after 15:00"]),
    (BERLIN, local(BERLIN, 2026, 11, 27, 15, 0), local(BERLIN, 2026, 11, 27, 16, 0), ["Friday after 15:00"]),
    (BERLIN, local(BERLIN, 2026, 11, 26, 23, 0), local(BERLIN, 2026, 11, 27, 1, 0), []),  # into Friday morning
    # Windows spanning midnight: into a Monday, and out of a Friday evening.
    (BERLIN, local(BERLIN, 2026, 11, 29, 23, 0), local(BERLIN, 2026, 11, 30, 0, 30), ["Monday"]),
    (BERLIN, local(BERLIN, 2026, 11, 29, 22, 0), local(BERLIN, 2026, 11, 30, 0, 0), []),  # ends as Monday begins
    (BERLIN, local(BERLIN, 2026, 11, 27, 22, 0), local(BERLIN, 2026, 11, 28, 2, 0), ["Friday after 15:00"]),
    (BERLIN, local(BERLIN, 2026, 11, 28, 0, 0), local(BERLIN, 2026, 11, 28, 2, 0), []),  # Saturday is fine
    # Monday 00:00 Berlin is Sunday 23:00 UTC in winter, 22:00 UTC in summer: the same UTC
    # window is clear the week before the clocks go forward (29 March 2026) and not after.
    (BERLIN, utc(2026, 3, 22, 22, 0), utc(2026, 3, 22, 23, 0), []),
    (BERLIN, utc(2026, 3, 29, 22, 0), utc(2026, 3, 29, 23, 0), ["Monday"]),
    # Friday 13:30 UTC is 15:30 in Berlin before the clocks go back (25 October 2026), 14:30 after.
    (BERLIN, utc(2026, 10, 23, 13, 30), utc(2026, 10, 23, 14, 0), ["Friday after 15:00"]),
    (BERLIN, utc(2026, 10, 30, 13, 30), utc(2026, 10, 30, 14, 0), []),
    # New York: the clocks go forward on 8 March 2026 and back on 1 November 2026.
    (NEW_YORK, utc(2026, 3, 6, 19, 30), utc(2026, 3, 6, 20, 0), []),  # 14:30 EST
    (NEW_YORK, utc(2026, 3, 13, 19, 30), utc(2026, 3, 13, 20, 0), ["Friday after 15:00"]),  # 15:30 EDT
    (NEW_YORK, utc(2026, 3, 9, 3, 30), utc(2026, 3, 9, 4, 0), []),  # Sunday 23:30 EDT
    (NEW_YORK, utc(2026, 3, 2, 4, 30), utc(2026, 3, 2, 5, 30), ["Monday"]),  # Sunday 23:30 to Monday 00:30 EST
    (NEW_YORK, utc(2026, 11, 2, 4, 30), utc(2026, 11, 2, 5, 0), []),  # Sunday 23:30 EST, the day after
    (NEW_YORK, utc(2026, 10, 26, 4, 30), utc(2026, 10, 26, 5, 0), ["Monday"]),  # Monday 00:30 EDT
    # A week-long window hits each rule once.
    (BERLIN, local(BERLIN, 2026, 11, 24, 0, 0), local(BERLIN, 2026, 12, 8, 0, 0), ["Friday after 15:00", "Monday"]),
]


@pytest.mark.parametrize("zone,start,end,expected", AVOID_CASES)
def test_avoided_times(zone, start, end, expected):
    found = clashes(start, end, DEFAULT_RULES, ZoneInfo(zone))
    assert sorted({c.rule.text for c in found}) == sorted(expected)


def test_rule_forms():
    rule = parse_avoid("Saturday-Sunday")
    assert rule.days == (5, 6) and (rule.start, rule.end) == (0, 1440)
    rule = parse_avoid("Tuesday 09:00-12:00")
    assert rule.days == (1,) and (rule.start, rule.end) == (540, 720)
    tz = ZoneInfo(BERLIN)
    assert clashes(local(BERLIN, 2026, 12, 1, 11, 59), local(BERLIN, 2026, 12, 1, 13, 0), (rule,), tz)
    assert not clashes(local(BERLIN, 2026, 12, 1, 12, 0), local(BERLIN, 2026, 12, 1, 13, 0), (rule,), tz)


@pytest.mark.parametrize("delta,text", [
    (timedelta(minutes=45), "45m"), (timedelta(hours=20), "20h"), (timedelta(hours=47, minutes=59), "47h 59m"),
    (timedelta(hours=48), "48h"), (timedelta(days=5, hours=2), "5d 2h"), (timedelta(days=8), "8d"),
])
def test_human_duration(delta, text):
    assert human_duration(delta) == text


# --- through the loader: messages, notice, emergency ---------------------------------


def make_site(root: Path, incidents: dict[str, str], tz: str = BERLIN, policy: str | None = None) -> Path:
    content = root / "content"
    (content / "incidents").mkdir(parents=True)
    site = f"title: Test\nurl: https://status.example.com/\ntimezone: {tz}\n"
    if policy is not None:
        site += policy
    (content / "site.yaml").write_text(site)
    (content / "components.yaml").write_text("- id: api\n  name: API\n- id: web\n  name: Web\n")
    for name, text in incidents.items():
        (content / "incidents" / f"{name}.md").write_text(textwrap.dedent(text).lstrip())
    return root


def maintenance(start: str, end: str, *updates: str, extra: str = "") -> str:
    body = "\n".join(f"## {u}\nText.\n" for u in updates)
    return f"---\ntitle: Upgrade\ntype: maintenance\ncomponents: [api]\nstart: {start}\nend: {end}\n{extra}---\n\n{body}"


def problems_at(root: Path, now: datetime) -> list[str]:
    _content, problems = load_at(root, now)
    assert not problems.errors, problems.errors
    return [p.format_text() for p in problems.sorted()]


def test_short_notice_message_says_what_was_given_and_asked(tmp_path):
    # Tuesday 10:00 Berlin, announced Monday 14:00: 20 hours.
    root = make_site(tmp_path, {"m": maintenance("2026-12-01 10:00", "2026-12-01 11:00", "2026-11-30 14:00 — Scheduled")})
    assert problems_at(root, utc(2026, 11, 30, 13, 30)) == [
        "content/incidents/m.md:9:1: warning: maintenance announced 20h before it starts; "
        "the policy asks for at least 48h (add emergency: true if this cannot wait)",
    ]


def test_avoided_time_message(tmp_path):
    root = make_site(tmp_path, {"m": maintenance("2026-12-04 16:00", "2026-12-04 17:00", "2026-11-20 09:00 — Scheduled")})
    assert problems_at(root, utc(2026, 11, 26, 12)) == [
        'content/incidents/m.md:5:1: warning: maintenance window Fri 2026-12-04 16:00–17:00 CET falls in an avoided '
        'time ("Friday after 15:00", Europe/Berlin); the policy keeps maintenance clear of: Monday, Friday after 15:00',
    ]


def test_enough_notice_in_a_good_slot_is_quiet(tmp_path):
    root = make_site(tmp_path, {"m": maintenance("2026-12-02 06:00", "2026-12-02 07:00", "2026-11-23 10:00 — Scheduled")})
    assert problems_at(root, utc(2026, 11, 26, 12)) == []


@pytest.mark.parametrize("announced,start,warned,given", [
    # The clocks go forward in Berlin on 29 March 2026: 48 wall-clock hours are 47 real ones.
    ("2026-03-29 00:30", "2026-03-31 00:30", True, "47h"),
    ("2026-03-28 23:30", "2026-03-31 00:30", False, None),  # 48 real hours
    # They go back on 25 October 2026: 47 wall-clock hours are 48 real ones.
    ("2026-10-23 12:00", "2026-10-25 11:00", False, None),
    ("2026-10-23 12:30", "2026-10-25 11:00", True, "47h 30m"),
])
def test_notice_is_counted_in_real_hours_across_dst(tmp_path, announced, start, warned, given):
    end = start[:11] + "05:00" if start.endswith("00:30") else start[:11] + "12:00"
    root = make_site(tmp_path, {"m": maintenance(start, end, f"{announced} — Scheduled")}, policy="policy:\n  avoid: []\n")
    now = datetime.fromisoformat(announced).replace(tzinfo=ZoneInfo(BERLIN)) + timedelta(minutes=1)
    found = problems_at(root, now)
    assert bool(found) == warned
    if warned:
        assert f"announced {given} before it starts" in found[0]


def test_notice_uses_the_first_scheduled_update(tmp_path):
    text = maintenance("2026-12-02 06:00", "2026-12-02 07:00",
                       "2026-11-25 10:00 — Scheduled", "2026-11-20 10:00 — Scheduled", "2026-11-26 09:00 — Update")
    root = make_site(tmp_path, {"m": text})
    assert problems_at(root, utc(2026, 11, 26, 12)) == []


def test_emergency_skips_the_notice_rule_but_not_avoided_times(tmp_path):
    text = maintenance("2026-11-30 20:00", "2026-11-30 21:00", "2026-11-30 16:00 — Scheduled", extra="emergency: true\n")
    root = make_site(tmp_path, {"m": text})
    found = problems_at(root, utc(2026, 11, 30, 15, 30))
    assert len(found) == 1 and '"Monday"' in found[0] and "announced" not in found[0]


def test_without_a_scheduled_update_the_notice_cannot_be_established(tmp_path):
    root = make_site(tmp_path, {"m": maintenance("2026-12-02 06:00", "2026-12-02 07:00", "2026-11-25 10:00 — Update")})
    (found,) = problems_at(root, utc(2026, 11, 26, 12))
    assert "the notice given cannot be established" in found and found.startswith("content/incidents/m.md:9:1: warning")


@pytest.mark.parametrize("now,updates", [
    (utc(2026, 12, 4, 15, 30), ["2026-12-04 14:00 — Scheduled"]),  # already started (16:30 Berlin)
    (utc(2026, 12, 4, 14, 30), ["2026-12-04 14:00 — Scheduled", "2026-12-04 15:20 — Cancelled"]),  # cancelled
    (utc(2026, 12, 4, 14, 30), ["2026-12-04 14:00 — Scheduled", "2026-12-04 15:25 — In progress"]),  # started early
    (utc(2026, 12, 5, 12, 0), ["2026-12-04 14:00 — Scheduled"]),  # over
])
def test_only_maintenance_that_has_not_started_is_checked(tmp_path, now, updates):
    root = make_site(tmp_path, {"m": maintenance("2026-12-04 16:00", "2026-12-04 17:00", *updates)})
    assert [p for p in problems_at(root, now) if "policy" in p or "avoided" in p] == []


def test_custom_policy_settings(tmp_path):
    policy = "policy:\n  maintenance_notice: 7d\n  avoid:\n    - Saturday-Sunday\n"
    root = make_site(tmp_path, {"m": maintenance("2026-12-05 10:00", "2026-12-05 11:00", "2026-11-30 10:00 — Scheduled")},
                     policy=policy)
    found = problems_at(root, utc(2026, 11, 30, 12))
    assert len(found) == 2
    assert '("Saturday-Sunday", Europe/Berlin)' in found[0]
    assert "announced 5d before it starts; the policy asks for at least 7d" in found[1]


@pytest.mark.parametrize("policy,expected", [
    ("policy:\n  maintenance_notice: soon\n",
     "content/site.yaml:5:23: error: maintenance_notice: expected a duration such as 48h, 2d or 30m, got \"soon\""),
    ("policy:\n  maintenance_notice: 48\n",
     "content/site.yaml:5:23: error: maintenance_notice needs a unit: write 48h, 48d or 48m"),
    ("policy:\n  avoid:\n    - Monday\n    - Funday\n",
     "content/site.yaml:7:7: error: cannot read avoid rule 'Funday': write \"Monday\", \"Friday after 15:00\", "
     "\"Saturday-Sunday\" or \"Tuesday 09:00-12:00\""),
    ("policy:\n  avoid: Monday\n",
     'content/site.yaml:5:10: error: "avoid" must be a list such as ["Monday", "Friday after 15:00"]'),
    ("policy:\n  notice: 48h\n",
     'content/site.yaml:5:3: error: unknown key "notice" in policy'),
])
def test_policy_settings_errors_name_the_line(tmp_path, policy, expected):
    root = make_site(tmp_path, {}, policy=policy)
    _content, problems = load_at(root, utc(2026, 11, 26, 12))
    assert [p.format_text() for p in problems.errors] == [expected]


def test_strict_check_fails_on_policy_warnings(tmp_path):
    root = make_site(tmp_path, {"m": maintenance("2026-12-01 10:00", "2026-12-01 11:00", "2026-11-30 14:00 — Scheduled")})
    args = ["check", str(root), "--now", "2026-11-30 13:30 UTC"]
    runner = CliRunner()
    relaxed = runner.invoke(main, args)
    strict = runner.invoke(main, [*args, "--strict"])
    assert relaxed.exit_code == 0 and strict.exit_code == 1
    assert "policy asks for at least 48h" in strict.output


def test_demo_content_keeps_the_policy():
    from tests.conftest import FIXED_NOW, ROOT

    _content, problems = load_at(ROOT, FIXED_NOW)
    assert [p for p in problems.items if "maintenance" in p.message and "policy" in p.message] == []


# --- staleness: nothing left open and forgotten ----------------------------------------------------


def incident(*updates: str) -> str:
    body = "\n".join(f"## {u}\nText.\n" for u in updates)
    return f"---\ntitle: Errors\ncomponents: {{api: partial_outage}}\n---\n\n{body}"


@pytest.mark.parametrize("now,stale", [
    (utc(2026, 11, 27, 10, 15), False),  # exactly 24h: not yet
    (utc(2026, 11, 27, 10, 16), True),
])
def test_an_open_incident_without_an_update_goes_stale(tmp_path, now, stale):
    root = make_site(tmp_path, {"i": incident("2026-11-26 10:15 UTC — Monitoring", "2026-11-26 09:00 UTC — Investigating")})
    found = problems_at(root, now)
    if not stale:
        assert found == []
        return
    assert found == [
        "content/incidents/i.md:6:1: warning: open with no update for 24h 1m: its last update (Monitoring, "
        "2026-11-26 10:15 UTC) still shows on the page; post an update or resolve it (policy stale_after: 24h)",
    ]


def test_a_resolved_incident_never_goes_stale(tmp_path):
    root = make_site(tmp_path, {"i": incident("2026-11-26 10:15 UTC — Resolved", "2026-11-26 09:00 UTC — Investigating")})
    assert problems_at(root, utc(2027, 1, 1)) == []


def test_stale_after_is_configurable_and_can_be_off(tmp_path):
    files = {"i": incident("2026-11-26 10:15 UTC — Identified")}
    root = make_site(tmp_path / "short", files, policy="policy:\n  stale_after: 2h\n")
    (found,) = problems_at(root, utc(2026, 11, 26, 12, 30))
    assert "open with no update for 2h 15m" in found and "(policy stale_after: 2h)" in found
    root = make_site(tmp_path / "off", files, policy="policy:\n  stale_after: off\n")
    assert problems_at(root, utc(2027, 11, 26)) == []


@pytest.mark.parametrize("policy,expected", [
    ("policy:\n  stale_after: 24\n", "content/site.yaml:5:16: error: stale_after needs a unit: write 24h, 24d or 24m"),
    ("policy:\n  stale_after: 0h\n", 'content/site.yaml:5:16: error: stale_after must be longer than 0; write "off" to turn it off'),
    ("policy:\n  stale_after: a day\n",
     'content/site.yaml:5:16: error: stale_after: expected a duration such as 48h, 2d or 30m, got "a day"'),
])
def test_stale_after_errors(tmp_path, policy, expected):
    root = make_site(tmp_path, {}, policy=policy)
    _content, problems = load_at(root, utc(2026, 11, 26, 12))
    assert [p.format_text() for p in problems.errors] == [expected]


@pytest.mark.parametrize("updates,warned", [
    (["2026-12-01 14:00 — Scheduled"], True),
    (["2026-12-04 16:05 — In progress", "2026-12-01 14:00 — Scheduled"], True),
    (["2026-12-04 16:40 — Completed", "2026-12-04 16:05 — In progress", "2026-12-01 14:00 — Scheduled"], False),
    (["2026-12-03 09:00 — Cancelled", "2026-12-01 14:00 — Scheduled"], False),
])
def test_a_maintenance_past_its_window_needs_a_closing_update(tmp_path, updates, warned):
    root = make_site(tmp_path, {"m": maintenance("2026-12-04 16:00", "2026-12-04 17:00", *updates)},
                     policy="policy:\n  avoid: []\n")
    assert problems_at(root, utc(2026, 12, 4, 15, 59)) == []  # the window (Berlin) has not ended
    found = problems_at(root, utc(2026, 12, 5, 12))
    if not warned:
        assert found == []
        return
    assert found == [
        "content/incidents/m.md:9:1: warning: the maintenance window ended 20h ago (2026-12-04 17:00 CET) and there "
        'is no Completed update: post one (statusgen resolve m "…"), or "Cancelled" if it did not happen',
    ]


def test_staleness_is_a_decision_and_check_shows_it(tmp_path):
    from generator.review import decisions
    from generator.status import snapshot

    root = make_site(tmp_path, {"i": incident("2026-11-26 10:15 UTC — Monitoring")})
    content, _ = load(root)
    (found,) = decisions(snapshot(content, utc(2026, 11, 28, 10, 15))).items
    assert "open with no update for 48h" in found.message
    result = CliRunner().invoke(main, ["check", str(root), "--now", "2026-11-28 10:15 UTC", "--format", "github"])
    assert result.exit_code == 0
    assert result.output.startswith("::warning file=content/incidents/i.md,line=6,col=1::open with no update for 48h")
    assert CliRunner().invoke(main, ["check", str(root), "--now", "2026-11-28 10:15 UTC", "--strict"]).exit_code == 1
