"""Meldungen: filing a request, its status and its conversation.

Every status change and every answer of the cooperative is recorded in the ticket's
history, moves ``updated_at`` (what the status poll watches) and is mailed to the tenant.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, IntegrityError, fn

from wir import audit, clock, db, mail, storage
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Person,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatusChange,
    TicketType,
    User,
)
from wir.services import receipts, scope
from wir.services.rejections import Rejected
from wir.uploads import Attachment

SUBJECT_MAX = 150
MESSAGE_MAX = 10_000
TRANSITIONS = {
    "received": {"in_progress", "query", "commissioned", "closed", "rejected", "withdrawn"},
    "in_progress": {"query", "commissioned", "closed", "rejected", "withdrawn"},
    "query": {"in_progress", "commissioned", "closed", "rejected", "withdrawn"},
    "commissioned": {"in_progress", "query", "closed", "rejected", "withdrawn"},
    "closed": {"in_progress"},
    "rejected": {"in_progress"},
    "withdrawn": set(),
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


def _check(new: NewTicket) -> None:
    category_cooperative = TicketType.get_by_id(new.category.ticket_type_id).cooperative_id
    if category_cooperative != new.person.cooperative_id:
        raise Rejected("category", "Bitte wählen Sie eine Meldungskategorie aus der Liste.")
    if new.contract is not None:
        is_party = ContractParty.select().where(
            (ContractParty.contract == new.contract) & (ContractParty.person == new.person)
        ).exists()
        if not is_party:
            raise Rejected("contract", "Bitte wählen Sie einen Ihrer Verträge aus der Liste.")
    elif new.category.needs_contract:
        raise Rejected("contract", "Bitte wählen Sie den Vertrag, um den es geht.")
    if new.category.needs_phone and not new.phone.strip():
        raise Rejected("phone", "Bitte geben Sie eine Telefonnummer an, unter der wir Sie erreichen.")
    if new.attachments and not new.category.allows_attachments:
        raise Rejected("attachments", "Zu dieser Kategorie können keine Dateien angehängt werden.")
    if not new.subject.strip():
        raise Rejected("subject", "Bitte geben Sie einen Betreff ein.")
    if len(new.subject) > SUBJECT_MAX:
        raise Rejected("subject", f"Der Betreff darf höchstens {SUBJECT_MAX} Zeichen lang sein.")
    if not new.message.strip():
        raise Rejected("message", "Bitte schreiben Sie uns Ihr Anliegen.")
    if len(new.message) > MESSAGE_MAX:
        raise Rejected("message", f"Die Nachricht darf höchstens {MESSAGE_MAX:,} Zeichen lang sein.".replace(",", "."))


def _next_number(cooperative: Cooperative) -> str:
    prefix = f"{cooperative.slug[0].upper()}-{clock.now().year}-"
    # the longest, then the highest: L-2026-10000 follows L-2026-9999 (a cooperative of 8,000 flats files
    # more than 9,999 Meldungen a year), which MAX() of the text would put before it
    last = (
        Ticket.select(Ticket.number)
        .where((Ticket.cooperative == cooperative) & Ticket.number.startswith(prefix))
        .order_by(fn.LENGTH(Ticket.number).desc(), Ticket.number.desc())
        .limit(1)
        .scalar()
    )
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
        receipts.file_receipt(ticket, new.created_by)
    return ticket


def _create(new: NewTicket) -> tuple[Ticket, bool]:
    _check(new)
    if new.submission_key:
        existing = Ticket.get_or_none(Ticket.submission_key == new.submission_key)
        if existing is not None:
            return existing, False
    stored = store_files(new.attachments)
    try:
        with db.write_transaction():
            return _insert(new, stored), True
    except IntegrityError:
        # the same form twice at once, or two tickets drew the same number: look again
        if new.submission_key:
            existing = Ticket.get_or_none(Ticket.submission_key == new.submission_key)
            if existing is not None:
                return existing, False
        with db.write_transaction():
            return _insert(new, stored), True


def _insert(new: NewTicket, stored) -> Ticket:
    cooperative = Cooperative.get_by_id(new.person.cooperative_id)
    now = clock.now()
    ticket = Ticket.create(
        cooperative=cooperative,
        number=_next_number(cooperative),
        person=new.person,
        contract=new.contract,
        category=new.category,
        subject=new.subject.strip(),
        phone=new.phone.strip(),
        location=new.location.strip(),
        status="received",
        created_at=now,
        updated_at=now,
        activity_at=now,
        waiting_since=now,
        tenant_seen_at=now,
        created_by=new.created_by,
        submission_key=new.submission_key,
    )
    message = TicketMessage.create(ticket=ticket, author=new.created_by, body=new.message.strip(), created_at=now)
    TicketStatusChange.create(ticket=ticket, new_status="received", changed_by=new.created_by, changed_at=now)
    _attach(ticket, message, stored)
    if new.created_by is not None and new.created_by.is_staff:  # taken down at the desk for the tenant
        audit.record(new.created_by, "ticket.create", ticket, ticket.number, cooperative=cooperative)
    _mail_tenant(ticket, f"Ihre Meldung {ticket.number} ist eingegangen", "ticket_received")
    return ticket


def _check_transition(ticket: Ticket, status: str, reason: str) -> None:
    if status not in Ticket.STATUSES:
        raise Rejected("status", "Unbekannter Status.")
    if status not in TRANSITIONS[ticket.status]:
        raise Rejected(
            "status", f"Aus „{Ticket.STATUSES[ticket.status]}“ geht es nicht nach „{Ticket.STATUSES[status]}“."
        )
    if status == "rejected" and not reason.strip():
        raise Rejected("reason", "Bitte geben Sie einen Grund für die Ablehnung an.")


def _apply_status(ticket: Ticket, status: str, changed_by: User | None, reason: str, now) -> None:
    TicketStatusChange.create(
        ticket=ticket, old_status=ticket.status, new_status=status, reason=reason.strip(),
        changed_by=changed_by, changed_at=now,
    )
    if status not in Ticket.WAITING_STATUSES:
        ticket.waiting_since = None
    elif ticket.status not in Ticket.WAITING_STATUSES:
        ticket.waiting_since = now
    ticket.status = status
    _changed(ticket, now)


def _changed(ticket: Ticket, now, seen_by_tenant: bool = True) -> None:
    """Count the version up and move the activity times; the caller's transaction holds it."""
    ticket.version += 1
    ticket.activity_at = now
    if seen_by_tenant:
        ticket.updated_at = now
    ticket.save()


def set_status(ticket: Ticket, status: str, changed_by: User | None = None, reason: str = "") -> Ticket:
    """Move the ticket to ``status`` (Abgelehnt needs a reason); recorded, mailed to the tenant."""
    _check_transition(ticket, status, reason)
    with db.write_transaction():
        _apply_status(ticket, status, changed_by, reason, clock.now())
        _mail_status(ticket, reason=reason.strip())
    return ticket


def _mail_status(ticket: Ticket, **context) -> None:
    label = Ticket.STATUSES[ticket.status]
    _mail_tenant(ticket, f"Ihre Meldung {ticket.number}: {label}", "ticket_status_changed", **context)


def _mail_tenant(ticket: Ticket, subject: str, template: str, **context) -> None:
    person = Person.get_by_id(ticket.person_id)
    if person.user_id is None:
        return
    user = User.get_by_id(person.user_id)
    mail.queue_mail(
        user.email,
        subject,
        template,
        cooperative=Cooperative.get_by_id(ticket.cooperative_id),
        name=person.full_name,
        ticket=ticket,
        status=Ticket.STATUSES[ticket.status],
        ticket_url=mail.external_url("tickets.show", number=ticket.number),
        **context,
    )


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab and line breaks


def check_text(field: str, body: str, empty: str | None, limit: int = MESSAGE_MAX) -> str:
    """A text of staff or tenant (a message, a reason): not empty (``empty`` is the message; None: it may be),
    at most ``limit`` characters, no control characters. Returns it stripped."""
    body = (body or "").strip()
    if not body:
        if empty is None:
            return body
        raise Rejected(field, empty)
    if len(body) > limit:
        shown = f"{limit:,}".replace(",", ".") if limit >= 10_000 else limit  # as wir.forms.text_field says it
        raise Rejected(field, f"Höchstens {shown} Zeichen.")
    if CONTROL_CHARACTERS.search(body):
        raise Rejected(field, "Der Text enthält Steuerzeichen. Bitte entfernen Sie sie.")
    return body


def locked(ticket: Ticket) -> Ticket:
    """The ticket as it is now, read inside the caller's write transaction and locked until it ends
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the only write lock)."""
    query = Ticket.select().where(Ticket.id == ticket.id)
    return (query if db.is_sqlite() else query.for_update()).get()


def store_files(attachments) -> list:
    """The checked files stored before the transaction that records them (no I/O inside it)."""
    return [(a, storage.store(a.content)) for a in attachments]


def _attach(ticket: Ticket, message: TicketMessage, stored) -> None:
    for attachment, key in stored:
        TicketAttachment.create(
            ticket=ticket, message=message, filename=attachment.filename, storage_key=key,
            content_type=attachment.content_type, size=len(attachment.content),
        )


def add_staff_message(ticket: Ticket, body: str, author: User | None = None, status: str | None = None) -> Ticket:
    """An answer of the cooperative, optionally with a status change (Rückfrage: the message is the question)."""
    check_staff_message(ticket, body, status)
    with db.write_transaction():
        record_staff_message(ticket, body, author, status, clock.now())
    return ticket


def check_staff_message(ticket: Ticket, body: str, status: str | None, field: str = "message") -> None:
    check_text(field, body, "Bitte schreiben Sie eine Nachricht.")
    if status is not None and status != ticket.status:
        _check_transition(ticket, status, body)


def record_staff_message(ticket: Ticket, body: str, author: User | None, status: str | None, now,
                         stored=()) -> TicketMessage:
    """The answer (checked by check_staff_message) in the caller's transaction: recorded, mailed to the tenant."""
    message = TicketMessage.create(ticket=ticket, author=author, from_staff=True, body=body.strip(), created_at=now)
    _attach(ticket, message, stored)
    if status is not None and status != ticket.status:
        _apply_status(ticket, status, author, body if status == "rejected" else "", now)
        _mail_status(ticket, body=body.strip())
    else:
        _changed(ticket, now)
        _mail_tenant(ticket, f"Neue Nachricht zu Ihrer Meldung {ticket.number}", "ticket_answer", body=body.strip())
    return message


def answer_query(ticket: Ticket, body: str, author: User, attachments: list[Attachment] = ()) -> Ticket:
    """The tenant answers a Rückfrage; the ticket goes back to In Bearbeitung."""
    if ticket.status != "query":
        raise Rejected("message", "Zu dieser Meldung haben wir Ihnen keine Frage gestellt.")
    check_text("message", body, "Bitte schreiben Sie uns Ihre Antwort.")
    stored = store_files(attachments)
    with db.write_transaction():
        now = clock.now()
        message = TicketMessage.create(ticket=ticket, author=author, body=body.strip(), created_at=now)
        _attach(ticket, message, stored)
        TicketStatusChange.create(ticket=ticket, old_status="query", new_status="in_progress", changed_by=author, changed_at=now)
        ticket.status = "in_progress"
        ticket.waiting_since = now
        ticket.tenant_seen_at = now
        _changed(ticket, now)
    return ticket


def withdraw(ticket: Ticket, author: User) -> Ticket:
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise Rejected("status", "Diese Meldung ist bereits abgeschlossen.")
    return set_status(ticket, "withdrawn", changed_by=author)


# --- what a tenant sees: always through their own persons (scope), so another person's ticket is never found ---


# the status poll runs it every 15 s in every open Meldungen tab
_LAST_CHANGE = db.Prepared(
    lambda user_id: Ticket.select(fn.MAX(Ticket.updated_at))
    .where(Ticket.person.in_(scope.person_ids(user_id)))
    .tuples()
)


def last_change(user: User):
    """When any of the user's tickets last changed: one indexed query for the status poll."""
    return _LAST_CHANGE.scalar(user.id)


# the status poll with nothing changed, from the session's user id and version alone: the user's checks that
# every tenant page makes (accounts.user_for_session, security.require_role) in the same query as the last change
_SESSION_LAST_CHANGE = db.Prepared(
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


def changed_since(user: User, since, ticket_ids: list[int]) -> list[Ticket]:
    return list(
        Ticket.select(Ticket.id, Ticket.number, Ticket.status, Ticket.updated_at)
        .where(Ticket.person.in_(scope.person_ids(user)) & Ticket.id.in_(ticket_ids) & (Ticket.updated_at > since))
    )


def mark_seen(ticket: Ticket) -> None:
    Ticket.update(tenant_seen_at=clock.now()).where(Ticket.id == ticket.id).execute()


def history(ticket: Ticket, include_internal: bool) -> list:
    """Messages and status changes in the order they happened, attachments with their message, authors with
    them. Internal notes and assignments (staff among themselves) only with ``include_internal``: never for
    the tenant."""
    messages = TicketMessage.select(TicketMessage, User).join(User, join_type=JOIN.LEFT_OUTER).where(
        TicketMessage.ticket == ticket
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
    if ticket.status != "query":
        return None
    return (
        TicketMessage.select()
        .where((TicketMessage.ticket == ticket) & TicketMessage.from_staff & ~TicketMessage.internal)
        .order_by(TicketMessage.created_at.desc(), TicketMessage.id.desc())
        .first()
    )
