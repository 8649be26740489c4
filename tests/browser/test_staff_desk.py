"""The ticket at the desk in a real browser: a clerk (signed in with password and code) opens the ticket from the
queue, asks a Rückfrage, the tenant answers in a second browser context, the clerk closes the ticket and goes back to
the same queue; the tenant's open Meldungen page shows each new status without reload. The same clerk flow
without JavaScript; axe on the desk and the new-ticket page, 360 px. Two clerks on one ticket: an answer sent on
a stale version is refused with what changed, keeps its text and applies when sent again (with and without
JavaScript)."""

import re

import pytest

from tests.browser.helpers import (
    POLL_WAIT_MS,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
)

pytestmark = pytest.mark.browser


def open_ticket_of(tenant_page, filter_name="offen") -> tuple[str, str]:
    """The number and row id of the tenant's first (open) Meldung, from their Meldungen page."""
    tenant_page.goto(f"/meldungen?filter={filter_name}")
    link = tenant_page.locator("table a[href^='/meldungen/']").first
    number = link.get_attribute("href").rsplit("/", 1)[1]
    row_status = link.locator("xpath=ancestor::tr").locator("td.status-cell")
    return number, row_status.get_attribute("id")


def open_from_queue(clerk, number: str) -> None:
    """Meldungen in the staff menu, the number in the search, the ticket from its row."""
    clerk.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Meldungen").click()
    expect(clerk.get_by_role("heading", level=1, name="Meldungen")).to_be_visible()
    clerk.get_by_label("Suche").fill(number)
    clerk.get_by_role("button", name="Anzeigen").click()
    expect(clerk).to_have_url(re.compile(rf"suche={number}"))  # with htmx the URL follows the swapped queue
    clerk.locator("#queue-table").get_by_role("link", name=number, exact=True).click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)


def clerk_flow(clerk, number: str, tenant_page, status_cell_id: str | None) -> None:
    open_from_queue(clerk, number)
    clerk.get_by_label("Rückfrage an die Mieterin oder den Mieter").fill("Seit wann ist es kalt?")
    clerk.get_by_role("button", name="Rückfrage senden").click()
    expect(clerk.locator("#desk .desk-state")).to_contain_text("Rückfrage")
    if status_cell_id:  # the tenant's open list, left open in the other context, follows without reload
        tenant_page.goto("/meldungen")
        expect(tenant_page.locator(f"#{status_cell_id}")).to_contain_text("Rückfrage", timeout=POLL_WAIT_MS)

    # the tenant answers on the ticket's page
    answer_page = tenant_page.context.new_page()
    answer_page.goto(f"/meldungen/{number}")
    answer_page.get_by_label("Ihre Antwort").fill("Seit Montag früh.")
    answer_page.get_by_role("button", name="Absenden").click()
    expect(answer_page.locator("main")).to_contain_text("Vielen Dank für Ihre Antwort")
    answer_page.close()

    clerk.reload()
    expect(clerk.locator("#desk .desk-state")).to_contain_text("In Bearbeitung")
    expect(clerk.locator(".history")).to_contain_text("Seit Montag früh.")
    clerk.get_by_label("Neuer Status").select_option(label="Abgeschlossen")
    clerk.get_by_label(re.compile("Abschließende Nachricht")).fill("Der Heizungsmonteur war da.")
    clerk.get_by_role("button", name="Status ändern").click()
    expect(clerk.locator("#desk .desk-state")).to_contain_text("Abgeschlossen")
    if status_cell_id:
        expect(tenant_page.locator(f"#{status_cell_id}")).to_contain_text("Abgeschlossen", timeout=POLL_WAIT_MS)
    expect(clerk.locator("main")).to_contain_text("Der Status ist geändert.")
    # the history names the clerk's steps; the way back leads to the queue as it was searched
    expect(clerk.locator(".history")).to_contain_text("Der Heizungsmonteur war da.")
    clerk.get_by_role("link", name="Zurück zu den Meldungen").click()
    expect(clerk.get_by_label("Suche")).to_have_value(number)


def test_clerk_asks_tenant_answers_clerk_closes(new_page, demo_logins, users):
    tenant = new_page("desktop", user=users["tenant"])
    number, cell = open_ticket_of(tenant)
    clerk = new_page("desktop", user=demo_logins["staff"][2])  # Elsteraue, like the tenant
    clerk.goto("/intern/")
    clerk_flow(clerk, number, tenant, cell)
    assert_accessible(clerk)
    assert not unexpected_errors(clerk) and not unexpected_errors(tenant)


def take_down(clerk, tenant_name: str) -> str:
    """Neue Meldung aufnehmen for the tenant (a phone call), from the staff menu; the new ticket's number."""
    clerk.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Neue Meldung").click()
    first, last = tenant_name.split()[0], tenant_name.split()[-1]
    clerk.get_by_label("Name oder Mitgliedsnummer").fill(tenant_name)
    clerk.get_by_role("button", name="Suchen").click()
    clerk.get_by_role("link", name=f"{last}, {first}").click()
    clerk.get_by_label("Vertrag").select_option(index=1)
    heating = clerk.locator("#category option", has_text="Heizung/Warmwasser").first.get_attribute("value")
    clerk.get_by_label("Meldungsart und -kategorie").select_option(heating)
    clerk.get_by_label("Betreff").fill("Anruf: Heizung kalt")
    clerk.get_by_label(re.compile("Anliegen")).fill("Die Heizung im Bad bleibt kalt.")
    clerk.get_by_role("button", name="Meldung aufnehmen").click()
    expect(clerk.locator("main")).to_contain_text("ist aufgenommen")
    return clerk.url.rstrip("/").rsplit("/", 1)[1]


def test_the_same_flow_without_javascript(new_page, demo_logins, users):
    tenant = new_page("desktop", javascript=False, user=users["tenant"])
    clerk = new_page("desktop", javascript=False, user=demo_logins["staff"][3])
    clerk.goto("/intern/")
    number = take_down(clerk, users["tenant"]["name"])
    tenant.goto(f"/meldungen/{number}")
    expect(tenant.locator("main")).to_contain_text("aufgenommen von")
    clerk_flow(clerk, number, tenant, None)


def test_desk_and_new_ticket_pages_are_accessible_and_fit_a_phone(new_page, demo_logins, users):
    tenant = new_page("desktop", javascript=False, user=users["tenant"])
    number, _ = open_ticket_of(tenant, "alle")
    staff = demo_logins["admin"]
    clerk = new_page("desktop", user=staff)
    clerk.goto(f"/intern/meldungen/{number}")
    assert_accessible(clerk)
    clerk.goto("/intern/meldungen/neu")
    clerk.get_by_label("Name oder Mitgliedsnummer").fill(users["tenant"]["name"].split()[-1])
    clerk.get_by_role("button", name="Suchen").click()
    clerk.get_by_role("link", name=re.compile(users["tenant"]["name"].split()[-1])).first.click()
    expect(clerk.get_by_label("Betreff")).to_be_visible()
    assert_accessible(clerk)
    phone = new_page("phone", user=staff)
    for path in (f"/intern/meldungen/{number}", "/intern/meldungen/neu"):
        phone.goto(path)
        assert_no_horizontal_scroll(phone)


STALE_ANSWER = "Der Hausmeister kommt am Donnerstag zwischen 8 und 12 Uhr."


# two Lipsia clerks no other test here signs in: each signs in once for the module (a code counts once a window)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_an_answer_on_a_stale_version_is_kept_and_applies_when_resent(new_page, demo_logins, javascript):
    clerk_a = new_page("desktop", user=demo_logins["staff"][0])
    clerk_a.goto("/intern/meldungen")
    number = clerk_a.locator("#queue-table a[href^='/intern/meldungen/']").first.inner_text()
    clerk_b = new_page("desktop", javascript=javascript, user=demo_logins["staff"][1])
    clerk_b.goto(f"/intern/meldungen/{number}")
    clerk_a.goto(f"/intern/meldungen/{number}")

    # A closes the ticket while B, on the page from before, types an answer
    clerk_a.get_by_label("Neuer Status").select_option(label="Abgeschlossen")
    clerk_a.get_by_role("button", name="Status ändern").click()
    expect(clerk_a.locator("#desk .desk-state")).to_contain_text("Abgeschlossen")
    answer = clerk_b.get_by_label("Antwort an die Mieterin oder den Mieter")
    answer.fill(STALE_ANSWER)
    clerk_b.get_by_role("button", name="Antwort senden").click()

    conflict = clerk_b.locator("#conflict")
    expect(conflict).to_contain_text("Diese Meldung wurde inzwischen geändert.")
    expect(conflict).to_contain_text("Jetzt: Status „Abgeschlossen“")
    expect(conflict.get_by_role("listitem")).to_contain_text(["Status „Abgeschlossen“ (Sandra Köhler)"])
    expect(answer).to_have_value(STALE_ANSWER)
    expect(clerk_b.locator("#desk .desk-state")).to_contain_text("Abgeschlossen")  # the desk as it is now
    expect(clerk_b.locator(".history")).not_to_contain_text(STALE_ANSWER)
    assert_accessible(clerk_b)

    # sent again on purpose: it applies, once
    clerk_b.get_by_role("button", name="Antwort senden").click()
    expect(clerk_b.locator("main")).to_contain_text("Ihre Antwort ist gesendet.")
    expect(clerk_b.locator("#conflict")).to_have_count(0)
    expect(clerk_b.locator(".history")).to_contain_text(STALE_ANSWER)
    expect(clerk_b.get_by_label("Antwort an die Mieterin oder den Mieter")).to_have_value("")
    clerk_a.reload()
    expect(clerk_a.locator(".history").get_by_text(STALE_ANSWER)).to_have_count(1)
    assert not unexpected_errors(clerk_a) and not unexpected_errors(clerk_b)
