"""Files kept between builds in `.statusgen-cache/`: this user's key, and reading and writing without following links.

`.statusgen-cache/` sits in the site folder: git-ignored, yet a pull request
can commit one (`git add -f`) and CI restores it from its cache. So what is
kept there is signed with a key that never leaves this user on this machine
(`$XDG_CACHE_HOME/statusgen/template-key`, else `~/.cache/statusgen/`), and
read only from real folders and regular files of bounded size.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

KEY_SIZE = 32


def key_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "statusgen" / "template-key"


def machine_key(path: Path | None = None) -> bytes | None:
    """This user's secret, made on first use; None when it cannot be had safely (then nothing is cached)."""
    try:
        path = path or key_path()
        return _read_key(path)
    except FileNotFoundError:
        pass
    except (OSError, RuntimeError):  # RuntimeError: no home folder
        return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".template-key-")  # 0600
        try:
            os.write(fd, secrets.token_bytes(KEY_SIZE))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another build made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077
                or info.st_size != KEY_SIZE):
            return None  # someone else's, or readable by others: not a secret
        key = os.read(fd, KEY_SIZE + 1)
    finally:
        os.close(fd)
    return key if len(key) == KEY_SIZE else None


def make_folder(folder: Path) -> bool:
    """The cache's folder, made if missing; False when a link or a file stands in its way."""
    if real_folder(folder):
        return True
    try:
        if os.path.lexists(folder) or os.path.islink(folder.parent):
            return False
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return real_folder(folder)


def write_whole(path: Path, data: bytes | list[bytes]) -> None:
    """Write a cache file (its bytes, or its parts in order) under a temporary name, then rename it:
    readers see the old file or the new one."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for part in (data if isinstance(data, list) else [data]):
                    handle.write(part)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a cache we cannot write is a slower next build, not a failed one


def real_folder(folder: Path) -> bool:
    """The folder and its parent are folders, not links: a committed link must not send reads or writes elsewhere."""
    try:
        return all(stat.S_ISDIR(os.lstat(p).st_mode) for p in (folder.parent, folder))
    except OSError:
        return False


def read_whole(path: Path, limit: int) -> memoryview | None:
    """A regular file's bytes read into one buffer (no copies: a long history's cache is 100 MB), up to `limit`;
    None for anything else (missing, a link, a FIFO, too large, changing while read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb", buffering=0, closefd=False) as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                return None
            view = memoryview(bytearray(info.st_size + 1))  # one byte more: a file that grew is not ours to trust
            filled = 0
            while filled <= info.st_size and (n := handle.readinto(view[filled:])):
                filled += n
            return view[:filled] if filled == info.st_size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def read_file(path: Path, limit: int) -> bytes | None:
    """`read_whole`, as bytes."""
    view = read_whole(path, limit)
    return None if view is None else view.tobytes()


@lru_cache(maxsize=None)
def code_fingerprint() -> str:
    """statusgen's own files, as Python tells a module's bytecode is stale: by each file's size and time."""
    package = Path(__file__).resolve().parent
    h = hashlib.blake2b(sys.version.encode(), digest_size=16)
    for folder, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = os.stat(path)
            h.update(f"{os.path.relpath(path, package)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return h.hexdigest()


_DISTRIBUTIONS = {"yaml": "pyyaml"}  # import names whose distribution is named otherwise


@lru_cache(maxsize=None)
def library_version(*names: str) -> str:
    """The installed versions of `names` (import names: feedgen, lxml), read from their metadata folders, not imported."""
    import importlib.util

    found = []
    for name in names:
        wanted = _DISTRIBUTIONS.get(name, name).lower().replace("-", "_")
        try:
            spec = importlib.util.find_spec(name)
            folder = Path(spec.origin).parent.parent  # site-packages
            matches = sorted(e for e in os.listdir(folder)
                             if e.endswith(".dist-info") and e.split("-", 1)[0].lower().replace("-", "_") == wanted)
        except (ImportError, AttributeError, TypeError, ValueError, OSError):
            return ""  # unknown: the caller keeps nothing
        if not matches:
            return ""
        found += matches
    return "|".join(found)
