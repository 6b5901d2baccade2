"""The Nu Html Checker (npm vnu-jar, run with `java -jar`) reports no errors on any page.

Every HTML page of the demo (in English, German, Japanese and Arabic), the offline page, and the
pages of a site written to be hostile (Markdown full of raw HTML, scripts, odd links and Unicode)
are checked in one run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import pytest

from tests.scratch import write_site

HOSTILE = textwrap.dedent("""\
    ---
    title: "<script>alert(1)</script> & \\"quotes\\" ‮ RTL <b>bold</b>"
    components: {api: major_outage, web: partial_outage}
    ---
    ## 2026-11-26 10:00 UTC — Resolved
    <div onclick="x()">raw <i>html</i> <table><tr><td>cell</table></div>
    <img src=x onerror=alert(1)> <iframe src="https://evil.example/"></iframe>
    [a javascript link](javascript:alert(1)) [data](data:text/html,hi) <https://ok.example/?a=1&b=2>
    | a | b |
    |---|---|
    | <style>p{}</style> | `code <x>` |

    ```html
    </code></pre><script>bad()</script>
    ```
    <!-- a comment --> <svg><circle r=1 /></svg> <form action=x><input></form> &bogus; &#0; &#x110000;
    ## 2026-11-26 09:00 UTC — Investigating
    # heading one inside
    * list <li>stray
    > quote <blockquote>
    """)


def java() -> str:
    found = shutil.which("java")
    if not found:
        pytest.fail("java is required to run the Nu Html Checker (apt-get install default-jre-headless)")
    return found


def vnu(node_tools, files) -> list[dict]:
    jar = node_tools / "vnu-jar" / "build" / "dist" / "vnu.jar"
    run = subprocess.run([java(), "-jar", str(jar), "--errors-only", "--format", "json", *map(str, files)],
                         capture_output=True, text=True, timeout=600)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    return [f"{m.get('url', '').rsplit('/output/', 1)[-1]}:{m.get('lastLine')}: {m.get('message')}" for m in messages]


def test_every_page_is_valid_html(built_demo, demo_in, node_tools, tmp_path):
    from datetime import datetime, timezone

    from generator.build import build

    site = write_site(tmp_path / "hostile", {"2026-11-26-hostile": HOSTILE})
    out = tmp_path / "hostile" / "output"
    build(site, datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc), out)
    pages = sorted(built_demo.rglob("*.html")) + sorted(out.rglob("*.html"))
    assert len(pages) > 50 and (out / "incidents" / "2026-11-26-hostile" / "index.html") in pages
    for language in ("de", "ja", "ar"):  # the theme in other languages, one right to left
        pages += sorted(demo_in(language).rglob("*.html"))
    assert vnu(node_tools, pages) == []
