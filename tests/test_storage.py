"""Stored files: in the instance folder, in a shared folder, or in the database; several app servers see the same.

The two-server test runs two real servers (tests.browser.helpers.LiveServer) with their own instance folders
on the test's database: SQLite by default, PostgreSQL with WIR_TEST_DATABASE_URL.
"""

import hashlib
from pathlib import Path

import pytest

from tests import databases
from tests.browser.helpers import LiveServer
from tests.http_client import Session
from tests.portal_traffic import filed, renting_tenants, report_damage
from tests.test_tickets import SEND_STATEMENTS, contact_form, jpeg, person_of, rental_of
from wir import create_app, storage
from wir.models import StoredFile, Ticket, TicketAttachment


@pytest.fixture
def in_database(app):
    """The app's files kept in its database, as with WIR_STORAGE=database."""
    storage.configure("database", Path(app.instance_path) / "uploads")
    yield
    storage.configure("folder", Path(app.instance_path) / "uploads")


def test_database_storage_keeps_one_copy_per_content(app, data, in_database):
    key = storage.store(b"%PDF-1.7 Beleg")
    assert storage.store(b"%PDF-1.7 Beleg") == key == hashlib.sha256(b"%PDF-1.7 Beleg").hexdigest()
    assert StoredFile.select().where(StoredFile.key == key).count() == 1
    assert storage.load(key) == b"%PDF-1.7 Beleg"
    assert storage.folder() is None
    assert not (Path(app.instance_path) / "uploads" / key[:2] / key).exists()
    with pytest.raises(FileNotFoundError):
        storage.load("0" * 64)
    with pytest.raises(ValueError):
        storage.load("../wir.db")


def test_database_storage_inside_a_transaction_is_part_of_it(app, data, in_database):
    from wir import db

    with pytest.raises(RuntimeError), db.write_transaction():
        key = storage.store(b"half written")
        raise RuntimeError("the cause failed")
    assert not StoredFile.select().where(StoredFile.key == key).exists()


@pytest.mark.parametrize("files", [0, 3])
def test_a_meldung_keeps_its_files_in_the_database_in_one_transaction(client, auth, data, in_database, count_queries,
                                                                     files):
    """In the database a Meldung's files take one lookup and an INSERT each (one transaction for all), the
    Eingangsbestätigung a lookup and an INSERT, beside what sending takes anyway."""
    person = person_of(auth.login_as()["email"])
    photos = [(f"Foto {i}.jpg", jpeg(size=(40 + i, 30))) for i in range(files)]
    form = contact_form(auth, {"person": person, "rental": rental_of(person)}, photos)
    stored_before = StoredFile.select().count()
    with count_queries() as queries:
        assert client.post("/kontakt", data=form, content_type="multipart/form-data").status_code == 303
    attachments_insert = 1 if files else 0
    assert queries.count == SEND_STATEMENTS + attachments_insert + 2 + (1 + files if files else 0), queries.statements
    assert StoredFile.select().count() == stored_before + files + 1
    kept = TicketAttachment.select().join(Ticket).where(Ticket.submission_key == "key-1").order_by(TicketAttachment.id)
    assert [hashlib.sha256(storage.load(f.storage_key)).hexdigest() for f in kept] == [f.storage_key for f in kept]
    assert len(kept) == files


def test_storage_path_and_kind_come_from_the_settings(tmp_path):
    shared = tmp_path / "shared"
    create_app({**databases.TEST_CONFIG, "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db"),
                "STORAGE_PATH": str(shared)}, instance_path=str(tmp_path / "instance"))
    assert storage.folder() == shared
    key = storage.store(b"shared bytes")
    assert (shared / key[:2] / key).read_bytes() == b"shared bytes"
    with pytest.raises(ValueError, match="STORAGE"):
        create_app({**databases.TEST_CONFIG, "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db"),
                    "STORAGE": "cloud"}, instance_path=str(tmp_path / "instance"))


@pytest.mark.parametrize("setting", ["database", "shared folder"])
def test_a_photo_sent_through_one_server_is_served_by_the_other(app, data, demo_logins, tmp_path, setting):
    env = {"WIR_STORAGE": "database"} if setting == "database" else {"WIR_STORAGE_PATH": str(tmp_path / "shared")}
    url = app.config["DATABASE_URL"]
    first = LiveServer(None, tmp_path / "first", env=env, database_url=url)
    second = LiveServer(None, tmp_path / "second", env=env, database_url=url)
    for server in (first, second):
        server.directory.mkdir()
    try:
        first.start(), second.start()
        tenant = renting_tenants(demo_logins)[0]
        sent = report_damage(Session(first.url).sign_in(tenant.email, tenant.password), tenant, "shared-1", jpeg())
        assert filed(sent), (sent.status, sent.text[:500])
        ticket = Ticket.get(Ticket.submission_key == "shared-1")
        photo = TicketAttachment.get(TicketAttachment.ticket == ticket)
        through_first = Session(first.url).sign_in(tenant.email, tenant.password)
        through_second = Session(second.url).sign_in(tenant.email, tenant.password)
        ticket_page = f"/meldungen/{ticket.number}"
        path = f"{ticket_page}/anhang/{photo.id}"
        assert path in through_second.get(ticket_page).text
        served = through_second.get(path)
        assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"
        assert served.body == through_first.get(path).body
        assert hashlib.sha256(served.body).hexdigest() == photo.storage_key
    finally:
        first.stop(), second.stop()
    # neither server kept the photo in its own instance folder
    for server in (first, second):
        assert not (server.instance_path / "uploads" / photo.storage_key[:2] / photo.storage_key).exists()
    if setting == "database":
        assert StoredFile.select().where(StoredFile.key == photo.storage_key).exists()
    else:
        assert (tmp_path / "shared" / photo.storage_key[:2] / photo.storage_key).exists()
