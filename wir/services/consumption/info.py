"""Verbrauchsinformation: the figures § 6a (2) HeizkostenV asks for, for one rental contract's flat and one month.

Per kind of meter (Heizung, Warmwasser, Kaltwasser): the month's consumption, the month before, the same month a
year ago, the building's average user of the same kind, and the last 13 months each beside its month a year
earlier (for the chart). Everything is frozen data: the page, the PDF and the post letters read the same figures.

Rules worth knowing:

- **Several meters of one kind** (Heizkostenverteiler on every radiator) are summed. A meter *counts* for a month
  from its first month with values to the kind's newest month, or only to its own last month where a later meter
  of the kind starts then or after and goes on beyond it (an exchanged meter). A kind's month is missing unless
  every meter that counts for it has a value. So a meter exchanged in March does not make April missing, but a
  radiator whose value is missing for a month does, the newest month too: a sum without it would look like
  saving. Missing is never zero.
- **Unit**: heating and hot water in kWh where every value of the kind's meters is known in kWh (kWh meters, or
  Einheiten and m³ with the metering service's factor); otherwise in the meters' own measure (m³, Einheiten), with
  a sentence saying why (``KindInfo.unit_note``). Decided over all months, so it does not change as the tenant
  chooses another month. Cold water in m³.
- **The tenant's months only**: values count from the month the contract starts to the month it ends; the previous
  tenant's consumption is never shown (those months are missing).
- **Average user** (Durchschnittsnutzer): the metering service delivers it with every row, in the unit of the row
  (kWh where the row has kWh, else m³). It is compared only in the unit of the tenant's value: shown in m³, a kWh
  average goes back to m³ by the row's factor. Where it is given per m² and the flat's living area is known, the
  tenant's value per m² is compared with it (kWh/m², m³/m²); else the totals. Not compared for values in Einheiten.
- **Changes** in percent are rounded to whole numbers; a comparison with a missing month has none.

Queries: ``for_contract`` 2 (meters with their first and last month, then the 25 months of values through the
unique index (meter, month)) for a contract whose unit is loaded; ``infos_of`` 2 for any number of contracts;
``home_lines`` 1 for the Startseite.
"""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from peewee import JOIN, fn

from wir import clock
from wir.db.prepared import Prepared
from wir.formatting import german_month, number
from wir.models import Consumption, Contract, ContractParty, Meter, Person, Unit, User

KINDS = tuple(Meter.KINDS)  # heating, hot_water, cold_water: the order of the page
SERIES_MONTHS = 13  # the chart: the last 13 months, each beside its month a year earlier
WINDOW_MONTHS = SERIES_MONTHS + 12  # months of values one page needs (25)
HOME_KINDS = ("heating", "hot_water")  # the Startseite's line: heating, or hot water where there is no heating
TENANT_ROLES = ("main", "co")  # the parties of a rental contract who are its tenants (ContractParty.ROLES)
MINUS = "\u2212"  # the minus sign, not a hyphen: „−5 %“


def month_key(month: date) -> str:
    """The month as the page's ?monat= names it: "2026-10"."""
    return f"{month.year:04d}-{month.month:02d}"


def places_of(unit: str) -> int:
    """Decimal places worth printing of a month's value: kWh and Einheiten whole, m³ with one."""
    return 1 if unit == "m³" else 0


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
        return places_of(self.unit)

    @property
    def unit_note(self) -> str:
        """Why the values are not in kWh, as § 6a asks ("" when they are, and for cold water, which has none)."""
        if self.kind == "cold_water" or self.unit == "kWh":
            return ""
        if self.unit == "Einheiten":
            return ("Ihre Heizkörper haben Heizkostenverteiler: Sie zählen Einheiten, nicht kWh. Der Messdienst hat "
                    "uns nicht für jeden Monat den Faktor zum Umrechnen in kWh genannt; deshalb sehen Sie Einheiten.")
        return (f"{self.label} wird bei Ihnen in {self.unit} gemessen. Der Messdienst hat uns nicht für jeden Monat "
                f"den Faktor zum Umrechnen in kWh genannt; deshalb sehen Sie {self.unit}.")

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
            month = clock.add_months(month, -1)
        return tuple(months)

    @property
    def earlier_month(self) -> date | None:
        """The month before the shown one, if the tenant has values that early (the „früherer Monat“ link)."""
        if self.month is None or self.first_month is None:
            return None
        earlier = clock.add_months(self.month, -1)
        return earlier if earlier >= self.first_month else None

    @property
    def later_month(self) -> date | None:
        if self.month is None or self.last_month is None:
            return None
        later = clock.add_months(self.month, 1)
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
        return f"{number(self.value, places_of(self.unit))} {self.unit}"

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
    measures: frozenset = frozenset()  # the measures its values are in
    all_kwh: bool = True  # every value is known in kWh


def _meters_of(unit_ids) -> dict[int, list[_Meter]]:
    """The units' meters with their first and last month with values and what those are in, in one query."""
    query = (
        Meter.select(Meter.id, Meter.unit, Meter.kind, fn.MIN(Consumption.month).alias("first"),
                     fn.MAX(Consumption.month).alias("last"), fn.MIN(Consumption.measure).alias("low"),
                     fn.MAX(Consumption.measure).alias("high"),
                     (fn.COUNT(Consumption.id) - fn.COUNT(Consumption.kwh)).alias("without_kwh"))
        .join(Consumption, JOIN.LEFT_OUTER)
        .where(Meter.unit.in_(list(unit_ids)))
        .group_by(Meter.id, Meter.unit, Meter.kind)
        .order_by(Meter.id)
    )
    meters = defaultdict(list)
    for row in query.namedtuples():
        measures = frozenset(measure for measure in (row.low, row.high) if measure is not None)
        meters[row.unit].append(_Meter(row.id, row.unit, row.kind, _as_date(row.first), _as_date(row.last),
                                       measures, not row.without_kwh))
    return meters


def _as_date(value) -> date | None:
    # SQLite answers an aggregate of dates with their text
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_ROW_COLUMNS = (Consumption.meter, Consumption.month, Consumption.amount, Consumption.measure, Consumption.factor,
                Consumption.kwh, Consumption.average_kwh, Consumption.average_kwh_per_m2, Consumption.corrected_at)


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
    end = clock.month_start(contract.end_date) if contract.end_date else None
    return clock.month_start(contract.start_date), end


def _clipped(meters: list[_Meter], contract: Contract) -> list[_Meter]:
    """The meters with their months kept to the tenancy (a meter with no months in it drops out)."""
    start, end = tenancy(contract)
    kept = []
    for meter in meters:
        if meter.first is None:
            continue
        first, last = max(meter.first, start), min(meter.last, end) if end else meter.last
        if first <= last:
            kept.append(replace(meter, first=first, last=last))
    return kept


def _newest_month(meters: list[_Meter]) -> date | None:
    return max((meter.last for meter in meters), default=None)


# --- the figures ---


def _unit_of(kind: str, meters: list[_Meter]) -> str:
    """kWh where every value of the kind's meters is known in kWh (not for cold water), else their one measure.
    Decided over all their months, so the unit stays the same whichever month the tenant looks at."""
    if kind != "cold_water" and all(meter.all_kwh for meter in meters):
        return "kWh"
    measures = frozenset().union(*(meter.measures for meter in meters))
    if len(measures) == 1:
        return next(iter(measures))
    return "m³" if kind == "cold_water" else "kWh"


def _counting_until(meters: list[_Meter]) -> dict[int, date]:
    """Per meter the last month it counts for: the kind's newest month, unless a later meter (started after it)
    starts in or after its last month and goes on beyond it: the meter was exchanged. So a radiator whose newest
    month has not been delivered makes that month missing instead of dropping out of the sum."""
    newest = _newest_month(meters)
    return {
        meter.id: meter.last if any(meter.first < other.first and meter.last <= other.first and meter.last < other.last
                                    for other in meters) else newest
        for meter in meters
    }


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
        self.unit = _unit_of(kind, meters)
        self.until = _counting_until(meters)

    def counts_between(self, start: date, end: date) -> bool:
        """A meter of the kind counts for a month from ``start`` to ``end``."""
        return any(meter.first <= end and self.until[meter.id] >= start for meter in self.meters)

    def month_rows(self, month: date) -> list | None:
        """The rows of the meters counting for ``month``, or None when the month is missing."""
        counting = [meter for meter in self.meters if meter.first <= month <= self.until[meter.id]]
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


def _average_in(row, unit: str, column: str, places: int) -> Decimal | None:
    """The row's average user (``column``) in ``unit``, or None. The import stores it in kWh where the row has kWh,
    else in the row's measure; shown in m³, a kWh average goes back to m³ by the row's factor."""
    value = getattr(row, column)
    if value is None:
        return None
    if unit == ("kWh" if row.kwh is not None else row.measure):
        return Decimal(value)
    if unit == row.measure and row.factor:
        return (Decimal(value) / Decimal(row.factor)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return None


def _average(kind: _Kind, value: Decimal | None, month: date, living_area: Decimal | None) -> AverageComparison | None:
    """Only in the unit of the tenant's value: never kWh against m³."""
    rows = kind.month_rows(month)
    if value is None or rows is None or kind.unit == "Einheiten":
        return None
    area_places = 1 if kind.unit == "kWh" else 3  # 6,6 kWh/m², 0,072 m³/m²
    per_m2 = next((found for row in rows
                   if (found := _average_in(row, kind.unit, "average_kwh_per_m2", area_places)) is not None), None)
    if per_m2 is not None and living_area:
        yours = (value / Decimal(living_area)).quantize(Decimal(1).scaleb(-area_places), rounding=ROUND_HALF_UP)
        return AverageComparison(yours, per_m2, True, f"{kind.unit}/m²", _change(yours, per_m2),
                                 _direction(yours, per_m2), area_places)
    places = places_of(kind.unit)
    total = next((found for row in rows
                  if (found := _average_in(row, kind.unit, "average_kwh", places)) is not None), None)
    if total is None:
        return None
    return AverageComparison(value, total, False, kind.unit, _change(value, total), _direction(value, total), places)


def _kind_info(kind: _Kind, month: date, living_area: Decimal | None) -> KindInfo:
    value = kind.value(month)
    months = [clock.add_months(month, offset) for offset in range(1 - SERIES_MONTHS, 1)]
    series = tuple(SeriesMonth(each, kind.value(each), kind.value(clock.add_months(each, -12))) for each in months)
    rows = kind.month_rows(month) or [row for meter in kind.meters
                                      if (row := kind.rows[meter.id].get(month)) is not None]
    corrected = [row.corrected_at for row in rows if row.corrected_at is not None]
    return KindInfo(
        kind=kind.kind,
        label=Meter.KINDS[kind.kind],
        unit=kind.unit,
        month=month,
        value=value,
        previous=_comparison(kind, value, clock.add_months(month, -1), month, with_year=False),
        year_ago=_comparison(kind, value, clock.add_months(month, -12), month, with_year=True),
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
        window_start = clock.add_months(month, 1 - WINDOW_MONTHS)
        by_kind = defaultdict(list)
        for meter in meters:
            by_kind[meter.kind].append(meter)
        figures = [_Kind(kind, by_kind[kind], rows) for kind in KINDS if by_kind[kind]]
        area = unit.living_area if unit is not None else None
        kinds = tuple(_kind_info(kind, month, area) for kind in figures if kind.counts_between(window_start, month))
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
    shown = clock.month_start(month) if month is not None else _newest_month(meters)
    rows = {}
    if meters and shown is not None:
        rows = _rows(Consumption.meter.in_([meter.id for meter in meters]), clock.add_months(shown, 1 - WINDOW_MONTHS),
                     shown)
        rows = _tenants_rows(rows, contract)
    return _info(contract, unit, meters, rows, shown)


def infos_of(contracts, month: date | None = None) -> dict[int, ConsumptionInfo]:
    """Many rental contracts' Verbrauchsinformation (their units loaded with them), contract id → info, in two
    queries whatever their number (the post letters of a month)."""
    contracts = [contract for contract in contracts]
    unit_ids = {contract.unit_id for contract in contracts if contract.unit_id}
    meters_by_unit = _meters_of(unit_ids) if unit_ids else {}
    clipped = {contract.id: _clipped(meters_by_unit.get(contract.unit_id, []), contract) for contract in contracts}
    shown = {contract.id: clock.month_start(month) if month is not None else _newest_month(clipped[contract.id])
             for contract in contracts}
    months = [value for value in shown.values() if value is not None]
    rows = {}
    if unit_ids and months:
        meter_ids = Meter.select(Meter.id).where(Meter.unit.in_(list(unit_ids)))
        rows = _rows(Consumption.meter.in_(meter_ids), clock.add_months(min(months), 1 - WINDOW_MONTHS), max(months))
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


def parties_of(contract_ids) -> dict[int, list[ContractParty]]:
    """The contracts' tenants as parties (with their person and login, if any), Hauptmieter first: one query."""
    parties: dict[int, list[ContractParty]] = {}
    contract_ids = list(contract_ids)
    if not contract_ids:
        return parties
    rows = (ContractParty.select(ContractParty, Person, User).join(Person)
            .join(User, on=(Person.user == User.id), join_type=JOIN.LEFT_OUTER)
            .where(ContractParty.contract.in_(contract_ids) & ContractParty.role.in_(TENANT_ROLES))
            .order_by(ContractParty.contract, ContractParty.role.desc(), ContractParty.id))  # "main" before "co"
    for party in rows:
        parties.setdefault(party.contract_id, []).append(party)
    return parties


def tenants_of(contract: Contract) -> list[Person]:
    """The contract's tenants (main tenants first): whom its letter is addressed to."""
    return [party.person for party in parties_of([contract.id]).get(contract.id, [])]


# --- the Startseite ---


# what a month's value needs (_value_of), no more: peewee converts every column of every row, and the averages'
# and the correction's time were half of that. The dates come as the database gives them (text on SQLite) and go
# through _as_date: peewee's parsing of three dates a row cost more than the rest of the row
_HOME_COLUMNS = (Consumption.month.coerce(False), Consumption.amount, Consumption.measure, Consumption.kwh)


def _home_rows_query(*values):  # the contract kind, the first month, the meter kinds, then the persons' ids
    contract_kind, since, *rest = values
    kinds, person_ids = rest[:len(HOME_KINDS)], rest[len(HOME_KINDS):]
    return (
        Consumption.select(*_HOME_COLUMNS, Meter.kind, Meter.id.alias("meter_id"), Contract.id.alias("contract_id"),
                           Contract.number, Contract.start_date.coerce(False), Contract.end_date.coerce(False))
        .join(Meter)
        .join(Contract, on=(Contract.unit == Meter.unit))
        .join(ContractParty, on=(ContractParty.contract == Contract.id))
        .where((Contract.kind == contract_kind) & (Consumption.month >= since) & Meter.kind.in_(kinds)
               & ContractParty.person.in_(person_ids))
        .order_by(Contract.number, Consumption.month)
        .tuples()
    )


# every Startseite runs it
_HOME_ROWS = Prepared(_home_rows_query)
# its rows by name: peewee's namedtuples() makes a new class on every run (a tenth of the line's time)
_HomeRow = namedtuple("_HomeRow", ["month", "amount", "measure", "kwh", "kind", "meter_id", "contract_id", "number",
                                   "start_date", "end_date"])


def home_lines(person_ids) -> list[HomeLine]:
    """For the Startseite: per rental contract of the persons with values in the last 13 months, the newest month's
    heating (hot water where there is no heating meter) with its trend against the month before; one query."""
    person_ids = list(person_ids)
    if not person_ids:
        return []
    since = clock.add_months(clock.month_start(clock.today()), -SERIES_MONTHS)
    rows = _HOME_ROWS.rows("rental", since, *HOME_KINDS, *person_ids)
    contracts, by_contract = {}, defaultdict(lambda: defaultdict(dict))
    tenancies = {}
    for row in map(_HomeRow._make, rows):
        if row.contract_id not in contracts:
            contract = contracts[row.contract_id] = Contract(
                id=row.contract_id, number=row.number, start_date=_as_date(row.start_date),
                end_date=_as_date(row.end_date))
            tenancies[row.contract_id] = tenancy(contract)
        start, end = tenancies[row.contract_id]
        month = _as_date(row.month)
        if start <= month and (end is None or month <= end):
            by_contract[row.contract_id][row.kind, row.meter_id][month] = row
    lines = []
    for contract_id, by_meter in by_contract.items():
        kind = next((kind for kind in HOME_KINDS if any(key[0] == kind for key in by_meter)), None)
        meters = [_Meter(meter_id, 0, kind, min(months), max(months), frozenset(row.measure for row in months.values()),
                         all(row.kwh is not None for row in months.values()))
                  for (meter_kind, meter_id), months in by_meter.items() if meter_kind == kind]
        figures = _Kind(kind, meters, {meter.id: by_meter[kind, meter.id] for meter in meters})
        newest = _newest_month(meters)
        value = figures.value(newest)
        if value is None:
            continue
        previous = _comparison(figures, value, clock.add_months(newest, -1), newest, with_year=False)
        contract = contracts[contract_id]
        lines.append(HomeLine(contract_id, contract.number, Meter.KINDS[kind], newest, value, figures.unit, previous))
    return sorted(lines, key=lambda line: line.contract_number)
