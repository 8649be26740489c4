"""Helpers shared by the tests: signing in (the ``auth`` fixture's class), demo tenants, htmx headers, texts.

Demo tenants are picked by the start of their e-mail address ("juergen", "gisela", "lukasz", "s.yilmaz",
"dieter"); the empty start picks the first one.
"""

import io
import threading

import pyotp
from itsdangerous import URLSafeTimedSerializer
from pypdf import PdfReader

from wir import clock, db, mail
from wir.services.account.second_factor import STEP_SECONDS


def demo_tenant(logins: dict, email_start: str = "") -> dict:
    """The demo tenant whose e-mail starts so: its e-mail, password, name and cooperatives."""
    return next(t for t in logins["tenants"] if t["email"].startswith(email_start))


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (by wir.clock, which tests may move) or ``steps_ahead`` later."""
    return pyotp.TOTP(secret).at(clock.timestamp() + steps_ahead * STEP_SECONDS)


class AuthActions:
    """Signing in and out with a test client, as the Flask tutorial's ``auth`` fixture does."""

    def __init__(self, client, logins):
        self.client = client
        self.logins = logins

    def login(self, email, password, next_url=None):
        url = "/anmelden" + (f"?next={next_url}" if next_url else "")
        self.client.get(url)  # the form page sets the session's CSRF token
        return self.client.post(url, data={"email": email, "password": password, "csrf_token": self.csrf_token()})

    def login_as(self, email_start: str = "") -> dict:
        """Sign in as a demo tenant (see demo_tenant); returns its login."""
        tenant = demo_tenant(self.logins, email_start)
        response = self.login(tenant["email"], tenant["password"])
        assert response.status_code == 303, response.get_data(as_text=True)
        return tenant

    def login_staff(self, index=0):
        """Sign in as a demo staff member, password and code from the authenticator app; returns its login."""
        staff = self.logins["staff"][index]
        self.login_with_code(staff)
        return staff

    def login_with_code(self, user: dict):
        """Both steps of a staff sign-in (``user`` a login with "totp_secret")."""
        response = self.login(user["email"], user["password"])
        assert response.status_code == 303 and response.headers["Location"].startswith("/zwei-faktor"), response
        response = self.second_step(totp_code(user["totp_secret"]))
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def second_step(self, code: str, recovery: bool = False, url: str = "/zwei-faktor"):
        """Send a code to the second step (or with ``recovery`` a Wiederherstellungscode)."""
        prefix = "recovery-" if recovery else ""
        return self.client.post(url, data={f"{prefix}code": code, f"{prefix}csrf_token": self.csrf_token()})

    def logout(self):
        return self.client.post("/abmelden", data={"csrf_token": self.csrf_token()})

    def csrf_token(self):
        with self.client.session_transaction() as session:
            token = session.get("csrf_token")
        if token is None:
            # any page in the layout creates the token (half signed-in staff are sent on to the second step's)
            self.client.get("/impressum", follow_redirects=True)
            with self.client.session_transaction() as session:
                token = session["csrf_token"]
        # flask-wtf signs the raw session token; generate the form value the same way
        secret = self.client.application.config["SECRET_KEY"]
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(token)


def htmx(auth: AuthActions, target: str | None = None) -> dict:
    """What htmx sends: its header, the CSRF token from <body hx-headers>, and the target when one is named."""
    headers = {"HX-Request": "true", "X-CSRFToken": auth.csrf_token()}
    if target:
        headers["HX-Target"] = target
    return headers


def deliver(app) -> int:
    """Deliver the outbox now; the number of mails sent."""
    with app.app_context():
        return mail.deliver_pending()


def mail_text(message) -> str:
    """The plain-text part of a received mail."""
    return message.get_body(("plain",)).get_content()


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces made single spaces (wrapping varies)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def main_of(page: str) -> str:
    """The <main> of a page, without the layout around it."""
    return page.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def at_once(app, refused, *actions) -> list[str]:
    """Two clerks at the same moment: each action runs in a thread of its own (its own database connection) and
    calls the function it is given right before it acts, after it has read what it needs; they all act together.
    Returns per action, in order, "applied" or "refused" (it raised ``refused``)."""
    ready = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                action(ready.wait)
                outcomes[index] = "applied"
            except refused:
                outcomes[index] = "refused"
            finally:
                db.database.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes
