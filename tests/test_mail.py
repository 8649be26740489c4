"""The outbox against a real SMTP server (aiosmtpd on a local port)."""

import html
import re
import threading
from datetime import timedelta

import pytest
from flask import url_for

from tests.helpers import deliver
from wir import clock, db, mail, tasks
from wir.models import Cooperative, OutboxMail

NAME = "Łukasz Żółć"


def queue(app, recipient="lukasz@example.org", subject=f"Bitte bestätigen Sie Ihre E-Mail-Adresse, {NAME}", **context):
    """Queue a registration_confirm mail in its own committed transaction."""
    with app.app_context(), db.write_transaction():
        link = mail.external_url("pages.imprint", token="abc")
        values = {"name": NAME, "code": "123456", "valid_hours": 24, "cooperative": None, "confirm_url": link} | context
        return mail.queue_mail(recipient, subject, "registration_confirm", **values)


def stored_mails(app):
    with app.app_context():
        return list(mail.mail_folder().glob("*.eml"))


def move_clock(monkeypatch, seconds: float):
    moment = clock.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_mail_arrives_once_with_utf8_headers_both_parts_and_base_url_links(app, smtp):
    app.config["BASE_URL"] = "https://portal.example.org/wir/"
    with app.test_request_context("/", base_url="http://evil.example"):
        assert url_for("pages.imprint", _external=True).startswith("http://evil.example/")
        cooperative = Cooperative.get(Cooperative.slug == "lipsia")
        queued = queue(app, cooperative=cooperative, confirm_url=mail.external_url("pages.imprint", token="abc"))

    assert deliver(app) == 1
    assert deliver(app) == 0

    assert len(smtp.messages) == 1 and smtp.recipients == [["lukasz@example.org"]]
    message = smtp.messages[0]
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["To"] == "lukasz@example.org"
    assert message["Subject"] == f"Bitte bestätigen Sie Ihre E-Mail-Adresse, {NAME}"
    assert message["Date"] and message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    body_html = message.get_body(("html",)).get_content()
    link = "https://portal.example.org/wir/impressum?token=abc"
    assert f"Guten Tag {NAME}," in text and link in text and "123456" in text and "24 Stunden" in text
    assert "WG „Lipsia“ eG" in text and "0341 41519-0" in text and "Brünnler Straße 12" in text
    assert f'href="{link}"' in body_html and NAME in body_html and "WG „Lipsia“ eG" in body_html
    assert "evil.example" not in text + body_html

    row = OutboxMail.get_by_id(queued.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


def test_html_part_escapes_everything_the_text_part_keeps_as_is(app):
    queued = queue(app, name='<b>Eva</b> & "Co"')
    assert '&lt;b&gt;Eva&lt;/b&gt; &amp; &#34;Co&#34;' in queued.body_html
    assert '<b>Eva</b> & "Co"' not in queued.body_html
    assert 'Guten Tag <b>Eva</b> & "Co",' in queued.body_text
    assert "Ihr WIR-immerda-Team" in queued.body_text and app.config["PORTAL_PHONE"] in queued.body_text


def test_external_url_works_outside_a_request(app):
    with app.app_context():
        assert mail.external_url("pages.imprint") == "http://localhost/impressum"


def test_smtp_down_retries_with_backoff_and_delivers_exactly_once(app, smtp_down, monkeypatch):
    queued = queue(app)
    started = clock.now()

    assert deliver(app) == 0
    row = OutboxMail.get_by_id(queued.id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at >= started + timedelta(seconds=30)
    assert "Connection" in row.last_error

    move_clock(monkeypatch, 10)
    assert deliver(app) == 0  # not due yet: no second attempt
    assert OutboxMail.get_by_id(queued.id).attempts == 1

    move_clock(monkeypatch, 31)
    assert deliver(app) == 0  # still down: the wait doubles
    row = OutboxMail.get_by_id(queued.id)
    assert row.attempts == 2 and row.next_attempt_at >= clock.now() + timedelta(seconds=60)

    smtp_down.start()
    assert deliver(app) == 0  # up again, but the mail waits for its time
    move_clock(monkeypatch, 61)
    assert deliver(app) == 1
    assert deliver(app) == 0
    move_clock(monkeypatch, 3600)
    assert deliver(app) == 0

    assert len(smtp_down.messages) == 1
    row = OutboxMail.get_by_id(queued.id)
    assert (row.status, row.attempts) == ("sent", 3)


NOT_ONE_RECIPIENT = [
    "eins@example.org,zwei@example.org",
    "eins@example.org; zwei@example.org",
    "eins@example.org zwei@example.org",
    "eins@example.org\r\nBcc: zwei@example.org",
    "eins@example.org\nzwei@example.org",
    "Eins <eins@example.org>",
    "eins",
]


@pytest.mark.parametrize("recipient", NOT_ONE_RECIPIENT)
def test_queue_mail_refuses_anything_but_one_recipient(app, recipient):
    with pytest.raises(ValueError):
        queue(app, recipient=recipient)
    assert not OutboxMail.select().exists()


def test_a_stored_list_of_recipients_is_never_sent(app, smtp):
    """Defence in depth: an outbox row from before the checks goes to nobody; the mails after it go on."""
    listed = queue(app)
    OutboxMail.update(recipient=NOT_ONE_RECIPIENT[0]).where(OutboxMail.id == listed.id).execute()
    injected = queue(app)
    OutboxMail.update(recipient=NOT_ONE_RECIPIENT[3]).where(OutboxMail.id == injected.id).execute()
    queue(app, recipient="einzeln@example.org")

    assert deliver(app) == 1
    assert smtp.recipients == [["einzeln@example.org"]]
    for row_id in (listed.id, injected.id):
        row = OutboxMail.get_by_id(row_id)
        assert row.status == "pending" and "nicht genau eine E-Mail-Adresse" in row.last_error
        assert "zwei@" not in row.last_error


def test_the_envelope_names_only_the_recipient(app, smtp, monkeypatch):
    """smtplib takes To, Cc and Bcc of the message unless told the recipients: it is told."""
    built = mail._message

    def with_more_headers(row):
        message = built(row)
        message["Cc"] = "fremd@example.org"
        return message

    monkeypatch.setattr(mail, "_message", with_more_headers)
    queue(app)
    assert deliver(app) == 1
    assert smtp.recipients == [["lukasz@example.org"]]


def test_mail_of_a_crashed_worker_is_sent_after_its_lease_runs_out(app, smtp, monkeypatch):
    queued = queue(app)
    OutboxMail.update(status="sending", attempts=1, next_attempt_at=clock.now() + mail.LEASE).execute()

    assert deliver(app) == 0
    move_clock(monkeypatch, mail.LEASE.total_seconds() + 1)
    assert deliver(app) == 1
    assert len(smtp.messages) == 1
    assert OutboxMail.get_by_id(queued.id).status == "sent"


def test_racing_deliveries_send_each_mail_once(app, smtp):
    for number in range(20):
        queue(app, recipient=f"mieter{number}@example.org")
    start = threading.Barrier(2)
    delivered = []

    def worker():
        with app.app_context():
            try:
                start.wait()
                delivered.append(mail.deliver_pending())
            finally:
                db.database.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(delivered) == 20
    assert sorted(to for (to,) in smtp.recipients) == sorted(f"mieter{n}@example.org" for n in range(20))
    assert len({message["Message-ID"] for message in smtp.messages}) == 20


def test_mail_queued_in_a_rolled_back_transaction_is_never_sent(app, smtp):
    with app.app_context():
        with pytest.raises(RuntimeError), db.write_transaction():
            mail.queue_mail("weg@example.org", "Betreff", "password_changed", name="Eva", cooperative=None)
            raise RuntimeError("the cause failed")
    assert not OutboxMail.select().where(OutboxMail.recipient == "weg@example.org").exists()
    assert deliver(app) == 0 and smtp.messages == []


def test_without_smtp_mails_are_stored_and_listed_in_development(app, client):
    app.config["DEVELOPMENT"] = True
    queued = queue(app, subject="Bitte bestätigen Sie Ihre E-Mail-Adresse", code="<script>x</script>")

    assert deliver(app) == 1
    assert [path.name for path in stored_mails(app)] == [f"{queued.id}-bitte-bestatigen-sie-ihre-e-mail-adresse.eml"]
    assert OutboxMail.get_by_id(queued.id).status == "sent"

    listing = client.get("/dev/mails/").get_data(as_text=True)
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in listing and "lukasz@example.org" in listing
    detail_url = re.search(r'href="(/dev/mails/[^"]+\.eml)"', listing).group(1)
    detail = client.get(detail_url).get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in detail and "<script>x" not in detail

    link = html.unescape(re.search(r'<a href="(http://localhost/[^"]+)"', detail).group(1))
    assert link == "http://localhost/impressum?token=abc"
    assert client.get(link.removeprefix("http://localhost")).status_code == 200

    raw = client.get(f"{detail_url}/eml")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert client.get("/dev/mails/nicht-da.eml").status_code == 404


def test_development_pages_are_404_outside_development(app, client):
    queue(app)
    assert deliver(app) == 1
    name = next(mail_path.name for mail_path in stored_mails(app))
    for url in ("/dev/mails/", f"/dev/mails/{name}", f"/dev/mails/{name}/eml"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("remote_addr, status", [
    ("127.0.0.1", 200), ("::1", 200), ("::ffff:127.0.0.1", 200),
    ("192.168.1.20", 404), ("10.0.0.7", 404), ("2001:db8::1", 404), ("::ffff:192.0.2.1", 404),
])
def test_development_pages_answer_only_this_machine(app, client, remote_addr, status):
    """The mails hold confirmation and reset links: a phone in the same network gets nothing."""
    app.config["DEVELOPMENT"] = True
    queue(app)
    assert deliver(app) == 1
    name = next(mail_path.name for mail_path in stored_mails(app))
    for url in ("/dev/mails/", f"/dev/mails/{name}", f"/dev/mails/{name}/eml"):
        response = client.get(url, environ_base={"REMOTE_ADDR": remote_addr})
        assert response.status_code == status, url



def test_cli_deliver_prints_the_count(app, runner, smtp):
    queue(app)
    queue(app, recipient="zweite@example.org")
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Zugestellte Mails: 2" in result.output
    assert len(smtp.messages) == 2
    assert "Zugestellte Mails: 0" in runner.invoke(args=["mail", "deliver"]).output


def test_a_request_that_queued_mail_enqueues_its_delivery(app, client, auth, data, smtp):
    """The view (Passwort vergessen) enqueues nothing itself: the hook of wir.tasks does (tasks run at once here;
    tests/test_tasks.py runs them on a real consumer)."""
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True
    email = auth.logins["tenants"][0]["email"]
    assert client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": email}).status_code == 303
    assert [message["To"] for message in smtp.messages] == [email]
    assert OutboxMail.get(OutboxMail.recipient == email).status == "sent"


def test_a_request_that_queued_nothing_enqueues_no_delivery(app, client, auth, data, smtp, monkeypatch):
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True
    rounds = []
    monkeypatch.setattr(mail, "deliver_due", lambda: rounds.append(1) or 0)
    queue(app)  # waiting in the outbox, but not from these requests
    assert client.get("/impressum").status_code == 200
    unknown = {"csrf_token": auth.csrf_token(), "email": "niemand@example.org"}
    assert client.post("/passwort-vergessen", data=unknown).status_code == 303  # no account: no mail
    assert rounds == [] and smtp.messages == []


def test_without_background_delivery_a_request_leaves_its_mail_in_the_outbox(app, client, auth, data, smtp):
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = False
    email = auth.logins["tenants"][0]["email"]
    assert client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": email}).status_code == 303
    assert smtp.messages == []
    assert deliver(app) == 1


def test_a_request_whose_delivery_cannot_be_enqueued_still_succeeds(app, client, auth, data, smtp, monkeypatch,
                                                                      caplog):
    """The queue out of reach (Redis down): the change stands and the mail waits in the outbox for the sweep."""
    app.config["MAIL_DELIVER_IN_BACKGROUND"] = True

    def unreachable():
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "deliver_mail", unreachable)
    email = auth.logins["tenants"][0]["email"]
    assert client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": email}).status_code == 303
    assert "Mail-Zustellung konnte nicht eingereiht werden" in caplog.text
    assert OutboxMail.get(OutboxMail.recipient == email).status == "pending"


def test_development_start_names_the_mail_page(app, capsys):
    app.config["DEVELOPMENT"] = True
    mail.announce_dev_mailbox(app)
    assert "Mails werden nicht versendet, sondern gespeichert: http://localhost/dev/mails/" in capsys.readouterr().err
