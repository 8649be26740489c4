"""The Exportläufe (wir.services.erp_export.runs): what each run holds, acknowledging, two exports at once, a crash,
the files as German Excel reads them, the command `flask --app wir export`, the retention and the audit log.

The changes are recorded with changes.record() directly; the sources that record them are tested where they live.
On SQLite by default, on PostgreSQL with WIR_TEST_DATABASE_URL (the concurrency tests run on both).
"""

import csv
import io
import json
import re
import threading
import zipfile
from datetime import timedelta

import pytest

from tests.helpers import at_once
from wir import clock, db, tasks
from wir.models import (AuditLog, Cooperative, ErpChange, ErpExportRun, JobStatus, Person, TicketCategory, TicketType,
                        User)
from wir.services.erp_export import changes, kinds, runs
from wir.services.tickets import tickets
from wir.services.tickets.contact import ADDRESS_CHANGE_KEY

IBAN = "DE02120300000000202051"
TAX_ID = "65929970489"


@pytest.fixture
def data(data):
    """The demo's own waiting changes (its tenants' registrations, wir.demo) count as taken over by the ERP: a test
    sees only the changes it makes."""
    ErpChange.delete().execute()
    return data


@pytest.fixture
def lipsia(app, data):
    return Cooperative.get(Cooperative.slug == "lipsia")


@pytest.fixture
def elsteraue(app, data):
    return Cooperative.get(Cooperative.slug == "elsteraue")


def record(cooperative, kind="portal_access", erp_key="P-1", label="Person 10001 Erika Muster", action="new",
           by=None, **values) -> int:
    """One change of ``kind``; columns not given are empty. Returns its id."""
    columns = kinds.KINDS[kind].columns
    named = {re.sub(r"\W", "_", column): column for column in columns}  # E_Mail -> "E-Mail"
    row = {column: "" for column in columns} | {named[name]: value for name, value in values.items()}
    return changes.record(kind, action, cooperative=cooperative, by=by, erp_key=erp_key, label=label, row=row).id


def read_csv(path):
    """As a German Excel user's file is read: UTF-8 with BOM, semicolons, newline handling left to the csv module."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file, delimiter=";"))


def files_of(run, tmp_path) -> dict[str, list[list[str]]]:
    """The run's files unpacked and parsed: name -> rows (header first)."""
    folder = runs.write_to(run, tmp_path / "export")
    return {path.name: read_csv(path) for path in sorted(folder.iterdir())}


def ids_in(run) -> set[int]:
    """The ids of the changes in the run's files and its report."""
    found = set()
    with zipfile.ZipFile(io.BytesIO(runs.archive_of(run))) as archive:
        for name in archive.namelist():
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""), delimiter=";"))
            assert rows[0][0] == "Änderung"
            found |= {int(row[0]) for row in rows[1:]}
    return found


def export(cooperative, via="cli", by=None):
    return runs.export(cooperative, by=by, via=via)


# --- what a run holds --------------------------------------------------------------


def test_a_change_is_in_every_run_until_a_run_holding_it_is_acknowledged_and_never_after(lipsia):
    assert export(lipsia) is None  # nothing waits in the demo
    first = record(lipsia)
    run1 = export(lipsia)
    run2 = export(lipsia)
    assert (run1.number, run2.number) == (1, 2)
    assert ids_in(run1) == ids_in(run2) == {first}
    second = record(lipsia, erp_key="P-2")
    run3 = export(lipsia)
    assert ids_in(run3) == {first, second}

    runs.acknowledge(lipsia, 2, by=None, via="cli")
    run4 = export(lipsia)
    assert ids_in(run4) == {second}  # the first was in run 2: taken over
    runs.acknowledge(lipsia, 4, by=None, via="cli")
    assert export(lipsia) is None
    assert runs.waiting(lipsia) == {key: 0 for key in kinds.KINDS}
    # acknowledging again, or an earlier run now, changes nothing
    assert runs.acknowledge(lipsia, 4, by=None, via="cli").acknowledged_at is not None
    runs.acknowledge(lipsia, 3, by=None, via="cli")
    assert export(lipsia) is None
    # acknowledging 2 marked run 1 as taken over, acknowledging 4 run 3
    assert all(run.acknowledged_at for run in runs.runs(lipsia))
    assert ErpChange.get_by_id(first).acknowledged_run_id == run2.id
    assert ErpChange.get_by_id(second).acknowledged_run_id == run4.id


def test_a_change_recorded_after_run_n_is_in_n_plus_1_and_acking_n_leaves_it_waiting(lipsia):
    first = record(lipsia)
    run1 = export(lipsia)
    second = record(lipsia, kind="contact_data", erp_key="P-7", E_Mail="erika@example.org")
    run2 = export(lipsia)
    assert ids_in(run1) == {first}  # the stored ZIP of run 1 stays as it was
    assert ids_in(run2) == {first, second}
    assert ErpChange.get_by_id(second).first_run_id == run2.id

    runs.acknowledge(lipsia, 1, by=None, via="api")
    assert runs.waiting(lipsia)["contact_data"] == 1 and runs.waiting(lipsia)["portal_access"] == 0
    assert [change.id for change in runs.waiting_changes(lipsia)] == [second]
    assert runs.run_of(lipsia, 2).acknowledged_at is None
    run3 = export(lipsia)
    assert ids_in(run3) == {second}
    # acknowledging 2 now takes the second over; run 3, made before and holding nothing else, with it (it must
    # not reach the ERP next, and its files go after the retention like run 2's)
    runs.acknowledge(lipsia, 2, by=None, via="api")
    assert export(lipsia) is None
    assert runs.run_of(lipsia, 3).acknowledged_at is not None
    assert runs.latest(lipsia, by=None, via="api") is None


def test_a_change_made_while_an_export_is_written_goes_into_the_next_run(app, lipsia, monkeypatch):
    first = record(lipsia)
    during = []
    original = runs.kind_rows

    def rows_while_someone_changes_something(kind, rows):
        if not during:
            # another request records a change meanwhile, on its own connection
            def other_request():
                with app.app_context():
                    during.append(record(Cooperative.get_by_id(lipsia.id), erp_key="P-9"))

            thread = threading.Thread(target=other_request)
            thread.start()
            thread.join(10)
        return original(kind, rows)

    monkeypatch.setattr(runs, "kind_rows", rows_while_someone_changes_something)
    run1 = export(lipsia)
    assert len(during) == 1
    assert ids_in(run1) == {first}
    monkeypatch.undo()
    assert ErpChange.get_by_id(during[0]).first_run_id is None
    runs.acknowledge(lipsia, 1, by=None, via="cli")
    assert ids_in(export(lipsia)) == {during[0]}


def test_runs_of_one_cooperative_hold_nothing_of_the_other(lipsia, elsteraue):
    mine = record(lipsia)
    theirs = record(elsteraue, erp_key="E-1")
    assert ids_in(export(lipsia)) == {mine}
    run = export(elsteraue)
    assert run.number == 1 and ids_in(run) == {theirs}
    runs.acknowledge(elsteraue, 1, by=None, via="cli")
    assert runs.waiting(lipsia)["portal_access"] == 1
    with pytest.raises(runs.UnknownRun):
        runs.acknowledge(elsteraue, 2, by=None, via="cli")  # Lipsia has a run 2, Elsteraue not
    assert runs.run_of(elsteraue, 2) is None


def test_latest_makes_a_run_only_when_a_change_waits_that_no_run_holds(lipsia):
    assert runs.latest(lipsia, by=None, via="api") is None
    record(lipsia)
    run1 = runs.latest(lipsia, by=None, via="api")
    assert run1.number == 1 and run1.status == JobStatus.DONE
    assert runs.latest(lipsia, by=None, via="api").number == 1  # the same again: nothing new waits
    record(lipsia, erp_key="P-2")
    assert runs.latest(lipsia, by=None, via="api").number == 2
    runs.acknowledge(lipsia, 2, by=None, via="api")
    assert runs.latest(lipsia, by=None, via="api") is None
    assert [run.number for run in runs.runs(lipsia)] == [2, 1]


# --- two at once, crashes ------------------------------------------------------------


def test_two_exports_at_once_exactly_one_wins_and_the_other_is_told(app, lipsia, monkeypatch):
    ids = {record(lipsia, erp_key=f"P-{n}") for n in range(5)}
    loser_told = threading.Event()
    original = runs.kind_rows

    def rows_after_the_other_was_told(kind, rows):
        # the winner is in the middle of writing its files (its reading transaction open) when the other starts
        loser_told.wait(10)
        return original(kind, rows)

    monkeypatch.setattr(runs, "kind_rows", rows_after_the_other_was_told)

    def export_at_once(ready):
        cooperative = Cooperative.get_by_id(lipsia.id)
        ready()
        try:
            runs.export(cooperative, by=None, via="admin")
        except runs.ExportBusy:
            loser_told.set()
            raise

    outcomes = at_once(app, runs.ExportBusy, export_at_once, export_at_once)
    assert sorted(outcomes) == ["applied", "refused"]
    monkeypatch.undo()
    (run,) = runs.runs(lipsia)
    assert run.status == JobStatus.DONE and run.claim is None
    assert ids_in(run) == ids
    assert export(lipsia).number == 2  # the claim was given back


def test_an_export_while_another_is_written_is_busy_and_the_claim_is_released_after(lipsia):
    record(lipsia)
    claimed = runs._claim(lipsia, None, "cli")  # another export has started and not finished
    with pytest.raises(runs.ExportBusy):
        export(lipsia)
    assert claimed.number == 1 and ErpExportRun.select().count() == 1


def test_no_run_is_acknowledged_while_another_export_is_written(app, lipsia, monkeypatch):
    """The ERP acknowledges run 1 while an admin's run 2 is being written (on its own connection): refused, else
    run 2's files would hold what run 1's acknowledgement took over, and latest() would serve it again. After the
    run has finished the acknowledgement works, and run 2, holding nothing else, counts as taken over with it."""
    first = record(lipsia, kind="contact_data", E_Mail="erika@example.org")  # the first kind's file: read first
    run1 = export(lipsia)
    outcomes = []
    original = runs.kind_rows

    def rows_while_the_erp_acknowledges(kind, rows):
        if not outcomes:
            def the_erp():
                with app.app_context():
                    try:
                        runs.acknowledge(Cooperative.get_by_id(lipsia.id), run1.number, by=None, via="api")
                        outcomes.append("applied")
                    except runs.ExportBusy:
                        outcomes.append("refused")
                    finally:
                        db.database.close()

            thread = threading.Thread(target=the_erp)
            thread.start()
            thread.join(10)
        return original(kind, rows)

    monkeypatch.setattr(runs, "kind_rows", rows_while_the_erp_acknowledges)
    run2 = export(lipsia, via="admin")
    monkeypatch.undo()
    assert outcomes == ["refused"]
    assert ids_in(run2) == {first}
    assert runs.run_of(lipsia, 1).acknowledged_at is None and ErpChange.get_by_id(first).acknowledged_run_id is None

    runs.acknowledge(lipsia, run1.number, by=None, via="api")
    assert ErpChange.get_by_id(first).acknowledged_run_id == run1.id
    assert runs.run_of(lipsia, 2).acknowledged_at is not None
    assert runs.latest(lipsia, by=None, via="api") is None  # nothing comes twice
    assert export(lipsia) is None


def test_an_export_started_while_a_run_is_acknowledged_waits_for_the_acknowledgement(app, lipsia, monkeypatch):
    """The other order: the acknowledgement has found no export being written and not yet committed when an export
    starts. The export's claim waits for it (PostgreSQL: the cooperative's row is locked by both; SQLite: one write
    transaction at a time), so it finds nothing left waiting, instead of a run holding what was just taken over."""
    first = record(lipsia, kind="contact_data", E_Mail="erika@example.org")
    run1 = export(lipsia)
    acknowledging, writing = threading.Event(), threading.Event()
    original_record, original_rows = runs.audit.record, runs.kind_rows

    def record_then_hold_the_transaction_open(user, action, **kwargs):
        original_record(user, action, **kwargs)
        if action == "erp_export.acknowledged":
            acknowledging.set()
            # without the lock the export claimed meanwhile and is writing a file now; with it, it waits for us
            writing.wait(2)

    def rows(kind, found):
        writing.set()
        return original_rows(kind, found)

    monkeypatch.setattr(runs.audit, "record", record_then_hold_the_transaction_open)
    monkeypatch.setattr(runs, "kind_rows", rows)
    results = {}

    def in_a_thread(name, action):
        def run():
            with app.app_context():
                try:
                    results[name] = action(Cooperative.get_by_id(lipsia.id))
                finally:
                    db.database.close()
        return threading.Thread(target=run)

    def export_once_acknowledging(cooperative):
        acknowledging.wait(10)
        return runs.export(cooperative, by=None, via="admin")

    threads = [in_a_thread("acknowledged", lambda c: runs.acknowledge(c, run1.number, by=None, via="api")),
               in_a_thread("exported", export_once_acknowledging)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    monkeypatch.undo()
    assert results["acknowledged"].acknowledged_at is not None and results["exported"] is None
    assert not writing.is_set()
    assert [run.number for run in runs.runs(lipsia)] == [1]
    assert ErpChange.get_by_id(first).acknowledged_run_id == run1.id
    assert runs.latest(lipsia, by=None, via="api") is None


def test_acknowledging_is_refused_while_a_claim_is_held_until_it_is_given_up(runner, lipsia, monkeypatch):
    record(lipsia)
    export(lipsia)
    runs.acknowledge(lipsia, 1, by=None, via="cli")
    record(lipsia, erp_key="P-2")
    export(lipsia)
    record(lipsia, erp_key="P-3")
    claimed = runs._claim(lipsia, None, "admin")  # run 3 is being written
    # acknowledging run 1 again changes nothing: harmless meanwhile
    assert runs.acknowledge(lipsia, 1, by=None, via="cli").acknowledged_at is not None
    with pytest.raises(runs.ExportBusy):
        runs.acknowledge(lipsia, 2, by=None, via="api")
    result = runner.invoke(args=["export", "--ack", "2", "--cooperative", "lipsia"])
    assert result.exit_code == 1
    assert ("Ein anderer Export läuft gerade; Exportlauf 2 lässt sich danach als übernommen markieren. "
            "Bitte in einer Minute erneut.") in result.output
    assert runs.run_of(lipsia, 2).acknowledged_at is None
    assert not AuditLog.select().where((AuditLog.action == "erp_export.acknowledged")
                                       & (AuditLog.detail.contains("Exportlauf 2"))).exists()
    # the claim's process died: once it is stale, the acknowledgement gives it up and works
    later = clock.now() + runs.STALE_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert runs.acknowledge(lipsia, 2, by=None, via="cli").acknowledged_at == later
    assert ErpExportRun.get_by_id(claimed.id).status == JobStatus.FAILED
    assert runs.waiting(lipsia)["portal_access"] == 1  # P-3, for the next run


@pytest.mark.parametrize("where", ["files", "finish"])
def test_a_crashed_export_loses_nothing_and_the_next_one_works(lipsia, monkeypatch, where):
    ids = {record(lipsia, erp_key=f"P-{n}") for n in range(3)} | {record(lipsia, kind="bank_account", IBAN=IBAN)}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    if where == "files":
        original = runs.kind_rows

        def rows_then_crash(kind, rows):
            # the bank accounts' file half written, the portal access's not yet
            for row in original(kind, rows):
                yield row
                if kind == "bank_account":
                    raise RuntimeError("disk full")

        monkeypatch.setattr(runs, "kind_rows", rows_then_crash)
    else:
        monkeypatch.setattr(runs.audit, "record", broken)
    with pytest.raises(RuntimeError):
        export(lipsia)
    monkeypatch.undo()

    failed = runs.run_of(lipsia, 1)
    assert failed.status == JobStatus.FAILED and failed.claim is None and runs.archive_of(failed) is None
    assert not ErpChange.select().where(ErpChange.first_run.is_null(False)).exists()
    assert runs.waiting(lipsia)["portal_access"] == 3 and runs.waiting(lipsia)["bank_account"] == 1
    with pytest.raises(runs.UnknownRun):
        runs.acknowledge(lipsia, 1, by=None, via="cli")  # a failed run has nothing to take over
    run = export(lipsia)
    assert run.number == 2 and ids_in(run) == ids
    assert runs.latest(lipsia, by=None, via="api").number == 2


def test_a_stale_claim_is_taken_over_and_its_late_finish_changes_nothing(lipsia, monkeypatch):
    first = record(lipsia)
    stale = runs._claim(lipsia, None, "cli")  # its process died after the claim
    assert ErpChange.get_by_id(first).first_run_id == stale.id
    with pytest.raises(runs.ExportBusy):
        export(lipsia)
    later = clock.now() + runs.STALE_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    run = export(lipsia)
    assert run.number == 2 and ids_in(run) == {first}
    assert runs.run_of(lipsia, 1).status == JobStatus.FAILED
    # the first process comes back to life: its finish no longer applies
    from wir.services import jobs
    assert not jobs.finish(ErpExportRun, stale.id, claim=None)
    assert ErpChange.get_by_id(first).first_run_id == run.id


def test_the_hourly_task_gives_up_a_dead_claim_and_its_changes_wait_for_a_new_run(app, lipsia):
    first = record(lipsia)
    stale = runs._claim(lipsia, None, "cli")
    ErpExportRun.update(started_at=clock.now() - runs.STALE_AFTER - timedelta(seconds=1)).where(
        ErpExportRun.id == stale.id).execute()
    with app.app_context():
        tasks.purge_expired_erp_exports()
    assert ErpExportRun.get_by_id(stale.id).status == JobStatus.FAILED
    assert ErpChange.get_by_id(first).first_run_id is None
    assert ids_in(runs.latest(lipsia, by=None, via="api")) == {first}


# --- the files ----------------------------------------------------------------------------


def test_the_files_read_as_a_german_excel_users_file_would(lipsia, tmp_path):
    awkward = 'Müller; „Jürgen“ "Jo"\nHinterhaus'
    contact = record(lipsia, kind="contact_data", erp_key="10001", action="changed",
                     Telefon_1_Typ="Mobil", Telefon_1="0170 1234567", E_Mail="jürgen@example.org",
                     E_Mail_ist_Portal_Anmeldung="ja")
    bank = changes.record("bank_account", "new", cooperative=lipsia, by=None, erp_key="V-4711",
                          label="Vertrag 4711",
                          row={"Vertragsnummer": "4711", "Kontoinhaber": awkward, "IBAN": IBAN, "BIC": "BYLADEM1001",
                               "Bank": "Deutsche Kreditbank", "Gültig ab": "01.01.2027", "Mandatsreferenz": "M-1",
                               "Einwilligung am": "07.12.2026", "Einwilligungstext": "Version 2"}).id
    ErpChange.update(actor="representative").where(ErpChange.id == bank).execute()  # a Vertretung acted
    keyless = record(lipsia, kind="exemption_order", erp_key=None, label="Person 10099 Öztürk", action="revoked",
                     Betrag="1.000,00", Steuer_ID=TAX_ID)
    run = export(lipsia)
    files = files_of(run, tmp_path)

    # every kind's file in every run, header only when empty, and the report
    assert set(files) == {spec.file for spec in kinds.KINDS.values()} | {kinds.REPORT_FILE}
    for spec in kinds.KINDS.values():
        assert files[spec.file][0] == list(spec.header)
    assert files["sparkuendigungen.csv"] == [list(kinds.KINDS["savings_notice"].header)]

    made = clock.to_local(ErpChange.get_by_id(bank).at).strftime("%d.%m.%Y %H:%M")
    (bank_row,) = files["bankverbindungen.csv"][1:]
    assert bank_row == [str(bank), made, "neu", "Vertretung", "V-4711", "4711", awkward, IBAN, "BYLADEM1001",
                        "Deutsche Kreditbank", "01.01.2027", "M-1", "07.12.2026", "Version 2"]
    (contact_row,) = files["kontaktdaten.csv"][1:]
    header = files["kontaktdaten.csv"][0]
    assert dict(zip(header, contact_row)) | {"Zeitpunkt": ""} == {
        **{column: "" for column in header}, "Änderung": str(contact), "Art": "geändert", "Von": "Genossenschaft",
        "Person": "10001", "Telefon 1 Typ": "Mobil", "Telefon 1": "0170 1234567", "E-Mail": "jürgen@example.org",
        "E-Mail ist Portal-Anmeldung": "ja"}
    # the change without a key is in the report by its label, not in its kind's file
    assert files["freistellungsauftraege.csv"] == [list(kinds.KINDS["exemption_order"].header)]
    assert files[kinds.REPORT_FILE] == [
        ["Änderung", "Zeitpunkt", "Datei", "Art", "Von", "Objekt", "Grund"],
        [str(keyless), made, "freistellungsauftraege.csv", "widerrufen", "Genossenschaft", "Person 10099 Öztürk",
         "ohne ERP-Schlüssel"]]
    assert runs.counts_of(run) == {"contact_data": 1, "bank_account": 1, "exemption_order": 0, "savings_notice": 0,
                                   "address_change": 0, "portal_access": 0, "meter_reading": 0,
                                   kinds.WITHOUT_KEY: 1}

    # the bytes: BOM, semicolons, CRLF, quotes only where needed
    raw = (tmp_path / "export" / "wir-export-lipsia-0001" / "bankverbindungen.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\xc3\x84nderung;Zeitpunkt;Art;Von;Vertrag;")
    assert raw.count(b"\r\n") == 2 and raw.endswith(b"\r\n")
    assert '"Müller; „Jürgen“ ""Jo""\nHinterhaus"'.encode() in raw
    assert f";{IBAN};".encode() in raw


def test_free_text_starting_like_a_formula_gets_an_apostrophe_and_nothing_else_does(app, lipsia, tmp_path):
    """CSV injection (OWASP): what a tenant or staff typed freely never runs as a formula in a spreadsheet."""
    person = Person.get((Person.cooperative == lipsia) & Person.erp_key.is_null(False) & Person.user.is_null(False))
    category = (TicketCategory.select().join(TicketType)
                .where((TicketCategory.key == ADDRESS_CHANGE_KEY) & (TicketType.cooperative == lipsia)).get())
    formula = '=HYPERLINK("https://example.org/x";"Neue Anschrift")'
    with app.test_request_context():  # the tenant's Meldung „Änderung der Anschrift“ records the change
        tickets.submit_request(tickets.NewTicket(person=person, category=category, subject=formula,
                                                 message="Gartenweg 3\n04103 Leipzig",
                                                 created_by=User.get_by_id(person.user_id)))
    record(lipsia, kind="bank_account", erp_key="V-1", Kontoinhaber="-Müller", Bank="@Bank", IBAN=IBAN,
           Mandatsreferenz="-M-1", Einwilligungstext="=1+1")
    record(lipsia, kind="exemption_order", Partner="+Monika", Steuer_ID=TAX_ID, Betrag="-1,00")
    record(lipsia, kind="exemption_order", erp_key="P-2", Partner="\tMonika")
    record(lipsia, kind="contact_data", Telefon_1_Typ="Mobil", Telefon_1="+4915112345678", E_Mail="=x@example.org")
    files = files_of(export(lipsia), tmp_path)

    def column(name, title):
        header, *rows = files[name]
        return [row[header.index(title)] for row in rows]

    assert column("anschriften.csv", "Mitteilung") == [f"'{formula}\nGartenweg 3\n04103 Leipzig"]
    assert column("bankverbindungen.csv", "Kontoinhaber") == ["'-Müller"]
    assert column("bankverbindungen.csv", "Bank") == ["'@Bank"]
    assert column("freistellungsauftraege.csv", "Partner") == ["'+Monika", "'\tMonika"]
    # what the portal formats itself, and the phone numbers, stay as they are
    assert column("bankverbindungen.csv", "Mandatsreferenz") == ["-M-1"]
    assert column("bankverbindungen.csv", "Einwilligungstext") == ["=1+1"]
    assert column("freistellungsauftraege.csv", "Betrag") == ["-1,00", ""]
    assert column("kontaktdaten.csv", "Telefon 1") == ["+4915112345678"]
    assert column("kontaktdaten.csv", "E-Mail") == ["=x@example.org"]


def test_the_archive_is_stored_named_and_the_same_each_time_it_is_read(lipsia, tmp_path):
    record(lipsia)
    run = export(lipsia)
    assert runs.archive_name(run) == "wir-export-lipsia-0001.zip"
    archive = runs.archive_of(run)
    assert archive == runs.archive_of(run) and len(archive) == run.archive_size
    assert "archive" not in run.__data__  # the listed runs never carry the blob
    folder = runs.write_to(run, tmp_path)
    assert folder == tmp_path / "wir-export-lipsia-0001" and (folder / "portalzugang.csv").exists()
    assert {(path.name) for path in folder.iterdir()} == set(zipfile.ZipFile(io.BytesIO(archive)).namelist())


# --- the command line ---------------------------------------------------------------


def test_the_export_command_writes_the_run_and_says_what_is_in_it(runner, lipsia, tmp_path):
    record(lipsia)
    record(lipsia, erp_key="P-2")
    record(lipsia, kind="contact_data", erp_key=None, label="Person 10002")
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--cooperative", "lipsia"])
    assert result.exit_code == 0, result.output
    assert "Exportlauf 1 geschrieben nach" in result.output
    assert "portalzugang.csv: 2 Änderungen" in result.output
    assert "kontaktdaten.csv: 0 Änderungen" in result.output
    assert "bericht.csv: 1 ohne ERP-Schlüssel" in result.output
    assert "export --ack 1 --cooperative lipsia" in result.output
    folder = tmp_path / "out" / "wir-export-lipsia-0001"
    assert len(read_csv(folder / "portalzugang.csv")) == 3

    result = runner.invoke(args=["export", "--ack", "1", "--cooperative", "lipsia"])
    assert result.exit_code == 0, result.output
    assert "Exportlauf 1 ist als vom ERP übernommen markiert" in result.output
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--cooperative", "lipsia"])
    assert result.exit_code == 0 and result.output.strip() == "Nichts zu exportieren."
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["wir-export-lipsia-0001"]
    run = runs.run_of(lipsia, 1)
    assert run.via == "cli" and run.acknowledged_via == "cli" and run.created_by_id is None


def test_the_export_command_refuses_what_it_cannot_do(runner, lipsia, tmp_path):
    result = runner.invoke(args=["export", "--ack", "7", "--cooperative", "lipsia"])
    assert result.exit_code == 1 and "Einen fertigen Exportlauf 7 gibt es bei WG „Lipsia“ eG nicht." in result.output
    result = runner.invoke(args=["export", str(tmp_path), "--cooperative", "atlantis"])
    assert result.exit_code == 1 and "Eine Genossenschaft „atlantis“ gibt es nicht." in result.output
    result = runner.invoke(args=["export", "--cooperative", "lipsia"])
    assert result.exit_code == 2 and "Verzeichnis für den Export fehlt" in result.output
    record(lipsia)
    runs._claim(lipsia, None, "admin")  # an admin's export is being written
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--cooperative", "lipsia"])
    assert result.exit_code == 1 and "Ein anderer Export läuft gerade; bitte später erneut." in result.output
    assert not (tmp_path / "out").exists()


# --- retention and the audit log ---------------------------------------------------------


def test_purge_removes_files_and_taken_over_changes_after_the_retention_and_not_before(lipsia, monkeypatch):
    taken_over = record(lipsia, kind="bank_account", IBAN=IBAN)
    run1 = export(lipsia)
    acknowledged_at = clock.now()
    monkeypatch.setattr(clock, "now", lambda: acknowledged_at)
    runs.acknowledge(lipsia, 1, by=None, via="cli")
    monkeypatch.undo()
    still_waiting = record(lipsia, erp_key="P-3")
    run2 = export(lipsia)  # not acknowledged: kept however old

    assert runs.purge_expired(30, now=acknowledged_at + timedelta(days=29, hours=23)) == 0
    assert runs.archive_of(run1) is not None and ErpChange.get_or_none(id=taken_over) is not None

    moment = acknowledged_at + timedelta(days=30, minutes=1)
    assert runs.purge_expired(30, now=moment) == 1
    run1 = runs.run_of(lipsia, 1)
    assert runs.archive_of(run1) is None and run1.archive_removed_at == moment
    assert ErpChange.get_or_none(id=taken_over) is None
    assert ErpChange.get_or_none(id=still_waiting) is not None and runs.archive_of(run2) is not None
    assert runs.counts_of(run1)["bank_account"] == 1  # the page still says what the run held
    assert runs.purge_expired(30, now=moment + timedelta(days=100)) == 0


def test_the_hourly_task_purges_with_the_configured_retention(app, lipsia):
    record(lipsia)
    export(lipsia)
    runs.acknowledge(lipsia, 1, by=None, via="cli")
    ErpExportRun.update(acknowledged_at=clock.now() - timedelta(days=3)).execute()
    with app.app_context():
        tasks.purge_expired_erp_exports()
    assert runs.archive_of(runs.run_of(lipsia, 1)) is not None  # 30 days by default
    app.config["EXPORT_RETENTION_DAYS"] = 2
    with app.app_context():
        tasks.purge_expired_erp_exports()
    assert runs.archive_of(runs.run_of(lipsia, 1)) is None


def test_making_acknowledging_and_downloading_a_run_are_audited_without_iban_or_tax_id(lipsia):
    admin = User.get(User.role == User.ROLE_ADMIN)
    record(lipsia, kind="bank_account", IBAN=IBAN)
    record(lipsia, kind="exemption_order", Steuer_ID=TAX_ID)
    before = AuditLog.select().count()
    run = export(lipsia, via="admin", by=admin)
    runs.record_download(run, by=None, via="api")
    runs.acknowledge(lipsia, 1, by=admin, via="admin")
    runs.acknowledge(lipsia, 1, by=admin, via="admin")  # again: nothing happens, nothing is recorded
    entries = list(AuditLog.select().order_by(AuditLog.id).offset(before))
    assert [(entry.action, entry.user_id, entry.cooperative_id, entry.object_type, entry.object_id)
            for entry in entries] == [
        ("erp_export.created", admin.id, lipsia.id, "ErpExportRun", str(run.id)),
        ("erp_export.downloaded", None, lipsia.id, "ErpExportRun", str(run.id)),
        ("erp_export.acknowledged", admin.id, lipsia.id, "ErpExportRun", str(run.id)),
    ]
    assert entries[0].detail == ("Exportlauf 1 (Verwaltung): 1 Bankverbindungen, 1 Freistellungsaufträge")
    assert entries[1].detail == "wir-export-lipsia-0001.zip (ERP-Schnittstelle)"
    assert entries[2].detail == "Exportlauf 1 vom ERP übernommen (Verwaltung)"
    for entry in AuditLog.select():
        assert IBAN not in entry.detail and TAX_ID not in entry.detail
    run = runs.run_of(lipsia, 1)
    assert run.created_by_id == admin.id and run.acknowledged_by_id == admin.id and run.via == "admin"
    assert json.loads(run.counts)["bank_account"] == 1
