"""Eingangsbestätigung: what a tenant sent through Kontakt, when, and with which files."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import german_date
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class TicketReceipt:
    letterhead: Letterhead
    number: str  # the document's number
    issued_on: date
    ticket_number: str
    received_at: datetime  # local time
    sender: str
    concern: str  # the contract, or "Allgemeines Anliegen"
    ticket_type: str
    category: str
    subject: str
    message: str
    details: tuple[tuple[str, str], ...] = ()  # Ort, Telefon where given
    attachments: tuple[tuple[str, int], ...] = ()  # file name, size in bytes


def build(data: TicketReceipt, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, "Eingangsbestätigung", data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date([("Meldungsnummer", data.ticket_number)])
    pdf.heading("Eingangsbestätigung")
    pdf.paragraph(
        f"Ihre Meldung ist am {german_date(data.received_at.date())} um {data.received_at:%H:%M} Uhr über das "
        f"WIR-immerda-Serviceportal bei der {data.letterhead.name} eingegangen. Den Bearbeitungsstand sehen Sie "
        "jederzeit unter „Meldungen“."
    )
    pdf.facts([
        ("Meldungsnummer", data.ticket_number),
        ("Absender", data.sender),
        ("Vertrag", data.concern),
        ("Meldungsart", data.ticket_type),
        ("Meldungskategorie", data.category),
        ("Betreff", data.subject),
        *data.details,
    ])
    pdf.subheading("Ihre Nachricht")
    pdf.paragraph(data.message)
    pdf.subheading("Anhänge")
    if data.attachments:
        pdf.facts([(name, f"{max(1, round(size / 1024))} KB") for name, size in data.attachments])
    else:
        pdf.paragraph("Keine")
    pdf.machine_made()
    return pdf.to_bytes()
