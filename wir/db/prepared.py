"""Prepared queries and the PostgreSQL pool that lends a connection without asking the server first.

Both lean on peewee's private API (a query's cursor wrapper, the exception wrapper, the pool's reuse checks), so
pyproject.toml pins peewee below its next minor version and tests/test_config_and_db.py tests what they rely on.
"""

import itertools
import re
import threading
import time
import weakref

from peewee import DatabaseError, PostgresqlDatabase, __exception_wrapper__
from playhouse.pool import PooledPostgresqlDatabase

from wir import db

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
        self._columns = {}  # the same key -> what peewee's cursor wrapper worked out from the first row's columns

    @staticmethod
    def _key(values):
        return type(db.database.obj), len(values)

    def _text(self, values):
        key = self._key(values)
        if key not in self._query:
            query = self._build(*values)
            text, params = query.sql()
            if list(params) != list(values):
                raise ValueError(f"Prepared: parameters {params!r} are not the values {values!r}")
            self._query[key] = (text, query, f"wir_prepared_{self._number}_{len(values)}")
        return self._query[key]

    def _run(self, values):
        text, query, name = self._text(values)
        if isinstance(db.database.obj, PostgresqlDatabase):
            cursor = _execute_prepared(name, text, values)
        else:
            cursor = db.database.execute_sql(text, values)
        # the rows as the query itself makes them (models with their joined models, converted values)
        return self._with_columns(query._get_cursor_wrapper(cursor), self._key(values))

    def _with_columns(self, wrapper, key):
        """peewee's cursor wrapper resolves the columns to fields, converters and models again on every run (the
        most time any one function took on the Startseite); the same text has the same columns, so their
        resolution is kept from the first run with rows and handed to every later wrapper."""
        resolved = self._columns.get(key)
        if resolved is not None:
            vars(wrapper).update(resolved)
            wrapper.initialized = True
            return wrapper
        initialize = wrapper.initialize

        def initialize_and_keep():
            initialize()
            resolved = {name: value for name, value in vars(wrapper).items() if name not in before}
            # a namedtuple wrapper's row constructor is a closure over its own wrapper: not handed on
            if "constructor" not in resolved:
                self._columns[key] = resolved

        wrapper.initialize = initialize_and_keep
        before = set(vars(wrapper))
        return wrapper

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
    connection = db.database.connection()
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
            return db.database.execute_sql(f"EXECUTE {name}{arguments}", values)
        except DatabaseError as error:
            code = getattr(error.orig, "pgcode", None)
            if code not in _PREPARED_LOST or attempt == 2:
                raise
            if code == "26000":
                names.discard(name)
            if db.database.in_transaction():  # the transaction failed with it; the next request mends it
                raise
            if code == "0A000":
                with connection.cursor() as cursor:
                    cursor.execute(f"DEALLOCATE {name}")
                names.discard(name)


def _numbered(text: str) -> str:
    """psycopg2's placeholders (%s, and %% for a percent sign) as PREPARE wants them ($1, $2, …; %)."""
    numbers = itertools.count(1)
    return re.sub(r"%[s%]", lambda match: f"${next(numbers)}" if match.group() == "%s" else "%", text)
