"""Personen and Protokoll in a real browser. Monika Müller registers with the Registrierungsnummer of her letter
and does not confirm; a clerk (password + TOTP) finds her by typing "mueller", opens her page and sends the
confirmation mail again, with JavaScript (the search swaps only the results and the URL follows) and without;
the mails arrive over SMTP. axe on the search, the person's page, the confirmation step and the admin's Protokoll
at 1280 px; none of them scrolls sideways at 360 px."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    path_of,
    unexpected_errors,
    wait_for_htmx,
    wait_for_mail,
)

pytestmark = pytest.mark.browser

PASSWORD = "Blauer-Kran-zieht-Wolken"
EMAIL = "monika.mueller@example.org"
CONFIRM_SUBJECT = "Bitte bestätigen Sie Ihre E-Mail-Adresse"


def mails_to_monika(mailbox) -> int:
    return len([m for m in mailbox.messages if m["To"] == EMAIL and m["Subject"] == CONFIRM_SUBJECT])


@pytest.fixture(scope="module")
def monika_registered(browser, live_server, mailbox, demo_logins):
    """Monika Müller's registration with her letter's number, not confirmed (the first confirmation mail)."""
    letter = next(c for c in demo_logins["registration_codes"] if c["name"].endswith("Monika Müller"))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/registrieren")
        page.get_by_label("Registrierungsnummer", exact=True).fill(letter["code"])
        page.get_by_label("Nachname", exact=True).fill("Müller")
        page.get_by_label("E-Mail-Adresse", exact=True).fill(EMAIL)
        page.get_by_label("Passwort", exact=True).fill(PASSWORD)
        page.get_by_label("Passwort wiederholen", exact=True).fill(PASSWORD)
        page.get_by_label(re.compile(r"^Ich stimme den Nutzungsbedingungen zu")).check()
        page.get_by_role("button", name="Registrieren", exact=True).click()
        expect(page).to_have_url(re.compile(r"/registrieren/email-versendet$"))
    finally:
        context.close()
    wait_for_mail(mailbox, EMAIL, CONFIRM_SUBJECT)
    return letter


def find_monika(clerk, javascript: bool) -> None:
    clerk.goto("/intern/personen")
    if javascript:
        wait_for_htmx(clerk)
    clerk.get_by_label("Suche").fill("mueller")
    clerk.get_by_role("button", name="Suchen").click()
    expect(clerk.locator("#persons-count")).to_contain_text("zu „mueller“")
    expect(clerk).to_have_url(re.compile(r"/intern/personen\?suche=mueller$"))
    expect(clerk.get_by_role("link", name="Müller, Jürgen")).to_be_visible()
    clerk.get_by_role("link", name="Müller, Monika").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Frau Monika Müller")
    expect(clerk.locator("#account-state")).to_have_text("registriert, nicht bestätigt")


def resend(clerk, mailbox, before: int) -> None:
    clerk.get_by_role("link", name="Bestätigungs-E-Mail erneut senden").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Bestätigungs-E-Mail erneut senden")
    assert mails_to_monika(mailbox) == before  # asking changes nothing
    clerk.get_by_role("button", name="Bestätigungs-E-Mail erneut senden").click()
    expect(clerk.locator("main")).to_contain_text("Die Bestätigungs-E-Mail ist erneut gesendet.")
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Frau Monika Müller")
    expect(clerk.locator("#account-state")).to_have_text("registriert, nicht bestätigt")
    for _ in range(100):  # delivered in the background, right after the answer
        if mails_to_monika(mailbox) > before:
            break
        clerk.wait_for_timeout(50)
    assert mails_to_monika(mailbox) == before + 1


def test_clerk_finds_mueller_and_resends_the_confirmation(new_page, demo_logins, mailbox, monika_registered):
    clerk = new_page("desktop", user=demo_logins["staff"][0])
    find_monika(clerk, javascript=True)
    resend(clerk, mailbox, mails_to_monika(mailbox))
    # the search swaps only its results in place; Back returns to the search as it was
    clerk.go_back()
    clerk.go_back()
    clerk.go_back()
    expect(clerk).to_have_url(re.compile(r"/intern/personen\?suche=mueller$"))
    expect(clerk.get_by_role("link", name="Müller, Monika")).to_be_visible()
    assert not unexpected_errors(clerk)


def test_the_same_without_javascript(new_page, demo_logins, mailbox, monika_registered):
    clerk = new_page("desktop", javascript=False, user=demo_logins["staff"][1])
    find_monika(clerk, javascript=False)
    resend(clerk, mailbox, mails_to_monika(mailbox))


def test_staff_pages_are_accessible_and_fit_a_phone(new_page, demo_logins, monika_registered):
    clerk = new_page("desktop", user=demo_logins["staff"][0])
    clerk.goto("/intern/personen?suche=mueller")
    assert_accessible(clerk)
    clerk.get_by_role("link", name="Müller, Monika").click()
    expect(clerk.locator("#account-state")).to_be_visible()
    assert_accessible(clerk)
    person_path = path_of(clerk)
    clerk.get_by_role("link", name="Benutzerkonto sperren").click()
    expect(clerk.get_by_role("button", name="Benutzerkonto sperren")).to_be_visible()
    assert_accessible(clerk)
    clerk.goto("/intern/personen?suche=" + "x" * 101)  # a message next to the field
    expect(clerk.locator("#suche-error")).to_be_visible()
    assert_accessible(clerk)
    clerk.goto("/intern/personen?suche=juergen")
    clerk.get_by_role("link", name="Müller, Jürgen").click()  # contracts, documents and tickets on the page
    assert_accessible(clerk)

    admin = new_page("desktop", user=demo_logins["admin"])
    admin.goto("/intern/protokoll")
    expect(admin.locator(".audit-log")).to_be_visible()
    assert_accessible(admin)
    admin.goto("/intern/protokoll?aktion=person.view")
    expect(admin.locator(".audit-log")).to_contain_text("Person angesehen")
    admin.get_by_label("Bis (Datum)").fill("2000-01-01")
    admin.get_by_label("Von (Datum)").fill("2000-01-02")
    admin.get_by_role("button", name="Anzeigen").click()
    expect(admin.locator("#bis-error")).to_contain_text("Das Ende liegt vor dem Anfang")
    assert_accessible(admin)
    with admin.expect_download() as download:
        admin.goto("/intern/protokoll?aktion=person.view")
        admin.get_by_role("link", name=re.compile("Auswahl als CSV herunterladen")).click()
    assert download.value.suggested_filename.startswith("protokoll-")

    phone = new_page("phone", user=demo_logins["staff"][0])
    for path in ("/intern/personen?suche=mueller", person_path, f"{person_path}/sperren", "/intern/personen?suche=juergen"):
        phone.goto(path)
        assert_no_horizontal_scroll(phone)
    phone_admin = new_page("phone", user=demo_logins["admin"])
    phone_admin.goto("/intern/protokoll")
    assert_no_horizontal_scroll(phone_admin)


def test_the_protokoll_without_javascript(new_page, demo_logins, monika_registered):
    clerk = new_page("desktop", javascript=False, user=demo_logins["staff"][0])
    clerk.goto("/intern/personen?suche=mueller")
    clerk.get_by_role("link", name="Müller, Monika").click()  # written to the log
    admin = new_page("desktop", javascript=False, user=demo_logins["admin"])
    admin.goto("/intern/protokoll")
    admin.get_by_label("Person (Mitgliedsnummer)").fill("104712")
    admin.get_by_label("Aktion").select_option(value="person.view")
    admin.get_by_role("button", name="Anzeigen").click()
    expect(admin).to_have_url(re.compile(r"aktion=person\.view"))
    log = admin.locator(".audit-log")
    expect(log).to_contain_text("Person angesehen")
    expect(log).to_contain_text(demo_logins["staff"][0]["name"])
    assert_accessible(admin)
