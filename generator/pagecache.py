"""Incident pages kept between builds: a page whose template reads the values it read last time is the page on disk.

Most of a long history's build is its incident pages, and nearly all of them
come out as they did: a resolved incident's page does not change with the
clock. So for each incident page a build notes the names its template read
(Jinja's context lookups), a fingerprint of their values, and a digest of
the bytes it wrote. The next build computes the page's values (cheap), and
when their fingerprint over the same names is the one noted and the output
folder still holds those bytes, the page is taken from the folder instead of
rendered. A template is a function of the values it reads, the theme's files
and the code of its filters: all of that is in the fingerprint (`salt`), so
an edited theme, another language, a new statusgen or Jinja renders every
page afresh. A value whose `repr` does not describe it (an object shown by
its address) makes its page uncacheable: it is rendered every time.

The notes, `.statusgen-cache/pages.json`, are signed with this user's key
(see cachefiles), written once the build has succeeded, and hold the pages of
that build only. Forked workers send their notes home with their pages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator

from generator.cachefiles import machine_key, make_folder, read_file, real_folder, write_whole
from generator.model import Incident

FILE = "pages.json"
FILE_MAX = 256 << 20  # bytes: ~150 per page
PAGE_MAX = 64 << 20  # bytes: the largest page taken from the output folder
MAGIC = b"statusgen pages 1\n"
_MAC_SIZE = hashlib.sha256().digest_size

# A page's note: its template, the names it read, their values' fingerprint, and its bytes' digest.
Note = tuple[str, tuple[str, ...], str, str]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def folder_fingerprint(folders: list[Path]) -> str:
    """Every file of the theme folders in use, by path and content."""
    h = hashlib.blake2b(digest_size=16)
    for base in folders:
        h.update(str(base).encode() + b"\0\0")
        for folder, dirs, files in os.walk(base):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, base).encode() + b"\0")
                try:
                    with open(path, "rb") as handle:
                        h.update(hashlib.blake2b(handle.read(), digest_size=16).digest())
                except OSError:
                    h.update(b"unreadable")
    return h.hexdigest()


class Unknown(Exception):
    """A value its repr does not describe (an object shown by its address)."""


_PLAIN = (str, int, float, bool, type(None), datetime, date, timedelta)


def describe(value, memo: dict[int, int]) -> str:
    """A text that tells `value` apart from any other, deep; an object seen before in `memo` is named by its number.

    Dataclasses are described field by field, so an incident that a page reaches
    three ways (the event, its window, the page's own `incident`) is written once.
    """
    if isinstance(value, _PLAIN):
        return repr(value)
    seen = memo.get(id(value))
    if seen is not None:
        return f"#{seen}"
    memo[id(value)] = len(memo)
    if isinstance(value, Incident) and value.source:
        # Made from its file alone, given the settings (in the salt): its digest says it all. Its updates
        # get numbers, so the event's visible ones, the same objects, are written as those numbers.
        for update in value.updates:
            memo[id(update)] = len(memo)
        return f"Incident<{value.source}>"
    if is_dataclass(value) and not isinstance(value, type):
        inner = ",".join(describe(getattr(value, f.name), memo) for f in fields(value))
        return f"{type(value).__qualname__}({inner})"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__}[{','.join(describe(v, memo) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{describe(k, memo)}:{describe(v, memo)}" for k, v in value.items()) + "}"
    text = repr(value)
    if " at 0x" in text:
        raise Unknown(type(value).__qualname__)
    return f"{type(value).__qualname__}:{text}"


class Store:
    def __init__(self, path: Path, key: bytes, salt: str, out: Path):
        self.path = Path(path)
        self.key = key
        self.salt = salt
        self.out = Path(out)
        self.notes: dict[str, Note] = self._read()  # the last build's
        self.kept: dict[str, Note] = {}  # this build's: what `flush` writes

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.key, body, hashlib.sha256).digest()

    def _read(self) -> dict[str, Note]:
        if not real_folder(self.path.parent):
            return {}
        data = read_file(self.path, FILE_MAX)
        if data is None or not data.startswith(MAGIC):
            return {}
        mac, body = data[len(MAGIC):len(MAGIC) + _MAC_SIZE], data[len(MAGIC) + _MAC_SIZE:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return {}  # not ours: no page is taken on its word
        try:
            kept = json.loads(body)
            if kept.get("salt") != self.salt:
                return {}
            names = [tuple(read) for read in kept["names"]]  # each set once: pages of one template read the same
            return {out: (template, names[k], fingerprint, made)
                    for out, (template, k, fingerprint, made) in kept["pages"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return {}

    def noted(self, out: str) -> Note | None:
        return self.notes.get(out)

    def on_disk(self, out: str, made: str) -> bytes | None:
        """The page's bytes in the output folder, if they are the ones noted."""
        data = read_file(self.out / out, PAGE_MAX)
        return data if data is not None and digest(data) == made else None

    def keep(self, out: str, note: Note) -> None:
        self.kept[out] = note

    def take(self) -> dict[str, Note]:
        """What this process noted since the last `take`: a forked worker sends it home."""
        taken, self.kept = self.kept, {}
        return taken

    def give(self, notes: dict[str, Note]) -> None:
        self.kept.update(notes)

    def flush(self) -> None:
        """After a build that succeeded: note its pages (only those) for the next build."""
        index: dict[tuple[str, ...], int] = {}
        pages = {out: (template, index.setdefault(names, len(index)), fingerprint, made)
                 for out, (template, names, fingerprint, made) in sorted(self.kept.items())}
        body = json.dumps({"salt": self.salt, "names": list(index), "pages": pages}, separators=(",", ":")).encode()
        if make_folder(self.path.parent):
            write_whole(self.path, MAGIC + self._mac(body) + body)


_CURRENT: Store | None = None


def current() -> Store | None:
    return _CURRENT


def take() -> dict[str, Note] | None:
    return _CURRENT.take() if _CURRENT is not None else None


def give(notes: dict[str, Note] | None) -> None:
    if _CURRENT is not None and notes:
        _CURRENT.give(notes)


@contextmanager
def kept_in(path: Path | None, salt: str, out: Path) -> Iterator[Store | None]:
    """While the block runs, incident pages are noted in `path` (None: nowhere) and taken from `out` when unchanged."""
    global _CURRENT
    previous = _CURRENT
    key = machine_key() if path is not None else None
    _CURRENT = Store(path, key, salt, out) if key else None
    try:
        yield _CURRENT
    finally:
        _CURRENT = previous
