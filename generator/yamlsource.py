"""YAML that remembers where each key and value was written.

Mappings load as `YMap` and sequences as `YList`; both carry 1-based
(line, col) positions so that every content problem can name its line.
Timestamps stay strings: we read them ourselves, with time zones.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from generator.limits import shown, text_problem
from generator.problems import Problems, did_you_mean
from generator.sitefiles import Boundary, read_text

Pos = tuple[int, int]


class YMap(dict):
    pos: Pos = (1, 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_pos: dict = {}
        self.value_pos: dict = {}
        self.duplicates: list = []
        self.value_text: dict = {}  # the source text of values YAML did not read as text

    def key_at(self, key, default: Pos | None = None) -> Pos:
        return self.key_pos.get(key, default or self.pos)

    def value_at(self, key, default: Pos | None = None) -> Pos:
        return self.value_pos.get(key, default or self.key_at(key))


class YList(list):
    pos: Pos = (1, 1)

    def __init__(self, *args):
        super().__init__(*args)
        self.item_pos: list[Pos] = []

    def item_at(self, index: int) -> Pos:
        return self.item_pos[index] if index < len(self.item_pos) else self.pos


class YAMLSyntaxError(ValueError):
    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.line = line
        self.col = col


def _mark(node, offset: int) -> Pos:
    return (node.start_mark.line + 1 + offset, node.start_mark.column + 1)


MAX_DEPTH = 50  # content never nests this deep; a thousand levels only cost time


class _Loader(yaml.SafeLoader):
    line_offset = 0
    depth = 0

    def compose_node(self, parent, index):
        if self.depth >= MAX_DEPTH:
            line, col = _mark(self.peek_event(), self.line_offset)
            raise YAMLSyntaxError(f"YAML nested more than {MAX_DEPTH} levels deep", line, col)
        self.depth += 1
        try:
            return self._compose_one(parent, index)
        finally:
            self.depth -= 1

    def _compose_one(self, parent, index):
        # An alias repeats a subtree without writing it out: a few hundred bytes can
        # stand for gigabytes ("billion laughs"). Content never needs one.
        if self.check_event(yaml.AliasEvent):
            line, col = _mark(self.peek_event(), self.line_offset)
            raise YAMLSyntaxError("YAML aliases (*name) are not allowed in content: write the value out in full", line, col)
        return super().compose_node(parent, index)


# libyaml's parser is several times faster; on an error we parse again with the
# pure-Python one, whose messages and positions are the better ones to show.
class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):
    line_offset = 0


# Keep timestamps as text, and drop YAML 1.1's base-60 numbers (`14:02` is not 842).
_SEXAGESIMAL = re.compile(r"\|[^|]*:\[0-5\]\?\[0-9\][^|]*(?=\||\)\$)")


def _without_base60(regexp):
    return re.compile(_SEXAGESIMAL.sub("", regexp.pattern), regexp.flags)


_Loader.yaml_implicit_resolvers = _FastLoader.yaml_implicit_resolvers = {
    first: [
        (tag, _without_base60(regexp) if tag.endswith((":int", ":float")) else regexp)
        for tag, regexp in resolvers
        if tag != "tag:yaml.org,2002:timestamp"
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_text(loader: _Loader, node) -> str:
    value = loader.construct_scalar(node)
    if node.style != '"':  # only a double-quoted scalar has escapes (\x1b); the rest is as the file holds it
        return value
    problem = text_problem(value, "text")
    if problem:
        raise YAMLSyntaxError(problem, *_mark(node, loader.line_offset))
    return value


def _construct_map(loader: _Loader, node) -> YMap:
    loader.flatten_mapping(node)
    result = YMap()
    result.pos = _mark(node, loader.line_offset)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            line, col = _mark(key_node, loader.line_offset)
            raise YAMLSyntaxError("a mapping key must be a plain value", line, col) from None
        if key in result:
            result.duplicates.append((key, _mark(key_node, loader.line_offset)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_pos[key] = _mark(key_node, loader.line_offset)
        result.value_pos[key] = _mark(value_node, loader.line_offset)
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag != "tag:yaml.org,2002:str":
            result.value_text[key] = value_node.value  # `no`, as written, for "put it in quotes"
    return result


def _construct_list(loader: _Loader, node) -> YList:
    result = YList(loader.construct_object(child, deep=True) for child in node.value)
    result.pos = _mark(node, loader.line_offset)
    result.item_pos = [_mark(child, loader.line_offset) for child in node.value]
    return result


for _cls in {_Loader, _FastLoader}:
    _cls.add_constructor("tag:yaml.org,2002:map", _construct_map)
    _cls.add_constructor("tag:yaml.org,2002:seq", _construct_list)
    _cls.add_constructor("tag:yaml.org,2002:str", _construct_text)


def _load_with(cls, text: str, line_offset: int):
    loader = cls(text)  # may raise: the reader checks the characters first
    try:
        loader.line_offset = line_offset
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(text: str, line_offset: int = 0):
    """Load one YAML document; raise YAMLSyntaxError with a 1-based position.

    Text with an anchor or alias character takes the careful parser, which refuses aliases.
    """
    if _FastLoader is not _Loader and "*" not in text and "&" not in text and not _maybe_deep(text):
        try:
            return _load_with(_FastLoader, text, line_offset)
        except YAMLSyntaxError:
            raise
        except Exception:  # noqa: BLE001 - any failure: the careful parser below explains it
            pass
    return _load_carefully(text, line_offset)


def _maybe_deep(text: str) -> bool:
    """Whether flow collections might nest past MAX_DEPTH (then the careful parser counts)."""
    return text.count("[") + text.count("{") > MAX_DEPTH


def _load_carefully(text: str, line_offset: int):
    try:
        return _load_with(_Loader, text, line_offset)
    except YAMLSyntaxError:
        raise
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line = before.count("\n") + 1 + line_offset
        col = exc.position - (before.rfind("\n") + 1) + 1
        raise YAMLSyntaxError(f"YAML cannot contain the control character U+{exc.character:04X}", line, col) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{exc.context}, {exc.problem}"
        if "mapping values are not allowed" in problem:
            problem += ' (put quotes around a value that contains ": ")'
        raise YAMLSyntaxError(f"YAML syntax error: {' '.join(problem.split())}", line, col) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(f"YAML error: {' '.join(str(exc).split())}", 1 + line_offset, 1) from None
    except (ValueError, TypeError, OverflowError, RecursionError, AttributeError) as exc:
        raise YAMLSyntaxError(f"YAML value error: {' '.join(str(exc).split())}", 1 + line_offset, 1) from None


def read_yaml(path: Path, rel: str, problems: Problems, boundary: Boundary | None = None):
    text = read_text(path, rel, problems, boundary)
    if text is None:
        return None
    try:
        return load_yaml(text)
    except YAMLSyntaxError as exc:
        problems.error(rel, exc.line, exc.col, str(exc))
        return None


def check_keys(data: YMap, known, where: str, path: str, problems: Problems) -> None:
    """Report keys that are not in `known` (with a did-you-mean) and keys given twice."""
    suffix = f" in {where}" if where else ""
    for key in data:
        if key not in known:
            line, col = data.key_at(key)
            problems.error(path, line, col, f'unknown key "{key}"{suffix}{did_you_mean(key, known)}')
    for key, (line, col) in data.duplicates:
        problems.error(path, line, col, f'"{key}" is given twice{suffix}')


_YAML_KINDS = {bool: "true or false", int: "a number", float: "a number"}


def text_field(data: YMap, key: str, path: str, problems: Problems, limit: int | None = None,
               one_line: bool = False, required: str | None = None) -> str | None:
    """The text under `key`, stripped, or None (recording why when it is not usable text).

    `required` is the message for a missing value. A value YAML reads as a
    number or a boolean (`title: no`, `title: 404`) is asked to be quoted.
    """
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.error(path, *(data.value_at(key) if key in data else data.pos), required)
        return None
    if not isinstance(value, str):
        where = data.value_at(key)
        source = data.value_text.get(key)
        kind = _YAML_KINDS.get(type(value))
        if kind and source is not None:
            problems.error(path, *where, f'"{key}" must be text, but YAML reads {shown(source)} as {kind}: '
                                         f'put it in quotes, {key}: "{shown(source)}"')
        else:
            problems.error(path, *where, f'"{key}" must be text')
        return None
    value = value.strip()
    problem = text_problem(value, f'"{key}"', limit, one_line)
    if problem:
        problems.error(path, *data.value_at(key), problem)
        return None
    return value
