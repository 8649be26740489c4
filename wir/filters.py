"""Jinja filters that print numbers and dates the German way."""

from datetime import date, datetime
from decimal import Decimal

from wir import clock


def money(value: Decimal | None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def number(value, places: int = 0) -> str:
    if value is None:
        return "–"
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def german_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "–"


def german_datetime(value: datetime | None) -> str:
    """A stored UTC time shown in Leipzig time."""
    return clock.to_local(value).strftime("%d.%m.%Y, %H:%M Uhr") if value else "–"


def tel(number: str) -> str:
    """The dialable form of a phone number for tel: links (digits and a leading +)."""
    return ("+" if number.strip().startswith("+") else "") + "".join(c for c in number if c.isdigit())


def init_app(app):
    from wir.services.bank_accounts import masked
    from wir.services.phones import readable

    app.add_template_filter(readable, "phone")
    app.add_template_filter(masked, "masked_iban")
    app.add_template_filter(money)
    app.add_template_filter(number)
    app.add_template_filter(german_date, "date")
    app.add_template_filter(german_datetime, "datetime")
    app.add_template_filter(tel)
