"""The command line: help everywhere, the clock read once, and `new` round-trips through check."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from click.testing import CliRunner

from generator import __version__
from generator.cli import main, read_clock
from generator.content import load
from tests.scratch import write_site

FIXTURES = Path(__file__).parent / "fixtures"


def all_commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_every_command_has_help_with_an_example():
    runner = CliRunner()
    commands = list(all_commands(main))
    assert {c[0][0] for c in commands} >= {"check", "new", "build"}
    for path, _command in [((), main), *commands]:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, f"statusgen {' '.join(path)} --help has no example"
        assert "statusgen" in result.output.split("Example", 1)[1], path


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_clock_precedence(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764115200")  # 2025-11-26 00:00 UTC
    assert read_clock("2026-11-26 12:00 UTC").isoformat() == "2026-11-26T12:00:00+00:00"
    assert read_clock(None).isoformat() == "2025-11-26T00:00:00+00:00"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert read_clock(None).tzinfo is not None


def test_bad_now_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--now", "yesterday"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot read timestamp" in result.output


def test_check_on_a_folder_that_is_not_a_site(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "content/site.yaml:1:1: error: no site settings" in result.output


def test_demo_content_passes_check_strictly(demo_root):
    result = CliRunner().invoke(main, ["check", str(demo_root), "--strict", "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.output
    content, _ = load(demo_root)
    assert len(content.incidents) >= 30
    assert sum(i.is_maintenance for i in content.incidents) >= 5


def test_new_incident_round_trips(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    result = CliRunner().invoke(main, [
        "new", "incident", "Elevated API errors", "--site", str(site),
        "-c", "api=partial_outage", "-c", "apps=degraded_performance",
        "-m", "Some requests fail with 502.", "--now", "2026-11-26 14:02 UTC",
    ])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())  # stdout: the path alone; what was stamped is on stderr
    assert path.name == "2026-11-26-elevated-api-errors.md"
    text = path.read_text()
    assert "## 2026-11-26 14:02 UTC — Investigating\n\nSome requests fail with 502.\n" in text
    check = CliRunner().invoke(main, ["check", str(site), "--strict", "--now", "2026-11-26 14:05 UTC"])
    assert check.exit_code == 0, check.output
    incident = load(site)[0].incident("2026-11-26-elevated-api-errors")
    assert incident.components == {"android": "degraded_performance", "api": "partial_outage", "ios": "degraded_performance"}
    # The same title again gets a new file, never overwrites.
    again = CliRunner().invoke(main, ["new", "incident", "Elevated API errors", "--site", str(site), "--now", "2026-11-26 15:00 UTC"])
    assert Path(again.stdout.strip()).name == "2026-11-26-elevated-api-errors-2.md"


def test_new_maintenance_in_site_zone(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    result = CliRunner().invoke(main, [
        "new", "maintenance", "Database upgrade", "--site", str(site),
        "--start", "2026-12-02 06:00", "--end", "2026-12-02 07:00", "-c", "api",
        "--now", "2026-11-26 10:00 UTC",
    ])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.name == "2026-12-02-database-upgrade.md"
    incident = load(site)[0].incident(path.stem)
    assert incident.start.isoformat() == "2026-12-02T05:00:00+00:00"  # 06:00 Berlin
    assert incident.updates[0].status == "scheduled"
    assert CliRunner().invoke(main, ["check", str(site), "--now", "2026-11-26 10:00 UTC"]).exit_code == 0


def test_new_with_unknown_component_leaves_no_file(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(FIXTURES / "base", site)
    before = sorted((site / "content" / "incidents").iterdir())
    result = CliRunner().invoke(main, ["new", "incident", "Oops", "--site", str(site), "-c", "apii=major_outage"])
    assert result.exit_code == 1
    assert 'unknown component "apii" (did you mean "api"?)' in result.output
    assert sorted((site / "content" / "incidents").iterdir()) == before


def test_build_refuses_broken_content(tmp_path):
    site = write_site(tmp_path / "site", {"bad": "---\ntitle: x\nimpact: huge\n---\n## 2026-11-20 10:00 UTC — Investigating\nx\n"})
    result = CliRunner().invoke(main, ["build", str(site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 1
    assert 'content/incidents/bad.md:3:9: error: bad impact "huge"' in result.output
    assert not (site / "output").exists()
