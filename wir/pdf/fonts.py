"""The embedded Unicode font: Source Sans Pro from the PyPI package ``font-source-sans-pro``.

fpdf2 parses and subsets the whole font for every document it writes; for the full
Source Sans Pro files that alone costs about 60 ms. So each process prepares, once,
lean copies of the two weights we print: every character the font has, but without
hinting and OpenType layout tables (fpdf2 drops those from the embedded subset anyway),
and only the characters of the Latin scripts (``charset.RANGES``).

Each process also takes each lean font apart once (``Face``): a document's subset is then
put together from the stored bytes of the glyphs it prints (``Output``). fpdf2's own output
has fontTools parse, prune and compile every table of both weights again and builds the
128 KB glyph map entry by entry: 17 of a Mietbescheinigung's 26 ms, now about 2.
"""

import atexit
import copy
import functools
import io
import logging
import shutil
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.sfnt import SFNTWriter
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFFont,
    PDFFontStream,
    _build_cmap_blocks,
    _tt_font_widths,
)
from fpdf.syntax import Name, PDFArray, PDFContentStream

from wir.pdf.charset import PACKAGE_FILES, WEIGHTS, wanted

FAMILY = "SourceSans"
log = logging.getLogger(__name__)


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
    """The font as fpdf reads it (metrics, cmap, widths): parsed once per process."""
    pdf = FPDF()
    pdf.add_font(FAMILY, style, str(font_files()[style]))
    return pdf.fonts[_key(style)]


def _key(style: str) -> str:
    return f"{FAMILY.lower()}{style}"


STYLES = {_key(style): style for style in WEIGHTS}  # fpdf2's font key -> style


def add_fonts(pdf: FPDF) -> None:
    """Make FAMILY (regular and bold) available in ``pdf``, as ``pdf.add_font`` would, only faster.

    ``add_font`` parses the font file for every document. Here each document gets a copy of
    the parsed prototype that shares its read-only tables and has its own state: the glyphs
    this document uses. Only ``Output`` writes such a PDF (fpdf2's own output would subset
    the shared font file itself).
    """
    for style in WEIGHTS:
        font = copy.copy(_prototype(style))
        font.i = len(pdf.fonts) + 1
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        pdf.fonts[_key(style)] = font


# --- the embedded subset ---

# composite glyph flags (TrueType 'glyf' table)
_ARGS_ARE_WORDS, _HAS_SCALE, _MORE_COMPONENTS, _HAS_XY_SCALE, _HAS_2X2 = 0x1, 0x8, 0x20, 0x40, 0x80
_TABLES_PER_DOCUMENT = {"GlyphOrder", "glyf", "loca", "hmtx", "cmap"}  # and the glyph count in 'hhea' and 'maxp'


def _component_offsets(glyph: bytes) -> tuple[int, ...]:
    """Where a composite glyph names its components' glyph ids: renumbered in every subset."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph)[0] >= 0:
        return ()  # empty or simple glyph
    offsets, position, flags = [], 10, _MORE_COMPONENTS
    while flags & _MORE_COMPONENTS:
        flags = struct.unpack_from(">H", glyph, position)[0]
        offsets.append(position + 2)
        position += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        position += 2 if flags & _HAS_SCALE else 4 if flags & _HAS_XY_SCALE else 8 if flags & _HAS_2X2 else 0
    return tuple(offsets)


@dataclass(frozen=True)
class Face:
    """One lean font taken apart: each glyph's bytes and metrics, and the tables every subset shares."""

    glyph_ids: dict[str, int]
    glyphs: tuple[bytes, ...]  # by glyph id, as stored in 'glyf'
    components: dict[int, tuple[tuple[int, int], ...]]  # composite glyph id -> (offset, component glyph id)
    metrics: tuple[bytes, ...]  # by glyph id: advance width and left side bearing, as stored in 'hmtx'
    cmap: dict[int, str]
    tables: dict[str, bytes]  # the others, as fontTools' subsetter leaves them for fpdf2
    long_loca: bool  # the lean font's 'loca' format, which fits every subset of it

    def program(self, names: Iterable[str]) -> tuple[bytes, dict[str, int]]:
        """The TrueType font program of the glyphs ``names`` (with the components they are made of, and
        glyphs 0 to 3 as fontTools keeps them), and each name's glyph id in it."""
        names = set(names)
        wanted_ids = {0, 1, 2, 3, *(self.glyph_ids[name] for name in names)}
        kept = set()
        while wanted_ids:
            glyph = wanted_ids.pop()
            if glyph not in kept:
                kept.add(glyph)
                wanted_ids.update(component for _, component in self.components.get(glyph, ()))
        old_ids = sorted(kept)  # the font's order, as fontTools keeps it
        new_ids = {old: new for new, old in enumerate(old_ids)}
        glyf, loca = bytearray(), [0]
        for old in old_ids:
            glyph = self.glyphs[old]
            if old in self.components:
                glyph = bytearray(glyph)
                for offset, component in self.components[old]:
                    struct.pack_into(">H", glyph, offset, new_ids[component])
            glyf += glyph
            glyf += bytes(-len(glyph) % 4)
            loca.append(len(glyf))
        order = {name: new_ids[old] for name, old in self.glyph_ids.items() if old in kept}
        count = len(old_ids)
        tables = dict(self.tables)
        tables["glyf"] = bytes(glyf)
        tables["loca"] = struct.pack(f">{count + 1}L", *loca) if self.long_loca else struct.pack(
            f">{count + 1}H", *(offset // 2 for offset in loca))
        tables["hmtx"] = b"".join(self.metrics[old] for old in old_ids)
        tables["hhea"] = tables["hhea"][:34] + struct.pack(">H", count)  # numberOfHMetrics: every glyph
        tables["maxp"] = tables["maxp"][:4] + struct.pack(">H", count) + tables["maxp"][6:]  # numGlyphs
        tables["cmap"] = self._cmap({code: name for code, name in self.cmap.items() if name in names}, order)
        buffer = io.BytesIO()
        writer = SFNTWriter(buffer, len(tables))
        for tag in sorted(tables):
            writer[tag] = tables[tag]
        writer.close()
        return buffer.getvalue(), order

    def _cmap(self, mapping: dict[int, str], order: dict[str, int]) -> bytes:
        """The subset's 'cmap' (format 4, Unicode and Windows), as fontTools' subsetter keeps it."""
        names = sorted(order, key=order.get)
        font = TTFont()
        font.setGlyphOrder(names)
        table = newTable("cmap")
        table.tableVersion = 0
        table.tables = []
        for platform, encoding in ((0, 3), (3, 1)):
            subtable = CmapSubtable.newSubtable(4)
            subtable.platformID, subtable.platEncID, subtable.language = platform, encoding, 0
            subtable.cmap = mapping
            table.tables.append(subtable)
        return table.compile(font)


@functools.cache
def face(style: str) -> Face:
    """The lean font of ``style`` taken apart, once per process."""
    with TTFont(font_files()[style], recalcTimestamp=False, recalcBBoxes=False) as font:
        order = font.getGlyphOrder()
        data, loca = font.reader["glyf"], font["loca"]
        glyphs = tuple(data[loca[i]:loca[i + 1]] for i in range(len(order)))
        metrics = tuple(struct.pack(">Hh", *font["hmtx"][name]) for name in order)
        cmap = dict(font.getBestCmap())
        components = {}
        for glyph_id, glyph in enumerate(glyphs):
            if offsets := _component_offsets(glyph):
                components[glyph_id] = tuple((o, struct.unpack_from(">H", glyph, o)[0]) for o in offsets)
        # the shared tables as fpdf2's subsetting leaves them (no glyph names, fewer name records …)
        subsetter = subset.Subsetter(subset.Options(notdef_outline=True, recommended_glyphs=True))
        subsetter.populate(glyphs=order)
        subsetter.subset(font)
        tables = {tag: font.getTableData(tag) for tag in font.keys() if tag not in _TABLES_PER_DOCUMENT}
        long_loca = font["head"].indexToLocFormat == 1
    return Face({name: i for i, name in enumerate(order)}, glyphs, components, metrics, cmap, tables, long_loca)


class Output(OutputProducer):
    """fpdf2's output of a document whose fonts come from ``add_fonts``: each font's subset is put
    together by its ``Face``; the PDF objects around it are the ones fpdf2 writes for a TrueType font."""

    def _add_fonts(self, image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name):
        fonts = {}
        for font in sorted(self.fpdf.fonts.values(), key=lambda font: font.i):
            name = f"MPDFAA+{font.name}"
            if font.missing_glyphs:  # as fpdf2 warns: forms refuse such text (charset.unprintable)
                log.warning("Font %s is missing the glyphs of %s", name, "".join(map(chr, font.missing_glyphs[:10])))
            program, glyph_ids = face(STYLES[font.fontkey]).program(font.subset.get_all_glyph_names())
            composite = PDFFont(subtype="Type0", base_font=name, encoding="Identity-H")
            self._add_pdf_obj(composite, "fonts")
            fonts[font.i] = composite
            cid_font = PDFFont(subtype="CIDFontType2", base_font=name, d_w=font.desc.missing_width,
                               w=_tt_font_widths(font))
            self._add_pdf_obj(cid_font, "fonts")
            composite.descendant_fonts = PDFArray([cid_font])
            composite.to_unicode = self._to_unicode(font)
            cid_font.c_i_d_system_info = CIDSystemInfo()
            self._add_pdf_obj(cid_font.c_i_d_system_info, "fonts")
            descriptor = copy.copy(font.desc)  # the prototype's, shared by every document of the process
            descriptor.font_name = Name(name)
            self._add_pdf_obj(descriptor, "fonts")
            cid_font.font_descriptor = descriptor
            cid_to_gid = bytearray(2 * 65536)
            for glyph, code in font.subset.items():
                if glyph is not None:
                    struct.pack_into(">H", cid_to_gid, 2 * code, glyph_ids[glyph.glyph_name])
            cid_font.c_i_d_to_g_i_d_map = PDFContentStream(contents=cid_to_gid, compress=True)
            self._add_pdf_obj(cid_font.c_i_d_to_g_i_d_map, "fonts")
            descriptor.font_file2 = PDFFontStream(contents=program)
            self._add_pdf_obj(descriptor.font_file2, "fonts")
            font.subset.pick.cache_clear()  # fpdf2's per-glyph caches keep the document alive otherwise
            font.subset.get_glyph.cache_clear()
        return fonts

    def _to_unicode(self, font: TTFFont) -> PDFContentStream:
        """The code -> Unicode map that text extraction and search read, as fpdf2 writes it."""
        entries = [
            f"<{code:04X}> <{''.join(f'{c:04X}' for c in glyph.unicode)}>\n"
            for glyph, code in font.subset.items()
            if glyph is not None and isinstance(glyph.unicode, tuple) and glyph.unicode
        ]
        stream = PDFContentStream((
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"{_build_cmap_blocks(entries, 'bfchar')}"
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
        ).encode("latin-1"))
        self._add_pdf_obj(stream, "fonts")
        return stream
