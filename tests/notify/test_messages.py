"""What became visible, as messages: a pure function of the content and `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from generator.feeds import Entry, entry_id
from generator.notify.channels import Channel
from generator.notify.messages import changes, preview, reminder_times, wanted
from generator.schedule import next_stale
from generator.status import Snapshot
from tests.scratch import load_site

UTC = timezone.utc
CHANNELS = """\
notify:
  - name: all
    type: slack
    url_env: U
    reminders: [1h, 24h]
  - name: apps-only
    type: discord
    url_env: D
    components: [apps]
  - name: quiet
    type: teams
    url_env: T
    events: [maintenance-starts, maintenance-ends]
  - name: status-changes
    type: webhook
    url_env: W
    events: [components]
"""
INCIDENT = """\
---
title: Slow API
components: {api: partial_outage}
---
## 2026-11-26 10:30 UTC — Resolved
Fixed.

## 2026-11-26 10:00 UTC — Investigating
Looking.
"""


def t(hhmm: str, day: int = 26) -> datetime:
    return datetime(2026, 11, day, int(hhmm[:2]), int(hhmm[3:]), tzinfo=UTC)


def maintenance(*updates: str, start="12:00", end="13:00", announced="2026-11-26 09:00") -> str:
    body = "\n".join(f"## {u}\nText {i}.\n" for i, u in enumerate((f"{announced} UTC — Scheduled", *updates)))
    return (f"---\ntitle: DB upgrade\ntype: maintenance\ncomponents: [api]\n"
            f"start: 2026-11-26 {start} UTC\nend: 2026-11-26 {end} UTC\n---\n\n{body}")


def site(tmp_path, **incidents):
    return load_site(tmp_path / "site", incidents, extra_site=CHANNELS)


def ids(messages, leave_out=("components", "reminders")) -> list[tuple[str, str]]:
    return [(m.event, m.id.rsplit("/", 1)[1]) for m in messages if m.event not in leave_out]


def plain(content, now, **kw):
    """The changes without component changes (which one channel here asks for)."""
    return [m for m in changes(content, now, **kw) if m.event != "components"]


def test_every_update_is_a_message_with_its_feed_entry_id(tmp_path):
    content = site(tmp_path, **{"slow-api": INCIDENT})
    got = plain(content, t("11:00"))
    snap = Snapshot(content, t("11:00"))
    state = snap.events["slow-api"]
    expected = [entry_id(content.site, Entry(state, u, s)) for u, s in zip(state.updates, state.update_statuses())]
    assert [m.id for m in got] == expected[::-1]  # oldest first
    assert [(m.label, m.text, m.event) for m in got] == [("Investigating", "Looking.", "incidents"), ("Resolved", "Fixed.", "incidents")]
    first = got[0]
    assert first.url == "https://status.example.com/incidents/slow-api/"
    assert [(a.id, a.name, a.status) for a in first.components] == [("api", "API", "partial_outage")]
    # Only what is visible at now, and the same ids whenever they are computed.
    assert [m.id for m in plain(content, t("10:15"))] == expected[-1:]
    assert [m.id for m in plain(content, t("23:00"), floor=t("10:15"))] == expected[:1]


def test_a_window_that_opens_and_closes_by_its_times_is_a_message_each(tmp_path):
    content = site(tmp_path, m=maintenance())
    assert ids(changes(content, t("11:59"))) == [("maintenance", "update-20261126t090000z")]
    assert ids(changes(content, t("12:00")))[1:] == [("maintenance-starts", "window-opened-20261126t120000z")]
    opened = plain(content, t("12:00"))[-1]
    assert (opened.label, opened.text, opened.status) == ("In progress", "The maintenance window has opened.", "in_progress")
    assert opened.window == (t("12:00"), t("13:00"))
    assert ids(changes(content, t("13:00")))[1:] == [("maintenance-starts", "window-opened-20261126t120000z"),
                                                     ("maintenance-ends", "window-closed-20261126t130000z")]


def test_an_update_written_for_the_edge_is_the_message_instead(tmp_path):
    content = site(tmp_path, m=maintenance("2026-11-26 12:00 UTC — In progress", "2026-11-26 12:40 UTC — Completed"))
    assert ids(changes(content, t("14:00"))) == [
        ("maintenance", "update-20261126t090000z"),
        ("maintenance-starts", "update-20261126t120000z"),
        ("maintenance-ends", "update-20261126t124000z"),  # completed early: that is the end
    ]


def test_an_update_during_the_window_is_news_not_a_second_start(tmp_path):
    content = site(tmp_path, m=maintenance("2026-11-26 12:10 UTC — In progress"))
    assert ids(changes(content, t("12:30"))) == [
        ("maintenance", "update-20261126t090000z"),
        ("maintenance-starts", "window-opened-20261126t120000z"),
        ("maintenance", "update-20261126t121000z"),
    ]


def test_a_cancelled_window_neither_opens_nor_closes(tmp_path):
    content = site(tmp_path, m=maintenance("2026-11-26 11:00 UTC — Cancelled"))
    assert ids(changes(content, t("14:00"))) == [("maintenance", "update-20261126t090000z"),
                                                 ("maintenance", "update-20261126t110000z")]


def test_reminders_come_at_their_time_while_the_window_is_ahead(tmp_path):
    content = site(tmp_path, m=maintenance(announced="2026-11-25 09:00"))

    def reminders(now):
        return [m.id.rsplit("/", 1)[1] for m in changes(content, now) if m.event == "reminders"]

    assert reminders(t("11:59", day=25)) == []  # 24h before is 2026-11-25 12:00, after the announcement at 09:00
    assert reminders(t("10:59")) == ["reminder-24h-20261126t120000z"]
    assert reminders(t("12:00", day=25)) == ["reminder-24h-20261126t120000z"]
    assert reminders(t("11:00")) == ["reminder-24h-20261126t120000z", "reminder-1h-20261126t120000z"]
    reminder = next(m for m in changes(content, t("11:00")) if "reminder-1h" in m.id)
    assert (reminder.text, reminder.at, reminder.label) == ("Starts in 1 hour.\n\nText 0.", t("11:00"), "Scheduled")
    assert reminders(t("12:00")) == []  # the window is open: no more reminders


def test_no_reminder_for_a_window_announced_after_its_time(tmp_path):
    content = site(tmp_path, m=maintenance(announced="2026-11-26 11:30"))
    assert [m for m in changes(content, t("11:45")) if m.event == "reminders"] == []
    assert reminder_times(content, t("11:31")) == []


def test_next_change_counts_a_reminder_as_due(tmp_path):
    content = site(tmp_path, m=maintenance(announced="2026-11-25 09:00"))
    assert [at for at, _ in reminder_times(content, t("09:00"))] == [t("11:00")]
    stale = next_stale(content, t("09:00"))
    assert (stale.at, stale.reason) == (t("11:00"), "the 1h reminder for m is due")


def test_component_changes_only_when_a_channel_asks(tmp_path):
    content = site(tmp_path, m=maintenance())
    got = [m for m in changes(content, t("13:30")) if m.event == "components"]
    assert [(m.title, m.old_status, m.status, m.at) for m in got] == [
        ("API", "operational", "under_maintenance", t("12:00")), ("API", "under_maintenance", "operational", t("13:00"))]
    assert got[0].text == "API: Operational → Under maintenance (DB upgrade)"
    without = tuple(c for c in content.site.notify if "components" not in c.events)
    assert [m for m in changes(content, t("13:30"), without) if m.event == "components"] == []


def test_filters_pick_events_components_and_reminders(tmp_path):
    content = site(tmp_path, m=maintenance(announced="2026-11-25 09:00"), **{"slow-api": INCIDENT})
    everything = changes(content, t("13:30"))
    by_channel = {c.name: [m.event for m in everything if wanted(c, m, content.catalog)] for c in content.site.notify}
    assert by_channel["all"] == ["maintenance", "incidents", "incidents", "maintenance-starts", "maintenance-ends"]
    assert by_channel["apps-only"] == []  # everything here is on the API
    assert by_channel["quiet"] == ["maintenance-starts", "maintenance-ends"]
    assert by_channel["status-changes"] == ["components"] * 4
    only_1h = replace(content.site.notify[0], reminders=(timedelta(hours=1),))
    before = changes(content, t("11:30"))
    assert [m.id.rsplit("/", 1)[1] for m in before if wanted(only_1h, m, content.catalog) and m.event == "reminders"] == [
        "reminder-1h-20261126t120000z"]
    assert len([m for m in before if wanted(content.site.notify[0], m, content.catalog) and m.event == "reminders"]) == 2
    ios = Channel(name="ios", type="slack", components=("ios",))
    apps = load_site(tmp_path / "apps", {"crash": INCIDENT.replace("api: partial_outage", "ios: major_outage")},
                     extra_site=CHANNELS)
    crash = plain(apps, t("11:00"))[0]
    assert wanted(ios, crash, apps.catalog) and wanted(apps.site.notify[1], crash, apps.catalog)  # a group stands for its members
    assert [a.name for a in crash.components] == ["Apps - iPhone app"]


def test_the_preview_is_what_the_branch_adds_and_nothing_for_a_new_channel(tmp_path):
    resolved_later = INCIDENT.replace("## 2026-11-26 10:30 UTC — Resolved\nFixed.\n", "")
    before = load_site(tmp_path / "before", {"slow-api": resolved_later}, extra_site=CHANNELS)
    after = load_site(tmp_path / "after", {"slow-api": INCIDENT},
                      extra_site=CHANNELS + "  - name: newcomer\n    type: slack\n    url_env: N\n")
    got = {p.channel.name: ([m.label for m in p.messages], p.new) for p in preview(before, after, t("11:00"))}
    assert got == {"all": (["Resolved"], False), "apps-only": ([], False), "quiet": ([], False),
                   "status-changes": (["Operational"], False), "newcomer": ([], True)}


@pytest.mark.parametrize("now", ["10:00", "10:30", "23:00"])
def test_the_same_content_at_the_same_now_gives_the_same_messages(tmp_path, now):
    content = site(tmp_path, m=maintenance(), **{"slow-api": INCIDENT})
    assert changes(content, t(now)) == changes(content, t(now))
