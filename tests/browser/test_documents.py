"""Dokumente in a real browser: request a Mietbescheinigung and open it, with and without JavaScript;
the "neu" mark goes once it is opened; axe on the request and form pages at desktop and phone width."""

import re

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

RENTAL = "MV-301-0201"  # the "tenant" user's flat (Elsteraue)


def request_and_open_mietbescheinigung(page):
    page.goto("/dokumente/")
    # (Chromium puts a space before the visually hidden part of a name: match the part that tells them apart)
    page.get_by_role("button", name=re.compile(rf"^Dokument anfordern\W+Mietbescheinigung, {RENTAL}$")).click()
    notice = page.get_by_role("status").filter(has_text="liegt jetzt in Ihren Dokumenten")
    expect(notice).to_be_visible()
    number = re.search(r"erstellt=([A-Z0-9-]+)", page.url).group(1)
    item = page.locator("li.document", has=page.locator(f"a[href='/dokumente/{number}/pdf']"))
    expect(item.locator(".new-mark")).to_have_text("neu")
    with page.expect_download() as download:  # opening it shows it in the browser (test_documents_inline)
        notice.get_by_role("link", name=re.compile(r"^Herunterladen\W+„Mietbescheinigung vom .*“$")).click()
    assert re.fullmatch(rf"Mietbescheinigung-vom-\d\d-\d\d-\d{{4}}_{number}\.pdf", download.value.suggested_filename)
    page.goto("/dokumente/")
    expect(item).to_be_visible()
    expect(item.locator(".new-mark")).to_have_count(0)
    return number


def test_request_and_open_without_javascript(new_page, users):
    page = new_page("desktop", javascript=False, user=users["tenant"])
    page.goto("/dokumente/")
    assert page.evaluate("typeof window.htmx") == "undefined"
    request_and_open_mietbescheinigung(page)


def test_request_and_open_with_javascript_at_phone_width(new_page, users):
    page = new_page("phone", user=users["tenant"])
    page.goto("/dokumente/")
    wait_for_htmx(page)
    number = request_and_open_mietbescheinigung(page)
    assert_no_horizontal_scroll(page, 360)
    # the filter swaps the list in place
    page.evaluate("window.wirNoReload = 'still here'")
    page.get_by_label("Art").select_option(label="Bescheinigung")
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"art=certificate"))
    expect(page.locator(f"a[href='/dokumente/{number}/pdf']")).to_be_visible()
    expect(page.locator("li.document", has_text="Betriebskostenabrechnung")).to_have_count(0)
    assert page.evaluate("window.wirNoReload") == "still here"
    assert not page.wir_console_errors, page.wir_console_errors


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_request_and_form_pages_are_accessible(new_page, users, viewport):
    page = new_page(viewport, user=users["tenant"])
    for link in (f"Wohnungsgeberbestätigung, {RENTAL}", f"Kündigung des Nutzungsvertrags\\W+{RENTAL}",
                 f"Antrag auf Untervermietung\\W+{RENTAL}"):
        page.goto("/dokumente/")
        page.get_by_role("link", name=re.compile(link)).click()
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(page)
        if viewport == "phone":
            assert_no_horizontal_scroll(page, 360)
    # an invalid form comes back with the message next to the field, also through htmx
    page.get_by_label("Beginn der Untervermietung").fill("2020-01-01")
    page.get_by_role("button", name="Formular senden").click()
    expect(page.locator("#subtenant_name-error")).to_contain_text("Bitte geben Sie den Namen an.")
    assert_accessible(page)
    errors = [e for e in page.wir_console_errors if "status of 422" not in e]
    assert not errors, errors
