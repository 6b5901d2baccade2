"""docs/deploy.md cannot drift: its workflow is the generated one, every command
line in it runs, its CloudFront Function behaves, and its two-provider
workflow publishes to both targets, the second even when the first fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.scaffold import workflows
from tests.actions import Runner, clean_env
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "deploy.md").read_text()
BIN = Path(sys.executable).parent


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", DOC, re.S | re.M)


def block_after(text: str, lang: str) -> str:
    rest = DOC[DOC.index(text):]
    return re.search(rf"^```{lang}\n(.*?)^```$", rest, re.S | re.M).group(1)


def test_the_documented_workflow_is_the_generated_one():
    assert block_after("The generated `deploy.yml`, as it is:", "yaml") == workflows()["deploy.yml"]


def test_the_trust_policy_names_the_exact_subject():
    policy = json.loads(block_after("2. **The role.**", "json"))
    condition = policy["Statement"][0]["Condition"]
    assert set(condition) == {"StringEquals"}
    assert condition["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                         "token.actions.githubusercontent.com:sub": "repo:example/status:ref:refs/heads/main"}
    assert "repo:example/status:environment:production" in DOC
    workflow_doc = (ROOT / "docs" / "workflow.md").read_text()
    assert "repo:OWNER/REPO:ref:refs/heads/main" in workflow_doc and "StringEquals" in workflow_doc


# --- the CloudFront Function, in node ------------------------------------------------------


CASES = [
    ("/", {}, {"uri": "/index.html"}),
    ("/incidents/x/", {}, {"uri": "/incidents/x/index.html"}),
    ("/incidents/x", {}, {"redirect": "/incidents/x/"}),
    ("/status/incidents/x", {"a": {"value": "1"}, "b": {"value": ""}}, {"redirect": "/status/incidents/x/?a=1&b"}),
    ("/history.atom", {}, {"uri": "/history.atom"}),
    ("/static/app.1a2b3c4d.css", {}, {"uri": "/static/app.1a2b3c4d.css"}),
    ("/api/v2/summary.json", {}, {"uri": "/api/v2/summary.json"}),
]


def test_the_cloudfront_function_redirects_to_the_folder_and_serves_its_index(tmp_path):
    node = shutil.which("node")
    assert node, "node runs the CloudFront Function's test (apt-get install nodejs)"
    (function,) = blocks("js")
    script = tmp_path / "check.js"
    script.write_text(function + textwrap.dedent("""
        const cases = JSON.parse(process.argv[2]);
        const out = cases.map(([uri, qs]) => {
          const r = handler({request: {uri: uri, querystring: qs, headers: {}}});
          return r.statusCode ? {status: r.statusCode, location: r.headers.location.value} : {uri: r.uri};
        });
        console.log(JSON.stringify(out));
    """))
    result = subprocess.run([node, str(script), json.dumps([[u, q] for u, q, _ in CASES])], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    for (uri, _q, expected), got in zip(CASES, json.loads(result.stdout)):
        if "redirect" in expected:
            assert got == {"status": 301, "location": expected["redirect"]}, uri
        else:
            assert got == expected, uri


# --- every command line --------------------------------------------------------------------


AWS_SHIM = '''#!{python}
"""`aws s3api create-bucket`, as docs/deploy.md writes it, against $AWS_ENDPOINT_URL."""
import sys, boto3
args = sys.argv[1:]
assert args[:2] == ["s3api", "create-bucket"], args
opts = dict(zip(args[2::2], args[3::2]))
s3 = boto3.client("s3", endpoint_url=__import__("os").environ["AWS_ENDPOINT_URL"], region_name=opts["--region"])
config = dict(kv.split("=", 1) for kv in opts.get("--create-bucket-configuration", "").split(",") if kv)
s3.create_bucket(Bucket=opts["--bucket"], CreateBucketConfiguration=config)
'''


def command_lines() -> list[str]:
    lines = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.startswith("#"):
                lines.append(line)
    return lines


@pytest.fixture
def moto_servers():
    from moto.server import ThreadedMotoServer

    servers = [ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False) for _ in range(2)]
    for server in servers:
        server.start()
    urls = ["http://%s:%d" % server.get_host_and_port() for server in servers]
    import urllib.request

    # One process, one moto backend: start from an empty one (the servers are two endpoints).
    urllib.request.urlopen(urllib.request.Request(urls[0] + "/moto-api/reset", method="POST"), timeout=10).read()
    yield urls
    for server in servers:
        server.stop()


def aws_env(endpoint: str | None = None) -> dict:
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return {**env, "AWS_ENDPOINT_URL": endpoint} if endpoint else env


def new_site(tmp_path: Path) -> Path:
    site = tmp_path / "status"
    assert CliRunner().invoke(main, ["init", str(site), "--no-git", "--no-lock", "--now", "2026-11-26 12:00 UTC"]).exit_code == 0
    return site


def test_every_command_line_in_the_guide_runs(tmp_path, moto_servers):
    endpoint = moto_servers[0]
    site = new_site(tmp_path)
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    (shim_dir / "aws").write_text(AWS_SHIM.format(python=sys.executable))
    (shim_dir / "aws").chmod(0o755)
    lines = command_lines()
    assert [line.split()[:2] for line in lines] == [["statusgen", "deploy"]] * 6 + [["aws", "s3api"]]
    env = {**os.environ, **aws_env(endpoint), "PATH": f"{shim_dir}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
           "SOURCE_DATE_EPOCH": "1795694400"}
    aws_line = lines[-1]
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", aws_line], cwd=site, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with open(site / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status-example-com\n    region: eu-central-1\n"
                     f"    endpoint_url: {endpoint}\n")
    for line in lines[:-1]:
        result = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=site, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
    import boto3

    s3 = boto3.client("s3", **{k: v for k, v in {"endpoint_url": endpoint, "region_name": "eu-central-1",
                                                   "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}.items()})
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="status-example-com")["Contents"]}
    assert "index.html" in keys
    assert s3.get_bucket_cors(Bucket="status-example-com")["CORSRules"][0]["ID"] == "statusgen-read"  # --setup


# --- two providers ---------------------------------------------------------------------------


def two_provider_workflow() -> str:
    generated = workflows()["deploy.yml"]
    ours = block_after("replace the step *Build and publish* with:", "yaml")
    step = re.search(r"      - name: Build and publish\n.*?statusgen deploy[^\n]*\n", generated, re.S).group(0)
    return generated.replace(step, ours)


def test_the_two_provider_workflow_passes_zizmor(tmp_path):
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "deploy.yml").write_text(two_provider_workflow())
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--no-progress", str(tmp_path / ".github")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("primary_works", [True, False])
def test_the_two_provider_workflow_publishes_to_both(tmp_path, moto_servers, primary_works):
    import boto3

    aws_endpoint, backup_endpoint = moto_servers
    site = new_site(tmp_path)
    for example in (site / "content" / "incidents").glob("*.md"):
        example.unlink()
    backup_s3 = boto3.client("s3", endpoint_url=backup_endpoint, region_name="us-east-1",
                             aws_access_key_id="backupkey", aws_secret_access_key="backupsecret")
    backup_s3.create_bucket(Bucket="status-backup")
    aws_s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    if primary_works:
        aws_s3.create_bucket(Bucket="status-example-com")
    with open(site / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status-example-com\n    endpoint_url: {aws_endpoint}\n"
                     f"  - name: backup\n    bucket: status-backup\n    region: auto\n    endpoint_url: {backup_endpoint}\n")
    workflow = tmp_path / "deploy.yml"
    workflow.write_text(two_provider_workflow())
    role = {"AWS_ACCESS_KEY_ID": "ASIAROLE", "AWS_SECRET_ACCESS_KEY": "rolesecret", "AWS_SESSION_TOKEN": "role-session",
            "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1"}
    runner = Runner(cwd=site, tmp=tmp_path, on_uses=lambda step, env: role if "configure-aws" in step["uses"] else None,
                    env=clean_env(BIN, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                                  SOURCE_DATE_EPOCH="1795694400"),
                    variables={"STATUSGEN_AWS_ROLE_ARN": "arn:aws:iam::1:role/r", "AWS_REGION": "eu-central-1",
                               "BACKUP_ACCESS_KEY_ID": "backupkey", "BACKUP_SECRET_ACCESS_KEY": "backupsecret"})
    runner.run_workflow(workflow, check=False)
    by_name = {r.step.get("name"): r for r in runner.ran if r.result}
    primary, backup = by_name["Publish to AWS"], by_name["Publish to the backup"]
    assert (primary.result.returncode == 0) is primary_works, primary.result.stderr
    assert backup.result.returncode == 0, backup.result.stderr  # runs, and publishes, even when the first failed
    assert backup.env["AWS_SESSION_TOKEN"] == "" and backup.env["AWS_ACCESS_KEY_ID"] == "backupkey"
    assert "index.html" in {o["Key"] for o in backup_s3.list_objects_v2(Bucket="status-backup")["Contents"]}
    if primary_works:
        assert "index.html" in {o["Key"] for o in aws_s3.list_objects_v2(Bucket="status-example-com")["Contents"]}
