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
from generator.timestamps import parse_now

ROOT = Path(__file__).resolve().parent.parent
INCIDENTS = sorted((ROOT / "content" / "incidents").glob("*.md"))
SOURCES = [ROOT / "content" / "site.yaml", ROOT / "content" / "components.yaml", *INCIDENTS[:12]]
NOW = parse_now("2026-11-26 12:00 UTC")

NASTY = [
    b"---", b"\n---\n", b"## ", b" \xe2\x80\x94 ", b" - ", b"2026-10-25 02:30", b"2026-03-29 02:30 Europe/Berlin",
    b"components:", b"[", b"{", b"}", b": ", b"&a", b"*a", b"!!python/object:os.system", b"\t", b"\x00", b"\xff",
    b"```", b"type: maintenance\n", b"start: x\n", b"- id: api\n", b"group: G\n", b"\r\n", b"\xef\xbb\xbf",
    b"9999-99-99 99:99 UTC", b"0000-01-01 00:00 UTC", b"1:30", b"~", b"!!binary aGk=", b"? [a]\n: b\n",
]


@st.composite
def mangled(draw):
    source = draw(st.sampled_from(SOURCES))
    data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(NASTY), st.binary(max_size=12), st.text(max_size=12).map(str.encode)))
            data[at:at] = piece
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "replace":
            data[at : at + 1] = draw(st.sampled_from(NASTY))
        elif op == "truncate":
            del data[at:]
        else:
            end = min(len(data), at + draw(st.integers(1, 80)))
            data[at:at] = data[at:end]
    return source, bytes(data)


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
    content, problems = load(site, NOW)  # must not raise
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
