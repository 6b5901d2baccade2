"""Hostile incident files give safe pages: nothing in them runs script on the status page."""

from __future__ import annotations

import html5lib
import pytest

from generator.build import build
from tests.conftest import FIXED_NOW
from tests.scratch import write_site

HOSTILE = {
    "2026-11-20-script-tags": """
        ---
        title: <script>alert("title")</script> Broken <b>title
        components:
          api: partial_outage
        ---
        Summary with <script>alert(1)</script> and <style>body{display:none}</style>.

        ## 2026-11-20 11:00 UTC — Resolved
        <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">click</a>
        [markdown link](javascript:alert(4)) ![img](https://evil.example/x.png)
        <iframe src="https://evil.example/"></iframe>
        <svg onload=alert(5)><a xlink:href="javascript:alert(6)">x</a></svg>

        ## 2026-11-20 10:00 UTC — Investigating
        <div onclick="alert(7)" style="position:fixed">Unclosed <table><tr><td>cell
        <p>broken <em>nesting</b></p> <a href="data:text/html,<script>alert(8)</script>">data</a>
        <form action="https://evil.example/"><input name=x></form>
        <meta http-equiv="refresh" content="0;url=https://evil.example/">
        <base href="https://evil.example/">
        <a href=" JaVaScRiPt:alert(9)">spaced</a> <a href="vbscript:msgbox(10)">vb</a>
        """,
    "2026-11-21-attribute-breakout": """
        ---
        title: 'Quote " onmouseover="alert(11)'
        components:
          web: degraded_performance
        ---
        ## 2026-11-21 10:00 UTC — Resolved
        "><script>alert(12)</script> `<script>alert(13)</script>` is shown as code.
        """,
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("hostile"), HOSTILE)
    build(root, FIXED_NOW, root / "output")
    return root / "output"


def pages(out):
    return sorted(p for p in out.rglob("*.html") if p.name != "offline.html")


def test_no_script_handler_or_javascript_url_reaches_a_page(hostile_site):
    assert (hostile_site / "incidents" / "2026-11-20-script-tags" / "index.html").is_file()
    for page in pages(hostile_site):
        doc = html5lib.parse(page.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)
        for el in doc.iter():
            tag = el.tag if isinstance(el.tag, str) else ""
            assert tag not in ("iframe", "img", "form", "input", "style", "svg", "base", "object", "embed"), (page, tag)
            if tag == "meta":
                assert el.get("http-equiv") in (None, "Content-Security-Policy"), page
            if tag == "script":
                assert el.get("src", "").startswith(("static/", "../", "/")) and not (el.text or "").strip(), page
            for name, value in el.items():
                assert not name.lower().startswith("on"), (page, name)
                assert name != "style", page
                if name in ("href", "src", "action"):
                    low = value.strip().lower()
                    assert not low.startswith(("javascript:", "vbscript:", "data:text")), (page, value)
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text and "<script>" not in text.replace("<script src=", "")


def test_hostile_text_is_shown_escaped(hostile_site):
    page = (hostile_site / "incidents" / "2026-11-20-script-tags" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; Broken &lt;b&gt;title" in page
    assert "<script>alert" not in page
    assert "cell" in page and "Unclosed" in page  # broken HTML is repaired, its text kept
    breakout = (hostile_site / "incidents" / "2026-11-21-attribute-breakout" / "index.html").read_text(encoding="utf-8")
    assert 'onmouseover="alert' not in breakout and "&#34; onmouseover=&#34;alert(11)" in breakout
    assert "<code>&lt;script&gt;alert(13)&lt;/script&gt;</code>" in breakout


def test_hostile_pages_are_still_valid_html(hostile_site):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in pages(hostile_site):
        parser.parse(page.read_bytes())
