"""One rule for a typed name and a stored one, wherever they meet: registration (the last name beside the
Registrierungsnummer), the number request's matching and the staff search.

"Schuetz", "SCHÜTZ" and " schütz " are Schütz, "Mueller-Luedenscheidt" and "müller lüdenscheidt" are
Müller-Lüdenscheidt, "Weiss" is Weiß; "Schutz" is not Schütz (u is not ü).
"""

import re
import unicodedata

from peewee import fn

from wir.db import search


def fold(text: str) -> str:
    """``text`` as names are compared: NFKC (a ü typed as u and a combining mark is ü), then ``search.fold`` (case,
    umlauts and ß spelled out, other marks dropped), a hyphen or a run of spaces as one space, no surrounding
    spaces: "Müller-Lüdenscheidt", " mueller  luedenscheidt" → "mueller luedenscheidt"."""
    return re.sub(r"[\s-]+", " ", search.fold(unicodedata.normalize("NFKC", text))).strip()


def folded(expression):
    """``fold`` of a stored value in SQL (stored names come trimmed, with single spaces)."""
    return fn.REPLACE(search.folded(expression), "-", " ")


def same(typed: str, stored: str) -> bool:
    return fold(typed) == fold(stored)
