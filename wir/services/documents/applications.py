"""Formulare: applications filled in the portal and sent to the cooperative.

Each one files a ticket in its category (Meldungen) and puts a PDF copy of what was
sent into the sender's Dokumente, both in one transaction: a copy never exists without
its ticket, nor a ticket without its copy.
"""

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, timedelta

from wir import clock, db, storage
from wir.formatting import counted, german_date
from wir.models import Contract, Cooperative, Person, Ticket, TicketCategory, User
from wir.services import scope
from wir.services.documents import documents
from wir.services.documents.certificates import (
    NotOffered,
    Outcome,
    category_for,
    party_names,
)
from wir.services.rejections import Rejected
from wir.services.text import require_printable
from wir.services.tickets import tickets

HOUSEHOLD_CHANGE_BACK = timedelta(days=90)  # a change may be reported this long after it happened
AHEAD = timedelta(days=366)  # dates further ahead are typing mistakes


# --- the notice period of a Nutzungsvertrag (§ 573c Abs. 1 BGB) ---


def _easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm): Good Friday, Ascension and Whit Monday follow from it."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays(year: int) -> set[date]:
    """Public holidays in Saxony, where both cooperatives are."""
    easter = _easter(year)
    repentance = date(year, 11, 22)  # Buß- und Bettag: the Wednesday before 23 November
    while repentance.weekday() != 2:
        repentance -= timedelta(days=1)
    fixed = [(1, 1), (5, 1), (10, 3), (10, 31), (12, 25), (12, 26)]
    return {date(year, m, d) for m, d in fixed} | {
        easter - timedelta(days=2), easter + timedelta(days=1), easter + timedelta(days=39),
        easter + timedelta(days=50), repentance,
    }


def _third_working_day(year: int, month: int) -> date:
    """The third Werktag of a month; Saturdays do not count for the notice (BGH VIII ZR 206/04)."""
    day, count, closed = date(year, month, 1), 0, holidays(year)
    while True:
        if day.weekday() < 5 and day not in closed:
            count += 1
            if count == 3:
                return day
        day += timedelta(days=1)


def _month_end(year: int, month: int) -> date:
    """Last day of ``month`` (which may run past 12)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


@dataclass(frozen=True)
class NoticeDates:
    deadline: date  # the signed notice must be with us by this day …
    earliest_end: date  # … for the contract to end on this day


def notice_dates(today: date) -> NoticeDates:
    """A tenant's notice received by the 3rd Werktag of a month ends the contract at the end of the month after next."""
    deadline = _third_working_day(today.year, today.month)
    if today <= deadline:
        return NoticeDates(deadline, _month_end(today.year, today.month + 2))
    next_month = _month_end(today.year, today.month) + timedelta(days=1)
    return NoticeDates(_third_working_day(next_month.year, next_month.month),
                       _month_end(next_month.year, next_month.month + 2))


# --- the applications ---


def _not_past(field_name: str, value: date, today: date, what: str) -> None:
    if value < today:
        raise Rejected(field_name, f"{what} darf nicht in der Vergangenheit liegen.")
    if value > today + AHEAD:
        raise Rejected(field_name, f"{what} darf höchstens ein Jahr in der Zukunft liegen.")


def _full_name(field_name: str, value: str) -> None:
    if len(value.split()) < 2:
        raise Rejected(field_name, "Bitte geben Sie Vor- und Nachnamen an.")


@dataclass(frozen=True)
class SubletApplication:
    """Antrag auf Untervermietung (§ 553 BGB: consent needed, with a legitimate interest)."""

    subtenant_name: str
    subtenant_birth_date: date
    start: date
    end: date | None
    rooms: str
    reason: str

    def check(self, contract: Contract, today: date) -> None:
        _full_name("subtenant_name", self.subtenant_name)
        if not date(today.year - 120, 1, 1) <= self.subtenant_birth_date < today:
            raise Rejected("subtenant_birth_date", "Bitte prüfen Sie das Geburtsdatum.")
        _not_past("start", self.start, today, "Der Beginn der Untervermietung")
        if self.end is not None and self.end <= self.start:
            raise Rejected("end", "Das Ende muss nach dem Beginn liegen.")

    def lines(self) -> list[tuple[str, str]]:
        period = f"ab {german_date(self.start)}" + (f" bis {german_date(self.end)}" if self.end else ", unbefristet")
        return [
            ("Untermieter/in", self.subtenant_name),
            ("Geburtsdatum", german_date(self.subtenant_birth_date)),
            ("Zeitraum", period),
            ("Räume", self.rooms),
            ("Grund", self.reason),
        ]


@dataclass(frozen=True)
class PetApplication:
    """Antrag auf Haustierhaltung (small animals need no consent; the form says so)."""

    animal: str
    count: int
    remark: str = ""

    def check(self, contract: Contract, today: date) -> None:
        if not 1 <= self.count <= 10:
            raise Rejected("count", "Bitte geben Sie eine Anzahl von 1 bis 10 an.")

    def lines(self) -> list[tuple[str, str]]:
        return [("Tierart", self.animal), ("Anzahl", str(self.count)), ("Weitere Angaben", self.remark)]


@dataclass(frozen=True)
class HouseholdChange:
    """Änderung der Personenzahl: it changes the Betriebskosten distributed per person."""

    household_size: int
    effective: date
    moving_in: str = ""
    moving_out: str = ""
    remark: str = ""

    def check(self, contract: Contract, today: date) -> None:
        if not 1 <= self.household_size <= 20:
            raise Rejected("household_size", "Bitte geben Sie eine Personenzahl von 1 bis 20 an.")
        if self.household_size == contract.household_size:
            verb = "ist" if self.household_size == 1 else "sind"
            raise Rejected("household_size", f"Bei uns {verb} bereits "
                                             f"{counted(self.household_size, 'Person', 'Personen')} eingetragen.")
        if self.effective < today - HOUSEHOLD_CHANGE_BACK:
            raise Rejected("effective", "Das Datum darf höchstens drei Monate zurückliegen. "
                                        "Für ältere Änderungen sprechen Sie uns bitte an.")
        if self.effective > today + AHEAD:
            raise Rejected("effective", "Das Datum darf höchstens ein Jahr in der Zukunft liegen.")
        if not (self.moving_in.strip() or self.moving_out.strip()):
            raise Rejected("moving_in", "Bitte nennen Sie, wer einzieht oder wer auszieht.")

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("Neue Personenzahl", str(self.household_size)),
            ("Gültig ab", german_date(self.effective)),
            ("Eingezogen", self.moving_in),
            ("Ausgezogen", self.moving_out),
            ("Bemerkung", self.remark),
        ]


@dataclass(frozen=True)
class Termination:
    """Kündigung des Nutzungsvertrags: in writing, signed by every party (§ 568 BGB)."""

    end_date: date
    new_address: str = ""
    all_agree: bool = False

    def check(self, contract: Contract, today: date) -> None:
        earliest = notice_dates(today).earliest_end
        if self.end_date < earliest:
            raise Rejected("end_date", f"Wegen der Kündigungsfrist ist der {german_date(earliest)} der früheste "
                                       "mögliche Termin.")
        if self.end_date != _month_end(self.end_date.year, self.end_date.month):
            raise Rejected("end_date", "Ein Nutzungsvertrag endet mit Ablauf eines Monats. "
                                       "Bitte wählen Sie den letzten Tag eines Monats.")
        if self.end_date > today + AHEAD:
            raise Rejected("end_date", "Das Datum darf höchstens ein Jahr in der Zukunft liegen.")
        if not self.all_agree:
            raise Rejected("all_agree", "Bitte bestätigen Sie, dass alle Vertragspartner der Kündigung zustimmen.")

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("Kündigung zum", german_date(self.end_date)),
            ("Neue Anschrift", self.new_address),
            ("Zustimmung", "Alle Vertragspartner stimmen der Kündigung zu."),
        ]


@dataclass(frozen=True)
class ApplicationKind:
    slug: str
    title: str
    category_key: str  # TicketCategory.key it is filed under
    application: type
    description: str


KINDS = {
    kind.slug: kind
    for kind in (
        ApplicationKind("untervermietung", "Antrag auf Untervermietung", "sublet", SubletApplication,
                        "Sie möchten einen Teil Ihrer Wohnung untervermieten."),
        ApplicationKind("haustierhaltung", "Antrag auf Haustierhaltung", "pets", PetApplication,
                        "Sie möchten einen Hund, eine Katze oder ein anderes größeres Tier halten."),
        ApplicationKind("personenzahl", "Änderung der Personenzahl", "household", HouseholdChange,
                        "Jemand zieht bei Ihnen ein oder aus."),
        ApplicationKind("kuendigung", "Kündigung des Nutzungsvertrags", "termination", Termination,
                        "Sie möchten Ihre Wohnung kündigen."),
    )
}
CONTRACT_KIND = "rental"  # every form concerns the flat


def application_kind(slug: str, contract: Contract) -> ApplicationKind:
    kind = KINDS.get(slug)
    today = clock.today()
    ended = contract.end_date is not None and contract.end_date < today
    if kind is None or contract.kind != CONTRACT_KIND or ended or category_for(contract.cooperative_id,
                                                                                 kind.category_key) is None:
        raise NotOffered(slug)
    return kind


def applications_for(contract: Contract) -> list[ApplicationKind]:
    return list(KINDS.values()) if contract.kind == CONTRACT_KIND else []


def submit(
    slug: str,
    person: Person,
    contract: Contract,
    application,
    user: User,
    submission_key: str | None = None,
) -> Outcome:
    """File the ticket and keep the copy; raises NotOffered, Rejected (nothing is saved then).

    Sending the same form twice (same ``submission_key``) returns the first ticket and no second copy.
    """
    kind = application_kind(slug, contract)
    if not isinstance(application, kind.application):
        raise TypeError(f"{slug} expects {kind.application.__name__}")
    if submission_key:
        earlier = Ticket.get_or_none(Ticket.submission_key == submission_key)
        if earlier is not None:
            return Outcome(ticket=earlier)
    today = clock.today()
    for item in fields(application):
        value = getattr(application, item.name)
        if isinstance(value, str):
            require_printable(item.name, value)
    application.check(contract, today)
    signatures = party_names(contract) if isinstance(application, Termination) else []
    return send_form(SentForm(
        person=person,
        contract=contract,
        contract_label=scope.contract_label(contract),
        category=category_for(contract.cooperative_id, kind.category_key),
        title=kind.title,
        lines=application.lines(),
        notes=tuple(_notes(application, signatures)),
        signatures=tuple(signatures),
    ), user, submission_key)


@dataclass(frozen=True)
class SentForm:
    """A checked form as it goes to the cooperative: its ticket's category and its PDF copy's content."""

    person: Person
    contract: Contract | None
    contract_label: str  # what the copy names as the contract ("Sparbuch 5104711-01" for a savings account)
    category: TicketCategory
    title: str  # the ticket's subject and the copy's heading
    lines: list[tuple[str, str]]  # label, value as entered
    notes: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()
    filed: Callable[[Ticket], object] | None = None  # called with the ticket in its transaction (erp_export)


def send_form(sent: SentForm, user: User, submission_key: str | None = None) -> Outcome:
    """File the form's ticket and keep its PDF copy in the sender's Dokumente, in one transaction.

    The caller checked the form and returned the earlier ticket for a ``submission_key`` already used.
    """
    from wir.pdf import form_copy  # fpdf, ~22 MB: loaded when needed

    person = sent.person
    today = clock.today()
    lines = [(label, value.strip()) for label, value in sent.lines]
    cooperative = Cooperative.get_by_id(person.cooperative_id)
    number = documents.new_number(cooperative)
    submitted_at = clock.to_local(clock.now()).replace(tzinfo=None)
    pdf = form_copy.build(form_copy.FormCopy(
        letterhead=documents.letterhead(cooperative),
        number=number,
        issued_on=today,
        title=sent.title,
        submitted_at=submitted_at,
        sender=person.full_name,
        sender_address=f"{person.street}, {person.postcode} {person.city}",
        contract_label=sent.contract_label,
        fields=tuple((label, value or "–") for label, value in lines),
        notes=sent.notes,
        signatures=sent.signatures,
    ))
    message = "\n".join(f"{label}: {value or '–'}" for label, value in lines)
    message += f"\n\nEine Kopie dieses Formulars liegt in den Dokumenten des Mitglieds (Dokument-Nr. {number})."
    storage.store(pdf)  # the file first: no disk writes while the transaction holds the write lock
    with db.write_transaction():
        ticket = tickets.create_ticket(tickets.NewTicket(
            person=person,
            category=sent.category,
            subject=sent.title,
            message=message,
            contract=sent.contract,
            created_by=user,
            submission_key=submission_key,
        ))
        if sent.filed is not None:
            sent.filed(ticket)
        document = documents.store_document(
            person, sent.contract, "form", f"{sent.title} vom {german_date(today)}", pdf, user, number=number
        )
    return Outcome(document=document, ticket=ticket)


def _notes(application, signatures: list[str]) -> list[str]:
    if not isinstance(application, Termination):
        return ["Wir prüfen Ihren Antrag und antworten Ihnen unter „Meldungen“."]
    deadline = notice_dates(clock.today()).deadline
    return [
        "Wichtig: Eine Kündigung ist erst wirksam, wenn sie schriftlich und von allen Vertragspartnern "
        f"({', '.join(signatures)}) unterschrieben bei uns eingeht. Bitte drucken Sie diese Seite aus, lassen Sie "
        "sie von allen unterschreiben und senden Sie sie uns zu oder geben Sie sie in unserer Geschäftsstelle ab.",
        f"Damit die Kündigung zum frühestmöglichen Termin wirkt, muss sie spätestens am {german_date(deadline)} "
        "bei uns sein.",
    ]
