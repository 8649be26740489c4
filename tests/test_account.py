"""Kontaktdaten: phone numbers, e-mail change, Anschrift, password change, Meine Daten (issue 4)."""

import io
import json
import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.helpers import AuthActions, deliver, demo_tenant, htmx, mail_text, main_of
from wir import clock, formatting
from wir.models import (
    AuditLog,
    BankAccount,
    Consumption,
    Contract,
    Document,
    EmailConfirmation,
    Meter,
    MeterReading,
    OutboxMail,
    Person,
    PhoneNumber,
    TicketCategory,
    TicketType,
    Unit,
    User,
)
from wir.services.account import passwords, phones
from wir.services.rejections import Rejected

NEW_PASSWORD = "Laterne-Kompass-Heringe-Flut"


def user_of(tenant):
    return User.get(User.email == tenant["email"])


def stored_numbers(tenant):
    return [p.number for p in PhoneNumber.select().join(User).where(User.email == tenant["email"])
            .order_by(PhoneNumber.position, PhoneNumber.id)]


# --- Kontaktdaten page -----------------------------------------------------------------------


def test_contact_data_page_shows_everything_in_readable_form(client, auth, data):
    tenant = auth.login_as("juergen")
    page = client.get("/konto/kontaktdaten").get_data(as_text=True)
    assert "<h1>Kontaktdaten</h1>" in page and tenant["email"] in page
    assert "Privat</span>" in page and "0341 4928713" in page  # stored as +493414928713
    assert 'href="tel:+493414928713"' in page
    assert "Stuttgarter Allee 18" in page and "Sie dient zur Information und kann hier nicht geändert werden" in page
    for link in ("/konto/email", "/konto/passwort", "/konto/meine-daten", "/konto/telefon/neu"):
        assert f'href="{link}"' in page
    assert "folgt in Kürze" not in page


def test_address_links_to_kontakt_with_the_address_change_category(client, auth, data):
    auth.login_as("gisela")  # at both cooperatives: one link each
    page = client.get("/konto/anschrift").get_data(as_text=True)
    for person in Person.select().join(User).where(User.email.startswith("gisela")):
        category = (TicketCategory.select().join(TicketType)
                    .where((TicketCategory.key == "address_change") & (TicketType.cooperative == person.cooperative_id))
                    .get())
        link = f"/kontakt?concern=p{person.id}&amp;ticket_type={category.ticket_type_id}&amp;category={category.id}"
        assert link in page
    assert "<input" not in page.split('<main id="main"')[1]


# --- phone editor -------------------------------------------------------------------------


def test_add_phone_without_javascript(client, auth, data):
    tenant = auth.login_as("gisela")  # one number so far
    page = client.get("/konto/telefon/neu")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in body and "Neue Telefonnummer" in body
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "home",
                                                       "number": "(0341) 41519-0"})
    assert response.status_code == 303 and response.headers["Location"] == "/konto/kontaktdaten#telefon"
    assert stored_numbers(tenant) == ["+4917698765432", "+49341415190"]
    page = client.get("/konto/kontaktdaten").get_data(as_text=True)
    assert "Die Telefonnummer wurde hinzugefügt." in page and "0341 415190" in page


def test_add_phone_with_htmx_returns_the_list_only(client, auth, data):
    tenant = auth.login_as("gisela")
    form = client.get("/konto/telefon/neu", headers=htmx(auth)).get_data(as_text=True)
    assert "<html" not in form and form.lstrip().startswith('<div id="phones"') and 'name="number"' in form
    response = client.post("/konto/telefon/neu", data={"kind": "work", "number": "+44 20 7946 0958"},
                           headers=htmx(auth))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="phones"')
    assert "+44 20 7946 0958" in body and "Die Telefonnummer wurde hinzugefügt." in body
    assert 'name="number"' not in body  # back to the list
    assert "HX-Request" in response.headers["Vary"]
    assert stored_numbers(tenant)[-1] == "+442079460958"


def test_edit_phone_inline_and_as_page(client, auth, data):
    tenant = auth.login_as("juergen")
    phone = PhoneNumber.get(PhoneNumber.number == "+493414928713")
    url = f"/konto/telefon/{phone.id}/aendern"
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'value="0341 4928713"' in page and "Telefonnummer ändern" in page
    fragment = client.get(url, headers=htmx(auth)).get_data(as_text=True)
    assert "<html" not in fragment and 'value="0341 4928713"' in fragment
    assert fragment.count("<form") == 1  # only this row is a form
    response = client.post(url, data={"kind": "work", "number": "0341 98765-43"}, headers=htmx(auth))
    assert response.status_code == 200 and "Die Telefonnummer wurde gespeichert." in response.get_data(as_text=True)
    assert PhoneNumber.get_by_id(phone.id).number == "+493419876543"
    assert PhoneNumber.get_by_id(phone.id).kind == "work"
    plain = client.post(url, data={"csrf_token": auth.csrf_token(), "kind": "home", "number": "0341 4928713"})
    assert plain.status_code == 303
    assert stored_numbers(tenant)[0] == "+493414928713"


def test_delete_asks_first(client, auth, data):
    tenant = auth.login_as("juergen")
    phone = PhoneNumber.get(PhoneNumber.number == "+4915112345678")
    url = f"/konto/telefon/{phone.id}/loeschen"
    question = client.get(url)
    assert question.status_code == 200 and "Diese Telefonnummer wirklich löschen?" in question.get_data(as_text=True)
    assert PhoneNumber.get_or_none(PhoneNumber.id == phone.id) is not None  # asking deletes nothing
    fragment = client.get(url, headers=htmx(auth)).get_data(as_text=True)
    assert "<html" not in fragment and "Ja, löschen" in fragment
    response = client.post(url, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert stored_numbers(tenant) == ["+493414928713"]
    assert client.post(url, data={"csrf_token": auth.csrf_token()}).status_code == 404  # gone


def test_delete_with_htmx(client, auth, data):
    tenant = auth.login_as("juergen")
    phone = PhoneNumber.get(PhoneNumber.number == "+493414928713")
    response = client.post(f"/konto/telefon/{phone.id}/loeschen", headers=htmx(auth))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Die Telefonnummer wurde gelöscht." in body and "0341 4928713" not in body
    assert stored_numbers(tenant) == ["+4915112345678"]


def test_fourth_number_is_refused_whatever_the_request(client, auth, data):
    tenant = auth.login_as("s.yilmaz")  # two numbers
    client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "home", "number": "0341 1111111"})
    assert len(stored_numbers(tenant)) == 3
    page = client.get("/konto/kontaktdaten").get_data(as_text=True)
    assert 'href="/konto/telefon/neu"' not in page and "höchstens drei Telefonnummern" in page
    add_page = client.get("/konto/telefon/neu").get_data(as_text=True)
    assert 'name="number"' not in add_page and "höchstens drei Telefonnummern" in add_page
    for headers in ({}, htmx(auth)):
        response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "mobile",
                                                           "number": "0160 9999999"}, headers=headers)
        assert response.status_code == 422
        assert "höchstens drei Telefonnummern" in response.get_data(as_text=True)
    assert len(stored_numbers(tenant)) == 3


def test_limit_holds_in_the_service_too(client, auth, data):
    tenant = auth.login_as("s.yilmaz")
    user = user_of(tenant)
    phones.add(user, "home", "0341 1111111")
    with pytest.raises(Rejected, match="höchstens drei"):
        phones.add(user, "home", "0341 2222222")
    assert PhoneNumber.select().where(PhoneNumber.user == user).count() == 3


PHONE_CASES = [
    ("", "Bitte geben Sie eine Telefonnummer ein."),
    ("   ", "Bitte geben Sie eine Telefonnummer ein."),
    ("0800-FLOWERS", "besteht aus Ziffern"),
    ("12", "gültige Telefonnummer"),
    ("0341", "gültige Telefonnummer"),
    ("0000000000", "gültige Telefonnummer"),
    ("+999 1234", "gültige Telefonnummer"),
    ("0341 1" + "2" * 40, "höchstens 40 Zeichen"),
    ("<script>alert(1)</script>", "besteht aus Ziffern"),
    ("+49 176 98765432", "bereits hinterlegt"),  # Gisela's own mobile number, written differently
]


@pytest.mark.parametrize("number, message", PHONE_CASES)
def test_bad_phone_numbers_are_refused_next_to_the_field(client, auth, data, number, message):
    tenant = auth.login_as("gisela")
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "mobile",
                                                       "number": number})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p class="field__error" id="number-error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1)
    assert "<script>alert(1)</script>" not in body
    assert stored_numbers(tenant) == ["+4917698765432"]


def test_unknown_kind_is_refused(client, auth, data):
    tenant = auth.login_as("gisela")
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "fax",
                                                       "number": "0341 1234567"})
    assert response.status_code == 422
    assert "Bitte wählen Sie einen Eintrag aus der Liste." in response.get_data(as_text=True)
    assert stored_numbers(tenant) == ["+4917698765432"]


def test_phone_changes_are_audited_without_the_number(client, auth, data):
    auth.login_as("gisela")
    client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "home", "number": "0341 4567890"})
    phone = PhoneNumber.get(PhoneNumber.number == "+493414567890")
    client.post(f"/konto/telefon/{phone.id}/loeschen", data={"csrf_token": auth.csrf_token()})
    actions = [(e.action, e.object_id) for e in AuditLog.select().order_by(AuditLog.id)]
    assert actions[-2:] == [("phone.added", str(phone.id)), ("phone.removed", str(phone.id))]
    assert all("4567890" not in e.detail for e in AuditLog.select())


@pytest.mark.parametrize("number, kind", [
    ("0341 1234567", "home"),  # a Leipzig landline: Privat
    ("0151 12345678", "mobile"),
    ("+48 22 1234567", "home"),
    ("+48 601 234 567", "mobile"),
])
def test_a_new_number_gets_the_kind_phonenumbers_sees_unless_one_is_chosen(client, auth, data, number, kind):
    tenant = auth.login_as("gisela")
    page = client.get("/konto/telefon/neu").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="kind"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert select.startswith('<option value="">Automatisch erkennen</option>') and "selected" not in select
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "", "number": number})
    assert response.status_code == 303
    assert PhoneNumber.select().join(User).where(User.email == tenant["email"]).order_by(PhoneNumber.id.desc()) \
        .first().kind == kind


def test_a_chosen_kind_is_kept_whatever_the_number(client, auth, data):
    tenant = auth.login_as("gisela")
    client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "work", "number": "0152 23456789"})
    phone = PhoneNumber.get(PhoneNumber.number == "+4915223456789")
    assert phone.kind == "work"
    page = client.get(f"/konto/telefon/{phone.id}/aendern").get_data(as_text=True)
    assert re.search(r'<option selected value="work">Dienstlich</option>', page)
    client.post(f"/konto/telefon/{phone.id}/aendern", data={"csrf_token": auth.csrf_token(), "kind": "",
                                                           "number": "0341 1234567"})
    assert PhoneNumber.get_by_id(phone.id).kind == "home"  # "Automatisch erkennen" chosen on purpose
    assert stored_numbers(tenant) == ["+4917698765432", "+493411234567"]


# --- the review after the first sign-in offers the phone editor ---


def test_review_without_a_number_offers_adding_one_without_javascript(client, auth, data):
    tenant = auth.login_as("lukasz")  # not reviewed yet, no number
    page = client.get("/konto/kontaktdaten-pruefen?next=/vertraege/").get_data(as_text=True)
    assert "Sie haben noch keine Telefonnummer hinterlegt." in page
    assert 'href="/konto/telefon/neu"' in page and 'hx-get="/konto/telefon/neu"' in page
    adding = client.get("/konto/telefon/neu")
    body = adding.get_data(as_text=True)
    assert adding.status_code == 200  # the review does not send the editor back to itself
    assert "<h1>Bitte überprüfen Sie Ihre Kontaktdaten</h1>" in body and "Neue Telefonnummer" in body
    assert 'href="/konto/kontaktdaten-pruefen#telefon"' in body  # Abbrechen stays on the review
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "",
                                                       "number": "0341 1234567"})
    assert response.status_code == 303 and response.headers["Location"] == "/konto/kontaktdaten-pruefen#telefon"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Telefonnummer wurde hinzugefügt." in page and "0341 1234567" in page and "Privat" in page
    assert stored_numbers(tenant) == ["+493411234567"]
    assert client.get("/vertraege/").status_code == 302  # still the review until it is confirmed
    done = client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    assert done.status_code == 303 and client.get("/vertraege/").status_code == 200


def test_review_adds_a_number_in_place_with_htmx(client, auth, data):
    tenant = auth.login_as("lukasz")
    form = client.get("/konto/telefon/neu", headers=htmx(auth))
    fragment = form.get_data(as_text=True)
    assert form.status_code == 200 and fragment.lstrip().startswith('<div id="phones"') and 'name="number"' in fragment
    response = client.post("/konto/telefon/neu", data={"kind": "", "number": "0151 12345678"}, headers=htmx(auth))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="phones"')
    assert "Die Telefonnummer wurde hinzugefügt." in body and "Mobil" in body
    assert formatting.phone("+4915112345678") in body
    assert stored_numbers(tenant) == ["+4915112345678"]
    assert client.get("/vertraege/").status_code == 302  # the other pages wait for the review


# --- E-Mail-Adresse ändern --------------------------------------------------------------------


def _request_change(client, auth, tenant, new_email, password=None):
    return client.post("/konto/email", data={"csrf_token": auth.csrf_token(), "email": new_email,
                                             "password": tenant["password"] if password is None else password})


def _link_in(message):
    return re.search(r"http://localhost(/konto/email/bestaetigen/\S+)", mail_text(message)).group(1)


def test_email_change_confirmed_by_link(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    response = _request_change(client, auth, tenant, " Juergen.NEU@example.net ")
    assert response.status_code == 303 and response.headers["Location"] == "/konto/kontaktdaten"
    page = client.get("/konto/kontaktdaten").get_data(as_text=True)
    assert "Bestätigungslink an juergen.neu@example.net" in page and "Bestätigung ausstehend" in page
    assert user_of(tenant).email == tenant["email"]  # not before the confirmation
    assert deliver(app) == 2
    by_recipient = {m["To"]: m for m in smtp.messages}
    assert set(by_recipient) == {"juergen.neu@example.net", tenant["email"]}
    notice = mail_text(by_recipient[tenant["email"]])
    assert "juergen.neu@example.net" in notice and "/konto/email/bestaetigen/" not in notice
    link = _link_in(by_recipient["juergen.neu@example.net"])
    assert "24 Stunden" in mail_text(by_recipient["juergen.neu@example.net"])

    assert client.get(link).status_code == 200
    assert User.get_by_id(user_of(tenant).id).email == tenant["email"]  # GET changes nothing
    done = client.post(link, data={"csrf_token": auth.csrf_token()})
    assert done.status_code == 303
    assert User.get(User.email == "juergen.neu@example.net")
    assert client.get(link).status_code == 410  # once only
    assert [e.action for e in AuditLog.select().where(AuditLog.action.startswith("email."))] == [
        "email.change_requested", "email.changed"]

    # the login name has changed
    other = AuthActions(app.test_client(), auth.logins)
    assert other.login(tenant["email"], tenant["password"]).status_code == 422
    assert other.login("juergen.neu@example.net", tenant["password"]).status_code == 303


def test_email_link_needs_the_account_that_asked(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    _request_change(client, auth, tenant, "juergen.neu@example.net")
    deliver(app)
    link = _link_in(next(m for m in smtp.messages if m["To"] == "juergen.neu@example.net"))
    auth.logout()
    # signed out: to Anmelden and back
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=/konto/email/")
    # another tenant: not theirs
    auth.login_as("gisela")
    assert client.get(link).status_code == 404
    assert client.post(link, data={"csrf_token": auth.csrf_token()}).status_code == 404
    assert User.get_or_none(User.email == "juergen.neu@example.net") is None


def test_email_link_expires_after_24_hours(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    _request_change(client, auth, tenant, "juergen.neu@example.net")
    deliver(app)
    link = _link_in(next(m for m in smtp.messages if m["To"] == "juergen.neu@example.net"))
    confirmation = EmailConfirmation.get(EmailConfirmation.purpose == "email_change")
    assert abs(confirmation.expires_at - confirmation.created_at - timedelta(hours=24)) < timedelta(seconds=1)
    assert client.get(link).status_code == 200
    # a day later (the clock stays: the session would time out in between)
    EmailConfirmation.update(expires_at=clock.now() - timedelta(seconds=1)).execute()
    expired = client.post(link, data={"csrf_token": auth.csrf_token()})
    assert expired.status_code == 410 and "nicht mehr gültig" in expired.get_data(as_text=True)
    assert User.get_or_none(User.email == "juergen.neu@example.net") is None


def test_taken_address_gets_the_same_answer(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    taken = demo_tenant(auth.logins, "gisela")["email"]
    free = _request_change(client, auth, tenant, "frei@example.net")
    free_page = main_of(client.get("/konto/kontaktdaten").get_data(as_text=True))
    used = _request_change(client, auth, tenant, taken)
    used_page = main_of(client.get("/konto/kontaktdaten").get_data(as_text=True))
    assert (free.status_code, free.headers["Location"]) == (used.status_code, used.headers["Location"])
    # the page says the same (the layout around it carries a CSRF token that is signed with the time)
    assert free_page.replace("frei@example.net", "X") == used_page.replace(taken, "X")
    deliver(app)
    to_taken = [m for m in smtp.messages if m["To"] == taken]
    assert len(to_taken) == 1 and "/konto/email/bestaetigen/" not in mail_text(to_taken[0])
    assert "bereits einen Zugang" in mail_text(to_taken[0])
    assert len([m for m in smtp.messages if m["To"] == tenant["email"]]) == 2  # a notice each time
    assert user_of(tenant).email == tenant["email"] and User.select().where(User.email == taken).count() == 1


@pytest.mark.parametrize("email, password, message", [
    ("", None, "Bitte geben Sie Ihre E-Mail-Adresse ein."),
    ("kein-at-zeichen.de", None, "gültige E-Mail-Adresse"),
    ("zwei leer@example.org", None, "gültige E-Mail-Adresse"),
    ("name@localhost", None, "gültige E-Mail-Adresse"),
    ("a" * 250 + "@example.org", None, "höchstens 254 Zeichen"),
    ("JUERGEN.mueller@example.org", None, "Das ist bereits Ihre E-Mail-Adresse"),
    ("neu@example.net", "", "Bitte geben Sie zur Bestätigung Ihr Passwort ein."),
    ("neu@example.net", "nicht-das-passwort", "Das Passwort ist nicht richtig."),
])
def test_bad_email_change_input(client, auth, data, email, password, message):
    tenant = auth.login_as("juergen")
    response = _request_change(client, auth, tenant, email, password)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert not EmailConfirmation.select().where(EmailConfirmation.purpose == "email_change").exists()
    assert not OutboxMail.select().exists()


def test_email_change_with_htmx_swaps_the_form(client, auth, data):
    tenant = auth.login_as("juergen")
    response = client.post("/konto/email", data={"email": "x", "password": tenant["password"]}, headers=htmx(auth))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith('<form id="email-form"')
    ok = client.post("/konto/email", data={"email": "neu@example.net", "password": tenant["password"]},
                     headers=htmx(auth))
    assert ok.status_code == 204 and ok.headers["HX-Location"] == "/konto/kontaktdaten"
    # htmx loads that location with HX-Request: it must get the whole page, not the phone list
    landing = client.get("/konto/kontaktdaten", headers=htmx(auth)).get_data(as_text=True)
    assert "<h1>Kontaktdaten</h1>" in landing and "Bestätigung ausstehend" in landing


def test_wrong_passwords_count_like_failed_sign_ins(client, auth, data):
    """Re-authentication shares sign-in's counter: an open session cannot be used to guess the password."""
    tenant = auth.login_as("juergen")
    for _ in range(3):
        assert _request_change(client, auth, tenant, "neu@example.net", "falsch-falsch-falsch").status_code == 422
    locked = _request_change(client, auth, tenant, "neu@example.net")  # even the right one, for now
    assert locked.status_code == 422 and "gesperrt" in locked.get_data(as_text=True)
    assert not EmailConfirmation.select().where(EmailConfirmation.purpose == "email_change").exists()


# --- Passwort ändern ---------------------------------------------------------------------


def _password_form(auth, current, new, repeat=None):
    return {"csrf_token": auth.csrf_token(), "current_password": current, "password": new,
            "password_repeat": new if repeat is None else repeat}


def test_password_change_ends_other_sessions(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    other_device = AuthActions(app.test_client(), auth.logins)
    other_device.login(tenant["email"], tenant["password"])
    assert other_device.client.get("/konto/kontaktdaten").status_code == 200
    response = client.post("/konto/passwort", data=_password_form(auth, tenant["password"], NEW_PASSWORD))
    assert response.status_code == 303
    page = client.get("/konto/kontaktdaten")
    assert page.status_code == 200 and "Ihr Passwort wurde geändert" in page.get_data(as_text=True)  # this one goes on
    assert other_device.client.get("/konto/kontaktdaten").status_code == 302  # that one has ended
    deliver(app)
    assert [m["Subject"] for m in smtp.messages] == ["Ihr Passwort wurde geändert"]
    fresh = AuthActions(app.test_client(), auth.logins)
    assert fresh.login(tenant["email"], tenant["password"]).status_code == 422
    assert fresh.login(tenant["email"], NEW_PASSWORD).status_code == 303
    assert AuditLog.select().where(AuditLog.action == "password.changed").count() == 1


def test_password_change_with_htmx_reloads_the_whole_page(client, auth, data):
    tenant = auth.login_as("juergen")
    invalid = client.post("/konto/passwort", data={"current_password": tenant["password"], "password": "kurz",
                                                   "password_repeat": "kurz"}, headers=htmx(auth))
    assert invalid.status_code == 422 and invalid.get_data(as_text=True).lstrip().startswith('<form id="password-form"')
    done = client.post("/konto/passwort", data={"current_password": tenant["password"], "password": NEW_PASSWORD,
                                                "password_repeat": NEW_PASSWORD}, headers=htmx(auth))
    # the new session has a new CSRF token, which only a full load puts into <body hx-headers>
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/konto/kontaktdaten"


@pytest.mark.parametrize("current, new, repeat, field, message", [
    ("falsches-passwort-1", NEW_PASSWORD, None, "current_password", "Das Passwort ist nicht richtig."),
    ("", NEW_PASSWORD, None, "current_password", "Bitte geben Sie zur Bestätigung Ihr Passwort ein."),
    (None, "kurz", None, "password", "mindestens 12 Zeichen"),
    (None, "Juergen-Mueller-1958", None, "password", "weder Ihren Namen"),
    (None, "passwortpasswort", None, "password", "zu leicht zu erraten"),
    (None, NEW_PASSWORD, "anders", "password_repeat", "stimmen nicht überein"),
    (None, "SAME", None, "password", "muss sich vom bisherigen unterscheiden"),
])
def test_bad_password_change(client, auth, data, current, new, repeat, field, message):
    tenant = auth.login_as("juergen")
    current = tenant["password"] if current is None else current
    new = tenant["password"] if new == "SAME" else new
    hash_before = user_of(tenant).password_hash
    response = client.post("/konto/passwort", data=_password_form(auth, current, new, repeat))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1), body[:500]
    assert user_of(tenant).password_hash == hash_before
    assert not OutboxMail.select().exists()


def test_password_criteria_while_typing(client, auth, data):
    auth.login_as("juergen")
    response = client.post("/konto/passwort/pruefen", data={"password": "Juergen-Mueller-1958"}, headers=htmx(auth))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<ul class="criteria"')
    assert re.search(r"mindestens 12 Zeichen lang sein<span class=\"visually-hidden\">: erfüllt<", body)
    # the name is refused: it is Jürgen Müller's own
    assert re.search(r"frei von Ihrem Namen[^<]*<span class=\"visually-hidden\">: noch nicht erfüllt<", body)


# --- Meine Daten herunterladen ----------------------------------------------------------------


def _download(client, auth, password):
    return client.post("/konto/meine-daten", data={"csrf_token": auth.csrf_token(), "password": password})


def test_data_download_holds_everything_of_the_user_and_nothing_of_others(client, auth, data):
    tenant = auth.login_as("juergen")
    for number, person_number in (("D-JM-1", "104711"), ("D-MM-1", "104712")):  # Jürgen's and Monika's letters
        Document.create(person=Person.get(Person.number == person_number), kind="letter", title=f"Schreiben {number}",
                        number=number, filename=f"{number}.pdf", storage_key="0" * 64)
    heat_meter = Meter.select().join(Unit).join(Contract).where(
        (Contract.number == "MV-1001-0203") & (Meter.kind == "heating")).get()
    MeterReading.create(meter=heat_meter, person=Person.get(Person.number == "104711"), value=Decimal("12345.5"),
                        read_on=date(2026, 11, 30))
    assert "Herunterladen" in client.get("/konto/meine-daten").get_data(as_text=True)
    response = _download(client, auth, tenant["password"])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["meine-daten.html", "meine-daten.json"]
    raw = archive.read("meine-daten.json").decode()
    exported = json.loads(raw)
    summary = archive.read("meine-daten.html").decode()

    assert exported["zugang"]["e_mail_adresse"] == tenant["email"]
    assert [p["mitgliedsnummer"] for p in exported["personen"]] == ["104711"]
    assert [p["nummer"] for p in exported["telefonnummern"]] == ["+493414928713", "+4915112345678"]
    contracts = {c["vertragsnummer"]: c for c in exported["vertraege"]}
    assert set(contracts) == {"MV-1001-0203", "SP-9001-0012", "MG-104711"}
    rental = contracts["MV-1001-0203"]
    assert rental["grundmiete"] == "391.21" and rental["ihre_rolle"] == ["Hauptmieter"]
    full_iban = rental["bankverbindungen"][0]["iban"]
    assert re.fullmatch(r"DE\d{20}", full_iban) and full_iban in summary  # the full IBAN only here
    tickets = exported["meldungen"]
    assert tickets and all(t["nachrichten"] for t in tickets)
    assert exported["sparvertraege"] and exported["sparvertraege"][0]["umsaetze"]
    assert [o["steuer_id"] for o in exported["freistellungsauftraege"]] == ["36574261809"]
    juergen = Person.get(Person.number == "104711")
    own_documents = {d.number for d in Document.select().where(Document.person == juergen)}
    assert {d["nummer"] for d in exported["dokumente"]} == own_documents and "D-JM-1" in own_documents
    assert any(e["aktion"] == "data.exported" for e in exported["protokoll"])
    # the flat's monthly values of the tenancy (36 demo months per meter), and the Zählerstände the tenant sent
    consumption = exported["verbrauch"]
    assert {v["vertrag"] for v in consumption} == {"MV-1001-0203"}
    assert {v["art"] for v in consumption} == {"Heizung", "Warmwasser", "Kaltwasser"}
    assert len(consumption) == Consumption.select().join(Meter).join(Unit).join(Contract)\
        .where(Contract.number == "MV-1001-0203").count()
    assert [(z["zaehlernummer"], Decimal(z["zaehlerstand"]), z["abgelesen_am"]) for z in exported["zaehlerstaende"]] \
        == [(heat_meter.number, Decimal("12345.5"), "2026-11-30")]
    assert "Gemeldete Zählerstände" in summary and "12.345,500" in summary and exported["personen"][0]["verbrauchsinformation_per_post"] is False

    # nothing of anybody else: not the co-tenant, not other tenants, not staff
    monika = Person.get(Person.number == "104712")
    for other in (monika.first_name, monika.birth_date.isoformat(), "gisela", "Weiß", "Yılmaz", "Sandra Köhler",
                  "sachbearbeitung@"):
        assert other not in raw and other not in summary, other
    others_ibans = [a.iban for a in BankAccount.select() if a.iban != full_iban]
    assert others_ibans and not any(iban in raw for iban in others_ibans)
    assert "D-MM-1" not in raw


def _monika_signs_in(auth):
    """Monika Müller, Jürgen's co-tenant of MV-1001-0203 in the demo, with an account of her own."""
    user = User.create(email="monika.mueller@example.org", password_hash=passwords.hash_password(NEW_PASSWORD),
                       confirmed_at=clock.now(), contact_reviewed_at=clock.now())
    Person.update(user=user).where(Person.number == "104712").execute()
    assert auth.login(user.email, NEW_PASSWORD).status_code == 303
    return user


def _exported_shared_rental(client, auth, password):
    archive = zipfile.ZipFile(io.BytesIO(_download(client, auth, password).data))
    raw, summary = archive.read("meine-daten.json").decode(), archive.read("meine-daten.html").decode()
    rental = next(c for c in json.loads(raw)["vertraege"] if c["vertragsnummer"] == "MV-1001-0203")
    return {a["kontoinhaber"]: a for a in rental["bankverbindungen"]}, raw + summary


def test_data_download_masks_the_ibans_of_other_people_on_a_shared_contract(client, auth, data):
    """In full only what the user filed or holds; a co-tenant's account is masked as on the pages."""
    shared = Contract.get(Contract.number == "MV-1001-0203")
    juergens = BankAccount.get(BankAccount.contract == shared)  # the demo's: held by Jürgen, the main tenant
    juergen = User.get(User.email == demo_tenant(auth.logins, "juergen")["email"])
    monika = _monika_signs_in(auth)
    fields = {"contract": shared, "bic": "", "valid_from": clock.today(), "status": "pending"}
    hers = BankAccount.create(**fields, holder="Monika Müller", iban="DE02120300000000202051",
                              mandate_reference="LIP-MV-1001-0203-02", created_by=monika)
    # filed by Jürgen for somebody outside the contract: his in full, not Monika's
    third = BankAccount.create(**fields, holder="Erika Beispiel", iban="DE75512108001245126199",
                               mandate_reference="LIP-MV-1001-0203-03", created_by=juergen)

    accounts, exported = _exported_shared_rental(client, auth, NEW_PASSWORD)
    assert accounts["Monika Müller"]["iban"] == hers.iban and accounts["Monika Müller"]["iban_vollstaendig"]
    for other in (juergens, third):
        assert accounts[other.holder]["iban"] == formatting.masked_iban(other.iban)
        assert accounts[other.holder]["iban_vollstaendig"] is False
        assert other.iban not in exported
    assert "gekürzt: Bankverbindung einer anderen Person" in exported

    auth.logout()
    tenant = auth.login_as("juergen")
    accounts, exported = _exported_shared_rental(client, auth, tenant["password"])
    assert accounts["Jürgen Müller"]["iban"] == juergens.iban and juergens.iban in exported
    assert accounts["Erika Beispiel"]["iban"] == third.iban
    assert accounts["Monika Müller"]["iban"] == formatting.masked_iban(hers.iban) and hers.iban not in exported


def test_data_download_needs_the_password(client, auth, data):
    auth.login_as("juergen")
    response = _download(client, auth, "nicht-das-passwort")
    assert response.status_code == 422 and "Das Passwort ist nicht richtig." in response.get_data(as_text=True)
    assert not AuditLog.select().where(AuditLog.action == "data.exported").exists()


# --- authorization and queries ------------------------------------------------------------------

PHONE_URLS = ["/konto/telefon/{id}/aendern", "/konto/telefon/{id}/loeschen"]


@pytest.mark.parametrize("intruder", ["gisela", "dieter"])  # same cooperative as Jürgen, other cooperative
@pytest.mark.parametrize("url", PHONE_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("with_htmx", [False, True])
def test_another_tenants_phone_urls_are_404(client, auth, data, intruder, url, method, with_htmx):
    auth.login_as(intruder)
    phone = PhoneNumber.get(PhoneNumber.number == "+493414928713")  # Jürgen's
    target = url.format(id=phone.id)
    headers = htmx(auth) if with_htmx else {}
    if method == "GET":
        response = client.get(target, headers=headers)
    else:
        response = client.post(target, data={"csrf_token": auth.csrf_token(), "kind": "home",
                                             "number": "0341 5555555"}, headers=headers)
    assert response.status_code == 404
    assert PhoneNumber.get_by_id(phone.id).number == "+493414928713"


@pytest.mark.parametrize("url", ["/konto/kontaktdaten", "/konto/telefon", "/konto/telefon/neu", "/konto/email",
                                 "/konto/passwort", "/konto/meine-daten", "/konto/anschrift"])
def test_account_pages_need_a_login(client, data, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=")


@pytest.mark.parametrize("url, fragment", [("/konto/kontaktdaten", False), ("/konto/telefon", True)])
def test_query_count_does_not_grow_with_phones(client, auth, data, count_queries, url, fragment):
    tenant = auth.login_as("lukasz")  # no numbers yet
    client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    headers = htmx(auth) if fragment else {}
    client.get(url, headers=headers)
    with count_queries() as before:
        assert client.get(url, headers=headers).status_code == 200
    for number in ("0341 1111111", "0341 2222222", "0341 3333333"):
        phones.add(user_of(tenant), "home", number)
    for other in User.select().where(User.email != tenant["email"]):
        PhoneNumber.create(user=other, kind="work", number="+493419999999", position=9)
    with count_queries() as after:
        page = client.get(url, headers=headers).get_data(as_text=True)
    assert page.count('class="phone-row"') == 3
    assert after.count == before.count, (before.statements, after.statements)
