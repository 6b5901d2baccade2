"""SVG badges: small, well-formed, named for screen readers, and legible on any background."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from generator.badges import COLOURS, LABEL_COLOUR, badge_svg, render_badges
from generator.content import load
from generator.model import COMPONENT_STATUS_LABELS
from generator.status import snapshot
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import load_at, write_site

SVG = "{http://www.w3.org/2000/svg}"


def contrast(foreground: str, background: str) -> float:
    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    hi, lo = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def read(data: bytes):
    assert len(data) <= 2048
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title").text
    assert root.get("aria-label") == title
    texts = [t.text for t in root.iter(f"{SVG}text")]
    return title, texts, root


def test_demo_badges(built_demo):
    content, _ = load_at(ROOT, FIXED_NOW)
    snap = snapshot(content, FIXED_NOW)
    title, texts, _ = read((built_demo / "badge.svg").read_bytes())
    assert texts[0] == "status" and title == f"status: {texts[1]}"
    assert texts[1] != "all systems operational"  # the demo has an active incident
    for component in content.catalog.components:
        title, texts, _ = read((built_demo / f"components/{component.id}/badge.svg").read_bytes())
        status = COMPONENT_STATUS_LABELS[snap.component_status(component.id)].lower()
        assert texts == [component.name, status] and title == f"{component.name}: {status}"


def test_all_operational_and_escaping(tmp_path):
    components = '- id: api\n  name: "R&D <API>"\n'
    root = write_site(tmp_path, {}, components=components)
    content, _ = load(root)
    files = render_badges(snapshot(content, datetime(2026, 1, 1, tzinfo=timezone.utc)), root)
    assert sorted(files) == ["badge.svg", "components/api/badge.svg"]
    assert read(files["badge.svg"])[1] == ["status", "all systems operational"]
    title, texts, _ = read(files["components/api/badge.svg"])
    assert title == "R&D <API>: operational" and texts[0] == "R&D <API>"


@pytest.mark.parametrize("status", sorted(COLOURS))
def test_text_is_legible_on_each_colour(status):
    # White text on opaque fills: the page behind (light or dark) does not matter.
    assert contrast("#ffffff", COLOURS[status]) >= 4.5
    assert contrast("#ffffff", LABEL_COLOUR) >= 4.5
    _, _, root = read(badge_svg("Email and notifications", status.replace("_", " "), COLOURS[status]))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("fill")]
    assert fills == [LABEL_COLOUR, COLOURS[status]]
    assert {g.get("fill") for g in root.iter(f"{SVG}g") if g.get("fill")} == {"#fff"}


def test_width_grows_with_text_and_stays_small():
    short = ET.fromstring(badge_svg("API", "operational", COLOURS["operational"]))
    long = ET.fromstring(badge_svg("A much longer component name here", "degraded performance", COLOURS["operational"]))
    assert int(short.get("width")) < int(long.get("width"))
    assert len(badge_svg("x" * 200, "major outage", COLOURS["major_outage"])) <= 2048
