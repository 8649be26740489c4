"""Security events: one line each in the application log ("wir.security"), the account ones in the audit log too."""

import logging
import re
from datetime import timedelta

import pytest

from tests.helpers import deliver, demo_tenant
from tests.test_auth import STRANGER, WRONG, _reset_link, move_clock
from wir.models import AuditLog, Document, Person, User

NEW_PASSWORD = "Gruene-Tinte-auf-Papier"


@pytest.fixture
def events(caplog):
    """The security log lines written so far, as dicts of their key=value fields."""
    caplog.set_level(logging.INFO, logger="wir.security")

    def read():
        records = [record for record in caplog.records if record.name == "wir.security"]
        for record in records:
            message = record.getMessage()
            assert "\n" not in message and "\r" not in message and message.startswith("event=")
        return [dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', record.getMessage())) for record in records]

    read.text = lambda: "\n".join(record.getMessage() for record in caplog.records)
    return read


def user_id(email):
    return User.get(User.email == email).id


def audit_actions(user=None):
    query = AuditLog.select().order_by(AuditLog.id)
    query = query.where(AuditLog.user.is_null() if user is None else AuditLog.user == user)
    return [entry.action for entry in query]


def test_sign_in_success_failure_and_lock_are_logged_and_audited(client, auth, data, events, monkeypatch):
    tenant = auth.logins["tenants"][0]
    known = str(user_id(tenant["email"]))
    auth.login(tenant["email"], WRONG)
    auth.login(STRANGER, WRONG)
    auth.login_as()
    failed, stranger, succeeded = events()
    assert failed["event"] == "login.failed" and failed["user"] == known and failed["reason"] == "invalid"
    assert failed["ip"] == "127.0.0.1" and failed["path"] == "/anmelden"
    assert stranger["event"] == "login.failed" and stranger["user"] == "-"
    assert stranger["address"] != failed["address"]
    assert succeeded["event"] == "login.succeeded" and succeeded["user"] == known
    assert audit_actions(known) == ["login.failed", "login.succeeded"]
    # an unknown address leaves the same trace in the audit log, without a user
    assert audit_actions() == ["login.failed"]
    assert AuditLog.get(AuditLog.user.is_null()).ip == "127.0.0.1"

    auth.logout()
    for wait in (0, 0, 0, 31, 61):
        move_clock(monkeypatch, timedelta(seconds=wait))
        auth.login(tenant["email"], WRONG)
    locked = [event for event in events() if event["event"] == "login.locked"]
    assert len(locked) == 1 and locked[0]["user"] == known
    assert audit_actions(known)[-1] == "login.locked"
    assert "5 falsche Passwörter" in AuditLog.select().order_by(AuditLog.id.desc()).first().detail
    # never a password, never a readable address of a stranger
    text = events.text()
    assert WRONG not in text and tenant["password"] not in text and STRANGER not in text
    assert all(WRONG not in entry.detail for entry in AuditLog.select())


def test_password_reset_requested_and_done_are_logged_and_audited(app, client, auth, data, smtp, events):
    tenant = auth.logins["tenants"][0]
    known = str(user_id(tenant["email"]))
    for email in (tenant["email"], STRANGER):
        client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": email})
    deliver(app)
    link = _reset_link(smtp)
    client.post(link, data={"csrf_token": auth.csrf_token(), "password": NEW_PASSWORD,
                            "password_repeat": NEW_PASSWORD})
    requested, unknown, done = events()
    assert requested["event"] == unknown["event"] == "password.reset_requested"
    assert requested["user"] == known and unknown["user"] == "-"
    assert done["event"] == "password.reset" and done["user"] == known and done["path"] == "/passwort-neu/<token>"
    assert audit_actions(known) == ["password.reset_requested", "password.reset"]
    token = link.rsplit("/", 1)[1]
    assert token not in events.text() and NEW_PASSWORD not in events.text() and STRANGER not in events.text()


def test_csrf_failures_are_logged(client, auth, events):
    tenant = auth.logins["tenants"][0]
    client.post("/anmelden", data={"email": tenant["email"], "password": tenant["password"]})
    (refused,) = events()
    assert refused["event"] == "csrf.failed" and refused["path"] == "/anmelden" and refused["method"] == "POST"
    assert "missing" in refused["reason"]
    assert tenant["password"] not in events.text()


def test_another_users_object_id_is_logged_with_the_user(client, auth, data, events):
    tenant = auth.login_as()
    client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    gisela = Person.select().join(User).where(User.email == demo_tenant(auth.logins, "gisela")["email"]).first()
    other = Document.select().where(Document.person == gisela).first()
    assert client.get(f"/dokumente/{other.number}/pdf").status_code == 404
    (not_found,) = [event for event in events() if event["event"] == "not_found"]
    assert not_found["user"] == str(user_id(tenant["email"]))
    assert not_found["path"] == f"/dokumente/{other.number}/pdf"


def test_anonymous_404s_are_not_security_events(client, events):
    assert client.get("/gibt-es-nicht").status_code == 404
    assert events() == []


def test_nothing_a_client_sends_breaks_a_log_line_or_forges_a_field(client, auth, data, events):
    tenant = auth.login_as()
    assert client.get("/x%0Aevent=forged%20user=1%22").status_code == 404
    not_found = events()[-1]  # one line (the fixture checks every line), the forged text inside the quoted path
    assert not_found["event"] == "not_found" and not_found["user"] == str(user_id(tenant["email"]))
    assert not_found["path"] == '"/x\\nevent=forged user=1\\""'
