"""What each published file is: its Content-Type, its Cache-Control, and when it goes up.

Our own table, never the OS's `mimetypes`: that one differs between machines
and misses `.rss`, `.atom` and `.woff2` on some, so the same build would ship
different headers from a laptop and from CI.
"""

from __future__ import annotations

import posixpath
import re

UTF8 = "; charset=utf-8"

# extension → Content-Type. Text types carry a charset so browsers never guess.
MEDIA_TYPES = {
    "html": "text/html" + UTF8,
    "htm": "text/html" + UTF8,
    "css": "text/css" + UTF8,
    "js": "text/javascript" + UTF8,
    "mjs": "text/javascript" + UTF8,
    "json": "application/json" + UTF8,
    "map": "application/json" + UTF8,
    "xml": "application/xml" + UTF8,
    "rss": "application/rss+xml" + UTF8,
    "atom": "application/atom+xml" + UTF8,
    "ics": "text/calendar" + UTF8,
    "svg": "image/svg+xml" + UTF8,
    "txt": "text/plain" + UTF8,
    "webmanifest": "application/manifest+json" + UTF8,
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "ico": "image/vnd.microsoft.icon",
    "woff2": "font/woff2",
    "woff": "font/woff",
    "pdf": "application/pdf",
}
FALLBACK_TYPE = "application/octet-stream"

DEFAULT_CACHE_CONTROL = "public, max-age=60, stale-if-error=86400"
IMMUTABLE = "public, max-age=31536000, immutable"

# `app.3f9a1c2e.css`: a theme asset whose name carries its content hash.
_HASHED = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
DATA_TYPES = {"json", "xml", "rss", "atom", "ics"}

# Upload order: assets before the pages that use them, pages before the feeds
# and API that link to them, the home page and 404 last.
ASSET, PAGE, DATA, HOME = 0, 1, 2, 3
HOME_KEYS = {"index.html", "404.html"}


def extension(key: str) -> str:
    name = posixpath.basename(key)
    return name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else ""


def content_type(key: str) -> str:
    return MEDIA_TYPES.get(extension(key), FALLBACK_TYPE)


def is_hashed_asset(key: str) -> bool:
    """Content-hashed files under static/: safe to cache for a year."""
    return (key.startswith("static/") or "/static/" in key) and bool(_HASHED.search(posixpath.basename(key)))


def cache_control(key: str, short: str | None = None) -> str:
    """Immutable for hashed assets; everything else may change on the next deploy."""
    return IMMUTABLE if is_hashed_asset(key) else (short or DEFAULT_CACHE_CONTROL)


def rank(key: str) -> int:
    if key in HOME_KEYS:
        return HOME
    ext = extension(key)
    if ext in ("html", "htm"):
        return PAGE
    if ext in DATA_TYPES or posixpath.basename(key) == "badge.svg":
        return DATA
    return ASSET


# Bump when `content_type`, `cache_control` or `is_hashed_asset` change in a way
# the tables below do not show: every deploy then re-checks every object's headers.
RULES_VERSION = 1


def rules_fingerprint(short: str | None = None) -> str:
    """A hash of everything that decides an object's headers for one target.

    The deploy manifest records it: while it is unchanged, an object we
    uploaded still has the headers these rules give it, so a listing is enough.
    """
    import hashlib
    import json

    rules = {
        "version": RULES_VERSION,
        "types": MEDIA_TYPES,
        "fallback": FALLBACK_TYPE,
        "immutable": IMMUTABLE,
        "short": short or DEFAULT_CACHE_CONTROL,
        "hashed": _HASHED.pattern,
    }
    return hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()
