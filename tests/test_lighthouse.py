"""Lighthouse scores 1.0 in performance, accessibility, best practices and SEO on the home, an
incident, the history and a component page of the demo, light and dark (issue 12, "Budgets that stay").

Lighthouse (npm, pinned in package-lock.json, installed by `make test`) runs from node through
tests/lighthouse.mjs: one node process, one Debian chromium, one fresh tab per page and scheme.
Dark is the page's own `prefers-color-scheme: dark`, emulated in the tab before Lighthouse loads the
page; the final screenshot of Lighthouse's trace proves it painted dark (or light), and the page
still matches the scheme when Lighthouse is done with it.

The reader's clock is the machine's: the demo is built at FIXED_NOW, days before any run, so the
home and incident pages are audited with the stale notice that time.js shows after the first paint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, find_chromium, serve_folder

PAGES = {
    "home": "",
    "incident": "incidents/2026-11-26-delayed-email-reminders/",  # active: it carries the stale notice too
    "history": "history/",
    "component": "components/api/",
}
SCHEMES = ("light", "dark")
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
# Lighthouse's default config: a phone's screen and user agent, a slow 4G network simulated over the
# page's own requests, and the default scoring for mobile. One change: the CPU is not slowed down 4x.
# The simulation multiplies the main-thread tasks measured on this shared 2-core machine, so the 4x made
# Total Blocking Time follow the other processes' load (0 to 130 ms for the same page, run after run;
# performance fell to 0.99 once in about fifteen runs) rather than the page. Every task over 50 ms still
# counts. The desktop preset would miss too much: on its wide window the stale notice, when it still
# pushed the page down, shifted the layout by 0.04 (scored 1), on the phone's by 0.17 (0.93). And
# throttling "provided" would time localhost, where no page is ever slow.
FLAGS = {"throttling": {"cpuSlowdownMultiplier": 1}}
# Mean brightness (0 black, 1 white) of the final screenshot: about 0.9 light and 0.15 dark here.
LIGHT_AT_LEAST, DARK_AT_MOST = 0.6, 0.35


def chromium() -> str:
    found = find_chromium()
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    return found


def lighthouse(jobs: list[dict]) -> list[dict]:
    """Run each job ({url, scheme, categories}) through tests/lighthouse.mjs, in one node and one chromium."""
    node = shutil.which("node")
    if not node:
        pytest.fail("node is required to run Lighthouse (apt-get install nodejs)")
    run = subprocess.run([node, str(ROOT / "tests" / "lighthouse.mjs")], input=json.dumps(
        {"chrome": chromium(), "flags": FLAGS, "jobs": jobs}), capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout)


def explain(result: dict) -> str:
    """The scores, then every audit that kept a category below 1, one a line."""
    lines = [f"{result['url']} ({result['scheme']}): {result['scores']}"]
    for f in result["failing"]:
        lines.append(f"  {f['category']}: {f['id']} {f['title']!r} {f['displayValue']} (score {f['score']})"
                     + "".join(f"\n      {item}" for item in f["items"]))
    lines += [f"  warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


def without_meta_description(built_demo: Path, folder: Path) -> Path:
    """A copy of the demo whose home page lost its `<meta name="description">`."""
    site = folder / "site"
    shutil.copytree(built_demo, site)
    home = site / "index.html"
    html = home.read_text(encoding="utf-8")
    start = html.index('<meta name="description"')
    home.write_text(html[:start] + html[html.index(">", start) + 1:], encoding="utf-8")
    return site


@pytest.fixture(scope="module")
def audits(built_demo, served_demo, node_tools, tmp_path_factory) -> dict:
    """{(page, scheme): result} for every page in both schemes, and for the home page without its
    description ("no-description", SEO only): all in one run, as chromium starts in seconds, not instantly."""
    jobs = {(page, scheme): {"url": served_demo + path, "scheme": scheme, "categories": CATEGORIES}
            for page, path in PAGES.items() for scheme in SCHEMES}
    broken_url, server = serve_folder(without_meta_description(built_demo, tmp_path_factory.mktemp("broken")))
    jobs["no-description", "light"] = {"url": broken_url, "scheme": "light", "categories": ["seo"]}
    try:
        results = lighthouse(list(jobs.values()))
    finally:
        server.shutdown()
    return dict(zip(jobs, results, strict=True))


@pytest.mark.browser
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("page", PAGES)
def test_lighthouse_scores_one_everywhere(audits, page, scheme):
    result = audits[page, scheme]
    settings = result["settings"]
    assert (settings["formFactor"], settings["width"], settings["throttlingMethod"]) == ("mobile", 412, "simulate")
    assert settings["throttling"]["cpuSlowdownMultiplier"] == 1 and settings["throttling"]["rttMs"] == 150
    assert sorted(result["scores"]) == sorted(CATEGORIES), explain(result)
    assert all(score == 1.0 for score in result["scores"].values()), explain(result)
    # The scheme took: the page Lighthouse saw was painted light, or dark, and still matched it at the end.
    assert result["darkAtEnd"] == (scheme == "dark")
    if scheme == "dark":
        assert result["brightness"] <= DARK_AT_MOST, result["brightness"]
    else:
        assert result["brightness"] >= LIGHT_AT_LEAST, result["brightness"]


@pytest.mark.browser
def test_lighthouse_fails_a_page_without_a_meta_description(audits):
    """The audit can fail: the home page without its description scores below 1 in SEO, and says why."""
    result = audits["no-description", "light"]
    assert result["scores"]["seo"] < 1, explain(result)
    assert [f["id"] for f in result["failing"]] == ["meta-description"], explain(result)
