"""Hypothesis strategies shared by the fuzz tests: mutations of content files at three levels.

- bytes: flip, insert, delete, replace, truncate, duplicate (NUL, invalid UTF-8, BOM, CR…);
- YAML structure: a value becomes a list, map, number, bool, null, huge string, an alias
  with its anchor, a duplicate key, deep nesting;
- Unicode: control characters, noncharacters, lone surrogates (as YAML "\\ud800"
  escapes), bidi controls, combining marks, emoji, RTL text, very long strings, put
  into titles, names, descriptions, update bodies, headings and timestamps.

`tests/test_fuzz.py` mutates the demo site's bytes; `tests/hostile/test_fuzz.py`
runs every level on the small site below through check, build, update and rebuild.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

NASTY = [
    b"---", b"\n---\n", b"## ", b" \xe2\x80\x94 ", b" - ", b"2026-10-25 02:30", b"2026-03-29 02:30 Europe/Berlin",
    b"components:", b"[", b"{", b"}", b": ", b"&a", b"*a", b"!!python/object:os.system", b"\t", b"\x00", b"\xff",
    b"```", b"type: maintenance\n", b"start: x\n", b"- id: api\n", b"group: G\n", b"\r\n", b"\xef\xbb\xbf",
    b"9999-99-99 99:99 UTC", b"0000-01-01 00:00 UTC", b"1:30", b"~", b"!!binary aGk=", b"? [a]\n: b\n",
    b"\r", b"\x1b[31m", b"\xed\xa0\x80", b"\xc0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xfe\xff",
]


@st.composite
def mangled_bytes(draw, data: bytes) -> bytes:
    """`data` after one to six random byte-level edits."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate", "flip"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=12), st.text(max_size=12).map(str.encode)))
            data[at:at] = piece
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "replace":
            data[at : at + 1] = draw(st.sampled_from(NASTY))
        elif op == "truncate":
            del data[at:]
        elif op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        else:
            end = min(len(data), at + draw(st.integers(1, 80)))
            data[at:at] = data[at:end]
    return bytes(data)


# --- the scratch site --------------------------------------------------------------------

INCIDENT_ID = "2026-11-25-slow-api"
MAINTENANCE_ID = "2026-11-28-db-upgrade"
NOW = "2026-11-26 12:00 UTC"

SITE = {
    "content/site.yaml": """\
title: Fuzz Status
url: https://status.example.com/
description: Where we say what is broken.
timezone: Europe/Berlin
language: en
uptime_days: 30
policy:
  maintenance_notice: 48h
  avoid: [Monday]
""",
    "content/components.yaml": """\
- id: api
  name: API
  description: api.example.com
  since: 2026-01-01
- group: Apps
  id: apps
  components:
    - id: ios
      name: iPhone app
      description: The app
""",
    f"content/incidents/{INCIDENT_ID}.md": """\
---
title: Slow API responses
components:
  api: partial_outage
started: 2026-11-25 09:50 UTC
---
Some requests were slow.

## 2026-11-26 11:00 UTC — Monitoring
A fix is out.

### Details
More text with **bold** and a [link](https://example.com).

## 2026-11-25 10:00 UTC — Investigating
We are looking into it.
""",
    f"content/incidents/{MAINTENANCE_ID}.md": """\
---
title: Database upgrade
type: maintenance
components: [apps]
start: 2026-11-28 06:00 UTC
end: 2026-11-28 07:00 UTC
---
We upgrade the database.

## 2026-11-24 10:00 UTC — Scheduled
The database gets a new major version.
""",
}
FILES = sorted(SITE)

# --- YAML structure ----------------------------------------------------------------------

KEY_LINE = re.compile(r"^(?P<indent>\s*(?:- )?)(?P<key>[A-Za-z_][\w-]*):(?P<sep>[ \t]*)(?P<value>.*)$")

YAML_VALUES = st.one_of(
    st.sampled_from([
        "[1, 2, 3]", "{a: 1, b: [x]}", "12345678901234567890123", "-1", "0", "1e999", ".nan", "-.inf", "0x1F",
        "true", "no", "~", "null", '""', "''", "|\n  block\n  text", ">-\n  folded", "!!binary aGVsbG8=",
        "!!timestamp 2026-11-26", "2026-11-26", "2026-11-26T25:61:00Z", "!!set {a, b}", "!!omap [a: 1]",
        "? complex\n", "*a", "&a x", "<<: {a: 1}", "[" * 40 + "]" * 40, "{a: " * 30 + "1" + "}" * 30,
        "'''", "\"\\", "@reserved", "`tick", "%directive", "- item", "!python/name:os.system",
    ]),
    st.integers(1, 200_000).map(lambda n: "x" * n),
    # Deeper than the loader's recursion limit (~500) is a clean error, but YAML takes
    # ~0.5 s per 1,000 levels to get there: 600 keeps the budget.
    st.integers(50, 600).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 600).map(lambda n: "- " * n + "x"),
)


def yaml_part(path: str, text: str) -> tuple[str, str, str]:
    """(before, yaml, after): the YAML of a file (the front matter of an incident)."""
    if not path.endswith(".md"):
        return "", text, ""
    head, _, rest = text.partition("---\n")
    front, sep, body = rest.partition("\n---\n")
    return head + "---\n", front, sep + body


@st.composite
def yaml_mutation(draw):
    """(path, text): one content file whose YAML had one to three structural edits."""
    path = draw(st.sampled_from(FILES))
    before, yaml, after = yaml_part(path, SITE[path])
    lines = yaml.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        keyed = [i for i, line in enumerate(lines) if KEY_LINE.match(line)]
        if not keyed:
            break
        i = draw(st.sampled_from(keyed))
        m = KEY_LINE.match(lines[i])
        op = draw(st.sampled_from(["value", "duplicate", "alias", "nest", "drop", "indent"]))
        if op == "value":
            value = draw(YAML_VALUES)
            lines[i] = f"{m['indent']}{m['key']}: {value}"
        elif op == "duplicate":
            lines.insert(i + 1, f"{' ' * len(m['indent'])}{m['key']}: {draw(YAML_VALUES)}")
        elif op == "alias":
            j = draw(st.sampled_from(keyed))
            mj = KEY_LINE.match(lines[j])
            lines[i] = f"{m['indent']}{m['key']}: &a {m['value'] or '{}'}"
            lines[j] = f"{mj['indent']}{mj['key']}: *a"
        elif op == "nest":
            depth = draw(st.integers(1, 200))
            lines[i] = f"{m['indent']}{m['key']}:" + "".join(f"\n{' ' * (len(m['indent']) + 2 * d)}k{d}:" for d in range(1, depth)) + f" {m['value']}"
        elif op == "drop":
            del lines[i]
        else:
            lines[i] = " " * draw(st.integers(0, 5)) + lines[i].lstrip()
    return path, before + "\n".join(lines) + after


# --- Unicode classes ---------------------------------------------------------------------

ODD_CHARACTERS = [
    "\x00", "\x01", "\x07", "\x08", "\t", "\x0b", "\x0c", "\r", "\x1b", "\x1b[31m", "\x1b]0;title\x07", "\x7f",
    "\x80", "\x85", "\x9b", "\xa0", "\xad", "\u200b", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c",
    "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff", "\ud800", "\udfff", "\udc80",
    "\u0301", "\u0301" * 200, "e\u0301", "\u0e49" * 50, "🙂", "👩\u200d👩\u200d👧", "🏳️\u200d🌈", "\U000e0041",
    "مرحبا بالعالم", "שלום עולם", "\u05d0\u202ebackwards", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ＡＰＩ", "İı", "ß", "ǅ", "\u0000x",
    "<script>alert(1)</script>", "&amp;", "]]>", "{{ 7*7 }}", "{% raw %}", "%s%n", "\\", "'", '"', "`",
]
TEXT = st.one_of(
    st.sampled_from(ODD_CHARACTERS),
    st.text(st.characters(codec=None, categories=["Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Zl", "Zp", "So"]), min_size=1, max_size=8),
    st.text(min_size=1, max_size=30),
    st.integers(1, 300_000).map(lambda n: "long " * (n // 5 + 1)),
)
TIMESTAMPS = st.one_of(
    st.sampled_from([
        "0001-01-01 00:00 UTC", "0001-01-01 00:00 +14:00", "9999-12-31 23:59 UTC", "9999-12-31 23:59 -14:00",
        "10000-01-01 00:00 UTC", "1969-12-31 23:59 UTC", "1970-01-01 00:00 UTC", "2199-12-31 23:59 UTC",
        "2200-01-01 00:00 UTC", "2026-11-25 10:00 +23:59", "2026-11-25 10:00 -23:59", "2026-11-25 10:00 +24:00",
        "2026-11-25 10:00 +99:99", "2026-11-25 10:00 +0000000", "2026-02-30 10:00 UTC", "2026-11-25 24:00 UTC",
        "2026-11-25 10:00:60 UTC", "2026-11-25T10:00:00.999999999Z", "2026-11-25 10:00 Etc/GMT+12",
        "2026-11-25 10:00 Etc/GMT-14", "2026-11-25 10:00 America/St_Johns", "2026-11-25 10:00 ../../etc/passwd",
        "2026-11-25 10:00 \x00", "-2026-11-25 10:00 UTC", "+2026-11-25 10:00 UTC", "2026-11-25 10:00 UTC\u202e",
        "99999999999999999999", "1e20", "0000-00-00 00:00 UTC",
    ]),
    st.builds(lambda y, h, off: f"{y:04d}-11-25 {h:02d}:00 {off}", st.integers(0, 12000), st.integers(0, 25),
              st.sampled_from(["UTC", "Z", "+00:00", "-12:00", "+14:00", "Europe/Berlin", "Pacific/Kiritimati", ""])),
)


def yaml_quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar; what YAML cannot hold raw is written as an escape."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF, 0xFEFF):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# Where text goes: (file, the value or line to change). `value` slots are YAML values,
# `line` slots are whole Markdown lines.
SLOTS = [
    ("content/site.yaml", "value", "title"), ("content/site.yaml", "value", "description"),
    ("content/components.yaml", "value", "name"), ("content/components.yaml", "value", "description"),
    ("content/components.yaml", "value", "group"),
    (f"content/incidents/{INCIDENT_ID}.md", "value", "title"),
    (f"content/incidents/{INCIDENT_ID}.md", "line", "We are looking into it."),
    (f"content/incidents/{INCIDENT_ID}.md", "line", "Some requests were slow."),
    (f"content/incidents/{INCIDENT_ID}.md", "line", "### Details"),
    (f"content/incidents/{INCIDENT_ID}.md", "heading", "## 2026-11-25 11:00 UTC — Monitoring"),
    (f"content/incidents/{MAINTENANCE_ID}.md", "value", "title"),
    (f"content/incidents/{MAINTENANCE_ID}.md", "line", "The database gets a new major version."),
    (f"content/incidents/{MAINTENANCE_ID}.md", "heading", "## 2026-11-24 10:00 UTC — Scheduled"),
]
TIME_SLOTS = [
    (f"content/incidents/{INCIDENT_ID}.md", "started: 2026-11-25 09:50 UTC", "started: {}"),
    (f"content/incidents/{INCIDENT_ID}.md", "## 2026-11-25 10:00 UTC — Investigating", "## {} — Investigating"),
    (f"content/incidents/{MAINTENANCE_ID}.md", "start: 2026-11-28 06:00 UTC", "start: {}"),
    (f"content/incidents/{MAINTENANCE_ID}.md", "end: 2026-11-28 07:00 UTC", "end: {}"),
    (f"content/incidents/{MAINTENANCE_ID}.md", "## 2026-11-24 10:00 UTC — Scheduled", "## {} — Scheduled"),
    ("content/components.yaml", "since: 2026-01-01", "since: {}"),
]


def _insert(draw, original: str, piece: str) -> str:
    where = draw(st.sampled_from(["replace", "prefix", "suffix", "middle"]))
    if where == "replace":
        return piece
    if where == "prefix":
        return piece + original
    if where == "suffix":
        return original + piece
    cut = len(original) // 2
    return original[:cut] + piece + original[cut:]


@st.composite
def unicode_mutation(draw, text=TEXT, timestamps=True):
    """The scratch site as {path: str} with odd text in one to three places (and maybe an odd time)."""
    files = dict(SITE)
    for _ in range(draw(st.integers(1, 3))):
        path, kind, anchor = draw(st.sampled_from(SLOTS))
        piece = draw(text)
        if kind == "value":
            lines = files[path].split("\n")
            keyed = [i for i, line in enumerate(lines) if (m := KEY_LINE.match(line)) and m["key"] == anchor]
            if not keyed:
                continue
            i = draw(st.sampled_from(keyed))
            m = KEY_LINE.match(lines[i])
            lines[i] = f"{m['indent']}{m['key']}: {yaml_quoted(_insert(draw, m['value'], piece))}"
            files[path] = "\n".join(lines)
        elif kind == "heading":
            status_at = anchor.rindex("— ") + 2
            changed = anchor[:status_at] + _insert(draw, anchor[status_at:], piece) if draw(st.booleans()) \
                else "## " + _insert(draw, anchor[3:], piece)
            files[path] = files[path].replace(anchor, changed)
        else:
            files[path] = files[path].replace(anchor, _insert(draw, anchor, piece))
    if timestamps and draw(st.booleans()):
        path, old, template = draw(st.sampled_from(TIME_SLOTS))
        files[path] = files[path].replace(old, template.format(draw(TIMESTAMPS)))
    return files


def encode(text: str) -> bytes:
    """UTF-8, except that a lone surrogate is written as the (invalid) bytes it would have."""
    return text.encode("utf-8", "surrogatepass")
