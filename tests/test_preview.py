"""`serve`'s rebuilds render only what a change touched, and still write exactly what a full build writes.

Random edits of the kinds staff make (a new title, a new update, a deleted
file, a new file, other components, a broken file then mended, the clock
moving on, site.yaml) on a small synthetic history; after each, the
rebuilt output folder is compared with a fresh full build, file by file.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator.build import Preview, build
from generator.problems import ContentError
from tests.scratch import write_site

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
COMPONENTS = ("api", "web", "ios", "android")
STATUSES = ("degraded_performance", "partial_outage", "major_outage")


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def incident_text(rng: random.Random, title: str, start: datetime, resolved: bool = True) -> str:
    comps = rng.sample(COMPONENTS, rng.randint(1, 2))
    front = "\n".join(f"  {c}: {rng.choice(STATUSES)}" for c in comps)
    flow = ["Investigating", "Identified", "Resolved"] if resolved else ["Investigating", "Identified"]
    updates, at = [], start
    for status in flow:
        updates.append(f"## {stamp(at)} — {status}\n{rng.choice(['Errors', 'Latency', 'Timeouts'])} for some *users*: "
                       f"{rng.randrange(10**6)}.\n")
        at += timedelta(minutes=rng.randint(10, 90))
    return f"---\ntitle: {title}\ncomponents:\n{front}\n---\n" + "\n".join(reversed(updates))


def maintenance_text(start: datetime, hours: int, updates: list[tuple[datetime, str]]) -> str:
    body = "\n".join(f"## {stamp(at)} — {status}\nWork on the database.\n" for at, status in reversed(updates))
    return (f"---\ntitle: Database work {start:%d %b}\ntype: maintenance\nstart: {stamp(start)}\n"
            f"end: {stamp(start + timedelta(hours=hours))}\ncomponents:\n  api: under_maintenance\n---\n{body}")


def synthetic_site(root: Path, rng: random.Random, n: int = 160) -> Path:
    incidents = {}
    for k in range(n):  # over about 500 days: several history pages, some months quiet
        start = (NOW - timedelta(days=500) + timedelta(days=500) * (k + rng.random()) / n).replace(second=0, microsecond=0)
        incidents[f"{start:%Y-%m-%d}-event-{k:03d}"] = incident_text(rng, f"Event {k}", start, resolved=k < n - 2)
    for name, start, hours, ups in (
        ("done", NOW - timedelta(days=3), 2, [(NOW - timedelta(days=6), "Scheduled"), (NOW - timedelta(days=3), "In progress"),
                                              (NOW - timedelta(days=3) + timedelta(hours=2), "Completed")]),
        ("running", NOW - timedelta(minutes=30), 2, [(NOW - timedelta(days=4), "Scheduled")]),
        ("soon", NOW + timedelta(hours=3), 1, [(NOW - timedelta(days=3), "Scheduled")]),
        ("called-off", NOW + timedelta(days=2), 1, [(NOW - timedelta(days=3), "Scheduled"), (NOW - timedelta(hours=1), "Cancelled")]),
    ):
        incidents[f"{start:%Y-%m-%d}-maintenance-{name}"] = maintenance_text(start.replace(second=0, microsecond=0), hours, ups)
    return write_site(root, incidents)


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(site: Path, rng: random.Random, kind: str, now: datetime) -> list[Path]:
    """One change as staff make it; the paths saved."""
    folder = site / "content" / "incidents"
    files = sorted(folder.glob("*.md"))
    path = rng.choice(files)
    text = path.read_text(encoding="utf-8")
    if kind == "title":
        lines = text.split("\n")
        lines[1] = f"title: Renamed {rng.randrange(10**6)}"
        path.write_text("\n".join(lines), encoding="utf-8")
    elif kind == "update":
        head, sep, body = text.partition("\n---\n")
        newest = max(datetime.strptime(line[3:23], "%Y-%m-%d %H:%M UTC").replace(tzinfo=timezone.utc)
                     for line in body.split("\n") if line.startswith("## "))
        at = min(newest + timedelta(minutes=rng.randint(1, 600)), now)
        if at <= newest:
            return []
        word = "Update" if "type: maintenance" in head else rng.choice(["Update", "Monitoring", "Resolved"])
        path.write_text(f"{head}{sep}## {stamp(at)} — {word}\nMore news {rng.randrange(10**6)}.\n\n{body}", encoding="utf-8")
    elif kind == "delete":
        path.unlink()
    elif kind == "new":
        start = (now - timedelta(days=rng.uniform(0, 400))).replace(second=0, microsecond=0)
        path = folder / f"{start:%Y-%m-%d}-new-{rng.randrange(10**6)}.md"
        path.write_text(incident_text(rng, "A new one", start, resolved=rng.random() < 0.7), encoding="utf-8")
    elif kind == "components":
        if "type: maintenance" in text:
            return []
        head, sep, body = text.partition("\n---\n")
        keep = head.split("components:")[0]
        front = "\n".join(f"  {c}: {rng.choice(STATUSES)}" for c in rng.sample(COMPONENTS, rng.randint(1, 3)))
        path.write_text(f"{keep}components:\n{front}{sep}{body}", encoding="utf-8")
    elif kind == "same":
        path.write_text(text, encoding="utf-8")  # saved without a change
    return [path]


KINDS = ["title", "update", "delete", "new", "components", "same", "title", "update", "new", "clock"]


@pytest.mark.parametrize("seed", [1, 2])
def test_rebuilds_after_random_edits_equal_a_full_build(tmp_path, seed):
    rng = random.Random(seed)
    site = synthetic_site(tmp_path / "site", rng)
    preview = Preview(site, tmp_path / "served")
    now = NOW
    first = preview.build(now)
    assert first.files == len(tree(tmp_path / "served"))
    partial = 0
    for step in range(14):
        kind = rng.choice(KINDS)
        if kind == "clock":
            now += timedelta(minutes=rng.choice([1, 45, 200]))  # past a window's edge at times
            changed: list[Path] = []
        else:
            changed = edit(site, rng, kind, now)
        result = preview.build(now, changed)
        full = build(site, now, tmp_path / f"full-{step}").out
        assert tree(tmp_path / "served") == tree(full), (step, kind)
        if kind in ("title", "same") and result.written is not None:
            partial += result.written < result.files / 4
    assert partial  # what a title needs is a few pages, not the site


def test_a_broken_save_keeps_the_last_good_build_and_the_mended_one_follows(tmp_path):
    rng = random.Random(3)
    site = synthetic_site(tmp_path / "site", rng, n=40)
    preview = Preview(site, tmp_path / "served")
    preview.build(NOW)
    good = tree(tmp_path / "served")
    path = sorted((site / "content" / "incidents").glob("*.md"))[-7]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title:", "title: [unclosed\nimpact: huge\ntitle2:", 1), encoding="utf-8")
    with pytest.raises(ContentError):
        preview.build(NOW, [path])
    assert tree(tmp_path / "served") == good
    path.write_text(text.replace("title: ", "title: Mended ", 1), encoding="utf-8")
    result = preview.build(NOW, [path])
    assert result.written is not None and result.written < result.files / 4
    assert tree(tmp_path / "served") == tree(build(site, NOW, tmp_path / "full").out)


def test_settings_a_theme_or_a_lost_output_folder_mean_a_full_build(tmp_path):
    import shutil

    rng = random.Random(4)
    site = synthetic_site(tmp_path / "site", rng, n=30)
    preview = Preview(site, tmp_path / "served")
    preview.build(NOW)
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("Scratch Status", "Renamed Status"), encoding="utf-8")
    result = preview.build(NOW, [settings])
    assert result.written is None
    assert tree(tmp_path / "served") == tree(build(site, NOW, tmp_path / "full").out)
    shutil.rmtree(tmp_path / "served")
    path = sorted((site / "content" / "incidents").glob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Gone ", 1), encoding="utf-8")
    assert preview.build(NOW, [path]).written is None
    assert tree(tmp_path / "served") == tree(build(site, NOW, tmp_path / "full2").out)


def test_a_theme_page_that_reads_the_whole_snapshot_is_rendered_again_when_anything_moves(tmp_path):
    """What a page depends on is what its template read: here every event's page reads `snap` and `now`."""
    rng = random.Random(5)
    site = synthetic_site(tmp_path / "site", rng, n=20)
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    templates = site / "themes" / "mine" / "templates"
    templates.mkdir(parents=True)
    (templates / "incident.html").write_text(
        '{% extends "!default/incident.html" %}\n{% block footer %}{{ super() }}'
        "<p>{{ snap.content.incidents|length }} events, as of {{ now|iso }}</p>{% endblock %}\n", encoding="utf-8")
    preview = Preview(site, tmp_path / "served")
    preview.build(NOW)
    now = NOW
    for step, kind in enumerate(["new", "clock", "title", "delete"]):
        if kind == "clock":
            now += timedelta(minutes=5)
        result = preview.build(now, [] if kind == "clock" else edit(site, rng, kind, now))
        assert tree(tmp_path / "served") == tree(build(site, now, tmp_path / f"full-{step}").out), kind
        if kind != "title":
            assert result.written > 20  # every event's page


def test_settings_changed_in_a_failed_build_still_mean_a_full_build_once_it_is_mended(tmp_path):
    """What a rebuild follows from is the last good build, not the last attempt."""
    rng = random.Random(6)
    site = synthetic_site(tmp_path / "site", rng, n=20)
    preview = Preview(site, tmp_path / "served")
    preview.build(NOW)
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("https://status.example.com/", "https://other.example.org/s/"),
                        encoding="utf-8")
    path = sorted((site / "content" / "incidents").glob("*.md"))[3]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("components:", "components:\n  nosuch: major_outage", 1), encoding="utf-8")
    with pytest.raises(ContentError):
        preview.build(NOW, [settings, path])
    path.write_text(text, encoding="utf-8")
    assert preview.build(NOW, [path]).written is None
    assert tree(tmp_path / "served") == tree(build(site, NOW, tmp_path / "full").out)
