"""The deploy's data: local files, what a bucket holds, the manifest, the plan, options and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from generator.errors import StatusgenError
from generator.limits import DEFAULT_MAX_DELETES

MARKER_KEY = "published-by"  # object metadata (x-amz-meta-published-by)
MARKER = "statusgen"
MD5_KEY = "statusgen-md5"
MANIFEST = ".statusgen/manifest.json"
RESERVED = ".statusgen/"

INVALIDATE_ALL_OVER = 500  # paths; past this one `/*` is cheaper and shorter
INVALIDATION_BATCH = 1000  # paths per CreateInvalidation call (CloudFront allows 3,000 in flight)
UPLOAD, HEADERS = "upload", "headers"  # the two kinds of write a plan makes


class PublishError(StatusgenError):
    """A deploy that cannot go on: printed as one line, exit 1."""


@dataclass(frozen=True)
class LocalFile:
    path: str | Path
    md5: str
    size: int
    content_type: str
    cache_control: str


@dataclass(frozen=True)
class Listed:
    """One row of ListObjectsV2: no user metadata, no headers."""

    etag: str
    size: int


@dataclass(frozen=True)
class Remote:
    """What we know of one object: from HEAD, from our own write, or from the listing and the manifest."""

    etag: str
    size: int
    md5: str | None = None  # the content's MD5, None when not known to be ours
    content_type: str | None = None
    cache_control: str | None = None
    ours: bool = False
    confirmed: bool = False  # our marker was read by HEAD (or we just wrote it): only then may it be deleted


@dataclass(frozen=True)
class Manifest:
    """What a listing cannot show, kept at `<prefix>/.statusgen/manifest.json`.

    It changes only when keys come or go or the header rules change, never
    because a file's content changed: the listing's ETag (the MD5 of a
    single-part upload) tells us that.
    """

    rules: str | None  # `rules_fingerprint` every object in `keys` was written under; None: not known
    keys: frozenset[str]  # a superset of the objects under the prefix that carry our marker
    pending: frozenset[str] = frozenset()  # someone else's objects we started to overwrite: HEAD them
    etags: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key → (ETag, MD5) where they differ
    # Keys written or deleted whose CloudFront invalidation has not succeeded yet:
    # the next deploy invalidates them even when no file changed.
    invalidate: frozenset[str] = frozenset()


EMPTY = Manifest(rules=None, keys=frozenset())


@dataclass(frozen=True)
class Plan:
    writes: tuple[tuple[str, str], ...] = ()  # (UPLOAD | HEADERS, key), in upload order
    deletes: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # under the prefix, not in the build, not ours (or not checked): never deleted
    stale: tuple[str, ...] = ()  # ours, not in the build, but held back (see `note`)
    note: str = ""  # why deletes were held back

    @property
    def uploads(self) -> list[str]:
        return [k for action, k in self.writes if action == UPLOAD]

    @property
    def header_updates(self) -> list[str]:
        return [k for action, k in self.writes if action == HEADERS]


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    delete: bool = True
    max_deletes: int = DEFAULT_MAX_DELETES
    setup: bool = False
    workers: int = 32
    lean: bool = True  # PUT and LIST through `Lean` (falls back to the client on anything unusual)
    verify: bool = False  # HEAD every object instead of trusting the listing and the manifest
    invalidate_all_over: int = INVALIDATE_ALL_OVER
    invalidation_batch: int = INVALIDATION_BATCH


@dataclass(frozen=True)
class Event:
    """What `deploy` tells the CLI: a line to print, progress, or a target's result."""

    kind: str  # "line" | "progress" | "result"
    target: str
    text: str = ""
    done: int = 0
    total: int = 0
    ok: bool = True
