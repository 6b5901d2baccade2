"""Feeds and the calendar kept between builds, in `.statusgen-cache/documents/`.

They are made by libraries that take longer to import than to use (feedgen
with lxml, icalendar: 70 ms of a small site's start-up), and most builds
make them again from the same inputs: a build with a new clock, one with an
edit to another component's incident. So a producer describes a document as
plain values (text, numbers, times) and asks for its bytes here: an earlier
build's file is used when the description is the same, and the library is
not even imported.

A file's name is an HMAC of the description and the library's version, made
with this user's key (templatecache's), and its bytes carry an HMAC too: a
file committed to the site, or copied from another machine, is never used,
so what a feed says comes from the site's content alone. The description's
`repr` must decide the bytes: only plain values go in. A forked worker
sends what it made home with its pages; once the build has succeeded, the
new files are written whole then renamed, and the ones the build did not use
are removed, so the folder holds one build's documents and a failed build
leaves it as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from generator.cachefiles import library_version, machine_key, make_folder, read_file, real_folder, write_whole

FOLDER = "documents"  # under the site's .statusgen-cache/
ENTRY_MAX = 64 << 20  # bytes: a feed of 50 long updates is a few MB at most
MAGIC = b"statusgen document 1\n"
SUFFIX = ".doc"
_MAC_SIZE = hashlib.sha256().digest_size


class Store:
    def __init__(self, folder: Path, key: bytes):
        self.folder = Path(folder)
        self.key = key
        self.pending: dict[str, bytes] = {}  # made in this build: written once it succeeds (`flush`)
        self.used: set[str] = set()  # the files this build used: `flush` removes the others

    def made(self, kind: str, description: object, make: Callable[[], bytes], libraries: tuple[str, ...]) -> bytes:
        version = library_version(*libraries)
        if not version:
            return make()
        name = hmac.new(self.key, f"{kind}\0{version}\0{description!r}".encode("utf-8", "surrogatepass"),
                        hashlib.sha256).hexdigest() + SUFFIX
        self.used.add(name)
        if real_folder(self.folder):
            data = read_file(self.folder / name, ENTRY_MAX)
            if data is not None and data.startswith(MAGIC):
                mac, body = data[len(MAGIC):len(MAGIC) + _MAC_SIZE], data[len(MAGIC) + _MAC_SIZE:]
                if hmac.compare_digest(mac, self._mac(name, body)):
                    return body
        body = make()
        self.pending[name] = MAGIC + self._mac(name, body) + body
        return body

    def _mac(self, name: str, body: bytes) -> bytes:
        return hmac.new(self.key, name.encode() + b"\0" + body, hashlib.sha256).digest()

    def take(self) -> tuple[dict[str, bytes], set[str]]:
        """What this process made and used since the last `take`: a forked worker sends it home."""
        taken = (self.pending, self.used)
        self.pending, self.used = {}, set()
        return taken

    def give(self, taken: tuple[dict[str, bytes], set[str]]) -> None:
        self.pending.update(taken[0])
        self.used.update(taken[1])

    def flush(self) -> None:
        """After a build that succeeded: write what it made, and remove the documents it did not use."""
        pending, used = self.take()
        if not make_folder(self.folder):
            return
        for name, data in pending.items():
            write_whole(self.folder / name, data)
        try:
            for entry in os.scandir(self.folder):
                if entry.name.endswith(SUFFIX) and entry.name not in used and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
        except OSError:
            pass


_CURRENT: Store | None = None


def take() -> tuple[dict[str, bytes], set[str]] | None:
    """What this process made and used for the build in progress (None: it keeps none)."""
    return _CURRENT.take() if _CURRENT is not None else None


def give(taken: tuple[dict[str, bytes], set[str]] | None) -> None:
    """Add what a worker made and used to this process's store."""
    if _CURRENT is not None and taken is not None:
        _CURRENT.give(taken)


def made(kind: str, description: object, make: Callable[[], bytes], libraries: tuple[str, ...]) -> bytes:
    """The bytes `make()` gives for `description`: an earlier build's when it is the same, else made now."""
    if _CURRENT is None:
        return make()
    return _CURRENT.made(kind, description, make, libraries)


@contextmanager
def kept_in(folder: Path | None) -> Iterator[Store | None]:
    """While the block runs, documents are kept in `folder` (None: nowhere)."""
    global _CURRENT
    previous = _CURRENT
    key = machine_key() if folder is not None else None
    _CURRENT = Store(folder, key) if key else None
    try:
        yield _CURRENT
    finally:
        _CURRENT = previous
