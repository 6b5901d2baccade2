"""Loading and validating the content folder into the model.

`load()` reads `content/site.yaml`, `content/components.yaml` and
`content/incidents/*.md`, reports every problem it finds (never only the
first), and returns the model built from whatever was valid.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from generator import workers
from generator.limits import (
    MAX_DESCRIPTION,
    MAX_ID_LENGTH,
    MAX_NAME,
    MAX_TITLE,
    SETTINGS_FILE_SIZE,
    describe_character,
    forbidden_character,
    shown,
)
from generator.model import (
    IMPACT_OF_STATUS,
    IMPACTS,
    INCIDENT_COMPONENT_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_COMPONENT_STATUSES,
    MAINTENANCE_STATUSES,
    Catalog,
    Component,
    Content,
    Group,
    Incident,
    Site,
    Update,
    worst,
)
from generator.problems import Problems, did_you_mean
from generator.settings import check_keys, parse_site, text_field
from generator.sitefiles import Boundary, SiteFileError
from generator.terminal import printable
from generator.timestamps import UTC, TimestampError, parse_date, parse_timestamp
from generator.yamlsource import YAMLSyntaxError, YList, YMap, load_yaml

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
COMPONENT_KEYS = ("id", "name", "description", "since", "only_show_if_degraded")
GROUP_KEYS = ("group", "id", "description", "components")
INCIDENT_KEYS = ("title", "type", "components", "impact", "started", "start", "end", "emergency", "draft")
HEADING = re.compile(r"^##(?!#)\s*(?P<rest>.*?)\s*#*\s*$")
HEADING_PARTS = re.compile(r"^(?P<stamp>.+?)\s*(?:\s—|—\s|\s[-–]\s)\s*(?P<status>[A-Za-z][A-Za-z _-]*?)\s*$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def read_text(path: Path, rel: str, problems: Problems, boundary: Boundary | None = None,
              limit: int = SETTINGS_FILE_SIZE, characters: bool = True) -> str | None:
    """The file's text, or None after recording why it cannot be read.

    Only a regular file inside `boundary` (default: the site that holds
    `content/`, found from `rel`) is read, and only up to `limit` bytes.
    """
    if boundary is None:
        boundary = Boundary(_site_root(path, rel))
    try:
        raw = boundary.read(path, limit)
    except SiteFileError as exc:
        problems.error(rel, 1, 1, f"cannot read this file: it {exc.message}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(rel, line, col, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.error(rel, line, 1, "file contains a NUL character; is it a text file?")
        return None
    if characters and not check_characters(text, 1, rel, problems):
        return None
    if not text.strip():
        problems.error(rel, 1, 1, "file is empty")
        return None
    return text


def _site_root(path: Path, rel: str) -> Path:
    """The site folder: `path` with `rel`'s parts taken off its end."""
    root = Path(path)
    for _ in Path(rel).parts:
        root = root.parent
    return root


def check_characters(text: str, first_line: int, rel: str, problems: Problems) -> bool:
    """Record the first character that no output may carry (control characters, noncharacters)."""
    bad = forbidden_character(text)
    if not bad:
        return True
    before = text[: bad.start()]
    line = first_line + before.count("\n")
    col = bad.start() - (before.rfind("\n") + 1) + 1
    problems.error(rel, line, col, f"the file contains {describe_character(bad.group())}: remove it "
                                   "(text may hold tabs and line breaks, but no other control characters)")
    return False


def read_yaml(path: Path, rel: str, problems: Problems, boundary: Boundary | None = None):
    text = read_text(path, rel, problems, boundary)
    if text is None:
        return None
    try:
        return load_yaml(text)
    except YAMLSyntaxError as exc:
        problems.error(rel, exc.line, exc.col, str(exc))
        return None


# --- components.yaml -------------------------------------------------------


def _component(item: YMap, rel: str, problems: Problems, seen: dict, group_id: str | None, position: int) -> Component | None:
    check_keys(item, COMPONENT_KEYS, "component", rel, problems)
    cid = _slug(item, "id", rel, problems, seen)
    name = text_field(item, "name", rel, problems, MAX_NAME, one_line=True)
    if name is None:
        if "name" not in item or item["name"] is None or isinstance(item["name"], str):
            problems.error(rel, *(item.value_at("name") if "name" in item else item.pos), f'component "{cid or "?"}" needs a name')
        name = cid or "?"
    description = text_field(item, "description", rel, problems, MAX_DESCRIPTION)
    since = None
    if item.get("since") is not None:
        try:
            since = parse_date(item["since"])
        except TimestampError as exc:
            problems.error(rel, *item.value_at("since"), f"since: {exc}")
    only = item.get("only_show_if_degraded", False)
    if not isinstance(only, bool):
        problems.error(rel, *item.value_at("only_show_if_degraded"), "only_show_if_degraded must be true or false")
        only = False
    if not cid:
        return None
    return Component(cid, name, description, since, only, group_id, position)


def _slug(item: YMap, key: str, rel: str, problems: Problems, seen: dict) -> str | None:
    value = item.get(key)
    if value is None:
        problems.error(rel, *item.pos, f'missing "{key}": every component and group needs an id such as "api"')
        return None
    value = str(value) if not isinstance(value, (YMap, YList)) else ""
    if not SLUG.fullmatch(value):
        problems.error(rel, *item.value_at(key), f'id "{shown(value)}" must be lowercase letters, digits and hyphens, starting with a letter or digit')
        return None
    if len(value) > MAX_ID_LENGTH:
        problems.error(rel, *item.value_at(key), f"id is {len(value)} characters long; the limit is {MAX_ID_LENGTH}")
        return None
    if value in seen:
        problems.error(rel, *item.value_at(key), f'duplicate id "{value}" (first used on line {seen[value]})')
        return None
    seen[value] = item.value_at(key)[0]
    return value


def parse_catalog(data, rel: str, problems: Problems) -> Catalog:
    if data is None:
        return Catalog()
    if not isinstance(data, YList):
        problems.error(rel, *getattr(data, "pos", (1, 1)), "components.yaml must be a list of components and groups")
        return Catalog()
    seen: dict = {}
    entries: list = []
    for index, item in enumerate(data):
        if not isinstance(item, YMap):
            problems.error(rel, *data.item_at(index), "each entry must be a component (id, name) or a group (group, id, components)")
            continue
        position = len(entries) + 1
        if "group" not in item and "components" not in item:
            component = _component(item, rel, problems, seen, None, position)
            if component:
                entries.append(component)
            continue
        check_keys(item, GROUP_KEYS, "group", rel, problems)
        gid = _slug(item, "id", rel, problems, seen)
        name = text_field(item, "group", rel, problems, MAX_NAME, one_line=True)
        if name is None:
            if "group" not in item or item["group"] is None or isinstance(item["group"], str):
                problems.error(rel, *(item.value_at("group") if "group" in item else item.pos), f'group "{gid or "?"}" needs a name in "group:"')
            name = gid or "?"
        members = item.get("components")
        children = []
        if not isinstance(members, YList) or not members:
            problems.error(rel, *(item.value_at("components") if "components" in item else item.pos), f'group "{gid or name}" needs a list of components')
        else:
            for cindex, child in enumerate(members):
                if not isinstance(child, YMap):
                    problems.error(rel, *members.item_at(cindex), "each member of a group must be a component with id and name")
                    continue
                if "group" in child or "components" in child:
                    problems.error(rel, *members.item_at(cindex), f'groups nest one level only: "{gid}" cannot contain the group "{child.get("id") or child.get("group")}"')
                    continue
                component = _component(child, rel, problems, seen, gid, cindex + 1)
                if component:
                    children.append(component)
        description = text_field(item, "description", rel, problems, MAX_DESCRIPTION)
        if gid:
            entries.append(Group(gid, name, description, tuple(children), position))
    return Catalog(tuple(entries))


# --- incidents ---------------------------------------------------------------


def normalize_status(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def split_front_matter(text: str, rel: str, problems: Problems):
    """(front matter text, its first line number, body text, body's first line number) or None."""
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        problems.error(rel, 1, 1, 'missing front matter: the file must start with a "---" line, then title: …, then "---"')
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    problems.error(rel, 1, 1, 'front matter is not closed: add a "---" line after it')
    return None


HEADING_LINE = re.compile(r"^##(?!#).*$", re.MULTILINE)


def heading_lines(body: str) -> list[tuple[int, int, int, re.Match]]:
    """(line offset, start, end, HEADING match) of each update heading in `body`.

    A heading inside a fenced code block is not one. Bodies without fences
    (nearly all) are searched in one pass; the others line by line.
    """
    found = []
    if "```" not in body and "~~~" not in body:
        line = pos = 0
        for m in HEADING_LINE.finditer(body):
            line += body.count("\n", pos, m.start())
            pos = m.start()
            heading = HEADING.match(m.group())
            if heading:
                found.append((line, m.start(), m.end(), heading))
        return found
    in_fence = None
    start = 0
    for offset, line_text in enumerate(body.split("\n")):
        end = start + len(line_text)
        # Cheap prefix tests first: most lines are prose.
        fence = FENCE.match(line_text) if line_text[:1] in " `~" else None
        if fence:
            in_fence = None if in_fence == fence.group(1) else (in_fence or fence.group(1))
        elif not in_fence and line_text.startswith("##"):
            heading = HEADING.match(line_text)
            if heading:
                found.append((offset, start, end, heading))
        start = end + 1
    return found


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
    has_headings = any(HEADING.match(line) for line in body.split("\n"))
    if not updates and not has_headings:
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
    )


def load_incidents(folder: Path, root: Path, site: Site, catalog: Catalog, problems: Problems) -> list[Incident]:
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
        if suffix != "md" or not SLUG.fullmatch(stem):
            problems.error(rel, 1, 1, f'file name "{shown(safe)}" is not a valid id: use lowercase letters, digits and hyphens, like 2026-11-26-api-errors.md')
            continue
        if len(stem) > MAX_ID_LENGTH:
            problems.error(rel, 1, 1, f"the file name is {len(stem)} characters long without .md; an id can be at most {MAX_ID_LENGTH}")
            continue
        files.append((folder / name, rel))

    def parse_files(chunk) -> list[tuple[Incident | None, list]]:
        results = []
        for path, rel in chunk:
            found = Problems()
            results.append((_parse_file(path, rel, site, catalog, found, boundary), found.items))
        return results

    # Each file stands alone, so a long history is parsed on every core.
    incidents = []
    for incident, found in workers.map_chunks(parse_files, files):
        problems.items.extend(found)
        if incident and not incident.draft:
            incidents.append(incident)
    return incidents


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


def review(content: Content, now: datetime, problems: Problems) -> None:
    """Checks that depend on the clock: updates written ahead of time."""
    for incident in content.incidents:
        for update in incident.updates:
            if update.at > now:
                problems.warn(
                    incident.path, update.line, 1,
                    f"update dated {update.at:%Y-%m-%d %H:%M} UTC is in the future; it will not show until then",
                )
    from generator import policy  # the maintenance policy: notice and avoided times

    policy.review(content, now, problems)


def review_language(root: Path, site: Site, settings: YMap, problems: Problems) -> None:
    """The theme speaks the site's language: a catalog for it, read cleanly (generator/language.py)."""
    from generator.language import review
    from generator.render import DEFAULT_THEME, ThemeError, theme_boundary, theme_dirs

    try:
        dirs = theme_dirs(root, site.theme)
    except ThemeError:
        dirs = theme_dirs(root, DEFAULT_THEME)  # a missing theme is the build's to report
    where = settings.value_at("language") if "language" in settings else (1, 1)
    review(dirs, site.language, root, theme_boundary(root), where, problems)


def load(root: Path, now: datetime | None = None) -> tuple[Content | None, Problems]:
    """Read and validate the site at `root`. Content is None when nothing usable was found."""
    root = Path(root)
    problems = Problems()
    content_dir = root / "content"
    site_rel = "content/site.yaml"
    if not os.path.lexists(content_dir / "site.yaml"):
        problems.error(site_rel, 1, 1, f"no site settings: {root}/content/site.yaml does not exist (is {root} a statusgen site?)")
        return None, problems
    boundary = Boundary(root)
    settings = read_yaml(content_dir / "site.yaml", site_rel, problems, boundary)
    site = parse_site(settings, site_rel, problems)
    if site is None:
        return None, problems
    review_language(root, site, settings, problems)
    comp_rel = "content/components.yaml"
    catalog = Catalog()
    if os.path.lexists(content_dir / "components.yaml"):
        catalog = parse_catalog(read_yaml(content_dir / "components.yaml", comp_rel, problems, boundary), comp_rel, problems)
    else:
        problems.error(comp_rel, 1, 1, "no components: create content/components.yaml with a list of components")
    incidents = load_incidents(content_dir / "incidents", root, site, catalog, problems)
    incidents.sort(key=lambda i: (i.began or EPOCH, i.id), reverse=True)
    content = Content(site=site, catalog=catalog, incidents=tuple(incidents))
    if now is not None:
        review(content, now, problems)
    return content, problems
