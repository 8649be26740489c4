"""Auswertung in a real browser: a clerk of Lipsia opens it from the menu; at 360 and 320 px without sideways
scrolling, the charts' text readable, axe clean; without JavaScript the same page and the CSV download."""

import pytest

from tests.browser.helpers import assert_accessible, assert_no_horizontal_scroll, expect

pytestmark = pytest.mark.browser


def test_the_figures_at_phone_width(new_page, users):
    page = new_page(viewport="phone", user=users["staff"])
    page.goto("/intern/")
    page.get_by_role("link", name="Auswertung").click()
    expect(page.get_by_role("heading", level=1, name="Auswertung: WG „Lipsia“ eG")).to_be_visible()
    for name in ("Eingegangene und abgeschlossene Meldungen je Monat", "Offene Meldungen nach Alter"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    heights = page.locator("svg.chart text").evaluate_all("texts => texts.map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= 13, heights
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)
    page.set_viewport_size({"width": 320, "height": 740})
    assert_no_horizontal_scroll(page, 320)


def test_the_figures_without_javascript(new_page, users):
    page = new_page(javascript=False, user=users["staff"])
    page.goto("/intern/auswertung")
    expect(page.get_by_role("table", name="Offene Meldungen nach Arbeitstagen seit dem Eingang")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Alle Zahlen als CSV herunterladen").click()
    assert download.value.suggested_filename.startswith("auswertung-lipsia-")
