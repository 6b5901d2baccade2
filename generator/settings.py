"""`content/site.yaml`: the site settings, validated into a `Site`."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from generator.model import DEFAULT_UPTIME_WEIGHTS, AvoidRule, DeployTarget, Limits, Policy, Site
from generator.limits import MAX_DESCRIPTION, MAX_TITLE, quoted
from generator.notify.channels import parse_notify
from generator.paths import is_site_url
from generator.problems import Problems, did_you_mean
from generator.timestamps import TimestampError, parse_duration, zone
from generator.yamlsource import YList, YMap, check_keys, text_field

SITE_KEYS = ("title", "url", "description", "timezone", "language", "theme", "uptime_days", "uptime_weights", "deploy", "policy", "limits",
             "stale_notice_after", "notify")
LIMIT_KEYS = ("incident_file_size", "front_matter_size")
LIMIT_RANGE = (1024, 16 * 1024 * 1024)  # a configured size limit stays within 1 KiB and 16 MiB
DEPLOY_KEYS = ("name", "bucket", "prefix", "region", "endpoint_url", "cloudfront_distribution_id", "cache_control")
POLICY_KEYS = ("maintenance_notice", "avoid", "stale_after")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_AVOID = ("Monday", "Friday after 15:00")

_AVOID = re.compile(
    r"^\s*(?P<days>[A-Za-z]+(?:\s*(?:-|–|to)\s*[A-Za-z]+)?)s?"
    r"(?:\s+(?:(?P<after>after)\s+(?P<a>\d{1,2}:\d{2})|(?P<before>before)\s+(?P<b>\d{1,2}:\d{2})"
    r"|(?P<f>\d{1,2}:\d{2})\s*(?:-|–|to)\s*(?P<t>\d{1,2}:\d{2})))?\s*$",
    re.IGNORECASE,
)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    if int(h) > 24 or int(m) > 59 or (int(h) == 24 and int(m)):
        raise ValueError(hhmm)
    return int(h) * 60 + int(m)


def _day(name: str) -> int:
    """Monday=0; accepts "mon", "Monday", "Mondays"."""
    n = name.lower()
    for i, d in enumerate(DAYS):
        if len(n) >= 3 and (d.startswith(n) or (n.endswith("s") and d == n[:-1])):
            return i
    raise ValueError(name)


def parse_avoid(text: str) -> AvoidRule:
    """`Monday`, `Friday after 15:00`, `Saturday-Sunday`, `Tuesday 09:00-12:00`."""
    m = _AVOID.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(text)
    days_text = re.split(r"\s*(?:-|–|to)\s*", m.group("days"), flags=re.IGNORECASE)
    first = _day(days_text[0])
    last = _day(days_text[-1])
    days = tuple((first + i) % 7 for i in range(((last - first) % 7) + 1))
    start, end = 0, 1440
    if m.group("after"):
        start = _minutes(m.group("a"))
    elif m.group("before"):
        end = _minutes(m.group("b"))
    elif m.group("f"):
        start, end = _minutes(m.group("f")), _minutes(m.group("t"))
    if end <= start:
        raise ValueError(text)
    return AvoidRule(days=days, start=start, end=end, text=text.strip())


def _text(data: YMap, key: str, path: str, problems: Problems, required: bool = False, default=None, limit=None):
    value = text_field(data, key, path, problems, limit, one_line=True,
                       required=f'missing "{key}" in site settings' if required else None)
    return default if value is None else value


def _parse_deploy(value, path: str, problems: Problems) -> tuple[DeployTarget, ...]:
    if not isinstance(value, YList):
        line, col = getattr(value, "pos", (1, 1))
        problems.error(path, line, col, '"deploy" must be a list of targets, each with a name and a bucket')
        return ()
    targets, names = [], set()
    for index, item in enumerate(value):
        line, col = value.item_at(index)
        if not isinstance(item, YMap):
            problems.error(path, line, col, "a deploy target must be a mapping with name and bucket")
            continue
        check_keys(item, DEPLOY_KEYS, "a deploy target", path, problems)
        fields = {}
        for key in DEPLOY_KEYS:
            if item.get(key) is not None:
                if isinstance(item[key], (YMap, YList, bool)):
                    problems.error(path, *item.value_at(key), f'deploy target "{key}" must be text')
                    continue
                fields[key] = str(item[key]).strip()
        if "name" not in fields:
            fields["name"] = fields.get("bucket", f"target-{index + 1}")
        if "bucket" not in fields:
            problems.error(path, line, col, f'deploy target "{fields["name"]}" has no bucket')
            continue
        if fields["name"] in names:
            problems.error(path, *item.value_at("name"), f'deploy target name "{fields["name"]}" is used twice')
        names.add(fields["name"])
        url = fields.get("endpoint_url")
        if url and not is_site_url(url):
            problems.error(path, *item.value_at("endpoint_url"), f"endpoint_url {quoted(url)} must be an http:// or https:// URL")
        fields["prefix"] = fields.get("prefix", "").strip("/")
        targets.append(DeployTarget(**fields))
    return tuple(targets)


def _parse_policy(value, path: str, problems: Problems) -> Policy:
    if not isinstance(value, YMap):
        line, col = getattr(value, "pos", (1, 1))
        problems.error(path, line, col, '"policy" must be a mapping with maintenance_notice and avoid')
        return Policy(avoid=tuple(parse_avoid(a) for a in DEFAULT_AVOID))
    check_keys(value, POLICY_KEYS, "policy", path, problems)
    notice = _policy_duration(value, "maintenance_notice", timedelta(hours=48), path, problems)
    stale_after = Policy.stale_after
    given = value.get("stale_after")
    if "stale_after" in value and (given is None or given is False or given == "off"):
        stale_after = None  # `stale_after: off` turns the check off
    else:
        stale_after = _policy_duration(value, "stale_after", stale_after, path, problems)
        if stale_after is not None and stale_after <= timedelta(0):
            problems.error(path, *value.value_at("stale_after"), 'stale_after must be longer than 0; write "off" to turn it off')
    avoid_value = value.get("avoid", list(DEFAULT_AVOID))
    rules = []
    if avoid_value is None:
        avoid_value = []
    if not isinstance(avoid_value, list):
        problems.error(path, *value.value_at("avoid"), '"avoid" must be a list such as ["Monday", "Friday after 15:00"]')
        avoid_value = []
    for index, text in enumerate(avoid_value):
        try:
            rules.append(parse_avoid(text))
        except (ValueError, TypeError):
            pos = avoid_value.item_at(index) if isinstance(avoid_value, YList) else value.value_at("avoid")
            problems.error(
                path, *pos,
                f'cannot read avoid rule {text!r}: write "Monday", "Friday after 15:00", "Saturday-Sunday" or "Tuesday 09:00-12:00"',
            )
    return Policy(maintenance_notice=notice, avoid=tuple(rules), stale_after=stale_after)


def _policy_duration(value: YMap, key: str, default: timedelta, path: str, problems: Problems) -> timedelta:
    given = value.get(key)
    if isinstance(given, (int, float)) and not isinstance(given, bool):
        # A bare number is ambiguous (48 what?): ask for the unit rather than read seconds.
        problems.error(path, *value.value_at(key), f"{key} needs a unit: write {given}h, {given}d or {given}m")
    elif given is not None:
        try:
            return parse_duration(given)
        except TimestampError as exc:
            problems.error(path, *value.value_at(key), f"{key}: {exc}")
    return default


def _stale_notice_after(data: YMap, path: str, problems: Problems) -> timedelta | None:
    """`stale_notice_after: 1h` (the default), any duration above 0, or `off`."""
    default = Site.__dataclass_fields__["stale_notice_after"].default
    if "stale_notice_after" not in data:
        return default
    given = data.get("stale_notice_after")
    if given is None or given is False or given == "off":
        return None
    after = _policy_duration(data, "stale_notice_after", default, path, problems)
    if after is not None and after <= timedelta(0):
        problems.error(path, *data.value_at("stale_notice_after"),
                       'stale_notice_after must be longer than 0; write "off" to turn the notice off')
        return default
    return after


# An absolute http(s) URL: a host name (or [IPv6]), an optional port, and a path of
# non-empty segments. No `//` in the path (a browser reads "//evil.example/x" as
# another host), no query or fragment, nothing that needs quoting in HTML or CSS.
def _language(data: YMap, path: str, problems: Problems) -> str:
    """A BCP 47 language tag such as en, de or pt-BR (checked against the IANA registry)."""
    tag = _text(data, "language", path, problems)
    if tag is None:
        return "en"
    import langcodes  # only when a language is given: it costs 30 ms to import

    if not langcodes.tag_is_valid(tag):
        problems.error(path, *data.value_at("language"),
                       f'"language" must be a BCP 47 language tag such as en, de or pt-BR, got {quoted(tag)}')
        return "en"
    return tag


_SIZE = re.compile(r"\s*(\d{1,9})\s*(|b|kb|kib|k|mb|mib|m)\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024 * 1024, "mb": 1000 * 1000, "mib": 1024 * 1024}


def parse_size(value) -> int:
    """Bytes from `262144`, `256KiB`, `256 kB` or `1MiB`; ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    m = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(value)
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


def _parse_limits(value, path: str, problems: Problems) -> Limits:
    if not isinstance(value, YMap):
        problems.error(path, *getattr(value, "pos", (1, 1)), '"limits" must be a mapping such as {incident_file_size: 256KiB}')
        return Limits()
    check_keys(value, LIMIT_KEYS, "limits", path, problems)
    sizes = {}
    low, high = LIMIT_RANGE
    for key in LIMIT_KEYS:
        if value.get(key) is None:
            continue
        try:
            size = parse_size(value[key])
        except ValueError:
            problems.error(path, *value.value_at(key), f"{key} must be a size such as 256KiB or 1MiB, got {quoted(value[key])}")
            continue
        if not low <= size <= high:
            problems.error(path, *value.value_at(key), f"{key} must be from 1KiB to 16MiB, got {size:,} bytes")
            continue
        sizes[key] = size
    return Limits(**sizes)


def parse_site(data, path: str, problems: Problems) -> Site | None:
    """Validate site.yaml's data; record problems; return a Site (with defaults where invalid)."""
    if not isinstance(data, YMap):
        problems.error(path, *getattr(data, "pos", (1, 1)), "site settings must be a mapping of keys such as title and url")
        return None
    check_keys(data, SITE_KEYS, "site settings", path, problems)
    title = _text(data, "title", path, problems, required=True, default="Status", limit=MAX_TITLE)
    url = _text(data, "url", path, problems, required=True, default="https://example.invalid/")
    if url and not is_site_url(url):
        problems.error(
            path, *data.value_at("url"),
            f'"url" must be an absolute http(s) URL such as https://status.example.com/ or https://example.com/status/, '
            f'with no empty path segment, query, quotes, spaces or angle brackets; got {quoted(url)}',
        )
        url = "https://example.invalid/"
    if not url.endswith("/"):
        url += "/"
    tz_name = _text(data, "timezone", path, problems, default="UTC") or "UTC"
    try:
        tz = zone(tz_name)
    except TimestampError:
        import zoneinfo

        problems.error(path, *data.value_at("timezone"), f'unknown time zone "{tz_name}"{did_you_mean(tz_name, zoneinfo.available_timezones())}')
        tz = ZoneInfo("UTC")
    theme = _text(data, "theme", path, problems, default="default") or "default"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", theme):
        problems.error(path, *data.value_at("theme"), f'theme "{theme}" must be a folder name under themes/')
        theme = "default"
    days = data.get("uptime_days", 90)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        problems.error(path, *data.value_at("uptime_days"), f'"uptime_days" must be a whole number of days from 1 to 3660, got {quoted(days)}')
        days = 90
    weights = dict(DEFAULT_UPTIME_WEIGHTS)
    given = data.get("uptime_weights")
    if given is not None:
        if not isinstance(given, YMap):
            problems.error(path, *data.value_at("uptime_weights"), '"uptime_weights" must map outage statuses to weights from 0 to 1')
        else:
            for key, value in given.items():
                if key not in weights:
                    problems.error(path, *given.key_at(key), f'unknown status "{key}" in uptime_weights{did_you_mean(key, weights)}')
                elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    problems.error(path, *given.value_at(key), f"uptime weight for {key} must be a number from 0 to 1, got {quoted(value)}")
                else:
                    weights[key] = float(value)
    deploy = _parse_deploy(data["deploy"], path, problems) if data.get("deploy") is not None else ()
    if data.get("policy") is not None:
        policy = _parse_policy(data["policy"], path, problems)
    else:
        policy = Policy(avoid=tuple(parse_avoid(a) for a in DEFAULT_AVOID))
    return Site(
        stale_notice_after=_stale_notice_after(data, path, problems),
        title=title,
        url=url,
        description=text_field(data, "description", path, problems, MAX_DESCRIPTION) or "",
        timezone=tz,
        language=_language(data, path, problems),
        theme=theme,
        uptime_days=days,
        uptime_weights=weights,
        deploy=deploy,
        policy=policy,
        limits=_parse_limits(data["limits"], path, problems) if data.get("limits") is not None else Limits(),
        notify=_parse_notify(data, path, problems),
    )


def _parse_notify(data: YMap, path: str, problems: Problems) -> tuple:
    """`notify:` channels, validated by generator.notify.channels."""
    if data.get("notify") is None:
        return ()
    return parse_notify(data["notify"], path, problems)
