"""Bestätigung eines Freistellungsauftrags oder seines Widerrufs: what the saver gave us through the portal, and when.

The Steuer-IDs arrive masked (last three digits): a document in the portal never prints a full one.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wir.formatting import german_date, money
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class Confirmation:
    letterhead: Letterhead
    number: str  # the document's number
    issued_on: date
    title: str
    recipient: tuple[str, ...]  # name and address lines
    received_at: datetime  # local time
    kind: str  # Einzelauftrag / Gemeinsamer Auftrag …
    amount: Decimal
    valid_from: date
    valid_until: date | None  # None: until revoked
    saver: str
    tax_id: str  # masked
    partner_name: str = ""
    partner_tax_id: str = ""  # masked
    replaces: date | None = None  # the day the replaced order was given
    revoked_from: date | None = None  # set for a Widerruf: the first day the order no longer applies


def build(data: Confirmation, *, creation_date: datetime | None = None) -> bytes:
    revoked = data.revoked_from is not None
    pdf = LetterPDF(data.letterhead, data.title, data.number, data.issued_on, creation_date=creation_date)
    pdf.recipient(data.recipient)
    pdf.place_and_date()
    pdf.heading("Bestätigung Ihres Widerrufs" if revoked else "Bestätigung Ihres Freistellungsauftrags")
    received = f"am {german_date(data.received_at.date())} um {data.received_at:%H:%M} Uhr"
    if revoked:
        pdf.paragraph(
            f"Ihren Widerruf des unten genannten Freistellungsauftrags für Kapitalerträge haben wir {received} über "
            f"das WIR-immerda-Serviceportal erhalten. Ab dem {german_date(data.revoked_from)} stellen wir Ihre "
            "Zinsen nicht mehr vom Steuerabzug frei."
        )
    else:
        pdf.paragraph(
            f"Ihren Freistellungsauftrag für Kapitalerträge haben wir {received} über das WIR-immerda-Serviceportal "
            "erhalten. Bis zu dem genannten Betrag zahlen wir Ihre Zinsen ohne Abzug von Kapitalertragsteuer, "
            "Solidaritätszuschlag und Kirchensteuer aus."
        )
    rows = [
        ("Art des Auftrags", data.kind),
        ("Betrag", f"bis zu {money(data.amount)} im Jahr"),
        ("Gültig ab", german_date(data.valid_from)),
    ]
    if revoked:
        rows.append(("Widerrufen ab", german_date(data.revoked_from)))
    else:
        rows.append(("Gültig bis", german_date(data.valid_until) if data.valid_until else "auf Widerruf"))
    rows += [("Auftraggeber(in)", data.saver), ("Steuer-ID", data.tax_id)]
    if data.partner_name:
        rows += [("Ehe- oder Lebenspartner(in)", data.partner_name), ("Steuer-ID Partner(in)", data.partner_tax_id)]
    if data.replaces is not None:
        rows.append(("Ersetzt", f"Ihren Freistellungsauftrag vom {german_date(data.replaces)}"))
    pdf.facts(rows)
    pdf.paragraph(
        "Die Steuer-Identifikationsnummern sind hier zu Ihrem Schutz nur mit den letzten drei Ziffern abgedruckt.",
        size=9.5, muted=True,
    )
    if not revoked:
        pdf.paragraph(
            "Sie haben uns versichert, dass alle Ihre Freistellungsaufträge bei allen Kreditinstituten zusammen den "
            "Sparer-Pauschbetrag von 1.000 € (bei gemeinsamem Auftrag 2.000 €) nicht übersteigen. Die Angaben aus "
            "dem Freistellungsauftrag und die freigestellten Kapitalerträge melden wir dem Bundeszentralamt für "
            "Steuern (§ 45d EStG)."
        )
    pdf.machine_made()
    return pdf.to_bytes()
