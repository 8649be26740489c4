"""The ticket at the desk: what staff do with a Meldung, and the Meldungen they take down for a tenant.

Two clerks may work on the same ticket. Every action names the version of the ticket its form was based
on (``tickets.Seen``) and goes through the ticket lifecycle (``tickets.change``), which applies it only while the
ticket still has that version: a stale one raises ``tickets.Conflict`` with what happened since, and nothing is
applied. Every action and every view of a ticket by staff is written to the audit log in the same transaction.
"""

from dataclasses import dataclass

from peewee import JOIN

from wir import audit, db
from wir.models import (
    Contract,
    ContractParty,
    Person,
    Ticket,
    TicketAttachment,
    TicketStatus,
    Unit,
    User,
)
from wir.services import scope
from wir.services.rejections import Rejected
from wir.services.staff import reply_templates, staff_persons, work_orders
from wir.services.tickets import tickets
from wir.services.tickets.tickets import Seen

# the status form's choices: Rückfrage has its own form (it needs the question)
STATUS_CHOICES = (TicketStatus.IN_PROGRESS, TicketStatus.COMMISSIONED, TicketStatus.CLOSED, TicketStatus.REJECTED,
                  TicketStatus.WITHDRAWN)
REASON_MAX = 2_000

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
    contact: staff_persons.ContactData  # the reporting person's e-mail address and phone numbers
    templates: list[tuple[int, str]]  # the cooperative's Textbausteine to insert into the answer: (id, title)
    work_orders: list  # the Handwerkeraufträge of the ticket with their contractors


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
    person = ticket.person
    account = (User.select(User.id, User.email).where(User.id == person.user_id).first()
               if person.user_id else None)
    return DeskView(contract, parties, other_open, tickets.history(ticket, include_internal=True),
                    colleagues(ticket, user), staff_persons.contact_data(account),
                    reply_templates.choices(ticket.cooperative_id), work_orders.orders_of(ticket))


def colleagues(ticket: Ticket, user: User) -> list[User]:
    """Whom the ticket may be assigned to: active staff of its cooperative, and the acting user (admins too)."""
    return list(
        User.select(User.id, User.staff_name, User.email, User.role)
        .where(User.is_active & (
            ((User.role == User.ROLE_STAFF) & (User.cooperative == ticket.cooperative_id)) | (User.id == user.id)
        ))
        .order_by(User.staff_name, User.id)
    )


# --- acting: one version, one transaction (tickets.change) ---


def assign(ticket: Ticket, seen: Seen, assignee_id: int | None, user: User) -> Ticket:
    """Assign to a colleague of the ticket's cooperative or to oneself; None: to nobody. In the desk's history
    ("zugewiesen an … von …"); the tenant sees nothing."""
    assignee = None
    if assignee_id is not None:
        assignee = next((c for c in colleagues(ticket, user) if c.id == assignee_id), None)
        if assignee is None:
            raise Rejected("assignee", "Bitte wählen Sie eine Kollegin oder einen Kollegen aus der Liste.")
    name = (assignee.staff_name or assignee.email) if assignee else "niemand"
    with tickets.change(ticket, user, "ticket.assign", f"zugewiesen: {name}", seen) as edit:
        if edit.ticket.assigned_to_id == assignee_id:
            raise Rejected("assignee", f"Die Meldung ist bereits {'niemandem' if assignee is None else name} "
                                       "zugewiesen.")
        edit.assign(assignee)
    return edit.ticket


def change_status(ticket: Ticket, seen: Seen, status: str, user: User, reason: str = "", message: str = "") -> Ticket:
    """Set a status: Abgelehnt needs a reason; Abgeschlossen may carry a closing message to the tenant.
    Mailed to the tenant either way, the reason and the message never with a placeholder left in them."""
    if status not in STATUS_CHOICES:
        raise Rejected("status", "Bitte wählen Sie einen Status aus der Liste.")
    if status == TicketStatus.REJECTED:
        reason = tickets.check_text("reason", reason, "Bitte geben Sie einen Grund für die Ablehnung an.", REASON_MAX)
        reply_templates.refuse_placeholders("reason", reason, "Die Begründung")
    else:
        reason = ""
    if status == TicketStatus.CLOSED:
        message = tickets.check_text("message", message, None)
        reply_templates.refuse_placeholders("message", message, "Die Nachricht")
    else:
        message = ""
    with tickets.change(ticket, user, "ticket.status", Ticket.STATUSES[status], seen) as edit:
        if message:
            edit.message(message)
        edit.status(status, reason)
    return edit.ticket


def answer(ticket: Ticket, seen: Seen, body: str, user: User, attachments=()) -> Ticket:
    """An answer to the tenant, with files (checked by wir.uploads as the tenant's); mailed with a link. Never with
    a placeholder of a Textbaustein left in it."""
    body = tickets.check_text("message", body, "Bitte schreiben Sie eine Nachricht.")
    reply_templates.refuse_placeholders("message", body, "Die Antwort")
    stored = tickets.store_files(attachments)
    with tickets.change(ticket, user, "ticket.answer", seen=seen) as edit:
        edit.message(body, stored=stored)
    return edit.ticket


def ask(ticket: Ticket, seen: Seen, question: str, user: User) -> Ticket:
    """Rückfrage: the question goes to the tenant, the status to Rückfrage until the tenant answers (a further
    question while it waits keeps the status). Never with a placeholder left in it."""
    question = tickets.check_text("question", question, "Bitte schreiben Sie Ihre Frage.")
    reply_templates.refuse_placeholders("question", question, "Die Rückfrage")
    with tickets.change(ticket, user, "ticket.query", seen=seen) as edit:
        asking_anew = edit.ticket.status != TicketStatus.QUERY
        edit.message(question)
        if asking_anew:
            edit.status(TicketStatus.QUERY)
    return edit.ticket


def add_note(ticket: Ticket, seen: Seen, body: str, user: User) -> Ticket:
    """An internal note among staff: counts as activity, but the tenant never sees it and no mail goes out."""
    body = tickets.check_text("note", body, "Bitte schreiben Sie eine Notiz.")
    with tickets.change(ticket, user, "ticket.note", seen=seen) as edit:
        edit.message(body, internal=True)
    return edit.ticket


# --- a Meldung taken down for a tenant (phone or counter): tickets.create_ticket with created_by the clerk ---

def contracts_of(person: Person) -> list[Contract]:
    """The person's contracts with their units, to choose the one the Meldung is about."""
    return [contract for _, contract in scope.contracts_of([person])]
