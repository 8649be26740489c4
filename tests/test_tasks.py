"""Background tasks on huey: a real consumer on the SQLite storage and on Redis, the worker command, clean-ups.

The other tests run tasks at once (TASKS_IMMEDIATE); here a consumer runs them in its own threads.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from tests.conftest import IN_CI
from tests.helpers import deliver
from wir import clock, db, mail, tasks
from wir.models import LoginThrottle, OutboxMail
from wir.services.account import accounts

# db 14: never the rate-limit counters' db 15 that the PostgreSQL pass shares
REDIS_URL = "redis://127.0.0.1:6379/14"
WAIT = 10  # seconds a consumer may take for a task


def queue(app, recipient="hintergrund@example.org"):
    with app.app_context(), db.write_transaction():
        link = mail.external_url("pages.imprint")
        return mail.queue_mail(recipient, "Hallo", "registration_confirm", name="Test", code="123456",
                               valid_hours=24, cooperative=None, confirm_url=link)


def wait_until(condition, seconds=WAIT):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def redis_or_skip(url: str = REDIS_URL):
    """Redis at ``url`` answers; otherwise the test is skipped here and fails in CI (.ci/run starts Redis)."""
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis nicht erreichbar ({error}); CI startet ihn in .ci/run", pytrace=False)
        pytest.skip(f"Redis nicht erreichbar: {error}")


@pytest.fixture(params=["sqlite", "redis"])
def start_consumer(app, request):
    """start() runs a consumer in threads of this process on the app's queue: instance/huey.db, or Redis db 14."""
    if request.param == "redis":
        redis_or_skip()
        app.config["TASK_QUEUE_URL"] = REDIS_URL
    app.config["TASKS_IMMEDIATE"] = False
    tasks.configure(app)
    tasks.huey.flush()
    started = []

    def start():
        started.append(tasks.start_in_process(workers=2))
        return started[-1]

    yield start
    for running in started:
        running.stop(graceful=True)
    tasks.huey.flush()
    app.config.update(TASKS_IMMEDIATE=True, TASK_QUEUE_URL=None)
    tasks.configure(app)


@pytest.fixture
def consumer(start_consumer):
    return start_consumer()


def test_storage_follows_the_configuration(app):
    app.config.update(TASKS_IMMEDIATE=False, TASK_QUEUE_URL=None)
    tasks.configure(app)
    assert type(tasks.huey.storage).__name__ == "SqliteStorage"
    assert tasks.huey.storage.filename == str(Path(app.instance_path) / "huey.db")
    app.config["TASK_QUEUE_URL"] = REDIS_URL
    tasks.configure(app)
    assert type(tasks.huey.storage).__name__ == "RedisStorage"
    app.config.update(TASKS_IMMEDIATE=True, TASK_QUEUE_URL=None)
    tasks.configure(app)
    assert tasks.huey.immediate


def test_a_request_that_queued_mail_is_delivered_by_the_consumer(app, client, auth, data, smtp, consumer):
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True
    email = auth.logins["tenants"][0]["email"]
    started = time.monotonic()
    assert client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": email}).status_code == 303
    assert time.monotonic() - started < 2  # the response does not wait for SMTP
    assert wait_until(lambda: smtp.messages)
    assert [message["To"] for message in smtp.messages] == [email]


def test_delivery_enqueued_many_times_sends_each_mail_once(app, smtp, consumer):
    """Five tasks and the sweep race for the same mails: the outbox's lease lets each go out once."""
    for number in range(3):
        queue(app, f"empfaenger{number}@example.org")
    for _ in range(5):
        tasks.deliver_mail()
    assert wait_until(lambda: len(smtp.messages) >= 3)
    time.sleep(0.5)  # a duplicate would arrive now
    assert sorted(message["To"] for message in smtp.messages) == [f"empfaenger{n}@example.org" for n in range(3)]
    with app.app_context():
        assert {mail_.status for mail_ in OutboxMail.select()} == {"sent"}


def test_the_sweep_delivers_mail_whose_task_never_came(app, smtp, start_consumer):
    """A mail queued outside a request (or whose task was lost) goes out with the periodic sweep, which the
    scheduler enqueues at the consumer's start and then every minute."""
    queue(app)
    start_consumer()
    assert wait_until(lambda: smtp.messages)


def test_the_sweep_retries_a_mail_once_it_is_due(app, smtp_down, monkeypatch):
    queue(app)
    assert deliver(app) == 0  # SMTP down: the mail waits, due again in 30 s
    smtp_down.start()
    with app.app_context():
        tasks.sweep_outbox()  # not yet due: nothing
    assert smtp_down.messages == []
    later = clock.now() + timedelta(seconds=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    with app.app_context():
        tasks.sweep_outbox()
    assert len(smtp_down.messages) == 1


def test_pruning_forgets_old_rounds_of_wrong_passwords_but_keeps_locks(app, data):
    now = clock.now()
    rows = {
        "old": dict(failures=2, last_failure_at=now - timedelta(days=2)),
        "recent": dict(failures=2, last_failure_at=now - timedelta(hours=3)),
        "lock_over": dict(failures=5, last_failure_at=now - timedelta(days=2), locked_until=now - timedelta(days=2)),
        "locked": dict(failures=5, last_failure_at=now - timedelta(days=2), locked_until=now + timedelta(minutes=5)),
        "for_good": dict(failures=accounts.MAX_FAILURES, last_failure_at=now - timedelta(days=30)),
    }
    for key, values in rows.items():
        LoginThrottle.create(address_hash=key, **values)
    with app.app_context():
        tasks.prune_login_throttles()  # immediate mode: runs now
    kept = {row.address_hash for row in LoginThrottle.select()}
    assert kept == {"recent", "locked", "for_good"}


def test_the_worker_command_runs_the_consumer_until_interrupted(app, smtp):
    """`flask --app wir worker` in its own process, on the app's database and a Redis queue; the sweep at its
    start delivers a waiting mail; Ctrl+C (SIGINT) ends it cleanly."""
    redis_or_skip()
    queue(app)
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIR_")}
    env.update(
        WIR_DATABASE_URL=app.config["DATABASE_URL"], WIR_SECRET_KEY="worker-test", WIR_TASK_QUEUE_URL=REDIS_URL,
        WIR_SMTP_HOST="127.0.0.1", WIR_SMTP_PORT=str(smtp.port), WIR_BASE_URL="http://localhost",
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
    )
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wir", "worker", "--workers", "1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        delivered = wait_until(lambda: smtp.messages, seconds=20)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert delivered, err
    assert process.returncode == 0, err
    assert "Hintergrundaufgaben laufen (1 Threads, Warteschlange redis://127.0.0.1:6379/14)" in err


def test_the_worker_command_refuses_immediate_mode(app, runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code != 0
    assert "TASKS_IMMEDIATE" in result.output


def test_queue_urls_lose_their_password_on_the_console():
    assert tasks._redacted("redis://user:secret@redis.example:6379/0") == "redis://user:***@redis.example:6379/0"
    assert tasks._redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
