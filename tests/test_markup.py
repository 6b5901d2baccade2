"""markup: Markdown to safe HTML, and to plain text that keeps its shape (for the API and the calendar)."""

from __future__ import annotations

import pytest

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
