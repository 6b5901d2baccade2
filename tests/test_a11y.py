"""axe-core (npm, installed by `make test`) finds no accessibility violations, light and dark.

axe.min.js is injected into each page of the demo through Playwright; the pages' own
Content-Security-Policy forbids inline scripts, so the test's context bypasses it.
"""

from __future__ import annotations

import pytest

PAGES = ["", "incidents/2026-11-19-asana-sync-failing/", "incidents/2026-10-25-database-hardware-migration/",
         "history/", "components/api/", "components/email-notifications/"]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violations(browser, served_demo, node_tools, path, scheme):
    context = browser.new_context(locale="en-US", color_scheme=scheme, bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(served_demo + path, wait_until="networkidle")
        if path.startswith("components/"):
            page.locator(".days > li.o summary").first.click()  # an open day's details too
        assert axe_violations(page, node_tools) == []
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["de", "ja", "ar"])
@pytest.mark.parametrize("path", ["", "incidents/2026-11-19-asana-sync-failing/", "components/api/"])
def test_axe_finds_no_violations_in_other_languages(browser, demo_in, node_tools, language, path):
    """The same pages in German, Japanese and Arabic (right to left): lang, dir and the words change, nothing breaks."""
    from tests.conftest import serve_folder

    url, server = serve_folder(demo_in(language))
    context = browser.new_context(locale="en-US", bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url + path, wait_until="networkidle")
        assert axe_violations(page, node_tools) == []
    finally:
        context.close()
        server.shutdown()


def axe_violations(page, node_tools) -> list[dict]:
    """axe-core's violations on the page as it stands: rule, impact, and the first few elements."""
    page.add_script_tag(path=str(node_tools / "axe-core" / "axe.min.js"))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")
