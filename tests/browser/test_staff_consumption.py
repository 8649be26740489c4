"""Verbrauchsinformation per Post in a real browser: a clerk (password and code) opens the list from the staff
navigation, sees the household without portal access and the one that asked for paper, changes the month and
back, orders all of the month's letters as one PDF, waits for it (reloading by the link without JavaScript, htmx
polling with it), downloads it (one page a letter) and then sees them printed. Without JavaScript at 1280 px
and with htmx at 360 px (no sideways scrolling); axe on the page in each state."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)
from tests.browser.page_walk import _app_for
from wir import clock
from wir.formatting import german_month

pytestmark = pytest.mark.browser

URL = "/intern/verbrauch"


def _months() -> tuple:
    first = clock.today().replace(day=1)
    return clock.add_months(first, -1), clock.add_months(first, -2)


@pytest.fixture(scope="module")
def post_households(live_server):
    """Values of the last two months for Hannelore Schütz (no login) and Jürgen Müller, who asks for paper too."""
    from wir import db
    from wir.models import Consumption, Contract, Meter, Person

    app = _app_for(live_server)
    with app.app_context(), db.database.connection_context():
        for number in ("MV-2003-0001", "MV-1001-0203"):
            contract = Contract.get(Contract.number == number)
            meter = Meter.create(unit=contract.unit_id, number=f"B-{number}", kind="heating", measure="kWh")
            for month in _months():
                Consumption.create(meter=meter, month=month, amount=Decimal("250"), measure="kWh",
                                   kwh=Decimal("250"), average_kwh=Decimal("240"))
        Person.update(consumption_by_post=True).where(Person.first_name == "Jürgen").execute()
    db.close_all()


def letters_row(page, number: str):
    return page.locator("table.data-table tbody tr").filter(has_text=number)


BATCH_TIMEOUT_MS = 30_000


def download_letters(page, javascript: bool) -> tuple[int, bytes]:
    """All of the month's letters, made in the background: the batch's page (htmx polls it, without JavaScript the
    clerk reloads by its link), then its PDF; and how many letters the button promised."""
    button = page.get_by_role("button", name=re.compile(r"^Alle Briefe als PDF erstellen"))
    count = int(re.search(r"\((\d+) Briefe", button.text_content()).group(1))
    button.click()
    expect(page).to_have_url(re.compile(r"/intern/verbrauch/auftrag/\d+$"))
    download_link = page.get_by_role("link", name=f"PDF herunterladen ({count} Briefe)")
    if javascript:
        expect(download_link).to_be_visible(timeout=BATCH_TIMEOUT_MS)
    else:
        for _ in range(BATCH_TIMEOUT_MS // 500):
            if download_link.count():
                break
            reload = page.get_by_role("link", name="Stand aktualisieren")
            if reload.count():
                reload.click()
            page.wait_for_timeout(500)
    expect(page.locator("main")).to_contain_text(f"Fertig: {count} Briefe für {german_month(_months()[0])}")
    assert_accessible(page)
    with page.expect_download() as download:
        download_link.click()
    assert re.fullmatch(rf"Verbrauchsinformation-{_months()[0]:%Y-%m}-\d+\.pdf", download.value.suggested_filename)
    return count, Path(download.value.path()).read_bytes()


def assert_letters(count: int, pdf: bytes) -> None:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == count >= 2
    assert all(f"Ihre Verbrauchsinformation für {german_month(_months()[0])}" in text for text in pages)
    assert any("Hannelore Schütz" in text for text in pages) and any("Jürgen Müller" in text for text in pages)


def change_month(page, month, javascript: bool) -> None:
    page.get_by_label("Monat").select_option(f"{month:%Y-%m}")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(rf"monat={month:%Y-%m}"))
    expect(page.locator("#consumption-post-title")).to_have_text(german_month(month))
    if javascript:
        wait_for_htmx(page)


def test_clerk_prints_the_letters_without_javascript(new_page, demo_logins, post_households):
    clerk = new_page("desktop", javascript=False, user=demo_logins["staff"][0])
    clerk.goto("/intern/")
    clerk.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Verbrauch per Post").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Verbrauchsinformation per Post")
    newest, before = _months()
    expect(clerk.locator("#consumption-post-title")).to_have_text(german_month(newest))
    expect(letters_row(clerk, "MV-2003-0001")).to_contain_text("kein Portalzugang")
    expect(letters_row(clerk, "MV-1001-0203")).to_contain_text("wünscht Papier")
    assert_accessible(clerk)

    change_month(clerk, before, javascript=False)
    expect(letters_row(clerk, "MV-2003-0001")).to_contain_text("noch nicht")
    change_month(clerk, newest, javascript=False)

    assert_letters(*download_letters(clerk, javascript=False))
    clerk.get_by_role("link", name="Zurück zur Verbrauchsinformation per Post").click()
    expect(letters_row(clerk, "MV-2003-0001")).not_to_contain_text("noch nicht")
    expect(letters_row(clerk, "MV-2003-0001")).to_contain_text(f"{clock.today():%d.%m.%Y}")
    assert_accessible(clerk)


def test_clerk_on_a_phone_with_htmx(new_page, demo_logins, post_households):
    clerk = new_page("phone", user=demo_logins["staff"][1])
    clerk.goto(URL)
    wait_for_htmx(clerk)
    newest, before = _months()
    assert_no_horizontal_scroll(clerk)
    change_month(clerk, before, javascript=True)
    # only the list was swapped
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Verbrauchsinformation per Post")
    assert_no_horizontal_scroll(clerk)
    assert_accessible(clerk)
    change_month(clerk, newest, javascript=True)
    assert_letters(*download_letters(clerk, javascript=True))
    assert not unexpected_errors(clerk)
