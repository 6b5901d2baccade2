"""Property: whatever the bytes of a content file, `check` reports problems and never raises."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.content import load
from tests.scratch import load_at
from generator.timestamps import parse_now
from tests.fuzzing import mangled_bytes

ROOT = Path(__file__).resolve().parent.parent
INCIDENTS = sorted((ROOT / "content" / "incidents").glob("*.md"))
SOURCES = [ROOT / "content" / "site.yaml", ROOT / "content" / "components.yaml", *INCIDENTS[:12]]
NOW = parse_now("2026-11-26 12:00 UTC")


@st.composite
def mangled(draw):
    source = draw(st.sampled_from(SOURCES))
    return source, draw(mangled_bytes(source.read_bytes()))


def site_copy(tmp: Path) -> Path:
    site = tmp / "site"
    if not site.exists():
        shutil.copytree(ROOT / "content", site / "content")
    return site


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mangled())
def test_mangled_content_never_raises(tmp_path_factory, case):
    source, data = case
    site = site_copy(tmp_path_factory.mktemp("fuzz"))
    target = site / source.relative_to(ROOT)
    target.write_bytes(data)
    content, problems = load_at(site, NOW)  # must not raise
    for problem in problems.items:
        assert problem.line >= 1 and problem.col >= 1
        assert problem.path.startswith("content/")
        assert "\n" not in problem.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mangled())
def test_mangled_content_through_the_cli(tmp_path_factory, case):
    source, data = case
    site = site_copy(tmp_path_factory.mktemp("fuzzcli"))
    (site / source.relative_to(ROOT)).write_bytes(data)
    result = CliRunner().invoke(main, ["check", str(site), "--now", "2026-11-26 12:00 UTC"])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
