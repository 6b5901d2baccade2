"""Sending one payload: an HTTP POST (urllib) or an SNS Publish (botocore), with retries.

Three attempts, backing off exponentially (capped); a 429 or 503 with
`Retry-After` (seconds or an HTTP date) waits what it asks, up to a cap, and a
longer wait is left to the next deploy. 4xx answers other than 408, 425 and
429 are not retried: the URL or the token is wrong, and asking again will not
fix it. Redirects are not followed (a POST must not turn into a GET
elsewhere). The sleeper and the wall clock are handed in by the CLI, so
tests run fast and still see every wait that was asked for.

No message leaves this module with a secret in it: every value read from a
channel's environment variables (and the URL's path and query, where tokens
hide) is blanked out of error text.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable, Mapping

from generator import __version__
from generator.notify.channels import Channel
from generator.notify.formats import Outgoing
from generator.terminal import printable

RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
SIGNATURE_HEADER = "X-Statusgen-Signature"
DELIVERY_HEADER = "X-Statusgen-Delivery"
USER_AGENT = f"statusgen/{__version__} (+https://github.com/statusgen/statusgen)"


@dataclass(frozen=True)
class Retry:
    attempts: int = 3
    base: float = 2.0  # seconds before the second attempt; doubled for each one after
    cap: float = 30.0  # the longest back-off
    retry_after_cap: float = 120.0  # the longest Retry-After honoured; a longer one is left to the next deploy
    timeout: float = 15.0  # per request


@dataclass
class Outcome:
    ok: bool
    attempts: int = 0
    waits: list[float] = field(default_factory=list)  # seconds slept before each retry
    reason: str = ""  # why it failed (never holding a secret)
    status: int | None = None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver checks both."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as an error, and is reported


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Transport:
    """Where requests go. `sleep` and `wall` (seconds since 1970, for signatures and HTTP dates) come from the CLI."""

    def __init__(self, sleep: Callable[[float], None], wall: Callable[[], float], retry: Retry = Retry(),
                 sns_client: Callable | None = None):
        self.sleep = sleep
        self.wall = wall
        self.retry = retry
        self.sns_client = sns_client or _sns_client
        self._opener = urllib.request.build_opener(_NoRedirect)

    # -- HTTP --------------------------------------------------------------------------
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with self._opener.open(request, timeout=self.retry.timeout) as reply:
                return Reply(reply.status, dict(reply.headers.items()), reply.read(4096))
        except urllib.error.HTTPError as exc:
            data = exc.read(4096) if exc.fp else b""
            return Reply(exc.code, dict(exc.headers.items()) if exc.headers else {}, data)

    def send(self, channel: Channel, outgoing: Outgoing, secrets: Mapping[str, str], delivery_id: str) -> Outcome:
        if outgoing.sns is not None:
            return self._publish(channel, outgoing.sns, delivery_id)
        base = secrets["url"] if "url" in secrets else channel.instance
        url = _url(base, outgoing)
        redact = _Redactor(secrets, url)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            var = channel.url_env or "the instance"
            return Outcome(False, reason=f"the URL in {var} is not an http:// or https:// URL")
        outcome = Outcome(False)
        for attempt in range(1, self.retry.attempts + 1):
            headers = {"User-Agent": USER_AGENT, **dict(outgoing.headers), DELIVERY_HEADER: delivery_id}
            if "token" in secrets:
                headers["Authorization"] = f"Bearer {secrets['token']}"
            if "secret" in secrets:
                # Signed at each attempt: the receiver's replay window counts from the send.
                headers[SIGNATURE_HEADER] = sign(secrets["secret"], int(self.wall()), outgoing.body)
            outcome.attempts = attempt
            wait = None
            try:
                reply = self.post(url, outgoing.body, headers)
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
                reason = getattr(exc, "reason", exc)
                outcome.reason = redact(f"cannot reach the service: {reason}")
                outcome.status = None
            else:
                if 200 <= reply.status < 300:
                    outcome.ok, outcome.status, outcome.reason = True, reply.status, ""
                    return outcome
                outcome.status = reply.status
                outcome.reason = redact(_describe(reply, channel))
                if reply.status not in RETRYABLE:
                    return outcome
                wait = retry_after(_header(reply.headers, "Retry-After"), self.wall())
                if wait is not None and wait > self.retry.retry_after_cap:
                    outcome.reason += f" (it asked to wait {wait:.0f} s; the next deploy retries)"
                    return outcome
            if attempt == self.retry.attempts:
                break
            if wait is None:
                wait = min(self.retry.cap, self.retry.base * 2 ** (attempt - 1))
            outcome.waits.append(wait)
            self.sleep(wait)
        outcome.reason += f" after {outcome.attempts} attempt{'s' * (outcome.attempts != 1)}"
        return outcome

    # -- SNS ---------------------------------------------------------------------------
    def _publish(self, channel: Channel, args: dict, delivery_id: str) -> Outcome:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

        try:
            client = self.sns_client(channel, self.retry.attempts)
            client.publish(TopicArn=channel.topic_arn, **args)
            return Outcome(True, attempts=1)
        except (NoCredentialsError, PartialCredentialsError):
            return Outcome(False, 1, reason="no AWS credentials found for SNS (the standard AWS chain: "
                                            "environment, profile, SSO, role)")
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            if code in ("AuthorizationError", "AccessDenied", "AccessDeniedException"):
                return Outcome(False, 1, reason=f"SNS denied Publish on {channel.topic_arn}: the role needs "
                                                 "sns:Publish on the topic (statusgen docs notify)")
            if code in ("NotFound", "NotFoundException"):
                return Outcome(False, 1, reason=f"no SNS topic {channel.topic_arn}")
            return Outcome(False, 1, reason=printable(f"SNS Publish failed: {code} {error.get('Message', '')}".rstrip()))
        except (BotoCoreError, OSError) as exc:
            return Outcome(False, 1, reason=printable(f"SNS Publish failed: {type(exc).__name__}: {exc}"))


def _sns_client(channel: Channel, attempts: int):
    import botocore.session
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": attempts}, connect_timeout=5, read_timeout=15)
    return botocore.session.get_session().create_client(
        "sns", region_name=channel.region, endpoint_url=channel.endpoint_url or None, config=config)


def _url(base: str, outgoing: Outgoing) -> str:
    parts = urllib.parse.urlsplit(base.rstrip("/") + outgoing.path if outgoing.path else base)
    query = parts.query
    if outgoing.query:
        query = (query + "&" if query else "") + urllib.parse.urlencode(outgoing.query)
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _describe(reply: Reply, channel: Channel) -> str:
    reason = http.client.responses.get(reply.status, "")
    what = f"HTTP {reply.status}{' ' + reason if reason else ''}"
    if reply.status in (401, 403):
        what += f": the service refused the {'token' if channel.token_env else 'URL'} " \
                f"({channel.token_env or channel.url_env}); is it current?"
    elif reply.status in (404, 410):
        what += f": no such webhook; is {channel.url_env or channel.instance} current?"
    elif 300 <= reply.status < 400:
        what += ": redirected; give the final URL"
    snippet = reply.body[:200].decode("utf-8", "replace").strip()
    if snippet and len(snippet) <= 200 and "<" not in snippet:  # a short plain answer ("invalid_token"), not an HTML page
        what += f" ({' '.join(snippet.split())})"
    return what


class _Redactor:
    """Blanks out every secret, and the URL's path and query (tokens live there), from a text."""

    def __init__(self, secrets: Mapping[str, str], url: str):
        parts = urllib.parse.urlsplit(url)
        hidden = [v for v in secrets.values() if v] + [parts.path, parts.query, url]
        self.hidden = sorted({h for h in hidden if len(h) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.hidden:
            text = text.replace(value, "***")
        return printable(text)
