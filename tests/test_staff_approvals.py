"""Freigaben at the staff desk: the queue of pending bank changes and their decision, Mietschuldenfreiheits-
bescheinigungen that went to staff, and submitted forms (Untervermietung, Haustierhaltung, Personenzahl, Kündigung)."""

from tests.helpers import AuthActions, htmx
from tests.test_contracts import NEW_IBAN_COMPACT, bank_form, contract_id
from wir import clock
from wir.models import BankAccount, Contract, Person, User
from wir.services import bank_accounts

GISELA_IBAN = "DE44500105175407324931"


def file_change(client, auth: AuthActions, email_start: str, contract_number: str, **changes) -> BankAccount:
    """The demo tenant files a new bank account for the contract through the Verträge page; signs out again."""
    tenant = auth.login_as(email_start)
    response = client.post(f"/vertraege/{contract_id(contract_number)}/bankverbindung",
                           data=bank_form(auth, tenant["password"], **changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    auth.logout()
    return BankAccount.get((BankAccount.contract == contract_id(contract_number)) & (BankAccount.status == "pending"))


def bulk_pending(count: int) -> None:
    """``count`` pending changes at Lipsia, filed by the demo tenant of the contract MV-1001-0203."""
    contract = Contract.get(Contract.number == "MV-1001-0203")
    filer = Person.get((Person.cooperative == contract.cooperative) & Person.user.is_null(False)).user
    now = clock.now()
    BankAccount.insert_many([
        {"contract": contract, "holder": f"Inhaber {n}", "iban": NEW_IBAN_COMPACT, "bank_name": "DKB",
         "mandate_reference": f"BULK-{n}", "valid_from": clock.today(), "status": "pending", "consent_at": now,
         "consent_text_version": bank_accounts.MANDATE_VERSION, "created_by": filer, "created_at": now}
        for n in range(count)
    ]).execute()


# --- the queue -------------------------------------------------------------------------------------------------


def test_queue_lists_own_cooperative_with_masked_iban(client, auth, data):
    lipsia = file_change(client, auth, "juergen", "MV-1001-0203")
    elsteraue = file_change(client, auth, "gisela", "GA-G-014", holder="Gisela Weiß", iban=GISELA_IBAN)
    auth.login_staff(0)  # Lipsia
    response = client.get("/intern/bankverbindungen")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Jürgen Müller" in page and "MV-1001-0203" in page and "•••• •••• •••• •••• ••20 51" in page
    assert NEW_IBAN_COMPACT not in page.replace(" ", "") and "DE02 1203" not in page
    assert bank_accounts.MANDATE_VERSION in page and "Deutsche Kreditbank" in page
    assert "GA-G-014" not in page and "Gisela" not in page
    assert lipsia.id != elsteraue.id


def test_admin_queue_shows_both_cooperatives(client, auth, data):
    file_change(client, auth, "juergen", "MV-1001-0203")
    file_change(client, auth, "gisela", "GA-G-014", holder="Gisela Weiß", iban=GISELA_IBAN)
    auth.login_with_code(auth.logins["admin"])
    page = client.get("/intern/bankverbindungen").get_data(as_text=True)
    assert "MV-1001-0203" in page and "GA-G-014" in page and "Elsteraue" in page


def test_queue_fragment_for_htmx(client, auth, data):
    file_change(client, auth, "juergen", "MV-1001-0203")
    auth.login_staff(0)
    response = client.get("/intern/bankverbindungen", headers=htmx(auth))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="bank-changes"')
    assert "<html" not in fragment and "MV-1001-0203" in fragment


def test_queue_hidden_from_anonymous_and_tenants(client, auth, data):
    assert client.get("/intern/bankverbindungen").status_code == 404
    auth.login_as("juergen")
    assert client.get("/intern/bankverbindungen").status_code == 404


def test_queue_pages_with_constant_queries(client, auth, data, count_queries):
    auth.login_staff(0)
    counts = []
    for count in (3, 297):  # 3, then 300 pending
        bulk_pending(count)
        with count_queries() as queries:
            response = client.get("/intern/bankverbindungen?seite=2")
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
    page = client.get("/intern/bankverbindungen?seite=15").get_data(as_text=True)
    assert "Seite 15 von 15" in page and "Inhaber 296" in page
