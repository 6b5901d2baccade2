"""The limits all content is held to, so that whatever `check` accepts also builds.

Each limit has a reason: ids become file names and S3 keys, dates must
survive time-zone and duration arithmetic in every output format, text must
be valid in XML (feeds), iCalendar and JSON, and sizes keep a build's time
and memory bounded whatever a file holds. docs/content.md lists them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone

from generator.terminal import printable

MAX_ID_LENGTH = 100  # an incident id is a folder name and part of S3 keys
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
FIRST_INSTANT = datetime.combine(FIRST_DAY, time(0, 0), timezone.utc)
LAST_INSTANT = datetime.combine(LAST_DAY, time(23, 59, 59), timezone.utc)
MAX_DURATION = timedelta(days=3660)  # ten years: any notice, look-back or reminder fits

MAX_TITLE = 200  # incident and site titles
MAX_NAME = 100  # component and group names
MAX_DESCRIPTION = 1000  # component, group and site descriptions

INCIDENT_FILE_SIZE = 256 * 1024  # default; site.yaml `limits: incident_file_size`
FRONT_MATTER_SIZE = 16 * 1024  # default; site.yaml `limits: front_matter_size`
SETTINGS_FILE_SIZE = 1024 * 1024  # site.yaml and components.yaml

DEFAULT_MAX_DELETES = 100  # stale objects a deploy deletes without --max-deletes; more is refused
THEME_FILE_SIZE = 4 * 1024 * 1024  # a template or a static asset

# Not allowed in any text: C0 and C1 control characters but tab and line feed,
# DEL, lone surrogates and the Unicode noncharacters. XML 1.0, iCalendar and
# terminals all choke on some of them, and no one types them on purpose.
_NONCHARACTERS = "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0x10000, 0x110000, 0x10000))
_BMP = "\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
FORBIDDEN = re.compile(f"[{_BMP}{_NONCHARACTERS}]")
FORBIDDEN_IN_LINE = re.compile(f"[\n{_BMP}{_NONCHARACTERS}]")
# The class without the astral noncharacters is 8x faster; it is enough for text without astral characters.
_FORBIDDEN_BMP = re.compile(f"[{_BMP}]")
_FORBIDDEN_BMP_IN_LINE = re.compile(f"[\n{_BMP}]")
_ASTRAL = re.compile(rb"[\xf0-\xf4]")  # the lead byte of a UTF-8 sequence beyond U+FFFF
# Nearly all text is ASCII, where only C0 controls and DEL can be wrong: a small class is 10x faster.
_FORBIDDEN_ASCII = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_FORBIDDEN_ASCII_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")  # a line break too


def describe_character(char: str) -> str:
    """`U+001B (a control character)`: how to name a character that cannot be shown."""
    code = ord(char)
    if char == "\n":
        kind = "a line break"
    elif 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif unicodedata.category(char) == "Cc":
        kind = "a control character"
    else:
        kind = "a Unicode noncharacter"
    return f"U+{code:04X} ({kind})"


def forbidden_character(text: str, one_line: bool = False) -> re.Match | None:
    """The first character `text` may not hold, or None."""
    if text.isascii():
        return (_FORBIDDEN_ASCII_IN_LINE if one_line else _FORBIDDEN_ASCII).search(text)
    bad = (_FORBIDDEN_BMP_IN_LINE if one_line else _FORBIDDEN_BMP).search(text)
    if bad or not _ASTRAL.search(text.encode("utf-8", "surrogatepass")):
        return bad
    return (FORBIDDEN_IN_LINE if one_line else FORBIDDEN).search(text)


def text_problem(text: str, what: str, limit: int | None = None, one_line: bool = False) -> str | None:
    """Why `text` cannot be published as `what`, or None when it can."""
    bad = forbidden_character(text, one_line)
    if bad:
        where = f" at character {bad.start() + 1}" if len(text) > 1 else ""
        fix = "write it on one line" if bad.group() == "\n" else "remove it"
        return f"{what} contains {describe_character(bad.group())}{where}: {fix}"
    if limit is not None and len(text) > limit:
        return f"{what} is {len(text):,} characters long; the limit is {limit:,}"
    return None


def shown(value, limit: int = 60) -> str:
    """A value as a message may quote it: never longer than `limit`, never on two lines."""
    text = printable(value if isinstance(value, str) else _short_repr(value, limit))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value, limit: int = 60) -> str:
    """`"text"` for text, `a list of 3 items` or `12` for anything else: for "got …" in messages."""
    return f'"{shown(value, limit)}"' if isinstance(value, str) else shown(value, limit)


def _short_repr(value, limit: int) -> str:
    # repr() of a large structure is unbounded; a container is described, not printed.
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} items"
    text = repr(value)
    return text[: limit * 2]


def within_range(moment: datetime) -> bool:
    return FIRST_INSTANT <= moment <= LAST_INSTANT


RANGE_TEXT = f"from {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}"
