"""Freistellungsauftrag (issue 13): the rules of services.exemption_orders and the pages under /sparen/freistellungsauftrag.

Jürgen (demo) saves at Lipsia and gave a single order of 1.000 € from 01.01.2023 on paper; Gisela saves at Lipsia
without an order; Łukasz is a Lipsia member without savings accounts; Şükrü and Dieter are only at Elsteraue, which
runs no savings facility.
"""

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from html import unescape

import pytest
from stdnum.iso7064 import mod_11_10

from tests.helpers import deliver, htmx, main_of, pdf_text
from tests.test_savings import (
    DIETER,
    GISELA,
    JUERGEN,
    LUKASZ,
    SUEKRUE,
    field_error,
    sign_in,
)
from wir import clock, storage
from wir.formatting import masked_tax_id
from wir.models import (
    AuditLog,
    Document,
    ExemptionOrder,
    OutboxMail,
    Person,
    SavingsAccount,
    SavingsTransaction,
    User,
)
from wir.services.rejections import Rejected
from wir.services.savings import exemption_orders
from wir.services.savings.exemption_orders import (
    JOINT,
    NOW,
    SINGLE,
    YEAR_END,
    OrderRequest,
)

JUERGEN_ID = "36574261809"  # the demo's order
OTHER_ID = "86095742719"  # valid: a partner's
URL = "/sparen/freistellungsauftrag"
FORM_URL = f"{URL}/neu"
REVOKE_URL = f"{URL}/widerruf"


def with_check_digit(first_ten: str) -> str:
    return first_ten + mod_11_10.calc_check_digit(first_ten)


def person(key="104711") -> Person:
    return Person.get(Person.number == key)


def juergen() -> Person:
    return person("104711")


def orders(who=None) -> list[ExemptionOrder]:
    return list(ExemptionOrder.select().where(ExemptionOrder.person == (who or juergen()))
                .order_by(ExemptionOrder.id))


def freeze(monkeypatch, local: datetime) -> None:
    """Stop the clock at a Leipzig time (stored times are UTC)."""
    moment = local.replace(tzinfo=clock.LOCAL_ZONE).astimezone(timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr(clock, "now", lambda: moment)


def credit_interest(day: date, interest: str, kapest: str | None = None, number="5104711-01") -> None:
    """A Zinsgutschrift on ``day``, with Kapitalertragsteuer withheld when given."""
    account = SavingsAccount.get(SavingsAccount.number == number)
    SavingsTransaction.create(account=account, booking_date=day, value_date=day, kind="Zinsgutschrift",
                              amount=Decimal(interest), balance_after=account.balance + Decimal(interest))
    if kapest is not None:
        SavingsTransaction.create(account=account, booking_date=day, value_date=day, kind="KapESt",
                                  amount=-Decimal(kapest), balance_after=account.balance)


def request_for(**changes) -> OrderRequest:
    values = {"kind": SINGLE, "amount": Decimal("800"), "valid_from_year": clock.today().year, "valid_until_year": None,
              "tax_id": JUERGEN_ID, "total_confirmed": True}
    values.update(changes)
    return OrderRequest(**values)


def form_data(auth, password, **changes) -> dict:
    data = {"csrf_token": auth.csrf_token(), "kind": SINGLE, "amount": "800",
            "valid_from": str(clock.today().year), "valid_until": "", "tax_id": JUERGEN_ID,
            "partner_name": "", "partner_tax_id": "", "total_confirmed": "y", "password": password}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def stored_counts() -> tuple[int, int, int, int]:
    return (ExemptionOrder.select().count(), Document.select().count(), OutboxMail.select().count(),
            AuditLog.select().where(AuditLog.action.startswith("exemption_order")).count())


def text_of(page: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def place(app, who_user, who_person, password, **changes):
    with app.test_request_context():
        return exemption_orders.place(who_user, who_person, request_for(password=password, **changes))


def user_of(tenant) -> User:
    return User.get(User.email == tenant["email"])


# --- the Steuer-ID ---

TRIPLE = with_check_digit("1112345678")  # a digit three times in a row: stdnum counts, the BZSt never issues it


@pytest.mark.parametrize(("typed", "expected"), [
    ("36574261809", "36574261809"),
    ("36 574 261 809", "36574261809"),
    (" 365 742 618 09\t", "36574261809"),
    ("36\u00a0574\u00a0261\u00a0809", "36574261809"),  # spaces copied from a PDF
    (OTHER_ID, OTHER_ID),
    (with_check_digit("1123456789"), with_check_digit("1123456789")),  # one digit twice
    (with_check_digit("1121345678"), with_check_digit("1121345678")),  # one digit three times, never in a row
])
def test_valid_tax_ids_are_kept_as_eleven_digits(typed, expected):
    assert exemption_orders.check_tax_id(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Bitte geben Sie Ihre Steuer-Identifikationsnummer ein."),
    ("   ", "Bitte geben Sie Ihre Steuer-Identifikationsnummer ein."),
    ("36574261890", "Prüfziffer"),  # wrong check digit
    ("36574261808", "Prüfziffer"),
    ("36554266806", "Ziffernfolge"),  # two digits repeated
    (with_check_digit("1234567890")[:10] + "1", "Ziffernfolge"),  # no digit repeated (and wrong check digit)
    (with_check_digit("1111234567"), "Ziffernfolge"),  # a digit four times
    (TRIPLE, "Ziffernfolge"),  # three times in a row
    ("06574261809", "beginnt nie mit 0"),  # leading zero
    ("3657426180", "Sie haben 10 eingegeben"),  # too short
    ("365742618", "Sie haben 9 eingegeben"),
    ("365742618091", "Sie haben 12 eingegeben"),  # too long
    ("36-574-261-809", "besteht aus 11 Ziffern"),
    ("3657426180X", "besteht aus 11 Ziffern"),
    ("٣٦٥٧٤٢٦١٨٠٩", "besteht aus 11 Ziffern"),  # Arabic-Indic digits
    ("<script>alert(1)</script>", "besteht aus 11 Ziffern"),
    ("3" * 5000, "besteht aus 11 Ziffern"),
])
def test_invalid_tax_ids_are_refused_with_a_reason(typed, message):
    with pytest.raises(Rejected) as refused:
        exemption_orders.check_tax_id(typed)
    assert refused.value.field == "tax_id"
    assert message in refused.value.message


def test_the_triple_rule_is_ours_on_top_of_stdnum():
    from stdnum.de import idnr
    assert idnr.is_valid(TRIPLE)


def test_masked_tax_id_shows_only_the_last_three_digits():
    assert masked_tax_id("36574261809") == "•• ••• ••• 809"
    assert masked_tax_id("36 574 261 809") == "•• ••• ••• 809"
    assert masked_tax_id("") == "–"


# --- the amount ---


@pytest.mark.parametrize(("amount", "joint"), [
    ("1000", False), ("1000.00", False), ("999.99", False), ("0.01", False), ("2000", True), ("1000.01", True),
])
def test_amounts_within_the_limit(amount, joint):
    assert exemption_orders.check_amount(Decimal(amount), joint) == Decimal(amount)


@pytest.mark.parametrize(("amount", "joint", "message"), [
    ("1000.01", False, "höchstens 1.000,00 €"),
    ("2000", False, "höchstens 1.000,00 €"),
    ("2000.01", True, "höchstens 2.000,00 €"),
    ("0", False, "mehr als 0 €"),
    ("0.00", True, "mehr als 0 €"),
    ("-5", False, "mehr als 0 €"),
    ("-1000", True, "mehr als 0 €"),
    ("1E+30", False, "höchstens 1.000,00 €"),
    ("800.001", False, "Euro und Cent"),
    ("NaN", False, "Euro und Cent"),
    ("Infinity", True, "Euro und Cent"),
    (None, False, "Bitte geben Sie den Betrag in Euro an."),
])
def test_amounts_refused(amount, joint, message):
    with pytest.raises(Rejected) as refused:
        exemption_orders.check_amount(None if amount is None else Decimal(amount), joint)
    assert refused.value.field == "amount"
    assert message in refused.value.message


# --- the dates ---


def test_valid_from_is_the_first_of_january_of_this_or_a_later_year(monkeypatch):
    freeze(monkeypatch, datetime(2026, 6, 15, 12, 0))
    today = clock.today()
    assert exemption_orders.check_valid_from("2026", today) == date(2026, 1, 1)
    assert exemption_orders.check_valid_from(2028, today) == date(2028, 1, 1)
    for year, message in (("2025", "nicht für vergangene Jahre"), ("2029", "bis 2028"),
                          ("", "Bitte wählen Sie"), ("26", "Bitte wählen Sie"), ("2026-06-01", "Bitte wählen Sie"),
                          ("<script>", "Bitte wählen Sie")):
        with pytest.raises(Rejected) as refused:
            exemption_orders.check_valid_from(year, today)
        assert refused.value.field == "valid_from" and message in refused.value.message, year


def test_valid_until_is_none_or_the_31st_of_december_not_before_the_start(monkeypatch):
    freeze(monkeypatch, datetime(2026, 6, 15, 12, 0))
    today = clock.today()
    assert exemption_orders.check_valid_until(None, date(2026, 1, 1), today) is None
    assert exemption_orders.check_valid_until("", date(2026, 1, 1), today) is None
    assert exemption_orders.check_valid_until("2026", date(2026, 1, 1), today) == date(2026, 12, 31)
    assert exemption_orders.check_valid_until("2036", date(2027, 1, 1), today) == date(2036, 12, 31)
    for year, start, message in (("2026", date(2027, 1, 1), "frühestens am 31.12.2027"),
                                 ("2025", None, "Vergangenheit"), ("2037", date(2026, 1, 1), "bis 2036"),
                                 ("31.12.2026", date(2026, 1, 1), "Bitte wählen Sie")):
        with pytest.raises(Rejected) as refused:
            exemption_orders.check_valid_until(year, start, today)
        assert refused.value.field == "valid_until" and message in refused.value.message, year


@pytest.mark.parametrize(("local", "first_year"), [
    (datetime(2026, 12, 31, 23, 59, 59), 2026),  # still the old year in Leipzig (22:59 UTC)
    (datetime(2027, 1, 1, 0, 0, 0), 2027),  # already the new one (still 31.12. 23:00 in UTC)
])
def test_the_turn_of_the_year_follows_leipzig_time(monkeypatch, local, first_year):
    freeze(monkeypatch, local)
    assert exemption_orders.valid_from_years(clock.today())[0] == first_year


# --- what was used this year ---


def test_used_counts_the_interest_credited_without_tax_this_year(app, data):
    year = clock.today().year
    me = juergen()
    assert exemption_orders.used_in(me, year) == 0  # the demo credits interest on 31 December only
    credit_interest(date(year, 3, 31), "40.00")  # exempted in full
    assert exemption_orders.used_in(me, year) == Decimal("40.00")
    credit_interest(date(year, 6, 30), "120.00", kapest="5.00", number="5104711-02")  # 100 exempted, 20 taxed
    assert exemption_orders.used_in(me, year) == Decimal("140.00")
    credit_interest(date(year, 7, 31), "10.01", kapest="2.50")  # taxed in full (2,5025 rounded): nothing exempted
    assert exemption_orders.used_in(me, year) == Decimal("140.00")
    credit_interest(date(year - 1, 12, 31), "500.00")  # last year's interest does not count this year
    assert exemption_orders.used_in(me, year) == Decimal("140.00")
    assert exemption_orders.used_in(person("100385"), year) == 0  # Gisela's accounts are hers


# --- placing an order (service) ---


def test_a_change_is_a_new_order_that_ends_the_old_one(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 5, 4, 10, 30))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    old = orders()[0]
    new = place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("600"), valid_until_year="2027")
    old, stored = orders()
    assert stored.id == new.id
    assert (stored.amount, stored.valid_from, stored.valid_until, stored.joint) == (
        Decimal("600.00"), date(2026, 1, 1), date(2027, 12, 31), False)
    assert stored.tax_id == JUERGEN_ID and stored.created_by_id == user_of(tenant).id
    assert old.superseded_at == clock.now() and old.valid_until == date(2025, 12, 31) and old.revoked_at is None
    state = exemption_orders.status(juergen())
    assert state.current.id == new.id and state.open.id == new.id and state.upcoming is None
    assert state.left == Decimal("600.00")


def test_an_order_for_next_year_leaves_this_years_in_force(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 5, 4, 10, 30))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    new = place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("300"), valid_from_year="2027")
    old = orders()[0]
    assert old.valid_until == date(2026, 12, 31) and old.superseded_at is not None
    state = exemption_orders.status(juergen())
    assert state.current.id == old.id and state.upcoming.id == new.id and state.open.id == new.id
    # changed again before it began: the planned order never takes effect
    newer = place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("400"), valid_from_year="2027")
    planned = ExemptionOrder.get_by_id(new.id)
    assert planned.valid_until == date(2026, 12, 31) < planned.valid_from
    assert not exemption_orders.took_effect(planned)
    state = exemption_orders.status(juergen())
    assert state.current.id == old.id and state.upcoming.id == newer.id


def test_a_reduction_may_not_go_below_what_was_used_this_year(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 9, 1, 9, 0))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    credit_interest(date(2026, 6, 30), "300.00")
    before = stored_counts()
    with pytest.raises(Rejected) as refused:
        place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("299.99"))
    assert refused.value.field == "amount" and "bereits 300,00 €" in refused.value.message
    assert stored_counts() == before
    assert place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("300")).amount == Decimal("300.00")
    # from next year on the used amount is no bound
    assert place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("100"),
                 valid_from_year="2027").amount == Decimal("100.00")


def test_joint_orders_need_two_different_valid_ids_and_the_partners_name(app, data):
    me = juergen()
    problems = {r.field: r.message for r in exemption_orders.problems(
        request_for(kind=JOINT, amount=Decimal("2000"), partner_tax_id=JUERGEN_ID, partner_name="Erika Meier"), me)}
    assert list(problems) == ["partner_tax_id"] and "unterscheiden" in problems["partner_tax_id"]
    problems = {r.field: r.message for r in exemption_orders.problems(
        request_for(kind=JOINT, amount=Decimal("2000"), partner_tax_id="36 574 261 809", partner_name="Erika Meier"), me)}
    assert "unterscheiden" in problems["partner_tax_id"]  # spaces do not make it another number
    problems = {r.field: r.message for r in exemption_orders.problems(
        request_for(kind=JOINT, amount=Decimal("2000"), partner_tax_id="36574261890", partner_name=""), me)}
    assert set(problems) == {"partner_tax_id", "partner_name"} and "Prüfziffer" in problems["partner_tax_id"]
    problems = {r.field for r in exemption_orders.problems(
        request_for(kind=JOINT, amount=Decimal("2000"), partner_tax_id="", partner_name="<script>x</script>"), me)}
    assert problems == {"partner_tax_id", "partner_name"}
    assert exemption_orders.problems(
        request_for(kind=JOINT, amount=Decimal("2000"), partner_tax_id=OTHER_ID, partner_name="Erika  Meier"), me) == []
    # a single order ignores the partner's fields
    assert exemption_orders.problems(request_for(partner_tax_id=JUERGEN_ID, partner_name="<x>"), me) == []


def test_every_problem_at_once(app, data):
    problems = {r.field for r in exemption_orders.problems(
        OrderRequest(kind="both", amount=None, valid_from_year="1999", valid_until_year="1998", tax_id="1"), juergen())}
    assert problems == {"kind", "amount", "valid_from", "valid_until", "tax_id", "total_confirmed"}


def test_confirmation_pdf_mail_and_audit_show_the_ids_masked(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 5, 4, 10, 30))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    new = place(app, user_of(tenant), juergen(), tenant["password"], kind=JOINT, amount=Decimal("1500"),
                partner_name="Erika Meier", partner_tax_id=OTHER_ID)
    document = Document.select().where(Document.person == juergen()).order_by(Document.id.desc()).first()
    assert document.kind == "receipt" and document.title == "Freistellungsauftrag vom 04.05.2026"
    assert document.created_by_id == user_of(tenant).id and document.read_at is None
    text = pdf_text(storage.load(document.storage_key))
    for expected in ("Bestätigung Ihres Freistellungsauftrags", "1.500,00 €", "01.01.2026", "auf Widerruf",
                     "Gemeinsamer Auftrag", "Erika Meier", "•• ••• ••• 809", "•• ••• ••• 719",
                     "am 04.05.2026 um 10:30 Uhr", "Ihren Freistellungsauftrag vom 22.11.2022", document.number):
        assert expected in text, expected
    assert JUERGEN_ID not in text.replace(" ", "") and OTHER_ID not in text.replace(" ", "")
    queued = OutboxMail.select().order_by(OutboxMail.id.desc()).first()
    assert queued.recipient == tenant["email"] and queued.subject == "Ihr Freistellungsauftrag ist eingegangen"
    assert "1.500,00 €" in queued.body_text and document.number in queued.body_text
    assert "/sparen/freistellungsauftrag" in queued.body_text
    for body in (queued.body_text, queued.body_html):
        assert JUERGEN_ID not in body and OTHER_ID not in body and "809" not in body
    entry = AuditLog.get((AuditLog.action == "exemption_order.placed") & (AuditLog.object_id == str(new.id)))
    assert "•• ••• ••• 809" in entry.detail and "•• ••• ••• 719" in entry.detail
    assert JUERGEN_ID not in entry.detail and OTHER_ID not in entry.detail
    assert entry.user_id == user_of(tenant).id and entry.cooperative_id == juergen().cooperative_id


def test_the_staff_side_sees_the_ids_masked_only(client, auth, data):
    """After a joint order and its Widerruf the admin's Protokoll (page and CSV) and the saver's person page in the
    internal area never show a Steuer-ID in full, in any grouping."""
    tenant = sign_in(auth, JUERGEN)
    assert client.post(FORM_URL, data=form_data(auth, tenant["password"], kind=JOINT, amount="1500",
                                                partner_name="Erika Meier", partner_tax_id=OTHER_ID)).status_code == 303
    assert client.post("/sparen/freistellungsauftrag/widerruf", data={
        "csrf_token": auth.csrf_token(), "when": YEAR_END, "password": tenant["password"]}).status_code == 303
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    pages = {
        "Protokoll": client.get("/intern/protokoll?aktion=exemption_order.placed").get_data(as_text=True),
        "CSV": client.get("/intern/protokoll.csv").get_data().decode("utf-8-sig"),
        "Person": client.get(f"/intern/personen/{juergen().id}").get_data(as_text=True),
    }
    assert "•• ••• ••• 809" in pages["CSV"] and "•• ••• ••• 719" in pages["CSV"]
    assert "••• 809" in unescape(pages["Protokoll"])
    for name, text in pages.items():
        digits_only = re.sub(r"\D", "", unescape(text))
        for full in (JUERGEN_ID, OTHER_ID):
            assert full not in digits_only, (name, full)


def test_wrong_password_stores_nothing(app, data, demo_logins):
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    before = stored_counts()
    with pytest.raises(Rejected) as refused:
        place(app, user_of(tenant), juergen(), "falsch falsch falsch")
    assert refused.value.field == "password" and refused.value.message == "Das Passwort ist nicht richtig."
    assert stored_counts() == before
    assert orders()[0].superseded_at is None


# --- Widerruf (service) ---


def revoke(app, tenant, when):
    with app.test_request_context():
        return exemption_orders.revoke(user_of(tenant), juergen(), when, tenant["password"])


def test_revocation_from_now_while_nothing_was_used(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 5, 4, 10, 30))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    assert exemption_orders.status(juergen()).revocable_now
    order = revoke(app, tenant, NOW)
    order = ExemptionOrder.get_by_id(order.id)
    assert order.revoked_at == clock.now() and order.valid_until == date(2025, 12, 31)
    state = exemption_orders.status(juergen())
    assert state.current is None and state.open is None and not state.revocable
    document = Document.select().where(Document.person == juergen()).order_by(Document.id.desc()).first()
    text = pdf_text(storage.load(document.storage_key))
    assert "Bestätigung Ihres Widerrufs" in text and "Widerrufen ab 01.01.2026" in text and "•• ••• ••• 809" in text
    queued = OutboxMail.select().order_by(OutboxMail.id.desc()).first()
    assert "Widerruf" in queued.subject and "ab dem 01.01.2026 nicht mehr" in queued.body_text
    entry = AuditLog.get(AuditLog.action == "exemption_order.revoked")
    assert "Widerruf ab 01.01.2026" in entry.detail and JUERGEN_ID not in entry.detail
    with pytest.raises(Rejected) as refused:  # nothing left to revoke
        revoke(app, tenant, YEAR_END)
    assert "keinen Freistellungsauftrag" in refused.value.message


def test_revocation_after_interest_was_exempted_only_from_next_year(app, data, demo_logins, monkeypatch):
    freeze(monkeypatch, datetime(2026, 9, 1, 9, 0))
    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    credit_interest(date(2026, 6, 30), "12.00")
    before = stored_counts()
    with pytest.raises(Rejected) as refused:
        revoke(app, tenant, NOW)
    assert refused.value.field == "when" and "ab dem 01.01.2027" in refused.value.message
    assert stored_counts() == before
    order = ExemptionOrder.get_by_id(revoke(app, tenant, YEAR_END).id)
    assert order.valid_until == date(2026, 12, 31) and order.revoked_at is not None
    state = exemption_orders.status(juergen())
    assert state.current.id == order.id and state.left == Decimal("988.00") and not state.revocable
    # a new order afterwards replaces it from its start
    new = place(app, user_of(tenant), juergen(), tenant["password"], amount=Decimal("500"))
    assert ExemptionOrder.get_by_id(order.id).valid_until == date(2025, 12, 31)
    assert exemption_orders.status(juergen()).current.id == new.id


# --- who sees it ---


def test_anonymous_users_are_sent_to_sign_in(client):
    for url in (URL, FORM_URL, REVOKE_URL):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden"), url
    assert client.post(FORM_URL, data={"amount": "800"}).status_code in (302, 400)
    assert ExemptionOrder.select().count() == 1


@pytest.mark.parametrize("who", [SUEKRUE, DIETER])
def test_users_of_a_cooperative_without_savings_get_404(client, auth, data, who):
    tenant = sign_in(auth, who)
    for url in (URL, FORM_URL, REVOKE_URL):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers=htmx(auth)).status_code == 404, url
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"]))
    assert response.status_code == 404
    assert client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": NOW,
                                         "password": tenant["password"]}).status_code == 404
    assert ExemptionOrder.select().count() == 1


@pytest.mark.parametrize("who", [GISELA, LUKASZ])
def test_another_savers_orders_are_invisible(client, auth, data, who):
    sign_in(auth, who)
    for url in (URL, FORM_URL, "/sparen/"):
        page = main_of(client.get(url).get_data(as_text=True))
        assert "809" not in page and JUERGEN_ID not in page and "01.01.2023" not in page, url
    page = main_of(client.get(URL).get_data(as_text=True))
    assert "noch keinen Freistellungsauftrag erteilt" in page and "Freistellungsauftrag erteilen" in page
    page = main_of(client.get(REVOKE_URL).get_data(as_text=True))
    assert "keinen Freistellungsauftrag, der widerrufen werden kann" in page and "<form" not in page


def test_a_revocation_without_an_order_is_refused(client, auth, data, demo_logins):
    tenant = sign_in(auth, GISELA)
    before = stored_counts()
    response = client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": NOW,
                                             "password": tenant["password"]})
    assert response.status_code == 422
    assert "keinen Freistellungsauftrag" in response.get_data(as_text=True)
    assert stored_counts() == before


# --- the pages ---


def test_overview_and_page_show_the_current_order_masked(client, auth, data):
    sign_in(auth, JUERGEN)
    credit_interest(date(clock.today().year, 3, 31), "25.50")
    overview = text_of(main_of(client.get("/sparen/").get_data(as_text=True)))
    assert "Freistellungsauftrag" in overview
    assert "1.000,00 € im Jahr" in overview and "ab 01.01.2023 bis auf Widerruf" in overview
    assert f"{clock.today().year} bereits genutzt 25,50 €" in overview and "Noch frei 974,50 €" in overview
    assert "•• ••• ••• 809" in overview and JUERGEN_ID not in overview
    page = main_of(client.get(URL).get_data(as_text=True))
    assert "•• ••• ••• 809" in page and JUERGEN_ID not in page
    assert "Freistellungsauftrag ändern" in page and "Freistellungsauftrag widerrufen" in page
    assert 'data-label="Stand">gilt</td>' in page


def test_the_form_is_prefilled_from_the_open_order(client, auth, data):
    sign_in(auth, JUERGEN)
    page = client.get(FORM_URL).get_data(as_text=True)
    assert 'value="1.000,00"' in page and f'value="{JUERGEN_ID}"' in page  # the typing form shows it in full
    assert f'<option selected value="{clock.today().year}">' in page
    assert 'id="partner-fields"' in page and "nur bei gemeinsamem Auftrag" in page  # without JavaScript always
    assert 'hx-trigger="change, load"' in page


def test_new_order_without_javascript(client, auth, data, app):
    tenant = sign_in(auth, JUERGEN)
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], amount="750"))
    assert response.status_code == 303 and response.headers["Location"] == URL
    page = text_of(main_of(client.get(URL).get_data(as_text=True)))
    assert "Ihr Freistellungsauftrag über 750,00 € gilt ab dem" in page
    assert "ersetzt am" in page and "750,00 € im Jahr" in page
    assert [o.amount for o in orders()] == [Decimal("1000.00"), Decimal("750.00")]
    assert deliver(app) >= 1


def test_new_joint_order_with_htmx(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    response = client.post(FORM_URL, headers=htmx(auth), data=form_data(
        auth, tenant["password"], kind=JOINT, amount="2000", partner_name="Erika Meier", partner_tax_id=OTHER_ID))
    assert response.status_code == 204 and response.headers["HX-Location"] == URL
    new = orders()[-1]
    assert new.joint and new.partner_name == "Erika Meier" and new.partner_tax_id == OTHER_ID
    page = main_of(client.get(URL).get_data(as_text=True))
    assert "gemeinsam mit Erika Meier" in page and "•• ••• ••• 719" in page and OTHER_ID not in page


def test_choosing_the_kind_with_htmx_shows_or_hides_the_partners_fields(client, auth, data):
    sign_in(auth, JUERGEN)
    client.get(FORM_URL)
    base = {"action": "choose", "amount": "12", "tax_id": "123", "partner_name": "Erika"}
    response = client.post(FORM_URL, headers=htmx(auth, "exemption-form"), data={**base, "kind": SINGLE})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<form id="exemption-form"')
    assert "<html" not in fragment and 'id="partner-fields"' not in fragment
    assert 'value="12"' in fragment and "field__error" not in fragment  # what was typed stays, no messages yet
    assert 'hx-trigger="change"' in fragment  # the fragment does not ask for itself again
    fragment = client.post(FORM_URL, headers=htmx(auth, "exemption-form"),
                           data={**base, "kind": JOINT}).get_data(as_text=True)
    assert 'id="partner-fields"' in fragment and 'value="Erika"' in fragment
    assert ExemptionOrder.select().count() == 1


def test_errors_stand_next_to_their_fields_and_nothing_is_saved(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(
        auth, tenant["password"], kind=JOINT, amount="2.000,01", valid_from=str(clock.today().year - 1),
        valid_until=str(clock.today().year - 2), tax_id="36574261890", partner_name="",
        partner_tax_id="36574261890", total_confirmed=None))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "höchstens 2.000,00 €" in field_error(page, "amount")
    assert "nicht für vergangene Jahre" in field_error(page, "valid_from")
    assert "Vergangenheit" in field_error(page, "valid_until") or "nicht enden" in field_error(page, "valid_until")
    assert "Prüfziffer" in field_error(page, "tax_id")
    assert "Prüfziffer" in field_error(page, "partner_tax_id")
    assert "Namen" in field_error(page, "partner_name")
    assert "bestätigen" in field_error(page, "total_confirmed")
    assert 'aria-invalid="true"' in page and "Bitte prüfen Sie Ihre Eingaben" in page
    assert 'value="2.000,01"' in page  # what was typed stays
    assert stored_counts() == before
    # the same with htmx: the form alone, 422
    response = client.post(FORM_URL, headers=htmx(auth), data=form_data(auth, tenant["password"], amount="abc"))
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "1.234,56" in field_error(fragment, "amount")
    assert 'hx-trigger="change"' in fragment  # not fitted again on load: that would replace the messages
    assert 'id="partner-fields"' not in fragment  # a single order with htmx: no partner fields
    assert stored_counts() == before


def test_joint_order_with_identical_ids_is_refused_on_the_page(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], kind=JOINT, amount="2000",
                                                    partner_name="Erika Meier", partner_tax_id="365 742 618 09"))
    assert response.status_code == 422
    assert "unterscheiden" in field_error(response.get_data(as_text=True), "partner_tax_id")
    assert stored_counts() == before


@pytest.mark.parametrize(("kind", "typed", "message"), [
    (SINGLE, "1.000,01", "höchstens 1.000,00 €"),
    (SINGLE, "1000,01", "höchstens 1.000,00 €"),
    (JOINT, "2.000,01", "höchstens 2.000,00 €"),
    (SINGLE, "0", "mehr als 0 €"),
    (SINGLE, "-5", "1.234,56"),  # no signs
    (SINGLE, "abc", "1.234,56"),
    (SINGLE, "1e3", "1.234,56"),
    (SINGLE, "800.50", "1.234,56"),  # a dot groups thousands in German
    (SINGLE, "800,001", "1.234,56"),
    (SINGLE, "NaN", "1.234,56"),
    (SINGLE, "9" * 30, "1.234,56"),
    (JOINT, "999.999.999.999.999", "höchstens 2.000,00 €"),
    (SINGLE, "", "Bitte geben Sie den Betrag in Euro an."),
])
def test_amounts_typed_into_the_form(client, auth, data, kind, typed, message):
    tenant = sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], kind=kind, amount=typed,
                                                    partner_name="Erika Meier", partner_tax_id=OTHER_ID))
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), "amount")
    assert message in error and error.count("Fehler") == 1  # one message, not the form's and the service's
    assert stored_counts() == before


@pytest.mark.parametrize(("kind", "typed", "stored"), [
    (SINGLE, "1.000", "1000.00"), (SINGLE, "1000,00 €", "1000.00"), (SINGLE, "999,5", "999.50"),
    (JOINT, "2.000,00", "2000.00"), (JOINT, " 1 500 ", "1500.00"),
])
def test_amounts_the_form_accepts(client, auth, data, kind, typed, stored):
    tenant = sign_in(auth, JUERGEN)
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], kind=kind, amount=typed,
                                                    partner_name="Erika Meier", partner_tax_id=OTHER_ID))
    assert response.status_code == 303
    assert orders()[-1].amount == Decimal(stored)


def test_wrong_password_is_said_next_to_the_field(client, auth, data):
    sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(auth, "kein richtiges Passwort"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "password") == "Fehler: Das Passwort ist nicht richtig."
    assert 'value="800"' in page
    assert stored_counts() == before
    response = client.post(FORM_URL, data=form_data(auth, ""))
    assert response.status_code == 422 and "Passwort ein" in field_error(response.get_data(as_text=True), "password")
    assert stored_counts() == before


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", "\" onmouseover=\"alert(1)", "Erika\x00Meier", "Erika\u202eMeier", "{{ 7*7 }}",
])
def test_hostile_input_is_refused_and_shown_harmlessly(client, auth, data, hostile):
    tenant = sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], kind=JOINT, amount=hostile,
                                                    tax_id=hostile, partner_name=hostile, partner_tax_id=OTHER_ID,
                                                    valid_from=hostile, valid_until=hostile))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "onmouseover=\"alert" not in page and ">49<" not in page
    for name in ("amount", "tax_id", "partner_name", "valid_from", "valid_until"):
        assert field_error(page, name), name
    assert stored_counts() == before


def test_huge_input_is_refused(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    before = stored_counts()
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], amount="9" * 10_000,
                                                    tax_id="1" * 10_000))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "amount")
    assert stored_counts() == before


def test_csrf_token_is_required(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    data_ = form_data(auth, tenant["password"])
    del data_["csrf_token"]
    response = client.post(FORM_URL, data=data_)
    assert response.status_code in (400, 422)
    assert ExemptionOrder.select().count() == 1


def test_revocation_pages(client, auth, data, app):
    tenant = sign_in(auth, JUERGEN)
    page = client.get(REVOKE_URL).get_data(as_text=True)
    assert f'value="{NOW}"' in page and f'value="{YEAR_END}"' in page
    before = stored_counts()
    response = client.post(REVOKE_URL, headers=htmx(auth), data={"csrf_token": auth.csrf_token(), "when": NOW,
                                                                 "password": "falsch"})
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="exemption-revocation">')
    assert "nicht richtig" in field_error(fragment, "password")
    assert stored_counts() == before
    response = client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": "<script>",
                                             "password": tenant["password"]})
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "when")
    response = client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": NOW,
                                             "password": tenant["password"]})
    assert response.status_code == 303 and response.headers["Location"] == URL
    page = text_of(main_of(client.get(URL).get_data(as_text=True)))
    assert "Ihr Widerruf ist eingegangen" in page and "liegt uns kein Freistellungsauftrag" in page
    assert "nicht wirksam geworden" not in page and "widerrufen am" in page
    assert "Freistellungsauftrag erteilen" in page and "Freistellungsauftrag widerrufen" not in page
    deliver(app)


def test_revocation_offers_only_next_year_once_interest_was_exempted(client, auth, data):
    tenant = sign_in(auth, JUERGEN)
    credit_interest(date(clock.today().year, 3, 31), "5.00")
    page = client.get(REVOKE_URL).get_data(as_text=True)
    assert f'value="{NOW}"' not in page and "bereits 5,00 €" in page
    response = client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": NOW,
                                             "password": tenant["password"]})
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "when")
    assert orders()[0].revoked_at is None


# --- the turn of the year, with the clock stopped ---


def test_a_form_opened_on_new_years_eve_and_sent_on_new_years_day(client, auth, data, monkeypatch):
    year = clock.today().year
    freeze(monkeypatch, datetime(year, 12, 31, 23, 58))
    tenant = sign_in(auth, JUERGEN)
    credit_interest(date(year, 12, 31), "50.00")  # this year's interest, exempted
    page = client.get(FORM_URL).get_data(as_text=True)
    assert f'<option selected value="{year}">01.01.{year}</option>' in page
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], amount="40", valid_from=str(year)))
    assert response.status_code == 422 and "bereits 50,00 €" in field_error(response.get_data(as_text=True),
                                                                             "amount")
    freeze(monkeypatch, datetime(year + 1, 1, 1, 0, 1))
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], amount="40", valid_from=str(year)))
    assert response.status_code == 422
    assert f"({german(year + 1)})" in field_error(response.get_data(as_text=True), "valid_from")
    assert ExemptionOrder.select().count() == 1
    # in the new year nothing is used yet: 40 € from 01.01. of the new year
    response = client.post(FORM_URL, data=form_data(auth, tenant["password"], amount="40", valid_from=str(year + 1)))
    assert response.status_code == 303
    old, new = orders()
    assert new.valid_from == date(year + 1, 1, 1) and old.valid_until == date(year, 12, 31)
    state = exemption_orders.status(juergen())
    assert state.current.id == new.id and state.used == 0


def german(year: int) -> str:
    return f"01.01.{year}"


def test_revocation_from_now_on_new_years_day_ends_the_order_with_the_old_year(client, auth, data, monkeypatch):
    year = clock.today().year
    freeze(monkeypatch, datetime(year + 1, 1, 1, 0, 5))
    tenant = sign_in(auth, JUERGEN)
    credit_interest(date(year, 12, 31), "50.00")  # last year's: no bound in the new year
    response = client.post(REVOKE_URL, data={"csrf_token": auth.csrf_token(), "when": NOW,
                                             "password": tenant["password"]})
    assert response.status_code == 303
    assert orders()[0].valid_until == date(year, 12, 31)
    assert exemption_orders.status(juergen()).current is None


def test_the_own_data_download_holds_the_orders_with_full_ids_and_the_revocation(app, data, demo_logins):
    from wir.services.account import data_export

    tenant = next(t for t in demo_logins["tenants"] if t["email"].startswith(JUERGEN))
    place(app, user_of(tenant), juergen(), tenant["password"], kind=JOINT, amount=Decimal("1200"),
          partner_name="Erika Meier", partner_tax_id=OTHER_ID)
    revoke(app, tenant, YEAR_END)
    with app.test_request_context():
        exported = data_export.collect(user_of(tenant))["freistellungsauftraege"]
    assert [o["steuer_id"] for o in exported] == [JUERGEN_ID, JUERGEN_ID]  # the person's own, in full
    assert exported[0]["ersetzt_am"] is not None and exported[1]["widerrufen_am"] is not None
    assert OTHER_ID not in str(exported)  # the partner's number is the partner's data


def test_the_page_needs_the_same_queries_for_a_long_history(client, auth, data, count_queries):
    sign_in(auth, JUERGEN)
    client.get(URL)
    with count_queries() as short:
        assert client.get(URL).status_code == 200
    now = clock.now()
    for year in range(2000, 2020):
        ExemptionOrder.create(person=juergen(), amount=Decimal("801.00"), valid_from=date(year, 1, 1),
                              valid_until=date(year, 12, 31), tax_id=JUERGEN_ID, created_at=now, superseded_at=now)
    with count_queries() as long:
        page = client.get(URL).get_data(as_text=True)
    assert page.count("801,00 €") == 20
    assert long.count == short.count
