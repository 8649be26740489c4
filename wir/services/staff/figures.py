"""Auswertung: how many Meldungen a cooperative receives and closes, how long its tenants wait, its open backlog,
how many members use the portal and how soon they open their documents. For one cooperative at a time (the view
checks that a clerk asks for their own); a fixed number of statements whatever the amount of data.

Periods are in Leipzig time: the last MONTHS calendar months and the last WEEKS ISO weeks (Monday to Sunday), each
ending with the running one. Counting is done by the database (GROUP BY and COUNT over CASE, a column per period),
never by fetching rows.

Working days are Monday to Friday without the Saxon public holidays (the Übersicht's rule,
``staff_queue.is_working_day``). The time from one moment to another in working days is the number of working days
after the first moment's day up to and including the second's (days in Leipzig time): 0 on the same day, 1 from a
Friday to the Monday after, 4 from a Monday to a Friday. A ticket's age is that count from its receipt to today.

- **First answer** of a ticket: the earliest of its first message from staff that the tenant can read (``from_staff``
  and not ``internal``: a note among staff answers nobody) and its first status change made by staff (a user with
  the role staff or admin; the change that files a ticket, without an old status, is not an answer, nor is the
  tenant's own withdrawal or answer to a Rückfrage).
- **Close** of a ticket: its last change to Abgeschlossen, Abgelehnt or Zurückgezogen, for a ticket in one of them
  now (a ticket taken up again is open until it is closed again).

Median and 90th percentile are over the tickets received in the last MONTHS months that have been answered (closed)
by now, interpolated linearly between the nearest ranks (PostgreSQL's ``percentile_cont``, numpy's default). SQLite
has no percentile function and working days need the calendar, so they are computed here from one row per ticket:
its receipt, first answer and close, each already aggregated by the database (MIN and MAX per ticket). The rows
are bounded by the tickets one cooperative received in MONTHS months (DESIGN §5: 1–2 a unit a year, at most about
16,000 for Lipsia's 8,000 units; 11,000 on the large data set); each costs a binary search in a table of the
working days cumulated per day. The working days are computed in Python because their calendar (weekends, holidays,
Leipzig's days) has no portable SQL; the database could group the rows by local day only with non-portable date
functions, which would not bound them better.

- **Received / closed** per period: received is ``Ticket.created_at``; closed counts the changes to a final status
  made in the period (a ticket taken up again and closed again counts twice, as the clerk's work did).
- **Backlog**: the open tickets (Ticket.OPEN_STATUSES) by age in working days, AGE_BUCKETS: below 3, 3 to 9,
  10 to 29, 30 and more; counted in one statement against the moments each age begins.
- **Registrations**: the cooperative's persons with a portal account (``Person.user``), and per house (Unit.street,
  which holds the house number) the persons party to a rental contract running today.
- **Documents opened**: of the documents put in since the first of the months (until DOCUMENT_DAYS days before today),
  those first opened (``read_at``) within DOCUMENT_DAYS days of being put in (``created_at``).
"""

import csv
import io
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from peewee import JOIN, SQL, Case, fn

from wir import clock, db
from wir.formatting import german_date, german_month, number
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
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
from wir.services.staff.staff_queue import count_if, is_working_day
from wir.services.text import defused

MONTHS = 12
WEEKS = 13
FINAL = (TicketStatus.CLOSED, TicketStatus.REJECTED, TicketStatus.WITHDRAWN)
STAFF_ROLES = (User.ROLE_STAFF, User.ROLE_ADMIN)
# the open backlog's buckets by age in working days: (from, below), the last without an end
AGE_BUCKETS = ((0, 3), (3, 10), (10, 30), (30, None))
DOCUMENT_DAYS = 14  # a document opened within so many days (24 hours each) of being put in


# --- periods and working days ---


@dataclass(frozen=True)
class Period:
    label: str  # beside the bars: "Nov 2026", "KW 49"
    name: str  # in the table and the CSV: "November 2026", "KW 49/2026 (30.11.–06.12.)"
    start: datetime  # stored form (UTC), inclusive
    end: datetime  # exclusive
    running: bool  # the month or week of today: not over yet


def months_of(today: date) -> list[Period]:
    """The MONTHS months up to today's, oldest first."""
    first = clock.month_start(today)
    periods = []
    for back in range(MONTHS - 1, -1, -1):
        start = clock.add_months(first, -back)
        name = german_month(start)
        periods.append(Period(f"{name[:3]} {start.year}", name, clock.local_midnight(start),
                              clock.local_midnight(clock.add_months(start, 1)), back == 0))
    return periods


def weeks_of(today: date) -> list[Period]:
    """The WEEKS ISO weeks up to today's, oldest first."""
    monday = today - timedelta(days=today.weekday())
    periods = []
    for back in range(WEEKS - 1, -1, -1):
        start = monday - timedelta(weeks=back)
        year, week, _ = start.isocalendar()
        name = f"KW {week}/{year} ({start:%d.%m.}–{start + timedelta(days=6):%d.%m.})"
        periods.append(Period(f"KW {week}", name, clock.local_midnight(start),
                              clock.local_midnight(start + timedelta(days=7)), back == 0))
    return periods


class WorkingDays:
    """Working days between moments from ``first``'s start to ``last``'s end: the days' starts (stored UTC) with
    the working days cumulated up to each, so a moment's day is a binary search, not a time zone conversion."""

    def __init__(self, first: date, last: date):
        self._starts, self._counts, total, day = [], [], 0, first
        while day <= last:
            total += is_working_day(day)
            self._starts.append(clock.local_midnight(day))
            self._counts.append(total)
            day += timedelta(days=1)

    def _count(self, moment: datetime) -> int:
        return self._counts[bisect_right(self._starts, moment) - 1]

    def between(self, start: datetime, end: datetime) -> int:
        """Working days after ``start``'s day up to and including ``end``'s (stored UTC times, days in Leipzig)."""
        return self._count(end) - self._count(start)


def received_before(days: int, today: date) -> datetime:
    """A ticket received before this moment (stored UTC) is at least ``days`` working days old today."""
    day, count = today, 0
    while count < days:
        count += is_working_day(day)
        day -= timedelta(days=1)
    return clock.local_midnight(day + timedelta(days=1))


def percentile(values: list[int], share: Fraction) -> Decimal | None:
    """The ``share`` percentile of sorted ``values``, linear between the nearest ranks; None without values."""
    if not values:
        return None
    rank = (len(values) - 1) * share
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    exact = values[low] + (values[high] - values[low]) * (rank - low)
    return Decimal(exact.numerator) / Decimal(exact.denominator)


# --- the figures ---


@dataclass(frozen=True)
class CategoryCounts:
    type_name: str
    category_name: str
    received: tuple[int, ...]  # per period: the months, then the weeks
    closed: tuple[int, ...]


@dataclass(frozen=True)
class Durations:
    """In working days; None where no ticket counts."""

    answered: int  # tickets received in the months that have their first answer
    unanswered: int
    answer_median: Decimal | None
    answer_p90: Decimal | None
    closed: int  # of them closed now
    close_median: Decimal | None
    close_p90: Decimal | None


@dataclass(frozen=True)
class House:
    street: str  # Unit.street: street and house number
    members: int  # persons party to a rental contract running today of a unit in the house
    registered: int  # of them with a portal account

    @property
    def share(self) -> Decimal | None:
        return share(self.registered, self.members)


@dataclass(frozen=True)
class DocumentsOpened:
    """Documents put in from the months' start until before the day DOCUMENT_DAYS days before today began: each has
    had its full days (of 24 hours, a document opened exactly DOCUMENT_DAYS days after still counts)."""

    total: int
    in_time: int  # opened within DOCUMENT_DAYS days
    later: int
    never: int

    @property
    def share(self) -> Decimal | None:
        return share(self.in_time, self.total)


@dataclass(frozen=True)
class Figures:
    cooperative: Cooperative
    today: date
    months: list[Period]
    weeks: list[Period]
    categories: list[CategoryCounts]
    durations: Durations
    backlog: list[tuple[str, int]]  # (the bucket's words, open tickets)
    members: int
    registered: int
    documents: DocumentsOpened

    @property
    def month_totals(self) -> list[tuple[Period, int, int]]:
        """(month, received, closed) of all categories."""
        return self._totals(self.months, 0)

    @property
    def week_totals(self) -> list[tuple[Period, int, int]]:
        return self._totals(self.weeks, len(self.months))

    def _totals(self, periods: list[Period], offset: int) -> list[tuple[Period, int, int]]:
        return [(period, sum(c.received[offset + i] for c in self.categories),
                 sum(c.closed[offset + i] for c in self.categories)) for i, period in enumerate(periods)]

    @property
    def registered_share(self) -> Decimal | None:
        return share(self.registered, self.members)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one place; None of nothing."""
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1")) if whole else None


def _within(column, period: Period):
    return (column >= period.start) & (column < period.end)


def _categories(cooperative: Cooperative, periods: list[Period]) -> list[CategoryCounts]:
    """Received and closed per category and period (the first period the earliest): one grouped statement each,
    and the categories."""
    start = periods[0].start
    received = dict(_by_category(
        Ticket.select(Ticket.category, *[count_if(_within(Ticket.created_at, p)) for p in periods])
        .where((Ticket.cooperative == cooperative) & (Ticket.created_at >= start))
        .group_by(Ticket.category)))
    closed = dict(_by_category(
        TicketStatusChange.select(Ticket.category,
                                  *[count_if(_within(TicketStatusChange.changed_at, p)) for p in periods])
        .join(Ticket)
        .where((Ticket.cooperative == cooperative) & TicketStatusChange.new_status.in_(FINAL)
               & (TicketStatusChange.changed_at >= start))
        .group_by(Ticket.category)))
    zero = (0,) * len(periods)
    return [CategoryCounts(type_name, category_name, received.get(category_id, zero), closed.get(category_id, zero))
            for category_id, type_name, category_name in (
                TicketCategory.select(TicketCategory.id, TicketType.name, TicketCategory.name).join(TicketType)
                .where(TicketType.cooperative == cooperative)
                .order_by(TicketType.position, TicketType.id, TicketCategory.position, TicketCategory.id).tuples())]


def _by_category(query):
    return ((row[0], tuple(row[1:])) for row in query.tuples())


def _moment(value: datetime | str) -> datetime:
    """A stored time as the database gives it as a datetime (SQLite gives the stored text, in ISO format)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _durations(cooperative: Cooperative, start: datetime, today: date) -> Durations:
    """Times to first answer and to close of the tickets received since ``start``: one row per ticket, its first
    answering message and its status changes grouped per ticket by the database and joined to it. (As correlated
    subqueries, PostgreSQL's estimate crossed its JIT threshold: a second of compiling for a quarter of running; a
    filter on the changer's role in WHERE made it misjudge how many changes staff make.)"""
    received = (Ticket.cooperative == cooperative) & (Ticket.created_at >= start)
    messages = (TicketMessage.select(TicketMessage.ticket.alias("ticket_id"),
                                     fn.MIN(TicketMessage.created_at).alias("answered"))
                .join(Ticket).where(received & TicketMessage.from_staff & ~TicketMessage.internal)
                .group_by(TicketMessage.ticket).alias("messages"))
    by_staff = TicketStatusChange.old_status.is_null(False) & User.role.in_(STAFF_ROLES)
    changes = (TicketStatusChange.select(
        TicketStatusChange.ticket.alias("ticket_id"),
        fn.MIN(Case(None, [(by_staff, TicketStatusChange.changed_at)], None)).alias("answered"),
        fn.MAX(Case(None, [(TicketStatusChange.new_status.in_(FINAL), TicketStatusChange.changed_at)], None))
        .alias("closed"))
        .join(Ticket).switch(TicketStatusChange)
        .join(User, JOIN.LEFT_OUTER, on=(TicketStatusChange.changed_by == User.id))
        .where(received).group_by(TicketStatusChange.ticket).alias("changes"))
    by_message, by_change = messages.c.answered, changes.c.answered
    # the earlier of both (NULL where neither is), and the close of a ticket closed now: in portable CASE
    answered = Case(None, [(by_change.is_null(), by_message),
                           (by_message.is_null() | (by_change < by_message), by_change)], by_message)
    closed = Case(None, [(Ticket.status.in_(FINAL), changes.c.closed)], None)
    query = (Ticket.select(Ticket.created_at, answered, closed)
             .join(messages, JOIN.LEFT_OUTER, on=(messages.c.ticket_id == Ticket.id))
             .switch(Ticket).join(changes, JOIN.LEFT_OUTER, on=(changes.c.ticket_id == Ticket.id))
             .where(received))
    calendar = WorkingDays(clock.to_local(start).date(), today)
    answers, closes, unanswered = [], [], 0
    for created, answered_at, closed_at in db.database.execute(query):  # the raw rows: _moment reads them
        created = _moment(created)
        if answered_at is None:
            unanswered += 1
        else:
            answers.append(calendar.between(created, _moment(answered_at)))
        if closed_at is not None:
            closes.append(calendar.between(created, _moment(closed_at)))
    answers.sort()
    closes.sort()
    return Durations(len(answers), unanswered, percentile(answers, Fraction(1, 2)),
                     percentile(answers, Fraction(9, 10)), len(closes), percentile(closes, Fraction(1, 2)),
                     percentile(closes, Fraction(9, 10)))


def age_label(low: int, high: int | None) -> str:
    if high is None:
        return f"{low} und mehr Arbeitstage"
    if low == 0:
        return f"weniger als {high} Arbeitstage"
    return f"{low} bis {high - 1} Arbeitstage"


def _backlog(cooperative: Cooperative, today: date) -> list[tuple[str, int]]:
    """The open tickets by age in working days (AGE_BUCKETS), in one statement."""
    cutoffs = {days: received_before(days, today) for low, high in AGE_BUCKETS for days in (low, high) if days}

    def bucket(low, high):
        condition = Ticket.created_at < cutoffs[low] if low else None
        if high is not None:
            younger = Ticket.created_at >= cutoffs[high]
            condition = younger if condition is None else condition & younger
        return count_if(condition)

    counts = (Ticket.select(*[bucket(low, high) for low, high in AGE_BUCKETS])
              .where((Ticket.cooperative == cooperative) & Ticket.status.in_(Ticket.OPEN_STATUSES)).tuples().get())
    return [(age_label(low, high), count) for (low, high), count in zip(AGE_BUCKETS, counts)]


def _members(cooperative: Cooperative) -> tuple[int, int]:
    """The cooperative's persons and those of them with a portal account."""
    return (Person.select(fn.COUNT(Person.id), fn.COUNT(Person.user))
            .where(Person.cooperative == cooperative).tuples().get())


def houses(cooperative: Cooperative, today: date):
    """Per house (Unit.street) the persons party to a rental contract running today and those with a portal account,
    by street (a grouped query of tuples: pages of it are pages of houses; the street is unique in it)."""
    running = (Contract.start_date <= today) & (Contract.end_date.is_null() | (Contract.end_date >= today))
    # a user has one person per cooperative at most: the distinct users are the persons with an account
    return (Unit.select(Unit.street, fn.COUNT(fn.DISTINCT(Person.id)), fn.COUNT(fn.DISTINCT(Person.user)))
            .join(Contract).join(ContractParty).join(Person)
            .where((Unit.cooperative == cooperative) & (Contract.kind == "rental") & running)
            .group_by(Unit.street).order_by(Unit.street).tuples())


def house_rows(rows) -> list[House]:
    """The rows of ``houses`` (the query or a page of it) as House."""
    return [House(*row) for row in rows]


def _opened_within(days: int):
    """Document.read_at within ``days`` days of Document.created_at, in the database's date arithmetic (NULL, so not
    counted, for a document never opened)."""
    if db.is_sqlite():
        return fn.julianday(Document.read_at) - fn.julianday(Document.created_at) <= days
    return Document.read_at <= Document.created_at + SQL(f"INTERVAL '{int(days)} days'")


def _documents(cooperative: Cooperative, start: datetime, today: date) -> DocumentsOpened:
    until = clock.local_midnight(today - timedelta(days=DOCUMENT_DAYS))
    total, in_time, read = (
        Document.select(fn.COUNT(Document.id), count_if(_opened_within(DOCUMENT_DAYS)), fn.COUNT(Document.read_at))
        .join(Person)
        .where((Person.cooperative == cooperative) & (Document.created_at >= start) & (Document.created_at < until))
        .tuples().get())
    return DocumentsOpened(total, in_time, read - in_time, total - read)


def figures(cooperative: Cooperative, today: date | None = None) -> Figures:
    """Every figure of the page but the houses (a list of pages of its own: ``houses``)."""
    today = today or clock.today()
    months, weeks = months_of(today), weeks_of(today)  # the months reach further back than the weeks
    members, registered = _members(cooperative)
    return Figures(cooperative, today, months, weeks, _categories(cooperative, months + weeks),
                   _durations(cooperative, months[0].start, today), _backlog(cooperative, today), members, registered,
                   _documents(cooperative, months[0].start, today))


# --- CSV ---

CSV_HEADER = ("Bereich", "Zeitraum", "Gruppe", "Kennzahl", "Wert")


def _value(value, places: int = 0) -> str:
    return "" if value is None else number(value, places)


def csv_rows(this: Figures, house_list: list[House]):
    """The page's figures as rows of CSV_HEADER (Gruppe: Meldungsart / Kategorie, or the house)."""
    for title, periods, offset in (("Meldungen je Monat", this.months, 0),
                                   ("Meldungen je Woche", this.weeks, len(this.months))):
        for index, period in enumerate(periods):
            for counts in this.categories:
                group = defused(f"{counts.type_name} / {counts.category_name}")
                yield title, period.name, group, "eingegangen", _value(counts.received[offset + index])
                yield title, period.name, group, "abgeschlossen", _value(counts.closed[offset + index])
    months = f"{this.months[0].name} bis {this.months[-1].name}"
    d = this.durations
    for key, value, places in (
        ("beantwortet (Anzahl)", d.answered, 0), ("noch ohne Antwort (Anzahl)", d.unanswered, 0),
        ("Arbeitstage bis zur ersten Antwort, Median", d.answer_median, 1),
        ("Arbeitstage bis zur ersten Antwort, 90. Perzentil", d.answer_p90, 1),
        ("abgeschlossen (Anzahl)", d.closed, 0),
        ("Arbeitstage bis zum Abschluss, Median", d.close_median, 1),
        ("Arbeitstage bis zum Abschluss, 90. Perzentil", d.close_p90, 1),
    ):
        yield "Bearbeitungszeit", months, "alle Meldungen", key, _value(value, places)
    for label, count in this.backlog:
        yield "Offene Meldungen nach Alter", f"Stand {german_date(this.today)}", label, "Anzahl", _value(count)
    today = f"Stand {german_date(this.today)}"
    yield "Registrierung", today, "alle Mitglieder", "Personen", _value(this.members)
    yield "Registrierung", today, "alle Mitglieder", "mit Portalzugang", _value(this.registered)
    yield "Registrierung", today, "alle Mitglieder", "Anteil in %", _value(this.registered_share, 1)
    for house in house_list:
        street = defused(house.street)
        yield "Registrierung", today, street, "Personen", _value(house.members)
        yield "Registrierung", today, street, "mit Portalzugang", _value(house.registered)
        yield "Registrierung", today, street, "Anteil in %", _value(house.share, 1)
    o = this.documents
    for key, value, places in (("eingestellt", o.total, 0), (f"innerhalb von {DOCUMENT_DAYS} Tagen geöffnet",
                                                             o.in_time, 0),
                               ("später geöffnet", o.later, 0), ("nicht geöffnet", o.never, 0),
                               (f"Anteil innerhalb von {DOCUMENT_DAYS} Tagen in %", o.share, 1)):
        yield "Dokumente", months, "alle Dokumente", key, _value(value, places)


def csv_text(this: Figures, house_list: list[House]) -> str:
    """The CSV German Excel opens as it is: a byte order mark, semicolons, German numbers (docs/export.md)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(this, house_list))
    return buffer.getvalue()


def csv_filename(this: Figures) -> str:
    return f"auswertung-{this.cooperative.slug}-{this.today.isoformat()}.csv"
