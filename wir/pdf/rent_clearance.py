"""Mietschuldenfreiheitsbescheinigung: a voluntary statement of the rent account "Stand <Datum>".

There is no legal claim to it, and worded too broadly it could act like a general
receipt against the cooperative (BGH VIII ZR 238/08), hence the reservation for
Betriebskosten settlements not yet made.
"""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import german_date
from wir.pdf.data import Flat, Letterhead
from wir.pdf.letter import LetterPDF

TITLE = "Mietschuldenfreiheitsbescheinigung"


@dataclass(frozen=True)
class RentClearance:
    letterhead: Letterhead
    number: str
    issued_on: date
    contract_number: str
    tenants: tuple[str, ...]
    flat: Flat
    tenancy_start: date
    as_of: date
    requested_by: str = ""


def build(data: RentClearance, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, TITLE, data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date([("Vertrag", data.contract_number)])
    pdf.heading(TITLE)
    pdf.facts([
        ("Mieter", "\n".join(data.tenants)),
        ("Wohnung", "\n".join(p for p in (data.flat.address, data.flat.location) if p)),
        ("Mietverhältnis seit", german_date(data.tenancy_start)),
    ])
    pdf.subheading(f"Stand {german_date(data.as_of)}: keine fälligen Rückstände")
    pdf.paragraph(
        f"Für das oben genannte Mietverhältnis bestehen mit Stand {german_date(data.as_of)} keine fälligen "
        "Rückstände an Miete und Betriebskostenvorauszahlungen."
    )
    pdf.paragraph(
        "Vorbehalten bleiben Nachforderungen aus Betriebskostenabrechnungen, die zu diesem Datum noch nicht "
        "erstellt oder noch nicht fällig waren. Diese Bescheinigung ist eine freiwillige Auskunft über den "
        "Stand des Mietkontos; sie ist kein Verzicht auf Forderungen.",
        size=10,
    )
    pdf.machine_made(data.requested_by)
    return pdf.to_bytes()
