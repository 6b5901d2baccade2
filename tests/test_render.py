"""Rendering (generator/render.py): the theme's pages from a snapshot, pure of the clock and the disk's state."""

from __future__ import annotations

from generator.render import event_pages, render_pages
from generator.status import snapshot
from generator.timestamps import UTC, parse_timestamp
from tests.scratch import load_site, resolved_incidents

NOW = parse_timestamp("2026-11-28 12:00 UTC", UTC)


def test_the_site_wide_pages_and_one_page_per_event(tmp_path):
    content = load_site(tmp_path, resolved_incidents(3))
    snap = snapshot(content, NOW)
    pages = render_pages(snap, tmp_path)
    assert {"index.html", "404.html", "history/index.html", "components/api/index.html"} <= set(pages)
    assert any(path.startswith("static/") for path in pages)  # the theme's assets, content-hashed
    page = event_pages(snap, tmp_path)
    (path, html), = page("i01").items()
    assert path == "incidents/i01/index.html" and b"<h1>Incident 1</h1>" in html


def test_links_are_relative_so_the_site_works_under_any_prefix(tmp_path):
    content = load_site(tmp_path, resolved_incidents(1))
    snap = snapshot(content, NOW)
    html = event_pages(snap, tmp_path)("i00")["incidents/i00/index.html"].decode()
    assert 'href="../../history/"' in html and 'href="https://status.example.com/history/"' not in html
    home = render_pages(snap, tmp_path)["index.html"].decode()
    assert 'href="history/"' in home


def test_the_same_snapshot_renders_the_same_bytes(tmp_path):
    content = load_site(tmp_path, resolved_incidents(5))
    first = render_pages(snapshot(content, NOW), tmp_path)
    assert render_pages(snapshot(content, NOW), tmp_path) == first


def test_many_events_page_the_history(tmp_path):
    content = load_site(tmp_path, resolved_incidents(60))
    pages = render_pages(snapshot(content, parse_timestamp("2026-11-02 12:00 UTC", UTC)), tmp_path)
    assert "history/2/index.html" in pages
    assert 'href="../../history/"' in pages["history/2/index.html"].decode()
