"""The GitHub workflows: valid YAML, the right triggers and permissions, and every
`statusgen` command they run is run here too, through bash as the runner does,
in a repository made by `statusgen init`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.scaffold import workflows
from tests.conftest import ROOT
from tests.deploy.conftest import MOTO_CREDS, moto_with_bucket

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
INIT_AT = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


def load_workflow(name: str, folder: Path = WORKFLOWS) -> dict:
    data = yaml.safe_load((folder / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(name: str, job: str | None = None, folder: Path = WORKFLOWS) -> list[dict]:
    """The steps of one job, or of every job in order."""
    jobs = load_workflow(name, folder)["jobs"]
    return jobs[job]["steps"] if job else [s for j in jobs.values() for s in j["steps"]]


def statusgen_scripts(name: str, job: str | None = None) -> list[tuple[dict, str]]:
    return [(s, s["run"]) for s in steps(name, job) if "statusgen" in s.get("run", "")]


def step_named(name: str, title: str, job: str | None = None) -> dict:
    return next(s for s in steps(name, job) if s.get("name") == title)


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
    assert scripts == ['statusgen check --format github --summary "$GITHUB_STEP_SUMMARY"', "statusgen build",
                       "statusgen check --strict"]
    # Errors fail the (required) check job; warnings only the policy job, which a reviewer can merge past.
    assert [run.strip() for _s, run in statusgen_scripts("pr.yml") if "--strict" in run] == ["statusgen check --strict"]
    assert set(wf["jobs"]) == {"check", "policy"} and "not required" in wf["jobs"]["policy"]["name"]
    upload = next(s for s in steps("pr.yml") if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "output/"


DEPLOY_JOBS = [("deploy.yml", "deploy"), ("schedule.yml", "deploy")]


@pytest.mark.parametrize("name,job", DEPLOY_JOBS)
def test_deploying_jobs_use_an_oidc_role(name, job):
    wf = load_workflow(name)
    assert wf["permissions"] == {}  # nothing by default: each job asks for what it needs
    assert wf["jobs"][job]["permissions"] == {"contents": "read", "id-token": "write"}
    creds = [s for s in steps(name, job) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert creds and all("role-to-assume" in s["with"] for s in creds)
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "AWS" not in "".join(re.findall(r"secrets\.\w+", text))  # no long-lived keys
    # The notify: channels' secrets reach one step only, the one that sends: never the build.
    with_secrets = [s.get("name") for s in steps(name, job) if "secrets." in str(s)]
    assert with_secrets == ["Notify subscribers"]
    notify = step_named(name, "Notify subscribers", job)
    assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in notify["env"].items())
    order = [s.get("name") for s in steps(name, job)]
    assert order.index("Notify subscribers") == order.index("Build and publish") + 1  # after every target is published


def test_the_schedule_decides_without_aws_rights():
    """The job that decides whether anything is due cannot mint the AWS token."""
    jobs = load_workflow("schedule.yml")["jobs"]
    assert list(jobs) == ["due", "deploy"]
    assert jobs["due"]["permissions"] == {"contents": "read"}
    assert not any("configure-aws-credentials" in s.get("uses", "") for s in jobs["due"]["steps"])
    assert jobs["deploy"]["needs"] == "due" and jobs["deploy"]["if"] == "needs.due.outputs.due == 'true'"
    assert jobs["due"]["outputs"] == {"due": "${{ steps.due.outputs.due }}"}


def test_concurrency_never_drops_a_publish():
    """Push and scheduled deploys share one group and never cancel a running one.
    GitHub keeps one pending job per group, so a newer deploy may replace a pending
    one: the due check runs outside the group (a scheduled run that finds nothing
    due never enters it), and every deploy job checks out the tip of main, so
    whichever runs last ships the latest content."""
    groups = []
    for name, job in DEPLOY_JOBS:
        wf = load_workflow(name)
        assert "concurrency" not in wf  # never at the workflow level: it would hold the due check too
        concurrency = wf["jobs"][job]["concurrency"]
        assert concurrency["cancel-in-progress"] is False
        groups.append(concurrency["group"])
        checkout = next(s for s in steps(name, job) if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["ref"] == "main"  # not the commit that queued the run
    assert groups == ["statusgen-deploy", "statusgen-deploy"]
    assert "concurrency" not in load_workflow("schedule.yml")["jobs"]["due"]


def test_triggers():
    assert load_workflow("deploy.yml")["on"]["push"]["branches"] == ["main"]
    schedule = load_workflow("schedule.yml")["on"]["schedule"]
    assert schedule == [{"cron": "17,47 * * * *"}]  # every 30 minutes: the cost comment in the file says why


def test_schedule_costs_fit_the_free_tier():
    """At least one billed minute per run of the due job, 30.4 days a month, with
    room left in GitHub Free's 2,000 private-repo minutes for deploys and checks."""
    (entry,) = load_workflow("schedule.yml")["on"]["schedule"]
    minutes = entry["cron"].split()[0]
    runs_per_hour = len(minutes.split(",")) if not minutes.startswith("*/") else 60 // int(minutes[2:])
    assert runs_per_hour * 24 * 30.4 <= 1500
    script = step_named("schedule.yml", "Is a rebuild due?", "due")["run"]
    lookback = int(re.search(r"--lookback (\d+)m", script).group(1))
    assert lookback >= 2 * 60 // runs_per_hour  # a late or skipped run is still caught


def test_actions_are_pinned_to_a_commit_with_a_version_comment():
    for path in [*WORKFLOWS.glob("*.yml")]:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.fullmatch(r"\s*(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*", line), (path.name, line)


def test_checkouts_do_not_persist_credentials():
    for path in WORKFLOWS.glob("*.yml"):
        for step in steps(path.name):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path.name


def test_deploys_never_run_strict():
    """A policy warning fails the pull request's check, never the publishing of an update."""
    for name in ("deploy.yml", "schedule.yml"):
        assert "--strict" not in (WORKFLOWS / name).read_text()
    assert "--strict" in (WORKFLOWS / "pr.yml").read_text()


def test_pip_and_the_build_cache_are_cached():
    for name in WORKFLOWS_FROM_TEMPLATES:
        for step in steps(name):
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip", name
    for name, job in DEPLOY_JOBS:
        order = [s.get("uses", "").split("@")[0] or s.get("run", "").strip() for s in steps(name, job)]
        cache = next(s for s in steps(name, job) if s.get("uses", "").startswith("actions/cache@"))
        assert cache["with"]["path"] == ".statusgen-cache/" and cache["with"]["restore-keys"] == "statusgen-cache-"
        assert order.index("actions/cache") < order.index("statusgen deploy --no-notify")


def test_generated_workflows_install_from_the_hash_locked_file(tmp_path):
    for name, text in workflows().items():
        installs = re.findall(r"run: (.*pip install.*)", text)
        assert installs and set(installs) == {"pip install --require-hashes -r requirements.txt"}, name
        assert "cache-dependency-path: requirements.txt" in text


WORKFLOWS_FROM_TEMPLATES = ("pr.yml", "deploy.yml", "schedule.yml")


def zizmor(*paths: Path) -> subprocess.CompletedProcess:
    exe = BIN / "zizmor"
    assert exe.exists(), "zizmor is in the test extra: pip install -e '.[test]'"
    return subprocess.run([str(exe), "--offline", "--no-progress", *map(str, paths)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_zizmor_finds_nothing_in_this_repos_workflows():
    result = zizmor(ROOT / ".github")
    assert result.returncode == 0 and "No findings" in result.stdout + result.stderr, result.stdout + result.stderr


def test_zizmor_finds_nothing_in_a_generated_repo(tmp_path):
    from click.testing import CliRunner

    assert CliRunner().invoke(main, ["init", str(tmp_path / "s"), "--no-git", "--no-lock"]).exit_code == 0
    result = zizmor(tmp_path / "s" / ".github")
    assert result.returncode == 0 and "No findings" in result.stdout + result.stderr, result.stdout + result.stderr
    assert (tmp_path / "s/.github/dependabot.yml").read_text() == (ROOT / ".github/dependabot.yml").read_text()
    bot = yaml.safe_load((tmp_path / "s/.github/dependabot.yml").read_text())
    assert [u["package-ecosystem"] for u in bot["updates"]] == ["github-actions"]


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
    assert CliRunner().invoke(main, ["init", str(root), "--now", "2026-11-26 12:00 UTC", "--no-lock"]).exit_code == 0
    for example in (root / "content" / "incidents").glob("*-example-*.md"):
        example.unlink()  # a draft, which check --strict flags until it is deleted, as the next steps say
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
    (_step, script), *_ = statusgen_scripts("pr.yml")
    result = bash(script, repo, {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:35")})
    assert result.returncode == 1
    assert "::error file=content/incidents/bad.md,line=3,col=14::unknown component" in result.stdout


def add_target(root: Path, endpoint: str = "http://127.0.0.1:9") -> None:
    with open(root / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status\n    region: us-east-1\n    endpoint_url: {endpoint}\n")


READY = [("deploy.yml", "Is there somewhere to deploy to?", "ready"), ("schedule.yml", "Is a rebuild due?", "due")]


@pytest.mark.parametrize("name,title,output", READY)
@pytest.mark.parametrize("configured", ["nothing", "target only", "role only"])
def test_unconfigured_deploys_stop_with_a_notice(repo, tmp_path, name, title, output, configured):
    """A fresh repository (and this one) has no target and no role: every run
    would fail. It succeeds instead, deploys nothing, and says what is missing."""
    if configured == "target only":
        add_target(repo)
    script = step_named(name, title)["run"]
    out = tmp_path / "github-output"
    out.write_text("")
    role = "arn:aws:iam::123456789012:role/status" if configured == "role only" else ""
    result = bash(script, repo, {"GITHUB_OUTPUT": str(out), "ROLE": role, "SOURCE_DATE_EPOCH": epoch("2026-11-26 23:58")})
    assert result.returncode == 0, result.stderr
    assert out.read_text() == ""  # so nothing after it runs, and no AWS token is minted
    missing = "STATUSGEN_AWS_ROLE_ARN" if configured == "target only" else "no deploy: targets"
    (notice,) = [line for line in result.stdout.splitlines() if line.startswith("::notice")]
    assert missing in notice and "statusgen docs deploy" in notice


def test_a_configured_deploy_is_ready(repo, tmp_path):
    add_target(repo)
    out = tmp_path / "github-output"
    out.write_text("")
    result = bash(step_named("deploy.yml", "Is there somewhere to deploy to?")["run"], repo,
                  {"GITHUB_OUTPUT": str(out), "ROLE": "arn:aws:iam::123456789012:role/status"})
    assert result.returncode == 0 and out.read_text() == "ready=true\n" and "::notice" not in result.stdout
    for title in ("Restore the build cache", "Build and publish"):
        assert step_named("deploy.yml", title)["if"] == "steps.ready.outputs.ready == 'true'"


@pytest.mark.parametrize("now,due", [
    ("2026-11-26 15:00", False),  # next: midnight, hours away
    ("2026-11-26 23:58", True),  # midnight in 2 minutes: --wait would sleep; see below
    ("2026-11-27 00:10", True),  # midnight passed 10 minutes ago: a late run still catches it
    ("2026-11-27 01:00", True),  # a skipped run: the next one, 30 minutes on, still catches it
    ("2026-11-27 01:10", False),
])
def test_schedule_decides_when_to_deploy(repo, tmp_path, now, due):
    add_target(repo)
    (step, script), *_deploy = statusgen_scripts("schedule.yml")
    assert step["id"] == "due"
    output = tmp_path / "github-output"
    output.write_text("")
    if now.endswith("23:58"):
        script = script.replace("--wait", "")  # the sleep itself is tested in test_next_change.py
    result = bash(script, repo, {"GITHUB_OUTPUT": str(output), "ROLE": "arn:aws:iam::1:role/r", "SOURCE_DATE_EPOCH": epoch(now)})
    assert result.returncode == 0, result.stderr
    assert output.read_text() == ("due=true\n" if due else "")


@pytest.mark.parametrize("broken", ["site.yaml", "incident"])
def test_schedule_fails_loudly_on_broken_content(repo, tmp_path, broken):
    add_target(repo)
    if broken == "site.yaml":
        (repo / "content" / "site.yaml").write_text("title: [\n")
    else:
        (repo / "content" / "incidents" / "bad.md").write_text("---\ntitle: Bad\ncomponents: {apii: major_outage}\n---\n")
    (_step, script), *_deploy = statusgen_scripts("schedule.yml")
    result = bash(script, repo, {"GITHUB_OUTPUT": str(tmp_path / "o"), "ROLE": "arn:aws:iam::1:role/r",
                                 "SOURCE_DATE_EPOCH": epoch("2026-11-26 15:00")})
    assert result.returncode == (1 if broken == "site.yaml" else 2), (result.stdout, result.stderr)  # never "not due"
    assert ": error: " in result.stderr


@pytest.fixture
def moto_bucket():
    with moto_with_bucket("status") as (endpoint, _s3):
        yield endpoint, MOTO_CREDS


@pytest.mark.parametrize("name", ["deploy.yml", "schedule.yml"])
def test_deploy_commands_publish(repo, moto_bucket, name):
    import boto3

    endpoint, creds = moto_bucket
    add_target(repo, endpoint)
    (_s, script), (_n, notify) = statusgen_scripts(name)[-2:]
    assert (script.strip(), notify.strip()) == ("statusgen deploy --no-notify", "statusgen notify")
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "SOURCE_DATE_EPOCH": epoch("2026-11-26 12:35")}
    dry = bash(script.replace("statusgen deploy", "statusgen deploy --dry-run"), repo, env)
    assert dry.returncode == 0, dry.stderr
    result = bash(script, repo, env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    keys = {o["Key"] for o in boto3.client("s3", endpoint_url=endpoint, **creds).list_objects_v2(Bucket="status")["Contents"]}
    assert {"index.html", "offline.html"} <= keys
    result = bash(notify, repo, env)  # no notify: channels yet: nothing to do, and no failure
    assert result.returncode == 0 and "no channels" in result.stdout, (result.stdout, result.stderr)


@pytest.mark.parametrize("name", ["deploy.yml", "schedule.yml"])
def test_the_notify_step_tells_a_channel_what_the_publish_step_published(repo, moto_bucket, name, tmp_path):
    from tests.receiver import receiving

    from tests.deploy.conftest import new_bucket

    endpoint, _creds = moto_bucket
    bucket = new_bucket(endpoint)  # its own: moto keeps one backend per process, and the ledger with it
    with open(repo / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: {bucket}\n    region: us-east-1\n    endpoint_url: {endpoint}\n"
                     "notify:\n  - name: ops\n    type: slack\n    url_env: SLACK_WEBHOOK_URL\n")
    publish, notify = (step_named(name, title) for title in ("Build and publish", "Notify subscribers"))
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    with receiving() as rx:
        secrets = {"SLACK_WEBHOOK_URL": rx.url("/slack/T0/B0/secret")}
        step_env = {k: secrets.get(re.fullmatch(r"\$\{\{ secrets\.(\w+) \}\}", v).group(1), "")
                    for k, v in notify["env"].items()}

        def run(now):
            at = {**aws, "SOURCE_DATE_EPOCH": epoch(now)}
            out = []
            for step, env in ((publish, at), (notify, {**at, **step_env})):
                result = bash(step["run"], repo, env)
                assert result.returncode == 0, (step["name"], result.stdout, result.stderr)
                out.append(result.stdout + result.stderr)
            return out

        run("2026-11-26 12:35")  # the first: records what the page shows, tells nobody
        assert rx.requests == []
        result = CliRunner().invoke(main, ["update", "api-errors", "identified", "A bad deploy.", "--site", str(repo),
                                           "--now", "2026-11-26 12:40 UTC"])
        assert result.exit_code == 0, result.output
        out = run("2026-11-26 12:41")
        assert [r.json["blocks"][0]["text"]["text"] for r in rx.requests] == ["API errors"], out
        run("2026-11-26 12:42")
        assert len(rx.requests) == 1
