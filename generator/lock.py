"""`requirements.txt`: the hash-locked install of `requirements.in` the workflows use.

`requirements.in` holds the one line a team edits (`statusgen==0.2.0`).
`lock()` asks pip to resolve it, once for this machine and once, with
`--no-deps`, for each platform the workflows run on (the runner's CPython on
Linux x86_64), and writes every package pinned with the sha256 of every file
pip chose. The workflows install it with `pip install --require-hashes`, so
nothing they install can change without a reviewed change to the lock.

pip does the resolving and hashing, through whatever index and find-links it
is configured with (`PIP_INDEX_URL`, `PIP_FIND_LINKS`, `PIP_NO_INDEX`, a
pip.conf): a wheelhouse works offline. A requirement that pip cannot hash (a
`git+` URL) cannot be locked: publish a wheel, or point at one.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.errors import StatusgenError

RUNNER_PYTHON = "3.12"  # the workflows' python-version
# Ubuntu 22.04 and later (glibc 2.35); pip also accepts every older manylinux tag.
RUNNER_TARGETS = ((RUNNER_PYTHON, "manylinux_2_35_x86_64"),)
HEADER = (
    "# The hash-locked install of requirements.in, for the workflows: made by\n"
    "# `statusgen lock` (for this machine and for {targets}). Do not edit:\n"
    "# change requirements.in, then run `statusgen lock` again.\n"
)


class LockError(StatusgenError):
    """pip could not resolve or hash the requirements."""


@dataclass(frozen=True)
class Pinned:
    name: str
    version: str
    hashes: frozenset[str]
    universal: bool = True  # a pure-Python wheel or an sdist: the same file everywhere


def runner_targets() -> tuple[tuple[str, str], ...]:
    """`STATUSGEN_LOCK_TARGETS="3.12/manylinux_2_35_x86_64 3.13/..."` overrides; empty: this machine only."""
    spec = os.environ.get("STATUSGEN_LOCK_TARGETS")
    if spec is None:
        return RUNNER_TARGETS
    return tuple(tuple(item.split("/", 1)) for item in spec.split() if "/" in item)  # type: ignore[misc]


def platform_tags(platform: str) -> list[str]:
    """`manylinux_2_35_x86_64` and every older manylinux tag it runs (older pips do not expand it themselves)."""
    import re as _re

    m = _re.fullmatch(r"manylinux_2_(\d+)_(\w+)", platform)
    if not m:
        return [platform]
    minor, arch = int(m.group(1)), m.group(2)
    tags = [f"manylinux_2_{n}_{arch}" for n in range(minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return tags + [f"{name}_{arch}" for n, name in legacy.items() if n <= minor]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_report(args: list[str]) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="statusgen-lock-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                   "--disable-pip-version-check", "--report", str(report), *args]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            raise LockError(f"cannot run pip: {exc}") from None
        if result.returncode != 0:
            lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR")] or result.stderr.splitlines()[-3:]
            raise LockError("pip could not resolve the requirements: " + " ".join(" ".join(lines).split()))
        return json.loads(report.read_text(encoding="utf-8"))["install"]


def _pins(items: list[dict]) -> dict[str, Pinned]:
    pins = {}
    for item in items:
        meta, info = item["metadata"], item.get("download_info", {})
        if "archive_info" not in info:
            raise LockError(f"{meta['name']} comes from {info.get('url', 'a URL')}, which cannot be hashed: "
                            "lock a released version or a wheel's URL")
        hashes = info["archive_info"].get("hashes") or {}
        if "sha256" not in hashes:
            raise LockError(f"the index gave no sha256 for {meta['name']} {meta['version']}")
        filename = info.get("url", "").rsplit("/", 1)[-1]
        universal = not filename.endswith(".whl") or filename.endswith("-none-any.whl")
        pins[_normal(meta["name"])] = Pinned(meta["name"], meta["version"], frozenset({hashes["sha256"]}), universal)
    return pins


def resolve(requirements_in: Path, targets=None) -> dict[str, Pinned]:
    """`{normalized name: Pinned}` for this machine, with the hashes for each runner target added."""
    pins = _pins(_pip_report(["-r", str(requirements_in)]))
    binary = [p for p in pins.values() if not p.universal]
    for python, platform in (runner_targets() if targets is None else targets) if binary else ():
        with tempfile.TemporaryDirectory(prefix="statusgen-lock-target-") as target_dir:
            exact = [f"{p.name}=={p.version}" for p in binary]
            items = _pip_report(["--no-deps", "--only-binary=:all:", "--python-version", python, "--implementation", "cp",
                                 *[arg for tag in platform_tags(platform) for arg in ("--platform", tag)],
                                 "--target", target_dir, *exact])
        for key, extra in _pins(items).items():
            pin = pins[key]
            pins[key] = Pinned(pin.name, pin.version, pin.hashes | extra.hashes, pin.universal)
    return pins


def render(pins: dict[str, Pinned], targets=None) -> str:
    shown = ", ".join(f"CPython {py} on {plat}" for py, plat in (runner_targets() if targets is None else targets))
    lines = [HEADER.format(targets=shown or "no other platform")]
    for key in sorted(pins):
        pin = pins[key]
        lines.append(f"{key}=={pin.version} \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in sorted(pin.hashes)))
    return "\n".join(lines) + "\n"


def lock(site: Path, targets=None) -> Path:
    """Rewrite SITE/requirements.txt from SITE/requirements.in; returns its path."""
    site = Path(site)
    source = site / "requirements.in"
    if not source.is_file():
        raise LockError(f"{source} is missing: it holds the statusgen requirement, e.g. statusgen==0.2.0")
    text = render(resolve(source, targets), targets)
    out = site / "requirements.txt"
    tmp = out.with_name(".requirements.txt.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
