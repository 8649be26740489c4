"""The Eingangsbestätigung of a ticket, kept in the tenant's Dokumente."""

from wir import clock
from wir.models import (
    Contract,
    Cooperative,
    Document,
    Person,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketType,
    User,
)
from wir.services.documents import documents


def file_receipt(ticket: Ticket, requested_by: User | None) -> Document:
    from wir.pdf import ticket_receipt  # fpdf, ~22 MB: loaded when needed

    person = Person.get_by_id(ticket.person_id)
    cooperative = Cooperative.get_by_id(ticket.cooperative_id)
    category = TicketCategory.select(TicketCategory, TicketType).join(TicketType).where(
        TicketCategory.id == ticket.category_id).get()
    contract = Contract.get_by_id(ticket.contract_id) if ticket.contract_id else None
    first_message = TicketMessage.select().where(TicketMessage.ticket == ticket).order_by(TicketMessage.id).first()
    files = TicketAttachment.select().where(TicketAttachment.ticket == ticket).order_by(TicketAttachment.id)
    number = documents.new_number(cooperative)
    details = tuple((label, value) for label, value in (("Ort", ticket.location), ("Telefon", ticket.phone)) if value)
    pdf = ticket_receipt.build(ticket_receipt.TicketReceipt(
        letterhead=documents.letterhead(cooperative),
        number=number,
        issued_on=clock.today(),
        ticket_number=ticket.number,
        received_at=clock.to_local(ticket.created_at).replace(tzinfo=None),
        sender=person.full_name,
        concern=f"{Contract.KINDS[contract.kind]} {contract.number}" if contract else "Allgemeines Anliegen",
        ticket_type=category.ticket_type.name,
        category=category.name,
        subject=ticket.subject,
        message=first_message.body if first_message else "",
        details=details,
        attachments=tuple((f.filename, f.size) for f in files),
    ))
    return documents.store_document(
        person, contract, "receipt", f"Eingangsbestätigung {ticket.number}", pdf, requested_by, number=number
    )
