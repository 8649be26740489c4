"""Meine Daten herunterladen (DSGVO Art. 15 and 20): everything the portal holds about the user.

collect() gathers it as plain data (German keys: the file is for the person);
archive() packs it with a readable summary into one ZIP. Of other people nothing
is included: no co-tenants, no partner of a joint Freistellungsauftrag, no staff
names. Full IBANs appear only here, and only of accounts the user filed or holds;
a co-tenant's account of a shared contract is masked as on the pages.
"""

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

from wir import audit, clock, db, formatting
from wir.models import (
    AuditLog,
    BankAccount,
    Consumption,
    Contract,
    ContractParty,
    Cooperative,
    Document,
    ExemptionOrder,
    Meter,
    MeterReading,
    Person,
    Representation,
    RepresentationEvent,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatusChange,
    TicketType,
    User,
)
from wir.services import scope
from wir.services.account import accounts, phones
from wir.services.consumption import info
from wir.services.contracts import bank_accounts, contracts
from wir.services.representation import representations

JSON_NAME = "meine-daten.json"
SUMMARY_NAME = "meine-daten.html"


def _group(rows, key) -> dict:
    grouped = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


def _user(user: User) -> dict:
    return {
        "e_mail_adresse": user.email,
        "registriert_am": user.created_at,
        "bestaetigt_am": user.confirmed_at,
        "letzte_anmeldung": user.last_login_at,
        "kontaktdaten_geprueft_am": user.contact_reviewed_at,
    }


def _person(person) -> dict:
    return {
        "genossenschaft": person.cooperative.name,
        "mitgliedsnummer": person.number,
        "anrede": person.salutation,
        "vorname": person.first_name,
        "nachname": person.last_name,
        "geburtsdatum": person.birth_date,
        "anschrift": {"strasse": person.street, "postleitzahl": person.postcode, "ort": person.city},
        "verbrauchsinformation_per_post": person.consumption_by_post,
    }


def _bank_account(account: BankAccount, user: User, own_parties: list[ContractParty], siblings: list) -> dict:
    # the user's own: filed by them, or held by one of their persons; another person's IBAN stays masked
    in_full = account.created_by_id == user.id or bank_accounts.holder_is_party(account.holder, own_parties)
    return {
        "kontoinhaber": account.holder,
        "iban": account.iban if in_full else formatting.masked_iban(account.iban),
        "iban_vollstaendig": in_full,
        "bic": account.bic,
        "bank": account.bank_name,
        "mandatsreferenz": account.mandate_reference,
        "gueltig_ab": account.valid_from,
        "status": bank_accounts.status_label(account, siblings),  # by date: "gültig bis …", "gültig ab …"
        "zustimmung_am": account.consent_at,
        "mandatstext_version": account.consent_text_version,
        "eingereicht_am": account.created_at,
        "entschieden_am": account.decided_at,
        "begruendung": account.decision_note,
    }


def _contract(details: contracts.ContractDetails, user: User, own_person_ids: set[int], accounts_of: dict) -> dict:
    contract, unit = details.contract, details.contract.unit
    own_parties = [p for p in details.parties if p.person_id in own_person_ids]
    return {
        "genossenschaft": details.cooperative.name,
        "art": details.kind_label,
        "vertragsnummer": contract.number,
        "beginn": contract.start_date,
        "ende": contract.end_date,
        # only the user's own part: co-tenants are other people
        "ihre_rolle": [p.role_label for p in own_parties],
        "objekt": None if unit is None else {
            "nummer": unit.number, "strasse": unit.street, "postleitzahl": unit.postcode, "ort": unit.city,
            "geschoss": unit.floor, "lage": unit.position, "zimmer": unit.rooms, "wohnflaeche_m2": unit.living_area,
        },
        "grundmiete": contract.base_rent,
        "betriebskostenvorauszahlung": contract.operating_costs,
        "heizkostenvorauszahlung": contract.heating_costs,
        "personen_im_haushalt": contract.household_size,
        "pflichtanteile": contract.mandatory_shares,
        "freiwillige_anteile": contract.voluntary_shares,
        "betrag_je_anteil": contract.share_amount,
        "eingezahltes_geschaeftsguthaben": contract.paid_in,
        "bankverbindungen": [_bank_account(a, user, own_parties, accounts_of.get(contract.id, []))
                             for a in accounts_of.get(contract.id, [])],
    }


def _consumption(own_contracts: list[contracts.ContractDetails]) -> list[dict]:
    """The monthly values of the user's flats, only the months of their tenancy (as the Verbrauch page shows)."""
    rentals = {d.contract.unit_id: d.contract for d in own_contracts if d.contract.kind == "rental" and d.contract.unit_id}
    if not rentals:
        return []
    rows = (Consumption.select(Consumption, Meter).join(Meter).where(Meter.unit.in_(list(rentals)))
            .order_by(Meter.unit, Meter.kind, Meter.number, Consumption.month))
    values = []
    for row in rows:
        contract = rentals[row.meter.unit_id]
        start, end = info.tenancy(contract)
        if start <= row.month and (end is None or row.month <= end):
            values.append({
                "vertrag": contract.number, "zaehlernummer": row.meter.number, "art": Meter.KINDS[row.meter.kind],
                "monat": row.month, "verbrauch": row.amount, "masseinheit": row.measure, "kwh": row.kwh,
                "zaehlerstand": row.reading, "korrigiert_am": row.corrected_at,
            })
    return values


def _readings(person_ids: list[int]) -> list[dict]:
    rows = (MeterReading.select(MeterReading, Meter).join(Meter).where(MeterReading.person.in_(person_ids))
            .order_by(MeterReading.created_at, MeterReading.id))
    return [
        {"zaehlernummer": r.meter.number, "art": Meter.KINDS[r.meter.kind], "zaehlerstand": r.value,
         "masseinheit": r.meter.measure, "abgelesen_am": r.read_on, "gemeldet_am": r.created_at,
         "wert_bestaetigt": r.confirmed_unusual}
        for r in rows
    ]


def _tickets(person_ids: list[int]) -> list[dict]:
    tickets = list(
        Ticket.select(Ticket, TicketCategory, TicketType)
        .join(TicketCategory).join(TicketType)
        .where(Ticket.person.in_(person_ids))
        .order_by(Ticket.created_at)
    )
    ids = [t.id for t in tickets]
    # the staff's internal notes stay among staff: never in the export (as never on the pages or in mails)
    messages = _group(TicketMessage.select().where(TicketMessage.ticket.in_(ids) & ~TicketMessage.internal)
                      .order_by(TicketMessage.created_at),
                      lambda m: m.ticket_id)
    changes = _group(TicketStatusChange.select().where(TicketStatusChange.ticket.in_(ids))
                     .order_by(TicketStatusChange.changed_at), lambda c: c.ticket_id)
    files = _group(TicketAttachment.select().where(TicketAttachment.ticket.in_(ids)), lambda a: a.ticket_id)
    contract_numbers = dict(
        Contract.select(Contract.id, Contract.number)
        .where(Contract.id.in_([t.contract_id for t in tickets if t.contract_id]))
        .tuples()
    )
    return [
        {
            "nummer": t.number,
            "datum": t.created_at,
            "betreff": t.subject,
            "meldungsart": t.category.ticket_type.name,
            "meldungskategorie": t.category.name,
            "vertrag": contract_numbers.get(t.contract_id),
            "telefon": t.phone,
            "ort": t.location,
            # the consent of the Kontakt form: a commissioned firm may have the phone number, the photos
            "telefon_an_handwerker": t.phone_for_contractor,
            "fotos_an_handwerker": t.photos_for_contractor,
            "status": Ticket.STATUSES.get(t.status, t.status),
            "nachrichten": [
                {"am": m.created_at, "von": "Genossenschaft" if m.from_staff else "Sie", "text": m.body}
                for m in messages.get(t.id, [])
            ],
            "statusverlauf": [
                {"am": c.changed_at, "status": Ticket.STATUSES.get(c.new_status, c.new_status), "grund": c.reason}
                for c in changes.get(t.id, [])
            ],
            "anhaenge": [{"dateiname": a.filename, "groesse_bytes": a.size} for a in files.get(t.id, [])],
        }
        for t in tickets
    ]


def _savings(person_ids: list[int]) -> list[dict]:
    savings = list(SavingsAccount.select().where(SavingsAccount.person.in_(person_ids)).order_by(SavingsAccount.number))
    bookings = _group(
        SavingsTransaction.select()
        .where(SavingsTransaction.account.in_([s.id for s in savings]))
        .order_by(SavingsTransaction.booking_date, SavingsTransaction.id),
        lambda b: b.account_id,
    )
    return [
        {
            "nummer": s.number, "produkt": s.product, "zinssatz_prozent": s.interest_rate,
            "kuendigungsfrist_monate": s.notice_months, "eroeffnet_am": s.opened_on, "saldo": s.balance,
            "umsaetze": [
                {"buchungstag": b.booking_date, "wertstellung": b.value_date, "art": b.kind, "betrag": b.amount,
                 "saldo_danach": b.balance_after}
                for b in bookings.get(s.id, [])
            ],
        }
        for s in savings
    ]


def collect(user: User) -> dict:
    """The user's data as plain values (dates, Decimals); a constant number of queries."""
    persons = scope.persons_of(user)
    person_ids = scope.person_ids(persons)
    own_contracts = contracts.all_details(persons)
    # all accounts of the user's contracts, the replaced ones too (all_details leaves those out)
    accounts_of = _group(
        BankAccount.select().where(BankAccount.contract.in_([d.id for d in own_contracts]))
        .order_by(BankAccount.created_at, BankAccount.id),
        lambda a: a.contract_id,
    )
    documents = Document.select().where(Document.person.in_(person_ids)).order_by(Document.created_at)
    orders = ExemptionOrder.select().where(ExemptionOrder.person.in_(person_ids)).order_by(ExemptionOrder.created_at)
    trail = AuditLog.select().where(AuditLog.user == user).order_by(AuditLog.at)
    return {
        "erstellt_am": clock.now(),
        "zugang": _user(user),
        "personen": [_person(p) for p in persons],
        "telefonnummern": [
            {"art": phones.KINDS.get(p.kind, p.kind), "nummer": p.number, "anzeige": formatting.phone(p.number)}
            for p in scope.phones_of(user)
        ],
        "vertraege": [_contract(d, user, set(person_ids), accounts_of) for d in own_contracts],
        "meldungen": _tickets(person_ids),
        "verbrauch": _consumption(own_contracts),
        "zaehlerstaende": _readings(person_ids),
        "dokumente": [
            {"nummer": d.number, "titel": d.title, "art": Document.KINDS.get(d.kind, d.kind), "dateiname": d.filename,
             "erstellt_am": d.created_at, "gelesen_am": d.read_at}
            for d in documents
        ],
        "sparvertraege": _savings(person_ids),
        "freistellungsauftraege": [
            # a joint order names the partner; that is the partner's data and stays out
            {"gemeinsam": o.joint, "betrag": o.amount, "gueltig_ab": o.valid_from, "gueltig_bis": o.valid_until,
             "steuer_id": o.tax_id, "erteilt_am": o.created_at, "ersetzt_am": o.superseded_at,
             "widerrufen_am": o.revoked_at}
            for o in orders
        ],
        "protokoll": [{"am": e.at, "aktion": e.action, "details": e.detail, "ip_adresse": e.ip} for e in trail],
        **_representations(user, persons),
    }


def _representations(user: User, persons) -> dict:
    """Who may act or acted for the user's persons, with what they did; and for whom the user acts."""
    granted = representations.of_persons(persons)
    events = _group(RepresentationEvent.select().where(RepresentationEvent.representation.in_([r.id for r in granted]))
                    .order_by(RepresentationEvent.at, RepresentationEvent.id), lambda e: e.representation_id)
    held = (Representation.select(Representation, Person, Cooperative).join(Person).join(Cooperative)
            .where(Representation.representative == user).order_by(Representation.created_at))
    return {
        "vertretungen": [
            {"name": r.name, "e_mail_adresse": r.email, "genossenschaft": r.person.cooperative.name,
             "bereiche": representations.scope_words(r.scopes), "gueltig_bis": r.valid_until,
             "grundlage": "Vollmacht" if r.source == Representation.SOURCE_DOCUMENT else "Einladung",
             "eingeladen_am": r.created_at, "angenommen_am": r.accepted_at, "beendet_am": r.ended_at,
             "ereignisse": [{"am": e.at, "was": representations.EVENT_WORDS.get(e.kind, e.kind), "details": e.detail}
                            for e in events.get(r.id, [])]}
            for r in granted
        ],
        "sie_handeln_fuer": [
            {"name": r.person.full_name, "genossenschaft": r.person.cooperative.name,
             "bereiche": representations.scope_words(r.scopes), "gueltig_bis": r.valid_until,
             "angenommen_am": r.accepted_at, "beendet_am": r.ended_at}
            for r in held
        ],
    }


def prepare(user: User, password: str) -> dict:
    """After the password is confirmed (the file holds full IBANs): the data, the download audited."""
    accounts.confirm_password(user, password)
    with db.write_transaction():
        audit.record(user, "data.exported")
    return collect(user)


def _plain(value):
    if isinstance(value, datetime):  # stored in UTC; the file says Leipzig time with its offset
        return clock.to_local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not exportable: {type(value).__name__}")


def as_json(data: dict) -> str:
    return json.dumps(data, default=_plain, ensure_ascii=False, indent=2)


def archive(data: dict, summary_html: str) -> bytes:
    """One ZIP: the data as JSON (machine-readable, Art. 20) and the summary as HTML (readable, Art. 15)."""
    buffer = io.BytesIO()
    stamp = clock.to_local(data["erstellt_am"]).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        for name, text in ((JSON_NAME, as_json(data)), (SUMMARY_NAME, summary_html)):
            archive_file.writestr(zipfile.ZipInfo(name, date_time=stamp), text.encode("utf-8"),
                                  compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def download_name() -> str:
    return f"meine-daten-{clock.today().isoformat()}.zip"
