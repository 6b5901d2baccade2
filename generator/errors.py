"""The failures a user can act on: each is one clean line, never a traceback.

The library raises these; the CLI turns them into messages and exit codes in
one place (`cli.Main.invoke`).
"""

from __future__ import annotations

import os


class StatusgenError(Exception):
    """A failure with a message for people. `exit_code` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class OutputError(StatusgenError):
    """The output folder could not be written; it was left as it was."""


def describe_os_error(exc: OSError) -> str:
    """`path: reason` for an OSError, with both paths of a rename or link."""
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
    where = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    return f"{' -> '.join(where)}: {reason}" if where else reason
