"""The files a build may read: regular files inside the site's content/ and themes/.

A symbolic link is followed only while it stays inside those folders (or the
theme shipped with statusgen); a FIFO, a device or a folder is never opened
for reading; and no file is read past its size limit. So a pull request
cannot publish a file from elsewhere on the build machine, hang a check, or
fill its memory.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from generator.errors import StatusgenError
from generator.limits import SETTINGS_FILE_SIZE, describe_character, forbidden_character
from generator.problems import Problems

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


class SiteFileError(StatusgenError):
    """A file the build may not read; the message says why, without naming the path."""


class Boundary:
    """The folders a site's build may read from."""

    def __init__(self, root: Path, extra: tuple[Path, ...] = ()):
        real_root = os.path.realpath(root)
        self.folders = tuple(
            [os.path.join(real_root, "content"), os.path.join(real_root, "themes")]
            + [os.path.realpath(folder) for folder in extra]
        )
        self._folders_inside: dict[str, bool] = {}

    def contains(self, path) -> bool:
        real = os.path.realpath(path)
        return any(real == folder or real.startswith(folder + os.sep) for folder in self.folders)

    def read(self, path, limit: int) -> bytes:
        """The bytes of `path`, or SiteFileError: not a regular file, outside, or over `limit` bytes."""
        fd = self._open(str(path))

        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
                raise SiteFileError(f"is {kind}, not a regular file")
            if info.st_size > limit:
                raise SiteFileError(f"is {info.st_size:,} bytes; the limit is {limit:,}")
            chunks, size = [], 0
            while size <= limit:  # a file that grows while we read is still cut off at the limit
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:
                raise SiteFileError(f"is more than {limit:,} bytes")
            return b"".join(chunks)
        except OSError as exc:
            raise SiteFileError(f"cannot read it: {exc.strerror or exc}") from None
        finally:
            os.close(fd)

    def _open(self, path: str) -> int:
        # The common case costs one open: a plain file in a folder known to be inside.
        # A link (ELOOP under O_NOFOLLOW) is resolved and checked, then its target opened.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
        folder = os.path.dirname(path)
        inside = self._folders_inside.get(folder)
        if inside is None:
            inside = self._folders_inside[folder] = self.contains(folder)
        try:
            if inside:
                try:
                    return os.open(path, flags)
                except OSError as exc:
                    if exc.errno != errno.ELOOP:
                        raise
            if not self.contains(path):
                raise SiteFileError("is a symbolic link to a file outside the site's content/ and themes/ folders; "
                                    "copy the file in instead")
            return os.open(os.path.realpath(path), flags)
        except OSError as exc:
            raise SiteFileError(f"cannot read it: {exc.strerror or exc}") from None

    def files_under(self, folder: Path) -> list[Path]:
        """Every non-hidden file below `folder`, sorted, following only links that stay inside.

        A link that leaves is still listed, so that reading it reports it.
        """
        found: list[Path] = []
        seen: set[str] = set()

        def walk(current: str) -> None:
            real = os.path.realpath(current)
            if real in seen:  # a loop of links
                return
            seen.add(real)
            with os.scandir(current) as entries:
                for entry in sorted(entries, key=lambda e: e.name):
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path)
                    elif entry.is_symlink() and os.path.isdir(entry.path) and self.contains(entry.path):
                        walk(entry.path)
                    else:
                        found.append(Path(entry.path))

        if os.path.isdir(folder):
            walk(str(folder))
        return found


def read_text(path: Path, rel: str, problems: Problems, boundary: Boundary | None = None,
              limit: int = SETTINGS_FILE_SIZE, characters: bool = True) -> str | None:
    """The file's text, or None after recording why it cannot be read.

    Only a regular file inside `boundary` (default: the site that holds
    `content/`, found from `rel`) is read, and only up to `limit` bytes.
    """
    if boundary is None:
        boundary = Boundary(_site_root(path, rel))
    try:
        raw = boundary.read(path, limit)
    except SiteFileError as exc:
        problems.error(rel, 1, 1, f"cannot read this file: it {exc.message}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(rel, line, col, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.error(rel, line, 1, "file contains a NUL character; is it a text file?")
        return None
    if characters and not check_characters(text, 1, rel, problems):
        return None
    if not text.strip():
        problems.error(rel, 1, 1, "file is empty")
        return None
    return text


def _site_root(path: Path, rel: str) -> Path:
    """The site folder: `path` with `rel`'s parts taken off its end."""
    root = Path(path)
    for _ in Path(rel).parts:
        root = root.parent
    return root


def check_characters(text: str, first_line: int, rel: str, problems: Problems) -> bool:
    """Record the first character that no output may carry (control characters, noncharacters)."""
    bad = forbidden_character(text)
    if not bad:
        return True
    before = text[: bad.start()]
    line = first_line + before.count("\n")
    col = bad.start() - (before.rfind("\n") + 1) + 1
    problems.error(rel, line, col, f"the file contains {describe_character(bad.group())}: remove it "
                                   "(text may hold tabs and line breaks, but no other control characters)")
    return False
