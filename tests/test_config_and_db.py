"""Configuration layering, the secret key, migrations and SQLite settings."""

import psycopg2
import pytest
from peewee import PostgresqlDatabase, Select, SqliteDatabase, Value
from playhouse.schema_diff import diff_models

from tests import databases
from tests.conftest import IN_CI
from wir import create_app, db
from wir.db.prepared import Prepared, _numbered
from wir.models import MODELS


def test_environment_overrides_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("WIR_SMTP_PORT", "2525")
    monkeypatch.setenv("WIR_SMTP_STARTTLS", "true")
    monkeypatch.setenv("WIR_BASE_URL", "https://portal.example.org")
    monkeypatch.setenv("WIR_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["SMTP_STARTTLS"] is True
    assert app.config["BASE_URL"] == "https://portal.example.org"
    assert app.config["DATABASE_URL"].endswith("env.db")


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    import flask

    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.delenv("WIR_SECRET_KEY", raising=False)
    first = create_app()
    second = create_app()
    key_file = tmp_path / "instance" / "config.py"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["DATABASE_URL"] == "sqlite:///" + str(tmp_path / "instance" / "wir.db")


def test_init_db_is_idempotent_and_matches_models(empty_app):
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "aktuell" in result.output
    with db.database.connection_context():
        assert not diff_models(db.database.obj, MODELS), "models changed without a migration"


def test_embedded_sqlite_pragmas(tmp_path):
    # the embedded default, whatever database the rest of this run uses
    create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'pragmas.db'}"})
    with db.database.connection_context():
        pragma = lambda name: db.database.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") == 5000


def test_postgres_when_configured(app):
    expected = "postgresql" if databases.postgres_url() else "sqlite"
    assert app.config["DATABASE_URL"].startswith(expected)
    with db.database.connection_context():
        assert isinstance(db.database.obj, PostgresqlDatabase if expected == "postgresql" else SqliteDatabase)


def test_requests_reuse_a_pooled_connection(app, client):
    """The pragmas or the PostgreSQL login run once per connection, not once per request."""
    assert client.get("/healthz").status_code == 200
    with db.database.connection_context():
        first = db.database.connection()
    assert client.get("/healthz").status_code == 200
    with db.database.connection_context():
        assert db.database.connection() is first
    assert db.database.is_closed()  # back in the pool between requests


def test_prepared_query_runs_its_text_with_other_values(app, data):
    """A prepared query gives what peewee's query gives, for any values and any length of a list (built once
    per length), and refuses a builder whose parameters are not its values in order."""
    from wir.models import Cooperative

    def names(*ids):
        return Cooperative.select(Cooperative.name).where(Cooperative.id.in_(ids)).order_by(Cooperative.id).tuples()

    prepared = Prepared(names)
    ids = [cooperative.id for cooperative in Cooperative.select().order_by(Cooperative.id)]
    assert len(ids) >= 2
    for chosen in ([ids[0]], [ids[1]], ids, [ids[1], ids[0], -1]):
        assert prepared.rows(*chosen) == list(names(*chosen))
    assert prepared.scalar(-1) is None

    swapped = Prepared(lambda limit, cooperative_id: Cooperative.select().where(Cooperative.id == cooperative_id)
                          .limit(limit))
    with pytest.raises(ValueError, match="not the values"):
        swapped.rows(5, ids[1])


def test_prepared_query_resolves_its_columns_once_and_gives_the_same_rows_every_run(app, data, monkeypatch):
    """The cursor wrapper's resolution of the columns is kept from the first run with rows: models with their
    joined model and tuples come out as peewee's own query makes them, run after run, also after a run
    without rows."""
    import peewee

    from wir.models import Cooperative, Person

    def persons(*ids):
        return (Person.select(Person, Cooperative).join(Cooperative).where(Person.id.in_(ids))
                .order_by(Person.id))

    def names(*ids):
        return Person.select(Person.id, Person.last_name).where(Person.id.in_(ids)).order_by(Person.id).tuples()

    resolved = []
    original = peewee._resolve_model_columns
    monkeypatch.setattr(peewee, "_resolve_model_columns", lambda *args: resolved.append(1) or original(*args))
    ids = [person.id for person in Person.select(Person.id).order_by(Person.id).limit(2)]
    with_models, with_tuples = Prepared(persons), Prepared(names)
    for chosen in ([-1, -2], ids, ids[::-1], [ids[1], -1]):
        expected, expected_names = list(persons(*chosen)), list(names(*chosen))
        resolved.clear()
        got = with_models.rows(*chosen)
        assert [(p.id, p.last_name, p.cooperative.name) for p in got] == \
            [(p.id, p.last_name, p.cooperative.name) for p in expected]
        assert with_tuples.rows(*chosen) == expected_names
        # only the first run with rows resolves (the empty first run had no columns to resolve)
        assert len(resolved) == (2 if chosen == ids else 0), chosen


def _postgres_or_skip() -> str:
    url = databases.postgres_url() or "postgresql://root@127.0.0.1:5432/test"
    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        if IN_CI:
            pytest.fail(f"PostgreSQL nicht erreichbar ({error}); CI startet ihn in .ci/run", pytrace=False)
        pytest.skip(f"PostgreSQL nicht erreichbar: {error}")
    return url


def test_postgres_pool_asks_the_server_only_about_a_connection_idle_for_a_while(monkeypatch):
    """Under load a connection is lent again without a round trip (issue 14); one idle for longer is asked first,
    so a connection the server ended meanwhile is replaced, not lent."""
    pool = db.connect_pool(_postgres_or_skip())
    asked = []
    ask = pool._adapter.is_connection_closed
    monkeypatch.setattr(pool._adapter, "is_connection_closed", lambda conn: asked.append(conn) or ask(conn))

    def backend():
        with pool.connection_context():
            return pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]

    first = backend()
    assert backend() == first and asked == []

    with databases._admin_cursor(_postgres_or_skip()) as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (first,))
    monkeypatch.setattr("wir.db.prepared.PING_AFTER_SECONDS", 0)
    replaced = backend()
    assert len(asked) == 1 and replaced != first
    pool.close_all()


def test_prepared_text_numbers_placeholders_for_postgresql():
    assert _numbered("a = %s AND b LIKE 'x%%' AND c IN (%s, %s)") == "a = $1 AND b LIKE 'x%' AND c IN ($2, $3)"


def test_prepared_on_postgresql_is_prepared_again_when_the_server_forgot_it():
    """E.g. after DISCARD ALL: the query runs, prepared anew, instead of failing on every request."""
    pool = db.connect_pool(_postgres_or_skip())
    previous = db.database.obj
    db.database.initialize(pool)
    try:
        prepared = Prepared(lambda number: Select(columns=[Value(number).cast("int")]).bind(db.database).tuples())
        with pool.connection_context():
            assert prepared.scalar(5) == 5
            pool.execute_sql("DEALLOCATE ALL")
            assert prepared.scalar(6) == 6
    finally:
        db.database.initialize(previous)
        pool.close_all()


def test_peewee_is_pinned_to_the_minor_release_whose_private_api_wir_db_prepared_uses():
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    import peewee
    from packaging.requirements import Requirement
    from playhouse.pool import PooledDatabase

    declared = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["dependencies"]
    pin = next(Requirement(line) for line in declared if Requirement(line).name == "peewee")
    installed = version("peewee")
    major, minor = (int(part) for part in installed.split(".")[:2])
    assert installed in pin.specifier
    assert f"{major}.{minor + 1}.0" not in pin.specifier, "a new minor release must be checked before it is allowed"
    # what wir.db.prepared relies on, beyond the behaviour the tests above check
    assert callable(peewee.ModelSelect._get_cursor_wrapper) and callable(peewee.__exception_wrapper__.__enter__)
    assert callable(PooledDatabase._can_reuse) and callable(PooledDatabase._is_closed)
