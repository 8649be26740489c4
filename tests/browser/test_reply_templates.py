"""Textbausteine in a real browser: a clerk writes one on the staff page, then at the desk choosing it puts it,
filled in for the ticket, after the text typed (htmx: the choice alone, focus in the text); an answer with a
{Termin} left is refused next to the field and sent once it is replaced. Without JavaScript „Einfügen“ does the
same. axe on the pages, no horizontal scrolling at 360 px."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

ANSWER = "Antwort an die Mieterin oder den Mieter"


def menu(page, name: str):
    return page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name=name, exact=True)


def open_first_ticket(page) -> str:
    """The first ticket of the clerk's queue; its number."""
    page.goto("/intern/meldungen")
    link = page.locator("#queue-table a[href^='/intern/meldungen/']").first
    number = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    return number


def test_a_clerk_writes_a_template_and_answers_with_it(new_page, demo_logins):
    page = new_page("desktop", user=demo_logins["staff"][0])  # Lipsia
    page.goto("/intern/")
    menu(page, "Textbausteine").click()
    expect(page.get_by_role("heading", level=1, name="Textbausteine")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Textbaustein schreiben").click()
    page.get_by_role("button", name="Speichern").click()  # nothing typed: the summary, focused
    expect(page.locator("[data-error-summary]")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Titel").fill("Rückruf erbeten")
    page.get_by_label(re.compile(r"^Text\b")).fill("{Anrede},\n\nbitte rufen Sie uns am {Termin} an.\n\n{Ansprechpartner}")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Der Textbaustein „Rückruf erbeten“ ist gespeichert.")).to_be_visible()

    open_first_ticket(page)
    wait_for_htmx(page)
    expect(page.get_by_role("button", name="Einfügen")).to_be_hidden()  # with htmx the choice is enough
    page.get_by_label(ANSWER).fill("Vielen Dank.")
    page.get_by_label("Textbaustein").select_option(label="Rückruf erbeten")
    answer = page.get_by_label(ANSWER)
    expect(answer).to_have_value(re.compile(r"^Vielen Dank\.\n\n(Sehr geehrte|Guten Tag).*\{Termin\}", re.S))
    expect(answer).to_be_focused()
    expect(page.locator("#desk-status")).to_contain_text("„Rückruf erbeten“ ist in die Antwort eingefügt")
    expect(page.get_by_label("Textbaustein")).to_have_value("")
    assert_accessible(page)

    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("#answer-message-error")).to_contain_text("Platzhalter {Termin}")
    page.get_by_label(ANSWER).fill(page.get_by_label(ANSWER).input_value().replace("{Termin}", "Montag"))
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("main")).to_contain_text("Ihre Antwort ist gesendet.")
    expect(page.locator(".history")).to_contain_text("bitte rufen Sie uns am Montag an.")
    assert not unexpected_errors(page), page.wir_console_errors


def test_without_javascript_einfuegen_fills_the_answer(new_page, demo_logins):
    page = new_page("desktop", javascript=False, user=demo_logins["staff"][2])  # Elsteraue
    number = open_first_ticket(page)
    page.get_by_label(ANSWER).fill("Guten Morgen.")
    page.get_by_label("Textbaustein").select_option(label="Eingangsbestätigung")
    page.get_by_role("button", name="Einfügen").click()
    expect(page.get_by_label(ANSWER)).to_have_value(
        re.compile(rf"^Guten Morgen\.\n\n.*Ihre Meldung hat die Nummer {number};", re.S))
    expect(page.get_by_label(ANSWER)).to_be_focused()
    expect(page.locator("#answer-inserted")).to_contain_text("Eingefügt: „Eingangsbestätigung“")
    assert_accessible(page)
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("main")).to_contain_text("Ihre Antwort ist gesendet.")


def test_the_pages_fit_360_px(new_page, demo_logins):
    page = new_page("phone", user=demo_logins["staff"][0])
    for url in ("/intern/textbausteine", "/intern/textbausteine/neu"):
        page.goto(url)
        assert_no_horizontal_scroll(page)
    open_first_ticket(page)
    assert_no_horizontal_scroll(page)
