"""Dokumente für Mieter from the staff's side (issue 12): one PDF for a person or contract, the Sammel-Upload with
its preview and one publication, the list of sent documents with their first opening; ZIPs checked for path tricks,
file count and unpacked size; who may see what."""

import io
import re
import struct
import zipfile

import pytest
from pypdf import PdfWriter

from tests.helpers import at_once, deliver, htmx, mail_text, main_of
from wir import db, uploads
from wir.models import (
    AuditLog,
    Contract,
    Document,
    DocumentBatch,
    DocumentBatchFile,
    OutboxMail,
    Person,
    User,
)
from wir.services.staff import staff_documents

NEW = "/intern/dokumente/neu"
BULK = "/intern/dokumente/hochladen"
LIST = "/intern/dokumente"


def pdf_bytes(marker: int = 0) -> bytes:
    """A real PDF; a different ``marker`` gives different content."""
    writer = PdfWriter()
    writer.add_blank_page(595 + marker, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def person(number: str) -> Person:
    return Person.get(Person.number == number)


def contract(number: str) -> Contract:
    return Contract.get(Contract.number == number)


def bulk_form(auth, files, title="Betriebskostenabrechnung 2025", kind="operating_costs_statement", **extra):
    return {"csrf_token": auth.csrf_token(), "kind": kind, "title": title,
            "files": [(io.BytesIO(content), name) for name, content in files], **extra}


def upload_bulk(client, auth, files, **extra):
    return client.post(BULK, data=bulk_form(auth, files, **extra), content_type="multipart/form-data")


def batch_of(response) -> DocumentBatch:
    assert response.status_code == 303, response.get_data(as_text=True)
    key = response.headers["Location"].rsplit("/", 1)[1]
    return DocumentBatch.get(DocumentBatch.key == key)


def files_of(batch) -> dict[str, DocumentBatchFile]:
    return {f.filename: f for f in DocumentBatchFile.select().where(DocumentBatchFile.batch == batch)}


def documents_count() -> int:
    return Document.select().count()


# --- Sammel-Upload ------------------------------------------------------------------------------------------------


def test_bulk_upload_matches_files_by_contract_number_and_publishes_only_after_the_preview(app, client, auth, data,
                                                                                          smtp):
    staff = auth.login_staff(0)  # Lipsia
    before, mails_before = documents_count(), OutboxMail.select().count()
    juergen_bk, gisela_bk, parking = pdf_bytes(1), pdf_bytes(2), pdf_bytes(3)
    response = upload_bulk(client, auth, [
        ("BK2025_MV-1001-0203.pdf", juergen_bk),
        ("bk-2025-mv-1004-0112.pdf", gisela_bk),  # any case, dashes around it
        ("Stellplatz SP-9001-0012.pdf", parking),  # Jürgen's second contract: one mail for both
        ("Abrechnung ohne Nummer.pdf", pdf_bytes(4)),
        ("BK2025_MV-9999-0000.pdf", pdf_bytes(5)),  # no such contract
        ("Kopie von BK2025_MV-1012-0405.pdf", juergen_bk),  # the same content as the first
        ("MV-2003-0001 Teil 1.pdf", pdf_bytes(6)),  # one contract, two different files: which is right?
        ("MV-2003-0001 Teil 2.pdf", pdf_bytes(7)),
        ("BK2025_MG-104711.pdf", PNG),  # a photo named .pdf
        ("BK2025_MG-100385.pdf", b"Dies ist kein PDF, nur Text."),
        ("BK2025_MV-1001-0203_MV-1004-0112.pdf", pdf_bytes(8)),  # two numbers
        ("GA-G-014.pdf", pdf_bytes(9)),  # Elsteraue's contract: unknown in Lipsia
    ])
    batch = batch_of(response)
    files = files_of(batch)
    status = {name: f.status for name, f in files.items()}
    assert status == {
        "BK2025_MV-1001-0203.pdf": "matched",
        "bk-2025-mv-1004-0112.pdf": "matched",
        "Stellplatz SP-9001-0012.pdf": "matched",
        "Abrechnung ohne Nummer.pdf": "unmatched",
        "BK2025_MV-9999-0000.pdf": "unmatched",
        "Kopie von BK2025_MV-1012-0405.pdf": "duplicate",
        "MV-2003-0001 Teil 1.pdf": "duplicate",
        "MV-2003-0001 Teil 2.pdf": "duplicate",
        "BK2025_MG-104711.pdf": "refused",
        "BK2025_MG-100385.pdf": "refused",
        "BK2025_MV-1001-0203_MV-1004-0112.pdf": "unmatched",
        "GA-G-014.pdf": "unmatched",
    }
    assert files["bk-2025-mv-1004-0112.pdf"].contract_id == contract("MV-1004-0112").id
    assert "keine PDF-Datei" in files["BK2025_MG-104711.pdf"].note
    assert "Gleicher Inhalt wie „BK2025_MV-1001-0203.pdf“" in files["Kopie von BK2025_MV-1012-0405.pdf"].note
    assert "2 Dateien für Vertrag MV-2003-0001" in files["MV-2003-0001 Teil 1.pdf"].note
    assert "Mehrere Vertragsnummern" in files["BK2025_MV-1001-0203_MV-1004-0112.pdf"].note
    # nothing published yet
    assert documents_count() == before and OutboxMail.select().count() == mails_before

    preview = client.get(response.headers["Location"])
    page = main_of(preview.get_data(as_text=True))
    assert preview.status_code == 200
    assert "Veröffentlichen (3 Dokumente)" in page and "Nicht veröffentlicht (9)" in page
    assert "Mietvertrag MV-1001-0203" in page and "Keine Vertragsnummer im Dateinamen gefunden." in page

    response = client.post(f"/intern/dokumente/stapel/{batch.key}/veroeffentlichen",
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert "3 Dokumente sind veröffentlicht" in client.get(response.headers["Location"]).get_data(as_text=True)
    published = list(Document.select().where(Document.id.in_(
        [f.document_id for f in DocumentBatchFile.select().where(DocumentBatchFile.batch == batch)
         if f.document_id])))
    assert sorted((d.person.number, d.contract.number) for d in published) == [
        ("100385", "MV-1004-0112"), ("104711", "MV-1001-0203"), ("104711", "SP-9001-0012")]
    assert {d.title for d in published} == {"Betriebskostenabrechnung 2025"}
    assert all(d.read_at is None and d.created_by.email == staff["email"] and d.kind == "operating_costs_statement"
               for d in published)
    assert documents_count() == before + 3

    # each tenant one mail, however many documents; nothing of the content in it
    assert deliver(app) == 2
    by_recipient = {m["To"]: m for m in smtp.messages}
    juergen_mail = by_recipient["juergen.mueller@example.org"]
    assert juergen_mail["Subject"] == "Neue Dokumente im Portal"
    assert "2 neue Dokumente" in mail_text(juergen_mail) and "/dokumente/" in mail_text(juergen_mail)
    assert by_recipient["gisela.weiss@example.com"]["Subject"] == "Neues Dokument im Portal"
    for message in smtp.messages:
        assert "2025" not in mail_text(message) and "MV-1004-0112" not in mail_text(message)

    # publishing twice publishes nothing twice
    again = client.post(f"/intern/dokumente/stapel/{batch.key}/veroeffentlichen", data={"csrf_token": auth.csrf_token()})
    assert again.status_code == 409 and "war schon veröffentlicht" in again.get_data(as_text=True)
    assert documents_count() == before + 3 and deliver(app) == 0
    assert AuditLog.select().where(AuditLog.action == "documents.batch_published").count() == 1

    # the same files once more: already in the portal, so nothing to publish
    second = batch_of(upload_bulk(client, auth, [("BK2025_MV-1001-0203.pdf", juergen_bk)]))
    only = files_of(second)["BK2025_MV-1001-0203.pdf"]
    assert only.status == "duplicate" and "Schon im Portal veröffentlicht" in only.note


def test_the_tenant_finds_a_published_document_marked_new(app, client, auth, data):
    auth.login_staff(0)
    batch = batch_of(upload_bulk(client, auth, [("BK2025_MV-1004-0112.pdf", pdf_bytes(11))]))
    client.post(f"/intern/dokumente/stapel/{batch.key}/veroeffentlichen", data={"csrf_token": auth.csrf_token()})
    document = Document.get(Document.id == files_of(batch)["BK2025_MV-1004-0112.pdf"].document_id)
    auth.logout()
    auth.login_as("gisela")
    inbox = client.get("/dokumente/").get_data(as_text=True)
    assert document.number in inbox and "document--new" in inbox.split(document.number)[0].rsplit("<li", 1)[1]
    assert client.get(f"/dokumente/{document.number}/pdf").status_code == 200
    opened = Document.get_by_id(document.id).read_at
    assert opened is not None
    auth.logout()
    auth.login_staff(1)  # a colleague sees the first opening in the list and in the batch
    row = client.get(f"{LIST}?suche=MV-1004-0112").get_data(as_text=True)
    assert document.number in row and "noch nicht geöffnet" not in row.split(document.number)[1].split("</tr>")[0]
    assert "geöffnet" in client.get(f"/intern/dokumente/stapel/{batch.key}").get_data(as_text=True)


def test_a_zip_is_unpacked_with_its_folders_ignored(client, auth, data):
    auth.login_staff(0)
    archive = zip_of({
        "Abrechnungen 2025/BK2025_MV-1001-0203.pdf": pdf_bytes(21),
        "Abrechnungen 2025/": b"",
        "__MACOSX/Abrechnungen 2025/._BK2025_MV-1001-0203.pdf": b"\x00\x05\x16\x07",
        "BK2025_MV-1004-0112.pdf": pdf_bytes(22),
        "liesmich.txt": b"Hallo",
    })
    batch = batch_of(upload_bulk(client, auth, [("abrechnungen.zip", archive), ("BK2025_MV-1012-0405.pdf", pdf_bytes(23))]))
    status = {name: f.status for name, f in files_of(batch).items()}
    assert status == {"BK2025_MV-1001-0203.pdf": "matched", "BK2025_MV-1004-0112.pdf": "matched",
                      "liesmich.txt": "refused", "BK2025_MV-1012-0405.pdf": "matched"}


@pytest.mark.parametrize("name", ["../BK2025_MV-1001-0203.pdf", "Ordner/../../etc/passwd.pdf",
                                  "/tmp/BK2025_MV-1001-0203.pdf", "C:/Daten/BK.pdf", "Ordner\\..\\BK.pdf"])
def test_a_zip_with_path_tricks_is_refused_whole(client, auth, data, name):
    auth.login_staff(0)
    before = (DocumentBatch.select().count(), documents_count())
    response = upload_bulk(client, auth, [("abrechnungen.zip", zip_of({"BK2025_MV-1004-0112.pdf": pdf_bytes(31),
                                                                        name: pdf_bytes(32)}))])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "unzulässige Pfadangaben" in page and 'id="files-error"' in page and 'aria-invalid="true"' in page
    assert (DocumentBatch.select().count(), documents_count()) == before


def test_a_zip_bomb_is_refused_from_its_directory_without_unpacking(client, auth, data, monkeypatch):
    """401 MB of zeros packed into a few hundred kB: refused by the declared size before anything is read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("BK2025_MV-1001-0203.pdf", "w", force_zip64=True) as member:
            for _ in range(401):
                member.write(bytes(1 << 20))
    assert len(buffer.getvalue()) < 2 * 1024 * 1024
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *args, **kwargs: opened.append(args) or 1 / 0)
    auth.login_staff(0)
    response = upload_bulk(client, auth, [("bombe.zip", buffer.getvalue())])
    assert response.status_code == 422
    message = re.sub(r"\s+", " ", response.get_data(as_text=True))
    assert "entpackt 401 MB groß, höchstens 400 MB" in message and "ZIP-Bombe" in message
    assert opened == [] and DocumentBatch.select().count() == 0


def test_a_zip_entry_that_lies_about_its_size_is_read_no_further(client, auth, data):
    """The directory says 100 bytes, the entry holds 5 MB: reading stops at 100 and the entry is refused."""
    content = pdf_bytes(41) + bytes(5 * 1024 * 1024)
    archive = bytearray(zip_of({"BK2025_MV-1001-0203.pdf": content}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = archive.index(signature) + offset
        assert struct.unpack("<I", archive[at:at + 4])[0] == len(content)
        archive[at:at + 4] = struct.pack("<I", 100)
    auth.login_staff(0)
    batch = batch_of(upload_bulk(client, auth, [("luege.zip", bytes(archive))]))
    entry = files_of(batch)["BK2025_MV-1001-0203.pdf"]
    assert entry.status == "refused" and "beschädigt" in entry.note


def test_too_many_files_are_refused(app, client, auth, data):
    app.config["BULK_UPLOAD_MAX_FILES"] = 3
    auth.login_staff(0)
    response = upload_bulk(client, auth, [("viele.zip", zip_of({f"BK_{i}.pdf": pdf_bytes(i) for i in range(4)}))])
    assert response.status_code == 422 and "mehr als 3 Dateien auf einmal" in response.get_data(as_text=True)
    assert DocumentBatch.select().count() == 0


def test_bulk_upload_has_its_own_body_limit(app, client, auth, data):
    """The Sammel-Upload takes more than a tenant's form with files (BULK_UPLOAD_MAX_CONTENT_LENGTH)."""
    app.config.update(UPLOAD_MAX_CONTENT_LENGTH=200_000, BULK_UPLOAD_MAX_CONTENT_LENGTH=2_000_000)
    auth.login_staff(0)
    padding = pdf_bytes(51) + b"%" + b"x" * 300_000 + b"\n"  # a comment after %%EOF: still a PDF
    assert upload_bulk(client, auth, [("BK2025_MV-1001-0203.pdf", padding)]).status_code == 303
    single = client.post(f"{NEW}?person={person('104711').id}", content_type="multipart/form-data",
                         data={"csrf_token": auth.csrf_token(), "kind": "letter", "title": "Brief",
                               "file": (io.BytesIO(padding), "brief.pdf")})
    assert single.status_code == 413
    assert upload_bulk(client, auth, [("gross.pdf", b"%PDF-" + b"x" * 2_100_000)]).status_code == 413


@pytest.mark.parametrize(("title", "message"), [
    ("", "Bitte geben Sie einen Titel an."),
    ("x" * 121, "Höchstens 120 Zeichen."),
    ("Abrechnung\x07", "Steuerzeichen"),
])
def test_bulk_upload_form_errors_keep_what_was_typed(client, auth, data, title, message):
    auth.login_staff(0)
    response = upload_bulk(client, auth, [("BK2025_MV-1001-0203.pdf", pdf_bytes(61))], title=title)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert DocumentBatch.select().count() == 0


def test_bulk_upload_without_files_says_so(client, auth, data):
    auth.login_staff(0)
    response = client.post(BULK, data={"csrf_token": auth.csrf_token(), "kind": "operating_costs_statement",
                                       "title": "Betriebskostenabrechnung 2025"})
    assert response.status_code == 422 and "Bitte wählen Sie PDF-Dateien oder eine ZIP-Datei aus." in (
        response.get_data(as_text=True))


def test_the_admin_chooses_the_cooperative_of_a_bulk_upload(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    missing = upload_bulk(client, auth, [("GA-G-014.pdf", pdf_bytes(71))], cooperative="")
    assert missing.status_code == 422 and "Bitte wählen Sie die Genossenschaft." in missing.get_data(as_text=True)
    elsteraue = contract("GA-G-014").cooperative_id
    batch = batch_of(upload_bulk(client, auth, [("GA-G-014.pdf", pdf_bytes(71))], cooperative=str(elsteraue)))
    assert batch.cooperative_id == elsteraue and files_of(batch)["GA-G-014.pdf"].status == "matched"


def test_another_cooperatives_batch_is_unknown(client, auth, data):
    auth.login_staff(2)  # Elsteraue
    batch = batch_of(upload_bulk(client, auth, [("GA-G-014.pdf", pdf_bytes(81))]))
    auth.logout()
    auth.login_staff(0)  # Lipsia
    assert client.get(f"/intern/dokumente/stapel/{batch.key}").status_code == 404
    for action in ("veroeffentlichen", "verwerfen"):
        response = client.post(f"/intern/dokumente/stapel/{batch.key}/{action}", data={"csrf_token": auth.csrf_token()})
        assert response.status_code == 404
    auth.logout()
    for signed_in in (False, True):
        if signed_in:
            auth.login_as("gisela")
        for url in (LIST, NEW, BULK, f"/intern/dokumente/stapel/{batch.key}"):
            assert client.get(url).status_code == 404, url
        for action in ("veroeffentlichen", "verwerfen"):
            response = client.post(f"/intern/dokumente/stapel/{batch.key}/{action}",
                                   data={"csrf_token": auth.csrf_token()})
            assert response.status_code == 404
    unchanged = DocumentBatch.get_by_id(batch.id)
    assert unchanged.published_at is None and unchanged.discarded_at is None and len(files_of(batch)) == 1


def test_a_batch_is_discarded_instead_of_published(client, auth, data):
    auth.login_staff(0)
    batch = batch_of(upload_bulk(client, auth, [("BK2025_MV-1001-0203.pdf", pdf_bytes(91)), ("notiz.pdf", pdf_bytes(92))]))
    before = documents_count()
    preview = client.get(f"/intern/dokumente/stapel/{batch.key}").get_data(as_text=True)
    assert "Sammel-Upload verwerfen" in preview
    bad = client.post(f"/intern/dokumente/stapel/{batch.key}/verwerfen", data={})  # no CSRF token
    assert bad.status_code == 400 and DocumentBatch.get_by_id(batch.id).discarded_at is None
    # with htmx the answer leads to the upload page as a whole
    response = client.post(f"/intern/dokumente/stapel/{batch.key}/verwerfen", data={"csrf_token": auth.csrf_token()},
                           headers=htmx(auth))
    assert response.status_code == 204 and BULK in response.headers["HX-Location"]
    assert "ist verworfen; nichts wurde veröffentlicht" in client.get(BULK).get_data(as_text=True)
    assert DocumentBatch.get_by_id(batch.id).discarded_at is not None and files_of(batch) == {}
    page = client.get(f"/intern/dokumente/stapel/{batch.key}").get_data(as_text=True)
    assert "Verworfen am" in page and "Veröffentlichen (" not in page and "Sammel-Upload verwerfen" not in page
    for action in ("veroeffentlichen", "verwerfen"):  # nothing more to do with it
        again = client.post(f"/intern/dokumente/stapel/{batch.key}/{action}", data={"csrf_token": auth.csrf_token()})
        assert again.status_code == 409 and "schon verworfen" in again.get_data(as_text=True)
    assert documents_count() == before and OutboxMail.select().count() == 0
    assert AuditLog.select().where(AuditLog.action == "documents.batch_discarded").count() == 1
    # a published batch is not discarded
    published = batch_of(upload_bulk(client, auth, [("BK2025_MV-1004-0112.pdf", pdf_bytes(93))]))
    client.post(f"/intern/dokumente/stapel/{published.key}/veroeffentlichen", data={"csrf_token": auth.csrf_token()})
    refused = client.post(f"/intern/dokumente/stapel/{published.key}/verwerfen", data={"csrf_token": auth.csrf_token()})
    assert refused.status_code == 409 and "war schon veröffentlicht" in refused.get_data(as_text=True)
    assert DocumentBatch.get_by_id(published.id).discarded_at is None and documents_count() == before + 1


@pytest.mark.parametrize("actions", [("publish", "publish"), ("publish", "discard")])
def test_two_clerks_at_the_same_moment_exactly_one_applies(app, client, auth, data, actions):
    """Two clerks (or two clicks) publish a batch at once, or one discards it meanwhile: one applies, nothing twice."""
    staff = auth.login_staff(0)
    batch = batch_of(upload_bulk(client, auth, [("BK2025_MV-1001-0203.pdf", pdf_bytes(94)),
                                                ("BK2025_MV-1004-0112.pdf", pdf_bytes(95))]))
    with app.app_context():
        before = documents_count()
        clerks = list(User.select().where((User.role == User.ROLE_STAFF)
                                          & (User.cooperative == Person.get(Person.number == "104711").cooperative_id))
                      .order_by(User.id).limit(2))
        assert staff["email"] in {clerk.email for clerk in clerks}
        db.database.close()
    def deciding(clerk, action):
        def decide(ready):
            current = DocumentBatch.get_by_id(batch.id)
            ready()
            if action == "publish":
                staff_documents.publish(current, clerk)
            else:
                staff_documents.discard(current, clerk)
        return decide

    outcomes = at_once(app, staff_documents.AlreadyPublished,
                       *(deciding(clerk, action) for clerk, action in zip(clerks, actions)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = actions[outcomes.index("applied")]
    with app.app_context():
        fresh = DocumentBatch.get_by_id(batch.id)
        published = applied == "publish"
        assert (fresh.published_at is not None) is published and (fresh.discarded_at is not None) is not published
        assert documents_count() == before + (2 if published else 0)
        assert OutboxMail.select().count() == (2 if published else 0)  # Jürgen and Gisela, once each
        assert AuditLog.select().where(AuditLog.action.in_(
            ["documents.batch_published", "documents.batch_discarded"])).count() == 1


def test_the_preview_pages_its_matched_files_with_htmx(app, client, auth, data):
    app.config["PAGE_SIZE"] = 2
    auth.login_staff(0)
    numbers = ["MV-1001-0203", "MV-1004-0112", "MV-1012-0405"]
    batch = batch_of(upload_bulk(client, auth, [(f"BK_{n}.pdf", pdf_bytes(90 + i)) for i, n in enumerate(numbers)]))
    response = client.get(f"/intern/dokumente/stapel/{batch.key}?seite=2", headers=htmx(auth, "batch-files"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="batch-files"')
    assert "BK_MV-1012-0405.pdf" in fragment and "BK_MV-1001-0203.pdf" not in fragment and "<html" not in fragment


# --- one document --------------------------------------------------------------------------------------------------


def single_form(auth, content=None, name="brief.pdf", **values):
    form = {"csrf_token": auth.csrf_token(), "kind": "letter", "title": "Ihr neuer Wohnungsschlüssel", "contract": ""}
    form.update(values)
    if content is not None:
        form["file"] = (io.BytesIO(content), name)
    return form


def test_one_pdf_for_a_contract_reaches_the_tenant_as_new_with_a_mail(app, client, auth, data, smtp):
    staff = auth.login_staff(0)
    juergen = person("104711")
    search = client.get(f"{NEW}?suche=Müller")
    assert search.status_code == 200 and f"person={juergen.id}" in search.get_data(as_text=True)
    form_page = client.get(f"{NEW}?person={juergen.id}").get_data(as_text=True)
    assert "Mietvertrag MV-1001-0203" in form_page and 'enctype="multipart/form-data"' in form_page
    response = client.post(f"{NEW}?person={juergen.id}", content_type="multipart/form-data",
                           data=single_form(auth, pdf_bytes(101), contract=str(contract("MV-1001-0203").id)))
    assert response.status_code == 303 and response.headers["Location"] == LIST
    document = Document.select().order_by(Document.id.desc()).first()
    assert (document.person_id, document.contract.number, document.kind, document.title) == (
        juergen.id, "MV-1001-0203", "letter", "Ihr neuer Wohnungsschlüssel")
    assert document.read_at is None and document.created_by.email == staff["email"]
    entry = AuditLog.get(AuditLog.action == "document.uploaded")
    assert document.number in entry.detail and entry.user.email == staff["email"]

    assert deliver(app) == 1
    message = smtp.messages[-1]
    assert message["To"] == "juergen.mueller@example.org" and message["Subject"] == "Neues Dokument im Portal"
    assert "Wohnungsschlüssel" not in mail_text(message) and "Schreiben" in mail_text(message)

    listed = client.get(LIST).get_data(as_text=True)
    assert document.number in listed and "noch nicht geöffnet" in listed.split(document.number)[1].split("</tr>")[0]
    auth.logout()
    auth.login_as("juergen")
    home = client.get("/").get_data(as_text=True)
    assert "Ihr neuer Wohnungsschlüssel" in home


@pytest.mark.parametrize(("content", "name", "values", "field", "message"), [
    (None, "brief.pdf", {}, "file", "Bitte wählen Sie eine PDF-Datei aus."),
    (PNG, "brief.pdf", {}, "file", "ist keine PDF-Datei"),
    (b"%PDF-1.4 kaputt", "brief.pdf", {}, "file", "ist beschädigt"),
    (pdf_bytes(111), "brief.pdf", {"title": ""}, "title", "Bitte geben Sie einen Titel an."),
    (pdf_bytes(111), "brief.pdf", {"title": "Brief\x1b[31m"}, "title", "Steuerzeichen"),
    (pdf_bytes(111), "brief.pdf", {"kind": "form"}, "kind", "Bitte wählen Sie einen Eintrag aus der Liste."),
    (pdf_bytes(111), "brief.pdf", {"contract": "GA-G-014"}, "contract", "Bitte wählen Sie einen Eintrag aus der Liste."),
])
def test_one_pdf_refused_with_the_message_next_to_its_field(client, auth, data, content, name, values, field, message):
    auth.login_staff(0)
    before = documents_count()
    juergen = person("104711")
    if values.get("contract") == "GA-G-014":  # another cooperative's contract (or any not of this person)
        values = {**values, "contract": str(contract("GA-G-014").id)}
    response = client.post(f"{NEW}?person={juergen.id}", content_type="multipart/form-data",
                           data=single_form(auth, content, name, **values))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and f'id="{field}-error"' in page
    assert documents_count() == before
    if field != "title":
        assert 'value="' + values.get("title", "Ihr neuer Wohnungsschlüssel") in page  # what was typed stays


def test_a_hostile_title_is_only_text(client, auth, data):
    auth.login_staff(0)
    title = '<script>alert("x")</script>'
    response = client.post(f"{NEW}?person={person('104711').id}", content_type="multipart/form-data",
                           data=single_form(auth, pdf_bytes(121), title=title))
    assert response.status_code == 303
    listed = client.get(LIST).get_data(as_text=True)
    assert "&lt;script&gt;alert(" in listed and "<script>alert(" not in listed


def test_persons_of_another_cooperative_are_unknown(client, auth, data):
    auth.login_staff(0)  # Lipsia
    dieter = person("201942")  # Elsteraue
    assert client.get(f"{NEW}?person={dieter.id}").status_code == 404
    response = client.post(f"{NEW}?person={dieter.id}", content_type="multipart/form-data",
                           data=single_form(auth, pdf_bytes(131)))
    assert response.status_code == 404 and not Document.select().where(Document.person == dieter,
                                                                        Document.title == "Ihr neuer Wohnungsschlüssel").exists()
    found = client.get(f"{NEW}?suche=Krüger").get_data(as_text=True)
    assert "0 Personen gefunden" in found and "201942" not in found


# --- the list -----------------------------------------------------------------------------------------------------


def test_the_list_shows_sent_documents_of_the_own_cooperative_only(client, auth, data):
    auth.login_staff(0)
    page = client.get(LIST).get_data(as_text=True)
    assert "MV-1001-0203" in page and "Betriebskostenabrechnung" in page
    assert "MV-301-0201" not in page and "GA-G-014" not in page
    filtered = client.get(f"{LIST}?art=letter").get_data(as_text=True)
    assert "Dividende auf Ihre Geschäftsanteile" in filtered
    assert "Betriebskostenabrechnung 2" not in main_of(filtered)
    bad = client.get(f"{LIST}?art=erfunden")
    assert bad.status_code == 422 and "Bitte wählen Sie einen Eintrag aus der Liste." in bad.get_data(as_text=True)
    # a tenant's own requests (certificates, forms) are not "sent"
    juergen = User.get(User.email == "juergen.mueller@example.org")
    Document.create(person=person("104711"), kind="certificate", title="Mietbescheinigung (selbst erstellt)",
                    number="LD-2026-SELBST01", filename="m.pdf", storage_key="0" * 64, created_by=juergen)
    assert "selbst erstellt" not in client.get(LIST).get_data(as_text=True)


def test_the_list_fragment_and_opened_filter(client, auth, data):
    auth.login_staff(0)
    response = client.get(f"{LIST}?status=offen", headers=htmx(auth, "sent-documents"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="sent-documents"')
    assert "<html" not in fragment and "noch nicht geöffnet" in fragment
    opened = client.get(f"{LIST}?status=geoeffnet").get_data(as_text=True)
    assert 'class="unopened"' not in opened and "Betriebskostenabrechnung" in main_of(opened)


def test_the_admin_sees_both_cooperatives(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    page = client.get(f"{LIST}?art=operating_costs_statement").get_data(as_text=True)
    assert "MV-1001-0203" in page and "MV-301-0201" in page


def test_the_list_runs_constant_queries(app, client, auth, data, count_queries):
    auth.login_staff(0)
    juergen = person("104711")
    counts = []
    for extra in (3, 120):
        for i in range(extra):
            Document.create(person=juergen, contract=contract("MV-1001-0203"), kind="letter", title=f"Brief {i}",
                            number=f"LD-2026-Q{extra:03d}{i:04d}", filename="b.pdf", storage_key="0" * 64)
        with count_queries() as queries:
            response = client.get(f"{LIST}?seite=2")
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_check_pdf_refuses_what_is_not_a_pdf():
    with pytest.raises(uploads.UploadRejected, match="keine PDF-Datei"):
        uploads.check_pdf("bild.pdf", PNG)
    assert uploads.check_pdf("a/b\\Brief.pdf", pdf_bytes()).filename == "Brief.pdf"


def test_the_preview_runs_constant_queries(client, auth, data, count_queries):
    auth.login_staff(0)
    counts = []
    for size in (3, 40):
        files = [(f"BK_MV-1001-0203_{i}.pdf" if i % 2 else f"ohne_{i}.pdf", pdf_bytes(200 + size + i)) for i in range(size)]
        batch = batch_of(upload_bulk(client, auth, files))
        with count_queries() as queries:
            assert client.get(f"/intern/dokumente/stapel/{batch.key}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
