"""Verträge and Bankverbindung ändern (issue 4)."""

import re
from datetime import date

import pytest

from tests.helpers import deliver, htmx, mail_text, main_of
from wir import clock, formatting
from wir.models import (
    AuditLog,
    BankAccount,
    Contract,
    ContractParty,
    OutboxMail,
    Person,
    Unit,
    User,
)
from wir.services.contracts import bank_accounts
from wir.services.rejections import Rejected

NEW_IBAN = "de02 1203 0000 0000 2020 51"  # Deutsche Kreditbank Berlin, typed the way people do
NEW_IBAN_COMPACT = "DE02120300000000202051"
PENDING_NOTICE = "Neue Bankverbindung in Prüfung"


def contract_id(number):
    return Contract.get(Contract.number == number).id


def bank_form(auth, tenant_password, **changes):
    values = {
        "csrf_token": auth.csrf_token(),
        "holder": "Jürgen Müller",
        "iban": NEW_IBAN,
        "consent": "y",
        "password": tenant_password,
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


# --- Verträge ----------------------------------------------------------------------------


def test_contracts_grouped_by_cooperative_with_all_kinds(client, auth, data):
    auth.login_as("gisela")  # member and tenant at both cooperatives
    page = main_of(client.get("/vertraege/").get_data(as_text=True))
    lipsia, elsteraue = page.index("WG „Lipsia“ eG</h2>"), page.index("WG „Elsteraue“ eG</h2>")
    assert elsteraue < lipsia  # sorted by name: „E…“ before „L…“
    for number in ("MV-1004-0112", "MG-100385"):
        assert page.index(number) > lipsia
    for number in ("GA-G-014", "MG-205188"):
        assert elsteraue < page.index(number) < lipsia
    # nobody else's contracts
    assert "MV-1001-0203" not in page and "MV-301-0201" not in page


def test_rental_parking_and_membership_details(client, auth, data):
    auth.login_as("juergen")
    page = main_of(client.get("/vertraege/").get_data(as_text=True))
    # Mietvertrag: address with floor and position, rooms, area, the rent parts and their total
    for text in ("Mietvertrag MV-1001-0203", "01.10.1991", "Jürgen Müller (Hauptmieter)", "Monika Müller (Mitmieterin)",
                 "Stuttgarter Allee 18, 2. OG links", "04209 Leipzig", "<dd>3</dd>", "67,45 m²",
                 "Grundmiete</th><td>391,21 €", "Betriebskostenvorauszahlung</th><td>128,16 €",
                 "Heizkostenvorauszahlung</th><td>87,69 €", "Gesamtmiete</th><td>607,06 €"):
        assert text in page, text
    # Stellplatz: object and monthly rent
    assert "Stellplatz 12" in page and "Miete</th><td>30,00 €" in page
    # Mitgliedschaft: member number, admission, shares, amount per share, paid in
    for text in ("Mitgliedschaft MG-104711", "Mitgliedsnummer</dt><dd>104711", "Mitglied seit</dt><dd>01.09.1991",
                 "Pflichtanteile</th><td>9", "Freiwillige Anteile</th><td>4", "Betrag je Anteil</th><td>155,00 €",
                 "Eingezahltes Geschäftsguthaben</th><td>2.015,00 €"):
        assert text in page, text
    # Ansprechpartner with phone and e-mail
    assert "Sandra Köhler" in page and 'href="tel:03414151921"' in page
    assert "mailto:sachbearbeitung@lipsia.example.org" in page


def test_open_share_amount_is_shown(client, auth, data):
    auth.login_as("lukasz")  # has not reviewed the contact data yet: do it first
    client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    page = client.get(f"/vertraege/{contract_id('MG-118240')}").get_data(as_text=True)
    # 3 shares × 155 € = 465 €, 310 € paid in
    assert "Gezeichnet (3 Anteile)</th><td>465,00 €" in page and "Noch einzuzahlen</th><td>155,00 €" in page


def test_iban_is_masked_except_last_four(client, auth, data):
    auth.login_as("juergen")
    full = BankAccount.get(BankAccount.contract == contract_id("MV-1001-0203")).iban
    for url in ("/vertraege/", f"/vertraege/{contract_id('MV-1001-0203')}",
                f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung"):
        page = client.get(url).get_data(as_text=True)
        assert full not in page and full[4:12] not in page
        assert "IBAN endet auf " + full[-4:] in page
        assert "•••• •••• •••• •••• ••" + full[-4:-2] + " " + full[-2:] in page


def test_masking_keeps_only_last_four():
    assert formatting.masked_iban("DE89370400440532013000") == "•••• •••• •••• •••• ••30 00"
    masked = formatting.masked_iban("NO9386011117947")
    assert masked.replace(" ", "").endswith("7947") and masked.replace(" ", "").count("•") == 11


def test_contract_page_and_another_persons_contract(client, auth, data):
    auth.login_as("juergen")
    page = client.get(f"/vertraege/{contract_id('MV-1001-0203')}").get_data(as_text=True)
    assert "<h1>Mietvertrag MV-1001-0203</h1>" in page and "Bankverbindung ändern" in page
    assert client.get(f"/vertraege/{contract_id('MV-1004-0112')}").status_code == 404  # Gisela, same cooperative
    assert client.get(f"/vertraege/{contract_id('MV-301-0201')}").status_code == 404  # Elsteraue
    assert client.get("/vertraege/999999").status_code == 404


def test_co_tenant_without_login_is_no_way_in(client, auth, data):
    """Monika is a party of Jürgen's contract but has no login: Jürgen's session is the only way to see it."""
    auth.login_as("gisela")
    assert client.get(f"/vertraege/{contract_id('MV-1001-0203')}").status_code == 404


def test_anonymous_is_sent_to_login(client, data):
    for url in ("/vertraege/", f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden?next=")


# --- Bankverbindung ändern --------------------------------------------------------------


def test_form_shows_mandate_with_creditor_id_and_reference(client, auth, data):
    auth.login_as("juergen")
    page = client.get(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung").get_data(as_text=True)
    lipsia = Contract.get(Contract.number == "MV-1001-0203").cooperative
    assert lipsia.creditor_id in page
    assert "Mandatsreferenz</dt><dd>LIP-MV-1001-0203-02" in page
    assert "Ich ermächtige die WG „Lipsia“ eG" in page and "acht Wochen" in page
    assert bank_accounts.MANDATE_VERSION in page
    assert "muss er diesem Mandat zustimmen" in page
    # siblings at the same cooperative, each with its own reference
    assert "SP-9001-0012 – Mandatsreferenz LIP-SP-9001-0012-02" in page
    assert "MG-104711 – Mandatsreferenz LIP-MG-104711-01" in page
    assert 'name="bic"' not in page  # shown, not asked


def test_change_is_pending_until_confirmed(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    contract = contract_id("MV-1001-0203")
    old = BankAccount.get(BankAccount.contract == contract)
    before = clock.now().replace(microsecond=0)
    response = client.post(f"/vertraege/{contract}/bankverbindung", data=bank_form(auth, tenant["password"]))
    assert response.status_code == 303 and response.headers["Location"] == f"/vertraege/{contract}"
    new = BankAccount.get((BankAccount.contract == contract) & (BankAccount.status == "pending"))
    assert new.iban == NEW_IBAN_COMPACT  # spaces and lower case normalized
    assert new.bic == "BYLADEM1001" and new.bank_name == "Deutsche Kreditbank Berlin"
    assert new.holder == "Jürgen Müller" and new.mandate_reference == "LIP-MV-1001-0203-02"
    assert new.consent_text_version == bank_accounts.MANDATE_VERSION and new.consent_at >= before
    assert new.created_by_id == User.get(User.email == tenant["email"]).id
    assert BankAccount.get_by_id(old.id).status == "active"  # the old one stays valid meanwhile
    # only this contract: the parking space keeps its account
    assert not BankAccount.select().where((BankAccount.contract == contract_id("SP-9001-0012"))
                                          & (BankAccount.status == "pending")).exists()

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihre neue Bankverbindung ist in Prüfung" in page and PENDING_NOTICE in page
    assert "IBAN endet auf 2051" in page and "weiter vom bisherigen Konto" in page
    assert "IBAN endet auf " + old.iban[-4:] in page

    assert deliver(app) == 1
    message = smtp.messages[-1]
    body = mail_text(message)
    assert message["To"] == tenant["email"] and message["Subject"] == "Ihre neue Bankverbindung ist in Prüfung"
    assert "•••• •••• •••• •••• ••20 51" in body and NEW_IBAN_COMPACT not in body.replace(" ", "")
    assert "LIP-MV-1001-0203-02" in body and "WG „Lipsia“ eG" in body

    entry = AuditLog.get(AuditLog.action == "bank_account.requested")
    assert entry.object_id == str(new.id) and "2051" in entry.detail
    assert NEW_IBAN_COMPACT not in entry.detail and "120300000000" not in entry.detail


def test_confirm_and_reject_from_command_line(app, client, auth, data, smtp, runner):
    tenant = auth.login_as("juergen")
    contract = contract_id("MV-1001-0203")
    old = BankAccount.get(BankAccount.contract == contract)
    client.post(f"/vertraege/{contract}/bankverbindung", data=bank_form(auth, tenant["password"]))
    deliver(app)
    new = BankAccount.get(BankAccount.status == "pending")

    listed = runner.invoke(args=["bank", "pending"])
    assert f"{new.id}\tMV-1001-0203\t" in listed.output and NEW_IBAN_COMPACT not in listed.output

    result = runner.invoke(args=["bank", "confirm", str(new.id)])
    assert result.exit_code == 0, result.output
    assert BankAccount.get_by_id(new.id).status == "active"
    assert BankAccount.get_by_id(new.id).valid_from == clock.today()
    assert BankAccount.get_by_id(old.id).status == "replaced"
    assert smtp.messages[-1]["Subject"] == "Ihre neue Bankverbindung gilt"
    assert "MV-1001-0203" in mail_text(smtp.messages[-1])
    page = client.get(f"/vertraege/{contract}").get_data(as_text=True)
    assert "IBAN endet auf 2051" in page and PENDING_NOTICE not in page
    assert "IBAN endet auf " + old.iban[-4:] not in page

    again = runner.invoke(args=["bank", "confirm", str(new.id)])
    assert again.exit_code != 0 and "nicht in Prüfung" in again.output

    # a second change, rejected with a reason: the confirmed account stays
    client.post(f"/vertraege/{contract}/bankverbindung",
                data=bank_form(auth, tenant["password"], iban="DE44 5001 0517 5407 3249 31"))
    rejected = BankAccount.get(BankAccount.status == "pending")
    assert rejected.mandate_reference == "LIP-MV-1001-0203-03"
    result = runner.invoke(args=["bank", "reject", str(rejected.id), "--reason", "Kontoinhaber unbekannt"])
    assert result.exit_code == 0, result.output
    assert BankAccount.get_by_id(rejected.id).status == "rejected"
    assert BankAccount.get_by_id(new.id).status == "active"
    assert smtp.messages[-1]["Subject"] == "Ihre neue Bankverbindung wurde nicht übernommen"
    assert "Kontoinhaber unbekannt" in mail_text(smtp.messages[-1])
    page = client.get(f"/vertraege/{contract}").get_data(as_text=True)
    assert "wurde nicht übernommen" in page and "Kontoinhaber unbekannt" in page


def test_decisions_are_scoped_to_a_cooperative(app, client, auth, data):
    tenant = auth.login_as("juergen")
    client.post(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung", data=bank_form(auth, tenant["password"]))
    pending = BankAccount.get(BankAccount.status == "pending")
    elsteraue = Person.get(Person.number == "203317").cooperative
    assert bank_accounts.pending_accounts(elsteraue) == []
    with pytest.raises(bank_accounts.NotPending):
        bank_accounts.confirm(pending.id, cooperative=elsteraue)
    with pytest.raises(Rejected):
        bank_accounts.reject(pending.id, "  ")
    assert [a.id for a in bank_accounts.pending_accounts(pending.contract.cooperative)] == [pending.id]


def test_apply_to_all_contracts_at_the_same_cooperative(client, auth, data):
    tenant = auth.login_as("juergen")
    response = client.post(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung",
                           data=bank_form(auth, tenant["password"], apply_to_all="y"))
    assert response.status_code == 303
    pending = {a.contract.number: a.mandate_reference
               for a in BankAccount.select().where(BankAccount.status == "pending")}
    assert pending == {
        "MV-1001-0203": "LIP-MV-1001-0203-02",
        "SP-9001-0012": "LIP-SP-9001-0012-02",
        "MG-104711": "LIP-MG-104711-01",
    }


def test_apply_to_all_stays_within_the_cooperative(client, auth, data):
    tenant = auth.login_as("gisela")
    response = client.post(f"/vertraege/{contract_id('GA-G-014')}/bankverbindung",
                           data=bank_form(auth, tenant["password"], holder="Gisela Weiß", apply_to_all="y"))
    assert response.status_code == 303
    numbers = {a.contract.number for a in BankAccount.select().where(BankAccount.status == "pending")}
    assert numbers == {"GA-G-014", "MG-205188"}


def test_new_change_replaces_one_still_pending(client, auth, data):
    tenant = auth.login_as("juergen")
    url = f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung"
    client.post(url, data=bank_form(auth, tenant["password"]))
    first = BankAccount.get(BankAccount.status == "pending")
    assert "ist noch in Prüfung" in client.get(url).get_data(as_text=True)
    client.post(url, data=bank_form(auth, tenant["password"], iban="DE44500105175407324931"))
    assert BankAccount.get_by_id(first.id).status == "replaced"
    assert BankAccount.get(BankAccount.status == "pending").iban == "DE44500105175407324931"


def test_holder_who_is_not_a_party_must_consent(app, client, auth, data, smtp):
    tenant = auth.login_as("juergen")
    url = f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung"
    note = "Der Kontoinhaber ist nicht Vertragspartner"
    # the same person written differently is a party
    for holder in ("Juergen Mueller", "MÜLLER, Jürgen", "Monika Müller"):
        check = client.post(url + "/pruefen", data={"holder": holder, "iban": ""}, headers=htmx(auth))
        assert check.status_code == 200 and note not in check.get_data(as_text=True), holder
    check = client.post(url + "/pruefen", data={"holder": "Erika Mustermann", "iban": ""}, headers=htmx(auth))
    assert note in check.get_data(as_text=True)
    client.post(url, data=bank_form(auth, tenant["password"], holder="Erika Mustermann"))
    deliver(app)
    assert note in mail_text(smtp.messages[-1])


def test_live_check_shows_bank_or_problem(client, auth, data):
    auth.login_as("juergen")
    url = f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung/pruefen"
    headers = htmx(auth)
    good = client.post(url, data={"iban": NEW_IBAN, "holder": ""}, headers=headers)
    body = good.get_data(as_text=True)
    assert good.status_code == 200 and "<html" not in body
    assert "Bank: Deutsche Kreditbank Berlin, BIC BYLADEM1001" in body
    bad = client.post(url, data={"iban": "DE89 3704 0044 0532 0130 01", "holder": ""}, headers=headers)
    assert "Prüfziffern der IBAN stimmen nicht" in bad.get_data(as_text=True)
    swiss = client.post(url, data={"iban": "CH93 0076 2011 6238 5295 7", "holder": ""}, headers=headers)
    assert "Die IBAN ist gültig." in swiss.get_data(as_text=True)  # SEPA, but no bank directory for it
    empty = client.post(url, data={"iban": "", "holder": ""}, headers=headers)
    assert empty.get_data(as_text=True).strip() == ""
    assert not BankAccount.select().where(BankAccount.status == "pending").exists()


def test_without_javascript_the_bank_appears_after_submitting(client, auth, data):
    auth.login_as("juergen")
    response = client.post(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung",
                           data=bank_form(auth, "", consent=None, password=None))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in body
    assert "Bank: Deutsche Kreditbank Berlin" in body
    assert "Bitte stimmen Sie dem SEPA-Lastschriftmandat zu." in body


def test_htmx_submit_swaps_the_form_and_redirects_on_success(client, auth, data):
    tenant = auth.login_as("juergen")
    url = f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung"
    invalid = client.post(url, data=bank_form(auth, tenant["password"], iban="DE00"), headers={"HX-Request": "true"})
    body = invalid.get_data(as_text=True)
    assert invalid.status_code == 422 and "<html" not in body and body.lstrip().startswith("<form")
    assert 'id="bank-account-form"' in body and 'class="field__error"' in body
    done = client.post(url, data=bank_form(auth, tenant["password"]), headers={"HX-Request": "true"})
    assert done.status_code == 204 and done.headers["HX-Location"] == f"/vertraege/{contract_id('MV-1001-0203')}"


IBAN_CASES = [
    ("", "Bitte geben Sie die IBAN ein."),
    ("DE89 3704 0044 0532 0130 01", "Prüfziffern der IBAN stimmen nicht"),
    ("DE89 3704 0044 0532 0130", "Die IBAN hat 20 Stellen, eine IBAN aus diesem Land hat 22"),
    ("BR15 0000 0000 0000 1093 2840 814P 2", "nur von Konten im SEPA-Raum"),
    ("XX89 3704 0044 0532 0130 00", "„XX“ ist kein Ländercode"),
    ("3704 0044 0532 0130 00", "beginnt mit dem Ländercode"),
    ("DE89-3704-0044-0532-0130-00", "nur aus Buchstaben und Ziffern"),
    ("DE40 1234 5678 0000 1234 56", "keine Bank bekannt"),
    ("DE" + "1" * 40, "höchstens 34 Stellen"),
    ("<script>alert(1)</script>", "nur aus Buchstaben und Ziffern"),
]
HOLDER_CASES = [
    ("", "Bitte geben Sie den Kontoinhaber an."),
    ("   ", "Bitte geben Sie den Kontoinhaber an."),
    ("x" * 71, "höchstens 70 Zeichen"),
    ("12345", "so an, wie er bei der Bank geführt wird"),
    ("Jürgen\x00Müller", "so an, wie er bei der Bank geführt wird"),
]


@pytest.mark.parametrize("field, value, message",
                         [("iban", v, m) for v, m in IBAN_CASES] + [("holder", v, m) for v, m in HOLDER_CASES]
                         + [("consent", None, "Bitte stimmen Sie dem SEPA-Lastschriftmandat zu."),
                            ("password", "", "Bitte geben Sie zur Bestätigung Ihr Passwort ein."),
                            ("password", "falsches-Passwort-123", "Das Passwort ist nicht richtig.")])
def test_bad_bank_input_is_refused_next_to_the_field(client, auth, data, field, value, message):
    tenant = auth.login_as("juergen")
    accounts_before = BankAccount.select().count()
    response = client.post(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung",
                           data=bank_form(auth, tenant["password"], **{field: value}))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', body, re.S)
    assert error and message in error.group(1), body[:200]
    assert "<script>alert(1)</script>" not in body
    assert BankAccount.select().count() == accounts_before
    assert not OutboxMail.select().exists()


def test_foreign_contract_is_refused_whatever_is_posted(client, auth, data):
    tenant = auth.login_as("juergen")
    before = BankAccount.select().count()
    for number in ("MV-1004-0112", "MV-301-0201"):
        url = f"/vertraege/{contract_id(number)}/bankverbindung"
        response = client.post(url, data=bank_form(auth, tenant["password"], apply_to_all="y"))
        assert response.status_code == 404
        check = client.post(url + "/pruefen", data={"iban": NEW_IBAN, "holder": "x"}, headers=htmx(auth))
        assert check.status_code == 404
    assert BankAccount.select().count() == before


def test_bank_change_without_csrf_token_is_refused(client, auth, data):
    tenant = auth.login_as("juergen")
    form = bank_form(auth, tenant["password"])
    del form["csrf_token"]
    response = client.post(f"/vertraege/{contract_id('MV-1001-0203')}/bankverbindung", data=form)
    assert response.status_code == 400 and "Sitzung abgelaufen" in response.get_data(as_text=True)
    assert not BankAccount.select().where(BankAccount.status == "pending").exists()


# --- authorization matrix ------------------------------------------------------------------

CONTRACT_URLS = [
    ("GET", "/vertraege/{id}"),
    ("GET", "/vertraege/{id}/bankverbindung"),
    ("POST", "/vertraege/{id}/bankverbindung"),
    ("POST", "/vertraege/{id}/bankverbindung/pruefen"),
]


@pytest.mark.parametrize("intruder", ["gisela", "dieter"])  # same cooperative (Lipsia), other (Elsteraue)
@pytest.mark.parametrize("method, url", CONTRACT_URLS)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_tenants_contract_urls_are_404(client, auth, data, intruder, method, url, htmx):
    tenant = auth.login_as(intruder)
    target = url.format(id=contract_id("MV-1001-0203"))  # Jürgen's
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        response = client.get(target, headers=headers)
    else:
        response = client.post(target, data=bank_form(auth, tenant["password"]), headers=headers)
    assert response.status_code == 404
    assert "Jürgen" not in response.get_data(as_text=True)


# --- queries ---------------------------------------------------------------------------------


def _more_contracts(person, count):
    coop = person.cooperative
    for i in range(count):
        unit = Unit.create(cooperative=coop, kind="parking", number=f"X-{person.id}-{i}", street="Teststraße 1",
                           postcode="04209", city="Leipzig", position=f"Stellplatz {i}")
        contract = Contract.create(cooperative=coop, kind="parking", number=f"SP-X-{person.id}-{i}", unit=unit,
                                   start_date=date(2020, 1, 1), base_rent=20)
        ContractParty.create(contract=contract, person=person, role="main")
        for status in ("replaced", "active", "pending"):
            BankAccount.create(contract=contract, holder=person.full_name, iban="DE02120300000000202051",
                               mandate_reference=f"X-{person.id}-{i}-{status}", valid_from=date(2020, 1, 1),
                               status=status)


@pytest.mark.parametrize("url", ["/vertraege/", "/vertraege/{id}", "/vertraege/{id}/bankverbindung"])
def test_query_count_does_not_grow_with_contracts(client, auth, data, count_queries, url):
    auth.login_as("juergen")
    target = url.format(id=contract_id("MV-1001-0203"))
    assert client.get(target).status_code == 200
    with count_queries() as before:
        assert client.get(target).status_code == 200
    juergen = Person.get(Person.number == "104711")
    _more_contracts(juergen, 12)
    for other in Person.select().where(Person.number.in_(["100385", "203317"])):
        _more_contracts(other, 5)
    with count_queries() as after:
        page = client.get(target).get_data(as_text=True)
    if url == "/vertraege/":
        assert page.count("SP-X-") >= 12 and page.count(PENDING_NOTICE) == 12
    assert after.count == before.count, (before.statements, after.statements)
