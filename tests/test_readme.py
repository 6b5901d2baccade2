"""README.md's promises, run as written: every `statusgen` line of its "Using it" block, in order,
in the repository `statusgen init` makes, with the installed command in a real shell."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from tests.conftest import ROOT
from tests.deploy.conftest import aws_env, moto_url, new_bucket  # noqa: F401
from tests.wheels import dist, offline_pip, wheelhouse  # noqa: F401 (fixtures)

EPOCH = int(datetime(2026, 11, 26, 12, tzinfo=timezone.utc).timestamp())
STATUSGEN = str(Path(sys.executable).with_name("statusgen"))


def readme_commands() -> list[str]:
    block = re.search(r"## Using it\n\n```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("statusgen ")]


def test_the_readme_lists_every_command():
    names = {shlex.split(line)[1] for line in readme_commands()}
    assert names >= {"init", "check", "new", "update", "resolve", "build", "serve", "deploy", "next-change"}


def run(line: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    args = [STATUSGEN, *shlex.split(line)[1:]]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_every_readme_command_works_as_written(tmp_path, moto_url, wheelhouse):  # noqa: F811
    # `statusgen lock` resolves statusgen itself: from the wheel we built, as it is not on the index here.
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "EDITOR": "", "VISUAL": "", **offline_pip(wheelhouse)}
    cwd = tmp_path
    for n, line in enumerate(readme_commands()):
        env["SOURCE_DATE_EPOCH"] = str(EPOCH + 60 * n)  # each command a minute after the one before
        if line.startswith("statusgen serve"):
            check_serve(line, cwd, env)
            continue
        if line.startswith("statusgen deploy"):
            bucket = new_bucket(moto_url)  # the README assumes a target in site.yaml: give it one
            with open(cwd / "content/site.yaml", "a", encoding="utf-8") as handle:
                handle.write(f"deploy:\n  - name: primary\n    bucket: {bucket}\n    endpoint_url: {moto_url}\n")
        result = run(line, cwd, env)
        assert "Traceback" not in result.stderr, (line, result.stderr)
        if line.startswith("statusgen next-change"):
            assert result.returncode in (0, 1), (line, result.stderr)  # due, or not due
        else:
            assert result.returncode == 0, (line, result.stdout, result.stderr)
        if line.startswith("statusgen init"):
            cwd = cwd / shlex.split(line)[2]  # the lines after it run in the new repository
            (cwd / "content/incidents/2026-11-26-example-slow-page-loads.md").unlink()  # as the next steps say
        if line.startswith("statusgen deploy"):
            assert "upload" in (result.stdout + result.stderr)
    assert (cwd / "output/index.html").is_file()
    summary = (cwd / "summary.md").read_text(encoding="utf-8")
    assert "## What this change does to the status page" in summary and "Database upgrade" in summary
    incident = cwd / "content/incidents/2026-11-26-elevated-api-errors.md"
    assert [h.split(" — ")[1] for h in re.findall(r"^## .*$", incident.read_text(encoding="utf-8"), re.M)] == \
        ["Resolved", "Identified", "Investigating"]


def check_serve(line: str, cwd: Path, env: dict) -> None:
    args = [STATUSGEN, *shlex.split(line)[1:], "--port", "0"]
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            output = proc.stdout.readline()
            found = re.search(r"at (http://127\.0\.0\.1:\d+/)", output)
            url = found.group(1) if found else None
        assert url, "serve never said where it serves"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"Example Status" in response.read()
    finally:
        proc.terminate()
        proc.wait(10)


def test_make_demo_builds_and_serves_the_demo():
    """README's first set-up command. PORT=0 picks a free port (the default is 8000)."""
    import signal

    venv = Path(sys.prefix)
    proc = subprocess.Popen(["make", "-s", "demo", "PORT=0", f"VENV={venv}"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url, seen = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            seen.append(proc.stdout.readline())
            found = re.search(r"at (http://127\.0\.0\.1:\d+/)", seen[-1])
            url = found.group(1) if found else None
        assert url, "".join(seen)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"Hourglass Status" in response.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_the_benchmarks_run(tmp_path):
    """README's benchmark lines, at a size that takes seconds (the figures come from full runs)."""
    for args in (["bench/build.py", "40", "--runs", "1"], ["bench/floor.py", "40"], ["bench/hostile.py", "--runs", "1"],
                 ["bench/sizes.py", "--sizes", "40", "--runs", "1", "--serve", "--edits", "5"],
                 ["bench/sizes.py", "--sizes", "40", "--runs", "1", "--versus", str(ROOT)]):
        result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 and "Traceback" not in result.stderr, (args, result.stdout, result.stderr)
        if "--versus" in args:  # this checkout against itself: the same output, both timed in each mode
            report = json.loads(result.stdout)["sizes"]["40"]
            assert report["same_output"] is True
            assert all(report[v][mode]["median_s"] > 0 for v in ("this", "versus") for mode in ("cold", "warm", "later"))


def test_the_makefile_install_prints_nothing():
    """`make demo`/`make test` install the checkout as the Makefile does: quietly, with no setuptools warnings."""
    recipe = re.search(r"^\t(PYTHONWARNINGS=.*pip install -q -e .*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    command = recipe.replace("$(BIN)/pip", shlex.quote(str(Path(sys.executable).with_name("pip")))).replace(
        "-e '.[test]'", "--no-deps -e .")
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr
