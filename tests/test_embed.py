"""embed.js in headless Chromium, included by a page on another origin, as a customer's app would."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import tarfile
import threading
from datetime import datetime, timezone

import pytest

from generator.build import build
from tests.conftest import QuietHandler
from tests.scratch import write_site

EMBED_LIMIT = 3 * 1024
WIDGET_VERSION = "1.0.5"


class CORSHandler(QuietHandler):
    """The bucket as docs/embed.md configures it: GET from any origin."""

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def serve(folder, handler=QuietHandler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


@pytest.fixture
def serving():
    servers = []

    def start(folder, handler=QuietHandler):
        url, server = serve(folder, handler)
        servers.append(server)
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def host_page(serving, tmp_path, status_url):
    """The customer's app: another origin (another port), one script tag."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "index.html").write_text(
        f'<!doctype html><html lang="en"><title>App</title><link rel="icon" href="data:,"><main><h1>My app</h1></main>'
        f'<script src="{status_url}embed.js" async></script></html>',
        encoding="utf-8",
    )
    url = serving(app)
    assert url.split(":")[2] != status_url.split(":")[2]
    return url


def open_page(browser, url):
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    return page, problems


def settle(page):
    """Wait until embed.js has fetched summary.json and had time to act on it."""
    page.wait_for_function("performance.getEntriesByType('resource').some(e => e.name.endsWith('api/v2/summary.json'))")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)


def test_embed_is_small_and_standalone(built_demo):
    data = (built_demo / "embed.js").read_bytes()
    assert len(data) <= EMBED_LIMIT
    text = data.decode()
    assert "import " not in text and "require(" not in text and "http" not in text.replace("https://", "")


@pytest.mark.browser
def test_banner_shows_during_the_demo_incident(browser, built_demo, serving, tmp_path):
    status = serving(built_demo, CORSHandler)
    summary = json.loads((built_demo / "api/v2/summary.json").read_text())
    incident = summary["incidents"][0]
    page, problems = open_page(browser, host_page(serving, tmp_path, status))
    banner = page.locator("#statusgen-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert banner.get_attribute("role") == "status"
    link = banner.locator("a")
    assert link.inner_text() == incident["name"]
    assert link.get_attribute("href") == incident["shortlink"]
    assert incident["status"] in banner.inner_text()
    # Dismissed: gone, and stays gone for this incident after a reload.
    banner.get_by_role("button", name="Dismiss status message").click()
    assert page.locator("#statusgen-banner").count() == 0
    page.reload()
    settle(page)
    assert page.locator("#statusgen-banner").count() == 0
    stored = page.evaluate("localStorage.getItem('statusgen-embed-dismissed')")
    assert incident["id"] in json.loads(stored)
    assert problems == []
    page.close()


@pytest.mark.browser
def test_no_banner_without_the_bucket_cors_rule(browser, built_demo, serving, tmp_path):
    # Proves the CORS rule in docs/embed.md is needed: without it the browser blocks the JSON.
    status = serving(built_demo)
    page, problems = open_page(browser, host_page(serving, tmp_path, status))
    settle(page)
    assert page.locator("#statusgen-banner").count() == 0
    assert any("CORS" in p for p in problems)
    page.close()


@pytest.mark.browser
def test_no_banner_when_all_is_operational(browser, serving, tmp_path):
    quiet = """
        ---
        title: Old trouble
        components: {api: major_outage}
        ---
        ## 2026-11-20 11:00 UTC — Resolved
        Fixed.
        ## 2026-11-20 10:00 UTC — Investigating
        Down.
    """
    root = write_site(tmp_path / "site", {"old": quiet})
    build(root, datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc), tmp_path / "out")
    summary = json.loads((tmp_path / "out/api/v2/summary.json").read_text())
    assert summary["incidents"] == [] and summary["scheduled_maintenances"] == []
    status = serving(tmp_path / "out", CORSHandler)
    page, problems = open_page(browser, host_page(serving, tmp_path, status))
    settle(page)
    assert page.locator("#statusgen-banner").count() == 0
    assert problems == []
    page.close()


@pytest.mark.browser
def test_banner_for_maintenance_in_progress(browser, serving, tmp_path):
    running = """
        ---
        title: Database upgrade
        type: maintenance
        components: [api]
        start: 2026-11-26 11:00 UTC
        end: 2026-11-26 13:00 UTC
        ---
        ## 2026-11-26 11:00 UTC — In progress
        Started.
        ## 2026-11-20 09:00 UTC — Scheduled
        Planned.
    """
    root = write_site(tmp_path / "site", {"upgrade": running})
    # Served under a subpath: embed.js finds the API beside itself, not at the host's root.
    build(root, datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc), tmp_path / "www" / "status")
    status = serving(tmp_path / "www", CORSHandler) + "status/"
    page, problems = open_page(browser, host_page(serving, tmp_path, status))
    banner = page.locator("#statusgen-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert "Database upgrade" in banner.inner_text() and "in progress" in banner.inner_text()
    assert banner.locator("a").get_attribute("href") == "https://status.example.com/incidents/upgrade/"
    assert problems == []
    page.close()


@pytest.fixture(scope="session")
def statuspage_widget(tmp_path_factory):
    """Atlassian's own embed widget (@statuspage/status-widget on npm), which reads /api/v2/summary.json."""
    npm = shutil.which("npm")
    if not npm:
        if os.environ.get("CI"):
            pytest.fail("npm is required under CI=true to fetch @statuspage/status-widget")
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("widget")
    done = subprocess.run([npm, "pack", f"@statuspage/status-widget@{WIDGET_VERSION}", "--silent"], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with tarfile.open(folder / done.stdout.strip().splitlines()[-1]) as tar:
        return tar.extractfile("package/dist/index.js").read()


@pytest.mark.browser
def test_statuspage_own_widget_reads_our_api(browser, built_demo, serving, tmp_path, statuspage_widget):
    """A client written for Statuspage, pointed at our site, works unchanged."""
    status = serving(built_demo, CORSHandler)
    summary = json.loads((built_demo / "api/v2/summary.json").read_text())
    app = tmp_path / "widget-app"
    app.mkdir()
    (app / "widget.js").write_bytes(statuspage_widget)
    (app / "index.html").write_text(
        f'<!doctype html><html lang="en"><title>App</title><link rel="icon" href="data:,">'
        f'<statuspage-widget src="{status}"></statuspage-widget><script src="widget.js"></script></html>',
        encoding="utf-8",
    )
    page, _ = open_page(browser, serving(app))
    text = "statuspage-widget >> .status-text"  # Playwright's CSS pierces the shadow root
    page.wait_for_selector(text, timeout=10_000)
    assert page.locator(text).inner_text().strip() == summary["status"]["description"]
    indicator = page.locator("statuspage-widget >> .status-indicator")
    assert summary["status"]["indicator"] in indicator.get_attribute("class").split()
    page.close()
