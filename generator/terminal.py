"""Text safe for a terminal: the one place that decides which characters content may not print.

Anything statusgen prints that came from content (a file name, a title, a
message quoting a value, a key in a bucket) goes through `printable()`, so a
file name or title can never move the cursor, recolour the screen, set the
window title, reverse the reading order of a line or break a line in two.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; the line and paragraph separators; the bidi
# marks, embeddings, overrides and isolates; lone surrogates (an undecodable file
# name arrives as U+DC80-U+DCFF and would make the print itself fail).
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in SHORT:
        return SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """`text` with every unsafe character written as a visible escape (`\\x1b`, `\\u202e`).

    Characters in `keep` (only "\\n" makes sense) are left as they are. A
    backslash is not escaped, so printing twice does not change the text.
    """
    text = str(text)
    if not keep:
        return UNSAFE.sub(_escape, text)
    return UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def lines(text: str) -> str:
    """Several lines for a terminal: line breaks stay, everything else unsafe is escaped."""
    return printable(text, keep="\n")


def is_printable(text: str) -> bool:
    return UNSAFE.search(text) is None
