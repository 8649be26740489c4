"""Nothing lost under load: the app under gunicorn (2 workers, as in production) on the test's database (SQLite,
or PostgreSQL with WIR_TEST_DATABASE_URL), 200 concurrent damage reports and 200 concurrent phone edits from
signed-in tenants, with the SMTP server down the whole time; then the server comes up and every mail goes
out exactly once."""

import random
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from peewee import fn

from tests.browser.helpers import LiveServer
from tests.http_client import Session
from tests.portal_traffic import filed, renting_tenants, report_damage
from wir import clock, db, mail
from wir.models import OutboxMail, PhoneNumber, Ticket
from wir.services import scope
from wir.services.account import phones

pytestmark = pytest.mark.load

REPORTS = 200
RESENT = 20  # of the reports, sent a second time with the same submission key (a double click)
PHONE_EDITS = 200
SESSIONS_PER_TENANT = 4
CLIENTS = 16  # requests in flight at once
DELIVERERS = 3  # mail workers delivering at the same time once the server is up


class GunicornServer(LiveServer):
    """The app as production serves it: gunicorn with two sync worker processes."""

    def command(self) -> list[str]:
        app = f"wir:create_app({{}}, instance_path={str(self.instance_path)!r})"
        return [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"fd://{self.socket.fileno()}",
                "--timeout", "60", "--error-logfile", "-", app]

    def whole_log(self) -> str:
        return self.log.read_text(errors="replace")


def _phone_jobs(sessions, tenants):
    """Adds of new numbers (most refused: three at most) and changes of each tenant's first number."""
    jobs = []
    for n in range(PHONE_EDITS):
        tenant = tenants[n % len(tenants)]
        session = random.choice(sessions[tenant.email])
        first = scope.phones_of(tenant.person.user)[:1]
        if first and (n // len(tenants)) % 2:
            path, number = f"/konto/telefon/{first[0].id}/aendern", f"0341 3{n:06d}"
        else:
            path, number = "/konto/telefon/neu", f"0341 2{n:06d}"
        jobs.append(("phone", session, path, number))
    return jobs


def _run(job, tokens):
    kind, session, *rest = job
    if kind == "report":
        tenant, key = rest
        return job, report_damage(session, tenant, key, token=tokens[session])
    path, number = rest
    return job, session.post(path, {"csrf_token": tokens[session], "kind": "mobile", "number": number})


def _most_phones() -> int:
    counts = PhoneNumber.select(fn.COUNT(PhoneNumber.id)).group_by(PhoneNumber.user).tuples()
    return max((count for (count,) in counts), default=0)


def test_nothing_lost_under_load_and_every_mail_once_after_smtp_comes_back(app, smtp_down, demo_logins, tmp_path,
                                                                         monkeypatch):
    tenants = renting_tenants(demo_logins)
    assert len(tenants) >= 2
    tickets_before = Ticket.select().count()
    smtp = smtp_down  # its port is chosen and configured, nothing listens yet
    server = GunicornServer(None, tmp_path / "server", database_url=app.config["DATABASE_URL"], env={
        "WIR_SMTP_HOST": "127.0.0.1", "WIR_SMTP_PORT": str(smtp.port),
        "WIR_STORAGE_PATH": str(tmp_path / "instance" / "uploads"),
        "WIR_RATELIMIT_LOGIN": "1000 per minute",  # every session from the one test address
    })
    server.directory.mkdir()
    db.database.close()
    monitoring = threading.Event()
    most_phones = []

    def monitor():
        try:
            while not monitoring.is_set():
                most_phones.append(_most_phones())
                monitoring.wait(0.02)
        finally:
            db.database.close()

    try:
        server.start()
        sessions = {t.email: [Session(server.url).sign_in(t.email, t.password) for _ in range(SESSIONS_PER_TENANT)]
                    for t in tenants}
        tokens = {s: s.csrf_token("/kontakt") for group in sessions.values() for s in group}
        reports = []
        for n in range(REPORTS - RESENT):
            tenant = tenants[n % len(tenants)]
            reports.append(("report", random.choice(sessions[tenant.email]), tenant, f"load-{n}"))
        jobs = reports + reports[:RESENT] + _phone_jobs(sessions, tenants)
        random.shuffle(jobs)
        watcher = threading.Thread(target=monitor)
        watcher.start()
        try:
            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(lambda job: _run(job, tokens), jobs))
        finally:
            monitoring.set()
            watcher.join()
        log = server.whole_log()
    finally:
        server.stop()

    unexpected = []
    for job, answer in answers:
        if job[0] == "report":
            ok = filed(answer)
        else:  # saved (back on Kontaktdaten), or the fourth number refused next to the field
            ok = (answer.status == 200 and answer.path == "/konto/kontaktdaten") or (
                answer.status == 422 and "höchstens drei" in answer.text.replace("\n", " "))
        if not ok:
            unexpected.append((job[0], job[-1], answer.status, answer.path, answer.text[:200]))
    assert unexpected == []
    assert "database is locked" not in log and "Traceback" not in log, log[-3000:]

    # every report stored exactly once, the double clicks included
    keys = Counter(key for (key,) in Ticket.select(Ticket.submission_key)
                   .where(Ticket.submission_key.startswith("load-")).tuples())
    assert keys == Counter({f"load-{n}": 1 for n in range(REPORTS - RESENT)})
    assert Ticket.select().count() == tickets_before + REPORTS - RESENT
    # never more than three numbers, and the adds filled every list
    assert max(most_phones) <= phones.MAX_PHONES and len(most_phones) > 10
    for tenant in tenants:
        assert len(scope.phones_of(tenant.person.user)) == phones.MAX_PHONES

    # the SMTP server was down the whole run: nothing went out, nothing was given up
    outbox = list(OutboxMail.select())
    assert outbox and all(m.status != mail.SENT for m in outbox)
    received = [m for m in outbox if m.subject.endswith(" ist eingegangen")]
    assert len(received) == REPORTS - RESENT

    # the server is back; later, several workers deliver at once
    smtp.start()
    later = clock.now() + timedelta(hours=2)  # past every retry wait
    monkeypatch.setattr(clock, "now", lambda: later)

    def deliver():
        with app.app_context():
            try:
                while mail.deliver_pending(limit=20):
                    pass
            finally:
                db.database.close()

    with ThreadPoolExecutor(DELIVERERS) as pool:
        for finished in [pool.submit(deliver) for _ in range(DELIVERERS)]:
            finished.result()
    assert OutboxMail.select().where(OutboxMail.status != mail.SENT).count() == 0
    message_ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(smtp.messages) == len(outbox) and set(message_ids.values()) == {1}
    numbers = {number for (number,) in Ticket.select(Ticket.number)
               .where(Ticket.submission_key.startswith("load-")).tuples()}
    assert {m["Subject"] for m in smtp.messages} >= {f"Ihre Meldung {n} ist eingegangen" for n in numbers}
