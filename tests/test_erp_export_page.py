"""The admin page Export ins ERP (/intern/export): what waits, „Jetzt exportieren“, the runs with their ZIP and
„Als übernommen markieren“, the connector's tokens; admins only; with and without htmx; its statements do not
grow with the number of runs and changes."""

import io
import zipfile

import pytest

from tests.helpers import htmx, main_of
from wir import clock, db
from wir.models import AuditLog, Cooperative, ErpChange, ErpExportRun, ErpToken
from wir.services.erp_export import changes, kinds, runs, tokens

PAGE = "/intern/export"
IBAN = "DE02120300000000202051"
TAX_ID = "86095742719"


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def bank_change(slug: str = "lipsia", key: str | None = "MV-1001-0101", label: str = "Vertrag MV-1001-0101"):
    """A waiting change whose row holds a full IBAN (the page must never show it)."""
    row = {column: "" for column in kinds.KINDS["bank_account"].columns}
    row.update({"IBAN": IBAN, "Kontoinhaber": "Erika Beispiel", "Vertragsnummer": "MV-1001-0101"})
    with db.write_transaction():
        return changes.record("bank_account", "new", cooperative=cooperative(slug), by=None, erp_key=key,
                              label=label, row=row)


def exemption_change(slug: str = "lipsia"):
    row = {column: "" for column in kinds.KINDS["exemption_order"].columns}
    row.update({"Steuer-ID": TAX_ID, "Betrag": "1.000,00"})
    with db.write_transaction():
        return changes.record("exemption_order", "new", cooperative=cooperative(slug), by=None, erp_key="10001",
                              label="Person 10001 Erika Beispiel", row=row)


@pytest.fixture
def admin(auth):
    auth.login_with_code(auth.logins["admin"])
    return auth


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_is_for_admins_only(client, auth, data):
    # anonymous: the internal area does not exist for them (wir.security._hide_staff_area), as for a tenant
    assert client.get(PAGE).status_code == 404
    auth.login_as("juergen")
    assert client.get(PAGE).status_code == 404
    auth.logout()
    auth.login_staff(0)
    assert client.get(PAGE).status_code == 404
    assert client.get(f"{PAGE}?genossenschaft=lipsia").status_code == 404


def test_the_page_shows_what_waits_without_ibans_or_tax_ids(client, admin, data):
    before = runs.waiting(cooperative("lipsia"))
    bank_change()
    exemption_change()
    bank_change(key=None, label="Vertrag ohne Schlüssel")
    response = client.get(f"{PAGE}?genossenschaft=lipsia")
    assert response.status_code == 200
    page = main_of(text_of(response))
    for kind in kinds.KINDS.values():
        assert kind.title in page
    assert "Jetzt exportieren" in page and "Token erstellen" in page
    assert "vollständige IBAN und Steuer-IDs" in page and "30 Tage nach der Markierung" in page
    assert runs.waiting(cooperative("lipsia"))["bank_account"] == before["bank_account"] + 2
    changes_page = main_of(text_of(client.get(f"{PAGE}/aenderungen?genossenschaft=lipsia")))
    assert "Vertrag MV-1001-0101" in changes_page and "Vertrag ohne Schlüssel" in changes_page
    assert "ohne Schlüssel: steht im Bericht" in changes_page
    for shown in (page, changes_page):
        assert IBAN not in shown and TAX_ID not in shown and "DE02 1203" not in shown
    # the other cooperative's page does not list Lipsia's changes
    elsteraue = main_of(text_of(client.get(f"{PAGE}/aenderungen?genossenschaft=elsteraue")))
    assert "Vertrag MV-1001-0101" not in elsteraue
    assert client.get(f"{PAGE}?genossenschaft=nirgendwo").status_code == 404


@pytest.mark.parametrize("with_htmx", [False, True])
def test_export_download_and_acknowledge(client, admin, data, with_htmx):
    lipsia = cooperative("lipsia")
    bank_change()
    headers = htmx(admin) if with_htmx else {}
    token = {} if with_htmx else {"csrf_token": admin.csrf_token()}
    response = client.post(f"{PAGE}/lipsia/exportieren", data=token, headers=headers)
    if with_htmx:
        assert response.status_code == 204 and response.headers["HX-Location"] == f"{PAGE}?genossenschaft=lipsia"
    else:
        assert response.status_code == 303 and response.headers["Location"] == f"{PAGE}?genossenschaft=lipsia"
    run = runs.runs(lipsia).first()
    assert run.via == "admin" and run.created_by.role == "admin"
    page = text_of(client.get(f"{PAGE}?genossenschaft=lipsia"))
    assert f"Exportlauf {run.number} ist erstellt" in page
    assert f"/intern/export/lipsia/{run.number}.zip" in page and "Als übernommen markieren" in page

    download = client.get(f"{PAGE}/lipsia/{run.number}.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    assert runs.archive_name(run) in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert "bankverbindungen.csv" in archive.namelist()
        assert IBAN in archive.read("bankverbindungen.csv").decode("utf-8-sig")
    downloaded = AuditLog.select().where(AuditLog.action == "erp_export.downloaded").order_by(AuditLog.id.desc()).first()
    assert downloaded.user.role == "admin" and IBAN not in downloaded.detail

    confirm = client.get(f"{PAGE}/lipsia/{run.number}/uebernommen")
    assert confirm.status_code == 200 and "Ja, als übernommen markieren" in text_of(confirm)
    assert ErpExportRun.get_by_id(run.id).acknowledged_at is None  # asking is not doing
    response = client.post(f"{PAGE}/lipsia/{run.number}/uebernommen", data=token, headers=headers)
    assert response.status_code == (204 if with_htmx else 303)
    acknowledged = ErpExportRun.get_by_id(run.id)
    assert acknowledged.acknowledged_at is not None and acknowledged.acknowledged_via == "admin"
    page = main_of(text_of(client.get(f"{PAGE}?genossenschaft=lipsia")))
    assert "als vom ERP übernommen markiert" in page and "Portal-Administration" in page
    assert ErpChange.select().where((ErpChange.cooperative == lipsia) & ErpChange.acknowledged_run.is_null()
                                    & (ErpChange.first_run <= run.id)).count() == 0


def test_acknowledging_while_an_export_is_written_is_refused_with_a_message(client, admin, data):
    lipsia = cooperative("lipsia")
    bank_change()
    run = runs.export(lipsia, by=None, via="cli")
    bank_change(key="MV-1001-0102")
    runs._claim(lipsia, None, "api")  # the ERP's export is being written
    response = client.post(f"{PAGE}/lipsia/{run.number}/uebernommen", data={"csrf_token": admin.csrf_token()},
                           follow_redirects=True)
    assert response.status_code == 200
    assert (f"Gerade wird ein Export dieser Genossenschaft erstellt. Exportlauf {run.number} lässt sich danach als "
            "übernommen markieren; bitte versuchen Sie es in einer Minute erneut.") in text_of(response)
    assert ErpExportRun.get_by_id(run.id).acknowledged_at is None


def test_nothing_waiting_makes_no_run_and_says_so(client, admin, data):
    lipsia = cooperative("lipsia")
    if runs.export(lipsia, by=None, via="cli"):  # whatever the demo left waiting
        runs.acknowledge(lipsia, runs.runs(lipsia).first().number, by=None, via="cli")
    count = runs.runs(lipsia).count()
    response = client.post(f"{PAGE}/lipsia/exportieren", data={"csrf_token": admin.csrf_token()},
                           follow_redirects=True)
    assert "Es wartet keine Änderung auf den Export" in text_of(response)
    assert runs.runs(lipsia).count() == count


def test_removed_files_are_said_on_the_page_and_not_sent(client, admin, data):
    lipsia = cooperative("lipsia")
    bank_change()
    run = runs.export(lipsia, by=None, via="cli")
    runs.acknowledge(lipsia, run.number, by=None, via="cli")
    runs.purge_expired(30, now=clock.now().replace(year=clock.now().year + 1))
    page = text_of(client.get(f"{PAGE}?genossenschaft=lipsia"))
    assert "Dateien gelöscht am" in page
    response = client.get(f"{PAGE}/lipsia/{run.number}.zip")
    assert response.status_code == 410 and "gelöscht" in text_of(response)


def test_unknown_and_foreign_runs_are_not_found(client, admin, data):
    bank_change("elsteraue", key="MV-2001", label="Vertrag MV-2001")
    foreign = runs.export(cooperative("elsteraue"), by=None, via="cli")
    assert runs.run_of(cooperative("lipsia"), foreign.number) is None
    assert client.get(f"{PAGE}/lipsia/{foreign.number}.zip").status_code == 404
    assert client.get(f"{PAGE}/lipsia/{foreign.number}/uebernommen").status_code == 404
    response = client.post(f"{PAGE}/lipsia/{foreign.number}/uebernommen", data={"csrf_token": admin.csrf_token()})
    assert response.status_code == 404
    assert ErpExportRun.get_by_id(foreign.id).acknowledged_at is None
    assert client.get(f"{PAGE}/nirgendwo/{foreign.number}.zip").status_code == 404


@pytest.mark.parametrize("with_htmx", [False, True])
def test_a_token_is_shown_once_and_revoked(client, admin, data, with_htmx):
    headers = htmx(admin, target="export-tokens") if with_htmx else {}
    response = client.post(f"{PAGE}/lipsia/tokens", data={"csrf_token": admin.csrf_token(), "name": "Connector Wodis"},
                           headers=headers)
    assert response.status_code == 200
    html = text_of(response)
    token = ErpToken.get(ErpToken.name == "Connector Wodis")
    plain = html.split('id="new-token" type="text" value="', 1)[1].split('"', 1)[0]
    assert tokens.authenticate(plain).id == token.id and token.cooperative.slug == "lipsia"
    assert "nur dieses eine Mal angezeigt" in html
    if with_htmx:
        assert "<main" not in html and 'id="export-status" hx-swap-oob="innerHTML"' in html
    else:
        assert "<main" in html
    # shown once: the page does not show it again
    assert plain not in text_of(client.get(f"{PAGE}?genossenschaft=lipsia"))
    audit = AuditLog.get(AuditLog.action == "erp_token.created")
    assert plain not in audit.detail

    revoke_headers = htmx(admin) if with_htmx else {}
    response = client.post(f"{PAGE}/lipsia/tokens/{token.id}/widerrufen", data={"csrf_token": admin.csrf_token()},
                           headers=revoke_headers)
    assert response.status_code == (204 if with_htmx else 303)
    assert ErpToken.get_by_id(token.id).revoked_at is not None and tokens.authenticate(plain) is None
    assert "widerrufen am" in text_of(client.get(f"{PAGE}?genossenschaft=lipsia"))
    # Elsteraue's page cannot revoke Lipsia's token: not found
    other = tokens.create(cooperative("lipsia"), "Zweiter", by=None)[0]
    response = client.post(f"{PAGE}/elsteraue/tokens/{other.id}/widerrufen", data={"csrf_token": admin.csrf_token()})
    assert response.status_code == 404 and ErpToken.get_by_id(other.id).revoked_at is None


@pytest.mark.parametrize("name, message", [
    ("", "Bitte geben Sie dem Token einen Namen"),
    ("   ", "Bitte geben Sie dem Token einen Namen"),
    ("x" * 101, "Höchstens 100 Zeichen"),
])
@pytest.mark.parametrize("with_htmx", [False, True])
def test_a_bad_token_name_is_refused_next_to_the_field(client, admin, data, name, message, with_htmx):
    headers = htmx(admin, target="export-tokens") if with_htmx else {}
    response = client.post(f"{PAGE}/lipsia/tokens", data={"csrf_token": admin.csrf_token(), "name": name},
                           headers=headers)
    assert response.status_code == 422
    html = text_of(response)
    assert message in html and 'id="name-error"' in html
    assert ErpToken.select().count() == 0


def test_the_page_runs_the_same_statements_with_more_runs_and_changes(client, admin, data, count_queries):
    lipsia = cooperative("lipsia")
    url = f"{PAGE}?genossenschaft=lipsia"
    admin_user = AuditLog.select().where(AuditLog.action == "login.succeeded").order_by(AuditLog.id.desc()).first().user
    bank_change()
    runs.export(lipsia, by=admin_user, via="admin")
    tokens.create(lipsia, "Eins", by=admin_user)

    def statements() -> int:
        client.get(url)
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    few = statements()
    for round_ in range(25):
        bank_change(label=f"Vertrag {round_}")
        exemption_change()
        run = runs.export(lipsia, by=admin_user, via="admin")
        if round_ % 2:
            runs.acknowledge(lipsia, run.number, by=admin_user, via="admin")
        tokens.create(lipsia, f"Token {round_}", by=admin_user)
    assert statements() == few
    changes_url = f"{PAGE}/aenderungen?genossenschaft=lipsia"
    client.get(changes_url)
    with count_queries() as queries:
        client.get(changes_url)
    for _ in range(30):
        bank_change()
    with count_queries() as more:
        client.get(changes_url)
    assert more.count == queries.count
