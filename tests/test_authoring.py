"""`statusgen update` and `resolve`: a stamped update on top, every other byte kept, checked before writing."""

from __future__ import annotations

import difflib
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.authoring import first_update_offset, insert_update, strip_comments
from generator.cli import main
from generator.content import load
from tests.conftest import ROOT

UTC = timezone.utc
AT = datetime(2026, 11, 26, 14, 2, tzinfo=UTC)
INCIDENT = "2026-11-26-delayed-email-reminders"
MAINTENANCE = "2026-12-02-message-queue-upgrade"


@pytest.fixture
def site(tmp_path) -> Path:
    """A copy of the demo's content."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    return tmp_path


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env or {"EDITOR": "", "VISUAL": ""})


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
    assert text[first_update_offset(text):].startswith("## 2026-11-26 13:00 UTC — Identified")


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
    assert result.output.strip() == str(path)
    after = path.read_bytes()
    # Byte for byte: the old file with one block inserted above its first update, and nothing else.
    block = "## 2026-11-26 11:30 UTC — Monitoring\nStill draining the queue.\n\nNext update by 12:30 UTC.\n\n".encode()
    at = before.index(b"## 2026-11-26 10:15 UTC")
    assert after == before[:at] + block + before[at:]
    assert "".join(added_lines(before.decode(), after.decode())).count("\n") == 5
    content, problems = load(site, datetime(2026, 11, 26, 12, tzinfo=UTC))
    assert problems.errors == [] and problems.warnings == []
    latest = content.incident(INCIDENT).updates[0]
    assert (latest.status, latest.at, latest.body) == ("monitoring", datetime(2026, 11, 26, 11, 30, tzinfo=UTC),
                                                       "Still draining the queue.\n\nNext update by 12:30 UTC.")


def test_resolve_and_at_in_the_site_zone(site):
    # The demo's zone is Europe/Berlin: 12:45 local is 11:45 UTC in November.
    result = run("resolve", "delayed-email-reminders", "All reminders delivered.", "--at", "2026-11-26 12:45",
                 "--site", str(site))
    assert result.exit_code == 0, result.output
    content, problems = load(site, datetime(2026, 11, 26, 12, tzinfo=UTC))
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
    (["update", INCIDENT, "monitoring", "Dup.", "--at", "2026-11-26 10:15 UTC"], "two updates have the same time"),
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
