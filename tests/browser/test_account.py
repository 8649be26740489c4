"""Kontaktdaten in a real browser: the phone editor with htmx and without JavaScript, at phone width,
and the other account pages under axe."""

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
from tests.helpers import demo_tenant, mail_text

pytestmark = pytest.mark.browser

ADD = "Hinzufügen"  # a link (with a hidden ": neue Telefonnummer"); the form's button has the same word
LIMIT = "Sie können höchstens drei Telefonnummern hinterlegen"


def phone_rows(page):
    return page.locator("#phones .phone-list > li")


def test_phone_editor_with_javascript(new_page, demo_logins):
    page = new_page(user=demo_tenant(demo_logins, "s.yilmaz"))  # two numbers: Mobil and Dienstlich
    page.goto("/konto/kontaktdaten")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    expect(phone_rows(page)).to_have_count(2)

    # "Hinzufügen" appends a row with its form, in place
    page.get_by_role("link", name=ADD).click()
    expect(page.get_by_role("heading", name="Neue Telefonnummer")).to_be_visible()
    expect(page.get_by_label("Art", exact=True)).to_be_focused()
    page.get_by_label("Art", exact=True).select_option(label="Privat")
    page.get_by_label("Telefonnummer", exact=True).fill("0341 4151 90")
    page.get_by_role("button", name="Hinzufügen", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Die Telefonnummer wurde hinzugefügt.")
    expect(page.get_by_role("status").locator(".notice")).to_be_focused()  # said, and where focus is
    expect(phone_rows(page)).to_have_count(3)
    expect(phone_rows(page).nth(2)).to_contain_text("Privat")
    expect(phone_rows(page).nth(2)).to_contain_text("0341 415190")
    # three is the limit: no more "Hinzufügen"
    expect(page.get_by_role("link", name=ADD)).to_have_count(0)
    expect(page.locator("#phones")).to_contain_text(LIMIT)

    # a row turns into its form; a bad number is refused next to the field; then it turns back
    first = phone_rows(page).first
    first.get_by_role("link", name=re.compile("^Ändern")).click()
    number = page.get_by_label("Telefonnummer", exact=True)
    expect(number).to_have_value("0160 23456789")
    expect(phone_rows(page).locator("form")).to_have_count(1)
    number.fill("12")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#number-error")).to_contain_text("gültige Telefonnummer")
    expect(number).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    number.fill("+48 22 123 45 67")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_have_text("Die Telefonnummer wurde gespeichert.")
    expect(page.get_by_role("status").locator(".notice")).to_be_focused()  # said, and where focus is
    expect(phone_rows(page).first).to_contain_text("+48 22 123 45 67")

    # "Abbrechen" leaves a row as it was
    phone_rows(page).nth(1).get_by_role("link", name=re.compile("^Ändern")).click()
    page.get_by_label("Telefonnummer", exact=True).fill("0341 0000000")
    page.get_by_role("link", name="Abbrechen").click()
    expect(phone_rows(page).locator("form")).to_have_count(0)
    expect(page.get_by_role("status")).to_be_empty()  # nothing changed, nothing said
    expect(phone_rows(page).nth(1)).to_contain_text("0341 9876543")

    # deleting asks first
    phone_rows(page).nth(2).get_by_role("link", name=re.compile("^Löschen")).click()
    expect(page.get_by_text("Diese Telefonnummer wirklich löschen?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Ja, löschen")).click()
    expect(page.get_by_role("status")).to_have_text("Die Telefonnummer wurde gelöscht.")
    expect(page.get_by_role("status").locator(".notice")).to_be_focused()  # said, and where focus is
    expect(phone_rows(page)).to_have_count(2)
    expect(page.get_by_role("link", name=ADD)).to_be_visible()

    assert path_of(page) == "/konto/kontaktdaten"
    assert page.evaluate("window.wirNoReload") == "still here", "the page was reloaded instead of swapped"
    assert not unexpected_errors(page), page.wir_console_errors


def test_phone_editor_without_javascript(new_page, demo_logins):
    page = new_page(javascript=False, user=demo_tenant(demo_logins, "dieter"))  # one number
    page.goto("/konto/kontaktdaten")
    page.get_by_role("link", name=ADD).click()
    assert path_of(page) == "/konto/telefon/neu"
    page.get_by_label("Art", exact=True).select_option(label="Mobil")
    page.get_by_label("Telefonnummer", exact=True).fill("abc")
    page.get_by_role("button", name="Hinzufügen", exact=True).click()
    expect(page.locator("#number-error")).to_contain_text("besteht aus Ziffern")
    page.get_by_label("Telefonnummer", exact=True).fill("0172 1234567")
    page.get_by_role("button", name="Hinzufügen", exact=True).click()
    expect(page).to_have_url(re.compile(r"/konto/kontaktdaten#telefon$"))
    expect(page.get_by_text("Die Telefonnummer wurde hinzugefügt.")).to_be_visible()
    expect(phone_rows(page)).to_have_count(2)

    phone_rows(page).nth(1).get_by_role("link", name=re.compile("^Ändern")).click()
    assert re.fullmatch(r"/konto/telefon/\d+/aendern", path_of(page))
    expect(page.get_by_role("heading", name="Telefonnummer ändern")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Art", exact=True).select_option(label="Dienstlich")
    page.get_by_role("button", name="Speichern").click()
    expect(phone_rows(page).nth(1)).to_contain_text("Dienstlich")

    phone_rows(page).first.get_by_role("link", name=re.compile("^Löschen")).click()
    assert re.fullmatch(r"/konto/telefon/\d+/loeschen", path_of(page))
    expect(page.get_by_text("Diese Telefonnummer wirklich löschen?")).to_be_visible()
    page.get_by_role("link", name="Abbrechen").click()
    expect(phone_rows(page)).to_have_count(2)
    phone_rows(page).first.get_by_role("link", name=re.compile("^Löschen")).click()
    page.get_by_role("button", name=re.compile("^Ja, löschen")).click()
    expect(page.get_by_text("Die Telefonnummer wurde gelöscht.")).to_be_visible()
    expect(phone_rows(page)).to_have_count(1)
    expect(phone_rows(page).first).to_contain_text("0172 1234567")


def test_phone_editor_at_phone_width(new_page, demo_logins):
    page = new_page("phone", user=demo_tenant(demo_logins, "gisela"))
    page.goto("/konto/kontaktdaten")
    wait_for_htmx(page)
    page.get_by_role("link", name=ADD).click()
    expect(page.get_by_label("Telefonnummer", exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("Telefonnummer", exact=True).fill("+49 341 4151 90")
    page.get_by_role("button", name="Hinzufügen", exact=True).click()
    expect(phone_rows(page)).to_have_count(2)
    phone_rows(page).first.get_by_role("link", name=re.compile("^Löschen")).click()
    expect(page.get_by_role("button", name=re.compile("^Ja, löschen"))).to_be_focused()
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("path", ["/konto/email", "/konto/meine-daten", "/konto/telefon/neu"])
def test_account_pages_are_accessible(new_page, demo_logins, viewport, path):
    page = new_page(viewport, user=demo_tenant(demo_logins, "juergen"))
    assert page.goto(path).status == 200
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page)


def test_email_form_with_javascript(new_page, demo_logins):
    user = demo_tenant(demo_logins, "juergen")
    page = new_page(user=user)
    page.goto("/konto/email")
    wait_for_htmx(page)
    page.get_by_label("Neue E-Mail-Adresse").fill(user["email"])
    page.get_by_label("Ihr Passwort").fill(user["password"])
    page.get_by_role("button", name="Bestätigungslink senden").click()
    expect(page.locator("#email-error")).to_contain_text("Das ist bereits Ihre E-Mail-Adresse")
    assert_accessible(page)
    page.get_by_label("Neue E-Mail-Adresse").fill("juergen.anders@example.net")
    page.get_by_label("Ihr Passwort").fill(user["password"])
    page.get_by_role("button", name="Bestätigungslink senden").click()
    # htmx follows HX-Location to the whole Kontaktdaten page
    expect(page.get_by_role("heading", level=1, name="Kontaktdaten")).to_be_visible()
    expect(page.get_by_text("Bestätigung ausstehend")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Anschrift")).to_be_visible()
    assert path_of(page) == "/konto/kontaktdaten"


def test_email_change_confirmed_through_the_link(new_page, demo_logins, mailbox, live_server):
    user = demo_tenant(demo_logins, "dieter")
    page = new_page("phone", javascript=False, user=user)
    page.goto("/konto/kontaktdaten")
    page.get_by_role("link", name="E-Mail-Adresse ändern").click()
    page.get_by_label("Neue E-Mail-Adresse").fill("Dieter.Neu@example.net")
    page.get_by_label("Ihr Passwort").fill(user["password"])
    page.get_by_role("button", name="Bestätigungslink senden").click()
    expect(page.get_by_text("Bestätigung ausstehend")).to_be_visible()
    expect(page.locator("#email")).to_contain_text(user["email"])  # still the login name

    link = re.search(re.escape(live_server.url) + r"(/konto/email/bestaetigen/\S+)",
                     mail_text(wait_for_mail(mailbox, "dieter.neu@example.net"))).group(1)
    assert "dieter.neu@example.net" in mail_text(wait_for_mail(mailbox, user["email"]))  # the notice to the old address
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name="Neue E-Mail-Adresse bestätigen")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="E-Mail-Adresse bestätigen").click()
    expect(page.locator("#email")).to_contain_text("dieter.neu@example.net")
    page.goto(link)  # used up
    expect(page.get_by_role("heading", level=1, name="Dieser Link ist nicht mehr gültig")).to_be_visible()
    assert_accessible(page)
