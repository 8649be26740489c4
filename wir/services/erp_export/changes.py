"""Records what the ERP must take over, in the caller's transaction: the change and its export row exist together.

The import never records anything: what came from the ERP needs no way back (docs/export.md, round trip).
"""

import json

from wir import clock, formatting
from wir.models import (
    BankAccount,
    Contract,
    Cooperative,
    ErpChange,
    ExemptionOrder,
    Meter,
    MeterReading,
    Person,
    PhoneNumber,
    SavingsAccount,
    Ticket,
    Unit,
    User,
)
from wir.services import scope
from wir.services.erp_export.kinds import ACTIONS, KINDS


def actor_of(user: User | None) -> str:
    """Who made the change, as the ERP reads it: staff and the command line act for the cooperative."""
    if user is None or user.is_staff:
        return "cooperative"
    return "tenant"


def record(kind: str, action: str, *, cooperative: Cooperative | int, by: User | None, erp_key: str | None,
           label: str, row: dict[str, str]) -> ErpChange:
    """One change of ``kind`` (a key of KINDS); ``row`` holds the kind's columns as the file shows them.

    ``erp_key`` is the ERP's key of the person, contract or savings account (None: listed in the report
    by ``label`` instead); who acted follows from ``by`` (actor_of).
    """
    spec = KINDS[kind]
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    actor = actor_of(by)
    if set(row) != set(spec.columns):
        raise ValueError(f"{kind}: columns {sorted(set(row) ^ set(spec.columns))} wrong")
    # at: by wir.clock, which tests move (the model's default is the function clock.now was at import)
    return ErpChange.create(cooperative=cooperative, kind=kind, action=action, actor=actor, at=clock.now(),
                            erp_key=erp_key or None, label=label, data=json.dumps(row, ensure_ascii=False))


# --- one builder per source: the row of its kind as the change left it ---
# Every builder runs inside the transaction of the change it records (its caller's) and only writes ErpChange rows.

YES, NO = "ja", "nein"


def _date(value) -> str:
    """31.12.2026; an empty cell where there is no date (the pages' "–" is no value for the ERP)."""
    return formatting.german_date(value) if value else ""


def _amount(value) -> str:
    """1.234,56 (no €, the ERP's own number format; docs/export.md); empty where there is none."""
    return "" if value is None else formatting.number(value, 2)


def _yes(flag: bool) -> str:
    return YES if flag else NO


def person_label(person: Person) -> str:
    """How the report names a person without an ERP key: „Person 10001 Erika Muster“."""
    return f"Person {person.number} {person.full_name}"


def _persons_of(user: User) -> list[Person]:
    """Every person of the user: one per cooperative (a member of both records one change at each)."""
    return list(Person.select().where(Person.user == user).order_by(Person.cooperative, Person.id))


def contact_data(user: User, by: User | None, action: str = "changed") -> list[ErpChange]:
    """The user's contact data as it is now (all phone numbers in their order, the login address), one change per
    person of the user. Called after phone numbers or the e-mail address changed, in that transaction."""
    phones = scope.phones_of(user)[:3]
    email = User.select(User.email).where(User.id == user.id).scalar()
    row = {}
    for n in (1, 2, 3):
        phone = phones[n - 1] if n <= len(phones) else None
        row[f"Telefon {n} Typ"] = PhoneNumber.KINDS.get(phone.kind, phone.kind) if phone else ""
        row[f"Telefon {n}"] = phone.number if phone else ""
    row["E-Mail"] = email
    row["E-Mail ist Portal-Anmeldung"] = YES
    return [record("contact_data", action, cooperative=person.cooperative_id, by=by, erp_key=person.erp_key,
                   label=person_label(person), row=row)
            for person in _persons_of(user)]


# Zugang: what happened to the portal account, as the ERP reads it
REGISTERED, CONFIRMED, BLOCKED, UNBLOCKED, DELETED = "registriert", "bestätigt", "gesperrt", "freigegeben", "gelöscht"
_ACCESS_ACTIONS = {REGISTERED: "new", CONFIRMED: "changed", BLOCKED: "ended", UNBLOCKED: "changed",
                   DELETED: "ended"}


def portal_access(user: User, event: str, by: User | None, persons: list[Person] | None = None) -> list[ErpChange]:
    """The portal account of the user (one change per person of the user) was registered, confirmed, blocked,
    unblocked or deleted (``event``: REGISTERED … DELETED); ``persons`` when the user no longer has them."""
    action = _ACCESS_ACTIONS[event]
    email = User.select(User.email).where(User.id == user.id).scalar() or user.email
    return [record("portal_access", action, cooperative=person.cooperative_id, by=by, erp_key=person.erp_key,
                   label=person_label(person),
                   row={"Personennummer": person.number, "Zugang": event, "E-Mail": email})
            for person in (persons if persons is not None else _persons_of(user))]


def bank_account(account: BankAccount, by: User | None, action: str = "new") -> ErpChange:
    """A bank account staff confirmed ("new"): the contract's new account, with the full IBAN (unspaced) and the
    consent; or one confirmed before that never comes into force ("revoked"), as its "new" row had it."""
    contract = Contract.get_by_id(account.contract_id)
    row = {
        "Vertragsnummer": contract.number,
        "Kontoinhaber": account.holder,
        "IBAN": "".join(account.iban.split()).upper(),
        "BIC": account.bic or "",
        "Bank": account.bank_name or "",
        "Gültig ab": _date(account.valid_from),
        "Mandatsreferenz": account.mandate_reference or "",
        "Einwilligung am": _date(clock.to_local(account.consent_at)) if account.consent_at else "",
        "Einwilligungstext": account.consent_text_version or "",
    }
    return record("bank_account", action, cooperative=contract.cooperative_id, by=by, erp_key=contract.erp_key,
                  label=f"Vertrag {contract.number}", row=row)


def exemption_order(order: ExemptionOrder, action: str, by: User | None) -> ErpChange:
    """A Freistellungsauftrag placed ("new"), placed in place of an open one ("changed") or revoked ("revoked"):
    the order as it stands after the change (a revoked one with the day it now ends), full Steuer-IDs."""
    person = Person.get_by_id(order.person_id)
    row = {
        "Gemeinsam": _yes(order.joint),
        "Betrag": _amount(order.amount),
        "Gültig ab": _date(order.valid_from),
        "Gültig bis": _date(order.valid_until),
        "Steuer-ID": order.tax_id,
        "Partner": order.partner_name if order.joint else "",
        "Steuer-ID Partner": order.partner_tax_id if order.joint else "",
    }
    return record("exemption_order", action, cooperative=person.cooperative_id, by=by, erp_key=person.erp_key,
                  label=person_label(person), row=row)


def savings_notice(account: SavingsAccount, *, whole_balance: bool, amount, given_on, payout_on, ticket: Ticket,
                   by: User | None) -> ErpChange:
    """A Kündigung einer Spareinlage filed as ``ticket``: the whole balance („Gesamtes Guthaben“ ja, no amount:
    the ERP adds the interest up to the payout) or ``amount``; given on ``given_on``, effective ``payout_on``."""
    person = Person.get_by_id(account.person_id)
    row = {
        "Sparkontonummer": account.number,
        "Gesamtes Guthaben": _yes(whole_balance),
        "Betrag": "" if whole_balance else _amount(amount),
        "Gekündigt am": _date(given_on),
        "Wirksam zum": _date(payout_on),
        "Meldung": ticket.number,
    }
    return record("savings_notice", "new", cooperative=person.cooperative_id, by=by, erp_key=account.erp_key,
                  label=f"Sparkonto {account.number} ({person.full_name})", row=row)


def address_change(ticket: Ticket, message: str, by: User | None) -> ErpChange:
    """A change of address the tenant told us in a Meldung: what they typed (subject and message); the ERP
    decides what becomes of it."""
    person = Person.get_by_id(ticket.person_id)
    row = {
        "Personennummer": person.number,
        "Mitteilung": f"{ticket.subject}\n{message}",
        "Meldung": ticket.number,
    }
    return record("address_change", "new", cooperative=person.cooperative_id, by=by, erp_key=person.erp_key,
                  label=person_label(person), row=row)


def meter_reading(reading: MeterReading, meter: Meter, contract: Contract, ticket: Ticket, by: User | None) -> ErpChange:
    """A meter reading a tenant sent with a photo (``ticket``: its Meldung), keyed by the ERP's key of the unit the
    meter belongs to. ``Wert bestätigt`` ja: the value looked unusual and the tenant confirmed it."""
    unit = Unit.get_by_id(meter.unit_id)
    row = {
        "Einheitennummer": unit.number,
        "Vertragsnummer": contract.number,
        "Zählernummer": meter.number,
        "Zählerart": Meter.KINDS.get(meter.kind, meter.kind),
        "Zählerstand": formatting.number(reading.value, 3),
        "Maßeinheit": meter.measure,
        "Ablesedatum": _date(reading.read_on),
        "Wert bestätigt": _yes(reading.confirmed_unusual),
        "Meldung": ticket.number,
    }
    return record("meter_reading", "new", cooperative=unit.cooperative_id, by=by, erp_key=unit.erp_key,
                  label=f"Einheit {unit.number} ({unit.street}, Zähler {meter.number})", row=row)
