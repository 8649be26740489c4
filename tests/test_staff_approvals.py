"""Freigaben at the staff desk: the queue of pending bank changes and their decision, Mietschuldenfreiheits-
bescheinigungen that went to staff, and submitted forms (Untervermietung, Haustierhaltung, Personenzahl, Kündigung)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.helpers import AuthActions, at_once, deliver, htmx, mail_text, main_of, pdf_text
from tests.test_contracts import NEW_IBAN_COMPACT, bank_form, contract_id
from wir import clock, db, storage
from wir.models import (
    AuditLog,
    BankAccount,
    Contract,
    Document,
    OutboxMail,
    Person,
    Ticket,
    TicketMessage,
    User,
)
from wir.services.contracts import bank_accounts
from wir.services.documents import applications, certificates
from wir.services.staff import approvals

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


# --- one change: the full IBAN and the decision ------------------------------------------------------------------


def confirm_form(auth, **values):
    return {"confirm-csrf_token": auth.csrf_token(), **{f"confirm-{k}": v for k, v in values.items()}}


def reject_form(auth, **values):
    return {"reject-csrf_token": auth.csrf_token(), **{f"reject-{k}": v for k, v in values.items()}}


def test_detail_shows_full_iban_and_is_audited(client, auth, data):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    staff = auth.login_staff(0)
    page = client.get(f"/intern/bankverbindungen/{account.id}").get_data(as_text=True)
    assert "DE02 1203 0000 0000 2020 51" in page and "Deutsche Kreditbank" in page
    assert "Bestätigen" in page and "Ablehnen" in page and "Bisherige Bankverbindung" in page
    entry = AuditLog.get(AuditLog.action == "bank_account.viewed")
    assert entry.user.email == staff["email"] and entry.object_id == str(account.id) and entry.ip
    assert "2051" in entry.detail and NEW_IBAN_COMPACT not in entry.detail and "120300000000" not in entry.detail


def test_confirm_shows_the_new_account_to_the_tenant(app, client, auth, data, smtp):
    old = BankAccount.get((BankAccount.contract == contract_id("MV-1001-0203")) & (BankAccount.status == "active"))
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    deliver(app)
    staff = auth.login_staff(0)
    response = client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen",
                           data=confirm_form(auth, valid_from=clock.today().isoformat()))
    assert response.status_code == 303 and response.headers["Location"] == f"/intern/bankverbindungen/{account.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ist bestätigt" in page and "Bestätigt" in page and 'action="/intern/bankverbindungen' not in page
    assert BankAccount.get_by_id(account.id).status == "active"
    assert BankAccount.get_by_id(old.id).status == "replaced"
    entry = AuditLog.get(AuditLog.action == "bank_account.confirmed")
    assert entry.user.email == staff["email"] and NEW_IBAN_COMPACT not in entry.detail

    assert deliver(app) == 1 and smtp.messages[-1]["Subject"] == "Ihre neue Bankverbindung gilt"
    assert "MV-1001-0203" in mail_text(smtp.messages[-1])
    auth.logout()
    auth.login_as("juergen")
    contract_page = client.get(f"/vertraege/{contract_id('MV-1001-0203')}").get_data(as_text=True)
    assert "IBAN endet auf 2051" in contract_page and "IBAN endet auf " + old.iban[-4:] not in contract_page
    assert "Neue Bankverbindung in Prüfung" not in contract_page


def test_confirm_from_a_stated_day_back_to_the_filing(client, auth, data, monkeypatch):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    auth.login_staff(0)
    url = f"/intern/bankverbindungen/{account.id}/bestaetigen"
    filed = clock.to_local(account.created_at).date()
    latest = bank_accounts.latest_valid_from()
    for wrong, message in ((filed - timedelta(days=1), "nicht vor ihrer Angabe"),
                           (latest + timedelta(days=1), f"spätestens den {latest.strftime('%d.%m.%Y')}"),
                           ("31.02.2026", "gültiges Datum"), ("<script>", "gültiges Datum")):
        value = wrong if isinstance(wrong, str) else wrong.strftime("%d.%m.%Y")
        response = client.post(url, data=confirm_form(auth, valid_from=value))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page, value
        assert 'aria-invalid="true"' in page and "<script>" not in main_of(page)
        assert BankAccount.get_by_id(account.id).status == "pending"
    # without a day: today
    assert client.post(url, data=confirm_form(auth)).status_code == 303
    assert BankAccount.get_by_id(account.id).valid_from == clock.today()


def test_reject_needs_a_reason_and_mails_it(app, client, auth, data, smtp):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    deliver(app)
    auth.login_staff(0)
    url = f"/intern/bankverbindungen/{account.id}/ablehnen"
    for reason, message in (("", "Bitte geben Sie einen Grund an"), ("   ", "Bitte geben Sie einen Grund an"),
                            ("x" * 1001, "Höchstens 1000 Zeichen"), ("Grund\x00", "Steuerzeichen")):
        response = client.post(url, data=reject_form(auth, reason=reason))
        assert response.status_code == 422 and message in response.get_data(as_text=True), repr(reason[:10])
        assert BankAccount.get_by_id(account.id).status == "pending"
    assert deliver(app) == 0

    hostile = '<script>alert(1)</script> Kontoinhaber stimmt nicht'
    response = client.post(url, data=reject_form(auth, reason=hostile))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Kontoinhaber stimmt nicht" in page and "<script>alert" not in page
    stored = BankAccount.get_by_id(account.id)
    assert stored.status == "rejected" and stored.decision_note == hostile
    assert AuditLog.get(AuditLog.action == "bank_account.rejected").object_id == str(account.id)
    assert deliver(app) == 1 and smtp.messages[-1]["Subject"] == "Ihre neue Bankverbindung wurde nicht übernommen"
    assert "Kontoinhaber stimmt nicht" in mail_text(smtp.messages[-1])


def test_a_decided_change_is_not_decided_twice(app, client, auth, data, smtp):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    deliver(app)
    auth.login_staff(0)
    assert client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen", data=confirm_form(auth)).status_code == 303
    # a colleague's page was still open: both forms arrive after the decision
    for action, form in (("ablehnen", reject_form(auth, reason="zu spät")), ("bestaetigen", confirm_form(auth))):
        response = client.post(f"/intern/bankverbindungen/{account.id}/{action}", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 409 and "nicht mehr in Prüfung" in page and "Bestätigt" in page
    assert BankAccount.get_by_id(account.id).status == "active"
    assert AuditLog.select().where(AuditLog.action.in_(["bank_account.confirmed", "bank_account.rejected"])).count() == 1
    assert deliver(app) == 1


def test_a_decision_on_a_change_the_tenant_replaced_meanwhile_is_refused(app, client, auth, data, demo_logins):
    """A pending change never changes: a newer one, the ERP or a decision ends it, so a decision based on a stale
    page finds it no longer pending and applies nothing (no version needed)."""
    first = file_change(client, auth, "juergen", "MV-1001-0203")
    clerk = app.test_client()
    clerk_auth = AuthActions(clerk, demo_logins)
    clerk_auth.login_staff(0)
    assert clerk.get(f"/intern/bankverbindungen/{first.id}").status_code == 200
    newer = file_change(client, auth, "juergen", "MV-1001-0203", holder="Jürgen Müller", iban=GISELA_IBAN)
    for action, form in (("bestaetigen", confirm_form(clerk_auth)),
                         ("ablehnen", reject_form(clerk_auth, reason="falsch"))):
        response = clerk.post(f"/intern/bankverbindungen/{first.id}/{action}", data=form)
        assert response.status_code == 409 and "nicht mehr in Prüfung" in response.get_data(as_text=True)
    assert BankAccount.get_by_id(first.id).status == "replaced" and BankAccount.get_by_id(newer.id).status == "pending"


@pytest.mark.parametrize("decisions", [("confirm", "confirm"), ("confirm", "reject")])
def test_two_clerks_deciding_a_bank_change_at_once_exactly_one_applies(app, client, auth, data, decisions):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    with app.app_context():
        cooperative = account.contract.cooperative
        clerks = list(User.select().where((User.role == User.ROLE_STAFF) & (User.cooperative == cooperative))
                      .order_by(User.id).limit(2))
        mails = OutboxMail.select().count()
        db.database.close()
    def deciding(clerk, decision):
        def decide(ready):
            ready()
            if decision == "confirm":
                bank_accounts.confirm(account.id, clerk, cooperative)
            else:
                bank_accounts.reject(account.id, "Kontoinhaber stimmt nicht", clerk, cooperative)
        return decide

    outcomes = at_once(app, bank_accounts.NotPending,
                       *(deciding(clerk, decision) for clerk, decision in zip(clerks, decisions)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = decisions[outcomes.index("applied")]
    with app.app_context():
        assert BankAccount.get_by_id(account.id).status == ("active" if applied == "confirm" else "rejected")
        decided = AuditLog.select().where(AuditLog.action.in_(["bank_account.confirmed", "bank_account.rejected"]))
        assert decided.count() == 1 and OutboxMail.select().count() == mails + 1


def test_htmx_swaps_the_decision_panel(client, auth, data):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    auth.login_staff(0)
    response = client.post(f"/intern/bankverbindungen/{account.id}/ablehnen", data={"reject-reason": ""},
                           headers=htmx(auth, "bank-decision"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<section id="bank-decision"' in fragment and "<html" not in fragment and "Bitte geben Sie einen Grund" in fragment
    response = client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen", data={},
                           headers=htmx(auth, "bank-decision"))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/intern/bankverbindungen/{account.id}"
    assert BankAccount.get_by_id(account.id).status == "active"


def test_another_cooperatives_change_is_unknown(client, auth, data):
    account = file_change(client, auth, "gisela", "GA-G-014", holder="Gisela Weiß", iban=GISELA_IBAN)
    auth.login_staff(0)  # Lipsia
    assert client.get(f"/intern/bankverbindungen/{account.id}").status_code == 404
    assert client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen", data=confirm_form(auth)).status_code == 404
    assert client.post(f"/intern/bankverbindungen/{account.id}/ablehnen",
                       data=reject_form(auth, reason="nein")).status_code == 404
    assert client.get("/intern/bankverbindungen/999999").status_code == 404
    assert BankAccount.get_by_id(account.id).status == "pending"
    assert not AuditLog.select().where(AuditLog.action == "bank_account.viewed").exists()
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    assert client.get(f"/intern/bankverbindungen/{account.id}").status_code == 200


def test_decisions_hidden_from_anonymous_and_tenants(client, auth, data):
    account = file_change(client, auth, "juergen", "MV-1001-0203")
    for signed_in in (False, True):
        if signed_in:
            auth.login_as("juergen")
        assert client.get(f"/intern/bankverbindungen/{account.id}").status_code == 404
        response = client.post(f"/intern/bankverbindungen/{account.id}/bestaetigen", data=confirm_form(auth))
        assert response.status_code == 404
    assert BankAccount.get_by_id(account.id).status == "pending"


# --- Mietschuldenfreiheitsbescheinigung and Formulare -------------------------------------------------------------


def juergen() -> tuple[User, Person, Contract]:
    contract = Contract.get(Contract.number == "MV-1001-0203")
    person = Person.get((Person.number == "104711"))
    return person.user, person, contract


def rent_clearance_ticket(app) -> Ticket:
    """Jürgen asks for a Mietschuldenfreiheitsbescheinigung while his rent account has arrears: a ticket for staff."""
    user, person, contract = juergen()
    contract.arrears = Decimal("120.00")
    contract.save()
    with app.app_context():  # the mail's link is built from the configured base URL
        outcome = certificates.request_certificate("mietschuldenfreiheitsbescheinigung", person, contract, user)
    assert outcome.ticket is not None and outcome.document is None
    return outcome.ticket


def pets_ticket(app) -> tuple[Ticket, Document]:
    user, person, contract = juergen()
    with app.app_context():
        outcome = applications.submit("haustierhaltung", person, contract, applications.PetApplication("Katze", 1), user)
    return outcome.ticket, outcome.document


def staff_of_lipsia(auth) -> User:
    return User.get(User.email == auth.login_staff(0)["email"])


def test_issue_rent_clearance(app, client, auth, data, smtp):
    ticket = rent_clearance_ticket(app)
    deliver(app)
    clerk = staff_of_lipsia(auth)
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Bescheinigung ausstellen" in page and f"Stand {clock.today():%d.%m.%Y}" in page
    response = client.post(f"/intern/meldungen/{ticket.number}/bescheinigung",
                           data={"certificate-csrf_token": auth.csrf_token(), "decision": "ausstellen"})
    assert response.status_code == 303 and response.headers["Location"] == f"/intern/meldungen/{ticket.number}"
    assert Ticket.get_by_id(ticket.id).status == "closed"
    document = Document.get((Document.kind == "certificate") & (Document.created_by == clerk))
    assert document.read_at is None and document.title.startswith("Mietschuldenfreiheitsbescheinigung vom ")
    text = pdf_text(storage.load(document.storage_key))
    assert f"Stand {clock.today():%d.%m.%Y}" in text and "MV-1001-0203" in text
    assert AuditLog.get(AuditLog.action == "rent_clearance.issued").user == clerk
    assert deliver(app) == 1 and document.number in mail_text(smtp.messages[-1])
    # the panel is gone with the open request; a second Ausstellen applies nothing
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Bescheinigung ausstellen" not in page
    response = client.post(f"/intern/meldungen/{ticket.number}/bescheinigung",
                           data={"certificate-csrf_token": auth.csrf_token(), "decision": "ausstellen"})
    assert response.status_code == 409 and "nicht mehr offen" in response.get_data(as_text=True)
    assert Document.select().where(Document.kind == "certificate", Document.created_by == clerk).count() == 1


def test_refuse_rent_clearance_needs_a_reason(app, client, auth, data, smtp):
    ticket = rent_clearance_ticket(app)
    deliver(app)
    auth.login_staff(0)
    url = f"/intern/meldungen/{ticket.number}/bescheinigung"
    for reason in ("", "  ", "x" * 5001, "Grund\x07"):
        response = client.post(url, data={"certificate-csrf_token": auth.csrf_token(), "decision": "ablehnen",
                                           "certificate-reason": reason})
        assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
        assert Ticket.get_by_id(ticket.id).status == "received"
    response = client.post(url, data={"certificate-csrf_token": auth.csrf_token(), "decision": "ablehnen",
                                       "certificate-reason": "<b>Rückstand</b> von 120 € offen"},
                           headers=htmx(auth, "decision"))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/intern/meldungen/{ticket.number}"
    assert Ticket.get_by_id(ticket.id).status == "rejected"
    assert deliver(app) == 1 and "Begründung: <b>Rückstand</b> von 120 € offen" in mail_text(smtp.messages[-1])
    assert AuditLog.get(AuditLog.action == "rent_clearance.refused").object_id == str(ticket.id)


def test_application_approved_with_a_reply_letter(app, client, auth, data, smtp):
    ticket, copy = pets_ticket(app)
    deliver(app)
    clerk = staff_of_lipsia(auth)
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Zustimmen" in page and f"/intern/dokumente/{copy.number}" in page
    download = client.get(f"/intern/dokumente/{copy.number}")
    assert download.status_code == 200 and "Haustierhaltung" in pdf_text(download.data)
    assert Document.get_by_id(copy.id).read_at is None  # the tenant's proof of receipt stays untouched
    assert AuditLog.get(AuditLog.action == "document.view").detail == copy.number

    response = client.post(f"/intern/meldungen/{ticket.number}/antrag", data={
        "application-csrf_token": auth.csrf_token(), "decision": "zustimmen",
        "application-text": "Bitte halten Sie die Hausordnung ein."})
    assert response.status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "closed"
    letter = Document.get((Document.kind == "letter") & (Document.created_by == clerk))
    text = pdf_text(storage.load(letter.storage_key))
    assert f"Ihr Antrag „Antrag auf Haustierhaltung“ vom {clock.today():%d.%m.%Y}" in text
    assert "Wir stimmen Ihrem Antrag zu." in text and "Bitte halten Sie die Hausordnung ein." in text
    assert "Sehr geehrter Herr Müller" in text and "Sandra Köhler" in text and "WG „Lipsia“ eG" in text
    assert deliver(app) == 1 and letter.number in mail_text(smtp.messages[-1])
    assert AuditLog.get(AuditLog.action == "application.approved").user == clerk


def test_application_refused_needs_a_reason(app, client, auth, data, smtp):
    ticket, _ = pets_ticket(app)
    deliver(app)
    clerk = staff_of_lipsia(auth)
    url = f"/intern/meldungen/{ticket.number}/antrag"
    response = client.post(url, data={"application-csrf_token": auth.csrf_token(), "decision": "ablehnen",
                                      "application-text": ""})
    assert response.status_code == 422 and "Bitte geben Sie einen Grund an" in response.get_data(as_text=True)
    assert not Document.select().where(Document.kind == "letter", Document.created_by == clerk).exists()
    response = client.post(url, data={"application-csrf_token": auth.csrf_token(), "decision": "ablehnen",
                                      "application-text": "Katzen sind im Haus nicht erlaubt."})
    assert response.status_code == 303 and Ticket.get_by_id(ticket.id).status == "rejected"
    letter = Document.get((Document.kind == "letter") & (Document.created_by == clerk))
    text = pdf_text(storage.load(letter.storage_key))
    assert "Leider können wir Ihrem Antrag nicht zustimmen." in text
    assert "Begründung: Katzen sind im Haus nicht erlaubt." in text
    assert deliver(app) == 1 and "Katzen sind im Haus nicht erlaubt." in mail_text(smtp.messages[-1])


@pytest.mark.parametrize("kind, decision, field, what", [
    ("certificate", "ablehnen", "reason", "Die Begründung"),
    ("application", "zustimmen", "text", "Der Text"),
    ("application", "ablehnen", "text", "Der Text"),
], ids=["certificate-refused", "application-approved", "application-refused"])
@pytest.mark.parametrize("headers", [False, True], ids=["plain", "htmx"])
def test_a_decision_with_a_placeholder_left_is_refused_and_nothing_sent(app, client, auth, data, kind, decision,
                                                                        field, what, headers):
    ticket = rent_clearance_ticket(app) if kind == "certificate" else pets_ticket(app)[0]
    auth.login_staff(0)
    before = TicketMessage.select().count(), OutboxMail.select().count(), Document.select().count()
    action = "bescheinigung" if kind == "certificate" else "antrag"
    response = client.post(f"/intern/meldungen/{ticket.number}/{action}",
                           data={f"{kind}-csrf_token": auth.csrf_token(), "decision": decision,
                                 f"{kind}-{field}": "Bitte melden Sie sich bis {Datum}."},
                           headers=htmx(auth, "decision") if headers else {})
    assert response.status_code == 422
    error = re.search(rf'id="{kind}-{field}-error">(.*?)</p>', response.get_data(as_text=True), re.S).group(1)
    assert f"{what} enthält noch den Platzhalter {{Datum}}." in error
    assert Ticket.get_by_id(ticket.id).status == "received"
    assert (TicketMessage.select().count(), OutboxMail.select().count(), Document.select().count()) == before


def test_panel_only_for_open_requests_of_those_categories(app, client, auth, data):
    ticket, _ = pets_ticket(app)
    auth.login_staff(0)
    other = Ticket.select().where((Ticket.cooperative == ticket.cooperative) & (Ticket.id != ticket.id)
                                  & Ticket.status.in_(Ticket.OPEN_STATUSES)).first()
    page = client.get(f"/intern/meldungen/{other.number}").get_data(as_text=True)
    assert 'id="decision"' not in page
    response = client.post(f"/intern/meldungen/{other.number}/antrag",
                           data={"application-csrf_token": auth.csrf_token(), "decision": "zustimmen"})
    assert response.status_code == 409 and Ticket.get_by_id(other.id).status == other.status
    Ticket.update(status="withdrawn").where(Ticket.id == ticket.id).execute()
    assert 'id="decision"' not in client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)


def test_decisions_of_another_cooperative_are_unknown(app, client, auth, data):
    ticket, copy = pets_ticket(app)
    auth.login_staff(2)  # Elsteraue
    response = client.post(f"/intern/meldungen/{ticket.number}/antrag",
                           data={"application-csrf_token": auth.csrf_token(), "decision": "zustimmen"})
    assert response.status_code == 404 and Ticket.get_by_id(ticket.id).status == "received"
    assert client.get(f"/intern/dokumente/{copy.number}").status_code == 404
    auth.logout()
    auth.login_as("juergen")
    assert client.get(f"/intern/dokumente/{copy.number}").status_code == 404


def test_desk_actions_with_htmx_bring_the_decision_panel_up_to_date(app, client, auth, data):
    ticket = rent_clearance_ticket(app)
    auth.login_staff(0)
    for action, prefix, fields, panel in (("notiz", "note", {"note": "Rückstand geklärt?"}, True),
                                          ("status", "status", {"status": "closed"}, False)):
        fresh = Ticket.get_by_id(ticket.id)
        data_ = {f"{prefix}-csrf_token": auth.csrf_token(), f"{prefix}-version": str(fresh.version),
                 f"{prefix}-seen_at": fresh.activity_at.isoformat(),
                 **{f"{prefix}-{name}": value for name, value in fields.items()}}
        response = client.post(f"/intern/meldungen/{ticket.number}/{action}", data=data_, headers=htmx(auth, "desk"))
        assert response.status_code == 200
        fragment = response.get_data(as_text=True)
        assert fragment.lstrip().startswith('<div id="desk"')
        # the panel is part of the swapped desk: there while the request is open, gone once it is closed
        assert ('id="decision"' in fragment) is panel and ("Bescheinigung ausstellen" in fragment) is panel
    assert client.post(f"/intern/meldungen/{ticket.number}/bescheinigung", data={
        "certificate-csrf_token": auth.csrf_token(), "decision": "ausstellen"}).status_code == 409


@pytest.mark.parametrize("decisions", [("ausstellen", "ausstellen"), ("ausstellen", "ablehnen")])
def test_two_clerks_deciding_at_once_exactly_one_applies(app, data, decisions):
    with app.app_context():
        ticket = rent_clearance_ticket(app)
        clerks = list(User.select().where((User.role == User.ROLE_STAFF)
                                          & (User.cooperative == ticket.cooperative_id)).order_by(User.id).limit(2))
        db.database.close()
    def deciding(clerk, decision):
        def decide(ready):
            current = Ticket.get_by_id(ticket.id)
            ready()
            if decision == "ausstellen":
                approvals.issue_rent_clearance(current, clerk)
            else:
                approvals.refuse_rent_clearance(current, clerk, "Mietrückstand offen")
        return decide

    outcomes = at_once(app, approvals.NotOpen, *(deciding(clerk, decision) for clerk, decision in zip(clerks, decisions)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = decisions[outcomes.index("applied")]
    with app.app_context():
        fresh = Ticket.get_by_id(ticket.id)
        assert fresh.status == ("closed" if applied == "ausstellen" else "rejected")
        assert [c.new_status for c in fresh.status_changes] == ["received", fresh.status]
        assert Document.select().where(Document.kind == "certificate").count() == (applied == "ausstellen")
        decided = AuditLog.select().where(AuditLog.action.in_(["rent_clearance.issued", "rent_clearance.refused"]))
        assert decided.count() == 1
