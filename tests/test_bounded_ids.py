"""Integers in an address never answer 500: every route with an integer argument, found by walking app.url_map,
and every integer query parameter the views read, sent numbers no row can have (above the 32-bit ids of
PostgreSQL, above the 64-bit integers SQLite binds, zero, negative), as the user the route is for, with each
method, as page and as htmx request. An id no row can have is not found (404), like any other unknown id; a query
parameter out of range counts as any other invalid value. A route with a URL argument this file has no example
for fails here, so a new route cannot go unchecked."""

import re

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from tests.helpers import AuthActions
from tests.test_access import is_erp_api
from tests.test_staff_access import ARGUMENTS as STAFF_EXAMPLES
from wir.converters import MAX_ID
from wir.models import Person, Ticket
from wir.services.documents import applications, certificates

HUGE = "99999999999999999999"  # beyond 64 bits: SQLite cannot bind it (OverflowError)
OUT_OF_RANGE = [HUGE, str(MAX_ID + 1), str(MAX_ID), "0", "-1"]

JUERGEN, JUERGENS_SPARBUCH = "juergen", "5104711-01"  # a tenant with a savings account (tests/test_savings.py)


def _juergens_ticket() -> str:
    juergen = Person.get(Person.number == "104711")
    return Ticket.select().where(Ticket.person == juergen).order_by(Ticket.id).first().number


# an example for each non-integer URL argument of a tenant's route with an integer argument
TENANT_EXAMPLES = {
    ("tickets.attachment", "number"): _juergens_ticket,
    ("savings.statement", "number"): lambda: JUERGENS_SPARBUCH,
    ("documents.request_certificate", "slug"): lambda: sorted(certificates.CERTIFICATES)[0],
    ("documents.application", "slug"): lambda: sorted(applications.KINDS)[0],
    ("consumption.pdf", "month"): lambda: "2026-10",
}


def _integer_arguments(rule) -> list[str]:
    return [name for name in rule.arguments if isinstance(rule._converters[name], IntegerConverter)]


def _is_internal(rule) -> bool:
    return rule.rule.startswith("/intern/")


def _url(rule, value: str, internal: bool) -> str:
    """The rule's path with ``value`` in each integer argument and an example in every other one."""
    url = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, IntegerConverter):
            example = value
        elif isinstance(converter, AnyConverter):
            example = sorted(converter.items)[0]
        elif internal:
            assert name in STAFF_EXAMPLES, f"{rule.endpoint}: add an example for {name!r}"
            example = str(STAFF_EXAMPLES[name]("lipsia"))
        else:
            assert (rule.endpoint, name) in TENANT_EXAMPLES, f"{rule.endpoint}: add an example for {name!r}"
            example = TENANT_EXAMPLES[rule.endpoint, name]()
        url = re.sub(rf"<(?:[^<>:]+:)?{name}>", example, url)
    return url


def _sign_in(app, logins, who) -> tuple:
    client = app.test_client()
    auth = AuthActions(client, logins)
    if who == "tenant":
        auth.login_as(JUERGEN)
        client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})  # the first-login review
    elif who == "staff":
        auth.login_staff(0)
    else:
        auth.login_with_code(logins["admin"])
    return client, auth


def _open(client, auth, url: str, methods):
    """``url`` with each method, plain and as htmx request, with a valid CSRF token; yields (method, response)."""
    token = auth.csrf_token()
    for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
        for extra in ({}, {"HX-Request": "true"}):
            yield method, client.open(url, method=method, data={"csrf_token": token},
                                      headers={"X-CSRFToken": token, **extra})


@pytest.mark.parametrize("who", ["tenant", "staff", "admin"])
def test_every_integer_route_argument_out_of_range_is_not_found(app, data, demo_logins, who):
    client, auth = _sign_in(app, demo_logins, who)
    internal = who != "tenant"
    rules = [rule for rule in app.url_map.iter_rules() if _integer_arguments(rule) and _is_internal(rule) == internal
             and not is_erp_api(rule)]
    assert len(rules) >= 10
    answers = [(url, method, response.status_code) for rule in rules for value in OUT_OF_RANGE
               for url in [_url(rule, value, internal)] for method, response in _open(client, auth, url, rule.methods)]
    assert len(answers) >= 10 * len(OUT_OF_RANGE) * 2
    found = [answer for answer in answers if answer[2] != 404]
    assert not found, found


# --- query parameters ---

SINCE = "seit=2000-01-01T00:00:00"  # a poll that finds changes, so it reads the rest of its address

# every integer the views read from a query (grep request.args, type=int and int( in wir/blueprints; the page
# numbers and the keyset positions of wir/pagination.py) and from the forms that carry ids, by who sends it
PARAMETERS = {
    "tenant": [
        ("GET", "/dokumente/", "vertrag"), ("GET", "/dokumente/", "jahr"), ("GET", "/dokumente/", "seite"),
        ("GET", "/meldungen", "seite"), ("GET", f"/meldungen/status?{SINCE}", "ids"),
        *[("GET", f"/sparen/{JUERGENS_SPARBUCH}/umsaetze", name) for name in ("jahr", "nach", "vor")],
    ],
    "staff": [
        *[("GET", "/intern/meldungen", name) for name in ("seite", "art", "kategorie", "zugewiesen", "wartet")],
        *[("GET", f"/intern/meldungen/aenderungen?{SINCE}", name) for name in ("seite", "art", "kategorie", "wartet")],
        ("GET", "/intern/meldungen/neu?suche=a", "person"), ("GET", "/intern/meldungen/neu?suche=a", "seite"),
        ("GET", "/intern/dokumente/neu", "person"), ("GET", "/intern/personen", "seite"),
        ("GET", "/intern/dokumente", "seite"), ("GET", "/intern/neuigkeiten", "seite"),
        ("GET", "/intern/bankverbindungen", "seite"), ("GET", "/intern/registrierungsbriefe", "seite"),
        ("POST", "/intern/registrierungsbriefe", "person"), ("POST", "/intern/registrierungsbriefe", "anfrage"),
        ("GET", "{letter_request}?suche=a", "seite"), ("POST", "{letter_request}", "person"),
        ("GET", "{document_batch}", "seite"),
    ],
    "admin": [
        ("GET", "/intern/import", "seite"), ("GET", "/intern/protokoll", "nach"), ("GET", "/intern/protokoll", "vor"),
        ("GET", "/intern/protokoll.csv", "nach"),
    ],
}
POSITIONS = {"nach", "vor"}  # a date or time and an id: "2026-05-04_1234"


def _values(name: str) -> tuple[list[str], list[str]]:
    """The values to send: those beyond any id (answered like "abc"), and the edges that are numbers."""
    if name in POSITIONS:
        beyond = [f"2026-01-01_{HUGE}", f"2026-01-01T00:00:00_{MAX_ID + 1}", f"2026-01-01_{-MAX_ID - 1}"]
        edges = [f"{day}_{number}" for day in ("0001-01-01", "9999-12-31", "0001-01-01T00:00:00",
                                               "9999-12-31T23:59:59.999999") for number in (MAX_ID, 0, -1)]
        return beyond, edges
    if name == "ids":
        return [f"1,{HUGE}", f"{MAX_ID + 1}", f"{-MAX_ID - 1}"], [f"{MAX_ID}", "0,-1"]
    return [HUGE, str(MAX_ID + 1), str(-MAX_ID - 1)], [str(MAX_ID), "0", "-1"]


def _placeholders() -> dict:
    """The pages of objects that only exist in a test's database."""
    return {"letter_request": f"/intern/registrierungsbriefe/anfrage/{STAFF_EXAMPLES['number_request_id']('lipsia')}",
            "document_batch": f"/intern/dokumente/stapel/{STAFF_EXAMPLES['batch_key']('lipsia')}"}


def _send(client, auth, method: str, url: str, name: str, value: str, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        path, _, query = url.partition("?")
        return client.get(path, query_string={**dict(pair.split("=", 1) for pair in query.split("&") if pair),
                                              name: value}, headers=headers)
    return client.post(url, data={"csrf_token": auth.csrf_token(), name: value}, headers=headers)


@pytest.mark.parametrize("who", ["tenant", "staff", "admin"])
def test_every_integer_query_parameter_out_of_range_counts_as_invalid(app, data, demo_logins, who):
    """A number beyond any id is answered as "abc" is (the page's own handling of a bad value); no value, in range
    or not, answers 500."""
    client, auth = _sign_in(app, demo_logins, who)
    places = _placeholders()
    found = []
    for method, url, name in PARAMETERS[who]:
        url = url.format(**places)
        for htmx in (False, True):
            invalid = _send(client, auth, method, url, name, "abc", htmx).status_code
            assert invalid < 500, (method, url, name)
            beyond, edges = _values(name)
            found += [(method, url, name, value, status) for value in beyond
                      for status in [_send(client, auth, method, url, name, value, htmx).status_code]
                      if status != invalid]
            found += [(method, url, name, value, status) for value in edges
                      for status in [_send(client, auth, method, url, name, value, htmx).status_code] if status >= 500]
    assert not found, found
