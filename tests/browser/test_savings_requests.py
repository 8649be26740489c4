"""Sparen in a real browser: a Jahreskontoauszug downloaded, a Steuerbescheinigung requested and a Spareinlage
given notice, with and without JavaScript, at desktop and phone width; axe on every page and state."""

import re
from pathlib import Path

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    path_of,
    unexpected_errors,
    wait_for_htmx,
)
from tests.helpers import pdf_text
from wir import clock

pytestmark = pytest.mark.browser

SPARBUCH, WACHSTUM, FESTZINS = "5104711-01", "5104711-02", "5100385-01"
TICKET_PATH = re.compile(r"/meldungen/L-\d{4}-\d{4}$")


def test_statement_download_without_javascript(new_page, users):
    page = new_page("desktop", javascript=False, user=users["saver"])
    page.goto("/sparen/")
    page.get_by_role("link", name=re.compile(rf"^Kontoauszüge\W+von Sparbuch {SPARBUCH}$")).click()
    assert path_of(page) == f"/sparen/{SPARBUCH}/kontoauszuege"
    expect(page.locator("h1")).to_have_text(f"Kontoauszüge: Sparbuch {SPARBUCH}")
    assert_accessible(page)
    year = clock.today().year - 1
    expect(page.get_by_role("link", name=f"Kontoauszug {year}", exact=True)).to_have_attribute(
        "href", f"/sparen/{SPARBUCH}/kontoauszug/{year}.pdf")  # opens in the browser's PDF viewer
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(rf"^Herunterladen\W+Kontoauszug {year}$")).click()
    assert download.value.suggested_filename == f"Kontoauszug_{SPARBUCH}_{year}.pdf"
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert f"Kontoauszug {year}: Sparbuch {SPARBUCH}" in text
    assert re.search(rf"Kontostand am 31\.12\.{year} [\d.]+,\d\d €", text)
    assert "Zinsgutschriften" in text and "Kapitalertragsteuer (einbehalten)" in text


def test_tax_certificate_without_javascript(new_page, users):
    page = new_page("desktop", javascript=False, user=users["saver"])
    page.goto("/sparen/")
    page.get_by_role("link", name="Steuerbescheinigung anfordern").click()
    assert path_of(page) == "/sparen/steuerbescheinigung"
    assert_accessible(page)
    # nothing chosen: the message next to the field
    page.get_by_role("button", name="Steuerbescheinigung anfordern").click()
    expect(page.locator("#year-error")).to_contain_text("Bitte wählen Sie das Jahr.")
    assert_accessible(page)
    year = str(clock.today().year - 1)
    page.get_by_label("Jahr").select_option(year)
    page.get_by_role("button", name="Steuerbescheinigung anfordern").click()
    assert TICKET_PATH.search(path_of(page)), page.url
    number = path_of(page).rsplit("/", 1)[1]
    expect(page.locator("main")).to_contain_text(f"Ihre Anfrage nach der Steuerbescheinigung {year} ist als Meldung")
    expect(page.locator("main")).to_contain_text(f"Bitte senden Sie mir die Steuerbescheinigung für das Jahr {year} zu.")
    assert_accessible(page)
    # the same year again, while the first is open
    page.goto("/sparen/steuerbescheinigung")
    page.get_by_label("Jahr").select_option(year)
    page.get_by_role("button", name="Steuerbescheinigung anfordern").click()
    expect(page.locator("#year-error")).to_contain_text(f"liegt uns bereits vor (Meldung {number})")
    assert_accessible(page)


def test_tax_certificate_with_javascript_at_phone_width(new_page, users):
    page = new_page("phone", user=users["both"])
    page.goto("/sparen/steuerbescheinigung")
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    page.evaluate("window.wirNoReload = 'still here'")
    page.get_by_role("button", name="Steuerbescheinigung anfordern").click()
    expect(page.locator("#year-error")).to_contain_text("Bitte wählen Sie das Jahr.")
    assert page.evaluate("window.wirNoReload") == "still here"  # htmx swapped the form only
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    year = str(clock.today().year - 1)
    page.get_by_label("Jahr").select_option(year)
    page.get_by_role("button", name="Steuerbescheinigung anfordern").click()
    expect(page).to_have_url(TICKET_PATH)
    expect(page.locator("main")).to_contain_text(f"Antrag auf Zusendung der Steuerbescheinigung {year}")
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors


def test_notice_without_javascript(new_page, users):
    page = new_page("desktop", javascript=False, user=users["saver"])
    page.goto(f"/sparen/{SPARBUCH}/umsaetze")
    page.get_by_role("link", name="Sparbuch kündigen").click()
    assert path_of(page) == f"/sparen/{SPARBUCH}/kuendigung"
    expect(page.get_by_role("link", name="Zurück zu den Umsätzen")).to_have_attribute("href", f"/sparen/{SPARBUCH}/umsaetze")
    expect(page.locator("main .notice")).to_contain_text("2.000,00 € je Kalendermonat")
    assert_accessible(page)
    # more than the balance
    page.get_by_label("Betrag in Euro").fill("99.999,00")
    page.get_by_role("button", name="Kündigung senden").click()
    expect(page.locator("#amount-error")).to_contain_text("Der Betrag ist höher als Ihr Guthaben")
    expect(page.get_by_label("Betrag in Euro")).to_have_value("99.999,00")
    assert_accessible(page)
    # a small amount today: free of notice
    page.get_by_label("Betrag in Euro").fill("150,00")
    page.get_by_label("Auszahlung zum").fill(clock.today().isoformat())
    page.get_by_role("button", name="Kündigung senden").click()
    assert TICKET_PATH.search(path_of(page)), page.url
    main = page.locator("main")
    expect(main).to_contain_text(f"Kündigung – Sparbuch {SPARBUCH}")
    expect(main).to_contain_text("Betrag: 150,00 €")
    expect(main).to_contain_text("ohne Kündigungsfrist")
    assert_accessible(page)
    page.goto("/dokumente/")
    expect(page.locator("main")).to_contain_text(f"Kündigung – Sparbuch {SPARBUCH} vom")


def test_notice_with_javascript_at_phone_width(new_page, users):
    page = new_page("phone", user=users["saver"])
    page.goto(f"/sparen/{WACHSTUM}/kuendigung")
    wait_for_htmx(page)
    expect(page.locator("main .notice")).to_contain_text("keinen Betrag, über den Sie ohne Kündigung verfügen können")
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    earliest = page.get_by_label("Auszahlung zum").input_value()
    page.evaluate("window.wirNoReload = 'still here'")
    # today is before the 12 months' notice ends
    page.get_by_label("Gesamtes Guthaben auszahlen und den Sparvertrag auflösen").check()
    page.get_by_label("Auszahlung zum").fill(clock.today().isoformat())
    page.get_by_role("button", name="Kündigung senden").click()
    expect(page.locator("#payout_on-error")).to_contain_text("Kündigungsfrist von 12 Monaten")
    assert page.evaluate("window.wirNoReload") == "still here"
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    page.get_by_label("Auszahlung zum").fill(earliest)
    page.get_by_role("button", name="Kündigung senden").click()
    expect(page).to_have_url(TICKET_PATH)
    expect(page.locator("main")).to_contain_text("der Sparvertrag wird aufgelöst")
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors


def test_fixed_term_explains_why_there_is_no_form(new_page, users):
    page = new_page("phone", user=users["both"])
    page.goto("/sparen/")
    page.get_by_role("link", name=re.compile(rf"^Kündigen\W+Festzins {FESTZINS}$")).click()
    wait_for_htmx(page)
    expect(page.locator("main")).to_contain_text("Vor dem Ende der Laufzeit kann er nicht gekündigt werden")
    expect(page.locator("main form")).to_have_count(0)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
