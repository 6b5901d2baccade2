"""A failed build leaves the previous output byte for byte, and no stray files (issue item 2)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.hostile.util import (
    NOBODY, NOW, assert_one_clean_line, cli, give_to, retitle, scratch_site, shared_tmp, snapshot, strays,
)

LONG = "x" * 300  # a path component past NAME_MAX (255 bytes)


def build(*args):
    return CliRunner().invoke(main, ["build", *map(str, args), "--now", NOW])


@pytest.fixture
def built(tmp_path):
    """A scratch site built once, then changed so that a rebuild replaces every page."""
    site = scratch_site(tmp_path / "site")
    result = build(site)
    assert result.exit_code == 0, result.output
    retitle(site)
    return site


def test_a_read_only_subfolder_fails_the_rebuild_before_any_change():
    """As a user without CAP_DAC_OVERRIDE (CI runs as root: setpriv drops it)."""
    top = shared_tmp()
    try:
        site = scratch_site(top / "site")
        give_to(top, NOBODY)
        first = cli("build", site, "--now", NOW, user=NOBODY, cwd=top)
        assert first.returncode == 0, first.stderr
        locked = site / "output" / "components" / "api"
        locked.chmod(0o555)
        retitle(site)
        before, around = snapshot(site / "output"), sorted(os.listdir(site))
        result = cli("build", site, "--now", NOW, user=NOBODY, cwd=top)
        assert result.returncode == 1, result.stderr
        assert_one_clean_line(result.stderr, str(locked), "Permission denied")
        assert snapshot(site / "output") == before
        assert sorted(os.listdir(site)) == around and not strays(site / "output")
        assert b"Renamed Status" not in (site / "output" / "index.html").read_bytes()
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_a_rename_failing_mid_commit_puts_every_file_back(built, monkeypatch):
    """What the pre-flight cannot foresee (a file system that refuses a rename) is rolled back."""
    out = built / "output"
    before, around = snapshot(out), sorted(os.listdir(built))
    real_replace, calls = os.replace, []

    def flaky(src, dst, *args, **kwargs):
        calls.append(dst)
        if str(dst).startswith(str(out)) and len(calls) == 12:  # eleven live files replaced already
            raise OSError(30, "Read-only file system", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", flaky)
    result = build(built)
    assert len(calls) >= 12
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(calls[11]), "Read-only file system", "left as it was")
    assert snapshot(out) == before
    assert sorted(os.listdir(built)) == around and not strays(out)


def test_a_new_file_and_folder_made_mid_commit_go_again_on_failure(built, monkeypatch):
    """Rolled back too: folders the commit made, files it added, a folder swapped for a file."""
    from generator import build as build_module

    out = built / "output"
    (out / "feed.xml").mkdir()  # a folder where a (new) file goes
    (out / "feed.xml" / "old").write_bytes(b"kept")
    (out / "stale.html").write_bytes(b"no longer made")
    before = snapshot(out)
    producers = build_module.site_producers()
    extra = {"feed.xml": b"<feed/>", "brand/new/page.html": b"new", "zz-last.html": b"last"}
    monkeypatch.setattr(build_module, "site_producers", lambda: [*producers, lambda snap, root: extra])
    real_replace = os.replace

    def failing(src, dst, *args, **kwargs):
        if str(dst).endswith("404.html"):  # the last page of the commit
            raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    result = build(built)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(out / "404.html"), "No space left on device")
    assert snapshot(out) == before and not strays(out)
    assert not (out / "brand").exists()


def test_an_over_long_name_fails_before_any_change(built, monkeypatch):
    from generator import build as build_module

    out = built / "output"
    before, around = snapshot(out), sorted(os.listdir(built))
    producers = build_module.site_producers()
    monkeypatch.setattr(build_module, "site_producers",
                        lambda: [*producers, lambda snap, root: {f"components/{LONG}/index.html": b"page"}])
    result = build(built)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(out / "components" / LONG / "index.html"), "File name too long")
    assert snapshot(out) == before
    assert sorted(os.listdir(built)) == around and not strays(out)


def test_an_over_long_name_in_a_new_folder_leaves_nothing(tmp_path, monkeypatch):
    from generator import build as build_module

    site = scratch_site(tmp_path / "site")
    producers = build_module.site_producers()
    monkeypatch.setattr(build_module, "site_producers",
                        lambda: [*producers, lambda snap, root: {f"{LONG}.html": b"page"}])
    result = build(site)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(site / "output" / f"{LONG}.html"), "File name too long")
    assert sorted(os.listdir(site)) == ["content"]


@pytest.mark.parametrize("out", [LONG, f"{LONG}/site", f"deep/{LONG}"])
def test_an_over_long_output_folder_is_one_line(tmp_path, out):
    site = scratch_site(tmp_path / "site")
    result = build(site, "--out", tmp_path / out)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, LONG, "File name too long")
    assert sorted(os.listdir(tmp_path)) == ["site"] or sorted(os.listdir(tmp_path)) == ["deep", "site"]
    assert not strays(tmp_path)


# --- a full disk: a small tmpfs in a private mount namespace -------------------------

SCENARIO = Path(__file__).with_name("full_disk.py")


def _namespaces() -> list[list[str]]:
    """Ways to get a private mount namespace where mounting a tmpfs is allowed."""
    unshare = shutil.which("unshare")
    if not unshare:
        return []
    ways = [[unshare, "--user", "--map-root-user", "--mount", "--propagation", "private"]]
    if os.geteuid() == 0:
        ways.insert(0, [unshare, "--mount", "--propagation", "private"])
    return ways


def test_a_full_disk_leaves_the_output_as_it_was(tmp_path):
    site = scratch_site(tmp_path / "site")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    tried = []
    for way in _namespaces():
        run = subprocess.run([*way, sys.executable, str(SCENARIO), str(site), str(mnt), NOW],
                             capture_output=True, text=True, timeout=300)
        if run.returncode == 0:
            break
        tried.append(f"{' '.join(way[:2])}: {run.stderr.strip()[-300:]}")
    else:
        if os.environ.get("CI"):
            pytest.fail("cannot mount a small tmpfs (" + "; ".join(tried) + ")")
        pytest.skip("cannot mount a small tmpfs here")
    report = json.loads(run.stdout)
    rebuild = report["rebuild"]
    assert rebuild["rc"] == 1, rebuild
    assert_one_clean_line(rebuild["stderr"], str(mnt / "output"), "No space left on device")
    assert report["before"] == report["after"]
    assert report["entries"] == ["filler", "output"], report["entries"]
    assert report["strays"] == []
    cold = report["cold"]
    assert cold["rc"] == 1, cold
    assert_one_clean_line(cold["stderr"], str(mnt / "fresh"), "No space left on device")
    assert report["entries_after_cold"] == ["filler", "output"]


def test_a_killed_builds_staging_is_removed_by_the_next_build(tmp_path):
    """SIGKILL leaves the staging folder beside the output; the next build removes it once it is stale,
    and leaves a fresh one (a build running at the same time) alone."""
    import os
    import time

    from generator.build import STALE_STAGING, build
    from tests.conftest import FIXED_NOW
    from tests.scratch import write_site

    site = write_site(tmp_path / "site", {})
    old, fresh = site / ".output-stage-killed", site / ".output-running"
    for folder in (old, fresh):
        (folder / "incidents").mkdir(parents=True)
        (folder / "incidents" / "half.html").write_text("half a site")
    past = time.time() - STALE_STAGING - 60
    os.utime(old, (past, past))
    build(site, FIXED_NOW, site / "output")
    assert not old.exists() and fresh.exists()
    build(site, FIXED_NOW, site / "output")  # over an existing output too
    assert (site / "output" / "index.html").is_file()
