"""`statusgen build`: load → validate → snapshot at `now` → render → write.

Every output file is rendered into memory first; nothing is written until
all of them exist, and the output folder is then replaced in one step, so a
failed build never leaves a half-written site.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator import markup
from generator.content import load
from generator.problems import ContentError, Problems
from generator.status import Snapshot, snapshot


# Rendered Markdown kept between builds, under the site folder (git-ignored).
CACHE_FILE = ".statusgen-cache/markdown.sqlite"


class OutputConflict(Exception):
    """Two producers want to write the same path."""


@dataclass(frozen=True)
class BuildResult:
    out: Path
    files: int
    bytes: int
    problems: Problems


def producers():
    """The functions that turn a snapshot into `{relative path: bytes}`, in order."""
    from generator import render

    found = [render.render_site]
    from generator import api, badges, calendar, feeds

    found += [feeds.render_feeds, calendar.render_calendar, api.render_api, badges.render_badges, badges.render_embed]
    from generator import offline

    found.append(offline.render_offline)
    return found


def render_all(snap: Snapshot, root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for produce in producers():
        for path, data in produce(snap, root).items():
            if path in files:
                raise OutputConflict(f"two outputs want the same path: {path}")
            files[path] = data
    return dict(sorted(files.items()))


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    """Replace `out` with exactly `files`, swapping a fully written folder into place."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        made = set()
        for rel, data in files.items():
            target = staging / rel
            parent = target.parent
            if parent not in made:
                parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}-old-{os.getpid()}")
            out.rename(old)
        staging.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def build(root: Path, now: datetime, out: Path | None = None, cache: Path | None = None) -> BuildResult:
    """Build the site at `root` as it stands at `now` into `out` (default root/output).

    `cache` names a file that keeps rendered Markdown between builds, keyed by
    its source text; the output is the same with or without it.
    """
    root = Path(root)
    out = Path(out) if out else root / "output"
    content, problems = load(root, now)
    if content is None or problems.errors:
        raise ContentError(problems)
    texts = [text for i in content.incidents for text in (i.summary, *(u.body for u in i.updates))]
    if cache:
        markup.load_cache(cache)
    if markup.prerender(texts) and cache:
        markup.save_cache(cache, texts)
    files = render_all(snapshot(content, now), root)
    write_tree(out, files)
    return BuildResult(out=out, files=len(files), bytes=sum(len(d) for d in files.values()), problems=problems)
