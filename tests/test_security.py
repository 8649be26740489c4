"""Headers, cookies, error pages, proxies, request sizes and the health check (DESIGN.md §6)."""

import io

import pytest
from flask import request

from wir.models import AuditLog, Document, Person, User
from wir.security import accepts_uploads


def test_security_headers_on_every_response(client):
    for url in ("/anmelden", "/nicht-vorhanden", "/healthz"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                          "frame-ancestors 'none'"):
            assert directive in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
def test_hsts_on_every_response_outside_development(app, client, base_url):
    # behind the TLS proxy the app may see plain http: the header must not depend on the scheme
    for url in ("/anmelden", "/gibt-es-nicht", "/healthz"):
        hsts = client.get(url, base_url=base_url).headers["Strict-Transport-Security"]
        assert hsts == "max-age=31536000; includeSubDomains"
    app.config["DEVELOPMENT"] = True  # local http: a browser must not be bound to https for localhost
    assert "Strict-Transport-Security" not in client.get("/anmelden", base_url=base_url).headers


# --- behind a proxy (WIR_PROXY_HOPS) -----------------------------------------------------------

CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.23"


def _register_probe(app):
    @app.route("/proxy-probe")
    def proxy_probe():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}


@pytest.fixture
def behind_proxy(monkeypatch, request):
    """The app as configured for one TLS proxy: WIR_PROXY_HOPS=1 in the environment."""
    monkeypatch.setenv("WIR_PROXY_HOPS", "1")
    app = request.getfixturevalue("app")
    assert app.config["PROXY_HOPS"] == 1
    return app


def test_without_proxy_hops_forwarding_headers_are_ignored(app, client):
    _register_probe(app)
    seen = client.get("/proxy-probe", headers={"X-Forwarded-For": CLIENT_A, "X-Forwarded-Proto": "https",
                                               "X-Forwarded-Host": "portal.example.org"}).get_json()
    assert seen == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_with_proxy_hops_the_client_address_scheme_and_host_come_from_the_proxy(behind_proxy, client):
    _register_probe(behind_proxy)
    seen = client.get("/proxy-probe", headers={"X-Forwarded-For": f"10.9.9.9, {CLIENT_A}",
                                               "X-Forwarded-Proto": "https",
                                               "X-Forwarded-Host": "portal.example.org"}).get_json()
    # only the last entry was written by the trusted proxy; the first is whatever the client claimed
    assert seen == {"addr": CLIENT_A, "scheme": "https", "host": "portal.example.org"}


def _failed_logins(client, auth, forwarded_for, count):
    return [
        client.post("/anmelden", headers={"X-Forwarded-For": forwarded_for}, data={
            "email": f"niemand{i}@example.org", "password": "falsches-Passwort-123", "csrf_token": auth.csrf_token()
        }).status_code
        for i in range(count)
    ]


@pytest.mark.parametrize("hops", [0, 1])
def test_sign_in_rate_limit_counts_per_forwarded_client_only_with_proxy_hops(monkeypatch, request, hops):
    monkeypatch.setenv("WIR_PROXY_HOPS", str(hops))
    app, client, auth = (request.getfixturevalue(name) for name in ("app", "client", "auth"))
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    assert 429 not in _failed_logins(client, auth, CLIENT_A, 3)
    assert _failed_logins(client, auth, CLIENT_A, 1) == [429]
    # another user behind the same proxy: own bucket only when the proxy is trusted
    assert (_failed_logins(client, auth, CLIENT_B, 1) == [429]) == (hops == 0)


@pytest.mark.parametrize("hops, recorded", [(0, "127.0.0.1"), (1, CLIENT_A)])
def test_audit_trail_records_the_forwarded_client_only_with_proxy_hops(monkeypatch, request, hops, recorded):
    monkeypatch.setenv("WIR_PROXY_HOPS", str(hops))
    client, auth = request.getfixturevalue("client"), request.getfixturevalue("auth")
    auth.login_as("gisela")
    response = client.post("/konto/telefon/neu", headers={"X-Forwarded-For": CLIENT_A},
                           data={"csrf_token": auth.csrf_token(), "kind": "home", "number": "0341 41519-0"})
    assert response.status_code == 303
    entry = AuditLog.select().where(AuditLog.action == "phone.added").order_by(AuditLog.id.desc()).get()
    assert entry.ip == recorded


def test_session_cookie_flags(client):
    cookie = client.get("/anmelden").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_signed_with_a_retired_key_holds_only_while_the_key_is_a_fallback(app, client, auth):
    """The session's serializer is made once per key (issue 14); a new key still takes effect at once."""
    auth.login_as()
    assert client.get("/").status_code == 200
    old_key = app.secret_key
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.secret_key = "a new key"
    assert client.get("/").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/").headers["Location"].startswith("/anmelden")


def test_static_files_for_a_signed_in_user_stay_cacheable_without_a_query(client, auth, count_queries):
    auth.login_as()
    with count_queries() as queries:
        response = client.get("/static/css/wir.css")
    assert response.status_code == 200 and queries.count == 0
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_personal_pages_are_not_cached(client, auth):
    auth.login_as()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_htmx_is_served_locally_and_configured_without_eval(client):
    page = client.get("/anmelden").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in page
    assert "<script>" not in page
    assert '"allowEval": false' in page and '"selfRequestsOnly": true' in page
    assert "hx-headers='{\"X-CSRFToken\": \"" in page
    script = client.get("/static/vendor/htmx/htmx.min.js")
    assert script.status_code == 200 and b'version:"2.' in script.data


@pytest.mark.parametrize(
    "url, status, title",
    [("/gibt-es-nicht", 404, "Seite nicht gefunden"), ("/abmelden", 405, "Aktion nicht möglich")],
)
def test_error_pages_are_german_and_in_layout(client, url, status, title):
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert title in body and "Impressum" in body and "Traceback" not in body


# --- request size: large bodies only for files, signed in -----------------------------------------

TWO_MB = b"x" * (2 * 1024 * 1024)


def _register_upload_view(app):
    @app.route("/upload-probe", methods=["POST"])
    @accepts_uploads
    def upload_probe():
        return str(len(request.files["file"].read()))


def test_anonymous_form_with_2_mb_gets_413_page_before_the_body_is_read(client):
    response = client.post("/anmelden", data={"email": "x", "password": TWO_MB.decode()})
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Datei zu groß" in body and "Impressum" in body and "Traceback" not in body


def test_signed_in_user_may_send_2_mb_only_to_a_view_that_takes_files(app, client, auth):
    _register_upload_view(app)
    auth.login_as()
    upload = client.post("/upload-probe", data={"csrf_token": auth.csrf_token(), "file": (io.BytesIO(TWO_MB), "a.jpg")})
    assert upload.status_code == 200 and upload.get_data(as_text=True) == str(len(TWO_MB))
    other = client.post("/konto/telefon/neu", data={"csrf_token": auth.csrf_token(), "kind": "home",
                                                    "number": TWO_MB.decode()})
    assert other.status_code == 413


def test_anonymous_upload_to_a_view_that_takes_files_gets_413(app, client, auth):
    _register_upload_view(app)
    response = client.post("/upload-probe", data={"csrf_token": auth.csrf_token(),
                                                  "file": (io.BytesIO(TWO_MB), "a.jpg")})
    assert response.status_code == 413


def test_upload_limit_holds_for_views_that_take_files(app, client, auth):
    _register_upload_view(app)
    app.config["UPLOAD_MAX_CONTENT_LENGTH"] = 1024 * 1024
    auth.login_as()
    response = client.post("/upload-probe", data={"csrf_token": auth.csrf_token(),
                                                  "file": (io.BytesIO(TWO_MB), "a.jpg")})
    assert response.status_code == 413


# --- downloads ---------------------------------------------------------------------------------


def test_every_file_is_in_a_sandbox_and_only_the_cooperatives_pdf_opens_inline(client, auth):
    tenant = auth.login_as("juergen")
    document = Document.select().join(Person).join(User).where(User.email == tenant["email"]).first()
    files = {
        "inline": client.get(f"/dokumente/{document.number}/pdf"),
        "attachment": client.get(f"/dokumente/{document.number}/pdf?herunterladen=1"),
        "data export": client.post("/konto/meine-daten", data={"csrf_token": auth.csrf_token(),
                                                              "password": tenant["password"]}),
    }
    for what, response in files.items():
        assert response.status_code == 200
        expected = "inline;" if what == "inline" else "attachment;"
        assert response.headers["Content-Disposition"].startswith(expected), what
        assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unexpected_error_gives_500_page_without_trace(app):
    @app.route("/kaputt")
    def broken():
        raise RuntimeError("secret internal detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/kaputt")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in body
    assert "secret internal detail" not in body and "Traceback" not in body


def test_healthz_reports_database_state(client, monkeypatch):
    assert client.get("/healthz").status_code == 200
    from wir.db import database

    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(database.obj, "execute_sql", fail)
    response = client.get("/healthz")
    assert response.status_code == 503


def test_manifest_makes_portal_installable(client):
    import io

    from PIL import Image

    manifest = client.get("/manifest.webmanifest")
    assert manifest.content_type == "application/manifest+json"
    data = manifest.get_json()
    assert data["display"] == "standalone" and data["lang"] == "de" and data["start_url"] == "/"
    sizes = set()
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.content_type == "image/png"
        width, height = Image.open(io.BytesIO(response.data)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes
    assert client.get("/icons/icon-100.png").status_code == 404
