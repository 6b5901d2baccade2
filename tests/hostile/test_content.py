"""Hostile and careless content: whatever `check` accepts, `build` builds; the rest is one clean error.

Each case is a small site with one bad thing in it. `check` must name the file
and line in one `path:line:col: error:` line, `build` must fail the same way
without touching the previous output, and nothing may print a traceback.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from tests.scratch import write_site

NOW = "2026-11-26 12:00 UTC"
GOOD = """\
---
title: Elevated API errors
components:
  api: partial_outage
---
Some requests fail.

## 2026-11-26 10:00 UTC — Investigating
We are looking into it.
"""


def incident(title="Elevated API errors", body="We are looking into it.", heading="2026-11-26 10:00 UTC", extra=""):
    return (f"---\ntitle: {title}\ncomponents:\n  api: partial_outage\n{extra}---\n"
            f"## {heading} — Investigating\n{body}\n")


def run(args):
    result = CliRunner().invoke(main, args)
    output = result.output  # stdout and stderr, as a terminal shows them
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        pytest.fail("".join(traceback.format_exception(result.exception)))
    assert "Traceback" not in output
    return result.exit_code, output


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def expect_rejected(site: Path, fragment: str, where: str):
    """`check` and `build` both fail with one error line at `where` holding `fragment`; the old output stays."""
    code, out = run(["check", str(site), "--now", NOW])
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert code == 1, out
    assert any(line.startswith(where) and fragment in line for line in errors), out
    out_dir = site / "output"
    before = tree_digest(out_dir) if out_dir.exists() else None
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 1, out
    assert any(line.startswith(where) and fragment in line for line in out.splitlines()), out
    if before is not None:
        assert tree_digest(out_dir) == before


def good_site(tmp_path: Path, **incidents) -> Path:
    site = write_site(tmp_path / "site", {"good": GOOD, **incidents})
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 0, out
    return site


CONTROL = ["\x01", "\x1b", "\x0c", "\x7f", "\x85", "\ufffe", "\uffff", "\U0001fffe"]


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_control_character_in_an_update_body(tmp_path, char):
    site = good_site(tmp_path)
    path = site / "content/incidents/bad.md"
    path.write_text(incident(body=f"Some{char}thing"), encoding="utf-8")
    expect_rejected(site, f"U+{ord(char):04X}", "content/incidents/bad.md:7:5: error:")


@pytest.mark.parametrize("escape,code", [("\\x01", "U+0001"), ("\\e", "U+001B"), ("\\ud800", "U+D800"),
                                         ("\\uffff", "U+FFFF"), ("\\x0c", "U+000C")])
def test_escaped_control_character_in_a_quoted_title(tmp_path, escape, code):
    site = good_site(tmp_path)
    (site / "content/incidents/bad.md").write_text(incident(title=f'"API{escape}down"'), encoding="utf-8")
    expect_rejected(site, code, "content/incidents/bad.md:2:8: error:")


def test_line_break_in_a_title(tmp_path):
    site = good_site(tmp_path)
    (site / "content/incidents/bad.md").write_text(incident(title='"API\\ndown"'), encoding="utf-8")
    expect_rejected(site, "line break", "content/incidents/bad.md:2:8: error:")


@pytest.mark.parametrize("field,text,where", [
    ("component name", '- id: api\n  name: "A\\x1bPI"\n', "content/components.yaml:2:9: error:"),
    ("component description", '- id: api\n  name: API\n  description: "x\\x01y"\n', "content/components.yaml:3:16: error:"),
    ("group name", '- group: "G\\x07"\n  id: g\n  components:\n    - id: api\n      name: API\n', "content/components.yaml:1:10: error:"),
])
def test_control_character_in_the_catalogue(tmp_path, field, text, where):
    site = good_site(tmp_path)
    (site / "content/components.yaml").write_text(text, encoding="utf-8")
    expect_rejected(site, "U+00", where)


def test_control_character_in_the_site_title(tmp_path):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text('title: "Status\\x1b[31m"\nurl: https://status.example.com/\n', encoding="utf-8")
    expect_rejected(site, "U+001B", "content/site.yaml:1:8: error:")


def test_raw_control_character_in_site_yaml(tmp_path):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text("title: Sta\x01tus\nurl: https://status.example.com/\n", encoding="utf-8")
    expect_rejected(site, "U+0001", "content/site.yaml:1:11: error:")


def test_an_over_long_id(tmp_path):
    site = good_site(tmp_path)
    name = "a" * 252
    (site / "content/incidents" / f"{name[:200]}.md").write_text(GOOD, encoding="utf-8")
    expect_rejected(site, "at most 100", f"content/incidents/{'a' * 200}.md:1:1: error:")


def test_a_component_id_too_long(tmp_path):
    site = good_site(tmp_path)
    (site / "content/components.yaml").write_text(f"- id: api\n  name: API\n- id: {'b' * 101}\n  name: B\n", encoding="utf-8")
    expect_rejected(site, "the limit is 100", "content/components.yaml:3:7: error:")


def test_an_over_long_title(tmp_path):
    site = good_site(tmp_path)
    (site / "content/incidents/bad.md").write_text(incident(title="x" * 201), encoding="utf-8")
    expect_rejected(site, "the limit is 200", "content/incidents/bad.md:2:8: error:")


@pytest.mark.parametrize("stamp", ["0001-01-01 00:00 UTC", "9999-12-31 23:59 UTC", "9999-12-31 23:59 -05:00",
                                   "0001-01-01 00:30 +01:00", "1969-12-31 23:59 UTC", "2200-01-01 00:00 UTC",
                                   "9999-12-31 23:59 America/New_York"])
def test_a_year_out_of_range_in_a_heading(tmp_path, stamp):
    site = good_site(tmp_path)
    (site / "content/incidents/bad.md").write_text(incident(heading=stamp), encoding="utf-8")
    expect_rejected(site, "out of range", "content/incidents/bad.md:6:4: error:")


@pytest.mark.parametrize("key,value", [("start", "0001-01-01 00:00"), ("end", "9999-12-31 23:59 +14:00"),
                                       ("start", "9999-12-31 23:00")])
def test_a_year_out_of_range_in_a_window(tmp_path, key, value):
    site = good_site(tmp_path)
    window = {"start": "2026-12-02 06:00 UTC", "end": "2026-12-02 07:00 UTC", key: value}
    (site / "content/incidents/bad.md").write_text(
        f"---\ntitle: Upgrade\ntype: maintenance\ncomponents: [api]\nstart: {window['start']}\nend: {window['end']}\n---\n"
        "## 2026-11-20 10:00 UTC — Scheduled\nWe will upgrade.\n", encoding="utf-8")
    line = 5 if key == "start" else 6
    expect_rejected(site, "out of range", f"content/incidents/bad.md:{line}:")


def test_a_component_since_out_of_range(tmp_path):
    site = good_site(tmp_path)
    (site / "content/components.yaml").write_text("- id: api\n  name: API\n  since: 0001-01-01\n", encoding="utf-8")
    expect_rejected(site, "out of range", "content/components.yaml:3:10: error:")


@pytest.mark.parametrize("now", ["99999999999999", "0001-01-01 00:00", "9999-12-31 23:59 UTC", "1e308"])
def test_a_now_out_of_range(tmp_path, now):
    site = good_site(tmp_path)
    for command in ("check", "build", "next-change"):
        code, out = run([command, str(site), "--now", now])
        assert code == 2, out
        assert "--now" in out and ("out of range" in out or "cannot read" in out), out


def test_a_duration_too_long(tmp_path):
    site = good_site(tmp_path)
    code, out = run(["next-change", str(site), "--now", NOW, "--due-within", "99999999999d"])
    assert code == 2 and "at most 3660 days" in out, out
    (site / "content/site.yaml").write_text(
        "title: S\nurl: https://status.example.com/\npolicy:\n  maintenance_notice: 9999999999h\n", encoding="utf-8")
    expect_rejected(site, "at most 3660 days", "content/site.yaml:4:23: error:")


# --- what a build may read ---------------------------------------------------------


def test_a_symlinked_incident_leaving_the_site(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(GOOD.replace("Elevated API errors", "SECRET-TOKEN-123"), encoding="utf-8")
    site = good_site(tmp_path)
    (site / "content/incidents/leak.md").symlink_to(secret)
    expect_rejected(site, "outside the site", "content/incidents/leak.md:1:1: error:")
    assert "SECRET-TOKEN-123" not in "".join(tree_digest(site / "output"))


def test_a_symlink_inside_the_site_is_followed(tmp_path):
    site = good_site(tmp_path)
    (site / "content/drafts").mkdir()
    (site / "content/drafts/x.md").write_text(GOOD.replace("Elevated API errors", "Linked in"), encoding="utf-8")
    (site / "content/incidents/linked.md").symlink_to(site / "content/drafts/x.md")
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 0, out
    assert "Linked in" in (site / "output/incidents/linked/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "/dev/null"])
def test_settings_symlinked_out(tmp_path, target):
    site = good_site(tmp_path)
    (site / "content/components.yaml").unlink()
    (site / "content/components.yaml").symlink_to(target)
    expect_rejected(site, "outside the site", "content/components.yaml:1:1: error:")


def test_a_fifo_does_not_hang_check(tmp_path):
    site = good_site(tmp_path)
    os.mkfifo(site / "content/incidents/pipe.md")
    os.mkfifo(site / "content/site.yaml.tmp")
    proc = subprocess.run([sys.executable, "-m", "generator", "check", str(site), "--now", NOW],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "content/incidents/pipe.md:1:1: error: cannot read this file: it is a FIFO, not a regular file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_folder_named_like_an_incident_is_not_read(tmp_path):
    site = good_site(tmp_path)
    (site / "content/incidents/folder.md").mkdir()
    code, out = run(["check", str(site), "--now", NOW])
    assert code == 0, out


@pytest.mark.parametrize("where", ["templates/base.html", "static/style.css", "static/leak.txt"])
def test_a_theme_file_symlinked_out(tmp_path, where):
    site = good_site(tmp_path)
    theme = site / "themes/mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / where).symlink_to("/etc/passwd")
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write("theme: mine\n")
    before = tree_digest(site / "output")
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 1, out
    assert f"themes/mine/{where}" in out and "outside the site" in out, out
    assert len(out.strip().splitlines()) == 1, out
    assert tree_digest(site / "output") == before
    assert "root:" not in "".join(p.read_text(errors="replace") for p in (site / "output").rglob("*") if p.is_file())


def test_a_theme_folder_symlinked_out(tmp_path):
    site = good_site(tmp_path)
    theme = site / "themes/mine"
    theme.mkdir(parents=True)
    (theme / "static").symlink_to("/etc")
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write("theme: mine\n")
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 1, out
    assert "themes/mine/static" in out and "outside the site" in out, out


def test_a_theme_fifo_and_loop(tmp_path):
    site = good_site(tmp_path)
    theme = site / "themes/mine"
    (theme / "static/sub").mkdir(parents=True)
    (theme / "static/sub/loop").symlink_to(theme / "static")
    os.mkfifo(theme / "static/pipe.css")
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write("theme: mine\n")
    proc = subprocess.run([sys.executable, "-m", "generator", "build", str(site), "--now", NOW],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "themes/mine/static/pipe.css" in proc.stderr and "FIFO" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# --- bounded cost ---------------------------------------------------------------


def billion_laughs(depth: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, depth + 1):
        refs = ",".join([f"*a{k - 1}"] * 9)
        lines.append(f"a{k}: &a{k} [{refs}]")
    return "\n".join(lines) + f"\ntitle: *a{depth}\n"


def measured(args, timeout=60):
    """Run statusgen in a child; (exit code, stderr, seconds, peak RSS of the child in MB).

    The peak is VmHWM, not getrusage's ru_maxrss, which a child inherits from a larger parent.
    """
    script = ("import re, sys, time\nfrom generator.cli import main\nt = time.perf_counter()\n"
              "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code or 0\n"
              "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
              "sys.stderr.write(f'\\nTIME {time.perf_counter() - t:.3f} RSS {hwm}\\n')\n"
              "sys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout)
    last = proc.stderr.strip().splitlines()[-1].split()
    return proc.returncode, proc.stderr, float(last[1]), int(last[3]) / 1024


@pytest.mark.parametrize("depth", [5, 9, 20])
def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path, depth):
    site = good_site(tmp_path)
    (site / "content/incidents/bomb.md").write_text(f"---\n{billion_laughs(depth)}---\n## 2026-11-26 10:00 UTC — Investigating\nx\n",
                                                    encoding="utf-8")
    code, err, seconds, rss = measured(["check", str(site), "--now", NOW])
    assert code == 1
    assert "content/incidents/bomb.md:3:" in err and "aliases" in err, err
    assert len(err) < 2000 and "Traceback" not in err
    assert seconds < 1 and rss < 100, (seconds, rss)


def test_an_alias_bomb_in_site_yaml(tmp_path):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text(billion_laughs(9).replace("title: *a9", "title: S\nurl: https://status.example.com/\ndescription: *a9"),
                                            encoding="utf-8")
    expect_rejected(site, "aliases", "content/site.yaml:2:")


def test_an_anchor_in_a_title_is_text(tmp_path):
    site = good_site(tmp_path, amp=incident(title="R&D portal * slow"))
    assert (site / "output/incidents/amp/index.html").read_text(encoding="utf-8").count("R&amp;D portal * slow") >= 1


@pytest.mark.parametrize("size_mb", [1, 50])
def test_a_huge_incident_file_is_refused_quickly(tmp_path, size_mb):
    site = good_site(tmp_path)
    body = ("All good. " * 100 + "\n\n") * (size_mb * 1024 * 1024 // 1002)
    (site / "content/incidents/huge.md").write_text(incident(body=body), encoding="utf-8")
    code, err, seconds, rss = measured(["build", str(site), "--now", NOW])
    assert code == 1
    assert "content/incidents/huge.md:1:1: error: cannot read this file: it is " in err and "the limit is 262,144" in err, err
    assert seconds < 1 and rss < 100, (seconds, rss)


def test_the_size_limit_is_configurable(tmp_path):
    site = good_site(tmp_path)
    body = "x" * 300_000
    (site / "content/incidents/long.md").write_text(incident(body=body), encoding="utf-8")
    expect_rejected(site, "the limit is 262,144", "content/incidents/long.md:1:1: error:")
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write("limits:\n  incident_file_size: 1MiB\n")
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 0, out


def test_a_huge_front_matter_is_refused(tmp_path):
    site = good_site(tmp_path)
    extra = "".join(f"# comment line {n} " + "x" * 80 + "\n" for n in range(300))
    (site / "content/incidents/front.md").write_text(incident(extra=extra), encoding="utf-8")
    expect_rejected(site, "front matter is", "content/incidents/front.md:2:1: error:")


@pytest.mark.parametrize("value,fragment", [("12", "from 1KiB to 16MiB"), ("lots", "must be a size"), ("99999MiB", "from 1KiB")])
def test_a_bad_limit(tmp_path, value, fragment):
    site = good_site(tmp_path)
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"limits:\n  incident_file_size: {value}\n")
    expect_rejected(site, fragment, "content/site.yaml:")


def test_a_huge_value_is_not_quoted_whole(tmp_path):
    site = good_site(tmp_path)
    big = "[" + ",".join(["[1,2,3,4,5,6,7,8,9]"] * 1000) + "]"
    (site / "content/incidents/big.md").write_text(incident(extra=f"type: {big}\nimpact: {'z' * 5000}\n"), encoding="utf-8")
    code, out = run(["check", str(site), "--now", NOW])
    assert code == 1
    assert all(len(line) < 400 for line in out.splitlines()), max(map(len, out.splitlines()))


def test_long_bodies_are_cut_on_list_pages(tmp_path):
    """The home page and summary.json stay small however long the active incidents' updates are."""
    long_body = "\n\n".join(f"Paragraph {n}: " + "the quick brown fox jumps over the lazy dog " * 40 for n in range(100))
    incidents = {f"open{n}": incident(title=f"Open incident {n}", body=long_body,
                                      heading=f"2026-11-{20 + n // 10} {n % 10:02d}:00 UTC")
                 for n in range(30)}
    site = write_site(tmp_path / "site", incidents)
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 0, out
    home = (site / "output/index.html").read_bytes()
    assert len(home) <= 50_000, len(home)
    assert b'href="incidents/open29/"' in home and b"20 more active incidents" in home
    summary = (site / "output/api/v2/summary.json").read_bytes()
    assert len(summary) <= 100_000, len(summary)
    page = (site / "output/incidents/open3/index.html").read_text(encoding="utf-8")
    assert "Paragraph 99:" in page  # the incident's own page has it all


# --- settings mean what they say ---------------------------------------------------


@pytest.mark.parametrize("url", ["https://status.example.com//evil.example/", 'https://status.example.com/"onload="x/',
                                 "https://status.example.com/it's/", "https://status.example.com/a b/",
                                 "https://status.example.com/<script>/", "javascript:alert(1)//", "//evil.example/",
                                 "https://status.example.com/?next=//evil", "https://user:pw@status.example.com/"])
def test_a_bad_site_url(tmp_path, url):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text(f"title: S\nurl: '{url.replace(chr(39), chr(39) * 2)}'\n", encoding="utf-8")
    expect_rejected(site, '"url" must be an absolute http(s) URL', "content/site.yaml:2:6: error:")


@pytest.mark.parametrize("url", ["https://status.example.com/", "https://example.com/status/", "http://127.0.0.1:8000/",
                                 "https://status.example.com/a~b/c_d/"])
def test_a_good_site_url(tmp_path, url):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text(f"title: S\nurl: {url}\n", encoding="utf-8")
    code, out = run(["build", str(site), "--now", NOW])
    assert code == 0, out


@pytest.mark.parametrize("tag", ["english", "xx-YY-zzzzzz", "en_US!", "de-", "12"])
def test_a_bad_language(tmp_path, tag):
    site = good_site(tmp_path)
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"language: '{tag}'\n")
    expect_rejected(site, "BCP 47", "content/site.yaml:4:11: error:")


# A good tag the theme has a translation for, itself or its language's (zh-Hant-TW is good BCP 47,
# but without a catalog `check` rejects it: tests/test_language.py).
@pytest.mark.parametrize("tag", ["en", "de", "pt-BR", "de-Latn-AT", "es-419"])
def test_a_good_language(tmp_path, tag):
    site = good_site(tmp_path)
    with open(site / "content/site.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"language: {tag}\n")
    code, out = run(["check", str(site), "--now", NOW])
    assert code == 0, out


@pytest.mark.parametrize("value,source,kind", [("no", "no", "true or false"), ("404", "404", "a number"),
                                               ("yes", "yes", "true or false"), ("1.5", "1.5", "a number")])
def test_a_title_yaml_reads_as_something_else(tmp_path, value, source, kind):
    site = good_site(tmp_path)
    (site / "content/site.yaml").write_text(f"title: {value}\nurl: https://status.example.com/\n", encoding="utf-8")
    expect_rejected(site, f'"title" must be text, but YAML reads {source} as {kind}: put it in quotes, title: "{source}"',
                    "content/site.yaml:1:8: error:")
    (site / "content/site.yaml").write_text("title: Status\nurl: https://status.example.com/\n", encoding="utf-8")
    (site / "content/incidents/bad.md").write_text(incident(title=value), encoding="utf-8")
    expect_rejected(site, '"title" must be text', "content/incidents/bad.md:2:8: error:")
    (site / "content/incidents/bad.md").unlink()
    (site / "content/components.yaml").write_text(f"- id: api\n  name: {value}\n", encoding="utf-8")
    expect_rejected(site, '"name" must be text', "content/components.yaml:2:9: error:")


# --- the staff commands refuse what check would refuse ------------------------------


@pytest.mark.parametrize("text", ["API\x1b[31m down", "API\x01", "x" * 201, "API\ud800"])
def test_new_refuses_a_bad_title(tmp_path, text):
    site = good_site(tmp_path)
    before = sorted(p.name for p in (site / "content/incidents").iterdir())
    code, out = run(["new", "incident", text, "-c", "api=partial_outage", "--site", str(site), "--now", NOW])
    assert code == 1, out
    assert "error:" in out and "\x1b" not in out
    assert sorted(p.name for p in (site / "content/incidents").iterdir()) == before


@pytest.mark.parametrize("text", ["Fixed\x1b]0;pwned\x07", "Form\x0cfeed", "\ufffe"])
def test_update_refuses_bad_text(tmp_path, text):
    site = good_site(tmp_path)
    path = site / "content/incidents/good.md"
    before = path.read_bytes()
    code, out = run(["update", "good", "monitoring", text, "--site", str(site), "--at", "2026-11-26 11:00 UTC"])
    assert code == 1, out
    assert "not written" in out and "\x1b" not in out, out
    assert path.read_bytes() == before
    code, out = run(["resolve", "good", text, "--site", str(site), "--at", "2026-11-26 11:00 UTC"])
    assert code == 1 and path.read_bytes() == before, out


def test_update_refuses_an_out_of_range_time(tmp_path):
    site = good_site(tmp_path)
    path = site / "content/incidents/good.md"
    before = path.read_bytes()
    code, out = run(["update", "good", "monitoring", "ok", "--site", str(site), "--at", "9999-12-31 23:59 -05:00"])
    assert code == 1 and "out of range" in out, out
    assert path.read_bytes() == before


@pytest.mark.parametrize("depth", [60, 5000])
def test_deep_yaml_nesting_is_refused_quickly(tmp_path, depth):
    site = good_site(tmp_path)
    (site / "content/incidents/deep.md").write_text(incident(extra=f"x: {'[' * depth}{']' * depth}\n"), encoding="utf-8")
    code, err, seconds, rss = measured(["check", str(site), "--now", NOW])
    assert code == 1 and "content/incidents/deep.md:5:53: error:" in err and "nested more than 50 levels" in err, err
    assert seconds < 1 and rss < 100, (seconds, rss)
