"""The Eingangsbestätigung of a ticket, kept in the tenant's Dokumente."""

from wir import clock
from wir.models import Contract, Document, Ticket, User
from wir.services.documents import documents


def file_receipt(ticket: Ticket, message: str, attachments: list[tuple[str, int]],
                 requested_by: User | None) -> Document:
    """The receipt of a ticket just filed, from what filing it wrote: the first ``message`` and the
    ``attachments`` (file name, size). The ticket's person, cooperative, category (with its Meldungsart) and
    contract as the ticket holds them; only what it does not hold is loaded."""
    from wir.pdf import ticket_receipt  # fpdf, ~22 MB: loaded when needed

    person, cooperative, category, contract = ticket.person, ticket.cooperative, ticket.category, ticket.contract
    number = documents.new_number(cooperative)
    details = tuple((label, value) for label, value in (("Ort", ticket.location), ("Telefon", ticket.phone)) if value)
    pdf = ticket_receipt.build(ticket_receipt.TicketReceipt(
        letterhead=documents.letterhead(cooperative),
        number=number,
        issued_on=clock.today(),
        ticket_number=ticket.number,
        received_at=clock.to_local(ticket.created_at).replace(tzinfo=None),
        # sent by a representative: „Gisela Weiß, durch Anna Weiß für Gisela Weiß“ would repeat the name
        sender=person.full_name + (f", gesendet durch {ticket.representation.name}" if ticket.representation_id
                                   else ""),
        concern=f"{Contract.KINDS[contract.kind]} {contract.number}" if contract else "Allgemeines Anliegen",
        ticket_type=category.ticket_type.name,
        category=category.name,
        subject=ticket.subject,
        message=message,
        details=details,
        attachments=tuple(attachments),
    ))
    return documents.store_document(person, contract, "receipt", f"Eingangsbestätigung {ticket.number}", pdf,
                                    requested_by, number=number, cooperative=cooperative)
