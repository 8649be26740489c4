"""Auswertung (services.staff.figures, /intern/auswertung): the figures equal what the test counts by hand from
tickets, messages and status changes with known times (working days across a weekend, a Saxon holiday and a
late evening in Leipzig), or from all rows in Python (registrations, documents); on 1 % of the large data every
figure equals a count of all rows in Python; a clerk sees only their own cooperative; the CSV; as many statements
on small as on large data."""

import csv
import io
import math
import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from tests.test_query_counts import count
from wir import clock
from wir.demo import generator
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
from wir.services.staff import figures
from wir.services.staff.staff_queue import is_working_day

PAGE = "/intern/auswertung"
CSV = "/intern/auswertung.csv"
STAFF = {"lipsia": 0, "elsteraue": 2}  # index in the demo logins' staff list
TODAY = date(2026, 12, 9)  # a Wednesday; 18 November 2026 is Buß- und Bettag, a holiday in Saxony
S = TicketStatus
LEIPZIG = ZoneInfo("Europe/Berlin")


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def at(day: date, hour: float) -> datetime:
    """``hour`` o'clock in Leipzig on ``day`` (winter time: November to March), in the stored form."""
    return clock.local_midnight(day) + timedelta(hours=hour)


def categories(slug: str) -> list[TicketCategory]:
    return list(TicketCategory.select().join(TicketType).where(TicketType.cooperative == cooperative(slug))
                .order_by(TicketType.position, TicketType.id, TicketCategory.position, TicketCategory.id))


def local_day(moment: datetime) -> date:
    """The day in Leipzig of a stored (UTC) moment: converted from UTC, where figures.py compares with day starts."""
    return moment.replace(tzinfo=timezone.utc).astimezone(LEIPZIG).date()


def members_of_all_rows(coop: Cooperative) -> tuple[int, int]:
    """The cooperative's persons and those of them with a portal account, from all persons."""
    persons = [p for p in Person.select() if p.cooperative_id == coop.id]
    return len(persons), sum(1 for p in persons if p.user_id)


def houses_of_all_rows(coop: Cooperative, today: date) -> list[tuple[str, int, int]]:
    """(street, persons, of them registered) per house of a rental contract running ``today``, from all parties."""
    expected = defaultdict(set)
    for party in ContractParty.select(ContractParty, Contract, Unit, Person).join(Contract).join(Unit) \
            .switch(ContractParty).join(Person):
        contract = party.contract
        if (contract.cooperative_id == coop.id and contract.kind == "rental" and contract.start_date <= today
                and (contract.end_date is None or contract.end_date >= today)):
            expected[contract.unit.street].add((party.person.id, party.person.user_id is not None))
    return [(street, len(people), sum(registered for _id, registered in people))
            for street, people in sorted(expected.items())]


def documents_of_all_rows(coop: Cooperative, first: date, until: date) -> tuple[int, int, int]:
    """The cooperative's documents put in from ``first`` until before ``until`` (days in Leipzig): (all, opened
    within 14 days of 24 hours, never opened), from all documents."""
    counted = [d for d in Document.select(Document, Person).join(Person)
               if d.person.cooperative_id == coop.id and first <= local_day(d.created_at) < until]
    in_time = [d for d in counted if d.read_at is not None and d.read_at - d.created_at <= timedelta(days=14)]
    return len(counted), len(in_time), sum(1 for d in counted if d.read_at is None)


class Tickets:
    """Lipsia's tickets replaced by the test's own, with their messages and status changes."""

    def __init__(self):
        self.lipsia = cooperative("lipsia")
        Ticket.delete().where(Ticket.cooperative == self.lipsia).execute()
        self.clerk = User.get((User.role == User.ROLE_STAFF) & (User.cooperative == self.lipsia))
        self.tenant = Person.select().where((Person.cooperative == self.lipsia) & Person.user.is_null(False)).get()
        self.first, self.second = categories("lipsia")[:2]
        self.serial = 0

    def ticket(self, created: datetime, status=S.RECEIVED, category=None, filed_by=None) -> Ticket:
        self.serial += 1
        ticket = Ticket.create(cooperative=self.lipsia, number=f"T-FIG-{self.serial:03d}", person=self.tenant,
                               category=category or self.first, subject="Auswertung", status=status,
                               created_at=created, updated_at=created, activity_at=created)
        TicketStatusChange.create(ticket=ticket, new_status=S.RECEIVED, changed_by=filed_by or self.tenant.user,
                                  changed_at=created)
        return ticket

    def message(self, ticket: Ticket, when: datetime, from_staff=True, internal=False):
        TicketMessage.create(ticket=ticket, author=self.clerk if from_staff else self.tenant.user,
                             from_staff=from_staff, internal=internal, body="…", created_at=when)

    def change(self, ticket: Ticket, old, new, when: datetime, by_tenant=False):
        TicketStatusChange.create(ticket=ticket, old_status=old, new_status=new, changed_at=when,
                                  changed_by=self.tenant.user if by_tenant else self.clerk)


@pytest.fixture
def known(data):
    """Eleven tickets of Lipsia with known times; TODAY is Wednesday 9 December 2026."""
    t = Tickets()
    # answered on Monday by a message (an internal note on Friday answers nobody): 1 working day; closed Tuesday: 2
    t1 = t.ticket(at(date(2026, 12, 4), 16), S.CLOSED)
    t.message(t1, at(date(2026, 12, 4), 17), internal=True)
    t.message(t1, at(date(2026, 12, 7), 9))
    t.change(t1, S.RECEIVED, S.CLOSED, at(date(2026, 12, 8), 10))
    # Monday 16 November, taken up on Thursday across the holiday: 2; withdrawn by the tenant the Monday after: 4
    t2 = t.ticket(at(date(2026, 11, 16), 10), S.WITHDRAWN, category=t.second)
    t.change(t2, S.RECEIVED, S.IN_PROGRESS, at(date(2026, 11, 19), 8))
    t.change(t2, S.IN_PROGRESS, S.WITHDRAWN, at(date(2026, 11, 23), 12), by_tenant=True)
    # answered the same day: 0, still open
    t3 = t.ticket(at(TODAY, 8), S.IN_PROGRESS)
    t.message(t3, at(TODAY, 9))
    t.change(t3, S.RECEIVED, S.IN_PROGRESS, at(TODAY, 9))
    # never answered, open since October
    t.ticket(at(date(2026, 10, 6), 9))
    # only an internal note and a message of the tenant: not answered; open 4 working days
    t5 = t.ticket(at(date(2026, 12, 3), 10))
    t.message(t5, at(date(2026, 12, 3), 11), internal=True)
    t.message(t5, at(date(2026, 12, 3), 12), from_staff=False)
    # rejected on Monday (the first answer: 1), taken up again, closed on Thursday: 4 from receipt; two closings
    t6 = t.ticket(at(date(2026, 11, 20), 10), S.CLOSED)
    t.change(t6, S.RECEIVED, S.REJECTED, at(date(2026, 11, 23), 10))
    t.change(t6, S.REJECTED, S.IN_PROGRESS, at(date(2026, 11, 24), 10))
    t.change(t6, S.IN_PROGRESS, S.CLOSED, at(date(2026, 11, 26), 10))
    # received more than 12 months ago: in the backlog only
    t.ticket(at(date(2025, 11, 28), 10))
    # filed by a clerk (the filing change is no answer): open 2 working days
    t.ticket(at(date(2026, 12, 7), 10), filed_by=t.clerk)
    # June, no holiday: answered and closed by one change after 10 working days (summer time: 10:00 is 08:00 UTC)
    t9 = t.ticket(datetime(2026, 6, 1, 8), S.CLOSED)
    t.change(t9, S.RECEIVED, S.CLOSED, datetime(2026, 6, 15, 8))
    # open 12 working days
    t.ticket(at(date(2026, 11, 23), 10))
    # late on Friday evening in Leipzig (Friday 22:30 UTC): still Friday, open 3 working days
    t.ticket(at(date(2026, 12, 4), 23.5))
    return t


def test_working_days_after_the_first_day_up_to_the_second():
    calendar = figures.WorkingDays(date(2026, 11, 1), date(2026, 12, 31))
    friday, monday = at(date(2026, 12, 4), 16), at(date(2026, 12, 7), 9)
    assert calendar.between(friday, friday + timedelta(hours=1)) == 0
    assert calendar.between(friday, monday) == 1  # the weekend does not count
    assert calendar.between(at(date(2026, 11, 17), 10), at(date(2026, 11, 19), 10)) == 1  # nor Buß- und Bettag
    assert calendar.between(at(date(2026, 11, 30), 8), at(date(2026, 12, 4), 8)) == 4
    # 23:30 on Friday in Leipzig is 22:30 UTC, still Friday; 00:30 on Saturday is Friday 23:30 UTC, a Saturday
    assert calendar.between(at(date(2026, 12, 4), 23.5), monday) == 1
    assert calendar.between(at(date(2026, 12, 5), 0.5), monday) == 1


def test_percentiles_lie_between_the_nearest_ranks():
    assert figures.percentile([], Fraction(1, 2)) is None
    assert figures.percentile([3], Fraction(9, 10)) == 3
    assert figures.percentile([0, 1, 1, 2, 10], Fraction(1, 2)) == 1
    assert figures.percentile([0, 1, 1, 2, 10], Fraction(9, 10)) == Decimal("6.8")
    assert figures.percentile([2, 4, 4, 10], Fraction(1, 2)) == 4


def test_durations_in_working_days(known):
    d = figures.figures(known.lipsia, TODAY).durations

    # first answers 1, 2, 0, 1, 10; five tickets of the 12 months without one (the older open one is not among them)
    assert (d.answered, d.unanswered) == (5, 5)
    assert (d.answer_median, d.answer_p90) == (1, Decimal("6.8"))  # 0 1 1 2 10: 2 + 0.6 × (10 − 2)
    # closes 2, 4, 4 (the last closing counts), 10
    assert d.closed == 4
    assert (d.close_median, d.close_p90) == (4, Decimal("8.2"))  # 2 4 4 10: 4 + 0.7 × (10 − 4)


def test_received_and_closed_per_month_week_and_category(known):
    this = figures.figures(known.lipsia, TODAY)

    assert [p.name for p in this.months] == [f"{name} 2026" for name in (
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
        "Dezember")]
    assert this.months[-1].running and not this.months[-2].running
    months = {period.name: (received, closed) for period, received, closed in this.month_totals}
    assert months == {**{p.name: (0, 0) for p in this.months}, "Juni 2026": (1, 1), "Oktober 2026": (1, 0),
                      "November 2026": (3, 3), "Dezember 2026": (5, 1)}

    assert [p.label for p in this.weeks] == [f"KW {week}" for week in range(38, 51)]
    assert this.weeks[-1].name == "KW 50/2026 (07.12.–13.12.)"
    weeks = {period.label: (received, closed) for period, received, closed in this.week_totals}
    assert weeks == {**{p.label: (0, 0) for p in this.weeks}, "KW 41": (1, 0), "KW 47": (2, 0), "KW 48": (1, 3),
                     "KW 49": (3, 0), "KW 50": (2, 1)}

    by_category = {(c.type_name, c.category_name): c for c in this.categories}
    assert len(by_category) == len(categories("lipsia"))  # every category, those without tickets too
    second = by_category[(known.second.ticket_type.name, known.second.name)]
    november, week_47, week_48 = 10, 12 + 9, 12 + 10  # the months, then the weeks
    assert sum(second.received) == 2 and (second.received[november], second.received[week_47]) == (1, 1)
    assert sum(second.closed) == 2 and (second.closed[november], second.closed[week_48]) == (1, 1)


def test_the_open_backlog_by_age(known):
    assert figures.figures(known.lipsia, TODAY).backlog == [
        ("weniger als 3 Arbeitstage", 2),  # 0 and 2 days
        ("3 bis 9 Arbeitstage", 2),  # 3 (Friday late evening) and 4
        ("10 bis 29 Arbeitstage", 1),  # 12
        ("30 und mehr Arbeitstage", 2),  # October, a year ago
    ]


def test_registrations_overall_and_per_house_equal_a_count_of_all_rows(data):
    lipsia = cooperative("lipsia")
    Person.update(user=None).where(Person.id == Person.select(Person.id).where(
        (Person.cooperative == lipsia) & Person.user.is_null(False)).order_by(Person.id).limit(1)).execute()
    this = figures.figures(lipsia, TODAY)
    assert (this.members, this.registered) == members_of_all_rows(lipsia)
    houses = figures.house_rows(figures.houses(lipsia, TODAY))
    assert [(h.street, h.members, h.registered) for h in houses] == houses_of_all_rows(lipsia, TODAY)
    assert any(h.registered < h.members for h in houses) and any(h.registered for h in houses)


def test_documents_opened_within_14_days_equal_a_count_of_all_rows(data):
    lipsia = cooperative("lipsia")
    person = Person.get(Person.cooperative == lipsia)
    put_in = at(date(2026, 11, 2), 10)
    for number, read in enumerate((None, put_in + timedelta(days=14), put_in + timedelta(days=14, seconds=1),
                                   put_in + timedelta(hours=1))):
        Document.create(person=person, kind="letter", title="Brief", number=f"D-FIG-{number}", filename="b.pdf",
                        storage_key="x", created_at=put_in, read_at=read)
    Document.create(person=person, kind="letter", title="Zu neu", number="D-FIG-new", filename="b.pdf",
                    storage_key="x", created_at=at(date(2026, 11, 25), 10))  # less than 14 days before TODAY

    total, in_time, never = documents_of_all_rows(lipsia, date(2026, 1, 1), date(2026, 11, 25))
    documents = figures.figures(lipsia, TODAY).documents
    assert (documents.total, documents.in_time, documents.never) == (total, in_time, never)
    assert documents.later == total - in_time - never >= 1
    assert documents.share == (Decimal(100 * in_time) / total).quantize(Decimal("0.1"))


def test_the_page_shows_charts_with_their_tables(client, auth, known, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    auth.login_staff(STAFF["lipsia"])
    html = re.sub(r">\s+<", "><", client.get(PAGE).get_data(as_text=True))

    assert "Auswertung: WG „Lipsia“ eG" in html and 'aria-current="page">Auswertung</a>' in html
    for chart in ("monate", "wochen", "kategorien", "dauer", "alter", "dokumente"):
        assert f'role="img" aria-labelledby="{chart}-title" aria-describedby="{chart}-tabelle"' in html
        assert re.search(f'<table class="data-table[^"]*" id="{chart}-tabelle"><caption>', html)
    assert '<th scope="row">Dezember 2026 (laufend)</th><td class="amount">5</td><td class="amount">1</td>' in html
    assert ('<th scope="row">zum Abschluss</th><td class="amount">4,0</td><td class="amount">8,2</td>' in html)
    assert '<th scope="row">10 bis 29 Arbeitstage</th><td class="amount">1</td>' in html
    assert "<script" not in html.split("<main", 1)[1]  # nothing needs JavaScript


def test_the_csv_holds_the_figures_for_german_excel(client, auth, known, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    auth.login_staff(STAFF["lipsia"])
    response = client.get(CSV)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=auswertung-lipsia-2026-12-09.csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffBereich;Zeitraum;Gruppe;Kennzahl;Wert\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    values = {tuple(row[:4]): row[4] for row in rows[1:]}
    second = f"{known.second.ticket_type.name} / {known.second.name}"
    assert values[("Meldungen je Monat", "November 2026", second, "eingegangen")] == "1"
    assert values[("Meldungen je Woche", "KW 48/2026 (23.11.–29.11.)", second, "abgeschlossen")] == "1"
    months = "Januar 2026 bis Dezember 2026"
    assert values[("Bearbeitungszeit", months, "alle Meldungen", "Arbeitstage bis zur ersten Antwort, 90. Perzentil")] \
        == "6,8"
    assert values[("Bearbeitungszeit", months, "alle Meldungen", "noch ohne Antwort (Anzahl)")] == "5"
    assert values[("Offene Meldungen nach Alter", "Stand 09.12.2026", "30 und mehr Arbeitstage", "Anzahl")] == "2"
    this = figures.figures(known.lipsia, TODAY)
    assert values[("Registrierung", "Stand 09.12.2026", "alle Mitglieder", "Anteil in %")] == \
        str(this.registered_share).replace(".", ",")
    houses = figures.house_rows(figures.houses(known.lipsia, TODAY))
    assert houses and {row[2] for row in rows if row[0] == "Registrierung"} == {"alle Mitglieder"} | {
        h.street for h in houses}  # every house, not a page of them
    assert all(len(row) == 5 for row in rows)


def test_a_clerk_sees_their_own_cooperative_and_cannot_pick_another(client, auth, data):
    auth.login_staff(STAFF["lipsia"])
    elsteraue_street = Unit.get(Unit.cooperative == cooperative("elsteraue")).street
    page = client.get(PAGE)
    assert page.status_code == 200 and "WG „Lipsia“ eG" in page.get_data(as_text=True)
    assert 'name="genossenschaft"' not in page.get_data(as_text=True)  # nothing to choose
    assert elsteraue_street.split()[0] not in page.get_data(as_text=True)
    assert client.get(f"{PAGE}?genossenschaft=lipsia").status_code == 200
    for url in (PAGE, CSV):
        assert client.get(f"{url}?genossenschaft=elsteraue").status_code == 404
        assert client.get(f"{url}?genossenschaft=gibt-es-nicht").status_code == 404
    assert "lipsia" in client.get(CSV).headers["Content-Disposition"]


def test_the_admin_chooses_the_cooperative(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    page = client.get(f"{PAGE}?genossenschaft=elsteraue").get_data(as_text=True)
    assert "Auswertung: WG „Elsteraue“ eG" in page and 'name="genossenschaft"' in page
    assert "elsteraue" in client.get(f"{CSV}?genossenschaft=elsteraue").headers["Content-Disposition"]


@pytest.mark.parametrize("url", [PAGE, f"{PAGE}?seite=2", CSV])
def test_the_same_statements_on_small_and_large_data(client, auth, data, count_queries, url):
    auth.login_staff(STAFF["lipsia"])
    small = count(client, count_queries, url)
    tickets = Ticket.select().count()
    generator.generate(clock.now(), clock.today(), 0.01)
    assert Ticket.select().count() > tickets
    assert count(client, count_queries, url) == small


def working_days(first: date, last: date) -> int:
    """The working days after ``first`` up to and including ``last``, counted day by day (which day is a working
    day is the project's calendar, staff_queue.is_working_day: figures.py counts with it too)."""
    return sum(is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))


def period_indexes(day: date, today: date) -> list[int]:
    """The indexes of ``day``'s month and ISO week among the figures' periods up to ``today``'s: the months, oldest
    first, then the weeks."""
    months = (today.year - day.year) * 12 + today.month - day.month
    monday = today - timedelta(days=today.weekday())
    weeks = (monday - (day - timedelta(days=day.weekday()))).days // 7
    return ([figures.MONTHS - 1 - months] if 0 <= months < figures.MONTHS else []) + (
        [figures.MONTHS + figures.WEEKS - 1 - weeks] if 0 <= weeks < figures.WEEKS else [])


@pytest.mark.parametrize("slug", ["lipsia", "elsteraue"])
def test_every_figure_equals_a_count_of_all_rows_on_large_data(data, slug):
    now = clock.now()
    today = local_day(now)
    generator.generate(now, today, 0.01)
    coop = cooperative(slug)
    this = figures.figures(coop, today)
    month = today.year * 12 + today.month - figures.MONTHS  # the earliest month, as months since January of year 0
    first = date(month // 12, month % 12 + 1, 1)

    tickets = {t.id: t for t in Ticket.select() if t.cooperative_id == coop.id}
    staff = {u.id for u in User.select() if u.role in (User.ROLE_STAFF, User.ROLE_ADMIN)}
    answers, closes = defaultdict(list), defaultdict(list)  # per ticket: when staff answered, when it was closed
    for message in TicketMessage.select():
        if message.ticket_id in tickets and message.from_staff and not message.internal:
            answers[message.ticket_id].append(message.created_at)
    for change in TicketStatusChange.select():
        if change.ticket_id in tickets:
            if change.old_status is not None and change.changed_by_id in staff:
                answers[change.ticket_id].append(change.changed_at)
            if change.new_status in (S.CLOSED, S.REJECTED, S.WITHDRAWN):
                closes[change.ticket_id].append(change.changed_at)

    # received and closed per category and period, and all categories' totals
    periods = figures.MONTHS + figures.WEEKS
    received, closed = defaultdict(lambda: [0] * periods), defaultdict(lambda: [0] * periods)
    totals = [[0, 0] for _ in range(periods)]
    for ticket in tickets.values():
        for index in period_indexes(local_day(ticket.created_at), today):
            received[ticket.category_id][index] += 1
            totals[index][0] += 1
        for moment in closes[ticket.id]:  # every closing, of a ticket taken up again too
            for index in period_indexes(local_day(moment), today):
                closed[ticket.category_id][index] += 1
                totals[index][1] += 1
    assert [[r, c] for _period, r, c in this.month_totals + this.week_totals] == totals
    own = [c for c in TicketCategory.select(TicketCategory, TicketType).join(TicketType)
           if c.ticket_type.cooperative_id == coop.id]
    assert sorted((c.type_name, c.category_name, c.received, c.closed) for c in this.categories) == sorted(
        (c.ticket_type.name, c.name, tuple(received[c.id]), tuple(closed[c.id])) for c in own)

    # working days to the first answer and to the close of the tickets received in the months
    in_months = [t for t in tickets.values() if local_day(t.created_at) >= first]
    to_answer = [working_days(local_day(t.created_at), local_day(min(answers[t.id]))) for t in in_months
                 if answers[t.id]]
    to_close = [working_days(local_day(t.created_at), local_day(max(closes[t.id]))) for t in in_months
                if t.status in (S.CLOSED, S.REJECTED, S.WITHDRAWN) and closes[t.id]]
    d = this.durations
    assert (d.answered, d.unanswered, d.closed) == (len(to_answer), len(in_months) - len(to_answer), len(to_close))
    for days, median, p90 in ((to_answer, d.answer_median, d.answer_p90), (to_close, d.close_median, d.close_p90)):
        # "inclusive" quantiles interpolate linearly between the nearest ranks, as numpy's default does
        assert (float(median), float(p90)) == pytest.approx(
            (statistics.median(days), statistics.quantiles(days, n=10, method="inclusive")[8]))

    ages = [working_days(local_day(t.created_at), today) for t in tickets.values() if t.status in Ticket.OPEN_STATUSES]
    bounds = (0, 3, 10, 30, math.inf)
    assert [count for _label, count in this.backlog] == [
        sum(low <= age < high for age in ages) for low, high in zip(bounds, bounds[1:])]

    assert (this.members, this.registered) == members_of_all_rows(coop)
    houses = figures.house_rows(figures.houses(coop, today))
    assert [(h.street, h.members, h.registered) for h in houses] == houses_of_all_rows(coop, today)
    documents = this.documents
    assert (documents.total, documents.in_time, documents.never) == documents_of_all_rows(
        coop, first, today - timedelta(days=14))
    # the generated data reaches every figure: none of the above compared empty counts only
    assert to_close and ages and houses and documents.in_time and documents.never
