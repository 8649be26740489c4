"""The staff's Übersicht and Meldungen queue: filters, search, sort, pages, htmx fragments, the poll, the counts
(working days across a weekend and holidays), constant query counts for 3 and 3,000 tickets, and the scope
(a clerk of one cooperative never sees the other's tickets; the admin sees both)."""

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.helpers import htmx
from wir import clock, db
from wir.models import (
    BankAccount,
    Contract,
    ContractParty,
    Cooperative,
    Person,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketType,
    Unit,
    User,
)
from wir.services.staff import staff_queue
from wir.services.tickets import tickets

QUEUE = "/intern/meldungen"
CHANGES = "/intern/meldungen/aenderungen"
STAFF = {"lipsia": 0, "elsteraue": 2}  # index in the demo logins' staff list
NUMBER_LINK = re.compile(r'<a id="ticket-\d+" href="/intern/meldungen/[^"]+">([^<]+)</a>')


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def staff_user(login: dict) -> User:
    return User.get(User.email == login["email"])


def numbers(response) -> list[str]:
    """The ticket numbers of the queue's rows, in order."""
    return NUMBER_LINK.findall(response.get_data(as_text=True))


def total(response) -> int:
    """The queue's total as it says it ("3.000 Meldungen", grouped the German way)."""
    return int(re.search(r'id="queue-count">([\d.]+) ', response.get_data(as_text=True)).group(1).replace(".", ""))


def category_of(slug: str, key: str = "") -> TicketCategory:
    query = TicketCategory.select().join(TicketType).where(TicketType.cooperative == cooperative(slug))
    if key:
        query = query.where(TicketCategory.key == key)
    return query.order_by(TicketCategory.id).first()


def tenant_of(slug: str) -> Person:
    """A person of the cooperative with an account and a rental contract in a unit."""
    return (Person.select().join(User).switch(Person).where(Person.cooperative == cooperative(slug))
            .order_by(Person.id).first())


def contract_of(person: Person) -> Contract:
    """A contract of the person with a unit (the queue shows its street)."""
    return (Contract.select().join(ContractParty)
            .where((ContractParty.person == person) & Contract.unit.is_null(False)).order_by(Contract.id).first())


_serial = iter(range(10**6))


def make_ticket(slug: str, **fields) -> Ticket:
    """A ticket of the cooperative as staff would find it; ``fields`` override the defaults."""
    now = clock.now()
    person = fields.pop("person", None) or tenant_of(slug)
    values = dict(
        cooperative=cooperative(slug), number=f"{slug[0].upper()}-T-{next(_serial):05d}", person=person,
        category=category_of(slug), subject="Testmeldung", status="received", created_at=now, updated_at=now,
        activity_at=now, waiting_since=now,
    )
    values.update(fields)
    return Ticket.create(**values)


def bulk_tickets(slug: str, count: int, **fields) -> None:
    """``count`` tickets at once (insert_many in chunks): for the 3,000-ticket query counts."""
    now = clock.now()
    coop, person, category = cooperative(slug), tenant_of(slug), category_of(slug)
    rows = [
        dict(cooperative=coop.id, number=f"{slug[0].upper()}-B-{next(_serial):05d}", person=person.id,
             category=category.id, subject="Massenmeldung", status="received", created_at=now, updated_at=now,
             activity_at=now, waiting_since=now - timedelta(days=i % 40), **fields)
        for i in range(count)
    ]
    with db.database.atomic():
        for start in range(0, len(rows), 300):
            Ticket.insert_many(rows[start:start + 300]).execute()


@pytest.fixture
def clerk(auth, data):
    """A clerk of Lipsia, signed in (password and code)."""
    login = auth.login_staff(STAFF["lipsia"])
    return staff_user(login)


@pytest.fixture
def no_tickets(data):
    """Both cooperatives without any ticket (messages and status changes go with them)."""
    Ticket.delete().execute()


def pending_bank_changes(slug: str) -> int:
    return (BankAccount.select().join(Contract)
            .where((BankAccount.status == "pending") & (Contract.cooperative == cooperative(slug))).count())


# --- access ---


@pytest.mark.parametrize("url", ["/intern/", QUEUE, f"{QUEUE}?status=alle", f"{CHANGES}?seit=2026-01-01T00:00:00"])
@pytest.mark.parametrize("who", ["anonymous", "tenant"])
def test_anonymous_users_and_tenants_get_404(client, auth, url, who):
    if who == "tenant":
        auth.login_as()
    for headers in ({}, {"HX-Request": "true", "HX-Target": "queue"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and "Location" not in response.headers


def test_staff_navigation_names_uebersicht_and_meldungen(client, clerk):
    page = client.get(QUEUE).get_data(as_text=True)
    nav = page.split('aria-label="Hauptmenü"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/intern/">Übersicht</a>' in nav
    assert '<a href="/intern/meldungen" aria-current="page">Meldungen</a>' in nav


# --- the queue: default, filters, search, sort ---


def test_default_shows_open_tickets_of_the_own_cooperative_waiting_longest_first(client, clerk, no_tickets):
    now = clock.now()
    late = make_ticket("lipsia", waiting_since=now - timedelta(days=2))
    early = make_ticket("lipsia", waiting_since=now - timedelta(days=9))
    query = make_ticket("lipsia", status="query", waiting_since=None)
    make_ticket("lipsia", status="closed", waiting_since=None)
    make_ticket("elsteraue", waiting_since=now - timedelta(days=30))
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert numbers(response) == [early.number, late.number, query.number]
    page = response.get_data(as_text=True)
    assert "am längsten wartend zuerst" in page and "wartet nicht auf uns" in page


def test_queue_row_shows_every_column(client, clerk, no_tickets):
    person = tenant_of("lipsia")
    contract = contract_of(person)
    colleague = User.get((User.cooperative == cooperative("lipsia")) & (User.id != clerk.id))
    ticket = make_ticket("lipsia", person=person, contract=contract, assigned_to=colleague,
                         category=category_of("lipsia", "rent_clearance"))
    page = client.get(QUEUE).get_data(as_text=True)
    row = page.split(f'id="ticket-{ticket.id}"', 1)[1].split("</tr>", 1)[0]
    category = TicketCategory.get_by_id(ticket.category_id)
    for text in (ticket.number, person.full_name, contract.number, Unit.get_by_id(contract.unit_id).street,
                 TicketType.get_by_id(category.ticket_type_id).name, category.name, "Eingegangen",
                 colleague.staff_name):
        assert text in row, text
    assert row.count(" Uhr") == 3  # Eingang, letzte Aktivität, wartet seit


def test_status_filters(client, clerk, no_tickets):
    made = {status: make_ticket("lipsia", status=status) for status in Ticket.STATUSES}
    assert set(numbers(client.get(QUEUE))) == {made[s].number for s in Ticket.OPEN_STATUSES}
    assert set(numbers(client.get(f"{QUEUE}?status=offen"))) == {made[s].number for s in Ticket.OPEN_STATUSES}
    assert set(numbers(client.get(f"{QUEUE}?status=alle"))) == {t.number for t in made.values()}
    for status, ticket in made.items():
        assert numbers(client.get(f"{QUEUE}?status={status}")) == [ticket.number]


def test_type_and_category_filters(client, clerk, no_tickets):
    damage, other = category_of("lipsia"), category_of("lipsia", "rent_clearance")
    first = make_ticket("lipsia", category=damage)
    second = make_ticket("lipsia", category=other)
    assert numbers(client.get(f"{QUEUE}?art={damage.ticket_type_id}")) == [first.number]
    assert numbers(client.get(f"{QUEUE}?art={other.ticket_type_id}")) == [second.number]
    assert numbers(client.get(f"{QUEUE}?kategorie={other.id}")) == [second.number]
    assert numbers(client.get(f"{QUEUE}?art={damage.ticket_type_id}&kategorie={other.id}")) == []


def test_assigned_filter(client, clerk, no_tickets):
    colleague = User.get((User.cooperative == cooperative("lipsia")) & (User.id != clerk.id))
    mine = make_ticket("lipsia", assigned_to=clerk)
    theirs = make_ticket("lipsia", assigned_to=colleague)
    nobodys = make_ticket("lipsia")
    assert numbers(client.get(f"{QUEUE}?zugewiesen=ich")) == [mine.number]
    assert numbers(client.get(f"{QUEUE}?zugewiesen=niemand")) == [nobodys.number]
    assert numbers(client.get(f"{QUEUE}?zugewiesen={colleague.id}")) == [theirs.number]
    assert len(numbers(client.get(QUEUE))) == 3


def test_waiting_filter_counts_working_days(client, clerk, no_tickets):
    today = clock.today()
    cutoff = staff_queue.waiting_cutoff(5, today)
    older = make_ticket("lipsia", waiting_since=cutoff - timedelta(minutes=1))
    make_ticket("lipsia", waiting_since=cutoff + timedelta(minutes=1))
    make_ticket("lipsia", status="query", waiting_since=None)
    assert numbers(client.get(f"{QUEUE}?wartet=5")) == [older.number]


def test_concern_filters(app, client, clerk, no_tickets):
    certificate = make_ticket("lipsia", category=category_of("lipsia", "rent_clearance"))
    form = make_ticket("lipsia", category=category_of("lipsia", "pets"))
    make_ticket("lipsia", category=category_of("lipsia", "rent_clearance"), status="closed", waiting_since=None)
    answered = make_ticket("lipsia", status="in_progress")
    tenant = User.get_by_id(Person.get_by_id(answered.person_id).user_id)
    with app.test_request_context():
        tickets.add_staff_message(answered, "Seit wann?", author=clerk, status="query")
        tickets.answer_query(Ticket.get_by_id(answered.id), "Seit Montag.", tenant)
    assert numbers(client.get(f"{QUEUE}?anliegen=bescheinigung")) == [certificate.number]
    assert numbers(client.get(f"{QUEUE}?anliegen=formular")) == [form.number]
    assert numbers(client.get(f"{QUEUE}?anliegen=rueckfrage-beantwortet")) == [answered.number]


def test_search_by_number_name_street_and_contract(client, clerk, data):
    ticket = (Ticket.select().where((Ticket.cooperative == cooperative("lipsia")) & Ticket.contract.is_null(False))
              .order_by(Ticket.id).first())
    person, contract = Person.get_by_id(ticket.person_id), Contract.get_by_id(ticket.contract_id)
    street = Unit.get_by_id(contract.unit_id).street
    for term in (ticket.number, ticket.number.lower(), person.last_name.upper(), person.full_name,
                 street[: len(street) // 2 + 2], contract.number, contract.number.lower()):
        found = numbers(client.get(QUEUE, query_string={"suche": term, "status": "alle"}))
        assert ticket.number in found, term
    assert numbers(client.get(QUEUE, query_string={"suche": "Niemand Namenlos", "status": "alle"})) == []


@pytest.mark.parametrize("selection", [
    dict(), dict(status="alle"), dict(status="closed"), dict(ticket_type=True), dict(category=True),
    dict(assigned=staff_queue.ME), dict(assigned=staff_queue.NOBODY), dict(waiting_days=1),
    dict(concern=staff_queue.CERTIFICATE), dict(concern=staff_queue.FORM), dict(search="Mü", status="alle"), dict(search="Allee", assigned=staff_queue.NOBODY),
    dict(search="MV-", category=True, status="alle"),
], ids=repr)
def test_the_count_of_a_selection_is_its_number_of_rows(clerk, data, selection):
    """The count runs without the rows' joins: it must still count exactly the rows the queue shows."""
    category = category_of("lipsia")
    make_ticket("lipsia", assigned_to=clerk, category=category, waiting_since=clock.now() - timedelta(days=10))
    make_ticket("lipsia", status="closed", waiting_since=None)
    make_ticket("lipsia", category=category_of("lipsia", "rent_clearance"))
    make_ticket("lipsia", category=category_of("lipsia", "pets"))
    values = dict(selection)
    if values.pop("ticket_type", False):
        values["ticket_type_id"] = category.ticket_type_id
    if values.pop("category", False):
        values["category_id"] = category.id
    chosen = staff_queue.Selection(**values)
    page = staff_queue.page_of(clerk, chosen, 1)
    assert page.total == len(list(staff_queue.queue(clerk, chosen))) > 0


@pytest.mark.parametrize("term", ["%", "_", "\\", "%%", "' OR 1=1 --", '"; DROP TABLE ticket; --',
                                  "<script>alert(1)</script>", "L-%", "\x00", "a\x00b\x1f", "ü" * 100])
def test_hostile_search_is_harmless(client, clerk, data, term):
    response = client.get(QUEUE, query_string={"suche": term, "status": "alle"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "\x00" not in page
    # wildcards match only themselves: no ticket number has %, _ or a backslash
    if term.strip("\x00\x1f") and set(term) <= set("%_\\"):
        assert numbers(response) == []
    assert Ticket.select().count() > 0  # nothing dropped


def test_wildcards_in_search_match_themselves(client, clerk, no_tickets):
    plain = make_ticket("lipsia", number="L-2026-9901")
    odd = make_ticket("lipsia", number="L-2026_99%2")
    assert numbers(client.get(QUEUE, query_string={"suche": "_99%"})) == [odd.number]
    assert set(numbers(client.get(QUEUE, query_string={"suche": "L-2026"}))) == {plain.number, odd.number}


def test_sort_newest_first(client, clerk, no_tickets):
    now = clock.now()
    old = make_ticket("lipsia", created_at=now - timedelta(days=3), waiting_since=now - timedelta(days=2))
    new = make_ticket("lipsia", created_at=now - timedelta(days=1), waiting_since=now - timedelta(hours=1))
    newest = make_ticket("lipsia", status="query", created_at=now, waiting_since=None)
    assert numbers(client.get(QUEUE)) == [old.number, new.number, newest.number]
    response = client.get(f"{QUEUE}?sortierung=neueste")
    assert numbers(response) == [newest.number, new.number, old.number]
    assert "Meldungen, neueste zuerst" in response.get_data(as_text=True)


# --- bad filter values ---


@pytest.mark.parametrize("name, value, field_id", [
    ("status", "geheim", "status"),
    ("status", "", "status"),
    ("art", "abc", "art"),
    ("kategorie", "999999", "kategorie"),
    ("zugewiesen", "<b>x</b>", "zugewiesen"),
    ("anliegen", "alles", "anliegen"),
    ("sortierung", "zufall", "sortierung"),
    ("wartet", "abc", "wartet"),
    ("wartet", "-2", "wartet"),
    ("wartet", "0", "wartet"),
    ("wartet", "366", "wartet"),
    ("wartet", "9" * 40, "wartet"),
    ("wartet", "1e3", "wartet"),
    ("suche", "x" * 101, "suche"),
])
def test_bad_filter_values_get_a_message_next_to_the_field(client, clerk, name, value, field_id):
    response = client.get(QUEUE, query_string={name: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in page and 'aria-invalid="true"' in page
    assert "Bitte korrigieren Sie Ihre Auswahl" in page and numbers(response) == []
    fragment = client.get(QUEUE, query_string={name: value}, headers={"HX-Request": "true", "HX-Target": "queue"})
    assert fragment.status_code == 422 and f'id="{field_id}-error"' in fragment.get_data(as_text=True)


def test_other_cooperatives_choices_are_refused(client, clerk, data):
    foreign_category = category_of("elsteraue")
    foreign_staff = User.get(User.cooperative == cooperative("elsteraue"))
    for params in ({"kategorie": foreign_category.id}, {"art": foreign_category.ticket_type_id},
                   {"zugewiesen": foreign_staff.id}):
        response = client.get(QUEUE, query_string=params)
        assert response.status_code == 422 and numbers(response) == []


def test_a_page_number_past_the_end_or_garbage_shows_a_page(client, clerk, data):
    for page in ("999", "-1", "abc", "1" * 50):
        response = client.get(QUEUE, query_string={"seite": page, "status": "alle"})
        assert response.status_code == 200 and numbers(response)


# --- pages ---


def test_pages_of_fifty_show_every_ticket_exactly_once(client, clerk, no_tickets):
    now = clock.now()
    same = now - timedelta(days=4)
    for i in range(120):  # many ties on waiting_since and created_at: the id decides
        make_ticket("lipsia", waiting_since=None if i % 7 == 0 else same, created_at=now)
    made = {t.number for t in Ticket.select()}
    for sort in ("wartend", "neueste"):
        seen = []
        for page in (1, 2, 3):
            response = client.get(QUEUE, query_string={"seite": page, "sortierung": sort})
            seen += numbers(response)
            assert len(numbers(response)) == (20 if page == 3 else 50)
            assert f"Seite {page} von 3" in response.get_data(as_text=True)
        assert len(seen) == len(set(seen)) == 120 and set(seen) == made


def test_page_links_keep_the_filters_and_fetch_only_the_queue(client, clerk, no_tickets):
    for _ in range(60):
        make_ticket("lipsia")
    page = client.get(QUEUE, query_string={"suche": "L-T", "sortierung": "neueste"}).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" hx-get="([^"]+)" hx-push-url="true" rel="next">', page)
    assert link and link.group(1) == link.group(2)
    url = link.group(1).replace("&amp;", "&")
    assert "seite=2" in url and "suche=L-T" in url and "sortierung=neueste" in url


# --- htmx ---


def test_htmx_filter_gets_only_the_queue_and_pushes_the_url(client, auth, clerk, data):
    page = client.get(QUEUE).get_data(as_text=True)
    form = re.search(r"<form [^>]*>", page.split('id="queue"', 1)[1]).group(0)
    assert 'method="get"' in form and 'action="/intern/meldungen"' in form
    assert 'hx-get="/intern/meldungen"' in form and 'hx-push-url="true"' in form
    assert 'hx-target="this"' in page.split('id="queue"', 1)[1].split(">", 1)[0]
    response = client.get(f"{QUEUE}?status=alle", headers=htmx(auth, "queue"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith("<div id=\"queue\"")
    assert "<html" not in body and "Hauptmenü" not in body and numbers(response)
    assert "HX-Request" in response.headers["Vary"]
    # a history restore, and an htmx request for something else, get the whole page
    restore = client.get(f"{QUEUE}?status=alle", headers={**htmx(auth), "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)
    assert "<html" in client.get(QUEUE, headers=htmx(auth)).get_data(as_text=True)


def test_plain_page_and_fragment_show_the_same_rows(client, auth, clerk, data):
    plain = client.get(f"{QUEUE}?status=alle&sortierung=neueste")
    fragment = client.get(f"{QUEUE}?status=alle&sortierung=neueste", headers=htmx(auth, "queue"))
    assert numbers(plain) == numbers(fragment) and numbers(plain)


# --- the poll ---


def poll_since(response) -> str:
    url = re.search(r'id="queue-poll" hidden\s+hx-get="([^"]+)"', response.get_data(as_text=True)).group(1)
    return url.replace("&amp;", "&")


def test_poll_answers_204_with_at_most_three_queries_when_nothing_changed(client, auth, clerk, data,
                                                                          count_queries):
    url = poll_since(client.get(f"{QUEUE}?status=alle"))
    assert "status=alle" in url
    with count_queries() as queries:
        response = client.get(url, headers={**htmx(auth), "X-WIR-Background": "1"})
    assert response.status_code == 204 and response.data == b""
    assert queries.count <= 3, queries.statements


def test_poll_brings_the_table_with_changed_and_new_rows_announced(app, client, auth, clerk, data, monkeypatch):
    response = client.get(QUEUE)
    url = poll_since(response)
    target = Ticket.get(Ticket.number == numbers(response)[0])
    later = clock.now() + timedelta(seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.test_request_context():
        tickets.set_status(target, "commissioned", changed_by=clerk)
    new = make_ticket("lipsia", waiting_since=later - timedelta(days=400))
    make_ticket("elsteraue")
    answer = client.get(url, headers={**htmx(auth), "X-WIR-Background": "1"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and body.lstrip().startswith('<div id="queue-table">')
    assert new.number in numbers(answer) and target.number in numbers(answer)
    assert re.search(rf'{re.escape(new.number)}</a>\s*<span class="queue__badge">neu</span>', body)
    assert re.search(rf'{re.escape(target.number)}</a>\s*<span class="queue__badge">geändert</span>', body)
    assert body.count('class="queue__row--changed"') == 2
    assert '<p id="queue-announcer" hx-swap-oob="innerHTML">2 neue oder geänderte Meldungen.</p>' in body
    # the renewed poll starts from the change
    assert later.isoformat() in poll_since(answer)
    assert client.get(poll_since(answer), headers=htmx(auth)).status_code == 204


def test_poll_ignores_the_other_cooperative(app, client, auth, clerk, data, monkeypatch):
    url = poll_since(client.get(QUEUE))
    later = clock.now() + timedelta(seconds=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    make_ticket("elsteraue")
    assert client.get(url, headers=htmx(auth)).status_code == 204


@pytest.mark.parametrize("query", ["", "seit=gestern", "seit=2026-01-01T00:00:00%2B05:00", "seit=" + "9" * 500,
                                   "seit=2026-01-01T00:00:00&status=geheim"])
def test_poll_refuses_garbage(client, clerk, data, query):
    since = "seit=2000-01-01T00:00:00&" if query.endswith("geheim") else ""
    assert client.get(f"{CHANGES}?{since}{query}").status_code == 400


# --- the Übersicht ---


def counts(response) -> dict[str, int]:
    """The Übersicht's counts by the URL they link to."""
    page = response.get_data(as_text=True)
    found = re.findall(r'<a class="counts__link" href="([^"]+)">\s*<span class="counts__number">(\d+)</span>', page)
    return {url.replace("&amp;", "&"): int(number) for url, number in found}


def test_uebersicht_counts_lead_to_queues_with_the_same_totals(app, client, clerk, no_tickets):
    tenant = tenant_of("lipsia")
    now = clock.now()
    make_ticket("lipsia")
    make_ticket("lipsia", waiting_since=now - timedelta(days=30))
    make_ticket("lipsia", status="in_progress", waiting_since=now - timedelta(days=20), assigned_to=clerk)
    make_ticket("lipsia", category=category_of("lipsia", "rent_clearance"), status="commissioned",
                waiting_since=None)
    make_ticket("lipsia", category=category_of("lipsia", "termination"))
    make_ticket("lipsia", category=category_of("lipsia", "sublet"), status="closed", waiting_since=None)
    asked = make_ticket("lipsia", status="in_progress", person=tenant)
    with app.test_request_context():
        tickets.add_staff_message(asked, "Welche Farbe?", author=clerk, status="query")
        tickets.answer_query(Ticket.get_by_id(asked.id), "Blau.", User.get_by_id(tenant.user_id))
    for _ in range(3):  # the other cooperative's count nowhere
        make_ticket("elsteraue", waiting_since=now - timedelta(days=30), assigned_to=clerk,
                    category=category_of("elsteraue", "rent_clearance"))
    for slug in ("lipsia", "elsteraue"):
        contract = contract_of(tenant_of(slug))
        BankAccount.create(contract=contract, holder="Erika Beispiel", iban="DE02120300000000202051",
                           mandate_reference=f"{contract.number}-T", valid_from=contract.start_date, status="pending")
    response = client.get("/intern/")
    found = counts(response)
    assert found == {
        "/intern/meldungen?status=received": 3,
        "/intern/meldungen?wartet=3": 2,
        "/intern/meldungen?anliegen=rueckfrage-beantwortet": 1,
        "/intern/bankverbindungen": pending_bank_changes("lipsia"),
        "/intern/meldungen?anliegen=bescheinigung": 1,
        "/intern/meldungen?anliegen=formular": 1,
        "/intern/meldungen?zugewiesen=ich": 1,
    }
    for url, number in found.items():
        if url.startswith(QUEUE):
            assert total(client.get(url)) == number, url
    page = response.get_data(as_text=True)
    assert "Unbenutzte Wiederherstellungscodes" in page and "Zugänge der Mitarbeiterinnen" not in page


def test_answered_query_rule(app, clerk, no_tickets):
    tenant = tenant_of("lipsia")
    tenant_user = User.get_by_id(tenant.user_id)

    def answered() -> int:
        return staff_queue.overview(clerk).answered

    ticket = make_ticket("lipsia", status="in_progress", person=tenant)
    with app.test_request_context():
        tickets.add_staff_message(ticket, "Seit wann?", author=clerk, status="query")
        assert answered() == 0
        tickets.answer_query(Ticket.get_by_id(ticket.id), "Seit gestern.", tenant_user)
        assert answered() == 1
        # an internal note does not answer the tenant
        TicketMessage.create(ticket=ticket, author=clerk, from_staff=True, internal=True, body="Handwerker fragen")
        assert answered() == 1
        tickets.add_staff_message(Ticket.get_by_id(ticket.id), "Danke, wir kümmern uns.", author=clerk)
        assert answered() == 0
        # staff moving a Rückfrage back to In Bearbeitung themselves is no answer of the tenant
        tickets.add_staff_message(Ticket.get_by_id(ticket.id), "Noch eine Frage?", author=clerk, status="query")
        tickets.set_status(Ticket.get_by_id(ticket.id), "in_progress", changed_by=clerk)
        assert answered() == 0


def at_local(moment: str) -> datetime:
    """A Leipzig wall-clock time as the stored UTC time."""
    local = datetime.fromisoformat(moment).replace(tzinfo=clock.LOCAL_ZONE)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def freeze(monkeypatch, local_moment: str) -> None:
    frozen = at_local(local_moment)
    monkeypatch.setattr(clock, "now", lambda: frozen)


def test_working_days_skip_weekends_and_saxon_holidays():
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April
    assert staff_queue.working_days_before(date(2026, 4, 9), 3) == date(2026, 4, 2)
    assert staff_queue.working_days_before(date(2026, 4, 14), 3) == date(2026, 4, 9)  # over the weekend
    assert staff_queue.working_days_before(date(2026, 11, 19), 1) == date(2026, 11, 17)  # Buß- und Bettag
    assert staff_queue.working_days_before(date(2026, 4, 9), 0) == date(2026, 4, 9)
    assert not staff_queue.is_working_day(date(2026, 10, 31))  # Reformationstag (Sachsen)


@pytest.mark.parametrize("today, overdue, not_yet", [
    # Thursday after Easter: back over Easter Monday and Good Friday to Thursday 2 April
    ("2026-04-09T10:00:00", ["2026-04-01T15:00:00", "2026-04-01T23:59:00"],
     ["2026-04-02T00:01:00", "2026-04-02T09:00:00", "2026-04-08T09:00:00"]),
    # Tuesday: back over the weekend to Thursday
    ("2026-04-14T08:00:00", ["2026-04-08T18:00:00"], ["2026-04-09T07:00:00", "2026-04-11T12:00:00"]),
    # a ticket of Friday afternoon is overdue on Thursday (Monday to Wednesday have passed)
    ("2026-06-18T09:00:00", ["2026-06-12T16:00:00"], ["2026-06-15T08:00:00"]),
])
def test_overdue_count_in_working_days_with_a_frozen_clock(clerk, no_tickets, monkeypatch, today, overdue, not_yet):
    freeze(monkeypatch, today)
    for moment in overdue + not_yet:
        make_ticket("lipsia", waiting_since=at_local(moment))
    make_ticket("lipsia", status="query", waiting_since=None)
    assert staff_queue.overview(clerk).overdue == len(overdue)
    found = set(t.number for t in staff_queue.queue(clerk, staff_queue.Selection(waiting_days=3)))
    assert len(found) == len(overdue)


def test_overdue_on_the_page_with_a_frozen_clock(client, auth, data, monkeypatch):
    freeze(monkeypatch, "2026-04-09T10:00:00")  # before signing in: the session and the code use this clock
    clerk = staff_user(auth.login_staff(STAFF["lipsia"]))
    Ticket.delete().execute()
    late = make_ticket("lipsia", waiting_since=at_local("2026-04-01T16:00:00"))
    make_ticket("lipsia", waiting_since=at_local("2026-04-02T08:00:00"))
    assert counts(client.get("/intern/"))["/intern/meldungen?wartet=3"] == 1
    response = client.get(f"{QUEUE}?wartet=3")
    assert numbers(response) == [late.number]
    assert "länger als 3 Arbeitstage" in response.get_data(as_text=True)
    assert clerk.cooperative_id == cooperative("lipsia").id


# --- scope: own cooperative only, admins both ---


def test_a_clerk_never_sees_the_other_cooperatives_tickets(client, clerk, data):
    foreign = Ticket.select().where(Ticket.cooperative == cooperative("elsteraue")).order_by(Ticket.id).first()
    person = Person.get_by_id(foreign.person_id)
    assert all(n.startswith("L-") for n in numbers(client.get(f"{QUEUE}?status=alle")))
    for term in (foreign.number, "E-2026"):
        assert numbers(client.get(QUEUE, query_string={"suche": term, "status": "alle"})) == [], term
    # a person with contracts at both cooperatives: only the Lipsia tickets
    found = numbers(client.get(QUEUE, query_string={"suche": person.last_name, "status": "alle"}))
    assert foreign.number not in found and all(n.startswith("L-") for n in found)
    only_own = staff_queue.overview(clerk)
    make_ticket("elsteraue", assigned_to=clerk, category=category_of("elsteraue", "pets"))
    assert staff_queue.overview(clerk) == only_own
    page = client.get(QUEUE).get_data(as_text=True)
    assert "Elsteraue" not in page.split('id="queue"', 1)[1]


def test_the_admin_sees_both_cooperatives(client, auth, data):
    admin = staff_user(auth.logins["admin"])
    auth.login_with_code(auth.logins["admin"])
    response = client.get(f"{QUEUE}?status=alle")
    found = numbers(response)
    assert {n[0] for n in found} == {"L", "E"} and len(found) == Ticket.select().count()
    page = response.get_data(as_text=True)
    assert "(WG „Lipsia“ eG)" in page and "(WG „Elsteraue“ eG)" in page  # the choices say whose
    foreign = Ticket.select().where(Ticket.cooperative == cooperative("elsteraue")).first()
    assert numbers(client.get(QUEUE, query_string={"suche": foreign.number, "status": "alle"})) == [foreign.number]
    overview = staff_queue.overview(admin)
    assert overview.new == Ticket.select().where(Ticket.status == "received").count()
    assert counts(client.get("/intern/"))["/intern/meldungen?status=received"] == overview.new


# --- queries: constant whatever the number of tickets ---


def test_queue_uebersicht_and_poll_run_as_many_queries_for_3_as_for_3000_tickets(
        app, client, auth, clerk, no_tickets, count_queries, monkeypatch):
    urls = ["/intern/", QUEUE, f"{QUEUE}?status=alle&sortierung=neueste&seite=2",
            f"{QUEUE}?anliegen=rueckfrage-beantwortet", f"{QUEUE}?suche=B-&wartet=3&zugewiesen=niemand"]

    def measure() -> list[int]:
        result = []
        for url in urls:
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            result.append(queries.count)
        page = client.get(QUEUE)
        since = poll_since(page)
        later = clock.now() + timedelta(seconds=1)
        with monkeypatch.context() as moved:
            moved.setattr(clock, "now", lambda: later)
            make_ticket("lipsia")
            with count_queries() as queries:
                assert client.get(since, headers=htmx(auth)).status_code == 200
        result.append(queries.count)
        return result

    bulk_tickets("lipsia", 3)
    small = measure()
    bulk_tickets("lipsia", 2997)
    bulk_tickets("elsteraue", 200)
    big = measure()
    assert small == big, (small, big)
    assert total(client.get(f"{QUEUE}?status=alle")) >= 3000
