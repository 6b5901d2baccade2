"""The YAML layer (generator/yamlsource.py): positions, safe loading, and the field helpers every file uses."""

from __future__ import annotations

import pytest

from generator.problems import Problems
from generator.yamlsource import MAX_DEPTH, YAMLSyntaxError, YList, YMap, check_keys, load_yaml, read_yaml, text_field


def test_every_key_value_and_item_knows_its_line_and_column():
    data = load_yaml("title: Status\nitems:\n  - one\n  - two\n", line_offset=10)
    assert isinstance(data, YMap) and isinstance(data["items"], YList)
    assert data.key_at("title") == (11, 1) and data.value_at("title") == (11, 8)
    assert data["items"].item_at(1) == (14, 5)
    assert data.value_at("missing") == data.pos  # a missing key points at its mapping


def test_timestamps_and_clock_times_stay_text():
    data = load_yaml("start: 2026-12-02 06:00\nat: 14:02\ncount: 3\n")
    assert data == {"start": "2026-12-02 06:00", "at": "14:02", "count": 3}  # not a datetime, not 842


def test_a_duplicate_key_is_remembered_with_its_position():
    data = load_yaml("title: a\ntitle: b\n")
    assert data["title"] == "b" and data.duplicates == [("title", (2, 1))]


def test_aliases_are_refused_where_they_are_written():
    with pytest.raises(YAMLSyntaxError) as caught:
        load_yaml("a: &x [1, 2]\nb: *x\n")
    assert (caught.value.line, caught.value.col) == (2, 4) and "aliases" in str(caught.value)


def test_nesting_past_the_limit_is_refused():
    with pytest.raises(YAMLSyntaxError, match=f"more than {MAX_DEPTH} levels"):
        load_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))
    assert load_yaml("[" * 10 + "]" * 10) == [[[[[[[[[[]]]]]]]]]]


def test_an_escape_for_a_control_character_is_refused_at_its_scalar():
    with pytest.raises(YAMLSyntaxError) as caught:
        load_yaml('ok: fine\ntitle: "bad \\x1b[31m"\n')
    assert caught.value.line == 2


def test_check_keys_names_the_unknown_key_with_a_suggestion():
    problems = Problems()
    check_keys(load_yaml("titel: x\ntitle: y\ntitle: z\n"), ("title", "url"), "site settings", "content/site.yaml", problems)
    assert [p.format_text() for p in problems.sorted()] == [
        'content/site.yaml:1:1: error: unknown key "titel" in site settings (did you mean "title"?)',
        'content/site.yaml:3:1: error: "title" is given twice in site settings',
    ]


@pytest.mark.parametrize("source, message", [
    ("title: no", '"title" must be text, but YAML reads no as true or false: put it in quotes, title: "no"'),
    ("title: 404", '"title" must be text, but YAML reads 404 as a number: put it in quotes, title: "404"'),
    ("title: [a]", '"title" must be text'),
])
def test_text_field_asks_for_quotes_when_yaml_reads_something_else(source, message):
    problems = Problems()
    assert text_field(load_yaml(source), "title", "f.yaml", problems) is None
    assert [p.message for p in problems.items] == [message]


def test_text_field_strips_and_checks_the_length():
    problems = Problems()
    data = load_yaml("name: '  API  '\nlong: " + "x" * 30 + "\n")
    assert text_field(data, "name", "f.yaml", problems, limit=10) == "API"
    assert text_field(data, "long", "f.yaml", problems, limit=10) is None
    assert text_field(data, "gone", "f.yaml", problems, required="missing gone") is None
    assert [p.message.split(":")[0] for p in problems.items][1:] == ["missing gone"]
    assert "10" in problems.items[0].message


def test_read_yaml_reports_a_syntax_error_at_its_line(tmp_path):
    (tmp_path / "content").mkdir()
    path = tmp_path / "content" / "site.yaml"
    path.write_text("title: ok\nurl: [unclosed\n", encoding="utf-8")
    problems = Problems()
    assert read_yaml(path, "content/site.yaml", problems) is None
    (problem,) = problems.items
    assert problem.path == "content/site.yaml" and problem.line >= 2 and problem.severity == "error"
