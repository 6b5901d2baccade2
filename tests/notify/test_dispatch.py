"""The orchestration with a ledger in memory and a real receiver: no flood, exactly once, failures kept for later."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from generator.authoring import open_event, post_update
from generator.content import load
from generator.notify.delivery import Transport
from generator.notify.dispatch import dispatch, send_sample
from generator.notify.ledger import Ledger, MemoryStore, Record, dumps, loads
from tests.receiver import receiving
from tests.scratch import load_at, write_site

UTC = timezone.utc
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INCIDENT = """\
---
title: Slow API
components: {api: partial_outage}
---
## 2026-11-26 10:00 UTC — Investigating
Looking.
"""
CHANNELS = """\
notify:
  - name: ops
    type: slack
    url_env: OPS_URL
  - name: apps
    type: discord
    url_env: APPS_URL
    components: [apps]
  - name: hook
    type: webhook
    url_env: HOOK_URL
    secret_env: HOOK_SECRET
"""


@pytest.fixture
def rx():
    with receiving() as receiver:
        yield receiver


@pytest.fixture
def site(tmp_path):
    return write_site(tmp_path / "site", {"slow-api": INCIDENT}, extra_site=CHANNELS)


def env(rx) -> dict:
    return {"OPS_URL": rx.url("/ops"), "APPS_URL": rx.url("/apps"), "HOOK_URL": rx.url("/hook"), "HOOK_SECRET": "whsec"}


def run(site, now, store, environ, waits=None, **kw):
    content, problems = load_at(site, now)
    assert not problems.errors
    transport = Transport(sleep=(waits if waits is not None else []).append, wall=lambda: now.timestamp())
    kw.setdefault("publishing", True)
    return list(dispatch(content, now, store, environ, transport, **kw))


def update(site, status, text, at):
    post_update(open_event(site, "slow-api"), status, text, at)


def test_first_run_records_without_sending_then_one_message_per_matching_channel_then_none(site, rx):
    store = MemoryStore()
    events = run(site, T0, store, env(rx))
    assert rx.requests == []
    assert [e.text for e in events if e.channel] == [
        "ops: new channel: the 1 change the page already shows recorded, none sent (no flood)",
        "apps: new channel: the 1 change the page already shows recorded, none sent (no flood)",
        "hook: new channel: the 1 change the page already shows recorded, none sent (no flood)",
    ]
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    events = run(site, T0 + timedelta(minutes=6), store, env(rx))
    assert sorted(r.route for r in rx.requests) == ["/hook", "/ops"]  # apps: not its component
    assert [e.text for e in events if e.kind == "sent"] == ["ops: sent [Identified] Slow API", "hook: sent [Identified] Slow API"]
    ids = {r.header("X-Statusgen-Delivery") for r in rx.requests}
    assert ids == {"tag:status.example.com,2026-11-26:/incidents/slow-api/update-20261126t120500z"}
    assert run(site, T0 + timedelta(minutes=7), store, env(rx))[-1].text == "notify: nothing new to tell"
    assert len(rx.requests) == 2
    ledger = store.read()
    assert set(ledger.channels["ops"].sent) == ids and not ledger.channels["ops"].pending
    assert set(ledger.channels["apps"].skipped) >= ids  # filtered out: recorded, so a wider filter later does not replay it


class Watching(Transport):
    """Looks at the stored ledger at the moment of each send."""

    def __init__(self, store, **kw):
        super().__init__(**kw)
        self.store, self.seen = store, []

    def send(self, channel, outgoing, secrets, delivery_id):
        record = self.store.read().channels[channel.name]
        self.seen.append((channel.name, delivery_id in record.pending, delivery_id in record.sent))
        return super().send(channel, outgoing, secrets, delivery_id)


def test_each_message_is_recorded_pending_before_it_is_sent_and_sent_after(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    now = T0 + timedelta(minutes=6)
    content, _ = load_at(site, now)
    watching = Watching(store, sleep=lambda s: None, wall=lambda: now.timestamp())
    list(dispatch(content, now, store, env(rx), watching, publishing=True))
    assert watching.seen == [("ops", True, False), ("hook", True, False)]
    assert all(not r.pending for r in store.read().channels.values())


def test_a_failing_channel_keeps_its_messages_for_the_next_run_and_never_blocks_the_others(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    rx.answer("/ops", *[(500, {}, b"down")] * 3)
    waits = []
    events = run(site, T0 + timedelta(minutes=6), store, env(rx), waits)
    failed = [e for e in events if not e.ok]
    assert [e.text for e in failed] == ["ops: FAILED: HTTP 500 Internal Server Error (down) after 3 attempts; "
                                        "1 message not sent, the next run sends them"]
    assert waits == [2.0, 4.0] and len(rx.requests_to("/hook")) == 1
    assert list(store.read().channels["ops"].pending)  # pending: may or may not have arrived; resent next time
    events = run(site, T0 + timedelta(minutes=30), store, env(rx))
    assert [e.text for e in events if e.kind == "sent"] == ["ops: sent [Identified] Slow API"]
    assert len(rx.requests_to("/hook")) == 1  # the hook is not told twice
    delivered = [r for r in rx.requests_to("/ops")]
    assert len(delivered) == 4 and len({r.header("X-Statusgen-Delivery") for r in delivered}) == 1


def test_a_missing_environment_variable_fails_that_channel_only_and_never_shows_a_value(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    partial = {k: v for k, v in env(rx).items() if k != "HOOK_SECRET"}
    events = run(site, T0 + timedelta(minutes=6), store, partial)
    assert [e.text for e in events if not e.ok] == [
        "hook: the environment variable HOOK_SECRET is not set (or is empty); it holds the channel's secret; "
        "1 message not sent, the next run sends them"]
    assert [r.route for r in rx.requests] == ["/ops"]
    assert not store.read().channels["hook"].pending  # never attempted
    assert all(rx.url("/") not in e.text for e in events)
    run(site, T0 + timedelta(minutes=7), store, env(rx))
    assert [r.route for r in rx.requests] == ["/ops", "/hook"]


def test_notify_never_tells_of_what_the_last_deploy_did_not_publish(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "Not deployed yet.", T0 + timedelta(minutes=5))
    events = run(site, T0 + timedelta(minutes=6), store, env(rx), publishing=False)  # `statusgen notify`
    assert rx.requests == [] and events[-1].text == "notify: nothing new to tell"
    run(site, T0 + timedelta(minutes=7), store, env(rx), deliver=False)  # `deploy --no-notify`
    assert rx.requests == []
    run(site, T0 + timedelta(minutes=8), store, env(rx), publishing=False)
    assert sorted(r.route for r in rx.requests) == ["/hook", "/ops"]


def test_a_dry_run_shows_each_message_and_changes_nothing(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    before = store.data
    events = run(site, T0 + timedelta(minutes=6), store, env(rx), dry_run=True)
    previews = [e.text for e in events if e.kind == "preview"]
    assert previews[0].startswith("ops: would send [Identified] Slow API\n    [Identified] Slow API\n")
    assert "    A bad deploy." in previews[0]
    assert events[-1].text == "notify: 2 messages would be sent (dry run, nothing sent or recorded)"
    assert store.data == before and rx.requests == []


def test_messages_older_than_the_horizon_are_dropped_with_a_line(site, rx):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    rx.answer("/ops", (404, {}, b""))
    run(site, T0 + timedelta(minutes=6), store, env(rx))
    events = run(site, T0 + timedelta(days=8), store, env(rx))
    assert "ops: 1 message pending for more than 7 days dropped unsent" in [e.text for e in events]
    assert len(rx.requests_to("/ops")) == 1


def test_a_widened_filter_does_not_replay_the_past(site, rx, tmp_path):
    store = MemoryStore()
    run(site, T0, store, env(rx))
    update(site, "identified", "A bad deploy.", T0 + timedelta(minutes=5))
    run(site, T0 + timedelta(minutes=6), store, env(rx))
    text = (site / "content" / "site.yaml").read_text().replace("components: [apps]", "components: [apps, api]")
    (site / "content" / "site.yaml").write_text(text)
    run(site, T0 + timedelta(minutes=7), store, env(rx))
    assert rx.requests_to("/apps") == []


def test_a_test_message_goes_through_the_same_formats(site, rx):
    content, _ = load_at(site, T0)
    events = list(send_sample(content, "hook", T0, env(rx), Transport(sleep=lambda s: None, wall=lambda: T0.timestamp())))
    assert events[-1].text == "hook: sent a test message (tag:status.example.com,2026-11-26:/test-20261126t120000z)"
    payload = rx.requests[0].json
    assert list(payload) == ["meta", "page", "incident"] and payload["incident"]["name"] == "Test message from Scratch Status"
    assert "test of the notification channel hook" in payload["incident"]["incident_updates"][0]["body"]


def test_the_ledger_round_trips_and_refuses_what_it_does_not_know():
    ledger = Ledger(floor=T0, published={"a": T0}, channels={"ops": Record(sent={"a": T0}, pending={"b": T0})})
    assert dumps(loads(dumps(ledger))) == dumps(ledger)
    for bad in (b"[]", b'{"version": 2}', b'{"version": 1, "published": {}}', b"not json"):
        with pytest.raises(ValueError):
            loads(bad)
