"""Registrieren (web and app), Bestätigungscode, Registrierungsnummer anfordern (issue 3)."""

import re
import time
from datetime import timedelta

import pytest

from tests.helpers import deliver, mail_text
from wir import clock
from wir.extensions import limiter
from wir.models import (
    EmailConfirmation,
    OutboxMail,
    Person,
    RegistrationCode,
    RegistrationNumberRequest,
    User,
)
from wir.services.registration import registration, registration_letters
from wir.services.staff import staff_persons

PASSWORD = "Blauer-Kran-zieht-Wolken"
INVALID_CODE = "Registrierungsnummer und Nachname passen nicht zusammen"


@pytest.fixture
def letter(demo_logins):
    """The first unused Registrierungsnummer of the demo data with its person's last name."""
    code = demo_logins["registration_codes"][0]
    return {"code": code["code"], "last_name": code["name"].split()[-1], "name": code["name"]}


def form(auth, letter, **changes):
    values = {
        "csrf_token": auth.csrf_token(),
        "registration_number": letter["code"],
        "last_name": letter["last_name"],
        "email": "neu.mieter@example.org",
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "accept_terms": "y",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def register(client, auth, letter, **changes):
    return client.post("/registrieren/", data=form(auth, letter, **changes))


def confirmation_mail(smtp):
    message = smtp.messages[-1]
    text = mail_text(message)
    link = re.search(r"http://localhost(/registrieren/bestaetigen/\S+)", text).group(1)
    code = re.search(r"^(\d{6})\r?$", text, re.M).group(1)
    return message, link, code


def move_clock(monkeypatch, delta):
    later = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: later)


def test_registration_sends_link_and_code_to_real_smtp(app, client, auth, letter, smtp, data):
    response = register(client, auth, letter)
    assert response.status_code == 303
    assert response.headers["Location"] == "/registrieren/email-versendet"
    page = client.get("/registrieren/email-versendet").get_data(as_text=True)
    assert "Spam-Ordner" in page and "E-Mail erneut senden" in page
    assert deliver(app) == 1
    message, link, code = confirmation_mail(smtp)
    assert message["To"] == "neu.mieter@example.org"
    assert message["Subject"] == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert letter["name"] in mail_text(message)
    assert len(code) == 6
    user = User.get(User.email == "neu.mieter@example.org")
    assert user.confirmed_at is None


def test_confirmation_mail_arrives_within_five_seconds_in_background(app, client, auth, letter, smtp):
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True
    started = time.monotonic()
    assert register(client, auth, letter).status_code == 303
    while not smtp.messages and time.monotonic() - started < 5:
        time.sleep(0.05)
    assert len(smtp.messages) == 1


def test_confirm_by_link_leads_into_portal(app, client, auth, letter, smtp, data):
    register(client, auth, letter)
    deliver(app)
    _, link, _ = confirmation_mail(smtp)
    page = client.get(link)
    assert page.status_code == 200 and "E-Mail-Adresse bestätigen" in page.get_data(as_text=True)
    assert User.get(User.email == "neu.mieter@example.org").confirmed_at is None  # GET changes nothing
    response = client.post(link, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    # first sign-in: review the contact data before anything else
    review = client.get("/")
    assert review.status_code == 302 and review.headers["Location"].startswith("/konto/kontaktdaten-pruefen")
    assert "Bitte überprüfen Sie Ihre Kontaktdaten" in client.get(review.headers["Location"]).get_data(as_text=True)
    done = client.post(review.headers["Location"], data={"csrf_token": auth.csrf_token()})
    assert done.status_code == 303
    assert client.get("/").status_code == 200
    assert RegistrationCode.get(RegistrationCode.code == letter["code"]).used_at is not None
    # the link works once
    assert client.get(link).status_code == 410


def test_confirm_by_code_in_app(app, client, auth, letter, smtp):
    register(client, auth, letter)
    deliver(app)
    _, _, code = confirmation_mail(smtp)
    page = client.get("/registrieren/code").get_data(as_text=True)
    assert "Bestätigungscode" in page and ">Absenden</button>" in page
    response = client.post(
        "/registrieren/code",
        data={"csrf_token": auth.csrf_token(), "email": " Neu.Mieter@Example.org ", "code": code},
    )
    assert response.status_code == 303
    assert client.get("/konto/kontaktdaten-pruefen").status_code == 200


def test_link_expires_after_24_hours(app, client, auth, letter, smtp, monkeypatch):
    register(client, auth, letter)
    deliver(app)
    _, link, code = confirmation_mail(smtp)
    move_clock(monkeypatch, timedelta(hours=24, seconds=1))
    expired = client.get(link)
    assert expired.status_code == 410
    assert "nicht mehr gültig" in expired.get_data(as_text=True)
    assert "neue E-Mail senden" in expired.get_data(as_text=True)
    assert client.post(link, data={"csrf_token": auth.csrf_token()}).status_code == 410
    response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(), "email": "neu.mieter@example.org", "code": code})
    assert response.status_code == 422


def test_link_still_valid_just_before_24_hours(app, client, auth, letter, smtp, monkeypatch):
    register(client, auth, letter)
    deliver(app)
    _, link, _ = confirmation_mail(smtp)
    move_clock(monkeypatch, timedelta(hours=23, minutes=59))
    assert client.get(link).status_code == 200


def test_wrong_codes_void_the_code_after_five_attempts(app, client, auth, letter, smtp, data):
    register(client, auth, letter)
    deliver(app)
    _, _, code = confirmation_mail(smtp)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(), "email": "neu.mieter@example.org", "code": wrong})
        assert response.status_code == 422
        assert "Bestätigungscode ist nicht richtig" in response.get_data(as_text=True)
    response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(), "email": "neu.mieter@example.org", "code": code})
    assert response.status_code == 422  # void now, even the right one
    # a new mail brings a new code that works
    client.post("/registrieren/email-versendet", data={"csrf_token": auth.csrf_token(), "email": "neu.mieter@example.org"})
    deliver(app)
    _, _, new_code = confirmation_mail(smtp)
    response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(), "email": "neu.mieter@example.org", "code": new_code})
    assert response.status_code == 303


@pytest.mark.parametrize("email, code, message", [
    ("", "123456", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
    ("neu.mieter@example.org", "", "Bitte geben Sie den Bestätigungscode"),
    ("neu.mieter@example.org", "12ab56", "6 Ziffern"),
    ("neu.mieter@example.org", "1234567", "6 Ziffern"),
    ("unbekannt@example.org", "123456", "Bestätigungscode ist nicht richtig"),
])
def test_code_form_bad_input(client, auth, email, code, message):
    response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(), "email": email, "code": code})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_cannot_sign_in_before_confirming(app, client, auth, letter, smtp):
    register(client, auth, letter)
    response = auth.login("neu.mieter@example.org", PASSWORD)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "noch nicht bestätigt" in body and "Bestätigungs-E-Mail erneut senden" in body
    # the wrong password does not reveal that the account waits for confirmation
    wrong = auth.login("neu.mieter@example.org", "ganz-falsches-passwort").get_data(as_text=True)
    assert "noch nicht bestätigt" not in wrong


@pytest.mark.parametrize("changes", [
    {"registration_number": "LIP-AAAA-BBBB"},
    {"last_name": "Schmidt"},
    {"registration_number": ""},
])
def test_invalid_code_or_name_gets_one_message(client, auth, letter, data, changes):
    response = register(client, auth, letter, **changes)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    if changes.get("registration_number") == "":
        assert "Bitte geben Sie die Registrierungsnummer" in body
    else:
        assert INVALID_CODE in body
    assert not User.select().where(User.email == "neu.mieter@example.org").exists()


# one name rule: registration, the number request's matching and the staff search agree on every row
@pytest.mark.parametrize("stored, typed, same", [
    ("Schütz", "Schuetz", True),
    ("Schütz", "SCHÜTZ", True),
    ("Schütz", "  schütz ", True),
    ("Schütz", "Schu\u0308tz", True),  # ü typed as u and a combining mark
    ("Schuetz", "Schütz", True),
    ("Schütz", "Schutz", False),  # u is not ü
    ("Müller-Lüdenscheidt", "Mueller-Luedenscheidt", True),
    ("Müller-Lüdenscheidt", "müller lüdenscheidt", True),  # a space for the hyphen
    ("Weiß", "Weiss", True),
    ("Weiss", "WEISS", True),
    ("Weiß", "Weisz", False),
])
def test_a_typed_name_matches_a_stored_one_by_the_same_rule_everywhere(client, auth, letter, data, stored, typed,
                                                                       same):
    code = RegistrationCode.get(RegistrationCode.code == letter["code"])
    person = Person.get_by_id(code.person_id)
    Person.update(last_name=stored).where(Person.id == person.id).execute()
    staff = User.get((User.role == User.ROLE_STAFF) & (User.cooperative == person.cooperative_id))
    request = RegistrationNumberRequest.create(first_name=person.first_name, last_name=typed, street=person.street,
                                               postcode=person.postcode, city=person.city,
                                               cooperative=person.cooperative_id)
    (match,) = registration_letters.matches(staff, [request])
    assert (match.person == person) is same
    found = [p.id for p in staff_persons.search(staff, typed)]
    assert (person.id in found) is same
    response = register(client, auth, letter, last_name=typed)
    assert response.status_code == (303 if same else 422)


def test_used_and_expired_codes_get_the_same_message(client, auth, letter, data, demo_logins):
    RegistrationCode.update(used_at=clock.now()).where(RegistrationCode.code == letter["code"]).execute()
    used = register(client, auth, letter).get_data(as_text=True)
    other = demo_logins["registration_codes"][1]
    RegistrationCode.update(expires_at=clock.now() - timedelta(seconds=1)).where(RegistrationCode.code == other["code"]).execute()
    expired = register(client, auth, {"code": other["code"], "last_name": other["name"].split()[-1]}).get_data(as_text=True)
    assert INVALID_CODE in used and INVALID_CODE in expired


def test_code_is_accepted_in_any_typing(client, auth, letter):
    typed = letter["code"].lower().replace("-", " ")
    assert register(client, auth, letter, registration_number=typed, last_name=letter["last_name"].upper()).status_code == 303


def test_existing_address_reveals_nothing_and_warns_its_owner(app, client, auth, letter, smtp, data, demo_logins):
    owner = demo_logins["tenants"][0]["email"]
    response = register(client, auth, letter, email=owner.upper())
    assert response.status_code == 303 and response.headers["Location"] == "/registrieren/email-versendet"
    deliver(app)
    assert smtp.recipients == [[owner]]
    assert "Registrierungsversuch" in smtp.messages[0]["Subject"]
    person = Person.get(Person.id == RegistrationCode.get(RegistrationCode.code == letter["code"]).person_id)
    assert person.user_id is None
    assert RegistrationCode.get(RegistrationCode.code == letter["code"]).used_at is None


def test_double_submission_creates_one_account(app, client, auth, letter, smtp, data):
    assert register(client, auth, letter).status_code == 303
    assert register(client, auth, letter).status_code == 303
    assert User.select().where(User.email == "neu.mieter@example.org").count() == 1
    deliver(app)
    assert len(smtp.messages) == 1


def test_unconfirmed_registration_expires_and_code_is_usable_again(app, client, auth, letter, smtp, data, monkeypatch):
    register(client, auth, letter, email="tippfehler@example.org")
    move_clock(monkeypatch, timedelta(hours=24, seconds=1))
    assert register(client, auth, letter, email="richtig@example.org").status_code == 303
    assert not User.select().where(User.email == "tippfehler@example.org").exists()
    deliver(app)
    _, link, _ = confirmation_mail(smtp)
    assert client.post(link, data={"csrf_token": auth.csrf_token()}).status_code == 303
    assert User.get(User.email == "richtig@example.org").confirmed_at is not None


def test_confirmed_account_blocks_the_code(app, client, auth, letter, smtp):
    register(client, auth, letter)
    deliver(app)
    _, link, _ = confirmation_mail(smtp)
    client.post(link, data={"csrf_token": auth.csrf_token()})
    auth.logout()
    again = register(client, auth, letter, email="zweiter@example.org")
    assert again.status_code == 422 and INVALID_CODE in again.get_data(as_text=True)


@pytest.mark.parametrize("changes, field, message", [
    ({"password": "kurz", "password_repeat": "kurz"}, "password", "mindestens 12 Zeichen"),
    ({"password": "Müller-Garten-Baum-7", "password_repeat": "Müller-Garten-Baum-7"}, "password", "Namen"),
    ({"password": "Lipsia-Sonne-Wolke-3", "password_repeat": "Lipsia-Sonne-Wolke-3"}, "password", "Genossenschaft"),
    ({"password": "passwort1234", "password_repeat": "passwort1234"}, "password", "zu leicht zu erraten"),
    ({"password": "x" * 1025, "password_repeat": "x" * 1025}, "password", "höchstens 1024 Zeichen"),
    ({"password_repeat": "etwas-anderes-langes"}, "password_repeat", "stimmen nicht überein"),
    ({"accept_terms": None}, "accept_terms", "Nutzungsbedingungen zu"),
    ({"email": "keine-adresse"}, "email", "gültige E-Mail-Adresse"),
    ({"email": "a@b"}, "email", "gültige E-Mail-Adresse"),
    ({"last_name": "x" * 101}, "last_name", "Höchstens 100 Zeichen"),
    ({"last_name": ""}, "last_name", "Bitte geben Sie Ihren Nachnamen ein."),
])
def test_bad_registration_input_is_refused_next_to_the_field(client, auth, letter, data, changes, field, message):
    response = register(client, auth, letter, **changes)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1)
    assert not User.select().where(User.email == "neu.mieter@example.org").exists()
    assert RegistrationCode.get(RegistrationCode.code == letter["code"]).used_at is None


def test_hostile_input_is_shown_escaped(client, auth, letter):
    body = register(client, auth, letter, last_name="<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_password_criteria_are_checked_while_typing(client, auth):
    def criteria(password, last_name=""):
        response = client.post(
            "/registrieren/passwort-pruefen",
            data={"password": password, "last_name": last_name, "email": ""},
            headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()},
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    weak = criteria("kurz")
    assert '<ul class="criteria" id="password-criteria"' in weak and "<html" not in weak
    assert weak.count("noch nicht erfüllt") == 3 - weak.count(": erfüllt")
    strong = criteria(PASSWORD)
    assert strong.count(": erfüllt") == 3
    named = criteria("Wagner-Blume-Tisch-88", last_name="Wagner")
    assert named.count(": erfüllt") == 2


def test_resend_answers_the_same_for_any_address(app, client, auth, letter, smtp):
    register(client, auth, letter)
    deliver(app)
    responses = [
        client.post("/registrieren/email-versendet", data={"csrf_token": auth.csrf_token(), "email": email})
        for email in ("neu.mieter@example.org", "unbekannt@example.org", "juergen.mueller@example.org")
    ]
    assert {r.status_code for r in responses} == {303}
    deliver(app)
    assert [m["To"] for m in smtp.messages] == ["neu.mieter@example.org", "neu.mieter@example.org"]


def test_smtp_down_during_registration_then_delivered_once(app, client, auth, letter, smtp_down, data, monkeypatch):
    assert register(client, auth, letter).status_code == 303
    assert User.select().where(User.email == "neu.mieter@example.org").exists()
    assert deliver(app) == 0
    pending = OutboxMail.get(OutboxMail.recipient == "neu.mieter@example.org")
    assert pending.status == "pending" and pending.attempts == 1
    smtp_down.start()
    move_clock(monkeypatch, timedelta(minutes=5))
    assert deliver(app) == 1
    assert deliver(app) == 0
    assert len(smtp_down.messages) == 1


def test_register_is_rate_limited_per_code(app, client, auth, letter):
    app.config["RATELIMIT_REGISTER_PER_CODE"] = "3 per 1 minute"
    statuses = [register(client, auth, letter, last_name="Falsch").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "Zu viele Versuche" in register(client, auth, letter).get_data(as_text=True)
    limiter.reset()  # the window is over: counted afresh (works on memory and Redis storage alike)
    assert register(client, auth, letter, last_name="Falsch").status_code == 422


def test_register_is_rate_limited_per_address(app, client, auth, letter, demo_logins):
    app.config["RATELIMIT_REGISTER"] = "3 per 1 minute"  # a window no slow machine outlasts
    codes = [c["code"] for c in demo_logins["registration_codes"]] + ["LIP-AAAA-AAAA"]
    statuses = [register(client, auth, letter, registration_number=code, last_name="X").status_code for code in codes]
    assert statuses[:3] == [422, 422, 422] and statuses[3] == 429


def test_registration_pages_use_the_guides_words(client):
    page = client.get("/registrieren/").get_data(as_text=True)
    for text in ("Registrierungsnummer", "Nachname", "E-Mail-Adresse", "Passwort wiederholen", ">Registrieren</button>",
                 "Registrierungsnummer anfordern", "Nutzungsbedingungen", "Datenschutzhinweise", "mindestens 12 Zeichen lang sein"):
        assert text in page
    login = client.get("/anmelden").get_data(as_text=True)
    assert "Registrieren" in login and "Passwort vergessen?" in login and "Bestätigungscode eingeben" in login


def test_password_criteria_continue_their_intro_in_german(client):
    # "Ihr Passwort muss:" and each rule completes the sentence; a screen reader hears intro, rule and state
    page = client.get("/registrieren/").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="password"[^>]*>', page).group(0)
    assert 'aria-describedby="password-criteria-title password-criteria"' in field
    assert '<p class="field__hint" id="password-criteria-title">Ihr Passwort muss:</p>' in page
    items = re.findall(r'<li class="criteria__item">\s*<span class="criteria__mark" aria-hidden="true">–</span>\s*'
                       r'(.*?)<span class="visually-hidden">: noch nicht erfüllt</span>', page, re.S)
    assert items == [
        "mindestens 12 Zeichen lang sein",
        "frei von Ihrem Namen, Ihrer E-Mail-Adresse und dem Namen der Genossenschaft sein",
        "schwer zu erraten sein: keine bekannten Passwörter, Tastaturfolgen oder Wiederholungen",
    ]


# --- Registrierungsnummer anfordern ---

NUMBER_REQUEST = {
    "first_name": "Erika", "last_name": "Mustermann", "street": "Brünnler Straße 3", "postcode": "04209",
    "city": "Leipzig", "cooperative": "", "reference_number": "", "email": "",
}


def test_request_number_is_stored_for_staff_and_says_post(client, auth, data):
    response = client.post("/registrieren/nummer-anfordern", data={**NUMBER_REQUEST, "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "per Post" in page and "Wenn wir Sie in unseren Unterlagen finden" in page
    request = RegistrationNumberRequest.get()
    assert (request.first_name, request.last_name, request.postcode) == ("Erika", "Mustermann", "04209")


def test_request_number_answers_the_same_for_known_people(client, auth, data):
    known = Person.select().where(Person.user.is_null(False)).first()
    values = {**NUMBER_REQUEST, "first_name": known.first_name, "last_name": known.last_name, "csrf_token": auth.csrf_token()}
    response = client.post("/registrieren/nummer-anfordern", data=values)
    assert response.headers["Location"] == "/registrieren/nummer-angefordert"


@pytest.mark.parametrize("field, value, message", [
    ("first_name", "", "Bitte geben Sie Ihren Vornamen ein."),
    ("postcode", "4209", "5 Ziffern"),
    ("postcode", "abcde", "5 Ziffern"),
    ("street", "x" * 121, "Höchstens 120 Zeichen"),
    ("cooperative", "999", "aus der Liste"),
    ("email", "nicht@gültig", "gültige E-Mail-Adresse"),
])
def test_request_number_bad_input(client, auth, data, field, value, message):
    response = client.post(
        "/registrieren/nummer-anfordern", data={**NUMBER_REQUEST, field: value, "csrf_token": auth.csrf_token()}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert RegistrationNumberRequest.select().count() == 0


def test_services_reject_wrong_confirmations(app, data):
    with app.test_request_context():
        with pytest.raises(registration.InvalidConfirmation):
            registration.confirm_by_token("no-such-token")
        with pytest.raises(registration.InvalidConfirmation):
            registration.confirm_by_code("x@example.org", "000000")
    assert EmailConfirmation.select().count() == 0
