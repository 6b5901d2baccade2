"""The status site: a `Snapshot` rendered through the theme's Jinja templates.

`render_pages` (the pages about the whole site) and `event_pages` (one page
per incident or maintenance, each standing alone, so a build can spread them
over the cores) return `{relative output path: bytes}` and write nothing.
Every page is a pure function of the snapshot and the theme, so the same
content and `now` give the same bytes, and a page whose inputs did not change
does not change.

Links between pages are relative (`../../history/`), so the site works on an
S3 website endpoint, under `python -m http.server` and under a subpath. The
one exception is `404.html`, which a server returns for any missing path, so
its links start at the site's path prefix instead.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

import jinja2
from markupsafe import Markup

from generator import pagecache, paths, templatecache
from generator.cachefiles import code_fingerprint, library_version
from generator.limits import THEME_FILE_SIZE
from generator.markup import cache_key as markup_cache_key, excerpt, to_html
from generator.language import ENGLISH, Language, template_functions
from generator.themes import ThemeError, theme_boundary, theme_dirs
from generator.language import load as load_language
from generator.model import COMPONENT_STATUS_LABELS, Component, Group, N_
from generator.sitefiles import Boundary, SiteFileError
from generator.status import RECENT_DAYS, DayUptime, EventState, Snapshot, Uptime
from generator.timestamps import UTC, isoformat

HISTORY_PER_PAGE = 50
RECENT_MAX = 10
HOME_EVENTS_MAX = 10  # active incidents, and maintenances in each list, shown on the home page
# The home page shows a tooltip on each uptime day with events while they fit
# in this many; past it (a very busy history) the bars stay bare and the
# component pages carry the days, so the home page stays small.
DAY_TITLES_MAX = 400
COMPONENT_EVENTS_MAX = 50
# Paths written by other producers (feeds, calendar, API, badges); the pages link to them.
IMPACT_LABELS = {  # Translators: an incident's impact, under the heading "Impact".
    "none": N_("No impact"),
    "minor": N_("Minor"),
    "major": N_("Major"),
    "critical": N_("Critical"),
    "maintenance": N_("Maintenance"),
}
INDICATOR_CLASSES = {"none": "ok", "minor": "minor", "major": "major", "critical": "critical", "maintenance": "maint"}
# One-letter CSS classes keep the 90-day bars small: a home page has hundreds of them.
DAY_CLASSES = {
    "operational": "o",
    "degraded_performance": "d",
    "partial_outage": "p",
    "major_outage": "m",
    "under_maintenance": "w",
}


# --- formatting (also the templates' filters) ------------------------------


@dataclass(frozen=True)
class Clock:
    """How the pages write times without the script: in the site's zone, named by its abbreviation.

    Dates and times are written as the site's language writes them (CLDR, through Babel):
    `26 Nov, 09:40 CET`, `26. Nov., 09:40 MEZ`, `Nov 26, 9:40 AM EST` for `en-US`. The year
    is left out for the year of `now` (in the site's zone). The optional script rewrites
    each `<time>` in the reader's own zone by the same rules.
    """

    tz: object = UTC  # a tzinfo
    language: Language = ENGLISH
    year: int = 0  # the current year in tz: dates in it are written without one

    @classmethod
    def for_site(cls, site, now: datetime, language: Language | None = None) -> "Clock":
        language = language or Language.for_tag(site.language)
        return cls(site.timezone, language, now.astimezone(site.timezone).year)

    def local(self, dt: datetime) -> datetime:
        return dt.astimezone(self.tz)

    def day(self, local: datetime) -> str:
        return self.language.day(local, year=local.year != self.year)

    def hm(self, local: datetime) -> str:
        return self.language.time(local)

    def zone(self, local: datetime) -> str:
        return self.language.zone(local)  # zones without an abbreviation: UTC+04

    def stamp(self, local: datetime) -> str:
        """`26 Nov, 09:40`: the day and the time, without the zone."""
        return self.language.day_and_time(self.day(local), self.hm(local))

    def datetime(self, dt: datetime) -> str:
        """`26 Nov, 09:40 CET`; `3 Dec 2025, 14:02 CET` for another year."""
        local = self.local(dt)
        return f"{self.stamp(local)} {self.zone(local)}"


UTC_CLOCK = Clock()


def _clock(context) -> Clock:
    clock = context.get("clock") if context is not None else None
    return clock if isinstance(clock, Clock) else UTC_CLOCK


def fmt_datetime(dt: datetime, clock: Clock = UTC_CLOCK) -> str:
    """`26 Nov, 09:40 CET`: what readers without JavaScript see, in the site's zone."""
    return clock.datetime(dt)


def short_date(d, language: Language = ENGLISH) -> str:
    return language.day(d)


def fmt_date(d, language: Language = ENGLISH) -> str:
    return language.day(d, year=True)


def time_tag(dt: datetime | None, clock: Clock = UTC_CLOCK) -> Markup:
    """A `<time>` carrying the UTC instant, written in the site's zone; the optional script rewrites it."""
    if dt is None:
        return Markup("")
    return Markup(f'<time datetime="{isoformat(dt)}">{clock.datetime(dt)}</time>')  # CLDR's words: nothing to escape


def range_tag(start: datetime | None, end: datetime | None, clock: Clock = UTC_CLOCK) -> Markup:
    """`1 Dec, 21:00–22:00 PST`: the date once on the same day, the zone once when it does not change.

    Two `<time>` elements in a `<span class="range">`, so the script can rewrite the
    pair by the same rules in the reader's zone.
    """
    if start is None:
        return time_tag(end, clock)
    if end is None:
        return time_tag(start, clock)
    a, b = clock.local(start), clock.local(end)
    za, zb = clock.zone(a), clock.zone(b)
    first = clock.stamp(a) + ("" if za == zb else f" {za}")
    same_day = (a.year, a.month, a.day) == (b.year, b.month, b.day)
    second = (clock.hm(b) if same_day else clock.stamp(b)) + f" {zb}"
    dash = "–" if same_day else " – "
    return Markup(f'<span class="range"><time datetime="{isoformat(start)}">{first}</time>{dash}'
                  f'<time datetime="{isoformat(end)}">{second}</time></span>')


def duration_parts(delta: timedelta | None) -> tuple[int, int, int]:
    """(days, hours, minutes) of a duration, for templates to write with their own words.

    Days are given only from two days up, and minutes only below a day, so the text stays short:
    `2 h 14 min`, `1 d 5 h`… written by the template's `duration_text` macro.
    """
    minutes = max(0, int(delta.total_seconds() // 60)) if delta is not None else 0
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days == 1:
        days, hours = 0, hours + 24
    return days, hours, (mins if not days else 0)


def fmt_percent(value: float | None, language: Language = ENGLISH) -> str:
    """Uptime, rounded down so 99.996% never shows as 100.00%."""
    if value is None:
        return language.gettext("no data")
    return language.percent(value)


def fmt_duration(delta: timedelta | None, language: Language = ENGLISH) -> str:
    return language.duration(delta) if delta is not None else ""


def markdown_filter(text: str) -> Markup:
    # to_html sanitizes with an allow-list; only its output is marked safe.
    return Markup(to_html(text or ""))


# --- view models ---------------------------------------------------------------


@dataclass(frozen=True)
class BarItem:
    """One cell of an uptime bar: a single day, or a run of quiet days."""

    css: str  # e.g. "o s12", "p"
    label: str  # the day, e.g. "24 Nov 2026"
    short: str  # the day without the year, for the home page's tooltips
    text: str  # "No downtime", "Partial outage 1h 20m", …
    brief: str  # the same, shorter, for the home page's tooltips
    uptime: str  # "99.07%", or "" for quiet runs
    events: tuple  # EventStates touching the day
    anchor: str = ""  # the day's id on the component page, for days with events


@dataclass(frozen=True)
class ComponentView:
    component: Component
    status: str
    status_label: str
    uptime: Uptime
    uptime_percent: str
    bar: tuple[BarItem, ...]  # one cell per day
    visible: bool  # only_show_if_degraded hides it while operational


@dataclass(frozen=True)
class GroupView:
    group: Group
    status: str
    status_label: str
    members: tuple[ComponentView, ...]


# Translators: "Degraded performance", shortened for an uptime bar's tooltip.
BRIEF_LABELS = {**COMPONENT_STATUS_LABELS, "degraded_performance": N_("Degraded")}


def _downtime_text(day: DayUptime, labels: dict = COMPONENT_STATUS_LABELS, language: Language = ENGLISH) -> str:
    parts = []
    for status in ("major_outage", "partial_outage", "degraded_performance"):
        secs = day.outage.get(status, 0)
        if secs > 0:
            parts.append(f"{language.gettext(labels[status])} {language.duration(timedelta(seconds=secs))}")
    return ", ".join(parts) if parts else language.gettext("No downtime")


def uptime_bar(uptime: Uptime, events: dict, language: Language = ENGLISH) -> tuple[BarItem, ...]:
    """One cell per day, oldest first; days with events carry an anchor for the component page."""
    items: list[BarItem] = []
    _ = language.gettext
    for day in uptime.days:
        touching = tuple(events[i] for i in day.incidents if i in events)
        if not touching:
            no_data = day.counted <= 0
            items.append(BarItem(
                css="x" if no_data else "o",
                label=fmt_date(day.day, language),
                short=short_date(day.day, language),
                text=_("No data") if no_data else _("No downtime"),
                brief="",
                uptime="",
                events=(),
            ))
            continue
        worst = day.worst
        if worst == "operational" and any(e.incident.is_maintenance for e in touching):
            worst = "under_maintenance"
        maintenance = worst == "under_maintenance"
        items.append(BarItem(
            css=DAY_CLASSES[worst],
            label=fmt_date(day.day, language),
            short=short_date(day.day, language),
            text=_("Maintenance, no downtime") if maintenance else _downtime_text(day, language=language),
            brief=_("Maintenance") if maintenance else _downtime_text(day, BRIEF_LABELS, language),
            uptime=fmt_percent(None if day.uptime is None else day.uptime * 100, language),
            events=touching,
            anchor=f"d-{day.day.isoformat()}",
        ))
    return tuple(items)


def component_views(snap: Snapshot, language: Language = ENGLISH) -> dict[str, ComponentView]:
    views = {}
    for component in snap.content.catalog.components:
        uptime = snap.uptime(component)
        status = snap.component_status(component.id)
        views[component.id] = ComponentView(
            component=component,
            status=status,
            status_label=language.gettext(COMPONENT_STATUS_LABELS[status]),
            uptime=uptime,
            uptime_percent=fmt_percent(uptime.percent, language),
            bar=uptime_bar(uptime, snap.events, language),
            visible=not component.only_show_if_degraded or status != "operational",
        )
    return views


def catalog_views(snap: Snapshot, views: dict[str, ComponentView], language: Language = ENGLISH) -> list:
    """The home page's component list: components and groups in page order."""
    out = []
    for entry in snap.content.catalog.entries:
        if isinstance(entry, Group):
            members = tuple(views[c.id] for c in entry.components if views[c.id].visible)
            if members:
                status = snap.group_status(entry)
                out.append(GroupView(entry, status, language.gettext(COMPONENT_STATUS_LABELS[status]), members))
        elif views[entry.id].visible:
            out.append(views[entry.id])
    return out


def history_pages(events: list[EventState], now: datetime | None = None, tz=UTC,
                  language: Language = ENGLISH) -> list[list[tuple[str, list[EventState]]]]:
    """Pages of (month heading, events) groups, newest first.

    Every month in range appears, a quiet one with no events (the page says
    "No incidents reported"): from the month of `now` (or of the newest event, if
    later) down to the month of the oldest event. A gap between two pages'
    events goes at the end of the newer page.
    """
    def month(state: EventState):
        when = state.began or state.incident.first_update_at
        if when is None:
            return None
        local = when.astimezone(tz) if tz is not UTC else when
        return local.year, local.month

    def label(key) -> str:
        return language.month(key[0], key[1]) if key else language.gettext("Undated")

    def months_between(newer, older):
        """Months after `older` and before `newer`, newest first."""
        y, m = newer
        out = []
        while True:
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
            if (y, m) <= older:
                return out
            out.append((y, m))

    pages = []
    previous = None  # the last month key shown
    if now is not None:
        local_now = now.astimezone(tz)
        newest = max((k for k in map(month, events[:1]) if k), default=None)
        start = max(filter(None, [(local_now.year, local_now.month), newest]))
        previous = (start[0], start[1] + 1) if start[1] < 12 else (start[0] + 1, 1)
    for start in range(0, max(len(events), 1), HISTORY_PER_PAGE):
        groups: list[tuple[str, list[EventState]]] = []
        for state in events[start : start + HISTORY_PER_PAGE]:
            key = month(state)
            if key is not None and previous is not None and key < previous:
                gap = months_between(previous, key)
                if gap and not groups and pages:
                    pages[-1].extend((label(k), []) for k in gap)  # between two pages: the newer one shows it
                else:
                    groups.extend((label(k), []) for k in gap)
            if not groups or groups[-1][0] != label(key):
                groups.append((label(key), []))
            groups[-1][1].append(state)
            if key is not None:
                previous = key
        pages.append(groups)
    return pages


def _changed_at(state: EventState, now: datetime) -> datetime | None:
    """When what a card shows of `state` last changed: its latest update, or a window edge it passed."""
    times = [state.updates[0].at] if state.updates else []
    if state.window is not None:
        times += [t for t in (state.window.start, state.window.end) if t is not None and t <= now]
    return max(times, default=state.began)


# --- themes ----------------------------------------------------------------------


def _read_theme_file(boundary: Boundary, root: Path, path: Path) -> bytes:
    try:
        return boundary.read(path, THEME_FILE_SIZE)
    except SiteFileError as exc:
        raise ThemeError(f"{_shown_path(root, path)}: cannot use this theme file: it {exc.message}") from None


def _shown_path(root: Path, path: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


class ThemeLoader(jinja2.BaseLoader):
    """Templates from theme folders, most specific first, read only as the boundary allows.

    "!default/x.html" always means the default theme's x.html, so an override can extend it.
    """

    def __init__(self, dirs: list[Path], root: Path, boundary: Boundary):
        self.dirs = [Path(d) / "templates" for d in dirs]
        self.root = root
        self.boundary = boundary

    def get_source(self, environment, template):
        folders = self.dirs
        if template.startswith("!default/"):
            folders, template = self.dirs[-1:], template[len("!default/"):]
        parts = jinja2.loaders.split_template_path(template)
        for folder in folders:
            path = folder.joinpath(*parts)
            if os.path.lexists(path):
                source = _read_theme_file(self.boundary, self.root, path)
                try:
                    text = source.decode("utf-8")
                except UnicodeDecodeError:
                    raise ThemeError(f"{_shown_path(self.root, path)}: a template must be UTF-8 text") from None
                return text, str(path), lambda: True
        raise jinja2.TemplateNotFound(template)


def environment(dirs: list[Path], root: Path | None = None, boundary: Boundary | None = None,
                language: Language = ENGLISH) -> jinja2.Environment:
    """Templates looked up in order; "!default/x.html" always means the default theme's x.html.

    Templates speak `language`: `_()`, `ngettext()` and `{% trans %}` (Jinja's i18n extension,
    newstyle, trimmed) read its catalog, and the filters write its dates and numbers.
    babel.cfg extracts the messages with the same options.
    """
    root = Path(root) if root else Path(dirs[0]).parent.parent
    loader = ThemeLoader(dirs, root, boundary or theme_boundary(root))
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
        bytecode_cache=templatecache.current(),
    )
    env.context_class = RecordingContext  # notes nothing unless `serve` records what pages read
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(language.words.gettext, language.words.ngettext, newstyle=True)
    env.globals.update(template_functions(language.words))  # the same, without a context lookup per call
    # Links to other pages name them as generator/paths.py does, so a URL changes in one place.
    env.globals.update(incident_page=paths.incident_page, component_page=paths.component_page,
                       history_page=paths.history_page)
    _ = language.words.gettext
    env.filters.update(
        markdown=markdown_filter,
        excerpt=excerpt,
        time=jinja2.pass_context(lambda context, dt: time_tag(dt, _clock(context))),
        range=jinja2.pass_context(lambda context, start, end: range_tag(start, end, _clock(context))),
        datetime=jinja2.pass_context(lambda context, dt: fmt_datetime(dt, _clock(context))),
        iso=isoformat,
        duration_parts=duration_parts,
        date=lambda d: fmt_date(d, language),
        percent=lambda value: fmt_percent(value, language),
        duration=lambda delta: fmt_duration(delta, language),
        number=language.number,
        names=lambda items, lookup=None: language.names([lookup[i] for i in items] if lookup is not None else items),
        component_status=lambda status: _(COMPONENT_STATUS_LABELS[status]),
        impact=lambda impact: _(IMPACT_LABELS.get(impact, impact)),
    )
    return env


def static_files(dirs: list[Path], root: Path | None = None, boundary: Boundary | None = None) -> dict[str, tuple[str, bytes]]:
    """`{name: (hashed output path, bytes)}`; a theme's file replaces the default's of the same name."""
    root = Path(root) if root else Path(dirs[0]).parent.parent
    boundary = boundary or theme_boundary(root)
    found: dict[str, bytes] = {}
    for folder in reversed(dirs):
        static = folder / "static"
        if not os.path.lexists(static):
            continue
        if not boundary.contains(static):
            raise ThemeError(f"{_shown_path(root, static)}: cannot use this theme folder: it is a symbolic link "
                             "to a folder outside the site's content/ and themes/ folders")
        for path in boundary.files_under(static):
            found[path.relative_to(static).as_posix()] = _read_theme_file(boundary, root, path)
    out = {}
    for name, data in sorted(found.items()):
        digest = hashlib.sha256(data).hexdigest()[:8]
        stem, dot, ext = name.rpartition(".")
        hashed = f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{name}.{digest}"
        out[name] = ("static/" + hashed, data)
    return out


# --- pages -----------------------------------------------------------------------


class Page(NamedTuple):
    """One page to render: its template, its site path ("" is home, "incidents/x/" a folder), title and own values."""

    template: str
    path: str
    title: str
    context: dict

    @property
    def out(self) -> str:
        """Its file in the output folder."""
        return self.path if self.path == paths.NOT_FOUND else self.path + paths.HOME


# --- what a page read, for `serve`'s rebuilds ------------------------------------

# While recording, the names each page's template read, by output file: a page
# whose names hold the same values in the next snapshot is the same page.
_READS: dict[str, frozenset] | None = None
_READING: set | None = None  # the names the page being rendered has read so far
_SETS: dict[frozenset, frozenset] = {}


class RecordingContext(jinja2.runtime.Context):
    """A template context that notes each name a template looks up (its own, its macros', its includes')."""

    def resolve_or_missing(self, key: str):
        if _READING is not None:
            _READING.add(key)
        return super().resolve_or_missing(key)


def _interned(names: frozenset) -> frozenset:
    return _SETS.setdefault(names, names)


def record_reads(on: bool = True) -> None:
    """Start (or stop) noting what each page rendered in this process reads; `take_reads` hands them over."""
    global _READS
    _READS = {} if on else None


def take_reads() -> dict[str, frozenset]:
    """The names each page rendered since the last call read, by output file (nothing when not recording)."""
    if not _READS:
        return {}
    taken = dict(_READS)
    _READS.clear()
    return taken


_NOTHING = object()
_NAMES: dict[tuple, tuple] = {}  # one tuple per set of names read: the pages of a template share it


class Renderer:
    """Renders the pages of one snapshot; holds what every page shares."""

    def __init__(self, snap: Snapshot, root: Path, theme: Renderer | None = None):
        """`theme`: an earlier snapshot's renderer whose theme (templates, static files) is still the site's (`serve`)."""
        self.snap = snap
        self.root = root
        self.site = snap.content.site
        if theme is not None:
            self.dirs, self.env, self.static, self.language = theme.dirs, theme.env, theme.static, theme.language
        else:
            self.dirs = theme_dirs(root, self.site.theme)
            boundary = theme_boundary(root)
            self.language = load_language(self.dirs, self.site.language, root, boundary)
            self.env = environment(self.dirs, root, boundary, self.language)
            self.static = static_files(self.dirs, root, boundary)
        self.views = component_views(snap, self.language)
        self.names = {c.id: c.name for c in snap.content.catalog.components}
        self.names.update({g.id: g.name for g in snap.content.catalog.groups})
        self.shared = {
            "site": self.site,
            "snap": self.snap,
            "now": self.snap.now,
            "indicator": self.snap.indicator,
            "indicator_class": INDICATOR_CLASSES[self.snap.indicator],
            # The API keeps Statuspage's English words (clients match on them); pages speak the site's language.
            "description": self.language.gettext(self.snap.description),
            "component_names": self.names,
            "feeds": {"rss": paths.FEED_RSS, "atom": paths.FEED_ATOM, "calendar": paths.CALENDAR},
            "clock": Clock.for_site(self.site, self.snap.now, self.language),
            "text_direction": self.language.direction,
            # When the page last changed, as page.updated_at in the API (none before anything happened).
            "updated_at": self.snap.updated_at,
            "stale_after": None,
            "built": self.snap.now,  # the stale notice's data-built: on the pages that carry one
        }
        self._described: dict[str, str | None] = {}  # the shared values, as `fingerprint` describes them
        after = self.site.stale_notice_after
        # The build time goes only on the pages that change anyway while an incident is active.
        self.stale_after = int(after.total_seconds()) if after and snap.active_incidents else None

    def preload(self) -> None:
        """Compile (or load from the cache) every template of the theme now, in this process.

        A template that does not compile is left to fail where a page uses it, as it would without this.
        """
        for folder in self.dirs:
            templates = Path(folder) / "templates"
            if not templates.is_dir():
                continue
            for path in sorted(templates.rglob("*.html")):
                try:
                    self.env.get_template(path.relative_to(templates).as_posix())
                except (jinja2.TemplateError, ThemeError, OSError):
                    pass

    def render(self, template: str, path: str, title: str, **context) -> bytes:
        """Render `template` as the page at site path `path` ("" is home, "incidents/x/" a folder)."""
        return self.render_page(Page(template, path, title, context))

    def context(self, page: Page) -> dict:
        """Everything `page`'s template can read: what all pages share, the page's own, and its links."""
        path, template = page.path, page.template
        if path == paths.NOT_FOUND:
            root = self.site.path_prefix  # served for any missing path: links cannot be relative
        else:
            root = "../" * path.count("/")

        def url(target: str = "") -> str:
            return root + target or "./"

        def static(name: str) -> str:
            if name not in self.static:
                raise ThemeError(f'template {template} asks for static file "{name}", which no theme has')
            return url(self.static[name][0])

        webcal = "webcal://" + paths.url(self.site, paths.CALENDAR).split("://", 1)[-1]
        return {
            **self.shared,
            **page.context,
            "page_path": path,
            "page_title": page.title,
            "canonical": paths.url(self.site, "" if path == paths.NOT_FOUND else path),
            "url": url,
            "static": static,
            "webcal_url": webcal,
        }

    def render_page(self, page: Page, context: dict | None = None, names: set | None = None) -> bytes:
        """The page's bytes; `names`, when given, gets the names its template read."""
        template, path = page.template, page.path
        global _READING
        if _READS is not None or names is not None:
            _READING = names if names is not None else set()
        try:
            html = self.env.get_template(template).render(context if context is not None else self.context(page))
        except jinja2.TemplateError as exc:
            raise ThemeError(f"{_template_location(exc)}template error in {template}: {exc}") from None
        except ThemeError:
            raise
        except Exception as exc:  # noqa: BLE001 - a template's own Python error, e.g. {{ 1 // 0 }}
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise ThemeError(f"{_template_location(exc)}template {template} failed rendering {path or 'index.html'}: "
                             f"{reason}") from None
        finally:
            if _READS is not None:
                _READS[page.out] = _interned(frozenset(_READING))
            _READING = None
        return html.encode("utf-8")

    def incident_view(self, state: EventState) -> dict:
        incident = state.incident
        return {
            "event": state,
            "incident": incident,
            "affected": [(cid, self.names.get(cid, cid), st) for cid, st in incident.components.items()],
            # An incident's page changes only with the incident: it says when that was, as its own JSON does.
            # (The site-wide time would rewrite and re-upload every incident page on every update.)
            "updated_at": state.updated_at,
        }

    def incident(self, iid: str) -> Page:
        state = self.snap.events[iid]
        path = paths.incident_page(iid)
        stale = self.stale_after if state.is_active and not state.incident.is_maintenance else None
        # Only an active incident's page carries the build time: the others do not change with the clock.
        return Page("incident.html", path, state.incident.title,
                    {"stale_after": stale, "built": self.snap.now if stale else None, **self.incident_view(state)})

    def incident_page(self, iid: str) -> tuple[str, bytes]:
        """The event's page: from the output folder when its template would read the same values (pagecache)."""
        page = self.incident(iid)
        store = pagecache.current()
        if store is None:
            return page.out, self.render_page(page)
        context = self.context(page)
        note = store.noted(page.out)
        if note is not None and note[0] == page.template and self.fingerprint(page, context, note[1]) == note[2]:
            data = store.on_disk(page.out, note[3])
            if data is not None:
                store.keep(page.out, note)
                if _READS is not None:  # `serve` compares them at its next rebuild
                    _READS[page.out] = _interned(frozenset(note[1]))
                return page.out, data
        names: set = set()
        data = self.render_page(page, context, names)
        fingerprint = self.fingerprint(page, context, names)
        if fingerprint is not None:
            read = tuple(sorted(names))
            store.keep(page.out, (page.template, _NAMES.setdefault(read, read), fingerprint, pagecache.digest(data)))
        return page.out, data

    def fingerprint(self, page: Page, context: dict, names) -> str | None:
        """A digest of the values of `names` in `context` for `page`; None when a value cannot be told apart."""
        h = hashlib.blake2b(repr((page.template, page.path, page.title)).encode("utf-8", "surrogatepass"),
                            digest_size=16)
        memo: dict[int, int] = {}
        try:
            for name in sorted(names):
                h.update(b"\0" + name.encode() + b"=")
                if name not in context or name in ("url", "static"):
                    continue  # a global, a macro, undefined; or this page's links: the salt's, and the page's path
                value = context[name]
                if value is self.shared.get(name, _NOTHING):  # the same for every page of the build: described once
                    text = self._described.get(name)
                    if text is None:
                        text = self._described[name] = self._describe_shared(name, value)
                else:
                    text = pagecache.describe(value, memo)
                if text is None:
                    return None
                h.update(text.encode("utf-8", "surrogatepass"))
        except pagecache.Unknown:
            return None
        return h.hexdigest()

    def _describe_shared(self, name: str, value) -> str | None:
        if isinstance(value, Clock):
            return repr((value.tz, value.language.tag, value.language.words.key, value.year))
        if isinstance(value, Snapshot):
            return None  # the whole site: not worth telling apart
        try:
            return pagecache.describe(value, {})
        except pagecache.Unknown:
            return None

    def cache_salt(self) -> str:
        """What besides its values makes a page: statusgen's code, the theme's files, the libraries, the language."""
        return "|".join([
            code_fingerprint(), pagecache.folder_fingerprint([Path(d) for d in self.dirs]),
            library_version("jinja2", "markupsafe", "babel"), markup_cache_key(), templatecache.fingerprint(self.env),
            self.language.tag, str(self.language.words.key),
            # What an incident is made of besides its file (see pagecache.describe): the settings and components.
            self._settings_digest(),
        ])

    def _settings_digest(self) -> str:
        try:
            text = pagecache.describe((self.site, self.snap.content.catalog), {})
        except pagecache.Unknown:
            return os.urandom(16).hex()  # settings it cannot tell apart: no page is taken from an earlier build
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def pages(self) -> dict[str, bytes]:
        """The pages about the whole site: home, history, components, 404, and the static assets."""
        files: dict[str, bytes] = {hashed: data for hashed, data in self.static.values()}
        for page in self.site_pages():
            files[page.out] = self.render_page(page)
        return files

    def site_pages(self) -> Iterator[Page]:
        """Home, the history pages, the component pages and the 404 page, each with what it shows."""
        snap = self.snap
        recent = snap.recent
        recent_more = max(0, len(recent) - RECENT_MAX)
        recent = recent[:RECENT_MAX]
        active, in_progress, upcoming = snap.active_incidents, snap.active_maintenances, snap.upcoming_maintenances
        yield Page("index.html", "", self.site.title, dict(
            active=active[:HOME_EVENTS_MAX],
            active_more=max(0, len(active) - HOME_EVENTS_MAX),
            in_progress=in_progress[:HOME_EVENTS_MAX],
            upcoming=upcoming[:HOME_EVENTS_MAX],
            maintenance_more=max(0, len(in_progress) - HOME_EVENTS_MAX) + max(0, len(upcoming) - HOME_EVENTS_MAX),
            entries=catalog_views(snap, self.views, self.language),
            recent=recent,
            recent_more=recent_more,
            recent_days=RECENT_DAYS,
            day_titles=sum(1 for v in self.views.values() if v.visible for d in v.bar if d.anchor) <= DAY_TITLES_MAX,
            refresh=bool(snap.active_incidents),
            stale_after=self.stale_after,
        ))

        pages = history_pages(list(snap.events.values()), snap.now, self.site.timezone, self.language)
        _ = self.language.gettext
        for number, groups in enumerate(pages, start=1):
            path = paths.history_page(number)
            listed = [event for _label, events in groups for event in events]
            yield Page("history.html", path, _("History") if number == 1 else _("History, page %(number)s", number=number), dict(
                # An older page changes only with its own events: one update must not rewrite them all.
                updated_at=max((_changed_at(e, snap.now) for e in listed), default=None) or snap.updated_at,
                months=groups,
                page_number=number,
                page_count=len(pages),
                newer=paths.history_page(number - 1) if number > 1 else None,
                older=paths.history_page(number + 1) if number < len(pages) else None,
            ))

        for component in snap.content.catalog.components:
            path = paths.component_page(component.id)
            events = snap.events_for(component.id)
            yield Page("component.html", path, component.name, dict(
                view=self.views[component.id],
                group=snap.content.catalog.group(component.group_id) if component.group_id else None,
                events=events[:COMPONENT_EVENTS_MAX],
                more_events=max(0, len(events) - COMPONENT_EVENTS_MAX),
                component_feeds={"rss": paths.feed(path, "rss"), "atom": paths.feed(path, "atom")},
            ))

        yield Page("404.html", paths.NOT_FOUND, self.language.gettext("Page not found"), {})


def _template_location(exc: Exception) -> str:
    """`file:line: ` of the template that failed; Jinja puts template lines in the traceback."""
    if getattr(exc, "filename", None) and getattr(exc, "lineno", None):
        return f"{exc.filename}:{exc.lineno}: "
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".html", ".xml", ".txt")):
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return where


_LAST: Renderer | None = None


def renderer(snap: Snapshot, root: Path) -> Renderer:
    """The renderer of `snap`: one for its site's pages and its events' pages, so each template is compiled once."""
    global _LAST
    root = Path(root)
    if _LAST is None or _LAST.snap is not snap or _LAST.root != root:
        _LAST = Renderer(snap, root)
    return _LAST


def render_pages(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """The pages about the whole site and the static assets, as `{relative path: bytes}`."""
    return renderer(snap, root).pages()


def event_pages(snap: Snapshot, root: Path) -> Callable[[str], dict[str, bytes]]:
    """A function giving the page of one incident or maintenance; each stands alone."""
    made = renderer(snap, root)
    return lambda iid: dict([made.incident_page(iid)])

