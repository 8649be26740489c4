"""Searching as Germans type: case, umlauts and accents folded alike on SQLite and PostgreSQL."""

from peewee import SqliteDatabase, fn

from wir import db


def register_functions(sqlite: SqliteDatabase) -> None:
    """SQLite's own lower() and LIKE fold only A-Z; contains_text and folded need Ä, Ö, Ü too."""
    sqlite.register_function(lambda text: text.lower() if isinstance(text, str) else text, "wir_lower", 1,
                             deterministic=True)
    sqlite.register_function(lambda text: fold(text) if isinstance(text, str) else text, "wir_fold", 1,
                             deterministic=True)


def contains_text(column, text: str):
    """``column`` contains ``text``, case-insensitive in every alphabet (Öztürk for "ÖZT"), with % and _ matched
    as themselves: ILIKE on PostgreSQL, Python's lower() on both sides on SQLite."""
    if db.is_sqlite():
        return fn.wir_lower(column).contains(text.lower())
    return column.contains(text)


# German spellings without umlauts: "Mueller" is how Müller is typed on a keyboard without them
UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))
# other Latin letters with marks as a German keyboard types them: "Yilmaz" for Yılmaz, "Zolc" for Żółć
ACCENTED = "áàâãåāăąçćčďđéèêëēėęěğíìîïīįıłńňñóòôõøōőřśšşťţúùûūůűųýÿźżž"
PLAIN = "aaaaaaaacccddeeeeeeeegiiiiiiilnnnooooooorsssttuuuuuuuyyzzz"
_PLAIN_LETTERS = str.maketrans(ACCENTED, PLAIN)


def fold(text: str) -> str:
    """``text`` as searches compare it: lower-case, umlauts and ß spelled out, other marks dropped
    ("MÜLLER", "Müller" → "mueller"; "Yılmaz" → "yilmaz")."""
    text = text.lower()
    for umlaut, spelled in UMLAUTS:
        text = text.replace(umlaut, spelled)
    return text.translate(_PLAIN_LETTERS)


def folded(expression):
    """``fold`` in SQL: the function registered on SQLite, lower() and replace() on PostgreSQL (whose lower()
    knows every alphabet). Compare it with ``fold`` of what was typed."""
    if db.is_sqlite():
        return fn.wir_fold(expression)
    expression = fn.LOWER(expression)
    for umlaut, spelled in UMLAUTS:
        expression = fn.REPLACE(expression, umlaut, spelled)
    return fn.TRANSLATE(expression, ACCENTED, PLAIN)
