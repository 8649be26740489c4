"""A confirmed bank change for a future day (issue 20): the old account stays in force until the day before, the
tenant sees both („bis“, „ab“); from the day on only the new one counts, without any job switching it (in force is
derived by date); the clerk's „Gültig ab“ reaches at most three months ahead and never before the filing."""

import json
from datetime import date, datetime, time, timedelta

import pytest

from tests.helpers import deliver, mail_text, main_of
from tests.test_contracts import NEW_IBAN_COMPACT, contract_id
from tests.test_staff_approvals import confirm_form, file_change
from wir import clock
from wir.models import BankAccount, ErpChange, User
from wir.services.account import data_export
from wir.services.contracts import bank_accounts

CONTRACT = "MV-1001-0203"


def german(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def move_clock(monkeypatch, day: date) -> None:
    """The clock at 10:00 in Leipzig on ``day``."""
    moment = datetime.combine(day, time(10)) - (clock.local_midnight(day) - datetime.combine(day, time.min))
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert clock.today() == day


def old_account() -> BankAccount:
    return BankAccount.get((BankAccount.contract == contract_id(CONTRACT)) & (BankAccount.status == "active"))


def confirm(client, auth, account: BankAccount, day: date, stay: bool = False):
    """The clerk confirms the change from ``day``; signs out again unless ``stay`` (a code is good for one sign-in)."""
    auth.login_staff(0)
    response = client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen",
                           data=confirm_form(auth, valid_from=german(day)))
    if not stay:
        auth.logout()
    return response


def contract_page(client, auth, url: str | None = None) -> str:
    """What the tenant sees of the contract (``url``: another page, the Verträge overview)."""
    auth.login_as("juergen")
    page = main_of(client.get(url or f"/vertraege/{contract_id(CONTRACT)}").get_data(as_text=True))
    auth.logout()
    return page


def test_until_the_day_the_tenant_sees_both_then_only_the_new_one(client, auth, data, monkeypatch):
    old = old_account()
    new = file_change(client, auth, "juergen", CONTRACT)
    start = bank_accounts.first_of_next_month()
    assert confirm(client, auth, new, start).status_code == 303
    assert BankAccount.get_by_id(new.id).status == "active" and BankAccount.get_by_id(new.id).valid_from == start
    assert BankAccount.get_by_id(old.id).status == "active"  # still collected from until the day before

    page = contract_page(client, auth)
    day_before = start - timedelta(days=1)
    assert f"Bisherige Bankverbindung, bis {german(day_before)}" in page
    assert f"Neue Bankverbindung, ab {german(start)}" in page
    assert f"IBAN endet auf {old.iban[-4:]}" in page and f"IBAN endet auf {NEW_IBAN_COMPACT[-4:]}" in page
    assert f"Bis einschließlich {german(day_before)} buchen wir vom bisherigen Konto ab" in page
    assert "Neue Bankverbindung in Prüfung" not in page
    overview = contract_page(client, auth, "/vertraege/")
    assert f"Bisherige Bankverbindung, bis {german(day_before)}" in overview
    assert f"Neue Bankverbindung, ab {german(start)}" in overview
    accounts = list(BankAccount.select().where(BankAccount.contract == contract_id(CONTRACT)))
    assert bank_accounts.in_force(accounts).id == old.id
    assert bank_accounts.in_force(accounts, start).id == new.id
    assert bank_accounts.in_force_on([contract_id(CONTRACT)], day_before)[contract_id(CONTRACT)].id == old.id

    # the day has come: nothing ran, yet only the new account counts, on the page and in the data export
    move_clock(monkeypatch, start)
    page = contract_page(client, auth)
    assert f"IBAN endet auf {NEW_IBAN_COMPACT[-4:]}" in page and f"IBAN endet auf {old.iban[-4:]}" not in page
    assert f"seit {german(start)}" in page and "Bisherige Bankverbindung" not in page
    export = data_export.collect(User.get(User.email == "juergen.mueller@example.org"))
    states = {account["mandatsreferenz"]: account["status"] for contract in export["vertraege"]
              for account in contract["bankverbindungen"]}
    assert states[new.mandate_reference] == "gültig" and states[old.mandate_reference] == "ersetzt"


def test_the_data_export_and_the_staff_say_bis_and_ab_while_both_count(client, auth, data):
    old = old_account()
    new = file_change(client, auth, "juergen", CONTRACT)
    start = bank_accounts.first_of_next_month()
    confirm(client, auth, new, start, stay=True)
    accounts = list(BankAccount.select().where(BankAccount.contract == contract_id(CONTRACT)))
    assert bank_accounts.status_label(old, accounts) == f"gültig bis {german(start - timedelta(days=1))}"
    assert bank_accounts.status_label(BankAccount.get_by_id(new.id), accounts) == f"gültig ab {german(start)}"
    page = client.get(f"/intern/bankverbindungen/{new.id}").get_data(as_text=True)
    assert f'<strong id="bank-state">gültig ab {german(start)}</strong>' in page
    assert "bis dahin wird vom bisherigen Konto abgebucht" in page


def test_confirmed_today_the_old_one_ends_at_once(client, auth, data):
    old = old_account()
    new = file_change(client, auth, "juergen", CONTRACT)
    assert confirm(client, auth, new, clock.today()).status_code == 303
    assert BankAccount.get_by_id(old.id).status == "replaced"
    page = contract_page(client, auth)
    assert f"IBAN endet auf {old.iban[-4:]}" not in page and "Bisherige Bankverbindung" not in page


def test_the_clerks_form_suggests_the_first_of_next_month_and_refuses_what_cannot_be(client, auth, data):
    new = file_change(client, auth, "juergen", CONTRACT)
    auth.login_staff(0)
    url = f"/intern/bankverbindungen/{new.id}"
    page = client.get(url).get_data(as_text=True)
    latest, filed = bank_accounts.latest_valid_from(), clock.to_local(new.created_at).date()
    assert f"der {german(bank_accounts.first_of_next_month())}" in page
    assert f'max="{latest.isoformat()}"' in page and f'min="{filed.isoformat()}"' in page
    for wrong, message in ((latest + timedelta(days=1), "höchstens 3 Monate im Voraus"),
                           (date(latest.year + 1, 1, 1), f"spätestens den {german(latest)}"),
                           (filed - timedelta(days=1), f"nicht vor ihrer Angabe am {german(filed)}")):
        response = client.post(f"{url}/bestaetigen", data=confirm_form(auth, valid_from=german(wrong)))
        text = response.get_data(as_text=True)
        assert response.status_code == 422 and message in text, wrong
        assert 'id="confirm-valid_from-error"' in text
        assert BankAccount.get_by_id(new.id).status == "pending"
    assert client.post(f"{url}/bestaetigen", data=confirm_form(auth, valid_from=german(latest))).status_code == 303
    assert BankAccount.get_by_id(new.id).valid_from == latest


def test_a_newer_confirmation_supersedes_one_still_waiting(client, auth, data, app):
    old = old_account()
    first = file_change(client, auth, "juergen", CONTRACT)
    later = bank_accounts.first_of_next_month() + timedelta(days=31)
    with app.app_context():
        bank_accounts.confirm(first.id, valid_from=later)
    second = file_change(client, auth, "juergen", CONTRACT, iban="DE44500105175407324931")
    # before deciding, the clerk sees the first one waiting for its day
    auth.login_staff(0)
    page = main_of(client.get(f"/intern/bankverbindungen/{second.id}").get_data(as_text=True))
    auth.logout()
    assert "Bereits bestätigt, noch nicht in Kraft" in page and f"gültig ab {german(later)}" in page
    start = bank_accounts.first_of_next_month()
    with app.app_context():
        bank_accounts.confirm(second.id, valid_from=start)  # earlier than the first: that one never comes
    assert BankAccount.get_by_id(first.id).status == "replaced"
    assert BankAccount.get_by_id(old.id).status == "active"
    accounts = list(BankAccount.select().where(BankAccount.contract == contract_id(CONTRACT)))
    assert bank_accounts.in_force(accounts).id == old.id
    assert bank_accounts.in_force(accounts, later).id == second.id
    # the ERP, which took the first over when it was confirmed, learns it never comes before it learns the second
    bank_changes = ErpChange.select().where(ErpChange.kind == "bank_account").order_by(ErpChange.id)
    assert [(c.action, json.loads(c.data)["Gültig ab"]) for c in bank_changes] == [
        ("new", german(later)), ("revoked", german(later)), ("new", german(start))]


@pytest.mark.parametrize("today, expected", [(date(2026, 12, 7), date(2027, 1, 1)), (date(2026, 1, 31), date(2026, 2, 1))])
def test_first_of_next_month(today, expected):
    assert bank_accounts.first_of_next_month(today) == expected
    assert bank_accounts.latest_valid_from(date(2026, 11, 30)) == date(2027, 2, 28)


def test_in_force_by_date_without_a_query():
    a = BankAccount(id=1, status="active", valid_from=date(2025, 1, 1))
    b = BankAccount(id=2, status="active", valid_from=date(2027, 1, 1))
    pending = BankAccount(id=3, status="pending", valid_from=date(2026, 1, 1))
    assert bank_accounts.in_force([b, pending, a], date(2026, 12, 31)) is a
    assert bank_accounts.in_force([b, pending, a], date(2027, 1, 1)) is b
    assert bank_accounts.in_force([b], date(2026, 12, 31)) is None
    assert bank_accounts.until_of([a, b], a) == date(2026, 12, 31) and bank_accounts.until_of([a, b], b) is None


def test_the_mail_says_from_which_day_and_that_the_old_account_is_charged_until_then(app, client, auth, data, smtp):
    new = file_change(client, auth, "juergen", CONTRACT)
    deliver(app)
    start = bank_accounts.first_of_next_month()
    confirm(client, auth, new, start)
    assert deliver(app) == 1
    assert smtp.messages[-1]["Subject"] == f"Ihre neue Bankverbindung gilt ab {german(start)}"
    text = " ".join(mail_text(smtp.messages[-1]).split())
    assert f"Ab dem {german(start)} buchen wir von diesem Konto ab. Bis dahin belasten wir weiter das bisherige" in text
