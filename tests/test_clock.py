"""The month arithmetic of wir.clock: every caller (Verbrauch, its notices, the Kündigung, the imports) counts
months with it."""

from datetime import date

import pytest

from wir import clock


@pytest.mark.parametrize("day, start, end", [
    (date(2026, 11, 17), date(2026, 11, 1), date(2026, 11, 30)),
    (date(2024, 2, 29), date(2024, 2, 1), date(2024, 2, 29)),  # a leap year
    (date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 28)),
    (date(2025, 12, 31), date(2025, 12, 1), date(2025, 12, 31)),
])
def test_month_start_and_end(day, start, end):
    assert (clock.month_start(day), clock.month_end(day)) == (start, end)


def test_months_before_are_full_months_newest_first_across_a_year_end():
    assert clock.months_before(date(2026, 2, 28), 3) == [date(2026, 1, 1), date(2025, 12, 1), date(2025, 11, 1)]
    assert clock.months_before(date(2026, 3, 1), 1) == [date(2026, 2, 1)]
    assert clock.months_before(date(2026, 3, 1), 0) == []


@pytest.mark.parametrize("text, month", [
    ("2026-11", date(2026, 11, 1)), ("11.2026", date(2026, 11, 1)), ("3.2025", date(2025, 3, 1)),
    (" 2026-01 ", date(2026, 1, 1)),
])
def test_parse_month(text, month):
    assert clock.parse_month(text) == month


@pytest.mark.parametrize("text, message", [
    ("2026-13", "Einen Monat 13 gibt es nicht."),
    ("00.2026", "Einen Monat 0 gibt es nicht."),
    ("1850-01", "Das Jahr 1850 ist nicht plausibel."),
    ("2026-1", "„2026-1“ ist kein Monat wie 11.2026 oder 2026-11."),
    ("30.11.2025", "„30.11.2025“ ist kein Monat wie 11.2026 oder 2026-11."),
    ("", "„“ ist kein Monat wie 11.2026 oder 2026-11."),
])
def test_parse_month_says_why_not(text, message):
    with pytest.raises(ValueError) as raised:
        clock.parse_month(text)
    assert str(raised.value) == message
