"""`content/components.yaml`: the components and groups a status page shows, in page order."""

from __future__ import annotations

import re

from generator.limits import MAX_DESCRIPTION, MAX_ID_LENGTH, MAX_NAME, shown
from generator.model import Catalog, Component, Group
from generator.problems import Problems
from generator.timestamps import TimestampError, parse_date
from generator.yamlsource import YList, YMap, check_keys, text_field

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
COMPONENT_KEYS = ("id", "name", "description", "since", "only_show_if_degraded")
GROUP_KEYS = ("group", "id", "description", "components")


def _component(item: YMap, rel: str, problems: Problems, seen: dict, group_id: str | None, position: int) -> Component | None:
    check_keys(item, COMPONENT_KEYS, "component", rel, problems)
    cid = _slug(item, "id", rel, problems, seen)
    name = _name(item, "name", rel, problems, f'component "{cid or "?"}" needs a name', cid)
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


def _name(item: YMap, key: str, rel: str, problems: Problems, missing: str, ident: str | None) -> str:
    """The entry's display name under `key`; its id (or "?") stands in after an error."""
    name = text_field(item, key, rel, problems, MAX_NAME, one_line=True)
    if name is None:
        if key not in item or item[key] is None or isinstance(item[key], str):  # else text_field said why
            problems.error(rel, *(item.value_at(key) if key in item else item.pos), missing)
        name = ident or "?"
    return name


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
        name = _name(item, "group", rel, problems, f'group "{gid or "?"}" needs a name in "group:"', gid)
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
