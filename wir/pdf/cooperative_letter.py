"""Schreiben: a letter of the cooperative to a tenant or member (announcements, information)."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import greeting
from wir.pdf.data import Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class Letter:
    letterhead: Letterhead
    number: str
    issued_on: date
    recipient: tuple[str, ...]  # address window lines
    subject: str
    salutation: str  # "Sehr geehrter Herr Müller,"
    paragraphs: tuple[str, ...]
    signatory: str  # the Ansprechpartner, or "Der Vorstand"
    reference: tuple[tuple[str, str], ...] = ()  # e.g. ("Vertrag", "MV-1001-0203")


def salutation(persons) -> str:
    """ "Sehr geehrte Frau Müller, sehr geehrter Herr Müller," for persons with salutation, last_name and full_name."""
    greetings = [greeting(p.salutation, p.last_name, p.full_name) for p in persons]
    return ", ".join([greetings[0], *(g[0].lower() + g[1:] for g in greetings[1:])]) + ","


ADDRESS_LINES = 6  # the Anschriftzone of DIN 5008 holds six lines


def address_lines(persons, fallback: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The address window for persons (with salutation, full_name, street, postcode, city) living together: one
    person's Anrede on its own line above the name (DIN 5008), several persons one a line with their Anrede
    („Frau Gisela Weiß“) as many as fit, then the first one's street and town. ``fallback`` without persons."""
    if not persons:
        return tuple(fallback)
    first = persons[0]
    if len(persons) == 1:
        names = [line for line in (first.salutation, first.full_name) if line]
    else:
        names = [" ".join(part for part in (person.salutation, person.full_name) if part) for person in persons]
        names = names[:ADDRESS_LINES - 2]
    return tuple(line for line in (*names, first.street, f"{first.postcode} {first.city}") if line and line.strip())


def build(data: Letter, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, data.subject, data.number, data.issued_on, creation_date=creation_date)
    pdf.recipient(data.recipient)
    pdf.place_and_date(data.reference)
    pdf.heading(data.subject, size=13)
    pdf.paragraph(data.salutation)
    for text in data.paragraphs:
        pdf.paragraph(text)
    pdf.paragraph(f"Mit freundlichen Grüßen\n\n{data.signatory}\n{data.letterhead.name}")
    return pdf.to_bytes()
