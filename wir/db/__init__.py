"""The peewee database: chosen by URL, pooled, migrated by numbered scripts; its connections' lifecycle and the
write transaction. Searching that folds umlauts lives in wir.db.search, prepared queries and the PostgreSQL pool in
wir.db.prepared (the one module that uses peewee's private API).

A request takes a connection from the pool on its first query and gives it back at its end, so the SQLite
pragmas and a PostgreSQL login run once per connection, not once per request (they were most of the
cost of /healthz). A connection left in a transaction is rolled back when it comes back to the pool.
"""

from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect, register_database
from playhouse.migrations import Runner

from wir.db import search
from wir.db.prepared import PooledPostgresql

database = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",  # money data: no lost commits on power failure
    "busy_timeout": 5000,
}


# an idle connection older than this is closed instead of reused (a restarted server, a rotated password)
STALE_SECONDS = 300

register_database(PooledPostgresql, "postgres+pool", "postgresql+pool")


def connect_pool(url: str):
    """A connection pool for the database at ``url`` (sqlite:///path or postgresql://...), not yet bound."""
    scheme, rest = url.split("://", 1)
    options = {"stale_timeout": STALE_SECONDS}
    if scheme.startswith("sqlite"):
        # the pool lends a connection to one thread at a time, but not always to the thread that opened it
        options.update(pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    pooled = scheme if scheme.endswith("+pool") else scheme + "+pool"
    db = connect(f"{pooled}://{rest}", **options)
    if isinstance(db, SqliteDatabase):
        search.register_functions(db)
    return db


def open_database(url: str):
    """Bind the proxy to a connection pool for the database at ``url``."""
    db = connect_pool(url)
    database.initialize(db)
    return db


def close_all() -> None:
    """Close every connection of the pool: before the database file is copied or the database dropped."""
    database.obj.close_all()


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite (no upgrade deadlocks)."""
    if is_sqlite():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def migrate() -> list[str]:
    """Apply pending migrations; returns their names (empty when up to date)."""
    with database.connection_context():
        return Runner(database.obj, directory=str(MIGRATIONS_DIR)).up()


def init_app(app):
    open_database(app.config["DATABASE_URL"])

    # peewee connects on the first query (autoconnect), so static files never
    # open a connection; every request that did is closed here.
    @app.teardown_request
    def _close(exc):
        if not database.is_closed():
            database.close()
