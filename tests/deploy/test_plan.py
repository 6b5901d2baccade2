"""The pure parts of publishing: media types, the plan, what the listing and manifest prove, CloudFront paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import mediatypes
from generator.publish.bucket import remote_from_head
from generator.publish.model import HEADERS, UPLOAD, Listed, LocalFile, Manifest, Remote
from generator.publish.plan import (
    cors_rules, invalidation_batches, invalidation_paths, is_md5, manifest_after, manifest_ahead, manifest_json,
    parse_manifest, plan, resolve,
)
from generator.publish.tree import hash_files, walk

SHORT = mediatypes.DEFAULT_CACHE_CONTROL
RULES = mediatypes.rules_fingerprint()


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
    fields = {"content_type": mediatypes.content_type(key), "cache_control": mediatypes.cache_control(key),
              "confirmed": ours}
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


def test_plan_never_deletes_an_object_whose_marker_was_not_read():
    remote = {"index.html": r("index.html"), "old.html": r("old.html", confirmed=False), "gone.html": r("gone.html")}
    p = plan({"index.html": f("index.html")}, remote)
    assert p.deletes == () and p.stale == ("gone.html", "old.html") and "1 stale object(s) not checked" in p.note


A, B = "a" * 32, "b" * 32
M = Manifest(rules=RULES, keys=frozenset({"a.html", "old.html"}))


@pytest.mark.parametrize("row, manifest, local_md5, expected", [
    # ours, same content, same rules: the listing alone proves it unchanged
    (Listed(A, 10), M, A, "ours"),
    # ours, other content: HEAD, since on some stores (SSE-KMS) a 32-hex ETag is no MD5
    (Listed(B, 10), M, A, "head"),
    # same ETag, other size: something is off
    (Listed(A, 11), M, A, "head"),
    # a multipart or encrypted ETag says nothing
    (Listed(A[:30] + "-2", 10), M, A, "head"),
    # an ETag that is not the MD5, recorded by an earlier deploy
    (Listed("e" * 32, 10), Manifest(RULES, frozenset({"a.html"}), etags={"a.html": ("e" * 32, A)}), A, "ours"),
    (Listed("e" * 32, 10), Manifest(RULES, frozenset({"a.html"}), etags={"a.html": ("e" * 32, B)}), A, "ours-old"),
    (Listed("f" * 32, 10), Manifest(RULES, frozenset({"a.html"}), etags={"a.html": ("e" * 32, A)}), A, "head"),
    # header rules changed (or not known) since: headers must be read
    (Listed(A, 10), Manifest("other", M.keys), A, "head"),
    (Listed(A, 10), Manifest(None, M.keys), A, "head"),
    # not in the manifest: never written by us, no HEAD needed
    (Listed(A, 10), Manifest(RULES, frozenset()), A, "theirs"),
    # a write of ours over someone else's object was under way: look
    (Listed(A, 10), Manifest(RULES, M.keys, pending=frozenset({"a.html"})), A, "head"),
    # no manifest at all
    (Listed(A, 10), None, A, "head"),
])
def test_resolve_per_key(row, manifest, local_md5, expected):
    known, to_head = resolve({"a.html": f("a.html", md5=local_md5)}, {"a.html": row}, manifest, RULES)
    got = "head" if to_head == ["a.html"] else (
        "theirs" if not known["a.html"].ours else ("ours" if known["a.html"].md5 == local_md5 else "ours-old"))
    assert got == expected
    if got == "ours":
        assert known["a.html"] == Remote(row.etag, 10, A, f("a.html").content_type, f("a.html").cache_control, True)


def test_resolve_heads_what_it_may_delete_and_only_that():
    listing = {"a.html": Listed(A, 10), "old.html": Listed(B, 10), "theirs.html": Listed(B, 10)}
    local = {"a.html": f("a.html")}
    known, to_head = resolve(local, listing, M, RULES)
    assert to_head == ["old.html"]  # ours and stale: the marker must be read before a delete
    assert not known["theirs.html"].ours  # not in the manifest: kept without a HEAD
    known, to_head = resolve(local, listing, M, RULES, may_delete=False)
    assert to_head == [] and known["old.html"].ours and not known["old.html"].confirmed
    assert resolve(local, listing, M, RULES, verify=True) == ({}, sorted(listing))


def test_manifest_ahead_only_widens():
    known = {"a.html": r("a.html"), "theirs.html": r("theirs.html", ours=False)}
    known["replaced.html"] = r("replaced.html", ours=False, etag="c" * 32)
    writes = [(UPLOAD, "a.html"), (UPLOAD, "new.html"), (HEADERS, "theirs.html"), (UPLOAD, "replaced.html")]
    ahead = manifest_ahead(M, RULES, writes, known)
    # an upload changes the ETag, so a failed one is caught anyway; an adopted object keeps its ETag
    assert ahead == Manifest(RULES, frozenset({"a.html", "old.html", "new.html", "replaced.html"}), frozenset({"theirs.html"}))
    # contents changing under the same rules: nothing to write ahead
    assert manifest_ahead(M, RULES, [(UPLOAD, "a.html")], known) == M
    # other rules: not known until every write is done
    assert manifest_ahead(M, "other", [(HEADERS, "a.html")], known).rules is None
    assert manifest_ahead(None, RULES, writes, known).rules is None


def test_manifest_after_is_exactly_our_objects():
    known = {
        "a.html": r("a.html"),
        "kms.html": r("kms.html", etag="f" * 32),  # an ETag that is not the MD5: remembered
        "theirs.html": r("theirs.html", ours=False),
    }
    assert manifest_after(RULES, known) == Manifest(
        RULES, frozenset({"a.html", "kms.html"}), etags={"kms.html": ("f" * 32, A)})


def test_manifest_round_trips_and_garbage_is_ignored():
    m = Manifest("r", frozenset({"b.html", "a.html"}), frozenset({"c.html"}), {"a.html": ("e" * 32, A)})
    body = manifest_json(m)
    assert body == manifest_json(Manifest("r", frozenset({"a.html", "b.html"}), frozenset({"c.html"}), {"a.html": ("e" * 32, A)}))
    assert parse_manifest(body) == m
    assert parse_manifest(manifest_json(Manifest(None, frozenset()))) == Manifest(None, frozenset())
    for junk in (b"", b"not json", b"[]", b'{"version": 1, "objects": {}}',
                 b'{"version": 2, "rules": 3, "keys": [], "pending": [], "etags": {}}',
                 b'{"version": 2, "rules": null, "keys": "abc", "pending": [], "etags": {}}'):
        assert parse_manifest(junk) is None


@pytest.mark.parametrize("etag, expected", [(A, True), ("0123456789abcdef" * 2, True), (A + "-2", False),
                                            (A.upper(), False), (A[:31], False), ("", False)])
def test_is_md5(etag, expected):
    assert is_md5(etag) == expected


def test_rules_fingerprint_follows_the_header_settings():
    assert mediatypes.rules_fingerprint() == mediatypes.rules_fingerprint(SHORT) == RULES
    assert mediatypes.rules_fingerprint("public, max-age=30") != RULES


def test_remote_from_head_reads_our_marker():
    head = {"ETag": '"abc"', "ContentLength": 3, "ContentType": "text/html", "CacheControl": "x",
            "Metadata": {"published-by": "statusgen", "statusgen-md5": "m"}}
    assert remote_from_head(head) == Remote("abc", 3, "m", "text/html", "x", ours=True, confirmed=True)
    head["Metadata"] = {"statusgen-md5": "m"}  # no marker: not ours, whatever else it says
    assert remote_from_head(head) == Remote("abc", 3, None, "text/html", "x", ours=False, confirmed=False)


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
    found = hash_files(walk(tmp_path))
    assert list(found) == ["a/index.html"]
    assert found["a/index.html"].md5 == "49f68a5c8493ec2c0bf489821c21fc3b"
    assert found["a/index.html"].content_type == "text/html; charset=utf-8"


def test_list_ranges_cover_the_whole_key_space():
    from generator.publish.bucket import list_ranges

    assert list_ranges("p/", []) == [(None, None)]
    assert list_ranges("p/", ["a", "b", "c", "d", "e"], page=2) == [(None, "p/c"), ("p/c", "p/e"), ("p/e", None)]
