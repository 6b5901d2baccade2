"""Writing content files for staff: new incidents and maintenance notices, and updates.

Every write is checked with the loader's own rules before anything touches
the disk, and reports what `check` would say about the file it wrote (the
policy, staleness, a time in the future), so the person at the keyboard sees
it at once rather than in review.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from generator.content import Settings
from generator.content import read_settings as load_settings
from generator.errors import StatusgenError
from generator.headings import first_heading_offset
from generator.incidents import normalize_status, parse_incident
from generator.model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, STATUS_LABELS, Catalog, Content, Incident, Site
from generator.policy import human_duration
from generator.problems import Problems, did_you_mean
from generator.review import review
from generator.sitefiles import read_text
from generator.status import snapshot
from generator.timestamps import UTC, Reading, heading_stamp, local_reading, update_stamp

# A stamp further than this before now is probably a wrong date or zone: say so.
FAR_IN_THE_PAST = timedelta(hours=3)
SITE_FILE = ("content", "site.yaml")


class AuthoringError(StatusgenError, ValueError):
    """A request we cannot turn into a valid file; the message says why."""


def find_site(site: Path | None, cwd: Path | None = None) -> Path:
    """The site folder: `site` when given (it must hold content/site.yaml), else the first folder
    from `cwd` up that holds content/site.yaml, as a path relative to `cwd` (`.`, `..`, …)."""
    if site is not None:
        if not Path(site, *SITE_FILE).is_file():
            raise AuthoringError(f"{site} is not a statusgen site: {Path(site, *SITE_FILE)} does not exist")
        return Path(site)
    here = Path(cwd) if cwd is not None else Path.cwd()
    for folder in (here, *here.parents):
        if Path(folder, *SITE_FILE).is_file():
            return Path(os.path.relpath(folder, here))
    raise AuthoringError("not inside a statusgen site (no content/site.yaml here or above); use --site DIR")


def _fix_first(problems: Problems, fallback: str) -> AuthoringError:
    errors = [p.format_text() for p in problems.sorted() if p.severity == "error"]
    return AuthoringError("fix these first (statusgen check):\n" + "\n".join(errors or [fallback]))


def _read_settings(root: Path, problems: Problems) -> Settings | None:
    if not Path(root, *SITE_FILE).is_file():
        raise AuthoringError(f"{Path(root, *SITE_FILE)} does not exist (is {root} a statusgen site? use --site)")
    return load_settings(root, problems)


def read_settings(root: Path) -> Settings:
    """The site's settings and components; AuthoringError when they have errors."""
    problems = Problems()
    settings = _read_settings(root, problems)
    if settings is None or problems.errors:
        raise _fix_first(problems, "content/site.yaml: cannot read the settings")
    return settings


def slugify(text: str, limit: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "event"


def parse_component_option(value: str) -> tuple[str, str | None]:
    """`api=partial_outage` or `api` (status left to the default)."""
    cid, _, status = value.partition("=")
    return cid.strip(), (status.strip() or None)


def component_options(kind: str, components: list[str]) -> dict:
    """The `-c` options as {id: status or None}; an incident's components each need a status."""
    pairs = dict(parse_component_option(c) for c in components)
    if kind == "incident":
        bare = [cid for cid, status in pairs.items() if status is None]
        if bare:
            cid = bare[0]
            raise AuthoringError(
                f'-c {cid}: say how {cid} is affected, e.g. -c {cid}=partial_outage '
                f"(or degraded_performance, major_outage); only a maintenance takes a bare id"
            )
    return pairs


def new_event_text(title: str, kind: str, components: dict, now: datetime, message: str,
                   start: datetime | None = None, end: datetime | None = None) -> str:
    """The text of a new incident or maintenance file, with a first update stamped `now`."""
    front: dict = {"title": title}
    if kind == "maintenance":
        front["type"] = "maintenance"
        front["start"] = heading_stamp(start)
        front["end"] = heading_stamp(end)
        if all(status is None for status in components.values()):
            front["components"] = list(components)
        else:
            front["components"] = {cid: status or "under_maintenance" for cid, status in components.items()}
        first_status = "Scheduled"
    else:
        front["components"] = {cid: status or "partial_outage" for cid, status in components.items()}
        first_status = "Investigating"
    if not front["components"]:
        del front["components"]
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n## {heading_stamp(now)} — {first_status}\n\n{message.strip()}\n"


def new_event_path(incidents_dir: Path, title: str, day: datetime) -> Path:
    """`YYYY-MM-DD-title.md`, made unique with -2, -3… if taken."""
    base = f"{day:%Y-%m-%d}-{slugify(title)}"
    path = incidents_dir / f"{base}.md"
    n = 2
    while path.exists():
        path = incidents_dir / f"{base}-{n}.md"
        n += 1
    return path


def create_event(root: Path, kind: str, title: str, components: list[str], now: datetime, message: str = "",
                 start: datetime | None = None, end: datetime | None = None,
                 settings: Settings | None = None) -> Posted:
    """Write a new incident or maintenance file under `root`, checked first, and say what was written.

    The text is checked with the loader's rules before the file is created,
    so a bad request (an unknown component, a bad status) writes nothing.
    """
    if not title.strip():
        raise AuthoringError("the title is empty")
    if kind == "maintenance" and (start is None or end is None):
        raise AuthoringError("a maintenance needs --start and --end")
    pairs = component_options(kind, components)
    settings = settings or read_settings(root)
    if not message:
        message = (
            "We are investigating reports of problems. Next update within 30 minutes."
            if kind == "incident"
            else "We will carry out planned maintenance in this window."
        )
    stamp = now.astimezone(UTC).replace(second=0, microsecond=0)  # a new file has the minute to itself
    folder = Path(root) / "content" / "incidents"
    path = new_event_path(folder, title, start if kind == "maintenance" else now)
    rel = _rel(root, path)
    text = new_event_text(title, kind, pairs, stamp, message, start, end)
    found = Problems()
    incident = parse_incident(text, path.stem, rel, settings.site, settings.catalog, found)
    if found.errors or incident is None:
        raise AuthoringError("not written: " + "\n".join(
            [p.format_text() for p in found.sorted() if p.severity == "error"] or [f"{rel}: cannot be read back"]))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuthoringError(_not_written(exc, folder)) from None
    _write_new(path, text.encode("utf-8"))
    first = incident.updates[0]
    return Posted(path, first.status, first.at, _warnings(incident, settings, now, found), (), incident)


# --- posting updates to an existing file -------------------------------------

EDITOR_HELP = """\
# Write the {label} update for "{title}" above.
# It will be posted as:  ## {stamp} — {label}
# Lines starting with '#' are ignored; an empty message aborts.
# Say what customers see, what we are doing, and when the next update comes.
"""


def _newline_of(text: str) -> str:
    """The file's own line ending, so an inserted update matches it."""
    return "\r\n" if "\r\n" in text else "\n"


def update_status(status: str, is_maintenance: bool) -> str:
    """The canonical status for an update: `In progress`, `in-progress` → `in_progress`."""
    allowed = MAINTENANCE_STATUSES if is_maintenance else INCIDENT_STATUSES
    value = normalize_status(status)
    if value not in allowed:
        kind = "a maintenance" if is_maintenance else "an incident"
        names = ", ".join(s.replace("_", " ") for s in allowed)
        raise AuthoringError(f'"{status}" is not a status for {kind}{did_you_mean(value, allowed)}: use one of {names}')
    return value


def line_offset(text: str, line: int) -> int:
    """The character offset where 1-based `line` starts, counting lines as the loader does."""
    offset = 0
    for _ in range(line - 1):
        m = re.compile(r"\r\n|\r|\n").search(text, offset)
        if m is None:
            return len(text)
        offset = m.end()
    return offset


def insert_update(text: str, at: datetime, status: str, message: str, before_line: int | None = None,
                  at_end: bool = False) -> str:
    """`text` with a new update among the updates; every other byte is kept.

    By default the update goes on top: just before the first existing update
    heading (after any summary), or at the end of a file that has no updates
    yet. `before_line` puts it before the heading on that line instead, and
    `at_end` after the last update, so an update dated earlier than others
    keeps the file newest first.
    """
    nl = _newline_of(text)
    body = nl.join(re.split(r"\r\n|\r|\n", message.strip()))  # not splitlines(): it also splits at \x0c, \x1c, U+2028
    block = f"## {update_stamp(at)} — {STATUS_LABELS[status]}{nl}{body}{nl}"
    where = None if at_end else (line_offset(text, before_line) if before_line else first_heading_offset(text))
    if where is not None:
        return text[:where] + block + nl + text[where:]
    if not text.endswith(("\n", "\r")):
        return text + nl + nl + block
    return text + ("" if text.endswith(nl + nl) else nl) + block


def strip_comments(text: str) -> str:
    """The message written in the editor: `#` lines dropped, surrounding blank lines trimmed."""
    kept = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return "\n".join(kept).strip()


def editor_template(title: str, status: str, at: datetime) -> str:
    return "\n\n" + EDITOR_HELP.format(label=STATUS_LABELS[status], title=title, stamp=update_stamp(at))


def find_event_file(root: Path, ref: str) -> Path:
    """The incident file for an id (`2026-11-26-api-errors`), a file name, or a path."""
    folder = Path(root) / "content" / "incidents"
    for path in (Path(ref), folder / ref, folder / f"{ref}.md"):
        if path.suffix == ".md" and path.is_file():
            return path
    known = sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []
    ending = [k for k in known if k.endswith("-" + ref)]  # the title part alone, e.g. "api-errors"
    if len(ending) == 1:
        return folder / f"{ending[0]}.md"
    hint = did_you_mean(ref, known)
    if len(ending) > 1:
        hint = " (it matches " + ", ".join(ending) + "; give the full id)"
    raise AuthoringError(f'no incident "{ref}" in {folder}{hint}')


@dataclass(frozen=True)
class EventFile:
    """An existing incident or maintenance file, parsed, with the settings it is read with."""

    root: Path
    path: Path
    rel: str
    incident: Incident
    site: Site
    catalog: Catalog

    def status(self, text: str | None) -> str:
        """The canonical status for `text`; None means resolve (Resolved, or Completed for a maintenance)."""
        if text is None:
            return "completed" if self.incident.is_maintenance else "resolved"
        return update_status(text, self.incident.is_maintenance)

    def stamp_for(self, at: datetime, exact: bool) -> datetime:
        return free_stamp(at, {u.at for u in self.incident.updates}, exact)


def free_stamp(at: datetime, taken: set, exact: bool) -> datetime:
    """The time to stamp an update meant for `at`, in a file whose updates have the times `taken`.

    Several updates in one minute are normal during an incident, and two may
    not share a time. A reading of the clock (`exact` False) is stamped to
    the minute when no update of the file is in that minute; otherwise to the
    second, later than every update of that minute, so it stays the newest.
    A time given on purpose (`exact`) is kept unless taken, and then moved on
    to the next free second. Nothing is ever refused for being too close.
    """
    at = at.astimezone(UTC).replace(microsecond=0)
    minute = at.replace(second=0)
    if exact:
        candidate = at
    else:
        same = [t for t in taken if minute <= t < minute + timedelta(minutes=1)]
        candidate = minute if not same else max(at, max(same) + timedelta(seconds=1))
    while candidate in taken:
        candidate += timedelta(seconds=1)
    return candidate


@dataclass(frozen=True)
class Posted:
    """What a write did: the file, the update it stamped, and what `check` says about the file now."""

    path: Path
    status: str
    at: datetime  # the stamp written
    warnings: tuple[str, ...]  # check warnings for the file, formatted
    notes: tuple[str, ...] = ()  # about the stamp: moved to a free second
    incident: Incident | None = None  # the file as written


def _warnings(incident: Incident | None, settings: Settings, now: datetime | None, found: Problems) -> tuple[str, ...]:
    """The warnings `check` gives for this one file at `now`: the loader's, then the clock's (policy, staleness)."""
    if incident is not None and not incident.draft and now is not None:
        review(snapshot(Content(settings.site, settings.catalog, (incident,)), now), found)
    return tuple(p.format_text() for p in found.sorted() if p.severity == "warning")


def open_event(root: Path, ref: str) -> EventFile:
    """Find and parse the file `ref` names; AuthoringError when the site or the file has errors.

    Only the settings, the components and this one file are read, so posting
    stays fast on a site with years of history.
    """
    root = Path(root)
    path = find_event_file(root, ref)
    problems = Problems()
    settings = _read_settings(root, problems)
    rel = _rel(root, path)
    text = read_text(path, rel, problems)
    incident = parse_incident(text, path.stem, rel, settings.site, settings.catalog, problems) if text and settings else None
    if problems.errors or incident is None:
        raise _fix_first(problems, f"{rel}: cannot read this file")
    return EventFile(root, path, rel, incident, settings.site, settings.catalog)


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def post_update(event: EventFile, status: str, message: str, at: datetime, now: datetime | None = None,
                exact: bool = True) -> Posted:
    """Insert an update into the event's file and write it, only if the result passes `check`.

    The update is stamped at `at`, or the next free second (`free_stamp`),
    and goes where it keeps the file newest first. The new text is parsed
    with the loader's own rules before anything is written; on any error in
    the file, the file is left untouched. `now` is the clock the warnings
    are given at (default: `at`).
    """
    if not message.strip():
        raise AuthoringError("the message is empty; nothing was written")
    stamp = event.stamp_for(at, exact)
    asked, notes = at.astimezone(UTC).replace(microsecond=0), ()
    if stamp != asked and (exact or stamp > asked):
        later = "" if exact else " or later in that minute"
        notes = (f"note: {event.rel} already has an update at {update_stamp(asked)}{later}, "
                 f"so this one is stamped {update_stamp(stamp)}",)
    raw = event.path.read_bytes()
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    text = raw.decode("utf-8").removeprefix(bom)
    new_text = insert_update(text, stamp, status, message, **_place(event.incident, stamp))
    problems = Problems()
    normalized = new_text.replace("\r\n", "\n").replace("\r", "\n")
    incident = parse_incident(normalized, event.path.stem, event.rel, event.site, event.catalog, problems)
    if problems.errors:
        raise AuthoringError(
            f"not written: the update would leave {event.rel} with errors:\n"
            + "\n".join(p.format_text() for p in problems.sorted() if p.severity == "error")
        )
    _refuse_read_only(event.path)
    try:
        _write_atomically(event.path, (bom + new_text).encode("utf-8"))
    except OSError as exc:
        raise AuthoringError(_not_written(exc, event.path)) from None
    warnings = _warnings(incident, Settings(event.site, event.catalog), now or stamp, problems)
    return Posted(event.path, status, stamp, warnings, notes, incident)


def _place(incident: Incident, stamp: datetime) -> dict:
    """Where an update stamped `stamp` goes: on top when it is the newest, else before the first
    update (in file order) that is older, else after the last."""
    if all(u.at < stamp for u in incident.updates):
        return {}
    older = [u for u in sorted(incident.updates, key=lambda u: u.line) if u.at < stamp]
    return {"before_line": older[0].line} if older else {"at_end": True}


def describe_post(posted: Posted, tz) -> str:
    """`posted Monitoring at 2026-11-28 23:30 UTC (18:30 EST in America/New_York) to content/incidents/….md`"""
    where = "" if getattr(tz, "key", "UTC") == "UTC" else f" ({local_reading(posted.at, tz)})"
    return f"posted {STATUS_LABELS[posted.status]} at {update_stamp(posted.at)}{where} to {posted.path}"


def reading_notes(reading: Reading | None, stamp: datetime, now: datetime, tz) -> list[str]:
    """What the person should know about how `--at` was read: its zone, and a stamp far from now."""
    notes = []
    if reading is not None and not reading.zoned and tz.key != "UTC":
        local = reading.at.astimezone(tz)
        notes.append(
            f'note: "{reading.text}" names no zone, so it was read in the site\'s zone, {tz.key}: '
            f"{local:%H:%M} {local.tzname()}, which is {update_stamp(reading.at)}; "
            f'if you meant UTC, write --at "{reading.text} UTC"'
        )
    if reading is not None and not reading.dated and stamp > now:
        notes.append(
            f'note: "{reading.text}" is a time of day, so it means today, {update_stamp(reading.at)}, '
            "which is later than now; for an earlier day, give the date"
        )
    if now - stamp > FAR_IN_THE_PAST:
        notes.append(
            f"warning: the update is stamped {human_duration(now - stamp)} before now ({update_stamp(now)}): "
            "check its date and zone"
        )
    return notes


def _not_written(exc: OSError, path: Path) -> str:
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
    return f"{path}: {reason}; nothing was written"


def _refuse_read_only(path: Path) -> None:
    """A file without a write bit (or that we may not write) is left alone, as an editor would."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise AuthoringError(_not_written(exc, path)) from None
    if not mode & 0o222 or not os.access(path, os.W_OK):
        raise AuthoringError(f"{path}: the file is read-only; nothing was written (make it writable first)")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist) with `data`; on failure no partial file is left."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise AuthoringError(_not_written(exc, path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise AuthoringError(_not_written(exc, path)) from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace the file in one step, keeping its permissions."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
