"""Auftrag: the cooperative's order to a contractor (DIN 5008 letter): where, in whose home, what to do, and how
the company answers (the link in the mail). The tenant's phone number only with their consent."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class Order:
    letterhead: Letterhead
    number: str  # the order's number (LA-2026-0001), also the document's
    issued_on: date
    recipient: tuple[str, ...]  # address window lines: the company
    ticket_number: str
    address: str  # of the unit, with floor and position
    unit: str  # "Wohnung 1001-0203", or "" for a general concern
    location: str  # Ort in der Wohnung
    tenant: str
    phone: str  # "" without the tenant's consent
    text: str
    signatory: str  # the clerk who ordered
    photos: int = 0  # attached to the mail


def build(data: Order, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, f"Auftrag {data.number}", data.number, data.issued_on,
                    creation_date=creation_date)
    pdf.recipient(data.recipient)
    pdf.place_and_date([("Auftragsnummer", data.number), ("Meldung", data.ticket_number)])
    pdf.heading(f"Auftrag {data.number}", size=13)
    pdf.paragraph("Sehr geehrte Damen und Herren,")
    pdf.paragraph("wir beauftragen Sie mit den folgenden Arbeiten. Bitte geben Sie auf allen Unterlagen und der "
                  "Rechnung die Auftragsnummer an.")
    pdf.facts([
        ("Auftragsnummer", data.number),
        ("Anschrift", data.address),
        *([("Objekt", data.unit)] if data.unit else []),
        ("Ort in der Wohnung", data.location),
        ("Mieterin oder Mieter", data.tenant),
        ("Telefon", data.phone or "nicht freigegeben: Termine bitte über den Link in unserer E-Mail"),
        *([("Fotos", f"{data.photos} im Anhang der E-Mail")] if data.photos else []),
    ])
    pdf.subheading("Auftrag")
    pdf.paragraph(data.text)
    pdf.paragraph("Einen Termin schlagen Sie über den Link in unserer E-Mail vor oder bestätigen ihn dort; dort "
                  "melden Sie auch, wenn die Arbeiten erledigt sind.")
    pdf.paragraph(f"Mit freundlichen Grüßen\n\n{data.signatory}\n{data.letterhead.name}".replace("\n\n\n", "\n\n"))
    return pdf.to_bytes()
