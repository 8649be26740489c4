"""Telling the tenants about a month's Verbrauchsinformation (services.consumption.notices): one mail per tenant with
access, exactly once per month and contract, whatever repeats, crashes or runs at the same time; the months that
are announced and the contracts that are not."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.helpers import at_once, deliver, mail_text
from wir import clock, db, mail, tasks
from wir.demo.tables import COOPERATIVES
from wir.models import (
    Consumption,
    ConsumptionNotice,
    Contract,
    ContractParty,
    Cooperative,
    Meter,
    OutboxMail,
    Person,
    Unit,
    User,
)
from wir.services import erp_import
from wir.services.consumption import info, notices
from wir.services.erp_import.report import FileReport

TODAY = date(2031, 12, 4)  # far beyond the demo's values, so only a test's own values count
EXAMPLE = Path(__file__).parent / "data" / "import"
NOVEMBER, OCTOBER, SEPTEMBER = date(2031, 11, 1), date(2031, 10, 1), date(2031, 9, 1)


@pytest.fixture
def data(data):
    """The demo without the notices of its own months (seed-demo records them as told): a test's counts are its
    own."""
    ConsumptionNotice.delete().execute()
    return data


def values(contract: Contract, *months: date, kind: str = "heating") -> None:
    """A meter of the contract's flat with a value for each month."""
    meter, _ = Meter.get_or_create(unit=contract.unit_id, number=f"T-{contract.unit_id}-{kind}",
                                   defaults={"kind": kind, "measure": "kWh"})
    for month in months:
        Consumption.create(meter=meter, month=month, amount=Decimal("120.5"), measure="kWh", kwh=Decimal("120.5"),
                           average_kwh=Decimal("110"))


def contract(number: str) -> Contract:
    return Contract.get(Contract.number == number)


def mails_to(address: str) -> list[OutboxMail]:
    return list(OutboxMail.select().where(OutboxMail.recipient == address).order_by(OutboxMail.id))


def notices_of(found: Contract, channel: str = "mail") -> list[date]:
    return [n.month for n in ConsumptionNotice.select().where((ConsumptionNotice.contract == found)
                                                               & (ConsumptionNotice.channel == channel))]


def households(count: int, cooperative_slug: str = "lipsia", with_login: bool = True) -> list[Contract]:
    """``count`` new rental contracts, each with a Hauptmieter (with a confirmed login) and November's values."""
    cooperative = Cooperative.get(Cooperative.slug == cooperative_slug)
    made = []
    first = Unit.select().where(Unit.number.startswith("T-")).count()  # a second call in a test goes on from there
    for index in range(first, first + count):
        unit = Unit.create(cooperative=cooperative, kind="flat", number=f"T-{index}", street=f"Teststraße {index}",
                           postcode="04109", city="Leipzig")
        found = Contract.create(cooperative=cooperative, kind="rental", number=f"T-MV-{index:04d}", unit=unit,
                                start_date=date(2020, 1, 1))
        user = User.create(email=f"mieter{index}@example.org", password_hash="x",
                           confirmed_at=clock.now()) if with_login else None
        person = Person.create(cooperative=cooperative, number=f"T-{index}", first_name="Erika",
                               last_name=f"Test{index}", street=f"Teststraße {index}", postcode="04109",
                               city="Leipzig", user=user)
        ContractParty.create(contract=found, person=person, role="main")
        values(found, NOVEMBER)
        made.append(found)
    return made


def test_months_due_are_the_two_before_todays_month_across_a_year_end():
    assert notices.months_due(date(2032, 1, 31)) == [date(2031, 12, 1), date(2031, 11, 1)]
    assert notices.months_due(date(2032, 2, 1)) == [date(2032, 1, 1), date(2031, 12, 1)]


def test_each_tenant_with_access_gets_one_mail_with_a_link_and_no_figures(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, OCTOBER, NOVEMBER)
    values(juergen, NOVEMBER, kind="hot_water")
    assert notices.announce(TODAY) == 1
    assert notices_of(juergen) == [NOVEMBER]
    sent = mails_to("juergen.mueller@example.org")
    assert [m.subject for m in sent] == ["Ihre Verbrauchsinformation für November 2031"]
    text = sent[0].body_text
    assert f"http://localhost/verbrauch/{juergen.id}?monat=2031-11" in text
    assert "MV-1001-0203" in text and "§ 6a" in text and "per Post" in text
    assert "120" not in text and "kWh" not in text  # figures stay in the portal
    assert f"/verbrauch/{juergen.id}?monat=2031-11" in sent[0].body_html
    # Monika Müller, his co-tenant, has no login: nobody else was mailed
    assert OutboxMail.select().count() == 1


def test_the_mail_reaches_the_tenant(app, data, smtp):
    values(contract("MV-1001-0203"), NOVEMBER)
    notices.announce(TODAY)
    assert deliver(app) == 1
    message = smtp.messages[-1]
    assert message["Subject"] == "Ihre Verbrauchsinformation für November 2031"
    assert "Verbrauchsinformation ansehen" in message.get_body(("html",)).get_content()
    assert "Heizkostenverordnung" in mail_text(message)


def test_a_repeated_run_or_import_tells_nobody_twice(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, NOVEMBER)
    assert notices.announce(TODAY) == 1
    # a corrected month (the import repeated with another value) is no new month
    Consumption.update(amount=Decimal("99"), corrected_at=clock.now()).where(Consumption.month == NOVEMBER).execute()
    assert notices.announce(TODAY) == 0
    assert notices.announce(TODAY + timedelta(days=20)) == 0
    assert len(mails_to("juergen.mueller@example.org")) == 1


def test_a_first_import_with_years_of_values_announces_only_its_newest_month(app, data):
    juergen = contract("MV-1001-0203")
    months = [clock.add_months(date(2029, 12, 1), n) for n in range(24)]  # December 2029 to November 2031
    values(juergen, *months)
    assert notices.announce(TODAY) == 1
    assert notices_of(juergen) == [NOVEMBER]
    # a month later the next month is announced, never the historical ones
    values(juergen, date(2031, 12, 1))
    assert notices.announce(date(2032, 1, 3)) == 1
    assert sorted(notices_of(juergen)) == [NOVEMBER, date(2031, 12, 1)]
    assert [m.subject for m in mails_to("juergen.mueller@example.org")] == [
        "Ihre Verbrauchsinformation für November 2031", "Ihre Verbrauchsinformation für Dezember 2031"]


@pytest.mark.parametrize("months, announced", [
    ([OCTOBER], [OCTOBER]),  # November's values are late: October is still told
    ([OCTOBER, NOVEMBER], [NOVEMBER]),  # only the newest of the two
    ([SEPTEMBER], []),  # too old
    ([], []),
])
def test_the_newest_of_the_two_months_before_todays_is_announced(app, data, months, announced):
    juergen = contract("MV-1001-0203")
    values(juergen, *months)
    notices.announce(TODAY)
    assert notices_of(juergen) == announced
    assert len(mails_to("juergen.mueller@example.org")) == len(announced)


def test_a_late_october_is_told_once_and_november_after_it(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, OCTOBER)
    assert notices.announce(date(2031, 11, 20)) == 1
    values(juergen, NOVEMBER)
    assert notices.announce(TODAY) == 1
    assert sorted(notices_of(juergen)) == [OCTOBER, NOVEMBER]


@pytest.mark.parametrize("start, end, told", [
    (date(2020, 1, 1), date(2031, 10, 31), False),  # moved out before November
    (date(2020, 1, 1), date(2031, 11, 15), True),  # moved out in November: it is still their month
    (date(2031, 12, 1), None, False),  # moved in after November
    (date(2031, 11, 15), None, True),
])
def test_only_contracts_in_force_in_the_month_are_told(app, data, start, end, told):
    juergen = contract("MV-1001-0203")
    Contract.update(start_date=start, end_date=end).where(Contract.id == juergen.id).execute()
    values(juergen, NOVEMBER)
    notices.announce(TODAY)
    assert notices_of(juergen) == ([NOVEMBER] if told else [])
    assert len(mails_to("juergen.mueller@example.org")) == (1 if told else 0)


def test_a_tenancy_that_ended_before_the_newer_month_is_told_of_its_last_month(app, data):
    """The flat has November's values, but the contract ended on 31 October: October is its month, told once."""
    juergen = contract("MV-1001-0203")
    Contract.update(end_date=date(2031, 10, 31)).where(Contract.id == juergen.id).execute()
    values(juergen, OCTOBER, NOVEMBER)
    assert notices.announce(TODAY) == 1
    assert notices_of(juergen) == [OCTOBER]
    assert [m.subject for m in mails_to("juergen.mueller@example.org")] == [
        "Ihre Verbrauchsinformation für Oktober 2031"]
    assert notices.announce(TODAY) == 0


def test_a_tenancy_that_began_in_november_is_told_of_november_only(app, data):
    juergen = contract("MV-1001-0203")
    Contract.update(start_date=date(2031, 11, 1)).where(Contract.id == juergen.id).execute()
    values(juergen, OCTOBER, NOVEMBER)
    assert notices.announce(TODAY) == 1
    assert notices_of(juergen) == [NOVEMBER]


def test_tenants_without_a_confirmed_active_login_get_no_mail(app, data):
    hannelore = contract("MV-2003-0001")  # no account at all
    lukasz = contract("MV-1012-0405")
    gisela = contract("MV-1004-0112")
    for found in (hannelore, lukasz, gisela):
        values(found, NOVEMBER)
    User.update(confirmed_at=None).where(User.email == "lukasz.zolc@example.org").execute()
    User.update(is_active=False).where(User.email == "gisela.weiss@example.com").execute()
    assert notices.announce(TODAY) == 0
    assert OutboxMail.select().count() == 0
    assert ConsumptionNotice.select().count() == 0  # they are on the post list instead


def test_parking_and_membership_contracts_are_not_told(app, data):
    juergen = contract("MV-1001-0203")
    Contract.update(kind="parking").where(Contract.id == juergen.id).execute()
    values(juergen, NOVEMBER)
    assert notices.announce(TODAY) == 0


def test_a_tenant_who_wants_paper_gets_the_mail_too(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, NOVEMBER)
    Person.update(consumption_by_post=True).where(Person.first_name == "Jürgen").execute()
    assert notices.announce(TODAY) == 1
    assert len(mails_to("juergen.mueller@example.org")) == 1


def test_co_tenants_with_logins_get_one_mail_each(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, NOVEMBER)
    monika = Person.get(Person.first_name == "Monika")
    monika.user = User.create(email="monika.mueller@example.org", password_hash="x", confirmed_at=clock.now())
    monika.save()
    assert notices.announce(TODAY) == 1
    assert len(mails_to("juergen.mueller@example.org")) == 1
    sent = mails_to("monika.mueller@example.org")
    assert len(sent) == 1 and "Guten Tag Monika Müller" in sent[0].body_text


def test_many_contracts_are_told_in_batches(app, data, count_queries):
    made = households(7)
    with count_queries() as few:
        assert notices.announce(TODAY, batch_size=3) == 7
    assert {found.id for found in made} == {n.contract_id for n in ConsumptionNotice.select()}
    assert OutboxMail.select().count() == 7
    # the reading side of a batch does not grow with it: contracts, then their tenants
    reads = [s for s in few.statements if s.startswith("('SELECT")]
    assert len(reads) == 2 * 3 + 1 + 1  # three full batches, the empty one, and October's empty one


def test_a_crash_between_batches_keeps_the_told_and_the_next_run_tells_the_rest(app, data, monkeypatch):
    made = households(5)
    queued = []
    original = mail.queue_mail

    def failing(*args, **kwargs):
        if len(queued) == 3:
            raise RuntimeError("worker died")
        queued.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(mail, "queue_mail", failing)
    with pytest.raises(RuntimeError):
        notices.announce(TODAY, batch_size=2)
    # the first batch (two contracts) is committed; the second, broken off in the middle, left nothing
    assert ConsumptionNotice.select().count() == 2 and OutboxMail.select().count() == 2
    monkeypatch.setattr(mail, "queue_mail", original)
    assert notices.announce(TODAY, batch_size=2) == 3
    assert sorted(n.contract_id for n in ConsumptionNotice.select()) == sorted(c.id for c in made)
    assert sorted(m.recipient for m in OutboxMail.select()) == sorted(f"mieter{i}@example.org" for i in range(5))


def test_a_contract_another_worker_told_meanwhile_gets_no_second_mail(app, data, monkeypatch):
    """Between reading a batch and writing its notices another worker told one of its contracts: the refused
    insert (inside a savepoint, so PostgreSQL's transaction goes on) queues nothing, the rest are told."""
    first, second = households(2)
    read = info.parties_of

    def meanwhile(contract_ids):
        ConsumptionNotice.create(contract=first, month=NOVEMBER, channel="mail")
        return read(contract_ids)

    monkeypatch.setattr(info, "parties_of", meanwhile)
    assert notices.announce(TODAY) == 1
    assert [m.recipient for m in OutboxMail.select()] == ["mieter1@example.org"]
    assert sorted(n.contract_id for n in ConsumptionNotice.select()) == [first.id, second.id]


def test_two_workers_at_once_tell_each_contract_exactly_once(app, data):
    made = households(24)
    db.database.close()

    def worker(ready):
        ready()
        notices.announce(TODAY, batch_size=5)

    assert at_once(app, RuntimeError, worker, worker) == ["applied", "applied"]
    with app.app_context():
        told = [n.contract_id for n in ConsumptionNotice.select()]
        assert sorted(told) == sorted(c.id for c in made)
        recipients = [m.recipient for m in OutboxMail.select()]
        assert sorted(recipients) == sorted(f"mieter{i}@example.org" for i in range(24))


def test_the_task_announces_and_the_hourly_sweep_catches_up(app, data):
    juergen = contract("MV-1001-0203")
    values(juergen, NOVEMBER)
    moment = clock.now().replace(year=2031, month=12, day=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment)
        tasks.announce_consumption()
        assert len(mails_to("juergen.mueller@example.org")) == 1
        tasks.sweep_consumption_notices()
        assert len(mails_to("juergen.mueller@example.org")) == 1


def test_a_successful_import_announces_and_a_dry_run_does_not(empty_app, monkeypatch):
    calls = []
    monkeypatch.setattr(notices, "announce", lambda today, **kwargs: calls.append(today) or 0)
    with empty_app.app_context():
        Cooperative.create(**COOPERATIVES[0])
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["import", str(EXAMPLE), "--cooperative", "lipsia", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert calls == []
    result = runner.invoke(args=["import", str(EXAMPLE), "--cooperative", "lipsia"])
    assert result.exit_code == 0, result.output
    assert calls == [clock.today()]  # the tests' queue runs a task when it is enqueued
    assert "Verbrauchsinformation: Die Benachrichtigung per E-Mail ist eingeplant." in result.output
    # an import without new values tells nobody (the same files again: nothing created or corrected)
    result = runner.invoke(args=["import", str(EXAMPLE), "--cooperative", "lipsia"])
    assert result.exit_code == 0, result.output
    assert calls == [clock.today()]


def test_an_import_uploaded_by_staff_announces_after_it_ran(empty_app, monkeypatch):
    calls = []
    monkeypatch.setattr(notices, "announce", lambda today, **kwargs: calls.append(today) or 0)
    with empty_app.app_context():
        lipsia = Cooperative.create(**COOPERATIVES[0])
        files = [(path.name, path.read_bytes()) for path in sorted(EXAMPLE.glob("*.csv"))]
        for dry_run in (True, False):
            record = erp_import.upload(lipsia, None, files, dry_run=dry_run, full=False)
            tasks.run_erp_import(record.id)
            assert len(calls) == (0 if dry_run else 1)


def test_the_import_command_leaves_the_mails_to_the_worker(empty_app, monkeypatch):
    """The command enqueues tasks.announce_consumption (the worker mails in batches) and does not announce itself."""
    calls = []
    monkeypatch.setattr(notices, "announce", lambda today, **kwargs: calls.append(today) or 0)
    with empty_app.app_context():
        Cooperative.create(**COOPERATIVES[0])
    empty_app.config["TASKS_IMMEDIATE"] = False
    tasks.configure(empty_app)
    tasks.huey.flush()
    try:
        result = empty_app.test_cli_runner().invoke(args=["import", str(EXAMPLE), "--cooperative", "lipsia"])
        assert result.exit_code == 0, result.output
        assert calls == []
        assert [task.name for task in tasks.huey.pending()] == ["announce_consumption"]
    finally:
        tasks.huey.flush()
        empty_app.config["TASKS_IMMEDIATE"] = True
        tasks.configure(empty_app)


def test_an_import_command_with_the_queue_out_of_reach_keeps_the_import(empty_app, monkeypatch):
    def unreachable():
        raise ConnectionError("Redis antwortet nicht")

    monkeypatch.setattr(tasks, "announce_consumption", unreachable)
    with empty_app.app_context():
        Cooperative.create(**COOPERATIVES[0])
    result = empty_app.test_cli_runner().invoke(args=["import", str(EXAMPLE), "--cooperative", "lipsia"])
    assert result.exit_code == 0, result.output
    assert "werden benachrichtigt, sobald sie wieder läuft" in result.output
    with empty_app.app_context():
        assert Consumption.select().count() == 14


@pytest.mark.parametrize("dry_run, ok, months, worth", [
    (False, True, ["2025-11-01"], True),
    (True, True, ["2025-11-01"], False),  # nothing was saved
    (False, False, ["2025-11-01"], False),  # an error: nothing was saved
    (False, True, [], False),  # the same values again, or no verbrauch.csv
])
def test_worth_announcing_an_import(dry_run, ok, months, worth):
    report = erp_import.Report(dry_run=dry_run, full=False)
    report.files.append(FileReport(name="verbrauch.csv", months=months))
    if not ok:
        report.error("verbrauch.csv", 3, "Monat", "Einen Monat 13 gibt es nicht.")
    assert notices.worth_announcing(report) is worth
    assert notices.worth_announcing(erp_import.Report.from_dict(report.to_dict())) is worth  # as stored
    assert notices.worth_announcing(None) is False
