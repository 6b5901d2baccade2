"""Shared by the hostile tests: hash a tree, find stray files, run the CLI (as root or as nobody)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.scratch import write_site

NOW = "2026-11-26 12:00 UTC"
NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]

INCIDENTS = {
    f"2026-11-{day:02d}-api-errors": f"""
        ---
        title: API errors {day}
        components:
          api: partial_outage
        ---
        ## 2026-11-{day:02d} 10:00 UTC — Resolved
        Fixed.

        ## 2026-11-{day:02d} 09:00 UTC — Investigating
        Looking.
        """
    for day in range(10, 16)
}


def scratch_site(root: Path) -> Path:
    return write_site(root, INCIDENTS)


def retitle(site: Path, title: str = "Renamed Status") -> None:
    """A change that touches every page, so a rebuild has many files to replace."""
    path = site / "content" / "site.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Scratch Status", title), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, tuple[str, str]]:
    """Every entry under `folder` (links not followed): its kind and a hash of its bytes, mode included."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[rel] = ("dir", oct(info.st_mode))
            else:
                seen[rel] = (oct(info.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
    return seen


def strays(folder: Path) -> list[str]:
    """Staging folders and temp files a build or a command might leave behind."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            if name.endswith(".tmp") or "-stage-" in name or (name.startswith(".") and name not in (".statusgen-cache",)):
                found.append(os.path.join(dirpath, name))
    return found


def assert_one_clean_line(output: str, *needles: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, output
    for needle in needles:
        assert needle in errors[0], output
    return errors[0]


def cli(*args, user: int | None = None, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m generator ARGS` in a child process; as `user` (no capabilities) when given."""
    prefix = []
    if user is not None:
        prefix = as_user(user)
    full_env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    if user is not None:
        full_env["HOME"] = str(cwd or tempfile.gettempdir())
    return subprocess.run([*prefix, sys.executable, "-m", "generator", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or REPO, env=full_env, timeout=300)


def as_user(uid: int) -> list[str]:
    """A command prefix running as `uid` without any capability (CAP_DAC_OVERRIDE above all)."""
    if os.geteuid() != 0:
        return []  # already not root: permissions apply
    setpriv = shutil.which("setpriv")
    if not setpriv:
        if os.environ.get("CI"):
            pytest.fail("setpriv (util-linux) is needed under CI to drop root's capabilities")
        pytest.skip("setpriv is not installed")
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]


def shared_tmp() -> Path:
    """A temp folder another user can reach (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="statusgen-hostile-"))
    folder.chmod(0o755)
    return folder


def give_to(folder: Path, uid: int) -> None:
    if os.geteuid() != 0:
        return
    os.chown(folder, uid, uid)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)
