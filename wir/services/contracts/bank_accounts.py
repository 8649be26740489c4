"""Bankverbindung ändern: IBAN check, SEPA mandate, pending until the cooperative confirms (DESIGN.md §5).

A new account is stored as "pending" with the consent's time and text version; the
old one keeps being collected until the cooperative confirms the new one, which
then replaces it from the day the clerk states ("Gültig ab"): today, a day back to
the filing, or up to three months ahead. Until a future day comes the old account
stays in force beside the confirmed new one; which account is in force on a day is
derived from the confirmed accounts' start days at read time (``in_force``), so no job
has to switch anything on time. The tenant gets a mail when the change is filed and
when it is decided. Full IBANs stay in the database: mails, the audit trail and the
pages show only the last four characters.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from peewee import JOIN
from schwifty import IBAN, exceptions, registry

from wir import audit, clock, db, formatting, mail
from wir.models import (
    BankAccount,
    Contract,
    ContractParty,
    Cooperative,
    Person,
    Unit,
    User,
)
from wir.services.account import accounts
from wir.services.contracts.contracts import ContractDetails
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.tickets import tickets

# Bump when the wording of MANDATE_TEXT changes: every consent stores the version it agreed to.
MANDATE_VERSION = "sepa-basis-2025-1"
MANDATE_TEXT = (
    "Ich ermächtige die {creditor}, Zahlungen von meinem Konto mittels Lastschrift einzuziehen. "
    "Zugleich weise ich mein Kreditinstitut an, die von der {creditor} auf mein Konto gezogenen "
    "Lastschriften einzulösen.",
    "Hinweis: Ich kann innerhalb von acht Wochen, beginnend mit dem Belastungsdatum, die Erstattung "
    "des belasteten Betrages verlangen. Es gelten dabei die mit meinem Kreditinstitut vereinbarten Bedingungen.",
)
HOLDER_NOTE = (
    "Der Kontoinhaber ist nicht Vertragspartner. Er muss dem Lastschriftmandat zustimmen; "
    "mit Ihrer Zustimmung bestätigen Sie, dass er eingewilligt hat."
)
HOLDER_MAX = 70  # SEPA limit for names
IBAN_MAX = 34
REASON_MAX = 1000  # the reason for a rejection, mailed to the tenant

ACTIVE, PENDING, REJECTED, REPLACED = "active", "pending", "rejected", "replaced"
MONTHS_AHEAD = 3  # how far ahead a confirmed account may start


class NotPending(Exception):
    """The account does not exist (for this cooperative) or was decided already."""


@dataclass(frozen=True)
class CheckedIban:
    iban: str  # compact, upper case
    formatted: str
    bank_name: str
    bic: str


@dataclass(frozen=True)
class Mandate:
    creditor: Cooperative
    reference: str
    paragraphs: tuple[str, ...]
    version: str = MANDATE_VERSION


@dataclass(frozen=True)
class Preview:
    """What the form shows while typing: the bank, or what is wrong; and whether the holder must consent."""

    iban: CheckedIban | None = None
    problem: str = ""
    holder_note: str = ""


@dataclass(frozen=True)
class BankChange:
    holder: str
    iban: str
    consent: bool
    apply_to_all: bool
    password: str


# --- checks ------------------------------------------------------------------


def check_iban(text: str) -> CheckedIban:
    """The IBAN with its bank, or Rejected('iban') saying in German what is wrong with it."""
    value = formatting.compact_iban(text)
    if not value:
        raise Rejected("iban", "Bitte geben Sie die IBAN ein.")
    if len(value) > IBAN_MAX:
        raise Rejected("iban", f"Eine IBAN hat höchstens {IBAN_MAX} Stellen.")
    if not re.fullmatch(r"[A-Z0-9]+", value):
        raise Rejected("iban", "Die IBAN besteht nur aus Buchstaben und Ziffern.")
    if not re.match(r"[A-Z]{2}[0-9]{2}", value):
        raise Rejected("iban", "Die IBAN beginnt mit dem Ländercode und zwei Prüfziffern, z. B. DE89.")
    try:
        iban = IBAN(value)
    except exceptions.InvalidCountryCode:
        raise Rejected("iban", f"„{value[:2]}“ ist kein Ländercode einer IBAN. "
                               "Deutsche IBANs beginnen mit DE.") from None
    except exceptions.InvalidLength:
        length = registry.get_iban_spec(value[:2]).iban_length
        raise Rejected("iban", f"Die IBAN hat {len(value)} Stellen, eine IBAN aus diesem Land hat {length}. "
                               "Bitte prüfen Sie, ob eine Stelle fehlt oder zu viel ist.") from None
    except exceptions.InvalidChecksumDigits:
        raise Rejected("iban", "Die Prüfziffern der IBAN stimmen nicht. "
                               "Bitte prüfen Sie, ob Sie sich vertippt haben.") from None
    except exceptions.SchwiftyException:
        raise Rejected("iban", "Die IBAN ist nicht richtig aufgebaut. Bitte prüfen Sie Ihre Eingabe.") from None
    if not iban.in_sepa_zone:
        raise Rejected("iban", "Lastschriften sind nur von Konten im SEPA-Raum möglich (EU, EWR, Schweiz und "
                               "einige weitere Länder). Bitte geben Sie ein solches Konto an.")
    # The Bundesbank's list of German banks is complete: a German IBAN without a bank is a typo.
    if iban.country_code == "DE" and iban.bank is None:
        raise Rejected("iban", "Zu dieser IBAN ist uns keine Bank bekannt. Bitte prüfen Sie die Bankleitzahl "
                               "(5. bis 12. Stelle).")
    return CheckedIban(iban.compact, iban.formatted, iban.bank_name or "", str(iban.bic or ""))


def check_holder(text: str) -> str:
    holder = " ".join((text or "").split())
    if not holder:
        raise Rejected("holder", "Bitte geben Sie den Kontoinhaber an.")
    if len(holder) > HOLDER_MAX:
        raise Rejected("holder", f"Der Name des Kontoinhabers darf höchstens {HOLDER_MAX} Zeichen lang sein.")
    if not any(c.isalpha() for c in holder) or any(unicodedata.category(c).startswith("C") for c in holder):
        raise Rejected("holder", "Bitte geben Sie den Namen des Kontoinhabers so an, wie er bei der Bank geführt wird.")
    return holder


def _name_key(name: str) -> frozenset[str]:
    """Name words without case, accents, umlaut spelling or order: "Müller, Jürgen" = "Juergen Mueller"."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss").replace("ł", "l"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    for spelled, plain in (("ae", "a"), ("oe", "o"), ("ue", "u")):
        folded = folded.replace(spelled, plain)
    return frozenset(re.findall(r"\w+", folded))


def holder_is_party(holder: str, parties: list[ContractParty]) -> bool:
    key = _name_key(holder)
    return any(key == _name_key(party.person.full_name) for party in parties)


def preview(iban_text: str, holder: str, parties: list[ContractParty]) -> Preview:
    """The live check beside the form; empty until something is typed."""
    note = HOLDER_NOTE if holder.strip() and not holder_is_party(holder, parties) else ""
    if not formatting.compact_iban(iban_text):
        return Preview(holder_note=note)
    try:
        return Preview(iban=check_iban(iban_text), holder_note=note)
    except Rejected as rejected:
        return Preview(problem=rejected.message, holder_note=note)


# --- mandate -------------------------------------------------------------------


def next_references(contracts: list[ContractDetails]) -> dict[int, str]:
    """Per contract id, the Mandatsreferenz of its next account: the contract's series, counted on.

    Unique per creditor (contract numbers are) and at most 35 characters (SEPA). One query.
    """
    used = {}
    query = BankAccount.select(BankAccount.contract, BankAccount.mandate_reference).where(
        BankAccount.contract.in_([details.id for details in contracts])
    )
    for contract_id, reference in query.tuples():
        used.setdefault(contract_id, []).append(reference)
    return {details.id: _next_reference(details, used.get(details.id, [])) for details in contracts}


def _next_reference(details: ContractDetails, used: list[str]) -> str:
    numbered = [match for match in (re.fullmatch(r"(.+)-(\d+)", ref) for ref in used) if match]
    if numbered:
        base = numbered[0].group(1)
        number = max(int(match.group(2)) for match in numbered) + 1
    else:
        base = f"{details.cooperative.slug[:3].upper()}-{details.contract.number}"
        number = 1
    suffix = f"-{number:02d}"
    return base[: 35 - len(suffix)] + suffix


def mandate_for(details: ContractDetails, reference: str) -> Mandate:
    creditor = details.cooperative
    paragraphs = tuple(text.format(creditor=creditor.name) for text in MANDATE_TEXT)
    return Mandate(creditor, reference, paragraphs)


# --- which account is in force ----------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A confirmed account's time in force: from its start to the day before the next confirmed one starts."""

    account: BankAccount
    start: date
    until: date | None  # its last day; None while no later account is confirmed


def terms(accounts: Iterable[BankAccount]) -> list[Term]:
    """One contract's confirmed accounts in the order they take effect (any status given; only confirmed ones
    count). No query: the caller reads the contract's accounts once."""
    confirmed = sorted((a for a in accounts if a.status == ACTIVE), key=lambda a: (a.valid_from, a.id))
    return [Term(account, account.valid_from,
                 confirmed[i + 1].valid_from - timedelta(days=1) if i + 1 < len(confirmed) else None)
            for i, account in enumerate(confirmed)]


def in_force(accounts: Iterable[BankAccount], day: date | None = None) -> BankAccount | None:
    """The one answer to "which account is collected from on ``day``" (today when not given), for one contract's
    accounts: of the confirmed ones, the one that started last on or before that day. A confirmed account with a
    later start is ``upcoming``; an older one whose successor has started is over, whatever its stored status."""
    day = day or clock.today()
    started = [term for term in terms(accounts) if term.start <= day]
    return started[-1].account if started else None


def upcoming(accounts: Iterable[BankAccount], day: date | None = None) -> list[Term]:
    """The confirmed accounts that take effect after ``day`` (today when not given), in their order."""
    day = day or clock.today()
    return [term for term in terms(accounts) if term.start > day]


def until_of(accounts: Iterable[BankAccount], account: BankAccount) -> date | None:
    """The last day ``account`` is in force (the day before its successor starts); None while open-ended."""
    return next((term.until for term in terms(accounts) if term.account.id == account.id), None)


def in_force_on(contract_ids: list[int], day: date | None = None) -> dict[int, BankAccount]:
    """Per contract id, the account in force on ``day`` (contracts without one are left out): one query."""
    by_contract = {}
    for account in BankAccount.select().where(BankAccount.contract.in_(contract_ids) & (BankAccount.status == ACTIVE)):
        by_contract.setdefault(account.contract_id, []).append(account)
    found = {contract_id: in_force(accounts, day) for contract_id, accounts in by_contract.items()}
    return {contract_id: account for contract_id, account in found.items() if account is not None}


def status_label(account: BankAccount, accounts: Iterable[BankAccount], day: date | None = None) -> str:
    """The account's state on ``day`` in words: gültig, gültig ab …, gültig bis …, ersetzt, in Prüfung, abgelehnt.
    ``accounts``: all of its contract's accounts."""
    day = day or clock.today()
    if account.status != ACTIVE:
        return BankAccount.STATUSES.get(account.status, account.status)
    accounts = list(accounts)
    if account.valid_from > day:
        return f"gültig ab {formatting.german_date(account.valid_from)}"
    until = until_of(accounts, account)
    if until is not None and until < day:
        return BankAccount.STATUSES[REPLACED]
    if until is not None:
        return f"gültig bis {formatting.german_date(until)}"
    return BankAccount.STATUSES[ACTIVE]


# --- filing and deciding ---------------------------------------------------------


def request_change(
    user: User, target: ContractDetails, siblings: list[ContractDetails], change: BankChange
) -> list[BankAccount]:
    """File the new account as pending for ``target`` (and its siblings if asked); returns the new rows.

    ``target`` and ``siblings`` come from contracts.with_siblings(persons, …), so they are the persons'; ``user``
    is who files it (their password, the mail).
    Raises Rejected for the field at fault; stores nothing then.
    """
    holder = check_holder(change.holder)
    checked = check_iban(change.iban)
    if not change.consent:
        raise Rejected("consent", "Bitte stimmen Sie dem SEPA-Lastschriftmandat zu.")
    accounts.confirm_password(user, change.password)
    contracts = [target] + (siblings if change.apply_to_all else [])
    created = []
    with db.write_transaction():
        now = clock.now()
        references = next_references(contracts)
        for details in contracts:
            # a newer change supersedes one still waiting; the confirmed account stays until the new one is confirmed
            BankAccount.update(
                status=REPLACED, decided_at=now, decision_note="Durch eine neuere Änderung ersetzt."
            ).where((BankAccount.contract == details.contract) & (BankAccount.status == PENDING)).execute()
            account = BankAccount.create(
                contract=details.contract, holder=holder, iban=checked.iban, bic=checked.bic,
                bank_name=checked.bank_name, mandate_reference=references[details.id],
                valid_from=clock.today(), status=PENDING, consent_at=now, consent_text_version=MANDATE_VERSION,
                created_by=user, created_at=now,
            )
            audit.record(user, "bank_account.requested", account, _audit_detail(details.contract, account),
                         details.cooperative)
            created.append(account)
        representation = representations.acting_for(user, *(party.person for party in target.parties))
        if representation is not None:
            representations.record_action(representation, user, "Neue Bankverbindung eingereicht für "
                                          + ", ".join(d.contract.number for d in contracts))
        _mail(user, target.cooperative, "Ihre neue Bankverbindung ist in Prüfung", "bank_change_received",
              accounts=[(d.contract, a) for d, a in zip(contracts, created)],
              holder_is_other=not holder_is_party(holder, target.parties))
    return created


def pending_queue(cooperative: Cooperative | None = None):
    """The changes waiting for a decision, oldest first, as a query to paginate (the staff queue).

    Each row carries its contract with unit and cooperative, and as ``tenant`` the filer's person at that
    cooperative (None when the account was not filed through the portal): one query whatever the length.
    ``cooperative`` None means both (admins).
    """
    return _for_staff(cooperative).where(BankAccount.status == PENDING).order_by(BankAccount.created_at, BankAccount.id)


def _for_staff(cooperative: Cooperative | None):
    tenant = Person.alias()
    query = (
        BankAccount.select(BankAccount, Contract, Unit, Cooperative, tenant)
        .join(Contract).join(Unit, JOIN.LEFT_OUTER).switch(Contract).join(Cooperative)
        .switch(BankAccount)
        .join(tenant, JOIN.LEFT_OUTER,
              on=(tenant.user == BankAccount.created_by) & (tenant.cooperative == Contract.cooperative),
              attr="tenant")
    )
    return query.where(Contract.cooperative == cooperative) if cooperative is not None else query


def account_for_staff(account_id: int, cooperative: Cooperative | None) -> BankAccount | None:
    """One account of the cooperative's contracts (None: both, for admins) with the same data as the queue,
    whatever its status; None when there is none (another cooperative's is as unknown as a missing one)."""
    return _for_staff(cooperative).where(BankAccount.id == account_id).first()


def state_of(account: BankAccount, day: date | None = None) -> str:
    """``status_label`` of one account, its contract's accounts read in one query (the staff's page of it)."""
    return status_label(account, BankAccount.select().where(BankAccount.contract == account.contract_id), day)


def replaced_by(account: BankAccount) -> BankAccount | None:
    """What a pending account would replace: the contract's account collected now."""
    return in_force_on([account.contract_id]).get(account.contract_id)


def scheduled_beside(account: BankAccount) -> list[Term]:
    """The contract's confirmed accounts that start after today, beside a pending one: confirming it from a day on or
    before theirs cancels them, so the clerk sees them before deciding."""
    return upcoming(BankAccount.select().where((BankAccount.contract == account.contract_id)
                                                & (BankAccount.status == ACTIVE)))


def pending_accounts(cooperative: Cooperative | None = None) -> list[BankAccount]:
    """The queue of changes waiting for a decision, oldest first."""
    return list(pending_queue(cooperative))


def _pending(account_id: int, cooperative: Cooperative | None) -> BankAccount:
    query = (BankAccount.select(BankAccount, Contract, Cooperative).join(Contract).join(Cooperative)
             .where((BankAccount.id == account_id) & (BankAccount.status == PENDING)))
    if cooperative is not None:
        query = query.where(Contract.cooperative == cooperative)
    account = query.first()
    if account is None:
        raise NotPending(account_id)
    return account


def record_view(user: User, account: BankAccount) -> None:
    """Staff opened the account with its full IBAN: the trail says who and when (without the IBAN)."""
    with db.write_transaction():
        audit.record(user, "bank_account.viewed", account, _audit_detail(account.contract, account),
                     account.contract.cooperative)


def latest_valid_from(today: date | None = None) -> date:
    """The latest day a confirmed account may start: MONTHS_AHEAD months from today."""
    return clock.add_months(today or clock.today(), MONTHS_AHEAD)


def first_of_next_month(today: date | None = None) -> date:
    """The usual start of a new account: the 1st of next month (the form suggests it)."""
    return clock.add_months((today or clock.today()).replace(day=1), 1)


def check_valid_from(account: BankAccount, valid_from: date) -> None:
    """The day the new account is collected from: not before it was filed (a day back to the filing covers a
    collection that already went to the new account), at most MONTHS_AHEAD months ahead (until then the old
    account stays in force beside it)."""
    filed = clock.to_local(account.created_at).date()
    if valid_from < filed:
        raise Rejected("valid_from", f"Die neue Bankverbindung kann nicht vor ihrer Angabe am "
                                     f"{formatting.german_date(filed)} gelten.")
    latest = latest_valid_from()
    if valid_from > latest:
        raise Rejected("valid_from", f"Die neue Bankverbindung kann höchstens {MONTHS_AHEAD} Monate im Voraus "
                                     f"bestätigt werden. Bitte wählen Sie spätestens den "
                                     f"{formatting.german_date(latest)}.")


def confirm(account_id: int, decided_by: User | None = None, cooperative: Cooperative | None = None,
            valid_from: date | None = None) -> BankAccount:
    """The cooperative accepts the new account: it is collected from ``valid_from`` (today when not given).

    From that day the old account is over: when the day has come, it is marked replaced now; a future day keeps
    the account in force today until the day before (``in_force`` derives it by date, nothing has to run then).
    A confirmed account that would start on or after the new one's day never comes into force: replaced, and the
    ERP, which took it over when it was confirmed, gets it as "revoked" before the new one.

    ``cooperative`` limits it to that cooperative's contracts (staff); raises NotPending, Rejected('valid_from').
    """
    with db.write_transaction():
        account = _pending(account_id, cooperative)
        valid_from = valid_from or clock.today()
        check_valid_from(account, valid_from)
        now = clock.now()
        _decide(account, status=ACTIVE, valid_from=valid_from, decided_at=now)
        others = list(BankAccount.select().where((BankAccount.contract == account.contract_id)
                                                 & (BankAccount.status == ACTIVE) & (BankAccount.id != account.id)))
        today = clock.today()
        cancelled = [other for other in others if other.valid_from >= valid_from]
        # the ERP took each cancelled one over as "new" when it was confirmed: it learns first that it never comes,
        # then the new account (erp_export)
        for other in cancelled:
            erp_changes.bank_account(other, decided_by, "revoked")
        erp_changes.bank_account(account, decided_by)
        over = [other.id for other in cancelled] + [
            other.id for other in others
            if other.valid_from < valid_from and (until_of(others + [account], other) or today) < today]
        if over:
            BankAccount.update(status=REPLACED, decided_at=now).where(BankAccount.id.in_(over)).execute()
        audit.record(decided_by, "bank_account.confirmed", account, _audit_detail(account.contract, account),
                     account.contract.cooperative)
        later = valid_from > today  # until then the old account is collected from: the mail says so
        _mail_decision(account, f"Ihre neue Bankverbindung gilt ab {formatting.german_date(valid_from)}"
                       if later else "Ihre neue Bankverbindung gilt", "bank_change_confirmed", later=later)
    return account


def reject(account_id: int, reason: str, decided_by: User | None = None,
           cooperative: Cooperative | None = None) -> BankAccount:
    """The cooperative refuses the new account (with a reason for the tenant); the old one stays."""
    reason = tickets.check_text("reason", reason,
                                "Bitte geben Sie einen Grund an; er wird der Mieterin oder dem Mieter mitgeteilt.",
                                REASON_MAX)
    with db.write_transaction():
        account = _pending(account_id, cooperative)
        _decide(account, status=REJECTED, decided_at=clock.now(), decision_note=reason)
        audit.record(decided_by, "bank_account.rejected", account, _audit_detail(account.contract, account),
                     account.contract.cooperative)
        _mail_decision(account, "Ihre neue Bankverbindung wurde nicht übernommen", "bank_change_rejected")
    return account


def _decide(account: BankAccount, **changes) -> None:
    """Apply the decision only if the account is still pending: of two clerks deciding at once exactly one
    wins (the other's update finds no pending row once the first committed), the other gets NotPending."""
    updated = BankAccount.update(**changes).where(
        (BankAccount.id == account.id) & (BankAccount.status == PENDING)
    ).execute()
    if updated != 1:
        raise NotPending(account.id)
    for name, value in changes.items():
        setattr(account, name, value)


def _audit_detail(contract: Contract, account: BankAccount) -> str:
    return f"Vertrag {contract.number}, IBAN endet auf {account.iban[-4:]}, Mandat {account.mandate_reference}"


def _mail(user: User, cooperative: Cooperative, subject: str, template: str, **context) -> None:
    """To the user, greeted with their name at this cooperative and signed by it."""
    person = Person.get_or_none((Person.user == user) & (Person.cooperative == cooperative))
    name = person.full_name if person else user.email
    mail.queue_mail(user.email, subject, template, name=name, cooperative=cooperative, **context)


def _mail_decision(account: BankAccount, subject: str, template: str, later: bool = False) -> None:
    """``later``: a confirmed account that starts on a later day (the old one is collected from until then)."""
    user = User.get_or_none(User.id == account.created_by_id) if account.created_by_id else None
    if user is not None and user.is_active:
        _mail(user, account.contract.cooperative, subject, template, contract=account.contract, account=account,
              later=later)
