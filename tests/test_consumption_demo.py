"""The demo's Verbrauch (seed-demo): the demo flats' meters with 36 full months ending last month, a winter curve,
the building's average user, readings that rise, one month missing and one corrected on Jürgen Müller's heat
meter; and the large data set's meters at 1 %."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from wir import clock
from wir.demo import builder, generator
from wir.demo.tables import CONSUMPTION_MONTHS, CORRECTED_MONTH, METERS, MISSING_MONTH
from wir.models import Consumption, Contract, Cooperative, Meter, Unit


def months_back(back: int) -> date:
    return clock.add_months(clock.today().replace(day=1), -back)


def rows_of(number: str) -> list[Consumption]:
    return list(Consumption.select().join(Meter).where(Meter.number == number).order_by(Consumption.month))


def meters_of(contract_number: str) -> list[Meter]:
    unit = Contract.get(Contract.number == contract_number).unit
    return list(Meter.select().where(Meter.unit == unit).order_by(Meter.id))


def test_juergen_has_36_months_ending_last_month_with_one_missing_and_one_corrected(data):
    meters = meters_of("MV-1001-0203")
    assert [(m.kind, m.measure) for m in meters] == [("heating", "kWh"), ("hot_water", "m³"), ("cold_water", "m³")]
    expected = [months_back(back) for back in range(CONSUMPTION_MONTHS, 0, -1)]
    assert expected[-1] == months_back(1) and len(expected) == 36
    for meter in meters:
        months = [row.month for row in rows_of(meter.number)]
        if meter.number == MISSING_MONTH[0]:
            assert months == [month for month in expected if month != months_back(MISSING_MONTH[1])]
        else:
            assert months == expected
    heat = {row.month: row for row in rows_of(MISSING_MONTH[0])}
    assert months_back(14) not in heat and MISSING_MONTH[1] == 14
    corrected = [month for month, row in heat.items() if row.corrected_at is not None]
    assert corrected == [months_back(CORRECTED_MONTH[1])]
    row = heat[corrected[0]]
    assert row.imported_at < row.corrected_at <= clock.now()


def test_every_demo_flat_with_a_tenant_has_its_meters(data):
    for contract in ("MV-1001-0203", "MV-1004-0112", "MV-1012-0405", "MV-2003-0001", "MV-301-0201", "MV-305-0302"):
        meters = meters_of(contract)
        assert meters and {m.kind for m in meters} == {"heating", "hot_water", "cold_water"}, contract
        for meter in meters:
            assert len(rows_of(meter.number)) >= CONSUMPTION_MONTHS - 1
    # Gisela Weiß's Lipsia flat: a heat meter in kWh; the Elsteraue flats count heating with Heizkostenverteiler
    assert [m.measure for m in meters_of("MV-1004-0112") if m.kind == "heating"] == ["kWh"]
    radiators = [m for m in meters_of("MV-301-0201") if m.kind == "heating"]
    assert len(radiators) == 3 and {m.measure for m in radiators} == {"Einheiten"}
    for row in rows_of(radiators[0].number):
        assert row.factor == Decimal("0.85") and row.kwh == (row.amount * row.factor).quantize(Decimal("0.001"))


def test_the_values_follow_a_winter_curve_and_the_readings_rise(data):
    for unit, (_per_m2, meters) in METERS.items():
        for number, kind, measure, factor, _share in meters:
            rows = rows_of(number)
            readings = [row.reading for row in rows]
            assert readings == sorted(readings) and len(set(readings)) == len(readings), number
            assert all(row.amount > 0 and row.measure == measure for row in rows), number
            if kind == "heating":
                by_month = {row.month: row.amount for row in rows}
                for january in (month for month in by_month if month.month == 1):
                    july = january.replace(month=7)
                    if july in by_month:
                        assert by_month[january] > 5 * by_month[july], (number, january)
            if kind != "cold_water":  # § 6a: heating and hot water in kWh
                assert all(row.kwh is not None for row in rows), number
            assert all(row.average_kwh is not None and row.average_kwh_per_m2 is not None for row in rows), number


def test_the_average_user_is_near_the_tenant_but_not_the_same(data):
    heat = rows_of("WMZ 61 1001 0203")
    ratios = [row.kwh / row.average_kwh for row in heat if row.month.month in (12, 1, 2)]
    assert all(Decimal("0.7") < ratio < Decimal("1.3") for ratio in ratios)
    assert any(row.kwh != row.average_kwh for row in heat)


def test_the_demo_values_are_the_same_on_every_run(data):
    """Seeded: building the demo's Verbrauch again gives the same meters and values."""
    def values():
        return sorted((meter.unit.number, meter.number, meter.kind, meter.measure, row.month, row.amount, row.kwh,
                       row.reading, row.average_kwh, row.average_kwh_per_m2, row.corrected_at is None)
                      for meter in Meter.select() for row in meter.consumptions)

    first = values()
    Consumption.delete().execute()
    Meter.delete().execute()
    again = builder.Builder(clock.now(), clock.today())
    again.units = {unit.number: unit for unit in Unit.select()}
    again.consumption()
    assert values() == first and len(first) == Consumption.select().count() > 700


@pytest.fixture
def large(app, data):
    return generator.generate(clock.now(), clock.today(), 0.01)


def test_the_large_data_gives_every_flat_three_kinds_of_meters_with_36_months(large):
    for slug in ("lipsia", "elsteraue"):
        flats = Unit.select().where((Unit.cooperative == Cooperative.get(Cooperative.slug == slug))
                                    & (Unit.kind == "flat"))
        kinds = Counter(Meter.select(Meter.unit, Meter.kind).where(Meter.unit.in_(flats)).distinct().tuples())
        assert len({unit for unit, _kind in kinds}) == flats.count()  # every flat, the demo's too
        assert len(kinds) == 3 * flats.count()
    generated = Meter.select().where(~Meter.number.in_([n for _p, ms in METERS.values() for n, *_ in ms]))
    per_meter = Counter(meter for (meter,) in Consumption.select(Consumption.meter)
                        .where(Consumption.meter.in_(generated)).tuples())
    assert set(per_meter.values()) == {CONSUMPTION_MONTHS}
    assert large["Consumption"] == sum(per_meter.values()) and large["Meter"] == generated.count()
    # a house's rows carry its average user, the same in every row of a kind and month
    months = {row.month for row in Consumption.select(Consumption.month).distinct()}
    assert max(months) == months_back(1) and min(months) == months_back(CONSUMPTION_MONTHS)



def test_the_demo_owes_nobody_a_mail_so_a_worker_sends_only_what_a_test_causes(data):
    """The demo's months count as told when they came: the worker's sweeps (Verbrauch hourly at minute 29, news and
    orders every ten minutes) queue nothing, so a test running a worker at such a minute gets only the mails it
    caused (CI once got four Verbrauch mails at 02:29). Each demo rental contract whose tenant has a login holds
    its notice of last month."""
    from wir.models import ConsumptionNotice, OutboxMail
    from wir.services.consumption import notices
    from wir.services.home import news
    from wir.services.staff import work_orders

    told = {notice.contract_id for notice in ConsumptionNotice.select().where(
        (ConsumptionNotice.month == months_back(1)) & (ConsumptionNotice.channel == "mail"))}
    assert Contract.get(Contract.number == "MV-1001-0203").id in told
    outbox = OutboxMail.select().count()
    assert (notices.announce(clock.today()), news.mail_due(), work_orders.mail_due()) == (0, 0, 0)
    assert OutboxMail.select().count() == outbox
