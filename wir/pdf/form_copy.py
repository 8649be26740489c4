"""The copy of a form the tenant sent to the cooperative, as it was sent (Formulare in Dokumente)."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import german_date
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class FormCopy:
    letterhead: Letterhead
    number: str
    issued_on: date
    title: str  # Antrag auf Untervermietung, …
    submitted_at: datetime  # local time
    sender: str
    sender_address: str
    contract_label: str
    fields: tuple[tuple[str, str], ...]  # label, value as entered
    notes: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()  # names that must sign (Schriftform)


def build(data: FormCopy, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, data.title, data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date()
    pdf.heading(data.title)
    pdf.paragraph(
        f"Kopie Ihrer Angaben, gesendet am {german_date(data.submitted_at.date())} um "
        f"{data.submitted_at:%H:%M} Uhr über das WIR-immerda-Serviceportal an die {data.letterhead.name}."
    )
    pdf.facts([("Absender", data.sender), ("Anschrift", data.sender_address), ("Vertrag", data.contract_label)])
    pdf.subheading("Ihre Angaben")
    pdf.facts(data.fields)
    for note in data.notes:
        pdf.paragraph(note)
    if data.signatures:
        pdf.signature_lines(data.signatures)
    return pdf.to_bytes()
