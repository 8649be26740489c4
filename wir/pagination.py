"""One way to cut a list into pages, for every list of the portal (tenant and staff).

A view hands in the list as a peewee query and the page number as the request carries it::

    page = pagination.paginate(scope.tickets_of(user), request.args.get("seite"), config["PAGE_SIZE"])

and renders ``page.items`` with the ``pagination`` macro of ``templates/_pagination.html``.

The query's ORDER BY must end in a unique key (e.g. ``Ticket.id.desc()``): rows that tie on the
other keys (many created in the same second) would otherwise be shown on two pages or on none.
Two queries whatever the page: the count and the page's rows. No Flask here: services may use it.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    items: list
    page: int  # 1-based, always within 1..pages
    pages: int  # at least 1, also for an empty list
    total: int


def page_number(value) -> int:
    """The page asked for: "3" is 3; missing, "abc", "0" or "-1" is the first page."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate(query, page, size: int) -> Page:
    """The rows of page ``page`` (a number or the raw request value) of ``query``, ``size`` rows a page.

    A page past the end shows the last page, so a link to a page that has since emptied still shows rows.
    """
    total = query.count()
    pages = max(1, math.ceil(total / size))
    number = min(page_number(page), pages)
    return Page(list(query.paginate(number, size)), number, pages, total)
