"""The `notify:` list in site.yaml: channels, validated with a line and a did-you-mean for each problem.

Secrets never sit in site.yaml. A channel names the environment variable
that holds its webhook URL, token or signing secret (`url_env`, `token_env`,
`secret_env`); `secrets()` reads them at send time from the environment the
CLI hands over, and no message ever quotes a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

from generator.errors import StatusgenError
from generator.limits import quoted
from generator.paths import is_site_url
from generator.problems import Problems, did_you_mean
from generator.timestamps import TimestampError, parse_duration
from generator.yamlsource import YList, YMap

TYPES = ("slack", "teams", "discord", "google-chat", "mattermost", "webhook", "mastodon", "sns")
# What a channel may be told about. `components` (a component's status changing)
# is off unless asked for: the incident's own messages already name its components.
EVENTS = ("incidents", "maintenance", "maintenance-starts", "maintenance-ends", "reminders", "components")
DEFAULT_EVENTS = EVENTS[:-1]
COMMON_KEYS = ("name", "type", "components", "events", "reminders")
TYPE_KEYS = {
    "slack": ("url_env",),
    "teams": ("url_env",),
    "discord": ("url_env",),
    "google-chat": ("url_env",),
    "mattermost": ("url_env",),
    "webhook": ("url_env", "secret_env"),
    "mastodon": ("instance", "token_env"),
    "sns": ("topic_arn", "region", "endpoint_url"),
}
REQUIRED = {t: ("url_env",) for t in ("slack", "teams", "discord", "google-chat", "mattermost", "webhook")}
REQUIRED.update({"mastodon": ("instance", "token_env"), "sns": ("topic_arn",)})
ALL_KEYS = tuple(dict.fromkeys(COMMON_KEYS + tuple(k for keys in TYPE_KEYS.values() for k in keys)))
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
CHANNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
MAX_REMINDER = timedelta(days=30)
MAX_CHANNELS = 50


class SecretMissing(StatusgenError):
    """A channel's environment variable is not set: a clear line naming the variable, never a value."""


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    components: tuple[str, ...] = ()  # component or group ids as written; () = every component
    events: tuple[str, ...] = DEFAULT_EVENTS
    reminders: tuple[timedelta, ...] = ()  # before a maintenance window opens, longest first
    url_env: str | None = None
    token_env: str | None = None
    secret_env: str | None = None
    instance: str | None = None  # mastodon: the server's base URL, https://mastodon.example
    topic_arn: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    line: int = 1  # where the channel is written, for problems found later
    component_at: tuple[tuple[int, int], ...] = ()  # where each of `components` is written


def secrets(channel: Channel, env: Mapping[str, str]) -> dict[str, str]:
    """{"url": …, "token": …, "secret": …} as the channel needs them, read from `env`.

    An unset or empty variable is an error naming the variable (GitHub
    Actions passes an unset secret as an empty string).
    """
    found = {}
    for key, var in (("url", channel.url_env), ("token", channel.token_env), ("secret", channel.secret_env)):
        if var is None:
            continue
        value = env.get(var, "").strip()
        if not value:
            raise SecretMissing(f"{channel.name}: the environment variable {var} is not set (or is empty); "
                                f"it holds the channel's {key}")
        found[key] = value
    return found


def reminder_text(delta: timedelta) -> str:
    """`24h`, `1h`, `90m`: short and unambiguous, for ids and messages."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def reminder_words(delta: timedelta) -> str:
    """`24 hours`, `1 hour`, `90 minutes`, `2 days`."""
    minutes = int(delta.total_seconds() // 60)
    for size, word in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0 and (size != 1440 or minutes >= 2880):
            n = minutes // size
            return f"{n} {word}{'s' * (n != 1)}"
    return f"{minutes} minutes"


# --- site.yaml -------------------------------------------------------------------------


def parse_notify(value, path: str, problems: Problems) -> tuple[Channel, ...]:
    """The `notify:` list: every problem recorded with its line, valid channels returned."""
    if not isinstance(value, YList):
        problems.error(path, *getattr(value, "pos", (1, 1)),
                       '"notify" must be a list of channels, each with a name and a type (statusgen docs notify)')
        return ()
    if len(value) > MAX_CHANNELS:
        problems.error(path, *value.pos, f'"notify" lists {len(value)} channels; at most {MAX_CHANNELS} are allowed')
        return ()
    channels, names = [], {}
    for index, item in enumerate(value):
        line, col = value.item_at(index)
        if not isinstance(item, YMap):
            problems.error(path, line, col, "a notify channel must be a mapping with name and type")
            continue
        channel = _channel(item, line, path, problems)
        if channel is None:
            continue
        if channel.name in names:
            problems.error(path, *item.value_at("name"), f'notify channel name "{channel.name}" is used twice')
            continue
        names[channel.name] = channel
        channels.append(channel)
    return tuple(channels)


def _channel(item: YMap, line: int, path: str, problems: Problems) -> Channel | None:
    before = len(problems.errors)
    name = item.get("name")
    if not isinstance(name, str) or not CHANNEL_NAME.fullmatch(name):
        where = item.value_at("name") if "name" in item else item.pos
        # The value is not repeated: it may be a pasted secret.
        problems.error(path, *where, "a notify channel needs a name of letters, digits, '.', '_' and '-' "
                                     "(at most 64), like ops-slack")
        name = None
    kind = item.get("type")
    if kind not in TYPES:
        where = item.value_at("type") if "type" in item else item.pos
        if kind is None:
            problems.error(path, *where, f'notify channel "{name or "?"}" needs a type: one of {", ".join(TYPES)}')
        else:
            problems.error(path, *where, f"unknown notify channel type {quoted(kind)}{did_you_mean(kind, TYPES)}; "
                                         f"use one of {', '.join(TYPES)}")
        kind = None
    allowed = COMMON_KEYS + (TYPE_KEYS[kind] if kind else ALL_KEYS)
    for key in item:
        if key in allowed:
            continue
        kline, kcol = item.key_at(key)
        if kind and key in ALL_KEYS:
            problems.error(path, kline, kcol, f'"{key}" does not apply to a {kind} channel; it takes '
                                              f'{", ".join(TYPE_KEYS[kind])}')
        else:
            # The value is never quoted: a mistyped key may be holding a webhook URL.
            secretish = re.search(r"url|token|secret|key|hook|password", str(key), re.I)
            problems.error(path, kline, kcol, f'unknown key "{key}" in a notify channel{did_you_mean(key, allowed)}'
                           + ("; secrets never sit in site.yaml: put the value in an environment variable and name "
                              "it with url_env, token_env or secret_env" if secretish else ""))
    for key, (kline, kcol) in item.duplicates:
        problems.error(path, kline, kcol, f'"{key}" is given twice in a notify channel')

    fields: dict = {}
    for key in ("url_env", "token_env", "secret_env"):
        if key not in item or key not in allowed:
            continue
        var = item.get(key)
        if not isinstance(var, str) or not ENV_NAME.fullmatch(var):
            # Never echo it: someone may have pasted the secret itself here.
            problems.error(path, *item.value_at(key), f"{key} must name an environment variable, such as "
                                                      f"{_example_env(kind, key)}, not hold the value itself: "
                                                      "secrets never sit in site.yaml")
            continue
        fields[key] = var
    if kind == "mastodon" and "instance" in item:
        fields["instance"] = _instance(item, path, problems)
    if kind == "sns":
        fields.update(_sns(item, path, problems))
    if kind:
        for key in REQUIRED[kind]:
            if key not in item:
                problems.error(path, *item.pos, f'notify channel "{name or "?"}" ({kind}) needs "{key}"'
                                                f'{": the name of the environment variable that holds it" if key.endswith("_env") else ""}')
    components, component_at = _components(item, path, problems)
    events = _events(item, path, problems)
    reminders = _reminders(item, path, problems)
    if reminders and "reminders" not in events:
        problems.warn(path, *item.key_at("reminders"), 'reminders are set, but "events" leaves out "reminders": none will be sent')
    if len(problems.errors) > before or name is None or kind is None:
        return None
    return Channel(name=name, type=kind, components=components, events=events, reminders=reminders, line=line,
                   component_at=component_at, **fields)


def _example_env(kind: str | None, key: str) -> str:
    if key == "secret_env":
        return "WEBHOOK_SECRET"
    if key == "token_env":
        return "MASTODON_TOKEN"
    return f"{(kind or 'slack').upper().replace('-', '_')}_WEBHOOK_URL"


def _instance(item: YMap, path: str, problems: Problems) -> str | None:
    """`mastodon.social` or `https://mastodon.social`: the server's base URL."""
    given = item.get("instance")
    text = given.strip().rstrip("/") if isinstance(given, str) else ""
    url = text if "://" in text else f"https://{text}"
    if not text or not is_site_url(url) or not (HOST.fullmatch(text) or "://" in text):
        problems.error(path, *item.value_at("instance"),
                       f"instance must be the Mastodon server, such as mastodon.social or https://mastodon.social, got {quoted(given)}")
        return None
    return url


def _sns(item: YMap, path: str, problems: Problems) -> dict:
    out = {}
    arn = item.get("topic_arn")
    if "topic_arn" in item:
        m = TOPIC_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if not m:
            problems.error(path, *item.value_at("topic_arn"),
                           f"topic_arn must be an SNS topic ARN such as arn:aws:sns:eu-central-1:123456789012:status, got {quoted(arn)}")
        else:
            out["topic_arn"] = arn
    region = item.get("region")
    if "region" in item:
        if not isinstance(region, str) or not REGION.fullmatch(region):
            problems.error(path, *item.value_at("region"), f"region must be an AWS region such as eu-central-1, got {quoted(region)}")
        elif "topic_arn" in out and TOPIC_ARN.fullmatch(out["topic_arn"]).group("region") != region:
            problems.error(path, *item.value_at("region"), f"region {region} is not the topic's region "
                                                           f"({TOPIC_ARN.fullmatch(out['topic_arn']).group('region')})")
        else:
            out["region"] = region
    elif "topic_arn" in out:
        out["region"] = TOPIC_ARN.fullmatch(out["topic_arn"]).group("region")  # the topic says where it lives
    if "endpoint_url" in item:
        url = item.get("endpoint_url")
        if not isinstance(url, str) or not is_site_url(url.strip()):
            problems.error(path, *item.value_at("endpoint_url"), f"endpoint_url {quoted(url)} must be an http:// or https:// URL")
        else:
            out["endpoint_url"] = url.strip()
    return out


def _components(item: YMap, path: str, problems: Problems) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    given = item.get("components")
    if given is None:
        return (), ()
    if not isinstance(given, YList) or not given or not all(isinstance(c, str) for c in given):
        problems.error(path, *item.value_at("components"),
                       '"components" must be a list of component or group ids, such as [api, apps]')
        return (), ()
    return tuple(given), tuple(given.item_at(i) for i in range(len(given)))


def _events(item: YMap, path: str, problems: Problems) -> tuple[str, ...]:
    given = item.get("events")
    if given is None:
        return DEFAULT_EVENTS
    if not isinstance(given, YList) or not given:
        problems.error(path, *item.value_at("events"), f'"events" must be a list of: {", ".join(EVENTS)}')
        return DEFAULT_EVENTS
    out = []
    for index, event in enumerate(given):
        if event not in EVENTS:
            problems.error(path, *given.item_at(index),
                           f"unknown event {quoted(event)}{did_you_mean(event, EVENTS)}; use any of {', '.join(EVENTS)}")
        elif event not in out:
            out.append(event)
    return tuple(e for e in EVENTS if e in out)


def _reminders(item: YMap, path: str, problems: Problems) -> tuple[timedelta, ...]:
    given = item.get("reminders")
    if given is None:
        return ()
    if not isinstance(given, YList):
        problems.error(path, *item.value_at("reminders"), '"reminders" must be a list of durations before a maintenance, such as [24h, 1h]')
        return ()
    out = set()
    for index, text in enumerate(given):
        where = given.item_at(index)
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            problems.error(path, *where, f"a reminder needs a unit: write {text}h, {text}d or {text}m")
            continue
        try:
            delta = parse_duration(text)
        except TimestampError as exc:
            problems.error(path, *where, f"reminder: {exc}")
            continue
        if not timedelta(minutes=1) <= delta <= MAX_REMINDER:
            problems.error(path, *where, f"a reminder must be from 1m to {MAX_REMINDER.days}d before the window")
            continue
        out.add(delta)
    return tuple(sorted(out, reverse=True))


def check_components(channels: tuple[Channel, ...], catalog, path: str, problems: Problems) -> None:
    """Each `components:` id must be a component or a group of components.yaml (did-you-mean)."""
    known = [c.id for c in catalog.components] + [g.id for g in catalog.groups]
    for channel in channels:
        for cid, (line, col) in zip(channel.components, channel.component_at):
            if cid not in known:
                problems.error(path, line, col, f'unknown component "{cid}" in notify channel "{channel.name}"'
                                                f"{did_you_mean(cid, known)}")
