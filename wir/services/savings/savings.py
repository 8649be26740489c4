"""Sparen: a saver's accounts with their total, and an account's Umsätze chosen by year, period and kind,
a page at a time or all of them as CSV for German Excel."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from wir import clock, pagination
from wir.formatting import german_date, number
from wir.models import SavingsAccount, SavingsTransaction

# the order of the Umsätze, newest first; the id keeps bookings of one day apart
KEYS = (SavingsTransaction.booking_date, SavingsTransaction.id)
CSV_HEADER = ("Buchungstag", "Wertstellung", "Art", "Betrag (EUR)", "Kontostand nach Buchung (EUR)")


@dataclass(frozen=True)
class Overview:
    accounts: list[SavingsAccount]  # the running ones
    total: Decimal
    closed: list[SavingsAccount]  # aufgelöst: their Umsätze and Kontoauszüge stay readable (the tax return)


def overview(accounts, today: date | None = None) -> Overview:
    """The running accounts with the sum of their balances, and the closed ones apart."""
    today = today or clock.today()
    accounts = list(accounts)
    running = [account for account in accounts if not account.closed_by(today)]
    closed = [account for account in accounts if account.closed_by(today)]
    return Overview(running, sum((account.balance for account in running), Decimal("0.00")), closed)


@dataclass(frozen=True)
class Selection:
    """Which Umsätze: a calendar year or a period (each end optional), and a kind (SavingsTransaction.KINDS)."""

    year: int | None = None
    start: date | None = None
    end: date | None = None
    kind: str | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.year, self.start, self.end, self.kind))

    def bounds(self) -> tuple[date | None, date | None]:
        if self.year is not None:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        return self.start, self.end


def years_of(account: SavingsAccount) -> list[int]:
    """The years the account has existed in, newest first: the choices of the year filter."""
    return list(range(clock.today().year, account.opened_on.year - 1, -1))


def transactions_of(account: SavingsAccount, selection: Selection):
    """The account's Umsätze in the selection, unordered (a query for pagination.slice_at or csv_lines)."""
    query = SavingsTransaction.select().where(SavingsTransaction.account == account)
    start, end = selection.bounds()
    if start is not None:
        query = query.where(SavingsTransaction.booking_date >= start)
    if end is not None:
        query = query.where(SavingsTransaction.booking_date <= end)
    if selection.kind is not None:
        query = query.where(SavingsTransaction.kind == selection.kind)
    return query


def page_of(account: SavingsAccount, selection: Selection, size: int, after=None, before=None) -> pagination.Slice:
    """One page of the selected Umsätze, newest first, after or before a position (see pagination.slice_at)."""
    return pagination.slice_at(transactions_of(account, selection), KEYS, size, after=after, before=before)


def kind_label(kind: str) -> str:
    return SavingsTransaction.KINDS.get(kind, kind)


def csv_filename(account: SavingsAccount, selection: Selection) -> str:
    start, end = selection.bounds()
    period = f"-{selection.year}" if selection.year else "".join(f"-{day.isoformat()}" for day in (start, end) if day)
    return f"umsaetze-{account.number}{period}.csv"


def csv_lines(account: SavingsAccount, selection: Selection, rows_per_chunk: int = 1000) -> Iterator[str]:
    """The selected Umsätze, newest first, as CSV that German Excel opens as it is: a byte order mark,
    semicolons, decimal commas, dates as 31.12.2025. Yields a chunk of lines at a time, reading the rows as it goes."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_HEADER)
    columns = (SavingsTransaction.booking_date, SavingsTransaction.value_date, SavingsTransaction.kind,
               SavingsTransaction.amount, SavingsTransaction.balance_after)
    rows = (transactions_of(account, selection).select(*columns)
            .order_by(*[key.desc() for key in KEYS]).tuples().iterator())
    for count, (booked, valued, kind, amount, balance_after) in enumerate(rows, 1):
        writer.writerow((german_date(booked), german_date(valued), kind_label(kind), number(amount, 2),
                         number(balance_after, 2)))
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
