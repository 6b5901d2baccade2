"""Screenshots of the demo site: each page at 360, 768 and 1440 px, light and dark, as PNG.

    python tools/screenshots.py [--out docs/screenshots] [--site .] [--now "2026-11-26 12:00 UTC"]

Builds the demo at a fixed time, serves it on 127.0.0.1 and drives headless
Chromium through Playwright, with the reader's clock just after the build
(so no stale notice) and touch at phone width (so the hint says "Tap").
Each image is the page's top 860 CSS px at 1x, so the files stay small;
`make screenshots` runs this.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = {
    "home": "",
    "incident": "incidents/2026-11-19-asana-sync-failing/",
    "history": "history/",
    "component": "components/api/",
}
WIDTHS = (360, 768, 1440)
SCHEMES = ("light", "dark")
MAX_HEIGHT = 860  # the top of each page: all 24 images stay under 2 MB
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium() -> str:
    for path in CHROMIUM:
        if Path(path).exists():
            return path
    found = shutil.which("chromium")
    if not found:
        sys.exit("chromium is required (apt-get install chromium)")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--site", default=str(ROOT))
    parser.add_argument("--now", default="2026-11-26 12:00 UTC")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated: " + ", ".join(PAGES))
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    parser.add_argument("--timezone", default="Europe/Berlin", help="the reader's zone (the script shows it)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from generator.build import build
    from generator.timestamps import UTC, parse_timestamp

    now = parse_timestamp(args.now, UTC)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "output"
        build(Path(args.site), now, site)
        handler = functools.partial(Quiet, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"])
                for name in args.pages.split(","):
                    for width in map(int, args.widths.split(",")):
                        for scheme in SCHEMES:
                            phone = width < 600
                            context = browser.new_context(
                                viewport={"width": width, "height": 800}, color_scheme=scheme,
                                locale="en-GB", timezone_id=args.timezone, is_mobile=phone, has_touch=phone,
                            )
                            page = context.new_page()
                            page.clock.set_fixed_time(now + timedelta(minutes=10))  # the reader's clock: just after the build
                            page.goto(base + PAGES[name], wait_until="networkidle")
                            path = out / f"{name}-{width}-{scheme}.png"
                            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
                            page.screenshot(path=str(path), full_page=True,
                                            clip={"x": 0, "y": 0, "width": width, "height": height})
                            context.close()
                            print(path)
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
