"""Every internal link of the built site resolves: at the root and under a subpath.

The crawl resolves each href/src the way a browser would, against the URL the
page is served at, and checks the target file (and its #fragment) exists in
the output. 404.html is served for any missing path, so it is crawled as if it
were at a deep, unknown URL.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import html5lib
import pytest

from generator.build import build
from tests.conftest import FIXED_NOW, ROOT

RESOURCE_TAGS = {"link", "script", "img", "source", "iframe", "audio", "video"}


def parse(path: Path):
    return html5lib.parse(path.read_bytes(), treebuilder="etree", namespaceHTMLElements=False)


def page_url(out: Path, file: Path, base: str) -> str:
    rel = file.relative_to(out).as_posix()
    if rel == "404.html":
        return urljoin(base, "no/such/deep/page/")
    return urljoin(base, rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def crawl(out: Path, base: str) -> tuple[list[str], int]:
    """(problems, links checked) for the site in `out` served at `base`."""
    site = urlsplit(base)
    ids_cache: dict[Path, set] = {}
    problems, checked = [], 0

    def ids_of(path: Path) -> set:
        if path not in ids_cache:
            ids_cache[path] = {el.get("id") for el in parse(path).iter() if el.get("id")}
        return ids_cache[path]

    for file in sorted(out.rglob("*.html")):
        here = page_url(out, file, base)
        for el in parse(file).iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value is None:
                    continue
                checked += 1
                where = f"{file.relative_to(out)}: <{el.tag} {attr}={value!r}>"
                if value.startswith("#"):  # the same document, wherever it is served
                    if value[1:] not in ids_of(file):
                        problems.append(f"{where}: no such id on the page")
                    continue
                target = urlsplit(urljoin(here, value))
                if target.scheme == "webcal":
                    target = target._replace(scheme=site.scheme)
                if target.scheme in ("mailto", "data"):  # no request to any host
                    continue
                if target.netloc != site.netloc:
                    if el.tag in RESOURCE_TAGS:
                        problems.append(f"{where}: loads from another host")
                    continue
                if not target.path.startswith(site.path):
                    problems.append(f"{where}: leaves the site's path {site.path}")
                    continue
                rel = unquote(target.path[len(site.path):])
                local = out / rel / "index.html" if rel == "" or rel.endswith("/") else out / rel
                if not local.is_file():
                    problems.append(f"{where}: {rel or '/'} does not exist")
                    continue
                if target.fragment and local.suffix == ".html" and target.fragment not in ids_of(local):
                    problems.append(f"{where}: no id {target.fragment!r} in {rel or 'index.html'}")
    return problems, checked


def test_every_link_resolves_at_the_root(built_demo):
    problems, checked = crawl(built_demo, "https://status.hourglass.example/")
    assert checked > 500
    assert problems == []


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory) -> Path:
    """The demo with `url: https://example.com/status/`, built."""
    root = tmp_path_factory.mktemp("subpath")
    shutil.copytree(ROOT / "content", root / "content")
    site_yaml = root / "content" / "site.yaml"
    lines = site_yaml.read_text(encoding="utf-8").splitlines()
    site_yaml.write_text(
        "\n".join("url: https://example.com/status/" if line.startswith("url:") else line for line in lines) + "\n",
        encoding="utf-8",
    )
    build(root, FIXED_NOW, root / "output")
    return root / "output"


def test_every_link_resolves_under_a_subpath(subpath_site):
    problems, checked = crawl(subpath_site, "https://example.com/status/")
    assert checked > 500
    assert problems == []
    page = (subpath_site / "404.html").read_text(encoding="utf-8")
    assert 'href="/status/history/"' in page  # 404.html links from the prefix, not relative


def test_the_crawler_catches_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><title>x</title><a href="a/">ok</a><a href="b/">missing</a>'
        '<a href="a/#nope">bad fragment</a><script src="https://cdn.example.net/x.js"></script>'
        '<a href="../../outside/">escapes</a>'
    )
    (tmp_path / "a" / "index.html").write_text('<!DOCTYPE html><title>a</title><p id="yes">a</p>')
    problems, _ = crawl(tmp_path, "https://example.com/status/")
    assert len(problems) == 4, problems
    assert any("b/ does not exist" in p for p in problems)
    assert any("no id 'nope'" in p for p in problems)
    assert any("another host" in p for p in problems)
    assert any("leaves the site's path" in p for p in problems)
