"""Deny by default: only an explicit list of routes is reachable without login; the internal area (/intern/)
does not exist for anyone but staff (404, like a made-up path)."""

import time

import pytest
from itsdangerous import TimestampSigner
from werkzeug.routing import AnyConverter

from wir import clock

PUBLIC_ENDPOINTS = {
    "static",
    "vendor.static",
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.set_up",
    "registration.register",
    "registration.check_password",
    "registration.mail_sent",
    "registration.confirm",
    "registration.confirm_code",
    "registration.request_number",
    "registration.number_requested",
    # an invitation to act for someone, opened before the invited person has an account (tests/test_representation.py)
    "representation.accept",
    "pages.terms",
    # development only; 404 otherwise (tests/test_mail.py)
    "devmail.index",
    "devmail.show",
    "devmail.raw",
    "pages.imprint",
    "pages.privacy",
    "pages.accessibility",
    "pages.manifest",
    "pages.icon",
    "pages.healthz",
}

EXAMPLE_VALUES = {"int": "192", "default": "x", "string": "x", "path": "css/wir.css"}


def _example_url(rule):
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument]
        if isinstance(converter, AnyConverter):
            values[argument] = sorted(converter.items)[0]
        else:
            values[argument] = EXAMPLE_VALUES.get(converter.__class__.__name__.lower().replace("converter", ""), "1")
    return rule.build(values, append_unknown=False)[1]


def _is_internal(rule) -> bool:
    return rule.rule.startswith("/intern/")


def is_erp_api(rule) -> bool:
    """The ERP connector's API takes a bearer token, never a session: 401 for everybody else (tests/test_erp_api.py)."""
    return rule.rule.startswith("/erp/")


def _protected_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC_ENDPOINTS and not _is_internal(rule) and not is_erp_api(rule):
            yield rule


def open_every_method(client, auth, rules, url_of=_example_url):
    """Each rule (at ``url_of(rule)``) with each of its methods, a valid CSRF token sent along (so the access guard
    answers, not the CSRF check), as plain request and as htmx fragment request; yields (rule, method, response)."""
    token = auth.csrf_token()
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for extra in ({}, {"HX-Request": "true"}):
                response = client.open(url_of(rule), method=method, data={"csrf_token": token},
                                       headers={"X-CSRFToken": token, **extra})
                yield rule, method, response


def test_every_non_public_route_sends_anonymous_users_to_login(app, client, auth):
    checked = 0
    for rule, method, response in open_every_method(client, auth, _protected_rules(app)):
        if response.headers.get("HX-Redirect"):
            assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/anmelden?next=")
        else:
            assert response.status_code == 302, (rule, method, response.status_code)
            assert response.headers["Location"].startswith("/anmelden?next="), (rule, method)
        checked += 1
    assert checked >= 20


# the internal area answers these like any other path (a made-up one), whatever the rule allows
EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
MADE_UP = "/intern/gibt-es-nicht"


def _internal_urls(app) -> list[str]:
    urls = [_example_url(rule) for rule in app.url_map.iter_rules() if _is_internal(rule)]
    assert len(urls) >= 3
    # the router would redirect these to /intern/ and /intern/meldungen (a missing and a repeated slash)
    return [*urls, "/intern", "//intern", "/intern//meldungen"]


def answers_every_way(client, url, token):
    """The url asked with every method, without and with the CSRF token, plain and as htmx fragment request;
    yields (how it was asked, what a client can tell of the answer: status, headers, body)."""
    for method in EVERY_METHOD:
        for sent in ({}, {"data": {"csrf_token": token}, "headers": {"X-CSRFToken": token}}):
            for extra in ({}, {"HX-Request": "true"}):
                # the path as sent (the test client would read //intern as a host name)
                response = client.open("/", method=method, data=sent.get("data"), environ_overrides={"PATH_INFO": url},
                                       headers={**sent.get("headers", {}), **extra})
                # the page's Angemeldet-bleiben form comes back to the page's own path (and its length with it)
                own_path = f'name="next" value="{response.request.path}"'.encode()
                body = response.get_data().replace(own_path, b'name="next"')
                headers = sorted(item for item in response.headers.items() if item[0] != "Content-Length")
                yield (method, bool(sent), bool(extra)), (response.status_code, headers, body)


@pytest.mark.parametrize("who", ["anonymous", "tenant", "password only"])
def test_the_internal_area_cannot_be_told_from_a_made_up_path(app, client, auth, monkeypatch, who):
    """Not Anmelden, not 403, no 405 for a wrong method, no 400 for a missing token: for anyone but staff past
    the second step, every /intern/ URL answers exactly like one that does not exist (pages and fragments)."""
    # the time stands still: the session's activity stamp stays (no answer renews the cookie and others not),
    # and the CSRF token and cookie are signed in the same second
    moment, second = clock.now(), int(time.time())
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: second)
    if who == "tenant":
        auth.login_as()
    elif who == "password only":  # staff before the second step: sent on to it, wherever they go
        staff = auth.logins["staff"][0]
        auth.login(staff["email"], staff["password"])
    token = auth.csrf_token()
    client.get(MADE_UP)  # the first answer after signing in or reading the token sets the session's cookie
    made_up = dict(answers_every_way(client, MADE_UP, token))
    for (method, with_token, htmx), (status, headers, _body) in made_up.items():
        if who == "password only":
            assert dict(headers).get("HX-Redirect" if htmx else "Location") == "/zwei-faktor", method
        else:
            assert status == 404, (who, method, with_token, htmx, status)
    for url in _internal_urls(app):
        for how, answer in answers_every_way(client, url, token):
            assert answer == made_up[how], (who, url, how, answer[:2], made_up[how][:2])


def test_staff_are_told_a_wrong_method_and_a_missing_token(client, auth):
    auth.login_staff()
    response = client.delete("/intern/meldungen")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    response = client.post("/intern/meldungen/neu")
    assert response.status_code == 400 and "Sitzung abgelaufen" in response.get_data(as_text=True)
    assert client.get("/intern").headers["Location"].endswith("/intern/")
    assert client.post(MADE_UP).status_code == 404


def test_public_list_names_only_existing_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert PUBLIC_ENDPOINTS <= endpoints


@pytest.mark.parametrize("url", ["/impressum", "/datenschutz", "/barrierefreiheit", "/anmelden", "/healthz"])
def test_public_pages_answer_without_login(client, url):
    assert client.get(url).status_code == 200


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/meldungen", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/anmelden?next=/meldungen"


def test_next_parameter_leads_back_after_login(client, auth):
    tenant = auth.logins["tenants"][0]
    response = auth.login(tenant["email"], tenant["password"], next_url="/vertraege/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/vertraege/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "vertraege"]
)
def test_open_redirect_is_refused(client, auth, target):
    tenant = auth.logins["tenants"][0]
    response = auth.login(tenant["email"], tenant["password"], next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("url", ["/", "/dokumente/", "/vertraege/", "/kontakt", "/meldungen", "/konto/anschrift"])
def test_staff_is_kept_out_of_tenant_pages(client, auth, url):
    auth.login_staff()
    response = client.get(url)
    if url == "/":
        assert response.status_code == 302 and response.headers["Location"] == "/intern/"
    else:
        assert response.status_code == 403


def test_staff_area_shows_only_own_cooperative(client, auth):
    staff = auth.login_staff()
    page = client.get("/intern/").get_data(as_text=True)
    assert staff["cooperative"] in page
    others = {s["cooperative"] for s in auth.logins["staff"]} - {staff["cooperative"]}
    assert others and not any(other in page for other in others)
