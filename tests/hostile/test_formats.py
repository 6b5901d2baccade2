"""Every output format escapes what it embeds from content.

`check --format github` writes workflow commands that GitHub's runner parses
on fork pull requests; `--format text` and every other command write to a
terminal; `--format json` is read by tools; `--summary` is Markdown that
GitHub renders on the pull request. A hostile file name or title must not
inject a workflow command, forge an annotation property, drive the terminal
(ANSI sequences, carriage returns, bidi overrides) or add HTML, links,
images, headings, table cells or mentions to the summary.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import _printable_events, main
from generator.content import load
from generator.problems import Problem, Problems, format_problems
from generator.publish.model import Event
from generator.gfm import code, md
from generator.summary import summarize
from generator.terminal import is_printable, lines, printable
from tests.scratch import load_at, write_site

NOW = "2026-11-26 12:00 UTC"
FIXED_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
HINT = "is not a valid id: use lowercase letters, digits and hyphens, like 2026-11-26-api-errors.md"
GOOD = """\
---
title: Slow API
components: {api: degraded_performance}
---
## 2026-11-20 10:00 UTC — Resolved
ok
## 2026-11-20 09:00 UTC — Investigating
slow
"""

# A byte a terminal acts on: C0 other than the line break, DEL, C1 (in UTF-8, U+0080-U+009F).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def assert_terminal_safe(text: str) -> None:
    found = RAW_CONTROL.search(text)
    assert found is None, f"raw {found.group()!r} reaches the terminal in {text!r}"
    data = text.encode("utf-8")  # a lone surrogate would fail here, as it would when printed
    assert not [b for b in data if b < 0x20 and b != 0x0A], text
    assert b"\x7f" not in data and b"\xc2\x80" not in data and b"\xc2\x9b" not in data


def check(site: Path, fmt: str):
    result = CliRunner().invoke(main, ["check", str(site), "--now", NOW, "--format", fmt])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


# --- the escaping functions ------------------------------------------------------------------


def test_printable_shows_every_control_character_as_an_escape():
    assert printable("a\x1b[31mred\x1b[0m") == "a\\x1b[31mred\\x1b[0m"
    assert printable("tab\there\r\nnext") == "tab\\there\\r\\nnext"
    assert printable("\x00\x07\x7f\x85\x9b") == "\\x00\\x07\\x7f\\x85\\x9b"
    assert printable("abc\u202edcba\u2066x\u2069\u2028\u2029\u200f") == "abc\\u202edcba\\u2066x\\u2069\\u2028\\u2029\\u200f"
    assert printable("bad byte \udcff") == "bad byte \\udcff"  # an undecodable file name
    assert printable("Grüße — ok 🙂 مرحبا") == "Grüße — ok 🙂 مرحبا"  # text is text
    assert lines("one\ntwo\r\x1b") == "one\ntwo\\r\\x1b"
    assert printable(printable("\x1b")) == printable("\x1b")  # escaping twice changes nothing
    assert is_printable("plain") and not is_printable("\x1b")


def test_problem_github_format_escapes_every_property_and_the_message():
    injected = Problem("content/incidents/x\n::stop-commands::x.md", 1, 1, "error", "bad\n::error::forged")
    assert injected.format_github() == (
        "::error file=content/incidents/x%0A%3A%3Astop-commands%3A%3Ax.md,line=1,col=1::bad%0A::error::forged"
    )
    forged = Problem("content/incidents/a,line=99,title=x.md", 3, 4, "warning", "100% sure\r")
    assert forged.format_github() == (
        "::warning file=content/incidents/a%2Cline=99%2Ctitle=x.md,line=3,col=4::100%25 sure%0D"
    )
    ansi = Problem("content/incidents/e\x1b[31m.md", 1, 1, "error", "title \x1b]0;pwned\x07 \u202e")
    assert ansi.format_github() == "::error file=content/incidents/e\\x1b[31m.md,line=1,col=1::title \\x1b]0;pwned\\x07 \\u202e"


def test_problem_text_format_shows_controls_in_path_and_message():
    p = Problem("content/incidents/e\x1b[31m\n.md", 2, 3, "error", 'title "\x1b[2J\rboom\u202e"')
    assert p.format_text() == 'content/incidents/e\\x1b[31m\\n.md:2:3: error: title "\\x1b[2J\\rboom\\u202e"'
    assert_terminal_safe(p.format_text())


def test_problem_json_is_ascii_and_valid_unicode():
    p = Problem("content/incidents/\udcff\u202e.md", 1, 1, "error", "t\x1b[31m\u2028")
    text = format_problems([p], "json")
    assert text.isascii()
    assert "\\u001b" in text and "\\u202e" in text and "\\u2028" in text
    (item,) = json.loads(text)
    assert item["path"] == "content/incidents/\\udcff\u202e.md"  # the lone surrogate became visible text
    assert item["message"] == "t\x1b[31m\u2028"  # JSON keeps the value exact, escaped on the wire
    item["path"].encode("utf-8")  # well-formed: no lone surrogate left


# --- check on a site with hostile file names ---------------------------------------------------

HOSTILE_NAMES = {
    "x\n::stop-commands::x.md": "x\\n::stop-commands::x.md",
    "a,line=99,title=x.md": "a,line=99,title=x.md",
    "e\x1b[31m.md": "e\\x1b[31m.md",
    "r\u202etxt.md": "r\\u202etxt.md",
    "no-md\n::error file=README.md::forged": "no-md\\n::error file=README.md::forged",
    "bell\x07": "bell\\x07",
}


@pytest.fixture
def hostile_site(tmp_path) -> Path:
    site = write_site(tmp_path / "site", {"2026-11-20-slow-api": GOOD})
    folder = site / "content" / "incidents"
    for name in HOSTILE_NAMES:
        (folder / name).write_text(GOOD, encoding="utf-8")
    return site


def test_hostile_file_names_are_errors_reported_escaped(hostile_site):
    result = check(hostile_site, "text")
    assert result.exit_code == 1
    assert result.stdout == ""
    reported = result.stderr.splitlines()
    for shown in HOSTILE_NAMES.values():
        assert f'content/incidents/{shown}:1:1: error: file name "{shown}" {HINT}' in reported
    assert reported[-1] == f"{len(HOSTILE_NAMES)} errors, 0 warnings"
    assert_terminal_safe(result.output)


def test_hostile_file_names_in_github_format(hostile_site):
    result = check(hostile_site, "github")
    assert result.exit_code == 1
    out = result.stdout
    assert_terminal_safe(out)
    commands = out.splitlines()
    assert len(commands) == len(HOSTILE_NAMES)  # one line each: no line break got through
    assert "::error file=content/incidents/x\\n%3A%3Astop-commands%3A%3Ax.md,line=1,col=1::" \
        f'file name "x\\n::stop-commands::x.md" {HINT}' in commands
    assert "::error file=content/incidents/a%2Cline=99%2Ctitle=x.md,line=1,col=1::" \
        f'file name "a,line=99,title=x.md" {HINT}' in commands
    for command in commands:
        assert command.startswith("::error file=")
        properties, _, _message = command[len("::error "):].partition("::")
        pairs = properties.split(",")
        assert [pair.split("=", 1)[0] for pair in pairs] == ["file", "line", "col"], command
        assert ":" not in properties, command  # every ":" in a value is %3A
    assert "::stop-commands::" not in "\n".join(c.partition("::")[2].partition("::")[0] for c in commands)


def test_hostile_file_names_in_json_format(hostile_site):
    result = check(hostile_site, "json")
    assert result.exit_code == 1
    assert result.stdout.isascii()
    paths = sorted(item["path"] for item in json.loads(result.stdout))
    assert paths == sorted(f"content/incidents/{shown}" for shown in HOSTILE_NAMES.values())


def test_undecodable_file_name_is_an_error_and_printable(tmp_path):
    import os

    site = write_site(tmp_path / "site", {"2026-11-20-slow-api": GOOD})
    folder = os.fsencode(site / "content" / "incidents")
    try:
        with open(os.path.join(folder, b"bad\xff\x1b.md"), "wb") as handle:
            handle.write(GOOD.encode())
    except OSError as exc:  # pragma: no cover - a file system that insists on UTF-8 names
        pytest.fail(f"this file system refuses non-UTF-8 names: {exc}")
    for fmt in ("text", "github", "json"):
        result = check(site, fmt)
        assert result.exit_code == 1
        assert "bad\\udcff\\x1b.md" in result.output or "bad\\\\udcff\\\\x1b.md" in result.output, result.output
        assert_terminal_safe(result.output)


# --- titles and values with control characters -------------------------------------------------

# check refuses control characters in text (with a message that does not echo them),
# so the quoted value that reaches the terminal carries what it allows: bidi controls.
ANSI_INCIDENT = """\
---
title: "Boom \\u202e red"
components: {"api \\u202e \\u2066x": partial_outage}
---
## 2026-11-20 10:00 UTC — Investigating
slow \\x1b
"""


def test_quoted_values_with_ansi_codes_never_reach_the_terminal(tmp_path):
    site = write_site(tmp_path / "site", {"2026-11-20-ansi": ANSI_INCIDENT})
    text = check(site, "text")
    assert text.exit_code == 1
    assert 'content/incidents/2026-11-20-ansi.md:3:14: error: unknown component "api \\u202e \\u2066x"' \
        in text.stderr.splitlines()
    assert_terminal_safe(text.output)
    github = check(site, "github")
    assert '::error file=content/incidents/2026-11-20-ansi.md,line=3,col=14::unknown component "api \\u202e \\u2066x"' \
        in github.stdout.splitlines()
    assert_terminal_safe(github.output)


def test_other_commands_echo_content_through_the_same_escaping(tmp_path):
    site = write_site(tmp_path / "site", {"2026-11-20-slow-api": GOOD})
    runner = CliRunner()
    for args in (
        ["update", "2026-11-20-slow-api", "\x1b[31mfixed\r", "text", "--site", str(site)],
        ["update", "no-such-\x1b]0;owned\x07", "resolved", "text", "--site", str(site)],
        ["resolve", "\u202eabc", "done", "--site", str(site)],
        ["new", "incident", "\x1b[31mRed\r\u202e alert", "-c", "api\x1b=partial_outage", "--site", str(site), "--now", NOW],
        ["build", str(site), "--now", "\x1b[31m"],
        ["next-change", str(site), "--now", NOW],
    ):
        result = runner.invoke(main, args)
        assert "Traceback" not in result.output, args
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
        assert_terminal_safe(result.output)
    bad_status = runner.invoke(main, ["update", "2026-11-20-slow-api", "\x1b[31mfixed", "m", "--site", str(site)])
    assert bad_status.exit_code == 1
    assert '"\\x1b[31mfixed" is not a status for an incident' in bad_status.output


def test_deploy_lines_are_escaped():
    events = [Event("line", "prim\x1bary", "upload incidents/\x1b[2Jx\u202e.html"), Event("progress", "t\r", done=1, total=2)]
    shown = list(_printable_events(iter(events)))
    assert shown[0].text == "upload incidents/\\x1b[2Jx\\u202e.html" and shown[0].target == "prim\\x1bary"
    assert shown[1].target == "t\\r" and shown[1].done == 1


# --- the pull-request summary (GitHub-flavoured Markdown) ---------------------------------------


def test_md_makes_content_inert():
    assert md('<img src=x onerror="alert(1)">') == '&lt;img src=x onerror="alert(1)"&gt;'
    assert md("[x](javascript:alert(1))") == "\\[x\\](javascript:alert(1))"
    assert md("![pic](https://evil.example/p.png)") == "!\\[pic\\](https://evil.example/p.png)"
    assert md("@everyone and @org/team") == "@\u200beveryone and @\u200borg/team"
    assert md("| table | cell |") == "\\| table \\| cell \\|"
    assert md("# heading") == "\\# heading"
    assert md("*bold* _it_ ~~gone~~ `code` $x$ \\") == "\\*bold\\* \\_it\\_ \\~\\~gone\\~\\~ \\`code\\` \\$x\\$ \\\\"
    assert md("a &amp; b") == "a &amp;amp; b"
    assert md("two\nlines\r\nthree") == "two lines three"
    assert md("\x1b[31mred\x07\u202e") == "\\\\x1b\\[31mred\\\\x07\\\\u202e"
    assert code("content/x.md:3") == "`content/x.md:3`"
    assert code("a`b``c") == "``` a`b``c ```"
    assert code("x\x1b\n<img>") == "`x\\x1b\\n<img>`"  # a code span shows HTML as text


HOSTILE_TITLES = {
    "2026-11-20-img": '<img src=x onerror="alert(1)">',
    "2026-11-20-link": "[click](javascript:alert(1)) ![i](https://evil.example/i.png)",
    "2026-11-20-ping": "@everyone @acme/oncall please look",
    "2026-11-20-table": "| forged | row |",
    "2026-11-20-heading": "# Heading ## Another",
}


def incident(title: str, component: str = "api") -> str:
    return (f"---\ntitle: {json.dumps(title)}\ncomponents: {{{component}: partial_outage}}\n---\n"
            "## 2026-11-26 11:00 UTC — Investigating\nslow\n")


def test_summary_escapes_every_content_string(tmp_path):
    components = "- id: api\n  name: \"<b>API</b> | @everyone [x](javascript:y)\"\n"
    site = write_site(tmp_path / "site", {k: incident(v) for k, v in HOSTILE_TITLES.items()}, components=components)
    content, problems = load_at(site, FIXED_NOW)
    assert content is not None and not problems.errors, [p.format_text() for p in problems.errors]
    problems.error("content/incidents/x`<b>y.md", 1, 1, "title \x1b[31m<script>alert(1)</script> @org/team")
    empty = write_site(tmp_path / "before", {}, components=components)
    before, _ = load_at(empty, FIXED_NOW)
    text = summarize(before, content, FIXED_NOW, problems, "origin/main`\n# x", None)

    assert "\\*\\*Boom" not in text
    assert "<img" not in text and "<script" not in text
    assert text.count("<b>") == 1 and "`` content/incidents/x`<b>y.md:1 ``" in text  # as text, in a code span
    assert "](" not in text.replace("\\](", "")  # no link or image syntax survives
    assert not re.search(r"(?<![\w`])@\w", text)  # no mention: "@" is followed by a zero-width space
    assert "\x1b" not in text
    assert "- Opened: **&lt;img src=x onerror=\"alert(1)\"&gt;** (`2026-11-20-img`)" in text.replace("🔴 ", "")
    assert "**\\[click\\](javascript:alert(1)) !\\[i\\](https://evil.example/i.png)**" in text
    assert "**@\u200beveryone @\u200bacme/oncall please look**" in text
    assert "**\\| forged \\| row \\|**" in text
    assert "**\\# Heading \\#\\# Another**" in text
    assert "| &lt;b&gt;API&lt;/b&gt; \\| @\u200beveryone \\[x\\](javascript:y) | Operational | **Partial outage** |" in text
    assert "- `` content/incidents/x`<b>y.md:1 `` error: title \\\\x1b\\[31m&lt;script&gt;alert(1)&lt;/script&gt; @\u200borg/team" in text
    assert "Compared with `` origin/main`\\n# x ``," in text
    for line in text.splitlines():
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 4, line  # three cells, never more
        assert not line.lstrip().startswith("#") or line.startswith(("## What", "### ")), line
    assert_terminal_safe(text)


def test_summary_of_a_problem_list_is_inert():
    problems = Problems()
    problems.error("content/incidents/\n# x.md", 1, 1, "<img src=x> @team")
    text = summarize(None, None, FIXED_NOW, problems, "HEAD", "git failed: <b>@x</b>\x1b")
    assert "<img" not in text and "<b>" not in text and "\x1b" not in text
    assert "- `content/incidents/\\n# x.md:1` error: &lt;img src=x&gt; @\u200bteam" in text
    assert "could not be read (git failed: &lt;b&gt;@\u200bx&lt;/b&gt;\\\\x1b)" in text
