"""Handwerkerauftrag: a ticket's work ordered from a contractor at the desk, mailed to the company as a PDF, and the
company's answers through a link without login (services, no Flask).

Placing an order is one ticket change (tickets.change): the order row, the status Beauftragt with „Firma X
beauftragt“ in the tenant's history (the status change's reason) and the audit entry commit together. The order's
mail is the order row itself while ``mailed_at`` is empty: the task queue (wir.tasks.mail_work_order, after the
request; a sweep every 10 minutes for a lost task) builds the PDF and queues the mail in the transaction that sets
``mailed_at`` — only where it was still empty, so the mail goes out exactly once however often the task runs.

The company's link: a random token of which only the SHA-256 is stored, valid LINK_VALID, for one answer. Each
answer (an appointment proposed or confirmed, „erledigt“) consumes it in the transaction that applies the answer,
and the confirmation mail to the company carries a fresh link for the next step; after „erledigt“ there is none. A
used, expired, tampered or foreign link finds no order: nothing changes. The tenant sees the appointment on the
Meldung and is mailed (a message of the cooperative in the history); „erledigt“ is an internal note for the clerk,
who closes the ticket (the company's word is not the tenant's: the clerk may still ask them).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from peewee import IntegrityError

from wir import audit, clock, db, mail, storage
from wir.mail import MailFile
from wir.models import (
    Contract,
    Contractor,
    Cooperative,
    Person,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatus,
    Unit,
    User,
    WorkOrder,
)
from wir.services import scope, text
from wir.services.rejections import Rejected
from wir.services.staff import reply_templates
from wir.services.tickets import tickets

LINK_VALID = timedelta(days=60)
TEXT_MAX = 5_000
NOTE_MAX = 2_000
TOKEN_MAX = 100  # a longer "token" is no token of ours: refused before it is hashed
NUMBER_MAX = 30
AHEAD = timedelta(days=366)  # the latest appointment a company may give
WEEKDAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
TIME = re.compile(r"([01]?[0-9]|2[0-3])(?::([0-5][0-9]))?")


class InvalidLink(Exception):
    """The company's link is used, expired, tampered with or not this order's."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the order at the desk ---


def prefill(ticket: Ticket) -> str:
    """The order's text as the desk offers it: the ticket's subject, the Ort in der Wohnung and what the tenant
    wrote first."""
    first = (TicketMessage.select(TicketMessage.body)
             .where((TicketMessage.ticket == ticket) & ~TicketMessage.from_staff & ~TicketMessage.internal)
             .order_by(TicketMessage.created_at, TicketMessage.id).first())
    lines = [ticket.subject]
    if ticket.location:
        lines.append(f"Ort in der Wohnung: {ticket.location}")
    if first:
        lines += ["", first.body]
    return "\n".join(lines)


@dataclass(frozen=True)
class Draft:
    contractor: str  # the contractor's id as the form sent it
    text: str
    pass_phone: bool = False


def _contractor(ticket: Ticket, chosen: str) -> Contractor:
    """An active contractor of the ticket's cooperative; anything else (another cooperative's id) is refused."""
    found = Contractor.get_or_none(
        (Contractor.id == int(chosen)) & (Contractor.cooperative == ticket.cooperative_id) & Contractor.active
    ) if chosen and chosen.isascii() and chosen.isdigit() and len(chosen) < 10 else None
    if found is None:
        raise Rejected("contractor", "Bitte wählen Sie eine Firma aus der Liste.")
    return found


def _next_number(cooperative: Cooperative) -> str:
    """LA-2026-0001: the cooperative's orders of the year, counted (inside the write lock)."""
    prefix = f"{cooperative.slug[0].upper()}A-{clock.now().year}-"
    last = (WorkOrder.select(WorkOrder.number).where(WorkOrder.number.startswith(prefix))
            .order_by(WorkOrder.id.desc()).limit(1).scalar())
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def place(ticket: Ticket, seen: tickets.Seen, draft: Draft, clerk: User) -> WorkOrder:
    """Order the work: raises Rejected (contractor, text, pass_phone; status for a ticket that cannot be
    Beauftragt), tickets.Conflict for a stale form. The mail follows through the task queue (mail_order)."""
    contractor = _contractor(ticket, draft.contractor)
    body = text.check("text", draft.text, "Bitte beschreiben Sie den Auftrag.", TEXT_MAX, printable=True)
    reply_templates.refuse_placeholders("text", body, "Der Auftrag")
    try:
        return _record(ticket, seen, draft, contractor, body, clerk)
    except IntegrityError:  # PostgreSQL: another order drew the same number at the same moment; draw anew
        return _record(ticket, seen, draft, contractor, body, clerk)


def _record(ticket: Ticket, seen: tickets.Seen, draft: Draft, contractor: Contractor, body: str,
            clerk: User) -> WorkOrder:
    """The order, the ticket Beauftragt (or a message on a second order) and the audit entry in one transaction."""
    with tickets.change(ticket, clerk, "work_order.placed", contractor.name, seen) as edit:
        current = edit.ticket
        if draft.pass_phone and not current.phone_for_contractor:
            raise Rejected("pass_phone", "Die Mieterin oder der Mieter hat der Weitergabe der Telefonnummer nicht "
                                         "zugestimmt.")
        ordered = f"Firma {contractor.name} beauftragt"
        if current.status == TicketStatus.COMMISSIONED:  # a second company: the tenant reads it as a message
            edit.message(f"{ordered}.")
        else:
            edit.status(TicketStatus.COMMISSIONED, ordered)
        return WorkOrder.create(
            cooperative=current.cooperative_id, number=_next_number(ticket.cooperative), ticket=current,
            contractor=contractor, text=body, pass_phone=draft.pass_phone, pass_photos=current.photos_for_contractor,
            created_by=clerk, created_at=edit.now,
        )


def orders_of(ticket: Ticket) -> list[WorkOrder]:
    """The ticket's orders with their contractors, oldest first, in one query (the desk)."""
    return list(WorkOrder.select(WorkOrder, Contractor).join(Contractor)
                .where(WorkOrder.ticket == ticket).order_by(WorkOrder.created_at, WorkOrder.id))


def order_pdf_of(ticket: Ticket, number: str, user: User) -> bytes | None:
    """The PDF of the ticket's order as it was mailed (None before it was); opening it is audited (it names the
    tenant)."""
    order = next((o for o in orders_of(ticket) if o.number == number and o.pdf_key), None)
    if order is None:
        return None
    with db.write_transaction():
        audit.record(user, "work_order.pdf.view", order, order.number, ticket.cooperative_id)
    return storage.load(order.pdf_key)


def appointments_of(ticket: Ticket) -> list[str]:
    """„Di, 15.12.2026, 8–10 Uhr, Firma X“ for each open appointment of the ticket's orders, in one query (the
    tenant's Meldung)."""
    return [appointment_text(order) for order in orders_of(ticket)
            if order.appointment_on and order.state in (WorkOrder.PROPOSED, WorkOrder.CONFIRMED)]


def _clock(value: str) -> str:
    hours, minutes = value.split(":")
    return str(int(hours)) if minutes == "00" else f"{int(hours)}:{minutes}"


def appointment_text(order: WorkOrder) -> str:
    on = order.appointment_on
    when = f"{WEEKDAYS[on.weekday()]}, {on:%d.%m.%Y}, {_clock(order.appointment_from)}–" \
           f"{_clock(order.appointment_until)} Uhr"
    suffix = "" if order.state == WorkOrder.CONFIRMED else " (Vorschlag der Firma)"
    return f"{when}, Firma {order.contractor.name}{suffix}"


# --- the order's mail: once, through the task queue ---


def tenant_phone(ticket: Ticket) -> str:
    """The number the tenant gave with the ticket, else the first of their account's."""
    if ticket.phone:
        return ticket.phone
    person = ticket.person
    phones = scope.phones_of(person.user_id) if person.user_id else []
    return phones[0].number if phones else ""


def _photos(ticket: Ticket) -> list[MailFile]:
    """The photos the tenant sent with the ticket (never the cooperative's files or PDFs)."""
    return [MailFile(row.filename, row.content_type, row.storage_key) for row in
            TicketAttachment.select(TicketAttachment).join(TicketMessage)
            .where((TicketAttachment.ticket == ticket) & ~TicketMessage.from_staff
                   & TicketAttachment.content_type.startswith("image/"))
            .order_by(TicketAttachment.id)]


def _where(ticket: Ticket) -> tuple[Person, Unit | None]:
    """The reporting person and the unit of the ticket's contract (None for a general concern)."""
    person = Person.get_by_id(ticket.person_id)
    unit = (Unit.select().join(Contract, on=(Contract.unit == Unit.id)).where(Contract.id == ticket.contract_id)
            .first()) if ticket.contract_id else None
    return person, unit


def _address(person: Person, unit: Unit | None) -> str:
    """Where the work is: the unit's address with floor and position (else the person's address)."""
    place = unit or person
    address = f"{place.street}, {place.postcode} {place.city}"
    if unit is not None and (unit.floor or unit.position):
        address += ", " + " ".join(part for part in (unit.floor, unit.position) if part)
    return address


def _order_pdf(order: WorkOrder, photos: int, creation_date=None) -> bytes:
    from wir.pdf import work_order  # fpdf, loaded when needed
    from wir.services.documents import documents

    ticket, contractor = order.ticket, order.contractor
    person, unit = _where(ticket)
    clerk = User.get_or_none(User.id == order.created_by_id)
    return work_order.build(work_order.Order(
        letterhead=documents.letterhead(order.cooperative),
        number=order.number,
        issued_on=clock.to_local(order.created_at).date(),
        recipient=(contractor.name, contractor.trade, f"per E-Mail an {contractor.email}"),
        ticket_number=ticket.number,
        address=_address(person, unit),
        unit=f"{Unit.KINDS.get(unit.kind, 'Wohnung')} {unit.number}" if unit else "",
        location=ticket.location,
        tenant=person.full_name,
        phone=tenant_phone(ticket) if order.pass_phone else "",
        text=order.text,
        photos=photos,
        signatory=(clerk.staff_name or "") if clerk else "",
    ), creation_date=creation_date)


def _loaded(order_id: int) -> WorkOrder | None:
    return (WorkOrder.select(WorkOrder, Contractor, Ticket, Cooperative)
            .join(Contractor).switch(WorkOrder).join(Ticket).switch(WorkOrder).join(Cooperative)
            .where(WorkOrder.id == order_id).first())


def mail_order(order_id: int) -> bool:
    """Build the order's PDF and queue its mail to the company with the answer link (and the tenant's photos when
    they agreed); True when this call queued it. Safe to run any time and twice at once: only the call that
    sets ``mailed_at`` queues the mail."""
    order = _loaded(order_id)
    if order is None or order.mailed_at is not None:
        return False
    photos = _photos(order.ticket) if order.pass_photos else []
    pdf_key = storage.store(_order_pdf(order, len(photos)))  # before the transaction: no I/O inside it
    token, now = secrets.token_urlsafe(32), clock.now()
    with db.write_transaction():
        claimed = (WorkOrder.update(mailed_at=now, pdf_key=pdf_key, link_hash=_hash(token),
                                    link_expires_at=now + LINK_VALID)
                   .where((WorkOrder.id == order.id) & WorkOrder.mailed_at.is_null()).execute())
        if not claimed:
            return False
        cooperative = order.cooperative
        mail.queue_mail(
            order.contractor.email, f"Auftrag {order.number} der {cooperative.name}", "work_order",
            files=[MailFile(f"Auftrag-{order.number}.pdf", "application/pdf", pdf_key), *photos],
            order=order, cooperative=cooperative, link=_link(order, token), valid_days=LINK_VALID.days,
        )
        audit.record(None, "work_order.mailed", order, f"{order.number} an {order.contractor.name}", cooperative)
    return True


def mail_due() -> int:
    """Every order whose mail is not queued yet (its task lost, its worker died); the number queued now."""
    due = WorkOrder.select(WorkOrder.id).where(WorkOrder.mailed_at.is_null()).order_by(WorkOrder.id).tuples()
    return sum(mail_order(order_id) for (order_id,) in list(due))


def _link(order: WorkOrder, token: str) -> str:
    return mail.external_url("work_orders.answer", number=order.number, token=token)


# --- the company's answers through the link ---


def by_link(number: str, token: str) -> WorkOrder | None:
    """The order the link is for while it is open: the token's digest, the number beside it, not expired, and its
    Meldung still open (a Meldung closed or withdrawn needs no appointment)."""
    if not token or not number or len(token) > TOKEN_MAX or len(number) > NUMBER_MAX:
        return None
    order = (WorkOrder.select(WorkOrder, Contractor, Ticket, Cooperative)
             .join(Contractor).switch(WorkOrder).join(Ticket).switch(WorkOrder).join(Cooperative)
             .where((WorkOrder.number == number) & (WorkOrder.link_hash == _hash(token))
                    & (WorkOrder.link_expires_at > clock.now()) & Ticket.status.in_(Ticket.OPEN_STATUSES))
             .first())
    return order


@dataclass(frozen=True)
class OrderView:
    """What the company's page shows of the order: what the PDF says."""

    order: WorkOrder
    address: str
    tenant: str
    phone: str


def view_of(order: WorkOrder) -> OrderView:
    person, unit = _where(order.ticket)
    return OrderView(order, _address(person, unit), person.full_name,
                     tenant_phone(order.ticket) if order.pass_phone else "")


@dataclass(frozen=True)
class Appointment:
    on: date | None
    start: str
    until: str
    confirmed: bool  # False: a proposal the tenant may still answer to


def _time(field: str, value: str, empty: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Rejected(field, empty)
    found = TIME.fullmatch(value) if len(value) <= 5 else None
    if not found:
        raise Rejected(field, "Bitte geben Sie eine Uhrzeit ein, z. B. 8:00.")
    return f"{int(found.group(1)):02d}:{found.group(2) or '00'}"


def check_appointment(appointment: Appointment) -> Appointment:
    """Raises Rejected(on | start | until): a day from today to a year ahead, a window that ends after it starts."""
    today = clock.today()
    if appointment.on is None:
        raise Rejected("on", "Bitte geben Sie den Tag des Termins an.")
    if appointment.on < today:
        raise Rejected("on", "Der Termin kann nicht in der Vergangenheit liegen.")
    if appointment.on > today + AHEAD:
        raise Rejected("on", "Bitte geben Sie einen Termin innerhalb eines Jahres an.")
    start = _time("start", appointment.start, "Bitte geben Sie an, ab wann Sie kommen.")
    until = _time("until", appointment.until, "Bitte geben Sie an, bis wann Sie kommen.")
    if until <= start:
        raise Rejected("until", "Das Ende des Zeitfensters muss nach seinem Beginn liegen.")
    return Appointment(appointment.on, start, until, appointment.confirmed)


def _consume(order: WorkOrder, token: str, fresh: str | None, **changes) -> None:
    """The answer applied and the link used up in one UPDATE that finds it only while it is still open; a fresh
    link (its token ``fresh``) for the next step, or none. Raises InvalidLink when another answer came first."""
    now = clock.now()
    applied = (WorkOrder.update(link_hash=_hash(fresh) if fresh else None,
                                link_expires_at=now + LINK_VALID if fresh else None, **changes)
               .where((WorkOrder.id == order.id) & (WorkOrder.link_hash == _hash(token))
                      & (WorkOrder.link_expires_at > now)).execute())
    if not applied:
        raise InvalidLink()


def _confirm_to_company(order: WorkOrder, what: str, fresh: str | None, appointment: str = "") -> None:
    """The company's confirmation of its answer, with the fresh link for the next step (``fresh``) or none."""
    mail.queue_mail(order.contractor.email, f"Auftrag {order.number}: {what}", "work_order_answered",
                    order=order, cooperative=order.cooperative, what=what, appointment=appointment,
                    link=_link(order, fresh) if fresh else None, valid_days=LINK_VALID.days)


def give_appointment(number: str, token: str, appointment: Appointment) -> WorkOrder:
    """The company proposes or confirms an appointment: the tenant reads it on the Meldung and by mail, the clerk
    on the desk. Raises Rejected (on, start, until), InvalidLink."""
    order = by_link(number, token)
    if order is None:
        raise InvalidLink()
    appointment = check_appointment(appointment)
    state = WorkOrder.CONFIRMED if appointment.confirmed else WorkOrder.PROPOSED
    fresh = secrets.token_urlsafe(32)
    with tickets.change(order.ticket, None, "work_order.appointment", order.number) as edit:
        _consume(order, token, fresh, state=state, appointment_on=appointment.on,
                 appointment_from=appointment.start, appointment_until=appointment.until)
        order.state, order.appointment_on = state, appointment.on
        order.appointment_from, order.appointment_until = appointment.start, appointment.until
        shown = appointment_text(order)
        edit.message(f"Termin: {shown}")
        _confirm_to_company(order, "Termin bestätigt" if appointment.confirmed else "Terminvorschlag erhalten", fresh,
                            shown)
    return order


def report_done(number: str, token: str, note: str) -> WorkOrder:
    """The company reports the work done: an internal note on the desk for the clerk, who closes the ticket; the
    link ends. Raises Rejected (note), InvalidLink."""
    order = by_link(number, token)
    if order is None:
        raise InvalidLink()
    note = text.check("note", note, None, NOTE_MAX)
    with tickets.change(order.ticket, None, "work_order.done", order.number) as edit:
        _consume(order, token, None, state=WorkOrder.DONE, done_at=edit.now, done_note=note)
        order.state = WorkOrder.DONE
        words = f"Firma {order.contractor.name} meldet den Auftrag {order.number} als erledigt."
        edit.message(f"{words}\n\nNotiz der Firma: {note}" if note else words, internal=True)
        _confirm_to_company(order, "Erledigt-Meldung erhalten", None)
    return order
