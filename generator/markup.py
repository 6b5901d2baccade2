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
# Rendered HTML by Markdown source, in this process. Pages, feeds and the API of a
# build share it, and `serve` keeps it across rebuilds; a build worker drops it between jobs.
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
    out = _prose(text)
    if out is not None:
        return out  # already as the cleaner leaves it: nothing in it to remove or escape
    converter, cleaner = _tools()
    out = converter.reset().convert(text)
    for level in (2, 1):  # h1/h2 become h3/h4: the page owns h1 and h2
        out = out.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    out = cleaner.clean(out)
    if "<a " in out:  # a link whose address the cleaner dropped (javascript:…) is plain text: <a rel> alone is invalid HTML
        out = _HREFLESS.sub(r"\1", out)
    return out.strip()


# Nearly every update is plain prose: paragraphs and flat "- " lists, with **strong** words and
# [links](https://…). Python-Markdown takes a quarter of a millisecond for one, most of a cold build's
# time; `_prose` writes the same HTML, as the cleaner leaves it (links get its rel), in a tenth of that.
# Anything else goes to Python-Markdown: a backslash, a backtick, an underscore, <, >, &, ~, |, an
# image, a single *, a [ that is not a link to http(s), a line that starts with a space or a block
# marker (# > = + * - digits.), a blank line in a list, whitespace other than spaces and newlines.
# tests/test_markup.py compares the two on generated texts; bench texts give the same output.
# Control characters, whitespace other than space and newline (str.isspace's), and the marks above.
_NOT_PROSE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\\\\`_<>&~|]")
_LINE = re.compile(
    r"(?:[^*\[\]]"
    r"|\*\*[^*\s\[\]](?:[^*\[\]]*[^*\s\[\]])?\*\*"
    r"|\[[^*\s\[\]](?:[^*\[\]]*[^*\s\[\]])?\]\(https?://[A-Za-z0-9][A-Za-z0-9./:%?=#-]*\))+")
_SPAN = re.compile(r"\*\*([^*\[\]]+)\*\*|\[([^*\[\]]+)\]\((https?://[^)]*)\)")
_BLOCK_START = re.compile(r"[ #>=+*-]|\d+[.)]")


def _span(m: re.Match) -> str:
    if m.group(1) is not None:
        return f"<strong>{m.group(1)}</strong>"
    return f'<a href="{m.group(3)}" rel="noopener noreferrer nofollow">{m.group(2)}</a>'


def _prose(text: str) -> str | None:
    """Python-Markdown's HTML for plain prose, cleaned (see above); None for any other text."""
    if (_NOT_PROSE.search(text) or "![" in text or " \n" in text or "\n " in text or "\n\n\n" in text
            or text[0] in " \n" or text[-1] in " \n"):
        return None
    out = []
    after_list = False
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if lines[0].startswith("- "):
            if after_list:  # two lists a blank line apart make one loose list
                return None
            items = []
            for line in lines:
                item = line[2:]
                if not line.startswith("- ") or not item or _BLOCK_START.match(item) or not _LINE.fullmatch(item):
                    return None
                items.append(f"<li>{_SPAN.sub(_span, item)}</li>")
            out.append("<ul>\n" + "\n".join(items) + "\n</ul>")
            after_list = True
        else:
            for line in lines:
                if _BLOCK_START.match(line) or not _LINE.fullmatch(line):
                    return None
            out.append(f"<p>{_SPAN.sub(_span, block)}</p>")
            after_list = False
    return "\n".join(out)


def to_html(text: str) -> str:
    """Safe HTML for a piece of Markdown. Headings are shifted so an update never outranks its page."""
    if not text or text.isspace():
        return ""  # nothing to render, and nothing to cache
    found = _HTML.get(text)
    if found is None:
        found = _cached(text) if _STORE is not None else None
        if found is not None:
            _HTML[text] = found
        else:
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
        "v4", _markdown_version(), getattr(nh3, "__version__", ""), ",".join(EXTENSIONS),
        ",".join(sorted(ALLOWED_TAGS)), repr(sorted((k, sorted(v)) for k, v in ALLOWED_ATTRIBUTES.items())),
        ",".join(sorted(URL_SCHEMES)),
    ])


def cache_id(text: str) -> bytes:
    """A text's key in the cache file: 16 bytes of BLAKE2b (the texts themselves would double the file)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


# The cache file of this build, read where a text is needed, never whole: a long
# history's HTML held in one process, and touched by forked workers, costs hundreds of MB.
_STORE: Path | None = None
_DB: tuple[int, object] | None = None  # (pid, sqlite connection): a connection does not cross a fork


def load_cache(path: Path | None) -> None:
    """Use an earlier build's cache file (None: none); a missing, unreadable or foreign file is just a cold start.

    Only a regular file is read: a link or a FIFO in its place is ignored (and replaced by the next save).
    Nothing is read yet: `to_html` and `prefetch` look texts up by key.
    """
    import sqlite3

    _use(None)
    if path is None:
        return
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            (key,) = db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
            db.execute("SELECT key, html FROM html LIMIT 1").fetchall()
        if key == cache_key():
            _use(Path(path))
    except (sqlite3.Error, TypeError, OSError):
        pass


def _use(path: Path | None) -> None:
    global _STORE, _DB
    if _DB is not None and _DB[0] == os.getpid():
        _DB[1].close()
    _STORE, _DB = path, None


def _db():
    import sqlite3

    global _DB
    if _DB is None or _DB[0] != os.getpid():
        _DB = (os.getpid(), sqlite3.connect(f"file:{_STORE}?mode=ro", uri=True, check_same_thread=False))
    return _DB[1]


def prefetch(texts) -> None:
    """Look up in the cache file, at once, the texts not yet at hand (a build job's texts)."""
    import sqlite3

    if _STORE is None:
        return
    wanted = {}
    for text in texts:
        if text not in _HTML and text.strip():
            wanted[cache_id(text)] = text
    keys = list(wanted)
    try:
        for k in range(0, len(keys), 500):
            chunk = keys[k:k + 500]
            rows = _db().execute(f"SELECT key, html FROM html WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, cached in rows:
                _HTML[wanted[key]] = cached
    except sqlite3.Error:
        _use(None)  # a file changed or broken under us: render instead


def _cached(text: str) -> str | None:
    import sqlite3

    try:
        row = _db().execute("SELECT html FROM html WHERE key = ?", (cache_id(text),)).fetchone()
    except sqlite3.Error:
        _use(None)
        return None
    return row[0] if row else None


def forget_all() -> None:
    """Drop the HTML this process holds (a build worker, between jobs: they share no text)."""
    _HTML.clear()
    _NEW.clear()


class CacheWriter:
    """The next build's cache, written as the HTML arrives: no process holds a long history's HTML at once.

    `add` writes the HTML rendered in this build (as the workers send it home)
    to a scratch table; `finish(texts)` adds what the current cache file holds
    for the texts still in use (and drops the rest), sorted by key, then
    renames the file into place whole. A build that rendered nothing new
    leaves the file as it was.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.db = None
        self.made_folder = False

    def add(self, html: dict[str, str]) -> None:
        if not html:
            return
        if self.db is None:
            self._open()
        self.db.executemany("INSERT INTO temp.new VALUES (?, ?)", ((cache_id(text), out) for text, out in html.items()))

    def _open(self) -> None:
        import sqlite3

        self.made_folder = not self.path.parent.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.tmp)
        # A scratch file, renamed into place whole: no journal, no syncs. What
        # arrives goes to a temporary table; the file gets it sorted, once.
        self.db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                              "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
                              "CREATE TABLE html (key BLOB PRIMARY KEY, html TEXT) WITHOUT ROWID;"
                              "CREATE TEMP TABLE new (key BLOB, html TEXT);"
                              "CREATE TEMP TABLE used (key BLOB);")
        self.db.execute("INSERT INTO meta VALUES ('key', ?)", (cache_key(),))

    def finish(self, texts) -> None:
        """Keep the HTML of `texts` (this build's texts); readers see the old file or the new one, never half of one.

        Kept: what this build rendered, what this process already held (`serve`), and what the old file has.
        The file is rewritten only when a text in use has HTML the old file lacks.
        """
        used = {cache_id(text): text for text in texts if text and not text.isspace()}
        held = [(key, _HTML[text]) for key, text in used.items() if text in _HTML]
        if self.db is None:
            if not held:
                return
            self._open()
        db = self.db
        try:
            db.executemany("INSERT INTO temp.used VALUES (?)", ((key,) for key in used))
            db.executemany("INSERT INTO temp.new VALUES (?, ?)", held)
            sources = "SELECT key, html FROM temp.new"
            if _STORE is not None:
                db.execute("ATTACH DATABASE ? AS old", (f"file:{_STORE}?mode=ro",))
                if db.execute("SELECT 1 FROM temp.new WHERE key IN (SELECT key FROM temp.used) "
                              "AND key NOT IN (SELECT key FROM old.html) LIMIT 1").fetchone() is None:
                    self.discard()  # the old file has every text in use: it is still right
                    return
                sources += " UNION ALL SELECT key, html FROM old.html WHERE key IN (SELECT key FROM temp.used)"
            db.execute(f"INSERT OR IGNORE INTO html SELECT key, html FROM ({sources}) ORDER BY key")
            db.commit()
        finally:
            db.close()
            self.db = None
        os.replace(self.tmp, self.path)
        _use(self.path)  # this process's next lookups (`serve`) read the new file

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
