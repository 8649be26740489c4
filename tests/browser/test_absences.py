"""Abwesenheit in a real browser (issue 24): a clerk marks herself away with a colleague as deputy, the tenant whose
Ansprechpartnerin she is sees the deputy on Kontakt and files a Meldung, and the deputy finds it under „Mir
zugewiesen“. With JavaScript at Lipsia (Sandra Köhler, Thomas Schröder, Jürgen Müller), without at Elsteraue (Birgit
Große, René Hoffmann, Sükrü Yılmaz); axe on the pages, no horizontal scrolling at 360 px."""

import re
from datetime import timedelta

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    unexpected_errors,
    wait_for_htmx,
)
from tests.browser.test_tickets import choose as choose_option
from wir import clock

pytestmark = pytest.mark.browser

NUMBER = r"[LE]-\d{4}-\d{4}"


def choose(page, label: str, text: str, javascript: bool) -> None:
    """Kontakt's choice; without JavaScript „Auswahl übernehmen“ shows what follows."""
    choose_option(page, label, text, javascript)
    if not javascript:
        page.get_by_role("button", name="Auswahl übernehmen").click()


def mark_absent(page, deputy: str, javascript: bool) -> str:
    """On the Abwesenheit page: first without a deputy (the summary takes focus), then with one; the last day."""
    page.goto("/intern/")
    page.get_by_role("link", name="Abwesenheit").click()
    expect(page.get_by_role("heading", level=1, name="Abwesenheit")).to_be_visible()
    if javascript:
        wait_for_htmx(page)
    today = clock.today()
    last = today + timedelta(days=3)
    control(page, "Abwesend vom (erster Tag)").fill(today.isoformat())
    control(page, "Bis (letzter Tag)").fill(last.isoformat())
    page.get_by_role("button", name="Abwesenheit eintragen").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("#deputy-error")).to_contain_text("Bitte wählen Sie eine Vertretung")
    assert_accessible(page)
    control(page, "Vertretung").select_option(label=deputy)
    page.get_by_role("button", name="Abwesenheit eintragen").click()
    expect(page.locator("main")).to_contain_text(f"Jetzt abwesend, bis {last:%d.%m.%Y}")
    expect(page.locator("main")).to_contain_text(f"Vertretung: {deputy}")
    assert_accessible(page)
    return f"{last:%d.%m.%Y}"


def file_meldung(page, contract: str, absent: str, until: str, deputy: str, javascript: bool) -> str:
    """Kontakt for the contract: the deputy is shown beside the form; a damage report; its number."""
    page.goto("/kontakt")
    if javascript:
        wait_for_htmx(page)
    choose(page, "Worum geht es?", contract, javascript)
    expect(page.locator("#contact-person")).to_contain_text(f"{absent} ist bis {until} abwesend. Vertretung: {deputy}")
    assert_accessible(page)
    choose(page, "Meldungsart", "Schadensmeldung", javascript)
    choose(page, "Meldungskategorie", "Fenster/Türen/Schlösser", javascript)
    page.get_by_label("Betreff").fill("Balkontür klemmt")
    control(page, "Nachricht").fill("Die Balkontür lässt sich seit gestern kaum öffnen.")
    page.get_by_role("button", name="Absenden").click()
    notice = page.locator(".notice--success")
    expect(notice).to_contain_text(re.compile(r"Ihre Meldungsnummer: " + NUMBER))
    return re.search(NUMBER, notice.inner_text()).group(0)


def find_in_mine(page, number: str, deputy: str) -> None:
    page.goto("/intern/")
    mine = page.locator("a.counts__link[href$='zugewiesen=ich']")  # „1 offene Meldung mir zugewiesen“
    expect(mine).to_contain_text("mir zugewiesen")
    mine.click()
    row = page.locator("#queue-table tbody tr", has=page.locator(f"a:text-is('{number}')"))
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Zugewiesen]")).to_have_text(deputy)
    assert_accessible(page)


@pytest.mark.parametrize("javascript", [True, False])
def test_the_deputy_finds_the_tenants_new_meldung_under_mir_zugewiesen(new_page, demo_logins, javascript):
    staff = demo_logins["staff"]
    clerk, deputy, tenant_start, contract = (
        (staff[0], staff[1], "juergen", "MV-1001-0203") if javascript
        else (staff[2], staff[3], "s.yilmaz", "MV-301-0201"))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(tenant_start))

    clerk_page = new_page("desktop", javascript=javascript, user=clerk)
    until = mark_absent(clerk_page, deputy["name"], javascript)

    tenant_page = new_page("desktop", javascript=javascript, user=tenant)
    number = file_meldung(tenant_page, contract, clerk["name"], until, deputy["name"], javascript)

    deputy_page = new_page("desktop", javascript=javascript, user=deputy)
    find_in_mine(deputy_page, number, deputy["name"])
    if javascript:
        assert not unexpected_errors(clerk_page) and not unexpected_errors(tenant_page), (
            clerk_page.wir_console_errors, tenant_page.wir_console_errors)


def test_the_pages_fit_360_px(new_page, demo_logins):
    page = new_page("phone", user=demo_logins["staff"][0])
    for url in ("/intern/abwesenheit", "/intern/ansprechpartner"):
        page.goto(url)
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
    page.get_by_role("link", name=re.compile("^Ändern")).first.click()  # with htmx: the house's form in place
    expect(page.get_by_label(re.compile("^Ansprechpartner"))).to_be_focused()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
