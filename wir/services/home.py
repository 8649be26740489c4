"""Startseite: what is new for a person since they last looked."""

from wir.models import Ticket


def tickets_with_news(persons, limit: int = 5) -> list[Ticket]:
    """The persons' tickets with an answer or status change the tenant has not seen, latest change first."""
    if not persons:
        return []
    return list(
        Ticket.select()
        .where(Ticket.person.in_([person.id for person in persons]) & Ticket.unseen())
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
