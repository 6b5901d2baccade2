"""Theme lookup: the site's theme first, then the default; `!default/` reaches the default's copy."""

from __future__ import annotations

import re

import pytest

from generator.build import build
from generator.themes import ThemeError, default_theme_dir
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import write_site

INCIDENT = {
    "2026-11-20-api-errors": """
        ---
        title: API errors
        components:
          api: partial_outage
        ---
        ## 2026-11-20 10:00 UTC — Resolved
        Fixed.
        """,
}


def themed_site(tmp_path, files: dict[str, str]):
    root = write_site(tmp_path, INCIDENT, extra_site="theme: custom\n")
    for rel, text in files.items():
        path = root / "themes" / "custom" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    build(root, FIXED_NOW, root / "output")
    return root / "output"


def test_an_override_extends_the_template_it_replaces(tmp_path):
    out = themed_site(tmp_path, {
        "templates/base.html": '{% extends "!default/base.html" %}'
        "{% block footer %}<p>Custom footer</p>{{ super() }}{% endblock %}",
    })
    for page in ("index.html", "incidents/2026-11-20-api-errors/index.html", "history/index.html"):
        text = (out / page).read_text(encoding="utf-8")
        assert "<p>Custom footer</p>" in text  # the override is used…
        assert "Maintenance calendar</a>" in text.split("Custom footer")[1]  # …and the default's block via super()
        assert "<h1" in text  # pages still come from the default theme


def test_a_single_page_template_can_be_replaced(tmp_path):
    out = themed_site(tmp_path, {"templates/404.html": '{% extends "base.html" %}{% block main %}<h1>Lost?</h1>{% endblock %}'})
    assert "<h1>Lost?</h1>" in (out / "404.html").read_text(encoding="utf-8")
    assert "<h1>Page not found</h1>" not in (out / "404.html").read_text(encoding="utf-8")
    assert "Components" in (out / "index.html").read_text(encoding="utf-8")  # others from default


def test_theme_static_files_replace_the_defaults_and_get_new_hashes(tmp_path):
    default_css = (default_theme_dir(ROOT) / "static" / "style.css").read_bytes()
    out = themed_site(tmp_path, {"static/style.css": "body{color:#000}\n", "static/logo.svg": "<svg/>"})
    css = list((out / "static").glob("style.*.css"))
    assert len(css) == 1 and css[0].read_bytes() == b"body{color:#000}\n"
    assert css[0].read_bytes() != default_css
    assert re.fullmatch(r"logo\.[0-9a-f]{8}\.svg", next((out / "static").glob("logo.*")).name)
    assert f'href="static/{css[0].name}"' in (out / "index.html").read_text(encoding="utf-8")


def test_the_sites_copy_of_default_wins_over_the_shipped_one(tmp_path):
    root = write_site(tmp_path, INCIDENT)
    shipped = default_theme_dir(ROOT)
    local = root / "themes" / "default"
    (local / "templates").mkdir(parents=True)
    (local / "static").mkdir()
    for path in (shipped / "templates").iterdir():
        (local / "templates" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    for path in (shipped / "static").iterdir():
        (local / "static" / path.name).write_bytes(path.read_bytes())
    (local / "templates" / "404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Local 404</h1>{% endblock %}')
    build(root, FIXED_NOW, root / "output")
    assert "Local 404" in (root / "output" / "404.html").read_text(encoding="utf-8")


def test_a_template_error_names_the_template(tmp_path):
    with pytest.raises(ThemeError, match=r"custom/templates/base\.html:2: .*no_such_variable"):
        themed_site(tmp_path, {"templates/base.html": "<p>\n{{ no_such_variable }}{% block main %}{% endblock %}"})
