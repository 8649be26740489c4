"""E-mail addresses (issue 9): exactly one mailbox per field, a refused address sends no mail,
internationalized domains stored in their ASCII form, e-mail changes limited per account."""

import re

import pytest

from tests.helpers import deliver, mail_text
from wir.models import (
    EmailConfirmation,
    OutboxMail,
    RegistrationCode,
    RegistrationNumberRequest,
    User,
)
from wir.services.account import email_addresses, email_change
from wir.services.registration import registration

PASSWORD = "Blauer-Kran-zieht-Wolken"
ONE_ONLY = "Bitte geben Sie nur eine E-Mail-Adresse ein."
INVALID = "Bitte geben Sie eine gültige E-Mail-Adresse ein"

# typed -> the message next to the field
REFUSED = [
    ("eins@example.net,zwei@example.net,drei@example.org", ONE_ONLY),
    ("eins@example.net;zwei@example.net", ONE_ONLY),
    ("eins@example.net zwei@example.net", ONE_ONLY),
    ("eins@example.net\r\nBcc: zwei@example.org", ONE_ONLY),
    ('"eins,zwei"@example.net', ONE_ONLY),
    ('"eins@zwei"@example.net', ONE_ONLY),
    ('"eins zwei"@example.net', INVALID),
    ("eins(Kommentar)@example.net", INVALID),
    ("eins@(Kommentar)example.net", INVALID),
    ("Eins <eins@example.net>", INVALID),
    ("eins@[192.0.2.1]", INVALID),
    ("eins@localhost", INVALID),
    ("eins..zwei@example.net", INVALID),
    ("jürgen@example.net", "ohne Umlaute"),
    ("x" * 65 + "@example.net", "Der Teil vor dem @ darf höchstens 64 Zeichen lang sein."),
    ("x" * 64 + "@" + "d" * 63 + "." + "d" * 63 + "." + "d" * 60 + ".de", "höchstens 254 Zeichen"),
    ("x" * 40 + "@" + ".".join(["ü" * 20] * 8) + ".de", INVALID),  # 211 characters, 300 in ASCII
]

# typed -> stored (and mailed to): lower case; an internationalized domain in its ASCII (IDNA) form
ACCEPTED = [
    (" Eva.Muster@Example.ORG ", "eva.muster@example.org"),
    ("eva+portal@example.org", "eva+portal@example.org"),
    ("x" * 64 + "@example.org", "x" * 64 + "@example.org"),
    ("eva@bücher.de", "eva@xn--bcher-kva.de"),
    ("Eva@BÜCHER.de", "eva@xn--bcher-kva.de"),
    ("eva@xn--bcher-kva.de", "eva@xn--bcher-kva.de"),
    ("eva@ｅxample.org", "eva@example.org"),  # full-width letter, as some keyboards type it
]


@pytest.mark.parametrize("typed, message", REFUSED)
def test_refused_addresses_say_why(typed, message):
    with pytest.raises(email_addresses.InvalidEmailAddress) as refused:
        email_addresses.normalize(typed)
    assert message in refused.value.message and refused.value.field == "email"


@pytest.mark.parametrize("typed, stored", ACCEPTED)
def test_accepted_addresses_have_one_stored_form(typed, stored):
    assert email_addresses.normalize(typed) == stored


def test_no_dns_look_ups(monkeypatch):
    """Syntax only, in production too: a domain that does not exist is fine until the mail bounces."""
    import dns.resolver

    def no_dns(*args, **kwargs):
        raise AssertionError("DNS look-up")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_dns)
    monkeypatch.setattr(dns.resolver, "resolve", no_dns)
    assert email_addresses.normalize("eva@nirgends-registriert-7f3a.de") == "eva@nirgends-registriert-7f3a.de"


def field_error(body, field="email"):
    found = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def nothing_mailed():
    return not OutboxMail.select().exists()


# --- the three forms that take a new address -------------------------------------------------


@pytest.fixture
def letter(demo_logins):
    code = demo_logins["registration_codes"][0]
    return {"registration_number": code["code"], "last_name": code["name"].split()[-1]}


def register(client, auth, letter, email):
    return client.post("/registrieren/", data={
        "csrf_token": auth.csrf_token(), **letter, "email": email, "password": PASSWORD,
        "password_repeat": PASSWORD, "accept_terms": "y",
    })


@pytest.mark.parametrize("typed, message", REFUSED)
def test_registration_refuses_and_mails_nobody(client, auth, letter, data, typed, message):
    users = User.select().count()
    response = register(client, auth, letter, typed)
    assert response.status_code == 422 and message in field_error(response.get_data(as_text=True))
    assert User.select().count() == users and nothing_mailed()
    assert RegistrationCode.get(RegistrationCode.code == letter["registration_number"]).used_at is None


@pytest.mark.parametrize("typed, message", REFUSED)
def test_email_change_refuses_and_mails_nobody(client, auth, data, typed, message):
    tenant = auth.login_as("juergen")
    response = client.post("/konto/email", data={"csrf_token": auth.csrf_token(), "email": typed,
                                                 "password": tenant["password"]})
    assert response.status_code == 422 and message in field_error(response.get_data(as_text=True))
    assert not EmailConfirmation.select().where(EmailConfirmation.purpose == "email_change").exists()
    assert nothing_mailed()


NUMBER_REQUEST = {"first_name": "Erika", "last_name": "Mustermann", "street": "Brünnler Straße 3",
                  "postcode": "04209", "city": "Leipzig", "cooperative": "", "reference_number": ""}


@pytest.mark.parametrize("typed, message", REFUSED)
def test_number_request_refuses_and_stores_nothing(client, auth, data, typed, message):
    response = client.post("/registrieren/nummer-anfordern",
                           data={**NUMBER_REQUEST, "email": typed, "csrf_token": auth.csrf_token()})
    assert response.status_code == 422 and message in field_error(response.get_data(as_text=True))
    assert not RegistrationNumberRequest.select().exists() and nothing_mailed()


def test_number_request_stores_the_normalized_address_or_none(client, auth, data):
    for typed in ("Erika@Bücher.de", ""):
        response = client.post("/registrieren/nummer-anfordern",
                               data={**NUMBER_REQUEST, "email": typed, "csrf_token": auth.csrf_token()})
        assert response.status_code == 303
    assert [r.email for r in RegistrationNumberRequest.select().order_by(RegistrationNumberRequest.id)] == [
        "erika@xn--bcher-kva.de", ""]


def test_services_refuse_lists_whatever_the_form(app, data, demo_logins):
    """Defence in depth: the services check the address themselves."""
    juergen = User.get(User.email == demo_logins["tenants"][0]["email"])
    listed = "eins@example.net,zwei@example.net"
    with app.test_request_context():
        with pytest.raises(email_addresses.InvalidEmailAddress):
            email_change.request_change(juergen, listed, demo_logins["tenants"][0]["password"])
        with pytest.raises(email_addresses.InvalidEmailAddress):
            code = demo_logins["registration_codes"][0]
            registration.register(registration.RegistrationData(code["code"], code["name"].split()[-1], listed,
                                                                PASSWORD))
        with pytest.raises(email_addresses.InvalidEmailAddress):
            registration.request_registration_number(**NUMBER_REQUEST, email=listed)
    assert nothing_mailed() and not RegistrationNumberRequest.select().exists()


def test_idn_address_is_stored_and_mailed_in_ascii_and_found_in_any_spelling(app, client, auth, letter, smtp, data):
    assert register(client, auth, letter, "Neu.Mieter@Bücher.de").status_code == 303
    user = User.get(User.email == "neu.mieter@xn--bcher-kva.de")
    assert deliver(app) == 1 and smtp.recipients == [["neu.mieter@xn--bcher-kva.de"]]
    code = re.search(r"^(\d{6})\r?$", mail_text(smtp.messages[0]), re.M).group(1)
    # the app path asks for the address again: typed with the umlaut, it finds the account
    response = client.post("/registrieren/code", data={"csrf_token": auth.csrf_token(),
                                                       "email": "neu.mieter@bücher.de", "code": code})
    assert response.status_code == 303
    assert User.get_by_id(user.id).confirmed_at is not None


# --- e-mail change: a few requests per account ------------------------------------------------


def request_change(client, auth, tenant, new_email, password=None):
    return client.post("/konto/email", data={"csrf_token": auth.csrf_token(), "email": new_email,
                                             "password": tenant["password"] if password is None else password})


def test_email_change_requests_are_limited_per_account(app, client, auth, data):
    assert app.config["RATELIMIT_EMAIL_CHANGE"] == "3 per hour; 10 per day"
    tenant = auth.login_as("juergen")
    # a mistyped password sends no mail and does not count
    assert request_change(client, auth, tenant, "neu0@example.net", "nicht-das-passwort").status_code == 422
    for number in range(1, 4):
        assert request_change(client, auth, tenant, f"neu{number}@example.net").status_code == 303
    assert OutboxMail.select().count() == 6  # a link to the new address, a notice to the old one

    refused = request_change(client, auth, tenant, "neu4@example.net")
    assert refused.status_code == 422
    assert "schon mehrmals eine neue E-Mail-Adresse angegeben" in field_error(refused.get_data(as_text=True))
    assert OutboxMail.select().count() == 6
    assert not EmailConfirmation.select().where(EmailConfirmation.email == "neu4@example.net").exists()

    # signing in again does not reset it; another account from the same browser is not affected
    auth.logout()
    auth.login_as("juergen")
    assert request_change(client, auth, tenant, "neu5@example.net").status_code == 422
    auth.logout()
    gisela = auth.login_as("gisela")
    assert request_change(client, auth, gisela, "gisela.neu@example.net").status_code == 303
