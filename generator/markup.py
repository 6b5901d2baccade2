"""Markdown to safe HTML: rendered by `markdown`, then cleaned by an allow-list (nh3).

Incident files come from many hands; nothing in them may run script on the
status page, in a feed reader or in the embed banner.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# One converter, reset between documents: building one per call costs more than converting.
_CONVERTER = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)


# Large enough that the pages, feeds and API of one build share each update's HTML.
@lru_cache(maxsize=1 << 17)
def to_html(text: str) -> str:
    """Safe HTML for a piece of Markdown. Headings are shifted so an update never outranks its page."""
    if not text or not text.strip():
        return ""
    out = _CONVERTER.reset().convert(text)
    for level in (2, 1):  # h1/h2 become h3/h4: the page owns h1 and h2
        out = out.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    return nh3.clean(
        out,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


@lru_cache(maxsize=1 << 16)
def to_text(text: str) -> str:
    """Plain text of a piece of Markdown (links keep their address), for the API, calendar and titles."""

    def link(m: re.Match) -> str:
        href, label = html.unescape(m.group(1)), m.group(2)
        return label if nh3.clean(label, tags=set()) == href else f"{label} ({href})"

    return html.unescape(nh3.clean(_LINK.sub(link, to_html(text)), tags=set())).strip()
