"""One German voice (docs/glossary.md): „Mieterin oder Mieter“, „Ihre Ansprechpartnerin“, Vertragspartner, the
savings product's own name, number and noun in agreement, a day shown as a day, the Kündigung's „Zurück“ to where
the saver came from, Zugänge and Import in the admin's menu, and files: the cooperative's PDFs inline, a tenant's
upload a download for staff."""

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest

from tests.helpers import main_of
from tests.test_staff_approvals import file_change
from wir import clock, storage
from wir.formatting import contact_title, counted, german_date, kilobytes
from wir.models import Contract, ContactPerson, ExemptionOrder, Person, Ticket, TicketAttachment

SPARBUCH = "5104711-01"  # Jürgen's (Lipsia)
# a tenant named for everyone in the masculine, or with a slash; „der Mieterin oder des Mieters“ is right
GENERIC_MASCULINE = re.compile(r"Mieter/in|Mieter:in|Mieter\*in|(?<!oder )\b(?:des Mieters|[Dd]er Mieter|dem Mieter|den "
                               r"Mieter)\b(?!in)")


def nav_of(page: str) -> str:
    return page.split('aria-label="Hauptmenü"', 1)[1].split("</nav>", 1)[0]


# --- the helpers ---


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 zugeordnete Dateien"),
    (1, "1 zugeordnete Datei"),
    (2, "2 zugeordnete Dateien"),
    (1234, "1.234 zugeordnete Dateien"),
])
def test_counted_puts_number_and_noun_in_agreement(count, expected):
    assert counted(count, "zugeordnete Datei", "zugeordnete Dateien") == expected


@pytest.mark.parametrize(("size", "expected"), [(0, 1), (300, 1), (1024, 1), (1600, 2), (2560, 2), (123_456, 121)])
def test_a_file_size_is_given_in_whole_kilobytes_at_least_one(size, expected):
    assert kilobytes(size) == expected


@pytest.mark.parametrize(("salutation", "with_pronoun", "noun"), [
    ("Frau", "Ihre Ansprechpartnerin", "Ansprechpartnerin"),
    (" frau ", "Ihre Ansprechpartnerin", "Ansprechpartnerin"),
    ("Herr", "Ihr Ansprechpartner", "Ansprechpartner"),
    ("", "Ihre Ansprechperson", "Ansprechperson"),
    (None, "Ihre Ansprechperson", "Ansprechperson"),
    ("Divers", "Ihre Ansprechperson", "Ansprechperson"),
])
def test_contact_title_follows_the_anrede(salutation, with_pronoun, noun):
    assert contact_title(salutation) == with_pronoun
    assert contact_title(salutation, possessive=False) == noun


@pytest.mark.parametrize("day", [date(2022, 11, 22), date(2024, 7, 1), date(2025, 3, 30), date(2025, 10, 26)])
def test_a_day_is_stored_as_local_midnight_and_stays_that_day(day):
    stored = clock.local_midnight(day)
    local = clock.to_local(stored)
    assert (local.date(), local.hour, local.minute) == (day, 0, 0)
    assert stored.tzinfo is None and stored < clock.local_midnight(day + timedelta(days=1))


# --- the pages ---


def test_staff_pages_name_the_tenant_mieterin_oder_mieter(client, auth, data):
    file_change(client, auth, "juergen", "MV-1001-0203")
    auth.login_staff()
    listing = client.get("/intern/bankverbindungen").get_data(as_text=True)
    change = re.search(r'href="(/intern/bankverbindungen/\d+)"', listing)
    assert change, "the change Jürgen filed waits"
    ticket = Ticket.select().order_by(Ticket.id).first()
    pages = {
        "Bankverbindungen": listing,
        "Bankverbindung": client.get(change.group(1)).get_data(as_text=True),
        "Meldungen": client.get("/intern/meldungen").get_data(as_text=True),
        "Meldung": client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True),
        "Dokumente": client.get("/intern/dokumente").get_data(as_text=True),
    }
    for name, page in pages.items():
        assert GENERIC_MASCULINE.search(unescape(page)) is None, (name, GENERIC_MASCULINE.search(unescape(page)))
    assert "Mieterin oder Mieter" in pages["Bankverbindungen"]
    assert "Angaben der Mieterin oder des Mieters" in pages["Bankverbindung"]
    assert "Vertragsparteien" not in pages["Meldung"]


def test_no_text_of_the_portal_names_the_tenant_twice():
    """„der Mieterin oder der Mieterin oder des Mieters“: a pair doubled by an edit, on a page no test opens."""
    doubled = re.compile(r"Mieterin\s+oder\s+(?:der\s+|die\s+|den\s+)?Mieterin")
    sources = [path for path in Path("wir").rglob("*") if path.suffix in {".html", ".txt", ".py"}]
    found = [str(path) for path in sources if doubled.search(path.read_text(encoding="utf-8"))]
    assert len(sources) > 100 and not found, found


def test_tenant_pages_use_the_one_voice(client, auth):
    auth.login_as("juergen")
    pages = {url: client.get(url).get_data(as_text=True) for url in
             ("/", "/dokumente/", "/vertraege/", "/kontakt", "/meldungen", "/sparen/", f"/sparen/{SPARBUCH}/umsaetze",
              f"/sparen/{SPARBUCH}/kuendigung", "/sparen/freistellungsauftrag")}
    for url, page in pages.items():
        assert "<main" in page, url  # a page, not a redirect or an error
        text = unescape(main_of(page))
        assert GENERIC_MASCULINE.search(text) is None, (url, GENERIC_MASCULINE.search(text))
        assert "Vertragsparteien" not in text, url
    # Monika Müller is Mitmieterin (Anrede Frau), Jürgen Hauptmieter
    assert "Monika Müller (Mitmieterin)" in pages["/vertraege/"] and "Jürgen Müller (Hauptmieter)" in pages["/vertraege/"]
    # the savings account by its product's own name
    assert "Sparbuch kündigen" in pages[f"/sparen/{SPARBUCH}/umsaetze"]
    assert "Spareinlage kündigen" not in pages[f"/sparen/{SPARBUCH}/umsaetze"]
    assert f"<h1>Kündigung: Sparbuch {SPARBUCH}</h1>" in pages[f"/sparen/{SPARBUCH}/kuendigung"]


def test_the_contact_person_is_named_by_her_or_his_anrede(client, auth, data):
    auth.login_as("juergen")
    contract = Contract.get(Contract.number == "MV-1001-0203")
    person = ContactPerson.get_by_id(contract.contact_person_id)
    assert person.name == "Sandra Köhler" and person.salutation == "Frau"
    url = f"/vertraege/{contract.id}"
    page = client.get(url).get_data(as_text=True)
    assert '<h2 id="contract-contact">Ihre Ansprechpartnerin</h2>' in page
    assert "<dt>Ansprechpartnerin</dt><dd>Sandra Köhler</dd>" in page
    assert "Ihr Ansprechpartner<" not in page
    for salutation, heading in (("Herr", "Ihr Ansprechpartner"), ("", "Ihre Ansprechperson")):
        ContactPerson.update(salutation=salutation).where(ContactPerson.id == person.id).execute()
        assert f'<h2 id="contract-contact">{heading}</h2>' in client.get(url).get_data(as_text=True)


def test_a_paper_exemption_order_is_dated_without_a_time(client, auth):
    auth.login_as("juergen")
    order = ExemptionOrder.select().join(Person).where(Person.first_name == "Jürgen").get()
    # handed in on paper 40 days before it took effect: only the day is known
    handed_in = order.valid_from - timedelta(days=40)
    assert clock.to_local(order.created_at).date() == handed_in
    page = unescape(main_of(client.get("/sparen/freistellungsauftrag").get_data(as_text=True)))
    row = re.search(r'data-label="Erteilt am">([^<]*)<', page)
    assert row and row.group(1).strip() == german_date(handed_in)
    assert "Uhr" not in row.group(1)


# --- the Kündigung's „Zurück“ ---


@pytest.mark.parametrize(("came_from", "back", "words"), [
    ("/sparen/", "/sparen/", "Zurück zur Übersicht"),
    (f"/sparen/{SPARBUCH}/umsaetze?jahr=2024", f"/sparen/{SPARBUCH}/umsaetze?jahr=2024", "Zurück zu den Umsätzen"),
    (None, f"/sparen/{SPARBUCH}/umsaetze", "Zurück zu den Umsätzen"),
    ("https://evil.example/sparen/", f"/sparen/{SPARBUCH}/umsaetze", "Zurück zu den Umsätzen"),
    ("//evil.example/", f"/sparen/{SPARBUCH}/umsaetze", "Zurück zu den Umsätzen"),
])
def test_the_kuendigung_leads_back_to_where_the_saver_came_from(client, auth, came_from, back, words):
    auth.login_as("juergen")
    response = client.get(f"/sparen/{SPARBUCH}/kuendigung", query_string={"next": came_from} if came_from else {})
    page = unescape(main_of(response.get_data(as_text=True)))
    assert response.status_code == 200
    assert f'<a href="{back}">{words}</a>' in page
    assert "evil.example" not in page


def test_the_links_to_the_kuendigung_name_the_page_they_are_on(client, auth):
    auth.login_as("juergen")
    overview = unescape(client.get("/sparen/").get_data(as_text=True))
    kuendigen = re.search(rf'href="(/sparen/{SPARBUCH}/kuendigung[^"]*)"', overview).group(1)
    back = unescape(main_of(client.get(kuendigen).get_data(as_text=True)))
    assert '<a href="/sparen/">Zurück zur Übersicht</a>' in back


# --- the admin's menu ---


def test_the_admins_menu_has_zugaenge_and_import_and_a_clerks_has_not(client, auth):
    auth.login_staff()
    nav = nav_of(client.get("/intern/").get_data(as_text=True))
    assert "Zugänge" not in nav and "/intern/import" not in nav
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    nav = nav_of(client.get("/intern/").get_data(as_text=True))
    assert '<a href="/intern/zugaenge">Zugänge</a>' in nav and '<a href="/intern/import">Import</a>' in nav
    nav = nav_of(client.get("/intern/import").get_data(as_text=True))
    assert '<a href="/intern/import" aria-current="page">Import</a>' in nav


# --- files ---


def test_the_cooperatives_pdf_opens_inline_and_herunterladen_saves_it(client, auth):
    auth.login_as("juergen")
    listing = client.get("/dokumente/").get_data(as_text=True)
    opened = re.search(r'<a href="(/dokumente/[A-Z0-9-]+/pdf)">', listing).group(1)
    assert f'<a href="{opened}?herunterladen=1" download>Herunterladen' in listing
    inline, attachment = client.get(opened), client.get(f"{opened}?herunterladen=1")
    assert inline.headers["Content-Disposition"].startswith("inline; filename=")
    assert attachment.headers["Content-Disposition"].startswith("attachment; filename=")
    assert inline.headers["Content-Disposition"].split(";", 1)[1] == attachment.headers["Content-Disposition"].split(";", 1)[1]
    assert inline.data == attachment.data and inline.data.startswith(b"%PDF")
    for response in (inline, attachment):
        assert response.headers["Content-Security-Policy"].startswith("sandbox;")


def test_a_pdf_a_tenant_uploaded_stays_a_download_for_staff(app, client, auth, data):
    staff = auth.login_staff()
    ticket = (Ticket.select().join(Contract).where(Contract.cooperative == _cooperative_of(staff))
              .order_by(Ticket.id).first())
    content = b"%PDF-1.4\n%tenant upload\n"
    with app.app_context():
        key = storage.store(content)
    attachment = TicketAttachment.create(ticket=ticket, filename="Foto-Zaehler.pdf", storage_key=key,
                                         content_type="application/pdf", size=len(content))
    for url in (f"/intern/meldungen/{ticket.number}/anhang/{attachment.id}",
                f"/intern/meldungen/{ticket.number}/anhang/{attachment.id}?vorschau=1"):
        response = client.get(url)
        assert response.status_code == 200 and response.data == content
        assert response.headers["Content-Disposition"].startswith("attachment;"), url


def _cooperative_of(staff: dict):
    from wir.models import User
    return User.get(User.email == staff["email"]).cooperative_id
