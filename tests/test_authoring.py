"""`statusgen update` and `resolve`: a stamped update on top, every other byte kept, checked before writing."""

from __future__ import annotations

import difflib
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.authoring import AuthoringError, find_site, free_stamp, insert_update, strip_comments
from generator.headings import first_heading_offset
from generator.cli import main
from generator.content import load
from tests.conftest import ROOT
from tests.scratch import load_at, write_site

UTC = timezone.utc
AT = datetime(2026, 11, 26, 14, 2, tzinfo=UTC)
INCIDENT = "2026-11-26-delayed-email-reminders"
MAINTENANCE = "2026-12-02-message-queue-upgrade"


@pytest.fixture
def site(tmp_path) -> Path:
    """A copy of the demo's content."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


NOON = "1795694400"  # 2026-11-26 12:00 UTC: the demo's incident is open, its maintenance ahead


def run(*args, env=None):
    """The command at a fixed clock (noon on the demo's day) unless `env` sets one."""
    return CliRunner().invoke(main, list(args), env={"EDITOR": "", "VISUAL": "", "SOURCE_DATE_EPOCH": NOON, **(env or {})})


def added_lines(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails if any line was changed or removed."""
    ops = difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True), autojunk=False).get_opcodes()
    assert all(tag in ("equal", "insert") for tag, *_ in ops), ops
    lines = after.splitlines(True)
    return [line for tag, _a, _b, j1, j2 in ops if tag == "insert" for line in lines[j1:j2]]


# --- the pure insertion ----------------------------------------------------------------


def test_inserts_above_the_first_update_after_the_summary():
    text = "---\ntitle: T\n---\nA summary.\n\n## 2026-11-26 13:00 UTC — Investigating\nLooking.\n"
    new = insert_update(text, AT, "monitoring", "A fix is out.")
    assert new == ("---\ntitle: T\n---\nA summary.\n\n## 2026-11-26 14:02 UTC — Monitoring\nA fix is out.\n\n"
                   "## 2026-11-26 13:00 UTC — Investigating\nLooking.\n")


@pytest.mark.parametrize("text,expected", [
    ("---\ntitle: T\n---\n", "---\ntitle: T\n---\n\n## 2026-11-26 14:02 UTC — Scheduled\nSoon.\n"),
    ("---\ntitle: T\n---\nSummary\n", "---\ntitle: T\n---\nSummary\n\n## 2026-11-26 14:02 UTC — Scheduled\nSoon.\n"),
    ("---\ntitle: T\n---\nSummary", "---\ntitle: T\n---\nSummary\n\n## 2026-11-26 14:02 UTC — Scheduled\nSoon.\n"),
    ("---\ntitle: T\n---\n\n", "---\ntitle: T\n---\n\n## 2026-11-26 14:02 UTC — Scheduled\nSoon.\n"),
])
def test_a_file_without_updates_gets_its_first_at_the_end(text, expected):
    assert insert_update(text, AT, "scheduled", "Soon.") == expected


def test_headings_in_code_fences_and_front_matter_are_not_updates():
    text = "---\ntitle: T\n# ## not a heading\n---\n```\n## 2026-01-01 00:00 UTC — Resolved\n```\n\n## 2026-11-26 13:00 UTC — Identified\nX\n"
    assert text[first_heading_offset(text):].startswith("## 2026-11-26 13:00 UTC — Identified")


def test_crlf_files_stay_crlf_and_keep_their_bom():
    text = "\ufeff---\r\ntitle: T\r\n---\r\n\r\n## 2026-11-26 13:00 UTC — Investigating\r\nLooking.\r\n"
    new = insert_update(text, AT, "identified", "Found it.\nRolling back.")
    assert new == text.replace("## 2026-11-26 13:00", "## 2026-11-26 14:02 UTC — Identified\r\nFound it.\r\nRolling back.\r\n\r\n## 2026-11-26 13:00", 1)


def test_strip_comments():
    assert strip_comments("\nFixed.\n# comment\n  # indented comment\nMore.\n\n") == "Fixed.\nMore."


# --- the commands --------------------------------------------------------------------------


def test_update_round_trip_only_adds_the_new_lines(site):
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    before = path.read_bytes()
    result = run("update", INCIDENT, "monitoring", "Still draining the queue.\n\nNext update by 12:30 UTC.",
                 "--at", "2026-11-26 11:30 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}\n"  # the path alone on stdout, for scripts
    assert result.stderr == f"posted Monitoring at 2026-11-26 11:30 UTC (12:30 CET in Europe/Berlin) to {path}\n"
    after = path.read_bytes()
    # Byte for byte: the old file with one block inserted above its first update, and nothing else.
    block = "## 2026-11-26 11:30 UTC — Monitoring\nStill draining the queue.\n\nNext update by 12:30 UTC.\n\n".encode()
    at = before.index(b"## 2026-11-26 10:15 UTC")
    assert after == before[:at] + block + before[at:]
    assert "".join(added_lines(before.decode(), after.decode())).count("\n") == 5
    content, problems = load_at(site, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert problems.errors == [] and problems.warnings == []
    latest = content.incident(INCIDENT).updates[0]
    assert (latest.status, latest.at, latest.body) == ("monitoring", datetime(2026, 11, 26, 11, 30, tzinfo=UTC),
                                                       "Still draining the queue.\n\nNext update by 12:30 UTC.")


def test_resolve_and_at_in_the_site_zone(site):
    # The demo's zone is Europe/Berlin: 12:45 local is 11:45 UTC in November.
    result = run("resolve", "delayed-email-reminders", "All reminders delivered.", "--at", "2026-11-26 12:45",
                 "--site", str(site))
    assert result.exit_code == 0, result.output
    content, problems = load_at(site, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert not problems.errors
    incident = content.incident(INCIDENT)
    assert incident.updates[0].status == "resolved"
    assert incident.updates[0].at == datetime(2026, 11, 26, 11, 45, tzinfo=UTC)


def test_the_clock_stamps_the_update_when_at_is_not_given(site):
    result = run("update", INCIDENT, "update", "Half the backlog is delivered.", "--site", str(site),
                 env={"SOURCE_DATE_EPOCH": "1795688700", "EDITOR": ""})  # 2026-11-26 10:25 UTC
    assert result.exit_code == 0, result.output
    text = (site / "content" / "incidents" / f"{INCIDENT}.md").read_text()
    assert "\n## 2026-11-26 10:25 UTC — Update\nHalf the backlog is delivered.\n\n## 2026-11-26 10:15 UTC — Monitoring\n" in text


def test_maintenance_statuses(site):
    ok = run("update", MAINTENANCE, "In Progress", "Starting now.", "--at", "2026-12-02 05:00 UTC", "--site", str(site))
    assert ok.exit_code == 0, ok.output
    bad = run("update", MAINTENANCE, "monitoring", "x", "--site", str(site))
    assert bad.exit_code == 1
    assert '"monitoring" is not a status for a maintenance' in bad.output and "in progress" in bad.output
    done = run("resolve", MAINTENANCE, "Done.", "--at", "2026-12-02 05:40 UTC", "--site", str(site))
    assert done.exit_code == 0, done.output
    text = (site / "content" / "incidents" / f"{MAINTENANCE}.md").read_text()
    assert "## 2026-12-02 05:40 UTC — Completed\nDone.\n\n## 2026-12-02 05:00 UTC — In progress\nStarting now.\n\n## 2026-11-23 10:00" in text


@pytest.mark.parametrize("args,message", [
    (["update", INCIDENT, "fixed", "x"], '"fixed" is not a status for an incident'),
    (["update", INCIDENT, "monitoring", "## Impact\nnone"], "cannot read update heading"),
    (["update", INCIDENT, "monitoring", "   "], "the message is empty"),
    (["update", INCIDENT, "monitoring", "x", "--at", "yesterday"], "cannot read timestamp"),
    (["update", "2026-11-26-delayed-email-reminder", "monitoring", "x"], 'did you mean "2026-11-26-delayed-email-reminders"'),
])
def test_refusals_leave_the_file_untouched(site, args, message):
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    before = path.read_bytes()
    result = run(*args, "--site", str(site))
    assert result.exit_code == 1
    assert message in result.output
    assert path.read_bytes() == before


def test_a_file_with_errors_is_not_touched(site):
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    path.write_text(path.read_text().replace("email-notifications:", "emails:"))
    before = path.read_bytes()
    result = run("resolve", INCIDENT, "Fixed.", "--site", str(site))
    assert result.exit_code == 1 and 'unknown component "emails"' in result.output
    assert path.read_bytes() == before


def _fake_editor(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-editor"
    script.write_text(f"#!/bin/sh\n# Like a person: write above the comments git-style, keep them.\n"
                      f"{{ printf '%s\\n' '{body}'; cat \"$1\"; }} > \"$1.new\" && mv \"$1.new\" \"$1\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_editor_flow_strips_comments(site, tmp_path):
    editor = _fake_editor(tmp_path, "Queue drained; reminders are on time.")
    result = run("update", INCIDENT, "monitoring", "--at", "2026-11-26 11:00 UTC", "--site", str(site),
                 env={"EDITOR": editor, "VISUAL": ""})
    assert result.exit_code == 0, result.output
    text = (site / "content" / "incidents" / f"{INCIDENT}.md").read_text()
    assert "## 2026-11-26 11:00 UTC — Monitoring\nQueue drained; reminders are on time.\n\n## 2026-11-26 10:15 UTC" in text
    assert "#" not in text.split("## 2026-11-26 11:00 UTC — Monitoring\n")[1].split("\n## ")[0]


def test_editor_template_explains_and_empty_message_aborts(site, tmp_path):
    seen = tmp_path / "seen.txt"
    script = tmp_path / "saving-editor"
    script.write_text(f'#!/bin/sh\ncp "$1" {seen}\necho "# only a comment" >> "$1"\n')
    script.chmod(0o755)
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    before = path.read_bytes()
    result = run("resolve", INCIDENT, "--site", str(site), env={"EDITOR": str(script), "VISUAL": ""})
    assert result.exit_code == 1 and "aborting: the message is empty" in result.output
    assert path.read_bytes() == before
    template = seen.read_text()
    assert '# Write the Resolved update for "Delayed email reminders" above.' in template
    assert "# It will be posted as:  ## " in template


def test_without_message_or_editor_says_how(site):
    result = run("update", INCIDENT, "monitoring", "--site", str(site), env={"EDITOR": "", "VISUAL": ""})
    assert result.exit_code == 1 and "set $EDITOR" in result.output


# --- the site root ---------------------------------------------------------------------------


def test_commands_find_the_site_from_a_subfolder(site, monkeypatch):
    monkeypatch.chdir(site / "content" / "incidents")
    new = run("new", "incident", "Slow search", "-c", "api=degraded_performance")
    assert new.exit_code == 0, new.output
    path = Path(new.stdout.strip())
    assert path.as_posix() == "../../content/incidents/2026-11-26-slow-search.md"  # relative to here
    assert (site / "content" / "incidents" / path.name).is_file() and not (site / "content" / "content").exists()
    update = run("update", "slow-search", "identified", "An index is missing.", env={"SOURCE_DATE_EPOCH": "1795695000"})
    assert update.exit_code == 0, update.output
    monkeypatch.chdir(site / "content")
    done = run("resolve", "slow-search", "Fixed.", env={"SOURCE_DATE_EPOCH": "1795695600"})
    assert done.exit_code == 0, done.output
    assert Path(done.stdout.strip()).as_posix() == "../content/incidents/2026-11-26-slow-search.md"
    content, problems = load(site)
    assert not problems.errors
    assert [u.status for u in content.incident("2026-11-26-slow-search").updates] == ["resolved", "identified", "investigating"]


@pytest.mark.parametrize("command", [
    ["new", "incident", "X", "-c", "api=major_outage"],
    ["update", INCIDENT, "monitoring", "x"],
    ["resolve", INCIDENT, "x"],
])
def test_outside_a_site_the_commands_refuse(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = run(*command)
    assert result.exit_code == 1
    assert result.output == "Error: not inside a statusgen site (no content/site.yaml here or above); use --site DIR\n"
    assert list(tmp_path.iterdir()) == []  # nothing written, no content/ made


def test_site_option_must_name_a_site(tmp_path):
    result = run("new", "incident", "X", "-c", "api=major_outage", "--site", str(tmp_path))
    assert result.exit_code == 1 and f"{tmp_path} is not a statusgen site" in result.output
    assert list(tmp_path.iterdir()) == []


def test_find_site_walks_up(tmp_path):
    write_site(tmp_path / "repo", {})
    deep = tmp_path / "repo" / "content" / "incidents"
    assert find_site(None, deep) == Path("../..")
    assert find_site(None, tmp_path / "repo") == Path(".")
    with pytest.raises(AuthoringError, match="not inside a statusgen site"):
        find_site(None, tmp_path)


# --- several updates in one minute ---------------------------------------------------------------


def test_free_stamp():
    t = AT  # 14:02:00
    assert free_stamp(t.replace(second=37), set(), exact=False) == t  # a free minute: to the minute
    assert free_stamp(t.replace(second=37), {t}, exact=False) == t.replace(second=37)  # the clock's own second
    assert free_stamp(t, {t}, exact=False) == t.replace(second=1)
    assert free_stamp(t.replace(second=5), {t, t.replace(second=30)}, exact=False) == t.replace(second=31)  # stays newest
    assert free_stamp(t, {t, t.replace(second=1)}, exact=True) == t.replace(second=2)  # --at: the next free second
    assert free_stamp(t.replace(second=7), set(), exact=True) == t.replace(second=7)  # seconds given are kept


def test_several_updates_in_one_minute_are_all_posted(site):
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    env = {"SOURCE_DATE_EPOCH": "1795694420"}  # 12:00:20
    first = run("update", INCIDENT, "identified", "A bad deploy.", "--site", str(site), env=env)
    second = run("update", INCIDENT, "update", "Rolling back.", "--site", str(site), env=env)
    third = run("update", INCIDENT, "monitoring", "Rolled back.", "--site", str(site), env={"SOURCE_DATE_EPOCH": "1795694437"})
    for result in (first, second, third):
        assert result.exit_code == 0, result.output
    assert "posted Identified at 2026-11-26 12:00 UTC" in first.stderr
    assert "posted Update at 2026-11-26 12:00:20 UTC" in second.stderr and "note:" not in second.stderr
    assert "posted Monitoring at 2026-11-26 12:00:37 UTC" in third.stderr
    text = path.read_text()
    assert text.index("## 2026-11-26 12:00:37 UTC — Monitoring") < text.index("## 2026-11-26 12:00:20 UTC — Update") \
        < text.index("## 2026-11-26 12:00 UTC — Identified") < text.index("## 2026-11-26 10:15 UTC")  # newest first
    content, problems = load_at(site, datetime(2026, 11, 26, 12, 1, tzinfo=UTC))
    assert problems.errors == [] and problems.warnings == []
    assert [u.status for u in content.incident(INCIDENT).updates[:3]] == ["monitoring", "update", "identified"]


def test_at_equal_to_an_existing_update_takes_the_next_second_and_says_so(site):
    result = run("update", INCIDENT, "update", "Dup.", "--at", "2026-11-26 10:15 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert (f"note: content/incidents/{INCIDENT}.md already has an update at 2026-11-26 10:15 UTC, "
            "so this one is stamped 2026-11-26 10:15:01 UTC") in result.stderr
    text = (site / "content" / "incidents" / f"{INCIDENT}.md").read_text()
    assert "## 2026-11-26 10:15:01 UTC — Update\nDup.\n\n## 2026-11-26 10:15 UTC — Monitoring" in text


def test_a_backdated_update_goes_in_its_place(site):
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    before = path.read_text()
    headings = [line for line in before.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## 2026-11-26 10:15 UTC — Monitoring", "## 2026-11-26 09:35 UTC — Identified"]
    result = run("update", INCIDENT, "update", "Only EU customers.", "--at", "2026-11-26 10:00 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert "".join(added_lines(before, after)) == "## 2026-11-26 10:00 UTC — Update\nOnly EU customers.\n\n"
    assert [line for line in after.splitlines() if line.startswith("## ")][:3] == [
        "## 2026-11-26 10:15 UTC — Monitoring", "## 2026-11-26 10:00 UTC — Update", "## 2026-11-26 09:35 UTC — Identified"]


def test_the_oldest_update_goes_last():
    text = "---\ntitle: T\n---\n## 2026-11-26 13:00 UTC — Identified\nB\n\n## 2026-11-26 12:00 UTC — Investigating\nA"
    new = insert_update(text, AT.replace(hour=11), "investigating", "First.", at_end=True)
    assert new == text + "\n\n## 2026-11-26 11:02 UTC — Investigating\nFirst.\n"
    middle = insert_update(text, AT.replace(hour=12, minute=30), "update", "Mid.", before_line=7)
    assert "B\n\n## 2026-11-26 12:30 UTC — Update\nMid.\n\n## 2026-11-26 12:00 UTC" in middle


# --- --at, and what a write says --------------------------------------------------------------------


def test_at_takes_a_time_of_day_in_the_site_zone(site):
    # The demo is in Europe/Berlin; at noon UTC it is 13:00 there. "12:45" is today, 12:45 CET = 11:45 UTC.
    result = run("update", INCIDENT, "monitoring", "Draining.", "--at", "12:45", "--site", str(site))
    assert result.exit_code == 0, result.output
    path = site / "content" / "incidents" / f"{INCIDENT}.md"
    assert result.stderr.splitlines() == [
        f"posted Monitoring at 2026-11-26 11:45 UTC (12:45 CET in Europe/Berlin) to {path}",
        "note: \"12:45\" names no zone, so it was read in the site's zone, Europe/Berlin: 12:45 CET, "
        "which is 2026-11-26 11:45 UTC; if you meant UTC, write --at \"12:45 UTC\"",
    ]
    utc = run("update", INCIDENT, "update", "Half done.", "--at", "11:50 UTC", "--site", str(site))
    assert utc.exit_code == 0, utc.output
    assert utc.stderr == f"posted Update at 2026-11-26 11:50 UTC (12:50 CET in Europe/Berlin) to {path}\n"
    assert "## 2026-11-26 11:50 UTC — Update\nHalf done.\n\n## 2026-11-26 11:45 UTC — Monitoring" in path.read_text()


NEW_YORK_INCIDENT = """\
---
title: API errors
components: {api: partial_outage}
---
## 2026-11-28 23:00 UTC — Investigating
Some requests fail.
"""


def new_york_update(tmp_path):
    """A New York site gets --at "2026-11-28 23:30", meant as UTC, at 23:35 UTC."""
    site = write_site(tmp_path / "ny", {"2026-11-28-api-errors": NEW_YORK_INCIDENT}, timezone="America/New_York")
    result = run("update", "api-errors", "monitoring", "Fixed, watching.", "--at", "2026-11-28 23:30",
                 "--now", "2026-11-28 23:35 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    return site, result


def test_a_new_york_site_shows_how_a_zoneless_at_was_read(tmp_path):
    site, result = new_york_update(tmp_path)
    path = site / "content" / "incidents" / "2026-11-28-api-errors.md"
    assert result.stderr.splitlines() == [
        f"posted Monitoring at 2026-11-29 04:30 UTC (2026-11-28 23:30 EST in America/New_York) to {path}",
        "note: \"2026-11-28 23:30\" names no zone, so it was read in the site's zone, America/New_York: 23:30 EST, "
        "which is 2026-11-29 04:30 UTC; if you meant UTC, write --at \"2026-11-28 23:30 UTC\"",
        "content/incidents/2026-11-28-api-errors.md:5:1: warning: update dated 2026-11-29 04:30 UTC is in the future; "
        "it will not show until then",
    ]


def test_the_guides_example_of_a_write_is_what_it_prints(tmp_path):
    """docs/workflow.md shows what a write prints: it is this run's output, word for word."""
    guide = (ROOT / "docs" / "workflow.md").read_text()
    example = guide.split("What a write prints:", 1)[1].split("```\n", 2)[1]
    site, result = new_york_update(tmp_path)
    assert result.stderr.replace(str(site) + "/", "") == example


def test_a_time_of_day_later_than_now_and_a_stamp_far_in_the_past_are_flagged(site):
    late = run("update", INCIDENT, "update", "x", "--at", "23:50", "--site", str(site))
    assert late.exit_code == 0, late.output
    assert ('note: "23:50" is a time of day, so it means today, 2026-11-26 22:50 UTC, which is later than now; '
            "for an earlier day, give the date") in late.stderr
    assert "is in the future; it will not show until then" in late.stderr
    old = run("update", INCIDENT, "update", "y", "--at", "2026-11-26 06:00 UTC", "--site", str(site))
    assert old.exit_code == 0, old.output
    assert "warning: the update is stamped 6h before now (2026-11-26 12:00 UTC): check its date and zone" in old.stderr


def test_update_and_resolve_take_now(site):
    result = run("resolve", INCIDENT, "Done.", "--now", "2026-11-26 12:30 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert "posted Resolved at 2026-11-26 12:30 UTC (13:30 CET in Europe/Berlin)" in result.stderr
    bad = run("update", INCIDENT, "update", "x", "--now", "soon", "--site", str(site))
    assert bad.exit_code == 2 and "--now" in bad.output


# --- warnings at write time ----------------------------------------------------------------------


def test_new_maintenance_prints_the_policy_warnings(site):
    # Saturday noon UTC; the window is Monday 06:00-07:00 in Berlin, 41 hours ahead.
    result = run("new", "maintenance", "Queue upgrade", "--start", "2026-11-30 06:00", "--end", "2026-11-30 07:00",
                 "-c", "api", "--now", "2026-11-28 12:00 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    path = site / "content" / "incidents" / "2026-11-30-queue-upgrade.md"
    assert result.stdout == f"{path}\n"
    rel = "content/incidents/2026-11-30-queue-upgrade.md"
    assert result.stderr.splitlines() == [
        f"posted Scheduled at 2026-11-28 12:00 UTC (13:00 CET in Europe/Berlin) to {path}",
        "window: Mon 2026-11-30 05:00–06:00 UTC (Mon 06:00–07:00 CET)",
        f'{rel}:4:1: warning: maintenance window Mon 2026-11-30 06:00–07:00 CET falls in an avoided time ("Monday", '
        "Europe/Berlin); the policy keeps maintenance clear of: Monday, Friday after 15:00",
        f"{rel}:10:1: warning: maintenance announced 41h before it starts; the policy asks for at least 48h "
        "(add emergency: true if this cannot wait)",
    ]
    check = run("check", str(site), "--now", "2026-11-28 12:00 UTC")
    assert all(line in check.output.splitlines() for line in result.stderr.splitlines()[2:])  # the same as check's


def test_update_prints_the_files_warnings(site):
    assert run("resolve", INCIDENT, "Done.", "--at", "2026-11-26 11:00 UTC", "--site", str(site)).exit_code == 0
    result = run("update", INCIDENT, "monitoring", "Oops, still watching.", "--at", "2026-11-26 11:30 UTC", "--site", str(site))
    assert result.exit_code == 0, result.output
    assert (f'content/incidents/{INCIDENT}.md:8:1: warning: "Monitoring" update after the incident was resolved '
            "at 2026-11-26 11:00 UTC") in result.stderr


# --- components --------------------------------------------------------------------------------


def test_new_incident_needs_a_status_for_each_component(site):
    before = sorted((site / "content" / "incidents").iterdir())
    result = run("new", "incident", "API errors", "-c", "api", "--site", str(site))
    assert result.exit_code == 1
    assert result.output == ("Error: -c api: say how api is affected, e.g. -c api=partial_outage "
                             "(or degraded_performance, major_outage); only a maintenance takes a bare id\n")
    assert sorted((site / "content" / "incidents").iterdir()) == before
    maintenance = run("new", "maintenance", "Upgrade", "--start", "2026-12-09 06:00", "--end", "2026-12-09 07:00",
                      "-c", "api", "--site", str(site))
    assert maintenance.exit_code == 0, maintenance.output
    assert "components:\n- api\n" in Path(maintenance.stdout.strip()).read_text()


def test_an_unknown_id_and_a_bad_status_on_one_line_are_both_reported(site):
    before = sorted((site / "content" / "incidents").iterdir())
    result = run("new", "incident", "API errors", "-c", "apii=brokn", "--site", str(site))
    assert result.exit_code == 1
    rel = "content/incidents/2026-11-26-api-errors.md"
    assert result.output.splitlines() == [
        f'Error: not written: {rel}:4:3: error: unknown component "apii" (did you mean "api"?)',
        f'{rel}:4:9: error: bad component status "brokn" for an incident: use one of degraded_performance, '
        "partial_outage, major_outage",
    ]
    assert sorted((site / "content" / "incidents").iterdir()) == before  # checked before writing


def test_new_refuses_a_site_with_broken_settings(site):
    (site / "content" / "components.yaml").write_text("- id: api\n  name: [\n")
    result = run("new", "incident", "X", "-c", "api=major_outage", "--site", str(site))
    assert result.exit_code == 1 and "fix these first (statusgen check):" in result.output
    assert not list((site / "content" / "incidents").glob("*-x.md"))
