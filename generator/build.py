"""`statusgen build`: load → validate → snapshot at `now` → render → write.

Nothing a reader can see changes until every file is rendered, so a failed
build never leaves a half-made site. A new output folder is written aside
as the files come and swapped into place at the end; an existing one only
learns what changed, and is updated once all is rendered.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from generator import markup, workers
from generator.content import load
from generator.problems import ContentError, Problems
from generator.status import Snapshot, snapshot

# Rendered Markdown kept between builds, under the site folder (git-ignored).
CACHE_FILE = ".statusgen-cache/markdown.sqlite"

# What an output keeps of a file it was handed: its size when the file is already
# where it belongs (written aside, or unchanged), else the bytes still to write.
Taken = dict[str, "int | bytes"]


class OutputConflict(Exception):
    """Two producers want to write the same path."""


@dataclass(frozen=True)
class BuildResult:
    out: Path
    files: int
    bytes: int
    problems: Problems


def site_producers() -> list[Callable[[Snapshot, Path], dict[str, bytes]]]:
    """The functions that turn a snapshot into the site-wide files, `{relative path: bytes}`."""
    from generator import api, badges, calendar, feeds, offline, render

    return [render.render_pages, feeds.render_feeds, calendar.render_calendar, api.render_endpoints,
            badges.render_badges, badges.render_embed, offline.render_offline]


def event_producers() -> list[Callable[[Snapshot, Path], Callable[[str], dict[str, bytes]]]]:
    """The functions that give, for a snapshot, a function from one event's id to its own files."""
    from generator import api, render

    return [render.event_pages, api.event_documents]


EVENTS_PER_JOB = 100  # small jobs: the files arrive steadily and the workers end together


def render_into(output: "Output", snap: Snapshot, root: Path) -> tuple[Taken, int]:
    """Render every file of the site and hand each to `output` as soon as it exists.

    The files of each incident stand alone, Markdown included, so for a long
    history forked workers render them in small batches (and, in one more
    job, the site-wide files) while this process writes what they send: one
    writer, because several contend for the same folders and are slower.
    Returns what `output` took and how many Markdown texts were rendered.
    """
    ids = list(snap.events)
    makers = [make(snap, root) for make in event_producers()]
    jobs = [None, *(ids[k:k + EVENTS_PER_JOB] for k in range(0, len(ids), EVENTS_PER_JOB))]
    markup.take_new()  # start counting afresh: `serve` builds again and again in one process

    def run(job: list[str] | None) -> tuple[dict[str, bytes], dict[str, str]]:
        if job is None:  # the site-wide files: the longest job, so it goes first (and imports its own modules)
            files = _merge(produce(snap, root).items() for produce in site_producers())
        else:
            for iid in job:  # all the Markdown first: interleaved with Jinja it runs ~20% slower
                for text in _texts(snap.events[iid].incident):
                    markup.to_html(text)
            files = _merge(maker(iid).items() for iid in job for maker in makers)
        return files, markup.take_new()  # the Markdown it rendered, for the cache

    taken: Taken = {}
    rendered = 0
    for files, html in workers.each(run, jobs, parallel=len(ids) >= workers.PARALLEL_MIN):
        if clash := next((path for path in files if path in taken), None):
            raise OutputConflict(f"two outputs want the same path: {clash}")
        taken.update(output.take(files))
        markup.remember(html)
        rendered += len(html)
    return dict(sorted(taken.items())), rendered


def _texts(incident) -> tuple[str, ...]:
    """The Markdown of an incident: its summary and each update."""
    return (incident.summary, *(update.body for update in incident.updates))


def _merge(parts: Iterable[Iterable[tuple[str, object]]]) -> dict:
    merged: dict = {}
    for part in parts:
        for path, value in part:
            if path in merged:
                raise OutputConflict(f"two outputs want the same path: {path}")
            merged[path] = value
    return merged


def _write_stage(rel: str) -> int:
    # Assets before the pages that use them; the home page and 404 last.
    return 0 if rel.startswith("static/") else 2 if rel in ("index.html", "404.html") else 1


class Output:
    """Where a build's files go: handed over as they are rendered, put in place when all are."""

    def take(self, files: dict[str, bytes]) -> Taken:
        raise NotImplementedError

    def finish(self, taken: Taken) -> None:
        """Make the output folder hold exactly the taken files."""

    def discard(self) -> None:
        """Forget a build that failed; the output folder stays as it was."""


class NewFolder(Output):
    """A folder that does not exist yet: written aside, then renamed into place in one step."""

    def __init__(self, out: Path):
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        self._folders: set[str] = set()

    def take(self, files: dict[str, bytes]) -> Taken:
        for rel, data in files.items():
            folder = os.path.dirname(rel)
            if folder not in self._folders:
                (self.staging / folder).mkdir(parents=True, exist_ok=True)
                self._folders.add(folder)
            write_file(self.staging / rel, data)
        return {rel: len(data) for rel, data in files.items()}

    def finish(self, taken: Taken) -> None:
        os.chmod(self.staging, 0o755)
        self.staging.rename(self.out)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


class ExistingFolder(Output):
    """A folder from an earlier build, updated in place: what keeps a rebuild of a long history fast.

    Unchanged files are left alone. Each changed file is replaced atomically
    (assets before the pages that use them, the home page last), and files
    the build no longer makes are removed last of all.
    """

    def __init__(self, out: Path):
        self.out = out

    def take(self, files: dict[str, bytes]) -> Taken:
        return {rel: len(data) if _unchanged(self.out / rel, data) else data for rel, data in files.items()}

    def finish(self, taken: Taken) -> None:
        for rel in sorted(taken, key=lambda rel: (_write_stage(rel), rel)):
            if isinstance(taken[rel], bytes):
                _make_room(self.out, rel)
                _replace(self.out, rel, taken[rel])
        for path in sorted(self.out.rglob("*"), reverse=True):  # children before their folders
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif path.relative_to(self.out).as_posix() not in taken:
                path.unlink()


def open_output(out: Path) -> Output:
    out = Path(out).resolve()
    return ExistingFolder(out) if out.is_dir() else NewFolder(out)


def write_tree(out: Path, files: dict[str, bytes]) -> None:
    """Make `out` hold exactly `files`: a new folder appears whole, an existing one is updated in place."""
    output = open_output(out)
    try:
        output.finish(output.take(files))
    except BaseException:
        output.discard()
        raise


def write_file(path: Path, data: bytes) -> None:
    """`path.write_bytes(data)` in three system calls: `open()` adds a stat, an ioctl and a seek to each of 20,000 files."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _unchanged(path: Path, data: bytes) -> bool:
    """Whether `path` is a file holding exactly `data` (a short read counts as changed: rewriting is safe)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return os.fstat(fd).st_size == len(data) and os.read(fd, len(data) + 1) == data
        finally:
            os.close(fd)
    except OSError:  # missing, unreadable, or a folder
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
    write_file(tmp, data)
    os.replace(tmp, target)


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
    if cache:
        markup.load_cache(cache)
    output = open_output(out)
    try:
        taken, rendered = render_into(output, snapshot(content, now), root)
        output.finish(taken)
    except BaseException:
        output.discard()
        raise
    if cache and rendered:
        markup.save_cache(cache, [text for incident in content.incidents for text in _texts(incident)])
    size = sum(value if isinstance(value, int) else len(value) for value in taken.values())
    return BuildResult(out=out, files=len(taken), bytes=size, problems=problems)
