"""Der Rückweg ins ERP (issue 20): every change the ERP must take over is recorded at its source, in the change's
own transaction, with the right kind, action, actor, key and columns; a rejected form records nothing; no full IBAN
or Steuer-ID reaches a log line or the audit log; the ERP import records nothing, and what the ERP sends back of a
change it took over neither flips the portal back nor is recorded again (round trip)."""

import itertools
import json
import logging
import re
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import htmx
from tests.test_savings import JUERGEN, sign_in
from wir import clock
from wir.demo.tables import COOPERATIVES
from wir.models import (
    AuditLog,
    BankAccount,
    Contract,
    Cooperative,
    ErpChange,
    ExemptionOrder,
    OutboxMail,
    Person,
    PhoneNumber,
    SavingsAccount,
    SavingsTransaction,
    TicketCategory,
    TicketType,
    User,
)
from wir.services import erp_import, scope
from wir.services.account import email_change, passwords
from wir.services.contracts import bank_accounts, contracts
from wir.services.erp_export import runs
from wir.services.erp_export.kinds import KINDS
from wir.services.registration import registration
from wir.services.rejections import Rejected
from wir.services.savings import exemption_orders
from wir.services.savings.exemption_orders import SINGLE, OrderRequest
from wir.services.tickets import tickets
from wir.services.tickets.contact import ADDRESS_CHANGE_KEY

EXAMPLE = Path(__file__).parent / "data" / "import"
PASSWORD = "Rueckweg-Probe-Passwort-2026"
NEW_IBAN = "DE02500105170137075030"
# valid Steuer-IDs (stdnum.de.idnr, no digit three times in a row)
JUERGEN_ID, GISELA_SPARSAM_ID = "65929970489", "47159362482"


@pytest.fixture
def data(data):
    """The demo's own waiting changes (its tenants' registrations, wir.demo) count as taken over by the ERP: a test
    sees only the changes it makes."""
    ErpChange.delete().execute()
    return data


def recorded(kind: str | None = None) -> list[ErpChange]:
    query = ErpChange.select().order_by(ErpChange.id)
    if kind is not None:
        query = query.where(ErpChange.kind == kind)
    return list(query)


def row_of(change: ErpChange) -> dict[str, str]:
    row = json.loads(change.data)
    assert set(row) == set(KINDS[change.kind].columns)
    return row


def person(number: str) -> Person:
    return Person.get(Person.number == number)


def keyed(number: str, key: str | None) -> Person:
    """The person with the ERP key the import would have given it (None: one the ERP never sent)."""
    Person.update(erp_key=key).where(Person.number == number).execute()
    return person(number)


def user_of(number: str) -> User:
    return User.get_by_id(person(number).user_id)


def clerk(cooperative_slug: str = "lipsia") -> User:
    return User.get((User.role == User.ROLE_STAFF)
                    & (User.cooperative == Cooperative.get(Cooperative.slug == cooperative_slug)))


def with_password(user: User) -> User:
    user.password_hash = passwords.hash_password(PASSWORD)
    user.save()
    return user


# --- Kontaktdaten -------------------------------------------------------------------------------------------------


def test_phone_numbers_record_the_whole_contact_data_once_per_person_of_the_user(client, auth, data):
    # Gisela is a person at both cooperatives; Elsteraue's ERP never sent a key for hers: listed in the report
    lipsia, elsteraue = keyed("100385", "P-100385"), keyed("205188", None)
    tenant = sign_in(auth, "gisela")
    response = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "home",
                                                       "number": "0341 1234567"})
    assert response.status_code == 303
    found = recorded("contact_data")
    assert len(found) == 2
    by_cooperative = {change.cooperative_id: change for change in found}
    assert by_cooperative[lipsia.cooperative_id].erp_key == "P-100385"
    assert by_cooperative[elsteraue.cooperative_id].erp_key is None
    assert by_cooperative[elsteraue.cooperative_id].label == "Person 205188 Gisela Weiß"
    for change in found:
        assert (change.action, change.actor) == ("changed", "tenant")
        assert row_of(change) == {
            "Telefon 1 Typ": "Mobil", "Telefon 1": "+4917698765432",
            "Telefon 2 Typ": "Privat", "Telefon 2": "+493411234567",
            "Telefon 3 Typ": "", "Telefon 3": "",
            "E-Mail": tenant["email"], "E-Mail ist Portal-Anmeldung": "ja",
        }

    # a number refused next to its field records nothing; nor does saving a number unchanged
    refused = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "work",
                                                      "number": "12"}, headers=htmx(auth))
    assert refused.status_code == 422
    first = PhoneNumber.get(PhoneNumber.number == "+4917698765432")
    unchanged = client.post(f"/konto/telefon/{first.id}/aendern", data={
        "csrf_token": auth.csrf_token(), "kind": "mobile", "number": "0176 98765432"})
    assert unchanged.status_code == 303
    assert len(recorded()) == 2

    changed = client.post(f"/konto/telefon/{first.id}/aendern", data={
        "csrf_token": auth.csrf_token(), "kind": "work", "number": "0176 98765432"})
    assert changed.status_code == 303
    assert row_of(recorded()[-1])["Telefon 1 Typ"] == "Dienstlich"
    assert client.post(f"/konto/telefon/{first.id}/loeschen",
                       data={"csrf_token": auth.csrf_token()}).status_code == 303
    last = recorded("contact_data")[-2:]
    assert len(recorded("contact_data")) == 6
    assert all(row_of(change)["Telefon 1"] == "+493411234567" and row_of(change)["Telefon 2"] == ""
               for change in last)


def test_a_confirmed_new_e_mail_address_records_the_contact_data(app, data):
    keyed("104711", "P-104711")
    user = with_password(user_of("104711"))
    with app.test_request_context():
        email_change.request_change(user, "juergen.neu@example.net", PASSWORD)
        assert recorded() == []  # not before the new mailbox confirmed it
        mail = OutboxMail.get(OutboxMail.recipient == "juergen.neu@example.net")
        token = re.search(r"/konto/email/bestaetigen/(\S+)", mail.body_text).group(1)
        email_change.confirm(user, token)
    [change] = recorded()
    assert (change.kind, change.action, change.actor, change.erp_key) == ("contact_data", "changed", "tenant",
                                                                          "P-104711")
    row = row_of(change)
    assert row["E-Mail"] == "juergen.neu@example.net" and row["E-Mail ist Portal-Anmeldung"] == "ja"
    assert (row["Telefon 1 Typ"], row["Telefon 1"]) == ("Privat", "+493414928713")
    assert (row["Telefon 2 Typ"], row["Telefon 2"]) == ("Mobil", "+4915112345678")


# --- Portalzugang -------------------------------------------------------------------------------------------------


def test_registration_and_its_confirmation_record_the_portal_access(app, data):
    keyed("104712", "P-104712")
    with app.test_request_context():
        with pytest.raises(registration.InvalidRegistrationCode):
            registration.register(registration.RegistrationData("LIP-7K3M-9QX2", "Schulze", "monika@example.org",
                                                                PASSWORD))
        assert recorded() == []  # a refused registration records nothing
        registration.register(registration.RegistrationData("LIP-7K3M-9QX2", "Müller", "Monika@example.org",
                                                            PASSWORD))
        [registered] = recorded()
        assert (registered.kind, registered.action, registered.actor, registered.erp_key) == (
            "portal_access", "new", "tenant", "P-104712")
        assert row_of(registered) == {"Personennummer": "104712", "Zugang": "registriert",
                                      "E-Mail": "monika@example.org"}
        user = User.get(User.email == "monika@example.org")
        PhoneNumber.create(user=user, kind="mobile", number="+4915112345000")
        mail = OutboxMail.get(OutboxMail.recipient == "monika@example.org")
        token = re.search(r"/registrieren/bestaetigen/(\S+)", mail.body_text).group(1)
        registration.confirm_by_token(token)
    confirmed, contact = recorded()[1:]
    assert (confirmed.action, row_of(confirmed)["Zugang"]) == ("changed", "bestätigt")
    assert (contact.kind, contact.action) == ("contact_data", "new")
    assert row_of(contact)["Telefon 1"] == "+4915112345000" and row_of(contact)["E-Mail"] == "monika@example.org"


def test_an_unconfirmed_registration_given_way_to_a_new_one_records_its_access_deleted(app, data):
    keyed("104712", "P-104712")
    with app.test_request_context():
        registration.register(registration.RegistrationData("LIP-7K3M-9QX2", "Müller", "monika@example.org",
                                                            PASSWORD))
        registration.register(registration.RegistrationData("LIP-7K3M-9QX2", "Müller", "monika.m@example.org",
                                                            PASSWORD))
    assert not User.select().where(User.email == "monika@example.org").exists()
    first, deleted, second = recorded()
    assert (first.action, row_of(first)["Zugang"]) == ("new", "registriert")
    assert (deleted.kind, deleted.action, deleted.actor, deleted.erp_key) == ("portal_access", "ended",
                                                                              "cooperative", "P-104712")
    assert row_of(deleted) == {"Personennummer": "104712", "Zugang": "gelöscht", "E-Mail": "monika@example.org"}
    assert (second.action, row_of(second)) == ("new", {"Personennummer": "104712", "Zugang": "registriert",
                                                       "E-Mail": "monika.m@example.org"})


def test_staff_blocking_and_unblocking_record_the_portal_access(client, auth, data):
    juergen = keyed("104711", "P-104711")
    auth.login_staff(0)
    url = f"/intern/personen/{juergen.id}"
    version = str(User.get_by_id(juergen.user_id).version)
    assert client.post(f"{url}/sperren", data={"csrf_token": auth.csrf_token(),
                                                "version": version}).status_code == 303
    [blocked] = recorded()
    assert (blocked.kind, blocked.action, blocked.actor, blocked.erp_key) == ("portal_access", "ended",
                                                                              "cooperative", "P-104711")
    assert row_of(blocked) == {"Personennummer": "104711", "Zugang": "gesperrt",
                               "E-Mail": "juergen.mueller@example.org"}
    # an action on an older view of the account is refused and records nothing
    stale = client.post(f"{url}/freigeben", data={"csrf_token": auth.csrf_token(), "version": version})
    assert stale.status_code in (409, 422) and not User.get_by_id(juergen.user_id).is_active
    assert len(recorded()) == 1
    version = str(User.get_by_id(juergen.user_id).version)
    assert client.post(f"{url}/freigeben", data={"csrf_token": auth.csrf_token(),
                                                   "version": version}).status_code == 303
    unblocked = recorded()[-1]
    assert (unblocked.action, unblocked.actor, row_of(unblocked)["Zugang"]) == ("changed", "cooperative",
                                                                                "freigegeben")


# --- Bankverbindungen ---------------------------------------------------------------------------------------------


def request_bank_change(app, user: User, contract: Contract, iban: str = "DE02 5001 0517 0137 0750 30"):
    target, siblings = contracts.with_siblings(scope.persons_of(user), contract.id)
    with app.test_request_context():
        [account] = bank_accounts.request_change(user, target, siblings, bank_accounts.BankChange(
            holder="Jürgen Müller", iban=iban, consent=True, apply_to_all=False, password=PASSWORD))
    return account


def test_a_bank_account_is_recorded_when_staff_confirm_it_not_when_filed_or_rejected(app, data):
    contract = Contract.get(Contract.number == "MV-1001-0203")
    Contract.update(erp_key="V-MV-1001-0203").where(Contract.id == contract.id).execute()
    user = with_password(user_of("104711"))
    with pytest.raises(Rejected):
        request_bank_change(app, user, contract, iban="DE02 5001 0517 0137 0750 31")  # wrong check digits
    rejected = request_bank_change(app, user, contract)
    with app.test_request_context():
        bank_accounts.reject(rejected.id, "Kontoinhaber unklar", decided_by=clerk())
    assert recorded() == []
    account = request_bank_change(app, user, contract)
    assert recorded() == []  # filed, not yet confirmed
    with app.test_request_context():
        bank_accounts.confirm(account.id, decided_by=clerk(), cooperative=contract.cooperative)
    [change] = recorded()
    assert (change.kind, change.action, change.actor, change.erp_key) == ("bank_account", "new", "cooperative",
                                                                          "V-MV-1001-0203")
    account = BankAccount.get_by_id(account.id)
    assert row_of(change) == {
        "Vertragsnummer": "MV-1001-0203", "Kontoinhaber": "Jürgen Müller", "IBAN": NEW_IBAN,
        "BIC": account.bic, "Bank": account.bank_name, "Gültig ab": account.valid_from.strftime("%d.%m.%Y"),
        "Mandatsreferenz": account.mandate_reference,
        "Einwilligung am": clock.to_local(account.consent_at).strftime("%d.%m.%Y"),
        "Einwilligungstext": account.consent_text_version,
    }
    assert account.bic and account.mandate_reference and account.consent_text_version


def test_a_confirmed_bank_account_that_never_comes_is_revoked_before_the_one_that_cancels_it(app, data):
    contract = Contract.get(Contract.number == "MV-1001-0203")
    Contract.update(erp_key="V-MV-1001-0203").where(Contract.id == contract.id).execute()
    user = with_password(user_of("104711"))

    def confirmed(iban: str, valid_from: date) -> BankAccount:
        account = request_bank_change(app, user, contract, iban=iban)
        with app.test_request_context():
            bank_accounts.confirm(account.id, decided_by=clerk(), cooperative=contract.cooperative,
                                  valid_from=valid_from)
        return account

    start = bank_accounts.first_of_next_month()
    waiting = confirmed(NEW_IBAN, start + timedelta(days=31))
    [taken_over] = recorded()
    # a later confirmation from an earlier day: the waiting account never comes into force
    cancelling = confirmed("DE44 5001 0517 5407 3249 31", start)
    assert BankAccount.get_by_id(waiting.id).status == bank_accounts.REPLACED
    revoked, new = recorded()[1:]
    assert (revoked.kind, revoked.action, revoked.actor, revoked.erp_key) == ("bank_account", "revoked",
                                                                              "cooperative", "V-MV-1001-0203")
    assert row_of(revoked) == row_of(taken_over)  # the account as the ERP took it over, with its „Gültig ab“
    assert (new.action, row_of(new)["IBAN"], row_of(new)["Gültig ab"]) == (
        "new", "DE44500105175407324931", start.strftime("%d.%m.%Y"))

    # one starting after the waiting account ends it the day before, nothing is revoked; one starting on the same
    # day cancels it
    after = confirmed("DE89 3704 0044 0532 0130 00", start + timedelta(days=40))
    assert BankAccount.get_by_id(cancelling.id).status == bank_accounts.ACTIVE
    [ends_it] = recorded()[3:]
    assert (ends_it.action, row_of(ends_it)["IBAN"]) == ("new", "DE89370400440532013000")
    confirmed(NEW_IBAN, start + timedelta(days=40))
    assert BankAccount.get_by_id(after.id).status == bank_accounts.REPLACED
    assert [(c.action, row_of(c)["IBAN"]) for c in recorded()[4:]] == [("revoked", "DE89370400440532013000"),
                                                                       ("new", NEW_IBAN)]


# --- Freistellungsaufträge ----------------------------------------------------------------------------------------


def order_request(**overrides) -> OrderRequest:
    values = {"kind": SINGLE, "amount": Decimal("800"), "valid_from_year": clock.today().year + 1,
              "valid_until_year": None, "tax_id": JUERGEN_ID, "total_confirmed": True, "password": PASSWORD}
    values.update(overrides)
    return OrderRequest(**values)


def test_exemption_orders_placed_changed_and_revoked(app, data):
    juergen = keyed("104711", "P-104711")
    user = with_password(user_of("104711"))
    with app.test_request_context():
        with pytest.raises(Rejected):
            exemption_orders.place(user, juergen, order_request(tax_id="12345678901"))
        assert recorded() == []
        # the demo gives Jürgen an order already: a new one replaces it
        ExemptionOrder.delete().where(ExemptionOrder.person == juergen).execute()
        first = exemption_orders.place(user, juergen, order_request())
        second = exemption_orders.place(user, juergen, order_request(
            kind="joint", amount=Decimal("1801.50"), partner_name="Monika Müller", partner_tax_id=GISELA_SPARSAM_ID))
        exemption_orders.revoke(user, juergen, exemption_orders.YEAR_END, PASSWORD)
    placed, changed, revoked = recorded()
    year = clock.today().year + 1
    assert all(c.kind == "exemption_order" and c.actor == "tenant" and c.erp_key == "P-104711"
               for c in (placed, changed, revoked))
    assert (placed.action, changed.action, revoked.action) == ("new", "changed", "revoked")
    assert row_of(placed) == {"Gemeinsam": "nein", "Betrag": "800,00", "Gültig ab": f"01.01.{year}",
                              "Gültig bis": "", "Steuer-ID": JUERGEN_ID, "Partner": "", "Steuer-ID Partner": ""}
    assert row_of(changed) == {"Gemeinsam": "ja", "Betrag": "1.801,50", "Gültig ab": f"01.01.{year}",
                               "Gültig bis": "", "Steuer-ID": JUERGEN_ID, "Partner": "Monika Müller",
                               "Steuer-ID Partner": GISELA_SPARSAM_ID}
    # revoked before it began: it ends on the day before its start, which the ERP reads as never in force
    ended = ExemptionOrder.get_by_id(second.id).valid_until
    assert row_of(revoked)["Gültig bis"] == ended.strftime("%d.%m.%Y") and first.id != second.id


# --- Kündigung einer Spareinlage ----------------------------------------------------------------------------------


def crafted_account(erp_key: str | None) -> SavingsAccount:
    account = SavingsAccount.create(person=person("104711"), number="5104711-77", product="Sparbuch",
                                    interest_rate=Decimal("0.5"), notice_months=3, opened_on=date(2020, 1, 1),
                                    balance=Decimal("9000.00"), erp_key=erp_key)
    SavingsTransaction.create(account=account, booking_date=date(2025, 1, 2), value_date=date(2025, 1, 2),
                              kind="Einzahlung", amount=Decimal("9000.00"), balance_after=Decimal("9000.00"))
    return account


def test_a_savings_notice_is_recorded_with_its_ticket(client, auth, data, monkeypatch):
    moment = datetime(2026, 1, 20, 11, 0)
    monkeypatch.setattr(clock, "now", lambda: moment)
    crafted_account("S-5104711-77")
    sign_in(auth, JUERGEN)
    url = "/sparen/5104711-77/kuendigung"

    keys = itertools.count()

    def send(**fields):
        return client.post(url, data={"csrf_token": auth.csrf_token(), "submission_key": f"kuendigung-{next(keys)}",
                                      **fields})

    assert send(amount="9.999,00", payout_on="21.04.2026").status_code == 422  # more than the balance
    assert recorded() == []
    assert send(amount="1.234,56", payout_on="21.04.2026").status_code == 303
    [change] = recorded()
    ticket_number = row_of(change)["Meldung"]
    assert (change.kind, change.action, change.actor, change.erp_key) == ("savings_notice", "new", "tenant",
                                                                          "S-5104711-77")
    assert row_of(change) == {"Sparkontonummer": "5104711-77", "Gesamtes Guthaben": "nein", "Betrag": "1.234,56",
                              "Gekündigt am": "20.01.2026", "Wirksam zum": "21.04.2026", "Meldung": ticket_number}
    assert client.get(f"/meldungen/{ticket_number}").status_code == 200
    assert send(whole_balance="y", payout_on="2026-04-21").status_code == 303
    whole = row_of(recorded()[-1])
    assert (whole["Gesamtes Guthaben"], whole["Betrag"]) == ("ja", "")
    assert whole["Meldung"] != ticket_number


# --- Anschrift-Änderung (mitgeteilt) ------------------------------------------------------------------------------


def test_a_meldung_about_a_change_of_address_records_what_the_tenant_typed(app, data):
    juergen = keyed("104711", None)  # no key: listed in the report by its label
    user = user_of("104711")
    category = (TicketCategory.select().join(TicketType)
                .where((TicketCategory.key == ADDRESS_CHANGE_KEY)
                       & (TicketType.cooperative == juergen.cooperative_id)).get())
    other = (TicketCategory.select().join(TicketType)
             .where((TicketCategory.key != ADDRESS_CHANGE_KEY) & (TicketCategory.needs_contract == False)  # noqa: E712
                    & (TicketCategory.needs_phone == False) & (TicketType.cooperative == juergen.cooperative_id))  # noqa: E712
             .first())
    with app.test_request_context():
        with pytest.raises(Rejected):
            tickets.submit_request(tickets.NewTicket(person=juergen, category=category, subject="Umzug",
                                                     message="  ", created_by=user))
        tickets.submit_request(tickets.NewTicket(person=juergen, category=other, subject="Frage",
                                                 message="Wann wird gestrichen?", created_by=user))
        assert recorded() == []
        ticket = tickets.submit_request(tickets.NewTicket(
            person=juergen, category=category, subject="Neue Anschrift ab 1. März",
            message="Gartenweg 3\n04103 Leipzig", created_by=user))
    [change] = recorded()
    assert (change.kind, change.action, change.actor, change.erp_key) == ("address_change", "new", "tenant", None)
    assert change.label == "Person 104711 Jürgen Müller"
    assert row_of(change) == {"Personennummer": "104711",
                              "Mitteilung": "Neue Anschrift ab 1. März\nGartenweg 3\n04103 Leipzig",
                              "Meldung": ticket.number}


# --- nothing secret in the logs -----------------------------------------------------------------------------------


def test_no_full_iban_or_steuer_id_in_the_audit_log_or_a_log_line(app, data, caplog):
    caplog.set_level(logging.INFO)
    juergen = keyed("104711", "P-104711")
    user = with_password(user_of("104711"))
    contract = Contract.get(Contract.number == "MV-1001-0203")
    account = request_bank_change(app, user, contract)
    with app.test_request_context():
        bank_accounts.confirm(account.id, decided_by=clerk(), cooperative=contract.cooperative)
        ExemptionOrder.delete().where(ExemptionOrder.person == juergen).execute()
        exemption_orders.place(user, juergen, order_request(
            kind="joint", amount=Decimal("1500"), partner_name="Monika Müller", partner_tax_id=GISELA_SPARSAM_ID))
        exemption_orders.revoke(user, juergen, exemption_orders.YEAR_END, PASSWORD)
        run = runs.export(contract.cooperative, by=None, via="cli")
    assert run is not None and {c.kind for c in recorded()} == {"bank_account", "exemption_order"}
    secrets = (NEW_IBAN, JUERGEN_ID, GISELA_SPARSAM_ID)
    stored = [" ".join(str(value) for value in entry.__data__.values()) for entry in AuditLog.select()]
    for secret in secrets:
        assert not any(secret in text for text in stored), secret
        assert secret not in caplog.text, secret
    assert NEW_IBAN in "".join(c.data for c in recorded())  # the export itself holds them in full


# --- the ERP import records nothing; the round trip ---------------------------------------------------------------


@pytest.fixture
def lipsia(empty_app):
    with empty_app.app_context():
        yield Cooperative.create(**COOPERATIVES[0])


def import_folder(folder: Path, cooperative: Cooperative):
    _, report = erp_import.import_files(sorted(folder.glob("*.csv")), cooperative)
    assert report.ok, report
    return report


def tenant_of(number: str) -> User:
    """A confirmed portal account for the imported person."""
    user = User.create(email=f"p{number}@example.org", password_hash=passwords.hash_password(PASSWORD),
                       confirmed_at=clock.now())
    Person.update(user=user).where(Person.number == number).execute()
    return user


def imported_clerk(cooperative: Cooperative) -> User:
    return User.create(email="clerk@example.org", password_hash="x", role=User.ROLE_STAFF, cooperative=cooperative,
                       staff_name="Sandra Köhler", confirmed_at=clock.now())


def rewrite(path: Path, lines: dict[str, str | None], added: list[str] = ()) -> None:
    """Replace (or with None drop) the lines starting with a key, then append ``added``."""
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        key = line.split(";", 1)[0]
        if key in lines:
            if lines[key] is not None:
                kept.append(lines[key])
            continue
        kept.append(line)
    path.write_text("\n".join([*kept, *added]) + "\n", encoding="utf-8")


def test_the_erp_import_records_no_change(empty_app, lipsia):
    report = import_folder(EXAMPLE, lipsia)
    assert report.totals()["created"] > 0
    assert recorded() == []
    assert runs.export(lipsia, by=None, via="cli") is None


def taken_over(cooperative: Cooperative) -> None:
    """The export run the ERP fetches and acknowledges."""
    run = runs.export(cooperative, by=None, via="cli")
    assert run is not None
    runs.acknowledge(cooperative, run.number, by=None, via="cli")
    assert runs.export(cooperative, by=None, via="cli") is None


@pytest.mark.parametrize("old_account", ["ended", "still listed", "updated in place"])
def test_a_confirmed_bank_account_sent_back_by_the_erp_stays_and_is_not_recorded_again(
        empty_app, lipsia, tmp_path, old_account):
    import_folder(EXAMPLE, lipsia)
    user = tenant_of("10001")  # Erika Muster, main tenant of V-1 (account B-1)
    contract = Contract.get(Contract.erp_key == "V-1")
    target, siblings = contracts.with_siblings(scope.persons_of(user), contract.id)
    with empty_app.test_request_context():
        [account] = bank_accounts.request_change(user, target, siblings, bank_accounts.BankChange(
            holder="Erika Muster", iban=NEW_IBAN, consent=True, apply_to_all=False, password=PASSWORD))
        bank_accounts.confirm(account.id, decided_by=imported_clerk(lipsia), cooperative=lipsia)
    account = BankAccount.get_by_id(account.id)
    [change] = recorded()
    assert change.erp_key == "V-1" and row_of(change)["IBAN"] == NEW_IBAN
    taken_over(lipsia)

    folder = tmp_path / "zurueck"
    shutil.copytree(EXAMPLE, folder)
    start, day_before = account.valid_from.strftime("%d.%m.%Y"), account.valid_from - timedelta(days=1)
    new_line = f"Erika Muster;{NEW_IBAN};;{account.mandate_reference};{start};"
    if old_account == "ended":
        rewrite(folder / "bankverbindungen.csv",
                {"B-1": f"B-1;V-1;Erika Muster;DE89370400440532013000;;LIP-MV-0815-01-03-01;01.04.2015;"
                        f"{day_before:%d.%m.%Y}"},
                [f"B-4;V-1;{new_line}"])
    elif old_account == "still listed":
        rewrite(folder / "bankverbindungen.csv", {}, [f"B-4;V-1;{new_line}"])
    else:
        rewrite(folder / "bankverbindungen.csv", {"B-1": f"B-1;V-1;{new_line}"})
    count = BankAccount.select().count()
    import_folder(folder, lipsia)

    current = contracts.details_of(scope.persons_of(user), contract.id).current_account
    assert current.iban == NEW_IBAN
    if old_account != "updated in place":
        # the portal's own row took the ERP's key: its consent and history stay, no second row beside it
        assert current.id == account.id and current.erp_key == "B-4"
        assert current.consent_at == account.consent_at
        assert BankAccount.select().count() == count
    assert recorded() == [change]
    assert runs.export(lipsia, by=None, via="cli") is None
    # and the same files again change nothing
    assert import_folder(folder, lipsia).unchanged
    assert contracts.details_of(scope.persons_of(user), contract.id).current_account.iban == NEW_IBAN
    assert recorded() == [change]


def test_a_freistellungsauftrag_sent_back_by_the_erp_stays_and_is_not_recorded_again(empty_app, lipsia, tmp_path):
    import_folder(EXAMPLE, lipsia)
    saver = person("10004")  # Gisela Sparsam: order F-1 over 1.000 € since 2024
    user = tenant_of("10004")
    year = clock.today().year + 1
    with empty_app.test_request_context():
        order = exemption_orders.place(user, saver, order_request(amount=Decimal("600"),
                                                                  tax_id=GISELA_SPARSAM_ID))
    [change] = recorded()
    assert (change.action, change.erp_key) == ("changed", "P-4")  # it replaces F-1
    taken_over(lipsia)

    folder = tmp_path / "zurueck"
    shutil.copytree(EXAMPLE, folder)
    rewrite(folder / "freistellungsauftraege.csv",
            {"F-1": f"F-1;P-4;Einzel;1.000,00;01.01.2024;31.12.{year - 1};{GISELA_SPARSAM_ID};;"},
            [f"F-2;P-4;Einzel;600,00;01.01.{year};;{GISELA_SPARSAM_ID};;"])
    import_folder(folder, lipsia)

    assert ExemptionOrder.select().count() == 2  # F-1 and the saver's own, no copy of it
    status = exemption_orders.status(person("10004"))
    assert status.open.id == order.id and status.open.erp_key == "F-2"
    assert status.upcoming.id == order.id and status.upcoming.amount == Decimal("600.00")
    assert status.current.erp_key == "F-1" and status.current.valid_until == date(year - 1, 12, 31)
    assert recorded() == [change]
    assert runs.export(lipsia, by=None, via="cli") is None
    assert import_folder(folder, lipsia).unchanged
    assert recorded() == [change]
