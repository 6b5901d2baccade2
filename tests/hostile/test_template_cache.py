"""The compiled-template cache in .statusgen-cache/templates/: used when it is ours, never run when it is not.

A pull request can commit a `.statusgen-cache/` folder, and Jinja's bytecode
files are marshalled code: loading one is running it. Every file must carry a
MAC made with this user's key (outside the site), or it is ignored.
"""

from __future__ import annotations

import io
import marshal
import os
from pathlib import Path

import jinja2
import pytest
from jinja2.bccache import Bucket

from generator import cachefiles, templatecache
from generator.build import CACHE_FILE, build
from tests.conftest import FIXED_NOW, ROOT


def tree_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, *args, **kwargs):
        names.append(name)
        return real(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    return names


def _build(cache: Path, out: Path) -> dict[str, bytes]:
    build(ROOT, FIXED_NOW, out, cache=cache)
    return tree_of(out)


def test_a_rebuild_loads_the_compiled_templates_and_the_output_is_the_same(tmp_path, key_home, compiles):
    cache = tmp_path / "site-cache" / "markdown.sqlite"
    plain = tree_of(build(ROOT, FIXED_NOW, tmp_path / "plain").out)
    compiles.clear()
    first = _build(cache, tmp_path / "first")
    assert "incident.html" in compiles and "base.html" in compiles
    assert len(list((cache.parent / templatecache.FOLDER).glob("*.cache"))) == len(compiles)
    compiles.clear()
    assert _build(cache, tmp_path / "second") == first == plain
    assert compiles == []  # every template came from the cache
    key = key_home / "statusgen" / "template-key"
    assert key.stat().st_mode & 0o777 == 0o600 and key.stat().st_size == cachefiles.KEY_SIZE


def _forge(path: Path, code_text: str, signed_with: bytes | None) -> None:
    """Replace a cache file by one whose bytecode runs `code_text`: raw Jinja format, or signed with another key."""
    env = jinja2.Environment()
    bucket = Bucket(env, path.stem, "whatever")
    bucket.code = compile(code_text, "<forged>", "exec")
    raw = io.BytesIO()
    bucket.write_bytecode(raw)
    body = raw.getvalue()
    if signed_with is None:
        path.write_bytes(body)  # what jinja2.FileSystemBytecodeCache would read and run
    else:
        forger = templatecache.SignedBytecodeCache(path.parent, signed_with)
        path.write_bytes(templatecache.MAGIC + forger._mac(bucket, body) + body)


@pytest.mark.parametrize("signed_with", [None, b"k" * 32], ids=["unsigned", "another-key"])
def test_a_forged_or_committed_cache_file_is_never_run(tmp_path, key_home, compiles, signed_with):
    cache = tmp_path / "site-cache" / "markdown.sqlite"
    expected = _build(cache, tmp_path / "first")
    sentinel = tmp_path / "pwned"
    files = sorted((cache.parent / templatecache.FOLDER).glob("*.cache"))
    for path in files:
        _forge(path, f"open({str(sentinel)!r}, 'w').write('ran')", signed_with)
    compiles.clear()
    assert _build(cache, tmp_path / "second") == expected
    assert not sentinel.exists()
    assert len(compiles) == len(files)  # each template compiled from its source instead
    compiles.clear()
    assert _build(cache, tmp_path / "third") == expected and compiles == []  # and the files are ours again


def test_an_entry_moved_to_another_template_is_refused(tmp_path, key_home, compiles):
    """The MAC covers the entry's name: a valid file of one template cannot stand for another."""
    cache = tmp_path / "site-cache" / "markdown.sqlite"
    expected = _build(cache, tmp_path / "first")
    files = sorted((cache.parent / templatecache.FOLDER).glob("*.cache"))
    donor = files[0].read_bytes()
    for path in files[1:]:
        path.write_bytes(donor)
    compiles.clear()
    assert _build(cache, tmp_path / "second") == expected
    assert len(compiles) == len(files) - 1


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "link", "fifo", "folder"])
def test_a_damaged_cache_file_is_a_cold_start(tmp_path, key_home, damage):
    cache = tmp_path / "site-cache" / "markdown.sqlite"
    expected = _build(cache, tmp_path / "first")
    elsewhere = tmp_path / "elsewhere.cache"
    for path in (cache.parent / templatecache.FOLDER).glob("*.cache"):
        data = path.read_bytes()
        path.unlink()
        if damage == "truncated":
            path.write_bytes(data[: len(data) // 2])
        elif damage == "garbage":
            path.write_bytes(os.urandom(len(data)))
        elif damage == "empty":
            path.write_bytes(b"")
        elif damage == "link":
            elsewhere.write_bytes(data)
            path.symlink_to(elsewhere)  # even a valid file is not read through a link
        elif damage == "fifo":
            os.mkfifo(path)
        else:
            path.mkdir()
    assert _build(cache, tmp_path / "second") == expected


def test_a_linked_templates_folder_is_neither_read_nor_written(tmp_path, key_home):
    site_cache = tmp_path / "site-cache"
    target = tmp_path / "target"
    target.mkdir()
    site_cache.mkdir()
    (site_cache / templatecache.FOLDER).symlink_to(target)
    expected = tree_of(build(ROOT, FIXED_NOW, tmp_path / "plain").out)
    assert _build(site_cache / "markdown.sqlite", tmp_path / "out") == expected
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o602])
def test_a_key_others_can_read_or_write_is_not_used(tmp_path, key_home, mode):
    key = key_home / "statusgen" / "template-key"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"s" * cachefiles.KEY_SIZE)
    key.chmod(mode)
    cache = tmp_path / "site-cache" / "markdown.sqlite"
    _build(cache, tmp_path / "out")
    assert not (cache.parent / templatecache.FOLDER).exists()  # no key, no cache
    assert key.read_bytes() == b"s" * cachefiles.KEY_SIZE  # and the file is left alone


def test_no_cache_means_no_compiled_templates_either(tmp_path, key_home):
    from click.testing import CliRunner

    from generator.cli import main
    from tests.hostile.util import NOW, scratch_site

    site = scratch_site(tmp_path / "site")
    result = CliRunner().invoke(main, ["build", str(site), "--now", NOW, "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (site / CACHE_FILE).parent.exists()


def test_the_key_changes_with_the_environment():
    """A filter that now takes the context (or a new extension) must not load code compiled without it."""
    def env(**filters):
        made = jinja2.Environment(autoescape=True)
        made.filters.update(filters)
        return made

    plain = templatecache.fingerprint(env(when=lambda value: value))
    assert templatecache.fingerprint(env(when=lambda value: value)) == plain
    assert templatecache.fingerprint(env(when=jinja2.pass_context(lambda context, value: value))) != plain
    assert templatecache.fingerprint(jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])) != \
        templatecache.fingerprint(jinja2.Environment(autoescape=True))
    assert templatecache.fingerprint(jinja2.Environment(trim_blocks=True)) != templatecache.fingerprint(jinja2.Environment())


def test_forged_bytecode_would_run_without_the_mac():
    """The attack is real: the forged file is valid Jinja bytecode, and loading it runs it."""
    bucket = Bucket(jinja2.Environment(), "x", "y")
    bucket.code = compile("ran = True", "<forged>", "exec")
    raw = io.BytesIO()
    bucket.write_bytecode(raw)
    loaded = Bucket(jinja2.Environment(), "x", "y")
    loaded.load_bytecode(io.BytesIO(raw.getvalue()))
    scope: dict = {}
    exec(loaded.code, scope)  # noqa: S102 - what Jinja does with a cached template
    assert scope["ran"] is True and isinstance(marshal.dumps(loaded.code), bytes)
