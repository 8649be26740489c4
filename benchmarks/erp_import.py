"""The ERP import of a large savings export: time and memory for N Umsätze into an empty portal.

    .venv/bin/python -m benchmarks.erp_import [--rows 100000] [--database-url postgresql://…/test]

Writes the example set of tests/data/import with N transactions in sparumsaetze.csv, imports it into a fresh
database (a SQLite file in a temporary folder, or a new database on the given PostgreSQL server), once for the
time and once with tracemalloc for the peak of Python memory, for N/10 and N rows. The budget: N = 100,000 in at
most 60 s; the exit code is 1 when it is over or when the memory peak grows with the file (more than twice the
peak of N/10).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.databases import _admin_cursor
from wir import create_app, db
from wir.demo.tables import COOPERATIVES
from wir.models import Cooperative
from wir.services import erp_import

EXAMPLE = Path(__file__).parent.parent / "tests" / "data" / "import"
BUDGET_SECONDS = 60.0


def write_export(folder: Path, rows: int) -> None:
    shutil.copytree(EXAMPLE, folder)
    balance, day = Decimal("0.00"), date(2000, 1, 3)
    with (folder / "sparumsaetze.csv").open("w", encoding="utf-8") as stream:
        stream.write("Schlüssel;Sparkonto;Buchungstag;Wertstellung;Art;Betrag;Saldo\n")
        for number in range(rows):
            amount = Decimal(25 + number % 400) + Decimal("0.25")
            balance += amount
            stream.write(f"U-{number};S-1;{day:%d.%m.%Y};{day:%d.%m.%Y};Einzahlung;"
                         f"{str(amount).replace('.', ',')};{str(balance).replace('.', ',')}\n")
            if number % 20 == 19:
                day += timedelta(days=1)


@contextmanager
def fresh_database(server_url: str, folder: Path):
    """A new SQLite file, or a new database on the PostgreSQL server (dropped afterwards)."""
    if not server_url:
        yield f"sqlite:///{folder / 'wir.db'}"
        return
    name = f"erp_bench_{os.getpid()}"
    with _admin_cursor(server_url) as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    finally:
        db.close_all()
        with _admin_cursor(server_url) as cursor:
            cursor.execute(f"DROP DATABASE {name}")


def run_once(url: str, rows: int, measure_memory: bool) -> tuple[float, int, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_export(folder / "export", rows)
        with fresh_database(url, folder) as database_url, _app(database_url, folder).app_context():
            db.migrate()
            cooperative = Cooperative.create(**COOPERATIVES[0])
            paths = sorted((folder / "export").glob("*.csv"))
            if measure_memory:
                tracemalloc.start()
            started = time.perf_counter()
            _, report = erp_import.import_files(paths, cooperative)
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            if measure_memory:
                tracemalloc.stop()
            assert report.ok, report.lines()
            db.close_all()
        return seconds, peak, report.totals()


def _app(url: str, folder: Path):
    return create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE_URL": url},
                      instance_path=str(folder / "instance"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server to make a fresh database on (default: a SQLite file)")
    options = parser.parse_args()
    kind = "PostgreSQL" if options.database_url else "SQLite"
    seconds, _, totals = run_once(options.database_url, options.rows, measure_memory=False)
    print(f"{kind}: {options.rows:,} Umsätze in {seconds:.1f} s ({totals['created']:,} Zeilen angelegt)")
    small = max(options.rows // 10, 1)
    _, peak_small, _ = run_once(options.database_url, small, measure_memory=True)
    _, peak_large, _ = run_once(options.database_url, options.rows, measure_memory=True)
    print(f"Speicher (tracemalloc, Spitze): {small:,} Zeilen {peak_small / 2**20:.1f} MiB, "
          f"{options.rows:,} Zeilen {peak_large / 2**20:.1f} MiB")
    return 0 if seconds <= BUDGET_SECONDS and peak_large <= 2 * peak_small else 1


if __name__ == "__main__":
    sys.exit(main())
