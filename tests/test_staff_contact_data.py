"""Staff see a tenant's contact data (issue 20): the person page and the ticket desk show the phone numbers with
their type and the contact e-mail address, in a fixed number of queries; a Termin shows the number the tenant
chose, which the Kontakt form offers to pick from the stored ones."""

import re

import pytest

from tests.helpers import htmx, main_of
from tests.test_tickets import category, person_of, rental_of
from wir.models import Person, PhoneNumber, Ticket, User
from wir.services.tickets import tickets

APPOINTMENT = "Terminvereinbarung (Bitte Telefon-Nr. angeben)"


def juergen() -> Person:
    return person_of("juergen.mueller@example.org")


def contact_card(page: str) -> str:
    match = re.search(r'<section class="card contact-data".*?</section>', page, re.S)
    assert match, "no Kontaktdaten card"
    return match.group(0)


@pytest.fixture
def clerk(auth, data):
    auth.login_staff(0)  # Lipsia


# --- the person page ---


def test_person_page_shows_the_phone_numbers_with_their_type_and_the_contact_email(client, clerk):
    person = juergen()
    card = contact_card(main_of(client.get(f"/intern/personen/{person.id}").get_data(as_text=True)))
    assert "juergen.mueller@example.org" in card and "Anmeldung im Portal" in card
    # stored in E.164, shown as people write them, in the tenant's order, each with its type
    assert re.search(r"Privat: <a href=\"tel:\+493414928713\">0341 4928713</a>.*"
                     r"Mobil: <a href=\"tel:\+4915112345678\">01511 2345678</a>", card, re.S)
    assert "keine Telefonnummer hinterlegt" not in card


def test_without_phones_or_account_the_page_says_so(client, clerk, data):
    person = juergen()
    PhoneNumber.delete().where(PhoneNumber.user == person.user_id).execute()
    card = contact_card(client.get(f"/intern/personen/{person.id}").get_data(as_text=True))
    assert "keine Telefonnummer hinterlegt" in card
    without = Person.select().where(Person.user.is_null() & (Person.cooperative == person.cooperative_id)).first()
    card = contact_card(client.get(f"/intern/personen/{without.id}").get_data(as_text=True))
    assert "keine Telefonnummer hinterlegt" in card and "keinen Zugang zum Portal" in card


def test_the_person_page_reads_the_phones_in_one_query_whatever_their_number(client, clerk, data, count_queries):
    person = juergen()
    PhoneNumber.delete().where(PhoneNumber.user == person.user_id).execute()
    with count_queries() as none:
        assert client.get(f"/intern/personen/{person.id}").status_code == 200
    for position, number in enumerate(("+493414928713", "+4915112345678", "+493419876543")):
        PhoneNumber.create(user=person.user_id, kind="home", number=number, position=position)
    with count_queries() as three:
        page = client.get(f"/intern/personen/{person.id}").get_data(as_text=True)
    assert contact_card(page).count('href="tel:') == 3
    assert three.count == none.count


# --- the desk ---


def _ticket(person: Person, name: str = "Heizung/Warmwasser", phone: str = "") -> Ticket:
    return tickets.create_ticket(tickets.NewTicket(
        person=person, category=category(person, name), contract=rental_of(person), subject="Bitte um Rückruf",
        message="Bitte rufen Sie mich an.", phone=phone,
    ))


def test_the_desk_shows_the_reporters_contact_data_in_constant_queries(app, client, clerk, data, count_queries):
    person = juergen()
    with app.app_context():
        ticket = _ticket(person)
    with count_queries() as two:
        page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    card = contact_card(page)
    assert "juergen.mueller@example.org" in card and "0341 4928713" in card and "01511 2345678" in card
    PhoneNumber.create(user=person.user_id, kind="work", number="+493419876543", position=5)
    with count_queries() as three:
        page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Dienstlich: <a" in contact_card(page)
    assert three.count == two.count


def test_a_termin_shows_the_number_the_tenant_chose_set_apart(app, client, clerk, data):
    person = juergen()
    with app.app_context():
        ticket = _ticket(person, APPOINTMENT, phone="0177 1234567")
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert re.search(r"<dt>Rückruf für den Termin unter</dt>\s*<dd id=\"ticket-phone\"><strong>"
                     r"<a href=\"tel:01771234567\">0177 1234567</a>", page)
    assert "0177 1234567" not in contact_card(page)  # not one of the stored numbers


# --- the Kontakt form: pick a stored number for a Termin ---


@pytest.fixture
def tenant(auth, data):
    login = auth.login_as("juergen")
    person = person_of(login["email"])
    return {"person": person, "appointment": category(person, APPOINTMENT)}


def _form(tenant, **fields) -> dict:
    person, appointment = tenant["person"], tenant["appointment"]
    return {"concern": f"p{person.id}", "ticket_type": str(appointment.ticket_type_id),
            "category": str(appointment.id), "subject": "Termin", "message": "Bitte um einen Termin.",
            "submission_key": "k" * 32, "action": "send", **fields}


def _phones(person: Person) -> list[PhoneNumber]:
    return list(PhoneNumber.select().where(PhoneNumber.user == person.user_id).order_by(PhoneNumber.position))


def test_the_form_offers_the_stored_numbers_the_first_chosen(client, tenant):
    person, appointment = tenant["person"], tenant["appointment"]
    page = client.get(f"/kontakt?concern=p{person.id}&ticket_type={appointment.ticket_type_id}"
                      f"&category={appointment.id}").get_data(as_text=True)
    home, mobile = _phones(person)
    assert re.search(rf'type="radio" name="phone_choice" id="phone_choice-1" value="{home.id}"\s+required checked',
                     page)
    assert re.search(rf'value="{mobile.id}"\s+required>', page)
    assert "Privat: 0341 4928713" in page and "Mobil: 01511 2345678" in page
    assert re.search(r'value="andere"\s+required>\s*<label[^>]*>Andere Nummer:</label>', page)
    assert 'name="phone"' in page  # the text field beside „Andere Nummer“


@pytest.mark.parametrize("with_htmx", [False, True])
def test_a_picked_stored_number_is_filed_with_the_ticket(client, auth, tenant, with_htmx):
    mobile = _phones(tenant["person"])[1]
    response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(), **_form(tenant, phone_choice=str(mobile.id))},
                           headers=htmx(auth) if with_htmx else None)
    assert (response.status_code, "HX-Location" in response.headers) == ((204, True) if with_htmx else (303, False))
    assert Ticket.get(Ticket.submission_key == "k" * 32).phone == "01511 2345678"


def test_another_number_is_checked_as_before(client, auth, tenant):
    response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(),
                                             **_form(tenant, phone_choice="andere", phone="")})
    assert response.status_code == 422
    assert re.search(r'id="phone-error">.*Telefonnummer an', response.get_data(as_text=True), re.S)
    response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(),
                                             **_form(tenant, phone_choice="andere", phone="0177 1234567")})
    assert response.status_code == 303
    assert Ticket.get(Ticket.submission_key == "k" * 32).phone == "0177 1234567"


def test_someone_elses_number_is_refused_next_to_the_choice(client, auth, tenant, data):
    others = PhoneNumber.select().where(PhoneNumber.user != tenant["person"].user_id).first()
    for tampered in (str(others.id), "999999", "x"):
        response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(),
                                                 **_form(tenant, phone_choice=tampered)})
        text = response.get_data(as_text=True)
        assert response.status_code == 422, tampered
        assert re.search(r'id="phone_choice-error">.*Bitte wählen Sie eine Ihrer gespeicherten Telefonnummern', text,
                         re.S)
        assert others.number not in text
    assert not Ticket.select().where(Ticket.submission_key == "k" * 32).exists()


def test_a_stored_number_picked_with_another_typed_is_not_guessed(client, auth, tenant):
    home = _phones(tenant["person"])[0]
    for typed in ("0177 1234567", "0341 4928714", "12"):  # another number, or none at all
        response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(),
                                                 **_form(tenant, phone_choice=str(home.id), phone=typed)})
        assert response.status_code == 422 and "„Andere Nummer“" in response.get_data(as_text=True), typed
    assert not Ticket.select().where(Ticket.submission_key == "k" * 32).exists()


@pytest.mark.parametrize("typed", ["0341 4928713", "+49 341 4928713", "0341/492 87 13", " +493414928713 "])
def test_the_picked_number_typed_in_another_way_is_the_same_number(client, auth, tenant, typed):
    home = _phones(tenant["person"])[0]
    response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(),
                                             **_form(tenant, phone_choice=str(home.id), phone=typed)})
    assert response.status_code == 303
    assert Ticket.get(Ticket.submission_key == "k" * 32).phone == "0341 4928713"


def test_without_stored_numbers_the_plain_field_as_before(client, auth, tenant, data):
    person = tenant["person"]
    PhoneNumber.delete().where(PhoneNumber.user == person.user_id).execute()
    page = client.post("/kontakt", data={"csrf_token": auth.csrf_token(), **_form(tenant, action="choose")},
                       headers=htmx(auth)).get_data(as_text=True)
    assert 'name="phone_choice"' not in page and 'id="phone"' in page
    response = client.post("/kontakt", data={"csrf_token": auth.csrf_token(), **_form(tenant, phone="0341 1234567")})
    assert response.status_code == 303
    assert Ticket.get(Ticket.submission_key == "k" * 32).phone == "0341 1234567"


def test_choosing_the_category_with_htmx_offers_the_numbers(client, auth, tenant):
    person, appointment = tenant["person"], tenant["appointment"]
    body = client.post("/kontakt", data={"concern": f"p{person.id}", "ticket_type": str(appointment.ticket_type_id),
                                         "category": str(appointment.id), "action": "choose"},
                       headers={**htmx(auth), "HX-Trigger-Name": "category"}).get_data(as_text=True)
    assert "<html" not in body and body.count('name="phone_choice"') == 3
    assert re.search(r'required checked autofocus>', body)  # the chosen number is the next thing to confirm
    assert User.get_by_id(person.user_id).email  # (the tenant's own session, unchanged)
