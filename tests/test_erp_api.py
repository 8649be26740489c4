"""The ERP connector's API /erp/v1 (blueprints/erp_api): the token matrix (none, wrong, revoked, another
cooperative's, a clerk's or tenant's session → 401 or 404, never data), download and acknowledgement, no cookie,
no CSRF, HTTPS only outside development, the rate limit, every use audited, and the token reaching nothing else."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from peewee import fn

from wir import clock, db
from wir.models import AuditLog, Cooperative, ErpChange, ErpExportRun, ErpToken
from wir.services.erp_export import changes, kinds, runs, tokens

LATEST = "/erp/v1/export/latest.zip"


@pytest.fixture
def data(data):
    """The demo's own waiting changes (its tenants' registrations, wir.demo) count as taken over by the ERP: a test
    sees only the changes it makes."""
    ErpChange.delete().execute()
    return data


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def waiting_change(slug: str = "lipsia", key: str = "10001", label: str = "Person 10001 Erika Beispiel") -> ErpChange:
    """One contact-data change of ``slug`` that waits for the ERP."""
    row = {column: "" for column in kinds.KINDS["contact_data"].columns}
    row["E-Mail"] = "erika@example.org"
    with db.write_transaction():
        return changes.record("contact_data", "changed", cooperative=cooperative(slug), by=None, erp_key=key,
                              label=label, row=row)


def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def token(app, data):
    """A token of Lipsia: (row, text)."""
    return tokens.create(cooperative("lipsia"), "Connector Wodis", by=None)


def archive_files(content: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return set(archive.namelist())


def change_ids(content: bytes) -> set[int]:
    """The changes a run's ZIP holds: the column Änderung of every file, the report's too."""
    found = set()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            header, *rows = csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""),
                                       delimiter=";")
            assert header[0] == "Änderung", name
            found |= {int(row[0]) for row in rows}
    return found


def test_latest_makes_a_run_the_connector_downloads_and_acknowledges(client, data, token):
    _, plain = token
    waiting_change()
    response = client.get(LATEST, headers=bearer(plain))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    number = int(response.headers["X-WIR-Exportlauf"])
    assert f"wir-export-lipsia-{number:04d}.zip" in response.headers["Content-Disposition"]
    assert "kontaktdaten.csv" in archive_files(response.data)
    assert "Set-Cookie" not in response.headers

    # asked again before the ack: the same run, not a new one
    again = client.get(LATEST, headers=bearer(plain))
    assert again.headers["X-WIR-Exportlauf"] == str(number) and again.data == response.data
    by_number = client.get(f"/erp/v1/export/{number}.zip", headers=bearer(plain))
    assert by_number.status_code == 200 and by_number.data == response.data

    ack = client.post(f"/erp/v1/export/{number}/ack", headers=bearer(plain))  # no CSRF token needed
    assert ack.status_code == 200 and ack.mimetype == "text/plain"
    assert f"Exportlauf {number} übernommen" in ack.get_data(as_text=True)
    assert ErpExportRun.get(ErpExportRun.cooperative == cooperative("lipsia"), ErpExportRun.number == number) \
        .acknowledged_via == "api"
    assert client.post(f"/erp/v1/export/{number}/ack", headers=bearer(plain)).status_code == 200  # harmless twice

    # nothing waits and no run is open: 204, no body
    nothing = client.get(LATEST, headers=bearer(plain))
    assert nothing.status_code == 204 and nothing.data == b""

    actions = [entry.action for entry in AuditLog.select().order_by(AuditLog.id)]
    assert actions.count("erp_export.downloaded") == 3
    assert actions.count("erp_token.used") == 6  # one per request
    assert ErpToken.get_by_id(token[0].id).last_used_at is not None
    every_entry = " ".join(f"{e.action} {e.detail}" for e in AuditLog.select())
    assert plain not in every_entry and plain[4:] not in every_entry


def test_unknown_and_foreign_runs_are_not_found(client, data, token):
    _, plain = token
    theirs = waiting_change("elsteraue", key="20001", label="Person 20001")
    foreign = runs.export(cooperative("elsteraue"), by=None, via="cli")
    assert runs.run_of(cooperative("lipsia"), foreign.number) is None  # Lipsia has no run of that number
    assert client.get(f"/erp/v1/export/{foreign.number}.zip", headers=bearer(plain)).status_code == 404
    assert client.post(f"/erp/v1/export/{foreign.number}/ack", headers=bearer(plain)).status_code == 404
    assert ErpExportRun.get_by_id(foreign.id).acknowledged_at is None
    assert client.get("/erp/v1/export/999999.zip", headers=bearer(plain)).status_code == 404
    assert client.post("/erp/v1/export/999999/ack", headers=bearer(plain)).status_code == 404
    # Lipsia's latest holds Lipsia's change and nothing of Elsteraue
    mine = waiting_change()
    response = client.get(LATEST, headers=bearer(plain))
    assert response.status_code == 200
    assert "wir-export-lipsia-" in response.headers["Content-Disposition"]
    assert change_ids(response.data) == {mine.id} and theirs.id not in change_ids(response.data)
    # and Lipsia's token never acknowledged Elsteraue's change
    assert ErpChange.get_by_id(theirs.id).acknowledged_run_id is None


def test_an_acknowledgement_while_an_export_is_written_is_told_to_come_again(client, data, token):
    _, plain = token
    waiting_change()
    run = runs.export(cooperative("lipsia"), by=None, via="cli")
    waiting_change(key="10002", label="Person 10002")
    runs._claim(cooperative("lipsia"), None, "admin")  # an admin's export is being written
    # latest.zip meanwhile: the finished run 1 (run 2 is no run yet) ...
    served = client.get(LATEST, headers=bearer(plain))
    assert served.status_code == 200 and served.headers["X-WIR-Exportlauf"] == str(run.number)
    # ... or, when a change waits that no run holds, it would make a run: busy as well
    waiting_change(key="10003", label="Person 10003")
    for response in (client.post(f"/erp/v1/export/{run.number}/ack", headers=bearer(plain)),
                     client.get(LATEST, headers=bearer(plain))):
        assert response.status_code == 503 and response.headers["Retry-After"] == "60"
        assert "export in progress" in response.get_data(as_text=True)
    assert ErpExportRun.get_by_id(run.id).acknowledged_at is None


def test_every_use_of_a_valid_token_is_audited_whatever_the_answer(client, data, token):
    row, plain = token
    lipsia = cooperative("lipsia")
    waiting_change()
    removed = runs.export(lipsia, by=None, via="cli")
    runs.acknowledge(lipsia, removed.number, by=None, via="cli")
    runs.purge_expired(0, now=clock.now() + timedelta(days=1))
    waiting_change(key="10002", label="Person 10002")
    waiting = runs.export(lipsia, by=None, via="cli")
    waiting_change(key="10003", label="Person 10003")
    runs._claim(lipsia, None, "admin")  # an admin's export is being written
    waiting_change(key="10004", label="Person 10004")  # and latest.zip would make a run
    before = AuditLog.select(fn.MAX(AuditLog.id)).scalar()

    answers = [client.get(f"/erp/v1/export/{removed.number}.zip", headers=bearer(plain)),
               client.get("/erp/v1/export/999.zip", headers=bearer(plain)),
               client.post("/erp/v1/export/999/ack", headers=bearer(plain)),
               client.post(f"/erp/v1/export/{waiting.number}/ack", headers=bearer(plain)),
               client.get(LATEST, headers=bearer(plain)),
               client.get(LATEST, headers=bearer("wir_" + "A" * 43))]  # no valid token: nothing to name
    assert [answer.status_code for answer in answers] == [410, 404, 404, 503, 503, 401]
    entries = list(AuditLog.select().where(AuditLog.id > before).order_by(AuditLog.id))
    assert [(entry.action, entry.object_id, entry.cooperative_id, entry.user_id) for entry in entries] == [
        ("erp_token.used", str(row.id), lipsia.id, None)] * 5
    assert [entry.detail for entry in entries] == [
        f"„Connector Wodis“: Exportlauf {removed.number} abgerufen, Dateien gelöscht (410)",
        "„Connector Wodis“: Exportlauf 999 abgerufen, gibt es nicht (404)",
        "„Connector Wodis“: Exportlauf 999 als übernommen gemeldet, gibt es nicht (404)",
        f"„Connector Wodis“: Exportlauf {waiting.number} als übernommen gemeldet, Export läuft gerade (503)",
        "„Connector Wodis“: neuesten Exportlauf abgerufen, Export läuft gerade (503)",
    ]


def _requests(number: int):
    return [("GET", LATEST), ("GET", f"/erp/v1/export/{number}.zip"), ("POST", f"/erp/v1/export/{number}/ack")]


@pytest.mark.parametrize("who", ["none", "wrong", "revoked", "other_cooperative", "clerk", "tenant", "not_bearer"])
def test_the_token_matrix_never_gives_data(client, auth, data, token, who):
    _, plain = token
    mine = waiting_change()
    runs.export(cooperative("lipsia"), by=None, via="cli")
    run = runs.export(cooperative("lipsia"), by=None, via="cli")  # Lipsia's run 2: Elsteraue has none
    headers = {}
    if who == "wrong":
        headers = bearer("wir_" + "A" * 43)
    elif who == "revoked":
        tokens.revoke(cooperative("lipsia"), token[0].id, by=None)
        headers = bearer(plain)
    elif who == "other_cooperative":
        headers = bearer(tokens.create(cooperative("elsteraue"), "Connector", by=None)[1])
        theirs = waiting_change("elsteraue", key="20001", label="Person 20001")
        assert runs.export(cooperative("elsteraue"), by=None, via="cli").number == 1
    elif who == "clerk":
        auth.login_staff(0)
    elif who == "tenant":
        auth.login_as("juergen")
    elif who == "not_bearer":
        headers = {"Authorization": f"Basic {plain}"}
    for method, url in _requests(run.number):
        response = client.open(url, method=method, headers=headers, data={"csrf_token": auth.csrf_token()})
        expected = 404 if who == "other_cooperative" and url != LATEST else 401
        if who == "other_cooperative" and url == LATEST:
            # Elsteraue's token gets Elsteraue's latest, never Lipsia's run or change
            assert response.status_code == 200
            assert "wir-export-elsteraue-" in response.headers["Content-Disposition"]
            assert change_ids(response.data) == {theirs.id} and mine.id not in change_ids(response.data)
            continue
        assert response.status_code == expected, (who, method, url, response.status_code)
        assert response.mimetype == "text/plain"
        assert b"PK" not in response.data[:2]
        if expected == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ErpExportRun.get_by_id(run.id).acknowledged_at is None


def test_no_answer_is_cached(app, client, data, token):
    """Every answer below /erp/, with data or without, refused or not, says no-store (the runs hold full IBANs)."""
    _, plain = token
    waiting_change()
    answers = [client.get(LATEST, headers=bearer(plain)),  # 200, a new run
               client.get("/erp/v1/export/1.zip", headers=bearer(plain)),  # 200
               client.post("/erp/v1/export/1/ack", headers=bearer(plain)),  # 200
               client.get(LATEST, headers=bearer(plain)),  # 204
               client.get("/erp/v1/export/999.zip", headers=bearer(plain)),  # 404
               client.get(LATEST),  # 401
               client.put(LATEST, headers=bearer(plain)),  # 405, the portal's page: no route of the API took it
               client.get("/erp/v1/nichts", headers=bearer(plain))]  # 404, likewise
    assert [answer.status_code for answer in answers] == [200, 200, 200, 204, 404, 401, 405, 404]
    app.config["RATELIMIT_ERP_API"] = "1 per minute"
    answers += [client.get(LATEST, headers=bearer(plain)) for _ in range(2)]
    assert [answer.status_code for answer in answers[-2:]] == [204, 429]
    app.config.update(TESTING=False, DEVELOPMENT=False)
    answers.append(client.get(LATEST, headers=bearer(plain)))
    assert answers[-1].status_code == 403
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store", answer.status_code
        assert "Set-Cookie" not in answer.headers, answer.status_code


def test_a_token_signs_nobody_in_anywhere_else(client, data, token):
    _, plain = token
    for path in ("/intern/", "/intern/export", "/", "/meldungen", "/konto/kontaktdaten"):
        response = client.get(path, headers=bearer(plain))
        assert response.status_code in (302, 303, 404), (path, response.status_code)
        assert response.status_code == 404 or "/anmelden" in response.headers["Location"]


def test_no_session_cookie_is_read_or_set(client, auth, data, token):
    """A signed-in admin's session does not reach the API, and the API's answers carry no cookie."""
    _, plain = token
    auth.login_with_code(auth.logins["admin"])
    assert client.get(LATEST).status_code == 401
    response = client.get(LATEST, headers=bearer(plain))
    assert response.status_code == 204  # nothing waits
    assert "Set-Cookie" not in response.headers


def test_plain_http_is_refused_outside_development(app, client, data, token):
    _, plain = token
    app.config.update(TESTING=False, DEVELOPMENT=False)
    refused = client.get(LATEST, headers=bearer(plain))
    assert refused.status_code == 403 and "HTTPS" in refused.get_data(as_text=True)
    assert client.get(LATEST, headers=bearer(plain), base_url="https://localhost").status_code == 204
    app.config.update(DEVELOPMENT=True)
    assert client.get(LATEST, headers=bearer(plain)).status_code == 204


def test_the_api_is_rate_limited_before_the_token_is_checked(client, data):
    statuses = [client.get(LATEST, headers=bearer("wir_guess")).status_code for _ in range(61)]
    assert statuses[:60] == [401] * 60
    assert statuses[60] == 429


def test_the_rate_limit_is_a_setting(app, client, data, token):
    app.config["RATELIMIT_ERP_API"] = "3 per minute; 100 per day"
    statuses = [client.get(LATEST, headers=bearer(token[1])).status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]


def test_export_token_command(runner, data):
    made = runner.invoke(args=["export-token", "--cooperative", "lipsia", "--name", "Connector Wodis"])
    assert made.exit_code == 0, made.output
    plain = made.stdout.strip().splitlines()[-1]
    found = tokens.authenticate(plain)
    assert found is not None and found.name == "Connector Wodis" and found.cooperative.slug == "lipsia"
    assert ErpToken.get_by_id(found.id).token_hash != plain and plain not in ErpToken.get_by_id(found.id).token_hash
    listed = runner.invoke(args=["export-token", "--cooperative", "lipsia", "--list"])
    assert "Connector Wodis" in listed.output and plain not in listed.output
    revoked = runner.invoke(args=["export-token", "--cooperative", "lipsia", "--revoke", str(found.id)])
    assert revoked.exit_code == 0 and "widerrufen" in revoked.output
    assert tokens.authenticate(plain) is None
    # another cooperative's token id is unknown there
    other = runner.invoke(args=["export-token", "--cooperative", "elsteraue", "--revoke", str(found.id)])
    assert other.exit_code != 0
    unknown = runner.invoke(args=["export-token", "--cooperative", "nirgendwo"])
    assert unknown.exit_code != 0 and "nirgendwo" in unknown.output
    empty = runner.invoke(args=["export-token", "--cooperative", "lipsia", "--name", "  "])
    assert empty.exit_code != 0 and "Namen" in empty.output


def test_tokens_are_stored_hashed_and_shown_once(data):
    token, plain = tokens.create(cooperative("lipsia"), "Connector", by=None)
    assert plain.startswith("wir_") and len(plain) > 40
    assert token.token_hash != plain and len(token.token_hash) == 64
    assert tokens.authenticate(plain).id == token.id
    assert tokens.authenticate(plain + "x") is None and tokens.authenticate("") is None
    assert tokens.authenticate(None) is None
    assert tokens.revoke(cooperative("elsteraue"), token.id, by=None) is None  # not Elsteraue's
    assert tokens.authenticate(plain) is not None


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648", "2147483647", "0", "-1"])
def test_run_numbers_no_run_can_have_are_not_found(client, data, token, number):
    _, plain = token
    assert client.get(f"/erp/v1/export/{number}.zip", headers=bearer(plain)).status_code == 404
    assert client.post(f"/erp/v1/export/{number}/ack", headers=bearer(plain)).status_code == 404
