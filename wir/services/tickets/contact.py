"""What the Kontakt form offers a tenant: their contracts, and per contract the Meldungsarten and -kategorien it allows
(a change of address among them: the Anschrift is read-only in the portal), and for a Termin the phone numbers they
stored, to pick the one to be called on."""

from dataclasses import dataclass

from wir import formatting
from wir.db.prepared import Prepared
from wir.models import Contract, Person, PhoneNumber, TicketCategory, TicketType
from wir.services import scope
from wir.services.account import phones as phone_numbers
from wir.services.rejections import Rejected


@dataclass(frozen=True)
class Concern:
    """What a request is about: a contract, or the cooperative in general (contract None)."""

    key: str  # "c<contract id>" or "p<person id>": the value of the form's choice
    label: str
    person: Person
    contract: Contract | None


def concerns_of(persons: list[Person]) -> list[Concern]:
    """Per person (their cooperatives loaded: scope.persons_of): "Allgemein", then the person's contracts there. One
    query whatever the number."""
    by_person = {}
    for person, contract in scope.contracts_of(persons):
        by_person.setdefault(person.id, []).append(contract)
    concerns = []
    for person in persons:
        concerns.append(Concern(f"p{person.id}", f"Allgemeines Anliegen – {person.cooperative.name}", person, None))
        for contract in by_person.get(person.id, []):
            concerns.append(Concern(f"c{contract.id}", scope.contract_label(contract), person, contract))
    return concerns


# contracts for a flat or a parking space: what damage, keys and Betriebskosten are about
PLACE_KINDS = ("rental", "parking")


# Zählerstand: filed only by its own form (meter, value, photo: consumption.new_reading), which Kontakt links to
METER_READING_KEY = "meter_reading"
OWN_FORMS = (METER_READING_KEY,)


# every Kontakt request (the form, each choice, sending) runs it: its SQL text is built once per process
_CATALOGUE = Prepared(
    lambda cooperative_id, *own_forms: TicketCategory.select(TicketCategory, TicketType)
    .join(TicketType)
    .where((TicketType.cooperative == cooperative_id) & TicketCategory.key.not_in(own_forms))
    .order_by(TicketType.position, TicketType.id, TicketCategory.position, TicketCategory.id)
)


def catalogue(cooperative_id: int) -> list[tuple[TicketType, list[TicketCategory]]]:
    """The cooperative's Meldungsarten, each with its Meldungskategorien that Kontakt offers (not those with a form
    of their own), in their order: one query. Read on every request, not kept: the demo data, a restore or a
    migration change them while another process serves (their ids too), and nothing would tell this one."""
    types = {}
    for category in _CATALOGUE.rows(cooperative_id, *OWN_FORMS):
        types.setdefault(category.ticket_type.id, (category.ticket_type, []))[1].append(category)
    return list(types.values())


def fits(category: TicketCategory, concern: Concern) -> bool:
    """Whether ``category`` may be chosen for ``concern``: an emergency always; one that needs a
    contract only with a contract for a flat or a parking space."""
    if category.is_emergency or not category.needs_contract:
        return True
    return concern.contract is not None and concern.contract.kind in PLACE_KINDS


def offered(catalogue: list[tuple[TicketType, list[TicketCategory]]], concern: Concern):
    """The Meldungsarten with the Meldungskategorien the concern allows; a Meldungsart without any is left out."""
    result = []
    for ticket_type, categories in catalogue:
        fitting = [category for category in categories if fits(category, concern)]
        if fitting:
            result.append((ticket_type, fitting))
    return result


def suggested_concern(concerns: list[Concern], concern: Concern, categories: list[TicketCategory]) -> Concern:
    """The concern to preselect when a Meldungsart (with ``categories``) is chosen: for a general concern and a
    Meldungsart with categories that need a contract (Schadensmeldung), the person's rental contract if the
    person has exactly one; otherwise ``concern`` as it is."""
    if concern.contract is not None or all(fits(category, concern) for category in categories):
        return concern
    rentals = [
        c for c in concerns
        if c.person.id == concern.person.id and c.contract is not None and c.contract.kind == "rental"
    ]
    return rentals[0] if len(rentals) == 1 else concern


# Anschrift: read-only in the portal; a change is reported through Kontakt in its own category
ADDRESS_CHANGE_KEY = "address_change"


def address_change_categories(persons: list[Person]) -> dict[int, TicketCategory]:
    """Per cooperative id, the Meldungskategorie for a change of address (one query)."""
    categories = (
        TicketCategory.select(TicketCategory, TicketType)
        .join(TicketType)
        .where((TicketCategory.key == ADDRESS_CHANGE_KEY)
               & TicketType.cooperative.in_([person.cooperative_id for person in persons]))
    )
    return {category.ticket_type.cooperative_id: category for category in categories}


# --- the number for a Termin: one the tenant stored, or another typed in ---

OTHER_PHONE = "andere"  # the choice „Andere Nummer:“, with the typed number
NOT_YOURS = "Bitte wählen Sie eine Ihrer gespeicherten Telefonnummern oder „Andere Nummer“."
AMBIGUOUS = ("Sie haben eine gespeicherte Nummer gewählt und eine andere eingetragen. Bitte wählen Sie "
             "„Andere Nummer“, wenn wir Sie unter der eingetragenen Nummer anrufen sollen, oder leeren Sie das Feld.")


def default_phone_choice(phones: list[PhoneNumber]) -> str:
    """The choice the form starts with: the first stored number, else the typed one."""
    return str(phones[0].id) if phones else OTHER_PHONE


def chosen_phone(phones: list[PhoneNumber], choice: str, typed: str) -> str:
    """The number to call for the Termin, as the ticket keeps it: a stored number picked by its id, written the way
    people read it (0341 4928713), or the typed one (``OTHER_PHONE``, no choice, or no stored number), checked as any typed
    number is when the ticket is filed. ``phones``: the user's own (scope.phones_of), so a picked id of somebody
    else's number is refused: Rejected('phone_choice')."""
    typed = (typed or "").strip()
    if not phones or choice in ("", OTHER_PHONE):  # "": a form sent without the choice, only the field
        return typed
    picked = next((phone for phone in phones if str(phone.id) == choice), None)
    if picked is None:
        raise Rejected("phone_choice", NOT_YOURS)
    if typed and not _same_number(typed, picked.number):
        raise Rejected("phone_choice", AMBIGUOUS)
    return formatting.phone(picked.number)


def _same_number(typed: str, stored: str) -> bool:
    """Whether the typed text is the stored number (E.164) however it is written: +49 341 …, 0341/…, 0341 …"""
    try:
        return phone_numbers.normalize(typed) == stored
    except Rejected:
        return False


def asks_contractor_consent(category: TicketCategory | None) -> bool:
    """Whether Kontakt asks if a commissioned company may have the phone number (and, where files may be sent, the
    photos): for what a craftsman may come for, a damage about a contract or a Termin."""
    return category is not None and (category.needs_phone or (category.allows_attachments and category.needs_contract))
