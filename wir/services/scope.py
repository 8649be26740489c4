"""What belongs to a user: their persons, the contracts, documents, tickets, savings accounts and phone numbers
reached through them.

Every tenant query filters through this module, so another person's object is never found. The lookups
return the object or None; the view answers None with 404 (``rendering.or_404``), because another
tenant's object must be as unknown as one that does not exist.

The tenant's data is reached through ``persons``: a list of Person, those the page shows (``viewer().persons``,
loaded once per request by persons_of), never through the signed-in user, so that the data of one person can be
shown to somebody else. Only the persons themselves and the phone numbers (a user's own) are found by the user.
"""

from peewee import JOIN, fn

from wir.db.prepared import Prepared
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
    Person,
    PhoneNumber,
    Representation,
    SavingsAccount,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketType,
    Unit,
    User,
)

# every tenant page runs it: the layout's name and cooperatives, and the number beside Dokumente (a statement of
# its own before)
_PERSONS_OF = Prepared(
    lambda user_id: Person.select(
        Person, Cooperative,
        Document.select(fn.COUNT(Document.id)).where((Document.person == Person.id) & Document.read_at.is_null())
        .alias("unread_documents"),
    )
    .join(Cooperative).where(Person.user == user_id).order_by(Cooperative.name)
)


def persons_of(user: User) -> list[Person]:
    """The user's persons (one per cooperative) with their cooperatives, in one query; each carries
    ``unread_documents``, how many of its documents were not opened yet."""
    return _PERSONS_OF.rows(user.id)


def person_ids(persons) -> list[int]:
    """The persons' ids, as the queries filter by them."""
    return [person.id for person in persons]


def contract_ids(persons):
    """The contracts in which one of the persons is a party, as a subquery."""
    return ContractParty.select(ContractParty.contract).where(ContractParty.person.in_(person_ids(persons)))


# --- contracts ---


# most tenant pages run it (Dokumente, Verträge, Kontakt, Verbrauch): its SQL text took longer to build than to run
_CONTRACTS_OF = Prepared(
    lambda *person_ids: ContractParty.select(ContractParty, Contract, Unit)
    .join(Contract)
    .join(Unit, JOIN.LEFT_OUTER)
    .where(ContractParty.person.in_(person_ids))
    .order_by(Contract.cooperative, Contract.kind.desc(), Contract.number)
)


def contracts_of(persons) -> list[tuple[Person, Contract]]:
    """The persons' contracts with their units, in one query: (the party, the contract), by cooperative,
    rental before parking before membership, then number."""
    by_id = {person.id: person for person in persons}
    if not by_id:
        return []
    return [(by_id[row.person_id], row.contract) for row in _CONTRACTS_OF.rows(*by_id)]


def contract_of(persons, contract_id: int) -> tuple[Person, Contract] | None:
    """One of the persons' contracts by id, with the party it belongs to."""
    return next(((person, contract) for person, contract in contracts_of(persons) if contract.id == contract_id), None)


def contract_label(contract: Contract) -> str:
    """ "Mietvertrag MV-1001-0203, Stuttgarter Allee 18" (the unit must be loaded or loadable)."""
    unit = contract.unit if contract.unit_id else None
    if unit is None:
        return label_of(contract.kind, contract.number)
    return label_of(contract.kind, contract.number, unit.street, unit.position)


def label_of(kind: str, number: str, street: str | None = None, position: str | None = None) -> str:
    """contract_label from the columns: the contract's kind and number, its unit's street and position (None
    without a unit)."""
    label = f"{Contract.KINDS.get(kind, kind)} {number}"
    if street is not None:
        label += f", {street}" + (f" ({position})" if kind != "rental" and position else "")
    return label


# --- documents, tickets, phone numbers ---


def document_of(persons, number: str) -> Document | None:
    return Document.get_or_none((Document.number == number) & Document.person.in_(person_ids(persons)))


def ticket_of(persons, number: str) -> Ticket | None:
    """One of the persons' tickets by number, with its category, type and contract."""
    return (
        Ticket.select(Ticket, TicketCategory, TicketType, Contract)
        .join(TicketCategory)
        .join(TicketType)
        .switch(Ticket)
        .join(Contract, join_type=JOIN.LEFT_OUTER)
        .where(Ticket.person.in_(person_ids(persons)) & (Ticket.number == number))
        .first()
    )


def attachment_of(ticket: Ticket, attachment_id: int) -> TicketAttachment | None:
    """An attachment of a ticket already found through the persons' scope (ticket_of)."""
    return TicketAttachment.get_or_none((TicketAttachment.id == attachment_id) & (TicketAttachment.ticket == ticket))


def savings_accounts_of(persons):
    """The persons' savings accounts at cooperatives that run a savings facility, by number (a query)."""
    return (
        SavingsAccount.select(SavingsAccount)
        .join(Person)
        .join(Cooperative)
        .where(SavingsAccount.person.in_(person_ids(persons)) & Cooperative.has_savings)
        .order_by(SavingsAccount.number)
    )


def savings_account_of(persons, number: str) -> SavingsAccount | None:
    return savings_accounts_of(persons).where(SavingsAccount.number == number).first()


def phones_of(user: User | int) -> list[PhoneNumber]:
    """The user's phone numbers in their order, in one query: the only place they are read (the account page, the
    staff's contact data, a Termin's choice, the ERP's Kontaktdaten)."""
    return list(PhoneNumber.select().where(PhoneNumber.user == user).order_by(PhoneNumber.position, PhoneNumber.id))


def phone_of(user: User, phone_id: int) -> PhoneNumber | None:
    return PhoneNumber.get_or_none((PhoneNumber.id == phone_id) & (PhoneNumber.user == user))


# --- what staff see: the tickets and persons of their cooperative; admins (no cooperative) see both ---


def in_staff_scope(query, user: User, field):
    """``query`` kept to the staff member's cooperative by ``field`` (a cooperative foreign key); admins: both."""
    if user.role == User.ROLE_ADMIN:
        return query
    return query.where(field == user.cooperative_id)


def staff_ticket_of(user: User, number: str) -> Ticket | None:
    """A ticket of the staff member's cooperative by number (admins: of either), with what the desk shows: the
    representation it was sent through, if any, with its person („durch … für …“)."""
    represented = Person.alias()
    query = (
        Ticket.select(Ticket, TicketCategory, TicketType, Person, Cooperative, Representation, represented)
        .join(TicketCategory).join(TicketType)
        .switch(Ticket).join(Person)
        .switch(Ticket).join(Cooperative)
        .switch(Ticket).join(Representation, JOIN.LEFT_OUTER)
        .join(represented, JOIN.LEFT_OUTER, on=Representation.person == represented.id)
        .where(Ticket.number == number)
    )
    return in_staff_scope(query, user, Ticket.cooperative).first()


def staff_document_of(user: User, number: str) -> Document | None:
    """A document of a person of the staff member's cooperative by number (admins: of either)."""
    query = Document.select(Document, Person).join(Person).where(Document.number == number)
    return in_staff_scope(query, user, Person.cooperative).first()


def staff_persons(user: User):
    """The persons of the staff member's cooperative (admins: of both), by name (a query)."""
    query = Person.select(Person, Cooperative).join(Cooperative).order_by(Person.last_name, Person.first_name, Person.id)
    return in_staff_scope(query, user, Person.cooperative)


def staff_person_of(user: User, person_id: int) -> Person | None:
    return staff_persons(user).where(Person.id == person_id).first()
