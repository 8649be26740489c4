"""The letterhead every PDF of a cooperative is printed on, and the blocks documents are made of.

A builder subclasses nothing: it creates ``LetterPDF(letterhead, title, number, issued_on)``,
adds blocks (``recipient``, ``heading``, ``paragraph``, ``facts``, ``amounts`` …) and
returns ``pdf.to_bytes()``. Header and footer repeat on every page: the cooperative's
name and address at the top; register entry, contact, document number and
"Seite x von y" at the bottom.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from wir.formatting import german_date, money
from wir.pdf import fonts
from wir.pdf.data import Letterhead

PORTAL = "WIR-immerda-Serviceportal"
INK = (26, 26, 26)
MUTED = (74, 74, 74)
BRAND = (0, 61, 122)
BODY_SIZE = 11
LINE = 5.2  # mm per line of body text
PAD = 0.9  # mm above and below a row of a two-column block


class LetterPDF(FPDF):
    """An A4 document of one cooperative: letterhead, document number, page numbers, Unicode font.

    ``creation_date`` pins the PDF's metadata (tests compare documents made at different times).
    """

    def __init__(
        self,
        letterhead: Letterhead,
        title: str,
        number: str,
        issued_on: date,
        *,
        creation_date: datetime | None = None,
    ):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.letterhead = letterhead
        self.document_title = title
        self.number = number
        self.issued_on = issued_on
        fonts.add_fonts(self)
        self.set_margins(left=25, top=18, right=20)
        self.set_auto_page_break(auto=True, margin=30)
        self.set_title(title)
        self.set_subject(f"{title} – {letterhead.name}")
        self.set_author(letterhead.name)
        self.set_creator(PORTAL)
        self.set_producer(PORTAL)
        self.set_lang("de-DE")
        if creation_date is not None:
            self.set_creation_date(creation_date)
        self.add_page()

    # --- on every page ---

    def header(self):
        self.set_text_color(*BRAND)
        self._font("B", 15)
        self.cell(0, 7, self.letterhead.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*MUTED)
        self._font("", 9.5)
        self.cell(0, 5, self.letterhead.address, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*BRAND)
        self.set_line_width(0.5)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.set_y(self.get_y() + 6)
        self.set_text_color(*INK)
        self._font("", BODY_SIZE)

    def footer(self):
        self.footer_contact()
        self.cell(0, 4, f"Dokument-Nr. {self.number}", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(0, 4, f"Seite {self.page_no()} von {{nb}}", align=Align.R)
        self.set_text_color(*INK)

    def footer_contact(self):
        """The footer's rule, the cooperative's address and its contact lines (muted; the caller sets INK again)."""
        head = self.letterhead
        self.set_y(-24)
        self.set_draw_color(*MUTED)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_y(self.get_y() + 1.5)
        self.set_text_color(*MUTED)
        self._font("", 8.5)
        contact = " · ".join(part for part in (f"Telefon {head.phone}", head.email, head.website) if part)
        self.cell(0, 4, f"{head.name} · {head.address} · {head.register}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, contact, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # --- blocks ---

    def recipient(self, lines: Sequence[str]):
        """The address window (DIN 5008), with the return line of the cooperative above it."""
        self.set_text_color(*MUTED)
        self._font("", 8)
        self.cell(85, 4, f"{self.letterhead.name} · {self.letterhead.address}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self._font("", BODY_SIZE)
        for line in lines:
            self.cell(85, LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(6)

    def place_and_date(self, reference: Iterable[tuple[str, str]] = ()):
        """Right-aligned: the cooperative's city and the date, then references such as the contract."""
        self.cell(0, LINE, f"{self.letterhead.city}, {german_date(self.issued_on)}", align=Align.R,
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font("", 9.5)
        for label, value in [("Dokument-Nr.", self.number), *reference]:
            self.cell(0, 4.8, f"{label}: {value}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font("", BODY_SIZE)
        self.ln(4)

    def heading(self, text: str, size: float = 15):
        self._font("B", size)
        self._lines(size * 0.5, text)
        self._font("", BODY_SIZE)
        self.ln(2)

    def subheading(self, text: str):
        self.ln(1.5)
        self._font("B", 12)
        self._lines(6, text)
        self._font("", BODY_SIZE)
        self.ln(0.5)

    def paragraph(self, text: str, size: float = BODY_SIZE, muted: bool = False):
        """Plain text: nothing in it is markup, so user input prints exactly as typed."""
        if muted:
            self.set_text_color(*MUTED)
        self._font("", size)
        self._lines(size * 0.48, text)
        self._font("", BODY_SIZE)
        self.set_text_color(*INK)
        self.ln(2.5)

    def facts(self, rows: Iterable[tuple[str, str]], label_width: float = 62):
        """Label and value side by side, a thin rule below each; values may span several lines."""
        for label, value in rows:
            self._row(label, value or "–", label_width, value_align=Align.L)
        self.ln(3)

    def amounts(self, rows: Iterable[tuple[str, Decimal | None]], total: tuple[str, Decimal] | None = None):
        """Money in a right-aligned column; the total, if any, in bold."""
        label_width = self.epw - 45
        for label, amount in rows:
            self._row(label, money(amount), label_width, value_align=Align.R, bold_label=False)
        if total is not None:
            self._row(total[0], money(total[1]), label_width, value_align=Align.R, bold_value=True)
        self.ln(3)

    def grid(self, head: Sequence[str], rows: Iterable[Sequence[str]], col_widths: Sequence[float],
             align: Sequence[Align]):
        """A table with column headings, e.g. the cost types of a Betriebskostenabrechnung."""
        line = 5
        for style, cells in [("B", head), *(("", values) for values in rows)]:
            if self.will_page_break(line * 2):
                self.add_page()
            self._font(style, 9)
            top = self.get_y()
            bottom = top
            for width, text, side in zip(col_widths, cells, align):
                x = self.get_x()
                self.multi_cell(width, line, text, align=side, new_x=XPos.RIGHT, new_y=YPos.TOP,
                                padding=(0.8, 1, 0.8, 1))
                bottom = max(bottom, self.get_y() if self.get_y() > top else top + line + 1.6)
                self.set_xy(x + width, top)
            self._rule(bottom)
        self._font("", BODY_SIZE)
        self.ln(3)

    def signature_lines(self, names: Sequence[str]):
        """Room for a handwritten signature per person (for what needs Schriftform)."""
        for name in names:
            if self.will_page_break(22):
                self.add_page()
            self.ln(14)
            y = self.get_y()
            self.set_draw_color(*INK)
            self.line(self.l_margin, y, self.l_margin + 90, y)
            self._font("", 9)
            self.cell(0, 5, f"Ort, Datum, Unterschrift {name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._font("", BODY_SIZE)
        self.ln(3)

    def machine_made(self, requested_by: str | None = None):
        """The closing note of documents the portal makes without a clerk."""
        text = f"Dieses Dokument wurde über das {PORTAL} maschinell erstellt und ist ohne Unterschrift gültig."
        if requested_by:
            text += f" Angefordert von {requested_by} am {german_date(self.issued_on)}."
        self.ln(2)
        self.paragraph(text, size=9.5, muted=True)

    def _row(self, label: str, value: str, label_width: float, value_align: Align,
             bold_label: bool = True, bold_value: bool = False):
        """One line of a two-column block; kept on one page."""
        lines = max(1, value.count("\n") + 1, label.count("\n") + 1)
        if self.will_page_break(lines * LINE + 3):
            self.add_page()
        top = self.get_y() + PAD
        self.set_y(top)
        self._font("B" if bold_label else "", BODY_SIZE)
        label_bottom = self._text(self.l_margin, top, label_width - 1.5, label, Align.L)
        self._font("B" if bold_value else "", BODY_SIZE)
        value_bottom = self._text(self.l_margin + label_width, top, self.epw - label_width, value, value_align)
        self._rule(max(label_bottom, value_bottom) + PAD)
        self._font("", BODY_SIZE)

    def _text(self, x: float, y: float, width: float, text: str, align: Align) -> float:
        """Text in a column from (x, y); returns where it ends. A line that fits skips fpdf2's line
        breaking, which measures the text again for every character (most of the time a page takes)."""
        self.set_xy(x, y)
        if self._one_line(text) and self.get_string_width(text) <= width:
            self.cell(width, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(width, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return self.get_y()

    @staticmethod
    def _one_line(text: str) -> bool:
        """No line break asked for, and no soft hyphen: multi_cell drops one where it does not break, cell would
        print it (text pasted from a word processor)."""
        return "\n" not in text and "\u00ad" not in text

    def _lines(self, height: float, text: str):
        """Text from the cursor to the right margin, lines ``height`` apart, as multi_cell prints it; the cursor
        ends below it at the left margin. Text that fits on one line (inside the cell padding, where multi_cell
        breaks) is printed by cell, skipping the line breaking that measures the text again for every character."""
        room = self.w - self.r_margin - self.x - 2 * self.c_margin
        if self._one_line(text) and text == text.strip() and self.get_string_width(text) <= room:
            self.cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(0, height, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _rule(self, y: float):
        """A thin line across the text width at ``y``; the cursor continues below it."""
        self.set_draw_color(180, 180, 180)
        self.set_line_width(0.2)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_xy(self.l_margin, y)

    def output(self, *args, output_producer_class=fonts.Output, **kwargs):
        """fpdf2's output, written by fonts.Output: the fonts of ``fonts.add_fonts`` are shared by every document
        of the process, and fpdf2's own output would cut them down to one document's glyphs."""
        return super().output(*args, output_producer_class=output_producer_class, **kwargs)

    def to_bytes(self) -> bytes:
        return bytes(self.output())

    def _font(self, style: str, size: float):
        self.set_font(fonts.FAMILY, style, size)
