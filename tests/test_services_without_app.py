"""Services run inside a bare database connection: no app context, no request (the CLI, background tasks and the
coming ERP export, Vertretung and Verbrauch call them like that). Mail and audit are configured at create_app."""

from pathlib import Path

import pytest
from flask import has_app_context, has_request_context

from tests.helpers import pdf_text
from wir import db, storage
from wir.models import (
    AuditLog,
    Cooperative,
    ErpImport,
    JobStatus,
    OutboxMail,
    Person,
    RegistrationCode,
    RegistrationLetterBatch,
    Ticket,
    TicketStatus,
    TicketStatusChange,
    User,
)
from wir.services import erp_import
from wir.services.registration import registration_letters
from wir.services.tickets import tickets

EXAMPLE = Path(__file__).parent / "data" / "import"


@pytest.fixture
def bare(app):
    """A database connection of the app's database and nothing of Flask around it."""
    assert not has_app_context() and not has_request_context()
    with db.database.connection_context():
        yield
    assert not has_app_context()


def _clerk_of(slug: str) -> User:
    return User.get((User.role == User.ROLE_STAFF) & (User.cooperative == Cooperative.get(slug=slug)))


def test_a_ticket_transition_is_recorded_mailed_and_audited_without_an_app(bare):
    ticket = Ticket.select().where(Ticket.status == TicketStatus.RECEIVED).join(Person).where(
        Person.user.is_null(False)).first()
    clerk = _clerk_of(Cooperative.get_by_id(ticket.cooperative_id).slug)
    mails_before = OutboxMail.select().count()

    changed = tickets.set_status(ticket, TicketStatus.QUERY, changed_by=clerk, message="Seit wann tropft es?")

    assert changed.status == TicketStatus.QUERY and changed.version == ticket.version + 1
    last = TicketStatusChange.select().where(TicketStatusChange.ticket == ticket).order_by(
        TicketStatusChange.id.desc()).first()
    assert (last.old_status, last.new_status, last.changed_by_id) == (TicketStatus.RECEIVED, TicketStatus.QUERY,
                                                                     clerk.id)
    mail = OutboxMail.select().order_by(OutboxMail.id.desc()).first()
    assert OutboxMail.select().count() == mails_before + 1
    assert "Seit wann tropft es?" in mail.body_text
    # the link is built from BASE_URL and the app's URL map, without a request
    assert f"http://localhost/meldungen/{ticket.number}" in mail.body_text
    entry = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (entry.action, entry.user_id, entry.ip) == ("ticket.status", clerk.id, "")
    assert ticket.number in entry.detail


def test_a_letters_batch_is_made_without_an_app(bare):
    clerk = _clerk_of("lipsia")
    persons = list(registration_letters.persons_without_account(clerk).limit(2))
    batch = registration_letters.create_batch(clerk, [p.id for p in persons], [])

    registration_letters.build_batch(batch.id, "http://localhost/registrieren/", "http://localhost")

    made = RegistrationLetterBatch.get_by_id(batch.id)
    assert made.status == JobStatus.DONE and made.done == len(persons) == 2
    text = pdf_text(storage.load(made.storage_key))
    assert all(person.last_name in text for person in persons)
    codes = RegistrationCode.select().where(RegistrationCode.person.in_([p.id for p in persons])
                                            & RegistrationCode.used_at.is_null()
                                            & (RegistrationCode.created_at >= batch.created_at))
    assert {code.person_id for code in codes} == {p.id for p in persons}
    assert all(code.code in text for code in codes)


def test_an_import_runs_without_an_app(bare):
    lipsia = Cooperative.get(slug="lipsia")
    record, report = erp_import.import_files(sorted(EXAMPLE.glob("*.csv")), lipsia, dry_run=True)
    assert report.ok, report.to_dict()
    assert ErpImport.get_by_id(record.id).status == JobStatus.DONE
