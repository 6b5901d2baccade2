"""Markdown to safe HTML: rendered by `markdown`, then cleaned by an allow-list (nh3).

Incident files come from many hands; nothing in them may run script on the
status page, in a feed reader or in the embed banner.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import os
import re
import stat
from contextlib import closing
from functools import lru_cache
from pathlib import Path

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_HREFLESS = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.DOTALL)
_TAG = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
# Rendered HTML by Markdown source. Pages, feeds and the API of a build share it,
# and `serve` keeps it across rebuilds; it grows only with the content.
_HTML: dict[str, str] = {}
_NEW: dict[str, str] = {}  # rendered here and not yet taken (see take_new)


@lru_cache(maxsize=1)
def _tools():
    """The Markdown converter and the cleaner, made on the first text that is not in the cache.

    A build whose Markdown is all cached never imports `markdown` (30 ms of a
    small site's start-up). The extensions are given as objects: by name,
    `markdown` looks them up among the installed packages' entry points,
    which reads the metadata of every installed distribution.
    """
    import markdown
    import nh3
    from markdown.extensions.fenced_code import FencedCodeExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension

    extensions = {"tables": TableExtension, "fenced_code": FencedCodeExtension, "sane_lists": SaneListExtension}
    # One converter, reset between documents: building one per call costs more than converting.
    converter = markdown.Markdown(extensions=[extensions[name]() for name in EXTENSIONS], output_format="html")
    # Built once: configuring a cleaner costs more than cleaning one update.
    cleaner = nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return converter, cleaner


def _convert(text: str) -> str:
    if not text or not text.strip():
        return ""
    converter, cleaner = _tools()
    out = converter.reset().convert(text)
    for level in (2, 1):  # h1/h2 become h3/h4: the page owns h1 and h2
        out = out.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    out = cleaner.clean(out)
    if "<a " in out:  # a link whose address the cleaner dropped (javascript:…) is plain text: <a rel> alone is invalid HTML
        out = _HREFLESS.sub(r"\1", out)
    return out.strip()


def to_html(text: str) -> str:
    """Safe HTML for a piece of Markdown. Headings are shifted so an update never outranks its page."""
    found = _HTML.get(text)
    if found is None:
        found = _HTML[text] = _NEW[text] = _convert(text)
    return found


EXCERPT_CHARS = 600  # an update's text on the home page; its own page has all of it


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a piece of Markdown, at most about `limit` characters, cut at a paragraph or word break."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
    return text[:cut].rstrip() + " …"


def take_new() -> dict[str, str]:
    """The HTML rendered in this process since the last call: what a build worker sends home for the cache."""
    new = dict(_NEW)
    _NEW.clear()
    return new


def remember(html: dict[str, str]) -> None:
    """Keep HTML that another process rendered."""
    _HTML.update(html)


def forget(html: dict[str, str]) -> None:
    """Drop HTML this process rendered and has handed on: a build worker keeps only its current job's."""
    for text in html:
        _HTML.pop(text, None)


def _markdown_version() -> str:
    """`markdown`'s version without importing it: a hash of its __meta__.py, the file that holds the version."""
    try:
        return hashlib.sha256((Path(importlib.util.find_spec("markdown").origin).parent / "__meta__.py").read_bytes()).hexdigest()[:16]
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        import markdown

        return markdown.__version__


@lru_cache(maxsize=1)
def cache_key() -> str:
    """The on-disk cache is valid only for the same renderer: any change here starts it afresh."""
    import nh3

    return "|".join([
        "v3", _markdown_version(), getattr(nh3, "__version__", ""), ",".join(EXTENSIONS),
        ",".join(sorted(ALLOWED_TAGS)), repr(sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items())),
        ",".join(sorted(URL_SCHEMES)),
    ])


def load_cache(path: Path) -> None:
    """Fill the in-memory cache from an earlier build's; a missing or unreadable file is just a cold start.

    Only a regular file is read: a link or a FIFO in its place is ignored (and replaced by the next save).
    """
    import sqlite3

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return
        with closing(sqlite3.connect(path)) as db:
            (key,) = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            if key == cache_key():
                _HTML.update(db.execute("SELECT source, html FROM html"))
    except (sqlite3.Error, TypeError, OSError):
        pass


class CacheWriter:
    """The next build's cache, written as the HTML arrives: no process holds a long history's HTML at once.

    `add` writes the HTML rendered in this build as the workers send it home;
    `finish(texts)` adds what the cache already held for the texts still in
    use (and drops the rest), then renames the file into place whole. A build
    that rendered nothing new leaves the file as it was.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.db = None
        self.made_folder = False
        self.written: set[int] = set()  # hashes of the texts written: the texts themselves may be copies

    def add(self, html: dict[str, str]) -> None:
        if not html:
            return
        if self.db is None:
            self._open()
        self.db.executemany("INSERT INTO html VALUES (?, ?)", html.items())
        self.written.update(map(hash, html))

    def _open(self) -> None:
        import sqlite3

        self.made_folder = not self.path.parent.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.tmp)
        # A scratch file, renamed into place whole: no journal, no syncs. Read
        # whole, never searched: no index to build (it cost more than the rest).
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                              "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
                              "CREATE TABLE html (source TEXT, html TEXT);")
        self.db.execute("INSERT INTO meta VALUES ('key', ?)", (cache_key(),))

    def finish(self, texts) -> None:
        """Keep the HTML of `texts` (this build's texts); readers see the old file or the new one, never half of one."""
        if self.db is None:
            return
        written = self.written

        def kept():
            for text in texts:
                if text in _HTML and (key := hash(text)) not in written:
                    written.add(key)
                    yield text, _HTML[text]

        try:
            self.db.executemany("INSERT INTO html VALUES (?, ?)", kept())
            self.db.commit()
        finally:
            self.db.close()
            self.db = None
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        """A failed build: the file stays as it was, and a folder made for it goes."""
        if self.db is not None:
            self.db.close()
            self.db = None
            self.tmp.unlink(missing_ok=True)
            if self.made_folder:
                try:
                    self.path.parent.rmdir()
                except OSError:
                    pass


@lru_cache(maxsize=1 << 12)  # an update's text goes to its JSON, and to the lists and the calendar for recent ones
def to_text(text: str) -> str:
    """Plain text of a piece of Markdown, for the API, the calendar and titles.

    Paragraphs stay apart (a blank line), hard-wrapped lines are joined,
    list items keep a marker ("- ", "1. "), code blocks keep their lines,
    and links keep their address: "label (https://…)".
    """
    out = to_html(text)
    if not _BLOCK.search(out):  # nearly every update: paragraphs, perhaps with links, emphasis or code
        if "<a " in out:
            out = _LINK.sub(_link_text, out)
        out = _TAG.sub("", out.replace("</p>\n", "\x00").replace("\n", " ").replace("\x00", "\n\n"))
        return html.unescape(out).strip()
    if not _COMPLEX.search(out) and _flat_lists(out):  # paragraphs and flat lists: a third of updates
        return _paragraphs_and_lists(out)
    return _to_text(out)


_COMPLEX = re.compile(r"<(?:pre|br|h\d|blockquote|table|hr|dl|details)\b")
_LIST_TAG = re.compile(r"</?(?:ul|ol)\b")
_LIST = re.compile(r'<(ul|ol)(?: start="(\d+)")?>(.*?)</\1>', re.S)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)


def _flat_lists(out: str) -> bool:
    """Whether no list holds another (nested lists take the general path)."""
    depth = 0
    for m in _LIST_TAG.finditer(out):
        depth += -1 if m.group()[1] == "/" else 1
        if depth > 1:
            return False
    return True


def _paragraphs_and_lists(out: str) -> str:
    if "<a " in out:
        out = _LINK.sub(_link_text, out)

    def listed(m: re.Match) -> str:
        first = int(m.group(2) or 1)
        items = (" ".join(_TAG.sub("", item).split()) for item in _ITEM.findall(m.group(3)))
        marks = (f"{first + k}. " if m.group(1) == "ol" else "- " for k in range(10**9))
        return "\x00\x01" + "\n".join(mark + item for mark, item in zip(marks, items)) + "\x00"

    blocks = _LIST.sub(listed, out).replace("</p>", "\x00").split("\x00")
    kept = [block[1:] if block.startswith("\x01") else " ".join(_TAG.sub("", block).split()) for block in blocks]
    return html.unescape("\n\n".join(block for block in kept if block.strip()))


def _link_text(m: re.Match) -> str:
    href, label = html.unescape(m.group(1)), m.group(2)
    return label if html.unescape(_TAG.sub("", label)) == href else f"{label} ({href})"


_BLOCK = re.compile(r"<(?:ul|ol|li|pre|br|h\d|blockquote|table|hr|dl|details)\b")
_TOKEN = re.compile(r"""(<(?:[^>"']|"[^"]*"|'[^']*')*>)""")
_WRAP = re.compile(r"[ \t]*\n\s*")
_BLOCK_END = {"p", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "details", "hr"}


def _to_text(out: str) -> str:
    parts: list[str] = []
    lists: list[list] = []  # [kind, next number] of the open lists
    in_pre = 0
    for token in _TOKEN.split(_LINK.sub(_link_text, out)):
        if not token:
            continue
        if token[0] != "<":
            if in_pre:
                parts.append(token)
            elif token.strip():
                token = _WRAP.sub(" ", token)  # a hard wrap is a space
                parts.append(token.lstrip() if not parts or parts[-1].endswith("\n") else token)
            elif "\n" not in token and parts and not parts[-1].endswith(("\n", " ")):
                parts.append(" ")  # the space between two inline elements
            continue
        name = token[1:].split(None, 1)[0].rstrip("/>").lower()
        if name in ("ul", "ol"):
            start = re.search(r'start="(\d+)"', token)
            lists.append([name, int(start.group(1)) if start else 1])
        elif name == "li" and lists:
            kind = lists[-1]
            marker = f"{kind[1]}. " if kind[0] == "ol" else "- "
            kind[1] += 1
            parts.append("\n" + "  " * (len(lists) - 1) + marker)
        elif name == "pre":
            in_pre += 1
        elif name == "/pre":
            in_pre -= 1
            parts.append("\n\n")
        elif name in ("br", "br/"):
            parts.append("\n")
        elif name in ("/ul", "/ol"):
            if lists:
                lists.pop()
            parts.append("\n\n" if not lists else "")
        elif name in ("/tr", "/dt", "/dd"):
            parts.append("\n")
        elif name in ("/td", "/th"):
            parts.append(" ")
        elif name == "/p" and lists:
            continue  # a loose list's paragraphs: one line per item, as in a tight list
        elif name.startswith("/") and name[1:] in _BLOCK_END or name == "hr":
            parts.append("\n\n")
    text = html.unescape("".join(parts))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
