"""Meldungen: filing a request, its lifecycle and its conversation.

Every change of a ticket after it is filed goes through ``change()``: it locks the row, checks the version the
actor saw, and records each part (status, message, assignment) in the ticket's history; at its end the version
counts up, the activity times move (``updated_at`` is what the tenant's status poll watches), the tenant is mailed
and the audit entry is written — in one transaction, or not at all.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from peewee import JOIN, IntegrityError, fn

from wir import audit, clock, db, mail, pagination, storage
from wir.db.prepared import Prepared
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Person,
    Representation,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
    User,
)
from wir.services import scope, text
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.staff import absences
from wir.services.tickets import contact, receipts
from wir.services.tickets.contact import ADDRESS_CHANGE_KEY
from wir.uploads import Attachment

SUBJECT_MAX = 150
MESSAGE_MAX = 10_000
_S = TicketStatus
TRANSITIONS = {
    _S.RECEIVED: {_S.IN_PROGRESS, _S.QUERY, _S.COMMISSIONED, _S.CLOSED, _S.REJECTED, _S.WITHDRAWN},
    _S.IN_PROGRESS: {_S.QUERY, _S.COMMISSIONED, _S.CLOSED, _S.REJECTED, _S.WITHDRAWN},
    _S.QUERY: {_S.IN_PROGRESS, _S.COMMISSIONED, _S.CLOSED, _S.REJECTED, _S.WITHDRAWN},
    _S.COMMISSIONED: {_S.IN_PROGRESS, _S.QUERY, _S.CLOSED, _S.REJECTED, _S.WITHDRAWN},
    # a decided ticket may be taken up again by the cooperative; a withdrawn one stays withdrawn
    _S.CLOSED: {_S.IN_PROGRESS},
    _S.REJECTED: {_S.IN_PROGRESS},
    _S.WITHDRAWN: set(),
}


@dataclass
class NewTicket:
    person: Person
    category: TicketCategory
    subject: str
    message: str
    contract: Contract | None = None
    phone: str = ""
    location: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    created_by: User | None = None
    submission_key: str | None = None
    # the tenant's consent: a commissioned company may get the phone number, the photos (services.staff.work_orders)
    phone_for_contractor: bool = False
    photos_for_contractor: bool = False


def _check(new: NewTicket) -> NewTicket:
    """The ticket as it will be filed (texts stripped); raises Rejected."""
    # Kontakt's categories come with their Meldungsart (contact.catalogue): then no query
    if new.category.ticket_type.cooperative_id != new.person.cooperative_id:
        raise Rejected("category", "Bitte wählen Sie eine Meldungskategorie aus der Liste.")
    if new.contract is not None:
        is_party = ContractParty.select().where(
            (ContractParty.contract == new.contract) & (ContractParty.person == new.person)
        ).exists()
        if not is_party:
            raise Rejected("contract", "Bitte wählen Sie einen Ihrer Verträge aus der Liste.")
    elif new.category.needs_contract:
        raise Rejected("contract", "Bitte wählen Sie den Vertrag, um den es geht.")
    phone = text.check("phone", new.phone, None, SUBJECT_MAX)
    if new.category.needs_phone and not phone:
        raise Rejected("phone", "Bitte geben Sie eine Telefonnummer an, unter der wir Sie erreichen.")
    if new.attachments and not new.category.allows_attachments:
        raise Rejected("attachments", "Zu dieser Kategorie können keine Dateien angehängt werden.")
    # subject and message are printed in the Eingangsbestätigung
    subject = text.check("subject", new.subject, "Bitte geben Sie einen Betreff ein.", SUBJECT_MAX, printable=True)
    message = text.check("message", new.message, "Bitte schreiben Sie uns Ihr Anliegen.", MESSAGE_MAX, printable=True)
    location = text.check("location", new.location, None, SUBJECT_MAX, printable=True)
    # the consent counts only where the form asks it (a category a craftsman may come for; photos where files go)
    asked = contact.asks_contractor_consent(new.category)
    consent = {"phone_for_contractor": asked and bool(new.phone_for_contractor),
               "photos_for_contractor": asked and new.category.allows_attachments and bool(new.photos_for_contractor)}
    return NewTicket(**{**new.__dict__, "subject": subject, "message": message, "phone": phone, "location": location,
                        **consent})


def _next_number(cooperative: Cooperative, exact: bool = False) -> str:
    """The number after the last of the cooperative's series this year (L-2026-0001, …).

    The numbers of a series are drawn in order (inside the write lock; on PostgreSQL a twin fails on the unique
    number), so the newest ticket of the series holds the highest: read backwards from the newest ticket, it is
    nearly always the first (0.01 ms on SQLite, 0.3 ms on PostgreSQL); only the first of a year walks back over
    last year's (and on PostgreSQL, which walks all tickets by id, a cooperative's first after others filed many).
    ``exact`` looks at every number of the series (the longest, then the highest: L-2026-10000 follows
    L-2026-9999, which MAX() of the text would put before it; 6 ms on SQLite, 20-30 ms on PostgreSQL among
    11,000 a year): for the retry after a number was taken, in case rows were written out of that order."""
    prefix = f"{cooperative.slug[0].upper()}-{clock.now().year}-"
    query = Ticket.select(Ticket.number).where((Ticket.cooperative == cooperative) & Ticket.number.startswith(prefix))
    if exact:
        query = query.order_by(fn.LENGTH(Ticket.number).desc(), Ticket.number.desc())
    else:
        query = query.order_by(Ticket.id.desc())
    last = query.limit(1).scalar()
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def create_ticket(new: NewTicket) -> Ticket:
    """File the ticket with its first message and attachments and mail a confirmation.

    Raises Rejected. With the same ``submission_key`` a second call returns the first ticket.
    """
    return _create(new)[0]


def submit_request(new: NewTicket) -> Ticket:
    """What Kontakt sends: the ticket, and its Eingangsbestätigung in the tenant's Dokumente."""
    ticket, created = _create(new)
    if created:
        receipts.file_receipt(ticket, new.message, [(a.filename, len(a.content)) for a in new.attachments],
                              new.created_by)
    return ticket


def _create(new: NewTicket) -> tuple[Ticket, bool]:
    new = _check(new)
    stored = store_files(new.attachments)
    try:
        with db.write_transaction():
            return _insert(new, stored), True
    except IntegrityError:
        # the same form sent again (the unique submission key; no lookup before: nearly every form is sent
        # once), or two tickets drew the same number: look again
        if new.submission_key:
            existing = Ticket.get_or_none(Ticket.submission_key == new.submission_key)
            if existing is not None:
                return existing, False
        with db.write_transaction():
            return _insert(new, stored, exact_number=True), True


def _insert(new: NewTicket, stored, exact_number: bool = False) -> Ticket:
    """The ticket, its first message, history, attachments and the tenant's mail, from what the caller loaded
    (the person with their cooperative: scope.persons_of): no row is read again."""
    cooperative = new.person.cooperative
    now = clock.now()
    representation = representations.acting_for(new.created_by, new.person)
    # the contract's Ansprechpartner takes it (their deputy while they are away): services.staff.absences
    assignee_id, automatic = absences.responsible(new.contract.contact_person_id if new.contract else None,
                                                  cooperative.id)
    ticket = Ticket.create(
        cooperative=cooperative,
        number=_next_number(cooperative, exact_number),
        person=new.person,
        contract=new.contract,
        category=new.category,
        subject=new.subject,
        phone=new.phone,
        location=new.location,
        status=TicketStatus.RECEIVED,
        created_at=now,
        updated_at=now,
        activity_at=now,
        waiting_since=now,
        tenant_seen_at=now,
        created_by=new.created_by,
        submission_key=new.submission_key,
        representation=representation,
        phone_for_contractor=new.phone_for_contractor,
        photos_for_contractor=new.photos_for_contractor,
        assigned_to=assignee_id,
    )
    if assignee_id is not None:  # in the desk's history like a clerk's assignment
        TicketAssignment.create(ticket=ticket, assignee=assignee_id, assigned_at=now, automatic=automatic)
    message = TicketMessage.create(ticket=ticket, author=new.created_by, body=new.message, created_at=now,
                                   representation=representation)
    if new.category.key == ADDRESS_CHANGE_KEY:  # the ERP keeps the address: it gets what the tenant told us
        erp_changes.address_change(ticket, new.message, new.created_by)
    TicketStatusChange.create(ticket=ticket, new_status=TicketStatus.RECEIVED, changed_by=new.created_by,
                              changed_at=now)
    _attach(ticket, message, stored)
    if new.created_by is not None and new.created_by.is_staff:  # taken down at the desk for the tenant
        audit.record(new.created_by, "ticket.create", ticket, ticket.number, cooperative=cooperative)
    if representation is not None:  # the tenant's mail below names the representative
        representations.record_action(representation, new.created_by, f"Meldung {ticket.number}: {ticket.subject}",
                                      notify=False)
    _mail_tenant(ticket, f"Ihre Meldung {ticket.number} ist eingegangen", "ticket_received", user=new.created_by)
    return ticket


def check_text(field: str, body: str, empty: str | None, limit: int = MESSAGE_MAX) -> str:
    """A message or reason of staff or tenant (services.text's rule): stripped; ``empty`` is the message when
    it is missing (None: it may be)."""
    return text.check(field, body, empty, limit)


def store_files(attachments) -> list:
    """The checked files stored before the transaction that records them (no I/O inside it)."""
    return list(zip(attachments, storage.store_all([a.content for a in attachments])))


def _attach(ticket: Ticket, message: TicketMessage, stored) -> None:
    """The message's stored files, in one INSERT however many."""
    if stored:
        TicketAttachment.insert_many([
            {"ticket": ticket, "message": message, "filename": attachment.filename, "storage_key": key,
             "content_type": attachment.content_type, "size": len(attachment.content)}
            for attachment, key in stored
        ]).execute()


# --- the lifecycle: every change of a filed ticket ---


@dataclass(frozen=True)
class Seen:
    """What the actor's form was based on: the ticket's version, and when the page showing it was made."""

    version: int
    at: datetime | None = None


@dataclass
class Conflict(Exception):
    """The ticket changed since the form was shown; ``entries`` are the history entries since then."""

    ticket: Ticket
    entries: list = field(default_factory=list)

    def __str__(self):
        return "Diese Meldung wurde inzwischen geändert. Ihre Eingabe wurde nicht übernommen."


def check_transition(ticket: Ticket, status: str, reason: str = "") -> None:
    """Whether the ticket may go from its status to ``status`` (Abgelehnt needs a reason); raises Rejected."""
    if status not in Ticket.STATUSES:
        raise Rejected("status", "Unbekannter Status.")
    if status == ticket.status:
        raise Rejected("status", f"Die Meldung hat bereits den Status „{Ticket.STATUSES[status]}“.")
    if status not in TRANSITIONS[ticket.status]:
        raise Rejected(
            "status", f"Aus „{Ticket.STATUSES[ticket.status]}“ geht es nicht nach „{Ticket.STATUSES[status]}“."
        )
    if status == TicketStatus.REJECTED and not reason.strip():
        raise Rejected("reason", "Bitte geben Sie einen Grund für die Ablehnung an.")


class Change:
    """One actor's change of a ticket inside ``change()``: ``ticket`` is the row as it is now, locked; each method
    records its part in the history at once, ``change()`` finishes the rest."""

    def __init__(self, ticket: Ticket, by: User | None, now: datetime):
        self.ticket, self.by, self.now = ticket, by, now
        self._seen_by_tenant = False  # what the tenant sees moves updated_at (their "neu" and status poll)
        self._status_mail: dict | None = None
        self._answer = ""  # the cooperative's message to the tenant in this change

    def status(self, to: TicketStatus, reason: str = "", notify: bool = True) -> None:
        """Move to ``to``; ``notify``: the tenant is mailed (not for the tenant's own answer to a Rückfrage)."""
        ticket = self.ticket
        check_transition(ticket, to, reason)
        TicketStatusChange.create(ticket=ticket, old_status=ticket.status, new_status=to, reason=reason,
                                  changed_by=self.by, changed_at=self.now)
        if to not in Ticket.WAITING_STATUSES:
            ticket.waiting_since = None
        elif ticket.status not in Ticket.WAITING_STATUSES:
            ticket.waiting_since = self.now  # the cooperative's turn from now on
        ticket.status = to
        self._seen_by_tenant = True
        self._status_mail = {"reason": reason} if notify else None

    def message(self, body: str, from_staff: bool = True, internal: bool = False, stored=(),
                representation: Representation | None = None) -> TicketMessage:
        """A message (checked by the caller) with its stored files; ``internal``: a note among staff, never the
        tenant's to see; ``representation``: written by a representative for the tenant."""
        message = TicketMessage.create(ticket=self.ticket, author=self.by, from_staff=from_staff, internal=internal,
                                       body=body, created_at=self.now, representation=representation)
        _attach(self.ticket, message, stored)
        if not internal:
            self._seen_by_tenant = True
            if from_staff:
                self._answer = body
            else:
                self.ticket.tenant_seen_at = self.now  # the tenant wrote it: nothing new for them
        return message

    def assign(self, assignee: User | None) -> None:
        """To a colleague (None: nobody); the desk's history shows it, the tenant nothing."""
        self.ticket.assigned_to = assignee
        TicketAssignment.create(ticket=self.ticket, assignee=assignee, assigned_by=self.by, assigned_at=self.now)

    def _finish(self) -> None:
        ticket = self.ticket
        ticket.version += 1
        ticket.activity_at = self.now
        if self._seen_by_tenant:
            ticket.updated_at = self.now
        ticket.save()
        if self._status_mail is not None:
            label = Ticket.STATUSES[ticket.status]
            _mail_tenant(ticket, f"Ihre Meldung {ticket.number}: {label}", "ticket_status_changed",
                         body=self._answer, **self._status_mail)
        elif self._answer:
            _mail_tenant(ticket, f"Neue Nachricht zu Ihrer Meldung {ticket.number}", "ticket_answer",
                         body=self._answer)


@contextmanager
def change(ticket: Ticket, by: User | None, audit_action: str | None, detail: str = "", seen: Seen | None = None):
    """The one way a filed ticket changes: yields a ``Change`` on the ticket as it is now, locked for the
    transaction. With ``seen`` it applies only while the ticket still has that version (else Conflict, nothing
    applied). Audited as ``audit_action`` (None: the tenant's own change, which its history records)."""
    with db.write_transaction():
        current = locked(ticket)
        if seen is not None and current.version != seen.version:
            raise Conflict(current, _since(current, seen))
        edit = Change(current, by, clock.now())
        yield edit
        edit._finish()
        if audit_action:
            audit.record(by, audit_action, current, " ".join(filter(None, [current.number, detail])),
                         cooperative=current.cooperative_id)


def locked(ticket: Ticket) -> Ticket:
    """The ticket as it is now, read inside the caller's write transaction and locked until it ends
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the only write lock)."""
    query = Ticket.select().where(Ticket.id == ticket.id)
    return (query if db.is_sqlite() else query.for_update()).get()


def _since(ticket: Ticket, seen: Seen) -> list:
    if seen.at is None:
        return []
    return [entry for entry in history(ticket, include_internal=True) if entry[1] > seen.at]


def set_status(ticket: Ticket, status: TicketStatus, changed_by: User | None = None, reason: str = "",
               message: str = "", audit_action: str | None = "ticket.status") -> Ticket:
    """Move the ticket to ``status`` (Abgelehnt needs a reason), with the cooperative's ``message`` to the tenant
    if any (Rückfrage: the question); recorded, mailed to the tenant, audited. Returns the ticket as it is now."""
    reason = check_text("reason", reason, None)
    message = check_text("message", message, None)
    with change(ticket, changed_by, audit_action, Ticket.STATUSES.get(status, "")) as edit:
        if message:
            edit.message(message)
        edit.status(status, reason)
    return edit.ticket


def add_staff_message(ticket: Ticket, body: str, author: User | None = None, status: TicketStatus | None = None,
                      audit_action: str | None = "ticket.answer") -> Ticket:
    """An answer of the cooperative, optionally with a status change (Rückfrage: the message is the question)."""
    if status is not None and status != ticket.status:
        return set_status(ticket, status, author, body if status == TicketStatus.REJECTED else "", body,
                          audit_action)
    body = check_text("message", body, "Bitte schreiben Sie eine Nachricht.")
    with change(ticket, author, audit_action) as edit:
        edit.message(body)
    return edit.ticket


def _mail_tenant(ticket: Ticket, subject: str, template: str, user: User | None = None, **context) -> None:
    """The ticket's person and cooperative as the ticket holds them (loaded when it does not); ``user``: one at
    hand that may be the person's (the tenant filing it), else the person's user is loaded."""
    person = ticket.person
    if person.user_id is None:
        return
    if user is None or user.id != person.user_id:
        user = User.get_by_id(person.user_id)
    context.update(cooperative=ticket.cooperative, ticket=ticket, status=Ticket.STATUSES[ticket.status],
                   ticket_url=mail.external_url("tickets.show", number=ticket.number))
    representation = representations.with_people(ticket.representation_id) if ticket.representation_id else None
    attribution = representations.attribution(representation)
    mail.queue_mail(user.email, subject, template, name=person.full_name, attribution=attribution, **context)
    # a copy to who sent it for the tenant, while they still may act for them
    if representation is not None and representations.is_active(representation):
        mail.queue_mail(representation.representative.email, subject, template, name=representation.name,
                        attribution=attribution, **context)


def attribution(ticket: Ticket) -> str:
    """ "durch Anna Weiß für Gisela Weiß" for a ticket a representative sent, else ""."""
    if not ticket.representation_id:
        return ""
    return representations.attribution(representations.with_people(ticket.representation_id))


def answer_query(ticket: Ticket, body: str, author: User, attachments: list[Attachment] = (),
                 representation: Representation | None = None) -> Ticket:
    """The tenant (or ``representation``'s representative for them) answers a Rückfrage; the ticket goes back to
    In Bearbeitung."""
    if ticket.status != TicketStatus.QUERY:
        raise Rejected("message", "Zu dieser Meldung haben wir Ihnen keine Frage gestellt.")
    body = check_text("message", body, "Bitte schreiben Sie uns Ihre Antwort.")
    stored = store_files(attachments)
    with change(ticket, author, None) as edit:
        if edit.ticket.status != TicketStatus.QUERY:  # answered in another tab meanwhile
            raise Rejected("message", "Zu dieser Meldung haben wir Ihnen keine Frage gestellt.")
        edit.message(body, from_staff=False, stored=stored, representation=representation)
        edit.status(TicketStatus.IN_PROGRESS, notify=False)
        if representation is not None:
            representations.record_action(representation, author, f"Antwort auf die Rückfrage zu {ticket.number}")
    return edit.ticket


def withdraw(ticket: Ticket, author: User, representation: Representation | None = None) -> Ticket:
    """The tenant (or ``representation``'s representative for them) takes an open ticket back; mailed to them as a
    confirmation."""
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise Rejected("status", "Diese Meldung ist bereits abgeschlossen.")
    reason = representations.attribution(representation)
    with change(ticket, author, None) as edit:
        edit.status(TicketStatus.WITHDRAWN, reason)
        if representation is not None:
            representations.record_action(representation, author, f"Meldung {ticket.number} zurückgezogen",
                                          notify=False)
    return edit.ticket


# --- what a tenant sees: always through their own persons (scope), so another person's ticket is never found ---


class ListedTicket(NamedTuple):
    """A row of the Meldungen list: only what the list shows, as a tuple (building the models of a ticket, its
    category, type and contract per row took longer than the query)."""

    id: int
    number: str
    subject: str
    status: str
    created_at: datetime
    ticket_type: str  # the Meldungsart's name
    category: str  # the Meldungskategorie's name
    contract: str | None  # the contract's number
    is_new: bool  # "neu" (Ticket.unseen)

    STATUSES = Ticket.STATUSES  # the status cell, shared with the poll's tickets, names the status by it


def _chosen(only_open: bool | None, statuses):
    """The list's filter as SQL (None: all tickets); ``statuses`` are Ticket.OPEN_STATUSES, passed in as values of
    the prepared queries."""
    if only_open is None:
        return None
    return Ticket.status.in_(statuses) if only_open else Ticket.status.not_in(statuses)


def _listing_queries(only_open: bool | None) -> tuple[Prepared, Prepared]:
    """The Meldungen list's two queries for one filter, prepared: how many tickets it lists together with the last
    change of any of the persons' tickets (where the status poll starts), and a page of its rows, newest first."""
    fixed = 0 if only_open is None else len(Ticket.OPEN_STATUSES)  # how many of the values are the filter's statuses

    def summary(*values):  # the filter's statuses, then the persons' ids
        statuses, person_ids = values[:fixed], values[fixed:]
        chosen = _chosen(only_open, statuses)
        listed = fn.COUNT(Ticket.id) if chosen is None else fn.COUNT(Ticket.id).filter(chosen)
        return Ticket.select(listed, fn.MAX(Ticket.updated_at)).where(Ticket.person.in_(person_ids)).tuples()

    def page(*values):  # the persons' ids, the filter's statuses, then the page's size and offset
        *filtering, size, offset = values
        person_ids, statuses = filtering[:len(filtering) - fixed], filtering[len(filtering) - fixed:]
        chosen = _chosen(only_open, statuses)
        where = Ticket.person.in_(person_ids)
        return (
            Ticket.select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.created_at, TicketType.name,
                          TicketCategory.name, Contract.number, Ticket.unseen())
            .join(TicketCategory).join(TicketType)
            .switch(Ticket).join(Contract, JOIN.LEFT_OUTER)
            .where(where if chosen is None else where & chosen)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(size).offset(offset)
            .tuples()
        )

    return Prepared(summary), Prepared(page)


_LISTING = {only_open: _listing_queries(only_open) for only_open in (None, True, False)}


@dataclass(frozen=True)
class Listing:
    page: pagination.Page  # of ListedTicket
    last_change: datetime | None  # of any of the persons' tickets, listed or not (None: no tickets)


def listing(persons, only_open: bool | None, page, size: int) -> Listing:
    """The Meldungen list: page ``page`` (as the request carries it) of the persons' tickets, only the open ones
    (True), only the others (False) or all (None), in two statements. The last change is read before the rows:
    a change in between shows on the page and again, harmlessly, in the next poll; it is never missed."""
    summary, rows = _LISTING[only_open]
    statuses = () if only_open is None else Ticket.OPEN_STATUSES
    person_ids = scope.person_ids(persons)
    total, last = summary.first(*statuses, *person_ids)
    return Listing(
        pagination.counted_page(total, page, size, lambda number: [
            ListedTicket._make(row) for row in rows.rows(*person_ids, *statuses, size, (number - 1) * size)
        ]),
        last,
    )


# the status poll runs it every 15 s in every open Meldungen tab
_LAST_CHANGE = Prepared(
    lambda *person_ids: Ticket.select(fn.MAX(Ticket.updated_at)).where(Ticket.person.in_(person_ids)).tuples()
)


def last_change(persons):
    """When any of the persons' tickets last changed: one indexed query for the status poll."""
    return _LAST_CHANGE.scalar(*scope.person_ids(persons))


# the status poll with nothing changed, from the session's user id and version alone: the user's checks that
# every tenant page makes (accounts.user_for_session, security.require_role) in the same query as the last change
_SESSION_LAST_CHANGE = Prepared(
    lambda user_id, session_version, role: User.select(fn.MAX(Ticket.updated_at))
    .join(Person, JOIN.LEFT_OUTER, on=(Person.user == User.id))
    .join(Ticket, JOIN.LEFT_OUTER, on=(Ticket.person == Person.id))
    .where(
        (User.id == user_id) & (User.session_version == session_version) & User.is_active & (User.role == role)
        & User.contact_reviewed_at.is_null(False)
    )
    .group_by(User.id)
    .tuples()
)


def last_change_of_session(user_id: int, session_version: int) -> tuple[bool, datetime | None]:
    """Whether the session is a current one of an active tenant who confirmed the contact data, and when any of
    their tickets last changed (None: no tickets), in one query and without loading the user."""
    row = _SESSION_LAST_CHANGE.first(user_id, session_version, User.ROLE_TENANT)
    return (row is not None, row[0] if row else None)


def _changed_since_query(persons: int) -> Prepared:
    """The poll's answer when something changed, for ``persons`` persons. Its values are two lists, the persons' ids
    and the page's ticket ids, then the time the page knows: a Prepared builds its text once per number of values,
    which would not tell 1 person and 3 tickets from 2 and 2, so each number of persons has a Prepared of its own."""

    def build(*values):
        person_ids, (*ticket_ids, since) = values[:persons], values[persons:]
        return (
            Ticket.select(Ticket.id, Ticket.number, Ticket.status, Ticket.updated_at)
            .where(Ticket.person.in_(person_ids) & Ticket.id.in_(ticket_ids) & (Ticket.updated_at > since))
        )

    return Prepared(build)


# the poll's answer when something changed (PostgreSQL planned it anew on every poll): number of persons -> its query
_CHANGED_SINCE: dict[int, Prepared] = {}


def changed_since(persons, since, ticket_ids: list[int]) -> list[Ticket]:
    """Which of the tickets (of a Meldungen page) of the persons changed after ``since``."""
    person_ids = scope.person_ids(persons)
    count = len(person_ids)
    prepared = _CHANGED_SINCE.get(count) or _CHANGED_SINCE.setdefault(count, _changed_since_query(count))
    return prepared.rows(*person_ids, *ticket_ids, since)


def mark_seen(ticket: Ticket) -> None:
    Ticket.update(tenant_seen_at=clock.now()).where(Ticket.id == ticket.id).execute()


def history(ticket: Ticket, include_internal: bool) -> list:
    """Messages and status changes in the order they happened, attachments with their message, authors with
    them, and the representation a message was sent through with its person („durch … für …“). Internal notes
    and assignments (staff among themselves) only with ``include_internal``: never for the tenant."""
    represented = Person.alias()
    messages = (
        TicketMessage.select(TicketMessage, User, Representation, represented)
        .join(User, join_type=JOIN.LEFT_OUTER)
        .switch(TicketMessage).join(Representation, JOIN.LEFT_OUTER)
        .join(represented, JOIN.LEFT_OUTER, on=Representation.person == represented.id)
        .where(TicketMessage.ticket == ticket)
    )
    if not include_internal:
        messages = messages.where(~TicketMessage.internal)
    messages = list(messages)
    attachments = {}
    for attachment in TicketAttachment.select().where(TicketAttachment.ticket == ticket).order_by(TicketAttachment.id):
        attachments.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.files = attachments.get(message.id, [])
    changes = list(
        TicketStatusChange.select(TicketStatusChange, User)
        .join(User, join_type=JOIN.LEFT_OUTER, on=TicketStatusChange.changed_by == User.id)
        .where(TicketStatusChange.ticket == ticket)
    )
    entries = [("message", m.created_at, m) for m in messages] + [("status", c.changed_at, c) for c in changes]
    if include_internal:
        entries += [("assignment", a.assigned_at, a) for a in _assignments(ticket)]
    # at the same moment the message comes first: it is what caused the status change
    return sorted(entries, key=lambda entry: (entry[1], entry[0] == "status", entry[2].id))


def _assignments(ticket: Ticket) -> list[TicketAssignment]:
    assignee, assigned_by = User.alias(), User.alias()
    return list(
        TicketAssignment.select(TicketAssignment, assignee, assigned_by)
        .join_from(TicketAssignment, assignee, JOIN.LEFT_OUTER, on=TicketAssignment.assignee == assignee.id)
        .join_from(TicketAssignment, assigned_by, JOIN.LEFT_OUTER, on=TicketAssignment.assigned_by == assigned_by.id)
        .where(TicketAssignment.ticket == ticket)
    )


def open_question(ticket: Ticket) -> TicketMessage | None:
    """While the status is Rückfrage: the cooperative's latest message, which asks it."""
    if ticket.status != TicketStatus.QUERY:
        return None
    return (
        TicketMessage.select()
        .where((TicketMessage.ticket == ticket) & TicketMessage.from_staff & ~TicketMessage.internal)
        .order_by(TicketMessage.created_at.desc(), TicketMessage.id.desc())
        .first()
    )
