"""Sparen (issue 13): who sees it, the Übersicht of the savings accounts, the Umsätze with filter, pages and CSV."""

import csv
import io
import logging
import re
import time
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from peewee import PostgresqlDatabase, chunked

from tests.helpers import htmx, main_of
from wir import clock, db, pagination
from wir.formatting import german_date, money, percent
from wir.models import Person, SavingsAccount, SavingsTransaction
from wir.services.savings import savings

# demo tenants by the start of their e-mail: Jürgen saves at Lipsia (Sparbuch, Wachstumssparen), Gisela too
# (Festzins; she also rents at Elsteraue), Łukasz is a Lipsia member without savings accounts, Şükrü and
# Dieter are only at Elsteraue, which runs no savings facility
JUERGEN, GISELA, LUKASZ, SUEKRUE, DIETER = "juergen", "gisela", "lukasz", "s.yilmaz", "dieter"
SPARBUCH, WACHSTUM, FESTZINS = "5104711-01", "5104711-02", "5100385-01"


def sign_in(auth, who):
    """Sign in and, for a first login, confirm the contact data, so every page opens directly."""
    tenant = auth.login_as(who)
    auth.client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})
    return tenant


def account(number) -> SavingsAccount:
    return SavingsAccount.get(SavingsAccount.number == number)


def rows_of(number, **where) -> list[SavingsTransaction]:
    query = SavingsTransaction.select().where(SavingsTransaction.account == account(number))
    for name, value in where.items():
        query = query.where(getattr(SavingsTransaction, name) == value)
    return list(query.order_by(SavingsTransaction.booking_date.desc(), SavingsTransaction.id.desc()))


def table_rows(page: str) -> list[list[str]]:
    """The cells of the Umsätze table, tags stripped."""
    body = page.split('<table class="data-table transactions">', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', page)
    return unescape(found.group(1)) if found else None


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found, f"no message next to {field}"
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def big_account(count: int, number: str, per_day: int = 1) -> SavingsAccount:
    """A Sparbuch of Jürgen's with ``count`` Einzahlungen of 1 €, ``per_day`` of them booked on each day,
    written with one batched insert_many."""
    juergen = Person.get(Person.number == "104711")
    first = clock.today() - timedelta(days=count // per_day + 1)
    created = SavingsAccount.create(person=juergen, number=number, product="Sparbuch",
                                    interest_rate=Decimal("0.250"), notice_months=3, opened_on=first,
                                    balance=Decimal(count))
    rows = (
        {"account": created.id, "booking_date": first + timedelta(days=i // per_day),
         "value_date": first + timedelta(days=i // per_day), "kind": "Einzahlung", "amount": Decimal("1.00"),
         "balance_after": Decimal(i + 1)}
        for i in range(count)
    )
    with db.database.atomic():
        for batch in chunked(rows, 5000):
            SavingsTransaction.insert_many(batch).execute()
    return created


# --- who sees it ---


@pytest.mark.parametrize("who", [SUEKRUE, DIETER])
def test_users_of_a_cooperative_without_savings_see_no_sparen(client, auth, data, who):
    sign_in(auth, who)
    assert ">Sparen</a>" not in client.get("/").get_data(as_text=True)
    for url in ("/sparen/", f"/sparen/{SPARBUCH}/umsaetze", f"/sparen/{SPARBUCH}/umsaetze.csv",
                f"/sparen/{SPARBUCH}/umsaetze?jahr=2025", "/sparen/unbekannt/umsaetze"):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={**htmx(auth, "transaction-list")}).status_code == 404, url


def test_member_of_a_savings_cooperative_without_accounts_sees_an_empty_overview(client, auth, data):
    sign_in(auth, LUKASZ)
    response = client.get("/sparen/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-current="page">Sparen</a>' in page
    assert "noch keine Sparverträge" in main_of(page)
    assert "<table" not in main_of(page)


@pytest.mark.parametrize("who", [GISELA, LUKASZ])
@pytest.mark.parametrize("suffix", ["umsaetze", "umsaetze?art=Einzahlung", "umsaetze?nach=2025-01-01_1",
                                    "umsaetze.csv", "umsaetze.csv?jahr=2025"])
def test_another_savers_account_is_not_found(client, auth, data, who, suffix):
    sign_in(auth, who)
    for number in (SPARBUCH, WACHSTUM):
        response = client.get(f"/sparen/{number}/{suffix}")
        assert response.status_code == 404
        assert "Umsätze" not in main_of(response.get_data(as_text=True))
        assert client.get(f"/sparen/{number}/{suffix}", headers=htmx(auth, "transaction-list")).status_code == 404


def test_own_accounts_only_and_unknown_numbers_not_found(client, auth, data):
    sign_in(auth, JUERGEN)
    assert client.get(f"/sparen/{FESTZINS}/umsaetze").status_code == 404
    assert client.get(f"/sparen/{FESTZINS}/umsaetze.csv").status_code == 404
    assert client.get("/sparen/9999999-99/umsaetze").status_code == 404
    assert client.get(f"/sparen/{SPARBUCH}/umsaetze").status_code == 200


@pytest.mark.parametrize("url", ["/sparen/", f"/sparen/{SPARBUCH}/umsaetze", f"/sparen/{SPARBUCH}/umsaetze.csv"])
def test_anonymous_users_are_sent_to_anmelden(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/anmelden?next={url}"


# --- Übersicht ---


def test_overview_shows_each_account_with_its_terms_and_the_total(client, auth, data):
    sign_in(auth, JUERGEN)
    page = main_of(client.get("/sparen/").get_data(as_text=True))
    sparbuch, wachstum = account(SPARBUCH), account(WACHSTUM)
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[1].split("</tbody>", 1)[0], re.S)
    assert len(rows) == 2
    expected = [
        (sparbuch, "Sparbuch", "0,25 % p. a.", "3 Monate Kündigungsfrist"),
        (wachstum, "Wachstumssparen", "1,25 % p. a.", "12 Monate Kündigungsfrist"),
    ]
    for row, (saved, product, rate, term) in zip(rows, expected):
        text = " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        assert text.startswith(f"{product} {saved.number} {rate} {term} {money(saved.balance)}")
        assert f'href="/sparen/{saved.number}/umsaetze"' in row
    total = sparbuch.balance + wachstum.balance
    assert sparbuch.balance > 0 and wachstum.balance > 0
    footer = " ".join(re.sub(r"<[^>]+>", " ", page.split("<tfoot>", 1)[1]).split())
    assert footer.startswith(f"Summe aller Sparverträge {money(total)}")
    # the demo's figures: every balance is the sum of the account's bookings, to the cent
    assert total == sum(row.amount for row in rows_of(SPARBUCH) + rows_of(WACHSTUM))


def test_a_closed_account_is_listed_apart_and_out_of_the_total_its_history_stays(client, auth, data):
    """Aufgelöst (the ERP import sets closed_on): no balance in the sum, nothing to give notice on, Umsätze readable."""
    SavingsAccount.update(closed_on=clock.today()).where(SavingsAccount.number == WACHSTUM).execute()
    sign_in(auth, JUERGEN)
    page = main_of(client.get("/sparen/").get_data(as_text=True))
    table, closed = page.split("Aufgelöste Sparverträge", 1)
    assert WACHSTUM not in table and SPARBUCH in table
    footer = " ".join(re.sub(r"<[^>]+>", " ", table.split("<tfoot>", 1)[1]).split())
    assert footer.startswith(f"Summe aller Sparverträge {money(account(SPARBUCH).balance)}")
    assert f"Wachstumssparen {WACHSTUM}, aufgelöst am {german_date(clock.today())}" in " ".join(closed.split())
    assert f'href="/sparen/{WACHSTUM}/umsaetze"' in closed and "/kuendigung" not in closed
    assert client.get(f"/sparen/{WACHSTUM}/umsaetze").status_code == 200
    notice = client.get(f"/sparen/{WACHSTUM}/kuendigung").get_data(as_text=True)
    assert "aufgelöst" in notice and 'name="amount"' not in notice


def test_an_account_closed_from_a_later_day_still_counts(client, auth, data):
    SavingsAccount.update(closed_on=clock.today() + timedelta(days=1)).where(
        SavingsAccount.number == WACHSTUM).execute()
    sign_in(auth, JUERGEN)
    page = main_of(client.get("/sparen/").get_data(as_text=True))
    assert "Aufgelöste Sparverträge" not in page and WACHSTUM in page


def test_fixed_term_shows_its_maturity_and_only_the_savers_accounts(client, auth, data):
    sign_in(auth, GISELA)
    page = main_of(client.get("/sparen/").get_data(as_text=True))
    festzins = account(FESTZINS)
    assert festzins.matures_on > clock.today()
    assert "Festzins</th>" in page and f"fest bis {german_date(festzins.matures_on)}" in page
    assert "2,75 % p. a." in page and money(festzins.balance) in page
    assert SPARBUCH not in page and WACHSTUM not in page


@pytest.mark.parametrize(("rate", "shown"), [("0.250", "0,25 %"), ("2.75", "2,75 %"), ("0.125", "0,125 %"),
                                             ("1", "1,00 %"), ("0", "0,00 %"), (None, "–")])
def test_interest_rates_shown_with_the_places_they_need(rate, shown):
    assert percent(Decimal(rate) if rate is not None else None) == shown


# --- Umsätze ---


def test_transactions_list_newest_first_with_all_columns(client, auth, data):
    sign_in(auth, GISELA)
    page = client.get(f"/sparen/{FESTZINS}/umsaetze").get_data(as_text=True)
    expected = rows_of(FESTZINS)
    assert 0 < len(expected) <= 20  # one page
    assert table_rows(page) == [
        [german_date(r.booking_date), german_date(r.value_date), savings.kind_label(r.kind), money(r.amount),
         money(r.balance_after)]
        for r in expected
    ]
    kinds = {row[2] for row in table_rows(page)}
    assert {"Einzahlung", "Zinsgutschrift", "Kapitalertragsteuer", "Solidaritätszuschlag"} <= kinds
    assert link(page, "next") is None and link(page, "prev") is None
    assert "Auswahl als CSV-Datei herunterladen" in page


def test_filter_by_year(client, auth, data):
    sign_in(auth, GISELA)
    year = clock.today().year - 1
    page = client.get(f"/sparen/{FESTZINS}/umsaetze?jahr={year}").get_data(as_text=True)
    expected = [r for r in rows_of(FESTZINS) if r.booking_date.year == year]
    assert expected and len(expected) < len(rows_of(FESTZINS))
    assert [row[0] for row in table_rows(page)] == [german_date(r.booking_date) for r in expected]
    assert f'<option selected value="{year}">' in page
    assert f"/sparen/{FESTZINS}/umsaetze.csv?jahr={year}" in page


def test_filter_by_kind(client, auth, data):
    sign_in(auth, GISELA)
    page = client.get(f"/sparen/{FESTZINS}/umsaetze?art=KapESt").get_data(as_text=True)
    expected = rows_of(FESTZINS, kind="KapESt")
    assert len(expected) >= 2
    assert table_rows(page) == [
        [german_date(r.booking_date), german_date(r.value_date), "Kapitalertragsteuer", money(r.amount),
         money(r.balance_after)]
        for r in expected
    ]
    assert all(r.amount < 0 for r in expected)


@pytest.mark.parametrize("start_text", ["{start}", "{start_de}"])  # from <input type="date"> or typed
def test_filter_by_date_range(client, auth, data, start_text):
    sign_in(auth, JUERGEN)
    everything = rows_of(SPARBUCH)
    start, end = everything[-3].booking_date, everything[2].booking_date
    von = start_text.format(start=start.isoformat(), start_de=german_date(start))
    page = client.get(f"/sparen/{SPARBUCH}/umsaetze?von={von}&bis={end.isoformat()}").get_data(as_text=True)
    expected = [r for r in everything if start <= r.booking_date <= end]
    assert 3 <= len(expected) < len(everything)
    assert [row[0] for row in table_rows(page)] == [german_date(r.booking_date) for r in expected]
    # the links keep the selection in the form it is sent back in
    assert f"umsaetze.csv?von={start.isoformat()}&amp;bis={end.isoformat()}" in page


def test_open_ended_range_and_empty_selection(client, auth, data):
    sign_in(auth, JUERGEN)
    recent = rows_of(SPARBUCH)[0].booking_date
    page = client.get(f"/sparen/{SPARBUCH}/umsaetze?von={recent.isoformat()}").get_data(as_text=True)
    assert {row[0] for row in table_rows(page)} == {german_date(recent)}
    page = client.get(f"/sparen/{SPARBUCH}/umsaetze?art=KiSt").get_data(as_text=True)
    assert "Zu dieser Auswahl gibt es keine Umsätze." in page
    assert "umsaetze.csv" not in page


@pytest.mark.parametrize(("query", "field", "message"), [
    ("jahr=abc", "jahr", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("jahr=1800", "jahr", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("jahr=2025&von=2025-01-01", "jahr", "entweder ein Jahr oder einen Zeitraum"),
    ("von=31.02.2025", "von", "Bitte geben Sie ein gültiges Datum ein"),
    ("von=2025-13-01", "von", "Bitte geben Sie ein gültiges Datum ein"),
    ("bis=gestern", "bis", "Bitte geben Sie ein gültiges Datum ein"),
    ("von=2025-06-01&bis=2025-05-31", "bis", "Das Ende des Zeitraums liegt vor seinem Anfang."),
    ("art=Unbekannt", "art", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("art=%3Cscript%3Ealert(1)%3C/script%3E", "art", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("von=%27%3B%20DROP%20TABLE%20savings_transaction%3B--", "von", "Bitte geben Sie ein gültiges Datum ein"),
    ("von=" + "9" * 5000, "von", "Bitte geben Sie ein gültiges Datum ein"),
    ("jahr=%00", "jahr", "Bitte wählen Sie einen Eintrag aus der Liste."),
])
@pytest.mark.parametrize("suffix", ["umsaetze", "umsaetze.csv"])
def test_bad_filter_values_get_a_message_next_to_the_field(client, auth, data, query, field, message, suffix):
    sign_in(auth, JUERGEN)
    response = client.get(f"/sparen/{SPARBUCH}/{suffix}?{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert "Bitte korrigieren Sie Ihre Auswahl" in page
    assert "<script>alert" not in page and '<table class="data-table transactions">' not in page
    assert SavingsTransaction.select().count() > 0


@pytest.mark.parametrize("position", ["nach=kaputt", "vor=2025-99-01_3", "nach=2025-01-01", "vor=%27%20OR%201=1--_1",
                                      "nach=2025-01-01_1_2", "nach=" + "1" * 3000])
def test_malformed_positions_show_the_first_page(client, auth, data, position):
    sign_in(auth, JUERGEN)
    first = client.get(f"/sparen/{SPARBUCH}/umsaetze").get_data(as_text=True)
    response = client.get(f"/sparen/{SPARBUCH}/umsaetze?{position}")
    assert response.status_code == 200
    assert table_rows(response.get_data(as_text=True)) == table_rows(first)


def test_htmx_gets_only_the_list(client, auth, data):
    sign_in(auth, GISELA)
    url = f"/sparen/{FESTZINS}/umsaetze?art=Zinsgutschrift"
    response = client.get(url, headers=htmx(auth, "transaction-list"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.vary
    assert fragment.lstrip().startswith('<div id="transaction-list"') and "<html" not in fragment
    assert {row[2] for row in table_rows(fragment)} == {"Zinsgutschrift"}
    bad = client.get(f"/sparen/{FESTZINS}/umsaetze?von=morgen", headers=htmx(auth, "transaction-list"))
    assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    assert "Bitte geben Sie ein gültiges Datum ein" in field_error(bad.get_data(as_text=True), "von")
    # without the list as target (a history restore, a reload) the whole page
    assert "<html" in client.get(url).get_data(as_text=True)


# --- paging ---


def _walk(client, url, rel):
    """Follow the page links from ``url`` in one direction; the table rows of every page."""
    pages = []
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(table_rows(page))
        url = link(page, rel)
    return pages


@pytest.mark.parametrize("per_day", [1, 7, 100])  # 100: every row of the account booked on the same day
def test_paging_shows_every_row_exactly_once_in_both_directions(client, auth, data, app, per_day):
    size = app.config["PAGE_SIZE"]
    created = big_account(3 * size + 7, "5104711-77", per_day=per_day)
    sign_in(auth, JUERGEN)
    expected = [[money(r.balance_after)] for r in rows_of(created.number)]
    pages = _walk(client, f"/sparen/{created.number}/umsaetze", "next")
    assert [len(p) for p in pages] == [size, size, size, 7]
    assert [[row[4]] for p in pages for row in p] == expected
    # and back from the last page to the first
    last = client.get(f"/sparen/{created.number}/umsaetze").get_data(as_text=True)
    while link(last, "next"):
        last = client.get(link(last, "next")).get_data(as_text=True)
    assert link(last, "next") is None
    back = _walk(client, link(last, "prev"), "prev")
    assert [[row[4]] for p in reversed(back) for row in p] == expected[: 3 * size]
    assert [len(p) for p in back] == [size, size, size]


def test_paging_keeps_the_selection(client, auth, data, app):
    size = app.config["PAGE_SIZE"]
    created = big_account(5 * size, "5104711-78", per_day=3)
    every_other = [row.id for row in rows_of(created.number)][::2]
    SavingsTransaction.update(kind="Auszahlung").where(SavingsTransaction.id.in_(every_other)).execute()
    sign_in(auth, JUERGEN)
    pages = _walk(client, f"/sparen/{created.number}/umsaetze?art=Auszahlung", "next")
    shown = [row for p in pages for row in p]
    assert [row[4] for row in shown] == [money(r.balance_after) for r in rows_of(created.number, kind="Auszahlung")]
    assert {row[2] for row in shown} == {"Auszahlung"} and len(pages) > 1


def test_slice_at_beyond_the_ends(data):
    created = big_account(30, "5104711-79", per_day=2)
    query = savings.transactions_of(created, savings.Selection())
    everything = list(query.order_by(SavingsTransaction.booking_date.desc(), SavingsTransaction.id.desc()))
    oldest, newest = everything[-1], everything[0]
    past_the_end = pagination.slice_at(query, savings.KEYS, 10, after=pagination.position_of(oldest, savings.KEYS))
    assert past_the_end.items == [] and past_the_end.older is None
    assert [r.id for r in pagination.slice_at(query, savings.KEYS, 10, before=past_the_end.newer).items] == [
        r.id for r in everything[-11:-1]]
    before_the_start = pagination.slice_at(query, savings.KEYS, 10, before=pagination.position_of(newest, savings.KEYS))
    assert before_the_start.items == [] and before_the_start.newer is None
    assert [r.id for r in pagination.slice_at(query, savings.KEYS, 10, after=before_the_start.older).items] == [
        r.id for r in everything[1:11]]


# --- CSV ---


def test_csv_download_for_german_excel(client, auth, data):
    sign_in(auth, GISELA)
    response = client.get(f"/sparen/{FESTZINS}/umsaetze.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="umsaetze-{FESTZINS}.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Length" not in response.headers  # streamed, not built in memory first
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "Solidaritätszuschlag".encode() in body  # umlauts as UTF-8
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0] == ["Buchungstag", "Wertstellung", "Art", "Betrag (EUR)", "Kontostand nach Buchung (EUR)"]
    expected = rows_of(FESTZINS)
    assert len(lines) == 1 + len(expected)
    first = expected[0]
    assert lines[1] == [german_date(first.booking_date), german_date(first.value_date), savings.kind_label(first.kind),
                        money(first.amount).removesuffix(" €"), money(first.balance_after).removesuffix(" €")]
    assert all(re.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d\d", line[3]) for line in lines[1:])
    assert any(line[3].startswith("-") for line in lines[1:])
    assert text.count("\r\n") == len(lines)


def test_csv_of_a_selection(client, auth, data):
    sign_in(auth, GISELA)
    year = clock.today().year - 1
    response = client.get(f"/sparen/{FESTZINS}/umsaetze.csv?jahr={year}&art=Zinsgutschrift")
    assert f'filename="umsaetze-{FESTZINS}-{year}.csv"' in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert [line[:3] for line in lines[1:]] == [[f"31.12.{year}", f"31.12.{year}", "Zinsgutschrift"]]
    response = client.get(f"/sparen/{FESTZINS}/umsaetze.csv?von=2020-01-01&bis=2020-12-31")
    assert 'filename="umsaetze-5100385-01-2020-01-01-2020-12-31.csv"' in response.headers["Content-Disposition"]


def test_csv_of_many_rows_is_complete(client, auth, data):
    created = big_account(5000, "5104711-80", per_day=10)
    sign_in(auth, JUERGEN)
    body = client.get(f"/sparen/{created.number}/umsaetze.csv").get_data().decode("utf-8-sig")
    lines = body.splitlines()
    assert len(lines) == 5001
    assert lines[1].endswith(";Einzahlung;1,00;5.000,00") and lines[-1].endswith(";Einzahlung;1,00;1,00")


# --- speed ---


class _Statements(logging.Handler):
    """The SQL statements peewee runs, as (sql, params), to ask the database for their plans."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        if record.name == "peewee" and isinstance(record.msg, tuple):
            self.statements.append(record.msg)


def _statements_of(client, url) -> list[tuple]:
    logger, handler = logging.getLogger("peewee"), _Statements()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        assert client.get(url).status_code == 200
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return [(sql, params) for sql, params in handler.statements if 'FROM "savings_transaction"' in sql]


def _plan(sql: str, params) -> str:
    """The database's plan of a statement, as one text."""
    if isinstance(db.database.obj, PostgresqlDatabase):
        return "\n".join(row[0] for row in db.database.execute_sql(f"EXPLAIN {sql}", params).fetchall())
    return "\n".join(row[-1] for row in db.database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())


def _median_seconds(client, url, runs=3) -> float:
    client.get(url)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200 and table_rows(response.get_data(as_text=True))
    return sorted(times)[runs // 2]


def test_query_count_and_time_do_not_grow_with_the_transactions(client, auth, data, count_queries):
    """1,000 against 100,000 Umsätze: the first page, a page deep inside (after a position, filtered by kind) and a
    year read as many statements, each reads the account's rows through its index (account, booking date, id) in
    the order shown, never the whole table nor a sort, and the big account's pages take about as long."""
    small, large = big_account(1_000, "5104711-81", per_day=1), big_account(100_000, "5104711-82", per_day=100)
    if isinstance(db.database.obj, PostgresqlDatabase):
        db.database.execute_sql("ANALYZE savings_transaction")  # the planner's statistics, as autovacuum would
    sign_in(auth, JUERGEN)

    def urls(created, deep_days):
        deep_after = f"{clock.today() - timedelta(days=deep_days)}_{10**9}"
        return {
            "first": f"/sparen/{created.number}/umsaetze",
            "deep": f"/sparen/{created.number}/umsaetze?nach={deep_after}&art=Einzahlung",
            "year": f"/sparen/{created.number}/umsaetze?jahr={clock.today().year - 1}",
        }

    pages = {small.number: urls(small, 500), large.number: urls(large, 500)}
    for name in ("first", "deep", "year"):
        counts = []
        for created in (small, large):
            url = pages[created.number][name]
            client.get(url)  # warm-up
            with count_queries() as queries:
                page = client.get(url).get_data(as_text=True)
            counts.append(queries.count)
            assert len(table_rows(page)) > 1, url
        assert counts[0] == counts[1], (name, counts)

        statements = _statements_of(client, pages[large.number][name])
        assert statements, name
        for sql, params in statements:
            plan = _plan(sql, params)
            assert "account_id_booking_date_id" in plan, (name, sql, plan)
            whole_table = re.search(r"SCAN (savings_transaction|t1)\b(?! USING)", plan)  # SQLite
            assert "Seq Scan" not in plan and not whole_table, (name, plan)
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, (name, plan)

    # generous: the big account's pages may take three times as long as the small one's and a quarter second more
    for name in ("first", "deep"):
        fast = _median_seconds(client, pages[small.number][name])
        slow = _median_seconds(client, pages[large.number][name])
        assert slow < 3 * fast + 0.25, (name, fast, slow)
