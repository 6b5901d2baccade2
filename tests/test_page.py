"""The page's words about time and freshness: one time rule, "Updated" equal to the API, the stale
notice's data, quiet months in the history, durations in words, the 404's status."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from generator.build import build
from generator.content import load
from generator.render import Clock, history_pages, range_tag, time_tag
from generator.status import snapshot
from generator.timestamps import zone
from tests.scratch import load_site, resolved_incidents, write_site

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize("tz, language, start, end, expected", [
    ("America/Los_Angeles", "en", "2026-12-02T05:00", "2026-12-02T06:00", "1 Dec, 21:00–22:00 PST"),
    # en-US and de are written as CLDR has them; a bare "en" is international English (day first, 24-hour).
    ("America/Los_Angeles", "en-US", "2026-12-02T05:00", "2026-12-02T06:00", "Dec 1, 9:00 PM–10:00 PM PST"),
    ("Europe/Berlin", "de", "2026-12-02T05:00", "2026-12-03T06:00", "2. Dez., 06:00 – 3. Dez., 07:00 MEZ"),
    ("Europe/Berlin", "de", "2026-10-25T00:00", "2026-10-25T01:50", "25. Okt., 02:00 MESZ–02:50 MEZ"),
    ("Asia/Tokyo", "ja", "2025-12-10T05:00", "2025-12-10T06:00", "2025年12月10日 14:00–15:00 JST"),
    ("Europe/Berlin", "en", "2026-10-25T00:00", "2026-10-25T01:50", "25 Oct, 02:00 CEST–02:50 CET"),
    ("Europe/Berlin", "en", "2025-12-10T05:00", "2025-12-10T06:00", "10 Dec 2025, 06:00–07:00 CET"),
    ("Asia/Dubai", "en", "2026-12-02T05:00", "2026-12-02T06:00", "2 Dec, 09:00–10:00 UTC+04"),
    ("UTC", "en", "2026-12-02T05:00", "2026-12-02T06:00", "2 Dec, 05:00–06:00 UTC"),
])
def test_ranges_are_compact_in_the_site_zone(tz, language, start, end, expected):
    from generator.model import Site

    clock = Clock.for_site(Site(title="t", url="https://x.example/", timezone=zone(tz), language=language), NOW)
    html = str(range_tag(at(start), at(end), clock))
    assert re.sub(r"<[^>]+>", "", html) == expected
    assert f'<time datetime="{start}:00Z">' in html and f'<time datetime="{end}:00Z">' in html


def test_twelve_hour_times_have_no_leading_zero():
    from generator.language import Language

    clock = Clock(zone("America/New_York"), Language.for_tag("en-US"), 2026)
    assert re.sub(r"<[^>]+>", "", str(time_tag(at("2026-12-02T14:05"), clock))) == "Dec 2, 9:05 AM EST"
    assert clock.hm(at("2026-12-02T05:00").astimezone(clock.tz)) == "12:00 AM"


def updated_at_in_api(out) -> str:
    stamp = json.loads((out / "api/v2/summary.json").read_text())["page"]["updated_at"]
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_updated_equals_the_api_on_a_random_site(tmp_path, seed):
    rng = random.Random(seed)
    incidents = {}
    for n in range(rng.randint(1, 8)):
        start = NOW - timedelta(minutes=rng.randint(10, 60 * 24 * 60))
        lines = [f"## {start + timedelta(minutes=m):%Y-%m-%d %H:%M} UTC — {word}\ntext\n"
                 for m, word in sorted(((rng.randint(1, 600), "Resolved"), (0, "Investigating")), reverse=True)
                 if rng.random() < .7 or word == "Investigating"]
        incidents[f"i{n}"] = f"---\ntitle: Incident {n}\ncomponents: {{web: partial_outage}}\n---\n" + "".join(lines)
    tz = rng.choice(["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"])
    site = write_site(tmp_path, incidents, timezone=tz)
    out = tmp_path / "output"
    build(site, NOW, out)
    expected = updated_at_in_api(out)
    pages = [out / "index.html", out / "404.html", out / "history/index.html", out / "components/web/index.html"]
    for page in pages:
        found = re.findall(r'Updated <time datetime="([^"]+)">', page.read_text(encoding="utf-8"))
        assert found == [expected], page
    for page in out.glob("incidents/*/index.html"):  # an incident's page: the incident's own updated_at
        own = json.loads((page.parent.parent / f"{page.parent.name}.json").read_text())["updated_at"]
        own = datetime.fromisoformat(own).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert re.findall(r'Updated <time datetime="([^"]+)">', page.read_text(encoding="utf-8")) == [own], page


def test_the_stale_notice_is_on_active_pages_only(tmp_path):
    incidents = {
        "open": "---\ntitle: Open\ncomponents: {web: major_outage}\n---\n## 2026-11-26 11:00 UTC — Investigating\nDown.\n",
        "old": "---\ntitle: Old\ncomponents: {web: major_outage}\n---\n## 2026-11-20 11:00 UTC — Resolved\nOk.\n"
               "## 2026-11-20 10:00 UTC — Investigating\nDown.\n",
    }
    out = tmp_path / "output"
    build(write_site(tmp_path / "a", incidents, extra_site="stale_notice_after: 90m\n"), NOW, out)
    notice = '<p class="stale" hidden data-built="2026-11-26T12:00:00Z" data-after="5400">'
    assert notice in (out / "index.html").read_text()
    assert notice in (out / "incidents/open/index.html").read_text()
    for quiet in ("incidents/old/index.html", "history/index.html", "components/web/index.html", "404.html"):
        assert 'class="stale"' not in (out / quiet).read_text(), quiet  # pages that need not change every build
    out2 = tmp_path / "output2"
    build(write_site(tmp_path / "b", incidents, extra_site="stale_notice_after: off\n"), NOW, out2)
    assert 'class="stale"' not in (out2 / "index.html").read_text()
    out3 = tmp_path / "output3"
    build(write_site(tmp_path / "c", {"old": incidents["old"]}), NOW, out3)
    assert 'class="stale"' not in (out3 / "index.html").read_text()  # nothing active: nothing to go stale


@pytest.mark.parametrize("value, message", [
    ("0m", "stale_notice_after must be longer than 0"),
    ("2", "stale_notice_after needs a unit"),
    ("soon", "stale_notice_after: expected a duration"),
])
def test_stale_notice_after_is_checked(tmp_path, value, message):
    _, problems = load(write_site(tmp_path, {}, extra_site=f"stale_notice_after: {value}\n"))
    assert any(message in p.message for p in problems.errors), [p.message for p in problems.errors]


def test_stale_notice_after_values(tmp_path):
    assert load_site(tmp_path / "a", {}).site.stale_notice_after == timedelta(hours=1)
    assert load_site(tmp_path / "b", {}, extra_site="stale_notice_after: 2h30m\n").site.stale_notice_after == timedelta(minutes=150)
    assert load_site(tmp_path / "c", {}, extra_site="stale_notice_after: off\n").site.stale_notice_after is None


def test_history_names_quiet_months(tmp_path):
    incidents = {
        "a": "---\ntitle: A\ncomponents: {web: partial_outage}\n---\n## 2026-08-10 10:00 UTC — Resolved\nok\n",
        "b": "---\ntitle: B\ncomponents: {web: partial_outage}\n---\n## 2026-05-10 10:00 UTC — Resolved\nok\n",
    }
    content = load_site(tmp_path, incidents)
    snap = snapshot(content, NOW)
    [page] = history_pages(list(snap.events.values()), snap.now)
    assert [(label, len(events)) for label, events in page] == [
        ("November 2026", 0), ("October 2026", 0), ("September 2026", 0), ("August 2026", 1),
        ("July 2026", 0), ("June 2026", 0), ("May 2026", 1)]
    out = tmp_path / "output"
    build(tmp_path, NOW, out)
    html = (out / "history/index.html").read_text()
    assert html.count("No incidents reported.") == 5


def test_history_pages_put_the_gap_between_them_on_the_newer(tmp_path):
    incidents = resolved_incidents(60)  # 13 hours apart from 1 Oct: 51 in October, 9 in the first days of November
    content = load_site(tmp_path, incidents)
    snap = snapshot(content, datetime(2027, 1, 5, tzinfo=UTC))
    pages = history_pages(list(snap.events.values()), snap.now)
    labels = [[label for label, _ in page] for page in pages]
    assert labels[0][:3] == ["January 2027", "December 2026", "November 2026"]
    assert sum(len(e) for page in pages for _, e in page) == 60


def test_incident_page_says_how_long_and_colours_each_word(built_demo):
    html = (built_demo / "incidents/2026-11-19-asana-sync-failing/index.html").read_text(encoding="utf-8")
    assert "Resolved after 1 h 10 min" in html
    for word in ("resolved", "identified", "investigating"):
        assert f'<span class="pill w-{word}">' in html
    assert re.search(r'<a href="../../components/integrations/">Integrations</a> <span class="st st-partial_outage">', html)
    maintenance = (built_demo / "incidents/2026-10-25-database-hardware-migration/index.html").read_text(encoding="utf-8")
    assert "Completed after 1 h 50 min" in maintenance


def test_duration_words():
    from generator.render import duration_parts

    assert duration_parts(timedelta(hours=2, minutes=14)) == (0, 2, 14)
    assert duration_parts(timedelta(hours=30, minutes=5)) == (0, 30, 5)
    assert duration_parts(timedelta(days=3, hours=4, minutes=5)) == (3, 4, 0)
    assert duration_parts(timedelta(seconds=20)) == (0, 0, 0)


def test_an_older_history_page_keeps_its_own_time(tmp_path):
    """One update must not rewrite (and re-upload) every history page: an older page says when its events changed."""
    from tests.scratch import resolved_incidents

    site = write_site(tmp_path / "site", resolved_incidents(80))
    out = tmp_path / "output"
    build(site, NOW, out)
    newest = re.findall(r'Updated <time datetime="([^"]+)">', (out / "history/index.html").read_text(encoding="utf-8"))
    older = re.findall(r'Updated <time datetime="([^"]+)">', (out / "history/2/index.html").read_text(encoding="utf-8"))
    assert newest == [updated_at_in_api(out)] and older and older[0] < newest[0]
