"""Shared fixtures: the demo site, built at a fixed time, served, and a browser."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `statusgen init` locks requirements.txt by asking pip to resolve through the
# package index. The tests that init a site check the files, not the lock: they
# skip it (tests/test_lock.py and tests/test_adoption.py lock for real, offline).
os.environ.setdefault("STATUSGEN_INIT_LOCK", "0")
# The fixed "now" for golden files and browser tests: the demo has an active
# incident and an upcoming maintenance at this time.
FIXED_NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


@pytest.fixture
def key_home(tmp_path, monkeypatch) -> Path:
    """This user's cache key folder (XDG_CACHE_HOME), in the test's own temporary folder."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def demo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory) -> Path:
    """The demo site built once per session at FIXED_NOW."""
    from generator.build import build

    out = tmp_path_factory.mktemp("demo") / "output"
    build(ROOT, FIXED_NOW, out)
    return out


@pytest.fixture(scope="session")
def demo_in(tmp_path_factory):
    """The demo site in another language, built once per session at FIXED_NOW: `demo_in("de")` is its output."""
    import re

    from generator.build import build

    built: dict[str, Path] = {}

    def build_in(language: str) -> Path:
        if language not in built:
            root = tmp_path_factory.mktemp(f"demo-{language}")
            shutil.copytree(ROOT / "content", root / "content")
            settings = root / "content" / "site.yaml"
            settings.write_text(re.sub(r"(?m)^language: .*$", f"language: {language}", settings.read_text(encoding="utf-8")),
                                encoding="utf-8")
            build(root, FIXED_NOW, root / "output")
            built[language] = root / "output"
        return built[language]

    return build_in


def serve_folder(folder: Path):
    """Serve `folder` on 127.0.0.1 on a free port; returns (base URL, server)."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_demo(built_demo):
    url, server = serve_folder(built_demo)
    yield url
    server.shutdown()


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright. Skips locally without it; fails under CI."""
    executable = find_chromium()
    if not executable:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """node_modules/ with axe-core, vnu-jar and lighthouse, as `make test` installs them (npm ci). Fails under CI without them."""
    folder = ROOT / "node_modules"
    missing = [p for p in ("axe-core/axe.min.js", "vnu-jar/build/dist/vnu.jar", "lighthouse/package.json")
               if not (folder / p).is_file()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"missing {', '.join(missing)} under node_modules/: run npm ci (make test does)")
        pytest.skip("node_modules is not installed: run npm ci")
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failure: CI must run everything the README promises."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"
