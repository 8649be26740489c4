"""Small helpers shared by the tests of Verträge and Kontaktdaten (issue 4)."""

from wir import mail


def tenant_index(auth, email_start: str) -> int:
    """The demo tenant whose e-mail starts so, by index for auth.login_tenant()."""
    return next(i for i, t in enumerate(auth.logins["tenants"]) if t["email"].startswith(email_start))


def login(auth, email_start: str) -> dict:
    return auth.login_tenant(tenant_index(auth, email_start))


def htmx(auth) -> dict:
    """What htmx sends: its header and the CSRF token from <body hx-headers>."""
    return {"HX-Request": "true", "X-CSRFToken": auth.csrf_token()}


def deliver(app) -> int:
    with app.app_context():
        return mail.deliver_pending()


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def main_of(page: str) -> str:
    """The <main> of a page, without the layout around it."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
