"""Dokumente (issue 5): the inbox, downloads, Dokument anfordern and the Formulare."""

import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import demo_tenant, htmx, pdf_text
from wir import clock
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
    Person,
    Ticket,
    TicketCategory,
    User,
)
from wir.services.documents import applications, documents

# demo tenants by the start of their e-mail (tests/helpers.py demo_tenant)
JUERGEN, GISELA, LUKASZ, SUEKRUE, DIETER = "juergen", "gisela", "lukasz", "s.yilmaz", "dieter"


def sign_in(auth, who):
    """Sign in and, for a first login, confirm the contact data, so every page opens directly."""
    tenant = auth.login_as(who)
    auth.client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    return tenant


def person_of(auth, who, slug=None) -> Person:
    query = Person.select().join(User).where(User.email == demo_tenant(auth.logins, who)["email"])
    if slug:
        query = query.switch(Person).join_from(Person, Person.cooperative.rel_model).where(
            Person.cooperative.rel_model.slug == slug)
    return query.first()


def contract(number) -> Contract:
    return Contract.get(Contract.number == number)


def post(client, auth, url, **data):
    return client.post(url, data={"csrf_token": auth.csrf_token(), **data})


def created_number(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert urlsplit(location).path == "/dokumente/"
    return parse_qs(urlsplit(location).query)["erstellt"][0]


def counts():
    return Ticket.select().count(), Document.select().count()


# --- the inbox ---


def test_inbox_lists_own_documents_newest_first_with_new_marks(client, auth, data):
    sign_in(auth, JUERGEN)
    page = client.get("/dokumente/").get_data(as_text=True)
    juergen = person_of(auth, JUERGEN)
    own = list(Document.select().where(Document.person == juergen).order_by(Document.created_at.desc()))
    assert len(own) >= 2
    positions = [page.index(document.title) for document in own]
    assert positions == sorted(positions)
    unread = [d for d in own if d.read_at is None]
    assert unread and len(unread) < len(own)  # the demo has both
    assert page.count('class="new-mark">neu<') == len(unread)
    # the navigation tells how many are unread, without changing the link's name
    assert f'<span aria-hidden="true"> ({len(unread)})</span>' in page
    assert ("1 neues Dokument" if len(unread) == 1 else f"{len(unread)} neue Dokumente") in page
    for other in Document.select().where(Document.person != juergen):
        assert other.number not in page


def test_inbox_filters_by_contract_kind_and_year(client, auth, data):
    sign_in(auth, JUERGEN)
    rental = contract("MV-1001-0203")
    page = client.get(f"/dokumente/?vertrag={rental.id}").get_data(as_text=True)
    assert "Betriebskostenabrechnung" in page and "Dividende" not in page
    page = client.get("/dokumente/?art=letter").get_data(as_text=True)
    assert "Dividende" in page and "Betriebskostenabrechnung 20" not in page.split('id="document-count"')[1]
    this_year = clock.today().year
    page = client.get(f"/dokumente/?jahr={this_year - 5}").get_data(as_text=True)
    assert "Zu diesem Filter gibt es keine Dokumente." in page


def test_the_number_beside_dokumente_follows_new_and_opened_documents_on_the_next_request(client, auth, data):
    sign_in(auth, SUEKRUE)
    person = person_of(auth, SUEKRUE)

    def shown() -> int:
        found = re.search(r'Dokumente<span aria-hidden="true"> \((\d+)\)</span>', client.get("/vertraege/").get_data(
            as_text=True))
        return int(found.group(1)) if found else 0

    before = shown()
    assert before == Document.select().where((Document.person == person) & Document.read_at.is_null()).count() > 0
    documents.store_document(person, None, "letter", "Neues Schreiben", b"%PDF-1.4 ein Schreiben", None)
    assert shown() == before + 1
    for document in Document.select().where((Document.person == person) & Document.read_at.is_null()):
        client.get(f"/dokumente/{document.number}/pdf")
    assert shown() == 0


def test_filter_with_another_persons_contract_is_404(client, auth, data):
    sign_in(auth, JUERGEN)
    for number in ("MV-1004-0112", "MV-301-0201"):  # Gisela at Lipsia, Şükrü at Elsteraue
        assert client.get(f"/dokumente/?vertrag={contract(number).id}").status_code == 404


def test_htmx_filter_returns_the_list_only(client, auth, data):
    sign_in(auth, JUERGEN)
    response = client.get("/dokumente/?art=letter", headers=htmx(auth, "document-list"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="document-list"') and "Dividende" in fragment
    assert "HX-Request" in response.headers["Vary"]
    # any other htmx request (HX-Location after a request) gets the whole page
    assert "<html" in client.get("/dokumente/", headers=htmx(auth)).get_data(as_text=True)


def _add_documents(person, count):
    start = clock.now() - timedelta(days=1)
    for i in range(count):
        Document.create(person=person, kind="letter", title=f"Rundschreiben {i:03d}", number=f"TEST-{person.id}-{i:04d}",
                        filename="x.pdf", storage_key="0" * 64, created_at=start + timedelta(minutes=i))


def test_inbox_is_paginated_and_queries_do_not_grow(client, auth, data, count_queries):
    sign_in(auth, SUEKRUE)
    person = person_of(auth, SUEKRUE)
    with count_queries() as few:
        assert client.get("/dokumente/").status_code == 200
    _add_documents(person, 45)
    with count_queries() as many:
        page = client.get("/dokumente/").get_data(as_text=True)
    # the user; the persons with their unread documents; their contracts; the count with the years; the page
    assert many.count == few.count == 5
    assert page.count('<li class="document') == 20 and "Rundschreiben 044" in page and "Seite 1 von 3" in page
    last = client.get("/dokumente/?seite=3").get_data(as_text=True)
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert last.count('<li class="document') == 47 - 40  # 45 + the demo's two letters
    # a page number past the end shows the last page
    assert "Seite 3 von 3" in client.get("/dokumente/?seite=99").get_data(as_text=True)


def _document_numbers(page: str) -> list[str]:
    return re.findall(r"· Nr\. (\S+) ·", page.split('id="document-count"')[1])


def test_paging_through_the_inbox_shows_every_document_exactly_once(client, auth, data):
    """Many documents of the same second (a letter batch): the order's tie-breaker keeps the pages apart."""
    sign_in(auth, SUEKRUE)
    person = person_of(auth, SUEKRUE)
    moment = clock.now().replace(microsecond=0)
    Document.insert_many([
        {"person": person, "kind": "letter", "title": f"Serienbrief {i:03d}", "number": f"SB-{i:04d}",
         "filename": "x.pdf", "storage_key": "0" * 64, "created_at": moment}
        for i in range(130)
    ]).execute()
    seen, url = [], "/dokumente/?art=letter"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += _document_numbers(page)
        following = re.search(r'<a href="([^"]+)" hx-get="[^"]+" hx-push-url="true" rel="next"', page)
        url = following.group(1).replace("&amp;", "&") if following else None
        assert "art=letter" in (url or "art=letter"), "the page links keep the filter"
    assert len(seen) == len(set(seen)), "a document was shown on two pages"
    letters = {number for (number,) in Document.select(Document.number).join(Person).join(User).where(
        (User.email == demo_tenant(auth.logins, SUEKRUE)["email"]) & (Document.kind == "letter")).tuples()}
    assert set(seen) == letters and len(letters) > 130


def test_the_list_names_each_documents_contract_and_filters_by_the_years_of_all_documents(client, auth, data):
    """The contract a document names, even one its person is no party of (any more), and the years from the first
    document to the last, whichever filter is chosen."""
    sign_in(auth, JUERGEN)
    others = contract("MV-1004-0112")  # Gisela's, at Lipsia too
    Document.create(person=person_of(auth, JUERGEN), contract=others, kind="letter", title="Altes Schreiben",
                    number="TEST-OLD-0001", filename="x.pdf", storage_key="0" * 64,
                    created_at=datetime(2019, 5, 1, 10, 0))
    page = client.get("/dokumente/?jahr=2019&art=letter").get_data(as_text=True)
    listed = page.split('id="document-count"')[1]
    assert "1 Dokument mit diesem Filter" in page and "Altes Schreiben" in listed
    meta = f"Schreiben · 01.05.2019, 12:00 Uhr · Mietvertrag MV-1004-0112, {others.unit.street} · Nr. TEST-OLD-0001"
    assert meta in " ".join(listed.split())
    years = re.findall(r'<option[^>]* value="(\d{4})"', page.split('name="jahr"')[1].split("</select>")[0])
    assert years == [str(year) for year in range(clock.today().year, 2018, -1)]


@pytest.mark.parametrize("seite", ["0", "-1", "abc", "", "9" * 30])
def test_garbage_page_numbers_show_a_page_of_documents(client, auth, data, seite):
    sign_in(auth, SUEKRUE)
    _add_documents(person_of(auth, SUEKRUE), 25)
    response = client.get(f"/dokumente/?seite={seite}")
    assert response.status_code == 200
    assert re.search(r"Seite [12] von 2", response.get_data(as_text=True))


# --- downloads ---


def test_a_document_opens_in_the_browser_and_records_the_first_opening(client, auth, data):
    sign_in(auth, SUEKRUE)
    statement = Document.get((Document.person == person_of(auth, SUEKRUE)) & (Document.kind == "operating_costs_statement"))
    assert statement.read_at is None
    response = client.get(f"/dokumente/{statement.number}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"inline; filename={statement.filename}"
    assert statement.filename.startswith("Betriebskostenabrechnung-") and statement.filename.endswith(".pdf")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert "Betriebskostenabrechnung" in pdf_text(response.data)
    first = Document.get_by_id(statement.id).read_at
    assert first is not None and abs(first - clock.now()) < timedelta(minutes=1)
    client.get(f"/dokumente/{statement.number}/pdf")
    assert Document.get_by_id(statement.id).read_at == first  # only the first opening is the proof of receipt
    assert statement.title not in client.get("/").get_data(as_text=True)  # no longer among the new documents


@pytest.mark.parametrize("owner", [GISELA, SUEKRUE], ids=["same-cooperative", "other-cooperative"])
def test_another_persons_document_is_404(client, auth, data, owner):
    sign_in(auth, JUERGEN if owner == GISELA else DIETER)
    other = Document.select().where(Document.person == person_of(auth, owner)).first()
    assert client.get(f"/dokumente/{other.number}/pdf").status_code == 404
    assert Document.get_by_id(other.id).read_at == other.read_at
    assert client.get("/dokumente/GIBT-ES-NICHT/pdf").status_code == 404


def test_anonymous_download_leads_to_login(client, data):
    number = Document.select().first().number
    response = client.get(f"/dokumente/{number}/pdf")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=")


# --- Dokument anfordern ---


def test_request_panel_offers_certificates_per_contract(client, auth, data):
    sign_in(auth, GISELA)  # rental and membership at Lipsia, garage and membership at Elsteraue
    page = client.get("/dokumente/").get_data(as_text=True)
    panel = page.split('id="anfordern"')[1]
    rental, lipsia_member = contract("MV-1004-0112"), contract("MG-100385")
    garage, elsteraue_member = contract("GA-G-014"), contract("MG-205188")
    for slug in ("mietbescheinigung", "mietschuldenfreiheitsbescheinigung", "wohnungsgeberbestaetigung"):
        assert f"/dokumente/anfordern/{slug}/{rental.id}" in panel
    for member in (lipsia_member, elsteraue_member):
        assert f"/dokumente/anfordern/mitgliedsbescheinigung/{member.id}" in panel
    assert f"/{garage.id}\"" not in panel  # nothing to request for a garage
    assert f"/dokumente/formulare/kuendigung/{rental.id}" in panel
    assert "Dokument anfordern<span" in panel


def test_mietbescheinigung_without_javascript(client, auth, data):
    tenant = sign_in(auth, LUKASZ)
    rental = contract("MV-1012-0405")
    before = Document.select().count()
    response = post(client, auth, f"/dokumente/anfordern/mietbescheinigung/{rental.id}")
    number = created_number(response)
    document = Document.get(Document.number == number)
    assert Document.select().count() == before + 1
    assert document.kind == "certificate" and document.contract_id == rental.id
    assert document.title == f"Mietbescheinigung vom {clock.today():%d.%m.%Y}"
    assert document.created_by.email == tenant["email"] and document.read_at is None
    assert abs(document.created_at - clock.now()) < timedelta(minutes=1)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "liegt jetzt in Ihren Dokumenten" in page and f"/dokumente/{number}/pdf" in page
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert "Łukasz Żółć" in text and number in text and "313,91 €" in text


def test_mietbescheinigung_with_htmx_gets_hx_location(client, auth, data):
    sign_in(auth, JUERGEN)
    rental = contract("MV-1001-0203")
    response = client.post(f"/dokumente/anfordern/mietbescheinigung/{rental.id}", headers=htmx(auth))
    assert response.status_code == 204
    number = parse_qs(urlsplit(response.headers["HX-Location"]).query)["erstellt"][0]
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert "Jürgen Müller" in text and "Monika Müller" in text and "Stellplatz 12" in text


def test_mietbescheinigung_runs_six_statements_and_prints_what_is_stored_now(client, auth, data, count_queries):
    """The signed-in user, the persons with their cooperatives (the letterhead), the contract, its parties, the
    parking and the new document. The fonts are prepared once per process; every PDF prints the rows of its request."""
    sign_in(auth, JUERGEN)
    rental = contract("MV-1001-0203")
    url, token = f"/dokumente/anfordern/mietbescheinigung/{rental.id}", auth.csrf_token()
    created_number(client.post(url, data={"csrf_token": token}))
    with count_queries() as queries:
        first = created_number(client.post(url, data={"csrf_token": token}))
    assert queries.count == 6, queries.statements
    co_tenant = rental.parties.where(ContractParty.role == "co").get().person
    Person.update(first_name="Monique").where(Person.id == co_tenant.id).execute()
    Contract.update(base_rent=rental.base_rent + 10).where(Contract.id == rental.id).execute()
    Cooperative.update(name="WG „Lipsia Neu“ eG").where(Cooperative.id == rental.cooperative_id).execute()
    second = created_number(client.post(url, data={"csrf_token": token}))
    before = pdf_text(client.get(f"/dokumente/{first}/pdf").data)
    after = pdf_text(client.get(f"/dokumente/{second}/pdf").data)
    assert "Monika Müller" in before and "Monique Müller" in after and "Monika" not in after
    assert "Gesamtmiete monatlich 607,06 €" in before and "Gesamtmiete monatlich 617,06 €" in after
    assert "WG „Lipsia Neu“ eG" in after and "Lipsia Neu" not in before


@pytest.mark.parametrize("number", ["MV-1004-0112", "MV-301-0201", "MG-100385"],
                         ids=["same-cooperative", "other-cooperative", "membership"])
def test_requests_for_other_persons_contracts_are_404(client, auth, data, number):
    sign_in(auth, JUERGEN)
    before = counts()
    target = contract(number)
    for slug in ("mietbescheinigung", "mitgliedsbescheinigung", "mietschuldenfreiheitsbescheinigung"):
        url = f"/dokumente/anfordern/{slug}/{target.id}"
        assert client.get(url).status_code == 404
        assert post(client, auth, url).status_code == 404
    assert post(client, auth, f"/dokumente/formulare/untervermietung/{target.id}").status_code == 404
    assert counts() == before


@pytest.mark.parametrize(("slug", "number"), [
    ("mietbescheinigung", "MG-104711"),
    ("mitgliedsbescheinigung", "MV-1001-0203"),
    ("mietbescheinigung", "SP-9001-0012"),
    ("wohnungsgeberbestaetigung", "SP-9001-0012"),
    ("gibt-es-nicht", "MV-1001-0203"),
])
def test_certificate_the_contract_kind_does_not_allow_is_refused(client, auth, data, slug, number):
    sign_in(auth, JUERGEN)
    before = counts()
    url = f"/dokumente/anfordern/{slug}/{contract(number).id}"
    assert client.get(url).status_code == 404
    assert post(client, auth, url).status_code == 404
    assert counts() == before


def test_forms_only_for_rental_contracts(client, auth, data):
    sign_in(auth, JUERGEN)
    for number in ("MG-104711", "SP-9001-0012"):
        assert client.get(f"/dokumente/formulare/kuendigung/{contract(number).id}").status_code == 404


def test_request_without_csrf_token_changes_nothing(client, auth, data):
    sign_in(auth, JUERGEN)
    before = counts()
    response = client.post(f"/dokumente/anfordern/mietbescheinigung/{contract('MV-1001-0203').id}")
    assert response.status_code == 400 and "Sitzung abgelaufen" in response.get_data(as_text=True)
    assert counts() == before


def test_rent_clearance_is_issued_for_a_clean_account(client, auth, data):
    sign_in(auth, SUEKRUE)
    rental = contract("MV-301-0201")
    assert rental.arrears == 0
    number = created_number(post(client, auth, f"/dokumente/anfordern/mietschuldenfreiheitsbescheinigung/{rental.id}"))
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert f"Stand {clock.today():%d.%m.%Y}" in text and "keine fälligen" in text
    assert "Vorbehalten bleiben Nachforderungen aus Betriebskostenabrechnungen" in text
    assert "Şükrü Yılmaz" in text and "Ayşe Yılmaz" in text


def test_rent_clearance_with_arrears_goes_to_the_cooperative_as_ticket(client, auth, data):
    sign_in(auth, DIETER)
    rental = contract("MV-305-0302")
    assert rental.arrears > 0
    url = f"/dokumente/anfordern/mietschuldenfreiheitsbescheinigung/{rental.id}"
    assert "Ihre Anfrage geht an Ihre Genossenschaft" in client.get(url).get_data(as_text=True)
    panel = client.get("/dokumente/").get_data(as_text=True).split('id="anfordern"')[1]
    assert "nicht ausgeglichen" in panel
    documents_before = Document.select().count()
    response = post(client, auth, url, submission_key="a" * 32)
    assert response.status_code == 303 and "erstellt" not in response.headers["Location"]
    assert Document.select().count() == documents_before
    ticket = Ticket.get(Ticket.submission_key == "a" * 32)
    assert ticket.category.key == "rent_clearance" and ticket.contract_id == rental.id
    assert ticket.subject == "Mietschuldenfreiheitsbescheinigung" and ticket.status == "received"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"als Meldung {ticket.number} bei Ihrer Genossenschaft eingegangen" in page
    # the same button twice files one ticket
    post(client, auth, url, submission_key="a" * 32)
    assert Ticket.select().where(Ticket.subject == "Mietschuldenfreiheitsbescheinigung").count() == 1


# --- Wohnungsgeberbestätigung ---


def test_landlord_confirmation_is_prefilled_from_the_contract(client, auth, data):
    sign_in(auth, SUEKRUE)
    page = client.get(f"/dokumente/anfordern/wohnungsgeberbestaetigung/{contract('MV-301-0201').id}").get_data(as_text=True)
    assert 'value="2014-06-01"' in page
    assert "Şükrü Yılmaz\nAyşe Yılmaz" in page


@pytest.mark.parametrize(("move_in", "persons", "field", "message"), [
    ("2014-05-31", "Şükrü Yılmaz", "move_in", "nicht vor Beginn Ihres Vertrags"),
    ((date.today() + timedelta(days=200)).isoformat(), "Şükrü Yılmaz", "move_in", "höchstens drei Monate"),
    ("gestern", "Şükrü Yılmaz", "move_in", "gültiges Datum"),
    ("", "Şükrü Yılmaz", "move_in", "Datum des Einzugs an"),
    ("2020-01-01", "", "persons", "Bitte nennen Sie alle Personen"),
    ("2020-01-01", "Şükrü", "persons", "Vor- und Nachnamen"),
    ("2020-01-01", "Şükrü Yılmaz\n" + "Anna Beispiel\n" * 12, "persons", "höchstens 12 Personen"),
    ("2020-01-01", "王 小明", "persons", "nicht drucken"),
])
def test_landlord_confirmation_refuses_bad_input_next_to_the_field(client, auth, data, move_in, persons, field, message):
    sign_in(auth, SUEKRUE)
    before = counts()
    response = post(client, auth, f"/dokumente/anfordern/wohnungsgeberbestaetigung/{contract('MV-301-0201').id}",
                    move_in=move_in, persons=persons)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page[:3000]
    assert counts() == before


def test_landlord_confirmation_prints_the_persons_moving_in(client, auth, data):
    sign_in(auth, SUEKRUE)
    move_in = clock.today() + timedelta(days=10)
    number = created_number(post(
        client, auth, f"/dokumente/anfordern/wohnungsgeberbestaetigung/{contract('MV-301-0201').id}",
        move_in=move_in.strftime("%d.%m.%Y"), persons="Şükrü Yılmaz\n\nElif Yılmaz <b>neu</b>\n",
    ))
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert f"Datum des Einzugs {move_in:%d.%m.%Y}" in text
    assert "1. Şükrü Yılmaz" in text and "2. Elif Yılmaz <b>neu</b>" in text


def test_landlord_confirmation_with_htmx_swaps_errors_into_the_form(client, auth, data):
    sign_in(auth, SUEKRUE)
    response = client.post(f"/dokumente/anfordern/wohnungsgeberbestaetigung/{contract('MV-301-0201').id}",
                           data={"move_in": "2020-01-01", "persons": "<script>alert(1)</script>"}, headers=htmx(auth))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in fragment and fragment.lstrip().startswith("<form")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment and "<script>alert" not in fragment


# --- Formulare ---


def sublet(**changes):
    today = clock.today()
    values = {
        "subtenant_name": "Anna Beispiel",
        "subtenant_birth_date": "1998-04-12",
        "start": (today + timedelta(days=14)).isoformat(),
        "end": (today + timedelta(days=200)).isoformat(),
        "rooms": "ein Zimmer (14 m²)",
        "reason": "Mein Partner ist beruflich ins Ausland gegangen; ich kann die Miete allein nicht tragen.",
    }
    values.update(changes)
    return values


def test_sublet_application_files_a_ticket_and_keeps_a_copy(client, auth, data, smtp):
    sign_in(auth, LUKASZ)
    rental = contract("MV-1012-0405")
    response = post(client, auth, f"/dokumente/formulare/untervermietung/{rental.id}",
                    submission_key="b" * 32, **sublet(subtenant_name="Zoë <script>alert('x')</script> Łęcka"))
    number = created_number(response)
    ticket = Ticket.get(Ticket.submission_key == "b" * 32)
    assert ticket.category.key == "sublet" and ticket.contract_id == rental.id
    assert ticket.subject == "Antrag auf Untervermietung"
    message = ticket.messages.get().body
    assert "Untermieter/in: Zoë <script>alert('x')</script> Łęcka" in message and number in message
    copy = Document.get(Document.number == number)
    assert copy.kind == "form" and copy.title.startswith("Antrag auf Untervermietung vom")
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert "Zoë <script>alert('x')</script> Łęcka" in text  # printed as typed, not interpreted
    assert "12.04.1998" in text and "ein Zimmer (14 m²)" in text and "Łukasz Żółć" in text
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"als Meldung {ticket.number}" in page
    # sending the same form again files nothing new
    again = post(client, auth, f"/dokumente/formulare/untervermietung/{rental.id}", submission_key="b" * 32, **sublet())
    assert again.status_code == 303
    assert Ticket.select().where(Ticket.subject == "Antrag auf Untervermietung").count() == 1
    assert Document.select().where(Document.kind == "form").count() == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"subtenant_name": ""}, "subtenant_name", "Bitte geben Sie den Namen an."),
    ({"subtenant_name": "Anna"}, "subtenant_name", "Vor- und Nachnamen"),
    ({"subtenant_name": "A " + "b" * 100}, "subtenant_name", "Höchstens 100 Zeichen"),
    ({"start": "2020-01-01"}, "start", "nicht in der Vergangenheit"),
    ({"start": "31.02.2030"}, "start", "gültiges Datum"),
    ({"end": (date.today() + timedelta(days=1)).isoformat()}, "end", "nach dem Beginn"),
    ({"subtenant_birth_date": (date.today() + timedelta(days=3)).isoformat()}, "subtenant_birth_date", "Geburtsdatum"),
    ({"reason": "x" * 2001}, "reason", "Höchstens 2000 Zeichen"),
    ({"rooms": ""}, "rooms", "Bitte nennen Sie die Räume"),
    ({"reason": "Urlaub 🏖️"}, "reason", "nicht drucken"),
])
def test_sublet_application_refuses_bad_input(client, auth, data, changes, field, message):
    sign_in(auth, LUKASZ)
    before = counts()
    response = post(client, auth, f"/dokumente/formulare/untervermietung/{contract('MV-1012-0405').id}",
                    **sublet(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page[:3000]
    assert 'aria-invalid="true"' in page and "Bitte prüfen Sie Ihre Eingaben" in page
    assert counts() == before


def test_hostile_html_is_shown_escaped_in_the_form_page(client, auth, data):
    sign_in(auth, LUKASZ)
    response = post(client, auth, f"/dokumente/formulare/untervermietung/{contract('MV-1012-0405').id}",
                    **sublet(subtenant_name='"><img src=x onerror=alert(1)>', start="2020-01-01"))
    page = response.get_data(as_text=True)
    assert "<img src=x" not in page and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_pet_and_household_forms(client, auth, data):
    sign_in(auth, JUERGEN)
    rental = contract("MV-1001-0203")
    refused = post(client, auth, f"/dokumente/formulare/haustierhaltung/{rental.id}", animal="Hund", count="0")
    assert refused.status_code == 422 and "Anzahl von 1 bis 10" in refused.get_data(as_text=True)
    refused = post(client, auth, f"/dokumente/formulare/haustierhaltung/{rental.id}", animal="Hund", count="zwei")
    assert refused.status_code == 422 and "ganze Zahl" in refused.get_data(as_text=True)
    number = created_number(post(client, auth, f"/dokumente/formulare/haustierhaltung/{rental.id}",
                                 animal="Katze (Europäisch Kurzhaar)", count="2"))
    assert "Tierart Katze (Europäisch Kurzhaar)" in pdf_text(client.get(f"/dokumente/{number}/pdf").data)

    same = post(client, auth, f"/dokumente/formulare/personenzahl/{rental.id}", household_size="2",
                effective=clock.today().isoformat(), moving_in="Lena Müller")
    assert same.status_code == 422 and "bereits 2 Personen" in same.get_data(as_text=True)
    old = post(client, auth, f"/dokumente/formulare/personenzahl/{rental.id}", household_size="3",
               effective=(clock.today() - timedelta(days=120)).isoformat(), moving_in="Lena Müller")
    assert old.status_code == 422 and "höchstens drei Monate zurückliegen" in old.get_data(as_text=True)
    nobody = post(client, auth, f"/dokumente/formulare/personenzahl/{rental.id}", household_size="3",
                  effective=clock.today().isoformat())
    assert nobody.status_code == 422 and "wer einzieht oder wer auszieht" in nobody.get_data(as_text=True)
    number = created_number(post(client, auth, f"/dokumente/formulare/personenzahl/{rental.id}", household_size="3",
                                 effective=clock.today().isoformat(), moving_in="Lena Müller"))
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert "Neue Personenzahl 3" in text and "Eingezogen Lena Müller" in text
    assert {t.category.key for t in Ticket.select().where(Ticket.contract == rental).join(TicketCategory)} >= {
        "pets", "household"}


def test_termination_names_all_parties_and_needs_the_notice_period(client, auth, data):
    sign_in(auth, JUERGEN)
    rental = contract("MV-1001-0203")
    url = f"/dokumente/formulare/kuendigung/{rental.id}"
    notice = applications.notice_dates(clock.today())
    page = client.get(url).get_data(as_text=True)
    assert f'value="{notice.earliest_end.isoformat()}"' in page
    assert "Jürgen Müller" in page and "Monika Müller" in page and "von allen Vertragspartnern unterschrieben" in page
    too_early = notice.earliest_end - timedelta(days=31)
    response = post(client, auth, url, end_date=too_early.isoformat(), all_agree="y")
    assert response.status_code == 422
    assert f"ist der {notice.earliest_end:%d.%m.%Y} der früheste mögliche Termin" in response.get_data(as_text=True)
    mid_month = notice.earliest_end + timedelta(days=14)
    response = post(client, auth, url, end_date=mid_month.isoformat(), all_agree="y")
    assert response.status_code == 422 and "letzten Tag eines Monats" in response.get_data(as_text=True)
    response = post(client, auth, url, end_date=notice.earliest_end.isoformat())
    assert response.status_code == 422 and "alle Vertragspartner der Kündigung zustimmen" in response.get_data(as_text=True)
    number = created_number(post(client, auth, url, end_date=notice.earliest_end.isoformat(), all_agree="y",
                                 new_address="Gartenweg 3\n04249 Leipzig"))
    text = pdf_text(client.get(f"/dokumente/{number}/pdf").data)
    assert f"Kündigung zum {notice.earliest_end:%d.%m.%Y}" in text
    assert "Unterschrift Jürgen Müller" in text and "Unterschrift Monika Müller" in text
    assert "von allen Vertragspartnern (Jürgen Müller, Monika Müller) unterschrieben" in text
    ticket = Ticket.select().where(Ticket.contract == rental).order_by(Ticket.id.desc()).first()
    assert ticket.category.key == "termination" and ticket.subject == "Kündigung des Nutzungsvertrags"


def test_form_with_htmx_redirects_by_hx_location(client, auth, data):
    sign_in(auth, LUKASZ)
    response = client.post(f"/dokumente/formulare/untervermietung/{contract('MV-1012-0405').id}",
                           data=sublet(), headers=htmx(auth))
    assert response.status_code == 204 and response.headers["HX-Location"].startswith("/dokumente/?erstellt=")


# --- rules as plain functions ---


@pytest.mark.parametrize(("today", "deadline", "earliest"), [
    (date(2026, 1, 2), date(2026, 1, 6), date(2026, 3, 31)),  # 1 January is a holiday, 3/4 a weekend
    (date(2026, 1, 6), date(2026, 1, 6), date(2026, 3, 31)),
    (date(2026, 1, 7), date(2026, 2, 4), date(2026, 4, 30)),
    (date(2026, 4, 1), date(2026, 4, 7), date(2026, 6, 30)),  # Good Friday and Easter Monday
    (date(2026, 11, 30), date(2026, 12, 3), date(2027, 2, 28)),
    (date(2027, 12, 20), date(2028, 1, 5), date(2028, 3, 31)),
])
def test_notice_period(today, deadline, earliest):
    assert applications.notice_dates(today) == applications.NoticeDates(deadline, earliest)


@pytest.mark.parametrize(("year", "easter"), [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                              (2026, date(2026, 4, 5)), (2038, date(2038, 4, 25))])
def test_easter(year, easter):
    assert applications._easter(year) == easter


def test_file_names_are_ascii():
    assert documents.file_name("Betriebskostenabrechnung 2025", "LD-2026-AB") == "Betriebskostenabrechnung-2025_LD-2026-AB.pdf"
    assert documents.file_name("Wohnungsgeberbestätigung für Łukasz", "X") == "Wohnungsgeberbestaetigung-fuer-Lukasz_X.pdf"
