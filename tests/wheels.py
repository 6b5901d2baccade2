"""statusgen as a user gets it: the sdist and wheel `python -m build` makes, and a wheelhouse
with every dependency, so that pip can install or lock statusgen offline (it is not on the index here)."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__
from tests.conftest import ROOT

PY = sys.executable


def sh(*args, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kw)
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """`python -m build`: the sdist, and the wheel built from it; both pass `twine check --strict`."""
    out = tmp_path_factory.mktemp("dist")
    built = sh(PY, "-m", "build", "--outdir", out, ROOT)
    assert "would be ignored" not in built.stdout + built.stderr  # every data folder is declared
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"statusgen-{__version__}-py3-none-any.whl", f"statusgen-{__version__}.tar.gz"], files
    check = sh(PY, "-m", "twine", "check", "--strict", *sorted(out.iterdir()))
    assert check.stdout.count("PASSED") == 2, check.stdout
    return out


def closure(name: str) -> dict[str, str]:
    """`{name: installed version}` for a distribution and everything it needs, here."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        key = re.sub(r"[-_.]+", "-", current).lower()
        if key in seen:
            continue
        try:
            dist = importlib.metadata.distribution(current)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen[key] = dist.version
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            marker = req.split(";", 1)[1] if ";" in req else ""
            if marker:
                from packaging.markers import Marker

                if not Marker(marker).evaluate():
                    continue
            todo.append(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0])
    return seen


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory, dist) -> Path:
    """statusgen's wheel and every dependency's as a wheel (an sdist-only one built once), at the versions installed here."""
    wh = tmp_path_factory.mktemp("wheelhouse")
    pins = {k: v for k, v in closure("statusgen").items() if k != "statusgen"}
    constraints = wh.parent / "constraints.txt"
    constraints.write_text("".join(f"{k}=={v}\n" for k, v in sorted(pins.items())))
    wheel = next(dist.glob("*.whl"))
    sh(PY, "-m", "pip", "wheel", "--quiet", "--wheel-dir", wh, "--constraint", constraints, wheel,
       env={**os.environ, "PIP_CONSTRAINT": ""})
    (wh / wheel.name).write_bytes(wheel.read_bytes())
    return wh


def offline_pip(wheelhouse: Path) -> dict[str, str]:
    """The environment under which pip finds statusgen and its dependencies in `wheelhouse` alone.

    `statusgen lock` then locks for this machine only: the wheelhouse holds no wheels for the runner's platform.
    """
    return {"PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1", "STATUSGEN_LOCK_TARGETS": ""}
