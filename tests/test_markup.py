"""markup: Markdown to safe HTML, and to plain text that keeps its shape (for the API and the calendar)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.markup import excerpt, to_text

CASES = [
    ("One line\nhard wrapped\nparagraph.\n\nSecond para.", "One line hard wrapped paragraph.\n\nSecond para."),
    ("Intro:\n\n- one\n- two\n  wrapped\n    - nested\n\n1. first\n2. second",
     "Intro:\n\n- one\n- two wrapped\n  - nested\n\n1. first\n2. second"),
    ("3. third\n4. fourth", "3. third\n4. fourth"),
    ("See [the docs](https://x.example/a) and <https://y.example/>.", "See the docs (https://x.example/a) and https://y.example/."),
    ("Code:\n\n```\nline1\n  line2\n```\n\nEnd.", "Code:\n\nline1\n  line2\n\nEnd."),
    ("# Head\n\nText  \nbreak", "Head\n\nText\nbreak"),
    ("> quoted\n> more\n\nafter", "quoted more\n\nafter"),
    ("A &amp; B < C **bold** _it_", "A & B < C bold it"),
    ("<script>alert(1)</script>Safe", "Safe"),
    ("", ""),
]


@pytest.mark.parametrize("source,text", CASES)
def test_plain_text_keeps_paragraphs_lists_and_code(source, text):
    assert to_text(source) == text


def test_the_api_body_keeps_paragraphs(tmp_path):
    import json
    from datetime import datetime, timezone

    from generator.build import build
    from tests.scratch import write_site

    site = write_site(tmp_path / "site", {"x": (
        "---\ntitle: Slow API\ncomponents: {api: degraded_performance}\n---\n"
        "## 2026-11-26 10:00 UTC — Investigating\nSome requests\nare slow.\n\nWe are on it:\n\n- retries\n- a rollback\n")})
    build(site, datetime(2026, 11, 26, 12, tzinfo=timezone.utc), site / "output")
    (update,) = json.loads((site / "output/api/v2/summary.json").read_text())["incidents"][0]["incident_updates"]
    assert update["body"] == "Some requests are slow.\n\nWe are on it:\n\n- retries\n- a rollback"


@pytest.mark.parametrize("text,limit,cut", [
    ("short", 600, "short"),
    ("a" * 300 + "\n\n" + "b" * 400, 600, "a" * 300 + " …"),
    ("word " * 200, 600, ("word " * 120).rstrip() + " …"),
])
def test_excerpt_cuts_at_a_paragraph_or_word(text, limit, cut):
    assert excerpt(text, limit) == cut


@pytest.mark.parametrize("source", ["[x](javascript:alert(1))", "[x](vbscript:msgbox)", '[x](data:text/html,hi "t")'])
def test_a_link_whose_address_is_dropped_becomes_text(source):
    """nh3 drops a javascript: href but keeps <a rel=…>, which the Nu Html Checker rejects."""
    from generator.markup import to_html

    assert to_html(source) == "<p>x</p>"


@pytest.mark.parametrize("source", [source for source, _ in CASES] + [
    "Intro:\n\n- one\n- two **b** [l](https://x.example/)\n  wrapped\n\n3. three\n4. four\n\nEnd &amp; more.",
    "- loose\n\n- items\n", "A `code  span` and *em*\nwrapped", "x &lt; y & z <https://a.example/>",
])
def test_the_fast_paths_say_what_the_general_one_says(source):
    """Plain paragraphs and flat lists (nearly every update) skip the tag-by-tag walk, with the same result."""
    from generator.markup import _to_text, to_html

    assert to_text.__wrapped__(source) == _to_text(to_html(source))


# --- the prose fast path: the same HTML as Python-Markdown, or no answer -------------------------

PIECES = [
    "word", "Words", "sign-in", "é", "ß", "日本", "42", "1986", "x.y", ",", ".", ":", ";", "?", "!", "'", '"', "(", ")",
    "%", "/", "=", "#", "+", "-", "--", "---", " ", " ", " ", "  ", "\n", "\n", "\n\n", "\n\n\n", "- ", "\n- ", "* ", "1. ",
    "2) ", "> ", "**", "**bold**", "**two words**", "** x**", "*", "*em*", "_", "__x__", "`", "\\", "<", ">", "&", "&amp;",
    "~", "|", "[", "]", "[label](https://example.com/a)", "[two words](http://example.com/a/b.c?d=e#f)",
    "[x](https://example.com/a b)", "[x](ftp://example.com/)", "![i](https://example.com/i.png)", "(https://example.com)",
    "https://example.com/bare", "\t", "\r", "\xa0", "\u2028", "\x0c", "    code", "===",
]


def markdown_html(text: str) -> str:
    from generator import markup

    converter, cleaner = markup._tools()
    return cleaner.clean(converter.reset().convert(text)).strip()


# Mostly what the fast path takes, so that it is tried often, with its edges.
PROSE = [
    "word", "Words", "sign-in", "é", "日本", "42", "1986", ",", ".", ":", "?", "!", "'", '"', "(", ")", "=", "#", "+", "-",
    "---", "===", " ", " ", " ", "\n", "\n\n", "- ", "\n- ", "1. ", "**", "*", "**bold**", "**two words**", "[", "]",
    "[label](https://example.com/a)", "[two words](http://example.com/a/b.c?d=e#f)", "https://example.com/bare",
]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40),
                 st.lists(st.sampled_from(PROSE), min_size=1, max_size=30)).map("".join))
def test_prose_gives_python_markdowns_html_or_nothing(text):
    from generator import markup

    out = markup._prose(text)
    if out is not None:
        _converter, cleaner = markup._tools()
        assert out == cleaner.clean(out) == markdown_html(text)  # as the cleaner leaves it


@pytest.mark.parametrize("text", [
    "Plain words.", "One\nwrapped\nparagraph.\n\nAnd **another** with [a link](https://example.com/x).",
    "Intro:\n\n- one **item**\n- [two](https://example.com/2)\n\nAfter the list.", "a**b**c (**d**) x [e f](https://e.com/a.) y",
])
def test_everyday_prose_takes_the_fast_path(text):
    from generator import markup

    assert markup._prose(text) is not None and markup.to_html(text) == markdown_html(text)


@pytest.mark.parametrize("text", [
    "- a\n\n- b", "a\n- b", "# Head", "x _y_ z", "a  \nb", " lead", "1. one", "[ref]", "a & b", "<b>x</b>", "`code`",
    "** a**", "*em*", "![i](https://example.com/i.png)", "\nx", "x\n", "a\n\n\nb", "---", "a\tb", "a\xa0b",
])
def test_anything_else_goes_to_python_markdown(text):
    from generator import markup

    assert markup._prose(text) is None
