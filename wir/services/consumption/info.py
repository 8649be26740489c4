"""Verbrauchsinformation: the figures § 6a (2) HeizkostenV asks for, for one rental contract's flat and one month.

Per kind of meter (Heizung, Warmwasser, Kaltwasser): the month's consumption, the month before, the same month a
year ago, the building's average user of the same kind, and the last 13 months each beside its month a year
earlier (for the chart). Everything is frozen data: the page, the PDF and the post letters read the same figures.

Rules worth knowing:

- **Several meters of one kind** (Heizkostenverteiler on every radiator) are summed. A meter *counts* for a month
  when the month lies between its first and its last month with values; a kind's month is missing unless every
  meter that counts for it has a value. So a meter replaced in March does not make April missing, but a radiator
  whose value is missing for one month does: a sum without it would look like saving. Missing is never zero.
- **Unit**: heating and hot water in kWh where every value of the kind in the months shown is known in kWh (kWh
  meters, or Einheiten with the metering service's factor); otherwise in the meters' own measure (m³, Einheiten).
  Cold water in m³.
- **The tenant's months only**: values count from the month the contract starts to the month it ends; the previous
  tenant's consumption is never shown (those months are missing).
- **Average user** (Durchschnittsnutzer): the metering service delivers it with every row, in the unit of the row
  (kWh for heating and hot water, m³ for water). Where it is given per m² and the flat's living area is known, the
  tenant's value per m² is compared with it (kWh/m², m³/m²); else the totals. Not compared for values in Einheiten.
- **Changes** in percent are rounded to whole numbers; a comparison with a missing month has none.

Queries: ``for_contract`` 2 (meters with their first and last month, then the 25 months of values through the
unique index (meter, month)) for a contract whose unit is loaded; ``infos_of`` 2 for any number of contracts;
``home_lines`` 1 for the Startseite.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from peewee import JOIN, fn

from wir import audit, clock
from wir.formatting import german_month, number
from wir.models import Consumption, Contract, ContractParty, Meter, Person, Unit, User

KINDS = tuple(Meter.KINDS)  # heating, hot_water, cold_water: the order of the page
SERIES_MONTHS = 13  # the chart: the last 13 months, each beside its month a year earlier
WINDOW_MONTHS = SERIES_MONTHS + 12  # months of values one page needs (25)
HOME_KINDS = ("heating", "hot_water")  # the Startseite's line: heating, or hot water where there is no heating
MINUS = "\u2212"  # the minus sign, not a hyphen: „−5 %“


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def shift(month: date, months: int) -> date:
    """The first of the month ``months`` later (negative: earlier)."""
    return clock.add_months(first_of_month(month), months)


def parse_month(text: str | None) -> date | None:
    """ "2026-10" → 1 October 2026; None for anything else (the page's ?monat=)."""
    if not text or len(text) != 7 or text[4] != "-" or not (text[:4].isdigit() and text[5:].isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        return None
    return date(year, month, 1)


def month_key(month: date) -> str:
    """The month as the page's ?monat= names it: "2026-10"."""
    return f"{month.year:04d}-{month.month:02d}"


def _month_words(month: date, shown: date) -> str:
    """ "Oktober", or "Dezember 2025" when the year is not the shown month's."""
    return german_month(month, with_year=month.year != shown.year)


def _change(value: Decimal, other: Decimal) -> int | None:
    """Percent of ``value`` above ``other``, rounded half up to whole numbers; None when other is zero."""
    if other == 0:
        return None
    return int(((value - other) * 100 / other).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percent_label(change: int | None) -> str:
    """ "+12 %", "−5 %", "±0 %" (with a no-break space before %)."""
    if change is None:
        return ""
    sign = "+" if change > 0 else MINUS if change < 0 else "±"
    return f"{sign}{abs(change)}\u00a0%"


def _direction(value: Decimal, other: Decimal) -> int:
    return (value > other) - (value < other)


def _words(direction: int, change: int | None, what: str) -> str:
    """ "mehr als im Oktober", "weniger als …", "gleich viel wie …", "etwa so viel wie …" (``what``: "im Oktober")."""
    if direction == 0:
        return f"gleich viel wie {what}"
    if change == 0:
        return f"etwa so viel wie {what}"
    return f"{'mehr als' if direction > 0 else 'weniger als'} {what}"


@dataclass(frozen=True)
class Comparison:
    """The shown month against another (the month before, or the same month a year ago)."""

    month: date  # the other month
    value: Decimal | None  # its consumption; None: missing
    change: int | None  # percent, rounded; None when either value is missing or the other is zero
    direction: int | None  # +1 more, −1 less, 0 the same; None when either value is missing
    words_month: str  # "Oktober", "November 2025"

    @property
    def missing(self) -> bool:
        return self.direction is None

    @property
    def label(self) -> str:
        return percent_label(self.change)

    @property
    def words(self) -> str:
        """ "mehr als im Oktober" ("" when missing)."""
        return "" if self.direction is None else _words(self.direction, self.change, f"im {self.words_month}")

    @property
    def missing_text(self) -> str:
        return f"Für {self.words_month} liegen keine Werte vor."


@dataclass(frozen=True)
class AverageComparison:
    """The tenant against the building's average user of the same kind in the shown month."""

    yours: Decimal  # per m² when ``per_m2``, else the month's value
    average: Decimal
    per_m2: bool
    unit: str  # "kWh/m²", "kWh", "m³"
    change: int | None
    direction: int
    places: int = 0  # decimal places worth printing

    @property
    def label(self) -> str:
        return percent_label(self.change)

    def amount(self, value: Decimal) -> str:
        """ "6,6 kWh/m²" """
        return f"{number(value, self.places)} {self.unit}"

    @property
    def words(self) -> str:
        """ "mehr als der Durchschnitt" and so on."""
        if self.direction == 0:
            return "gleich viel wie der Durchschnitt"
        if self.change == 0:
            return "etwa so viel wie der Durchschnitt"
        return f"{'mehr' if self.direction > 0 else 'weniger'} als der Durchschnitt"


@dataclass(frozen=True)
class SeriesMonth:
    """One month of the chart: its value and that of the same month a year earlier (None: missing)."""

    month: date
    value: Decimal | None
    year_before: Decimal | None


@dataclass(frozen=True)
class KindInfo:
    kind: str  # a key of Meter.KINDS
    label: str  # "Heizung"
    unit: str  # "kWh", "m³", "Einheiten"
    month: date
    value: Decimal | None  # None: missing for this month
    previous: Comparison  # the month before
    year_ago: Comparison  # the same month a year earlier
    average: AverageComparison | None
    series: tuple[SeriesMonth, ...]  # the last 13 months, oldest first, ending with ``month``
    corrected_at: datetime | None  # a later import changed the month's values

    @property
    def missing(self) -> bool:
        return self.value is None

    @property
    def missing_text(self) -> str:
        return f"Für {german_month(self.month)} liegen keine Werte vor."

    @property
    def places(self) -> int:
        """Decimal places worth printing: kWh and Einheiten whole, m³ with one."""
        return 1 if self.unit == "m³" else 0

    def amount(self, value: Decimal | None) -> str:
        """ "412 kWh", "3,4 m³" ("–" when missing)."""
        return "–" if value is None else f"{number(value, self.places)} {self.unit}"


@dataclass(frozen=True)
class ConsumptionInfo:
    """The Verbrauchsinformation of one rental contract for one month (``month`` None: no values at all)."""

    contract_id: int
    contract_number: str
    street: str
    postcode: str
    city: str
    location: str  # "2. OG links"
    living_area: Decimal | None
    month: date | None
    first_month: date | None  # the tenant's first and last months with values: the month chooser's range
    last_month: date | None
    kinds: tuple[KindInfo, ...]

    @property
    def has_values(self) -> bool:
        return any(not kind.missing for kind in self.kinds)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"

    @property
    def months(self) -> tuple[date, ...]:
        """Every month from the last to the first with values, newest first (the month chooser)."""
        if self.first_month is None or self.last_month is None:
            return ()
        months, month = [], self.last_month
        while month >= self.first_month:
            months.append(month)
            month = shift(month, -1)
        return tuple(months)

    @property
    def earlier_month(self) -> date | None:
        """The month before the shown one, if the tenant has values that early (the „früherer Monat“ link)."""
        if self.month is None or self.first_month is None:
            return None
        earlier = shift(self.month, -1)
        return earlier if earlier >= self.first_month else None

    @property
    def later_month(self) -> date | None:
        if self.month is None or self.last_month is None:
            return None
        later = shift(self.month, 1)
        return later if later <= self.last_month else None

    @property
    def corrected_at(self) -> datetime | None:
        """The latest correction of the shown month over all kinds."""
        dates = [kind.corrected_at for kind in self.kinds if kind.corrected_at is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class HomeLine:
    """The Startseite's line: the newest month of one rental contract, with its trend against the month before."""

    contract_id: int
    contract_number: str
    kind_label: str
    month: date
    value: Decimal
    unit: str
    previous: Comparison

    @property
    def amount(self) -> str:
        return f"{number(self.value, 1 if self.unit == 'm³' else 0)} {self.unit}"

    @property
    def trend(self) -> str:
        """ "18 % mehr als im Oktober", "gleich viel wie im Oktober", "" when the month before is missing."""
        previous = self.previous
        if previous.missing:
            return ""
        if previous.change is None or previous.change == 0:
            return previous.words
        return f"{abs(previous.change)}\u00a0% {previous.words}"


# --- the meters and values of units ---


@dataclass(frozen=True)
class _Meter:
    id: int
    unit_id: int
    kind: str
    first: date | None  # first and last month with values
    last: date | None


def _meters_of(unit_ids) -> dict[int, list[_Meter]]:
    """The units' meters with their first and last month with values, in one query."""
    query = (
        Meter.select(Meter.id, Meter.unit, Meter.kind, fn.MIN(Consumption.month).alias("first"),
                     fn.MAX(Consumption.month).alias("last"))
        .join(Consumption, JOIN.LEFT_OUTER)
        .where(Meter.unit.in_(list(unit_ids)))
        .group_by(Meter.id, Meter.unit, Meter.kind)
        .order_by(Meter.id)
    )
    meters = defaultdict(list)
    for row in query.namedtuples():
        meters[row.unit].append(_Meter(row.id, row.unit, row.kind, _as_date(row.first), _as_date(row.last)))
    return meters


def _as_date(value) -> date | None:
    # SQLite answers an aggregate of dates with their text
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_ROW_COLUMNS = (Consumption.meter, Consumption.month, Consumption.amount, Consumption.measure, Consumption.kwh,
                Consumption.average_kwh, Consumption.average_kwh_per_m2, Consumption.corrected_at)


def _rows(condition, start: date, end: date) -> dict[int, dict[date, tuple]]:
    """meter id → month → its row (namedtuple of _ROW_COLUMNS), the months from ``start`` to ``end``."""
    query = (
        Consumption.select(*_ROW_COLUMNS)
        .where(condition & (Consumption.month >= start) & (Consumption.month <= end))
    )
    rows = defaultdict(dict)
    for row in query.namedtuples():
        rows[row.meter][_as_date(row.month)] = row
    return rows


def tenancy(contract: Contract) -> tuple[date, date | None]:
    """The first and last month whose values are the tenant's (the move-in month is theirs)."""
    end = first_of_month(contract.end_date) if contract.end_date else None
    return first_of_month(contract.start_date), end


def _clipped(meters: list[_Meter], contract: Contract) -> list[_Meter]:
    """The meters with their months kept to the tenancy (a meter with no months in it drops out)."""
    start, end = tenancy(contract)
    kept = []
    for meter in meters:
        if meter.first is None:
            continue
        first, last = max(meter.first, start), min(meter.last, end) if end else meter.last
        if first <= last:
            kept.append(_Meter(meter.id, meter.unit_id, meter.kind, first, last))
    return kept


def _newest_month(meters: list[_Meter]) -> date | None:
    return max((meter.last for meter in meters), default=None)


# --- the figures ---


def _unit_of(kind: str, rows) -> str:
    """kWh where every value is known in kWh (not for cold water), else the rows' one measure."""
    if not rows:
        return "m³" if kind == "cold_water" else "kWh"
    if kind != "cold_water" and all(row.kwh is not None for row in rows):
        return "kWh"
    measures = {row.measure for row in rows}
    if len(measures) == 1:
        return measures.pop()
    return "m³" if kind == "cold_water" else "kWh"


def _value_of(row, unit: str) -> Decimal | None:
    if unit == "kWh" and row.kwh is not None:
        return Decimal(row.kwh)
    if row.measure == unit:
        return Decimal(row.amount)
    return None


class _Kind:
    """One kind's meters and rows: its value in any month by the rule of the module's doc."""

    def __init__(self, kind: str, meters: list[_Meter], rows: dict[int, dict[date, tuple]]):
        self.kind = kind
        self.meters = meters
        self.rows = {meter.id: rows.get(meter.id, {}) for meter in meters}
        self.unit = _unit_of(kind, [row for by_month in self.rows.values() for row in by_month.values()])

    def month_rows(self, month: date) -> list | None:
        """The rows of the meters counting for ``month``, or None when the month is missing."""
        counting = [meter for meter in self.meters if meter.first <= month <= meter.last]
        if not counting:
            return None
        found = [self.rows[meter.id].get(month) for meter in counting]
        if any(row is None for row in found):
            return None
        return found

    def value(self, month: date) -> Decimal | None:
        rows = self.month_rows(month)
        if rows is None:
            return None
        values = [_value_of(row, self.unit) for row in rows]
        if any(value is None for value in values):
            return None
        return sum(values, Decimal(0))


def _comparison(kind: _Kind, value: Decimal | None, other_month: date, shown: date, with_year: bool) -> Comparison:
    other = kind.value(other_month)
    words_month = german_month(other_month) if with_year else _month_words(other_month, shown)
    if value is None or other is None:
        return Comparison(other_month, other, None, None, words_month)
    return Comparison(other_month, other, _change(value, other), _direction(value, other), words_month)


def _average(kind: _Kind, value: Decimal | None, month: date, living_area: Decimal | None) -> AverageComparison | None:
    rows = kind.month_rows(month)
    if value is None or rows is None or kind.unit == "Einheiten":
        return None
    per_m2 = next((Decimal(row.average_kwh_per_m2) for row in rows if row.average_kwh_per_m2 is not None), None)
    total = next((Decimal(row.average_kwh) for row in rows if row.average_kwh is not None), None)
    if per_m2 is not None and living_area:
        places = 1 if kind.unit == "kWh" else 3  # 6,6 kWh/m², 0,072 m³/m²
        yours = (value / Decimal(living_area)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return AverageComparison(yours, per_m2, True, f"{kind.unit}/m²", _change(yours, per_m2),
                                 _direction(yours, per_m2), places)
    if total is None:
        return None
    return AverageComparison(value, total, False, kind.unit, _change(value, total), _direction(value, total),
                             1 if kind.unit == "m³" else 0)


def _kind_info(kind: _Kind, month: date, living_area: Decimal | None) -> KindInfo:
    value = kind.value(month)
    series = tuple(
        SeriesMonth(shift(month, offset), kind.value(shift(month, offset)), kind.value(shift(month, offset - 12)))
        for offset in range(1 - SERIES_MONTHS, 1)
    )
    rows = kind.month_rows(month) or [row for meter in kind.meters
                                      if (row := kind.rows[meter.id].get(month)) is not None]
    corrected = [row.corrected_at for row in rows if row.corrected_at is not None]
    return KindInfo(
        kind=kind.kind,
        label=Meter.KINDS[kind.kind],
        unit=kind.unit,
        month=month,
        value=value,
        previous=_comparison(kind, value, shift(month, -1), month, with_year=False),
        year_ago=_comparison(kind, value, shift(month, -12), month, with_year=True),
        average=_average(kind, value, month, living_area),
        series=series,
        corrected_at=max(corrected) if corrected else None,
    )


def _info(contract: Contract, unit: Unit | None, meters: list[_Meter], rows, month: date | None) -> ConsumptionInfo:
    first = min((meter.first for meter in meters), default=None)
    last = _newest_month(meters)
    if month is None:
        month = last
    kinds = ()
    if month is not None:
        window_start = shift(month, 1 - WINDOW_MONTHS)
        in_window = [meter for meter in meters if meter.first <= month and meter.last >= window_start]
        by_kind = defaultdict(list)
        for meter in in_window:
            by_kind[meter.kind].append(meter)
        area = unit.living_area if unit is not None else None
        kinds = tuple(_kind_info(_Kind(kind, by_kind[kind], rows), month, area) for kind in KINDS if by_kind[kind])
    return ConsumptionInfo(
        contract_id=contract.id,
        contract_number=contract.number,
        street=unit.street if unit else "",
        postcode=unit.postcode if unit else "",
        city=unit.city if unit else "",
        location=" ".join(part for part in (unit.floor, unit.position) if part) if unit else "",
        living_area=unit.living_area if unit else None,
        month=month,
        first_month=first,
        last_month=last,
        kinds=kinds,
    )


def for_contract(contract: Contract, month: date | None = None) -> ConsumptionInfo:
    """The Verbrauchsinformation of a rental contract (its unit loaded with it) for ``month`` (default: the newest
    month with values); two queries."""
    unit = contract.unit if contract.unit_id else None
    if unit is None:
        return _info(contract, None, [], {}, None)
    meters = _clipped(_meters_of([unit.id]).get(unit.id, []), contract)
    shown = first_of_month(month) if month is not None else _newest_month(meters)
    rows = {}
    if meters and shown is not None:
        rows = _rows(Consumption.meter.in_([meter.id for meter in meters]), shift(shown, 1 - WINDOW_MONTHS), shown)
        rows = _tenants_rows(rows, contract)
    return _info(contract, unit, meters, rows, shown)


def infos_of(contracts, month: date | None = None) -> dict[int, ConsumptionInfo]:
    """Many rental contracts' Verbrauchsinformation (their units loaded with them), contract id → info, in two
    queries whatever their number (the post letters of a month)."""
    contracts = [contract for contract in contracts]
    unit_ids = {contract.unit_id for contract in contracts if contract.unit_id}
    meters_by_unit = _meters_of(unit_ids) if unit_ids else {}
    clipped = {contract.id: _clipped(meters_by_unit.get(contract.unit_id, []), contract) for contract in contracts}
    shown = {contract.id: first_of_month(month) if month is not None else _newest_month(clipped[contract.id])
             for contract in contracts}
    months = [value for value in shown.values() if value is not None]
    rows = {}
    if unit_ids and months:
        meter_ids = Meter.select(Meter.id).where(Meter.unit.in_(list(unit_ids)))
        rows = _rows(Consumption.meter.in_(meter_ids), shift(min(months), 1 - WINDOW_MONTHS), max(months))
    return {
        contract.id: _info(contract, contract.unit if contract.unit_id else None, clipped[contract.id],
                           _tenants_rows(_rows_of(rows, clipped[contract.id]), contract), shown[contract.id])
        for contract in contracts
    }


def _rows_of(rows: dict[int, dict[date, tuple]], meters) -> dict[int, dict[date, tuple]]:
    """The rows of these meters only: each letter looks at its own flat, not at every flat of the batch."""
    return {meter.id: rows[meter.id] for meter in meters if meter.id in rows}


def _tenants_rows(rows: dict[int, dict[date, tuple]], contract: Contract) -> dict[int, dict[date, tuple]]:
    """Only the months of the tenancy: the previous tenant's consumption is never shown."""
    start, end = tenancy(contract)
    return {meter: {month: row for month, row in by_month.items() if month >= start and (end is None or month <= end)}
            for meter, by_month in rows.items()}


def metered(contracts) -> set[int]:
    """The ids of those contracts whose unit has meters, in one query."""
    by_unit = defaultdict(list)
    for contract in contracts:
        if contract.unit_id:
            by_unit[contract.unit_id].append(contract.id)
    if not by_unit:
        return set()
    units = Meter.select(Meter.unit).where(Meter.unit.in_(list(by_unit))).distinct()
    return {contract_id for row in units.tuples() for contract_id in by_unit[row[0]]}


def tenants_of(contract: Contract) -> list[Person]:
    """The contract's tenants (main tenants first): whom its letter is addressed to."""
    parties = (ContractParty.select(ContractParty, Person).join(Person)
               .where((ContractParty.contract == contract) & ContractParty.role.in_(("main", "co")))
               .order_by(ContractParty.role.desc(), ContractParty.id))
    return [party.person for party in parties]


def set_by_post(person: Person, wanted: bool, user: User | None) -> None:
    """The person's wish to get the Verbrauchsinformation on paper as well (audited when it changes)."""
    if person.consumption_by_post == wanted:
        return
    Person.update(consumption_by_post=wanted).where(Person.id == person.id).execute()
    person.consumption_by_post = wanted
    audit.record(user, "consumption.by_post", person, "per Post: ja" if wanted else "per Post: nein",
                 cooperative=person.cooperative)


# --- the Startseite ---


def home_lines(person_ids) -> list[HomeLine]:
    """For the Startseite: per rental contract of the persons with values in the last 13 months, the newest month's
    heating (hot water where there is no heating meter) with its trend against the month before; one query."""
    person_ids = list(person_ids)
    if not person_ids:
        return []
    since = shift(clock.today(), -SERIES_MONTHS)
    query = (
        Consumption.select(*_ROW_COLUMNS, Meter.kind, Meter.id.alias("meter_id"), Contract.id.alias("contract_id"),
                           Contract.number, Contract.start_date, Contract.end_date)
        .join(Meter)
        .join(Contract, on=(Contract.unit == Meter.unit))
        .join(ContractParty, on=(ContractParty.contract == Contract.id))
        .where(ContractParty.person.in_(person_ids) & (Contract.kind == "rental")
               & Meter.kind.in_(HOME_KINDS) & (Consumption.month >= since))
        .order_by(Contract.number, Consumption.month)
    )
    contracts, by_contract = {}, defaultdict(lambda: defaultdict(dict))
    for row in query.namedtuples():
        contract = contracts.setdefault(row.contract_id, Contract(
            id=row.contract_id, number=row.number, start_date=_as_date(row.start_date),
            end_date=_as_date(row.end_date)))
        start, end = tenancy(contract)
        month = _as_date(row.month)
        if start <= month and (end is None or month <= end):
            by_contract[row.contract_id][row.kind, row.meter_id][month] = row
    lines = []
    for contract_id, by_meter in by_contract.items():
        kind = next((kind for kind in HOME_KINDS if any(key[0] == kind for key in by_meter)), None)
        meters = [_Meter(meter_id, 0, kind, min(months), max(months))
                  for (meter_kind, meter_id), months in by_meter.items() if meter_kind == kind]
        figures = _Kind(kind, meters, {meter.id: by_meter[kind, meter.id] for meter in meters})
        newest = _newest_month(meters)
        value = figures.value(newest)
        if value is None:
            continue
        previous = _comparison(figures, value, shift(newest, -1), newest, with_year=False)
        contract = contracts[contract_id]
        lines.append(HomeLine(contract_id, contract.number, Meter.KINDS[kind], newest, value, figures.unit, previous))
    return sorted(lines, key=lambda line: line.contract_number)
