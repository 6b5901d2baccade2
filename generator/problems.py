"""Problems found in content: collected, never raised one at a time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from generator.errors import StatusgenError

from generator.terminal import printable

ERROR = "error"
WARNING = "warning"
SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    col: int
    severity: str
    message: str

    def format_text(self) -> str:
        """One line for a terminal: control characters from content are shown as escapes."""
        return f"{printable(self.path)}:{self.line}:{self.col}: {self.severity}: {printable(self.message)}"

    def format_github(self) -> str:
        """A GitHub Actions workflow command: every property and the message escaped."""
        props = f"file={github_property(self.path)},line={self.line},col={self.col}"
        return f"::{self.severity} {props}::{github_data(self.message)}"

    def as_dict(self) -> dict:
        return {
            "path": _well_formed(self.path),
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": _well_formed(self.message),
        }


def github_data(text: str) -> str:
    """A workflow command's message: % CR LF as GitHub asks; other controls made visible."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def github_property(text: str) -> str:
    """A workflow command's property value: also : and , which end a property."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def _well_formed(text: str) -> str:
    """JSON escapes controls itself; a lone surrogate (an undecodable file name) is not valid Unicode."""
    return SURROGATE.sub(lambda m: printable(m.group()), text)


def _one_line(message: str) -> str:
    # A quoted value may hold line breaks; one problem is always one line.
    return " ".join(message.split()) if "\n" in message or "\r" in message else message


@dataclass
class Problems:
    """An ordered collection of problems for one run of the loader."""

    items: list[Problem] = field(default_factory=list)

    def error(self, path: str, line: int, col: int, message: str) -> None:
        self.items.append(Problem(path, max(line, 1), max(col, 1), ERROR, _one_line(message)))

    def warn(self, path: str, line: int, col: int, message: str) -> None:
        self.items.append(Problem(path, max(line, 1), max(col, 1), WARNING, _one_line(message)))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items))

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))


class ContentError(StatusgenError):
    """Content that cannot be built: carries every problem found, one per line."""

    def __init__(self, problems: Problems):
        self.problems = problems
        super().__init__(format_problems(problems.sorted(), "text"))


def format_problems(problems: list[Problem], fmt: str = "text") -> str:
    if fmt == "json":
        # ensure_ascii: control, bidi and separator characters leave as \u escapes, never raw.
        return json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=True)
    if fmt == "github":
        return "\n".join(p.format_github() for p in problems)
    return "\n".join(p.format_text() for p in problems)


def did_you_mean(word: str, choices) -> str:
    """A ' (did you mean "x"?)' suffix, or '' when nothing is close."""
    import difflib  # only when a word is wrong

    match = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""
