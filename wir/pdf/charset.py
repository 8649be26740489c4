"""The characters the portal's PDFs can print: Source Sans Pro's, in the Latin scripts.

That is German, Polish, Turkish, Vietnamese … names, punctuation and €. Forms refuse text the
font cannot print (``unprintable``), so nothing prints as boxes. No fpdf here: forms check their
text before a document is made, or without making one (memory per worker).
"""

import functools
from pathlib import Path

import font_source_sans_pro
from fontTools.ttLib import TTFont

# fpdf2 style letter -> file of the package
WEIGHTS = {"": "SourceSansPro-Regular.ttf", "B": "SourceSansPro-Semibold.ttf"}
PACKAGE_FILES = Path(font_source_sans_pro.__file__).parent / "files"
# Basic Latin, Latin-1, Latin Extended-A/B, spacing and combining marks, Latin Extended Additional,
# general punctuation („“ – …), currency (€), letterlike symbols (№), arrows, minus sign
RANGES = (
    (0x20, 0x7E), (0xA0, 0x24F), (0x2B0, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F),
    (0x20A0, 0x20CF), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2212, 0x2212),
)


def wanted(codepoint: int) -> bool:
    return any(low <= codepoint <= high for low, high in RANGES)


@functools.cache
def _characters() -> frozenset[int]:
    with TTFont(PACKAGE_FILES / WEIGHTS[""], lazy=True) as font:
        return frozenset(c for c in font.getBestCmap() if wanted(c))


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` the font cannot print (line breaks and tabs are fine)."""
    known = _characters()
    return sorted({c for c in text if ord(c) not in known and c not in "\r\n\t"})
