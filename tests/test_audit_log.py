"""Protokoll: only admins reach it (staff, tenants and anonymous users get 404); filters by actor, person, action
and period with their messages (a day outside 2000–2999 too); pages cut at a position (every entry once, constant
queries for 3 and 3,000 entries); the CSV for German Excel, audited only once it is made; every action recorded
anywhere in wir/ has a German label, shown instead of its key; and what the demo and the staff actions write never
holds a password, a token or a full IBAN."""

import ast
import codecs
import csv
import importlib
import io
import mimetypes
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from peewee import SQL

import wir
from tests.helpers import AuthActions, demo_tenant, htmx
from wir import clock
from wir.models import (
    AuditLog,
    BankAccount,
    Contract,
    OutboxMail,
    Person,
    User,
)
from wir.services.staff import audit_log

LOG = "/intern/protokoll"
CSV_URL = "/intern/protokoll.csv"
ROW_TIME = re.compile(r'<th scope="row" class="queue__number">([^<]+)</th>')
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def person(first_name: str) -> Person:
    return Person.get(Person.first_name == first_name)


def rows(response) -> int:
    return len(ROW_TIME.findall(response.get_data(as_text=True)))


def entry_ids(response) -> list[str]:
    return re.findall(r'<td data-label="Angaben" class="audit-log__detail">eintrag-(\d+)</td>', response.get_data(as_text=True))


@pytest.fixture
def admin(auth, data):
    auth.login_with_code(auth.logins["admin"])
    return User.get(User.email == auth.logins["admin"]["email"])


def add_entries(count: int, at: datetime | None = None, **fields) -> None:
    start = at or clock.now()
    rows_ = [dict(at=start - timedelta(minutes=i), action=fields.get("action", "test.entry"), object_type="",
                  object_id="", detail=f"eintrag-{i}", ip="") for i in range(count)]
    for chunk in range(0, len(rows_), 300):
        AuditLog.insert_many(rows_[chunk:chunk + 300]).execute()


# --- access ---


@pytest.mark.parametrize("who", ["anonymous", "tenant", "staff"])
@pytest.mark.parametrize("url", [LOG, f"{LOG}?aktion=login.succeeded", CSV_URL])
def test_only_admins_reach_the_log(client, auth, data, who, url):
    if who == "tenant":
        auth.login_as("juergen")
    elif who == "staff":
        auth.login_staff(0)
    for headers in ({}, {"HX-Request": "true", "HX-Target": "audit-log"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and "Location" not in response.headers
    assert not AuditLog.select().where(AuditLog.action == "audit_log.exported").exists()


def test_the_admin_sees_the_newest_entries_first(client, admin, data):
    response = client.get(LOG)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Protokoll</h1>" in page and '<td data-label="Aktion">Angemeldet</td>' in page  # the admin's own sign-in, labelled


def test_htmx_gets_the_filter_and_the_table_only(client, auth, admin):
    response = client.get(f"{LOG}?aktion=login.succeeded", headers=htmx(auth, "audit-log"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="audit-log"') and "<html" not in body


# --- filters ---


def test_filter_by_action_actor_and_person(client, auth, data):
    juergen, monika = person("Jürgen"), person("Monika")
    tenant = demo_tenant(auth.logins, "juergen")
    clerk_login = auth.login_staff(0)
    clerk = User.get(User.email == clerk_login["email"])
    client.get(f"/intern/personen/{juergen.id}")
    client.get(f"/intern/personen/{monika.id}")
    auth.logout()
    auth.login_as("juergen")
    auth.logout()
    auth.login_with_code(auth.logins["admin"])

    views = client.get(f"{LOG}?aktion=person.view").get_data(as_text=True)
    assert views.count('<td data-label="Aktion">Person angesehen</td>') == 2
    assert '<td data-label="Aktion">Angemeldet</td>' not in views

    by_clerk = client.get(f"{LOG}", query_string={"wer": clerk.email[:6].upper()}).get_data(as_text=True)
    assert by_clerk.count('<td data-label="Aktion">Person angesehen</td>') == 2
    assert tenant["email"] not in by_clerk
    word = clerk.staff_name.split()[-1]
    assert client.get(LOG, query_string={"wer": word.lower()}).get_data(as_text=True).count('<td data-label="Aktion">Person angesehen</td>') == 2

    about_juergen = client.get(f"{LOG}?person={juergen.number}").get_data(as_text=True)
    assert f'href="/intern/personen/{juergen.id}"' in about_juergen
    assert f'href="/intern/personen/{monika.id}"' not in about_juergen
    assert '<td data-label="Aktion">Angemeldet</td>' in about_juergen  # his own sign-in
    assert auth.logins["admin"]["email"] not in about_juergen  # not the admin's


def test_filter_by_period_in_local_days(client, admin, data):
    AuditLog.delete().execute()
    # 23:30 UTC on 1 March is 00:30 on 2 March in Leipzig
    for at, detail in [(datetime(2026, 3, 1, 22, 30), "eintrag-1"), (datetime(2026, 3, 1, 23, 30), "eintrag-2"),
                       (datetime(2026, 3, 3, 12, 0), "eintrag-3"), (datetime(2026, 3, 4, 0, 0), "eintrag-4")]:
        AuditLog.create(at=at, action="test.entry", detail=detail)
    assert entry_ids(client.get(f"{LOG}?von=2026-03-02&bis=02.03.2026&aktion=test.entry")) == ["2"]
    assert entry_ids(client.get(f"{LOG}?von=02.03.2026&aktion=test.entry")) == ["4", "3", "2"]
    assert entry_ids(client.get(f"{LOG}?bis=2026-03-01&aktion=test.entry")) == ["1"]


@pytest.mark.parametrize("query, field, message", [
    ("von=2026-03-05&bis=2026-03-01", "bis", "Das Ende liegt vor dem Anfang"),
    ("von=31.02.2026", "von", "gültiges Datum"),
    ("bis=<script>", "bis", "gültiges Datum"),
    ("aktion=<script>alert(1)</script>", "aktion", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("wer=" + "x" * 101, "wer", "Höchstens 100 Zeichen."),
    ("person=" + "1" * 21, "person", "Höchstens 20 Zeichen."),
    *[(f"{field}={day}", field, "ein Datum zwischen dem 01.01.2000 und dem 31.12.2999")
      for field in ("von", "bis") for day in ("0001-01-01", "01.01.0001", "1999-12-31", "3000-01-01", "9999-12-31")],
    ("von=10000-01-01", "von", "gültiges Datum"),
])
def test_bad_filters_get_their_message_next_to_the_field(client, admin, query, field, message):
    for url in (f"{LOG}?{query}", f"{CSV_URL}?{query}"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "Content-Disposition" not in response.headers
        assert message in re.search(rf'id="{field}-error">(.*?)</p>', body, re.S).group(1)
        assert "<script>alert" not in body and "<script>" not in body.split('id="audit-log"', 1)[1]
    assert not AuditLog.select().where(AuditLog.action == "audit_log.exported").exists()


def test_the_period_reaches_from_2000_to_2999(client, admin, data):
    AuditLog.delete().execute()
    for at, detail in [(datetime(2000, 1, 1, 12), "eintrag-1"), (datetime(2999, 12, 31, 12), "eintrag-2")]:
        AuditLog.create(at=at, action="test.entry", detail=detail)
    assert entry_ids(client.get(f"{LOG}?von=01.01.2000&bis=2999-12-31&aktion=test.entry")) == ["2", "1"]
    exported = client.get(f"{CSV_URL}?von=2000-01-01&bis=31.12.2999&aktion=test.entry")
    assert [row[7] for row in csv_rows(exported)[1:]] == ["eintrag-2", "eintrag-1"]


def test_control_characters_in_a_filter_are_dropped(client, admin):
    response = client.get(LOG, query_string={"wer": "ad\x00min\x1b"})
    assert response.status_code == 200


# --- pages ---


def test_pages_show_every_entry_once_and_go_back(client, admin, data):
    AuditLog.delete().execute()
    add_entries(120)
    seen, url, pages = [], f"{LOG}?aktion=test.entry", []
    while url:
        response = client.get(url)
        pages.append(url)
        seen += entry_ids(response)
        older = re.search(r'<a href="([^"]+)"[^>]*rel="next">', response.get_data(as_text=True))
        url = older.group(1).replace("&amp;", "&") if older else None
    assert len(pages) == 3 and seen == [str(i) for i in range(120)]
    newer = re.search(r'<a href="([^"]+)"[^>]*rel="prev">', client.get(pages[-1]).get_data(as_text=True))
    assert entry_ids(client.get(newer.group(1).replace("&amp;", "&"))) == [str(i) for i in range(50, 100)]


def test_the_log_runs_as_many_queries_for_3_as_for_3000_entries(client, admin, data, count_queries):
    juergen = person("Jürgen")
    urls = [LOG, f"{LOG}?aktion=test.entry", f"{LOG}?person={juergen.number}&wer=a",
            f"{LOG}?von=2020-01-01&bis=2030-12-31"]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(queries.count)
        older = re.search(r'<a href="([^"]+)"[^>]*rel="next">', client.get(urls[1]).get_data(as_text=True))
        with count_queries() as queries:
            assert client.get(older.group(1).replace("&amp;", "&")).status_code == 200
        counts.append(queries.count)
        return counts

    add_entries(103)
    small = measure()
    add_entries(2900, at=clock.now() - timedelta(days=30))
    big = measure()
    assert small == big, (small, big)


# --- CSV ---


def csv_rows(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_for_german_excel_with_the_filter_and_audited(client, admin, data):
    AuditLog.delete().execute()
    add_entries(3)
    AuditLog.create(action="test.entry", detail="=HYPERLINK(\"http://example.org\")", at=clock.now() - timedelta(days=1))
    response = client.get(f"{CSV_URL}?aktion=test.entry")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="protokoll-\d{4}-\d{2}-\d{2}\.csv"', response.headers["Content-Disposition"])
    table = csv_rows(response)
    assert table[0] == ["Zeitpunkt", "Ausgeführt von", "Genossenschaft", "Aktion", "Aktion (Name)", "Objekt",
                        "Objekt-Nr.", "Angaben", "IP-Adresse"]
    assert [row[7] for row in table[1:]] == ["eintrag-0", "eintrag-1", "eintrag-2", "'=HYPERLINK(\"http://example.org\")"]
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", table[1][0]), table[1][0]
    export = AuditLog.get(AuditLog.action == "audit_log.exported")
    assert export.detail == "aktion=test.entry" and export.user_id == admin.id


def test_an_export_that_fails_leaves_no_entry(client, admin, data, monkeypatch):
    """The export is audited once its query has run, not before: a failing one is an error page, not a file."""
    monkeypatch.setattr(audit_log, "entries", lambda selection: AuditLog.select().where(SQL("no_such_column = 1")))
    response = client.get(CSV_URL)
    assert response.status_code == 500 and "Content-Disposition" not in response.headers
    assert not AuditLog.select().where(AuditLog.action == "audit_log.exported").exists()


def test_nothing_the_demo_and_the_staff_actions_write_holds_a_password_token_or_full_iban(app, client, auth, data):
    """Sign-ins (one wrong), a password reset and a confirmation mail (tokens in the mails), a bank change viewed
    in full by a clerk, person pages and account actions: then the whole log, as page and as CSV."""
    tenant = demo_tenant(auth.logins, "juergen")
    tenant_client = app.test_client()
    tenant_auth = AuthActions(tenant_client, auth.logins)
    tenant_auth.login(tenant["email"], "ein falsches Passwort")
    tenant_auth.login_as("juergen")
    tenant_client.post("/passwort-vergessen", data={"email": tenant["email"], "csrf_token": tenant_auth.csrf_token()})

    monika = person("Monika")
    user = User.create(email="monika.mueller@example.org", password_hash="nicht-benutzt")
    Person.update(user=user).where(Person.id == monika.id).execute()
    contract = Contract.select().where(Contract.cooperative == monika.cooperative_id).order_by(Contract.id).first()
    pending = BankAccount.create(contract=contract, holder="Monika Müller", iban="DE02120300000000202051",
                                 mandate_reference=f"{contract.number}-T", valid_from=contract.start_date,
                                 status="pending")
    auth.login_staff(0)
    client.get(f"/intern/bankverbindungen/{pending.id}")
    client.get(f"/intern/personen/{monika.id}")
    client.post(f"/intern/personen/{monika.id}/bestaetigung", data={"csrf_token": auth.csrf_token(), "version": "1"})
    juergen = person("Jürgen")
    client.post(f"/intern/personen/{juergen.id}/sperren", data={"csrf_token": auth.csrf_token(), "version": "1"})
    auth.logout()
    auth.login_with_code(auth.logins["admin"])

    actions = {entry.action for entry in AuditLog.select()}
    assert {"login.failed", "login.succeeded", "password.reset_requested", "bank_account.viewed", "person.view",
            "person.confirmation_resent", "person.account_blocked"} <= actions
    tokens = [token for mail in OutboxMail.select() for token in re.findall(r"/([A-Za-z0-9_-]{30,})", mail.body_text)]
    assert len(tokens) >= 2  # the reset link and the confirmation link
    passwords = {login["password"] for login in auth.logins["tenants"] + auth.logins["staff"]} | {
        auth.logins["admin"]["password"], "ein falsches Passwort"}
    secrets = {login["totp_secret"] for login in auth.logins["staff"]} | {auth.logins["admin"]["totp_secret"]}
    ibans = {account.iban for account in BankAccount.select()}

    stored = " ".join(f"{e.action} {e.object_type} {e.object_id} {e.detail} {e.ip}" for e in AuditLog.select())
    shown = client.get(LOG).get_data(as_text=True)
    exported = client.get(CSV_URL).get_data(as_text=True)
    assert "IBAN endet auf 2051" in stored and "IBAN endet auf 2051" in exported  # logged, masked
    for text in (stored, shown, exported):
        for secret in [*tokens, *passwords, *secrets, *ibans]:
            assert secret not in text
        assert not IBAN.search(text), IBAN.search(text)
    table = csv_rows(client.get(CSV_URL))
    assert len(table) == 1 + AuditLog.select().count() - 1  # the header and every entry but this export's own


# --- labels ---

EVENT_KEY = re.compile(r"[a-z][a-z_]*(?:\.[a-z][a-z_]*)+")  # e.g. "ticket.attachment.view"
WIR = Path(wir.__file__).parent


def _built_keys(module: str, node: ast.JoinedStr) -> set[str]:
    """The keys of an f-string shaped f"person.{TABLE[name]}": the prefix with each value of the module's TABLE."""
    prefix, part = node.values
    assert isinstance(prefix, ast.Constant) and isinstance(part, ast.FormattedValue) \
        and isinstance(part.value, ast.Subscript) and isinstance(part.value.value, ast.Name), \
        f"{module}: teach this test the action key built at run time by {ast.unparse(node)}"
    return {prefix.value + value for value in getattr(importlib.import_module(module), part.value.value.id).values()}


def recorded_actions(endpoints: set[str]) -> set[str]:
    """Every action key wir/ writes to the audit trail: in each module calling audit.record, every string shaped
    like a key (given to audit.record, to a helper that passes it on, or kept in a variable first), endpoint and
    file names left out, and the keys an f-string builds at run time; not the labels' own table."""
    keys = set()
    for path in WIR.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "audit.record(" not in source:
            continue
        module = ".".join(path.relative_to(WIR.parent).with_suffix("").parts)
        tree = ast.parse(source)
        labels = {id(node) for assign in ast.walk(tree) if isinstance(assign, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "ACTION_LABELS" for t in assign.targets)
                  for node in ast.walk(assign.value)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in labels \
                    and EVENT_KEY.fullmatch(node.value) and node.value not in endpoints \
                    and mimetypes.guess_type(node.value)[0] is None:
                keys.add(node.value)
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "audit.record" and len(node.args) > 1 \
                    and isinstance(node.args[1], ast.JoinedStr):
                keys |= _built_keys(module, node.args[1])
    return keys


def test_every_recorded_action_has_a_german_label(app):
    keys = recorded_actions({rule.endpoint for rule in app.url_map.iter_rules()})
    assert {"ticket.query", "registration_letters.created", "person.account_blocked", "login.locked"} <= keys
    assert not keys - audit_log.ACTION_LABELS.keys(), sorted(keys - audit_log.ACTION_LABELS.keys())


def test_the_page_the_filter_and_the_csv_show_labels_not_keys(client, admin, data):
    AuditLog.delete().execute()
    for i, action in enumerate(sorted(audit_log.ACTION_LABELS)):
        AuditLog.create(at=clock.now() - timedelta(minutes=i), action=action, detail=f"eintrag-{i}")
    pages, url = [], LOG
    while url:  # every page
        pages.append(client.get(url).get_data(as_text=True))
        older = re.search(r'<a href="([^"]+)"[^>]*rel="next">', pages[-1])
        url = older.group(1).replace("&amp;", "&") if older else None
    pages = "".join(pages)
    shown = re.sub(r"<[^>]*>", " ", pages)  # the text a reader sees, not the attributes
    table = csv_rows(client.get(CSV_URL))
    exported = {row[4]: row[3] for row in table[1:]}  # Aktion (Name) → Aktion
    for action, label in audit_log.ACTION_LABELS.items():
        assert f'<td data-label="Aktion">{label}</td>' in pages and f'<option value="{action}">{label}</option>' in pages, label
        assert action not in shown, action
        assert exported[action] == label
