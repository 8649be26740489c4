"""One way to cut a list into pages, for every list of the portal (tenant and staff).

A view hands in the list as a peewee query and the page number as the request carries it::

    page = pagination.paginate(news.staff_news(user), request.args.get("seite"), config["PAGE_SIZE"])

and renders ``page.items`` with the ``pagination`` macro of ``templates/_pagination.html``. A list that counts
in a query of its own making hands the count and a way to fetch a page to ``counted_page`` instead.

The query's ORDER BY must end in a unique key (e.g. ``Ticket.id.desc()``): rows that tie on the
other keys (many created in the same second) would otherwise be shown on two pages or on none.
Two queries whatever the page: the count and the page's rows. No Flask here: services may use it.

A list that may grow long (an account's Umsätze, staff lists) is cut at a position instead (keyset
pagination): ``slice_at`` takes the query and its unique sort key, newest first, and the position the
request carries; no count and no offset, so the thousandth page is as fast as the first. Render it with
the ``keyset_pagination`` macro.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import and_, or_

from peewee import DateField, DateTimeField, IntegerField

from wir.converters import bounded_int


@dataclass(frozen=True)
class Page:
    items: list
    page: int  # 1-based, always within 1..pages
    pages: int  # at least 1, also for an empty list
    total: int


def page_number(value) -> int:
    """The page asked for: "3" is 3; missing, "abc", "0", "-1" or a number beyond any id is the first page."""
    try:
        number = bounded_int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate(query, page, size: int) -> Page:
    """The rows of page ``page`` (a number or the raw request value) of ``query``, ``size`` rows a page.

    A page past the end shows the last page, so a link to a page that has since emptied still shows rows.
    """
    return counted_page(query.count(), page, size, lambda number: list(query.paginate(number, size)))


def counted_page(total: int, page, size: int, rows) -> Page:
    """The page ``page`` of a list of ``total`` rows whose query counts and fetches in its own way (the Meldungen
    list counts in the query that also finds its last change, Dokumente in the one that finds the years to filter
    by, the staff queue without the joins of its rows); ``rows(number)`` gives page ``number``'s rows."""
    pages = max(1, math.ceil(total / size))
    number = min(page_number(page), pages)
    return Page(rows(number), number, pages, total)


@dataclass(frozen=True)
class Slice:
    """A page of a list cut at a position; the links to its neighbours carry their positions."""

    items: list
    newer: str | None  # the position for the page before this one (``before``), None on the first page
    older: str | None  # the position for the page after it (``after``), None on the last page


def _parse(field, text: str):
    if isinstance(field, DateTimeField):
        return datetime.fromisoformat(text)
    if isinstance(field, DateField):
        return date.fromisoformat(text)
    if isinstance(field, IntegerField):  # ids too (AutoField is one)
        return bounded_int(text)
    raise TypeError(f"a keyset key is a date, a time or a number, not {field!r}")


def position_of(row, keys) -> str:
    """The row's position in the list: its key values, e.g. "2026-05-04_1234"."""
    return _position(getattr(row, key.name) for key in keys)


def _position(values) -> str:
    return "_".join(str(value) for value in values)


def parse_position(text, keys) -> tuple | None:
    """The key values of a position the request carries; None when it is missing or malformed."""
    parts = (text or "").split("_")
    if len(parts) != len(keys):
        return None
    try:
        return tuple(_parse(key, part) for key, part in zip(keys, parts))
    except ValueError:
        return None


def _beyond(keys, values, older: bool):
    """Rows after the position in the list's order (older) or before it (newer), as SQL.

    The first key's bound (<= or >=) is repeated on its own, so that the index starts at the position."""
    def past(key, value):
        return key < value if older else key > value

    alternatives = [
        reduce(and_, [key == value for key, value in zip(keys[:i], values[:i])] + [past(keys[i], values[i])])
        for i in range(len(keys))
    ]
    first_bound = keys[0] <= values[0] if older else keys[0] >= values[0]
    return first_bound & reduce(or_, alternatives)


def slice_at(query, keys, size: int, after=None, before=None) -> Slice:
    """The ``size`` rows of ``query`` after the position ``after`` (older) or before ``before`` (newer),
    or the first rows without either. The list is ordered by ``keys`` descending, newest first; the last
    key must be unique (an id). A malformed position counts as none. At most two queries: the rows
    (one more than shown tells whether more follow) and, away from the start, whether any lie on the other side.
    """
    keys = tuple(keys)
    position = parse_position(before, keys)
    older = position is None  # the direction: away from the newest rows, unless ``before`` asks back
    if older:
        position = parse_position(after, keys)
        chosen = query.where(_beyond(keys, position, older=True)) if position else query
        rows = list(chosen.order_by(*[key.desc() for key in keys]).limit(size + 1))
        more, rows = len(rows) > size, rows[:size]
    else:
        rows = list(query.where(_beyond(keys, position, older=False)).order_by(*keys).limit(size + 1))
        more, rows = len(rows) > size, rows[:size][::-1]
    if position is None:  # the start of the list: nothing newer
        return Slice(rows, None, position_of(rows[-1], keys) if more else None)
    # the other side: rows beyond this page's edge (or beyond the position, when the page is empty)
    edge = tuple(getattr(rows[0 if older else -1], key.name) for key in keys) if rows else position
    # the nearest row there, read in the index's order (an EXISTS lets PostgreSQL scan the table for any row)
    nearest = [key.asc() if older else key.desc() for key in keys]
    beyond = query.where(_beyond(keys, edge, older=not older)).order_by(*nearest).limit(1).select(keys[-1])
    other = _position(edge) if beyond.scalar() is not None else None
    if older:
        return Slice(rows, other, position_of(rows[-1], keys) if more else None)
    return Slice(rows, position_of(rows[0], keys) if more else None, other)
