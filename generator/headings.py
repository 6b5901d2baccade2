"""Update headings: the one scanner that finds them, for the loader and for the staff commands.

An update starts at a line `## <time> — <Status>`. A `##` line inside a
fenced code block is not a heading, and `###` is a heading of the update's
own text.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^##(?!#)\s*(?P<rest>.*?)\s*#*\s*$")
HEADING_PARTS = re.compile(r"^(?P<stamp>.+?)\s*(?:\s—|—\s|\s[-–]\s)\s*(?P<status>[A-Za-z][A-Za-z _-]*?)\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
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


def front_matter_end(lines: list[str]) -> int | None:
    """The index of the line that closes the front matter ("---" or "..."), or None when it is not closed."""
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return index
    return None


def first_heading_offset(text: str) -> int | None:
    """The character offset in a whole file's `text` of its first update heading, or None."""
    lines = text.split("\n")
    start = 0
    if lines[0].rstrip() == "---":
        end = front_matter_end(lines)
        if end is None:
            return None
        start = sum(len(line) + 1 for line in lines[: end + 1])
    found = heading_lines(text[start:])
    return start + found[0][1] if found else None
