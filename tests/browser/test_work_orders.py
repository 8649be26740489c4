"""Handwerkerauftrag in a real browser: a clerk orders a company from the desk (htmx), the company opens the link of
the mailed order without JavaScript and confirms an appointment, and the tenant sees it on the Meldung; without
JavaScript „Einfügen“ puts a Textbaustein into the order's text. axe on the pages, 360 px wide without scrolling."""

import re
from datetime import timedelta

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
    wait_for_mail,
)
from tests.helpers import mail_text
from wir import clock

pytestmark = pytest.mark.browser

COMPANY = "auftrag@sanitaer-krause.example"


def open_ticket_of(page) -> str:
    """The tenant's Meldung about the cold radiator (Lipsia); its number."""
    page.goto("/meldungen?filter=offen")
    link = page.get_by_role("link", name=re.compile("Heizkörper im Wohnzimmer bleibt kalt")).first
    return link.get_attribute("href").rsplit("/", 1)[1]


def test_clerk_orders_company_confirms_tenant_sees_the_appointment(new_page, demo_logins, mailbox):
    tenant = new_page("phone", user=next(t for t in demo_logins["tenants"] if t["email"].startswith("juergen")))
    number = open_ticket_of(tenant)

    clerk = new_page("desktop", user=demo_logins["staff"][0])  # Lipsia
    clerk.goto(f"/intern/meldungen/{number}")
    clerk.get_by_role("link", name="Auftrag erteilen").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("Auftrag erteilen")
    wait_for_htmx(clerk)
    expect(clerk.get_by_role("button", name="Einfügen")).to_be_hidden()  # with htmx the choice is enough
    assert_accessible(clerk)
    clerk.get_by_role("button", name="Auftrag senden").click()  # no company chosen: the summary, focused
    expect(clerk.locator("[data-error-summary]")).to_be_focused()
    expect(clerk.locator("#contractor-error")).to_contain_text("Bitte wählen Sie eine Firma")
    clerk.get_by_label("Firma").select_option(label="Sanitär Krause GmbH (Sanitär und Heizung)")
    text = clerk.get_by_label("Auftragstext")
    prefilled = text.input_value()
    assert prefilled.startswith("Heizkörper im Wohnzimmer bleibt kalt\nOrt in der Wohnung: Wohnzimmer")
    clerk.get_by_label("Textbaustein").select_option(label="Eingangsbestätigung")  # htmx: the choice inserts
    expect(text).to_be_focused()
    assert text.input_value().startswith(prefilled) and len(text.input_value()) > len(prefilled)
    expect(clerk.get_by_label("Firma")).to_have_value(re.compile(r"\d+"))  # the choice kept
    text.fill(prefilled)
    clerk.get_by_role("button", name="Auftrag senden").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(f"Meldung {number}")
    expect(clerk.locator("main")).to_contain_text("ist erteilt")
    expect(clerk.locator(".history")).to_contain_text("Firma Sanitär Krause GmbH beauftragt")
    expect(clerk.locator(".desk-orders")).to_contain_text("Sanitär Krause GmbH")
    assert_accessible(clerk)
    assert not unexpected_errors(clerk), clerk.wir_console_errors

    message = wait_for_mail(mailbox, COMPANY, timeout=30)
    assert any(part.get_filename().endswith(".pdf") for part in message.iter_attachments())
    link = re.search(r"http://\S+/auftrag/\S+", mail_text(message)).group(0)

    company = new_page("phone", javascript=False)
    company.goto(link)
    expect(company.get_by_role("heading", level=1)).to_contain_text("Auftrag LA-")
    assert_no_horizontal_scroll(company)
    day = clock.today() + timedelta(days=8)
    company.get_by_label("Tag").fill(day.isoformat())  # <input type="date">
    company.get_by_label("Von (Uhrzeit)").fill("8:00")
    company.get_by_label("Bis (Uhrzeit)").fill("7:00")
    company.get_by_role("button", name="Termin senden").click()
    expect(company.locator("#appointment-until-error")).to_contain_text("nach seinem Beginn")
    assert_accessible(company)
    company.get_by_label("Bis (Uhrzeit)").fill("10:00")
    company.get_by_label(re.compile("fest vereinbart")).check()
    company.get_by_role("button", name="Termin senden").click()
    expect(company.get_by_role("heading", level=1)).to_have_text("Antwort gesendet")
    company.goto(link)  # used up
    expect(company.get_by_role("heading", level=1)).to_have_text("Link ungültig oder abgelaufen")

    clerk.reload()
    expect(clerk.locator(".desk-orders")).to_contain_text("8–10 Uhr")

    tenant.goto(f"/meldungen/{number}")
    expect(tenant.locator(".appointment")).to_have_text(
        f"{'Mo Di Mi Do Fr Sa So'.split()[day.weekday()]}, {day:%d.%m.%Y}, 8–10 Uhr, Firma Sanitär Krause GmbH")
    assert_no_horizontal_scroll(tenant)
    assert_accessible(tenant)


def test_without_javascript_einfuegen_fills_the_order_text(new_page, demo_logins):
    clerk = new_page("phone", javascript=False, user=demo_logins["staff"][2])  # Elsteraue
    clerk.goto("/intern/meldungen")
    clerk.locator("#queue-table a[href^='/intern/meldungen/']").first.click()
    clerk.get_by_role("link", name="Auftrag erteilen").click()
    assert_no_horizontal_scroll(clerk)
    text = clerk.get_by_label("Auftragstext")
    prefilled = text.input_value()
    clerk.get_by_label("Textbaustein").select_option(label="Eingangsbestätigung")
    clerk.get_by_role("button", name="Einfügen").click()
    expect(text).to_be_focused()
    assert text.input_value().startswith(prefilled.rstrip()) and len(text.input_value()) > len(prefilled)
    assert_accessible(clerk)
    clerk.get_by_label("Firma").select_option(label="Malerbetrieb Schulze (Maler)")
    clerk.get_by_label("Auftragstext").fill("Wand im Flur streichen.")
    clerk.get_by_role("button", name="Auftrag senden").click()
    expect(clerk.locator("main")).to_contain_text("ist erteilt")


def test_the_handwerker_pages_fit_360_px(new_page, demo_logins):
    page = new_page("phone", user=demo_logins["staff"][0])
    for url in ("/intern/handwerker", "/intern/handwerker/neu"):
        page.goto(url)
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
