"""Golden copies of a few demo pages built at FIXED_NOW.

Regenerate after an intended change to the theme or the demo content with
`make golden`, then review `git diff tests/golden/` before committing. A
regeneration reports each page as skipped ("regenerated …"), never as a pass;
under CI=true a skip fails the run, so CI cannot regenerate.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
PAGES = {
    "home.html": "index.html",
    "incident.html": "incidents/2026-11-19-asana-sync-failing/index.html",
    "maintenance.html": "incidents/2026-10-25-database-hardware-migration/index.html",
    "component.html": "components/email-notifications/index.html",
}


@pytest.mark.parametrize("golden_name", sorted(PAGES))
def test_page_matches_golden(built_demo, golden_name):
    actual = (built_demo / PAGES[golden_name]).read_text(encoding="utf-8")
    golden = GOLDEN / golden_name
    if os.environ.get("STATUSGEN_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        pytest.skip(f"regenerated tests/golden/{golden_name}: review git diff tests/golden/")
    assert golden.is_file(), f"no golden file {golden}; create it with STATUSGEN_UPDATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"tests/golden/{golden_name}", tofile=f"built {PAGES[golden_name]}", n=2,
        ))
        pytest.fail(f"{golden_name} differs from its golden copy "
                    f"(if intended: make golden):\n{diff}", pytrace=False)
