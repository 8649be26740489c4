"""Kontakt for a Termin (issue 20) in a real browser: the stored phone numbers as radios, the first chosen, beside
„Andere Nummer:“ with its field; with htmx (the form's swap) and without JavaScript; axe and HTML_CodeSniffer clean.
The desk then shows the number chosen."""

import re

import pytest

from tests.browser.helpers import after_swap, assert_accessible, control, expect, option_value, wait_for_htmx

pytestmark = pytest.mark.browser

APPOINTMENT = "Terminvereinbarung"


def choose_appointment(page, javascript: bool) -> None:
    ticket_type = control(page, "Meldungsart")
    if javascript:
        after_swap(page, lambda: ticket_type.select_option(option_value(ticket_type, "Termin")))
        category = control(page, "Meldungskategorie")
        after_swap(page, lambda: category.select_option(option_value(category, APPOINTMENT)))
    else:
        ticket_type.select_option(option_value(ticket_type, "Termin"))
        page.get_by_role("button", name="Auswahl übernehmen").click()
        category = control(page, "Meldungskategorie")
        category.select_option(option_value(category, APPOINTMENT))
        page.get_by_role("button", name="Auswahl übernehmen").click()


@pytest.mark.parametrize("javascript", [True, False])
def test_a_termin_offers_the_stored_numbers_and_another(new_page, users, javascript):
    page = new_page("phone", javascript=javascript, user=users["both"])
    page.goto("/kontakt")
    if javascript:
        wait_for_htmx(page)
    choose_appointment(page, javascript)
    group = page.get_by_role("group", name=re.compile("Telefonnummer für den Termin"))
    radios = group.get_by_role("radio")
    count = radios.count()
    assert count >= 2, "the demo tenant has stored phone numbers"  # each stored number, plus „Andere Nummer“
    expect(radios.first).to_be_checked()
    expect(radios.first).to_be_focused()  # the number to call is the next thing to confirm
    assert_accessible(page)

    # another number, typed: filed with the ticket
    group.get_by_role("radio", name="Andere Nummer:").check()
    page.get_by_label("Andere Telefonnummer").fill("0177 7654321")
    control(page, "Betreff").fill(f"Termin {'mit' if javascript else 'ohne'} JavaScript")
    control(page, "Nachricht").fill("Bitte rufen Sie mich vormittags an.")
    page.get_by_role("button", name="Absenden").click()
    expect(page.locator("h1")).to_contain_text("Termin")
    expect(page.locator("main")).to_contain_text("0177 7654321")


def test_a_picked_stored_number_reaches_the_ticket(new_page, users):
    page = new_page("desktop", javascript=False, user=users["both"])
    page.goto("/kontakt")
    choose_appointment(page, javascript=False)
    group = page.get_by_role("group", name=re.compile("Telefonnummer für den Termin"))
    first = group.get_by_role("radio").first
    label = page.locator(f'label[for="{first.get_attribute("id")}"]').inner_text()
    number = label.split(": ", 1)[1]
    control(page, "Betreff").fill("Termin mit gespeicherter Nummer")
    control(page, "Nachricht").fill("Bitte rufen Sie mich an.")
    page.get_by_role("button", name="Absenden").click()
    expect(page.locator("main")).to_contain_text(number)
