"""The example export in tests/data/export/ (docs/export.md) is what the code writes, so the two cannot drift apart.

The demo is loaded into a fresh database with the clock stopped; one change of each kind is made through the portal's
own services (phone numbers, a bank change confirmed by staff, a Freistellungsauftrag, a Kündigung, a change of
address told through Kontakt, a registration, one registration of a person without an ERP key for the report, and a
meter reading);
then Lipsia's second Exportlauf (the first took the demo's own registrations) is written and compared byte for byte with the committed files.
WIR_UPDATE_EXAMPLES=1 writes them anew instead (review the difference with git diff).
"""

import csv
import io
import os
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from wir import clock, db, uploads
from wir.demo import load_demo_data
from wir.demo.tables import REGISTRATION_CODES, TENANT_USERS
from wir.models import Contract, Cooperative, Meter, OutboxMail, Person, SavingsAccount, User
from wir.services import scope
from wir.services.account import phones
from wir.services.consumption import readings
from wir.services.contracts import bank_accounts, contracts
from wir.services.erp_export import runs
from wir.services.erp_export.kinds import COMMON, KINDS, REPORT_FILE
from wir.services.registration import registration
from wir.services.savings import exemption_orders, savings_requests
from wir.services.tickets import contact, tickets

EXAMPLES = Path(__file__).parent / "data" / "export"
UPDATE = os.environ.get("WIR_UPDATE_EXAMPLES") == "1"


class StoppedClock:
    """wir.clock.now() stands at a Leipzig time until moved on."""

    def __init__(self, monkeypatch):
        self.moment = None
        monkeypatch.setattr(clock, "now", lambda: self.moment)

    def at(self, local: str) -> None:
        """``local`` as "10.03.2026 10:00" in Leipzig."""
        moment = datetime.strptime(local, "%d.%m.%Y %H:%M").replace(tzinfo=clock.LOCAL_ZONE)
        self.moment = moment.astimezone(timezone.utc).replace(tzinfo=None)


def _password(email_start: str) -> str:
    return next(password for _key, email, password, *_ in TENANT_USERS if email.startswith(email_start))


def _person(number: str) -> Person:
    return Person.get((Person.number == number) & (Person.cooperative == Cooperative.get(slug="lipsia")))


def _register(code_key: str, email: str) -> User:
    person = _person({"monika": "104712", "hannelore": "095127"}[code_key])
    code = dict(REGISTRATION_CODES)[code_key]
    registration.register(registration.RegistrationData(code, person.last_name, email, "Fenster-Birke-Wolke-31"))
    return User.get(User.email == email)


def _confirm(email: str) -> None:
    mail = OutboxMail.select().where(OutboxMail.recipient == email).order_by(OutboxMail.id.desc()).first()
    token = re.search(r"/registrieren/bestaetigen/(\S+)", mail.body_text).group(1)
    registration.confirm_by_token(token)


def make_one_change_of_each_kind(stopped: StoppedClock) -> None:
    lipsia = Cooperative.get(slug="lipsia")
    juergen = User.get(User.email == "juergen.mueller@example.org")
    gisela = User.get(User.email == "gisela.weiss@example.com")
    clerk = User.get(User.email == "sachbearbeitung@lipsia.example.org")

    # Kontaktdaten: Jürgen adds a third number
    stopped.at("09.03.2026 08:15")
    phones.add(juergen, "work", "0341 2345678")

    # Bankverbindungen: Jürgen gives a new account for his rental contract, Frau Köhler confirms it the next day
    stopped.at("09.03.2026 08:30")
    rental = Contract.get(Contract.number == "MV-1001-0203")
    target, siblings = contracts.with_siblings(scope.persons_of(juergen), rental.id)
    [account] = bank_accounts.request_change(juergen, target, siblings, bank_accounts.BankChange(
        holder="Jürgen Müller", iban="DE02 1203 0000 0000 2020 51", consent=True, apply_to_all=False,
        password=_password("juergen")))
    stopped.at("10.03.2026 09:40")
    bank_accounts.confirm(account.id, clerk, lipsia)

    # Freistellungsaufträge: Jürgen lowers his order from 1.000,00 to 800,00 for this year
    stopped.at("10.03.2026 10:00")
    saver = _person("104711")
    exemption_orders.place(juergen, saver, exemption_orders.OrderRequest(
        kind=exemption_orders.SINGLE, amount=Decimal("800"), valid_from_year=2026, valid_until_year=2026,
        tax_id="36574261809", total_confirmed=True, password=_password("juergen")))

    # Kündigungen von Spareinlagen: 1.500,00 of his Sparbuch, at the earliest day the notice allows
    stopped.at("10.03.2026 10:20")
    sparbuch = SavingsAccount.get(SavingsAccount.number == "5104711-01")
    terms = savings_requests.notice_terms(sparbuch)
    savings_requests.give_notice(sparbuch, savings_requests.SavingsNotice(
        amount=Decimal("1500"), whole_balance=False, payout_on=terms.earliest), juergen)

    # Anschrift-Änderungen: Frau Weiß tells Lipsia through Kontakt that she moves
    stopped.at("10.03.2026 11:05")
    weiss = _person("100385")
    category = contact.address_change_categories([weiss])[lipsia.id]
    tickets.submit_request(tickets.NewTicket(
        person=weiss, category=category, subject="Neue Anschrift ab 01.04.2026",
        message="Ich ziehe zu meiner Tochter: Zschochersche Straße 12, 04229 Leipzig.", created_by=gisela))

    # Portalzugang (and her first Kontaktdaten): Monika Müller registers with her letter's code and confirms
    stopped.at("10.03.2026 14:30")
    _register("monika", "monika.mueller@example.org")
    stopped.at("10.03.2026 14:34")
    _confirm("monika.mueller@example.org")

    # the report: Hannelore Schütz came into the portal before the first import, without an ERP key
    stopped.at("10.03.2026 16:00")
    Person.update(erp_key=None).where(Person.id == _person("095127").id).execute()
    _register("hannelore", "hannelore.schuetz@example.org")

    # Zählerstände: Jürgen reports the cold water meter in the cellar, which the metering service does not read
    stopped.at("10.03.2026 16:30")
    cellar = Meter.create(unit=rental.unit_id, number="KW-0457821", kind="cold_water", measure="m³")
    readings.submit(readings.NewReading(
        person=saver, contract=rental, meter_id=cellar.id, value="412,37", read_on=date(2026, 3, 10),
        photo=uploads.check_file("Zähler Keller.jpg", _photo()), created_by=juergen))


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def exported(empty_app, monkeypatch, tmp_path) -> Path:
    """Lipsia's second Exportlauf after one change of each kind, unpacked; its folder."""
    stopped = StoppedClock(monkeypatch)
    with db.database.connection_context():
        stopped.at("01.03.2026 09:00")
        load_demo_data()
        # the demo's own waiting changes (its tenants' registrations) went to the ERP with run 1
        lipsia = Cooperative.get(slug="lipsia")
        stopped.at("02.03.2026 02:00")
        runs.acknowledge(lipsia, runs.export(lipsia, by=None, via="cli").number, by=None, via="cli")
        make_one_change_of_each_kind(stopped)
        stopped.at("11.03.2026 02:00")
        run = runs.export(lipsia, by=None, via="cli")
        assert run is not None and run.number == 2
        return runs.write_to(run, tmp_path)


def _rows(content: bytes) -> list[list[str]]:
    """The file as German Excel and the csv module read it: UTF-8 with BOM, semicolons."""
    assert content.startswith(b"\xef\xbb\xbf"), "the file starts with a byte order mark"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def _first_difference(expected: bytes, written: bytes) -> str:
    expected_lines = expected.decode("utf-8-sig").split("\r\n")
    written_lines = written.decode("utf-8-sig").split("\r\n")
    for number, (want, got) in enumerate(zip(expected_lines, written_lines), start=1):
        if want != got:
            return f"line {number}:\n  committed: {want!r}\n  written:   {got!r}"
    return (f"the committed file has {len(expected_lines)} lines, the written one {len(written_lines)}"
            if len(expected_lines) != len(written_lines) else "the bytes differ (line ends or byte order mark)")


def test_each_kind_has_its_row_and_the_report_its_person_without_key(exported):
    files = {spec.file: _rows((exported / spec.file).read_bytes()) for spec in KINDS.values()}
    for key, spec in KINDS.items():
        header, *rows = files[spec.file]
        assert tuple(header) == spec.header, spec.file
        assert rows, f"{spec.file}: the example shows no row of {key}"
        assert all(row[len(COMMON)] for row in rows), f"{spec.file}: every row names the ERP's key"
    # the clock and the actors as the changes were made: Monika Müller registers, then confirms
    assert [row[1:5] for row in files["portalzugang.csv"][1:]] == [
        ["10.03.2026 14:30", "neu", "Mieter", "P-104712"], ["10.03.2026 14:34", "geändert", "Mieter", "P-104712"]]
    assert [row[1:5] for row in files["bankverbindungen.csv"][1:]] == [
        ["10.03.2026 09:40", "neu", "Genossenschaft", "V-MV-1001-0203"]]
    report = _rows((exported / REPORT_FILE).read_bytes())
    assert [row[2:] for row in report[1:]] == [
        ["portalzugang.csv", "neu", "Mieter", "Person 095127 Hannelore Schütz", "ohne ERP-Schlüssel"]]


def test_the_examples_are_what_the_export_writes(exported):
    written = {path.name: path.read_bytes() for path in sorted(exported.iterdir())}
    if UPDATE:
        EXAMPLES.mkdir(parents=True, exist_ok=True)
        for old in EXAMPLES.glob("*.csv"):
            old.unlink()
        for name, content in written.items():
            (EXAMPLES / name).write_bytes(content)
    committed = {path.name: path.read_bytes() for path in sorted(EXAMPLES.glob("*.csv"))}
    hint = ("The export no longer writes what tests/data/export/ shows (docs/export.md refers to it). If the change is "
            "meant, write the examples anew with WIR_UPDATE_EXAMPLES=1 and check the difference with git diff.")
    assert sorted(written) == sorted(committed), f"{hint}\nfiles written: {sorted(written)}, committed: {sorted(committed)}"
    for name, content in written.items():
        assert content == committed[name], f"{hint}\n{name}, {_first_difference(committed[name], content)}"
