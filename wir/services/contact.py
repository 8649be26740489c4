"""What the Kontakt form offers a tenant: their contracts, the cooperative's Meldungsarten and -kategorien."""

from dataclasses import dataclass

from peewee import JOIN

from wir.models import Contract, ContractParty, Cooperative, Person, TicketCategory, TicketType, Unit, User


@dataclass(frozen=True)
class Concern:
    """What a request is about: a contract, or the cooperative in general (contract None)."""

    key: str  # "c<contract id>" or "p<person id>": the value of the form's choice
    label: str
    person: Person
    contract: Contract | None


def concerns_of(user: User) -> list[Concern]:
    """Per cooperative: "Allgemein", then the user's contracts there. Two queries whatever the number."""
    persons = list(Person.select(Person, Cooperative).join(Cooperative).where(Person.user == user).order_by(Cooperative.name))
    contracts = (
        Contract.select(Contract, ContractParty, Unit)
        .join(ContractParty)
        .switch(Contract)
        .join(Unit, join_type=JOIN.LEFT_OUTER)
        .where(ContractParty.person.in_([p.id for p in persons]))
        .order_by(Contract.kind.desc(), Contract.number)
    )
    by_person = {}
    for contract in contracts:
        by_person.setdefault(contract.contractparty.person_id, []).append(contract)
    concerns = []
    for person in persons:
        concerns.append(Concern(f"p{person.id}", f"Allgemeines Anliegen – {person.cooperative.name}", person, None))
        for contract in by_person.get(person.id, []):
            place = f", {contract.unit.street}" if contract.unit_id else ""
            label = f"{Contract.KINDS[contract.kind]} {contract.number}{place}"
            concerns.append(Concern(f"c{contract.id}", label, person, contract))
    return concerns


def types_of(cooperative_id: int) -> list[TicketType]:
    return list(TicketType.select().where(TicketType.cooperative == cooperative_id).order_by(TicketType.position))


def categories_of(ticket_type_id: int) -> list[TicketCategory]:
    return list(
        TicketCategory.select().where(TicketCategory.ticket_type == ticket_type_id).order_by(TicketCategory.position)
    )
