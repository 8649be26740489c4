"""Mitgliedsbescheinigung: an extract of the member's entries in the Mitgliederliste (§§ 30, 31 GenG)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wir.formatting import german_date, money
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF

TITLE = "Mitgliedsbescheinigung"


@dataclass(frozen=True)
class MembershipCertificate:
    letterhead: Letterhead
    number: str
    issued_on: date
    member_name: str
    birth_date: date | None
    address: str
    member_number: str
    admitted_on: date
    mandatory_shares: int
    voluntary_shares: int
    share_amount: Decimal
    paid_in: Decimal
    status: str  # "Mitgliedschaft besteht", "gekündigt zum 31.12.2026", "ausgeschieden am …"
    requested_by: str = ""

    @property
    def shares(self) -> int:
        return self.mandatory_shares + self.voluntary_shares

    @property
    def subscribed(self) -> Decimal:
        return self.shares * self.share_amount

    @property
    def outstanding(self) -> Decimal:
        return max(self.subscribed - self.paid_in, Decimal("0.00"))


def build(data: MembershipCertificate, *, creation_date: datetime | None = None) -> bytes:
    head = data.letterhead
    pdf = LetterPDF(head, TITLE, data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date([("Mitgliedsnummer", data.member_number)])
    pdf.heading(TITLE)
    pdf.paragraph("Auszug aus der Mitgliederliste nach §§ 30, 31 Genossenschaftsgesetz (GenG)")
    pdf.paragraph(
        f"Die {head.name}, eingetragen im Genossenschaftsregister beim {head.register_court} unter "
        f"{head.register_number}, bescheinigt:"
    )
    pdf.subheading("Mitglied")
    pdf.facts([
        ("Name", data.member_name),
        ("Geburtsdatum", german_date(data.birth_date)),
        ("Anschrift", data.address),
        ("Mitgliedsnummer", data.member_number),
        ("Beitritt (Mitglied seit)", german_date(data.admitted_on)),
        ("Status", data.status),
    ])
    pdf.subheading("Geschäftsanteile")
    pdf.facts([
        ("Pflichtanteile", str(data.mandatory_shares)),
        ("Freiwillige Anteile", str(data.voluntary_shares)),
        ("Betrag je Geschäftsanteil", money(data.share_amount)),
        ("Gezeichnet", f"{data.shares} Anteile = {money(data.subscribed)}"),
        ("Eingezahltes Geschäftsguthaben", money(data.paid_in)),
        ("Noch einzuzahlen", money(data.outstanding)),
    ])
    pdf.machine_made(data.requested_by)
    return pdf.to_bytes()
