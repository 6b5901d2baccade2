"""The built site's pages: structure, validity, safety headers, size, determinism, serve."""

from __future__ import annotations

import re
import shutil
import urllib.request
from datetime import timedelta
from pathlib import Path

import html5lib
import pytest

from generator.build import build
from generator.build import render_site
from generator.themes import ThemeError
from generator.status import snapshot
from generator.content import load
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import write_site

OUR_PAGES = ("index.html", "404.html", "history/index.html", "incidents/*/index.html", "components/*/index.html")


def our_pages(out: Path) -> list[Path]:
    return sorted(p for pattern in OUR_PAGES for p in out.glob(pattern))


def tree(path: Path):
    return html5lib.parse(path.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)


def test_every_page_is_valid_html5(built_demo):
    pages = our_pages(built_demo)
    assert len(pages) > 40
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for page in pages:
        parser.parse(page.read_bytes())  # raises on any parse error
        doc = tree(page)
        ids = [el.get("id") for el in doc.iter() if el.get("id")]
        assert len(ids) == len(set(ids)), f"{page}: duplicate ids"
        assert doc.get("lang") == "en"
        assert len(doc.findall(".//h1")) == 1, page
        for landmark in ("header", "nav", "main", "footer"):
            assert doc.find(f".//{landmark}") is not None, f"{page}: no <{landmark}>"


def test_pages_load_only_their_own_assets(built_demo):
    for page in our_pages(built_demo):
        text = page.read_text(encoding="utf-8")
        doc = tree(page)
        csp = [m.get("content") for m in doc.iter("meta") if m.get("http-equiv") == "Content-Security-Policy"]
        assert csp and "default-src 'self'" in csp[0] and "unsafe" not in csp[0] and "http" not in csp[0]
        scripts = doc.findall(".//script")
        assert len(scripts) == 1 and scripts[0].get("src") and not (scripts[0].text or "").strip()
        assert "<style" not in text
        assert not any(el.get("style") for el in doc.iter()), page
        assert not any(k.startswith("on") for el in doc.iter() for k in el.keys()), page
    script = next(built_demo.glob("static/time.*.js"))
    assert script.stat().st_size <= 3 * 1024


def test_static_assets_have_content_hashes(built_demo):
    names = sorted(p.name for p in (built_demo / "static").iterdir())
    assert any(re.fullmatch(r"style\.[0-9a-f]{8}\.css", n) for n in names), names
    assert any(re.fullmatch(r"time\.[0-9a-f]{8}\.js", n) for n in names), names
    home = (built_demo / "index.html").read_text(encoding="utf-8")
    for name in names:
        assert f"static/{name}" in home


def test_canonical_social_and_feed_links(built_demo):
    page = tree(built_demo / "incidents" / "2026-11-19-asana-sync-failing" / "index.html")
    links = {(l.get("rel"), l.get("type")): l.get("href") for l in page.iter("link")}
    assert links[("canonical", None)] == "https://status.hourglass.example/incidents/2026-11-19-asana-sync-failing/"
    assert links[("alternate", "application/rss+xml")] == "../../history.rss"
    assert links[("alternate", "application/atom+xml")] == "../../history.atom"
    meta = {m.get("property"): m.get("content") for m in page.iter("meta") if m.get("property")}
    assert meta["og:title"] == "Asana sync failing"
    assert meta["og:site_name"] == "Hourglass Status"
    assert meta["og:url"] == links[("canonical", None)]
    assert meta["og:description"].startswith("Live and historical status of Hourglass")
    component = (built_demo / "components" / "api" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../components/api/history.rss"' in component
    assert 'href="../../components/api/history.atom"' in component
    home = (built_demo / "index.html").read_text(encoding="utf-8")
    assert 'href="webcal://status.hourglass.example/maintenance.ics"' in home


def test_home_page_shows_the_state_at_now(built_demo):
    home = (built_demo / "index.html").read_text(encoding="utf-8")
    assert "Active incidents" in home and "Delayed email reminders" in home
    assert "data-refresh" in home  # an incident is active: the script may reload the page
    assert "Message queue cluster upgrade" in home  # upcoming maintenance
    # In the site's zone with its abbreviation; a range on one day gives the date once.
    assert ('<span class="range"><time datetime="2026-12-02T05:00:00Z">2 Dec, 06:00</time>–'
            '<time datetime="2026-12-02T06:00:00Z">07:00 CET</time></span>') in home
    for name in ("Web app", "API", "Apps", "iPhone app", "Payments"):
        assert f">{name}<" in home
    assert home.count('<ol class="bar"') == 9
    assert re.search(r"\d+\.\d\d% uptime", home)


def test_home_page_fits_in_50_kb(built_demo):
    html = (built_demo / "index.html").stat().st_size
    css = sum(p.stat().st_size for p in (built_demo / "static").glob("*.css"))
    assert html + css <= 50 * 1024


def test_incident_page_has_the_full_timeline(built_demo):
    path = built_demo / "incidents" / "2026-11-19-asana-sync-failing" / "index.html"
    doc = tree(path)
    items = doc.findall(".//ol[@class='timeline']/li")
    stamps = [li.find(".//time").get("datetime") for li in items]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 3
    for li in items:
        assert li.get("id").startswith("update-")
        assert li.find(".//a[@class='perma']").get("href") == "#" + li.get("id")
    text = path.read_text(encoding="utf-8")
    assert "Resolved" in text and "Identified" in text and "Investigating" in text
    assert "Resolved after 1 h 10 min" in text


def test_postmortem_and_emergency_maintenance(built_demo):
    pages = {p.parent.name: p.read_text(encoding="utf-8") for p in built_demo.glob("incidents/*/index.html")}
    assert any('class="u-postmortem"' in t and ">Postmortem<" in t for t in pages.values())
    emergency = pages["2026-03-19-emergency-load-balancer-security-update"]
    assert "Emergency maintenance" in emergency and "Window" in emergency


def test_history_is_paginated_newest_first(tmp_path):
    incidents = {}
    for i in range(120):
        day = FIXED_NOW - timedelta(days=3 * i + 1)
        incidents[f"{day:%Y-%m-%d}-event-{i:03d}"] = f"""
            ---
            title: Event number {i}
            components:
              api: partial_outage
            ---
            ## {day:%Y-%m-%d} 10:00 UTC — Investigating
            Looking.

            ## {day:%Y-%m-%d} 11:00 UTC — Resolved
            Fixed.
            """
    write_site(tmp_path, incidents)
    build(tmp_path, FIXED_NOW, tmp_path / "output")
    out = tmp_path / "output"
    pages = [out / "history" / "index.html", out / "history" / "2" / "index.html", out / "history" / "3" / "index.html"]
    assert all(p.is_file() for p in pages) and not (out / "history" / "4").exists()
    titles = [int(m) for p in pages for m in re.findall(r">Event number (\d+)</a>", p.read_text(encoding="utf-8"))]
    assert titles == list(range(120))  # every event once, newest first, across pages
    first = pages[0].read_text(encoding="utf-8")
    assert 'href="2/"' not in first and 'href="../history/2/"' in first and "<h2>November 2026</h2>" in first
    assert 'href="../../history/"' in pages[1].read_text(encoding="utf-8")  # back to page 1


def test_two_builds_are_byte_identical(tmp_path):
    a = build(ROOT, FIXED_NOW, tmp_path / "a").out
    b = build(ROOT, FIXED_NOW, tmp_path / "b").out
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_pages_whose_inputs_did_not_change_stay_identical():
    content, _ = load(ROOT)
    now = render_site(snapshot(content, FIXED_NOW), ROOT)
    later = render_site(snapshot(content, FIXED_NOW + timedelta(minutes=30)), ROOT)
    resolved = "incidents/2026-11-19-asana-sync-failing/index.html"
    assert now[resolved] == later[resolved]
    assert now["history/index.html"] == later["history/index.html"]


def test_a_missing_theme_is_a_clear_error(tmp_path):
    write_site(tmp_path, {}, extra_site="theme: nosuch\n")
    with pytest.raises(ThemeError, match=r'theme "nosuch" not found'):
        build(tmp_path, FIXED_NOW, tmp_path / "output")


def test_serve_rebuilds_and_keeps_the_last_good_build(tmp_path):
    from tests.serving import serving, wait_for

    shutil.copytree(ROOT / "content", tmp_path / "content")
    with serving(tmp_path, FIXED_NOW) as served:
        messages, url = served.messages, served.url
        assert url.startswith("http://127.0.0.1:")
        site_yaml = tmp_path / "content" / "site.yaml"
        site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("Hourglass Status", "Renamed Status"), encoding="utf-8")
        assert wait_for(lambda: b"Renamed Status" in urllib.request.urlopen(url).read()), messages
        broken = tmp_path / "content" / "incidents" / "2026-11-30-broken.md"
        broken.write_text("---\ntitle: Broken\ncomponents:\n  nosuch: major_outage\n---\n", encoding="utf-8")
        assert wait_for(lambda: any("nosuch" in m for m in messages)), messages
        assert any("still serving the last good build" in m for m in messages)
        assert b"Renamed Status" in urllib.request.urlopen(url).read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "no/such/page/")
        assert missing.value.code == 404 and b"Page not found" in missing.value.read()
