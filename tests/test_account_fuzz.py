"""Hypothesis through the test client: the forms of issue 4 never answer with a server error and never
store what the rules refuse."""

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wir.models import BankAccount, Contract, PhoneNumber, User
from wir.services import scope
from wir.services.account import phones
from wir.services.contracts import bank_accounts

# One client and database for all examples of a test: what earlier examples stored stays, as in real use.
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text near the real thing finds more than random text alone.
phone_like = st.one_of(
    st.text(max_size=50),
    st.text(alphabet="0123456789+()/-. ", max_size=30),
    st.from_regex(r"\A(\+|00)?[1-9][0-9 ]{4,16}\Z", fullmatch=True),
)
iban_like = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"\A[A-Za-z]{2}[0-9]{2}[ 0-9A-Za-z]{8,34}\Z", fullmatch=True),
    st.sampled_from(["DE89 3704 0044 0532 0130 00", "de02120300000000202051", "CH93 0076 2011 6238 5295 7",
                     "BR1500000000000010932840814P2", "GB33BUKB20201555555555"]),
)
email_like = st.one_of(st.text(max_size=40), st.emails().map(str))


@pytest.fixture
def juergen(client, auth):
    return auth.login_as("juergen")


@FUZZ
@given(kind=st.one_of(st.sampled_from(sorted(phones.KINDS)), st.text(max_size=10)), number=phone_like,
       htmx=st.booleans(), edit=st.booleans())
def test_phone_form_never_fails(client, auth, data, juergen, kind, number, htmx, edit):
    user = User.get(User.email == juergen["email"])
    existing = scope.phones_of(user)
    url = f"/konto/telefon/{existing[0].id}/aendern" if edit and existing else "/konto/telefon/neu"
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(url, data={"csrf_token": auth.csrf_token(), "kind": kind, "number": number}, headers=headers)
    assert response.status_code in (200, 303, 422), response.status_code
    stored = list(PhoneNumber.select().where(PhoneNumber.user == user))
    assert len(stored) <= phones.MAX_PHONES
    for phone in stored:
        assert phone.kind in phones.KINDS
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone.number)) and phone.number.startswith("+")


@FUZZ
@given(holder=st.one_of(st.text(max_size=80), st.just("Jürgen Müller")), iban=iban_like, consent=st.booleans(),
       apply_to_all=st.booleans(), htmx=st.booleans())
def test_bank_form_never_fails(client, auth, data, juergen, holder, iban, consent, apply_to_all, htmx):
    contract = Contract.get(Contract.number == "MV-1001-0203")
    form = {"csrf_token": auth.csrf_token(), "holder": holder, "iban": iban, "password": juergen["password"]}
    if consent:
        form["consent"] = "y"
    if apply_to_all:
        form["apply_to_all"] = "y"
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(f"/vertraege/{contract.id}/bankverbindung", data=form, headers=headers)
    assert response.status_code in (204, 303, 422), response.status_code
    check = client.post(f"/vertraege/{contract.id}/bankverbindung/pruefen", data={"iban": iban, "holder": holder},
                        headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()})
    assert check.status_code == 200
    for account in BankAccount.select().where(BankAccount.status == "pending"):
        assert bank_accounts.check_iban(account.iban).iban == account.iban
        assert bank_accounts.check_holder(account.holder) == account.holder
        assert account.consent_at is not None


@FUZZ
@given(email=email_like, htmx=st.booleans())
def test_email_form_never_fails(client, auth, data, juergen, email, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post("/konto/email", data={"csrf_token": auth.csrf_token(), "email": email,
                                                 "password": juergen["password"]}, headers=headers)
    assert response.status_code in (204, 303, 422), response.status_code
    assert User.get_or_none(User.email == juergen["email"]) is not None  # unchanged until confirmed
