"""The peewee database: chosen by URL, pooled, migrated by numbered scripts.

A request takes a connection from the pool on its first query and gives it back at its end, so the SQLite
pragmas and a PostgreSQL login run once per connection, not once per request (they were most of the
cost of /healthz). A connection left in a transaction is rolled back when it comes back to the pool.
"""

import itertools
import re
import threading
import time
import weakref
from pathlib import Path

from peewee import (
    DatabaseError, DatabaseProxy, PostgresqlDatabase, SqliteDatabase, __exception_wrapper__, fn,
)
from playhouse.db_url import connect, register_database
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",  # money data: no lost commits on power failure
    "busy_timeout": 5000,
}


# an idle connection older than this is closed instead of reused (a restarted server, a rotated password)
STALE_SECONDS = 300
# a PostgreSQL connection back in the pool for longer than this is asked whether it still works before it is lent
PING_AFTER_SECONDS = 1.0


class PooledPostgresql(PooledPostgresqlDatabase):
    """peewee's pool asks the server ("SELECT 1") every time it lends an idle connection: a round trip on every
    request, the second statement of /healthz. A connection given back less than PING_AFTER_SECONDS
    ago, as under load, is lent without asking (HikariCP does the same); one idle for longer is still asked, and
    a connection the driver knows to be broken is never lent."""

    def __init__(self, *args, **kwargs):
        self._given_back = {}  # connection key -> time.monotonic() when it came back to the pool
        super().__init__(*args, **kwargs)

    def _can_reuse(self, conn):
        reusable = super()._can_reuse(conn)
        if reusable:
            self._given_back[self.conn_key(conn)] = time.monotonic()
        return reusable

    def _is_closed(self, conn):
        given_back = self._given_back.pop(self.conn_key(conn), None)
        if not conn.closed and given_back is not None and time.monotonic() - given_back < PING_AFTER_SECONDS:
            return False
        return super()._is_closed(conn)


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
        # SQLite's own lower() and LIKE fold only A-Z; contains_text needs Ä, Ö, Ü too
        db.register_function(lambda text: text.lower() if isinstance(text, str) else text, "wir_lower", 1,
                             deterministic=True)
        db.register_function(lambda text: fold(text) if isinstance(text, str) else text, "wir_fold", 1,
                             deterministic=True)
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


def contains_text(column, text: str):
    """``column`` contains ``text``, case-insensitive in every alphabet (Öztürk for "ÖZT"), with % and _ matched
    as themselves: ILIKE on PostgreSQL, Python's lower() on both sides on SQLite."""
    if is_sqlite():
        return fn.wir_lower(column).contains(text.lower())
    return column.contains(text)


# German spellings without umlauts: "Mueller" is how Müller is typed on a keyboard without them
UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))
# other Latin letters with marks as a German keyboard types them: "Yilmaz" for Yılmaz, "Zolc" for Żółć
ACCENTED = "áàâãåāăąçćčďđéèêëēėęěğíìîïīįıłńňñóòôõøōőřśšşťţúùûūůűųýÿźżž"
PLAIN = "aaaaaaaacccddeeeeeeeegiiiiiiilnnnooooooorsssttuuuuuuuyyzzz"
_PLAIN_LETTERS = str.maketrans(ACCENTED, PLAIN)


def fold(text: str) -> str:
    """``text`` as searches compare it: lower-case, umlauts and ß spelled out, other marks dropped
    ("MÜLLER", "Müller" → "mueller"; "Yılmaz" → "yilmaz")."""
    text = text.lower()
    for umlaut, spelled in UMLAUTS:
        text = text.replace(umlaut, spelled)
    return text.translate(_PLAIN_LETTERS)


def folded(expression):
    """``fold`` in SQL: the function registered on SQLite, lower() and replace() on PostgreSQL (whose lower()
    knows every alphabet). Compare it with ``fold`` of what was typed."""
    if is_sqlite():
        return fn.wir_fold(expression)
    expression = fn.LOWER(expression)
    for umlaut, spelled in UMLAUTS:
        expression = fn.REPLACE(expression, umlaut, spelled)
    return fn.TRANSLATE(expression, ACCENTED, PLAIN)


class Prepared:
    """A query that runs on (nearly) every request with other values, e.g. the signed-in user: peewee builds its
    SQL text once per kind of database instead of on every run (building the text of the user's query
    took a third of the status poll's time, running it a tenth).

    ``build(*values)`` makes the query with peewee as usual; its parameters must be exactly ``values`` in that
    order (checked when the text is built), so that the text holds for any other values. A query with a list
    (``in_`` the user's persons) takes a variable number of values: its text is built once per number of values.

    On PostgreSQL the text is also prepared on the server, once per connection, so that PostgreSQL plans it once
    instead of on every run (the status poll's query: 0.55 ms planned each time, 0.16 ms prepared).
    """

    _numbers = itertools.count()

    def __init__(self, build):
        self._build = build
        self._number = next(Prepared._numbers)
        self._query = {}  # (type of database, number of values) -> (text, the built query, name on the server)

    def _text(self, values):
        key = (type(database.obj), len(values))
        if key not in self._query:
            query = self._build(*values)
            text, params = query.sql()
            if list(params) != list(values):
                raise ValueError(f"Prepared: parameters {params!r} are not the values {values!r}")
            self._query[key] = (text, query, f"wir_prepared_{self._number}_{len(values)}")
        return self._query[key]

    def _run(self, values):
        text, query, name = self._text(values)
        if isinstance(database.obj, PostgresqlDatabase):
            cursor = _execute_prepared(name, text, values)
        else:
            cursor = database.execute_sql(text, values)
        # the rows as the query itself makes them (models with their joined models, converted values)
        return query._get_cursor_wrapper(cursor)

    def rows(self, *values) -> list:
        return list(self._run(values))

    def first(self, *values):
        """The first row, or None."""
        return next(iter(self._run(values)), None)

    def scalar(self, *values):
        """The first column of the first row (of a query made with .tuples())."""
        row = self.first(*values)
        return row[0] if row else None


_prepared_on = weakref.WeakKeyDictionary()  # a PostgreSQL connection -> the names of the statements prepared on it
_prepared_lock = threading.Lock()


# the server no longer has the statement (26000; DISCARD ALL), or its plan no longer fits a changed table (0A000)
_PREPARED_LOST = {"26000", "0A000"}


def _execute_prepared(name: str, text: str, values):
    connection = database.connection()
    with _prepared_lock:
        names = _prepared_on.setdefault(connection, set())
    arguments = f" ({', '.join(['%s'] * len(values))})" if values else ""
    for attempt in (1, 2):
        if name not in names:
            # once per connection, not a statement of the request: run past peewee, whose log the tests count
            with __exception_wrapper__, connection.cursor() as cursor:
                cursor.execute(f"PREPARE {name} AS {_numbered(text)}")
            names.add(name)
        try:
            return database.execute_sql(f"EXECUTE {name}{arguments}", values)
        except DatabaseError as error:
            code = getattr(error.orig, "pgcode", None)
            if code not in _PREPARED_LOST or attempt == 2:
                raise
            if code == "26000":
                names.discard(name)
            if database.in_transaction():  # the transaction failed with it; the next request mends it
                raise
            if code == "0A000":
                with connection.cursor() as cursor:
                    cursor.execute(f"DEALLOCATE {name}")
                names.discard(name)


def _numbered(text: str) -> str:
    """psycopg2's placeholders (%s, and %% for a percent sign) as PREPARE wants them ($1, $2, …; %)."""
    numbers = itertools.count(1)
    return re.sub(r"%[s%]", lambda match: f"${next(numbers)}" if match.group() == "%s" else "%", text)


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
