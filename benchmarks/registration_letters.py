"""How long a batch of Registrierungsbriefe takes in the background task, end to end.

    .venv/bin/python -m benchmarks.registration_letters [--letters 1000] [--database-url URL]

On a fresh database (SQLite in a temporary folder unless --database-url names an empty PostgreSQL
database) with the demo data and ``--letters`` persons without an account: create_batch as a clerk
would, then build_batch as the task runs it (codes drawn, PDF built and stored, the numbers and the
batch saved in one transaction). The budget: 1,000 letters in under 60 s; the exit code is 1 when over.
The CPU time is printed beside the wall time: on a machine busy with other work the wall time grows.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from wir import create_app, db, demo
from wir.models import Cooperative, Person, RegistrationLetterBatch, User
from wir.services.registration import registration_letters

BUDGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wir-letters-"))
    url = args.database_url or f"sqlite:///{folder / 'wir.db'}"
    app = create_app({"SECRET_KEY": "benchmark", "DATABASE_URL": url, "TASKS_IMMEDIATE": True},
                     instance_path=str(folder / "instance"))
    db.migrate()
    with app.app_context(), db.database.connection_context():
        demo.load_demo_data()
        lipsia = Cooperative.get(Cooperative.slug == "lipsia")
        with db.write_transaction():
            Person.insert_many([
                dict(cooperative=lipsia, number=f"8{n:05d}", salutation="Frau" if n % 2 else "Herr",
                     first_name=f"Vorname{n}", last_name=f"Nachname{n}", street=f"Teststraße {n % 40 + 1}",
                     postcode="04209", city="Leipzig") for n in range(args.letters)
            ]).execute()
        clerk = User.get((User.role == User.ROLE_STAFF) & (User.cooperative == lipsia))
        started = time.perf_counter()
        batch = registration_letters.create_batch(clerk, [], [], everyone_in="")
        ordered, cpu = time.perf_counter(), time.process_time()
        registration_letters.build_batch(batch.id, "http://127.0.0.1:5000/registrieren/", "http://127.0.0.1:5000")
        finished, cpu = time.perf_counter(), time.process_time() - cpu
        batch = RegistrationLetterBatch.get_by_id(batch.id)
    size = len(registration_letters.batch_pdf(batch)) if batch.status == "done" else 0
    print(f"{batch.total} Briefe ({batch.status}{': ' + batch.error if batch.error else ''}): "
          f"Auftrag {ordered - started:.2f} s, Erstellung {finished - ordered:.2f} s (CPU {cpu:.2f} s), "
          f"PDF {size / 1e6:.1f} MB")
    return 0 if batch.status == "done" and finished - ordered < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
