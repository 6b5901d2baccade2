"""Writing content files for staff: new incidents and maintenance notices."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from generator.model import Catalog, Incident, Site
from generator.timestamps import heading_stamp


class AuthoringError(ValueError):
    """A request we cannot turn into a valid file; the message says why."""


def slugify(text: str, limit: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "event"


def parse_component_option(value: str) -> tuple[str, str | None]:
    """`api=partial_outage` or `api` (status left to the default)."""
    cid, _, status = value.partition("=")
    return cid.strip(), (status.strip() or None)


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
                 start: datetime | None = None, end: datetime | None = None) -> Path:
    """Write a new incident or maintenance file under `root`, check it, and return its path.

    The file is removed again if it does not pass `check`, so a bad request
    never leaves a broken file behind.
    """
    from generator.content import load

    if not title.strip():
        raise AuthoringError("the title is empty")
    if kind == "maintenance" and (start is None or end is None):
        raise AuthoringError("a maintenance needs --start and --end")
    pairs = dict(parse_component_option(c) for c in components)
    if not message:
        message = (
            "We are investigating reports of problems. Next update within 30 minutes."
            if kind == "incident"
            else "We will carry out planned maintenance in this window."
        )
    folder = Path(root) / "content" / "incidents"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuthoringError(_not_written(exc, folder)) from None
    path = new_event_path(folder, title, start if kind == "maintenance" else now)
    _write_new(path, new_event_text(title, kind, pairs, now, message, start, end).encode("utf-8"))
    _content, problems = load(Path(root), now)
    rel = path.relative_to(root).as_posix()
    mine = [p for p in problems.errors if p.path == rel]
    if mine:
        path.unlink()
        raise AuthoringError("\n".join(p.format_text() for p in mine))
    return path


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
    from generator.content import normalize_status
    from generator.model import INCIDENT_STATUSES, MAINTENANCE_STATUSES
    from generator.problems import did_you_mean

    allowed = MAINTENANCE_STATUSES if is_maintenance else INCIDENT_STATUSES
    value = normalize_status(status)
    if value not in allowed:
        kind = "a maintenance" if is_maintenance else "an incident"
        names = ", ".join(s.replace("_", " ") for s in allowed)
        raise AuthoringError(f'"{status}" is not a status for {kind}{did_you_mean(value, allowed)}: use one of {names}')
    return value


def first_update_offset(text: str) -> int | None:
    """The character offset of the first update heading in the body, or None when there is none.

    Uses the loader's own rules (headings inside code fences do not count).
    """
    from generator.content import FENCE, HEADING

    lines = re.split(r"(?<=\n)", text)  # on "\n" only, as the loader splits
    offset, index = 0, 0
    if lines and lines[0].rstrip() == "---":  # skip the front matter
        offset, index = len(lines[0]), 1
        while index < len(lines):
            line = lines[index]
            offset += len(line)
            index += 1
            if line.rstrip() in ("---", "..."):
                break
    in_fence = None
    for line in lines[index:]:
        bare = line.rstrip("\r\n")
        fence = FENCE.match(bare)
        if fence:
            in_fence = None if in_fence == fence.group(1) else (in_fence or fence.group(1))
        elif not in_fence and HEADING.match(bare):
            return offset
        offset += len(line)
    return None


def insert_update(text: str, at: datetime, status: str, message: str) -> str:
    """`text` with a new update on top of the updates; every other byte is kept.

    The update goes just before the first existing update heading (after any
    summary), or at the end of a file that has no updates yet.
    """
    from generator.model import STATUS_LABELS

    nl = _newline_of(text)
    body = nl.join(re.split(r"\r\n|\r|\n", message.strip()))  # not splitlines(): it also splits at \x0c, \x1c, U+2028
    block = f"## {heading_stamp(at)} — {STATUS_LABELS[status]}{nl}{body}{nl}"
    where = first_update_offset(text)
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
    from generator.model import STATUS_LABELS

    return "\n\n" + EDITOR_HELP.format(label=STATUS_LABELS[status], title=title, stamp=heading_stamp(at))


def find_event_file(root: Path, ref: str) -> Path:
    """The incident file for an id (`2026-11-26-api-errors`), a file name, or a path."""
    from generator.problems import did_you_mean

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


@dataclass(frozen=True)
class Posted:
    path: Path
    status: str
    at: datetime
    warnings: tuple[str, ...]  # check warnings for the file, formatted


def open_event(root: Path, ref: str) -> EventFile:
    """Find and parse the file `ref` names; AuthoringError when the site or the file has errors.

    Only the settings, the components and this one file are read, so posting
    stays fast on a site with years of history.
    """
    from generator.content import parse_catalog, parse_incident, read_text, read_yaml
    from generator.problems import Problems
    from generator.settings import parse_site

    root = Path(root)
    path = find_event_file(root, ref)
    problems = Problems()
    site_path = root / "content" / "site.yaml"
    if not site_path.is_file():
        raise AuthoringError(f"{site_path} does not exist (is {root} a statusgen site? use --site)")
    site = parse_site(read_yaml(site_path, "content/site.yaml", problems), "content/site.yaml", problems)
    comp_path = root / "content" / "components.yaml"
    catalog = parse_catalog(read_yaml(comp_path, "content/components.yaml", problems), "content/components.yaml", problems)
    rel = _rel(root, path)
    text = read_text(path, rel, problems)
    incident = parse_incident(text, path.stem, rel, site, catalog, problems) if text and site else None
    if problems.errors or incident is None:
        errors = [p.format_text() for p in problems.sorted() if p.severity == "error"]
        raise AuthoringError("fix these first (statusgen check):\n" + "\n".join(errors or [f"{rel}: cannot read this file"]))
    return EventFile(root, path, rel, incident, site, catalog)


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def post_update(event: EventFile, status: str, message: str, at: datetime) -> Posted:
    """Insert an update into the event's file and write it, only if the result passes `check`.

    The new text is parsed with the loader's own rules before anything is
    written; on any error in the file, the file is left untouched.
    """
    from generator.content import parse_incident
    from generator.problems import Problems

    if not message.strip():
        raise AuthoringError("the message is empty; nothing was written")
    raw = event.path.read_bytes()
    bom = "\ufeff" if raw.startswith(b"\xef\xbb\xbf") else ""
    text = raw.decode("utf-8").removeprefix(bom)
    new_text = insert_update(text, at, status, message)
    problems = Problems()
    normalized = new_text.replace("\r\n", "\n").replace("\r", "\n")
    parse_incident(normalized, event.path.stem, event.rel, event.site, event.catalog, problems)
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
    warnings = tuple(p.format_text() for p in problems.sorted() if p.severity == "warning")
    return Posted(event.path, status, at, warnings)


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
