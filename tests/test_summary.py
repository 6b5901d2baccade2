"""`check --summary`: what merging a change does to the public page."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.authoring import open_event, post_update
from generator.cli import main
from generator.content import load
from tests.scratch import load_at
from generator.problems import Problems
from generator.gfm import md
from generator.summary import diff, summarize
from tests.conftest import FIXED_NOW, ROOT

UTC = timezone.utc
INCIDENT = "2026-11-26-delayed-email-reminders"
NOW_ARGS = ["--now", "2026-11-26 12:00 UTC"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    """The demo content, committed in a fresh git repository."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "content")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def change(root: Path) -> None:
    """A pull request: resolve the open incident, announce a maintenance at short notice, delete an old incident."""
    post_update(open_event(root, INCIDENT), "resolved", "All reminders delivered.", datetime(2026, 11, 26, 11, 40, tzinfo=UTC))
    (root / "content" / "incidents" / "2026-11-30-search-upgrade.md").write_text(
        "---\ntitle: Search cluster upgrade\ntype: maintenance\ncomponents: [reports]\n"
        "start: 2026-11-27 10:00 UTC\nend: 2026-11-27 11:00 UTC\n---\n\n"
        "## 2026-11-26 11:50 UTC — Scheduled\nWe upgrade the search cluster.\n"
    )
    (root / "content" / "incidents" / "2026-11-19-asana-sync-failing.md").unlink()


def test_diff_of_two_content_states(repo):
    before, _ = load(repo)
    change(repo)
    after, _ = load(repo)
    changes = diff(before, after, FIXED_NOW)
    assert [(c.name, c.before, c.after) for c in changes.components] == [
        ("Integrations and notifications", "degraded_performance", "operational"),
        ("Email and notifications", "degraded_performance", "operational"),
    ]
    assert [(e.kind, e.state.id) for e in changes.events] == [
        ("resolved", INCIDENT), ("removed", "2026-11-19-asana-sync-failing"),
    ]
    assert [(f.incident_id, f.update.status) for f in changes.feed] == [
        ("2026-11-30-search-upgrade", "scheduled"), (INCIDENT, "resolved"),
    ]
    (announced,) = changes.maintenance
    assert announced.kind == "announced" and announced.state.id == "2026-11-30-search-upgrade"
    assert announced.notice.total_seconds() == 22 * 3600 + 10 * 60
    assert announced.notice_from_now.total_seconds() == 22 * 3600


def test_no_change_says_so():
    content, problems = load_at(ROOT, FIXED_NOW)
    assert diff(content, content, FIXED_NOW).empty
    text = summarize(content, content, FIXED_NOW, problems, "HEAD")
    assert "No visible change to the public page." in text and "✅ no problems" in text


def test_future_dated_updates_and_reschedules(repo):
    before, _ = load(repo)
    path = repo / "content" / "incidents" / "2026-12-02-message-queue-upgrade.md"
    text = path.read_text().replace("start: 2026-12-02 06:00\nend: 2026-12-02 07:00", "start: 2026-12-03 06:00\nend: 2026-12-03 07:00")
    path.write_text(text.replace("## 2026-11-23 10:00 — Scheduled", "## 2026-11-26 18:00 UTC — Update\nMoved by a day.\n\n## 2026-11-23 10:00 — Scheduled"))
    after, _ = load(repo)
    changes = diff(before, after, FIXED_NOW)
    assert [(m.kind, m.old_window[0].isoformat()) for m in changes.maintenance] == [
        ("rescheduled", "2026-12-02T05:00:00+00:00"),
    ]
    assert changes.feed == [] and [(e.incident_id, e.update.status) for e in changes.later] == [
        ("2026-12-02-message-queue-upgrade", "update"),
    ]
    markdown = summarize(before, after, FIXED_NOW, Problems(), "origin/main")
    assert "- Rescheduled: **Message queue cluster upgrade**" in markdown
    assert "moved from Wed 2026-12-02 05:00–06:00 UTC (Wed 06:00–07:00 CET)" in markdown
    assert "- Later, at Thu 2026-11-26 18:00 UTC: [Update] Message queue cluster upgrade" in markdown


def test_summary_command_against_the_base_branch(repo):
    change(repo)
    out = repo / "summary.md"
    out.write_text("Earlier step output.\n")
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "main"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("Earlier step output.\n## What this change does to the status page\n")  # appended
    assert "Compared with `main`, both as of Thu 2026-11-26 12:00 UTC." in text
    assert "| Email and notifications | Degraded performance | **Operational** |" in text
    assert "- ✅ Resolved: **Delayed email reminders** (`2026-11-26-delayed-email-reminders`) (Monitoring → Resolved)" in text
    assert "- ⚠️ Removed from the page: **Asana sync failing** (`2026-11-19-asana-sync-failing`)" in text
    assert "### Feed entries that will be published (2)" in text
    assert "- [Resolved] Delayed email reminders, Thu 2026-11-26 11:40 UTC" in text
    assert "- Announced: **Search cluster upgrade** (`2026-11-30-search-upgrade`), Fri 2026-11-27 10:00–11:00 UTC (Fri 11:00–12:00 CET)" in text
    assert "  - ⚠️ Notice: 22h 10m from its announcement, 22h from now; the policy asks for at least 48h." in text
    assert "**Check: ⚠️ 1 warning**" in text and "policy asks for at least 48h" in text
    # The policy warning comes first, where a reviewer cannot miss it.
    assert text.split("\n", 4)[1:4] == ["## What this change does to the status page", "",
                                        "### ⚠️ Needs a reviewer's decision (1)"]
    assert ("- `content/incidents/2026-11-30-search-upgrade.md:9` maintenance announced 22h 10m before it starts; "
            "the policy asks for at least 48h (add emergency: true if this cannot wait)") in text
    assert text.index("Needs a reviewer's decision") < text.index("Compared with")


def test_default_base_is_the_pull_requests_base_branch(repo):
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the change")  # HEAD now has the change; only origin/main is the base
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out)], env={"GITHUB_BASE_REF": "main"})
    assert result.exit_code == 0, result.output
    assert "Compared with `origin/main`" in out.read_text() and "Resolved: **Delayed email reminders**" in out.read_text()
    out.unlink()
    local = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out)], env={"GITHUB_BASE_REF": ""})
    # Outside a pull request, on main itself: the merge base of HEAD and main is HEAD, which has the change.
    assert local.exit_code == 0 and "No visible change" in out.read_text()
    assert f"summary: compared with {git(repo, 'rev-parse', 'HEAD')[:12]}, the merge base of HEAD and " in local.stderr


def test_unreadable_base_treats_everything_as_new(repo):
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "no-such-branch"])
    assert result.exit_code == 0
    text = out.read_text()
    assert "> **Note:** the content at `no-such-branch` could not be read" in text
    assert "Opened: **Delayed email reminders**" in text


def test_summary_outside_git(tmp_path):
    shutil.copytree(ROOT / "content", tmp_path / "content")
    out = tmp_path / "summary.md"
    result = CliRunner().invoke(main, ["check", str(tmp_path), *NOW_ARGS, "--summary", str(out)], env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.exit_code == 0
    assert "could not be read" in out.read_text()


def test_errors_are_reported_and_nothing_is_diffed(repo):
    (repo / "content" / "incidents" / "broken.md").write_text("---\ntitle: Broken\ncomponents: {apii: major_outage}\n---\n")
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "main"])
    assert result.exit_code == 1
    text = out.read_text()
    assert "**Check: ❌ 1 error" in text
    assert '`content/incidents/broken.md:3` error: unknown component "apii" (did you mean "api"?)' in text
    assert "###" not in text


def test_markdown_escaping():
    assert md("a|b *c* <script>") == "a\\|b \\*c\\* &lt;script&gt;"


def test_default_base_on_a_branch_is_the_merge_base_with_main(repo):
    """A branch holding commits is compared with where it left main, not with its own HEAD."""
    fork = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "switch", "-q", "-c", "resolve-reminders")
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the change")
    (repo / "notes.txt").write_text("a second commit on the branch\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")
    git(repo, "switch", "-q", "main")
    (repo / "unrelated.txt").write_text("main moves on\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "main moves on")
    git(repo, "switch", "-q", "resolve-reminders")
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out)], env={"GITHUB_BASE_REF": ""})
    assert result.exit_code == 0, result.output
    assert f"summary: compared with {fork[:12]}, the merge base of HEAD and main" in result.stderr
    text = out.read_text()
    assert f"Compared with `{fork[:12]}`, both as of Thu 2026-11-26 12:00 UTC." in text
    assert "That is the merge base of `HEAD` and `main`: what this branch changes since it left it." in text
    assert "- ✅ Resolved: **Delayed email reminders**" in text and "No visible change" not in text
    # --base and $GITHUB_BASE_REF still decide when given.
    out.unlink()
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "HEAD"])
    assert "summary: compared with HEAD\n" in result.stderr and "No visible change" in out.read_text()


def test_default_base_prefers_origin_head(repo):
    git(repo, "update-ref", "refs/remotes/origin/trunk", "HEAD")
    git(repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    git(repo, "branch", "-m", "main", "work")  # no local main or master: only origin/HEAD names the default branch
    change(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the change")
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out)], env={"GITHUB_BASE_REF": ""})
    assert result.exit_code == 0, result.output
    assert "the merge base of HEAD and origin/trunk" in result.stderr
    assert "Resolved: **Delayed email reminders**" in out.read_text()


def test_without_a_default_branch_the_base_is_head_and_says_so(repo):
    git(repo, "branch", "-m", "main", "work")
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out)], env={"GITHUB_BASE_REF": ""})
    assert result.exit_code == 0
    assert "summary: compared with HEAD (no default branch found: origin/HEAD, main or master)" in result.stderr
    assert "No default branch (origin/HEAD, main or master) was found, so this compares with `HEAD`." in out.read_text()


def test_stale_incidents_need_a_reviewers_decision(repo):
    """Two days later the demo's open incident has had no update: every pull request says so first."""
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), "--now", "2026-11-28 12:00 UTC", "--summary", str(out),
                                       "--base", "main"])
    assert result.exit_code == 0
    text = out.read_text()
    assert "### ⚠️ Needs a reviewer's decision (1)" in text
    assert (f"- `content/incidents/{INCIDENT}.md:8` open with no update for 49h 45m: its last update (Monitoring, "
            "2026-11-26 10:15 UTC) still shows on the page") in text


def test_no_decision_section_without_policy_warnings():
    content, problems = load_at(ROOT, FIXED_NOW)
    assert "Needs a reviewer's decision" not in summarize(content, content, FIXED_NOW, problems, "HEAD")


NOTIFY = """\
notify:
  - name: ops-slack
    type: slack
    url_env: SLACK_WEBHOOK_URL
  - name: api-only
    type: discord
    url_env: DISCORD_WEBHOOK_URL
    components: [api]
  - name: toots
    type: mastodon
    instance: mastodon.social
    token_env: MASTODON_TOKEN
"""


def test_the_summary_shows_the_exact_messages_each_channel_will_be_sent(repo):
    with open(repo / "content" / "site.yaml", "a") as handle:
        handle.write(NOTIFY)
    git(repo, "commit", "-qam", "channels")
    change(repo)
    with open(repo / "content" / "site.yaml", "a") as handle:
        handle.write("  - name: email\n    type: sns\n    topic_arn: arn:aws:sns:eu-central-1:123456789012:status\n")
    out = repo / "summary.md"
    result = CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "main"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    section = text[text.index("### Notifications this change sends (4)"):]
    assert "#### ops-slack (slack): 2 messages" in section and "#### toots (mastodon): 2 messages" in section
    assert ("```text\n[Resolved] Delayed email reminders\nHourglass Status\n"
            "Resolved · Thu 2026-11-26 11:40 UTC (12:40 CET)\n"
            "Affected: Integrations and notifications - Email and notifications: Degraded performance\n\n"
            "All reminders delivered.\n\n"
            "https://status.hourglass.example/incidents/2026-11-26-delayed-email-reminders/\n```") in section
    assert "Delivery id `tag:status.hourglass.example,2026-11-26:/incidents/2026-11-26-delayed-email-reminders/update-20261126t114000z`" in section
    assert "[Scheduled] Search cluster upgrade" in section
    assert "- **email** (sns): a new channel. Its first deploy records what the page shows then and sends nothing" in section
    assert "Nothing for: **api-only** (discord)." in section  # the changes touch no API component


def test_no_notification_section_without_channels(repo):
    change(repo)
    out = repo / "summary.md"
    assert CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "main"]).exit_code == 0
    assert "Notifications" not in out.read_text()


def test_a_message_cannot_break_out_of_its_code_block(repo):
    with open(repo / "content" / "site.yaml", "a") as handle:
        handle.write(NOTIFY)
    git(repo, "commit", "-qam", "channels")
    # Plain text can hold what Markdown escapes: backticks, a heading mark, angle brackets.
    post_update(open_event(repo, INCIDENT), "update", "Before\n\n\\`\\`\\`\\`\n\n\\# Not a heading &lt;b&gt;",
                datetime(2026, 11, 26, 11, 40, tzinfo=UTC))
    out = repo / "summary.md"
    assert CliRunner().invoke(main, ["check", str(repo), *NOW_ARGS, "--summary", str(out), "--base", "main"]).exit_code == 0
    section = out.read_text().split("#### ops-slack (slack): 1 message", 1)[1]
    opening = next(line for line in section.splitlines() if line.startswith("```"))
    assert opening == "`````text"  # longer than the run of four backticks inside
    body = section.split(opening + "\n", 1)[1].split("\n`````\n", 1)[0]
    assert "Before\n\n````\n\n# Not a heading <b>" in body  # shown as text, never rendered
