"""Sending through a real HTTP receiver: retries with back-off, Retry-After, no redirects, signatures, no secrets."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from generator.notify.channels import Channel
from generator.notify.delivery import Retry, Transport, retry_after, sign
from generator.notify.formats import Outgoing
from tests.receiver import receiving

WALL = 1795694400.0  # 2026-11-26 12:00 UTC
BODY = Outgoing(b'{"text":"hi"}', (("Content-Type", "application/json"),))
HOOK = Channel(name="hook", type="webhook", url_env="HOOK_URL", secret_env="HOOK_SECRET")
SLACK = Channel(name="ops", type="slack", url_env="SLACK_WEBHOOK_URL")


@pytest.fixture
def rx():
    with receiving() as receiver:
        yield receiver


def transport(waits: list) -> Transport:
    return Transport(sleep=waits.append, wall=lambda: WALL)


def test_500_then_200_is_delivered_after_a_back_off(rx):
    rx.answer("/h", (500, {}, b"oops"), (502, {}, b""))
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": rx.url("/h")}, "id-1")
    assert outcome.ok and outcome.attempts == 3 and waits == [2.0, 4.0]
    assert [r.header("X-Statusgen-Delivery") for r in rx.requests] == ["id-1"] * 3  # the same delivery each time
    assert all(r.body == BODY.body for r in rx.requests)


def test_three_failures_give_up_with_one_clear_reason(rx):
    rx.answer("/h", *[(503, {}, b"")] * 3)
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": rx.url("/h")}, "id")
    assert not outcome.ok and outcome.reason == "HTTP 503 Service Unavailable after 3 attempts"
    assert len(rx.requests) == 3 and waits == [2.0, 4.0]


@pytest.mark.parametrize("header,expected", [
    ("7", 7.0),
    (format_datetime(datetime.fromtimestamp(WALL + 30, timezone.utc), usegmt=True), 30.0),
])
def test_429_retry_after_is_honoured_in_seconds_or_as_a_date(rx, header, expected):
    rx.answer("/h", (429, {"Retry-After": header}, b"slow down"))
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": rx.url("/h")}, "id")
    assert outcome.ok and waits == [expected]


def test_a_retry_after_beyond_the_cap_is_left_to_the_next_deploy(rx):
    rx.answer("/h", (429, {"Retry-After": "3600"}, b""))
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": rx.url("/h")}, "id")
    assert not outcome.ok and waits == [] and len(rx.requests) == 1
    assert "it asked to wait 3600 s; the next deploy retries" in outcome.reason


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_a_client_error_is_not_retried(rx, status):
    rx.answer("/h", (status, {}, b"invalid_token"))
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": rx.url("/h")}, "id")
    assert not outcome.ok and len(rx.requests) == 1 and waits == []
    assert outcome.reason.startswith(f"HTTP {status}") and "(invalid_token)" in outcome.reason


def test_a_redirect_is_not_followed(rx):
    rx.answer("/h", (301, {"Location": rx.url("/elsewhere")}, b""))
    outcome = transport([]).send(SLACK, BODY, {"url": rx.url("/h")}, "id")
    assert not outcome.ok and "redirected" in outcome.reason
    assert [r.path for r in rx.requests] == ["/h"]


def test_an_unreachable_service_is_retried_then_explained():
    waits = []
    outcome = transport(waits).send(SLACK, BODY, {"url": "http://127.0.0.1:9/hook"}, "id")
    assert not outcome.ok and waits == [2.0, 4.0]
    assert outcome.reason.startswith("cannot reach the service:") and outcome.reason.endswith("after 3 attempts")


def test_no_secret_in_any_reason_even_when_the_service_echoes_it(rx):
    secret_path = "/services/T000/B000/XyZsecretToken123"
    rx.answer("/services", (404, {}, lambda request: f"no hook at {request.path}".encode()))
    outcome = transport([]).send(SLACK, BODY, {"url": rx.url(secret_path)}, "id")
    assert not outcome.ok and "XyZsecretToken123" not in outcome.reason and "***" in outcome.reason
    outcome = transport([]).send(SLACK, BODY, {"url": "ftp://x/XyZsecretToken123"}, "id")
    assert outcome.reason == "the URL in SLACK_WEBHOOK_URL is not an http:// or https:// URL"


def test_the_signature_is_hmac_sha256_of_the_time_and_the_body(rx):
    transport([]).send(HOOK, BODY, {"url": rx.url("/h"), "secret": "whsec"}, "delivery-7")
    (request,) = rx.requests
    header = request.header("X-Statusgen-Signature")
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert t == str(int(WALL))
    assert v1 == hmac.new(b"whsec", f"{t}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert header == sign("whsec", int(WALL), request.body)
    assert request.header("X-Statusgen-Delivery") == "delivery-7"
    assert request.header("User-Agent").startswith("statusgen/")


def test_mastodon_gets_the_token_as_a_bearer_and_the_statuses_path(rx):
    toots = Channel(name="toots", type="mastodon", instance=rx.url(""), token_env="MASTODON_TOKEN")
    outgoing = Outgoing(b"{}", (("Idempotency-Key", "k"),), path="/api/v1/statuses")
    assert transport([]).send(toots, outgoing, {"token": "tok"}, "id").ok
    (request,) = rx.requests
    assert request.path == "/api/v1/statuses" and request.header("Authorization") == "Bearer tok"
    assert request.header("Idempotency-Key") == "k"


def test_google_chat_keeps_the_webhooks_own_query(rx):
    chat = Channel(name="chat", type="google-chat", url_env="CHAT")
    outgoing = Outgoing(b"{}", (), query={"requestId": "abc"})
    transport([]).send(chat, outgoing, {"url": rx.url("/v1/spaces/S/messages?key=K&token=T")}, "id")
    assert rx.requests[0].path == "/v1/spaces/S/messages?key=K&token=T&requestId=abc"


def test_retry_after_parsing():
    assert retry_after("12", WALL) == 12.0
    assert retry_after("nonsense", WALL) is None and retry_after(None, WALL) is None
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT", WALL) == 0.0


def test_the_back_off_is_capped():
    waits = []
    t = Transport(sleep=waits.append, wall=lambda: WALL, retry=Retry(attempts=6, base=10, cap=25))
    outcome = t.send(SLACK, BODY, {"url": "http://127.0.0.1:9/"}, "id")
    assert not outcome.ok and waits == [10, 20, 25, 25, 25]
