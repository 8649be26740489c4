"""Startseite: what is new for a person since they last looked."""

from datetime import datetime
from typing import NamedTuple

from peewee import JOIN

from wir.db.prepared import Prepared
from wir.models import Document, Ticket, User
from wir.services.consumption import info
from wir.services.documents.documents import ListedDocument

# the Startseite's rows as tuples of the columns it shows: peewee building a model of every column of each row
# took longer than the queries


def _new_documents_query(*values):  # the tenants' role, the persons' ids, then the limit
    tenant_role, *person_ids, limit = values
    return (
        Document.select(Document.number, Document.title, Document.kind, Document.created_at, Document.size,
                        Document.read_at)
        # the creator when it is a tenant: documents the tenant made themselves (receipts, certificates, forms)
        .join(User, JOIN.LEFT_OUTER, on=(Document.created_by == User.id) & (User.role == tenant_role))
        .where(Document.person.in_(person_ids) & Document.read_at.is_null())
        # the cooperative's (a clerk's, a batch's) first: never pushed out of the box by the tenant's own
        .order_by(User.id.is_null(False), Document.created_at.desc(), Document.id.desc())
        .limit(limit)
        .tuples()
    )


_NEW_DOCUMENTS = Prepared(_new_documents_query)


def new_documents(persons, limit: int = 5) -> list[ListedDocument]:
    """The persons' documents not opened yet: the cooperative's newest first, then those the tenant made."""
    if not persons:
        return []
    rows = _NEW_DOCUMENTS.rows(User.ROLE_TENANT, *[person.id for person in persons], limit)
    return [ListedDocument(*row, contract_label=None) for row in rows]  # the Startseite names no contract


class TicketWithNews(NamedTuple):
    number: str
    subject: str
    status: str
    updated_at: datetime


def _tickets_with_news_query(*values):  # the persons' ids, then the limit
    *person_ids, limit = values
    return (
        Ticket.select(Ticket.number, Ticket.subject, Ticket.status, Ticket.updated_at)
        .where(Ticket.person.in_(person_ids) & Ticket.unseen())
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
        .tuples()
    )


_TICKETS_WITH_NEWS = Prepared(_tickets_with_news_query)


def tickets_with_news(persons, limit: int = 5) -> list[TicketWithNews]:
    """The persons' tickets with an answer or status change the tenant has not seen, latest change first."""
    if not persons:
        return []
    return [TicketWithNews._make(row) for row in _TICKETS_WITH_NEWS.rows(*[person.id for person in persons], limit)]


def consumption_lines(persons) -> list[info.HomeLine]:
    """Verbrauch: per rental contract the newest month with its trend against the month before (one query)."""
    return info.home_lines([person.id for person in persons])
