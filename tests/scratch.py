"""Write tiny sites from dedented strings (Lektor's scratch-project idea)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from generator.content import load
from generator.review import review
from generator.status import snapshot

COMPONENTS = """\
- id: api
  name: API
  since: 2026-01-01
- id: web
  name: Web app
- group: Apps
  id: apps
  components:
    - id: ios
      name: iPhone app
    - id: android
      name: Android app
"""


def write_site(root: Path, incidents: dict[str, str], timezone: str = "UTC", extra_site: str = "",
               components: str = COMPONENTS) -> Path:
    (root / "content" / "incidents").mkdir(parents=True, exist_ok=True)
    (root / "content" / "site.yaml").write_text(
        f"title: Scratch Status\nurl: https://status.example.com/\ntimezone: {timezone}\n{textwrap.dedent(extra_site)}",
        encoding="utf-8",
    )
    (root / "content" / "components.yaml").write_text(components, encoding="utf-8")
    for name, text in incidents.items():
        (root / "content" / "incidents" / f"{name}.md").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def load_at(root: Path, now):
    """Load the site at `root` as `check` does at `now`: the loader's problems, then the review's."""
    content, problems = load(root)
    if content is not None:
        review(snapshot(content, now), problems)
    return content, problems


def load_site(root: Path, incidents: dict[str, str], **kwargs):
    """Write a scratch site and load it; fail loudly on content errors."""
    content, problems = load(write_site(root, incidents, **kwargs))
    assert not problems.errors, [p.format_text() for p in problems.errors]
    return content


def resolved_incidents(count: int, component: str = "web") -> dict[str, str]:
    """`count` short resolved incidents, 13 hours apart from 2026-10-01, oldest first."""
    from datetime import datetime, timedelta

    incidents = {}
    for n in range(count):
        start = datetime(2026, 10, 1) + timedelta(hours=13 * n)
        incidents[f"i{n:02d}"] = (
            f"---\ntitle: Incident {n}\ncomponents: {{{component}: degraded_performance}}\n---\n"
            f"## {start + timedelta(minutes=30):%Y-%m-%d %H:%M} UTC — Resolved\nok\n"
            f"## {start:%Y-%m-%d %H:%M} UTC — Investigating\nslow\n"
        )
    return incidents
