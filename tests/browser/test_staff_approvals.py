"""Freigaben in a real browser: a clerk signs in with password and code, confirms a tenant's new bank account,
and the tenant's Verträge page then shows it; with and without JavaScript; axe on the queue, the change and
its decision panel at 1280 px."""

import re

import pyotp
import pytest

from tests.browser.helpers import assert_accessible, expect, unexpected_errors
from tests.browser.test_staff_signin import CODE_LABEL, sign_in_with_password
from tests.helpers import demo_tenant

pytestmark = pytest.mark.browser

CONSENT = re.compile(r"^Ich erteile das SEPA-Lastschriftmandat")


def file_bank_change(new_page, tenant: dict, contract_link: str, holder: str, iban: str):
    """The tenant files a new account (a browser context of its own, without JavaScript); returns its page."""
    page = new_page(user=tenant, javascript=False)
    page.goto("/vertraege/")
    page.get_by_role("link", name=contract_link).click()
    page.get_by_label("Kontoinhaber", exact=True).fill(holder)
    page.get_by_label("IBAN", exact=True).fill(iban)
    page.get_by_label(CONSENT).check()
    page.get_by_label("Ihr Passwort").fill(tenant["password"])
    page.get_by_role("button", name="Absenden").click()
    expect(page.get_by_text("Neue Bankverbindung in Prüfung")).to_be_visible()
    return page


def sign_in_clerk(page, clerk: dict) -> None:
    sign_in_with_password(page, clerk)
    page.get_by_label(CODE_LABEL).fill(pyotp.TOTP(clerk["totp_secret"]).now())
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(re.compile(r"/intern/$"))


# one clerk per variant: a code is accepted once, and both may run within one 30 s window
@pytest.mark.parametrize(
    ("javascript", "clerk", "tenant_start", "contract", "holder", "iban", "last4"),
    [
        (True, 0, "juergen", "Mietvertrag MV-1001-0203", "Jürgen Müller", "DE02 1203 0000 0000 2020 51", "2051"),
        (False, 2, "gisela", "Stellplatz/Garage GA-G-014", "Gisela Weiß", "DE44 5001 0517 5407 3249 31", "4931"),
    ],
    ids=["js", "nojs"],
)
def test_clerk_confirms_a_bank_change_and_the_tenant_sees_it(new_page, demo_logins, javascript, clerk, tenant_start,
                                                            contract, holder, iban, last4):
    tenant = demo_tenant(demo_logins, tenant_start)
    tenant_page = file_bank_change(new_page, tenant, f"Bankverbindung ändern für {contract}", holder, iban)
    number = contract.split()[-1]

    page = new_page("desktop", javascript=javascript)
    sign_in_clerk(page, demo_logins["staff"][clerk])
    page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Bankverbindungen").click()
    expect(page.get_by_role("heading", level=1, name="Bankverbindungen")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=number)
    expect(row).to_contain_text(f"••{last4[:2]} {last4[2:]}")
    expect(row).not_to_contain_text(iban)
    assert_accessible(page)

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name="Neue Bankverbindung prüfen")).to_be_visible()
    expect(page.locator("main")).to_contain_text(iban)
    assert_accessible(page)

    # Ablehnen without a reason: the message next to the field, nothing decided
    page.get_by_role("button", name="Ablehnen").click()
    reason = page.get_by_label(re.compile("^Grund der Ablehnung"))
    expect(page.locator("#reject-reason-error")).to_contain_text("Bitte geben Sie einen Grund an")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_text("ist bestätigt")).to_be_visible()
    expect(page.locator("#bank-decision")).to_contain_text("Bestätigt")
    expect(page.get_by_role("button", name="Bestätigen")).to_have_count(0)
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors

    # the tenant's Verträge page: the new account is the one collected, nothing pending any more
    tenant_page.goto("/vertraege/")
    section = tenant_page.locator("article, section").filter(has_text=number).last
    expect(tenant_page.locator("main")).to_contain_text(f"IBAN endet auf {last4}")
    expect(tenant_page.get_by_text("Neue Bankverbindung in Prüfung")).to_have_count(0)
    expect(section).to_contain_text(holder)
