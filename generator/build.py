"""`statusgen build`: load → validate → snapshot at `now` → render → write.

Every output file is rendered into memory first; nothing is written until
all of them exist, so a failed build never touches the output folder.
"""

from __future__ import annotations

import gc
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


def _write_order(rel: str) -> tuple:
    # Assets before the pages that use them; the home page and 404 last.
    return (0 if rel.startswith("static/") else 2 if rel in ("index.html", "404.html") else 1, rel)


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    """Make `out` hold exactly `files`.

    A new folder is written aside and swapped into place in one step. An
    existing one is updated in place, which is what keeps a rebuild of a long
    history fast: unchanged files are left alone, each changed file is
    replaced atomically (assets before the pages that use them, the home page
    last), and files the build no longer makes are removed last of all.
    """
    out = Path(out).resolve()
    if out.is_dir():
        _update_tree(out, files)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        _write_files(staging, files, sorted(files))
        os.chmod(staging, 0o755)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_files(folder: Path, files: dict[str, bytes], order) -> None:
    made = set()
    for rel in order:
        target = folder / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(files[rel])


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _update_tree(out: Path, files: dict[str, bytes]) -> None:
    for rel in sorted(files, key=_write_order):
        target = out / rel
        if _unchanged(target, files[rel]):
            continue
        if target.is_dir():  # a folder where the build now puts a file
            shutil.rmtree(target)
        for parent in reversed(target.relative_to(out).parents[:-1]):
            if (out / parent).is_file():  # a file where the build now needs a folder
                (out / parent).unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(files[rel])
        os.replace(tmp, target)
    wanted = set(files)
    for path in sorted(out.rglob("*"), reverse=True):  # children before their folders
        rel = path.relative_to(out).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif rel not in wanted:
            path.unlink()


def build(root: Path, now: datetime, out: Path | None = None, cache: Path | None = None) -> BuildResult:
    """Build the site at `root` as it stands at `now` into `out` (default root/output).

    `cache` names a file that keeps rendered Markdown between builds, keyed by
    its source text; the output is the same with or without it.
    """
    was_enabled = gc.isenabled()
    # A build makes millions of objects that all live until it ends; the cyclic
    # collector would walk them again and again, which grows faster than the history.
    gc.disable()
    try:
        return _build(Path(root), now, out, cache)
    finally:
        if was_enabled:
            gc.enable()


def _build(root: Path, now: datetime, out: Path | None, cache: Path | None) -> BuildResult:
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
