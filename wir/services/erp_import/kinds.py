"""The files of an ERP export, one per kind: their German columns, how each cell is read, what it references,
and how a row becomes the fields of its table. docs/import.md describes the same for people."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from wir.models import (
    BankAccount,
    ContactPerson,
    Contract,
    ContractParty,
    Consumption,
    ExemptionOrder,
    Meter,
    Person,
    SavingsAccount,
    SavingsTransaction,
    Unit,
)
from wir.services.account import email_addresses, phones
from wir.services.contracts import bank_accounts
from wir.formatting import german_month, number
from wir.services.erp_import import reading
from wir.services.erp_import.reading import BadValue
from wir.services.rejections import Rejected
from wir.services.savings import exemption_orders

KEY = "Schlüssel"


class RowProblem(Exception):
    """A rule across the cells of a row is broken; ``column`` names the cell to fix."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Column:
    name: str  # as in the file's header (compared without case)
    attr: str  # the field of the row's values
    parse: Callable[[str], Any] = reading.text
    required: bool = False
    empty: Any = None  # the value of an empty optional cell

    @classmethod
    def text(cls, name: str, attr: str, required: bool = False, max_length: int = 255):
        return cls(name, attr, lambda value: reading.text(value, max_length), required, empty="")


def _checked(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """A service's check (raising Rejected) as a cell parser."""

    def parse(value: str):
        try:
            return check(value)
        except Rejected as rejected:
            raise BadValue(rejected.message) from None

    return parse


def _rate(value: str) -> Decimal:
    return reading.decimal(value, places=3)


def _rooms(value: str) -> Decimal:
    return reading.decimal(value, places=1)


def _key(value: str) -> str:
    return reading.text(value, 100)


EXEMPTION_KINDS = {"single": "Einzel", "joint": "Gemeinsam"}


@dataclass(frozen=True)
class Kind:
    file: str
    model: type
    label: str  # how a message names one of its rows ("Einheit")
    columns: tuple[Column, ...]
    references: dict[str, str] = field(default_factory=dict)  # attr → file of the referenced kind
    unique: tuple[str, ...] = ()  # fields unique besides the key ("number")
    has_cooperative: bool = True  # the table has its own cooperative column
    finish: Callable[[dict, date], dict] = lambda values, today: values  # cross-cell rules, derived fields

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def keyed(self) -> bool:
        """Its rows carry the ERP's Schlüssel (all but verbrauch.csv, whose rows are a meter's month)."""
        return any(column.name == KEY for column in self.columns)


def _finish_contract(values: dict, today: date) -> dict:
    if values["kind"] in ("rental", "parking") and values.get("unit") is None:
        raise RowProblem("Einheit", "Ein Miet- oder Stellplatzvertrag braucht eine Einheit.")
    if values.get("end_date") and values.get("start_date") and values["end_date"] < values["start_date"]:
        raise RowProblem("Ende", "Das Ende liegt vor dem Beginn.")
    return values


def _finish_bank_account(values: dict, today: date) -> dict:
    checked = values.pop("checked_iban")
    values["iban"] = checked.iban
    values["bank_name"] = checked.bank_name
    if not values.get("bic"):
        values["bic"] = checked.bic
    valid_until = values.pop("valid_until", None)
    if valid_until is not None and valid_until < values["valid_from"]:
        raise RowProblem("Gültig bis", "„Gültig bis“ liegt vor „Gültig ab“.")
    values["status"] = bank_accounts.REPLACED if valid_until is not None and valid_until <= today \
        else bank_accounts.ACTIVE
    return values


def _finish_savings_account(values: dict, today: date) -> dict:
    if values.get("matures_on") and values["matures_on"] < values["opened_on"]:
        raise RowProblem("Fällig am", "Die Fälligkeit liegt vor der Eröffnung.")
    if values.get("closed_on") and values["closed_on"] < values["opened_on"]:
        raise RowProblem("Aufgelöst am", "Die Auflösung liegt vor der Eröffnung.")
    return values


def _finish_exemption_order(values: dict, today: date) -> dict:
    joint = values["joint"] == "joint"
    values["joint"] = joint
    try:
        exemption_orders.check_amount(values["amount"], joint)
    except Rejected as rejected:
        raise RowProblem("Betrag", rejected.message) from None
    if values.get("valid_until") and values["valid_until"] < values["valid_from"]:
        raise RowProblem("Gültig bis", "„Gültig bis“ liegt vor „Gültig ab“.")
    if joint:
        if not values.get("partner_name"):
            raise RowProblem("Partner Name", "Ein gemeinsamer Auftrag braucht den Namen des Partners.")
        if not values.get("partner_tax_id"):
            raise RowProblem("Partner Steuer-ID", "Ein gemeinsamer Auftrag braucht die Steuer-ID des Partners.")
        if values["partner_tax_id"] == values["tax_id"]:
            raise RowProblem("Partner Steuer-ID", "Die beiden Steuer-IDs sind gleich.")
    elif values.get("partner_name") or values.get("partner_tax_id"):
        raise RowProblem("Art", "Ein Einzelauftrag hat keinen Partner; für zwei Personen „Gemeinsam“ angeben.")
    return values


def _finish_transaction(values: dict, today: date) -> dict:
    if values.get("value_date") is None:
        values["value_date"] = values["booking_date"]
    return values


# --- verbrauch.csv: the metering service's monthly values (§ 6a HeizkostenV) -----------------------------------

CONSUMPTION_FILE = "verbrauch.csv"
MEASURES = {"kWh": "kWh", "m³": "m³", "Einheiten": "Einheiten"}
MEASURE_ALIASES = {"m3": "m³", "cbm": "m³", "Einh.": "Einheiten", "Einheit": "Einheiten", "HKV": "Einheiten"}
# what each kind of meter counts in: a heat meter or Heizkostenverteiler, water by volume (hot water also by heat)
MEASURES_OF_KIND = {"heating": ("kWh", "Einheiten"), "hot_water": ("m³", "kWh"), "cold_water": ("m³",)}
# one flat's month far beyond these is a typing error, not a cold winter (a 150 m² flat uses some 3,000 kWh)
MONTHLY_MAXIMUM = {"kWh": Decimal(50_000), "m³": Decimal(500), "Einheiten": Decimal(100_000)}
MAXIMUM_FACTOR = Decimal(1000)  # kWh per Einheit or per m³ of hot water (about 60)
MAXIMUM_PER_M2 = Decimal(1000)
_METER_NUMBER = re.compile(r"[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß .\-/_]*")
KWH = Decimal("0.001")


def _meter_number(value: str) -> str:
    """Letters, digits and a few separators, starting with a letter or digit: never a spreadsheet formula
    (=, +, -, @), since the number goes back to the ERP in the Zählerstände of the export."""
    value = reading.text(value, Meter.number.max_length)
    if not _METER_NUMBER.fullmatch(value):
        raise BadValue(f"„{value}“ ist keine Zählernummer: erlaubt sind Buchstaben, Ziffern, Leerzeichen und "
                       "- / . _, am Anfang ein Buchstabe oder eine Ziffer.")
    return value


def _quantity(places: int):
    """A parser for a quantity that is never negative."""

    def parse(value: str) -> Decimal:
        number = reading.decimal(value, places=places)
        if number < 0:
            raise BadValue(f"„{value}“ ist negativ; Verbrauch, Zählerstände und Faktoren sind nie negativ.")
        return number

    return parse


def _finish_consumption(values: dict, today: date) -> dict:
    """A row stands for the whole month: an optional column the file lacks counts as empty (a correction replaces
    every value of the month). ``kwh`` is derived: the amount in kWh, or Einheiten or m³ times the factor."""
    for attr in ("factor", "reading", "average_kwh", "average_kwh_per_m2"):
        values.setdefault(attr, None)
    month, kind, measure = values["month"], values["kind"], values["measure"]
    if month >= today.replace(day=1):
        raise RowProblem("Monat", f"Der Monat {german_month(month)} ist noch nicht abgeschlossen; Verbrauch "
                                  "gibt es nur für vergangene Monate.")
    if measure not in MEASURES_OF_KIND[kind]:
        allowed = " oder ".join(MEASURES_OF_KIND[kind])
        raise RowProblem("Maßeinheit", f"Ein Zähler für {Meter.KINDS[kind]} misst in {allowed}, nicht in "
                                       f"{measure}.")
    if values["amount"] > MONTHLY_MAXIMUM[measure]:
        raise RowProblem("Verbrauch", f"{_shown(values['amount'])} {measure} in einem Monat sind nicht "
                                      f"plausibel (höchstens {_shown(MONTHLY_MAXIMUM[measure])}).")
    factor = values["factor"]
    if factor is not None:
        if measure == "kWh":
            raise RowProblem("Umrechnungsfaktor", "Ein Verbrauch in kWh braucht keinen Umrechnungsfaktor; bitte "
                                                  "leer lassen.")
        if kind == "cold_water":
            raise RowProblem("Umrechnungsfaktor", "Kaltwasser hat keinen Verbrauch in kWh; bitte leer lassen.")
        if not 0 < factor <= MAXIMUM_FACTOR:
            raise RowProblem("Umrechnungsfaktor", f"Der Faktor {_shown(factor)} ist nicht plausibel: "
                                                  f"größer als 0 und höchstens {_shown(MAXIMUM_FACTOR)} "
                                                  f"kWh je {'Einheit' if measure == 'Einheiten' else 'm³'}.")
    if measure == "kWh":
        values["kwh"] = values["amount"]
    else:
        values["kwh"] = (values["amount"] * factor).quantize(KWH) if factor is not None else None
    # the average user's month in the unit the tenant's value is shown in: kWh where the row has kWh, else m³
    # (water without a factor); Consumption.average_kwh keeps it so
    average_unit = "kWh" if values["kwh"] is not None else measure
    for attr, column, maximum in (("average_kwh", "Durchschnitt", MONTHLY_MAXIMUM[average_unit]),
                                  ("average_kwh_per_m2", "Durchschnitt je m²", MAXIMUM_PER_M2)):
        if values[attr] is None:
            continue
        if average_unit == "Einheiten":
            raise RowProblem(column, "Einheiten eines Heizkostenverteilers ohne Umrechnungsfaktor lassen sich "
                                     "mit keinem Durchschnitt vergleichen; bitte leer lassen oder den Faktor "
                                     "angeben.")
        if values[attr] > maximum:
            raise RowProblem(column, f"{_shown(values[attr])} {average_unit} sind als Durchschnitt eines Monats "
                                     "nicht plausibel.")
    return values


def _shown(value: Decimal) -> str:
    """A number in a message as the file writes it: 1.234,5 (German, no trailing zeros)."""
    return number(value, max(0, -value.normalize().as_tuple().exponent))


KINDS = (
    Kind("ansprechpartner.csv", ContactPerson, "Ansprechpartner", (
        Column(KEY, "key", _key, True),
        Column.text("Anrede", "salutation", max_length=50),
        Column.text("Name", "name", True),
        Column("Telefon", "phone", _checked(phones.normalize), True),
        Column("E-Mail", "email", _checked(email_addresses.normalize), True),
        Column.text("Sprechzeiten", "office_hours"),
    )),
    Kind("personen.csv", Person, "Person", (
        Column(KEY, "key", _key, True),
        Column.text("Nummer", "number", True, 50),
        Column.text("Anrede", "salutation", max_length=50),
        Column.text("Vorname", "first_name", True),
        Column.text("Nachname", "last_name", True),
        Column("Geburtsdatum", "birth_date", reading.day),
        Column.text("Straße", "street", True),
        Column.text("PLZ", "postcode", True, 10),
        Column.text("Ort", "city", True),
    ), unique=("number",)),
    Kind("einheiten.csv", Unit, "Einheit", (
        Column(KEY, "key", _key, True),
        Column("Art", "kind", reading.choice(Unit.KINDS), True),
        Column.text("Nummer", "number", True, 50),
        Column.text("Straße", "street", True),
        Column.text("PLZ", "postcode", True, 10),
        Column.text("Ort", "city", True),
        Column.text("Geschoss", "floor", max_length=50),
        Column.text("Lage", "position", max_length=100),
        Column("Zimmer", "rooms", _rooms),
        Column("Wohnfläche", "living_area", reading.decimal),
        Column.text("Heizung", "heating", max_length=100),
        Column("Baujahr", "year_built", reading.integer),
    ), unique=("number",)),
    Kind("vertraege.csv", Contract, "Vertrag", (
        Column(KEY, "key", _key, True),
        Column("Art", "kind", reading.choice(Contract.KINDS, {"Stellplatz": "parking", "Garage": "parking"}), True),
        Column.text("Nummer", "number", True, 50),
        Column("Einheit", "unit", _key),
        Column("Beginn", "start_date", reading.day, True),
        Column("Ende", "end_date", reading.day),
        Column("Ansprechpartner", "contact_person", _key),
        Column("Grundmiete", "base_rent", reading.decimal),
        Column("Betriebskosten", "operating_costs", reading.decimal),
        Column("Heizkosten", "heating_costs", reading.decimal),
        Column("Personen im Haushalt", "household_size", reading.integer),
        Column("Mietrückstand", "arrears", reading.decimal, empty=Decimal("0.00")),
        Column("Pflichtanteile", "mandatory_shares", reading.integer),
        Column("Weitere Anteile", "voluntary_shares", reading.integer),
        Column("Betrag je Anteil", "share_amount", reading.decimal),
        Column("Eingezahlt", "paid_in", reading.decimal),
    ), references={"unit": "einheiten.csv", "contact_person": "ansprechpartner.csv"}, unique=("number",),
        finish=_finish_contract),
    Kind("vertragspartner.csv", ContractParty, "Vertragspartner", (
        Column(KEY, "key", _key, True),
        Column("Vertrag", "contract", _key, True),
        Column("Person", "person", _key, True),
        Column("Rolle", "role", reading.choice(ContractParty.ROLES), True),
    ), references={"contract": "vertraege.csv", "person": "personen.csv"}, has_cooperative=False),
    Kind("bankverbindungen.csv", BankAccount, "Bankverbindung", (
        Column(KEY, "key", _key, True),
        Column("Vertrag", "contract", _key, True),
        Column("Kontoinhaber", "holder", _checked(bank_accounts.check_holder), True),
        Column("IBAN", "checked_iban", _checked(bank_accounts.check_iban), True),
        Column.text("BIC", "bic", max_length=11),
        Column.text("Mandatsreferenz", "mandate_reference", True, 35),
        Column("Gültig ab", "valid_from", reading.day, True),
        Column("Gültig bis", "valid_until", reading.day),
    ), references={"contract": "vertraege.csv"}, has_cooperative=False, finish=_finish_bank_account),
    Kind("sparkonten.csv", SavingsAccount, "Sparkonto", (
        Column(KEY, "key", _key, True),
        Column.text("Nummer", "number", True, 50),
        Column("Person", "person", _key, True),
        Column.text("Produkt", "product", True, 100),
        Column("Zinssatz", "interest_rate", _rate, True),
        Column("Kündigungsfrist", "notice_months", reading.integer, empty=3),
        Column("Eröffnet am", "opened_on", reading.day, True),
        Column("Fällig am", "matures_on", reading.day),
        Column("Saldo", "balance", reading.decimal, True),
        Column("Aufgelöst am", "closed_on", reading.day),
    ), references={"person": "personen.csv"}, unique=("number",), has_cooperative=False,
        finish=_finish_savings_account),
    Kind("sparumsaetze.csv", SavingsTransaction, "Umsatz", (
        Column(KEY, "key", _key, True),
        Column("Sparkonto", "account", _key, True),
        Column("Buchungstag", "booking_date", reading.day, True),
        Column("Wertstellung", "value_date", reading.day),
        Column("Art", "kind", reading.choice(SavingsTransaction.KINDS), True),
        Column("Betrag", "amount", reading.decimal, True),
        Column("Saldo", "balance_after", reading.decimal, True),
    ), references={"account": "sparkonten.csv"}, has_cooperative=False, finish=_finish_transaction),
    Kind("freistellungsauftraege.csv", ExemptionOrder, "Freistellungsauftrag", (
        Column(KEY, "key", _key, True),
        Column("Person", "person", _key, True),
        Column("Art", "joint", reading.choice(EXEMPTION_KINDS), True),
        Column("Betrag", "amount", reading.decimal, True),
        Column("Gültig ab", "valid_from", reading.day, True),
        Column("Gültig bis", "valid_until", reading.day),
        Column("Steuer-ID", "tax_id", _checked(exemption_orders.check_tax_id), True),
        Column.text("Partner Name", "partner_name"),
        Column("Partner Steuer-ID", "partner_tax_id", _checked(exemption_orders.check_tax_id), empty=""),
    ), references={"person": "personen.csv"}, has_cooperative=False, finish=_finish_exemption_order),
    Kind(CONSUMPTION_FILE, Consumption, "Verbrauch", (
        Column("Einheit", "unit", _key, True),
        Column("Zählernummer", "number", _meter_number, True),
        Column("Art", "kind", reading.choice(Meter.KINDS), True),
        Column("Monat", "month", reading.month, True),
        Column("Verbrauch", "amount", _quantity(3), True),
        Column("Maßeinheit", "measure", reading.choice(MEASURES, MEASURE_ALIASES), True),
        Column("Umrechnungsfaktor", "factor", _quantity(4)),
        Column("Zählerstand", "reading", _quantity(3)),
        Column("Durchschnitt", "average_kwh", _quantity(3)),
        Column("Durchschnitt je m²", "average_kwh_per_m2", _quantity(3)),
    ), references={"unit": "einheiten.csv"}, has_cooperative=False, finish=_finish_consumption),
)

BY_FILE = {kind.file: kind for kind in KINDS}
