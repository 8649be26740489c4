"""The § 6a figures (wir.services.consumption.info) as tables with frozen dates: year ends, missing months,
corrected months, Heizkostenverteiler summed with factors, the per-m² comparison, no data at all."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from wir import clock
from wir.models import Consumption, Contract, Meter, Unit
from wir.services.consumption import info

D = Decimal


def _meter(contract, number, kind="heating", measure="kWh"):
    return Meter.create(unit=contract.unit, number=number, kind=kind, measure=measure)


def _values(meter, values: dict, factor=None, measure=None, **extra):
    """values: "2025-11" → amount (None: no row)."""
    for key, amount in values.items():
        if amount is None:
            continue
        measure_ = measure or meter.measure
        kwh = D(amount) if measure_ == "kWh" else (D(amount) * factor if factor is not None else None)
        Consumption.create(meter=meter, month=clock.parse_month(key), amount=D(amount), measure=measure_,
                           factor=factor, kwh=kwh, **extra)


def _reload(contract):
    return Contract.select(Contract, Unit).join(Unit).where(Contract.id == contract.id).get()


def _months(start: str, amounts: list) -> dict:
    month = clock.parse_month(start)
    result = {}
    for amount in amounts:
        result[info.month_key(month)] = amount
        month = clock.add_months(month, 1)
    return result


def test_a_january_compares_with_december_and_the_january_a_year_before(flat):
    meter = _meter(flat, "H1")
    _values(meter, {"2025-01": 500, "2025-12": 400, "2026-01": 460})

    heating, = info.for_contract(_reload(flat)).kinds

    assert heating.month == date(2026, 1, 1) and heating.value == 460 and heating.unit == "kWh"
    assert (heating.previous.month, heating.previous.value, heating.previous.change) == (date(2025, 12, 1), 400, 15)
    assert heating.previous.label == "+15\u00a0%"
    assert heating.previous.words == "mehr als im Dezember 2025"  # another year: with its year
    assert (heating.year_ago.change, heating.year_ago.label) == (-8, "−8\u00a0%")
    assert heating.year_ago.words == "weniger als im Januar 2025"


@pytest.mark.parametrize("shown, previous, change, words", [
    (400, 400, 0, "gleich viel wie im Oktober"),
    (401, 400, 0, "etwa so viel wie im Oktober"),  # rounds to 0 %, but is not the same
    (300, 400, -25, "weniger als im Oktober"),
    (412, 349, 18, "mehr als im Oktober"),
])
def test_the_change_in_percent_and_words(flat, shown, previous, change, words):
    meter = _meter(flat, "H1")
    _values(meter, {"2026-10": previous, "2026-11": shown})

    heating, = info.for_contract(_reload(flat)).kinds

    assert (heating.previous.change, heating.previous.words) == (change, words)


def test_missing_months_are_missing_never_zero(flat):
    meter = _meter(flat, "H1")
    _values(meter, _months("2025-01", [500, 480, None, 300] + [100] * 6 + [None, 420, 450]))  # to 2026-01

    this = info.for_contract(_reload(flat), date(2025, 4, 1))
    heating, = this.kinds
    assert heating.value == 300 and heating.previous.missing and heating.previous.change is None
    assert heating.previous.missing_text == "Für März liegen keine Werte vor."
    assert heating.year_ago.missing and heating.year_ago.missing_text == "Für April 2024 liegen keine Werte vor."

    missing = info.for_contract(_reload(flat), date(2025, 11, 1)).kinds[0]
    assert missing.value is None and missing.missing_text == "Für November 2025 liegen keine Werte vor."
    assert missing.previous.direction is None and missing.average is None

    newest = info.for_contract(_reload(flat)).kinds[0]
    series = {point.month: point for point in newest.series}
    assert len(newest.series) == 13 and newest.series[0].month == date(2025, 1, 1)
    assert series[date(2025, 3, 1)].value is None and series[date(2025, 11, 1)].value is None
    assert series[date(2026, 1, 1)].year_before == 500 and series[date(2025, 12, 1)].year_before is None


def test_heat_cost_allocators_are_summed_with_their_factors_and_one_missing_makes_the_month_missing(flat):
    living, bath = _meter(flat, "HKV1", measure="Einheiten"), _meter(flat, "HKV2", measure="Einheiten")
    _values(living, {"2026-09": 100, "2026-10": 120, "2026-11": 150}, factor=D("2.5"))
    _values(bath, {"2026-09": 40, "2026-11": 60}, factor=D("2"))  # October's is missing

    heating, = info.for_contract(_reload(flat)).kinds

    assert heating.unit == "kWh" and heating.value == D("150") * D("2.5") + 60 * 2  # 495
    assert heating.previous.missing  # October: the bath's allocator has no value
    assert info.for_contract(_reload(flat), date(2026, 9, 1)).kinds[0].value == 250 + 80


def test_a_replaced_meter_does_not_make_later_months_missing(flat):
    old, new = _meter(flat, "H-alt"), _meter(flat, "H-neu")
    _values(old, {"2026-08": 100, "2026-09": 110})
    _values(new, {"2026-10": 130, "2026-11": 140})

    heating, = info.for_contract(_reload(flat)).kinds

    assert (heating.value, heating.previous.value) == (140, 130)
    assert [point.value for point in heating.series[-4:]] == [100, 110, 130, 140]


def test_a_radiator_without_the_newest_month_makes_it_missing(flat, monkeypatch):
    living, bath = _meter(flat, "HKV1", measure="Einheiten"), _meter(flat, "HKV2", measure="Einheiten")
    _values(living, {"2026-10": 250, "2026-11": 375}, factor=D(1))
    _values(bath, {"2026-10": 120}, factor=D(1))  # November not delivered yet

    this = info.for_contract(_reload(flat))

    heating, = this.kinds
    assert this.month == date(2026, 11, 1) and heating.value is None  # not 375 as if the bath used nothing
    assert heating.series[-2].value == 370 and heating.series[-1].value is None
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 10, 9, 0))
    assert not [line for line in info.home_lines([flat.parties.first().person_id]) if line.contract_id == flat.id]


def test_a_meter_exchanged_within_a_month_counts_until_then(flat):
    old, new = _meter(flat, "H-alt"), _meter(flat, "H-neu")
    _values(old, {"2026-08": 100, "2026-09": 40})  # exchanged in September: both have part of it
    _values(new, {"2026-09": 70, "2026-10": 130})

    heating, = info.for_contract(_reload(flat)).kinds

    assert [point.value for point in heating.series[-3:]] == [100, 110, 130]


def test_hot_water_in_m3_stays_in_m3_and_meets_its_average_in_m3(flat):
    water = _meter(flat, "W1", kind="hot_water", measure="m³")
    _values(water, {"2023-02": D("3.0")}, average_kwh=D("4.0"))  # no factor: m³, its average in m³
    _values(water, {"2026-10": D("3.5"), "2026-11": D("4.0")}, factor=D(60), average_kwh=D(300),
            average_kwh_per_m2=None)  # with the factor: the average in kWh (300 kWh = 5 m³)

    november, = info.for_contract(_reload(flat)).kinds
    long_ago, = info.for_contract(_reload(flat), date(2023, 2, 1)).kinds

    assert (november.unit, november.value, long_ago.unit) == ("m³", D("4.0"), "m³")  # the unit does not jump
    assert (november.average.average, november.average.unit, november.average.change) == (D("5.0"), "m³", -20)
    assert (long_ago.average.average, long_ago.average.change) == (D("4.0"), -25)
    assert "in m³ gemessen" in november.unit_note


def test_allocators_without_a_factor_stay_in_units_and_water_in_cubic_metres(flat):
    _values(_meter(flat, "HKV1", measure="Einheiten"), {"2026-10": 12, "2026-11": 15}, average_kwh=D("20"))
    _values(_meter(flat, "K1", kind="cold_water", measure="m³"), {"2026-10": D("3.2"), "2026-11": D("3.6")},
            average_kwh=D("3.0"))

    heating, water = info.for_contract(_reload(flat)).kinds

    assert (heating.unit, heating.value, heating.amount(heating.value)) == ("Einheiten", 15, "15 Einheiten")
    assert heating.average is None  # Einheiten are not compared with the average user's kWh
    assert "Heizkostenverteiler" in heating.unit_note and water.unit_note == ""
    assert (water.label, water.unit, water.amount(water.value)) == ("Kaltwasser", "m³", "3,6 m³")
    assert (water.average.average, water.average.change, water.average.per_m2) == (D("3.0"), 20, False)
    assert water.average.amount(water.average.average) == "3,0 m³"
    assert water.average.words == "mehr als der Durchschnitt"


def test_the_average_user_per_square_metre(flat):
    _values(_meter(flat, "H1"), {"2026-11": 500}, average_kwh=D("700"), average_kwh_per_m2=D("10.0"))

    average = info.for_contract(_reload(flat)).kinds[0].average

    # 500 kWh on 62.5 m² are 8.0 kWh/m²: 20 % below the average user's 10 kWh/m²
    assert (average.per_m2, average.yours, average.average, average.unit) == (True, D("8.0"), D("10.0"), "kWh/m²")
    assert (average.change, average.label, average.words) == (-20, "−20\u00a0%", "weniger als der Durchschnitt")


def test_water_per_square_metre(flat):
    _values(_meter(flat, "K1", kind="cold_water", measure="m³"), {"2026-11": D("4.5")}, average_kwh=D("4.6"),
            average_kwh_per_m2=D("0.074"))

    average = info.for_contract(_reload(flat)).kinds[0].average

    assert (average.yours, average.unit, average.amount(average.yours), average.change) == (
        D("0.072"), "m³/m²", "0,072 m³/m²", -3)


def test_a_corrected_month_says_when(flat):
    _values(_meter(flat, "H1"), {"2026-10": 100})
    _values(_meter(flat, "W1", kind="hot_water"), {"2026-10": 50}, corrected_at=datetime(2026, 11, 20, 9, 0))

    this = info.for_contract(_reload(flat))

    assert [kind.corrected_at for kind in this.kinds] == [None, datetime(2026, 11, 20, 9, 0)]
    assert this.corrected_at == datetime(2026, 11, 20, 9, 0)


def test_the_previous_tenants_months_are_not_shown(flat):
    _values(_meter(flat, "H1"), _months("2022-11", [300] * 6))  # 2022-11 … 2023-04; the tenancy starts 2023-01

    this = info.for_contract(_reload(flat), date(2023, 1, 1))

    assert this.first_month == date(2023, 1, 1) and this.last_month == date(2023, 4, 1)
    assert this.kinds[0].value == 300 and this.kinds[0].previous.missing
    assert info.for_contract(_reload(flat), date(2022, 12, 1)).kinds == ()
    assert this.earlier_month is None and this.later_month == date(2023, 2, 1)


def test_the_startseite_line_shows_only_the_tenancys_months(flat, monkeypatch):
    """The months before the move-in and after the move-out are another tenant's: neither the line's month nor
    its trend comes from them."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 10, 9, 0))
    _values(_meter(flat, "H1"), {"2026-08": 500, "2026-09": 200, "2026-10": 240, "2026-11": 999})
    person_id = flat.parties.first().person_id

    def line():
        return next(line for line in info.home_lines([person_id]) if line.contract_id == flat.id)

    Contract.update(start_date=date(2026, 9, 20), end_date=date(2026, 10, 31)).where(Contract.id == flat.id).execute()
    assert (line().month, line().amount, line().trend) == (date(2026, 10, 1), "240 kWh", "20\u00a0% mehr als im September")
    Contract.update(start_date=date(2026, 10, 1)).where(Contract.id == flat.id).execute()
    assert (line().month, line().amount, line().trend) == (date(2026, 10, 1), "240 kWh", "")


def test_no_meters_or_no_values(flat):
    nothing = info.for_contract(_reload(flat))
    assert (nothing.month, nothing.kinds, nothing.has_values, nothing.months) == (None, (), False, ())
    _meter(flat, "H1")
    assert info.for_contract(_reload(flat)).has_values is False


def test_the_month_chooser_and_its_neighbours(flat):
    _values(_meter(flat, "H1"), _months("2026-01", [100] * 11))  # January … November 2026

    this = info.for_contract(_reload(flat), date(2026, 6, 1))

    assert this.months[0] == date(2026, 11, 1) and this.months[-1] == date(2026, 1, 1) and len(this.months) == 11
    assert (this.earlier_month, this.later_month) == (date(2026, 5, 1), date(2026, 7, 1))


def test_for_contract_runs_two_queries(flat, count_queries):
    for number in ("H1", "H2"):
        _values(_meter(flat, number), _months("2024-01", [100] * 35))
    contract = _reload(flat)
    with count_queries() as queries:
        this = info.for_contract(contract)
    assert queries.count == 2 and this.kinds[0].value == 200


def test_many_contracts_in_two_queries(flat, count_queries):
    _values(_meter(flat, "H1"), _months("2026-01", [100, 120]))
    other = Contract.create(cooperative=flat.cooperative, kind="rental", number="MV-T-0002",
                            unit=Unit.create(cooperative=flat.cooperative, kind="flat", number="T-0002",
                                             street="Testweg 2", postcode="04109", city="Leipzig"),
                            start_date=date(2020, 1, 1))
    _values(_meter(other, "H9"), _months("2026-01", [50, 40]))
    contracts = list(Contract.select(Contract, Unit).join(Unit).where(Contract.id.in_([flat.id, other.id])))

    with count_queries() as queries:
        infos = info.infos_of(contracts, date(2026, 2, 1))

    assert queries.count == 2
    assert infos[flat.id].kinds[0].previous.change == 20 and infos[other.id].kinds[0].previous.change == -20


def test_the_startseite_line(flat, monkeypatch, count_queries):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 10, 9, 0))
    _values(_meter(flat, "H1"), {"2026-10": 349, "2026-11": 412})
    _values(_meter(flat, "W1", kind="hot_water"), {"2026-11": 80})

    person_id = flat.parties.first().person_id

    with count_queries() as queries:
        lines = info.home_lines([person_id])

    line, = [line for line in lines if line.contract_id == flat.id]

    assert queries.count == 1
    assert (line.kind_label, line.month, line.amount, line.trend) == (
        "Heizung", date(2026, 11, 1), "412 kWh", "18\u00a0% mehr als im Oktober")
