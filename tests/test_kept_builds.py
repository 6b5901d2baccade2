"""Builds that keep what they made in .statusgen-cache (parsed incident files, incident pages) write what a fresh build writes.

A local rebuild, or one with the cache restored, parses only the incident
files whose stat changed (generator/loadcache.py) and renders only the
incident pages whose template would read other values (generator/pagecache.py).
After random edits of every kind, the clock moving on, a changed site.yaml,
components.yaml or theme, the kept build's output folder is compared with a
build that keeps nothing, file by file.
"""

from __future__ import annotations

import json
import pickle
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest

from generator import incidents, loadcache, pagecache, render
from generator.build import CACHE_FILE, build
from tests.test_preview import KINDS, NOW, edit, synthetic_site, tree


@pytest.fixture(autouse=True)
def own_key(key_home) -> Path:
    return key_home


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """How many incident files were parsed and incident pages rendered."""
    counts = {"parsed": 0, "rendered": 0}
    parse, render_page = incidents.parse_incident, render.Renderer.render_page

    def parse_incident(*args, **kwargs):
        counts["parsed"] += 1
        return parse(*args, **kwargs)

    def rendered(self, page, *args, **kwargs):
        counts["rendered"] += page.template == "incident.html"
        return render_page(self, page, *args, **kwargs)

    monkeypatch.setattr(incidents, "parse_incident", parse_incident)
    monkeypatch.setattr(render.Renderer, "render_page", rendered)
    return counts


def kept_build(site: Path, now, out: Path):
    return build(site, now, out, cache=site / CACHE_FILE)


def site_edit(site: Path, rng: random.Random, kind: str) -> None:
    """What the site's own files go through: its title, a component's name, its theme."""
    if kind == "site.yaml":
        settings = site / "content" / "site.yaml"
        settings.write_text(re.sub(r"(?m)^title: .*$", f"title: Status {rng.randrange(1000)}", settings.read_text()))
    elif kind == "components.yaml":
        components = site / "content" / "components.yaml"
        components.write_text(re.sub(r"name: API\b[^\n]*", f"name: API {rng.randrange(1000)}", components.read_text(), count=1))
    elif kind == "theme":  # a theme of its own, over the default; edited again each time
        template = site / "themes" / "custom" / "templates" / "incident.html"
        if not template.exists():
            template.parent.mkdir(parents=True)
            settings = site / "content" / "site.yaml"
            settings.write_text(settings.read_text() + "theme: custom\n")
        template.write_text('{% extends "!default/incident.html" %}{% block title %}'
                            f'{rng.randrange(1000)} {{{{ page_title }}}}{{% endblock %}}')


@pytest.mark.parametrize("seed,forked", [(11, False), (12, True)], ids=["inline", "forked-workers"])
def test_kept_builds_after_random_edits_equal_builds_that_keep_nothing(tmp_path, monkeypatch, seed, forked):
    from generator import workers

    if forked:  # the workers send their notes home with their pages
        monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
        monkeypatch.setattr(workers, "count", lambda: 2)
    rng = random.Random(seed)
    site = synthetic_site(tmp_path / "site", rng, n=80)
    out = tmp_path / "out"
    now = NOW
    kept_build(site, now, out)
    kinds = KINDS + ["site.yaml", "components.yaml", "theme"]
    for step in range(16):
        kind = rng.choice(kinds)
        if kind == "clock":
            now += timedelta(minutes=rng.choice([1, 45, 200, 60 * 24 * 400]))  # a window's edge; a new year
        elif kind in ("site.yaml", "components.yaml", "theme"):
            site_edit(site, rng, kind)
        else:
            edit(site, rng, kind, now)
        kept_build(site, now, out)
        fresh = build(site, now, tmp_path / f"fresh-{step}").out
        assert tree(out) == tree(fresh), (step, kind)
    notes = (site / ".statusgen-cache" / pagecache.FILE).read_bytes()
    noted = json.loads(notes[len(pagecache.MAGIC) + 32:])["pages"]
    assert set(noted) == {p.relative_to(out).as_posix() for p in (out / "incidents").glob("*/index.html")}


def test_a_rebuild_at_a_later_time_parses_and_renders_only_what_changed(tmp_path, counted):
    rng = random.Random(5)
    site = synthetic_site(tmp_path / "site", rng, n=60)
    out = tmp_path / "out"
    kept_build(site, NOW, out)
    assert counted["parsed"] == 64 and counted["rendered"] == 64
    counted.update(parsed=0, rendered=0)
    later = NOW + timedelta(minutes=7)
    kept_build(site, later, out)
    assert counted["parsed"] == 0
    # Rendered again: the pages of events active or scheduled, whose state or stale notice moves with the clock.
    assert 0 < counted["rendered"] <= 6
    assert tree(out) == tree(build(site, later, tmp_path / "fresh").out)
    edited = edit(site, rng, "title", later)
    counted.update(parsed=0, rendered=0)
    kept_build(site, later, out)
    assert counted["parsed"] == len(edited) == 1
    assert 1 <= counted["rendered"] <= 7


def test_an_output_file_changed_by_hand_is_rendered_again(tmp_path, counted):
    site = synthetic_site(tmp_path / "site", random.Random(6), n=20)
    out = tmp_path / "out"
    kept_build(site, NOW, out)
    page = sorted((out / "incidents").glob("*/index.html"))[3]
    right = page.read_bytes()
    page.write_bytes(right.replace(b"</h1>", b" (edited)</h1>"))
    kept_build(site, NOW, out)
    assert page.read_bytes() == right


def test_notes_and_parses_not_signed_with_this_users_key_are_never_used(tmp_path, counted):
    site = synthetic_site(tmp_path / "site", random.Random(7), n=20)
    out = tmp_path / "out"
    kept_build(site, NOW, out)
    cache = site / ".statusgen-cache"
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    body = pickle.dumps(Payload())
    (cache / loadcache.FILE).write_bytes(loadcache.MAGIC + b"\0" * 32 + body)  # a committed file: no valid MAC
    notes = (cache / pagecache.FILE).read_bytes()
    forged = notes.replace(b'"pages":{', b'"pages":{"x":1,', 1)  # edited after signing
    (cache / pagecache.FILE).write_bytes(forged)
    counted.update(parsed=0, rendered=0)
    kept_build(site, NOW, out)
    assert not marker.exists()  # never unpickled
    assert counted["parsed"] == 24 and counted["rendered"] == 24  # nothing taken on their word
    assert tree(out) == tree(build(site, NOW, tmp_path / "fresh").out)


def test_a_theme_that_reads_the_clock_on_incident_pages_gets_them_rendered_every_time(tmp_path, counted):
    site = synthetic_site(tmp_path / "site", random.Random(8), n=10)
    theme = site / "themes" / "clocked" / "templates"
    theme.mkdir(parents=True)
    (theme / "incident.html").write_text('{% extends "!default/incident.html" %}'
                                         '{% block title %}{{ now.isoformat() }}{% endblock %}', encoding="utf-8")
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text() + "theme: clocked\n", encoding="utf-8")
    out = tmp_path / "out"
    kept_build(site, NOW, out)
    later = NOW + timedelta(minutes=3)
    counted.update(rendered=0)
    kept_build(site, later, out)
    assert counted["rendered"] == 14  # every incident page: each reads `now`
    page = next((out / "incidents").glob("*/index.html")).read_text()
    assert later.isoformat() in page
