"""Verträge and Bankverbindung ändern in a real browser: with htmx, without JavaScript, at phone width."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    path_of,
    unexpected_errors,
    wait_for_htmx,
)
from tests.helpers import demo_tenant

pytestmark = pytest.mark.browser

CONSENT = re.compile(r"^Ich erteile das SEPA-Lastschriftmandat")
HOLDER_NOTE = "Der Kontoinhaber ist nicht Vertragspartner"


def test_bank_change_with_javascript(new_page, demo_logins):
    user = demo_tenant(demo_logins, "juergen")
    page = new_page(user=user)
    page.goto("/vertraege/")
    expect(page.get_by_role("heading", level=2, name="WG „Lipsia“ eG")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Bankverbindung ändern für Mietvertrag MV-1001-0203").click()
    expect(page.get_by_role("heading", level=1, name="Bankverbindung ändern")).to_be_visible()
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    check = page.locator("#bank-check")

    # while typing: what is wrong, then the bank; the note about a holder who is not a party
    page.get_by_label("IBAN", exact=True).fill("DE02 1203 0000 0000 2020 52")
    expect(check).to_contain_text("Prüfziffern der IBAN stimmen nicht")
    page.get_by_label("IBAN", exact=True).fill("de02 1203 0000 0000 2020 51")
    expect(check).to_contain_text("Bank: Deutsche Kreditbank Berlin, BIC BYLADEM1001")
    page.get_by_label("Kontoinhaber", exact=True).fill("Erika Mustermann")
    expect(check).to_contain_text(HOLDER_NOTE)
    page.get_by_label("Kontoinhaber", exact=True).fill("Jürgen Müller")
    expect(check).not_to_contain_text(HOLDER_NOTE)

    # sent without consent and password: the messages are swapped in next to the fields
    page.get_by_role("button", name="Absenden").click()
    consent_error = page.locator("#consent-error")
    expect(consent_error).to_contain_text("Bitte stimmen Sie dem SEPA-Lastschriftmandat zu.")
    expect(page.locator("#password-error")).to_contain_text("Bitte geben Sie zur Bestätigung Ihr Passwort ein.")
    expect(page.get_by_label("IBAN", exact=True)).to_have_value("de02 1203 0000 0000 2020 51")
    assert page.evaluate("window.wirNoReload") == "still here"
    assert_accessible(page)

    page.get_by_label(CONSENT).check()
    page.get_by_label("Ihr Passwort").fill(user["password"])
    page.get_by_role("button", name="Absenden").click()
    expect(page.get_by_role("heading", level=1, name="Mietvertrag MV-1001-0203")).to_be_visible()
    expect(page.get_by_text("Ihre neue Bankverbindung ist in Prüfung")).to_be_visible()
    expect(page.get_by_text("Neue Bankverbindung in Prüfung")).to_be_visible()
    pending = page.locator("div.notice").filter(has_text="Neue Bankverbindung in Prüfung")
    expect(pending).to_contain_text("IBAN endet auf 2051")
    assert not unexpected_errors(page), page.wir_console_errors


def test_bank_change_without_javascript(new_page, demo_logins):
    user = demo_tenant(demo_logins, "gisela")
    page = new_page(javascript=False, user=user)
    page.goto("/vertraege/")
    page.get_by_role("link", name="Bankverbindung ändern für Stellplatz/Garage GA-G-014").click()
    expect(page.get_by_role("heading", level=1, name="Bankverbindung ändern")).to_be_visible()
    page.get_by_label("Kontoinhaber", exact=True).fill("Gisela Weiß")
    page.get_by_label("IBAN", exact=True).fill("DE44 5001 0517 5407 3249 31")
    page.get_by_role("button", name="Absenden").click()
    # after submitting: the bank beside the IBAN, the missing consent next to its box
    expect(page.locator("#bank-check")).to_contain_text("Bank: ING-DiBa")
    expect(page.locator("#consent-error")).to_contain_text("Bitte stimmen Sie dem SEPA-Lastschriftmandat zu.")
    assert_accessible(page)
    page.get_by_label("IBAN", exact=True).fill("DE44 5001 0517 5407 3249 32")
    page.get_by_label(CONSENT).check()
    page.get_by_label("Ihr Passwort").fill(user["password"])
    page.get_by_role("button", name="Absenden").click()
    expect(page.locator("#iban-error")).to_contain_text("Prüfziffern der IBAN stimmen nicht")
    page.get_by_label("IBAN", exact=True).fill("DE44 5001 0517 5407 3249 31")
    page.get_by_label(CONSENT).check()
    page.get_by_label("Ihr Passwort").fill(user["password"])
    # the other contract at Elsteraue as well
    page.get_by_label(re.compile("^Diese Bankverbindung auch für meine anderen Verträge")).check()
    page.get_by_role("button", name="Absenden").click()
    expect(page.get_by_role("heading", level=1, name="Stellplatz/Garage GA-G-014")).to_be_visible()
    expect(page.get_by_text("Neue Bankverbindung in Prüfung")).to_be_visible()
    page.goto("/vertraege/")
    membership = page.locator("article").filter(has_text="Mitgliedschaft MG-205188")
    expect(membership.get_by_text("Neue Bankverbindung in Prüfung")).to_be_visible()
    rental = page.locator("article").filter(has_text="Mietvertrag MV-1004-0112")
    expect(rental.get_by_text("Neue Bankverbindung in Prüfung")).to_have_count(0)  # other cooperative


def test_contracts_at_phone_width(new_page, demo_logins):
    page = new_page("phone", user=demo_tenant(demo_logins, "s.yilmaz"))
    page.goto("/vertraege/")
    expect(page.get_by_role("heading", level=1, name="Verträge")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name="Mietvertrag MV-301-0201", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Mietvertrag MV-301-0201")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_role("link", name="Bankverbindung ändern").click()
    wait_for_htmx(page)
    page.get_by_label("IBAN", exact=True).fill("DE02120300000000202051")
    expect(page.locator("#bank-check")).to_contain_text("Deutsche Kreditbank Berlin")
    assert path_of(page).endswith("/bankverbindung")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
