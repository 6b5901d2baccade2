"""Reading the timestamps staff write, and writing the ones we publish.

Accepted forms: `2026-11-26 14:02 UTC`, `2026-11-26 09:02 -05:00`,
`2026-11-26T14:02:00Z`, `2026-11-26 09:02 America/New_York`, and a bare
`2026-11-26 14:02`, which is read in the site's time zone. The `--at` option
of the authoring commands also takes a time of day (`14:02`, `14:02 UTC`):
today, in that zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.limits import FIRST_DAY, LAST_DAY, MAX_DURATION, RANGE_TEXT, quoted, shown, within_range

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the earliest time a document may carry when it has none of its own

_ZONE = r"(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)"
_STAMP = re.compile(
    r"""^\s*
    (?P<date>\d{4}-\d{2}-\d{2})
    (?:[ T]+(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?
    \s*""" + _ZONE + r"""?
    \s*$""",
    re.VERBOSE,
)
_TIME_OF_DAY = re.compile(r"^\s*(?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s*" + _ZONE + r"?\s*$")

FIRST_INSTANT_SECONDS, LAST_INSTANT_SECONDS = 0, (LAST_DAY - date(1970, 1, 1)).days * 86400 + 86399
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


class TimestampError(ValueError):
    """A timestamp that cannot be read; the message says why."""


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or TimestampError."""
    if not name or "\x00" in name or name.startswith("/") or ".." in name:
        raise TimestampError(f'unknown time zone "{name}"')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimestampError(f'unknown time zone "{name}"') from None


def _fmt_reading(local: datetime) -> str:
    utc = local.astimezone(UTC)
    return f"{local:%H:%M} {local.tzname()} ({local:%z}) = {utc:%Y-%m-%d %H:%M} UTC"


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Attach `tz` to a wall-clock time, refusing times a DST change skips or repeats."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # The offsets differ: the time is either skipped or repeated.
    round_trips = [d for d in (first, second) if d.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive]
    if len(round_trips) == 2:
        raise TimestampError(
            f"{naive:%Y-%m-%d %H:%M} is ambiguous in {tz.key}: the clocks go back that night, "
            f"so it could be {_fmt_reading(first)} or {_fmt_reading(second)}; write an offset or UTC"
        )
    before = first.astimezone(UTC).astimezone(tz)
    after = second.astimezone(UTC).astimezone(tz)
    a, b = sorted([before, after])
    raise TimestampError(
        f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks go forward that night; "
        f"did you mean {a:%H:%M} {a.tzname()} ({a:%z}) or {b:%H:%M} {b.tzname()} ({b:%z})?"
    )


def parse_timestamp(text: str, default_tz: ZoneInfo) -> datetime:
    """Parse a timestamp into an aware UTC datetime, or raise TimestampError.

    Only instants from 1970 to 2199 are accepted: every output format can
    carry them, and a window or a look-back added to them stays a real date.
    """
    if not isinstance(text, str):
        raise TimestampError(f"expected a timestamp such as 2026-11-26 14:02 UTC, got {quoted(text)}")
    m = _STAMP.match(text) if len(text) < 100 else None
    if not m or not m.group("time"):
        raise TimestampError(
            f'cannot read timestamp "{shown(text.strip())}": write it like 2026-11-26 14:02 UTC, '
            "2026-11-26 09:02 -05:00 or 2026-11-26 09:02 America/New_York"
        )
    try:
        clock = m.group("time")
        naive = datetime.fromisoformat(f"{m.group('date')}T{'0' * (clock.index(':') == 1)}{clock}")
    except ValueError:
        raise TimestampError(f'"{text.strip()}" is not a real date and time') from None
    if not FIRST_DAY.year <= naive.year <= LAST_DAY.year:
        raise _out_of_range(text)
    moment = _aware(naive, m.group("zone"), text, default_tz)
    if not within_range(moment):
        raise _out_of_range(text)
    return moment


def _out_of_range(text: str) -> TimestampError:
    return TimestampError(f'"{text.strip()}" is out of range: times must be {RANGE_TEXT} (UTC)')


def _aware(naive: datetime, zone_text: str | None, text: str, default_tz: ZoneInfo) -> datetime:
    if zone_text in (None, ""):
        return localize(naive, default_tz).astimezone(UTC)
    tz = _zone_of(zone_text, text)
    if isinstance(tz, ZoneInfo):
        return localize(naive, tz).astimezone(UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def parse_date(text) -> date:
    """A calendar date written YYYY-MM-DD."""
    if isinstance(text, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            pass
        else:
            if not FIRST_DAY <= day <= LAST_DAY:
                raise TimestampError(f"{day} is out of range: dates must be {RANGE_TEXT}")
            return day
    raise TimestampError(f"expected a date such as 2024-01-31, got {quoted(text)}")


def parse_duration(text) -> timedelta:
    """A duration such as `48h`, `2d`, `90m`, `1h30m` or a number of seconds, up to ten years."""
    seconds = None
    if isinstance(text, (int, float)) and not isinstance(text, bool) and 0 <= text < float("inf"):
        seconds = float(text)
    elif isinstance(text, str) and text.strip() and len(text) < 50:
        m = _DURATION.match(text)
        if m and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            seconds = ((d * 24 + h) * 60 + mi) * 60 + s
    if seconds is None:
        raise TimestampError(f"expected a duration such as 48h, 2d or 30m, got {quoted(text)}")
    if seconds > MAX_DURATION.total_seconds():
        raise TimestampError(f"{shown(text)} is too long: a duration can be at most {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """`2d 3h`, `1h 20m`, `12m`: short, for people."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days}d")
    if hours:
        parts.append(f"{hours}h")
    if mins or not parts:
        parts.append(f"{mins}m")
    return " ".join(parts[:2])


def isoformat(dt: datetime) -> str:
    """RFC 3339 in UTC with an explicit offset, to the second."""
    d = dt.astimezone(UTC)  # f-string, not strftime: this runs for every <time> of a build
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def heading_stamp(dt: datetime) -> str:
    """The form our own commands write into update headings."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def update_stamp(dt: datetime) -> str:
    """An update heading's time: to the minute, or to the second when it has seconds."""
    d = dt.astimezone(UTC)
    return d.strftime("%Y-%m-%d %H:%M:%S UTC" if d.second else "%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Reading:
    """How an `--at` text was read: the instant, and whether the text named a zone or a date."""

    at: datetime  # aware, UTC
    text: str
    zoned: bool  # the text named a zone or an offset; else the site's zone was used
    dated: bool  # the text had a date; else it was a time of day, today


def parse_at(text: str, default_tz: ZoneInfo, now: datetime) -> Reading:
    """The `--at` option: a timestamp, or a time of day (`14:02`, `14:02 UTC`) meaning today in that zone.

    "Today" is `now`'s date in the zone the time is read in: the one it
    names, else `default_tz` (the site's).
    """
    m = _TIME_OF_DAY.match(text) if isinstance(text, str) and len(text) < 100 else None
    if m is None:
        at = parse_timestamp(text, default_tz)
        stamp = _STAMP.match(text)
        return Reading(at, text.strip(), bool(stamp and stamp.group("zone")), True)
    zone_text = m.group("zone")
    day = now.astimezone(_zone_of(zone_text, text) if zone_text else default_tz).date()
    at = parse_timestamp(f"{day:%Y-%m-%d} {m.group('time')}" + (f" {zone_text}" if zone_text else ""), default_tz)
    return Reading(at, text.strip(), bool(zone_text), False)


def _zone_of(zone_text: str, text: str):
    """The tzinfo a zone text names: UTC, an offset or an IANA name."""
    if zone_text in ("Z", "UTC", "GMT"):
        return UTC
    if zone_text[0] in "+-":
        digits = zone_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise TimestampError(f'bad UTC offset "{zone_text}" in "{text.strip()}"')
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(delta if zone_text[0] == "+" else -delta)
    return zone(zone_text)


def local_reading(dt: datetime, tz: ZoneInfo) -> str:
    """`18:30 EST in America/New_York`, with the local date when it is not the UTC date."""
    utc, local = dt.astimezone(UTC), dt.astimezone(tz)
    day = f"{local:%Y-%m-%d} " if local.date() != utc.date() else ""
    return f"{day}{local.strftime('%H:%M:%S' if local.second else '%H:%M')} {local.tzname()} in {tz.key}"


def parse_now(text: str) -> datetime:
    """The `--now` option: any accepted timestamp (UTC if no zone), or epoch seconds."""
    if re.fullmatch(r"\s*\d{1,30}(\.\d{1,9})?\s*", text):
        seconds = float(text)
        if not FIRST_INSTANT_SECONDS <= seconds <= LAST_INSTANT_SECONDS:
            raise TimestampError(f"{text.strip()} seconds since 1970 is out of range: times must be {RANGE_TEXT} (UTC)")
        return datetime.fromtimestamp(seconds, UTC)
    return parse_timestamp(text, ZoneInfo("UTC"))
