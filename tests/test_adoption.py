"""The whole adoption path, as a new team walks it: build statusgen's sdist and
wheel (and check them as PyPI would), install the wheel in a fresh virtual
environment, `statusgen init` a site there (which locks requirements.txt),
then run every step of every generated workflow, in order, in another fresh
environment that installs from that lock with --require-hashes, with pip
reaching nothing but a local wheelhouse. The deploys go to moto.

Never from the checkout: the checkout's folder is on no path, and the test
asserts where `generator` was imported from.
"""

from __future__ import annotations

import os
import venv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from generator import __version__
from tests.actions import Runner, clean_env
from tests.conftest import ROOT
from tests.deploy.conftest import moto_with_bucket
from tests.wheels import dist, sh, wheelhouse  # noqa: F401 (fixtures)



def fresh_venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / "bin"


def epoch(text: str) -> str:
    return str(int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()))


def git(root: Path, *args: str) -> None:
    sh("git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args, cwd=root)


@pytest.fixture
def moto():
    with moto_with_bucket("status") as (endpoint, s3):
        yield endpoint, s3


def test_from_the_wheel_to_a_deployed_page(tmp_path, wheelhouse, moto):
    endpoint, s3 = moto
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_CONFIG_FILE": os.devnull,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # 1. A team member installs statusgen and makes the repository.
    user = fresh_venv(tmp_path / "user")
    user_env = clean_env(user, **offline, STATUSGEN_LOCK_TARGETS="")  # lock for this machine: it is the runner here
    sh(user / "pip", "install", "--quiet", f"statusgen=={__version__}", env=user_env)
    site = tmp_path / "status"
    init = sh(user / "statusgen", "init", site, "--no-git", "--now", "2026-11-26 12:00 UTC", env=user_env)
    assert "locked " in init.stdout, init.stdout + init.stderr
    lock = (site / "requirements.txt").read_text()
    assert f"statusgen=={__version__} \\\n    --hash=sha256:" in lock and "jinja2==" in lock
    (example,) = (site / "content" / "incidents").glob("*-example-*.md")
    example.unlink()  # as the next steps say
    git(site, "init", "-q", "-b", "main")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "init")
    git(site, "update-ref", "refs/remotes/origin/main", "HEAD")

    # 2. The runner: a fresh environment per repository, pip offline, AWS from "the role".
    runner_bin = fresh_venv(tmp_path / "runner")
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "token",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    played = []

    def on_uses(step, env):
        action = step["uses"].split("@")[0]
        played.append(action)
        if action == "aws-actions/configure-aws-credentials":
            assert step["with"]["role-to-assume"] == "arn:aws:iam::123456789012:role/status"
            return aws
        if action == "actions/upload-artifact":
            assert (site / step["with"]["path"]).is_dir()
        return None

    summary = tmp_path / "summary.md"
    runner = Runner(cwd=site, tmp=tmp_path, on_uses=on_uses,
                    env=clean_env(runner_bin, **offline, GITHUB_STEP_SUMMARY=str(summary), GITHUB_BASE_REF="main",
                                  SOURCE_DATE_EPOCH=epoch("2026-11-26 12:35")),
                    variables={"AWS_REGION": "us-east-1"})
    workflows = site / ".github" / "workflows"

    # 3. Nothing to deploy to yet: the deploy succeeds with a notice and mints no token.
    runner.run_workflow(workflows / "deploy.yml")
    notices = [line for r in runner.ran if r.result for line in r.result.stdout.splitlines() if line.startswith("::notice")]
    assert len(notices) == 1 and "no deploy: targets" in notices[0]
    assert "aws-actions/configure-aws-credentials" not in played

    # 4. Configure it, as docs/deploy.md says; a pull request; its check; the merge; the deploy; the schedule.
    with open(site / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status\n    endpoint_url: {endpoint}\n")
    runner.variables["STATUSGEN_AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/status"
    git(site, "commit", "-qam", "deploy target")
    git(site, "update-ref", "refs/remotes/origin/main", "HEAD")
    sh(user / "statusgen", "new", "incident", "API errors", "-c", "api=partial_outage", "-m", "Some requests fail.",
       env={**user_env, "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:30")}, cwd=site)
    runner.run_workflow(workflows / "pr.yml")
    assert "🔴 Opened: **API errors**" in summary.read_text()
    git(site, "add", "-A")
    git(site, "commit", "-qm", "API errors")
    runner.run_workflow(workflows / "deploy.yml")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="status")["Contents"]}
    assert {"index.html", "offline.html"} <= keys and any(k.startswith("incidents/") for k in keys)
    assert b"API errors" in s3.get_object(Bucket="status", Key="index.html")["Body"].read()
    outputs = runner.run_workflow(workflows / "schedule.yml", {"SOURCE_DATE_EPOCH": epoch("2026-11-27 00:10")})
    assert outputs["due"] == {"due": "true"}  # midnight passed: the uptime bars moved on
    assert [r.skipped for r in runner.ran if r.job == "deploy"][-1] is False

    # 5. Every run: step ran, from the wheel, never from the checkout.
    ran = [r for r in runner.ran if r.result]
    installs = [r for r in ran if "pip install" in r.step["run"]]
    assert {r.step["run"].strip() for r in installs} == {"pip install --require-hashes -r requirements.txt"}
    assert len(installs) == 6  # pr (check, policy), deploy twice, due, scheduled deploy
    where = sh(runner_bin / "python", "-c", "import generator; print(generator.__file__)", cwd=tmp_path).stdout
    assert where.startswith(str(tmp_path / "runner")) and str(ROOT) not in where
    assert set(played) == {"actions/checkout", "actions/setup-python", "actions/cache", "actions/upload-artifact",
                           "aws-actions/configure-aws-credentials"}
