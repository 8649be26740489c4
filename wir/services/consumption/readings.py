"""Zählerstand melden: a tenant sends the reading of one of their unit's meters with a photo of it (moving in or
out, a meter not read remotely, an interim reading). It arrives at the desk as a Meldung of the Meldungsart
„Zählerstand“ and goes into the ERP export.

Plausibility (never a silent acceptance or refusal): a value is *unusual* when it is

- below the last known reading of the meter on or before the reading's day (the newest of a reading sent earlier
  and not withdrawn or rejected, and the imported reading at a month's end), or
- above that reading by more than ``USUAL_FACTOR`` (3) times the meter's average daily consumption of the 12 months
  before, times the days in between, and by more than the meter's ``FLOOR`` (100 kWh, 1 m³, 20 Einheiten: a few days
  of summer must not turn a shower into a warning). Without three months of history only the first rule applies.

An unusual value is filed only once the tenant confirmed it („Ja, der Wert stimmt.“), and the reading, the
Meldung and the desk say so (``MeterReading.confirmed_unusual``). While the question waits, the photo sent with the
value waits too (``PendingUpload``, not in wir.storage): for ``PENDING_HOURS``, then it is pruned.

A contract takes readings from its start until ``MONTHS_AFTER_END`` months after its end (the move-out reading may
come a little late), each dated within the contract.
"""

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from peewee import JOIN, fn

from wir import clock, db, formatting
from wir.models import (
    Consumption,
    Contract,
    Cooperative,
    Meter,
    MeterReading,
    PendingUpload,
    Person,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketType,
    Unit,
    User,
)
from wir.services.erp_export import changes as erp_changes
from wir.services.tickets import tickets
from wir.services.tickets.contact import METER_READING_KEY
from wir.uploads import Attachment

# the Meldungskategorie the portal files readings into (TicketCategory.key); created on first use where missing
KEY = METER_READING_KEY
TYPE_NAME = "Zählerstand"
CATEGORY_NAME = "Zählerstand melden"

USUAL_FACTOR = 3
USUAL_MONTHS = 12
MIN_HISTORY_MONTHS = 3  # fewer months say nothing about what is usual
FLOOR = {"kWh": Decimal(100), "m³": Decimal(1), "Einheiten": Decimal(20)}
MAX_VALUE = Decimal("99999999.999")  # eight digits before the comma: more than any household meter shows
MAX_PLACES = 3
MAX_AGE_MONTHS = 36  # an older reading is no use to anyone
SHOWN_RECENT = 6  # readings the desk shows beside a sent one
MONTHS_AFTER_END = 3  # a move-out reading may come late; later the Heizkostenabrechnung has its values
PENDING_HOURS = 24  # a photo waiting for „Stimmt der Wert?“ is kept this long
PHOTO_AGAIN = (f"Das Foto, das Sie gewählt hatten, bewahren wir nur {PENDING_HOURS} Stunden auf. Bitte wählen Sie "
               "das Foto des Zählers noch einmal.")

KIND_ORDER = tuple(Meter.KINDS)  # Heizung, Warmwasser, Kaltwasser
# what a tenant types: 1.234,5 or 1234,5 or 1234 (a point only between groups of three digits, so 12.5 is refused
# rather than guessed)
_GERMAN_NUMBER = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]+))?")
# sent readings that no longer count: the tenant took them back, or the cooperative refused them
_NOT_COUNTING = (TicketStatus.WITHDRAWN, TicketStatus.REJECTED)


class Invalid(Exception):
    """What is wrong with a reading, by field (meter, value, read_on, photo), in German."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class Unusual(Exception):
    """The value looks wrong (``reason``); it is filed once the tenant confirms this very value."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return f"Stimmt der Wert? {self.reason} Bitte prüfen Sie ihn. Wenn er stimmt, bestätigen Sie ihn unten."


# --- meters and what is known of them ---


def meters_of(contract: Contract) -> list[Meter]:
    """The meters of the contract's unit (none without a unit): Heizung, Warmwasser, Kaltwasser, then by number."""
    if not contract.unit_id:
        return []
    meters = Meter.select().where(Meter.unit == contract.unit_id)
    return sorted(meters, key=lambda m: (KIND_ORDER.index(m.kind) if m.kind in KIND_ORDER else 99, m.number, m.id))


def meter_label(meter: Meter) -> str:
    """„Heizung – Zähler 12345678 (kWh)“: how the form and the Meldung name a meter."""
    return f"{Meter.KINDS.get(meter.kind, meter.kind)} – Zähler {meter.number} ({meter.measure})"


def shown(value: Decimal, measure: str = "") -> str:
    """A reading as people read it: 1.234,5 m³ (its own decimals, at most three; none for a whole number)."""
    value = Decimal(value)
    places = min(MAX_PLACES, max(0, -value.normalize().as_tuple().exponent))
    return f"{formatting.number(value, places)} {measure}".strip()


@dataclass(frozen=True)
class KnownReading:
    value: Decimal
    read_on: date
    source: str  # "sent" (a tenant's MeterReading) or "imported" (Consumption.reading at the month's end)
    ticket_number: str = ""  # of a sent one
    confirmed_unusual: bool = False

    @property
    def source_label(self) -> str:
        return "gemeldet" if self.source == "sent" else "Monatsende (Messdienst)"

    def shown_in(self, measure: str) -> str:
        return shown(self.value, measure)


def _sent(meter_id: int, until: date | None, limit: int, counting_only: bool = True) -> list[KnownReading]:
    query = (
        MeterReading.select(MeterReading.value, MeterReading.read_on, MeterReading.confirmed_unusual, Ticket.number)
        .join(Ticket, JOIN.LEFT_OUTER)
        .where(MeterReading.meter == meter_id)
        .order_by(MeterReading.read_on.desc(), MeterReading.id.desc())
        .limit(limit)
    )
    if counting_only:
        query = query.where(Ticket.id.is_null() | Ticket.status.not_in(_NOT_COUNTING))
    if until is not None:
        query = query.where(MeterReading.read_on <= until)
    return [KnownReading(Decimal(value), read_on, "sent", number or "", confirmed)
            for value, read_on, confirmed, number in query.tuples()]


def _imported(meter_id: int, until: date | None, limit: int) -> list[KnownReading]:
    query = (
        Consumption.select(Consumption.reading, Consumption.month)
        .where((Consumption.meter == meter_id) & Consumption.reading.is_null(False))
        .order_by(Consumption.month.desc())
        .limit(limit + 1)  # the month of ``until`` itself may not be over yet
    )
    if until is not None:
        query = query.where(Consumption.month <= until)
    found = [KnownReading(Decimal(reading), clock.month_end(month), "imported") for reading, month in query.tuples()]
    return [known for known in found if until is None or known.read_on <= until][:limit]


def last_known(meter: Meter, on: date) -> KnownReading | None:
    """The newest reading of the meter on or before ``on``: sent by a tenant or imported at a month's end (two
    queries). On the same day the sent one wins: somebody looked at the meter."""
    candidates = _sent(meter.id, on, 1) + _imported(meter.id, on, 1)
    return max(candidates, key=lambda known: (known.read_on, known.source == "sent"), default=None)


def recent_readings(meter_id: int, limit: int = SHOWN_RECENT) -> list[KnownReading]:
    """The meter's latest readings of both kinds, newest first (two queries): what the desk shows, sent ones
    withdrawn or refused included (their Meldung says so)."""
    readings = _sent(meter_id, None, limit, counting_only=False) + _imported(meter_id, None, limit)
    return sorted(readings, key=lambda known: (known.read_on, known.source == "sent"), reverse=True)[:limit]


def usual_daily(meter: Meter, on: date) -> Decimal | None:
    """The meter's average consumption per day in the ``USUAL_MONTHS`` whole months before ``on``'s month, in its
    measure; None with fewer than ``MIN_HISTORY_MONTHS`` months of values (one query)."""
    first = on.replace(day=1)
    rows = list(
        Consumption.select(Consumption.month, Consumption.amount)
        .where((Consumption.meter == meter.id) & (Consumption.measure == meter.measure)
               & (Consumption.month >= clock.add_months(first, -USUAL_MONTHS)) & (Consumption.month < first))
        .tuples()
    )
    if len(rows) < MIN_HISTORY_MONTHS:
        return None
    days = sum(calendar.monthrange(month.year, month.month)[1] for month, _ in rows)
    return sum((Decimal(amount) for _, amount in rows), Decimal(0)) / days


def unusual_reason(meter: Meter, value: Decimal, on: date) -> str | None:
    """Why ``value`` read on ``on`` looks wrong (the module's rule), or None."""
    last = last_known(meter, on)
    if last is None:
        return None
    measure = meter.measure
    if value < last.value:
        return (f"Der Wert ist kleiner als der letzte bekannte Zählerstand {shown(last.value, measure)} "
                f"vom {formatting.german_date(last.read_on)}.")
    daily = usual_daily(meter, on)
    if daily is None:
        return None
    days = max((on - last.read_on).days, 1)
    usual = daily * days
    allowed = max(USUAL_FACTOR * usual, FLOOR.get(measure, Decimal(0)))
    increase = value - last.value
    if increase > allowed:
        return (f"Der Wert liegt {shown(increase.quantize(Decimal('0.001')), measure)} über dem letzten bekannten "
                f"Zählerstand {shown(last.value, measure)} vom {formatting.german_date(last.read_on)}. Üblich wären "
                f"in dieser Zeit etwa {shown(usual.quantize(Decimal(1)), measure)}.")
    return None


# --- checking what the tenant sent ---


def parse_value(text: str) -> Decimal:
    """The reading as typed the German way (1.234,567); raises Invalid({"value": …})."""
    typed = "".join((text or "").split())
    for suffix in ("kWh", "m³", "m3", "Einheiten"):  # a unit typed after the number is what the label says anyway
        typed = typed.removesuffix(suffix)
    if not typed:
        raise Invalid({"value": "Bitte geben Sie den Zählerstand ein."})
    if typed.startswith("-") and _GERMAN_NUMBER.fullmatch(typed[1:]):
        raise Invalid({"value": "Ein Zählerstand ist nie negativ. Bitte geben Sie die Zahl ohne Minus ein."})
    match = _GERMAN_NUMBER.fullmatch(typed) if len(typed) <= 30 else None
    if match is None:
        raise Invalid({"value": "Bitte geben Sie den Zählerstand als Zahl ein, z. B. 1.234,5 (mit Komma)."})
    if match.group(1) and len(match.group(1)) > MAX_PLACES:
        raise Invalid({"value": "Bitte geben Sie höchstens drei Stellen nach dem Komma ein."})
    value = Decimal(typed.replace(".", "").replace(",", "."))  # the pattern let digits, points and a comma through
    if value > MAX_VALUE:
        raise Invalid({"value": f"Der Zählerstand ist zu groß: höchstens {shown(MAX_VALUE)}."})
    return value


def closed_reason(contract: Contract, today: date) -> str | None:
    """Why the contract takes no readings today (None while it does): before its start, and more than
    ``MONTHS_AFTER_END`` months after its end."""
    if contract.start_date > today:
        return (f"Ihr Vertrag beginnt am {formatting.german_date(contract.start_date)}. Ab dann können Sie hier "
                "Zählerstände melden.")
    if contract.end_date and today > clock.add_months(contract.end_date, MONTHS_AFTER_END):
        return (f"Ihr Vertrag endete am {formatting.german_date(contract.end_date)}. Zählerstände zu ihm nehmen wir "
                "hier nur bis drei Monate nach dem Vertragsende an.")
    return None


def date_problem(read_on: date | None, contract: Contract, today: date) -> str | None:
    if read_on is None:
        return "Bitte geben Sie das Ablesedatum ein."
    if read_on > today:
        return "Das Ablesedatum liegt in der Zukunft. Bitte geben Sie den Tag an, an dem Sie abgelesen haben."
    if contract.end_date and read_on > contract.end_date:
        end = formatting.german_date(contract.end_date)
        return (f"Das Ablesedatum liegt nach dem Ende Ihres Vertrags am {end}. "
                f"Bitte geben Sie einen Tag bis zum {end} an.")
    if read_on < contract.start_date:
        return (f"Das Ablesedatum liegt vor dem Beginn Ihres Vertrags am {formatting.german_date(contract.start_date)}."
                " Bitte prüfen Sie das Datum.")
    if read_on < clock.add_months(today, -MAX_AGE_MONTHS):
        return "Das Ablesedatum liegt mehr als drei Jahre zurück. Bitte melden Sie einen aktuellen Zählerstand."
    return None


@dataclass(frozen=True)
class NewReading:
    person: Person  # the contract's party who sends it
    contract: Contract
    meter_id: int | None
    value: str  # as typed
    read_on: date | None
    photo: Attachment | None  # checked by wir.uploads
    created_by: User
    confirmed_value: str | None = None  # the value the tenant confirmed as right after a warning, as typed then
    submission_key: str | None = None
    kept_photo: str = ""  # the form's reference to its PendingUpload (``photo`` is None once that expired)


@dataclass(frozen=True)
class Checked:
    meter: Meter
    value: Decimal
    read_on: date
    photo: Attachment
    unusual: bool


def check(new: NewReading) -> Checked:
    """The reading as it will be filed; raises Invalid (everything wrong at once) or Unusual (not confirmed)."""
    problems = {}
    meter = next((m for m in meters_of(new.contract) if m.id == new.meter_id), None)
    if meter is None:
        problems["meter"] = "Bitte wählen Sie den Zähler aus der Liste."
    try:
        value = parse_value(new.value)
    except Invalid as invalid:
        problems.update(invalid.problems)
    today = clock.today()
    if problem := closed_reason(new.contract, today) or date_problem(new.read_on, new.contract, today):
        problems["read_on"] = problem
    if new.photo is None and new.kept_photo:
        problems["photo"] = PHOTO_AGAIN
    elif new.photo is None:
        problems["photo"] = "Bitte fügen Sie ein Foto des Zählers bei, auf dem der Zählerstand zu lesen ist."
    if problems:
        raise Invalid(problems)
    reason = unusual_reason(meter, value, new.read_on)
    if reason and not _confirmed(new.confirmed_value, value):
        raise Unusual(reason)
    return Checked(meter, value, new.read_on, new.photo, unusual=reason is not None)


def _confirmed(confirmed_value: str | None, value: Decimal) -> bool:
    """Whether the tenant confirmed this very value (a changed value is checked anew)."""
    if not confirmed_value:
        return False
    try:
        return parse_value(confirmed_value) == value
    except Invalid:
        return False


# --- filing ---


def reading_category(cooperative: Cooperative | int) -> TicketCategory:
    """The cooperative's Meldungskategorie for readings; created with its Meldungsart „Zählerstand“ the first time
    it is needed (installations whose Meldungsarten came before it). Two first readings at once create one."""
    cooperative_id = getattr(cooperative, "id", cooperative)
    found = _category_of(cooperative_id)
    if found is not None:
        return found
    with db.write_transaction():
        if not db.is_sqlite():  # SQLite's BEGIN IMMEDIATE already holds the only write lock
            Cooperative.select(Cooperative.id).where(Cooperative.id == cooperative_id).for_update().execute()
        found = _category_of(cooperative_id)
        if found is not None:
            return found
        last = TicketType.select(fn.MAX(TicketType.position)).where(TicketType.cooperative == cooperative_id).scalar()
        ticket_type = TicketType.create(cooperative=cooperative_id, name=TYPE_NAME, position=(last or 0) + 1)
        return TicketCategory.create(ticket_type=ticket_type, name=CATEGORY_NAME, key=KEY, allows_attachments=True,
                                     needs_contract=True)


def _category_of(cooperative_id: int) -> TicketCategory | None:
    return (TicketCategory.select(TicketCategory, TicketType).join(TicketType)
            .where((TicketCategory.key == KEY) & (TicketType.cooperative == cooperative_id))
            .order_by(TicketCategory.id).first())


def submit(new: NewReading) -> Ticket:
    """File the reading: the Meldung (numbered, with its history, receipt and mail, the photo attached), the
    MeterReading and the ERP's change, in one transaction; the pending photo it came from is dropped with it.
    Raises Invalid or Unusual; with the same ``submission_key`` a second call returns the first Meldung and files
    nothing more (even once the first took the pending photo)."""
    if new.submission_key:
        filed = Ticket.get_or_none((Ticket.submission_key == new.submission_key) & (Ticket.person == new.person))
        if filed is not None:
            return filed
    checked = check(new)
    category = reading_category(new.contract.cooperative_id)
    label = meter_label(checked.meter)
    value = shown(checked.value, checked.meter.measure)
    day = formatting.german_date(checked.read_on)
    lines = [f"Zähler: {label}", f"Zählerstand: {value}", f"Ablesedatum: {day}"]
    if checked.unusual:
        lines.append(f"Der Wert weicht vom Üblichen ab; {new.person.full_name} hat bestätigt, dass er stimmt.")
    with db.write_transaction():
        ticket = tickets.submit_request(tickets.NewTicket(
            person=new.person,
            category=category,
            contract=new.contract,
            subject=f"Zählerstand {Meter.KINDS.get(checked.meter.kind, checked.meter.kind)}: {value} am {day}",
            message="\n".join(lines),
            attachments=[checked.photo],
            created_by=new.created_by,
            submission_key=new.submission_key,
        ))
        if not MeterReading.select().where(MeterReading.ticket == ticket).exists():  # not a repeated submission
            reading = MeterReading.create(
                meter=checked.meter, ticket=ticket, person=new.person, value=checked.value, read_on=checked.read_on,
                confirmed_unusual=checked.unusual, created_at=clock.now(), created_by=new.created_by,
            )
            erp_changes.meter_reading(reading, checked.meter, new.contract, ticket, new.created_by)
        discard_pending(new.created_by.id, new.kept_photo)  # the photo is the Meldung's attachment now
    return ticket


# --- the photo waiting for „Stimmt der Wert?“ ---


def keep_pending(user_id: int, photo: Attachment, replacing: str = "") -> str:
    """Keep a checked photo while the form asks a question; returns the form's reference to it (random, and only
    this user's). A photo the form kept before (``replacing``) goes."""
    key = secrets.token_urlsafe(32)
    with db.write_transaction():
        if replacing:
            discard_pending(user_id, replacing)
        PendingUpload.create(key=key, user=user_id, filename=photo.filename, content_type=photo.content_type,
                             content=photo.content, created_at=clock.now())
    return key


def pending_photo(user_id: int, key: str, now: datetime) -> Attachment | None:
    """The photo the user's form kept; None when the reference is empty, another user's, forged or expired."""
    if not key:
        return None
    found = (PendingUpload.select()
             .where((PendingUpload.key == key) & (PendingUpload.user == user_id)
                    & (PendingUpload.created_at > now - timedelta(hours=PENDING_HOURS)))
             .first())
    return Attachment(found.filename, found.content_type, bytes(found.content)) if found else None


def discard_pending(user_id: int, key: str) -> None:
    """The user chose another photo (or none could be checked): the kept one is no longer needed."""
    if key:
        PendingUpload.delete().where((PendingUpload.key == key) & (PendingUpload.user == user_id)).execute()


def prune_pending(now: datetime) -> int:
    """Remove the photos kept longer than ``PENDING_HOURS`` (the worker, hourly); returns how many."""
    return PendingUpload.delete().where(PendingUpload.created_at <= now - timedelta(hours=PENDING_HOURS)).execute()


# --- the desk ---


@dataclass(frozen=True)
class DeskPanel:
    reading: MeterReading  # with its meter and the meter's unit
    photos: list[TicketAttachment]
    recent: list[KnownReading]  # of the meter, newest first, the sent one among them

    @property
    def meter_label(self) -> str:
        return meter_label(self.reading.meter)

    @property
    def value(self) -> str:
        return shown(self.reading.value, self.reading.meter.measure)


def desk_panel(ticket: Ticket) -> DeskPanel | None:
    """What the desk shows of a reading's Meldung (None for any other): four queries, whatever the history."""
    if ticket.category.key != KEY:
        return None
    reading = (MeterReading.select(MeterReading, Meter, Unit).join(Meter).join(Unit)
               .where(MeterReading.ticket == ticket.id).order_by(MeterReading.id).first())
    if reading is None:
        return None
    first_message = TicketMessage.select(fn.MIN(TicketMessage.id)).where(TicketMessage.ticket == ticket.id)
    photos = list(TicketAttachment.select().where(TicketAttachment.message == first_message)  # sent with the reading
                  .order_by(TicketAttachment.id))
    return DeskPanel(reading, photos, recent_readings(reading.meter_id))
