"""The pure parts of publishing: media types, the plan, manifest trust, CloudFront paths."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from generator import mediatypes
from generator.publish import (
    HEADERS, UPLOAD, Listed, LocalFile, Manifest, Remote, cors_rules, invalidation_batches,
    invalidation_paths, manifest_json, parse_manifest, plan, remote_from_head, scan, trust,
)

SHORT = mediatypes.DEFAULT_CACHE_CONTROL
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("key, expected", [
    ("index.html", "text/html; charset=utf-8"),
    ("incidents/x/index.html", "text/html; charset=utf-8"),
    ("static/app.1a2b3c4d.css", "text/css; charset=utf-8"),
    ("embed.js", "text/javascript; charset=utf-8"),
    ("api/v2/summary.json", "application/json; charset=utf-8"),
    ("sitemap.xml", "application/xml; charset=utf-8"),
    ("history.rss", "application/rss+xml; charset=utf-8"),
    ("history.atom", "application/atom+xml; charset=utf-8"),
    ("maintenance.ics", "text/calendar; charset=utf-8"),
    ("badge.svg", "image/svg+xml; charset=utf-8"),
    ("static/logo.png", "image/png"),
    ("favicon.ico", "image/vnd.microsoft.icon"),
    ("static/inter.0badc0de.woff2", "font/woff2"),
    ("robots.txt", "text/plain; charset=utf-8"),
    ("site.webmanifest", "application/manifest+json; charset=utf-8"),
    ("INDEX.HTML", "text/html; charset=utf-8"),
    ("LICENSE", "application/octet-stream"),
    (".hidden", "application/octet-stream"),
    ("archive.tar.zst", "application/octet-stream"),
])
def test_content_type_table(key, expected):
    assert mediatypes.content_type(key) == expected


@pytest.mark.parametrize("key, short, expected", [
    ("static/app.1a2b3c4d.css", None, mediatypes.IMMUTABLE),
    ("themes/static/app.1a2b3c4d5e6f.js", None, mediatypes.IMMUTABLE),
    ("static/app.css", None, SHORT),  # not hashed: may change under the same name
    ("static/app.1a2b3c.css", None, SHORT),  # 6 hex digits is not a content hash
    ("app.1a2b3c4d.css", None, SHORT),  # outside static/
    ("index.html", None, SHORT),
    ("history.atom", "public, max-age=30", "public, max-age=30"),
    ("badge.svg", "no-cache", "no-cache"),
    ("static/app.1a2b3c4d.css", "no-cache", mediatypes.IMMUTABLE),
])
def test_cache_control(key, short, expected):
    assert mediatypes.cache_control(key, short) == expected


def test_default_cache_control_lets_a_cdn_serve_stale_when_the_origin_fails():
    assert "stale-if-error" in SHORT and "max-age=60" in SHORT


def f(key: str, md5: str = "a" * 32, size: int = 10, short: str | None = None) -> LocalFile:
    return LocalFile(Path(key), md5, size, mediatypes.content_type(key), mediatypes.cache_control(key, short))


def r(key: str, md5: str = "a" * 32, size: int = 10, ours: bool = True, etag: str | None = None, **kw) -> Remote:
    fields = {"content_type": mediatypes.content_type(key), "cache_control": mediatypes.cache_control(key)}
    fields.update(kw)
    return Remote(etag=etag or md5, size=size, md5=md5 if ours else None, ours=ours, **fields)


def test_plan_of_an_empty_bucket_uploads_everything_in_order():
    keys = ["index.html", "404.html", "history.atom", "api/v2/summary.json", "incidents/a/index.html",
            "static/app.1a2b3c4d.css", "embed.js", "badge.svg", "components/x/badge.svg", "maintenance.ics"]
    p = plan({k: f(k) for k in keys}, {})
    assert p.writes == (
        (UPLOAD, "embed.js"), (UPLOAD, "static/app.1a2b3c4d.css"),
        (UPLOAD, "incidents/a/index.html"),
        (UPLOAD, "api/v2/summary.json"), (UPLOAD, "badge.svg"), (UPLOAD, "components/x/badge.svg"),
        (UPLOAD, "history.atom"), (UPLOAD, "maintenance.ics"),
        (UPLOAD, "404.html"), (UPLOAD, "index.html"),
    )
    assert p.deletes == p.unchanged == () and p.note == ""


@pytest.mark.parametrize("remote, expected", [
    (r("a.html"), "unchanged"),
    (r("a.html", md5="b" * 32), UPLOAD),  # content changed
    (r("a.html", content_type="text/html"), HEADERS),  # charset missing
    (r("a.html", cache_control="max-age=3600"), HEADERS),
    (r("a.html", ours=False, etag="a" * 32), HEADERS),  # same bytes from another tool: adopt by copy
    (r("a.html", ours=False, etag="a" * 32 + "-2"), UPLOAD),  # multipart ETag is no MD5
    (r("a.html", ours=False, etag="c" * 32), UPLOAD),
    (r("a.html", md5="a" * 32, etag="d" * 32 + "-3"), "unchanged"),  # ours, multipart: our MD5 decides
])
def test_plan_per_key(remote, expected):
    p = plan({"a.html": f("a.html")}, {"a.html": remote})
    got = "unchanged" if p.unchanged else p.writes[0][0]
    assert got == expected


def test_plan_deletes_only_our_stale_objects():
    local = {"index.html": f("index.html")}
    remote = {"index.html": r("index.html"), "old.html": r("old.html"), "theirs.html": r("theirs.html", ours=False)}
    p = plan(local, remote)
    assert p.deletes == ("old.html",)
    assert p.kept == ("theirs.html",)


def test_plan_no_delete_flag_keeps_stale_objects_and_says_so():
    p = plan({"index.html": f("index.html")}, {"old.html": r("old.html")}, delete=False)
    assert p.deletes == () and p.stale == ("old.html",) and "--no-delete" in p.note


def test_plan_empty_build_deletes_nothing():
    p = plan({}, {f"p{i}.html": r(f"p{i}.html") for i in range(3)})
    assert p.deletes == () and p.writes == () and "empty" in p.note and len(p.stale) == 3


def test_plan_more_stale_objects_than_the_cap_deletes_nothing_and_says_why():
    remote = {f"p{i}.html": r(f"p{i}.html") for i in range(6)}
    p = plan({"index.html": f("index.html")}, remote, max_deletes=5)
    assert p.deletes == ()
    assert "6 stale objects exceed --max-deletes 5" in p.note
    assert plan({"index.html": f("index.html")}, remote, max_deletes=6).deletes == tuple(sorted(remote))


def test_trust_vouches_only_for_objects_the_listing_confirms():
    entry = r("a.html")
    manifest = Manifest({"a.html": entry, "b.html": r("b.html"), "c.html": r("c.html"), "d.html": r("d.html")}, T0)
    listing = {
        "a.html": Listed(entry.etag, entry.size, T0 - timedelta(seconds=5)),  # as we left it
        "b.html": Listed("f" * 32, 10, T0 - timedelta(seconds=5)),  # replaced by someone
        "c.html": Listed("a" * 32, 10, T0 + timedelta(seconds=1)),  # re-headered since (copy)
        "d.html": Listed("a" * 32, 11, T0),  # size differs
        "e.html": Listed("a" * 32, 10, T0),  # not in the manifest
    }
    known, unknown = trust(listing, manifest)
    assert known == {"a.html": entry}
    assert unknown == ["b.html", "c.html", "d.html", "e.html"]
    assert trust(listing, None) == ({}, sorted(listing))


def test_manifest_round_trips_and_garbage_is_ignored():
    objects = {"b.html": r("b.html"), "a.html": r("a.html", ours=False, etag="e" * 32)}
    body = manifest_json(objects)
    assert body == manifest_json(dict(reversed(list(objects.items()))))  # deterministic
    assert parse_manifest(body, T0) == Manifest(objects, T0)
    for junk in (b"", b"not json", b"[]", b'{"version": 2, "objects": {}}', b'{"version": 1, "objects": {"a": {"x": 1}}}'):
        assert parse_manifest(junk, T0) is None


def test_remote_from_head_reads_our_marker():
    head = {"ETag": '"abc"', "ContentLength": 3, "ContentType": "text/html", "CacheControl": "x",
            "Metadata": {"published-by": "statusgen", "statusgen-md5": "m"}}
    assert remote_from_head(head) == Remote("abc", 3, "m", "text/html", "x", True)
    head["Metadata"] = {"statusgen-md5": "m"}  # no marker: not ours, whatever else it says
    assert remote_from_head(head) == Remote("abc", 3, None, "text/html", "x", False)


def test_invalidation_paths_cover_both_forms_of_directory_pages():
    assert invalidation_paths(["index.html", "incidents/a b/index.html", "history.atom"]) == [
        "/", "/history.atom", "/incidents/a%20b/", "/incidents/a%20b/index.html", "/index.html",
    ]


def test_invalidation_batches_and_the_wildcard_fallback():
    paths = [f"/p{i}" for i in range(7)]
    assert invalidation_batches([], 5) == []
    assert invalidation_batches(paths, threshold=10, size=3) == [paths[:3], paths[3:6], paths[6:]]
    assert invalidation_batches(paths, threshold=6, size=3) == [["/*"]]


def test_cors_rule_is_added_once_and_keeps_other_rules():
    other = {"ID": "theirs", "AllowedMethods": ["PUT"], "AllowedOrigins": ["https://x"]}
    rules = cors_rules([other])
    assert rules[0] == other and rules[1]["AllowedMethods"] == ["GET", "HEAD"] and rules[1]["AllowedOrigins"] == ["*"]
    assert cors_rules(rules) == rules


def test_scan_hashes_every_file_and_skips_our_bookkeeping(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("hi")
    (tmp_path / ".statusgen").mkdir()
    (tmp_path / ".statusgen" / "manifest.json").write_text("{}")
    found = scan(tmp_path)
    assert list(found) == ["a/index.html"]
    assert found["a/index.html"].md5 == "49f68a5c8493ec2c0bf489821c21fc3b"
    assert found["a/index.html"].content_type == "text/html; charset=utf-8"


def test_list_ranges_cover_the_whole_key_space():
    from generator.publish import list_ranges

    assert list_ranges("p/", []) == [(None, None)]
    assert list_ranges("p/", ["a", "b", "c", "d", "e"], page=2) == [(None, "p/c"), ("p/c", "p/e"), ("p/e", None)]
