"""One small fixture file per bad-input case; each must give its exact file:line message.

A case is a file under tests/fixtures/bad/: `site-*.yaml` replaces the base
site's site.yaml, `components-*.yaml` its components.yaml, and anything else
is dropped into content/incidents/ beside one good incident.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2026-11-26 12:00 UTC"
I = "content/incidents/"

CASES = {
    "yaml-syntax.md": f"{I}yaml-syntax.md:3:33: error: YAML syntax error: while parsing a flow mapping, expected ',' or '}}', but got '<stream end>'",
    "missing-title.md": f'{I}missing-title.md:2:1: error: missing title: add "title: What customers see" to the front matter',
    "unknown-key.md": f'{I}unknown-key.md:3:1: error: unknown key "compnents" (did you mean "components"?)',
    "unknown-component.md": f'{I}unknown-component.md:4:3: error: unknown component "apii" (did you mean "api"?)',
    "unknown-group.md": f'{I}unknown-group.md:5:3: error: unknown component "app" (did you mean "apps"?)',
    "bad-component-status.md": f'{I}bad-component-status.md:4:8: error: bad component status "partial-outage" for an incident (did you mean "partial_outage"?): use one of degraded_performance, partial_outage, major_outage',
    "bad-impact.md": f'{I}bad-impact.md:3:9: error: bad impact "severe": use one of none, minor, major, critical',
    "bad-type.md": f'{I}bad-type.md:3:7: error: type must be incident or maintenance, not "outage"',
    "bad-heading-timestamp.md": f'{I}bad-heading-timestamp.md:9:4: error: cannot read timestamp "yesterday at ten": write it like 2026-11-26 14:02 UTC, 2026-11-26 09:02 -05:00 or 2026-11-26 09:02 America/New_York',
    "dst-ambiguous.md": f"{I}dst-ambiguous.md:9:4: error: 2026-10-25 02:30 is ambiguous in Europe/Berlin: the clocks go back that night, so it could be 02:30 CEST (+0200) = 2026-10-25 00:30 UTC or 02:30 CET (+0100) = 2026-10-25 01:30 UTC; write an offset or UTC",
    "dst-nonexistent.md": f"{I}dst-nonexistent.md:9:4: error: 2026-03-29 02:30 does not exist in Europe/Berlin: the clocks go forward that night; did you mean 01:30 CET (+0100) or 03:30 CEST (+0200)?",
    "unknown-zone-in-heading.md": f'{I}unknown-zone-in-heading.md:6:4: error: unknown time zone "Mars/Olympus"',
    "maintenance-no-end.md": f'{I}maintenance-no-end.md:2:1: error: a maintenance needs "end:" (when the window closes)',
    "maintenance-end-before-start.md": f"{I}maintenance-end-before-start.md:5:6: error: end must be after start",
    "bad-start-timestamp.md": f'{I}bad-start-timestamp.md:4:8: error: start: cannot read timestamp "next tuesday": write it like 2026-11-26 14:02 UTC, 2026-11-26 09:02 -05:00 or 2026-11-26 09:02 America/New_York',
    "start-on-incident.md": f'{I}start-on-incident.md:3:1: error: "start" is only for maintenance: add "type: maintenance" or remove it',
    "heading-without-status.md": f'{I}heading-without-status.md:6:1: error: cannot read update heading "## 2026-11-20 10:30 UTC Resolved": write "## 2026-11-26 14:02 UTC — Investigating"',
    "duplicate-update-times.md": f"{I}duplicate-update-times.md:9:4: error: two updates have the same time 2026-11-20 11:00 CET (the other is on line 6)",
    "unknown-status.md": f'{I}unknown-status.md:6:27: error: unknown incident status "Fixed"; use one of investigating, identified, monitoring, update, resolved, postmortem',
    "maintenance-status-in-incident.md": f'{I}maintenance-status-in-incident.md:6:27: error: "Scheduled" is not a status for an incident: use one of investigating, identified, monitoring, update, resolved, postmortem',
    "incident-components-list.md": f"{I}incident-components-list.md:3:13: error: an incident's components must map each id to its status, e.g. api: partial_outage",
    "update-after-resolution.md": f'{I}update-after-resolution.md:6:1: warning: "Monitoring" update after the incident was resolved at 2026-11-20 10:30 UTC',
    "no-updates.md": f'{I}no-updates.md:6:1: warning: an incident without updates: add "## <time> — Investigating" with what customers see',
    "future-update.md": f"{I}future-update.md:6:1: warning: update dated 2026-12-20 10:00 UTC is in the future; it will not show until then",
    "Bad_Name.md": f'{I}Bad_Name.md:1:1: error: file name "Bad_Name.md" is not a valid id: use lowercase letters, digits and hyphens, like 2026-11-26-api-errors.md',
    "not-utf8.md": f"{I}not-utf8.md:2:11: error: file is not UTF-8 (byte 0xe9); save it as UTF-8",
    "empty.md": f"{I}empty.md:1:1: error: file is empty",
    "no-front-matter.md": f'{I}no-front-matter.md:1:1: error: missing front matter: the file must start with a "---" line, then title: …, then "---"',
    "unclosed-front-matter.md": f'{I}unclosed-front-matter.md:1:1: error: front matter is not closed: add a "---" line after it',
    "site-relative-url.yaml": 'content/site.yaml:2:6: error: "url" must be an absolute http(s) URL such as https://status.example.com/ or https://example.com/status/, with no empty path segment, query, quotes, spaces or angle brackets; got "/status/"',
    "site-missing-url.yaml": 'content/site.yaml:1:1: error: missing "url" in site settings',
    "site-unknown-timezone.yaml": 'content/site.yaml:3:11: error: unknown time zone "Europe/Berln" (did you mean "Europe/Berlin"?)',
    "site-unknown-key.yaml": 'content/site.yaml:3:1: error: unknown key "uptime_day" in site settings (did you mean "uptime_days"?)',
    "site-bad-policy.yaml": 'content/site.yaml:4:23: error: maintenance_notice: expected a duration such as 48h, 2d or 30m, got "two days"',
    "components-duplicate-id.yaml": 'content/components.yaml:5:7: error: duplicate id "api" (first used on line 1)',
    "components-bad-slug.yaml": 'content/components.yaml:1:7: error: id "API_v2" must be lowercase letters, digits and hyphens, starting with a letter or digit',
    "components-nested-group.yaml": 'content/components.yaml:4:7: error: groups nest one level only: "apps" cannot contain the group "phones"',
    "components-missing-name.yaml": 'content/components.yaml:1:3: error: component "api" needs a name',
}


def make_site(tmp_path: Path, case: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    source = FIXTURES / "bad" / case
    if case.startswith("site-"):
        shutil.copy(source, site / "content" / "site.yaml")
    elif case.startswith("components-"):
        shutil.copy(source, site / "content" / "components.yaml")
        for f in (site / "content" / "incidents").iterdir():
            f.unlink()
    else:
        shutil.copy(source, site / "content" / "incidents" / case)
    return site


def test_every_fixture_has_a_case():
    assert sorted(p.name for p in (FIXTURES / "bad").iterdir()) == sorted(CASES)
    assert len(CASES) >= 25


def test_base_site_is_clean(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    result = CliRunner().invoke(main, ["check", str(site), "--strict", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_fixture(tmp_path, case):
    site = make_site(tmp_path, case)
    # --strict: warnings fail too, so every case exits 1.
    result = CliRunner().invoke(main, ["check", str(site), "--strict", "--now", NOW])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert CASES[case] in lines, "\n".join(lines)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", ["update-after-resolution.md", "no-updates.md", "future-update.md"])
def test_warnings_pass_without_strict(tmp_path, case):
    site = make_site(tmp_path, case)
    result = CliRunner().invoke(main, ["check", str(site), "--now", NOW])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output


def test_all_problems_reported_at_once(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    for case in ("unknown-component.md", "bad-impact.md", "dst-ambiguous.md"):
        shutil.copy(FIXTURES / "bad" / case, site / "content" / "incidents" / case)
    with open(site / "content" / "site.yaml", "a") as f:
        f.write("uptime_day: 30\n")
    result = CliRunner().invoke(main, ["check", str(site), "--now", NOW])
    assert result.exit_code == 1
    for case in ("unknown-component.md", "bad-impact.md", "dst-ambiguous.md"):
        assert CASES[case] in result.output.splitlines()
    assert 'content/site.yaml:4:1: error: unknown key "uptime_day" in site settings (did you mean "uptime_days"?)' in result.output
    assert "4 errors, 0 warnings" in result.output


def test_github_and_json_formats(tmp_path):
    import json

    site = make_site(tmp_path, "unknown-component.md")
    result = CliRunner().invoke(main, ["check", str(site), "--format", "github", "--now", NOW])
    assert result.exit_code == 1
    assert '::error file=content/incidents/unknown-component.md,line=4,col=3::unknown component "apii" (did you mean "api"?)' in result.output
    result = CliRunner().invoke(main, ["check", str(site), "--format", "json", "--now", NOW])
    data = json.loads(result.output)
    assert data == [{
        "path": "content/incidents/unknown-component.md", "line": 4, "col": 3, "severity": "error",
        "message": 'unknown component "apii" (did you mean "api"?)',
    }]


def test_parsing_on_every_core_finds_the_same_problems(tmp_path, monkeypatch):
    """Long histories are parsed by forked workers; what they report must not change."""
    from generator import workers
    from generator.content import load

    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    for case in CASES:
        if not case.startswith(("site-", "components-")):
            shutil.copy(FIXTURES / "bad" / case, site / "content" / "incidents" / case)
    alone, alone_problems = load(site)
    monkeypatch.setattr(workers, "count", lambda: 2)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    shared, shared_problems = load(site)
    assert len(alone_problems.items) >= 25
    assert shared_problems.items == alone_problems.items  # the same problems, in the same order
    assert shared == alone


def test_headings_found_in_one_pass_match_the_line_by_line_scan():
    """Bodies without code fences are searched in one pass; a fence switches to the careful scan."""
    from generator.headings import heading_lines

    fenced_tail = "\n\n```\n## 2026-01-01 00:00 UTC — Resolved\n```\n"
    bodies = [path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
              for path in sorted((Path(__file__).parent.parent / "content" / "incidents").glob("*.md"))]
    assert len(bodies) > 30
    for body in bodies:
        assert "```" not in body
        fast = [(line, start, end, m.group()) for line, start, end, m in heading_lines(body)]
        careful = [(line, start, end, m.group()) for line, start, end, m in heading_lines(body + fenced_tail)]
        assert fast and careful == fast  # and the heading inside the fence is not one
