"""Ansprechpartner per house (issue 24): the staff page lists the cooperative's houses with their clerk and where it
came from; a clerk chosen by hand (page or htmx in place) becomes the Ansprechpartner of the house's contracts, takes
its new tickets, and stays through a normal ERP import until one with --full."""

import re
from urllib.parse import quote, urlencode

import pytest

from tests.helpers import AuthActions, htmx, main_of
from tests.test_absences import file_ticket
from tests.test_erp_import import EXAMPLE, cli, lipsia, run  # noqa: F401 (lipsia: a fixture)
from tests.test_staff_desk import person_of, rental_of, staff_user
from wir import clock
from wir.demo import generator
from wir.models import AuditLog, ContactPerson, Contract, Cooperative, HouseContact, Unit, User
from wir.services.account.passwords import hash_password
from wir.services.staff import house_contacts

LIST = "/intern/ansprechpartner"


@pytest.fixture
def clerk(auth, demo_logins, data):
    """Signed in as Sandra Köhler (Lipsia)."""
    auth.login_staff(0)
    return staff_user(demo_logins, 0)


@pytest.fixture
def house(data):
    """The house of Jürgen Müller's flat: (street, postcode, its contracts)."""
    unit = Unit.get_by_id(rental_of(person_of("juergen.mueller@example.org")).unit_id)
    contracts = list(Contract.select().join(Unit).where((Unit.street == unit.street) & (Unit.postcode == unit.postcode)
                                                        & (Unit.cooperative == unit.cooperative)))
    return unit.street, unit.postcode, contracts


def house_url(street: str, postcode: str, slug: str = "lipsia") -> str:
    return f"{LIST}/{slug}/{postcode}/{quote(street)}"


def choose(client, auth, street, postcode, clerk_id, headers=None):
    return client.post(house_url(street, postcode), data={"csrf_token": auth.csrf_token(), "clerk": str(clerk_id)},
                       headers=headers or {})


def new_clerk(slug="lipsia", email="n.neumann@lipsia.example.org", active=True) -> User:
    """A colleague without an Ansprechpartner row yet."""
    return User.create(email=email, password_hash=hash_password("Neue-Kollegin-Passwort-1"), role=User.ROLE_STAFF,
                       cooperative=Cooperative.get(Cooperative.slug == slug), staff_name="Nadine Neumann",
                       is_active=active)


def test_the_list_shows_the_houses_with_their_clerk_from_the_import(client, clerk, house):
    street, postcode, contracts = house
    assert f'href="{LIST}"' in client.get("/intern/").get_data(as_text=True)
    page = main_of(client.get(LIST).get_data(as_text=True))
    item = page.split(f"{street}, {postcode}", 1)[1].split("</li>", 1)[0]
    names = {ContactPerson.get_by_id(c.contact_person_id).name for c in contracts if c.contact_person_id}
    assert all(name in item for name in names) and "aus dem Import" in item
    assert f'href="{house_url(street, postcode)}"' in item and "Ändern" in item
    assert "Elsteraue" not in page and "Auenweg" not in page  # only the own cooperative's houses


def test_choosing_a_clerk_with_the_plain_form(client, auth, clerk, house, demo_logins):
    street, postcode, contracts = house
    colleague = staff_user(demo_logins, 1)
    page = client.get(house_url(street, postcode)).get_data(as_text=True)
    assert "<h1>Ansprechpartner für" in page and 'name="clerk"' in page
    response = choose(client, auth, street, postcode, colleague.id)
    assert response.status_code == 303 and response.headers["Location"] == f"{LIST}?{urlencode({'suche': street})}"
    contact = ContactPerson.get(ContactPerson.user == colleague.id)
    assert {Contract.get_by_id(c.id).contact_person_id for c in contracts} == {contact.id}
    choice = HouseContact.get((HouseContact.street == street) & (HouseContact.postcode == postcode))
    assert (choice.contact_person_id, choice.chosen_by_id) == (contact.id, clerk.id)
    entry = AuditLog.get(AuditLog.action == "house_contact.chosen")
    assert entry.user_id == clerk.id and street in entry.detail and entry.cooperative_id == clerk.cooperative_id
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"manuell am {clock.today():%d.%m.%Y} von {clerk.staff_name}" in listed
    assert "ist jetzt Thomas Schröder" in listed


def test_htmx_edits_the_house_in_place(client, auth, clerk, house, demo_logins):
    street, postcode, _ = house
    editor = client.get(house_url(street, postcode), headers=htmx(auth))
    fragment = editor.get_data(as_text=True)
    assert editor.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<li class="house card"')
    assert re.search(r'<select[^>]*autofocus[^>]*name="clerk"|<select[^>]*name="clerk"[^>]*autofocus', fragment)
    assert f'hx-post="{house_url(street, postcode)}"' in fragment
    cancel = client.get(house_url(street, postcode) + "?ansicht=1", headers=htmx(auth)).get_data(as_text=True)
    assert 'name="clerk"' not in cancel and "Ändern" in cancel
    refused = choose(client, auth, street, postcode, "", headers=htmx(auth))
    assert refused.status_code == 422 and "data-error-summary" in refused.get_data(as_text=True)
    saved = choose(client, auth, street, postcode, staff_user(demo_logins, 1).id, headers=htmx(auth))
    answer = saved.get_data(as_text=True)
    assert saved.status_code == 200 and answer.lstrip().startswith('<li class="house card"')
    assert 'role="status" tabindex="-1" autofocus>Ansprechpartner für' in answer and "manuell am" in answer
    again = choose(client, auth, street, postcode, clerk.id, headers=htmx(auth))  # chosen anew: the one choice changes
    assert again.status_code == 200 and "ist jetzt Sandra Köhler" in again.get_data(as_text=True)
    choice = HouseContact.get()
    assert HouseContact.select().count() == 1 and choice.contact_person.user_id == clerk.id


def test_a_clerk_without_an_ansprechpartner_row_gets_one_and_the_houses_new_tickets(app, client, auth, clerk, house):
    street, postcode, _ = house
    newcomer = new_clerk()
    assert choose(client, auth, street, postcode, newcomer.id).status_code == 303
    contact = ContactPerson.get(ContactPerson.user == newcomer.id)
    cooperative = Cooperative.get(Cooperative.slug == "lipsia")
    assert (contact.name, contact.email, contact.phone, contact.cooperative_id) == (
        "Nadine Neumann", newcomer.email, cooperative.phone, cooperative.id)
    ticket = file_ticket(app)  # Jürgen Müller's flat is in the house
    assert ticket.assigned_to_id == newcomer.id
    tenant = AuthActions(app.test_client(), auth.logins)
    tenant.login_as("juergen")
    assert "Nadine Neumann" in main_of(tenant.client.get("/vertraege/").get_data(as_text=True))


@pytest.mark.parametrize("who", ["elsteraue", "inactive", "garbage", "nothing", "huge"])
def test_only_an_active_clerk_of_the_cooperative_can_be_chosen(client, auth, clerk, house, demo_logins, who):
    street, postcode, contracts = house
    chosen = {"elsteraue": lambda: staff_user(demo_logins, 2).id,
              "inactive": lambda: new_clerk(active=False).id, "garbage": lambda: "1 OR 1=1", "nothing": lambda: "",
              "huge": lambda: "9" * 5000}[who]()
    before = [Contract.get_by_id(c.id).contact_person_id for c in contracts]
    response = choose(client, auth, street, postcode, chosen)
    assert response.status_code == 422
    error = re.search(r'<p class="field__error" id="clerk-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error and "Bitte wählen Sie" in error.group(1)
    assert [Contract.get_by_id(c.id).contact_person_id for c in contracts] == before
    assert not HouseContact.select().exists() and not AuditLog.select().where(
        AuditLog.action == "house_contact.chosen").exists()


def test_another_cooperatives_house_is_not_found(app, client, auth, house, demo_logins):
    street, postcode, _ = house
    auth.login_staff(2)  # Elsteraue
    assert client.get(house_url(street, postcode)).status_code == 404
    assert client.get(house_url(street, postcode, "elsteraue")).status_code == 404  # not a house of Elsteraue
    assert choose(client, auth, street, postcode, staff_user(demo_logins, 2).id).status_code == 404
    assert client.get(house_url("Gibt es nicht 1", "04109", "elsteraue")).status_code == 404
    listed = client.get(LIST, query_string={"suche": street}).get_data(as_text=True)
    assert f"{street}, {postcode}</h2>" not in listed and "Keine Häuser" in listed
    assert not HouseContact.select().exists()


def test_tenants_do_not_reach_it(client, auth, house):
    street, postcode, _ = house
    auth.login_as("juergen")
    assert client.get(LIST).status_code == 404 and client.get(house_url(street, postcode)).status_code == 404


def test_search_and_pages_show_every_house_once(client, auth, clerk, data):
    cooperative = Cooperative.get(Cooperative.slug == "lipsia")
    for number in range(1, 56):
        Unit.create(cooperative=cooperative, kind="flat", number=f"Z-{number}", street=f"Zeisigweg {number}",
                    postcode="04109", city="Leipzig")
    seen = []
    for page in (1, 2):  # 50 a page
        html = client.get(LIST, query_string={"suche": "zeisig", "seite": page}).get_data(as_text=True)
        seen += re.findall(r'<h2 class="house__title">(Zeisigweg \d+), 04109</h2>', html)
    assert sorted(seen) == sorted(f"Zeisigweg {n}" for n in range(1, 56)) and len(seen) == 55
    fragment = client.get(LIST, query_string={"suche": "Zeisigweg 1"}, headers=htmx(auth, "house-list"))
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="house-list"') and "11 Häuser" in text  # 1, 10–19


def test_the_list_runs_the_same_statements_on_larger_data(client, auth, clerk, house, count_queries):
    street, postcode, _ = house
    choose(client, auth, street, postcode, clerk.id)

    def count():
        client.get(LIST)
        with count_queries() as queries:
            assert client.get(LIST).status_code == 200
        return queries.count

    small = count()
    generator.generate(clock.now(), clock.today(), 0.01)
    assert Unit.select().count() > 100
    assert count() == small


# --- the ERP import keeps a manual choice unless --full ---


def test_a_manual_choice_survives_a_normal_import_and_a_full_one_replaces_it(empty_app, lipsia):  # noqa: F811
    run(EXAMPLE, lipsia)
    newcomer = new_clerk()
    by = User.create(email="admin@example.org", password_hash="x", role=User.ROLE_ADMIN, staff_name="Admin")
    house = house_contacts.house_of(lipsia.id, "Musterstraße 1", "04109")
    assert house.contacts == ("Sabine Beispiel",) and not house.manual
    assert house_contacts.choose(by, lipsia, house, newcomer.id) == 3  # the flats' and the parking space's
    chosen = ContactPerson.get(ContactPerson.user == newcomer.id)

    def in_house():
        return list(Contract.select().where(Contract.unit.is_null(False)))

    _, report = run(EXAMPLE, lipsia)
    assert report.ok and {c.contact_person_id for c in in_house()} == {chosen.id}
    contracts = next(f for f in report.files if f.name == "vertraege.csv")
    assert contracts.changed == 0
    assert any("3 Verträge behalten den von Hand gewählten Ansprechpartner" in note for note in contracts.notes)
    assert house_contacts.house_of(lipsia.id, "Musterstraße 1", "04109").manual

    result = cli(empty_app, EXAMPLE, "--full")
    assert result.exit_code == 0, result.output
    assert "1 von Hand gewählter Ansprechpartner eines Hauses ist durch die Angaben der Datei ersetzt" in result.output
    imported = ContactPerson.get(ContactPerson.erp_key == "AP-1")
    assert {c.contact_person_id for c in in_house()} == {imported.id}
    assert not house_contacts.house_of(lipsia.id, "Musterstraße 1", "04109").manual
