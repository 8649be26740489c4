"""The one rule for free text typed into the portal: a message, a reason, a title, a name.

Refused, with a German message next to the field: control characters (NUL among them, which PostgreSQL cannot
store in text) other than tab and line breaks, and the bidirectional embeddings, overrides and isolates
(U+202A–U+202E, U+2066–U+2069), which make a text read differently from what it holds ("Trojan Source"), in a
page, a mail or a PDF. Text that goes into a PDF must also be printable with the PDF's font.
"""

import re

from wir.pdf.charset import unprintable
from wir.services.rejections import Rejected

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
FORBIDDEN_MESSAGE = "Der Text enthält Steuerzeichen. Bitte entfernen Sie sie."


# what a spreadsheet may take for the start of a formula (OWASP CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """Text for a CSV cell as a spreadsheet shows it, never runs it: "'=HYPERLINK(…)" for "=HYPERLINK(…)". Every
    CSV the portal writes passes its texts (not its numbers) through it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def forbidden(text: str) -> bool:
    return FORBIDDEN.search(text or "") is not None


def shown_limit(limit: int) -> str:
    """A length as the messages say it: DIN 5008 groups from 10.000 on (2000, 10.000)."""
    return f"{limit:,}".replace(",", ".") if limit >= 10_000 else str(limit)


def check(field: str, text: str, empty: str | None, limit: int, printable: bool = False) -> str:
    """``text`` stripped, with Windows line breaks made plain; raises Rejected(field). ``empty`` is the message for
    a missing text (None: it may be empty); ``printable``: it goes into a PDF."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        if empty is None:
            return text
        raise Rejected(field, empty)
    if len(text) > limit:
        raise Rejected(field, f"Höchstens {shown_limit(limit)} Zeichen.")
    if printable:
        require_printable(field, text)
    elif forbidden(text):
        raise Rejected(field, FORBIDDEN_MESSAGE)
    return text


def require_printable(field: str, text: str) -> None:
    """What goes into a PDF: nothing the text rule forbids, and printable with its font (no boxes instead of
    letters)."""
    if forbidden(text):
        raise Rejected(field, FORBIDDEN_MESSAGE)
    missing = unprintable(text)
    if missing:
        shown = " ".join(missing[:5])
        raise Rejected(field, f"Diese Zeichen können wir nicht drucken: {shown}. Bitte schreiben Sie ohne sie.")


def one_line(text: str) -> str:
    """A text shown on one line (a file's name): forbidden characters and line breaks become single spaces."""
    return " ".join(FORBIDDEN.sub(" ", text or "").split())
