"""Integers from the address, bounded to what the database can store: route arguments (``<int:...>``) and query
parameters alike.

Ids are PostgreSQL ``serial`` columns, 32 bits wide: a larger number names no row, and binding it fails
(PostgreSQL refuses above 2**31 - 1, SQLite above 2**63 - 1) instead of finding nothing. So such a number is
treated like any other that names nothing or is not a number at all.
"""

from datetime import MAXYEAR, MINYEAR

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` of every route (registered for the name "int" in create_app): a number above MAX_ID
    matches no route, so it is not found (404) like an unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def bounded_int(text, low: int = -MAX_ID, high: int = MAX_ID) -> int:
    """A query parameter's integer, for ``request.args.get(name, type=bounded_int)``: ValueError (so the
    parameter counts as missing or invalid, as "abc" does) when it is no number or outside ``low``..``high``."""
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"out of range: {text}")
    return number


def year(text) -> int:
    """A year a filter may name, like bounded_int: one whose neighbours are dates too, so its first and last moment
    exist in any time zone."""
    return bounded_int(text, MINYEAR + 1, MAXYEAR - 1)
