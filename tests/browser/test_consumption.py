"""Verbrauch in a real browser: Jürgen Müller opens it from the Startseite, changes the month and downloads the
PDF; with htmx at phone width and without JavaScript; axe clean, no sideways scrolling at 320 px."""

import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.helpers import (
    after_swap,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)
from tests.helpers import demo_tenant

pytestmark = pytest.mark.browser

MONTH_HEADING = re.compile(r"^Ihr Verbrauch im ")
# the tables' boxes whose content is wider than they are (they would scroll sideways)
SCROLLING_BOXES = "boxes => boxes.filter(box => box.scrollWidth > box.clientWidth + 1).map(box => box.id || box.getAttribute('aria-labelledby'))"


def _download_pdf(page) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r" als PDF herunterladen$")).click()
    path = download.value.path()
    with open(path, "rb") as file:
        return file.read()


def test_consumption_with_htmx_at_phone_width(new_page, demo_logins):
    page = new_page(viewport="phone", user=demo_tenant(demo_logins, "juergen"))
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^Heizung im .+: .+ kWh")).click()
    expect(page.get_by_role("heading", level=1, name="Ihr Verbrauch")).to_be_visible()
    wait_for_htmx(page)
    heading = page.get_by_role("heading", level=2, name=MONTH_HEADING)
    newest = heading.inner_text()
    expect(page.get_by_role("img", name=re.compile(r"^Heizung: Verbrauch der letzten 13 Monate"))).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 360)
    # the charts' text reads on the phone (at least 13 px high), the tables beneath them are tables, not cards
    heights = page.locator("svg.chart text").evaluate_all("texts => texts.map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= 13, heights
    expect(page.locator("#table-heating thead")).to_be_visible()
    assert page.locator("#table-heating tbody tr").first.evaluate("row => getComputedStyle(row).display") == "table-row"
    page.set_viewport_size({"width": 320, "height": 740})
    assert_no_horizontal_scroll(page, 320)
    assert page.locator(".consumption .table-scroll").evaluate_all(SCROLLING_BOXES) == []
    page.evaluate("window.wirNoReload = 'still here'")

    # the month before through the chooser: htmx swaps the figures and keeps the URL
    chooser = page.get_by_label("Monat", exact=True)
    earlier = chooser.locator("option").nth(1)
    earlier_name = earlier.inner_text()
    chooser.select_option(earlier.get_attribute("value"))
    after_swap(page, lambda: page.get_by_role("button", name="Anzeigen").click())
    expect(heading).to_have_text(f"Ihr Verbrauch im {earlier_name}")
    assert "monat=" in page.url and page.evaluate("window.wirNoReload") == "still here"
    # and back with the link to the later month
    after_swap(page, lambda: page.get_by_role("link", name=newest.removeprefix("Ihr Verbrauch im ")).click())
    expect(heading).to_have_text(newest)
    assert_accessible(page)
    assert_no_horizontal_scroll(page, 320)

    pdf = _download_pdf(page)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and "Ihre Verbrauchsinformation für" in reader.pages[0].extract_text()
    assert not unexpected_errors(page), page.wir_console_errors


def test_consumption_without_javascript(new_page, demo_logins):
    page = new_page(javascript=False, user=demo_tenant(demo_logins, "juergen"))
    page.goto("/vertraege/")
    page.get_by_role("link", name=re.compile(r"^Mietvertrag MV-1001-0203")).click()
    page.get_by_role("link", name="Verbrauch ansehen").click()
    expect(page.get_by_role("heading", level=1, name="Ihr Verbrauch")).to_be_visible()
    assert_accessible(page)

    chooser = page.get_by_label("Monat", exact=True)
    oldest = chooser.locator("option").last
    oldest_name = oldest.inner_text()
    chooser.select_option(oldest.get_attribute("value"))
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", level=2, name=MONTH_HEADING)).to_have_text(f"Ihr Verbrauch im {oldest_name}")
    # the first month has no month before it: said so, never shown as zero
    expect(page.get_by_text("liegen keine Werte vor").first).to_be_visible()
    assert_accessible(page)

    pdf = _download_pdf(page)
    assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text().count(oldest_name) >= 1
