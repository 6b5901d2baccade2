"""Loading the content folder into the model: settings, components, incident files.

`load()` reads `content/site.yaml`, `content/components.yaml` and
`content/incidents/*.md`, reports every problem it finds (never only the
first), and returns the model built from whatever was valid. It knows no
clock: what the content means at `now` is the status engine's, and what a
person should look at then is the review's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from generator.catalog import parse_catalog
from generator.incidents import load_incidents
from generator.language import review as review_catalogs
from generator.model import Catalog, Content, Site
from generator.notify.channels import check_components
from generator.problems import Problems
from generator.settings import parse_site
from generator.sitefiles import Boundary
from generator.themes import DEFAULT_THEME, ThemeError, theme_boundary, theme_dirs
from generator.timestamps import EPOCH
from generator.yamlsource import read_yaml

SITE_FILE = "content/site.yaml"
COMPONENTS_FILE = "content/components.yaml"


@dataclass(frozen=True)
class Settings:
    """What an incident file is checked with: the site's settings and its components."""

    site: Site
    catalog: Catalog


def read_site(root: Path, problems: Problems, boundary: Boundary | None = None) -> Site | None:
    """The site's settings from content/site.yaml; None when they cannot be used (the problems say why)."""
    root = Path(root)
    if not os.path.lexists(root / SITE_FILE):
        problems.error(SITE_FILE, 1, 1, f"no site settings: {root}/{SITE_FILE} does not exist (is {root} a statusgen site?)")
        return None
    boundary = boundary or Boundary(root)
    data = read_yaml(root / SITE_FILE, SITE_FILE, problems, boundary)
    site = parse_site(data, SITE_FILE, problems)
    if site is not None:
        review_language(root, site, data, problems)
    return site


def review_language(root: Path, site: Site, data, problems: Problems) -> None:
    """The theme speaks the site's language: a catalog for it, read cleanly (generator/language.py)."""
    try:
        dirs = theme_dirs(root, site.theme)
    except ThemeError:
        dirs = theme_dirs(root, DEFAULT_THEME)  # a missing theme is the build's to report
    where = data.value_at("language") if "language" in data else (1, 1)
    review_catalogs(dirs, site.language, root, theme_boundary(root), where, problems)


def read_settings(root: Path, problems: Problems, boundary: Boundary | None = None) -> Settings | None:
    """The settings and the components: all an incident file needs, without reading the others."""
    root = Path(root)
    boundary = boundary or Boundary(root)
    site = read_site(root, problems, boundary)
    if site is None:
        return None
    catalog = Catalog()
    if os.path.lexists(root / COMPONENTS_FILE):
        catalog = parse_catalog(read_yaml(root / COMPONENTS_FILE, COMPONENTS_FILE, problems, boundary), COMPONENTS_FILE, problems)
    else:
        problems.error(COMPONENTS_FILE, 1, 1, "no components: create content/components.yaml with a list of components")
    if site.notify:  # notify channels may name components, which only the catalog knows
        check_components(site.notify, catalog, SITE_FILE, problems)
    return Settings(site, catalog)


@dataclass
class Reread:
    """What one `load` read, kept for the next (`serve`): an incident file whose stat is the same is not read again,
    as long as the settings it was checked with are the same."""

    settings: Settings | None = None
    files: dict = field(default_factory=dict)  # file -> (its stat, (incident or None, its problems))


def load(root: Path, reread: Reread | None = None) -> tuple[Content | None, Problems]:
    """Read and validate the site at `root`. Content is None when nothing usable was found."""
    root = Path(root)
    problems = Problems()
    boundary = Boundary(root)
    settings = read_settings(root, problems, boundary)
    if settings is None:
        return None, problems
    memo = None
    if reread is not None:
        if reread.settings != settings:
            reread.files.clear()
        reread.settings = settings
        memo = reread.files
    incidents = load_incidents(root / "content" / "incidents", root, settings.site, settings.catalog, problems, memo)
    incidents.sort(key=lambda i: (i.began or EPOCH, i.id), reverse=True)
    return Content(site=settings.site, catalog=settings.catalog, incidents=tuple(incidents)), problems
