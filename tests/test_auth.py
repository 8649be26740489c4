"""Anmelden and Abmelden with the real flask-login session."""

import pytest

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."


def test_login_with_demo_tenant_reaches_startseite(client, auth):
    tenant = auth.login_tenant()
    page = client.get("/").get_data(as_text=True)
    assert "Startseite" in page and tenant["name"] in page


def test_email_is_case_insensitive(client, auth):
    tenant = auth.logins["tenants"][0]
    response = auth.login("  " + tenant["email"].upper() + " ", tenant["password"])
    assert response.status_code == 303


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("", "irgendwas-langes", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
        ("someone@example.org", "", "Bitte geben Sie Ihr Passwort ein."),
        ("nobody@example.org", "falsches-passwort-123", LOGIN_FAILED),
        ("<script>alert(1)</script>", "x" * 30, LOGIN_FAILED),
        ("a" * 300 + "@example.org", "x" * 30, "höchstens 254 Zeichen"),
        ("someone@example.org", "x" * 2000, "höchstens 1024 Zeichen"),
    ],
)
def test_bad_login_input_shows_message_next_to_field(client, auth, email, password, message):
    response = auth.login(email, password)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'class="field__error"' in body
    assert "<script>alert(1)</script>" not in body


def test_wrong_password_gives_same_message_as_unknown_account(client, auth):
    tenant = auth.logins["tenants"][0]
    wrong = auth.login(tenant["email"], "not-the-password-at-all").get_data(as_text=True)
    unknown = auth.login("unknown-person@example.org", "not-the-password-at-all").get_data(as_text=True)
    assert LOGIN_FAILED in wrong and LOGIN_FAILED in unknown
    assert wrong.replace(tenant["email"], "X") == unknown.replace("unknown-person@example.org", "X")


def test_login_without_csrf_token_is_refused_in_german(client, auth):
    tenant = auth.logins["tenants"][0]
    response = client.post("/anmelden", data={"email": tenant["email"], "password": tenant["password"]})
    assert response.status_code == 400
    assert "Sitzung abgelaufen" in response.get_data(as_text=True)


def test_htmx_login_error_returns_only_the_form(client, auth):
    auth.csrf_token()
    response = client.post(
        "/anmelden",
        data={"email": "x@example.org", "password": "wrong-password-1", "csrf_token": auth.csrf_token()},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith("{") is False and "<html" not in body
    assert 'id="login-form"' in body and LOGIN_FAILED in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_login_success_uses_hx_location(client, auth):
    tenant = auth.logins["tenants"][0]
    client.get("/anmelden")
    response = client.post(
        "/anmelden",
        data={"email": tenant["email"], "password": tenant["password"], "csrf_token": auth.csrf_token()},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    assert response.headers["HX-Location"] == "/"


def test_logout_needs_post(client, auth):
    auth.login_tenant()
    assert client.get("/abmelden").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_ends_session_and_replayed_cookie_fails(client, auth, app):
    auth.login_tenant()
    stolen = client.get_cookie("wir_session").value
    response = auth.logout()
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("wir_session", stolen)
    assert replay.get("/").status_code == 302


def test_login_starts_a_new_session(client, auth):
    client.get("/anmelden")
    before = client.get_cookie("wir_session").value
    auth.login_tenant()
    after = client.get_cookie("wir_session").value
    assert before != after


def test_login_is_rate_limited_per_address(client, auth):
    statuses = [auth.login("nobody@example.org", f"wrong-password-{i}").status_code for i in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
