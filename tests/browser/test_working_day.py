"""A cooperative's working day in a real browser (issue 24), end to end: the admin creates a clerk, who sets up the
account from the mailed link (password, second factor), takes over Jürgen Müller's house as Ansprechpartnerin; the
tenant files a Meldung on Kontakt and agrees that the firm may have his phone number; it is assigned to the new clerk
by itself; she answers it with a Textbaustein, orders a firm with his phone number passed on; the firm confirms an
appointment through the mailed link; the tenant reads the answer and the appointment on his Meldung. Once with
JavaScript (staff at 1280 px, the tenant and the firm on a 360 px phone), once without JavaScript, everybody at
360 px; axe on every page of the flow, no sideways scrolling on the phone."""

import re
from datetime import timedelta

import pytest

from tests.browser.helpers import (
    after_swap,
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    unexpected_errors,
    wait_for_htmx,
    wait_for_mail,
)
from tests.browser.test_absences import choose
from tests.browser.test_staff_accounts import create_clerk, set_up_account
from tests.helpers import mail_text, pdf_text
from wir import clock

pytestmark = pytest.mark.browser

NUMBER = r"L-\d{4}-\d{4}"
HOUSE = "Stuttgarter Allee 18"  # Jürgen Müller's flat, contract MV-1001-0203
ANSWER = "Antwort an die Mieterin oder den Mieter"

VARIANTS = {
    # javascript: (clerk's name and e-mail, staff viewport, the firm as offered, the firm's address, the Meldung)
    True: ("Lena Brandt", "l.brandt@lipsia.example.org", "desktop", "Sanitär Krause GmbH (Sanitär und Heizung)",
           "auftrag@sanitaer-krause.example", "Heizkörper im Bad tropft"),
    False: ("Jonas Pfeiffer", "j.pfeiffer@lipsia.example.org", "phone", "Elektro Vogel (Elektro)",
            "info@elektro-vogel.example", "Heizkörper im Flur tropft"),
}


def check(page) -> None:
    """axe and HTML_CodeSniffer; on a phone no sideways scrolling."""
    assert_accessible(page)
    if page.viewport_size["width"] < 1000:
        assert_no_horizontal_scroll(page)


def take_over_house(clerk, name: str, javascript: bool) -> None:
    """Ansprechpartner der Häuser: the house found by its street, the new clerk chosen."""
    clerk.get_by_role("link", name="Ansprechpartner der Häuser").click()
    clerk.get_by_label("Straße").fill(HOUSE)
    search = clerk.get_by_role("button", name="Suchen")
    if javascript:  # the house may be on the list before the search: „Ändern“ only once the search has swapped
        wait_for_htmx(clerk)
        after_swap(clerk, search.click)
    else:
        search.click()
    house = clerk.locator("li.house", has=clerk.get_by_role("heading", name=re.compile("^" + HOUSE)))
    expect(house).to_have_count(1)
    house.get_by_role("link", name=re.compile("^Ändern")).click()
    clerk.get_by_label(re.compile("^Ansprechpartner")).select_option(label=name)
    clerk.get_by_role("button", name=re.compile("^Speichern")).click()
    house = clerk.locator("li.house", has=clerk.get_by_role("heading", name=re.compile("^" + HOUSE)))
    expect(house.locator("dl.facts")).to_contain_text(name)
    expect(house.locator("dl.facts")).to_contain_text("manuell am")
    check(clerk)


def file_meldung(tenant, subject: str, clerk_name: str, javascript: bool) -> str:
    """Kontakt: the new Ansprechpartnerin beside the form, a damage report with the consent to pass the phone
    number on; its number."""
    tenant.goto("/kontakt")
    if javascript:
        wait_for_htmx(tenant)
    choose(tenant, "Worum geht es?", "MV-1001-0203", javascript)
    expect(tenant.locator("#contact-person")).to_contain_text(clerk_name)
    choose(tenant, "Meldungsart", "Schadensmeldung", javascript)
    choose(tenant, "Meldungskategorie", "Heizung/Warmwasser", javascript)
    tenant.get_by_label("Wo genau? (Raum, Stelle)").fill("Bad, unter dem Fenster")
    tenant.get_by_label("Betreff").fill(subject)
    control(tenant, "Nachricht").fill("Das Ventil des Heizkörpers tropft seit gestern.")
    consent = tenant.get_by_label(re.compile("^Meine Telefonnummer darf an die beauftragte Handwerksfirma"))
    expect(consent).not_to_be_checked()
    consent.check()
    check(tenant)
    tenant.get_by_role("button", name="Absenden").click()
    notice = tenant.locator(".notice--success")
    expect(notice).to_contain_text(re.compile(r"Ihre Meldungsnummer: " + NUMBER))
    return re.search(NUMBER, notice.inner_text()).group(0)


def answer_with_template(clerk, number: str, javascript: bool) -> None:
    """„Mir zugewiesen“ holds the new Meldung; the answer from the Textbaustein „Handwerker beauftragt“."""
    clerk.goto("/intern/")
    clerk.locator("a.counts__link[href$='zugewiesen=ich']").click()
    clerk.locator("#queue-table").get_by_role("link", name=number, exact=True).click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
    check(clerk)
    clerk.get_by_label("Textbaustein").first.select_option(label="Handwerker beauftragt")
    if not javascript:
        clerk.get_by_role("button", name="Einfügen").first.click()
    answer = clerk.get_by_label(ANSWER)
    expect(answer).to_have_value(re.compile(rf"^Sehr geehrter Herr Müller,\n\nzu Ihrer Meldung {number} haben wir"))
    expect(answer).to_be_focused()
    clerk.get_by_role("button", name="Antwort senden").click()
    expect(clerk.locator("main")).to_contain_text("Ihre Antwort ist gesendet.")


def order_firm(clerk, number: str, firm: str) -> None:
    clerk.get_by_role("link", name="Auftrag erteilen").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text("Auftrag erteilen")
    control(clerk, "Firma").select_option(label=firm)
    clerk.get_by_label("Telefonnummer der Mieterin oder des Mieters an die Firma weitergeben").check()
    check(clerk)
    clerk.get_by_role("button", name="Auftrag senden").click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(f"Meldung {number}")
    expect(clerk.locator("main")).to_contain_text("ist erteilt")
    check(clerk)


def confirm_appointment(company, link: str):
    """The firm, without an account, fixes an appointment in eight days from 8 to 10; the day."""
    company.goto(link)
    expect(company.get_by_role("heading", level=1)).to_contain_text("Auftrag LA-")
    check(company)
    day = clock.today() + timedelta(days=8)
    company.get_by_label("Tag").fill(day.isoformat())
    company.get_by_label("Von (Uhrzeit)").fill("8:00")
    company.get_by_label("Bis (Uhrzeit)").fill("10:00")
    company.get_by_label(re.compile("fest vereinbart")).check()
    company.get_by_role("button", name="Termin senden").click()
    expect(company.get_by_role("heading", level=1)).to_have_text("Antwort gesendet")
    check(company)
    return day


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_new_clerk_answers_orders_a_firm_and_the_tenant_sees_the_appointment(new_page, demo_logins, live_server,
                                                                                mailbox, javascript):
    name, email, staff_viewport, firm, firm_email, subject = VARIANTS[javascript]
    admin = new_page(staff_viewport, javascript=javascript, user=demo_logins["admin"])
    admin.goto("/intern/zugaenge")
    admin.get_by_role("link", name="Zugang anlegen").click()
    create_clerk(admin, name, email)
    check(admin)
    link = re.search(re.escape(live_server.url) + r"(/zugang-einrichten/\S+)",
                     mail_text(wait_for_mail(mailbox, email, "Ihr Zugang zum WIR-immerda-Serviceportal"))).group(1)
    clerk = new_page(staff_viewport, javascript=javascript)
    set_up_account(clerk, link, email)
    take_over_house(clerk, name, javascript)

    tenant = new_page("phone", javascript=javascript,
                      user=next(t for t in demo_logins["tenants"] if t["email"].startswith("juergen")))
    number = file_meldung(tenant, subject, name, javascript)

    answer_with_template(clerk, number, javascript)
    order_firm(clerk, number, firm)
    order = wait_for_mail(mailbox, firm_email, timeout=30)
    pdf = next(part for part in order.iter_attachments() if part.get_filename().endswith(".pdf"))
    assert re.search(r"Telefon\s*\+?[\d /-]{6,}", pdf_text(pdf.get_content())), "the consented phone number is passed on"
    company = new_page("phone", javascript=javascript)
    day = confirm_appointment(company, re.search(r"http://\S+/auftrag/\S+", mail_text(order)).group(0))

    tenant.goto(f"/meldungen/{number}")
    expect(tenant.locator(".history")).to_contain_text(f"zu Ihrer Meldung {number} haben wir eine Fachfirma beauftragt")
    expect(tenant.locator(".history")).to_contain_text(f"Firma {firm.split(' (')[0]} beauftragt")
    expect(tenant.locator(".appointment")).to_have_text(
        f"{'Mo Di Mi Do Fr Sa So'.split()[day.weekday()]}, {day:%d.%m.%Y}, 8–10 Uhr, Firma {firm.split(' (')[0]}")
    check(tenant)
    for page in (admin, clerk, tenant, company):
        assert not unexpected_errors(page), page.wir_console_errors
