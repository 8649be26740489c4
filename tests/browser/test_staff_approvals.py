"""Freigaben in a real browser: a clerk (signed in with password and code) confirms a tenant's new bank account,
and the tenant's Verträge page then shows it; a clerk issues a Mietschuldenfreiheitsbescheinigung that went to
staff and refuses a sent form with a text, and the tenant's Dokumente show the certificate and the reply letter
as "neu". With and without JavaScript; axe on the queue, the change, the ticket with its decision panel at
1280 px; the ticket with the panel fits 360 px."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
)
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

    page = new_page("desktop", javascript=javascript, user=demo_logins["staff"][clerk])
    page.goto("/intern/")
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


# --- Mietschuldenfreiheitsbescheinigung and Formulare at the ticket desk ------------------------------------------

RENTAL = "MV-305-0302"  # Dieter Krüger's flat (Elsteraue): arrears in the demo, so the certificate goes to staff
REFUSAL = "Eine Katze ist in diesem Haus wegen der Allergie einer Nachbarin leider nicht möglich."


def sent_to_staff(tenant) -> str:
    """The ticket number the tenant's Dokumente name after a request that went to the cooperative."""
    notice = tenant.get_by_text(re.compile(r"ist als Meldung \S+ bei Ihrer Genossenschaft eingegangen"))
    expect(notice).to_be_visible()
    return re.search(r"als Meldung (\S+) bei", notice.inner_text()).group(1)


def document_in_history(clerk) -> str:
    """The document number the ticket's newest message names (the certificate or the reply letter)."""
    return re.findall(r"Dokument-Nr\. ([A-Z0-9-]+)\)", clerk.locator(".history").inner_text())[-1]



# the clerk signs in once for the module (René Hoffmann, Elsteraue; no other test here signs him in)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_clerk_issues_a_certificate_and_refuses_a_form(new_page, demo_logins, javascript):
    tenant = new_page("desktop", javascript=javascript, user=demo_tenant(demo_logins, "dieter"))
    tenant.goto("/dokumente/")
    expect(tenant.locator("#anfordern")).to_contain_text("nicht ausgeglichen")
    tenant.get_by_role("button", name=re.compile(
        rf"^Dokument anfordern\W+Mietschuldenfreiheitsbescheinigung, {RENTAL}$")).click()
    certificate_ticket = sent_to_staff(tenant)
    tenant.goto("/dokumente/")
    tenant.get_by_role("link", name=re.compile(rf"^Antrag auf Haustierhaltung\W+{RENTAL}")).click()
    tenant.get_by_label("Tierart und Rasse").fill("Katze (Europäisch Kurzhaar)")
    tenant.get_by_role("button", name="Formular senden").click()
    form_ticket = sent_to_staff(tenant)

    clerk_login = demo_logins["staff"][3]
    clerk = new_page("desktop", javascript=javascript, user=clerk_login)
    clerk.goto(f"/intern/meldungen/{certificate_ticket}")
    panel = clerk.locator("#decision")
    expect(panel).to_contain_text("Stand ")
    assert_accessible(clerk)
    if javascript:  # the ticket with its open panel on a phone
        phone = new_page("phone", user=clerk_login)
        phone.goto(f"/intern/meldungen/{certificate_ticket}")
        expect(phone.locator("#decision")).to_be_visible()
        assert_no_horizontal_scroll(phone)
    panel.get_by_role("button", name="Bescheinigung ausstellen").click()
    expect(clerk.locator("main")).to_contain_text("Die Bescheinigung ist ausgestellt")
    expect(clerk.locator("#desk .desk-state")).to_contain_text("Abgeschlossen")
    expect(clerk.locator("#decision")).to_have_count(0)
    certificate = document_in_history(clerk)

    clerk.goto(f"/intern/meldungen/{form_ticket}")
    panel = clerk.locator("#decision")
    expect(panel.get_by_role("link", name=re.compile(r"^Antrag auf Haustierhaltung.*\(PDF"))).to_be_visible()
    assert_accessible(clerk)
    # Ablehnen without a text: the message next to the field, nothing decided
    panel.get_by_role("button", name="Ablehnen").click()
    text = clerk.get_by_label(re.compile("^Text für das Schreiben"))
    expect(clerk.locator("#application-text-error")).to_be_visible()
    expect(text).to_have_attribute("aria-invalid", "true")
    assert_accessible(clerk)
    text.fill(REFUSAL)
    clerk.locator("#decision").get_by_role("button", name="Ablehnen").click()
    expect(clerk.locator("main")).to_contain_text("die Meldung ist abgelehnt")
    expect(clerk.locator("#desk .desk-state")).to_contain_text("Abgelehnt")
    expect(clerk.locator("#decision")).to_have_count(0)
    letter = document_in_history(clerk)
    assert letter != certificate
    assert not unexpected_errors(clerk), clerk.wir_console_errors

    # the tenant's Dokumente: both new, unread; the refusal's text on the tenant's Meldung
    tenant.goto("/dokumente/")
    for number, title in ((certificate, "Mietschuldenfreiheitsbescheinigung vom"),
                          (letter, "Antwort auf Ihren Antrag „Antrag auf Haustierhaltung“")):
        item = tenant.locator("li.document", has=tenant.locator(f"a[href='/dokumente/{number}/pdf']"))
        expect(item).to_contain_text(title)
        expect(item.locator(".new-mark")).to_have_text("neu")
    tenant.goto(f"/meldungen/{form_ticket}")
    expect(tenant.locator("main")).to_contain_text(REFUSAL)
    assert not unexpected_errors(tenant), tenant.wir_console_errors
