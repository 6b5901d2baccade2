"""`offline.html`: self-contained, small, names the right maintenance, makes no request."""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.content import load
from generator.offline import render_offline
from generator.status import snapshot
from tests.conftest import FIXED_NOW, ROOT

UTC = timezone.utc
LIMIT = 10 * 1024


def offline(root: Path, now: datetime) -> str:
    content, problems = load(root)
    assert not problems.errors, problems.errors
    return render_offline(snapshot(content, now), root)["offline.html"].decode()


class Parts(HTMLParser):
    """Every tag with its attributes, and the text of <style> and <script>."""

    def __init__(self):
        super().__init__()
        self.tags, self.inline, self._in = [], {"style": [], "script": []}, None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.inline else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline[self._in].append(data)


def parts(html: str) -> Parts:
    p = Parts()
    p.feed(html)
    return p


DEMO_TIMES = [
    FIXED_NOW,  # an incident open, the queue upgrade upcoming
    datetime(2026, 12, 2, 5, 30, tzinfo=UTC),  # the upgrade in progress
    datetime(2026, 12, 3, 12, 0, tzinfo=UTC),  # nothing planned
]


@pytest.mark.parametrize("now", DEMO_TIMES)
def test_small_and_self_contained(now):
    html = offline(ROOT, now)
    assert len(html.encode()) < LIMIT
    p = parts(html)
    for tag, attrs in p.tags:
        assert "src" not in attrs, tag
        if tag == "link":
            assert attrs == {"rel": "icon", "href": "data:,"}  # stops the browser asking for /favicon.ico
        if tag == "a":
            assert attrs["href"].startswith("https://status.hourglass.example/"), attrs  # absolute: served anywhere
    css = "".join(p.inline["style"])
    assert "url(" not in css and "@import" not in css
    assert "fetch(" not in html and "XMLHttpRequest" not in html


def test_csp_allows_exactly_the_inline_style_and_script():
    p = parts(offline(ROOT, FIXED_NOW))
    (csp,) = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp.startswith("default-src 'none';")
    for kind, directive in (("style", "style-src"), ("script", "script-src")):
        (text,) = p.inline[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_names_the_next_maintenance_and_the_open_incident():
    html = offline(ROOT, FIXED_NOW)
    assert "Temporarily unavailable" in html and "Our next planned maintenance:" in html
    assert '<a href="https://status.hourglass.example/incidents/2026-12-02-message-queue-upgrade/">Message queue cluster upgrade</a>' in html
    assert '<time datetime="2026-12-02T05:00:00Z">Wed 2 Dec 2026, 05:00–06:00 UTC</time>' in html
    assert 'data-start="2026-12-02T05:00:00Z" data-end="2026-12-02T06:00:00Z"' in html
    assert "Delayed email reminders" in html and "Monitoring" in html
    assert '<a href="https://status.hourglass.example/">status.hourglass.example</a>' in html


def test_names_the_maintenance_in_progress():
    html = offline(ROOT, DEMO_TIMES[1])
    assert "Maintenance in progress" in html and "Message queue cluster upgrade" in html
    assert "next planned" not in html


def test_nothing_planned():
    html = offline(ROOT, DEMO_TIMES[2])
    assert "Temporarily unavailable" in html
    assert "next planned maintenance" not in html and "<time" not in html


def make_site(root: Path, incidents: dict[str, str]) -> Path:
    (root / "content" / "incidents").mkdir(parents=True)
    (root / "content" / "site.yaml").write_text("title: Acme <Status>\nurl: https://acme.example/status/\nlanguage: de\n")
    (root / "content" / "components.yaml").write_text("- id: api\n  name: API\n")
    for name, text in incidents.items():
        (root / "content" / "incidents" / f"{name}.md").write_text(textwrap.dedent(text).lstrip())
    return root


def maint(title, start, end, *updates, extra=""):
    body = "\n".join(f"## {u}\nText.\n" for u in updates)
    return f"---\ntitle: {title}\ntype: maintenance\ncomponents: [api]\nstart: {start}\nend: {end}\n{extra}---\n\n{body}"


def test_emergency_cancelled_and_the_nearest_upcoming(tmp_path):
    root = make_site(tmp_path, {
        "later": maint("Later one", "2026-12-10 22:00 UTC", "2026-12-11 02:00 UTC", "2026-11-20 10:00 UTC — Scheduled"),
        "sooner": maint("Sooner one", "2026-12-08 22:00 UTC", "2026-12-09 01:00 UTC", "2026-11-20 10:00 UTC — Scheduled"),
        "off": maint("Called off", "2026-12-01 22:00 UTC", "2026-12-01 23:00 UTC", "2026-11-20 10:00 UTC — Scheduled",
                     "2026-11-21 10:00 UTC — Cancelled"),
        "now": maint("Urgent patch", "2026-11-26 11:00 UTC", "2026-11-26 13:00 UTC", "2026-11-26 10:30 UTC — Scheduled",
                     extra="emergency: true\n"),
    })
    during = offline(root, FIXED_NOW)
    # The site speaks German: the page's words and dates are the German theme's.
    assert "Notfallwartung" in during and "Urgent patch" in during and "Sooner one" not in during
    assert '<html lang="de">' in during and "Acme &lt;Status&gt;" in during and 'data-label="Ihre Zeit"' in during
    after = offline(root, datetime(2026, 11, 27, tzinfo=UTC))
    assert "Sooner one" in after and "Later one" not in after and "Called off" not in after
    assert "Di., 8. Dez. 2026, 22:00 UTC – Mi., 9. Dez. 2026, 01:00 UTC" in after  # spans midnight: both dates
    assert 'href="https://acme.example/status/incidents/sooner/"' in after


def test_deterministic():
    assert offline(ROOT, FIXED_NOW) == offline(ROOT, FIXED_NOW)


def test_written_by_the_build(built_demo):
    html = (built_demo / "offline.html").read_text()
    assert html == offline(ROOT, FIXED_NOW)


@pytest.mark.browser
def test_in_the_browser_no_request_and_fits_360px(browser, served_demo):
    url = served_demo + "offline.html"
    context = browser.new_context(viewport={"width": 360, "height": 740}, timezone_id="America/New_York", locale="en-US")
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(300)
        assert requests == [url]
        assert errors == []  # a CSP violation (a wrong hash) would show here
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        local = page.text_content(".local")
        # 05:00–06:00 UTC on 2 December is 00:00–01:00 in New York.
        assert re.search(r"Your time \(America/New York\): Wed, Dec 2, 12:00\sAM – 01:00\sAM", local), local
        assert page.text_content("h1") == "We'll be back soon"
    finally:
        context.close()
