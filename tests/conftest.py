"""Fixtures in the style of the Flask tutorial: app, client, runner, auth, queries."""

import logging
import os
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from werkzeug.routing import Rule

from tests import databases
from tests.helpers import AuthActions
from tests.smtp_server import SmtpServer
from wir import create_app, db
from wir.extensions import limiter

IN_CI = os.environ.get("CI", "").lower() == "true"


def _reuse_url_builders() -> None:
    """Every test makes an app, and Werkzeug writes and compiles two URL builders per rule for each (most of
    create_app's time, a tenth of a second per test). A builder is code from the rule's text and defaults only,
    bound to its rule when called: one compiled per distinct rule serves every app of the test process."""
    compile_builder = Rule._compile_builder
    compiled = {}

    def reused(rule, append_unknown=True):
        key = (rule.rule, rule.subdomain, rule.host, repr(sorted((rule.defaults or {}).items())), append_unknown)
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = reused


_reuse_url_builders()


class _CompiledTemplates(BytecodeCache):
    """Jinja's compiled templates for every app of the test process. Each test makes its own app, and each app's
    Jinja environment compiled every template it rendered again (half the time of a test that renders pages).
    Jinja checks a bucket's source checksum on load, so a changed template is compiled anew."""

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


def _share_compiled_templates() -> None:
    create_environment = Flask.create_jinja_environment
    compiled = _CompiledTemplates()

    def with_shared_cache(app):
        environment = create_environment(app)
        environment.bytecode_cache = compiled
        return environment

    Flask.create_jinja_environment = with_shared_cache


_share_compiled_templates()


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


class ClosingClient(FlaskClient):
    """A test client whose responses come read and closed, so that nothing stays open for a test to forget:
    the file a send_file response streams, and the temporary file the test client spools a request body
    above 500 kB to (werkzeug leaves that to the response's close, which does not reach it)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        response.make_sequence()
        response.close()
        response.request.environ["wsgi.input"].close()
        return response


def _app_on(template_url, tmp_path):
    url = databases.clone(template_url, tmp_path)
    app = create_app({**databases.TEST_CONFIG, "DATABASE_URL": url}, instance_path=str(tmp_path / "instance"))
    app.test_client_class = ClosingClient
    limiter.reset()  # counters in Redis outlive an app; each test starts at zero
    yield app
    db.close_all()
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


@pytest.fixture
def flat(data):
    """A new flat of Lipsia (62,5 m², no meters yet) rented since 15 January 2023 by Jürgen Müller's person, its
    only tenant (the Verbrauch tests give it meters and values)."""
    from datetime import date
    from decimal import Decimal

    from wir.models import Contract, ContractParty, Cooperative, Person, Unit

    cooperative = Cooperative.get(slug="lipsia")
    unit = Unit.create(cooperative=cooperative, kind="flat", number="T-0001", street="Testweg 1", postcode="04109",
                       city="Leipzig", floor="1. OG", position="links", living_area=Decimal("62.50"))
    contract = Contract.create(cooperative=cooperative, kind="rental", number="MV-T-0001", unit=unit,
                               start_date=date(2023, 1, 15))
    person = Person.get(Person.cooperative == cooperative, Person.last_name == "Müller", Person.first_name == "Jürgen")
    ContractParty.create(contract=contract, person=person, role="main")
    return contract


@pytest.fixture
def auth(client, demo_logins):
    return AuthActions(client, demo_logins)


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        if record.name == "peewee":  # the statements; not the pool's notes (peewee.pool)
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
