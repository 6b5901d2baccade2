"""One truth on every surface: each place that names an event's status agrees with the API.

Random incidents and maintenance windows (with updates in any order, an
"Update" after "Resolved", windows that ended without a word, cancellations),
built at a random instant through the real build. Then the incident page, the
cards on the home, history and component pages, the feed titles, the calendar,
the offline page and the embed's summary.json are read back and held against
`incidents/<id>.json`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import feedparser
import icalendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, STATUS_LABELS
from generator.problems import ContentError
from tests.scratch import write_site

BASE = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
API_STATUS = {"cancelled": "completed"}  # Statuspage has no "cancelled"
LABEL_TO_STATUS = {label: status for status, label in STATUS_LABELS.items()}
CARD = re.compile(r'<article[^>]*data-event="(?P<id>[^"]+)".*?class="pill w-[a-z_]+ ev-status">(?P<label>[^<]+)<', re.S)


def stamp(minutes: int) -> str:
    return f"{BASE + timedelta(minutes=minutes):%Y-%m-%d %H:%M} UTC"


@st.composite
def event(draw, n: int) -> tuple[str, str]:
    maintenance = draw(st.booleans())
    statuses = MAINTENANCE_STATUSES if maintenance else INCIDENT_STATUSES
    times = sorted(draw(st.lists(st.integers(-3000, 6000), min_size=0 if maintenance else 1, max_size=5, unique=True)))
    updates = [(t, draw(st.sampled_from(statuses))) for t in times]
    body = "".join(f"## {stamp(t)} — {STATUS_LABELS[s]}\nNews at {t}.\n\n" for t, s in reversed(updates))
    component = draw(st.sampled_from(["api", "web"]))
    if maintenance:
        start = draw(st.integers(-3000, 6000))
        length = draw(st.integers(30, 600))
        front = (f"title: Window {n}\ntype: maintenance\ncomponents: [{component}]\n"
                 f"start: {stamp(start)}\nend: {stamp(start + length)}\n")
    else:
        front = f"title: Incident {n}\ncomponents: {{{component}: {draw(st.sampled_from(['degraded_performance', 'major_outage']))}}}\n"
    return f"e{n}", f"---\n{front}---\n{body}"


@st.composite
def site_and_now(draw):
    count = draw(st.integers(1, 4))
    incidents = dict(draw(event(n)) for n in range(count))
    now = BASE + timedelta(minutes=draw(st.integers(-1000, 8000)))
    return incidents, now


def text(path) -> str:
    return path.read_text(encoding="utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=site_and_now())
def test_every_surface_names_the_status_the_api_gives(tmp_path_factory, case):
    incidents, now = case
    root = write_site(tmp_path_factory.mktemp("site"), incidents)
    try:
        build(root, now, root / "output")
    except ContentError:
        return  # e.g. an incident whose updates all lie in the future: nothing to compare
    out = root / "output"
    api = {}
    for path in (out / "incidents").glob("*.json"):
        obj = json.loads(text(path))
        api[path.stem] = obj
    assert api or not (out / "incidents").exists()

    def agrees(iid: str, label: str, where: str) -> None:
        status = LABEL_TO_STATUS[label]
        assert API_STATUS.get(status, status) == api[iid]["status"], (where, iid, label, api[iid]["status"])

    for iid in api:  # the incident's own page
        m = re.search(r'<dd><span class="pill w-[a-z_]+ ev-status">([^<]+)</span></dd>', text(out / "incidents" / iid / "index.html"))
        agrees(iid, m.group(1), "incident page")
    pages = [out / "index.html", *out.glob("history/**/index.html"), *out.glob("components/*/index.html")]
    for page in pages:  # every card that names a status
        for card in CARD.finditer(text(page)):
            agrees(card["id"], card["label"], page.relative_to(out).as_posix())
    feed = feedparser.parse(text(out / "history.atom"))
    assert not feed.bozo
    for entry in feed.entries:  # each entry names the status its update left, as incident_updates[] does
        iid = re.search(r"/incidents/([^/]+)/", entry.link).group(1)
        label = re.match(r"\[([^\]]+)\] ", entry.title).group(1)
        at = datetime.fromisoformat(entry.updated)
        (update,) = [u for u in api[iid]["incident_updates"] if datetime.fromisoformat(u["created_at"]) == at]
        status = LABEL_TO_STATUS[label]
        assert API_STATUS.get(status, status) == update["status"], (iid, entry.title, update["status"])
    calendar = icalendar.Calendar.from_ical((out / "maintenance.ics").read_bytes())
    for ev in calendar.walk("VEVENT"):
        iid = str(ev["UID"]).split("@")[0]
        if iid in api:
            page = re.search(r'<dd><span class="pill w-[a-z_]+ ev-status">([^<]+)</span></dd>', text(out / "incidents" / iid / "index.html")).group(1)
            assert (str(ev["STATUS"]) == "CANCELLED") == (page == "Cancelled"), (iid, ev["STATUS"], page)
    summary = json.loads(text(out / "api/v2/summary.json"))
    for obj in summary["incidents"] + summary["scheduled_maintenances"]:  # what embed.js shows
        assert obj["status"] == api[re.search(r"incidents/([^/]+)/", obj["shortlink"]).group(1)]["status"]
    offline = text(out / "offline.html")
    for m in re.finditer(r'href="[^"]*/incidents/([^/]+)/"[^<]*</a>\s*</?[^>]*>\s*<p class="muted">([^<]+)</p>', offline):
        agrees(m.group(1), m.group(2), "offline.html")


def test_a_window_that_ended_without_a_word_is_completed_everywhere(tmp_path):
    """The reported case: the demo at 2026-12-02 12:00 UTC, and an "Update" after "Resolved"."""
    root = write_site(tmp_path / "site", {
        "mq": ("---\ntitle: Message queue upgrade\ntype: maintenance\ncomponents: [api]\n"
               "start: 2026-11-21 06:00 UTC\nend: 2026-11-21 07:00 UTC\n---\n"
               "## 2026-11-18 10:00 UTC — Scheduled\nWe will upgrade.\n"),
        "late": ("---\ntitle: Slow API\ncomponents: {api: degraded_performance}\n---\n"
                 "## 2026-11-21 12:00 UTC — Update\nA postscript.\n\n"
                 "## 2026-11-21 11:00 UTC — Resolved\nFixed.\n\n"
                 "## 2026-11-21 10:00 UTC — Investigating\nSlow.\n"),
    })
    build(root, datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc), root / "output")
    cards = {m["id"]: m["label"] for m in CARD.finditer(text(root / "output/index.html"))}
    assert cards == {"mq": "Completed", "late": "Resolved"}
    history = {m["id"]: m["label"] for m in CARD.finditer(text(root / "output/history/index.html"))}
    assert history == {"mq": "Completed", "late": "Resolved"}
