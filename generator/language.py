"""The site's language: the theme's words (gettext catalogs) and CLDR's ways of writing dates and numbers.

Words. A theme keeps its translations beside its templates, one gettext catalog per language,
`locale/<lang>/LC_MESSAGES/messages.po` (`de`, `pt_BR`), and `locale/messages.pot` lists every
message. English is the source language: the messages are English, so it needs no catalog. A site's
own theme may add a language or change some words: its catalog is read over the default theme's,
message by message. Catalogs are read and compiled in memory by each build, so there is no compiled
`.mo` file to commit or to go stale.

Formats. Dates, times, numbers, percentages and lists follow CLDR (through Babel) for the tag as
written: `de-AT` reads the German catalog and writes Austrian dates. A bare `en` is international
English, as the pages have always been written: day before month, a 24-hour clock.

Nothing here reads the clock or writes a file.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from gettext import c2py
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from generator.errors import StatusgenError
from generator.limits import THEME_FILE_SIZE, describe_character, forbidden_character
from generator.problems import did_you_mean
from generator.sitefiles import Boundary, SiteFileError
from generator.themes import theme_boundary, theme_dirs

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

SOURCE = "en"
LOCALE = "locale"
DOMAIN = "messages"
TEMPLATE = f"{LOCALE}/{DOMAIN}.pot"
NO_NAME = "\u2205\u2205\u2205"  # CLDR's "no inheritance" marker in zone names

# International English: the day before the month, a 24-hour clock, Babel's English month names.
INTERNATIONAL = {"day": "d MMM", "day_year": "d MMM y", "weekday": "EEE d MMM y", "time": "HH:mm", "month": "MMMM y",
                 "glue": "{1}, {0}"}
# What a translation must keep of its message, and may not add: markup (a translation is written
# into the page as HTML, and into attributes), and the {zone} the optional script fills in.
_MARKUP = re.compile(r"<[^<>]*>|[<>&\"]|\{\w+\}")
_FORMAT = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<conv>.?)", re.S)


class CatalogError(StatusgenError):
    """A theme catalog that cannot be used; the message starts with its file and line."""


def catalog_path(theme: Path, name: str) -> Path:
    return Path(theme) / LOCALE / name / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalog_name(tag: str) -> str:
    """The gettext name of a BCP 47 tag: `pt-BR` → `pt_BR`."""
    return tag.replace("-", "_")


def language_tag(name: str) -> str:
    """The BCP 47 tag of a gettext name: `pt_BR` → `pt-BR`."""
    return name.replace("_", "-")


def catalogs(dirs: list[Path]) -> dict[str, list[Path]]:
    """`{catalog name: [its .po files]}` over the theme folders, the default theme's first.

    `dirs` is most specific first, as `themes.theme_dirs` gives them. Names are
    compared case-insensitively (`pt_br` is `pt_BR`) and kept as the default theme spells them.
    """
    found: dict[str, list[Path]] = {}
    spelled: dict[str, str] = {}
    for theme in reversed(dirs):
        folder = Path(theme) / LOCALE
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if not entry.name.startswith("."))
        except OSError:
            continue
        for name in names:
            path = catalog_path(theme, name)
            if os.path.lexists(path):
                key = spelled.setdefault(name.lower(), name)
                found.setdefault(key, []).append(path)
    return found


def available(dirs: list[Path]) -> list[str]:
    """The languages the theme speaks, as BCP 47 tags, English (the source) included."""
    return sorted({SOURCE, *(language_tag(name) for name in catalogs(dirs))}, key=str.lower)


def resolve(tag: str, names) -> str | None:
    """The catalog a tag reads: itself, else each shorter prefix (`de-AT` → `de`); None if none.

    The source language needs none: `en-US` resolves to "en" with or without an `en` catalog.
    """
    lower = {name.lower(): name for name in names}
    parts = catalog_name(tag).split("_")
    for end in range(len(parts), 0, -1):
        candidate = "_".join(parts[:end]).lower()
        if candidate in lower:
            return lower[candidate]
        if candidate == SOURCE:
            return SOURCE
    return None


def suggestion(tag: str, tags: list[str]) -> str:
    """` (did you mean "pt-BR"?)` for a tag whose language has a catalog under another region."""
    primary = tag.split("-")[0].lower()
    same = [t for t in tags if t.split("-")[0].lower() == primary]
    return f' (did you mean "{same[0]}"?)' if len(same) == 1 else did_you_mean(tag, tags)


# --- catalogs ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def read_catalog(data: bytes, name: str, shown: str) -> tuple[Catalog, list[Problem]]:
    """A `.po` file's catalog, and what is wrong with its messages (each with its line).

    A file that cannot be read as a catalog at all raises CatalogError.
    """
    # Babel's catalog reader is imported by a build that reads a catalog: an English site needs none.
    from babel.messages.pofile import PoFileError, read_po

    try:
        locale = Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        locale = None
    try:
        catalog = read_po(io.BytesIO(data), locale=locale, domain=DOMAIN, ignore_obsolete=True, abort_invalid=True)
    except PoFileError as exc:
        line = " ".join(str(exc.line).split())[:60]
        raise CatalogError(f"{shown}:{exc.lineno + 1}: not a gettext catalog: cannot read the line {line!r}") from None
    except (UnicodeDecodeError, LookupError) as exc:
        raise CatalogError(f"{shown}:1: cannot read this catalog: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Babel's parser raises plain errors on some broken files
        raise CatalogError(f"{shown}:1: not a gettext catalog: {type(exc).__name__}: {exc}") from None
    problems = [Problem(line, text) for line, text in (*_plural_problems(catalog), *_message_problems(catalog))]
    return catalog, problems


MAX_PLURALS = 6  # CLDR's most: Arabic's zero, one, two, few, many and other


def _plural_problems(catalog: Catalog):
    """The Plural-Forms header: a rule gettext can read, giving a form the catalog has for every n."""
    count = catalog.num_plurals
    if not 1 <= count <= MAX_PLURALS:
        yield 1, f"the Plural-Forms header gives nplurals={count}; a language has from 1 to {MAX_PLURALS} plural forms"
        return
    try:
        rule = c2py(catalog.plural_expr)
        for n in range(1001):
            form = rule(n)
            if not 0 <= form < count:
                yield 1, (f"the Plural-Forms header's rule gives form {form} for {n}, but there are only {count} "
                          f"forms (0 to {count - 1})")
                return
    except (ValueError, ArithmeticError, RecursionError) as exc:
        yield 1, f"the Plural-Forms header's rule cannot be read: {exc}"


def _plural_rule(catalog: Catalog) -> Callable[[int], int] | None:
    try:
        return c2py(catalog.plural_expr)
    except ValueError:
        return None  # read_catalog reports it


def _message_problems(catalog: Catalog):
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        shown = _short(ids[0])
        wanted, problem = _placeholders(" ".join(ids))
        if problem:
            yield message.lineno, f"the message {shown} has {problem}"
            continue
        markup = sorted(_MARKUP.findall(ids[0]))
        for text in strings:
            if not text:
                continue
            given, problem = _placeholders(text)
            if bad := forbidden_character(text):
                yield message.lineno, f"the translation of {shown} has {describe_character(bad.group())}"
            elif problem:
                yield message.lineno, f"the translation of {shown} has {problem}; write %% for a percent sign"
            elif unknown := [f"%({k}){v}" for k, v in given.items() if wanted.get(k) != v]:
                known = ", ".join(f"%({k}){v}" for k, v in wanted.items()) or "none"
                yield message.lineno, (f"the translation of {shown} uses {', '.join(unknown)}, which the message does "
                                       f"not have (it has {known})")
            elif sorted(_MARKUP.findall(text)) != markup:
                keep = " ".join(markup) or "no markup"
                yield message.lineno, (f"the translation of {shown} must keep the message's markup and add none "
                                       f'(it has {keep}); write typographic quotes („ “ « » 「」), not "')


def _placeholders(text: str) -> tuple[dict[str, str], str]:
    """`({name: conversion}, "")`, or `({}, what is wrong)`."""
    found = {}
    for m in _FORMAT.finditer(text):
        name, conv = m.group("name"), m.group("conv")
        if name is None and conv == "%":
            continue
        if name is None or conv not in ("s", "d"):
            return {}, f"a stray % ({m.group(0)!r})"
        found[name] = conv
    return found, ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return '"' + (text if len(text) <= 60 else text[:57] + "…") + '"'


def translated(message) -> bool:
    """A message with every form translated and not marked fuzzy."""
    if message.fuzzy or not message.id:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(strings)


class Words:
    """gettext and ngettext over one merged catalog; a message without a translation stays English."""

    def __init__(self, singular: dict[str, str] | None = None, plural: dict[str, tuple[str, ...]] | None = None,
                 plural_form: Callable[[int], int] | None = None):
        self._one = singular or {}
        self._many = plural or {}
        self._form = plural_form or (lambda n: int(n != 1))

    def gettext(self, message: str) -> str:
        return self._one.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._many.get(singular)
        if forms:
            return forms[min(self._form(n), len(forms) - 1)]
        return singular if n == 1 else plural

    @cached_property
    def key(self) -> str:
        """What these words are: equal keys, equal translations (so a feed made with them may be kept)."""
        return hashlib.sha256(repr((sorted(self._one.items()), sorted(self._many.items()))).encode()).hexdigest()

    @property
    def ids(self) -> set[str]:
        return set(self._one) | set(self._many)

    def translation(self, message_id) -> str | tuple[str, ...] | None:
        """The translation of a catalog message id (a tuple for a plural one), or None."""
        if isinstance(message_id, (tuple, list)):
            return self._many.get(message_id[0])
        return self._one.get(message_id)


def template_functions(words: Words) -> dict[str, Callable]:
    """`_`, `gettext` and `ngettext` for autoescaped templates, as Jinja's newstyle i18n has them.

    The translation is markup (catalogs are part of the theme, and `check` holds their markup to
    the message's); the values put in it are escaped. Called straight, not through Jinja's
    context-passing wrappers: a long history's pages call them hundreds of thousands of times.
    """
    def gettext(message: str, **values) -> Markup:
        text = Markup(words.gettext(message))
        return text % values if values or "%" in text else text  # "%%" is a percent sign, as in newstyle

    def ngettext(singular: str, plural: str, n: int, **values) -> Markup:
        values.setdefault("num", n)
        return Markup(words.ngettext(singular, plural, n)) % values

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def merge(catalogs_in_order: list[Catalog]) -> Words:
    """One `Words` from catalogs given least specific first: a later translation wins.

    The plural rule is the most specific catalog's (its Plural-Forms header).
    """
    one: dict[str, str] = {}
    many: dict[str, tuple[str, ...]] = {}
    for catalog in catalogs_in_order:
        count = catalog.num_plurals
        for message in catalog:
            if not translated(message):
                continue
            if isinstance(message.id, (tuple, list)):
                strings = tuple(message.string)
                if len(strings) >= count:
                    many[message.id[0]] = strings[:count]
            elif isinstance(message.string, str):
                one[message.id] = message.string
    rule = _plural_rule(catalogs_in_order[-1]) if catalogs_in_order else None
    return Words(one, many, rule)


# --- formats --------------------------------------------------------------------------


def _cldr_locale(tag: str) -> Locale | None:
    """Babel's locale for a tag, else for its shorter prefixes; None when CLDR knows none."""
    parts = catalog_name(tag).split("_")
    for end in range(len(parts), 0, -1):
        try:
            return Locale.parse("_".join(parts[:end]))
        except (UnknownLocaleError, ValueError):
            continue
    return None


def _patterns(locale: Locale) -> dict[str, str]:
    """The CLDR patterns of a locale for what the pages write (the skeletons are CLDR's names)."""
    skeletons = locale.datetime_skeletons

    def best(skeleton: str) -> str:
        key = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)
        return skeletons[key].pattern

    short_time = re.sub(r"'[^']*'", "", locale.time_formats["short"].pattern)
    twelve_hour = "h" in short_time or "K" in short_time  # the locale's preferred clock
    glue = locale.datetime_formats["medium"]
    return {"day": best("MMMd"), "day_year": best("yMMMd"), "weekday": best("yMMMEd"),
            "time": best("hm" if twelve_hour else "Hm"), "month": best("yMMMM"),
            "glue": glue if isinstance(glue, str) else INTERNATIONAL["glue"]}


@dataclass(eq=False)
class Language:
    """The words and formats of one language tag.

    `catalog` is the catalog its words come from (None: English, no catalog); `cldr`
    is False when CLDR does not know the tag, which then writes dates as in English.
    """

    tag: str = SOURCE
    words: Words = field(default_factory=Words)
    catalog: str | None = None
    locale: Locale = field(default_factory=lambda: Locale.parse(SOURCE))
    patterns: dict = field(default_factory=lambda: dict(INTERNATIONAL))
    cldr: bool = True
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def for_tag(cls, tag: str, words: Words | None = None, catalog: str | None = None) -> "Language":
        locale = _cldr_locale(tag)
        if tag.lower() == SOURCE or locale is None:
            return cls(tag, words or Words(), catalog, Locale.parse(SOURCE), dict(INTERNATIONAL), locale is not None)
        return cls(tag, words or Words(), catalog, locale, _patterns(locale))

    @property
    def direction(self) -> str:
        """`rtl` for a right-to-left script (Arabic, Hebrew, …), else `ltr`."""
        return "rtl" if self.locale.character_order == "right-to-left" else "ltr"

    # -- words: as Jinja's newstyle gettext, a message is always a %-format ----------------
    def gettext(self, message: str, **values) -> str:
        return self.words.gettext(message) % values

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        values.setdefault("num", n)
        return self.words.ngettext(singular, plural, n) % values

    # -- formats ---------------------------------------------------------------------------
    def _apply(self, kind: str, value) -> str:
        pattern = self._cache.get(kind)
        if pattern is None:
            pattern = self._cache[kind] = parse_pattern(self.patterns[kind])
        return DateTimePattern.apply(pattern, value, self.locale)

    def day(self, local: date, year: bool = False) -> str:
        """`26 Nov`, `26. Nov.`, `11月26日`; with the year: `26 Nov 2025`."""
        key = ("day", local.year if year else 0, local.month, local.day)
        text = self._cache.get(key)
        if text is None:
            day = date(local.year, local.month, local.day)
            text = self._cache[key] = self._apply("day_year" if year else "day", day)
        return text

    def weekday(self, local: date) -> str:
        """`Wed 2 Dec 2026`, `Mi., 2. Dez. 2026`: a day with its weekday and year."""
        return self._apply("weekday", date(local.year, local.month, local.day))

    def time(self, local: datetime) -> str:
        """`09:40`, `9:40 AM`: the language's own clock."""
        key = ("time", local.hour, local.minute)
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = self._apply("time", local.replace(tzinfo=None, second=0, microsecond=0))
        return text

    def day_and_time(self, day: str, time: str) -> str:
        """A date and a time written together: `26 Nov, 09:40`."""
        return self.patterns["glue"].replace("{1}", day).replace("{0}", time).replace("'", "")

    def zone(self, local: datetime) -> str:
        """The zone's short name in this language (`MEZ` in German) where CLDR has one, else its abbreviation."""
        name = local.tzname() or "UTC"
        key = ("zone", getattr(local.tzinfo, "key", None), bool(local.dst()), name)
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = self._zone(key[1], key[2]) or ("UTC" + name if name[:1] in "+-" else name)
        return text

    def _zone(self, key: str | None, dst: bool) -> str | None:
        if not key or not self.cldr:
            return None
        key = get_global("zone_aliases").get(key, key)
        variant = "daylight" if dst else "standard"
        names = [self.locale.time_zones.get(key, {}).get("short", {})]
        metazone = get_global("meta_zones").get(key)
        if metazone:
            names.append(self.locale.meta_zones.get(metazone, {}).get("short", {}))
        for found in names:
            short = found.get(variant)
            if short and short != NO_NAME and not short[:1].isdigit() and "+" not in short and "-" not in short:
                return short
        return None

    def month(self, year: int, month: int) -> str:
        """A month as a heading: `November 2026`, `2026年11月`, `Noviembre de 2026`."""
        key = ("month", year, month)
        text = self._cache.get(key)
        if text is None:
            text = self._apply("month", date(year, month, 1))
            text = self._cache[key] = text[:1].upper() + text[1:]
        return text

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        """Uptime given in percent, to two decimals rounded down, so 99.996% never shows as 100.00%."""
        floored = Decimal(math.floor(value * 100)) / Decimal(10000)
        pattern = self._cache.get("percent")
        if pattern is None:
            pattern = self.locale.percent_formats[None].pattern.split(";")[0]
            # Two decimals after the last integer digit: "#,##0 %" becomes "#,##0.00 %".
            pattern = self._cache["percent"] = re.sub(r"0(?=[^0#,.]*$)", "0.00", pattern, count=1)
        return format_percent(floored, pattern, locale=self.locale)

    def names(self, items: list[str]) -> str:
        """`Web app, API, iOS`, `Web-App, API und iOS`, `Web app、API、iOS`: CLDR's narrow list.

        Each part of the pattern falls back from narrow to short to standard, as CLDR inherits them.
        """
        items = list(items)
        if len(items) < 2:
            return "".join(items)
        styles = [self.locale.list_patterns.get(style) or {} for style in ("standard-narrow", "standard-short", "standard")]

        def pattern(key: str) -> str:
            return next((style[key] for style in styles if key in style), "{0}, {1}")

        if len(items) == 2:
            return pattern("2").format(*items)
        text = pattern("end").format(items[-2], items[-1])
        for item in reversed(items[1:-2]):
            text = pattern("middle").format(item, text)
        return pattern("start").format(items[0], text)

    def duration(self, delta: timedelta) -> str:
        """`2d 3h`, `1h 20m`, `12m`: short, for the uptime bars' tooltips."""
        minutes = max(0, int(delta.total_seconds() // 60))
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        parts = []
        if days:
            # Translators: days in an uptime bar's tooltip, as short as can be: "2d 3h".
            parts.append(self.ngettext("%(num)dd", "%(num)dd", days))
        if hours:
            # Translators: hours in an uptime bar's tooltip, as short as can be: "1h 20m".
            parts.append(self.ngettext("%(num)dh", "%(num)dh", hours))
        if mins or not parts:
            # Translators: minutes in an uptime bar's tooltip, as short as can be: "12m".
            parts.append(self.ngettext("%(num)dm", "%(num)dm", mins))
        return " ".join(parts[:2])


ENGLISH = Language()


# --- loading -------------------------------------------------------------------------


def _shown(root: Path, path: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def read_catalogs(paths: list[Path], root: Path, boundary: Boundary) -> list[tuple[Path, Catalog, list[Problem]]]:
    out = []
    for path in paths:
        shown = _shown(root, path)
        try:
            data = boundary.read(path, THEME_FILE_SIZE)
        except SiteFileError as exc:
            raise CatalogError(f"{shown}:1: cannot use this catalog: it {exc.message}") from None
        catalog, problems = read_catalog(data, path.parent.parent.name, shown)
        out.append((path, catalog, problems))
    return out


def load(dirs: list[Path], tag: str, root: Path, boundary: Boundary) -> Language:
    """The language of `tag` with the theme's merged catalog; CatalogError when it has none or a bad one."""
    found = catalogs(dirs)
    name = resolve(tag, found)
    if name is None:
        raise CatalogError(f'content/site.yaml: the theme has no catalog for language "{tag}"; '
                           f"it speaks {', '.join(available(dirs))}")
    read = read_catalogs(found.get(name, []), Path(root), boundary)
    for path, _catalog, problems in read:
        if problems:
            raise CatalogError(f"{_shown(Path(root), path)}:{problems[0].line}: {problems[0].message}")
    words = merge([catalog for _path, catalog, _problems in read])
    return Language.for_tag(tag, words, name if read else None)


def review(dirs: list[Path], tag: str, root: Path, boundary: Boundary, where: tuple[int, int], problems) -> None:
    """`check`'s part: the language has a catalog, its catalogs read cleanly and translate every message.

    A language without a catalog is an error at `where` in site.yaml; a bad message is an error at its
    line; messages left untranslated (they show in English) are one warning on the most specific catalog.
    """
    site_rel = "content/site.yaml"
    found = catalogs(dirs)
    name = resolve(tag, found)
    if name is None:
        tags = available(dirs)
        problems.error(site_rel, *where, f'the theme has no translation for language "{tag}"{suggestion(tag, tags)}; '
                                         f"it has {', '.join(tags)}. To add one, see `statusgen docs themes`")
        return
    if _cldr_locale(tag) is None:
        problems.warn(site_rel, *where, f'CLDR has no data for language "{tag}": dates and numbers are written as in English')
    if name == SOURCE and not found.get(name):
        return
    root = Path(root)
    try:
        read = read_catalogs(found[name], root, boundary)
    except CatalogError as exc:
        shown, line, message = _split(exc.message)
        problems.error(shown, line, 1, message)
        return
    for path, _catalog, found_problems in read:
        for problem in found_problems:
            problems.error(_shown(root, path), problem.line, 1, problem.message)
    counts = {catalog.num_plurals for _path, catalog, _problems in read}
    if len(counts) > 1:
        problems.error(_shown(root, read[-1][0]), 1, 1, "its Plural-Forms header does not agree with the default "
                       "theme's catalog for this language: copy the header's Plural-Forms line from it")
    if name == SOURCE or any(found_problems for _path, _catalog, found_problems in read):
        return
    from babel.messages.pofile import PoFileError, read_po

    template = Path(dirs[-1]) / TEMPLATE
    try:
        wanted = [m.id for m in read_po(io.BytesIO(boundary.read(template, THEME_FILE_SIZE))) if m.id]
    except (SiteFileError, PoFileError, OSError, ValueError):
        return  # no template to count against (a site's own copy of the default theme may lack it)
    have = merge([catalog for _path, catalog, _problems in read]).ids
    missing = [i[0] if isinstance(i, (tuple, list)) else i for i in wanted]
    missing = [m for m in missing if m not in have]
    if missing:
        which = ": " + ", ".join(_short(m) for m in missing) if len(missing) <= 3 else ""
        problems.warn(_shown(root, read[-1][0]), 1, 1,
                      f"{len(missing)} of {len(wanted)} messages have no translation yet, so pages show them in English"
                      f"{which}; `statusgen messages {tag}` writes the catalog with every message")


def _split(message: str) -> tuple[str, int, str]:
    """`(file, line, text)` of a CatalogError's `file:line: text`."""
    m = re.match(r"(.*?):(\d+): (.*)", message, re.S)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else ("content/site.yaml", 1, message)


def starter(dirs: list[Path], tag: str | None, root: Path, boundary: Boundary) -> bytes:
    """A catalog to translate the theme with (`statusgen messages`).

    Without a tag: the default theme's template, `locale/messages.pot`, as it is. With one: every
    message of the template, with the translation the theme already has for it (the site's own
    catalog over the default theme's), else an empty one, under a header for that language. So it
    starts a new language, and run again after an upgrade it brings in the new messages.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.plurals import get_plural
    from babel.messages.pofile import write_po

    template_path = Path(dirs[-1]) / TEMPLATE
    try:
        data = boundary.read(template_path, THEME_FILE_SIZE)
    except SiteFileError as exc:
        raise CatalogError(f"{_shown(Path(root), template_path)}:1: cannot read the theme's messages: it {exc.message}") from None
    if tag is None:
        return data
    template, _unused = read_catalog(data, SOURCE, _shown(Path(root), template_path))  # CatalogError if unreadable
    found = catalogs(dirs)
    name = resolve(tag, found)
    read = read_catalogs(found.get(name, []), Path(root), boundary) if name else []
    for path, _catalog, problems in read:
        if problems:  # `statusgen check` lists them all
            raise CatalogError(f"{_shown(Path(root), path)}:{problems[0].line}: {problems[0].message}")
    words = merge([catalog for _path, catalog, _problems in read])
    try:
        locale = Locale.parse(catalog_name(tag))
    except (UnknownLocaleError, ValueError):
        locale = None
    out = Catalog(locale=locale, domain=DOMAIN, project=template.project, version=template.version,
                  msgid_bugs_address=template.msgid_bugs_address, copyright_holder=template.copyright_holder,
                  creation_date=template.creation_date, revision_date=template.creation_date, fuzzy=False,
                  header_comment=f"# {language_tag(name or catalog_name(tag))} messages of the statusgen theme.\n"
                                 "# Made with `statusgen messages`; see `statusgen docs themes`.")
    if read:  # keep the plural rule the theme's catalog already has
        count, expr = read[-1][1].num_plurals, read[-1][1].plural_expr
    else:
        rule = get_plural(locale) if locale is not None else None
        count, expr = (rule.num_plurals, rule.plural_expr) if rule else (2, "(n != 1)")
    out.mime_headers = [("Plural-Forms", f"nplurals={count}; plural={expr};")]
    for message in template:
        if not message.id:
            continue
        known = words.translation(message.id)
        if isinstance(message.id, (tuple, list)):
            string = known if isinstance(known, tuple) else ("",) * count
        else:
            string = known if isinstance(known, str) else ""
        out.add(message.id, string, locations=message.locations, flags=message.flags - {"fuzzy"},
                auto_comments=message.auto_comments)
    buffer = io.BytesIO()
    write_po(buffer, out, sort_output=True, ignore_obsolete=True)
    return buffer.getvalue()


def site_language(root: Path, site) -> Language:
    """The site's language as its theme speaks it; the feeds and the calendar carry prose too."""
    return load(theme_dirs(root, site.theme), site.language, Path(root), theme_boundary(root))
