"""`notify:` in site.yaml: every problem once, with its line and a did-you-mean; secrets only by name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.content import load
from generator.notify.channels import DEFAULT_EVENTS, SecretMissing, secrets
from tests.scratch import write_site

SECRET_URL = "https://h.example/not-a-real-secret"  # short: a cut-off quote would hide a leak


def check(tmp_path, notify: str):
    site = write_site(tmp_path / "site", {}, extra_site=notify)
    result = CliRunner().invoke(main, ["check", str(site), "--now", "2026-11-26 12:00 UTC"])
    return result.exit_code, result.output


def test_a_full_valid_list(tmp_path):
    site = write_site(tmp_path / "site", {}, extra_site="""\
        notify:
          - name: ops-slack
            type: slack
            url_env: SLACK_WEBHOOK_URL
          - name: apps-email
            type: sns
            topic_arn: arn:aws:sns:eu-central-1:123456789012:status
            components: [apps, api]
            events: [incidents, reminders]
            reminders: [1h, 24h, 1h]
          - name: toots
            type: mastodon
            instance: mastodon.social
            token_env: MASTODON_TOKEN
          - name: hook
            type: webhook
            url_env: HOOK_URL
            secret_env: HOOK_SECRET
        """)
    content, problems = load(site)
    assert not problems.items, [p.format_text() for p in problems.items]
    slack, email, toots, hook = content.site.notify
    assert (slack.name, slack.type, slack.url_env, slack.events) == ("ops-slack", "slack", "SLACK_WEBHOOK_URL", DEFAULT_EVENTS)
    assert email.region == "eu-central-1"  # from the topic's ARN
    assert email.components == ("apps", "api") and email.events == ("incidents", "reminders")
    assert email.reminders == (timedelta(hours=24), timedelta(hours=1))  # longest first, once each
    assert toots.instance == "https://mastodon.social"
    assert (hook.url_env, hook.secret_env) == ("HOOK_URL", "HOOK_SECRET")


@pytest.mark.parametrize("notify,expected", [
    ("notify:\n  - name: a\n    type: slak\n    url_env: U\n",
     'content/site.yaml:6:11: error: unknown notify channel type "slak" (did you mean "slack"?)'),
    ("notify:\n  - name: a\n    type: slack\n",
     'content/site.yaml:5:5: error: notify channel "a" (slack) needs "url_env"'),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n    evnts: [incidents]\n",
     'content/site.yaml:8:5: error: unknown key "evnts" in a notify channel (did you mean "events"?)'),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n    events: [incident]\n",
     'content/site.yaml:8:14: error: unknown event "incident" (did you mean "incidents"?)'),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n    components: [apii]\n",
     'content/site.yaml:8:18: error: unknown component "apii" in notify channel "a" (did you mean "api"?)'),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n    reminders: [24]\n",
     "content/site.yaml:8:17: error: a reminder needs a unit: write 24h, 24d or 24m"),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n    token_env: T\n",
     'content/site.yaml:8:5: error: "token_env" does not apply to a slack channel; it takes url_env'),
    ("notify:\n  - name: a\n    type: sns\n    topic_arn: arn:aws:sns:eu-central-1:123456789012:t\n    region: us-east-1\n",
     "content/site.yaml:8:13: error: region us-east-1 is not the topic's region (eu-central-1)"),
    ("notify:\n  - name: a\n    type: slack\n    url_env: U\n  - name: a\n    type: teams\n    url_env: V\n",
     'content/site.yaml:8:11: error: notify channel name "a" is used twice'),
    ("notify:\n  name: a\n", 'content/site.yaml:5:3: error: "notify" must be a list of channels'),
    ("notify:\n  - name: a\n    type: mastodon\n    instance: not a host\n    token_env: T\n",
     "content/site.yaml:7:15: error: instance must be the Mastodon server"),
])
def test_each_problem_names_its_line(tmp_path, notify, expected):
    code, output = check(tmp_path, notify)
    assert code == 1
    assert expected in output, output


@pytest.mark.parametrize("notify", [
    f"notify:\n  - name: a\n    type: slack\n    url_env: {SECRET_URL}\n",
    f"notify:\n  - name: a\n    type: slack\n    url: {SECRET_URL}\n",
    f"notify:\n  - name: a\n    type: slack\n    url_env: U\n    webhook_url: {SECRET_URL}\n",
    f"notify:\n  - name: {SECRET_URL}\n    type: slack\n    url_env: U\n",
])
def test_a_secret_written_into_site_yaml_is_refused_and_never_repeated(tmp_path, notify):
    code, output = check(tmp_path, notify)
    assert code == 1
    assert "not-a-real-secret" not in output, output
    assert "secrets never sit in site.yaml" in output or "needs a name" in output, output


def test_secrets_come_from_the_environment_and_a_missing_one_names_only_the_variable(tmp_path):
    site = write_site(tmp_path / "site", {}, extra_site=(
        "notify:\n  - name: hook\n    type: webhook\n    url_env: HOOK_URL\n    secret_env: HOOK_SECRET\n"))
    content, _ = load(site)
    (hook,) = content.site.notify
    assert secrets(hook, {"HOOK_URL": "https://x.example/h", "HOOK_SECRET": "s"}) == {"url": "https://x.example/h", "secret": "s"}
    with pytest.raises(SecretMissing) as missing:
        secrets(hook, {"HOOK_URL": "https://x.example/h", "HOOK_SECRET": "  "})  # GitHub passes an unset secret as ""
    assert missing.value.message == ("hook: the environment variable HOOK_SECRET is not set (or is empty); "
                                     "it holds the channel's secret")
