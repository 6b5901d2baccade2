"""`statusgen init`: a new status repository that passes check, builds and previews."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.scaffold import REPO_INSTALL, REPO_LOCKFILE, SCAFFOLD_INSTALL, WORKFLOWS, dependabot, workflows
from tests.conftest import ROOT, serve_folder
from tests.wheels import dist, offline_pip, wheelhouse  # noqa: F401 (fixtures)

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


# --- the guides' command lines, run as written ------------------------------------------------


def guide_commands(text: str) -> tuple[list[list[str]], list[str]]:
    """A guide's `sh` code blocks (each a list of lines), and the inline code spans of its prose
    that are statusgen commands, in order."""
    blocks, prose, fence = [], [], None
    for line in text.splitlines():
        if line.startswith("```"):
            fence = (line[3:].strip() or "text") if fence is None else None
            if fence == "sh":
                blocks.append([])
        elif fence == "sh":
            blocks[-1].append(line)
        elif fence is None:
            prose.append(line)
    spans = [" ".join(span.split()) for span in re.findall(r"`(statusgen(?:\s[^`]*)?)`", "\n".join(prose))]
    return blocks, spans


class GuideShell:
    """Runs a guide's command lines as a person pastes them: statusgen through the CLI with a clock
    ten minutes later for each command, git through git, and `cd`, `&&`, `#` and `$VAR` as a shell does.

    `statusgen serve` builds once instead of serving forever, and `deploy` lines, which need S3, are
    only parsed here: they run against moto in tests/test_workflows.py and in the deploy guide's tests.
    """

    GIT_ENV = {"GIT_AUTHOR_NAME": "Staff", "GIT_AUTHOR_EMAIL": "staff@example.com",
               "GIT_COMMITTER_NAME": "Staff", "GIT_COMMITTER_EMAIL": "staff@example.com"}

    def __init__(self, monkeypatch, tmp_path, env=None):
        import time

        self.clock = EPOCH - 600
        self.env = {"EDITOR": "", "VISUAL": "", **(env or {})}
        self.runs, self.parsed, self.served, self.tmp = [], [], [], tmp_path
        self.monkeypatch = monkeypatch
        monkeypatch.setattr("generator.serve.serve", self._serve)
        monkeypatch.setattr(time, "sleep", lambda seconds: None)  # next-change --wait

    def _serve(self, site, clock, _echo, port):
        from generator.build import build

        self.served.append(port)
        build(site, clock(), self.tmp / f"served-{len(self.served)}")

    def line(self, text: str) -> None:
        words = [re.sub(r"\$(\w+)", lambda m: self.env[m.group(1)], w) for w in shlex.split(text, comments=True)]
        command: list[str] = []
        for word in [*words, "&&"]:
            if word != "&&":
                command.append(word)
            elif command:
                self.command(command)
                command = []

    def command(self, words: list[str]) -> None:
        if words[0] == "cd":
            self.monkeypatch.chdir(words[1])
        elif words[0] == "git":
            done = subprocess.run(words, capture_output=True, text=True, env={**os.environ, **self.GIT_ENV})
            assert done.returncode == 0, (words, done.stderr)
        elif words[:2] == ["statusgen", "deploy"]:
            cmd = main.get_command(click.Context(main), "deploy")
            cmd.make_context("deploy", words[2:])  # its options exist and parse
            self.parsed.append(" ".join(words))
        else:
            assert words[0] == "statusgen", words
            self.clock += 600
            result = CliRunner().invoke(main, words[1:], env={**self.env, "SOURCE_DATE_EPOCH": str(self.clock)})
            allowed = (0, 1) if "--due-within" in words else (0,)  # next-change: 1 is "not due"
            assert result.exit_code in allowed, (words, result.output)
            if words[1] in ("new", "update", "resolve"):
                assert "warning" not in result.stderr, (words, result.stderr)  # the guides show good practice
            self.runs.append((words, result))


def prepare_repo(site):
    """The scratch site as a repository on main, with an origin to push to."""
    origin = site.parent / "origin.git"
    for command in (["git", "init", "-q", "--bare", str(origin)], ["git", "init", "-q", "-b", "main"],
                    ["git", "add", "-A"], ["git", "commit", "-q", "-m", "init"],
                    ["git", "remote", "add", "origin", str(origin)]):
        subprocess.run(command, cwd=site, check=True, capture_output=True, env={**os.environ, **GuideShell.GIT_ENV})
    return origin


def test_staff_guide_commands_work(site, monkeypatch, tmp_path, wheelhouse):
    """Every command line STAFF.md shows, in its code blocks and its prose, runs as written."""
    (site / EXAMPLE).unlink()  # as the next steps say, once it has been read
    for name, value in offline_pip(wheelhouse).items():  # `statusgen lock` finds statusgen in the built wheel
        monkeypatch.setenv(name, value)
    origin = prepare_repo(site)
    monkeypatch.chdir(site)
    blocks, spans = guide_commands((site / "STAFF.md").read_text())
    shell = GuideShell(monkeypatch, tmp_path)
    for block in blocks:
        for line in block:
            shell.line(line)
    assert [words[1] for words, _ in shell.runs] == ["new", "update", "update", "update", "resolve", "new", "check", "serve"]
    assert shell.runs[6][1].output.endswith("0 errors, 0 warnings\n")  # the guide's maintenance keeps the policy
    assert shell.served == [8000]
    pushed = subprocess.run(["git", "branch", "--list"], cwd=origin, capture_output=True, text=True).stdout
    assert "incident-api-errors" in pushed
    incident = site / "content" / "incidents" / "2026-11-26-elevated-api-errors.md"
    headings = [line[3:] for line in incident.read_text().splitlines() if line.startswith("## ")]
    assert headings == ["2026-11-26 12:40 UTC — Resolved", "2026-11-26 12:20 UTC — Monitoring",
                        "2026-11-26 12:15 UTC — Update", "2026-11-26 12:10 UTC — Identified",
                        "2026-11-26 12:00 UTC — Investigating"]  # --at "12:15" is today, in its place

    # The prose's commands, during the maintenance window: <id> is the maintenance just announced.
    maintenance_id = Path(shell.runs[5][1].stdout.strip()).stem
    assert spans == ["statusgen lock", "statusgen check", 'statusgen update <id> "in progress" "…"',
                     'statusgen resolve <id> "…"', "statusgen check"]
    shell.clock = int(datetime(2026, 12, 2, 6, tzinfo=timezone.utc).timestamp())
    for span in spans:
        shell.line(span.replace("<id>", maintenance_id))
    assert shell.runs[-1][1].output.endswith("0 errors, 0 warnings\n")


def test_workflow_guide_commands_work(site, monkeypatch, tmp_path, capfd, wheelhouse):
    """Every command line docs/workflow.md shows runs as written, in a site made by `statusgen init`."""
    (site / EXAMPLE).unlink()
    prepare_repo(site)
    blocks, spans = guide_commands((ROOT / "docs" / "workflow.md").read_text())
    for name, value in offline_pip(wheelhouse).items():  # `statusgen lock` finds statusgen in the built wheel
        monkeypatch.setenv(name, value)
    shell = GuideShell(monkeypatch, tmp_path, {"GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")})
    for number, block in enumerate(blocks):
        if block[0].startswith("statusgen init"):  # a new repository: in an empty folder
            (tmp_path / f"fresh-{number}").mkdir()
            monkeypatch.chdir(tmp_path / f"fresh-{number}")
        else:
            monkeypatch.chdir(site)
        for line in block:
            shell.line(line)
    commands = [" ".join(words[:2]) for words, _ in shell.runs]
    assert commands == ["statusgen new", "statusgen update", "statusgen update", "statusgen resolve", "statusgen new",
                        "statusgen check", "statusgen init", "statusgen check", "statusgen build", "statusgen serve"]
    summary = capfd.readouterr().out  # check --summary /dev/stdout
    assert "## What this change does to the status page" in summary
    assert "Posted, already resolved: **Elevated API errors**" in summary and "Announced: **Database upgrade**" in summary
    assert "the merge base of HEAD and main" in shell.runs[5][1].stderr
    assert shell.served == [8000]

    ran = len(shell.runs)
    for number, span in enumerate(spans):
        folder = tmp_path / f"span-{number}"
        if span.startswith("statusgen init"):
            folder.mkdir()
            monkeypatch.chdir(folder)
        else:
            monkeypatch.chdir(site)
        shell.line(span)
    assert len(shell.runs) - ran + len(shell.parsed) == len(spans)  # each run, or (deploy) parsed
    assert "statusgen next-change --due-within 3m --lookback 65m --wait" in spans
    assert (tmp_path / "step-summary.md").read_text().startswith("## What this change does to the status page")


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
    assert (clone / ".gitignore").read_text() == "*.pyc\noutput/\n# statusgen\n.statusgen-cache/\n.output-*/\n"
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
