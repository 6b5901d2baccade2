"""`statusgen build`: load → validate → snapshot at `now` → render → write.

Nothing a reader can see changes until every file is rendered and written,
so a failed build (a template error, a full disk, a folder we may not write
to, too long a name) leaves the output as it was, byte for byte, and no
stray files. A new output folder is written aside as the files come and
swapped into place at the end; for an existing one only the changed files
are written aside, and put in place by renames once all is rendered (undone
if one fails). A failure to write is one line naming the output path.
"""

from __future__ import annotations

import errno
import gc
import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

from generator import documentcache, loadcache, markup, pagecache, paths, templatecache, workers
from generator.content import Reread, load
from generator.errors import OutputError
from generator.mediatypes import rank
from generator.problems import ContentError, Problems
from generator.review import review
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
    taken: Taken | None = field(default=None, repr=False, compare=False)  # each file's size
    written: int | None = None  # the files a rebuild changed or removed (`serve`); None: a full build


def site_producers() -> list[Callable[[Snapshot, Path], dict[str, bytes]]]:
    """The functions that turn a snapshot into the site-wide files, `{relative path: bytes}`."""
    # Imported here, in the job that runs them: feedgen and icalendar load in a worker while this process writes.
    from generator import api, badges, calendar, feeds, offline, render

    return [render.render_pages, feeds.render_feeds, calendar.render_calendar, api.render_endpoints,
            badges.render_badges, badges.render_embed, offline.render_offline]


def event_producers() -> list[Callable[[Snapshot, Path], Callable[[str], dict[str, bytes]]]]:
    """The functions that give, for a snapshot, a function from one event's id to its own files."""
    from generator import api, render

    return [render.event_pages, api.event_documents]


EVENTS_PER_JOB = 100  # small jobs: the files arrive steadily and the workers end together


def render_into(output: "Output", snap: Snapshot, root: Path,
                keep_html: Callable[[dict[str, str]], None] = markup.remember,
                reads: dict[str, frozenset] | None = None) -> tuple[Taken, int]:
    """Render every file of the site and hand each to `output` as soon as it exists.

    The files of each incident stand alone, Markdown included, so for a long
    history forked workers render them in small batches (and, in one more
    job, the site-wide files) while this process writes what they send: one
    writer, because several contend for the same folders and are slower.
    The Markdown rendered goes to `keep_html` as it arrives (a worker does not
    keep it). With `reads`, it gets the names each page read (`serve`'s rebuilds
    compare them). Returns what `output` took and how many Markdown texts were rendered.
    """
    if reads is not None:
        from generator import render

        render.record_reads()  # forked workers inherit it
    ids = list(snap.events)
    makers = [make(snap, root) for make in event_producers()]
    jobs = [None, *(ids[k:k + EVENTS_PER_JOB] for k in range(0, len(ids), EVENTS_PER_JOB))]
    parallel = len(ids) >= workers.PARALLEL_MIN
    if parallel:
        from generator import render

        render.renderer(snap, root).preload()  # compiled (or loaded) once, here: the workers inherit them
    markup.take_new()  # start counting afresh: `serve` builds again and again in one process
    home = os.getpid()

    def run(job: list[str] | None) -> tuple[dict[str, bytes], dict[str, str], dict | None, tuple | None]:
        if job is None:  # the site-wide files: the longest job, so it goes first (and imports its own modules)
            files = _merge(produce(snap, root).items() for produce in site_producers())
        else:
            texts = [text for iid in job for text in _texts(snap.events[iid].incident)]
            markup.prefetch(texts)  # what the cache file holds, in one look-up
            for text in texts:  # all the Markdown first: interleaved with Jinja it runs ~20% slower
                markup.to_html(text)
            files = _merge(maker(iid).items() for iid in job for maker in makers)
        html = markup.take_new()  # the Markdown it rendered, for the cache
        if os.getpid() != home:
            markup.forget_all()  # a worker's jobs share no text: keeping it all would hold the history's HTML twice
        return files, html, render.take_reads() if reads is not None else None, (documentcache.take(), pagecache.take())

    taken: Taken = {}
    rendered = 0
    try:
        for files, html, read, (documents, pages) in workers.each(run, jobs, parallel=parallel):
            if clash := next((path for path in files if path in taken), None):
                raise OutputConflict(f"two outputs want the same path: {clash}")
            taken.update(output.take(files))
            keep_html(html)
            documentcache.give(documents)
            pagecache.give(pages)
            rendered += len(html)
            if read:
                reads.update(read)
    finally:
        if reads is not None:
            render.record_reads(False)
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


class Output:
    """Where a build's files go: handed over as they are rendered, put in place when all are."""

    def take(self, files: dict[str, bytes]) -> Taken:
        raise NotImplementedError

    def finish(self, taken: Taken) -> None:
        """Make the output folder hold exactly the taken files."""

    def discard(self) -> None:
        """Forget a build that failed; the output folder stays as it was."""


def _output_error(exc: OSError, path: str | Path, note: str) -> OutputError:
    """One line naming the output path that could not be written (not a staging file's name)."""
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
    return OutputError(f"{path}: {reason}; {note}")


class NewFolder(Output):
    """A folder that does not exist yet: written aside, then renamed into place in one step."""

    def __init__(self, out: Path):
        self.out = out
        self.staging: Path | None = None
        self._note = f"no output was written to {out}"
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        except OSError as exc:
            raise _output_error(exc, out, self._note) from None
        self._folders: set[str] = set()

    def take(self, files: dict[str, bytes]) -> Taken:
        for rel, data in files.items():
            try:
                folder = os.path.dirname(rel)
                if folder not in self._folders:
                    (self.staging / folder).mkdir(parents=True, exist_ok=True)
                    self._folders.add(folder)
                write_file(self.staging / rel, data)
            except OSError as exc:
                raise _output_error(exc, self.out / rel, self._note) from None
        return {rel: len(data) for rel, data in files.items()}

    def finish(self, taken: Taken) -> None:
        try:
            os.chmod(self.staging, 0o755)
            self.staging.rename(self.out)
        except OSError as exc:
            raise _output_error(exc, self.out, self._note) from None
        self.staging = None

    def discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


class ExistingFolder(Output):
    """A folder from an earlier build, updated in place: what keeps a rebuild of a long history fast.

    Stage, then commit. Unchanged files are left alone; each changed file is
    written to a staging folder on the same file system as the output as it
    arrives, so a full disk, a bad name or a folder we may not write to fails
    the build before anything a reader sees changes. The commit is renames
    only: the changed files (assets before the pages that use them, the home
    page last), then the files the build no longer makes are set aside. Each
    replaced or removed file is first kept aside (a hard link, or the file
    itself) so that a rename failing half-way puts every file back as it was.
    """

    def __init__(self, out: Path):
        self.out = out
        self.staging: Path | None = None
        self._staged: dict[str, str] = {}  # rel -> the staged file holding its new bytes
        self._asides = 0
        self._moved: set[str] = set()  # what the commit set aside to make room (with all it held)
        self._real: set[str] = {""}  # folders under out known to be real folders (not links)
        self._note = f"{out} was left as it was"

    def _stage(self) -> Path:
        if self.staging is None:
            self.staging = _staging_folder(self.out)
        return self.staging

    def _is_real_folder(self, folder: str) -> bool:
        """Whether out/`folder` is a folder all the way down, no link on the way (one lstat per folder)."""
        if folder in self._real:
            return True
        if not self._is_real_folder(os.path.dirname(folder)):
            return False
        try:
            real = stat.S_ISDIR(os.lstat(os.path.join(self.out, folder)).st_mode)
        except OSError:
            return False
        if real:
            self._real.add(folder)
        return real

    def take(self, files: dict[str, bytes]) -> Taken:
        taken: Taken = {}
        for rel, data in files.items():
            if not (self._is_real_folder(os.path.dirname(rel)) and _unchanged(os.path.join(self.out, rel), data)):
                try:
                    staged = os.path.join(self._stage(), str(len(self._staged)))
                    write_file(staged, data)
                except OSError as exc:
                    raise _output_error(exc, self.out / rel, self._note) from None
                self._staged[rel] = staged
            taken[rel] = len(data)
        return taken

    def finish(self, taken: Taken, present: Iterable[str] | None = None) -> None:
        """`present`: the files the folder holds, when the caller knows them (`serve`): no walk of the folder."""
        try:
            self._commit(taken, present)
        finally:
            self.discard()

    def discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    # --- the commit ---------------------------------------------------------

    def _commit(self, taken: Taken, present: Iterable[str] | None = None) -> None:
        out = str(self.out)
        skip = self.staging.name if self.staging is not None and self.staging.parent == self.out else None
        folders: dict[str, bool] = {}
        try:
            if present is None:
                present, folders = _inventory(out, skip)
        except OSError as exc:
            raise _output_error(exc, exc.filename or out, self._note) from None
        gone = sorted((rel for rel in present if rel not in taken), reverse=True)
        order = sorted(self._staged, key=lambda rel: (rank(rel), rel))  # as deploy uploads: the home page last
        if not order and not gone:
            return
        self._preflight(order, gone)
        journal: list[tuple[str, ...]] = []
        current = out
        try:
            for rel in order:
                current = os.path.join(out, rel)
                self._put(rel, journal)
            for rel in gone:
                current = os.path.join(out, rel)
                if not any(folder in self._moved for folder in _self_and_parents(rel)):  # not set aside already
                    self._set_aside(current, journal)
        except OSError as exc:
            stuck = _roll_back(journal)
            note = self._note if not stuck else f"{len(stuck)} file(s) could not be put back, e.g. {stuck[0]}"
            raise _output_error(exc, current, note) from None
        # Done: what follows only tidies up. A folder the build emptied goes;
        # one that cannot be removed is left, empty, and harms nothing.
        emptied = {os.path.dirname(rel) for rel in gone} | {rel for rel, empty in folders.items() if empty}
        for rel in list(emptied):
            while rel:
                rel = os.path.dirname(rel)
                emptied.add(rel)
        emptied.discard("")
        for rel in sorted(emptied, key=lambda rel: (-rel.count("/"), rel)):  # children before their folders
            try:
                os.rmdir(os.path.join(out, rel))
            except OSError:
                pass

    def _preflight(self, order: list[str], gone: list[str]) -> None:
        """Fail before any change on what can be seen ahead: too long a name, a folder we may not write to."""
        out = str(self.out)
        name_max = _limit(out, "PC_NAME_MAX", 255)
        path_max = _limit(out, "PC_PATH_MAX", 4096)
        folders = set()
        for rel in order:
            path = os.path.join(out, rel)
            if len(os.fsencode(path)) >= path_max or any(len(os.fsencode(part)) > name_max for part in rel.split("/")):
                raise _output_error(OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)), path, self._note)
            folders.add(os.path.dirname(rel))
        folders.update(os.path.dirname(rel) for rel in gone)
        checked: set[str] = set()
        for folder in sorted(folders):
            while folder and not self._is_real_folder(folder):  # to be made: its nearest real folder must let us
                folder = os.path.dirname(folder)
            if folder in checked:
                continue
            checked.add(folder)
            path = os.path.join(out, folder) if folder else out
            if not os.access(path, os.W_OK | os.X_OK):
                raise _output_error(OSError(errno.EACCES, os.strerror(errno.EACCES)), path, self._note)

    def _aside(self) -> str:
        self._asides += 1
        return os.path.join(self._stage(), f"old-{self._asides}")

    def _set_aside(self, path: str, journal: list) -> None:
        """Move `path` (a file, a link or a folder) into the staging folder, to be put back on failure."""
        aside = self._aside()
        os.rename(path, aside)
        journal.append(("back", aside, path))

    def _put(self, rel: str, journal: list) -> None:
        out = str(self.out)
        parts = rel.split("/")
        for depth in range(1, len(parts)):  # make room: every parent a real folder
            folder = "/".join(parts[:depth])
            if folder in self._real:
                continue
            path = os.path.join(out, folder)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                mode = None
            if mode is not None and not stat.S_ISDIR(mode):  # a file or a link where a folder goes
                self._set_aside(path, journal)
                self._moved.add(folder)
                mode = None
            if mode is None:
                os.mkdir(path)
                journal.append(("rmdir", path))
            self._real.add(folder)
        target = os.path.join(out, rel)
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):  # a folder where the file goes
            self._set_aside(target, journal)
            self._moved.add(rel)
            self._real = {f for f in self._real if f != rel and not f.startswith(rel + "/")}
            mode = None
        if mode is None:
            os.rename(self._staged[rel], target)
            journal.append(("unlink", target))
            return
        aside = self._aside()
        try:
            os.link(target, aside, follow_symlinks=False)  # the old file stays in place until replaced
        except OSError:
            self._set_aside(target, journal)  # no hard links here: a moment without the file
            os.rename(self._staged[rel], target)
            journal.append(("unlink", target))
            return
        journal.append(("back", aside, target))
        os.replace(self._staged[rel], target)


def _staging_folder(out: Path) -> Path:
    """A new hidden folder on the output's file system: beside it, or inside it when it is a mount point."""
    try:
        if os.stat(out.parent).st_dev == os.stat(out).st_dev:
            return Path(tempfile.mkdtemp(prefix=f".{out.name}-stage-", dir=out.parent))
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix=".statusgen-stage-", dir=out))


def _inventory(out: str, skip: str | None) -> tuple[list[str], dict[str, bool]]:
    """Every non-folder under `out` (files, links, anything else) and every folder with whether it is empty.

    Links are not followed: a link is an entry like a file.
    """
    files: list[str] = []
    folders: dict[str, bool] = {}
    stack = [(out, "")]
    while stack:
        directory, prefix = stack.pop()
        empty = True
        with os.scandir(directory) as entries:
            for entry in entries:
                if not prefix and entry.name == skip:
                    continue
                empty = False
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, prefix + entry.name + "/"))
                else:
                    files.append(prefix + entry.name)
        if prefix:
            folders[prefix[:-1]] = empty
    return files, folders


def _self_and_parents(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def _roll_back(journal: list[tuple[str, ...]]) -> list[str]:
    """Undo the commit's steps, newest first; the paths that could not be restored."""
    stuck = []
    for step in reversed(journal):
        try:
            if step[0] == "back":
                os.replace(step[1], step[2])
            elif step[0] == "unlink":
                os.unlink(step[1])
            else:
                os.rmdir(step[1])
        except OSError:
            stuck.append(step[-1])
    return stuck


def _limit(path: str, name: str, default: int) -> int:
    try:
        return os.pathconf(path, name)
    except (OSError, ValueError):
        return default


STALE_STAGING = 3600  # seconds: a staging folder this old is a killed build's, not a running one's


def open_output(out: Path) -> Output:
    try:
        out = Path(out).resolve()
        exists = out.is_dir()
    except OSError as exc:
        raise _output_error(exc, out, "no output was written") from None
    _remove_stale_staging(out)
    return ExistingFolder(out) if exists else NewFolder(out)


def _remove_stale_staging(out: Path) -> None:
    """Folders a killed build left beside (or in) the output: gone on the next build, never published or committed.

    Only folders of our own naming that no build has touched for an hour, so a
    build running at the same time (serve, say) keeps its own.
    """
    now = time.time()
    candidates = [(out.parent, f".{out.name}-"), (out, ".statusgen-stage-")]
    for folder, prefix in candidates:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if (entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)
                        and now - entry.stat(follow_symlinks=False).st_mtime > STALE_STAGING):
                    shutil.rmtree(entry.path, ignore_errors=True)
            except OSError:
                pass


class Memory(Output):
    """An output that keeps the files: the whole site as `{relative path: bytes}`."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def take(self, files: dict[str, bytes]) -> Taken:
        self.files.update(files)
        return {rel: len(data) for rel, data in files.items()}


def render_site(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """Every file the build writes for `snap`, by the same producers, kept in memory."""
    memory = Memory()
    taken, _ = render_into(memory, snap, Path(root))
    return {rel: memory.files[rel] for rel in taken}


def write_file(path: str | Path, data: bytes) -> None:
    """`path.write_bytes(data)` in three system calls: `open()` adds a stat, an ioctl and a seek to each of 20,000 files."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _unchanged(path: str, data: bytes) -> bool:
    """Whether `path` is a file (not a link) holding exactly `data` (a short read counts as changed: rewriting is safe)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            return stat.S_ISREG(info.st_mode) and info.st_size == len(data) and os.read(fd, len(data) + 1) == data
        finally:
            os.close(fd)
    except OSError:  # missing, unreadable, a folder or a link
        return False


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
    parsed = loadcache.Kept(Path(cache).parent / loadcache.FILE) if cache else None
    content, problems = load(root, parsed.reread if parsed else None)
    if content is None or problems.errors:
        raise ContentError(problems)
    snap = snapshot(content, now)
    review(snap, problems)
    _freeze_model()
    result = _render_all(root, snap, problems, out, cache)
    if parsed is not None:
        parsed.flush()
    return result


def _freeze_model() -> None:
    """Markdown and Jinja leave cycles behind (a few KB a page). With the model
    frozen, collecting them walks only the young objects, and forked workers
    do not copy the model's pages just to mark them."""
    gc.freeze()
    gc.set_threshold(700, 10, 1_000_000)  # young collections only: what survives them stays
    gc.enable()


def _render_all(root: Path, snap: Snapshot, problems: Problems, out: Path, cache: Path | None,
                keep_html: Callable | None = None, reads: dict | None = None) -> BuildResult:
    content = snap.content
    markup.load_cache(cache)  # None: none, not even an earlier build's in this process
    # The HTML the workers send home goes straight to the next cache file, not into this process's memory.
    writer = markup.CacheWriter(cache) if cache else None
    keep = writer.add if writer else markup.remember
    if keep_html is not None:
        keep = (lambda html: (writer.add(html), keep_html(html))) if writer else keep_html
    output = open_output(out)
    try:
        kept = Path(cache).parent if cache else None
        with templatecache.kept_in(kept / templatecache.FOLDER if kept else None) as templates, \
                documentcache.kept_in(kept / documentcache.FOLDER if kept else None) as documents, \
                _pages_kept(snap, root, kept, out) as pages:
            taken, rendered = render_into(output, snap, root, keep, reads)
        output.finish(taken)
        for store in (templates, documents, pages):
            if store is not None:
                store.flush()
    except BaseException:
        output.discard()
        if writer:
            writer.discard()
        raise
    if writer:
        writer.finish(text for incident in content.incidents for text in _texts(incident))
    size = sum(value if isinstance(value, int) else len(value) for value in taken.values())
    return BuildResult(out=out, files=len(taken), bytes=size, problems=problems, taken=taken)


@contextmanager
def _pages_kept(snap: Snapshot, root: Path, kept: Path | None, out: Path):
    """Incident pages noted in `kept` (the cache folder; None: not noted) and taken from `out` when unchanged."""
    if kept is None:
        yield None
        return
    from generator import render  # the renderer of this snapshot: made here once, used by the jobs

    with pagecache.kept_in(kept / pagecache.FILE, render.renderer(snap, root).cache_salt(), out) as store:
        yield store


class Preview:
    """`serve`'s builds: the first renders the whole site; each next one renders only what a change touched.

    After an incident file is saved, only the files that changed are read
    again (`content.Reread`), the events they did not touch keep their state
    (`snapshot(..., previous)`), and a page is rendered again only when a name
    its template read (`render.record_reads`) holds another value than at the
    last build: the saved event's page, the home page, the history pages and
    component pages that list it, and every page that reads something that
    moved, such as `now`. An event's JSON is made again when the event, or a
    component it names, changed. The feeds, the calendar, the API lists, the
    badges and the offline page are made again each time (they are cheap).
    Only the files whose bytes differ are written; the result is the full
    build's, byte for byte (tests/test_preview.py checks it after random edits).

    A change to site.yaml, components.yaml or the theme, or an output folder
    that went away, makes a full build. The Markdown cache file is written by
    the full builds; rebuilds keep the new HTML in memory.
    """

    def __init__(self, root: Path, out: Path | None = None, cache: Path | None = None):
        self.root = Path(root)
        self.out = Path(out) if out else self.root / "output"
        self.cache = cache
        self.reread = Reread()
        self.snap: Snapshot | None = None  # of the last good build
        self.settings = None  # the settings and components of the last good build
        self.renderer = None
        self.reads: dict[str, frozenset] = {}  # output file -> the names its template read
        self.taken: Taken = {}  # every file of the last good build, with its size
        self.pages: dict | None = None  # the last rebuild's site-wide pages (render.Page), by file
        self.incidents: dict | None = None  # and its events' pages, by event

    def build(self, now: datetime, changed: Iterable[Path] | None = None) -> BuildResult:
        """Build at `now`; `changed`: the paths saved since the last build (None: unknown, so everything)."""
        with _collector_paused():
            return self._build(now, changed)

    def _can_follow(self, changed: Iterable[Path] | None) -> bool:
        if self.snap is None or changed is None or self.settings != self.reread.settings or not self.out.is_dir():
            return False
        incidents = (self.root / "content" / "incidents").resolve()
        return all(Path(path).resolve().parent == incidents for path in changed)

    def _build(self, now: datetime, changed: Iterable[Path] | None) -> BuildResult:
        content, problems = load(self.root, self.reread)
        if content is None or problems.errors:
            raise ContentError(problems)
        follow = self._can_follow(changed)
        snap = snapshot(content, now, self.snap if follow else None)
        review(snap, problems)
        _freeze_model()
        if follow:
            return self._rebuild(snap, problems)
        reads: dict[str, frozenset] = {}
        # Without a cache file, the HTML is kept here: a rebuild renders a feed's fifty updates again, not their Markdown.
        result = _render_all(self.root, snap, problems, self.out, self.cache, None if self.cache else markup.remember,
                             reads)
        from generator import render

        self.snap, self.renderer, self.reads, self.taken = snap, render.renderer(snap, self.root), reads, result.taken
        self.settings, self.pages, self.incidents = self.reread.settings, None, None
        return result

    def _rebuild(self, snap: Snapshot, problems: Problems) -> BuildResult:
        from generator import api, render

        old, new = self.renderer, render.Renderer(snap, self.root, theme=self.renderer)
        files: dict[str, bytes] = {}
        taken: Taken = {}
        same = _SameValues(old, new)

        def consider(page, before) -> None:
            out = page.out
            names = self.reads.get(out)
            if before is not None and names is not None and out in self.taken and before.template == page.template \
                    and same(names, before, page):
                taken[out] = self.taken[out]
                return
            files[out] = new.render_page(page)
            taken[out] = len(files[out])

        render.record_reads()
        try:
            for hashed, data in new.static.values():
                files[hashed] = data
                taken[hashed] = len(data)
            before = self.pages if self.pages is not None else {page.out: page for page in old.site_pages()}
            pages = {}
            for page in new.site_pages():
                consider(page, before.get(page.out))
                pages[page.out] = page
            old_events, incidents = old.snap.events, {}
            for iid in snap.events:
                page = incidents[iid] = new.incident(iid)
                if self.incidents is not None:
                    consider(page, self.incidents.get(iid))
                else:
                    consider(page, old.incident(iid) if iid in old_events else None)
            changed = api.documents_changed(old.snap, snap)
            documents = api.event_documents(snap, self.root)
            for iid in snap.events:
                path = paths.incident_json(iid)
                if path in self.taken and not changed(iid):
                    taken[path] = self.taken[path]
                else:
                    files.update(documents(iid))
                    taken[path] = len(files[path])
            for produce in site_producers():
                if produce is not render.render_pages:
                    for path, data in produce(snap, self.root).items():
                        if path in taken:
                            raise OutputConflict(f"two outputs want the same path: {path}")
                        files[path] = data
                        taken[path] = len(data)
            reads = render.take_reads()
        finally:
            render.record_reads(False)
        output = ExistingFolder(self.out)
        try:
            output.take(files)
            written = len(output._staged) + len(self.taken.keys() - taken.keys())
            output.finish(taken, present=self.taken)
        except BaseException:
            output.discard()
            raise
        self.reads = {**{out: names for out, names in self.reads.items() if out in taken}, **reads}
        self.snap, self.renderer, self.taken, self.pages = snap, new, dict(sorted(taken.items())), pages
        self.incidents = incidents
        size = sum(taken.values())
        return BuildResult(out=self.out, files=len(taken), bytes=size, problems=problems, taken=self.taken,
                           written=written)


class _SameValues:
    """Whether the names a page read hold the same values for two renderers' versions of that page.

    The values are those of `Renderer.context`, looked up without making it: the
    page's own, then the shared ones (each compared once), then the links.
    """

    def __init__(self, old, new):
        self.old, self.new = old, new
        self.shared: dict[str, bool] = {}  # a shared name: compared once for all pages
        self.links = old.site == new.site and old.static == new.static  # url(), static(), canonical, webcal_url

    def __call__(self, names: frozenset, before, after) -> bool:
        old, new = self.old, self.new
        mine, theirs = before.context, after.context
        for name in names:  # in the order Renderer.context lets them win: the links, the page's, the shared
            if name == "page_title":
                if before.title != after.title:
                    return False
            elif name in ("url", "static", "canonical", "webcal_url", "page_path"):  # the path is the same
                if not self.links:
                    return False
            elif name in mine or name in theirs:
                if not _equal(mine.get(name, _MISSING), theirs.get(name, _MISSING)):
                    return False
            elif name in old.shared or name in new.shared:
                if name not in self.shared:
                    self.shared[name] = _equal(old.shared.get(name, _MISSING), new.shared.get(name, _MISSING))
                if not self.shared[name]:
                    return False
            elif not _equal(old.env.globals.get(name, _MISSING), new.env.globals.get(name, _MISSING)):
                return False
        return True


_MISSING = object()


def _equal(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - a value that cannot be compared counts as changed
        return False
