"""In-process latency and SQL statements of the portal's requests on the large data (Flask test client).

One row per request as a tenant (Jürgen Müller, whose household has 40+ Meldungen, 200+ documents and the
savings account 5104711-03 with 100,000 Umsätze) or a clerk (the staff queue). Each row: a few warm-up
requests, one request with the SQL statements counted, then ``runs`` timed requests (median and p95 of the
wall time of ``client.open``). What a request needs beforehand (a fresh form key, a new session for Anmelden)
is prepared outside the timing. Mails are left in the outbox (delivery runs after a request, in production
in a thread of its own, and would only blur the numbers).

``--profile NAME`` runs that row under cProfile instead and prints where its time goes (by cumulative time;
BENCH_SORT=tottime sorts by the time spent in each function itself).
"""

import contextlib
import cProfile
import logging
import os
import pstats
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Callable

import pyotp
from peewee import fn

from benchmarks.data import BENCH_INSTANCE, SECRET_KEY
from wir import create_app, db
from wir.demo.generator import BIG_ACCOUNT
from wir.demo.tables import STAFF, TENANT_USERS
from wir.models import Contract, SavingsAccount, SavingsTransaction, TicketCategory, TicketType

TENANT = next(row for row in TENANT_USERS if row[0] == "juergen")
CLERK = next(row for row in STAFF if row[0] == "koehler")
HTMX = {"HX-Request": "true"}
POLL = {**HTMX, "X-WIR-Background": "1"}


class Forms(HTMLParser):
    """The named fields of every form on a page, with their values (the first option of a select)."""

    def __init__(self, html: str):
        super().__init__()
        self.fields = {}
        self._select = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "textarea") and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in self.fields):
            self.fields[self._select] = attrs.get("value") or ""


@dataclass
class Row:
    name: str
    method: str
    path: str | Callable[[], str]
    who: str = "tenant"  # whose session: tenant, clerk, or anonymous (a new client each time)
    headers: dict = field(default_factory=dict)
    form: Callable | None = None  # form(client) -> the form data, prepared before each timed request
    expect: int = 200


class Bench:
    def __init__(self, url: str, with_clerk: bool = True):
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "MAIL_DELIVER_IN_BACKGROUND": False},
                              instance_path=str(BENCH_INSTANCE))
        # the clerk only where a row needs one: a second sign-in within the first one's 30 s is a replayed code
        self.clients = {"tenant": self.signed_in_tenant()}
        if with_clerk:
            self.clients["clerk"] = self.signed_in_clerk()
        with self.app.app_context():
            self.facts = self.look_up()
        self.addresses = iter(range(1, 10**6))

    # --- sessions ---

    def csrf(self, client, path: str) -> str:
        return Forms(client.get(path).get_data(as_text=True)).fields["csrf_token"]

    def login(self, client, email, password, address="127.0.0.1"):
        token = self.csrf(client, "/anmelden")
        return client.post("/anmelden", data={"email": email, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})

    def signed_in_tenant(self):
        client = self.app.test_client()
        assert self.login(client, TENANT[1], TENANT[2]).status_code == 303
        return client

    def signed_in_clerk(self):
        client = self.app.test_client()
        _key, _coop, _name, _phone, email, _hours, password, secret = CLERK
        assert self.login(client, email, password).status_code == 303
        response = client.post("/zwei-faktor", data={"code": pyotp.TOTP(secret).now(),
                                                     "csrf_token": self.csrf(client, "/zwei-faktor")})
        assert response.status_code == 303, response.status_code
        return client

    # --- what the rows need ---

    def look_up(self) -> dict:
        _key, number, _count = BIG_ACCOUNT
        account = SavingsAccount.get(SavingsAccount.number == number)
        deep = (SavingsTransaction.select().where(SavingsTransaction.account == account)
                .order_by(SavingsTransaction.booking_date.desc(), SavingsTransaction.id.desc())
                .offset(account.transactions.count() // 2).limit(1).get())
        rental = Contract.get(Contract.number == "MV-1001-0203")
        lipsia = rental.cooperative_id
        general = (TicketCategory.select(TicketCategory, TicketType).join(TicketType)
                   .where((TicketType.cooperative == lipsia) & (TicketCategory.name == "Allgemeine Anfrage")).get())
        return {
            "account": number,
            "deep": f"{deep.booking_date.isoformat()}_{deep.id}",
            "deep_index": account.transactions.count() // 2,
            "rental": rental.id,
            "ticket_type": general.ticket_type.id,
            "category": general.id,
        }

    def poll_path(self, changed: bool) -> str:
        html = self.clients["tenant"].get("/meldungen").get_data(as_text=True)
        path = re.search(r'hx-get="(/meldungen/status\?[^"]+)"', html).group(1).replace("&amp;", "&")
        if changed:
            path = re.sub(r"seit=[^&]+", "seit=2000-01-01T00%3A00%3A00", path)
        return path

    def contact_form(self, client) -> dict:
        f = self.facts
        path = (f"/kontakt?concern=c{f['rental']}&ticket_type={f['ticket_type']}&shown_type={f['ticket_type']}"
                f"&category={f['category']}")
        fields = Forms(client.get(path).get_data(as_text=True)).fields
        fields.update(subject="Frage zur Hausordnung", message="Wann ist die nächste Treppenhausreinigung?",
                      action="send", category=str(f["category"]), submission_key=uuid.uuid4().hex)
        fields.pop("attachments", None)
        return fields

    def certificate_form(self, client) -> dict:
        token = self.csrf(client, f"/dokumente/anfordern/mietbescheinigung/{self.facts['rental']}")
        return {"csrf_token": token, "submission_key": uuid.uuid4().hex}

    def login_form(self, client) -> dict:
        return {"email": TENANT[1], "password": TENANT[2], "csrf_token": self.csrf(client, "/anmelden")}

    def rows(self) -> list[Row]:
        f = self.facts
        umsaetze = f"/sparen/{f['account']}/umsaetze"
        return [
            Row("Startseite", "GET", "/"),
            Row("Dokumente", "GET", "/dokumente/"),
            Row("Dokumente, Filter Art und Jahr", "GET", "/dokumente/?art=letter&jahr=2025"),
            Row("Verträge", "GET", "/vertraege/"),
            Row("Verbrauch", "GET", f"/verbrauch/{f['rental']}"),
            Row("Sparen", "GET", "/sparen/"),
            Row("Umsätze, erste Seite", "GET", umsaetze),
            Row("Umsätze, Seite bei Umsatz " + f"{f['deep_index']:,}".replace(",", "."), "GET",
                f"{umsaetze}?nach={f['deep']}"),
            Row("Meldungen", "GET", "/meldungen"),
            Row("Statusabfrage, unverändert", "GET", lambda: self.poll_path(changed=False), headers=POLL,
                expect=204),
            Row("Statusabfrage, geändert", "GET", lambda: self.poll_path(changed=True), headers=POLL),
            Row("Kontakt (Formular)", "GET", "/kontakt"),
            Row("Kontakt (Meldung senden)", "POST", "/kontakt", form=self.contact_form, expect=303),
            Row("Mietbescheinigung (PDF erzeugen)", "POST", f"/dokumente/anfordern/mietbescheinigung/{f['rental']}",
                form=self.certificate_form, expect=303),
            Row("Anmelden", "POST", "/anmelden", who="anonymous", form=self.login_form, expect=303),
            Row("Meldungen der Sachbearbeitung (/intern/meldungen)", "GET", "/intern/meldungen", who="clerk"),
            Row("Auswertung (/intern/auswertung)", "GET", "/intern/auswertung", who="clerk"),
            Row("/healthz", "GET", "/healthz", who="anonymous"),
        ]

    # --- measuring ---

    def once(self, row: Row, during=contextlib.nullcontext):
        """Prepare and send one request of the row, the sending inside ``during()``; returns (seconds, response)."""
        client = self.app.test_client() if row.who == "anonymous" else self.clients[row.who]
        data = row.form(client) if row.form else None
        path = row.path() if callable(row.path) else row.path
        # sign-ins are limited per address: every request comes from its own
        n = next(self.addresses)
        environ = {"REMOTE_ADDR": f"10.{n // 250 % 250}.{n % 250}.1"}
        with during():
            started = time.perf_counter()
            response = client.open(path, method=row.method, data=data, headers=row.headers, environ_base=environ)
            elapsed = time.perf_counter() - started
        assert response.status_code == row.expect, (row.name, response.status_code, response.get_data(as_text=True))
        return elapsed, response

    def queries(self, row: Row) -> int:
        counter = _Counter()

        @contextlib.contextmanager
        def counting():
            logger = logging.getLogger("peewee")
            previous = logger.level
            logger.setLevel(logging.DEBUG)
            logger.addHandler(counter)
            try:
                yield
            finally:
                logger.removeHandler(counter)
                logger.setLevel(previous)

        self.once(row, counting)
        return counter.count

    def measure(self, row: Row, runs: int, warmup: int = 3) -> dict:
        for _ in range(warmup):
            self.once(row)
        queries = self.queries(row)
        times = sorted(self.once(row)[0] * 1000 for _ in range(runs))
        return {
            "name": row.name,
            "request": f"{row.method} {(row.path() if callable(row.path) else row.path).split('?')[0]}",
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(statistics.quantiles(times, n=20)[-1], 2),
            "queries": queries,
        }

    def profile(self, name: str, runs: int) -> None:
        row = next(row for row in self.rows() if row.name.lower().startswith(name.lower()))
        for _ in range(3):
            self.once(row)
        profiler = cProfile.Profile()

        @contextlib.contextmanager
        def profiling():
            profiler.enable()
            yield
            profiler.disable()

        for _ in range(runs):
            self.once(row, profiling)
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if record.name == "peewee":  # statements; not the pool's messages (peewee.pool)
            self.count += 1


def run(url: str, runs: int) -> list[dict]:
    bench = Bench(url)
    results = [bench.measure(row, runs) for row in bench.rows()]
    db.close_all()
    return results


def count_rows(url: str) -> dict:
    """How large the data behind the figures is."""
    from wir.models import Document, Person, Ticket, Unit

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}, instance_path=str(BENCH_INSTANCE))
    with app.app_context():
        counts = {model.__name__: model.select(fn.COUNT(model.id)).scalar()
                  for model in (Person, Unit, Ticket, Document, SavingsTransaction)}
    db.close_all()
    return counts
