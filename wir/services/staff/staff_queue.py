"""The staff's Meldungen queue and the counts of their Übersicht, for one cooperative (admins: both).

Everything here is kept to the staff member's cooperative (``scope.in_staff_scope``): a clerk of Lipsia never
counts, lists or finds a ticket of Elsteraue, by filter or by search. Each function runs a fixed number of
queries whatever the number of tickets (joins and aggregates, no query per row).

"Waiting" is ``Ticket.waiting_since``: since when the cooperative owes the next step (Eingegangen, In
Bearbeitung). It is counted in working days, Monday to Friday without the Saxon public holidays.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache, reduce
from operator import or_

from peewee import JOIN, Case, fn

from wir import clock, pagination
from wir.db import search
from wir.models import (
    BankAccount,
    Contract,
    Cooperative,
    Person,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
    Unit,
    User,
)
from wir.services import scope
from wir.services.contracts import bank_accounts
from wir.services.documents import applications
from wir.services.staff import absences

PAGE_SIZE = 50
OVERDUE_WORKING_DAYS = 3  # the Übersicht's "wartet länger als 3 Arbeitstage"
MAX_WORKING_DAYS = 365  # the most a clerk may ask for in "wartet länger als"
SEARCH_MAX = 100

OPEN = "offen"
ALL = "alle"
STATUS_FILTERS = {OPEN: "Offene", ALL: "Alle", **Ticket.STATUSES}

ME = "ich"
NOBODY = "niemand"

# Anliegen: the kinds of request the Übersicht counts beside the statuses
CERTIFICATE = "bescheinigung"
FORM = "formular"
ANSWERED = "rueckfrage-beantwortet"
CONCERNS = {
    CERTIFICATE: "Mietschuldenfreiheitsbescheinigungen",
    FORM: "Formulare (Anträge)",
    ANSWERED: "Beantwortete Rückfragen",
}
CERTIFICATE_KEY = "rent_clearance"  # the category certificates.request_certificate files into
FORM_KEYS = tuple(sorted({kind.category_key for kind in applications.KINDS.values()}))

WAITING_FIRST = "wartend"
NEWEST = "neueste"
SORTS = {WAITING_FIRST: "Am längsten wartend zuerst", NEWEST: "Neueste zuerst"}


@dataclass(frozen=True)
class Selection:
    """What the clerk asked for; the view's filter form has checked every value against its choices."""

    status: str = OPEN  # OPEN, ALL or a key of Ticket.STATUSES
    ticket_type_id: int | None = None
    category_id: int | None = None
    assigned: str = ""  # "" anybody's, ME, NOBODY, or a colleague's user id
    waiting_days: int | None = None  # waiting for the cooperative longer than so many working days
    search: str = ""
    concern: str = ""  # "" or a key of CONCERNS
    sort: str = WAITING_FIRST


# --- working days ---


@lru_cache(maxsize=8)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(applications.holidays(year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def working_days_before(today: date, days: int) -> date:
    """The working day ``days`` working days before ``today`` (today itself does not count)."""
    day = today
    while days > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def waiting_cutoff(days: int, today: date | None = None) -> datetime:
    """Waiting "longer than ``days`` working days" means waiting since before this moment (stored UTC).

    It is the start (Leipzig time) of the working day ``days`` working days before today. So a ticket
    received on a Monday has waited longer than 3 working days on Friday (Tuesday to Thursday have passed),
    one received on a Friday afternoon on the Thursday after (Monday to Wednesday).
    """
    day = working_days_before(today or clock.today(), days)
    start = datetime.combine(day, time.min, tzinfo=clock.LOCAL_ZONE)
    return start.astimezone(timezone.utc).replace(tzinfo=None)


# --- the rule for "Rückfrage beantwortet" ---


def answered_query():
    """Rückfrage beantwortet, as SQL on Ticket: the tenant's answer to a Rückfrage waits for the cooperative.

    The ticket is In Bearbeitung, its latest status change is Rückfrage → In Bearbeitung made by a tenant
    (what answering the question does), and the latest message the tenant can see is not the cooperative's
    (an internal note does not answer the tenant). It ends with the next answer to the tenant or status change.
    """
    change, latest_change, changer = TicketStatusChange.alias(), TicketStatusChange.alias(), User.alias()
    message, latest_message = TicketMessage.alias(), TicketMessage.alias()
    last_change_id = latest_change.select(fn.MAX(latest_change.id)).where(latest_change.ticket == Ticket.id)
    answered_by_tenant = (
        change.select(change.id)
        .join(changer, on=(change.changed_by == changer.id))
        .where((change.id == last_change_id) & (change.old_status == TicketStatus.QUERY)
               & (change.new_status == TicketStatus.IN_PROGRESS)
               & (changer.role == User.ROLE_TENANT))
    )
    last_message_id = latest_message.select(fn.MAX(latest_message.id)).where(
        (latest_message.ticket == Ticket.id) & ~latest_message.internal
    )
    cooperative_wrote_last = message.select(message.id).where((message.id == last_message_id) & message.from_staff)
    return (Ticket.status == TicketStatus.IN_PROGRESS) & fn.EXISTS(answered_by_tenant) & ~fn.EXISTS(cooperative_wrote_last)


def assigned_to_me(user: User, today: date | None = None):
    """„Mir zugewiesen“ as SQL on Ticket: assigned to the staff member, or to a colleague they stand in for today
    (services.staff.absences; the row then says „Vertretung für …“)."""
    return (Ticket.assigned_to == user.id) | Ticket.assigned_to.in_(absences.deputised_for(user.id, today))


def _concern(key: str):
    if key == CERTIFICATE:
        return TicketCategory.key == CERTIFICATE_KEY
    if key == FORM:
        return TicketCategory.key.in_(FORM_KEYS)
    return answered_query()


# --- the queue ---


def _tickets(user: User):
    """The tickets the staff member may see, with what a row of the queue shows: one query. Only the columns
    the table shows: with every column of the seven tables, turning 50 rows into models took a third of the
    page's time."""
    assignee = User.alias()
    query = (
        Ticket.select(
            Ticket.id, Ticket.number, Ticket.status, Ticket.created_at, Ticket.activity_at, Ticket.waiting_since,
            Ticket.assigned_to, Ticket.contract, Ticket.category, Ticket.person,
            TicketCategory.id, TicketCategory.name, TicketType.id, TicketType.name,
            Person.id, Person.first_name, Person.last_name, Contract.id, Contract.number, Contract.unit,
            Unit.id, Unit.street, assignee.id, assignee.staff_name, assignee.email,
        )
        .join(TicketCategory).join(TicketType)
        .switch(Ticket).join(Person)
        .switch(Ticket).join(Contract, JOIN.LEFT_OUTER).join(Unit, JOIN.LEFT_OUTER)
        .switch(Ticket).join(assignee, JOIN.LEFT_OUTER, on=(Ticket.assigned_to == assignee.id), attr="assignee")
    )
    return scope.in_staff_scope(query, user, Ticket.cooperative)


def _matches(text: str):
    """The search: ticket number, tenant name, street of the unit or contract number contain ``text``
    (case-insensitive; % and _ are matched as themselves)."""
    full_name = Person.first_name.concat(" ").concat(Person.last_name)
    columns = (Ticket.number, full_name, Unit.street, Contract.number)
    return reduce(or_, (search.contains_text(column, text) for column in columns))


def clean_search(text: str | None) -> str | None:
    """The search as typed, without control characters and runs of spaces (the form's filter)."""
    if not text:
        return text
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _conditions(user: User, selection: Selection, today: date | None) -> list:
    """The WHERE of the queue as ``selection`` asks: on Ticket and TicketCategory, and for a search on Person,
    Contract and Unit."""
    conditions = []
    if selection.status == OPEN:
        conditions.append(Ticket.status.in_(Ticket.OPEN_STATUSES))
    elif selection.status != ALL:
        conditions.append(Ticket.status == selection.status)
    if selection.ticket_type_id is not None:
        conditions.append(TicketCategory.ticket_type == selection.ticket_type_id)
    if selection.category_id is not None:
        conditions.append(TicketCategory.id == selection.category_id)
    if selection.assigned == ME:
        conditions.append(assigned_to_me(user, today))
    elif selection.assigned == NOBODY:
        conditions.append(Ticket.assigned_to.is_null())
    elif selection.assigned:
        conditions.append(Ticket.assigned_to == int(selection.assigned))
    if selection.waiting_days:
        conditions.append(Ticket.waiting_since < waiting_cutoff(selection.waiting_days, today))
    if selection.concern:
        conditions.append(_concern(selection.concern))
    if selection.search.strip():
        conditions.append(_matches(selection.search.strip()))
    return conditions


def queue(user: User, selection: Selection, today: date | None = None):
    """The staff member's tickets as ``selection`` asks, as a query to paginate (its order ends in the id)."""
    query = _tickets(user)
    conditions = _conditions(user, selection, today)
    if conditions:
        query = query.where(*conditions)
    if selection.sort == NEWEST:
        return query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    return query.order_by(Ticket.waiting_since.asc(nulls="LAST"), Ticket.id)


def _counted(user: User, selection: Selection, today: date | None):
    """The queue's tickets to count: only the joins its conditions need (the rows' LEFT JOINs of contract, unit
    and assignee made the count a quarter of the page's time)."""
    query = Ticket.select(Ticket.id)
    if selection.ticket_type_id is not None or selection.category_id is not None or selection.concern:
        query = query.join(TicketCategory)  # only then: joined always, SQLite went through the categories first
    if selection.search.strip():
        query = query.switch(Ticket).join(Person).switch(Ticket).join(Contract, JOIN.LEFT_OUTER).join(
            Unit, JOIN.LEFT_OUTER)
    conditions = _conditions(user, selection, today)
    if conditions:
        query = query.where(*conditions)
    return scope.in_staff_scope(query, user, Ticket.cooperative)


def page_of(user: User, selection: Selection, page, today: date | None = None) -> pagination.Page:
    """One page (PAGE_SIZE rows) of the queue: two queries, the count and the rows."""
    rows = queue(user, selection, today)
    return pagination.counted_page(_counted(user, selection, today).count(), page, PAGE_SIZE,
                                   lambda number: list(rows.paginate(number, PAGE_SIZE)))


def last_activity(user: User) -> datetime | None:
    """When any ticket the staff member sees last changed (what the queue's poll watches): one query."""
    query = Ticket.select(fn.MAX(Ticket.activity_at))
    return scope.in_staff_scope(query, user, Ticket.cooperative).scalar()


# --- the choices of the filter ---


def ticket_types(user: User) -> list[TicketType]:
    """The Meldungsarten of the staff member's cooperative (admins: both, with their cooperative)."""
    query = TicketType.select(TicketType, Cooperative).join(Cooperative).order_by(
        Cooperative.name, TicketType.position, TicketType.id)
    return list(scope.in_staff_scope(query, user, TicketType.cooperative))


def categories(user: User) -> list[TicketCategory]:
    """The Meldungskategorien, by Meldungsart, each with its Meldungsart and cooperative loaded."""
    query = (
        TicketCategory.select(TicketCategory, TicketType, Cooperative).join(TicketType).join(Cooperative)
        .order_by(Cooperative.name, TicketType.position, TicketType.id, TicketCategory.position, TicketCategory.id)
    )
    return list(scope.in_staff_scope(query, user, TicketType.cooperative))


def colleagues(user: User) -> list[User]:
    """Whom a ticket may be assigned to besides oneself: the staff of the cooperative (admins: all staff)."""
    query = (
        User.select(User, Cooperative).join(Cooperative, JOIN.LEFT_OUTER)
        .where(User.role.in_((User.ROLE_STAFF, User.ROLE_ADMIN)) & (User.id != user.id))
        .order_by(Cooperative.name, User.staff_name, User.id)
    )
    return list(scope.in_staff_scope(query, user, User.cooperative))


# --- the Übersicht ---


@dataclass(frozen=True)
class Overview:
    new: int  # Eingegangen
    overdue: int  # waiting for the cooperative longer than OVERDUE_WORKING_DAYS working days
    answered: int  # Rückfragen the tenants answered (answered_query)
    bank_changes: int  # Bankverbindungen waiting for confirmation
    certificates: int  # open Mietschuldenfreiheitsbescheinigung requests
    forms: int  # open forms (Anträge)
    mine: int  # open and assigned to the staff member


def count_if(condition):
    return fn.COUNT(Case(None, [(condition, 1)], None))


def overview(user: User, today: date | None = None) -> Overview:
    """The counts of the Übersicht, in one query; each equals the total of the queue it links to."""
    pending = scope.in_staff_scope(
        BankAccount.select(fn.COUNT(BankAccount.id)).join(Contract).where(BankAccount.status == bank_accounts.PENDING),
        user, Contract.cooperative,
    )
    is_open = Ticket.status.in_(Ticket.OPEN_STATUSES)
    query = Ticket.select(
        count_if(Ticket.status == TicketStatus.RECEIVED),
        count_if(Ticket.waiting_since < waiting_cutoff(OVERDUE_WORKING_DAYS, today)),
        count_if(answered_query()),
        pending,
        count_if(is_open & (TicketCategory.key == CERTIFICATE_KEY)),
        count_if(is_open & TicketCategory.key.in_(FORM_KEYS)),
        count_if(is_open & assigned_to_me(user, today)),
    ).join(TicketCategory)
    new, overdue, answered, bank_changes, certificates, forms, mine = (
        scope.in_staff_scope(query, user, Ticket.cooperative).tuples().get()
    )
    return Overview(new, overdue, answered, bank_changes, certificates, forms, mine)
