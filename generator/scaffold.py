"""`statusgen init`: a new status repository that checks and builds out of the box.

The files come from `generator/scaffold_files/`. The GitHub workflows are the
same ones this repository runs (`.github/workflows/`), except for the line
that installs statusgen; `workflows()` renders both, and a test keeps them
from drifting. Run `python -m generator.scaffold` to rewrite this
repository's copies after editing the templates.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from generator import __version__
from generator.errors import StatusgenError
from generator.lock import RUNNER_PYTHON, LockError
from generator.lock import lock as write_lock
from generator.timestamps import heading_stamp

FILES = Path(__file__).resolve().parent / "scaffold_files"
WORKFLOWS = ("pr.yml", "deploy.yml", "schedule.yml")
SCAFFOLD_INSTALL = "pip install --require-hashes -r requirements.txt"  # the lock (generator/lock.py)
SCAFFOLD_LOCKFILE = "requirements.txt"  # what the pip cache is keyed on
REPO_INSTALL = "pip install ."  # this repository installs the checked-out package itself
REPO_LOCKFILE = "pyproject.toml"


class InitError(StatusgenError):
    """The target folder cannot take a new site; the message says why."""


def workflows(install: str = SCAFFOLD_INSTALL, lockfile: str = SCAFFOLD_LOCKFILE) -> dict[str, str]:
    """The workflow files, `{name: text}`, with `install` as the step that installs statusgen
    and `lockfile` as the file the pip cache is keyed on."""
    return {name: (FILES / "workflows" / name).read_text(encoding="utf-8")
            .replace("@INSTALL@", install).replace("@LOCKFILE@", lockfile).replace("@PYTHON@", RUNNER_PYTHON)
            for name in WORKFLOWS}


def dependabot() -> str:
    return (FILES / "dependabot.yml").read_text(encoding="utf-8")


def scaffold_files(now: datetime, requirement: str | None = None) -> dict[str, str]:
    """Every file of a new site, `{relative path: text}`, with the example incident dated before `now`."""
    now = now.replace(second=0, microsecond=0)
    stamps = {
        "@INVESTIGATING@": heading_stamp(now - timedelta(hours=3)),
        "@MONITORING@": heading_stamp(now - timedelta(hours=2)),
        "@RESOLVED@": heading_stamp(now - timedelta(hours=1)),
    }
    example = (FILES / "example-incident.md").read_text(encoding="utf-8")
    for marker, stamp in stamps.items():
        example = example.replace(marker, stamp)
    started = now - timedelta(hours=3)
    files = {
        "content/site.yaml": (FILES / "site.yaml").read_text(encoding="utf-8"),
        "content/components.yaml": (FILES / "components.yaml").read_text(encoding="utf-8"),
        f"content/incidents/{started:%Y-%m-%d}-example-slow-page-loads.md": example,
        ".gitignore": (FILES / "gitignore").read_text(encoding="utf-8"),
        "requirements.in": (FILES / "requirements.in").read_text(encoding="utf-8")
        .replace("@REQUIREMENT@", requirement or default_requirement()),
        # Replaced by the lock when `init` can make one (see `init`).
        "requirements.txt": (FILES / "requirements-unlocked.txt").read_text(encoding="utf-8")
        .replace("@REQUIREMENT@", requirement or default_requirement()),
        "STAFF.md": (FILES / "STAFF.md").read_text(encoding="utf-8"),
        ".github/dependabot.yml": dependabot(),
    }
    for name, text in workflows(SCAFFOLD_INSTALL).items():
        files[f".github/workflows/{name}"] = text
    return dict(sorted(files.items()))


# What a repository just created on GitHub (or by `git init`) may already hold.
FURNITURE = re.compile(
    r"\.git|\.gitignore|\.gitattributes|\.github|\.editorconfig"
    r"|(README|LICENSE|LICENCE|COPYING|NOTICE|CONTRIBUTING|CODE_OF_CONDUCT|SECURITY)(\.[A-Za-z0-9]+)?",
    re.IGNORECASE,
)


@dataclass
class Initialized:
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # already there: never overwritten
    gitignore_added: list[str] = field(default_factory=list)  # lines appended to an existing .gitignore
    locked: bool = False  # requirements.txt is the hash-locked install
    lock_error: str | None = None  # why it is not


def check_target(target: Path) -> None:
    """InitError unless `target` is missing, empty, or holds only what a new repository holds."""
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} exists and is not a folder")
    if not target.is_dir():
        return
    if (target / "content").exists():
        raise InitError(f"{target} already has a content/ folder; is it a statusgen site already?")
    others = sorted(entry.name for entry in target.iterdir() if not FURNITURE.fullmatch(entry.name))
    if others:
        listed = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise InitError(f"{target} is not empty ({listed}); choose a new folder, an empty one, "
                        "or a new repository's clone (which may hold .git, README, LICENSE and .gitignore)")


def default_requirement() -> str:
    return f"statusgen=={__version__}"


def init(target: Path, now: datetime, requirement: str | None = None, lock: bool = True) -> Initialized:
    """Write a new site into `target`; no existing file is ever overwritten.

    `requirement` is what requirements.in (and so every workflow) installs,
    e.g. `statusgen==0.2.0` (the default: this version) or
    `statusgen @ https://example.com/statusgen-0.2.0-py3-none-any.whl`.
    With `lock`, requirements.txt is then written by `generator.lock` (pip
    resolves and hashes through its configured index); when that fails, or
    without `lock`, it stays a marked unlocked copy that the workflows refuse.
    """
    target = Path(target)
    check_target(target)
    requirement = (requirement or default_requirement()).strip()
    if not requirement or "\n" in requirement:
        raise InitError("--requirement must be one requirement line, such as statusgen==0.2.0")
    done = Initialized()
    for rel, text in scaffold_files(now, requirement).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel == ".gitignore" and path.exists():
            done.gitignore_added = _extend_gitignore(path, text)
            continue
        try:
            with open(path, "x", encoding="utf-8") as handle:  # "x": never replace a file
                handle.write(text)
        except FileExistsError:
            done.kept.append(path)
            continue
        done.written.append(path)
    lockfile = target / "requirements.txt"
    if lockfile not in done.written:
        return done
    if not lock:
        done.lock_error = "not attempted (--no-lock)"
        return done
    try:
        write_lock(target)
        done.locked = True
    except LockError as exc:
        done.lock_error = exc.message
    return done


def _extend_gitignore(path: Path, ours: str) -> list[str]:
    have = path.read_text(encoding="utf-8", errors="replace")
    missing = [line for line in ours.splitlines()
               if line.strip() and not line.startswith("#") and line not in have.splitlines()]
    if missing:
        sep = "" if have.endswith("\n") or not have else "\n"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{sep}# statusgen\n" + "\n".join(missing) + "\n")
    return missing


def in_git_repository(folder: Path) -> bool:
    probe = Path(folder).resolve()
    while not probe.exists():
        probe = probe.parent
    try:
        result = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=probe,
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def git_init(folder: Path) -> None:
    """`git init -b main`: the branch the deploy workflow and the documented AWS trust policy expect."""
    try:
        result = subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise InitError(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise InitError(f"git init failed: {' '.join(result.stderr.split())}")


def next_steps(target: Path, cwd: Path | None = None) -> str:
    """What to do after `init`, for people."""
    try:
        shown = Path(target).resolve().relative_to((cwd or Path.cwd()).resolve()).as_posix()
    except ValueError:
        shown = str(target)
    go = "" if shown == "." else f"cd {shlex.quote(shown)} && "
    return (
        "Next steps:\n"
        "  1. Edit content/site.yaml (title, url, timezone) and content/components.yaml (what customers use).\n"
        f"  2. {go}statusgen check     # every problem at once; the example incident is a draft: read it, then delete it\n"
        "  3. statusgen serve     # preview at http://127.0.0.1:8000/, rebuilt on every save\n"
        "  4. Publishing: create the S3 bucket and the IAM role, add a deploy: target to content/site.yaml, and set\n"
        "     the repository variables STATUSGEN_AWS_ROLE_ARN and AWS_REGION (statusgen docs deploy).\n"
        "  5. Share STAFF.md with the people who will post incidents.\n"
    )


def write_repo_workflows(repo: Path) -> None:
    """Rewrite this repository's `.github/workflows/` (and dependabot.yml) from the templates."""
    folder = Path(repo) / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in workflows(REPO_INSTALL, REPO_LOCKFILE).items():
        (folder / name).write_text(text, encoding="utf-8")
    (Path(repo) / ".github" / "dependabot.yml").write_text(dependabot(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    write_repo_workflows(FILES.parents[1])
