"""Shields-style SVG badges, and the embed banner script: small things other sites include.

A badge carries its status as text; colour only repeats it. Both halves
have opaque backgrounds with white text at WCAG AA contrast or better, so a
badge reads the same on a light page and on a dark one.
"""

from __future__ import annotations

from pathlib import Path

from generator import paths
from generator.model import COMPONENT_STATUS_LABELS
from generator.status import Snapshot

LABEL_COLOUR = "#454545"
# White text on each of these has a contrast ratio of at least 4.5:1.
COLOURS = {
    "operational": "#1a7f37",
    "degraded_performance": "#8a5a00",
    "partial_outage": "#b4490a",
    "major_outage": "#c4171e",
    "under_maintenance": "#0a62c9",
}
# The overall indicator, as a component status (for the colour) and a short message.
INDICATOR_BADGES = {
    "none": ("operational", "all systems operational"),
    "minor": ("degraded_performance", "minor outage"),
    "major": ("partial_outage", "partial outage"),
    "critical": ("major_outage", "major outage"),
    "maintenance": ("under_maintenance", "maintenance"),
}
# Advance widths of Verdana at 11px (as shields.io measures), for sizing without a font engine.
_NARROW = {" ": 3.9, "i": 3.1, "l": 3.1, "j": 3.4, "f": 3.9, "t": 4.3, "r": 4.7, "I": 4.2, ".": 3.9, ",": 3.9, ":": 4.5, "'": 2.7, "(": 4.5, ")": 4.5, "-": 4.5}
_WIDE = {"m": 10.7, "w": 8.9, "M": 9.9, "W": 11.0, "@": 10.9, "%": 11.8}
EMBED_SOURCE = Path(__file__).with_name("embed.js")


def escape(text: str) -> str:
    """XML text: as xml.sax.saxutils.escape, whose module costs a build 15 ms of imports (urllib, http, email)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(text: str) -> str:
    """A quoted XML attribute value, as xml.sax.saxutils.quoteattr writes it."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    return f"'{text}'" if "'" not in text else '"{}"'.format(text.replace('"', "&quot;"))


def text_width(text: str) -> float:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += _NARROW[ch]
        elif ch in _WIDE:
            width += _WIDE[ch]
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.8
    return width


def badge_svg(label: str, message: str, colour: str) -> bytes:
    """A two-part badge, `label | message`, with its text as the accessible name."""
    pad = 6
    lw = round(text_width(label) + 2 * pad)
    mw = round(text_width(message) + 2 * pad)
    total = lw + mw
    name = f"{label}: {message}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label={quoteattr(name)}>',
        f"<title>{escape(name)}</title>",
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3"/></clipPath>',
        '<g clip-path="url(#r)">',
        f'<rect width="{lw}" height="20" fill="{LABEL_COLOUR}"/>',
        f'<rect x="{lw}" width="{mw}" height="20" fill="{colour}"/>',
        "</g>",
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">',
        f'<text x="{lw / 2:g}" y="14">{escape(label)}</text>',
        f'<text x="{lw + mw / 2:g}" y="14">{escape(message)}</text>',
        "</g></svg>\n",
    ]
    return "".join(parts).encode()


def render_badges(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`badge.svg` for the overall status and `components/<id>/badge.svg` for each component."""
    catalog = snap.content.catalog
    status, message = INDICATOR_BADGES[snap.indicator]
    files = {paths.BADGE: badge_svg("status", message, COLOURS[status])}
    for component in catalog.components:
        status = snap.component_status(component.id)
        files[paths.component_badge(component.id)] = badge_svg(component.name, COMPONENT_STATUS_LABELS[status].lower(), COLOURS[status])
    return files


def render_embed(snap: Snapshot, root: Path) -> dict[str, bytes]:
    """`embed.js`: the same file for every site; it finds the site from its own URL."""
    return {paths.EMBED: EMBED_SOURCE.read_bytes()}
