"""The guides in docs/, shipped inside the package: `statusgen docs TOPIC` prints one.

A pip user has no checkout, so every message that says "see the deploy
guide" names `statusgen docs deploy`, which works offline, and the
Documentation URL from the package metadata.
"""

from __future__ import annotations

from pathlib import Path

import generator
from generator.errors import StatusgenError
from generator.problems import did_you_mean

DOCS_URL = "https://github.com/statusgen/statusgen/tree/main/docs"  # the same as pyproject's Documentation


def docs_dir() -> Path:
    """The installed copy (a wheel puts it in the package), else the checkout's docs/."""
    package = Path(generator.__file__).resolve().parent
    installed = package / "docs"
    return installed if installed.is_dir() else package.parent / "docs"


def topics() -> dict[str, str]:
    """`{topic: its first heading}` for every guide."""
    found = {}
    for path in sorted(docs_dir().glob("*.md")):
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), "# ")
        found[path.stem] = first[2:].strip()
    return found


def guide(topic: str) -> str:
    """The Markdown of one guide."""
    known = topics()
    if topic not in known:
        raise StatusgenError(f'no guide "{topic}"{did_you_mean(topic, known)}; the guides are: {", ".join(known)}')
    return (docs_dir() / f"{topic}.md").read_text(encoding="utf-8")


def see(topic: str) -> str:
    """How a message points to a guide: a command that works offline, and the web address."""
    return f"`statusgen docs {topic}` or {DOCS_URL}/{topic}.md"
