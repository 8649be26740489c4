"""`flask seed-demo --size large`: the demo plus data at a real cooperative's scale, checked here at 1 %."""

import hashlib
from collections import Counter
from decimal import Decimal

import pytest
from peewee import fn
from stdnum import iban
from stdnum.de import idnr

from wir import clock, demo, storage
from wir.demo import generator
from wir.demo.generator import BIG_ACCOUNT, DEMO_SHARE, LARGE
from wir.demo.tables import ELSTERAUE, LIPSIA
from wir.models import (
    BankAccount,
    Contract,
    ContractParty,
    Cooperative,
    Document,
    ExemptionOrder,
    Person,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketMessage,
    TicketStatusChange,
    Unit,
    User,
)
from wir.services.tickets import tickets

SCALE = 0.01


@pytest.fixture
def large(app, data):
    """The demo with 1 % of the large data beside it; returns the rows written per table."""
    before = {model: model.select().count() for model in (Ticket, Document, Person)}
    written = generator.generate(clock.now(), clock.today(), SCALE)
    return before, written


def of(slug):
    return Cooperative.get(Cooperative.slug == slug)


def test_sizes_are_the_large_ones_scaled(large):
    before, _written = large
    for slug in (LIPSIA, ELSTERAUE):
        size = LARGE[slug].scaled(SCALE)
        coop = of(slug)
        units = Unit.select().where(Unit.cooperative == coop).count()
        assert units >= size.flats + size.parking_spaces
        persons = Person.select().where(Person.cooperative == coop).count()
        assert size.persons <= persons <= size.persons + 10  # the demo's few on top
        contracts = Contract.select().where(Contract.cooperative == coop).count()
        assert size.rentals + size.parking_contracts + size.memberships <= contracts
        assert Ticket.select().where(Ticket.cooperative == coop).count() >= size.tickets
    assert Document.select().count() - before[Document] == sum(
        LARGE[slug].scaled(SCALE).documents for slug in LARGE) + sum(documents for _t, documents in DEMO_SHARE.values())
    assert Ticket.select().count() - before[Ticket] == sum(
        LARGE[slug].scaled(SCALE).tickets for slug in LARGE) + sum(count for count, _d in DEMO_SHARE.values())
    # the whole large size: at least 500,000 Umsätze over 5,000 accounts of 3,500 savers, one with 100,000
    full = LARGE[LIPSIA]
    assert full.bookings + BIG_ACCOUNT[2] >= 500_000 and full.savings_accounts == 5000 and full.savers == 3500
    assert (full.persons, full.flats + full.parking_spaces, full.tickets, full.documents) == (9500, 8000, 30000, 50000)
    assert full.rentals + full.parking_contracts + full.memberships == 12000
    assert LARGE[ELSTERAUE].flats + LARGE[ELSTERAUE].parking_spaces == 1400


def test_demo_tenants_get_a_households_share_and_keep_their_logins(large, demo_logins):
    juergen = Person.get(Person.number == "104711")
    assert Ticket.select().where(Ticket.person == juergen).count() >= 40
    assert Document.select().where(Document.person == juergen).count() >= 200
    for tenant in demo_logins["tenants"]:
        assert User.get(User.email == tenant["email"]).persons.count() == len(tenant["cooperatives"])
    assert demo.holds_demo_data()


def test_big_account_and_consistent_balances(large):
    _key, number, count = BIG_ACCOUNT
    big = SavingsAccount.get(SavingsAccount.number == number)
    assert big.person.number == "104711"
    assert big.transactions.count() >= round(count * SCALE)
    for account in SavingsAccount.select().where(SavingsAccount.number.startswith("5")).order_by(SavingsAccount.id):
        rows = list(account.transactions.order_by(SavingsTransaction.booking_date, SavingsTransaction.id))
        balance = Decimal("0.00")
        for row in rows:
            balance += row.amount
            assert row.balance_after == balance >= 0, account.number
        assert account.balance == balance, account.number
        assert all(row.booking_date <= clock.today() for row in rows)
        assert rows[0].booking_date == account.opened_on
    for order in ExemptionOrder.select():
        assert idnr.is_valid(order.tax_id)
    assert Person.select().join(SavingsAccount).where(Person.cooperative == of(ELSTERAUE)).count() == 0


def test_contracts_have_parties_and_valid_bank_accounts(large):
    without_party = Contract.select().where(~fn.EXISTS(
        ContractParty.select().where(ContractParty.contract == Contract.id))).count()
    assert without_party == 0
    paying = Contract.select().where(Contract.kind != "membership")
    assert BankAccount.select().where(BankAccount.status == "active").count() >= paying.count()
    assert all(iban.is_valid(account.iban) for account in BankAccount.select())


def test_tickets_are_numbered_per_year_and_their_history_leads_to_their_status(large):
    numbers = [number for (number,) in Ticket.select(Ticket.number).tuples()]
    assert len(numbers) == len(set(numbers))
    for ticket in Ticket.select().order_by(Ticket.id).limit(400):
        changes = list(ticket.status_changes.order_by(TicketStatusChange.changed_at, TicketStatusChange.id))
        assert changes[0].new_status == "received" and changes[-1].new_status == ticket.status
        assert ticket.number.split("-")[1] == str(ticket.created_at.year)
        assert (ticket.waiting_since is not None) == (ticket.status in Ticket.WAITING_STATUSES)
        assert ticket.messages.count() >= 1
        assert ticket.updated_at <= clock.now()
    statuses = Counter(status for (status,) in Ticket.select(Ticket.status).tuples())
    assert set(statuses) >= {"received", "in_progress", "query", "commissioned", "closed", "rejected", "withdrawn"}
    assert TicketMessage.select().where(TicketMessage.from_staff).count() > 0


def test_documents_share_stored_files_that_open(large):
    keys = {key for (key,) in Document.select(Document.storage_key).distinct().tuples()}
    for key in keys:
        assert storage.load(key).startswith(b"%PDF")
    numbers = [number for (number,) in Document.select(Document.number).tuples()]
    assert len(numbers) == len(set(numbers))
    assert Document.select().where(Document.read_at.is_null()).count() > 0


def test_generated_tickets_continue_the_demos_numbers_without_gaps(large):
    for prefix in ("L", "E"):
        for year in (clock.now().year - 1, clock.now().year):
            existing = [int(n.rsplit("-", 1)[1]) for (n,) in Ticket.select(Ticket.number).where(
                Ticket.number.startswith(f"{prefix}-{year}-")).tuples()]
            assert sorted(existing) == list(range(1, len(existing) + 1))


def test_generated_data_is_the_same_on_every_run(app, data):
    def digest():
        rows = [
            list(Person.select(Person.number, Person.first_name, Person.last_name).order_by(Person.id).tuples()),
            list(Ticket.select(Ticket.number, Ticket.subject, Ticket.status).order_by(Ticket.id).tuples()),
            list(Document.select(Document.number, Document.title).order_by(Document.id).tuples()),
            list(SavingsTransaction.select(SavingsTransaction.amount).order_by(SavingsTransaction.id).tuples()),
        ]
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    generator.generate(clock.now(), clock.today(), 0.002)
    first = digest()
    demo.ensure_demo_data(reset=True)
    generator.generate(clock.now(), clock.today(), 0.002)
    assert digest() == first


def test_seed_demo_size_large_adds_the_data_once(runner, data):
    result = runner.invoke(args=["seed-demo", "--size", "large", "--scale", "0.002"])
    assert result.exit_code == 0, result.output
    assert generator.is_loaded()
    persons = Person.select().count()
    result = runner.invoke(args=["seed-demo", "--size", "large", "--scale", "0.002"])
    assert result.exit_code == 0 and Person.select().count() == persons
    assert '"tenants"' in result.output


@pytest.mark.parametrize("in_order", [True, False])
def test_numbers_go_on_past_9999_tickets_a_year(app, data, in_order):
    """Lipsia files more than 9,999 Meldungen a year: L-2026-10000 follows L-2026-9999, and then L-2026-10001.
    The next number follows the newest ticket of the series; when rows were written out of that order (here the
    newest holds 9999, an older one 10000) the number taken is drawn again from the highest."""
    year = clock.now().year
    lipsia = of(LIPSIA)
    older, newer = (Ticket.select().where(Ticket.cooperative == lipsia).order_by(Ticket.id.desc()).limit(2))[::-1]
    numbers = [f"L-{year}-9999", f"L-{year}-10000"]
    for ticket, number in zip((older, newer), numbers if in_order else numbers[::-1]):
        Ticket.update(number=number).where(Ticket.id == ticket.id).execute()
    juergen = Person.get(Person.number == "104711")
    filed = []
    with app.test_request_context():
        for subject in ("Nach der zehntausendsten", "Und noch eine"):
            filed.append(tickets.create_ticket(tickets.NewTicket(
                person=juergen, category=newer.category, contract=newer.contract, subject=subject,
                message="Die Nummer folgt der höchsten.", created_by=juergen.user,
            )).number)
    assert filed == [f"L-{year}-10001", f"L-{year}-10002"]
