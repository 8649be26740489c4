"""Personen: the staff's search for the persons of their cooperative (admins: both), a person's page, what
staff do with a person's portal account (resend the confirmation mail, lift a sign-in lock, block and unblock),
and the person's representations (Vertretung: the Vollmacht staff keep, ending one).

The search matches the start of a word of the name, the address, the member number or the e-mail address, or
the start of one of the person's contract numbers; each typed word must match. Case and umlauts do not count
("mueller" and "MÜLLER" find Müller: ``wir.db.search.fold`` on both sides). It runs a fixed number of queries whatever the
number of persons. Every opening of a person's page and every action is written to the audit log.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce

from peewee import JOIN, Value, fn

from wir import audit, clock, db, pagination
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
    LoginThrottle,
    Person,
    Representation,
    Ticket,
    TicketCategory,
    TicketType,
    User,
)
from wir.services import scope, versions
from wir.services.account import accounts
from wir.services.erp_export import changes as erp_changes
from wir.services.registration import names, registration
from wir.services.rejections import Rejected
from wir.services.representation import representations

PAGE_SIZE = 50
SEARCH_MAX = 100
SEARCH_WORDS = 5  # more words add nothing but work

# the state of a person's portal account
NO_ACCOUNT = "kein Zugang"
UNCONFIRMED = "registriert, nicht bestätigt"
ACTIVE = "aktiv"
BLOCKED = "gesperrt"


def account_state(user: User | None) -> str:
    if user is None:
        return NO_ACCOUNT
    if not user.is_active:
        return BLOCKED
    if user.confirmed_at is None:
        return UNCONFIRMED
    return ACTIVE


# --- the search ---


def _words(expression):
    """The expression folded, with a space before each word (hyphens too start one), so that `` word`` is found at
    the start of any word: "Müller-Schmidt" is found by "schmidt" and "MV-1001" by "mv 1001"."""
    return Value(" ").concat(names.folded(expression))


def _typed(word: str) -> str:
    return " " + names.fold(word)


def _matches(word: str):
    """A person (joined with their user, if any) whom ``word`` describes."""
    haystack = reduce(
        lambda left, right: left.concat(" ").concat(right),
        (Person.first_name, Person.last_name, Person.street, Person.postcode, Person.city, Person.number,
         fn.COALESCE(User.email, "")),
    )
    # not correlated: the contracts are searched once, not once for every person
    parties = (ContractParty.select(ContractParty.person).join(Contract)
               .where(_words(Contract.number).contains(_typed(word))))
    return _words(haystack).contains(_typed(word)) | Person.id.in_(parties)


def clean_search(text: str | None) -> str | None:
    """The search as typed, without control characters and runs of spaces (the form's filter)."""
    if not text:
        return text
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def search(staff: User, text: str = ""):
    """The persons of the staff member's cooperative (admins: both) whom every word of ``text`` describes, by name,
    each with its user (``person.user`` None without an account): a query to paginate."""
    query = (
        Person.select(Person, Cooperative, User)
        .join(Cooperative)
        .switch(Person).join(User, JOIN.LEFT_OUTER)
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    for word in text.split()[:SEARCH_WORDS]:
        query = query.where(_matches(word))
    return scope.in_staff_scope(query, staff, Person.cooperative)


def search_page(staff: User, text: str, page, size: int = PAGE_SIZE) -> pagination.Page:
    """One page of the search (two queries): Personen, Neue Meldung aufnehmen and Dokument hochladen."""
    return pagination.paginate(search(staff, text), page, size)


@dataclass(frozen=True)
class Found:
    page: pagination.Page
    contracts: dict  # person id → their contract numbers


def page_of(staff: User, text: str, page) -> Found:
    """One page of the search with the contract numbers of its persons: three queries."""
    found = search_page(staff, text, page)
    contracts = {person.id: [] for person in found.items}
    if contracts:
        rows = (ContractParty.select(ContractParty.person, Contract.number).join(Contract)
                .where(ContractParty.person.in_(list(contracts))).order_by(Contract.kind.desc(), Contract.number)
                .tuples())
        for person_id, number in rows:
            contracts[person_id].append(number)
    return Found(found, contracts)


# --- a person's page ---


@dataclass(frozen=True)
class SignInLock:
    failures: int
    until: datetime | None  # None: until the password is reset (MAX_FAILURES in a row)


@dataclass(frozen=True)
class ContactData:
    """How to reach a person: the contact e-mail address (their portal login) and the phone numbers they stored."""

    email: str | None  # None without a portal account
    phones: list  # PhoneNumber, in the tenant's order (E.164; the page shows them with |phone)


def contact_data(user: User | None) -> ContactData:
    """The person's contact data, for staff: one query for the phones whatever their number, none without an
    account."""
    if user is None:
        return ContactData(None, [])
    return ContactData(user.email, scope.phones_of(user))


@dataclass(frozen=True)
class PersonView:
    person: Person
    user: User | None
    state: str
    lock: SignInLock | None  # the address's sign-in is paused or locked now
    contracts: list  # Contract, each with ``party_list``: its ContractParty rows with their persons
    open_tickets: list
    documents: list
    contact: ContactData = field(default_factory=lambda: ContactData(None, []))  # act() needs none
    representations: list = field(default_factory=list)  # Representation, each with ``event_list``


def person_of(staff: User, person_id: int) -> Person | None:
    """A person of the staff member's cooperative (admins: of either) with their cooperative and user."""
    return search(staff).where(Person.id == person_id).first()


def sign_in_lock(user: User | None) -> SignInLock | None:
    """The pause or lock that wrong passwords or codes put on the account's sign-in address, while it lasts."""
    if user is None:
        return None
    throttle = LoginThrottle.get_or_none(LoginThrottle.address_hash == accounts.address_hash(user.email))
    if throttle is None:
        return None
    if throttle.failures >= accounts.MAX_FAILURES:
        return SignInLock(throttle.failures, None)
    if throttle.locked_until and throttle.locked_until > clock.now():
        return SignInLock(throttle.failures, throttle.locked_until)
    return None


def person_view(person: Person) -> PersonView:
    """What the person's page shows, in a fixed number of queries."""
    user = person.user if person.user_id else None
    contracts = [contract for _, contract in scope.contracts_of([person])]
    parties = {}
    if contracts:
        rows = (ContractParty.select(ContractParty, Person).join(Person)
                .where(ContractParty.contract.in_([c.id for c in contracts]))
                .order_by(ContractParty.role.desc(), Person.last_name, Person.first_name, Person.id))
        for party in rows:
            parties.setdefault(party.contract_id, []).append(party)
    for contract in contracts:
        contract.party_list = parties.get(contract.id, [])
    open_tickets = list(
        Ticket.select(Ticket, TicketCategory, TicketType).join(TicketCategory).join(TicketType)
        .where((Ticket.person == person) & Ticket.status.in_(Ticket.OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )
    documents = list(Document.select().where(Document.person == person)
                     .order_by(Document.created_at.desc(), Document.id.desc()))
    return PersonView(person, user, account_state(user), sign_in_lock(user), contracts, open_tickets, documents,
                      contact_data(user), representations.of_staff_person(person))


def record_view(person: Person, staff: User) -> None:
    """Staff opened a person's page: audited, since it shows the person's data."""
    with db.write_transaction():
        audit.record(staff, "person.view", person, person.number, cooperative=person.cooperative_id)


# --- the person's representations ---

# the events as staff read them (the tenant's own words say „Ihre Daten“, „für Sie“)
REPRESENTATION_EVENT_WORDS = {**representations.EVENT_WORDS, "signed_in": "hat die Daten der Person geöffnet",
                              "acted": "hat für die Person gehandelt"}


def representation_of(person: Person, representation_id: int) -> Representation | None:
    """One of the person's representations; None for anyone else's (the view answers 404)."""
    return Representation.get_or_none((Representation.id == representation_id) & (Representation.person == person))


def record_document_view(representation: Representation, person: Person, staff: User) -> None:
    """Staff opened the Vollmacht or Betreuerausweis of a representation: audited, like a ticket's file."""
    with db.write_transaction():
        audit.record(staff, "representation.document.view", representation,
                     f"{person.number}: Vertretung durch {representation.name}", cooperative=person.cooperative_id)


# --- what staff do with the portal account ---

RESEND = "bestaetigung"
UNLOCK = "entsperren"
BLOCK = "sperren"
UNBLOCK = "freigeben"
ACTIONS = (RESEND, UNLOCK, BLOCK, UNBLOCK)
# the audit log's names of the actions
ACTION_NAMES = {RESEND: "confirmation_resent", UNLOCK: "sign_in_unlocked", BLOCK: "account_blocked",
                UNBLOCK: "account_unblocked"}


def available_actions(view: PersonView) -> list[str]:
    """The actions that apply to the account as it is now (only tenants' accounts: staff have their Zugänge)."""
    user = view.user
    if user is None or user.role != User.ROLE_TENANT:
        return []
    found = []
    if view.state == UNCONFIRMED:
        found.append(RESEND)
    if view.lock is not None:
        found.append(UNLOCK)
    found.append(UNBLOCK if view.state == BLOCKED else BLOCK)
    return found


NOT_NOW = {
    RESEND: "Die Bestätigungs-E-Mail geht nur an ein Benutzerkonto, das registriert, aber noch nicht bestätigt ist.",
    UNLOCK: "Die Anmeldung dieses Benutzerkontos ist nicht gesperrt.",
    BLOCK: "Das Benutzerkonto ist schon gesperrt.",
    UNBLOCK: "Das Benutzerkonto ist nicht gesperrt.",
}


def act(action: str, person: Person, seen: int, staff: User) -> None:
    """Do ``action`` to the person's account as its version ``seen`` showed it, audited, in one transaction.
    Raises versions.Conflict when a colleague acted on the account meanwhile, Rejected("action", ...) when the
    action does not apply (any more): the tenant confirmed or signed in meanwhile, or it never had that state."""
    with db.write_transaction():
        # read again inside the transaction: another clerk may have acted meanwhile
        fresh = Person.select(Person, Cooperative).join(Cooperative).where(Person.id == person.id).get()
        if fresh.user_id:
            versions.claim(User, fresh.user_id, seen, "Das Benutzerkonto", fresh,
                           tuple(f"person.{name}" for name in ACTION_NAMES.values()))
        user = User.get_or_none(User.id == fresh.user_id) if fresh.user_id else None
        fresh.user = user
        view = PersonView(fresh, user, account_state(user), sign_in_lock(user), [], [], [])
        if action not in available_actions(view):
            raise Rejected("action", NOT_NOW[action])
        if action == RESEND:
            registration.send_confirmation(user, fresh, fresh.cooperative)
            detail = "Bestätigungs-E-Mail erneut gesendet"
        elif action == UNLOCK:
            LoginThrottle.delete().where(LoginThrottle.address_hash == accounts.address_hash(user.email)).execute()
            detail = "Anmeldesperre aufgehoben"
        elif action == BLOCK:
            # is_active False refuses sign-in; the new session version ends every open session at once
            User.update(is_active=False, session_version=User.session_version + 1).where(User.id == user.id).execute()
            erp_changes.portal_access(user, erp_changes.BLOCKED, staff)
            detail = "Benutzerkonto gesperrt"
        else:
            User.update(is_active=True).where(User.id == user.id).execute()
            erp_changes.portal_access(user, erp_changes.UNBLOCKED, staff)
            detail = "Benutzerkonto freigegeben"
        audit.record(staff, f"person.{ACTION_NAMES[action]}", fresh, f"{fresh.number}: {detail}",
                     cooperative=fresh.cooperative_id)
