"""Where a site's theme lives: its folders, most specific first, and what a theme may read."""

from __future__ import annotations

from pathlib import Path

import generator
from generator.errors import StatusgenError
from generator.sitefiles import Boundary

DEFAULT_THEME = "default"


class ThemeError(StatusgenError):
    """A theme that cannot be used: named in site.yaml but missing, a file it may not read, or a template error."""


def default_theme_dir(root: Path) -> Path:
    """The site's own copy of the default theme, else the one shipped with statusgen."""
    local = Path(root) / "themes" / DEFAULT_THEME
    if (local / "templates").is_dir():
        return local
    package = Path(generator.__file__).resolve().parent
    installed = package / "themes" / DEFAULT_THEME  # where a wheel puts it
    return installed if installed.is_dir() else package.parent / "themes" / DEFAULT_THEME


def theme_dirs(root: Path, theme: str) -> list[Path]:
    """Theme folders, most specific first: the chosen theme, then the default."""
    default = default_theme_dir(root)
    if theme == DEFAULT_THEME:
        return [default]
    chosen = Path(root) / "themes" / theme
    if not chosen.is_dir():
        raise ThemeError(f'content/site.yaml: theme "{theme}" not found: {chosen} does not exist')
    return [chosen, default]


def theme_boundary(root: Path) -> Boundary:
    """What a theme may read: the site's content/ and themes/, and the theme shipped with statusgen."""
    return Boundary(root, (default_theme_dir(root),))
