"""Startseite: what is new for a person since they last looked."""

from wir import db
from wir.models import Ticket


def _tickets_with_news_query(*values):  # the persons' ids, then the limit
    *person_ids, limit = values
    return (
        Ticket.select()
        .where(Ticket.person.in_(person_ids) & Ticket.unseen())
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )


_TICKETS_WITH_NEWS = db.Prepared(_tickets_with_news_query)


def tickets_with_news(persons, limit: int = 5) -> list[Ticket]:
    """The persons' tickets with an answer or status change the tenant has not seen, latest change first."""
    if not persons:
        return []
    return _TICKETS_WITH_NEWS.rows(*[person.id for person in persons], limit)
