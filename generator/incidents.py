"""`content/incidents/*.md`: one incident or maintenance per file, front matter then updates.

Each file stands alone: it is read and checked against the site's settings
and components only, so a long history is parsed on every core.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from datetime import datetime
from pathlib import Path

from generator import workers
from generator.headings import HEADING_PARTS, front_matter_end, heading_lines
from generator.limits import MAX_ID_LENGTH, MAX_TITLE, shown
from generator.model import (
    IMPACT_OF_STATUS,
    IMPACTS,
    INCIDENT_COMPONENT_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_COMPONENT_STATUSES,
    MAINTENANCE_STATUSES,
    Catalog,
    Incident,
    Site,
    Update,
    worst,
)
from generator.problems import Problems, did_you_mean
from generator.sitefiles import Boundary, check_characters, read_text
from generator.terminal import printable
from generator.timestamps import TimestampError, parse_timestamp
from generator.yamlsource import YAMLSyntaxError, YList, YMap, check_keys, load_yaml, text_field

INCIDENT_KEYS = ("title", "type", "components", "impact", "started", "start", "end", "emergency", "draft")
FILE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")  # the id: the file name without .md


def normalize_status(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def split_front_matter(text: str, rel: str, problems: Problems):
    """(front matter text, its first line number, body text, body's first line number) or None."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        problems.error(rel, 1, 1, 'missing front matter: the file must start with a "---" line, then title: …, then "---"')
        return None
    index = front_matter_end(lines)
    if index is None:
        problems.error(rel, 1, 1, 'front matter is not closed: add a "---" line after it')
        return None
    return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2


def parse_updates(body: str, first_line: int, is_maintenance: bool, tz, rel: str, problems: Problems):
    """Split the body into (summary, [Update]) and check every heading."""
    allowed = MAINTENANCE_STATUSES if is_maintenance else INCIDENT_STATUSES
    other = INCIDENT_STATUSES if is_maintenance else MAINTENANCE_STATUSES
    updates: list[Update] = []
    seen_at: dict = {}
    headings = heading_lines(body)
    summary = body[: headings[0][1]] if headings else body
    for k, (offset, _, end, heading) in enumerate(headings):
        lineno = first_line + offset
        text = body[end + 1 : headings[k + 1][1]] if k + 1 < len(headings) else body[end + 1 :]
        parts = HEADING_PARTS.match(heading.group("rest"))
        if not parts:
            problems.error(
                rel, lineno, 1,
                f'cannot read update heading "{heading.group().strip()}": write "## 2026-11-26 14:02 UTC — Investigating"',
            )
            continue
        at = status = None
        try:
            at = parse_timestamp(parts.group("stamp"), tz)
        except TimestampError as exc:
            problems.error(rel, lineno, 4, str(exc))
        raw_status = parts.group("status")
        status = normalize_status(raw_status)
        col = heading.group().rfind(raw_status) + 1
        if status not in allowed:
            kind = "maintenance" if is_maintenance else "incident"
            if status in other:
                problems.error(rel, lineno, col, f'"{raw_status}" is not a status for an {kind}: use one of {", ".join(allowed)}')
            else:
                problems.error(rel, lineno, col, f'unknown {kind} status "{raw_status}"{did_you_mean(status, allowed)}; use one of {", ".join(allowed)}')
            status = None
        if at is not None:
            if at in seen_at:
                problems.error(rel, lineno, 4, f"two updates have the same time {parts.group('stamp').strip()} (the other is on line {seen_at[at]})")
                at = None
            else:
                seen_at[at] = lineno
        if at is not None and status is not None:
            updates.append(Update(at=at, status=status, body=text.strip("\n"), line=lineno))
    updates.sort(key=lambda u: u.at, reverse=True)
    return summary.strip("\n"), updates


def _timestamp(front: YMap, key: str, tz, rel: str, problems: Problems) -> datetime | None:
    value = front.get(key)
    if value is None:
        return None
    try:
        return parse_timestamp(value if isinstance(value, str) else repr(value), tz)
    except TimestampError as exc:
        problems.error(rel, *front.value_at(key), f"{key}: {exc}")
        return None


def _components_of(front: YMap, is_maintenance: bool, catalog: Catalog, rel: str, problems: Problems) -> dict:
    value = front.get("components")
    if value is None:
        return {}
    known_ids = [c.id for c in catalog.components] + [g.id for g in catalog.groups]
    allowed = MAINTENANCE_COMPONENT_STATUSES if is_maintenance else INCIDENT_COMPONENT_STATUSES
    pairs = []  # (id, status, position of id, position of status)
    if isinstance(value, YList):
        if not is_maintenance:
            problems.error(
                rel, *front.value_at("components"),
                "an incident's components must map each id to its status, e.g. api: partial_outage",
            )
            return {}
        for index, cid in enumerate(value):
            pairs.append((cid, "under_maintenance", value.item_at(index), value.item_at(index)))
    elif isinstance(value, YMap):
        for key, pos in value.duplicates:
            problems.error(rel, *pos, f'component "{key}" is listed twice')
        for cid, status in value.items():
            if status is None and is_maintenance:
                status = "under_maintenance"
            pairs.append((cid, status, value.key_at(cid), value.value_at(cid)))
    else:
        problems.error(rel, *front.value_at("components"), "components must map component ids to statuses, e.g. api: partial_outage")
        return {}
    result: dict = {}
    for cid, status, id_pos, status_pos in pairs:
        known = isinstance(cid, str) and cid in known_ids
        if not known:
            problems.error(rel, *id_pos, f'unknown component "{cid}"{did_you_mean(cid, known_ids)}')
        if not isinstance(status, str) or status not in allowed:  # reported as well: one line, both problems
            kind = "maintenance" if is_maintenance else "an incident"
            problems.error(
                rel, *status_pos,
                f'bad component status "{status}" for {kind}{did_you_mean(status, allowed)}: use one of {", ".join(allowed)}',
            )
            continue
        if not known:
            continue
        for member in catalog.expand(cid):
            result[member] = worst([result.get(member, "operational"), status])
    return result


def parse_incident(text: str, iid: str, rel: str, site: Site, catalog: Catalog, problems: Problems) -> Incident | None:
    size = site.limits.incident_file_size
    if len(text) > size // 4 and len(text.encode()) > size:
        problems.error(rel, 1, 1, f"the file is {len(text.encode()):,} bytes; the limit is {size:,} "
                       "(site.yaml limits: incident_file_size)")
        return None
    if not check_characters(text, 1, rel, problems):
        return None
    split = split_front_matter(text, rel, problems)
    if split is None:
        return None
    front_text, front_line, body, body_line = split
    limits = site.limits
    if len(front_text) > limits.front_matter_size // 4 and len(front_text.encode()) > limits.front_matter_size:
        problems.error(rel, front_line, 1, f"the front matter is {len(front_text.encode()):,} bytes; the limit is "
                       f"{limits.front_matter_size:,} (site.yaml limits: front_matter_size)")
        return None
    try:
        front = load_yaml(front_text, line_offset=front_line - 1)
    except YAMLSyntaxError as exc:
        problems.error(rel, exc.line, exc.col, str(exc))
        return None
    if front is None:
        front = YMap()
        front.pos = (1, 1)
    if not isinstance(front, YMap):
        problems.error(rel, *getattr(front, "pos", (front_line, 1)), "front matter must be a mapping of keys such as title and components")
        return None
    check_keys(front, INCIDENT_KEYS, "", rel, problems)
    errors_before = len(problems.errors)

    title = text_field(front, "title", rel, problems, MAX_TITLE, one_line=True,
                       required='missing title: add "title: What customers see" to the front matter')
    kind = front.get("type", "incident")
    if kind not in ("incident", "maintenance"):
        problems.error(rel, *front.value_at("type"), f'type must be incident or maintenance, not "{shown(kind)}"{did_you_mean(kind, ("incident", "maintenance"))}')
        kind = "incident"
    is_maintenance = kind == "maintenance"
    tz = site.timezone
    components = _components_of(front, is_maintenance, catalog, rel, problems)

    impact = front.get("impact")
    impact_given = impact is not None
    if impact_given and impact not in IMPACTS:
        problems.error(rel, *front.value_at("impact"), f'bad impact "{impact}"{did_you_mean(impact, IMPACTS)}: use one of {", ".join(IMPACTS)}')
        impact_given = False
    if not impact_given:
        impact = IMPACT_OF_STATUS.get(worst(components.values()), "none") if components else ("maintenance" if is_maintenance else "none")

    started = _timestamp(front, "started", tz, rel, problems)
    start = _timestamp(front, "start", tz, rel, problems)
    end = _timestamp(front, "end", tz, rel, problems)
    emergency = front.get("emergency", False)
    if not isinstance(emergency, bool):
        problems.error(rel, *front.value_at("emergency"), "emergency must be true or false")
        emergency = False
    draft = front.get("draft", False)
    if not isinstance(draft, bool):
        problems.error(rel, *front.value_at("draft"), "draft must be true or false")
        draft = False
    elif draft:
        problems.warn(rel, *front.key_at("draft"), 'a draft: checked, but not published; remove "draft: true" to publish it, '
                                                   "or delete the file")
    if is_maintenance:
        if "started" in front:
            problems.error(rel, *front.key_at("started"), 'a maintenance uses "start" and "end", not "started"')
        if "start" not in front:
            problems.error(rel, *front.pos, 'a maintenance needs "start:" (when the window opens)')
        if "end" not in front:
            problems.error(rel, *front.pos, 'a maintenance needs "end:" (when the window closes)')
        if start and end and end <= start:
            problems.error(rel, *front.value_at("end"), "end must be after start")
    else:
        for key in ("start", "end", "emergency"):
            if key in front:
                problems.error(rel, *front.key_at(key), f'"{key}" is only for maintenance: add "type: maintenance" or remove it')

    summary, updates = parse_updates(body, body_line, is_maintenance, tz, rel, problems)
    if not updates and not heading_lines(body):  # headings that did not parse were reported already
        if is_maintenance:
            problems.warn(rel, body_line, 1, 'no updates yet: add "## <time> — Scheduled" so subscribers know when it was announced')
        else:
            problems.warn(rel, body_line, 1, 'an incident without updates: add "## <time> — Investigating" with what customers see')
    if not is_maintenance:
        resolved = [u for u in updates if u.status in ("resolved", "postmortem")]
        if resolved:
            first = min(resolved, key=lambda u: u.at)
            for u in updates:
                if u.at > first.at and u.status not in ("resolved", "postmortem"):
                    problems.warn(rel, u.line, 1, f'"{u.label}" update after the incident was resolved at {first.at:%Y-%m-%d %H:%M} UTC')
        if started and updates and started > min(u.at for u in updates):
            problems.warn(rel, *front.value_at("started"), "started is after the first update; the first update counts as the start")

    if len(problems.errors) > errors_before or title is None:
        return None
    return Incident(
        id=iid,
        title=title,
        type=kind,
        components=dict(sorted(components.items())),
        impact=impact,
        updates=tuple(updates),
        summary=summary,
        started=started,
        start=start,
        end=end,
        emergency=emergency,
        impact_given=impact_given,
        path=rel,
        start_line=front.value_at("start")[0] if "start" in front else 1,
        draft=draft,
        source=hashlib.blake2b(f"{rel}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest(),
    )


def load_incidents(folder: Path, root: Path, site: Site, catalog: Catalog, problems: Problems,
                   memo: dict | None = None) -> list[Incident]:
    """Every incident file in `folder`, checked; the problems go to `problems`.

    `memo` (kept by `serve` between loads, for the same settings) holds what
    each file gave last time with the file's size, times and inode: a file
    whose stat is the same is not read again.
    """
    if not folder.is_dir():
        return []
    files = []
    boundary = Boundary(root)
    prefix = folder.relative_to(root).as_posix() + "/"
    with os.scandir(folder) as entries:  # a DirEntry knows if it is a folder without another stat
        names = sorted(e.name for e in entries if not e.name.startswith(".") and not e.is_dir())
    for name in names:
        safe = printable(name)  # a name with control characters is an error, reported escaped
        rel = prefix + safe
        stem, dot, suffix = name.rpartition(".")
        if (not dot or suffix != "md") and safe == name:
            problems.warn(rel, 1, 1, "ignored: incident files must end in .md")
            continue
        if suffix != "md" or not FILE_NAME.fullmatch(stem):
            problems.error(rel, 1, 1, f'file name "{shown(safe)}" is not a valid id: use lowercase letters, digits and hyphens, like 2026-11-26-api-errors.md')
            continue
        if len(stem) > MAX_ID_LENGTH:
            problems.error(rel, 1, 1, f"the file name is {len(stem)} characters long without .md; an id can be at most {MAX_ID_LENGTH}")
            continue
        files.append((name, rel))

    def parse_files(chunk) -> list[tuple[Incident | None, list]]:
        results = []
        for name, rel in chunk:
            found = Problems()
            results.append((_parse_file(folder / name, rel, site, catalog, found, boundary), found.items))
        return results

    if memo is None:
        results = workers.map_chunks(parse_files, files)  # each file stands alone: a long history is parsed on every core
    else:
        base = os.fspath(folder)
        signatures = [_signature(os.path.join(base, name)) for name, _rel in files]
        todo = [k for k, (_path, rel) in enumerate(files) if signatures[k] is None or memo.get(rel, (None,))[0] != signatures[k]]
        parsed = dict(zip(todo, workers.map_chunks(parse_files, [files[k] for k in todo])))
        results = [parsed[k] if k in parsed else memo[rel][1] for k, (_path, rel) in enumerate(files)]
        memo.clear()
        memo.update((rel, (signatures[k], results[k])) for k, (_path, rel) in enumerate(files) if signatures[k] is not None)
    incidents = []
    for incident, found in results:
        problems.items.extend(found)
        if incident and not incident.draft:
            incidents.append(incident)
    return incidents


def _signature(path: str) -> tuple | None:
    """What changes when a file is saved (its size, times, inode; a link's target's too); None when it cannot be read."""
    try:
        info = os.lstat(path)
        target = os.stat(path) if stat.S_ISLNK(info.st_mode) else info
    except OSError:
        return None
    return tuple((i.st_mode, i.st_dev, i.st_ino, i.st_size, i.st_mtime_ns, i.st_ctime_ns) for i in (info, target))


def _parse_file(path: Path, rel: str, site: Site, catalog: Catalog, problems: Problems,
                boundary: Boundary | None = None) -> Incident | None:
    # parse_incident checks the characters: for `update`'s new text too
    text = read_text(path, rel, problems, boundary, site.limits.incident_file_size, characters=False)
    if text is None:
        return None
    try:
        return parse_incident(text, path.stem, rel, site, catalog, problems)
    except (RecursionError, MemoryError):
        problems.error(rel, 1, 1, "file is too deeply nested or too large to read")
        return None
