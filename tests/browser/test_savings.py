"""Sparen in a real browser: the Übersicht, the Umsätze filter and their pages, the CSV download, with and
without JavaScript, at desktop and phone width; axe on every page."""

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

pytestmark = pytest.mark.browser

SPARBUCH, FESTZINS = "5104711-01", "5100385-01"  # the "saver"'s Sparbuch (Lipsia), the Festzins of "both"


def kinds_shown(page) -> set[str]:
    return set(page.locator("table.transactions td[data-label='Art']").all_inner_texts())


def download_csv(page) -> tuple[str, bytes]:
    with page.expect_download() as download:
        page.get_by_role("link", name="Auswahl als CSV-Datei herunterladen").click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_overview_filter_and_csv_without_javascript(new_page, users):
    page = new_page("desktop", javascript=False, user=users["saver"])
    page.goto("/")
    page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Sparen").click()
    expect(page.locator("h1")).to_have_text("Sparen")
    table = page.locator("table.savings-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text("3 Monate Kündigungsfrist")
    expect(table.locator("tfoot")).to_contain_text(re.compile(r"Summe aller Sparverträge\s+[\d.]+,\d\d €"))
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(rf"^Umsätze\W+von Sparbuch {SPARBUCH}$")).click()
    assert path_of(page) == f"/sparen/{SPARBUCH}/umsaetze"
    assert_accessible(page)
    page.get_by_label("Art").select_option(label="Auszahlung")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"art=Auszahlung"))
    assert kinds_shown(page) == {"Auszahlung"}
    assert page.locator("table.transactions td[data-label='Betrag']").first.inner_text().startswith("-")

    filename, body = download_csv(page)
    assert filename == f"umsaetze-{SPARBUCH}.csv"
    assert body.startswith(b"\xef\xbb\xbf") and b";Auszahlung;-" in body and b"Einzahlung" not in body

    # a period that ends before it begins: the message next to the field, nothing else changed
    page.get_by_label("Von").fill("2025-06-01")
    page.get_by_label("Bis").fill("2025-05-31")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#bis-error")).to_contain_text("Das Ende des Zeitraums liegt vor seinem Anfang.")
    expect(page.locator("table.transactions")).to_have_count(0)
    assert_accessible(page)


def test_umsaetze_with_javascript_at_phone_width(new_page, users):
    page = new_page("phone", user=users["both"])
    page.goto("/sparen/")
    wait_for_htmx(page)
    expect(page.locator("table.savings-table")).to_contain_text("Festzins")
    expect(page.locator("table.savings-table")).to_contain_text(re.compile(r"fest bis \d\d\.\d\d\.\d{4}"))
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(rf"^Umsätze\W+von Festzins {FESTZINS}$")).click()
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page, 360)
    assert_accessible(page)
    all_kinds = kinds_shown(page)
    assert {"Zinsgutschrift", "Kapitalertragsteuer", "Solidaritätszuschlag"} <= all_kinds

    # the filter swaps the list in place and pushes its URL
    page.evaluate("window.wirNoReload = 'still here'")
    page.get_by_label("Art").select_option(label="Kapitalertragsteuer")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"art=KapESt"))
    expect(page.locator("table.transactions td[data-label='Art']").first).to_have_text("Kapitalertragsteuer")
    assert kinds_shown(page) == {"Kapitalertragsteuer"}
    assert page.evaluate("window.wirNoReload") == "still here"
    assert_no_horizontal_scroll(page, 360)

    # a message next to the field, through htmx too
    page.get_by_label("Von").fill("2025-06-01")
    page.get_by_label("Bis").fill("2025-05-31")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#bis-error")).to_contain_text("Das Ende des Zeitraums liegt vor seinem Anfang.")
    assert page.evaluate("window.wirNoReload") == "still here"
    assert_accessible(page)

    page.get_by_role("link", name="Alle Umsätze zeigen").click()
    expect(page).to_have_url(re.compile(rf"/sparen/{FESTZINS}/umsaetze$"))
    expect(page.get_by_role("link", name="Alle Umsätze zeigen")).to_have_count(0)
    assert kinds_shown(page) == all_kinds
    filename, body = download_csv(page)
    assert filename == f"umsaetze-{FESTZINS}.csv" and "Solidaritätszuschlag".encode() in body
    assert not unexpected_errors(page), page.wir_console_errors
