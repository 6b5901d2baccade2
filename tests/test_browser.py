"""The demo site in headless Chromium: renders cleanly, its script, dark mode, phones, keyboard."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

# Relative luminance contrast of each text element against the nearest opaque background.
CONTRAST_JS = """
(selectors) => {
  function rgb(s) { const m = s.match(/[\\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; }
  function lum(c) { return [c.r, c.g, c.b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
                    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0); }
  function bg(el) { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0.5) return c; }
                    return rgb(getComputedStyle(document.documentElement).backgroundColor); }
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      const fg = rgb(getComputedStyle(el).color), b = bg(el);
      const [hi, lo] = [lum(fg), lum(b)].sort((x, y) => y - x);
      out.push({sel, text: el.textContent.trim().slice(0, 30), ratio: (hi + 0.05) / (lo + 0.05), color: getComputedStyle(el).color, bg: b});
    }
  }
  return out;
}
"""
TEXT_SELECTORS = ["body", "a", ".meta", ".hint", ".up", ".st", ".banner", ".tag", ".foot p", "h1", "h2", "h3"]


def open_page(browser, url, **options):
    context = browser.new_context(locale="en-US", **options)
    page = context.new_page()
    events = {"console": [], "failed": [], "requests": []}
    page.on("console", lambda m: m.type in ("error", "warning") and events["console"].append(m.text))
    page.on("pageerror", lambda e: events["console"].append(str(e)))
    page.on("requestfailed", lambda r: events["failed"].append(r.url))
    page.on("request", lambda r: events["requests"].append(r.url))
    page.on("response", lambda r: r.status >= 400 and events["failed"].append(f"{r.status} {r.url}"))
    page.goto(url, wait_until="networkidle")
    return context, page, events


@pytest.mark.parametrize("path", ["", "incidents/2026-11-19-asana-sync-failing/", "history/", "components/api/"])
def test_pages_render_cleanly_from_their_own_host(browser, served_demo, path):
    context, page, events = open_page(browser, served_demo + path)
    try:
        assert page.locator("h1").count() == 1
        assert events["console"] == []
        assert events["failed"] == []
        host = urlsplit(served_demo).netloc
        assert events["requests"] and all(urlsplit(u).netloc == host for u in events["requests"])
        assert any("/static/style." in u for u in events["requests"])
    finally:
        context.close()


def test_the_404_page_works_at_any_depth(browser, built_demo):
    from generator.serve import start_server

    server = start_server(built_demo, 0)  # like S3: 404.html for every missing path
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        context, page, events = open_page(browser, base + "no/such/deep/page/")
        assert page.locator("h1").inner_text() == "Page not found"
        assert events["failed"] == [f"404 {base}no/such/deep/page/"]  # the page itself, nothing else
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"  # the stylesheet loaded
        page.get_by_role("link", name="incident history").click()
        assert page.url == base + "history/" and page.locator("h1").inner_text() == "History"
        context.close()
    finally:
        server.shutdown()
        server.server_close()


def test_the_script_shows_local_time_next_to_utc(browser, served_demo):
    context, page, _ = open_page(browser, served_demo, timezone_id="America/New_York")
    try:
        upcoming = page.locator('time[datetime="2026-12-02T05:00:00Z"]').first
        text = upcoming.inner_text()
        assert "12:00 AM" in text and "EST" in text and "05:00 UTC" in text, text
        assert upcoming.get_attribute("data-ago")  # a relative phrase, e.g. "in 6 days"
    finally:
        context.close()
    context, page, _ = open_page(browser, served_demo, java_script_enabled=False)
    try:
        assert page.locator('time[datetime="2026-12-02T05:00:00Z"]').first.inner_text() == "2 Dec 2026, 05:00 UTC"
        assert page.locator(".bar").count() == 9  # everything is there without the script
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast(browser, served_demo, scheme):
    for path in ("", "incidents/2026-11-19-asana-sync-failing/"):
        context, page, _ = open_page(browser, served_demo + path, color_scheme=scheme)
        try:
            results = page.evaluate(CONTRAST_JS, TEXT_SELECTORS)
            assert len(results) > 20
            low = [r for r in results if r["ratio"] < 4.5]
            assert low == [], low
        finally:
            context.close()


def test_dark_mode_changes_the_colours(browser, served_demo):
    colours = {}
    for scheme in ("light", "dark"):
        context, page, _ = open_page(browser, served_demo, color_scheme=scheme)
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor + getComputedStyle(document.body).color")
        context.close()
    assert colours["light"] != colours["dark"]


@pytest.mark.parametrize("width", [360, 1440])
def test_no_horizontal_scroll(browser, served_demo, width):
    for path in ("", "incidents/2026-10-25-database-hardware-migration/", "history/", "components/email-notifications/"):
        context, page, _ = open_page(browser, served_demo + path, viewport={"width": width, "height": 800})
        try:
            page.locator(".bar > li").first.hover() if path == "" else None
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
        finally:
            context.close()


def test_uptime_days_are_reachable_by_keyboard(browser, served_demo):
    """Home: each bar is one link to the component's days; there every day with events takes focus."""
    context, page, _ = open_page(browser, served_demo, viewport={"width": 360, "height": 800})
    try:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('bar-link')"):
                break
        else:
            pytest.fail("Tab never reached an uptime bar")
        name = page.evaluate("document.activeElement.innerText")
        assert "uptime and incidents by day" in name
        # Mouse users get a tooltip on each day with events.
        titled = page.locator(".bar > li[title]").first.get_attribute("title")
        assert ":" in titled
        page.keyboard.press("Enter")
        page.wait_for_url("**/components/**#h-uptime")
        detail = page.locator(".bar > li[id] span").first
        assert detail.bounding_box()["width"] <= 1  # hidden until hovered or focused
        for _ in range(200):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.bar') !== null"):
                break
        else:
            pytest.fail("Tab never reached a day on the component page")
        shown = page.evaluate("""() => { const li = document.activeElement.closest('li');
            const s = li.querySelector('span'); return [s.getBoundingClientRect().width, s.innerText]; }""")
        assert shown[0] > 100 and ("outage" in shown[1] or "Degraded" in shown[1] or "Maintenance" in shown[1]), shown
    finally:
        context.close()
