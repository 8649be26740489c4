"""Freigaben at the staff desk: Mietschuldenfreiheitsbescheinigungen that went to staff (the rent account was not
clean when the tenant asked) and forms sent in the portal (Untervermietung, Haustierhaltung, Personenzahl, Kündigung).

Each decision is one transaction on the ticket row, taken only while the ticket is still open: the document in the
tenant's Dokumente, the ticket's new status with its message, the mail to the tenant and the audit entry exist
together or not at all, and of two clerks deciding at once exactly one wins.
"""

import re

from wir import audit, clock, db, storage
from wir.formatting import german_date
from wir.models import (
    Contract,
    Document,
    Person,
    Ticket,
    TicketMessage,
    TicketStatus,
    User,
)
from wir.services import text
from wir.services.documents import applications, certificates, documents
from wir.services.staff import reply_templates
from wir.services.tickets import tickets

RENT_CLEARANCE = "rent_clearance"
# category key → the form's title (the ticket's subject)
APPLICATIONS = {kind.category_key: kind.title for kind in applications.KINDS.values()}
TEXT_MAX = 5_000
NOT_OPEN = "Diese Meldung ist inzwischen nicht mehr offen; Ihre Entscheidung wurde nicht übernommen."
# how applications.submit names the copy in the ticket's first message
COPY_NUMBER = re.compile(r"Dokument-Nr\. ([A-Z0-9-]+)\)")


class NotOpen(Exception):
    """The ticket was decided (or closed) meanwhile: nothing applied."""


def decision_of(ticket: Ticket) -> str | None:
    """What the desk may decide on the ticket: "certificate", "application", or None (not such a request, or no
    longer open)."""
    if ticket.status not in Ticket.OPEN_STATUSES or not ticket.contract_id:
        return None
    key = ticket.category.key
    if key == RENT_CLEARANCE:
        return "certificate"
    return "application" if key in APPLICATIONS else None


def form_copy_of(ticket: Ticket) -> Document | None:
    """The PDF copy of a sent form: the document in the sender's Dokumente that the ticket's first message names."""
    first = (TicketMessage.select(TicketMessage.body).where(TicketMessage.ticket == ticket)
             .order_by(TicketMessage.created_at, TicketMessage.id).first())
    found = COPY_NUMBER.search(first.body) if first else None
    if found is None:
        return None
    return Document.get_or_none((Document.number == found.group(1)) & (Document.person == ticket.person_id)
                                & (Document.kind == "form"))


def record_document_view(user: User, document: Document) -> None:
    """Staff opened a tenant's document: audited (it is personal data); its proof of receipt stays the tenant's."""
    with db.write_transaction():
        audit.record(user, "document.view", document, document.number, document.person.cooperative_id)


def _check_text(field: str, typed: str, required: str | None, what: str) -> str:
    """A clerk's text to the tenant (printed in the letter, mailed): never with a Textbaustein's placeholder."""
    checked = text.check(field, typed, required, TEXT_MAX, printable=True)
    reply_templates.refuse_placeholders(field, checked, what)
    return checked


def _awaiting(edit: tickets.Change, ticket: Ticket, decision: str) -> Ticket:
    """The ticket as it is now (locked by the change), if it still awaits this decision; else NotOpen."""
    current = edit.ticket
    current.category = ticket.category  # already loaded with the ticket
    if decision_of(current) != decision:
        raise NotOpen(ticket.number)
    return current


def _parts(ticket: Ticket) -> tuple[Person, Contract]:
    return Person.get_by_id(ticket.person_id), Contract.get_by_id(ticket.contract_id)


def issue_rent_clearance(ticket: Ticket, clerk: User) -> Document:
    """Ausstellen: the certificate "Stand <today>" into the tenant's Dokumente, the ticket closed with a message
    that says so (mailed to the tenant). Raises NotOpen."""
    from wir.pdf import rent_clearance  # fpdf, ~22 MB: loaded when needed

    if decision_of(ticket) != "certificate":
        raise NotOpen(ticket.number)
    person, contract = _parts(ticket)
    today = clock.today()
    number = documents.new_number(contract.cooperative)
    pdf = rent_clearance.build(certificates.rent_clearance_data(contract, number, today, person.full_name))
    storage.store(pdf)  # the file first: no disk writes while the transaction holds the write lock
    with tickets.change(ticket, clerk, "rent_clearance.issued", f"Dokument {number}") as edit:
        _awaiting(edit, ticket, "certificate")
        document = documents.store_document(person, contract, "certificate",
                                            f"{rent_clearance.TITLE} vom {german_date(today)}", pdf, clerk,
                                            number=number)
        edit.message(f"Ihre Mietschuldenfreiheitsbescheinigung (Stand {german_date(today)}) liegt für Sie unter "
                     f"„Dokumente“ bereit (Dokument-Nr. {number}).")
        edit.status(TicketStatus.CLOSED)
    return document


def refuse_rent_clearance(ticket: Ticket, clerk: User, reason: str) -> Ticket:
    """Ablehnen: the ticket Abgelehnt with the reason (mailed to the tenant). Raises Rejected('reason'), NotOpen."""
    reason = _check_text("reason", reason,
                         "Bitte geben Sie einen Grund an; er wird der Mieterin oder dem Mieter mitgeteilt.",
                         "Die Begründung")
    if decision_of(ticket) != "certificate":
        raise NotOpen(ticket.number)
    with tickets.change(ticket, clerk, "rent_clearance.refused") as edit:
        _awaiting(edit, ticket, "certificate")
        edit.status(TicketStatus.REJECTED, reason)
    return edit.ticket


def decide_application(ticket: Ticket, clerk: User, approve: bool, text: str) -> Document:
    """Zustimmen (``approve``; the text is optional) or Ablehnen (the text is the reason): a reply letter into the
    tenant's Dokumente, the ticket Abgeschlossen or Abgelehnt, a mail to the tenant. Raises Rejected('text'), NotOpen."""
    from wir.pdf import (  # fpdf, ~22 MB: loaded when needed
        cooperative_letter,
        reply_letter,
    )

    text = _check_text("text", text, None if approve else
                       "Bitte geben Sie einen Grund an; er steht im Schreiben an die Mieterin oder den Mieter.",
                       "Der Text")
    if decision_of(ticket) != "application":
        raise NotOpen(ticket.number)
    person, contract = _parts(ticket)
    cooperative = contract.cooperative
    today = clock.today()
    number = documents.new_number(cooperative)
    pdf = reply_letter.build(reply_letter.Reply(
        letterhead=documents.letterhead(cooperative),
        number=number,
        issued_on=today,
        recipient=(person.full_name, person.street, f"{person.postcode} {person.city}"),
        salutation=cooperative_letter.salutation([person]),
        application=APPLICATIONS[ticket.category.key],
        submitted_on=clock.to_local(ticket.created_at).date(),
        approved=approve,
        text=text,
        signatory=clerk.staff_name or cooperative.name,
        contract_number=contract.number,
        ticket_number=ticket.number,
    ))
    storage.store(pdf)
    letter = f"Unser Schreiben dazu liegt für Sie unter „Dokumente“ bereit (Dokument-Nr. {number})."
    with tickets.change(ticket, clerk, "application.approved" if approve else "application.refused",
                        f"Dokument {number}") as edit:
        _awaiting(edit, ticket, "application")
        document = documents.store_document(person, contract, "letter",
                                            f"Antwort auf Ihren Antrag „{APPLICATIONS[ticket.category.key]}“",
                                            pdf, clerk, number=number)
        if approve:
            edit.message("\n\n".join(filter(None, ["Wir stimmen Ihrem Antrag zu.", text, letter])))
            edit.status(TicketStatus.CLOSED)
        else:
            edit.status(TicketStatus.REJECTED, f"{text}\n\n{letter}")
    return document
