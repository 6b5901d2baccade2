"""The demo site in headless Chromium: renders cleanly, its script, dark mode, phones, keyboard."""

from __future__ import annotations

import colorsys
import json
import re
from datetime import datetime, timedelta, timezone
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
TEXT_SELECTORS = ["body", "a", ".meta", ".hint", ".up", ".st", ".banner", ".tag", ".pill", ".legend li", ".foot p",
                  ".asof", "h1", "h2", "h3"]
# The overall status in every colour: the banner and the status words and badges in each.
BANNERS = ["ok", "minor", "major", "critical", "maint"]
WORDS = ["investigating", "identified", "monitoring", "update", "resolved", "postmortem",
         "scheduled", "in_progress", "verifying", "completed", "cancelled"]
BADGES = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"]
SAMPLES_JS = """([banners, words, badges]) => {
  const main = document.querySelector('main');
  for (const b of banners) main.insertAdjacentHTML('beforeend', `<p class="banner ind-${b}"><span class="i"></span>Sample</p>`);
  for (const w of words) main.insertAdjacentHTML('beforeend', `<p class="meta"><span class="pill w-${w}">Sample</span></p>`);
  for (const b of badges) main.insertAdjacentHTML('beforeend', `<p><span class="st st-${b}"><span class="i"></span>Sample</span></p>`);
}"""
# Fills that tell statuses apart: each pair of the five status colours differs in hue or lightness.
FILLS_JS = """() => ['o', 'd', 'p', 'm', 'w'].map(c => { const el = document.createElement('span'); el.className = 'sw ' + c;
  document.body.append(el); const v = getComputedStyle(el).backgroundColor; el.remove(); return v; })"""


def open_page(browser, url, **options):
    context = browser.new_context(**{"locale": "en-US", **options})
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


def test_times_follow_one_rule(browser, served_demo):
    """Without the script: the site's zone with its abbreviation. With it: the reader's zone, named."""
    upcoming = 'time[datetime="2026-12-02T05:00:00Z"]'
    context, page, _ = open_page(browser, served_demo, java_script_enabled=False)
    try:
        assert page.locator(".range", has=page.locator(upcoming)).first.inner_text() == "2 Dec, 06:00–07:00 CET"
        assert page.locator(".tz").inner_text() == "Times are shown in Europe/Berlin time."
        assert page.locator(".bar").count() == 9  # everything is there without the script
    finally:
        context.close()
    context, page, _ = open_page(browser, served_demo, timezone_id="America/New_York")
    try:
        text = page.locator(".range", has=page.locator(upcoming)).first.inner_text()
        # 12-hour for en-US without a leading zero, the date once, the zone named once, one relative phrase.
        assert text.startswith("Dec 2, 12:00") and "1:00 AM EST" in text and text.count("EST") == 1, text
        assert page.locator(upcoming).first.get_attribute("title") == "2 Dec, 06:00"  # the site's time stays at hand
        assert page.locator(".tz").inner_text() == "Times are shown in your time zone, America/New York."
        for line in page.locator(".meta, .asof").all():
            ago = line.evaluate("""el => [...el.querySelectorAll('[data-ago]')].length""")
            assert ago <= 1, line.inner_text()
    finally:
        context.close()
    context, page, _ = open_page(browser, served_demo, locale="en-GB", timezone_id="Asia/Kolkata")
    try:
        text = page.locator(".range", has=page.locator(upcoming)).first.inner_text()
        assert text.startswith("2 Dec, 10:30") and "11:30" in text and "AM" not in text, text
    finally:
        context.close()


def test_updated_agrees_with_the_api(browser, served_demo, built_demo):
    api = json.loads((built_demo / "api/v2/status.json").read_text())["page"]["updated_at"]
    expected = datetime.fromisoformat(api).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in ("", "history/", "components/api/", "incidents/2026-11-26-delayed-email-reminders/", "no-such-page"):
        page_file = built_demo / (path + "index.html" if path != "no-such-page" else "404.html")
        html = page_file.read_text(encoding="utf-8")
        assert f'Updated <time datetime="{expected}">26 Nov, 11:15 CET</time>' in html, path
    # An older incident's page says when that incident last changed, as its JSON does, not the site's time.
    own = json.loads((built_demo / "incidents/2026-11-19-asana-sync-failing.json").read_text())["updated_at"]
    own = datetime.fromisoformat(own).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    html = (built_demo / "incidents/2026-11-19-asana-sync-failing/index.html").read_text(encoding="utf-8")
    assert f'Updated <time datetime="{own}">' in html and own != expected


def test_the_stale_notice_follows_the_readers_clock(browser, served_demo):
    for minutes, shown in ((30, False), (3 * 60 + 5, True)):
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        page.clock.set_fixed_time(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes))
        page.goto(served_demo, wait_until="networkidle")
        notice = page.locator(".stale")
        assert notice.is_visible() == shown
        if shown:
            assert notice.inner_text().startswith("This page was last updated 3 hours ago.")
        context.close()
    context, page, _ = open_page(browser, served_demo, java_script_enabled=False)
    assert not page.locator(".stale").is_visible()  # a static page cannot know
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast(browser, served_demo, scheme):
    for path in ("", "incidents/2026-11-19-asana-sync-failing/"):
        context, page, _ = open_page(browser, served_demo + path, color_scheme=scheme)
        try:
            page.evaluate(SAMPLES_JS, [BANNERS, WORDS, BADGES])
            results = page.evaluate(CONTRAST_JS, TEXT_SELECTORS)
            assert len(results) > 40
            banners = [r for r in results if r["sel"] == ".banner"]
            assert len(banners) >= len(BANNERS)
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
            page.locator(".bar > li:visible").last.hover() if path == "" else None
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, (path, overflow)
        finally:
            context.close()


def test_status_colours_are_distinct(browser, served_demo):
    for scheme in ("light", "dark"):
        context, page, _ = open_page(browser, served_demo, color_scheme=scheme)
        fills = [tuple(int(v) / 255 for v in re.findall(r"[\d.]+", c)[:3]) for c in page.evaluate(FILLS_JS)]
        context.close()
        hls = [colorsys.rgb_to_hls(*f) for f in fills]
        for i in range(len(hls)):
            for j in range(i + 1, len(hls)):
                hue = abs(hls[i][0] - hls[j][0]) * 360
                hue = min(hue, 360 - hue)
                assert hue >= 15 or abs(hls[i][1] - hls[j][1]) >= .15, (scheme, fills[i], fills[j])


def test_phones_show_30_days_and_name_the_tap(browser, served_demo):
    context, page, _ = open_page(browser, served_demo, viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True)
    try:
        first = page.locator(".bar").first
        assert first.locator("li:visible").count() == 30
        hint = page.locator(".hint").inner_text()
        assert "Tap a bar" in hint and "Hover" not in hint and "last 30 days" in hint, hint
        box = page.locator(".bar-link").first.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24  # the bar is one target (WCAG 2.2 SC 2.5.8)
        page.locator(".bar-link").first.tap()
        page.wait_for_url("**/components/**#h-uptime")
        assert "Tap a day" in page.locator("#h-uptime ~ .hint").inner_text()
        days = page.locator(".days > li summary")
        assert days.count() == 90
        sizes = days.evaluate_all("els => els.filter(e => !e.closest('.x')).map(e => e.getBoundingClientRect())"
                                  ".map(r => [r.width, r.height])")
        assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), sizes[:3]
        quiet = page.locator(".days > li.o summary").first
        quiet.tap()
        assert "No downtime" in page.locator(".days > li.o details[open] .tip").inner_text()
        worst = page.locator(".days > li.d summary, .days > li.p summary, .days > li.m summary").first
        worst.tap()
        tip = page.locator(".days details[open] .tip")
        assert tip.count() == 1 and tip.locator("a").count() >= 1  # one open at a time, with the incident's link
    finally:
        context.close()
    context, page, _ = open_page(browser, served_demo, viewport={"width": 1440, "height": 900})
    try:
        assert page.locator(".bar").first.locator("li:visible").count() == 90
        hint = page.locator(".hint").inner_text()
        assert "Hover a day" in hint and "Tap" not in hint, hint
    finally:
        context.close()


def test_uptime_days_are_reachable_by_keyboard_without_script(browser, served_demo):
    """Home: each bar is one link to the component's days; there every day opens with Enter, no script needed."""
    context, page, _ = open_page(browser, served_demo, viewport={"width": 360, "height": 800}, java_script_enabled=False)
    try:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('bar-link')"):
                break
        else:
            pytest.fail("Tab never reached an uptime bar")
        name = page.evaluate("document.activeElement.innerText")
        assert "uptime and incidents by day" in name
        titled = page.locator(".bar > li[title]").first.get_attribute("title")  # mouse users: a tooltip
        assert ":" in titled
        page.keyboard.press("Enter")
        page.wait_for_url("**/components/**#h-uptime")
        assert not page.locator(".days .tip").first.is_visible()  # closed until asked
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.closest('.days') !== null"):
                break
        else:
            pytest.fail("Tab never reached a day on the component page")
        page.keyboard.press("Enter")
        tip = page.locator(".days details[open] .tip")
        assert tip.is_visible() and tip.inner_text().strip()
        for _ in range(120):  # on to a day with an incident
            page.keyboard.press("Tab")
            if page.evaluate("!!document.activeElement.closest('.d, .p, .m, .w')"):
                break
        page.keyboard.press("Enter")
        shown = page.locator(".days details[open] .tip").inner_text()
        assert "outage" in shown or "Degraded" in shown or "Maintenance" in shown, shown
    finally:
        context.close()


def test_history_says_when_months_are_quiet(served_demo, built_demo):
    html = (built_demo / "history" / "index.html").read_text(encoding="utf-8")
    months = re.findall(r"<h2>([A-Z][a-z]+ \d{4})</h2>\n(<p class=\"quiet\">)?", html)
    assert months[0][0] == "December 2026" and months[-1][0] == "December 2025"
    assert len(months) == 13  # every month in range, quiet or not


def test_404_shows_the_overall_status(built_demo):
    html = (built_demo / "404.html").read_text(encoding="utf-8")
    assert 'class="banner ind-minor"' in html and "Minor Service Outage" in html
