"""Property tests of the ERP import: arbitrary bytes and arbitrary rows never raise (no server error) and never
leave a partial write: either the report is clean and the import happened, or the database is as before."""

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_erp_import import EXAMPLE, counts
from wir.demo.tables import COOPERATIVES
from wir.models import Contract, Cooperative, ErpImport
from wir.services import erp_import
from wir.services.erp_import import BY_FILE

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# cells as an ERP, a person at Excel or an attacker might write them
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "E-1", "P-1", "V-1", "S-1", "01.04.2015", "2015-04-01", "31.02.2023", "1.234,56", "1.234",
                     "-0,00", "NaN", "Infinity", "1e9999", "Wohnung", "Mietvertrag", "Hauptmieter", "Einzahlung",
                     "DE89370400440532013000", "47159362482", "\x00", '"', "=1+1", "<script>alert(1)</script>",
                     "Łukasz Żółć", "x" * 300]),
)


@pytest.fixture
def lipsia(empty_app):
    with empty_app.app_context():
        yield Cooperative.create(**COOPERATIVES[0])


def _import(files: dict[str, bytes], cooperative):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, content in files.items():
            path = Path(folder) / name
            path.write_bytes(content)
            paths.append(path)
        return erp_import.import_files(paths, cooperative)


def _example(**replaced: bytes) -> dict[str, bytes]:
    files = {path.name: path.read_bytes() for path in EXAMPLE.glob("*.csv")}
    return {**files, **replaced}


def _all_or_nothing(before: dict, report) -> None:
    if report.ok:
        assert counts() != before or report.unchanged
    else:
        assert counts() == before, report.errors[:3]


@FUZZ
@given(name=st.sampled_from(sorted(BY_FILE)), content=st.binary(max_size=3000))
def test_arbitrary_bytes_in_any_file(lipsia, name, content):
    before = counts()
    record, report = _import(_example(**{name: content}), lipsia)
    _all_or_nothing(before, report)
    assert record.status == ("done" if report.ok else "failed")


@FUZZ
@given(name=st.sampled_from(sorted(BY_FILE)), rows=st.lists(st.lists(cells, min_size=0, max_size=18), max_size=8),
       separator=st.sampled_from([";", ","]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_arbitrary_rows_after_a_real_header(lipsia, name, rows, separator, encoding):
    header = separator.join(column.name for column in BY_FILE[name].columns)
    text = "\n".join([header] + [separator.join(row) for row in rows]) + "\n"
    before = counts()
    _, report = _import(_example(**{name: text.encode(encoding, errors="replace")}), lipsia)
    _all_or_nothing(before, report)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=18, max_size=18), min_size=1, max_size=5))
def test_arbitrary_rows_after_a_clean_import_change_all_or_nothing(lipsia, rows):
    if not ErpImport.select().where(ErpImport.status == "done").exists():
        assert _import(_example(), lipsia)[1].ok
    header = ";".join(column.name for column in BY_FILE["vertraege.csv"].columns)
    kept = (EXAMPLE / "vertraege.csv").read_text(encoding="utf-8").splitlines()[1:]
    text = "\n".join([header] + kept + [";".join(row[:16]) for row in rows]) + "\n"
    before = counts()
    snapshot = sorted(map(str, Contract.select().tuples()))
    _, report = _import(_example(**{"vertraege.csv": text.encode()}), lipsia)
    if not report.ok:
        assert counts() == before and sorted(map(str, Contract.select().tuples())) == snapshot


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=2000), name=st.sampled_from(["personen.csv", "export.zip", "x.csv", "../a.csv"]))
def test_arbitrary_uploads_never_cause_a_server_error(client, auth, data, content, name):
    if not client.get("/intern/import").status_code == 200:
        auth.login_with_code(auth.logins["admin"])
    before = counts()
    response = client.post("/intern/import", data={
        "csrf_token": auth.csrf_token(), "cooperative": str(Cooperative.get(Cooperative.slug == "lipsia").id),
        "files": [(io.BytesIO(content), name)]}, content_type="multipart/form-data")
    assert response.status_code in (303, 422), response.status_code
    record = ErpImport.select().order_by(ErpImport.id.desc()).first()
    if response.status_code == 303 and record.status != "done":
        assert counts() == before
