"""`statusgen init`: a new status repository that passes check, builds and previews."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import urllib.request
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.scaffold import REPO_INSTALL, REPO_LOCKFILE, SCAFFOLD_INSTALL, WORKFLOWS, dependabot, workflows
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
        ".github/dependabot.yml", ".github/workflows/deploy.yml", ".github/workflows/pr.yml", ".github/workflows/schedule.yml", ".gitignore",
        "STAFF.md", "content/components.yaml", "content/incidents/2026-11-26-example-slow-page-loads.md",
        "content/site.yaml", "requirements.in", "requirements.txt",
    ]
    assert "output/" in (site / ".gitignore").read_text().splitlines()
    assert (site / "requirements.in").read_text().splitlines()[-1] == "statusgen==0.1.0"
    unlocked = (site / "requirements.txt").read_text()  # the tests init with --no-lock (tests/conftest.py)
    assert unlocked.startswith("# NOT LOCKED YET") and unlocked.splitlines()[-1] == "statusgen==0.1.0"


EXAMPLE = "content/incidents/2026-11-26-example-slow-page-loads.md"


def test_init_checks_builds_and_previews_without_publishing_the_example(site, tmp_path):
    runner = CliRunner()
    check = runner.invoke(main, ["check", str(site), "--now", NOW])
    assert check.exit_code == 0, check.output
    assert check.output.splitlines() == [
        f'{EXAMPLE}:5:1: warning: a draft: checked, but not published; remove "draft: true" to publish it, or delete the file',
        "0 errors, 1 warning",
    ]
    assert runner.invoke(main, ["check", str(site), "--strict", "--now", NOW]).exit_code == 1  # flagged until deleted
    out = tmp_path / "out"
    build = runner.invoke(main, ["build", str(site), "--now", NOW, "--out", str(out)])
    assert build.exit_code == 0, build.output
    assert (out / "index.html").is_file() and (out / "offline.html").is_file()
    assert not (out / "incidents").exists()  # the draft never goes live
    assert b"slow page" not in (out / "history.atom").read_bytes() and b"slow page" not in (out / "api/v2/incidents.json").read_bytes()
    (site / EXAMPLE).unlink()
    check = runner.invoke(main, ["check", str(site), "--strict", "--now", NOW])
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output, check.output
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
    assert content.incidents == ()  # a draft
    example = site / EXAMPLE
    example.write_text(example.read_text().replace("draft: true\n", ""))
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
    for name, text in workflows(REPO_INSTALL, REPO_LOCKFILE).items():
        assert (ROOT / ".github" / "workflows" / name).read_text() == text, name
    for name, text in workflows(SCAFFOLD_INSTALL).items():
        assert f"run: {SCAFFOLD_INSTALL}\n" in text and "@INSTALL@" not in text and "@LOCKFILE@" not in text, name
    assert (ROOT / ".github" / "dependabot.yml").read_text() == dependabot()
    # release.yml publishes statusgen itself: this repository's own, never generated.
    assert sorted([*WORKFLOWS, "release.yml"]) == sorted(p.name for p in (ROOT / ".github" / "workflows").glob("*.yml"))


def test_staff_guide_commands_work(site, monkeypatch):
    """Every new/update/resolve/check command STAFF.md shows runs as written."""
    monkeypatch.chdir(site)
    (site / EXAMPLE).unlink()  # as the next steps say, once it has been read
    guide = (site / "STAFF.md").read_text()
    commands = [shlex.split(line, comments=True) for line in re.findall(r"^statusgen .*$", guide, re.M)]
    runnable = [c for c in commands if c[1] in ("new", "update", "resolve", "check")]
    assert [c[1] for c in runnable] == ["new", "update", "update", "resolve", "new", "check"]
    for i, command in enumerate(runnable):
        env = {"SOURCE_DATE_EPOCH": str(EPOCH + 600 * i), "EDITOR": "", "VISUAL": ""}
        result = CliRunner().invoke(main, command[1:], env=env)
        assert result.exit_code == 0, (command, result.output)
    assert "0 errors, 0 warnings" in result.output  # the last one, check: the guide's maintenance keeps the policy


def init_in(target, *args):
    result = CliRunner().invoke(main, ["init", str(target), "--now", NOW, *args])
    return result


def test_init_accepts_a_fresh_clone_and_overwrites_nothing(tmp_path):
    clone = tmp_path / "status"
    clone.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(clone)], check=True)
    (clone / "README.md").write_text("# Our status page\n")
    (clone / "LICENSE").write_text("MIT\n")
    (clone / ".gitignore").write_text("*.pyc\noutput/\n")
    (clone / ".github/workflows").mkdir(parents=True)
    (clone / ".github/workflows/pr.yml").write_text("name: ours\n")
    result = init_in(clone)
    assert result.exit_code == 0, result.output
    assert (clone / "README.md").read_text() == "# Our status page\n" and (clone / "LICENSE").read_text() == "MIT\n"
    assert (clone / ".github/workflows/pr.yml").read_text() == "name: ours\n"
    assert f"kept  {clone / '.github/workflows/pr.yml'} (it was already there)" in result.output
    assert (clone / ".gitignore").read_text() == "*.pyc\noutput/\n# statusgen\n.statusgen-cache/\n"
    assert (clone / ".github/workflows/deploy.yml").is_file() and (clone / "content/site.yaml").is_file()
    assert "git init" not in result.output  # it is a repository already
    assert "Next steps:" in result.output and "statusgen check" in result.output and "statusgen serve" in result.output


def test_init_refuses_an_existing_site(site):
    result = init_in(site)
    assert result.exit_code == 1 and "already has a content/ folder" in result.output


@pytest.mark.parametrize("flag", ["--git", "--no-git"])
def test_init_offers_git_init(tmp_path, flag):
    target = tmp_path / "new"
    result = init_in(target, flag)
    assert result.exit_code == 0, result.output
    if flag == "--git":
        head = subprocess.run(["git", "symbolic-ref", "HEAD"], cwd=target, capture_output=True, text=True).stdout
        assert head.strip() == "refs/heads/main" and "initialized a git repository" in result.output
    else:
        assert not (target / ".git").exists() and "run 'git init -b main' there" in result.output


def test_init_writes_the_requirement_it_is_given(tmp_path):
    spec = "statusgen @ git+https://github.com/acme/statusgen@v0.2.0"
    result = init_in(tmp_path / "s", "--requirement", spec)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s/requirements.in").read_text().splitlines()[-1] == spec
    for name in WORKFLOWS:
        assert "pip install --require-hashes -r requirements.txt" in (tmp_path / f"s/.github/workflows/{name}").read_text()
    assert re.search(r"pip install -r requirements\.(txt|in)", (tmp_path / "s/STAFF.md").read_text())


def test_docs_are_shipped_and_printed():
    result = CliRunner().invoke(main, ["docs"])
    assert result.exit_code == 0 and "deploy" in result.output and "content" in result.output
    result = CliRunner().invoke(main, ["docs", "deploy"])
    assert result.exit_code == 0 and result.output == (ROOT / "docs/deploy.md").read_text()
    result = CliRunner().invoke(main, ["docs", "deplyo"])
    assert result.exit_code == 1 and 'did you mean "deploy"' in result.output


def test_pointers_to_the_guides_work_for_a_pip_user():
    """No message or scaffold file says "see docs/x.md" alone: a pip user has no
    docs/ folder. Each names `statusgen docs x` and the web address (guides.see)."""
    from generator.guides import DOCS_URL, topics

    import ast

    bare = re.compile(r"(?<![/\w])docs/(\w+)\.md")
    texts = []  # what users read: the scaffold files, and the strings in the code (not its docstrings or comments)
    for path in (ROOT / "generator/scaffold_files").rglob("*"):
        if path.is_file():
            texts += [(path.name, line) for line in path.read_text().splitlines()]
    for path in (ROOT / "generator").glob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        texts += [(path.name, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]
    for name, line in texts:
        for topic in bare.findall(line):
            assert f"{DOCS_URL}/{topic}.md" in line or f"statusgen docs {topic}" in line, (name, line)
    assert DOCS_URL == importlib.metadata.metadata("statusgen").get_all("Project-URL")[1].split(", ")[1]
    assert {"deploy", "content", "workflow"} <= set(topics())
