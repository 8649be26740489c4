"""Telling the tenants that a month's Verbrauchsinformation is there (§ 6a HeizkostenV): a mail to every tenant
with portal access, a letter for everybody else (the staff list „Verbrauchsinformation per Post“).

Which month a run announces (``announce``): only the month before today's month and the one before that, and for
each contract only the newest of the two in which it was in force and its flat has values (a tenancy that ended
in October is told of October, though the flat has November's values). So the metering service's values for
November, imported in early December (or late, in January), are announced; the 35 older months a first import
brings are never mailed (the tenant finds them on the page), and a first import tells of its newest month once.

Which contracts: rental contracts in force in that month (begun before its end, not ended before its start) whose
flat has values for it. Each party (Hauptmieter, Mitmieter) whose person has a confirmed, active login gets one
mail with a link and no figures. Contracts without such a party, and those where a party asked for paper
(Person.consumption_by_post), are the post list; a paper wish with access gets both.

Exactly once: the ConsumptionNotice row (contract, month, "mail") is written in the transaction that queues the
contract's mails, and its unique index decides between two workers; the loser's insert fails inside a savepoint
and it queues nothing for that contract. Contracts are taken in batches (BATCH_SIZE per transaction, by id), so
thousands do not hold one long write lock, and a worker that dies between batches leaves the finished ones told
and the rest for the next run (after the next import, or the periodic sweep in wir.tasks).

The post list's letters of a month (as filtered: all, or only those not printed yet) are one PDF made in the
background (``create_batch``, then the task runs ``build_batch``, services.jobs); they count as printed
(ConsumptionNotice "post") in the transaction that finishes the batch with its stored PDF.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

from peewee import SQL, IntegrityError, fn

from wir import audit, clock, db, mail, storage
from wir.formatting import german_month
from wir.models import (
    Consumption,
    ConsumptionLetterBatch,
    ConsumptionNotice,
    Contract,
    ContractParty,
    Cooperative,
    Meter,
    Person,
    Unit,
    User,
)
from wir.services import jobs, scope
from wir.services.consumption import info
from wir.services.consumption.info import month_key
from wir.services.documents.documents import letterhead
from wir.services.rejections import Rejected

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # contracts per transaction
PDF_CHUNK = 200  # contracts whose letters' figures are read together
PROGRESS_EVERY = 20  # letters between two progress updates of a batch of letters for the post
WINDOW = 2  # months before today's month that may still be announced
MAIL, POST = "mail", "post"
NO_ACCESS, WANTS_PAPER = "kein Portalzugang", "wünscht Papier"


def months_due(today: date) -> list[date]:
    """The months a run may announce, newest first: the month before today's month and the one before that."""
    return clock.months_before(today, WINDOW)


# --- the rules as SQL on Contract -------------------------------------------------------------------------------


def _in_force(month: date):
    """A rental contract the tenant held in that month."""
    return ((Contract.kind == "rental") & (Contract.start_date < clock.add_months(month, 1))
            & (Contract.end_date.is_null() | (Contract.end_date >= month)))


def _has_values(*months: date):
    """The contract's flat has a value for one of the months (any meter); the index (meter, month) answers it."""
    return fn.EXISTS(Consumption.select(SQL("1")).join(Meter).where(
        (Meter.unit == Contract.unit) & Consumption.month.in_(list(months))))


def _parties():
    return ContractParty.select(SQL("1")).join(Person).where(
        (ContractParty.contract == Contract.id) & ContractParty.role.in_(info.TENANT_ROLES))


def _has_access():
    """A tenant of the contract can sign in: a confirmed, active login."""
    return fn.EXISTS(_parties().join(User).where(User.confirmed_at.is_null(False) & User.is_active))


def _wants_paper():
    return fn.EXISTS(_parties().where(Person.consumption_by_post))


def _noticed(month: date, channel: str):
    return fn.EXISTS(ConsumptionNotice.select(SQL("1")).where(
        (ConsumptionNotice.contract == Contract.id) & (ConsumptionNotice.month == month)
        & (ConsumptionNotice.channel == channel)))


def _with_access(user: User) -> bool:
    return user is not None and user.confirmed_at is not None and user.is_active


# --- by mail ----------------------------------------------------------------------------------------------------


def worth_announcing(report) -> bool:
    """An ERP import (its erp_import Report) brought Verbrauch values: it ran for real, succeeded, and verbrauch.csv
    created or corrected months. Then ``announce`` runs at once (the hourly sweep would too, later)."""
    return report is not None and report.ok and not report.dry_run and any(f.months for f in report.files)


def announce(today: date, batch_size: int = BATCH_SIZE, mailing: bool = True) -> int:
    """Mail every tenant with access whose contract's month is due and not yet announced (see the module);
    returns the number of contracts told now. Safe to run any time, and twice at once. Without ``mailing`` the
    months are only recorded as told (the demo's, whose values came with it as if imported long ago)."""
    told = 0
    newer: list[date] = []
    for month in months_due(today):  # newest first: a contract told of November is not told of October
        told += announce_month(month, newer, batch_size, mailing)
        newer.append(month)
    return told


def announce_month(month: date, newer=(), batch_size: int = BATCH_SIZE, mailing: bool = True) -> int:
    """Announce ``month`` to the contracts not told of it yet, except those due a ``newer`` month (in force in it,
    their flat with values for it)."""
    told, after = 0, 0
    while True:
        with db.write_transaction():
            batch = list(_to_mail(month, newer).where(Contract.id > after).order_by(Contract.id).limit(batch_size))
            if not batch:
                return told
            tenants = info.parties_of([contract.id for contract in batch])
            for contract in batch:
                if _tell(contract, month, tenants.get(contract.id, []) if mailing else []):
                    told += 1
        after = batch[-1].id


def _to_mail(month: date, newer):
    condition = _in_force(month) & _has_values(month) & _has_access() & ~_noticed(month, MAIL)
    for later in newer:  # judged for this contract: one that ended before the newer month still gets its last
        condition &= ~(_in_force(later) & _has_values(later))
    return Contract.select(Contract, Unit, Cooperative).join(Unit).switch(Contract).join(Cooperative).where(condition)


def _tell(contract: Contract, month: date, parties: list[ContractParty]) -> bool:
    """The contract's notice and its tenants' mails, in the caller's transaction; False when another worker's
    notice came first (nothing is queued then)."""
    try:
        with db.database.atomic():  # a savepoint: PostgreSQL's transaction survives the refused insert
            ConsumptionNotice.create(contract=contract, month=month, channel=MAIL, created_at=clock.now())
    except IntegrityError:
        return False
    url = mail.external_url("consumption.show", contract_id=contract.id, monat=month_key(month))
    mailed: set[int] = set()
    for party in parties:
        user = party.person.user if party.person.user_id else None
        if not _with_access(user) or user.id in mailed:
            continue
        mailed.add(user.id)
        mail.queue_mail(user.email, f"Ihre Verbrauchsinformation für {german_month(month)}", "consumption_info",
                        cooperative=contract.cooperative, name=party.person.full_name, month=german_month(month),
                        contract=scope.contract_label(contract), url=url)
    return True


# --- by post ----------------------------------------------------------------------------------------------------


def newest_month(user: User, today: date) -> date:
    """The month the post list opens with: the newest due month with values in the staff member's cooperative
    (admins: either), else the month before today's."""
    for month in months_due(today):
        query = Consumption.select(SQL("1")).join(Meter).join(Unit).where(Consumption.month == month)
        if scope.in_staff_scope(query, user, Unit.cooperative).exists():
            return month
    return months_due(today)[0]


def by_post(user: User, month: date, only_unprinted: bool = False):
    """The contracts of the staff member's cooperative (admins: both) whose tenants get the month's information
    on paper: no tenant can sign in, or one asked for paper. By contract number (a query to paginate)."""
    condition = _in_force(month) & _has_values(month) & (~_has_access() | _wants_paper())
    if only_unprinted:
        condition &= ~_noticed(month, POST)
    query = (Contract.select(Contract, Unit, Cooperative).join(Unit).switch(Contract).join(Cooperative)
             .where(condition).order_by(Contract.number, Contract.id))
    return scope.in_staff_scope(query, user, Contract.cooperative)


@dataclass(frozen=True)
class PostLetter:
    """One line of the post list, and the letter it stands for."""

    contract: Contract
    tenants: list[Person]  # Hauptmieter first
    reason: str  # NO_ACCESS or WANTS_PAPER
    printed_at: datetime | None

    @property
    def names(self) -> str:
        return ", ".join(person.full_name for person in self.tenants)

    @property
    def address(self) -> tuple[str, ...]:
        """Where the letter goes: the first tenant's postal address (the ERP's; usually the flat)."""
        if not self.tenants:
            unit = self.contract.unit
            return unit.street, f"{unit.postcode} {unit.city}"
        person = self.tenants[0]
        return person.street, f"{person.postcode} {person.city}"


def letters_of(contracts, month: date) -> list[PostLetter]:
    """The post list's rows for these contracts (a page of ``by_post``): two queries, whatever their number."""
    contracts = list(contracts)
    ids = [contract.id for contract in contracts]
    tenants = info.parties_of(ids)
    printed = dict(ConsumptionNotice.select(ConsumptionNotice.contract, ConsumptionNotice.created_at).where(
        ConsumptionNotice.contract.in_(ids) & (ConsumptionNotice.month == month)
        & (ConsumptionNotice.channel == POST)).tuples()) if ids else {}
    letters = []
    for contract in contracts:
        parties = tenants.get(contract.id, [])
        access = any(_with_access(party.person.user if party.person.user_id else None) for party in parties)
        letters.append(PostLetter(contract, [party.person for party in parties],
                                  WANTS_PAPER if access else NO_ACCESS, printed.get(contract.id)))
    return letters


def letters_pdf(letters: list[PostLetter], month: date, portal_url: str, progress=None) -> bytes:
    """The letters (DIN 5008 window envelopes, one page each) in one PDF: the figures read PDF_CHUNK contracts at
    a time (info.infos_of, two queries each); ``progress(n)`` after every page (consumption_info.build)."""
    from wir.pdf import consumption_info  # fpdf, ~22 MB: loaded when needed
    from wir.pdf.cooperative_letter import address_lines, salutation

    heads = {}
    pages = []
    for start in range(0, len(letters), PDF_CHUNK):
        chunk = letters[start:start + PDF_CHUNK]
        infos = info.infos_of([letter.contract for letter in chunk], month)
        pages += [consumption_info.Letter(
            letterhead=heads.setdefault(letter.contract.cooperative_id, letterhead(letter.contract.cooperative)),
            recipient=address_lines(letter.tenants, letter.address),
            salutation=salutation(letter.tenants) if letter.tenants else "Guten Tag,",
            info=infos[letter.contract.id],
            portal_url=portal_url,
        ) for letter in chunk]
    return consumption_info.build(pages, clock.today(), progress=progress)


def _record_printed(user: User | None, letters: list[PostLetter], month: date, batch) -> None:
    """The letters were printed: each contract's post notice (the first print's date stays) and one audit entry,
    in the caller's transaction."""
    ConsumptionNotice.insert_many(
        [{"contract": letter.contract.id, "month": month, "channel": POST, "created_at": clock.now()}
         for letter in letters if letter.printed_at is None]
    ).on_conflict_ignore().execute()
    audit.record(user, "consumption_letters.printed", obj=batch,
                 detail=f"{german_month(month)}: {len(letters)} Briefe, Verträge "
                        + ", ".join(letter.contract.number for letter in letters[:20])
                        + (" …" if len(letters) > 20 else ""),
                 cooperative=batch.cooperative)


# --- all of a month's letters, made in the background -----------------------------------------------------------


def create_batch(user: User, month: date, only_unprinted: bool) -> ConsumptionLetterBatch:
    """Order the month's letters of the post list (as the list is filtered); the caller enqueues build_batch.
    Raises Rejected("monat", …) when the list is empty."""
    contracts = by_post(user, month, only_unprinted)
    total = contracts.count()
    if not total:
        raise Rejected("monat", f"Für {german_month(month)} sind keine Briefe "
                                f"{'mehr zu drucken' if only_unprinted else 'nötig'}.")
    cooperatives = {row.cooperative_id for row in contracts.select(Contract.cooperative).order_by().distinct()}
    cooperative = next(iter(cooperatives)) if len(cooperatives) == 1 else None
    with db.write_transaction():
        batch = ConsumptionLetterBatch.create(cooperative=cooperative, month=month, only_unprinted=only_unprinted,
                                              created_by=user, total=total, created_at=clock.now())
        audit.record(user, "consumption_letters.ordered", obj=batch,
                     detail=f"{german_month(month)}: {total} Briefe"
                            + (", nur noch nicht gedruckte" if only_unprinted else ""),
                     cooperative=cooperative)
    return batch


def fail(batch_id: int, reason: str) -> None:
    """The batch did not run (or broke off): say why; no letter counts as printed."""
    jobs.fail(ConsumptionLetterBatch, batch_id, error=reason[:1000])


def give_up_stale(now) -> int:
    """Fail the batches no worker finished in time (services.jobs)."""
    stale = jobs.stale(ConsumptionLetterBatch, ConsumptionLetterBatch.created_at, now)
    for batch_id in stale:
        fail(batch_id, "Die Hintergrundverarbeitung hat den Auftrag nicht rechtzeitig erledigt. Kein Brief gilt "
                       "als gedruckt; bitte erstellen Sie die Briefe erneut.")
    return len(stale)


class BatchRefused(Exception):
    """A reason the batch cannot be made, for the clerk."""


def build_batch(batch_id: int, portal_url: str) -> None:
    """Make the batch's PDF (the background task): once per batch (the queued batch is claimed); the letters count
    as printed only with the finished PDF."""
    if not jobs.claim(ConsumptionLetterBatch, batch_id):
        return
    try:
        _build(ConsumptionLetterBatch.get_by_id(batch_id), portal_url)
    except BatchRefused as refused:
        fail(batch_id, str(refused))
    except Exception as error:
        log.exception("Verbrauchsinformation per Post %s nicht erstellt", batch_id)
        fail(batch_id, f"Unerwarteter Fehler ({type(error).__name__}). Kein Brief gilt als gedruckt; bitte "
                       "versuchen Sie es erneut oder wenden Sie sich an die Administration.")


def _build(batch: ConsumptionLetterBatch, portal_url: str) -> None:
    if batch.created_by_id is None:  # whose list it was decides the cooperative
        raise BatchRefused("Das Benutzerkonto, das die Briefe bestellt hat, gibt es nicht mehr.")
    user = User.get_by_id(batch.created_by_id)
    # the list as it is now: a tenant who registered meanwhile is told by mail
    letters = letters_of(by_post(user, batch.month, batch.only_unprinted), batch.month)
    if not letters:
        raise BatchRefused(f"Für {german_month(batch.month)} sind keine Briefe mehr auf der Liste.")
    with db.write_transaction():
        ConsumptionLetterBatch.update(total=len(letters)).where(ConsumptionLetterBatch.id == batch.id).execute()

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            with db.write_transaction():
                ConsumptionLetterBatch.update(done=done).where(ConsumptionLetterBatch.id == batch.id).execute()

    key = storage.store(letters_pdf(letters, batch.month, portal_url, progress))
    with db.write_transaction():
        if not jobs.finish(ConsumptionLetterBatch, batch.id, total=len(letters), done=len(letters),
                           storage_key=key, error=""):  # given up meanwhile: nothing counts as printed
            raise BatchRefused("Der Auftrag wurde abgebrochen.")
        _record_printed(user, letters, batch.month, batch)


def batches_of(user: User):
    """The staff member's cooperative's batches, newest first (a query)."""
    query = ConsumptionLetterBatch.select().order_by(ConsumptionLetterBatch.created_at.desc(),
                                                     ConsumptionLetterBatch.id.desc())
    return scope.in_staff_scope(query, user, ConsumptionLetterBatch.cooperative)


def batch_of(user: User, batch_id: int) -> ConsumptionLetterBatch | None:
    return batches_of(user).where(ConsumptionLetterBatch.id == batch_id).first()


def batch_pdf(batch: ConsumptionLetterBatch) -> bytes:
    return storage.load(batch.storage_key)
