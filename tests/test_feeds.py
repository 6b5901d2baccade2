"""RSS and Atom feeds, read back with feedparser."""

from __future__ import annotations

import calendar as std_calendar
import re
from datetime import datetime, timedelta, timezone

import feedparser
import pytest

from generator.build import build
from generator.content import load
from generator.feeds import render_feeds
from generator.model import STATUS_LABELS
from generator.status import snapshot
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import load_at, resolved_incidents, write_site

RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parsed_time(struct) -> datetime:
    return datetime.fromtimestamp(std_calendar.timegm(struct), timezone.utc)


def feeds_of(root, now) -> dict[str, bytes]:
    content, problems = load_at(root, now)
    assert not problems.errors, [p.format_text() for p in problems.errors]
    return render_feeds(snapshot(content, now), root)


def parse(data: bytes):
    feed = feedparser.parse(data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.parametrize("name", ["history.rss", "history.atom"])
def test_demo_site_feed(built_demo, name):
    content, _ = load_at(ROOT, FIXED_NOW)
    snap = snapshot(content, FIXED_NOW)
    raw = (built_demo / name).read_bytes()
    feed = parse(raw)
    expected = sorted(
        ((u.at, s) for s in snap.events.values() for u in s.updates), key=lambda p: (p[0], p[1].id), reverse=True
    )[:50]
    assert len(feed.entries) == len(expected) == 50
    assert feed.feed.link == content.site.url
    assert len({e.id for e in feed.entries}) == 50
    for entry, (at, state) in zip(feed.entries, expected):
        update, status = next((u, s) for u, s in zip(state.updates, state.update_statuses()) if u.at == at)
        assert entry.id.startswith(f"tag:status.hourglass.example,{at:%Y-%m-%d}:/incidents/{state.id}/")
        assert entry.link == f"{content.site.url}incidents/{state.id}/#{update.anchor}"
        # The status the update left the event in (an "Update" keeps the one before), as the API says.
        assert entry.title == f"[{STATUS_LABELS[status]}] {state.incident.title}"
        assert parsed_time(entry.published_parsed) == at
        assert parsed_time(entry.updated_parsed if name.endswith("atom") else entry.published_parsed) == at
    # The feed's own time is the newest entry's, never the build's.
    assert parsed_time(feed.feed.updated_parsed) == expected[0][0]
    text = raw.decode()
    if name.endswith("rss"):
        stamps = re.findall(r"<(?:pubDate|lastBuildDate)>([^<]*)<", text)
        assert stamps and all(RFC822.match(s) for s in stamps)
    else:
        stamps = re.findall(r"<(?:updated|published)>([^<]*)<", text)
        assert stamps and all(RFC3339.match(s) for s in stamps)


def test_demo_has_an_entry_for_the_announced_maintenance(built_demo):
    feed = parse((built_demo / "history.atom").read_bytes())
    titles = [e.title for e in feed.entries]
    assert "[Scheduled] Message queue cluster upgrade" in titles
    assert "[Monitoring] Delayed email reminders" == titles[0]
    first = feed.entries[0]
    assert "Affected components: Email and notifications" in first.content[0].value


def test_component_feeds(built_demo):
    content, _ = load_at(ROOT, FIXED_NOW)
    snap = snapshot(content, FIXED_NOW)
    for component in content.catalog.components:
        for ext in ("rss", "atom"):
            feed = parse((built_demo / f"components/{component.id}/history.{ext}").read_bytes())
            assert feed.feed.link == f"{content.site.url}components/{component.id}/"
            ids = {s.id for s in snap.events_for(component.id)}
            assert len(feed.entries) == min(50, sum(len(snap.events[i].updates) for i in ids))
            for entry in feed.entries:
                assert re.search(r"/incidents/([^/]+)/", entry.link).group(1) in ids


def test_two_builds_are_byte_identical(built_demo, tmp_path):
    build(ROOT, FIXED_NOW, tmp_path / "again")
    names = sorted(p.relative_to(built_demo) for p in built_demo.rglob("history.*"))
    assert len(names) == 2 + 2 * len(load(ROOT)[0].catalog.components)
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (built_demo / name).read_bytes(), name


INCIDENTS = {
    "hostile": """
        ---
        title: Login <b>errors</b> & timeouts
        components: {api: major_outage, ios: partial_outage}
        ---
        ## 2026-11-26 13:00 UTC — Resolved
        Written ahead of time: not published yet.
        ## 2026-11-26 10:00 UTC — Investigating
        <script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3)) **bold**
    """,
    "window": """
        ---
        title: Database upgrade
        type: maintenance
        components: [web]
        start: 2026-12-01 05:00 UTC
        end: 2026-12-01 06:00 UTC
        ---
        We will keep you posted.

        ## 2026-11-20 09:00 UTC — Scheduled
        Upgrading the database.
    """,
}
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("feeds"), INCIDENTS)
    (root / "content" / "site.yaml").write_text(
        "title: Scratch Status\nurl: https://example.com/status/\ntimezone: UTC\n", encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def scratch_feeds(scratch_root):
    return feeds_of(scratch_root, NOW)


def test_a_later_build_without_news_changes_no_feed(scratch_root, scratch_feeds):
    assert feeds_of(scratch_root, NOW + timedelta(minutes=59)) == scratch_feeds
    # The next update (13:00) is news: the feeds change.
    assert feeds_of(scratch_root, NOW + timedelta(hours=1))["history.atom"] != scratch_feeds["history.atom"]


def test_entries_are_sanitized_and_list_components(scratch_feeds):
    feed = parse(scratch_feeds["history.atom"])
    assert [e.title for e in feed.entries] == ["[Investigating] Login <b>errors</b> & timeouts", "[Scheduled] Database upgrade"]
    raw = scratch_feeds["history.atom"].decode() + scratch_feeds["history.rss"].decode()
    assert "not published yet" not in raw  # a future update stays out
    html = feed.entries[0].content[0].value
    assert "<strong>bold</strong>" in html
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in html
    assert "Affected components: API, iPhone app" in html
    maintenance = feed.entries[1].content[0].value
    assert "We will keep you posted." in maintenance  # the notice's preamble rides with its first entry
    assert "Window: 2026-12-01 05:00 UTC to 2026-12-01 06:00 UTC" in maintenance


def test_subpath_urls_and_ids(scratch_feeds):
    rss = parse(scratch_feeds["history.rss"])
    entry = rss.entries[0]
    assert entry.link == "https://example.com/status/incidents/hostile/#update-20261126t100000z"
    assert entry.id == "tag:example.com,2026-11-26:/status/incidents/hostile/update-20261126t100000z"
    assert rss.feed.link == "https://example.com/status/"
    assert 'href="https://example.com/status/history.rss" rel="self"' in scratch_feeds["history.rss"].decode()


def test_empty_component_feed_is_valid_and_dated_from_content(scratch_feeds):
    feed = parse(scratch_feeds["components/android/history.atom"])
    assert feed.entries == []
    assert feed.feed.updated == "1970-01-01T00:00:00+00:00"
    api = parse(scratch_feeds["components/api/history.rss"])
    assert [e.title for e in api.entries] == ["[Investigating] Login <b>errors</b> & timeouts"]
    web = parse(scratch_feeds["components/web/history.rss"])
    assert [e.title for e in web.entries] == ["[Scheduled] Database upgrade"]


def test_newest_fifty(tmp_path):
    incidents = resolved_incidents(28)
    feed = parse(feeds_of(write_site(tmp_path, incidents), NOW)["history.rss"])
    assert len(feed.entries) == 50
    assert feed.entries[0].title == "[Resolved] Incident 27"
    assert feed.entries[-1].title == "[Investigating] Incident 3"  # 56 updates: incidents 0-2 are left out
