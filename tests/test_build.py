"""Writing the output folder: whole and fresh, or updated in place touching only what changed."""

from __future__ import annotations

from pathlib import Path

from generator.build import open_output


def write_tree(out, files):
    """Hand `files` to the output the build would pick for `out`, and finish it."""
    output = open_output(out)
    output.finish(output.take(files))


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_fresh_folder_gets_exactly_the_files(tmp_path):
    files = {"index.html": b"home", "incidents/a/index.html": b"a", "static/s.1234abcd.css": b"css"}
    write_tree(tmp_path / "out", files)
    assert tree(tmp_path / "out") == files
    assert not [p for p in tmp_path.iterdir() if p.name != "out"]  # no staging left behind


def test_update_in_place_touches_only_changes(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"index.html": b"v1", "keep.html": b"same", "gone/index.html": b"old", "static/a.11111111.css": b"a"})
    kept = (out / "keep.html").stat()
    write_tree(out, {"index.html": b"v2", "keep.html": b"same", "static/a.22222222.css": b"b"})
    assert tree(out) == {"index.html": b"v2", "keep.html": b"same", "static/a.22222222.css": b"b"}
    after = (out / "keep.html").stat()
    assert (after.st_ino, after.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)  # not rewritten
    assert not (out / "gone").exists()  # emptied folders go too


def test_file_and_folder_swap_places(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x": b"file", "y/index.html": b"page"})
    write_tree(out, {"x/index.html": b"now a folder", "y": b"now a file"})
    assert tree(out) == {"x/index.html": b"now a folder", "y": b"now a file"}


def test_markdown_cache_and_parallel_rendering_change_nothing(tmp_path, monkeypatch):
    import gc
    import sqlite3

    from generator import markup, workers
    from generator.build import build
    from generator.content import load
    from tests.conftest import FIXED_NOW, ROOT

    thresholds = gc.get_threshold()
    plain = build(ROOT, FIXED_NOW, tmp_path / "plain").out
    markup._HTML.clear()
    # Forked workers for every step that has them, even for the small demo.
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    monkeypatch.setattr(workers, "count", lambda: 2)
    cache = tmp_path / "cache" / "markdown.sqlite"
    cold = build(ROOT, FIXED_NOW, tmp_path / "cold", cache=cache).out
    assert cache.is_file()
    with sqlite3.connect(cache) as db:
        cached = dict(db.execute("SELECT key, html FROM html"))
    # Every text comes home from the workers that rendered it, and is cached as rendered,
    # straight into the file: this process does not keep the history's HTML.
    content, _ = load(ROOT)
    texts = {t for i in content.incidents for t in (i.summary, *(u.body for u in i.updates)) if t.strip()}
    assert set(cached) == {markup.cache_id(t) for t in texts}
    assert all(markup._convert(t) == cached[markup.cache_id(t)] for t in texts)
    assert not markup._HTML
    rendered = []
    monkeypatch.setattr(markup, "_convert", lambda text: rendered.append(text) or "")
    warm = build(ROOT, FIXED_NOW, tmp_path / "warm", cache=cache).out
    assert tree(plain) == tree(cold) == tree(warm)
    assert not rendered and not markup._HTML  # each worker looked up its own texts in the file, none stayed here
    # The collector is set back as it was: on, default thresholds, nothing left frozen
    # (`serve` builds again and again in one process; each build's model must be freeable).
    assert gc.isenabled() and gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_the_markdown_cache_keeps_the_texts_in_use_and_only_those(tmp_path):
    import shutil
    import sqlite3

    from generator import markup
    from generator.build import build
    from generator.content import load
    from tests.conftest import FIXED_NOW, ROOT

    site = tmp_path / "site"
    shutil.copytree(ROOT / "content", site / "content")
    cache = tmp_path / "cache" / "markdown.sqlite"
    build(site, FIXED_NOW, tmp_path / "first", cache=cache)
    path = sorted((site / "content" / "incidents").glob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8").replace("\n## ", "\nA new sentence.\n\n## ", 1), encoding="utf-8")
    markup._HTML.clear()
    build(site, FIXED_NOW, tmp_path / "second", cache=cache)
    content, _ = load(site)
    texts = {t for i in content.incidents for t in (i.summary, *(u.body for u in i.updates)) if t.strip()}
    with sqlite3.connect(cache) as db:
        cached = dict(db.execute("SELECT key, html FROM html"))
    assert set(cached) == {markup.cache_id(t) for t in texts}
    assert all(markup._convert(t) == cached[markup.cache_id(t)] for t in texts)


def test_a_rebuild_with_nothing_new_to_keep_leaves_the_markdown_cache_file_alone(tmp_path):
    """Blank texts and the home page's excerpts are rendered each time but never kept: no reason to rewrite the file."""
    import os

    from generator import markup
    from generator.build import build
    from tests.conftest import FIXED_NOW, ROOT

    cache = tmp_path / "cache" / "markdown.sqlite"
    markup._HTML.clear()  # as in a fresh process: HTML earlier tests left in memory would be missing from the file
    build(ROOT, FIXED_NOW, tmp_path / "first", cache=cache)
    before = os.stat(cache)
    markup._HTML.clear()
    build(ROOT, FIXED_NOW, tmp_path / "second", cache=cache)
    after = os.stat(cache)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_html_this_process_already_holds_goes_into_the_cache_file_too(tmp_path):
    """As in `serve`, or any process that built before: a text rendered earlier is not new, but is kept."""
    import sqlite3

    from generator import markup
    from generator.build import build
    from generator.content import load
    from tests.conftest import FIXED_NOW, ROOT

    build(ROOT, FIXED_NOW, tmp_path / "first")  # no cache file: the HTML stays in this process
    cache = tmp_path / "cache" / "markdown.sqlite"
    build(ROOT, FIXED_NOW, tmp_path / "second", cache=cache)
    content, _ = load(ROOT)
    texts = {t for i in content.incidents for t in (i.summary, *(u.body for u in i.updates)) if t.strip()}
    with sqlite3.connect(cache) as db:
        assert {key for (key,) in db.execute("SELECT key FROM html")} == {markup.cache_id(t) for t in texts}


def test_an_unreadable_or_foreign_cache_is_a_cold_start(tmp_path):
    import sqlite3

    from generator import markup

    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not a database")
    markup.load_cache(bad)  # no error
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.executescript("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT);"
                         "CREATE TABLE html (source TEXT PRIMARY KEY, html TEXT);")
        db.execute("INSERT INTO meta VALUES ('key', 'another renderer')")
        db.execute("INSERT INTO html VALUES ('**x**', '<p>poisoned</p>')")
    markup._HTML.pop("**x**", None)
    markup.load_cache(other)
    assert markup.to_html("**x**") == "<p><strong>x</strong></p>"


def _parallel(monkeypatch):
    from generator import workers

    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
    monkeypatch.setattr(workers, "count", lambda: 2)


def test_workers_writing_aside_and_updating_in_place_give_the_same_site(tmp_path, monkeypatch):
    """Forked workers write a new folder themselves, and only report changes for an existing one."""
    import shutil

    from generator.build import build
    from tests.conftest import FIXED_NOW, ROOT

    inline = build(ROOT, FIXED_NOW, tmp_path / "inline")
    _parallel(monkeypatch)
    fresh = build(ROOT, FIXED_NOW, tmp_path / "fresh")
    assert tree(fresh.out) == tree(inline.out)
    assert (fresh.files, fresh.bytes) == (inline.files, inline.bytes) == (len(tree(inline.out)), sum(map(len, tree(inline.out).values())))
    # An existing folder with one page changed, one gone and one stray file.
    shutil.copytree(inline.out, tmp_path / "existing")
    page = next((tmp_path / "existing" / "incidents").glob("*/index.html"))
    kept = next(p for p in (tmp_path / "existing" / "incidents").glob("*/index.html") if p != page)
    before = kept.stat()
    page.write_bytes(b"stale")
    (tmp_path / "existing" / "history" / "index.html").unlink()
    (tmp_path / "existing" / "stray.html").write_bytes(b"old")
    again = build(ROOT, FIXED_NOW, tmp_path / "existing")
    assert tree(again.out) == tree(inline.out)
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten


def test_a_conflict_in_a_worker_leaves_no_output(tmp_path, monkeypatch):
    import pytest

    from generator import build as build_module
    from tests.conftest import FIXED_NOW, ROOT

    _parallel(monkeypatch)
    # A site-wide producer that claims an incident's page, which a worker writes too.
    first = sorted((ROOT / "content" / "incidents").glob("*.md"))[0].stem
    producers = build_module.site_producers()
    monkeypatch.setattr(build_module, "site_producers",
                        lambda: [*producers, lambda snap, root: {f"incidents/{first}/index.html": b"clash"}])
    with pytest.raises(build_module.OutputConflict, match=f"incidents/{first}/index.html"):
        build_module.build(ROOT, FIXED_NOW, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # neither the output nor its staging folder


def test_a_failed_rebuild_leaves_the_existing_site_as_it_was(tmp_path, monkeypatch):
    import pytest

    from generator import build as build_module
    from tests.conftest import FIXED_NOW, ROOT

    out = build_module.build(ROOT, FIXED_NOW, tmp_path / "out").out
    (out / "index.html").write_bytes(b"an older home page")  # so the rebuild has a change to make
    before = tree(out)
    _parallel(monkeypatch)
    producers = build_module.site_producers()

    def broken(snap, root):
        raise RuntimeError("a producer failed")

    monkeypatch.setattr(build_module, "site_producers", lambda: [*producers, broken])
    with pytest.raises(RuntimeError, match="a producer failed"):
        build_module.build(ROOT, FIXED_NOW, out)
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_every_producer_of_the_build_writes_its_files(built_demo):
    """Named here, not read from the build's producer lists: dropping a producer from the build fails this."""
    expected = [
        "index.html", "404.html", "history/index.html", "components/api/index.html",  # render.render_pages
        "incidents/2026-11-19-asana-sync-failing/index.html",  # render.event_pages
        "history.rss", "history.atom", "components/api/history.atom",  # feeds
        "maintenance.ics",  # calendar
        "api/v2/summary.json", "api/v2/incidents/unresolved.json",  # api.render_endpoints
        "incidents/2026-11-19-asana-sync-failing.json",  # api.event_documents
        "badge.svg", "components/api/badge.svg", "embed.js",  # badges
        "offline.html",  # offline
    ]
    assert [path for path in expected if not (built_demo / path).is_file()] == []
