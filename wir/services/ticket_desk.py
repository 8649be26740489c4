"""The ticket at the desk: what staff do with a Meldung, and the Meldungen they take down for a tenant.

Two clerks may work on the same ticket. Every action names the version of the ticket its form was based
on (``Seen``) and applies only while the ticket still has it: the row is read again inside the write
transaction, locked (tickets.locked), compared, changed and counted up before anyone else may look. A stale version
raises ``Conflict`` with what happened since, and nothing is applied.

Every action and every view of a ticket by staff is written to the audit log in the same transaction.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN

from wir import audit, clock, db
from wir.models import (
    Contract,
    ContractParty,
    Person,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketMessage,
    Unit,
    User,
)
from wir.services import scope, tickets
from wir.services.rejections import Rejected

# the status form's choices: Rückfrage has its own form (it needs the question)
STATUS_CHOICES = ("in_progress", "commissioned", "closed", "rejected", "withdrawn")
REASON_MAX = 2_000


@dataclass(frozen=True)
class Seen:
    """What the clerk's form was based on: the ticket's version, and when the page showing it was made."""

    version: int
    at: datetime | None = None


@dataclass
class Conflict(Exception):
    """The ticket changed since the form was shown; ``entries`` are the history entries since then."""

    ticket: Ticket
    entries: list = field(default_factory=list)

    def __str__(self):
        return "Diese Meldung wurde inzwischen geändert. Ihre Eingabe wurde nicht übernommen."


# --- reading ---


def record_view(ticket: Ticket, user: User) -> None:
    """Staff opened the ticket: audited, since it shows a tenant's personal data."""
    with db.write_transaction():
        audit.record(user, "ticket.view", ticket, ticket.number, cooperative=ticket.cooperative_id)


def record_attachment_view(ticket: Ticket, attachment: TicketAttachment, user: User) -> None:
    """Staff opened a file the tenant sent (the thumbnails belong to the ticket's audited view)."""
    with db.write_transaction():
        audit.record(user, "ticket.attachment.view", attachment, f"{ticket.number} {attachment.filename}",
                     cooperative=ticket.cooperative_id)


@dataclass
class DeskView:
    contract: Contract | None
    parties: list[ContractParty]
    other_open: list[Ticket]
    history: list
    colleagues: list[User]


def desk_view(ticket: Ticket, user: User) -> DeskView:
    """Everything the desk page shows beside the ticket itself, in a fixed number of queries."""
    contract, parties = None, []
    if ticket.contract_id:
        contract = Contract.select(Contract, Unit).join(Unit, JOIN.LEFT_OUTER).where(Contract.id == ticket.contract_id).get()
        parties = list(
            ContractParty.select(ContractParty, Person).join(Person)
            .where(ContractParty.contract == contract).order_by(ContractParty.role.desc(), Person.last_name, Person.id)
        )
    other_open = list(
        Ticket.select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.created_at)
        .where((Ticket.person == ticket.person_id) & (Ticket.id != ticket.id) & Ticket.status.in_(Ticket.OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(20)
    )
    return DeskView(contract, parties, other_open, tickets.history(ticket, include_internal=True),
                    colleagues(ticket, user))


def colleagues(ticket: Ticket, user: User) -> list[User]:
    """Whom the ticket may be assigned to: active staff of its cooperative, and the acting user (admins too)."""
    return list(
        User.select(User.id, User.staff_name, User.email, User.role)
        .where(User.is_active & (
            ((User.role == User.ROLE_STAFF) & (User.cooperative == ticket.cooperative_id)) | (User.id == user.id)
        ))
        .order_by(User.staff_name, User.id)
    )


# --- acting: one version, one transaction ---


@contextmanager
def _acting_on(ticket: Ticket, seen: Seen, user: User, action: str, detail: str = ""):
    """The ticket as it is now, locked, if it still has the seen version; audited with the action."""
    with db.write_transaction():
        current = tickets.locked(ticket)
        if current.version != seen.version:
            raise Conflict(current, _since(current, seen))
        yield current
        audit.record(user, action, current, " ".join(filter(None, [current.number, detail])),
                     cooperative=current.cooperative_id)


def _since(ticket: Ticket, seen: Seen) -> list:
    if seen.at is None:
        return []
    return [entry for entry in tickets.history(ticket, include_internal=True) if entry[1] > seen.at]


def assign(ticket: Ticket, seen: Seen, assignee_id: int | None, user: User) -> Ticket:
    """Assign to a colleague of the ticket's cooperative or to oneself; None: to nobody. In the desk's history
    ("zugewiesen an … von …"); the tenant sees nothing."""
    assignee = None
    if assignee_id is not None:
        assignee = next((c for c in colleagues(ticket, user) if c.id == assignee_id), None)
        if assignee is None:
            raise Rejected("assignee", "Bitte wählen Sie eine Kollegin oder einen Kollegen aus der Liste.")
    name = (assignee.staff_name or assignee.email) if assignee else "niemand"
    with _acting_on(ticket, seen, user, "ticket.assign", f"zugewiesen: {name}") as current:
        if current.assigned_to_id == assignee_id:
            raise Rejected("assignee", f"Die Meldung ist bereits {'niemandem' if assignee is None else name} "
                                       "zugewiesen.")
        now = clock.now()
        current.assigned_to = assignee
        TicketAssignment.create(ticket=current, assignee=assignee, assigned_by=user, assigned_at=now)
        tickets._changed(current, now, seen_by_tenant=False)
    return current


def change_status(ticket: Ticket, seen: Seen, status: str, user: User, reason: str = "", message: str = "") -> Ticket:
    """Set a status: Abgelehnt needs a reason; Abgeschlossen may carry a closing message to the tenant.
    Mailed to the tenant either way."""
    if status not in STATUS_CHOICES:
        raise Rejected("status", "Bitte wählen Sie einen Status aus der Liste.")
    if status == "rejected":
        reason = tickets.check_text("reason", reason, "Bitte geben Sie einen Grund für die Ablehnung an.", REASON_MAX)
    message = tickets.check_text("message", message, None) if status == "closed" else ""
    with _acting_on(ticket, seen, user, "ticket.status", Ticket.STATUSES[status]) as current:
        if status == current.status:
            raise Rejected("status", f"Die Meldung hat bereits den Status „{Ticket.STATUSES[status]}“.")
        tickets._check_transition(current, status, reason)
        now = clock.now()
        if message:
            tickets.record_staff_message(current, message, user, status, now)
        else:
            tickets._apply_status(current, status, user, reason if status == "rejected" else "", now)
            tickets._mail_status(current, reason=reason if status == "rejected" else "")
    return current


def answer(ticket: Ticket, seen: Seen, body: str, user: User, attachments=()) -> Ticket:
    """An answer to the tenant, with files (checked by wir.uploads as the tenant's); mailed with a link."""
    tickets.check_text("message", body, "Bitte schreiben Sie eine Nachricht.")
    stored = tickets.store_files(attachments)
    with _acting_on(ticket, seen, user, "ticket.answer") as current:
        tickets.record_staff_message(current, body, user, None, clock.now(), stored)
    return current


def ask(ticket: Ticket, seen: Seen, question: str, user: User) -> Ticket:
    """Rückfrage: the question goes to the tenant, the status to Rückfrage until the tenant answers."""
    tickets.check_text("question", question, "Bitte schreiben Sie Ihre Frage.")
    with _acting_on(ticket, seen, user, "ticket.query") as current:
        if current.status != "query":
            tickets._check_transition(current, "query", "")
        tickets.record_staff_message(current, question, user, "query", clock.now())
    return current


def add_note(ticket: Ticket, seen: Seen, body: str, user: User) -> Ticket:
    """An internal note among staff: counts as activity, but the tenant never sees it and no mail goes out."""
    tickets.check_text("note", body, "Bitte schreiben Sie eine Notiz.")
    with _acting_on(ticket, seen, user, "ticket.note") as current:
        now = clock.now()
        TicketMessage.create(ticket=current, author=user, from_staff=True, internal=True, body=body.strip(),
                             created_at=now)
        tickets._changed(current, now, seen_by_tenant=False)
    return current


# --- a Meldung taken down for a tenant (phone or counter): tickets.create_ticket with created_by the clerk ---

def contracts_of(person: Person) -> list[Contract]:
    """The person's contracts with their units, to choose the one the Meldung is about."""
    return [contract for _, contract in scope.contracts_of([person])]
