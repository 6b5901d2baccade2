"""`statusgen build`: load → validate → snapshot at `now` → render → write.

Every output file is rendered into memory first; nothing is written until
all of them exist, so a failed build never touches the output folder.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from generator import markup, workers
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
    # The site's pages (the largest part, itself spread over the cores) are
    # rendered here while the feeds, calendar and API render in the background.
    first, *rest = producers()
    with workers.Background(lambda: _outputs(rest, snap, root), parallel=len(snap.events) >= workers.PARALLEL_MIN) as others:
        files: dict[str, bytes] = {}
        for path, data in [*_outputs([first], snap, root), *others.result()]:
            if path in files:
                raise OutputConflict(f"two outputs want the same path: {path}")
            files[path] = data
    return dict(sorted(files.items()))


def _outputs(produce_all, snap: Snapshot, root: Path):
    for produce in produce_all:
        yield from produce(snap, root).items()


def _write_stage(rel: str) -> int:
    # Assets before the pages that use them; the home page and 404 last.
    return 0 if rel.startswith("static/") else 2 if rel in ("index.html", "404.html") else 1


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
        for folder in sorted({os.path.dirname(rel) for rel in files}):
            (staging / folder).mkdir(parents=True, exist_ok=True)
        # One thread: parallel writers contend for the same folders' locks and are slower.
        for rel in sorted(files):
            (staging / rel).write_bytes(files[rel])
        os.chmod(staging, 0o755)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _unchanged(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _make_room(out: Path, rel: str) -> None:
    """Clear the way for the file `rel`: a folder in its place, or a file where it needs a folder."""
    target = out / rel
    if target.is_dir():
        shutil.rmtree(target)
    for parent in reversed(target.relative_to(out).parents[:-1]):
        if (out / parent).is_file():
            (out / parent).unlink()
    target.parent.mkdir(parents=True, exist_ok=True)


def _replace(out: Path, rel: str, data: bytes) -> None:
    target = out / rel
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _update_tree(out: Path, files: dict[str, bytes]) -> None:
    for stage in (0, 1, 2):
        batch = sorted(rel for rel in files if _write_stage(rel) == stage)
        for rel in batch:
            if not _unchanged(out / rel, files[rel]):
                _make_room(out, rel)
                _replace(out, rel, files[rel])
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
    with _collector_paused():
        return _build(Path(root), now, out, cache)


@contextmanager
def _collector_paused():
    """The cyclic collector off while the model is made, and set back as it was afterwards.

    Loading makes millions of objects that all live until the build ends; the
    collector would walk them again and again, which grows faster than the
    history. `_build` then freezes them out of its sight.
    """
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()  # this build's model may go now (`serve` builds again and again)
        gc.set_threshold(*thresholds)
        (gc.enable if was_enabled else gc.disable)()


def _build(root: Path, now: datetime, out: Path | None, cache: Path | None) -> BuildResult:
    out = Path(out) if out else root / "output"
    content, problems = load(root, now)
    if content is None or problems.errors:
        raise ContentError(problems)
    # Markdown and Jinja leave cycles behind (a few KB a page). With the model
    # frozen, collecting them walks only the young objects, and forked workers
    # do not copy the model's pages just to mark them.
    gc.freeze()
    gc.set_threshold(700, 10, 1_000_000)  # young collections only: what survives them stays
    gc.enable()
    texts = [text for i in content.incidents for text in (i.summary, *(u.body for u in i.updates))]
    if cache:
        markup.load_cache(cache)
    if markup.prerender(texts) and cache:
        markup.save_cache(cache, texts)
    files = render_all(snapshot(content, now), root)
    write_tree(out, files)
    return BuildResult(out=out, files=len(files), bytes=sum(len(d) for d in files.values()), problems=problems)
