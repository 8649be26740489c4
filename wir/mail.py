"""The outbox: every mail is written in the transaction of its cause and delivered after commit.

Delivery leases one due mail at a time in a short transaction, sends it with no
transaction open, then records the outcome in another short transaction. The
lease (status 'sending', next_attempt_at pushed into the future) keeps other
workers away; a worker that dies mid-send lets its lease run out, and the mail
becomes due again. Delivery runs as a background task (wir.tasks) after the request
that queued the mail and every minute for whatever is due; `flask mail deliver` by hand.
"""

import logging
import re
import smtplib
import sys
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask.cli import AppGroup
from jinja2 import Environment
from werkzeug.routing import Map

from wir import clock, db, storage
from wir.models import OutboxAttachment, OutboxMail

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = "pending", "sending", "sent"
LEASE = timedelta(minutes=10)  # far longer than one send may take (a few SMTP_TIMEOUTs)
SMTP_TIMEOUT = 10  # seconds per network operation
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
WORKER_INTERVAL = 5  # seconds

# The server refused this one message; the connection stays usable for the next.
# ValueError: the message cannot be built (e.g. a line break in a header).
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError, ValueError)
# Anything else means the server (or the mail folder) is out of reach: stop this round.
TRANSPORT_FAILED = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class _Settings:
    config: dict  # the app's configuration itself, read when used: a setting changed later applies
    templates: Environment
    urls: Map
    instance_path: Path


_settings: _Settings | None = None
# the ids of the mails queued while a request runs (None outside one): its delivery is enqueued after it
_queued_in_request: ContextVar[list[int] | None] = ContextVar("queued_in_request", default=None)


def configure(config: dict, templates: Environment, urls: Map, instance_path: str) -> None:
    """What mail needs of the app; create_app() sets it once, so services, the CLI and tasks queue and deliver
    mail without an app or request context."""
    global _settings
    _settings = _Settings(config, templates, urls, Path(instance_path))


def _configured() -> _Settings:
    if _settings is None:
        raise RuntimeError("mail.configure() was not called (create_app does it)")
    return _settings


# --- writing -----------------------------------------------------------------


@dataclass(frozen=True)
class MailFile:
    """A stored file (wir.storage) a mail carries as an attachment."""

    filename: str
    content_type: str
    storage_key: str



def queue_mail(recipient: str, subject: str, template: str, files: Sequence[MailFile] = (), **context) -> OutboxMail:
    """Render mail/<template>.txt and .html and put the mail into the outbox, with ``files`` (stored already:
    wir.storage) attached when it is sent.

    Call it inside the transaction of the change that causes the mail: it is
    sent only if that transaction commits (in a request, its delivery is
    enqueued after the response: see wir.tasks). Pass ``cooperative`` (or None) so the mail is
    signed by the cooperative.
    """
    settings = _configured()
    config = settings.config
    _check_one_recipient(recipient)
    context.update(
        subject=subject,
        base_url=_base_url(),
        portal_email=config["PORTAL_EMAIL"],
        portal_phone=config["PORTAL_PHONE"],
    )
    # Not flask.render_template: its context processors read the request (the
    # signed-in viewer), and a mail is rendered from CLI commands too.
    env = settings.templates
    queued = OutboxMail.create(
        recipient=recipient,
        subject=subject,
        body_text=env.get_template(f"mail/{template}.txt").render(context),
        body_html=env.get_template(f"mail/{template}.html").render(context),
    )
    if files:
        OutboxAttachment.insert_many([
            {"mail": queued, "filename": file.filename, "content_type": file.content_type,
             "storage_key": file.storage_key} for file in files
        ]).execute()
    in_request = _queued_in_request.get()
    if in_request is not None:
        in_request.append(queued.id)
    return queued


# a list ("a@x.de, b@y.de"), a header injection, or a display name with an address inside
_NOT_ONE_MAILBOX = re.compile(r"[,;\s\x00-\x1f\x7f]")


def _check_one_recipient(recipient: str) -> None:
    """Every mail goes to exactly one mailbox, whatever a form let through (the forms refuse lists too)."""
    if _NOT_ONE_MAILBOX.search(recipient) or recipient.count("@") != 1:
        # the address stays out of the message: it lands in logs and last_error
        raise ValueError("Empfänger ist nicht genau eine E-Mail-Adresse")


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, built from BASE_URL and never from the request's Host."""
    base = urlsplit(_base_url())
    adapter = _configured().urls.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _base_url() -> str:
    return _configured().config["BASE_URL"].rstrip("/")


# --- delivering --------------------------------------------------------------


def deliver_pending(limit: int = 100) -> int:
    """Deliver up to ``limit`` due mails over one connection; returns how many were delivered."""
    delivered = 0
    with _transport() as send:
        for _ in range(limit):
            mail = _claim_next()
            if mail is None:
                break
            try:
                send(mail, _message(mail))
            except MESSAGE_REFUSED as error:
                _record_failure(mail, error)
            except TRANSPORT_FAILED as error:
                _record_failure(mail, error)
                break
            else:
                _record_sent(mail)
                delivered += 1
    return delivered


def _due(now):
    # An expired lease makes a 'sending' mail due again: its worker has died.
    return (OutboxMail.status.in_([PENDING, SENDING])) & (OutboxMail.next_attempt_at <= now)


def _claim_next() -> OutboxMail | None:
    """Lease the oldest due mail to this worker; None when nothing is due."""
    while True:
        with db.write_transaction():
            now = clock.now()
            mail = OutboxMail.select().where(_due(now)).order_by(OutboxMail.id).first()
            if mail is None:
                return None
            # attempts works as a version number: only one worker can move it on.
            claimed = (
                OutboxMail.update(status=SENDING, attempts=OutboxMail.attempts + 1, next_attempt_at=now + LEASE)
                .where((OutboxMail.id == mail.id) & (OutboxMail.attempts == mail.attempts) & _due(now))
                .execute()
            )
        if claimed:
            mail.attempts += 1
            return mail
        # another worker took it between our read and our update: look for the next one


def _still_ours(mail: OutboxMail):
    return (OutboxMail.id == mail.id) & (OutboxMail.status == SENDING) & (OutboxMail.attempts == mail.attempts)


def _record_sent(mail: OutboxMail) -> None:
    with db.write_transaction():
        OutboxMail.update(status=SENT, sent_at=clock.now(), last_error="").where(_still_ours(mail)).execute()


def _record_failure(mail: OutboxMail, error: Exception) -> None:
    delay = min(FIRST_RETRY_SECONDS * 2 ** (mail.attempts - 1), MAX_RETRY_SECONDS)
    description = f"{type(error).__name__}: {error}"[:1000]
    # the error only: the body holds links with tokens
    log.warning("Mail %s nicht zugestellt (Versuch %s, neuer in %s s): %s", mail.id, mail.attempts, delay, description)
    with db.write_transaction():
        OutboxMail.update(
            status=PENDING, next_attempt_at=clock.now() + timedelta(seconds=delay), last_error=description
        ).where(_still_ours(mail)).execute()


def _message(mail: OutboxMail) -> EmailMessage:
    _check_one_recipient(mail.recipient)  # a ValueError: this mail is refused, the others go on
    sender = _configured().config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = mail.recipient
    created = mail.created_at.replace(tzinfo=timezone.utc)
    message["Date"] = format_datetime(created)
    # the same ID on every attempt, so a receiver can drop a duplicate after a crash
    message["Message-ID"] = f"<outbox.{mail.id}.{int(created.timestamp())}@{domain}>"
    # quoted-printable: 7-bit safe for any server, whatever the umlauts
    message.set_content(mail.body_text, cte="quoted-printable")
    message.add_alternative(mail.body_html, subtype="html", cte="quoted-printable")
    for file in OutboxAttachment.select().where(OutboxAttachment.mail == mail.id).order_by(OutboxAttachment.id):
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(storage.load(file.storage_key), maintype=maintype, subtype=subtype,
                               filename=file.filename)
    return message


@contextmanager
def _transport():
    """A send(mail, message) function: SMTP when configured, otherwise instance/mail/."""
    config = _configured().config
    if config["SMTP_HOST"]:
        with _smtp_transport(config) as send:
            yield send
    else:
        yield _folder_transport(mail_folder())


@contextmanager
def _smtp_transport(config):
    connection = None

    def send(mail, message):
        nonlocal connection
        if connection is None:  # connect only when there is something to send
            connection = _connect(config)
        # the envelope names the one recipient: smtplib would otherwise collect To, Cc and Bcc
        connection.send_message(message, to_addrs=[mail.recipient])

    try:
        yield send
    finally:
        if connection is not None:
            try:
                connection.quit()
            except TRANSPORT_FAILED:
                connection.close()  # the server has gone away already


def _connect(config) -> smtplib.SMTP:
    connection = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT)
    try:
        if config["SMTP_STARTTLS"]:
            connection.starttls()
        if config["SMTP_USER"]:
            connection.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    except BaseException:
        connection.close()
        raise
    return connection


def mail_folder() -> Path:
    """Where mails land when no SMTP server is configured (development)."""
    return _configured().instance_path / "mail"


def _folder_transport(folder: Path):
    def send(mail, message):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{mail.id}-{_slug(mail.subject)}.eml"
        partial = path.with_suffix(".part")  # the development page never sees half a file
        partial.write_bytes(bytes(message))
        partial.replace(path)

    return send


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60] or "mail"


# --- after the request ------------------------------------------------------


def deliver_due() -> int:
    """Rounds of deliver_pending() until one delivers nothing (all done, or the server is down).

    The background tasks of wir.tasks call it after a request that queued mail and every minute.
    """
    total = 0
    while (delivered := deliver_pending()) > 0:
        total += delivered
    return total


def collect_in_request() -> None:
    """From now on (a request starts) remember which mails are queued, for committed_in_request()."""
    _queued_in_request.set([])


def committed_in_request() -> bool:
    """Whether this request queued mail that is now in the outbox (its transaction committed, not rolled
    back); call it once the views' transactions have ended. Forgets the request's mails."""
    queued = _queued_in_request.get()
    _queued_in_request.set(None)
    return bool(queued) and OutboxMail.select().where(OutboxMail.id.in_(queued)).exists()


def announce_dev_mailbox(app) -> None:
    """Tell at start where mails go when no SMTP server is configured."""
    if app.config["SMTP_HOST"]:
        return
    if app.config["DEVELOPMENT"]:
        url = external_url("devmail.index")
        print(f"Mails werden nicht versendet, sondern gespeichert: {url}", file=sys.stderr, flush=True)
    elif not app.testing:
        app.logger.warning("WIR_SMTP_HOST fehlt: Mails werden nicht versendet, nur in instance/mail/ abgelegt.")


# --- command line ------------------------------------------------------------

mail_cli = AppGroup("mail", help="Mails aus dem Postausgang zustellen.")


@mail_cli.command("deliver")
def deliver_command():
    """Deliver every mail that is due now and print how many (the worker does it by itself)."""
    with db.database.connection_context():
        click.echo(f"Zugestellte Mails: {deliver_due()}")
