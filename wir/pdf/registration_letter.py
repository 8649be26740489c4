"""Registrierungsbriefe: one PDF, one letter per page, for window envelopes (DIN 5008, form B).

Each letter carries the person's Registrierungsnummer, a QR code (segno) that opens the registration
with the number filled in, the guide's four steps and the portal's address. Positions in mm from the
top left corner of the A4 page, as DIN 5008 form B sets them.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import segno
from fpdf.enums import Align, XPos, YPos

from wir.formatting import german_date
from wir.pdf.data import Letterhead
from wir.pdf.letter import BRAND, INK, MUTED, PORTAL, LetterPDF

# DIN 5008 form B: the address field 85 x 45 mm at 20 mm from the left and 45 mm from the top; in it
# the Zusatz- und Vermerkzone (return line at its foot) and from 62.7 mm the Anschriftzone (27.3 mm)
WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT = 20.0, 45.0, 85.0, 45.0
ADDRESS_ZONE_TOP = 62.7
TEXT_LEFT = 25.0  # the left margin: text in the field starts 5 mm inside it
INFO_LEFT, INFO_TOP = 125.0, 50.0  # the information block (date, number) beside the field
BODY_TOP = 98.46  # the first line below the field
FOLD_MARKS = (105.0, 210.0)  # form B
HOLE_MARK = 148.5
QR_SIZE = 32.0

STEPS = (
    ("Schritt 1: Anmeldung aufrufen",
     "Besuchen Sie das {portal} unter {portal_url} und klicken Sie auf „Registrieren“ – oder nutzen Sie "
     "den QR-Code: Er öffnet die Registrierung mit Ihrer Registrierungsnummer."),
    ("Schritt 2: Registrierung",
     "Füllen Sie bitte die Pflichtfelder aus und klicken anschließend auf „Registrieren“. Bei der "
     "Passwortvergabe sind die vorgegebenen Passwortkriterien zu beachten."),
    ("Schritt 3: Registrierung bestätigen",
     "Sie erhalten innerhalb von 5 Minuten eine E-Mail von uns. Bitte bestätigen Sie innerhalb von "
     "24 Stunden den darin enthaltenen Link. Sollten Sie keine E-Mail erhalten haben, prüfen Sie bitte "
     "Ihren E-Mail-Spam-Ordner."),
    ("Schritt 4: Ihre Anmeldung",
     "Geben Sie Ihre E-Mail-Adresse und Ihr zuvor vergebenes Passwort ein und klicken Sie auf „Anmelden“. "
     "Nach der erstmaligen Anmeldung werden Sie dazu aufgefordert, Ihre Kontaktdaten zu überprüfen."),
)


@dataclass(frozen=True)
class Letter:
    letterhead: Letterhead
    recipient: tuple[str, ...]  # the address lines: name, street, postcode and city
    salutation: str  # "Sehr geehrte Frau Müller,"
    code: str  # the Registrierungsnummer as printed, LIP-7K3M-9QX2
    valid_until: date
    register_url: str  # the registration page with the number filled in: what the QR code opens
    portal_url: str  # the portal's address, printed


class RegistrationLetterPDF(LetterPDF):
    """LetterPDF with a letter per page: each page has its own cooperative, no document number or page count."""

    def footer(self):
        self.footer_contact()
        self.set_text_color(*INK)

    def letter(self, data: Letter, issued_on: date):
        self._marks()
        self._window(data)
        self._information(data, issued_on)
        self.set_xy(self.l_margin, BODY_TOP)
        self.heading(f"Ihre Registrierung im {PORTAL}", size=13)
        self.paragraph(data.salutation)
        self.paragraph(
            f"mit dem {PORTAL} erledigen Sie vieles rund um Ihre Wohnung und Ihre Mitgliedschaft selbst – "
            "jederzeit und von überall. Für Ihre Registrierung benötigen Sie Ihre persönliche "
            "Registrierungsnummer:"
        )
        self._code(data)
        self._font("B", 10.5)
        self.cell(0, 5.5, "Los geht's – in nur vier Schritten zum WIR-immerda-Serviceportal:",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for title, text in STEPS:
            self._font("B", 9.5)
            self.cell(0, 4.6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self._font("", 9.5)
            self.multi_cell(0, 4.3, text.format(portal=PORTAL, portal_url=data.portal_url), align=Align.L,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
        self.ln(1.5)
        self.paragraph(
            f"Die Registrierungsnummer gilt bis zum {german_date(data.valid_until)} und nur für Sie. Bei Fragen "
            f"helfen wir gern: Telefon {data.letterhead.phone}, E-Mail {data.letterhead.email}.",
            size=9.5,
        )
        self.paragraph(f"Mit freundlichen Grüßen\nIhr WIR-immerda-Team\n{data.letterhead.name}", size=9.5)

    def _marks(self):
        self.set_draw_color(*MUTED)
        self.set_line_width(0.2)
        for y in FOLD_MARKS:
            self.line(3.5, y, 8.5, y)
        self.line(3.5, HOLE_MARK, 10.5, HOLE_MARK)

    def _window(self, data: Letter):
        head = data.letterhead
        self.set_text_color(*MUTED)
        self._font("", 7)
        self.set_xy(TEXT_LEFT, ADDRESS_ZONE_TOP - 4.2)
        self.cell(WINDOW_WIDTH - 5, 3.5, f"{head.name} · {head.street} · {head.postcode} {head.city}")
        self.set_text_color(*INK)
        self._font("", 10.5)
        self.set_xy(TEXT_LEFT, ADDRESS_ZONE_TOP + 1)
        for line in data.recipient:
            self.cell(WINDOW_WIDTH - 5, 4.6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_x(TEXT_LEFT)

    def _information(self, data: Letter, issued_on: date):
        width = self.w - self.r_margin - INFO_LEFT
        self._font("", 9.5)
        self.set_xy(INFO_LEFT, INFO_TOP)
        for label, value in (("Datum", german_date(issued_on)), ("Registrierungsnummer", data.code),
                             ("gültig bis", german_date(data.valid_until))):
            self.set_x(INFO_LEFT)
            self.cell(width, 4.8, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _code(self, data: Letter):
        top = self.get_y() + 1
        qr = segno.make(data.register_url, error="m")
        image = io.BytesIO()
        qr.save(image, kind="png", scale=4, border=4)  # the quiet zone scanners need
        self.image(image, x=self.w - self.r_margin - QR_SIZE, y=top - 2, w=QR_SIZE, h=QR_SIZE)
        self.set_xy(self.l_margin, top + 3)
        self.set_text_color(*BRAND)
        self._font("B", 20)
        self.cell(0, 10, data.code, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)
        self._font("", 9.5)
        self.multi_cell(self.epw - QR_SIZE - 4, 4.3,
                        "Mit dem QR-Code rechts gelangen Sie direkt zur Registrierung; Ihre Registrierungsnummer "
                        "ist dort schon eingetragen.", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(self.get_y(), top + QR_SIZE - 1) + 2)


def build(letters: Sequence[Letter], issued_on: date, progress: Callable[[int], None] | None = None) -> bytes:
    """The letters in one PDF, one a page; ``progress(n)`` is called with the number done after every page."""
    if not letters:
        raise ValueError("no letters")
    pdf = RegistrationLetterPDF(letters[0].letterhead, "Registrierungsbriefe", "", issued_on)
    pdf.set_auto_page_break(auto=False)  # a letter is one page: it never spills onto the next
    for done, data in enumerate(letters, start=1):
        if done > 1:
            pdf.letterhead = data.letterhead  # the header of the new page is this letter's cooperative
            pdf.add_page()
        pdf.letter(data, issued_on)
        if progress is not None:
            progress(done)
    return pdf.to_bytes()
