"""Protokoll: the audit log for admins, filtered by who acted, the person it concerns, the action and a period,
newest first a page at a time (cut at a position: constant queries however long the log grows), and as CSV for
German Excel.

The log holds what ``wir.audit.record`` wrote: never passwords, tokens or full IBANs, so nothing here needs
to hide anything.
"""

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from peewee import JOIN, Value

from wir import audit, clock, db, pagination
from wir.db import search
from wir.formatting import german_datetime
from wir.models import (
    AuditLog,
    BankAccount,
    ContractParty,
    Cooperative,
    Document,
    ExemptionOrder,
    Person,
    PhoneNumber,
    Ticket,
    User,
)
from wir.services.text import defused

PAGE_SIZE = 50
KEYS = (AuditLog.at, AuditLog.id)  # newest first; the id breaks ties
TEXT_MAX = 100

# every action as the log's readers call them: the page, the filter and the CSV show these words, never the key
# (tests/test_audit_log.py finds every key recorded in wir/ and checks it has its label here)
ACTION_LABELS = {
    "admin.created": "Admin angelegt",
    "reply_template.changed": "Textbaustein geändert",
    "reply_template.created": "Textbaustein geschrieben",
    "reply_template.deleted": "Textbaustein gelöscht",
    "absence.created": "Abwesenheit eingetragen",
    "absence.deleted": "Abwesenheit gelöscht",
    "absence.ended": "Abwesenheit beendet",
    "contractor.activated": "Handwerker wieder aktiviert",
    "contractor.changed": "Handwerker geändert",
    "contractor.created": "Handwerker angelegt",
    "contractor.deactivated": "Handwerker deaktiviert",
    "application.approved": "Antrag zugestimmt",
    "application.refused": "Antrag abgelehnt",
    "audit_log.exported": "Protokoll exportiert",
    "bank_account.confirmed": "Bankverbindung bestätigt",
    "bank_account.rejected": "Bankverbindung abgelehnt",
    "bank_account.requested": "Bankverbindung beantragt",
    "bank_account.viewed": "Bankverbindung angesehen",
    "consumption.by_post": "Verbrauchsinformation per Post gewählt oder abbestellt",
    "consumption.view": "Verbrauch eines Mietvertrags angesehen",
    "consumption_letters.downloaded": "Verbrauchsinformation per Post heruntergeladen",
    "consumption_letters.ordered": "Verbrauchsinformation per Post in Auftrag gegeben",
    "consumption_letters.printed": "Verbrauchsinformation per Post erstellt (als gedruckt vermerkt)",
    "data.exported": "Eigene Daten heruntergeladen",
    "document.uploaded": "Dokument hochgeladen",
    "document.view": "Dokument angesehen",
    "documents.batch_discarded": "Sammel-Upload verworfen",
    "documents.batch_published": "Sammel-Upload veröffentlicht",
    "documents.batch_uploaded": "Sammel-Upload hochgeladen",
    "email.change_requested": "E-Mail-Änderung beantragt",
    "email.changed": "E-Mail-Adresse geändert",
    "erp_export.acknowledged": "Exportlauf als vom ERP übernommen markiert",
    "erp_export.created": "Exportlauf erstellt",
    "erp_export.downloaded": "Exportlauf heruntergeladen",
    "erp_import.done": "ERP-Import übernommen",
    "erp_token.created": "ERP-Token erstellt",
    "erp_token.revoked": "ERP-Token widerrufen",
    "erp_token.used": "ERP-Token benutzt",
    "exemption_order.placed": "Freistellungsauftrag erteilt",
    "exemption_order.revoked": "Freistellungsauftrag widerrufen",
    "login.failed": "Anmeldung fehlgeschlagen",
    "login.locked": "Anmeldung gesperrt",
    "login.password_accepted": "Passwort angenommen (zweiter Faktor folgt)",
    "login.succeeded": "Angemeldet",
    "house_contact.chosen": "Ansprechpartner eines Hauses gewählt",
    "news.changed": "Neuigkeit geändert",
    "news.created": "Neuigkeit geschrieben",
    "news.deleted": "Neuigkeit gelöscht",
    "news.mailed": "Neuigkeit per E-Mail an Mieterinnen und Mieter verschickt",
    "password.changed": "Passwort geändert",
    "password.reset": "Passwort zurückgesetzt",
    "password.reset_requested": "Passwort-Zurücksetzen angefordert",
    "person.account_blocked": "Benutzerkonto gesperrt",
    "person.account_unblocked": "Benutzerkonto freigegeben",
    "person.confirmation_resent": "Bestätigungs-E-Mail erneut gesendet",
    "person.sign_in_unlocked": "Anmeldesperre aufgehoben",
    "person.view": "Person angesehen",
    "phone.added": "Telefonnummer hinzugefügt",
    "phone.changed": "Telefonnummer geändert",
    "phone.removed": "Telefonnummer entfernt",
    "registration_letters.created": "Registrierungsbriefe erstellt",
    "registration_letters.downloaded": "Registrierungsbriefe heruntergeladen",
    "registration_letters.ordered": "Registrierungsbriefe in Auftrag gegeben",
    "registration_request.assigned": "Anfrage nach Registrierungsnummer zugeordnet",
    "rent_clearance.issued": "Mietschuldenfreiheitsbescheinigung ausgestellt",
    "rent_clearance.refused": "Mietschuldenfreiheitsbescheinigung abgelehnt",
    "representation.document.view": "Vollmacht einer Vertretung angesehen",
    "representation.invited": "Vertretung: Person eingeladen",
    "representation.entered": "Vertretung nach Vollmacht eingetragen",
    "representation.accepted": "Vertretung: Einladung angenommen",
    "representation.changed": "Vertretung geändert",
    "representation.ended": "Vertretung beendet",
    "representation.acting": "Vertretung: handelt für die Person",
    "representation.acted": "Vertretung: für die Person gesendet",
    "account.created_for_representation": "Zugang für eine Vertretung angelegt",
    "second_factor.enrolled": "Zweiter Faktor eingerichtet",
    "second_factor.reset": "Zweiter Faktor zurückgesetzt",
    "staff_account.created": "Mitarbeiterzugang angelegt",
    "staff_account.setup_link_sent": "Link zum Einrichten eines Mitarbeiterzugangs erneut gesendet",
    "staff_account.set_up": "Mitarbeiterzugang eingerichtet (Passwort festgelegt)",
    "staff_account.changed": "Rolle eines Mitarbeiterzugangs geändert",
    "staff_account.deactivated": "Mitarbeiterzugang deaktiviert",
    "staff_account.reactivated": "Mitarbeiterzugang reaktiviert",
    "ticket.answer": "Meldung beantwortet",
    "ticket.assign": "Meldung zugewiesen",
    "ticket.attachment.view": "Anhang einer Meldung angesehen",
    "ticket.create": "Meldung erstellt",
    "ticket.note": "Interne Notiz zu einer Meldung",
    "ticket.query": "Rückfrage zu einer Meldung gestellt",
    "ticket.status": "Status einer Meldung geändert",
    "ticket.view": "Meldung angesehen",
    "work_order.appointment": "Termin der Firma zu einem Auftrag",
    "work_order.done": "Auftrag von der Firma als erledigt gemeldet",
    "work_order.mailed": "Auftrag an die Firma verschickt",
    "work_order.pdf.view": "Auftrag (PDF) angesehen",
    "work_order.placed": "Auftrag erteilt",
}
OBJECT_LABELS = {
    "ReplyTemplate": "Textbaustein",
    "BankAccount": "Bankverbindung",
    "Document": "Dokument",
    "DocumentBatch": "Sammel-Upload",
    "ErpExportRun": "Exportlauf-Datensatz",  # its id; the Angaben name the run's number
    "ErpToken": "ERP-Token",
    "ExemptionOrder": "Freistellungsauftrag",
    "NewsItem": "Neuigkeit",
    "Person": "Person",
    "PhoneNumber": "Telefonnummer",
    "RegistrationLetterBatch": "Registrierungsbriefe",
    "RegistrationNumberRequest": "Anfrage nach Registrierungsnummer",
    "Representation": "Vertretung",
    "Ticket": "Meldung",
    "TicketAttachment": "Anhang",
    "User": "Benutzerkonto",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def object_label(object_type: str) -> str:
    return OBJECT_LABELS.get(object_type, object_type)


# the days a period may name: the log holds nothing older, a later year is a typo, and a day at the calendar's
# ends has no start in UTC to compare with
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Selection:
    """What the admin asked for; the view's filter form has checked the values."""

    actor: str = ""  # the start of the acting user's e-mail address or name
    person: str = ""  # a member number: entries about that person (in either cooperative)
    action: str = ""  # one action, by its name
    start: date | None = None  # from this day (local time) on
    end: date | None = None  # up to and including this day


def _utc(day: date) -> datetime:
    """The start of ``day`` in the cooperatives' time zone, as the log stores times (naive UTC)."""
    return datetime.combine(day, time.min, tzinfo=clock.LOCAL_ZONE).astimezone(timezone.utc).replace(tzinfo=None)


def _objects(model, condition):
    """Entries whose object is a ``model`` row meeting ``condition`` (object ids are stored as text)."""
    ids = model.select(model.id.cast("TEXT")).where(condition)
    return (AuditLog.object_type == model.__name__) & AuditLog.object_id.in_(ids)


def _about_person(number: str):
    """Entries about the persons with this member number: the person, their account (its own actions too), their
    Meldungen, documents, Freistellungsaufträge, phone numbers and the bank accounts of their contracts."""
    persons = Person.select(Person.id).where(Person.number == number)
    users = Person.select(Person.user).where((Person.number == number) & Person.user.is_null(False))
    contracts = ContractParty.select(ContractParty.contract).where(ContractParty.person.in_(persons))
    return (
        _objects(Person, Person.number == number)
        | AuditLog.user.in_(users)
        | _objects(User, User.id.in_(users))
        | _objects(Ticket, Ticket.person.in_(persons))
        | _objects(Document, Document.person.in_(persons))
        | _objects(ExemptionOrder, ExemptionOrder.person.in_(persons))
        | _objects(PhoneNumber, PhoneNumber.user.in_(users))
        | _objects(BankAccount, BankAccount.contract.in_(contracts))
    )


def entries(selection: Selection):
    """The selected entries with the acting user and the cooperative (left out: ordered by ``slice_at``)."""
    query = (
        AuditLog.select(AuditLog, User, Cooperative)
        .join(User, JOIN.LEFT_OUTER, on=(AuditLog.user == User.id))
        .switch(AuditLog).join(Cooperative, JOIN.LEFT_OUTER, on=(AuditLog.cooperative == Cooperative.id))
    )
    if selection.actor:
        typed = search.fold(selection.actor)
        query = query.where(
            search.folded(User.email).startswith(typed)
            | Value(" ").concat(search.folded(User.staff_name)).contains(" " + typed)  # any word of the name
        )
    if selection.person:
        query = query.where(_about_person(selection.person))
    if selection.action:
        query = query.where(AuditLog.action == selection.action)
    if selection.start:
        query = query.where(AuditLog.at >= _utc(selection.start))
    if selection.end:
        query = query.where(AuditLog.at < _utc(selection.end + timedelta(days=1)))
    return query


def page_of(selection: Selection, after=None, before=None) -> pagination.Slice:
    """PAGE_SIZE entries, newest first, from the position the request carries: at most two queries."""
    return pagination.slice_at(entries(selection), KEYS, PAGE_SIZE, after=after, before=before)


def actions() -> list[str]:
    """The actions the log holds, in the order of their labels (for the filter): one query."""
    return sorted((row[0] for row in AuditLog.select(AuditLog.action).distinct().tuples()), key=action_label)


# --- CSV ---

CSV_HEADER = ("Zeitpunkt", "Ausgeführt von", "Genossenschaft", "Aktion", "Aktion (Name)", "Objekt", "Objekt-Nr.",
              "Angaben", "IP-Adresse")
def actor_name(user: User | None) -> str:
    if user is None:
        return "System"
    return f"{user.staff_name} ({user.email})" if user.staff_name else user.email


def csv_lines(selection: Selection, rows_per_chunk: int = 1000) -> Iterator[str]:
    """The selected entries, newest first, as CSV that German Excel opens as it is: a byte order mark, semicolons,
    times as 31.12.2025, 14:05 Uhr. Yields a chunk of lines at a time, reading the rows as it goes."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_HEADER)
    rows = entries(selection).order_by(*[key.desc() for key in KEYS]).iterator()
    for count, entry in enumerate(rows, 1):
        user = entry.user if entry.user_id else None
        cooperative = entry.cooperative.name if entry.cooperative_id else ""
        writer.writerow([defused(value) for value in (
            german_datetime(entry.at), actor_name(user), cooperative, action_label(entry.action), entry.action,
            object_label(entry.object_type), entry.object_id, entry.detail, entry.ip)])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_filename(today: date | None = None) -> str:
    return f"protokoll-{(today or clock.today()).isoformat()}.csv"


def export(admin: User, selection: Selection) -> Iterator[str]:
    """The CSV of the selection, audited once its first chunk is read: an export whose query fails leaves no
    entry (and this export's own entry is not in its file)."""
    lines = csv_lines(selection)
    first = next(lines)
    _record_export(admin, selection)
    return itertools.chain([first], lines)


def _record_export(admin: User, selection: Selection) -> None:
    """Who exported which part of the log (the export shows personal data too)."""
    chosen = [f"{name}={value}" for name, value in (
        ("wer", selection.actor), ("person", selection.person), ("aktion", selection.action),
        ("von", selection.start), ("bis", selection.end)) if value]
    with db.write_transaction():
        audit.record(admin, "audit_log.exported", detail=", ".join(chosen) or "alles")
