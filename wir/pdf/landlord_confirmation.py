"""Wohnungsgeberbestätigung nach § 19 BMG: exactly the four items of § 19 Abs. 3, for moving in only."""

from dataclasses import dataclass
from datetime import date, datetime

from wir.formatting import german_date
from wir.pdf.data import Flat, Letterhead
from wir.pdf.letter import LetterPDF

TITLE = "Wohnungsgeberbestätigung"


@dataclass(frozen=True)
class LandlordConfirmation:
    letterhead: Letterhead
    number: str
    issued_on: date
    contract_number: str
    flat: Flat
    move_in: date
    persons: tuple[str, ...]  # everyone who moves in and must register
    requested_by: str = ""


def build(data: LandlordConfirmation, *, creation_date: datetime | None = None) -> bytes:
    head = data.letterhead
    pdf = LetterPDF(head, TITLE, data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date([("Vertrag", data.contract_number)])
    pdf.heading(TITLE)
    pdf.paragraph("nach § 19 Abs. 3 Bundesmeldegesetz (BMG) – zur Vorlage bei der Meldebehörde")
    pdf.facts([
        ("Wohnungsgeber", f"{head.name}\n{head.address}"),
        ("Eigentümer", "Der Wohnungsgeber ist zugleich Eigentümer der Wohnung."),
        ("Meldepflichtiger Vorgang", "Einzug"),
        ("Datum des Einzugs", german_date(data.move_in)),
        ("Anschrift der Wohnung", "\n".join(p for p in (data.flat.address, data.flat.location) if p)),
    ])
    pdf.subheading("In die Wohnung eingezogen sind folgende meldepflichtige Personen")
    pdf.facts([(f"{index}.", name) for index, name in enumerate(data.persons, start=1)], label_width=12)
    pdf.paragraph(
        "Hinweis: Es ist verboten, eine Wohnanschrift für eine Anmeldung einem Dritten anzubieten oder zur "
        "Verfügung zu stellen, obwohl ein tatsächlicher Bezug der Wohnung durch einen Dritten weder stattfindet "
        "noch beabsichtigt ist (§ 19 Abs. 6 BMG). Ein Verstoß kann mit einer Geldbuße bis zu 50.000 Euro "
        "geahndet werden.",
        size=9.5,
    )
    pdf.machine_made(data.requested_by)
    return pdf.to_bytes()
