"""Each service's payload: the documented shape (a JSON Schema per service), its limits, and inert content."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator.build import render_site
from generator.notify import formats
from generator.notify.channels import Channel
from generator.notify.messages import changes
from generator.status import snapshot
from tests.conftest import ROOT
from tests.notify.shapes import SCHEMA_OF, SCHEMAS, validate
from tests.scratch import load_site

UTC = timezone.utc
API = json.loads((Path(__file__).parents[1] / "schemas" / "statuspage-v2.json").read_text())
SAMPLES = ROOT.parent / "shared" / "statuspage-samples"  # shared/ sits beside the checkout, in CI too
NOW = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
HOSTILE = ("Everyone: @channel @here @all <!channel> <!here> @user@mastodon.social & <b>bold</b> "
           "*star* `tick` ``` fence [link](https://evil.example) " + "word " * 3000)
EVENTS = {
    "incident": """\
        ---
        title: Payments and the apps fail — “for some” ✨
        components: {api: major_outage, ios: partial_outage, android: degraded_performance, web: partial_outage}
        ---
        ## 2026-11-26 10:30 UTC — Identified
        A bad deploy. We roll it back.

        ## 2026-11-26 10:00 UTC — Investigating
        We are looking into it.
        """,
    "maint": """\
        ---
        title: Database upgrade
        type: maintenance
        components: [api]
        start: 2026-11-26 12:00 UTC
        end: 2026-11-26 13:00 UTC
        ---
        ## 2026-11-24 09:00 UTC — Scheduled
        We upgrade the database.
        """,
    "hostile": f"---\ntitle: {'Long title ' * 18}\ncomponents: {{web: major_outage}}\n---\n"
                  f"## 2026-11-26 11:00 UTC — Investigating\n{HOSTILE}\n",
}
CHANNELS = """\
notify:
  - name: every
    type: webhook
    url_env: U
    events: [incidents, maintenance, maintenance-starts, maintenance-ends, reminders, components]
    reminders: [1h]
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    content = load_site(tmp_path_factory.mktemp("formats") / "site", EVENTS, timezone="Europe/Berlin", extra_site=CHANNELS)
    messages = changes(content, NOW)
    kinds = {m.event for m in messages}
    assert kinds >= {"incidents", "maintenance", "maintenance-starts", "maintenance-ends", "components"}, kinds
    return content, messages


def channel(kind: str) -> Channel:
    extra = {"topic_arn": "arn:aws:sns:eu-central-1:123456789012:status"} if kind == "sns" else {}
    return Channel(name=kind, type=kind, **extra)


def test_the_schemas_are_valid_schemas():
    Draft202012Validator.check_schema(SCHEMAS)


@pytest.mark.parametrize("kind", sorted(SCHEMA_OF))
def test_every_message_has_the_documented_shape(demo, kind):
    content, messages = demo
    for m in messages:
        out = formats.render(channel(kind), m, content)
        body = json.loads(out.body)
        assert validate(SCHEMA_OF[kind], body) == [], (m.id, kind)
        assert out.body == formats.render(channel(kind), m, content).body  # byte-identical
        assert dict(out.headers)["Content-Type"].startswith("application/json")


def texts(obj) -> list[str]:
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in texts(v)]
    if isinstance(obj, list):
        return [t for v in obj for t in texts(v)]
    return [obj] if isinstance(obj, str) else []


def test_limits_hold_for_a_huge_hostile_update(demo):
    content, messages = demo
    (m,) = [m for m in messages if m.title.startswith("Long title")]
    assert len(m.text) > 15000
    slack = formats.slack(m, content)
    assert all(len(b["text"]["text"]) <= 3000 for b in slack["blocks"] if b["type"] == "section" and "text" in b)
    assert "<!channel>" not in json.dumps(slack) and "&lt;!channel&gt;" in json.dumps(slack)
    embed = formats.discord(m, content)["embeds"][0]
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"]) + sum(
        len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000
    assert len(json.dumps(formats.teams(m, content)).encode()) <= 28 * 1024
    assert len(json.dumps(formats.google_chat(m, content)).encode()) <= 32000
    for kind in ("mattermost", "mastodon"):
        shown = " ".join(texts(json.loads(formats.render(channel(kind), m, content).body)))
        assert "@channel" not in shown and "@here" not in shown and "@user@" not in shown, kind
        assert "@\u200bchannel" in shown
    status = formats.mastodon_status(m, content)
    assert formats.mastodon_length(status) <= 500 and status.endswith("\n\n" + m.url)
    assert "<b>" not in json.dumps(formats.google_chat(m, content))


def test_every_mastodon_status_fits_and_ends_with_the_link(demo):
    content, messages = demo
    for m in messages:
        status = formats.mastodon_status(m, content)
        assert formats.mastodon_length(status) <= 500 and status.endswith(m.url), status
        assert status.startswith(f"[{m.label}] ")


def test_sns_subject_is_short_ascii_and_the_attributes_let_a_policy_choose_components(demo):
    content, messages = demo
    (m,) = [m for m in messages if m.title.startswith("Payments") and m.label == "Identified"]
    args = formats.sns(m, content, "arn:aws:sns:eu-central-1:123456789012:status")
    assert args["Subject"] == '[Identified] Payments and the apps fail - "for some"'
    assert len(args["Subject"]) < 100 and args["Subject"].isascii()
    assert args["Message"].startswith("[Identified] Payments and the apps fail — “for some” ✨\n")
    assert args["Message"].endswith("\n\nhttps://status.example.com/incidents/incident/")
    attrs = args["MessageAttributes"]
    assert json.loads(attrs["components"]["StringValue"]) == ["api", "web", "ios", "apps", "android"]
    assert attrs["components"]["DataType"] == "String.Array"
    assert {k: v["StringValue"] for k, v in attrs.items() if k.startswith("component.")} == {
        "component.api": "major_outage", "component.web": "partial_outage", "component.ios": "partial_outage",
        "component.android": "degraded_performance"}
    assert attrs["event"]["StringValue"] == "incidents" and attrs["delivery_id"]["StringValue"] == m.id
    assert "MessageGroupId" not in args
    fifo = formats.sns(m, content, "arn:aws:sns:eu-central-1:123456789012:status.fifo")
    assert fifo["MessageGroupId"] == "statusgen" and len(fifo["MessageDeduplicationId"]) == 64
    long = [m for m in messages if m.title.startswith("Long title")][0]
    assert len(formats.sns(long, content, "arn:aws:sns:eu-central-1:1:s")["Subject"]) < 100


def test_the_webhook_is_statuspages_shape_with_the_apis_own_incident(demo, tmp_path):
    content, messages = demo
    sample = json.loads((SAMPLES / "webhook-incident-update.json").read_text())
    component_sample = json.loads((SAMPLES / "webhook-component-update.json").read_text())
    for m in messages:
        payload = json.loads(formats.render(channel("webhook"), m, content).body)
        if m.component:
            assert list(payload) == list(component_sample)  # meta, page, component, component_update
            assert set(payload["component_update"]) == set(component_sample["component_update"])
            errors = list(Draft202012Validator({"$ref": "#/$defs/component", "$defs": API["$defs"]}).iter_errors(payload["component"]))
            assert not errors, errors
            continue
        assert list(payload) == ["meta", "page", "incident"] == [k for k in sample if k in payload]
        assert set(payload["meta"]) == set(sample["meta"]) and list(payload["page"]) == list(sample["page"])
        # The incident object is the API's, as incidents/<id>.json said at the moment of the change.
        api = render_site(snapshot(content, m.at), tmp_path)
        assert payload["incident"] == json.loads(api[f"incidents/{m.incident.id}.json"])
        definition = "scheduled_maintenance" if m.incident.is_maintenance else "incident"
        errors = list(Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": API["$defs"]}).iter_errors(payload["incident"]))
        assert not errors, errors
        assert payload["meta"]["generated_at"] == m.at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_the_webhook_sample_itself_fits_what_we_read_from_it():
    sample = json.loads((SAMPLES / "webhook-incident-update.json").read_text())
    assert list(sample) == ["meta", "page", "incident"]
    assert list(sample["page"]) == ["id", "status_indicator", "status_description"]


def test_times_are_shown_in_utc_and_the_site_zone(demo):
    content, messages = demo
    (opened,) = [m for m in messages if m.event == "maintenance-starts"]
    assert formats.details(opened, content) == [
        "In progress · Thu 2026-11-26 12:00 UTC (13:00 CET)",
        "Window: Thu 2026-11-26 12:00–13:00 UTC (Thu 13:00–14:00 CET)",
        "Affected: API: Under maintenance",
    ]


@pytest.mark.parametrize("text,limit,expected", [
    ("short", 10, "short"),
    ("one two three four", 12, "one two…"),
    ("abcdefghijklmnop", 8, "abcdefg…"),
])
def test_cut(text, limit, expected):
    assert formats.cut(text, limit) == expected and len(formats.cut(text, limit)) <= limit
