"""Zählerstand melden (issue 22): the form and its bad input, the plausibility question „Stimmt der Wert?“ with the
photo kept (pending for a day, then pruned; never in storage before the reading is filed), one transaction for
Meldung, reading and ERP change, the contract's time for readings, the Meldungsart, Kontakt's pointer, the desk's
panel, the export row and who may see what."""

import io
import json
import re
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import has_app_context, has_request_context
from PIL import Image

from tests.helpers import AuthActions, htmx
from tests.test_tickets import gps_exif, jpeg
from wir import clock, db, storage, tasks, uploads
from wir.models import (
    Consumption,
    Contract,
    Cooperative,
    Document,
    ErpChange,
    Meter,
    MeterReading,
    OutboxMail,
    PendingUpload,
    StoredFile,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketStatus,
    TicketType,
    Unit,
)
from wir.services.consumption import readings
from wir.services.erp_export import changes as erp_changes
from wir.services.erp_export import runs

JUERGEN_RENTAL = "MV-1001-0203"
MONTHLY = Decimal(3)  # m³ of hot water a month in the history below
START = Decimal(100)


def contract(number=JUERGEN_RENTAL) -> Contract:
    return Contract.get(Contract.number == number)


def make_meter(unit_id, number="WW-TEST-1", kind="hot_water", measure="m³", months=12, monthly=MONTHLY) -> Meter:
    """A meter with ``months`` months of imported values before this month, the last reading at the end of the
    last month: START + months × monthly."""
    meter = Meter.create(unit=unit_id, number=number, kind=kind, measure=measure)
    first = clock.today().replace(day=1)
    reading = START
    for back in range(months, 0, -1):
        reading += monthly
        Consumption.create(meter=meter, month=clock.add_months(first, -back), amount=monthly, measure=measure,
                           reading=reading)
    return meter


LAST = START + 12 * MONTHLY  # 136 m³
LAST_DAY = clock.today().replace(day=1) - timedelta(days=1)  # the last imported reading's day


@pytest.fixture
def meter(data):
    ErpChange.delete().execute()  # the demo's own waiting changes: a test sees only its own
    return make_meter(contract().unit_id)


@pytest.fixture
def tenant(auth, meter):
    return auth.login_as("juergen")


def url(contract_id) -> str:
    return f"/verbrauch/{contract_id}/zaehlerstand"


def send(client, auth, meter, value="136,5", read_on=None, photo=("zaehler.jpg", None), contract_id=None,
         headers=None, **fields):
    data = {"csrf_token": auth.csrf_token(), "meter": str(meter.id) if meter else "", "value": value,
            "read_on": clock.today().isoformat() if read_on is None else str(read_on)}
    if photo:
        name, content = photo
        data["photo"] = (io.BytesIO(jpeg() if content is None else content), name)
    data.update(fields)
    return client.post(url(contract_id or contract().id), data=data, content_type="multipart/form-data",
                       headers=headers or {})


def hidden(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else ""


def stored() -> set[str]:
    """The keys of every file in storage, wherever the test app keeps them."""
    folder = storage.folder()
    if folder is None:
        return {key for (key,) in StoredFile.select(StoredFile.key).tuples()}
    return {path.name for path in folder.rglob("*") if path.is_file()}


def counts() -> tuple[int, ...]:
    return (Ticket.select().count(), MeterReading.select().count(), ErpChange.select().count(),
            OutboxMail.select().count(), Document.select().count(), TicketAttachment.select().count())


# --- the form ---


def test_form_lists_the_units_meters_and_starts_at_today(client, tenant, meter):
    make_meter(meter.unit_id, number="KW-TEST-2", kind="cold_water")
    page = client.get(url(contract().id)).get_data(as_text=True)
    assert "Warmwasser – Zähler WW-TEST-1 (m³)" in page and "Kaltwasser – Zähler KW-TEST-2 (m³)" in page
    assert f'value="{clock.today().isoformat()}"' in page
    assert re.search(r'<input[^>]*type="file"[^>]*required', page) or re.search(r'<input[^>]*required[^>]*type="file"', page)
    assert 'accept="image/jpeg,image/png,application/pdf"' in page
    assert "Foto des Zählers" in page and ">Absenden</button>" in page
    assert 'enctype="multipart/form-data"' in page


def test_a_reading_files_a_meldung_with_photo_reading_and_erp_change(app, client, auth, tenant, meter):
    before = counts()
    response = send(client, auth, meter, value="136,5", photo=("Zähler Bad.jpg", jpeg(exif=gps_exif())), submission_key="a" * 32)
    assert response.status_code == 303
    ticket = Ticket.get(Ticket.submission_key == "a" * 32)
    assert response.headers["Location"] == f"/meldungen/{ticket.number}"
    assert ticket.category.key == readings.KEY and ticket.contract_id == contract().id
    assert ticket.category.ticket_type.name == "Zählerstand"
    assert ticket.subject == f"Zählerstand Warmwasser: 136,5 m³ am {clock.today():%d.%m.%Y}"
    reading = MeterReading.get(MeterReading.ticket == ticket)
    assert (reading.meter_id, reading.value, reading.read_on, reading.confirmed_unusual) == (
        meter.id, Decimal("136.5"), clock.today(), False)
    # the photo went through Kontakt's upload rules: re-encoded, no location left
    photo = TicketAttachment.get(TicketAttachment.ticket == ticket)
    download = client.get(f"/meldungen/{ticket.number}/anhang/{photo.id}")
    assert download.mimetype == "image/jpeg" and not Image.open(io.BytesIO(download.data)).getexif()
    # one more of each: Meldung, reading, ERP change, receipt mail, Eingangsbestätigung, attachment
    assert counts() == tuple(n + 1 for n in before)
    assert OutboxMail.select().order_by(OutboxMail.id.desc()).first().subject == (
        f"Ihre Meldung {ticket.number} ist eingegangen")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ihr Zählerstand ist eingegangen" in page and ticket.number in page
    change = ErpChange.get(ErpChange.kind == "meter_reading")
    unit = Unit.get_by_id(meter.unit_id)
    assert (change.action, change.actor, change.erp_key) == ("new", "tenant", unit.erp_key)
    assert json.loads(change.data) == {
        "Einheitennummer": unit.number, "Vertragsnummer": JUERGEN_RENTAL, "Zählernummer": "WW-TEST-1",
        "Zählerart": "Warmwasser", "Zählerstand": "136,500", "Maßeinheit": "m³",
        "Ablesedatum": f"{clock.today():%d.%m.%Y}", "Wert bestätigt": "nein", "Meldung": ticket.number}


def test_sending_the_same_form_twice_files_one_reading(client, auth, tenant, meter):
    first = send(client, auth, meter, submission_key="b" * 32)
    second = send(client, auth, meter, submission_key="b" * 32)
    assert first.headers["Location"] == second.headers["Location"]
    assert MeterReading.select().count() == 1 and ErpChange.select().count() == 1


def _before_start(meter):
    Contract.update(start_date=clock.today() - timedelta(days=10)).where(Contract.id == contract().id).execute()
    return {"read_on": clock.today() - timedelta(days=20)}


def _after_end(meter):
    Contract.update(end_date=clock.today() - timedelta(days=10)).where(Contract.id == contract().id).execute()
    return {"read_on": clock.today() - timedelta(days=5)}


BAD_INPUT = [
    ("empty value", {"value": ""}, "value", "Bitte geben Sie den Zählerstand ein."),
    ("not a number", {"value": "etwa 140"}, "value", "als Zahl ein"),
    ("a decimal point", {"value": "136.5"}, "value", "als Zahl ein"),
    ("negative", {"value": "-136,5"}, "value", "nie negativ"),
    ("four decimals", {"value": "136,5001"}, "value", "höchstens drei Stellen nach dem Komma"),
    ("huge", {"value": "123.456.789,5"}, "value", "zu groß"),
    ("no date", {"read_on": ""}, "read_on", "Bitte geben Sie das Ablesedatum ein."),
    ("garbled date", {"read_on": "31.02.2026"}, "read_on", "gültiges Datum"),
    ("future date", {"read_on": clock.today() + timedelta(days=1)}, "read_on", "in der Zukunft"),
    ("before the contract", _before_start, "read_on", "vor dem Beginn Ihres Vertrags"),
    ("after the contract", _after_end, "read_on",
     f"nach dem Ende Ihres Vertrags am {clock.today() - timedelta(days=10):%d.%m.%Y}. Bitte geben Sie einen Tag bis"),
    ("older than three years", {"read_on": clock.add_months(clock.today(), -37)}, "read_on", "mehr als drei Jahre"),
    ("no photo", {"photo": None}, "photo", "Bitte fügen Sie ein Foto des Zählers bei"),
    ("not a photo", {"photo": ("zaehler.jpg", b"Das ist kein Bild.")}, "photo", "ist kein Foto (JPEG, PNG) und kein PDF"),
    ("too large", {"photo": ("zaehler.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024))}, "photo",
     "ist größer als 10 MB"),
    ("no meter chosen", {"meter": ""}, "meter", "Bitte wählen Sie"),
]


@pytest.mark.parametrize("case, fields, field, message", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(client, auth, tenant, meter, case, fields,
                                                                      field, message):
    make_meter(meter.unit_id, number="KW-TEST-2", kind="cold_water")  # two meters: the form offers „Bitte wählen“
    if callable(fields):
        fields = fields(meter)
    if "read_on" in fields and isinstance(fields["read_on"], date):
        fields["read_on"] = fields["read_on"].isoformat()
    before = counts()
    extra = dict(fields)
    meter_field = extra.pop("meter", None)
    response = send(client, auth, None if meter_field == "" else meter, **extra)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in " ".join(error.group(1).split()), page
    assert "data-error-summary" in page
    assert counts() == before


def test_a_meter_of_another_unit_is_refused(client, auth, tenant, meter):
    other = make_meter(contract("MV-1004-0112").unit_id, number="WW-GISELA")
    before = counts()
    response = send(client, auth, other)
    assert response.status_code == 422 and 'id="meter-error"' in response.get_data(as_text=True)
    assert counts() == before


# --- plausibility: „Stimmt der Wert?“ ---


def test_a_value_below_the_last_reading_asks_and_confirming_files_it_without_a_new_upload(client, auth, tenant,
                                                                                          meter):
    before = counts()
    response = send(client, auth, meter, value="130", photo=("zaehler.jpg", None))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (f"Stimmt der Wert? Der Wert ist kleiner als der letzte bekannte Zählerstand 136 m³ vom "
            f"{LAST_DAY:%d.%m.%Y}.") in " ".join(page.split())
    assert "Ja, der Wert stimmt." in page
    assert "Foto: zaehler.jpg (bereits hochgeladen)" in page and "Anderes Foto wählen (freiwillig)" in page
    assert counts() == before
    # without ticking the box it asks again
    again = send(client, auth, meter, value="130", photo=None, kept_photo=hidden(page, "kept_photo"),
                 warned_value=hidden(page, "warned_value"))
    assert again.status_code == 422 and "Stimmt der Wert?" in again.get_data(as_text=True)
    # ticked: filed with the photo kept from the first time
    confirmed = send(client, auth, meter, value="130", photo=None, kept_photo=hidden(page, "kept_photo"),
                     warned_value=hidden(page, "warned_value"), confirm="y")
    assert confirmed.status_code == 303
    reading = MeterReading.get()
    assert reading.confirmed_unusual and reading.value == Decimal(130)
    assert TicketAttachment.get(TicketAttachment.ticket == reading.ticket_id).filename == "zaehler.jpg"
    assert json.loads(ErpChange.get(ErpChange.kind == "meter_reading").data)["Wert bestätigt"] == "ja"


def test_far_above_the_usual_consumption_asks_too(client, auth, tenant, meter):
    response = send(client, auth, meter, value="400")
    page = " ".join(response.get_data(as_text=True).split())
    assert response.status_code == 422
    assert f"Der Wert liegt 264 m³ über dem letzten bekannten Zählerstand 136 m³ vom {LAST_DAY:%d.%m.%Y}." in page
    assert "Üblich wären in dieser Zeit etwa" in page


def test_a_changed_value_after_the_question_is_checked_anew(client, auth, tenant, meter):
    page = send(client, auth, meter, value="130").get_data(as_text=True)
    changed = send(client, auth, meter, value="120", photo=None, kept_photo=hidden(page, "kept_photo"),
                   warned_value=hidden(page, "warned_value"), confirm="y")
    assert changed.status_code == 422 and "Stimmt der Wert?" in changed.get_data(as_text=True)
    assert MeterReading.select().count() == 0


def test_a_kept_photo_of_another_user_or_forged_counts_for_nothing(app, client, auth, tenant, meter, demo_logins):
    other_client = app.test_client()
    other_auth = AuthActions(other_client, demo_logins)
    gisela = other_auth.login_as("gisela")
    gisela_rental = contract("MV-1004-0112")
    gisela_meter = make_meter(gisela_rental.unit_id, number="WW-GISELA")
    page = send(other_client, other_auth, gisela_meter, value="1", contract_id=gisela_rental.id).get_data(as_text=True)
    reference = hidden(page, "kept_photo")
    assert reference and PendingUpload.get(PendingUpload.key == reference).user.email == gisela["email"]
    for kept in (reference, reference[:-2] + "xx"):
        response = send(client, auth, meter, photo=None, kept_photo=kept)
        assert response.status_code == 422
        assert photo_error(response) == readings.PHOTO_AGAIN
        assert hidden(response.get_data(as_text=True), "kept_photo") == ""
    assert MeterReading.select().count() == 0
    # Gisela's photo still waits for her
    assert PendingUpload.select().where(PendingUpload.key == reference).exists()


def photo_error(response) -> str:
    error = re.search(r'<p class="field__error" id="photo-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", error.group(1)).split()).removeprefix("Fehler: ") if error else ""


def ask(client, auth, meter, photo=("zaehler.jpg", None)) -> str:
    """Send a value below the last reading: the page asking „Stimmt der Wert?“."""
    response = send(client, auth, meter, value="130", photo=photo)
    assert response.status_code == 422 and "Stimmt der Wert?" in response.get_data(as_text=True)
    return response.get_data(as_text=True)


def confirm(client, auth, meter, page, **fields):
    fields.setdefault("photo", None)
    return send(client, auth, meter, value="130", kept_photo=hidden(page, "kept_photo"),
                warned_value=hidden(page, "warned_value"), submission_key=hidden(page, "submission_key"),
                confirm="y", **fields)


def age_pending(hours: float) -> None:
    PendingUpload.update(created_at=clock.now() - timedelta(hours=hours)).execute()


def test_the_photo_waits_outside_storage_and_moves_into_the_meldung(client, auth, tenant, meter):
    files = stored()
    content = jpeg()
    page = ask(client, auth, meter, photo=("zaehler.jpg", content))
    pending = PendingUpload.get()
    assert hidden(page, "kept_photo") == pending.key and len(pending.key) >= 40
    assert (pending.user.email, pending.filename, pending.content_type) == (tenant["email"], "zaehler.jpg",
                                                                            "image/jpeg")
    assert stored() == files  # nothing is stored until the reading is filed
    assert confirm(client, auth, meter, page).status_code == 303
    photo = TicketAttachment.get(TicketAttachment.ticket == MeterReading.get().ticket_id)
    assert photo.filename == "zaehler.jpg" and storage.load(photo.storage_key) == bytes(pending.content)
    assert PendingUpload.select().count() == 0


def test_another_photo_on_the_question_replaces_the_kept_one(client, auth, tenant, meter):
    page = ask(client, auth, meter)
    first = hidden(page, "kept_photo")
    again = send(client, auth, meter, value="130", photo=("zweites.jpg", None), kept_photo=first,
                 warned_value=hidden(page, "warned_value"))
    second = hidden(again.get_data(as_text=True), "kept_photo")
    assert second != first and [p.filename for p in PendingUpload.select()] == ["zweites.jpg"]
    assert "Foto: zweites.jpg (bereits hochgeladen)" in again.get_data(as_text=True)
    # a file that is no photo drops the kept one too: the tenant chose another
    refused = send(client, auth, meter, value="130", photo=("kaputt.jpg", b"kein Bild"), kept_photo=second)
    assert refused.status_code == 422 and "kein Foto" in photo_error(refused)
    assert PendingUpload.select().count() == 0


def test_a_kept_photo_expires_after_a_day_and_the_tenant_chooses_it_again(client, auth, tenant, meter):
    page = ask(client, auth, meter)
    age_pending(readings.PENDING_HOURS - 0.5)
    still = send(client, auth, meter, value="999.999", photo=None, kept_photo=hidden(page, "kept_photo"))
    assert "Foto: zaehler.jpg (bereits hochgeladen)" in still.get_data(as_text=True)  # within the day: still there
    age_pending(readings.PENDING_HOURS + 0.1)
    late = confirm(client, auth, meter, page)
    assert late.status_code == 422 and MeterReading.select().count() == 0
    assert photo_error(late) == ("Das Foto, das Sie gewählt hatten, bewahren wir nur 24 Stunden auf. Bitte wählen Sie "
                                 "das Foto des Zählers noch einmal.")
    assert "bereits hochgeladen" not in late.get_data(as_text=True)
    # the confirmation still stands: choosing the photo again files the reading
    assert confirm(client, auth, meter, late.get_data(as_text=True), photo=("zaehler.jpg", None)).status_code == 303
    assert MeterReading.get().confirmed_unusual and PendingUpload.select().count() == 0


def test_an_expired_photo_is_asked_for_even_when_the_form_itself_is_refused(client, auth, tenant, meter):
    page = ask(client, auth, meter)
    age_pending(readings.PENDING_HOURS + 1)
    response = confirm(client, auth, meter, page, read_on="31.02.2026")  # refused by the form, not the service
    assert response.status_code == 422 and photo_error(response) == readings.PHOTO_AGAIN


def test_the_worker_prunes_photos_older_than_a_day(app, client, auth, tenant, meter):
    for name, hours in (("alt.jpg", readings.PENDING_HOURS + 0.1), ("frisch.jpg", readings.PENDING_HOURS - 0.1)):
        ask(client, auth, meter, photo=(name, None))
        PendingUpload.update(created_at=clock.now() - timedelta(hours=hours)).where(
            PendingUpload.filename == name).execute()
    tasks.prune_pending_photos()  # immediate mode: runs now
    assert [p.filename for p in PendingUpload.select()] == ["frisch.jpg"]
    with app.app_context():
        assert readings.prune_pending(clock.now() + timedelta(hours=1)) == 1
    assert PendingUpload.select().count() == 0


def test_confirming_twice_returns_the_first_meldung(client, auth, tenant, meter):
    page = ask(client, auth, meter)
    first, second = confirm(client, auth, meter, page), confirm(client, auth, meter, page)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] and MeterReading.select().count() == 1


def test_a_plausible_value_is_filed_without_a_question(client, auth, tenant, meter):
    assert send(client, auth, meter, value=str(LAST).replace(".", ",")).status_code == 303
    assert not MeterReading.get().confirmed_unusual


# --- the rules as a table (service) ---


def test_parse_value_reads_german_numbers(app):
    for typed, value in [("1.234,5", "1234.5"), ("1234,567", "1234.567"), ("0", "0"), (" 12 345,0 ", "12345.0"),
                         ("136,5 m³", "136.5"), ("99.999.999,999", "99999999.999")]:
        assert readings.parse_value(typed) == Decimal(value), typed
    for typed in ("", "1,2,3", "1.23,4", "12.5", "1e3", "NaN", "-1", "1,0000", "100.000.000"):
        with pytest.raises(readings.Invalid):
            readings.parse_value(typed)


def test_last_known_takes_the_newest_counting_reading_on_or_before_the_day(app, meter, demo_logins):
    with app.app_context():
        today = clock.today()
        assert readings.last_known(meter, today) == readings.KnownReading(LAST, LAST_DAY, "imported")
        # a month's reading counts only from the month's end on
        assert readings.last_known(meter, LAST_DAY - timedelta(days=1)).value == LAST - MONTHLY
        person = contract().parties.first().person
        sent = MeterReading.create(meter=meter, person=person, value=Decimal("137.25"), read_on=today)
        assert readings.last_known(meter, today).value == Decimal("137.25")
        # a withdrawn or rejected Meldung's reading no longer counts
        category = readings.reading_category(contract().cooperative_id)
        ticket = Ticket.create(cooperative=contract().cooperative_id, number="L-TEST-1", person=person,
                               contract=contract(), category=category, subject="x", status=TicketStatus.REJECTED)
        MeterReading.update(ticket=ticket).where(MeterReading.id == sent.id).execute()
        assert readings.last_known(meter, today).value == LAST


def test_usual_consumption_needs_three_months_and_has_a_floor(app, data):
    unit_id = contract().unit_id
    with app.app_context():
        young = make_meter(unit_id, number="NEW-1", months=2)
        # two months say nothing about what is usual: only „below the last reading“ applies
        assert readings.usual_daily(young, clock.today()) is None
        assert readings.unusual_reason(young, Decimal(10_000), clock.today()) is None
        quiet = make_meter(unit_id, number="QUIET-1", monthly=Decimal("0.01"))
        last = START + 12 * Decimal("0.01")
        # 3 × almost nothing would warn at once; the floor (1 m³) lets a normal value through
        assert readings.unusual_reason(quiet, last + Decimal("0.9"), clock.today()) is None
        assert readings.unusual_reason(quiet, last + Decimal("1.5"), clock.today()).startswith("Der Wert liegt")


def test_the_category_is_created_once_where_missing(app, data):
    lipsia = Cooperative.get(slug="lipsia")
    # an installation whose Meldungsarten came before Zählerstand melden
    TicketType.delete().where(TicketType.id.in_(
        TicketCategory.select(TicketCategory.ticket_type).where(TicketCategory.key == readings.KEY))).execute()
    assert not TicketCategory.select().where(TicketCategory.key == readings.KEY).exists()
    with app.app_context():
        results = []

        def first_use():
            with db.database.connection_context():
                results.append(readings.reading_category(lipsia.id).id)

        threads = [threading.Thread(target=first_use) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(set(results)) == 1
    created = TicketCategory.get(TicketCategory.key == readings.KEY)
    assert (created.name, created.allows_attachments, created.ticket_type.name) == ("Zählerstand melden", True,
                                                                                     "Zählerstand")
    assert TicketType.select().where((TicketType.cooperative == lipsia) & (TicketType.name == "Zählerstand")).count() == 1


def test_the_service_files_a_reading_without_flask(app, meter):
    assert not has_app_context() and not has_request_context()
    rental = contract()
    person = rental.parties.first().person
    with db.database.connection_context():
        ticket = readings.submit(readings.NewReading(
            person=person, contract=rental, meter_id=meter.id, value="136,25", read_on=clock.today(),
            photo=uploads.check_file("zaehler.jpg", jpeg()), created_by=person.user))
    assert MeterReading.get(MeterReading.ticket == ticket).value == Decimal("136.25")
    assert not has_app_context()


def test_nothing_is_half_saved_when_a_step_fails(client, auth, tenant, meter, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("ERP change failed")

    monkeypatch.setattr(erp_changes, "meter_reading", broken)
    before = counts()
    assert send(client, auth, meter).status_code == 500
    assert counts() == before


# --- who may ---


def test_only_the_contracts_parties_reach_the_form(app, client, auth, tenant, meter, demo_logins):
    other = contract("MV-1004-0112")  # Gisela's
    assert client.get(url(other.id)).status_code == 404
    assert send(client, auth, meter, contract_id=other.id).status_code == 404
    assert client.get(url(999_999)).status_code == 404
    anonymous = app.test_client()
    response = anonymous.get(url(contract().id))
    assert response.status_code in (302, 303) and response.headers["Location"].startswith("/anmelden")


def ends(days_ago: int) -> date:
    """Jürgen's rental contract ends ``days_ago`` days before today."""
    end = clock.today() - timedelta(days=days_ago)
    Contract.update(end_date=end).where(Contract.id == contract().id).execute()
    return end


def test_after_moving_out_the_form_takes_the_last_day_for_three_months(client, auth, tenant, meter):
    end = ends(20)
    page = client.get(url(contract().id)).get_data(as_text=True)
    assert f'value="{end.isoformat()}"' in page  # the move-out day, not today
    assert f"Spätestens das Ende Ihres Vertrags am {end:%d.%m.%Y}." in " ".join(page.split())
    assert send(client, auth, meter, value="136", read_on=end).status_code == 303
    assert MeterReading.get().read_on == end


def test_long_after_the_end_the_contract_takes_no_readings(client, auth, tenant, meter):
    end = ends((clock.today() - clock.add_months(clock.today(), -readings.MONTHS_AFTER_END)).days + 1)
    page = client.get(url(contract().id))
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200 and 'name="value"' not in text
    assert (f"Ihr Vertrag endete am {end:%d.%m.%Y}. Zählerstände zu ihm nehmen wir hier nur bis drei Monate nach "
            "dem Vertragsende an.") in text and 'href="/kontakt"' in text
    # a form opened before is refused next to its date, however the day lies
    before = counts()
    response = send(client, auth, meter, value="136", read_on=end)
    error = re.search(r'<p class="field__error" id="read_on-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert response.status_code == 422 and "Ihr Vertrag endete am" in error.group(1)
    assert counts() == before


def test_a_contract_not_begun_takes_no_readings_yet(client, tenant, meter):
    start = clock.today() + timedelta(days=3)
    Contract.update(start_date=start).where(Contract.id == contract().id).execute()
    text = " ".join(client.get(url(contract().id)).get_data(as_text=True).split())
    assert f"Ihr Vertrag beginnt am {start:%d.%m.%Y}. Ab dann können Sie hier Zählerstände melden." in text
    assert 'name="value"' not in text


@pytest.mark.parametrize("start, end, takes", [
    (-1000, None, True),
    (0, None, True),  # from the first day
    (1, None, False),
    (-1000, 30, True),  # notice given, still in force
    (-1000, -10, True),
])
def test_when_a_contract_takes_readings(app, data, start, end, takes):
    today = date(2027, 1, 15)
    rental = contract()
    rental.start_date = today + timedelta(days=start)
    rental.end_date = None if end is None else today + timedelta(days=end)
    assert (readings.closed_reason(rental, today) is None) is takes


def test_readings_are_taken_until_three_months_after_the_end_across_the_year(app, data):
    rental = contract()
    rental.start_date, rental.end_date = date(2020, 1, 1), date(2026, 11, 30)
    assert readings.closed_reason(rental, date(2027, 2, 28)) is None  # three months after the 30th: 28 February
    assert readings.closed_reason(rental, date(2027, 3, 1)).startswith("Ihr Vertrag endete am 30.11.2026.")
    assert readings.date_problem(date(2026, 11, 30), rental, date(2027, 1, 2)) is None
    assert readings.date_problem(date(2026, 12, 1), rental, date(2027, 1, 2)).startswith(
        "Das Ablesedatum liegt nach dem Ende Ihres Vertrags am 30.11.2026.")


def test_a_contract_without_meters_gets_a_friendly_page(client, tenant):
    parking = contract("SP-9001-0012")
    response = client.get(url(parking.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "keine Zähler" in page and 'href="/kontakt"' in page


def test_kontakt_does_not_offer_the_category_but_links_to_the_form(client, auth, tenant):
    page = client.get("/kontakt").get_data(as_text=True)
    assert ">Zählerstand<" not in page
    assert f'href="{url(contract().id)}"' in page
    # a category id sent by hand is not taken either
    category = readings.reading_category(contract().cooperative_id)
    response = client.post("/kontakt", data={
        "csrf_token": auth.csrf_token(), "concern": f"c{contract().id}", "ticket_type": str(category.ticket_type_id),
        "category": str(category.id), "subject": "Zählerstand", "message": "136,5", "action": "send"})
    assert response.status_code == 422 and Ticket.select().where(Ticket.category == category).count() == 0


def test_htmx_swaps_the_form_and_follows_to_the_meldung(client, auth, tenant, meter):
    refused = send(client, auth, meter, value="", headers=htmx(auth))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "HX-Request" in refused.headers["Vary"]
    assert '<div id="reading"' in page and "<html" not in page and "data-error-summary" in page
    done = send(client, auth, meter, headers=htmx(auth))
    ticket = MeterReading.get().ticket
    assert done.status_code == 204 and done.headers["HX-Location"] == f"/meldungen/{ticket.number}"


# --- the desk ---


@pytest.fixture
def sent(client, auth, tenant, meter):
    """A reading Jürgen sent (an unusual one he confirmed) and one he sent before."""
    person = contract().parties.first().person
    MeterReading.create(meter=meter, person=person, value=Decimal("136.2"),
                        read_on=max(clock.today() - timedelta(days=1), LAST_DAY))
    page = send(client, auth, meter, value="120,5").get_data(as_text=True)
    response = send(client, auth, meter, value="120,5", photo=None, kept_photo=hidden(page, "kept_photo"),
                    warned_value=hidden(page, "warned_value"), confirm="y")
    assert response.status_code == 303
    return MeterReading.get(MeterReading.ticket.is_null(False)).ticket


def test_the_desk_shows_the_reading_beside_the_meters_last_readings(app, sent, demo_logins, count_queries):
    staff = app.test_client()
    AuthActions(staff, demo_logins).login_staff(0)  # Lipsia
    page = staff.get(f"/intern/meldungen/{sent.number}").get_data(as_text=True)
    panel = page.split('id="reading-heading"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", panel).split())
    assert "Warmwasser, Nr. WW-TEST-1 (m³)" in text and "1001-0203, Stuttgarter Allee 18" in text
    assert "Gemeldeter Stand 120,5 m³" in text and f"Abgelesen am {clock.today():%d.%m.%Y}" in text
    assert "Achtung: Der Wert sah ungewöhnlich aus" in text
    photo = TicketAttachment.get(TicketAttachment.ticket == sent)
    assert f"/intern/meldungen/{sent.number}/anhang/{photo.id}?vorschau=1" in panel
    rows = re.findall(r"<tr>(.*?)</tr>", panel.split("<tbody>", 1)[1], re.S)
    cells = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    assert len(cells) == readings.SHOWN_RECENT
    assert cells[0] == f"{clock.today():%d.%m.%Y} 120,5 m³ gemeldet (diese Meldung), ungewöhnlich, bestätigt"
    assert "136 m³ Monatsende (Messdienst)" in " ".join(cells)
    # the panel's queries do not grow with the meter's history
    url_ = f"/intern/meldungen/{sent.number}"
    staff.get(url_)
    with count_queries() as few:
        staff.get(url_)
    for back in range(13, 40):
        Consumption.create(meter=sent.meter_readings.first().meter, month=clock.add_months(
            clock.today().replace(day=1), -back), amount=MONTHLY, measure="m³", reading=START)
    with count_queries() as many:
        staff.get(url_)
    assert many.count == few.count


def test_staff_of_the_other_cooperative_cannot_see_the_reading(app, sent, demo_logins):
    staff = app.test_client()
    AuthActions(staff, demo_logins).login_staff(2)  # Elsteraue
    assert staff.get(f"/intern/meldungen/{sent.number}").status_code == 404


def test_other_tickets_have_no_reading_panel(app, sent, demo_logins):
    staff = app.test_client()
    AuthActions(staff, demo_logins).login_staff(0)
    other = Ticket.select().where(Ticket.id != sent.id).order_by(Ticket.id).first()
    page = staff.get(f"/intern/meldungen/{other.number}").get_data(as_text=True)
    assert 'id="reading-heading"' not in page


# --- the export ---


def test_the_export_writes_the_reading_and_one_without_a_unit_key_goes_to_the_report(app, client, auth, tenant,
                                                                                   meter, tmp_path):
    unit_key = Unit.get_by_id(meter.unit_id).erp_key
    assert unit_key
    assert send(client, auth, meter, submission_key="c" * 32).status_code == 303
    Unit.update(erp_key=None).where(Unit.id == meter.unit_id).execute()
    assert send(client, auth, meter, value="136,75", submission_key="d" * 32).status_code == 303
    lipsia = Cooperative.get(slug="lipsia")
    with app.app_context():
        run = runs.export(lipsia, by=None, via="cli")
        folder = runs.write_to(run, tmp_path)
    rows = (folder / "zaehlerstaende.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    assert rows[0] == ("Änderung;Zeitpunkt;Art;Von;Einheit;Einheitennummer;Vertragsnummer;Zählernummer;Zählerart;"
                       "Zählerstand;Maßeinheit;Ablesedatum;Wert bestätigt;Meldung")
    first = Ticket.get(Ticket.submission_key == "c" * 32)
    written = [row.split(";") for row in rows[1:] if row]
    assert [row[2:] for row in written] == [["neu", "Mieter", unit_key, "1001-0203", JUERGEN_RENTAL, "WW-TEST-1",
                                             "Warmwasser", "136,500", "m³", f"{clock.today():%d.%m.%Y}", "nein",
                                             first.number]]
    report = (folder / "bericht.csv").read_bytes().decode("utf-8-sig")
    assert "zaehlerstaende.csv;neu;Mieter;Einheit 1001-0203 (Stuttgarter Allee 18, Zähler WW-TEST-1)" in report


def test_the_form_runs_the_same_statements_with_more_meters_and_history(client, tenant, meter, count_queries):
    form = url(contract().id)
    client.get(form)  # once before: nothing first-time is counted
    with count_queries() as few:
        assert client.get(form).status_code == 200
    for n in range(5):
        make_meter(meter.unit_id, number=f"MORE-{n}", kind="heating", measure="kWh", months=24, monthly=Decimal(250))
    with count_queries() as many:
        page = client.get(form).get_data(as_text=True)
    assert "Heizung – Zähler MORE-4 (kWh)" in page
    assert many.count == few.count
