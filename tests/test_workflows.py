"""The GitHub workflows: valid YAML, the right triggers and permissions, and every
`statusgen` command they run is run here too, through bash as the runner does,
in a repository made by `statusgen init`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
INIT_AT = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


def load_workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(name: str) -> list[dict]:
    (job,) = load_workflow(name)["jobs"].values()
    return job["steps"]


def statusgen_scripts(name: str) -> list[tuple[dict, str]]:
    return [(s, s["run"]) for s in steps(name) if "statusgen" in s.get("run", "")]


def uses(name: str) -> list[str]:
    return [s["uses"] for s in steps(name) if "uses" in s]


# --- shape -------------------------------------------------------------------------------


def test_pull_request_workflow():
    wf = load_workflow("pr.yml")
    assert set(wf["on"]) == {"pull_request"}
    assert wf["permissions"] == {"contents": "read"}  # no deploy rights on pull requests
    checkout = next(s for s in steps("pr.yml") if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the summary needs the base branch
    scripts = [run.strip() for _s, run in statusgen_scripts("pr.yml")]
    assert scripts == ['statusgen check --format github --summary "$GITHUB_STEP_SUMMARY"', "statusgen build"]
    upload = next(s for s in steps("pr.yml") if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "output/"


@pytest.mark.parametrize("name", ["deploy.yml", "schedule.yml"])
def test_deploying_workflows_use_an_oidc_role(name):
    wf = load_workflow(name)
    assert wf["permissions"]["id-token"] == "write"
    assert wf["concurrency"]["group"] == "statusgen-deploy"  # never two deploys at once
    creds = [s for s in steps(name) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert creds and all("role-to-assume" in s["with"] for s in creds)
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "secrets." not in text  # no long-lived keys


def test_triggers():
    assert load_workflow("deploy.yml")["on"]["push"]["branches"] == ["main"]
    schedule = load_workflow("schedule.yml")["on"]["schedule"]
    assert schedule == [{"cron": "*/5 * * * *"}]


def test_actions_are_pinned_to_a_major_version():
    for name in ("pr.yml", "deploy.yml", "schedule.yml"):
        for action in uses(name):
            assert "@v" in action, action


# --- the commands, run ---------------------------------------------------------------------


def bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    """As GitHub's runner runs `run:` (bash --noprofile --norc -eo pipefail)."""
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "EDITOR": "", "VISUAL": "", **env}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=120)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository made by `statusgen init`, with a pull request's change on top of main."""
    from click.testing import CliRunner

    root = tmp_path / "status"
    assert CliRunner().invoke(main, ["init", str(root), "--now", "2026-11-26 12:00 UTC"]).exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    result = CliRunner().invoke(main, ["new", "incident", "API errors", "-c", "api=partial_outage", "--site", str(root),
                                       "--now", "2026-11-26 12:30 UTC"])
    assert result.exit_code == 0, result.output
    return root


def epoch(text: str) -> str:
    return str(int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()))


def test_pull_request_commands(repo, tmp_path):
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_BASE_REF": "main", "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:35")}
    for _step, script in statusgen_scripts("pr.yml"):
        result = bash(script, repo, env)
        assert result.returncode == 0, (script, result.stdout, result.stderr)
    text = summary.read_text()
    assert "Compared with `origin/main`" in text
    assert "🔴 Opened: **API errors**" in text and "| API | Operational | **Partial outage** |" in text
    assert (repo / "output" / "index.html").is_file() and (repo / "output" / "offline.html").is_file()


def test_pull_request_check_fails_on_errors_with_annotations(repo, tmp_path):
    (repo / "content" / "incidents" / "bad.md").write_text("---\ntitle: Bad\ncomponents: {apii: major_outage}\n---\n")
    (_step, script), _ = statusgen_scripts("pr.yml")
    result = bash(script, repo, {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:35")})
    assert result.returncode == 1
    assert "::error file=content/incidents/bad.md,line=3,col=14::unknown component" in result.stdout


@pytest.mark.parametrize("now,due", [
    ("2026-11-26 15:00", False),  # next: midnight, hours away
    ("2026-11-26 23:58", True),  # midnight in 2 minutes: --wait would sleep; see below
    ("2026-11-27 00:10", True),  # midnight passed 10 minutes ago: a late run still catches it
    ("2026-11-27 00:20", False),
])
def test_schedule_decides_when_to_deploy(repo, tmp_path, now, due):
    (step, script), _deploy = statusgen_scripts("schedule.yml")
    assert step["id"] == "due"
    output = tmp_path / "github-output"
    output.write_text("")
    if now.endswith("23:58"):
        script = script.replace("--wait", "")  # the sleep itself is tested in test_next_change.py
    result = bash(script, repo, {"GITHUB_OUTPUT": str(output), "SOURCE_DATE_EPOCH": epoch(now)})
    assert result.returncode == 0, result.stderr
    assert output.read_text() == ("due=true\n" if due else "")


def test_schedule_fails_loudly_on_broken_content(repo, tmp_path):
    (repo / "content" / "site.yaml").write_text("title: [\n")
    (_step, script), _deploy = statusgen_scripts("schedule.yml")
    result = bash(script, repo, {"GITHUB_OUTPUT": str(tmp_path / "o"), "SOURCE_DATE_EPOCH": epoch("2026-11-26 15:00")})
    assert result.returncode == 2


@pytest.fixture
def moto_bucket():
    from moto.server import ThreadedMotoServer

    import boto3

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    creds = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    boto3.client("s3", endpoint_url=endpoint, **creds).create_bucket(Bucket="status")
    yield endpoint, creds
    server.stop()


@pytest.mark.parametrize("name", ["deploy.yml", "schedule.yml"])
def test_deploy_commands_publish(repo, moto_bucket, name):
    if "deploy" not in main.commands:
        pytest.skip("statusgen deploy is not there yet")
    import boto3

    endpoint, creds = moto_bucket
    with open(repo / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status\n    region: us-east-1\n    endpoint_url: {endpoint}\n")
    script = statusgen_scripts(name)[-1][1]
    assert script.strip() == "statusgen deploy"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:35")}
    dry = bash(script.replace("statusgen deploy", "statusgen deploy --dry-run"), repo, env)
    assert dry.returncode == 0, dry.stderr
    result = bash(script, repo, env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=endpoint, **creds).list_objects_v2(Bucket="status")["Contents"]}
    assert {"index.html", "offline.html"} <= keys
