"""The other commands fail cleanly too (issue item 7)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.hostile.util import (
    NOBODY, NOW, assert_one_clean_line, cli, give_to, scratch_site, shared_tmp, snapshot, strays,
)

FIRST = "2026-11-10-api-errors"


def run(*args):
    return CliRunner().invoke(main, [*map(str, args)])


# --- check --summary --base REF: a base holding links ----------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout


def test_a_base_ref_with_links_is_read_without_following_them(tmp_path):
    site = scratch_site(tmp_path / "site")
    incidents = site / "content" / "incidents"
    os.symlink("/etc/passwd", incidents / "2026-11-01-passwd.md")
    os.symlink("../../../../../../../../etc/hostname", incidents / "2026-11-02-up.md")
    os.symlink("/etc", site / "content" / "etc")
    git(site, "init", "-q", "-b", "main")
    git(site, "add", "content")
    git(site, "commit", "-q", "-m", "base with links")
    git(site, "rm", "-q", "content/incidents/2026-11-01-passwd.md", "content/incidents/2026-11-02-up.md", "content/etc")
    git(site, "commit", "-q", "-m", "links gone")
    summary = tmp_path / "summary.md"
    result = run("check", site, "--now", NOW, "--summary", summary, "--base", "HEAD~1")
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.output
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## What this change does to the status page")
    assert "root:" not in text  # nothing of /etc/passwd reaches the summary


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info


def test_a_hostile_archive_writes_nothing_outside_its_folder(tmp_path):
    from generator.summary import _extract

    into, outside = tmp_path / "into", tmp_path / "outside"
    into.mkdir()
    outside.mkdir()
    data = _tar([
        (_member("content/ok.md"), b"fine"),
        (_member(f"{outside}/abs.md"), b"absolute"),
        (_member("../outside/up.md"), b"dot-dot"),
        (_member("content/link", tarfile.SYMTYPE, str(outside)), None),
        (_member("content/link/through.md"), b"through a link"),
        (_member("content/passwd.md", tarfile.SYMTYPE, "/etc/passwd"), None),
        (_member("content/passwd.md"), b"over the link"),
        (_member("content/hard.md", tarfile.LNKTYPE, "/etc/passwd"), None),
        (_member("content/fifo", tarfile.FIFOTYPE), None),
        (_member("content/dev", tarfile.CHRTYPE), None),
    ])
    from generator.summary import BaseUnavailable

    with pytest.raises(BaseUnavailable, match="cannot unpack it: File exists"):  # the file over the link
        _extract(data, into)
    assert list(outside.iterdir()) == []
    assert (into / "content" / "ok.md").read_bytes() == b"fine"
    assert os.readlink(into / "content" / "link") == str(outside)  # made as a link, never followed
    assert os.readlink(into / "content" / "passwd.md") == "/etc/passwd"
    assert sorted(p.name for p in (into / "content").iterdir()) == ["link", "ok.md", "passwd.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["into", "outside"]


# --- new / update: read-only folders and files ---------------------------------------


@pytest.fixture
def locked_site():
    """A site owned by nobody whose incidents folder is read-only (0555)."""
    top = shared_tmp()
    site = scratch_site(top / "site")
    give_to(top, NOBODY)
    (site / "content" / "incidents").chmod(0o555)
    yield top, site
    shutil.rmtree(top, ignore_errors=True)


def test_new_in_a_read_only_incidents_folder_is_one_line(locked_site):
    top, site = locked_site
    before = snapshot(site)
    result = cli("new", "incident", "Elevated errors", "--site", site, "--now", NOW, user=NOBODY, cwd=top)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result.stderr, str(site / "content" / "incidents"), "Permission denied")
    assert snapshot(site) == before and not strays(site)


def test_update_in_a_read_only_incidents_folder_is_one_line(locked_site):
    top, site = locked_site
    before = snapshot(site)
    result = cli("update", FIRST, "update", "Still fine.", "--at", NOW, "--site", site, user=NOBODY, cwd=top)
    assert result.returncode == 1, result.stderr
    assert_one_clean_line(result.stderr, f"{FIRST}.md", "Permission denied")
    assert snapshot(site) == before and not strays(site)


def test_update_refuses_a_read_only_file_as_an_editor_would(tmp_path):
    site = scratch_site(tmp_path / "site")
    path = site / "content" / "incidents" / f"{FIRST}.md"
    path.chmod(0o444)
    before = snapshot(site)
    result = run("update", FIRST, "update", "Still fine.", "--at", NOW, "--site", site)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, str(path), "read-only")
    assert snapshot(site) == before and not strays(site)
    path.chmod(0o644)  # the same update goes through once the file is writable
    assert run("update", FIRST, "update", "Still fine.", "--at", NOW, "--site", site).exit_code == 0


# --- a theme template that raises ---------------------------------------------------

RAISING = '{% extends "base.html" %}{% block main %}\n<p>before</p>\n{{ 1 // 0 }}\n{% endblock %}'


def _themed(site: Path, template: str) -> Path:
    path = site / "themes" / "custom" / "templates" / template
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RAISING, encoding="utf-8")
    settings = site / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "theme: custom\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "forked-workers"])
@pytest.mark.parametrize("template,page", [("incident.html", "incidents/2026-11-1"), ("index.html", "index.html")])
def test_a_template_raising_is_one_line_naming_template_and_page(tmp_path, monkeypatch, parallel, template, page):
    from generator import workers

    if parallel:
        monkeypatch.setattr(workers, "PARALLEL_MIN", 1)
        monkeypatch.setattr(workers, "count", lambda: 2)
    site = scratch_site(tmp_path / "site")
    path = _themed(site, template)
    result = run("build", site, "--now", NOW)
    assert result.exit_code == 1, result.output
    assert_one_clean_line(result.output, f"{path}:3", page, "ZeroDivisionError")
    assert sorted(os.listdir(site)) == ["content", "themes"]


# --- serve -------------------------------------------------------------------------


def test_serve_answers_404_to_a_nul_byte_without_a_traceback(tmp_path, capfd):
    from generator.build import build
    from generator.serve import start_server
    from tests.conftest import FIXED_NOW

    out = build(scratch_site(tmp_path / "site"), FIXED_NOW).out
    server = start_server(out, 0)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for path in ("%00", "index.html%00", "incidents/%00/", "%ED%A0%80.html", "static/%00x.css"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(base + path, timeout=10)
            assert missing.value.code == 404, path
            assert b"Page not found" in missing.value.read()
        assert urllib.request.urlopen(base, timeout=10).status == 200  # still serving
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err


def test_serve_survives_bad_saves_and_keeps_the_last_good_build(tmp_path):
    from tests.conftest import FIXED_NOW
    from tests.serving import serving, wait_for

    site = scratch_site(tmp_path / "site")
    with serving(site, FIXED_NOW) as served:
        messages = served.messages

        def failures():
            return sum("still serving the last good build" in m for m in messages)

        def home():
            return urllib.request.urlopen(served.url, timeout=10).read()

        good = home()
        assert b"Scratch Status" in good
        incidents = site / "content" / "incidents"
        (incidents / "2026-11-20-bad.md").write_bytes(
            b"---\ntitle: Control \\x01 title\ncomponents: {api: major_outage}\n---\n"
            b"## 2026-11-20 10:00 UTC \xe2\x80\x94 Investigating\nA control character: \x01 here.\n"
        )
        assert wait_for(lambda: failures() >= 1), messages
        assert served.thread.is_alive() and home() == good
        (incidents / "2026-11-20-bad.md").unlink()
        assert wait_for(lambda: any(m.startswith("built ") for m in messages[-3:])), messages
        _themed(site, "index.html")
        assert wait_for(lambda: any("ZeroDivisionError" in m for m in messages)), messages
        assert served.thread.is_alive() and home() == good
        error_lines = [m for m in messages if "still serving" in m]
        assert all("Traceback" not in m for m in messages)
        assert all(len(m.splitlines()) >= 2 for m in error_lines)  # the errors, then what happens
        settings = site / "content" / "site.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace("theme: custom\n", ""), encoding="utf-8")
        assert wait_for(lambda: b"Scratch Status" in home() and messages[-1].startswith("built ")), messages
