"""ERP import (docs/import.md): the example set into an empty portal and the portal pages of an imported tenant,
idempotence, dry run, --full, all or nothing, encodings and German notation, references and duplicate keys."""

import hashlib
import io
import shutil
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import AuthActions, htmx
from wir import clock, tasks
from wir.demo.tables import COOPERATIVES
from wir.models import (
    AuditLog,
    BankAccount,
    ContactPerson,
    Contract,
    ContractParty,
    Cooperative,
    ErpImport,
    ExemptionOrder,
    Person,
    SavingsAccount,
    SavingsTransaction,
    Unit,
    User,
)
from wir.services import erp_import, jobs
from wir.services.account import passwords

EXAMPLE = Path(__file__).parent / "data" / "import"
IMPORTED = (ContactPerson, Person, Unit, Contract, ContractParty, BankAccount, SavingsAccount, SavingsTransaction,
            ExemptionOrder)
PASSWORD = "Import-Probe-Passwort-2025"


@pytest.fixture
def lipsia(empty_app):
    """The empty portal with only the cooperative Lipsia (the operator creates cooperatives, not the import)."""
    with empty_app.app_context():
        yield Cooperative.create(**COOPERATIVES[0])


@pytest.fixture
def files(tmp_path):
    """A copy of the example set to change per test."""
    folder = tmp_path / "export"
    shutil.copytree(EXAMPLE, folder)
    return folder


def counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in IMPORTED}


def run(folder: Path, cooperative, **options):
    paths = sorted(folder.glob("*.csv"))
    return erp_import.import_files(paths, cooperative, **options)


def cli(empty_app, folder: Path, *options):
    return empty_app.test_cli_runner().invoke(args=["import", str(folder), "--cooperative", "lipsia", *options])


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def drop_lines(path: Path, *starts: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith(starts)), encoding="utf-8")


# --- round trip --------------------------------------------------------------------------------------------------


def test_example_set_into_an_empty_portal_shows_on_the_tenants_pages(empty_app, lipsia):
    result = cli(empty_app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "vertraege.csv: 4 Zeilen, 4 neu, 0 geändert, 0 unverändert" in result.output
    assert counts() == {"ContactPerson": 1, "Person": 4, "Unit": 3, "Contract": 4, "ContractParty": 5,
                        "BankAccount": 3, "SavingsAccount": 2, "SavingsTransaction": 5, "ExemptionOrder": 1}
    lukasz = Person.get(Person.number == "10002")
    assert (lukasz.first_name, lukasz.last_name, lukasz.birth_date) == ("Łukasz", "Żółć", date(1987, 9, 2))
    unit = Unit.get(Unit.erp_key == "E-1")
    assert (unit.floor, unit.position, unit.rooms, unit.living_area) == ("1. OG", "links", 3, Decimal("68.50"))
    contract = Contract.get(Contract.erp_key == "V-1")
    assert (contract.unit_id, contract.base_rent, contract.operating_costs, contract.heating_costs) == (
        unit.id, Decimal("412.50"), Decimal("120.00"), Decimal("85.00"))
    account = BankAccount.get(BankAccount.erp_key == "B-1")
    assert (account.iban, account.bic, account.bank_name, account.status) == (
        "DE89370400440532013000", "COBADEFFXXX", "Commerzbank", "active")
    savings = SavingsAccount.get(SavingsAccount.number == "700001")
    assert savings.balance == Decimal("1530.25") and savings.interest_rate == Decimal("0.250")

    # the imported tenant opens a portal account: the pages show what came from the ERP
    erika = Person.get(Person.number == "10001")
    erika.user = User.create(email="erika.muster@example.org", password_hash=passwords.hash_password(PASSWORD),
                             confirmed_at=clock.now(), contact_reviewed_at=clock.now())
    erika.save()
    client = empty_app.test_client()
    client.get("/anmelden")

    assert AuthActions(client, {}).login("erika.muster@example.org", PASSWORD).status_code == 303
    page = client.get(f"/vertraege/{contract.id}").get_data(as_text=True)
    for shown in ("MV-0815-01-03", "Musterstraße 1", "1. OG", "links", "412,50", "120,00", "85,00", "617,50",
                  "Sabine Beispiel", "Jürgen Müller", "IBAN endet auf 3000"):
        assert shown in page, shown
    overview = client.get("/vertraege/").get_data(as_text=True)
    assert "SP-0815-12" in overview and "M-10001" in overview and "MV-0815-01-04" not in overview


def test_the_run_is_recorded_with_files_and_counts(empty_app, lipsia):
    record, report = run(EXAMPLE, lipsia)
    assert report.ok and record.status == "done" and not record.dry_run and record.user is None
    files = {f["name"]: f for f in erp_import.files_of(record)}
    assert set(files) == {path.name for path in EXAMPLE.glob("*.csv")}
    assert files["personen.csv"]["sha256"] == hashlib.sha256((EXAMPLE / "personen.csv").read_bytes()).hexdigest()
    stored = erp_import.report_of(record)
    assert stored.totals()["created"] == 42 and stored.ok
    assert AuditLog.get(AuditLog.action == "erp_import.done").cooperative_id == lipsia.id


# --- idempotence, dry run, --full ----------------------------------------------------------------------------------


def test_the_same_files_twice_change_nothing(empty_app, lipsia):
    run(EXAMPLE, lipsia)
    before = counts()
    result = cli(empty_app, EXAMPLE)
    assert result.exit_code == 0
    assert "Alles unverändert." in result.output
    assert "sparumsaetze.csv: 5 Zeilen, 0 neu, 0 geändert, 5 unverändert" in result.output
    assert counts() == before


def test_a_dry_run_reports_without_writing(empty_app, lipsia):
    result = cli(empty_app, EXAMPLE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Probelauf (nichts gespeichert)" in result.output and "personen.csv: 4 Zeilen, 4 neu" in result.output
    assert sum(counts().values()) == 0
    assert ErpImport.get().dry_run


def test_changes_are_counted_and_applied(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    replace_in(files / "vertraege.csv", "412,50;120,00", "425,00;125,50")
    replace_in(files / "personen.csv", "P-4;10004;Frau;Gisela;Sparsam;22.06.1949;Spargasse 7;04229",
               "P-4;10004;Frau;Gisela;Sparsam;22.06.1949;Neue Gasse 3;04275")
    record, report = run(files, lipsia)
    assert report.ok
    by_file = {f.name: f for f in report.files}
    assert (by_file["vertraege.csv"].changed, by_file["vertraege.csv"].unchanged) == (1, 3)
    assert by_file["personen.csv"].changed == 1
    contract = Contract.get(Contract.erp_key == "V-1")
    assert (contract.base_rent, contract.operating_costs) == (Decimal("425.00"), Decimal("125.50"))
    gisela = Person.get(Person.erp_key == "P-4")
    assert (gisela.street, gisela.postcode) == ("Neue Gasse 3", "04275")  # the read-only Anschrift follows


def test_full_ends_missing_contracts_and_closes_missing_savings_accounts(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    drop_lines(files / "vertraege.csv", "V-3;")
    drop_lines(files / "vertragspartner.csv", "VP-4;")
    drop_lines(files / "bankverbindungen.csv", "B-3;")
    drop_lines(files / "sparkonten.csv", "S-2;")
    drop_lines(files / "sparumsaetze.csv", "U-5;")
    portal_only = Contract.create(cooperative=lipsia, kind="parking", number="SP-PORTAL", start_date=date(2020, 1, 1))
    before = counts()

    _, plain = run(files, lipsia)  # without --full nothing ends
    assert plain.ok and Contract.get(Contract.erp_key == "V-3").end_date is None

    result = cli(empty_app, files, "--full")
    assert result.exit_code == 0, result.output
    assert "vertraege.csv: 3 Zeilen, 0 neu, 0 geändert, 3 unverändert, 1 beendet" in result.output
    assert Contract.get(Contract.erp_key == "V-3").end_date == clock.today()
    assert SavingsAccount.get(SavingsAccount.erp_key == "S-2").closed_on == clock.today()
    assert Contract.get(Contract.erp_key == "V-1").end_date is None
    assert Contract.get_by_id(portal_only.id).end_date is None  # not from the ERP: not the import's to end
    assert counts() == {**before, "Contract": before["Contract"]}  # nothing deleted

    again = cli(empty_app, files, "--full")
    assert "Alles unverändert." in again.output


# --- all or nothing ------------------------------------------------------------------------------------------------


def test_an_error_in_the_last_line_of_the_last_file_leaves_everything_unchanged(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    before = counts()
    replace_in(files / "vertraege.csv", "412,50;120,00", "425,00;125,50")  # a change early in the run
    with (files / "freistellungsauftraege.csv").open("a", encoding="utf-8") as stream:
        stream.write("F-2;P-1;Einzel;1.000,00;01.01.2025;;12345678901;;\n")
    result = cli(empty_app, files)
    assert result.exit_code == 1
    assert "Fehler (freistellungsauftraege.csv, Zeile 3, Spalte Steuer-ID)" in result.output
    assert "Wegen der Fehler wurde nichts geändert." in result.output
    assert counts() == before
    assert Contract.get(Contract.erp_key == "V-1").base_rent == Decimal("412.50")
    assert ErpImport.select().order_by(ErpImport.id.desc()).first().status == "failed"


def test_a_reference_to_a_missing_unit_is_an_error_with_file_line_and_column(empty_app, lipsia, files):
    replace_in(files / "vertraege.csv", "V-2;Mietvertrag;MV-0815-01-04;E-2;", "V-2;Mietvertrag;MV-0815-01-04;E-9;")
    _, report = run(files, lipsia)
    assert not report.ok
    error = next(e for e in report.errors if e.file == "vertraege.csv")
    assert (error.line, error.column) == (3, "Einheit")
    assert "Einheit „E-9“ gibt es weder in einheiten.csv noch aus einem früheren Import." == error.message
    assert sum(counts().values()) == 0


def test_duplicate_keys_within_a_file_are_errors(empty_app, lipsia, files):
    with (files / "einheiten.csv").open("a", encoding="utf-8") as stream:
        stream.write("E-1;Garage;0815-G-1;Musterstraße 1;04109;Leipzig;;;;;;\n")
    _, report = run(files, lipsia)
    assert [(e.file, e.line, e.column, e.message) for e in report.errors] == [
        ("einheiten.csv", 5, "Schlüssel", "Schlüssel „E-1“ steht schon in Zeile 2.")]
    assert sum(counts().values()) == 0


def test_duplicate_numbers_and_taken_numbers_are_errors(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    replace_in(files / "personen.csv", "P-2;10002;", "P-2;10001;")
    _, report = run(files, lipsia)
    assert [(e.file, e.line, e.column) for e in report.errors] == [("personen.csv", 3, "Nummer")]


# --- files as German Excel writes them ---------------------------------------------------------------------------


def test_windows_1252_comma_separated_and_a_bom(empty_app, lipsia, files):
    persons = (files / "personen.csv").read_text(encoding="utf-8")
    persons = persons.replace("Łukasz;Żółć", "Lukas;Zöll")  # Windows-1252 has no Ł, Ż
    (files / "personen.csv").write_bytes(persons.replace(";", ",").encode("cp1252"))
    (files / "einheiten.csv").write_bytes((files / "einheiten.csv").read_text(encoding="utf-8").encode("utf-8-sig"))
    units = (files / "einheiten.csv").read_bytes()
    assert units.startswith(b"\xef\xbb\xbf")
    _, report = run(files, lipsia)
    assert report.ok, report.errors
    assert Person.get(Person.erp_key == "P-3").full_name == "Jürgen Müller"
    assert Person.get(Person.erp_key == "P-2").full_name == "Lukas Zöll"
    assert Unit.get(Unit.erp_key == "E-1").street == "Musterstraße 1"


def test_utf8_with_bom_keeps_polish_letters(empty_app, lipsia, files):
    (files / "personen.csv").write_bytes((files / "personen.csv").read_text(encoding="utf-8").encode("utf-8-sig"))
    _, report = run(files, lipsia)
    assert report.ok
    assert Person.get(Person.erp_key == "P-2").full_name == "Łukasz Żółć"


@pytest.mark.parametrize("written, read", [
    ("1.530,25", Decimal("1530.25")), ("1530,25", Decimal("1530.25")), ("1530.25", Decimal("1530.25")),
    ("1.530,25 €", Decimal("1530.25")), ("-0,50", Decimal("-0.50")), ("12", Decimal("12")),
])
def test_amounts_in_german_notation(empty_app, lipsia, files, written, read):
    replace_in(files / "sparkonten.csv", "1.530,25", written)
    _, report = run(files, lipsia)
    assert report.ok, report.errors
    assert SavingsAccount.get(SavingsAccount.erp_key == "S-1").balance == read


@pytest.mark.parametrize("column, old, new, message", [
    ("Saldo", "1.530,25", "1.530", "mehrdeutig"),
    ("Saldo", "1.530,25", "1,530,25", "keine Zahl in deutscher Schreibweise"),
    ("Saldo", "1.530,25", "12,345", "mehr als 2 Nachkommastellen"),
    ("Eröffnet am", "02.01.2023", "31.02.2023", "gibt es nicht im Kalender"),
    ("Eröffnet am", "02.01.2023", "2023/01/02", "kein Datum"),
    ("Saldo", "1.530,25", "", "Pflichtfeld ist leer."),
    ("Produkt", "Sparbuch", "Spar\x07buch", "Steuerzeichen"),
])
def test_bad_values_are_named_by_line_and_column(empty_app, lipsia, files, column, old, new, message):
    replace_in(files / "sparkonten.csv", old, new)
    _, report = run(files, lipsia)
    assert [(e.file, e.line, e.column) for e in report.errors] == [("sparkonten.csv", 2, column)]
    assert message in report.errors[0].message
    assert sum(counts().values()) == 0


def test_a_key_with_a_nul_character_is_an_error_on_every_database(empty_app, lipsia, files):
    replace_in(files / "personen.csv", "P-4;10004;", "P-\x004;;")  # PostgreSQL refuses NUL in any text
    _, report = run(files, lipsia)
    assert {(e.line, e.column) for e in report.errors if e.file == "personen.csv"} == {(5, "Schlüssel"),
                                                                                        (5, "Nummer")}
    assert sum(counts().values()) == 0


def test_iban_and_tax_id_are_checked(empty_app, lipsia, files):
    replace_in(files / "bankverbindungen.csv", "DE02120300000000202051", "DE02120300000000202052")
    replace_in(files / "freistellungsauftraege.csv", "47159362482", "47159362483")
    _, report = run(files, lipsia)
    assert {(e.file, e.column) for e in report.errors} == {("bankverbindungen.csv", "IBAN"),
                                                          ("freistellungsauftraege.csv", "Steuer-ID")}
    assert "Prüfziffern der IBAN" in report.errors[0].message


def test_unknown_files_missing_columns_and_ragged_rows(empty_app, lipsia, files):
    (files / "mieter.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (files / "einheiten.csv").write_text("Schlüssel;Art\nE-1;Wohnung\n", encoding="utf-8")
    with (files / "personen.csv").open("a", encoding="utf-8") as stream:
        stream.write("P-9;10009;Frau\n")
    _, report = run(files, lipsia)
    messages = {(e.file, e.line): e.message for e in report.errors}
    assert messages[("mieter.csv", None)].startswith("Unbekannte Datei.")
    assert messages[("einheiten.csv", 1)].startswith("Es fehlen Pflichtspalten: Nummer, Straße, PLZ, Ort")
    assert messages[("personen.csv", 6)] == "Die Zeile hat 3 Felder, die Kopfzeile 9."
    assert sum(counts().values()) == 0


# --- what the portal keeps ------------------------------------------------------------------------------------------


def test_an_email_from_the_erp_never_changes_the_login(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    erika = Person.get(Person.erp_key == "P-1")
    erika.user = User.create(email="erika@example.org", password_hash="x")
    erika.save()
    text = (files / "personen.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ";E-Mail"] + [line + ";neu@example.org" for line in text[1:]]
    (files / "personen.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    _, report = run(files, lipsia)
    assert report.ok and report.unchanged
    assert "Nicht übernommene Spalten: E-Mail." in next(f for f in report.files if f.name == "personen.csv").notes
    assert User.get_by_id(erika.user_id).email == "erika@example.org"


def test_a_bank_account_from_the_erp_settles_a_pending_change_only_with_the_same_iban(empty_app, lipsia, files):
    run(EXAMPLE, lipsia)
    first, second = Contract.get(Contract.erp_key == "V-1"), Contract.get(Contract.erp_key == "V-2")
    same = BankAccount.create(contract=first, holder="Erika Muster", iban="DE02500105170137075030",
                              mandate_reference="LIP-MV-0815-01-03-02", valid_from=clock.today(), status="pending")
    other = BankAccount.create(contract=second, holder="Łukasz Żółć", iban="DE02500105170137075030",
                               mandate_reference="LIP-MV-0815-01-04-02", valid_from=clock.today(), status="pending")
    with (files / "bankverbindungen.csv").open("a", encoding="utf-8") as stream:
        stream.write(f"B-4;V-1;Erika Muster;DE02500105170137075030;;LIP-MV-0815-01-03-02;"
                     f"{clock.today():%d.%m.%Y};\n")
    _, report = run(files, lipsia)
    assert report.ok
    assert BankAccount.get_by_id(same.id).status == "replaced"
    assert BankAccount.get_by_id(other.id).status == "pending"
    assert next(f for f in report.files if f.name == "bankverbindungen.csv").ended == 1


def test_another_cooperatives_keys_are_not_this_ones(empty_app, lipsia):
    elsteraue = Cooperative.create(**COOPERATIVES[1])
    run(EXAMPLE, lipsia)
    persons = sorted(path for path in EXAMPLE.glob("*.csv") if path.name in ("personen.csv", "einheiten.csv"))
    _, report = erp_import.import_files(persons, elsteraue)
    assert report.ok and report.totals()["created"] == 7
    assert Person.select().where(Person.erp_key == "P-1").count() == 2


# --- the upload page (/intern/import) ------------------------------------------------------------------------------


def _upload(client, auth, files, **fields):
    data = {"csrf_token": auth.csrf_token(), "cooperative": str(Cooperative.get(Cooperative.slug == "lipsia").id),
            "files": files, **fields}
    return client.post("/intern/import", data=data, content_type="multipart/form-data")


def _example_files():
    return [(io.BytesIO(path.read_bytes()), path.name) for path in sorted(EXAMPLE.glob("*.csv"))]


def _example_zip(extra: dict[str, bytes] | None = None) -> io.BytesIO:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        for path in sorted(EXAMPLE.glob("*.csv")):
            archive.writestr(f"export/{path.name}", path.read_bytes())
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    packed.seek(0)
    return packed


def test_an_admin_uploads_files_for_a_dry_run_and_reads_the_report(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    page = client.get("/intern/import")
    assert page.status_code == 200 and "ERP-Import" in page.get_data(as_text=True)
    before = counts()
    response = _upload(client, auth, _example_files(), dry_run="y")
    assert response.status_code == 303
    record = ErpImport.select().order_by(ErpImport.id.desc()).first()
    assert response.headers["Location"] == f"/intern/import/{record.id}"
    assert (record.status, record.dry_run, record.user.email) == ("done", True, auth.logins["admin"]["email"])
    assert counts() == before  # a dry run
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Probelauf ohne Fehler" in report and "personen.csv" in report
    assert hashlib.sha256((EXAMPLE / "personen.csv").read_bytes()).hexdigest() in report
    listing = client.get("/intern/import").get_data(as_text=True)
    assert f"/intern/import/{record.id}" in listing and "Probelauf" in listing


def test_an_admin_imports_a_zip_and_the_run_page_answers_htmx_with_its_fragment(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    before = counts()
    response = _upload(client, auth, [(_example_zip(), "export.zip")])
    assert response.status_code == 303
    record = ErpImport.select().order_by(ErpImport.id.desc()).first()
    assert record.status == "done" and not record.dry_run
    assert counts()["Contract"] == before["Contract"] + 4
    fragment = client.get(f"/intern/import/{record.id}", headers=htmx(auth))
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="erp-import-run"') and "<html" not in text
    assert "Import abgeschlossen" in text and "hx-trigger" not in text  # finished: no more polling


def test_a_running_import_polls_and_offers_a_reload_link(client, auth, data, app):
    auth.login_with_code(auth.logins["admin"])
    record = ErpImport.create(cooperative=Cooperative.get(Cooperative.slug == "lipsia"), status="running",
                              bytes_total=4 * 1024 * 1024)
    work = tasks.erp_import_work(app)
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{record.id}.progress").write_text(str(1024 * 1024))
    text = client.get(f"/intern/import/{record.id}").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in text and f'href="/intern/import/{record.id}">Stand aktualisieren' in text
    assert "1 MB von 4 MB gelesen" in text


def test_an_upload_with_errors_changes_nothing_and_the_report_names_them(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    before = counts()
    files = [f for f in _example_files() if f[1] != "sparumsaetze.csv"]
    files.append((io.BytesIO("Schlüssel;Sparkonto\nU-9;S-1\n".encode()), "sparumsaetze.csv"))
    response = _upload(client, auth, files)
    record = ErpImport.select().order_by(ErpImport.id.desc()).first()
    assert response.status_code == 303 and record.status == "failed"
    assert counts() == before
    text = client.get(f"/intern/import/{record.id}").get_data(as_text=True)
    assert "Es wurde nichts geändert." in text and "Es fehlen Pflichtspalten: Buchungstag, Art, Betrag, Saldo." in text


@pytest.mark.parametrize("name", ["../personen.csv", "/etc/personen.csv", "C:/personen.csv", "a\\personen.csv"])
def test_a_zip_with_path_tricks_is_refused_whole(client, auth, data, name):
    auth.login_with_code(auth.logins["admin"])
    response = _upload(client, auth, [(_example_zip({name: b"x"}), "export.zip")])
    assert response.status_code == 422
    assert "unzulässige Pfadangaben" in response.get_data(as_text=True)
    assert ErpImport.select().count() == 0


def test_a_zip_with_too_many_files_is_refused(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    extra = {f"export/datei-{number}.csv": b"a;b\n" for number in range(20)}
    response = _upload(client, auth, [(_example_zip(extra), "export.zip")])
    assert response.status_code == 422 and "mehr als 20 Dateien" in response.get_data(as_text=True)
    assert ErpImport.select().count() == 0


def test_the_form_asks_for_cooperative_and_files(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    response = client.post("/intern/import", data={"csrf_token": auth.csrf_token(), "cooperative": ""},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Bitte wählen Sie die Genossenschaft." in text
    assert ErpImport.select().count() == 0


def test_a_queue_out_of_reach_fails_the_run_with_the_reason(client, auth, data, monkeypatch):
    auth.login_with_code(auth.logins["admin"])

    def unreachable(erp_import_id):
        raise ConnectionError("no queue")

    monkeypatch.setattr(tasks, "run_erp_import", unreachable)
    response = _upload(client, auth, _example_files())
    record = ErpImport.select().order_by(ErpImport.id.desc()).first()
    assert response.status_code == 303 and record.status == "failed"
    assert "Die Hintergrundverarbeitung ist nicht erreichbar." in client.get(
        f"/intern/import/{record.id}").get_data(as_text=True)


def test_the_list_of_imports_takes_the_same_queries_for_few_and_many(client, auth, data, count_queries):
    auth.login_with_code(auth.logins["admin"])
    admin = User.get(User.email == auth.logins["admin"]["email"])

    def queries_with(runs: int) -> int:
        for cooperative in Cooperative.select():
            for _ in range(runs):
                ErpImport.create(cooperative=cooperative, user=admin, status="done")
        with count_queries() as counted:
            assert client.get("/intern/import").status_code == 200
        return counted.count

    assert queries_with(2) == queries_with(40)


@pytest.mark.parametrize("who", ["anonymous", "tenant", "staff"])
def test_only_admins_reach_the_upload_page(client, auth, data, who):
    record = ErpImport.create(cooperative=Cooperative.get(Cooperative.slug == "lipsia"), status="done")
    if who == "tenant":
        auth.login_as()
    elif who == "staff":
        auth.login_staff()
    assert client.get("/intern/import").status_code == 404
    assert client.get(f"/intern/import/{record.id}").status_code == 404
    assert _upload(client, auth, _example_files()).status_code == 404
    assert ErpImport.select().count() == 1


def test_a_run_no_worker_finished_is_given_up_after_an_hour(empty_app, lipsia):
    with empty_app.app_context():
        old = erp_import.start(lipsia, None, dry_run=False, full=False)
        ErpImport.update(status="running", started_at=clock.now() - jobs.STALE_AFTER - timedelta(minutes=1)).where(
            ErpImport.id == old.id).execute()
        recent = erp_import.start(lipsia, None, dry_run=False, full=False)
        done = erp_import.start(lipsia, None, dry_run=False, full=False)
        ErpImport.update(status="done", started_at=clock.now() - timedelta(days=1)).where(
            ErpImport.id == done.id).execute()
        assert erp_import.give_up_stale(clock.now()) == [old.id]
        assert ErpImport.get_by_id(old.id).status == "failed"
        assert "nicht rechtzeitig erledigt" in ErpImport.get_by_id(old.id).report
        assert [ErpImport.get_by_id(i).status for i in (recent.id, done.id)] == ["queued", "done"]
        assert erp_import.give_up_stale(clock.now()) == []
