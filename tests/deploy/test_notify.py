"""Notifications end to end: `statusgen deploy` publishes to moto and SeaweedFS, then tells a real HTTP
receiver (and SNS, in moto) what the page newly shows: once, after the page shows it, never a secret.

The scenarios of issue 14: the first deploy of the demo sends nothing; one update gives exactly one
message per matching channel; a redeploy sends nothing; a component filter holds; a window's start and
end are each sent once (and reminders at their time); 500 then 200 delivers once; Retry-After is
honoured; a SIGKILL mid-notify loses nothing and repeats at most one message, with its delivery id;
two targets notify once; no secret in any output or bucket object.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import ROOT
from tests.deploy.conftest import client, new_bucket
from tests.notify.shapes import SCHEMA_OF, validate
from tests.receiver import receiving

INCIDENT = "2026-11-26-delayed-email-reminders"
LEDGER = ".statusgen/notify-ledger.json"
SECRETS = {"slack": "T00000/B00000/slack-secret-path", "teams": "teams-secret-sig", "discord": "1234/discord-secret-token",
           "chat": "chat-secret-key", "mm": "mattermost-secret-hook", "hook": "hook-secret-path",
           "HOOK_SECRET": "whsec-signing-secret", "MASTODON_TOKEN": "mastodon-secret-token"}
CHANNELS = """\
notify:
  - name: slack-all
    type: slack
    url_env: SLACK_WEBHOOK_URL
  - name: teams-connections
    type: teams
    url_env: TEAMS_WEBHOOK_URL
    components: [connections]
  - name: discord-api
    type: discord
    url_env: DISCORD_WEBHOOK_URL
    components: [api]
  - name: chat
    type: google-chat
    url_env: GOOGLE_CHAT_WEBHOOK_URL
  - name: mm
    type: mattermost
    url_env: MATTERMOST_WEBHOOK_URL
  - name: hook
    type: webhook
    url_env: WEBHOOK_URL
    secret_env: WEBHOOK_SECRET
  - name: toots
    type: mastodon
    instance: {mastodon}
    token_env: MASTODON_TOKEN
"""


def env_for(rx) -> dict:
    return {
        "SLACK_WEBHOOK_URL": rx.url(f"/slack/services/{SECRETS['slack']}"),
        "TEAMS_WEBHOOK_URL": rx.url(f"/teams/workflows/invoke?sig={SECRETS['teams']}"),
        "DISCORD_WEBHOOK_URL": rx.url(f"/discord/api/webhooks/{SECRETS['discord']}"),
        "GOOGLE_CHAT_WEBHOOK_URL": rx.url(f"/chat/v1/spaces/AAA/messages?key={SECRETS['chat']}&token=t"),
        "MATTERMOST_WEBHOOK_URL": rx.url(f"/mm/hooks/{SECRETS['mm']}"),
        "WEBHOOK_URL": rx.url(f"/hook/{SECRETS['hook']}"),
        "WEBHOOK_SECRET": SECRETS["HOOK_SECRET"],
        "MASTODON_TOKEN": SECRETS["MASTODON_TOKEN"],
    }


ROUTES = {"/slack": "slack", "/teams": "teams", "/discord": "discord", "/chat": "google-chat", "/mm": "mattermost",
          "/api/v1/statuses": "mastodon", "/hook": "webhook"}


def demo_site(tmp_path, rx, targets: str, channels: str = CHANNELS) -> Path:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site / "content")
    with open(site / "content" / "site.yaml", "a") as handle:
        handle.write(targets + channels.replace("{mastodon}", rx.url("")))
    return site


def one_target(bucket: str, endpoint: str, prefix: str = "status") -> str:
    return f"deploy:\n  - name: primary\n    bucket: {bucket}\n    endpoint_url: {endpoint}\n    prefix: {prefix}\n"


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def deploy(site, now, env, *extra):
    return cli("deploy", site, "--now", now, *extra, env=env)


def resolve(site, text, at):
    result = cli("resolve", INCIDENT, text, "--site", site, "--now", at)
    assert result.exit_code == 0, result.output


def ledger_of(endpoint, bucket, prefix="status", ca_file=None) -> dict:
    key = f"{prefix}/{LEDGER}" if prefix else LEDGER
    return json.loads(client(endpoint, ca_file).get_object(Bucket=bucket, Key=key)["Body"].read())


def test_the_demo_first_deploy_sends_nothing_then_one_message_per_matching_channel_then_nothing(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        site = demo_site(tmp_path, rx, one_target(bucket, moto_url))
        env = env_for(rx)
        first = deploy(site, "2026-11-26 12:00 UTC", env)
        assert first.exit_code == 0, first.output
        assert rx.requests == []
        assert "slack-all: new channel: the 7 changes the page already shows recorded, none sent (no flood)" in first.output
        assert set(ledger_of(moto_url, bucket)["channels"]) == {"slack-all", "teams-connections", "discord-api", "chat", "mm",
                                                               "hook", "toots"}

        # The page must show the change before anyone is told: look at the bucket when each message arrives.
        s3 = client(moto_url)
        shown_first = []

        def published(request):
            page = s3.get_object(Bucket=bucket, Key=f"status/incidents/{INCIDENT}.json")["Body"].read()
            shown_first.append(b"All reminders are out." in page)
            return b"ok"

        for route in ROUTES:
            rx.answer(route, (200, {}, published))
        resolve(site, "All reminders are out.", "2026-11-26 12:05 UTC")
        second = deploy(site, "2026-11-26 12:06 UTC", env)
        assert second.exit_code == 0, second.output
        got = sorted(ROUTES[next(r for r in ROUTES if q.path.startswith(r))] for q in rx.requests)
        assert got == ["google-chat", "mastodon", "mattermost", "slack", "teams", "webhook"]  # not discord: api only
        for request in rx.requests:
            kind = ROUTES[next(r for r in ROUTES if request.path.startswith(r))]
            if kind in SCHEMA_OF:
                assert validate(SCHEMA_OF[kind], request.json) == [], kind
            assert request.header("X-Statusgen-Delivery") == (
                "tag:status.hourglass.example,2026-11-26:/incidents/2026-11-26-delayed-email-reminders/update-20261126t120500z")
        assert "slack-all: sent [Resolved] Delayed email reminders" in second.output
        hook = rx.requests_to("/hook")[0].json
        assert hook["incident"]["status"] == "resolved" and hook["page"]["status_indicator"] == "none"
        count = len(rx.requests)

        third = deploy(site, "2026-11-26 12:07 UTC", env)
        assert third.exit_code == 0 and len(rx.requests) == count
        assert "notify: nothing new to tell" in third.output
        assert shown_first == [True] * 6  # every message arrived after the page showed the update


WINDOW_SITE = {
    "2026-12-02-db": """\
        ---
        title: Database upgrade
        type: maintenance
        components: [api]
        start: 2026-12-02 12:00 UTC
        end: 2026-12-02 13:00 UTC
        ---
        ## 2026-12-01 09:00 UTC — Scheduled
        We upgrade the database.
        """,
}


def scratch_site(tmp_path, targets: str, channels: str, incidents=WINDOW_SITE) -> Path:
    from tests.scratch import write_site

    return write_site(tmp_path / "site", incidents, extra_site=targets + channels)


def test_a_window_start_and_end_and_a_reminder_are_each_sent_once_at_their_time(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        channels = "notify:\n  - name: ops\n    type: slack\n    url_env: OPS\n    reminders: [1h]\n"
        site = scratch_site(tmp_path, one_target(bucket, moto_url), channels)
        env = {"OPS": rx.url("/ops")}
        due = cli("next-change", site, "--now", "2026-12-02 10:00 UTC", "--due-within", "5m", "--lookback", "65m")
        assert due.exit_code == 1 and due.stdout.strip() == "2026-12-02T11:00:00Z"  # the reminder, not yet due
        assert "the 1h reminder for 2026-12-02-db is due" in due.stderr
        assert cli("next-change", site, "--now", "2026-12-02 10:58 UTC", "--due-within", "3m").exit_code == 0
        sent = []
        for now in ("2026-12-02 10:00", "2026-12-02 11:00:30", "2026-12-02 11:30", "2026-12-02 12:00:30",
                    "2026-12-02 12:10", "2026-12-02 13:00:30", "2026-12-02 13:30"):
            result = deploy(site, now + " UTC", env)
            assert result.exit_code == 0, result.output
            sent.append([r.json["blocks"][1]["elements"][0]["text"].split(" · ")[0] for r in rx.requests[len(sum(sent, [])):]])
        assert sent == [[], ["Scheduled"], [], ["In progress"], [], ["Completed"], []]
        texts = [r.json["blocks"][2]["text"]["text"] for r in rx.requests]
        assert texts == ["Starts in 1 hour.\n\nWe upgrade the database.", "The maintenance window has opened.",
                         "The maintenance window has closed."]
        assert len({r.header("X-Statusgen-Delivery") for r in rx.requests}) == 3


def add_update(site, text: str) -> None:
    """Append an update at 10:05 UTC to the scratch site's maintenance notice."""
    path = site / "content" / "incidents" / "2026-12-02-db.md"
    path.write_text(path.read_text() + f"\n## 2026-12-01 10:05 UTC — Update\n{text}\n")


def test_500_then_200_on_the_next_deploy_delivers_exactly_once_and_fails_the_deploy_meanwhile(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        channels = ("notify:\n  - name: ops\n    type: slack\n    url_env: OPS\n"
                    "  - name: fine\n    type: mattermost\n    url_env: FINE\n")
        site = scratch_site(tmp_path, one_target(bucket, moto_url), channels)
        env = {"OPS": rx.url("/ops/secret-ops-token"), "FINE": rx.url("/fine")}
        assert deploy(site, "2026-12-01 10:00 UTC", env).exit_code == 0
        add_update(site, "The window is confirmed.")
        rx.answer("/ops", *[(500, {}, b"")] * 3)
        failed = deploy(site, "2026-12-01 10:06 UTC", env)
        assert failed.exit_code == 1
        lines = failed.output.strip().splitlines()
        assert lines[-3:] == [
            "ops: FAILED: HTTP 500 Internal Server Error after 3 attempts; 1 message not sent, the next run sends them",
            "fine: sent [Scheduled] Database upgrade",
            "Error: notify failed for 1 channel(s): ops",
        ]
        assert "primary: " in failed.output and " uploaded" in failed.output  # published all the same
        assert "secret-ops-token" not in failed.output
        again = deploy(site, "2026-12-01 10:30 UTC", env)
        assert again.exit_code == 0, again.output
        ops = rx.requests_to("/ops")
        assert [r for r in ops] and len(ops) == 4  # three failures, one delivery
        assert len({r.header("X-Statusgen-Delivery") for r in ops}) == 1
        assert len(rx.requests_to("/fine")) == 1
        assert deploy(site, "2026-12-01 10:31 UTC", env).exit_code == 0 and len(rx.requests) == 5


def test_429_with_retry_after_is_honoured(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        site = scratch_site(tmp_path, one_target(bucket, moto_url), "notify:\n  - name: ops\n    type: discord\n    url_env: OPS\n")
        env = {"OPS": rx.url("/ops")}
        assert deploy(site, "2026-12-01 09:30 UTC", env).exit_code == 0
        add_update(site, "Confirmed.")
        rx.answer("/ops", (429, {"Retry-After": "2", "Content-Type": "application/json"}, b'{"retry_after": 2.0}'))
        result = deploy(site, "2026-12-01 10:06 UTC", env)
        assert result.exit_code == 0, result.output
        assert len(rx.requests) == 2, [(r.path, r.body[:300]) for r in rx.requests]
        first, second = rx.requests
        assert second.at - first.at >= 2.0 and "ops: waited 2 s before retrying" in result.output


KILL_SCRIPT = """
import sys
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_mid_notify_then_a_rerun_loses_nothing_and_repeats_at_most_one(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        channels = ("notify:\n  - name: ops\n    type: slack\n    url_env: OPS\n"
                    "  - name: hook\n    type: webhook\n    url_env: HOOK\n    secret_env: HOOK_SECRET\n")
        site = scratch_site(tmp_path, one_target(bucket, moto_url), channels)
        env = {**os.environ, "OPS": rx.url("/ops"), "HOOK": rx.url("/hook"), "HOOK_SECRET": "s"}
        assert deploy(site, "2026-12-01 09:30 UTC", env).exit_code == 0
        path = site / "content" / "incidents" / "2026-12-02-db.md"
        path.write_text(path.read_text() + "\n## 2026-12-01 10:05 UTC — Update\nConfirmed.\n"
                        "\n## 2026-12-01 10:10 UTC — Update\nStill confirmed.\n")
        rx.hold()
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, "deploy", str(site), "--now", "2026-12-01 10:15 UTC"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert rx.arrived.wait(120), proc.communicate(timeout=5)
            proc.send_signal(signal.SIGKILL)  # while the receiver holds the first message
            proc.wait(10)
        finally:
            rx.release()
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL
        held = rx.requests[0].header("X-Statusgen-Delivery")
        pending = ledger_of(moto_url, bucket)["channels"]["ops"]["pending"]
        assert held in pending  # recorded before it was sent
        rerun = deploy(site, "2026-12-01 10:20 UTC", env)
        assert rerun.exit_code == 0, rerun.output
        for route in ("/ops", "/hook"):
            ids = [r.header("X-Statusgen-Delivery") for r in rx.requests_to(route)]
            assert len(set(ids)) == 2, (route, ids)  # both updates arrived: none lost
            repeated = [i for i in set(ids) if ids.count(i) > 1]
            assert repeated == ([held] if route == "/ops" else []), (route, ids)  # the held one, with its id
            assert all(ids.count(i) <= 2 for i in ids)
        ledger = ledger_of(moto_url, bucket)["channels"]
        assert not ledger["ops"]["pending"] and not ledger["hook"]["pending"]


@pytest.mark.seaweedfs
def test_two_targets_notify_once_and_the_ledger_survives_stale_deletes(seaweed, moto_url, tmp_path):
    first, second = new_bucket(seaweed.http_url), new_bucket(moto_url)
    targets = (f"deploy:\n  - name: primary\n    bucket: {first}\n    endpoint_url: {seaweed.http_url}\n    prefix: status\n"
               f"  - name: backup\n    bucket: {second}\n    endpoint_url: {moto_url}\n")
    with receiving() as rx:
        site = demo_site(tmp_path, rx, targets)
        env = env_for(rx)
        assert deploy(site, "2026-11-26 12:00 UTC", env).exit_code == 0
        resolve(site, "All reminders are out.", "2026-11-26 12:05 UTC")
        result = deploy(site, "2026-11-26 12:06 UTC", env)
        assert result.exit_code == 0, result.output
        assert len(rx.requests) == 6 and len({r.path.split("?")[0] for r in rx.requests}) == 6  # once per channel
        # A deploy that deletes stale pages keeps the ledger, in the first target only.
        (site / "content" / "incidents" / "2026-11-19-asana-sync-failing.md").unlink()
        result = deploy(site, "2026-11-26 12:10 UTC", env)
        assert result.exit_code == 0 and " 0 deleted" not in result.output.splitlines()[0], result.output
        assert len(rx.requests) == 6
        assert ledger_of(seaweed.http_url, first)["channels"]["hook"]["sent"]
        keys = {o["Key"] for o in client(moto_url).list_objects_v2(Bucket=second)["Contents"]}
        assert LEDGER not in keys and ".statusgen/manifest.json" in keys


def all_objects(endpoint, bucket) -> bytes:
    s3 = client(endpoint)
    out = b""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", ()):
            out += s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


def test_no_secret_appears_in_any_output_log_or_bucket_object(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        site = demo_site(tmp_path, rx, one_target(bucket, moto_url))
        env = env_for(rx)
        # Hostile answers that echo the request (and its secret path) back.
        echo = (404, {}, lambda request: f"no such hook {request.path} {request.headers}".encode())
        outputs = [deploy(site, "2026-11-26 12:00 UTC", env)]
        resolve(site, "All reminders are out.", "2026-11-26 12:05 UTC")
        for route in ("/slack", "/hook", "/api/v1/statuses"):
            rx.answer(route, echo)
        outputs.append(deploy(site, "2026-11-26 12:06 UTC", env))
        assert outputs[-1].exit_code == 1
        missing = {k: v for k, v in env.items() if k != "WEBHOOK_SECRET"}
        outputs.append(deploy(site, "2026-11-26 12:07 UTC", missing))
        outputs.append(cli("notify", site, "--dry-run", "--now", "2026-11-26 12:08 UTC", env=env))
        outputs.append(cli("notify", site, "--test", "hook", "--now", "2026-11-26 12:08 UTC", env=env))
        outputs.append(cli("check", site, "--now", "2026-11-26 12:08 UTC", env=env))
        outputs.append(deploy(site, "2026-11-26 12:09 UTC", env))
        assert outputs[-1].exit_code == 0, outputs[-1].output
        text = "\n".join(r.output + (r.stderr or "") for r in outputs)
        assert "sent [Resolved] Delayed email reminders" in text and "FAILED: HTTP 404" in text
        stored = all_objects(moto_url, bucket)
        for name, secret in SECRETS.items():
            assert secret not in text, name
            assert secret.encode() not in stored, name
        assert LEDGER.encode() not in stored  # (the key is not in any object either, only in the listing)


def test_sns_publishes_a_subject_a_body_and_component_attributes_a_filter_policy_can_pick(moto_url, tmp_path):
    sns = boto3.client("sns", endpoint_url=moto_url, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    topic = sns.create_topic(Name=f"status-{tmp_path.name[-8:]}")["TopicArn"]
    queues = {}
    for name, policy in (("everything", None), ("api-only", {"components": ["api"]}), ("connections", {"components": ["connections"]})):
        url = sqs.create_queue(QueueName=f"{name}-{tmp_path.name[-8:]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes = {"FilterPolicy": json.dumps(policy)} if policy else {}
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        queues[name] = url
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        channels = (f"notify:\n  - name: email\n    type: sns\n    topic_arn: {topic}\n    region: us-east-1\n"
                    f"    endpoint_url: {moto_url}\n")
        site = demo_site(tmp_path, rx, one_target(bucket, moto_url), channels)
        assert deploy(site, "2026-11-26 12:00 UTC", {}).exit_code == 0
        resolve(site, "All reminders are out.", "2026-11-26 12:05 UTC")
        result = deploy(site, "2026-11-26 12:06 UTC", {})
        assert result.exit_code == 0 and "email: sent [Resolved] Delayed email reminders" in result.output, result.output

    def received(name):
        return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queues[name], MaxNumberOfMessages=10,
                                                                  WaitTimeSeconds=1).get("Messages", [])]

    (note,) = received("everything")
    assert note["Subject"] == "[Resolved] Delayed email reminders"
    assert note["Message"].startswith("[Resolved] Delayed email reminders\nHourglass Status\nResolved · Thu 2026-11-26 12:05 UTC")
    assert "All reminders are out." in note["Message"]
    assert note["Message"].endswith("https://status.hourglass.example/incidents/2026-11-26-delayed-email-reminders/")
    attributes = note["MessageAttributes"]
    assert json.loads(attributes["components"]["Value"]) == ["email-notifications", "connections"]
    assert attributes["component.email-notifications"]["Value"] == "degraded_performance"
    assert received("api-only") == []
    assert len(received("connections")) == 1


def test_a_corrupt_ledger_stops_the_notifications_with_one_clear_line_and_the_page_is_still_published(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    with receiving() as rx:
        site = scratch_site(tmp_path, one_target(bucket, moto_url), "notify:\n  - name: ops\n    type: slack\n    url_env: OPS\n")
        client(moto_url).put_object(Bucket=bucket, Key=f"status/{LEDGER}", Body=b"{not json")
        result = deploy(site, "2026-12-01 10:00 UTC", {"OPS": rx.url("/ops")})
        assert result.exit_code == 1 and rx.requests == []
        assert result.output.strip().splitlines()[-1] == (
            f"Error: the notification ledger s3://{bucket}/status/{LEDGER} is not readable (Expecting property name "
            "enclosed in double quotes: line 1 column 2 (char 1)); nothing was sent. Delete it to start afresh: the next "
            "deploy then records what the page shows without sending it")
        assert "primary: " in result.output and " uploaded" in result.output


def test_deploying_some_targets_records_with_the_first_and_notify_sends_after_the_rest(moto_url, tmp_path):
    first, second = new_bucket(moto_url), new_bucket(moto_url)
    targets = (f"deploy:\n  - name: primary\n    bucket: {first}\n    endpoint_url: {moto_url}\n"
               f"  - name: backup\n    bucket: {second}\n    endpoint_url: {moto_url}\n")
    with receiving() as rx:
        site = scratch_site(tmp_path, targets, "notify:\n  - name: ops\n    type: slack\n    url_env: OPS\n")
        env = {"OPS": rx.url("/ops")}
        assert deploy(site, "2026-12-01 08:00 UTC", env).exit_code == 0
        dry = deploy(site, "2026-12-01 09:30 UTC", env, "--dry-run")  # the announcement at 09:00 is new
        assert dry.exit_code == 0 and "ops: would send [Scheduled] Database upgrade" in dry.output
        assert "notify: 1 message would be sent (dry run, nothing sent or recorded)" in dry.output
        backup = deploy(site, "2026-12-01 09:30 UTC", env, "--target", "backup")
        assert "notify: nothing recorded or sent: the ledger lives with the first target (primary)" in backup.output
        early = cli("notify", site, "--now", "2026-12-01 09:31 UTC", env=env)
        assert early.exit_code == 0 and "nothing new to tell" in early.output and rx.requests == []  # not published yet
        primary = deploy(site, "2026-12-01 09:32 UTC", env, "--target", "primary")
        assert primary.exit_code == 0 and rx.requests == []
        assert "notify: recording what the page shows; `statusgen notify` sends it once every target is published" in primary.output
        sent = cli("notify", site, "--now", "2026-12-01 09:33 UTC", env=env)
        assert sent.exit_code == 0 and "ops: sent [Scheduled] Database upgrade" in sent.output
        assert len(rx.requests) == 1
        assert cli("notify", site, "--now", "2026-12-01 09:34 UTC", env=env).exit_code == 0 and len(rx.requests) == 1
