"""Dokumente für Mieter in a real browser: a clerk (password and code) uploads Betriebskostenabrechnungen in a
Sammel-Upload, checks the preview and publishes; in the tenant's browser the document appears marked "neu" and the
tenant has a mail; with and without JavaScript; one PDF for a person through the person search; the clerk then sees
the first opening. axe on every staff page at 1280 px; no horizontal scrolling at 360 px."""

import io
import re

import pytest
from pypdf import PdfWriter

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
    wait_for_mail,
)
from tests.helpers import demo_tenant

pytestmark = pytest.mark.browser


def pdf_bytes(marker: int) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595 + marker, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(name: str, content: bytes, mime: str = "application/pdf") -> dict:
    return {"name": name, "mimeType": mime, "buffer": content}


def menu(page, name: str):
    return page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name=name, exact=True)


@pytest.mark.parametrize(("javascript", "tenant_start", "contract", "marker"), [
    (True, "gisela", "MV-1004-0112", 1),
    (False, "juergen", "MV-1001-0203", 2),
], ids=["js", "nojs"])
def test_a_clerk_publishes_a_betriebskostenabrechnung_and_the_tenant_sees_it_new(new_page, demo_logins, mailbox,
                                                                                 javascript, tenant_start, contract,
                                                                                 marker):
    clerk = demo_logins["staff"][0]  # Lipsia
    tenant = demo_tenant(demo_logins, tenant_start)
    page = new_page("desktop", javascript=javascript, user=clerk)
    page.goto("/intern/")
    menu(page, "Dokumente").click()
    expect(page.get_by_role("heading", level=1, name="Dokumente")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sammel-Upload (viele PDF-Dateien)").click()
    expect(page.get_by_role("heading", level=1, name="Sammel-Upload")).to_be_visible()
    assert_accessible(page)
    # nothing chosen: the message next to the field
    page.get_by_role("button", name="Hochladen und Vorschau zeigen").click()
    expect(page.locator("#files-error")).to_contain_text("Bitte wählen Sie PDF-Dateien oder eine ZIP-Datei aus.")
    assert_accessible(page)

    page.get_by_label("Titel (für alle Dateien)").fill("Betriebskostenabrechnung 2025 (Browser)")
    page.get_by_label(re.compile("^PDF-Dateien oder eine ZIP-Datei")).set_input_files([
        upload(f"BK2025_{contract}.pdf", pdf_bytes(marker)),
        upload("Abrechnung ohne Nummer.pdf", pdf_bytes(marker + 10)),
        upload("BK2025_MV-1012-0405.pdf", b"kein PDF"),
    ])
    page.get_by_role("button", name="Hochladen und Vorschau zeigen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sammel-Upload: Betriebskostenabrechnung 2025")
    problems = page.get_by_role("region", name=re.compile("^Nicht veröffentlicht"))
    expect(problems).to_contain_text("Keine Vertragsnummer im Dateinamen gefunden.")
    expect(problems).to_contain_text("ist keine PDF-Datei")
    expect(page.get_by_role("region", name=re.compile("^Zugeordnet"))).to_contain_text(f"Mietvertrag {contract}")
    assert_accessible(page)

    page.get_by_role("button", name="Veröffentlichen (1 Dokument)").click()
    expect(page.get_by_text("1 Dokument ist veröffentlicht.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Veröffentlichen"))).to_have_count(0)
    expect(page.get_by_role("region", name=re.compile("^Zugeordnet"))).to_contain_text("noch nicht geöffnet")
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors

    message = wait_for_mail(mailbox, tenant["email"], "Neues Dokument im Portal")
    assert "Betriebskostenabrechnung" in message.get_body(("plain",)).get_content()

    # the tenant's browser: the document in Dokumente, marked "neu"
    tenant_page = new_page("desktop", javascript=javascript, user=tenant)
    tenant_page.goto("/dokumente/")
    item = tenant_page.locator("li.document", has_text="Betriebskostenabrechnung 2025 (Browser)")
    expect(item.locator(".new-mark")).to_have_text("neu")
    with tenant_page.expect_download():
        item.get_by_role("link", name=re.compile(r"^Herunterladen\W+„Betriebskostenabrechnung 2025 \(Browser\)“$")).click()

    # the clerk sees the first opening
    page.goto(f"/intern/dokumente?suche={contract}")
    row = page.get_by_role("row").filter(has_text="Betriebskostenabrechnung 2025 (Browser)")
    expect(row).not_to_contain_text("noch nicht geöffnet")
    expect(row.get_by_role("cell").last).to_have_text(re.compile(r"^\s*\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr\s*$"))


def test_one_pdf_for_a_person_found_by_name(new_page, demo_logins, mailbox):
    clerk = demo_logins["staff"][0]
    page = new_page("desktop", user=clerk)
    page.goto("/intern/dokumente")
    page.get_by_role("link", name="Dokument hochladen").click()
    assert_accessible(page)
    wait_for_htmx(page)
    page.get_by_label("Name oder Mitgliedsnummer").fill("Weiß")
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("link", name="Weiß, Gisela").click()
    expect(page.get_by_role("heading", level=2, name="Gisela Weiß")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Vertrag").select_option(label="Mietvertrag MV-1004-0112, Alte Salzstraße 61")
    page.get_by_label("Titel").fill("Einladung zur Wohnungsabnahme")
    page.get_by_label("PDF-Datei").set_input_files(upload("einladung.pdf", b"Hallo, kein PDF"))
    page.get_by_role("button", name="Hochladen und bereitstellen").click()
    expect(page.locator("#file-error")).to_contain_text("ist keine PDF-Datei")
    expect(page.get_by_label("Titel")).to_have_value("Einladung zur Wohnungsabnahme")
    assert_accessible(page)
    page.get_by_label("PDF-Datei").set_input_files(upload("einladung.pdf", pdf_bytes(30)))
    page.get_by_role("button", name="Hochladen und bereitstellen").click()
    expect(page.get_by_text("„Einladung zur Wohnungsabnahme“ liegt jetzt in den Dokumenten")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Einladung zur Wohnungsabnahme")).to_contain_text(
        "noch nicht geöffnet")
    wait_for_mail(mailbox, demo_tenant(demo_logins, "gisela")["email"], "Neues Dokument im Portal")
    # the filter swaps the list and the URL follows
    page.get_by_label("Art").select_option(label="Schreiben")
    page.get_by_role("button", name="Filtern").click()
    expect(page).to_have_url(re.compile(r"art=letter"))
    expect(page.get_by_role("row").filter(has_text="Betriebskostenabrechnung")).to_have_count(0)
    assert_accessible(page)
    assert not unexpected_errors(page), page.wir_console_errors


def test_without_javascript_one_pdf_for_a_person_and_a_discarded_batch(new_page, demo_logins, mailbox):
    clerk = demo_logins["staff"][1]  # Lipsia
    page = new_page("desktop", javascript=False, user=clerk)
    page.goto("/intern/dokumente/neu")
    page.get_by_label("Name oder Mitgliedsnummer").fill("mueller")  # the Personen search: umlauts either way
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"suche=mueller"))
    page.get_by_role("link", name="Müller, Jürgen").click()
    expect(page.get_by_role("heading", level=2, name="Jürgen Müller")).to_be_visible()
    page.get_by_label("Titel").fill("Modernisierungsankündigung")
    page.get_by_label("PDF-Datei").set_input_files(upload("ankuendigung.pdf", pdf_bytes(50)))
    page.get_by_role("button", name="Hochladen und bereitstellen").click()
    expect(page.get_by_text("„Modernisierungsankündigung“ liegt jetzt in den Dokumenten")).to_be_visible()
    wait_for_mail(mailbox, demo_tenant(demo_logins, "juergen")["email"], "Neues Dokument im Portal")

    # a Sammel-Upload with the wrong files is discarded instead of published
    page.goto("/intern/dokumente/hochladen")
    page.get_by_label("Titel (für alle Dateien)").fill("Falscher Stapel")
    page.get_by_label(re.compile("^PDF-Dateien oder eine ZIP-Datei")).set_input_files([
        upload("BK2025_MV-1004-0112.pdf", pdf_bytes(51))])
    page.get_by_role("button", name="Hochladen und Vorschau zeigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sammel-Upload: Falscher Stapel")
    batch_url = page.url
    page.get_by_role("button", name="Sammel-Upload verwerfen").click()
    expect(page.get_by_role("heading", level=1, name="Sammel-Upload")).to_be_visible()
    expect(page.get_by_text("„Falscher Stapel“ ist verworfen; nichts wurde veröffentlicht.")).to_be_visible()
    page.goto(batch_url)
    expect(page.locator("main")).to_contain_text("Verworfen am")
    expect(page.get_by_role("button", name=re.compile("^Veröffentlichen"))).to_have_count(0)
    assert_accessible(page)


def test_staff_document_pages_fit_a_phone(new_page, demo_logins):
    page = new_page("phone", user=demo_logins["staff"][0])
    for path in ("/intern/dokumente", "/intern/dokumente/hochladen", "/intern/dokumente/neu?suche=M%C3%BCller"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scroll(page)
    # a preview with a long file name and its reasons
    page.goto("/intern/dokumente/hochladen")
    page.get_by_label(re.compile("^PDF-Dateien oder eine ZIP-Datei")).set_input_files([
        upload("Betriebskostenabrechnung_2025_fuer_die_Wohnung_im_zweiten_Obergeschoss_links.pdf", pdf_bytes(40)),
        upload("BK2025_MV-1012-0405.pdf", pdf_bytes(41)),
    ])
    page.get_by_role("button", name="Hochladen und Vorschau zeigen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sammel-Upload:")
    assert_no_horizontal_scroll(page)
