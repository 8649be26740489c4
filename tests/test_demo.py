"""The demo data (`flask seed-demo`): complete, consistent and valid where banks and tax offices check."""

import json
import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import flask
import pytest
from stdnum import iban
from stdnum.de import idnr
from stdnum.eu import at_02

from wir import clock, db, demo
from wir.demo import tables
from wir.models import (
    MODELS,
    BankAccount,
    Contract,
    ContractParty,
    Cooperative,
    Document,
    ExemptionOrder,
    NewsItem,
    Person,
    RegistrationCode,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatusChange,
    TicketType,
    User,
)
from wir.services import scope
from wir.services.account import accounts
from wir.services.home import news

# python-stdnum checks the numbers, independently of how demo.py computed them
iban_is_valid = iban.is_valid
creditor_id_is_valid = at_02.is_valid
tax_id_is_valid = idnr.is_valid


@pytest.mark.parametrize(
    "check, value, valid",
    [
        (iban_is_valid, "DE89370400440532013000", True),
        (iban_is_valid, "DE88370400440532013000", False),
        (creditor_id_is_valid, "DE98ZZZ09999999999", True),
        (creditor_id_is_valid, "DE97ZZZ09999999999", False),
        (tax_id_is_valid, "36574261809", True),
        (tax_id_is_valid, "36574261890", False),
    ],
)
def test_validators_agree_with_known_values(check, value, valid):
    assert check(value) is valid


def test_helpers_compute_correct_check_digits():
    assert tables.iban("37040044", "532013000") == "DE89370400440532013000"
    assert tables.creditor_id("09999999999") == "DE98ZZZ09999999999"


# --- the command ---


def test_seed_demo_fills_empty_database_and_prints_logins_as_json(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    logins = json.loads(result.stdout)
    assert {"tenants", "staff", "registration_codes", "admin"} <= logins.keys()
    assert len(logins["tenants"]) >= 4
    for tenant in logins["tenants"]:
        assert {"email", "password", "name", "cooperative"} <= tenant.keys()
    for staff in logins["staff"]:
        assert {"email", "password", "cooperative"} <= staff.keys()
    for code in logins["registration_codes"]:
        assert {"code", "name", "cooperative"} <= code.keys()
    with db.database.connection_context():
        assert not demo.database_is_empty()


def test_seed_demo_on_the_demo_prints_the_logins_again_and_changes_nothing(runner, data, demo_logins):
    counts_before = {model: model.select().count() for model in MODELS}
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == demo_logins
    assert {model: model.select().count() for model in MODELS} == counts_before


def test_seed_demo_refuses_a_database_with_other_data_without_reset(empty_app):
    with db.database.connection_context():
        Cooperative.create(
            slug="andere", name="Andere eG", street="Hauptstraße 1", postcode="04109", city="Leipzig",
            register_court="Amtsgericht Leipzig", register_number="GnR 1", creditor_id="DE98ZZZ09999999999",
            email="info@andere.example.org", phone="0341 1", emergency_phone="0341 2", office_hours="Mo", website="",
        )
    result = empty_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "andere Daten als die Demo" in result.output and "--reset" in result.output
    with db.database.connection_context():
        assert User.select().count() == 0 and Cooperative.select().count() == 1


def test_demo_loads_outside_any_application_context(empty_app):
    """`make run` loads the demo before serving: the stored letters need no request or app context."""
    assert not flask.has_app_context()
    with db.database.connection_context():
        logins = demo.ensure_demo_data()
        keys = [document.storage_key for document in Document.select()]
    assert logins["tenants"] and keys
    uploads = Path(empty_app.instance_path) / "uploads"
    assert all((uploads / key[:2] / key).is_file() for key in keys)


def test_seed_demo_with_reset_rebuilds_the_same_data(runner, data, demo_logins):
    counts_before = {model: model.select().count() for model in MODELS}
    result = runner.invoke(args=["seed-demo", "--reset"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == demo_logins  # nothing random: same logins and codes
    assert {model: model.select().count() for model in MODELS} == counts_before


def test_clear_all_data_empties_every_table(data):
    demo.clear_all_data()
    assert demo.database_is_empty()
    assert all(model.select().count() == 0 for model in MODELS)


def test_empty_database_is_recognised(empty_app):
    with db.database.connection_context():
        assert demo.database_is_empty()


# --- logins ---


def test_every_demo_login_authenticates_with_its_role(data, demo_logins):
    for tenant in demo_logins["tenants"]:
        user = accounts.authenticate(tenant["email"], tenant["password"])
        assert user is not None and user.role == User.ROLE_TENANT, tenant["email"]
        assert user.confirmed_at is not None and user.cooperative is None
        persons = scope.persons_of(user)
        assert tenant["name"] in {p.full_name for p in persons}
        assert {p.cooperative.name for p in persons} == set(tenant["cooperative"].split(", "))
    for staff in demo_logins["staff"]:
        user = accounts.authenticate(staff["email"], staff["password"])
        assert user is not None and user.role == User.ROLE_STAFF, staff["email"]
        assert user.cooperative.name == staff["cooperative"] and user.staff_name
        assert user.contact_person.count() == 1
    admin = accounts.authenticate(demo_logins["admin"]["email"], demo_logins["admin"]["password"])
    assert admin.role == User.ROLE_ADMIN and admin.cooperative is None


def test_passwords_are_long_distinct_and_hashed(data, demo_logins):
    logins = demo_logins["tenants"] + demo_logins["staff"] + [demo_logins["admin"]]
    passwords = [login["password"] for login in logins]
    assert all(len(password) >= 12 for password in passwords)
    assert len(set(passwords)) == len(passwords)
    assert all(login["email"].endswith((".example.org", "@example.org", "@example.com")) for login in logins)
    assert all(user.password_hash.startswith("$argon2id$") for user in User.select())


def test_tenants_with_and_without_reviewed_contact_data(data):
    tenants = User.select().where(User.role == User.ROLE_TENANT)
    assert {user.contact_reviewed_at is None for user in tenants} == {True, False}


def test_one_login_has_persons_at_both_cooperatives(data):
    slugs_per_user = {}
    for person in Person.select().where(Person.user.is_null(False)):
        slugs_per_user.setdefault(person.user_id, set()).add(person.cooperative.slug)
    assert {"lipsia", "elsteraue"} in slugs_per_user.values()


def test_names_with_umlauts_and_beyond_latin_1(data):
    names = [person.full_name for person in Person.select()]
    assert any(set("äöüßÄÖÜ") & set(name) for name in names)
    assert any(not _fits_latin_1(name) for name in names)


def _fits_latin_1(text):
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def test_registration_codes_are_unused_and_belong_to_persons_without_login(data, demo_logins):
    codes = demo_logins["registration_codes"]
    assert len(codes) >= 3
    for entry in codes:
        code = RegistrationCode.get(RegistrationCode.code == entry["code"])
        assert re.fullmatch(r"(LIP|ELS)-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code.code)
        assert code.used_at is None and code.person.user is None
        assert clock.now() + timedelta(days=80) < code.expires_at < clock.now() + timedelta(days=100)
        assert code.person.full_name == entry["name"] and code.person.cooperative.name == entry["cooperative"]


# --- cooperatives, contracts, bank accounts ---


def test_cooperatives_carry_register_entry_and_valid_creditor_id(data):
    cooperatives = {c.slug: c for c in Cooperative.select()}
    assert cooperatives["lipsia"].name == "WG „Lipsia“ eG"
    assert cooperatives["elsteraue"].name == "WG „Elsteraue“ eG"
    assert (cooperatives["lipsia"].street, cooperatives["lipsia"].postcode) == ("Brünnler Straße 12", "04209")
    assert [c.slug for c in cooperatives.values() if c.has_savings] == ["lipsia"]
    for cooperative in cooperatives.values():
        assert cooperative.register_court == "Amtsgericht Leipzig" and cooperative.register_number.startswith("GnR ")
        assert creditor_id_is_valid(cooperative.creditor_id), cooperative.creditor_id
        assert cooperative.city == "Leipzig" and cooperative.phone.startswith("0341 ")
        assert cooperative.emergency_phone and cooperative.office_hours and cooperative.website


def test_every_contract_has_a_party_and_a_contact_person_of_its_cooperative(data):
    kinds = Counter()
    for contract in Contract.select():
        kinds[contract.kind] += 1
        assert contract.parties.count() >= 1
        assert all(party.person.cooperative_id == contract.cooperative_id for party in contract.parties)
        contact = contract.contact_person
        assert contact.cooperative_id == contract.cooperative_id
        assert contact.user.role == User.ROLE_STAFF and contact.user.cooperative_id == contract.cooperative_id
    assert kinds["rental"] >= 4 and kinds["parking"] >= 2 and kinds["membership"] >= 4


def test_rent_parts_are_decimal_and_only_one_rent_account_is_in_arrears(data):
    rentals = list(Contract.select().where(Contract.kind == "rental"))
    for contract in rentals:
        parts = (contract.base_rent, contract.operating_costs, contract.heating_costs)
        assert all(isinstance(part, Decimal) and part > 0 for part in parts)
        assert contract.household_size >= 1
        unit = contract.unit
        assert unit.kind == "flat" and unit.floor and unit.position in ("links", "rechts", "Mitte")
        assert isinstance(unit.rooms, Decimal) and isinstance(unit.living_area, Decimal) and unit.year_built
        assert unit.heating in ("Fernwärme", "Gaszentralheizung")
    assert sum(1 for contract in rentals if contract.arrears > 0) == 1
    for contract in Contract.select().where(Contract.kind == "parking"):
        assert contract.base_rent > 0 and contract.operating_costs is None
        assert contract.unit.kind in ("parking", "garage")


def test_memberships_have_shares_and_paid_in_balance(data):
    for contract in Contract.select().where(Contract.kind == "membership"):
        assert contract.mandatory_shares >= 1 and contract.voluntary_shares >= 0
        assert contract.share_amount in (Decimal("155.00"), Decimal("160.00"))
        subscribed = (contract.mandatory_shares + contract.voluntary_shares) * contract.share_amount
        assert 0 < contract.paid_in <= subscribed
        assert [party.role for party in contract.parties] == ["member"]


def test_rent_and_parking_contracts_have_a_valid_active_bank_account(data):
    for contract in Contract.select().where(Contract.kind.in_(["rental", "parking"])):
        accounts_ = list(contract.bank_accounts)
        assert [account.status for account in accounts_] == ["active"], contract.number
    references = [account.mandate_reference for account in BankAccount.select()]
    assert len(set(references)) == len(references) and all(len(ref) <= 35 for ref in references)
    for account in BankAccount.select():
        assert iban_is_valid(account.iban), account.iban
        assert account.holder and account.bic and account.bank_name and account.valid_from
    assert Contract.select().where(Contract.kind == "membership").join(BankAccount).count() == 0


# --- tickets ---


def test_tickets_cover_every_status(data):
    assert {ticket.status for ticket in Ticket.select()} == set(Ticket.STATUSES)


def test_ticket_history_leads_to_the_current_status(data):
    now = clock.now()
    for ticket in Ticket.select():
        changes = list(ticket.status_changes.order_by(TicketStatusChange.changed_at, TicketStatusChange.id))
        assert (changes[0].old_status, changes[0].new_status) == (None, "received")
        for before, after in zip(changes, changes[1:]):
            assert after.old_status == before.new_status and after.changed_at >= before.changed_at
        assert changes[-1].new_status == ticket.status
        assert all(change.reason for change in changes if change.new_status == "rejected")
        messages = list(ticket.messages.order_by(TicketMessage.created_at, TicketMessage.id))
        assert messages and not messages[0].from_staff and messages[0].author == ticket.person.user
        assert ticket.created_at <= ticket.updated_at <= now
        assert ticket.category.ticket_type.cooperative_id == ticket.cooperative_id
        assert ticket.person.cooperative_id == ticket.cooperative_id
        prefix = {"lipsia": "L", "elsteraue": "E"}[ticket.cooperative.slug]
        assert re.fullmatch(rf"{prefix}-{ticket.created_at.year}-\d{{4}}", ticket.number)


def test_query_tickets_end_with_a_question_from_staff(data):
    for ticket in Ticket.select().where(Ticket.status == "query"):
        last = ticket.messages.order_by(TicketMessage.created_at.desc(), TicketMessage.id.desc()).first()
        assert last.from_staff and last.author.role == User.ROLE_STAFF
        assert last.author.cooperative_id == ticket.cooperative_id and "Bitte" in last.body


def test_guide_examples_are_there(data):
    examples = {
        "Sie gutes Portal - weiter so!": ("WIR-immerda Serviceportal", "Feedback Serviceportal", "closed"),
        "Bitte um Termin": ("Termin", "Terminvereinbarung (Bitte Telefon-Nr. angeben)", "in_progress"),
    }
    for subject, (type_name, category, status) in examples.items():
        ticket = Ticket.get(Ticket.subject == subject)
        assert (ticket.category.ticket_type.name, ticket.category.name, ticket.status) == (type_name, category, status)


def test_ticket_categories_per_cooperative(data):
    for cooperative in Cooperative.select():
        categories = {
            category.name: category
            for category in TicketCategory.select().join(TicketType).where(TicketType.cooperative == cooperative)
        }
        assert categories["Terminvereinbarung (Bitte Telefon-Nr. angeben)"].needs_phone
        for name in ("Heizung/Warmwasser", "Sanitär (Wasser, Abfluss, WC)", "Elektrik", "Fenster/Türen/Schlösser",
                     "Aufzug", "Schimmel", "Ungeziefer"):
            assert categories[name].allows_attachments and categories[name].needs_contract, name
        assert any(category.is_emergency for category in categories.values())
        assert "Feedback Serviceportal" in categories
        has_tax_request = "Antrag auf Zusendung der Steuerbescheinigung" in categories
        assert has_tax_request == cooperative.has_savings


# --- savings ---


def test_savings_only_at_lipsia_with_consistent_balances(data):
    accounts_ = list(SavingsAccount.select())
    assert {account.person.cooperative.slug for account in accounts_} == {"lipsia"}
    assert len({account.person_id for account in accounts_}) >= 2
    assert {account.product for account in accounts_} == {"Sparbuch", "Wachstumssparen", "Festzins"}
    kinds = set()
    for account in accounts_:
        assert isinstance(account.interest_rate, Decimal)
        bookings = list(account.transactions.order_by(SavingsTransaction.booking_date, SavingsTransaction.id))
        assert 10 <= len(bookings) <= 20, account.number
        balance = Decimal("0")
        for booking in bookings:
            balance += booking.amount
            assert booking.balance_after == balance and balance >= 0
            assert booking.booking_date <= clock.today()
            kinds.add(booking.kind)
        assert account.balance == bookings[-1].balance_after
    assert {"Einzahlung", "Auszahlung", "Zinsgutschrift", "KapESt"} <= kinds


def test_exemption_order_is_valid(data):
    orders = list(ExemptionOrder.select())
    assert orders
    for order in orders:
        assert order.person.cooperative.has_savings
        assert tax_id_is_valid(order.tax_id)
        assert 0 < order.amount <= (Decimal("2000") if order.joint else Decimal("1000"))
        assert (order.valid_from.month, order.valid_from.day) == (1, 1)


# --- news ---


def test_news_per_cooperative_with_an_expired_item_hidden(data):
    now = clock.now()
    for cooperative in Cooperative.select():
        items = list(cooperative.news)
        assert 3 <= len(items) <= 4
        assert all(item.published_at <= now for item in items)
        expired = [item for item in items if item.expires_at is not None and item.expires_at <= now]
        assert len(expired) == 1
        shown = news.current_news([Person.get(Person.cooperative == cooperative)], limit=10)
        assert expired[0] not in shown and len(shown) == len(items) - 1


def test_news_items_have_german_text(data):
    for item in NewsItem.select():
        assert item.title and len(item.body) > 40


# --- letters in Dokumente ---


def test_demo_letters_are_stored_pdfs_with_their_number(app, data):
    import io

    from pypdf import PdfReader

    from wir import storage

    documents = list(Document.select())
    assert documents
    with app.app_context():
        for document in documents:
            content = storage.load(document.storage_key)
            assert content.startswith(b"%PDF") and len(content) == document.size
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
            assert f"Dokument-Nr. {document.number}" in text and document.person.last_name in text
            assert document.filename.endswith(f"_{document.number}.pdf") and document.created_by is None


def test_every_rental_contract_has_its_operating_costs_statement(data):
    delivered = clock.now() - timedelta(days=tables.BK_DELIVERED_DAYS_AGO)
    for contract in Contract.select().where(Contract.kind == "rental"):
        statements = list(contract.documents.where(Document.kind == "operating_costs_statement"))
        assert [s.title for s in statements] == [f"Betriebskostenabrechnung {delivered.year - 1}"]
        assert statements[0].person == contract.parties.where(ContractParty.role == "main").get().person
    statements = Document.select().where(Document.kind == "operating_costs_statement")
    assert {s.read_at is None for s in statements} == {True, False}  # "neu" and proof of receipt


def test_every_tenant_login_has_letters_some_unread(data):
    for user in User.select().where(User.role == User.ROLE_TENANT):
        letters = list(Document.select().join(Person).where(Person.user == user))
        assert len(letters) >= 2, user.email
    assert Document.select().where(Document.read_at.is_null()).count() >= 5


def test_demo_document_numbers_are_the_same_on_every_run(runner, data):
    before = sorted(d.number for d in Document.select())
    assert runner.invoke(args=["seed-demo", "--reset"]).exit_code == 0
    assert sorted(d.number for d in Document.select()) == before
