"""Deny by default: only an explicit list of routes is reachable without login; the internal area (/intern/)
does not exist for anonymous users and tenants (404)."""

import pytest

PUBLIC_ENDPOINTS = {
    "static",
    "vendor.static",
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "registration.register",
    "registration.check_password",
    "registration.mail_sent",
    "registration.confirm",
    "registration.confirm_code",
    "registration.request_number",
    "registration.number_requested",
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
    url = rule.rule
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__.lower().replace("converter", "")
        value = EXAMPLE_VALUES.get(converter, "1")
        url = url.replace(f"<{argument}>", value)
        for prefix in ("int", "string", "path", "float"):
            url = url.replace(f"<{prefix}:{argument}>", value)
    return url


def _is_internal(rule) -> bool:
    return rule.rule.startswith("/intern/")


def _protected_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC_ENDPOINTS and not _is_internal(rule):
            yield rule


def open_every_method(client, auth, rules):
    """Each rule with each of its methods, a valid CSRF token sent along (so the access guard answers, not the
    CSRF check), as plain request and as htmx fragment request; yields (rule, method, response)."""
    token = auth.csrf_token()
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for extra in ({}, {"HX-Request": "true"}):
                response = client.open(_example_url(rule), method=method, data={"csrf_token": token},
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


@pytest.mark.parametrize("who", ["anonymous", "tenant"])
def test_every_internal_route_is_not_found_for_anonymous_users_and_tenants(app, client, auth, who):
    """Not Anmelden, not 403: the internal area cannot be discovered (pages and htmx fragments alike)."""
    if who == "tenant":
        auth.login_as()
    internal = [rule for rule in app.url_map.iter_rules() if _is_internal(rule)]
    assert len(internal) >= 3
    for rule, method, response in open_every_method(client, auth, internal):
        assert response.status_code == 404, (who, rule, method, response.status_code)
        assert "Location" not in response.headers and "HX-Redirect" not in response.headers


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
