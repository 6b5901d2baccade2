"""docs/notify.md cannot drift: every command line in it runs (statusgen against moto and a real
receiver, `aws sns` against moto's SNS), its settings example checks clean, its verifier accepts a real
signed delivery and refuses a forged or replayed one, and it names every channel type and event."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.notify.channels import EVENTS, TYPES
from generator.notify.delivery import sign
from tests.conftest import ROOT
from tests.deploy.conftest import MOTO_CREDS, moto_with_bucket
from tests.receiver import receiving

DOC = (ROOT / "docs" / "notify.md").read_text()
BIN = Path(sys.executable).parent
SHIM = '''#!{python}
"""`aws sns OPERATION --option value ...`, as docs/notify.md writes it, against $AWS_ENDPOINT_URL."""
import json, os, sys, boto3
service, operation, *rest = sys.argv[1:]
assert service == "sns", sys.argv
args = {{}}
for key, value in zip(rest[::2], rest[1::2]):
    name = "".join(part.capitalize() for part in key[2:].split("-"))
    name = {{"NotificationEndpoint": "Endpoint"}}.get(name, name)  # the AWS CLI's name for Subscribe's Endpoint
    if name == "Attributes":
        value = json.loads(value)
    args[name] = value
region = args.pop("Region")
client = boto3.client("sns", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=region)
print(json.dumps(getattr(client, operation.replace("-", "_"))(**args), default=str))
'''


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", DOC, re.S | re.M)


def command_lines() -> list[str]:
    return [line for block in blocks("sh") for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture
def moto():
    with moto_with_bucket("status") as (endpoint, s3):
        yield endpoint, s3


@pytest.fixture
def site(tmp_path, moto):
    endpoint, _ = moto
    root = tmp_path / "status"
    result = CliRunner().invoke(main, ["init", str(root), "--no-git", "--no-lock", "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code == 0, result.output
    (settings,) = blocks("yaml")
    with open(root / "content" / "site.yaml", "a") as handle:
        handle.write(f"deploy:\n  - name: primary\n    bucket: status\n    endpoint_url: {endpoint}\n" + settings)
    return root


def test_every_command_line_in_the_guide_runs(site, moto, tmp_path):
    endpoint, s3 = moto
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "aws").write_text(SHIM.format(python=sys.executable))
    (shim / "aws").chmod(0o755)
    lines = command_lines()
    assert [line.split()[:2] for line in lines] == [
        ["statusgen", "check"], ["statusgen", "notify"], ["statusgen", "notify"], ["statusgen", "deploy"],
        ["statusgen", "notify"], ["aws", "sns"], ["aws", "sns"], ["aws", "sns"]]
    with receiving() as rx:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
               "AWS_ENDPOINT_URL": endpoint, "SOURCE_DATE_EPOCH": "1795694400",
               "PATH": f"{shim}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
               "SLACK_WEBHOOK_URL": rx.url("/slack/secret")}
        outputs = {}
        for line in lines:
            result = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=site, env=env, capture_output=True,
                                    text=True, timeout=120)
            assert result.returncode == 0, (line, result.stdout, result.stderr)
            outputs[line] = result.stdout + result.stderr
        (test,) = rx.requests  # --test ops-slack; the first deploy of new channels tells nobody
        assert test.json["blocks"][0]["text"]["text"] == "Test message from Example Status"
    assert "0 errors" in outputs[lines[0]]
    assert "ops-slack: new channel" in outputs[lines[1]] and "(dry run, nothing sent or recorded)" in outputs[lines[1]]
    ledger = json.loads(s3.get_object(Bucket="status", Key=".statusgen/notify-ledger.json")["Body"].read())
    assert set(ledger["channels"]) == {"ops-slack", "customers-teams", "api-discord", "chat", "mattermost", "partners",
                                       "toots", "email"}
    sns = boto3.client("sns", endpoint_url=endpoint, **{**MOTO_CREDS, "region_name": "eu-central-1"})
    subscriptions = sns.list_subscriptions_by_topic(TopicArn="arn:aws:sns:eu-central-1:123456789012:status-updates")
    policies = [sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"].get("FilterPolicy")
                for s in subscriptions["Subscriptions"]]
    assert sorted(map(str, policies)) == sorted(["None", '{"components": ["api"]}'])


def test_the_verifier_accepts_a_real_delivery_and_refuses_forgery_and_replay(site):
    (code,) = blocks("python")
    assert len(code.strip().splitlines()) == 6  # an import, a blank line and the four lines of the function
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the documented verifier, run as a receiver would
    verify = namespace["verify"]
    with receiving() as rx:
        env = {"WEBHOOK_URL": rx.url("/partners"), "WEBHOOK_SECRET": "a-long-random-secret"}
        result = CliRunner().invoke(main, ["notify", str(site), "--test", "partners"], env=env)
        assert result.exit_code == 0, result.output
        (delivery,) = rx.requests
    header = delivery.header("X-Statusgen-Signature")
    assert verify(delivery.body, header, "a-long-random-secret")
    assert not verify(delivery.body.replace(b"Test", b"Fake"), header, "a-long-random-secret")
    assert not verify(delivery.body, header, "another-secret")
    t = int(header.split(",")[0][2:])
    assert not verify(delivery.body, sign("a-long-random-secret", t - 600, delivery.body), "a-long-random-secret")
    assert delivery.header("X-Statusgen-Delivery").startswith("tag:status.example.com,")
    assert list(delivery.json) == ["meta", "page", "incident"]


def test_the_guide_names_every_type_and_event_and_the_sns_permission():
    for name in (*TYPES, *EVENTS):
        assert f"`{name}`" in DOC, name
    (statement,) = [json.loads(b) for b in blocks("json")]
    assert statement["Action"] == "sns:Publish" and statement["Effect"] == "Allow"
    assert statement["Resource"] in DOC.split("```yaml", 1)[1].split("```", 1)[0]  # the example's topic
    assert ".statusgen/notify-ledger.json" in DOC and "s3:GetObject" in DOC and "s3:PutObject" in DOC
