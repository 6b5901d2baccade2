"""Writing content files for staff: new incidents and maintenance notices."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

import yaml

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
    folder.mkdir(parents=True, exist_ok=True)
    path = new_event_path(folder, title, start if kind == "maintenance" else now)
    path.write_text(new_event_text(title, kind, pairs, now, message, start, end), encoding="utf-8")
    _content, problems = load(Path(root), now)
    rel = path.relative_to(root).as_posix()
    mine = [p for p in problems.errors if p.path == rel]
    if mine:
        path.unlink()
        raise AuthoringError("\n".join(p.format_text() for p in mine))
    return path
