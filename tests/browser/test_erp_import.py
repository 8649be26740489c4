"""ERP-Import in a real browser: the admin (password + TOTP) uploads the example set of tests/data/import as
several files for a Probelauf with JavaScript (htmx polls the run until the live server's in-process huey consumer
has finished it) and as one ZIP for a real import without JavaScript (the reload link); a broken file shows its
errors with file, line and column and changes nothing. axe on the upload page (also with a form error), the run
page while waiting, with the report and with errors; neither scrolls sideways at 360 px."""

import re
import zipfile
from pathlib import Path

import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    unexpected_errors,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parent.parent / "data" / "import"
RUN_TIMEOUT_MS = 30_000  # the example set takes well under a second; a busy machine is slower


def example_files() -> list[dict]:
    return [{"name": path.name, "mimeType": "text/csv", "buffer": path.read_bytes()}
            for path in sorted(EXAMPLE.glob("*.csv"))]


def example_zip(tmp_path: Path) -> Path:
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(EXAMPLE.glob("*.csv")):
            archive.write(path, f"export/{path.name}")
    return target


def choose(admin, files, dry_run: bool) -> None:
    admin.goto("/intern/import")
    admin.get_by_label("Genossenschaft").select_option(label="WG „Lipsia“ eG")
    admin.get_by_label("CSV-Dateien oder eine ZIP-Datei").set_input_files(files)
    probe = admin.get_by_label(re.compile("Nur prüfen"))
    probe.check() if dry_run else probe.uncheck()
    admin.get_by_role("button", name="Hochladen und importieren").click()


def test_a_dry_run_with_javascript_polls_until_the_report(new_page, demo_logins):
    admin = new_page("desktop", user=demo_logins["admin"])
    admin.goto("/intern/")
    admin.get_by_role("link", name="ERP-Import").click()
    expect(admin.get_by_role("heading", name="ERP-Import", level=1)).to_be_visible()
    assert_accessible(admin)

    admin.get_by_role("button", name="Hochladen und importieren").click()  # nothing chosen
    expect(admin.get_by_text("Bitte wählen Sie die Genossenschaft.").first).to_be_visible()
    assert_accessible(admin)

    choose(admin, example_files(), dry_run=True)
    expect(admin).to_have_url(re.compile(r"/intern/import/\d+$"))
    wait_for_htmx(admin)
    report = admin.locator(".notice--success", has_text="Probelauf ohne Fehler")
    expect(report).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(admin.locator("#erp-import-status")).to_have_text("Probelauf ohne Fehler.")  # and said aloud
    expect(admin.get_by_role("row", name=re.compile(r"^vertraege\.csv 4 4 0 0 0"))).to_be_visible()
    assert_accessible(admin)
    assert not unexpected_errors(admin)

    admin.get_by_role("link", name="Zurück zum ERP-Import").click()
    expect(admin.get_by_role("cell", name="Probelauf").first).to_be_visible()


def test_a_zip_without_javascript_and_the_reload_link(new_page, demo_logins, tmp_path):
    admin = new_page("desktop", javascript=False, user=demo_logins["admin"])
    choose(admin, str(example_zip(tmp_path)), dry_run=False)
    expect(admin).to_have_url(re.compile(r"/intern/import/\d+$"))
    if admin.get_by_role("link", name="Stand aktualisieren").count():
        assert_accessible(admin)  # waiting or running, with its progress bar
    for _ in range(60):
        reload = admin.get_by_role("link", name="Stand aktualisieren")
        if not reload.count():
            break
        admin.wait_for_timeout(500)
        reload.click()
    expect(admin.get_by_text(re.compile("Import abgeschlossen am"))).to_be_visible()
    expect(admin.get_by_role("cell", name="personen.csv")).to_be_visible()
    assert_accessible(admin)


def test_a_broken_file_shows_its_errors_and_changes_nothing(new_page, demo_logins):
    admin = new_page("desktop", user=demo_logins["admin"])
    broken = "Schlüssel;Nummer;Vorname;Nachname;Straße;PLZ;Ort\nP-9;;Erika;<script>x</script>;Weg 1;04109;Leipzig\n"
    choose(admin, [{"name": "personen.csv", "mimeType": "text/csv", "buffer": broken.encode()}], dry_run=False)
    errors = admin.get_by_role("region", name="Fehler")
    expect(errors.get_by_role("row", name=re.compile("personen.csv 2 Nummer Pflichtfeld ist leer."))).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    expect(admin.get_by_role("alert")).to_contain_text("Es wurde nichts geändert.")
    assert_accessible(admin)


def test_no_sideways_scrolling_on_a_phone(new_page, demo_logins):
    admin = new_page("phone", user=demo_logins["admin"])
    admin.goto("/intern/import")
    assert_no_horizontal_scroll(admin)
    admin.get_by_role("link", name=re.compile(r"^\d\d\.\d\d\.\d{4}")).first.click()
    expect(admin).to_have_url(re.compile(r"/intern/import/\d+$"))
    assert_no_horizontal_scroll(admin)
