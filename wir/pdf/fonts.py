"""The embedded Unicode font: Source Sans Pro from the PyPI package ``font-source-sans-pro``.

fpdf2 parses and subsets the whole font for every document it writes; for the full
Source Sans Pro files that alone costs about 60 ms. So each process prepares, once,
lean copies of the two weights we print: every character the font has, but without
hinting and OpenType layout tables (fpdf2 drops those from the embedded subset anyway),
and only the characters of the Latin scripts (``charset.RANGES``).
"""

import atexit
import copy
import functools
import io
import shutil
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from wir.pdf.charset import PACKAGE_FILES, WEIGHTS, wanted

FAMILY = "SourceSans"


def _lean_copy(source: Path, target: Path) -> None:
    options = subset.Options(hinting=False, notdef_outline=True, recommended_glyphs=True, layout_features=[],
                             glyph_names=True)  # stored names: no deriving them from the cmap on every load
    options.drop_tables += ["GDEF", "GPOS", "GSUB", "DSIG", "hdmx", "FFTM", "meta"]
    subsetter = subset.Subsetter(options)
    with TTFont(source) as font:
        subsetter.populate(unicodes=[c for c in font.getBestCmap() if wanted(c)])
        subsetter.subset(font)
        font.save(target)


@functools.cache
def font_files() -> dict[str, Path]:
    """style -> path of the lean font file, made on first use in a private temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="wir-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    files = {}
    for style, name in WEIGHTS.items():
        files[style] = folder / name
        _lean_copy(PACKAGE_FILES / name, files[style])
    return files


@functools.cache
def _prototype(style: str) -> TTFFont:
    """The font as fpdf2 reads it (metrics, cmap, widths): parsed once per process."""
    pdf = FPDF()
    pdf.add_font(FAMILY, style, str(font_files()[style]))
    return pdf.fonts[_key(style)]


@functools.cache
def _font_bytes(style: str) -> bytes:
    return font_files()[style].read_bytes()


def _key(style: str) -> str:
    return f"{FAMILY.lower()}{style}"


def add_fonts(pdf: FPDF) -> None:
    """Make FAMILY (regular and bold) available in ``pdf``, as ``pdf.add_font`` would, only faster.

    ``add_font`` parses the font file for every document. Here each document gets a copy of
    the parsed prototype that shares its read-only tables and has its own state: the glyphs
    this document uses, and a fresh font file object, which fpdf2 cuts down to those glyphs
    when it writes the PDF.
    """
    for style in WEIGHTS:
        font = copy.copy(_prototype(style))
        font.i = len(pdf.fonts) + 1
        # read from memory: a font file opened per document would stay open until garbage collection
        font.ttfont = TTFont(io.BytesIO(_font_bytes(style)), recalcTimestamp=False, lazy=True)
        # Recomputing every glyph's bounding box when the subset is saved would unpack and repack
        # each glyph; the boxes stored in the font are right already.
        font.ttfont.recalcBBoxes = False
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        pdf.fonts[_key(style)] = font
