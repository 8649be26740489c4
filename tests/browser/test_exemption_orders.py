"""Freistellungsauftrag in a real browser: a change without JavaScript, a joint order and its Widerruf with
JavaScript, a first order at phone width; axe on every page and state (form, messages, confirmation)."""

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

URL = "/sparen/freistellungsauftrag"
OWN_ID, PARTNER_ID, THIRD_ID = "23456789128", "51234678954", "91827364597"  # valid Steuer-IDs


def fill_order(page, amount, tax_id, password):
    page.get_by_label("Betrag in Euro").fill(amount)
    page.get_by_label("Ihre Steuer-Identifikationsnummer (Steuer-ID)").fill(tax_id)
    page.get_by_label(re.compile("^Ich versichere")).check()
    page.get_by_label("Ihr Passwort").fill(password)


def submit(page):
    page.get_by_role("button", name="Freistellungsauftrag absenden").click()


def test_change_without_javascript(new_page, users, mailbox):
    saver = users["saver"]  # Jürgen: 1.000 € since 2023
    page = new_page("desktop", javascript=False, user=saver)
    page.goto("/sparen/")
    section = page.get_by_role("region", name="Freistellungsauftrag")
    expect(section).to_contain_text("1.000,00 € im Jahr")
    expect(section).to_contain_text("•• ••• ••• 809")
    section.get_by_role("link", name=re.compile("^Freistellungsauftrag ansehen")).click()
    expect(page.locator("h1")).to_have_text("Freistellungsauftrag")
    expect(page.locator("table.savings-table tbody tr")).to_have_count(1)
    assert_accessible(page)

    page.get_by_role("link", name="Freistellungsauftrag ändern").click()
    assert path_of(page) == f"{URL}/neu"
    # without JavaScript the partner's fields are always there, saying when they count
    expect(page.get_by_label(re.compile(r"^Steuer-ID Ihrer Partnerin.*\(nur bei gemeinsamem Auftrag\)$"))).to_be_visible()
    expect(page.get_by_label("Betrag in Euro")).to_have_value("1.000,00")
    assert_accessible(page)

    fill_order(page, "1.000,01", "36574261809", saver["password"])
    submit(page)
    expect(page.locator("#amount-error")).to_contain_text("höchstens 1.000,00 €")
    expect(page.get_by_label("Betrag in Euro")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Eingaben")
    assert_accessible(page)

    fill_order(page, "800", "36 574 261 809", saver["password"])
    submit(page)
    assert path_of(page) == URL
    expect(page.get_by_text(re.compile("Ihr Freistellungsauftrag über 800,00 € gilt ab dem"))).to_be_visible()
    expect(page.locator("table.savings-table tbody tr")).to_have_count(2)
    expect(page.locator("table.savings-table tbody tr").nth(1)).to_contain_text("ersetzt am")
    assert_accessible(page)
    message = wait_for_mail(mailbox, saver["email"], "Ihr Freistellungsauftrag ist eingegangen")
    assert "800,00 €" in mail_text(message) and "36574261809" not in mail_text(message)

    page.goto("/dokumente/")
    expect(page.locator("main")).to_contain_text(re.compile(r"Freistellungsauftrag vom \d\d\.\d\d\.\d{4}"))

    page.goto(f"{URL}/widerruf")
    expect(page.get_by_label("Ab wann soll der Widerruf gelten?")).to_be_visible()
    assert_accessible(page)


def test_joint_order_and_its_revocation_with_javascript(new_page, users, mailbox):
    saver = users["both"]  # Gisela: no order yet
    page = new_page("desktop", user=saver)
    page.goto(URL)
    wait_for_htmx(page)
    expect(page.locator("main")).to_contain_text("noch keinen Freistellungsauftrag erteilt")
    assert_accessible(page)
    page.get_by_role("link", name="Freistellungsauftrag erteilen").click()
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    # htmx fits the form to the chosen kind at once: a single order asks nothing about a partner
    expect(page.locator("#partner-fields")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("Art des Auftrags").select_option("joint")
    expect(page.locator("#partner-fields")).to_be_visible()
    assert_accessible(page)

    fill_order(page, "2.000", OWN_ID, saver["password"])
    page.get_by_label(re.compile("^Vor- und Nachname Ihrer Ehe")).fill("Karl Weiß")
    page.get_by_label(re.compile("^Steuer-ID Ihrer Partnerin")).fill(OWN_ID[:2] + " " + OWN_ID[2:])
    submit(page)
    expect(page.locator("#partner_tax_id-error")).to_contain_text("unterscheiden")
    assert page.evaluate("window.wirNoReload") == "still here"
    assert path_of(page) == f"{URL}/neu"
    assert_accessible(page)

    page.get_by_label(re.compile("^Steuer-ID Ihrer Partnerin")).fill(PARTNER_ID)
    page.get_by_label("Ihr Passwort").fill(saver["password"])
    submit(page)
    expect(page).to_have_url(re.compile(rf"{URL}$"))
    expect(page.get_by_text(re.compile("Ihr Freistellungsauftrag über 2.000,00 € gilt ab dem"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("gemeinsam mit Karl Weiß")
    expect(page.locator("main")).to_contain_text("•• ••• ••• 954")
    expect(page.locator("main")).not_to_contain_text(PARTNER_ID)
    assert_accessible(page)
    wait_for_mail(mailbox, saver["email"], "Ihr Freistellungsauftrag ist eingegangen")

    page.get_by_role("link", name="Freistellungsauftrag widerrufen").click()
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    page.get_by_label("Ab wann soll der Widerruf gelten?").select_option("now")
    page.get_by_label("Ihr Passwort").fill("nicht das Passwort")
    page.get_by_role("button", name="Widerrufen").click()
    expect(page.locator("#password-error")).to_contain_text("Das Passwort ist nicht richtig.")
    assert page.evaluate("window.wirNoReload") == "still here"
    assert_accessible(page)
    page.get_by_label("Ihr Passwort").fill(saver["password"])
    page.get_by_role("button", name="Widerrufen").click()
    expect(page).to_have_url(re.compile(rf"{URL}$"))
    expect(page.get_by_text("Ihr Widerruf ist eingegangen.", exact=False)).to_be_visible()
    expect(page.locator("main")).to_contain_text("liegt uns kein Freistellungsauftrag von Ihnen vor")
    expect(page.get_by_role("link", name="Freistellungsauftrag widerrufen")).to_have_count(0)
    assert_accessible(page)
    wait_for_mail(mailbox, saver["email"], "Ihr Widerruf des Freistellungsauftrags ist eingegangen")
    assert not unexpected_errors(page), page.wir_console_errors


def test_first_order_at_phone_width(new_page, demo_logins):
    member = demo_tenant(demo_logins, "lukasz")  # a Lipsia member without an order
    page = new_page("phone", user=member)
    page.goto("/sparen/")
    # his first sign-in: the contact data are reviewed first, then Sparen opens
    page.get_by_role("button", name="Meine Kontaktdaten sind richtig").click()
    expect(page).to_have_url(re.compile(r"/sparen/$"))
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page, 360)
    page.get_by_role("link", name=re.compile("^Freistellungsauftrag ansehen")).click()
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    page.get_by_role("link", name="Freistellungsauftrag erteilen").click()
    wait_for_htmx(page)
    expect(page.locator("#partner-fields")).to_have_count(0)
    page.get_by_label("Art des Auftrags").select_option("joint")
    expect(page.locator("#partner-fields")).to_be_visible()
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    page.get_by_label("Art des Auftrags").select_option("single")
    expect(page.locator("#partner-fields")).to_have_count(0)

    fill_order(page, "abc", THIRD_ID, member["password"])
    submit(page)
    expect(page.locator("#amount-error")).to_contain_text("1.234,56")
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    fill_order(page, "500", THIRD_ID, member["password"])
    page.get_by_label("Gültig bis").select_option(index=1)  # the 31 December of this year
    submit(page)
    expect(page).to_have_url(re.compile(rf"{URL}$"))
    expect(page.locator("main")).to_contain_text("500,00 € im Jahr")
    expect(page.locator("main")).to_contain_text("•• ••• ••• 597")
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors
