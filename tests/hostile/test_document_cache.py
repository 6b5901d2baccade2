"""Feeds and the calendar kept in .statusgen-cache/documents/: reused when nothing they say changed, never when not ours.

A warm build must not import feedgen, lxml or icalendar when its feeds and
calendar would say what the last build's said; an edit makes the documents
it touches again; a file this user's key did not sign (committed, copied,
edited) is never used; a link in the folder's place is not followed. (A
build that fails keeps none: tests/hostile/test_commands.py, inline and forked.)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from generator import calendar, documentcache, feeds
from generator.build import build
from tests.conftest import FIXED_NOW, ROOT
from tests.hostile.test_template_cache import tree_of

LATER = FIXED_NOW + timedelta(minutes=7)  # a new clock, as every real build has


@pytest.fixture
def site(tmp_path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content", root / "content")
    return root


@pytest.fixture
def made(monkeypatch) -> list[str]:
    """What the libraries were asked to make: one entry per feed or calendar built from its document."""
    names: list[str] = []
    real_feed, real_calendar = feeds._generator, calendar._calendar

    def feed(document):
        names.append(f"feed {document[0][0]}")
        return real_feed(document)

    def cal(document):
        names.append("calendar")
        return real_calendar(document)

    monkeypatch.setattr(feeds, "_generator", feed)
    monkeypatch.setattr(calendar, "_calendar", cal)
    return names


def _fresh_build(root: Path, now, out: Path, cache: bool = True) -> dict[str, bytes]:
    """A build as a new process starts it: nothing kept in memory from an earlier build."""
    feeds._LAST.clear()
    build(root, now, out, cache=root / ".statusgen-cache" / "markdown.sqlite" if cache else None)
    return tree_of(out)


def _documents(root: Path) -> list[Path]:
    return sorted((root / ".statusgen-cache" / documentcache.FOLDER).glob(f"*{documentcache.SUFFIX}"))


def test_a_build_at_a_new_time_takes_the_feeds_and_calendar_from_the_cache(site, tmp_path, key_home, made):
    _fresh_build(site, FIXED_NOW, tmp_path / "first")
    assert made.count("calendar") == 1 and len(made) > 2
    assert len(_documents(site)) == len(made)
    made.clear()
    warm = _fresh_build(site, LATER, tmp_path / "warm")
    assert made == []
    assert warm == _fresh_build(site, LATER, tmp_path / "plain", cache=False)


def test_an_edited_incident_makes_its_documents_again_and_the_unused_ones_go(site, tmp_path, key_home, made):
    _fresh_build(site, FIXED_NOW, tmp_path / "first")
    before = set(_documents(site))
    incident = next(p for p in sorted((site / "content" / "incidents").glob("*.md")) if "database-upgrade" in p.name)
    text = incident.read_text(encoding="utf-8")
    incident.write_text(text.replace("\n## ", "\n## 2026-11-26 11:30 UTC — Update\nA word from the test.\n\n## ", 1),
                        encoding="utf-8")
    made.clear()
    warm = _fresh_build(site, FIXED_NOW, tmp_path / "second")
    assert made, "the edit changes the site feed at least"
    assert warm == _fresh_build(site, FIXED_NOW, tmp_path / "plain", cache=False)
    after = set(_documents(site))
    assert after - before and before - after  # new documents in, the replaced ones out
    assert len(after) == len(before)  # one per feed form and one calendar, as before


def test_a_document_this_users_key_did_not_sign_is_never_used(site, tmp_path, key_home, made):
    plain = _fresh_build(site, FIXED_NOW, tmp_path / "plain", cache=False)
    _fresh_build(site, FIXED_NOW, tmp_path / "first")
    forged_body = b"<rss><channel><title>owned</title></channel></rss>"
    other_key = b"k" * 32
    for k, path in enumerate(_documents(site)):
        if k % 2:  # signed with someone else's key: what a committed cache would hold
            mac = hmac.new(other_key, path.name.encode() + b"\0" + forged_body, hashlib.sha256).digest()
            path.write_bytes(documentcache.MAGIC + mac + forged_body)
        else:  # ours, edited after the fact
            data = path.read_bytes()
            path.write_bytes(data[:len(documentcache.MAGIC) + 32] + forged_body)
    made.clear()
    assert _fresh_build(site, FIXED_NOW, tmp_path / "second") == plain
    assert len(made) == len(_documents(site))  # every one made afresh
    assert all(forged_body not in p.read_bytes() for p in _documents(site))


def test_a_link_in_the_folders_place_is_not_followed(site, tmp_path, key_home):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / ".statusgen-cache").mkdir()
    os.symlink(elsewhere, site / ".statusgen-cache" / documentcache.FOLDER)
    plain = _fresh_build(site, FIXED_NOW, tmp_path / "plain", cache=False)
    assert _fresh_build(site, FIXED_NOW, tmp_path / "linked") == plain
    assert list(elsewhere.iterdir()) == []


def test_no_cache_keeps_no_documents(site, tmp_path, key_home):
    _fresh_build(site, FIXED_NOW, tmp_path / "out", cache=False)
    assert not (site / ".statusgen-cache" / documentcache.FOLDER).exists()


def test_a_warm_build_does_not_import_the_feed_and_calendar_libraries(site, tmp_path, key_home):
    """Their imports are most of a small site's start-up: a fresh process that finds the documents skips them."""
    script = (
        "import sys; from pathlib import Path; from generator.build import build; from datetime import datetime\n"
        f"build(Path({str(site)!r}), datetime.fromisoformat(NOW), Path({str(tmp_path / 'out')!r}),\n"
        f"      cache=Path({str(site / '.statusgen-cache' / 'markdown.sqlite')!r}))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'feedgen', 'lxml', 'icalendar'}))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(key_home)}

    def run(now) -> str:
        done = subprocess.run([sys.executable, "-c", script.replace("NOW", repr(now.isoformat()))], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()

    assert run(FIXED_NOW) == "['feedgen', 'icalendar', 'lxml']"
    assert run(LATER) == "[]"
