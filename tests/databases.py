"""Test databases: migrated and seeded once per run, then copied for each test.

SQLite by default (a template file copied into tmp_path); PostgreSQL when
WIR_TEST_DATABASE_URL is set (a template database cloned with CREATE DATABASE
... TEMPLATE, which takes milliseconds).
"""

import os
import shutil
from contextlib import contextmanager
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from wir import create_app, db, demo

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SERVER_NAME": None,
    "BASE_URL": "http://localhost",
    # fast hashing in tests; production uses the defaults of wir.config
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    # CI runs the PostgreSQL pass with the counters in Redis, as in production; each test process (an xdist
    # worker) counts under a key prefix of its own, so the limiter's reset() before a test clears only its own
    "RATELIMIT_STORAGE_URL": os.environ.get("WIR_TEST_REDIS_URL", "memory://"),
    "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"LIMITS-test-{os.getpid()}"},
    # tests deliver mails explicitly (mail.deliver_pending) unless they test the background path
    "MAIL_DELIVER_IN_BACKGROUND": False,
    # background tasks (wir.tasks) run at once in the caller's thread; tests of the consumer switch it off
    "TASKS_IMMEDIATE": True,
}


# template URL -> the folder with the files its demo documents point to
_uploads: dict[str, Path] = {}


def postgres_url() -> str | None:
    return os.environ.get("WIR_TEST_DATABASE_URL") or None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def _admin_cursor(url: str):
    """A cursor outside any transaction: CREATE/DROP DATABASE refuse to run inside one."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def build_template(directory: Path, seed: bool) -> tuple[str, dict]:
    """Create a migrated (and optionally seeded) template; returns its URL and the demo logins."""
    suffix = "seeded" if seed else "empty"
    base = postgres_url()
    if base:
        name = f"wir_tpl_{suffix}_{uuid.uuid4().hex[:8]}"
        with _admin_cursor(base) as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = _with_database(base, name)
    else:
        url = f"sqlite:///{directory / f'template-{suffix}.db'}"
    # the demo documents' files go beside the template; clone() copies them with the database
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url}, instance_path=str(directory / "instance"))
    _uploads[url] = directory / "instance" / "uploads"
    db.migrate()
    logins = {}
    with app.app_context(), db.database.connection_context():
        if seed:
            logins = demo.load_demo_data()
    db.database.close()
    if url.startswith("sqlite"):
        # fold the WAL into the main file so a plain copy is complete
        with db.database.connection_context():
            db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close_all()
    return url, logins


def clone(template_url: str, directory: Path) -> str:
    """A private copy of the template for one test, with its stored files in ``directory``/instance/uploads."""
    uploads = _uploads.get(template_url)
    if uploads is not None and uploads.exists():
        shutil.copytree(uploads, directory / "instance" / "uploads", dirs_exist_ok=True)
    if template_url.startswith("sqlite"):
        source = Path(template_url.removeprefix("sqlite:///"))
        target = directory / "wir.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    base = postgres_url()
    template_name = urlsplit(template_url).path.lstrip("/")
    name = f"wir_test_{uuid.uuid4().hex[:12]}"
    with _admin_cursor(base) as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    return _with_database(base, name)


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        return
    name = urlsplit(url).path.lstrip("/")
    with _admin_cursor(postgres_url()) as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
