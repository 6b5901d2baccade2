"""Run inside a private mount namespace (see test_output.py): a rebuild onto a full tmpfs.

    python full_disk.py SITE MOUNTPOINT NOW

Mounts a small tmpfs at MOUNTPOINT, builds SITE into it, fills the disk but
for a few pages, changes every page and rebuilds; then a cold build into a
new folder on the full disk. Prints a JSON report for the test to judge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.hostile.util import retitle, snapshot, strays  # noqa: E402


def statusgen(*args) -> dict:
    run = subprocess.run([sys.executable, "-m", "generator", *map(str, args)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2])
    return {"rc": run.returncode, "stderr": run.stderr}


def fill(path: Path, leave: int) -> None:
    """Write `path` until the disk is full, then give back `leave` bytes."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError:
            pass
    size = path.stat().st_size
    os.truncate(path, max(0, size - leave))


def main() -> None:
    site, mnt, now = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], check=True)
    out = mnt / "output"
    first = statusgen("build", site, "--out", out, "--now", now, "--no-cache")
    if first["rc"]:
        raise SystemExit(f"first build failed: {first['stderr']}")
    retitle(site)
    before = snapshot(out)
    fill(mnt / "filler", 2 * 4096)  # room for a few small files of the rebuild, not for a large page
    rebuild = statusgen("build", site, "--out", out, "--now", now, "--no-cache")
    report = {"rebuild": rebuild, "before": before, "after": snapshot(out),
              "entries": sorted(os.listdir(mnt)), "strays": strays(mnt)}
    report["cold"] = statusgen("build", site, "--out", mnt / "fresh", "--now", now, "--no-cache")
    report["entries_after_cold"] = sorted(os.listdir(mnt))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
