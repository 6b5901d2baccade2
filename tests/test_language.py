"""The customer's language: the theme's words from gettext catalogs, dates and numbers from CLDR,
`check` naming the languages there are, a site's own translations, and a page that mirrors for a
right-to-left language, in a real browser."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.content import load
from generator.language import Language, available, read_catalog, resolve, translated
from generator.themes import default_theme_dir
from tests.conftest import FIXED_NOW, ROOT, serve_folder
from tests.wheels import dist  # noqa: F401 - a session fixture

LOCALE = ROOT / "themes" / "default" / "locale"
SHIPPED = ["ar", "de", "es", "fr", "ja", "pt_BR"]
BIN = Path(sys.executable).parent
DOC = (ROOT / "docs" / "themes.md").read_text(encoding="utf-8")
ASANA = "incidents/2026-11-19-asana-sync-failing/index.html"


def template_ids() -> list:
    with open(LOCALE / "messages.pot", "rb") as handle:
        return [m.id for m in read_po(handle) if m.id]


def catalog(path: Path) -> dict:
    """`{message id: translation}` of a .po file, fuzzy entries marked."""
    with open(path, "rb") as handle:
        return {m.id: (m.string, m.fuzzy) for m in read_po(handle) if m.id}


def blocks_under(heading: str, lang: str = "sh") -> list[str]:
    """The ```lang blocks of docs/themes.md from `heading` to the next heading of its level."""
    level = heading.split(" ", 1)[0]
    section = DOC.split(heading + "\n", 1)[1]
    section = re.split(rf"^{level} ", section, flags=re.M)[0]
    return re.findall(rf"^```{lang}\n(.*?)^```$", section, re.S | re.M)


def command_lines(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def run(line: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", line], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert "Traceback" not in result.stderr, (line, result.stderr)
    return result


def site_copy(tmp_path: Path, language: str, theme: str | None = None) -> Path:
    """The demo's content in `tmp_path`, speaking `language`."""
    shutil.copytree(ROOT / "content", tmp_path / "content")
    settings = tmp_path / "content" / "site.yaml"
    text = re.sub(r"(?m)^language: .*$", f"language: {language}", settings.read_text(encoding="utf-8"))
    if theme:
        text = re.sub(r"(?m)^theme: .*$", f"theme: {theme}", text)
    settings.write_text(text, encoding="utf-8")
    return tmp_path


def po(entries: str, language: str = "de", plural: str = "nplurals=2; plural=(n != 1);") -> str:
    header = (f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n"Plural-Forms: {plural}\\n"\n'
              '"Content-Type: text/plain; charset=utf-8\\n"\n\n')
    return header + textwrap.dedent(entries)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the catalogs ------------------------------------------------------------------------------


def test_the_default_theme_speaks_the_promised_languages():
    assert available([default_theme_dir(ROOT)]) == ["ar", "de", "en", "es", "fr", "ja", "pt-BR"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_catalog_translates_every_message(name):
    path = LOCALE / name / "LC_MESSAGES" / "messages.po"
    data = path.read_bytes()
    found, problems = read_catalog(data, name, str(path))
    assert problems == []  # placeholders, markup and {zone} as the messages have them
    assert str(found.locale) == name
    messages = {m.id: m for m in found if m.id}
    ids = template_ids()
    assert sorted(map(str, messages)) == sorted(map(str, ids))  # every message of the theme, nothing else
    for message_id in ids:
        message = messages[message_id]
        assert translated(message) and not message.fuzzy, message_id
        if isinstance(message_id, tuple):
            assert len(message.string) == found.num_plurals, message_id
    assert b"#~" not in data  # no obsolete entries
    # Written for the language, not left in English: only words that are the same in it may stay.
    same = [m for m in ids if not isinstance(m, tuple) and messages[m].string == m]
    assert len(same) <= 6, same


def test_the_documented_commands_keep_the_template_and_the_catalogs_up_to_date(tmp_path):
    """docs/themes.md's commands for the default theme, run on a copy: they find the same messages as
    the committed template, change no translation, and start a new language."""
    for part in ("babel.cfg", "generator", "themes"):
        source = ROOT / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / part)
    (block,) = blocks_under("### Translating the default theme itself")
    lines = command_lines(block)
    assert [line.split()[:2] for line in lines] == [["pybabel", "extract"], ["pybabel", "update"], ["pybabel", "init"]]
    for line in lines:
        result = run(line, tmp_path)
        assert result.returncode == 0, (line, result.stderr)
    copy = tmp_path / "themes" / "default" / "locale"
    with open(copy / "messages.pot", "rb") as handle:
        extracted = [m.id for m in read_po(handle) if m.id]
    assert extracted == template_ids(), "run the commands of docs/themes.md: the template is out of date"
    for name in SHIPPED:
        assert catalog(copy / name / "LC_MESSAGES" / "messages.po") == catalog(LOCALE / name / "LC_MESSAGES" / "messages.po")
    assert (copy / "ko" / "LC_MESSAGES" / "messages.po").is_file()


def test_the_wheel_ships_every_catalog(dist):  # noqa: F811 - the wheel as users get it (tests/wheels.py)
    wheel = next(dist.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/themes/default/locale/messages.pot" in names
    for name in SHIPPED:
        assert f"generator/themes/default/locale/{name}/LC_MESSAGES/messages.po" in names


# --- formats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag, day, year, time, zone, percent, month, names", [
    # A bare "en" is international English, as the pages have always been.
    ("en", "26 Nov", "26 Nov 2026", "09:40", "CET", "99.95%", "November 2026", "Web app, API, iOS"),
    ("en-US", "Nov 26", "Nov 26, 2026", "9:40 AM", "CET", "99.95%", "November 2026", "Web app, API, iOS"),
    ("de", "26. Nov.", "26. Nov. 2026", "09:40", "MEZ", "99,95\xa0%", "November 2026", "Web app, API und iOS"),
    ("de-AT", "26. Nov.", "26. Nov. 2026", "09:40", "MEZ", "99,95\xa0%", "November 2026", "Web app, API und iOS"),
    ("fr", "26 nov.", "26 nov. 2026", "09:40", "CET", "99,95\xa0%", "Novembre 2026", "Web app, API, iOS"),
    ("es", "26 nov", "26 nov 2026", "9:40", "CET", "99,95\xa0%", "Noviembre de 2026", "Web app, API y iOS"),
    ("pt-BR", "26 de nov.", "26 de nov. de 2026", "09:40", "CET", "99,95%", "Novembro de 2026", "Web app, API, iOS"),
    ("ja", "11月26日", "2026年11月26日", "9:40", "CET", "99.95%", "2026年11月", "Web app、API、iOS"),
    ("ar", "26 نوفمبر", "26 نوفمبر 2026", "9:40 ص", "CET", "99.95%", "نوفمبر 2026", "Web app وAPI وiOS"),
])
def test_dates_and_numbers_are_written_as_cldr_has_them(tag, day, year, time, zone, percent, month, names):
    language = Language.for_tag(tag)
    local = datetime(2026, 11, 26, 9, 40, tzinfo=ZoneInfo("Europe/Berlin"))
    assert (language.day(local), language.day(local, year=True), language.time(local), language.zone(local)) == \
        (day, year, time, zone)
    assert language.percent(99.956) == percent  # rounded down: 99.996 never shows as 100.00
    assert (language.month(2026, 11), language.names(["Web app", "API", "iOS"])) == (month, names)
    assert language.direction == ("rtl" if tag == "ar" else "ltr")


@pytest.mark.parametrize("tag, expected", [
    ("pt-BR", "pt_BR"), ("pt-br", "pt_BR"), ("de-AT", "de"), ("de-CH-1996", "de"), ("en-US", "en"), ("en", "en"),
    ("ja-JP", "ja"), ("pt", None), ("nl", None), ("zh-Hant-TW", None),
])
def test_a_tag_reads_its_own_catalog_or_its_languages(tag, expected):
    assert resolve(tag, ["ar", "de", "es", "fr", "ja", "pt_BR"]) == expected


# --- the pages, the feeds, the calendar, the API ---------------------------------------------------


def test_a_german_site_speaks_german(demo_in):
    out = demo_in("de")
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in home
    assert '<span class="i" aria-hidden="true"></span>Geringfügige Störung</h1>' in home
    assert 'Aktualisiert: <time datetime="2026-11-26T10:15:00Z">26. Nov., 11:15 MEZ</time>' in home
    assert ('<span class="range"><time datetime="2026-12-02T05:00:00Z">2. Dez., 06:00</time>–'
            '<time datetime="2026-12-02T06:00:00Z">07:00 MEZ</time></span>') in home
    assert '<span class="pill w-monitoring ev-status">Wird beobachtet</span> <span class="tag">Geringe Auswirkung</span>' in home
    assert ">Betriebsbereit</span>" in home and "Eingeschränkte Leistung</li>" in home
    assert "<h2 id=\"h-active\">Aktive Vorfälle</h2>" in home and "<h2 id=\"h-recent\">Letzte 7 Tage</h2>" in home
    assert re.search(r'<p class="up">\d+,\d\d\xa0% Verfügbarkeit</p>', home)
    assert 'title="8. Okt.: Teilweiser Ausfall 2 Std. 38 Min."' in home  # the bars' tooltips
    incident = (out / ASANA).read_text(encoding="utf-8")
    assert "<dt>Dauer</dt><dd>Behoben nach 1 Std. 10 Min.</dd>" in incident
    assert "<title>Asana sync failing · Hourglass Status</title>" in incident
    history = (out / "history" / "index.html").read_text(encoding="utf-8")
    assert "<title>Verlauf · Hourglass Status</title>" in history
    assert "<h2>November 2026</h2>" in history and "<h2>Oktober 2026</h2>" in history
    assert "Betrifft: " in history
    component = (out / "components" / "web-app" / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="h-uptime">Verfügbarkeit</h2>' in component and "Seit " not in component
    assert re.search(r"<b>8\. Okt\. 2026</b> Teilweiser Ausfall 2 Std\. 38 Min\. \(\d+,\d\d\xa0%\)", component)
    assert "Seite nicht gefunden" in (out / "404.html").read_text(encoding="utf-8")
    offline = (out / "offline.html").read_text(encoding="utf-8")
    assert "Vorübergehend nicht verfügbar" in offline and "Mi., 2. Dez. 2026, 05:00–06:00 UTC" in offline
    # None of the theme's English words is left in the page chrome.
    chrome = text_of(re.sub(r'<div class="upd">.*?</div>', "", home, flags=re.S))
    for english in ("Active incidents", "Operational", "Subscribe", "Updated", "uptime", "Maintenance calendar",
                    "Each bar shows", "Times are shown"):
        assert english not in chrome, english


def test_feeds_and_the_calendar_speak_the_site_language(demo_in):
    out = demo_in("de")
    rss = feedparser.parse((out / "history.rss").read_bytes())
    atom = feedparser.parse((out / "history.atom").read_bytes())
    for feed in (rss, atom):
        assert feed.feed.title == "Hourglass Status: Vorfallsverlauf"
        assert feed.entries[0].title == "[Wird beobachtet] Delayed email reminders"
        assert "[Geplant] Message queue cluster upgrade" in [e.title for e in feed.entries]
    assert rss.feed.language == "de"
    first = atom.entries[0].content[0].value
    assert "Betroffene Komponenten: Email and notifications" in first
    maintenance = next(e for e in rss.entries if e.title == "[Geplant] Message queue cluster upgrade")
    assert "Zeitfenster: 2026-12-02 05:00 UTC bis 2026-12-02 06:00 UTC" in maintenance.description
    cal = icalendar.Calendar.from_ical((out / "maintenance.ics").read_bytes())
    assert str(cal["X-WR-CALNAME"]) == "Hourglass Status: Wartungen"
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    upgrade = events["Message queue cluster upgrade"]
    assert upgrade["SUMMARY"].params["LANGUAGE"] == "de" and upgrade["DESCRIPTION"].params["LANGUAGE"] == "de"
    description = str(upgrade["DESCRIPTION"])
    assert description.startswith("Betroffene Komponenten: Integrations, Email and notifications\n\nGeplant: ")


def test_the_api_keeps_statuspages_words_in_every_language(built_demo, demo_in):
    """Clients match on the API's enums and descriptions: a German site's JSON is the English site's, byte for byte."""
    german = demo_in("de")
    files = sorted(p.relative_to(built_demo) for p in built_demo.rglob("*.json"))
    assert len(files) > 40 and Path("api/v2/summary.json") in files
    for rel in files:
        assert (german / rel).read_bytes() == (built_demo / rel).read_bytes(), rel
    status = json.loads((german / "api/v2/status.json").read_text())["status"]
    assert status == {"indicator": "minor", "description": "Minor Service Outage"}


def test_japanese_and_arabic_pages(demo_in):
    ja = (demo_in("ja") / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and "サービスの軽微な障害</h1>" in ja
    assert '更新日時：<time datetime="2026-11-26T10:15:00Z">11月26日 11:15 CET</time>' in ja
    assert "<h2 id=\"h-comp\">コンポーネント</h2>" in ja and ">稼働中</span>" in ja
    incident = (demo_in("ja") / ASANA).read_text(encoding="utf-8")
    assert "<dd>解決（所要時間 1時間10分）</dd>" in incident
    ar = (demo_in("ar") / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in ar and "انقطاع طفيف في الخدمة</h1>" in ar
    assert "<h2 id=\"h-recent\">آخر 7 أيام</h2>" in ar  # Arabic's plural for 3 to 10
    incident = (demo_in("ar") / ASANA).read_text(encoding="utf-8")
    assert "<dd>تم الحل بعد ساعة واحدة و10 دقائق</dd>" in incident


def test_english_pages_have_no_dir(built_demo):
    assert '<html lang="en">' in (built_demo / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["de", "fr", "es", "pt-BR", "ja", "ar"])
def test_the_home_page_fits_in_50_kb_in_every_language(demo_in, language):
    out = demo_in(language)
    html = (out / "index.html").stat().st_size
    css = sum(p.stat().st_size for p in (out / "static").glob("*.css"))
    assert html + css <= 50 * 1024


def test_a_build_in_another_language_is_byte_identical_again(tmp_path):
    root = site_copy(tmp_path / "site", "ja")
    first, second = tmp_path / "one", tmp_path / "two"
    build(root, FIXED_NOW, first)
    build(root, FIXED_NOW, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


# --- check ------------------------------------------------------------------------------------------


def check(root: Path, *options: str):
    return CliRunner().invoke(main, ["check", str(root), "--now", "2026-11-26 12:00 UTC", *options])


def test_check_rejects_a_language_without_a_translation_and_names_those_there_are(tmp_path):
    root = site_copy(tmp_path, "nl")
    line = next(n for n, text in enumerate((root / "content/site.yaml").read_text().splitlines(), 1)
                if text.startswith("language:"))
    result = check(root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f'content/site.yaml:{line}:11: error: the theme has no translation for language "nl"; it has ar, de, en, '
            "es, fr, ja, pt-BR. To add one, see `statusgen docs themes`") in result.output
    (problem,) = json.loads(check(root, "--format", "json").output)
    assert (problem["path"], problem["line"], problem["severity"]) == ("content/site.yaml", line, "error")
    site_copy(tmp_path / "pt", "pt")
    assert '"pt" (did you mean "pt-BR"?)' in check(tmp_path / "pt").output


@pytest.mark.parametrize("language", ["de-AT", "en-GB", "en-US", "pt-br", "ar"])
def test_check_accepts_a_region_of_a_language_the_theme_speaks(tmp_path, language):
    _content, problems = load(site_copy(tmp_path, language))
    assert problems.errors == [] and not [p for p in problems.warnings if "language" in p.message], problems.items


# --- a site's own translations ----------------------------------------------------------------------


def site_catalog(root, name: str):
    """Where the site theme "brand" keeps its catalog for `name`, its folders made."""
    path = root / "themes" / "brand" / "locale" / name / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


OVERRIDE = po('''\
    msgid "Operational"
    msgstr "Läuft rund"
    ''')


def test_a_site_theme_changes_some_words_and_keeps_the_rest(tmp_path):
    root = site_copy(tmp_path / "site", "de", theme="brand")
    site_catalog(root, "de").write_text(OVERRIDE, encoding="utf-8")
    build(root, FIXED_NOW, tmp_path / "out")
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert ">Läuft rund</span>" in home and "Läuft rund</li>" in home  # the badges and the legend
    assert ">Betriebsbereit<" not in home
    assert "<h2 id=\"h-comp\">Komponenten</h2>" in home  # the rest from the default theme's German


def test_a_site_theme_adds_a_language(tmp_path):
    root = site_copy(tmp_path / "site", "nl", theme="brand")
    site_catalog(root, "nl").write_text(po('''\
        msgid "Components"
        msgstr "Onderdelen"

        msgid "Past day"
        msgid_plural "Past %(count)s days"
        msgstr[0] "Afgelopen dag"
        msgstr[1] "Afgelopen %(count)s dagen"
        ''', "nl"), encoding="utf-8")
    result = check(root)
    assert result.exit_code == 0, result.output
    assert re.search(r"themes/brand/locale/nl/LC_MESSAGES/messages.po:1:1: warning: \d+ of \d+ messages have no "
                     r"translation yet, so pages show them in English; `statusgen messages nl`", result.output)
    assert "0 errors" in result.output
    build(root, FIXED_NOW, tmp_path / "out")
    home = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in home and "<h2 id=\"h-comp\">Onderdelen</h2>" in home
    assert "<h2 id=\"h-recent\">Afgelopen 7 dagen</h2>" in home
    assert ">Operational</span>" in home  # not translated: English
    assert "26 nov, 11:15" in home  # Dutch dates come from CLDR, catalog or not


BAD = po('''\
    msgid "Subscribe to %(name)s"
    msgstr "%(nam)s abonnieren"

    msgid "There is nothing at this address. The <a href=\\"%(home)s\\">current status</a> and the <a href=\\"%(history)s\\">incident history</a> are a click away."
    msgstr "Hier ist nichts. Zum aktuellen Status und zum Verlauf."

    msgid "Legend"
    msgstr "Die \\"Legende\\""

    msgid "Uptime"
    msgstr "100 % verfügbar"
    ''')


def test_mistakes_in_a_site_catalog_are_errors_at_their_line(tmp_path):
    root = site_copy(tmp_path / "site", "de", theme="brand")
    site_catalog(root, "de").write_text(BAD, encoding="utf-8")
    lines = {m: n for n, text in enumerate(BAD.splitlines(), 1) for m in ("Subscribe", "There is", "Legend", "Uptime")
             if text.startswith(f'msgid "{m}')}
    output = check(root).output
    rel = "themes/brand/locale/de/LC_MESSAGES/messages.po"
    assert (f'{rel}:{lines["Subscribe"]}:1: error: the translation of "Subscribe to %(name)s" uses %(nam)s, which the '
            "message does not have (it has %(name)s)") in output
    assert f'{rel}:{lines["There is"]}:1: error: the translation of "There is nothing at this address.' in output
    assert "must keep the message's markup and add none" in output
    assert f"{rel}:{lines['Legend']}:1: error: the translation of \"Legend\" must keep" in output
    assert f"{rel}:{lines['Uptime']}:1: error: the translation of \"Uptime\" has a stray % ('% ')" in output
    # The build says the first, in one line, without a traceback.
    result = CliRunner().invoke(main, ["build", str(root), "--now", "2026-11-26 12:00 UTC", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output and f"{rel}:" in result.output


@pytest.mark.parametrize("plural, message", [
    ("nplurals=2; plural=(n != 1", "the Plural-Forms header's rule cannot be read: unbalanced parenthesis"),
    ("nplurals=2; plural=n;", "the Plural-Forms header's rule gives form 2 for 2, but there are only 2 forms"),
    ("nplurals=2; plural=n/0;", "the Plural-Forms header's rule cannot be read: integer division or modulo by zero"),
    ("nplurals=100000; plural=0;", "the Plural-Forms header gives nplurals=100000; a language has from 1 to 6"),
])
def test_a_plural_rule_that_cannot_work_is_an_error(tmp_path, plural, message):
    root = site_copy(tmp_path / "site", "de", theme="brand")
    site_catalog(root, "de").write_text(po('msgid "Legend"\nmsgstr "Le\x1bgende"\n', plural=plural), encoding="utf-8")
    output = check(root).output
    rel = "themes/brand/locale/de/LC_MESSAGES/messages.po"
    assert f"{rel}:1:1: error: {message}" in output, output
    assert f'{rel}:7:1: error: the translation of "Legend" has U+001B (a control character)' in output
    for command in (["build", str(root), "--out", str(tmp_path / "out")], ["messages", "de", "--site", str(root)]):
        result = CliRunner().invoke(main, [*command, "--now", "2026-11-26 12:00 UTC"] if command[0] == "build" else command)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert re.search(rf"{re.escape(rel)}:1:(1: error:)? {re.escape(message)}", result.output), result.output


def test_a_catalog_that_is_not_one_is_an_error_at_its_line(tmp_path):
    root = site_copy(tmp_path / "site", "de", theme="brand")
    site_catalog(root, "de").write_text('msgid "Legend"\nmsgstr "Legende"\nLegende, bitte\n', encoding="utf-8")
    output = check(root).output
    assert ("themes/brand/locale/de/LC_MESSAGES/messages.po:3:1: error: not a gettext catalog: cannot read the line "
            "'Legende, bitte'") in output, output


# --- statusgen messages, and the guide ---------------------------------------------------------------


def test_statusgen_messages_prints_a_catalog_to_translate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not in a site: the default theme
    runner = CliRunner()
    template = runner.invoke(main, ["messages"])
    assert template.exit_code == 0 and template.output == (LOCALE / "messages.pot").read_text(encoding="utf-8")
    dutch = read_po(io.BytesIO(runner.invoke(main, ["messages", "nl"]).output.encode()))
    assert str(dutch.locale) == "nl" and dutch.num_plurals == 2
    assert [m.id for m in dutch if m.id] == template_ids()
    assert not any(m.string if isinstance(m.string, str) else any(m.string) for m in dutch if m.id)  # all to write
    german = read_po(io.BytesIO(runner.invoke(main, ["messages", "de"]).output.encode()))
    assert german["Operational"].string == "Betriebsbereit" and all(translated(m) for m in german if m.id)
    # In a site, its own catalog comes in over the default theme's.
    root = site_copy(tmp_path / "site", "de", theme="brand")
    site_catalog(root, "de").write_text(OVERRIDE, encoding="utf-8")
    mine = read_po(io.BytesIO(runner.invoke(main, ["messages", "de", "--site", str(root)]).output.encode()))
    assert mine["Operational"].string == "Läuft rund" and mine["Components"].string == "Komponenten"
    bad = runner.invoke(main, ["messages", "not a tag"])
    assert bad.exit_code == 2 and "is not a BCP 47 language tag" in bad.output


def test_every_command_line_in_the_translating_guide_runs(tmp_path):
    site = tmp_path / "status"
    assert CliRunner().invoke(main, ["init", str(site), "--no-git", "--no-lock", "--now", "2026-11-26 12:00 UTC"]).exit_code == 0
    heading = "### A new language, or other words, in your site"
    (settings,) = blocks_under(heading, "yaml")
    start, check_and_build, upgrade = blocks_under(heading)
    for line in command_lines(start):
        assert run(line, site).returncode == 0, line
    po_file = site / "themes" / "brand" / "locale" / "nl" / "LC_MESSAGES" / "messages.po"
    assert [m.id for m in read_po(io.BytesIO(po_file.read_bytes())) if m.id] == template_ids()
    # A translator writes a msgstr; the settings say as the guide does.
    po_file.write_text(po_file.read_text(encoding="utf-8").replace('msgid "Components"\nmsgstr ""',
                                                                     'msgid "Components"\nmsgstr "Onderdelen"'),
                       encoding="utf-8")
    text = (site / "content" / "site.yaml").read_text(encoding="utf-8")
    for key, value in re.findall(r"^(\w+): (.*)$", settings, re.M):
        text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text) if re.search(rf"(?m)^{key}:", text) \
            else text + f"{key}: {value}\n"
    (site / "content" / "site.yaml").write_text(text, encoding="utf-8")
    for line in command_lines(check_and_build):
        result = run(line, site)
        assert result.returncode == 0, (line, result.stderr)
    assert "messages have no translation yet" in run("statusgen check", site).stderr
    home = (site / "output" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in home and "<h2 id=\"h-comp\">Onderdelen</h2>" in home
    (line,) = command_lines(upgrade)
    assert run(line, site).returncode == 0
    kept = read_po(io.BytesIO(po_file.read_bytes()))
    assert kept["Components"].string == "Onderdelen" and [m.id for m in kept if m.id] == template_ids()


# --- in the browser -------------------------------------------------------------------------------------


RTL_JS = """() => {
  const box = el => el.getBoundingClientRect();
  const badge = document.querySelector('.comp .st'), icon = badge.querySelector('.i');
  const bar = document.querySelector('.bar'), cells = [...bar.querySelectorAll('li')].filter(li => box(li).width > 0);
  const ev = document.querySelector('.ev'), up = document.querySelector('.up');
  const range = document.createRange(); range.selectNodeContents(up);
  return {
    dir: getComputedStyle(document.body).direction,
    iconAtTheStart: document.dir === 'rtl' ? box(icon).right >= box(badge).right - 1 : box(icon).left <= box(badge).left + 1,
    oldestAtTheStart: document.dir === 'rtl' ? box(cells[0]).left > box(cells[cells.length - 1]).left
                                             : box(cells[0]).left < box(cells[cells.length - 1]).left,
    thickSide: getComputedStyle(ev).borderRightWidth === '4px' ? 'right' : getComputedStyle(ev).borderLeftWidth === '4px' ? 'left' : 'none',
    upAtTheEnd: document.dir === 'rtl' ? Math.abs(range.getBoundingClientRect().left - box(up).left) < 2
                                       : Math.abs(range.getBoundingClientRect().right - box(up).right) < 2,
    overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth,
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize("language, start, end", [("ar", "right", "left"), ("de", "left", "right")])
def test_a_right_to_left_language_mirrors_the_page(browser, demo_in, language, start, end):
    url, server = serve_folder(demo_in(language))
    try:
        for width in (360, 1280):
            context = browser.new_context(locale="en-US", viewport={"width": width, "height": 800})
            page = context.new_page()
            page.goto(url, wait_until="networkidle")
            found = page.evaluate(RTL_JS)
            assert found == {"dir": "rtl" if language == "ar" else "ltr", "iconAtTheStart": True,
                             "oldestAtTheStart": True, "thickSide": start, "upAtTheEnd": True, "overflow": False}, width
            for path in (ASANA.removesuffix("index.html"), "components/web-app/", "history/"):
                page.goto(url + path, wait_until="networkidle")
                assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), path
                if path.startswith("incidents/"):
                    side = page.evaluate("getComputedStyle(document.querySelector('.timeline > li')).borderRightWidth")
                    assert (side == "3px") == (start == "right")
            context.close()
    finally:
        server.shutdown()


@pytest.mark.browser
def test_the_script_speaks_the_pages_language(browser, demo_in):
    """An en-US reader of a German page: the times in the reader's zone, the words and dates in German."""
    url, server = serve_folder(demo_in("de"))
    try:
        context = browser.new_context(locale="en-US", timezone_id="America/New_York")
        page = context.new_page()
        page.clock.set_fixed_time(FIXED_NOW + timedelta(hours=3, minutes=5))
        page.goto(url, wait_until="networkidle")
        upcoming = page.locator(".range", has=page.locator('time[datetime="2026-12-02T05:00:00Z"]')).first.inner_text()
        assert upcoming.startswith("2. Dez., 00:00") and "AM" not in upcoming, upcoming
        assert page.locator(".tz").inner_text() == "Alle Zeiten in Ihrer Zeitzone, America/New York."
        notice = page.locator(".stale")
        assert notice.is_visible() and notice.inner_text().startswith("Diese Seite wurde zuletzt vor 3 Stunden aktualisiert.")
        context.close()
    finally:
        server.shutdown()
