"""Colours and text of the PDF report: the console's palette, and text the PDF fonts can set.

The report uses the PDF core fonts (Helvetica), which every viewer has and
which need no font files, but which only know Latin-1. Typographic characters
get their plain equivalent, anything else a question mark.
"""

from __future__ import annotations

Rgb = tuple[int, int, int]

NAVY: Rgb = (0x16, 0x26, 0x3D)
NAVY_SUB: Rgb = (0x9F, 0xB0, 0xC7)
INK: Rgb = (0x1D, 0x26, 0x33)
MUTED: Rgb = (0x6B, 0x76, 0x87)
GRID: Rgb = (0xE2, 0xE6, 0xEC)
PANEL: Rgb = (0xF3, 0xF5, 0xF8)
ACCENT: Rgb = (0x1F, 0x5F, 0xAE)
GREEN: Rgb = (0x2E, 0x9E, 0x5B)
AMBER: Rgb = (0xE0, 0xA1, 0x00)
PALE_AMBER: Rgb = (0xFF, 0xF4, 0xD6)
RED: Rgb = (0xD6, 0x45, 0x45)
PURPLE: Rgb = (0x8E, 0x5B, 0xB5)
NO_DATA: Rgb = (0xEE, 0xF0, 0xF3)

# The console's thresholds: green from 85 %, amber from 60 %, red below.
GOOD_FROM = 0.85
FAIR_FROM = 0.60

_PLAIN = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u20ac": "EUR",
        "\u2009": " ",
        "\u202f": " ",
    }
)


def latin1(text: str) -> str:
    """The text with every character the core fonts cannot set replaced."""
    plain = text.translate(_PLAIN)
    return plain.encode("latin-1", errors="replace").decode("latin-1")


def level_colour(ratio: float | None) -> Rgb:
    """Green, amber or red by the console's thresholds; muted for no figure."""
    if ratio is None:
        return MUTED
    if ratio >= GOOD_FROM:
        return GREEN
    return AMBER if ratio >= FAIR_FROM else RED
