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
from tests.test_staff_access import ARGUMENTS as STAFF_EXAMPLES
from wir import clock
from wir.converters import MAX_ID
from wir.models import Person, Ticket
from wir.services import applications, certificates

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
    rules = [rule for rule in app.url_map.iter_rules() if _integer_arguments(rule) and _is_internal(rule) == internal]
    assert len(rules) >= 10
    answers = [(url, method, response.status_code) for rule in rules for value in OUT_OF_RANGE
               for url in [_url(rule, value, internal)] for method, response in _open(client, auth, url, rule.methods)]
    assert len(answers) >= 10 * len(OUT_OF_RANGE) * 2
    found = [answer for answer in answers if answer[2] != 404]
    assert not found, found
