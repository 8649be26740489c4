"""Verbrauchsinformation (§ 6a HeizkostenV) as letters for window envelopes (DIN 5008 form B), one page each.

The tenant's download is one such letter; the post letters of a month (staff's „Verbrauchsinformation per Post“)
are many in one PDF. Each page prints the month's figures per kind of meter and the first kind's 13 months as a
bar chart drawn from the same data as the page's SVG (wir.charts.bar_length).

``info`` is a wir.services.consumption.info.ConsumptionInfo: the builder reads its attributes and imports nothing
of the services (a lower layer never imports an upper one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from fpdf.enums import Align, XPos, YPos

from wir.charts import bar_length, largest
from wir.formatting import german_date, german_local_date, german_month, number
from wir.pdf.data import Letterhead
from wir.pdf.letter import BRAND, INK, MUTED, PORTAL
from wir.pdf.registration_letter import BODY_TOP, INFO_LEFT, INFO_TOP, RegistrationLetterPDF

if TYPE_CHECKING:
    from wir.services.consumption.info import ConsumptionInfo, KindInfo

TITLE = "Verbrauchsinformation"
CHART_HEIGHT = 30.0  # mm of the tallest bar (the longest letter still ends above the footer: a test)
HATCH = (150, 150, 150)


@dataclass(frozen=True)
class Letter:
    letterhead: Letterhead
    recipient: tuple[str, ...]  # the address lines (wir.pdf.cooperative_letter.address_lines)
    salutation: str  # "Sehr geehrte Frau Weiß,"
    info: ConsumptionInfo  # a month with values (``info.month`` is not None)
    portal_url: str = ""  # printed: where the tenant finds it every month


def _with_change(kind: KindInfo, comparison) -> str:
    if comparison.missing:
        return f"{kind.amount(comparison.value)}" if comparison.value is not None else "fehlt"
    label = f" ({comparison.label})" if comparison.label else ""
    return f"{kind.amount(comparison.value)}{label}"


def _average(kind: KindInfo) -> str:
    average = kind.average
    if average is None:
        return "–"
    return (f"{average.amount(average.average)}; Sie {average.amount(average.yours)}"
            + (f" ({average.label})" if average.label else ""))


class ConsumptionLetterPDF(RegistrationLetterPDF):
    """The Registrierungsbriefe' page (window, marks, footer per cooperative) with the month's figures."""

    def consumption_letter(self, data: Letter, issued_on: date):
        info = data.info
        self._marks()
        self._window(data)
        self._information_block(data, issued_on)
        self.set_xy(self.l_margin, BODY_TOP)
        self.heading(f"Ihre Verbrauchsinformation für {german_month(info.month)}", size=13)
        self.paragraph(data.salutation, size=10)
        self.paragraph(
            "wie jeden Monat informieren wir Sie über Ihren Verbrauch an Heizung und Wasser, so wie es § 6a der "
            "Heizkostenverordnung vorsieht. Das ist eine Information, keine Rechnung: Sie müssen nichts tun. "
            "Abgerechnet wird wie immer mit der jährlichen Heizkostenabrechnung.",
            size=9.5,
        )
        where = f"Wohnung: {info.address}" + (f", {info.location}" if info.location else "")
        self.paragraph(where + f" · Vertrag {info.contract_number}", size=9.5)
        self._figures(info)
        chart_kind = next((kind for kind in info.kinds if not kind.missing), None)
        if chart_kind is not None:
            self._chart(chart_kind)
        corrected = info.corrected_at
        closing = []
        if corrected is not None:
            closing.append(f"Die Werte für {german_month(info.month)} wurden am {german_local_date(corrected)} "
                           "korrigiert.")
        if data.portal_url:
            closing.append(f"Ihre Werte finden Sie jeden Monat auch im {PORTAL} unter „Verbrauch“: "
                           f"{data.portal_url}")
        closing.append(f"Fragen beantworten wir gern: Telefon {data.letterhead.phone}, E-Mail "
                       f"{data.letterhead.email}.")
        self.paragraph(" ".join(closing), size=9)
        self.paragraph(f"Mit freundlichen Grüßen\n{data.letterhead.name}", size=9)

    def _information_block(self, data: Letter, issued_on: date):
        width = self.w - self.r_margin - INFO_LEFT
        self._font("", 9.5)
        self.set_xy(INFO_LEFT, INFO_TOP)
        for label, value in (("Datum", german_date(issued_on)), ("Vertrag", data.info.contract_number),
                             ("Monat", german_month(data.info.month))):
            self.set_x(INFO_LEFT)
            self.cell(width, 4.8, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _figures(self, info: ConsumptionInfo):
        month = german_month(info.month, with_year=False)
        head = ("", month, "Vormonat", "Vorjahresmonat", "Durchschnittsnutzer im Haus")
        rows = []
        for kind in info.kinds:
            if kind.missing:
                rows.append((kind.label, "fehlt", _with_change(kind, kind.previous), _with_change(kind, kind.year_ago),
                             "–"))
                continue
            rows.append((kind.label, kind.amount(kind.value), _with_change(kind, kind.previous),
                         _with_change(kind, kind.year_ago), _average(kind)))
        self.grid(head, rows, (24, 24, 32, 32, 53), (Align.L, Align.R, Align.R, Align.R, Align.L))
        notes = [f"{kind.label}: {kind.missing_text}" for kind in info.kinds if kind.missing]
        notes += [kind.unit_note for kind in info.kinds if kind.unit_note]
        if notes:
            self.paragraph(" ".join(notes), size=9)

    def _chart(self, kind: KindInfo):
        """Columns of the 13 months (solid) beside the same months a year earlier (grey), values above the month's
        columns; a missing month has no column but „fehlt“."""
        self._font("B", 10)
        self.cell(0, 5, f"{kind.label}: die letzten 13 Monate in {kind.unit}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        legend_y = self.get_y() + 1
        self._legend(self.l_margin, legend_y, False, german_month(kind.month, with_year=False) + " und davor")
        self._legend(self.l_margin + 55, legend_y, True, "derselbe Monat ein Jahr früher")
        top = legend_y + 8
        bottom = top + CHART_HEIGHT
        scale = largest([p.value for p in kind.series] + [p.year_before for p in kind.series])
        group = self.epw / len(kind.series)
        bar = group * 0.36
        for index, point in enumerate(kind.series):
            left = self.l_margin + index * group + group * 0.1
            self._column(left, bottom, bar, point.value, scale, earlier=False, label=True, places=kind.places)
            self._column(left + bar, bottom, bar, point.year_before, scale, earlier=True, places=kind.places)
            self.set_text_color(*INK)
            self._font("", 6.5)
            self.set_xy(self.l_margin + index * group, bottom + 0.8)
            label = german_month(point.month, with_year=False)[:3]
            self.cell(group, 3, label, align=Align.C)
            if index == 0 or point.month.month == 1:
                self.set_xy(self.l_margin + index * group, bottom + 3.6)
                self.cell(group, 3, str(point.month.year), align=Align.C)
        self.set_draw_color(*INK)
        self.set_line_width(0.3)
        self.line(self.l_margin, bottom, self.l_margin + self.epw, bottom)
        self.set_xy(self.l_margin, bottom + 8)
        self._font("", 11)

    def _column(self, left: float, bottom: float, width: float, value, scale, earlier: bool, places: int,
                label: bool = False):
        if value is None:
            self.set_text_color(*MUTED)
            self._font("", 5.5)
            self.set_xy(left - 1, bottom - 3.2)
            self.cell(width * 2 + 2, 3, "fehlt" if label else "", align=Align.C)
            return
        height = bar_length(value, scale, CHART_HEIGHT)
        if earlier:
            self.set_fill_color(*HATCH)
            self.set_draw_color(*MUTED)
        else:
            self.set_fill_color(*BRAND)
            self.set_draw_color(*BRAND)
        self.set_line_width(0.2)
        self.rect(left, bottom - height, width, height, style="DF")
        if label:
            self.set_text_color(*INK)
            self._font("", 5.5)
            self.set_xy(left - 2, bottom - height - 3.2)
            self.cell(width + 4, 3, number(value, places), align=Align.C)

    def _legend(self, x: float, y: float, earlier: bool, text: str):
        self.set_fill_color(*(HATCH if earlier else BRAND))
        self.set_draw_color(*(MUTED if earlier else BRAND))
        self.rect(x, y + 0.6, 5, 3, style="DF")
        self.set_text_color(*INK)
        self._font("", 8.5)
        self.set_xy(x + 6.5, y)
        self.cell(45, 4.2, text)


def build(letters: Sequence[Letter], issued_on: date, *, creation_date: datetime | None = None,
          progress: Callable[[int], None] | None = None) -> bytes:
    """The letters in one PDF, one a page; ``progress(n)`` is called with the number done after every page."""
    if not letters:
        raise ValueError("no letters")
    pdf = ConsumptionLetterPDF(letters[0].letterhead, TITLE, "", issued_on, creation_date=creation_date)
    pdf.set_auto_page_break(auto=False)  # a letter is one page: it never spills onto the next
    for done, data in enumerate(letters, start=1):
        if done > 1:
            pdf.letterhead = data.letterhead
            pdf.add_page()
        pdf.consumption_letter(data, issued_on)
        if progress is not None:
            progress(done)
    return pdf.to_bytes()
