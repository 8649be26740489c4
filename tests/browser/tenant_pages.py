"""Helpers shared by the browser tests of Verträge and Kontaktdaten (issue 4)."""

from urllib.parse import urlsplit


def tenant(demo_logins: dict, email_start: str) -> dict:
    """The demo tenant whose e-mail starts so."""
    return next(t for t in demo_logins["tenants"] if t["email"].startswith(email_start))


def path_of(page) -> str:
    return urlsplit(page.url).path


def unexpected_errors(page) -> list[str]:
    """Console errors, except the 422 of an invalid form (the browser logs it; htmx swaps it in)."""
    return [e for e in page.wir_console_errors if "status of 422" not in e]
