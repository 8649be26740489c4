"""The one focus rule after every htmx swap (issue 26, WCAG 2.4.3, 3.3.1, 4.1.3), in a real browser.

After a swap with errors focus is on the error summary, after a success on the confirmation message (in the live
region outside what is swapped), after a choice that rebuilds a form on the next field: on the ticket desk after
each action (zuweisen, Status, Antwort, Rückfrage, interne Notiz, an empty and a stale one) and on the Kontakt form
after each of its three choices and a send with errors. „Auswahl übernehmen“ shows only without JavaScript, and
works there. axe and HTML_CodeSniffer stay clean on both pages. On the Freistellungsauftrag the kind, once chosen,
hands the focus on to the amount (the fit on load takes none).
"""

import re

import pytest

from tests.browser.helpers import after_swap, assert_accessible, control, expect, option_value, wait_for_htmx

pytestmark = pytest.mark.browser

FOCUSED = """() => { const e = document.activeElement;
                     return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name'),
                             summary: e.hasAttribute('data-error-summary'), text: e.innerText,
                             inStatus: Boolean(e.closest('#desk-status'))}; }"""


def focus_after(page, action) -> dict:
    """Run ``action`` (which makes htmx swap), wait until htmx has settled, and return what has focus then."""
    after_swap(page, action)
    wait_for_htmx(page)
    return page.evaluate(FOCUSED)


# --- Kontakt ---------------------------------------------------------------------------------------------


def first_field_after_choices(page) -> str:
    """The id of the first form control after the Kontakt form's choices (what the category asks for first)."""
    return page.evaluate(
        """() => { const fieldset = document.querySelector('#contact-form fieldset.choice');
                   const controls = [...document.querySelectorAll('#contact-form input:not([type=hidden]), '
                                                                + '#contact-form select, #contact-form textarea')];
                   return controls.find(c => fieldset.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING
                                             && !fieldset.contains(c)).id; }"""
    )


def test_kontakt_each_choice_focuses_the_next_field_and_errors_the_summary(new_page, users):
    page = new_page("phone", user=users["tenant"])
    page.goto("/kontakt")
    wait_for_htmx(page)
    expect(page.get_by_role("button", name="Auswahl übernehmen")).to_be_hidden()  # every choice applies at once

    concern = control(page, "Worum geht es?")
    contract = concern.locator("option", has_text="Mietvertrag").first.get_attribute("value")
    focused = focus_after(page, lambda: concern.select_option(contract))
    assert focused["id"] == "ticket_type", focused
    expect(control(page, "Worum geht es?")).to_have_value(contract)

    ticket_type = control(page, "Meldungsart")
    focused = focus_after(page, lambda: ticket_type.select_option(option_value(ticket_type, "Schadensmeldung")))
    assert focused["id"] == "category", focused

    category = control(page, "Meldungskategorie")
    focused = focus_after(page, lambda: category.select_option(option_value(category, "Heizung/Warmwasser")))
    expected = first_field_after_choices(page)
    assert expected in {"phone", "location"}, expected  # a damage report asks where (or for a phone) first
    assert focused["id"] == expected, focused

    # the chosen contract is shown whole at phone width: the select is as tall as its wrapped text needs
    widths = control(page, "Worum geht es?").evaluate(
        """s => { const c = document.createElement('canvas').getContext('2d');
                  const style = getComputedStyle(s); c.font = style.font;
                  const text = c.measureText(s.selectedOptions[0].text).width;
                  const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                  return {text, room, height: s.clientHeight, line: parseFloat(style.lineHeight) || 20}; }""")
    assert widths["text"] > widths["room"], f"the contract's name fits one line at phone width: {widths}"
    assert widths["height"] >= 2 * widths["line"], f"the chosen contract is cut off: {widths}"
    expect(page.locator(".choice-echo")).to_be_hidden()  # Chromium shows it whole; other browsers read it beneath

    # sent without Betreff and Nachricht: focus on the summary, which names both
    focused = focus_after(page, lambda: page.get_by_role("button", name="Absenden").click())
    assert focused["summary"], focused
    assert "Bitte prüfen Sie Ihre Eingaben" in focused["text"] and "Betreff" in focused["text"], focused
    expect(page.get_by_role("button", name="Auswahl übernehmen")).to_be_hidden()
    assert_accessible(page)


def test_kontakt_without_javascript_offers_auswahl_uebernehmen_and_focuses_the_next_field(new_page, users):
    page = new_page("phone", javascript=False, user=users["tenant"])
    page.goto("/kontakt")
    button = page.get_by_role("button", name="Auswahl übernehmen")
    expect(button).to_be_visible()
    ticket_type = control(page, "Meldungsart")
    ticket_type.select_option(option_value(ticket_type, "Schadensmeldung"))
    button.click()
    category = control(page, "Meldungskategorie")
    expect(category.locator("option", has_text="Heizung/Warmwasser")).to_have_count(1)  # the choice applied
    expect(category).to_be_focused()  # the first choice still open (autofocus on the new page)
    category.select_option(option_value(category, "Heizung/Warmwasser"))
    with page.expect_navigation():  # the new page must have loaded before it is asked for its first field
        page.get_by_role("button", name="Auswahl übernehmen").click()
    expect(page.locator(f"#{first_field_after_choices(page)}")).to_be_focused()
    assert_accessible(page)


# --- the ticket desk -------------------------------------------------------------------------------------


def open_desk(page) -> str:
    """The first open Meldung of the clerk's queue; returns its number."""
    page.goto("/intern/meldungen")
    link = page.locator("#queue-table a[href^='/intern/meldungen/']").first
    number = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    wait_for_htmx(page)
    return number


def assert_confirmed(focused: dict, message: str) -> None:
    assert focused["inStatus"] and message in focused["text"], focused


def test_every_desk_action_focuses_its_confirmation_or_its_errors(new_page, users):
    page = new_page("desktop", user=users["staff"])
    open_desk(page)
    status_region = page.locator("#desk-status")
    expect(status_region).to_have_attribute("aria-live", "polite")

    assignee = control(page, "Zuständig")
    assignee.select_option(index=1)
    focused = focus_after(page, lambda: page.get_by_role("button", name="Zuweisen").click())
    assert_confirmed(focused, "Die Zuständigkeit ist gespeichert.")

    page.locator("#answer-message").fill("Wir kümmern uns darum.")
    focused = focus_after(page, lambda: page.get_by_role("button", name="Antwort senden").click())
    assert_confirmed(focused, "Ihre Antwort ist gesendet.")

    page.locator("#note-note").fill("Hausmeister informiert.")
    focused = focus_after(page, lambda: page.get_by_role("button", name="Notiz speichern").click())
    assert_confirmed(focused, "Die interne Notiz ist gespeichert.")

    # an empty note: the note form's summary, and the last confirmation is gone from the live region
    focused = focus_after(page, lambda: page.get_by_role("button", name="Notiz speichern").click())
    assert focused["summary"] and "Bitte schreiben Sie eine Notiz." in focused["text"], focused
    assert page.locator("#desk form").filter(has=page.locator(":focus")).get_by_role(
        "button", name="Notiz speichern").count() == 1, "the summary focused is not the note form's"
    expect(status_region).to_have_text("")

    # a stale version (another clerk was quicker): the conflict says what changed
    page.locator("#desk input[name='note-version']").evaluate("input => { input.value = '0'; }")
    page.locator("#note-note").fill("Noch einmal.")
    focused = focus_after(page, lambda: page.get_by_role("button", name="Notiz speichern").click())
    assert focused["id"] == "conflict" and "inzwischen geändert" in focused["text"], focused

    page.locator("#query-question").fill("Seit wann?")
    focused = focus_after(page, lambda: page.get_by_role("button", name="Rückfrage senden").click())
    assert_confirmed(focused, "Ihre Rückfrage ist gesendet.")

    control(page, "Neuer Status").select_option(label="In Bearbeitung")
    focused = focus_after(page, lambda: page.get_by_role("button", name="Status ändern").click())
    assert_confirmed(focused, "Der Status ist geändert.")
    expect(page.locator("#desk .desk-state")).to_contain_text("In Bearbeitung")
    assert_accessible(page)


# --- the Freistellungsauftrag ----------------------------------------------------------------------------


def test_freistellungsauftrag_kind_focuses_the_amount_but_the_fit_on_load_takes_no_focus(new_page, users):
    page = new_page("phone", user=users["both"])  # Gisela: no order yet
    page.goto("/sparen/freistellungsauftrag/neu")
    wait_for_htmx(page)  # htmx has fitted the form to the kind on load
    assert page.evaluate("document.activeElement.id") != "amount", "the fit on load took the focus"
    kind = page.get_by_label(re.compile("^Art des Auftrags"))
    focused = focus_after(page, lambda: kind.select_option("joint"))
    assert focused["id"] == "amount", focused
    expect(page.locator("#partner-fields")).to_be_visible()
    focused = focus_after(page, lambda: page.get_by_label(re.compile("^Art des Auftrags")).select_option("single"))
    assert focused["id"] == "amount", focused
    expect(page.locator("#partner-fields")).to_have_count(0)
