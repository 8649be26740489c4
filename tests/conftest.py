"""Fixtures in the style of the Flask tutorial: app, client, runner, auth, queries."""

import logging
import os
from contextlib import contextmanager

import pytest

from tests import databases
from tests.smtp_server import SmtpServer
from wir import create_app, db
from wir.extensions import limiter

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    url, logins = databases.build_template(tmp_path_factory.mktemp("template"), seed=True)
    yield url, logins
    databases.drop(url)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    url, _ = databases.build_template(tmp_path_factory.mktemp("template-empty"), seed=False)
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def demo_logins(seeded_template):
    return seeded_template[1]


def _app_on(template_url, tmp_path):
    url = databases.clone(template_url, tmp_path)
    app = create_app({**databases.TEST_CONFIG, "DATABASE_URL": url}, instance_path=str(tmp_path / "instance"))
    limiter.reset()  # counters in Redis outlive an app; each test starts at zero
    yield app
    if not db.database.is_closed():
        db.database.close()
    db.database.obj.close()
    databases.drop(url)


@pytest.fixture
def app(seeded_template, tmp_path):
    """An app on its own copy of the migrated and seeded demo database."""
    yield from _app_on(seeded_template[0], tmp_path)


@pytest.fixture
def empty_app(empty_template, tmp_path):
    """An app on a migrated database without any data."""
    yield from _app_on(empty_template, tmp_path)


@pytest.fixture
def smtp_down(app):
    """SMTP configured, but nothing listens on its port until start()."""
    server = SmtpServer()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_down):
    """A running SMTP server that receives the app's mails."""
    smtp_down.start()
    return smtp_down


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def data(app):
    """Database access in a test body. It shares the thread's connection with the
    test client's requests, which close it at their end; queries reconnect."""
    yield db.database


class AuthActions:
    def __init__(self, client, logins):
        self._client = client
        self.logins = logins

    def login(self, email, password, next_url=None):
        url = "/anmelden" + (f"?next={next_url}" if next_url else "")
        self._client.get(url)  # the form page sets the session's CSRF token
        return self._client.post(url, data={"email": email, "password": password, "csrf_token": self.csrf_token()})

    def login_tenant(self, index=0):
        tenant = self.logins["tenants"][index]
        response = self.login(tenant["email"], tenant["password"])
        assert response.status_code == 303, response.get_data(as_text=True)
        return tenant

    def login_staff(self, index=0):
        staff = self.logins["staff"][index]
        response = self.login(staff["email"], staff["password"])
        assert response.status_code == 303
        return staff

    def logout(self):
        return self._client.post("/abmelden", data={"csrf_token": self.csrf_token()})

    def csrf_token(self):
        with self._client.session_transaction() as session:
            token = session.get("csrf_token")
        if token is None:
            self._client.get("/impressum")  # any page in the layout creates the token
            with self._client.session_transaction() as session:
                token = session["csrf_token"]
        # flask-wtf signs the raw session token; generate the form value the same way
        from itsdangerous import URLSafeTimedSerializer

        secret = self._client.application.config["SECRET_KEY"]
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(token)


@pytest.fixture
def auth(client, demo_logins):
    return AuthActions(client, demo_logins)


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        self.statements.append(record.getMessage())

    @property
    def count(self):
        return len(self.statements)


@contextmanager
def _count_queries():
    logger = logging.getLogger("peewee")
    counter = QueryCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


@pytest.fixture
def count_queries():
    """``with count_queries() as q: ...; q.count`` counts the SQL statements run."""
    return _count_queries
