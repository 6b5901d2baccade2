"""Fuzz every kind of content file through check, build, update and serve's rebuild.

A small scratch site (tests/fuzzing.py) is mutated at three levels: bytes,
YAML structure and Unicode classes (see that module). For each mutant:

- `check`, `build`, `update` (an update posted to the incident and to the
  maintenance) may succeed or fail cleanly: exit code 0 or 1, no traceback;
- `generator.serve.rebuild` returns a message and never raises;
- whenever `check` accepts the content, `build` succeeds and its feeds, calendar
  and JSON parse (feedparser without bozo, icalendar, json).

Under CI=true the examples are derandomized (a failure shows again on the
next run, and `@reproduce_failure` is printed) and not shrunk, to keep the
file within its time budget; run it locally without CI=true for a shrunk,
minimal example. FUZZ_SCALE multiplies the number of examples.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

import feedparser
import icalendar
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator.cli import main
from generator.serve import rebuild
from generator.timestamps import parse_now
from tests.fuzzing import (
    FILES, INCIDENT_ID, MAINTENANCE_ID, NOW, SITE, TIMESTAMPS, encode, mangled_bytes, unicode_mutation, yaml_mutation,
)

CI = bool(os.environ.get("CI"))
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([] if CI else [Phase.shrink])


def fuzz(examples: int):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=CI,
        database=None if CI else settings.default.database,
        phases=PHASES,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(data) if isinstance(data, str) else data)
    return root


def cli(*args: str):
    """Run a command in-process; it may fail, but only cleanly."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"statusgen {args[0]} raised {result.exception!r}\n{trace}")
    assert result.exit_code in (0, 1), (args[0], result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output, result.output[-2000:]
    return result


def assert_outputs_parse(out: Path) -> None:
    for name in ("history.atom", "history.rss"):
        feed = feedparser.parse((out / name).read_bytes())
        assert not feed.bozo, f"{name}: {feed.get('bozo_exception')!r}"
        assert feed.entries, f"{name} has no entries"
    icalendar.Calendar.from_ical((out / "maintenance.ics").read_bytes())
    for path in sorted((out / "api" / "v2").rglob("*.json")):
        json.loads(path.read_bytes())
    json.loads((out / "api" / "v2" / "summary.json").read_bytes())


def exercise(root: Path) -> None:
    """Every command the content goes through; only success or a clean failure is allowed."""
    out, served = root / "out", root / "served"
    check = cli("check", str(root), "--now", NOW)
    build = cli("build", str(root), "--now", NOW, "--out", str(out))
    if check.exit_code == 0:
        assert build.exit_code == 0, f"check accepts the content, build fails:\n{build.output[-2000:]}"
        assert_outputs_parse(out)
    try:
        message = rebuild(root, parse_now(NOW), served)
    except Exception as exc:  # noqa: BLE001 - the point: rebuild reports, it never raises
        raise AssertionError(f"rebuild raised {exc!r}\n{traceback.format_exc()}") from None
    assert isinstance(message, str) and message
    if check.exit_code == 0:
        assert message.startswith("built "), message
    for ref in (INCIDENT_ID, MAINTENANCE_ID):
        cli("update", ref, "update", "We are still on it.", "--site", str(root), "--at", "2026-11-26 11:30 UTC")


def test_the_scratch_site_is_clean_and_builds(tmp_path):
    root = write_site(tmp_path, SITE)
    result = cli("check", str(root), "--strict", "--now", NOW)
    assert result.exit_code == 0, result.output
    exercise(root)
    assert_outputs_parse(root / "out")


@fuzz(250)
@given(case=st.sampled_from(FILES).flatmap(lambda rel: st.tuples(st.just(rel), mangled_bytes(SITE[rel].encode()))))
def test_byte_mutations(tmp_path_factory, case):
    rel, data = case
    exercise(write_site(tmp_path_factory.mktemp("bytes"), {**SITE, rel: data}))


@fuzz(250)
@given(case=yaml_mutation())
def test_yaml_structure_mutations(tmp_path_factory, case):
    rel, text = case
    exercise(write_site(tmp_path_factory.mktemp("yaml"), {**SITE, rel: text}))


@fuzz(80)
@given(files=unicode_mutation())
def test_unicode_mutations(tmp_path_factory, files):
    exercise(write_site(tmp_path_factory.mktemp("unicode"), files))


# Text check should accept: letters, marks, numbers, punctuation, symbols, spaces, in any
# script and direction, from one character to very long; and times in the supported range.
PLAIN_TEXT = st.one_of(
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40),
    st.sampled_from(["🙂", "👩\u200d👩\u200d👧", "مرحبا بالعالم", "שלום עולם", "e\u0301\u0301\u0301", "ＡＰＩ", "<b>&amp;</b>",
                     "{{ 7*7 }}", "]]>", "\\", "%s", "`x`", "a" * 180]),
)


@fuzz(40)
@given(files=unicode_mutation(text=PLAIN_TEXT, timestamps=False),
       when=st.one_of(st.none(), st.builds(lambda y: f"{y}-11-25 10:00 UTC", st.integers(1970, 2199)), TIMESTAMPS))
def test_content_check_accepts_always_builds(tmp_path_factory, files, when):
    """Whenever `check` exits 0, `build` succeeds and writes feeds, the calendar and the API, which parse."""
    if when is not None:
        rel = f"content/incidents/{INCIDENT_ID}.md"
        files = {**files, rel: files[rel].replace("## 2026-11-25 10:00 UTC — Investigating", f"## {when} — Investigating")}
    exercise(write_site(tmp_path_factory.mktemp("accepted"), files))
