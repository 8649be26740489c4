"""Dokument anfordern: which certificates a person may request for which contract, and issuing them.

The functions named ``*_data`` turn models into the plain data the wir.pdf builders
print; the staff area and the command line use them as well. ``request_certificate``
is what the portal calls: it builds the PDF, keeps it in Dokumente and returns it, or,
for a Mietschuldenfreiheitsbescheinigung on an account with arrears, files a ticket for
the cooperative instead (domain-facts §4: only a clean account is certified automatically).
"""

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta

from peewee import JOIN

from wir import clock, db
from wir.formatting import german_date
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
    Person,
    Ticket,
    TicketCategory,
    TicketType,
    Unit,
    User,
)
from wir.pdf.data import Flat, Letterhead
from wir.services.documents import documents
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.text import require_printable
from wir.services.tickets import tickets

MOVE_IN_AHEAD = timedelta(days=90)  # a Wohnungsgeberbestätigung for a move planned this far ahead
PERSONS_MAX = 12
NAME_MAX = 100


class NotOffered(Exception):
    """This certificate does not exist for this contract (kind, or contract ended)."""


@dataclass(frozen=True)
class CertificateKind:
    slug: str  # the URL word
    title: str
    contract_kind: str
    description: str
    asks_for_details: bool = False  # a form before the PDF (Wohnungsgeberbestätigung)


CERTIFICATES = {
    kind.slug: kind
    for kind in (
        CertificateKind(
            "mietbescheinigung", "Mietbescheinigung", "rental",
            "Für Wohngeld, Jobcenter oder BAföG: Miete, Wohnung und Haushalt auf einen Blick.",
        ),
        CertificateKind(
            "wohnungsgeberbestaetigung", "Wohnungsgeberbestätigung", "rental",
            "Für die Anmeldung bei der Meldebehörde, wenn Sie oder weitere Personen einziehen.",
            asks_for_details=True,
        ),
        CertificateKind(
            "mietschuldenfreiheitsbescheinigung", "Mietschuldenfreiheitsbescheinigung", "rental",
            "Bestätigt, dass Ihr Mietkonto ausgeglichen ist – zum Beispiel für eine neue Wohnung.",
        ),
        CertificateKind(
            "mitgliedsbescheinigung", "Mitgliedsbescheinigung", "membership",
            "Ihre Mitgliedschaft und Ihre Geschäftsanteile, als Auszug aus der Mitgliederliste.",
        ),
    )
}


@dataclass
class ContractOffer:
    """One of the person's contracts with what can be requested for it."""

    person: Person
    contract: Contract
    certificates: list[CertificateKind] = field(default_factory=list)


@dataclass
class Outcome:
    """What a request led to: a document in Dokumente, or a ticket for the cooperative."""

    document: Document | None = None
    ticket: Ticket | None = None


def _active(contract: Contract, today: date) -> bool:
    return contract.end_date is None or contract.end_date >= today


def offers(contracts, today: date | None = None) -> list[ContractOffer]:
    """What can be requested for each of ``contracts`` (scope.contracts_of: the party, the contract) still active."""
    today = today or clock.today()
    result = []
    for person, contract in contracts:
        if not _active(contract, today):
            continue
        kinds = [kind for kind in CERTIFICATES.values() if kind.contract_kind == contract.kind]
        result.append(ContractOffer(person, contract, kinds))
    return result


def certificate_kind(slug: str, contract: Contract, today: date | None = None) -> CertificateKind:
    kind = CERTIFICATES.get(slug)
    if kind is None or kind.contract_kind != contract.kind or not _active(contract, today or clock.today()):
        raise NotOffered(slug)
    return kind


# --- plain data for the builders ---


def _letterhead(contract: Contract, cooperative: Cooperative | None) -> Letterhead:
    """``cooperative``: the contract's, when the caller has it at hand (saves a query)."""
    return documents.letterhead(cooperative or Cooperative.get_by_id(contract.cooperative_id))


def _flat(unit: Unit) -> Flat:
    return Flat(unit.street, unit.postcode, unit.city, unit.floor, unit.position, unit.number)


def _parties(contract: Contract) -> list[ContractParty]:
    return list(
        ContractParty.select(ContractParty, Person)
        .join(Person)
        .where(ContractParty.contract == contract)
        .order_by(ContractParty.role.desc(), ContractParty.id)  # "main" before "co"
    )


def party_names(contract: Contract) -> list[str]:
    return [party.person.full_name for party in _parties(contract)]


def rental_certificate_data(contract: Contract, number: str, issued_on: date, requested_by: str = "", *,
                            cooperative: Cooperative | None = None):
    from wir.pdf import rental_certificate  # fpdf, ~22 MB: loaded when needed

    parties = _parties(contract)
    person_ids = [party.person_id for party in parties]
    parking = (
        Contract.select(Contract, Unit)
        .join(Unit, JOIN.LEFT_OUTER, on=(Contract.unit == Unit.id))
        .switch(Contract)
        .join(ContractParty)
        .where(
            (Contract.kind == "parking")
            & (Contract.cooperative == contract.cooperative_id)
            & ContractParty.person.in_(person_ids)
            & (Contract.end_date.is_null() | (Contract.end_date >= issued_on))
        )
        .distinct()
        .order_by(Contract.number)
    )
    unit = contract.unit
    return rental_certificate.RentalCertificate(
        letterhead=_letterhead(contract, cooperative),
        number=number,
        issued_on=issued_on,
        contract_number=contract.number,
        tenants=tuple(
            rental_certificate.Tenant(party.person.full_name, party.role_label)
            for party in parties
        ),
        flat=_flat(unit),
        move_in=contract.start_date,
        household_size=contract.household_size or len(parties),
        rooms=unit.rooms,
        living_area=unit.living_area,
        heating=unit.heating,
        year_built=unit.year_built,
        base_rent=contract.base_rent,
        operating_costs=contract.operating_costs or 0,
        heating_costs=contract.heating_costs or 0,
        parking=tuple((f"{p.unit.position or p.unit.number} (Vertrag {p.number})", p.base_rent) for p in parking),
        requested_by=requested_by,
    )


def landlord_confirmation_data(contract: Contract, number: str, issued_on: date, move_in: date,
                               persons: list[str], requested_by: str = "", *, cooperative: Cooperative | None = None):
    from wir.pdf import landlord_confirmation  # fpdf, ~22 MB: loaded when needed

    return landlord_confirmation.LandlordConfirmation(
        letterhead=_letterhead(contract, cooperative),
        number=number,
        issued_on=issued_on,
        contract_number=contract.number,
        flat=_flat(contract.unit),
        move_in=move_in,
        persons=tuple(persons),
        requested_by=requested_by,
    )


def membership_status(contract: Contract, today: date) -> str:
    if contract.end_date is None:
        return "Mitgliedschaft besteht"
    if contract.end_date >= today:
        return f"Mitgliedschaft gekündigt zum {german_date(contract.end_date)}"
    return f"ausgeschieden am {german_date(contract.end_date)}"


def membership_certificate_data(contract: Contract, number: str, issued_on: date, requested_by: str = "", *,
                                cooperative: Cooperative | None = None):
    from wir.pdf import membership_certificate  # fpdf, ~22 MB: loaded when needed

    member = _parties(contract)[0].person
    return membership_certificate.MembershipCertificate(
        letterhead=_letterhead(contract, cooperative),
        number=number,
        issued_on=issued_on,
        member_name=member.full_name,
        birth_date=member.birth_date,
        address=f"{member.street}, {member.postcode} {member.city}",
        member_number=member.number,
        admitted_on=contract.start_date,
        mandatory_shares=contract.mandatory_shares or 0,
        voluntary_shares=contract.voluntary_shares or 0,
        share_amount=contract.share_amount,
        paid_in=contract.paid_in,
        status=membership_status(contract, issued_on),
        requested_by=requested_by,
    )


def rent_clearance_data(contract: Contract, number: str, issued_on: date, requested_by: str = "", *,
                        cooperative: Cooperative | None = None):
    from wir.pdf import rent_clearance  # fpdf, ~22 MB: loaded when needed

    return rent_clearance.RentClearance(
        letterhead=_letterhead(contract, cooperative),
        number=number,
        issued_on=issued_on,
        contract_number=contract.number,
        tenants=tuple(party_names(contract)),
        flat=_flat(contract.unit),
        tenancy_start=contract.start_date,
        as_of=issued_on,
        requested_by=requested_by,
    )


def rent_account_is_clean(contract: Contract) -> bool:
    return not contract.arrears  # None or 0.00


# --- requests from the portal ---


@dataclass(frozen=True)
class MoveIn:
    """What a Wohnungsgeberbestätigung asks for: who moves in, and when."""

    move_in: date
    persons: list[str]


def default_move_in(contract: Contract) -> MoveIn:
    return MoveIn(contract.start_date, party_names(contract))


def check_move_in(contract: Contract, details: MoveIn, today: date) -> None:
    if details.move_in < contract.start_date:
        raise Rejected(
            "move_in", f"Der Einzug kann nicht vor Beginn Ihres Vertrags am {german_date(contract.start_date)} liegen."
        )
    if details.move_in > today + MOVE_IN_AHEAD:
        raise Rejected(
            "move_in", "Die Bestätigung gibt es höchstens drei Monate vor dem Einzug. Bitte prüfen Sie das Datum."
        )
    if not details.persons:
        raise Rejected("persons", "Bitte nennen Sie alle Personen, die einziehen – eine Person je Zeile.")
    if len(details.persons) > PERSONS_MAX:
        raise Rejected("persons", f"Bitte nennen Sie höchstens {PERSONS_MAX} Personen.")
    for name in details.persons:
        if len(name) > NAME_MAX:
            raise Rejected("persons", f"Ein Name darf höchstens {NAME_MAX} Zeichen lang sein.")
        if len(name.split()) < 2:
            raise Rejected("persons", f"Bitte geben Sie Vor- und Nachnamen an („{name}“).")
    require_printable("persons", "\n".join(details.persons))


def category_for(cooperative_id: int, key: str) -> TicketCategory | None:
    return (
        TicketCategory.select()
        .join(TicketType)
        .where((TicketType.cooperative == cooperative_id) & (TicketCategory.key == key))
        .first()
    )


def request_certificate(
    slug: str,
    person: Person,
    contract: Contract,
    user: User,
    details: MoveIn | None = None,
    submission_key: str | None = None,
) -> Outcome:
    """Issue the certificate into ``person``'s Dokumente; raises NotOffered, Rejected."""
    # fpdf, ~22 MB: loaded when needed
    from wir.pdf import (
        landlord_confirmation,
        membership_certificate,
        rent_clearance,
        rental_certificate,
    )

    today = clock.today()
    kind = certificate_kind(slug, contract, today)
    cooperative = person.cooperative  # the contract's (the person is its party), loaded with the person in the portal
    requested_by = person.full_name
    if slug == "mietschuldenfreiheitsbescheinigung" and not rent_account_is_clean(contract):
        return Outcome(ticket=_rent_clearance_ticket(person, contract, user, submission_key))
    number = documents.new_number(cooperative)
    if slug == "mietbescheinigung":
        data = rental_certificate_data(contract, number, today, requested_by, cooperative=cooperative)
        pdf = rental_certificate.build(data)
    elif slug == "wohnungsgeberbestaetigung":
        details = details or default_move_in(contract)
        check_move_in(contract, details, today)
        pdf = landlord_confirmation.build(landlord_confirmation_data(
            contract, number, today, details.move_in, details.persons, requested_by, cooperative=cooperative
        ))
    elif slug == "mitgliedsbescheinigung":
        data = membership_certificate_data(contract, number, today, requested_by, cooperative=cooperative)
        pdf = membership_certificate.build(data)
    else:
        pdf = rent_clearance.build(rent_clearance_data(contract, number, today, requested_by, cooperative=cooperative))
    title = f"{kind.title} vom {german_date(today)}"
    representation = representations.acting_for(user, person)  # no query for the tenant's own request
    # for a representative the document and the tenant's record of it are one unit of work
    with db.write_transaction() if representation else nullcontext():
        document = documents.store_document(person, contract, "certificate", title, pdf, user, number=number,
                                            cooperative=cooperative)
        if representation is not None:
            representations.record_action(representation, user, f"{title} angefordert")
    return Outcome(document=document)


def _rent_clearance_ticket(person: Person, contract: Contract, user: User, submission_key: str | None) -> Ticket:
    category = category_for(contract.cooperative_id, "rent_clearance")
    if category is None:
        raise NotOffered("mietschuldenfreiheitsbescheinigung")
    return tickets.create_ticket(tickets.NewTicket(
        person=person,
        category=category,
        subject="Mietschuldenfreiheitsbescheinigung",
        message=(
            f"Bitte stellen Sie mir eine Mietschuldenfreiheitsbescheinigung für den Vertrag {contract.number} aus.\n\n"
            "(Angefordert unter „Dokument anfordern“. Die Bescheinigung konnte nicht sofort erstellt werden, "
            "weil das Mietkonto zurzeit nicht ausgeglichen ist.)"
        ),
        contract=contract,
        created_by=user,
        submission_key=submission_key,
    ))
