"""Loading (generator/content.py): the content folder into the model, with no clock."""

from __future__ import annotations

import inspect

from generator.content import load, read_settings, read_site
from generator.problems import Problems
from generator.review import review
from generator.status import snapshot
from generator.timestamps import UTC, parse_timestamp
from tests.scratch import write_site

OPEN = "---\ntitle: {title}\ncomponents: {{api: partial_outage}}\n---\n## {at} — Investigating\nLooking.\n"


def test_loading_takes_no_clock():
    # `reread` is serve's memo of what the last load read (files, not times).
    assert list(inspect.signature(load).parameters) == ["root", "reread"]


def test_a_reread_reads_only_the_changed_files_and_gives_what_a_load_gives(tmp_path, monkeypatch):
    from generator import incidents
    from generator.content import Reread

    root = write_site(tmp_path, {name: OPEN.format(title=name, at="2026-11-20 10:00 UTC") for name in ("a", "b", "c")})
    reread = Reread()
    load(root, reread)
    parsed = []
    real = incidents._parse_file
    monkeypatch.setattr(incidents, "_parse_file", lambda path, *args, **kwargs: parsed.append(path.name) or real(path, *args, **kwargs))
    (root / "content" / "incidents" / "b.md").write_text(OPEN.format(title="B again", at="2026-11-20 10:00 UTC"))
    (root / "content" / "incidents" / "c.md").unlink()
    (root / "content" / "incidents" / "d.md").write_text("---\ntitle: [broken\n---\n")
    content, problems = load(root, reread)
    assert sorted(parsed) == ["b.md", "d.md"]
    fresh, fresh_problems = load(root)
    assert content == fresh and problems.items == fresh_problems.items and problems.errors
    site = root / "content" / "site.yaml"
    site.write_text(site.read_text() + "description: Settings changed\n")
    parsed.clear()
    load(root, reread)
    assert sorted(parsed) == ["a.md", "b.md", "d.md"]  # checked again with the new settings


def test_an_update_in_the_future_is_the_reviews_warning_not_the_loaders(tmp_path):
    root = write_site(tmp_path, {"later": OPEN.format(title="Later", at="2026-12-01 10:00 UTC")})
    content, problems = load(root)
    assert not problems.items and [i.id for i in content.incidents] == ["later"]
    review(snapshot(content, parse_timestamp("2026-11-30 10:00 UTC", UTC)), problems)
    assert [p.message for p in problems.items] == [
        "update dated 2026-12-01 10:00 UTC is in the future; it will not show until then"]


def test_incidents_come_newest_first_and_drafts_stay_out(tmp_path):
    root = write_site(tmp_path, {
        "old": OPEN.format(title="Old", at="2026-11-01 10:00 UTC"),
        "new": OPEN.format(title="New", at="2026-11-20 10:00 UTC"),
        "wip": "---\ntitle: Not yet\ndraft: true\ncomponents: {api: degraded_performance}\n---\n"
               "## 2026-11-25 10:00 UTC — Investigating\nDraft.\n",
    })
    content, problems = load(root)
    assert [i.id for i in content.incidents] == ["new", "old"]
    assert content.incident("old").title == "Old" and content.incident("wip") is None
    assert [p.severity for p in problems.items] == ["warning"]  # the draft is checked, and said to be one


def test_every_file_is_checked_and_every_problem_reported(tmp_path):
    root = write_site(tmp_path, {
        "a": "---\ntitle: A\ncomponents: {apu: partial_outage}\n---\n## 2026-11-20 10:00 UTC — Investigating\nx\n",
        "b": "---\ntitle: B\ncomponents: {api: partial_outage}\n---\n## 2026-11-20 25:00 UTC — Investigating\nx\n",
    })
    content, problems = load(root)
    assert sorted(p.path for p in problems.errors) == ["content/incidents/a.md", "content/incidents/b.md"]
    assert 'unknown component "apu" (did you mean "api"?)' in problems.errors[0].message


def test_the_settings_loader_reads_the_settings_and_components_alone(tmp_path):
    root = write_site(tmp_path, {"broken": "no front matter\n"}, timezone="Europe/Berlin")
    problems = Problems()
    settings = read_settings(root, problems)
    assert settings.site.timezone.key == "Europe/Berlin" and [c.id for c in settings.catalog.components][:2] == ["api", "web"]
    assert problems.items == []  # the broken incident file was not read
    assert read_site(root, Problems()).title == "Scratch Status"


def test_a_folder_that_is_not_a_site_is_one_error(tmp_path):
    content, problems = load(tmp_path)
    assert content is None
    (problem,) = problems.items
    assert problem.path == "content/site.yaml" and "is " in problem.message and "a statusgen site" in problem.message


def test_missing_components_is_an_error_but_the_rest_still_loads(tmp_path):
    root = write_site(tmp_path, {})
    (root / "content" / "components.yaml").unlink()
    content, problems = load(root)
    assert content is not None and content.catalog.components == ()
    assert [p.path for p in problems.errors] == ["content/components.yaml"]
