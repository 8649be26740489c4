"""Export ins ERP in a real browser, as the admin (password + TOTP): from the Übersicht to the page, „Jetzt
exportieren“, the ZIP downloaded, „Als übernommen markieren“ with its confirmation, a token made (shown once) and
revoked — with JavaScript (htmx) and without. axe and HTML_CodeSniffer on every state; at 320 px nothing scrolls
sideways."""

import re
import zipfile

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)
from tests.browser.page_walk import _app_for

pytestmark = pytest.mark.browser

PAGE = "/intern/export?genossenschaft=lipsia"


def make_waiting_change(live_server, email: str) -> None:
    """A change of Lipsia's contact data (the new address ``email``) waiting for the ERP, in the live server's
    database."""
    from wir import db
    from wir.models import Cooperative
    from wir.services.erp_export import changes, kinds

    app = _app_for(live_server)
    with app.app_context(), db.database.connection_context():
        row = {column: "" for column in kinds.KINDS["contact_data"].columns}
        row["E-Mail"] = email
        with db.write_transaction():
            changes.record("contact_data", "changed", cooperative=Cooperative.get(Cooperative.slug == "lipsia"),
                           by=None, erp_key="10001", label="Person 10001", row=row)
    db.close_all()


def export_download_acknowledge(admin, email: str, javascript: bool) -> None:
    admin.goto(PAGE)
    expect(admin.get_by_role("heading", name="Export ins ERP", level=1)).to_be_visible()
    if javascript:
        wait_for_htmx(admin)
    admin.get_by_role("button", name="Jetzt exportieren").click()
    created = admin.locator(".notice--success", has_text=re.compile(r"Exportlauf \d+ ist erstellt"))
    expect(created).to_be_visible()
    expect(created).to_be_focused()
    number = int(re.search(r"Exportlauf (\d+)", created.inner_text()).group(1))
    assert_accessible(admin)

    with admin.expect_download() as info:
        admin.get_by_role("link", name=f"ZIP herunterladen (Exportlauf {number})").click()
    download = info.value
    assert download.suggested_filename == f"wir-export-lipsia-{number:04d}.zip"
    with zipfile.ZipFile(download.path()) as archive:
        assert email in archive.read("kontaktdaten.csv").decode("utf-8-sig")

    admin.get_by_role("link", name=f"Als übernommen markieren (Exportlauf {number})").click()
    expect(admin.get_by_role("heading", name=f"Exportlauf {number} als übernommen markieren?")).to_be_visible()
    assert_accessible(admin)
    admin.get_by_role("button", name="Ja, als übernommen markieren").click()
    done = admin.locator(".notice--success", has_text=f"Exportlauf {number} ist als vom ERP übernommen markiert")
    expect(done).to_be_visible()
    expect(done).to_be_focused()
    expect(admin.get_by_role("link", name=f"Als übernommen markieren (Exportlauf {number})")).to_have_count(0)
    assert_accessible(admin)


def make_and_revoke_token(admin, name: str, javascript: bool) -> None:
    admin.goto(PAGE)
    if javascript:
        wait_for_htmx(admin)
    admin.get_by_role("button", name="Token erstellen").click()  # no name
    expect(admin.get_by_text("Bitte geben Sie dem Token einen Namen").first).to_be_visible()
    assert_accessible(admin)
    admin.get_by_label(re.compile("^Name des Tokens")).fill(name)
    admin.get_by_role("button", name="Token erstellen").click()
    token = admin.get_by_label("Token", exact=True)
    expect(token).to_have_value(re.compile(r"^wir_[\w-]{40,}$"))
    expect(admin.get_by_text("Es wird nur dieses eine Mal angezeigt").first).to_be_visible()
    if javascript:
        expect(admin.locator("#export-status")).to_have_text(re.compile("Das Token ist erstellt"))
    assert_accessible(admin)
    admin.get_by_role("button", name=f"Widerrufen („{name}“)").click()
    expect(admin.locator(".notice--success", has_text=f"Das Token „{name}“ ist widerrufen")).to_be_visible()
    expect(admin.get_by_role("row", name=re.compile(re.escape(name) + ".*widerrufen am"))).to_be_visible()


def test_the_admin_exports_downloads_and_acknowledges_with_javascript(new_page, demo_logins, live_server):
    make_waiting_change(live_server, "browser-mit-js@example.org")
    admin = new_page("desktop", user=demo_logins["admin"])
    admin.goto("/intern/")
    admin.get_by_role("link", name="Export ins ERP").click()
    expect(admin.get_by_role("heading", name="Export ins ERP", level=1)).to_be_visible()
    assert_accessible(admin)
    export_download_acknowledge(admin, "browser-mit-js@example.org", javascript=True)
    make_and_revoke_token(admin, "Connector mit JS", javascript=True)
    assert not unexpected_errors(admin)


def test_the_admin_exports_downloads_and_acknowledges_without_javascript(new_page, demo_logins, live_server):
    make_waiting_change(live_server, "browser-ohne-js@example.org")
    admin = new_page("desktop", javascript=False, user=demo_logins["admin"])
    export_download_acknowledge(admin, "browser-ohne-js@example.org", javascript=False)
    make_and_revoke_token(admin, "Connector ohne JS", javascript=False)


def test_the_pages_fit_320_px(new_page, demo_logins, live_server):
    make_waiting_change(live_server, "schmal@example.org")
    admin = new_page("phone", user=demo_logins["admin"])
    admin.set_viewport_size({"width": 320, "height": 740})
    admin.goto(PAGE)
    admin.get_by_role("button", name="Jetzt exportieren").click()
    expect(admin.locator(".notice--success", has_text="ist erstellt")).to_be_visible()
    assert_no_horizontal_scroll(admin, 320)
    assert_accessible(admin)
    admin.goto("/intern/export/aenderungen?genossenschaft=lipsia")
    assert_no_horizontal_scroll(admin, 320)
    assert_accessible(admin)
