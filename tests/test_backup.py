"""flask backup / restore: a consistent, checked copy taken while a real server keeps writing, brought back whole.

The backup is of the embedded setup (SQLite and the stored files), so these tests run on SQLite in the
PostgreSQL pass too; there the commands point to pg_dump and pg_restore.
"""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import databases
from tests.browser.helpers import LiveServer
from tests.conftest import _app_on
from tests.http_client import Session
from tests.portal_traffic import filed, renting_tenants, report_damage
from tests.test_tickets import jpeg
from wir import backup, db
from wir.models import Ticket

WRITERS = 4


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """The seeded template on SQLite, whichever database the run uses."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("WIR_TEST_DATABASE_URL", raising=False)
        url, logins = databases.build_template(tmp_path_factory.mktemp("sqlite-template"), seed=True)
    return url, logins


@pytest.fixture
def sqlite_app(sqlite_template, tmp_path):
    yield from _app_on(sqlite_template[0], tmp_path)


def _wait_for(condition, writers, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        failed = [w.exception() for w in writers if w.done() and w.exception()]
        assert not failed and time.monotonic() < deadline, failed or "the writers stalled"
        time.sleep(0.05)


def _tables(path: Path, query: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()


def _flask(instance: Path, database: Path, *args) -> subprocess.CompletedProcess:
    """The real command line on ``database`` (a new process, as an operator runs it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIR_")}
    env.update(WIR_DATABASE_URL=f"sqlite:///{database}", WIR_SECRET_KEY="backup-test",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    app = f"wir:create_app({{}}, instance_path={str(instance)!r})"
    return subprocess.run([sys.executable, "-m", "flask", "--app", app, *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_backup_while_the_portal_writes_restores_nothing_half_written(sqlite_app, sqlite_template, tmp_path):
    runner = sqlite_app.test_cli_runner()
    database = Path(sqlite_app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    uploads = Path(sqlite_app.instance_path) / "uploads"
    tenants = renting_tenants(sqlite_template[1])
    before = Ticket.select().count()
    db.database.close()
    server = LiveServer(None, tmp_path / "server", env={"WIR_STORAGE_PATH": str(uploads)},
                        database_url=sqlite_app.config["DATABASE_URL"])
    server.directory.mkdir()
    stop = threading.Event()
    answers = []

    def write(number):
        tenant = tenants[number % len(tenants)]
        session = Session(server.url).sign_in(tenant.email, tenant.password)
        sent = 0
        while not stop.is_set() or sent < 3:
            # each a different photo: every report stores a new file beside its rows
            answers.append(report_damage(session, tenant, f"w{number}-{sent}", jpeg(size=(20 + number, 10 + sent))))
            sent += 1

    try:
        server.start()
        with ThreadPoolExecutor(WRITERS) as pool:
            writers = [pool.submit(write, number) for number in range(WRITERS)]
            _wait_for(lambda: len(answers) >= 2 * WRITERS, writers)  # writing is well under way
            taken = runner.invoke(args=["backup", str(tmp_path / "backup")])
            # each writer has one report in flight at most: these many were sent after the copy
            at_backup = len(answers)
            _wait_for(lambda: len(answers) >= at_backup + 2 * WRITERS, writers)
            stop.set()
            for writer in writers:
                writer.result()
        assert taken.exit_code == 0, taken.output
        assert "Datenbank geprüft" in taken.output
        assert all(filed(answer) for answer in answers), [(a.status, a.path) for a in answers if not filed(a)]
        after = before + len(answers)
        copy = tmp_path / "backup" / backup.DATABASE_FILE
        in_backup = _tables(copy, "SELECT count(*) FROM ticket")[0][0]
        assert before < in_backup < after  # taken in the middle of the writing

        # refused over the running portal's data without --force, nothing changed
        refused = runner.invoke(args=["restore", str(tmp_path / "backup")])
        assert refused.exit_code == 1 and "--force" in refused.output
        assert _tables(database, "SELECT count(*) FROM ticket")[0][0] == after
        # with --force while the server runs: it waits a moment, then serves the backup's state
        forced = runner.invoke(args=["restore", "--force", str(tmp_path / "backup")])
        assert forced.exit_code == 0, forced.output
        tenant = tenants[0]
        shown = Session(server.url).sign_in(tenant.email, tenant.password).get("/meldungen?filter=alle")
        assert shown.status == 200
        assert _tables(database, "SELECT count(*) FROM ticket")[0][0] == in_backup
    finally:
        stop.set()
        server.stop()

    # into a new instance, by the command line as an operator runs it
    fresh = tmp_path / "fresh"
    restored = _flask(fresh, fresh / "wir.db", "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert f"{in_backup} Meldungen" in restored.stdout
    again = _flask(fresh, fresh / "wir.db", "restore", str(tmp_path / "backup"))
    assert again.returncode == 1 and "--force" in again.stderr
    _assert_whole(fresh / "wir.db", fresh / "uploads", in_backup)


def _assert_whole(database: Path, uploads: Path, tickets: int) -> None:
    """Every ticket with its first message, its status change, its photo (the file there) and its mail."""
    assert _tables(database, "PRAGMA integrity_check") == [("ok",)]
    assert _tables(database, "SELECT count(*) FROM ticket")[0][0] == tickets
    incomplete = _tables(database, """
        SELECT t.number FROM ticket t
        WHERE NOT EXISTS (SELECT 1 FROM ticket_message m WHERE m.ticket_id = t.id)
           OR NOT EXISTS (SELECT 1 FROM ticket_status_change s WHERE s.ticket_id = t.id)
           OR (t.submission_key LIKE 'w%' AND (
                  NOT EXISTS (SELECT 1 FROM ticket_attachment a WHERE a.ticket_id = t.id)
               OR NOT EXISTS (SELECT 1 FROM outbox_mail o WHERE o.subject LIKE '%' || t.number || ' ist eingegangen')))
    """)
    assert incomplete == []
    for (key,) in _tables(database, "SELECT storage_key FROM ticket_attachment UNION SELECT storage_key FROM document"):
        assert (uploads / key[:2] / key).is_file()


def test_backup_refuses_a_folder_that_exists_and_restore_a_folder_that_is_no_backup(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    (tmp_path / "taken").mkdir()
    refused = runner.invoke(args=["backup", str(tmp_path / "taken")])
    assert refused.exit_code == 1 and "gibt es schon" in refused.output
    refused = runner.invoke(args=["restore", str(tmp_path / "taken")])
    assert refused.exit_code == 1 and "keine Sicherung" in refused.output


def test_a_damaged_backup_is_not_restored(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "backup")]).exit_code == 0
    key = _tables(tmp_path / "backup" / backup.DATABASE_FILE, "SELECT storage_key FROM document LIMIT 1")[0][0]
    (tmp_path / "backup" / backup.FILES_FOLDER / key[:2] / key).unlink()
    refused = runner.invoke(args=["restore", "--force", str(tmp_path / "backup")])
    assert refused.exit_code == 1 and "fehlen 1 gespeicherte Dateien" in refused.output


def test_on_postgresql_the_commands_name_pg_dump_and_pg_restore(app, tmp_path):
    runner = app.test_cli_runner()
    for args in (["backup", str(tmp_path / "backup")], ["restore", str(tmp_path)]):
        result = runner.invoke(args=args)
        if databases.postgres_url():
            assert result.exit_code == 1 and "pg_dump" in result.output and "pg_restore" in result.output
            assert not (tmp_path / "backup").exists()
        else:
            assert "pg_dump" not in result.output
