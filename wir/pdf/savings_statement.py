"""Jahreskontoauszug of a savings account: the balance at the start of the year, every booking of the year,
the interest credited and the taxes withheld, and the balance at its end (or today, for the current year)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fpdf.enums import Align

from wir.formatting import german_date, money
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class Booking:
    booking_date: date
    value_date: date
    kind: str  # the kind's German name
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class AccountStatement:
    letterhead: Letterhead
    number: str
    issued_on: date
    recipient: tuple[str, ...]
    holder: str
    product: str
    account_number: str
    interest_rate: str  # "0,25 % p. a."
    period_start: date
    period_end: date  # 31 December, or today while the year runs
    opening: Decimal
    closing: Decimal
    bookings: tuple[Booking, ...]
    totals: tuple[tuple[str, Decimal], ...]  # per kind: "Zinsgutschriften", sum as booked (taxes negative)

    @property
    def year(self) -> int:
        return self.period_start.year


HEAD = ("Buchungstag", "Wertstellung", "Art", "Betrag", "Kontostand")
WIDTHS = (25, 25, 55, 28, 32)
ALIGN = (Align.L, Align.L, Align.L, Align.R, Align.R)


def build(data: AccountStatement, *, creation_date: datetime | None = None) -> bytes:
    title = f"Kontoauszug {data.year}"
    pdf = LetterPDF(data.letterhead, title, data.number, data.issued_on, creation_date=creation_date)
    pdf.recipient(data.recipient)
    pdf.place_and_date([("Konto", data.account_number)])
    pdf.heading(f"{title}: {data.product} {data.account_number}", size=13)
    period = f"{german_date(data.period_start)} – {german_date(data.period_end)}"
    pdf.facts([
        ("Kontoinhaber/in", data.holder),
        ("Sparvertrag", f"{data.product}, Konto {data.account_number}"),
        ("Zinssatz", data.interest_rate),
        ("Zeitraum", period),
    ])
    pdf.subheading("Zusammenfassung")
    pdf.amounts(
        [(f"Kontostand am {german_date(data.period_start)}", data.opening), *data.totals],
        total=(f"Kontostand am {german_date(data.period_end)}", data.closing),
    )
    pdf.subheading("Umsätze")
    if data.bookings:
        pdf.grid(HEAD, (
            (german_date(b.booking_date), german_date(b.value_date), b.kind, money(b.amount), money(b.balance_after))
            for b in data.bookings
        ), WIDTHS, ALIGN)
    else:
        pdf.paragraph(f"Im Zeitraum {period} gab es auf diesem Konto keine Umsätze.")
    pdf.paragraph(
        "Zinsen schreiben wir jeweils am 31. Dezember gut. Kapitalertragsteuer, Solidaritätszuschlag und "
        "gegebenenfalls Kirchensteuer behalten wir ein, soweit Ihr Freistellungsauftrag die Zinsen nicht freistellt. "
        "Für Ihre Steuererklärung gilt die Steuerbescheinigung, die Sie im Serviceportal unter „Sparen“ anfordern "
        "können.",
        size=9.5,
    )
    pdf.machine_made()
    return pdf.to_bytes()
