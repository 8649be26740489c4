"""Jahreskontoauszug: a savings account's year as a PDF, made on request from the booked Umsätze.

Not kept in Dokumente: it is the same PDF whenever it is made (the bookings do not change once booked),
so storing one per download would only fill the inbox. The queries do not grow with the bookings:
the first and last booking date, the balance before the year, the year's bookings.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wir import clock
from wir.formatting import percent
from wir.models import Cooperative, Person, SavingsAccount, SavingsTransaction
from wir.services.documents import documents
from wir.services.savings import savings

# what the summary sums, in this order; interest and taxes always appear, other kinds when booked
TOTAL_LABELS = {
    "Einzahlung": "Einzahlungen",
    "Auszahlung": "Auszahlungen",
    "Kündigung": "Auszahlungen nach Kündigung",
    "Vorschusszins": "Vorschusszinsen",
    "Zinsgutschrift": "Zinsgutschriften",
    "KapESt": "Kapitalertragsteuer (einbehalten)",
    "Soli": "Solidaritätszuschlag (einbehalten)",
    "KiSt": "Kirchensteuer (einbehalten)",
}
ALWAYS_SHOWN = ("Zinsgutschrift", "KapESt", "Soli", "KiSt")
ORDER = (SavingsTransaction.booking_date, SavingsTransaction.id)


def statement_years(account: SavingsAccount) -> list[int]:
    """The years from the first to the last booking, newest first: the statements there are."""
    dates = SavingsTransaction.select(SavingsTransaction.booking_date).where(SavingsTransaction.account == account)
    first = dates.order_by(SavingsTransaction.booking_date).limit(1).scalar()
    if first is None:
        return []
    last = dates.order_by(SavingsTransaction.booking_date.desc()).limit(1).scalar()
    return list(range(min(last.year, clock.today().year), first.year - 1, -1))


@dataclass(frozen=True)
class YearSummary:
    """A year of an account in numbers (what the PDF prints)."""

    start: date
    end: date
    opening: Decimal
    closing: Decimal
    bookings: list[SavingsTransaction]
    totals: dict[str, Decimal]  # per kind, as booked: withheld taxes are negative


def year_summary(account: SavingsAccount, year: int) -> YearSummary | None:
    """The account's ``year`` up to its end or today; None when the account had no bookings by then."""
    today = clock.today()
    if year > today.year:
        return None
    start, end = date(year, 1, 1), min(date(year, 12, 31), today)
    of_account = SavingsTransaction.select().where(SavingsTransaction.account == account)
    before = (of_account.where(SavingsTransaction.booking_date < start)
              .order_by(*[key.desc() for key in ORDER]).first())
    bookings = list(of_account.where(SavingsTransaction.booking_date.between(start, end)).order_by(*ORDER))
    if before is None and not bookings:
        return None
    opening = before.balance_after if before is not None else Decimal("0.00")
    totals = {kind: Decimal("0.00") for kind in ALWAYS_SHOWN}
    for booking in bookings:
        totals[booking.kind] = totals.get(booking.kind, Decimal("0.00")) + booking.amount
    closing = bookings[-1].balance_after if bookings else opening
    return YearSummary(start, end, opening, closing, bookings, totals)


def statement_pdf(account: SavingsAccount, year: int) -> bytes | None:
    """The Kontoauszug of ``year`` as PDF, or None for a year outside the account's bookings."""
    from wir.pdf import savings_statement  # fpdf, ~22 MB: loaded when needed

    if year not in statement_years(account):
        return None
    summary = year_summary(account, year)
    if summary is None:
        return None
    person = Person.get_by_id(account.person_id)
    cooperative = Cooperative.get_by_id(person.cooperative_id)
    ordered = sorted(summary.totals, key=lambda kind: list(TOTAL_LABELS).index(kind) if kind in TOTAL_LABELS
                     else len(TOTAL_LABELS))
    return savings_statement.build(savings_statement.AccountStatement(
        letterhead=documents.letterhead(cooperative),
        number=f"KA-{account.number}-{year}",
        issued_on=clock.today(),
        recipient=(person.full_name, person.street, f"{person.postcode} {person.city}"),
        holder=person.full_name,
        product=account.product,
        account_number=account.number,
        interest_rate=f"{percent(account.interest_rate)} p. a.",
        period_start=summary.start,
        period_end=summary.end,
        opening=summary.opening,
        closing=summary.closing,
        bookings=tuple(
            savings_statement.Booking(b.booking_date, b.value_date, savings.kind_label(b.kind), b.amount,
                                      b.balance_after)
            for b in summary.bookings
        ),
        totals=tuple((TOTAL_LABELS.get(kind, savings.kind_label(kind)), summary.totals[kind]) for kind in ordered),
    ))


def filename(account: SavingsAccount, year: int) -> str:
    return f"Kontoauszug_{account.number}_{year}.pdf"
