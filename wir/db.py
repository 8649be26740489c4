"""The peewee database: chosen by URL, opened per request, migrated by numbered scripts."""

from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase, fn
from playhouse.db_url import connect
from playhouse.migrations import Runner

database = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",  # money data: no lost commits on power failure
    "busy_timeout": 5000,
}


def open_database(url: str):
    """Bind the proxy to the database at ``url`` (sqlite:///path or postgresql://...)."""
    options = {"pragmas": SQLITE_PRAGMAS, "timeout": 5} if url.startswith("sqlite") else {}
    db = connect(url, **options)
    if isinstance(db, SqliteDatabase):
        # SQLite's own lower() and LIKE fold only A-Z; contains_text needs Ä, Ö, Ü too
        db.register_function(lambda text: text.lower() if isinstance(text, str) else text, "wir_lower", 1,
                             deterministic=True)
        db.register_function(lambda text: fold(text) if isinstance(text, str) else text, "wir_fold", 1,
                             deterministic=True)
    database.initialize(db)
    return db


def is_sqlite() -> bool:
    return isinstance(database.obj, SqliteDatabase)


def contains_text(column, text: str):
    """``column`` contains ``text``, case-insensitive in every alphabet (Öztürk for "ÖZT"), with % and _ matched
    as themselves: ILIKE on PostgreSQL, Python's lower() on both sides on SQLite."""
    if is_sqlite():
        return fn.wir_lower(column).contains(text.lower())
    return column.contains(text)


# German spellings without umlauts: "Mueller" is how Müller is typed on a keyboard without them
UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))


def fold(text: str) -> str:
    """``text`` as searches compare it: lower-case, umlauts and ß spelled out ("MÜLLER", "Müller" → "mueller")."""
    text = text.lower()
    for umlaut, spelled in UMLAUTS:
        text = text.replace(umlaut, spelled)
    return text


def folded(expression):
    """``fold`` in SQL: the function registered on SQLite, lower() and replace() on PostgreSQL (whose lower()
    knows every alphabet). Compare it with ``fold`` of what was typed."""
    if is_sqlite():
        return fn.wir_fold(expression)
    expression = fn.LOWER(expression)
    for umlaut, spelled in UMLAUTS:
        expression = fn.REPLACE(expression, umlaut, spelled)
    return expression


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
