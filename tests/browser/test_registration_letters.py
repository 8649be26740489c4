"""Registrierungsbriefe in a real browser. Two persons without an account ask for a Registrierungsnummer on the
public page (two requests a run: the page takes 5 an hour from one address): Monika Müller as the portal knows her (typed "Mueller", matched), Hannelore Schütz with a house number
the portal does not know ("nicht zuzuordnen"). A clerk (password + TOTP) assigns Hannelore on the request's page,
ticks both requests, has the letters made by the live server's in-process huey consumer, follows the progress and
downloads the PDF: one page a letter with name, address and number; the requests are then done. With JavaScript
(htmx polls the batch) and without (the reload link). axe on the letters page (also with its error), the request's
page and the batch page at 1280 px; none of them scrolls sideways at 360 px."""

import io
import re
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

pytestmark = pytest.mark.browser

LETTERS = "/intern/registrierungsbriefe"
BATCH_TIMEOUT_MS = 30_000  # the consumer makes two letters in well under a second; a busy machine is slower

MONIKA = {"first": "Monika", "last": "Mueller", "street": "Stuttgarter Allee 18", "postcode": "04209", "city": "Leipzig"}
# Brünnler Straße 6 is her address; a wrong house number leaves the request to the clerk
HANNELORE = {"first": "Hannelore", "last": "Schütz", "street": "Brünnler Str. 8", "postcode": "04209", "city": "Leipzig"}


def request_number(anonymous, who: dict) -> None:
    anonymous.goto("/registrieren/nummer-anfordern")
    anonymous.get_by_label("Vorname").fill(who["first"])
    anonymous.get_by_label("Nachname").fill(who["last"])
    anonymous.get_by_label("Straße und Hausnummer").fill(who["street"])
    anonymous.get_by_label("Postleitzahl").fill(who["postcode"])
    anonymous.get_by_label("Ort").fill(who["city"])
    anonymous.get_by_label("Genossenschaft").select_option(label="WG „Lipsia“ eG")
    anonymous.get_by_role("button", name="Absenden").click()
    expect(anonymous).to_have_url(re.compile(r"/nummer-angefordert$"))


@pytest.fixture
def two_requests(new_page):
    anonymous = new_page("desktop", javascript=False)
    request_number(anonymous, MONIKA)
    request_number(anonymous, HANNELORE)


def request_row(clerk, who: dict):
    return clerk.locator("table.data-table tbody tr").filter(has_text=f"{who['first']} {who['last']}")


def assign_hannelore(clerk, javascript: bool, seen) -> None:
    row = request_row(clerk, HANNELORE)
    expect(row).to_contain_text("nicht zuzuordnen")
    row.get_by_role("link", name=re.compile("Person zuordnen")).click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Anfrage zuordnen")
    expect(clerk.locator("main")).to_contain_text("Brünnler Str. 8, 04209 Leipzig")
    seen(clerk)
    if javascript:
        wait_for_htmx(clerk)
    clerk.get_by_label("Name, Anschrift oder Nummer").fill("schuetz")
    clerk.get_by_role("button", name="Suchen").click()
    expect(clerk.locator("#found-caption")).to_contain_text("zu „schuetz“")
    expect(clerk).to_have_url(re.compile(r"suche=schuetz"))
    clerk.get_by_role("button", name=re.compile(r"^Zuordnen\W+Hannelore Schütz$")).click()
    expect(clerk).to_have_url(re.compile(rf"{LETTERS}$"))


def create_letters(clerk, javascript: bool, seen=lambda page: None) -> bytes:
    """Tick both requests, make the letters, wait for them and download the PDF. ``seen(page)`` is called on the
    letters page (before and after a choice of nothing), the request's page and the finished batch."""
    clerk.goto(LETTERS)
    expect(request_row(clerk, MONIKA)).to_contain_text("Monika Müller")  # matched by name and address
    seen(clerk)
    clerk.get_by_role("button", name="Briefe erstellen").click()  # nothing chosen
    expect(clerk.locator(".notice--error")).to_contain_text(
        "Bitte wählen Sie mindestens eine Anfrage oder Person.")
    seen(clerk)
    assign_hannelore(clerk, javascript, seen)
    expect(request_row(clerk, HANNELORE)).to_contain_text("(zugeordnet)")
    for who in (MONIKA, HANNELORE):
        clerk.get_by_label(f"Brief für die Anfrage von {who['first']} {who['last']}").check()
    clerk.get_by_role("button", name="Briefe erstellen").click()
    expect(clerk).to_have_url(re.compile(rf"{LETTERS}/auftrag/\d+$"))
    download_link = clerk.get_by_role("link", name="PDF herunterladen (2 Briefe)")
    if javascript:  # htmx asks again every few seconds
        expect(download_link).to_be_visible(timeout=BATCH_TIMEOUT_MS)
    else:  # the clerk reloads by the link until the letters are there
        for _ in range(BATCH_TIMEOUT_MS // 500):
            if download_link.count():
                break
            reload = clerk.get_by_role("link", name="Stand aktualisieren")
            if reload.count():
                reload.click()
            clerk.wait_for_timeout(500)
    expect(clerk.locator("main")).to_contain_text("Fertig: 2 Briefe mit neuer Registrierungsnummer")
    seen(clerk)
    with clerk.expect_download() as download:
        download_link.click()
    assert re.fullmatch(r"Registrierungsbriefe-\d+\.pdf", download.value.suggested_filename)
    return Path(download.value.path()).read_bytes()


def assert_letters(pdf: bytes) -> None:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 2
    monika, hannelore = sorted(pages, key=lambda text: "Hannelore" in text)
    assert "Monika Müller" in monika and "Stuttgarter Allee 18" in monika
    # the address the cooperative keeps, not the one typed
    assert "Hannelore Schütz" in hannelore and "Brünnler Straße 6" in hannelore
    for text in pages:
        assert re.search(r"LIP-[A-Z0-9]{4}-[A-Z0-9]{4}", text)


def assert_requests_done(clerk) -> None:
    clerk.goto(LETTERS)
    expect(clerk.get_by_role("heading", name=re.compile("Registrierungsnummer anfordern"))).to_contain_text("(0)")
    expect(clerk.locator("main")).to_contain_text("Keine offenen Anfragen.")


def test_clerk_creates_letters_for_two_requests(new_page, demo_logins, two_requests):
    """With JavaScript; axe on every page and state on the way, and each of them at 360 px."""
    clerk = new_page("desktop", user=demo_logins["staff"][0])
    paths = []

    def seen(page) -> None:
        assert_accessible(page)
        paths.append(page.url)

    assert_letters(create_letters(clerk, javascript=True, seen=seen))
    assert_requests_done(clerk)
    assert not unexpected_errors(clerk)

    phone = new_page("phone", user=demo_logins["staff"][0])
    for url in paths:
        phone.goto(url)
        assert_no_horizontal_scroll(phone)


def test_the_same_without_javascript(new_page, demo_logins, two_requests):
    clerk = new_page("desktop", javascript=False, user=demo_logins["staff"][1])
    assert_letters(create_letters(clerk, javascript=False))
    assert_requests_done(clerk)
