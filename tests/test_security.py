"""Headers, cookies, error pages and the health check (DESIGN.md §6)."""

import pytest


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


def test_hsts_only_behind_tls(client):
    assert "Strict-Transport-Security" not in client.get("/anmelden").headers
    secure = client.get("/anmelden", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(client):
    cookie = client.get("/anmelden").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_personal_pages_are_not_cached(client, auth):
    auth.login_tenant()
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


def test_too_large_request_gives_413_page(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/anmelden", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "Datei zu groß" in response.get_data(as_text=True)


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
