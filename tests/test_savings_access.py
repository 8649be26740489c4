"""Sparen's authorization matrix: every /sparen/ route, found by walking app.url_map, each method, as page and as htmx
fragment, for anonymous users, users of a cooperative without savings, a saver opening another saver's account and
the owner. A route with a URL argument this file has no example for fails here, so a new route cannot go unchecked.

The Freistellungsauftrag pages have no object in their URL: they always show the user's own saver (tests in
tests/test_exemption_orders.py)."""

import pytest

from tests.test_access import open_every_method
from wir import clock

# demo tenants by the start of their e-mail (see tests/test_savings.py)
JUERGEN, GISELA, LUKASZ, SUEKRUE, DIETER = "juergen", "gisela", "lukasz", "s.yilmaz", "dieter"
JUERGENS_SPARBUCH, GISELAS_FESTZINS = "5104711-01", "5100385-01"


def _rules(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/sparen/")]
    assert len(rules) >= 10
    return rules


def _url(rule, number: str) -> str:
    """The rule with an example for each argument: the account ``number`` and last year (it has bookings)."""
    values = {"number": number, "year": clock.today().year - 1}
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{rule.endpoint}: add an example for {unknown} to tests/test_savings_access.py"
    return rule.build({name: values[name] for name in rule.arguments})[1]


def _sign_in(client, auth, who):
    """Sign in and confirm the contact data of a first login, so the pages answer themselves."""
    auth.login_as(who)
    client.post("/konto/kontaktdaten-pruefen", data={"csrf_token": auth.csrf_token()})


def _opened(client, auth, app, number, with_argument_only=False):
    rules = [rule for rule in _rules(app) if rule.arguments or not with_argument_only]
    return list(open_every_method(client, auth, rules, url_of=lambda rule: _url(rule, number)))


def test_anonymous_users_are_sent_to_login(app, client, auth):
    for rule, method, response in _opened(client, auth, app, JUERGENS_SPARBUCH):
        if response.headers.get("HX-Redirect"):
            assert response.status_code == 401, (rule, method)
            assert response.headers["HX-Redirect"].startswith("/anmelden?next="), (rule, method)
        else:
            assert response.status_code == 302, (rule, method, response.status_code)
            assert response.headers["Location"].startswith("/anmelden?next="), (rule, method)


@pytest.mark.parametrize("who", [SUEKRUE, DIETER])
def test_users_of_a_cooperative_without_savings_get_404_everywhere(app, client, auth, who):
    _sign_in(client, auth, who)
    for rule, method, response in _opened(client, auth, app, JUERGENS_SPARBUCH):
        assert response.status_code == 404, (who, rule, method, response.status_code)


@pytest.mark.parametrize("who", [GISELA, LUKASZ])
def test_another_savers_accounts_are_not_found(app, client, auth, who):
    """Gisela saves herself, Łukasz is a Lipsia member without accounts: Jürgen's account, its Umsätze, CSV,
    Kontoauszüge and Kündigung are 404 for both, as a number that does not exist is."""
    _sign_in(client, auth, who)
    for number in (JUERGENS_SPARBUCH, "5199999-99"):
        opened = _opened(client, auth, app, number, with_argument_only=True)
        assert len(opened) >= 10
        for rule, method, response in opened:
            assert response.status_code == 404, (who, rule, method, response.status_code)


def test_the_owner_opens_every_page(app, client, auth):
    """The counterpart: the same URLs with the saver's own account answer (so the 404s above are about access)."""
    _sign_in(client, auth, GISELA)
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        response = client.get(_url(rule, GISELAS_FESTZINS))
        assert response.status_code == 200, (rule, response.status_code)
