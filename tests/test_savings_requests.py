"""Sparen (issue 13): the Jahreskontoauszug PDF, Steuerbescheinigung anfordern, Kündigung einer Spareinlage."""

import importlib
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from peewee import chunked

from tests.helpers import htmx, main_of, pdf_text
from tests.test_savings import (
    DIETER,
    FESTZINS,
    GISELA,
    JUERGEN,
    LUKASZ,
    SPARBUCH,
    SUEKRUE,
    WACHSTUM,
    account,
    field_error,
    sign_in,
)
from wir import clock, db
from wir.clock import add_months
from wir.formatting import german_date, money
from wir.models import (
    Document,
    Person,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketCategory,
)
from wir.services.documents import documents
from wir.services.rejections import Rejected
from wir.services.savings import savings_requests

CRAFTED = "5104711-77"


def freeze(monkeypatch, day: date):
    """The clock stands at noon of ``day`` in Leipzig (sign in after this, so the session is of that time)."""
    moment = datetime(day.year, day.month, day.day, 11, 0)
    monkeypatch.setattr(clock, "now", lambda: moment)


def crafted(bookings=(), notice_months=3, matures_on=None, number=CRAFTED, opened=date(2020, 1, 1)) -> SavingsAccount:
    """A savings account of Jürgen's with the given bookings (day, kind, amount), balances added up."""
    juergen = Person.get(Person.number == "104711")
    created = SavingsAccount.create(person=juergen, number=number, product="Sparbuch", interest_rate=Decimal("0.5"),
                                    notice_months=notice_months, opened_on=opened, matures_on=matures_on)
    balance = Decimal("0.00")
    for day, kind, amount in bookings:
        balance += Decimal(amount)
        SavingsTransaction.create(account=created, booking_date=day, value_date=day, kind=kind, amount=Decimal(amount),
                                  balance_after=balance)
    created.balance = balance
    created.save()
    return created


def post(client, auth, url, hx=False, **fields):
    """Send a form as the browser does (a fresh submission key unless one is given)."""
    data = {"csrf_token": auth.csrf_token(), "submission_key": fields.pop("submission_key", None) or
            savings_requests_key(), **fields}
    return client.post(url, data=data, headers=htmx(auth) if hx else {})


def savings_requests_key() -> str:
    from wir.forms import new_submission_key
    return new_submission_key()


# the subjects the portal files under (the demo has a Steuerbescheinigung request typed into Kontakt)
PORTAL_SUBJECTS = {"tax_certificate": savings_requests.tax_certificate_subject(""),
                   "savings_notice": f"{savings_requests.NOTICE_TITLE} – "}


def tickets_of(key: str) -> list[Ticket]:
    """The tickets the portal filed in the category of ``key``."""
    return list(Ticket.select().join(TicketCategory)
                .where((TicketCategory.key == key) & Ticket.subject.startswith(PORTAL_SUBJECTS[key]))
                .order_by(Ticket.id))


def copies() -> list[Document]:
    return list(Document.select().where(Document.kind == "form").order_by(Document.id))


# --- Jahreskontoauszug ---


def test_statement_of_a_demo_account_adds_up(client, auth, data):
    sign_in(auth, GISELA)
    year = clock.today().year - 1
    response = client.get(f"/sparen/{FESTZINS}/kontoauszug/{year}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"Kontoauszug_{FESTZINS}_{year}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    rows = list(SavingsTransaction.select().where(SavingsTransaction.account == account(FESTZINS))
                .order_by(SavingsTransaction.booking_date, SavingsTransaction.id))
    before = [r for r in rows if r.booking_date.year < year]
    of_year = [r for r in rows if r.booking_date.year == year]
    opening, closing = before[-1].balance_after, of_year[-1].balance_after

    def total(kind):
        return sum((r.amount for r in of_year if r.kind == kind), Decimal("0.00"))

    assert total("Zinsgutschrift") > 0 and total("KapESt") < 0 and total("Soli") < 0  # Gisela has no exemption
    assert f"Kontoauszug {year}: Festzins {FESTZINS}" in text
    assert f"Zeitraum 01.01.{year} – 31.12.{year}" in text
    assert f"Kontostand am 01.01.{year} {money(opening)}" in text
    assert f"Zinsgutschriften {money(total('Zinsgutschrift'))}" in text
    assert f"Kapitalertragsteuer (einbehalten) {money(total('KapESt'))}" in text
    assert f"Solidaritätszuschlag (einbehalten) {money(total('Soli'))}" in text
    assert f"Kirchensteuer (einbehalten) {money(Decimal('0'))}" in text
    assert f"Kontostand am 31.12.{year} {money(closing)}" in text
    assert opening + sum(r.amount for r in of_year) == closing
    for row in of_year:
        assert f"{german_date(row.booking_date)} {german_date(row.value_date)}" in text
        assert money(row.balance_after) in text


def test_statement_of_a_crafted_account_with_every_kind(client, auth, data):
    year = clock.today().year - 2
    crafted([
        (date(year - 1, 3, 1), "Einzahlung", "500.00"),
        (date(year, 2, 1), "Einzahlung", "1000.00"),
        (date(year, 2, 1), "Einzahlung", "234.56"),
        (date(year, 6, 15), "Auszahlung", "-200.00"),
        (date(year, 12, 31), "Zinsgutschrift", "10.00"),
        (date(year, 12, 31), "KapESt", "-2.50"),
        (date(year, 12, 31), "Soli", "-0.13"),
        (date(year, 12, 31), "KiSt", "-0.20"),
        (date(year + 1, 1, 5), "Einzahlung", "1.00"),
    ])
    sign_in(auth, JUERGEN)
    text = pdf_text(client.get(f"/sparen/{CRAFTED}/kontoauszug/{year}.pdf").data)
    assert f"Kontostand am 01.01.{year} 500,00 €" in text
    assert "Einzahlungen 1.234,56 €" in text
    assert "Auszahlungen -200,00 €" in text
    assert "Zinsgutschriften 10,00 €" in text
    assert "Kapitalertragsteuer (einbehalten) -2,50 €" in text
    assert "Solidaritätszuschlag (einbehalten) -0,13 €" in text
    assert "Kirchensteuer (einbehalten) -0,20 €" in text
    assert f"Kontostand am 31.12.{year} 1.541,73 €" in text
    assert f"15.06.{year} 15.06.{year} Auszahlung -200,00 € 1.534,56 €" in text
    assert f"05.01.{year + 1}" not in text and f"01.03.{year - 1}" not in text
    # the next year: its own opening balance
    text = pdf_text(client.get(f"/sparen/{CRAFTED}/kontoauszug/{year + 1}.pdf").data)
    assert f"Kontostand am 01.01.{year + 1} 1.541,73 €" in text and "Einzahlungen 1,00 €" in text


def test_statements_page_lists_the_years_with_bookings(client, auth, data):
    year = clock.today().year - 3
    crafted([(date(year, 5, 1), "Einzahlung", "50.00"), (date(year + 1, 12, 31), "Zinsgutschrift", "0.25")])
    sign_in(auth, JUERGEN)
    page = main_of(client.get(f"/sparen/{CRAFTED}/kontoauszuege").get_data(as_text=True))
    assert re.findall(r'href="/sparen/5104711-77/kontoauszug/(\d+)\.pdf"', page) == [str(year + 1), str(year)]
    # an account without bookings has none
    crafted(number="5104711-78")
    page = main_of(client.get("/sparen/5104711-78/kontoauszuege").get_data(as_text=True))
    assert "keine Umsätze" in page and "kontoauszug/" not in page
    # reached from the Übersicht and the Umsätze
    assert f'href="/sparen/{SPARBUCH}/kontoauszuege"' in client.get("/sparen/").get_data(as_text=True)
    assert f'href="/sparen/{SPARBUCH}/kontoauszuege"' in client.get(f"/sparen/{SPARBUCH}/umsaetze").get_data(as_text=True)


def test_years_without_bookings_are_not_found(client, auth, data):
    year = clock.today().year - 3
    crafted([(date(year, 5, 1), "Einzahlung", "50.00"), (date(year + 1, 12, 31), "Zinsgutschrift", "0.25")])
    sign_in(auth, JUERGEN)
    for shown in (year - 1, year + 2, clock.today().year + 1, 1800, 0, 99999):
        assert client.get(f"/sparen/{CRAFTED}/kontoauszug/{shown}.pdf").status_code == 404, shown
    for bad in ("abc", "2025%3Cscript%3E", "-1", "2025.5"):
        assert client.get(f"/sparen/{CRAFTED}/kontoauszug/{bad}.pdf").status_code == 404, bad
    assert client.get(f"/sparen/{CRAFTED}/kontoauszug/{year}.pdf").status_code == 200


def many_bookings(count: int, number: str, year: int) -> SavingsAccount:
    created = crafted(number=number)
    rows = ({"account": created.id, "booking_date": date(year, 1, 1) + timedelta(days=i * 365 // count),
             "value_date": date(year, 1, 1) + timedelta(days=i * 365 // count), "kind": "Einzahlung",
             "amount": Decimal("1.00"), "balance_after": Decimal(i + 1)} for i in range(count))
    with db.database.atomic():
        for batch in chunked(rows, 1000):
            SavingsTransaction.insert_many(batch).execute()
    return created


def test_statement_queries_do_not_grow_with_the_bookings(client, auth, data, count_queries):
    year = clock.today().year - 1
    many_bookings(10, "5104711-81", year)
    many_bookings(5000, "5104711-82", year)
    sign_in(auth, JUERGEN)
    counts = {}
    for number, count in (("5104711-81", 10), ("5104711-82", 5000)):
        with count_queries() as queries:
            response = client.get(f"/sparen/{number}/kontoauszug/{year}.pdf")
        assert response.status_code == 200
        counts[count] = queries.count
        text = pdf_text(response.data)
        assert f"Einzahlungen {money(Decimal(count))}" in text
        assert f"Kontostand am 31.12.{year} {money(Decimal(count))}" in text
    assert counts[10] == counts[5000]


# --- Steuerbescheinigung ---


def test_tax_certificate_page_offers_past_years_only(client, auth, data):
    sign_in(auth, JUERGEN)
    response = client.get("/sparen/steuerbescheinigung")
    assert response.status_code == 200
    page = main_of(response.get_data(as_text=True))
    offered = re.findall(r'<option value="(\d+)">', page)
    this_year = clock.today().year
    first = account(SPARBUCH).opened_on.year
    assert offered == [str(y) for y in range(this_year - 1, first - 1, -1)]
    assert 'href="/sparen/steuerbescheinigung"' in client.get("/sparen/").get_data(as_text=True)


@pytest.mark.parametrize("hx", [False, True])
def test_tax_certificate_request_files_a_ticket_with_the_year(client, auth, data, hx):
    sign_in(auth, JUERGEN)
    year = clock.today().year - 1
    response = post(client, auth, "/sparen/steuerbescheinigung", hx=hx, year=str(year))
    [ticket] = tickets_of("tax_certificate")
    if hx:
        assert response.status_code == 204 and response.headers["HX-Location"] == f"/meldungen/{ticket.number}"
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"/meldungen/{ticket.number}"
    assert ticket.subject == f"Antrag auf Zusendung der Steuerbescheinigung {year}"
    assert ticket.category.name == "Antrag auf Zusendung der Steuerbescheinigung"
    assert ticket.person.number == "104711" and ticket.status == "received"
    assert f"Steuerbescheinigung {year}" in client.get("/meldungen").get_data(as_text=True)
    shown = client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    assert f"für das Jahr {year}" in shown and SPARBUCH in shown


def test_a_second_request_for_the_year_is_refused_while_the_first_is_open(client, auth, data):
    sign_in(auth, JUERGEN)
    year = clock.today().year - 1
    post(client, auth, "/sparen/steuerbescheinigung", year=str(year))
    [first] = tickets_of("tax_certificate")
    response = post(client, auth, "/sparen/steuerbescheinigung", year=str(year))
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "year")
    assert f"Ihre Anfrage für {year} liegt uns bereits vor (Meldung {first.number})" in message
    assert len(tickets_of("tax_certificate")) == 1
    # another year is fine; so is the same year once the first request is done
    assert post(client, auth, "/sparen/steuerbescheinigung", year=str(year - 1)).status_code == 303
    first.status = "closed"
    first.save()
    assert post(client, auth, "/sparen/steuerbescheinigung", year=str(year)).status_code == 303
    assert len(tickets_of("tax_certificate")) == 3


def test_the_page_lists_open_tax_requests_also_those_typed_as_a_meldung(client, auth, data):
    """The demo's Jürgen asked in his own words ("Steuerbescheinigung für das Vorjahr"): the form shows that request
    and then the one it filed, each with its link, so that nobody asks twice without seeing it."""
    sign_in(auth, JUERGEN)
    typed = Ticket.get(Ticket.subject == "Steuerbescheinigung für das Vorjahr")
    page = main_of(client.get("/sparen/steuerbescheinigung").get_data(as_text=True))
    assert "bearbeiten wir noch" in page and f'href="/meldungen/{typed.number}"' in page
    year = clock.today().year - 1
    post(client, auth, "/sparen/steuerbescheinigung", year=str(year))
    [filed] = tickets_of("tax_certificate")
    page = main_of(client.get("/sparen/steuerbescheinigung").get_data(as_text=True))
    assert page.index(f'href="/meldungen/{filed.number}"') < page.index(f'href="/meldungen/{typed.number}"')
    for ticket in (typed, filed):
        ticket.status = "closed"
        ticket.save()
    assert "bearbeiten wir noch" not in client.get("/sparen/steuerbescheinigung").get_data(as_text=True)


def test_the_same_tax_form_sent_twice_files_one_ticket(client, auth, data):
    sign_in(auth, JUERGEN)
    key = savings_requests_key()
    year = str(clock.today().year - 1)
    first = post(client, auth, "/sparen/steuerbescheinigung", year=year, submission_key=key)
    second = post(client, auth, "/sparen/steuerbescheinigung", year=year, submission_key=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets_of("tax_certificate")) == 1


@pytest.mark.parametrize("value", ["abc", "{this_year}", "{next_year}", "1800", "", "<script>alert(1)</script>",
                                   "2025\x00", "9" * 5000, "{first_minus_one}"])
@pytest.mark.parametrize("hx", [False, True])
def test_bad_tax_years_get_a_message(client, auth, data, value, hx):
    sign_in(auth, JUERGEN)
    this_year = clock.today().year
    value = value.format(this_year=this_year, next_year=this_year + 1,
                         first_minus_one=account(SPARBUCH).opened_on.year - 1)
    response = post(client, auth, "/sparen/steuerbescheinigung", hx=hx, year=value)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    expected = "Bitte wählen Sie das Jahr." if value == "" else "Bitte wählen Sie einen Eintrag aus der Liste."
    assert field_error(page, "year") == f"Fehler: {expected}"
    assert "<script>alert" not in page
    assert ("<html" in page) is not hx
    assert tickets_of("tax_certificate") == []


def test_tax_service_refuses_the_running_and_other_years(data, app):
    juergen = Person.get(Person.number == "104711")
    this_year = clock.today().year
    with app.test_request_context():
        for year, words in ((this_year, "nach dem Ende des Jahres"), (this_year + 1, "nach dem Ende des Jahres"),
                            (1800, "keine Sparverträge")):
            with pytest.raises(Rejected) as refused:
                savings_requests.request_tax_certificate(juergen, year, None)
            assert refused.value.field == "year" and words in refused.value.message
    assert tickets_of("tax_certificate") == []


def test_member_without_savings_accounts_cannot_request(client, auth, data):
    sign_in(auth, LUKASZ)
    page = main_of(client.get("/sparen/steuerbescheinigung").get_data(as_text=True))
    assert "keine Umsätze" in page and "<form" not in page
    response = post(client, auth, "/sparen/steuerbescheinigung", year=str(clock.today().year - 1))
    assert response.status_code == 422
    assert tickets_of("tax_certificate") == []


# --- Kündigung einer Spareinlage: the rules ---


@pytest.mark.parametrize(("today", "months", "ends", "earliest"), [
    (date(2025, 3, 14), 3, date(2025, 6, 14), date(2025, 6, 15)),
    (date(2025, 11, 30), 3, date(2026, 2, 28), date(2026, 3, 1)),  # no 30 February: the month's last day
    (date(2023, 11, 30), 3, date(2024, 2, 29), date(2024, 3, 1)),  # leap year
    (date(2025, 12, 31), 3, date(2026, 3, 31), date(2026, 4, 1)),  # turn of the year
    (date(2025, 10, 31), 3, date(2026, 1, 31), date(2026, 2, 1)),
    (date(2026, 1, 31), 12, date(2027, 1, 31), date(2027, 2, 1)),
    (date(2025, 8, 31), 48, date(2029, 8, 31), date(2029, 9, 1)),
])
def test_notice_period_ends_after_its_months(data, today, months, ends, earliest):
    terms = savings_requests.notice_terms(crafted(notice_months=months), today)
    assert (terms.notice_ends, terms.earliest) == (ends, earliest)
    assert terms.refusal is None
    assert (terms.free_amount is not None) == (months == 3)


def test_terms_of_fixed_terms_and_accounts_without_notice(data):
    today = date(2026, 5, 10)
    running = savings_requests.notice_terms(crafted(notice_months=0, matures_on=date(2027, 1, 31)), today)
    assert running.fixed_until == date(2027, 1, 31) and "bis zum 31.01.2027" in running.refusal
    matured = savings_requests.notice_terms(crafted(notice_months=0, matures_on=date(2026, 5, 10), number="x-2"), today)
    assert matured.refusal is None and matured.earliest == today
    free = savings_requests.notice_terms(crafted(notice_months=0, number="x-3"), today)
    assert (free.notice_ends, free.earliest, free.free_amount) == (None, today, None)


def test_add_months_keeps_the_day_or_takes_the_last(data):
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert add_months(date(2025, 5, 31), 13) == date(2026, 6, 30)


def notice_url(number=CRAFTED):
    return f"/sparen/{number}/kuendigung"


def send_notice(client, auth, number=CRAFTED, hx=False, **fields):
    return post(client, auth, notice_url(number), hx=hx, **fields)


def test_up_to_2000_a_month_without_notice_and_more_after_the_period(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2025, 11, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00"), (date(2025, 11, 3), "Auszahlung", "-1500.00")])
    sign_in(auth, JUERGEN)
    page = main_of(client.get(notice_url()).get_data(as_text=True))
    assert "endet sie am 20.02.2026: Ab dem 21.02.2026" in " ".join(page.split())
    assert "Im November 2025 sind davon noch 500,00 € frei." in " ".join(page.split())
    assert 'value="2026-02-21"' in page  # prefilled with the earliest date
    # this month 500 € are left
    response = send_notice(client, auth, amount="600", payout_on="2025-11-25")
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "payout_on")
    assert ("Wegen der Kündigungsfrist von 3 Monaten ist der 21.02.2026 der früheste Termin für diesen Betrag. "
            "Ohne Kündigung können Sie bis zu 2.000,00 € im Kalendermonat abheben; im November 2025 sind davon "
            "noch 500,00 € frei.") in message
    assert tickets_of("savings_notice") == [] and copies() == []
    # the form says what the portal cannot see (notices not yet booked) and where the money goes
    assert "noch nicht gebucht sind, rechnen wir für ihren Monat" in " ".join(page.split())
    assert "auf das Referenzkonto, das für Ihren Sparvertrag bei uns hinterlegt ist" in " ".join(page.split())
    assert send_notice(client, auth, amount="500,00", payout_on="25.11.2025").status_code == 303
    text = " ".join(pdf_text(documents.open_document(copies()[0])).split())
    assert "noch nicht gebucht sind" in text and "Referenzkonto" in text
    # December starts afresh, before the notice period ends
    assert send_notice(client, auth, amount="2.000", payout_on="2025-12-01").status_code == 303
    response = send_notice(client, auth, amount="2.000,01", payout_on="2026-01-15")
    assert response.status_code == 422 and "im Januar 2026 sind davon noch 2.000,00 € frei" in response.get_data(
        as_text=True)
    # after the period any amount up to the balance
    assert send_notice(client, auth, amount="7.500", payout_on="2026-02-21").status_code == 303
    assert send_notice(client, auth, amount="7.500", payout_on="2026-02-20").status_code == 422
    assert len(tickets_of("savings_notice")) == 3


def test_allowance_at_the_turn_of_the_year(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2025, 12, 31))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00"), (date(2025, 12, 5), "Auszahlung", "-2000.00")])
    sign_in(auth, JUERGEN)
    response = send_notice(client, auth, amount="100", payout_on="2025-12-31")
    assert response.status_code == 422
    assert "der 01.04.2026 der früheste Termin" in field_error(response.get_data(as_text=True), "payout_on")
    assert "im Dezember 2025 sind davon noch 0,00 € frei" in field_error(response.get_data(as_text=True), "payout_on")
    assert send_notice(client, auth, amount="2000", payout_on="2026-01-02").status_code == 303


def test_longer_notice_periods_have_no_allowance(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2026, 1, 31))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")], notice_months=12)
    sign_in(auth, JUERGEN)
    page = " ".join(main_of(client.get(notice_url()).get_data(as_text=True)).split())
    assert "keinen Betrag, über den Sie ohne Kündigung verfügen können" in page
    response = send_notice(client, auth, amount="10", payout_on="2026-02-15")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "payout_on") == (
        "Fehler: Wegen der Kündigungsfrist von 12 Monaten ist der 01.02.2027 der früheste Termin.")
    assert send_notice(client, auth, amount="10", payout_on="01.02.2027").status_code == 303


def test_fixed_term_cannot_be_given_notice(client, auth, data):
    sign_in(auth, GISELA)
    festzins = account(FESTZINS)
    page = main_of(client.get(notice_url(FESTZINS)).get_data(as_text=True))
    assert f"läuft mit festem Zins bis zum {german_date(festzins.matures_on)}" in page
    assert "<form" not in page
    for hx in (False, True):
        response = send_notice(client, auth, FESTZINS, hx=hx, amount="100", payout_on=clock.today().isoformat())
        assert response.status_code == 422
        assert "Vor dem Ende der Laufzeit kann er nicht gekündigt werden" in response.get_data(as_text=True)
    assert tickets_of("savings_notice") == [] and copies() == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount": "12.5"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "-5"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "1,234.56"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "<script>alert(1)</script>"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "1\x002"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "9" * 5000}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "١٢٣"}, "amount", "Bitte geben Sie den Betrag in Euro so ein: 1.234,56"),
    ({"amount": "0,00"}, "amount", "Der Betrag muss größer als 0,00 € sein."),
    ({"amount": ""}, "amount", "Bitte geben Sie den Betrag an oder wählen Sie „Gesamtes Guthaben“."),
    ({"amount": "9.000,01"}, "amount", "Der Betrag ist höher als Ihr Guthaben von 9.000,00 €."),
    ({"payout_on": ""}, "payout_on", "Bitte geben Sie an, zu welchem Tag wir auszahlen sollen."),
    ({"payout_on": "31.02.2026"}, "payout_on", "Bitte geben Sie ein gültiges Datum ein"),
    ({"payout_on": "<b>morgen</b>"}, "payout_on", "Bitte geben Sie ein gültiges Datum ein"),
    ({"payout_on": "2026-01-19"}, "payout_on", "Der Termin darf nicht in der Vergangenheit liegen."),
    ({"payout_on": "2027-04-23"}, "payout_on", "höchstens ein Jahr nach dem frühestmöglichen Termin (21.04.2026)"),
])
@pytest.mark.parametrize("hx", [False, True])
def test_bad_notice_values_get_a_message_and_save_nothing(client, auth, data, monkeypatch, fields, field, message,
                                                         hx):
    freeze(monkeypatch, date(2026, 1, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")])
    sign_in(auth, JUERGEN)
    sent = {"amount": "100", "payout_on": "2026-04-21", **fields}
    response = send_notice(client, auth, hx=hx, **sent)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert "<script>alert" not in page and "<b>morgen" not in page
    assert ("<html" in page) is not hx
    assert tickets_of("savings_notice") == [] and copies() == []


def test_a_refused_form_keeps_what_was_typed(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2026, 1, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")])
    sign_in(auth, JUERGEN)
    page = send_notice(client, auth, amount="12.5", payout_on="21.04.2026").get_data(as_text=True)
    assert 'value="12.5"' in page and 'value="21.04.2026"' in page
    page = send_notice(client, auth, amount="9.500,00", payout_on="2026-04-21").get_data(as_text=True)
    assert 'value="9.500,00"' in page


@pytest.mark.parametrize("hx", [False, True])
def test_notice_files_a_ticket_and_a_copy_in_dokumente(client, auth, data, monkeypatch, hx):
    freeze(monkeypatch, date(2026, 1, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")])
    sign_in(auth, JUERGEN)
    response = send_notice(client, auth, hx=hx, amount="1.234,56", payout_on="21.04.2026")
    [ticket] = tickets_of("savings_notice")
    location = f"/meldungen/{ticket.number}"
    if hx:
        assert response.status_code == 204 and response.headers["HX-Location"] == location
    else:
        assert response.status_code == 303 and response.headers["Location"] == location
    assert ticket.subject == f"Kündigung – Sparbuch {CRAFTED}"
    assert ticket.category.name == "Kündigung einer Spareinlage"
    shown = client.get(location).get_data(as_text=True)
    assert "Betrag: 1.234,56 €" in shown and "Auszahlung zum: 21.04.2026" in shown
    assert "Kündigungsfrist: 3 Monaten, vom 20.01.2026 bis 20.04.2026" in shown
    assert ticket.subject in client.get("/meldungen").get_data(as_text=True)
    [copy] = copies()
    assert copy.person.number == "104711" and copy.contract is None
    assert copy.title == f"Kündigung – Sparbuch {CRAFTED} vom 20.01.2026"
    assert copy.number in shown
    assert copy.title in client.get("/dokumente/").get_data(as_text=True)
    text = pdf_text(client.get(f"/dokumente/{copy.number}/pdf").data)
    assert f"Vertrag Sparbuch {CRAFTED}" in text and "Betrag 1.234,56 €" in text
    assert "Auszahlung zum 21.04.2026" in text and "Jürgen Müller" in text
    # after the notice period the allowance plays no part; the money goes to the reference account
    assert "Referenzkonto" in " ".join(text.split()) and "noch nicht gebucht" not in " ".join(text.split())


def test_whole_balance_closes_the_account(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2026, 1, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")])
    sign_in(auth, JUERGEN)
    # the amount typed beside the box does not count
    assert send_notice(client, auth, amount="5", whole_balance="y", payout_on="2026-04-21").status_code == 303
    [ticket] = tickets_of("savings_notice")
    shown = client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    assert "das gesamte Guthaben, zurzeit 9.000,00 €; der Sparvertrag wird aufgelöst" in shown
    text = pdf_text(documents.open_document(copies()[0]))
    assert "der Sparvertrag wird aufgelöst" in text and "Zinsen bis zum Auszahlungstag" in text
    # the whole balance is more than the monthly allowance: not before the period ends
    response = send_notice(client, auth, whole_balance="y", payout_on="2026-01-21")
    assert response.status_code == 422


def test_the_same_notice_sent_twice_files_one_ticket_and_one_copy(client, auth, data, monkeypatch):
    freeze(monkeypatch, date(2026, 1, 20))
    crafted([(date(2025, 1, 2), "Einzahlung", "9000.00")])
    sign_in(auth, JUERGEN)
    key = savings_requests_key()
    first = send_notice(client, auth, amount="100", payout_on="2026-01-20", submission_key=key)
    second = send_notice(client, auth, amount="100", payout_on="2026-01-20", submission_key=key)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(tickets_of("savings_notice")) == 1 and len(copies()) == 1


def test_demo_sparbuch_page_and_a_small_withdrawal(client, auth, data):
    sign_in(auth, JUERGEN)
    page = main_of(client.get(notice_url(SPARBUCH)).get_data(as_text=True))
    assert money(account(SPARBUCH).balance) in page
    # each link names the page it was opened from, for the Kündigung's „Zurück“ (tests/test_wording.py)
    assert 'href="/sparen/5104711-01/kuendigung?next=/sparen/"' in client.get("/sparen/").get_data(as_text=True)
    assert ('href="/sparen/5104711-01/kuendigung?next=/sparen/5104711-01/umsaetze"'
            in client.get(f"/sparen/{SPARBUCH}/umsaetze").get_data(as_text=True))
    response = send_notice(client, auth, SPARBUCH, amount="150", payout_on=clock.today().isoformat())
    assert response.status_code == 303


# --- who may ---


@pytest.mark.parametrize("who", [GISELA, LUKASZ])
def test_another_savers_account_is_not_found(client, auth, data, who):
    sign_in(auth, who)
    for number in (SPARBUCH, WACHSTUM):
        for url in (f"/sparen/{number}/kuendigung", f"/sparen/{number}/kontoauszuege",
                    f"/sparen/{number}/kontoauszug/{clock.today().year - 1}.pdf"):
            assert client.get(url).status_code == 404, url
            assert client.get(url, headers=htmx(auth)).status_code == 404, url
        response = send_notice(client, auth, number, amount="100", payout_on=clock.today().isoformat())
        assert response.status_code == 404
    assert tickets_of("savings_notice") == []


@pytest.mark.parametrize("who", [SUEKRUE, DIETER])
def test_users_of_a_cooperative_without_savings_get_404(client, auth, data, who):
    sign_in(auth, who)
    for url in ("/sparen/steuerbescheinigung", f"/sparen/{SPARBUCH}/kuendigung", f"/sparen/{SPARBUCH}/kontoauszuege",
                f"/sparen/{SPARBUCH}/kontoauszug/2025.pdf"):
        assert client.get(url).status_code == 404, url
    assert post(client, auth, "/sparen/steuerbescheinigung", year="2025").status_code == 404
    assert send_notice(client, auth, SPARBUCH, amount="1", payout_on="2030-01-01").status_code == 404
    assert tickets_of("tax_certificate") == tickets_of("savings_notice") == []


@pytest.mark.parametrize("url", ["/sparen/steuerbescheinigung", f"/sparen/{SPARBUCH}/kuendigung",
                                 f"/sparen/{SPARBUCH}/kontoauszuege", f"/sparen/{SPARBUCH}/kontoauszug/2025.pdf"])
def test_anonymous_users_are_sent_to_anmelden(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/anmelden?next={url}"


def test_staff_get_no_savings_pages(client, auth, data):
    auth.login_staff()
    for url in ("/sparen/steuerbescheinigung", f"/sparen/{SPARBUCH}/kuendigung", f"/sparen/{SPARBUCH}/kontoauszuege"):
        assert client.get(url).status_code == 403, url


# --- databases seeded before the keys ---


def test_migration_gives_the_categories_their_keys(data):
    TicketCategory.update(key="").where(TicketCategory.key.in_(["tax_certificate", "savings_notice"])).execute()
    migration = importlib.import_module("wir.migrations.0009_savings_request_category_keys")
    migration.up(None, db.database.obj)
    names = {c.key: c.name for c in TicketCategory.select().where(TicketCategory.key.in_(
        ["tax_certificate", "savings_notice"]))}
    assert names == {"tax_certificate": "Antrag auf Zusendung der Steuerbescheinigung",
                     "savings_notice": "Kündigung einer Spareinlage"}
