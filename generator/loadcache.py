"""The incident files a build parsed, kept for the next build: a file whose stat is the same is not parsed again.

Parsing is most of a long history's load (YAML, headings, times: 0.3 ms a
file). `content.load` already skips a file whose size, times and inode are
those of the last load, with the same settings (`Reread`, which `serve` keeps
in memory); this keeps that `Reread` in `.statusgen-cache/incidents.pickle`
between builds. Unpickling runs code, so the file is signed with this user's
key (see cachefiles) over statusgen's code fingerprint too: a file not made
by this user with this statusgen is never unpickled, and the build parses as
if it were not there. It is written after a build that succeeded, only when
what it holds has changed.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import pickle
from dataclasses import fields, is_dataclass
from pathlib import Path

from generator.cachefiles import code_fingerprint, library_version, machine_key, make_folder, read_whole, real_folder, write_whole
from generator.content import Reread

FILE = "incidents.pickle"
FILE_MAX = 1 << 30  # bytes: 50,000 incidents take ~100 MB
MAGIC = b"statusgen incidents 1\n"
_MAC_SIZE = hashlib.sha256().digest_size


def _made(cls, values: tuple):
    """A dataclass instance made by its own __init__: its attributes kept inline, as parsing makes them."""
    return cls(*values)


class _Pickler(pickle.Pickler):
    """Dataclasses as their class and field values: the default (a __dict__ set after the fact) makes each
    instance ~250 bytes larger in memory, 70 MB for 50,000 incidents with their updates."""

    def reducer_override(self, obj):
        if is_dataclass(obj) and not isinstance(obj, type) and all(f.init for f in fields(obj)):
            return _made, (type(obj), tuple(getattr(obj, f.name) for f in fields(obj)))
        return NotImplemented


def _dumps(obj) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return out.getvalue()


def _mac(key: bytes, body) -> bytes:
    made_by = f"{code_fingerprint()}|{library_version('yaml')}"  # statusgen's code and the YAML parser
    mac = hmac.new(key, made_by.encode() + b"\0", hashlib.sha256)
    mac.update(body)
    return mac.digest()


class Kept:
    """The `Reread` of the last build at `path` (an empty one when there is none of ours), and what it held then."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.key = machine_key()
        self.reread = self._read() or Reread()
        self.before = self._state()

    def _read(self) -> Reread | None:
        if self.key is None or not real_folder(self.path.parent):
            return None
        data = read_whole(self.path, FILE_MAX)  # slices of it are views, not copies
        if data is None or data[:len(MAGIC)] != MAGIC:
            return None
        mac, body = data[len(MAGIC):len(MAGIC) + _MAC_SIZE], data[len(MAGIC) + _MAC_SIZE:]
        if not hmac.compare_digest(mac, _mac(self.key, body)):
            return None  # not ours: never unpickled
        try:
            reread = pickle.loads(body)
        except Exception:  # noqa: BLE001 - our own file, yet unreadable: parse afresh
            return None
        finally:
            del data, mac, body
        return reread if isinstance(reread, Reread) else None

    def _state(self) -> str:
        """A digest of what the `Reread` holds: the settings and each file's stat (a dict of them is 50 MB at 50,000)."""
        h = hashlib.blake2b(repr(self.reread.settings).encode("utf-8", "surrogatepass"), digest_size=16)
        for rel, (signature, _result) in self.reread.files.items():
            h.update(f"{rel}\0{signature}\0".encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def flush(self) -> None:
        """After a build that succeeded: keep what it parsed, if that changed."""
        if self.key is None or self._state() == self.before:
            return
        body = _dumps(self.reread)
        if make_folder(self.path.parent):
            write_whole(self.path, [MAGIC, _mac(self.key, body), body])  # in parts: the body is not copied
        self.before = self._state()
