"""Neuigkeiten in a real browser: a clerk writes a news item, looks at its preview and saves it; the tenant's
Startseite shows it with its paragraphs and link; without JavaScript the clerk edits and deletes one (after the
confirmation) and it leaves the Startseite. axe on every staff page at 1280 px; no horizontal scrolling at 360 px."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)
from tests.helpers import demo_tenant

pytestmark = pytest.mark.browser

BODY = ("Am Samstag feiern wir im Hof der Stuttgarter Allee.\n\n"
        "Alles Weitere: https://www.wg-lipsia.de/sommerfest – wir freuen uns! <b>Kuchen</b>")


def menu(page, name: str):
    return page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name=name, exact=True)


def test_a_clerk_writes_news_that_show_on_the_tenants_startseite(new_page, demo_logins):
    page = new_page("desktop", user=demo_logins["staff"][0])  # Lipsia
    page.goto("/intern/")
    menu(page, "Neuigkeiten").click()
    expect(page.get_by_role("heading", level=1, name="Neuigkeiten")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Neuigkeit schreiben").click()
    wait_for_htmx(page)
    assert_accessible(page)

    page.get_by_label("Überschrift").fill("Sommerfest im Hof")
    page.get_by_label(re.compile(r"^Text\b")).fill(BODY)
    page.get_by_role("button", name="Vorschau").click()
    preview = page.get_by_role("region", name="Vorschau: so sehen es Mieterinnen und Mieter")
    expect(preview.get_by_role("heading", name="Sommerfest im Hof")).to_be_visible()
    expect(preview.get_by_role("link", name="https://www.wg-lipsia.de/sommerfest")).to_have_attribute(
        "href", "https://www.wg-lipsia.de/sommerfest")
    expect(preview).to_contain_text("<b>Kuchen</b>")  # shown as typed, never as HTML
    expect(page).to_have_url(re.compile(r"/intern/neuigkeiten/neu$"))  # htmx swapped only the editor
    assert_accessible(page)

    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Die Neuigkeit „Sommerfest im Hof“ ist gespeichert (sichtbar).")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Sommerfest im Hof")).to_contain_text("sichtbar")
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors

    tenant = new_page("desktop", user=demo_tenant(demo_logins, "juergen"))
    tenant.goto("/")
    news = tenant.get_by_role("region", name="Neuigkeiten").locator("article", has_text="Sommerfest im Hof")
    expect(news.locator("p", has_text="Am Samstag feiern wir")).to_be_visible()
    expect(news.get_by_role("link", name="https://www.wg-lipsia.de/sommerfest")).to_be_visible()
    expect(news).to_contain_text("<b>Kuchen</b>")


def test_without_javascript_a_clerk_edits_and_deletes_news(new_page, demo_logins):
    page = new_page("desktop", javascript=False, user=demo_logins["staff"][0])
    tenant = new_page("desktop", javascript=False, user=demo_tenant(demo_logins, "juergen"))
    page.goto("/intern/neuigkeiten")
    row = page.get_by_role("row").filter(has_text="Neue Zinssätze für Festzins-Sparverträge")
    row.get_by_role("link", name=re.compile("^Bearbeiten")).click()
    expect(page.get_by_role("heading", level=1, name="Neuigkeit bearbeiten")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Überschrift").fill("")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.locator("#title-error")).to_contain_text("Bitte geben Sie eine Überschrift ein.")
    assert_accessible(page)
    page.get_by_label("Überschrift").fill("Neue Zinssätze ab Juli")
    page.get_by_role("button", name="Vorschau").click()
    expect(page.get_by_role("region", name=re.compile("^Vorschau"))).to_contain_text("Neue Zinssätze ab Juli")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("„Neue Zinssätze ab Juli“ ist gespeichert")).to_be_visible()

    tenant.goto("/")
    expect(tenant.get_by_role("heading", name="Neue Zinssätze ab Juli")).to_be_visible()

    page.get_by_role("row").filter(has_text="Neue Zinssätze ab Juli").get_by_role(
        "link", name=re.compile("^Löschen")).click()
    expect(page.get_by_role("heading", level=1, name="Neuigkeit löschen?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ja, löschen").click()
    expect(page.get_by_text("Die Neuigkeit „Neue Zinssätze ab Juli“ ist gelöscht.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Neue Zinssätze ab Juli")).to_have_count(0)
    tenant.goto("/")
    expect(tenant.get_by_role("heading", name="Neue Zinssätze ab Juli")).to_have_count(0)


def test_news_pages_fit_a_phone(new_page, demo_logins):
    page = new_page("phone", user=demo_logins["staff"][0])
    for path in ("/intern/neuigkeiten", "/intern/neuigkeiten/neu", "/intern/neuigkeiten/1", "/intern/neuigkeiten/1/loeschen"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scroll(page)
