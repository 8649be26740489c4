"""Mietbescheinigung (for Wohngeld, Jobcenter, BAföG): DESIGN.md §5, domain-facts §1.

The rent parts are printed separately and monthly, and parking apart from the flat:
authorities count them differently (Wohngeld excludes heating and parking, Jobcenters
pay no parking and reject annual sums).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from wir.formatting import german_date
from wir.pdf._format import area, rooms
from wir.pdf.data import Flat, Letterhead
from wir.pdf.letter import LetterPDF

TITLE = "Mietbescheinigung"


@dataclass(frozen=True)
class Tenant:
    name: str
    role: str  # Hauptmieterin, Hauptmieter, Mitmieterin, Mitmieter


@dataclass(frozen=True)
class RentalCertificate:
    letterhead: Letterhead
    number: str
    issued_on: date
    contract_number: str
    tenants: tuple[Tenant, ...]
    flat: Flat
    move_in: date
    household_size: int
    rooms: Decimal
    living_area: Decimal
    heating: str
    year_built: int | None
    base_rent: Decimal
    operating_costs: Decimal
    heating_costs: Decimal
    parking: tuple[tuple[str, Decimal], ...] = ()  # (Stellplatz 12, Vertrag SP-…), monthly rent
    requested_by: str = ""

    @property
    def total_rent(self) -> Decimal:
        return self.base_rent + self.operating_costs + self.heating_costs


def build(data: RentalCertificate, *, creation_date: datetime | None = None) -> bytes:
    pdf = LetterPDF(data.letterhead, TITLE, data.number, data.issued_on, creation_date=creation_date)
    pdf.place_and_date([("Vertrag", data.contract_number)])
    pdf.heading(TITLE)
    pdf.paragraph(
        f"Hiermit bestätigt die {data.letterhead.name} als Vermieterin die folgenden Angaben zum "
        f"Nutzungsvertrag Nr. {data.contract_number}."
    )
    pdf.subheading("Mieter")
    pdf.facts([(tenant.role, tenant.name) for tenant in data.tenants])
    pdf.subheading("Wohnung")
    pdf.facts([
        ("Anschrift", data.flat.address),
        ("Lage", data.flat.location),
        ("Bezogen am", german_date(data.move_in)),
        ("Personen im Haushalt", str(data.household_size)),
        ("Zimmer", rooms(data.rooms)),
        ("Wohnfläche", area(data.living_area)),
        ("Heizung", data.heating),
        ("Baujahr", str(data.year_built) if data.year_built else "–"),
    ])
    pdf.subheading(f"Monatliche Miete (Stand {german_date(data.issued_on)})")
    pdf.amounts(
        [
            ("Grundmiete (Nettokaltmiete)", data.base_rent),
            ("Betriebskostenvorauszahlung", data.operating_costs),
            ("Heizkostenvorauszahlung", data.heating_costs),
        ],
        total=("Gesamtmiete monatlich", data.total_rent),
    )
    if data.parking:
        pdf.subheading("Stellplatz/Garage (gesondert, nicht in der Gesamtmiete enthalten)")
        pdf.amounts(list(data.parking))
    pdf.paragraph("Alle Beträge sind Monatsbeträge in Euro.")
    pdf.machine_made(data.requested_by)
    return pdf.to_bytes()
