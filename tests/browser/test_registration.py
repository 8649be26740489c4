"""Registrieren, Bestätigen (link and code), Registrierungsnummer anfordern and Passwort vergessen in a real browser.

The module has a live server of its own whose mails go over SMTP to a server in this
process (tests/smtp_server.py), delivered in the background as in production. The demo
data has three Registrierungsnummern and a confirmed registration uses its number up,
so each of the three complete registrations below takes one of them:

    codes[0]  by link, JavaScript on, desktop
    codes[1]  by code, JavaScript off, desktop
    codes[2]  by code, JavaScript on, phone (360 px)

Rate limits of the live server (per address, memory storage): 20 register POSTs an hour
(this module sends 6), 5 per Registrierungsnummer, 10 login POSTs a minute (3 here),
5 Passwort-vergessen and 5 Registrierungsnummer-anfordern POSTs an hour (1 each).
"""

import re

import pytest

from tests.browser.helpers import (
    LOGIN_FAILED,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    login,
    path_of,
    wait_for_htmx,
    wait_for_mail,
)
from tests.helpers import mail_text

pytestmark = pytest.mark.browser

PASSWORD = "Blauer-Kran-zieht-Wolken"  # strong, and none of the demo people's names
CONFIRM_SUBJECT = "Bitte bestätigen Sie Ihre E-Mail-Adresse"
RESET_SUBJECT = "Passwort zurücksetzen"
INVALID_CODE = "Registrierungsnummer und Nachname passen nicht zusammen"
CONSENT = re.compile(r"^Ich stimme den Nutzungsbedingungen zu")
REVIEW_HEADING = "Bitte überprüfen Sie Ihre Kontaktdaten"
CRITERIA = ("mindestens 12 Zeichen lang sein", "frei von Ihrem Namen", "schwer zu erraten sein")


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def letters(demo_logins):
    """The Registrierungsnummern of the demo data, each with the last name printed beside it."""
    return [
        {"code": c["code"], "name": c["name"], "last_name": c["name"].split()[-1]}
        for c in demo_logins["registration_codes"]
    ]


# --- helpers -----------------------------------------------------------------


def confirmation_link_and_code(message, live_server) -> tuple[str, str]:
    text = mail_text(message)
    link = re.search(re.escape(live_server.url) + r"/registrieren/bestaetigen/\S+", text)
    code = re.search(r"^(\d{6})\r?$", text, re.M)
    assert link and code, f"Link oder Bestätigungscode fehlt in der Mail:\n{text}"
    return link.group(0), code.group(1)


def criterion_state(page, label: str):
    """The screen-reader text of one criterion: ': erfüllt' or ': noch nicht erfüllt'."""
    return page.locator("#password-criteria li").filter(has_text=label).locator(".visually-hidden")


def expect_all_criteria_met(page) -> None:
    for label in CRITERIA:
        expect(criterion_state(page, label)).to_have_text(": erfüllt")


def fill_registration(page, letter: dict, email: str, password: str = PASSWORD, last_name: str | None = None) -> None:
    page.get_by_label("Registrierungsnummer", exact=True).fill(letter["code"])
    page.get_by_label("Nachname", exact=True).fill(last_name or letter["last_name"])
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_label("Passwort wiederholen", exact=True).fill(password)
    page.get_by_label(CONSENT).check()


def submit_registration(page) -> None:
    page.get_by_role("button", name="Registrieren", exact=True).click()


def expect_mail_sent_page(page, email: str) -> None:
    expect(page).to_have_url(re.compile(r"/registrieren/email-versendet$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihre E-Mail-Adresse")
    expect(page.get_by_text("Spam-Ordner")).to_be_visible()
    # "E-Mail erneut senden" is ready for the address just registered
    expect(page.get_by_label("E-Mail-Adresse", exact=True)).to_have_value(email)


def expect_review_page(page, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(REVIEW_HEADING)
    expect(page.get_by_text("Ihre E-Mail-Adresse ist bestätigt")).to_be_visible()
    expect(page.get_by_role("region", name="E-Mail-Adresse")).to_contain_text(email)


def expect_home_of(page, name: str) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Guten Tag, {name}")
    expect(page.locator("details.user-menu summary")).to_contain_text(name)


# --- the whole registration ----------------------------------------------------


def test_registration_by_link_with_javascript(page, live_server, mailbox, letters):
    letter, email = letters[0], "monika.neu@example.org"
    page.goto("/anmelden")
    page.get_by_role("link", name="Registrieren", exact=True).click()
    expect(page).to_have_url(re.compile(r"/registrieren/$"))
    wait_for_htmx(page)

    fill_registration(page, letter, email)
    expect_all_criteria_met(page)  # the debounced check has answered before the form is sent
    submit_registration(page)
    expect_mail_sent_page(page, email)
    assert_accessible(page)

    message = wait_for_mail(mailbox, email, CONFIRM_SUBJECT)
    assert letter["name"] in mail_text(message)
    link, _ = confirmation_link_and_code(message, live_server)

    response = page.goto(link)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("E-Mail-Adresse bestätigen")
    assert_accessible(page)
    page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()

    expect(page).to_have_url(re.compile(r"/konto/kontaktdaten-pruefen"))
    expect_review_page(page, email)
    assert_accessible(page)
    page.get_by_role("button", name="Meine Kontaktdaten sind richtig").click()
    expect_home_of(page, letter["name"])
    assert not page.wir_console_errors, f"Konsolenfehler: {page.wir_console_errors}"

    # the link works once; afterwards it leads to the explanation
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Dieser Link ist nicht mehr gültig")
    assert_accessible(page)


def test_password_criteria_update_while_typing(page):
    page.goto("/registrieren/")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    password = page.get_by_label("Passwort", exact=True)
    expect(password).to_have_accessible_description(re.compile("^Ihr Passwort muss: mindestens 12 Zeichen lang sein"))

    password.fill("kurz")
    # "personal" turns green once something without a name is typed: proof of the live update
    expect(criterion_state(page, "frei von Ihrem Namen")).to_have_text(": erfüllt")
    expect(criterion_state(page, "mindestens 12 Zeichen lang sein")).to_have_text(": noch nicht erfüllt")
    expect(criterion_state(page, "schwer zu erraten sein")).to_have_text(": noch nicht erfüllt")

    password.fill(PASSWORD)
    expect_all_criteria_met(page)

    # the other fields go along: the last name typed above counts as a personal word
    page.get_by_label("Nachname", exact=True).fill("Müller")
    password.fill("Müller-Blauer-Kran-Wolken")
    expect(criterion_state(page, "frei von Ihrem Namen")).to_have_text(": noch nicht erfüllt")
    expect(criterion_state(page, "mindestens 12 Zeichen lang sein")).to_have_text(": erfüllt")

    assert page.evaluate("window.wirNoReload") == "still here", "the page was reloaded instead of swapped"
    assert not page.wir_console_errors, f"Konsolenfehler: {page.wir_console_errors}"


def test_registration_by_code_without_javascript(nojs_page, live_server, mailbox, letters):
    page, letter, email = nojs_page, letters[1], "hannelore.neu@example.org"
    page.goto("/anmelden")
    assert page.evaluate("typeof window.htmx") == "undefined", "JavaScript should be off in this context"
    page.get_by_role("link", name="Registrieren", exact=True).click()
    expect(page).to_have_url(re.compile(r"/registrieren/$"))

    fill_registration(page, letter, email)
    submit_registration(page)
    expect_mail_sent_page(page, email)

    message = wait_for_mail(mailbox, email, CONFIRM_SUBJECT)
    _, code = confirmation_link_and_code(message, live_server)

    # the app path, reached from the guide on the page
    page.get_by_role("link", name="Bestätigungscode", exact=True).click()
    expect(page).to_have_url(re.compile(r"/registrieren/code$"))
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Bestätigungscode", exact=True).fill(code)
    page.get_by_role("button", name="Absenden").click()

    expect(page).to_have_url(re.compile(r"/konto/kontaktdaten-pruefen\?next=(/|%2F)$"))
    expect_review_page(page, email)
    page.get_by_role("button", name="Meine Kontaktdaten sind richtig").click()
    expect_home_of(page, letter["name"])


def test_registration_by_code_on_a_phone(new_page, live_server, mailbox, letters):
    page, letter, email = new_page("phone"), letters[2], "ayse.neu@example.org"
    page.goto("/anmelden")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Registrieren", exact=True).click()
    expect(page).to_have_url(re.compile(r"/registrieren/$"))
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page)

    fill_registration(page, letter, email)
    expect_all_criteria_met(page)
    assert_no_horizontal_scroll(page)
    submit_registration(page)
    expect_mail_sent_page(page, email)
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    message = wait_for_mail(mailbox, email, CONFIRM_SUBJECT)
    link, code = confirmation_link_and_code(message, live_server)

    # the link's page at phone width (opening it changes nothing; the code confirms below)
    assert page.goto(link).status == 200
    expect(page.get_by_role("button", name="E-Mail-Adresse bestätigen")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    page.goto("/registrieren/code")
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("E-Mail-Adresse", exact=True).fill(email)
    page.get_by_label("Bestätigungscode", exact=True).fill(code)
    page.get_by_role("button", name="Absenden").click()

    expect_review_page(page, email)
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_role("button", name="Meine Kontaktdaten sind richtig").click()
    expect_home_of(page, letter["name"])
    assert_no_horizontal_scroll(page)
    assert not page.wir_console_errors, f"Konsolenfehler: {page.wir_console_errors}"


# --- wrong input -----------------------------------------------------------------


def test_wrong_last_name_is_shown_at_the_number_without_reload(page, mailbox, letters):
    letter, email = letters[1], "falscher.name@example.org"
    page.goto("/registrieren/")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")

    fill_registration(page, letter, email, last_name="Schmidt")
    expect_all_criteria_met(page)
    submit_registration(page)

    number = page.get_by_label("Registrierungsnummer", exact=True)
    field = page.locator(".field", has=number)
    expect(field.locator(".field__error")).to_contain_text(INVALID_CODE)
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_have_accessible_description(re.compile(INVALID_CODE))
    expect(page.get_by_role("alert")).to_contain_text(INVALID_CODE)  # the summary above the form
    # nothing typed is lost but the passwords
    expect(page.get_by_label("E-Mail-Adresse", exact=True)).to_have_value(email)
    expect(number).to_have_value(letter["code"])
    expect(page.get_by_label("Nachname", exact=True)).to_have_value("Schmidt")
    expect(page.get_by_label(CONSENT)).to_be_checked()

    assert page.evaluate("window.wirNoReload") == "still here", "the page was reloaded instead of swapped"
    assert path_of(page) == "/registrieren/"
    assert_accessible(page)
    errors = [e for e in page.wir_console_errors if "status of 422" not in e]  # the refused form's answer
    assert not errors, f"Konsolenfehler: {errors}"
    assert not [m for m in mailbox.messages if m["To"] == email]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_registration_form_with_errors_is_accessible(new_page, viewport):
    page = new_page(viewport)
    page.goto("/registrieren/")
    wait_for_htmx(page)
    submit_registration(page)  # everything empty: an error at every field
    expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Eingaben")
    expect(page.locator(".field__error")).to_have_count(6)
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page)


# --- Passwort vergessen ----------------------------------------------------------


def test_forgot_password_without_javascript(nojs_page, new_page, live_server, mailbox, demo_logins):
    # This module's live server has nobody else signed in; its only logins are this test's.
    tenant = demo_logins["tenants"][-1]
    new_password = "Gruene-Tinte-auf-Papier"
    page = nojs_page
    page.goto("/anmelden")
    page.get_by_role("link", name="Passwort vergessen?").click()
    expect(page).to_have_url(re.compile(r"/passwort-vergessen$"))
    page.get_by_label("E-Mail-Adresse", exact=True).fill(tenant["email"])
    page.get_by_role("button", name="Link senden").click()
    expect(page).to_have_url(re.compile(r"/anmelden$"))
    expect(page.get_by_text("Wenn zu dieser E-Mail-Adresse ein Zugang besteht")).to_be_visible()

    text = mail_text(wait_for_mail(mailbox, tenant["email"], RESET_SUBJECT))
    found = re.search(re.escape(live_server.url) + r"/passwort-neu/\S+", text)
    assert found, f"kein Link in der Mail:\n{text}"
    link = found.group(0)

    # the form at both widths (opening the link does not use it up)
    for viewport in ("desktop", "phone"):
        other = new_page(viewport)
        assert other.goto(link).status == 200
        expect(other.get_by_role("heading", level=1)).to_have_text("Neues Passwort festlegen")
        assert_accessible(other)
        if viewport == "phone":
            assert_no_horizontal_scroll(other)

    assert page.goto(link).status == 200
    page.get_by_label("Passwort", exact=True).fill(new_password)
    page.get_by_label("Passwort wiederholen", exact=True).fill(new_password)
    page.get_by_role("button", name="Passwort speichern").click()
    expect(page).to_have_url(re.compile(r"/anmelden$"))
    expect(page.get_by_text("Ihr Passwort wurde geändert")).to_be_visible()
    wait_for_mail(mailbox, tenant["email"], "Ihr Passwort wurde geändert")

    # the old password no longer works, the new one does
    page.get_by_label("E-Mail-Adresse", exact=True).fill(tenant["email"])
    page.get_by_label("Passwort", exact=True).fill(tenant["password"])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text(LOGIN_FAILED)).to_be_visible()
    login(page, {**tenant, "password": new_password})
    expect(page.locator("details.user-menu summary")).to_contain_text(tenant["name"])

    # the link works once
    assert page.goto(link).status == 410
    expect(page.get_by_role("link", name="Neuen Link anfordern")).to_be_visible()


# --- the other pages ------------------------------------------------------------


def test_request_number_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/registrieren/")
    page.get_by_role("link", name="Registrierungsnummer anfordern").click()
    expect(page).to_have_url(re.compile(r"/registrieren/nummer-anfordern$"))
    page.get_by_label("Vorname", exact=True).fill("Erika")
    page.get_by_label("Nachname", exact=True).fill("Mustermann")
    page.get_by_label("Straße und Hausnummer").fill("Brünnler Straße 3")
    page.get_by_label("Postleitzahl").fill("04209")
    page.get_by_label("Ort", exact=True).fill("Leipzig")
    page.get_by_label("Genossenschaft").select_option(label="WG „Lipsia“ eG")
    page.get_by_role("button", name="Absenden").click()

    expect(page).to_have_url(re.compile(r"/registrieren/nummer-angefordert$"))
    expect(page.get_by_text("per Post")).to_be_visible()  # axe: test_page_is_accessible[nummer-angefordert-*]


PAGES = [
    pytest.param("/registrieren/", 200, "Registrieren", id="registrieren"),
    pytest.param("/registrieren/email-versendet", 200, "Bitte bestätigen Sie Ihre E-Mail-Adresse", id="email-versendet"),
    pytest.param("/registrieren/code", 200, "Bestätigungscode eingeben", id="code"),
    pytest.param("/registrieren/nummer-anfordern", 200, "Registrierungsnummer anfordern", id="nummer-anfordern"),
    pytest.param("/registrieren/nummer-angefordert", 200, "Vielen Dank für Ihre Anfrage", id="nummer-angefordert"),
    pytest.param("/nutzungsbedingungen", 200, "Nutzungsbedingungen des WIR-immerda-Serviceportals",
                 id="nutzungsbedingungen"),
    pytest.param("/passwort-vergessen", 200, "Passwort vergessen", id="passwort-vergessen"),
    pytest.param("/registrieren/bestaetigen/ungueltig", 410, "Dieser Link ist nicht mehr gültig",
                 id="bestaetigen-ungueltig"),
    pytest.param("/passwort-neu/ungueltig", 410, "Dieser Link ist nicht mehr gültig", id="passwort-neu-ungueltig"),
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize(("path", "status", "heading"), PAGES)
def test_page_is_accessible(new_page, viewport, path, status, heading):
    page = new_page(viewport)
    response = page.goto(path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    assert path_of(page) == path, f"{path} was redirected to {page.url}"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)
    expected = f"the server responded with a status of {status}" if status >= 400 else None
    errors = [e for e in page.wir_console_errors if not (expected and expected in e)]
    assert not errors, f"{path}: Konsolenfehler {errors}"
    if viewport == "phone":
        assert_no_horizontal_scroll(page)


# --- sign-in by htmx loads the whole page: <body> carries the new session's CSRF token ---


def test_sign_in_with_javascript_loads_the_signed_in_page_whole(page, demo_logins):
    tenant = demo_logins["tenants"][0]  # one login POST; this module signs in nobody else as this tenant
    page.goto("/anmelden")
    wait_for_htmx(page)
    page.get_by_label("E-Mail-Adresse").fill(tenant["email"])
    page.get_by_label("Passwort", exact=True).fill(tenant["password"])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("details.user-menu summary")).to_contain_text(tenant["name"])
    page.wait_for_load_state()
    # the signed-in layout's <body>: the idle warning is scheduled from this attribute
    # the whole idle time, counted from this sign-in (a second may pass on a busy machine before the page is made)
    assert 1790 <= int(page.evaluate("document.body.dataset.sessionIdleSeconds")) <= 1800
