"""Background work on huey: one queue for every task (mail delivery, registration letters, clean-ups).

The queue lives in instance/huey.db (huey's SQLite storage) unless TASK_QUEUE_URL names a Redis server
(redis://host:6379/0), which several app servers share. ``flask --app wir worker`` runs the consumer;
``make run`` runs one inside the development server (start_in_process). With TASKS_IMMEDIATE (the tests)
a task runs at once in the caller's thread.

A task runs in the app's context and closes the database connection it opened; whatever a page shows of
a task (progress, outcome) lives in the database, never in huey's result store. The mail outbox stays
the source of truth for mail: a task delivers after the request that queued it, a sweep every minute
delivers whatever is due (retries, a lost task), and the outbox's lease sends each mail once.
"""

import functools
import logging
from pathlib import Path

import click
from huey import Huey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from wir import clock, db, mail
from wir.services import erp_import
from wir.services.account import accounts
from wir.services.consumption import notices, readings
from wir.services.erp_export import runs as erp_export_runs
from wir.services.home import news
from wir.services.registration import registration_letters
from wir.services.staff import work_orders

log = logging.getLogger(__name__)

# the storage is chosen by configure() from the app's configuration
huey = Huey("wir", results=False, storage_class=MemoryStorage)
_app = None


def init_app(app) -> None:
    configure(app)
    app.cli.add_command(worker_command)

    @app.before_request
    def _collect_queued_mail():
        if app.config["MAIL_DELIVER_IN_BACKGROUND"]:
            mail.collect_in_request()

    @app.after_request
    def _deliver_queued_mail(response):
        # no view has to remember it: every request that queued mail enqueues its delivery
        if app.config["MAIL_DELIVER_IN_BACKGROUND"] and mail.committed_in_request():
            try:
                deliver_mail()
            except Exception:  # the queue is out of reach: the change stands, the sweep delivers later
                log.exception("Mail-Zustellung konnte nicht eingereiht werden")
        return response


def configure(app) -> None:
    """Tasks run in ``app``'s context, on the queue its configuration names."""
    global _app
    _app = app
    url = app.config["TASK_QUEUE_URL"]
    if url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(Path(app.instance_path) / "huey.db")}
    huey.storage.close()
    huey.immediate = bool(app.config["TASKS_IMMEDIATE"])
    huey.storage = huey.create_storage()


def _in_app(function):
    @functools.wraps(function)
    def run(*args, **kwargs):
        with _app.app_context():
            opened_here = db.database.is_closed()
            try:
                return function(*args, **kwargs)
            finally:
                # a worker thread's connection would stay open until the thread ends
                if opened_here and not db.database.is_closed():
                    db.database.close()

    return run


def task(**options):
    """A huey task that runs inside the app's context: calling it enqueues it."""
    return lambda function: huey.task(**options)(_in_app(function))


def periodic_task(schedule, **options):
    """A task the consumer's scheduler enqueues on ``schedule`` (a huey crontab)."""
    return lambda function: huey.periodic_task(schedule, **options)(_in_app(function))


# --- the tasks ---------------------------------------------------------------


@task()
def deliver_mail() -> None:
    """Enqueued after a request that queued mail."""
    mail.deliver_due()


@periodic_task(crontab())  # every minute
def sweep_outbox() -> None:
    """Whatever is due: retries after a failure, mails of a crashed worker, mails whose task was lost."""
    mail.deliver_due()


@task()
def build_registration_letters(batch_id: int) -> None:
    """A batch of Registrierungsbriefe (services.registration_letters.build_batch)."""
    registration_letters.build_batch(batch_id, mail.external_url("registration.register"),
                                     _app.config["BASE_URL"].rstrip("/"))


@task()
def build_consumption_letters(batch_id: int) -> None:
    """A month's Verbrauchsinformation letters for the post in one PDF (services.consumption.notices.build_batch)."""
    notices.build_batch(batch_id, _app.config["BASE_URL"].rstrip("/"))


@periodic_task(crontab(minute="*/10"))
def give_up_stale_letter_batches() -> None:
    """A batch whose worker died (or that no worker took) says so instead of showing progress forever:
    Registrierungsbriefe and Verbrauchsinformation per Post."""
    registration_letters.give_up_stale(clock.now())
    notices.give_up_stale(clock.now())


@task()
def run_erp_import(erp_import_id: int) -> None:
    """An ERP import uploaded on /intern/import (services.erp_import.run_stored)."""
    report = erp_import.run_stored(erp_import_id, erp_import_work(_app))
    if notices.worth_announcing(report):
        announce_consumption()  # new Verbrauch values: tell their tenants


@periodic_task(crontab(minute="*/10"))
def give_up_stale_erp_imports() -> None:
    """An import whose worker died (or that no worker took) says so instead of "läuft" forever."""
    erp_import.give_up_stale(clock.now())


def erp_import_work(app) -> Path:
    """Where a running import keeps its files and its progress (the upload page reads it)."""
    return Path(app.instance_path) / "imports"


@task()
def announce_consumption() -> None:
    """After an import: mail the tenants whose month of Verbrauchsinformation is new (services.consumption.notices,
    which tells each contract once, whatever runs twice)."""
    notices.announce(clock.today())


@periodic_task(crontab(minute="29"))
def sweep_consumption_notices() -> None:
    """Hourly: a month whose announcing task was lost, or whose worker died between batches, is still announced."""
    notices.announce(clock.today())


@task()
def mail_news(news_id: int) -> None:
    """After a Neuigkeit was saved with „per E-Mail benachrichtigen“: mail its readers (services.home.news, which
    mails each user once, whatever runs twice); one saved ahead of its first day is left to the sweep."""
    news.mail_readers(news_id)


@periodic_task(crontab(minute="*/10"))
def sweep_news_mail() -> None:
    """A Neuigkeit whose first day came, whose task was lost or whose worker died is still mailed."""
    news.mail_due()


@task()
def mail_work_order(order_id: int) -> None:
    """After a Handwerkerauftrag was placed at the desk: its PDF mailed to the company (services.staff.work_orders,
    which mails each order once, whatever runs twice), delivered at once like a request's mail."""
    if work_orders.mail_order(order_id) and _app.config["MAIL_DELIVER_IN_BACKGROUND"]:
        deliver_mail()


@periodic_task(crontab(minute="*/10"))
def sweep_work_orders() -> None:
    """An order whose task was lost or whose worker died is still mailed."""
    work_orders.mail_due()


@periodic_task(crontab(minute="17"))
def prune_login_throttles() -> None:
    """Hourly: forget rounds of wrong passwords that no longer hold anything back."""
    pruned = accounts.prune_login_throttles(clock.now())
    if pruned:
        log.info("%s abgelaufene Anmeldesperren entfernt", pruned)


@periodic_task(crontab(minute="53"))
def prune_pending_photos() -> None:
    """Hourly: photos a Zählerstand form kept for „Stimmt der Wert?“ and nobody confirmed within a day."""
    pruned = readings.prune_pending(clock.now())
    if pruned:
        log.info("%s nicht bestätigte Zählerfotos entfernt", pruned)


@periodic_task(crontab(minute="43"))
def purge_expired_erp_exports() -> None:
    """Hourly: the files of Exportläufe acknowledged longer than EXPORT_RETENTION_DAYS ago (full IBANs and
    Steuer-IDs) and the changes they held; a run whose process died is marked failed, its changes given back."""
    erp_export_runs.give_up_stale(clock.now())
    erp_export_runs.purge_expired(_app.config["EXPORT_RETENTION_DAYS"], clock.now())  # logs what it removed


# --- consumers ---------------------------------------------------------------


class _InProcessConsumer(Consumer):
    """The consumer inside the development server: Ctrl+C and SIGTERM stay the server's."""

    def _set_signal_handlers(self):
        pass


def start_in_process(workers: int = 2) -> Consumer:
    """Run the consumer in threads of this process (make run, the browser tests' server); stop() ends it."""
    consumer = _InProcessConsumer(huey, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    return consumer


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Anzahl gleichzeitig laufender Aufgaben (Threads).")
def worker_command(workers):
    """Run the background tasks (mail delivery, letters, clean-ups) until Ctrl+C or SIGTERM."""
    if huey.immediate:
        raise click.ClickException("TASKS_IMMEDIATE ist eingeschaltet: Aufgaben laufen sofort, kein Worker nötig.")
    where = _app.config["TASK_QUEUE_URL"] or huey.storage.filename
    click.echo(f"Hintergrundaufgaben laufen ({workers} Threads, Warteschlange {_redacted(where)}); "
               "Beenden mit Strg+C.", err=True)
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()


def _redacted(url: str) -> str:
    """A queue URL without its password, for the console."""
    scheme, separator, rest = url.partition("://")
    if separator and "@" in rest:
        credentials, _, host = rest.rpartition("@")
        return f"{scheme}://{credentials.split(':')[0]}:***@{host}"
    return url
