"""The orchestration: after a deploy (or on `statusgen notify`), tell each channel what the page newly shows.

    ledger ← the store (None: a first run)
    changes ← messages.changes(content, now)            what the page shows
    published ← changes (a deploy that published every target) or the ledger's (notify)
    per channel: new → record all as skipped (no flood); else the unhandled ones it wants
    mark them pending, write; send each; mark it sent, write

Nothing here prints or reads the clock: events are yielded for the CLI, and
`now`, the sleeper and the wall clock come in from it. A failing channel
never stops the others; its unsent messages stay unsent (or pending) for the
next run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterator, Mapping

from generator.model import Content, Incident, Update
from generator.notify import formats
from generator.notify.channels import Channel, SecretMissing, secrets
from generator.errors import StatusgenError
from generator.notify.ledger import Ledger, Record, Store, dumps
from generator.notify.messages import Message, _stamp, _tag, changes, floor_for, wanted
from generator.problems import did_you_mean
from generator.publish.bucket import make_clients
from generator.publish.model import Options
from generator.timestamps import UTC


class NotifyError(StatusgenError):
    """A notification run that cannot go on (an unknown channel, say)."""


@dataclass(frozen=True)
class Event:
    """What the CLI prints: a line, a message sent, a message previewed, or a channel that failed."""

    kind: str  # "line" | "sent" | "preview" | "failed"
    channel: str
    text: str
    ok: bool = True


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def plan(content: Content, now: datetime, ledger: Ledger, publishing: bool) -> tuple[dict[str, list[Message]], list[Event]]:
    """Update `ledger` in place (floor, published, new channels, skipped) and return what each channel is owed."""
    events = []
    for name, lost in ledger.raise_floor(floor_for(now)).items():
        events.append(Event("line", name, f"{name}: {_plural(lost, 'message')} pending for more than "
                                          f"{(now - ledger.floor).days} days dropped unsent"))
    visible = changes(content, now, floor=ledger.floor)
    if publishing:
        ledger.published = {m.id: m.at for m in visible}
    else:
        visible = [m for m in visible if m.id in ledger.published]  # never ahead of the published page
    owed: dict[str, list[Message]] = {}
    for channel in content.site.notify:
        record = ledger.channels.get(channel.name)
        if record is None:
            record = ledger.channels[channel.name] = Record()
            for m in visible:
                record.mark("skipped", m.id, m.at)
            events.append(Event("line", channel.name, f"{channel.name}: new channel: the {_plural(len(visible), 'change')} "
                                                      "the page already shows recorded, none sent (no flood)"))
            owed[channel.name] = []
            continue
        owed[channel.name] = []
        for m in visible:
            if record.handled(m.id):
                continue
            if wanted(channel, m, content.catalog):
                owed[channel.name].append(m)
            else:
                record.mark("skipped", m.id, m.at)  # so widening the filter later does not replay it
    return owed, events


def dispatch(content: Content, now: datetime, store, env: Mapping[str, str], transport, *,
             publishing: bool, deliver: bool = True, dry_run: bool = False) -> Iterator[Event]:
    """Tell every channel of `content` what it has not been told. See the module's docstring.

    `publishing`: this run follows a deploy of every target, so what the page
    shows at `now` is published; otherwise only what the ledger says the last
    such deploy published is sent. `deliver` False records and sends nothing
    (`deploy --no-notify`); `dry_run` writes nothing either.
    """
    channels = content.site.notify
    if not channels:
        return
    now = now.astimezone(UTC)
    stored = store.read()
    ledger = stored or Ledger()
    as_stored = dumps(stored) if stored is not None else None  # `plan` changes the ledger in place
    if stored is None:
        yield Event("line", "", f"notify: no ledger at {store.where} yet: starting one")
    owed, notes = plan(content, now, ledger, publishing)
    yield from notes
    total = sum(len(v) for v in owed.values())
    if dry_run:
        for channel in channels:
            for m in owed[channel.name]:
                yield Event("preview", channel.name, f"{channel.name}: would send {formats.heading(m)}\n"
                            + _indent(formats.shown(channel, m, content)))
        yield Event("line", "", f"notify: {_plural(total, 'message')} would be sent (dry run, nothing sent or recorded)")
        return
    if not deliver or total == 0:
        if dumps(ledger) != as_stored:
            store.write(ledger)
        if total:
            yield Event("line", "", f"notify: {_plural(total, 'message')} recorded, not sent yet; "
                                    "`statusgen notify` or the next deploy sends them")
        else:
            yield Event("line", "", "notify: nothing new to tell")
        return
    ready: dict[str, dict] = {}
    for channel in channels:
        if not owed[channel.name]:
            continue
        try:
            ready[channel.name] = secrets(channel, env)
        except SecretMissing as exc:
            yield Event("failed", channel.name, f"{exc.message}; {_plural(len(owed[channel.name]), 'message')} "
                                                "not sent, the next run sends them", ok=False)
    for channel in channels:  # recorded before anything is sent
        if channel.name in ready:
            for m in owed[channel.name]:
                ledger.channels[channel.name].mark("pending", m.id, m.at)
    store.write(ledger)
    for channel in channels:
        if channel.name in ready:
            yield from _deliver(channel, owed[channel.name], ready[channel.name], content, ledger, store, transport)


def _deliver(channel: Channel, messages: list[Message], secret: dict, content: Content, ledger: Ledger,
             store, transport) -> Iterator[Event]:
    record = ledger.channels[channel.name]
    for index, m in enumerate(messages):
        outcome = transport.send(channel, formats.render(channel, m, content), secret, m.id)
        for wait in outcome.waits:
            yield Event("line", channel.name, f"{channel.name}: waited {wait:g} s before retrying")
        if not outcome.ok:
            left = len(messages) - index
            yield Event("failed", channel.name, f"{channel.name}: FAILED: {outcome.reason}; "
                                                f"{_plural(left, 'message')} not sent, the next run sends them", ok=False)
            return
        record.mark("sent", m.id, m.at)
        store.write(ledger)
        yield Event("sent", channel.name, f"{channel.name}: sent {formats.heading(m)}")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


# --- a test message ----------------------------------------------------------------------


def channel_named(content: Content, name: str) -> Channel:
    by_name = {c.name: c for c in content.site.notify}
    if not by_name:
        raise NotifyError("no notify channels: add a `notify:` list to content/site.yaml (statusgen docs notify)")
    if name not in by_name:
        raise NotifyError(f'no notify channel named "{name}"{did_you_mean(name, by_name)}; channels: {", ".join(sorted(by_name))}')
    return by_name[name]


def sample_message(content: Content, channel: Channel, now: datetime) -> tuple[Content, Message]:
    """A resolved "incident" that exists only in this message, built the way real ones are."""
    body = (f"This is a test of the notification channel {channel.name} ({channel.type}), sent by "
            "`statusgen notify --test`. Nothing is wrong, and nothing needs doing.")
    incident = Incident(id="statusgen-test", title=f"Test message from {content.site.title}", type="incident",
                        components={}, impact="none", updates=(Update(now, "resolved", body),))
    scratch = Content(site=replace(content.site, notify=(channel,)), catalog=content.catalog, incidents=(incident,))
    (message,) = changes(scratch, now, (channel,))
    return scratch, replace(message, id=_tag(content.site, now, f"test-{_stamp(now)}"), url=content.site.url)


def send_sample(content: Content, name: str, now: datetime, env: Mapping[str, str], transport) -> Iterator[Event]:
    channel = channel_named(content, name)
    scratch, message = sample_message(content, channel, now.astimezone(UTC))
    try:
        secret = secrets(channel, env)
    except SecretMissing as exc:
        yield Event("failed", channel.name, exc.message, ok=False)
        return
    outcome = transport.send(channel, formats.render(channel, message, scratch), secret, message.id)
    for wait in outcome.waits:
        yield Event("line", channel.name, f"{channel.name}: waited {wait:g} s before retrying")
    if outcome.ok:
        yield Event("sent", channel.name, f"{channel.name}: sent a test message ({message.id})")
    else:
        yield Event("failed", channel.name, f"{channel.name}: FAILED: {outcome.reason}", ok=False)


def after_deploy(all_targets, published) -> tuple[bool, bool, str | None]:
    """What a deploy of `published` (all or some of `all_targets`) does about notifications:
    (record what the page shows, send it, a line to print).

    The ledger lives with the first target, and the page counts as published
    when that target is: a deploy of some targets that includes it records,
    and `statusgen notify` sends once the others are up too.
    """
    first = all_targets[0]
    if first not in published:
        return False, False, (f"notify: nothing recorded or sent: the ledger lives with the first target "
                              f"({first.name}), which this deploy did not publish")
    if len(published) < len(all_targets):
        return True, False, "notify: recording what the page shows; `statusgen notify` sends it once every target is published"
    return True, True, None


def ledger_store(targets, options=None):
    """The ledger's store: in the first deploy target's bucket, through publish's S3 client."""
    first = targets[0]
    s3, _cloudfront = make_clients(first, options or Options())
    return Store(s3, first)
