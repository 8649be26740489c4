"""The benchmark's database: the large data set (seed-demo --size large) made once as a template, and a fresh
copy of it for every run, so that what one run writes (certificates, Meldungen, sign-ins) never reaches the next.

SQLite: the template is instance/bench/large.db, a run works on instance/bench/run.db. PostgreSQL (WIR_DATABASE_URL
names a database): that database is the template, a run works on "<name>_run" (CREATE DATABASE … TEMPLATE).
Stored files (the generated documents' PDF) live under instance/bench/uploads for both.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BENCH_INSTANCE = ROOT / "instance" / "bench"
SECRET_KEY = "benchmark-only-secret-key"  # the runs share it, so a session made in one process opens in another


def environment(url: str) -> dict:
    """The settings of every process of a run (flask commands, gunicorn), as WIR_* variables."""
    return {"WIR_DATABASE_URL": url, "WIR_SECRET_KEY": SECRET_KEY}


def _flask(url: str, *args: str) -> str:
    """Run a flask command of the portal on ``url`` in a process of its own; returns its output."""
    code = ("import sys; from wir import create_app; "
            f"app = create_app(instance_path={str(BENCH_INSTANCE)!r}); "
            "sys.exit(app.cli.main(args=sys.argv[1:], prog_name='flask', standalone_mode=True))")
    done = subprocess.run([sys.executable, "-c", code, *args], env={**os.environ, **environment(url)},
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout + done.stderr


def _is_postgres(url: str) -> bool:
    return url.startswith("postgres")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def _admin(url: str, statement: str) -> None:
    connection = psycopg2.connect(_with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _has_large_data(url: str) -> bool:
    if _is_postgres(url):
        try:
            connection = psycopg2.connect(url)
        except psycopg2.OperationalError:
            return False
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass('person') IS NOT NULL")
                if not cursor.fetchone()[0]:
                    return False
                cursor.execute("SELECT count(*) FROM person")
                return cursor.fetchone()[0] > 10000
        finally:
            connection.close()
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        return False
    with sqlite3.connect(path) as connection:
        try:
            return connection.execute("SELECT count(*) FROM person").fetchone()[0] > 10000
        except sqlite3.OperationalError:
            return False


def template_url(database_url: str | None) -> str:
    if database_url:
        return database_url
    return f"sqlite:///{BENCH_INSTANCE / 'large.db'}"


def prepare(database_url: str | None) -> str:
    """The large data set as template (made when missing, which takes a minute or two); returns the URL of a
    fresh copy for this run."""
    BENCH_INSTANCE.mkdir(parents=True, exist_ok=True)
    template = template_url(database_url)
    if not _has_large_data(template):
        if _is_postgres(template):
            name = urlsplit(template).path.lstrip("/")
            _admin(template, f'DROP DATABASE IF EXISTS "{name}"')
            _admin(template, f'CREATE DATABASE "{name}"')
        else:
            Path(template.removeprefix("sqlite:///")).unlink(missing_ok=True)
        print("Große Datenmenge wird angelegt …", file=sys.stderr)
        output = _flask(template, "seed-demo", "--size", "large")
        print(next(line for line in output.splitlines() if line.startswith("Große")), file=sys.stderr)
        if not _is_postgres(template):
            with sqlite3.connect(template.removeprefix("sqlite:///")) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _flask(template, "init-db")  # a template made before a new migration (an index) gets it before it is copied
    if _is_postgres(template):
        name = urlsplit(template).path.lstrip("/")
        _admin(template, f'DROP DATABASE IF EXISTS "{name}_run" WITH (FORCE)')
        _admin(template, f'CREATE DATABASE "{name}_run" TEMPLATE "{name}"')
        return _with_database(template, f"{name}_run")
    run = BENCH_INSTANCE / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{run}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template.removeprefix("sqlite:///"), run)
    return f"sqlite:///{run}"
