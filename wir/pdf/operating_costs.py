"""Betriebskostenabrechnung with the formal minimum the BGH asks for (domain-facts §8):
total costs per cost type, the distribution keys explained, the tenant's share, the
advances deducted, and the result as Nachzahlung or Guthaben."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fpdf.enums import Align

from wir.formatting import german_date, money
from wir.pdf.data import Flat, Letterhead
from wir.pdf.letter import LetterPDF


@dataclass(frozen=True)
class CostLine:
    name: str  # Grundsteuer, Wasserversorgung, …
    total_cost: Decimal  # of the whole economic unit
    key: str  # Wohnfläche, Personen, Verbrauch
    total_units: str  # "2.450,60 m²"
    share_units: str  # "67,45 m²"
    amount: Decimal  # the tenant's share


@dataclass(frozen=True)
class OperatingCostsStatement:
    letterhead: Letterhead
    number: str
    issued_on: date
    recipient: tuple[str, ...]
    salutation: str
    contract_number: str
    flat: Flat
    period_start: date
    period_end: date
    operating: tuple[CostLine, ...]  # Betriebskosten under the BetrKV
    heating: tuple[CostLine, ...]  # heating and hot water under the HeizkostenV
    keys: tuple[tuple[str, str], ...]  # distribution key, how it works
    advances_operating: Decimal
    advances_heating: Decimal
    due_on: date
    signatory: str

    @property
    def costs(self) -> Decimal:
        return sum((line.amount for line in self.operating + self.heating), Decimal("0.00"))

    @property
    def advances(self) -> Decimal:
        return self.advances_operating + self.advances_heating

    @property
    def balance(self) -> Decimal:
        """Positive: the tenant pays the difference (Nachzahlung); negative: Guthaben."""
        return self.costs - self.advances


HEAD = ("Kostenart", "Gesamtkosten", "Schlüssel", "Gesamt", "Ihr Anteil", "Ihr Betrag")
WIDTHS = (44, 26, 24, 26, 21, 24)
ALIGN = (Align.L, Align.R, Align.L, Align.R, Align.R, Align.R)


def _rows(lines):
    return [
        (line.name, money(line.total_cost), line.key, line.total_units, line.share_units, money(line.amount))
        for line in lines
    ]


def build(data: OperatingCostsStatement, *, creation_date: datetime | None = None) -> bytes:
    year = data.period_end.year
    title = f"Betriebskostenabrechnung {year}"
    pdf = LetterPDF(data.letterhead, title, data.number, data.issued_on, creation_date=creation_date)
    pdf.recipient(data.recipient)
    period = f"{german_date(data.period_start)} – {german_date(data.period_end)}"
    pdf.place_and_date([("Vertrag", data.contract_number), ("Abrechnungszeitraum", period)])
    pdf.heading(title, size=13)
    pdf.paragraph(data.salutation)
    pdf.paragraph(
        f"mit diesem Schreiben rechnen wir die Betriebs- und Heizkosten für Ihre Wohnung {data.flat.address} "
        f"({data.flat.location}) für den Zeitraum {period} ab."
    )
    pdf.subheading("1. Betriebskosten nach der Betriebskostenverordnung")
    pdf.grid(HEAD, _rows(data.operating), WIDTHS, ALIGN)
    pdf.subheading("2. Heiz- und Warmwasserkosten nach der Heizkostenverordnung")
    pdf.grid(HEAD, _rows(data.heating), WIDTHS, ALIGN)
    pdf.subheading("3. Verteilerschlüssel")
    pdf.facts(data.keys, label_width=40)
    pdf.subheading("4. Ergebnis")
    result = "Nachzahlung" if data.balance > 0 else "Guthaben"
    pdf.amounts(
        [
            ("Ihre Betriebskosten", sum((line.amount for line in data.operating), Decimal("0.00"))),
            ("Ihre Heiz- und Warmwasserkosten", sum((line.amount for line in data.heating), Decimal("0.00"))),
            ("abzüglich Ihrer Betriebskostenvorauszahlungen", -data.advances_operating),
            ("abzüglich Ihrer Heizkostenvorauszahlungen", -data.advances_heating),
        ],
        total=(result, abs(data.balance)),
    )
    if data.balance > 0:
        pdf.paragraph(f"Bitte überweisen Sie die Nachzahlung bis zum {german_date(data.due_on)}. "
                      "Haben Sie uns ein SEPA-Lastschriftmandat erteilt, buchen wir den Betrag zu diesem Tag ab.")
    else:
        pdf.paragraph(f"Das Guthaben überweisen wir bis zum {german_date(data.due_on)} auf Ihr Konto.")
    pdf.paragraph(
        "Einwendungen gegen diese Abrechnung können Sie bis zum Ablauf des zwölften Monats nach Zugang "
        "erheben (§ 556 Abs. 3 BGB). Gern können Sie nach Terminvereinbarung die Belege einsehen."
    )
    pdf.paragraph(f"Mit freundlichen Grüßen\n\n{data.signatory}\n{data.letterhead.name}")
    return pdf.to_bytes()
