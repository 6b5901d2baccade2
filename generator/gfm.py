"""Content as inert GitHub-flavoured Markdown: for the pull request's summary and its notification preview."""

from __future__ import annotations

import re

from generator.terminal import printable

# The characters that start or end something in GitHub-flavoured Markdown mid-line:
# emphasis, strikethrough, code, links and images (no "[", no link), table cells,
# headings, math. A backslash makes each a plain character. md() output is never
# at the start of a line, so list, quote and heading markers there need nothing.
MD_SPECIAL = re.compile(r"[\\`*_\[\]|#~$]")
# A mention or team ping needs a letter or digit right after "@"; a zero-width space
# there keeps "@org/team" and "@everyone" readable and inert.
MENTION = re.compile(r"@(?=\w)")


def md(text: str) -> str:
    """Content as inert text in GitHub-flavoured Markdown: one line, no HTML, links, images,
    headings, table cells, mentions or control characters of its own."""
    out = printable(" ".join(str(text).splitlines()))
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = MD_SPECIAL.sub(lambda m: "\\" + m.group(), out)
    return MENTION.sub("@\u200b", out)


def code(text: str) -> str:
    """Content as a code span (HTML, links and mentions are plain text there), with a
    fence longer than any run of backticks inside it; line breaks are shown as escapes."""
    out = printable(str(text))
    longest = max((len(run) for run in re.findall("`+", out)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if out.startswith(("`", " ")) or out.endswith(("`", " ")) or longest else ""
    return f"{fence}{pad}{out}{pad}{fence}"
