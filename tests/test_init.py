"""`statusgen init`: a new status repository that passes check, builds and previews."""

from __future__ import annotations

import re
import shlex
import urllib.request
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.scaffold import REPO_INSTALL, SCAFFOLD_INSTALL, WORKFLOWS, workflows
from tests.conftest import ROOT, serve_folder

NOW = "2026-11-26 12:00 UTC"
EPOCH = int(datetime(2026, 11, 26, 12, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def site(tmp_path):
    target = tmp_path / "status"
    result = CliRunner().invoke(main, ["init", str(target), "--now", NOW])
    assert result.exit_code == 0, result.output
    return target


def test_init_writes_a_complete_repo(site):
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/deploy.yml", ".github/workflows/pr.yml", ".github/workflows/schedule.yml", ".gitignore",
        "STAFF.md", "content/components.yaml", "content/incidents/2026-11-26-example-slow-page-loads.md",
        "content/site.yaml", "requirements.txt",
    ]
    assert "output/" in (site / ".gitignore").read_text().splitlines()
    assert (site / "requirements.txt").read_text().splitlines()[-1] == "statusgen==0.1.0"


def test_init_passes_strict_check_builds_and_previews(site, tmp_path):
    runner = CliRunner()
    check = runner.invoke(main, ["check", str(site), "--strict", "--now", NOW])
    assert check.exit_code == 0, check.output
    assert "0 errors, 0 warnings" in check.output
    out = tmp_path / "out"
    build = runner.invoke(main, ["build", str(site), "--now", NOW, "--out", str(out)])
    assert build.exit_code == 0, build.output
    for page in ("index.html", "offline.html", "incidents/2026-11-26-example-slow-page-loads/index.html"):
        assert (out / page).is_file(), page
    url, server = serve_folder(out)
    try:
        with urllib.request.urlopen(url) as response:
            assert response.status == 200 and b"Example Status" in response.read()
    finally:
        server.shutdown()


def test_the_example_incident_is_resolved_before_now(site):
    from generator.content import load
    from generator.status import snapshot
    from generator.timestamps import parse_now

    content, _ = load(site)
    snap = snapshot(content, parse_now(NOW))
    (state,) = snap.incidents
    assert state.status == "resolved" and not snap.active_incidents


@pytest.mark.parametrize("existing", ["file", "folder"])
def test_init_refuses_a_non_empty_folder(tmp_path, existing):
    target = tmp_path / "status"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    if existing == "file":
        target = target / "keep.txt"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 1
    assert "not empty" in result.output or "is not a folder" in result.output
    assert (tmp_path / "status" / "keep.txt").read_text() == "mine"


def test_init_into_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert CliRunner().invoke(main, ["init", str(tmp_path / "empty"), "--now", NOW]).exit_code == 0


def test_repo_workflows_are_the_scaffold_workflows():
    """No drift: `.github/workflows/` is the scaffold with this repo's install step
    (regenerate with `python -m generator.scaffold`)."""
    for name, text in workflows(REPO_INSTALL).items():
        assert (ROOT / ".github" / "workflows" / name).read_text() == text, name
    for name, text in workflows(SCAFFOLD_INSTALL).items():
        assert f"run: {SCAFFOLD_INSTALL}\n" in text and "@INSTALL@" not in text, name
    assert sorted(WORKFLOWS) == sorted(p.name for p in (ROOT / ".github" / "workflows").glob("*.yml"))


def test_staff_guide_commands_work(site, monkeypatch):
    """Every new/update/resolve/check command STAFF.md shows runs as written."""
    monkeypatch.chdir(site)
    guide = (site / "STAFF.md").read_text()
    commands = [shlex.split(line, comments=True) for line in re.findall(r"^statusgen .*$", guide, re.M)]
    runnable = [c for c in commands if c[1] in ("new", "update", "resolve", "check")]
    assert [c[1] for c in runnable] == ["new", "update", "update", "resolve", "new", "check"]
    for i, command in enumerate(runnable):
        env = {"SOURCE_DATE_EPOCH": str(EPOCH + 600 * i), "EDITOR": "", "VISUAL": ""}
        result = CliRunner().invoke(main, command[1:], env=env)
        assert result.exit_code == 0, (command, result.output)
    assert "0 errors, 0 warnings" in result.output  # the last one, check: the guide's maintenance keeps the policy
