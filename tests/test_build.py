"""Writing the output folder: whole and fresh, or updated in place touching only what changed."""

from __future__ import annotations

from pathlib import Path

from generator.build import write_tree


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
