"""Savers' requests to the cooperative: the Steuerbescheinigung of a year, and the Kündigung einer Spareinlage.

Both become tickets in the guide's categories (Meldungen). The Kündigung is checked against the account's
terms (domain-facts §5) and leaves a PDF copy in Dokumente, like every form (applications.send_form):
- a Festzins/Sparbrief runs to the end of its term and cannot be given notice before;
- otherwise the notice period runs from today, the day the notice reaches the cooperative through the portal,
  and ends after ``notice_months`` months (§§ 187, 188 BGB); the money can be paid out the day after;
- on a Spareinlage with the statutory three months' notice up to 2.000 € per account and calendar month can be
  withdrawn without notice (§ 21 Abs. 4 RechKredV). Longer notice periods have no such allowance.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from peewee import fn

from wir import clock
from wir.formatting import german_date, german_month, money
from wir.models import (
    Person,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketCategory,
    TicketType,
    User,
)
from wir.services.documents.applications import SentForm, send_form
from wir.services.documents.certificates import NotOffered, Outcome, category_for
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected
from wir.services.tickets import tickets

TAX_CERTIFICATE_KEY = "tax_certificate"
NOTICE_KEY = "savings_notice"
# the subject names the product as the account does: „Kündigung – Sparbuch 5104711-01“ (docs/glossary.md)
NOTICE_TITLE = "Kündigung"
STATUTORY_NOTICE_MONTHS = 3  # the Spareinlage with the legal minimum: it has the monthly allowance
FREE_PER_MONTH = Decimal("2000.00")  # per account and calendar month, without notice
WITHDRAWALS = ("Auszahlung",)  # the bookings the allowance is used by (a Kündigung is paid after its period)
AHEAD = timedelta(days=366)  # a payout date further after the earliest one is a typing mistake
# where the money goes: the saver names no account here, the cooperative pays to the one it keeps for the savings
PAYOUT_TO = ("Wir überweisen den Betrag auf das Referenzkonto, das für Ihren Sparvertrag bei uns hinterlegt ist. Soll "
             "er auf ein anderes Konto gehen, schreiben Sie uns das bitte unter „Meldungen“ zu dieser Kündigung.")
# the portal sees booked withdrawals only: notices sent but not yet paid out are checked by the cooperative
PENDING_COUNT = ("Kündigungen und Auszahlungen, die Sie schon beauftragt haben und die noch nicht gebucht sind, "
                 "rechnen wir für ihren Monat auf die frei verfügbaren 2.000 € an; wir prüfen das vor der Auszahlung.")


def accounts_of(person: Person) -> list[SavingsAccount]:
    return list(SavingsAccount.select().where(SavingsAccount.person == person).order_by(SavingsAccount.number))


# --- Steuerbescheinigung ---


def tax_years(person: Person, today: date | None = None) -> list[int]:
    """The finished years in which the person had bookings on a savings account, newest first.

    The certificate is made after the end of the year, so the running year is not among them.
    """
    today = today or clock.today()
    first, last = (
        SavingsTransaction.select(fn.MIN(SavingsTransaction.booking_date), fn.MAX(SavingsTransaction.booking_date))
        .join(SavingsAccount)
        .where(SavingsAccount.person == person)
        .tuples()
        .get()
    )
    if first is None:
        return []
    return list(range(min(last.year, today.year - 1), first.year - 1, -1))


def tax_certificate_subject(year: int) -> str:
    return f"Antrag auf Zusendung der Steuerbescheinigung {year}"


def open_tax_request(person: Person, year: int) -> Ticket | None:
    """The person's open request for the year's certificate, if there is one."""
    return Ticket.select().where(
        (Ticket.person == person)
        & (Ticket.subject == tax_certificate_subject(year))
        & Ticket.status.in_(Ticket.OPEN_STATUSES)
    ).first()


def open_tax_requests(person: Person) -> list[Ticket]:
    """The person's open requests in the Steuerbescheinigung category, newest first, whatever their subject (a request
    typed as a Meldung names its year in its own words): the form lists them so that nobody asks twice."""
    return list(
        Ticket.select().join(TicketCategory).join(TicketType)
        .where((Ticket.person == person) & (TicketCategory.key == TAX_CERTIFICATE_KEY)
               & (TicketType.cooperative == person.cooperative_id) & Ticket.status.in_(Ticket.OPEN_STATUSES))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )


def request_tax_certificate(person: Person, year: int, user: User, submission_key: str | None = None) -> Ticket:
    """File the request for ``year``'s Steuerbescheinigung; raises Rejected (a year without savings, the running
    or a future year, an open request for that year already) or NotOffered (the cooperative has no such category).

    Sending the same form twice (same ``submission_key``) returns the first ticket.
    """
    category = category_for(person.cooperative_id, TAX_CERTIFICATE_KEY)
    if category is None:
        raise NotOffered(TAX_CERTIFICATE_KEY)
    if submission_key:
        earlier = Ticket.get_or_none(Ticket.submission_key == submission_key)
        if earlier is not None:
            return earlier
    today = clock.today()
    if year >= today.year:
        raise Rejected("year", f"Die Steuerbescheinigung für {year} erstellen wir nach dem Ende des Jahres. "
                               "Bitte wählen Sie ein vergangenes Jahr.")
    if year not in tax_years(person, today):
        raise Rejected("year", f"Im Jahr {year} hatten Sie bei uns keine Sparverträge mit Umsätzen.")
    existing = open_tax_request(person, year)
    if existing is not None:
        raise Rejected("year", f"Ihre Anfrage für {year} liegt uns bereits vor (Meldung {existing.number}). "
                               "Sie finden sie unter „Meldungen“.")
    accounts = ", ".join(f"{a.product} {a.number}" for a in accounts_of(person))
    return tickets.create_ticket(tickets.NewTicket(
        person=person,
        category=category,
        subject=tax_certificate_subject(year),
        message=f"Bitte senden Sie mir die Steuerbescheinigung für das Jahr {year} zu.\n\nSparverträge: {accounts}",
        created_by=user,
        submission_key=submission_key,
    ))


# --- Kündigung einer Spareinlage ---


@dataclass(frozen=True)
class NoticeTerms:
    """What the account allows from ``today``."""

    today: date
    notice_months: int
    fixed_until: date | None  # a fixed term still running: no notice before this day
    notice_ends: date | None  # a notice given today ends with this day (None: the account has no period)
    earliest: date  # the first day any amount can be paid out
    free_amount: Decimal | None  # left without notice this calendar month; None: the account has no allowance
    closed_on: date | None = None  # the account is aufgelöst

    @property
    def refusal(self) -> str | None:
        """Why the account cannot be given notice at all, or None."""
        if self.closed_on is not None:
            return (f"Dieser Sparvertrag ist seit dem {german_date(self.closed_on)} aufgelöst. Es gibt nichts mehr "
                    "zu kündigen; seine Umsätze und Kontoauszüge können Sie weiter ansehen.")
        if self.fixed_until is None:
            return None
        return (f"Ihr Sparvertrag läuft mit festem Zins bis zum {german_date(self.fixed_until)}. Vor dem Ende der "
                "Laufzeit kann er nicht gekündigt werden – dafür ist der Zins für die ganze Laufzeit fest. "
                "Zum Ende der Laufzeit zahlen wir Ihnen das Guthaben mit den Zinsen aus; Sie müssen dafür "
                "nichts tun.")


def free_left(account: SavingsAccount, day: date) -> Decimal:
    """What of the 2.000 € is left in ``day``'s calendar month after the withdrawals booked in it."""
    start, end = clock.month_start(day), clock.month_end(day)
    withdrawn = (
        SavingsTransaction.select(fn.SUM(SavingsTransaction.amount))
        .where((SavingsTransaction.account == account) & SavingsTransaction.kind.in_(WITHDRAWALS)
               & SavingsTransaction.booking_date.between(start, end) & (SavingsTransaction.amount < 0))
        .scalar()
    )
    return max(FREE_PER_MONTH + Decimal(withdrawn or 0), Decimal("0.00"))


def notice_terms(account: SavingsAccount, today: date | None = None) -> NoticeTerms:
    today = today or clock.today()
    if account.closed_by(today):
        return NoticeTerms(today, account.notice_months, None, None, today, None, closed_on=account.closed_on)
    if account.matures_on is not None:
        running = account.matures_on > today
        return NoticeTerms(today, account.notice_months, account.matures_on if running else None, None,
                           account.matures_on if running else today, None)
    if not account.notice_months:
        return NoticeTerms(today, 0, None, None, today, None)
    ends = clock.add_months(today, account.notice_months)
    free = free_left(account, today) if account.notice_months == STATUTORY_NOTICE_MONTHS else None
    return NoticeTerms(today, account.notice_months, None, ends, ends + timedelta(days=1), free)


@dataclass(frozen=True)
class SavingsNotice:
    amount: Decimal | None  # None with whole_balance
    whole_balance: bool  # the whole balance: the account is closed
    payout_on: date | None


def _months(count: int) -> str:
    return f"{count} {'Monat' if count == 1 else 'Monaten'}"


def _check(account: SavingsAccount, notice: SavingsNotice, terms: NoticeTerms) -> tuple[Decimal, str]:
    """The amount to pay out and how the notice period is kept; raises Rejected."""
    if terms.refusal:
        raise Rejected("account", terms.refusal)
    balance = account.balance
    if balance <= 0:
        raise Rejected("amount", "Auf diesem Sparvertrag ist kein Guthaben, das wir auszahlen könnten.")
    amount = balance if notice.whole_balance else notice.amount
    if amount is None:
        raise Rejected("amount", "Bitte geben Sie den Betrag an oder wählen Sie „Gesamtes Guthaben“.")
    if amount <= 0:
        raise Rejected("amount", "Der Betrag muss größer als 0,00 € sein.")
    if amount > balance:
        raise Rejected("amount", f"Der Betrag ist höher als Ihr Guthaben von {money(balance)}.")
    payout_on = notice.payout_on
    if payout_on is None:
        raise Rejected("payout_on", "Bitte geben Sie an, zu welchem Tag wir auszahlen sollen.")
    if payout_on < terms.today:
        raise Rejected("payout_on", "Der Termin darf nicht in der Vergangenheit liegen.")
    if payout_on > terms.earliest + AHEAD:
        raise Rejected("payout_on", "Der Termin darf höchstens ein Jahr nach dem frühestmöglichen Termin "
                                    f"({german_date(terms.earliest)}) liegen.")
    if payout_on >= terms.earliest:
        if account.matures_on is not None:
            return amount, f"keine: die feste Laufzeit endete am {german_date(account.matures_on)}"
        if terms.notice_ends is None:
            return amount, "keine"
        return amount, (f"{_months(terms.notice_months)}, vom {german_date(terms.today)} bis "
                        f"{german_date(terms.notice_ends)}")
    earliest = (f"Wegen der Kündigungsfrist von {_months(terms.notice_months)} ist der "
                f"{german_date(terms.earliest)} der früheste Termin")
    if terms.free_amount is None:
        raise Rejected("payout_on", f"{earliest}.")
    free = free_left(account, payout_on)
    if amount > free:
        raise Rejected("payout_on", f"{earliest} für diesen Betrag. Ohne Kündigung können Sie bis zu "
                                    f"{money(FREE_PER_MONTH)} im Kalendermonat abheben; im {german_month(payout_on)} "
                                    f"sind davon noch {money(free)} frei.")
    return amount, (f"ohne Kündigungsfrist: bis zu {money(FREE_PER_MONTH)} im Kalendermonat frei verfügbar "
                    f"(im {german_month(payout_on)} noch {money(free)})")


def give_notice(account: SavingsAccount, notice: SavingsNotice, user: User,
                submission_key: str | None = None) -> Outcome:
    """File the Kündigung as a ticket with its PDF copy in Dokumente; raises Rejected (nothing saved then) or
    NotOffered. Sending the same form twice (same ``submission_key``) returns the first ticket."""
    person = Person.get_by_id(account.person_id)
    category = category_for(person.cooperative_id, NOTICE_KEY)
    if category is None:
        raise NotOffered(NOTICE_KEY)
    if submission_key:
        earlier = Ticket.get_or_none(Ticket.submission_key == submission_key)
        if earlier is not None:
            return Outcome(ticket=earlier)
    terms = notice_terms(account)
    amount, period = _check(account, notice, terms)
    closing = notice.whole_balance or amount == account.balance
    shown_amount = (f"das gesamte Guthaben, zurzeit {money(account.balance)}; der Sparvertrag wird aufgelöst"
                    if closing else money(amount))
    label = f"{account.product} {account.number}"
    notes = ["Wir prüfen Ihre Kündigung und bestätigen Ihnen den Auszahlungstermin unter „Meldungen“.", PAYOUT_TO]
    if notice.payout_on < terms.earliest:  # within the monthly allowance
        notes.append(PENDING_COUNT)
    if closing:
        notes.append("Bei einer Auflösung schreiben wir Ihnen die Zinsen bis zum Auszahlungstag gut; ausgezahlt "
                     "wird das Guthaben an diesem Tag, nach Abzug der gegebenenfalls fälligen Steuern.")
    return send_form(SentForm(
        person=person,
        contract=None,
        contract_label=label,
        category=category,
        title=f"{NOTICE_TITLE} – {label}",
        lines=[
            ("Sparvertrag", label),
            ("Betrag", shown_amount),
            ("Auszahlung zum", german_date(notice.payout_on)),
            ("Kündigungsfrist", period),
        ],
        notes=tuple(notes),
        filed=lambda ticket: erp_changes.savings_notice(
            account, whole_balance=closing, amount=amount, given_on=terms.today, payout_on=notice.payout_on,
            ticket=ticket, by=user),
    ), user, submission_key)
