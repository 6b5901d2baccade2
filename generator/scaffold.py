"""`statusgen init`: a new status repository that checks and builds out of the box.

The files come from `generator/scaffold_files/`. The GitHub workflows are the
same ones this repository runs (`.github/workflows/`), except for the line
that installs statusgen; `workflows()` renders both, and a test keeps them
from drifting. Run `python -m generator.scaffold` to rewrite this
repository's copies after editing the templates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from generator import __version__
from generator.timestamps import heading_stamp

FILES = Path(__file__).resolve().parent / "scaffold_files"
WORKFLOWS = ("pr.yml", "deploy.yml", "schedule.yml")
SCAFFOLD_INSTALL = "pip install -r requirements.txt"
REPO_INSTALL = "pip install ."  # this repository installs the checked-out package itself


class InitError(Exception):
    """The target folder cannot take a new site; the message says why."""


def workflows(install: str = SCAFFOLD_INSTALL) -> dict[str, str]:
    """The workflow files, `{name: text}`, with `install` as the step that installs statusgen."""
    return {name: (FILES / "workflows" / name).read_text(encoding="utf-8").replace("@INSTALL@", install)
            for name in WORKFLOWS}


def scaffold_files(now: datetime) -> dict[str, str]:
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
        "requirements.txt": (FILES / "requirements.txt").read_text(encoding="utf-8").replace("@VERSION@", __version__),
        "STAFF.md": (FILES / "STAFF.md").read_text(encoding="utf-8"),
    }
    for name, text in workflows(SCAFFOLD_INSTALL).items():
        files[f".github/workflows/{name}"] = text
    return dict(sorted(files.items()))


def init(target: Path, now: datetime) -> list[Path]:
    """Write a new site into `target` (missing or empty); returns the paths written."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise InitError(f"{target} is not empty; choose a new or empty folder")
    written = []
    for rel, text in scaffold_files(now).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def write_repo_workflows(repo: Path) -> None:
    """Rewrite this repository's `.github/workflows/` from the templates."""
    folder = Path(repo) / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in workflows(REPO_INSTALL).items():
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    write_repo_workflows(FILES.parents[1])
