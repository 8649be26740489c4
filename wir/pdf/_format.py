"""Numbers the way German certificates print them."""

from decimal import Decimal

from wir.formatting import number


def rooms(value: Decimal | None) -> str:
    """3 → "3", 2.5 → "2,5"."""
    if value is None:
        return "–"
    return number(value, 0 if value == value.to_integral_value() else 1)


def area(value: Decimal | None) -> str:
    return "–" if value is None else f"{number(value, 2)} m²"
