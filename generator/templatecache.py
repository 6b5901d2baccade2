"""Compiled templates kept between builds, in `.statusgen-cache/templates/`, signed so no one else's file is run.

Compiling the theme's templates is a third of a small site's build; Jinja can
keep the result (Python bytecode) in files. But loading bytecode is running
code, and `.statusgen-cache/` sits in the site folder: it is git-ignored, yet
a pull request can commit one (`git add -f`), and CI restores it from its
cache. So each file carries an HMAC-SHA256 of its bytes and its name, made
with a key that never leaves this user on this machine:
`$XDG_CACHE_HOME/statusgen/template-key` (else `~/.cache/statusgen/`), 32
random bytes made on first use, a regular file owned by the user and readable
by no one else. A file without a valid MAC (forged, committed, made on another
machine or by another user, truncated, corrupt) is never unmarshalled: the
template is compiled from its source as if the file were not there, and the
file is replaced. Where no such key can be had, nothing is cached. On a fresh
CI runner the key is new, so CI always compiles; a local rebuild, and `serve`,
load the templates instead.

An entry is keyed as Jinja keys it (template name and file, and a checksum of
the source, so an edited template is compiled afresh), and also by Jinja's
version and every setting of the Environment that shapes the compiled code
(extensions, syntax, autoescape, and each filter's and test's name and
arguments). Files are written whole to a temporary name and renamed, once
the build has succeeded; the build compiles the theme's templates before it
forks workers, so the workers load them compiled.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import jinja2
from jinja2.bccache import Bucket

from generator.cachefiles import machine_key, make_folder, read_file, real_folder, write_whole

FOLDER = "templates"  # under the site's .statusgen-cache/
ENTRY_MAX = 4 << 20  # bytes: a compiled template is a few KB
MAGIC = b"statusgen templates 1\n"
_MAC_SIZE = hashlib.sha256().digest_size

_CURRENT: "SignedBytecodeCache | None" = None


def fingerprint(environment: jinja2.Environment) -> str:
    """What, besides a template's source, decides its compiled code."""
    def passes(functions: dict) -> list:
        return sorted((name, str(getattr(func, "jinja_pass_arg", ""))) for name, func in functions.items())

    env = environment
    settings = (
        jinja2.__version__, sorted(env.extensions), env.block_start_string, env.block_end_string,
        env.variable_start_string, env.variable_end_string, env.comment_start_string, env.comment_end_string,
        env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks,
        env.newline_sequence, env.keep_trailing_newline, env.optimized, env.is_async,
        env.autoescape if isinstance(env.autoescape, bool) else getattr(env.autoescape, "__qualname__", "?"),
        env.code_generator_class.__qualname__, env.context_class.__qualname__, env.undefined.__qualname__,
        passes(env.filters), passes(env.tests),
    )
    return hashlib.sha256(repr(settings).encode()).hexdigest()


class SignedBytecodeCache(jinja2.BytecodeCache):
    """Jinja's bytecode cache in files, each signed with this user's key (see the module's docstring)."""

    def __init__(self, folder: Path, key: bytes):
        self.folder = Path(folder)
        self.key = key
        self._fingerprints: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._pending: dict[Path, bytes] = {}  # compiled in this build, written once it succeeds (`flush`)

    def get_bucket(self, environment, name, filename, source) -> Bucket:
        env = self._fingerprints.get(environment)
        if env is None:  # once per Environment: its filters are set before its first template
            env = self._fingerprints[environment] = fingerprint(environment)
        key = hashlib.sha256(f"{self.get_cache_key(name, filename)}|{env}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def _mac(self, bucket: Bucket, body: bytes) -> bytes:
        return hmac.new(self.key, bucket.key.encode() + b"\0" + body, hashlib.sha256).digest()

    def _path(self, bucket: Bucket) -> Path:
        return self.folder / f"{bucket.key}.cache"

    def load_bytecode(self, bucket: Bucket) -> None:
        if not real_folder(self.folder):
            return
        data = read_file(self._path(bucket), ENTRY_MAX)
        if data is None or not data.startswith(MAGIC):
            return
        mac, body = data[len(MAGIC):len(MAGIC) + _MAC_SIZE], data[len(MAGIC) + _MAC_SIZE:]
        if not hmac.compare_digest(mac, self._mac(bucket, body)):
            return  # not ours: never unmarshalled
        try:
            bucket.load_bytecode(io.BytesIO(body))  # checks Jinja's magic (and Python's version) and the source checksum
        except Exception:  # noqa: BLE001 - our own file, yet unreadable: compile afresh
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        out = io.BytesIO()
        bucket.write_bytecode(out)
        body = out.getvalue()
        self._pending[self._path(bucket)] = MAGIC + self._mac(bucket, body) + body

    def flush(self) -> None:
        """Write what this process compiled: after a build that succeeded, so a failed one leaves no file behind."""
        pending, self._pending = self._pending, {}
        if pending and make_folder(self.folder):
            for path, data in pending.items():
                write_whole(path, data)

    def clear(self) -> None:
        for path in self.folder.glob("*.cache"):
            path.unlink(missing_ok=True)


@contextmanager
def kept_in(folder: Path | None) -> Iterator[SignedBytecodeCache | None]:
    """While the block runs, the Environments statusgen makes keep compiled templates in `folder` (None: nowhere)."""
    global _CURRENT
    previous = _CURRENT
    key = machine_key() if folder is not None else None
    _CURRENT = SignedBytecodeCache(folder, key) if key else None
    try:
        yield _CURRENT
    finally:
        _CURRENT = previous


def current() -> SignedBytecodeCache | None:
    """The bytecode cache of the build in progress, if it keeps one."""
    return _CURRENT
