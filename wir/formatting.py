"""Numbers, dates, phone numbers, IBANs and Steuer-IDs printed the German way.

Pure functions for pages (wir.filters registers them with Jinja), mails, PDFs and services alike;
this module imports nothing of ours but the clock, so any layer may use it.
"""

import re
from datetime import date, datetime
from decimal import Decimal

import phonenumbers
from markupsafe import Markup, escape

from wir import clock

PHONE_REGION = "DE"  # numbers without +49/0049 are German
MASK = "•"


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


def percent(value: Decimal | None) -> str:
    """A rate with two decimal places, three when it needs them: "0,25 %", "0,125 %"."""
    if value is None:
        return "–"
    places = 3 if Decimal(value) % Decimal("0.01") else 2
    return f"{number(value, places)} %"


def german_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "–"


MONTH_NAMES = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
               "November", "Dezember")


def german_month(value: date | None, with_year: bool = True) -> str:
    """ "November 2026" (or "November"): a month of the Verbrauchsinformation, never by the locale."""
    if value is None:
        return "–"
    name = MONTH_NAMES[value.month - 1]
    return f"{name} {value.year}" if with_year else name


def german_local_date(value: datetime | None) -> str:
    """The day of a stored UTC time in Leipzig (a news item from midnight is dated that day, not the one before)."""
    return clock.to_local(value).strftime("%d.%m.%Y") if value else "–"


def german_datetime(value: datetime | None) -> str:
    """A stored UTC time shown in Leipzig time."""
    return clock.to_local(value).strftime("%d.%m.%Y, %H:%M Uhr") if value else "–"


def kilobytes(size: int) -> int:
    """A file's size in whole KB, at least 1 (a file of 300 bytes is not "0 KB")."""
    return max(1, round(size / 1024))


def counted(count: int, singular: str, plural: str) -> str:
    """A number with its noun in the right form: "1 Datei", "3 Dateien", "0 Dateien" (1.234 grouped the German way).

    ``singular`` and ``plural`` are the whole words after the number, adjectives included, so that they agree:
    counted(n, "zugeordnete Datei", "zugeordnete Dateien").
    """
    return f"{number(count)} {singular if count == 1 else plural}"


# the contact person as a tenant addresses them, by the Anrede the cooperative keeps (ContactPerson.salutation)
_CONTACT_TITLES = {"frau": ("Ansprechpartnerin", "Ihre"), "herr": ("Ansprechpartner", "Ihr")}
_CONTACT_TITLE_UNKNOWN = ("Ansprechperson", "Ihre")


def salutation_key(salutation: str | None) -> str:
    """An Anrede as the ERP spells it („Frau“, „ HERR“, none) reduced to one word to look it up by: "frau", "herr", ""."""
    return (salutation or "").strip().lower()


def contact_title(salutation: str | None, possessive: bool = True) -> str:
    """„Ihre Ansprechpartnerin“ for Frau, „Ihr Ansprechpartner“ for Herr, „Ihre Ansprechperson“ otherwise
    (no Anrede, or one such as „Divers“); without ``possessive`` the noun alone."""
    noun, pronoun = _CONTACT_TITLES.get(salutation_key(salutation), _CONTACT_TITLE_UNKNOWN)
    return f"{pronoun} {noun}" if possessive else noun


def greeting(salutation: str | None, last_name: str, full_name: str) -> str:
    """How a letter or an answer greets a person: „Sehr geehrte Frau Weiß“, „Sehr geehrter Herr Müller“, and
    „Guten Tag Gisela Weiß“ without an Anrede (or one such as „Divers“)."""
    key = salutation_key(salutation)
    if key == "frau":
        return f"Sehr geehrte Frau {last_name}"
    if key == "herr":
        return f"Sehr geehrter Herr {last_name}"
    return f"Guten Tag {full_name}"


def phone(number: str) -> str:
    """German numbers as dialled at home (0341 4928713), others internationally (+44 20 7946 0958)."""
    try:
        parsed = phonenumbers.parse(number, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return number
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(parsed, style.NATIONAL if parsed.country_code == 49 else style.INTERNATIONAL)


def tel(number: str) -> str:
    """The dialable form of a phone number for tel: links (digits and a leading +)."""
    return ("+" if number.strip().startswith("+") else "") + "".join(c for c in number if c.isdigit())


def compact_iban(text: str) -> str:
    """Without spaces (any kind) and in capitals: how people type it from their bank card."""
    return "".join((text or "").split()).upper()


def grouped_iban(iban: str) -> str:
    """The whole IBAN in groups of four, as it is printed: "DE02 1203 0000 0000 2020 51" (only where it may be seen)."""
    compact = compact_iban(iban)
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def masked_iban(iban: str) -> str:
    """All but the last four characters hidden, in groups of four: "•••• •••• •••• •••• ••30 00"."""
    compact = compact_iban(iban)
    return grouped_iban(MASK * max(len(compact) - 4, 0) + compact[-4:])


def masked_tax_id(value: str) -> str:
    """All but the last three digits of a Steuer-ID hidden, grouped as the tax office prints it ("36 574 261 809"):
    "•• ••• ••• 809". The full number is shown only where it is typed and in the person's own data download."""
    digits = "".join(c for c in value or "" if c.isdigit())
    if not digits:
        return "–"
    hidden = MASK * max(len(digits) - 3, 0) + digits[-3:]
    return " ".join(part for part in (hidden[:2], hidden[2:5], hidden[5:8], hidden[8:]) if part)


# an http(s) address up to the next space, quote or angle bracket; punctuation at its end belongs to the sentence
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_SENTENCE_END = ".,;:!?'\"»«“”„)]}"


def _linked(text: str) -> Markup:
    """One line with its http(s) addresses as links; everything else escaped, piece by piece."""
    parts, position = [], 0
    for found in _URL.finditer(text):
        url = found.group(0)
        while url and url[-1] in _SENTENCE_END and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if len(url) <= len("https://"):
            continue
        parts.append(escape(text[position:found.start()]))
        parts.append(Markup('<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>').format(url))
        position = found.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def paragraphs(text: str | None) -> Markup:
    """Plain text as HTML: a blank line starts a paragraph, a line break stays one, http(s) addresses become
    links. No HTML of the text is ever rendered: it is escaped, then only our own <p>, <br> and <a> are added."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    blocks = [block.strip("\n") for block in re.split(r"\n[ \t]*\n", text) if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linked(line) for line in block.split("\n")))
        for block in blocks
    )
