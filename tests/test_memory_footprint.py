"""Memory per worker (issue 14): the app starts without the libraries only some requests need.

fpdf2 (which brings Pillow), pypdf, zxcvbn and Pillow cost about 22, 10, 12 and 3 MB per process;
a worker loads each the first time it makes a PDF, checks an uploaded PDF, rates a password or
draws the app icon. Checked in a fresh interpreter: this one has loaded all of them long ago.
"""

import json
import subprocess
import sys
from pathlib import Path

from tests import databases

ON_DEMAND = ("fpdf", "pypdf", "zxcvbn", "PIL")

# Prints, after each step, which of ON_DEMAND the interpreter has loaded.
WORKER = f"""
import json, sys

from wir import create_app, db

config, instance = json.loads(sys.argv[1]), sys.argv[2]
steps = []

def step(name):
    steps.append([name, [module for module in {ON_DEMAND!r} if module in sys.modules]])

app = create_app(config, instance_path=instance)
step("create_app")

from wir import icons, uploads
from wir.models import SavingsAccount
from wir.services.account import password_rules
from wir.services.savings import savings_statements

icons.icon_png(192)
step("icon")
password_rules.evaluate("", [])  # the rules beside an empty password field
step("rules shown")
with app.app_context(), db.database.connection_context():
    account, years = next((a, savings_statements.statement_years(a))
                          for a in SavingsAccount.select().order_by(SavingsAccount.id)
                          if savings_statements.statement_years(a))
    pdf = savings_statements.statement_pdf(account, years[-1])
assert pdf.startswith(b"%PDF-")
step("statement PDF")
uploads.check_file("Kontoauszug.pdf", pdf)
step("PDF upload checked")
password_rules.evaluate("Kaffee-Fahrrad-Wolke-Treppe", [])
step("password rated")
print(json.dumps(steps))
"""


def test_a_worker_loads_pdf_upload_and_password_libraries_only_when_it_needs_them(app, tmp_path):
    config = {**databases.TEST_CONFIG, "DATABASE_URL": app.config["DATABASE_URL"]}
    run = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(config), str(tmp_path / "worker")],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [
        ["create_app", []],
        ["icon", ["PIL"]],
        ["rules shown", ["PIL"]],
        ["statement PDF", ["fpdf", "PIL"]],
        ["PDF upload checked", ["fpdf", "pypdf", "PIL"]],
        ["password rated", ["fpdf", "pypdf", "zxcvbn", "PIL"]],
    ]
