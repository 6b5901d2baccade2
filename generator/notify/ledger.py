"""The notification ledger: what the page shows, and what each channel was told of it.

It lives beside the deploy manifest, at `<prefix>/.statusgen/notify-ledger.json`
in the first deploy target's bucket (one ledger, however many targets: each
change is told once). The deploy never deletes it: `.statusgen/` keys are
left out of its plan.

    {"version": 1,
     "floor": "…",                       changes dated before it are forgotten (and never sent)
     "published": {delivery id: at},     what the last deploy of every target showed
     "channels": {name: {"sent": {…}, "pending": {…}, "skipped": {…}}}}

A message is written as pending before it is sent and as sent after it, so a
rerun resends only what is not marked sent (a kill between the send and the
record repeats that one message, with the same delivery id). `skipped` holds
what a channel was never meant to be told: everything already visible when
it was added (no flood), and what its filters leave out (so widening a
filter does not replay the past). It holds delivery ids, times and channel
names; never a secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from generator.errors import StatusgenError
from generator.publish.bucket import object_key
from generator.publish.model import RESERVED
from generator.timestamps import UTC

NAME = "notify-ledger.json"
VERSION = 1
STATES = ("sent", "pending", "skipped")


class LedgerError(StatusgenError):
    """The ledger cannot be read or written: nothing is sent, so nothing is sent twice."""


@dataclass
class Record:
    """One channel's delivery ids, each with the time of its change."""

    sent: dict[str, datetime] = field(default_factory=dict)
    pending: dict[str, datetime] = field(default_factory=dict)
    skipped: dict[str, datetime] = field(default_factory=dict)

    def handled(self, delivery_id: str) -> bool:
        return delivery_id in self.sent or delivery_id in self.skipped

    def mark(self, state: str, delivery_id: str, at: datetime) -> None:
        for name in STATES:
            getattr(self, name).pop(delivery_id, None)
        getattr(self, state)[delivery_id] = at


@dataclass
class Ledger:
    floor: datetime | None = None
    published: dict[str, datetime] = field(default_factory=dict)
    channels: dict[str, Record] = field(default_factory=dict)

    def raise_floor(self, floor: datetime) -> dict[str, int]:
        """Forget everything dated before `floor` (it only rises); returns, per channel, the pending ones dropped."""
        if self.floor is not None and floor <= self.floor:
            floor = self.floor
        self.floor = floor
        self.published = {k: v for k, v in self.published.items() if v >= floor}
        dropped = {}
        for name, record in self.channels.items():
            lost = sum(1 for at in record.pending.values() if at < floor)
            if lost:
                dropped[name] = lost
            for state in STATES:
                setattr(record, state, {k: v for k, v in getattr(record, state).items() if v >= floor})
        return dropped


def _at(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_at(text) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def dumps(ledger: Ledger) -> bytes:
    """Stable bytes: sorted keys, one line; the same ledger is always the same object."""
    body = {
        "version": VERSION,
        "floor": _at(ledger.floor) if ledger.floor else None,
        "published": {k: _at(v) for k, v in sorted(ledger.published.items())},
        "channels": {
            name: {state: {k: _at(v) for k, v in sorted(getattr(record, state).items())} for state in STATES}
            for name, record in sorted(ledger.channels.items())
        },
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def loads(data: bytes) -> Ledger:
    """The ledger in `data`; ValueError when it is not one we can trust."""
    try:
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("version") != VERSION:
            raise ValueError(f"version {body.get('version') if isinstance(body, dict) else '?'}, expected {VERSION}")
        floor = _parse_at(body["floor"]) if body.get("floor") else None
        published = {str(k): _parse_at(v) for k, v in body["published"].items()}
        channels = {}
        for name, states in body["channels"].items():
            channels[str(name)] = Record(**{s: {str(k): _parse_at(v) for k, v in states[s].items()} for s in STATES})
        return Ledger(floor, published, channels)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"unexpected shape ({type(exc).__name__}: {exc})") from None


# --- in the bucket -----------------------------------------------------------------------


class Store:
    """The ledger object in the first target's bucket (through publish's S3 client)."""

    def __init__(self, s3, target):
        self.s3 = s3
        self.target = target
        self.key = object_key(target, RESERVED + NAME)

    @property
    def where(self) -> str:
        return f"s3://{self.target.bucket}/{self.key}"

    def read(self) -> Ledger | None:
        """The stored ledger, or None when there is none yet."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            data = self.s3.get_object(Bucket=self.target.bucket, Key=self.key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise LedgerError(f"cannot read the notification ledger {self.where}: {_client_error(exc)}") from None
        except (BotoCoreError, OSError) as exc:
            raise LedgerError(f"cannot read the notification ledger {self.where}: {type(exc).__name__}: {exc}") from None
        try:
            return loads(data)
        except ValueError as exc:
            # Guessing would send everything again, or nothing ever: stop and say how to start afresh.
            raise LedgerError(f"the notification ledger {self.where} is not readable ({exc}); nothing was sent. "
                              "Delete it to start afresh: the next deploy then records what the page shows "
                              "without sending it") from None

    def write(self, ledger: Ledger) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        body = dumps(ledger)
        try:
            self.s3.put_object(Bucket=self.target.bucket, Key=self.key, Body=body,
                               ContentType="application/json; charset=utf-8", CacheControl="no-store",
                               ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())
        except ClientError as exc:
            raise LedgerError(f"cannot write the notification ledger {self.where}: {_client_error(exc)}") from None
        except (BotoCoreError, OSError) as exc:
            raise LedgerError(f"cannot write the notification ledger {self.where}: {type(exc).__name__}: {exc}") from None


class MemoryStore:
    """A ledger held in memory, as bytes like the bucket's: for tests and the library used on its own."""

    where = "memory"

    def __init__(self, ledger: Ledger | None = None):
        self.data = dumps(ledger) if ledger is not None else None

    def read(self) -> Ledger | None:
        return loads(self.data) if self.data is not None else None

    def write(self, ledger: Ledger) -> None:
        self.data = dumps(ledger)


def _client_error(exc) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    if code in ("AccessDenied", "403"):
        return f"access denied ({exc.operation_name}): the role needs s3:GetObject and s3:PutObject on it (statusgen docs notify)"
    if code == "NoSuchBucket":
        return "the bucket does not exist"
    return f"{exc.operation_name} failed: {code} {error.get('Message', '')}".rstrip()
